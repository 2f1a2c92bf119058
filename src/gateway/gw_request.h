/* gw_request: reading what a browser sends to the gateway's API — the
 * JSON object body with its string fields, and the Content-Type that
 * every POST must carry.
 *
 * Requiring "application/json" is part of the CSRF defence: a page of
 * another site can make a browser send a form or plain text to the
 * gateway without asking, but not JSON, so sign-up and login (which carry
 * no CSRF header, having no session yet) cannot be forged either. Pure;
 * thread-safe. */
#ifndef SOUK_GATEWAY_GW_REQUEST_H
#define SOUK_GATEWAY_GW_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#define GW_REQUEST_MAX_FIELDS 4

/* Whether a Content-Type value is application/json (any case, parameters
 * such as "; charset=utf-8" allowed). NULL is not. */
bool gw_request_is_json(const char *content_type);

/* Parses body as one JSON object and finds the string member of each
 * name (n <= GW_REQUEST_MAX_FIELDS). On success *root holds the parsed
 * object (the caller json_decrefs it; vals point into it) and lens the
 * byte lengths (a string may hold a NUL). False, with *root NULL, when
 * the body is no object or a field is missing or not a string. */
bool gw_request_strings(const char *body, size_t len, const char *const *names, size_t n,
                        json_t **root, const char **vals, size_t *lens);

#endif
