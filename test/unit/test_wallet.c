#include "unit.h"
#include "fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "consensus/account.h"
#include "consensus/transfer.h"
#include "consensus/txsign.h"
#include "node/chain.h"
#include "node/miner.h"
#include "node/services.h"
#include "util/hex.h"
#include "util/time.h"
#include "wallet/wallet.h"
#include "wallet/walletdb.h"

#define COIN AMOUNT_COIN

static char dir[256];
static struct node_ctx node;
static struct args args;
static struct walletman *wm;

static void setup(void)
{
    fixture_tmpdir_make(dir, sizeof dir, "wallet");
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
    time_set_mock(0);
    fixture_tmpdir_remove(dir);
}

static uint64_t tip_height(void)
{
    pthread_mutex_lock(&node.lock);
    uint64_t h = chain_tip(services_chain(&node))->height;
    pthread_mutex_unlock(&node.lock);
    return h;
}

/* Wallets follow the chain on their index threads: what a test reads
 * next must include the blocks just mined. */
static void sync_wallets(void)
{
    char names[16][WALLET_NAME_MAX + 1];
    size_t n = walletman_list(wm, names, 16);
    for (size_t i = 0; i < n && i < 16; i++) {
        struct wallet *w = walletman_get(wm, names[i]);
        char err[256];
        ck_assert_msg(w == NULL || wallet_sync(w, err, sizeof err) == WALLET_OK, "%s", err);
        walletman_put(wm, w);
    }
}

/* Mines n blocks of mempool txs paying recipient, as generatetoaddress. */
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

static void mine_to_addr(const char *addr, size_t n)
{
    uint8_t pub[32];
    pub_of(addr, pub);
    mine_to(pub, n);
}

static void outsider(uint8_t pub[32], char addr[ADDRESS_MAX_LEN + 1])
{
    fixture_pubkey(pub);
    ck_assert_int_eq(address_encode("rsouk", pub, addr, ADDRESS_MAX_LEN + 1), ADDRESS_OK);
}

static struct wallet *create(const char *name, const char *pass, const uint8_t *seed)
{
    struct wallet *w = NULL;
    char err[512] = "";
    ck_assert_msg(walletman_create(wm, name, pass, seed, &w, err, sizeof err) == WALLET_OK,
                  "%s", err);
    ck_assert_ptr_nonnull(w);
    return w;
}

static struct wallet_balances balances(struct wallet *w)
{
    struct wallet_balances b;
    ck_assert_int_eq(wallet_get_balances(w, &b), WALLET_OK);
    return b;
}

static void fixed_seed(uint8_t seed[32])
{
    for (int i = 0; i < 32; i++)
        seed[i] = (uint8_t)i;
}

START_TEST(manager_create_load_unload)
{
    struct wallet *a = create("alice", NULL, NULL);
    create("bob", NULL, NULL);
    char names[4][WALLET_NAME_MAX + 1];
    ck_assert_uint_eq(walletman_list(wm, names, 4), 2);
    struct wallet *got = walletman_get(wm, "alice");
    ck_assert_ptr_eq(got, a);
    walletman_put(wm, got);
    ck_assert_ptr_null(walletman_get(wm, NULL)); /* two loaded: no default */
    ck_assert_ptr_null(walletman_get(wm, "carol"));
    ck_assert_str_eq(wallet_name(a), "alice");

    char err[512];
    struct wallet *w;
    ck_assert_int_eq(walletman_create(wm, "alice", NULL, NULL, &w, err, sizeof err),
                     WALLET_ERR_EXISTS);
    ck_assert_int_eq(walletman_load(wm, "alice", &w, err, sizeof err), WALLET_ERR_EXISTS);
    const char *bad[] = {"", "a/b", "..", "a\\b", "x..y", "tab\there",
                         "a-name-that-is-far-too-long-for-a-wallet-because-it-has-more-than-64"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_int_eq(walletman_create(wm, bad[i], NULL, NULL, &w, err, sizeof err),
                         WALLET_ERR_BAD_NAME);
        ck_assert_int_eq(walletman_load(wm, bad[i], &w, err, sizeof err), WALLET_ERR_BAD_NAME);
    }
    ck_assert_int_eq(walletman_load(wm, "carol", &w, err, sizeof err), WALLET_ERR_NOT_FOUND);

    char addr[ADDRESS_MAX_LEN + 1];
    ck_assert_int_eq(wallet_new_address(a, "first", addr), WALLET_OK);
    ck_assert_int_eq(walletman_unload(wm, "alice"), WALLET_OK);
    ck_assert_int_eq(walletman_unload(wm, "alice"), WALLET_ERR_NOT_FOUND);
    /* a stale pointer fails cleanly instead of touching freed memory */
    struct wallet_info info;
    ck_assert_int_eq(wallet_get_info(a, &info), WALLET_ERR_NOT_FOUND);
    got = walletman_get(wm, NULL);
    struct wallet *bob = walletman_get(wm, "bob");
    ck_assert_ptr_nonnull(got);
    ck_assert_ptr_eq(got, bob);
    walletman_put(wm, got);
    walletman_put(wm, bob);

    ck_assert_int_eq(walletman_load(wm, "alice", &w, err, sizeof err), WALLET_OK);
    ck_assert_int_eq(wallet_get_info(w, &info), WALLET_OK);
    ck_assert_str_eq(info.name, "alice");
    ck_assert_int_eq(info.schema_version, WALLETDB_SCHEMA_VERSION);
    ck_assert(!info.encrypted && !info.locked);
    ck_assert_uint_eq(info.key_count, 1);
    ck_assert_uint_eq(info.next_index, 1);
    ck_assert_uint_ge(info.keypool_size, 99);

    /* a file that is not a wallet */
    char p[400];
    snprintf(p, sizeof p, "%s/wallets/junk", dir);
    ck_assert_int_eq(mkdir(p, 0700), 0);
    snprintf(p, sizeof p, "%s/wallets/junk/wallet.sqlite", dir);
    FILE *f = fopen(p, "w");
    ck_assert_ptr_nonnull(f);
    fputs("definitely not sqlite", f);
    fclose(f);
    err[0] = '\0';
    ck_assert_int_eq(walletman_load(wm, "junk", &w, err, sizeof err), WALLET_ERR_CORRUPT);
    ck_assert_msg(strstr(err, "not a wallet") != NULL, "%s", err);
    ck_assert_ptr_null(walletman_get(wm, "junk"));
}
END_TEST

/* An unloaded wallet is freed once nobody holds it: a reference held
 * across the unload keeps the struct, calls on it report it not loaded,
 * and the last put frees it (ASan's build would see a use after that). */
START_TEST(manager_frees_unloaded_wallets)
{
    struct wallet *a = create("alice", NULL, NULL); /* create's reference */
    struct wallet *held = walletman_get(wm, "alice");
    ck_assert_ptr_eq(held, a);
    walletman_put(wm, a);
    ck_assert_int_eq(walletman_unload(wm, "alice"), WALLET_OK);
    ck_assert_ptr_null(walletman_get(wm, "alice"));
    ck_assert_ptr_null(walletman_get(wm, NULL));
    ck_assert_uint_eq(walletman_closed_count(wm), 1);
    struct wallet_info info;
    char addr[ADDRESS_MAX_LEN + 1];
    ck_assert_int_eq(wallet_get_info(held, &info), WALLET_ERR_NOT_FOUND);
    ck_assert_int_eq(wallet_new_address(held, NULL, addr), WALLET_ERR_NOT_FOUND);
    ck_assert_str_eq(wallet_name(held), "alice");
    walletman_put(wm, held);
    ck_assert_uint_eq(walletman_closed_count(wm), 0);
    walletman_put(wm, NULL);

    /* Held by nobody: the unload frees it. */
    walletman_put(wm, create("bob", NULL, NULL));
    ck_assert_int_eq(walletman_unload(wm, "bob"), WALLET_OK);
    ck_assert_uint_eq(walletman_closed_count(wm), 0);

    /* Two holders of the old wallet while a new one of the name loads. */
    char err[512];
    struct wallet *w1, *w3;
    ck_assert_int_eq(walletman_load(wm, "alice", &w1, err, sizeof err), WALLET_OK);
    struct wallet *w2 = walletman_get(wm, "alice");
    ck_assert_int_eq(walletman_unload(wm, "alice"), WALLET_OK);
    ck_assert_int_eq(walletman_load(wm, "alice", &w3, err, sizeof err), WALLET_OK);
    ck_assert_ptr_ne(w3, w1);
    ck_assert_uint_eq(walletman_closed_count(wm), 1);
    walletman_put(wm, w1);
    ck_assert_uint_eq(walletman_closed_count(wm), 1);
    ck_assert_int_eq(wallet_get_info(w2, &info), WALLET_ERR_NOT_FOUND);
    walletman_put(wm, w2);
    ck_assert_uint_eq(walletman_closed_count(wm), 0);
    ck_assert_int_eq(wallet_get_info(w3, &info), WALLET_OK);
    walletman_put(wm, w3);
}
END_TEST

struct churn {
    bool stop;
    size_t seen; /* gets that found the wallet loaded */
};

static void *get_put_loop(void *arg)
{
    struct churn *c = arg;
    while (!__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE)) {
        struct wallet *w = walletman_get(wm, "churn");
        struct wallet_info info;
        if (w != NULL && wallet_get_info(w, &info) == WALLET_OK)
            __atomic_add_fetch(&c->seen, 1, __ATOMIC_RELEASE);
        walletman_put(wm, w);
    }
    return NULL;
}

/* Gets and puts on one thread while another unloads and loads the wallet
 * (each load seen by a get before the next unload): every struct ends
 * freed and none is used after (ASan's build). */
START_TEST(manager_get_put_races_unload)
{
    walletman_put(wm, create("churn", NULL, NULL));
    struct churn c = {0};
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, get_put_loop, &c), 0);
    char err[512];
    for (int i = 0; i < 20; i++) {
        size_t before = __atomic_load_n(&c.seen, __ATOMIC_ACQUIRE);
        while (__atomic_load_n(&c.seen, __ATOMIC_ACQUIRE) == before)
            nanosleep(&(struct timespec){0, 1000 * 1000}, NULL);
        ck_assert_int_eq(walletman_unload(wm, "churn"), WALLET_OK);
        ck_assert_msg(walletman_load(wm, "churn", NULL, err, sizeof err) == WALLET_OK, "%s", err);
    }
    __atomic_store_n(&c.stop, true, __ATOMIC_RELEASE);
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    ck_assert_uint_eq(walletman_closed_count(wm), 0);
}
END_TEST

static const char *const vector_addr[] = {
    "rsouk145kpkzc0d9vv60xcun4pseys97nk438jwkrpddcvt9jscw57z9xsyz7c3v",
    "rsouk1nyy2p7f3sen23f2cxjvqk67y7wc2s8a7t5cnrzr9g2vqu5emyads9sxm7r",
    "rsouk1cf23plcqmc096qrkl56k4383wu2txmvpujgyq2208w64c0y3e3rsd3u3d3",
};

struct addr_list {
    char addr[8][ADDRESS_MAX_LEN + 1];
    char label[8][WALLET_LABEL_MAX + 1];
    int64_t index[8];
    amount_t balance[8];
    size_t n;
};

static bool collect_addr(void *ctx, const struct wallet_address_info *a)
{
    struct addr_list *l = ctx;
    if (l->n < 8) {
        snprintf(l->addr[l->n], sizeof l->addr[0], "%s", a->address);
        snprintf(l->label[l->n], sizeof l->label[0], "%s", a->label);
        l->index[l->n] = a->index;
        l->balance[l->n] = a->balance;
    }
    l->n++;
    return true;
}

START_TEST(fixed_seed_gives_fixed_addresses)
{
    uint8_t seed[32];
    fixed_seed(seed);
    struct wallet *w = create("fixed", NULL, seed);
    char addr[ADDRESS_MAX_LEN + 1];
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(wallet_new_address(w, i == 1 ? "shop" : NULL, addr), WALLET_OK);
        ck_assert_str_eq(addr, vector_addr[i]);
    }
    char hex[65];
    ck_assert_int_eq(wallet_export_seed(w, hex), WALLET_OK);
    ck_assert_str_eq(hex, "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
    struct addr_list l;
    memset(&l, 0, sizeof l);
    ck_assert_int_eq(wallet_list_addresses(w, collect_addr, &l), WALLET_OK);
    ck_assert_uint_eq(l.n, 3);
    ck_assert_str_eq(l.addr[1], vector_addr[1]);
    ck_assert_str_eq(l.label[1], "shop");
    ck_assert_int_eq(l.index[2], 2);
    char big[WALLET_LABEL_MAX + 2];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    ck_assert_int_eq(wallet_new_address(w, big, addr), WALLET_ERR_BAD_PARAMETER);
}
END_TEST

START_TEST(encryption_lock_unlock)
{
    uint8_t seed[32];
    fixed_seed(seed);
    struct wallet *w = create("enc", NULL, seed);
    char addr[ADDRESS_MAX_LEN + 1], hex[65];
    ck_assert_int_eq(wallet_new_address(w, NULL, addr), WALLET_OK);
    ck_assert_int_eq(wallet_lock(w), WALLET_ERR_NOT_ENCRYPTED);
    ck_assert_int_eq(wallet_unlock(w, "pw", 10), WALLET_ERR_NOT_ENCRYPTED);
    ck_assert_int_eq(wallet_encrypt(w, ""), WALLET_ERR_BAD_PASSPHRASE);
    ck_assert_int_eq(wallet_encrypt(w, "correct horse"), WALLET_OK);
    ck_assert_int_eq(wallet_encrypt(w, "again"), WALLET_ERR_ALREADY_ENCRYPTED);

    struct wallet_info info;
    ck_assert_int_eq(wallet_get_info(w, &info), WALLET_OK);
    ck_assert(info.encrypted && info.locked);
    /* locked: no seed, no signatures, but addresses from the pool */
    ck_assert_int_eq(wallet_export_seed(w, hex), WALLET_ERR_LOCKED);
    uint8_t sig[64];
    ck_assert_int_eq(wallet_sign_message(w, addr, "hi", 2, sig), WALLET_ERR_LOCKED);
    char addr2[ADDRESS_MAX_LEN + 1];
    ck_assert_int_eq(wallet_new_address(w, NULL, addr2), WALLET_OK);
    ck_assert_str_eq(addr2, vector_addr[1]);
    uint8_t sk[32] = {1};
    ck_assert_int_eq(wallet_import_privkey(w, sk, NULL, false), WALLET_ERR_LOCKED);

    /* wrong passphrase: refused after a delay */
    int64_t t0 = time_mono_us();
    ck_assert_int_eq(wallet_unlock(w, "wrong horse", 10), WALLET_ERR_PASSPHRASE);
    ck_assert_int_ge(time_mono_us() - t0, 200000);
    ck_assert_int_eq(wallet_unlock(w, "correct horse", 0), WALLET_ERR_BAD_PARAMETER);
    ck_assert_int_eq(wallet_unlock(w, "", 10), WALLET_ERR_BAD_PASSPHRASE);

    /* unlock with a timeout, driven by the mock clock */
    int64_t now = time_now();
    ck_assert(time_set_mock(now));
    ck_assert_int_eq(wallet_unlock(w, "correct horse", 60), WALLET_OK);
    ck_assert_int_eq(wallet_get_info(w, &info), WALLET_OK);
    ck_assert(!info.locked);
    ck_assert_int_eq(info.unlocked_until, now + 60);
    ck_assert_int_eq(wallet_export_seed(w, hex), WALLET_OK);
    ck_assert_str_eq(hex, "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
    ck_assert_int_eq(wallet_sign_message(w, addr, "hi", 2, sig), WALLET_OK);
    ck_assert(wallet_verify_message("rsouk", addr, "hi", 2, sig));
    ck_assert(time_set_mock(now + 61));
    ck_assert_int_eq(wallet_export_seed(w, hex), WALLET_ERR_LOCKED);
    ck_assert_int_eq(wallet_get_info(w, &info), WALLET_OK);
    ck_assert(info.locked);
    ck_assert_int_eq(info.unlocked_until, 0);
    time_set_mock(0);

    /* explicit lock */
    ck_assert_int_eq(wallet_unlock(w, "correct horse", 600), WALLET_OK);
    ck_assert_int_eq(wallet_lock(w), WALLET_OK);
    ck_assert_int_eq(wallet_export_seed(w, hex), WALLET_ERR_LOCKED);

    /* change passphrase */
    ck_assert_int_eq(wallet_change_passphrase(w, "nope", "new one"), WALLET_ERR_PASSPHRASE);
    ck_assert_int_eq(wallet_change_passphrase(w, "correct horse", ""),
                     WALLET_ERR_BAD_PASSPHRASE);
    ck_assert_int_eq(wallet_change_passphrase(w, "correct horse", "new one"), WALLET_OK);
    ck_assert_int_eq(wallet_unlock(w, "correct horse", 10), WALLET_ERR_PASSPHRASE);

    /* the state survives a reload, and the file holds no plaintext seed */
    char err[512];
    ck_assert_int_eq(walletman_unload(wm, "enc"), WALLET_OK);
    ck_assert_int_eq(walletman_load(wm, "enc", &w, err, sizeof err), WALLET_OK);
    ck_assert_int_eq(wallet_get_info(w, &info), WALLET_OK);
    ck_assert(info.encrypted && info.locked);
    ck_assert_int_eq(wallet_unlock(w, "new one", 10), WALLET_OK);
    ck_assert_int_eq(wallet_export_seed(w, hex), WALLET_OK);
    ck_assert_str_eq(hex, "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
    ck_assert_int_eq(walletman_unload(wm, "enc"), WALLET_OK);
    char p[400];
    snprintf(p, sizeof p, "%s/wallets/enc/wallet.sqlite", dir);
    size_t len;
    FILE *f = fopen(p, "rb");
    ck_assert_ptr_nonnull(f);
    uint8_t *bytes = malloc(4 << 20);
    ck_assert_ptr_nonnull(bytes);
    len = fread(bytes, 1, 4 << 20, f);
    fclose(f);
    ck_assert_uint_gt(len, 0);
    for (size_t i = 0; i + 32 <= len; i++)
        ck_assert_msg(memcmp(bytes + i, seed, 32) != 0, "plaintext seed at offset %zu", i);
    free(bytes);
}
END_TEST

START_TEST(created_encrypted)
{
    struct wallet *w = create("locked", "pass", NULL);
    struct wallet_info info;
    ck_assert_int_eq(wallet_get_info(w, &info), WALLET_OK);
    ck_assert(info.encrypted && info.locked);
    char addr[ADDRESS_MAX_LEN + 1], hex[65];
    ck_assert_int_eq(wallet_new_address(w, NULL, addr), WALLET_OK);
    ck_assert_int_eq(wallet_export_seed(w, hex), WALLET_ERR_LOCKED);
    ck_assert_int_eq(wallet_unlock(w, "pass", 5), WALLET_OK);
    ck_assert_int_eq(wallet_export_seed(w, hex), WALLET_OK);
    char err[256];
    struct wallet *x;
    ck_assert_int_eq(walletman_create(wm, "bad", "", NULL, &x, err, sizeof err),
                     WALLET_ERR_BAD_PASSPHRASE);
}
END_TEST

struct txs {
    struct wallet_tx_info v[64];
    size_t n;
};

static bool collect_tx(void *ctx, const struct wallet_tx_info *t)
{
    struct txs *l = ctx;
    if (l->n < 64)
        l->v[l->n] = *t;
    l->n++;
    return true;
}

static struct txs *history(struct wallet *w)
{
    static struct txs l;
    memset(&l, 0, sizeof l);
    ck_assert_int_eq(wallet_list_txs(w, 1000, 0, collect_tx, &l), WALLET_OK);
    return &l;
}

static bool in_mempool(const uint8_t txid[32])
{
    pthread_mutex_lock(&node.lock);
    bool in = mempool_find(services_mempool(&node), txid) != NULL;
    pthread_mutex_unlock(&node.lock);
    return in;
}

START_TEST(tracking_balances_and_reorg)
{
    struct wallet *w = create("track", NULL, NULL);
    char addr[ADDRESS_MAX_LEN + 1], other_addr[ADDRESS_MAX_LEN + 1];
    uint8_t other[32];
    outsider(other, other_addr);
    ck_assert_int_eq(wallet_new_address(w, NULL, addr), WALLET_OK);
    mine_to_addr(addr, 1);
    struct wallet_balances b = balances(w);
    ck_assert_uint_eq(b.confirmed, 0);
    ck_assert_uint_eq(b.immature, 50 * COIN);
    struct txs *h = history(w);
    ck_assert_uint_eq(h->n, 1);
    ck_assert_str_eq(h->v[0].category, "immature");
    ck_assert_int_eq(h->v[0].amount, (int64_t)(50 * COIN));
    ck_assert_uint_eq(h->v[0].height, 1);
    ck_assert_int_eq(h->v[0].confirmations, 1);
    ck_assert_str_eq(h->v[0].address, addr);

    mine_to(other, 100);
    b = balances(w);
    ck_assert_uint_eq(b.confirmed, 50 * COIN);
    ck_assert_uint_eq(b.immature, 0);
    h = history(w);
    ck_assert_uint_eq(h->n, 1);
    ck_assert_str_eq(h->v[0].category, "generate");
    ck_assert_int_eq(h->v[0].confirmations, 101);

    /* a send: unconfirmed out, then confirmed, then back by a reorg */
    struct wallet_send_result res;
    ck_assert_int_eq(wallet_send_to_address(w, other_addr, 10 * COIN, NULL, 0, 0, &res),
                     WALLET_OK);
    ck_assert_ptr_nonnull(res.hex);
    ck_assert_str_eq(res.from, addr);
    ck_assert_uint_gt(res.fee, 0);
    ck_assert(in_mempool(res.txid));
    b = balances(w);
    ck_assert_uint_eq(b.confirmed, 50 * COIN);
    ck_assert_uint_eq(b.unconfirmed_out, 10 * COIN + res.fee);
    ck_assert_uint_eq(b.unconfirmed_in, 0);
    struct wallet_tx_info ti;
    struct tx raw;
    tx_init(&raw);
    ck_assert_int_eq(wallet_get_tx(w, res.txid, &ti, &raw), WALLET_OK);
    ck_assert_str_eq(ti.category, "send");
    ck_assert_int_eq(ti.amount, -(int64_t)(10 * COIN));
    ck_assert_uint_eq(ti.fee, res.fee);
    ck_assert_int_eq(ti.confirmations, 0);
    ck_assert_str_eq(ti.counterparty, other_addr);
    ck_assert_uint_eq(raw.type, TX_TYPE_TRANSFER);
    ck_assert_uint_eq(raw.nonce, 0);
    ck_assert_uint_eq(raw.fee, res.fee);
    /* the fee pays the minimum relay rate for the encoded size */
    ck_assert_uint_eq(res.fee, tx_encoded_size(&raw) * MEMPOOL_DEFAULT_MIN_FEE_RATE);
    tx_clear(&raw);
    wallet_send_result_clear(&res);

    mine_to(other, 1);
    uint64_t sent_height = tip_height();
    b = balances(w);
    ck_assert_uint_eq(b.confirmed, 40 * COIN - res.fee);
    ck_assert_uint_eq(b.unconfirmed_out, 0);
    ck_assert_int_eq(wallet_get_tx(w, res.txid, &ti, NULL), WALLET_OK);
    ck_assert_uint_eq(ti.height, sent_height);
    ck_assert_int_eq(ti.confirmations, 1);

    uint8_t block[32];
    pthread_mutex_lock(&node.lock);
    memcpy(block, chain_tip(services_chain(&node))->hash, 32);
    char err[256];
    ck_assert(services_invalidate(&node, block, err, sizeof err));
    pthread_mutex_unlock(&node.lock);
    sync_wallets();
    ck_assert_int_eq(wallet_get_tx(w, res.txid, &ti, NULL), WALLET_OK);
    ck_assert_int_eq(ti.confirmations, 0);
    ck_assert_uint_eq(ti.height, 0);
    ck_assert(in_mempool(res.txid));
    b = balances(w);
    ck_assert_uint_eq(b.confirmed, 50 * COIN);
    ck_assert_uint_eq(b.unconfirmed_out, 10 * COIN + res.fee);

    pthread_mutex_lock(&node.lock);
    ck_assert(services_reconsider(&node, block, err, sizeof err));
    pthread_mutex_unlock(&node.lock);
    sync_wallets();
    ck_assert_int_eq(wallet_get_tx(w, res.txid, &ti, NULL), WALLET_OK);
    ck_assert_int_eq(ti.confirmations, 1);
    ck_assert_uint_eq(ti.height, sent_height);

    /* an incoming payment from outside */
    struct wallet *w2 = create("other", NULL, NULL);
    char addr2[ADDRESS_MAX_LEN + 1];
    ck_assert_int_eq(wallet_new_address(w2, "in", addr2), WALLET_OK);
    ck_assert_int_eq(wallet_send_to_address(w, addr2, 3 * COIN, (const uint8_t *)"memo", 4, 0,
                                            &res),
                     WALLET_OK);
    wallet_send_result_clear(&res);
    b = balances(w2);
    ck_assert_uint_eq(b.unconfirmed_in, 3 * COIN);
    ck_assert_int_eq(wallet_get_tx(w2, res.txid, &ti, NULL), WALLET_OK);
    ck_assert_str_eq(ti.category, "receive");
    ck_assert_int_eq(ti.amount, (int64_t)(3 * COIN));
    ck_assert_uint_eq(ti.fee, 0);
    mine_to(other, 1);
    b = balances(w2);
    ck_assert_uint_eq(b.confirmed, 3 * COIN);
    ck_assert_uint_eq(b.unconfirmed_in, 0);

    /* a rescan rebuilds the same history */
    ck_assert_uint_eq(history(w)->n, 3);
    int64_t s, e;
    ck_assert_int_eq(wallet_rescan(w, 0, -1, &s, &e), WALLET_OK);
    ck_assert_int_eq(s, 0);
    ck_assert_int_eq(e, (int64_t)tip_height());
    h = history(w);
    ck_assert_uint_eq(h->n, 3);
    for (size_t i = 0; i < h->n; i++)
        ck_assert_int_ge(h->v[i].confirmations, 1);
    ck_assert_int_eq(wallet_rescan(w, 5, 2, NULL, NULL), WALLET_ERR_BAD_PARAMETER);
    ck_assert_int_eq(wallet_rescan(w, -1, -1, NULL, NULL), WALLET_ERR_BAD_PARAMETER);
    ck_assert_int_eq(wallet_rescan(w, 0, (int64_t)tip_height() + 1, NULL, NULL),
                     WALLET_ERR_BAD_PARAMETER);
}
END_TEST

START_TEST(coinbase_orphaned_by_reorg)
{
    struct wallet *w = create("orphan", NULL, NULL);
    char addr[ADDRESS_MAX_LEN + 1];
    ck_assert_int_eq(wallet_new_address(w, NULL, addr), WALLET_OK);
    mine_to_addr(addr, 2);
    uint8_t block[32];
    pthread_mutex_lock(&node.lock);
    memcpy(block, chain_tip(services_chain(&node))->hash, 32);
    char err[256];
    ck_assert(services_invalidate(&node, block, err, sizeof err));
    pthread_mutex_unlock(&node.lock);
    sync_wallets();
    struct txs *h = history(w);
    ck_assert_uint_eq(h->n, 2);
    ck_assert_str_eq(h->v[0].category, "orphan");
    ck_assert_str_eq(h->v[1].category, "immature");
    struct wallet_balances b = balances(w);
    ck_assert_uint_eq(b.immature, 50 * COIN);
}
END_TEST

START_TEST(sends_queue_nonces)
{
    struct wallet *w = create("queue", NULL, NULL);
    char addr[ADDRESS_MAX_LEN + 1], other_addr[ADDRESS_MAX_LEN + 1];
    uint8_t other[32], pub[32];
    outsider(other, other_addr);
    ck_assert_int_eq(wallet_new_address(w, NULL, addr), WALLET_OK);
    pub_of(addr, pub);
    mine_to(pub, 1);
    mine_to(other, 100);
    uint8_t txids[8][32];
    for (int i = 0; i < 8; i++) {
        struct wallet_send_result res;
        ck_assert_int_eq(wallet_send_to_address(w, other_addr, COIN, NULL, 0, 0, &res),
                         WALLET_OK);
        memcpy(txids[i], res.txid, 32);
        struct tx t;
        tx_init(&t);
        struct buf raw;
        buf_init(&raw);
        ck_assert(hex_decode_buf(res.hex, strlen(res.hex), &raw));
        ck_assert_int_eq(tx_decode(raw.data, raw.len, &t), SER_OK);
        ck_assert_uint_eq(t.nonce, (uint64_t)i);
        tx_clear(&t);
        buf_clear(&raw);
        wallet_send_result_clear(&res);
    }
    for (int i = 0; i < 8; i++)
        ck_assert(in_mempool(txids[i]));
    struct wallet_balances b = balances(w);
    ck_assert_uint_gt(b.unconfirmed_out, 8 * COIN);
    mine_to(other, 1);
    struct txs *h = history(w);
    ck_assert_uint_eq(h->n, 9);
    for (size_t i = 0; i < 8; i++)
        ck_assert_int_eq(h->v[i].confirmations, 1);
    struct addr_list l;
    memset(&l, 0, sizeof l);
    ck_assert_int_eq(wallet_list_addresses(w, collect_addr, &l), WALLET_OK);
    ck_assert_uint_eq(l.n, 1);
    b = balances(w);
    ck_assert_uint_eq(b.confirmed, l.balance[0]);
    ck_assert_uint_lt(b.confirmed, 42 * COIN);
}
END_TEST

START_TEST(send_refusals)
{
    struct wallet *w = create("refuse", NULL, NULL);
    char addr[ADDRESS_MAX_LEN + 1], other_addr[ADDRESS_MAX_LEN + 1];
    uint8_t other[32];
    outsider(other, other_addr);
    ck_assert_int_eq(wallet_new_address(w, NULL, addr), WALLET_OK);
    struct wallet_send_result res;
    /* nothing to spend */
    ck_assert_int_eq(wallet_send_to_address(w, other_addr, COIN, NULL, 0, 0, &res),
                     WALLET_ERR_INSUFFICIENT_FUNDS);
    mine_to_addr(addr, 1);
    mine_to(other, 100);
    ck_assert_int_eq(wallet_send_to_address(w, other_addr, 50 * COIN, NULL, 0, 0, &res),
                     WALLET_ERR_INSUFFICIENT_FUNDS);
    ck_assert_int_eq(wallet_send_to_address(w, other_addr, 0, NULL, 0, 0, &res),
                     WALLET_ERR_INVALID_AMOUNT);
    ck_assert_int_eq(wallet_send_to_address(w, other_addr, AMOUNT_MAX + 1, NULL, 0, 0, &res),
                     WALLET_ERR_INVALID_AMOUNT);
    ck_assert_int_eq(wallet_send_to_address(w, "rsouk1nonsense", COIN, NULL, 0, 0, &res),
                     WALLET_ERR_INVALID_ADDRESS);
    /* the same key on main */
    char main_addr[ADDRESS_MAX_LEN + 1];
    ck_assert_int_eq(address_encode("souk", other, main_addr, sizeof main_addr), ADDRESS_OK);
    ck_assert_int_eq(wallet_send_to_address(w, main_addr, COIN, NULL, 0, 0, &res),
                     WALLET_ERR_INVALID_ADDRESS);
    uint8_t memo[300] = {0};
    ck_assert_int_eq(wallet_send_to_address(w, other_addr, COIN, memo, sizeof memo, 0, &res),
                     WALLET_ERR_BAD_PARAMETER);
    /* a fee rate below the relay minimum is the mempool's to refuse... */
    pthread_mutex_lock(&node.lock);
    mempool_set_min_fee_rate(services_mempool(&node), 5);
    pthread_mutex_unlock(&node.lock);
    ck_assert_int_eq(wallet_send_to_address(w, other_addr, COIN, NULL, 0, 1, &res),
                     WALLET_ERR_REJECTED);
    ck_assert_str_eq(res.reason, "fee-too-low");
    ck_assert_ptr_null(res.hex);
    /* ...while the default estimate follows the minimum */
    ck_assert_int_eq(wallet_send_to_address(w, other_addr, COIN, NULL, 0, 0, &res), WALLET_OK);
    struct tx t;
    tx_init(&t);
    struct wallet_tx_info ti;
    ck_assert_int_eq(wallet_get_tx(w, res.txid, &ti, &t), WALLET_OK);
    ck_assert_uint_eq(res.fee, 5 * tx_encoded_size(&t));
    tx_clear(&t);
    wallet_send_result_clear(&res);
    /* nothing changed by the refusals: one send in the history */
    struct wallet_info info;
    ck_assert_int_eq(wallet_get_info(w, &info), WALLET_OK);
    ck_assert_uint_eq(info.tx_count, 2);

    /* generic requests */
    struct wallet_send_request req = {.type = 0, .broadcast = false};
    ck_assert_int_eq(wallet_create_transaction(w, &req, &res), WALLET_ERR_BAD_PARAMETER);
    req.type = 200;
    ck_assert_int_eq(wallet_create_transaction(w, &req, &res), WALLET_ERR_BAD_PARAMETER);
    req.type = TX_TYPE_TRANSFER;
    req.payload = (const uint8_t *)"\x01";
    req.payload_len = 1;
    ck_assert_int_eq(wallet_create_transaction(w, &req, &res), WALLET_ERR_BAD_PARAMETER);
    /* a payload that frames but fails the type's check */
    req.payload = (const uint8_t *)"\x90";
    ck_assert_int_eq(wallet_create_transaction(w, &req, &res), WALLET_ERR_BAD_PARAMETER);
    ck_assert_str_eq(res.reason, "bad-payload: the payload does not decode for its transaction type");
    req.from = other_addr;
    ck_assert_int_eq(wallet_create_transaction(w, &req, &res), WALLET_ERR_NOT_MINE);
    req.from = "bogus";
    ck_assert_int_eq(wallet_create_transaction(w, &req, &res), WALLET_ERR_INVALID_ADDRESS);
}
END_TEST

START_TEST(create_without_broadcast_and_locked_signing)
{
    struct wallet *w = create("build", NULL, NULL);
    char addr[ADDRESS_MAX_LEN + 1], other_addr[ADDRESS_MAX_LEN + 1];
    uint8_t other[32];
    outsider(other, other_addr);
    ck_assert_int_eq(wallet_new_address(w, NULL, addr), WALLET_OK);
    mine_to_addr(addr, 1);
    mine_to(other, 100);

    struct transfer_payload p = {.amount = 2 * COIN};
    memcpy(p.to, other, 32);
    struct buf payload;
    buf_init(&payload);
    ck_assert(transfer_payload_encode(&p, &payload));
    struct wallet_send_request req = {.type = TX_TYPE_TRANSFER,
                                      .payload = payload.data,
                                      .payload_len = payload.len,
                                      .from = addr,
                                      .spend = 2 * COIN,
                                      .fee = 1000,
                                      .broadcast = false};
    struct wallet_send_result res;
    ck_assert_int_eq(wallet_create_transaction(w, &req, &res), WALLET_OK);
    ck_assert_uint_eq(res.fee, 1000);
    ck_assert(!in_mempool(res.txid));
    struct buf raw;
    buf_init(&raw);
    ck_assert(hex_decode_buf(res.hex, strlen(res.hex), &raw));
    struct tx t;
    tx_init(&t);
    ck_assert_int_eq(tx_decode(raw.data, raw.len, &t), SER_OK);
    ck_assert(txsign_verify(&t, fixture_regtest()->genesis.hash));
    ck_assert_uint_eq(t.fee, 1000);
    /* the returned tx can be sent later as it is */
    pthread_mutex_lock(&node.lock);
    struct mempool_accept_info info;
    ck_assert_int_eq(services_accept_tx(&node, &t, &info), MEMPOOL_OK);
    pthread_mutex_unlock(&node.lock);
    struct wallet_tx_info ti;
    ck_assert_int_eq(wallet_get_tx(w, res.txid, &ti, NULL), WALLET_OK);
    ck_assert_str_eq(ti.category, "send");
    tx_clear(&t);
    buf_clear(&raw);
    wallet_send_result_clear(&res);

    ck_assert_int_eq(wallet_encrypt(w, "secret"), WALLET_OK);
    ck_assert_int_eq(wallet_create_transaction(w, &req, &res), WALLET_ERR_LOCKED);
    ck_assert_ptr_null(res.hex);
    ck_assert_int_eq(wallet_send_to_address(w, other_addr, COIN, NULL, 0, 0, &res),
                     WALLET_ERR_LOCKED);
    ck_assert_int_eq(wallet_unlock(w, "secret", 30), WALLET_OK);
    req.broadcast = true;
    ck_assert_int_eq(wallet_create_transaction(w, &req, &res), WALLET_OK);
    ck_assert(in_mempool(res.txid));
    wallet_send_result_clear(&res);
    buf_clear(&payload);
}
END_TEST

START_TEST(restore_from_seed)
{
    uint8_t seed[32];
    fixed_seed(seed);
    seed[0] = 0x77;
    struct wallet *a = create("orig", NULL, seed);
    char addr[25][ADDRESS_MAX_LEN + 1], other_addr[ADDRESS_MAX_LEN + 1];
    uint8_t other[32];
    outsider(other, other_addr);
    for (int i = 0; i < 25; i++)
        ck_assert_int_eq(wallet_new_address(a, NULL, addr[i]), WALLET_OK);
    mine_to_addr(addr[2], 1);
    mine_to_addr(addr[22], 1);  /* within the gap limit of index 2 */
    mine_to(other, 100);
    struct wallet_send_result res;
    ck_assert_int_eq(wallet_send_to_address(a, addr[5], COIN, NULL, 0, 0, &res), WALLET_OK);
    wallet_send_result_clear(&res);
    mine_to(other, 1);
    struct wallet_balances ba = balances(a);
    ck_assert_int_eq(walletman_unload(wm, "orig"), WALLET_OK);

    struct wallet *b = create("restored", "pw", seed);
    struct wallet_balances bb = balances(b);
    ck_assert_uint_eq(bb.confirmed, ba.confirmed);
    ck_assert_uint_eq(bb.confirmed, 100 * COIN - res.fee);
    struct wallet_info info;
    ck_assert_int_eq(wallet_get_info(b, &info), WALLET_OK);
    ck_assert_uint_eq(info.next_index, 23);
    ck_assert_uint_eq(info.tx_count, 3);
    ck_assert(info.locked);
    /* the next address continues after the used ones */
    char next[ADDRESS_MAX_LEN + 1];
    ck_assert_int_eq(wallet_new_address(b, NULL, next), WALLET_OK);
    ck_assert_str_eq(next, addr[23]);
    /* a seed whose master key is invalid cannot exist in practice; any 32
     * bytes restore, and a second restore of the name is refused */
    char err[256];
    struct wallet *x;
    ck_assert_int_eq(walletman_create(wm, "restored", NULL, seed, &x, err, sizeof err),
                     WALLET_ERR_EXISTS);
}
END_TEST

START_TEST(catch_up_import_backup_messages)
{
    struct wallet *w = create("catch", NULL, NULL);
    char addr[ADDRESS_MAX_LEN + 1], other_addr[ADDRESS_MAX_LEN + 1];
    uint8_t other[32];
    outsider(other, other_addr);
    ck_assert_int_eq(wallet_new_address(w, NULL, addr), WALLET_OK);
    ck_assert_int_eq(walletman_unload(wm, "catch"), WALLET_OK);
    mine_to_addr(addr, 3);
    char err[256];
    ck_assert_int_eq(walletman_load(wm, "catch", &w, err, sizeof err), WALLET_OK);
    ck_assert_uint_eq(history(w)->n, 3);
    ck_assert_uint_eq(balances(w).immature, 150 * COIN);

    /* import a key that was paid before */
    struct fixture_user u;
    fixture_user_new(&u);
    mine_to(u.pub, 2);
    ck_assert_int_eq(wallet_import_privkey(w, u.sk, "imported", true), WALLET_OK);
    ck_assert_uint_eq(history(w)->n, 5);
    ck_assert_uint_eq(balances(w).immature, 250 * COIN);
    uint8_t bad[32];
    memset(bad, 0xff, 32);
    ck_assert_int_eq(wallet_import_privkey(w, bad, NULL, false), WALLET_ERR_BAD_PARAMETER);
    struct addr_list l;
    memset(&l, 0, sizeof l);
    ck_assert_int_eq(wallet_list_addresses(w, collect_addr, &l), WALLET_OK);
    ck_assert_uint_eq(l.n, 2);
    ck_assert_int_eq(l.index[1], -1);
    ck_assert_str_eq(l.label[1], "imported");

    /* messages */
    uint8_t sig[64];
    ck_assert_int_eq(wallet_sign_message(w, addr, "hello", 5, sig), WALLET_OK);
    ck_assert(wallet_verify_message("rsouk", addr, "hello", 5, sig));
    ck_assert(!wallet_verify_message("rsouk", addr, "hellp", 5, sig));
    ck_assert(!wallet_verify_message("souk", addr, "hello", 5, sig));
    ck_assert(!wallet_verify_message("rsouk", other_addr, "hello", 5, sig));
    ck_assert_int_eq(wallet_sign_message(w, other_addr, "hello", 5, sig), WALLET_ERR_NOT_MINE);
    ck_assert_int_eq(wallet_sign_message(w, "junk", "hello", 5, sig),
                     WALLET_ERR_INVALID_ADDRESS);

    /* sealed messages: either key of the pair opens them */
    uint8_t mine_pub[32], off_curve[32];
    char u_addr[ADDRESS_MAX_LEN + 1];
    ck_assert_int_eq(address_decode("rsouk", addr, mine_pub), ADDRESS_OK);
    ck_assert_int_eq(address_encode("rsouk", u.pub, u_addr, sizeof u_addr), ADDRESS_OK);
    struct buf sealed, opened;
    buf_init(&sealed);
    buf_init(&opened);
    ck_assert_int_eq(wallet_seal_message(w, addr, u.pub, "ring twice", 10, &sealed), WALLET_OK);
    ck_assert_uint_eq(sealed.len, 12 + 10 + 16);
    ck_assert_int_eq(wallet_open_message(w, u_addr, mine_pub, sealed.data, sealed.len, &opened),
                     WALLET_OK);
    ck_assert_uint_eq(opened.len, 10);
    ck_assert_mem_eq(opened.data, "ring twice", 10);
    /* another pair of keys, or one flipped bit: refused, out untouched */
    ck_assert_int_eq(wallet_open_message(w, u_addr, other, sealed.data, sealed.len, &opened),
                     WALLET_ERR_UNREADABLE);
    sealed.data[15] ^= 1;
    ck_assert_int_eq(wallet_open_message(w, addr, u.pub, sealed.data, sealed.len, &opened),
                     WALLET_ERR_UNREADABLE);
    ck_assert_uint_eq(opened.len, 10);
    ck_assert_int_eq(wallet_open_message(w, addr, u.pub, sealed.data, 20, &opened),
                     WALLET_ERR_UNREADABLE);
    ck_assert_int_eq(wallet_seal_message(w, other_addr, u.pub, "x", 1, &sealed),
                     WALLET_ERR_NOT_MINE);
    memset(off_curve, 0xff, 32);  /* x beyond the field: no point */
    ck_assert_int_eq(wallet_seal_message(w, addr, off_curve, "x", 1, &sealed),
                     WALLET_ERR_INVALID_ADDRESS);
    ck_assert_uint_eq(sealed.len, 12 + 10 + 16);
    buf_clear(&sealed);
    buf_clear(&opened);

    /* a backup is a wallet with the same keys */
    char p[400];
    snprintf(p, sizeof p, "%s/wallets/copy", dir);
    ck_assert_int_eq(mkdir(p, 0700), 0);
    snprintf(p, sizeof p, "%s/wallets/copy/wallet.sqlite", dir);
    ck_assert_int_eq(wallet_backup(w, p, err, sizeof err), WALLET_OK);
    struct wallet *c;
    ck_assert_int_eq(walletman_load(wm, "copy", &c, err, sizeof err), WALLET_OK);
    struct addr_list l2;
    memset(&l2, 0, sizeof l2);
    ck_assert_int_eq(wallet_list_addresses(c, collect_addr, &l2), WALLET_OK);
    ck_assert_uint_eq(l2.n, 2);
    ck_assert_str_eq(l2.addr[0], l.addr[0]);
    ck_assert_uint_eq(balances(c).immature, 250 * COIN);
    /* both hear new blocks */
    mine_to_addr(addr, 1);
    ck_assert_uint_eq(history(w)->n, 6);
    ck_assert_uint_eq(history(c)->n, 6);
}
END_TEST

/* The mempool is not kept across restarts: loading a wallet puts its
 * pending sends back, and drops one whose nonce the chain used meanwhile. */
START_TEST(pending_sends_resubmitted_on_load)
{
    struct wallet *w = create("resend", NULL, NULL);
    char other_addr[ADDRESS_MAX_LEN + 1], addr[ADDRESS_MAX_LEN + 1];
    uint8_t other[32];
    outsider(other, other_addr);
    struct fixture_user u;
    fixture_user_new(&u);
    ck_assert_int_eq(address_encode("rsouk", u.pub, addr, sizeof addr), ADDRESS_OK);
    ck_assert_int_eq(wallet_import_privkey(w, u.sk, NULL, false), WALLET_OK);
    mine_to(u.pub, 1);
    mine_to(other, 100);
    uint8_t txids[3][32];
    for (int i = 0; i < 3; i++) {
        struct wallet_send_result res;
        ck_assert_int_eq(wallet_send_to_address(w, other_addr, COIN, NULL, 0, 0, &res),
                         WALLET_OK);
        memcpy(txids[i], res.txid, 32);
        wallet_send_result_clear(&res);
    }
    ck_assert_int_eq(walletman_unload(wm, "resend"), WALLET_OK);
    pthread_mutex_lock(&node.lock);
    ck_assert_uint_eq(mempool_remove(services_mempool(&node), txids[0]), 3);
    pthread_mutex_unlock(&node.lock);
    char err[256];
    ck_assert_int_eq(walletman_load(wm, "resend", &w, err, sizeof err), WALLET_OK);
    for (int i = 0; i < 3; i++)
        ck_assert(in_mempool(txids[i]));
    ck_assert_uint_eq(balances(w).unconfirmed_out > 3 * COIN, 1);

    /* the same nonce spent by another tx of the key, mined while unloaded */
    ck_assert_int_eq(walletman_unload(wm, "resend"), WALLET_OK);
    pthread_mutex_lock(&node.lock);
    ck_assert_uint_eq(mempool_remove(services_mempool(&node), txids[0]), 3);
    struct tx t;
    tx_init(&t);
    fixture_transfer(&t, u.sk, other, 5 * COIN, 0, 1000);
    struct mempool_accept_info info;
    ck_assert_int_eq(services_accept_tx(&node, &t, &info), MEMPOOL_OK);
    pthread_mutex_unlock(&node.lock);
    tx_clear(&t);
    mine_to(other, 1);
    ck_assert_int_eq(walletman_load(wm, "resend", &w, err, sizeof err), WALLET_OK);
    struct wallet_tx_info ti;
    ck_assert_int_eq(wallet_get_tx(w, txids[0], &ti, NULL), WALLET_ERR_NOT_FOUND);
    /* the later sends follow the nonce the chain used, so they are valid
     * again and back in the mempool */
    ck_assert(in_mempool(txids[1]));
    ck_assert(in_mempool(txids[2]));
    /* the caught-up history has the tx that did confirm */
    struct txs *h = history(w);
    ck_assert_uint_eq(h->n, 4);
    ck_assert_int_eq(h->v[0].confirmations, 0);
    ck_assert_int_eq(h->v[1].confirmations, 0);
    ck_assert_str_eq(h->v[2].category, "send");
    ck_assert_int_eq(h->v[2].amount, -(int64_t)(5 * COIN));
    ck_assert_int_eq(h->v[2].confirmations, 1);
    ck_assert_str_eq(h->v[3].category, "generate");
    ck_assert_uint_eq(balances(w).unconfirmed_out, 2 * COIN + h->v[0].fee + h->v[1].fee);
}
END_TEST

struct sender {
    struct wallet *w;
    const char *to;
    int sent;
};

static void *send_loop(void *arg)
{
    struct sender *s = arg;
    for (int i = 0; i < 6; i++) {
        struct wallet_send_result res;
        if (wallet_send_to_address(s->w, s->to, COIN / 10, NULL, 0, 0, &res) == WALLET_OK) {
            wallet_send_result_clear(&res);
            s->sent++;
        }
        struct wallet_balances b;
        wallet_get_balances(s->w, &b);
    }
    return NULL;
}

/* Sends from several threads while blocks connect: no deadlock between the
 * chain lock and the wallet lock, and every send gets its own nonce. */
START_TEST(concurrent_sends_and_blocks)
{
    struct wallet *w = create("busy", NULL, NULL);
    char addr[ADDRESS_MAX_LEN + 1], other_addr[ADDRESS_MAX_LEN + 1];
    uint8_t other[32];
    outsider(other, other_addr);
    ck_assert_int_eq(wallet_new_address(w, NULL, addr), WALLET_OK);
    mine_to_addr(addr, 1);
    mine_to(other, 100);
    struct sender s[3];
    pthread_t th[3];
    for (int i = 0; i < 3; i++) {
        s[i] = (struct sender){w, other_addr, 0};
        ck_assert_int_eq(pthread_create(&th[i], NULL, send_loop, &s[i]), 0);
    }
    for (int i = 0; i < 3; i++)
        mine_to(other, 1);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(pthread_join(th[i], NULL), 0);
    int sent = s[0].sent + s[1].sent + s[2].sent;
    ck_assert_int_eq(sent, 18);
    mine_to(other, 1);
    uint8_t pub[32];
    pub_of(addr, pub);
    pthread_mutex_lock(&node.lock);
    struct state_backend be;
    chain_tip_backend(services_chain(&node), &be);
    struct state_view v;
    state_view_init(&v, &be);
    struct account a = fixture_account(&v, pub);
    state_view_clear(&v);
    ck_assert_uint_eq(mempool_count(services_mempool(&node)), 0);
    pthread_mutex_unlock(&node.lock);
    ck_assert_uint_eq(a.nonce, 18);
    struct wallet_balances b = balances(w);
    ck_assert_uint_eq(b.confirmed, a.balance);
    ck_assert_uint_eq(history(w)->n, 19);
}
END_TEST

/* A wallet spends what it shows: when no key covers a payment, the keys
 * with the most pay it together, one transfer each, all sent or none. */
START_TEST(pays_from_several_keys)
{
    struct wallet *w = create("several", NULL, NULL);
    char a1[ADDRESS_MAX_LEN + 1], a2[ADDRESS_MAX_LEN + 1], a3[ADDRESS_MAX_LEN + 1];
    char other_addr[ADDRESS_MAX_LEN + 1];
    uint8_t other[32];
    outsider(other, other_addr);
    ck_assert_int_eq(wallet_new_address(w, NULL, a1), WALLET_OK);
    ck_assert_int_eq(wallet_new_address(w, NULL, a2), WALLET_OK);
    ck_assert_int_eq(wallet_new_address(w, NULL, a3), WALLET_OK);
    mine_to_addr(a1, 1);
    mine_to_addr(a2, 1);
    mine_to_addr(a3, 1);
    mine_to(other, 100);
    sync_wallets();
    ck_assert_uint_eq(balances(w).confirmed, 150 * COIN);
    struct mempool *pool = services_mempool(&node);

    /* one key covers 30: one transfer */
    struct wallet_send_result res;
    ck_assert_int_eq(wallet_send_to_address(w, other_addr, 30 * COIN, NULL, 0, 0, &res), WALLET_OK);
    ck_assert_uint_eq(res.n_txs, 1);
    ck_assert_uint_eq(res.total_fee, res.fee);
    ck_assert_uint_eq(res.txs[0].amount, 30 * COIN);
    char paid30[ADDRESS_MAX_LEN + 1];
    memcpy(paid30, res.txs[0].from, sizeof paid30);
    wallet_send_result_clear(&res);

    /* a single-key action says what the fullest key holds (50 of ~120) */
    struct transfer_payload tp;
    memset(&tp, 0, sizeof tp);
    memcpy(tp.to, other, 32);
    tp.amount = 60 * COIN;
    struct buf pl;
    buf_init(&pl);
    ck_assert(transfer_payload_encode(&tp, &pl));
    struct wallet_send_request req = {.type = TX_TYPE_TRANSFER, .payload = pl.data,
                                      .payload_len = pl.len, .spend = 60 * COIN};
    ck_assert_int_eq(wallet_create_transaction(w, &req, &res), WALLET_ERR_INSUFFICIENT_FUNDS);
    ck_assert_uint_eq(res.largest, 50 * COIN);
    ck_assert_uint_gt(res.available, 100 * COIN);
    ck_assert_uint_gt(res.needed, 60 * COIN);
    buf_clear(&pl);
    wallet_send_result_clear(&res);

    /* all or none: at a fee rate the mempool refuses nothing is sent */
    size_t pending = mempool_count(pool);
    struct wallet_balances before = balances(w);
    pthread_mutex_lock(&node.lock);
    mempool_set_min_fee_rate(pool, 5);
    pthread_mutex_unlock(&node.lock);
    ck_assert_int_eq(wallet_send_to_address(w, other_addr, 100 * COIN, NULL, 0, 1, &res),
                     WALLET_ERR_REJECTED);
    ck_assert_ptr_nonnull(strstr(res.reason, "fee-too-low"));
    ck_assert_ptr_nonnull(strstr(res.reason, "none sent"));
    ck_assert_uint_eq(res.n_txs, 0);
    ck_assert_uint_eq(mempool_count(pool), pending);
    sync_wallets();
    ck_assert_uint_eq(balances(w).unconfirmed_out, before.unconfirmed_out);
    wallet_send_result_clear(&res);
    pthread_mutex_lock(&node.lock);
    mempool_set_min_fee_rate(pool, 1);
    pthread_mutex_unlock(&node.lock);

    /* 100 needs all three keys (50 + 50 + ~20, less fees): the fullest first */
    amount_t spendable = before.confirmed - before.unconfirmed_out;
    ck_assert_int_eq(wallet_send_to_address(w, other_addr, 100 * COIN, NULL, 0, 0, &res), WALLET_OK);
    ck_assert_uint_eq(res.n_txs, 3);
    amount_t sum = 0, fees = 0;
    for (size_t i = 0; i < res.n_txs; i++) {
        ck_assert(in_mempool(res.txs[i].txid));
        for (size_t j = 0; j < i; j++)
            ck_assert_str_ne(res.txs[i].from, res.txs[j].from);
        sum += res.txs[i].amount;
        fees += res.txs[i].fee;
    }
    ck_assert_uint_eq(sum, 100 * COIN);
    ck_assert_uint_eq(fees, res.total_fee);
    ck_assert_mem_eq(res.txid, res.txs[0].txid, 32);
    ck_assert_str_eq(res.txs[2].from, paid30);   /* it holds the least: it pays last */
    ck_assert_uint_gt(res.txs[0].amount, res.txs[2].amount);
    sync_wallets();
    struct wallet_balances after = balances(w);
    ck_assert_uint_eq(after.unconfirmed_out - before.unconfirmed_out, 100 * COIN + fees);
    wallet_send_result_clear(&res);

    /* more than all keys hold: the error says what there is */
    spendable -= 100 * COIN + fees;
    ck_assert_int_eq(wallet_send_to_address(w, other_addr, 20 * COIN, NULL, 0, 0, &res),
                     WALLET_ERR_INSUFFICIENT_FUNDS);
    ck_assert_uint_eq(res.n_txs, 0);
    ck_assert_ptr_null(res.hex);
    ck_assert_uint_eq(res.available, spendable);
    ck_assert_uint_le(res.largest, res.available);
    ck_assert_uint_gt(res.needed, 20 * COIN);
    wallet_send_result_clear(&res);
}
END_TEST

Suite *unit_suite(void)
{
    static const struct fixture_case tc = {.setup = setup, .teardown = teardown, .timeout = 180};
    const TTest *tests[] = {
        manager_create_load_unload, manager_frees_unloaded_wallets, manager_get_put_races_unload,
        fixed_seed_gives_fixed_addresses, encryption_lock_unlock,
        created_encrypted, tracking_balances_and_reorg, coinbase_orphaned_by_reorg,
        sends_queue_nonces, send_refusals, create_without_broadcast_and_locked_signing,
        restore_from_seed, catch_up_import_backup_messages, concurrent_sends_and_blocks,
        pending_sends_resubmitted_on_load, pays_from_several_keys, NULL
    };
    return fixture_suite("wallet", &tc, tests);
}
