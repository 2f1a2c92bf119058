/* txjson: transactions and blocks as JSON, and payloads built from JSON.
 *
 * Works for every registered transaction type through the type's field
 * descriptions (struct txfield), so a plugin's transactions show up in
 * getblock/decoderawtransaction and can be built by createrawtransaction
 * without code here. Accounts are shown as addresses of the node's network,
 * amounts as coins, bytes and ids as hex. Results are new references. */
#ifndef SOUK_RPC_TXJSON_H
#define SOUK_RPC_TXJSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "consensus/block.h"
#include "consensus/chainparams.h"
#include "consensus/tx.h"
#include "consensus/txtype.h"

/* {"txid","version","type","type_id","sender","nonce","fee","size","payload":{…},"sig"}.
 * A payload that does not decode for its type is shown as "payload_hex". */
json_t *txjson_tx(const struct tx *tx, const struct chain_params *params);
/* The payload as an object keyed by field name; NULL if it does not decode. */
json_t *txjson_payload(const struct tx *tx, const struct chain_params *params);
/* Header fields of a block: hash, version, previousblockhash, merkleroot,
 * time, bits (hex), nonce. */
json_t *txjson_header(const struct block_header *h);

/* Encodes a payload of type def from a JSON object holding every field by
 * name (and nothing else). Appends to out; on error (message names the
 * field) out is unchanged. */
bool txjson_build_payload(const struct txtype_def *def, const json_t *obj,
                          const struct chain_params *params, struct buf *out, char *err,
                          size_t errlen);

#endif
