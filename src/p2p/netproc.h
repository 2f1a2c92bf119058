/* netproc: what the node does with each P2P message — the version/verack
 * handshake, ping/pong, address gossip, inventory (inv/getdata/notfound),
 * transaction relay with trickled announcements and an orphan pool, and
 * (in sync.c) headers-first block download and block announcements.
 *
 * Inventory types beyond tx and block (the chat plugin's type 3) are routed
 * to handlers registered here, so a plugin can gossip its own objects
 * without touching P2P internals. Runs on the event loop thread; the
 * functions below may be called from any thread. Owns the orphan pool and
 * the request tables of the connection manager it serves. */
#ifndef SOUK_P2P_NETPROC_H
#define SOUK_P2P_NETPROC_H

#include <stdbool.h>
#include <stdint.h>

#include "consensus/serialize.h"
#include "node/node.h"

/* Orphans: txs refused only because an earlier tx is missing (the sender's
 * funds or its account come from a tx not seen yet, or its nonce is beyond
 * what the mempool keeps waiting). Kept at most this many, this long, and
 * retried at every new tip and, after a tx from a peer is accepted, those
 * of its sender. */
#define P2P_MAX_ORPHANS 100
/* Most orphans one peer's relays may hold; over it, the peer's oldest goes. */
#define P2P_MAX_ORPHANS_PER_PEER 25
#define P2P_ORPHAN_EXPIRY_SECS (20 * 60)
/* A peer that sends, unrequested, this many txs the node had refused at
 * the current tip already (each costs a lookup in the recent rejects) is
 * disconnected, not discouraged: a refusal of class state or policy may
 * be an honest race, but an honest peer does not keep repeating it. The
 * count starts again at each new tip, when the verdicts may change. */
#define P2P_MAX_REFUSED_RESENDS 5

/* A plugin's inventory type. The callbacks run on the event loop thread;
 * they must not take the chain lock (the caller does not hold it). */
struct p2p_inv_handler {
    uint32_t type;        /* inventory type, e.g. P2P_INV_CHAT */
    const char *command;  /* the message that carries one object, e.g. "chat" */
    void *ctx;
    /* True when the object is already known (it is then not requested). */
    bool (*have)(void *ctx, const uint8_t hash[32]);
    /* Writes the object as the payload of `command`; false when unknown
     * (the requester gets notfound). */
    bool (*get)(void *ctx, const uint8_t hash[32], struct ser_writer *w);
    /* An object arrived. Returns misbehaviour points (0: fine); *hash is
     * its id, *relay true when it is new and valid and should be announced
     * to the other peers. */
    int (*receive)(void *ctx, const msgpack_object *payload, uint8_t hash[32], bool *relay);
    /* Optional: the ids of the objects it holds after `after` (NULL: from
     * the first), in a fixed order, at most max; returns how many. A new
     * peer is offered all of them, a batch at a time, so a node that was
     * offline catches up from any peer. */
    size_t (*list)(void *ctx, const uint8_t *after, uint8_t (*ids)[32], size_t max);
};

/* Ids offered to a new peer per batch, each batch once the previous one
 * has left its announcement queue. */
#define P2P_INV_SYNC_BATCH 1000
/* Objects of plugin types a peer may send unrequested: a bucket of this
 * many, refilled at this many a second. Each one over it is dropped and
 * costs a misbehaviour point; requested objects are not counted. */
#define P2P_PLUGIN_BURST 500
#define P2P_PLUGIN_RATE 100

/* Registers a handler (copied). False when P2P is not running, the type
 * is tx/block or already taken, or the table is full. */
bool p2p_register_inv_handler(struct node_ctx *ctx, const struct p2p_inv_handler *h);
/* Announces an object to every peer that does not know it yet, trickled
 * like transactions. Any thread, no lock needed. */
void p2p_announce_inv(struct node_ctx *ctx, uint32_t type, const uint8_t hash[32]);
/* Asks for an object of a plugin type from the peers that announced it
 * (at most P2P_REQUEST_PEERS of them; none when no connected peer did):
 * for an object the plugin came to want after its announcements, such as
 * a photo named by a listing that has just connected. Any thread. */
void p2p_request_inv(struct node_ctx *ctx, uint32_t type, const uint8_t hash[32]);
#define P2P_REQUEST_PEERS 2

#endif
