/* coinbase: the type-0 transaction that pays a block's subsidy and fees.
 *
 *   payload = [recipient: bin(32), amount, extra: bin(<=64)]
 *
 * The tx around it is [1, 0, bin(0), height, 0, payload, bin(0)]: no sender,
 * no signature, the block height in the nonce position, a zero fee. Whether
 * the amount is at most subsidy + fees, and the height, are checked by block
 * validation; this module checks what a coinbase is on its own. */
#ifndef SOUK_CONSENSUS_COINBASE_H
#define SOUK_CONSENSUS_COINBASE_H

#include <stddef.h>
#include <stdint.h>

#include "consensus/serialize.h"
#include "consensus/tx.h"
#include "consensus/txtype.h"
#include "util/amount.h"

#define COINBASE_EXTRA_MAX 64

struct coinbase_payload {
    uint8_t recipient[32];
    amount_t amount;
    uint8_t extra[COINBASE_EXTRA_MAX];
    size_t extra_len;
};

extern const struct txtype_def coinbase_txtype;

/* Decodes a coinbase payload through the type's field table (shape and
 * bounds: a value out of bounds gives the codec detail of the broken
 * bound). On error *out is untouched. */
enum ser_err coinbase_payload_decode(const void *bytes, size_t len, struct coinbase_payload *out);
/* Appends the encoding; false on allocation failure (or extra_len > 64). */
bool coinbase_payload_encode(const struct coinbase_payload *p, struct buf *out);
/* Fills an initialized tx as the coinbase of the block at `height`, and
 * finalizes it (tx_finalize). False on
 * allocation failure or an invalid payload; the tx is then untouched. */
bool coinbase_build(struct tx *tx, uint64_t height, const struct coinbase_payload *p);

#endif
