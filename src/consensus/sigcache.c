#define _POSIX_C_SOURCE 200809L
#include "consensus/sigcache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/random.h"
#include "crypto/sha256.h"

#define SIGCACHE_ENTRY SIGCACHE_KEY_LEN
#define SIGCACHE_WAYS 4

/* Lookups share the lock (a block's check threads look up at once);
 * adding and sizing take it alone. */
static pthread_rwlock_t sigcache_mu = PTHREAD_RWLOCK_INITIALIZER;
static uint8_t (*sigcache_slots)[SIGCACHE_ENTRY];
static atomic_size_t sigcache_n; /* slots; 0: off */
static atomic_bool sigcache_ready; /* sized (by a call or the default) */
static uint8_t sigcache_salt[32];
static atomic_uint_fast64_t sigcache_hit_count;

/* Caller holds the lock. */
static bool sigcache_size_locked(size_t max_bytes)
{
    free(sigcache_slots);
    sigcache_slots = NULL;
    sigcache_n = 0;
    atomic_store(&sigcache_ready, true);
    size_t n = max_bytes / SIGCACHE_ENTRY / SIGCACHE_WAYS * SIGCACHE_WAYS;
    if (n == 0)
        return true;
    if (!random_bytes(sigcache_salt, sizeof sigcache_salt))
        return false;
    /* calloc: pages are only made resident as slots are used. */
    sigcache_slots = calloc(n, SIGCACHE_ENTRY);
    if (sigcache_slots == NULL)
        return false;
    sigcache_n = n;
    return true;
}

bool sigcache_set_size(size_t max_bytes)
{
    pthread_rwlock_wrlock(&sigcache_mu);
    bool ok = sigcache_size_locked(max_bytes);
    pthread_rwlock_unlock(&sigcache_mu);
    return ok;
}

/* The two kinds of entry hash apart: a kind byte follows the salt. */
enum { SIGCACHE_KIND_SIG = 's', SIGCACHE_KIND_TX = 't' };

/* The salt is read without the lock: it only changes in
 * sigcache_set_size, which callers do not run while lookups are made (at
 * start-up, and in tests). Hashing outside the lock keeps the threads that
 * check one block from waiting on each other. */
static void sigcache_key(uint8_t kind, const uint8_t *a, size_t alen, const uint8_t *b,
                         size_t blen, const uint8_t *c, size_t clen, uint8_t out[SIGCACHE_ENTRY])
{
    /* One call over a buffer: a streamed hash costs an allocation and a
     * call per piece, more than the hashing itself at these sizes. */
    uint8_t m[sizeof sigcache_salt + 1 + 32 + 32 + 64];
    size_t n = 0;
    memcpy(m, sigcache_salt, sizeof sigcache_salt);
    n += sizeof sigcache_salt;
    m[n++] = kind;
    memcpy(m + n, a, alen);
    n += alen;
    memcpy(m + n, b, blen);
    n += blen;
    memcpy(m + n, c, clen);
    n += clen;
    sha256(m, n, out);
}

/* Slots come in sets of SIGCACHE_WAYS: a key may sit in any slot of its
 * set, so two entries sharing a set do not evict each other (a block's
 * txs would otherwise keep pushing each other out). */

static size_t sigcache_set(const uint8_t key[SIGCACHE_ENTRY])
{
    uint64_t v;
    memcpy(&v, key, sizeof v);
    return (size_t)(v % (sigcache_n / SIGCACHE_WAYS)) * SIGCACHE_WAYS;
}

/* Sizes the cache on first use; false when it is off, so that nothing is
 * hashed for it. */
static bool sigcache_ensure_sized(void)
{
    if (!atomic_load(&sigcache_ready)) {
        pthread_rwlock_wrlock(&sigcache_mu);
        if (!atomic_load(&sigcache_ready))
            sigcache_size_locked((size_t)SIGCACHE_DEFAULT_MB << 20);
        pthread_rwlock_unlock(&sigcache_mu);
    }
    return atomic_load(&sigcache_n) > 0;
}

static bool sigcache_lookup(const uint8_t key[SIGCACHE_ENTRY])
{
    bool hit = false;
    pthread_rwlock_rdlock(&sigcache_mu);
    if (sigcache_n > 0) {
        size_t set = sigcache_set(key);
        for (size_t w = 0; !hit && w < SIGCACHE_WAYS; w++)
            hit = memcmp(sigcache_slots[set + w], key, SIGCACHE_ENTRY) == 0;
    }
    pthread_rwlock_unlock(&sigcache_mu);
    if (hit)
        atomic_fetch_add(&sigcache_hit_count, 1);
    return hit;
}

static void sigcache_insert(const uint8_t key[SIGCACHE_ENTRY])
{
    pthread_rwlock_wrlock(&sigcache_mu);
    if (sigcache_n > 0) {
        size_t set = sigcache_set(key);
        static const uint8_t empty[SIGCACHE_ENTRY];
        /* A free slot of the set, else one picked by the key's own bits. */
        size_t way = (size_t)key[8] % SIGCACHE_WAYS;
        for (size_t w = 0; w < SIGCACHE_WAYS; w++)
            if (memcmp(sigcache_slots[set + w], empty, SIGCACHE_ENTRY) == 0) {
                way = w;
                break;
            }
        memcpy(sigcache_slots[set + way], key, SIGCACHE_ENTRY);
    }
    pthread_rwlock_unlock(&sigcache_mu);
}

bool sigcache_has(const uint8_t sighash[32], const uint8_t pubkey[32], const uint8_t sig[64])
{
    if (!sigcache_ensure_sized())
        return false;
    uint8_t key[SIGCACHE_ENTRY];
    sigcache_key(SIGCACHE_KIND_SIG, sighash, 32, pubkey, 32, sig, 64, key);
    return sigcache_lookup(key);
}

void sigcache_add(const uint8_t sighash[32], const uint8_t pubkey[32], const uint8_t sig[64])
{
    if (!sigcache_ensure_sized())
        return;
    uint8_t key[SIGCACHE_ENTRY];
    sigcache_key(SIGCACHE_KIND_SIG, sighash, 32, pubkey, 32, sig, 64, key);
    sigcache_insert(key);
}

/* The rules number goes in as 8 little-endian bytes. */
static void sigcache_tx_key(const uint8_t genesis_hash[32], const uint8_t txid[32], uint64_t rules,
                            uint8_t key[SIGCACHE_ENTRY])
{
    uint8_t r[8];
    for (int i = 0; i < 8; i++)
        r[i] = (uint8_t)(rules >> (8 * i));
    sigcache_key(SIGCACHE_KIND_TX, genesis_hash, 32, txid, 32, r, sizeof r, key);
}

bool sigcache_has_tx(const uint8_t genesis_hash[32], const uint8_t txid[32], uint64_t rules,
                     uint8_t key[SIGCACHE_KEY_LEN])
{
    if (!sigcache_ensure_sized()) {
        memset(key, 0, SIGCACHE_KEY_LEN);
        return false;
    }
    sigcache_tx_key(genesis_hash, txid, rules, key);
    return sigcache_lookup(key);
}

void sigcache_add_tx(const uint8_t key[SIGCACHE_KEY_LEN])
{
    /* An all-zero key is what sigcache_has_tx gave with the cache off. */
    static const uint8_t none[SIGCACHE_KEY_LEN];
    if (sigcache_ensure_sized() && memcmp(key, none, SIGCACHE_KEY_LEN) != 0)
        sigcache_insert(key);
}

uint64_t sigcache_hits(void)
{
    return (uint64_t)atomic_load(&sigcache_hit_count);
}
