/* eventpub: the chain's and the mempool's events on the node's event bus
 * (node/eventbus.h).
 *
 * Follows the chain and the mempool as their listeners (node/services.h):
 * each block connected or disconnected is a block event; each tx accepted
 * to the mempool, and each tx of a connected block, is a tx event for its
 * sender and counterparties, carrying its type's name, the id of what it
 * acts on (its payload's first field when that is an id named after the
 * type's first word: the listing_id of a listing_update, the order_id of
 * an order_accept; else the txid: the tx creates it, as a listing_create
 * or an order_place), and for a transfer or coinbase what it pays to whom.
 * Who a tx concerns beyond its sender and payload (an order's seller) is
 * the business of the plugin that owns its type (struct plugin's
 * tx_parties); nothing here knows a plugin's types. Scheduled work that
 * falls due in a connected block (an order's timeout: no tx carries it) is
 * an event when the plugin that owns its handler says what it was and who
 * it concerns (deadline_event).
 *
 * The listeners run on the thread that changes the chain or the mempool,
 * with the chain lock held; publishing is a copy into the bus's ring.
 * Owns ctx->events (created by eventpub_bus_new, freed by the start-up
 * code with eventbus_free) and nothing else. */
#ifndef SOUK_NODE_EVENTPUB_H
#define SOUK_NODE_EVENTPUB_H

#include <stdbool.h>
#include <stddef.h>

#include "consensus/state.h"
#include "consensus/tx.h"
#include "node/eventbus.h"
#include "node/node.h"
#include "util/args.h"

extern const struct args_option eventpub_options[];
extern const size_t eventpub_options_count;

/* The bus as -eventsbuffer sizes it; false (err says why) on a bad value
 * or no memory. */
bool eventpub_bus_new(const struct args *args, struct eventbus **out, char *err, size_t errlen);

/* Fills e as the tx event of tx (confirmed in a block at height, or in the
 * mempool); with a view of the state at the tip, the plugin that owns the
 * tx's type adds who else it concerns (struct plugin's tx_parties). host
 * and v may be NULL. */
struct pluginhost;
void eventpub_tx_event(const struct pluginhost *host, struct state_view *v, const struct tx *tx,
                       const uint8_t txid[32], bool confirmed, uint64_t height,
                       struct node_event *e);

/* Fills e as the event of a deadline entry (owner, key) that fell due in
 * the block at height, asking the plugin that owns the handler; false when
 * none does or it says no event. */
bool eventpub_deadline_event(const struct pluginhost *host, struct state_view *v, uint8_t owner,
                             const uint8_t *key, size_t klen, uint64_t height,
                             struct node_event *e);

/* Start-up hooks: after the chain and mempool are up, before they stop. */
bool eventpub_start(struct node_ctx *ctx, char *err, size_t errlen);
void eventpub_stop(struct node_ctx *ctx);

#endif
