#include "bench/bench_chat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"
#include "consensus/envelope.h"
#include "crypto/aead.h"
#include "crypto/key.h"
#include "node/checkqueue.h"
#include "plugins/chat/chat_store.h"
#include "util/sqlitedb.h"

#define MAIN_BITS 20
#define TEXT "Is the oak chair still for sale? I could collect it on Saturday morning."

struct party {
    uint8_t sk[32], pub[32];
};

static void party_new(struct party *p)
{
    if (!key_generate(p->sk) || !key_pubkey(p->sk, p->pub))
        bench_fail("cannot make a key");
}

/* A text from a to b, sealed and signed, stamped at 0 bits (nonce 0). */
static void make(struct envelope *e, const struct party *a, const struct party *b, uint64_t ts)
{
    envelope_init(e);
    memcpy(e->sender, a->pub, 32);
    memcpy(e->recipient, b->pub, 32);
    e->timestamp = ts;
    e->ttl = 86400;
    struct envelope_plaintext p = {.kind = ENVELOPE_KIND_TEXT, .text = TEXT,
                                   .text_len = strlen(TEXT)};
    struct buf pt;
    buf_init(&pt);
    uint8_t key[AEAD_KEY_LEN];
    if (!envelope_plaintext_encode(&p, &pt) || !aead_shared_key(a->sk, b->pub, key) ||
        !aead_seal(key, pt.data, pt.len, &e->ciphertext) || !envelope_sign(e, a->sk))
        bench_fail("cannot seal and sign an envelope");
    buf_clear(&pt);
}

static void bench_stamps(size_t n, struct bench_chat_result *out)
{
    struct party a, b;
    party_new(&a);
    party_new(&b);
    unsigned threads = checkqueue_cpu_count();
    double *t = calloc(n, sizeof *t);
    if (t == NULL)
        bench_fail("out of memory");
    double seal = 0, total_tries = 0;
    for (size_t i = 0; i < n; i++) {
        struct envelope e;
        double t0 = bench_now();
        make(&e, &a, &b, 1800000000 + i);
        seal += bench_now() - t0;
        uint8_t id[32];
        uint64_t tries = 0;
        if (!envelope_id(&e, id))
            bench_fail("no id");
        t0 = bench_now();
        envelope_pow_grind(id, envelope_pow_bits(MAIN_BITS, e.ciphertext.len), threads,
                           &e.pow_nonce, &tries);
        t[i] = bench_now() - t0;
        total_tries += (double)tries;
        if (envelope_check(&e, MAIN_BITS, (int64_t)e.timestamp) != ENVELOPE_OK)
            bench_fail("a stamped envelope does not check");
        envelope_clear(&e);
    }
    bench_report("seal + sign an envelope (text)", n, seal);
    double mn, md;
    bench_stats(t, n, &mn, &md);
    char name[96];
    snprintf(name, sizeof name, "stamp at %d bits on %u threads, median", MAIN_BITS, threads);
    bench_report(name, 1, md);
    snprintf(name, sizeof name, "  (max of %zu; %.0f hashes a stamp on average)", n,
             total_tries / (double)n);
    bench_report(name, 1, t[n - 1]);
    out->stamps = n;
    out->stamp_main_median = md;
    out->stamp_main_max = t[n - 1];
    out->threads = threads;
    free(t);
}

static void bench_open_verify(struct bench_chat_result *out)
{
    enum { N = 1000 };
    struct party a, b;
    party_new(&a);
    party_new(&b);
    struct envelope *es = calloc(N, sizeof *es);
    if (es == NULL)
        bench_fail("out of memory");
    for (size_t i = 0; i < N; i++) {
        make(&es[i], &a, &b, 1800000000);
        uint8_t id[32];
        if (!envelope_id(&es[i], id))
            bench_fail("no id");
        envelope_pow_grind(id, 1, 1, &es[i].pow_nonce, NULL);
    }
    uint8_t key[AEAD_KEY_LEN];
    if (!aead_shared_key(b.sk, a.pub, key))
        bench_fail("no key");
    struct buf pt;
    buf_init(&pt);
    double t0 = bench_now();
    for (size_t i = 0; i < N; i++) {
        pt.len = 0;
        if (envelope_check(&es[i], 1, 1800000000) != ENVELOPE_OK ||
            aead_open(key, es[i].ciphertext.data, es[i].ciphertext.len, &pt) != AEAD_OK ||
            pt.len == 0)
            bench_fail("an envelope does not check or open");
    }
    double dt = bench_now() - t0;
    bench_report("check (work, signature) + open an envelope", N, dt);
    out->open_verify = dt / N;
    buf_clear(&pt);
    for (size_t i = 0; i < N; i++)
        envelope_clear(&es[i]);
    free(es);
}

static void bench_store(size_t inventory, struct bench_chat_result *out)
{
    char dir[4096], path[4200], err[256];
    if (!bench_tmpdir_create(dir, sizeof dir))
        bench_fail("cannot create a temporary directory");
    snprintf(path, sizeof path, "%s/chat.sqlite", dir);
    const struct sqlitedb_schema schema = {.app_id = 0x43484154, .version = 1,
                                           .statements = chat_store_schema,
                                           .n_statements = CHAT_STORE_N_SCHEMA};
    sqlite3 *db = NULL;
    if (!sqlitedb_open(path, &schema, &db, err, sizeof err))
        bench_fail("chat store: %s", err);
    struct party a, b;
    party_new(&a);
    party_new(&b);
    struct envelope e;
    make(&e, &a, &b, 1800000000);
    struct buf bytes;
    buf_init(&bytes);
    /* As received: one durable transaction each. The ciphertext does not
     * matter to the store, so one envelope is varied through its ttl
     * (another id each time). */
    enum { KEPT = 2000 };
    double t0 = bench_now();
    for (size_t i = 0; i < KEPT; i++) {
        e.ttl = 86400 + i;
        uint8_t id[32];
        bool added = false;
        bytes.len = 0;
        if (!envelope_id(&e, id) || !envelope_encode(&e, &bytes) ||
            !chat_store_add(db, id, &e, bytes.data, bytes.len, 1800000000, (uint64_t)1 << 40,
                            &added, err, sizeof err) ||
            !added)
            bench_fail("keeping an envelope: %s", err);
    }
    double dt = bench_now() - t0;
    bench_report("keep an envelope (one durable transaction)", KEPT, dt);
    out->insert = dt / KEPT;
    /* The rest of the inventory in one transaction (how it got there does
     * not matter to the walk). */
    if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        bench_fail("begin");
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO envelopes(id, sender, recipient, order_id, timestamp, "
                           "expires, size, received, body) VALUES (?1, ?2, ?3, NULL, ?4, ?5, ?6, "
                           "?4, ?7)",
                           -1, &st, NULL) != SQLITE_OK)
        bench_fail("prepare: %s", sqlite3_errmsg(db));
    for (size_t i = KEPT; i < inventory; i++) {
        e.ttl = 86400 + i;
        uint8_t id[32];
        bytes.len = 0;
        if (!envelope_id(&e, id) || !envelope_encode(&e, &bytes))
            bench_fail("encode");
        sqlite3_reset(st);
        sqlite3_bind_blob(st, 1, id, 32, SQLITE_STATIC);
        sqlite3_bind_blob(st, 2, e.sender, 32, SQLITE_STATIC);
        sqlite3_bind_blob(st, 3, e.recipient, 32, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, 1800000000);
        sqlite3_bind_int64(st, 5, (sqlite3_int64)(1800000000 + e.ttl));
        sqlite3_bind_int64(st, 6, (sqlite3_int64)bytes.len);
        sqlite3_bind_blob(st, 7, bytes.data, (int)bytes.len, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
            bench_fail("insert: %s", sqlite3_errmsg(db));
    }
    sqlite3_finalize(st);
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        bench_fail("commit");
    /* A new peer's offer: every unexpired id, 1,000 at a time. */
    uint8_t(*ids)[32] = malloc(1000 * sizeof *ids);
    uint8_t cursor[32];
    if (ids == NULL)
        bench_fail("out of memory");
    size_t walked = 0;
    bool has_cursor = false;
    t0 = bench_now();
    for (;;) {
        long n = chat_store_ids(db, has_cursor ? cursor : NULL, 1800000001, ids, 1000);
        if (n < 0)
            bench_fail("walking the inventory");
        if (n == 0)
            break;
        walked += (size_t)n;
        memcpy(cursor, ids[n - 1], 32);
        has_cursor = true;
    }
    dt = bench_now() - t0;
    if (walked != inventory)
        bench_fail("the walk found %zu of %zu envelopes", walked, inventory);
    bench_report("walk the inventory in batches of 1,000 ids", walked, dt);
    out->inventory = walked;
    out->inventory_total = dt;
    free(ids);
    buf_clear(&bytes);
    envelope_clear(&e);
    sqlite3_close(db);
    bench_tmpdir_remove();
}

void bench_chat(size_t stamps, size_t inventory, struct bench_chat_result *out)
{
    memset(out, 0, sizeof *out);
    bench_stamps(stamps, out);
    bench_open_verify(out);
    bench_store(inventory < 2000 ? 2000 : inventory, out);
}
