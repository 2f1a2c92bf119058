#include "unit.h"
#include "fixture.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/sqlitedb.h"
#include "util/sqlitepool.h"

static char dir[256];
static char path[300];
static sqlite3 *writer;

static const char *const stmts[] = {"CREATE TABLE t(v INTEGER NOT NULL)",
                                    "INSERT INTO t VALUES(1)"};
static const struct sqlitedb_schema schema = {0x504f4f4c /* "POOL" */, 1, stmts, 2};

static void setup(void)
{
    fixture_tmpdir_make(dir, sizeof dir, "sqlitepool");
    snprintf(path, sizeof path, "%s/pool.sqlite", dir);
    char err[256] = "";
    writer = NULL;
    ck_assert_msg(sqlitedb_open(path, &schema, &writer, err, sizeof err), "%s", err);
}

static void teardown(void)
{
    sqlite3_close(writer);
    fixture_tmpdir_remove(dir);
}

static int64_t rows(sqlite3 *db)
{
    int64_t v = -1;
    char err[128] = "";
    ck_assert_msg(sqlitedb_query_int(db, "SELECT count(*) FROM t", &v, err, sizeof err), "%s",
                  err);
    return v;
}

static void write_row(void)
{
    char err[128] = "";
    ck_assert_msg(sqlitedb_exec(writer, "BEGIN IMMEDIATE; INSERT INTO t VALUES(2); COMMIT", err,
                                sizeof err),
                  "%s", err);
}

START_TEST(a_reader_keeps_its_snapshot)
{
    struct sqlitepool *p = sqlitepool_new(path, 4);
    ck_assert_ptr_nonnull(p);
    sqlite3 *a = sqlitepool_get(p);
    ck_assert_ptr_nonnull(a);
    ck_assert_int_eq(rows(a), 1);
    /* The writer commits while a reads: it is not held up, and a still
     * sees the file as it was when its read began. */
    write_row();
    ck_assert_int_eq(rows(writer), 2);
    ck_assert_int_eq(rows(a), 1);
    /* A reader that starts now sees the commit. */
    sqlite3 *b = sqlitepool_get(p);
    ck_assert_ptr_nonnull(b);
    ck_assert_ptr_ne(a, b);
    ck_assert_int_eq(rows(b), 2);
    sqlitepool_put(p, b);
    /* Given back and lent again, a connection reads afresh. */
    sqlitepool_put(p, a);
    sqlite3 *again = sqlitepool_get(p);
    ck_assert(again == a || again == b);
    ck_assert_int_eq(rows(again), 2);
    ck_assert_uint_eq(sqlitepool_open_count(p), 2);
    sqlitepool_put(p, again);
    sqlitepool_free(p);
}
END_TEST

START_TEST(a_reader_cannot_write)
{
    struct sqlitepool *p = sqlitepool_new(path, 1);
    sqlite3 *a = sqlitepool_get(p);
    ck_assert_ptr_nonnull(a);
    ck_assert_int_eq(sqlite3_exec(a, "INSERT INTO t VALUES(3)", NULL, NULL, NULL),
                     SQLITE_READONLY);
    sqlitepool_put(p, a);
    ck_assert_int_eq(rows(writer), 1);
    /* The failed statement did not cost the connection. */
    a = sqlitepool_get(p);
    ck_assert_int_eq(rows(a), 1);
    sqlitepool_put(p, a);
    ck_assert_uint_eq(sqlitepool_open_count(p), 1);
    sqlitepool_free(p);
}
END_TEST

struct taker {
    struct sqlitepool *p;
    sqlite3 *got;
};

static void *take(void *arg)
{
    struct taker *t = arg;
    t->got = sqlitepool_get(t->p);
    return NULL;
}

START_TEST(no_more_than_max_are_open)
{
    struct sqlitepool *p = sqlitepool_new(path, 2);
    sqlite3 *a = sqlitepool_get(p), *b = sqlitepool_get(p);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    /* A third caller waits for one to come back rather than open a third. */
    struct taker t = {.p = p};
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, take, &t), 0);
    sqlitepool_put(p, b);
    ck_assert_int_eq(pthread_join(th, NULL), 0);
    ck_assert_ptr_eq(t.got, b);
    ck_assert_uint_eq(sqlitepool_open_count(p), 2);
    sqlitepool_put(p, t.got);
    sqlitepool_put(p, a);
    sqlitepool_free(p);
}
END_TEST

START_TEST(a_missing_file_lends_nothing)
{
    char missing[320];
    snprintf(missing, sizeof missing, "%s/none.sqlite", dir);
    struct sqlitepool *p = sqlitepool_new(missing, 2);
    ck_assert_ptr_null(sqlitepool_get(p));
    ck_assert_ptr_null(sqlitepool_get(p));
    ck_assert_ptr_null(sqlitepool_get(p));
    ck_assert_uint_eq(sqlitepool_open_count(p), 0);
    /* Read-only: the file is not created either. */
    ck_assert_int_ne(access(missing, F_OK), 0);
    sqlitepool_put(p, NULL);
    sqlitepool_free(p);
    sqlitepool_free(NULL);
}
END_TEST

Suite *unit_suite(void)
{
    static const struct fixture_case c = {.setup = setup, .teardown = teardown};
    const TTest *tests[] = {a_reader_keeps_its_snapshot, a_reader_cannot_write,
                            no_more_than_max_are_open, a_missing_file_lends_nothing, NULL};
    return fixture_suite("sqlitepool", &c, tests);
}
