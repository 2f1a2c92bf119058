#include "unit.h"
#include "fixture.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consensus/chainparams.h"
#include "crypto/address.h"
#include "crypto/key.h"
#include "node/chain.h"
#include "node/mempool.h"
#include "node/node.h"
#include "node/services.h"
#include "rpc/rpc_blockchain.h"
#include "rpc/server.h"
#include "util/hex.h"

/* ---- difficulty ---- */

START_TEST(test_difficulty)
{
    double d = -1.0;
    ck_assert(rpc_blockchain_difficulty(fixture_regtest(), fixture_regtest()->pow_limit_bits, &d));
    ck_assert(d == 1.0);
    const struct chain_params *main_p = chainparams_get(CHAIN_MAIN);
    ck_assert(rpc_blockchain_difficulty(main_p, main_p->pow_limit_bits, &d));
    ck_assert(d == 1.0);
    /* half the target: twice as hard (mantissa 0x3fffff vs 0x7fffff) */
    ck_assert(rpc_blockchain_difficulty(fixture_regtest(), 0x203fffff, &d));
    ck_assert(d > 2.0 && d < 2.000001);
    /* 2^16 times harder: the exponent two bytes lower */
    ck_assert(rpc_blockchain_difficulty(fixture_regtest(), 0x1e7fffff, &d));
    ck_assert(d == 65536.0);
    /* main's limit 0x1e0fffff against regtest's: 0x7fffff / 0x0fffff * 2^16 */
    ck_assert(rpc_blockchain_difficulty(fixture_regtest(), main_p->pow_limit_bits, &d));
    ck_assert(d > 524288.4 && d < 524288.5);

    /* bad bits: zero target, negative, overflowing; out untouched */
    d = -7.0;
    ck_assert(!rpc_blockchain_difficulty(fixture_regtest(), 0, &d));
    ck_assert(!rpc_blockchain_difficulty(fixture_regtest(), 0x04923456, &d));
    ck_assert(!rpc_blockchain_difficulty(fixture_regtest(), 0xff123456, &d));
    ck_assert(d == -7.0);
}
END_TEST

/* ---- handlers over a real chain ---- */

static char dir[256];
static struct chain *chain;
static struct mempool *pool;
static struct node_ctx node;
static struct rpc_table table;

static void setup(void)
{
    fixture_tmpdir_make(dir, sizeof dir, "rpcchain");
    chain = fixture_chain_open(dir, false);
    pool = mempool_new(fixture_regtest(), 1 << 20);
    ck_assert_ptr_nonnull(pool);
    struct state_backend tip;
    chain_tip_backend(chain, &tip);
    ck_assert(mempool_update_tip(pool, &tip, 0));

    memset(&node, 0, sizeof node);
    node.params = fixture_regtest();
    snprintf(node.datadir, sizeof node.datadir, "%s", dir);
    pthread_mutex_init(&node.lock, NULL);
    node.chain = chain;
    node.mempool = pool;
    rpc_table_init(&table);
    char err[512] = "";
    ck_assert(rpc_blockchain_register(&table, err, sizeof err));
}

static void teardown(void)
{
    rpc_table_clear(&table);
    pthread_mutex_destroy(&node.lock);
    mempool_free(pool);
    chain_close(chain);
    fixture_tmpdir_remove(dir);
}

/* Calls method with params given as JSON text; returns the result (new
 * reference) or NULL with *code and msg set. The lock must be free after. */
static json_t *call(struct node_ctx *ctx, const char *method, const char *params, int *code,
                    char *msg, size_t msglen)
{
    json_t *p = params != NULL ? json_loads(params, 0, NULL) : NULL;
    ck_assert(params == NULL || p != NULL);
    json_t *res = NULL;
    char *m = NULL;
    *code = 0;
    /* What a node's index thread would have done by now. */
    struct index_def def;
    chain_txindex_def(chain, &def);
    char ierr[256];
    ck_assert_msg(index_catch_up(chain, &def, fixture_regtest()->genesis.hash, ierr, sizeof ierr),
                  "%s", ierr);
    bool ok = rpc_call(&table, ctx, "/", method, p, &res, code, &m);
    json_decref(p);
    snprintf(msg, msglen, "%s", m != NULL ? m : "");
    free(m);
    if (ctx != NULL) {
        /* every path must have released the chain lock */
        ck_assert_int_eq(pthread_mutex_trylock(&ctx->lock), 0);
        pthread_mutex_unlock(&ctx->lock);
    }
    if (!ok)
        ck_assert_ptr_null(res);
    return ok ? (res != NULL ? res : json_null()) : NULL;
}

static json_t *ok_call(const char *method, const char *params)
{
    int code;
    char msg[256];
    json_t *r = call(&node, method, params, &code, msg, sizeof msg);
    ck_assert_msg(r != NULL, "%s failed: %d %s", method, code, msg);
    return r;
}

static void err_call(const char *method, const char *params, int want_code, const char *want_msg)
{
    int code;
    char msg[256];
    json_t *r = call(&node, method, params, &code, msg, sizeof msg);
    ck_assert_msg(r == NULL, "%s %s succeeded", method, params != NULL ? params : "");
    ck_assert_int_eq(code, want_code);
    ck_assert_msg(strstr(msg, want_msg) != NULL, "message '%s' lacks '%s'", msg, want_msg);
}

START_TEST(test_no_chain)
{
    /* without a node (or its chain) every chain method fails cleanly */
    int code;
    char msg[256];
    ck_assert_ptr_null(call(NULL, "getblockcount", NULL, &code, msg, sizeof msg));
    ck_assert_int_eq(code, RPC_INTERNAL_ERROR);
    ck_assert_ptr_null(call(NULL, "validateaddress", "[\"x\"]", &code, msg, sizeof msg));
    ck_assert_int_eq(code, RPC_INTERNAL_ERROR);
    struct node_ctx bare = node;
    bare.chain = NULL;
    ck_assert_ptr_null(call(&bare, "getchaintips", NULL, &code, msg, sizeof msg));
    ck_assert_int_eq(code, RPC_INTERNAL_ERROR);
    ck_assert_ptr_null(call(&bare, "getstateinfo", NULL, &code, msg, sizeof msg));
    ck_assert_int_eq(code, RPC_INTERNAL_ERROR);
}
END_TEST

START_TEST(test_genesis_only)
{
    json_t *r = ok_call("getblockcount", NULL);
    ck_assert_int_eq(json_integer_value(r), 0);
    json_decref(r);

    char genesis[65];
    hex_encode(fixture_regtest()->genesis.hash, 32, genesis);
    r = ok_call("getbestblockhash", NULL);
    ck_assert_str_eq(json_string_value(r), genesis);
    json_decref(r);

    err_call("getblockhash", "[1]", RPC_INVALID_PARAMETER, "Block height out of range");
    err_call("getblockhash", "[-1]", RPC_INVALID_PARAMETER, "Block height out of range");

    char params[100];
    snprintf(params, sizeof params, "[\"%s\", 3]", genesis);
    err_call("getblock", params, RPC_INVALID_PARAMETER, "verbosity");
    snprintf(params, sizeof params, "[\"%s\", \"1\"]", genesis);
    err_call("getblock", params, RPC_TYPE_ERROR, "verbosity");
    snprintf(params, sizeof params, "[\"%s\"]", genesis);
    err_call("invalidateblock", params, RPC_MISC_ERROR, "genesis");
    err_call("getblock", "[\"" "0000000000000000000000000000000000000000000000000000000000000000" "\"]",
             RPC_INVALID_ADDRESS_OR_KEY, "Block not found");

    r = ok_call("getblock", params);
    ck_assert_ptr_null(json_object_get(r, "previousblockhash"));
    ck_assert_ptr_null(json_object_get(r, "nextblockhash"));
    ck_assert_int_eq(json_integer_value(json_object_get(r, "confirmations")), 1);
    ck_assert_int_eq(json_array_size(json_object_get(r, "tx")), 1);
    json_decref(r);
}
END_TEST

START_TEST(test_header_without_data)
{
    /* a header whose block never arrived, straight into the index */
    struct blockindex_entry *g = chain_tip(chain);
    struct block_header h;
    memset(&h, 0, sizeof h);
    memcpy(h.prev_hash, g->hash, 32);
    h.time = g->header.time + 60;
    h.bits = fixture_regtest()->pow_limit_bits;
    struct blockindex_entry *e = NULL;
    bool added = false;
    ck_assert_int_eq(blockindex_add(chain_index(chain), &h, BLOCK_VALID_TREE, &e, &added),
                     BLOCKINDEX_OK);
    ck_assert(added);
    char hash[65], params[100];
    hex_encode(e->hash, 32, hash);

    snprintf(params, sizeof params, "[\"%s\"]", hash);
    err_call("getblock", params, RPC_MISC_ERROR, "Block not available");
    snprintf(params, sizeof params, "[\"%s\", 0]", hash);
    err_call("getblock", params, RPC_MISC_ERROR, "Block not available");

    snprintf(params, sizeof params, "[\"%s\"]", hash);
    json_t *r = ok_call("getblockheader", params);
    ck_assert_int_eq(json_integer_value(json_object_get(r, "confirmations")), -1);
    ck_assert_int_eq(json_integer_value(json_object_get(r, "nTx")), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(r, "height")), 1);
    json_decref(r);

    /* it is a tip of its own, one block off the active chain */
    r = ok_call("getchaintips", NULL);
    ck_assert_int_eq(json_array_size(r), 2);
    json_t *t = json_array_get(r, 0);
    ck_assert_str_eq(json_string_value(json_object_get(t, "hash")), hash);
    ck_assert_str_eq(json_string_value(json_object_get(t, "status")), "headers-only");
    ck_assert_int_eq(json_integer_value(json_object_get(t, "branchlen")), 1);
    t = json_array_get(r, 1);
    ck_assert_str_eq(json_string_value(json_object_get(t, "status")), "active");
    json_decref(r);

    /* the best header is the unconnected one: headers runs ahead of blocks */
    r = ok_call("getblockchaininfo", NULL);
    ck_assert_int_eq(json_integer_value(json_object_get(r, "blocks")), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(r, "headers")), 1);
    json_decref(r);
}
END_TEST

START_TEST(test_addresses)
{
    uint8_t pub[32];
    unit_hex("3730001f3abf8a707e529ba403831dd3ea0881f6ff8e7cc0956de25921aa58d5", pub, 32);
    char addr[ADDRESS_MAX_LEN + 1], main_addr[ADDRESS_MAX_LEN + 1], params[200];
    ck_assert_int_eq(address_encode("rsouk", pub, addr, sizeof addr), ADDRESS_OK);
    ck_assert_int_eq(address_encode("souk", pub, main_addr, sizeof main_addr), ADDRESS_OK);

    snprintf(params, sizeof params, "[\"%s\"]", addr);
    json_t *r = ok_call("validateaddress", params);
    ck_assert(json_is_true(json_object_get(r, "isvalid")));
    ck_assert_str_eq(json_string_value(json_object_get(r, "pubkey")),
                     "3730001f3abf8a707e529ba403831dd3ea0881f6ff8e7cc0956de25921aa58d5");
    json_decref(r);
    r = ok_call("getaccount", params);
    ck_assert_int_eq(json_integer_value(json_object_get(r, "nonce")), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(r, "pending_nonce")), 0);
    json_decref(r);
    r = ok_call("getaccounthistory", params);
    ck_assert_int_eq(json_array_size(r), 0);
    json_decref(r);

    snprintf(params, sizeof params, "[\"%s\"]", main_addr);
    r = ok_call("validateaddress", params);
    ck_assert(json_is_false(json_object_get(r, "isvalid")));
    ck_assert_str_eq(json_string_value(json_object_get(r, "error")),
                     address_strerror(ADDRESS_ERR_WRONG_NETWORK));
    ck_assert_ptr_null(json_object_get(r, "pubkey"));
    json_decref(r);
    err_call("getaccount", params, RPC_INVALID_ADDRESS_OR_KEY,
             address_strerror(ADDRESS_ERR_WRONG_NETWORK));
    err_call("getaccounthistory", params, RPC_INVALID_ADDRESS_OR_KEY,
             address_strerror(ADDRESS_ERR_WRONG_NETWORK));
    snprintf(params, sizeof params, "[\"%s\", 0, 10001]", addr);
    err_call("getaccounthistory", params, RPC_INVALID_PARAMETER, "count");

    /* getnewkeypair: a working key on regtest, refused elsewhere */
    r = ok_call("getnewkeypair", NULL);
    uint8_t sk[32], pk[32], shown[32];
    unit_hex(json_string_value(json_object_get(r, "privkey")), sk, 32);
    unit_hex(json_string_value(json_object_get(r, "pubkey")), shown, 32);
    ck_assert(key_pubkey(sk, pk));
    ck_assert_mem_eq(pk, shown, 32);
    json_decref(r);

    struct node_ctx on_main = node;
    on_main.params = chainparams_get(CHAIN_MAIN);
    int code;
    char msg[256];
    ck_assert_ptr_null(call(&on_main, "getnewkeypair", NULL, &code, msg, sizeof msg));
    ck_assert_int_eq(code, RPC_MISC_ERROR);
    ck_assert_ptr_nonnull(strstr(msg, "only available on regtest"));
}
END_TEST

/* getblockcount and getbestblockhash answer from the tip snapshot while
 * another thread holds the chain lock (a block being validated): this test
 * holds it itself, so a handler that took it would never return (the
 * case's timeout fails it). */
START_TEST(tip_reads_do_not_wait_for_the_chain_lock)
{
    char tdir[256], err[512] = "";
    fixture_tmpdir_make(tdir, sizeof tdir, "rpctip");
    struct args targs;
    ck_assert_int_eq(args_init(&targs, services_options, services_options_count, err, sizeof err),
                     ARGS_OK);
    struct node_ctx n;
    memset(&n, 0, sizeof n);
    n.args = &targs;
    n.params = fixture_regtest();
    snprintf(n.datadir, sizeof n.datadir, "%s", tdir);
    pthread_mutex_init(&n.lock, NULL);
    ck_assert_msg(services_start(&n, err, sizeof err), "%s", err);
    struct rpc_table t;
    rpc_table_init(&t);
    ck_assert(rpc_blockchain_register(&t, err, sizeof err));

    uint8_t miner[32];
    fixture_pubkey(miner);
    struct block b;
    block_init(&b);
    pthread_mutex_lock(&n.lock);
    fixture_block_on(&b, chain_tip(services_chain(&n)), miner, NULL, 0, 0);
    struct block_fault f;
    char reason[128];
    ck_assert_int_eq(services_process_block(&n, &b, &f, reason, sizeof reason), CHAIN_OK);
    char tip[65];
    hex_encode(chain_tip(services_chain(&n))->hash, 32, tip);

    json_t *res = NULL;
    int code = 0;
    char *msg = NULL;
    ck_assert(rpc_call(&t, &n, "/", "getblockcount", NULL, &res, &code, &msg));
    ck_assert_int_eq(json_integer_value(res), 1);
    json_decref(res);
    ck_assert(rpc_call(&t, &n, "/", "getbestblockhash", NULL, &res, &code, &msg));
    ck_assert_str_eq(json_string_value(res), tip);
    json_decref(res);
    pthread_mutex_unlock(&n.lock);

    block_clear(&b);
    rpc_table_clear(&t);
    services_stop(&n);
    pthread_mutex_destroy(&n.lock);
    args_clear(&targs);
    fixture_tmpdir_remove(tdir);
}
END_TEST

Suite *unit_suite(void)
{
    static const struct fixture_case difficulty = {.name = "difficulty"};
    static const struct fixture_case handlers = {
        .name = "handlers", .setup = setup, .teardown = teardown, .timeout = 30};
    const TTest *difficulty_tests[] = {test_difficulty, NULL};
    const TTest *handler_tests[] = {test_no_chain, test_genesis_only, test_header_without_data,
                                    test_addresses, NULL};
    Suite *s = fixture_suite("rpc_blockchain", &difficulty, difficulty_tests);
    fixture_case_add(s, &handlers, handler_tests);
    static const struct fixture_case tip = {.name = "tip", .timeout = 30};
    const TTest *tip_tests[] = {tip_reads_do_not_wait_for_the_chain_lock, NULL};
    fixture_case_add(s, &tip, tip_tests);
    return s;
}
