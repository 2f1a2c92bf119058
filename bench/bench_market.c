#define _POSIX_C_SOURCE 200809L
#include "bench/bench_market.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"
#include "bench/bench_chain.h"
#include "consensus/blockcheck.h"
#include "consensus/state.h"
#include "consensus/txfield.h"
#include "consensus/txsign.h"
#include "consensus/txtype.h"
#include "node/node.h"
#include "node/plugin.h"
#include "plugins/market/market.h"
#include "plugins/market/market_index.h"
#include "plugins/market/market_state.h"
#include "util/args.h"
#include "util/sqlitedb.h"

#define FEE 1000

/* ---- deterministic texts ---------------------------------------------------- */

/* splitmix64: the same listings and queries on every run. */
struct rng {
    uint64_t s;
};

static uint64_t rng_next(struct rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t rng_below(struct rng *r, uint64_t n)
{
    return n == 0 ? 0 : rng_next(r) % n;
}

static double rng_unit(struct rng *r)
{
    return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

/* Ranks 0..n-1 drawn with probability proportional to 1/(rank+1)^s, as
 * word frequencies in text fall off. */
struct zipf {
    double *cdf;
    size_t n;
};

static void zipf_init(struct zipf *z, size_t n, double s)
{
    z->cdf = malloc(n * sizeof *z->cdf);
    if (z->cdf == NULL)
        bench_fail("out of memory");
    z->n = n;
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        z->cdf[i] = (sum += 1.0 / pow((double)(i + 1), s));
    for (size_t i = 0; i < n; i++)
        z->cdf[i] /= sum;
}

static size_t zipf_draw(const struct zipf *z, struct rng *r)
{
    double u = rng_unit(r);
    size_t lo = 0, hi = z->n - 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (z->cdf[mid] < u)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void zipf_clear(struct zipf *z)
{
    free(z->cdf);
    z->cdf = NULL;
}

/* The most frequent words are real ones, so titles read like listings. */
static const char *const common_words[] = {
    "new",    "used",   "vintage", "black",  "white",   "set",    "small",  "large",
    "leather", "wood",  "handmade", "original", "blue", "red",    "classic", "mini",
    "pro",    "kit",    "box",     "pair",   "size",    "edition", "rare",  "gold",
    "silver", "cotton", "steel",   "glass",  "light",   "green",  "case",   "cover",
    "bag",    "table",  "chair",   "lamp",   "book",    "guide",  "camera", "phone",
    "watch",  "ring",   "shirt",   "dress",  "jacket",  "shoes",  "boots",  "coffee",
    "tea",    "bike",   "board",   "game",   "card",    "print",  "poster", "record",
    "guitar", "tool",   "knife",   "pan",    "wool",    "brass",  "oak",    "linen",
};
#define N_COMMON (sizeof common_words / sizeof common_words[0])

static const char *const categories[] = {
    "electronics", "clothing", "books",  "home",    "toys",     "music",
    "art",         "tools",    "garden", "kitchen", "sports",   "health",
    "beauty",      "auto",     "pets",   "baby",    "office",   "games",
    "crafts",      "collectibles", "outdoor", "furniture", "software", "jewelry",
};
#define N_CATEGORIES (sizeof categories / sizeof categories[0])

/* The word of rank r: a common word, then made-up words of three or more
 * consonant-vowel syllables (none of which is a common word), all
 * distinct. out holds at least 24 bytes. */
static size_t word_at(size_t r, char *out)
{
    static const char consonants[] = "bdfgklmnprstvz", vowels[] = "aeiou";
    const size_t syllables = (sizeof consonants - 1) * (sizeof vowels - 1);
    if (r < N_COMMON) {
        size_t len = strlen(common_words[r]);
        memcpy(out, common_words[r], len + 1);
        return len;
    }
    r -= N_COMMON;
    size_t n = 3, span = syllables * syllables * syllables;
    while (r >= span && n < 11) {
        r -= span;
        n++;
        span *= syllables;
    }
    for (size_t i = 0; i < n; i++) {
        size_t s = r % syllables;
        r /= syllables;
        out[2 * i] = consonants[s / (sizeof vowels - 1)];
        out[2 * i + 1] = vowels[s % (sizeof vowels - 1)];
    }
    out[2 * n] = '\0';
    return 2 * n;
}

/* Words that join a description's content words; no query is made of
 * them (each is in nearly every listing, and a search box sees few). */
static const char *const function_words[] = {"the", "and", "with", "for", "in", "of",
                                             "a",   "to",  "is",   "on",  "this", "very"};
#define N_FUNCTION (sizeof function_words / sizeof function_words[0])
/* A third of a description's words are function words. */
#define FUNCTION_SHARE 3

/* Word ranks for titles (a few thousand words) and for the content words
 * of descriptions (tens of thousands, with the titles' words at the top):
 * the most frequent word is in about a third of titles and two in five
 * descriptions. */
#define TITLE_VOCAB 5000
#define DESC_VOCAB 30000
static struct zipf title_words, desc_words, function_zipf, category_zipf;

static void texts_init(void)
{
    if (title_words.cdf != NULL)
        return;
    zipf_init(&title_words, TITLE_VOCAB, 0.9);
    zipf_init(&desc_words, DESC_VOCAB, 0.8);
    zipf_init(&function_zipf, N_FUNCTION, 1.0);
    zipf_init(&category_zipf, N_CATEGORIES, 0.8);
}

static void texts_clear(void)
{
    zipf_clear(&title_words);
    zipf_clear(&desc_words);
    zipf_clear(&function_zipf);
    zipf_clear(&category_zipf);
}

#define DESC_TEXT_MAX 1024

struct listing_text {
    char title[MARKET_TITLE_MAX + 1];
    char description[DESC_TEXT_MAX];
    size_t title_ranks[8], n_title;
    size_t desc_ranks[64], n_desc;  /* its content words */
    const char *category;
    amount_t price;
    uint64_t quantity;
};

static void append_word(char *buf, size_t cap, size_t *len, size_t rank)
{
    char w[24];
    size_t wl = word_at(rank, w);
    if (*len + wl + 2 > cap)
        return;
    if (*len > 0)
        buf[(*len)++] = ' ';
    memcpy(buf + *len, w, wl + 1);
    *len += wl;
}

/* The texts of listing `seed`: the same seed gives the same listing, so a
 * query can draw its words from a listing without storing it. */
static void listing_text(uint64_t seed, struct listing_text *t)
{
    struct rng r = {seed * 0x2545f4914f6cdd1dULL + 1};
    size_t len = 0;
    t->n_title = 3 + (size_t)rng_below(&r, 6);
    t->title[0] = '\0';
    for (size_t i = 0; i < t->n_title; i++) {
        t->title_ranks[i] = zipf_draw(&title_words, &r);
        append_word(t->title, sizeof t->title, &len, t->title_ranks[i]);
    }
    len = 0;
    size_t words = 15 + (size_t)rng_below(&r, 36);
    t->n_desc = 0;
    t->description[0] = '\0';
    for (size_t i = 0; i < words; i++) {
        if (rng_below(&r, FUNCTION_SHARE) == 0) {
            const char *w = function_words[zipf_draw(&function_zipf, &r)];
            size_t wl = strlen(w);
            if (len + wl + 2 <= sizeof t->description) {
                if (len > 0)
                    t->description[len++] = ' ';
                memcpy(t->description + len, w, wl + 1);
                len += wl;
            }
            continue;
        }
        t->desc_ranks[t->n_desc] = zipf_draw(&desc_words, &r);
        append_word(t->description, sizeof t->description, &len, t->desc_ranks[t->n_desc++]);
    }
    t->category = categories[zipf_draw(&category_zipf, &r)];
    t->price = 100 + (amount_t)rng_below(&r, 9900);
    t->quantity = 1 + rng_below(&r, 100);
}

/* A profile name, distinct for each n (3 to 32 of a-z). */
static void name_at(uint64_t n, char out[MARKET_NAME_MAX + 1])
{
    word_at(N_COMMON + (size_t)n, out);
}

/* ---- building market transactions ------------------------------------------- */

#define TEXT(s) ((struct txvalue){.p = (const uint8_t *)(s), .len = strlen(s)})
#define HASH(h) ((struct txvalue){.p = (h), .len = 32})
#define UINT(x) ((struct txvalue){.u = (x)})
#define NONE ((struct txvalue){.p = NULL, .len = 0})

struct txlist {
    struct tx *txs;
    size_t n, cap;
};

static struct tx *txlist_push(struct txlist *l)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 256;
        struct tx *grown = realloc(l->txs, cap * sizeof *grown);
        if (grown == NULL)
            bench_fail("out of memory");
        l->txs = grown;
        l->cap = cap;
    }
    struct tx *tx = &l->txs[l->n++];
    tx_init(tx);
    return tx;
}

static void txlist_clear(struct txlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        tx_clear(&l->txs[i]);
    l->n = 0;
}

static void txlist_free(struct txlist *l)
{
    txlist_clear(l);
    free(l->txs);
    l->txs = NULL;
    l->cap = 0;
}

/* A market tx of `type` with field values v, unsigned, from sender. */
static void market_tx(struct tx *tx, uint8_t type, const struct txvalue *v,
                      const uint8_t sender[32], uint64_t nonce)
{
    const struct txtype_def *def = txtype_find(type);
    if (def == NULL)
        bench_fail("the market types are not installed");
    if (txpayload_check_values(def->fields, def->n_fields, v, NULL, NULL) != TXERR_OK)
        bench_fail("a %s payload breaks its field bounds", def->name);
    struct buf pl;
    buf_init(&pl);
    if (!txpayload_encode(def->fields, def->n_fields, v, &pl))
        bench_fail("out of memory encoding a payload");
    if (tx_set_payload(tx, pl.data, pl.len) != SER_OK)
        bench_fail("a %s payload was refused", def->name);
    buf_clear(&pl);
    tx->type = type;
    memcpy(tx->sender, sender, 32);
    tx->nonce = nonce;
    tx->fee = FEE;
}

/* ---- the market block --------------------------------------------------------- */

/* A key that signs market txs, with its next nonce. */
struct actor {
    struct bench_user k;
    uint64_t nonce;
};

static struct actor *actors_new(size_t n)
{
    struct bench_user *u = bench_users_new(n);
    struct actor *a = calloc(n ? n : 1, sizeof *a);
    if (a == NULL)
        bench_fail("out of memory");
    for (size_t i = 0; i < n; i++)
        a[i].k = u[i];
    free(u);
    return a;
}

/* Appends a signed market tx from a (its next nonce); id (may be NULL)
 * receives its txid, the id of a listing or order it creates. */
static void add_signed(struct txlist *l, struct actor *a, uint8_t type, const struct txvalue *v,
                       uint8_t id[32])
{
    struct tx *tx = txlist_push(l);
    market_tx(tx, type, v, a->k.pub, a->nonce++);
    if (!txsign_sign(tx, a->k.sk, bench_params->genesis.hash))
        bench_fail("signing failed");
    if (id != NULL)
        tx_txid(tx, id);
}

/* Connects l's txs in as few blocks as hold them, then empties l. */
static void submit_all(struct chain *c, const uint8_t miner[32], struct txlist *l)
{
    struct block b;
    block_init(&b);
    size_t start = 0, bytes = 0;
    for (size_t i = 0; i <= l->n; i++) {
        size_t sz = i < l->n ? tx_encoded_size(&l->txs[i]) : 0;
        if (i == l->n || bytes + sz > BLOCK_MAX_SIZE / 2) {
            if (i > start) {
                bench_build_block(&b, chain_tip(c), miner, l->txs + start, i - start, 0);
                bench_submit_tip(c, &b);
            }
            start = i;
            bytes = 0;
        }
        bytes += sz;
    }
    block_clear(&b);
    txlist_clear(l);
}

struct listing_ref {
    uint8_t id[32];
    struct actor *seller;
    amount_t price;
};

struct order_ref {
    uint8_t id[32];
    struct actor *buyer, *seller, *arbiter;
    amount_t total;
    uint64_t fee_bps;
};

/* The kinds of the measured block and their share of it, per mille. */
enum mkind {
    K_PROFILE, K_CREATE, K_UPDATE, K_CLOSE, K_PLACE, K_ACCEPT, K_SHIP,
    K_COMPLETE_ACCEPTED, K_COMPLETE_SHIPPED, K_CANCEL_BUYER, K_CANCEL_SELLER,
    K_DISPUTE_ACCEPTED, K_DISPUTE_SHIPPED, K_RESOLVE, K_COUNT_
};
static const struct {
    const char *name;
    unsigned per_mille;
} mkinds[K_COUNT_] = {
    [K_PROFILE] = {"profile_set", 50},
    [K_CREATE] = {"listing_create", 150},
    [K_UPDATE] = {"listing_update", 100},
    [K_CLOSE] = {"listing_close", 25},
    [K_PLACE] = {"order_place", 250},
    [K_ACCEPT] = {"order_accept", 125},
    [K_SHIP] = {"order_ship", 100},
    [K_COMPLETE_ACCEPTED] = {"order_complete (accepted)", 50},
    [K_COMPLETE_SHIPPED] = {"order_complete (shipped)", 50},
    [K_CANCEL_BUYER] = {"order_cancel (buyer)", 25},
    [K_CANCEL_SELLER] = {"order_cancel (seller)", 25},
    [K_DISPUTE_ACCEPTED] = {"order_dispute (accepted)", 12},
    [K_DISPUTE_SHIPPED] = {"order_dispute (shipped)", 13},
    [K_RESOLVE] = {"order_resolve", 25},
};

/* Everything the measured block acts on, made in earlier blocks. */
struct market_world {
    struct actor *sellers, *buyers, *arbiters;
    size_t n_sellers, n_buyers, n_arbiters;
    struct listing_ref *listings;
    size_t n_listings;
    size_t n_update, n_close;  /* listings [0, n_update) are updated, the next n_close closed */
    size_t next_listing;       /* the next listing an order goes to */
    size_t next_buyer;
    /* Orders by the state the block finds them in, each group consumed
     * from its front by the kinds that need it. */
    struct order_ref *placed, *accepted, *shipped, *disputed, *timing_out;
    size_t n_placed, n_accepted, n_shipped, n_disputed, n_timing_out;
    size_t used_placed, used_accepted, used_shipped, used_disputed;
    uint64_t names;            /* profile names handed out */
    struct rng rng;
};

static struct order_ref *orders_new(size_t n)
{
    struct order_ref *o = calloc(n ? n : 1, sizeof *o);
    if (o == NULL)
        bench_fail("out of memory");
    return o;
}

static void add_profile(struct txlist *l, struct market_world *w, struct actor *a)
{
    char name[MARKET_NAME_MAX + 1];
    name_at(w->names++, name);
    struct txvalue v[] = {TEXT(name), TEXT("ships worldwide within two days")};
    add_signed(l, a, MARKET_TYPE_PROFILE_SET, v, NULL);
}

static void add_listing(struct txlist *l, struct market_world *w, struct actor *seller,
                        struct listing_ref *out)
{
    struct listing_text t;
    listing_text(rng_next(&w->rng), &t);
    struct txvalue v[] = {TEXT(t.title), TEXT(t.description), TEXT(t.category), UINT(t.price),
                          UINT(1000), NONE, UINT(0)};
    uint8_t id[32];
    add_signed(l, seller, MARKET_TYPE_LISTING_CREATE, v, id);
    if (out != NULL) {
        *out = (struct listing_ref){.seller = seller, .price = t.price};
        memcpy(out->id, id, 32);
    }
}

/* An order on the next orderable listing by the next buyer; with_arbiter
 * forces an arbiter (disputes need one), else every other order has one. */
static void add_order(struct txlist *l, struct market_world *w, bool with_arbiter,
                      struct order_ref *out)
{
    size_t first = w->n_update + w->n_close;
    size_t span = w->n_listings - first;
    const struct listing_ref *lr = &w->listings[first + w->next_listing++ % span];
    struct actor *buyer = &w->buyers[w->next_buyer++ % w->n_buyers];
    uint64_t qty = 1 + rng_below(&w->rng, 2);
    bool arb = with_arbiter || rng_below(&w->rng, 2) == 0;
    struct actor *arbiter = arb ? &w->arbiters[rng_below(&w->rng, w->n_arbiters)] : NULL;
    uint8_t note[80];
    for (size_t i = 0; i < sizeof note; i++)
        note[i] = (uint8_t)rng_next(&w->rng);
    struct txvalue v[] = {HASH(lr->id),
                          UINT(qty),
                          UINT(lr->price * qty),
                          arb ? HASH(arbiter->k.pub) : NONE,
                          UINT(arb ? 100 : 0),
                          {.p = note, .len = sizeof note}};
    uint8_t id[32];
    add_signed(l, buyer, MARKET_TYPE_ORDER_PLACE, v, id);
    *out = (struct order_ref){.buyer = buyer, .seller = lr->seller, .arbiter = arbiter,
                              .total = lr->price * qty, .fee_bps = arb ? 100 : 0};
    memcpy(out->id, id, 32);
}

static void add_order_step(struct txlist *l, struct actor *who, uint8_t type,
                           const struct order_ref *o)
{
    uint8_t note[64];
    memset(note, 0x5a, sizeof note);
    if (type == MARKET_TYPE_ORDER_SHIP) {
        struct txvalue v[] = {HASH(o->id), {.p = note, .len = sizeof note}};
        add_signed(l, who, type, v, NULL);
    } else if (type == MARKET_TYPE_ORDER_DISPUTE) {
        struct txvalue v[] = {HASH(o->id), TEXT("the parcel arrived damaged")};
        add_signed(l, who, type, v, NULL);
    } else if (type == MARKET_TYPE_ORDER_RESOLVE) {
        amount_t fee = market_arbiter_fee(o->total, o->fee_bps);
        struct txvalue v[] = {HASH(o->id), UINT((o->total - fee) / 2)};
        add_signed(l, who, type, v, NULL);
    } else {
        struct txvalue v[] = {HASH(o->id)};
        add_signed(l, who, type, v, NULL);
    }
}

static size_t kind_count(size_t txs, enum mkind k)
{
    return txs * mkinds[k].per_mille / 1000;
}

/* The orders of one group, placed (in l), each given an arbiter when the
 * group will be disputed. */
static struct order_ref *place_group(struct txlist *l, struct market_world *w, size_t n,
                                     bool with_arbiter)
{
    struct order_ref *o = orders_new(n);
    for (size_t i = 0; i < n; i++)
        add_order(l, w, with_arbiter, &o[i]);
    return o;
}

static struct order_ref *take(struct order_ref *group, size_t n, size_t *used)
{
    if (*used >= n)
        bench_fail("the market block ran out of prepared orders");
    return &group[(*used)++];
}

/* One tx of kind k for the measured block. */
static void add_kind(struct txlist *l, struct market_world *w, enum mkind k, size_t i)
{
    struct order_ref *o;
    switch (k) {
    case K_PROFILE:
        /* Half are buyers' first profiles, half sellers' renames. */
        add_profile(l, w, i % 2 ? &w->buyers[(i / 2) % w->n_buyers]
                                : &w->sellers[(i / 2) % w->n_sellers]);
        break;
    case K_CREATE:
        add_listing(l, w, &w->sellers[rng_below(&w->rng, w->n_sellers)], NULL);
        break;
    case K_UPDATE: {
        const struct listing_ref *lr = &w->listings[i];
        struct listing_text t;
        listing_text(rng_next(&w->rng), &t);
        struct txvalue v[] = {HASH(lr->id),  TEXT(t.title), TEXT(t.description),
                              TEXT(t.category), UINT(t.price), UINT(500)};
        add_signed(l, lr->seller, MARKET_TYPE_LISTING_UPDATE, v, NULL);
        break;
    }
    case K_CLOSE: {
        const struct listing_ref *lr = &w->listings[w->n_update + i];
        struct txvalue v[] = {HASH(lr->id)};
        add_signed(l, lr->seller, MARKET_TYPE_LISTING_CLOSE, v, NULL);
        break;
    }
    case K_PLACE: {
        struct order_ref unused;
        add_order(l, w, false, &unused);
        break;
    }
    case K_ACCEPT:
        o = take(w->placed, w->n_placed, &w->used_placed);
        add_order_step(l, o->seller, MARKET_TYPE_ORDER_ACCEPT, o);
        break;
    case K_CANCEL_BUYER:
        o = take(w->placed, w->n_placed, &w->used_placed);
        add_order_step(l, o->buyer, MARKET_TYPE_ORDER_CANCEL, o);
        break;
    case K_SHIP:
        o = take(w->accepted, w->n_accepted, &w->used_accepted);
        add_order_step(l, o->seller, MARKET_TYPE_ORDER_SHIP, o);
        break;
    case K_CANCEL_SELLER:
        o = take(w->accepted, w->n_accepted, &w->used_accepted);
        add_order_step(l, o->seller, MARKET_TYPE_ORDER_CANCEL, o);
        break;
    case K_COMPLETE_ACCEPTED:
        o = take(w->accepted, w->n_accepted, &w->used_accepted);
        add_order_step(l, o->buyer, MARKET_TYPE_ORDER_COMPLETE, o);
        break;
    case K_DISPUTE_ACCEPTED:
        /* The accepted group's disputed orders come last: they have arbiters. */
        o = &w->accepted[w->n_accepted - 1 - i];
        add_order_step(l, o->buyer, MARKET_TYPE_ORDER_DISPUTE, o);
        break;
    case K_COMPLETE_SHIPPED:
        o = take(w->shipped, w->n_shipped, &w->used_shipped);
        add_order_step(l, o->buyer, MARKET_TYPE_ORDER_COMPLETE, o);
        break;
    case K_DISPUTE_SHIPPED:
        o = &w->shipped[w->n_shipped - 1 - i];
        add_order_step(l, o->seller, MARKET_TYPE_ORDER_DISPUTE, o);
        break;
    case K_RESOLVE:
        o = take(w->disputed, w->n_disputed, &w->used_disputed);
        add_order_step(l, o->arbiter, MARKET_TYPE_ORDER_RESOLVE, o);
        break;
    case K_COUNT_:
        break;
    }
}

/* Builds the chain up to the measured block's parent: funding, profiles
 * and listings, orders moved to every state the block needs, and orders
 * placed order_accept_timeout blocks before it, which time out in it. The
 * funding block also pays the transfer senders. */
static void market_world_build(struct chain *c, const uint8_t miner[32], struct market_world *w,
                               const size_t count[K_COUNT_], const struct bench_user *funder,
                               uint64_t *funder_nonce, const struct bench_user *transfer_senders,
                               size_t n_transfer)
{
    struct txlist l = {0};
    /* Funding: buyers for their orders, everyone for fees. */
    size_t n_actors = w->n_sellers + w->n_buyers + w->n_arbiters;
    for (size_t i = 0; i < n_actors + n_transfer; i++) {
        const uint8_t *to = i < w->n_sellers                 ? w->sellers[i].k.pub
                            : i < w->n_sellers + w->n_buyers ? w->buyers[i - w->n_sellers].k.pub
                            : i < n_actors ? w->arbiters[i - w->n_sellers - w->n_buyers].k.pub
                                           : transfer_senders[i - n_actors].pub;
        bench_make_transfer(txlist_push(&l), funder, to, i < n_actors ? 200000 : 100000,
                            (*funder_nonce)++, FEE);
    }
    submit_all(c, miner, &l);

    /* Profiles and listings. */
    for (size_t i = 0; i < w->n_sellers; i++)
        add_profile(&l, w, &w->sellers[i]);
    for (size_t i = 0; i < w->n_arbiters; i++)
        add_profile(&l, w, &w->arbiters[i]);
    for (size_t i = 0; i < w->n_listings; i++)
        add_listing(&l, w, &w->sellers[i % w->n_sellers], &w->listings[i]);
    submit_all(c, miner, &l);

    /* Orders that time out in the measured block, in a block of their own. */
    w->timing_out = place_group(&l, w, w->n_timing_out, false);
    submit_all(c, miner, &l);
    uint64_t due = chain_tip(c)->height + bench_params->order_accept_timeout;

    /* Orders to move on: accepted, shipped, disputed (accepted first). The
     * last of the accepted and shipped groups will be disputed. */
    w->n_accepted = count[K_SHIP] + count[K_CANCEL_SELLER] + count[K_COMPLETE_ACCEPTED] +
                    count[K_DISPUTE_ACCEPTED];
    w->n_shipped = count[K_COMPLETE_SHIPPED] + count[K_DISPUTE_SHIPPED];
    w->n_disputed = count[K_RESOLVE];
    size_t plain_a = w->n_accepted - count[K_DISPUTE_ACCEPTED];
    size_t plain_s = w->n_shipped - count[K_DISPUTE_SHIPPED];
    w->accepted = orders_new(w->n_accepted);
    w->shipped = orders_new(w->n_shipped);
    for (size_t i = 0; i < w->n_accepted; i++)
        add_order(&l, w, i >= plain_a, &w->accepted[i]);
    for (size_t i = 0; i < w->n_shipped; i++)
        add_order(&l, w, i >= plain_s, &w->shipped[i]);
    w->disputed = place_group(&l, w, w->n_disputed, true);
    submit_all(c, miner, &l);
    for (size_t i = 0; i < w->n_accepted; i++)
        add_order_step(&l, w->accepted[i].seller, MARKET_TYPE_ORDER_ACCEPT, &w->accepted[i]);
    for (size_t i = 0; i < w->n_shipped; i++)
        add_order_step(&l, w->shipped[i].seller, MARKET_TYPE_ORDER_ACCEPT, &w->shipped[i]);
    for (size_t i = 0; i < w->n_disputed; i++)
        add_order_step(&l, w->disputed[i].seller, MARKET_TYPE_ORDER_ACCEPT, &w->disputed[i]);
    submit_all(c, miner, &l);
    for (size_t i = 0; i < w->n_shipped; i++)
        add_order_step(&l, w->shipped[i].seller, MARKET_TYPE_ORDER_SHIP, &w->shipped[i]);
    for (size_t i = 0; i < w->n_disputed; i++)
        add_order_step(&l, w->disputed[i].buyer, MARKET_TYPE_ORDER_DISPUTE, &w->disputed[i]);
    submit_all(c, miner, &l);

    /* Orders still placed, for the block's accepts and buyers' cancels. */
    w->n_placed = count[K_ACCEPT] + count[K_CANCEL_BUYER];
    w->placed = place_group(&l, w, w->n_placed, false);
    submit_all(c, miner, &l);
    txlist_free(&l);

    if (chain_tip(c)->height >= due)
        bench_fail("the market set-up took too many blocks for its timeouts");
    bench_mine_empty(c, miner, (size_t)(due - 1 - chain_tip(c)->height));
}

/* The measured block's txs, the kinds interleaved at random as a block
 * gathered from a mempool would hold them. */
static void market_block_txs(struct market_world *w, const size_t count[K_COUNT_],
                             struct txlist *l)
{
    size_t total = 0;
    for (int k = 0; k < K_COUNT_; k++)
        total += count[k];
    enum mkind *order = malloc((total ? total : 1) * sizeof *order);
    if (order == NULL)
        bench_fail("out of memory");
    size_t n = 0;
    for (int k = 0; k < K_COUNT_; k++)
        for (size_t i = 0; i < count[k]; i++)
            order[n++] = (enum mkind)k;
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)rng_below(&w->rng, i);
        enum mkind t = order[i - 1];
        order[i - 1] = order[j];
        order[j] = t;
    }
    size_t seen[K_COUNT_] = {0};
    for (size_t i = 0; i < n; i++)
        add_kind(l, w, order[i], seen[order[i]]++);
    free(order);
}

/* Connects the block once more and reads back what its timeouts did: each
 * order due at its height was cancelled by the deadline index. */
static void check_timeouts(struct chain *c, const uint8_t miner[32], const struct txlist *l,
                           const struct market_world *w)
{
    struct block b;
    block_init(&b);
    struct blockindex_entry *parent = chain_tip(c);
    uint8_t parent_hash[32];
    memcpy(parent_hash, parent->hash, 32);
    bench_build_block(&b, parent, miner, l->txs, l->n, 9999);
    bench_submit_tip(c, &b);
    struct state_backend be;
    chain_tip_backend(c, &be);
    struct state_view v;
    state_view_init(&v, &be);
    for (size_t i = 0; i < w->n_timing_out; i++) {
        struct market_order o;
        bool found = false;
        if (market_order_get(&v, w->timing_out[i].id, &o, &found) != TXERR_OK || !found)
            bench_fail("an order placed before the block cannot be read");
        if (o.state != MARKET_ORDER_CANCELED)
            bench_fail("an order due at the block's height did not time out (state %s)",
                       market_order_state_name(o.state));
    }
    state_view_clear(&v);
    uint8_t h[32];
    block_hash(&b, h);
    char err[512] = "";
    if (!chain_invalidate(c, h, err, sizeof err) ||
        memcmp(chain_tip(c)->hash, parent_hash, 32) != 0)
        bench_fail("undoing the checked market block failed: %s", err);
    block_clear(&b);
}

void bench_market_block(size_t txs, unsigned runs, unsigned verify_threads,
                        struct bench_market_block_result *out)
{
    texts_init();
    struct chain *c = bench_chain_open(verify_threads);
    struct bench_user *funder = bench_users_new(1), *miner = bench_users_new(1);
    bench_mine_empty(c, funder->pub, (size_t)bench_params->coinbase_maturity + 1);

    size_t count[K_COUNT_], sum = 0;
    for (int k = 0; k < K_COUNT_; k++)
        sum += count[k] = kind_count(txs, (enum mkind)k);
    count[K_PLACE] += txs - sum;

    struct market_world w = {.rng = {0x6d61726b6574ULL}};
    w.n_sellers = txs / 20 ? txs / 20 : 1;
    w.n_buyers = txs / 4 ? txs / 4 : 1;
    w.n_arbiters = txs / 200 ? txs / 200 : 1;
    w.sellers = actors_new(w.n_sellers);
    w.buyers = actors_new(w.n_buyers);
    w.arbiters = actors_new(w.n_arbiters);
    w.n_update = count[K_UPDATE];
    w.n_close = count[K_CLOSE];
    w.n_listings = w.n_update + w.n_close + (txs / 2 > 16 ? txs / 2 : 16);
    w.listings = calloc(w.n_listings, sizeof *w.listings);
    w.n_timing_out = txs / 100;
    struct bench_user *senders = bench_users_new(txs), *recipients = bench_users_new(txs);
    if (w.listings == NULL)
        bench_fail("out of memory");
    uint64_t funder_nonce = 0;
    market_world_build(c, miner->pub, &w, count, funder, &funder_nonce, senders, txs);

    struct txlist mb = {0};
    market_block_txs(&w, count, &mb);
    struct tx *transfers = bench_txs_new(txs);
    for (size_t i = 0; i < txs; i++)
        bench_make_transfer(&transfers[i], &senders[i], recipients[i].pub, 1000, 0, FEE);

    printf("  (market block at height %llu: ", (unsigned long long)chain_tip(c)->height + 1);
    for (int k = 0; k < K_COUNT_; k++)
        printf("%s%zu %s", k ? ", " : "", count[k], mkinds[k].name);
    printf("; and %zu order timeouts due)\n", w.n_timing_out);

    struct bench_block_set sets[2] = {{.txs = transfers, .n = txs}, {.txs = mb.txs, .n = mb.n}};
    bench_block_time(c, miner->pub, sets, 2, runs);
    check_timeouts(c, miner->pub, &mb, &w);

    const struct bench_block_times *tt = &sets[0].t, *mt = &sets[1].t;
    printf("  (%zu-tx blocks: transfers %zu bytes, market %zu bytes; %u run%s each, "
           "taking turns on the same parent)\n",
           txs, tt->bytes, mt->bytes, runs, runs == 1 ? "" : "s");
    char name[128];
    unsigned thr = chain_verify_threads(c);
    const struct bench_block_times *both[2] = {tt, mt};
    const char *what[2] = {"transfer", "market"};
    for (int k = 0; k < 2; k++) {
        snprintf(name, sizeof name, "connect %zu-tx %s block, median", txs, what[k]);
        bench_report(name, txs, both[k]->connect);
        snprintf(name, sizeof name, "  of which stateless check (%u thr), median", thr);
        bench_report(name, txs, both[k]->stateless);
        bench_report("  of which apply to state view, median", txs, both[k]->apply);
        snprintf(name, sizeof name, "disconnect %zu-tx %s block, median", txs, what[k]);
        bench_report(name, txs, both[k]->disconnect);
        snprintf(name, sizeof name, "connect %zu-tx %s block, sigs cached, median", txs,
                 what[k]);
        bench_report(name, txs, both[k]->warm);
    }
    *out = (struct bench_market_block_result){.txs = txs,
                                              .market_cold = mt->connect,
                                              .transfer_cold = tt->connect,
                                              .market_warm = mt->warm,
                                              .transfer_warm = tt->warm};

    txlist_free(&mb);
    bench_txs_free(transfers, txs);
    free(w.placed);
    free(w.accepted);
    free(w.shipped);
    free(w.disputed);
    free(w.timing_out);
    free(w.listings);
    free(w.sellers);
    free(w.buyers);
    free(w.arbiters);
    free(senders);
    free(recipients);
    free(funder);
    free(miner);
    chain_close(c);
    bench_tmpdir_remove();
    texts_clear();
}

/* ---- search ------------------------------------------------------------------- */

/* Listings per index block, as a busy chain's blocks might carry them. */
#define SEARCH_BLOCK 2000
/* market_searchlistings' default page. */
#define SEARCH_LIMIT 100
/* One listing in CLOSE_EVERY is closed, one in UPDATE_EVERY updated, after
 * all are created. */
#define CLOSE_EVERY 50
#define UPDATE_EVERY 20

struct search_world {
    size_t n_listings, n_sellers;
    uint8_t (*sellers)[32];
    uint8_t (*ids)[32];
    uint32_t *seller_of;
    struct zipf seller_zipf;
};

/* The host's step for one block: its connect callback and the commit, in
 * one SQLite transaction. */
static void index_block(struct plugin_ctx *pc, const struct block *b, uint64_t height)
{
    char err[256] = "";
    uint8_t hash[32];
    block_hash(b, hash);
    struct plugin_block pb = {.block = b, .hash = hash, .height = height};
    if (!sqlitedb_exec(pc->db, "BEGIN IMMEDIATE", err, sizeof err) ||
        !market_plugin.index_connect(pc, &pb, err, sizeof err) ||
        !sqlitedb_exec(pc->db, "COMMIT", err, sizeof err))
        bench_fail("indexing block %llu: %s", (unsigned long long)height, err);
}

static void block_of(struct block *b, struct txlist *l)
{
    block_clear(b);
    block_init(b);
    for (size_t i = 0; i < l->n; i++) {
        if (!block_take_tx(b, &l->txs[i]))
            bench_fail("out of memory");
    }
    l->n = 0;  /* the block owns them now */
}

/* Fills the index: the sellers' profiles, then the listings SEARCH_BLOCK
 * at a time, then a block of updates and closes. Returns the seconds the
 * listing blocks took. */
static double search_fill(struct plugin_ctx *pc, struct search_world *w, uint64_t *height)
{
    struct txlist l = {0};
    struct block b;
    block_init(&b);
    uint64_t nonce = 0;
    for (size_t s = 0; s < w->n_sellers; s++) {
        char name[MARKET_NAME_MAX + 1];
        name_at(s, name);
        struct txvalue v[] = {TEXT(name), TEXT("")};
        market_tx(txlist_push(&l), MARKET_TYPE_PROFILE_SET, v, w->sellers[s], nonce++);
    }
    block_of(&b, &l);
    index_block(pc, &b, ++*height);

    struct rng r = {0x73656172636801ULL};
    double t = 0;
    for (size_t i = 0; i < w->n_listings; i++) {
        struct listing_text lt;
        listing_text(i, &lt);
        w->seller_of[i] = (uint32_t)zipf_draw(&w->seller_zipf, &r);
        /* One in ten expires, far beyond the benchmark's heights. */
        uint64_t expires = i % 10 == 0 ? 1000000 : 0;
        struct txvalue v[] = {TEXT(lt.title), TEXT(lt.description), TEXT(lt.category),
                              UINT(lt.price), UINT(lt.quantity), NONE, UINT(expires)};
        struct tx *tx = txlist_push(&l);
        market_tx(tx, MARKET_TYPE_LISTING_CREATE, v, w->sellers[w->seller_of[i]], nonce++);
        tx_txid(tx, w->ids[i]);
        if (l.n == SEARCH_BLOCK || i + 1 == w->n_listings) {
            block_of(&b, &l);
            double t0 = bench_now();
            index_block(pc, &b, ++*height);
            t += bench_now() - t0;
        }
    }

    for (size_t i = 0; i < w->n_listings; i++) {
        const uint8_t *seller = w->sellers[w->seller_of[i]];
        if (i % CLOSE_EVERY == CLOSE_EVERY - 1) {
            struct txvalue v[] = {HASH(w->ids[i])};
            market_tx(txlist_push(&l), MARKET_TYPE_LISTING_CLOSE, v, seller, nonce++);
        } else if (i % UPDATE_EVERY == 1) {
            struct listing_text lt;
            listing_text(i, &lt);
            struct txvalue v[] = {HASH(w->ids[i]),    TEXT(lt.title),       TEXT(lt.description),
                                  TEXT(lt.category), UINT(lt.price + 1), UINT(lt.quantity)};
            market_tx(txlist_push(&l), MARKET_TYPE_LISTING_UPDATE, v, seller, nonce++);
        }
    }
    block_of(&b, &l);
    index_block(pc, &b, ++*height);
    block_clear(&b);
    txlist_free(&l);
    return t;
}

struct page_check {
    const uint8_t *want;  /* the listing the words came from */
    bool found;
    size_t n;
};

static bool page_emit(const struct market_index_listing *l, void *arg)
{
    struct page_check *p = arg;
    p->n++;
    if (memcmp(l->id, p->want, 32) == 0)
        p->found = true;
    return true;
}

/* Searches made right after a block: each of AFTER_BLOCKS blocks updates
 * AFTER_BLOCK_TXS listings, then the most common title word is searched
 * (every match needs its length, and the lengths read for earlier searches
 * are stale). Returns the median seconds, *max the slowest. */
#define AFTER_BLOCKS 20
#define AFTER_BLOCK_TXS 10
static double search_after_blocks(struct plugin_ctx *pc, const struct search_world *w,
                                  uint64_t *height, double *max)
{
    struct txlist l = {0};
    struct block b;
    block_init(&b);
    double t[AFTER_BLOCKS];
    char word[24], err[256] = "";
    word_at(0, word);
    for (size_t r = 0; r < AFTER_BLOCKS; r++) {
        for (size_t j = 0; j < AFTER_BLOCK_TXS; j++) {
            /* Listings the set-up neither closed nor updated. */
            size_t i = (r * AFTER_BLOCK_TXS + j) * UPDATE_EVERY % w->n_listings;
            struct listing_text lt;
            listing_text(i, &lt);
            struct txvalue v[] = {HASH(w->ids[i]),     TEXT(lt.title),         TEXT(lt.description),
                                  TEXT(lt.category), UINT(lt.price + 2 + r), UINT(lt.quantity)};
            market_tx(txlist_push(&l), MARKET_TYPE_LISTING_UPDATE, v, w->sellers[w->seller_of[i]],
                      r * AFTER_BLOCK_TXS + j);
        }
        block_of(&b, &l);
        index_block(pc, &b, ++*height);
        struct market_index_query q = {.text = word, .limit = SEARCH_LIMIT};
        struct page_check pg = {.want = w->ids[0]};
        uint64_t total = 0;
        double t0 = bench_now();
        bool ok = market_index_search(pc->db, &q, page_emit, &pg, &total, err, sizeof err);
        t[r] = bench_now() - t0;
        if (!ok || pg.n != SEARCH_LIMIT)
            bench_fail("searching \"%s\" after a block: %s", word, ok ? "a short page" : err);
    }
    block_clear(&b);
    txlist_free(&l);
    double min, median;
    bench_stats(t, AFTER_BLOCKS, &min, &median);
    *max = t[AFTER_BLOCKS - 1];
    return median;
}

/* The p-quantile (nearest rank) of n ascending samples. */
static double percentile(const double *sorted, size_t n, double p)
{
    if (n == 0)
        return 0;
    size_t i = (size_t)ceil(p * (double)n);
    return sorted[i > 0 ? i - 1 : 0];
}

enum qclass { Q_PLAIN, Q_CATEGORY, Q_SELLER, Q_CLASSES_ };
static const char *const qclass_names[Q_CLASSES_] = {"no filter", "category filter",
                                                      "seller filter"};

void bench_market_search(size_t listings, size_t queries, struct bench_market_search_result *out)
{
    texts_init();
    char dir[4096], path[4200], err[256] = "";
    if (!bench_tmpdir_create(dir, sizeof dir))
        bench_fail("cannot create a temporary datadir");
    snprintf(path, sizeof path, "%s/%s", dir, market_plugin.db_file);
    /* The file as the host opens it: durable WAL, the market's schema, and
     * the market's start hook (its checkpoint interval). */
    struct plugin_ctx pc;
    memset(&pc, 0, sizeof pc);
    pc.plugin = &market_plugin;
    /* What start reads of the node: the market's options (at their
     * defaults) and the datadir, where the photo store opens too. */
    static struct node_ctx node;
    static struct args args;
    memset(&node, 0, sizeof node);
    if (args_init(&args, market_plugin.options, market_plugin.n_options, err, sizeof err) !=
        ARGS_OK)
        bench_fail("the market's options: %s", err);
    node.args = &args;
    snprintf(node.datadir, sizeof node.datadir, "%s", dir);
    pc.node = &node;
    if (!sqlitedb_connect(path, true, &pc.db, err, sizeof err) ||
        !sqlitedb_set_durable(pc.db, err, sizeof err))
        bench_fail("%s", err);
    for (size_t i = 0; i < market_plugin.n_schema; i++)
        if (!sqlitedb_exec(pc.db, market_plugin.schema[i], err, sizeof err))
            bench_fail("the market schema: %s", err);
    if (!market_plugin.start(&pc, err, sizeof err))
        bench_fail("the market's start hook: %s", err);

    struct search_world w = {.n_listings = listings};
    w.n_sellers = listings / 50 ? listings / 50 : 1;
    w.sellers = malloc(w.n_sellers * 32);
    w.ids = malloc(listings * 32);
    w.seller_of = malloc(listings * sizeof *w.seller_of);
    if (w.sellers == NULL || w.ids == NULL || w.seller_of == NULL)
        bench_fail("out of memory");
    struct rng kr = {0x73656c6c6572ULL};
    for (size_t s = 0; s < w.n_sellers; s++)
        for (size_t k = 0; k < 32; k++)
            w.sellers[s][k] = (uint8_t)rng_next(&kr);
    /* A few large sellers and a long tail of small ones. */
    zipf_init(&w.seller_zipf, w.n_sellers, 1.0);

    uint64_t height = 0;
    double t_fill = search_fill(&pc, &w, &height);
    char name[128];
    snprintf(name, sizeof name, "index %zu listings (connect, %d per block)", listings,
             SEARCH_BLOCK);
    bench_report(name, listings, t_fill);

    /* The queries: one to three distinct words of a random open listing,
     * each from its title (three in four) or its description's content
     * words, so common words come up as often as listings hold them; one
     * in five also filters by that listing's category, one in ten by its
     * seller. Each must find that listing among its matches. */
    struct rng r = {0x717565727900ULL};
    double *lat = malloc((queries ? queries : 1) * sizeof *lat);
    double *by_class[Q_CLASSES_];
    size_t n_class[Q_CLASSES_] = {0};
    for (int k = 0; k < Q_CLASSES_; k++)
        by_class[k] = malloc((queries ? queries : 1) * sizeof *lat);
    if (lat == NULL || by_class[0] == NULL || by_class[1] == NULL || by_class[2] == NULL)
        bench_fail("out of memory");
    uint64_t total_matches = 0;
    size_t full_pages = 0;
    for (size_t q = 0; q < queries; q++) {
        size_t i;
        do
            i = (size_t)rng_below(&r, listings);
        while (i % CLOSE_EVERY == CLOSE_EVERY - 1);
        struct listing_text lt;
        listing_text(i, &lt);
        if (i % UPDATE_EVERY == 1)
            lt.price += 1;
        char text[256] = "";
        size_t len = 0, words = 1 + (size_t)rng_below(&r, 3), picked[3], n_picked = 0;
        for (size_t k = 0; k < words; k++) {
            size_t rank = rng_below(&r, 4) < 3 || lt.n_desc == 0
                              ? lt.title_ranks[rng_below(&r, lt.n_title)]
                              : lt.desc_ranks[rng_below(&r, lt.n_desc)];
            /* A word typed twice adds nothing a user would want. */
            bool dup = false;
            for (size_t j = 0; j < n_picked; j++)
                dup = dup || picked[j] == rank;
            if (dup)
                continue;
            picked[n_picked++] = rank;
            append_word(text, sizeof text, &len, rank);
        }
        struct market_index_query mq = {.text = text, .limit = SEARCH_LIMIT};
        enum qclass cls = Q_PLAIN;
        uint64_t pick = rng_below(&r, 10);
        if (pick < 2) {
            mq.category = lt.category;
            cls = Q_CATEGORY;
        } else if (pick < 3) {
            mq.seller = w.sellers[w.seller_of[i]];
            cls = Q_SELLER;
        }
        struct page_check pg = {.want = w.ids[i]};
        uint64_t total = 0;
        double t0 = bench_now();
        bool ok = market_index_search(pc.db, &mq, page_emit, &pg, &total, err, sizeof err);
        double t = bench_now() - t0;
        if (!ok)
            bench_fail("market_index_search(\"%s\"): %s", text, err);
        if (total == 0 || pg.n == 0 || pg.n > SEARCH_LIMIT || (total <= pg.n && !pg.found))
            bench_fail("the query \"%s\" misses the listing its words came from "
                       "(%zu on the page, %llu in all)",
                       text, pg.n, (unsigned long long)total);
        lat[q] = t;
        by_class[cls][n_class[cls]++] = t;
        total_matches += total;
        full_pages += pg.n == SEARCH_LIMIT;
    }
    double ignored_min, ignored_median;
    bench_stats(lat, queries, &ignored_min, &ignored_median); /* sorts them */
    double sum = 0;
    for (size_t q = 0; q < queries; q++)
        sum += lat[q];
    snprintf(name, sizeof name, "search, %zu queries of 1-3 words, mean", queries);
    bench_report(name, queries, sum);
    printf("  (matches per query: mean %.0f; %zu of %zu pages full at %d)\n",
           queries ? (double)total_matches / (double)queries : 0.0, full_pages, queries,
           SEARCH_LIMIT);
    printf("  search latency over %zu listings: p50 %.3f ms, p90 %.3f ms, p99 %.3f ms, "
           "max %.3f ms\n",
           listings, percentile(lat, queries, 0.5) * 1e3, percentile(lat, queries, 0.9) * 1e3,
           percentile(lat, queries, 0.99) * 1e3, queries ? lat[queries - 1] * 1e3 : 0.0);
    for (int k = 0; k < Q_CLASSES_; k++) {
        bench_stats(by_class[k], n_class[k], &ignored_min, &ignored_median);
        printf("    %-16s %4zu queries: p50 %.3f ms, p99 %.3f ms, max %.3f ms\n",
               qclass_names[k], n_class[k], percentile(by_class[k], n_class[k], 0.5) * 1e3,
               percentile(by_class[k], n_class[k], 0.99) * 1e3,
               n_class[k] ? by_class[k][n_class[k] - 1] * 1e3 : 0.0);
        free(by_class[k]);
    }
    double after_max, after = search_after_blocks(&pc, &w, &height, &after_max);
    snprintf(name, sizeof name, "search \"%s\" right after a block, median", common_words[0]);
    bench_report(name, 1, after);
    printf("  (%d blocks of %d listing updates, each followed by that search; slowest %.3f ms)\n",
           AFTER_BLOCKS, AFTER_BLOCK_TXS, after_max * 1e3);
    *out = (struct bench_market_search_result){.listings = listings,
                                               .queries = queries,
                                               .p50 = percentile(lat, queries, 0.5),
                                               .p99 = percentile(lat, queries, 0.99)};
    free(lat);
    zipf_clear(&w.seller_zipf);
    free(w.sellers);
    free(w.ids);
    free(w.seller_of);
    market_plugin.stop(&pc);
    sqlite3_close(pc.db);
    args_clear(&args);
    texts_clear();
    bench_tmpdir_remove();
}
