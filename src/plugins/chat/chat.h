/* chat: the chat plugin — signed, encrypted envelopes (consensus/envelope.h,
 * doc/chat.md) relayed between nodes by inventory and kept in chat.sqlite
 * until they expire.
 *
 * This module holds the plugin: its inventory type (P2P type 3, command
 * "chat"), its options -chatmaxmb and -chatnotify, and the checks an
 * envelope passes before it is kept or relayed. It is the node's chat
 * store on the chat bus (node/chatbus.h): each envelope it newly keeps is
 * passed on there, and a wallet catching up reads the store through it.
 * chat_store.h keeps the envelopes, chat_rpc.c has the RPC methods for
 * envelopes, chat_send.c the ones that send from the wallet. Owns the
 * store's cap, the -chatnotify command and the last stamp's figures. */
#ifndef SOUK_PLUGINS_CHAT_H
#define SOUK_PLUGINS_CHAT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "consensus/envelope.h"
#include "node/plugin.h"

#define CHAT_INV_TYPE 3u
#define CHAT_MAX_MB_DEFAULT 64
#define CHAT_MAX_MB_MAX 16384

struct chat_state {
    uint64_t max_bytes;
    const char *notify;          /* -chatnotify, or NULL */
    /* The last stamp this node ground for a message it sent (chat_getinfo). */
    pthread_mutex_t stamp_mu;
    int64_t last_stamp_us;       /* -1: none yet */
    unsigned last_stamp_bits;
    unsigned last_stamp_threads;
    int64_t last_stamp_time;
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
/* Keeps a checked envelope; *added: it was new (then it is to be announced,
 * and the node's wallets hear of it through the chat bus, node/chatbus.h;
 * when one of them took it as a new message for itself, -chatnotify runs). */
bool chat_keep(struct plugin_ctx *pc, const uint8_t id[32], const struct envelope *e,
               const uint8_t *bytes, size_t len, bool *added, char *err, size_t errlen);


#endif
