#include "rpc/rpc_action.h"

#include <stdlib.h>
#include <string.h>

json_t *rpc_action_opts(struct rpc_request *req, size_t i, const char *const *extra,
                        struct rpc_action_opts *out)
{
    static const char *const own[] = {"fee", "broadcast", "from", NULL};
    out->broadcast = true;
    out->fee = NULL;
    out->from = NULL;
    const json_t *o = rpc_param(req, i);
    if (o == NULL)
        return json_object();
    if (!json_is_object(o)) {
        rpc_error(req, RPC_TYPE_ERROR, "options: expected an object");
        return NULL;
    }
    const char *key;
    const json_t *val;
    json_object_foreach((json_t *)o, key, val)
    {
        bool known = false;
        for (size_t k = 0; own[k] != NULL && !known; k++)
            known = strcmp(own[k], key) == 0;
        for (size_t k = 0; extra != NULL && extra[k] != NULL && !known; k++)
            known = strcmp(extra[k], key) == 0;
        if (!known) {
            rpc_error(req, RPC_INVALID_PARAMETER, "options: unknown key \"%s\"", key);
            return NULL;
        }
        if (json_is_null(val))
            continue;
        if (strcmp(key, "broadcast") == 0) {
            if (!json_is_boolean(val)) {
                rpc_error(req, RPC_TYPE_ERROR, "broadcast: expected true or false");
                return NULL;
            }
            out->broadcast = json_is_true(val);
        } else if (strcmp(key, "from") == 0) {
            if (!json_is_string(val)) {
                rpc_error(req, RPC_TYPE_ERROR, "from: expected an address");
                return NULL;
            }
            out->from = json_string_value(val);
        } else if (strcmp(key, "fee") == 0) {
            out->fee = val;  /* the wallet checks the amount */
        }
    }
    return json_incref((json_t *)o);
}

/* "<reason>: <message>" when reason is one of the plugin's rules. */
static bool refuse_reason(struct rpc_request *req, const struct rpc_action *a, const char *reason)
{
    for (size_t i = 0; i < a->n_rules; i++)
        if (strcmp(a->rules[i].reason, reason) == 0)
            return rpc_error(req, RPC_VERIFY_REJECTED, "%s: %s", reason, a->rules[i].text);
    return rpc_error(req, RPC_VERIFY_REJECTED, "%s", reason);
}

bool rpc_action_refuse(struct rpc_request *req, const struct rpc_action *a, enum txerr rule)
{
    return refuse_reason(req, a, txerr_reason(rule));
}

/* Runs another method of the table with the request's wallet path,
 * passing its error on; takes params. */
static bool call(struct rpc_request *req, const char *method, json_t *params, json_t **out)
{
    int code = 0;
    char *msg = NULL;
    bool ok = params != NULL &&
              rpc_call(req->table, req->node, req->uri, method, params, out, &code, &msg);
    json_decref(params);
    if (!ok) {
        if (code == 0)
            rpc_nomem(req);
        else
            rpc_error(req, code, "%s", msg != NULL ? msg : method);
        free(msg);
    }
    return ok;
}

/* Has the wallet sign with `from` (NULL: its choice). False with *not_mine
 * (and no error set) when the wallet lacks that key. */
static bool sign(struct rpc_request *req, const struct rpc_action *a, const char *from,
                 const json_t *fee, json_t **signed_tx, bool *not_mine)
{
    *not_mine = false;
    json_t *o = json_object();
    bool ok = rpc_put(o, "broadcast", json_false()) &&
              (from == NULL || rpc_put(o, "from", json_string(from))) &&
              (fee == NULL || rpc_put(o, "fee", json_deep_copy(fee)));
    json_t *params = ok ? json_pack("[sOO]", a->type, a->payload, o) : NULL;
    json_decref(o);
    if (params == NULL)
        return rpc_nomem(req);
    int code = 0;
    char *msg = NULL;
    ok = rpc_call(req->table, req->node, req->uri, "walletcreatetransaction", params, signed_tx,
                  &code, &msg);
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

bool rpc_action_run(struct rpc_request *req, const struct rpc_action *a,
                    const struct rpc_action_opts *o, json_t **result)
{
    json_t *signed_tx = NULL;
    bool not_mine = false, ok;
    if (o->from != NULL || a->n_signers == 0) {
        ok = sign(req, a, o->from, o->fee, &signed_tx, &not_mine);
        if (!ok && not_mine)
            rpc_error(req, RPC_WALLET_ERROR, "from: the address is not in this wallet");
    } else {
        ok = false;
        for (size_t i = 0; i < a->n_signers && !ok; i++) {
            ok = sign(req, a, a->signers[i], o->fee, &signed_tx, &not_mine);
            if (!ok && !not_mine)
                break;
        }
        /* The wallet holds no key of the acting party: the rule says why. */
        if (!ok && not_mine)
            rpc_action_refuse(req, a, a->not_signer);
    }
    if (!ok)
        return false;

    const char *hex = json_string_value(json_object_get(signed_tx, "hex"));
    if (hex == NULL) {
        json_decref(signed_tx);
        return rpc_error(req, RPC_INTERNAL_ERROR, "the wallet returned no transaction");
    }
    json_t *tested = NULL;
    ok = call(req, "testmempoolaccept", json_pack("[[s]]", hex), &tested);
    if (ok) {
        const json_t *r0 = json_array_get(tested, 0);
        if (!json_is_true(json_object_get(r0, "allowed"))) {
            const char *reason = json_string_value(json_object_get(r0, "reject-reason"));
            ok = refuse_reason(req, a, reason != NULL ? reason : "rejected");
        }
    }
    json_decref(tested);
    json_t *sent = NULL;
    if (ok && o->broadcast)
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
         (o->broadcast || rpc_put(out, "hex", json_string(hex)));
    json_decref(signed_tx);
    return rpc_done_if(req, result, out, ok);
}
