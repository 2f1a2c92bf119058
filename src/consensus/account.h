/* account: the core state record — account balances and nonces.
 *
 *   'a' || pubkey(32)        -> [balance, nonce]
 *
 * An account that was never touched and one with zero balance and nonce 0
 * are the same thing: such a record is deleted, never stored, so equal
 * states always have equal key sets. (Coinbase amounts waiting to mature
 * are entries of the deadline index, consensus/deadline.h.) Everything
 * goes through a state view. */
#ifndef SOUK_CONSENSUS_ACCOUNT_H
#define SOUK_CONSENSUS_ACCOUNT_H

#include <stdbool.h>
#include <stdint.h>

#include "consensus/state.h"
#include "consensus/txtype.h"
#include "util/amount.h"

#define ACCOUNT_PREFIX 'a'
#define ACCOUNT_KEY_LEN 33

struct account {
    amount_t balance;
    uint64_t nonce;
};

void account_key(const uint8_t pubkey[32], uint8_t key[ACCOUNT_KEY_LEN]);

/* An absent account reads as zero balance, nonce 0. TXERR_STORAGE on a read
 * failure or a record that does not decode. */
enum txerr account_get(struct state_view *v, const uint8_t pubkey[32], struct account *out);
enum txerr account_put(struct state_view *v, const uint8_t pubkey[32], const struct account *a);
/* Adds to a balance (TXERR_AMOUNT_RANGE if it would pass AMOUNT_MAX). */
enum txerr account_credit(struct state_view *v, const uint8_t pubkey[32], amount_t amount);

/* Decoding of the stored records (for RPC and tests). */
enum ser_err account_decode(const void *bytes, size_t len, struct account *out);
bool account_encode(const struct account *a, struct buf *out);

#endif
