/* rpc_action: the last steps every plugin action method takes once it has
 * built its transaction's payload — the request's wallet signs it with the
 * key of the party that acts, the signed transaction is checked against
 * the mempool-inclusive state, and only then broadcast.
 *
 * A plugin does not see the wallet (a sibling layer): these reach the
 * wallet's signing service the way a client does, through the RPC table
 * (walletcreatetransaction with "broadcast": false, then testmempoolaccept
 * and sendrawtransaction, run with rpc_call on the request's own table and
 * /wallet/<name> path). So a node without wallets answers an action as
 * walletcreatetransaction does, and a refusal names the rule that would
 * refuse the transaction in a block. Owns nothing between calls. */
#ifndef SOUK_RPC_RPC_ACTION_H
#define SOUK_RPC_RPC_ACTION_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "consensus/txerr.h"
#include "crypto/address.h"
#include "rpc/server.h"

/* The options every action takes: {"fee", "broadcast", "from"}. */
struct rpc_action_opts {
    bool broadcast;     /* default true; false returns the signed hex */
    const json_t *fee;  /* NULL: the wallet's estimate */
    const char *from;   /* NULL: the acting party's key */
};

/* Reads argument i as the options object, allowing its own keys and
 * `extra` (NULL-terminated, may be NULL); a key in neither is -8, a wrong
 * type -3. Returns a new reference to the object (an empty one when the
 * argument is absent), whose strings *out points into; NULL with the
 * error set. */
json_t *rpc_action_opts(struct rpc_request *req, size_t i, const char *const *extra,
                        struct rpc_action_opts *out);

#define RPC_ACTION_MAX_SIGNERS 2

/* One action, ready to be signed. */
struct rpc_action {
    const char *type;  /* the transaction type's name */
    json_t *payload;   /* borrowed: the payload's fields by name */
    /* The addresses of the party that may act, tried in order when the
     * options give no "from"; none: the wallet's choice (then the
     * mempool's check names the rule, e.g. an unknown order). */
    char signers[RPC_ACTION_MAX_SIGNERS][ADDRESS_MAX_LEN + 1];
    size_t n_signers;
    /* The rule a wallet holding none of the signers' keys is refused
     * with (it could only sign as someone else). */
    enum txerr not_signer;
    /* The plugin's rules, to word a refusal "<reason>: <message>". */
    const struct txerr_def *rules;
    size_t n_rules;
};

/* Signs, checks and (unless o->broadcast is false) sends a. The result:
 * {"txid", "fee", "from", "hex" (only with broadcast false)}. A refusal
 * is -26 "<reason>: <message>"; the wallet's own errors pass through. */
bool rpc_action_run(struct rpc_request *req, const struct rpc_action *a,
                    const struct rpc_action_opts *o, json_t **result);

/* -26 "<reason>: <message>" for one of the plugin's rules. */
bool rpc_action_refuse(struct rpc_request *req, const struct rpc_action *a, enum txerr rule);

#endif
