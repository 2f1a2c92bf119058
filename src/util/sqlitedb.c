#include "util/sqlitedb.h"

#include <stdio.h>

#include "util/strutil.h"

bool sqlitedb_exec(sqlite3 *db, const char *sql, char *err, size_t errlen)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK)
        return true;
    str_set_err(err, errlen, "%s", msg != NULL ? msg : sqlite3_errmsg(db));
    sqlite3_free(msg);
    return false;
}

void sqlitedb_rollback(sqlite3 *db)
{
    /* SQLite may have rolled back already (on a full disk, say): then there
     * is nothing left to end. */
    if (!sqlite3_get_autocommit(db))
        sqlitedb_exec(db, "ROLLBACK", NULL, 0);
}

sqlite3_stmt *sqlitedb_prepare(sqlite3 *db, const char *sql, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        str_set_err(err, errlen, "%s", sqlite3_errmsg(db));
        sqlite3_finalize(st);
        return NULL;
    }
    return st;
}

bool sqlitedb_step_done(sqlite3 *db, sqlite3_stmt *st, char *err, size_t errlen)
{
    bool ok = sqlite3_step(st) == SQLITE_DONE;
    if (!ok)
        str_set_err(err, errlen, "%s", sqlite3_errmsg(db));
    sqlite3_finalize(st);
    return ok;
}

bool sqlitedb_query_int(sqlite3 *db, const char *sql, int64_t *out, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    bool ok = sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
              sqlite3_step(st) == SQLITE_ROW;
    if (ok)
        *out = sqlite3_column_int64(st, 0);
    else
        str_set_err(err, errlen, "%s", sqlite3_errmsg(db));
    sqlite3_finalize(st);
    return ok;
}

bool sqlitedb_connect(const char *path, bool create, sqlite3 **out, char *err, size_t errlen)
{
    sqlite3 *db = NULL;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
    int rc = sqlite3_open_v2(path, &db, flags, NULL);
    if (rc != SQLITE_OK) {
        str_set_err(err, errlen, "cannot open %s: %s", path,
                    db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        sqlite3_close(db);
        return false;
    }
    sqlite3_busy_timeout(db, 5000);
    *out = db;
    return true;
}

bool sqlitedb_set_durable(sqlite3 *db, char *err, size_t errlen)
{
    return sqlitedb_exec(db, "PRAGMA journal_mode=WAL", err, errlen) &&
           sqlitedb_exec(db, "PRAGMA synchronous=FULL", err, errlen);
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
    if (!ok)
        sqlitedb_rollback(db);
    return ok;
}

void sqlitedb_global_init(void)
{
    /* Fails (harmlessly) when SQLite is already initialised. */
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

bool sqlitedb_open(const char *path, const struct sqlitedb_schema *schema, sqlite3 **out,
                   char *err, size_t errlen)
{
    sqlite3 *db = NULL;
    if (!sqlitedb_connect(path, true, &db, err, errlen))
        return false;
    char why[200] = "";
    int64_t app = 0, version = 0;
    bool ok = sqlitedb_query_int(db, "PRAGMA application_id", &app, NULL, 0) &&
              sqlitedb_query_int(db, "PRAGMA user_version", &version, NULL, 0);
    if (!ok)
        snprintf(why, sizeof why, "not an SQLite database (%s)", sqlite3_errmsg(db));
    if (ok && version != 0 && app != schema->app_id) {
        snprintf(why, sizeof why, "an SQLite database of another application");
        ok = false;
    }
    int64_t tables = 0;
    if (ok && version == 0 &&
        (!sqlitedb_query_int(db, "SELECT count(*) FROM sqlite_master", &tables, NULL, 0) ||
         tables > 0)) {
        snprintf(why, sizeof why, "an SQLite database of another application");
        ok = false;
    }
    if (ok && version > schema->version) {
        snprintf(why, sizeof why, "schema version %d is newer than this version reads (%d)",
                 (int)version, schema->version);
        ok = false;
    }
    ok = ok && sqlitedb_set_durable(db, why, sizeof why);
    if (ok && version == 0)
        ok = sqlitedb_create(db, schema, why, sizeof why);
    if (!ok) {
        str_set_err(err, errlen, "%s: %s", path, why);
        sqlite3_close(db);
        return false;
    }
    *out = db;
    return true;
}
