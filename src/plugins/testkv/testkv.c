#define _POSIX_C_SOURCE 200809L
#include "plugins/testkv/testkv.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "plugins/testkv/testkv_impl.h"

/* ---- rules ------------------------------------------------------------------ */

enum {
    TESTKV_ERR_RESERVED = 2500,
    TESTKV_ERR_NOT_OWNER,
    TESTKV_ERR_UNKNOWN_KEY,
};

const struct txerr_def testkv_rules[TESTKV_N_RULES] = {
    {TESTKV_ERR_RESERVED, "kv-reserved-key", "keys starting with '_' are reserved",
     TXCLASS_INVALID},
    {TESTKV_ERR_NOT_OWNER, "kv-not-owner", "the key belongs to another sender", TXCLASS_STATE},
    {TESTKV_ERR_UNKNOWN_KEY, "kv-unknown-key", "no such key", TXCLASS_STATE},
};

/* ---- state ------------------------------------------------------------------ */

const uint8_t testkv_prefixes[1] = {TESTKV_PREFIX};

static size_t testkv_key(const uint8_t *name, size_t len, uint8_t out[1 + TESTKV_KEY_MAX])
{
    out[0] = TESTKV_PREFIX;
    memcpy(out + 1, name, len);
    return 1 + len;
}

bool testkv_record_decode(const uint8_t *bytes, size_t len, struct testkv_record *out)
{
    struct ser_doc doc;
    ser_doc_init(&doc);
    const msgpack_object *f;
    const uint8_t *value;
    bool ok = ser_doc_parse(&doc, bytes, len) == SER_OK &&
              ser_get_array(ser_doc_root(&doc), 3, &f) == SER_OK &&
              ser_get_bin_fixed(&f[0], 32, out->owner) == SER_OK &&
              ser_get_bin(&f[1], TESTKV_VALUE_MAX, &value, &out->value_len) == SER_OK &&
              ser_get_uint(&f[2], &out->height) == SER_OK;
    if (ok && out->value_len > 0)
        memcpy(out->value, value, out->value_len);
    ser_doc_clear(&doc);
    return ok;
}

enum txerr testkv_read(struct state_view *v, const uint8_t *name, size_t len,
                       struct testkv_record *out, bool *found)
{
    uint8_t key[1 + TESTKV_KEY_MAX];
    size_t klen = testkv_key(name, len, key);
    struct buf val;
    buf_init(&val);
    enum txerr err = TXERR_OK;
    if (!state_get(v, key, klen, &val, found))
        err = TXERR_STORAGE;
    else if (*found && !testkv_record_decode(val.data, val.len, out))
        err = TXERR_STORAGE;
    buf_clear(&val);
    return err;
}

static enum txerr testkv_write(struct state_view *v, const uint8_t *name, size_t len,
                               const struct testkv_record *r)
{
    uint8_t key[1 + TESTKV_KEY_MAX];
    size_t klen = testkv_key(name, len, key);
    struct buf val;
    buf_init(&val);
    struct ser_writer w;
    ser_writer_init(&w, &val);
    ser_write_array(&w, 3);
    ser_write_bin(&w, r->owner, 32);
    ser_write_bin(&w, r->value, r->value_len);
    ser_write_uint(&w, r->height);
    bool ok = ser_writer_ok(&w) && state_put(v, key, klen, val.data, val.len);
    buf_clear(&val);
    return ok ? TXERR_OK : TXERR_STORAGE;
}

static enum txerr testkv_delete(struct state_view *v, const uint8_t *name, size_t len)
{
    uint8_t key[1 + TESTKV_KEY_MAX];
    size_t klen = testkv_key(name, len, key);
    return state_del(v, key, klen) ? TXERR_OK : TXERR_STORAGE;
}

/* ---- types ------------------------------------------------------------------ */

#define TESTKV_KEY_CHARS "abcdefghijklmnopqrstuvwxyz0123456789_"

static const struct txfield testkv_put_fields[] = {
    {.name = "key", .kind = TXFIELD_TEXT, .min = 1, .max = TESTKV_KEY_MAX,
     .charset = TESTKV_KEY_CHARS},
    {.name = "value", .kind = TXFIELD_BYTES, .max = TESTKV_VALUE_MAX},
    {.name = "ttl", .kind = TXFIELD_UINT, .max = 1000},
};

static const struct txfield testkv_del_fields[] = {
    {.name = "key", .kind = TXFIELD_TEXT, .min = 1, .max = TESTKV_KEY_MAX,
     .charset = TESTKV_KEY_CHARS},
};

/* A rule on the value alone, so it is stateless: an invalid tx. */
static enum txerr testkv_check_key(const struct tx *tx, const struct txpayload *p)
{
    (void)tx;
    return p->v[0].p[0] == '_' ? (enum txerr)TESTKV_ERR_RESERVED : TXERR_OK;
}

/* The key must be free or the sender's own. */
static enum txerr testkv_claim(struct state_view *v, const struct tx *tx, const uint8_t *name,
                               size_t len, bool must_exist, struct testkv_record *r)
{
    bool found = false;
    enum txerr err = testkv_read(v, name, len, r, &found);
    if (err != TXERR_OK)
        return err;
    if (!found)
        return must_exist ? (enum txerr)TESTKV_ERR_UNKNOWN_KEY : TXERR_OK;
    return memcmp(r->owner, tx->sender, 32) == 0 ? TXERR_OK : (enum txerr)TESTKV_ERR_NOT_OWNER;
}

static enum txerr testkv_put_apply(struct state_view *v, const struct tx *tx,
                                   const struct apply_ctx *ctx)
{
    const struct txpayload *p = ctx->payload;
    struct testkv_record r;
    enum txerr err = testkv_claim(v, tx, p->v[0].p, p->v[0].len, false, &r);
    if (err != TXERR_OK)
        return err;
    memcpy(r.owner, tx->sender, 32);
    r.value_len = p->v[1].len;
    if (r.value_len > 0)
        memcpy(r.value, p->v[1].p, r.value_len);
    r.height = ctx->height;
    if ((err = testkv_write(v, p->v[0].p, p->v[0].len, &r)) != TXERR_OK)
        return err;
    uint64_t ttl = p->v[2].u;
    if (ttl == 0)
        return deadline_cancel(v, TESTKV_PREFIX, p->v[0].p, p->v[0].len, NULL);
    return deadline_schedule(v, ctx, TESTKV_PREFIX, p->v[0].p, p->v[0].len, ctx->height + ttl,
                             NULL, 0);
}

static enum txerr testkv_del_apply(struct state_view *v, const struct tx *tx,
                                   const struct apply_ctx *ctx)
{
    const struct txpayload *p = ctx->payload;
    struct testkv_record r;
    enum txerr err = testkv_claim(v, tx, p->v[0].p, p->v[0].len, true, &r);
    if (err == TXERR_OK)
        err = testkv_delete(v, p->v[0].p, p->v[0].len);
    if (err == TXERR_OK)
        err = deadline_cancel(v, TESTKV_PREFIX, p->v[0].p, p->v[0].len, NULL);
    return err;
}

static const struct txtype_def testkv_put_type = {
    .id = TESTKV_TYPE_PUT,
    .name = "kv_put",
    .fields = testkv_put_fields,
    .n_fields = sizeof testkv_put_fields / sizeof testkv_put_fields[0],
    .check = testkv_check_key,
    .apply = testkv_put_apply,
};

static const struct txtype_def testkv_del_type = {
    .id = TESTKV_TYPE_DEL,
    .name = "kv_del",
    .fields = testkv_del_fields,
    .n_fields = 1,
    .check = testkv_check_key,
    .apply = testkv_del_apply,
};

const struct txtype_def *const testkv_types[TESTKV_N_TYPES] = {&testkv_put_type, &testkv_del_type};

/* ---- deadlines and the per-block hook -------------------------------------- */

static enum txerr testkv_expire(struct state_view *v, const uint8_t *key, size_t klen,
                                const uint8_t *data, size_t dlen, const struct apply_ctx *ctx)
{
    (void)data;
    (void)dlen;
    (void)ctx;
    if (klen == 0 || klen > TESTKV_KEY_MAX)
        return TXERR_STORAGE;
    return testkv_delete(v, key, klen);
}

const struct deadline_handler testkv_deadlines[1] = {
    {.owner = TESTKV_PREFIX, .name = "testkv-expiry", .fire = testkv_expire},
};

/* 'k' 0x00 -> blocks seen: the empty-name key no kv_put can write. */
enum txerr testkv_prologue(struct state_view *v, const struct apply_ctx *ctx)
{
    (void)ctx;
    static const uint8_t key[2] = {TESTKV_PREFIX, 0x00};
    struct buf val;
    buf_init(&val);
    bool found = false;
    uint64_t count = 0;
    enum txerr err = state_get(v, key, sizeof key, &val, &found) ? TXERR_OK : TXERR_STORAGE;
    if (err == TXERR_OK && found) {
        struct ser_doc doc;
        ser_doc_init(&doc);
        if (ser_doc_parse(&doc, val.data, val.len) != SER_OK ||
            ser_get_uint(ser_doc_root(&doc), &count) != SER_OK)
            err = TXERR_STORAGE;
        ser_doc_clear(&doc);
    }
    buf_reset(&val);
    struct ser_writer w;
    ser_writer_init(&w, &val);
    ser_write_uint(&w, count + 1);
    if (err == TXERR_OK && (!ser_writer_ok(&w) || !state_put(v, key, sizeof key, val.data, val.len)))
        err = TXERR_STORAGE;
    buf_clear(&val);
    return err;
}

/* ---- the index -------------------------------------------------------------- */

const char *const testkv_schema[TESTKV_N_SCHEMA] = {
    ("CREATE TABLE kv_log(height INTEGER NOT NULL, pos INTEGER NOT NULL, txid BLOB NOT NULL, "
     "key TEXT NOT NULL, op TEXT NOT NULL, PRIMARY KEY(height, pos))"),
    "CREATE INDEX kv_log_key ON kv_log(key, height)",
    "CREATE TABLE notes(id BLOB PRIMARY KEY NOT NULL, body BLOB NOT NULL) WITHOUT ROWID",
};

static bool testkv_sql_fail(struct plugin_ctx *pc, char *err, size_t errlen)
{
    snprintf(err, errlen, "testkv index: %s", sqlite3_errmsg(pc->db));
    return false;
}

bool testkv_index_connect(struct plugin_ctx *pc, const struct plugin_block *b, char *err,
                          size_t errlen)
{
    /* -testkvindexdelay: a slow index, to show it never holds up the chain. */
    const struct testkv_state *ts = pc->state;
    if (ts != NULL && ts->index_delay_ms > 0) {
        struct timespec d = {.tv_sec = ts->index_delay_ms / 1000,
                             .tv_nsec = (long)(ts->index_delay_ms % 1000) * 1000000L};
        nanosleep(&d, NULL);
    }
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(pc->db, "INSERT OR REPLACE INTO kv_log VALUES(?1, ?2, ?3, ?4, ?5)",
                           -1, &st, NULL) != SQLITE_OK)
        return testkv_sql_fail(pc, err, errlen);
    bool ok = true;
    for (size_t i = 0; ok && i < b->block->tx_count; i++) {
        const struct tx *tx = &b->block->txs[i];
        if (tx->type != TESTKV_TYPE_PUT && tx->type != TESTKV_TYPE_DEL)
            continue;
        const struct txtype_def *def = txtype_find(tx->type);
        struct txpayload p;
        txpayload_init(&p);
        size_t len;
        const uint8_t *bytes = tx_payload_bytes(tx, &len);
        /* Blocks of the active chain are valid: a payload that does not
         * decode here means a damaged block file. */
        if (txpayload_decode(def->fields, def->n_fields, bytes, len, &p, NULL, NULL) != TXERR_OK) {
            txpayload_clear(&p);
            sqlite3_finalize(st);
            snprintf(err, errlen, "testkv index: a kv tx of block %llu does not decode",
                     (unsigned long long)b->height);
            return false;
        }
        uint8_t txid[32];
        tx_txid(tx, txid);
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, (sqlite3_int64)b->height);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)i);
        sqlite3_bind_blob(st, 3, txid, 32, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 4, (const char *)p.v[0].p, (int)p.v[0].len, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 5, tx->type == TESTKV_TYPE_PUT ? "put" : "del", -1, SQLITE_STATIC);
        ok = sqlite3_step(st) == SQLITE_DONE;
        txpayload_clear(&p);
    }
    sqlite3_finalize(st);
    return ok || testkv_sql_fail(pc, err, errlen);
}

bool testkv_index_disconnect(struct plugin_ctx *pc, const struct plugin_block *b,
                             char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    bool ok = sqlite3_prepare_v2(pc->db, "DELETE FROM kv_log WHERE height = ?1", -1, &st,
                                 NULL) == SQLITE_OK;
    if (ok) {
        sqlite3_bind_int64(st, 1, (sqlite3_int64)b->height);
        ok = sqlite3_step(st) == SQLITE_DONE;
    }
    sqlite3_finalize(st);
    return ok || testkv_sql_fail(pc, err, errlen);
}

bool testkv_index_reset(struct plugin_ctx *pc, char *err, size_t errlen)
{
    char *msg = NULL;
    if (sqlite3_exec(pc->db, "DELETE FROM kv_log", NULL, NULL, &msg) == SQLITE_OK)
        return true;
    snprintf(err, errlen, "testkv index: %s", msg != NULL ? msg : "reset failed");
    sqlite3_free(msg);
    return false;
}
