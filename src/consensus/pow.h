/* pow: proof-of-work rules — compact `bits` <-> 256-bit targets, the hash
 * check, the work a block adds to its chain, and ASERT difficulty.
 *
 * Owns the meaning of a header's `bits` field. Chain parameters (pow limit,
 * genesis anchor) are supplied by the caller; nothing here is per-network.
 *
 * Compact form (Bitcoin's nBits): the top byte is a length E in bytes, the
 * low 23 bits a mantissa M, bit 0x00800000 a sign. The value is M * 256^(E-3)
 * (M >> 8*(3-E) when E < 3). A set sign with a non-zero mantissa, or a value
 * that cannot fit in 256 bits, makes the bits invalid.
 *
 * ASERT is aserti3-2d (Bitcoin Cash) anchored at the genesis block: the next
 * target is the genesis target times 2^((how far the parent is behind
 * schedule) / half_life), using that algorithm's 16.16 fixed-point exponent
 * and cubic approximation of 2^x. See doc/consensus.md for the arithmetic. */
#ifndef SOUK_CONSENSUS_POW_H
#define SOUK_CONSENSUS_POW_H

#include <stdbool.h>
#include <stdint.h>

#include "consensus/uint256.h"

/* Main and test network values. */
#define POW_TARGET_SPACING 60     /* seconds per block */
#define POW_ASERT_HALF_LIFE 7200  /* seconds: 2 hours behind schedule doubles the target */
/* Largest accepted spacing and half-life: keeps every intermediate of the
 * ASERT arithmetic inside 64 bits. */
#define POW_ASERT_PARAM_MAX ((int64_t)1 << 32)

enum pow_result {
    POW_OK = 0,
    POW_ERR_BITS_NEGATIVE,      /* sign bit set with a non-zero mantissa */
    POW_ERR_BITS_OVERFLOW,      /* value does not fit in 256 bits */
    POW_ERR_TARGET_ZERO,        /* bits decode to a zero target */
    POW_ERR_TARGET_ABOVE_LIMIT, /* target easier than the network's pow limit */
    POW_ERR_HASH_ABOVE_TARGET,  /* block hash does not meet its target */
    POW_ERR_BAD_PARAMS,         /* ASERT spacing/half-life out of range, or zero pow limit */
};

const char *pow_strerror(enum pow_result r);

/* Decodes compact bits. A zero target decodes successfully (POW_OK); only
 * the sign and overflow rules fail here. */
enum pow_result pow_bits_to_target(uint32_t bits, struct u256 *target);
/* The canonical compact form of target: the shortest length, mantissa high
 * byte non-zero unless the value is zero, sign bit clear. Bits below the
 * mantissa's 24-bit precision are dropped (rounds toward zero). */
uint32_t pow_target_to_bits(const struct u256 *target);

/* A header's proof of work: the bits must decode to a non-zero target no
 * greater than pow_limit, and block_hash read as a 256-bit big-endian number
 * must be <= that target. */
enum pow_result pow_check(const uint8_t block_hash[U256_BYTES], uint32_t bits,
                          const struct u256 *pow_limit);

/* Expected number of hashes to meet bits' target: floor(2^256 / (target+1)).
 * Chain work is the sum over a chain's blocks. Fails for invalid or zero targets. */
enum pow_result pow_block_work(uint32_t bits, struct u256 *work);

struct pow_asert_params {
    uint32_t anchor_bits;   /* the genesis block's bits */
    int64_t anchor_time;    /* the genesis block's time (seconds) */
    int64_t spacing;        /* target seconds per block, 1..POW_ASERT_PARAM_MAX */
    int64_t half_life;      /* seconds, 1..POW_ASERT_PARAM_MAX */
    struct u256 pow_limit;  /* easiest allowed target, non-zero */
};

/* Target for the block at height parent_height + 1, whose parent has
 * parent_time. Always in [1, pow_limit]. Fails (POW_ERR_* of the anchor
 * bits, or POW_ERR_BAD_PARAMS) when the parameters are unusable: the anchor
 * bits must decode to a non-zero target <= pow_limit. */
enum pow_result pow_asert_next_target(const struct pow_asert_params *p, uint64_t parent_height,
                                      int64_t parent_time, struct u256 *target);
/* The same, as the canonical compact bits the block must carry. */
enum pow_result pow_asert_next_bits(const struct pow_asert_params *p, uint64_t parent_height,
                                    int64_t parent_time, uint32_t *bits);

#endif
