/* rpc_wallet_chat: the wallet's chat methods — createenvelope (a sealed,
 * signed, unstamped envelope from one of its keys, which the chat plugin's
 * chat_send stamps and relays) and the reading of the messages it keeps:
 * chat_list, chat_threads, chat_get, chat_markread. They are the wallet's
 * (its file holds the messages, and /wallet/<name> picks it), named chat_*
 * because a user finds them beside the chat plugin's. */
#include "wallet/rpc_wallet_chat.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consensus/chainparams.h"
#include "crypto/address.h"
#include "node/node.h"
#include "rpc/rpcutil.h"
#include "rpc/server.h"
#include "util/hex.h"
#include "util/time.h"
#include "wallet/rpc_wallet.h"
#include "wallet/walletchat.h"

#define CHAT_LIST_DEFAULT 100
#define CHAT_LIST_MAX 1000
#define CHAT_MARKREAD_MAX 1000

/* Checks that an options object has only the keys named. */
static bool only_keys(struct rpc_request *req, const json_t *o, const char *const *keys)
{
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

/* A 64-hex-digit id from v; what names it in the error. */
static bool hash_from(struct rpc_request *req, const json_t *v, const char *what, uint8_t out[32])
{
    const char *s = json_string_value(v);
    if (s == NULL || strlen(s) != 64 || !hex_decode_exact(s, out, 32))
        return rpc_error(req, RPC_INVALID_PARAMETER, "%s: expected 64 hex digits", what);
    return true;
}

static json_t *addr_json(struct rpc_request *req, const uint8_t pub[32])
{
    char addr[ADDRESS_MAX_LEN + 1];
    if (address_encode(req->node->params->hrp, pub, addr, sizeof addr) != ADDRESS_OK)
        return json_null();
    return json_string(addr);
}

static const char *kind_name(int kind)
{
    return kind == ENVELOPE_KIND_TEXT         ? "text"
           : kind == ENVELOPE_KIND_ATTACHMENT ? "attachment"
                                              : "sealed";
}

/* A message as every chat method shows it; with data, an attachment's
 * bytes too (base64). */
static json_t *message_json(struct rpc_request *req, const struct walletdb_chat *m, bool data)
{
    json_t *o = json_object();
    bool ok = rpc_put(o, "id", rpc_hex_json(m->id, 32)) &&
              rpc_put(o, "direction", json_string(m->outgoing ? "out" : "in")) &&
              rpc_put(o, "address", addr_json(req, m->own)) &&
              rpc_put(o, "counterparty", addr_json(req, m->counterparty)) &&
              rpc_put(o, "order_id", m->has_order ? rpc_hex_json(m->order_id, 32) : json_null()) &&
              rpc_put(o, "timestamp", json_integer(m->timestamp)) &&
              rpc_put(o, "expires", json_integer(m->expires)) &&
              rpc_put(o, "received", json_integer(m->received)) &&
              rpc_put(o, "read", json_boolean(m->read)) &&
              rpc_put(o, "kind", json_string(kind_name(m->kind)));
    if (ok && m->kind == ENVELOPE_KIND_TEXT)
        ok = rpc_put(o, "text", json_stringn((const char *)m->body.data, m->body.len));
    if (ok && m->kind == ENVELOPE_KIND_ATTACHMENT)
        ok = rpc_put(o, "mime", json_string(m->mime)) &&
             rpc_put(o, "name", json_stringn(m->name, m->name_len)) &&
             rpc_put(o, "size", json_integer((json_int_t)m->size)) &&
             (!data || rpc_put(o, "data", rpc_base64_json(m->body.data, m->body.len)));
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* ---- createenvelope ---- */

static bool rpc_createenvelope(struct rpc_request *req, json_t **result)
{
    struct wallet *w = rpc_wallet_from_request(req);
    const char *to_text;
    struct wallet_chat_draft d;
    memset(&d, 0, sizeof d);
    if (w == NULL || !rpc_param_str_required(req, 0, &to_text) ||
        !rpc_address_decode(req, "recipient: ", to_text, d.to))
        return false;
    struct buf plain;
    buf_init(&plain);
    if (!rpc_param_hex(req, 1, &plain))
        return false;
    uint8_t from[32], order[32];
    d.ttl = ENVELOPE_TTL_MAX;
    const json_t *o = rpc_param(req, 2);
    static const char *const keys[] = {"from", "order_id", "ttl", NULL};
    bool ok = o == NULL || only_keys(req, o, keys);
    const json_t *v;
    if (ok && o != NULL && (v = json_object_get(o, "from")) != NULL && !json_is_null(v)) {
        ok = json_is_string(v) ? rpc_address_decode(req, "from: ", json_string_value(v), from)
                               : rpc_error(req, RPC_TYPE_ERROR, "from: expected an address");
        d.from = from;
    }
    if (ok && o != NULL && (v = json_object_get(o, "order_id")) != NULL && !json_is_null(v)) {
        ok = hash_from(req, v, "order_id", order);
        d.order_id = order;
    }
    if (ok && o != NULL && (v = json_object_get(o, "ttl")) != NULL && !json_is_null(v)) {
        if (!json_is_integer(v) || json_integer_value(v) < 1 ||
            json_integer_value(v) > ENVELOPE_TTL_MAX)
            ok = rpc_error(req, RPC_INVALID_PARAMETER, "ttl: 1 to %u seconds",
                           ENVELOPE_TTL_MAX);
        else
            d.ttl = (uint64_t)json_integer_value(v);
    }
    d.timestamp = time_now();
    d.plaintext = plain.data;
    d.plaintext_len = plain.len;
    struct envelope e;
    envelope_init(&e);
    struct buf enc;
    buf_init(&enc);
    char err[160];
    uint8_t id[32], sender[32];
    if (ok) {
        enum wallet_err r = wallet_chat_create(w, &d, &e, sender, err, sizeof err);
        if (r == WALLET_ERR_NOT_MINE)
            ok = rpc_error(req, RPC_WALLET_ERROR, "from: the address is not in this wallet");
        else if (r == WALLET_ERR_INVALID_ADDRESS)
            ok = rpc_error(req, RPC_INVALID_ADDRESS_OR_KEY, "recipient: Invalid address");
        else if (r != WALLET_OK)
            ok = rpc_wallet_fail(req, r, err);
    }
    if (ok && (!envelope_encode(&e, &enc) || !envelope_id(&e, id)))
        ok = rpc_nomem(req);
    if (ok) {
        json_t *res = json_object();
        bool put = rpc_put(res, "hex", rpc_hex_json(enc.data, enc.len)) &&
                   rpc_put(res, "id", rpc_hex_json(id, 32)) &&
                   rpc_put(res, "from", addr_json(req, sender)) &&
                   rpc_put(res, "pow_bits",
                           json_integer(envelope_pow_bits(req->node->params->chat_pow_bits,
                                                          e.ciphertext.len)));
        ok = rpc_done_if(req, result, res, put);
    }
    envelope_clear(&e);
    buf_clear(&enc);
    buf_clear_secure(&plain);
    return ok;
}

/* ---- reading ---- */

struct list_ctx {
    struct rpc_request *req;
    json_t *arr;
    bool ok;
};

static bool list_one(void *ctx, const struct walletdb_chat *m)
{
    struct list_ctx *c = ctx;
    c->ok = rpc_append(c->arr, message_json(c->req, m, false), true);
    return c->ok;
}

static bool rpc_chat_list(struct rpc_request *req, json_t **result)
{
    struct wallet *w = rpc_wallet_from_request(req);
    if (w == NULL)
        return false;
    const json_t *o = rpc_param(req, 0);
    static const char *const keys[] = {"with", "order_id", "unread", "limit", "offset", NULL};
    if (o != NULL && !only_keys(req, o, keys))
        return false;
    struct walletdb_chat_filter f;
    memset(&f, 0, sizeof f);
    uint8_t with[32], order[32];
    int64_t limit = CHAT_LIST_DEFAULT, offset = 0;
    const json_t *v;
    if (o != NULL && (v = json_object_get(o, "with")) != NULL && !json_is_null(v)) {
        if (!json_is_string(v))
            return rpc_error(req, RPC_TYPE_ERROR, "with: expected an address");
        if (!rpc_address_decode(req, "with: ", json_string_value(v), with))
            return false;
        f.counterparty = with;
    }
    if (o != NULL && (v = json_object_get(o, "order_id")) != NULL && !json_is_null(v)) {
        if (!hash_from(req, v, "order_id", order))
            return false;
        f.order_id = order;
    }
    if (o != NULL && (v = json_object_get(o, "unread")) != NULL && !json_is_null(v)) {
        if (!json_is_boolean(v))
            return rpc_error(req, RPC_TYPE_ERROR, "unread: expected true or false");
        f.unread_only = json_is_true(v);
    }
    if (o != NULL && (v = json_object_get(o, "limit")) != NULL && !json_is_null(v)) {
        if (!json_is_integer(v) || json_integer_value(v) < 1 ||
            json_integer_value(v) > CHAT_LIST_MAX)
            return rpc_error(req, RPC_INVALID_PARAMETER, "limit: 1 to %d", CHAT_LIST_MAX);
        limit = json_integer_value(v);
    }
    if (o != NULL && (v = json_object_get(o, "offset")) != NULL && !json_is_null(v)) {
        if (!json_is_integer(v) || json_integer_value(v) < 0)
            return rpc_error(req, RPC_INVALID_PARAMETER, "offset: 0 or more");
        offset = json_integer_value(v);
    }
    struct list_ctx c = {.req = req, .arr = json_array(), .ok = true};
    if (c.arr == NULL)
        return rpc_nomem(req);
    enum wallet_err r =
        wallet_chat_list(w, &f, (size_t)limit, (size_t)offset, true, list_one, &c);
    if (r != WALLET_OK) {
        json_decref(c.arr);
        return rpc_wallet_fail(req, r, NULL);
    }
    return rpc_done_if(req, result, c.arr, c.ok);
}

struct threads_ctx {
    struct rpc_request *req;
    json_t *arr;
    struct buf last;  /* each thread's newest message id, in order */
    bool ok;
};

static bool thread_one(void *ctx, const struct walletdb_chat_thread *t)
{
    struct threads_ctx *c = ctx;
    struct rpc_request *req = c->req;
    json_t *o = json_object();
    c->ok = rpc_put(o, "address", addr_json(req, t->own)) &&
            rpc_put(o, "counterparty", addr_json(req, t->counterparty)) &&
            rpc_put(o, "order_id", t->has_order ? rpc_hex_json(t->order_id, 32) : json_null()) &&
            rpc_put(o, "messages", json_integer((json_int_t)t->messages)) &&
            rpc_put(o, "unread", json_integer((json_int_t)t->unread)) &&
            buf_append(&c->last, t->last_id, 32);
    c->ok = rpc_append(c->arr, o, c->ok);
    return c->ok;
}

/* A message for a listing: a text's words, an attachment without its bytes. */
static json_t *summary_json(struct rpc_request *req, struct wallet *w, const uint8_t id[32],
                            enum wallet_err *r)
{
    struct walletdb_chat m;
    walletdb_chat_init(&m);
    *r = wallet_chat_get(w, id, false, &m);
    if (*r == WALLET_OK && m.kind == ENVELOPE_KIND_TEXT) {
        walletdb_chat_clear(&m);
        *r = wallet_chat_get(w, id, true, &m);
    }
    json_t *o = *r == WALLET_OK ? message_json(req, &m, false) : NULL;
    walletdb_chat_clear(&m);
    return o;
}

static bool rpc_chat_threads(struct rpc_request *req, json_t **result)
{
    struct wallet *w = rpc_wallet_from_request(req);
    if (w == NULL)
        return false;
    struct threads_ctx c = {.req = req, .arr = json_array(), .ok = true};
    buf_init(&c.last);
    if (c.arr == NULL)
        return rpc_nomem(req);
    /* The threads first, then each one's newest message. */
    enum wallet_err r = wallet_chat_threads(w, thread_one, &c);
    for (size_t i = 0; r == WALLET_OK && c.ok && i < json_array_size(c.arr); i++)
        c.ok = rpc_put(json_array_get(c.arr, i), "last",
                       summary_json(req, w, c.last.data + 32 * i, &r));
    buf_clear(&c.last);
    if (r != WALLET_OK) {
        json_decref(c.arr);
        return rpc_wallet_fail(req, r, NULL);
    }
    return rpc_done_if(req, result, c.arr, c.ok);
}

static bool rpc_chat_get(struct rpc_request *req, json_t **result)
{
    struct wallet *w = rpc_wallet_from_request(req);
    uint8_t id[32];
    if (w == NULL || !rpc_param_hash(req, 0, id))
        return false;
    struct walletdb_chat m;
    walletdb_chat_init(&m);
    enum wallet_err r = wallet_chat_get(w, id, true, &m);
    bool ok;
    if (r == WALLET_ERR_NOT_FOUND)
        ok = rpc_error(req, RPC_INVALID_PARAMETER, "msg_id: no such message in this wallet");
    else if (r != WALLET_OK)
        ok = rpc_wallet_fail(req, r, NULL);
    else
        ok = rpc_done(req, result, message_json(req, &m, true));
    walletdb_chat_clear(&m);
    return ok;
}

static bool rpc_chat_markread(struct rpc_request *req, json_t **result)
{
    struct wallet *w = rpc_wallet_from_request(req);
    if (w == NULL)
        return false;
    const json_t *arg = rpc_param(req, 0);
    size_t n = json_is_array(arg) ? json_array_size(arg) : 1;
    if (!json_is_array(arg) && !json_is_string(arg))
        return rpc_error(req, RPC_TYPE_ERROR, "msg_id: expected a message id or an array of them");
    if (n == 0 || n > CHAT_MARKREAD_MAX)
        return rpc_error(req, RPC_INVALID_PARAMETER, "msg_id: 1 to %d message ids",
                         CHAT_MARKREAD_MAX);
    uint8_t(*ids)[32] = calloc(n, 32);
    if (ids == NULL)
        return rpc_nomem(req);
    bool ok = true;
    for (size_t i = 0; ok && i < n; i++)
        ok = hash_from(req, json_is_array(arg) ? json_array_get(arg, i) : arg, "msg_id",
                       ids[i]);
    size_t marked = 0, missing = 0;
    if (ok) {
        enum wallet_err r = wallet_chat_mark_read(w, (const uint8_t(*)[32])ids, n, &marked,
                                                  &missing);
        if (r == WALLET_ERR_NOT_FOUND) {
            char hex[65];
            hex_encode(ids[missing], 32, hex);
            ok = rpc_error(req, RPC_INVALID_PARAMETER,
                           "msg_id: no message %s in this wallet (none was marked)", hex);
        } else if (r != WALLET_OK) {
            ok = rpc_wallet_fail(req, r, NULL);
        }
    }
    free(ids);
    if (!ok)
        return false;
    json_t *o = json_object();
    return rpc_done_if(req, result, o, rpc_put(o, "marked", json_integer((json_int_t)marked)));
}

/* ---- table ---- */

#define MESSAGE_HELP \
    "A message: {\"id\", \"direction\": \"in\"|\"out\", \"address\": the wallet's key in it,\n" \
    "  \"counterparty\", \"order_id\": hex or null, \"timestamp\", \"expires\" (when the relayed\n" \
    "  envelope expires; the wallet keeps the message), \"received\", \"read\",\n" \
    "  \"kind\": \"text\" with \"text\", \"attachment\" with \"mime\", \"name\", \"size\",\n" \
    "  or \"sealed\" (reached the wallet while locked: readable after walletpassphrase)}\n"

static const struct rpc_method wallet_chat_methods[] = {
    {"chat", "createenvelope", rpc_createenvelope,
     "Seals a plaintext from one of the wallet's keys to an address and signs the envelope.",
     "The envelope is not stamped (pow_nonce 0): grind the stamp, then submit it with\n"
     "chat_sendrawenvelope (chat_send and chat_sendfile do all of it). The signature covers\n"
     "the envelope's fields as doc/chat.md says, never a hash given to the wallet.\n"
     "options: {\"from\": the wallet's address that sends (default: the one it used last\n"
     "with the recipient, about the order if given, else its first address), \"order_id\":\n"
     "64 hex digits, \"ttl\": seconds, 1 to 604800 (default 604800)}\n"
     "Result: {\"hex\": the envelope, \"id\", \"from\", \"pow_bits\": the work its stamp needs}\n"
     "Errors: -5 invalid address, -8 a plaintext that does not decode or is too big sealed,\n"
     "-4 from is not the wallet's, -13 locked",
     {{"recipient", RPC_ARG_STR, false, "The address it is for"},
      {"plaintext", RPC_ARG_HEX, false, "The plaintext, encoded as doc/chat.md says"},
      {"options", RPC_ARG_OBJ, true, "from, order_id, ttl"}}},
    {"chat", "chat_list", rpc_chat_list,
     "Lists the wallet's chat messages, sent and received, newest first.",
     "options: {\"with\": only those with this address, \"order_id\": only those about this\n"
     "order, \"unread\": true for only the unread ones, \"limit\": 1 to 1000 (default 100),\n"
     "\"offset\": skip that many (default 0)}\n"
     "Result: [message, ...]; attachments without their bytes (chat_get has them).\n" MESSAGE_HELP,
     {{"options", RPC_ARG_OBJ, true, "with, order_id, unread, limit, offset"}}},
    {"chat", "chat_threads", rpc_chat_threads,
     "Lists the wallet's conversations: one per pair of keys and order, newest first.",
     "Result: [{\"address\", \"counterparty\", \"order_id\": hex or null, \"messages\",\n"
     "          \"unread\", \"last\": its newest message}, ...]\n" MESSAGE_HELP,
     {{NULL, 0, false, NULL}}},
    {"chat", "chat_get", rpc_chat_get, "Returns one of the wallet's chat messages.",
     "Result: message, an attachment with \"data\": its bytes in base64\n"
     "Errors: -8 no such message in this wallet\n" MESSAGE_HELP,
     {{"msg_id", RPC_ARG_HASH, false, "The message id"}}},
    {"chat", "chat_markread", rpc_chat_markread, "Marks messages read.",
     "All or none: an id the wallet does not have is -8 and nothing is marked.\n"
     "Result: {\"marked\": how many were unread}",
     {{"msg_id", RPC_ARG_ANY, false, "A message id, or an array of up to 1000"}}},
};

bool rpc_wallet_chat_register(struct rpc_table *t, char *err, size_t errlen)
{
    return rpc_register_table(t, wallet_chat_methods,
                              sizeof wallet_chat_methods / sizeof wallet_chat_methods[0], err,
                              errlen);
}
