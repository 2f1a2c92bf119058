#include "unit.h"
#include "fixture.h"

#include <string.h>

#include "consensus/sigcache.h"

static void fill(uint8_t *p, size_t n, uint8_t v)
{
    memset(p, v, n);
}

START_TEST(remembers_exactly_what_was_added)
{
    ck_assert(sigcache_set_size(1 << 20));
    uint8_t h[32], k[32], s[64];
    fill(h, 32, 1);
    fill(k, 32, 2);
    fill(s, 64, 3);
    ck_assert(!sigcache_has(h, k, s));
    uint64_t hits = sigcache_hits();
    sigcache_add(h, k, s);
    ck_assert(sigcache_has(h, k, s));
    ck_assert_uint_eq(sigcache_hits(), hits + 1);
    /* Any other sighash, key or signature is a miss. */
    h[31] ^= 1;
    ck_assert(!sigcache_has(h, k, s));
    h[31] ^= 1;
    k[0] ^= 1;
    ck_assert(!sigcache_has(h, k, s));
    k[0] ^= 1;
    s[63] ^= 1;
    ck_assert(!sigcache_has(h, k, s));
    s[63] ^= 1;
    /* Resizing forgets, and size 0 turns it off. */
    ck_assert(sigcache_set_size(1 << 20));
    ck_assert(!sigcache_has(h, k, s));
    ck_assert(sigcache_set_size(0));
    sigcache_add(h, k, s);
    ck_assert(!sigcache_has(h, k, s));
}
END_TEST

START_TEST(bounded_and_keeps_a_block_worth)
{
    /* 64 KiB: 2,048 slots in sets of 4. Adding ten times that keeps the
     * table at its size (nothing grows) while recent entries stay. */
    ck_assert(sigcache_set_size(64 << 10));
    uint8_t h[32], k[32], s[64];
    fill(k, 32, 7);
    fill(s, 64, 9);
    for (uint32_t i = 0; i < 20480; i++) {
        fill(h, 32, 0);
        memcpy(h, &i, sizeof i);
        sigcache_add(h, k, s);
    }
    /* A block's worth (2,000) in a 1 MiB table (32,768 slots in sets of
     * 4): a set would need five of them to lose one, which the salted
     * keys make rare, so nearly all stay (a direct-mapped table loses
     * about 60 here). */
    ck_assert(sigcache_set_size(1 << 20));
    for (uint32_t i = 0; i < 2000; i++) {
        fill(h, 32, 0);
        memcpy(h, &i, sizeof i);
        sigcache_add(h, k, s);
    }
    size_t kept = 0;
    for (uint32_t i = 0; i < 2000; i++) {
        fill(h, 32, 0);
        memcpy(h, &i, sizeof i);
        kept += sigcache_has(h, k, s);
    }
    ck_assert_uint_ge(kept, 1990);
    ck_assert(sigcache_set_size(0));
}
END_TEST

Suite *unit_suite(void)
{
    const TTest *tests[] = {remembers_exactly_what_was_added, bounded_and_keeps_a_block_worth,
                            NULL};
    return fixture_suite("sigcache", NULL, tests);
}
