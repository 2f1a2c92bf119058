#include "unit.h"
#include "fixture.h"

#include <stdlib.h>
#include <string.h>

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
    json_t *a = rpc_wallet_signed_amount_json(v);
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

Suite *unit_suite(void)
{
    const TTest *tests[] = {
        uri_without_wallet_path, uri_names_are_decoded, uri_bad_names, error_codes_follow_bitcoind,
        signed_amounts_are_bare_numbers, signature_text_round_trip, signature_text_known_value,
        signature_text_refused, NULL
    };
    return fixture_suite("rpc_wallet", NULL, tests);
}
