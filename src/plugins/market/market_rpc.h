/* market_rpc: the market's RPC methods — the read methods (market_get...,
 * market_list..., market_searchlistings), which read the chainstate at the
 * tip and the search index, and the table entries of the action methods
 * (market_actions.c); doc/market.md and doc/rpc.md describe each. */
#ifndef SOUK_PLUGINS_MARKET_RPC_H
#define SOUK_PLUGINS_MARKET_RPC_H

#include <stddef.h>

#include "rpc/server.h"

#define MARKET_RPC_N_METHODS 17
extern const struct rpc_method market_rpc_methods[MARKET_RPC_N_METHODS];

#endif
