#include "unit.h"

#include <stdlib.h>
#include <string.h>

#include "p2p/peer.h"
#include "util/time.h"

/* A hash whose first 8 bytes are v (little-endian) and the rest `rest`. */
static void make_hash(uint8_t h[32], uint64_t v, uint8_t rest)
{
    memset(h, rest, 32);
    memcpy(h, &v, 8);
}

/* ------------------------------------------------------------ invset */

START_TEST(invset_remembers_and_forgets)
{
    struct p2p_invset s;
    ck_assert(p2p_invset_init(&s));
    uint8_t h[32];
    make_hash(h, 1, 0xaa);
    ck_assert(!p2p_invset_has(&s, h));
    p2p_invset_add(&s, h);
    ck_assert(p2p_invset_has(&s, h));
    p2p_invset_add(&s, h); /* a second add changes nothing */
    ck_assert_uint_eq(s.count, 1);
    /* the latest 8,192 are always remembered, older ones fall out */
    for (uint64_t i = 2; i < 2 + 2 * P2P_INVSET_GEN_MAX; i++) {
        uint8_t x[32];
        make_hash(x, i, 0x55);
        p2p_invset_add(&s, x);
    }
    ck_assert(!p2p_invset_has(&s, h));
    for (uint64_t i = 2 + P2P_INVSET_GEN_MAX; i < 2 + 2 * P2P_INVSET_GEN_MAX; i++) {
        uint8_t x[32];
        make_hash(x, i, 0x55);
        ck_assert(p2p_invset_has(&s, x));
    }
    p2p_invset_clear(&s);
    /* a cleared set knows nothing and ignores adds */
    ck_assert(!p2p_invset_has(&s, h));
    p2p_invset_add(&s, h);
    ck_assert(!p2p_invset_has(&s, h));
}
END_TEST

/* Two hashes that agree in their first 8 bytes are still two hashes: a
 * peer cannot make us believe it knows one by announcing the other. */
START_TEST(invset_uses_the_whole_hash)
{
    struct p2p_invset s;
    ck_assert(p2p_invset_init(&s));
    uint8_t a[32], b[32];
    make_hash(a, 0x0123456789abcdefull, 0x11);
    make_hash(b, 0x0123456789abcdefull, 0x22);
    p2p_invset_add(&s, a);
    ck_assert(p2p_invset_has(&s, a));
    ck_assert(!p2p_invset_has(&s, b));
    p2p_invset_clear(&s);
}
END_TEST

/* 50,000 adds and lookups (one full inv message), the first 8 bytes of
 * the i-th hash being first8(i); the best of three runs, in microseconds. */
static int64_t time_adds(uint64_t (*first8)(uint64_t))
{
    int64_t best = INT64_MAX;
    for (int run = 0; run < 3; run++) {
        struct p2p_invset s;
        ck_assert(p2p_invset_init(&s));
        int64_t start = time_mono_us();
        for (uint64_t i = 1; i <= 50000; i++) {
            uint8_t h[32];
            make_hash(h, first8(i), 0);
            p2p_invset_add(&s, h);
            ck_assert(p2p_invset_has(&s, h));
        }
        int64_t took = time_mono_us() - start;
        if (took < best)
            best = took;
        p2p_invset_clear(&s);
    }
    return best;
}

/* An unseeded table indexed by these would put them all in one run of slots. */
static uint64_t clustered(uint64_t i) { return i * P2P_INVSET_SLOTS; }
static uint64_t spread(uint64_t i) { return i * 0x9e3779b97f4a7c15ull; }

/* Hashes chosen by a peer to collide cost no more than any others. */
START_TEST(invset_resists_clustering)
{
    int64_t normal = time_adds(spread);
    int64_t attack = time_adds(clustered);
    ck_assert_msg(attack < 3 * normal + 20000, "clustered hashes took %lld us, others %lld us",
                  (long long)attack, (long long)normal);
}
END_TEST

/* ------------------------------------------------------------ eviction */

#define MAX_FAKE 40
static struct p2p_peer *fake[MAX_FAKE];
static size_t n_fake;

static void fakes_clear(void)
{
    for (size_t i = 0; i < n_fake; i++)
        free(fake[i]);
    n_fake = 0;
}

/* An inbound peer from a.b.c.d that connected at `when`. */
static struct p2p_peer *fake_peer(uint8_t a, uint8_t b, uint8_t c, uint8_t d, int64_t when)
{
    ck_assert_uint_lt(n_fake, MAX_FAKE);
    struct p2p_peer *p = calloc(1, sizeof *p);
    ck_assert_ptr_nonnull(p);
    uint8_t v4[4] = {a, b, c, d};
    netaddr_from_ipv4(&p->ip, v4);
    p->id = n_fake;
    p->connect_mono = when;
    p->min_ping_us = -1;
    p->type = P2P_CONN_INBOUND;
    fake[n_fake++] = p;
    return p;
}

static struct p2p_peer *evict(uint64_t key)
{
    struct p2p_peer *c[MAX_FAKE];
    memcpy(c, fake, n_fake * sizeof *c);
    return p2p_select_eviction(c, n_fake, key);
}

/* Many peers from one /16 and a lone newcomer from elsewhere: the
 * newcomer stays (whatever the key), one of the crowd goes. */
START_TEST(evict_protects_a_distinct_group)
{
    for (uint64_t key = 1; key <= 20; key++) {
        for (int i = 0; i < 11; i++)
            fake_peer(1, 2, 3, (uint8_t)(10 + i), 100 + i);
        struct p2p_peer *lone = fake_peer(5, 6, 7, 8, 500);
        struct p2p_peer *v = evict(key * 0x9e3779b97f4a7c15ull);
        ck_assert_ptr_nonnull(v);
        ck_assert_ptr_ne(v, lone);
        ck_assert_uint_eq(v->ip.ip[12], 1);
        /* and it is the youngest of the crowd */
        ck_assert_int_eq(v->connect_mono, 110);
        fakes_clear();
    }
}
END_TEST

/* What is left after the protections loses its youngest peer of the
 * most crowded group, not simply its youngest peer. */
START_TEST(evict_from_the_largest_group)
{
    /* 4 groups of one old peer each take the group protection */
    for (int g = 0; g < 4; g++)
        fake_peer(9, (uint8_t)g, 0, 1, 1 + g);
    /* then, per group, the oldest keeps its place by age */
    for (int i = 0; i < 6; i++)
        fake_peer(20, 0, 0, (uint8_t)i, 10 + i);
    struct p2p_peer *y1 = fake_peer(30, 0, 0, 1, 100);
    struct p2p_peer *y2 = fake_peer(31, 0, 0, 1, 101);
    struct p2p_peer *v = evict(42);
    ck_assert_ptr_nonnull(v);
    /* 20.0/16 has the most peers left; y1/y2 are younger but alone */
    ck_assert_ptr_ne(v, y1);
    ck_assert_ptr_ne(v, y2);
    ck_assert_uint_eq(v->ip.ip[12], 20);
    ck_assert_int_eq(v->connect_mono, 15);
    fakes_clear();
}
END_TEST

START_TEST(evict_protects_useful_peers)
{
    for (int i = 0; i < 16; i++)
        fake_peer(1, 2, 3, (uint8_t)i, 100 + i);
    /* the youngest would go... */
    ck_assert_int_eq(evict(7)->connect_mono, 115);
    /* ...unless it brought the latest block, */
    fake[15]->last_block_time = 50;
    ck_assert_int_eq(evict(7)->connect_mono, 114);
    /* a tx, */
    fake[14]->last_tx_time = 50;
    ck_assert_int_eq(evict(7)->connect_mono, 113);
    /* or has a low measured ping; */
    fake[13]->min_ping_us = 800;
    ck_assert_int_eq(evict(7)->connect_mono, 112);
    /* a peer never pinged is not protected for its ping */
    for (int i = 0; i < 12; i++)
        ck_assert_int_lt(fake[i]->min_ping_us, 0);
    fakes_clear();
}
END_TEST

START_TEST(evict_nobody_when_all_protected)
{
    ck_assert_ptr_null(evict(1));
    /* 4 peers from 4 groups: all protected by their group */
    for (int g = 0; g < 4; g++)
        fake_peer(9, (uint8_t)g, 0, 1, 1 + g);
    ck_assert_ptr_null(evict(1));
    /* a fifth from one of those groups can go */
    struct p2p_peer *p = fake_peer(9, 0, 0, 2, 50);
    ck_assert_ptr_eq(evict(1), p);
    fakes_clear();
}
END_TEST

Suite *unit_suite(void)
{
    Suite *s = suite_create("peerdata");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, invset_remembers_and_forgets);
    tcase_add_test(tc, invset_uses_the_whole_hash);
    tcase_add_test(tc, invset_resists_clustering);
    tcase_add_test(tc, evict_protects_a_distinct_group);
    tcase_add_test(tc, evict_from_the_largest_group);
    tcase_add_test(tc, evict_protects_useful_peers);
    tcase_add_test(tc, evict_nobody_when_all_protected);
    suite_add_tcase(s, tc);
    return s;
}
