/* chat_rpc: the chat plugin's RPC methods (doc/rpc.md, "chat"). */
#ifndef SOUK_PLUGINS_CHAT_RPC_H
#define SOUK_PLUGINS_CHAT_RPC_H

#include "rpc/server.h"

#define CHAT_RPC_N_METHODS 3
extern const struct rpc_method chat_rpc_methods[CHAT_RPC_N_METHODS];

#endif
