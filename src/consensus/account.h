/* account: the core state records — account balances and nonces, and coinbase
 * amounts waiting to mature.
 *
 *   'a' || pubkey(32)        -> [balance, nonce]
 *   'm' || height(8, BE)     -> [[recipient: bin(32), amount], ...]
 *
 * An account that was never touched and one with zero balance and nonce 0
 * are the same thing: such a record is deleted, never stored, so equal
 * states always have equal key sets. A coinbase amount is kept under the
 * maturity key of the height at which it may be spent and credited when the
 * block at that height connects. Everything goes through a state view. */
#ifndef SOUK_CONSENSUS_ACCOUNT_H
#define SOUK_CONSENSUS_ACCOUNT_H

#include <stdbool.h>
#include <stdint.h>

#include "consensus/state.h"
#include "consensus/txtype.h"
#include "util/amount.h"

#define ACCOUNT_PREFIX 'a'
#define MATURITY_PREFIX 'm'
#define ACCOUNT_KEY_LEN 33
#define MATURITY_KEY_LEN 9
/* Most coinbase payouts one height may hold (one per block, so 1 in practice;
 * the bound keeps a corrupt record from meaning unbounded work). */
#define MATURITY_MAX_ENTRIES 1024

struct account {
    amount_t balance;
    uint64_t nonce;
};

void account_key(const uint8_t pubkey[32], uint8_t key[ACCOUNT_KEY_LEN]);
void maturity_key(uint64_t height, uint8_t key[MATURITY_KEY_LEN]);

/* An absent account reads as zero balance, nonce 0. TXERR_STORAGE on a read
 * failure or a record that does not decode. */
enum txerr account_get(struct state_view *v, const uint8_t pubkey[32], struct account *out);
enum txerr account_put(struct state_view *v, const uint8_t pubkey[32], const struct account *a);
/* Adds to a balance (TXERR_AMOUNT_RANGE if it would pass AMOUNT_MAX). */
enum txerr account_credit(struct state_view *v, const uint8_t pubkey[32], amount_t amount);

/* Queues amount for recipient, to be credited when `height` connects. */
enum txerr maturity_add(struct state_view *v, uint64_t height, const uint8_t recipient[32],
                        amount_t amount);
/* Credits everything queued for `height` and removes the record. */
enum txerr maturity_release(struct state_view *v, uint64_t height);

/* Decoding of the stored records (for RPC and tests). */
enum ser_err account_decode(const void *bytes, size_t len, struct account *out);
bool account_encode(const struct account *a, struct buf *out);

#endif
