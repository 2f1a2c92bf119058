#define _XOPEN_SOURCE 700
#include "unit.h"
#include "fixture.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "wallet/walletdb.h"
#include "wallet/walletdb_chat.h"

static char dir[256];
static char path[300];

static void setup(void)
{
    fixture_tmpdir_make(dir, sizeof dir, "walletdb_chat");
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
    /* a file with no records counts as an unfinished creation */
    ck_assert_int_eq(walletdb_meta_put_int(db, "x", 1), WALLET_OK);
    return db;
}

static struct walletdb *reopen(struct walletdb *db)
{
    if (db != NULL)
        walletdb_close(db);
    struct walletdb *again = NULL;
    char err[256] = "";
    ck_assert_msg(walletdb_open(path, false, &again, err, sizeof err) == WALLET_OK, "%s", err);
    return again;
}

static void sql(const char *statement)
{
    sqlite3 *s;
    ck_assert_int_eq(sqlite3_open(path, &s), SQLITE_OK);
    ck_assert_msg(sqlite3_exec(s, statement, NULL, NULL, NULL) == SQLITE_OK, "%s: %s", statement,
                  sqlite3_errmsg(s));
    sqlite3_close(s);
}

/* Message n: own key 0xA0 + (n % 2), counterparty 0xC0 + (n % 3), about
 * order 0x0D when n % 4 == 0, sent when n % 5 == 0, at time 1000 + n. */
static void message(struct walletdb_chat *m, int n, int kind)
{
    walletdb_chat_init(m);
    memset(m->id, n, 32);
    memset(m->own, 0xA0 + n % 2, 32);
    memset(m->counterparty, 0xC0 + n % 3, 32);
    m->has_order = n % 4 == 0;
    if (m->has_order)
        memset(m->order_id, 0x0D, 32);
    m->outgoing = n % 5 == 0;
    m->read = m->outgoing;
    m->timestamp = 1000 + n;
    m->expires = m->timestamp + 3600;
    m->received = 2000 + n;
    m->kind = kind;
    if (kind == ENVELOPE_KIND_ATTACHMENT) {
        snprintf(m->mime, sizeof m->mime, "image/png");
        static const char name[] = "a\0b.png";
        memcpy(m->name, name, sizeof name - 1);
        m->name_len = sizeof name - 1;
        for (int i = 0; i < 300; i++)
            ck_assert(buf_append(&m->body, (const uint8_t[]){(uint8_t)i}, 1));
    } else {
        char text[32];
        int len = snprintf(text, sizeof text, "message %d", n);
        ck_assert(buf_append(&m->body, text, (size_t)len));
    }
}

static void put(struct walletdb *db, int n, int kind)
{
    struct walletdb_chat m;
    message(&m, n, kind);
    bool added = false;
    ck_assert_int_eq(walletdb_chat_put(db, &m, &added), WALLET_OK);
    ck_assert(added);
    walletdb_chat_clear(&m);
}

START_TEST(put_get_and_duplicates)
{
    struct walletdb *db = make();
    put(db, 1, ENVELOPE_KIND_TEXT);
    put(db, 2, ENVELOPE_KIND_ATTACHMENT);
    put(db, 3, WALLETDB_CHAT_SEALED);

    /* the same id again is not a second row, and does not change the first */
    struct walletdb_chat m;
    message(&m, 1, ENVELOPE_KIND_TEXT);
    buf_reset(&m.body);
    ck_assert(buf_append(&m.body, "other", 5));
    bool added = true;
    ck_assert_int_eq(walletdb_chat_put(db, &m, &added), WALLET_OK);
    ck_assert(!added);
    walletdb_chat_clear(&m);

    db = reopen(db);
    uint8_t id[32];
    memset(id, 1, 32);
    bool found = false;
    walletdb_chat_init(&m);
    ck_assert_int_eq(walletdb_chat_get(db, id, true, &m, &found), WALLET_OK);
    ck_assert(found);
    ck_assert_int_eq(m.kind, ENVELOPE_KIND_TEXT);
    ck_assert_uint_eq(m.size, 9);
    ck_assert_mem_eq(m.body.data, "message 1", 9);
    ck_assert(!m.outgoing && !m.read && !m.has_order);
    ck_assert_int_eq(m.timestamp, 1001);
    ck_assert_int_eq(m.expires, 4601);
    ck_assert_int_eq(m.received, 2001);
    ck_assert_int_eq(m.own[0], 0xA1);
    ck_assert_int_eq(m.counterparty[31], 0xC1);
    walletdb_chat_clear(&m);

    /* an attachment, with and without its bytes; a NUL in the name stays */
    memset(id, 2, 32);
    ck_assert_int_eq(walletdb_chat_get(db, id, false, &m, &found), WALLET_OK);
    ck_assert(found);
    ck_assert_int_eq(m.kind, ENVELOPE_KIND_ATTACHMENT);
    ck_assert_uint_eq(m.size, 300);
    ck_assert_uint_eq(m.body.len, 0);
    ck_assert_str_eq(m.mime, "image/png");
    ck_assert_uint_eq(m.name_len, 7);
    ck_assert_mem_eq(m.name, "a\0b.png", 7);
    walletdb_chat_clear(&m);
    ck_assert_int_eq(walletdb_chat_get(db, id, true, &m, &found), WALLET_OK);
    ck_assert_uint_eq(m.body.len, 300);
    ck_assert_int_eq(m.body.data[299], (uint8_t)299);
    walletdb_chat_clear(&m);

    /* sealed, then opened */
    memset(id, 3, 32);
    ck_assert_int_eq(walletdb_chat_get(db, id, true, &m, &found), WALLET_OK);
    ck_assert_int_eq(m.kind, WALLETDB_CHAT_SEALED);
    walletdb_chat_clear(&m);
    ck_assert_int_eq(
        walletdb_chat_set_open(db, id, ENVELOPE_KIND_ATTACHMENT, "\x01\x02", 2, "text/plain",
                               "n.txt", 5),
        WALLET_OK);
    ck_assert_int_eq(walletdb_chat_get(db, id, true, &m, &found), WALLET_OK);
    ck_assert_int_eq(m.kind, ENVELOPE_KIND_ATTACHMENT);
    ck_assert_uint_eq(m.body.len, 2);
    ck_assert_str_eq(m.mime, "text/plain");
    ck_assert_str_eq(m.name, "n.txt");
    walletdb_chat_clear(&m);

    memset(id, 9, 32);
    ck_assert_int_eq(walletdb_chat_have(db, id, &found), WALLET_OK);
    ck_assert(!found);
    ck_assert_int_eq(walletdb_chat_get(db, id, true, &m, &found), WALLET_OK);
    ck_assert(!found);
    memset(id, 3, 32);
    ck_assert_int_eq(walletdb_chat_delete(db, id), WALLET_OK);
    ck_assert_int_eq(walletdb_chat_have(db, id, &found), WALLET_OK);
    ck_assert(!found);

    /* a damaged row is reported, not passed on */
    walletdb_close(db);
    sql("UPDATE chat SET kind=7 WHERE kind=0");
    db = reopen(NULL);
    memset(id, 1, 32);
    ck_assert_int_eq(walletdb_chat_get(db, id, true, &m, &found), WALLET_ERR_CORRUPT);
    walletdb_chat_clear(&m);
    walletdb_close(db);
}
END_TEST

struct seen {
    int ids[32];
    size_t n;
};

static bool note(void *ctx, const struct walletdb_chat *m)
{
    struct seen *s = ctx;
    s->ids[s->n++] = m->id[0];
    return s->n < 32;
}

/* A walk with bodies carries the texts', not the attachments'. */
static bool bodies(void *ctx, const struct walletdb_chat *m)
{
    int *n = ctx;
    ck_assert_uint_eq(m->body.len, m->kind == ENVELOPE_KIND_TEXT ? 9 + (m->id[0] >= 10) : 0);
    if (m->kind == ENVELOPE_KIND_ATTACHMENT)
        ck_assert_uint_eq(m->size, 300);
    (*n)++;
    return true;
}

static struct seen walk(struct walletdb *db, const struct walletdb_chat_filter *f, size_t count,
                        size_t skip)
{
    struct seen s = {.n = 0};
    ck_assert_int_eq(walletdb_chat_for_each(db, f, count, skip, false, note, &s), WALLET_OK);
    return s;
}

START_TEST(walks_and_filters)
{
    struct walletdb *db = make();
    for (int n = 1; n <= 12; n++)
        put(db, n, n == 7 ? WALLETDB_CHAT_SEALED : n == 9 ? ENVELOPE_KIND_ATTACHMENT
                                                           : ENVELOPE_KIND_TEXT);
    int visited = 0;
    ck_assert_int_eq(walletdb_chat_for_each(db, NULL, 100, 0, true, bodies, &visited), WALLET_OK);
    ck_assert_int_eq(visited, 12);

    struct seen s = walk(db, NULL, 100, 0);
    ck_assert_uint_eq(s.n, 12);
    for (size_t i = 0; i < s.n; i++)
        ck_assert_int_eq(s.ids[i], 12 - (int)i); /* newest first */
    s = walk(db, NULL, 3, 2);
    ck_assert_uint_eq(s.n, 3);
    ck_assert_int_eq(s.ids[0], 10);
    ck_assert_int_eq(s.ids[2], 8);

    uint8_t cp[32], order[32];
    memset(cp, 0xC1, 32);
    memset(order, 0x0D, 32);
    struct walletdb_chat_filter f = {.counterparty = cp};
    s = walk(db, &f, 100, 0);
    ck_assert_uint_eq(s.n, 4); /* 10, 7, 4, 1 */
    ck_assert_int_eq(s.ids[0], 10);
    ck_assert_int_eq(s.ids[3], 1);
    f = (struct walletdb_chat_filter){.order_id = order};
    s = walk(db, &f, 100, 0);
    ck_assert_uint_eq(s.n, 3); /* 12, 8, 4 */
    f = (struct walletdb_chat_filter){.counterparty = cp, .order_id = order};
    s = walk(db, &f, 100, 0);
    ck_assert_uint_eq(s.n, 1);
    ck_assert_int_eq(s.ids[0], 4);
    f = (struct walletdb_chat_filter){.counterparty = cp, .no_order = true};
    s = walk(db, &f, 100, 0);
    ck_assert_uint_eq(s.n, 3);
    f = (struct walletdb_chat_filter){.unread_only = true};
    s = walk(db, &f, 100, 0);
    ck_assert_uint_eq(s.n, 10); /* 5 and 10 were sent */
    f = (struct walletdb_chat_filter){.sealed_only = true};
    s = walk(db, &f, 100, 0);
    ck_assert_uint_eq(s.n, 1);
    ck_assert_int_eq(s.ids[0], 7);

    uint8_t id[32];
    memset(id, 4, 32);
    bool found = false;
    ck_assert_int_eq(walletdb_chat_mark_read(db, id, &found), WALLET_OK);
    ck_assert(found);
    memset(id, 99, 32);
    ck_assert_int_eq(walletdb_chat_mark_read(db, id, &found), WALLET_OK);
    ck_assert(!found);
    f = (struct walletdb_chat_filter){.unread_only = true};
    s = walk(db, &f, 100, 0);
    ck_assert_uint_eq(s.n, 9);
    walletdb_close(db);
}
END_TEST

struct threads {
    struct walletdb_chat_thread t[16];
    size_t n;
};

static bool add_thread(void *ctx, const struct walletdb_chat_thread *t)
{
    struct threads *all = ctx;
    all->t[all->n++] = *t;
    return all->n < 16;
}

START_TEST(threads_and_last_own)
{
    struct walletdb *db = make();
    for (int n = 1; n <= 12; n++)
        put(db, n, ENVELOPE_KIND_TEXT);
    struct threads all = {.n = 0};
    ck_assert_int_eq(walletdb_chat_threads(db, add_thread, &all), WALLET_OK);
    /* own × counterparty × order: n=1..12 fall into 9 threads */
    ck_assert_uint_eq(all.n, 9);
    uint64_t total = 0, unread = 0;
    for (size_t i = 0; i < all.n; i++) {
        total += all.t[i].messages;
        unread += all.t[i].unread;
    }
    ck_assert_uint_eq(total, 12);
    ck_assert_uint_eq(unread, 10);
    /* the newest message's thread first: 12 (own A0, counterparty C0, order) */
    ck_assert_int_eq(all.t[0].last_id[0], 12);
    ck_assert(all.t[0].has_order);
    ck_assert_int_eq(all.t[0].own[0], 0xA0);
    ck_assert_int_eq(all.t[0].counterparty[0], 0xC0);
    ck_assert_uint_eq(all.t[0].messages, 1);
    /* A1 with C1 without an order: 1 and 7 (4 is about the order, 10 is A0's) */
    bool met = false;
    for (size_t i = 0; i < all.n; i++)
        if (all.t[i].own[0] == 0xA1 && all.t[i].counterparty[0] == 0xC1 && !all.t[i].has_order) {
            ck_assert_uint_eq(all.t[i].messages, 2);
            ck_assert_int_eq(all.t[i].last_id[0], 7);
            met = true;
        }
    ck_assert(met);

    uint8_t cp[32], order[32], own[32];
    memset(cp, 0xC1, 32);
    memset(order, 0x0D, 32);
    bool found = false;
    /* with C1: 10 (A0) is the newest, and about the order 4 (A0 too) */
    ck_assert_int_eq(walletdb_chat_last_own(db, cp, NULL, own, &found), WALLET_OK);
    ck_assert(found);
    ck_assert_int_eq(own[0], 0xA0);
    /* a newer one from A1 about no order wins, except for the order */
    struct walletdb_chat m;
    message(&m, 40, ENVELOPE_KIND_TEXT); /* counterparty C1 */
    m.own[0] = 0xA1;
    m.has_order = false;
    m.timestamp = 1100;
    bool added;
    ck_assert_int_eq(walletdb_chat_put(db, &m, &added), WALLET_OK);
    walletdb_chat_clear(&m);
    ck_assert_int_eq(walletdb_chat_last_own(db, cp, NULL, own, &found), WALLET_OK);
    ck_assert_int_eq(own[0], 0xA1);
    ck_assert_int_eq(walletdb_chat_last_own(db, cp, order, own, &found), WALLET_OK);
    ck_assert_int_eq(own[0], 0xA0);
    memset(cp, 0xEE, 32);
    ck_assert_int_eq(walletdb_chat_last_own(db, cp, order, own, &found), WALLET_OK);
    ck_assert(!found);
    walletdb_close(db);
}
END_TEST

START_TEST(version_1_is_upgraded)
{
    struct walletdb *db = make();
    struct walletdb_key k;
    memset(&k, 0, sizeof k);
    k.pubkey[0] = 7;
    k.secret_len = 32;
    k.created = 5;
    ck_assert_int_eq(walletdb_key_put(db, &k), WALLET_OK);
    walletdb_close(db);
    /* what a wallet of schema version 1 holds: no chat table */
    sql("DROP TABLE chat; UPDATE schema_version SET version=1");

    struct walletdb *old = NULL;
    char err[256] = "";
    ck_assert_msg(walletdb_open(path, false, &old, err, sizeof err) == WALLET_OK, "%s", err);
    ck_assert_int_eq(walletdb_schema_version(old), 2);
    bool found = false;
    ck_assert_int_eq(walletdb_key_get(old, k.pubkey, &k, &found), WALLET_OK);
    ck_assert(found);
    put(old, 1, ENVELOPE_KIND_TEXT);
    walletdb_close(old);
    old = NULL;
    ck_assert_int_eq(walletdb_open(path, false, &old, err, sizeof err), WALLET_OK);
    ck_assert_int_eq(walletdb_schema_version(old), 2);
    uint8_t id[32];
    memset(id, 1, 32);
    ck_assert_int_eq(walletdb_chat_have(old, id, &found), WALLET_OK);
    ck_assert(found);
    walletdb_close(old);

    /* an upgrade that cannot finish changes nothing: the file stays at 1 */
    sql("DROP TABLE chat; CREATE TABLE chat(x); UPDATE schema_version SET version=1");
    old = NULL;
    err[0] = '\0';
    ck_assert_int_eq(walletdb_open(path, false, &old, err, sizeof err), WALLET_ERR_DB);
    ck_assert_ptr_null(old);
    ck_assert_msg(strstr(err, "from schema version 1 to 2") != NULL, "%s", err);
    sqlite3 *s;
    ck_assert_int_eq(sqlite3_open(path, &s), SQLITE_OK);
    sqlite3_stmt *st;
    ck_assert_int_eq(sqlite3_prepare_v2(s, "SELECT version FROM schema_version", -1, &st, NULL),
                     SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    ck_assert_int_eq(sqlite3_column_int(st, 0), 1);
    sqlite3_finalize(st);
    sqlite3_close(s);

    /* a version-2 file without its chat table is damaged */
    sql("DROP TABLE chat; UPDATE schema_version SET version=2");
    ck_assert_int_eq(walletdb_open(path, false, &old, err, sizeof err), WALLET_ERR_CORRUPT);
    ck_assert_msg(strstr(err, "chat") != NULL, "%s", err);
}
END_TEST

Suite *unit_suite(void)
{
    static const struct fixture_case tc = {.setup = setup, .teardown = teardown, .timeout = 30};
    const TTest *tests[] = {put_get_and_duplicates, walks_and_filters, threads_and_last_own,
                            version_1_is_upgraded, NULL};
    return fixture_suite("walletdb_chat", &tc, tests);
}
