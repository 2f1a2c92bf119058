#include "unit.h"
#include "fixture.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "node/chatbus.h"
#include "node/services.h"
#include "util/time.h"
#include "wallet/wallet.h"
#include "wallet/walletchat.h"

static char dir[256];
static struct node_ctx node;
static struct args args;
static struct chatbus bus;
static struct walletman *wm;

static void setup(void)
{
    fixture_tmpdir_make(dir, sizeof dir, "walletchat");
    char err[512] = "";
    memset(&node, 0, sizeof node);
    ck_assert_int_eq(args_init(&args, services_options, services_options_count, err, sizeof err),
                     ARGS_OK);
    node.args = &args;
    node.params = fixture_regtest();
    snprintf(node.datadir, sizeof node.datadir, "%s", dir);
    pthread_mutex_init(&node.lock, NULL);
    chatbus_init(&bus);
    node.chatbus = &bus;
    ck_assert_msg(services_start(&node, err, sizeof err), "%s", err);
    ck_assert_int_eq(walletman_new(&node, &wm, err, sizeof err), WALLET_OK);
}

static void teardown(void)
{
    walletman_free(wm);
    services_stop(&node);
    chatbus_destroy(&bus);
    pthread_mutex_destroy(&node.lock);
    args_clear(&args);
    fixture_tmpdir_remove(dir);
}

static struct wallet *wallet(const char *name, uint8_t pub[32])
{
    struct wallet *w = NULL;
    char err[256] = "", addr[ADDRESS_MAX_LEN + 1];
    ck_assert_msg(walletman_create(wm, name, NULL, NULL, &w, err, sizeof err) == WALLET_OK, "%s",
                  err);
    if (pub != NULL) {
        ck_assert_int_eq(wallet_new_address(w, NULL, addr), WALLET_OK);
        ck_assert_int_eq(address_decode("rsouk", addr, pub), ADDRESS_OK);
    }
    return w;
}

static void text(struct buf *pt, const char *s)
{
    buf_init(pt);
    struct envelope_plaintext p = {.kind = ENVELOPE_KIND_TEXT, .text = s, .text_len = strlen(s)};
    ck_assert(envelope_plaintext_encode(&p, pt));
}

/* An envelope from w to `to`, stamped and checked as a node does. */
static void send_text(struct wallet *w, const uint8_t to[32], const char *s, struct envelope *e,
                 uint8_t id[32])
{
    struct buf pt;
    text(&pt, s);
    struct wallet_chat_draft d = {.ttl = 3600, .timestamp = time_now(), .plaintext = pt.data,
                                  .plaintext_len = pt.len};
    memcpy(d.to, to, 32);
    envelope_init(e);
    uint8_t from[32];
    char err[160];
    ck_assert_int_eq(wallet_chat_create(w, &d, e, from, err, sizeof err), WALLET_OK);
    ck_assert_mem_eq(from, e->sender, 32);
    ck_assert(envelope_id(e, id));
    envelope_pow_grind(id, 1, 1, &e->pow_nonce, NULL);
    ck_assert_int_eq(envelope_check(e, 1, time_now()), ENVELOPE_OK);
    buf_clear(&pt);
}

START_TEST(send_take_and_read)
{
    uint8_t pa[32], pb[32], pc[32];
    struct wallet *a = wallet("a", pa), *b = wallet("b", pb), *c = wallet("c", pc);
    struct envelope e;
    uint8_t id[32];
    send_text(a, pb, "hello b", &e, id);
    ck_assert(wallet_chat_wants(b, e.sender, e.recipient));
    ck_assert(wallet_chat_wants(a, e.sender, e.recipient));
    ck_assert(!wallet_chat_wants(c, e.sender, e.recipient));
    ck_assert(wallet_chat_take(b, id, &e));   /* new, and for b */
    ck_assert(!wallet_chat_take(b, id, &e));  /* not new */
    ck_assert(!wallet_chat_take(a, id, &e));  /* a sent it */
    ck_assert(!wallet_chat_take(c, id, &e));  /* not c's */

    struct walletdb_chat m;
    walletdb_chat_init(&m);
    ck_assert_int_eq(wallet_chat_get(b, id, true, &m), WALLET_OK);
    ck_assert_int_eq(m.kind, ENVELOPE_KIND_TEXT);
    ck_assert_mem_eq(m.body.data, "hello b", 7);
    ck_assert(!m.outgoing && !m.read);
    ck_assert_mem_eq(m.own, pb, 32);
    ck_assert_mem_eq(m.counterparty, pa, 32);
    walletdb_chat_clear(&m);
    ck_assert_int_eq(wallet_chat_get(a, id, true, &m), WALLET_OK);
    ck_assert(m.outgoing && m.read);
    ck_assert_mem_eq(m.counterparty, pb, 32);
    walletdb_chat_clear(&m);
    ck_assert_int_eq(wallet_chat_get(c, id, true, &m), WALLET_ERR_NOT_FOUND);
    walletdb_chat_clear(&m);

    /* a writes to b's second key; b answers from it without naming it
     * (its first key is what it would use otherwise) */
    uint8_t extra[32], id2[32], id3[32];
    char addr[ADDRESS_MAX_LEN + 1];
    ck_assert_int_eq(wallet_new_address(b, NULL, addr), WALLET_OK);
    ck_assert_int_eq(address_decode("rsouk", addr, extra), ADDRESS_OK);
    struct envelope q, r;
    send_text(a, extra, "to your other key", &q, id2);
    ck_assert(wallet_chat_take(b, id2, &q));
    send_text(b, pa, "hi a", &r, id3);
    ck_assert_mem_eq(r.sender, extra, 32);
    envelope_clear(&q);
    envelope_clear(&r);

    size_t marked = 9, missing = 9;
    uint8_t ids[3][32];
    memcpy(ids[0], id, 32);
    memcpy(ids[1], id, 32);
    memset(ids[2], 0x77, 32);
    ck_assert_int_eq(wallet_chat_mark_read(b, (const uint8_t(*)[32])ids, 3, &marked, &missing),
                     WALLET_ERR_NOT_FOUND);
    ck_assert_uint_eq(missing, 2);
    ck_assert_uint_eq(marked, 0);
    ck_assert_int_eq(wallet_chat_get(b, id, false, &m), WALLET_OK);
    ck_assert(!m.read); /* all or none */
    walletdb_chat_clear(&m);
    ck_assert_int_eq(wallet_chat_mark_read(b, (const uint8_t(*)[32])ids, 2, &marked, &missing),
                     WALLET_OK);
    ck_assert_uint_eq(marked, 1);
    ck_assert_int_eq(wallet_chat_get(b, id, false, &m), WALLET_OK);
    ck_assert(m.read);
    walletdb_chat_clear(&m);

    /* altered ciphertext does not open: dropped, not kept */
    struct envelope bad;
    uint8_t id4[32];
    send_text(a, pb, "altered", &bad, id4);
    bad.ciphertext.data[20] ^= 1;
    ck_assert(!wallet_chat_take(b, id4, &bad));
    ck_assert_int_eq(wallet_chat_get(b, id4, false, &m), WALLET_ERR_NOT_FOUND);
    walletdb_chat_clear(&m);
    envelope_clear(&bad);
    envelope_clear(&e);
}
END_TEST

START_TEST(create_refusals)
{
    uint8_t pa[32], pb[32];
    struct wallet *a = wallet("a", pa);
    struct wallet *none = wallet("none", NULL);
    wallet("b", pb);
    struct buf pt;
    text(&pt, "x");
    struct wallet_chat_draft d = {.ttl = 60, .timestamp = time_now(), .plaintext = pt.data,
                                  .plaintext_len = pt.len};
    memcpy(d.to, pb, 32);
    struct envelope e;
    envelope_init(&e);
    uint8_t from[32];
    char err[160] = "";
    ck_assert_int_eq(wallet_chat_create(none, &d, &e, from, err, sizeof err),
                     WALLET_ERR_BAD_PARAMETER);
    ck_assert_msg(strstr(err, "no address") != NULL, "%s", err);
    d.from = pb;
    ck_assert_int_eq(wallet_chat_create(a, &d, &e, from, err, sizeof err), WALLET_ERR_NOT_MINE);
    d.from = pa;
    d.ttl = 0;
    ck_assert_int_eq(wallet_chat_create(a, &d, &e, from, err, sizeof err),
                     WALLET_ERR_BAD_PARAMETER);
    d.ttl = ENVELOPE_TTL_MAX + 1;
    ck_assert_int_eq(wallet_chat_create(a, &d, &e, from, err, sizeof err),
                     WALLET_ERR_BAD_PARAMETER);
    d.ttl = 60;
    static const uint8_t junk[] = {0x92, 0x05, 0xa1, 'x'}; /* kind 5 */
    d.plaintext = junk;
    d.plaintext_len = sizeof junk;
    ck_assert_int_eq(wallet_chat_create(a, &d, &e, from, err, sizeof err),
                     WALLET_ERR_BAD_PARAMETER);
    ck_assert_msg(strstr(err, "plaintext") != NULL, "%s", err);
    /* one byte too many once sealed */
    struct buf big;
    buf_init(&big);
    static char huge[ENVELOPE_CIPHERTEXT_MAX];
    memset(huge, 'y', sizeof huge);
    struct envelope_plaintext p = {.kind = ENVELOPE_KIND_TEXT, .text = huge,
                                   .text_len = ENVELOPE_CIPHERTEXT_MAX - 28 - 5 - 2 + 1};
    ck_assert(envelope_plaintext_encode(&p, &big));
    ck_assert_uint_eq(big.len + 28, ENVELOPE_CIPHERTEXT_MAX + 1);
    d.plaintext = big.data;
    d.plaintext_len = big.len;
    ck_assert_int_eq(wallet_chat_create(a, &d, &e, from, err, sizeof err),
                     WALLET_ERR_BAD_PARAMETER);
    ck_assert_msg(strstr(err, "too big") != NULL, "%s", err);
    p.text_len--;
    buf_reset(&big);
    ck_assert(envelope_plaintext_encode(&p, &big));
    d.plaintext = big.data;
    d.plaintext_len = big.len;
    ck_assert_int_eq(wallet_chat_create(a, &d, &e, from, err, sizeof err), WALLET_OK);
    ck_assert_uint_eq(e.ciphertext.len, ENVELOPE_CIPHERTEXT_MAX);
    /* a recipient that is no key */
    memset(d.to, 0xff, 32);
    ck_assert_int_eq(wallet_chat_create(a, &d, &e, from, err, sizeof err),
                     WALLET_ERR_INVALID_ADDRESS);
    buf_clear(&big);
    buf_clear(&pt);
    envelope_clear(&e);
}
END_TEST

START_TEST(locked_wallet_opens_at_unlock)
{
    uint8_t pa[32], pb[32];
    struct wallet *a = wallet("a", pa), *b = wallet("b", pb);
    ck_assert_int_eq(wallet_encrypt(b, "pass"), WALLET_OK);
    struct envelope e, bad;
    uint8_t id[32], id2[32];
    send_text(a, pb, "while locked", &e, id);
    send_text(a, pb, "altered", &bad, id2);
    bad.ciphertext.data[30] ^= 1;
    ck_assert(wallet_chat_take(b, id, &e));
    ck_assert(wallet_chat_take(b, id2, &bad));  /* cannot tell yet */
    struct walletdb_chat m;
    walletdb_chat_init(&m);
    ck_assert_int_eq(wallet_chat_get(b, id, true, &m), WALLET_OK);
    ck_assert_int_eq(m.kind, WALLETDB_CHAT_SEALED);
    ck_assert_uint_eq(m.body.len, e.ciphertext.len);
    walletdb_chat_clear(&m);
    /* locked, the wallet cannot send either */
    struct buf pt;
    text(&pt, "x");
    struct wallet_chat_draft d = {.ttl = 60, .timestamp = time_now(), .plaintext = pt.data,
                                  .plaintext_len = pt.len};
    memcpy(d.to, pa, 32);
    uint8_t from[32];
    char err[160];
    struct envelope out;
    envelope_init(&out);
    ck_assert_int_eq(wallet_chat_create(b, &d, &out, from, err, sizeof err), WALLET_ERR_LOCKED);

    ck_assert_int_eq(wallet_unlock(b, "pass", 60), WALLET_OK);
    ck_assert_int_eq(wallet_chat_get(b, id, true, &m), WALLET_OK);
    ck_assert_int_eq(m.kind, ENVELOPE_KIND_TEXT);
    ck_assert_mem_eq(m.body.data, "while locked", 12);
    ck_assert(!m.read);
    walletdb_chat_clear(&m);
    ck_assert_int_eq(wallet_chat_get(b, id2, true, &m), WALLET_ERR_NOT_FOUND);
    walletdb_chat_clear(&m);
    ck_assert_int_eq(wallet_chat_create(b, &d, &out, from, err, sizeof err), WALLET_OK);
    envelope_clear(&out);
    buf_clear(&pt);
    envelope_clear(&e);
    envelope_clear(&bad);
}
END_TEST

/* A store holding the envelopes of a test. */
struct store {
    struct envelope *e[4];
    uint8_t id[4][32];
    size_t n;
};

static bool store_replay(void *ctx, chatbus_want_fn want, chatbus_take_fn take, void *arg)
{
    struct store *s = ctx;
    for (size_t i = 0; i < s->n; i++)
        if (want(arg, s->e[i]->sender, s->e[i]->recipient))
            take(arg, s->id[i], s->e[i]);
    return true;
}

START_TEST(the_bus_reaches_loaded_wallets)
{
    uint8_t pa[32], pb[32];
    struct wallet *a = wallet("a", pa), *b = wallet("b", pb);
    struct envelope e1, e2;
    struct store s = {.n = 0};
    send_text(a, pb, "first", &e1, s.id[0]);
    send_text(a, pb, "second", &e2, s.id[1]);
    s.e[0] = &e1;
    s.e[1] = &e2;
    /* the first arrives while both are loaded: both record it, b as news */
    ck_assert(chatbus_kept(&bus, s.id[0], &e1));
    struct walletdb_chat m;
    walletdb_chat_init(&m);
    ck_assert_int_eq(wallet_chat_get(a, s.id[0], false, &m), WALLET_OK);
    ck_assert(m.outgoing);
    walletdb_chat_clear(&m);
    /* the second arrives while b is not loaded */
    ck_assert_int_eq(walletman_unload(wm, "b"), WALLET_OK);
    ck_assert(!chatbus_kept(&bus, s.id[1], &e2));
    s.n = 2;
    struct chatbus_store st = {.ctx = &s, .replay = store_replay};
    ck_assert(chatbus_set_store(&bus, &st));
    char err[256] = "";
    ck_assert_msg(walletman_load(wm, "b", &b, err, sizeof err) == WALLET_OK, "%s", err);
    ck_assert_int_eq(wallet_chat_get(b, s.id[1], true, &m), WALLET_OK);
    ck_assert_mem_eq(m.body.data, "second", 6);
    ck_assert(!m.read);
    walletdb_chat_clear(&m);
    ck_assert_int_eq(wallet_chat_get(b, s.id[0], true, &m), WALLET_OK);
    walletdb_chat_clear(&m);
    chatbus_clear_store(&bus);
    envelope_clear(&e1);
    envelope_clear(&e2);
}
END_TEST

Suite *unit_suite(void)
{
    static const struct fixture_case tc = {.setup = setup, .teardown = teardown, .timeout = 120};
    const TTest *tests[] = {send_take_and_read, create_refusals, locked_wallet_opens_at_unlock,
                            the_bus_reaches_loaded_wallets, NULL};
    return fixture_suite("walletchat", &tc, tests);
}
