#include "node/chainstate.h"

#include <stdio.h>
#include <string.h>

#include "consensus/serialize.h"

static const uint8_t chainstate_best_key[2] = {CHAINSTATE_META_PREFIX, 'B'};
static const uint8_t chainstate_format_key[2] = {CHAINSTATE_META_PREFIX, 'F'};

/* A chainstate whose records this code reads differently (coinbase
 * maturity moved onto the deadline index in format 2) is rebuilt, never
 * misread. */
static bool chainstate_check_format(struct chainstate *cs, char *err, size_t errlen)
{
    if (!cs->has_best)
        return true;
    struct buf val;
    buf_init(&val);
    bool found = false;
    bool ok = db_get(cs->db, chainstate_format_key, sizeof chainstate_format_key, &val, &found,
                     err, errlen);
    uint64_t format = 1;
    if (ok && found) {
        struct ser_doc doc;
        ser_doc_init(&doc);
        if (ser_doc_parse(&doc, val.data, val.len) != SER_OK ||
            ser_get_uint(ser_doc_root(&doc), &format) != SER_OK)
            format = 0;
        ser_doc_clear(&doc);
    }
    buf_clear(&val);
    if (ok && format != CHAINSTATE_FORMAT) {
        snprintf(err, errlen, "the chainstate is in format %llu, this version uses format %d "
                 "(restart with -reindex to rebuild it)", (unsigned long long)format,
                 CHAINSTATE_FORMAT);
        ok = false;
    }
    return ok;
}

static void chainstate_undo_key(const uint8_t hash[SHA256_LEN], uint8_t key[2 + SHA256_LEN])
{
    key[0] = CHAINSTATE_META_PREFIX;
    key[1] = 'U';
    memcpy(key + 2, hash, SHA256_LEN);
}

static bool chainstate_read_best(struct chainstate *cs, char *err, size_t errlen)
{
    struct buf val;
    buf_init(&val);
    bool found = false;
    bool ok = db_get(cs->db, chainstate_best_key, sizeof chainstate_best_key, &val, &found, err,
                     errlen);
    cs->has_best = false;
    if (ok && found) {
        struct ser_doc doc;
        ser_doc_init(&doc);
        const msgpack_object *f;
        if (ser_doc_parse(&doc, val.data, val.len) != SER_OK ||
            ser_get_array(ser_doc_root(&doc), 2, &f) != SER_OK ||
            ser_get_bin_fixed(&f[0], SHA256_LEN, cs->best_hash) != SER_OK ||
            ser_get_uint(&f[1], &cs->best_height) != SER_OK) {
            snprintf(err, errlen, "chainstate: the best-block record is corrupt");
            ok = false;
        } else {
            cs->has_best = true;
        }
        ser_doc_clear(&doc);
    }
    buf_clear(&val);
    return ok;
}

bool chainstate_open(struct chainstate *cs, const char *path, size_t cache_bytes, bool wipe,
                     char *err, size_t errlen)
{
    memset(cs, 0, sizeof *cs);
    struct db_options opt;
    db_options_default(&opt);
    /* Half the share goes to the write buffer: a block writes thousands of
     * records, and with LevelDB's 4 MiB default the memtable filled every
     * few blocks and a block's batch waited for the last one's flush. */
    opt.cache_bytes = cache_bytes;
    opt.write_buffer_bytes = CHAINSTATE_WRITE_BUFFER;
    opt.create_if_missing = true;
    opt.wipe = wipe;
    if (!db_open(path, &opt, &cs->db, err, errlen))
        return false;
    if (!chainstate_read_best(cs, err, errlen) || !chainstate_check_format(cs, err, errlen)) {
        chainstate_close(cs);
        return false;
    }
    return true;
}

void chainstate_close(struct chainstate *cs)
{
    if (cs->db != NULL)
        db_close(cs->db);
    cs->db = NULL;
}

static bool chainstate_get(void *ctx, const uint8_t *key, size_t klen, struct buf *val,
                           bool *found)
{
    struct chainstate *cs = ctx;
    if (klen > 0 && key[0] == CHAINSTATE_META_PREFIX) {
        buf_reset(val);
        *found = false;
        return true;
    }
    char err[256];
    return db_get(cs->db, key, klen, val, found, err, sizeof err);
}

void chainstate_backend(struct chainstate *cs, struct state_backend *out)
{
    out->ctx = cs;
    out->get = chainstate_get;
}

static void chainstate_batch_best(struct db_batch *b, const uint8_t hash[SHA256_LEN],
                                  uint64_t height, struct buf *scratch)
{
    buf_reset(scratch);
    struct ser_writer w;
    ser_writer_init(&w, scratch);
    ser_write_array(&w, 2);
    ser_write_bin(&w, hash, SHA256_LEN);
    ser_write_uint(&w, height);
    db_batch_put(b, chainstate_best_key, sizeof chainstate_best_key, scratch->data, scratch->len);
}

static bool chainstate_batch_change(void *ctx, const uint8_t *key, size_t klen, bool present,
                                    const uint8_t *val, size_t vlen)
{
    struct db_batch *b = ctx;
    /* Consensus code never writes meta keys; refusing them here keeps a bug
     * elsewhere from overwriting the best-block record. */
    if (klen == 0 || key[0] == CHAINSTATE_META_PREFIX)
        return false;
    if (present)
        db_batch_put(b, key, klen, val, vlen);
    else
        db_batch_delete(b, key, klen);
    return true;
}

static bool chainstate_write(struct chainstate *cs, struct db_batch *b,
                             const uint8_t hash[SHA256_LEN], uint64_t height, bool sync,
                             char *err, size_t errlen)
{
    bool ok = db_write(cs->db, b, sync, err, errlen);
    if (ok) {
        memcpy(cs->best_hash, hash, SHA256_LEN);
        cs->best_height = height;
        cs->has_best = true;
    }
    return ok;
}

bool chainstate_commit_connect(struct chainstate *cs, const struct state_view *v,
                               const uint8_t hash[SHA256_LEN], uint64_t height,
                               struct blockstore_pos undo_pos, char *err, size_t errlen)
{
    if (state_view_failed(v)) {
        snprintf(err, errlen, "chainstate: refusing to commit a failed view");
        return false;
    }
    struct db_batch *b = db_batch_new();
    struct buf scratch;
    buf_init(&scratch);
    bool ok = b != NULL;
    if (ok && !state_view_for_each_change(v, chainstate_batch_change, b)) {
        snprintf(err, errlen, "chainstate: a change touches a meta key");
        ok = false;
    }
    if (ok) {
        uint8_t key[2 + SHA256_LEN];
        chainstate_undo_key(hash, key);
        struct ser_writer w;
        ser_writer_init(&w, &scratch);
        ser_write_array(&w, 2);
        ser_write_uint(&w, undo_pos.file);
        ser_write_uint(&w, undo_pos.offset);
        db_batch_put(b, key, sizeof key, scratch.data, scratch.len);
        chainstate_batch_best(b, hash, height, &scratch);
        /* Not synced, as Bitcoin Core writes its coins database: the block
         * index, synced before, already names this block, so a power cut
         * that takes this batch leaves the chainstate a block or more back,
         * and the next start connects those blocks again. */
        ok = ser_writer_ok(&w) && chainstate_write(cs, b, hash, height, false, err, errlen);
    } else if (b == NULL) {
        snprintf(err, errlen, "chainstate: out of memory");
    }
    buf_clear(&scratch);
    db_batch_free(b);
    return ok;
}

bool chainstate_undo_pos(struct chainstate *cs, const uint8_t hash[SHA256_LEN],
                         struct blockstore_pos *pos, bool *found, char *err, size_t errlen)
{
    uint8_t key[2 + SHA256_LEN];
    chainstate_undo_key(hash, key);
    struct buf val;
    buf_init(&val);
    bool ok = db_get(cs->db, key, sizeof key, &val, found, err, errlen);
    if (ok && *found) {
        struct ser_doc doc;
        ser_doc_init(&doc);
        const msgpack_object *f;
        uint64_t file, offset;
        if (ser_doc_parse(&doc, val.data, val.len) != SER_OK ||
            ser_get_array(ser_doc_root(&doc), 2, &f) != SER_OK ||
            ser_get_uint_max(&f[0], UINT32_MAX, &file) != SER_OK ||
            ser_get_uint_max(&f[1], UINT32_MAX, &offset) != SER_OK) {
            snprintf(err, errlen, "chainstate: an undo location record is corrupt");
            ok = false;
        } else {
            pos->file = (uint32_t)file;
            pos->offset = (uint32_t)offset;
        }
        ser_doc_clear(&doc);
    }
    buf_clear(&val);
    return ok;
}

bool chainstate_commit_disconnect(struct chainstate *cs, const uint8_t hash[SHA256_LEN],
                                  const void *undo, size_t undo_len,
                                  const uint8_t prev_hash[SHA256_LEN], uint64_t prev_height,
                                  char *err, size_t errlen)
{
    if (!cs->has_best || memcmp(cs->best_hash, hash, SHA256_LEN) != 0) {
        snprintf(err, errlen, "chainstate: can only disconnect the best block");
        return false;
    }
    struct db_batch *b = db_batch_new();
    if (b == NULL) {
        snprintf(err, errlen, "chainstate: out of memory");
        return false;
    }
    bool ok = true;
    enum ser_err se = state_undo_for_each(undo, undo_len, chainstate_batch_change, b);
    if (se != SER_OK) {
        snprintf(err, errlen, "chainstate: undo record does not decode: %s", ser_strerror(se));
        ok = false;
    }
    struct buf scratch;
    buf_init(&scratch);
    if (ok) {
        uint8_t key[2 + SHA256_LEN];
        chainstate_undo_key(hash, key);
        db_batch_delete(b, key, sizeof key);
        chainstate_batch_best(b, prev_hash, prev_height, &scratch);
        ok = chainstate_write(cs, b, prev_hash, prev_height, true, err, errlen);
    }
    buf_clear(&scratch);
    db_batch_free(b);
    return ok;
}

bool chainstate_init_genesis(struct chainstate *cs, const uint8_t hash[SHA256_LEN], char *err,
                             size_t errlen)
{
    struct db_batch *b = db_batch_new();
    if (b == NULL) {
        snprintf(err, errlen, "chainstate: out of memory");
        return false;
    }
    struct buf scratch;
    buf_init(&scratch);
    chainstate_batch_best(b, hash, 0, &scratch);
    uint8_t format[1] = {CHAINSTATE_FORMAT}; /* a positive fixint is its own msgpack */
    db_batch_put(b, chainstate_format_key, sizeof chainstate_format_key, format, sizeof format);
    bool ok = chainstate_write(cs, b, hash, 0, true, err, errlen);
    buf_clear(&scratch);
    db_batch_free(b);
    return ok;
}

bool chainstate_scan(struct chainstate *cs, const void *prefix, size_t plen,
                     chainstate_scan_fn fn, void *ctx, char *err, size_t errlen)
{
    if (plen == 0 || ((const uint8_t *)prefix)[0] == CHAINSTATE_META_PREFIX) {
        snprintf(err, errlen, "chainstate: a scan needs a consensus prefix");
        return false;
    }
    struct db_iter *it = db_iter_new(cs->db);
    if (it == NULL) {
        snprintf(err, errlen, "chainstate: out of memory");
        return false;
    }
    for (db_iter_seek_prefix(it, prefix, plen); db_iter_valid(it); db_iter_next(it)) {
        size_t klen, vlen;
        const uint8_t *k = db_iter_key(it, &klen);
        const uint8_t *v = db_iter_value(it, &vlen);
        if (!fn(ctx, k, klen, v, vlen))
            break;
    }
    bool ok = db_iter_status(it, err, errlen);
    db_iter_free(it);
    return ok;
}

bool chainstate_info(struct chainstate *cs, struct chainstate_info *out, char *err, size_t errlen)
{
    struct db_iter *it = db_iter_new(cs->db);
    if (it == NULL) {
        snprintf(err, errlen, "chainstate: out of memory");
        return false;
    }
    struct sha256_ctx ctx;
    sha256_init(&ctx);
    struct ser_writer w;
    ser_writer_init_hasher(&w, &ctx);
    out->keys = 0;
    out->bytes = 0;
    /* Meta keys sort first (prefix 0x00); everything after them is state. */
    static const uint8_t after_meta[1] = {CHAINSTATE_META_PREFIX + 1};
    for (db_iter_seek(it, after_meta, sizeof after_meta); db_iter_valid(it); db_iter_next(it)) {
        size_t klen, vlen;
        const uint8_t *k = db_iter_key(it, &klen);
        const uint8_t *v = db_iter_value(it, &vlen);
        ser_write_bin(&w, k, klen);
        ser_write_bin(&w, v, vlen);
        out->keys++;
        out->bytes += klen + vlen;
    }
    bool ok = db_iter_status(it, err, errlen);
    db_iter_free(it);
    sha256_final(&ctx, out->state_hash);
    return ok;
}
