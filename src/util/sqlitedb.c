#include "util/sqlitedb.h"

#include <stdio.h>

bool sqlitedb_exec(sqlite3 *db, const char *sql, char *err, size_t errlen)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK)
        return true;
    snprintf(err, errlen, "%s", msg != NULL ? msg : sqlite3_errmsg(db));
    sqlite3_free(msg);
    return false;
}

static bool sqlitedb_pragma_int(sqlite3 *db, const char *pragma, int *out)
{
    sqlite3_stmt *st = NULL;
    bool ok = sqlite3_prepare_v2(db, pragma, -1, &st, NULL) == SQLITE_OK &&
              sqlite3_step(st) == SQLITE_ROW;
    if (ok)
        *out = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return ok;
}

static bool sqlitedb_create(sqlite3 *db, const struct sqlitedb_schema *s, char *err,
                            size_t errlen)
{
    char pragma[64];
    if (!sqlitedb_exec(db, "BEGIN IMMEDIATE", err, errlen))
        return false;
    snprintf(pragma, sizeof pragma, "PRAGMA application_id=%d", (int)s->app_id);
    bool ok = sqlitedb_exec(db, pragma, err, errlen);
    for (size_t i = 0; ok && i < s->n_statements; i++)
        ok = sqlitedb_exec(db, s->statements[i], err, errlen);
    snprintf(pragma, sizeof pragma, "PRAGMA user_version=%d", s->version);
    ok = ok && sqlitedb_exec(db, pragma, err, errlen) && sqlitedb_exec(db, "COMMIT", err, errlen);
    if (!ok) {
        char ignore[8];
        sqlitedb_exec(db, "ROLLBACK", ignore, sizeof ignore);
    }
    return ok;
}

bool sqlitedb_open(const char *path, const struct sqlitedb_schema *schema, sqlite3 **out,
                   char *err, size_t errlen)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                                            SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "cannot open %s: %s", path,
                 db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        sqlite3_close(db);
        return false;
    }
    sqlite3_busy_timeout(db, 5000);
    char why[200] = "";
    int app = 0, version = 0;
    bool ok = sqlitedb_pragma_int(db, "PRAGMA application_id", &app) &&
              sqlitedb_pragma_int(db, "PRAGMA user_version", &version);
    if (!ok)
        snprintf(why, sizeof why, "not an SQLite database (%s)", sqlite3_errmsg(db));
    if (ok && version != 0 && app != schema->app_id) {
        snprintf(why, sizeof why, "an SQLite database of another application");
        ok = false;
    }
    int tables = 0;
    if (ok && version == 0 &&
        (!sqlitedb_pragma_int(db, "SELECT count(*) FROM sqlite_master", &tables) || tables > 0)) {
        snprintf(why, sizeof why, "an SQLite database of another application");
        ok = false;
    }
    if (ok && version > schema->version) {
        snprintf(why, sizeof why, "schema version %d is newer than this version reads (%d)",
                 version, schema->version);
        ok = false;
    }
    ok = ok && sqlitedb_exec(db, "PRAGMA journal_mode=WAL", why, sizeof why) &&
         sqlitedb_exec(db, "PRAGMA synchronous=FULL", why, sizeof why);
    if (ok && version == 0)
        ok = sqlitedb_create(db, schema, why, sizeof why);
    if (!ok) {
        snprintf(err, errlen, "%s: %s", path, why);
        sqlite3_close(db);
        return false;
    }
    *out = db;
    return true;
}
