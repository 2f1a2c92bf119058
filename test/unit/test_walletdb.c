#define _XOPEN_SOURCE 700
#include "unit.h"
#include "fixture.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wallet/walletdb.h"

static char dir[256];
static char path[300];

static void setup(void)
{
    fixture_tmpdir_make(dir, sizeof dir, "walletdb");
    snprintf(path, sizeof path, "%s/wallet.sqlite", dir);
}

static void teardown(void)
{
    fixture_tmpdir_remove(dir);
}

static struct walletdb *make(void)
{
    struct walletdb *db = NULL;
    char err[256] = "";
    ck_assert_msg(walletdb_open(path, true, &db, err, sizeof err) == WALLET_OK, "%s", err);
    return db;
}

static void write_file(const char *p, const char *text)
{
    FILE *f = fopen(p, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

START_TEST(create_open_and_refusals)
{
    struct walletdb *db = make();
    ck_assert_int_eq(walletdb_schema_version(db), WALLETDB_SCHEMA_VERSION);
    ck_assert_int_eq(walletdb_meta_put_int(db, "x", 1), WALLET_OK);
    walletdb_close(db);
    char err[256];
    struct walletdb *db2 = NULL;
    ck_assert_int_eq(walletdb_open(path, true, &db2, err, sizeof err), WALLET_ERR_EXISTS);
    ck_assert_ptr_null(db2);
    ck_assert_int_eq(walletdb_open(path, false, &db2, err, sizeof err), WALLET_OK);
    ck_assert_int_eq(walletdb_schema_version(db2), WALLETDB_SCHEMA_VERSION);
    walletdb_close(db2);

    char missing[320];
    snprintf(missing, sizeof missing, "%s/none.sqlite", dir);
    ck_assert_int_eq(walletdb_open(missing, false, &db2, err, sizeof err), WALLET_ERR_NOT_FOUND);

    /* a text file */
    char other[320];
    snprintf(other, sizeof other, "%s/text.sqlite", dir);
    write_file(other, "this is not a database, just some words in a file\n");
    err[0] = '\0';
    db2 = NULL;
    ck_assert_int_eq(walletdb_open(other, false, &db2, err, sizeof err), WALLET_ERR_CORRUPT);
    ck_assert_msg(strstr(err, "not a wallet") != NULL, "%s", err);
    ck_assert_ptr_null(db2);

    /* an SQLite database of someone else */
    snprintf(other, sizeof other, "%s/foreign.sqlite", dir);
    sqlite3 *s;
    ck_assert_int_eq(sqlite3_open(other, &s), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(s, "CREATE TABLE t(x)", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(s);
    ck_assert_int_eq(walletdb_open(other, false, &db2, err, sizeof err), WALLET_ERR_CORRUPT);
    ck_assert_msg(strstr(err, "another application") != NULL, "%s", err);

    /* a directory */
    ck_assert_int_eq(walletdb_open(dir, false, &db2, err, sizeof err), WALLET_ERR_CORRUPT);
}
END_TEST

START_TEST(schema_version_checked)
{
    struct walletdb *made = make();
    ck_assert_int_eq(walletdb_meta_put_int(made, "x", 1), WALLET_OK);
    walletdb_close(made);
    sqlite3 *s;
    ck_assert_int_eq(sqlite3_open(path, &s), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(s, "UPDATE schema_version SET version=99", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(s);
    struct walletdb *db = NULL;
    char err[256];
    ck_assert_int_eq(walletdb_open(path, false, &db, err, sizeof err), WALLET_ERR_CORRUPT);
    ck_assert_msg(strstr(err, "99") != NULL, "%s", err);

    ck_assert_int_eq(sqlite3_open(path, &s), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(s, "DROP TABLE schema_version", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(s);
    ck_assert_int_eq(walletdb_open(path, false, &db, err, sizeof err), WALLET_ERR_CORRUPT);
    ck_assert_msg(strstr(err, "schema") != NULL, "%s", err);
}
END_TEST

START_TEST(meta_and_transactions)
{
    struct walletdb *db = make();
    int64_t v = 0;
    bool found = true;
    ck_assert_int_eq(walletdb_meta_get_int(db, "x", &v, &found), WALLET_OK);
    ck_assert(!found);
    ck_assert_int_eq(walletdb_meta_put_int(db, "x", 42), WALLET_OK);
    ck_assert_int_eq(walletdb_meta_get_int(db, "x", &v, &found), WALLET_OK);
    ck_assert(found);
    ck_assert_int_eq(v, 42);
    /* a blob read as an integer is refused */
    ck_assert_int_eq(walletdb_meta_put_blob(db, "b", "\x01\x02", 2), WALLET_OK);
    ck_assert_int_eq(walletdb_meta_get_int(db, "b", &v, &found), WALLET_ERR_CORRUPT);
    struct buf b;
    buf_init(&b);
    ck_assert_int_eq(walletdb_meta_get_blob(db, "b", &b, &found), WALLET_OK);
    ck_assert(found && b.len == 2 && b.data[1] == 2);

    /* a rolled-back txn leaves nothing */
    ck_assert_int_eq(walletdb_begin(db), WALLET_OK);
    ck_assert_int_eq(walletdb_meta_put_int(db, "x", 7), WALLET_OK);
    walletdb_rollback(db);
    ck_assert_int_eq(walletdb_meta_get_int(db, "x", &v, &found), WALLET_OK);
    ck_assert_int_eq(v, 42);
    ck_assert_int_eq(walletdb_meta_del(db, "x"), WALLET_OK);
    ck_assert_int_eq(walletdb_meta_get_int(db, "x", &v, &found), WALLET_OK);
    ck_assert(!found);
    buf_clear(&b);
    walletdb_close(db);
}
END_TEST

static bool count_key(void *ctx, const struct walletdb_key *k)
{
    int64_t *order = ctx;
    order[order[0] + 1] = k->index;
    order[0]++;
    return true;
}

START_TEST(keys)
{
    struct walletdb *db = make();
    struct walletdb_key k;
    for (int i = 0; i < 3; i++) {
        memset(&k, 0, sizeof k);
        k.pubkey[0] = (uint8_t)(10 - i);
        k.secret_len = 32;
        memset(k.secret, i + 1, 32);
        k.index = i == 2 ? -1 : i;
        k.used = i != 1;
        snprintf(k.label, sizeof k.label, "label%d", i);
        k.created = 1000 + i;
        ck_assert_int_eq(walletdb_key_put(db, &k), WALLET_OK);
    }
    uint8_t pub[32] = {9};
    bool found;
    ck_assert_int_eq(walletdb_key_get(db, pub, &k, &found), WALLET_OK);
    ck_assert(found);
    ck_assert_int_eq(k.index, 1);
    ck_assert(!k.used);
    ck_assert_str_eq(k.label, "label1");
    ck_assert_int_eq(walletdb_key_set_used(db, pub, "shop"), WALLET_OK);
    ck_assert_int_eq(walletdb_key_get(db, pub, &k, &found), WALLET_OK);
    ck_assert(k.used);
    ck_assert_str_eq(k.label, "shop");
    uint8_t sec[60];
    memset(sec, 0x5a, sizeof sec);
    ck_assert_int_eq(walletdb_key_set_secret(db, pub, sec, sizeof sec), WALLET_OK);
    ck_assert_int_eq(walletdb_key_get(db, pub, &k, &found), WALLET_OK);
    ck_assert_uint_eq(k.secret_len, 60);
    pub[0] = 99;
    ck_assert_int_eq(walletdb_key_get(db, pub, &k, &found), WALLET_OK);
    ck_assert(!found);
    /* used first by index, imported keys after derived ones */
    int64_t order[8] = {0};
    ck_assert_int_eq(walletdb_key_for_each(db, count_key, order), WALLET_OK);
    ck_assert_int_eq(order[0], 3);
    ck_assert_int_eq(order[1], 0);
    ck_assert_int_eq(order[2], 1);
    ck_assert_int_eq(order[3], -1);
    walletdb_close(db);
}
END_TEST

struct txlist {
    uint8_t first[8];
    size_t n;
};

static bool list_tx(void *ctx, const struct walletdb_tx *t)
{
    struct txlist *l = ctx;
    if (l->n < 8)
        l->first[l->n] = t->txid[0];
    l->n++;
    return true;
}

static void put_tx(struct walletdb *db, uint8_t id, bool confirmed, uint64_t height,
                   uint8_t block, uint32_t pos)
{
    struct walletdb_tx t;
    memset(&t, 0, sizeof t);
    t.txid[0] = id;
    t.type = 1;
    t.confirmed = confirmed;
    t.height = height;
    t.block_hash[0] = block;
    t.position = pos;
    t.in = 5;
    t.time_seen = 100;
    snprintf(t.category, sizeof t.category, "receive");
    snprintf(t.address, sizeof t.address, "rsouk1x");
    ck_assert_int_eq(walletdb_tx_put(db, &t, (const uint8_t *)"raw", 3), WALLET_OK);
}

START_TEST(txs)
{
    struct walletdb *db = make();
    put_tx(db, 1, true, 5, 0xa5, 1);
    put_tx(db, 2, true, 6, 0xa6, 1);
    put_tx(db, 3, false, 0, 0, 0);
    put_tx(db, 4, true, 6, 0xa6, 2);
    struct txlist l = {{0}, 0};
    ck_assert_int_eq(walletdb_tx_for_each(db, WALLETDB_TX_ALL, 10, 0, list_tx, &l), WALLET_OK);
    ck_assert_uint_eq(l.n, 4);
    /* newest first: the unconfirmed, then by height and position */
    ck_assert_uint_eq(l.first[0], 3);
    ck_assert_uint_eq(l.first[1], 4);
    ck_assert_uint_eq(l.first[2], 2);
    ck_assert_uint_eq(l.first[3], 1);
    memset(&l, 0, sizeof l);
    ck_assert_int_eq(walletdb_tx_for_each(db, WALLETDB_TX_ALL, 2, 1, list_tx, &l), WALLET_OK);
    ck_assert_uint_eq(l.n, 2);
    ck_assert_uint_eq(l.first[0], 4);

    /* confirming the unconfirmed one keeps its first-seen data */
    put_tx(db, 3, true, 7, 0xa7, 1);
    struct walletdb_tx t;
    struct buf raw;
    buf_init(&raw);
    bool found;
    uint8_t id[32] = {3};
    ck_assert_int_eq(walletdb_tx_get(db, id, &t, &raw, &found), WALLET_OK);
    ck_assert(found && t.confirmed && t.height == 7 && t.block_hash[0] == 0xa7);
    ck_assert_uint_eq(raw.len, 3);
    ck_assert_int_eq(walletdb_tx_unconfirm_block(db, (uint8_t[32]){0xa6}), WALLET_OK);
    id[0] = 2;
    ck_assert_int_eq(walletdb_tx_get(db, id, &t, NULL, &found), WALLET_OK);
    ck_assert(found && !t.confirmed);
    ck_assert_int_eq(walletdb_tx_unconfirm_above(db, 5), WALLET_OK);
    memset(&l, 0, sizeof l);
    ck_assert_int_eq(walletdb_tx_for_each(db, WALLETDB_TX_UNCONFIRMED, 10, 0, list_tx, &l),
                     WALLET_OK);
    ck_assert_uint_eq(l.n, 3);
    ck_assert_int_eq(walletdb_tx_unconfirm_height(db, 5, (uint8_t[32]){0}), WALLET_OK);
    uint64_t n;
    ck_assert_int_eq(walletdb_tx_count(db, &n), WALLET_OK);
    ck_assert_uint_eq(n, 4);
    id[0] = 9;
    ck_assert_int_eq(walletdb_tx_get(db, id, &t, NULL, &found), WALLET_OK);
    ck_assert(!found);
    id[0] = 1;
    ck_assert_int_eq(walletdb_tx_delete(db, id), WALLET_OK);
    ck_assert_int_eq(walletdb_tx_get(db, id, &t, NULL, &found), WALLET_OK);
    ck_assert(!found);
    ck_assert_int_eq(walletdb_tx_count(db, &n), WALLET_OK);
    ck_assert_uint_eq(n, 3);

    /* A height's confirmations on another branch go; the kept block's stay. */
    put_tx(db, 5, true, 8, 0xb1, 0);
    put_tx(db, 6, true, 8, 0xb2, 0);
    ck_assert_int_eq(walletdb_tx_unconfirm_height(db, 8, (uint8_t[32]){0xb1}), WALLET_OK);
    id[0] = 5;
    ck_assert_int_eq(walletdb_tx_get(db, id, &t, NULL, &found), WALLET_OK);
    ck_assert(found && t.confirmed && t.height == 8 && t.block_hash[0] == 0xb1);
    id[0] = 6;
    ck_assert_int_eq(walletdb_tx_get(db, id, &t, NULL, &found), WALLET_OK);
    ck_assert(found && !t.confirmed);
    buf_clear(&raw);
    walletdb_close(db);
}
END_TEST

START_TEST(backup_is_a_wallet)
{
    struct walletdb *db = make();
    ck_assert_int_eq(walletdb_meta_put_int(db, "x", 5), WALLET_OK);
    char copy[320], err[256];
    snprintf(copy, sizeof copy, "%s/copy.sqlite", dir);
    ck_assert_int_eq(walletdb_backup(db, copy, err, sizeof err), WALLET_OK);
    struct stat st;
    ck_assert_int_eq(stat(copy, &st), 0);
    ck_assert_uint_eq(st.st_mode & 0777, 0600); /* secrets: owner only */
    /* onto itself: refused */
    ck_assert_int_eq(walletdb_backup(db, path, err, sizeof err), WALLET_ERR_BAD_PARAMETER);
    char bad[320];
    snprintf(bad, sizeof bad, "%s/no/such/dir/x.sqlite", dir);
    ck_assert_int_eq(walletdb_backup(db, bad, err, sizeof err), WALLET_ERR_BAD_PARAMETER);
    /* An existing file is never replaced: not an older backup, not the
     * wallet's own write-ahead log, not any other file. */
    ck_assert_int_eq(walletdb_backup(db, copy, err, sizeof err), WALLET_ERR_BAD_PARAMETER);
    ck_assert_msg(strstr(err, "already exists") != NULL, "%s", err);
    snprintf(bad, sizeof bad, "%s-wal", path);
    struct stat wal_before, wal_after;
    ck_assert_int_eq(stat(bad, &wal_before), 0);
    ck_assert_int_eq(walletdb_backup(db, bad, err, sizeof err), WALLET_ERR_BAD_PARAMETER);
    ck_assert_int_eq(stat(bad, &wal_after), 0);
    ck_assert_uint_eq(wal_after.st_ino, wal_before.st_ino);
    snprintf(bad, sizeof bad, "%s/other", dir);
    FILE *f = fopen(bad, "w");
    ck_assert_ptr_nonnull(f);
    fputs("keep me", f);
    fclose(f);
    ck_assert_int_eq(walletdb_backup(db, bad, err, sizeof err), WALLET_ERR_BAD_PARAMETER);
    ck_assert_int_eq(stat(bad, &st), 0);
    ck_assert_uint_eq(st.st_size, 7);
    /* A dangling symlink is a name taken too. */
    snprintf(bad, sizeof bad, "%s/link", dir);
    ck_assert_int_eq(symlink("/nonexistent/target", bad), 0);
    ck_assert_int_eq(walletdb_backup(db, bad, err, sizeof err), WALLET_ERR_BAD_PARAMETER);
    /* Relative to the daemon's working directory: refused. */
    ck_assert_int_eq(walletdb_backup(db, "relative.sqlite", err, sizeof err),
                     WALLET_ERR_BAD_PARAMETER);
    ck_assert_msg(strstr(err, "absolute") != NULL, "%s", err);
    ck_assert_int_ne(access("relative.sqlite", F_OK), 0);
    walletdb_close(db);
    struct walletdb *c = NULL;
    ck_assert_int_eq(walletdb_open(copy, false, &c, err, sizeof err), WALLET_OK);
    int64_t v;
    bool found;
    ck_assert_int_eq(walletdb_meta_get_int(c, "x", &v, &found), WALLET_OK);
    ck_assert(found && v == 5);
    walletdb_close(c);
}
END_TEST

/* A damaged key row is refused without leaving its secret in the output. */
START_TEST(refused_key_row_leaves_no_secret)
{
    struct walletdb *db = make();
    struct walletdb_key k;
    memset(&k, 0, sizeof k);
    k.pubkey[0] = 7;
    k.secret_len = 32;
    memset(k.secret, 0xa7, 32);
    k.index = -5; /* no such index */
    ck_assert_int_eq(walletdb_key_put(db, &k), WALLET_OK);
    memset(&k, 0, sizeof k);
    bool found;
    uint8_t pub[32] = {7};
    ck_assert_int_eq(walletdb_key_get(db, pub, &k, &found), WALLET_ERR_CORRUPT);
    static const uint8_t zero[WALLETDB_SECRET_MAX];
    ck_assert_mem_eq(k.secret, zero, sizeof zero);
    walletdb_close(db);
}
END_TEST

/* What a creation killed half-way leaves holds nothing and is replaced by
 * the next creation; anything else of that name is not. */
START_TEST(unfinished_creation_is_replaced)
{
    char err[256] = "";
    struct walletdb *db = NULL;
    /* killed before the schema was committed: an empty database in WAL mode */
    sqlite3 *s;
    ck_assert_int_eq(sqlite3_open(path, &s), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(s, "PRAGMA journal_mode=WAL", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(s);
    ck_assert_msg(walletdb_open(path, true, &db, err, sizeof err) == WALLET_OK, "%s", err);
    walletdb_close(db);
    /* killed after the schema, before the first records: no wallet to load */
    ck_assert_int_eq(walletdb_open(path, false, &db, err, sizeof err), WALLET_ERR_NOT_FOUND);
    ck_assert_msg(strstr(err, "did not finish") != NULL, "%s", err);
    ck_assert_msg(walletdb_open(path, true, &db, err, sizeof err) == WALLET_OK, "%s", err);
    ck_assert_int_eq(walletdb_meta_put_int(db, "x", 1), WALLET_OK);
    walletdb_close(db);
    /* with a record it is a wallet */
    ck_assert_int_eq(walletdb_open(path, true, &db, err, sizeof err), WALLET_ERR_EXISTS);
    ck_assert_int_eq(walletdb_open(path, false, &db, err, sizeof err), WALLET_OK);
    int64_t v;
    bool found;
    ck_assert_int_eq(walletdb_meta_get_int(db, "x", &v, &found), WALLET_OK);
    ck_assert(found && v == 1);
    walletdb_close(db);
    /* someone else's database, even with empty tables, and a text file stay */
    char other[320];
    snprintf(other, sizeof other, "%s/foreign.sqlite", dir);
    ck_assert_int_eq(sqlite3_open(other, &s), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(s, "CREATE TABLE t(x)", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(s);
    ck_assert_int_eq(walletdb_open(other, true, &db, err, sizeof err), WALLET_ERR_EXISTS);
    snprintf(other, sizeof other, "%s/text.sqlite", dir);
    write_file(other, "some words\n");
    ck_assert_int_eq(walletdb_open(other, true, &db, err, sizeof err), WALLET_ERR_EXISTS);
    struct stat st;
    ck_assert_int_eq(stat(other, &st), 0);
    ck_assert_int_eq(st.st_size, 11);
}
END_TEST

Suite *unit_suite(void)
{
    static const struct fixture_case tc = {.setup = setup, .teardown = teardown, .timeout = 30};
    const TTest *tests[] = {
        create_open_and_refusals, schema_version_checked, meta_and_transactions, keys, txs,
        backup_is_a_wallet, refused_key_row_leaves_no_secret,
        unfinished_creation_is_replaced, NULL
    };
    return fixture_suite("walletdb", &tc, tests);
}
