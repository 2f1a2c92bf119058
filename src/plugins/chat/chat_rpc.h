/* chat_rpc: the chat plugin's RPC methods (doc/rpc.md, "chat"). */
#ifndef SOUK_PLUGINS_CHAT_RPC_H
#define SOUK_PLUGINS_CHAT_RPC_H

#include "rpc/server.h"

#define CHAT_RPC_N_METHODS 5
extern const struct rpc_method chat_rpc_methods[CHAT_RPC_N_METHODS];

/* chat_send.c: sending from the request's wallet. */
bool chat_rpc_send(struct rpc_request *req, json_t **result);
bool chat_rpc_sendfile(struct rpc_request *req, json_t **result);

#endif
