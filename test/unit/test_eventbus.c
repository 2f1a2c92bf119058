#include "unit.h"
#include "fixture.h"

#include <string.h>

#include "consensus/coinbase.h"
#include "consensus/tx.h"
#include "node/eventbus.h"
#include "node/eventpub.h"

static struct node_event tx_event(uint8_t who, uint8_t tag)
{
    struct node_event e;
    memset(&e, 0, sizeof e);
    e.kind = NODE_EVENT_TX;
    e.hash[0] = tag;
    memset(e.keys[0], who, 32);
    e.n_keys = 1;
    return e;
}

static struct node_event block_event(uint8_t tag)
{
    struct node_event e;
    memset(&e, 0, sizeof e);
    e.kind = NODE_EVENT_BLOCK;
    e.hash[0] = tag;
    return e;
}

static int wakes;
static void count_wake(void *ctx)
{
    (void)ctx;
    wakes++;
}

START_TEST(ids_increase_and_readers_see_their_events)
{
    struct eventbus *b = eventbus_new(16, 1000);
    ck_assert_ptr_nonnull(b);
    uint64_t oldest, newest;
    eventbus_bounds(b, &oldest, &newest);
    ck_assert_uint_eq(oldest, 0);
    ck_assert_uint_eq(newest, 999);
    ck_assert(eventbus_subscribe(b, count_wake, &wakes));
    wakes = 0;
    struct node_event e = tx_event(0xaa, 1);
    ck_assert_uint_eq(eventbus_publish(b, &e), 1000);
    e = block_event(2);
    ck_assert_uint_eq(eventbus_publish(b, &e), 1001);
    e = tx_event(0xbb, 3);
    ck_assert_uint_eq(eventbus_publish(b, &e), 1002);
    ck_assert_int_eq(wakes, 3);

    uint8_t keys[1][32];
    memset(keys[0], 0xaa, 32);
    struct node_event out[8];
    bool missed;
    uint64_t cursor = 999;
    size_t n = eventbus_read(b, &cursor, (const uint8_t(*)[32])keys, 1, out, 8, &missed);
    /* Its tx and the block (which concerns everyone), not 0xbb's tx. */
    ck_assert_uint_eq(n, 2);
    ck_assert(!missed);
    ck_assert_uint_eq(out[0].id, 1000);
    ck_assert_uint_eq(out[0].hash[0], 1);
    ck_assert_uint_eq(out[1].id, 1001);
    ck_assert_int_eq(out[1].kind, NODE_EVENT_BLOCK);
    ck_assert_uint_eq(cursor, 1002);
    /* Nothing new: nothing read, the cursor stays. */
    ck_assert_uint_eq(eventbus_read(b, &cursor, (const uint8_t(*)[32])keys, 1, out, 8, &missed), 0);
    ck_assert_uint_eq(cursor, 1002);
    /* max bounds what is copied; the cursor stops at the last one copied. */
    cursor = 999;
    ck_assert_uint_eq(eventbus_read(b, &cursor, (const uint8_t(*)[32])keys, 1, out, 1, &missed), 1);
    ck_assert_uint_eq(cursor, 1000);

    eventbus_unsubscribe(b, &wakes);
    e = block_event(4);
    eventbus_publish(b, &e);
    ck_assert_int_eq(wakes, 3);
    eventbus_free(b);
}
END_TEST

START_TEST(ring_keeps_the_newest_and_says_what_was_missed)
{
    struct eventbus *b = eventbus_new(16, 1);
    for (int i = 0; i < 40; i++) {
        struct node_event e = block_event((uint8_t)i);
        ck_assert_uint_eq(eventbus_publish(b, &e), (uint64_t)i + 1);
    }
    uint64_t oldest, newest;
    eventbus_bounds(b, &oldest, &newest);
    ck_assert_uint_eq(oldest, 25);
    ck_assert_uint_eq(newest, 40);
    struct node_event out[32];
    bool missed;
    uint64_t cursor = 10;
    size_t n = eventbus_read(b, &cursor, NULL, 0, out, 32, &missed);
    ck_assert(missed);
    ck_assert_uint_eq(n, 16);
    ck_assert_uint_eq(out[0].id, 25);
    ck_assert_uint_eq(out[0].hash[0], 24);
    ck_assert_uint_eq(out[15].id, 40);
    ck_assert_uint_eq(cursor, 40);
    /* Just inside the ring: nothing missed. */
    cursor = 24;
    ck_assert_uint_eq(eventbus_read(b, &cursor, NULL, 0, out, 32, &missed), 16);
    ck_assert(!missed);
    eventbus_free(b);
}
END_TEST

START_TEST(concerns_by_any_key)
{
    struct node_event e = tx_event(0x01, 0);
    memset(e.keys[1], 0x02, 32);
    e.n_keys = 2;
    uint8_t keys[2][32];
    memset(keys[0], 0x03, 32);
    memset(keys[1], 0x02, 32);
    ck_assert(node_event_concerns(&e, (const uint8_t(*)[32])keys, 2));
    ck_assert(!node_event_concerns(&e, (const uint8_t(*)[32])keys, 1));
    e.kind = NODE_EVENT_BLOCK;
    ck_assert(node_event_concerns(&e, NULL, 0));
}
END_TEST

START_TEST(clock_ids_and_no_bus)
{
    struct eventbus *b = eventbus_new(0, 0);
    struct node_event e = block_event(1);
    /* From the clock in microseconds: well past any small counter. */
    ck_assert_uint_gt(eventbus_publish(b, &e), (uint64_t)1500000000 * 1000000);
    eventbus_free(b);
    ck_assert_uint_eq(eventbus_publish(NULL, &e), 0);
    ck_assert(!eventbus_subscribe(NULL, count_wake, NULL));
    uint64_t cursor = 5;
    bool missed = true;
    ck_assert_uint_eq(eventbus_read(NULL, &cursor, NULL, 0, &e, 1, &missed), 0);
    ck_assert(!missed);
}
END_TEST

START_TEST(tx_events_name_payer_payee_and_amount)
{
    struct fixture_user alice, bob;
    fixture_user_new(&alice);
    fixture_user_new(&bob);
    struct tx tx;
    tx_init(&tx);
    fixture_transfer(&tx, alice.sk, bob.pub, 12345, 0, 100);
    uint8_t txid[32];
    tx_txid(&tx, txid);
    struct node_event e;
    eventpub_tx_event(NULL, NULL, &tx, txid, false, 0, &e);
    ck_assert_int_eq(e.kind, NODE_EVENT_TX);
    ck_assert_str_eq(e.type, "transfer");
    ck_assert(!e.flag);
    ck_assert_mem_eq(e.hash, txid, 32);
    ck_assert_mem_eq(e.object, txid, 32);
    ck_assert(e.is_payment);
    ck_assert_int_eq(e.amount, 12345);
    ck_assert_mem_eq(e.payee, bob.pub, 32);
    ck_assert_uint_eq(e.n_keys, 2);
    ck_assert_mem_eq(e.keys[0], alice.pub, 32);
    ck_assert_mem_eq(e.keys[1], bob.pub, 32);
    eventpub_tx_event(NULL, NULL, &tx, txid, true, 7, &e);
    ck_assert(e.flag);
    ck_assert_uint_eq(e.height, 7);
    tx_clear(&tx);

    /* A payment to oneself concerns one key. */
    tx_init(&tx);
    fixture_transfer(&tx, alice.sk, alice.pub, 5, 1, 100);
    eventpub_tx_event(NULL, NULL, &tx, txid, false, 0, &e);
    ck_assert_uint_eq(e.n_keys, 1);
    tx_clear(&tx);

    /* A coinbase has no payer: only its recipient. */
    struct block b;
    block_init(&b);
    struct coinbase_payload cb = {.amount = 5000};
    memcpy(cb.recipient, bob.pub, 32);
    fixture_block(&b, NULL, 1700000000, 1, &cb, NULL, 0);
    tx_txid(&b.txs[0], txid);
    eventpub_tx_event(NULL, NULL, &b.txs[0], txid, true, 1, &e);
    ck_assert_str_eq(e.type, "coinbase");
    ck_assert(e.is_payment);
    ck_assert_int_eq(e.amount, 5000);
    ck_assert_uint_eq(e.n_keys, 1);
    ck_assert_mem_eq(e.keys[0], bob.pub, 32);
    block_clear(&b);
}
END_TEST

Suite *unit_suite(void)
{
    const TTest *tests[] = {ids_increase_and_readers_see_their_events,
                            ring_keeps_the_newest_and_says_what_was_missed, concerns_by_any_key,
                            clock_ids_and_no_bus, tx_events_name_payer_payee_and_amount,
                            NULL};
    return fixture_suite("eventbus", NULL, tests);
}
