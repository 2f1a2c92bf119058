#include "unit.h"
#include "fixture.h"

#include <stdio.h>
#include <string.h>

#include "util/sqlitedb.h"

#define APP_ID 0x54455354 /* "TEST" */

static char dir[256];
static char path[300];

static const char *const stmts[] = {
    "CREATE TABLE t(k TEXT PRIMARY KEY NOT NULL, v INTEGER NOT NULL)",
    "INSERT INTO t VALUES('made', 1)",
};
static const struct sqlitedb_schema schema = {APP_ID, 2, stmts, 2};

static void setup(void)
{
    fixture_tmpdir_make(dir, sizeof dir, "sqlitedb");
    snprintf(path, sizeof path, "%s/test.sqlite", dir);
}

static void teardown(void)
{
    fixture_tmpdir_remove(dir);
}

static int64_t query(sqlite3 *db, const char *sql)
{
    int64_t v = -1;
    char err[128] = "";
    ck_assert_msg(sqlitedb_query_int(db, sql, &v, err, sizeof err), "%s: %s", sql, err);
    return v;
}

/* Sets a pragma of the file at path behind sqlitedb's back. */
static void poke(const char *sql)
{
    sqlite3 *db = NULL;
    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

START_TEST(create_and_reopen)
{
    sqlite3 *db = NULL;
    char err[256] = "";
    ck_assert_msg(sqlitedb_open(path, &schema, &db, err, sizeof err), "%s", err);
    ck_assert_int_eq(query(db, "PRAGMA application_id"), APP_ID);
    ck_assert_int_eq(query(db, "PRAGMA user_version"), 2);
    ck_assert_int_eq(query(db, "SELECT v FROM t WHERE k = 'made'"), 1);
    ck_assert_int_eq(query(db, "PRAGMA synchronous"), 2); /* FULL */
    char mode[16] = "";
    sqlite3_stmt *st = sqlitedb_prepare(db, "PRAGMA journal_mode", err, sizeof err);
    ck_assert_ptr_nonnull(st);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    snprintf(mode, sizeof mode, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    ck_assert_str_eq(mode, "wal");
    ck_assert(sqlitedb_exec(db, "UPDATE t SET v = 7", err, sizeof err));
    sqlite3_close(db);

    /* Reopened: the schema is not run again, the data stays. */
    db = NULL;
    ck_assert_msg(sqlitedb_open(path, &schema, &db, err, sizeof err), "%s", err);
    ck_assert_int_eq(query(db, "SELECT count(*) FROM t"), 1);
    ck_assert_int_eq(query(db, "SELECT v FROM t"), 7);
    sqlite3_close(db);

    /* An older schema version than the code's is opened as it is. */
    poke("PRAGMA user_version=1");
    db = NULL;
    ck_assert_msg(sqlitedb_open(path, &schema, &db, err, sizeof err), "%s", err);
    ck_assert_int_eq(query(db, "PRAGMA user_version"), 1);
    sqlite3_close(db);
}
END_TEST

START_TEST(wrong_application_refused)
{
    sqlite3 *db = NULL;
    char err[256] = "";
    ck_assert(sqlitedb_open(path, &schema, &db, err, sizeof err));
    sqlite3_close(db);
    poke("PRAGMA application_id=1");
    db = NULL;
    ck_assert(!sqlitedb_open(path, &schema, &db, err, sizeof err));
    ck_assert_ptr_null(db);
    ck_assert_msg(strstr(err, "another application") != NULL, "%s", err);
    ck_assert_msg(strncmp(err, path, strlen(path)) == 0, "%s", err);

    /* Tables without a version: someone else's database too. */
    char other[320];
    snprintf(other, sizeof other, "%s/other.sqlite", dir);
    sqlite3 *o = NULL;
    ck_assert_int_eq(sqlite3_open(other, &o), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(o, "CREATE TABLE x(y)", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(o);
    ck_assert(!sqlitedb_open(other, &schema, &db, err, sizeof err));
    ck_assert_msg(strstr(err, "another application") != NULL, "%s", err);
}
END_TEST

START_TEST(newer_version_refused)
{
    sqlite3 *db = NULL;
    char err[256] = "";
    ck_assert(sqlitedb_open(path, &schema, &db, err, sizeof err));
    sqlite3_close(db);
    poke("PRAGMA user_version=3");
    db = NULL;
    ck_assert(!sqlitedb_open(path, &schema, &db, err, sizeof err));
    ck_assert_ptr_null(db);
    ck_assert_msg(strstr(err, "schema version 3 is newer than this version reads (2)") != NULL,
                  "%s", err);
}
END_TEST

START_TEST(not_sqlite_refused)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("plain words, many more of them than an SQLite header would hold\n", f);
    fclose(f);
    sqlite3 *db = NULL;
    char err[256] = "";
    ck_assert(!sqlitedb_open(path, &schema, &db, err, sizeof err));
    ck_assert_ptr_null(db);
    ck_assert_msg(strstr(err, "not an SQLite database") != NULL, "%s", err);
    /* The file is left alone. */
    f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    char line[16];
    ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
    fclose(f);
    ck_assert(strncmp(line, "plain words", 11) == 0);
}
END_TEST

START_TEST(unfinished_creation_is_made_again)
{
    /* An empty database: what a creation killed before its commit leaves. */
    sqlite3 *db = NULL;
    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_close(db);
    db = NULL;
    char err[256] = "";
    ck_assert_msg(sqlitedb_open(path, &schema, &db, err, sizeof err), "%s", err);
    ck_assert_int_eq(query(db, "SELECT v FROM t"), 1);
    sqlite3_close(db);
}
END_TEST

START_TEST(failed_creation_leaves_no_schema)
{
    static const char *const bad[] = {"CREATE TABLE a(x)", "THIS IS NOT SQL"};
    const struct sqlitedb_schema s = {APP_ID, 1, bad, 2};
    sqlite3 *db = NULL;
    char err[256] = "";
    ck_assert(!sqlitedb_open(path, &s, &db, err, sizeof err));
    ck_assert_msg(strstr(err, "syntax error") != NULL, "%s", err);
    /* Rolled back as a whole: the next open creates it cleanly. */
    ck_assert_msg(sqlitedb_open(path, &schema, &db, err, sizeof err), "%s", err);
    ck_assert_int_eq(query(db, "SELECT count(*) FROM sqlite_master WHERE name = 'a'"), 0);
    sqlite3_close(db);
}
END_TEST

START_TEST(connect_and_statements)
{
    sqlite3 *db = NULL;
    char err[256] = "";
    /* Without create a missing file is refused, naming it. */
    ck_assert(!sqlitedb_connect(path, false, &db, err, sizeof err));
    ck_assert_msg(strstr(err, "cannot open ") == err && strstr(err, path) != NULL, "%s", err);
    ck_assert(sqlitedb_connect(path, true, &db, err, sizeof err));
    ck_assert(sqlitedb_set_durable(db, err, sizeof err));
    ck_assert(sqlitedb_exec(db, "CREATE TABLE n(v INTEGER)", err, sizeof err));

    sqlite3_stmt *st = sqlitedb_prepare(db, "INSERT INTO n VALUES(?1)", err, sizeof err);
    ck_assert_ptr_nonnull(st);
    sqlite3_bind_int64(st, 1, 41);
    ck_assert(sqlitedb_step_done(db, st, err, sizeof err));
    ck_assert_int_eq(query(db, "SELECT v + 1 FROM n"), 42);

    /* A statement that returns a row is not "done"; it is finalized anyway. */
    st = sqlitedb_prepare(db, "SELECT v FROM n", err, sizeof err);
    ck_assert_ptr_nonnull(st);
    ck_assert(!sqlitedb_step_done(db, st, NULL, 0));

    ck_assert_ptr_null(sqlitedb_prepare(db, "SELECT x FROM nowhere", err, sizeof err));
    ck_assert_msg(strstr(err, "no such table") != NULL, "%s", err);
    err[0] = '\0';
    ck_assert(!sqlitedb_exec(db, "DROP TABLE nowhere", err, sizeof err));
    ck_assert_msg(strstr(err, "no such table") != NULL, "%s", err);
    ck_assert(!sqlitedb_exec(db, "DROP TABLE nowhere", NULL, 0));
    int64_t v = 5;
    ck_assert(!sqlitedb_query_int(db, "SELECT v FROM n WHERE v < 0", &v, NULL, 0));
    ck_assert_int_eq(v, 5);

    /* Rollback ends a transaction, and is harmless outside one. */
    ck_assert(sqlitedb_exec(db, "BEGIN IMMEDIATE", err, sizeof err));
    ck_assert(sqlitedb_exec(db, "DELETE FROM n", err, sizeof err));
    sqlitedb_rollback(db);
    ck_assert(sqlite3_get_autocommit(db));
    ck_assert_int_eq(query(db, "SELECT count(*) FROM n"), 1);
    sqlitedb_rollback(db);
    sqlite3_close(db);
}
END_TEST

Suite *unit_suite(void)
{
    static const struct fixture_case c = {.setup = setup, .teardown = teardown};
    const TTest *tests[] = {create_and_reopen,
                            wrong_application_refused,
                            newer_version_refused,
                            not_sqlite_refused,
                            unfinished_creation_is_made_again,
                            failed_creation_leaves_no_schema,
                            connect_and_statements,
                            NULL};
    return fixture_suite("sqlitedb", &c, tests);
}
