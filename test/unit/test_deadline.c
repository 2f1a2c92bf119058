#include "unit.h"
#include "fixture.h"

#include <string.h>

#include "consensus/deadline.h"
#include "consensus/prologue.h"

static void view_init(struct state_view *v)
{
    state_view_init(v, &state_empty_backend);
}

/* What the test handler saw, in order. */
static char fired[64][16];
static size_t n_fired;
static bool reschedule;

static enum txerr test_fire(struct state_view *v, const uint8_t *key, size_t klen,
                            const uint8_t *data, size_t dlen, const struct apply_ctx *ctx)
{
    ck_assert_ptr_null(ctx->txid);
    ck_assert_uint_lt(klen, 15);
    memcpy(fired[n_fired], key, klen);
    fired[n_fired][klen] = '\0';
    n_fired++;
    /* data is the key doubled, to see that both travel */
    ck_assert_uint_eq(dlen, 2 * klen);
    ck_assert_mem_eq(data, key, klen);
    if (reschedule && klen == 1 && key[0] == 'r') {
        /* A chain of timeouts: the next one two blocks later; the running
         * height itself is already past. */
        ck_assert_int_eq(deadline_schedule(v, ctx, 't', "s", 1, ctx->height, "ss", 2),
                         TXERR_DEADLINE_PAST);
        ck_assert_int_eq(deadline_schedule(v, ctx, 't', "s", 1, ctx->height + 2, "ss", 2),
                         TXERR_OK);
    }
    return TXERR_OK;
}

static const struct deadline_handler test_handler = {.owner = 't', .name = "test",
                                                     .fire = test_fire};

static void setup(void)
{
    deadline_reset();
    prologue_reset();
    ck_assert(deadline_register(&test_handler, NULL, 0));
    n_fired = 0;
    reschedule = false;
}

static void schedule(struct state_view *v, const char *key, uint64_t at)
{
    struct apply_ctx ctx = {.params = fixture_regtest(), .height = 1};
    char data[32];
    snprintf(data, sizeof data, "%s%s", key, key);
    ck_assert_int_eq(deadline_schedule(v, &ctx, 't', key, strlen(key), at, data, strlen(data)),
                     TXERR_OK);
}

static void run_at(struct state_view *v, uint64_t height)
{
    struct apply_ctx ctx = {.params = fixture_regtest(), .height = height};
    ck_assert_int_eq(deadline_run(v, &ctx), TXERR_OK);
}

START_TEST(entries_run_at_their_height_in_order)
{
    setup();
    struct state_view v;
    view_init(&v);
    schedule(&v, "a", 5);
    schedule(&v, "b", 6);
    schedule(&v, "c", 5);
    uint64_t h = 0;
    bool found = false;
    ck_assert_int_eq(deadline_find(&v, 't', "c", 1, &h, &found), TXERR_OK);
    ck_assert(found);
    ck_assert_uint_eq(h, 5);

    run_at(&v, 4);
    ck_assert_uint_eq(n_fired, 0);
    run_at(&v, 5);
    ck_assert_uint_eq(n_fired, 2);
    ck_assert_str_eq(fired[0], "a");
    ck_assert_str_eq(fired[1], "c");
    ck_assert_int_eq(deadline_find(&v, 't', "a", 1, &h, &found), TXERR_OK);
    ck_assert(!found);
    run_at(&v, 6);
    ck_assert_uint_eq(n_fired, 3);
    ck_assert_str_eq(fired[2], "b");
    /* Nothing is left behind: run entries leave no keys. */
    ck_assert_uint_eq(state_view_change_count(&v), 0);
    state_view_clear(&v);
}
END_TEST

START_TEST(cancel_and_move)
{
    setup();
    struct state_view v;
    view_init(&v);
    schedule(&v, "a", 5);
    schedule(&v, "b", 5);
    bool found = false;
    ck_assert_int_eq(deadline_cancel(&v, 't', "a", 1, &found), TXERR_OK);
    ck_assert(found);
    ck_assert_int_eq(deadline_cancel(&v, 't', "a", 1, &found), TXERR_OK);
    ck_assert(!found);
    schedule(&v, "b", 9); /* moved, not doubled */
    run_at(&v, 5);
    ck_assert_uint_eq(n_fired, 0);
    run_at(&v, 9);
    ck_assert_uint_eq(n_fired, 1);
    ck_assert_str_eq(fired[0], "b");
    ck_assert_uint_eq(state_view_change_count(&v), 0);
    state_view_clear(&v);
}
END_TEST

START_TEST(handlers_may_schedule_more)
{
    setup();
    reschedule = true;
    struct state_view v;
    view_init(&v);
    schedule(&v, "r", 7);
    run_at(&v, 7);
    ck_assert_uint_eq(n_fired, 1);
    run_at(&v, 8);
    ck_assert_uint_eq(n_fired, 1);
    run_at(&v, 9);
    ck_assert_uint_eq(n_fired, 2);
    ck_assert_str_eq(fired[1], "s");
    ck_assert_uint_eq(state_view_change_count(&v), 0);
    state_view_clear(&v);
}
END_TEST

START_TEST(refusals)
{
    setup();
    struct state_view v;
    view_init(&v);
    struct apply_ctx ctx = {.params = fixture_regtest(), .height = 10};
    ck_assert_int_eq(deadline_schedule(&v, &ctx, 't', "a", 1, 10, "", 0), TXERR_DEADLINE_PAST);
    ck_assert_int_eq(deadline_schedule(&v, &ctx, 't', "a", 1, 3, "", 0), TXERR_DEADLINE_PAST);
    ck_assert_int_eq(txerr_class(TXERR_DEADLINE_PAST), TXCLASS_LOCAL);
    /* an owner nobody handles */
    ck_assert_int_eq(deadline_schedule(&v, &ctx, 'z', "a", 1, 11, "", 0), TXERR_STORAGE);
    ck_assert_uint_eq(state_view_change_count(&v), 0);
    /* owners are unique, the core's included */
    static const struct deadline_handler dup = {.owner = 't', .name = "dup", .fire = test_fire};
    static const struct deadline_handler core = {.owner = DEADLINE_OWNER_MATURITY,
                                                 .name = "mine", .fire = test_fire};
    char err[128];
    ck_assert(!deadline_register(&dup, err, sizeof err));
    ck_assert(!deadline_register(&core, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "maturity"));
    state_view_clear(&v);
}
END_TEST

START_TEST(rollback_undoes_scheduling)
{
    setup();
    struct state_view v;
    view_init(&v);
    schedule(&v, "a", 5);
    size_t sp = state_savepoint(&v);
    schedule(&v, "b", 5);
    ck_assert_int_eq(deadline_cancel(&v, 't', "a", 1, NULL), TXERR_OK);
    state_rollback(&v, sp);
    run_at(&v, 5);
    ck_assert_uint_eq(n_fired, 1);
    ck_assert_str_eq(fired[0], "a");
    state_view_clear(&v);
}
END_TEST

START_TEST(maturity_credits_the_recipient)
{
    setup();
    struct state_view v;
    view_init(&v);
    uint8_t who[32];
    fixture_pubkey(who);
    struct apply_ctx mined = {.params = fixture_regtest(), .height = 3};
    ck_assert_int_eq(deadline_add_maturity(&v, &mined, 103, who, 5000), TXERR_OK);
    run_at(&v, 102);
    ck_assert_uint_eq(fixture_account(&v, who).balance, 0);
    run_at(&v, 103);
    ck_assert_uint_eq(fixture_account(&v, who).balance, 5000);
    state_view_clear(&v);
}
END_TEST

static int hook_calls;
static uint64_t hook_saw_balance;
static uint8_t hook_who[32];

static enum txerr test_hook(struct state_view *v, const struct apply_ctx *ctx)
{
    (void)ctx;
    hook_calls++;
    hook_saw_balance = fixture_account(v, hook_who).balance;
    return TXERR_OK;
}

START_TEST(prologue_runs_deadlines_then_hooks)
{
    setup();
    ck_assert(prologue_register("test", test_hook, NULL, 0));
    ck_assert(!prologue_register("null", NULL, NULL, 0));
    struct state_view v;
    view_init(&v);
    fixture_pubkey(hook_who);
    hook_calls = 0;
    struct apply_ctx mined = {.params = fixture_regtest(), .height = 1};
    ck_assert_int_eq(deadline_add_maturity(&v, &mined, 101, hook_who, 77), TXERR_OK);
    struct apply_ctx block = {.params = fixture_regtest(), .height = 101};
    ck_assert_int_eq(prologue_run(&v, &block), TXERR_OK);
    ck_assert_int_eq(hook_calls, 1);
    ck_assert_uint_eq(hook_saw_balance, 77);
    prologue_reset();
    ck_assert_int_eq(prologue_run(&v, &block), TXERR_OK);
    ck_assert_int_eq(hook_calls, 1);
    state_view_clear(&v);
}
END_TEST

Suite *unit_suite(void)
{
    const TTest *tests[] = {
        entries_run_at_their_height_in_order, cancel_and_move, handlers_may_schedule_more,
        refusals, rollback_undoes_scheduling, maturity_credits_the_recipient,
        prologue_runs_deadlines_then_hooks, NULL
    };
    return fixture_suite("deadline", NULL, tests);
}
