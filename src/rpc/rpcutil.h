/* rpcutil: arguments of the node's own kinds, read the same way by the
 * chain's RPC methods and the wallet's.
 *
 * An address is one of the node's network (its hrp), refused with -5
 * naming the reason; a transaction type is given by name or id, and a
 * coinbase is refused (only miners make those). server.h holds the
 * protocol-level helpers (rpc_error, rpc_param_*, rpc_done, ...); these add
 * what needs the chain's parameters and type registry, so they use
 * req->node, which must be set. Owns nothing; thread-safe as the
 * registries they read. */
#ifndef SOUK_RPC_RPCUTIL_H
#define SOUK_RPC_RPCUTIL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/txtype.h"
#include "crypto/address.h"
#include "util/buf.h"

struct plugin_ctx;
struct rpc_request;

/* What of a client's text (a path, a header) an error message repeats:
 * the first len bytes of s as printable ASCII (anything else becomes '?'),
 * shortened with "..." to fit cap (at least 4), NUL-terminated. */
void rpc_echo(const char *s, size_t len, char *out, size_t cap);

/* The running plugin of that name, or NULL with -1 "the <name> plugin is
 * not running". */
struct plugin_ctx *rpc_plugin(struct rpc_request *req, const char *name);

/* s as an address of the node's network, its key into pubkey (may be
 * NULL); false with -5 "<what>Invalid address: <reason>" otherwise. what
 * prefixes the message ("" or, say, "from: "). */
bool rpc_address_decode(struct rpc_request *req, const char *what, const char *s,
                        uint8_t pubkey[ADDRESS_PUBKEY_LEN]);
/* The required address argument i as its public key. */
bool rpc_param_address(struct rpc_request *req, size_t i, uint8_t pubkey[ADDRESS_PUBKEY_LEN]);

/* The key's address on the node's network as a new JSON string (null if
 * it cannot be encoded). */
json_t *rpc_address_json(struct rpc_request *req, const uint8_t pubkey[ADDRESS_PUBKEY_LEN]);

/* An options object (a method's filters and paging): argument i, which may
 * be absent (*out NULL). A key not in `known` (NULL-terminated) is -8, so
 * a misspelt filter is not silently ignored; another JSON type is -3. */
bool rpc_options(struct rpc_request *req, size_t i, const char *const *known, const json_t **out);
/* o[key], or NULL when o is NULL or the value is absent or null. */
const json_t *rpc_option(const json_t *o, const char *key);
/* o[key] as a string (*out NULL when absent), else -3 naming the key. */
bool rpc_option_str(struct rpc_request *req, const json_t *o, const char *key, const char **out);
/* o[key] as an integer 0..max (def when absent), else -8 naming the key. */
bool rpc_option_uint(struct rpc_request *req, const json_t *o, const char *key, uint64_t def,
                     uint64_t max, uint64_t *out);

/* The transaction type v names: a registered type's name or a
 * non-negative id. NULL with the error set: -3 for another JSON type, -8
 * for an unknown type or the coinbase. Messages start with "type: ". */
const struct txtype_def *rpc_txtype_from_json(struct rpc_request *req, const json_t *v);

/* Bytes in JSON as base64 (RFC 4648, with padding): a new string, NULL
 * when memory runs out. */
json_t *rpc_base64_json(const void *data, size_t len);
/* Appends the bytes of text[0..len), standard base64 with its padding and
 * nothing else (no line breaks or blanks), to out. False, out as before,
 * for anything else or when memory runs out. */
bool rpc_base64_decode(const char *text, size_t len, struct buf *out);

/* The bytes an argument names, appended to out: an absolute path (the
 * file, read whole) or the bytes themselves in base64. *size is their
 * count; more than max sets *too_big (out then holds nothing useful). False
 * with -8 for anything else: "path_or_base64: neither base64 nor an
 * absolute path ..." or "cannot read <path>: <why>". */
bool rpc_path_or_base64(struct rpc_request *req, const char *src, size_t max, struct buf *out,
                        bool *too_big, uint64_t *size);

#endif
