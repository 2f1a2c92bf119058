#include "plugins/chat/chat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consensus/chainparams.h"
#include "node/chatbus.h"
#include "node/eventbus.h"
#include "node/node.h"
#include "plugins/chat/chat_rpc.h"
#include "plugins/chat/chat_store.h"
#include "crypto/sha256.h"
#include "util/args.h"
#include "util/hex.h"
#include "util/log.h"
#include "util/notify.h"
#include "util/time.h"

static const int chat_points[ENVELOPE_ERR_COUNT_] = {
    [ENVELOPE_ERR_MALFORMED] = 100, [ENVELOPE_ERR_VERSION] = 100, [ENVELOPE_ERR_OVERSIZE] = 100,
    [ENVELOPE_ERR_BAD_KEY] = 100,   [ENVELOPE_ERR_TTL] = 100,     [ENVELOPE_ERR_LOW_WORK] = 100,
    [ENVELOPE_ERR_BAD_SIG] = 100,   [ENVELOPE_ERR_FUTURE] = 10,   [ENVELOPE_ERR_EXPIRED] = 10,
};

int chat_misbehaviour(enum envelope_err err)
{
    return (unsigned)err < ENVELOPE_ERR_COUNT_ ? chat_points[err] : 100;
}

enum envelope_err chat_accept_check(struct plugin_ctx *pc, const uint8_t *bytes, size_t len,
                                    struct envelope *e, uint8_t id[32])
{
    enum envelope_err err = envelope_decode(bytes, len, e);
    if (err == ENVELOPE_OK)
        err = envelope_check(e, pc->node->params->chat_pow_bits, time_now());
    if (err == ENVELOPE_OK && !envelope_id(e, id))
        err = ENVELOPE_ERR_NOMEM;
    return err;
}

/* ---- -chatnotify --------------------------------------------------------------- */

/* Runs the -chatnotify command with each %s replaced by the message id,
 * through the node's notification queue (the caller may be the P2P thread). */
static void chat_notify(struct chat_state *cs, struct node_ctx *node, const uint8_t id[32])
{
    if (cs->notify == NULL)
        return;
    char hex[65];
    hex_encode(id, 32, hex);
    const struct notify_subst s[] = {{'s', hex, false}};
    notify_run(node->notify, "-chatnotify", cs->notify, s, 1);
}

/* A new message, for event clients following its sender or recipient. */
static void chat_publish(struct plugin_ctx *pc, const uint8_t id[32], const struct envelope *e)
{
    struct node_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = NODE_EVENT_MESSAGE;
    memcpy(ev.hash, id, 32);
    memcpy(ev.keys[0], e->sender, 32);
    memcpy(ev.keys[1], e->recipient, 32);
    ev.n_keys = 2;
    if (e->has_order) {
        memcpy(ev.object, e->order_id, 32);
        ev.has_object = true;
    }
    plugin_publish(pc, &ev);
}

bool chat_keep(struct plugin_ctx *pc, const uint8_t id[32], const struct envelope *e,
               const uint8_t *bytes, size_t len, bool *added, char *err, size_t errlen)
{
    const struct chat_state *cs = pc->state;
    plugin_db_lock(pc);
    bool ok = chat_store_add(pc->db, id, e, bytes, len, time_now(), cs->max_bytes, added, err,
                             errlen);
    plugin_db_unlock(pc);
    if (ok && *added) {
        if (chatbus_kept(pc->node->chatbus, id, e))
            chat_notify(pc->state, pc->node, id);
        chat_publish(pc, id, e);
    }
    return ok;
}

/* ---- the inventory type ------------------------------------------------------- */

static bool chat_inv_have(struct plugin_ctx *pc, const uint8_t hash[32])
{
    plugin_db_lock(pc);
    bool have = chat_store_have(pc->db, hash);
    plugin_db_unlock(pc);
    return have;
}

static bool chat_inv_get(struct plugin_ctx *pc, const uint8_t hash[32], struct ser_writer *w)
{
    struct buf body;
    buf_init(&body);
    bool found = false;
    plugin_db_lock(pc);
    bool ok = chat_store_get(pc->db, hash, &body, &found);
    plugin_db_unlock(pc);
    ok = ok && found;
    if (ok)
        ser_write_raw(w, body.data, body.len);
    buf_clear(&body);
    return ok;
}

static int chat_inv_receive(struct plugin_ctx *pc, const msgpack_object *payload,
                            uint8_t hash[32], bool *relay)
{
    *relay = false;
    struct buf bytes;
    buf_init(&bytes);
    struct ser_writer w;
    ser_writer_init(&w, &bytes);
    ser_write_object(&w, payload);
    struct envelope e;
    envelope_init(&e);
    enum envelope_err err = ser_writer_ok(&w)
                                ? chat_accept_check(pc, bytes.data, bytes.len, &e, hash)
                                : ENVELOPE_ERR_NOMEM;
    int points = 0;
    char msg[256];
    if (err == ENVELOPE_OK) {
        bool added = false;
        if (chat_keep(pc, hash, &e, bytes.data, bytes.len, &added, msg, sizeof msg))
            *relay = added;
        else
            LOG_WARN(LOG_CAT_CHAT, "%s", msg);
    } else if (err != ENVELOPE_ERR_NOMEM) {
        /* The id of what was refused is unknown: hash the bytes instead, so
         * the same junk is not asked for again from this peer. */
        sha256(bytes.data, bytes.len, hash);
        points = chat_misbehaviour(err);
        LOG_DEBUG(LOG_CAT_CHAT, "chat envelope refused: %s", envelope_reason(err));
    }
    envelope_clear(&e);
    buf_clear(&bytes);
    return points;
}

static size_t chat_inv_list(struct plugin_ctx *pc, const uint8_t *after, uint8_t (*ids)[32],
                            size_t max)
{
    plugin_db_lock(pc);
    long n = chat_store_ids(pc->db, after, time_now(), ids, max);
    plugin_db_unlock(pc);
    return n > 0 ? (size_t)n : 0;
}

static const struct plugin_inv chat_invs[] = {
    {.type = CHAT_INV_TYPE,
     .command = "chat",
     .have = chat_inv_have,
     .get = chat_inv_get,
     .receive = chat_inv_receive,
     .list = chat_inv_list},
};

/* ---- life cycle ---------------------------------------------------------------- */

static const struct args_option chat_options[] = {
    {"chatmaxmb", "<n>", "64",
     "Keep at most <n> MiB of chat envelopes (1 to 16384); past it, those that expire "
     "soonest are dropped first.",
     0, "Chat options:"},
    {"chatnotify", "<cmd>", NULL,
     "Run <cmd> when a loaded wallet receives a new chat message (%s in cmd is replaced by "
     "the message id).",
     0, NULL},
};

/* ---- the node's chat store on the chat bus ------------------------------------- */

#define CHAT_REPLAY_BATCH 256

/* Walks the unexpired envelopes in id order, a batch of (id, sender,
 * recipient) at a time under the database lock, and hands each one wanted
 * to take with the lock released (taking decrypts and writes a wallet). */
static bool chat_replay(void *ctx, chatbus_want_fn want, chatbus_take_fn take, void *arg)
{
    struct plugin_ctx *pc = ctx;
    struct chat_store_parties *rows = malloc(CHAT_REPLAY_BATCH * sizeof *rows);
    if (rows == NULL)
        return false;
    uint8_t cursor[32];
    bool ok = true, more = true, first = true;
    struct buf body;
    buf_init(&body);
    while (ok && more) {
        plugin_db_lock(pc);
        long n = chat_store_parties(pc->db, first ? NULL : cursor, time_now(), rows,
                                    CHAT_REPLAY_BATCH);
        plugin_db_unlock(pc);
        ok = n >= 0;
        more = n == CHAT_REPLAY_BATCH;
        first = false;
        for (long i = 0; ok && i < n; i++) {
            memcpy(cursor, rows[i].id, 32);
            if (!want(arg, rows[i].sender, rows[i].recipient))
                continue;
            bool found = false;
            buf_reset(&body);
            plugin_db_lock(pc);
            ok = chat_store_get(pc->db, rows[i].id, &body, &found);
            plugin_db_unlock(pc);
            struct envelope e;
            envelope_init(&e);
            /* Gone meanwhile (expired, or dropped for room): nothing to give. */
            if (ok && found && envelope_decode(body.data, body.len, &e) == ENVELOPE_OK)
                take(arg, rows[i].id, &e);
            envelope_clear(&e);
        }
    }
    buf_clear(&body);
    free(rows);
    return ok;
}

static struct chat_state chat_running;

static bool chat_start(struct plugin_ctx *pc, char *err, size_t errlen)
{
    int64_t mb = CHAT_MAX_MB_DEFAULT;
    if (args_get_int(pc->node->args, "chatmaxmb", CHAT_MAX_MB_DEFAULT, 1, CHAT_MAX_MB_MAX, &mb,
                     err, errlen) != ARGS_OK)
        return false;
    chat_running.max_bytes = (uint64_t)mb << 20;
    const char *notify = args_get_str(pc->node->args, "chatnotify", NULL);
    chat_running.notify = notify != NULL && notify[0] != '\0' ? notify : NULL;
    pthread_mutex_init(&chat_running.stamp_mu, NULL);
    chat_running.last_stamp_us = -1;
    pc->state = &chat_running;
    uint64_t removed = 0;
    plugin_db_lock(pc);
    bool ok = chat_store_expire(pc->db, time_now(), &removed, err, errlen);
    plugin_db_unlock(pc);
    if (ok && removed > 0)
        LOG_INFO(LOG_CAT_CHAT, "chat: %llu expired envelopes dropped at start-up",
                 (unsigned long long)removed);
    /* The wallets loaded at start-up take what arrived for them while the
     * node was down. */
    struct chatbus_store store = {.ctx = pc, .replay = chat_replay};
    if (ok && !chatbus_set_store(pc->node->chatbus, &store))
        LOG_WARN(LOG_CAT_CHAT, "chat: the wallets could not read the chat store");
    return ok;
}

static void chat_stop(struct plugin_ctx *pc)
{
    chatbus_clear_store(pc->node->chatbus);
    pthread_mutex_destroy(&chat_running.stamp_mu);
}

const struct plugin chat_plugin = {
    .name = "chat",
    .summary = "signed, encrypted messages between traders, relayed and kept until they expire",
    .db_file = "chat.sqlite",
    .schema = chat_store_schema,
    .n_schema = CHAT_STORE_N_SCHEMA,
    .rpc_methods = chat_rpc_methods,
    .n_rpc_methods = CHAT_RPC_N_METHODS,
    .invs = chat_invs,
    .n_invs = sizeof chat_invs / sizeof chat_invs[0],
    .options = chat_options,
    .n_options = sizeof chat_options / sizeof chat_options[0],
    .start = chat_start,
    .stop = chat_stop,
};
