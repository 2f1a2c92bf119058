/* rpc_wallet: the wallet's JSON-RPC methods for managing wallets, keys,
 * balances, encryption, backups and messages (createwallet, getnewaddress,
 * encryptwallet, ...; rpc_wallet_tx has sending and history), and the
 * choice of the wallet a call is for, which plugin RPC methods that sign
 * with the wallet use too.
 *
 * As in bitcoind, a call reaches a wallet through its URI: POST
 * /wallet/<name> picks that loaded wallet; POST / picks the only loaded
 * wallet and is refused when none (-18) or several (-19) are loaded.
 * Handlers turn the wallet's error codes into bitcoind's RPC codes
 * (rpc_wallet_code) and never hold the node's chain lock: the wallet
 * takes it itself. Owns nothing beyond its static method table. */
#ifndef SOUK_WALLET_RPC_WALLET_H
#define SOUK_WALLET_RPC_WALLET_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wallet/wallet.h"

struct rpc_request;
struct rpc_table;

/* Registers every wallet method (rpc_wallet_tx's too). */
bool rpc_wallet_register(struct rpc_table *t, char *err, size_t errlen);

/* ---- for handlers that act through a wallet ---- */

/* The wallet the request is for: the loaded wallet its /wallet/<name> URI
 * names, else the only loaded one. NULL with the RPC error set: -18 (not
 * loaded, or none loaded), -19 (several loaded and no path), -32601 (the
 * node runs with -disablewallet). The request holds a reference to it
 * until the handler returns (the dispatcher gives it back through the
 * request's release hook), so it stays valid for the whole call even if
 * another thread unloads it (calls on it then fail with -18); it must not
 * be kept past the call. A second lookup in the same call returns the same
 * wallet. */
struct wallet *rpc_wallet_from_request(struct rpc_request *req);
/* Sets the RPC error for a wallet error (code from rpc_wallet_code; the
 * bitcoind message for -13/-14; detail, if not NULL or empty, as the
 * message otherwise) and returns false. */
bool rpc_wallet_fail(struct rpc_request *req, enum wallet_err e, const char *detail);

/* ---- pure helpers ---- */

/* Where a request URI points. */
enum rpc_wallet_uri {
    RPC_WALLET_URI_NONE,    /* no /wallet/ path: the default wallet */
    RPC_WALLET_URI_NAME,    /* /wallet/<name>: name written out */
    RPC_WALLET_URI_INVALID, /* /wallet/ with an empty, undecodable or over-long name */
};
/* Reads the wallet name from a request URI ("/wallet/alice%20b?x" gives
 * "alice b"); the query and fragment are ignored. name has
 * WALLET_NAME_MAX + 1 bytes and is written only for RPC_WALLET_URI_NAME. */
enum rpc_wallet_uri rpc_wallet_name_from_uri(const char *uri, char name[WALLET_NAME_MAX + 1]);

/* The bitcoind RPC error code for a wallet error (WALLET_OK gives 0). */
int rpc_wallet_code(enum wallet_err err);

/* A message signature as text: base64 of the 64 bytes (88 characters). */
#define RPC_WALLET_SIG_TEXT_LEN 88
void rpc_wallet_sig_encode(const uint8_t sig[64], char out[RPC_WALLET_SIG_TEXT_LEN + 1]);
/* Accepts the base64 form (88 characters, "==" padding) or 128 hex digits.
 * False (sig untouched) for anything else. */
bool rpc_wallet_sig_decode(const char *text, uint8_t sig[64]);

#endif
