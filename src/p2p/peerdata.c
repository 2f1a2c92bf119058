/* peerdata: the parts of a peer's bookkeeping that need no sockets — the
 * known-inventory filter (struct p2p_invset) and the choice of the inbound
 * peer to evict. Declared in peer.h; kept apart from net.c so they can be
 * tested on their own. */
#include <stdlib.h>
#include <string.h>

#include "crypto/random.h"
#include "p2p/peer.h"
#include "util/time.h"

/* A 64-bit finalizer; seeded by its callers with secret keys. */
static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}

/* ------------------------------------------------------------ invset */

bool p2p_invset_init(struct p2p_invset *s)
{
    s->gen[0] = calloc(P2P_INVSET_SLOTS, sizeof(uint64_t));
    s->gen[1] = calloc(P2P_INVSET_SLOTS, sizeof(uint64_t));
    s->count = 0;
    if (!random_bytes(&s->seed, sizeof s->seed))
        s->seed = (uint64_t)(uintptr_t)s ^ (uint64_t)time_mono_us();
    return s->gen[0] != NULL && s->gen[1] != NULL;
}

void p2p_invset_clear(struct p2p_invset *s)
{
    free(s->gen[0]);
    free(s->gen[1]);
    s->gen[0] = s->gen[1] = NULL;
    s->count = 0;
}

/* 0 marks an empty slot, so no key is 0. */
static uint64_t invset_key(const struct p2p_invset *s, const uint8_t hash[32])
{
    uint64_t k = s->seed;
    for (int i = 0; i < 4; i++) {
        uint64_t w;
        memcpy(&w, hash + 8 * i, 8);
        k = mix64(k ^ w);
    }
    return k == 0 ? 1 : k;
}

static bool gen_has(const uint64_t *t, uint64_t k)
{
    for (size_t i = k & (P2P_INVSET_SLOTS - 1);; i = (i + 1) & (P2P_INVSET_SLOTS - 1)) {
        if (t[i] == 0)
            return false;
        if (t[i] == k)
            return true;
    }
}

bool p2p_invset_has(const struct p2p_invset *s, const uint8_t hash[32])
{
    if (s->gen[0] == NULL)
        return false;
    uint64_t k = invset_key(s, hash);
    return gen_has(s->gen[0], k) || gen_has(s->gen[1], k);
}

void p2p_invset_add(struct p2p_invset *s, const uint8_t hash[32])
{
    if (s->gen[0] == NULL || p2p_invset_has(s, hash))
        return;
    if (s->count >= P2P_INVSET_GEN_MAX) {
        uint64_t *old = s->gen[1];
        memset(old, 0, P2P_INVSET_SLOTS * sizeof *old);
        s->gen[1] = s->gen[0];
        s->gen[0] = old;
        s->count = 0;
    }
    uint64_t k = invset_key(s, hash);
    size_t i = k & (P2P_INVSET_SLOTS - 1);
    while (s->gen[0][i] != 0)
        i = (i + 1) & (P2P_INVSET_SLOTS - 1);
    s->gen[0][i] = k;
    s->count++;
}

/* ------------------------------------------------------------ eviction */

/* Keyed hash of the peer's network group, standing for the group: which
 * groups get protected is the node's secret, so nobody can aim at them. */
static uint64_t group_rank(const struct p2p_peer *p, uint64_t key)
{
    uint8_t g[NETADDR_GROUP_MAX];
    size_t n = netaddr_group(&p->ip, g);
    uint64_t h = mix64(key ^ n);
    for (size_t i = 0; i < n; i++)
        h = mix64(h ^ g[i]);
    return h;
}

static bool older(const struct p2p_peer *a, const struct p2p_peer *b)
{
    return a->connect_mono < b->connect_mono ||
           (a->connect_mono == b->connect_mono && a->id < b->id);
}

static void drop_candidate(struct p2p_peer **c, uint64_t *rank, size_t *n, size_t i)
{
    --*n;
    c[i] = c[*n];
    rank[i] = rank[*n];
}

/* Protects (drops from c) up to k of the candidates that qualify, the best
 * by better() first. */
static void protect(struct p2p_peer **c, uint64_t *rank, size_t *n, size_t k,
                    bool (*qualify)(const struct p2p_peer *),
                    bool (*better)(const struct p2p_peer *, const struct p2p_peer *))
{
    for (; k > 0 && *n > 0; k--) {
        size_t best = *n;
        for (size_t i = 0; i < *n; i++)
            if (qualify(c[i]) && (best == *n || better(c[i], c[best])))
                best = i;
        if (best == *n)
            return;
        drop_candidate(c, rank, n, best);
    }
}

static bool has_ping(const struct p2p_peer *p) { return p->min_ping_us >= 0; }
static bool lower_ping(const struct p2p_peer *a, const struct p2p_peer *b)
{
    return a->min_ping_us < b->min_ping_us;
}
static bool sent_tx(const struct p2p_peer *p) { return p->last_tx_time != 0; }
static bool later_tx(const struct p2p_peer *a, const struct p2p_peer *b)
{
    return a->last_tx_time > b->last_tx_time;
}
static bool sent_block(const struct p2p_peer *p) { return p->last_block_time != 0; }
static bool later_block(const struct p2p_peer *a, const struct p2p_peer *b)
{
    return a->last_block_time > b->last_block_time;
}
static bool any_peer(const struct p2p_peer *p) { return p != NULL; }

struct p2p_peer *p2p_select_eviction(struct p2p_peer **c, size_t n, uint64_t key)
{
    uint64_t *rank = malloc((n ? n : 1) * sizeof *rank);
    if (rank == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++)
        rank[i] = group_rank(c[i], key);
    /* The longest connected peer of each of the P2P_EVICT_PROTECT groups
     * ranking highest: whoever holds addresses in few network groups
     * cannot push out every peer from elsewhere. */
    uint64_t below = 0;
    for (size_t k = 0; k < P2P_EVICT_PROTECT && n > 0; k++) {
        size_t best = n;
        for (size_t i = 0; i < n; i++) {
            if (k > 0 && rank[i] >= below)
                continue;
            if (best == n || rank[i] > rank[best] ||
                (rank[i] == rank[best] && older(c[i], c[best])))
                best = i;
        }
        if (best == n)
            break;
        below = rank[best];
        drop_candidate(c, rank, &n, best);
    }
    /* Then those that proved useful or close: the lowest measured pings,
     * the latest to bring a new tx, the latest to bring a new block. */
    protect(c, rank, &n, P2P_EVICT_PROTECT, has_ping, lower_ping);
    protect(c, rank, &n, P2P_EVICT_PROTECT, sent_tx, later_tx);
    protect(c, rank, &n, P2P_EVICT_PROTECT, sent_block, later_block);
    /* And the longer connected half of the rest. */
    protect(c, rank, &n, n / 2, any_peer, older);
    /* The youngest peer of the group holding the most of what is left (on a
     * tie, the group with the youngest peer). */
    struct p2p_peer *victim = NULL;
    size_t victim_count = 0;
    for (size_t i = 0; i < n; i++) {
        size_t count = 0;
        struct p2p_peer *youngest = NULL;
        for (size_t j = 0; j < n; j++) {
            if (rank[j] != rank[i])
                continue;
            count++;
            if (youngest == NULL || older(youngest, c[j]))
                youngest = c[j];
        }
        if (victim == NULL || count > victim_count ||
            (count == victim_count && older(victim, youngest))) {
            victim = youngest;
            victim_count = count;
        }
    }
    free(rank);
    return victim;
}
