#include "rpc/rpcutil.h"

#include "consensus/chainparams.h"
#include "consensus/tx.h"
#include "node/node.h"
#include "rpc/server.h"

bool rpc_address_decode(struct rpc_request *req, const char *what, const char *s,
                        uint8_t pubkey[ADDRESS_PUBKEY_LEN])
{
    uint8_t scratch[ADDRESS_PUBKEY_LEN];
    enum address_error ae =
        address_decode(req->node->params->hrp, s, pubkey != NULL ? pubkey : scratch);
    if (ae != ADDRESS_OK)
        return rpc_error(req, RPC_INVALID_ADDRESS_OR_KEY, "%sInvalid address: %s", what,
                         address_strerror(ae));
    return true;
}

bool rpc_param_address(struct rpc_request *req, size_t i, uint8_t pubkey[ADDRESS_PUBKEY_LEN])
{
    const char *s;
    return rpc_param_str_required(req, i, &s) && rpc_address_decode(req, "", s, pubkey);
}

const struct txtype_def *rpc_txtype_from_json(struct rpc_request *req, const json_t *v)
{
    const struct txtype_def *def = NULL;
    if (json_is_string(v))
        def = txtype_find_name(json_string_value(v));
    else if (json_is_integer(v) && json_integer_value(v) >= 0)
        def = txtype_find((uint64_t)json_integer_value(v));
    else {
        rpc_error(req, RPC_TYPE_ERROR, "type: expected a type name or id");
        return NULL;
    }
    if (def == NULL)
        rpc_error(req, RPC_INVALID_PARAMETER, "type: unknown transaction type");
    else if (def->id == TX_TYPE_COINBASE) {
        rpc_error(req, RPC_INVALID_PARAMETER, "type: coinbase transactions are made by miners");
        def = NULL;
    }
    return def;
}
