#include "p2p/addrman.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consensus/serialize.h"
#include "crypto/random.h"
#include "crypto/sha256.h"
#include "p2p/datafile.h"
#include "util/log.h"
#include "util/time.h"

#define NEW_SLOTS (ADDRMAN_NEW_BUCKET_COUNT * ADDRMAN_BUCKET_SIZE)
#define TRIED_SLOTS (ADDRMAN_TRIED_BUCKET_COUNT * ADDRMAN_BUCKET_SIZE)
/* Every entry holds at least one slot, so this bounds the entry count. */
#define MAX_ENTRIES (NEW_SLOTS + TRIED_SLOTS)
#define FILE_MAGIC "souk-peers"
#define FILE_VERSION 1
#define ENTRY_FIELDS 10
/* Address + port as hashed: 16 bytes and the port big-endian. */
#define ADDR_KEY_LEN 18
/* Group bytes, plus the port for unroutable addresses. */
#define AM_GROUP_MAX (NETADDR_GROUP_MAX + 2)
/* Timestamps before this (1973) are nonsense and get replaced. */
#define MIN_BELIEVABLE_TIME 100000000
#define UNKNOWN_TIME_AGE (5 * 24 * 3600)
#define CONNECTED_REFRESH_SECS (20 * 60)
#define RECENT_TRY_SECS 60
#define RECENT_FAIL_SECS 600
/* Non-empty slots looked at per table before select gives up on it (only
 * reached when nearly everything is terrible). */
#define SELECT_MAX_HITS 500

struct am_entry {
    struct addrman_addr addr;
    struct netaddr source;
    int64_t last_try;
    int64_t last_count_attempt;
    int64_t last_success;
    uint32_t attempts;
    uint32_t random_pos;  /* index in state.random */
    bool in_use;
    bool in_tried;
    uint8_t n_new;
    uint16_t new_bucket[ADDRMAN_NEW_BUCKETS_PER_ADDRESS];
    uint8_t new_pos[ADDRMAN_NEW_BUCKETS_PER_ADDRESS];
    uint16_t tried_bucket;
    uint8_t tried_pos;
};

/* How full the buckets of one table are, and which hold anything, so that
 * select draws a non-empty bucket in one go (sized for the larger table). */
struct am_fill {
    uint8_t count[ADDRMAN_NEW_BUCKET_COUNT];
    uint16_t busy[ADDRMAN_NEW_BUCKET_COUNT];    /* the non-empty buckets, in no order */
    uint16_t busy_at[ADDRMAN_NEW_BUCKET_COUNT]; /* where a non-empty bucket sits in busy */
    uint32_t n_busy;
};

/* Everything but the lock, so a decoded image can be built aside and
 * swapped in whole. Entry ids are stable indexes into entries[]. */
struct am_state {
    uint8_t key[ADDRMAN_KEY_LEN];
    uint64_t index_seed[3];
    bool allow_local;
    struct am_entry *entries;
    uint32_t entries_cap;
    uint32_t entries_used;    /* high-water mark of ids handed out */
    uint32_t *free_ids;       /* stack of released ids */
    uint32_t n_free;
    uint32_t *random;         /* ids of live entries, in random-ish order */
    uint32_t n_entries;
    uint32_t n_new, n_tried;
    int32_t *new_tbl;         /* NEW_SLOTS ids, -1 empty */
    int32_t *tried_tbl;       /* TRIED_SLOTS ids, -1 empty */
    struct am_fill new_fill, tried_fill;
    int32_t *index;           /* open addressing (ip, port) -> id, -1 empty */
    uint32_t index_cap;       /* power of two */
    int64_t last_good;
    uint8_t rnd_pool[256];
    size_t rnd_left;
    uint64_t rnd_fallback;
};

struct addrman {
    pthread_mutex_t mu;
    struct am_state s;
    /* What the last decode left over (the state it replaced, or the tables
     * of a failed attempt), for the next decode to empty and build in
     * (has_spare): a manager that decodes repeatedly does not allocate and
     * fault in 320 KiB of tables each time. */
    struct am_state spare;
    bool has_spare;
};

static const char *const decode_err_text[ADDRMAN_DECODE_COUNT_] = {
    [ADDRMAN_DECODE_OK] = "ok",
    [ADDRMAN_DECODE_TRUNCATED] = "file shorter than its checksum",
    [ADDRMAN_DECODE_CHECKSUM] = "checksum does not match",
    [ADDRMAN_DECODE_MSGPACK] = "body is not canonical msgpack",
    [ADDRMAN_DECODE_FORMAT] = "body does not have the peers.dat layout",
    [ADDRMAN_DECODE_DUPLICATE] = "an address appears twice",
    [ADDRMAN_DECODE_NOMEM] = "out of memory",
};

const char *addrman_decode_strerror(enum addrman_decode_err e)
{
    if ((unsigned)e >= ADDRMAN_DECODE_COUNT_)
        return "unknown peers.dat error";
    return decode_err_text[e];
}

/* ---- randomness and hashing ------------------------------------------ */

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= UINT64_C(0xff51afd7ed558ccd);
    x ^= x >> 33;
    x *= UINT64_C(0xc4ceb9fe1a85ec53);
    x ^= x >> 33;
    return x;
}

static uint64_t le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

/* Selection randomness comes from the OS-seeded generator in pool-sized
 * draws. Should it ever fail, selection keeps working on a mixed counter:
 * nothing secret depends on these numbers, only fairness. */
static uint64_t am_rand64(struct am_state *s)
{
    if (s->rnd_left < 8) {
        if (random_bytes(s->rnd_pool, sizeof s->rnd_pool)) {
            s->rnd_left = sizeof s->rnd_pool;
        } else {
            s->rnd_fallback += UINT64_C(0x9e3779b97f4a7c15);
            return mix64(s->rnd_fallback ^ (uint64_t)time_mono_us());
        }
    }
    s->rnd_left -= 8;
    return le64(s->rnd_pool + s->rnd_left);
}

/* Uniform in [0, n), n > 0. */
static uint64_t am_rand_range(struct am_state *s, uint64_t n)
{
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    for (;;) {
        uint64_t r = am_rand64(s);
        if (r < limit)
            return r % n;
    }
}

/* Uniform in [0, 1). */
static double am_rand_double(struct am_state *s)
{
    return (double)(am_rand64(s) >> 11) * (1.0 / 9007199254740992.0);
}

/* SHA-256(key || data), first 8 bytes little-endian. */
static uint64_t keyed_hash(const struct am_state *s, const uint8_t *data, size_t len)
{
    struct sha256_ctx c;
    uint8_t h[SHA256_LEN];
    sha256_init(&c);
    sha256_update(&c, s->key, sizeof s->key);
    sha256_update(&c, data, len);
    sha256_final(&c, h);
    return le64(h);
}

static void addr_key(const struct netaddr *ip, uint16_t port, uint8_t out[ADDR_KEY_LEN])
{
    memcpy(out, ip->ip, NETADDR_LEN);
    out[16] = (uint8_t)(port >> 8);
    out[17] = (uint8_t)port;
}

/* The address's group; unroutable ones (allowed only on regtest) carry the
 * port too, so local nodes spread over buckets. */
static size_t addr_group(const struct netaddr *ip, uint16_t port, uint8_t out[AM_GROUP_MAX])
{
    size_t n = netaddr_group(ip, out);
    if (out[0] == NETADDR_CLASS_UNROUTABLE) {
        out[n++] = (uint8_t)(port >> 8);
        out[n++] = (uint8_t)port;
    }
    return n;
}

/* Appends a length-prefixed byte string to a hash preimage. */
static size_t put_field(uint8_t *dst, size_t at, const uint8_t *p, size_t len)
{
    dst[at] = (uint8_t)len;
    memcpy(dst + at + 1, p, len);
    return at + 1 + len;
}

static size_t put_u64(uint8_t *dst, size_t at, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        dst[at + (size_t)i] = (uint8_t)(v >> (8 * i));
    return at + 8;
}

static unsigned tried_bucket_of(const struct am_state *s, const struct addrman_addr *a)
{
    uint8_t pre[64];
    uint8_t k[ADDR_KEY_LEN], g[AM_GROUP_MAX];
    addr_key(&a->ip, a->port, k);
    size_t n = 0;
    pre[n++] = 'T';
    n = put_field(pre, n, k, sizeof k);
    uint64_t h1 = keyed_hash(s, pre, n) % ADDRMAN_TRIED_BUCKETS_PER_GROUP;
    size_t gl = addr_group(&a->ip, a->port, g);
    n = 0;
    pre[n++] = 't';
    n = put_field(pre, n, g, gl);
    n = put_u64(pre, n, h1);
    return (unsigned)(keyed_hash(s, pre, n) % ADDRMAN_TRIED_BUCKET_COUNT);
}

static unsigned new_bucket_of(const struct am_state *s, const struct addrman_addr *a,
                              const struct netaddr *source)
{
    uint8_t pre[64];
    uint8_t g[AM_GROUP_MAX], sg[NETADDR_GROUP_MAX];
    size_t gl = addr_group(&a->ip, a->port, g);
    size_t sgl = netaddr_group(source, sg);
    size_t n = 0;
    pre[n++] = 'N';
    n = put_field(pre, n, g, gl);
    n = put_field(pre, n, sg, sgl);
    uint64_t h1 = keyed_hash(s, pre, n) % ADDRMAN_NEW_BUCKETS_PER_SOURCE_GROUP;
    n = 0;
    pre[n++] = 'n';
    n = put_field(pre, n, sg, sgl);
    n = put_u64(pre, n, h1);
    return (unsigned)(keyed_hash(s, pre, n) % ADDRMAN_NEW_BUCKET_COUNT);
}

static unsigned bucket_pos_of(const struct am_state *s, bool is_new, unsigned bucket,
                              const struct addrman_addr *a)
{
    uint8_t pre[64];
    uint8_t k[ADDR_KEY_LEN];
    addr_key(&a->ip, a->port, k);
    size_t n = 0;
    pre[n++] = 'P';
    pre[n++] = is_new ? 'N' : 'K';
    n = put_u64(pre, n, bucket);
    n = put_field(pre, n, k, sizeof k);
    return (unsigned)(keyed_hash(s, pre, n) % ADDRMAN_BUCKET_SIZE);
}

/* ---- entry terribleness ------------------------------------------------ */

static bool is_terrible(const struct am_entry *e, int64_t now)
{
    if (e->last_try > 0 && now - e->last_try <= RECENT_TRY_SECS)
        return false;
    if (e->addr.time > now + ADDRMAN_FUTURE_SECS)
        return true;
    if (now - e->addr.time > ADDRMAN_HORIZON_SECS)
        return true;
    if (e->last_success == 0 && e->attempts >= ADDRMAN_RETRIES)
        return true;
    if (now - e->last_success > ADDRMAN_MIN_FAIL_SECS && e->attempts >= ADDRMAN_MAX_FAILURES)
        return true;
    return false;
}

/* Relative chance of being picked: recent tries and repeated failures make
 * an address less attractive without ruling it out. */
static double chance_of(const struct am_entry *e, int64_t now)
{
    double c = 1.0;
    if (now - e->last_try < RECENT_FAIL_SECS)
        c *= 0.01;
    uint32_t n = e->attempts < 8 ? e->attempts : 8;
    for (uint32_t i = 0; i < n; i++)
        c *= 0.66;
    return c;
}

/* ---- state: allocation and the (ip, port) index ------------------------ */

static void state_clear(struct am_state *s)
{
    free(s->entries);
    free(s->free_ids);
    free(s->random);
    free(s->new_tbl);
    free(s->tried_tbl);
    free(s->index);
    memset(s, 0, sizeof *s);
}

/* Sets the counters of an empty state whose tables are all -1 (slots and
 * index), and its key unless it already has that one. */
static void state_start(struct am_state *s, const uint8_t key[ADDRMAN_KEY_LEN], bool rekey,
                        bool allow_local)
{
    if (rekey) {
        memcpy(s->key, key, ADDRMAN_KEY_LEN);
        uint8_t h[SHA256_LEN];
        sha256_tagged("souk/addrman/index", key, ADDRMAN_KEY_LEN, h);
        s->index_seed[0] = le64(h);
        s->index_seed[1] = le64(h + 8);
        s->index_seed[2] = le64(h + 16);
    }
    s->allow_local = allow_local;
    s->entries_used = 0;
    s->n_free = 0;
    s->n_entries = 0;
    s->n_new = 0;
    s->n_tried = 0;
    memset(s->new_fill.count, 0, sizeof s->new_fill.count);
    memset(s->tried_fill.count, 0, sizeof s->tried_fill.count);
    s->new_fill.n_busy = 0;
    s->tried_fill.n_busy = 0;
    /* "Never" (0) must count as older than the first success: with 1 here a
     * node that has never connected still counts each address's first
     * failure, as bitcoind does. */
    s->last_good = 1;
}

static bool state_init(struct am_state *s, const uint8_t key[ADDRMAN_KEY_LEN], bool allow_local)
{
    memset(s, 0, sizeof *s);
    s->new_tbl = malloc(sizeof(int32_t) * NEW_SLOTS);
    s->tried_tbl = malloc(sizeof(int32_t) * TRIED_SLOTS);
    s->index_cap = 1024;
    s->index = malloc(sizeof(int32_t) * s->index_cap);
    if (!s->new_tbl || !s->tried_tbl || !s->index) {
        state_clear(s);
        return false;
    }
    memset(s->new_tbl, 0xff, sizeof(int32_t) * NEW_SLOTS);
    memset(s->tried_tbl, 0xff, sizeof(int32_t) * TRIED_SLOTS);
    memset(s->index, 0xff, sizeof(int32_t) * s->index_cap);
    state_start(s, key, true, allow_local);
    return true;
}

/* Empties s under key, keeping every allocation. Only the slots its live
 * entries hold are reset, so the cost follows the entries rather than the
 * size of the tables; the index (sized to the entries) is wiped whole. */
static void state_reset(struct am_state *s, const uint8_t key[ADDRMAN_KEY_LEN], bool allow_local)
{
    for (uint32_t id = 0; id < s->entries_used; id++) {
        const struct am_entry *e = &s->entries[id];
        if (!e->in_use)
            continue;
        for (unsigned i = 0; i < e->n_new; i++)
            s->new_tbl[e->new_bucket[i] * ADDRMAN_BUCKET_SIZE + e->new_pos[i]] = -1;
        if (e->in_tried)
            s->tried_tbl[e->tried_bucket * ADDRMAN_BUCKET_SIZE + e->tried_pos] = -1;
    }
    memset(s->index, 0xff, sizeof(int32_t) * s->index_cap);
    state_start(s, key, memcmp(s->key, key, ADDRMAN_KEY_LEN) != 0, allow_local);
}

static uint32_t index_hash(const struct am_state *s, const struct netaddr *ip, uint16_t port)
{
    uint64_t w0 = le64(ip->ip), w1 = le64(ip->ip + 8);
    uint64_t h = mix64(w0 ^ s->index_seed[0]);
    h = mix64(h ^ w1 ^ s->index_seed[1]);
    h = mix64(h ^ port ^ s->index_seed[2]);
    return (uint32_t)h;
}

static bool same_addr(const struct am_entry *e, const struct netaddr *ip, uint16_t port)
{
    return e->addr.port == port && netaddr_equal(&e->addr.ip, ip);
}

/* Index slot holding (ip, port), or of the empty slot where it would go. */
static uint32_t index_slot(const struct am_state *s, const struct netaddr *ip, uint16_t port)
{
    uint32_t mask = s->index_cap - 1;
    uint32_t i = index_hash(s, ip, port) & mask;
    while (s->index[i] >= 0 && !same_addr(&s->entries[s->index[i]], ip, port))
        i = (i + 1) & mask;
    return i;
}

static int32_t find_id(const struct am_state *s, const struct netaddr *ip, uint16_t port)
{
    return s->index[index_slot(s, ip, port)];
}

static bool index_grow(struct am_state *s)
{
    uint32_t ncap = s->index_cap * 2;
    int32_t *ni = malloc(sizeof(int32_t) * ncap);
    if (!ni)
        return false;
    memset(ni, 0xff, sizeof(int32_t) * ncap);
    int32_t *old = s->index;
    uint32_t ocap = s->index_cap;
    s->index = ni;
    s->index_cap = ncap;
    for (uint32_t i = 0; i < ocap; i++) {
        if (old[i] >= 0) {
            const struct am_entry *e = &s->entries[old[i]];
            ni[index_slot(s, &e->addr.ip, e->addr.port)] = old[i];
        }
    }
    free(old);
    return true;
}

/* Backward-shift deletion keeps every probe chain unbroken. */
static void index_remove(struct am_state *s, const struct netaddr *ip, uint16_t port)
{
    uint32_t mask = s->index_cap - 1;
    uint32_t i = index_slot(s, ip, port);
    if (s->index[i] < 0)
        return;
    s->index[i] = -1;
    uint32_t j = i;
    for (;;) {
        j = (j + 1) & mask;
        if (s->index[j] < 0)
            return;
        const struct am_entry *e = &s->entries[s->index[j]];
        uint32_t home = index_hash(s, &e->addr.ip, e->addr.port) & mask;
        /* Move j back to the hole unless its home lies cyclically in (i, j]. */
        bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (!stays) {
            s->index[i] = s->index[j];
            s->index[j] = -1;
            i = j;
        }
    }
}

/* A fresh entry for (addr, source), not yet in any table. -1 when full or
 * out of memory. */
static int32_t create_entry(struct am_state *s, const struct addrman_addr *addr,
                            const struct netaddr *source)
{
    if (s->n_entries >= MAX_ENTRIES)
        return -1;
    if ((uint64_t)(s->n_entries + 1) * 2 > s->index_cap && !index_grow(s))
        return -1;
    uint32_t id;
    if (s->n_free > 0) {
        id = s->free_ids[--s->n_free];
    } else {
        if (s->entries_used == s->entries_cap) {
            uint32_t ncap = s->entries_cap ? s->entries_cap * 2 : 256;
            if (ncap > MAX_ENTRIES)
                ncap = MAX_ENTRIES;
            struct am_entry *ne = realloc(s->entries, sizeof *ne * ncap);
            if (!ne)
                return -1;
            s->entries = ne;
            uint32_t *nf = realloc(s->free_ids, sizeof *nf * ncap);
            if (!nf)
                return -1;
            s->free_ids = nf;
            uint32_t *nr = realloc(s->random, sizeof *nr * ncap);
            if (!nr)
                return -1;
            s->random = nr;
            s->entries_cap = ncap;
        }
        id = s->entries_used++;
    }
    struct am_entry *e = &s->entries[id];
    memset(e, 0, sizeof *e);
    e->addr = *addr;
    e->source = *source;
    e->in_use = true;
    e->random_pos = s->n_entries;
    s->random[s->n_entries++] = id;
    s->index[index_slot(s, &addr->ip, addr->port)] = (int32_t)id;
    return (int32_t)id;
}

static void delete_entry(struct am_state *s, uint32_t id)
{
    struct am_entry *e = &s->entries[id];
    index_remove(s, &e->addr.ip, e->addr.port);
    uint32_t last = s->random[s->n_entries - 1];
    s->random[e->random_pos] = last;
    s->entries[last].random_pos = e->random_pos;
    s->n_entries--;
    e->in_use = false;
    s->free_ids[s->n_free++] = id;
}

/* ---- table moves ------------------------------------------------------ */

static void fill_add(struct am_fill *f, unsigned bucket)
{
    if (f->count[bucket]++ == 0) {
        f->busy_at[bucket] = (uint16_t)f->n_busy;
        f->busy[f->n_busy++] = (uint16_t)bucket;
    }
}

static void fill_remove(struct am_fill *f, unsigned bucket)
{
    if (--f->count[bucket] == 0) {
        uint16_t last = f->busy[--f->n_busy];
        f->busy[f->busy_at[bucket]] = last;
        f->busy_at[last] = f->busy_at[bucket];
    }
}

static void place_new(struct am_state *s, uint32_t id, unsigned bucket, unsigned pos)
{
    struct am_entry *e = &s->entries[id];
    s->new_tbl[bucket * ADDRMAN_BUCKET_SIZE + pos] = (int32_t)id;
    fill_add(&s->new_fill, bucket);
    if (e->n_new == 0)
        s->n_new++;
    e->new_bucket[e->n_new] = (uint16_t)bucket;
    e->new_pos[e->n_new] = (uint8_t)pos;
    e->n_new++;
}

/* Drops the reference the entry at (bucket, pos) of new has to that slot;
 * an entry left in no table is deleted. */
static void clear_new_slot(struct am_state *s, unsigned bucket, unsigned pos)
{
    int32_t id = s->new_tbl[bucket * ADDRMAN_BUCKET_SIZE + pos];
    if (id < 0)
        return;
    struct am_entry *e = &s->entries[id];
    s->new_tbl[bucket * ADDRMAN_BUCKET_SIZE + pos] = -1;
    fill_remove(&s->new_fill, bucket);
    for (unsigned i = 0; i < e->n_new; i++) {
        if (e->new_bucket[i] == bucket && e->new_pos[i] == pos) {
            e->new_bucket[i] = e->new_bucket[e->n_new - 1];
            e->new_pos[i] = e->new_pos[e->n_new - 1];
            e->n_new--;
            break;
        }
    }
    if (e->n_new == 0) {
        s->n_new--;
        if (!e->in_tried)
            delete_entry(s, (uint32_t)id);
    }
}

/* Takes the entry out of every new bucket without deleting it. */
static void unlink_new(struct am_state *s, uint32_t id)
{
    struct am_entry *e = &s->entries[id];
    for (unsigned i = 0; i < e->n_new; i++) {
        s->new_tbl[e->new_bucket[i] * ADDRMAN_BUCKET_SIZE + e->new_pos[i]] = -1;
        fill_remove(&s->new_fill, e->new_bucket[i]);
    }
    if (e->n_new > 0)
        s->n_new--;
    e->n_new = 0;
}

static void place_tried(struct am_state *s, uint32_t id, unsigned bucket, unsigned pos)
{
    struct am_entry *e = &s->entries[id];
    s->tried_tbl[bucket * ADDRMAN_BUCKET_SIZE + pos] = (int32_t)id;
    fill_add(&s->tried_fill, bucket);
    s->n_tried++;
    e->in_tried = true;
    e->tried_bucket = (uint16_t)bucket;
    e->tried_pos = (uint8_t)pos;
}

static void unlink_tried(struct am_state *s, uint32_t id)
{
    struct am_entry *e = &s->entries[id];
    s->tried_tbl[e->tried_bucket * ADDRMAN_BUCKET_SIZE + e->tried_pos] = -1;
    fill_remove(&s->tried_fill, e->tried_bucket);
    s->n_tried--;
    e->in_tried = false;
}

/* Whether a newcomer may take a new-table slot from its occupant. */
static bool may_replace_new(const struct am_state *s, int32_t occupant, unsigned newcomer_refs,
                            int64_t now)
{
    if (occupant < 0)
        return true;
    const struct am_entry *o = &s->entries[occupant];
    return is_terrible(o, now) || (o->n_new > 1 && newcomer_refs == 0);
}

/* ---- operations (lock held) ------------------------------------------- */

static bool add_one(struct am_state *s, const struct addrman_addr *in,
                    const struct netaddr *source, int64_t penalty, int64_t now)
{
    if (in->port == 0 || !netaddr_is_valid(&in->ip))
        return false;
    if (!s->allow_local && !netaddr_is_routable(&in->ip))
        return false;
    struct addrman_addr a = *in;
    if (a.time <= MIN_BELIEVABLE_TIME || a.time > now + ADDRMAN_FUTURE_SECS)
        a.time = now - UNKNOWN_TIME_AGE;
    if (penalty < 0 || netaddr_equal(&a.ip, source))
        penalty = 0;
    int64_t penalised = a.time - penalty > 0 ? a.time - penalty : 0;

    int32_t id = find_id(s, &a.ip, a.port);
    if (id < 0) {
        struct addrman_addr stored = a;
        stored.time = penalised;
        unsigned b = new_bucket_of(s, &stored, source);
        unsigned p = bucket_pos_of(s, true, b, &stored);
        int32_t occ = s->new_tbl[b * ADDRMAN_BUCKET_SIZE + p];
        if (!may_replace_new(s, occ, 0, now))
            return false;
        /* Created before the occupant goes, so running out of memory loses
         * nothing. */
        id = create_entry(s, &stored, source);
        if (id < 0)
            return false;
        clear_new_slot(s, b, p);
        place_new(s, (uint32_t)id, b, p);
        return true;
    }

    struct am_entry *e = &s->entries[id];
    bool online = now - a.time < 24 * 3600;
    int64_t interval = online ? 3600 : 24 * 3600;
    if (e->addr.time < a.time - interval - penalty)
        e->addr.time = penalised;
    e->addr.services |= a.services;
    if (a.time <= e->addr.time || e->in_tried || e->n_new >= ADDRMAN_NEW_BUCKETS_PER_ADDRESS)
        return false;
    /* Each further bucket is twice as hard to get as the one before. */
    if (e->n_new > 0 && am_rand_range(s, UINT64_C(1) << e->n_new) != 0)
        return false;
    unsigned b = new_bucket_of(s, &e->addr, source);
    unsigned p = bucket_pos_of(s, true, b, &e->addr);
    int32_t occ = s->new_tbl[b * ADDRMAN_BUCKET_SIZE + p];
    if (occ == id || !may_replace_new(s, occ, e->n_new, now))
        return false;
    clear_new_slot(s, b, p);
    place_new(s, (uint32_t)id, b, p);
    return false;
}

static bool good_one(struct am_state *s, const struct netaddr *ip, uint16_t port, int64_t now)
{
    int32_t id = find_id(s, ip, port);
    if (id < 0)
        return false;
    struct am_entry *e = &s->entries[id];
    e->last_success = now;
    e->last_try = now;
    e->attempts = 0;
    s->last_good = now;
    if (e->in_tried)
        return true;
    unsigned tb = tried_bucket_of(s, &e->addr);
    unsigned tp = bucket_pos_of(s, false, tb, &e->addr);
    int32_t occ = s->tried_tbl[tb * ADDRMAN_BUCKET_SIZE + tp];
    if (occ >= 0) {
        struct am_entry *o = &s->entries[occ];
        if (o->last_success > 0 && now - o->last_success < ADDRMAN_REPLACEMENT_SECS) {
            char who[NETADDR_SERVICE_STR_MAX];
            netaddr_format_service(ip, port, who);
            LOG_DEBUG(LOG_CAT_ADDRMAN, "tried slot of %s taken by a recently good address; "
                      "it stays in new", who);
            return false;
        }
    }
    unlink_new(s, (uint32_t)id);
    if (occ >= 0) {
        /* The incumbent goes back to new, into its own source's bucket. */
        unlink_tried(s, (uint32_t)occ);
        struct am_entry *o = &s->entries[occ];
        unsigned nb = new_bucket_of(s, &o->addr, &o->source);
        unsigned np = bucket_pos_of(s, true, nb, &o->addr);
        clear_new_slot(s, nb, np);
        place_new(s, (uint32_t)occ, nb, np);
    }
    place_tried(s, (uint32_t)id, tb, tp);
    return true;
}

/* Picks from one table; false after SELECT_MAX_HITS refusals. */
static bool select_from(struct am_state *s, bool tried, int64_t now, struct addrman_addr *out)
{
    const struct am_fill *fill = tried ? &s->tried_fill : &s->new_fill;
    const int32_t *tbl = tried ? s->tried_tbl : s->new_tbl;
    if (fill->n_busy == 0)
        return false;
    double factor = 1.0;
    for (unsigned hits = 0; hits < SELECT_MAX_HITS; hits++) {
        /* Uniform among the non-empty buckets, as drawing buckets until
         * one is non-empty would be, without a thousand draws per pick in
         * a sparse table. */
        unsigned b = fill->busy[am_rand_range(s, fill->n_busy)];
        unsigned start = (unsigned)am_rand_range(s, ADDRMAN_BUCKET_SIZE);
        int32_t id = -1;
        for (unsigned i = 0; i < ADDRMAN_BUCKET_SIZE && id < 0; i++)
            id = tbl[b * ADDRMAN_BUCKET_SIZE + (start + i) % ADDRMAN_BUCKET_SIZE];
        const struct am_entry *e = &s->entries[id];
        if (is_terrible(e, now))
            continue;
        if (am_rand_double(s) < factor * chance_of(e, now)) {
            *out = e->addr;
            return true;
        }
        factor *= 1.2;
    }
    return false;
}

static size_t sweep(struct am_state *s, int64_t now)
{
    size_t removed = 0;
    for (uint32_t id = 0; id < s->entries_used; id++) {
        struct am_entry *e = &s->entries[id];
        if (!e->in_use || e->in_tried || !is_terrible(e, now))
            continue;
        while (e->in_use && e->n_new > 0)
            clear_new_slot(s, e->new_bucket[0], e->new_pos[0]);
        removed++;
    }
    return removed;
}

/* ---- public API -------------------------------------------------------- */

struct addrman *addrman_new(const struct addrman_config *cfg)
{
    uint8_t key[ADDRMAN_KEY_LEN];
    if (cfg && cfg->key)
        memcpy(key, cfg->key, sizeof key);
    else if (!random_bytes(key, sizeof key))
        return NULL;
    struct addrman *am = calloc(1, sizeof *am);
    if (!am)
        return NULL;
    if (!state_init(&am->s, key, cfg && cfg->allow_local)) {
        free(am);
        return NULL;
    }
    pthread_mutex_init(&am->mu, NULL);
    return am;
}

void addrman_free(struct addrman *am)
{
    if (!am)
        return;
    state_clear(&am->s);
    if (am->has_spare)
        state_clear(&am->spare);
    pthread_mutex_destroy(&am->mu);
    free(am);
}

void addrman_clear(struct addrman *am)
{
    pthread_mutex_lock(&am->mu);
    state_reset(&am->s, am->s.key, am->s.allow_local);
    pthread_mutex_unlock(&am->mu);
}

size_t addrman_add(struct addrman *am, const struct addrman_addr *addrs, size_t n,
                   const struct netaddr *source, int64_t time_penalty)
{
    size_t added = 0;
    pthread_mutex_lock(&am->mu);
    int64_t now = time_now();
    for (size_t i = 0; i < n; i++)
        if (add_one(&am->s, &addrs[i], source, time_penalty, now))
            added++;
    pthread_mutex_unlock(&am->mu);
    if (added > 0 && log_enabled(LOG_LEVEL_DEBUG, LOG_CAT_ADDRMAN)) {
        char src[NETADDR_STR_MAX];
        netaddr_format(source, src);
        LOG_DEBUG(LOG_CAT_ADDRMAN, "added %zu of %zu addresses from %s", added, n, src);
    }
    return added;
}

bool addrman_good(struct addrman *am, const struct netaddr *ip, uint16_t port)
{
    pthread_mutex_lock(&am->mu);
    bool r = good_one(&am->s, ip, port, time_now());
    pthread_mutex_unlock(&am->mu);
    return r;
}

void addrman_attempt(struct addrman *am, const struct netaddr *ip, uint16_t port,
                     bool count_failure)
{
    pthread_mutex_lock(&am->mu);
    int32_t id = find_id(&am->s, ip, port);
    if (id >= 0) {
        struct am_entry *e = &am->s.entries[id];
        int64_t now = time_now();
        e->last_try = now;
        if (count_failure && e->last_count_attempt < am->s.last_good) {
            e->last_count_attempt = now;
            e->attempts++;
        }
    }
    pthread_mutex_unlock(&am->mu);
}

void addrman_connected(struct addrman *am, const struct netaddr *ip, uint16_t port)
{
    pthread_mutex_lock(&am->mu);
    int32_t id = find_id(&am->s, ip, port);
    if (id >= 0) {
        struct am_entry *e = &am->s.entries[id];
        int64_t now = time_now();
        if (now - e->addr.time > CONNECTED_REFRESH_SECS)
            e->addr.time = now;
    }
    pthread_mutex_unlock(&am->mu);
}

void addrman_set_services(struct addrman *am, const struct netaddr *ip, uint16_t port,
                          uint64_t services)
{
    pthread_mutex_lock(&am->mu);
    int32_t id = find_id(&am->s, ip, port);
    if (id >= 0)
        am->s.entries[id].addr.services = services;
    pthread_mutex_unlock(&am->mu);
}

bool addrman_select(struct addrman *am, bool new_only, struct addrman_addr *out)
{
    pthread_mutex_lock(&am->mu);
    struct am_state *s = &am->s;
    int64_t now = time_now();
    bool ok = false;
    if (new_only) {
        ok = select_from(s, false, now, out);
    } else if (s->n_entries > 0) {
        bool tried_first = s->n_tried > 0 && (s->n_new == 0 || (am_rand64(s) & 1));
        ok = select_from(s, tried_first, now, out) || select_from(s, !tried_first, now, out);
    }
    pthread_mutex_unlock(&am->mu);
    return ok;
}

size_t addrman_get_addr(struct addrman *am, struct addrman_addr *out, size_t max_count,
                        unsigned max_pct)
{
    pthread_mutex_lock(&am->mu);
    struct am_state *s = &am->s;
    int64_t now = time_now();
    size_t want = s->n_entries;
    if (max_pct > 0 && max_pct < 100)
        want = (size_t)max_pct * s->n_entries / 100;
    if (want > max_count)
        want = max_count;
    size_t got = 0;
    /* A partial Fisher-Yates shuffle of the id list, skipping terrible ones. */
    for (uint32_t i = 0; i < s->n_entries && got < want; i++) {
        uint32_t j = i + (uint32_t)am_rand_range(s, s->n_entries - i);
        uint32_t a = s->random[i], b = s->random[j];
        s->random[i] = b;
        s->random[j] = a;
        s->entries[b].random_pos = i;
        s->entries[a].random_pos = j;
        const struct am_entry *e = &s->entries[b];
        if (!is_terrible(e, now))
            out[got++] = e->addr;
    }
    pthread_mutex_unlock(&am->mu);
    return got;
}

size_t addrman_size(struct addrman *am)
{
    pthread_mutex_lock(&am->mu);
    size_t n = am->s.n_entries;
    pthread_mutex_unlock(&am->mu);
    return n;
}

void addrman_counts(struct addrman *am, size_t *n_new, size_t *n_tried)
{
    pthread_mutex_lock(&am->mu);
    *n_new = am->s.n_new;
    *n_tried = am->s.n_tried;
    pthread_mutex_unlock(&am->mu);
}

bool addrman_lookup(struct addrman *am, const struct netaddr *ip, uint16_t port,
                    struct addrman_info *out)
{
    pthread_mutex_lock(&am->mu);
    int32_t id = find_id(&am->s, ip, port);
    if (id >= 0) {
        const struct am_entry *e = &am->s.entries[id];
        memset(out, 0, sizeof *out);
        out->addr = e->addr;
        out->source = e->source;
        out->last_try = e->last_try;
        out->last_success = e->last_success;
        out->attempts = e->attempts;
        out->in_tried = e->in_tried;
        out->tried_bucket = e->in_tried ? e->tried_bucket : -1;
        out->n_new = e->n_new;
        memcpy(out->new_buckets, e->new_bucket, sizeof e->new_bucket[0] * e->n_new);
        out->terrible = is_terrible(e, time_now());
    }
    pthread_mutex_unlock(&am->mu);
    return id >= 0;
}

size_t addrman_sweep(struct addrman *am)
{
    pthread_mutex_lock(&am->mu);
    size_t n = sweep(&am->s, time_now());
    pthread_mutex_unlock(&am->mu);
    return n;
}

/* ---- peers.dat -------------------------------------------------------- */

static uint64_t nonneg(int64_t v)
{
    return v > 0 ? (uint64_t)v : 0;
}

static bool encode_locked(const struct am_state *s, struct buf *out)
{
    size_t start = out->len;
    struct ser_writer w;
    ser_writer_init(&w, out);
    ser_write_array(&w, 7);
    ser_write_str(&w, FILE_MAGIC, strlen(FILE_MAGIC));
    ser_write_uint(&w, FILE_VERSION);
    ser_write_bin(&w, s->key, sizeof s->key);
    ser_write_uint(&w, ADDRMAN_NEW_BUCKET_COUNT);
    ser_write_uint(&w, ADDRMAN_TRIED_BUCKET_COUNT);
    ser_write_uint(&w, ADDRMAN_BUCKET_SIZE);
    ser_write_array(&w, s->n_entries);
    for (uint32_t id = 0; id < s->entries_used; id++) {
        const struct am_entry *e = &s->entries[id];
        if (!e->in_use)
            continue;
        ser_write_array(&w, ENTRY_FIELDS);
        ser_write_bin(&w, e->addr.ip.ip, NETADDR_LEN);
        ser_write_uint(&w, e->addr.port);
        ser_write_uint(&w, e->addr.services);
        ser_write_uint(&w, nonneg(e->addr.time));
        ser_write_bin(&w, e->source.ip, NETADDR_LEN);
        ser_write_uint(&w, nonneg(e->last_try));
        ser_write_uint(&w, nonneg(e->last_success));
        ser_write_uint(&w, e->attempts);
        ser_write_uint(&w, e->in_tried ? 1 : 0);
        ser_write_array(&w, e->n_new);
        for (unsigned i = 0; i < e->n_new; i++)
            ser_write_uint(&w, e->new_bucket[i]);
    }
    uint8_t sum[SHA256_LEN];
    if (!ser_writer_ok(&w)) {
        out->len = start;
        return false;
    }
    sha256(out->data + start, out->len - start, sum);
    if (!buf_append(out, sum, sizeof sum)) {
        out->len = start;
        return false;
    }
    return true;
}

bool addrman_encode(struct addrman *am, struct buf *out)
{
    pthread_mutex_lock(&am->mu);
    bool ok = encode_locked(&am->s, out);
    pthread_mutex_unlock(&am->mu);
    return ok;
}

struct file_entry {
    struct addrman_addr addr;
    struct netaddr source;
    int64_t last_try, last_success;
    uint32_t attempts;
    bool in_tried;
    uint32_t n_new;
    uint16_t new_bucket[ADDRMAN_NEW_BUCKETS_PER_ADDRESS];
};

static enum addrman_decode_err read_entry(const msgpack_object *o, bool sizes_match,
                                          struct file_entry *fe)
{
    const msgpack_object *f;
    uint64_t v;
    if (ser_get_array(o, ENTRY_FIELDS, &f) != SER_OK)
        return ADDRMAN_DECODE_FORMAT;
    memset(fe, 0, sizeof *fe);
    if (ser_get_bin_fixed(&f[0], NETADDR_LEN, fe->addr.ip.ip) != SER_OK)
        return ADDRMAN_DECODE_FORMAT;
    if (ser_get_uint_max(&f[1], UINT16_MAX, &v) != SER_OK || v == 0)
        return ADDRMAN_DECODE_FORMAT;
    fe->addr.port = (uint16_t)v;
    if (ser_get_uint(&f[2], &fe->addr.services) != SER_OK)
        return ADDRMAN_DECODE_FORMAT;
    if (ser_get_uint_max(&f[3], INT64_MAX, &v) != SER_OK)
        return ADDRMAN_DECODE_FORMAT;
    fe->addr.time = (int64_t)v;
    if (ser_get_bin_fixed(&f[4], NETADDR_LEN, fe->source.ip) != SER_OK)
        return ADDRMAN_DECODE_FORMAT;
    if (ser_get_uint_max(&f[5], INT64_MAX, &v) != SER_OK)
        return ADDRMAN_DECODE_FORMAT;
    fe->last_try = (int64_t)v;
    if (ser_get_uint_max(&f[6], INT64_MAX, &v) != SER_OK)
        return ADDRMAN_DECODE_FORMAT;
    fe->last_success = (int64_t)v;
    if (ser_get_uint_max(&f[7], UINT32_MAX, &v) != SER_OK)
        return ADDRMAN_DECODE_FORMAT;
    fe->attempts = (uint32_t)v;
    if (ser_get_uint_max(&f[8], 1, &v) != SER_OK)
        return ADDRMAN_DECODE_FORMAT;
    fe->in_tried = v == 1;
    const msgpack_object *nb;
    if (ser_get_list(&f[9], ADDRMAN_NEW_BUCKETS_PER_ADDRESS, &nb, &fe->n_new) != SER_OK)
        return ADDRMAN_DECODE_FORMAT;
    for (uint32_t i = 0; i < fe->n_new; i++) {
        if (ser_get_uint(&nb[i], &v) != SER_OK)
            return ADDRMAN_DECODE_FORMAT;
        /* Bucket numbers of other table sizes are rebuilt from the source. */
        if (sizes_match && v >= ADDRMAN_NEW_BUCKET_COUNT)
            return ADDRMAN_DECODE_FORMAT;
        fe->new_bucket[i] = (uint16_t)(sizes_match ? v : 0);
    }
    if (!sizes_match)
        fe->n_new = 0;
    return ADDRMAN_DECODE_OK;
}

/* Puts a decoded entry into s; an entry with no free slot left is dropped
 * (its slots were taken by entries earlier in the file). */
static enum addrman_decode_err place_entry(struct am_state *s, const struct file_entry *fe)
{
    if (!netaddr_is_valid(&fe->addr.ip) || (!s->allow_local && !netaddr_is_routable(&fe->addr.ip)))
        return ADDRMAN_DECODE_OK;
    if (find_id(s, &fe->addr.ip, fe->addr.port) >= 0)
        return ADDRMAN_DECODE_DUPLICATE;
    int32_t id = create_entry(s, &fe->addr, &fe->source);
    if (id < 0)
        return ADDRMAN_DECODE_NOMEM;
    struct am_entry *e = &s->entries[id];
    e->last_try = fe->last_try;
    e->last_success = fe->last_success;
    e->attempts = fe->attempts;
    if (fe->in_tried) {
        unsigned b = tried_bucket_of(s, &e->addr);
        unsigned p = bucket_pos_of(s, false, b, &e->addr);
        if (s->tried_tbl[b * ADDRMAN_BUCKET_SIZE + p] < 0) {
            place_tried(s, (uint32_t)id, b, p);
            return ADDRMAN_DECODE_OK;
        }
    }
    for (uint32_t i = 0; i < fe->n_new; i++) {
        unsigned b = fe->new_bucket[i];
        unsigned p = bucket_pos_of(s, true, b, &e->addr);
        if (s->new_tbl[b * ADDRMAN_BUCKET_SIZE + p] < 0)
            place_new(s, (uint32_t)id, b, p);
    }
    if (e->n_new == 0) {
        unsigned b = new_bucket_of(s, &e->addr, &e->source);
        unsigned p = bucket_pos_of(s, true, b, &e->addr);
        if (s->new_tbl[b * ADDRMAN_BUCKET_SIZE + p] < 0)
            place_new(s, (uint32_t)id, b, p);
    }
    if (e->n_new == 0)
        delete_entry(s, (uint32_t)id);
    return ADDRMAN_DECODE_OK;
}

/* Decodes a peers.dat body into s: built from scratch, or, with reuse, in
 * the tables s already has (emptied first). Without reuse, s holds nothing
 * to free on failure; with reuse it stays a valid state either way. */
static enum addrman_decode_err decode_body(struct am_state *s, bool reuse, bool allow_local,
                                           const uint8_t *body, size_t len)
{
    struct ser_doc doc;
    ser_doc_init(&doc);
    enum ser_err se = ser_doc_parse(&doc, body, len);
    if (se != SER_OK) {
        ser_doc_clear(&doc);
        return se == SER_ERR_NOMEM ? ADDRMAN_DECODE_NOMEM : ADDRMAN_DECODE_MSGPACK;
    }
    enum addrman_decode_err r = ADDRMAN_DECODE_FORMAT;
    const msgpack_object *top, *list;
    const char *magic;
    size_t magic_len;
    uint64_t version, nb, tb, bs;
    uint8_t key[ADDRMAN_KEY_LEN];
    uint32_t n;
    if (ser_get_array(ser_doc_root(&doc), 7, &top) != SER_OK ||
        ser_get_str(&top[0], 1, 32, &magic, &magic_len) != SER_OK ||
        magic_len != strlen(FILE_MAGIC) || memcmp(magic, FILE_MAGIC, magic_len) != 0 ||
        ser_get_uint(&top[1], &version) != SER_OK || version != FILE_VERSION ||
        ser_get_bin_fixed(&top[2], sizeof key, key) != SER_OK ||
        ser_get_uint(&top[3], &nb) != SER_OK || ser_get_uint(&top[4], &tb) != SER_OK ||
        ser_get_uint(&top[5], &bs) != SER_OK ||
        ser_get_list(&top[6], MAX_ENTRIES, &list, &n) != SER_OK)
        goto out;
    bool sizes_match = nb == ADDRMAN_NEW_BUCKET_COUNT && tb == ADDRMAN_TRIED_BUCKET_COUNT &&
                       bs == ADDRMAN_BUCKET_SIZE;
    if (reuse) {
        state_reset(s, key, allow_local);
    } else if (!state_init(s, key, allow_local)) {
        r = ADDRMAN_DECODE_NOMEM;
        goto out;
    }
    for (uint32_t i = 0; i < n; i++) {
        struct file_entry fe;
        r = read_entry(&list[i], sizes_match, &fe);
        if (r == ADDRMAN_DECODE_OK)
            r = place_entry(s, &fe);
        if (r != ADDRMAN_DECODE_OK) {
            if (!reuse)
                state_clear(s);
            goto out;
        }
    }
    r = ADDRMAN_DECODE_OK;
out:
    ser_doc_clear(&doc);
    return r;
}

enum addrman_decode_err addrman_decode(struct addrman *am, const uint8_t *data, size_t len)
{
    if (len < SHA256_LEN)
        return ADDRMAN_DECODE_TRUNCATED;
    uint8_t sum[SHA256_LEN];
    sha256(data, len - SHA256_LEN, sum);
    if (memcmp(sum, data + len - SHA256_LEN, SHA256_LEN) != 0)
        return ADDRMAN_DECODE_CHECKSUM;
    /* The image is built aside (in the spare tables when there are some)
     * without the lock, and swapped in whole. */
    struct am_state work;
    pthread_mutex_lock(&am->mu);
    bool allow_local = am->s.allow_local;
    bool have = am->has_spare;
    if (have) {
        work = am->spare;
        am->has_spare = false;
    }
    pthread_mutex_unlock(&am->mu);
    enum addrman_decode_err r = decode_body(&work, have, allow_local, data, len - SHA256_LEN);
    pthread_mutex_lock(&am->mu);
    if (r == ADDRMAN_DECODE_OK) {
        struct am_state old = am->s;
        am->s = work;
        work = old;
        have = true;
    }
    /* What is left over (the replaced state, or a failed attempt's tables)
     * is the next decode's spare; another decode may have left one already. */
    bool keep = have && !am->has_spare;
    if (keep) {
        am->spare = work;
        am->has_spare = true;
    }
    pthread_mutex_unlock(&am->mu);
    if (have && !keep)
        state_clear(&work);
    return r;
}

bool addrman_save(struct addrman *am, const char *path, char *err, size_t errlen)
{
    struct buf b;
    buf_init(&b);
    pthread_mutex_lock(&am->mu);
    sweep(&am->s, time_now());
    bool ok = encode_locked(&am->s, &b);
    size_t n = am->s.n_entries;
    pthread_mutex_unlock(&am->mu);
    if (!ok) {
        snprintf(err, errlen, "out of memory encoding %s", path);
        buf_clear(&b);
        return false;
    }
    ok = datafile_write_atomic(path, b.data, b.len, err, errlen);
    buf_clear(&b);
    if (ok)
        LOG_DEBUG(LOG_CAT_ADDRMAN, "wrote %zu addresses to %s", n, path);
    return ok;
}

enum addrman_load_result addrman_load(struct addrman *am, const char *path)
{
    struct buf b;
    buf_init(&b);
    char err[512];
    enum datafile_read_result rr = datafile_read(path, ADDRMAN_FILE_MAX, &b, err, sizeof err);
    if (rr == DATAFILE_READ_MISSING) {
        LOG_INFO(LOG_CAT_ADDRMAN, "no %s yet: starting with no known addresses", path);
        return ADDRMAN_LOAD_MISSING;
    }
    if (rr == DATAFILE_READ_ERROR) {
        LOG_WARN(LOG_CAT_ADDRMAN, "%s; starting with no known addresses", err);
        return ADDRMAN_LOAD_IO_ERROR;
    }
    const char *why = err;
    if (rr == DATAFILE_READ_OK) {
        enum addrman_decode_err de = addrman_decode(am, b.data, b.len);
        buf_clear(&b);
        if (de == ADDRMAN_DECODE_OK) {
            size_t n_new, n_tried;
            addrman_counts(am, &n_new, &n_tried);
            LOG_INFO(LOG_CAT_ADDRMAN, "loaded %zu addresses (%zu new, %zu tried) from %s",
                     addrman_size(am), n_new, n_tried, path);
            return ADDRMAN_LOAD_OK;
        }
        if (de == ADDRMAN_DECODE_NOMEM) {
            LOG_WARN(LOG_CAT_ADDRMAN, "out of memory loading %s; starting with no known "
                     "addresses", path);
            return ADDRMAN_LOAD_IO_ERROR;
        }
        why = addrman_decode_strerror(de);
    }
    buf_clear(&b);
    char moved[4200], merr[512];
    if (datafile_move_aside(path, moved, sizeof moved, merr, sizeof merr))
        LOG_WARN(LOG_CAT_ADDRMAN, "%s is corrupt (%s): moved it to %s and starting with no "
                 "known addresses", path, why, moved);
    else
        LOG_WARN(LOG_CAT_ADDRMAN, "%s is corrupt (%s) and could not be moved aside (%s): "
                 "starting with no known addresses", path, why, merr);
    return ADDRMAN_LOAD_CORRUPT;
}
