/* chat: the chat plugin — signed, encrypted envelopes (consensus/envelope.h,
 * doc/chat.md) relayed between nodes by inventory and kept in chat.sqlite
 * until they expire.
 *
 * This module holds the plugin: its inventory type (P2P type 3, command
 * "chat"), its option -chatmaxmb, and the checks an envelope passes before
 * it is kept or relayed. chat_store.h keeps the envelopes, chat_rpc.c has
 * the RPC methods. Owns the store's cap and nothing else. */
#ifndef SOUK_PLUGINS_CHAT_H
#define SOUK_PLUGINS_CHAT_H

#include <stdbool.h>
#include <stdint.h>

#include "consensus/envelope.h"
#include "node/plugin.h"

#define CHAT_INV_TYPE 3u
#define CHAT_MAX_MB_DEFAULT 64
#define CHAT_MAX_MB_MAX 16384

struct chat_state {
    uint64_t max_bytes;
};

extern const struct plugin chat_plugin;

/* Misbehaviour points for a peer that relayed an envelope refused for err:
 * what no honest node relays (malformed, bad signature, too little work)
 * costs 100; what a clock that is off, or a message that expired on its
 * way, can cause costs 10. */
int chat_misbehaviour(enum envelope_err err);

/* Decodes and checks an encoded envelope as a node does before keeping it;
 * on success *e holds it and id its message id. */
enum envelope_err chat_accept_check(struct plugin_ctx *pc, const uint8_t *bytes, size_t len,
                                    struct envelope *e, uint8_t id[32]);
/* Keeps a checked envelope; *added: it was new (then it is to be announced). */
bool chat_keep(struct plugin_ctx *pc, const uint8_t id[32], const struct envelope *e,
               const uint8_t *bytes, size_t len, bool *added, char *err, size_t errlen);


#endif
