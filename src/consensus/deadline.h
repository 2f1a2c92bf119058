/* deadline: consensus work scheduled for the block at a given height.
 *
 * Any module can ask for a callback when the block at some future height
 * connects: coinbase payouts mature that way, and market timeouts will. An
 * entry is (owner, key) -> height plus a little data; the owner is a
 * one-byte id whose handler, registered at start-up, runs the entry. A
 * block touches only the entries due at its height, and an entry can be
 * cancelled or moved in O(1):
 *
 *   'd' 0x00 || height(8 BE) || seq(4 BE)  -> [owner, key: bin, data: bin]
 *   'd' 0x01 || height(8 BE)               -> entries ever added at height
 *   'd' 0x02 || owner(1) || key            -> [height, seq]
 *
 * Everything goes through the state view, so blocks' undo data covers it
 * and a reorg reschedules with no code here. Due entries run in the order
 * they were added; a handler may schedule more for later heights (a chain
 * of timeouts). The registry of handlers, like the tx-type registry, is
 * filled before the chain opens. */
#ifndef SOUK_CONSENSUS_DEADLINE_H
#define SOUK_CONSENSUS_DEADLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/state.h"
#include "consensus/txtype.h"

#define DEADLINE_PREFIX 'd'
#define DEADLINE_KEY_MAX 128
#define DEADLINE_DATA_MAX 1024
/* Most entries one height may receive (bounds the work a corrupt count
 * could ask for; a block cannot schedule this many). */
#define DEADLINE_MAX_PER_HEIGHT 1000000
/* The owner id of coinbase maturity (a core handler). */
#define DEADLINE_OWNER_MATURITY 'm'

struct deadline_handler {
    uint8_t owner;
    const char *name;
    /* Runs an entry that fell due at ctx->height; the entry is already
     * removed. ctx->txid and ctx->payload are NULL. */
    enum txerr (*fire)(struct state_view *v, const uint8_t *key, size_t klen,
                       const uint8_t *data, size_t dlen, const struct apply_ctx *ctx);
};

/* Registers a plugin's handler; false when the owner id is taken (the
 * core's included) or fire is missing. */
bool deadline_register(const struct deadline_handler *h, char *err, size_t errlen);
void deadline_reset(void);
const struct deadline_handler *deadline_handler_find(uint8_t owner);

/* Schedules (owner, key) for the block at `height`, which must be above
 * ctx->height (TXERR_DEADLINE_PAST otherwise); an entry already scheduled
 * for the key is moved. */
enum txerr deadline_schedule(struct state_view *v, const struct apply_ctx *ctx, uint8_t owner,
                             const void *key, size_t klen, uint64_t height, const void *data,
                             size_t dlen);
/* Removes the entry of (owner, key); *found (may be NULL) says whether
 * there was one. */
enum txerr deadline_cancel(struct state_view *v, uint8_t owner, const void *key, size_t klen,
                           bool *found);
/* The height (owner, key) is scheduled for. */
enum txerr deadline_find(struct state_view *v, uint8_t owner, const void *key, size_t klen,
                         uint64_t *height, bool *found);
/* Runs and removes every entry due at ctx->height. */
enum txerr deadline_run(struct state_view *v, const struct apply_ctx *ctx);

/* Coinbase maturity: amount for recipient when the block at `height`
 * connects. */
enum txerr deadline_add_maturity(struct state_view *v, const struct apply_ctx *ctx,
                                 uint64_t height, const uint8_t recipient[32], amount_t amount);

#endif
