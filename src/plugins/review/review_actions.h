/* review_actions: the review plugin's action methods (review_post,
 * review_reply), which sign with the request's wallet through the RPC
 * table (rpc/rpc_action.h); their entries are in review_rpc.c's table. */
#ifndef SOUK_PLUGINS_REVIEW_ACTIONS_H
#define SOUK_PLUGINS_REVIEW_ACTIONS_H

#include "rpc/server.h"

bool review_rpc_post(struct rpc_request *req, json_t **result);
bool review_rpc_reply(struct rpc_request *req, json_t **result);

#endif
