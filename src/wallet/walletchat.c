/* The wallet's chat messages: building and signing envelopes, taking the
 * ones the node keeps for the wallet's keys, reading them back. Part of
 * the wallet module: see walletchat.h and wallet_impl.h. */
#define _POSIX_C_SOURCE 200809L
#include "wallet/walletchat.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "consensus/serialize.h"
#include "crypto/aead.h"
#include "node/chatbus.h"
#include "util/hex.h"
#include "util/log.h"
#include "util/time.h"
#include "wallet/wallet_impl.h"

/* ---- sending ------------------------------------------------------------------- */

/* The key a draft without `from` sends from: the one the wallet used last
 * with that key, else its first handed-out derived address, else its
 * first imported one. */
static enum wallet_err choose_from_locked(struct wallet *w, const struct wallet_chat_draft *d,
                                          uint8_t from[32])
{
    bool found = false;
    enum wallet_err r = walletdb_chat_last_own(w->db, d->to, d->order_id, from, &found);
    if (r != WALLET_OK || (found && wallet_find_key(w, from) != NULL))
        return r;
    const struct wallet_key *best = NULL;
    for (size_t i = 0; i < w->n_keys; i++) {
        const struct wallet_key *k = &w->keys[i];
        if (!k->used)
            continue;
        if (best == NULL || (best->index < 0 && k->index >= 0) ||
            (k->index >= 0 && k->index < best->index))
            best = k;
    }
    if (best == NULL)
        return WALLET_ERR_NOT_FOUND;
    memcpy(from, best->pub, 32);
    return WALLET_OK;
}

enum wallet_err wallet_chat_create(struct wallet *w, const struct wallet_chat_draft *d,
                                   struct envelope *out, uint8_t from_out[32], char *err,
                                   size_t errlen)
{
    err[0] = '\0';
    if (d->ttl < 1 || d->ttl > ENVELOPE_TTL_MAX) {
        snprintf(err, errlen, "ttl: 1 to %u seconds", ENVELOPE_TTL_MAX);
        return WALLET_ERR_BAD_PARAMETER;
    }
    if (d->timestamp < 0) {
        snprintf(err, errlen, "timestamp: before 1970");
        return WALLET_ERR_BAD_PARAMETER;
    }
    struct ser_doc doc;
    struct envelope_plaintext p;
    ser_doc_init(&doc);
    bool plain = envelope_plaintext_decode(d->plaintext, d->plaintext_len, &doc, &p) ==
                 ENVELOPE_OK;
    ser_doc_clear(&doc);
    if (!plain) {
        snprintf(err, errlen, "plaintext: not a text or an attachment as doc/chat.md encodes them");
        return WALLET_ERR_BAD_PARAMETER;
    }
    if (d->plaintext_len > ENVELOPE_CIPHERTEXT_MAX - AEAD_OVERHEAD) {
        snprintf(err, errlen,
                 "the message is too big: %zu bytes sealed, and an envelope holds at most %u",
                 d->plaintext_len + AEAD_OVERHEAD, ENVELOPE_CIPHERTEXT_MAX);
        return WALLET_ERR_BAD_PARAMETER;
    }
    enum wallet_err r = wallet_enter(w);
    if (r != WALLET_OK)
        return r;
    uint8_t from[32], secret[32], key[AEAD_KEY_LEN];
    if (d->from != NULL) {
        memcpy(from, d->from, 32);
        r = wallet_find_key(w, from) != NULL ? WALLET_OK : WALLET_ERR_NOT_MINE;
    } else if ((r = choose_from_locked(w, d, from)) == WALLET_ERR_NOT_FOUND) {
        snprintf(err, errlen, "the wallet has no address yet (getnewaddress makes one)");
        r = WALLET_ERR_BAD_PARAMETER;
    }
    if (r == WALLET_OK)
        r = wallet_get_secret_locked(w, from, secret);
    wallet_leave(w);
    if (r == WALLET_OK && !aead_shared_key(secret, d->to, key))
        r = WALLET_ERR_INVALID_ADDRESS;
    if (r == WALLET_OK) {
        memcpy(out->sender, from, 32);
        memcpy(out->recipient, d->to, 32);
        out->timestamp = (uint64_t)d->timestamp;
        out->ttl = d->ttl;
        out->has_order = d->order_id != NULL;
        if (out->has_order)
            memcpy(out->order_id, d->order_id, 32);
        out->pow_nonce = 0;
        buf_reset(&out->ciphertext);
        if (!aead_seal(key, d->plaintext, d->plaintext_len, &out->ciphertext) ||
            !envelope_sign(out, secret))
            r = WALLET_ERR_NOMEM;
    }
    OPENSSL_cleanse(secret, sizeof secret);
    OPENSSL_cleanse(key, sizeof key);
    if (r == WALLET_OK)
        memcpy(from_out, from, 32);
    return r;
}

/* ---- receiving ----------------------------------------------------------------- */

bool wallet_chat_wants(struct wallet *w, const uint8_t sender[32], const uint8_t recipient[32])
{
    if (wallet_enter(w) != WALLET_OK)
        return false;
    bool mine = wallet_find_key(w, sender) != NULL || wallet_find_key(w, recipient) != NULL;
    wallet_leave(w);
    return mine;
}

/* Opens a sealed box between secret's key and counterparty into m's
 * content. False when it does not open or is no plaintext. */
static bool open_into(const uint8_t secret[32], const uint8_t counterparty[32],
                      const uint8_t *sealed, size_t len, struct walletdb_chat *m)
{
    uint8_t key[AEAD_KEY_LEN];
    struct buf pt;
    buf_init(&pt);
    struct ser_doc doc;
    ser_doc_init(&doc);
    struct envelope_plaintext p;
    bool ok = aead_shared_key(secret, counterparty, key) &&
              aead_open(key, sealed, len, &pt) == AEAD_OK &&
              envelope_plaintext_decode(pt.data, pt.len, &doc, &p) == ENVELOPE_OK;
    OPENSSL_cleanse(key, sizeof key);
    if (ok) {
        m->kind = (int)p.kind;
        buf_reset(&m->body);
        const void *body = p.kind == ENVELOPE_KIND_TEXT ? (const void *)p.text : p.bytes;
        size_t body_len = p.kind == ENVELOPE_KIND_TEXT ? p.text_len : p.bytes_len;
        ok = body_len == 0 || buf_append(&m->body, body, body_len);
        m->size = body_len;
        m->mime[0] = '\0';
        m->name_len = 0;
        if (p.kind == ENVELOPE_KIND_ATTACHMENT) {
            /* A mime type is a token: a NUL in one ends it. */
            size_t mime_len = strnlen(p.mime, p.mime_len);
            memcpy(m->mime, p.mime, mime_len);
            m->mime[mime_len] = '\0';
            memcpy(m->name, p.name, p.name_len);
            m->name[p.name_len] = '\0';
            m->name_len = p.name_len;
        }
    }
    ser_doc_clear(&doc);
    buf_clear_secure(&pt);
    return ok;
}

static void log_dropped(struct wallet *w, const uint8_t id[32], const char *why)
{
    char hex[65];
    hex_encode(id, 32, hex);
    LOG_WARN(LOG_CAT_WALLET, "wallet %s: chat message %s %s: dropped", w->name, hex, why);
}

bool wallet_chat_take(struct wallet *w, const uint8_t id[32], const struct envelope *e)
{
    if (wallet_enter(w) != WALLET_OK)
        return false;
    bool outgoing = wallet_find_key(w, e->sender) != NULL;
    bool incoming = !outgoing && wallet_find_key(w, e->recipient) != NULL;
    bool have = false;
    if ((!outgoing && !incoming) || walletdb_chat_have(w->db, id, &have) != WALLET_OK || have) {
        wallet_leave(w);
        return false;
    }
    struct walletdb_chat m;
    walletdb_chat_init(&m);
    memcpy(m.id, id, 32);
    memcpy(m.own, outgoing ? e->sender : e->recipient, 32);
    memcpy(m.counterparty, outgoing ? e->recipient : e->sender, 32);
    m.has_order = e->has_order;
    if (m.has_order)
        memcpy(m.order_id, e->order_id, 32);
    m.outgoing = outgoing;
    m.read = outgoing;
    m.timestamp = (int64_t)e->timestamp;
    m.expires = (int64_t)(e->timestamp + e->ttl);
    m.received = time_now();
    uint8_t secret[32];
    enum wallet_err r = wallet_get_secret_locked(w, m.own, secret);
    bool keep = false;
    if (r == WALLET_ERR_LOCKED) {
        m.kind = WALLETDB_CHAT_SEALED;
        m.size = e->ciphertext.len;
        keep = buf_append(&m.body, e->ciphertext.data, e->ciphertext.len);
    } else if (r == WALLET_OK) {
        keep = open_into(secret, m.counterparty, e->ciphertext.data, e->ciphertext.len, &m);
        if (!keep)
            log_dropped(w, id, "does not open to a text or an attachment");
    }
    OPENSSL_cleanse(secret, sizeof secret);
    bool added = false;
    if (keep && walletdb_chat_put(w->db, &m, &added) != WALLET_OK)
        log_dropped(w, id, "could not be written to the wallet file");
    walletdb_chat_clear(&m);
    wallet_leave(w);
    return added && incoming;
}

static bool collect_sealed(void *ctx, const struct walletdb_chat *m)
{
    struct buf *ids = ctx;
    return buf_append(ids, m->id, 32);
}

void wallet_chat_open_sealed_locked(struct wallet *w)
{
    struct buf ids;
    buf_init(&ids);
    const struct walletdb_chat_filter sealed = {.sealed_only = true};
    if (walletdb_chat_for_each(w->db, &sealed, SIZE_MAX, 0, false, collect_sealed, &ids) !=
        WALLET_OK)
        LOG_WARN(LOG_CAT_WALLET, "wallet %s: listing sealed chat messages failed", w->name);
    for (size_t off = 0; off + 32 <= ids.len; off += 32) {
        const uint8_t *id = ids.data + off;
        struct walletdb_chat m;
        walletdb_chat_init(&m);
        bool found = false;
        uint8_t secret[32];
        if (walletdb_chat_get(w->db, id, true, &m, &found) == WALLET_OK && found &&
            wallet_get_secret_locked(w, m.own, secret) == WALLET_OK) {
            struct buf sealed_box = m.body;
            buf_init(&m.body);
            if (open_into(secret, m.counterparty, sealed_box.data, sealed_box.len, &m)) {
                if (walletdb_chat_set_open(w->db, id, m.kind, m.body.data, m.body.len, m.mime,
                                           m.name, m.name_len) != WALLET_OK)
                    LOG_WARN(LOG_CAT_WALLET, "wallet %s: storing an opened message failed",
                             w->name);
            } else {
                log_dropped(w, id, "does not open to a text or an attachment");
                walletdb_chat_delete(w->db, id);
            }
            buf_clear(&sealed_box);
        }
        OPENSSL_cleanse(secret, sizeof secret);
        walletdb_chat_clear(&m);
    }
    buf_clear(&ids);
}

static bool catch_up_want(void *ctx, const uint8_t sender[32], const uint8_t recipient[32])
{
    return wallet_chat_wants(ctx, sender, recipient);
}

static bool catch_up_take(void *ctx, const uint8_t id[32], const struct envelope *e)
{
    return wallet_chat_take(ctx, id, e);
}

enum wallet_err wallet_chat_catch_up(struct wallet *w)
{
    if (!chatbus_replay(w->node->chatbus, catch_up_want, catch_up_take, w)) {
        LOG_WARN(LOG_CAT_WALLET, "wallet %s: reading the chat store failed", w->name);
        return WALLET_ERR_DB;
    }
    return WALLET_OK;
}

/* ---- reading ------------------------------------------------------------------- */

enum wallet_err wallet_chat_list(struct wallet *w, const struct walletdb_chat_filter *f,
                                 size_t count, size_t skip, bool want_body, walletdb_chat_fn fn,
                                 void *ctx)
{
    enum wallet_err r = wallet_enter(w);
    if (r != WALLET_OK)
        return r;
    r = walletdb_chat_for_each(w->db, f, count, skip, want_body, fn, ctx);
    wallet_leave(w);
    return r;
}

enum wallet_err wallet_chat_threads(struct wallet *w, walletdb_chat_thread_fn fn, void *ctx)
{
    enum wallet_err r = wallet_enter(w);
    if (r != WALLET_OK)
        return r;
    r = walletdb_chat_threads(w->db, fn, ctx);
    wallet_leave(w);
    return r;
}

enum wallet_err wallet_chat_get(struct wallet *w, const uint8_t id[32], bool want_body,
                                struct walletdb_chat *out)
{
    enum wallet_err r = wallet_enter(w);
    if (r != WALLET_OK)
        return r;
    bool found = false;
    r = walletdb_chat_get(w->db, id, want_body, out, &found);
    wallet_leave(w);
    return r == WALLET_OK && !found ? WALLET_ERR_NOT_FOUND : r;
}

enum wallet_err wallet_chat_mark_read(struct wallet *w, const uint8_t (*ids)[32], size_t n,
                                      size_t *marked, size_t *missing)
{
    *marked = 0;
    enum wallet_err r = wallet_enter(w);
    if (r != WALLET_OK)
        return r;
    r = walletdb_begin(w->db);
    for (size_t i = 0; r == WALLET_OK && i < n; i++) {
        struct walletdb_chat m;
        walletdb_chat_init(&m);
        bool found = false;
        r = walletdb_chat_get(w->db, ids[i], false, &m, &found);
        if (r == WALLET_OK && !found) {
            *missing = i;
            r = WALLET_ERR_NOT_FOUND;
        }
        /* inside the transaction, an id given twice reads as read the second time */
        if (r == WALLET_OK && !m.read && (r = walletdb_chat_mark_read(w->db, ids[i], &found)) ==
                                             WALLET_OK)
            (*marked)++;
        walletdb_chat_clear(&m);
    }
    if (r == WALLET_OK)
        r = walletdb_commit(w->db);
    if (r != WALLET_OK) {
        walletdb_rollback(w->db);
        *marked = 0;
    }
    wallet_leave(w);
    return r;
}
