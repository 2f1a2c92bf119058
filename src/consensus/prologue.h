/* prologue: the consensus work every block does before its transactions.
 *
 * One function, prologue_run, is what block validation, the miner and the
 * mempool all call to see the state a block's transactions apply to, so a
 * per-block rule cannot be written three times and drift apart. It runs the
 * deadline index for the block's height (coinbase maturity, market
 * timeouts, ...) and then every hook registered by plugins, in
 * registration order. Hooks are registered before the chain opens. */
#ifndef SOUK_CONSENSUS_PROLOGUE_H
#define SOUK_CONSENSUS_PROLOGUE_H

#include <stdbool.h>
#include <stddef.h>

#include "consensus/state.h"
#include "consensus/txtype.h"

typedef enum txerr (*prologue_fn)(struct state_view *v, const struct apply_ctx *ctx);

#define PROLOGUE_MAX_HOOKS 16

/* False when the table is full or fn is NULL. */
bool prologue_register(const char *name, prologue_fn fn, char *err, size_t errlen);
void prologue_reset(void);

/* Runs the block prologue for the block at ctx->height. On failure the
 * view holds partial work and must be discarded. */
enum txerr prologue_run(struct state_view *v, const struct apply_ctx *ctx);

#endif
