/* review_rpc: the review plugin's RPC methods — the read methods
 * (review_get, review_list, review_getreputation), which read the
 * chainstate at the tip and the review index, and the table entries of the
 * action methods (review_actions.c); doc/reviews.md and doc/rpc.md describe
 * each. Also the reputation summary the market's listings and profiles
 * show (handed to the market's RPC layer when the plugin starts). */
#ifndef SOUK_PLUGINS_REVIEW_RPC_H
#define SOUK_PLUGINS_REVIEW_RPC_H

#include <stddef.h>
#include <stdint.h>

#include "consensus/state.h"
#include "plugins/market/market_state.h"
#include "rpc/server.h"

#define REVIEW_RPC_N_METHODS 5
extern const struct rpc_method review_rpc_methods[REVIEW_RPC_N_METHODS];

/* {"reviews", "average", "weighted_average", "score", "reviewers"} of key
 * in role, read through v; NULL when the state cannot be read. */
json_t *review_rpc_summary(struct state_view *v, const uint8_t key[32], enum market_role role);

#endif
