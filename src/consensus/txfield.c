#include "consensus/txfield.h"

#include <stdio.h>
#include <string.h>

#include "crypto/key.h"
#include "util/amount.h"

static const char *const txfield_kind_names[TXFIELD_KIND_COUNT_] = {
    [TXFIELD_ACCOUNT] = "account", [TXFIELD_ACCOUNT_OPT] = "account_opt",
    [TXFIELD_HASH] = "hash",       [TXFIELD_HASH_LIST] = "hash_list",
    [TXFIELD_AMOUNT] = "amount",   [TXFIELD_UINT] = "uint",
    [TXFIELD_BYTES] = "bytes",     [TXFIELD_TEXT] = "text",
    [TXFIELD_UINT8_LIST] = "uint8_list",
};

const char *txfield_kind_name(enum txfield_kind kind)
{
    return (unsigned)kind < TXFIELD_KIND_COUNT_ ? txfield_kind_names[kind] : "unknown";
}

static bool txfield_needs_max(enum txfield_kind kind)
{
    return kind == TXFIELD_BYTES || kind == TXFIELD_TEXT || kind == TXFIELD_HASH_LIST ||
           kind == TXFIELD_UINT8_LIST;
}

static bool txfield_is_list(enum txfield_kind kind)
{
    return kind == TXFIELD_HASH_LIST || kind == TXFIELD_UINT8_LIST;
}

bool txfield_table_valid(const struct txfield *fields, size_t n, char *err, size_t errlen)
{
    char scratch[8];
    if (err == NULL) {
        err = scratch;
        errlen = sizeof scratch;
    }
    if (fields == NULL || n == 0 || n > TXFIELD_MAX) {
        snprintf(err, errlen, "a payload has 1 to %d fields", TXFIELD_MAX);
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        const struct txfield *f = &fields[i];
        if (f->name == NULL || f->name[0] == '\0') {
            snprintf(err, errlen, "field %zu has no name", i);
            return false;
        }
        if ((unsigned)f->kind >= TXFIELD_KIND_COUNT_) {
            snprintf(err, errlen, "field %s has an unknown kind", f->name);
            return false;
        }
        if (txfield_needs_max(f->kind) && f->max == 0) {
            snprintf(err, errlen, "field %s needs a maximum", f->name);
            return false;
        }
        if (f->max != 0 && f->min > f->max) {
            snprintf(err, errlen, "field %s: minimum above maximum", f->name);
            return false;
        }
        if ((f->kind == TXFIELD_UINT8_LIST) != (f->item_max != 0)) {
            snprintf(err, errlen, "field %s: an item maximum is for uint8 lists, and they need one",
                     f->name);
            return false;
        }
        if (f->charset != NULL && f->kind != TXFIELD_TEXT) {
            snprintf(err, errlen, "field %s: only text has a character set", f->name);
            return false;
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(fields[j].name, f->name) == 0) {
                snprintf(err, errlen, "field %s appears twice", f->name);
                return false;
            }
    }
    return true;
}

void txpayload_init(struct txpayload *p)
{
    memset(p->v, 0, sizeof p->v);
    p->n = 0;
    ser_doc_init(&p->doc);
    buf_init(&p->lists);
}

void txpayload_clear(struct txpayload *p)
{
    ser_doc_clear(&p->doc);
    buf_clear(&p->lists);
    memset(p->v, 0, sizeof p->v);
    p->n = 0;
}

/* A broken bound: the field's own rule, or bad-payload with the detail. */
static enum txerr txfield_breaks(const struct txfield *f, enum ser_err why, enum ser_err *detail)
{
    *detail = why;
    return f->err != TXERR_OK ? f->err : TXERR_BAD_PAYLOAD;
}

static enum txerr txfield_check_value(const struct txfield *f, const struct txvalue *v,
                                      bool keys_known_valid, enum ser_err *detail)
{
    switch (f->kind) {
    case TXFIELD_ACCOUNT:
    case TXFIELD_ACCOUNT_OPT:
        if (v->len == 0 && f->kind == TXFIELD_ACCOUNT_OPT)
            return TXERR_OK;
        if (v->len != 32) {
            *detail = v->len < 32 ? SER_ERR_TOO_SHORT : SER_ERR_TOO_LONG;
            return TXERR_BAD_PAYLOAD;
        }
        if (keys_known_valid)
            return TXERR_OK;
        return key_pubkey_valid(v->p) ? TXERR_OK : txfield_breaks(f, SER_ERR_BAD_KEY, detail);
    case TXFIELD_HASH:
        if (v->len != 32) {
            *detail = v->len < 32 ? SER_ERR_TOO_SHORT : SER_ERR_TOO_LONG;
            return TXERR_BAD_PAYLOAD;
        }
        return TXERR_OK;
    case TXFIELD_AMOUNT:
        if (!amount_valid(v->u)) {
            *detail = SER_ERR_INT_RANGE;
            return TXERR_AMOUNT_RANGE;
        }
        /* fall through */
    case TXFIELD_UINT:
        if (v->u < f->min || (f->max != 0 && v->u > f->max))
            return txfield_breaks(f, SER_ERR_INT_RANGE, detail);
        return TXERR_OK;
    case TXFIELD_HASH_LIST:
    case TXFIELD_UINT8_LIST:
        if (v->len < f->min)
            return txfield_breaks(f, SER_ERR_TOO_FEW_ITEMS, detail);
        if (v->len > f->max)
            return txfield_breaks(f, SER_ERR_TOO_MANY_ITEMS, detail);
        for (size_t i = 0; f->kind == TXFIELD_UINT8_LIST && i < v->len; i++)
            if (v->p[i] > f->item_max)
                return txfield_breaks(f, SER_ERR_INT_RANGE, detail);
        return TXERR_OK;
    case TXFIELD_BYTES:
    case TXFIELD_TEXT:
        if (v->len < f->min)
            return txfield_breaks(f, SER_ERR_TOO_SHORT, detail);
        if (v->len > f->max)
            return txfield_breaks(f, SER_ERR_TOO_LONG, detail);
        if (f->kind == TXFIELD_TEXT && f->charset != NULL)
            for (size_t i = 0; i < v->len; i++)
                if (v->p[i] == 0 || strchr(f->charset, v->p[i]) == NULL)
                    return txfield_breaks(f, SER_ERR_CHARSET, detail);
        if (f->kind == TXFIELD_TEXT && !ser_utf8_valid(v->p, v->len)) {
            *detail = SER_ERR_UTF8;
            return TXERR_BAD_PAYLOAD;
        }
        return TXERR_OK;
    case TXFIELD_KIND_COUNT_:
        break;
    }
    *detail = SER_ERR_MALFORMED;
    return TXERR_BAD_PAYLOAD;
}

static enum txerr txpayload_check(const struct txfield *fields, size_t n,
                                  const struct txvalue *values, bool keys_known_valid,
                                  enum ser_err *detail, int *field)
{
    enum ser_err d_scratch;
    int f_scratch;
    if (detail == NULL)
        detail = &d_scratch;
    if (field == NULL)
        field = &f_scratch;
    for (size_t i = 0; i < n; i++) {
        enum txerr e = txfield_check_value(&fields[i], &values[i], keys_known_valid, detail);
        if (e != TXERR_OK) {
            *field = (int)i;
            return e;
        }
    }
    return TXERR_OK;
}

enum txerr txpayload_check_values(const struct txfield *fields, size_t n,
                                  const struct txvalue *values, enum ser_err *detail, int *field)
{
    return txpayload_check(fields, n, values, false, detail, field);
}

/* Reads one element's form; bounds are checked afterwards. */
static enum ser_err txfield_read(const struct txfield *f, const msgpack_object *o,
                                 struct txvalue *v, struct buf *lists)
{
    const char *s;
    switch (f->kind) {
    case TXFIELD_ACCOUNT:
    case TXFIELD_ACCOUNT_OPT:
    case TXFIELD_HASH: {
        enum ser_err e = ser_get_bin(o, 32, &v->p, &v->len);
        if (e == SER_OK && v->len != 32 && !(v->len == 0 && f->kind == TXFIELD_ACCOUNT_OPT))
            e = SER_ERR_TOO_SHORT;
        return e;
    }
    case TXFIELD_HASH_LIST: {
        const msgpack_object *items;
        uint32_t count;
        /* Any length decodes (the tx size bounds the work), so a bound is
         * reported as the field's rule rather than as a shape error. */
        enum ser_err e = ser_get_list(o, UINT32_MAX, &items, &count);
        size_t start = lists->len;
        for (uint32_t i = 0; e == SER_OK && i < count; i++) {
            uint8_t id[32];
            if ((e = ser_get_bin_fixed(&items[i], 32, id)) == SER_OK &&
                !buf_append(lists, id, sizeof id))
                e = SER_ERR_NOMEM;
        }
        /* Positions for now: pointers are fixed once every list is in. */
        v->u = start;
        v->len = count;
        return e;
    }
    case TXFIELD_UINT8_LIST: {
        const msgpack_object *items;
        uint32_t count;
        enum ser_err e = ser_get_list(o, UINT32_MAX, &items, &count);
        size_t start = lists->len;
        /* An item that is no uint8 is a shape error; one above item_max
         * breaks the field's bound (checked with the others). */
        for (uint32_t i = 0; e == SER_OK && i < count; i++) {
            uint64_t u;
            if ((e = ser_get_uint_max(&items[i], UINT8_MAX, &u)) == SER_OK &&
                !buf_append_byte(lists, (uint8_t)u))
                e = SER_ERR_NOMEM;
        }
        v->u = start;
        v->len = count;
        return e;
    }
    case TXFIELD_AMOUNT:
    case TXFIELD_UINT:
        return ser_get_uint(o, &v->u);
    case TXFIELD_BYTES:
        return ser_get_bin(o, SIZE_MAX, &v->p, &v->len);
    case TXFIELD_TEXT: {
        enum ser_err e = ser_get_str(o, 0, SIZE_MAX, &s, &v->len);
        if (e == SER_OK)
            v->p = (const uint8_t *)s;
        return e;
    }
    case TXFIELD_KIND_COUNT_:
        break;
    }
    return SER_ERR_MALFORMED;
}

static enum txerr txpayload_decode_mode(const struct txfield *fields, size_t n,
                                        const void *bytes, size_t len, bool keys_known_valid,
                                        struct txpayload *out, enum ser_err *detail, int *field)
{
    enum ser_err d_scratch;
    int f_scratch;
    if (detail == NULL)
        detail = &d_scratch;
    if (field == NULL)
        field = &f_scratch;
    *field = -1;
    if (n > TXFIELD_MAX) {
        *detail = SER_ERR_ARRAY_LENGTH;
        return TXERR_BAD_PAYLOAD;
    }
    struct txpayload p;
    txpayload_init(&p);
    const msgpack_object *items;
    enum ser_err e = ser_doc_parse(&p.doc, bytes, len);
    if (e == SER_OK)
        e = ser_get_array(ser_doc_root(&p.doc), (uint32_t)n, &items);
    for (size_t i = 0; e == SER_OK && i < n; i++) {
        e = txfield_read(&fields[i], &items[i], &p.v[i], &p.lists);
        if (e != SER_OK)
            *field = (int)i;
    }
    if (e != SER_OK) {
        txpayload_clear(&p);
        *detail = e;
        return TXERR_BAD_PAYLOAD;
    }
    p.n = n;
    for (size_t i = 0; i < n; i++)
        if (txfield_is_list(fields[i].kind)) {
            p.v[i].p = p.lists.data != NULL ? p.lists.data + p.v[i].u : NULL;
            p.v[i].u = 0;
        }
    enum txerr te = txpayload_check(fields, n, p.v, keys_known_valid, detail, field);
    if (te != TXERR_OK) {
        txpayload_clear(&p);
        return te;
    }
    txpayload_clear(out);
    *out = p;
    return TXERR_OK;
}

enum txerr txpayload_decode(const struct txfield *fields, size_t n, const void *bytes, size_t len,
                            struct txpayload *out, enum ser_err *detail, int *field)
{
    return txpayload_decode_mode(fields, n, bytes, len, false, out, detail, field);
}

enum txerr txpayload_decode_checked(const struct txfield *fields, size_t n, const void *bytes,
                                    size_t len, struct txpayload *out)
{
    return txpayload_decode_mode(fields, n, bytes, len, true, out, NULL, NULL);
}

bool txpayload_encode(const struct txfield *fields, size_t n, const struct txvalue *values,
                      struct buf *out)
{
    size_t start = out->len;
    struct ser_writer w;
    ser_writer_init(&w, out);
    ser_write_array(&w, n);
    for (size_t i = 0; i < n; i++) {
        const struct txvalue *v = &values[i];
        switch (fields[i].kind) {
        case TXFIELD_ACCOUNT:
        case TXFIELD_ACCOUNT_OPT:
        case TXFIELD_HASH:
        case TXFIELD_BYTES:
            ser_write_bin(&w, v->p, v->len);
            break;
        case TXFIELD_TEXT:
            ser_write_str(&w, (const char *)v->p, v->len);
            break;
        case TXFIELD_HASH_LIST:
            ser_write_array(&w, v->len);
            for (size_t k = 0; k < v->len; k++)
                ser_write_bin(&w, v->p + 32 * k, 32);
            break;
        case TXFIELD_UINT8_LIST:
            ser_write_array(&w, v->len);
            for (size_t k = 0; k < v->len; k++)
                ser_write_uint(&w, v->p[k]);
            break;
        case TXFIELD_AMOUNT:
        case TXFIELD_UINT:
            ser_write_uint(&w, v->u);
            break;
        case TXFIELD_KIND_COUNT_:
            w.ok = false;
            break;
        }
    }
    if (!ser_writer_ok(&w)) {
        out->len = start;
        return false;
    }
    return true;
}
