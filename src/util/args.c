/* POSIX strndup is hidden under -std=c11 otherwise. */
#define _POSIX_C_SOURCE 200809L

#include "util/args.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/grow.h"
#include "util/strutil.h"

/* Where a value came from. The three network sections follow the order of
 * enum args_network so that SRC_MAIN + net is the chosen section. */
enum {
    SRC_CLI,
    SRC_TOP,
    SRC_MAIN,
    SRC_TEST,
    SRC_REGTEST,
    SRC_COUNT,
};

/* The values one source gave one option. `reset` records that a negation
 * discarded whatever came before in this source (which matters when merging
 * into values read earlier); `negated` that the negation was the last word. */
struct args_slot {
    char **vals;
    size_t n, cap;
    bool reset;
    bool negated;
};

/* A config file larger than this is certainly not a config file. */
#define ARGS_CONFIG_MAX (1u << 20)

static const char *const err_names[ARGS_ERR_COUNT] = {
    [ARGS_OK] = "ok",
    [ARGS_ERR_NOMEM] = "out of memory",
    [ARGS_ERR_BAD_TABLE] = "invalid option table",
    [ARGS_ERR_UNKNOWN_OPTION] = "unknown option",
    [ARGS_ERR_MALFORMED] = "malformed option",
    [ARGS_ERR_UNKNOWN_SECTION] = "unknown config section",
    [ARGS_ERR_CLI_ONLY] = "option only allowed on the command line",
    [ARGS_ERR_MISPLACED] = "network option inside a network section",
    [ARGS_ERR_NETWORK_CONFLICT] = "more than one network chosen",
    [ARGS_ERR_BAD_VALUE] = "invalid option value",
    [ARGS_ERR_RANGE] = "option value out of range",
    [ARGS_ERR_NO_FILE] = "config file not found",
    [ARGS_ERR_IO] = "cannot read config file",
};

static const char *const net_names[] = {
    [ARGS_NET_MAIN] = "main",
    [ARGS_NET_TEST] = "test",
    [ARGS_NET_REGTEST] = "regtest",
};

const char *args_strerror(enum args_err e)
{
    if ((int)e < 0 || e >= ARGS_ERR_COUNT)
        return "unknown error";
    return err_names[e];
}

const char *args_network_name(enum args_network net)
{
    if ((int)net < 0 || net > ARGS_NET_REGTEST)
        return "?";
    return net_names[net];
}

static enum args_err fail(enum args_err code, char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static enum args_err fail(enum args_err code, char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    str_set_errv(err, errlen, fmt, ap);
    va_end(ap);
    return code;
}

/* ------------------------------------------------------------ slots */

static void slot_free_values(struct args_slot *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->vals[i]);
    s->n = 0;
}

static void slots_free(struct args_slot *slots, size_t count)
{
    if (slots == NULL)
        return;
    for (size_t i = 0; i < count; i++) {
        slot_free_values(&slots[i]);
        free(slots[i].vals);
    }
    free(slots);
}

static bool slot_reserve(struct args_slot *s, size_t extra)
{
    return grow_array((void **)&s->vals, &s->cap, s->n + extra, sizeof *s->vals, 4);
}

static bool slot_push(struct args_slot *s, const char *val, size_t len)
{
    char *copy = strndup(val, len);
    if (copy == NULL || !slot_reserve(s, 1)) {
        free(copy);
        return false;
    }
    s->vals[s->n++] = copy;
    s->negated = false;
    return true;
}

static void slot_negate(struct args_slot *s)
{
    slot_free_values(s);
    s->reset = true;
    s->negated = true;
}

static bool slot_is_set(const struct args_slot *s)
{
    return s->n > 0 || s->negated;
}

/* Moves a freshly parsed set of slots into the struct. Capacity is reserved
 * for everything first so that the move itself cannot fail half-way. */
static bool slots_merge(struct args *a, struct args_slot *tmp)
{
    size_t count = a->n_opts * SRC_COUNT;
    for (size_t i = 0; i < count; i++) {
        if (tmp[i].n > 0 && !slot_reserve(&a->slots[i], tmp[i].n))
            return false;
    }
    for (size_t i = 0; i < count; i++) {
        struct args_slot *d = &a->slots[i], *t = &tmp[i];
        if (t->reset) {
            slot_free_values(d);
            d->reset = true;
            d->negated = t->negated;
        }
        for (size_t k = 0; k < t->n; k++)
            d->vals[d->n++] = t->vals[k];
        if (t->n > 0)
            d->negated = false;
        t->n = 0; /* the strings now belong to a */
    }
    return true;
}

/* ------------------------------------------------------------ table */

static bool valid_name(const char *name, size_t len)
{
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
            return false;
    }
    return name[0] != '-';
}

static long find_opt(const struct args *a, const char *name, size_t len)
{
    for (size_t i = 0; i < a->n_opts; i++) {
        const char *o = a->opts[i].name;
        if (strlen(o) == len && memcmp(o, name, len) == 0)
            return (long)i;
    }
    return -1;
}

static long find_opt_str(const struct args *a, const char *name)
{
    return find_opt(a, name, strlen(name));
}

static bool is_network_opt(const char *name)
{
    return strcmp(name, "testnet") == 0 || strcmp(name, "regtest") == 0;
}

enum args_err args_init(struct args *a, const struct args_option *opts, size_t n_opts,
                        char *err, size_t errlen)
{
    a->opts = NULL;
    a->n_opts = 0;
    a->slots = NULL;
    a->positional = NULL;
    a->n_positional = 0;
    a->net = ARGS_NET_MAIN;

    for (size_t i = 0; i < n_opts; i++) {
        const char *name = opts[i].name;
        if (name == NULL || !valid_name(name, strlen(name)))
            return fail(ARGS_ERR_BAD_TABLE, err, errlen, "invalid option name '%s' in table",
                        name == NULL ? "(null)" : name);
        for (size_t k = 0; k < i; k++) {
            const char *other = opts[k].name;
            if (strcmp(other, name) == 0)
                return fail(ARGS_ERR_BAD_TABLE, err, errlen, "option -%s listed twice", name);
            if ((strncmp(name, "no", 2) == 0 && strcmp(name + 2, other) == 0) ||
                (strncmp(other, "no", 2) == 0 && strcmp(other + 2, name) == 0))
                return fail(ARGS_ERR_BAD_TABLE, err, errlen,
                            "options -%s and -%s make -no%s ambiguous", other, name,
                            strncmp(name, "no", 2) == 0 ? name + 2 : name);
        }
    }
    struct args_slot *slots = calloc(n_opts * SRC_COUNT + 1, sizeof *slots);
    if (slots == NULL)
        return fail(ARGS_ERR_NOMEM, err, errlen, "out of memory");
    a->opts = opts;
    a->n_opts = n_opts;
    a->slots = slots;
    return ARGS_OK;
}

static void free_positional(struct args *a)
{
    for (size_t i = 0; i < a->n_positional; i++)
        free(a->positional[i]);
    free(a->positional);
    a->positional = NULL;
    a->n_positional = 0;
}

void args_clear(struct args *a)
{
    slots_free(a->slots, a->n_opts * SRC_COUNT);
    a->slots = NULL;
    free_positional(a);
    a->opts = NULL;
    a->n_opts = 0;
    a->net = ARGS_NET_MAIN;
}

/* ------------------------------------------------------------ parsing */

/* Where a word being applied came from, for error messages. */
struct origin {
    int src;            /* SRC_* */
    const char *source; /* config: file name; NULL for the command line */
    unsigned line;
};

static enum args_err apply_word(const struct args *a, struct args_slot *tmp,
                                const struct origin *o, const char *key, size_t keylen,
                                const char *val, size_t vallen, bool has_val,
                                char *err, size_t errlen)
{
    char where[256] = "";
    const char *dash = "-";
    if (o->source != NULL) {
        snprintf(where, sizeof where, "%s:%u: ", o->source, o->line);
        dash = "";
    }
    int kl = keylen > 200 ? 200 : (int)keylen;

    long idx = find_opt(a, key, keylen);
    bool negate = false;
    if (idx < 0 && keylen > 2 && memcmp(key, "no", 2) == 0) {
        idx = find_opt(a, key + 2, keylen - 2);
        negate = idx >= 0;
    }
    if (idx < 0)
        return fail(ARGS_ERR_UNKNOWN_OPTION, err, errlen, "%sunknown option %s%.*s", where, dash,
                    kl, key);
    const struct args_option *opt = &a->opts[idx];
    if (o->src != SRC_CLI && (opt->flags & ARGS_CLI_ONLY))
        return fail(ARGS_ERR_CLI_ONLY, err, errlen,
                    "%s%.*s can only be given on the command line", where, kl, key);
    if (o->src >= SRC_MAIN && is_network_opt(opt->name))
        return fail(ARGS_ERR_MISPLACED, err, errlen,
                    "%s%.*s must be set on the command line or at the top of the config file, "
                    "not in a network section",
                    where, kl, key);

    struct args_slot *s = &tmp[(size_t)idx * SRC_COUNT + (size_t)o->src];
    if (negate) {
        bool to_negate;
        if (!has_val || (vallen == 1 && val[0] == '1'))
            to_negate = true;
        else if (vallen == 1 && val[0] == '0')
            to_negate = false;
        else
            return fail(ARGS_ERR_BAD_VALUE, err, errlen,
                        "%s%s%.*s: a negated option takes no value, or 0 or 1", where, dash, kl,
                        key);
        if (to_negate) {
            slot_negate(s);
            return ARGS_OK;
        }
        val = "1";
        vallen = 1;
    } else if (!has_val) {
        val = "1";
        vallen = 1;
    }
    if (!slot_push(s, val, vallen))
        return fail(ARGS_ERR_NOMEM, err, errlen, "out of memory");
    return ARGS_OK;
}

static struct args_slot *tmp_slots(const struct args *a)
{
    return calloc(a->n_opts * SRC_COUNT + 1, sizeof(struct args_slot));
}

enum args_err args_parse_cmdline(struct args *a, int argc, char *const argv[],
                                 char *err, size_t errlen)
{
    struct args_slot *tmp = tmp_slots(a);
    if (tmp == NULL)
        return fail(ARGS_ERR_NOMEM, err, errlen, "out of memory");
    struct origin o = {.src = SRC_CLI, .source = NULL, .line = 0};
    enum args_err rc = ARGS_OK;
    int first_pos = argc;
    for (int i = 1; i < argc; i++) {
        const char *w = argv[i];
        if (w[0] != '-') {
            first_pos = i;
            break;
        }
        if (strcmp(w, "--") == 0) {
            first_pos = i + 1;
            break;
        }
        const char *p = w[1] == '-' ? w + 2 : w + 1;
        const char *eq = strchr(p, '=');
        size_t keylen = eq != NULL ? (size_t)(eq - p) : strlen(p);
        if (keylen == 0 || p[0] == '-') {
            rc = fail(ARGS_ERR_MALFORMED, err, errlen, "malformed option '%s'", w);
            break;
        }
        rc = apply_word(a, tmp, &o, p, keylen, eq != NULL ? eq + 1 : NULL,
                        eq != NULL ? strlen(eq + 1) : 0, eq != NULL, err, errlen);
        if (rc != ARGS_OK)
            break;
    }

    char **pos = NULL;
    size_t n_pos = 0;
    if (rc == ARGS_OK && first_pos < argc) {
        pos = calloc((size_t)(argc - first_pos), sizeof *pos);
        if (pos == NULL)
            rc = fail(ARGS_ERR_NOMEM, err, errlen, "out of memory");
        for (int i = first_pos; rc == ARGS_OK && i < argc; i++) {
            pos[n_pos] = strdup(argv[i]);
            if (pos[n_pos] == NULL)
                rc = fail(ARGS_ERR_NOMEM, err, errlen, "out of memory");
            else
                n_pos++;
        }
    }
    if (rc == ARGS_OK && !slots_merge(a, tmp))
        rc = fail(ARGS_ERR_NOMEM, err, errlen, "out of memory");
    if (rc == ARGS_OK) {
        free_positional(a);
        a->positional = pos;
        a->n_positional = n_pos;
    } else {
        for (size_t i = 0; i < n_pos; i++)
            free(pos[i]);
        free(pos);
    }
    slots_free(tmp, a->n_opts * SRC_COUNT);
    return rc;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static void trim(const char **s, size_t *len)
{
    while (*len > 0 && is_space(**s)) {
        (*s)++;
        (*len)--;
    }
    while (*len > 0 && is_space((*s)[*len - 1]))
        (*len)--;
}

/* One config line: comment stripped, then a section header or key=value. */
static enum args_err parse_line(const struct args *a, struct args_slot *tmp, struct origin *o,
                                const char *line, size_t len, char *err, size_t errlen)
{
    char where[256];
    snprintf(where, sizeof where, "%s:%u: ", o->source, o->line);

    if (memchr(line, '\0', len) != NULL)
        return fail(ARGS_ERR_MALFORMED, err, errlen, "%sNUL byte in line", where);
    for (size_t i = 0; i < len; i++) {
        if (line[i] == '#' && (i == 0 || is_space(line[i - 1]))) {
            len = i;
            break;
        }
    }
    trim(&line, &len);
    if (len == 0)
        return ARGS_OK;
    int shown = len > 200 ? 200 : (int)len;

    if (line[0] == '[') {
        if (line[len - 1] != ']')
            return fail(ARGS_ERR_MALFORMED, err, errlen, "%smalformed section header '%.*s'",
                        where, shown, line);
        const char *name = line + 1;
        size_t nlen = len - 2;
        trim(&name, &nlen);
        for (int net = ARGS_NET_MAIN; net <= ARGS_NET_REGTEST; net++) {
            if (strlen(net_names[net]) == nlen && memcmp(net_names[net], name, nlen) == 0) {
                o->src = SRC_MAIN + net;
                return ARGS_OK;
            }
        }
        return fail(ARGS_ERR_UNKNOWN_SECTION, err, errlen,
                    "%sunknown section '%.*s' (expected main, test or regtest)", where, shown,
                    line);
    }

    const char *eq = memchr(line, '=', len);
    if (eq == NULL)
        return fail(ARGS_ERR_MALFORMED, err, errlen,
                    "%sexpected key=value, got '%.*s' (to negate an option write no<option>=1)",
                    where, shown, line);
    const char *key = line, *val = eq + 1;
    size_t keylen = (size_t)(eq - line), vallen = len - keylen - 1;
    trim(&key, &keylen);
    trim(&val, &vallen);
    if (keylen == 0 || key[0] == '-')
        return fail(ARGS_ERR_MALFORMED, err, errlen,
                    "%sexpected key=value with the key written without '-', got '%.*s'", where,
                    shown, line);
    return apply_word(a, tmp, o, key, keylen, val, vallen, true, err, errlen);
}

enum args_err args_read_config_text(struct args *a, const char *text, size_t len,
                                    const char *source, char *err, size_t errlen)
{
    struct args_slot *tmp = tmp_slots(a);
    if (tmp == NULL)
        return fail(ARGS_ERR_NOMEM, err, errlen, "out of memory");
    struct origin o = {.src = SRC_TOP, .source = source != NULL ? source : "config", .line = 0};
    enum args_err rc = ARGS_OK;
    size_t pos = 0;
    while (rc == ARGS_OK && pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl != NULL ? (size_t)(nl - text) : len;
        o.line++;
        rc = parse_line(a, tmp, &o, text + pos, end - pos, err, errlen);
        pos = end + 1;
    }
    if (rc == ARGS_OK && !slots_merge(a, tmp))
        rc = fail(ARGS_ERR_NOMEM, err, errlen, "out of memory");
    slots_free(tmp, a->n_opts * SRC_COUNT);
    return rc;
}

enum args_err args_read_config_file(struct args *a, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        int e = errno;
        return fail(e == ENOENT ? ARGS_ERR_NO_FILE : ARGS_ERR_IO, err, errlen,
                    "cannot open config file %s: %s", path, strerror(e));
    }
    struct buf text;
    buf_init(&text);
    enum args_err rc = ARGS_OK;
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (text.len + n > ARGS_CONFIG_MAX) {
            rc = fail(ARGS_ERR_IO, err, errlen, "config file %s is larger than %u bytes", path,
                      ARGS_CONFIG_MAX);
            break;
        }
        if (!buf_append(&text, chunk, n)) {
            rc = fail(ARGS_ERR_NOMEM, err, errlen, "out of memory");
            break;
        }
    }
    if (rc == ARGS_OK && ferror(f))
        rc = fail(ARGS_ERR_IO, err, errlen, "error reading config file %s", path);
    fclose(f);
    if (rc == ARGS_OK)
        rc = args_read_config_text(a, (const char *)text.data, text.len, path, err, errlen);
    buf_clear(&text);
    return rc;
}

/* ------------------------------------------------------------ queries */

/* The slot that decides the option's value on the chosen network, or NULL. */
static const struct args_slot *winning_slot(const struct args *a, long idx)
{
    if (idx < 0 || a->slots == NULL)
        return NULL;
    const struct args_slot *base = &a->slots[(size_t)idx * SRC_COUNT];
    const int order[3] = {SRC_CLI, SRC_MAIN + (int)a->net, SRC_TOP};
    for (int i = 0; i < 3; i++) {
        if (slot_is_set(&base[order[i]]))
            return &base[order[i]];
    }
    return NULL;
}

static const char *slot_value(const struct args_slot *s)
{
    return s->negated ? "0" : s->vals[s->n - 1];
}

bool args_is_set(const struct args *a, const char *name)
{
    return winning_slot(a, find_opt_str(a, name)) != NULL;
}

const char *args_get_str(const struct args *a, const char *name, const char *def)
{
    const struct args_slot *s = winning_slot(a, find_opt_str(a, name));
    return s != NULL ? slot_value(s) : def;
}

static bool parse_i64(const char *s, int64_t *out, bool *overflow)
{
    const char *p = s[0] == '-' ? s + 1 : s;
    if (*p == '\0')
        return false;
    for (; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
    }
    errno = 0;
    long long v = strtoll(s, NULL, 10);
    *overflow = errno == ERANGE;
    *out = (int64_t)v;
    return true;
}

static enum args_err lookup_value(const struct args *a, const char *name, const char **val,
                                  char *err, size_t errlen)
{
    long idx = find_opt_str(a, name);
    if (idx < 0)
        return fail(ARGS_ERR_UNKNOWN_OPTION, err, errlen, "unknown option -%s", name);
    const struct args_slot *s = winning_slot(a, idx);
    *val = s != NULL ? slot_value(s) : NULL;
    return ARGS_OK;
}

enum args_err args_get_int(const struct args *a, const char *name, int64_t def,
                           int64_t min, int64_t max, int64_t *out, char *err, size_t errlen)
{
    const char *val;
    enum args_err rc = lookup_value(a, name, &val, err, errlen);
    if (rc != ARGS_OK)
        return rc;
    if (val == NULL) {
        *out = def;
        return ARGS_OK;
    }
    int64_t v;
    bool overflow;
    if (!parse_i64(val, &v, &overflow))
        return fail(ARGS_ERR_BAD_VALUE, err, errlen, "-%s=%.200s: not an integer", name, val);
    if (overflow || v < min || v > max)
        return fail(ARGS_ERR_RANGE, err, errlen,
                    "-%s=%.200s: out of range (%" PRId64 " to %" PRId64 ")", name, val, min, max);
    *out = v;
    return ARGS_OK;
}

enum args_err args_get_bool(const struct args *a, const char *name, bool def, bool *out,
                            char *err, size_t errlen)
{
    const char *val;
    enum args_err rc = lookup_value(a, name, &val, err, errlen);
    if (rc != ARGS_OK)
        return rc;
    if (val == NULL)
        *out = def;
    else if (strcmp(val, "1") == 0)
        *out = true;
    else if (strcmp(val, "0") == 0)
        *out = false;
    else
        return fail(ARGS_ERR_BAD_VALUE, err, errlen, "-%s=%.200s: expected 0 or 1", name, val);
    return ARGS_OK;
}

size_t args_get_list(const struct args *a, const char *name, const char *const **vals_out)
{
    static const char *const empty[1] = {NULL};
    const struct args_slot *s = winning_slot(a, find_opt_str(a, name));
    if (s == NULL || s->n == 0) {
        *vals_out = empty;
        return 0;
    }
    *vals_out = (const char *const *)s->vals;
    return s->n;
}

const char *const *args_positional(const struct args *a, size_t *n_out)
{
    static const char *const empty[1] = {NULL};
    *n_out = a->n_positional;
    return a->n_positional > 0 ? (const char *const *)a->positional : empty;
}

/* ------------------------------------------------------------ network */

enum args_err args_select_network(struct args *a, char *err, size_t errlen)
{
    bool flags[2] = {false, false};
    const char *names[2] = {"testnet", "regtest"};
    for (int i = 0; i < 2; i++) {
        long idx = find_opt_str(a, names[i]);
        if (idx < 0)
            continue;
        /* Sections cannot hold these, so only the command line and the top
         * of the file count, whatever network was chosen before. */
        const struct args_slot *base = &a->slots[(size_t)idx * SRC_COUNT];
        const struct args_slot *s = slot_is_set(&base[SRC_CLI]) ? &base[SRC_CLI]
                                    : slot_is_set(&base[SRC_TOP]) ? &base[SRC_TOP]
                                                                  : NULL;
        if (s == NULL)
            continue;
        const char *v = slot_value(s);
        if (strcmp(v, "1") == 0)
            flags[i] = true;
        else if (strcmp(v, "0") != 0)
            return fail(ARGS_ERR_BAD_VALUE, err, errlen, "-%s=%.200s: expected 0 or 1", names[i],
                        v);
    }
    if (flags[0] && flags[1])
        return fail(ARGS_ERR_NETWORK_CONFLICT, err, errlen,
                    "-testnet and -regtest cannot both be set");
    a->net = flags[1] ? ARGS_NET_REGTEST : flags[0] ? ARGS_NET_TEST : ARGS_NET_MAIN;
    return ARGS_OK;
}

enum args_network args_network(const struct args *a)
{
    return a->net;
}

/* ------------------------------------------------------------ help */

#define HELP_WIDTH 79
#define HELP_INDENT 7

static bool append_str(struct buf *out, const char *s)
{
    return buf_append(out, s, strlen(s));
}

/* Word-wraps text at HELP_WIDTH, every line indented by HELP_INDENT. */
static bool append_wrapped(struct buf *out, const char *text)
{
    static const char indent[HELP_INDENT + 1] = "       ";
    size_t col = 0;
    const char *p = text;
    while (*p != '\0') {
        while (*p == ' ')
            p++;
        if (*p == '\0')
            break;
        size_t wl = strcspn(p, " ");
        if (col > 0 && col + 1 + wl > HELP_WIDTH) {
            if (!buf_append_byte(out, '\n'))
                return false;
            col = 0;
        }
        if (col == 0) {
            if (!buf_append(out, indent, HELP_INDENT))
                return false;
            col = HELP_INDENT;
        } else {
            if (!buf_append_byte(out, ' '))
                return false;
            col++;
        }
        if (!buf_append(out, p, wl))
            return false;
        col += wl;
        p += wl;
    }
    return col == 0 || buf_append_byte(out, '\n');
}

static bool append_option_help(struct buf *out, const struct args_option *o)
{
    if (!append_str(out, "  -") || !append_str(out, o->name))
        return false;
    if (o->arg != NULL && (!buf_append_byte(out, '=') || !append_str(out, o->arg)))
        return false;
    if (!buf_append_byte(out, '\n'))
        return false;

    struct buf text;
    buf_init(&text);
    bool ok = append_str(&text, o->help != NULL ? o->help : "");
    if (ok && (o->flags & ARGS_MULTI))
        ok = append_str(&text, " May be given more than once.");
    if (ok && o->def != NULL)
        ok = append_str(&text, " (default: ") && append_str(&text, o->def) &&
             append_str(&text, ")");
    /* append_wrapped splits on spaces, so a leading one left by an empty
     * help string does no harm. */
    if (ok)
        ok = buf_append_byte(&text, '\0') && append_wrapped(out, (const char *)text.data) &&
             buf_append_byte(out, '\n');
    buf_clear(&text);
    return ok;
}

bool args_format_help(const struct args *a, struct buf *out)
{
    size_t start = out->len;
    bool ok = true;
    for (size_t i = 0; ok && i < a->n_opts; i++) {
        const struct args_option *o = &a->opts[i];
        if (o->flags & ARGS_HIDDEN)
            continue;
        if (o->group != NULL)
            ok = append_str(out, o->group) && append_str(out, ":\n\n");
        if (ok)
            ok = append_option_help(out, o);
    }
    if (ok && buf_append_byte(out, '\0')) {
        out->len--;
        return true;
    }
    out->len = start;
    return false;
}
