/* rpc_mining: the mining RPC methods.
 *
 * generatetoaddress and generateblock mine blocks in the node itself (on
 * regtest instantly), getblocktemplate and submitblock serve external
 * miners, getmininginfo summarises. Every block goes to the chain through
 * services_process_block so the mempool follows. Owns nothing beyond its
 * static method table. */
#ifndef SOUK_RPC_RPC_MINING_H
#define SOUK_RPC_RPC_MINING_H

#include <stdbool.h>
#include <stddef.h>

struct rpc_table;

/* generatetoaddress, generateblock, getblocktemplate, submitblock,
 * getmininginfo. */
bool rpc_mining_register(struct rpc_table *t, char *err, size_t errlen);

#endif
