#include "unit.h"
#include "fixture.h"

#include <stdlib.h>
#include <string.h>

#include "consensus/chainparams.h"
#include "consensus/coinbase.h"
#include "consensus/transfer.h"
#include "node/node.h"
#include "rpc/rpcutil.h"
#include "rpc/server.h"

static struct node_ctx node;

static void request_init(struct rpc_request *req, json_t *params)
{
    memset(req, 0, sizeof *req);
    memset(&node, 0, sizeof node);
    node.params = fixture_regtest();
    req->node = &node;
    req->params = params;
}

static void request_clear(struct rpc_request *req)
{
    json_decref(req->params);
    free(req->err_msg);
    memset(req, 0, sizeof *req);
}

static void address_of(const struct chain_params *p, const uint8_t pub[32], char *out)
{
    ck_assert_int_eq(address_encode(p->hrp, pub, out, ADDRESS_MAX_LEN + 1), ADDRESS_OK);
}

START_TEST(addresses)
{
    uint8_t pub[32], got[32];
    fixture_pubkey(pub);
    char here[ADDRESS_MAX_LEN + 1], main_net[ADDRESS_MAX_LEN + 1];
    address_of(fixture_regtest(), pub, here);
    address_of(chainparams_get(CHAIN_MAIN), pub, main_net);

    struct rpc_request req;
    request_init(&req, json_pack("[s,s,n,i]", here, main_net, 7));
    ck_assert(rpc_param_address(&req, 0, got));
    ck_assert(memcmp(got, pub, 32) == 0);
    ck_assert(rpc_address_decode(&req, "", here, NULL));
    ck_assert_ptr_null(req.err_msg);

    /* Another network's address: -5 with the reason. */
    memset(got, 0, sizeof got);
    ck_assert(!rpc_param_address(&req, 1, got));
    ck_assert_int_eq(req.err_code, RPC_INVALID_ADDRESS_OR_KEY);
    char want[160];
    snprintf(want, sizeof want, "Invalid address: %s", address_strerror(ADDRESS_ERR_WRONG_NETWORK));
    ck_assert_str_eq(req.err_msg, want);
    request_clear(&req);

    /* The prefix names the field; garbage is refused too. */
    request_init(&req, NULL);
    ck_assert(!rpc_address_decode(&req, "from: ", "not an address", NULL));
    ck_assert_int_eq(req.err_code, RPC_INVALID_ADDRESS_OR_KEY);
    ck_assert(strncmp(req.err_msg, "from: Invalid address: ", 23) == 0);
    request_clear(&req);

    /* Missing and mistyped arguments. */
    request_init(&req, json_pack("[s,n,i]", here, 7));
    ck_assert(!rpc_param_address(&req, 1, got));
    ck_assert_int_eq(req.err_code, RPC_INVALID_PARAMS);
    request_clear(&req);
    request_init(&req, json_pack("[i]", 7));
    ck_assert(!rpc_param_address(&req, 0, got));
    ck_assert_int_eq(req.err_code, RPC_TYPE_ERROR);
    request_clear(&req);
}
END_TEST

/* The type v names, or NULL with code and message as given. */
static void check_type(const char *v_json, const struct txtype_def *want, int code,
                       const char *msg)
{
    struct rpc_request req;
    json_error_t jerr;
    request_init(&req, json_loads(v_json, JSON_DECODE_ANY, &jerr));
    ck_assert_ptr_nonnull(req.params);
    ck_assert_ptr_eq(rpc_txtype_from_json(&req, req.params), want);
    if (want == NULL) {
        ck_assert_int_eq(req.err_code, code);
        ck_assert_str_eq(req.err_msg, msg);
    } else {
        ck_assert_ptr_null(req.err_msg);
    }
    request_clear(&req);
}

START_TEST(transaction_types)
{
    check_type("\"transfer\"", &transfer_txtype, 0, NULL);
    check_type("1", &transfer_txtype, 0, NULL);
    check_type("\"coinbase\"", NULL, RPC_INVALID_PARAMETER,
               "type: coinbase transactions are made by miners");
    check_type("0", NULL, RPC_INVALID_PARAMETER, "type: coinbase transactions are made by miners");
    check_type("\"nope\"", NULL, RPC_INVALID_PARAMETER, "type: unknown transaction type");
    check_type("9999", NULL, RPC_INVALID_PARAMETER, "type: unknown transaction type");
    check_type("-1", NULL, RPC_TYPE_ERROR, "type: expected a type name or id");
    check_type("1.5", NULL, RPC_TYPE_ERROR, "type: expected a type name or id");
    check_type("{}", NULL, RPC_TYPE_ERROR, "type: expected a type name or id");
}
END_TEST

static void check_base64(const char *bytes, size_t len, const char *text)
{
    json_t *v = rpc_base64_json(bytes, len);
    ck_assert_ptr_nonnull(v);
    ck_assert_str_eq(json_string_value(v), text);
    json_decref(v);
    struct buf out;
    buf_init(&out);
    ck_assert(buf_append(&out, "x", 1));
    ck_assert(rpc_base64_decode(text, strlen(text), &out));
    ck_assert_uint_eq(out.len, len + 1);
    ck_assert_mem_eq(out.data + 1, bytes, len);
    buf_clear(&out);
}

START_TEST(base64)
{
    /* RFC 4648's vectors, and every byte value */
    check_base64("", 0, "");
    check_base64("f", 1, "Zg==");
    check_base64("fo", 2, "Zm8=");
    check_base64("foo", 3, "Zm9v");
    check_base64("foobar", 6, "Zm9vYmFy");
    char all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (char)i;
    json_t *v = rpc_base64_json(all, sizeof all);
    check_base64(all, sizeof all, json_string_value(v));
    json_decref(v);

    static const char *const bad[] = {"Zg=", "Zg", "Z===", "Zm9v\n", " Zm9v", "Zm=v",
                                      "Zm9-", "Zm9_", "====", "Zg==Zg==", "Zm9v!A=="};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct buf out;
        buf_init(&out);
        ck_assert_msg(!rpc_base64_decode(bad[i], strlen(bad[i]), &out), "%s", bad[i]);
        ck_assert_uint_eq(out.len, 0);
        buf_clear(&out);
    }
}
END_TEST

START_TEST(echo)
{
    char out[8];
    rpc_echo("abc", 3, out, sizeof out);
    ck_assert_str_eq(out, "abc");
    rpc_echo("a\nb\x01\xff", 5, out, sizeof out);
    ck_assert_str_eq(out, "a?b??");
    /* Only len bytes count; longer than fits: shortened with "...". */
    rpc_echo("abcdefghij", 2, out, sizeof out);
    ck_assert_str_eq(out, "ab");
    rpc_echo("abcdefg", 7, out, sizeof out);
    ck_assert_str_eq(out, "abcdefg");
    rpc_echo("abcdefghij", 10, out, sizeof out);
    ck_assert_str_eq(out, "abcd...");
    ck_assert_uint_lt(strlen(out), sizeof out);
}
END_TEST

Suite *unit_suite(void)
{
    const TTest *tests[] = {addresses, transaction_types, base64, echo, NULL};
    return fixture_suite("rpcutil", NULL, tests);
}
