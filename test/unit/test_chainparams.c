#include "unit.h"
#include "fixture.h"

#include <string.h>

#include "consensus/chainparams.h"
#include "consensus/coinbase.h"
#include "consensus/merkle.h"
#include "consensus/subsidy.h"
#include "consensus/txcheck.h"

static const struct chain_params *net(int i)
{
    const struct chain_params *p = chainparams_get((enum chain_network)i);
    ck_assert_ptr_nonnull(p);
    return p;
}

/* The hard-coded hash is what the code computes from the fixed inputs. */
START_TEST(genesis_hash_matches_code)
{
    for (int i = 0; i < CHAIN_NETWORK_COUNT_; i++) {
        const struct chain_params *p = net(i);
        struct block b;
        block_init(&b);
        ck_assert(chainparams_build_genesis(p, &b));
        uint8_t h[SHA256_LEN];
        block_hash(&b, h);
        ck_assert_msg(memcmp(h, p->genesis.hash, SHA256_LEN) == 0, "%s genesis hash", p->name);
        block_clear(&b);
    }
}
END_TEST

START_TEST(genesis_meets_its_target)
{
    for (int i = 0; i < CHAIN_NETWORK_COUNT_; i++) {
        const struct chain_params *p = net(i);
        struct u256 limit;
        chainparams_pow_limit(p, &limit);
        ck_assert(!u256_is_zero(&limit));
        ck_assert_int_eq(pow_check(p->genesis.hash, p->genesis.bits, &limit), POW_OK);
        /* the stored nonce is needed: a neighbour of it does not do for main */
        if (p->network == CHAIN_MAIN) {
            struct block b;
            block_init(&b);
            ck_assert(chainparams_build_genesis_nonce(p, p->genesis.nonce + 1, &b));
            uint8_t h[SHA256_LEN];
            block_hash(&b, h);
            ck_assert_int_eq(pow_check(h, b.header.bits, &limit), POW_ERR_HASH_ABOVE_TARGET);
            block_clear(&b);
        }
    }
}
END_TEST

START_TEST(genesis_contents)
{
    for (int i = 0; i < CHAIN_NETWORK_COUNT_; i++) {
        const struct chain_params *p = net(i);
        struct block b;
        block_init(&b);
        ck_assert(chainparams_build_genesis(p, &b));
        ck_assert_uint_eq(b.tx_count, 1);
        const struct tx *cb = &b.txs[0];
        ck_assert(tx_is_coinbase(cb));
        ck_assert_uint_eq(cb->nonce, 0);
        ck_assert_int_eq(txcheck_stateless(cb, p->genesis.hash, NULL), TXERR_OK);

        size_t len;
        const uint8_t *bytes = tx_payload_bytes(cb, &len);
        struct coinbase_payload pl;
        ck_assert_int_eq(coinbase_payload_decode(bytes, len, &pl), SER_OK);
        ck_assert_uint_eq(pl.amount, subsidy_at(0, p->halving_interval));
        ck_assert_uint_eq(pl.extra_len, strlen(p->genesis.message));
        ck_assert(memcmp(pl.extra, p->genesis.message, pl.extra_len) == 0);

        uint8_t txid[SHA256_LEN], root[SHA256_LEN];
        tx_txid(cb, txid);
        merkle_root((const uint8_t(*)[SHA256_LEN])txid, 1, root);
        ck_assert(memcmp(root, b.header.merkle_root, SHA256_LEN) == 0);

        uint8_t zero[SHA256_LEN] = {0};
        ck_assert(memcmp(b.header.prev_hash, zero, SHA256_LEN) == 0);
        ck_assert_uint_eq(b.header.time, p->genesis.time);
        ck_assert_uint_eq(b.header.bits, p->genesis.bits);
        block_clear(&b);
    }
}
END_TEST

START_TEST(networks_are_distinct)
{
    for (int i = 0; i < CHAIN_NETWORK_COUNT_; i++)
        for (int j = i + 1; j < CHAIN_NETWORK_COUNT_; j++) {
            ck_assert(memcmp(net(i)->genesis.hash, net(j)->genesis.hash, SHA256_LEN) != 0);
            ck_assert(memcmp(net(i)->magic, net(j)->magic, 4) != 0);
            ck_assert_str_ne(net(i)->hrp, net(j)->hrp);
            ck_assert_uint_ne(net(i)->p2p_port, net(j)->p2p_port);
        }
}
END_TEST

/* The network constants (doc/protocol.md, doc/consensus.md). */
START_TEST(constants_table)
{
    const struct chain_params *m = chainparams_by_name("main");
    const struct chain_params *t = chainparams_by_name("test");
    const struct chain_params *r = chainparams_by_name("regtest");
    ck_assert_ptr_eq(m, chainparams_get(CHAIN_MAIN));
    ck_assert_ptr_eq(t, chainparams_get(CHAIN_TEST));
    ck_assert_ptr_eq(r, chainparams_get(CHAIN_REGTEST));
    ck_assert_ptr_null(chainparams_by_name("mainnet"));
    ck_assert_ptr_null(chainparams_by_name(""));
    ck_assert_ptr_null(chainparams_get(CHAIN_NETWORK_COUNT_));

    const uint8_t mm[4] = {0x53, 0x4f, 0x55, 0x4b}, tm[4] = {0x73, 0x6f, 0x75, 0x6b},
                  rm[4] = {0x72, 0x73, 0x6f, 0x6b};
    ck_assert(memcmp(m->magic, mm, 4) == 0);
    ck_assert(memcmp(t->magic, tm, 4) == 0);
    ck_assert(memcmp(r->magic, rm, 4) == 0);
    ck_assert_str_eq(m->hrp, "souk");
    ck_assert_str_eq(t->hrp, "tsouk");
    ck_assert_str_eq(r->hrp, "rsouk");
    ck_assert_uint_eq(m->p2p_port, 8733);
    ck_assert_uint_eq(m->rpc_port, 8732);
    ck_assert_uint_eq(t->p2p_port, 18733);
    ck_assert_uint_eq(t->rpc_port, 18732);
    ck_assert_uint_eq(r->p2p_port, 28733);
    ck_assert_uint_eq(r->rpc_port, 28732);
    ck_assert_str_eq(m->datadir_sub, "");
    ck_assert_str_eq(t->datadir_sub, "testnet");
    ck_assert_str_eq(r->datadir_sub, "regtest");
    ck_assert_uint_eq(m->halving_interval, 1051200);
    ck_assert_uint_eq(r->halving_interval, 150);
    ck_assert_uint_eq(r->pow_limit_bits, 0x207fffff);
    ck_assert(r->pow_no_retarget);
    ck_assert(!m->pow_no_retarget);
    ck_assert_int_eq(m->asert_half_life, 7200);
    for (int i = 0; i < CHAIN_NETWORK_COUNT_; i++) {
        ck_assert_uint_eq(net(i)->coinbase_maturity, 100);
        ck_assert_int_eq(net(i)->target_spacing, 60);
        /* the genesis starts at the easiest target */
        ck_assert_uint_eq(net(i)->genesis.bits, net(i)->pow_limit_bits);
    }
    ck_assert_uint_eq(r->order_accept_timeout, 20);
    ck_assert_uint_eq(r->order_ship_timeout, 30);
    ck_assert_uint_eq(r->order_dispute_timeout, 40);
    ck_assert_uint_eq(r->review_window, 50);
    ck_assert_uint_eq(m->order_accept_timeout, 1440);
    ck_assert_uint_eq(m->order_ship_timeout, 20160);
    ck_assert_uint_eq(m->order_dispute_timeout, 43200);
    ck_assert_uint_eq(m->review_window, 129600);
}
END_TEST

START_TEST(next_bits_rules)
{
    uint32_t bits = 0;
    const struct chain_params *r = chainparams_get(CHAIN_REGTEST);
    /* regtest never retargets, however the blocks are timed */
    ck_assert_int_eq(chainparams_next_bits(r, 10, (int64_t)r->genesis.time + 1, &bits), POW_OK);
    ck_assert_uint_eq(bits, 0x207fffff);
    ck_assert_int_eq(chainparams_next_bits(r, 10, (int64_t)r->genesis.time + 1000000, &bits), POW_OK);
    ck_assert_uint_eq(bits, 0x207fffff);

    const struct chain_params *m = chainparams_get(CHAIN_MAIN);
    int64_t t0 = (int64_t)m->genesis.time;
    /* on schedule: the genesis target */
    ck_assert_int_eq(chainparams_next_bits(m, 100, t0 + 100 * 60, &bits), POW_OK);
    ck_assert_uint_eq(bits, m->genesis.bits);
    /* a half-life ahead of schedule: half the target */
    ck_assert_int_eq(chainparams_next_bits(m, 1000, t0 + 1000 * 60 - 7200, &bits), POW_OK);
    struct u256 half;
    ck_assert_int_eq(pow_bits_to_target(m->genesis.bits, &half), POW_OK);
    u256_shr(&half, &half, 1);
    ck_assert_uint_eq(bits, pow_target_to_bits(&half)); /* compact form rounds down */
    ck_assert_uint_ne(bits, m->genesis.bits);
    /* behind schedule: clamped at the limit, which is the genesis target */
    ck_assert_int_eq(chainparams_next_bits(m, 10, t0 + 100000, &bits), POW_OK);
    ck_assert_uint_eq(bits, m->pow_limit_bits);
}
END_TEST

Suite *unit_suite(void)
{
    const TTest *tests[] = {
        genesis_hash_matches_code, genesis_meets_its_target, genesis_contents,
        networks_are_distinct, constants_table, next_bits_rules, NULL
    };
    return fixture_suite("chainparams", NULL, tests);
}
