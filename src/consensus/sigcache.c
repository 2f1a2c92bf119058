#include "consensus/sigcache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/random.h"
#include "crypto/sha256.h"

#define SIGCACHE_ENTRY 32
#define SIGCACHE_WAYS 4

static pthread_mutex_t sigcache_mu = PTHREAD_MUTEX_INITIALIZER;
static uint8_t (*sigcache_slots)[SIGCACHE_ENTRY];
static size_t sigcache_n;      /* slots; 0: off */
static bool sigcache_ready;    /* sized (by a call or the default) */
static uint8_t sigcache_salt[32];
static atomic_uint_fast64_t sigcache_hit_count;

/* Caller holds the lock. */
static bool sigcache_size_locked(size_t max_bytes)
{
    free(sigcache_slots);
    sigcache_slots = NULL;
    sigcache_n = 0;
    sigcache_ready = true;
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
    pthread_mutex_lock(&sigcache_mu);
    bool ok = sigcache_size_locked(max_bytes);
    pthread_mutex_unlock(&sigcache_mu);
    return ok;
}

static void sigcache_key(const uint8_t sighash[32], const uint8_t pubkey[32],
                         const uint8_t sig[64], uint8_t out[SIGCACHE_ENTRY])
{
    struct sha256_ctx c;
    sha256_init(&c);
    sha256_update(&c, sigcache_salt, sizeof sigcache_salt);
    sha256_update(&c, sighash, 32);
    sha256_update(&c, pubkey, 32);
    sha256_update(&c, sig, 64);
    sha256_final(&c, out);
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

bool sigcache_has(const uint8_t sighash[32], const uint8_t pubkey[32], const uint8_t sig[64])
{
    pthread_mutex_lock(&sigcache_mu);
    if (!sigcache_ready)
        sigcache_size_locked((size_t)SIGCACHE_DEFAULT_MB << 20);
    bool hit = false;
    if (sigcache_n > 0) {
        uint8_t key[SIGCACHE_ENTRY];
        sigcache_key(sighash, pubkey, sig, key);
        size_t set = sigcache_set(key);
        for (size_t w = 0; !hit && w < SIGCACHE_WAYS; w++)
            hit = memcmp(sigcache_slots[set + w], key, SIGCACHE_ENTRY) == 0;
    }
    pthread_mutex_unlock(&sigcache_mu);
    if (hit)
        atomic_fetch_add(&sigcache_hit_count, 1);
    return hit;
}

void sigcache_add(const uint8_t sighash[32], const uint8_t pubkey[32], const uint8_t sig[64])
{
    pthread_mutex_lock(&sigcache_mu);
    if (!sigcache_ready)
        sigcache_size_locked((size_t)SIGCACHE_DEFAULT_MB << 20);
    if (sigcache_n > 0) {
        uint8_t key[SIGCACHE_ENTRY];
        sigcache_key(sighash, pubkey, sig, key);
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
    pthread_mutex_unlock(&sigcache_mu);
}

uint64_t sigcache_hits(void)
{
    return (uint64_t)atomic_load(&sigcache_hit_count);
}
