/* envelope: the chat message format (DESIGN.md section 7) — the signed,
 * encrypted envelope nodes gossip and keep for its time-to-live, and the
 * plaintext inside it.
 *
 *   envelope  = [version=1, sender: bin(32), recipient: bin(32), timestamp,
 *                ttl, order_id: bin(32)|bin(0), pow_nonce,
 *                ciphertext: bin(<=256 KiB), sig: bin(64)]
 *   plaintext = [0, text: str]  |  [1, [mime: str, name: str, bytes: bin]]
 *
 * Messages are not in blocks, but the envelope is a signed format both the
 * wallet (which signs) and the chat plugin (which checks, stores and
 * relays) read, so it sits with the other primitives. Its codec is the
 * canonical msgpack of consensus/serialize.h: any other encoding of the
 * same values is refused, as for transactions.
 *
 * `sig` is BIP340 by the sender over TaggedHash("souk/chat/envelope",
 * [version, sender, recipient, timestamp, ttl, order_id, ciphertext]) —
 * every field but pow_nonce and sig — so the sender signs once and its
 * node then grinds only the nonce. The message id is the SHA-256 of the
 * whole envelope encoded with pow_nonce 0: re-stamping a message does not
 * make it another. The stamp: SHA-256(id || pow_nonce as 8 bytes
 * little-endian) has at least `bits` leading zero bits, bits being the
 * network's base (20 on main and test, 1 on regtest) plus one for each
 * doubling of the ciphertext beyond 16 KiB. Owns nothing beyond each
 * envelope's ciphertext copy. */
#ifndef SOUK_CONSENSUS_ENVELOPE_H
#define SOUK_CONSENSUS_ENVELOPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

#define ENVELOPE_VERSION 1
#define ENVELOPE_CIPHERTEXT_MAX (256u * 1024u)
/* The largest encoded envelope: the ciphertext plus the other fields. */
#define ENVELOPE_MAX_SIZE (ENVELOPE_CIPHERTEXT_MAX + 256u)
#define ENVELOPE_TTL_MAX (7u * 24u * 3600u)
#define ENVELOPE_CLOCK_SKEW (2 * 3600)
/* Ciphertext up to this size needs only the base work. */
#define ENVELOPE_POW_FREE_BYTES (16u * 1024u)
#define ENVELOPE_SIG_TAG "souk/chat/envelope"

enum envelope_err {
    ENVELOPE_OK = 0,
    ENVELOPE_ERR_MALFORMED,  /* not the canonical encoding of the format */
    ENVELOPE_ERR_VERSION,    /* a version other than 1 */
    ENVELOPE_ERR_OVERSIZE,   /* ciphertext above 256 KiB */
    ENVELOPE_ERR_BAD_KEY,    /* sender or recipient is no x-only key */
    ENVELOPE_ERR_TTL,        /* ttl of 0 or above 7 days */
    ENVELOPE_ERR_FUTURE,     /* timestamp more than 2 h ahead of the node's clock */
    ENVELOPE_ERR_EXPIRED,    /* timestamp + ttl is past */
    ENVELOPE_ERR_LOW_WORK,   /* the stamp has too few leading zero bits */
    ENVELOPE_ERR_BAD_SIG,    /* sig is not the sender's over the fields */
    ENVELOPE_ERR_PLAINTEXT,  /* an opened plaintext that is not [kind, body] */
    ENVELOPE_ERR_NOMEM,
    ENVELOPE_ERR_COUNT_
};
/* A short reason ("envelope-bad-sig"), and a sentence. */
const char *envelope_reason(enum envelope_err err);
const char *envelope_strerror(enum envelope_err err);

struct envelope {
    uint8_t sender[32];
    uint8_t recipient[32];
    uint64_t timestamp;   /* seconds since the epoch */
    uint64_t ttl;         /* seconds */
    uint8_t order_id[32];
    bool has_order;
    uint64_t pow_nonce;
    struct buf ciphertext; /* nonce(12) || AEAD ciphertext || tag(16) */
    uint8_t sig[64];
};

void envelope_init(struct envelope *e);
void envelope_clear(struct envelope *e);

/* Appends the canonical encoding; false on allocation failure (out as
 * before). */
bool envelope_encode(const struct envelope *e, struct buf *out);
/* Decodes exactly one canonical envelope (len up to ENVELOPE_MAX_SIZE):
 * shape, version, key validity and the ciphertext bound. Neither the
 * signature, the work nor the time is checked here (envelope_check). On
 * failure *out is as before. */
enum envelope_err envelope_decode(const void *bytes, size_t len, struct envelope *out);

/* The message id (pow_nonce taken as 0). */
bool envelope_id(const struct envelope *e, uint8_t id[32]);
/* The 32 bytes the sender signs. */
bool envelope_sighash(const struct envelope *e, uint8_t out[32]);
/* Signs with the sender's secret (which must match e->sender). */
bool envelope_sign(struct envelope *e, const uint8_t secret[32]);

/* The leading zero bits a stamp needs for this ciphertext size. */
unsigned envelope_pow_bits(unsigned base_bits, size_t ciphertext_len);
/* Whether nonce stamps the message id with at least `bits` zero bits. */
bool envelope_pow_ok(const uint8_t id[32], uint64_t nonce, unsigned bits);
/* Finds a nonce for id on `threads` threads, the caller's included (1 to
 * ENVELOPE_GRIND_MAX_THREADS; each tries its own residue class, so the
 * nonce is the first one any thread met). *tries (may be NULL) counts the
 * hashes computed. */
#define ENVELOPE_GRIND_MAX_THREADS 64
void envelope_pow_grind(const uint8_t id[32], unsigned bits, unsigned threads,
                        uint64_t *nonce, uint64_t *tries);

/* Everything a node checks before keeping or relaying an envelope, cheapest
 * first: ttl, time against `now` (seconds: not more than 2 h ahead, not
 * expired — an older message is still taken while its ttl runs, so a node
 * that was offline catches up), work, signature. */
enum envelope_err envelope_check(const struct envelope *e, unsigned base_bits, int64_t now);

/* ---- plaintext ---------------------------------------------------------------- */

enum envelope_kind {
    ENVELOPE_KIND_TEXT = 0,
    ENVELOPE_KIND_ATTACHMENT = 1,
};

#define ENVELOPE_MIME_MAX 64
#define ENVELOPE_NAME_MAX 255

/* A decoded plaintext; pointers into the bytes it was decoded from. */
struct envelope_plaintext {
    enum envelope_kind kind;
    const char *text;      /* TEXT */
    size_t text_len;
    const char *mime;      /* ATTACHMENT */
    size_t mime_len;
    const char *name;
    size_t name_len;
    const uint8_t *bytes;
    size_t bytes_len;
};

bool envelope_plaintext_encode(const struct envelope_plaintext *p, struct buf *out);
/* Decodes a canonical plaintext; `doc` (a struct ser_doc, see
 * consensus/serialize.h) owns the bytes the result points into. */
struct ser_doc;
enum envelope_err envelope_plaintext_decode(const void *bytes, size_t len, struct ser_doc *doc,
                                            struct envelope_plaintext *out);

#endif
