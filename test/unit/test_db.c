#include "unit.h"
#include "fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "node/db.h"

static char dir[64];
static char err[256];

static void setup(void)
{
    fixture_tmpdir_make(dir, sizeof dir, "db");
}

static void teardown(void)
{
    fixture_tmpdir_remove(dir);
}

static struct db *open_db(const char *sub, bool wipe)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, sub);
    struct db_options o;
    db_options_default(&o);
    o.cache_bytes = 1 << 20;
    o.wipe = wipe;
    struct db *db = NULL;
    ck_assert_msg(db_open(path, &o, &db, err, sizeof err), "%s", err);
    ck_assert_ptr_nonnull(db);
    return db;
}

START_TEST(put_get_delete_persist)
{
    struct db *db = open_db("a", false);
    struct buf v;
    buf_init(&v);
    bool found = true;
    ck_assert(db_get(db, "k1", 2, &v, &found, err, sizeof err));
    ck_assert(!found);
    ck_assert(db_put(db, "k1", 2, "value-one", 9, false, err, sizeof err));
    /* Binary keys and values with embedded NULs. */
    const uint8_t bk[3] = {0, 1, 0}, bv[4] = {0, 0, 7, 0};
    ck_assert(db_put(db, bk, 3, bv, 4, true, err, sizeof err));
    ck_assert(db_get(db, "k1", 2, &v, &found, err, sizeof err));
    ck_assert(found);
    ck_assert_uint_eq(v.len, 9);
    ck_assert_mem_eq(v.data, "value-one", 9);
    ck_assert(db_exists(db, bk, 3, &found, err, sizeof err));
    ck_assert(found);
    ck_assert(db_delete(db, "k1", 2, false, err, sizeof err));
    ck_assert(db_delete(db, "never", 5, false, err, sizeof err));
    /* An absent key leaves the output buffer as it was. */
    ck_assert(db_get(db, "k1", 2, &v, &found, err, sizeof err));
    ck_assert(!found);
    ck_assert_uint_eq(v.len, 9);
    db_close(db);

    db = open_db("a", false);
    ck_assert(db_get(db, bk, 3, &v, &found, err, sizeof err));
    ck_assert(found);
    ck_assert_uint_eq(v.len, 4);
    ck_assert_mem_eq(v.data, bv, 4);
    ck_assert(db_exists(db, "k1", 2, &found, err, sizeof err));
    ck_assert(!found);
    db_close(db);

    /* wipe starts from nothing. */
    db = open_db("a", true);
    ck_assert(db_exists(db, bk, 3, &found, err, sizeof err));
    ck_assert(!found);
    db_close(db);
    buf_clear(&v);
}
END_TEST

START_TEST(batch_atomic)
{
    struct db *db = open_db("b", false);
    ck_assert(db_put(db, "gone", 4, "x", 1, false, err, sizeof err));
    struct db_batch *b = db_batch_new();
    ck_assert_ptr_nonnull(b);
    db_batch_put(b, "one", 3, "1", 1);
    db_batch_put(b, "two", 3, "2", 1);
    db_batch_delete(b, "gone", 4);
    ck_assert_uint_eq(db_batch_count(b), 3);
    ck_assert_uint_gt(db_batch_bytes(b), 10);
    /* Nothing is visible before the write. */
    bool found = true;
    ck_assert(db_exists(db, "one", 3, &found, err, sizeof err));
    ck_assert(!found);
    ck_assert(db_write(db, b, true, err, sizeof err));
    ck_assert(db_exists(db, "one", 3, &found, err, sizeof err));
    ck_assert(found);
    ck_assert(db_exists(db, "two", 3, &found, err, sizeof err));
    ck_assert(found);
    ck_assert(db_exists(db, "gone", 4, &found, err, sizeof err));
    ck_assert(!found);
    db_batch_clear(b);
    ck_assert_uint_eq(db_batch_count(b), 0);
    ck_assert_uint_eq(db_batch_bytes(b), 0);
    /* Later operations in one batch win over earlier ones. */
    db_batch_put(b, "k", 1, "a", 1);
    db_batch_delete(b, "k", 1);
    db_batch_put(b, "k2", 2, "a", 1);
    db_batch_put(b, "k2", 2, "b", 1);
    ck_assert(db_write(db, b, false, err, sizeof err));
    ck_assert(db_exists(db, "k", 1, &found, err, sizeof err));
    ck_assert(!found);
    struct buf v;
    buf_init(&v);
    ck_assert(db_get(db, "k2", 2, &v, &found, err, sizeof err));
    ck_assert(found);
    ck_assert_mem_eq(v.data, "b", 1);
    buf_clear(&v);
    db_batch_free(b);
    db_batch_free(NULL);
    db_close(db);
}
END_TEST

static void put_s(struct db *db, const char *k, const char *v)
{
    ck_assert(db_put(db, k, strlen(k), v, strlen(v), false, err, sizeof err));
}

START_TEST(iterate_prefix)
{
    struct db *db = open_db("c", false);
    put_s(db, "a1", "x");
    put_s(db, "b", "only-prefix");
    put_s(db, "b1", "one");
    put_s(db, "b2", "two");
    put_s(db, "b3", "three");
    put_s(db, "c", "after");

    struct db_iter *it = db_iter_new(db);
    ck_assert_ptr_nonnull(it);
    ck_assert(!db_iter_valid(it));
    const char *expect[] = {"b", "b1", "b2", "b3"};
    size_t n = 0, klen, vlen;
    for (db_iter_seek_prefix(it, "b", 1); db_iter_valid(it); db_iter_next(it)) {
        ck_assert_uint_lt(n, 4);
        const uint8_t *k = db_iter_key(it, &klen);
        ck_assert_uint_eq(klen, strlen(expect[n]));
        ck_assert_mem_eq(k, expect[n], klen);
        n++;
    }
    ck_assert_uint_eq(n, 4);
    ck_assert(db_iter_status(it, err, sizeof err));

    /* Resuming inside the prefix. */
    db_iter_seek_prefix_from(it, "b", 1, "b2", 2);
    ck_assert(db_iter_valid(it));
    const uint8_t *v = db_iter_value(it, &vlen);
    ck_assert_uint_eq(vlen, 3);
    ck_assert_mem_eq(v, "two", 3);

    /* An absent prefix. */
    db_iter_seek_prefix(it, "bz", 2);
    ck_assert(!db_iter_valid(it));
    db_iter_seek_prefix(it, "z", 1);
    ck_assert(!db_iter_valid(it));

    /* Unbounded seek runs to the end. */
    n = 0;
    for (db_iter_seek(it, "b3", 2); db_iter_valid(it); db_iter_next(it))
        n++;
    ck_assert_uint_eq(n, 2);
    n = 0;
    for (db_iter_seek_first(it); db_iter_valid(it); db_iter_next(it))
        n++;
    ck_assert_uint_eq(n, 6);
    db_iter_free(it);

    /* An iterator sees the snapshot of its creation. */
    it = db_iter_new(db);
    put_s(db, "b4", "four");
    n = 0;
    for (db_iter_seek_prefix(it, "b", 1); db_iter_valid(it); db_iter_next(it))
        n++;
    ck_assert_uint_eq(n, 4);
    db_iter_free(it);
    db_iter_free(NULL);
    db_close(db);
}
END_TEST

START_TEST(open_errors)
{
    struct db_options o;
    db_options_default(&o);
    o.create_if_missing = false;
    char path[128];
    snprintf(path, sizeof path, "%s/missing", dir);
    struct db *db = (struct db *)&o; /* sentinel: must stay untouched */
    err[0] = 0;
    ck_assert(!db_open(path, &o, &db, err, sizeof err));
    ck_assert_ptr_eq(db, (struct db *)&o);
    ck_assert_uint_gt(strlen(err), 0);

    /* A second handle on an open database is refused (LevelDB's lock). */
    struct db *first = open_db("locked", false);
    snprintf(path, sizeof path, "%s/locked", dir);
    db_options_default(&o);
    err[0] = 0;
    ck_assert(!db_open(path, &o, &db, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "lock"));
    db_close(first);
    db_close(NULL);

    /* A path that is a regular file cannot hold a database. */
    snprintf(path, sizeof path, "%s/file", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fclose(f);
    db_options_default(&o);
    ck_assert(!db_open(path, &o, &db, err, sizeof err));
    ck_assert(db_destroy("/tmp/souk_test_db_never_existed", err, sizeof err));
}
END_TEST

START_TEST(corrupt_table_reported)
{
    /* Write enough to produce table files, then damage one: reads report
     * LevelDB's corruption message instead of crashing. */
    struct db *db = open_db("d", false);
    char k[16], v[200];
    memset(v, 'v', sizeof v);
    for (int i = 0; i < 2000; i++) {
        snprintf(k, sizeof k, "key%06d", i);
        ck_assert(db_put(db, k, strlen(k), v, sizeof v, false, err, sizeof err));
    }
    db_close(db);
    db = open_db("d", false); /* the reopen flushes the log into a table */
    db_close(db);

    char path[256];
    snprintf(path, sizeof path, "%s/d", dir);
    /* Find a .ldb table file and overwrite its middle. */
    char cmd[512];
    snprintf(cmd, sizeof cmd, "ls %s/*.ldb 2>/dev/null | head -1", path);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    char table[256] = {0};
    ck_assert_ptr_nonnull(fgets(table, sizeof table, p));
    pclose(p);
    table[strcspn(table, "\n")] = 0;
    FILE *f = fopen(table, "r+b");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    ck_assert_int_gt(size, 4096);
    char junk[2048];
    memset(junk, 0x5a, sizeof junk);
    fseek(f, 100, SEEK_SET);
    fwrite(junk, 1, sizeof junk, f);
    fclose(f);

    struct db_options o;
    db_options_default(&o);
    bool opened = db_open(path, &o, &db, err, sizeof err);
    if (!opened) {
        ck_assert_uint_gt(strlen(err), 0);
        return;
    }
    /* Without paranoid checks the damage shows up on read or iteration. */
    bool any_error = false;
    struct buf val;
    buf_init(&val);
    for (int i = 0; i < 2000 && !any_error; i++) {
        bool found;
        snprintf(k, sizeof k, "key%06d", i);
        err[0] = 0;
        if (!db_get(db, k, strlen(k), &val, &found, err, sizeof err)) {
            any_error = true;
            ck_assert_ptr_nonnull(strstr(err, "orrupt"));
        }
    }
    buf_clear(&val);
    struct db_iter *it = db_iter_new(db);
    for (db_iter_seek_first(it); db_iter_valid(it); db_iter_next(it))
        ;
    if (!db_iter_status(it, err, sizeof err))
        any_error = true;
    db_iter_free(it);
    ck_assert(any_error);
    db_close(db);
}
END_TEST

Suite *unit_suite(void)
{
    static const struct fixture_case tc = {.name = "db", .setup = setup, .teardown = teardown};
    const TTest *tests[] = {
        put_get_delete_persist, batch_atomic, iterate_prefix, open_errors, corrupt_table_reported,
        NULL
    };
    return fixture_suite("db", &tc, tests);
}
