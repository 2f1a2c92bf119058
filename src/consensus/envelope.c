#include "consensus/envelope.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "consensus/serialize.h"
#include "crypto/key.h"
#include "crypto/sha256.h"

static const struct {
    const char *reason, *text;
} envelope_errors[ENVELOPE_ERR_COUNT_] = {
    [ENVELOPE_OK] = {"ok", "success"},
    [ENVELOPE_ERR_MALFORMED] = {"envelope-malformed",
                                "not the canonical encoding of a version 1 envelope"},
    [ENVELOPE_ERR_VERSION] = {"envelope-version", "an envelope version this node does not know"},
    [ENVELOPE_ERR_OVERSIZE] = {"envelope-oversize", "the ciphertext is above 256 KiB"},
    [ENVELOPE_ERR_BAD_KEY] = {"envelope-bad-key", "the sender or recipient is not a public key"},
    [ENVELOPE_ERR_TTL] = {"envelope-ttl", "the time-to-live is 1 second to 7 days"},
    [ENVELOPE_ERR_FUTURE] = {"envelope-future",
                             "the timestamp is more than 2 hours ahead of this node's clock"},
    [ENVELOPE_ERR_EXPIRED] = {"envelope-expired", "the message's time-to-live has run out"},
    [ENVELOPE_ERR_LOW_WORK] = {"envelope-low-work", "the proof-of-work stamp is too weak"},
    [ENVELOPE_ERR_BAD_SIG] = {"envelope-bad-sig", "the signature is not the sender's"},
    [ENVELOPE_ERR_PLAINTEXT] = {"envelope-plaintext",
                                "the opened message is not a text or an attachment"},
    [ENVELOPE_ERR_NOMEM] = {"envelope-nomem", "out of memory"},
};

const char *envelope_reason(enum envelope_err err)
{
    return (unsigned)err < ENVELOPE_ERR_COUNT_ ? envelope_errors[err].reason : "envelope-unknown";
}

const char *envelope_strerror(enum envelope_err err)
{
    return (unsigned)err < ENVELOPE_ERR_COUNT_ ? envelope_errors[err].text : "unknown error";
}

void envelope_init(struct envelope *e)
{
    memset(e, 0, sizeof *e);
    buf_init(&e->ciphertext);
}

void envelope_clear(struct envelope *e)
{
    buf_clear(&e->ciphertext);
    memset(e, 0, sizeof *e);
    buf_init(&e->ciphertext);
}

/* ---- codec ------------------------------------------------------------------- */

/* The fields in order; `signed_only` leaves out pow_nonce and sig (what
 * the signature covers), `nonce` replaces pow_nonce otherwise. */
static bool write_fields(const struct envelope *e, bool signed_only, uint64_t nonce,
                         struct buf *out)
{
    size_t start = out->len;
    struct ser_writer w;
    ser_writer_init(&w, out);
    ser_write_array(&w, signed_only ? 7 : 9);
    ser_write_uint(&w, ENVELOPE_VERSION);
    ser_write_bin(&w, e->sender, 32);
    ser_write_bin(&w, e->recipient, 32);
    ser_write_uint(&w, e->timestamp);
    ser_write_uint(&w, e->ttl);
    ser_write_bin(&w, e->order_id, e->has_order ? 32 : 0);
    if (!signed_only)
        ser_write_uint(&w, nonce);
    ser_write_bin(&w, e->ciphertext.data, e->ciphertext.len);
    if (!signed_only)
        ser_write_bin(&w, e->sig, 64);
    if (!ser_writer_ok(&w)) {
        out->len = start;
        return false;
    }
    return true;
}

bool envelope_encode(const struct envelope *e, struct buf *out)
{
    return write_fields(e, false, e->pow_nonce, out);
}

enum envelope_err envelope_decode(const void *bytes, size_t len, struct envelope *out)
{
    if (len > ENVELOPE_MAX_SIZE)
        return ENVELOPE_ERR_OVERSIZE;
    struct ser_doc doc;
    ser_doc_init(&doc);
    const msgpack_object *f;
    enum envelope_err err = ENVELOPE_ERR_MALFORMED;
    if (ser_doc_parse(&doc, bytes, len) != SER_OK ||
        ser_get_array(ser_doc_root(&doc), 9, &f) != SER_OK) {
        ser_doc_clear(&doc);
        return err;
    }
    struct envelope e;
    envelope_init(&e);
    uint64_t version;
    const uint8_t *order, *ct;
    size_t order_len, ct_len;
    if (ser_get_uint(&f[0], &version) != SER_OK)
        goto done;
    if (version != ENVELOPE_VERSION) {
        err = ENVELOPE_ERR_VERSION;
        goto done;
    }
    if (ser_get_bin_fixed(&f[1], 32, e.sender) != SER_OK ||
        ser_get_bin_fixed(&f[2], 32, e.recipient) != SER_OK ||
        ser_get_uint(&f[3], &e.timestamp) != SER_OK || ser_get_uint(&f[4], &e.ttl) != SER_OK ||
        ser_get_bin(&f[5], 32, &order, &order_len) != SER_OK ||
        (order_len != 0 && order_len != 32) || ser_get_uint(&f[6], &e.pow_nonce) != SER_OK ||
        ser_get_bin(&f[7], SIZE_MAX, &ct, &ct_len) != SER_OK ||
        ser_get_bin_fixed(&f[8], 64, e.sig) != SER_OK)
        goto done;
    if (ct_len > ENVELOPE_CIPHERTEXT_MAX) {
        err = ENVELOPE_ERR_OVERSIZE;
        goto done;
    }
    if (!key_pubkey_valid(e.sender) || !key_pubkey_valid(e.recipient)) {
        err = ENVELOPE_ERR_BAD_KEY;
        goto done;
    }
    e.has_order = order_len == 32;
    if (e.has_order)
        memcpy(e.order_id, order, 32);
    if (!buf_append(&e.ciphertext, ct, ct_len)) {
        err = ENVELOPE_ERR_NOMEM;
        goto done;
    }
    envelope_clear(out);
    *out = e;
    ser_doc_clear(&doc);
    return ENVELOPE_OK;
done:
    envelope_clear(&e);
    ser_doc_clear(&doc);
    return err;
}

/* ---- id, signature, work ------------------------------------------------------- */

bool envelope_id(const struct envelope *e, uint8_t id[32])
{
    struct buf b;
    buf_init(&b);
    bool ok = write_fields(e, false, 0, &b);
    if (ok)
        sha256(b.data, b.len, id);
    buf_clear(&b);
    return ok;
}

bool envelope_sighash(const struct envelope *e, uint8_t out[32])
{
    struct buf b;
    buf_init(&b);
    bool ok = write_fields(e, true, 0, &b);
    if (ok)
        sha256_tagged(ENVELOPE_SIG_TAG, b.data, b.len, out);
    buf_clear(&b);
    return ok;
}

bool envelope_sign(struct envelope *e, const uint8_t secret[32])
{
    uint8_t h[32];
    return envelope_sighash(e, h) && key_sign(secret, h, e->sig);
}

unsigned envelope_pow_bits(unsigned base_bits, size_t ciphertext_len)
{
    unsigned bits = base_bits;
    for (size_t free_bytes = ENVELOPE_POW_FREE_BYTES; ciphertext_len > free_bytes;
         free_bytes *= 2)
        bits++;
    return bits;
}

static void stamp_hash(const uint8_t id[32], uint64_t nonce, uint8_t out[32])
{
    uint8_t in[40];
    memcpy(in, id, 32);
    for (int i = 0; i < 8; i++)
        in[32 + i] = (uint8_t)(nonce >> (8 * i));
    sha256(in, sizeof in, out);
}

static bool zero_bits(const uint8_t h[32], unsigned bits)
{
    if (bits > 256)
        return false;
    unsigned whole = bits / 8, rest = bits % 8;
    for (unsigned i = 0; i < whole; i++)
        if (h[i] != 0)
            return false;
    return rest == 0 || (h[whole] >> (8 - rest)) == 0;
}

bool envelope_pow_ok(const uint8_t id[32], uint64_t nonce, unsigned bits)
{
    uint8_t h[32];
    stamp_hash(id, nonce, h);
    return zero_bits(h, bits);
}

struct grind {
    const uint8_t *id;
    unsigned bits, stride, start;
    atomic_bool *found;
    atomic_uint_fast64_t *nonce, *tries;
};

static void *grind_main(void *arg)
{
    struct grind *g = arg;
    uint64_t n = g->start, local = 0;
    while (!atomic_load_explicit(g->found, memory_order_relaxed)) {
        local++;
        if (envelope_pow_ok(g->id, n, g->bits)) {
            bool expected = false;
            if (atomic_compare_exchange_strong(g->found, &expected, true))
                atomic_store(g->nonce, n);
            break;
        }
        n += g->stride;
    }
    atomic_fetch_add(g->tries, local);
    return NULL;
}

void envelope_pow_grind(const uint8_t id[32], unsigned bits, unsigned threads,
                        uint64_t *nonce, uint64_t *tries)
{
    if (threads < 1)
        threads = 1;
    if (threads > ENVELOPE_GRIND_MAX_THREADS)
        threads = ENVELOPE_GRIND_MAX_THREADS;
    atomic_bool found;
    atomic_uint_fast64_t got, count;
    atomic_init(&found, false);
    atomic_init(&got, 0);
    atomic_init(&count, 0);
    struct grind g[ENVELOPE_GRIND_MAX_THREADS];
    pthread_t th[ENVELOPE_GRIND_MAX_THREADS];
    bool started[ENVELOPE_GRIND_MAX_THREADS] = {false};
    for (unsigned i = 0; i < threads; i++) {
        g[i] = (struct grind){.id = id, .bits = bits, .stride = threads, .start = i,
                              .found = &found, .nonce = &got, .tries = &count};
        /* The calling thread takes class 0. A thread that cannot start
         * leaves its class untried: the others still find a nonce, each
         * try having the same chance. */
        if (i > 0)
            started[i] = pthread_create(&th[i], NULL, grind_main, &g[i]) == 0;
    }
    grind_main(&g[0]);
    for (unsigned i = 1; i < threads; i++)
        if (started[i])
            pthread_join(th[i], NULL);
    *nonce = atomic_load(&got);
    if (tries != NULL)
        *tries = atomic_load(&count);
}

enum envelope_err envelope_check(const struct envelope *e, unsigned base_bits, int64_t now)
{
    if (e->ciphertext.len > ENVELOPE_CIPHERTEXT_MAX)
        return ENVELOPE_ERR_OVERSIZE;
    if (e->ttl == 0 || e->ttl > ENVELOPE_TTL_MAX)
        return ENVELOPE_ERR_TTL;
    if (e->timestamp > (uint64_t)INT64_MAX - ENVELOPE_TTL_MAX)
        return ENVELOPE_ERR_FUTURE;
    int64_t ts = (int64_t)e->timestamp;
    if (ts > now + ENVELOPE_CLOCK_SKEW)
        return ENVELOPE_ERR_FUTURE;
    if (ts + (int64_t)e->ttl < now)
        return ENVELOPE_ERR_EXPIRED;
    uint8_t id[32], h[32];
    if (!envelope_id(e, id) || !envelope_sighash(e, h))
        return ENVELOPE_ERR_NOMEM;
    if (!envelope_pow_ok(id, e->pow_nonce, envelope_pow_bits(base_bits, e->ciphertext.len)))
        return ENVELOPE_ERR_LOW_WORK;
    if (!key_verify(e->sender, h, sizeof h, e->sig))
        return ENVELOPE_ERR_BAD_SIG;
    return ENVELOPE_OK;
}

/* ---- plaintext ------------------------------------------------------------------ */

bool envelope_plaintext_encode(const struct envelope_plaintext *p, struct buf *out)
{
    size_t start = out->len;
    struct ser_writer w;
    ser_writer_init(&w, out);
    ser_write_array(&w, 2);
    ser_write_uint(&w, (uint64_t)p->kind);
    if (p->kind == ENVELOPE_KIND_TEXT) {
        ser_write_str(&w, p->text, p->text_len);
    } else {
        ser_write_array(&w, 3);
        ser_write_str(&w, p->mime, p->mime_len);
        ser_write_str(&w, p->name, p->name_len);
        ser_write_bin(&w, p->bytes, p->bytes_len);
    }
    if (!ser_writer_ok(&w) || (p->kind != ENVELOPE_KIND_TEXT && p->kind != ENVELOPE_KIND_ATTACHMENT)) {
        out->len = start;
        return false;
    }
    return true;
}

enum envelope_err envelope_plaintext_decode(const void *bytes, size_t len, struct ser_doc *doc,
                                            struct envelope_plaintext *out)
{
    const msgpack_object *f, *a;
    uint64_t kind;
    struct envelope_plaintext p;
    memset(&p, 0, sizeof p);
    if (ser_doc_parse(doc, bytes, len) != SER_OK ||
        ser_get_array(ser_doc_root(doc), 2, &f) != SER_OK ||
        ser_get_uint_max(&f[0], ENVELOPE_KIND_ATTACHMENT, &kind) != SER_OK)
        return ENVELOPE_ERR_PLAINTEXT;
    p.kind = (enum envelope_kind)kind;
    bool ok;
    if (p.kind == ENVELOPE_KIND_TEXT)
        ok = ser_get_str(&f[1], 0, ENVELOPE_CIPHERTEXT_MAX, &p.text, &p.text_len) == SER_OK;
    else
        ok = ser_get_array(&f[1], 3, &a) == SER_OK &&
             ser_get_str(&a[0], 1, ENVELOPE_MIME_MAX, &p.mime, &p.mime_len) == SER_OK &&
             ser_get_str(&a[1], 0, ENVELOPE_NAME_MAX, &p.name, &p.name_len) == SER_OK &&
             ser_get_bin(&a[2], ENVELOPE_CIPHERTEXT_MAX, &p.bytes, &p.bytes_len) == SER_OK;
    if (!ok)
        return ENVELOPE_ERR_PLAINTEXT;
    *out = p;
    return ENVELOPE_OK;
}
