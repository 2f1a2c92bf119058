#include "unit.h"
#include "fixture.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "rpc/client.h"
#include "rpc/rpc_control.h"
#include "rpc/server.h"
#include "util/amount.h"

/* Converts text as type t; the result must equal the JSON want (compared as
 * JSON, so 1.5 and 1.50 are the same; a real is never equal to an integer). */
static void check_ok(enum rpc_arg_type t, const char *text, const char *want)
{
    json_t *v = NULL;
    char err[256] = "";
    ck_assert_msg(rpc_client_arg_json(t, text, &v, err, sizeof err), "%s refused as %s: %s",
                  text, rpc_arg_type_schema_name(t), err);
    json_t *w = json_loads(want, JSON_DECODE_ANY, NULL);
    ck_assert_msg(w != NULL, "bad expected JSON %s", want);
    char *got = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    ck_assert_msg(json_equal(v, w), "%s as %s: got %s, want %s", text,
                  rpc_arg_type_schema_name(t), got, want);
    free(got);
    json_decref(w);
    json_decref(v);
}

/* text must be refused as t, with err containing part. */
static void check_refused(enum rpc_arg_type t, const char *text, const char *part)
{
    json_t *v = (json_t *)1;
    char err[256] = "";
    ck_assert_msg(!rpc_client_arg_json(t, text, &v, err, sizeof err), "%s accepted as %s", text,
                  rpc_arg_type_schema_name(t));
    ck_assert_ptr_null(v);
    ck_assert_msg(strstr(err, part) != NULL, "'%s' lacks '%s'", err, part);
}

START_TEST(strings_are_never_parsed)
{
    static const enum rpc_arg_type stringy[] = {RPC_ARG_STR, RPC_ARG_HEX, RPC_ARG_HASH};
    for (size_t i = 0; i < 3; i++) {
        enum rpc_arg_type t = stringy[i];
        check_ok(t, "2024", "\"2024\"");
        check_ok(t, "true", "\"true\"");
        check_ok(t, "null", "\"null\"");
        check_ok(t, "[1,2]", "\"[1,2]\"");
        check_ok(t, "\"quoted\"", "\"\\\"quoted\\\"\"");
        check_ok(t, "", "\"\"");
        check_ok(t, "00ff", "\"00ff\"");
        check_refused(t, "\xff\xfe", "UTF-8");
    }
    check_ok(RPC_ARG_STR, "caf\xc3\xa9", "\"caf\xc3\xa9\"");
}
END_TEST

START_TEST(json_types_must_fit)
{
    check_ok(RPC_ARG_INT, "5", "5");
    check_ok(RPC_ARG_INT, "-3", "-3");
    check_ok(RPC_ARG_INT, "null", "null");
    check_refused(RPC_ARG_INT, "1.5", "must be an integer, got '1.5'");
    check_refused(RPC_ARG_INT, "1e3", "int");
    check_refused(RPC_ARG_INT, "abc", "got 'abc'");
    check_refused(RPC_ARG_INT, "\"5\"", "int");
    check_refused(RPC_ARG_INT, "", "int");
    check_refused(RPC_ARG_INT, "99999999999999999999", "int"); /* past int64 */

    check_ok(RPC_ARG_NUM, "5", "5");
    check_ok(RPC_ARG_NUM, "0.25", "0.25");
    check_refused(RPC_ARG_NUM, "x", "expected number");
    check_refused(RPC_ARG_NUM, "true", "number");

    check_ok(RPC_ARG_BOOL, "true", "true");
    check_ok(RPC_ARG_BOOL, "false", "false");
    check_refused(RPC_ARG_BOOL, "1", "expected bool");
    check_refused(RPC_ARG_BOOL, "yes", "bool");
    check_refused(RPC_ARG_BOOL, "True", "bool");

    check_ok(RPC_ARG_OBJ, "{\"a\": [1, {}]}", "{\"a\":[1,{}]}");
    check_refused(RPC_ARG_OBJ, "[1]", "expected object");
    check_refused(RPC_ARG_OBJ, "{\"a\":", "object");
    check_ok(RPC_ARG_ARR, "[1, \"x\"]", "[1,\"x\"]");
    check_ok(RPC_ARG_ARR, "[]", "[]");
    check_refused(RPC_ARG_ARR, "{}", "expected array");
    check_refused(RPC_ARG_ARR, "txid", "array");

    /* A long value is shown cut short. */
    char long_text[200];
    memset(long_text, 'x', sizeof long_text - 1);
    long_text[sizeof long_text - 1] = '\0';
    check_refused(RPC_ARG_OBJ, long_text, "xxx...'");
}
END_TEST

START_TEST(any_is_json_or_string)
{
    check_ok(RPC_ARG_ANY, "5", "5");
    check_ok(RPC_ARG_ANY, "true", "true");
    check_ok(RPC_ARG_ANY, "{\"a\":1}", "{\"a\":1}");
    check_ok(RPC_ARG_ANY, "\"q\"", "\"q\"");
    check_ok(RPC_ARG_ANY, "abc", "\"abc\"");
    check_ok(RPC_ARG_ANY, "[1", "\"[1\"");
    check_ok(RPC_ARG_ANY, "", "\"\"");
    check_refused(RPC_ARG_ANY, "\xc3", "UTF-8");
}
END_TEST

START_TEST(amounts)
{
    check_ok(RPC_ARG_AMOUNT, "1.5", "1.5");
    check_ok(RPC_ARG_AMOUNT, "2", "2");
    check_ok(RPC_ARG_AMOUNT, "0", "0");
    check_ok(RPC_ARG_AMOUNT, "007", "7");
    check_ok(RPC_ARG_AMOUNT, "0.00000001", "0.00000001");
    check_ok(RPC_ARG_AMOUNT, "1.50000000000000000000", "1.5");
    check_ok(RPC_ARG_AMOUNT, "123456789012345", "123456789012345");
    /* Past 15 significant digits, or not a plain decimal: a string. */
    check_ok(RPC_ARG_AMOUNT, "1234567890123456", "\"1234567890123456\"");
    check_ok(RPC_ARG_AMOUNT, "20999999.99999999", "\"20999999.99999999\"");
    check_ok(RPC_ARG_AMOUNT, "1e3", "\"1e3\"");
    check_ok(RPC_ARG_AMOUNT, "-1", "\"-1\"");
    check_ok(RPC_ARG_AMOUNT, ".5", "\".5\"");
    check_ok(RPC_ARG_AMOUNT, "1.", "\"1.\"");
    check_ok(RPC_ARG_AMOUNT, "1.2.3", "\"1.2.3\"");
    check_ok(RPC_ARG_AMOUNT, "abc", "\"abc\"");
    check_ok(RPC_ARG_AMOUNT, "\"1.5\"", "\"\\\"1.5\\\"\"");
    check_ok(RPC_ARG_AMOUNT, "", "\"\"");
    check_ok(RPC_ARG_AMOUNT, "null", "null");

    /* Whatever form the client picks, the server reads the amount typed.
     * Spread over the whole range, with 0 to 8 decimals. */
    uint64_t x = 0x9e3779b97f4a7c15u;
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        amount_t a = (amount_t)(x % (AMOUNT_MAX + 1));
        static const amount_t cut[] = {100000000, 10000000, 1000000, 100000, 10000,
                                       1000,      100,      10,      1};
        a -= a % cut[i % 9];
        if (i % 3 == 0)
            a %= (amount_t)100000 * AMOUNT_COIN; /* also plenty of small ones */
        char text[40];
        amount_format(a, text, sizeof text);
        json_t *v = NULL;
        char err[128];
        ck_assert_msg(rpc_client_arg_json(RPC_ARG_AMOUNT, text, &v, err, sizeof err), "%s", text);
        amount_t back = 0;
        ck_assert_msg(rpc_amount_from_json(v, &back), "%s refused by the server", text);
        ck_assert_msg(back == a, "%s came back as %llu", text, (unsigned long long)back);
        json_decref(v);
    }
}
END_TEST

START_TEST(schema_lookup)
{
    json_t *schema = json_loads("[{\"name\":\"a\",\"type\":\"string\",\"optional\":false},"
                                "{\"name\":\"b\",\"type\":\"int\",\"optional\":true},"
                                "{\"name\":\"c\",\"type\":\"futuristic\",\"optional\":true},"
                                "5,"
                                "{\"type\":\"bool\"},"
                                "{\"name\":\"e\"}]",
                                0, NULL);
    ck_assert_ptr_nonnull(schema);
    const char *name = "untouched";
    ck_assert_int_eq(rpc_client_arg_type(schema, 0, NULL, &name), RPC_ARG_STR);
    ck_assert_str_eq(name, "a");
    ck_assert_int_eq(rpc_client_arg_type(schema, 1, NULL, &name), RPC_ARG_INT);
    ck_assert_str_eq(name, "b");
    /* A type this client does not know: as "any", still named. */
    ck_assert_int_eq(rpc_client_arg_type(schema, 2, NULL, &name), RPC_ARG_ANY);
    ck_assert_str_eq(name, "c");
    ck_assert_int_eq(rpc_client_arg_type(schema, 3, NULL, &name), RPC_ARG_ANY);
    ck_assert_ptr_null(name);
    ck_assert_int_eq(rpc_client_arg_type(schema, 4, NULL, &name), RPC_ARG_BOOL);
    ck_assert_ptr_null(name);
    ck_assert_int_eq(rpc_client_arg_type(schema, 5, NULL, &name), RPC_ARG_ANY);
    ck_assert_str_eq(name, "e");
    /* Past the declared arguments. */
    ck_assert_int_eq(rpc_client_arg_type(schema, 6, NULL, &name), RPC_ARG_ANY);
    ck_assert_ptr_null(name);
    /* By name; the position is ignored. */
    ck_assert_int_eq(rpc_client_arg_type(schema, 0, "b", &name), RPC_ARG_INT);
    ck_assert_str_eq(name, "b");
    ck_assert_int_eq(rpc_client_arg_type(schema, 1, "a", NULL), RPC_ARG_STR);
    ck_assert_int_eq(rpc_client_arg_type(schema, 0, "zz", &name), RPC_ARG_ANY);
    ck_assert_ptr_null(name);
    /* No schema at all (an older server): everything is "any". */
    ck_assert_int_eq(rpc_client_arg_type(NULL, 0, NULL, &name), RPC_ARG_ANY);
    ck_assert_int_eq(rpc_client_arg_type(NULL, 0, "a", &name), RPC_ARG_ANY);
    json_t *obj = json_object();
    ck_assert_int_eq(rpc_client_arg_type(obj, 0, NULL, &name), RPC_ARG_ANY);
    json_decref(obj);
    json_decref(schema);
}
END_TEST

static bool h_none(struct rpc_request *req, json_t **result)
{
    (void)req;
    *result = NULL;
    return true;
}

/* What the server writes, the client reads back as the declared types:
 * one argument of every type, and the control methods. */
START_TEST(schema_round_trip)
{
    static const struct rpc_method every[] = {
        {"test", "every", h_none, "All types.", NULL,
         {{"s", RPC_ARG_STR, false, ""}, {"i", RPC_ARG_INT, false, ""},
          {"n", RPC_ARG_NUM, false, ""}, {"b", RPC_ARG_BOOL, true, ""},
          {"a", RPC_ARG_AMOUNT, true, ""}, {"x", RPC_ARG_HEX, true, ""},
          {"h", RPC_ARG_HASH, true, ""}, {"o", RPC_ARG_OBJ, true, ""},
          {"r", RPC_ARG_ARR, true, ""}, {"any", RPC_ARG_ANY, true, ""}}}};
    struct rpc_table t;
    char err[256];
    rpc_table_init(&t);
    ck_assert(rpc_register_table(&t, every, 1, err, sizeof err));
    ck_assert(rpc_control_register(&t, err, sizeof err));
    for (size_t i = 0; i < t.n; i++) {
        const struct rpc_method *m = t.methods[i];
        json_t *schema = rpc_method_schema_json(m);
        ck_assert_ptr_nonnull(schema);
        for (size_t j = 0; j < RPC_MAX_ARGS && m->args[j].name != NULL; j++) {
            const char *name = NULL;
            ck_assert_int_eq(rpc_client_arg_type(schema, j, NULL, &name), m->args[j].type);
            ck_assert_str_eq(name, m->args[j].name);
            ck_assert_int_eq(rpc_client_arg_type(schema, 0, m->args[j].name, NULL),
                             m->args[j].type);
        }
        json_decref(schema);
    }
    rpc_table_clear(&t);
}
END_TEST

/* What souk-cli prints: amounts with exactly 8 decimals, whatever a double
 * holding them would print (50.0, 1e-05), other numbers as they are. */
START_TEST(results_print_amounts_with_8_decimals)
{
    json_error_t jerr;
    json_t *r = json_loads("{\"balance\": 50.00000000, \"fee\": -0.00000148, \"min\": 0.00001000,"
                           " \"big\": 20999999999.5, \"n\": 3, \"difficulty\": 4.656542373906925e-10,"
                           " \"list\": [0.1, {\"x\": -2.5}], \"s\": \"1.5\"}",
                           0, &jerr);
    ck_assert_ptr_nonnull(r);
    char *s = rpc_client_format_result(r);
    ck_assert_ptr_nonnull(s);
    ck_assert_str_eq(s, "{\n"
                        "  \"balance\": 50.00000000,\n"
                        "  \"fee\": -0.00000148,\n"
                        "  \"min\": 0.00001000,\n"
                        "  \"big\": 20999999999.50000000,\n"
                        "  \"n\": 3,\n"
                        "  \"difficulty\": 4.65654237390693e-10,\n"
                        "  \"list\": [\n"
                        "    0.10000000,\n"
                        "    {\n"
                        "      \"x\": -2.50000000\n"
                        "    }\n"
                        "  ],\n"
                        "  \"s\": \"1.5\"\n"
                        "}");
    free(s);
    json_decref(r);
    r = json_real(1e-5);
    s = rpc_client_format_result(r);
    ck_assert_str_eq(s, "0.00001000");
    free(s);
    json_decref(r);
}
END_TEST

Suite *unit_suite(void)
{
    const TTest *tests[] = {strings_are_never_parsed, json_types_must_fit, any_is_json_or_string,
                            amounts, schema_lookup, schema_round_trip,
                            results_print_amounts_with_8_decimals, NULL};
    return fixture_suite("rpc_client", NULL, tests);
}
