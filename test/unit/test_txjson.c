#include "unit.h"
#include "fixture.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "consensus/chainparams.h"
#include "consensus/coinbase.h"
#include "consensus/transfer.h"
#include "consensus/tx.h"
#include "consensus/txtype.h"
#include "crypto/address.h"
#include "crypto/key.h"
#include "rpc/server.h"
#include "rpc/txjson.h"
#include "util/buf.h"
#include "util/hex.h"

/* A deterministic key: secret = fill repeated 32 times. */
static void test_key(uint8_t fill, uint8_t pubkey[32])
{
    uint8_t secret[KEY_SECRET_LEN];
    memset(secret, fill, sizeof secret);
    ck_assert(key_pubkey(secret, pubkey));
}

static void test_address(const char *hrp, const uint8_t pubkey[32], char *out, size_t outlen)
{
    ck_assert_int_eq(address_encode(hrp, pubkey, out, outlen), ADDRESS_OK);
}

/* The object as text with amounts as numbers and keys sorted; caller frees. */
static char *dump(const json_t *v)
{
    char *s = rpc_json_dumps(v, JSON_SORT_KEYS | JSON_COMPACT);
    ck_assert_ptr_nonnull(s);
    return s;
}

static json_t *load(const char *text)
{
    json_error_t e;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &e);
    ck_assert_msg(v != NULL, "bad JSON in test: %s", e.text);
    return v;
}

/* Builds a payload from JSON text; fails the test when building fails. */
static void build_ok(const struct txtype_def *def, const char *text, struct buf *out)
{
    json_t *obj = load(text);
    char err[256] = "";
    ck_assert_msg(txjson_build_payload(def, obj, fixture_regtest(), out, err, sizeof err), "%s",
                  err);
    json_decref(obj);
}

/* ---- transfer ------------------------------------------------------------ */

START_TEST(transfer_round_trip)
{
    uint8_t to[32];
    test_key(0x11, to);
    char addr[ADDRESS_MAX_LEN + 1];
    test_address(fixture_regtest()->hrp, to, addr, sizeof addr);

    char text[512];
    snprintf(text, sizeof text, "{\"to\":\"%s\",\"amount\":\"1.5\",\"memo\":\"c0ffee\"}", addr);
    struct buf built;
    buf_init(&built);
    build_ok(&transfer_txtype, text, &built);

    /* The same bytes as the consensus encoder makes from the same values. */
    struct transfer_payload p = {.amount = 150000000, .memo_len = 3};
    memcpy(p.to, to, 32);
    memcpy(p.memo, "\xc0\xff\xee", 3);
    struct buf expect;
    buf_init(&expect);
    ck_assert(transfer_payload_encode(&p, &expect));
    ck_assert_uint_eq(built.len, expect.len);
    ck_assert(memcmp(built.data, expect.data, expect.len) == 0);

    /* Shown back as JSON ... */
    struct tx tx;
    tx_init(&tx);
    ck_assert_int_eq(tx_set_payload(&tx, built.data, built.len), SER_OK);
    tx.type = TX_TYPE_TRANSFER;
    json_t *shown = txjson_payload(&tx, fixture_regtest());
    ck_assert_ptr_nonnull(shown);
    char *s = dump(shown);
    char want[512];
    snprintf(want, sizeof want, "{\"amount\":1.50000000,\"memo\":\"c0ffee\",\"to\":\"%s\"}", addr);
    ck_assert_str_eq(s, want);

    /* ... and that JSON builds the same bytes again. */
    struct buf again;
    buf_init(&again);
    build_ok(&transfer_txtype, s, &again);
    ck_assert_uint_eq(again.len, built.len);
    ck_assert(memcmp(again.data, built.data, built.len) == 0);

    free(s);
    json_decref(shown);
    tx_clear(&tx);
    buf_clear(&again);
    buf_clear(&expect);
    buf_clear(&built);
}
END_TEST

START_TEST(transfer_tx_fields)
{
    uint8_t sender[32], to[32];
    test_key(0x22, sender);
    test_key(0x33, to);
    char from_addr[ADDRESS_MAX_LEN + 1], to_addr[ADDRESS_MAX_LEN + 1];
    test_address(fixture_regtest()->hrp, sender, from_addr, sizeof from_addr);
    test_address(fixture_regtest()->hrp, to, to_addr, sizeof to_addr);

    struct transfer_payload p = {.amount = 7, .memo_len = 0};
    memcpy(p.to, to, 32);
    struct tx tx;
    tx_init(&tx);
    fixture_transfer_payload(&tx, &p);
    memcpy(tx.sender, sender, 32);
    tx.nonce = 42;
    tx.fee = 1000;
    memset(tx.sig, 0xab, sizeof tx.sig);

    json_t *o = txjson_tx(&tx, fixture_regtest());
    ck_assert_ptr_nonnull(o);
    uint8_t txid[SHA256_LEN];
    tx_txid(&tx, txid);
    char txid_hex[2 * SHA256_LEN + 1], sig_hex[2 * TX_SIG_LEN + 1];
    hex_encode(txid, sizeof txid, txid_hex);
    hex_encode(tx.sig, sizeof tx.sig, sig_hex);
    ck_assert_str_eq(json_string_value(json_object_get(o, "txid")), txid_hex);
    ck_assert_str_eq(json_string_value(json_object_get(o, "type")), "transfer");
    ck_assert_int_eq(json_integer_value(json_object_get(o, "type_id")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(o, "version")), 1);
    ck_assert_str_eq(json_string_value(json_object_get(o, "sender")), from_addr);
    ck_assert_int_eq(json_integer_value(json_object_get(o, "nonce")), 42);
    ck_assert_int_eq(json_integer_value(json_object_get(o, "size")), (json_int_t)tx_encoded_size(&tx));
    ck_assert_str_eq(json_string_value(json_object_get(o, "sig")), sig_hex);
    ck_assert_ptr_null(json_object_get(o, "height"));
    char *s = dump(json_object_get(o, "fee"));
    ck_assert_str_eq(s, "0.00001000");
    free(s);
    s = dump(json_object_get(o, "payload"));
    char want[256];
    snprintf(want, sizeof want, "{\"amount\":0.00000007,\"memo\":\"\",\"to\":\"%s\"}", to_addr);
    ck_assert_str_eq(s, want);
    free(s);
    json_decref(o);
    tx_clear(&tx);
}
END_TEST

/* ---- coinbase ------------------------------------------------------------ */

START_TEST(coinbase_round_trip)
{
    uint8_t recipient[32];
    test_key(0x44, recipient);
    char addr[ADDRESS_MAX_LEN + 1];
    test_address(fixture_regtest()->hrp, recipient, addr, sizeof addr);
    struct coinbase_payload p = {.amount = 5000000000, .extra_len = 2};
    memcpy(p.recipient, recipient, 32);
    memcpy(p.extra, "\x01\x02", 2);
    struct tx cb;
    tx_init(&cb);
    ck_assert(coinbase_build(&cb, 17, &p));

    json_t *o = txjson_tx(&cb, fixture_regtest());
    ck_assert_ptr_nonnull(o);
    ck_assert_str_eq(json_string_value(json_object_get(o, "type")), "coinbase");
    ck_assert_int_eq(json_integer_value(json_object_get(o, "type_id")), 0);
    ck_assert_str_eq(json_string_value(json_object_get(o, "sender")), "");
    ck_assert_str_eq(json_string_value(json_object_get(o, "sig")), "");
    /* A coinbase's nonce is its block's height and is shown as such. */
    ck_assert_int_eq(json_integer_value(json_object_get(o, "height")), 17);
    ck_assert_ptr_null(json_object_get(o, "nonce"));
    char *s = dump(json_object_get(o, "payload"));
    char want[256];
    snprintf(want, sizeof want, "{\"amount\":50.00000000,\"extra\":\"0102\",\"recipient\":\"%s\"}",
             addr);
    ck_assert_str_eq(s, want);

    struct buf again;
    buf_init(&again);
    build_ok(&coinbase_txtype, s, &again);
    size_t len;
    const uint8_t *orig = tx_payload_bytes(&cb, &len);
    ck_assert_uint_eq(again.len, len);
    ck_assert(memcmp(again.data, orig, len) == 0);
    free(s);
    buf_clear(&again);
    json_decref(o);
    tx_clear(&cb);
}
END_TEST

START_TEST(undecodable_payload_shown_as_hex)
{
    struct tx tx;
    tx_init(&tx);
    /* [1]: a one-element array where a transfer needs three fields. */
    ck_assert_int_eq(tx_set_payload(&tx, "\x91\x01", 2), SER_OK);
    tx.type = TX_TYPE_TRANSFER;
    ck_assert_ptr_null(txjson_payload(&tx, fixture_regtest()));
    json_t *o = txjson_tx(&tx, fixture_regtest());
    ck_assert_ptr_nonnull(o);
    ck_assert_ptr_null(json_object_get(o, "payload"));
    ck_assert_str_eq(json_string_value(json_object_get(o, "payload_hex")), "9101");
    json_decref(o);
    /* An unknown type has no field descriptions at all. */
    tx.type = 250;
    ck_assert_ptr_null(txjson_payload(&tx, fixture_regtest()));
    o = txjson_tx(&tx, fixture_regtest());
    ck_assert_str_eq(json_string_value(json_object_get(o, "type")), "unknown");
    json_decref(o);
    tx_clear(&tx);
}
END_TEST

/* ---- build errors ---------------------------------------------------------- */

/* Building text must fail with a message containing needle and leave out
 * exactly as it was (here: holding a prefix). */
static void build_fails(const struct txtype_def *def, const char *text, const char *needle)
{
    json_t *obj = load(text);
    struct buf out;
    buf_init(&out);
    ck_assert(buf_append(&out, "pre", 3));
    char err[256] = "";
    ck_assert_msg(!txjson_build_payload(def, obj, fixture_regtest(), &out, err, sizeof err),
                  "accepted: %s", text);
    ck_assert_msg(strstr(err, needle) != NULL, "error \"%s\" lacks \"%s\"", err, needle);
    ck_assert_uint_eq(out.len, 3);
    ck_assert(memcmp(out.data, "pre", 3) == 0);
    buf_clear(&out);
    json_decref(obj);
}

static void regtest_address(uint8_t fill, char *out, size_t outlen)
{
    uint8_t k[32];
    test_key(fill, k);
    test_address(fixture_regtest()->hrp, k, out, outlen);
}

START_TEST(error_unknown_field)
{
    char a[ADDRESS_MAX_LEN + 1], t[512];
    regtest_address(0x55, a, sizeof a);
    snprintf(t, sizeof t, "{\"to\":\"%s\",\"amount\":1,\"memo\":\"\",\"colour\":\"red\"}", a);
    build_fails(&transfer_txtype, t, "unknown payload field \"colour\"");
}
END_TEST

START_TEST(error_missing_field)
{
    char a[ADDRESS_MAX_LEN + 1], t[512];
    regtest_address(0x55, a, sizeof a);
    snprintf(t, sizeof t, "{\"to\":\"%s\",\"amount\":1}", a);
    build_fails(&transfer_txtype, t, "missing payload field \"memo\"");
    build_fails(&transfer_txtype, "{}", "missing payload field \"to\"");
}
END_TEST

START_TEST(error_wrong_kind)
{
    char a[ADDRESS_MAX_LEN + 1], t[512];
    regtest_address(0x55, a, sizeof a);
    snprintf(t, sizeof t, "{\"to\":\"%s\",\"amount\":1,\"memo\":12}", a);
    build_fails(&transfer_txtype, t, "memo: expected a hex string");
    snprintf(t, sizeof t, "{\"to\":\"%s\",\"amount\":1,\"memo\":\"xyz\"}", a);
    build_fails(&transfer_txtype, t, "memo: expected a hex string");
    build_fails(&transfer_txtype, "{\"to\":7,\"amount\":1,\"memo\":\"\"}", "to: expected an address");
    build_fails(&transfer_txtype, "[1,2,3]", "payload must be a JSON object");
}
END_TEST

START_TEST(error_bad_address)
{
    build_fails(&transfer_txtype, "{\"to\":\"rsouk1notanaddress\",\"amount\":1,\"memo\":\"\"}",
                "to: invalid address");
    /* A valid address whose last character is changed fails its checksum. */
    char a[ADDRESS_MAX_LEN + 1], t[512];
    regtest_address(0x66, a, sizeof a);
    size_t n = strlen(a);
    a[n - 1] = a[n - 1] == 'q' ? 'p' : 'q';
    snprintf(t, sizeof t, "{\"to\":\"%s\",\"amount\":1,\"memo\":\"\"}", a);
    build_fails(&transfer_txtype, t, "to: invalid address");
}
END_TEST

START_TEST(error_wrong_network_address)
{
    uint8_t k[32];
    test_key(0x77, k);
    char a[ADDRESS_MAX_LEN + 1], t[512];
    test_address(chainparams_get(CHAIN_MAIN)->hrp, k, a, sizeof a);
    ck_assert(strncmp(a, "souk1", 5) == 0);
    snprintf(t, sizeof t, "{\"to\":\"%s\",\"amount\":1,\"memo\":\"\"}", a);
    build_fails(&transfer_txtype, t, "to: invalid address");
}
END_TEST

START_TEST(error_bad_amount)
{
    char a[ADDRESS_MAX_LEN + 1], t[512];
    regtest_address(0x55, a, sizeof a);
    static const char *const bad[] = {"-1", "\"1.123456789\"", "\"abc\"", "true", "1e300",
                                      "\"-0.5\""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(t, sizeof t, "{\"to\":\"%s\",\"amount\":%s,\"memo\":\"\"}", a, bad[i]);
        build_fails(&transfer_txtype, t, "amount: invalid amount");
    }
}
END_TEST

Suite *unit_suite(void)
{
    static const struct fixture_case show = {.name = "show"};
    static const struct fixture_case build_errors = {.name = "build_errors"};
    const TTest *show_tests[] = {transfer_round_trip, transfer_tx_fields, coinbase_round_trip,
                                 undecodable_payload_shown_as_hex, NULL};
    const TTest *build_error_tests[] = {error_unknown_field, error_missing_field, error_wrong_kind,
                                        error_bad_address, error_wrong_network_address,
                                        error_bad_amount, NULL};
    Suite *s = fixture_suite("txjson", &show, show_tests);
    fixture_case_add(s, &build_errors, build_error_tests);
    return s;
}
