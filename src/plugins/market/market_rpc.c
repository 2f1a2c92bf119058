#include "plugins/market/market_rpc.h"

#include <ctype.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "consensus/chainparams.h"
#include "consensus/deadline.h"
#include "consensus/txtype.h"
#include "crypto/address.h"
#include "node/node.h"
#include "plugins/market/market.h"
#include "plugins/market/market_actions.h"
#include "plugins/market/market_index.h"
#include "plugins/market/market_media.h"
#include "plugins/market/market_state.h"
#include "rpc/rpcutil.h"
#include "rpc/server.h"

#define PAGE_DEFAULT 100
#define PAGE_MAX 1000

static bool opt_amount(struct rpc_request *req, const json_t *o, const char *key, bool *has,
                       amount_t *out)
{
    const json_t *v = rpc_option(o, key);
    *has = v != NULL;
    if (v == NULL)
        return true;
    if (!rpc_amount_from_json(v, out))
        return rpc_error(req, RPC_INVALID_PARAMETER, "%s: not an amount", key);
    return true;
}

static bool opt_address(struct rpc_request *req, const json_t *o, const char *key, bool *has,
                        uint8_t pub[32])
{
    const char *s;
    *has = false;
    if (!rpc_option_str(req, o, key, &s))
        return false;
    if (s == NULL)
        return true;
    if (address_decode(req->node->params->hrp, s, pub) != ADDRESS_OK)
        return rpc_error(req, RPC_INVALID_ADDRESS_OR_KEY, "%s: not an address of this network",
                         key);
    *has = true;
    return true;
}

/* ---- shared JSON ------------------------------------------------------------- */

static _Atomic(market_rpc_reputation_fn) reputation_fn;

void market_rpc_set_reputation(market_rpc_reputation_fn fn)
{
    atomic_store(&reputation_fn, fn);
}

/* The seller's (or buyer's) reputation from the plugin that keeps it;
 * JSON null when no plugin does. */
static json_t *reputation_json(struct state_view *v, const uint8_t key[32], enum market_role role)
{
    market_rpc_reputation_fn fn = atomic_load(&reputation_fn);
    return fn != NULL ? fn(v, key, role) : json_null();
}

/* "ACTIVE", "CLOSED" or "EXPIRED" (no order can be mined any more: the
 * next block's height is past the expiry). */
static const char *listing_status(const struct market_listing *l, uint64_t tip)
{
    if (l->state != MARKET_LISTING_ACTIVE)
        return "CLOSED";
    return market_listing_expired(l, tip + 1) ? "EXPIRED" : "ACTIVE";
}

static json_t *listing_json(struct rpc_request *req, struct state_view *v, const uint8_t id[32],
                            const struct market_listing *l, uint64_t tip)
{
    struct market_profile prof;
    bool has_prof = false;
    if (market_profile_get(v, l->seller, &prof, &has_prof) != TXERR_OK)
        has_prof = false;
    json_t *o = json_object();
    json_t *media = json_array();
    for (size_t i = 0; i < l->n_media; i++)
        json_array_append_new(media, rpc_hex_json(l->media[i], 32));
    bool ok = rpc_put(o, "id", rpc_hex_json(id, 32)) &&
              rpc_put(o, "seller", rpc_address_json(req, l->seller)) &&
              rpc_put(o, "seller_name", has_prof ? json_string(prof.name) : json_null()) &&
              rpc_put(o, "seller_reputation", reputation_json(v, l->seller, MARKET_ROLE_SELLER)) &&
              rpc_put(o, "status", json_string(listing_status(l, tip))) &&
              rpc_put(o, "title", json_string(l->title)) &&
              rpc_put(o, "description", json_string(l->description)) &&
              rpc_put(o, "category", json_string(l->category)) &&
              rpc_put(o, "price", rpc_amount_json(l->price)) &&
              rpc_put(o, "stock", json_integer((json_int_t)l->stock)) &&
              rpc_put(o, "expires_at_height",
                      l->expires_at_height != 0 ? json_integer((json_int_t)l->expires_at_height)
                                                : json_null()) &&
              rpc_put(o, "created_height", json_integer((json_int_t)l->created_height)) &&
              rpc_put(o, "updated_height", json_integer((json_int_t)l->updated_height)) &&
              rpc_put(o, "media", media);
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* What a pending timeout does to an order in this state. */
static const char *timeout_action(uint64_t state)
{
    switch (state) {
    case MARKET_ORDER_PLACED:
        return "cancel: the buyer is refunded and the items go back into stock";
    case MARKET_ORDER_SHIPPED:
        return "complete: the seller is paid";
    case MARKET_ORDER_DISPUTED:
        return "refund: the buyer is refunded, the arbiter earns no fee";
    default:
        return "?";
    }
}

static json_t *order_json(struct rpc_request *req, const uint8_t id[32],
                          const struct market_order *o, bool has_deadline, uint64_t deadline)
{
    json_t *r = json_object();
    json_t *deadlines = json_array();
    if (has_deadline) {
        json_t *d = json_object();
        rpc_put(d, "height", json_integer((json_int_t)deadline));
        rpc_put(d, "on_timeout", json_string(timeout_action(o->state)));
        json_array_append_new(deadlines, d);
    }
    bool ok =
        rpc_put(r, "id", rpc_hex_json(id, 32)) &&
        rpc_put(r, "listing_id", rpc_hex_json(o->listing_id, 32)) &&
        rpc_put(r, "state", json_string(market_order_state_name(o->state))) &&
        rpc_put(r, "buyer", rpc_address_json(req, o->buyer)) &&
        rpc_put(r, "seller", rpc_address_json(req, o->seller)) &&
        rpc_put(r, "arbiter", o->has_arbiter ? rpc_address_json(req, o->arbiter) : json_null()) &&
        rpc_put(r, "arbiter_fee_bps", json_integer((json_int_t)o->arbiter_fee_bps)) &&
        rpc_put(r, "arbiter_fee",
                rpc_amount_json(market_arbiter_fee(o->total, o->arbiter_fee_bps))) &&
        rpc_put(r, "quantity", json_integer((json_int_t)o->quantity)) &&
        rpc_put(r, "price", rpc_amount_json(o->price)) &&
        rpc_put(r, "total", rpc_amount_json(o->total)) &&
        rpc_put(r, "escrow", rpc_amount_json(market_order_holds_escrow(o->state) ? o->total : 0)) &&
        rpc_put(r, "placed_height", json_integer((json_int_t)o->placed_height)) &&
        rpc_put(r, "state_height", json_integer((json_int_t)o->state_height)) &&
        rpc_put(r, "deadlines", deadlines);
    if (!ok) {
        json_decref(r);
        return NULL;
    }
    return r;
}

/* ---- market_getprofile ------------------------------------------------------- */

struct profile_lookup {
    const char *name;  /* NULL: by key */
    uint8_t pub[32];
    bool found;
    struct market_profile p;
    struct market_trades trades[2];  /* by enum market_role */
    json_t *reputation[2];           /* by enum market_role */
};

static bool profile_tip(struct state_view *v, uint64_t height, void *arg)
{
    (void)height;
    struct profile_lookup *l = arg;
    if (l->name != NULL) {
        if (market_name_owner(v, l->name, strlen(l->name), l->pub, &l->found) != TXERR_OK)
            return false;
        if (!l->found)
            return true;
    }
    if (market_profile_get(v, l->pub, &l->p, &l->found) != TXERR_OK ||
        market_trades_get(v, l->pub, MARKET_ROLE_BUYER, &l->trades[0]) != TXERR_OK ||
        market_trades_get(v, l->pub, MARKET_ROLE_SELLER, &l->trades[1]) != TXERR_OK)
        return false;
    if (!l->found)
        return true;
    for (int role = 0; role < 2; role++)
        l->reputation[role] = reputation_json(v, l->pub, (enum market_role)role);
    return l->reputation[0] != NULL && l->reputation[1] != NULL;
}

json_t *market_trades_json(const struct market_trades *t)
{
    json_t *o = json_object();
    bool ok = o != NULL;
    for (size_t i = 0; ok && i < MARKET_TRADES_N_; i++)
        ok = rpc_put(o, market_trade_count_name((enum market_trade_count)i),
                     json_integer((json_int_t)t->n[i]));
    ok = ok &&
         rpc_put(o, "first_height",
                 t->n[MARKET_TRADES_ORDERS] > 0 ? json_integer((json_int_t)t->first_height)
                                                : json_null()) &&
         rpc_put(o, "last_height",
                 t->n[MARKET_TRADES_ORDERS] > 0 ? json_integer((json_int_t)t->last_height)
                                                : json_null());
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static bool rpc_market_getprofile(struct rpc_request *req, json_t **result)
{
    struct plugin_ctx *pc = rpc_plugin(req, "market");
    const char *who;
    if (pc == NULL || !rpc_param_str(req, 0, NULL, &who))
        return false;
    struct profile_lookup l = {0};
    if (address_decode(req->node->params->hrp, who, l.pub) != ADDRESS_OK) {
        size_t len = strlen(who);
        if (len < MARKET_NAME_MIN || len > MARKET_NAME_MAX ||
            strspn(who, MARKET_NAME_CHARS) != len)
            return rpc_error(req, RPC_INVALID_PARAMETER,
                             "neither an address nor a profile name (3 to 32 of a-z, 0-9, '_', "
                             "'-')");
        l.name = who;
    }
    if (!plugin_with_tip(pc, profile_tip, &l)) {
        json_decref(l.reputation[0]);
        json_decref(l.reputation[1]);
        return rpc_error(req, RPC_INTERNAL_ERROR, "reading the state failed");
    }
    if (!l.found)
        return rpc_error(req, RPC_INVALID_ADDRESS_OR_KEY, "no profile with this %s",
                         l.name != NULL ? "name" : "address");
    /* Both summaries are handed over whatever happens (rpc_put takes them). */
    json_t *rep = json_object();
    bool ok = rpc_put(rep, "as_seller", l.reputation[MARKET_ROLE_SELLER]);
    ok = rpc_put(rep, "as_buyer", l.reputation[MARKET_ROLE_BUYER]) && ok;
    json_t *o = json_object();
    ok = rpc_put(o, "name", json_string(l.p.name)) && ok &&
         rpc_put(o, "about", json_string(l.p.about)) &&
         rpc_put(o, "address", rpc_address_json(req, l.pub)) &&
         rpc_put(o, "height", json_integer((json_int_t)l.p.height)) &&
         rpc_put(o, "as_seller", market_trades_json(&l.trades[MARKET_ROLE_SELLER])) &&
         rpc_put(o, "as_buyer", market_trades_json(&l.trades[MARKET_ROLE_BUYER]));
    if (ok)
        ok = rpc_put(o, "reputation", rep);
    else
        json_decref(rep);
    return rpc_done_if(req, result, o, ok);
}

/* ---- market_getlisting ------------------------------------------------------- */

struct listing_lookup {
    struct rpc_request *req;
    uint8_t id[32];
    json_t *out;
    bool found;
};

static bool listing_tip(struct state_view *v, uint64_t height, void *arg)
{
    struct listing_lookup *l = arg;
    struct market_listing rec;
    if (market_listing_get(v, l->id, &rec, &l->found) != TXERR_OK)
        return false;
    if (l->found)
        l->out = listing_json(l->req, v, l->id, &rec, height);
    return !l->found || l->out != NULL;
}

static bool rpc_market_getlisting(struct rpc_request *req, json_t **result)
{
    struct plugin_ctx *pc = rpc_plugin(req, "market");
    struct listing_lookup l = {.req = req};
    if (pc == NULL || !rpc_param_hash(req, 0, l.id))
        return false;
    if (!plugin_with_tip(pc, listing_tip, &l)) {
        json_decref(l.out);
        return rpc_error(req, RPC_INTERNAL_ERROR, "reading the state failed");
    }
    if (!l.found)
        return rpc_error(req, RPC_INVALID_ADDRESS_OR_KEY, "no listing with this id");
    return rpc_done(req, result, l.out);
}

/* ---- market_listlistings and market_searchlistings --------------------------- */

enum status_filter { STATUS_ANY, STATUS_ACTIVE, STATUS_CLOSED, STATUS_EXPIRED };

struct listing_run {
    struct rpc_request *req;
    struct plugin_ctx *pc;
    struct market_index_query q;
    enum status_filter status;
    bool has_stock;
    struct state_view *v;
    uint64_t tip;
    json_t *arr;
    uint64_t total;
    bool failed;  /* a state read failed */
    char err[200];
    bool index_failed;
    /* A text search's page, read from the index before the chain lock. */
    struct market_index_listing *page;
    size_t n_page, cap_page;
};

/* Filters a candidate by the chainstate at the tip (what the blocks'
 * transactions do not show: stock, expiry at this height). */
static bool listing_accept(const struct market_index_listing *il, void *arg)
{
    struct listing_run *r = arg;
    struct market_listing l;
    bool found = false;
    if (market_listing_get(r->v, il->id, &l, &found) != TXERR_OK) {
        r->failed = true;
        return false;
    }
    if (!found)  /* the index is a block ahead of or behind this view */
        return false;
    const char *st = listing_status(&l, r->tip);
    switch (r->status) {
    case STATUS_ACTIVE:
        if (strcmp(st, "ACTIVE") != 0)
            return false;
        break;
    case STATUS_CLOSED:
        if (strcmp(st, "CLOSED") != 0)
            return false;
        break;
    case STATUS_EXPIRED:
        if (strcmp(st, "EXPIRED") != 0)
            return false;
        break;
    case STATUS_ANY:
        break;
    }
    return !r->has_stock || l.stock > 0;
}

static bool listing_emit(const struct market_index_listing *il, void *arg)
{
    struct listing_run *r = arg;
    struct market_listing l;
    bool found = false;
    if (market_listing_get(r->v, il->id, &l, &found) != TXERR_OK) {
        r->failed = true;
        return false;
    }
    /* The index may be a block behind or ahead of this view. */
    if (!found || (r->q.text != NULL && strcmp(listing_status(&l, r->tip), "ACTIVE") != 0))
        return true;
    json_t *o = listing_json(r->req, r->v, il->id, &l, r->tip);
    if (o != NULL && r->q.text != NULL)
        rpc_put(o, "rank", json_real(il->rank));
    if (!rpc_append(r->arr, o, o != NULL)) {
        r->failed = true;
        return false;
    }
    return true;
}

static bool listings_tip(struct state_view *v, uint64_t height, void *arg)
{
    struct listing_run *r = arg;
    r->v = v;
    r->tip = height;
    if (r->q.text != NULL)
        r->q.live_at = height + 1;  /* the first height an order could be mined at */
    /* A text search has only listings the index holds open and unexpired;
     * the chainstate must be asked for each only for stock, which costs a
     * pass over every match (listing_emit still checks the page). */
    r->q.accept = r->q.text == NULL || r->has_stock ? listing_accept : NULL;
    r->q.accept_arg = r;
    sqlite3 *db = plugin_db_reader_get(r->pc);
    bool ok = market_index_search(db, &r->q, listing_emit, r, &r->total, r->err, sizeof r->err);
    plugin_db_reader_put(r->pc, db);
    if (!ok && !r->failed)
        r->index_failed = true;
    return ok && !r->failed;
}

static bool page_collect(const struct market_index_listing *l, void *arg)
{
    struct listing_run *r = arg;
    if (r->n_page == r->cap_page) {
        size_t cap = r->cap_page ? r->cap_page * 2 : 64;
        struct market_index_listing *grown = realloc(r->page, cap * sizeof *grown);
        if (grown == NULL)
            return false;
        r->page = grown;
        r->cap_page = cap;
    }
    r->page[r->n_page++] = *l;
    return true;
}

static bool page_tip(struct state_view *v, uint64_t height, void *arg)
{
    struct listing_run *r = arg;
    r->v = v;
    r->tip = height;
    for (size_t i = 0; i < r->n_page; i++)
        if (!listing_emit(&r->page[i], r))
            return false;
    return true;
}

/* A text search without has_stock needs the chainstate only for the page
 * it returns: the index is searched first, holding only the plugin's
 * database, so a slow query never holds up validation. */
static bool search_unlocked(struct listing_run *r)
{
    sqlite3 *db = plugin_db_reader_get(r->pc);
    bool ok = market_index_search(db, &r->q, page_collect, r, &r->total, r->err, sizeof r->err);
    plugin_db_reader_put(r->pc, db);
    if (!ok) {
        if (r->err[0] == '\0')
            snprintf(r->err, sizeof r->err, "market index: out of memory");
        r->index_failed = true;
        return false;
    }
    return plugin_with_tip(r->pc, page_tip, r) && !r->failed;
}

static bool listings_run(struct rpc_request *req, struct listing_run *r, json_t **result)
{
    if (!plugin_index_sync(r->pc, r->err, sizeof r->err))
        return rpc_error(req, RPC_MISC_ERROR, "%s", r->err);
    r->arr = json_array();
    r->err[0] = '\0';
    bool ok = r->q.text != NULL && !r->has_stock ? search_unlocked(r)
                                                 : plugin_with_tip(r->pc, listings_tip, r);
    free(r->page);
    if (!ok) {
        json_decref(r->arr);
        if (r->index_failed)
            return rpc_error(req, RPC_MISC_ERROR, "%s", r->err);
        return rpc_error(req, RPC_INTERNAL_ERROR, "reading the state failed");
    }
    json_t *o = json_object();
    ok = rpc_put(o, "total", json_integer((json_int_t)r->total)) &&
         rpc_put(o, "listings", r->arr);
    return rpc_done_if(req, result, o, ok);
}

/* The options both methods share. */
static bool listing_opts(struct rpc_request *req, const json_t *o, struct listing_run *r,
                         uint8_t seller[32])
{
    bool has_seller;
    if (!rpc_option_str(req, o, "category", &r->q.category) ||
        !opt_address(req, o, "seller", &has_seller, seller) ||
        !rpc_option_uint(req, o, "limit", PAGE_DEFAULT, PAGE_MAX, &r->q.limit) ||
        !rpc_option_uint(req, o, "offset", 0, UINT32_MAX, &r->q.offset))
        return false;
    r->q.seller = has_seller ? seller : NULL;
    return true;
}

static bool rpc_market_listlistings(struct rpc_request *req, json_t **result)
{
    static const char *const known[] = {"seller", "category", "status", "limit", "offset", NULL};
    struct plugin_ctx *pc = rpc_plugin(req, "market");
    const json_t *o;
    struct listing_run r = {.req = req, .pc = pc, .status = STATUS_ACTIVE};
    uint8_t seller[32];
    const char *status;
    if (pc == NULL || !rpc_options(req, 0, known, &o) || !listing_opts(req, o, &r, seller) ||
        !rpc_option_str(req, o, "status", &status))
        return false;
    if (status == NULL || strcasecmp(status, "active") == 0)
        r.status = STATUS_ACTIVE;
    else if (strcasecmp(status, "closed") == 0)
        r.status = STATUS_CLOSED;
    else if (strcasecmp(status, "expired") == 0)
        r.status = STATUS_EXPIRED;
    else if (strcasecmp(status, "all") == 0)
        r.status = STATUS_ANY;
    else
        return rpc_error(req, RPC_INVALID_PARAMETER,
                         "status: one of \"active\", \"closed\", \"expired\", \"all\"");
    r.q.include_closed = r.status == STATUS_ANY || r.status == STATUS_CLOSED;
    return listings_run(req, &r, result);
}

static bool rpc_market_searchlistings(struct rpc_request *req, json_t **result)
{
    static const char *const known[] = {"category", "min_price", "max_price", "seller",
                                        "has_stock", "limit",     "offset",    NULL};
    struct plugin_ctx *pc = rpc_plugin(req, "market");
    const json_t *o;
    struct listing_run r = {.req = req, .pc = pc, .status = STATUS_ACTIVE};
    uint8_t seller[32];
    const char *text;
    if (pc == NULL || !rpc_param_str(req, 0, NULL, &text) || !rpc_options(req, 1, known, &o) ||
        !listing_opts(req, o, &r, seller) ||
        !opt_amount(req, o, "min_price", &r.q.has_min_price, &r.q.min_price) ||
        !opt_amount(req, o, "max_price", &r.q.has_max_price, &r.q.max_price))
        return false;
    const json_t *hs = rpc_option(o, "has_stock");
    if (hs != NULL && !json_is_boolean(hs))
        return rpc_error(req, RPC_TYPE_ERROR, "has_stock: expected true or false");
    r.has_stock = hs != NULL && json_is_true(hs);
    bool word = false;
    for (const unsigned char *c = (const unsigned char *)text; *c != '\0' && !word; c++)
        word = *c >= 0x80 || isalnum(*c);
    if (!word)
        return rpc_error(req, RPC_INVALID_PARAMETER, "query: give at least one word");
    r.q.text = text;
    return listings_run(req, &r, result);
}

/* ---- market_getorder --------------------------------------------------------- */

struct order_lookup {
    uint8_t id[32];
    bool found;
    struct market_order o;
    bool has_deadline;
    uint64_t deadline;
};

static bool order_tip(struct state_view *v, uint64_t height, void *arg)
{
    (void)height;
    struct order_lookup *l = arg;
    if (market_order_get(v, l->id, &l->o, &l->found) != TXERR_OK)
        return false;
    l->has_deadline = false;
    return !l->found || deadline_find(v, MARKET_DEADLINE_OWNER, l->id, 32, &l->deadline,
                                      &l->has_deadline) == TXERR_OK;
}

struct history_run {
    struct rpc_request *req;
    json_t *arr;
    uint64_t last_height;
    bool any;
};

static bool history_event(const struct market_index_event *e, void *arg)
{
    struct history_run *h = arg;
    const struct txtype_def *def = txtype_find(e->type);
    json_t *o = json_object();
    bool ok = rpc_put(o, "height", json_integer((json_int_t)e->height)) &&
              rpc_put(o, "txid", rpc_hex_json(e->txid, 32)) &&
              rpc_put(o, "type", json_string(def != NULL ? def->name : "?")) &&
              rpc_put(o, "by", rpc_address_json(h->req, e->sender));
    h->last_height = e->height;
    h->any = true;
    return rpc_append(h->arr, o, ok);
}

/* The note of an order_place or order_ship event: the sealed bytes from
 * its transaction, opened when the request's wallet holds either party's
 * key. Best effort: a node without that wallet (or with it locked) shows
 * the hex only. */
static void add_note(struct rpc_request *req, const struct market_order *o, json_t *ev)
{
    json_t *tx = NULL, *text = NULL;
    int code;
    char *msg = NULL;
    json_t *params = json_pack("[Ob]", json_object_get(ev, "txid"), 1);
    bool ok = params != NULL && rpc_call(req->table, req->node, req->uri, "getrawtransaction",
                                         params, &tx, &code, &msg);
    json_decref(params);
    free(msg);
    msg = NULL;
    const json_t *note = ok ? json_object_get(json_object_get(tx, "payload"), "note") : NULL;
    if (json_is_string(note) && json_string_length(note) > 0) {
        rpc_put(ev, "note", json_incref((json_t *)note));
        json_t *buyer = rpc_address_json(req, o->buyer), *seller = rpc_address_json(req, o->seller);
        for (int side = 0; side < 2 && text == NULL; side++) {
            params = json_pack("[OOO]", side == 0 ? buyer : seller, side == 0 ? seller : buyer,
                               note);
            if (params != NULL && !rpc_call(req->table, req->node, req->uri, "decryptmessage",
                                            params, &text, &code, &msg))
                text = NULL;
            json_decref(params);
            free(msg);
            msg = NULL;
        }
        json_decref(buyer);
        json_decref(seller);
        if (text != NULL)
            rpc_put(ev, "note_text", text);
    }
    json_decref(tx);
}

static void add_notes(struct rpc_request *req, const struct market_order *o, json_t *history)
{
    size_t i;
    json_t *ev;
    json_array_foreach(history, i, ev)
    {
        const char *type = json_string_value(json_object_get(ev, "type"));
        if (type != NULL && (strcmp(type, "order_place") == 0 || strcmp(type, "order_ship") == 0))
            add_note(req, o, ev);
    }
}

static bool rpc_market_getorder(struct rpc_request *req, json_t **result)
{
    struct plugin_ctx *pc = rpc_plugin(req, "market");
    struct order_lookup l = {0};
    if (pc == NULL || !rpc_param_hash(req, 0, l.id))
        return false;
    char err[200];
    if (!plugin_index_sync(pc, err, sizeof err))
        return rpc_error(req, RPC_MISC_ERROR, "%s", err);
    if (!plugin_with_tip(pc, order_tip, &l))
        return rpc_error(req, RPC_INTERNAL_ERROR, "reading the state failed");
    if (!l.found)
        return rpc_error(req, RPC_INVALID_ADDRESS_OR_KEY, "no order with this id");
    json_t *o = order_json(req, l.id, &l.o, l.has_deadline, l.deadline);
    if (o == NULL)
        return rpc_nomem(req);
    struct history_run h = {.req = req, .arr = json_array()};
    sqlite3 *db = plugin_db_reader_get(pc);
    bool ok = market_index_order_events(db, l.id, history_event, &h, err, sizeof err);
    plugin_db_reader_put(pc, db);
    if (!ok) {
        json_decref(h.arr);
        json_decref(o);
        return rpc_error(req, RPC_MISC_ERROR, "%s", err);
    }
    add_notes(req, &l.o, h.arr);
    /* A change of state at a height where the order had no transaction
     * was a timeout (the deadline index fired it in the block prologue). */
    if (h.any && l.o.state_height != h.last_height) {
        json_t *t = json_object();
        ok = rpc_put(t, "height", json_integer((json_int_t)l.o.state_height)) &&
             rpc_put(t, "txid", json_null()) && rpc_put(t, "type", json_string("timeout")) &&
             rpc_put(t, "by", json_null()) &&
             rpc_put(t, "state", json_string(market_order_state_name(l.o.state)));
        rpc_append(h.arr, t, ok);
    }
    return rpc_done_if(req, result, o, rpc_put(o, "history", h.arr));
}

/* ---- market_listorders ------------------------------------------------------- */

struct order_ref {
    uint8_t id[32];
    uint64_t height;
};

struct orders_run {
    struct rpc_request *req;
    struct plugin_ctx *pc;
    uint8_t (*parties)[32];
    size_t n_parties;
    const char *as;
    bool has_state;
    uint64_t state;
    uint64_t limit, offset, total;
    struct order_ref *refs;
    size_t n_refs, cap_refs;
    json_t *arr;
    bool failed;
    char err[200];
};

/* Collects an order of one party once (a wallet may hold both sides). */
static bool orders_collect(const uint8_t id[32], uint64_t height, void *arg)
{
    struct orders_run *r = arg;
    for (size_t i = 0; i < r->n_refs; i++)
        if (memcmp(r->refs[i].id, id, 32) == 0)
            return true;
    if (r->n_refs == r->cap_refs) {
        size_t cap = r->cap_refs ? r->cap_refs * 2 : 32;
        struct order_ref *grown = realloc(r->refs, cap * sizeof *grown);
        if (grown == NULL) {
            r->failed = true;
            return false;
        }
        r->refs = grown;
        r->cap_refs = cap;
    }
    memcpy(r->refs[r->n_refs].id, id, 32);
    r->refs[r->n_refs++].height = height;
    return true;
}

/* Newest first, then by id, as for one party. */
static int order_ref_cmp(const void *a, const void *b)
{
    const struct order_ref *x = a, *y = b;
    if (x->height != y->height)
        return x->height > y->height ? -1 : 1;
    return memcmp(x->id, y->id, 32);
}

static bool orders_tip(struct state_view *v, uint64_t height, void *arg)
{
    (void)height;
    struct orders_run *r = arg;
    sqlite3 *db = plugin_db_reader_get(r->pc);
    bool ok = true;
    for (size_t i = 0; ok && i < r->n_parties; i++)
        ok = market_index_party_orders(db, r->parties[i], r->as, orders_collect, r, r->err,
                                       sizeof r->err);
    plugin_db_reader_put(r->pc, db);
    if (!ok)
        return false;
    if (r->n_refs > 1)
        qsort(r->refs, r->n_refs, sizeof *r->refs, order_ref_cmp);
    for (size_t i = 0; i < r->n_refs; i++) {
        const uint8_t *id = r->refs[i].id;
        struct market_order o;
        bool found = false;
        if (market_order_get(v, id, &o, &found) != TXERR_OK) {
            r->failed = true;
            return false;
        }
        if (!found || (r->has_state && o.state != r->state))
            continue;
        uint64_t n = r->total++;
        if (n < r->offset || n - r->offset >= r->limit)
            continue;
        uint64_t dl = 0;
        bool has_dl = false;
        if (deadline_find(v, MARKET_DEADLINE_OWNER, id, 32, &dl, &has_dl) != TXERR_OK) {
            r->failed = true;
            return false;
        }
        json_t *j = order_json(r->req, id, &o, has_dl, dl);
        if (!rpc_append(r->arr, j, j != NULL)) {
            r->failed = true;
            return false;
        }
    }
    return true;
}

/* The request wallet's addresses, through the RPC table (a plugin does not
 * see the wallet); false with the wallet's error (no wallet, several
 * wallets and no /wallet/<name>). */
static bool wallet_parties(struct rpc_request *req, struct orders_run *r)
{
    json_t *list = NULL;
    int code = 0;
    char *msg = NULL;
    json_t *none = json_array();
    bool ok = none != NULL && rpc_call(req->table, req->node, req->uri, "listaddresses", none,
                                       &list, &code, &msg);
    json_decref(none);
    if (!ok) {
        rpc_error(req, code, "%s (or give \"address\")", msg != NULL ? msg : "no wallet");
        free(msg);
        return false;
    }
    size_t n = json_array_size(list);
    r->parties = calloc(n > 0 ? n : 1, 32);
    if (r->parties == NULL) {
        json_decref(list);
        return rpc_nomem(req);
    }
    for (size_t i = 0; i < n; i++) {
        const char *a = json_string_value(json_object_get(json_array_get(list, i), "address"));
        if (a != NULL && address_decode(req->node->params->hrp, a, r->parties[r->n_parties]) ==
                             ADDRESS_OK)
            r->n_parties++;
    }
    json_decref(list);
    return true;
}

static bool rpc_market_listorders(struct rpc_request *req, json_t **result)
{
    static const char *const known[] = {"address", "as", "state", "limit", "offset", NULL};
    struct plugin_ctx *pc = rpc_plugin(req, "market");
    const json_t *o;
    struct orders_run r = {.req = req, .pc = pc};
    bool has_addr;
    uint8_t addr[32];
    const char *state;
    if (pc == NULL || !rpc_options(req, 0, known, &o) ||
        !opt_address(req, o, "address", &has_addr, addr) || !rpc_option_str(req, o, "as", &r.as) ||
        !rpc_option_str(req, o, "state", &state) ||
        !rpc_option_uint(req, o, "limit", PAGE_DEFAULT, PAGE_MAX, &r.limit) ||
        !rpc_option_uint(req, o, "offset", 0, UINT32_MAX, &r.offset))
        return false;
    if (r.as != NULL && strcmp(r.as, "buyer") != 0 && strcmp(r.as, "seller") != 0 &&
        strcmp(r.as, "arbiter") != 0)
        return rpc_error(req, RPC_INVALID_PARAMETER,
                         "as: one of \"buyer\", \"seller\", \"arbiter\"");
    if (state != NULL) {
        for (uint64_t s = 0; s < MARKET_ORDER_STATE_COUNT_ && !r.has_state; s++)
            if (strcasecmp(state, market_order_state_name(s)) == 0) {
                r.has_state = true;
                r.state = s;
            }
        if (!r.has_state)
            return rpc_error(req, RPC_INVALID_PARAMETER,
                             "state: one of placed, accepted, shipped, completed, canceled, "
                             "disputed, resolved");
    }
    if (!plugin_index_sync(pc, r.err, sizeof r.err))
        return rpc_error(req, RPC_MISC_ERROR, "%s", r.err);
    if (has_addr) {
        r.parties = malloc(32);
        if (r.parties == NULL)
            return rpc_nomem(req);
        memcpy(r.parties[0], addr, 32);
        r.n_parties = 1;
    } else if (!wallet_parties(req, &r)) {
        return false;
    }
    r.arr = json_array();
    bool ok = plugin_with_tip(pc, orders_tip, &r);
    free(r.parties);
    free(r.refs);
    if (!ok) {
        json_decref(r.arr);
        return rpc_error(req, r.failed ? RPC_INTERNAL_ERROR : RPC_MISC_ERROR, "%s",
                         r.failed ? "reading the state failed" : r.err);
    }
    json_t *res = json_object();
    ok = rpc_put(res, "total", json_integer((json_int_t)r.total)) &&
         rpc_put(res, "orders", r.arr);
    return rpc_done_if(req, result, res, ok);
}

/* ---- the table --------------------------------------------------------------- */

/* The action methods' shared help (market_actions.c). */
#define ACTION_HELP                                                                          \
    "Signs with the wallet (/wallet/<name>), checks against the mempool-inclusive state\n"  \
    "(-26 \"<rule>: <why>\" when a rule would refuse it) and broadcasts.\n"                  \
    "Options: {\"fee\": amount (default: estimated), \"broadcast\": true,\n"                 \
    "          \"from\": a wallet address (default: the key of the acting party)}"
#define ACTION_RESULT "\nResult: {\"txid\", \"fee\", \"from\", \"hex\" (only with broadcast false)}"
#define OPTIONS_ARG {"options", RPC_ARG_OBJ, true, "fee, broadcast, from"}

const struct rpc_method market_rpc_methods[MARKET_RPC_N_METHODS] = {
    {"market", "market_getprofile", rpc_market_getprofile,
     "Returns a market profile by its name or its owner's address.",
     "Result: {\"name\", \"about\", \"address\", \"height\": of its last profile_set,\n"
     "         \"as_seller\", \"as_buyer\": {\"orders\", \"completed\", \"cancelled\", \"disputed\",\n"
     "         \"refunded\", \"counterparties\", \"first_height\", \"last_height\"},\n"
     "         \"reputation\": {\"as_seller\", \"as_buyer\": {\"reviews\", \"average\",\n"
     "         \"weighted_average\", \"score\", \"reviewers\"}} (see review_getreputation)}",
     {{"name_or_address", RPC_ARG_STR, false, "A profile name or an address"}}},
    {"market", "market_getlisting", rpc_market_getlisting,
     "Returns a listing (any status) from the chainstate at the tip.",
     "Result: {\"id\", \"seller\": address, \"seller_name\": name or null,\n"
     "         \"seller_reputation\": {\"reviews\", \"average\", \"weighted_average\", \"score\",\n"
     "         \"reviewers\"} (see review_getreputation),\n"
     "         \"status\": \"ACTIVE\"|\"CLOSED\"|\"EXPIRED\", \"title\", \"description\",\n"
     "         \"category\", \"price\", \"stock\", \"expires_at_height\": n or null,\n"
     "         \"created_height\", \"updated_height\", \"media\": [hex, ...]}",
     {{"id", RPC_ARG_HASH, false, "The listing's id (the txid of its listing_create)"}}},
    {"market", "market_listlistings", rpc_market_listlistings,
     "Lists listings, newest first (from the search index, checked against the tip).",
     "Options: {\"seller\": address, \"category\": exact, \"status\": \"active\" (default),\n"
     "          \"closed\", \"expired\" or \"all\", \"limit\": 0-1000 (100), \"offset\": n}\n"
     "Result: {\"total\": listings matching (all pages), \"listings\": [as market_getlisting]}",
     {{"options", RPC_ARG_OBJ, true, "Filters and paging"}}},
    {"market", "market_searchlistings", rpc_market_searchlistings,
     "Searches the active listings' title, description, category and seller name; best "
     "first.",
     "Every word (letters and digits) must match; ranked by bm25.\n"
     "Options: {\"category\": exact, \"min_price\", \"max_price\": amounts, \"seller\": address,\n"
     "          \"has_stock\": bool, \"limit\": 0-1000 (100), \"offset\": n}\n"
     "Result: {\"total\", \"listings\": [as market_getlisting plus \"rank\"]}",
     {{"query", RPC_ARG_STR, false, "Words to search for"},
      {"options", RPC_ARG_OBJ, true, "Filters and paging"}}},
    {"market", "market_getorder", rpc_market_getorder,
     "Returns an order: state, parties, amounts, its pending deadline and its history.",
     "Result: {\"id\", \"listing_id\", \"state\", \"buyer\", \"seller\", \"arbiter\": address or "
     "null,\n"
     "         \"arbiter_fee_bps\", \"arbiter_fee\", \"quantity\", \"price\", \"total\", \"escrow\",\n"
     "         \"placed_height\", \"state_height\",\n"
     "         \"deadlines\": [{\"height\", \"on_timeout\"}],\n"
     "         \"history\": [{\"height\", \"txid\", \"type\", \"by\": address}, ...]}\n"
     "A timeout shows in the history as {\"type\": \"timeout\", \"txid\": null, \"state\"}.\n"
     "An order_place or order_ship with a note adds \"note\" (the sealed hex) and, when the\n"
     "request's wallet holds the buyer's or the seller's key, \"note_text\".",
     {{"id", RPC_ARG_HASH, false, "The order's id (the txid of its order_place)"}}},
    {"market", "market_listorders", rpc_market_listorders,
     "Lists the orders of the wallet's addresses, or of one address, as buyer, seller or "
     "arbiter, newest first.",
     "Options: {\"address\": default every address of the request's wallet,\n"
     "          \"as\": \"buyer\"|\"seller\"|\"arbiter\" (default any),\n"
     "          \"state\": an order state, \"limit\": 0-1000 (100), \"offset\": n}\n"
     "Result: {\"total\", \"orders\": [as market_getorder without \"history\"]}",
     {{"options", RPC_ARG_OBJ, true, "The address, filters and paging"}}},
    {"market", "market_addmedia", market_media_rpc_add,
     "Adds a listing photo to this node's media store; returns the id to put in a "
     "listing's media.",
     "The bytes must be a PNG, JPEG, WebP or GIF image of at most 512 KiB; mime (default:\n"
     "the type the bytes start like) must name that type. The photo waits here, neither\n"
     "served nor announced, up to 24 h for a listing naming it to connect; from then on\n"
     "peers fetch it. Adding the same photo again returns the same id.\n"
     "Result: {\"id\": hex, \"mime\", \"size\": bytes, \"named\": an active listing names it}",
     {{"path_or_base64", RPC_ARG_STR, false, "An absolute path, or the bytes in base64"},
      {"options", RPC_ARG_OBJ, true, "mime"}}},
    {"market", "market_getmedia", market_media_rpc_get,
     "Returns a listing photo held by this node.",
     "Result: {\"id\", \"mime\", \"size\", \"data\": base64, \"named\": an active listing\n"
     "         names it, \"local\": added through this node's RPC}\n"
     "-5 when the node does not hold it (and says whether it is being fetched).",
     {{"id", RPC_ARG_HASH, false, "The photo's id (as in a listing's media)"}}},
    {"market", "market_getmediainfo", market_media_rpc_info,
     "Returns the media store's size and counts.",
     "Result: {\"blobs\", \"bytes\": encoded blobs, \"named\": named by active listings,\n"
     "         \"wanted\": named and not held yet, \"max_bytes\": -mediamaxmb,\n"
     "         \"keep_unnamed_secs\": how long a photo no active listing names is kept}",
     {{NULL, 0, false, NULL}}},

    {"market", "market_setprofile", market_rpc_setprofile,
     "Sets (or renames) the wallet key's market profile.", ACTION_HELP ACTION_RESULT,
     {{"name", RPC_ARG_STR, false, "3 to 32 of a-z, 0-9, '_', '-'"},
      {"about", RPC_ARG_STR, true, "Up to 1024 bytes of UTF-8"},
      OPTIONS_ARG}},
    {"market", "market_createlisting", market_rpc_createlisting,
     "Creates a listing; its id is the txid.",
     "listing: {\"title\" (required), \"description\", \"category\", \"price\" (required),\n"
     "          \"quantity\" (1), \"media\": [hash, ...], \"expires_at_height\" (0: never)}\n" ACTION_HELP
         ACTION_RESULT,
     {{"listing", RPC_ARG_OBJ, false, "The listing's fields"}, OPTIONS_ARG}},
    {"market", "market_updatelisting", market_rpc_updatelisting,
     "Changes a listing's title, description, category, price or quantity (the stock).",
     "changes: any of those fields; the rest stay as they are.\n" ACTION_HELP ACTION_RESULT,
     {{"id", RPC_ARG_HASH, false, "The listing's id"},
      {"changes", RPC_ARG_OBJ, false, "The fields to change"},
      OPTIONS_ARG}},
    {"market", "market_closelisting", market_rpc_closelisting,
     "Closes a listing: it takes no more orders.", ACTION_HELP ACTION_RESULT,
     {{"id", RPC_ARG_HASH, false, "The listing's id"}, OPTIONS_ARG}},
    {"market", "market_placeorder", market_rpc_placeorder,
     "Orders from a listing; the total goes into escrow. The order's id is the txid.",
     "options also take \"max_total\" (default: today's price times quantity),\n"
     "\"arbiter\" (an address), \"arbiter_fee_bps\" (0-1000) and \"note\" (text up to 996\n"
     "bytes, sealed for the seller with encryptmessage).\n" ACTION_HELP
         ACTION_RESULT,
     {{"listing_id", RPC_ARG_HASH, false, "The listing's id"},
      {"quantity", RPC_ARG_INT, false, "How many"},
      {"options", RPC_ARG_OBJ, true, "max_total, arbiter, arbiter_fee_bps, note, fee, broadcast, from"}}},
    {"market", "market_acceptorder", market_rpc_acceptorder,
     "The seller accepts an order.", ACTION_HELP ACTION_RESULT,
     {{"id", RPC_ARG_HASH, false, "The order's id"}, OPTIONS_ARG}},
    {"market", "market_shiporder", market_rpc_shiporder,
     "The seller marks an accepted order shipped.",
     "options also take \"note\" (text up to 996 bytes, sealed for the buyer).\n" ACTION_HELP
         ACTION_RESULT,
     {{"id", RPC_ARG_HASH, false, "The order's id"},
      {"options", RPC_ARG_OBJ, true, "note, fee, broadcast, from"}}},
    {"market", "market_completeorder", market_rpc_completeorder,
     "The buyer completes an order: the seller is paid.", ACTION_HELP ACTION_RESULT,
     {{"id", RPC_ARG_HASH, false, "The order's id"}, OPTIONS_ARG}},
    {"market", "market_cancelorder", market_rpc_cancelorder,
     "The buyer (before acceptance) or the seller (before shipping) cancels: full refund.",
     ACTION_HELP ACTION_RESULT, {{"id", RPC_ARG_HASH, false, "The order's id"}, OPTIONS_ARG}},
    {"market", "market_disputeorder", market_rpc_disputeorder,
     "The buyer or the seller hands an accepted or shipped order to its arbiter.",
     ACTION_HELP ACTION_RESULT,
     {{"id", RPC_ARG_HASH, false, "The order's id"},
      {"reason", RPC_ARG_STR, false, "Why (up to 1024 bytes)"},
      OPTIONS_ARG}},
    {"market", "market_resolveorder", market_rpc_resolveorder,
     "The arbiter splits a disputed order: buyer_amount to the buyer, the fee to the arbiter, "
     "the rest to the seller.",
     ACTION_HELP ACTION_RESULT,
     {{"id", RPC_ARG_HASH, false, "The order's id"},
      {"buyer_amount", RPC_ARG_AMOUNT, false, "What the buyer gets back"},
      OPTIONS_ARG}},
};
