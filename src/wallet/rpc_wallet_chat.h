/* rpc_wallet_chat: the wallet's chat methods (createenvelope, chat_list,
 * chat_threads, chat_get, chat_markread; doc/rpc.md, "Chat"). Uses
 * rpc_wallet's choice of wallet and error mapping; owns nothing beyond its
 * static method table. */
#ifndef SOUK_WALLET_RPC_WALLET_CHAT_H
#define SOUK_WALLET_RPC_WALLET_CHAT_H

#include <stdbool.h>
#include <stddef.h>

struct rpc_table;

/* rpc_wallet_register calls this; nothing else needs to. */
bool rpc_wallet_chat_register(struct rpc_table *t, char *err, size_t errlen);

#endif
