#include "plugins/market/market_media.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consensus/media.h"
#include "node/node.h"
#include "plugins/market/market_index.h"
#include "plugins/market/media_store.h"
#include "rpc/rpcutil.h"
#include "util/hex.h"
#include "util/log.h"
#include "util/sqlitedb.h"
#include "util/time.h"

struct market_media {
    sqlite3 *db;
    pthread_mutex_t mu; /* taken after the market index's lock, never before */
    uint64_t max_bytes;
    int64_t last_sweep; /* index thread only */
};

static struct market_media media_running;

static struct market_media *media_of(struct plugin_ctx *pc)
{
    struct market_media *m = pc != NULL ? pc->state : NULL;
    return m != NULL && m->db != NULL ? m : NULL;
}

/* ---- the inventory type ------------------------------------------------------- */

/* An announced photo is asked for only when an active listing names it and
 * it is not held; any other is "had" (not requested). The peer's
 * announcement is remembered by P2P, which asks it later if a listing
 * naming the photo connects. */
static bool media_inv_have(struct plugin_ctx *pc, const uint8_t hash[32])
{
    struct market_media *m = media_of(pc);
    if (m == NULL)
        return true;
    pthread_mutex_lock(&m->mu);
    bool have = media_store_have(m->db, hash) || !media_store_wanted(m->db, hash);
    pthread_mutex_unlock(&m->mu);
    return have;
}

static bool media_inv_get(struct plugin_ctx *pc, const uint8_t hash[32], struct ser_writer *w)
{
    struct market_media *m = media_of(pc);
    if (m == NULL)
        return false;
    struct buf body;
    buf_init(&body);
    bool found = false;
    pthread_mutex_lock(&m->mu);
    bool ok = media_store_get(m->db, hash, true, &body, NULL, &found);
    pthread_mutex_unlock(&m->mu);
    ok = ok && found;
    if (ok)
        ser_write_raw(w, body.data, body.len);
    buf_clear(&body);
    return ok;
}

static int media_inv_receive(struct plugin_ctx *pc, const msgpack_object *payload,
                             uint8_t hash[32], bool *relay)
{
    *relay = false;
    struct market_media *m = media_of(pc);
    struct buf bytes;
    buf_init(&bytes);
    struct ser_writer w;
    ser_writer_init(&w, &bytes);
    ser_write_object(&w, payload);
    if (m == NULL || !ser_writer_ok(&w)) {
        buf_clear(&bytes);
        memset(hash, 0, 32);
        return 0;
    }
    media_id(bytes.data, bytes.len, hash);
    struct media blob;
    media_init(&blob);
    enum media_err err = media_decode(bytes.data, bytes.len, &blob);
    if (err == MEDIA_OK)
        err = media_check_image(&blob);
    int points = 0;
    if (err == MEDIA_ERR_NOMEM) {
        points = 0;
    } else if (err != MEDIA_OK) {
        LOG_DEBUG(LOG_CAT_MARKET, "media refused: %s", media_reason(err));
        points = MARKET_MEDIA_POINTS_BAD;
    } else {
        char msg[256];
        enum media_store_add res = MEDIA_STORE_EXISTS;
        pthread_mutex_lock(&m->mu);
        bool wanted = media_store_wanted(m->db, hash);
        bool ok = !wanted || media_store_add(m->db, hash, blob.mime, bytes.data, bytes.len,
                                             false, time_now(), m->max_bytes, &res, msg,
                                             sizeof msg);
        pthread_mutex_unlock(&m->mu);
        if (!wanted) {
            LOG_DEBUG(LOG_CAT_MARKET, "media nobody asked for, dropped");
            points = MARKET_MEDIA_POINTS_UNWANTED;
        } else if (!ok) {
            LOG_WARN(LOG_CAT_MARKET, "%s", msg);
        } else if (res == MEDIA_STORE_FULL) {
            LOG_WARN(LOG_CAT_MARKET, "media store full (-mediamaxmb): a listing photo of %zu "
                     "bytes not kept", bytes.len);
        } else {
            *relay = res == MEDIA_STORE_ADDED;
        }
    }
    media_clear(&blob);
    buf_clear(&bytes);
    return points;
}

static size_t media_inv_list(struct plugin_ctx *pc, const uint8_t *after, uint8_t (*ids)[32],
                             size_t max)
{
    struct market_media *m = media_of(pc);
    if (m == NULL)
        return 0;
    pthread_mutex_lock(&m->mu);
    long n = media_store_ids(m->db, false, after, ids, max);
    pthread_mutex_unlock(&m->mu);
    return n > 0 ? (size_t)n : 0;
}

const struct plugin_inv market_media_invs[1] = {
    {.type = MARKET_MEDIA_INV_TYPE,
     .command = "media",
     .have = media_inv_have,
     .get = media_inv_get,
     .receive = media_inv_receive,
     .list = media_inv_list},
};

/* ---- following the listings ----------------------------------------------------- */

struct named_ctx {
    sqlite3 *index;
    uint64_t tip;
};

static int named_at_tip(void *arg, const uint8_t id[32])
{
    const struct named_ctx *c = arg;
    return market_index_media_named(c->index, id, c->tip);
}

static void sweep(struct plugin_ctx *pc, struct market_media *m, uint64_t height, int64_t now)
{
    uint8_t(*named)[32] = malloc(MARKET_MEDIA_RETRY_MAX * 2 * 32);
    if (named == NULL)
        return;
    struct media_store_sweep s = {.named_ids = named,
                                  .want_ids = named + MARKET_MEDIA_RETRY_MAX,
                                  .max_out = MARKET_MEDIA_RETRY_MAX};
    struct named_ctx c = {pc->db, height};
    char msg[256];
    pthread_mutex_lock(&m->mu);
    bool ok = media_store_sweep(m->db, named_at_tip, &c, now, MEDIA_KEEP_UNNAMED_SECS, &s, msg,
                                sizeof msg);
    pthread_mutex_unlock(&m->mu);
    if (!ok) {
        LOG_WARN(LOG_CAT_MARKET, "%s", msg);
    } else {
        for (size_t i = 0; pc->announce != NULL && i < s.n_named_ids; i++)
            pc->announce(pc, MARKET_MEDIA_INV_TYPE, s.named_ids[i]);
        for (size_t i = 0; pc->request != NULL && i < s.n_want_ids; i++)
            pc->request(pc, MARKET_MEDIA_INV_TYPE, s.want_ids[i]);
        if (s.renamed + s.unnamed + s.dropped + s.unwanted > 0)
            LOG_INFO(LOG_CAT_MARKET,
                     "media sweep at height %llu: %llu named again, %llu no longer named, "
                     "%llu dropped, %llu no longer wanted",
                     (unsigned long long)height, (unsigned long long)s.renamed,
                     (unsigned long long)s.unnamed, (unsigned long long)s.dropped,
                     (unsigned long long)s.unwanted);
    }
    free(named);
}

void market_media_block(struct plugin_ctx *pc, uint64_t height)
{
    struct market_media *m = media_of(pc);
    if (m == NULL)
        return;
    uint8_t(*ids)[32] = NULL;
    size_t n = 0;
    char msg[256];
    if (!market_index_media_at(pc->db, height, &ids, &n, msg, sizeof msg)) {
        LOG_WARN(LOG_CAT_MARKET, "%s", msg);
        return;
    }
    int64_t now = time_now();
    for (size_t i = 0; i < n; i++) {
        /* A listing of this block may be closed or expired already (a
         * block can create and close one). */
        if (market_index_media_named(pc->db, ids[i], height) != 1)
            continue;
        bool held, changed = false, ok = true;
        pthread_mutex_lock(&m->mu);
        held = media_store_have(m->db, ids[i]);
        if (held)
            ok = media_store_set_named(m->db, ids[i], true, now, &changed, msg, sizeof msg);
        else
            ok = media_store_want(m->db, ids[i], now, msg, sizeof msg);
        pthread_mutex_unlock(&m->mu);
        if (!ok)
            LOG_WARN(LOG_CAT_MARKET, "%s", msg);
        else if (held && changed && pc->announce != NULL)
            pc->announce(pc, MARKET_MEDIA_INV_TYPE, ids[i]);
        else if (!held && pc->request != NULL)
            pc->request(pc, MARKET_MEDIA_INV_TYPE, ids[i]);
    }
    free(ids);
    if (now - m->last_sweep >= MARKET_MEDIA_SWEEP_SECS || now < m->last_sweep) {
        m->last_sweep = now;
        sweep(pc, m, height, now);
    }
}

/* ---- life cycle ------------------------------------------------------------------ */

const struct args_option market_media_options[MARKET_MEDIA_N_OPTIONS] = {
    {"mediamaxmb", "<n>", "1024",
     "Keep at most <n> MiB of listing photos (1 to 1048576); past it, photos no active "
     "listing names go first, and a new photo that still does not fit is not kept.",
     0, "Market options:"},
};

bool market_media_start(struct plugin_ctx *pc, char *err, size_t errlen)
{
    int64_t mb = MARKET_MEDIA_MAX_MB_DEFAULT;
    if (args_get_int(pc->node->args, "mediamaxmb", MARKET_MEDIA_MAX_MB_DEFAULT, 1,
                     MARKET_MEDIA_MAX_MB_MAX, &mb, err, errlen) != ARGS_OK)
        return false;
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/%s", pc->node->datadir, MARKET_MEDIA_DB_FILE);
    struct sqlitedb_schema schema = {.app_id = MEDIA_STORE_APP_ID,
                                     .version = 1,
                                     .statements = media_store_schema,
                                     .n_statements = MEDIA_STORE_N_SCHEMA};
    struct market_media *m = &media_running;
    memset(m, 0, sizeof *m);
    if (!sqlitedb_open(path, &schema, &m->db, err, errlen))
        return false;
    pthread_mutex_init(&m->mu, NULL);
    m->max_bytes = (uint64_t)mb << 20;
    m->last_sweep = 0;
    pc->state = m;
    return true;
}

void market_media_stop(struct plugin_ctx *pc)
{
    struct market_media *m = pc->state;
    if (m == NULL || m->db == NULL)
        return;
    pthread_mutex_lock(&m->mu);
    sqlite3_close(m->db);
    m->db = NULL;
    pthread_mutex_unlock(&m->mu);
    pthread_mutex_destroy(&m->mu);
    pc->state = NULL;
}

/* ---- RPC ------------------------------------------------------------------------- */

static struct market_media *rpc_media(struct rpc_request *req, struct plugin_ctx **pc)
{
    *pc = rpc_plugin(req, "market");
    if (*pc == NULL)
        return NULL;
    struct market_media *m = media_of(*pc);
    if (m == NULL)
        rpc_error(req, RPC_MISC_ERROR, "the media store is not open");
    return m;
}

bool market_media_rpc_add(struct rpc_request *req, json_t **result)
{
    struct plugin_ctx *pc;
    struct market_media *m = rpc_media(req, &pc);
    static const char *const keys[] = {"mime", NULL};
    const char *src, *mime = NULL;
    const json_t *opts;
    if (m == NULL || !rpc_param_str_required(req, 0, &src) || !rpc_options(req, 1, keys, &opts) ||
        !rpc_option_str(req, opts, "mime", &mime))
        return false;
    struct media blob;
    media_init(&blob);
    bool too_big = false;
    uint64_t size = 0;
    bool ok = rpc_path_or_base64(req, src, MEDIA_BYTES_MAX, &blob.bytes, &too_big, &size);
    if (ok && too_big)
        ok = rpc_error(req, RPC_INVALID_PARAMETER,
                       "file too large: %llu bytes; a listing photo holds at most %u bytes "
                       "(512 KiB)",
                       (unsigned long long)size, MEDIA_BYTES_MAX);
    if (ok && blob.bytes.len == 0)
        ok = rpc_error(req, RPC_INVALID_PARAMETER, "the file is empty");
    if (ok && mime == NULL &&
        (mime = media_image_mime(blob.bytes.data, blob.bytes.len)) == NULL)
        ok = rpc_error(req, RPC_INVALID_PARAMETER,
                       "not an image a listing can show: the bytes are not a PNG, JPEG, WebP "
                       "or GIF image");
    if (ok && strlen(mime) > MEDIA_MIME_MAX)
        ok = rpc_error(req, RPC_INVALID_PARAMETER, "mime: at most %d bytes", MEDIA_MIME_MAX);
    enum media_err merr = MEDIA_OK;
    if (ok) {
        blob.mime_len = strlen(mime);
        memcpy(blob.mime, mime, blob.mime_len + 1);
        merr = media_check_image(&blob);
        if (merr != MEDIA_OK)
            ok = rpc_error(req, RPC_INVALID_PARAMETER, "%s: %s%s%s", media_reason(merr),
                           media_strerror(merr),
                           merr == MEDIA_ERR_MIME ? "; the bytes are " : "",
                           merr == MEDIA_ERR_MIME
                               ? media_image_mime(blob.bytes.data, blob.bytes.len)
                               : "");
    }
    struct buf enc;
    buf_init(&enc);
    uint8_t id[32];
    struct media_store_row row;
    enum media_store_add res = MEDIA_STORE_EXISTS;
    char msg[256];
    if (ok)
        ok = media_encode(&blob, &enc) || rpc_nomem(req);
    if (ok) {
        media_id(enc.data, enc.len, id);
        bool found = false;
        pthread_mutex_lock(&m->mu);
        ok = media_store_add(m->db, id, blob.mime, enc.data, enc.len, true, time_now(),
                             m->max_bytes, &res, msg, sizeof msg) &&
             media_store_get(m->db, id, false, NULL, &row, &found) && (found || res == MEDIA_STORE_FULL);
        pthread_mutex_unlock(&m->mu);
        if (!ok)
            rpc_error(req, RPC_MISC_ERROR, "%s", msg);
        else if (res == MEDIA_STORE_FULL)
            ok = rpc_error(req, RPC_MISC_ERROR,
                           "the media store is full: photos named by active listings fill "
                           "-mediamaxmb (%llu MiB)",
                           (unsigned long long)(m->max_bytes >> 20));
    }
    /* A photo some active listing names already (it was wanted) goes out now. */
    if (ok && res == MEDIA_STORE_ADDED && row.named && pc->announce != NULL)
        pc->announce(pc, MARKET_MEDIA_INV_TYPE, id);
    if (ok) {
        *result = json_object();
        ok = *result != NULL && rpc_put(*result, "id", rpc_hex_json(id, 32)) &&
             rpc_put(*result, "mime", json_string(blob.mime)) &&
             rpc_put(*result, "size", json_integer((json_int_t)blob.bytes.len)) &&
             rpc_put(*result, "named", json_boolean(row.named));
        if (!ok)
            rpc_nomem(req);
    }
    buf_clear(&enc);
    media_clear(&blob);
    return ok;
}

bool market_media_rpc_get(struct rpc_request *req, json_t **result)
{
    struct plugin_ctx *pc;
    struct market_media *m = rpc_media(req, &pc);
    uint8_t id[32];
    if (m == NULL || !rpc_param_hash(req, 0, id))
        return false;
    struct buf enc;
    buf_init(&enc);
    struct media_store_row row;
    bool found = false;
    pthread_mutex_lock(&m->mu);
    bool ok = media_store_get(m->db, id, false, &enc, &row, &found);
    bool wanted = ok && !found && media_store_wanted(m->db, id);
    pthread_mutex_unlock(&m->mu);
    struct media blob;
    media_init(&blob);
    if (!ok) {
        rpc_error(req, RPC_MISC_ERROR, "the media store could not be read");
    } else if (!found) {
        ok = rpc_error(req, RPC_INVALID_ADDRESS_OR_KEY,
                       wanted ? "media not held yet: an active listing names it and it is "
                                "being fetched from peers"
                              : "media not held by this node (no active listing names it, or "
                                "it was never added)");
    } else if (media_decode(enc.data, enc.len, &blob) != MEDIA_OK) {
        ok = rpc_error(req, RPC_MISC_ERROR, "the media store holds a damaged blob");
    } else {
        *result = json_object();
        ok = *result != NULL && rpc_put(*result, "id", rpc_hex_json(id, 32)) &&
             rpc_put(*result, "mime", json_string(blob.mime)) &&
             rpc_put(*result, "size", json_integer((json_int_t)blob.bytes.len)) &&
             rpc_put(*result, "data", rpc_base64_json(blob.bytes.data, blob.bytes.len)) &&
             rpc_put(*result, "named", json_boolean(row.named)) &&
             rpc_put(*result, "local", json_boolean(row.local));
        if (!ok)
            rpc_nomem(req);
    }
    media_clear(&blob);
    buf_clear(&enc);
    return ok;
}

bool market_media_rpc_info(struct rpc_request *req, json_t **result)
{
    struct plugin_ctx *pc;
    struct market_media *m = rpc_media(req, &pc);
    if (m == NULL)
        return false;
    struct media_store_info info;
    pthread_mutex_lock(&m->mu);
    bool ok = media_store_info(m->db, &info);
    pthread_mutex_unlock(&m->mu);
    if (!ok)
        return rpc_error(req, RPC_MISC_ERROR, "the media store could not be read");
    *result = json_object();
    ok = *result != NULL && rpc_put(*result, "blobs", json_integer((json_int_t)info.blobs)) &&
         rpc_put(*result, "bytes", json_integer((json_int_t)info.bytes)) &&
         rpc_put(*result, "named", json_integer((json_int_t)info.named)) &&
         rpc_put(*result, "wanted", json_integer((json_int_t)info.wanted)) &&
         rpc_put(*result, "max_bytes", json_integer((json_int_t)m->max_bytes)) &&
         rpc_put(*result, "keep_unnamed_secs", json_integer(MEDIA_KEEP_UNNAMED_SECS));
    return ok || rpc_nomem(req);
}
