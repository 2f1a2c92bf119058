#include "consensus/serialize.h"

#include <stdlib.h>
#include <string.h>

static const char *const ser_messages[SER_ERR_COUNT_] = {
    [SER_OK] = "ok",
    [SER_ERR_NOMEM] = "out of memory",
    [SER_ERR_TRUNCATED] = "truncated input",
    [SER_ERR_TRAILING] = "trailing bytes after the object",
    [SER_ERR_TOO_LARGE] = "encoding larger than its size limit",
    [SER_ERR_MALFORMED] = "malformed msgpack (reserved byte 0xc1)",
    [SER_ERR_TOO_DEEP] = "arrays nested too deeply",
    [SER_ERR_NONCANON_INT] = "non-canonical: integer not in shortest form",
    [SER_ERR_NONCANON_LENGTH] = "non-canonical: str/bin/array length prefix not in shortest form",
    [SER_ERR_FLOAT] = "floats are not allowed",
    [SER_ERR_MAP] = "maps are not allowed (objects are arrays)",
    [SER_ERR_EXT] = "ext types are not allowed",
    [SER_ERR_UTF8] = "invalid UTF-8 in str",
    [SER_ERR_EXPECTED_ARRAY] = "expected array",
    [SER_ERR_EXPECTED_UINT] = "expected unsigned integer",
    [SER_ERR_NEGATIVE_INT] = "expected unsigned integer, got negative",
    [SER_ERR_INT_RANGE] = "integer out of range",
    [SER_ERR_EXPECTED_BIN] = "expected bin",
    [SER_ERR_BIN_GOT_STR] = "expected bin, got str",
    [SER_ERR_EXPECTED_STR] = "expected str",
    [SER_ERR_STR_GOT_BIN] = "expected str, got bin",
    [SER_ERR_ARRAY_LENGTH] = "wrong array length",
    [SER_ERR_TOO_MANY_ITEMS] = "too many list elements",
    [SER_ERR_TOO_LONG] = "field too long",
    [SER_ERR_TOO_SHORT] = "field too short",
    [SER_ERR_VERSION] = "unsupported version",
    [SER_ERR_TOO_FEW_ITEMS] = "too few list elements",
    [SER_ERR_CHARSET] = "a character the field does not allow",
    [SER_ERR_BAD_KEY] = "not a valid x-only public key",
};

const char *ser_strerror(enum ser_err err)
{
    if ((unsigned)err >= SER_ERR_COUNT_ || !ser_messages[err])
        return "unknown serialization error";
    return ser_messages[err];
}

/* ---- writing ---------------------------------------------------------- */

static int writer_sink(void *data, const char *p, size_t len)
{
    struct ser_writer *w = data;
    if (!w->ok)
        return -1;
    if (len == 0)
        return 0;
    if (len > SIZE_MAX - w->count) {
        w->ok = false;
        return -1;
    }
    switch (w->sink) {
    case SER_SINK_BUF:
        if (!buf_append(w->out, p, len)) {
            w->ok = false;
            return -1;
        }
        break;
    case SER_SINK_COUNT:
        break;
    case SER_SINK_SHA256:
        sha256_update(w->hash, p, len);
        break;
    }
    w->count += len;
    return 0;
}

static void writer_setup(struct ser_writer *w, enum ser_sink sink)
{
    memset(w, 0, sizeof *w);
    w->sink = sink;
    w->ok = true;
    msgpack_packer_init(&w->pk, w, writer_sink);
}

void ser_writer_init(struct ser_writer *w, struct buf *out)
{
    writer_setup(w, SER_SINK_BUF);
    w->out = out;
}

void ser_writer_init_counter(struct ser_writer *w)
{
    writer_setup(w, SER_SINK_COUNT);
}

void ser_writer_init_hasher(struct ser_writer *w, struct sha256_ctx *ctx)
{
    writer_setup(w, SER_SINK_SHA256);
    w->hash = ctx;
}

/* msgpack-c silently truncates a size_t length to 32 bits; refuse instead. */
static bool length_encodable(struct ser_writer *w, size_t n)
{
    if (!w->ok)
        return false;
    if ((uint64_t)n > UINT32_MAX) {
        w->ok = false;
        return false;
    }
    return true;
}

static void packed(struct ser_writer *w, int rc)
{
    if (rc != 0)
        w->ok = false;
}

void ser_write_array(struct ser_writer *w, size_t n)
{
    if (length_encodable(w, n))
        packed(w, msgpack_pack_array(&w->pk, n));
}

void ser_write_uint(struct ser_writer *w, uint64_t v)
{
    if (w->ok)
        packed(w, msgpack_pack_uint64(&w->pk, v));
}

void ser_write_bin(struct ser_writer *w, const void *p, size_t len)
{
    if (!length_encodable(w, len))
        return;
    packed(w, msgpack_pack_bin(&w->pk, len));
    if (w->ok && len > 0)
        packed(w, msgpack_pack_bin_body(&w->pk, p, len));
}

void ser_write_str(struct ser_writer *w, const char *p, size_t len)
{
    if (!length_encodable(w, len))
        return;
    packed(w, msgpack_pack_str(&w->pk, len));
    if (w->ok && len > 0)
        packed(w, msgpack_pack_str_body(&w->pk, p, len));
}

void ser_write_raw(struct ser_writer *w, const void *p, size_t len)
{
    writer_sink(w, p, len);
}

void ser_write_object(struct ser_writer *w, const msgpack_object *o)
{
    if (w->ok)
        packed(w, msgpack_pack_object(&w->pk, *o));
}

/* ---- UTF-8 ------------------------------------------------------------ */

bool ser_utf8_valid(const uint8_t *p, size_t len)
{
    size_t i = 0;
    while (i < len) {
        uint8_t c = p[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t more;
        uint32_t cp, min;
        /* 0x80..0xc1 are continuation bytes or leads that can only start an
         * overlong 2-byte form; 0xf5.. would start code points > U+10FFFF. */
        if (c >= 0xc2 && c <= 0xdf) {
            more = 1;
            cp = c & 0x1f;
            min = 0x80;
        } else if (c >= 0xe0 && c <= 0xef) {
            more = 2;
            cp = c & 0x0f;
            min = 0x800;
        } else if (c >= 0xf0 && c <= 0xf4) {
            more = 3;
            cp = c & 0x07;
            min = 0x10000;
        } else {
            return false;
        }
        if (len - i - 1 < more)
            return false;
        for (size_t k = 1; k <= more; k++) {
            uint8_t b = p[i + k];
            if ((b & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (b & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += more + 1;
    }
    return true;
}

/* ---- structural pre-scan ---------------------------------------------- */

/* msgpack_unpack_next allocates n * sizeof(msgpack_object) the moment it
 * reads an array header, before any element arrives, so a 5-byte header can
 * demand ~100 GB. Before handing input to it, we run msgpack-c's own parser
 * state machine (its unpack template, instantiated here with callbacks that
 * build nothing) over the input. Once that scan has seen a complete object,
 * every element each header announced is really present, so the allocating
 * unpack that follows is bounded by the input length. The scan also stops
 * early at types souk never accepts, before anything is allocated for them,
 * and its stack size is our depth limit. */

struct ser_scan_user {
    enum ser_err err;
};

typedef unsigned char ser_scan_obj;

static inline ser_scan_obj ser_scan_cb_root(struct ser_scan_user *u)
{
    (void)u;
    return 0;
}

#define SER_SCAN_ACCEPT(name, type)                                                      \
    static inline int ser_scan_cb_##name(struct ser_scan_user *u, type v, ser_scan_obj *o) \
    {                                                                                   \
        (void)u;                                                                        \
        (void)v;                                                                        \
        *o = 0;                                                                         \
        return 0;                                                                       \
    }
SER_SCAN_ACCEPT(uint8, uint8_t)
SER_SCAN_ACCEPT(uint16, uint16_t)
SER_SCAN_ACCEPT(uint32, uint32_t)
SER_SCAN_ACCEPT(uint64, uint64_t)
SER_SCAN_ACCEPT(int8, int8_t)
SER_SCAN_ACCEPT(int16, int16_t)
SER_SCAN_ACCEPT(int32, int32_t)
SER_SCAN_ACCEPT(int64, int64_t)
SER_SCAN_ACCEPT(array, unsigned int)
#undef SER_SCAN_ACCEPT

static inline int ser_scan_reject(struct ser_scan_user *u, enum ser_err err)
{
    u->err = err;
    return -1;
}

static inline int ser_scan_cb_float(struct ser_scan_user *u, float v, ser_scan_obj *o)
{
    (void)v;
    (void)o;
    return ser_scan_reject(u, SER_ERR_FLOAT);
}

static inline int ser_scan_cb_double(struct ser_scan_user *u, double v, ser_scan_obj *o)
{
    (void)v;
    (void)o;
    return ser_scan_reject(u, SER_ERR_FLOAT);
}

static inline int ser_scan_cb_map(struct ser_scan_user *u, unsigned int n, ser_scan_obj *o)
{
    (void)n;
    (void)o;
    return ser_scan_reject(u, SER_ERR_MAP);
}

static inline int ser_scan_cb_map_item(struct ser_scan_user *u, ser_scan_obj *c, ser_scan_obj k,
                                       ser_scan_obj v)
{
    (void)c;
    (void)k;
    (void)v;
    return ser_scan_reject(u, SER_ERR_MAP);
}

static inline int ser_scan_cb_ext(struct ser_scan_user *u, const char *b, const char *p,
                                  unsigned int l, ser_scan_obj *o)
{
    (void)b;
    (void)p;
    (void)l;
    (void)o;
    return ser_scan_reject(u, SER_ERR_EXT);
}

static inline int ser_scan_cb_simple(struct ser_scan_user *u, ser_scan_obj *o)
{
    (void)u;
    *o = 0;
    return 0;
}
#define ser_scan_cb_nil ser_scan_cb_simple
#define ser_scan_cb_true ser_scan_cb_simple
#define ser_scan_cb_false ser_scan_cb_simple

static inline int ser_scan_cb_bytes(struct ser_scan_user *u, const char *b, const char *p,
                                    unsigned int l, ser_scan_obj *o)
{
    (void)u;
    (void)b;
    (void)p;
    (void)l;
    *o = 0;
    return 0;
}
#define ser_scan_cb_str ser_scan_cb_bytes
#define ser_scan_cb_bin ser_scan_cb_bytes

static inline int ser_scan_cb_array_item(struct ser_scan_user *u, ser_scan_obj *c, ser_scan_obj o)
{
    (void)u;
    (void)c;
    (void)o;
    return 0;
}

#include <msgpack/unpack_define.h>
#undef MSGPACK_EMBED_STACK_SIZE
#define MSGPACK_EMBED_STACK_SIZE SER_MAX_DEPTH
#define msgpack_unpack_func(ret, name) static inline ret ser_scan##name
#define msgpack_unpack_callback(name) ser_scan_cb##name
#define msgpack_unpack_struct(name) struct ser_scan##name
#define msgpack_unpack_object ser_scan_obj
#define msgpack_unpack_user struct ser_scan_user
#include <msgpack/unpack_template.h>

static enum ser_err scan(const uint8_t *bytes, size_t len)
{
    struct ser_scan_context ctx;
    ctx.user.err = SER_OK;
    ser_scan_init(&ctx);
    size_t off = 0;
    int rc = ser_scan_execute(&ctx, (const char *)bytes, len, &off);
    if (rc > 0)
        return off == len ? SER_OK : SER_ERR_TRAILING;
    if (rc == 0)
        return SER_ERR_TRUNCATED;
    if (ctx.user.err != SER_OK)
        return ctx.user.err;
    /* The template reports a full container stack as "no memory". */
    return rc == MSGPACK_UNPACK_NOMEM_ERROR ? SER_ERR_TOO_DEEP : SER_ERR_MALFORMED;
}

/* ---- canonical check -------------------------------------------------- */

/* Walks the unpacked tree in input order. For each element, msgpack-c's
 * packer writes what the canonical encoding of that value (or, for str,
 * bin and arrays, of its header) is; the input must hold exactly those
 * bytes at the current position. */
struct walk {
    const uint8_t *base;
    size_t len;
    size_t pos;
};

struct scratch {
    uint8_t b[16];
    size_t n;
};

static int scratch_sink(void *data, const char *p, size_t len)
{
    struct scratch *s = data;
    if (len > sizeof s->b - s->n)
        return -1;
    memcpy(s->b + s->n, p, len);
    s->n += len;
    return 0;
}

static enum ser_err expect(struct walk *wk, const struct scratch *s, int rc, enum ser_err mismatch)
{
    if (rc != 0)
        return SER_ERR_MALFORMED;
    if (wk->len - wk->pos < s->n || memcmp(wk->base + wk->pos, s->b, s->n) != 0)
        return mismatch;
    wk->pos += s->n;
    return SER_OK;
}

static enum ser_err walk_body(struct walk *wk, const char *ptr, uint32_t size)
{
    if (wk->len - wk->pos < size)
        return SER_ERR_TRUNCATED;
    /* msgpack-c points str/bin at the input; compare if it ever copies. */
    if ((const uint8_t *)ptr != wk->base + wk->pos &&
        (size > 0 && memcmp(ptr, wk->base + wk->pos, size) != 0))
        return SER_ERR_MALFORMED;
    wk->pos += size;
    return SER_OK;
}

static enum ser_err walk(struct walk *wk, const msgpack_object *o, unsigned depth)
{
    struct scratch s = {.n = 0};
    msgpack_packer pk;
    msgpack_packer_init(&pk, &s, scratch_sink);
    enum ser_err err;

    switch (o->type) {
    case MSGPACK_OBJECT_NIL:
        return expect(wk, &s, msgpack_pack_nil(&pk), SER_ERR_MALFORMED);
    case MSGPACK_OBJECT_BOOLEAN:
        return expect(wk, &s, o->via.boolean ? msgpack_pack_true(&pk) : msgpack_pack_false(&pk),
                      SER_ERR_MALFORMED);
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        return expect(wk, &s, msgpack_pack_uint64(&pk, o->via.u64), SER_ERR_NONCANON_INT);
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        return expect(wk, &s, msgpack_pack_int64(&pk, o->via.i64), SER_ERR_NONCANON_INT);
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
        return SER_ERR_FLOAT;
    case MSGPACK_OBJECT_STR:
        err = expect(wk, &s, msgpack_pack_str(&pk, o->via.str.size), SER_ERR_NONCANON_LENGTH);
        if (err == SER_OK)
            err = walk_body(wk, o->via.str.ptr, o->via.str.size);
        if (err == SER_OK && !ser_utf8_valid((const uint8_t *)o->via.str.ptr, o->via.str.size))
            err = SER_ERR_UTF8;
        return err;
    case MSGPACK_OBJECT_BIN:
        err = expect(wk, &s, msgpack_pack_bin(&pk, o->via.bin.size), SER_ERR_NONCANON_LENGTH);
        if (err == SER_OK)
            err = walk_body(wk, o->via.bin.ptr, o->via.bin.size);
        return err;
    case MSGPACK_OBJECT_ARRAY:
        if (depth >= SER_MAX_DEPTH)
            return SER_ERR_TOO_DEEP;
        err = expect(wk, &s, msgpack_pack_array(&pk, o->via.array.size), SER_ERR_NONCANON_LENGTH);
        for (uint32_t i = 0; err == SER_OK && i < o->via.array.size; i++)
            err = walk(wk, &o->via.array.ptr[i], depth + 1);
        return err;
    case MSGPACK_OBJECT_MAP:
        return SER_ERR_MAP;
    case MSGPACK_OBJECT_EXT:
        return SER_ERR_EXT;
    }
    return SER_ERR_MALFORMED;
}

/* ---- documents -------------------------------------------------------- */

void ser_doc_init(struct ser_doc *doc)
{
    msgpack_unpacked_init(&doc->up);
    doc->bytes = NULL;
    doc->len = 0;
    doc->parsed = false;
}

void ser_doc_clear(struct ser_doc *doc)
{
    msgpack_unpacked_destroy(&doc->up);
    free(doc->bytes);
    ser_doc_init(doc);
}

enum ser_err ser_doc_parse(struct ser_doc *doc, const void *bytes, size_t len)
{
    enum ser_err err = scan(bytes, len);
    if (err != SER_OK)
        return err;

    /* The scan saw a complete object, so len >= 1. */
    uint8_t *copy = malloc(len);
    if (!copy)
        return SER_ERR_NOMEM;
    memcpy(copy, bytes, len);

    msgpack_unpacked up;
    msgpack_unpacked_init(&up);
    size_t off = 0;
    msgpack_unpack_return rc = msgpack_unpack_next(&up, (const char *)copy, len, &off);
    if (rc != MSGPACK_UNPACK_SUCCESS || off != len) {
        err = rc == MSGPACK_UNPACK_NOMEM_ERROR ? SER_ERR_NOMEM : SER_ERR_MALFORMED;
    } else {
        struct walk wk = {.base = copy, .len = len, .pos = 0};
        err = walk(&wk, &up.data, 0);
        if (err == SER_OK && wk.pos != len)
            err = SER_ERR_TRAILING;
    }
    if (err != SER_OK) {
        msgpack_unpacked_destroy(&up);
        free(copy);
        return err;
    }
    ser_doc_clear(doc);
    doc->up = up;
    doc->bytes = copy;
    doc->len = len;
    doc->parsed = true;
    return SER_OK;
}

const msgpack_object *ser_doc_root(const struct ser_doc *doc)
{
    return doc->parsed ? &doc->up.data : NULL;
}

/* ---- typed getters ---------------------------------------------------- */

static enum ser_err want_array(const msgpack_object *o)
{
    if (o->type == MSGPACK_OBJECT_ARRAY)
        return SER_OK;
    return o->type == MSGPACK_OBJECT_MAP ? SER_ERR_MAP : SER_ERR_EXPECTED_ARRAY;
}

enum ser_err ser_get_array(const msgpack_object *o, uint32_t n, const msgpack_object **items)
{
    enum ser_err err = want_array(o);
    if (err != SER_OK)
        return err;
    if (o->via.array.size != n)
        return SER_ERR_ARRAY_LENGTH;
    *items = o->via.array.ptr;
    return SER_OK;
}

enum ser_err ser_get_list(const msgpack_object *o, uint32_t max, const msgpack_object **items,
                          uint32_t *n_out)
{
    enum ser_err err = want_array(o);
    if (err != SER_OK)
        return err;
    if (o->via.array.size > max)
        return SER_ERR_TOO_MANY_ITEMS;
    *items = o->via.array.ptr;
    *n_out = o->via.array.size;
    return SER_OK;
}

enum ser_err ser_get_uint(const msgpack_object *o, uint64_t *out)
{
    return ser_get_uint_max(o, UINT64_MAX, out);
}

enum ser_err ser_get_uint_max(const msgpack_object *o, uint64_t max, uint64_t *out)
{
    if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
        return SER_ERR_NEGATIVE_INT;
    if (o->type == MSGPACK_OBJECT_FLOAT32 || o->type == MSGPACK_OBJECT_FLOAT64)
        return SER_ERR_FLOAT;
    if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
        return SER_ERR_EXPECTED_UINT;
    if (o->via.u64 > max)
        return SER_ERR_INT_RANGE;
    *out = o->via.u64;
    return SER_OK;
}

static enum ser_err want_bin(const msgpack_object *o)
{
    if (o->type == MSGPACK_OBJECT_BIN)
        return SER_OK;
    return o->type == MSGPACK_OBJECT_STR ? SER_ERR_BIN_GOT_STR : SER_ERR_EXPECTED_BIN;
}

enum ser_err ser_get_bin_fixed(const msgpack_object *o, size_t len, uint8_t *out)
{
    enum ser_err err = want_bin(o);
    if (err != SER_OK)
        return err;
    if (o->via.bin.size > len)
        return SER_ERR_TOO_LONG;
    if (o->via.bin.size < len)
        return SER_ERR_TOO_SHORT;
    if (len > 0)
        memcpy(out, o->via.bin.ptr, len);
    return SER_OK;
}

enum ser_err ser_get_bin(const msgpack_object *o, size_t max, const uint8_t **p, size_t *len)
{
    enum ser_err err = want_bin(o);
    if (err != SER_OK)
        return err;
    if (o->via.bin.size > max)
        return SER_ERR_TOO_LONG;
    *p = (const uint8_t *)o->via.bin.ptr;
    *len = o->via.bin.size;
    return SER_OK;
}

enum ser_err ser_get_str(const msgpack_object *o, size_t min, size_t max, const char **p,
                         size_t *len)
{
    if (o->type != MSGPACK_OBJECT_STR)
        return o->type == MSGPACK_OBJECT_BIN ? SER_ERR_STR_GOT_BIN : SER_ERR_EXPECTED_STR;
    if (o->via.str.size > max)
        return SER_ERR_TOO_LONG;
    if (o->via.str.size < min)
        return SER_ERR_TOO_SHORT;
    *p = o->via.str.ptr;
    *len = o->via.str.size;
    return SER_OK;
}
