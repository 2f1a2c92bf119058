/* The review plugin's action methods: each builds one review transaction
 * and hands it to rpc_action_run (rpc/rpc_action.h), which has the
 * request's wallet sign it with the key of the party that acts — read here
 * from the state at the tip — checks it against the mempool-inclusive
 * state and only then broadcasts it. Every rule is the consensus rule:
 * what a block would refuse, the pre-check refuses with the same reason,
 * and nothing is sent. */
#include "plugins/review/review_actions.h"

#include <string.h>

#include "consensus/chainparams.h"
#include "crypto/address.h"
#include "node/node.h"
#include "plugins/market/market_state.h"
#include "plugins/review/review.h"
#include "plugins/review/review_state.h"
#include "rpc/rpc_action.h"
#include "rpc/rpcutil.h"

/* The keys that may sign, from the state at the tip: an order's two
 * parties, the one that has not reviewed it yet first (a wallet holding
 * both keys reviews with the one still able to), or a review's subject.
 * Neither found (say, an order still in the mempool): the wallet chooses,
 * and the mempool's check names the rule. */
struct signers_run {
    uint8_t id[32];
    bool reply;
    uint8_t keys[RPC_ACTION_MAX_SIGNERS][32];
    size_t n;
};

static bool signers_tip(struct state_view *v, uint64_t height, void *arg)
{
    (void)height;
    struct signers_run *s = arg;
    bool found = false;
    if (s->reply) {
        struct review_record r;
        if (review_get(v, s->id, &r, &found) != TXERR_OK)
            return false;
        if (found)
            memcpy(s->keys[s->n++], r.subject, 32);
        return true;
    }
    struct market_order o;
    if (market_order_get(v, s->id, &o, &found) != TXERR_OK)
        return false;
    if (!found)
        return true;
    uint8_t earlier[32];
    bool buyer_done = false;
    if (review_by_order(v, s->id, MARKET_ROLE_BUYER, earlier, &buyer_done) != TXERR_OK)
        return false;
    memcpy(s->keys[buyer_done ? 1 : 0], o.buyer, 32);
    memcpy(s->keys[buyer_done ? 0 : 1], o.seller, 32);
    s->n = 2;
    return true;
}

/* Fills a's signers (unless the options name one) and runs it. */
static bool act(struct rpc_request *req, struct rpc_action *a, bool reply, const uint8_t id[32],
                const struct rpc_action_opts *o, json_t **result)
{
    struct plugin_ctx *pc = rpc_plugin(req, "review");
    if (pc == NULL)
        return false;
    a->rules = pc->plugin->rules;
    a->n_rules = pc->plugin->n_rules;
    a->not_signer = (enum txerr)(reply ? REVIEW_ERR_NOT_SUBJECT : REVIEW_ERR_NOT_PARTY);
    if (o->from == NULL) {
        struct signers_run s = {.reply = reply};
        memcpy(s.id, id, 32);
        if (!plugin_with_tip(pc, signers_tip, &s))
            return rpc_error(req, RPC_INTERNAL_ERROR, "reading the state failed");
        for (size_t i = 0; i < s.n; i++)
            if (address_encode(req->node->params->hrp, s.keys[i], a->signers[a->n_signers],
                               sizeof a->signers[0]) == ADDRESS_OK)
                a->n_signers++;
    }
    return rpc_action_run(req, a, o, result);
}

bool review_rpc_post(struct rpc_request *req, json_t **result)
{
    static const char *const aspect_keys[REVIEW_N_ASPECTS + 1] = {
        "quality", "description", "delivery", "communication", NULL};
    uint8_t order_id[32];
    const char *text;
    const json_t *rating = rpc_param(req, 1);
    if (!rpc_param_hash(req, 0, order_id))
        return false;
    if (rating == NULL)
        return rpc_error(req, RPC_INVALID_PARAMS, "Missing required parameter 'rating'");
    if (!rpc_param_str(req, 2, NULL, &text))
        return false;
    struct rpc_action_opts o;
    json_t *opts = rpc_action_opts(req, 3, aspect_keys, &o);
    if (opts == NULL)
        return false;
    /* The aspects in payload order, 0 for one not rated; the field table
     * checks the bounds (review-bad-aspect) and consensus who may rate
     * which (review-seller-aspect). */
    json_t *aspects = json_array();
    bool ok = aspects != NULL;
    for (size_t i = 0; ok && i < REVIEW_N_ASPECTS; i++) {
        const json_t *v = json_object_get(opts, aspect_keys[i]);
        if (v != NULL && !json_is_null(v) && !json_is_integer(v))
            ok = rpc_error(req, RPC_TYPE_ERROR, "%s: expected an integer from 0 to %d",
                           aspect_keys[i], REVIEW_ASPECT_MAX);
        else
            ok = json_array_append_new(aspects, v != NULL && !json_is_null(v)
                                                    ? json_incref((json_t *)v)
                                                    : json_integer(0)) == 0 ||
                 rpc_nomem(req);
    }
    struct rpc_action a = {.type = "review_post", .payload = json_object()};
    if (ok)
        ok = (rpc_put(a.payload, "order_id", rpc_hex_json(order_id, 32)) &&
              rpc_put(a.payload, "rating", json_deep_copy(rating)) &&
              rpc_put(a.payload, "aspects", json_incref(aspects)) &&
              rpc_put(a.payload, "text", json_deep_copy(rpc_param(req, 2)))) ||
             rpc_nomem(req);
    if (ok)
        ok = act(req, &a, false, order_id, &o, result);
    json_decref(aspects);
    json_decref(a.payload);
    json_decref(opts);
    return ok;
}

bool review_rpc_reply(struct rpc_request *req, json_t **result)
{
    uint8_t review_id[32];
    const char *text;
    if (!rpc_param_hash(req, 0, review_id) || !rpc_param_str(req, 1, NULL, &text))
        return false;
    struct rpc_action_opts o;
    json_t *opts = rpc_action_opts(req, 2, NULL, &o);
    if (opts == NULL)
        return false;
    struct rpc_action a = {.type = "review_reply", .payload = json_object()};
    bool ok = (rpc_put(a.payload, "review_id", rpc_hex_json(review_id, 32)) &&
               rpc_put(a.payload, "text", json_deep_copy(rpc_param(req, 1)))) ||
              rpc_nomem(req);
    if (ok)
        ok = act(req, &a, true, review_id, &o, result);
    json_decref(a.payload);
    json_decref(opts);
    return ok;
}
