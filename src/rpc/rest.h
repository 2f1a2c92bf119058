/* rest: the read-only REST interface (-rest), bitcoind's in spirit.
 *
 * GET /rest/<resource>/<id>.<format> on the RPC port, without credentials,
 * answers what the matching RPC method answers: each resource is one row
 * of a table naming the method, the id's kind and the parameters after it,
 * and the request runs that method through the node's method table
 * (rpc_call), so a REST object and its RPC object are the same code. A
 * plugin's objects (listing, order, review) come from the plugin's own
 * methods the same way: this module knows their names, never the plugin.
 *
 * Answers: 200 with the object; 400 for an id that is not of its kind
 * (not 64 hex digits, not an address of this network); 404 for an unknown
 * resource, an unknown object or a format the resource does not serve
 * (bitcoind's "output format not found"); 405 for another method than GET;
 * 503 while the node starts. Errors are text/plain, one line.
 *
 * A resource served as something other than JSON (listing media: its own
 * content type, raw bytes) is a row whose format has its own reply
 * function, turning the method's JSON result into the bytes and the
 * content type to send (struct rest_format).
 *
 * Handlers run on HTTP worker threads. Owns nothing. */
#ifndef SOUK_RPC_REST_H
#define SOUK_RPC_REST_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct http_req;
struct node_ctx;

enum rest_id {
    REST_ID_HASH,     /* 64 hex digits: a block, tx, listing, order, review */
    REST_ID_ADDRESS,  /* an address of the node's network */
};

/* Sends the reply for a method's result (borrowed). */
typedef void (*rest_reply_fn)(struct http_req *r, const json_t *result);

struct rest_format {
    const char *ext;  /* "json": /rest/<resource>/<id>.json */
    rest_reply_fn reply;
};

#define REST_MAX_FORMATS 2

struct rest_resource {
    const char *name;    /* path segment: /rest/<name>/ */
    enum rest_id id;
    const char *method;  /* RPC method called with [id, params...] */
    const char *params;  /* JSON array text of the parameters after the id, or NULL */
    struct rest_format formats[REST_MAX_FORMATS]; /* ends at the first without ext */
};

/* Longest id looked at: an address or a hash fits. */
#define REST_SEGMENT_MAX 160

/* What a REST path names. */
struct rest_target {
    const struct rest_resource *res;
    const struct rest_format *fmt;
    char id[REST_SEGMENT_MAX + 1]; /* hex ids in lower case */
};

/* Reads path, the request path after "/rest/" (it ends at '?', '#' or the
 * NUL), for a node whose addresses start with hrp: 0 and *t when it names
 * a resource, a valid id of its kind and a format the resource serves;
 * else the HTTP status (404 unknown resource or format, 400 bad id) and
 * the message for the client in err. Pure: the id is not looked up. */
int rest_parse_path(const char *path, const char *hrp, struct rest_target *t, char *err,
                    size_t errlen);

/* The JSON reply: the result as the RPC prints it (amounts as numbers with
 * eight decimals), application/json. */
void rest_reply_json(struct http_req *r, const json_t *result);

/* An error: status, and the message as one text/plain line (for a
 * format's reply function that cannot use the result). */
void rest_reply_error(struct http_req *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The route's handler (arg: the struct node_ctx). */
void rest_handle(struct http_req *r, void *arg);

/* The resources served, for docs and tests. */
const struct rest_resource *rest_resources(size_t *n);

#endif
