/* server: JSON-RPC method tables and request dispatch.
 *
 * Areas describe their methods in static tables of struct rpc_method (name,
 * handler, argument names and types, help) and add them to the node's
 * struct rpc_table with rpc_register_table(). rpc_dispatch() turns an HTTP
 * body into an HTTP status and reply body: JSON-RPC 1.0 in bitcoind's style
 * (result, error and id always present; an error gives HTTP 500, 404 for
 * an unknown method, 400 for an invalid request), JSON-RPC 2.0 (answered in
 * 2.0 form with HTTP 200; notifications run but get no reply, HTTP 204 when
 * nothing is left to say) and batches (always HTTP 200 unless all entries
 * are notifications). Named parameters are mapped to positions through the
 * table's argument names, and each present argument's JSON type is checked
 * before the handler runs, so handlers only read.
 *
 * Amounts: bitcoind shows amounts as numbers with exactly eight decimals
 * (1.5 coins is 1.50000000), which jansson cannot print. rpc_amount_json()
 * therefore returns a string value carrying a private marker, and
 * rpc_json_dumps() (which rpc_dispatch uses) rewrites every such marked
 * string into a bare number. The marker holds a random per-process tag, so
 * text from users (a listing title, say) can never be mistaken for it. A
 * value from rpc_amount_json is only meaningful in output produced by
 * rpc_json_dumps.
 *
 * Owns the table's index (not the static method descriptions) and, while a
 * call runs, its entry in the list of active commands (for getrpcinfo). */
#ifndef SOUK_RPC_SERVER_H
#define SOUK_RPC_SERVER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/amount.h"
#include "util/buf.h"

struct node_ctx;

/* The error codes (bitcoind's numbers; doc/rpc.md lists them). */
enum rpc_code {
    RPC_PARSE_ERROR = -32700,
    RPC_INVALID_REQUEST = -32600,
    RPC_METHOD_NOT_FOUND = -32601,
    RPC_INVALID_PARAMS = -32602,
    RPC_INTERNAL_ERROR = -32603,
    RPC_MISC_ERROR = -1,
    RPC_TYPE_ERROR = -3,
    RPC_WALLET_ERROR = -4,
    RPC_INVALID_ADDRESS_OR_KEY = -5,
    RPC_WALLET_INSUFFICIENT_FUNDS = -6,
    RPC_INVALID_PARAMETER = -8,
    RPC_WALLET_UNLOCK_NEEDED = -13,
    RPC_WALLET_PASSPHRASE_INCORRECT = -14,
    RPC_WALLET_WRONG_ENC_STATE = -15, /* walletlock etc. on an unencrypted wallet, and back */
    RPC_WALLET_NOT_FOUND = -18,
    RPC_WALLET_NOT_SPECIFIED = -19,   /* several wallets loaded and no /wallet/<name> */
    RPC_DESERIALIZATION_ERROR = -22, /* raw hex that does not decode */
    RPC_VERIFY_ERROR = -25,
    RPC_VERIFY_REJECTED = -26,
    RPC_VERIFY_ALREADY_IN_CHAIN = -27,
    RPC_IN_WARMUP = -28,
    /* P2P methods. */
    RPC_CLIENT_NODE_ALREADY_ADDED = -23, /* addnode add twice; setban of a banned subnet */
    RPC_CLIENT_NODE_NOT_ADDED = -24,     /* addnode remove of a node never added */
    RPC_CLIENT_NODE_NOT_CONNECTED = -29, /* disconnectnode of no connected peer */
    RPC_CLIENT_INVALID_IP_OR_SUBNET = -30,
    RPC_CLIENT_P2P_DISABLED = -31,       /* the node runs without P2P */
};

/* What the dispatcher checks a present, non-null argument against. */
enum rpc_arg_type {
    RPC_ARG_STR,    /* JSON string */
    RPC_ARG_INT,    /* JSON integer */
    RPC_ARG_NUM,    /* JSON integer or real */
    RPC_ARG_BOOL,   /* true/false */
    RPC_ARG_AMOUNT, /* number or string of coins, <= 8 decimals */
    RPC_ARG_HEX,    /* string of hex digits, even length */
    RPC_ARG_HASH,   /* string of 64 hex digits */
    RPC_ARG_OBJ,    /* JSON object */
    RPC_ARG_ARR,    /* JSON array */
    RPC_ARG_ANY,    /* anything: the handler checks */
};

/* Whether v (present and not null) is of a JSON type the dispatcher
 * accepts for an argument of type t; a value check (hex digits, an amount's
 * decimals, a range) is the handler's. */
bool rpc_arg_type_matches(enum rpc_arg_type t, const json_t *v);

#define RPC_MAX_ARGS 12

struct rpc_arg {
    const char *name;   /* also the named-parameter key */
    enum rpc_arg_type type;
    bool optional;
    const char *help;   /* one line; say the default here */
};

struct rpc_request;

/* Runs on an HTTP worker thread. On success returns true and stores a new
 * reference in *result (NULL means JSON null). On failure sets the error
 * through rpc_error() (or a param helper) and returns false; *result must
 * then be left NULL. */
typedef bool (*rpc_handler_fn)(struct rpc_request *req, json_t **result);

struct rpc_method {
    const char *category; /* help heading, e.g. "blockchain", "control" */
    const char *name;
    rpc_handler_fn handler;
    const char *summary;  /* one line */
    const char *help;     /* longer text (result, examples); may be NULL */
    struct rpc_arg args[RPC_MAX_ARGS]; /* ends at the first entry without a name */
};

#define RPC_MAX_ON_LOOP 8

struct rpc_table {
    const struct rpc_method **methods; /* sorted by name; entries borrowed */
    size_t n;
    size_t cap;
    const char *on_loop[RPC_MAX_ON_LOOP]; /* see rpc_table_run_on_loop */
    size_t n_on_loop;
};

struct rpc_request {
    struct node_ctx *node;         /* NULL in unit tests */
    const struct rpc_table *table;
    const struct rpc_method *method;
    json_t *params;                /* positional array after named mapping; borrowed */
    const char *uri;               /* e.g. "/" or "/wallet/alice" */
    const char *user;              /* authenticated RPC user */
    int err_code;                  /* set by rpc_error */
    char *err_msg;                 /* heap, owned by the request */
    /* Something a handler's helper took for the rest of the call (the
     * wallet's reference: rpc_wallet_from_request) and that must be given
     * back whatever way the handler returns: the dispatcher calls
     * release(req) once the handler has returned, then clears both. One
     * holder per request: a helper that finds release set by itself reuses
     * what it holds. */
    void (*release)(struct rpc_request *req);
    void *held;
};

void rpc_table_init(struct rpc_table *t);
void rpc_table_clear(struct rpc_table *t);
/* Adds n methods (the array must outlive the table). Refuses (nothing
 * added) a duplicate name, a method without a name or handler, or more
 * than RPC_MAX_ARGS - 1 arguments. */
bool rpc_register_table(struct rpc_table *t, const struct rpc_method *methods, size_t n,
                        char *err, size_t errlen);
const struct rpc_method *rpc_table_find(const struct rpc_table *t, const char *name);
/* Marks a registered method as one that never blocks (no chain lock, no
 * I/O: it answers from snapshots), so that a request for it alone may run
 * on the event loop thread itself (rpc_dispatch_on_loop), saving the
 * hand-off to a worker and back. At most RPC_MAX_ON_LOOP methods. */
bool rpc_table_run_on_loop(struct rpc_table *t, const char *name, char *err, size_t errlen);
bool rpc_method_runs_on_loop(const struct rpc_table *t, const char *name);

/* ---- dispatch ---- */

/* Makes jansson wipe every block it frees (OPENSSL_cleanse), so that the
 * strings of a parsed request (passphrases, keys) and the lexer's buffers
 * do not outlive the request in freed memory. Process-wide; call it before
 * other threads use jansson (rpc_service_start does). */
void rpc_secure_alloc_init(void);
/* Whether rpc_secure_alloc_init has run (for tests). */
bool rpc_secure_alloc_active(void);

struct rpc_reply {
    int status;  /* HTTP status */
    /* heap; wiped and freed by rpc_reply_clear (replies can carry keys) */
    char *body;  /* heap, NUL-terminated; NULL when there is no body (204) */
    size_t len;
};
void rpc_reply_clear(struct rpc_reply *r);

/* Once the replies of a batch add up to this many bytes, the requests left
 * are answered with -32603 instead of being run. */
#define RPC_MAX_BATCH_REPLY ((size_t)256 << 20)
/* Changes that limit (tests). Not synchronised: set it before serving. */
void rpc_set_batch_reply_limit(size_t bytes);

/* Handles one HTTP request body. Always produces a reply (false only when
 * memory ran out, with a 500 and no body). */
bool rpc_dispatch(const struct rpc_table *t, struct node_ctx *node, const char *uri,
                  const char *user, const char *body, size_t len, struct rpc_reply *out);
/* As rpc_dispatch, but only for a body (NUL-terminated) that is one
 * request object (no batch) of an on_loop method, and not too big to parse
 * on the loop; returns false, having done nothing, for anything else. */
bool rpc_dispatch_on_loop(const struct rpc_table *t, struct node_ctx *node, const char *uri,
                          const char *user, const char *body, size_t len, struct rpc_reply *out);
/* Bodies longer than this always go to a worker. */
#define RPC_ON_LOOP_MAX_BODY 1024
/* Runs one method directly with positional params (for tests and internal
 * callers). Returns true with *result, or false with *code and *msg set
 * (caller frees *msg). */
bool rpc_call(const struct rpc_table *t, struct node_ctx *node, const char *uri,
              const char *method, json_t *params, json_t **result, int *code, char **msg);

/* ---- helpers for handlers ---- */

/* Sets the request's error (first one wins) and returns false, so a handler
 * can `return rpc_error(req, RPC_INVALID_PARAMETER, "...")`. The message is
 * passed through rpc_utf8_sanitize. */
bool rpc_error(struct rpc_request *req, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* -32603 "out of memory"; returns false. */
bool rpc_nomem(struct rpc_request *req);

/* Building a result. jansson's *_new calls take a reference even when they
 * fail, so each of these takes v's reference whatever happens: a handler
 * never frees what it passed in. */
/* Stores v as the result; a NULL v (its allocation failed) is -32603. */
bool rpc_done(struct rpc_request *req, json_t **result, json_t *v);
/* As rpc_done when ok; otherwise drops v (say, an object half filled) and
 * reports -32603. */
bool rpc_done_if(struct rpc_request *req, json_t **result, json_t *v, bool ok);
/* The end of a function that builds an object with a chain of rpc_put:
 * o when ok, else NULL (o dropped). */
json_t *rpc_built(json_t *o, bool ok);
/* obj[key] = v; false when v is NULL or the set fails. */
bool rpc_put(json_t *obj, const char *key, json_t *v);
/* Appends v to arr when ok, else drops v; false unless v was appended. */
bool rpc_append(json_t *arr, json_t *v, bool ok);

/* Replaces, in place, each byte of s that is not part of a valid UTF-8
 * character with '?': user text cut to a byte count ("%.80s") may end
 * inside a character, and jansson refuses such a string. */
void rpc_utf8_sanitize(char *s);

/* The argument's name from the table ("param #i" past the table). */
const char *rpc_param_name(const struct rpc_request *req, size_t i);
/* The i-th argument, or NULL when absent or JSON null. */
const json_t *rpc_param(const struct rpc_request *req, size_t i);
/* Each getter writes def when the argument is absent or null and it is
 * optional; a missing required argument is -32602, a wrong type -3, a bad
 * value -8, each message naming the argument. On error *out is untouched. */
bool rpc_param_str(struct rpc_request *req, size_t i, const char *def, const char **out);
/* A string argument that must be there even where the method table says
 * nothing about it (-32602 naming it). */
bool rpc_param_str_required(struct rpc_request *req, size_t i, const char **out);
bool rpc_param_int(struct rpc_request *req, size_t i, int64_t def, int64_t min, int64_t max,
                   int64_t *out);
bool rpc_param_bool(struct rpc_request *req, size_t i, bool def, bool *out);
bool rpc_param_amount(struct rpc_request *req, size_t i, amount_t def, amount_t *out);
/* Required: 64 hex digits, byte order as shown (nothing reversed). */
bool rpc_param_hash(struct rpc_request *req, size_t i, uint8_t out[32]);
/* Required: hex of any even length, appended to out. */
bool rpc_param_hex(struct rpc_request *req, size_t i, struct buf *out);

/* Parses an amount from a JSON number or string (<= 8 decimals, 0 <= a <=
 * AMOUNT_MAX). A number with more than 8 decimals is refused, as are
 * exponents in strings; numbers beyond 2^53 base units lose precision in
 * JSON itself, so send large amounts as strings. */
bool rpc_amount_from_json(const json_t *v, amount_t *out);

/* New references for results. */
json_t *rpc_amount_json(amount_t a);
/* The same for a signed amount (negative for what leaves a wallet). */
json_t *rpc_signed_amount_json(int64_t v);
/* A non-negative decimal with exactly `places` (0-8) digits after the
 * point, v / 10^places, printed as a bare number the way amounts are
 * (433 with 2 places is 4.33): an average shown to the hundredth without
 * the binary noise of a double. */
json_t *rpc_fixed_json(uint64_t v, unsigned places);
json_t *rpc_hex_json(const uint8_t *data, size_t len);

/* Dumps compact JSON (flags as for json_dumps; JSON_ENCODE_ANY is added)
 * with amounts rewritten; caller frees. NULL on allocation failure. */
char *rpc_json_dumps(const json_t *v, size_t flags);

/* ---- help ---- */

/* "getblock \"blockhash\" ( verbosity )". */
bool rpc_method_usage(const struct rpc_method *m, struct buf *out);
/* The full help of one method (usage, summary, arguments, help text). */
bool rpc_method_help(const struct rpc_method *m, struct buf *out);
/* Every method's usage, grouped under "== Category ==" headings. */
bool rpc_table_help(const struct rpc_table *t, struct buf *out);

/* ---- schema (getrpcschema) ---- */

/* The type's name in getrpcschema: "string", "int", "number", "bool",
 * "amount", "hex", "hash", "object", "array" or "any". Clients rely on
 * these names, so they do not change; a new type gets a new name. */
const char *rpc_arg_type_schema_name(enum rpc_arg_type t);
/* The inverse, for clients reading a schema; false for a name it does not
 * know (a newer server's type). */
bool rpc_arg_type_from_schema_name(const char *name, enum rpc_arg_type *out);
/* [{"name": ..., "type": ..., "optional": ...}, ...] for m's arguments in
 * order (new reference; NULL when memory ran out). */
json_t *rpc_method_schema_json(const struct rpc_method *m);

/* ---- warm-up ---- */

/* While the node starts (loading the block index, reindexing, ...) every
 * method except help, getrpcschema, uptime, stop and getrpcinfo answers -28
 * with the status as its message, as bitcoind does; clients retry
 * (souk-cli -rpcwait, which asks getrpcschema first). Process-wide and
 * thread-safe; a process starts out of warm-up. */
/* Enters warm-up, or changes its message while in it. */
void rpc_warmup_set_status(const char *status);
/* Leaves warm-up: every method runs from now on. */
void rpc_warmup_finish(void);
/* True while in warm-up, with the status copied to out (may be NULL). */
bool rpc_warmup_get(char *out, size_t outlen);

/* ---- active commands (getrpcinfo) ---- */

/* Appends {"method", "duration" (microseconds)} for each running call. */
bool rpc_active_commands(json_t *arr);

#endif
