#include "consensus/chainparams.h"

#include <string.h>

#include "consensus/coinbase.h"
#include "consensus/subsidy.h"

/* x coordinate of BIP341's "nothing up my sleeve" point H: no one knows its
 * discrete logarithm, so the genesis coinbase can never be spent. */
#define CHAIN_NUMS_KEY                                                                      \
    {0x50, 0x92, 0x9b, 0x74, 0xc1, 0xa0, 0x49, 0x54, 0xb7, 0x8b, 0x4b, 0x60, 0x35, 0xe9, 0x7a, \
     0x5e, 0x07, 0x8a, 0x5a, 0x0f, 0x28, 0xec, 0x96, 0xd5, 0x47, 0xbf, 0xee, 0x9a, 0xce, 0x80, \
     0x3a, 0xc0}

/* 2026-11-25T00:00:00Z */
#define CHAIN_GENESIS_TIME 1795564800

static const struct chain_params chain_table[CHAIN_NETWORK_COUNT_] = {
    [CHAIN_MAIN] = {
        .network = CHAIN_MAIN,
        .name = "main",
        .datadir_sub = "",
        .magic = {0x53, 0x4f, 0x55, 0x4b},
        .hrp = "souk",
        .p2p_port = 8733,
        .rpc_port = 8732,
        .pow_limit_bits = 0x1e0fffff,
        .pow_no_retarget = false,
        .target_spacing = POW_TARGET_SPACING,
        .asert_half_life = POW_ASERT_HALF_LIFE,
        .halving_interval = SUBSIDY_HALVING_INTERVAL_MAIN,
        .coinbase_maturity = 100,
        .order_accept_timeout = 1440,
        .order_ship_timeout = 20160,
        .order_dispute_timeout = 43200,
        .review_window = 129600,
        .chat_pow_bits = 20,
        .min_chain_work = {0},
        .genesis = {
            .time = CHAIN_GENESIS_TIME,
            .bits = 0x1e0fffff,
            .nonce = 666399,
            .message = "souk genesis 2026-11-25: every trade signed, every review earned",
            .recipient = CHAIN_NUMS_KEY,
            .hash = {0x00, 0x00, 0x02, 0x7c, 0x60, 0x85, 0x42, 0x0c,
                     0x46, 0xcb, 0x15, 0xbb, 0xe1, 0x2d, 0xc3, 0x0f,
                     0x57, 0xfa, 0xe1, 0xe3, 0x2a, 0x90, 0x11, 0x40,
                     0xd1, 0xe7, 0x7e, 0x90, 0x69, 0x63, 0x2e, 0x65},
        },
    },
    [CHAIN_TEST] = {
        .network = CHAIN_TEST,
        .name = "test",
        .datadir_sub = "testnet",
        .magic = {0x73, 0x6f, 0x75, 0x6b},
        .hrp = "tsouk",
        .p2p_port = 18733,
        .rpc_port = 18732,
        .pow_limit_bits = 0x1e0fffff,
        .pow_no_retarget = false,
        .target_spacing = POW_TARGET_SPACING,
        .asert_half_life = POW_ASERT_HALF_LIFE,
        .halving_interval = SUBSIDY_HALVING_INTERVAL_MAIN,
        .coinbase_maturity = 100,
        .order_accept_timeout = 1440,
        .order_ship_timeout = 20160,
        .order_dispute_timeout = 43200,
        .review_window = 129600,
        .chat_pow_bits = 20,
        .min_chain_work = {0},
        .genesis = {
            .time = CHAIN_GENESIS_TIME,
            .bits = 0x1e0fffff,
            .nonce = 4739385,
            .message = "souk testnet genesis 2026-11-25",
            .recipient = CHAIN_NUMS_KEY,
            .hash = {0x00, 0x00, 0x01, 0xfa, 0x6e, 0xda, 0xc4, 0xd0,
                     0xa8, 0x80, 0xf8, 0xa8, 0xa1, 0x91, 0x05, 0x21,
                     0xdd, 0x2d, 0x14, 0x5d, 0xaf, 0xa4, 0x1b, 0x67,
                     0x82, 0x6b, 0x07, 0xb5, 0x8f, 0x7c, 0x0c, 0x3a},
        },
    },
    [CHAIN_REGTEST] = {
        .network = CHAIN_REGTEST,
        .name = "regtest",
        .datadir_sub = "regtest",
        .magic = {0x72, 0x73, 0x6f, 0x6b},
        .hrp = "rsouk",
        .p2p_port = 28733,
        .rpc_port = 28732,
        .pow_limit_bits = 0x207fffff,
        .pow_no_retarget = true,
        .target_spacing = POW_TARGET_SPACING,
        .asert_half_life = POW_ASERT_HALF_LIFE,
        .halving_interval = SUBSIDY_HALVING_INTERVAL_REGTEST,
        .coinbase_maturity = 100,
        .order_accept_timeout = 20,
        .order_ship_timeout = 30,
        .order_dispute_timeout = 40,
        .review_window = 50,
        .chat_pow_bits = 1,
        .min_chain_work = {0},
        .genesis = {
            .time = CHAIN_GENESIS_TIME,
            .bits = 0x207fffff,
            .nonce = 3,
            .message = "souk regtest genesis",
            .recipient = CHAIN_NUMS_KEY,
            .hash = {0x0f, 0x3f, 0x3c, 0x5b, 0xb8, 0xec, 0xd9, 0x32,
                     0x9b, 0xed, 0x46, 0x35, 0x83, 0xcc, 0x45, 0xe4,
                     0xa9, 0xb7, 0x2d, 0x26, 0x8e, 0x91, 0x98, 0xd9,
                     0xed, 0xfc, 0xd5, 0xde, 0x8a, 0x89, 0x64, 0x32},
        },
    },
};

const struct chain_params *chainparams_get(enum chain_network net)
{
    if ((unsigned)net >= CHAIN_NETWORK_COUNT_)
        return NULL;
    return &chain_table[net];
}

const struct chain_params *chainparams_by_name(const char *name)
{
    for (int i = 0; i < CHAIN_NETWORK_COUNT_; i++)
        if (strcmp(chain_table[i].name, name) == 0)
            return &chain_table[i];
    return NULL;
}

void chainparams_pow_limit(const struct chain_params *p, struct u256 *out)
{
    /* The table's limits are valid compact values (a unit test checks). */
    if (pow_bits_to_target(p->pow_limit_bits, out) != POW_OK)
        u256_from_u64(out, 0);
}

void chainparams_min_chain_work(const struct chain_params *p, struct u256 *out)
{
    u256_from_be(out, p->min_chain_work);
}

bool chainparams_build_genesis_nonce(const struct chain_params *p, uint64_t nonce,
                                     struct block *out)
{
    const struct chain_genesis *g = &p->genesis;
    struct coinbase_payload payload;
    memcpy(payload.recipient, g->recipient, sizeof payload.recipient);
    payload.amount = subsidy_at(0, p->halving_interval);
    payload.extra_len = strlen(g->message);
    if (payload.extra_len > sizeof payload.extra)
        return false;
    memset(payload.extra, 0, sizeof payload.extra);
    memcpy(payload.extra, g->message, payload.extra_len);

    struct block b;
    struct tx cb;
    block_init(&b);
    tx_init(&cb);
    if (!coinbase_build(&cb, 0, &payload) || !block_take_tx(&b, &cb)) {
        tx_clear(&cb);
        block_clear(&b);
        return false;
    }
    tx_clear(&cb);
    memset(b.header.prev_hash, 0, sizeof b.header.prev_hash);
    b.header.time = g->time;
    b.header.bits = g->bits;
    b.header.nonce = nonce;
    block_set_merkle_root(&b);
    block_clear(out);
    *out = b;
    return true;
}

bool chainparams_build_genesis(const struct chain_params *p, struct block *out)
{
    return chainparams_build_genesis_nonce(p, p->genesis.nonce, out);
}

enum pow_result chainparams_next_bits(const struct chain_params *p, uint64_t parent_height,
                                      int64_t parent_time, uint32_t *bits)
{
    if (p->pow_no_retarget) {
        *bits = p->pow_limit_bits;
        return POW_OK;
    }
    struct pow_asert_params ap = {
        .anchor_bits = p->genesis.bits,
        .anchor_time = (int64_t)p->genesis.time,
        .spacing = p->target_spacing,
        .half_life = p->asert_half_life,
    };
    chainparams_pow_limit(p, &ap.pow_limit);
    return pow_asert_next_bits(&ap, parent_height, parent_time, bits);
}
