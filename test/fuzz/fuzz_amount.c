/* Amounts as clients send them: the input as JSON (a number or a string,
 * rpc_amount_from_json) and as text (amount_parse).
 *
 * Text is accepted exactly when it is digits, optionally a point and one
 * to eight more digits, worth at most AMOUNT_MAX units (a reference parser
 * here says so independently), and amount_format writes back text that
 * parses to the same amount. A JSON number is accepted only when a decimal
 * of at most eight places reads as the same double, so the amount's
 * formatted text reads as that double too; the reply form (rpc_amount_json
 * through rpc_json_dumps) is that text as a bare number, and read back as
 * a string or, below 10^15 units, as a number gives the amount again. */
#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

#include "rpc/server.h"
#include "util/amount.h"

/* digits ( '.' 1-8 digits )?, <= AMOUNT_MAX. */
static bool reference_parse(const char *s, amount_t *out)
{
    unsigned __int128 whole = 0;
    const unsigned __int128 cap = (unsigned __int128)AMOUNT_MAX + 1;
    size_t i = 0;
    for (; isdigit((unsigned char)s[i]); i++)
        if (whole < cap)
            whole = whole * 10 + (unsigned)(s[i] - '0');
    if (i == 0)
        return false;
    uint64_t frac = 0;
    int places = 0;
    if (s[i] == '.') {
        for (i++; isdigit((unsigned char)s[i]); i++, places++) {
            if (places == 8)
                return false;
            frac = frac * 10 + (unsigned)(s[i] - '0');
        }
        if (places == 0)
            return false;
    }
    if (s[i] != '\0')
        return false;
    for (; places < 8; places++)
        frac *= 10;
    if (whole >= cap)
        return false;
    unsigned __int128 units = whole * AMOUNT_COIN + frac;
    if (units > AMOUNT_MAX)
        return false;
    *out = (amount_t)units;
    return true;
}

static void check_text(const char *s)
{
    amount_t a = 0, r = 0;
    bool ok = amount_parse(s, &a);
    FUZZ_ASSERT(ok == reference_parse(s, &r));
    if (!ok)
        return;
    FUZZ_ASSERT(a == r && amount_valid(a));
    char text[32];
    amount_format(a, text, sizeof text);
    amount_t back;
    FUZZ_ASSERT(amount_parse(text, &back) && back == a);
}

static void check_reply(amount_t a)
{
    char text[32];
    amount_format(a, text, sizeof text);
    json_t *j = rpc_amount_json(a);
    FUZZ_ASSERT(j != NULL);
    char *dumped = rpc_json_dumps(j, 0);
    json_decref(j);
    FUZZ_ASSERT(dumped != NULL && strcmp(dumped, text) == 0);
    free(dumped);
    amount_t back;
    json_t *as_string = json_string(text);
    FUZZ_ASSERT(as_string != NULL && rpc_amount_from_json(as_string, &back) && back == a);
    json_decref(as_string);
    if (a < (amount_t)1000000000000000) {
        json_t *as_number = json_loads(text, JSON_DECODE_ANY, NULL);
        FUZZ_ASSERT(as_number != NULL && rpc_amount_from_json(as_number, &back) && back == a);
        json_decref(as_number);
    }
}

void fuzz_one(const uint8_t *data, size_t size)
{
    const char *text;
    fuzz_split(data, size, &text, 1);
    check_text(text);

    json_error_t err;
    json_t *v = json_loadb((const char *)data, size, JSON_DECODE_ANY, &err);
    amount_t a;
    if (v != NULL && rpc_amount_from_json(v, &a)) {
        FUZZ_ASSERT(amount_valid(a));
        if (json_is_real(v)) {
            char formatted[32];
            amount_format(a, formatted, sizeof formatted);
            FUZZ_ASSERT(strtod(formatted, NULL) == json_real_value(v));
        } else if (json_is_integer(v)) {
            FUZZ_ASSERT(a == (amount_t)json_integer_value(v) * AMOUNT_COIN);
        } else {
            amount_t s;
            FUZZ_ASSERT(json_is_string(v) && amount_parse(json_string_value(v), &s) && s == a);
        }
        check_reply(a);
    }
    json_decref(v);
}
