/* rpc_blockchain: the RPC methods that read the block chain, the consensus
 * state and accounts (getblockchaininfo, getblock, getchaintips,
 * getstateinfo, getaccount, ...), invalidateblock/reconsiderblock, and the
 * address helpers validateaddress and getnewkeypair.
 *
 * Handlers hold the node's chain lock for as long as they touch the chain
 * or the mempool and build their results from copies, so nothing they
 * return points into chain memory. Owns nothing beyond its static method
 * table. */
#ifndef SOUK_RPC_RPC_BLOCKCHAIN_H
#define SOUK_RPC_RPC_BLOCKCHAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/chainparams.h"

struct rpc_table;

bool rpc_blockchain_register(struct rpc_table *t, char *err, size_t errlen);

/* How many times harder bits' target is than the network's pow limit
 * (pow_limit_target / target): 1.0 at the easiest target. False for bits
 * that do not decode to a non-zero target; *out untouched then. */
bool rpc_blockchain_difficulty(const struct chain_params *params, uint32_t bits, double *out);

#endif
