#include "rpc/client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rpc/server.h"

enum rpc_arg_type rpc_client_arg_type(const json_t *schema, size_t pos, const char *name,
                                      const char **arg_name)
{
    if (arg_name != NULL)
        *arg_name = NULL;
    const json_t *entry = NULL;
    if (name == NULL) {
        entry = json_array_get(schema, pos);
    } else {
        for (size_t i = 0; i < json_array_size(schema) && entry == NULL; i++) {
            const json_t *e = json_array_get(schema, i);
            const char *n = json_string_value(json_object_get(e, "name"));
            if (n != NULL && strcmp(n, name) == 0)
                entry = e;
        }
    }
    if (!json_is_object(entry))
        return RPC_ARG_ANY;
    if (arg_name != NULL)
        *arg_name = json_string_value(json_object_get(entry, "name"));
    enum rpc_arg_type t;
    if (!rpc_arg_type_from_schema_name(json_string_value(json_object_get(entry, "type")), &t))
        return RPC_ARG_ANY;
    return t;
}

/* Digits, optionally a point and more digits: what a person types as an
 * amount. *integral says whether there was no point. */
static bool plain_decimal(const char *s, bool *integral)
{
    size_t i = 0;
    while (s[i] >= '0' && s[i] <= '9')
        i++;
    if (i == 0)
        return false;
    *integral = s[i] == '\0';
    if (*integral)
        return true;
    if (s[i] != '.')
        return false;
    size_t frac = ++i;
    while (s[i] >= '0' && s[i] <= '9')
        i++;
    return i > frac && s[i] == '\0';
}

/* Significant digits of a plain decimal: from the first non-zero digit to
 * the last digit, not counting zeros that end the fraction. */
static size_t significant_digits(const char *s)
{
    bool in_frac = false;
    for (; *s == '0' || *s == '.'; s++)
        in_frac = in_frac || *s == '.';
    size_t n = 0, zeros = 0;
    for (; *s != '\0'; s++) {
        if (*s == '.') {
            in_frac = true;
            continue;
        }
        n++;
        zeros = (in_frac && *s == '0') ? zeros + 1 : 0;
    }
    return n - zeros;
}

/* 15 = DBL_DIG: any decimal of that many significant digits survives the
 * trip through a double, so the server reads back the amount typed. */
#define CLIENT_AMOUNT_NUMBER_DIGITS 15

static json_t *amount_value(const char *text)
{
    /* null means "not given" for every type but strings. */
    if (strcmp(text, "null") == 0)
        return json_null();
    bool integral;
    if (!plain_decimal(text, &integral) ||
        significant_digits(text) > CLIENT_AMOUNT_NUMBER_DIGITS)
        return json_string(text);
    return integral ? json_integer((json_int_t)strtoll(text, NULL, 10))
                    : json_real(strtod(text, NULL));
}

static const char *expectation(enum rpc_arg_type t)
{
    switch (t) {
    case RPC_ARG_INT:
        return "int (a whole number such as 5)";
    case RPC_ARG_NUM:
        return "number (such as 5 or 0.25)";
    case RPC_ARG_BOOL:
        return "bool (true or false)";
    case RPC_ARG_OBJ:
        return "object (JSON such as {\"key\": 1})";
    case RPC_ARG_ARR:
        return "array (JSON such as [1, 2])";
    default:
        return rpc_arg_type_schema_name(t);
    }
}

bool rpc_client_arg_json(enum rpc_arg_type t, const char *text, json_t **out, char *err,
                         size_t errlen)
{
    json_t *v = NULL;
    switch (t) {
    case RPC_ARG_STR:
    case RPC_ARG_HEX:
    case RPC_ARG_HASH:
        v = json_string(text);
        break;
    case RPC_ARG_AMOUNT:
        v = amount_value(text);
        break;
    case RPC_ARG_ANY:
        v = json_loads(text, JSON_DECODE_ANY, NULL);
        if (v == NULL)
            v = json_string(text);
        break;
    case RPC_ARG_INT:
    case RPC_ARG_NUM:
    case RPC_ARG_BOOL:
    case RPC_ARG_OBJ:
    case RPC_ARG_ARR:
        v = json_loads(text, JSON_DECODE_ANY, NULL);
        /* The dispatcher's own check, so what passes here passes there. */
        if (v == NULL || (!json_is_null(v) && !rpc_arg_type_matches(t, v))) {
            bool fraction = t == RPC_ARG_INT && json_is_real(v);
            json_decref(v);
            *out = NULL;
            /* Shown cut short: an object can be long. */
            if (fraction)
                snprintf(err, errlen, "must be an integer, got '%.60s'", text);
            else
                snprintf(err, errlen, "expected %s, got '%.60s%s'", expectation(t), text,
                         strlen(text) > 60 ? "..." : "");
            return false;
        }
        break;
    }
    *out = v;
    if (v == NULL) {
        /* Every text here is a valid string for jansson unless it is not
         * UTF-8; memory running out is the only other way. */
        snprintf(err, errlen, "not valid UTF-8 text");
        return false;
    }
    return true;
}

/* A real that prints with 8 decimals and reads back as the same double is
 * shown as an amount. Every amount the server sends qualifies (it wrote
 * 8 decimals); a difficulty such as 4.6e-10 does not. */
static bool real_as_units(double d, int64_t *units)
{
    char text[64];
    if (!(d > -1e11 && d < 1e11))
        return false;
    int n = snprintf(text, sizeof text, "%.8f", d);
    if (n <= 0 || (size_t)n >= sizeof text || strtod(text, NULL) != d)
        return false;
    char digits[64];
    size_t j = 0;
    for (const char *p = text; *p != '\0'; p++)
        if (*p != '.')
            digits[j++] = *p;
    digits[j] = '\0';
    *units = strtoll(digits, NULL, 10);
    return true;
}

/* Replaces, in place, every amount-like real under v by an amount. */
static bool mark_amounts(json_t *v)
{
    if (json_is_object(v)) {
        const char *k;
        json_t *child;
        json_object_foreach(v, k, child) {
            int64_t units;
            if (json_is_real(child) && real_as_units(json_real_value(child), &units)) {
                if (json_object_set_new(v, k, rpc_signed_amount_json(units)) != 0)
                    return false;
            } else if (!mark_amounts(child)) {
                return false;
            }
        }
    } else if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++) {
            json_t *child = json_array_get(v, i);
            int64_t units;
            if (json_is_real(child) && real_as_units(json_real_value(child), &units)) {
                if (json_array_set_new(v, i, rpc_signed_amount_json(units)) != 0)
                    return false;
            } else if (!mark_amounts(child)) {
                return false;
            }
        }
    }
    return true;
}

char *rpc_client_format_result(const json_t *result)
{
    int64_t units;
    if (json_is_real(result) && real_as_units(json_real_value(result), &units)) {
        json_t *a = rpc_signed_amount_json(units);
        char *s = a != NULL ? rpc_json_dumps(a, JSON_ENCODE_ANY) : NULL;
        json_decref(a);
        return s;
    }
    json_t *copy = json_deep_copy(result);
    char *s = NULL;
    if (copy != NULL && mark_amounts(copy))
        s = rpc_json_dumps(copy, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
    json_decref(copy);
    return s;
}
