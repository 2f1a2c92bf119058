/* The market's action methods: each builds one market transaction, has the
 * wallet of the request (/wallet/<name>) sign it, checks it against the
 * mempool-inclusive state and only then broadcasts it.
 *
 * A plugin does not see the wallet: it reaches the wallet's signing service
 * the way a client does, through the RPC table (walletcreatetransaction
 * with "broadcast": false, then testmempoolaccept and sendrawtransaction,
 * run with rpc_call on the request's own table and wallet path). So the
 * plugin API needs no wallet hook, and a node without wallets answers as
 * walletcreatetransaction does. */
#include "plugins/market/market_actions.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consensus/chainparams.h"
#include "consensus/txerr.h"
#include "crypto/address.h"
#include "crypto/aead.h"
#include "node/node.h"
#include "plugins/market/market.h"
#include "plugins/market/market_state.h"

/* Whose key signs an action. */
enum role { ROLE_WALLET, ROLE_SELLER, ROLE_BUYER, ROLE_PARTY, ROLE_ARBITER };

/* What the wallet step needs to know about one action. */
struct action {
    const char *type;      /* the market type's name */
    json_t *payload;       /* owned */
    enum role role;
    uint8_t order_or_listing[32];
    amount_t spend;        /* coins it takes besides the fee (order_place) */
    const char *note;      /* text to seal into payload.note, or NULL */
    uint8_t note_to[32];   /* the counterparty it is sealed for */
};

static struct plugin_ctx *market_ctx(struct rpc_request *req)
{
    struct plugin_ctx *pc = plugin_find(req->node, "market");
    if (pc == NULL)
        rpc_error(req, RPC_MISC_ERROR, "the market plugin is not running");
    return pc;
}

static json_t *amount_str(amount_t a)
{
    char s[32];
    snprintf(s, sizeof s, "%" PRIu64 ".%08" PRIu64, (uint64_t)(a / AMOUNT_COIN),
             (uint64_t)(a % AMOUNT_COIN));
    return json_string(s);
}

/* The options every action takes, plus the extra keys of one method. */
static json_t *action_opts(struct rpc_request *req, size_t i, const char *const *extra,
                                 bool *broadcast, const json_t **fee, const char **from)
{
    static const char *const base[] = {"fee", "broadcast", "from", NULL};
    const json_t *o = rpc_param(req, i);
    *broadcast = true;
    *fee = NULL;
    *from = NULL;
    if (o == NULL)
        return json_object();  /* a fresh empty object, dropped by the caller */
    if (!json_is_object(o)) {
        rpc_error(req, RPC_TYPE_ERROR, "options: expected an object");
        return NULL;
    }
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)o, key, val)
    {
        bool ok = false;
        for (size_t k = 0; base[k] != NULL; k++)
            ok = ok || strcmp(base[k], key) == 0;
        for (size_t k = 0; extra != NULL && extra[k] != NULL; k++)
            ok = ok || strcmp(extra[k], key) == 0;
        if (!ok) {
            rpc_error(req, RPC_INVALID_PARAMETER, "options: unknown key \"%s\"", key);
            return NULL;
        }
    }
    const json_t *b = json_object_get(o, "broadcast");
    if (b != NULL && !json_is_null(b)) {
        if (!json_is_boolean(b)) {
            rpc_error(req, RPC_TYPE_ERROR, "broadcast: expected true or false");
            return NULL;
        }
        *broadcast = json_is_true(b);
    }
    const json_t *f = json_object_get(o, "fee");
    *fee = f != NULL && !json_is_null(f) ? f : NULL;
    const json_t *fr = json_object_get(o, "from");
    if (fr != NULL && !json_is_null(fr)) {
        if (!json_is_string(fr)) {
            rpc_error(req, RPC_TYPE_ERROR, "from: expected an address");
            return NULL;
        }
        *from = json_string_value(fr);
    }
    return json_incref((json_t *)o);
}

/* "reason: text" of a consensus rule, for a refusal. */
static bool refuse(struct rpc_request *req, const char *reason)
{
    for (int code = MARKET_ERR_BAD_NAME; code < MARKET_ERR_END_; code++)
        if (strcmp(txerr_reason((enum txerr)code), reason) == 0)
            return rpc_error(req, RPC_VERIFY_REJECTED, "%s: %s", reason,
                             txerr_strerror((enum txerr)code));
    return rpc_error(req, RPC_VERIFY_REJECTED, "%s", reason);
}

static bool refuse_code(struct rpc_request *req, int code)
{
    return refuse(req, txerr_reason((enum txerr)code));
}

/* Runs another method of the table with the request's wallet path; on
 * failure passes its error on. */
static bool call(struct rpc_request *req, const char *method, json_t *params, json_t **out)
{
    int code = 0;
    char *msg = NULL;
    bool ok = rpc_call(req->table, req->node, req->uri, method, params, out, &code, &msg);
    json_decref(params);
    if (!ok) {
        rpc_error(req, code, "%s", msg != NULL ? msg : method);
        free(msg);
    }
    return ok;
}

/* Signs with `from` (NULL: the wallet's choice): true with *signed (the
 * walletcreatetransaction result); *not_mine when the wallet lacks that
 * key (then no error is set). */
static bool sign(struct rpc_request *req, const struct action *a, const char *from,
                 const json_t *fee, json_t **signed_tx, bool *not_mine)
{
    *not_mine = false;
    json_t *o = json_object();
    rpc_put(o, "broadcast", json_false());
    if (from != NULL)
        rpc_put(o, "from", json_string(from));
    if (fee != NULL)
        rpc_put(o, "fee", json_deep_copy(fee));
    if (a->spend > 0)
        rpc_put(o, "spend", amount_str(a->spend));
    json_t *params = json_pack("[sOo]", a->type, a->payload, o);
    int code = 0;
    char *msg = NULL;
    bool ok = rpc_call(req->table, req->node, req->uri, "walletcreatetransaction", params,
                       signed_tx, &code, &msg);
    json_decref(params);
    if (!ok) {
        if (from != NULL && code == RPC_WALLET_ERROR && msg != NULL &&
            strstr(msg, "not in this wallet") != NULL)
            *not_mine = true;
        else
            rpc_error(req, code, "%s", msg != NULL ? msg : "signing failed");
        free(msg);
    }
    return ok;
}

/* Seals a->note from the key that signed *signed_tx to a->note_to, puts it
 * in the payload and replaces *signed_tx by the action signed again by that
 * key. */
static bool seal_note(struct rpc_request *req, struct action *a, const json_t *fee,
                      json_t **signed_tx)
{
    const char *from = json_string_value(json_object_get(*signed_tx, "from"));
    char to[ADDRESS_MAX_LEN + 1];
    if (from == NULL ||
        address_encode(req->node->params->hrp, a->note_to, to, sizeof to) != ADDRESS_OK)
        return rpc_error(req, RPC_INTERNAL_ERROR, "the note's parties are unknown");
    size_t len = strlen(a->note);
    if (len > MARKET_NOTE_MAX - AEAD_OVERHEAD)
        return rpc_error(req, RPC_INVALID_PARAMETER,
                         "note: at most %d bytes of text (sealed, it takes %zu bytes of the "
                         "%d the field holds)",
                         MARKET_NOTE_MAX - AEAD_OVERHEAD, len + AEAD_OVERHEAD, MARKET_NOTE_MAX);
    json_t *sealed = NULL;
    if (!call(req, "encryptmessage", json_pack("[sss]", from, to, a->note), &sealed))
        return false;
    char signer[ADDRESS_MAX_LEN + 1];
    snprintf(signer, sizeof signer, "%s", from);
    bool ok = rpc_put(a->payload, "note", sealed) || rpc_nomem(req);
    json_t *again = NULL;
    bool not_mine = false;
    if (ok)
        ok = sign(req, a, signer, fee, &again, &not_mine);
    if (!ok && not_mine)
        rpc_error(req, RPC_WALLET_ERROR, "from: the address is not in this wallet");
    if (ok) {
        json_decref(*signed_tx);
        *signed_tx = again;
    }
    return ok;
}

/* The parties of the order or listing an action names, from the state at
 * the tip (an order or listing still in the mempool is not seen: pass
 * `from` for it). */
struct parties {
    uint8_t id[32];
    bool listing;
    bool found;
    uint8_t seller[32], buyer[32], arbiter[32];
    bool has_arbiter;
};

static bool parties_tip(struct state_view *v, uint64_t height, void *arg)
{
    (void)height;
    struct parties *p = arg;
    if (p->listing) {
        struct market_listing l;
        if (market_listing_get(v, p->id, &l, &p->found) != TXERR_OK)
            return false;
        if (p->found)
            memcpy(p->seller, l.seller, 32);
        return true;
    }
    struct market_order o;
    if (market_order_get(v, p->id, &o, &p->found) != TXERR_OK)
        return false;
    if (p->found) {
        memcpy(p->seller, o.seller, 32);
        memcpy(p->buyer, o.buyer, 32);
        memcpy(p->arbiter, o.arbiter, 32);
        p->has_arbiter = o.has_arbiter;
    }
    return true;
}

static void addr_of(struct rpc_request *req, const uint8_t pub[32], char *out, size_t outlen)
{
    if (address_encode(req->node->params->hrp, pub, out, outlen) != ADDRESS_OK)
        out[0] = '\0';
}

/* Signs a with the key of its role, checks it against the mempool and
 * broadcasts it unless asked not to. Takes a->payload and opts. */
static bool run_action(struct rpc_request *req, struct action *a, json_t *opts, bool broadcast,
                       const json_t *fee, const char *from, json_t **result)
{
    struct plugin_ctx *pc = market_ctx(req);
    json_t *signed_tx = NULL;
    bool ok = pc != NULL;
    /* Which keys may sign: the role's, tried in order. */
    char cand[2][ADDRESS_MAX_LEN + 1];
    size_t n_cand = 0;
    int not_mine_rule = 0;
    if (ok && from == NULL && a->role != ROLE_WALLET) {
        struct parties p = {.listing = a->role == ROLE_SELLER && strncmp(a->type, "listing", 7) == 0};
        memcpy(p.id, a->order_or_listing, 32);
        if (!plugin_with_tip(pc, parties_tip, &p))
            ok = rpc_error(req, RPC_INTERNAL_ERROR, "reading the state failed");
        else if (p.found) {
            switch (a->role) {
            case ROLE_SELLER:
                addr_of(req, p.seller, cand[n_cand++], sizeof cand[0]);
                not_mine_rule = MARKET_ERR_NOT_SELLER;
                break;
            case ROLE_BUYER:
                addr_of(req, p.buyer, cand[n_cand++], sizeof cand[0]);
                not_mine_rule = MARKET_ERR_NOT_BUYER;
                break;
            case ROLE_PARTY:
                addr_of(req, p.buyer, cand[n_cand++], sizeof cand[0]);
                addr_of(req, p.seller, cand[n_cand++], sizeof cand[0]);
                not_mine_rule = MARKET_ERR_NOT_PARTY;
                break;
            case ROLE_ARBITER:
                if (!p.has_arbiter) {
                    ok = refuse_code(req, MARKET_ERR_NOT_ARBITER);
                    break;
                }
                addr_of(req, p.arbiter, cand[n_cand++], sizeof cand[0]);
                not_mine_rule = MARKET_ERR_NOT_ARBITER;
                break;
            case ROLE_WALLET:
                break;
            }
        }
        /* Not found: signed with the wallet's choice, and the mempool check
         * below names the rule (unknown order or listing). */
    }
    if (ok) {
        bool not_mine = false;
        if (n_cand == 0) {
            ok = sign(req, a, from, fee, &signed_tx, &not_mine);
            if (!ok && not_mine)
                ok = rpc_error(req, RPC_WALLET_ERROR, "from: the address is not in this wallet");
        } else {
            ok = false;
            for (size_t i = 0; i < n_cand && !ok; i++) {
                ok = sign(req, a, cand[i], fee, &signed_tx, &not_mine);
                if (!ok && !not_mine)
                    break;
            }
            /* The wallet holds no key of the role: the rule says why. */
            if (!ok && not_mine)
                refuse_code(req, not_mine_rule);
        }
    }
    /* The note is sealed with the key that signed (the wallet's choice is
     * only known once it signed), then the action is signed again with
     * that key and the sealed note. */
    if (ok && a->note != NULL && a->note[0] != '\0')
        ok = seal_note(req, a, fee, &signed_tx);
    json_decref(a->payload);
    json_decref(opts);
    if (!ok) {
        json_decref(signed_tx); /* signed before a note that could not be sealed */
        return false;
    }

    const char *hex = json_string_value(json_object_get(signed_tx, "hex"));
    json_t *tested = NULL;
    ok = hex != NULL && call(req, "testmempoolaccept", json_pack("[[s]]", hex), &tested);
    if (ok) {
        const json_t *r0 = json_array_get(tested, 0);
        if (!json_is_true(json_object_get(r0, "allowed"))) {
            const char *reason = json_string_value(json_object_get(r0, "reject-reason"));
            ok = refuse(req, reason != NULL ? reason : "rejected");
        }
    }
    json_decref(tested);
    json_t *sent = NULL;
    if (ok && broadcast)
        ok = call(req, "sendrawtransaction", json_pack("[s]", hex), &sent);
    json_decref(sent);
    if (!ok) {
        json_decref(signed_tx);
        return false;
    }
    json_t *out = json_object();
    ok = rpc_put(out, "txid", json_incref(json_object_get(signed_tx, "txid"))) &&
         rpc_put(out, "fee", json_incref(json_object_get(signed_tx, "fee"))) &&
         rpc_put(out, "from", json_incref(json_object_get(signed_tx, "from"))) &&
         (broadcast || rpc_put(out, "hex", json_string(hex)));
    json_decref(signed_tx);
    return rpc_done_if(req, result, out, ok);
}

/* Copies opts[key] (if present) into payload[key], else def (may be NULL:
 * then the key is required). */
static bool take(struct rpc_request *req, const json_t *opts, json_t *payload, const char *key,
                 json_t *def)
{
    const json_t *v = opts != NULL ? json_object_get(opts, key) : NULL;
    if (v != NULL && !json_is_null(v)) {
        json_decref(def);
        return rpc_put(payload, key, json_deep_copy(v)) || rpc_nomem(req);
    }
    if (def == NULL)
        return rpc_error(req, RPC_INVALID_PARAMETER, "%s: required", key);
    return rpc_put(payload, key, def) || rpc_nomem(req);
}

#define OPTS(i, extra)                                                                       \
    bool broadcast;                                                                          \
    const json_t *fee;                                                                       \
    const char *from;                                                                        \
    json_t *opts = action_opts(req, (i), extra, &broadcast, &fee, &from);                    \
    if (opts == NULL)                                                                        \
    return false

static bool finish(struct rpc_request *req, struct action *a, json_t *opts, bool broadcast,
                   const json_t *fee, const char *from, bool ok, json_t **result)
{
    if (!ok) {
        json_decref(a->payload);
        json_decref(opts);
        return false;
    }
    return run_action(req, a, opts, broadcast, fee, from, result);
}

/* ---- profiles and listings ------------------------------------------------- */

bool market_rpc_setprofile(struct rpc_request *req, json_t **result)
{
    const char *name, *about;
    if (!rpc_param_str(req, 0, NULL, &name) || !rpc_param_str(req, 1, "", &about))
        return false;
    OPTS(2, NULL);
    struct action a = {.type = "profile_set", .payload = json_object(), .role = ROLE_WALLET};
    bool ok = rpc_put(a.payload, "name", json_string(name)) &&
              rpc_put(a.payload, "about", json_string(about));
    if (!ok)
        rpc_nomem(req);
    return finish(req, &a, opts, broadcast, fee, from, ok, result);
}

bool market_rpc_createlisting(struct rpc_request *req, json_t **result)
{
    const json_t *fields = rpc_param(req, 0);
    if (fields == NULL || !json_is_object(fields))
        return rpc_error(req, RPC_TYPE_ERROR, "listing: expected an object");
    OPTS(1, NULL);
    struct action a = {.type = "listing_create", .payload = json_object(), .role = ROLE_WALLET};
    bool ok = take(req, fields, a.payload, "title", NULL) &&
              take(req, fields, a.payload, "description", json_string("")) &&
              take(req, fields, a.payload, "category", json_string("")) &&
              take(req, fields, a.payload, "price", NULL) &&
              take(req, fields, a.payload, "quantity", json_integer(1)) &&
              take(req, fields, a.payload, "media", json_array()) &&
              take(req, fields, a.payload, "expires_at_height", json_integer(0));
    return finish(req, &a, opts, broadcast, fee, from, ok, result);
}

struct listing_now {
    uint8_t id[32];
    bool found;
    struct market_listing l;
};

static bool listing_now_tip(struct state_view *v, uint64_t height, void *arg)
{
    (void)height;
    struct listing_now *n = arg;
    return market_listing_get(v, n->id, &n->l, &n->found) == TXERR_OK;
}

bool market_rpc_updatelisting(struct rpc_request *req, json_t **result)
{
    struct plugin_ctx *pc = market_ctx(req);
    struct listing_now n = {0};
    if (pc == NULL || !rpc_param_hash(req, 0, n.id))
        return false;
    const json_t *fields = rpc_param(req, 1);
    if (fields == NULL || !json_is_object(fields))
        return rpc_error(req, RPC_TYPE_ERROR, "changes: expected an object");
    if (!plugin_with_tip(pc, listing_now_tip, &n))
        return rpc_error(req, RPC_INTERNAL_ERROR, "reading the state failed");
    if (!n.found)
        return refuse_code(req, MARKET_ERR_UNKNOWN_LISTING);
    OPTS(2, NULL);
    /* What the changes leave out stays as it is (quantity: the stock). */
    struct action a = {.type = "listing_update", .payload = json_object(), .role = ROLE_SELLER};
    memcpy(a.order_or_listing, n.id, 32);
    bool ok = rpc_put(a.payload, "listing_id", rpc_hex_json(n.id, 32)) &&
              take(req, fields, a.payload, "title", json_string(n.l.title)) &&
              take(req, fields, a.payload, "description", json_string(n.l.description)) &&
              take(req, fields, a.payload, "category", json_string(n.l.category)) &&
              take(req, fields, a.payload, "price", amount_str(n.l.price)) &&
              take(req, fields, a.payload, "quantity", json_integer((json_int_t)n.l.stock));
    return finish(req, &a, opts, broadcast, fee, from, ok, result);
}

bool market_rpc_closelisting(struct rpc_request *req, json_t **result)
{
    uint8_t id[32];
    if (!rpc_param_hash(req, 0, id))
        return false;
    OPTS(1, NULL);
    struct action a = {.type = "listing_close", .payload = json_object(), .role = ROLE_SELLER};
    memcpy(a.order_or_listing, id, 32);
    bool ok = rpc_put(a.payload, "listing_id", rpc_hex_json(id, 32));
    return finish(req, &a, opts, broadcast, fee, from, ok, result);
}

/* ---- orders ------------------------------------------------------------------ */

/* opts.note, text to be sealed for `to` once the signing key is known. */
static bool note_opt(struct rpc_request *req, const json_t *opts, struct action *a,
                     const uint8_t to[32])
{
    const json_t *v = json_object_get(opts, "note");
    if (v == NULL || json_is_null(v))
        return true;
    if (!json_is_string(v))
        return rpc_error(req, RPC_TYPE_ERROR, "note: expected a string (text)");
    a->note = json_string_value(v);  /* opts outlives the action */
    memcpy(a->note_to, to, 32);
    return true;
}

struct order_now {
    uint8_t id[32];
    bool found;
    struct market_order o;
};

static bool order_now_tip(struct state_view *v, uint64_t height, void *arg)
{
    (void)height;
    struct order_now *n = arg;
    return market_order_get(v, n->id, &n->o, &n->found) == TXERR_OK;
}

bool market_rpc_placeorder(struct rpc_request *req, json_t **result)
{
    struct plugin_ctx *pc = market_ctx(req);
    struct listing_now n = {0};
    int64_t quantity;
    if (pc == NULL || !rpc_param_hash(req, 0, n.id) ||
        !rpc_param_int(req, 1, 1, 1, MARKET_QUANTITY_MAX, &quantity))
        return false;
    if (!plugin_with_tip(pc, listing_now_tip, &n))
        return rpc_error(req, RPC_INTERNAL_ERROR, "reading the state failed");
    if (!n.found)
        return refuse_code(req, MARKET_ERR_UNKNOWN_LISTING);
    static const char *const order_keys[] = {"max_total", "arbiter", "arbiter_fee_bps", "note",
                                             NULL};
    OPTS(2, order_keys);
    /* max_total defaults to today's price: a price raised before the order
     * is mined then refuses it rather than charging more. */
    amount_t total = 0;
    if (!amount_mul(n.l.price, (uint64_t)quantity, &total))
        total = AMOUNT_MAX;
    struct action a = {.type = "order_place", .payload = json_object(), .role = ROLE_WALLET,
                       .spend = total};
    const json_t *mt = json_object_get(opts, "max_total");
    if (mt != NULL && !json_is_null(mt) && !rpc_amount_from_json(mt, &a.spend)) {
        json_decref(a.payload);
        json_decref(opts);
        return rpc_error(req, RPC_INVALID_PARAMETER, "max_total: not an amount");
    }
    bool ok = rpc_put(a.payload, "listing_id", rpc_hex_json(n.id, 32)) &&
              rpc_put(a.payload, "quantity", json_integer(quantity)) &&
              take(req, opts, a.payload, "max_total", amount_str(total)) &&
              take(req, opts, a.payload, "arbiter", json_string("")) &&
              take(req, opts, a.payload, "arbiter_fee_bps", json_integer(0)) &&
              rpc_put(a.payload, "note", json_string("")) &&
              note_opt(req, opts, &a, n.l.seller);
    return finish(req, &a, opts, broadcast, fee, from, ok, result);
}

/* An order action with only the order id (and a note or reason). */
static bool order_action(struct rpc_request *req, const char *type, enum role role,
                         const char *text_key, size_t text_arg, json_t **result)
{
    uint8_t id[32];
    if (!rpc_param_hash(req, 0, id))
        return false;
    const char *text = NULL;
    if (text_arg > 0 && !rpc_param_str(req, text_arg, "", &text))
        return false;
    static const char *const with_note[] = {"note", NULL};
    bool broadcast;
    const json_t *fee;
    const char *from;
    json_t *opts = action_opts(req, text_arg > 0 ? text_arg + 1 : 1,
                               strcmp(type, "order_ship") == 0 ? with_note : NULL, &broadcast,
                               &fee, &from);
    if (opts == NULL)
        return false;
    struct action a = {.type = type, .payload = json_object(), .role = role};
    memcpy(a.order_or_listing, id, 32);
    bool ok = rpc_put(a.payload, "order_id", rpc_hex_json(id, 32));
    if (ok && strcmp(type, "order_ship") == 0) {
        ok = rpc_put(a.payload, "note", json_string(""));
        const json_t *note = json_object_get(opts, "note");
        if (ok && note != NULL && !json_is_null(note)) {
            /* Sealed for the buyer: the order must be known at the tip. */
            struct order_now n = {0};
            memcpy(n.id, id, 32);
            struct plugin_ctx *pc = market_ctx(req);
            if (pc == NULL)
                ok = false;
            else if (!plugin_with_tip(pc, order_now_tip, &n))
                ok = rpc_error(req, RPC_INTERNAL_ERROR, "reading the state failed");
            else if (!n.found)
                ok = refuse_code(req, MARKET_ERR_UNKNOWN_ORDER);
            else
                ok = note_opt(req, opts, &a, n.o.buyer);
        }
    }
    if (ok && text_key != NULL)
        ok = rpc_put(a.payload, text_key, json_string(text));
    return finish(req, &a, opts, broadcast, fee, from, ok, result);
}

bool market_rpc_acceptorder(struct rpc_request *req, json_t **result)
{
    return order_action(req, "order_accept", ROLE_SELLER, NULL, 0, result);
}

bool market_rpc_shiporder(struct rpc_request *req, json_t **result)
{
    return order_action(req, "order_ship", ROLE_SELLER, NULL, 0, result);
}

bool market_rpc_completeorder(struct rpc_request *req, json_t **result)
{
    return order_action(req, "order_complete", ROLE_BUYER, NULL, 0, result);
}

bool market_rpc_cancelorder(struct rpc_request *req, json_t **result)
{
    return order_action(req, "order_cancel", ROLE_PARTY, NULL, 0, result);
}

bool market_rpc_disputeorder(struct rpc_request *req, json_t **result)
{
    return order_action(req, "order_dispute", ROLE_PARTY, "reason", 1, result);
}

bool market_rpc_resolveorder(struct rpc_request *req, json_t **result)
{
    uint8_t id[32];
    amount_t to_buyer;
    if (!rpc_param_hash(req, 0, id) || !rpc_param_amount(req, 1, 0, &to_buyer))
        return false;
    if (rpc_param(req, 1) == NULL)
        return rpc_error(req, RPC_INVALID_PARAMS, "Missing required parameter 'buyer_amount'");
    OPTS(2, NULL);
    struct action a = {.type = "order_resolve", .payload = json_object(), .role = ROLE_ARBITER};
    memcpy(a.order_or_listing, id, 32);
    bool ok = rpc_put(a.payload, "order_id", rpc_hex_json(id, 32)) &&
              rpc_put(a.payload, "buyer_amount", amount_str(to_buyer));
    return finish(req, &a, opts, broadcast, fee, from, ok, result);
}

