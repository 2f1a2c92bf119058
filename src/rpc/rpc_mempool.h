/* rpc_mempool: RPC methods that show the mempool.
 *
 * getmempoolinfo, getrawmempool and getmempoolentry, in bitcoind's shapes
 * where they carry over (a souk tx has no inputs: what it depends on is
 * its sender's pending tx with the previous nonce). Fee rates are shown as
 * coins per 1000 encoded bytes, as bitcoind shows BTC/kvB. Owns nothing
 * beyond its static method table. */
#ifndef SOUK_RPC_RPC_MEMPOOL_H
#define SOUK_RPC_RPC_MEMPOOL_H

#include <stdbool.h>
#include <stddef.h>

struct rpc_table;

bool rpc_mempool_register(struct rpc_table *t, char *err, size_t errlen);

#endif
