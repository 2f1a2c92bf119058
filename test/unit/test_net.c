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

Suite *unit_suite(void)
{
    Suite *s = suite_create("net");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, invset_remembers_and_forgets);
    tcase_add_test(tc, invset_uses_the_whole_hash);
    tcase_add_test(tc, invset_resists_clustering);
    suite_add_tcase(s, tc);
    return s;
}
