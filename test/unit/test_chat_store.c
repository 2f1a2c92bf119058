#include "unit.h"
#include "fixture.h"

#include <string.h>

#include "consensus/envelope.h"
#include "plugins/chat/chat.h"
#include "plugins/chat/chat_store.h"

/* The chat store over an in-memory database made with the plugin's schema:
 * envelopes kept and served by id, duplicates ignored, expiry, the cap
 * (earliest to expire dropped first), totals kept by the triggers, and the
 * inventory walked in batches. */

static sqlite3 *db;
static char err[256];

static void open_db(void)
{
    ck_assert_int_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
    for (size_t i = 0; i < CHAT_STORE_N_SCHEMA; i++)
        ck_assert_msg(sqlite3_exec(db, chat_store_schema[i], NULL, NULL, NULL) == SQLITE_OK,
                      "%s", sqlite3_errmsg(db));
}

/* An envelope of `size` ciphertext bytes expiring at `expires` (not
 * signed: the store keeps what the plugin checked). */
static void make(struct envelope *e, uint8_t tag, size_t size, uint64_t expires,
                 uint8_t id[32], struct buf *bytes)
{
    envelope_init(e);
    fixture_pubkey(e->sender);
    fixture_pubkey(e->recipient);
    e->timestamp = expires - 100;
    e->ttl = 100;
    ck_assert(buf_reserve(&e->ciphertext, size));
    memset(e->ciphertext.data, tag, size);
    e->ciphertext.len = size;
    ck_assert(envelope_id(e, id));
    buf_init(bytes);
    ck_assert(envelope_encode(e, bytes));
}

static bool add(uint8_t tag, size_t size, uint64_t expires, int64_t now, uint64_t cap,
                uint8_t id[32])
{
    struct envelope e;
    struct buf b;
    make(&e, tag, size, expires, id, &b);
    bool added = false;
    ck_assert_msg(chat_store_add(db, id, &e, b.data, b.len, now, cap, &added, err, sizeof err),
                  "%s", err);
    envelope_clear(&e);
    buf_clear(&b);
    return added;
}

static struct chat_store_info info(void)
{
    struct chat_store_info i;
    ck_assert(chat_store_info(db, &i));
    return i;
}

START_TEST(keeps_serves_and_ignores_duplicates)
{
    open_db();
    uint8_t id[32], again[32];
    ck_assert(add(1, 100, 2000, 1000, 1 << 20, id));
    ck_assert(chat_store_have(db, id));
    struct buf got;
    buf_init(&got);
    bool found = false;
    ck_assert(chat_store_get(db, id, &got, &found));
    ck_assert(found);
    struct envelope back;
    envelope_init(&back);
    ck_assert_int_eq(envelope_decode(got.data, got.len, &back), ENVELOPE_OK);
    ck_assert_uint_eq(back.ciphertext.len, 100);
    uint8_t back_id[32];
    ck_assert(envelope_id(&back, back_id));
    ck_assert_mem_eq(back_id, id, 32);
    envelope_clear(&back);
    struct chat_store_info i = info();
    ck_assert_uint_eq(i.messages, 1);
    ck_assert_uint_eq(i.bytes, got.len);
    ck_assert_int_eq(i.next_expiry, 2000);
    buf_clear(&got);
    /* the same envelope again: not added, totals unchanged */
    struct envelope e;
    struct buf b;
    make(&e, 1, 100, 2000, again, &b);
    (void)again;
    bool added = true;
    ck_assert(chat_store_add(db, id, &e, b.data, b.len, 1000, 1 << 20, &added, err, sizeof err));
    ck_assert(!added);
    ck_assert_uint_eq(info().messages, 1);
    envelope_clear(&e);
    buf_clear(&b);
    uint8_t unknown[32] = {9};
    ck_assert(!chat_store_have(db, unknown));
    buf_init(&got);
    ck_assert(chat_store_get(db, unknown, &got, &found));
    ck_assert(!found);
    sqlite3_close(db);
}
END_TEST

START_TEST(expiry_and_cap)
{
    open_db();
    uint8_t a[32], b[32], c[32], d[32];
    ck_assert(add(1, 1000, 5000, 1000, 1 << 20, a));
    ck_assert(add(2, 1000, 3000, 1000, 1 << 20, b));
    ck_assert(add(3, 1000, 4000, 1000, 1 << 20, c));
    uint64_t per = info().bytes / 3;
    /* a cap for three: the fourth pushes out the earliest to expire (b) */
    ck_assert(add(4, 1000, 6000, 1000, 3 * per + per / 2, d));
    ck_assert(!chat_store_have(db, b));
    ck_assert(chat_store_have(db, a) && chat_store_have(db, c) && chat_store_have(db, d));
    ck_assert_uint_eq(info().messages, 3);
    ck_assert_uint_le(info().bytes, 3 * per + per / 2);
    /* one expiring sooner than all kept is itself the one dropped */
    uint8_t e[32];
    ck_assert(add(5, 1000, 2500, 1000, 3 * per + per / 2, e));
    ck_assert(!chat_store_have(db, e));
    ck_assert_uint_eq(info().messages, 3);
    /* time passes: c (4000) and a (5000) expire in turn */
    uint64_t removed = 0;
    ck_assert(chat_store_expire(db, 4001, &removed, err, sizeof err));
    ck_assert_uint_eq(removed, 1);
    ck_assert(!chat_store_have(db, c));
    ck_assert(chat_store_expire(db, 6001, &removed, err, sizeof err));
    ck_assert_uint_eq(removed, 2);
    struct chat_store_info i = info();
    ck_assert_uint_eq(i.messages, 0);
    ck_assert_uint_eq(i.bytes, 0);
    ck_assert_int_eq(i.next_expiry, 0);
    sqlite3_close(db);
}
END_TEST

START_TEST(inventory_in_batches)
{
    open_db();
    enum { N = 25 };
    uint8_t ids[N][32];
    for (int k = 0; k < N; k++)
        ck_assert(add((uint8_t)k, 10, k < 5 ? 1500 : 9000, 1000, 1 << 20, ids[k]));
    /* at 2000 the first five have expired: 20 ids in batches of 8 */
    uint8_t got[8][32], last[32];
    size_t seen = 0;
    const uint8_t *cursor = NULL;
    for (;;) {
        long n = chat_store_ids(db, cursor, 2000, got, 8);
        ck_assert_int_ge(n, 0);
        if (n == 0)
            break;
        for (long k = 0; k < n; k++) {
            if (cursor != NULL || k > 0)
                ck_assert_int_gt(memcmp(got[k], k > 0 ? got[k - 1] : last, 32), 0);
            bool live = false;
            for (int j = 5; j < N; j++)
                live = live || memcmp(got[k], ids[j], 32) == 0;
            ck_assert(live);
        }
        seen += (size_t)n;
        memcpy(last, got[n - 1], 32);
        cursor = last;
    }
    ck_assert_uint_eq(seen, N - 5);
    sqlite3_close(db);
}
END_TEST

START_TEST(peers_are_scored_by_rule)
{
    ck_assert_int_eq(chat_misbehaviour(ENVELOPE_ERR_BAD_SIG), 100);
    ck_assert_int_eq(chat_misbehaviour(ENVELOPE_ERR_LOW_WORK), 100);
    ck_assert_int_eq(chat_misbehaviour(ENVELOPE_ERR_MALFORMED), 100);
    ck_assert_int_eq(chat_misbehaviour(ENVELOPE_ERR_EXPIRED), 10);
    ck_assert_int_eq(chat_misbehaviour(ENVELOPE_ERR_FUTURE), 10);
}
END_TEST

Suite *unit_suite(void)
{
    const TTest *tests[] = {keeps_serves_and_ignores_duplicates, expiry_and_cap,
                            inventory_in_batches, peers_are_scored_by_rule, NULL};
    return fixture_suite("chat_store", NULL, tests);
}
