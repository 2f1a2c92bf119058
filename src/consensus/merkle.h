/* merkle: the RFC 6962-style merkle root over a block's txids.
 *
 *   leaf = SHA256(0x00 || txid)        node = SHA256(0x01 || left || right)
 *
 * Each level pairs nodes left to right; an odd node at the end of a level
 * moves up unchanged (it is never paired with a copy of itself), so two
 * different txid lists never share a root. The root of no txids is
 * SHA256 of the empty string.
 *
 * struct merkle builds the root incrementally in fixed memory (one pending
 * subtree per set bit of the leaf count), so computing a root never
 * allocates and cannot fail. It owns nothing. */
#ifndef SOUK_CONSENSUS_MERKLE_H
#define SOUK_CONSENSUS_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/sha256.h"

struct merkle {
    /* Roots of complete subtrees, largest first; sizes strictly decrease. */
    uint8_t hash[64][SHA256_LEN];
    uint8_t level[64];
    size_t depth;
    uint64_t count;
};

void merkle_init(struct merkle *m);
void merkle_add(struct merkle *m, const uint8_t txid[SHA256_LEN]);
/* The root of the txids added so far; m stays usable for more adds. */
void merkle_final(const struct merkle *m, uint8_t root[SHA256_LEN]);

/* One-shot root of n txids. */
void merkle_root(const uint8_t (*txids)[SHA256_LEN], size_t n, uint8_t root[SHA256_LEN]);

#endif
