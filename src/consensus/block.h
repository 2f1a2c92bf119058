/* block: block headers and blocks, their canonical encoding and hashes.
 *
 *   header = [version=1, prev_hash: bin(32), merkle_root: bin(32), time, bits, nonce]
 *   block  = [header, txs: array of tx]
 *   block_hash = SHA256(SHA256(msgpack(header)))
 *
 * A struct block owns its array of txs (and so their payloads). Decoding
 * checks the format only: whether the merkle root matches, the proof of
 * work, the coinbase rules and so on are validation's business. */
#ifndef SOUK_CONSENSUS_BLOCK_H
#define SOUK_CONSENSUS_BLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/serialize.h"
#include "consensus/tx.h"
#include "crypto/sha256.h"
#include "util/buf.h"

#define BLOCK_VERSION 1
/* Largest accepted encoding of a whole block, in bytes. */
#define BLOCK_MAX_SIZE (4 * 1024 * 1024)

struct block_header {
    uint8_t prev_hash[SHA256_LEN];
    uint8_t merkle_root[SHA256_LEN];
    uint64_t time;  /* seconds since the Unix epoch */
    uint32_t bits;  /* compact target */
    uint64_t nonce;
};

/* Writes the header as one msgpack value, for embedding it elsewhere
 * (a headers message, the block index). */
void block_header_write(struct ser_writer *w, const struct block_header *h);
/* Appends the encoding; false on allocation failure, out as before. */
bool block_header_encode(const struct block_header *h, struct buf *out);
/* On error *out is untouched. */
enum ser_err block_header_decode(const void *bytes, size_t len, struct block_header *out);
enum ser_err block_header_decode_object(const msgpack_object *o, struct block_header *out);
void block_header_hash(const struct block_header *h, uint8_t out[SHA256_LEN]);

struct block {
    struct block_header header;
    struct tx *txs;     /* tx_count entries, owned */
    size_t tx_count;
    size_t tx_cap;
};

/* An all-zero header and no txs. */
void block_init(struct block *b);
void block_clear(struct block *b);
/* Moves *tx to the end of the block's list; *tx is left freshly
 * initialized. False on allocation failure, with block and tx untouched. */
bool block_take_tx(struct block *b, struct tx *tx);

void block_write(struct ser_writer *w, const struct block *b);
/* Appends the encoding; false on allocation failure, out as before.
 * Encoding does not enforce BLOCK_MAX_SIZE; decoding and checks do. */
bool block_encode(const struct block *b, struct buf *out);
size_t block_encoded_size(const struct block *b);
/* Decodes one canonical block of at most BLOCK_MAX_SIZE bytes, every tx
 * in it included. out must be initialized; on success its old contents
 * are released, on error it is untouched. */
enum ser_err block_decode(const void *bytes, size_t len, struct block *out);
/* The same from an object of a parsed ser_doc (a block inside a P2P
 * message); BLOCK_MAX_SIZE applies to the block's own encoding. */
enum ser_err block_decode_object(const msgpack_object *o, struct block *out);

/* The hash of the block's header. */
void block_hash(const struct block *b, uint8_t out[SHA256_LEN]);
/* The merkle root of the block's txids (not the header's stored field). */
void block_compute_merkle_root(const struct block *b, uint8_t out[SHA256_LEN]);
/* Stores the computed root in the header. */
void block_set_merkle_root(struct block *b);

#endif
