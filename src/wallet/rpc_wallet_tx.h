/* rpc_wallet_tx: the wallet's JSON-RPC methods that send and read history:
 * sendtoaddress, walletcreatetransaction (the generic signing service for
 * every transaction type), listtransactions, gettransaction and
 * rescanblockchain. Uses rpc_wallet's choice of wallet and error mapping;
 * owns nothing beyond its static method table. */
#ifndef SOUK_WALLET_RPC_WALLET_TX_H
#define SOUK_WALLET_RPC_WALLET_TX_H

#include <stdbool.h>
#include <stddef.h>

struct rpc_table;

/* rpc_wallet_register calls this; nothing else needs to. */
bool rpc_wallet_tx_register(struct rpc_table *t, char *err, size_t errlen);

#endif
