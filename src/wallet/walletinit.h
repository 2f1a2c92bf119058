/* walletinit: the wallet's start/stop hook for soukd and its options
 * (-wallet=<name>, repeatable; -disablewallet).
 *
 * The start hook creates the wallet manager in ctx->wallet (left NULL with
 * -disablewallet) and loads each -wallet, creating it when it does not
 * exist yet; the stop hook closes every wallet. Owns ctx->wallet. */
#ifndef SOUK_WALLET_WALLETINIT_H
#define SOUK_WALLET_WALLETINIT_H

#include <stdbool.h>
#include <stddef.h>

#include "node/node.h"
#include "util/args.h"

extern const struct args_option walletinit_options[];
extern const size_t walletinit_options_count;

bool walletinit_start(struct node_ctx *ctx, char *err, size_t errlen);
void walletinit_stop(struct node_ctx *ctx);

#endif
