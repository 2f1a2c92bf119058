#include "unit.h"
#include "fixture.h"

#include <string.h>

#include "consensus/envelope.h"
#include "node/chatbus.h"

/* A listener that wants envelopes whose sender or recipient starts with
 * its byte, and counts what it took. */
struct listener {
    uint8_t mine;
    int wanted, taken;
    uint8_t last[32];
};

static bool want(void *ctx, const uint8_t sender[32], const uint8_t recipient[32])
{
    struct listener *l = ctx;
    l->wanted++;
    return sender[0] == l->mine || recipient[0] == l->mine;
}

static bool take(void *ctx, const uint8_t id[32], const struct envelope *e)
{
    struct listener *l = ctx;
    l->taken++;
    memcpy(l->last, id, 32);
    return e->recipient[0] == l->mine; /* new and sent to it */
}

/* A store of three envelopes: 0x01 -> 0x02, 0x02 -> 0x03, 0x03 -> 0x01. */
static bool replay(void *ctx, chatbus_want_fn w, chatbus_take_fn t, void *arg)
{
    int *calls = ctx;
    (*calls)++;
    for (uint8_t i = 1; i <= 3; i++) {
        struct envelope e;
        envelope_init(&e);
        e.sender[0] = i;
        e.recipient[0] = (uint8_t)(i % 3 + 1);
        uint8_t id[32] = {i};
        if (w(arg, e.sender, e.recipient))
            t(arg, id, &e);
        envelope_clear(&e);
    }
    return true;
}

START_TEST(listeners_and_store)
{
    struct chatbus bus;
    chatbus_init(&bus);
    struct listener a = {.mine = 1}, b = {.mine = 9};
    struct chatbus_listener la = {.ctx = &a, .want = want, .take = take};
    struct chatbus_listener lb = {.ctx = &b, .want = want, .take = take};
    ck_assert(chatbus_add_listener(&bus, &la));
    ck_assert(chatbus_add_listener(&bus, &lb));

    /* no store yet: a replay does nothing and succeeds */
    struct listener c = {.mine = 2};
    ck_assert(chatbus_replay(&bus, want, take, &c));
    ck_assert_int_eq(c.wanted, 0);

    /* setting the store offers it to every listener */
    int calls = 0;
    struct chatbus_store store = {.ctx = &calls, .replay = replay};
    ck_assert(chatbus_set_store(&bus, &store));
    ck_assert_int_eq(calls, 2);
    ck_assert_int_eq(a.wanted, 3);
    ck_assert_int_eq(a.taken, 2); /* 1 -> 2 and 3 -> 1 */
    ck_assert_int_eq(b.taken, 0);
    ck_assert(chatbus_replay(&bus, want, take, &c));
    ck_assert_int_eq(c.taken, 2);

    /* a new envelope: taken by who wants it; news only for its recipient */
    struct envelope e;
    envelope_init(&e);
    e.sender[0] = 9;
    e.recipient[0] = 1;
    uint8_t id[32] = {42};
    ck_assert(chatbus_kept(&bus, id, &e));
    ck_assert_int_eq(a.taken, 3);
    ck_assert_int_eq(b.taken, 1);
    ck_assert_int_eq(a.last[0], 42);
    e.recipient[0] = 7;
    ck_assert(!chatbus_kept(&bus, id, &e)); /* b sent it: not news */
    ck_assert_int_eq(b.taken, 2);

    /* a removed listener hears nothing more; a late one catches up at once */
    chatbus_remove_listener(&bus, &b);
    ck_assert(!chatbus_kept(&bus, id, &e));
    ck_assert_int_eq(b.taken, 2);
    struct listener d = {.mine = 3};
    struct chatbus_listener ld = {.ctx = &d, .want = want, .take = take};
    ck_assert(chatbus_add_listener(&bus, &ld));
    ck_assert_int_eq(d.taken, 2);

    /* without the store a replay finds nothing */
    chatbus_clear_store(&bus);
    struct listener f = {.mine = 1};
    ck_assert(chatbus_replay(&bus, want, take, &f));
    ck_assert_int_eq(f.wanted, 0);

    /* the list is bounded */
    chatbus_remove_listener(&bus, &a);
    chatbus_remove_listener(&bus, &d);
    for (int i = 0; i < CHATBUS_MAX_LISTENERS; i++)
        ck_assert(chatbus_add_listener(&bus, &la));
    ck_assert(!chatbus_add_listener(&bus, &la));
    chatbus_destroy(&bus);

    /* a node without a bus */
    ck_assert(chatbus_add_listener(NULL, &la));
    ck_assert(!chatbus_kept(NULL, id, &e));
    ck_assert(chatbus_replay(NULL, want, take, &f));
    envelope_clear(&e);
}
END_TEST

Suite *unit_suite(void)
{
    const TTest *tests[] = {listeners_and_store, NULL};
    return fixture_suite("chatbus", NULL, tests);
}
