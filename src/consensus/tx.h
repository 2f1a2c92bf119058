/* tx: the transaction type, its canonical encoding, txid and sighash.
 *
 *   tx = [version=1, type, sender: bin(32), nonce, fee, payload: array, sig: bin(64)]
 *
 * A coinbase (type 0) carries bin(0) for sender and sig instead. The payload
 * is kept as the canonical encoding of one msgpack array: this module only
 * frames it; the decoder for each type's payload lives with that type.
 *
 * A struct tx owns its payload buffer. Signing lives elsewhere; this module
 * only computes the hash that gets signed.
 *
 * Size and txid are computed once and carried with the tx (as Bitcoin
 * Core's CTransaction carries its hash), because validation, the mempool,
 * relay and the merkle root all ask for them. The invariant: when
 * tx->cache.valid is true, cache.size and cache.txid are what the fields
 * encode to. tx_decode and tx_decode_object set the cache, and so do
 * tx_finalize, txsign_sign and coinbase_build; tx_init, tx_clear and
 * tx_set_payload leave it invalid and tx_copy copies it with the fields.
 * A zeroed struct (a designated initializer) has no valid cache.
 * Code that writes a field of a tx after one of the calls that set the
 * cache must call tx_finalize (or tx_invalidate) before the tx is used
 * again. While the cache is invalid the accessors compute from the fields,
 * so a tx being built is always measured right, only not cheaply. Builds
 * with SOUK_CHECK_TX_CACHE (configure --enable-debug and sanitizer builds)
 * recompute on every read of a valid cache and abort on a difference: a
 * stale cache is a bug in the caller, never a property of the input. */
#ifndef SOUK_CONSENSUS_TX_H
#define SOUK_CONSENSUS_TX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/serialize.h"
#include "crypto/sha256.h"
#include "util/amount.h"
#include "util/buf.h"

#define TX_VERSION 1
/* Largest accepted encoding of a whole tx, in bytes. */
#define TX_MAX_SIZE 65536
#define TX_SENDER_LEN 32
#define TX_SIG_LEN 64
#define TX_TYPE_COINBASE 0
/* Tag of the sighash's tagged hash. */
#define TX_SIGHASH_TAG "souk/tx"

struct tx {
    uint64_t type;
    uint8_t sender[TX_SENDER_LEN]; /* x-only public key; unused (zero) for a coinbase */
    uint64_t nonce;
    amount_t fee;
    /* Canonical encoding of the payload array; empty means []. Set it with
     * tx_set_payload, which checks that the bytes are one canonical array. */
    struct buf payload;
    uint8_t sig[TX_SIG_LEN];       /* BIP340 signature; unused (zero) for a coinbase */
    /* Derived from the fields above; see the invariant at the top. Read it
     * through tx_encoded_size and tx_txid. */
    struct tx_cache {
        bool valid;
        uint32_t size;
        uint8_t txid[SHA256_LEN];
    } cache;
};

/* An all-zero coinbase-typed tx with an empty payload. */
void tx_init(struct tx *tx);
void tx_clear(struct tx *tx);
/* Deep copy into dst (initialized; its old contents are released on
 * success). False on allocation failure, dst untouched. */
bool tx_copy(struct tx *dst, const struct tx *src);

static inline bool tx_is_coinbase(const struct tx *tx) { return tx->type == TX_TYPE_COINBASE; }

/* Computes the size and txid from the fields and carries them with the tx:
 * call it when a tx has been built or changed. */
void tx_finalize(struct tx *tx);
/* Forgets the cached size and txid (they are then computed on each use). */
static inline void tx_invalidate(struct tx *tx) { tx->cache.valid = false; }

/* Copies bytes in as the payload after checking they are exactly one
 * canonical msgpack array (the cache is invalidated). On error the tx is
 * untouched. */
enum ser_err tx_set_payload(struct tx *tx, const void *bytes, size_t len);
/* The payload's encoding (a static "[]" when it is empty). */
const uint8_t *tx_payload_bytes(const struct tx *tx, size_t *len_out);

/* Writes the tx as one msgpack value, for embedding it in larger objects. */
void tx_write(struct ser_writer *w, const struct tx *tx);
/* Appends the encoding to out; false on allocation failure, out as before.
 * Encoding does not enforce TX_MAX_SIZE; decoding and checks do. */
bool tx_encode(const struct tx *tx, struct buf *out);
/* The encoding's size: the cached one when valid, else computed. */
size_t tx_encoded_size(const struct tx *tx);

/* Decodes one canonical tx of at most TX_MAX_SIZE bytes, its size and txid
 * cached (from the bytes themselves: decoding is canonical). out must be
 * initialized; on success its old contents are released, on error it is
 * untouched. */
enum ser_err tx_decode(const void *bytes, size_t len, struct tx *out);
/* The same from an object of a parsed ser_doc (a tx inside a block). The
 * TX_MAX_SIZE limit applies to the tx's own encoding. */
enum ser_err tx_decode_object(const msgpack_object *o, struct tx *out);

/* SHA256 of the whole encoding, signature included: the cached one when
 * valid, else computed. */
void tx_txid(const struct tx *tx, uint8_t out[SHA256_LEN]);
/* TaggedHash("souk/tx", genesis_hash || msgpack([version, type, sender,
 * nonce, fee, payload])): what the sender signs. The genesis hash ties the
 * signature to one network; the sig itself is not covered. */
void tx_sighash(const struct tx *tx, const uint8_t genesis_hash[SHA256_LEN],
                uint8_t out[SHA256_LEN]);

/* How many times this thread has serialized a tx's fields (to encode,
 * measure or hash it for a txid or a sighash): for tests that show a path
 * computes each of these once. Thread-local, so it costs no shared write. */
uint64_t tx_encode_count(void);

#endif
