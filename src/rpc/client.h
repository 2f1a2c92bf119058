/* client: turning the text arguments of a command line into JSON-RPC
 * parameters by the types the server declares for them (getrpcschema).
 *
 * bitcoin-cli converts by a table compiled into the client; souk-cli asks
 * the server instead, so a plugin's methods convert correctly without the
 * client knowing them. The rule is that an argument declared as a string
 * is sent as a string even when it reads as JSON (a wallet named 2024, a
 * message "true"), and one declared as a number, boolean, object or array
 * must parse as that, or the client refuses it before sending anything.
 *
 * Stateless and thread-safe; schemas are borrowed jansson values. */
#ifndef SOUK_RPC_CLIENT_H
#define SOUK_RPC_CLIENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "rpc/server.h"

/* The type that schema (one method's array from getrpcschema) declares for
 * the argument at position pos, or, when name is not NULL, for the
 * argument called name. *arg_name (if arg_name is not NULL) gets the
 * argument's name from the schema, borrowed from it, or NULL. RPC_ARG_ANY
 * when schema is NULL, has no such argument, or gives a type name this
 * client does not know (a newer server's). */
enum rpc_arg_type rpc_client_arg_type(const json_t *schema, size_t pos, const char *name,
                                      const char **arg_name);

/* Converts one argument's text to the value to send for an argument of
 * type t:
 *  - string, hex, hash: always a JSON string, never parsed;
 *  - int, number, bool, object, array: parsed as JSON, and it must be of
 *    that JSON type or null (which the server takes as "not given");
 *  - amount: a JSON number when text is a plain decimal (digits, maybe a
 *    point and more digits) of at most 15 significant digits, which a
 *    double carries exactly; null as null; anything else as a string,
 *    which the server parses exactly (or refuses);
 *  - any: JSON when it parses, else a string.
 * Returns true with a new reference in *out. Returns false with a message
 * in err (what was expected and what was given) when the text does not fit
 * the type, is not UTF-8, or memory runs out; *out is then NULL. */
bool rpc_client_arg_json(enum rpc_arg_type t, const char *text, json_t **out, char *err,
                         size_t errlen);

/* A reply's result as souk-cli prints it: JSON indented by 2, amounts with
 * exactly 8 decimals (50.00000000, -0.00000148) as the server wrote them,
 * other numbers as they are. NULL on allocation failure; caller frees. */
char *rpc_client_format_result(const json_t *result);

#endif
