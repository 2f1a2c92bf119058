#include "unit.h"
#include "fixture.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "rpc/rpc_action.h"
#include "rpc/server.h"

/* rpc_action against a fake wallet and mempool in an RPC table: which keys
 * it asks the wallet to sign with and in what order, how a wallet without
 * the acting party's key and a mempool refusal are worded, and that a
 * refusal or broadcast false sends nothing. */

#define MINE "rsouk1mine"
#define RULE_CODE 64000

static const struct txerr_def rules[] = {
    {RULE_CODE, "fake-not-party", "only a party may do this", TXCLASS_STATE},
    {RULE_CODE + 1, "fake-late", "too late for that", TXCLASS_STATE},
};

/* What the fakes saw and will answer. */
static struct {
    char froms[4][32];  /* the "from" of each walletcreatetransaction ("" for none) */
    size_t n_signs;
    json_t *payload;    /* the last payload signed */
    const char *reject; /* NULL: the mempool allows */
    size_t n_sent;
} fake;

static bool h_wallet(struct rpc_request *req, json_t **result)
{
    const json_t *o = json_array_get(req->params, 2);
    const char *from = json_string_value(json_object_get(o, "from"));
    ck_assert(json_is_false(json_object_get(o, "broadcast")));
    ck_assert_uint_lt(fake.n_signs, 4);
    snprintf(fake.froms[fake.n_signs++], sizeof fake.froms[0], "%s", from != NULL ? from : "");
    json_decref(fake.payload);
    fake.payload = json_deep_copy(json_array_get(req->params, 1));
    if (from != NULL && strcmp(from, MINE) != 0)
        return rpc_error(req, RPC_WALLET_ERROR, "from: the address is not in this wallet");
    *result = json_pack("{s:s,s:s,s:s,s:s}", "txid", "ab", "fee", "0.00000150", "from", MINE,
                        "hex", "beef");
    return true;
}

static bool h_test(struct rpc_request *req, json_t **result)
{
    ck_assert_str_eq(json_string_value(json_array_get(json_array_get(req->params, 0), 0)), "beef");
    *result = fake.reject == NULL
                  ? json_pack("[{s:b}]", "allowed", 1)
                  : json_pack("[{s:b,s:s}]", "allowed", 0, "reject-reason", fake.reject);
    return true;
}

static bool h_send(struct rpc_request *req, json_t **result)
{
    (void)req;
    fake.n_sent++;
    *result = json_string("ab");
    return true;
}

static const struct rpc_method fakes[] = {
    {"w", "walletcreatetransaction", h_wallet, "fake", NULL,
     {{"type", RPC_ARG_STR, false, ""}, {"payload", RPC_ARG_OBJ, false, ""},
      {"options", RPC_ARG_OBJ, true, ""}}},
    {"m", "testmempoolaccept", h_test, "fake", NULL, {{"txs", RPC_ARG_ARR, false, ""}}},
    {"m", "sendrawtransaction", h_send, "fake", NULL, {{"hex", RPC_ARG_HEX, false, ""}}},
};

static struct rpc_table table;

static void setup(void)
{
    char err[256];
    rpc_table_init(&table);
    ck_assert(rpc_register_table(&table, fakes, sizeof fakes / sizeof fakes[0], err, sizeof err));
    ck_assert_msg(txerr_register(rules, 2, err, sizeof err), "%s", err);
    memset(&fake, 0, sizeof fake);
}

static void teardown(void)
{
    json_decref(fake.payload);
    rpc_table_clear(&table);
    txerr_reset();
}

/* A request whose arguments are params (taken). */
static struct rpc_request request(json_t *params)
{
    struct rpc_request req = {.table = &table, .uri = "/wallet/w", .params = params};
    return req;
}

static void request_clear(struct rpc_request *req)
{
    json_decref(req->params);
    free(req->err_msg);
}

/* Runs an action of `signers` with the options object opts (taken; NULL:
 * none); returns the result (NULL on failure, then *req holds the error). */
static json_t *run(struct rpc_request *req, const char *const *signers, size_t n, json_t *opts)
{
    *req = request(opts != NULL ? json_pack("[o]", opts) : json_array());
    struct rpc_action_opts o;
    json_t *held = rpc_action_opts(req, 0, NULL, &o);
    ck_assert_ptr_nonnull(held);
    struct rpc_action a = {.type = "fake_type", .payload = json_pack("{s:i}", "x", 1),
                           .not_signer = (enum txerr)RULE_CODE, .rules = rules, .n_rules = 2};
    for (size_t i = 0; i < n; i++)
        snprintf(a.signers[a.n_signers++], sizeof a.signers[0], "%s", signers[i]);
    json_t *result = NULL;
    bool ok = rpc_action_run(req, &a, &o, &result);
    ck_assert(ok == (result != NULL));
    json_decref(a.payload);
    json_decref(held);
    return result;
}

START_TEST(signers_tried_in_order)
{
    struct rpc_request req;
    const char *const signers[] = {"rsouk1other", MINE};
    json_t *r = run(&req, signers, 2, NULL);
    ck_assert_ptr_nonnull(r);
    ck_assert_uint_eq(fake.n_signs, 2);
    ck_assert_str_eq(fake.froms[0], "rsouk1other");
    ck_assert_str_eq(fake.froms[1], MINE);
    ck_assert_int_eq(json_integer_value(json_object_get(fake.payload, "x")), 1);
    ck_assert_str_eq(json_string_value(json_object_get(r, "from")), MINE);
    ck_assert_str_eq(json_string_value(json_object_get(r, "txid")), "ab");
    ck_assert_ptr_null(json_object_get(r, "hex"));
    ck_assert_uint_eq(fake.n_sent, 1);
    json_decref(r);
    request_clear(&req);
}
END_TEST

START_TEST(no_key_of_the_party_is_the_rule)
{
    struct rpc_request req;
    const char *const signers[] = {"rsouk1a", "rsouk1b"};
    ck_assert_ptr_null(run(&req, signers, 2, NULL));
    ck_assert_int_eq(req.err_code, RPC_VERIFY_REJECTED);
    ck_assert_str_eq(req.err_msg, "fake-not-party: only a party may do this");
    ck_assert_uint_eq(fake.n_signs, 2);
    ck_assert_uint_eq(fake.n_sent, 0);
    request_clear(&req);
}
END_TEST

START_TEST(explicit_from_wins)
{
    /* An address the wallet lacks: the wallet's own error, the party's
     * keys not tried. */
    struct rpc_request req;
    const char *const signers[] = {MINE};
    ck_assert_ptr_null(run(&req, signers, 1, json_pack("{s:s}", "from", "rsouk1else")));
    ck_assert_int_eq(req.err_code, RPC_WALLET_ERROR);
    ck_assert_str_eq(req.err_msg, "from: the address is not in this wallet");
    ck_assert_uint_eq(fake.n_signs, 1);
    ck_assert_str_eq(fake.froms[0], "rsouk1else");
    request_clear(&req);
    /* No signers: the wallet chooses. */
    json_decref(fake.payload);
    memset(&fake, 0, sizeof fake);
    json_t *r = run(&req, NULL, 0, NULL);
    ck_assert_ptr_nonnull(r);
    ck_assert_str_eq(fake.froms[0], "");
    json_decref(r);
    request_clear(&req);
}
END_TEST

START_TEST(mempool_refusal_names_the_rule)
{
    struct rpc_request req;
    const char *const signers[] = {MINE};
    fake.reject = "fake-late";
    ck_assert_ptr_null(run(&req, signers, 1, NULL));
    ck_assert_int_eq(req.err_code, RPC_VERIFY_REJECTED);
    ck_assert_str_eq(req.err_msg, "fake-late: too late for that");
    request_clear(&req);
    /* A reason that is not the plugin's is shown as it is. */
    fake.reject = "bad-nonce";
    ck_assert_ptr_null(run(&req, signers, 1, NULL));
    ck_assert_str_eq(req.err_msg, "bad-nonce");
    ck_assert_uint_eq(fake.n_sent, 0);
    request_clear(&req);
}
END_TEST

START_TEST(broadcast_false_sends_nothing)
{
    struct rpc_request req;
    const char *const signers[] = {MINE};
    json_t *r = run(&req, signers, 1, json_pack("{s:b,s:s}", "broadcast", 0, "fee", "0.0001"));
    ck_assert_ptr_nonnull(r);
    ck_assert_str_eq(json_string_value(json_object_get(r, "hex")), "beef");
    ck_assert_uint_eq(fake.n_sent, 0);
    json_decref(r);
    request_clear(&req);
}
END_TEST

START_TEST(options_are_checked)
{
    static const char *const extra[] = {"quality", NULL};
    struct {
        const char *json;
        int code;
        const char *msg;
    } bad[] = {
        {"[{\"colour\": 1}]", RPC_INVALID_PARAMETER, "options: unknown key \"colour\""},
        {"[{\"broadcast\": \"no\"}]", RPC_TYPE_ERROR, "broadcast: expected true or false"},
        {"[{\"from\": 5}]", RPC_TYPE_ERROR, "from: expected an address"},
        {"[[1]]", RPC_TYPE_ERROR, "options: expected an object"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct rpc_request req = request(json_loads(bad[i].json, 0, NULL));
        struct rpc_action_opts o;
        ck_assert_ptr_null(rpc_action_opts(&req, 0, extra, &o));
        ck_assert_int_eq(req.err_code, bad[i].code);
        ck_assert_str_eq(req.err_msg, bad[i].msg);
        request_clear(&req);
    }
    struct rpc_request req =
        request(json_loads("[{\"quality\": 3, \"from\": \"a\", \"fee\": null}]", 0, NULL));
    struct rpc_action_opts o;
    json_t *held = rpc_action_opts(&req, 0, extra, &o);
    ck_assert_ptr_nonnull(held);
    ck_assert(o.broadcast);
    ck_assert_str_eq(o.from, "a");
    ck_assert_ptr_null(o.fee);
    ck_assert_int_eq(json_integer_value(json_object_get(held, "quality")), 3);
    json_decref(held);
    request_clear(&req);
    /* Absent: an empty object and the defaults. */
    req = request(json_array());
    held = rpc_action_opts(&req, 0, NULL, &o);
    ck_assert(json_is_object(held) && json_object_size(held) == 0);
    ck_assert(o.broadcast && o.from == NULL && o.fee == NULL);
    json_decref(held);
    request_clear(&req);
}
END_TEST

Suite *unit_suite(void)
{
    static const struct fixture_case tc = {.setup = setup, .teardown = teardown};
    const TTest *tests[] = {signers_tried_in_order, no_key_of_the_party_is_the_rule,
                            explicit_from_wins, mempool_refusal_names_the_rule,
                            broadcast_false_sends_nothing, options_are_checked, NULL};
    return fixture_suite("rpc_action", &tc, tests);
}
