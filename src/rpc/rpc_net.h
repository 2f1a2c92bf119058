/* rpc_net: the RPC methods of the P2P network — peers and connections
 * (getpeerinfo, getnetworkinfo, getconnectioncount, getnettotals, addnode,
 * disconnectnode, ping, getnodeaddresses) and bans (setban, listbanned,
 * clearbanned). Each handler asks src/p2p for a snapshot or queues a
 * request for the event loop; none holds the chain lock. Owns nothing
 * beyond its static method table. */
#ifndef SOUK_RPC_RPC_NET_H
#define SOUK_RPC_RPC_NET_H

#include <stdbool.h>
#include <stddef.h>

struct rpc_table;

bool rpc_net_register(struct rpc_table *t, char *err, size_t errlen);

#endif
