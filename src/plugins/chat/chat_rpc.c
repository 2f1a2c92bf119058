/* The chat plugin's RPC methods: for envelopes a wallet app built itself
 * (submit one, decode one), the store's figures, and the table, which
 * holds chat_send.c's methods too. */
#include <stdio.h>
#include <string.h>

#include "consensus/chainparams.h"
#include "crypto/address.h"
#include "node/node.h"
#include "plugins/chat/chat.h"
#include "plugins/chat/chat_rpc.h"
#include "plugins/chat/chat_store.h"
#include "rpc/server.h"
#include "util/time.h"

static struct plugin_ctx *chat_ctx(struct rpc_request *req)
{
    struct plugin_ctx *pc = plugin_find(req->node, "chat");
    if (pc == NULL)
        rpc_error(req, RPC_MISC_ERROR, "the chat plugin is not running");
    return pc;
}

static json_t *addr_json(struct rpc_request *req, const uint8_t pub[32])
{
    char addr[ADDRESS_MAX_LEN + 1];
    if (address_encode(req->node->params->hrp, pub, addr, sizeof addr) != ADDRESS_OK)
        return json_null();
    return json_string(addr);
}

static bool rpc_chat_sendrawenvelope(struct rpc_request *req, json_t **result)
{
    struct plugin_ctx *pc = chat_ctx(req);
    struct buf bytes;
    buf_init(&bytes);
    if (pc == NULL || !rpc_param_hex(req, 0, &bytes)) {
        buf_clear(&bytes);
        return false;
    }
    struct envelope e;
    envelope_init(&e);
    uint8_t id[32];
    enum envelope_err err = envelope_decode(bytes.data, bytes.len, &e);
    bool ok;
    if (err != ENVELOPE_OK) {
        ok = rpc_error(req, RPC_DESERIALIZATION_ERROR, "Envelope decode failed: %s: %s",
                       envelope_reason(err), envelope_strerror(err));
    } else if ((err = chat_accept_check(pc, bytes.data, bytes.len, &e, id)) != ENVELOPE_OK) {
        ok = rpc_error(req, RPC_VERIFY_REJECTED, "%s: %s", envelope_reason(err),
                       envelope_strerror(err));
    } else {
        char msg[256];
        bool added = false;
        ok = chat_keep(pc, id, &e, bytes.data, bytes.len, &added, msg, sizeof msg);
        if (!ok)
            rpc_error(req, RPC_MISC_ERROR, "%s", msg);
        else {
            if (added && pc->announce != NULL)
                pc->announce(pc, CHAT_INV_TYPE, id);
            ok = rpc_done(req, result, rpc_hex_json(id, 32));
        }
    }
    envelope_clear(&e);
    buf_clear(&bytes);
    return ok;
}

static bool rpc_chat_decodeenvelope(struct rpc_request *req, json_t **result)
{
    struct plugin_ctx *pc = chat_ctx(req);
    struct buf bytes;
    buf_init(&bytes);
    if (pc == NULL || !rpc_param_hex(req, 0, &bytes)) {
        buf_clear(&bytes);
        return false;
    }
    struct envelope e;
    envelope_init(&e);
    enum envelope_err err = envelope_decode(bytes.data, bytes.len, &e);
    if (err != ENVELOPE_OK) {
        buf_clear(&bytes);
        return rpc_error(req, RPC_DESERIALIZATION_ERROR, "Envelope decode failed: %s: %s",
                         envelope_reason(err), envelope_strerror(err));
    }
    uint8_t id[32];
    unsigned bits = envelope_pow_bits(req->node->params->chat_pow_bits, e.ciphertext.len);
    enum envelope_err verdict = envelope_check(&e, req->node->params->chat_pow_bits, time_now());
    json_t *o = json_object();
    bool ok = envelope_id(&e, id) && rpc_put(o, "id", rpc_hex_json(id, 32)) &&
              rpc_put(o, "version", json_integer(ENVELOPE_VERSION)) &&
              rpc_put(o, "sender", addr_json(req, e.sender)) &&
              rpc_put(o, "recipient", addr_json(req, e.recipient)) &&
              rpc_put(o, "timestamp", json_integer((json_int_t)e.timestamp)) &&
              rpc_put(o, "ttl", json_integer((json_int_t)e.ttl)) &&
              rpc_put(o, "expires", json_integer((json_int_t)(e.timestamp + e.ttl))) &&
              rpc_put(o, "order_id", e.has_order ? rpc_hex_json(e.order_id, 32) : json_null()) &&
              rpc_put(o, "pow_nonce", json_integer((json_int_t)(e.pow_nonce & INT64_MAX))) &&
              rpc_put(o, "pow_bits", json_integer(bits)) &&
              rpc_put(o, "size", json_integer((json_int_t)bytes.len)) &&
              rpc_put(o, "ciphertext_size", json_integer((json_int_t)e.ciphertext.len)) &&
              rpc_put(o, "valid", json_boolean(verdict == ENVELOPE_OK)) &&
              (verdict == ENVELOPE_OK ||
               rpc_put(o, "reject-reason", json_string(envelope_reason(verdict))));
    envelope_clear(&e);
    buf_clear(&bytes);
    return rpc_done_if(req, result, o, ok);
}

static bool rpc_chat_getinfo(struct rpc_request *req, json_t **result)
{
    struct plugin_ctx *pc = chat_ctx(req);
    if (pc == NULL)
        return false;
    const struct chat_state *cs = pc->state;
    struct chat_store_info info;
    char err[256];
    plugin_db_lock(pc);
    bool ok = chat_store_expire(pc->db, time_now(), NULL, err, sizeof err) &&
              chat_store_info(pc->db, &info);
    plugin_db_unlock(pc);
    if (!ok)
        return rpc_error(req, RPC_MISC_ERROR, "reading the chat store failed");
    json_t *o = json_object();
    ok = rpc_put(o, "messages", json_integer((json_int_t)info.messages)) &&
         rpc_put(o, "bytes", json_integer((json_int_t)info.bytes)) &&
         rpc_put(o, "max_bytes", json_integer((json_int_t)cs->max_bytes)) &&
         rpc_put(o, "next_expiry", info.next_expiry > 0 ? json_integer(info.next_expiry)
                                                        : json_null()) &&
         rpc_put(o, "pow_bits", json_integer(req->node->params->chat_pow_bits));
    struct chat_state *st = pc->state;
    pthread_mutex_lock(&st->stamp_mu);
    json_t *stamp = st->last_stamp_us < 0 ? json_null() : json_object();
    if (st->last_stamp_us >= 0)
        ok = ok && rpc_put(stamp, "seconds", json_real((double)st->last_stamp_us / 1e6)) &&
             rpc_put(stamp, "bits", json_integer(st->last_stamp_bits)) &&
             rpc_put(stamp, "threads", json_integer(st->last_stamp_threads)) &&
             rpc_put(stamp, "time", json_integer(st->last_stamp_time));
    pthread_mutex_unlock(&st->stamp_mu);
    ok = rpc_put(o, "last_stamp", stamp) && ok;
    return rpc_done_if(req, result, o, ok);
}

const struct rpc_method chat_rpc_methods[CHAT_RPC_N_METHODS] = {
    {"chat", "chat_send", chat_rpc_send,
     "Sends a text from the request's wallet to an address: sealed, signed, stamped, relayed.",
     "The wallet seals and signs the envelope (createenvelope); this node grinds its stamp\n"
     "on every core, keeps it and announces it to its peers. The wallet records the message\n"
     "(chat_list). options: {\"order_id\": 64 hex digits, \"ttl\": seconds the network keeps it,\n"
     "1 to 604800 (default 604800), \"from\": the wallet's address that sends (default: the\n"
     "one it used last with the recipient, else its first)}\n"
     "Result: {\"id\", \"from\", \"to\", \"expires\", \"size\": the envelope's bytes,\n"
     "         \"pow_bits\", \"pow_threads\", \"pow_tries\", \"pow_seconds\": the stamp's work}\n"
     "Errors: -5 invalid or wrong-network address, -8 empty or too long text or a bad\n"
     "option, -4 from is not the wallet's, -13 locked",
     {{"address", RPC_ARG_STR, false, "The recipient's address"},
      {"text", RPC_ARG_STR, false, "The message"},
      {"options", RPC_ARG_OBJ, true, "order_id, ttl, from"}}},
    {"chat", "chat_sendfile", chat_rpc_sendfile,
     "Sends a file (an image, a document) from the request's wallet to an address.",
     "As chat_send, with an attachment: the file at an absolute path on the node's machine,\n"
     "or its bytes in base64. Sealed, it must fit the envelope's 256 KiB.\n"
     "options: {\"mime\": type/subtype (default: from the file's first bytes, PNG, JPEG, GIF,\n"
     "WebP or PDF, else application/octet-stream), \"name\": at most 255 bytes (default: the\n"
     "path's last part, or none), \"order_id\", \"ttl\", \"from\" as chat_send}\n"
     "Result: as chat_send, with \"mime\" and \"name\"\n"
     "Errors: as chat_send; -8 a file that cannot be read, is empty or too large, text that\n"
     "is neither base64 nor an absolute path, a bad mime or name",
     {{"address", RPC_ARG_STR, false, "The recipient's address"},
      {"path_or_base64", RPC_ARG_STR, false, "An absolute path, or the bytes in base64"},
      {"options", RPC_ARG_OBJ, true, "mime, name, order_id, ttl, from"}}},
    {"chat", "chat_sendrawenvelope", rpc_chat_sendrawenvelope,
     "Submits an envelope a wallet app sealed, signed and stamped itself; keeps and relays it.",
     "The envelope must pass every rule of doc/chat.md (shape, keys, ttl, time, work,\n"
     "signature). An envelope already held is not an error.\n"
     "Result: \"id\"    (string) the message id\n"
     "Errors: -22 it does not decode (with the rule), -26 a rule refuses it",
     {{"hex", RPC_ARG_HEX, false, "The encoded envelope"}}},
    {"chat", "chat_decodeenvelope", rpc_chat_decodeenvelope,
     "Decodes an envelope and says whether this node would take it.",
     "Result: {\"id\", \"version\", \"sender\", \"recipient\": addresses, \"timestamp\", \"ttl\",\n"
     "         \"expires\", \"order_id\": hex or null, \"pow_nonce\", \"pow_bits\": the work its\n"
     "         size needs, \"size\", \"ciphertext_size\", \"valid\", \"reject-reason\" when not}",
     {{"hex", RPC_ARG_HEX, false, "The encoded envelope"}}},
    {"chat", "chat_getinfo", rpc_chat_getinfo,
     "Returns the chat store's figures.",
     "Result: {\"messages\", \"bytes\", \"max_bytes\" (-chatmaxmb), \"next_expiry\": time or null,\n"
     "         \"pow_bits\": the network's base work for a stamp, \"last_stamp\": null or\n"
     "         {\"seconds\", \"bits\", \"threads\", \"time\"}: the last stamp this node ground\n"
     "         for chat_send or chat_sendfile}",
     {{NULL, 0, false, NULL}}},
};
