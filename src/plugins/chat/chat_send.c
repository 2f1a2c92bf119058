/* The chat plugin's methods that send from the request's wallet:
 * chat_send (a text) and chat_sendfile (an attachment).
 *
 * The plugin does not see the wallet: it asks the wallet's createenvelope
 * method, through the RPC table with the request's /wallet/<name> path, for
 * an envelope sealed and signed by one of its keys (the way market actions
 * reach the signing service). Then the node's part: it grinds the stamp on
 * every core, checks the envelope as it checks any other, keeps it and
 * announces it. Keeping it passes it to the wallets (chat bus), so the
 * sender's wallet records the message it sent. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "consensus/chainparams.h"
#include "consensus/media.h"
#include "crypto/address.h"
#include "crypto/aead.h"
#include "node/node.h"
#include "plugins/chat/chat.h"
#include "plugins/chat/chat_rpc.h"
#include "rpc/rpcutil.h"
#include "util/hex.h"
#include "util/time.h"

/* The options each method takes (the wallet checks their values). */
static bool check_options(struct rpc_request *req, const json_t *o, const char *const *keys)
{
    if (o == NULL)
        return true;
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)o, key, val)
    {
        bool known = false;
        for (size_t k = 0; keys[k] != NULL && !known; k++)
            known = strcmp(keys[k], key) == 0;
        if (!known)
            return rpc_error(req, RPC_INVALID_PARAMETER, "options: unknown key \"%s\"", key);
    }
    return true;
}

/* The recipient argument: an address of this network. */
static bool recipient(struct rpc_request *req, const char **text)
{
    uint8_t pub[32];
    if (!rpc_param_str_required(req, 0, text))
        return false;
    enum address_error ae = address_decode(req->node->params->hrp, *text, pub);
    if (ae != ADDRESS_OK)
        return rpc_error(req, RPC_INVALID_ADDRESS_OR_KEY, "Invalid address: %s",
                         address_strerror(ae));
    return true;
}

static unsigned grind_threads(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        return 1;
    return n > ENVELOPE_GRIND_MAX_THREADS ? ENVELOPE_GRIND_MAX_THREADS : (unsigned)n;
}

/* Has the wallet seal and sign plaintext for `to`, stamps, keeps and
 * announces the envelope; the result says how long the stamp took. */
static bool send_plaintext(struct rpc_request *req, struct plugin_ctx *pc, const char *to,
                           const struct buf *plaintext, const json_t *opts, json_t **result)
{
    json_t *wopts = json_object();
    static const char *const pass[] = {"from", "order_id", "ttl", NULL};
    for (size_t k = 0; opts != NULL && pass[k] != NULL; k++) {
        json_t *v = json_object_get(opts, pass[k]);
        if (v != NULL && !json_is_null(v))
            rpc_put(wopts, pass[k], json_incref(v));
    }
    json_t *params = json_pack("[so]", to, wopts);
    if (params == NULL || json_array_insert_new(params, 1, rpc_hex_json(plaintext->data,
                                                                        plaintext->len)) != 0) {
        json_decref(params);
        return rpc_nomem(req);
    }
    json_t *made = NULL;
    int code = 0;
    char *msg = NULL;
    bool ok = rpc_call(req->table, req->node, req->uri, "createenvelope", params, &made, &code,
                       &msg);
    json_decref(params);
    if (!ok) {
        rpc_error(req, code, "%s", msg != NULL ? msg : "createenvelope failed");
        free(msg);
        return false;
    }
    struct buf bytes;
    buf_init(&bytes);
    const char *hex = json_string_value(json_object_get(made, "hex"));
    struct envelope e;
    envelope_init(&e);
    uint8_t id[32];
    ok = hex != NULL && hex_decode_buf(hex, strlen(hex), &bytes) &&
         envelope_decode(bytes.data, bytes.len, &e) == ENVELOPE_OK && envelope_id(&e, id);
    if (!ok)
        rpc_error(req, RPC_INTERNAL_ERROR, "the wallet's envelope does not decode");
    unsigned bits = envelope_pow_bits(req->node->params->chat_pow_bits, e.ciphertext.len);
    unsigned threads = grind_threads();
    uint64_t tries = 0;
    int64_t took = 0;
    if (ok) {
        int64_t t0 = time_mono_us();
        envelope_pow_grind(id, bits, threads, &e.pow_nonce, &tries);
        took = time_mono_us() - t0;
        buf_reset(&bytes);
        ok = envelope_encode(&e, &bytes) || rpc_nomem(req);
    }
    struct envelope checked;
    envelope_init(&checked);
    if (ok) {
        enum envelope_err err = chat_accept_check(pc, bytes.data, bytes.len, &checked, id);
        if (err != ENVELOPE_OK)
            ok = rpc_error(req, RPC_VERIFY_REJECTED, "%s: %s", envelope_reason(err),
                           envelope_strerror(err));
    }
    if (ok) {
        char why[256];
        bool added = false;
        ok = chat_keep(pc, id, &checked, bytes.data, bytes.len, &added, why, sizeof why);
        if (!ok)
            rpc_error(req, RPC_MISC_ERROR, "%s", why);
        else if (added && pc->announce != NULL)
            pc->announce(pc, CHAT_INV_TYPE, id);
    }
    if (ok) {
        struct chat_state *cs = pc->state;
        pthread_mutex_lock(&cs->stamp_mu);
        cs->last_stamp_us = took;
        cs->last_stamp_bits = bits;
        cs->last_stamp_threads = threads;
        cs->last_stamp_time = time_now();
        pthread_mutex_unlock(&cs->stamp_mu);
        json_t *o = json_object();
        bool put = rpc_put(o, "id", rpc_hex_json(id, 32)) &&
                   rpc_put(o, "from", json_incref(json_object_get(made, "from"))) &&
                   rpc_put(o, "to", json_string(to)) &&
                   rpc_put(o, "expires",
                           json_integer((json_int_t)(checked.timestamp + checked.ttl))) &&
                   rpc_put(o, "size", json_integer((json_int_t)bytes.len)) &&
                   rpc_put(o, "pow_bits", json_integer(bits)) &&
                   rpc_put(o, "pow_threads", json_integer(threads)) &&
                   rpc_put(o, "pow_tries", json_integer((json_int_t)(tries & INT64_MAX))) &&
                   rpc_put(o, "pow_seconds", json_real((double)took / 1e6));
        ok = rpc_done_if(req, result, o, put);
    }
    envelope_clear(&checked);
    envelope_clear(&e);
    buf_clear(&bytes);
    json_decref(made);
    return ok;
}

static struct plugin_ctx *chat_ctx(struct rpc_request *req)
{
    struct plugin_ctx *pc = plugin_find(req->node, "chat");
    if (pc == NULL)
        rpc_error(req, RPC_MISC_ERROR, "the chat plugin is not running");
    return pc;
}

bool chat_rpc_send(struct rpc_request *req, json_t **result)
{
    struct plugin_ctx *pc = chat_ctx(req);
    const char *to, *text;
    static const char *const keys[] = {"from", "order_id", "ttl", NULL};
    const json_t *opts = rpc_param(req, 2);
    if (pc == NULL || !recipient(req, &to) || !rpc_param_str_required(req, 1, &text) ||
        !check_options(req, opts, keys))
        return false;
    size_t len = json_string_length(rpc_param(req, 1));
    if (len == 0)
        return rpc_error(req, RPC_INVALID_PARAMETER, "text: the message is empty");
    struct envelope_plaintext p = {.kind = ENVELOPE_KIND_TEXT, .text = text, .text_len = len};
    struct buf pt;
    buf_init(&pt);
    if (!envelope_plaintext_encode(&p, &pt))
        return rpc_nomem(req);
    bool ok;
    if (pt.len + AEAD_OVERHEAD > ENVELOPE_CIPHERTEXT_MAX)
        ok = rpc_error(req, RPC_INVALID_PARAMETER,
                       "text: too long (%zu bytes; a message holds %zu bytes of text)", len,
                       len - (pt.len + AEAD_OVERHEAD - ENVELOPE_CIPHERTEXT_MAX));
    else
        ok = send_plaintext(req, pc, to, &pt, opts, result);
    buf_clear_secure(&pt);
    return ok;
}

/* ---- attachments ---- */

/* The type of well-known files by their first bytes. */
static const char *sniff_mime(const uint8_t *b, size_t n)
{
    const char *image = media_image_mime(b, n);
    if (image != NULL)
        return image;
    if (n >= 5 && memcmp(b, "%PDF-", 5) == 0)
        return "application/pdf";
    return "application/octet-stream";
}

/* A mime type as "type/subtype": printable ASCII without blanks. */
static bool mime_ok(const char *m)
{
    size_t len = strlen(m);
    if (len < 3 || len > ENVELOPE_MIME_MAX || strchr(m, '/') == NULL || m[0] == '/' ||
        m[len - 1] == '/')
        return false;
    for (const char *c = m; *c != '\0'; c++)
        if (*c <= ' ' || *c > '~')
            return false;
    return true;
}

bool chat_rpc_sendfile(struct rpc_request *req, json_t **result)
{
    struct plugin_ctx *pc = chat_ctx(req);
    const char *to, *src;
    static const char *const keys[] = {"mime", "name", "from", "order_id", "ttl", NULL};
    const json_t *opts = rpc_param(req, 2);
    if (pc == NULL || !recipient(req, &to) || !rpc_param_str_required(req, 1, &src) ||
        !check_options(req, opts, keys))
        return false;
    const char *mime = NULL, *name = NULL;
    const json_t *v;
    if (opts != NULL && (v = json_object_get(opts, "mime")) != NULL && !json_is_null(v)) {
        mime = json_string_value(v);
        if (mime == NULL || !mime_ok(mime))
            return rpc_error(req, RPC_INVALID_PARAMETER,
                             "mime: type/subtype, 3 to %d printable characters",
                             ENVELOPE_MIME_MAX);
    }
    if (opts != NULL && (v = json_object_get(opts, "name")) != NULL && !json_is_null(v)) {
        name = json_string_value(v);
        if (name == NULL || json_string_length(v) > ENVELOPE_NAME_MAX ||
            strlen(name) != json_string_length(v))
            return rpc_error(req, RPC_INVALID_PARAMETER, "name: at most %d bytes, no NUL",
                             ENVELOPE_NAME_MAX);
    }
    bool is_path = src[0] == '/';
    if (name == NULL) {
        const char *slash = strrchr(src, '/');
        name = is_path && strlen(slash + 1) <= ENVELOPE_NAME_MAX ? slash + 1 : "";
    }
    /* The most an attachment of this mime and name holds: what is left of
     * the ciphertext once the box and the plaintext's framing are counted
     * (a bin of over 64 KiB has a 5-byte header). */
    struct envelope_plaintext p = {.kind = ENVELOPE_KIND_ATTACHMENT,
                                   .mime = mime != NULL ? mime : "application/octet-stream",
                                   .name = name,
                                   .name_len = strlen(name)};
    p.mime_len = strlen(p.mime);
    struct buf pt;
    buf_init(&pt);
    if (!envelope_plaintext_encode(&p, &pt))
        return rpc_nomem(req);
    size_t max = ENVELOPE_CIPHERTEXT_MAX - AEAD_OVERHEAD - (pt.len - 2 + 5);
    buf_reset(&pt);
    struct buf bytes;
    buf_init(&bytes);
    bool too_big = false;
    uint64_t size = 0;
    bool ok = rpc_path_or_base64(req, src, max, &bytes, &too_big, &size);
    if (ok && too_big)
        ok = rpc_error(req, RPC_INVALID_PARAMETER,
                       "file too large: %llu bytes; an attachment holds at most %zu bytes "
                       "(256 KiB sealed, with its type and name)",
                       (unsigned long long)size, max);
    if (ok && bytes.len == 0)
        ok = rpc_error(req, RPC_INVALID_PARAMETER, "the file is empty");
    if (ok) {
        if (mime == NULL) {
            p.mime = sniff_mime(bytes.data, bytes.len);
            p.mime_len = strlen(p.mime);
        }
        p.bytes = bytes.data;
        p.bytes_len = bytes.len;
        ok = envelope_plaintext_encode(&p, &pt) || rpc_nomem(req);
    }
    if (ok)
        ok = send_plaintext(req, pc, to, &pt, opts, result);
    if (ok)
        ok = rpc_put(*result, "mime", json_string(p.mime)) &&
             rpc_put(*result, "name", json_stringn(p.name, p.name_len));
    if (!ok && *result != NULL) {
        json_decref(*result);
        *result = NULL;
        rpc_nomem(req);
    }
    buf_clear(&bytes);
    buf_clear(&pt);
    return ok;
}
