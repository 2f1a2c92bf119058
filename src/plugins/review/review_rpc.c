#include "plugins/review/review_rpc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consensus/chainparams.h"
#include "crypto/address.h"
#include "node/node.h"
#include "plugins/market/market_rpc.h"
#include "plugins/review/review_actions.h"
#include "plugins/review/review_index.h"
#include "plugins/review/review_state.h"
#include "rpc/rpcutil.h"
#include "util/hex.h"

#define PAGE_DEFAULT 100
#define PAGE_MAX 1000

static json_t *uint_json(uint64_t n)
{
    return json_integer((json_int_t)n);
}

static const char *role_name(enum market_role r)
{
    return r == MARKET_ROLE_SELLER ? "seller" : "buyer";
}

/* ---- reputation ------------------------------------------------------------ */

/* An average to the hundredth, rounded down; null when nothing is
 * averaged. */
static json_t *avg_json(uint64_t sum, uint64_t n)
{
    return n == 0 ? json_null() : rpc_fixed_json(review_avg100(sum, n), 2);
}

static json_t *aspects_avg_json(const struct review_reputation *p)
{
    json_t *o = json_object();
    bool ok = o != NULL;
    for (size_t i = 0; ok && i < REVIEW_N_ASPECTS; i++) {
        json_t *a = json_object();
        ok = rpc_put(a, "reviews", uint_json(p->aspect_n[i])) &&
             rpc_put(a, "average", avg_json(p->aspect_sum[i], p->aspect_n[i]));
        if (!ok)
            json_decref(a);
        else
            ok = rpc_put(o, review_aspect_name(i), a);
    }
    return rpc_built(o, ok);
}

/* One role's figures; with trades (NULL: the summary) also each aspect's
 * average and the market's order counts. */
static json_t *role_json(const struct review_reputation *p, const struct market_trades *trades)
{
    json_t *o = json_object();
    bool ok = rpc_put(o, "reviews", uint_json(p->reviews)) &&
              rpc_put(o, "average", avg_json(p->rating_sum, p->reviews)) &&
              rpc_put(o, "weighted_average",
                      p->weight_sum == 0
                          ? json_null()
                          : rpc_fixed_json(review_avg100_u128(p->weighted_sum, p->weight_sum), 2)) &&
              rpc_put(o, "score", avg_json(p->latest_sum, p->authors)) &&
              rpc_put(o, "reviewers", uint_json(p->authors));
    if (ok && trades != NULL)
        ok = rpc_put(o, "aspects", aspects_avg_json(p)) &&
             rpc_put(o, "trades", market_trades_json(trades));
    return rpc_built(o, ok);
}

json_t *review_rpc_summary(struct state_view *v, const uint8_t key[32], enum market_role role)
{
    struct review_reputation p;
    if (review_reputation_get(v, key, role, &p) != TXERR_OK)
        return NULL;
    return role_json(&p, NULL);
}

/* ---- reviews as JSON -------------------------------------------------------- */

static json_t *aspects_json(const uint8_t a[REVIEW_N_ASPECTS])
{
    json_t *o = json_object();
    bool ok = o != NULL;
    for (size_t i = 0; ok && i < REVIEW_N_ASPECTS; i++)
        ok = rpc_put(o, review_aspect_name(i), a[i] != 0 ? uint_json(a[i]) : json_null());
    return rpc_built(o, ok);
}

static json_t *reply_json(const struct review_index_row *r)
{
    if (!r->replied)
        return json_null();
    json_t *o = json_object();
    if (rpc_put(o, "txid", rpc_hex_json(r->reply_id, 32)) &&
        rpc_put(o, "text", json_stringn(r->reply_text, r->reply_text_len)) &&
        rpc_put(o, "height", uint_json(r->reply_height)))
        return o;
    json_decref(o);
    return NULL;
}

/* A review from the index (its texts) and its chainstate record (the
 * order's total, its weight in the value-weighted average). */
static json_t *review_json(struct rpc_request *req, const struct review_index_row *r,
                           const struct review_record *rec)
{
    enum market_role author_role =
        r->role == MARKET_ROLE_SELLER ? MARKET_ROLE_BUYER : MARKET_ROLE_SELLER;
    json_t *o = json_object();
    bool ok = rpc_put(o, "id", rpc_hex_json(r->id, 32)) &&
              rpc_put(o, "order_id", rpc_hex_json(r->order_id, 32)) &&
              rpc_put(o, "author", rpc_address_json(req, r->author)) &&
              rpc_put(o, "author_role", json_string(role_name(author_role))) &&
              rpc_put(o, "subject", rpc_address_json(req, r->subject)) &&
              rpc_put(o, "subject_role", json_string(role_name(r->role))) &&
              rpc_put(o, "rating", uint_json(r->rating)) &&
              rpc_put(o, "aspects", aspects_json(r->aspects)) &&
              rpc_put(o, "text", json_stringn(r->text, r->text_len)) &&
              rpc_put(o, "height", uint_json(r->height)) &&
              rpc_put(o, "order_total", rpc_amount_json(rec->weight)) &&
              rpc_put(o, "reply", reply_json(r));
    return rpc_built(o, ok);
}

/* ---- who: an address or a profile name ---------------------------------------- */

struct who {
    const char *name;  /* NULL: by address */
    uint8_t pub[32];
};

/* s as an address, or else as a profile name to resolve at the tip. */
static bool who_parse(struct rpc_request *req, const char *what, const char *s, struct who *w)
{
    w->name = NULL;
    if (address_decode(req->node->params->hrp, s, w->pub) == ADDRESS_OK)
        return true;
    size_t len = strlen(s);
    if (len < MARKET_NAME_MIN || len > MARKET_NAME_MAX || strspn(s, MARKET_NAME_CHARS) != len)
        return rpc_error(req, RPC_INVALID_PARAMETER,
                         "%sneither an address nor a profile name (3 to 32 of a-z, 0-9, '_', "
                         "'-')",
                         what);
    w->name = s;
    return true;
}

/* Resolves a name through the market's records; *found false when nobody
 * holds it. */
static bool who_resolve(struct state_view *v, struct who *w, bool *found)
{
    *found = true;
    if (w->name == NULL)
        return true;
    return market_name_owner(v, w->name, strlen(w->name), w->pub, found) == TXERR_OK;
}

/* ---- review_get ------------------------------------------------------------------ */

struct get_run {
    struct rpc_request *req;
    struct plugin_ctx *pc;
    uint8_t id[32];
    json_t *out;
    bool found;
    bool index_failed;
    char err[200];
};

static bool get_tip(struct state_view *v, uint64_t height, void *arg)
{
    (void)height;
    struct get_run *g = arg;
    struct review_record rec;
    bool in_state = false;
    if (review_get(v, g->id, &rec, &in_state) != TXERR_OK)
        return false;
    if (!in_state)
        return true;
    struct review_index_row *row = malloc(sizeof *row);
    if (row == NULL)
        return false;
    sqlite3 *db = plugin_db_reader_get(g->pc);
    bool ok = review_index_get(db, g->id, row, &g->found, g->err, sizeof g->err);
    plugin_db_reader_put(g->pc, db);
    if (!ok)
        g->index_failed = true;
    else if (g->found)
        g->out = review_json(g->req, row, &rec);
    free(row);
    return ok && (!g->found || g->out != NULL);
}

static bool rpc_review_get(struct rpc_request *req, json_t **result)
{
    struct get_run g = {.req = req, .pc = rpc_plugin(req, "review")};
    if (g.pc == NULL || !rpc_param_hash(req, 0, g.id))
        return false;
    if (!plugin_index_sync(g.pc, g.err, sizeof g.err))
        return rpc_error(req, RPC_MISC_ERROR, "%s", g.err);
    if (!plugin_with_tip(g.pc, get_tip, &g)) {
        json_decref(g.out);
        if (g.index_failed)
            return rpc_error(req, RPC_MISC_ERROR, "%s", g.err);
        return rpc_error(req, RPC_INTERNAL_ERROR, "reading the state failed");
    }
    /* Absent from either: the index may be a block ahead of the tip. */
    if (!g.found)
        return rpc_error(req, RPC_INVALID_ADDRESS_OR_KEY, "no review with this id");
    return rpc_done(req, result, g.out);
}

/* ---- review_list ------------------------------------------------------------------- */

struct list_run {
    struct rpc_request *req;
    struct plugin_ctx *pc;
    struct review_index_query q;
    bool has[2];       /* by who_keys */
    struct who who[2];
    uint8_t order_id[32];
    const char *unknown;  /* the option naming a profile nobody holds */
    struct state_view *v;
    json_t *arr;
    uint64_t total;
    bool failed;
    bool index_failed;
    char err[200];
};

static bool list_emit(const struct review_index_row *r, void *arg)
{
    struct list_run *l = arg;
    struct review_record rec;
    bool found = false;
    if (review_get(l->v, r->id, &rec, &found) != TXERR_OK) {
        l->failed = true;
        return false;
    }
    if (!found)  /* the index is a block ahead of this view */
        return true;
    json_t *o = review_json(l->req, r, &rec);
    if (!rpc_append(l->arr, o, o != NULL)) {
        l->failed = true;
        return false;
    }
    return true;
}

/* The filters that take an address or a profile name. */
static const char *const who_keys[2] = {"subject", "author"};

static bool list_tip(struct state_view *v, uint64_t height, void *arg)
{
    (void)height;
    struct list_run *l = arg;
    l->v = v;
    for (size_t i = 0; i < 2; i++) {
        bool found = true;
        if (l->has[i] && !who_resolve(v, &l->who[i], &found))
            return false;
        if (!found) {
            l->unknown = who_keys[i];
            return true;
        }
    }
    l->q.subject = l->has[0] ? l->who[0].pub : NULL;
    l->q.author = l->has[1] ? l->who[1].pub : NULL;
    sqlite3 *db = plugin_db_reader_get(l->pc);
    bool ok = review_index_list(db, &l->q, list_emit, l, &l->total, l->err, sizeof l->err);
    plugin_db_reader_put(l->pc, db);
    if (!ok && !l->failed)
        l->index_failed = true;
    return ok;
}

/* An address or a profile name in option `key`. */
static bool opt_who(struct rpc_request *req, const json_t *o, const char *key, bool *has,
                    struct who *w)
{
    const json_t *v = rpc_option(o, key);
    *has = v != NULL;
    if (v == NULL)
        return true;
    if (!json_is_string(v))
        return rpc_error(req, RPC_TYPE_ERROR, "%s: expected an address or a profile name", key);
    char what[32];
    snprintf(what, sizeof what, "%s: ", key);
    return who_parse(req, what, json_string_value(v), w);
}

static bool rpc_review_list(struct rpc_request *req, json_t **result)
{
    static const char *const known[] = {"subject", "author", "order_id", "min_rating",
                                        "limit",   "offset", NULL};
    struct list_run l = {.req = req, .pc = rpc_plugin(req, "review")};
    const json_t *o;
    if (l.pc == NULL || !rpc_options(req, 0, known, &o) ||
        !opt_who(req, o, who_keys[0], &l.has[0], &l.who[0]) ||
        !opt_who(req, o, who_keys[1], &l.has[1], &l.who[1]) ||
        !rpc_option_uint(req, o, "min_rating", 0, REVIEW_RATING_MAX, &l.q.min_rating) ||
        !rpc_option_uint(req, o, "limit", PAGE_DEFAULT, PAGE_MAX, &l.q.limit) ||
        !rpc_option_uint(req, o, "offset", 0, UINT32_MAX, &l.q.offset))
        return false;
    const json_t *oid = rpc_option(o, "order_id");
    if (oid != NULL) {
        const char *hex = json_is_string(oid) ? json_string_value(oid) : "";
        if (strlen(hex) != 64 || !hex_decode_exact(hex, l.order_id, 32))
            return rpc_error(req, RPC_INVALID_PARAMETER, "order_id: expected a 64-digit hex id");
        l.q.order_id = l.order_id;
    }
    if (!plugin_index_sync(l.pc, l.err, sizeof l.err))
        return rpc_error(req, RPC_MISC_ERROR, "%s", l.err);
    l.arr = json_array();
    if (l.arr == NULL)
        return rpc_nomem(req);
    if (!plugin_with_tip(l.pc, list_tip, &l)) {
        json_decref(l.arr);
        if (l.index_failed)
            return rpc_error(req, RPC_MISC_ERROR, "%s", l.err);
        return rpc_error(req, RPC_INTERNAL_ERROR, "reading the state failed");
    }
    if (l.unknown != NULL) {
        json_decref(l.arr);
        return rpc_error(req, RPC_INVALID_ADDRESS_OR_KEY, "%s: no profile with this name",
                         l.unknown);
    }
    json_t *res = json_object();
    bool ok = rpc_put(res, "total", uint_json(l.total));
    ok = rpc_put(res, "reviews", l.arr) && ok;
    return rpc_done_if(req, result, res, ok);
}

/* ---- review_getreputation ---------------------------------------------------------- */

struct rep_run {
    struct who who;
    bool found;
    bool has_profile;
    struct market_profile profile;
    struct review_reputation rep[2];   /* by enum market_role */
    struct market_trades trades[2];
};

static bool rep_tip(struct state_view *v, uint64_t height, void *arg)
{
    (void)height;
    struct rep_run *r = arg;
    if (!who_resolve(v, &r->who, &r->found))
        return false;
    if (!r->found)
        return true;
    for (int role = 0; role < 2; role++)
        if (review_reputation_get(v, r->who.pub, (enum market_role)role, &r->rep[role]) !=
                TXERR_OK ||
            market_trades_get(v, r->who.pub, (enum market_role)role, &r->trades[role]) !=
                TXERR_OK)
            return false;
    return market_profile_get(v, r->who.pub, &r->profile, &r->has_profile) == TXERR_OK;
}

static bool rpc_review_getreputation(struct rpc_request *req, json_t **result)
{
    struct plugin_ctx *pc = rpc_plugin(req, "review");
    const char *s;
    struct rep_run *r = calloc(1, sizeof *r);
    if (r == NULL)
        return rpc_nomem(req);
    bool ok = pc != NULL && rpc_param_str(req, 0, NULL, &s) && who_parse(req, "", s, &r->who);
    if (ok && !plugin_with_tip(pc, rep_tip, r))
        ok = rpc_error(req, RPC_INTERNAL_ERROR, "reading the state failed");
    if (ok && !r->found)
        ok = rpc_error(req, RPC_INVALID_ADDRESS_OR_KEY, "no profile with this name");
    if (!ok) {
        free(r);
        return false;
    }
    json_t *o = json_object();
    ok = rpc_put(o, "address", rpc_address_json(req, r->who.pub)) &&
         rpc_put(o, "name", r->has_profile ? json_string(r->profile.name) : json_null()) &&
         rpc_put(o, "as_seller",
                 role_json(&r->rep[MARKET_ROLE_SELLER], &r->trades[MARKET_ROLE_SELLER])) &&
         rpc_put(o, "as_buyer",
                 role_json(&r->rep[MARKET_ROLE_BUYER], &r->trades[MARKET_ROLE_BUYER]));
    free(r);
    return rpc_done_if(req, result, o, ok);
}

/* ---- the table --------------------------------------------------------------------- */

#define ACTION_HELP                                                                          \
    "Signs with the wallet (/wallet/<name>) using the key of the party that acts, checks\n" \
    "the result against the mempool-inclusive state (-26 \"<rule>: <why>\" when a rule\n"    \
    "would refuse it) and broadcasts it.\n"                                                  \
    "Options also take {\"fee\": amount (default: estimated), \"broadcast\": true,\n"        \
    "\"from\": a wallet address}.\n"                                                         \
    "Result: {\"txid\", \"fee\", \"from\", \"hex\" (only with broadcast false)}"
#define REVIEW_RESULT                                                                        \
    "{\"id\", \"order_id\", \"author\", \"author_role\": \"buyer\"|\"seller\", \"subject\",\n"   \
    " \"subject_role\", \"rating\": 1-5, \"aspects\": {\"quality\", \"description\",\n"           \
    " \"delivery\", \"communication\": 1-5 or null (not rated)}, \"text\", \"height\",\n"       \
    " \"order_total\", \"reply\": {\"txid\", \"text\", \"height\"} or null}"
#define ROLE_RESULT                                                                          \
    "role: {\"reviews\", \"average\", \"weighted_average\" (weights: the orders' totals),\n"   \
    "       \"score\" (each reviewer once, by its latest review), \"reviewers\",\n"              \
    "       \"aspects\": {\"quality\": {\"reviews\", \"average\"}, \"description\", ...},\n"     \
    "       \"trades\": {as market_getprofile's as_seller}}\n"                                   \
    "Averages are to the hundredth, rounded down; null when there is nothing to average."

const struct rpc_method review_rpc_methods[REVIEW_RPC_N_METHODS] = {
    {"review", "review_get", rpc_review_get, "Returns a review, its text and its reply.",
     "Result: " REVIEW_RESULT,
     {{"id", RPC_ARG_HASH, false, "The review's id (the txid of its review_post)"}}},
    {"review", "review_list", rpc_review_list,
     "Lists reviews, newest first, by subject, author or order.",
     "Options: {\"subject\", \"author\": an address or a profile name, \"order_id\",\n"
     "          \"min_rating\": 0-5, \"limit\": 0-1000 (100), \"offset\": n}\n"
     "Result: {\"total\": reviews matching (all pages), \"reviews\": [as review_get]}",
     {{"options", RPC_ARG_OBJ, true, "Filters and paging"}}},
    {"review", "review_getreputation", rpc_review_getreputation,
     "Returns a key's reputation as seller and as buyer, from the reviews of its trades.",
     "Result: {\"address\", \"name\": profile name or null, \"as_seller\": role,\n"
     "         \"as_buyer\": role}\n" ROLE_RESULT,
     {{"name_or_address", RPC_ARG_STR, false, "A profile name or an address"}}},
    {"review", "review_post", review_rpc_post,
     "Reviews the other party of a completed or resolved order (once per party).",
     "A buyer may rate the four aspects, a seller only communication (1-5; 0 or absent: not\n"
     "rated).\n" ACTION_HELP,
     {{"order_id", RPC_ARG_HASH, false, "The order's id"},
      {"rating", RPC_ARG_INT, false, "The overall rating, 1 to 5"},
      {"text", RPC_ARG_STR, false, "Up to 2048 bytes of UTF-8"},
      {"options", RPC_ARG_OBJ, true,
       "quality, description, delivery, communication, fee, broadcast, from"}}},
    {"review", "review_reply", review_rpc_reply,
     "The reviewed party answers a review, once.", ACTION_HELP,
     {{"review_id", RPC_ARG_HASH, false, "The review's id"},
      {"text", RPC_ARG_STR, false, "Up to 2048 bytes of UTF-8"},
      {"options", RPC_ARG_OBJ, true, "fee, broadcast, from"}}},
};
