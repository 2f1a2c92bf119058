/* tx: the transaction type, its canonical encoding, txid and sighash.
 *
 *   tx = [version=1, type, sender: bin(32), nonce, fee, payload: array, sig: bin(64)]
 *
 * A coinbase (type 0) carries bin(0) for sender and sig instead. The payload
 * is kept as the canonical encoding of one msgpack array: this module only
 * frames it; the decoder for each type's payload lives with that type.
 *
 * A struct tx owns its payload buffer. Signing lives elsewhere; this module
 * only computes the hash that gets signed. */
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
};

/* An all-zero coinbase-typed tx with an empty payload. */
void tx_init(struct tx *tx);
void tx_clear(struct tx *tx);
/* Deep copy into dst (initialized; its old contents are released on
 * success). False on allocation failure, dst untouched. */
bool tx_copy(struct tx *dst, const struct tx *src);

static inline bool tx_is_coinbase(const struct tx *tx) { return tx->type == TX_TYPE_COINBASE; }

/* Copies bytes in as the payload after checking they are exactly one
 * canonical msgpack array. On error the tx is untouched. */
enum ser_err tx_set_payload(struct tx *tx, const void *bytes, size_t len);
/* The payload's encoding (a static "[]" when it is empty). */
const uint8_t *tx_payload_bytes(const struct tx *tx, size_t *len_out);

/* Writes the tx as one msgpack value, for embedding it in larger objects. */
void tx_write(struct ser_writer *w, const struct tx *tx);
/* Appends the encoding to out; false on allocation failure, out as before.
 * Encoding does not enforce TX_MAX_SIZE; decoding and checks do. */
bool tx_encode(const struct tx *tx, struct buf *out);
size_t tx_encoded_size(const struct tx *tx);

/* Decodes one canonical tx of at most TX_MAX_SIZE bytes. out must be
 * initialized; on success its old contents are released, on error it is
 * untouched. */
enum ser_err tx_decode(const void *bytes, size_t len, struct tx *out);
/* The same from an object of a parsed ser_doc (a tx inside a block). The
 * TX_MAX_SIZE limit applies to the tx's own encoding. */
enum ser_err tx_decode_object(const msgpack_object *o, struct tx *out);

/* SHA256 of the whole encoding, signature included. */
void tx_txid(const struct tx *tx, uint8_t out[SHA256_LEN]);
/* TaggedHash("souk/tx", genesis_hash || msgpack([version, type, sender,
 * nonce, fee, payload])): what the sender signs. The genesis hash ties the
 * signature to one network; the sig itself is not covered. */
void tx_sighash(const struct tx *tx, const uint8_t genesis_hash[SHA256_LEN],
                uint8_t out[SHA256_LEN]);

#endif
