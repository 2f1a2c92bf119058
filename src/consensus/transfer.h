/* transfer: the type-1 transaction that pays coins from one account to another.
 *
 *   payload = [to: bin(32), amount > 0, memo: bin(<=256)]
 *
 * The sender's balance must cover amount + fee; that needs state and is
 * validation's business. This module decodes the payload and checks what
 * a transfer is on its own. */
#ifndef SOUK_CONSENSUS_TRANSFER_H
#define SOUK_CONSENSUS_TRANSFER_H

#include <stddef.h>
#include <stdint.h>

#include "consensus/serialize.h"
#include "consensus/tx.h"
#include "consensus/txtype.h"
#include "util/amount.h"

#define TX_TYPE_TRANSFER 1
#define TRANSFER_MEMO_MAX 256

struct transfer_payload {
    uint8_t to[32];
    amount_t amount;
    uint8_t memo[TRANSFER_MEMO_MAX];
    size_t memo_len;
};

extern const struct txtype_def transfer_txtype;

/* Decodes a transfer payload through the type's field table (shape and
 * bounds: a value out of bounds gives the codec detail of the broken
 * bound). On error *out is untouched. */
enum ser_err transfer_payload_decode(const void *bytes, size_t len, struct transfer_payload *out);
/* Appends the encoding; false on allocation failure (or memo_len > 256). */
bool transfer_payload_encode(const struct transfer_payload *p, struct buf *out);

#endif
