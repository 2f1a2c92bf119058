#include "unit.h"
#include "fixture.h"

#include <string.h>

#include "consensus/merkle.h"
#include "crypto/sha256.h"

/* The expected roots are built here straight from the definition, one
 * sha256 call per leaf and node, independently of the incremental builder. */
static void leaf(const uint8_t txid[SHA256_LEN], uint8_t out[SHA256_LEN])
{
    uint8_t pre[33];
    pre[0] = 0x00;
    memcpy(pre + 1, txid, 32);
    sha256(pre, sizeof pre, out);
}

static void node(const uint8_t l[SHA256_LEN], const uint8_t r[SHA256_LEN], uint8_t out[SHA256_LEN])
{
    uint8_t pre[65];
    pre[0] = 0x01;
    memcpy(pre + 1, l, 32);
    memcpy(pre + 33, r, 32);
    sha256(pre, sizeof pre, out);
}

static uint8_t txids[8][SHA256_LEN];
static uint8_t L[8][SHA256_LEN];

static void setup(void)
{
    for (int i = 0; i < 8; i++) {
        memset(txids[i], i, SHA256_LEN);
        leaf(txids[i], L[i]);
    }
}

static void check_root(size_t n, const uint8_t expect[SHA256_LEN])
{
    uint8_t got[SHA256_LEN];
    merkle_root((const uint8_t(*)[SHA256_LEN])txids, n, got);
    ck_assert_msg(memcmp(got, expect, SHA256_LEN) == 0, "root of %zu leaves", n);
}

START_TEST(empty_root)
{
    uint8_t expect[SHA256_LEN];
    unit_hex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", expect, 32);
    check_root(0, expect);
}
END_TEST

START_TEST(small_trees)
{
    uint8_t e[SHA256_LEN], a[SHA256_LEN], b[SHA256_LEN], c[SHA256_LEN], d[SHA256_LEN];

    check_root(1, L[0]);
    /* a fixed answer, so the leaf prefix itself is pinned too */
    unit_hex("7f9c9e31ac8256ca2f258583df262dbc7d6f68f2a03043d5c99a4ae5a7396ce9", e, 32);
    check_root(1, e);

    node(L[0], L[1], e);
    check_root(2, e);

    /* 3: the third leaf is promoted, not paired with itself */
    node(L[0], L[1], a);
    node(a, L[2], e);
    check_root(3, e);
    unit_hex("ba8d94b7fbcecae7b81c4c80574fe24734a6917bf9c1ecd66ff3e0c34ead4620", a, 32);
    ck_assert(memcmp(e, a, 32) == 0);

    node(L[0], L[1], a);
    node(L[2], L[3], b);
    node(a, b, c);
    check_root(4, c);

    /* 5: the fifth leaf rides up two levels unchanged */
    node(c, L[4], e);
    check_root(5, e);

    node(L[4], L[5], d);
    node(c, d, e);
    check_root(6, e);

    /* 7: [N01, N23, N45, L6] -> [N0123, N(N45, L6)] -> root */
    node(d, L[6], b);
    node(c, b, e);
    check_root(7, e);
}
END_TEST

/* Duplicating the last txid must change the root (the flaw of trees that
 * pair an odd node with itself). */
START_TEST(duplicate_last_differs)
{
    for (size_t n = 1; n <= 6; n++) {
        uint8_t list[8][SHA256_LEN];
        memcpy(list, txids, sizeof list);
        memcpy(list[n], list[n - 1], SHA256_LEN);
        uint8_t r1[SHA256_LEN], r2[SHA256_LEN];
        merkle_root((const uint8_t(*)[SHA256_LEN])list, n, r1);
        merkle_root((const uint8_t(*)[SHA256_LEN])list, n + 1, r2);
        ck_assert_msg(memcmp(r1, r2, SHA256_LEN) != 0, "n=%zu", n);
    }
}
END_TEST

/* The order of txids matters and a root is not a leaf of a larger tree. */
START_TEST(order_and_position)
{
    uint8_t r1[SHA256_LEN], r2[SHA256_LEN];
    uint8_t swapped[2][SHA256_LEN];
    memcpy(swapped[0], txids[1], 32);
    memcpy(swapped[1], txids[0], 32);
    merkle_root((const uint8_t(*)[SHA256_LEN])txids, 2, r1);
    merkle_root((const uint8_t(*)[SHA256_LEN])swapped, 2, r2);
    ck_assert(memcmp(r1, r2, 32) != 0);
    /* a single txid equal to a two-leaf root does not give that root */
    uint8_t one[1][SHA256_LEN];
    memcpy(one[0], r1, 32);
    merkle_root((const uint8_t(*)[SHA256_LEN])one, 1, r2);
    ck_assert(memcmp(r1, r2, 32) != 0);
}
END_TEST

/* merkle_final does not disturb the builder; adding more continues the list. */
START_TEST(incremental_matches_one_shot)
{
    struct merkle m;
    merkle_init(&m);
    for (size_t n = 0; n <= 8; n++) {
        uint8_t a[SHA256_LEN], b[SHA256_LEN];
        merkle_final(&m, a);
        merkle_root((const uint8_t(*)[SHA256_LEN])txids, n, b);
        ck_assert_msg(memcmp(a, b, 32) == 0, "n=%zu", n);
        ck_assert_uint_eq(m.count, n);
        if (n < 8)
            merkle_add(&m, txids[n]);
    }
}
END_TEST

Suite *unit_suite(void)
{
    static const struct fixture_case tc = {.setup = setup};
    const TTest *tests[] = {
        empty_root, small_trees, duplicate_last_differs, order_and_position,
        incremental_matches_one_shot, NULL
    };
    return fixture_suite("merkle", &tc, tests);
}
