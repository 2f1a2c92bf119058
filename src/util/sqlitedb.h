/* sqlitedb: opening an SQLite file that belongs to one module, with its
 * schema, and the few mechanics every SQLite user here shares.
 *
 * sqlitedb_open: a file is marked with its module's application id and a
 * schema version (PRAGMA application_id / user_version), created in one
 * transaction, and opened in WAL mode with full syncs, so a crash
 * mid-commit rolls back and a committed change survives power loss.
 * Opening a file of another application or of a newer schema fails with a
 * message saying so; a file whose creation was cut short (no version yet)
 * is created again. The caller owns the returned handle (sqlite3_close).
 *
 * The rest are the steps sqlitedb_open is made of, for a module whose file
 * marks its schema its own way (the wallet): connecting, the durable
 * journal settings, running statements and reading one number. Each
 * failure leaves SQLite's message in err (NULL/0 for none). Not
 * thread-safe beyond what the sqlite3 handle is. */
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

/* Process-wide settings, before any connection opens (the daemon's start):
 * no allocation statistics, which SQLite otherwise keeps under one global
 * mutex that every allocation of every connection takes — readers on
 * several threads would queue on it. */
void sqlitedb_global_init(void);

bool sqlitedb_open(const char *path, const struct sqlitedb_schema *schema, sqlite3 **out,
                   char *err, size_t errlen);

/* Opens path read-write (create: made when missing), for one thread at a
 * time, waiting up to 5 s for another connection's lock. On failure the
 * message is "cannot open <path>: <why>". */
bool sqlitedb_connect(const char *path, bool create, sqlite3 **out, char *err, size_t errlen);
/* WAL: readers never block the writer and a crash mid-commit rolls back;
 * synchronous=FULL: a committed change survives power loss too. */
bool sqlitedb_set_durable(sqlite3 *db, char *err, size_t errlen);
/* Runs one or more statements without results. */
bool sqlitedb_exec(sqlite3 *db, const char *sql, char *err, size_t errlen);
/* Ends the open transaction, if any, without its changes. */
void sqlitedb_rollback(sqlite3 *db);
/* A prepared statement (the caller finalizes it), or NULL. */
sqlite3_stmt *sqlitedb_prepare(sqlite3 *db, const char *sql, char *err, size_t errlen);
/* Runs a prepared statement that returns no rows, and finalizes it either
 * way. */
bool sqlitedb_step_done(sqlite3 *db, sqlite3_stmt *st, char *err, size_t errlen);
/* The first column of the first row sql returns, as an integer; false
 * when it fails or returns no row. */
bool sqlitedb_query_int(sqlite3 *db, const char *sql, int64_t *out, char *err, size_t errlen);

#endif
