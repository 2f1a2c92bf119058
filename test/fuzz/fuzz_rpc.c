/* The JSON-RPC dispatcher: any bytes as an HTTP body through rpc_dispatch,
 * once normally and once in warm-up, against the control methods and a
 * table of test methods below (every argument type, named parameters,
 * failures of each kind, amounts). Whatever the body, the reply is framed
 * as server.h promises: a body exactly when the status is not 204, a
 * JSON-RPC 1.0 reply ({result, error, id}, HTTP status matching the error
 * code) or 2.0 reply ({jsonrpc, result or error, id}), a batch as an array
 * of those; amounts come out as bare numbers that read back as the same
 * amount; in warm-up no test method runs. */
#define _GNU_SOURCE /* memmem */
#include "fuzz.h"

#include <jansson.h>
#include <string.h>

#include "rpc/rpc_control.h"
#include "rpc/server.h"
#include "util/buf.h"

/* Incremented by every test method, to see that warm-up keeps them out. */
static unsigned long test_calls;

/* echo s ( n b x ): the values back as an array. */
static bool h_echo(struct rpc_request *req, json_t **result)
{
    const char *s;
    int64_t n;
    bool b;
    test_calls++;
    if (!rpc_param_str(req, 0, NULL, &s) || !rpc_param_int(req, 1, -1, -1000, 1000, &n) ||
        !rpc_param_bool(req, 2, false, &b))
        return false;
    const json_t *x = rpc_param(req, 3);
    *result = json_pack("[s,I,b,f]", s, (json_int_t)n, b, x != NULL ? json_number_value(x) : 0.0);
    return *result != NULL || rpc_error(req, RPC_INTERNAL_ERROR, "out of memory");
}

/* types ( every argument type ): reads each present argument with the
 * getter a real handler would use. */
static bool h_types(struct rpc_request *req, json_t **result)
{
    const char *s;
    int64_t i;
    bool b;
    amount_t a;
    test_calls++;
    if (!rpc_param_str(req, 0, "", &s) || !rpc_param_int(req, 1, 0, INT32_MIN, INT32_MAX, &i) ||
        !rpc_param_bool(req, 3, false, &b) || !rpc_param_amount(req, 4, 0, &a))
        return false;
    const json_t *num = rpc_param(req, 2);
    uint8_t hash[32] = {0};
    if (rpc_param(req, 6) != NULL && !rpc_param_hash(req, 6, hash))
        return false;
    struct buf hex;
    buf_init(&hex);
    if (rpc_param(req, 5) != NULL && !rpc_param_hex(req, 5, &hex)) {
        buf_clear(&hex);
        return false;
    }
    const json_t *obj = rpc_param(req, 7), *arr = rpc_param(req, 8);
    *result = json_pack("{s:s,s:I,s:f,s:b,s:o,s:o,s:o,s:I,s:I,s:b}", "str", s, "int",
                        (json_int_t)i, "num", num != NULL ? json_number_value(num) : 0.0, "bool",
                        b, "amount", rpc_amount_json(a), "hex", rpc_hex_json(hex.data, hex.len),
                        "hash", rpc_hex_json(hash, sizeof hash), "obj",
                        (json_int_t)json_object_size(obj), "arr", (json_int_t)json_array_size(arr),
                        "any", rpc_param(req, 9) != NULL);
    buf_clear(&hex);
    return *result != NULL || rpc_error(req, RPC_INTERNAL_ERROR, "out of memory");
}

/* fail ( kind msg ): each way a handler can fail. */
static bool h_fail(struct rpc_request *req, json_t **result)
{
    int64_t kind;
    const char *msg;
    test_calls++;
    if (!rpc_param_int(req, 0, 0, 0, 5, &kind) || !rpc_param_str(req, 1, "", &msg))
        return false;
    switch (kind) {
    case 0:
        return rpc_error(req, RPC_INVALID_PARAMETER, "failed: %s", msg);
    case 1:
        /* User text cut to a byte count, as handlers do to bound a message:
         * the cut may fall inside a character. */
        return rpc_error(req, RPC_MISC_ERROR, "failed: '%.7s'", msg);
    case 2:
        return false; /* without saying why */
    case 3:
        /* A result made before the failure: the dispatcher frees it. */
        *result = json_string("half done");
        return rpc_error(req, RPC_VERIFY_ERROR, "failed after starting");
    case 4:
        return rpc_error(req, RPC_INVALID_REQUEST, "a handler's invalid request");
    default:
        return rpc_error(req, RPC_METHOD_NOT_FOUND, "a handler's not found");
    }
}

/* amounts amount ( count ): the amount, its units and count copies. */
static bool h_amounts(struct rpc_request *req, json_t **result)
{
    amount_t a;
    int64_t count;
    test_calls++;
    if (!rpc_param_amount(req, 0, 0, &a) || !rpc_param_int(req, 1, 1, 0, 16, &count))
        return false;
    json_t *list = json_array();
    for (int64_t k = 0; list != NULL && k < count; k++)
        if (json_array_append_new(list, rpc_amount_json(a)) != 0) {
            json_decref(list);
            list = NULL;
        }
    *result = json_pack("{s:I,s:o,s:o}", "units", (json_int_t)a, "value", rpc_amount_json(a),
                        "list", list);
    return *result != NULL || rpc_error(req, RPC_INTERNAL_ERROR, "out of memory");
}

/* copy v: any JSON back, wrapped so it cannot pose as another result. */
static bool h_copy(struct rpc_request *req, json_t **result)
{
    test_calls++;
    const json_t *v = rpc_param(req, 0);
    *result = json_pack("{s:O}", "copy", v != NULL ? v : json_null());
    return *result != NULL || rpc_error(req, RPC_INTERNAL_ERROR, "out of memory");
}

/* nothing: succeeds with JSON null. */
static bool h_nothing(struct rpc_request *req, json_t **result)
{
    (void)req;
    test_calls++;
    *result = NULL;
    return true;
}

static const struct rpc_method fuzz_methods[] = {
    {"fuzz", "echo", h_echo, "Echo.", NULL,
     {{"s", RPC_ARG_STR, false, "a string"},
      {"n", RPC_ARG_INT, true, "an integer"},
      {"b", RPC_ARG_BOOL, true, "a boolean"},
      {"x", RPC_ARG_NUM, true, "a number"}}},
    {"fuzz", "types", h_types, "Every argument type.", NULL,
     {{"str", RPC_ARG_STR, true, ""},
      {"int", RPC_ARG_INT, true, ""},
      {"num", RPC_ARG_NUM, true, ""},
      {"bool", RPC_ARG_BOOL, true, ""},
      {"amount", RPC_ARG_AMOUNT, true, ""},
      {"hex", RPC_ARG_HEX, true, ""},
      {"hash", RPC_ARG_HASH, true, ""},
      {"obj", RPC_ARG_OBJ, true, ""},
      {"arr", RPC_ARG_ARR, true, ""},
      {"any", RPC_ARG_ANY, true, ""}}},
    {"fuzz", "fail", h_fail, "Fails.", NULL,
     {{"kind", RPC_ARG_INT, true, "0 to 5"}, {"msg", RPC_ARG_STR, true, "text"}}},
    {"fuzz", "amounts", h_amounts, "Amounts.", NULL,
     {{"amount", RPC_ARG_AMOUNT, false, "coins"}, {"count", RPC_ARG_INT, true, "copies"}}},
    {"fuzz", "copy", h_copy, "Copies.", NULL, {{"v", RPC_ARG_ANY, false, "anything"}}},
    {"fuzz", "nothing", h_nothing, "Nothing.", NULL, {{NULL, 0, false, NULL}}},
};

static struct rpc_table table;

static void setup(void)
{
    static bool done;
    if (done)
        return;
    char err[128];
    rpc_table_init(&table);
    FUZZ_ASSERT(rpc_register_table(&table, fuzz_methods,
                                   sizeof fuzz_methods / sizeof fuzz_methods[0], err, sizeof err));
    FUZZ_ASSERT(rpc_control_register(&table, err, sizeof err));
    /* Small, so a batch of a few dozen requests reaches the limit. */
    rpc_set_batch_reply_limit(2048);
    done = true;
}

/* The amounts result: value is a bare number reading back as the units
 * (exactly only where a double still tells 8-decimal amounts apart). */
static void check_amounts(const json_t *res)
{
    const json_t *units = json_object_get(res, "units");
    if (!json_is_integer(units))
        return;
    const json_t *value = json_object_get(res, "value");
    FUZZ_ASSERT(json_is_number(value));
    json_int_t u = json_integer_value(units);
    if (u < (json_int_t)1000000000000000) {
        amount_t back;
        FUZZ_ASSERT(rpc_amount_from_json(value, &back));
        FUZZ_ASSERT(back == (amount_t)u);
    }
    const json_t *item;
    size_t k;
    json_array_foreach(json_object_get(res, "list"), k, item)
        FUZZ_ASSERT(json_equal(item, value));
}

/* One reply object; returns its error code (0 for a success). */
static int check_reply(const json_t *o, bool *v2)
{
    FUZZ_ASSERT(json_is_object(o));
    FUZZ_ASSERT(json_object_size(o) == 3 && json_object_get(o, "id") != NULL);
    const json_t *res = json_object_get(o, "result"), *err = json_object_get(o, "error");
    const json_t *jv = json_object_get(o, "jsonrpc");
    *v2 = jv != NULL;
    if (*v2) {
        FUZZ_ASSERT(json_is_string(jv) && strcmp(json_string_value(jv), "2.0") == 0);
        FUZZ_ASSERT((res == NULL) != (err == NULL));
    } else {
        FUZZ_ASSERT(res != NULL && err != NULL);
        FUZZ_ASSERT(json_is_null(res) || json_is_null(err));
    }
    if (err == NULL || json_is_null(err)) {
        if (json_is_object(res) && !json_is_object(json_object_get(res, "copy")))
            check_amounts(res);
        return 0;
    }
    FUZZ_ASSERT(json_is_object(err) && json_object_size(err) == 2);
    FUZZ_ASSERT(json_is_string(json_object_get(err, "message")));
    const json_t *code = json_object_get(err, "code");
    FUZZ_ASSERT(json_is_integer(code) && json_integer_value(code) != 0);
    return (int)json_integer_value(code);
}

static void check_dispatch(const uint8_t *data, size_t size)
{
    struct rpc_reply rep;
    FUZZ_ASSERT(rpc_dispatch(&table, NULL, "/", "fuzzer", (const char *)data, size, &rep));
    FUZZ_ASSERT((rep.body == NULL) == (rep.status == 204));
    if (rep.body == NULL)
        return;
    FUZZ_ASSERT(rep.len > 0 && strlen(rep.body) == rep.len && rep.body[rep.len - 1] == '\n');
    /* A JSON string can only hold the amount marker's \x01 as the escape
     * \u0001; without it in the input, no user text can pose as an amount,
     * and the reply must be well-formed. (With it, only the marker's
     * per-process random tag keeps user text out; the fuzzer can learn the
     * tag from the comparisons it watches, so that is not checked here.) */
    if (memmem(data, size, "\\u0001", 6) != NULL) {
        rpc_reply_clear(&rep);
        return;
    }
    json_error_t jerr;
    json_t *v = json_loads(rep.body, 0, &jerr);
    FUZZ_ASSERT(v != NULL);
    bool v2;
    if (json_is_array(v)) {
        FUZZ_ASSERT(rep.status == 200 && json_array_size(v) > 0);
        const json_t *item;
        size_t k;
        json_array_foreach(v, k, item)
            (void)check_reply(item, &v2);
    } else {
        int code = check_reply(v, &v2);
        if (v2) {
            /* 2.0 errors travel with HTTP 200; only an empty batch is a 400. */
            FUZZ_ASSERT(rep.status == 200 || (rep.status == 400 && code == RPC_INVALID_REQUEST));
        } else if (code == 0) {
            FUZZ_ASSERT(rep.status == 200);
        } else {
            int want = code == RPC_INVALID_REQUEST ? 400 : code == RPC_METHOD_NOT_FOUND ? 404 : 500;
            FUZZ_ASSERT(rep.status == want);
        }
    }
    json_decref(v);
    rpc_reply_clear(&rep);
}

void fuzz_one(const uint8_t *data, size_t size)
{
    setup();
    check_dispatch(data, size);
    rpc_warmup_set_status("Fuzzing\xe2\x80\xa6");
    unsigned long before = test_calls;
    check_dispatch(data, size);
    FUZZ_ASSERT(test_calls == before);
    rpc_warmup_finish();
}
