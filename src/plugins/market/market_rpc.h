/* market_rpc: the market's RPC methods — the read methods (market_get...,
 * market_list..., market_searchlistings), which read the chainstate at the
 * tip and the search index, and the table entries of the action methods
 * (market_actions.c); doc/market.md and doc/rpc.md describe each.
 *
 * Listings and profiles also show their seller's reputation, which another
 * plugin keeps (the review plugin): it hands its summary in through
 * market_rpc_set_reputation when it starts, so the market depends on no
 * other plugin, and without one the results show null. */
#ifndef SOUK_PLUGINS_MARKET_RPC_H
#define SOUK_PLUGINS_MARKET_RPC_H

#include <stddef.h>

#include "consensus/state.h"
#include "plugins/market/market_state.h"
#include "rpc/server.h"

#define MARKET_RPC_N_METHODS 20
extern const struct rpc_method market_rpc_methods[MARKET_RPC_N_METHODS];

/* A key's reputation in one role as a new JSON object, read through v (the
 * tip's view, under the chain lock); NULL when the state cannot be read. */
typedef json_t *(*market_rpc_reputation_fn)(struct state_view *v, const uint8_t key[32],
                                            enum market_role role);
/* Sets (NULL: clears) the summary the read methods show as a listing's
 * "seller_reputation" and a profile's "reputation". Safe while RPCs run. */
void market_rpc_set_reputation(market_rpc_reputation_fn fn);

/* A key's order counts in one role: {"orders", "completed", "cancelled",
 * "disputed", "refunded", "counterparties", "first_height", "last_height"}
 * (the heights null without orders). NULL when out of memory. */
json_t *market_trades_json(const struct market_trades *t);

#endif
