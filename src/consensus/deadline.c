#include "consensus/deadline.h"

#include <stdio.h>
#include <string.h>

#include "consensus/account.h"

enum { DEADLINE_ENTRY = 0x00, DEADLINE_COUNT = 0x01, DEADLINE_REVERSE = 0x02 };

#define DEADLINE_ENTRY_KEY_LEN (2 + 8 + 4)
#define DEADLINE_COUNT_KEY_LEN (2 + 8)

static enum txerr maturity_fire(struct state_view *v, const uint8_t *key, size_t klen,
                                const uint8_t *data, size_t dlen, const struct apply_ctx *ctx);

static const struct deadline_handler deadline_maturity = {
    .owner = DEADLINE_OWNER_MATURITY, .name = "maturity", .fire = maturity_fire};

static const struct deadline_handler *deadline_handlers[256];

const struct deadline_handler *deadline_handler_find(uint8_t owner)
{
    if (owner == DEADLINE_OWNER_MATURITY)
        return &deadline_maturity;
    return deadline_handlers[owner];
}

bool deadline_register(const struct deadline_handler *h, char *err, size_t errlen)
{
    char scratch[8];
    if (err == NULL) {
        err = scratch;
        errlen = sizeof scratch;
    }
    if (h == NULL || h->fire == NULL || h->name == NULL) {
        snprintf(err, errlen, "a deadline handler needs a name and a fire function");
        return false;
    }
    if (deadline_handler_find(h->owner) != NULL) {
        snprintf(err, errlen, "deadline owner 0x%02x (%s) is taken by %s", h->owner, h->name,
                 deadline_handler_find(h->owner)->name);
        return false;
    }
    deadline_handlers[h->owner] = h;
    return true;
}

void deadline_reset(void)
{
    memset(deadline_handlers, 0, sizeof deadline_handlers);
}

static void put_be(uint8_t *p, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        p[i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
}

static void entry_key(uint64_t height, uint32_t seq, uint8_t key[DEADLINE_ENTRY_KEY_LEN])
{
    key[0] = DEADLINE_PREFIX;
    key[1] = DEADLINE_ENTRY;
    put_be(key + 2, height, 8);
    put_be(key + 10, seq, 4);
}

static void count_key(uint64_t height, uint8_t key[DEADLINE_COUNT_KEY_LEN])
{
    key[0] = DEADLINE_PREFIX;
    key[1] = DEADLINE_COUNT;
    put_be(key + 2, height, 8);
}

/* Returns the key length, 0 when the key is too long. */
static size_t reverse_key(uint8_t owner, const void *key, size_t klen,
                          uint8_t out[3 + DEADLINE_KEY_MAX])
{
    if (klen > DEADLINE_KEY_MAX)
        return 0;
    out[0] = DEADLINE_PREFIX;
    out[1] = DEADLINE_REVERSE;
    out[2] = owner;
    if (klen > 0)
        memcpy(out + 3, key, klen);
    return 3 + klen;
}

/* Reads a record that is one uint or an array of uints; TXERR_STORAGE for
 * a read failure or a record that does not decode. */
static enum txerr read_uints(struct state_view *v, const uint8_t *key, size_t klen,
                             uint64_t *out, uint32_t n, bool *found)
{
    struct buf val;
    buf_init(&val);
    enum txerr result = TXERR_OK;
    if (!state_get(v, key, klen, &val, found)) {
        result = TXERR_STORAGE;
    } else if (*found) {
        struct ser_doc doc;
        ser_doc_init(&doc);
        const msgpack_object *f;
        enum ser_err e = ser_doc_parse(&doc, val.data, val.len);
        if (e == SER_OK && n == 1)
            e = ser_get_uint(ser_doc_root(&doc), &out[0]);
        else if (e == SER_OK && (e = ser_get_array(ser_doc_root(&doc), n, &f)) == SER_OK)
            for (uint32_t i = 0; e == SER_OK && i < n; i++)
                e = ser_get_uint(&f[i], &out[i]);
        if (e != SER_OK)
            result = TXERR_STORAGE;
        ser_doc_clear(&doc);
    }
    buf_clear(&val);
    return result;
}

static enum txerr write_uints(struct state_view *v, const uint8_t *key, size_t klen,
                              const uint64_t *vals, uint32_t n)
{
    struct buf val;
    buf_init(&val);
    struct ser_writer w;
    ser_writer_init(&w, &val);
    if (n > 1)
        ser_write_array(&w, n);
    for (uint32_t i = 0; i < n; i++)
        ser_write_uint(&w, vals[i]);
    bool ok = ser_writer_ok(&w) && state_put(v, key, klen, val.data, val.len);
    buf_clear(&val);
    return ok ? TXERR_OK : TXERR_STORAGE;
}

enum txerr deadline_find(struct state_view *v, uint8_t owner, const void *key, size_t klen,
                         uint64_t *height, bool *found)
{
    uint8_t rk[3 + DEADLINE_KEY_MAX];
    size_t rlen = reverse_key(owner, key, klen, rk);
    *found = false;
    if (rlen == 0)
        return TXERR_OK;
    uint64_t hs[2];
    enum txerr err = read_uints(v, rk, rlen, hs, 2, found);
    if (err == TXERR_OK && *found)
        *height = hs[0];
    return err;
}

enum txerr deadline_cancel(struct state_view *v, uint8_t owner, const void *key, size_t klen,
                           bool *found)
{
    bool scratch;
    if (found == NULL)
        found = &scratch;
    *found = false;
    uint8_t rk[3 + DEADLINE_KEY_MAX];
    size_t rlen = reverse_key(owner, key, klen, rk);
    if (rlen == 0)
        return TXERR_OK;
    uint64_t hs[2];
    enum txerr err = read_uints(v, rk, rlen, hs, 2, found);
    if (err != TXERR_OK || !*found)
        return err;
    if (hs[1] > UINT32_MAX)
        return TXERR_STORAGE;
    uint8_t ek[DEADLINE_ENTRY_KEY_LEN];
    entry_key(hs[0], (uint32_t)hs[1], ek);
    if (!state_del(v, ek, sizeof ek) || !state_del(v, rk, rlen))
        return TXERR_STORAGE;
    return TXERR_OK;
}

enum txerr deadline_schedule(struct state_view *v, const struct apply_ctx *ctx, uint8_t owner,
                             const void *key, size_t klen, uint64_t height, const void *data,
                             size_t dlen)
{
    if (height <= ctx->height)
        return TXERR_DEADLINE_PAST;
    uint8_t rk[3 + DEADLINE_KEY_MAX];
    size_t rlen = reverse_key(owner, key, klen, rk);
    if (rlen == 0 || dlen > DEADLINE_DATA_MAX || deadline_handler_find(owner) == NULL)
        return TXERR_STORAGE;
    enum txerr err = deadline_cancel(v, owner, key, klen, NULL);
    if (err != TXERR_OK)
        return err;
    uint8_t ck[DEADLINE_COUNT_KEY_LEN];
    count_key(height, ck);
    uint64_t count = 0;
    bool found = false;
    if ((err = read_uints(v, ck, sizeof ck, &count, 1, &found)) != TXERR_OK)
        return err;
    if (count >= DEADLINE_MAX_PER_HEIGHT)
        return TXERR_STORAGE;
    uint8_t ek[DEADLINE_ENTRY_KEY_LEN];
    entry_key(height, (uint32_t)count, ek);

    struct buf val;
    buf_init(&val);
    struct ser_writer w;
    ser_writer_init(&w, &val);
    ser_write_array(&w, 3);
    ser_write_uint(&w, owner);
    ser_write_bin(&w, klen > 0 ? key : "", klen);
    ser_write_bin(&w, dlen > 0 ? data : "", dlen);
    bool ok = ser_writer_ok(&w) && state_put(v, ek, sizeof ek, val.data, val.len);
    buf_clear(&val);
    if (!ok)
        return TXERR_STORAGE;
    uint64_t next = count + 1;
    uint64_t rev[2] = {height, count};
    if ((err = write_uints(v, ck, sizeof ck, &next, 1)) != TXERR_OK)
        return err;
    return write_uints(v, rk, rlen, rev, 2);
}

/* Takes the entry at (height, seq) out of the index and runs it. */
static enum txerr deadline_run_one(struct state_view *v, const struct apply_ctx *ctx,
                                   uint64_t height, uint32_t seq)
{
    uint8_t ek[DEADLINE_ENTRY_KEY_LEN];
    entry_key(height, seq, ek);
    struct buf val;
    buf_init(&val);
    bool found = false;
    if (!state_get(v, ek, sizeof ek, &val, &found)) {
        buf_clear(&val);
        return TXERR_STORAGE;
    }
    enum txerr err = TXERR_OK;
    if (found) {
        struct ser_doc doc;
        ser_doc_init(&doc);
        const msgpack_object *f;
        uint64_t owner = 0;
        const uint8_t *key = NULL, *data = NULL;
        size_t klen = 0, dlen = 0;
        if (ser_doc_parse(&doc, val.data, val.len) != SER_OK ||
            ser_get_array(ser_doc_root(&doc), 3, &f) != SER_OK ||
            ser_get_uint_max(&f[0], 255, &owner) != SER_OK ||
            ser_get_bin(&f[1], DEADLINE_KEY_MAX, &key, &klen) != SER_OK ||
            ser_get_bin(&f[2], DEADLINE_DATA_MAX, &data, &dlen) != SER_OK)
            err = TXERR_STORAGE;
        const struct deadline_handler *h =
            err == TXERR_OK ? deadline_handler_find((uint8_t)owner) : NULL;
        uint8_t rk[3 + DEADLINE_KEY_MAX];
        size_t rlen = err == TXERR_OK ? reverse_key((uint8_t)owner, key, klen, rk) : 0;
        /* An entry no handler claims is a state this node cannot apply:
         * treat it like a corrupt record rather than skip consensus work. */
        if (err == TXERR_OK && (h == NULL || rlen == 0))
            err = TXERR_STORAGE;
        if (err == TXERR_OK && (!state_del(v, ek, sizeof ek) || !state_del(v, rk, rlen)))
            err = TXERR_STORAGE;
        if (err == TXERR_OK)
            err = h->fire(v, key, klen, data, dlen, ctx);
        if (err == TXERR_OK && ctx->on_deadline != NULL)
            ctx->on_deadline(ctx->on_deadline_arg, (uint8_t)owner, key, klen);
        ser_doc_clear(&doc);
    }
    buf_clear(&val);
    return err;
}

enum txerr deadline_run(struct state_view *v, const struct apply_ctx *ctx)
{
    struct apply_ctx run = *ctx;
    run.txid = NULL;
    run.payload = NULL;
    uint8_t ck[DEADLINE_COUNT_KEY_LEN];
    count_key(ctx->height, ck);
    enum txerr err = TXERR_OK;
    /* The count is read again after each entry, so the pass ends where
     * the entries do whatever the handlers did. */
    for (uint64_t seq = 0; err == TXERR_OK; seq++) {
        uint64_t count = 0;
        bool found = false;
        err = read_uints(v, ck, sizeof ck, &count, 1, &found);
        if (err != TXERR_OK || seq >= count)
            break;
        if (count > DEADLINE_MAX_PER_HEIGHT)
            return TXERR_STORAGE;
        err = deadline_run_one(v, &run, ctx->height, (uint32_t)seq);
    }
    if (err == TXERR_OK && !state_del(v, ck, sizeof ck))
        err = TXERR_STORAGE;
    return err;
}

/* ---- coinbase maturity -------------------------------------------------- */

enum txerr deadline_add_maturity(struct state_view *v, const struct apply_ctx *ctx,
                                 uint64_t height, const uint8_t recipient[32], amount_t amount)
{
    /* One coinbase per block: the height it was mined at names it. */
    uint8_t key[8];
    put_be(key, ctx->height, 8);
    struct buf val;
    buf_init(&val);
    struct ser_writer w;
    ser_writer_init(&w, &val);
    ser_write_array(&w, 2);
    ser_write_bin(&w, recipient, 32);
    ser_write_uint(&w, amount);
    enum txerr err = ser_writer_ok(&w)
                         ? deadline_schedule(v, ctx, DEADLINE_OWNER_MATURITY, key, sizeof key,
                                             height, val.data, val.len)
                         : TXERR_STORAGE;
    buf_clear(&val);
    return err;
}

static enum txerr maturity_fire(struct state_view *v, const uint8_t *key, size_t klen,
                                const uint8_t *data, size_t dlen, const struct apply_ctx *ctx)
{
    (void)key;
    (void)klen;
    (void)ctx;
    struct ser_doc doc;
    ser_doc_init(&doc);
    const msgpack_object *f;
    uint8_t recipient[32];
    amount_t amount;
    enum txerr err = TXERR_STORAGE;
    if (ser_doc_parse(&doc, data, dlen) == SER_OK &&
        ser_get_array(ser_doc_root(&doc), 2, &f) == SER_OK &&
        ser_get_bin_fixed(&f[0], 32, recipient) == SER_OK &&
        ser_get_uint_max(&f[1], AMOUNT_MAX, &amount) == SER_OK)
        err = account_credit(v, recipient, amount);
    ser_doc_clear(&doc);
    return err;
}
