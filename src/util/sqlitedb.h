/* sqlitedb: opening an SQLite file that belongs to one module, with its
 * schema.
 *
 * A file is marked with its module's application id and a schema version
 * (PRAGMA application_id / user_version), created in one transaction, and
 * opened in WAL mode with full syncs, so a crash mid-commit rolls back and
 * a committed change survives power loss. Opening a file of another
 * application or of a newer schema fails with a message saying so; a file
 * whose creation was cut short (no version yet) is created again. The
 * caller owns the returned handle (sqlite3_close). */
#ifndef SOUK_UTIL_SQLITEDB_H
#define SOUK_UTIL_SQLITEDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

struct sqlitedb_schema {
    int32_t app_id;
    int version;                    /* >= 1 */
    const char *const *statements;  /* run in order when the file is created */
    size_t n_statements;
};

bool sqlitedb_open(const char *path, const struct sqlitedb_schema *schema, sqlite3 **out,
                   char *err, size_t errlen);
/* Runs one or more statements without results. */
bool sqlitedb_exec(sqlite3 *db, const char *sql, char *err, size_t errlen);

#endif
