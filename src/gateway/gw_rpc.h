/* gw_rpc: what a logged-in account may call through POST /api/rpc.
 *
 * The allowlist names the wallet, market, review and chat methods a
 * person uses and a few harmless chain reads; node administration
 * (stop, generate*, addnode, setban, wallet loading, key and seed dumps,
 * backups, passphrase changes, ...) is not on it.
 *
 * gw_rpc_filter reads a JSON-RPC body (one request or a batch) and
 * rewrites every request the gateway refuses into a call of
 * GW_RPC_REFUSE_METHOD carrying its error code and message, so the
 * node's dispatcher still answers each request in place, in its JSON-RPC
 * version and with its id. Refused: a method off the allowlist (-32601),
 * and a file argument ("path_or_base64" of market_addmedia and
 * chat_sendfile) that is a path on the node's machine rather than bytes
 * (-8). The body passed on is the filter's own re-encoding of what it
 * parsed, so the dispatcher never reads text the filter read otherwise.
 * The wallet a call runs on is not the filter's business: the gateway
 * always sends it to the account's own /wallet/<name>. Pure; thread-safe. */
#ifndef SOUK_GATEWAY_GW_RPC_H
#define SOUK_GATEWAY_GW_RPC_H

#include <stdbool.h>
#include <stddef.h>

/* A name no client can reach directly: it is itself off the allowlist. */
#define GW_RPC_REFUSE_METHOD "gateway.refuse"

/* Whether the method may be called through the gateway. */
bool gw_rpc_allowed(const char *method);
/* The allowlist, in order (NULL-terminated), for docs and tests. */
extern const char *const gw_rpc_allowlist[];

enum gw_rpc_filter_result {
    GW_RPC_FILTER_OK,          /* *out (malloc'd, NUL-terminated) is the body to dispatch */
    GW_RPC_FILTER_PARSE_ERROR, /* not JSON, or neither an object nor an array */
    GW_RPC_FILTER_NOMEM,
};
enum gw_rpc_filter_result gw_rpc_filter(const char *body, size_t len, char **out,
                                        size_t *out_len);

#endif
