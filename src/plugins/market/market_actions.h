/* market_actions: the market's action methods (market_setprofile ...
 * market_resolveorder), which sign with the request's wallet through the
 * RPC table; their entries are in market_rpc.c's table. */
#ifndef SOUK_PLUGINS_MARKET_ACTIONS_H
#define SOUK_PLUGINS_MARKET_ACTIONS_H

#include "rpc/server.h"

bool market_rpc_setprofile(struct rpc_request *req, json_t **result);
bool market_rpc_createlisting(struct rpc_request *req, json_t **result);
bool market_rpc_updatelisting(struct rpc_request *req, json_t **result);
bool market_rpc_closelisting(struct rpc_request *req, json_t **result);
bool market_rpc_placeorder(struct rpc_request *req, json_t **result);
bool market_rpc_acceptorder(struct rpc_request *req, json_t **result);
bool market_rpc_shiporder(struct rpc_request *req, json_t **result);
bool market_rpc_completeorder(struct rpc_request *req, json_t **result);
bool market_rpc_cancelorder(struct rpc_request *req, json_t **result);
bool market_rpc_disputeorder(struct rpc_request *req, json_t **result);
bool market_rpc_resolveorder(struct rpc_request *req, json_t **result);

#endif
