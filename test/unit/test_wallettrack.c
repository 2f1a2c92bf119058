/* How a wallet follows the chain when things go wrong or overlap: blocks
 * arriving while a wallet loads, keys added after a tx was recorded, and a
 * database change that fails half-way. */
#include "unit.h"
#include "fixture.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "consensus/transfer.h"
#include "consensus/txsign.h"
#include "node/chain.h"
#include "node/mempool.h"
#include "node/miner.h"
#include "node/services.h"
#include "util/time.h"
#include "wallet/wallet.h"
#include "wallet/wallet_impl.h"

#define COIN AMOUNT_COIN

static char dir[256];
static struct node_ctx node;
static struct args args;
static struct walletman *wm;

static void setup(void)
{
    fixture_tmpdir_make(dir, sizeof dir, "wallettrack");
    char err[512] = "";
    memset(&node, 0, sizeof node);
    ck_assert_int_eq(args_init(&args, services_options, services_options_count, err, sizeof err),
                     ARGS_OK);
    node.args = &args;
    node.params = fixture_regtest();
    snprintf(node.datadir, sizeof node.datadir, "%s", dir);
    pthread_mutex_init(&node.lock, NULL);
    ck_assert_msg(services_start(&node, err, sizeof err), "%s", err);
    ck_assert_int_eq(walletman_new(&node, &wm, err, sizeof err), WALLET_OK);
}

static void teardown(void)
{
    walletman_free(wm);
    services_stop(&node);
    pthread_mutex_destroy(&node.lock);
    args_clear(&args);
    fixture_tmpdir_remove(dir);
}

/* Wallets follow the chain on their index threads: what a test reads
 * next must include the blocks just mined. */
static void sync_wallets(void)
{
    pthread_mutex_lock(&wm->mu);
    size_t n = wm->n;
    struct wallet *ws[16];
    for (size_t i = 0; i < n && i < 16; i++)
        ws[i] = wm->wallets[i];
    pthread_mutex_unlock(&wm->mu);
    for (size_t i = 0; i < n && i < 16; i++) {
        char err[256];
        ck_assert_msg(wallet_sync(ws[i], err, sizeof err) == WALLET_OK, "%s", err);
    }
}

/* Mines n blocks of mempool txs paying recipient. */
static void mine_to(const uint8_t recipient[32], size_t n)
{
    struct block b;
    block_init(&b);
    for (size_t i = 0; i < n; i++) {
        pthread_mutex_lock(&node.lock);
        struct blockindex_entry *tip = chain_tip(services_chain(&node));
        struct miner_request mr;
        memset(&mr, 0, sizeof mr);
        memcpy(mr.prev_hash, tip->hash, 32);
        mr.parent_height = tip->height;
        mr.parent_time = (int64_t)tip->header.time;
        mr.time = tip->header.time + 60;
        memcpy(mr.recipient, recipient, 32);
        struct state_backend be;
        chain_tip_backend(services_chain(&node), &be);
        ck_assert_int_eq(miner_create_block(services_mempool(&node), &be, node.params, &mr, &b,
                                            NULL),
                         MINER_OK);
        bool found;
        ck_assert(miner_grind(&b, node.params, 1000000, &found) && found);
        char reason[128];
        struct block_fault f;
        ck_assert_int_eq(services_process_block(&node, &b, &f, reason, sizeof reason), CHAIN_OK);
        pthread_mutex_unlock(&node.lock);
    }
    block_clear(&b);
    sync_wallets();
}

static void pub_of(const char *addr, uint8_t pub[32])
{
    ck_assert_int_eq(address_decode("rsouk", addr, pub), ADDRESS_OK);
}

static struct wallet *create(const char *name)
{
    struct wallet *w = NULL;
    char err[512] = "";
    ck_assert_msg(walletman_create(wm, name, NULL, NULL, &w, err, sizeof err) == WALLET_OK,
                  "%s", err);
    return w;
}

static bool count_tx(void *ctx, const struct wallet_tx_info *t)
{
    (void)t;
    (*(size_t *)ctx)++;
    return true;
}

static size_t history_len(struct wallet *w)
{
    size_t n = 0;
    ck_assert_int_eq(wallet_list_txs(w, SIZE_MAX, 0, count_tx, &n), WALLET_OK);
    return n;
}

/* A wallet loaded after missing blocks catches up through its index
 * thread, blocks that connect while it does included, and loses none
 * (walletman_load runs the same steps). */
START_TEST(block_while_loading_does_not_skip_missed_blocks)
{
    struct wallet *w = create("late");
    char addr[ADDRESS_MAX_LEN + 1], err[512] = "";
    uint8_t pub[32];
    ck_assert_int_eq(wallet_new_address(w, NULL, addr), WALLET_OK);
    pub_of(addr, pub);
    mine_to(pub, 2);
    ck_assert_uint_eq(history_len(w), 2);
    ck_assert_int_eq(walletman_unload(wm, "late"), WALLET_OK);
    mine_to(pub, 5); /* missed while unloaded */

    char path[400];
    snprintf(path, sizeof path, "%s/wallets/late/wallet.sqlite", dir);
    struct wallet *l = NULL;
    ck_assert_int_eq(wallet_open_file(wm, "late", path, false, NULL, NULL, &l, err, sizeof err),
                     WALLET_OK);
    ck_assert_msg(walletman_attach(wm, l, err, sizeof err) == WALLET_OK, "%s", err);
    mine_to(pub, 1); /* while its thread may still be catching up */
    ck_assert_msg(wallet_sync(l, err, sizeof err) == WALLET_OK, "%s", err);
    ck_assert_uint_eq(history_len(l), 8);
    struct wallet_balances b;
    ck_assert_int_eq(wallet_get_balances(l, &b), WALLET_OK);
    ck_assert_uint_eq(b.immature, 8 * 50 * COIN);
}
END_TEST

/* A tx recorded when only its recipient was the wallet's is recorded again
 * in full once the sender's key is imported: a payment to itself, with
 * the fee it paid, not money coming in. */
START_TEST(import_reclassifies_recorded_txs)
{
    struct wallet *w = create("re");
    char addr[ADDRESS_MAX_LEN + 1];
    uint8_t pub[32], outside[32];
    ck_assert_int_eq(wallet_new_address(w, NULL, addr), WALLET_OK);
    pub_of(addr, pub);
    fixture_pubkey(outside);
    struct fixture_user u;
    fixture_user_new(&u);
    mine_to(u.pub, 101); /* u's first coinbase is mature */

    struct tx tx;
    tx_init(&tx);
    fixture_transfer(&tx, u.sk, pub, 10 * COIN, 0, 1000);
    struct mempool_accept_info info;
    memset(&info, 0, sizeof info);
    pthread_mutex_lock(&node.lock);
    ck_assert_int_eq(services_accept_tx(&node, &tx, &info), MEMPOOL_OK);
    pthread_mutex_unlock(&node.lock);
    uint8_t txid[32];
    tx_txid(&tx, txid);
    tx_clear(&tx);
    mine_to(outside, 1);

    struct wallet_tx_info t;
    ck_assert_int_eq(wallet_get_tx(w, txid, &t, NULL), WALLET_OK);
    ck_assert_str_eq(t.category, "receive");
    ck_assert_int_eq(t.amount, 10 * COIN);
    ck_assert_uint_eq(t.fee, 0);

    ck_assert_int_eq(wallet_import_privkey(w, u.sk, "u", true), WALLET_OK);
    ck_assert_int_eq(wallet_get_tx(w, txid, &t, NULL), WALLET_OK);
    ck_assert_str_eq(t.category, "self");
    ck_assert_int_eq(t.amount, 0);
    ck_assert_uint_eq(t.fee, 1000);
    ck_assert_int_eq(t.confirmations, 1);
    /* u's mined coins are the wallet's history now too */
    ck_assert_uint_eq(history_len(w), 1 + 101);
}
END_TEST

static void wallet_file_sql(const char *name, const char *sql)
{
    char path[400];
    snprintf(path, sizeof path, "%s/wallets/%s/wallet.sqlite", dir, name);
    sqlite3 *db = NULL;
    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    char *msg = NULL;
    ck_assert_msg(sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK, "%s", msg);
    sqlite3_close(db);
}

/* A block recorded half-way and rolled back (the disk full, say) must not
 * leave keys handed out in memory only: the rescan that repairs the
 * history has to write them, or the wallet hands out an address the chain
 * has already seen once it is loaded again. */
START_TEST(failed_change_leaves_keys_as_the_file_has_them)
{
    uint8_t seed[32];
    for (int i = 0; i < 32; i++)
        seed[i] = (uint8_t)(0x40 + i);
    struct wallet *w = NULL;
    char err[512] = "";
    ck_assert_int_eq(walletman_create(wm, "rb", NULL, seed, &w, err, sizeof err), WALLET_OK);
    char addr0[ADDRESS_MAX_LEN + 1], addr1[ADDRESS_MAX_LEN + 1], addr2[ADDRESS_MAX_LEN + 1];
    uint8_t sk[32], pub1[32], pub2[32];
    ck_assert_int_eq(walletkeys_derive(seed, 1, sk, pub1), WALLETKEYS_OK);
    ck_assert_int_eq(walletkeys_derive(seed, 2, sk, pub2), WALLETKEYS_OK);
    ck_assert_int_eq(address_encode("rsouk", pub1, addr1, sizeof addr1), ADDRESS_OK);
    ck_assert_int_eq(address_encode("rsouk", pub2, addr2, sizeof addr2), ADDRESS_OK);
    ck_assert_int_eq(wallet_new_address(w, NULL, addr0), WALLET_OK); /* index 0 */

    /* Pool key 1 is paid by a block whose recording fails at its end. */
    wallet_file_sql("rb", "CREATE TRIGGER fail_best BEFORE INSERT ON meta "
                          "WHEN NEW.name = 'best_hash' BEGIN SELECT RAISE(ABORT, 'injected'); "
                          "END");
    mine_to(pub1, 1);
    ck_assert_uint_eq(history_len(w), 0);
    struct wallet_info info;
    ck_assert_int_eq(wallet_get_info(w, &info), WALLET_OK);
    ck_assert_uint_eq(info.next_index, 1); /* as the file has it */
    wallet_file_sql("rb", "DROP TRIGGER fail_best");

    ck_assert_int_eq(wallet_rescan(w, 0, -1, NULL, NULL), WALLET_OK);
    ck_assert_uint_eq(history_len(w), 1);
    ck_assert_int_eq(walletman_unload(wm, "rb"), WALLET_OK);
    ck_assert_int_eq(walletman_load(wm, "rb", &w, err, sizeof err), WALLET_OK);
    char next[ADDRESS_MAX_LEN + 1];
    ck_assert_int_eq(wallet_new_address(w, NULL, next), WALLET_OK);
    ck_assert_str_ne(next, addr1);
    ck_assert_str_eq(next, addr2);
}
END_TEST

Suite *unit_suite(void)
{
    static const struct fixture_case tc = {.setup = setup, .teardown = teardown, .timeout = 120};
    const TTest *tests[] = {block_while_loading_does_not_skip_missed_blocks,
                           import_reclassifies_recorded_txs,
                           failed_change_leaves_keys_as_the_file_has_them, NULL};
    return fixture_suite("wallettrack", &tc, tests);
}
