#include "unit.h"
#include "fixture.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/services.h"
#include "rpc/server.h"
#include "util/hex.h"
#include "wallet/rpc_wallet.h"

START_TEST(uri_without_wallet_path)
{
    char name[WALLET_NAME_MAX + 1] = "untouched";
    ck_assert_int_eq(rpc_wallet_name_from_uri("/", name), RPC_WALLET_URI_NONE);
    ck_assert_int_eq(rpc_wallet_name_from_uri(NULL, name), RPC_WALLET_URI_NONE);
    ck_assert_int_eq(rpc_wallet_name_from_uri("/wallet", name), RPC_WALLET_URI_NONE);
    ck_assert_int_eq(rpc_wallet_name_from_uri("/walletx/a", name), RPC_WALLET_URI_NONE);
    ck_assert_int_eq(rpc_wallet_name_from_uri("/?wallet/a", name), RPC_WALLET_URI_NONE);
    ck_assert_str_eq(name, "untouched");
}
END_TEST

START_TEST(uri_names_are_decoded)
{
    char name[WALLET_NAME_MAX + 1];
    ck_assert_int_eq(rpc_wallet_name_from_uri("/wallet/alice", name), RPC_WALLET_URI_NAME);
    ck_assert_str_eq(name, "alice");
    ck_assert_int_eq(rpc_wallet_name_from_uri("/wallet/my%20wallet?x=1#f", name),
                     RPC_WALLET_URI_NAME);
    ck_assert_str_eq(name, "my wallet");
    /* '+' stays itself in a path (only query strings use it for spaces). */
    ck_assert_int_eq(rpc_wallet_name_from_uri("/wallet/a+b", name), RPC_WALLET_URI_NAME);
    ck_assert_str_eq(name, "a+b");
    /* Bad names in the path are the wallet's to refuse, with the others. */
    ck_assert_int_eq(rpc_wallet_name_from_uri("/wallet/a%2Fb", name), RPC_WALLET_URI_NAME);
    ck_assert_str_eq(name, "a/b");
}
END_TEST

START_TEST(uri_bad_names)
{
    char name[WALLET_NAME_MAX + 1] = "untouched";
    ck_assert_int_eq(rpc_wallet_name_from_uri("/wallet/", name), RPC_WALLET_URI_INVALID);
    ck_assert_int_eq(rpc_wallet_name_from_uri("/wallet/?a", name), RPC_WALLET_URI_INVALID);
    /* An embedded NUL would otherwise name a different wallet. */
    ck_assert_int_eq(rpc_wallet_name_from_uri("/wallet/a%00b", name), RPC_WALLET_URI_INVALID);
    char long_uri[8 + WALLET_NAME_MAX + 2];
    memcpy(long_uri, "/wallet/", 8);
    memset(long_uri + 8, 'n', WALLET_NAME_MAX + 1);
    long_uri[8 + WALLET_NAME_MAX + 1] = '\0';
    ck_assert_int_eq(rpc_wallet_name_from_uri(long_uri, name), RPC_WALLET_URI_INVALID);
    ck_assert_str_eq(name, "untouched");
    /* Exactly the longest name is fine. */
    long_uri[8 + WALLET_NAME_MAX] = '\0';
    ck_assert_int_eq(rpc_wallet_name_from_uri(long_uri, name), RPC_WALLET_URI_NAME);
    ck_assert_uint_eq(strlen(name), WALLET_NAME_MAX);
}
END_TEST

START_TEST(error_codes_follow_bitcoind)
{
    ck_assert_int_eq(rpc_wallet_code(WALLET_OK), 0);
    ck_assert_int_eq(rpc_wallet_code(WALLET_ERR_NOT_FOUND), -18);
    ck_assert_int_eq(rpc_wallet_code(WALLET_ERR_LOCKED), -13);
    ck_assert_int_eq(rpc_wallet_code(WALLET_ERR_PASSPHRASE), -14);
    ck_assert_int_eq(rpc_wallet_code(WALLET_ERR_NOT_ENCRYPTED), -15);
    ck_assert_int_eq(rpc_wallet_code(WALLET_ERR_ALREADY_ENCRYPTED), -15);
    ck_assert_int_eq(rpc_wallet_code(WALLET_ERR_INSUFFICIENT_FUNDS), -6);
    ck_assert_int_eq(rpc_wallet_code(WALLET_ERR_INVALID_ADDRESS), -5);
    ck_assert_int_eq(rpc_wallet_code(WALLET_ERR_INVALID_AMOUNT), -3);
    ck_assert_int_eq(rpc_wallet_code(WALLET_ERR_BAD_PARAMETER), -8);
    ck_assert_int_eq(rpc_wallet_code(WALLET_ERR_BAD_NAME), -8);
    ck_assert_int_eq(rpc_wallet_code(WALLET_ERR_REJECTED), -26);
    ck_assert_int_eq(rpc_wallet_code(WALLET_ERR_DB), -4);
    ck_assert_int_eq(rpc_wallet_code(WALLET_ERR_EXISTS), -4);
    ck_assert_int_eq(RPC_WALLET_NOT_SPECIFIED, -19);
    /* Every code maps to an error, never to success. */
    for (int e = WALLET_ERR_NOT_FOUND; e < WALLET_ERR_COUNT_; e++)
        ck_assert_int_lt(rpc_wallet_code((enum wallet_err)e), 0);
}
END_TEST

static void check_amount(int64_t v, const char *expect)
{
    json_t *a = rpc_signed_amount_json(v);
    ck_assert_ptr_nonnull(a);
    json_t *arr = json_pack("[o]", a);
    char *s = rpc_json_dumps(arr, JSON_COMPACT);
    ck_assert_ptr_nonnull(s);
    ck_assert_str_eq(s, expect);
    free(s);
    json_decref(arr);
}

START_TEST(signed_amounts_are_bare_numbers)
{
    check_amount(-150000000, "[-1.50000000]");
    check_amount(150000000, "[1.50000000]");
    check_amount(0, "[0.00000000]");
    check_amount(-1, "[-0.00000001]");
    check_amount(-(int64_t)AMOUNT_MAX, "[-21000000000.00000000]");
}
END_TEST

START_TEST(signature_text_round_trip)
{
    uint8_t sig[64], back[64];
    for (int i = 0; i < 64; i++)
        sig[i] = (uint8_t)(i * 37 + 11);
    char text[RPC_WALLET_SIG_TEXT_LEN + 1];
    rpc_wallet_sig_encode(sig, text);
    ck_assert_uint_eq(strlen(text), RPC_WALLET_SIG_TEXT_LEN);
    ck_assert(text[86] == '=' && text[87] == '=');
    ck_assert(rpc_wallet_sig_decode(text, back));
    ck_assert_mem_eq(sig, back, 64);

    /* The same signature as hex is accepted too. */
    char hex[129];
    hex_encode(sig, 64, hex);
    memset(back, 0, sizeof back);
    ck_assert(rpc_wallet_sig_decode(hex, back));
    ck_assert_mem_eq(sig, back, 64);
}
END_TEST

START_TEST(signature_text_known_value)
{
    uint8_t zero[64] = {0}, sig[64];
    char text[RPC_WALLET_SIG_TEXT_LEN + 1];
    rpc_wallet_sig_encode(zero, text);
    ck_assert_str_eq(text, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==");
    memset(sig, 0xff, sizeof sig);
    ck_assert(rpc_wallet_sig_decode(text, sig));
    ck_assert_mem_eq(sig, zero, 64);
}
END_TEST

START_TEST(signature_text_refused)
{
    uint8_t sig[64], before[64];
    memset(sig, 0xab, sizeof sig);
    memcpy(before, sig, sizeof sig);
    char good[RPC_WALLET_SIG_TEXT_LEN + 1];
    uint8_t src[64] = {1, 2, 3};
    rpc_wallet_sig_encode(src, good);

    char bad[RPC_WALLET_SIG_TEXT_LEN + 2];
    ck_assert(!rpc_wallet_sig_decode("", sig));
    /* Too short, too long. */
    memcpy(bad, good, sizeof good);
    bad[87] = '\0';
    ck_assert(!rpc_wallet_sig_decode(bad, sig));
    memcpy(bad, good, RPC_WALLET_SIG_TEXT_LEN);
    bad[RPC_WALLET_SIG_TEXT_LEN] = '=';
    bad[RPC_WALLET_SIG_TEXT_LEN + 1] = '\0';
    ck_assert(!rpc_wallet_sig_decode(bad, sig));
    /* A character outside the alphabet. */
    memcpy(bad, good, sizeof good);
    bad[10] = '*';
    ck_assert(!rpc_wallet_sig_decode(bad, sig));
    /* Padding missing or misplaced. */
    memcpy(bad, good, sizeof good);
    bad[87] = 'A';
    ck_assert(!rpc_wallet_sig_decode(bad, sig));
    memcpy(bad, good, sizeof good);
    bad[40] = '=';
    ck_assert(!rpc_wallet_sig_decode(bad, sig));
    /* Non-zero spare bits: a second spelling of the same bytes. */
    memcpy(bad, good, sizeof good);
    bad[85] = 'B';
    ck_assert(!rpc_wallet_sig_decode(bad, sig));
    /* Hex of the wrong length or with a non-hex digit. */
    char hex[130];
    hex_encode(src, 64, hex);
    hex[5] = 'g';
    ck_assert(!rpc_wallet_sig_decode(hex, sig));
    hex_encode(src, 64, hex);
    hex[126] = '\0';
    ck_assert(!rpc_wallet_sig_decode(hex, sig));
    ck_assert_mem_eq(sig, before, 64);
}
END_TEST

/* A node with the chain, the mempool, the wallets and the wallet methods. */
struct rpc_node {
    char dir[256];
    struct node_ctx node;
    struct args args;
    struct walletman *wm;
    struct rpc_table table;
};

static void rpc_node_start(struct rpc_node *n)
{
    fixture_tmpdir_make(n->dir, sizeof n->dir, "rpcwallet");
    char err[512] = "";
    memset(&n->node, 0, sizeof n->node);
    ck_assert_int_eq(args_init(&n->args, services_options, services_options_count, err,
                               sizeof err),
                     ARGS_OK);
    n->node.args = &n->args;
    n->node.params = fixture_regtest();
    snprintf(n->node.datadir, sizeof n->node.datadir, "%s", n->dir);
    pthread_mutex_init(&n->node.lock, NULL);
    ck_assert_msg(services_start(&n->node, err, sizeof err), "%s", err);
    ck_assert_int_eq(walletman_new(&n->node, &n->wm, err, sizeof err), WALLET_OK);
    n->node.wallet = n->wm;
    rpc_table_init(&n->table);
    ck_assert(rpc_wallet_register(&n->table, err, sizeof err));
}

static void rpc_node_stop(struct rpc_node *n)
{
    rpc_table_clear(&n->table);
    walletman_free(n->wm);
    services_stop(&n->node);
    pthread_mutex_destroy(&n->node.lock);
    args_clear(&n->args);
    fixture_tmpdir_remove(n->dir);
}

/* Runs method with params (borrowed) on uri; returns the error code (0 when
 * it succeeded). */
static int rpc_run(struct rpc_node *n, const char *uri, const char *method, json_t *params)
{
    json_t *res = NULL;
    char *msg = NULL;
    int code = 0;
    bool ok = rpc_call(&n->table, &n->node, uri, method, params, &res, &code, &msg);
    json_decref(res);
    free(msg);
    return ok ? 0 : code;
}

/* True when the string argument holds nothing but zero bytes now. */
static bool wiped(const json_t *v)
{
    const char *s = json_string_value(v);
    for (size_t i = 0; i < json_string_length(v); i++)
        if (s[i] != '\0')
            return false;
    return json_string_length(v) > 0;
}

/* Passphrases, seeds and keys given as arguments are wiped once the call
 * is over, whether it succeeded or not. */
START_TEST(secret_arguments_are_wiped)
{
    struct rpc_node n;
    rpc_node_start(&n);
    static const char seed[] = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
    json_t *p = json_pack("[s,s,s]", "w", "first passphrase", seed);
    ck_assert_int_eq(rpc_run(&n, "/", "createwallet", p), 0);
    ck_assert(wiped(json_array_get(p, 1)));
    ck_assert(wiped(json_array_get(p, 2)));
    ck_assert_str_eq(json_string_value(json_array_get(p, 0)), "w"); /* the name stays */
    json_decref(p);

    /* a mnemonic */
    p = json_pack("[s,n,n,s]", "m",
                  "zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo "
                  "zoo zoo zoo vote");
    ck_assert_int_eq(rpc_run(&n, "/", "createwallet", p), 0);
    ck_assert(wiped(json_array_get(p, 3)));
    json_decref(p);

    /* refused: a seed one digit short */
    p = json_pack("[s,n,s]", "v", "0001020304050607080900a0b0c0d0e0f101112131415161718191a1b1c1d1e");
    ck_assert_int_eq(rpc_run(&n, "/", "createwallet", p), RPC_INVALID_PARAMETER);
    ck_assert(wiped(json_array_get(p, 2)));
    json_decref(p);

    /* a wrong passphrase, then the right one, then a change */
    p = json_pack("[s,i]", "wrong passphrase", 60);
    ck_assert_int_eq(rpc_run(&n, "/wallet/w", "walletpassphrase", p),
                     RPC_WALLET_PASSPHRASE_INCORRECT);
    ck_assert(wiped(json_array_get(p, 0)));
    json_decref(p);
    p = json_pack("[s,i]", "first passphrase", 60);
    ck_assert_int_eq(rpc_run(&n, "/wallet/w", "walletpassphrase", p), 0);
    ck_assert(wiped(json_array_get(p, 0)));
    json_decref(p);
    p = json_pack("[s,s]", "first passphrase", "second passphrase");
    ck_assert_int_eq(rpc_run(&n, "/wallet/w", "walletpassphrasechange", p), 0);
    ck_assert(wiped(json_array_get(p, 0)));
    ck_assert(wiped(json_array_get(p, 1)));
    json_decref(p);

    /* importprivkey, accepted and refused */
    p = json_pack("[s]", "0101010101010101010101010101010101010101010101010101010101010101");
    ck_assert_int_eq(rpc_run(&n, "/wallet/w", "importprivkey", p), 0);
    ck_assert(wiped(json_array_get(p, 0)));
    json_decref(p);
    p = json_pack("[s]", "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff");
    ck_assert_int_eq(rpc_run(&n, "/wallet/w", "importprivkey", p), RPC_INVALID_ADDRESS_OR_KEY);
    ck_assert(wiped(json_array_get(p, 0)));
    json_decref(p);

    /* encryptwallet on a second, unencrypted wallet */
    p = json_pack("[s]", "u");
    ck_assert_int_eq(rpc_run(&n, "/", "createwallet", p), 0);
    json_decref(p);
    p = json_pack("[s]", "a passphrase");
    ck_assert_int_eq(rpc_run(&n, "/wallet/u", "encryptwallet", p), 0);
    ck_assert(wiped(json_array_get(p, 0)));
    json_decref(p);
    rpc_node_stop(&n);
}
END_TEST

/* Runs method and returns its result (new reference), or NULL with *code
 * and msg set. */
static json_t *rpc_get(struct rpc_node *n, const char *uri, const char *method, json_t *params,
                       int *code, char *msg, size_t msglen)
{
    json_t *res = NULL;
    char *m = NULL;
    *code = 0;
    bool ok = rpc_call(&n->table, &n->node, uri, method, params, &res, code, &m);
    snprintf(msg, msglen, "%s", m != NULL ? m : "");
    free(m);
    return ok ? (res != NULL ? res : json_null()) : NULL;
}

/* dumpmnemonic and createwallet's mnemonic: BIP39's 256-bit vector, both
 * ways through the RPC methods; refusals change nothing and name a wrong
 * word by its position only. */
START_TEST(mnemonic_export_and_restore)
{
    static const char entropy[] =
        "68a79eaca2324873eacc50cb9c6eca8cc68ea5d936f98787c60c7ebc74e6ce7c";
    static const char words[] =
        "hamster diagram private dutch cause delay private meat slide toddler razor book happy "
        "fancy gospel tennis maple dilemma loan word shrug inflict delay length";
    struct rpc_node n;
    rpc_node_start(&n);
    int code;
    char msg[256];
    json_t *p = json_pack("[s,s,s]", "hex", "", entropy);
    json_t *r = rpc_get(&n, "/", "createwallet", p, &code, msg, sizeof msg);
    ck_assert_msg(r != NULL, "%s", msg);
    json_decref(r);
    json_decref(p);
    r = rpc_get(&n, "/wallet/hex", "dumpmnemonic", NULL, &code, msg, sizeof msg);
    ck_assert_msg(r != NULL, "%s", msg);
    ck_assert_str_eq(json_string_value(r), words);
    json_decref(r);

    p = json_pack("[s,s,s,s]", "words", "pass phrase", "", words);
    r = rpc_get(&n, "/", "createwallet", p, &code, msg, sizeof msg);
    ck_assert_msg(r != NULL, "%s", msg);
    json_decref(r);
    json_decref(p);
    /* encrypted and locked: no words */
    ck_assert_ptr_null(rpc_get(&n, "/wallet/words", "dumpmnemonic", NULL, &code, msg, sizeof msg));
    ck_assert_int_eq(code, RPC_WALLET_UNLOCK_NEEDED);
    p = json_pack("[s,i]", "pass phrase", 10);
    ck_assert_int_eq(rpc_run(&n, "/wallet/words", "walletpassphrase", p), 0);
    json_decref(p);
    r = rpc_get(&n, "/wallet/words", "dumpseed", NULL, &code, msg, sizeof msg);
    ck_assert_msg(r != NULL, "%s", msg);
    ck_assert_str_eq(json_string_value(r), entropy);
    json_decref(r);
    r = rpc_get(&n, "/wallet/words", "dumpmnemonic", NULL, &code, msg, sizeof msg);
    ck_assert_msg(r != NULL, "%s", msg);
    ck_assert_str_eq(json_string_value(r), words);
    json_decref(r);
    /* the same addresses */
    json_t *a = rpc_get(&n, "/wallet/hex", "getnewaddress", NULL, &code, msg, sizeof msg);
    json_t *b = rpc_get(&n, "/wallet/words", "getnewaddress", NULL, &code, msg, sizeof msg);
    ck_assert(a != NULL && b != NULL);
    ck_assert_str_eq(json_string_value(a), json_string_value(b));
    json_decref(a);
    json_decref(b);

    /* refusals: nothing is created */
    p = json_pack("[s,n,s,s]", "both", entropy, words);
    ck_assert_ptr_null(rpc_get(&n, "/", "createwallet", p, &code, msg, sizeof msg));
    ck_assert_int_eq(code, RPC_INVALID_PARAMETER);
    json_decref(p);
    p = json_pack("[s,n,n,s]", "typo",
                  "hamster diagram private dutch cause delay private meat slide toddler razor "
                  "book happy fancy gospel tennis maple dilemma loan wrod shrug inflict delay "
                  "length");
    ck_assert_ptr_null(rpc_get(&n, "/", "createwallet", p, &code, msg, sizeof msg));
    ck_assert_int_eq(code, RPC_INVALID_PARAMETER);
    ck_assert_msg(strstr(msg, "word 20") != NULL && strstr(msg, "wrod") == NULL, "%s", msg);
    json_decref(p);
    p = json_pack("[s,n,n,s]", "swapped",
                  "diagram hamster private dutch cause delay private meat slide toddler razor "
                  "book happy fancy gospel tennis maple dilemma loan word shrug inflict delay "
                  "length");
    ck_assert_ptr_null(rpc_get(&n, "/", "createwallet", p, &code, msg, sizeof msg));
    ck_assert_int_eq(code, RPC_INVALID_PARAMETER);
    ck_assert_msg(strstr(msg, "checksum") != NULL, "%s", msg);
    json_decref(p);
    p = json_pack("[s,n,n,s]", "short", "zoo zoo zoo");
    ck_assert_ptr_null(rpc_get(&n, "/", "createwallet", p, &code, msg, sizeof msg));
    ck_assert_int_eq(code, RPC_INVALID_PARAMETER);
    json_decref(p);
    r = rpc_get(&n, "/", "listwallets", NULL, &code, msg, sizeof msg);
    ck_assert_uint_eq(json_array_size(r), 2);
    json_decref(r);
    rpc_node_stop(&n);
}
END_TEST

/* Test methods: one looks its wallet up twice; the other unloads the
 * wallet it holds, then uses it. */
static bool rpc_test_lookuptwice(struct rpc_request *req, json_t **result)
{
    struct wallet *w = rpc_wallet_from_request(req);
    if (w == NULL)
        return false;
    ck_assert_ptr_eq(rpc_wallet_from_request(req), w);
    return rpc_done(req, result, json_string(wallet_name(w)));
}

static bool rpc_test_unloadheld(struct rpc_request *req, json_t **result)
{
    (void)result;
    struct wallet *w = rpc_wallet_from_request(req);
    if (w == NULL)
        return false;
    struct walletman *wm = req->node->wallet;
    char name[WALLET_NAME_MAX + 1];
    snprintf(name, sizeof name, "%s", wallet_name(w));
    ck_assert_int_eq(walletman_unload(wm, name), WALLET_OK);
    ck_assert_uint_eq(walletman_closed_count(wm), 1); /* this call's reference */
    ck_assert_ptr_eq(rpc_wallet_from_request(req), w);
    ck_assert_str_eq(wallet_name(w), name);
    struct wallet_info info;
    return rpc_wallet_fail(req, wallet_get_info(w, &info), NULL);
}

static const struct rpc_method test_methods[] = {
    {"test", "test_lookuptwice", rpc_test_lookuptwice, "Looks the wallet up twice.", NULL, {{0}}},
    {"test", "test_unloadheld", rpc_test_unloadheld, "Unloads the wallet it holds.", NULL, {{0}}},
};

/* A call holds its wallet until the handler returns, then gives it back
 * once, however many times it looked it up: an unload frees the wallet
 * when the call is over and not before. */
START_TEST(calls_hold_their_wallet)
{
    struct rpc_node n;
    rpc_node_start(&n);
    char err[256];
    ck_assert(rpc_register_table(&n.table, test_methods, 2, err, sizeof err));
    struct walletman *wm = n.wm;
    json_t *p = json_pack("[s]", "a");
    ck_assert_int_eq(rpc_run(&n, "/", "createwallet", p), 0);
    json_decref(p);
    ck_assert_int_eq(rpc_run(&n, "/wallet/a", "test_lookuptwice", NULL), 0);
    ck_assert_int_eq(rpc_run(&n, "/", "test_lookuptwice", NULL), 0);
    ck_assert_int_eq(rpc_run(&n, "/wallet/a", "getwalletinfo", NULL), 0);
    /* unloadwallet looks up the wallet it unloads (no name given) */
    ck_assert_int_eq(rpc_run(&n, "/", "unloadwallet", NULL), 0);
    ck_assert_uint_eq(walletman_closed_count(wm), 0);
    ck_assert_int_eq(rpc_run(&n, "/wallet/a", "test_lookuptwice", NULL), RPC_WALLET_NOT_FOUND);

    /* unloaded during the call: reported as not loaded, freed after it */
    p = json_pack("[s]", "a");
    ck_assert_int_eq(rpc_run(&n, "/", "loadwallet", p), 0);
    json_decref(p);
    ck_assert_int_eq(rpc_run(&n, "/wallet/a", "test_unloadheld", NULL), RPC_WALLET_NOT_FOUND);
    ck_assert_uint_eq(walletman_closed_count(wm), 0);
    ck_assert_int_eq(rpc_run(&n, "/", "listwallets", NULL), 0);
    rpc_node_stop(&n);
}
END_TEST

Suite *unit_suite(void)
{
    const TTest *tests[] = {
        uri_without_wallet_path, uri_names_are_decoded, uri_bad_names, error_codes_follow_bitcoind,
        signed_amounts_are_bare_numbers, signature_text_round_trip, signature_text_known_value,
        signature_text_refused, secret_arguments_are_wiped,
        mnemonic_export_and_restore, calls_hold_their_wallet, NULL
    };
    /* Wallet encryption stretches its passphrase on purpose: slow on a busy machine. */
    static const struct fixture_case tc = {.timeout = 60};
    return fixture_suite("rpc_wallet", &tc, tests);
}
