/* fixture: the setup the unit tests share, so that each test file says only
 * what is particular to it.
 *
 * Suites of check test cases; hex in and out; fresh key pairs; funded
 * accounts in a state view (over state_empty_backend); signed regtest
 * transfers; regtest blocks ground to meet their target; a tip view with a
 * mempool on it; temporary directories; a regtest chain opened in one. Every
 * helper fails the running test (ck_assert) when its own setup fails, so a
 * test reads as its checks. Nothing here owns anything past the call except
 * where a name says so (fixture_tip_init/clear, fixture_chain_open). */
#ifndef SOUK_TEST_FIXTURE_H
#define SOUK_TEST_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/account.h"
#include "consensus/block.h"
#include "consensus/chainparams.h"
#include "consensus/coinbase.h"
#include "consensus/state.h"
#include "consensus/transfer.h"
#include "consensus/txtype.h"
#include "consensus/uint256.h"
#include "unit.h"
#include "util/amount.h"
#include "util/buf.h"

struct blockindex_entry;
struct chain;
struct mempool;

/* ---- suites ---- */

/* How one test case runs; a zero field keeps check's default. */
struct fixture_case {
    const char *name;        /* "core" when NULL */
    void (*setup)(void);     /* a checked fixture: runs in each test's process */
    void (*teardown)(void);
    int timeout;             /* seconds */
};

/* Adds a test case holding tests (NULL-terminated) to s and returns it, for
 * tests of other kinds (loop tests) to join. c may be NULL. */
TCase *fixture_case_add(Suite *s, const struct fixture_case *c, const TTest *const *tests);
/* A suite of one test case: the shape most test files need. */
Suite *fixture_suite(const char *name, const struct fixture_case *c, const TTest *const *tests);

/* ---- hex ---- */

/* out (uninitialized) gets the bytes of hex; a bad hex string fails the test. */
void fixture_hex_buf(const char *hex, struct buf *out);
/* Fails the test unless p[0..len) is hex (lowercase). */
void fixture_check_hex(const uint8_t *p, size_t len, const char *hex);
struct u256 fixture_u256(const char *hex);
void fixture_check_u256(const struct u256 *v, const char *hex);

/* ---- keys and accounts ---- */

struct fixture_user {
    uint8_t sk[32];
    uint8_t pub[32];
};

/* A fresh random key pair. */
void fixture_user_new(struct fixture_user *u);
/* A fresh public key whose secret nobody keeps. */
void fixture_pubkey(uint8_t pub[32]);

const struct chain_params *fixture_regtest(void);

/* Sets pub's account in v. */
void fixture_fund(struct state_view *v, const uint8_t pub[32], amount_t balance, uint64_t nonce);
/* pub's account as v sees it (zero when it never existed). */
struct account fixture_account(struct state_view *v, const uint8_t pub[32]);

/* ---- transactions ---- */

/* Gives tx (initialized) p as its payload and the transfer type; the other
 * fields are left as they are. */
void fixture_transfer_payload(struct tx *tx, const struct transfer_payload *p);
/* The type's stateless rules (field table + check) on tx, payload thrown away. */
enum txerr fixture_type_check(const struct txtype_def *def, const struct tx *tx,
                              enum ser_err *detail);
/* Makes tx (initialized) a transfer of amount to `to`, without a memo, at
 * nonce with fee, signed with sk for regtest. */
void fixture_transfer(struct tx *tx, const uint8_t sk[32], const uint8_t to[32], amount_t amount,
                      uint64_t nonce, amount_t fee);

/* ---- blocks ---- */

/* Counts b's nonce up from zero until its hash meets its bits under
 * regtest's limit. */
void fixture_grind(struct block *b);
/* Makes b (initialized) a regtest block at height: a coinbase paying cb,
 * then copies of txs[0..n), on prev_hash (zeros when NULL) at time, with
 * regtest's bits and the right merkle root, ground. */
void fixture_block(struct block *b, const uint8_t *prev_hash, uint64_t time, uint64_t height,
                   const struct coinbase_payload *cb, const struct tx *txs, size_t n);
/* The next regtest block on parent a minute later, its coinbase paying
 * subsidy + fees to miner; salt goes into the coinbase so that siblings
 * differ. */
void fixture_block_on(struct block *b, const struct blockindex_entry *parent,
                      const uint8_t miner[32], const struct tx *txs, size_t n, uint8_t salt);

/* ---- a tip with a mempool ---- */

/* A view over the empty backend standing for the chain tip (fund accounts
 * in it), the view as a backend, and a regtest mempool on it. */
struct fixture_tip {
    struct state_view view;
    struct state_backend backend;
    struct mempool *pool;
};

/* The pool holds at most pool_bytes and is told the tip is at height. */
void fixture_tip_init(struct fixture_tip *t, size_t pool_bytes, uint64_t height);
void fixture_tip_clear(struct fixture_tip *t);

/* ---- temporary directories ---- */

/* Makes a fresh empty directory /tmp/souk-test-<tag>-XXXXXX into dir. */
void fixture_tmpdir_make(char *dir, size_t cap, const char *tag);
/* Removes dir and everything below it. */
void fixture_tmpdir_remove(const char *dir);

/* A regtest chain with its data in dir; the caller closes it. */
struct chain *fixture_chain_open(const char *dir, bool reindex);

#endif
