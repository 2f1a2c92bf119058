/* txcheck: everything about a transaction that can be checked without state.
 *
 * Size, a known type, the fee range, the sender key and signature, and the
 * type's own payload check. Block validation and the mempool both run this
 * before touching state; neither repeats any of it. */
#ifndef SOUK_CONSENSUS_TXCHECK_H
#define SOUK_CONSENSUS_TXCHECK_H

#include <stdint.h>

#include "consensus/serialize.h"
#include "consensus/tx.h"
#include "consensus/txtype.h"

/* Checks tx for the network of genesis_hash. When the result is
 * TXERR_BAD_PAYLOAD and detail is not NULL, *detail names the codec rule. */
enum txerr txcheck_stateless(const struct tx *tx, const uint8_t genesis_hash[SHA256_LEN],
                             enum ser_err *detail);
/* The same verdict, for a tx of a block being connected: the signature
 * cache is consulted but a tx that passes is not added to it, as Bitcoin
 * Core connects blocks (a connected block's txs are not checked again; a
 * reorganisation puts them back through the mempool, which adds them). */
enum txerr txcheck_stateless_block(const struct tx *tx, const uint8_t genesis_hash[SHA256_LEN]);

#endif
