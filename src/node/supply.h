/* supply: where every coin is, so anyone can check none was made or lost.
 *
 * Coins exist in three places: account balances ('a' records), coinbase
 * payouts waiting for maturity (deadline entries of owner 'm'), and what
 * plugins hold outside accounts (the market's order escrow, reported by
 * each plugin's supply_held). Their sum equals what coinbases claimed
 * less the fees their blocks' transactions paid, i.e. the subsidy issued
 * so far whenever every coinbase claims its full subsidy and fees, as
 * soukd's miner does. A coinbase may claim less (consensus allows it): the
 * rest is never issued, and shows as `unclaimed`.
 *
 * supply_get scans the account records and the deadline index at the tip
 * (a full scan of those prefixes: fine at today's sizes, linear in the
 * number of accounts). The caller holds the chain lock. */
#ifndef SOUK_NODE_SUPPLY_H
#define SOUK_NODE_SUPPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/amount.h"

struct chain;
struct pluginhost;

struct supply_info {
    uint64_t height;     /* of the tip */
    uint64_t accounts;   /* account records */
    amount_t balances;   /* sum of account balances */
    amount_t held;       /* held by plugins (escrow) */
    amount_t immature;   /* coinbase amounts waiting for maturity */
    amount_t subsidy;    /* sum of the subsidy schedule over heights 1..height */
};

/* The subsidy the schedule allowed for the blocks 1..height (the genesis
 * coinbase creates nothing). */
amount_t supply_subsidy_total(uint64_t height, uint64_t halving_interval);

/* Fills out at the chain's tip; plugins may be NULL (no plugin holds coins). */
bool supply_get(struct chain *c, const struct pluginhost *plugins, struct supply_info *out,
                char *err, size_t errlen);

#endif
