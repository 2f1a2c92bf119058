/* subsidy: the block subsidy schedule — newly minted coins a coinbase may
 * claim at each height, on top of the fees of its block.
 *
 * The subsidy starts at 50 coins and halves (rounding down, as a right
 * shift of base units) every halving interval; after 64 halvings it is zero
 * for good. The interval is a chain parameter. */
#ifndef SOUK_CONSENSUS_SUBSIDY_H
#define SOUK_CONSENSUS_SUBSIDY_H

#include <stdint.h>

#include "util/amount.h"

#define SUBSIDY_INITIAL (50 * AMOUNT_COIN)
#define SUBSIDY_HALVING_INTERVAL_MAIN 1051200u /* main and test: two years of 60 s blocks */
#define SUBSIDY_HALVING_INTERVAL_REGTEST 150u

/* The subsidy of the block at height. A zero halving_interval describes no
 * schedule at all and yields 0 rather than dividing by zero. */
amount_t subsidy_at(uint64_t height, uint64_t halving_interval);

#endif
