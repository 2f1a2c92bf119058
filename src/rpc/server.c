#define _POSIX_C_SOURCE 200809L
#include "rpc/server.h"

#include <ctype.h>
#include <inttypes.h>
#include <malloc.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "consensus/serialize.h"
#include "crypto/random.h"
#include "util/grow.h"
#include "util/hex.h"
#include "util/log.h"
#include "util/strutil.h"
#include "util/time.h"

/* ------------------------------------------------------------ table */

void rpc_table_init(struct rpc_table *t)
{
    memset(t, 0, sizeof *t);
}

void rpc_table_clear(struct rpc_table *t)
{
    free(t->methods);
    rpc_table_init(t);
}

static size_t n_args(const struct rpc_method *m)
{
    size_t n = 0;
    while (n < RPC_MAX_ARGS && m->args[n].name != NULL)
        n++;
    return n;
}

static int cmp_method(const void *a, const void *b)
{
    const struct rpc_method *const *x = a, *const *y = b;
    return strcmp((*x)->name, (*y)->name);
}

bool rpc_register_table(struct rpc_table *t, const struct rpc_method *methods, size_t n,
                        char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        const struct rpc_method *m = &methods[i];
        if (m->name == NULL || m->name[0] == '\0' || m->handler == NULL || m->category == NULL) {
            str_set_err(err, errlen, "RPC method #%zu has no name, category or handler", i);
            return false;
        }
        if (n_args(m) >= RPC_MAX_ARGS) {
            str_set_err(err, errlen, "RPC method %s has too many arguments", m->name);
            return false;
        }
        if (rpc_table_find(t, m->name) != NULL) {
            str_set_err(err, errlen, "RPC method %s registered twice", m->name);
            return false;
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(methods[j].name, m->name) == 0) {
                str_set_err(err, errlen, "RPC method %s registered twice", m->name);
                return false;
            }
    }
    if (!grow_array((void **)&t->methods, &t->cap, t->n + n, sizeof *t->methods, 64)) {
        str_set_err(err, errlen, "out of memory");
        return false;
    }
    for (size_t i = 0; i < n; i++)
        t->methods[t->n++] = &methods[i];
    qsort(t->methods, t->n, sizeof *t->methods, cmp_method);
    return true;
}

const struct rpc_method *rpc_table_find(const struct rpc_table *t, const char *name)
{
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(t->methods[mid]->name, name);
        if (c == 0)
            return t->methods[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

bool rpc_table_run_on_loop(struct rpc_table *t, const char *name, char *err, size_t errlen)
{
    const struct rpc_method *m = rpc_table_find(t, name);
    if (m == NULL || t->n_on_loop >= RPC_MAX_ON_LOOP) {
        str_set_err(err, errlen, "cannot run RPC method %s on the event loop", name);
        return false;
    }
    if (!rpc_method_runs_on_loop(t, name))
        t->on_loop[t->n_on_loop++] = m->name;
    return true;
}

bool rpc_method_runs_on_loop(const struct rpc_table *t, const char *name)
{
    for (size_t i = 0; i < t->n_on_loop; i++)
        if (strcmp(t->on_loop[i], name) == 0)
            return true;
    return false;
}

/* ------------------------------------------------------------ wiping allocator */

/* jansson's free does not say how big a block is; malloc does. The blocks
 * stay plain malloc blocks, so callers may free() or realloc() what
 * json_dumps returns, and values made before the switch may be freed
 * after it. */
static void wipe_free(void *p)
{
    if (p == NULL)
        return;
    OPENSSL_cleanse(p, malloc_usable_size(p));
    free(p);
}

static bool wipe_installed;

void rpc_secure_alloc_init(void)
{
    json_set_alloc_funcs(malloc, wipe_free);
    wipe_installed = true;
}

bool rpc_secure_alloc_active(void)
{
    return wipe_installed;
}

/* ------------------------------------------------------------ amounts */

#define AMOUNT_TAG_LEN 16
static char amount_marker[1 + AMOUNT_TAG_LEN + 2]; /* "\x01<tag>:" */
static pthread_once_t amount_once = PTHREAD_ONCE_INIT;
/* How a marked string starts in json_dumps' output (made once: every
 * reply is searched for it). */
static char amount_pattern[8 + AMOUNT_TAG_LEN + 2];

static void amount_marker_init(void)
{
    uint8_t r[AMOUNT_TAG_LEN / 2];
    char hex[AMOUNT_TAG_LEN + 1];
    if (!random_bytes(r, sizeof r)) {
        /* Only a broken OpenSSL DRBG gets here; the clock still keeps the
         * tag from being a constant anyone could write into a string. */
        uint64_t t = (uint64_t)time_system_us() ^ (uint64_t)time_mono_us() << 20;
        memcpy(r, &t, sizeof r < sizeof t ? sizeof r : sizeof t);
        LOG_WARN(LOG_CAT_RPC, "no random bytes for the amount marker");
    }
    hex_encode(r, sizeof r, hex);
    snprintf(amount_marker, sizeof amount_marker, "\x01%s:", hex);
    snprintf(amount_pattern, sizeof amount_pattern, "\"\\u0001%s", amount_marker + 1);
}

json_t *rpc_amount_json(amount_t a)
{
    pthread_once(&amount_once, amount_marker_init);
    char num[32], s[sizeof amount_marker + 32];
    amount_format(a, num, sizeof num);
    snprintf(s, sizeof s, "%s%s", amount_marker, num);
    return json_string(s);
}

json_t *rpc_fixed_json(uint64_t v, unsigned places)
{
    pthread_once(&amount_once, amount_marker_init);
    if (places > 8)
        return NULL;
    uint64_t div = 1;
    for (unsigned i = 0; i < places; i++)
        div *= 10;
    char s[sizeof amount_marker + 32];
    if (places == 0)
        snprintf(s, sizeof s, "%s%" PRIu64, amount_marker, v);
    else
        snprintf(s, sizeof s, "%s%" PRIu64 ".%0*" PRIu64, amount_marker, v / div, (int)places,
                 v % div);
    return json_string(s);
}

/* rpc_amount_json's marked string ends with the decimal digits after the
 * marker's last ':', so a '-' goes in front of them. */
json_t *rpc_signed_amount_json(int64_t v)
{
    uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    json_t *a = rpc_amount_json((amount_t)mag);
    if (a == NULL || v >= 0)
        return a;
    const char *s = json_string_value(a);
    const char *colon = s != NULL ? strrchr(s, ':') : NULL;
    if (colon == NULL) {
        json_decref(a);
        return NULL;
    }
    size_t head = (size_t)(colon - s) + 1;
    size_t total = strlen(s);
    char *neg = malloc(total + 2);
    if (neg == NULL) {
        json_decref(a);
        return NULL;
    }
    memcpy(neg, s, head);
    neg[head] = '-';
    memcpy(neg + head + 1, s + head, total - head + 1);
    json_decref(a);
    json_t *r = json_string(neg);
    free(neg);
    return r;
}

json_t *rpc_hex_json(const uint8_t *data, size_t len)
{
    char *s = malloc(2 * len + 1);
    if (s == NULL)
        return NULL;
    hex_encode(data, len, s);
    json_t *v = json_string(s);
    free(s);
    return v;
}

/* In jansson's output the marker's \x01 appears as the escape "\u0001". */
char *rpc_json_dumps(const json_t *v, size_t flags)
{
    pthread_once(&amount_once, amount_marker_init);
    char *s = json_dumps(v, flags | JSON_ENCODE_ANY);
    if (s == NULL)
        return NULL;
    const char *pat = amount_pattern;
    size_t pl = strlen(pat);
    char *hit = strstr(s, pat);
    if (hit == NULL)
        return s;
    /* Rewriting only shortens, so it is done in place. */
    char *w = hit, *r = hit;
    while (*r != '\0') {
        if (strncmp(r, pat, pl) == 0) {
            r += pl;
            while (*r != '"' && *r != '\0')
                *w++ = *r++;
            if (*r == '"')
                r++;
        } else {
            *w++ = *r++;
        }
    }
    *w = '\0';
    return s;
}

/* Shortest decimal form with at most 8 places that reads back as the same
 * double: that is what the client wrote (JSON numbers reach us as
 * doubles). */
static bool amount_from_real(double d, amount_t *out)
{
    if (!isfinite(d) || d < 0 || d > (double)(AMOUNT_MAX / AMOUNT_COIN) + 1)
        return false;
    char s[64];
    for (int places = 0; places <= 8; places++) {
        snprintf(s, sizeof s, "%.*f", places, d);
        if (strtod(s, NULL) == d)
            return amount_parse(s, out);
    }
    return false;
}

bool rpc_amount_from_json(const json_t *v, amount_t *out)
{
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        if (i < 0 || (uint64_t)i > AMOUNT_MAX / AMOUNT_COIN)
            return false;
        *out = (amount_t)i * AMOUNT_COIN;
        return true;
    }
    if (json_is_real(v))
        return amount_from_real(json_real_value(v), out);
    if (json_is_string(v))
        return amount_parse(json_string_value(v), out);
    return false;
}

/* ------------------------------------------------------------ errors and params */

void rpc_utf8_sanitize(char *s)
{
    size_t len = strlen(s);
    for (size_t i = 0; i < len;) {
        /* The shortest valid slice starting here is exactly one character
         * (a lead byte alone is a truncated sequence), so validity stays
         * ser_utf8_valid's to decide. */
        size_t n = 1;
        while (n <= 4 && i + n <= len && !ser_utf8_valid((const uint8_t *)s + i, n))
            n++;
        if (n <= 4 && i + n <= len) {
            i += n;
        } else {
            s[i] = '?';
            i++;
        }
    }
}

bool rpc_error(struct rpc_request *req, int code, const char *fmt, ...)
{
    if (req->err_msg != NULL)
        return false;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    req->err_code = code;
    if (n < 0)
        return false;
    char *m = malloc((size_t)n + 1);
    if (m == NULL) {
        req->err_code = RPC_INTERNAL_ERROR;
        return false;
    }
    va_start(ap, fmt);
    vsnprintf(m, (size_t)n + 1, fmt, ap);
    va_end(ap);
    /* jansson refuses a message that is not UTF-8, which left the reply
     * without its error; user text cut with "%.80s" can end that way. */
    rpc_utf8_sanitize(m);
    req->err_msg = m;
    return false;
}

bool rpc_nomem(struct rpc_request *req)
{
    return rpc_error(req, RPC_INTERNAL_ERROR, "out of memory");
}

bool rpc_done(struct rpc_request *req, json_t **result, json_t *v)
{
    *result = v;
    return v != NULL || rpc_nomem(req);
}

bool rpc_done_if(struct rpc_request *req, json_t **result, json_t *v, bool ok)
{
    if (!ok) {
        json_decref(v);
        v = NULL;
    }
    return rpc_done(req, result, v);
}

json_t *rpc_built(json_t *o, bool ok)
{
    if (ok)
        return o;
    json_decref(o);
    return NULL;
}

bool rpc_put(json_t *obj, const char *key, json_t *v)
{
    return v != NULL && json_object_set_new(obj, key, v) == 0;
}

bool rpc_append(json_t *arr, json_t *v, bool ok)
{
    if (!ok) {
        json_decref(v);
        return false;
    }
    return json_array_append_new(arr, v) == 0;
}

const char *rpc_param_name(const struct rpc_request *req, size_t i)
{
    if (req->method != NULL && i < n_args(req->method))
        return req->method->args[i].name;
    return "parameter";
}

const json_t *rpc_param(const struct rpc_request *req, size_t i)
{
    json_t *v = req->params != NULL ? json_array_get(req->params, i) : NULL;
    return (v == NULL || json_is_null(v)) ? NULL : v;
}

static bool param_optional(const struct rpc_request *req, size_t i)
{
    return req->method == NULL || i >= n_args(req->method) || req->method->args[i].optional;
}

/* Handles the absent case for the getters: true when *absent was decided
 * (either default taken, or the error set). */
static bool missing(struct rpc_request *req, size_t i, bool *ok)
{
    if (param_optional(req, i)) {
        *ok = true;
        return true;
    }
    *ok = rpc_error(req, RPC_INVALID_PARAMS, "Missing required parameter '%s'",
                    rpc_param_name(req, i));
    return true;
}

static const char *json_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "object";
    case JSON_ARRAY:
        return "array";
    case JSON_STRING:
        return "string";
    case JSON_INTEGER:
    case JSON_REAL:
        return "number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "boolean";
    default:
        return "null";
    }
}

bool rpc_param_str(struct rpc_request *req, size_t i, const char *def, const char **out)
{
    const json_t *v = rpc_param(req, i);
    bool ok;
    if (v == NULL) {
        missing(req, i, &ok);
        if (ok)
            *out = def;
        return ok;
    }
    if (!json_is_string(v))
        return rpc_error(req, RPC_TYPE_ERROR, "Expected type string for %s, got %s",
                         rpc_param_name(req, i), json_type_name(v));
    *out = json_string_value(v);
    return true;
}

bool rpc_param_str_required(struct rpc_request *req, size_t i, const char **out)
{
    const char *s;
    if (!rpc_param_str(req, i, NULL, &s))
        return false;
    if (s == NULL)
        return rpc_error(req, RPC_INVALID_PARAMS, "Missing required parameter '%s'",
                         rpc_param_name(req, i));
    *out = s;
    return true;
}

bool rpc_param_int(struct rpc_request *req, size_t i, int64_t def, int64_t min, int64_t max,
                   int64_t *out)
{
    const json_t *v = rpc_param(req, i);
    bool ok;
    if (v == NULL) {
        missing(req, i, &ok);
        if (ok)
            *out = def;
        return ok;
    }
    if (json_is_real(v))
        return rpc_error(req, RPC_TYPE_ERROR, "%s must be an integer, got %.17g",
                         rpc_param_name(req, i), json_real_value(v));
    if (!json_is_integer(v))
        return rpc_error(req, RPC_TYPE_ERROR, "Expected type integer for %s, got %s",
                         rpc_param_name(req, i), json_type_name(v));
    json_int_t x = json_integer_value(v);
    if (x < min || x > max)
        return rpc_error(req, RPC_INVALID_PARAMETER,
                         "%s out of range: %lld (allowed %lld to %lld)", rpc_param_name(req, i),
                         (long long)x, (long long)min, (long long)max);
    *out = x;
    return true;
}

bool rpc_param_bool(struct rpc_request *req, size_t i, bool def, bool *out)
{
    const json_t *v = rpc_param(req, i);
    bool ok;
    if (v == NULL) {
        missing(req, i, &ok);
        if (ok)
            *out = def;
        return ok;
    }
    if (!json_is_boolean(v))
        return rpc_error(req, RPC_TYPE_ERROR, "Expected type boolean for %s, got %s",
                         rpc_param_name(req, i), json_type_name(v));
    *out = json_is_true(v);
    return true;
}

bool rpc_param_amount(struct rpc_request *req, size_t i, amount_t def, amount_t *out)
{
    const json_t *v = rpc_param(req, i);
    bool ok;
    if (v == NULL) {
        missing(req, i, &ok);
        if (ok)
            *out = def;
        return ok;
    }
    if (!json_is_number(v) && !json_is_string(v))
        return rpc_error(req, RPC_TYPE_ERROR, "Expected an amount (number or string) for %s, got %s",
                         rpc_param_name(req, i), json_type_name(v));
    amount_t a;
    if (!rpc_amount_from_json(v, &a))
        return rpc_error(req, RPC_TYPE_ERROR,
                         "Invalid amount for %s: coins with at most 8 decimals, 0 to 21000000000",
                         rpc_param_name(req, i));
    *out = a;
    return true;
}

static bool is_hex_string(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!isxdigit((unsigned char)s[i]))
            return false;
    return len % 2 == 0;
}

bool rpc_param_hash(struct rpc_request *req, size_t i, uint8_t out[32])
{
    const json_t *v = rpc_param(req, i);
    const char *name = rpc_param_name(req, i);
    if (v == NULL)
        return rpc_error(req, RPC_INVALID_PARAMS, "Missing required parameter '%s'", name);
    if (!json_is_string(v))
        return rpc_error(req, RPC_TYPE_ERROR, "Expected type string for %s, got %s", name,
                         json_type_name(v));
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    if (len != 64)
        return rpc_error(req, RPC_INVALID_PARAMETER, "%s must be of length 64 (not %zu, for '%.80s')",
                         name, len, s);
    if (!is_hex_string(s, len) || !hex_decode_exact(s, out, 32))
        return rpc_error(req, RPC_INVALID_PARAMETER,
                         "%s must be hexadecimal string (not '%.80s')", name, s);
    return true;
}

bool rpc_param_hex(struct rpc_request *req, size_t i, struct buf *out)
{
    const json_t *v = rpc_param(req, i);
    const char *name = rpc_param_name(req, i);
    if (v == NULL)
        return rpc_error(req, RPC_INVALID_PARAMS, "Missing required parameter '%s'", name);
    if (!json_is_string(v))
        return rpc_error(req, RPC_TYPE_ERROR, "Expected type string for %s, got %s", name,
                         json_type_name(v));
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    if (!is_hex_string(s, len))
        return rpc_error(req, RPC_INVALID_PARAMETER, "%s must be hexadecimal string", name);
    if (!hex_decode_buf(s, len, out))
        return rpc_nomem(req);
    return true;
}

/* ------------------------------------------------------------ active commands */

#define RPC_ACTIVE_MAX 64
static pthread_mutex_t active_mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
    const char *method;
    int64_t start_us;
} active[RPC_ACTIVE_MAX];

static int active_add(const char *method)
{
    pthread_mutex_lock(&active_mu);
    int slot = -1;
    for (int i = 0; i < RPC_ACTIVE_MAX && slot < 0; i++)
        if (active[i].method == NULL) {
            active[i].method = method;
            active[i].start_us = time_mono_us();
            slot = i;
        }
    pthread_mutex_unlock(&active_mu);
    return slot;
}

static void active_remove(int slot)
{
    if (slot < 0)
        return;
    pthread_mutex_lock(&active_mu);
    active[slot].method = NULL;
    pthread_mutex_unlock(&active_mu);
}

bool rpc_active_commands(json_t *arr)
{
    bool ok = true;
    int64_t now = time_mono_us();
    pthread_mutex_lock(&active_mu);
    for (int i = 0; i < RPC_ACTIVE_MAX && ok; i++) {
        if (active[i].method == NULL)
            continue;
        json_t *o = json_pack("{s:s,s:I}", "method", active[i].method, "duration",
                              (json_int_t)(now - active[i].start_us));
        ok = o != NULL && json_array_append_new(arr, o) == 0;
    }
    pthread_mutex_unlock(&active_mu);
    return ok;
}

/* ------------------------------------------------------------ warm-up */

#define RPC_WARMUP_STATUS_MAX 128
static pthread_mutex_t warmup_mu = PTHREAD_MUTEX_INITIALIZER;
static bool warmup_active;
/* Read without the lock by every call once the node runs. */
static atomic_bool warmup_flag;
static char warmup_status[RPC_WARMUP_STATUS_MAX];

void rpc_warmup_set_status(const char *status)
{
    pthread_mutex_lock(&warmup_mu);
    warmup_active = true;
    atomic_store(&warmup_flag, true);
    snprintf(warmup_status, sizeof warmup_status, "%s", status);
    pthread_mutex_unlock(&warmup_mu);
}

void rpc_warmup_finish(void)
{
    pthread_mutex_lock(&warmup_mu);
    warmup_active = false;
    atomic_store(&warmup_flag, false);
    warmup_status[0] = '\0';
    pthread_mutex_unlock(&warmup_mu);
}

bool rpc_warmup_get(char *out, size_t outlen)
{
    if (!atomic_load(&warmup_flag)) {
        if (out != NULL && outlen > 0)
            out[0] = '\0';
        return false;
    }
    pthread_mutex_lock(&warmup_mu);
    bool in_warmup = warmup_active;
    if (out != NULL && outlen > 0)
        snprintf(out, outlen, "%s", warmup_status);
    pthread_mutex_unlock(&warmup_mu);
    return in_warmup;
}

/* The methods that need nothing the startup is still building. */
static bool warmup_exempt(const char *method)
{
    /* getrpcschema: souk-cli asks it before every call, -rpcwait too. */
    static const char *const names[] = {"help", "getrpcschema", "uptime", "stop", "getrpcinfo"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(method, names[i]) == 0)
            return true;
    return false;
}

/* ------------------------------------------------------------ execution */

bool rpc_arg_type_matches(enum rpc_arg_type t, const json_t *v)
{
    switch (t) {
    case RPC_ARG_STR:
    case RPC_ARG_HEX:
    case RPC_ARG_HASH:
        return json_is_string(v);
    case RPC_ARG_INT:
        return json_is_integer(v);
    case RPC_ARG_NUM:
        return json_is_number(v);
    case RPC_ARG_BOOL:
        return json_is_boolean(v);
    case RPC_ARG_AMOUNT:
        return json_is_number(v) || json_is_string(v);
    case RPC_ARG_OBJ:
        return json_is_object(v);
    case RPC_ARG_ARR:
        return json_is_array(v);
    case RPC_ARG_ANY:
        return true;
    }
    return false;
}

static const char *arg_type_name(enum rpc_arg_type t)
{
    switch (t) {
    case RPC_ARG_STR:
        return "string";
    case RPC_ARG_HEX:
        return "string (hex)";
    case RPC_ARG_HASH:
        return "string (hex)";
    case RPC_ARG_INT:
        return "numeric";
    case RPC_ARG_NUM:
        return "numeric";
    case RPC_ARG_BOOL:
        return "boolean";
    case RPC_ARG_AMOUNT:
        return "numeric or string";
    case RPC_ARG_OBJ:
        return "json object";
    case RPC_ARG_ARR:
        return "json array";
    case RPC_ARG_ANY:
        return "any";
    }
    return "?";
}

/* Maps params (array, object or null) to a positional array (new
 * reference), or sets the error. */
static json_t *positional_params(struct rpc_request *req, json_t *params)
{
    if (params == NULL || json_is_null(params))
        return json_array();
    if (json_is_array(params))
        return json_incref(params);
    if (!json_is_object(params)) {
        rpc_error(req, RPC_INVALID_REQUEST, "Params must be an array or object");
        return NULL;
    }
    size_t na = n_args(req->method);
    json_t *arr = json_array();
    if (arr == NULL)
        return NULL;
    const char *key;
    json_t *val;
    json_object_foreach(params, key, val) {
        size_t pos = na;
        for (size_t i = 0; i < na; i++)
            if (strcmp(req->method->args[i].name, key) == 0)
                pos = i;
        if (pos == na) {
            rpc_error(req, RPC_INVALID_PARAMETER, "Unknown named parameter %s", key);
            json_decref(arr);
            return NULL;
        }
        while (json_array_size(arr) <= pos)
            if (json_array_append_new(arr, json_null()) != 0) {
                json_decref(arr);
                return NULL;
            }
        if (json_array_set(arr, pos, val) != 0) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

static bool check_params(struct rpc_request *req)
{
    const struct rpc_method *m = req->method;
    size_t na = n_args(m);
    size_t np = json_array_size(req->params);
    /* Trailing nulls mean "not given", as with bitcoind's named mapping. */
    while (np > 0 && json_is_null(json_array_get(req->params, np - 1)))
        np--;
    if (np > na)
        return rpc_error(req, RPC_INVALID_PARAMS,
                         "Too many parameters for %s: got %zu, it takes at most %zu", m->name,
                         np, na);
    for (size_t i = 0; i < na; i++) {
        const struct rpc_arg *a = &m->args[i];
        const json_t *v = rpc_param(req, i);
        if (v == NULL) {
            if (!a->optional)
                return rpc_error(req, RPC_INVALID_PARAMS,
                                 "Missing required parameter '%s' (position %zu) for %s", a->name,
                                 i + 1, m->name);
            continue;
        }
        if (a->type == RPC_ARG_INT && json_is_real(v))
            return rpc_error(req, RPC_TYPE_ERROR, "%s must be an integer, got %.17g", a->name,
                             json_real_value(v));
        if (!rpc_arg_type_matches(a->type, v))
            return rpc_error(req, RPC_TYPE_ERROR, "Expected type %s for %s, got %s",
                             arg_type_name(a->type), a->name, json_type_name(v));
    }
    return true;
}

/* Gives back what the handler's helpers held for the call. */
static void request_release(struct rpc_request *req)
{
    if (req->release != NULL)
        req->release(req);
    req->release = NULL;
    req->held = NULL;
}

/* Runs a method; *result or req's error is set. */
static bool execute(struct rpc_request *req, const char *method, json_t *params, json_t **result)
{
    *result = NULL;
    req->method = rpc_table_find(req->table, method);
    if (req->method == NULL)
        return rpc_error(req, RPC_METHOD_NOT_FOUND, "Method not found");
    char status[RPC_WARMUP_STATUS_MAX];
    if (!warmup_exempt(req->method->name) && rpc_warmup_get(status, sizeof status))
        return rpc_error(req, RPC_IN_WARMUP, "%s", status);
    json_t *pos = positional_params(req, params);
    if (pos == NULL)
        return req->err_msg != NULL ? false : rpc_nomem(req);
    req->params = pos;
    bool ok = check_params(req);
    if (ok) {
        int slot = active_add(req->method->name);
        LOG_DEBUG(LOG_CAT_RPC, "call %s user=%s", req->method->name,
                  req->user != NULL ? req->user : "-");
        ok = req->method->handler(req, result);
        request_release(req);
        active_remove(slot);
        if (!ok && req->err_msg == NULL)
            rpc_error(req, RPC_INTERNAL_ERROR, "%s failed without saying why", req->method->name);
        if (!ok && *result != NULL) {
            json_decref(*result);
            *result = NULL;
        }
    }
    req->params = NULL;
    json_decref(pos);
    return ok;
}

static void request_reset(struct rpc_request *req)
{
    free(req->err_msg);
    req->err_msg = NULL;
    req->err_code = 0;
    req->method = NULL;
    req->params = NULL;
}

bool rpc_call(const struct rpc_table *t, struct node_ctx *node, const char *uri,
              const char *method, json_t *params, json_t **result, int *code, char **msg)
{
    struct rpc_request req = {.node = node, .table = t, .uri = uri != NULL ? uri : "/"};
    bool ok = execute(&req, method, params, result);
    if (!ok) {
        *code = req.err_code;
        *msg = req.err_msg;
        req.err_msg = NULL;
    }
    request_reset(&req);
    return ok;
}

/* ------------------------------------------------------------ JSON-RPC framing */

enum jr_version { JR_V1, JR_V2 };

static size_t batch_reply_limit = RPC_MAX_BATCH_REPLY;

struct one_reply {
    json_t *obj;       /* the reply object; NULL for a notification */
    int code;          /* error code, 0 when the call succeeded */
};

static json_t *error_obj(int code, const char *msg)
{
    return json_pack("{s:i,s:s}", "code", code, "message", msg != NULL ? msg : "");
}

static json_t *make_reply(enum jr_version v, json_t *result, json_t *error, json_t *id)
{
    /* The "o" format steals result/error; id is borrowed. */
    json_t *idv = id != NULL ? json_incref(id) : json_null();
    if (v == JR_V2) {
        if (error != NULL) {
            json_decref(result);
            return json_pack("{s:s,s:o,s:o}", "jsonrpc", "2.0", "error", error, "id", idv);
        }
        return json_pack("{s:s,s:o,s:o}", "jsonrpc", "2.0", "result",
                         result != NULL ? result : json_null(), "id", idv);
    }
    return json_pack("{s:o,s:o,s:o}", "result", result != NULL ? result : json_null(), "error",
                     error != NULL ? error : json_null(), "id", idv);
}

/* Handles one request object (bitcoind's JSONRPCRequest::parse, then the
 * call). With refuse set, a valid request is answered with that error
 * instead of being run. */
static void handle_one(const struct rpc_table *t, struct node_ctx *node, const char *uri,
                       const char *user, json_t *reqv, const char *refuse, struct one_reply *out)
{
    struct rpc_request req = {.node = node, .table = t, .uri = uri, .user = user};
    enum jr_version ver = JR_V1;
    json_t *id = NULL;
    json_t *result = NULL;
    bool notification = false;
    bool ok = false;

    if (!json_is_object(reqv)) {
        rpc_error(&req, RPC_INVALID_REQUEST, "Invalid Request object");
        goto reply;
    }
    id = json_object_get(reqv, "id");
    json_t *jv = json_object_get(reqv, "jsonrpc");
    if (jv != NULL && !json_is_null(jv)) {
        if (!json_is_string(jv)) {
            rpc_error(&req, RPC_INVALID_REQUEST, "jsonrpc field must be a string");
            goto reply;
        }
        /* Some old documentation put "1.0" in requests; accept it as 1.0. */
        if (strcmp(json_string_value(jv), "2.0") == 0) {
            ver = JR_V2;
        } else if (strcmp(json_string_value(jv), "1.0") != 0) {
            rpc_error(&req, RPC_INVALID_REQUEST, "JSON-RPC version not supported");
            goto reply;
        }
    }
    json_t *mv = json_object_get(reqv, "method");
    if (mv == NULL || json_is_null(mv)) {
        rpc_error(&req, RPC_INVALID_REQUEST, "Missing method");
        goto reply;
    }
    if (!json_is_string(mv)) {
        rpc_error(&req, RPC_INVALID_REQUEST, "Method must be a string");
        goto reply;
    }
    notification = ver == JR_V2 && id == NULL;
    if (refuse != NULL) {
        rpc_error(&req, RPC_INTERNAL_ERROR, "%s", refuse);
        goto reply;
    }
    ok = execute(&req, json_string_value(mv), json_object_get(reqv, "params"), &result);

reply:
    out->obj = NULL;
    out->code = ok ? 0 : req.err_code;
    if (!notification) {
        json_t *err = ok ? NULL : error_obj(req.err_code, req.err_msg);
        out->obj = make_reply(ver, result, err, id);
    } else {
        json_decref(result);
    }
    if (!ok)
        LOG_DEBUG(LOG_CAT_RPC, "error %d: %s", req.err_code,
                  req.err_msg != NULL ? req.err_msg : "");
    request_reset(&req);
}

static int v1_status(int code)
{
    if (code == RPC_INVALID_REQUEST)
        return 400;
    if (code == RPC_METHOD_NOT_FOUND)
        return 404;
    return 500;
}

static bool finish(struct rpc_reply *out, int status, json_t *v)
{
    out->status = status;
    out->body = NULL;
    out->len = 0;
    if (v == NULL) {
        out->status = 500;
        return false;
    }
    char *s = rpc_json_dumps(v, JSON_COMPACT);
    json_decref(v);
    if (s == NULL) {
        out->status = 500;
        return false;
    }
    size_t n = strlen(s);
    char *b = realloc(s, n + 2);
    if (b == NULL) {
        free(s);
        out->status = 500;
        return false;
    }
    b[n] = '\n';
    b[n + 1] = '\0';
    out->body = b;
    out->len = n + 1;
    return true;
}

void rpc_reply_clear(struct rpc_reply *r)
{
    if (r->body != NULL)
        OPENSSL_cleanse(r->body, r->len);
    free(r->body);
    r->body = NULL;
    r->len = 0;
}

static bool dispatch_root(const struct rpc_table *t, struct node_ctx *node, const char *uri,
                          const char *user, json_t *root, struct rpc_reply *out);

bool rpc_dispatch(const struct rpc_table *t, struct node_ctx *node, const char *uri,
                  const char *user, const char *body, size_t len, struct rpc_reply *out)
{
    json_error_t jerr;
    json_t *root = json_loadb(body, len, JSON_DECODE_ANY, &jerr);
    if (root == NULL && json_error_code(&jerr) == json_error_invalid_utf8) {
        /* A client that sent bytes it took for text needs to hear why it
         * got no answer; jansson's own text quotes the bad bytes, which
         * cannot go into a JSON reply, so only the offset is given. */
        char msg[96];
        snprintf(msg, sizeof msg, "Parse error: the request is not valid UTF-8 (at offset %d)",
                 jerr.position);
        return finish(out, 500, make_reply(JR_V1, NULL, error_obj(RPC_PARSE_ERROR, msg), NULL));
    }
    if (root == NULL || (!json_is_object(root) && !json_is_array(root))) {
        const char *msg = root == NULL ? "Parse error" : "Top-level object parse error";
        json_decref(root);
        return finish(out, 500, make_reply(JR_V1, NULL, error_obj(RPC_PARSE_ERROR, msg), NULL));
    }
    return dispatch_root(t, node, uri, user, root, out);
}

bool rpc_dispatch_on_loop(const struct rpc_table *t, struct node_ctx *node, const char *uri,
                          const char *user, const char *body, size_t len, struct rpc_reply *out)
{
    if (len > RPC_ON_LOOP_MAX_BODY || t->n_on_loop == 0)
        return false;
    /* Most bodies name no such method: a substring search saves parsing
     * them twice (here and on the worker). */
    bool maybe = false;
    for (size_t i = 0; i < t->n_on_loop && !maybe; i++)
        maybe = strstr(body, t->on_loop[i]) != NULL;
    if (!maybe)
        return false;
    json_error_t jerr;
    json_t *root = json_loadb(body, len, 0, &jerr);
    if (root == NULL)
        return false;
    const json_t *mv = json_object_get(root, "method");
    const struct rpc_method *m = json_is_string(mv) ? rpc_table_find(t, json_string_value(mv)) : NULL;
    if (m == NULL || !rpc_method_runs_on_loop(t, m->name)) {
        json_decref(root);
        return false;
    }
    return dispatch_root(t, node, uri, user, root, out);
}

/* Takes root (an object or an array). */
static bool dispatch_root(const struct rpc_table *t, struct node_ctx *node, const char *uri,
                          const char *user, json_t *root, struct rpc_reply *out)
{
    if (json_is_object(root)) {
        struct one_reply r;
        bool v2 = json_is_string(json_object_get(root, "jsonrpc")) &&
                  strcmp(json_string_value(json_object_get(root, "jsonrpc")), "2.0") == 0;
        handle_one(t, node, uri, user, root, NULL, &r);
        json_decref(root);
        if (r.obj == NULL) {
            out->status = 204;
            out->body = NULL;
            out->len = 0;
            return true;
        }
        return finish(out, (r.code == 0 || v2) ? 200 : v1_status(r.code), r.obj);
    }
    size_t n = json_array_size(root);
    if (n == 0) {
        json_decref(root);
        return finish(out, 400, make_reply(JR_V2, NULL,
                                           error_obj(RPC_INVALID_REQUEST, "Empty batch"), NULL));
    }
    /* Each reply is written out as soon as it exists, so the batch holds
     * text rather than JSON trees; past the size limit the remaining
     * requests are answered with an error instead of being run, which
     * bounds what a batch of big replies (getblock ... 2, many times) can
     * take. */
    struct buf text;
    buf_init(&text);
    bool ok = buf_append(&text, "[", 1);
    size_t written = 0;
    char refuse[96];
    snprintf(refuse, sizeof refuse, "Batch reply over %zu bytes: request not run",
             batch_reply_limit);
    for (size_t i = 0; ok && i < n; i++) {
        struct one_reply r;
        handle_one(t, node, uri, user, json_array_get(root, i),
                   text.len > batch_reply_limit ? refuse : NULL, &r);
        if (r.obj == NULL)
            continue;
        char *s = rpc_json_dumps(r.obj, JSON_COMPACT);
        json_decref(r.obj);
        ok = s != NULL && (written == 0 || buf_append(&text, ",", 1)) &&
             buf_append(&text, s, strlen(s));
        free(s);
        written++;
    }
    json_decref(root);
    if (ok && written == 0) {
        buf_clear(&text);
        out->status = 204;
        out->body = NULL;
        out->len = 0;
        return true;
    }
    ok = ok && buf_append(&text, "]\n", 3);
    if (!ok) {
        buf_clear(&text);
        out->status = 500;
        out->body = NULL;
        out->len = 0;
        return false;
    }
    /* The body is NUL-terminated; the length leaves the NUL out. */
    out->status = 200;
    out->body = (char *)text.data;
    out->len = text.len - 1;
    return true;
}

void rpc_set_batch_reply_limit(size_t bytes)
{
    batch_reply_limit = bytes;
}

/* ------------------------------------------------------------ help */

static bool app(struct buf *b, const char *s)
{
    return buf_append(b, s, strlen(s));
}

static bool arg_is_stringy(enum rpc_arg_type t)
{
    return t == RPC_ARG_STR || t == RPC_ARG_HEX || t == RPC_ARG_HASH;
}

bool rpc_method_usage(const struct rpc_method *m, struct buf *out)
{
    bool ok = app(out, m->name);
    size_t na = n_args(m);
    bool in_opt = false;
    for (size_t i = 0; ok && i < na; i++) {
        const struct rpc_arg *a = &m->args[i];
        if (a->optional && !in_opt) {
            ok = app(out, " (");
            in_opt = true;
        }
        ok = ok && app(out, " ");
        if (arg_is_stringy(a->type))
            ok = ok && app(out, "\"") && app(out, a->name) && app(out, "\"");
        else
            ok = ok && app(out, a->name);
    }
    if (ok && in_opt)
        ok = app(out, " )");
    return ok;
}

bool rpc_method_help(const struct rpc_method *m, struct buf *out)
{
    bool ok = rpc_method_usage(m, out) && app(out, "\n\n");
    if (ok && m->summary != NULL)
        ok = app(out, m->summary) && app(out, "\n");
    size_t na = n_args(m);
    if (ok && na > 0)
        ok = app(out, "\nArguments:\n");
    for (size_t i = 0; ok && i < na; i++) {
        const struct rpc_arg *a = &m->args[i];
        char line[256];
        snprintf(line, sizeof line, "%zu. %-20s (%s, %s) ", i + 1, a->name,
                 arg_type_name(a->type), a->optional ? "optional" : "required");
        ok = app(out, line) && app(out, a->help != NULL ? a->help : "") && app(out, "\n");
    }
    if (ok && m->help != NULL && m->help[0] != '\0') {
        ok = app(out, "\n") && app(out, m->help);
        if (ok && m->help[strlen(m->help) - 1] != '\n')
            ok = app(out, "\n");
    }
    return ok;
}

bool rpc_table_help(const struct rpc_table *t, struct buf *out)
{
    /* Categories in order of first appearance by name; methods sorted. */
    const char *cats[64];
    size_t ncat = 0;
    for (size_t i = 0; i < t->n; i++) {
        const char *c = t->methods[i]->category;
        bool seen = false;
        for (size_t j = 0; j < ncat && !seen; j++)
            seen = strcmp(cats[j], c) == 0;
        if (!seen && ncat < 64)
            cats[ncat++] = c;
    }
    /* Sort category names for a stable listing. */
    for (size_t i = 1; i < ncat; i++)
        for (size_t j = i; j > 0 && strcmp(cats[j - 1], cats[j]) > 0; j--) {
            const char *tmp = cats[j];
            cats[j] = cats[j - 1];
            cats[j - 1] = tmp;
        }
    bool ok = true;
    for (size_t c = 0; ok && c < ncat; c++) {
        char head[96];
        snprintf(head, sizeof head, "%s== %c%s ==\n", c > 0 ? "\n" : "",
                 toupper((unsigned char)cats[c][0]), cats[c] + 1);
        ok = app(out, head);
        for (size_t i = 0; ok && i < t->n; i++) {
            if (strcmp(t->methods[i]->category, cats[c]) != 0)
                continue;
            ok = rpc_method_usage(t->methods[i], out) && app(out, "\n");
        }
    }
    return ok;
}

/* ------------------------------------------------------------ schema */

static const char *const schema_names[] = {
    [RPC_ARG_STR] = "string", [RPC_ARG_INT] = "int",   [RPC_ARG_NUM] = "number",
    [RPC_ARG_BOOL] = "bool",  [RPC_ARG_AMOUNT] = "amount", [RPC_ARG_HEX] = "hex",
    [RPC_ARG_HASH] = "hash",  [RPC_ARG_OBJ] = "object", [RPC_ARG_ARR] = "array",
    [RPC_ARG_ANY] = "any",
};
#define N_SCHEMA_NAMES (sizeof schema_names / sizeof schema_names[0])

const char *rpc_arg_type_schema_name(enum rpc_arg_type t)
{
    /* A type added to the enum without a name here shows as "any", which
     * clients treat the way they treat an unchecked argument. */
    if ((size_t)t >= N_SCHEMA_NAMES || schema_names[t] == NULL)
        return schema_names[RPC_ARG_ANY];
    return schema_names[t];
}

bool rpc_arg_type_from_schema_name(const char *name, enum rpc_arg_type *out)
{
    for (size_t i = 0; name != NULL && i < N_SCHEMA_NAMES; i++)
        if (schema_names[i] != NULL && strcmp(schema_names[i], name) == 0) {
            *out = (enum rpc_arg_type)i;
            return true;
        }
    return false;
}

json_t *rpc_method_schema_json(const struct rpc_method *m)
{
    json_t *arr = json_array();
    size_t na = n_args(m);
    for (size_t i = 0; arr != NULL && i < na; i++) {
        const struct rpc_arg *a = &m->args[i];
        json_t *o = json_pack("{s:s,s:s,s:b}", "name", a->name, "type",
                              rpc_arg_type_schema_name(a->type), "optional", a->optional);
        if (o == NULL || json_array_append_new(arr, o) != 0) {
            json_decref(arr);
            arr = NULL;
        }
    }
    return arr;
}
