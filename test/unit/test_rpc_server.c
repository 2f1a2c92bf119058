#include "unit.h"
#include "fixture.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "rpc/rpc_control.h"
#include "rpc/server.h"

/* ------------------------------------------------------------ a fake table */

static bool h_echo(struct rpc_request *req, json_t **result)
{
    const char *a;
    int64_t b;
    if (!rpc_param_str(req, 0, NULL, &a) || !rpc_param_int(req, 1, -1, -100, 100, &b))
        return false;
    *result = json_pack("[s,I]", a, (json_int_t)b);
    return true;
}

static bool h_add(struct rpc_request *req, json_t **result)
{
    int64_t x, y;
    if (!rpc_param_int(req, 0, 0, INT32_MIN, INT32_MAX, &x) ||
        !rpc_param_int(req, 1, 0, INT32_MIN, INT32_MAX, &y))
        return false;
    *result = json_integer(x + y);
    return true;
}

static bool h_fail(struct rpc_request *req, json_t **result)
{
    (void)result;
    return rpc_error(req, RPC_INVALID_PARAMETER, "bad thing %d", 42);
}

static bool h_silent_fail(struct rpc_request *req, json_t **result)
{
    (void)req;
    (void)result;
    return false;
}

static bool h_amounts(struct rpc_request *req, json_t **result)
{
    amount_t a;
    if (!rpc_param_amount(req, 0, 0, &a))
        return false;
    *result = json_pack("{s:o,s:o,s:I}", "value", rpc_amount_json(a), "zero", rpc_amount_json(0),
                        "units", (json_int_t)a);
    return true;
}

static bool h_hash(struct rpc_request *req, json_t **result)
{
    uint8_t h[32];
    if (!rpc_param_hash(req, 0, h))
        return false;
    *result = rpc_hex_json(h, 32);
    return true;
}

static const struct rpc_method test_methods[] = {
    {"test", "echo", h_echo, "Echo.", NULL,
     {{"a", RPC_ARG_STR, false, "a string"}, {"b", RPC_ARG_INT, true, "a number (default -1)"}}},
    {"test", "add", h_add, "Add.", "Result: the sum",
     {{"x", RPC_ARG_INT, false, "first"}, {"y", RPC_ARG_INT, false, "second"}}},
    {"test", "fail", h_fail, "Fails.", NULL, {{NULL, 0, false, NULL}}},
    {"test", "silentfail", h_silent_fail, "Fails without a message.", NULL,
     {{NULL, 0, false, NULL}}},
    {"other", "amounts", h_amounts, "Amounts.", NULL,
     {{"amount", RPC_ARG_AMOUNT, false, "coins"}}},
    {"other", "hash", h_hash, "Hash.", NULL, {{"blockhash", RPC_ARG_HASH, false, "a hash"}}},
};

static struct rpc_table table;

static void setup(void)
{
    char err[256];
    rpc_table_init(&table);
    ck_assert(rpc_register_table(&table, test_methods,
                                 sizeof test_methods / sizeof test_methods[0], err, sizeof err));
    ck_assert(rpc_control_register(&table, err, sizeof err));
}

static void teardown(void)
{
    rpc_table_clear(&table);
}

/* Dispatches body; returns the parsed reply (NULL for no body). */
static json_t *call(const char *body, int *status)
{
    struct rpc_reply rep;
    ck_assert(rpc_dispatch(&table, NULL, "/", "tester", body, strlen(body), &rep));
    *status = rep.status;
    json_t *v = NULL;
    if (rep.body != NULL) {
        ck_assert_uint_eq(rep.len, strlen(rep.body));
        ck_assert_int_eq(rep.body[rep.len - 1], '\n');
        v = json_loads(rep.body, 0, NULL);
        ck_assert_msg(v != NULL, "reply is not JSON: %s", rep.body);
    }
    rpc_reply_clear(&rep);
    return v;
}

static void check_error(const json_t *reply, int code, const char *msg_part)
{
    json_t *e = json_object_get(reply, "error");
    ck_assert(json_is_object(e));
    ck_assert_int_eq(json_integer_value(json_object_get(e, "code")), code);
    const char *m = json_string_value(json_object_get(e, "message"));
    ck_assert_ptr_nonnull(m);
    if (msg_part != NULL)
        ck_assert_msg(strstr(m, msg_part) != NULL, "'%s' lacks '%s'", m, msg_part);
}

/* ------------------------------------------------------------ tests */

START_TEST(v1_success_and_errors)
{
    int st;
    json_t *r = call("{\"method\":\"add\",\"params\":[1,2],\"id\":7}", &st);
    ck_assert_int_eq(st, 200);
    ck_assert_int_eq(json_integer_value(json_object_get(r, "result")), 3);
    ck_assert(json_is_null(json_object_get(r, "error")));
    ck_assert_int_eq(json_integer_value(json_object_get(r, "id")), 7);
    ck_assert_ptr_null(json_object_get(r, "jsonrpc"));
    json_decref(r);

    r = call("{\"method\":\"nosuch\",\"id\":\"x\"}", &st);
    ck_assert_int_eq(st, 404);
    check_error(r, RPC_METHOD_NOT_FOUND, "Method not found");
    ck_assert(json_is_null(json_object_get(r, "result")));
    ck_assert_str_eq(json_string_value(json_object_get(r, "id")), "x");
    json_decref(r);

    r = call("{\"method\":\"fail\",\"id\":1}", &st);
    ck_assert_int_eq(st, 500);
    check_error(r, RPC_INVALID_PARAMETER, "bad thing 42");
    json_decref(r);

    r = call("{\"method\":\"silentfail\",\"id\":1}", &st);
    ck_assert_int_eq(st, 500);
    check_error(r, RPC_INTERNAL_ERROR, "silentfail");
    json_decref(r);

    /* Without an id a 1.0 request still gets an answer, with id null. */
    r = call("{\"method\":\"add\",\"params\":[1,1]}", &st);
    ck_assert_int_eq(st, 200);
    ck_assert(json_is_null(json_object_get(r, "id")));
    json_decref(r);

    /* "jsonrpc":"1.0" is accepted as 1.0. */
    r = call("{\"jsonrpc\":\"1.0\",\"method\":\"nosuch\",\"id\":1}", &st);
    ck_assert_int_eq(st, 404);
    json_decref(r);
}
END_TEST

START_TEST(v2_success_errors_notifications)
{
    int st;
    json_t *r = call("{\"jsonrpc\":\"2.0\",\"method\":\"add\",\"params\":[4,5],\"id\":1}", &st);
    ck_assert_int_eq(st, 200);
    ck_assert_str_eq(json_string_value(json_object_get(r, "jsonrpc")), "2.0");
    ck_assert_int_eq(json_integer_value(json_object_get(r, "result")), 9);
    ck_assert_ptr_null(json_object_get(r, "error"));
    json_decref(r);

    r = call("{\"jsonrpc\":\"2.0\",\"method\":\"nosuch\",\"id\":1}", &st);
    ck_assert_int_eq(st, 200);
    check_error(r, RPC_METHOD_NOT_FOUND, NULL);
    ck_assert_ptr_null(json_object_get(r, "result"));
    json_decref(r);

    /* Notifications: no reply at all, whether they succeed or fail. */
    r = call("{\"jsonrpc\":\"2.0\",\"method\":\"add\",\"params\":[4,5]}", &st);
    ck_assert_int_eq(st, 204);
    ck_assert_ptr_null(r);
    r = call("{\"jsonrpc\":\"2.0\",\"method\":\"fail\"}", &st);
    ck_assert_int_eq(st, 204);
    ck_assert_ptr_null(r);
    /* id null is an id, not a notification. */
    r = call("{\"jsonrpc\":\"2.0\",\"method\":\"add\",\"params\":[1,1],\"id\":null}", &st);
    ck_assert_int_eq(st, 200);
    ck_assert(json_is_null(json_object_get(r, "id")));
    json_decref(r);

    r = call("{\"jsonrpc\":\"3.0\",\"method\":\"add\",\"id\":1}", &st);
    ck_assert_int_eq(st, 400);
    check_error(r, RPC_INVALID_REQUEST, "version");
    json_decref(r);
    r = call("{\"jsonrpc\":2,\"method\":\"add\",\"id\":1}", &st);
    check_error(r, RPC_INVALID_REQUEST, "jsonrpc");
    json_decref(r);
}
END_TEST

START_TEST(parse_and_invalid_requests)
{
    int st;
    json_t *r = call("{\"method\":", &st);
    ck_assert_int_eq(st, 500);
    check_error(r, RPC_PARSE_ERROR, "Parse error");
    json_decref(r);
    r = call("42", &st);
    check_error(r, RPC_PARSE_ERROR, "Top-level");
    json_decref(r);
    r = call("", &st);
    check_error(r, RPC_PARSE_ERROR, NULL);
    json_decref(r);
    /* Invalid UTF-8 cannot be JSON: the error says so, and where (the byte
     * offset), never echoing the bytes, which would not be JSON either. */
    r = call("{\"method\":\"add\",\"params\":[\"caf\xc3\"],\"id\":1}", &st);
    ck_assert_int_eq(st, 500);
    check_error(r, RPC_PARSE_ERROR, "Parse error: the request is not valid UTF-8 (at offset 30)");
    ck_assert(json_is_null(json_object_get(r, "id")));
    json_decref(r);
    r = call("[\xff]", &st);
    check_error(r, RPC_PARSE_ERROR, "not valid UTF-8 (at offset 1)");
    json_decref(r);

    r = call("{\"params\":[],\"id\":1}", &st);
    ck_assert_int_eq(st, 400);
    check_error(r, RPC_INVALID_REQUEST, "Missing method");
    json_decref(r);
    r = call("{\"method\":5,\"id\":1}", &st);
    check_error(r, RPC_INVALID_REQUEST, "Method must be a string");
    json_decref(r);
    r = call("{\"method\":\"add\",\"params\":\"1,2\",\"id\":1}", &st);
    check_error(r, RPC_INVALID_REQUEST, "Params must be an array or object");
    json_decref(r);
}
END_TEST

START_TEST(param_checks)
{
    int st;
    json_t *r = call("{\"method\":\"add\",\"params\":[\"1\",2],\"id\":1}", &st);
    check_error(r, RPC_TYPE_ERROR, "for x, got string");
    json_decref(r);
    r = call("{\"method\":\"add\",\"params\":[1],\"id\":1}", &st);
    check_error(r, RPC_INVALID_PARAMS, "'y'");
    json_decref(r);
    r = call("{\"method\":\"add\",\"params\":[1,2,3],\"id\":1}", &st);
    check_error(r, RPC_INVALID_PARAMS, "Too many parameters");
    json_decref(r);
    /* Trailing nulls count as absent. */
    r = call("{\"method\":\"add\",\"params\":[1,2,null],\"id\":1}", &st);
    ck_assert_int_eq(json_integer_value(json_object_get(r, "result")), 3);
    json_decref(r);
    /* Range checks in the helpers are -8 and name the argument. */
    r = call("{\"method\":\"echo\",\"params\":[\"s\",101],\"id\":1}", &st);
    check_error(r, RPC_INVALID_PARAMETER, "b out of range");
    json_decref(r);
    r = call("{\"method\":\"echo\",\"params\":[\"s\",1.5],\"id\":1}", &st);
    check_error(r, RPC_TYPE_ERROR, "b must be an integer, got 1.5");
    json_decref(r);

    r = call("{\"method\":\"hash\",\"params\":[\"abcd\"],\"id\":1}", &st);
    check_error(r, RPC_INVALID_PARAMETER, "blockhash must be of length 64");
    json_decref(r);
    r = call("{\"method\":\"hash\",\"params\":[\"zz00000000000000000000000000000000000000000000"
             "000000000000000000\"],\"id\":1}",
             &st);
    check_error(r, RPC_INVALID_PARAMETER, "hexadecimal");
    json_decref(r);
    r = call("{\"method\":\"hash\",\"params\":[\"00AB000000000000000000000000000000000000000000"
             "000000000000000001\"],\"id\":1}",
             &st);
    ck_assert_str_eq(json_string_value(json_object_get(r, "result")),
                     "00ab000000000000000000000000000000000000000000000000000000000001");
    json_decref(r);
}
END_TEST

START_TEST(named_params)
{
    int st;
    json_t *r = call("{\"method\":\"echo\",\"params\":{\"b\":5,\"a\":\"x\"},\"id\":1}", &st);
    ck_assert_int_eq(st, 200);
    json_t *res = json_object_get(r, "result");
    ck_assert_str_eq(json_string_value(json_array_get(res, 0)), "x");
    ck_assert_int_eq(json_integer_value(json_array_get(res, 1)), 5);
    json_decref(r);

    /* An optional argument left out takes its default. */
    r = call("{\"method\":\"echo\",\"params\":{\"a\":\"y\"},\"id\":1}", &st);
    ck_assert_int_eq(json_integer_value(json_array_get(json_object_get(r, "result"), 1)), -1);
    json_decref(r);

    r = call("{\"method\":\"echo\",\"params\":{\"a\":\"x\",\"c\":1},\"id\":1}", &st);
    check_error(r, RPC_INVALID_PARAMETER, "Unknown named parameter c");
    json_decref(r);
    r = call("{\"method\":\"echo\",\"params\":{\"b\":1},\"id\":1}", &st);
    check_error(r, RPC_INVALID_PARAMS, "'a'");
    json_decref(r);
    r = call("{\"method\":\"echo\",\"params\":{\"a\":1},\"id\":1}", &st);
    check_error(r, RPC_TYPE_ERROR, "for a");
    json_decref(r);
}
END_TEST

START_TEST(batches)
{
    int st;
    json_t *r = call("[{\"method\":\"add\",\"params\":[1,2],\"id\":1},"
                     "{\"jsonrpc\":\"2.0\",\"method\":\"add\",\"params\":[1,2]},"
                     "{\"jsonrpc\":\"2.0\",\"method\":\"nosuch\",\"id\":3},"
                     "17]",
                     &st);
    ck_assert_int_eq(st, 200);
    ck_assert(json_is_array(r));
    ck_assert_uint_eq(json_array_size(r), 3);
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(r, 0), "result")), 3);
    check_error(json_array_get(r, 1), RPC_METHOD_NOT_FOUND, NULL);
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(r, 1), "id")), 3);
    check_error(json_array_get(r, 2), RPC_INVALID_REQUEST, NULL);
    json_decref(r);

    r = call("[{\"jsonrpc\":\"2.0\",\"method\":\"add\",\"params\":[1,2]},"
             "{\"jsonrpc\":\"2.0\",\"method\":\"fail\"}]",
             &st);
    ck_assert_int_eq(st, 204);
    ck_assert_ptr_null(r);

    r = call("[]", &st);
    ck_assert_int_eq(st, 400);
    check_error(r, RPC_INVALID_REQUEST, "Empty batch");
    json_decref(r);

    /* A 1.0 error inside a batch does not change the HTTP status. */
    r = call("[{\"method\":\"fail\",\"id\":1}]", &st);
    ck_assert_int_eq(st, 200);
    check_error(json_array_get(r, 0), RPC_INVALID_PARAMETER, NULL);
    json_decref(r);
}
END_TEST

START_TEST(amount_output)
{
    struct rpc_reply rep;
    const char *body = "{\"method\":\"amounts\",\"params\":[1.5],\"id\":1}";
    ck_assert(rpc_dispatch(&table, NULL, "/", NULL, body, strlen(body), &rep));
    ck_assert_int_eq(rep.status, 200);
    ck_assert_str_eq(rep.body, "{\"result\":{\"value\":1.50000000,\"zero\":0.00000000,"
                               "\"units\":150000000},\"error\":null,\"id\":1}\n");
    rpc_reply_clear(&rep);

    /* A string that looks like a marker without the secret tag stays a string. */
    json_t *v = json_pack("{s:s,s:o}", "s", "\x01" "0123456789abcdef:1.00000000", "a",
                          rpc_amount_json(AMOUNT_MAX));
    char *s = rpc_json_dumps(v, JSON_COMPACT);
    ck_assert_str_eq(s, "{\"s\":\"\\u00010123456789abcdef:1.00000000\",\"a\":21000000000.00000000}");
    free(s);
    json_decref(v);

    /* Fixed decimals: exactly `places` digits, none for 0 places, no
     * binary noise (4.33 is not a double). */
    v = json_pack("[o,o,o,o,o]", rpc_fixed_json(433, 2), rpc_fixed_json(5, 2),
                  rpc_fixed_json(0, 2), rpc_fixed_json(17, 0), rpc_fixed_json(UINT64_MAX, 8));
    s = rpc_json_dumps(v, JSON_COMPACT);
    ck_assert_str_eq(s, "[4.33,0.05,0.00,17,184467440737.09551615]");
    free(s);
    json_decref(v);
    ck_assert_ptr_null(rpc_fixed_json(1, 9));
}
END_TEST

START_TEST(amount_input)
{
    static const struct {
        const char *json;
        bool ok;
        amount_t units;
    } cases[] = {
        {"1.5", true, 150000000},
        {"\"1.5\"", true, 150000000},
        {"0.1", true, 10000000},
        {"0.00000001", true, 1},
        {"\"0.00000001\"", true, 1},
        {"3", true, 300000000},
        {"0", true, 0},
        {"20999999.99999999", true, 2099999999999999},
        {"\"21000000000\"", true, AMOUNT_MAX},
        {"0.123456789", false, 0},
        {"\"0.123456789\"", false, 0},
        {"-1", false, 0},
        {"-0.5", false, 0},
        {"\"-1\"", false, 0},
        {"\"1e3\"", false, 0},
        {"\"\"", false, 0},
        {"\"abc\"", false, 0},
        {"21000000001", false, 0},
        {"\"21000000000.00000001\"", false, 0},
        {"true", false, 0},
        {"null", false, 0},
        {"[1]", false, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *v = json_loads(cases[i].json, JSON_DECODE_ANY, NULL);
        ck_assert_ptr_nonnull(v);
        amount_t a = 12345;
        bool ok = rpc_amount_from_json(v, &a);
        ck_assert_msg(ok == cases[i].ok, "%s", cases[i].json);
        if (ok)
            ck_assert_msg(a == cases[i].units, "%s: %llu", cases[i].json, (unsigned long long)a);
        else
            ck_assert_uint_eq(a, 12345);
        json_decref(v);
    }

    int st;
    json_t *r = call("{\"method\":\"amounts\",\"params\":[0.123456789],\"id\":1}", &st);
    check_error(r, RPC_TYPE_ERROR, "Invalid amount for amount");
    json_decref(r);
    r = call("{\"method\":\"amounts\",\"params\":[true],\"id\":1}", &st);
    check_error(r, RPC_TYPE_ERROR, "amount");
    json_decref(r);
}
END_TEST

START_TEST(registration)
{
    char err[256];
    /* Already registered: refused, table unchanged. */
    size_t before = table.n;
    ck_assert(!rpc_register_table(&table, test_methods, 1, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "echo"));
    ck_assert_uint_eq(table.n, before);

    static const struct rpc_method dup[] = {
        {"x", "dupe", h_add, "", NULL, {{NULL, 0, false, NULL}}},
        {"x", "dupe", h_add, "", NULL, {{NULL, 0, false, NULL}}},
    };
    ck_assert(!rpc_register_table(&table, dup, 2, err, sizeof err));
    ck_assert_uint_eq(table.n, before);
    static const struct rpc_method noh[] = {{"x", "nohandler", NULL, "", NULL, {{NULL, 0, false, NULL}}}};
    ck_assert(!rpc_register_table(&table, noh, 1, err, sizeof err));
    ck_assert_ptr_null(rpc_table_find(&table, "nohandler"));
    ck_assert_ptr_nonnull(rpc_table_find(&table, "add"));
    ck_assert_ptr_nonnull(rpc_table_find(&table, "stop"));
}
END_TEST

START_TEST(help_output)
{
    json_t *res = NULL;
    int code = 0;
    char *msg = NULL;
    ck_assert(rpc_call(&table, NULL, "/", "help", NULL, &res, &code, &msg));
    const char *s = json_string_value(res);
    ck_assert_ptr_nonnull(s);
    ck_assert_ptr_nonnull(strstr(s, "== Control ==\n"));
    ck_assert_ptr_nonnull(strstr(s, "== Test ==\n"));
    ck_assert_ptr_nonnull(strstr(s, "\necho \"a\" ( b )\n"));
    ck_assert_ptr_nonnull(strstr(s, "\nhash \"blockhash\""));
    ck_assert_ptr_nonnull(strstr(s, "help ( \"command\" )"));
    json_decref(res);

    json_t *p = json_pack("[s]", "add");
    ck_assert(rpc_call(&table, NULL, "/", "help", p, &res, &code, &msg));
    s = json_string_value(res);
    ck_assert_ptr_nonnull(strstr(s, "add x y\n\nAdd.\n"));
    ck_assert_ptr_nonnull(strstr(s, "1. x"));
    ck_assert_ptr_nonnull(strstr(s, "(numeric, required) first"));
    ck_assert_ptr_nonnull(strstr(s, "Result: the sum"));
    json_decref(res);
    json_decref(p);

    p = json_pack("[s]", "nosuch");
    ck_assert(rpc_call(&table, NULL, "/", "help", p, &res, &code, &msg));
    ck_assert_str_eq(json_string_value(res), "help: unknown command: nosuch");
    json_decref(res);
    json_decref(p);

    /* stop and uptime need a node. */
    res = NULL;
    ck_assert(!rpc_call(&table, NULL, "/", "stop", NULL, &res, &code, &msg));
    ck_assert_ptr_null(res);
    ck_assert_int_eq(code, RPC_INTERNAL_ERROR);
    free(msg);

    ck_assert(rpc_call(&table, NULL, "/", "getrpcinfo", NULL, &res, &code, &msg));
    json_t *active = json_object_get(res, "active_commands");
    ck_assert_uint_eq(json_array_size(active), 1);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(active, 0), "method")),
                     "getrpcinfo");
    json_decref(res);
}
END_TEST

/* Compares v with the JSON text want (keys in any order). */
static void check_json(const json_t *v, const char *want)
{
    json_t *w = json_loads(want, 0, NULL);
    ck_assert_msg(w != NULL, "bad expected JSON %s", want);
    char *got = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS);
    ck_assert_msg(json_equal(v, w), "got %s, want %s", got != NULL ? got : "(null)", want);
    free(got);
    json_decref(w);
}

START_TEST(schema_json)
{
    /* One argument of each type: the names are what clients rely on. */
    static const struct rpc_method every = {
        "test", "every", h_add, "All types.", NULL,
        {{"s", RPC_ARG_STR, false, ""}, {"i", RPC_ARG_INT, false, ""},
         {"n", RPC_ARG_NUM, false, ""}, {"b", RPC_ARG_BOOL, true, ""},
         {"a", RPC_ARG_AMOUNT, true, ""}, {"x", RPC_ARG_HEX, true, ""},
         {"h", RPC_ARG_HASH, true, ""}, {"o", RPC_ARG_OBJ, true, ""},
         {"r", RPC_ARG_ARR, true, ""}, {"any", RPC_ARG_ANY, true, ""}}};
    json_t *v = rpc_method_schema_json(&every);
    check_json(v, "[{\"name\":\"s\",\"type\":\"string\",\"optional\":false},"
                  "{\"name\":\"i\",\"type\":\"int\",\"optional\":false},"
                  "{\"name\":\"n\",\"type\":\"number\",\"optional\":false},"
                  "{\"name\":\"b\",\"type\":\"bool\",\"optional\":true},"
                  "{\"name\":\"a\",\"type\":\"amount\",\"optional\":true},"
                  "{\"name\":\"x\",\"type\":\"hex\",\"optional\":true},"
                  "{\"name\":\"h\",\"type\":\"hash\",\"optional\":true},"
                  "{\"name\":\"o\",\"type\":\"object\",\"optional\":true},"
                  "{\"name\":\"r\",\"type\":\"array\",\"optional\":true},"
                  "{\"name\":\"any\",\"type\":\"any\",\"optional\":true}]");
    json_decref(v);
    /* Names map back to their types; anything else is unknown. */
    for (int t = RPC_ARG_STR; t <= RPC_ARG_ANY; t++) {
        enum rpc_arg_type back = RPC_ARG_STR;
        ck_assert(rpc_arg_type_from_schema_name(rpc_arg_type_schema_name((enum rpc_arg_type)t),
                                                &back));
        ck_assert_int_eq(back, t);
    }
    enum rpc_arg_type untouched = RPC_ARG_HASH;
    ck_assert(!rpc_arg_type_from_schema_name("numeric", &untouched));
    ck_assert(!rpc_arg_type_from_schema_name("", &untouched));
    ck_assert(!rpc_arg_type_from_schema_name(NULL, &untouched));
    ck_assert_int_eq(untouched, RPC_ARG_HASH);

    /* No arguments: an empty array. */
    v = rpc_method_schema_json(rpc_table_find(&table, "fail"));
    check_json(v, "[]");
    json_decref(v);
}
END_TEST

START_TEST(getrpcschema_method)
{
    json_t *res = NULL;
    int code = 0;
    char *msg = NULL;
    json_t *p = json_pack("[s]", "echo");
    ck_assert(rpc_call(&table, NULL, "/", "getrpcschema", p, &res, &code, &msg));
    check_json(res, "{\"echo\":[{\"name\":\"a\",\"type\":\"string\",\"optional\":false},"
                    "{\"name\":\"b\",\"type\":\"int\",\"optional\":true}]}");
    json_decref(res);
    json_decref(p);

    /* Without a name: every method of the table, each as rpc_method_schema_json says. */
    ck_assert(rpc_call(&table, NULL, "/", "getrpcschema", NULL, &res, &code, &msg));
    ck_assert(json_is_object(res));
    ck_assert_uint_eq(json_object_size(res), table.n);
    for (size_t i = 0; i < table.n; i++) {
        json_t *one = rpc_method_schema_json(table.methods[i]);
        json_t *got = json_object_get(res, table.methods[i]->name);
        ck_assert_msg(got != NULL && json_equal(got, one), "%s", table.methods[i]->name);
        json_decref(one);
    }
    check_json(json_object_get(res, "getrpcschema"),
               "[{\"name\":\"method\",\"type\":\"string\",\"optional\":true}]");
    json_decref(res);

    /* An unknown method is -8 (not -32601, which would mean no getrpcschema). */
    p = json_pack("[s]", "nosuch");
    res = NULL;
    ck_assert(!rpc_call(&table, NULL, "/", "getrpcschema", p, &res, &code, &msg));
    ck_assert_ptr_null(res);
    ck_assert_int_eq(code, RPC_INVALID_PARAMETER);
    ck_assert_ptr_nonnull(strstr(msg, "Method not found: nosuch"));
    free(msg);
    json_decref(p);
    /* The name is a string like any other argument. */
    p = json_pack("[i]", 5);
    ck_assert(!rpc_call(&table, NULL, "/", "getrpcschema", p, &res, &code, &msg));
    ck_assert_int_eq(code, RPC_TYPE_ERROR);
    free(msg);
    json_decref(p);
}
END_TEST

START_TEST(warmup_answers_28_except_control)
{
    char status[64];
    ck_assert(!rpc_warmup_get(status, sizeof status));
    rpc_warmup_set_status("Loading block index\xe2\x80\xa6");
    ck_assert(rpc_warmup_get(status, sizeof status));
    ck_assert_str_eq(status, "Loading block index\xe2\x80\xa6");

    int st;
    json_t *r = call("{\"method\":\"add\",\"params\":[1,2],\"id\":1}", &st);
    ck_assert_int_eq(st, 500);
    check_error(r, RPC_IN_WARMUP, "Loading block index");
    json_decref(r);
    /* checked before the arguments, as bitcoind does */
    r = call("{\"jsonrpc\":\"2.0\",\"method\":\"add\",\"params\":[\"x\"],\"id\":2}", &st);
    ck_assert_int_eq(st, 200);
    check_error(r, RPC_IN_WARMUP, NULL);
    json_decref(r);
    /* an unknown method is still one */
    r = call("{\"method\":\"nosuch\",\"id\":3}", &st);
    check_error(r, RPC_METHOD_NOT_FOUND, NULL);
    json_decref(r);
    /* help and getrpcinfo run; in a batch each entry is judged on its own */
    r = call("[{\"method\":\"help\",\"id\":4},{\"method\":\"getrpcinfo\",\"id\":5},"
             "{\"method\":\"echo\",\"params\":[\"a\"],\"id\":6}]", &st);
    ck_assert_int_eq(st, 200);
    ck_assert(json_is_string(json_object_get(json_array_get(r, 0), "result")));
    ck_assert(json_is_object(json_object_get(json_array_get(r, 1), "result")));
    check_error(json_array_get(r, 2), RPC_IN_WARMUP, NULL);
    json_decref(r);
    /* getrpcschema runs, so souk-cli -rpcwait can ask it first */
    r = call("{\"method\":\"getrpcschema\",\"params\":[\"add\"],\"id\":10}", &st);
    ck_assert_int_eq(st, 200);
    ck_assert(json_is_array(json_object_get(json_object_get(r, "result"), "add")));
    json_decref(r);
    /* stop and uptime are not held back either (here they fail for want of a node) */
    r = call("{\"method\":\"uptime\",\"id\":7}", &st);
    check_error(r, RPC_INTERNAL_ERROR, "no node");
    json_decref(r);

    rpc_warmup_set_status("Activating best chain\xe2\x80\xa6");
    r = call("{\"method\":\"echo\",\"params\":[\"a\"],\"id\":8}", &st);
    check_error(r, RPC_IN_WARMUP, "Activating best chain");
    json_decref(r);

    rpc_warmup_finish();
    ck_assert(!rpc_warmup_get(NULL, 0));
    r = call("{\"method\":\"add\",\"params\":[1,2],\"id\":9}", &st);
    ck_assert_int_eq(st, 200);
    ck_assert_int_eq(json_integer_value(json_object_get(r, "result")), 3);
    json_decref(r);
}
END_TEST

/* A batch stops running requests once its replies pass the limit; those
 * left are still answered, each with -32603, so memory stays bounded. */
START_TEST(batch_reply_is_bounded)
{
    rpc_set_batch_reply_limit(200);
    struct buf body;
    buf_init(&body);
    ck_assert(buf_append(&body, "[", 1));
    for (int i = 0; i < 40; i++) {
        char one[128];
        snprintf(one, sizeof one, "%s{\"method\":\"echo\",\"params\":[\"%030d\"],\"id\":%d}",
                 i > 0 ? "," : "", i, i);
        ck_assert(buf_append(&body, one, strlen(one)));
    }
    ck_assert(buf_append(&body, "]", 2));
    int st;
    json_t *r = call((const char *)body.data, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_uint_eq(json_array_size(r), 40);
    size_t ran = 0;
    for (size_t i = 0; i < 40; i++) {
        json_t *e = json_array_get(r, i);
        ck_assert_int_eq(json_integer_value(json_object_get(e, "id")), (json_int_t)i);
        if (json_is_array(json_object_get(e, "result"))) {
            ck_assert_uint_eq(i, ran); /* the ones that ran come first */
            ran++;
        } else {
            check_error(e, RPC_INTERNAL_ERROR, "Batch reply over 200 bytes");
        }
    }
    ck_assert_uint_ge(ran, 2);
    ck_assert_uint_le(ran, 4);
    json_decref(r);
    buf_clear(&body);
    rpc_set_batch_reply_limit(RPC_MAX_BATCH_REPLY);

    /* under the default limit the same batch runs in full */
    r = call("[{\"method\":\"add\",\"params\":[1,2],\"id\":1},"
             "{\"jsonrpc\":\"2.0\",\"method\":\"add\",\"params\":[1,2]},"
             "{\"method\":\"add\",\"params\":[3,4],\"id\":2}]", &st);
    ck_assert_int_eq(st, 200);
    ck_assert_uint_eq(json_array_size(r), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(r, 1), "result")), 7);
    json_decref(r);
}
END_TEST

/* A message or a help line that cuts user text to a byte count may end
 * inside a character: the reply still carries the error (it once came out
 * as {"error": null} with HTTP 500, since jansson refused the message), and
 * help still answers. */
START_TEST(text_cut_inside_a_character)
{
    int st;
    /* 79 ASCII bytes and a 2-byte character: "%.80s" keeps half of it. */
    char body[256], name[300];
    snprintf(body, sizeof body, "{\"method\":\"hash\",\"params\":[\"%079d\\u00e9\"],\"id\":1}", 0);
    json_t *r = call(body, &st);
    ck_assert_int_eq(st, 500);
    check_error(r, RPC_INVALID_PARAMETER, "blockhash must be of length 64 (not 81");
    const char *m = json_string_value(json_object_get(json_object_get(r, "error"), "message"));
    ck_assert_ptr_nonnull(strstr(m, "0?')"));
    json_decref(r);

    /* help cuts an unknown name at 250 bytes. */
    memset(name, 'x', 249);
    memcpy(name + 249, "\xc3\xa9", 3);
    json_t *res = NULL, *p = json_pack("[s]", name);
    int code = 0;
    char *msg = NULL;
    ck_assert_ptr_nonnull(p);
    ck_assert(rpc_call(&table, NULL, "/", "help", p, &res, &code, &msg));
    const char *s = json_string_value(res);
    ck_assert_ptr_nonnull(s);
    ck_assert_uint_eq(strlen(s), strlen("help: unknown command: ") + 250);
    ck_assert_int_eq(s[strlen(s) - 1], '?');
    json_decref(res);
    json_decref(p);
}
END_TEST

START_TEST(utf8_sanitize)
{
    char s[] = "ok \xc3\xa9 \xc3 \xe2\x82 \xed\xa0\x80 \xc0\xaf \xf0\x9f\x98\x80\xff\xe2\x82";
    rpc_utf8_sanitize(s);
    ck_assert_str_eq(s, "ok \xc3\xa9 ? ?? ??? ?? \xf0\x9f\x98\x80???");
    char e[] = "";
    rpc_utf8_sanitize(e);
    ck_assert_str_eq(e, "");
}
END_TEST

/* ------------------------------------------------------------ reply helpers */

static void request_clear(struct rpc_request *req)
{
    free(req->err_msg);
    memset(req, 0, sizeof *req);
}

START_TEST(reply_helpers)
{
    struct rpc_request req;
    memset(&req, 0, sizeof req);
    json_t *result = json_true();

    /* rpc_done: a value is the result; NULL is out of memory. */
    ck_assert(rpc_done(&req, &result, json_integer(5)));
    ck_assert_int_eq(json_integer_value(result), 5);
    ck_assert_ptr_null(req.err_msg);
    json_decref(result);
    ck_assert(!rpc_done(&req, &result, NULL));
    ck_assert_ptr_null(result);
    ck_assert_int_eq(req.err_code, RPC_INTERNAL_ERROR);
    ck_assert_str_eq(req.err_msg, "out of memory");
    request_clear(&req);

    /* rpc_done_if: a half-built value is dropped (ASan sees a leak if not). */
    json_t *o = json_object();
    ck_assert(rpc_put(o, "a", json_integer(1)));
    ck_assert(!rpc_done_if(&req, &result, o, false));
    ck_assert_ptr_null(result);
    ck_assert_int_eq(req.err_code, RPC_INTERNAL_ERROR);
    request_clear(&req);
    o = json_object();
    ck_assert(rpc_done_if(&req, &result, o, true));
    ck_assert_ptr_eq(result, o);
    json_decref(result);
    ck_assert(!rpc_done_if(&req, &result, NULL, true));
    ck_assert_str_eq(req.err_msg, "out of memory");
    request_clear(&req);

    /* rpc_nomem keeps the first error. */
    ck_assert(!rpc_error(&req, RPC_MISC_ERROR, "first"));
    ck_assert(!rpc_nomem(&req));
    ck_assert_int_eq(req.err_code, RPC_MISC_ERROR);
    ck_assert_str_eq(req.err_msg, "first");
    request_clear(&req);
}
END_TEST

START_TEST(put_and_append_take_the_reference)
{
    json_t *o = json_object();
    ck_assert(rpc_put(o, "k", json_string("v")));
    ck_assert_str_eq(json_string_value(json_object_get(o, "k")), "v");
    ck_assert(!rpc_put(o, "n", NULL));
    ck_assert_ptr_null(json_object_get(o, "n"));
    /* Not an object: refused, and the value is dropped (no leak). */
    json_t *arr = json_array();
    ck_assert(!rpc_put(arr, "k", json_string("lost")));

    ck_assert(rpc_append(arr, o, true));
    ck_assert_uint_eq(json_array_size(arr), 1);
    ck_assert(!rpc_append(arr, json_string("half built"), false));
    ck_assert(!rpc_append(arr, NULL, true));
    ck_assert(!rpc_append(arr, NULL, false));
    /* Not an array: refused, and the value is dropped. */
    ck_assert(!rpc_append(json_object_get(json_array_get(arr, 0), "k"), json_integer(1), true));
    ck_assert_uint_eq(json_array_size(arr), 1);
    json_decref(arr);
}
END_TEST

START_TEST(required_string)
{
    struct rpc_request req;
    memset(&req, 0, sizeof req);
    req.params = json_pack("[s,n]", "here");
    const char *s = NULL;
    ck_assert(rpc_param_str_required(&req, 0, &s));
    ck_assert_str_eq(s, "here");
    /* Outside a method table nothing is required, but this one is. */
    s = "untouched";
    ck_assert(!rpc_param_str_required(&req, 1, &s));
    ck_assert_str_eq(s, "untouched");
    ck_assert_int_eq(req.err_code, RPC_INVALID_PARAMS);
    ck_assert_str_eq(req.err_msg, "Missing required parameter 'parameter'");
    json_decref(req.params);
    request_clear(&req);
    req.params = json_pack("[i]", 3);
    ck_assert(!rpc_param_str_required(&req, 0, &s));
    ck_assert_int_eq(req.err_code, RPC_TYPE_ERROR);
    json_decref(req.params);
    request_clear(&req);
}
END_TEST

/* Only a lone request of a method marked to run on the loop is answered
 * by rpc_dispatch_on_loop; anything else is left untouched for a worker. */
START_TEST(dispatch_on_loop)
{
    char err[256];
    struct rpc_reply rep;
    const char *one = "{\"method\":\"add\",\"params\":[2,3],\"id\":1}";
    ck_assert(!rpc_method_runs_on_loop(&table, "add"));
    ck_assert(!rpc_dispatch_on_loop(&table, NULL, "/", "t", one, strlen(one), &rep));
    ck_assert(rpc_table_run_on_loop(&table, "add", err, sizeof err));
    ck_assert(!rpc_table_run_on_loop(&table, "nosuchmethod", err, sizeof err));
    ck_assert(rpc_method_runs_on_loop(&table, "add"));
    ck_assert(rpc_dispatch_on_loop(&table, NULL, "/", "t", one, strlen(one), &rep));
    ck_assert_int_eq(rep.status, 200);
    ck_assert_ptr_nonnull(strstr(rep.body, "\"result\":5"));
    rpc_reply_clear(&rep);
    /* Errors of an on-loop method are answered there too. */
    const char *bad = "{\"method\":\"add\",\"params\":[2],\"id\":1}";
    ck_assert(rpc_dispatch_on_loop(&table, NULL, "/", "t", bad, strlen(bad), &rep));
    ck_assert_int_eq(rep.status, 500);
    rpc_reply_clear(&rep);
    const char *others[] = {
        "{\"method\":\"echo\",\"params\":[\"add\"],\"id\":1}", /* names it, is not it */
        "[{\"method\":\"add\",\"params\":[2,3],\"id\":1}]",    /* a batch */
        "{\"method\":\"add\",\"params\":[2,3],\"id\":1",       /* not JSON */
        "{\"method\":\"fail\",\"params\":[],\"id\":1}",
    };
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
        ck_assert_msg(!rpc_dispatch_on_loop(&table, NULL, "/", "t", others[i], strlen(others[i]),
                                            &rep),
                      "%s", others[i]);
    /* A long body goes to a worker whatever it holds. */
    char big[RPC_ON_LOOP_MAX_BODY + 64];
    memset(big, ' ', sizeof big);
    memcpy(big, one, strlen(one));
    big[sizeof big - 1] = '\0';
    ck_assert(!rpc_dispatch_on_loop(&table, NULL, "/", "t", big, strlen(big), &rep));
}
END_TEST

Suite *unit_suite(void)
{
    static const struct fixture_case tc = {.setup = setup, .teardown = teardown};
    const TTest *tests[] = {
        v1_success_and_errors, v2_success_errors_notifications, parse_and_invalid_requests,
        param_checks, named_params, batches, amount_output, amount_input, registration,
        help_output, schema_json, getrpcschema_method, warmup_answers_28_except_control,
        batch_reply_is_bounded, text_cut_inside_a_character, utf8_sanitize, reply_helpers,
        put_and_append_take_the_reference, required_string, dispatch_on_loop, NULL
    };
    return fixture_suite("rpc_server", &tc, tests);
}
