/* rpc_rawtx: raw transaction RPC methods.
 *
 * Decoding, building (any registered type, from JSON), signing with a
 * given key, sending to the mempool, checking without sending, and
 * looking transactions up in the mempool or the tx index. Undecodable hex
 * is -22 "TX decode failed: <rule>", a mempool refusal -26 naming the rule.
 * Owns nothing beyond its static method table. */
#ifndef SOUK_RPC_RPC_RAWTX_H
#define SOUK_RPC_RPC_RAWTX_H

#include <stdbool.h>
#include <stddef.h>

struct rpc_table;

/* decoderawtransaction, createrawtransaction, signrawtransactionwithkey,
 * sendrawtransaction, testmempoolaccept, getrawtransaction. */
bool rpc_rawtx_register(struct rpc_table *t, char *err, size_t errlen);

#endif
