/* mkdtemp and nftw are POSIX/XSI. */
#define _XOPEN_SOURCE 700

#include "fixture.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "consensus/pow.h"
#include "consensus/subsidy.h"
#include "consensus/txsign.h"
#include "crypto/key.h"
#include "node/chain.h"
#include "node/mempool.h"
#include "util/hex.h"

/* ---- suites ---- */

TCase *fixture_case_add(Suite *s, const struct fixture_case *c, const TTest *const *tests)
{
    TCase *tc = tcase_create(c != NULL && c->name != NULL ? c->name : "core");
    if (c != NULL) {
        if (c->setup != NULL || c->teardown != NULL)
            tcase_add_checked_fixture(tc, c->setup, c->teardown);
        if (c->timeout > 0)
            tcase_set_timeout(tc, c->timeout);
    }
    for (size_t i = 0; tests[i] != NULL; i++)
        tcase_add_test(tc, tests[i]);
    suite_add_tcase(s, tc);
    return tc;
}

Suite *fixture_suite(const char *name, const struct fixture_case *c, const TTest *const *tests)
{
    Suite *s = suite_create(name);
    fixture_case_add(s, c, tests);
    return s;
}

/* ---- hex ---- */

void fixture_hex_buf(const char *hex, struct buf *out)
{
    buf_init(out);
    ck_assert_msg(hex_decode_buf(hex, strlen(hex), out), "bad hex in test: %s", hex);
}

void fixture_check_hex(const uint8_t *p, size_t len, const char *hex)
{
    char *s = malloc(2 * len + 1);
    ck_assert_ptr_nonnull(s);
    hex_encode(p, len, s);
    ck_assert_str_eq(s, hex);
    free(s);
}

struct u256 fixture_u256(const char *hex)
{
    struct u256 v;
    ck_assert_msg(u256_from_hex(&v, hex), "bad hex in test: %s", hex);
    return v;
}

void fixture_check_u256(const struct u256 *v, const char *hex)
{
    char s[U256_HEX_LEN + 1];
    u256_to_hex(v, s);
    ck_assert_str_eq(s, hex);
}

/* ---- keys and accounts ---- */

void fixture_user_new(struct fixture_user *u)
{
    ck_assert(key_generate(u->sk));
    ck_assert(key_pubkey(u->sk, u->pub));
}

void fixture_pubkey(uint8_t pub[32])
{
    struct fixture_user u;
    fixture_user_new(&u);
    memcpy(pub, u.pub, 32);
}

const struct chain_params *fixture_regtest(void)
{
    return chainparams_get(CHAIN_REGTEST);
}

void fixture_fund(struct state_view *v, const uint8_t pub[32], amount_t balance, uint64_t nonce)
{
    struct account a = {balance, nonce};
    ck_assert_int_eq(account_put(v, pub, &a), TXERR_OK);
}

struct account fixture_account(struct state_view *v, const uint8_t pub[32])
{
    struct account a;
    ck_assert_int_eq(account_get(v, pub, &a), TXERR_OK);
    return a;
}

/* ---- transactions ---- */

void fixture_transfer_payload(struct tx *tx, const struct transfer_payload *p)
{
    struct buf b;
    buf_init(&b);
    ck_assert(transfer_payload_encode(p, &b));
    ck_assert_int_eq(tx_set_payload(tx, b.data, b.len), SER_OK);
    buf_clear(&b);
    tx->type = TX_TYPE_TRANSFER;
}

void fixture_transfer(struct tx *tx, const uint8_t sk[32], const uint8_t to[32], amount_t amount,
                      uint64_t nonce, amount_t fee)
{
    struct transfer_payload p = {.amount = amount, .memo_len = 0};
    memcpy(p.to, to, 32);
    fixture_transfer_payload(tx, &p);
    tx->nonce = nonce;
    tx->fee = fee;
    ck_assert(txsign_sign(tx, sk, fixture_regtest()->genesis.hash));
}

/* ---- blocks ---- */

void fixture_grind(struct block *b)
{
    struct u256 limit;
    chainparams_pow_limit(fixture_regtest(), &limit);
    uint8_t h[SHA256_LEN];
    for (b->header.nonce = 0;; b->header.nonce++) {
        block_hash(b, h);
        if (pow_check(h, b->header.bits, &limit) == POW_OK)
            break;
    }
}

void fixture_block(struct block *b, const uint8_t *prev_hash, uint64_t time, uint64_t height,
                   const struct coinbase_payload *cb, const struct tx *txs, size_t n)
{
    block_clear(b);
    block_init(b);
    struct tx t;
    tx_init(&t);
    ck_assert(coinbase_build(&t, height, cb));
    ck_assert(block_take_tx(b, &t));
    for (size_t i = 0; i < n; i++) {
        ck_assert(tx_copy(&t, &txs[i]));
        ck_assert(block_take_tx(b, &t));
    }
    tx_clear(&t);
    if (prev_hash != NULL)
        memcpy(b->header.prev_hash, prev_hash, SHA256_LEN);
    b->header.time = time;
    b->header.bits = fixture_regtest()->pow_limit_bits;
    block_set_merkle_root(b);
    fixture_grind(b);
}

void fixture_block_on(struct block *b, const struct blockindex_entry *parent,
                      const uint8_t miner[32], const struct tx *txs, size_t n, uint8_t salt)
{
    amount_t fees = 0;
    for (size_t i = 0; i < n; i++)
        fees += txs[i].fee;
    uint64_t height = parent->height + 1;
    struct coinbase_payload cp = {
        .amount = subsidy_at(height, fixture_regtest()->halving_interval) + fees,
        .extra_len = 1,
        .extra = {salt},
    };
    memcpy(cp.recipient, miner, 32);
    fixture_block(b, parent->hash, parent->header.time + 60, height, &cp, txs, n);
}

/* ---- a tip with a mempool ---- */

void fixture_tip_init(struct fixture_tip *t, size_t pool_bytes, uint64_t height)
{
    state_view_init(&t->view, &state_empty_backend);
    state_view_as_backend(&t->view, &t->backend);
    t->pool = mempool_new(fixture_regtest(), pool_bytes);
    ck_assert_ptr_nonnull(t->pool);
    ck_assert(mempool_update_tip(t->pool, &t->backend, height));
}

void fixture_tip_clear(struct fixture_tip *t)
{
    mempool_free(t->pool);
    t->pool = NULL;
    state_view_clear(&t->view);
}

/* ---- temporary directories ---- */

void fixture_tmpdir_make(char *dir, size_t cap, const char *tag)
{
    int n = snprintf(dir, cap, "/tmp/souk-test-%s-XXXXXX", tag);
    ck_assert(n > 0 && (size_t)n < cap);
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void fixture_tmpdir_remove(const char *dir)
{
    /* depth first: a directory goes after what it holds; links are not followed */
    ck_assert_msg(nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) == 0, "cannot remove %s", dir);
}

struct chain *fixture_chain_open(const char *dir, bool reindex)
{
    struct chain *c = NULL;
    char err[512] = "";
    struct chain_options opt = {.cache_bytes = 8 << 20, .reindex = reindex};
    ck_assert_msg(chain_open(&c, fixture_regtest(), dir, &opt, err, sizeof err), "%s", err);
    return c;
}

enum txerr fixture_type_check(const struct txtype_def *def, const struct tx *tx,
                              enum ser_err *detail)
{
    struct txpayload p;
    txpayload_init(&p);
    enum txerr err = txtype_decode_check(def, tx, &p, detail);
    txpayload_clear(&p);
    return err;
}
