#define _POSIX_C_SOURCE 200809L
#include "wallet/rpc_wallet.h"
#include "wallet/rpc_wallet_chat.h"
#include "wallet/rpc_wallet_tx.h"

#include <ctype.h>
#include <event2/http.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consensus/chainparams.h"
#include "consensus/serialize.h"
#include "crypto/address.h"
#include "crypto/key.h"
#include "node/node.h"
#include "rpc/rpcutil.h"
#include "rpc/server.h"
#include "util/hex.h"

/* walletpassphrase's longest unlock, as bitcoind (about three years). */
#define UNLOCK_MAX_SECONDS 100000000

/* ------------------------------------------------------------ pure helpers */

enum rpc_wallet_uri rpc_wallet_name_from_uri(const char *uri, char name[WALLET_NAME_MAX + 1])
{
    static const char prefix[] = "/wallet/";
    const size_t pl = sizeof prefix - 1;
    if (uri == NULL)
        return RPC_WALLET_URI_NONE;
    size_t len = strcspn(uri, "?#");
    if (len < pl || strncmp(uri, prefix, pl) != 0)
        return RPC_WALLET_URI_NONE;
    char raw[3 * WALLET_NAME_MAX + 1];
    size_t enc_len = len - pl;
    if (enc_len == 0 || enc_len >= sizeof raw)
        return RPC_WALLET_URI_INVALID;
    memcpy(raw, uri + pl, enc_len);
    raw[enc_len] = '\0';
    size_t dec_len = 0;
    char *dec = evhttp_uridecode(raw, 0, &dec_len);
    if (dec == NULL)
        return RPC_WALLET_URI_INVALID;
    /* A %00 would cut the name short and address another wallet. */
    bool ok = dec_len > 0 && dec_len <= WALLET_NAME_MAX && strlen(dec) == dec_len;
    if (ok)
        memcpy(name, dec, dec_len + 1);
    free(dec);
    return ok ? RPC_WALLET_URI_NAME : RPC_WALLET_URI_INVALID;
}

int rpc_wallet_code(enum wallet_err err)
{
    switch (err) {
    case WALLET_OK:
        return 0;
    case WALLET_ERR_NOT_FOUND:
        return RPC_WALLET_NOT_FOUND;
    case WALLET_ERR_LOCKED:
        return RPC_WALLET_UNLOCK_NEEDED;
    case WALLET_ERR_PASSPHRASE:
        return RPC_WALLET_PASSPHRASE_INCORRECT;
    case WALLET_ERR_NOT_ENCRYPTED:
    case WALLET_ERR_ALREADY_ENCRYPTED:
        return RPC_WALLET_WRONG_ENC_STATE;
    case WALLET_ERR_BAD_NAME:
    case WALLET_ERR_BAD_PASSPHRASE:
    case WALLET_ERR_BAD_PARAMETER:
    case WALLET_ERR_UNREADABLE:
        return RPC_INVALID_PARAMETER;
    case WALLET_ERR_INVALID_ADDRESS:
        return RPC_INVALID_ADDRESS_OR_KEY;
    case WALLET_ERR_INVALID_AMOUNT:
        return RPC_TYPE_ERROR;
    case WALLET_ERR_INSUFFICIENT_FUNDS:
        return RPC_WALLET_INSUFFICIENT_FUNDS;
    case WALLET_ERR_REJECTED:
        return RPC_VERIFY_REJECTED;
    case WALLET_ERR_NOMEM:
        return RPC_INTERNAL_ERROR;
    case WALLET_ERR_EXISTS:
    case WALLET_ERR_NOT_MINE:
    case WALLET_ERR_DB:
    case WALLET_ERR_CORRUPT:
    case WALLET_ERR_COUNT_:
        break;
    }
    return RPC_WALLET_ERROR;
}

void rpc_wallet_sig_encode(const uint8_t sig[64], char out[RPC_WALLET_SIG_TEXT_LEN + 1])
{
    EVP_EncodeBlock((unsigned char *)out, sig, 64);
}

static bool is_base64_char(char c)
{
    return isalnum((unsigned char)c) || c == '+' || c == '/';
}

bool rpc_wallet_sig_decode(const char *text, uint8_t sig[64])
{
    size_t len = strlen(text);
    if (len == 128) {
        uint8_t tmp[64];
        if (!hex_decode_exact(text, tmp, sizeof tmp))
            return false; /* it may have written part of tmp: sig stays as it was */
        memcpy(sig, tmp, sizeof tmp);
        return true;
    }
    if (len != RPC_WALLET_SIG_TEXT_LEN || text[86] != '=' || text[87] != '=')
        return false;
    for (size_t i = 0; i < 86; i++)
        if (!is_base64_char(text[i]))
            return false;
    /* 64 bytes leave 4 spare bits in the last character; a canonical
     * encoding has them zero, so each signature has one text form. */
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const char *last = strchr(alphabet, text[85]);
    if (last == NULL || ((last - alphabet) & 0x0f) != 0)
        return false;
    /* EVP_DecodeBlock counts the padding as zero bytes: 88 chars give 66. */
    uint8_t tmp[66];
    int n = EVP_DecodeBlock(tmp, (const unsigned char *)text, (int)len);
    if (n != 66)
        return false;
    memcpy(sig, tmp, 64);
    return true;
}

/* ------------------------------------------------------------ handler helpers */

/* The node's wallet manager; NULL when the node runs without wallets. */
static struct walletman *node_walletman(struct rpc_request *req)
{
    return req->node != NULL ? (struct walletman *)req->node->wallet : NULL;
}

static struct walletman *need_walletman(struct rpc_request *req)
{
    struct walletman *wm = node_walletman(req);
    if (wm == NULL)
        rpc_error(req, RPC_METHOD_NOT_FOUND,
                  "Method not found (wallet is disabled: soukd runs with -disablewallet)");
    return wm;
}

static const char *const msg_not_loaded = "Requested wallet does not exist or is not loaded";

/* The wallet the request is for: /wallet/<name>, else the only one loaded. */
/* The wallet a call is for, caught up with the chain as of the call. */
static struct wallet *rpc_wallet_synced(struct rpc_request *req, struct wallet *w)
{
    char err[200];
    if (w != NULL && wallet_sync(w, err, sizeof err) != WALLET_OK) {
        rpc_error(req, RPC_WALLET_ERROR, "Wallet not caught up with the chain: %s", err);
        return NULL;
    }
    return w;
}

static struct wallet *rpc_wallet_lookup(struct rpc_request *req);

struct wallet *rpc_wallet_from_request(struct rpc_request *req)
{
    return rpc_wallet_synced(req, rpc_wallet_lookup(req));
}

/* The request's hook (server.h): gives back the wallet it held. */
static void rpc_wallet_release(struct rpc_request *req)
{
    walletman_put(node_walletman(req), req->held);
}

/* The request holds w (a reference, may be NULL) until its handler has
 * returned. */
static struct wallet *rpc_wallet_hold(struct rpc_request *req, struct wallet *w)
{
    if (w != NULL) {
        req->release = rpc_wallet_release;
        req->held = w;
    }
    return w;
}

static struct wallet *rpc_wallet_lookup(struct rpc_request *req)
{
    struct walletman *wm = need_walletman(req);
    if (wm == NULL)
        return NULL;
    /* Looked up before in this call: the same wallet, the same reference
     * (the first pointer may still be in use by the handler). */
    if (req->release == rpc_wallet_release)
        return req->held;
    char name[WALLET_NAME_MAX + 1];
    struct wallet *w = NULL;
    switch (rpc_wallet_name_from_uri(req->uri, name)) {
    case RPC_WALLET_URI_NAME:
        w = rpc_wallet_hold(req, walletman_get(wm, name));
        if (w == NULL && walletman_on_disk(wm, name))
            rpc_error(req, RPC_WALLET_NOT_FOUND,
                      "%s: wallet \"%s\" exists but is not loaded; load it with loadwallet \"%s\"",
                      msg_not_loaded, name, name);
        else if (w == NULL)
            rpc_error(req, RPC_WALLET_NOT_FOUND,
                      "%s: there is no wallet \"%s\" (createwallet \"%s\" creates it)",
                      msg_not_loaded, name, name);
        return w;
    case RPC_WALLET_URI_INVALID:
        rpc_error(req, RPC_WALLET_NOT_FOUND, "%s", msg_not_loaded);
        return NULL;
    case RPC_WALLET_URI_NONE:
        break;
    }
    w = rpc_wallet_hold(req, walletman_get(wm, NULL));
    if (w != NULL)
        return w;
    char names[2][WALLET_NAME_MAX + 1];
    if (walletman_list(wm, names, 2) == 0)
        rpc_error(req, RPC_WALLET_NOT_FOUND,
                  "No wallet is loaded. Load a wallet using loadwallet or create a new one with "
                  "createwallet.");
    else
        rpc_error(req, RPC_WALLET_NOT_SPECIFIED,
                  "Wallet file not specified (must request wallet RPC through "
                  "/wallet/<filename> uri-path).");
    return NULL;
}

/* Sets the RPC error for a wallet error; detail (may be NULL or empty)
 * replaces the generic text. */
bool rpc_wallet_fail(struct rpc_request *req, enum wallet_err e, const char *detail)
{
    int code = rpc_wallet_code(e);
    switch (e) {
    case WALLET_ERR_LOCKED:
        return rpc_error(req, code,
                         "Error: Please enter the wallet passphrase with walletpassphrase first.");
    case WALLET_ERR_PASSPHRASE:
        return rpc_error(req, code, "Error: The wallet passphrase entered was incorrect.");
    case WALLET_ERR_INSUFFICIENT_FUNDS:
        if (detail == NULL || detail[0] == '\0')
            return rpc_error(req, code, "Insufficient funds");
        return rpc_error(req, code, "Insufficient funds: %s", detail);
    default:
        break;
    }
    if (detail != NULL && detail[0] != '\0')
        return rpc_error(req, code, "%s", detail);
    return rpc_error(req, code, "%s", wallet_strerror(e));
}

static bool check_label(struct rpc_request *req, const char *label)
{
    if (label == NULL)
        return true;
    if (strlen(label) > WALLET_LABEL_MAX)
        return rpc_error(req, RPC_INVALID_PARAMETER, "label: at most %d bytes", WALLET_LABEL_MAX);
    if (strcmp(label, "*") == 0)
        return rpc_error(req, RPC_INVALID_PARAMETER, "Invalid label name: \"*\" means every label");
    return true;
}

static bool check_passphrase(struct rpc_request *req, const char *pass, const char *what)
{
    if (pass[0] == '\0')
        return rpc_error(req, RPC_INVALID_PARAMETER, "%s cannot be empty", what);
    return true;
}

/* ------------------------------------------------------------ wallet management */

static bool rpc_createwallet_run(struct rpc_request *req, json_t **result)
{
    struct walletman *wm = need_walletman(req);
    const char *name, *pass, *seed_hex, *words;
    if (wm == NULL || !rpc_param_str_required(req, 0, &name) ||
        !rpc_param_str(req, 1, NULL, &pass) || !rpc_param_str(req, 2, NULL, &seed_hex) ||
        !rpc_param_str(req, 3, NULL, &words))
        return false;
    /* "" stands for "not given", so souk-cli can reach the seed and the
     * mnemonic by position: an empty passphrase before one of them is that
     * placeholder, not a choice to warn about (bitcoind warns when it is
     * the last argument). */
    const char *warning = "";
    bool restoring = (seed_hex != NULL && seed_hex[0] != '\0') || (words != NULL && words[0] != '\0');
    if (pass != NULL && pass[0] == '\0') {
        pass = NULL;
        if (!restoring)
            warning = "Empty string given as passphrase, wallet will not be encrypted.";
    }
    if (seed_hex != NULL && seed_hex[0] == '\0')
        seed_hex = NULL;
    if (words != NULL && words[0] == '\0')
        words = NULL;
    if (seed_hex != NULL && words != NULL)
        return rpc_error(req, RPC_INVALID_PARAMETER,
                         "give the seed or the mnemonic, not both");
    uint8_t seed[32];
    if (seed_hex != NULL && (strlen(seed_hex) != 64 || !hex_decode_exact(seed_hex, seed, 32))) {
        OPENSSL_cleanse(seed, sizeof seed); /* a failed decode may have written part of it */
        return rpc_error(req, RPC_INVALID_PARAMETER, "seed: expected 64 hex digits");
    }
    if (words != NULL) {
        size_t bad = 0;
        enum walletmnemonic_err me = walletmnemonic_to_seed(words, seed, &bad);
        /* The message names a wrong word by its position, never the word. */
        if (me == WALLETMNEMONIC_ERR_WORD)
            return rpc_error(req, RPC_INVALID_PARAMETER, "mnemonic: word %zu is not in the "
                                                         "BIP39 English list", bad);
        if (me != WALLETMNEMONIC_OK)
            return rpc_error(req, RPC_INVALID_PARAMETER, "mnemonic: %s",
                             walletmnemonic_strerror(me));
    }
    bool restore = seed_hex != NULL || words != NULL;
    char err[256] = "";
    struct wallet *w = NULL;
    enum wallet_err e = walletman_create(wm, name, pass, restore ? seed : NULL, &w, err,
                                         sizeof err);
    OPENSSL_cleanse(seed, sizeof seed);
    struct wallet *loaded = e == WALLET_ERR_EXISTS ? walletman_get(wm, name) : NULL;
    walletman_put(wm, loaded);
    if (loaded != NULL)
        return rpc_error(req, RPC_WALLET_ERROR, "Wallet \"%s\" already exists and is loaded.",
                         name);
    if (e == WALLET_ERR_EXISTS)
        return rpc_error(req, RPC_WALLET_ERROR,
                         "Wallet \"%s\" already exists; load it with loadwallet \"%s\".", name,
                         name);
    if (e != WALLET_OK)
        return rpc_wallet_fail(req, e, err);
    json_t *o = json_object();
    bool ok = o != NULL && rpc_put(o, "name", json_string(wallet_name(w))) &&
              rpc_put(o, "warning", json_string(warning));
    walletman_put(wm, w);
    return rpc_done_if(req, result, o, ok);
}

static bool rpc_loadwallet(struct rpc_request *req, json_t **result)
{
    struct walletman *wm = need_walletman(req);
    const char *name;
    if (wm == NULL || !rpc_param_str_required(req, 0, &name))
        return false;
    char err[256] = "";
    struct wallet *w = NULL;
    enum wallet_err e = walletman_load(wm, name, &w, err, sizeof err);
    if (e == WALLET_ERR_NOT_FOUND)
        return rpc_error(req, RPC_WALLET_NOT_FOUND, "Wallet \"%s\" not found.", name);
    if (e == WALLET_ERR_EXISTS)
        return rpc_error(req, RPC_WALLET_ERROR, "Wallet \"%s\" is already loaded.", name);
    if (e != WALLET_OK)
        return rpc_wallet_fail(req, e, err);
    json_t *o = json_object();
    bool ok = o != NULL && rpc_put(o, "name", json_string(wallet_name(w))) &&
              rpc_put(o, "warning", json_string(""));
    walletman_put(wm, w);
    return rpc_done_if(req, result, o, ok);
}

static bool rpc_unloadwallet(struct rpc_request *req, json_t **result)
{
    struct walletman *wm = need_walletman(req);
    const char *arg;
    if (wm == NULL || !rpc_param_str(req, 0, NULL, &arg))
        return false;
    char name[WALLET_NAME_MAX + 1];
    enum rpc_wallet_uri u = rpc_wallet_name_from_uri(req->uri, name);
    if (u == RPC_WALLET_URI_INVALID)
        return rpc_error(req, RPC_WALLET_NOT_FOUND, "%s", msg_not_loaded);
    if (u == RPC_WALLET_URI_NAME && arg != NULL && strcmp(arg, name) != 0)
        return rpc_error(req, RPC_INVALID_PARAMETER,
                         "RPC endpoint wallet and wallet_name parameter specify different wallets");
    if (arg != NULL) {
        if (strlen(arg) > WALLET_NAME_MAX)
            return rpc_error(req, RPC_WALLET_NOT_FOUND, "%s", msg_not_loaded);
        memcpy(name, arg, strlen(arg) + 1);
    } else if (u == RPC_WALLET_URI_NONE) {
        struct wallet *w = rpc_wallet_from_request(req);
        if (w == NULL)
            return false;
        snprintf(name, sizeof name, "%s", wallet_name(w));
    }
    enum wallet_err e = walletman_unload(wm, name);
    if (e == WALLET_ERR_NOT_FOUND)
        return rpc_error(req, RPC_WALLET_NOT_FOUND, "%s", msg_not_loaded);
    if (e != WALLET_OK)
        return rpc_wallet_fail(req, e, NULL);
    json_t *o = json_object();
    return rpc_done_if(req, result, o, o != NULL && rpc_put(o, "warning", json_string("")));
}

static bool rpc_listwallets(struct rpc_request *req, json_t **result)
{
    struct walletman *wm = need_walletman(req);
    if (wm == NULL)
        return false;
    size_t cap = 64, n;
    char (*names)[WALLET_NAME_MAX + 1] = NULL;
    for (;;) {
        free(names);
        names = malloc(cap * sizeof *names);
        if (names == NULL)
            return rpc_nomem(req);
        n = walletman_list(wm, names, cap);
        if (n < cap)
            break;
        cap *= 4; /* perhaps more wallets than room: ask again */
    }
    json_t *arr = json_array();
    bool ok = arr != NULL;
    for (size_t i = 0; ok && i < n; i++)
        ok = json_array_append_new(arr, json_string(names[i])) == 0;
    free(names);
    return rpc_done_if(req, result, arr, ok);
}

/* What can be spent now: the confirmed balance less what pending sends
 * take out of it (as bitcoind's "trusted" balance, which also drops as
 * soon as the wallet sends). */
static amount_t trusted_balance(const struct wallet_balances *b)
{
    return b->confirmed > b->unconfirmed_out ? b->confirmed - b->unconfirmed_out : 0;
}

static bool rpc_getwalletinfo(struct rpc_request *req, json_t **result)
{
    struct wallet *w = rpc_wallet_from_request(req);
    if (w == NULL)
        return false;
    struct wallet_info info;
    struct wallet_balances bal;
    enum wallet_err e = wallet_get_info(w, &info);
    if (e == WALLET_OK)
        e = wallet_get_balances(w, &bal);
    if (e != WALLET_OK)
        return rpc_wallet_fail(req, e, NULL);
    json_t *o = json_object();
    bool ok = o != NULL && rpc_put(o, "walletname", json_string(info.name)) &&
              rpc_put(o, "walletversion", json_integer(info.schema_version)) &&
              rpc_put(o, "format", json_string("sqlite")) &&
              rpc_put(o, "balance", rpc_amount_json(trusted_balance(&bal))) &&
              rpc_put(o, "unconfirmed_balance", rpc_amount_json(bal.unconfirmed_in)) &&
              rpc_put(o, "immature_balance", rpc_amount_json(bal.immature)) &&
              rpc_put(o, "txcount", json_integer((json_int_t)info.tx_count)) &&
              rpc_put(o, "keycount", json_integer((json_int_t)info.key_count)) &&
              rpc_put(o, "keypoolsize", json_integer((json_int_t)info.keypool_size)) &&
              rpc_put(o, "next_index", json_integer((json_int_t)info.next_index)) &&
              rpc_put(o, "private_keys_enabled", json_true()) &&
              rpc_put(o, "encrypted", json_boolean(info.encrypted));
    if (ok && info.encrypted)
        ok = rpc_put(o, "unlocked_until", json_integer(info.locked ? 0 : info.unlocked_until));
    return rpc_done_if(req, result, o, ok);
}

/* ------------------------------------------------------------ addresses and keys */

static bool rpc_getnewaddress(struct rpc_request *req, json_t **result)
{
    struct wallet *w = rpc_wallet_from_request(req);
    const char *label;
    if (w == NULL || !rpc_param_str(req, 0, NULL, &label) || !check_label(req, label))
        return false;
    char addr[ADDRESS_MAX_LEN + 1];
    enum wallet_err e = wallet_new_address(w, label, addr);
    if (e != WALLET_OK)
        return rpc_wallet_fail(req, e, NULL);
    return rpc_done(req, result, json_string(addr));
}

struct collect_ctx {
    json_t *arr;
    bool failed; /* a callback stops the walk by returning false: remember why */
};

static bool address_entry_cb(void *ctx, const struct wallet_address_info *a)
{
    struct collect_ctx *c = ctx;
    json_t *o = json_object();
    bool ok = o != NULL && rpc_put(o, "address", json_string(a->address)) &&
              rpc_put(o, "label", json_string(a->label)) &&
              rpc_put(o, "imported", json_boolean(a->index < 0)) &&
              (a->index < 0 || rpc_put(o, "index", json_integer(a->index))) &&
              rpc_put(o, "balance", rpc_amount_json(a->balance)) &&
              rpc_put(o, "nonce", json_integer((json_int_t)a->nonce));
    if (!rpc_append(c->arr, o, ok)) {
        c->failed = true;
        return false;
    }
    return true;
}

static bool rpc_listaddresses(struct rpc_request *req, json_t **result)
{
    struct wallet *w = rpc_wallet_from_request(req);
    if (w == NULL)
        return false;
    struct collect_ctx c = {json_array(), false};
    if (c.arr == NULL)
        return rpc_nomem(req);
    enum wallet_err e = wallet_list_addresses(w, address_entry_cb, &c);
    if (e != WALLET_OK || c.failed) {
        json_decref(c.arr);
        return e != WALLET_OK ? rpc_wallet_fail(req, e, NULL) : rpc_nomem(req);
    }
    *result = c.arr;
    return true;
}

static bool rpc_importprivkey_run(struct rpc_request *req, json_t **result)
{
    struct wallet *w = rpc_wallet_from_request(req);
    const char *hex, *label;
    bool rescan;
    if (w == NULL || !rpc_param_str_required(req, 0, &hex) ||
        !rpc_param_str(req, 1, NULL, &label) || !check_label(req, label) ||
        !rpc_param_bool(req, 2, true, &rescan))
        return false;
    uint8_t secret[32];
    if (strlen(hex) != 64 || !hex_decode_exact(hex, secret, sizeof secret) ||
        !key_secret_valid(secret)) {
        OPENSSL_cleanse(secret, sizeof secret);
        return rpc_error(req, RPC_INVALID_ADDRESS_OR_KEY,
                         "Invalid private key encoding: expected 64 hex digits of a secret "
                         "below the curve order");
    }
    enum wallet_err e = wallet_import_privkey(w, secret, label, rescan);
    OPENSSL_cleanse(secret, sizeof secret);
    if (e != WALLET_OK)
        return rpc_wallet_fail(req, e, NULL);
    *result = NULL;
    return true;
}

/* ------------------------------------------------------------ balances */

static bool get_balances(struct rpc_request *req, struct wallet_balances *bal)
{
    struct wallet *w = rpc_wallet_from_request(req);
    if (w == NULL)
        return false;
    enum wallet_err e = wallet_get_balances(w, bal);
    return e == WALLET_OK || rpc_wallet_fail(req, e, NULL);
}

static bool rpc_getbalance(struct rpc_request *req, json_t **result)
{
    struct wallet_balances bal;
    if (!get_balances(req, &bal))
        return false;
    return rpc_done(req, result, rpc_amount_json(trusted_balance(&bal)));
}

static bool rpc_getbalances(struct rpc_request *req, json_t **result)
{
    struct wallet_balances bal;
    if (!get_balances(req, &bal))
        return false;
    json_t *o = json_object(), *mine = json_object();
    bool ok = o != NULL && mine != NULL &&
              rpc_put(mine, "trusted", rpc_amount_json(trusted_balance(&bal))) &&
              rpc_put(mine, "untrusted_pending", rpc_amount_json(bal.unconfirmed_in)) &&
              rpc_put(mine, "immature", rpc_amount_json(bal.immature));
    if (ok) {
        ok = json_object_set(o, "mine", mine) == 0;
    }
    json_decref(mine);
    return rpc_done_if(req, result, o, ok);
}

/* ------------------------------------------------------------ encryption and backup */

static bool rpc_encryptwallet_run(struct rpc_request *req, json_t **result)
{
    struct wallet *w = rpc_wallet_from_request(req);
    const char *pass;
    if (w == NULL || !rpc_param_str_required(req, 0, &pass) ||
        !check_passphrase(req, pass, "passphrase"))
        return false;
    enum wallet_err e = wallet_encrypt(w, pass);
    if (e == WALLET_ERR_ALREADY_ENCRYPTED)
        return rpc_error(req, RPC_WALLET_WRONG_ENC_STATE,
                         "Error: running with an encrypted wallet, but encryptwallet was called.");
    if (e != WALLET_OK)
        return rpc_wallet_fail(req, e, NULL);
    return rpc_done(req, result,
                    json_string("wallet encrypted; it is locked now: unlock it with "
                                "walletpassphrase to send or sign. Earlier unencrypted backups "
                                "still hold the keys in the clear: make a new backup."));
}

static bool not_encrypted(struct rpc_request *req, const char *method)
{
    return rpc_error(req, RPC_WALLET_WRONG_ENC_STATE,
                     "Error: running with an unencrypted wallet, but %s was called.", method);
}

static bool rpc_walletpassphrase_run(struct rpc_request *req, json_t **result)
{
    struct wallet *w = rpc_wallet_from_request(req);
    const char *pass;
    int64_t timeout;
    if (w == NULL || !rpc_param_str_required(req, 0, &pass) ||
        !rpc_param_int(req, 1, 0, INT64_MIN, INT64_MAX, &timeout) ||
        !check_passphrase(req, pass, "passphrase"))
        return false;
    if (timeout < 0)
        return rpc_error(req, RPC_INVALID_PARAMETER, "Timeout cannot be negative.");
    if (timeout == 0)
        return rpc_error(req, RPC_INVALID_PARAMETER, "Timeout must be at least 1 second.");
    if (timeout > UNLOCK_MAX_SECONDS)
        timeout = UNLOCK_MAX_SECONDS;
    enum wallet_err e = wallet_unlock(w, pass, timeout);
    if (e == WALLET_ERR_NOT_ENCRYPTED)
        return not_encrypted(req, "walletpassphrase");
    if (e != WALLET_OK)
        return rpc_wallet_fail(req, e, NULL);
    *result = NULL;
    return true;
}

static bool rpc_walletlock(struct rpc_request *req, json_t **result)
{
    struct wallet *w = rpc_wallet_from_request(req);
    if (w == NULL)
        return false;
    enum wallet_err e = wallet_lock(w);
    if (e == WALLET_ERR_NOT_ENCRYPTED)
        return not_encrypted(req, "walletlock");
    if (e != WALLET_OK)
        return rpc_wallet_fail(req, e, NULL);
    *result = NULL;
    return true;
}

static bool rpc_walletpassphrasechange_run(struct rpc_request *req, json_t **result)
{
    struct wallet *w = rpc_wallet_from_request(req);
    const char *old_pass, *new_pass;
    if (w == NULL || !rpc_param_str_required(req, 0, &old_pass) ||
        !rpc_param_str_required(req, 1, &new_pass) ||
        !check_passphrase(req, old_pass, "oldpassphrase") ||
        !check_passphrase(req, new_pass, "newpassphrase"))
        return false;
    enum wallet_err e = wallet_change_passphrase(w, old_pass, new_pass);
    if (e == WALLET_ERR_NOT_ENCRYPTED)
        return not_encrypted(req, "walletpassphrasechange");
    if (e != WALLET_OK)
        return rpc_wallet_fail(req, e, NULL);
    *result = NULL;
    return true;
}

static bool rpc_backupwallet(struct rpc_request *req, json_t **result)
{
    struct wallet *w = rpc_wallet_from_request(req);
    const char *path;
    if (w == NULL || !rpc_param_str_required(req, 0, &path))
        return false;
    if (path[0] == '\0')
        return rpc_error(req, RPC_INVALID_PARAMETER, "destination cannot be empty");
    char err[256] = "";
    enum wallet_err e = wallet_backup(w, path, err, sizeof err);
    if (e != WALLET_OK)
        return rpc_error(req, RPC_WALLET_ERROR, "Error: Wallet backup failed! %s",
                         err[0] ? err : wallet_strerror(e));
    *result = NULL;
    return true;
}

static bool rpc_dumpseed(struct rpc_request *req, json_t **result)
{
    struct wallet *w = rpc_wallet_from_request(req);
    if (w == NULL)
        return false;
    char hex[65];
    enum wallet_err e = wallet_export_seed(w, hex);
    if (e != WALLET_OK)
        return rpc_wallet_fail(req, e, NULL);
    *result = json_string(hex);
    OPENSSL_cleanse(hex, sizeof hex);
    return *result != NULL || rpc_nomem(req);
}

static bool rpc_dumpmnemonic(struct rpc_request *req, json_t **result)
{
    struct wallet *w = rpc_wallet_from_request(req);
    if (w == NULL)
        return false;
    char text[WALLETMNEMONIC_TEXT_MAX + 1];
    enum wallet_err e = wallet_export_mnemonic(w, text);
    if (e != WALLET_OK)
        return rpc_wallet_fail(req, e, NULL);
    *result = json_string(text);
    OPENSSL_cleanse(text, sizeof text);
    return *result != NULL || rpc_nomem(req);
}

/* ------------------------------------------------------------ messages */

static bool rpc_signmessage(struct rpc_request *req, json_t **result)
{
    struct wallet *w = rpc_wallet_from_request(req);
    const char *addr, *msg;
    if (w == NULL || !rpc_param_str_required(req, 0, &addr) ||
        !rpc_param_str_required(req, 1, &msg) || !rpc_address_decode(req, "", addr, NULL))
        return false;
    uint8_t sig[64];
    enum wallet_err e = wallet_sign_message(w, addr, msg, strlen(msg), sig);
    if (e == WALLET_ERR_NOT_MINE)
        return rpc_error(req, RPC_WALLET_ERROR, "Private key not available: the address is not "
                                                "in this wallet");
    if (e != WALLET_OK)
        return rpc_wallet_fail(req, e, NULL);
    char text[RPC_WALLET_SIG_TEXT_LEN + 1];
    rpc_wallet_sig_encode(sig, text);
    return rpc_done(req, result, json_string(text));
}

static bool rpc_verifymessage(struct rpc_request *req, json_t **result)
{
    const char *addr, *sig_text, *msg;
    if (!rpc_param_str_required(req, 0, &addr) || !rpc_param_str_required(req, 1, &sig_text) ||
        !rpc_param_str_required(req, 2, &msg) || !rpc_address_decode(req, "", addr, NULL))
        return false;
    uint8_t sig[64];
    if (!rpc_wallet_sig_decode(sig_text, sig))
        return rpc_error(req, RPC_TYPE_ERROR,
                         "Malformed signature: expected base64 (88 characters) or 128 hex digits");
    bool valid = wallet_verify_message(req->node->params->hrp, addr, msg, strlen(msg), sig);
    return rpc_done(req, result, json_boolean(valid));
}

/* Sealed messages: text between one of the wallet's keys and another key,
 * as order notes carry it (any two keys, so either side reads both ways). */
static bool rpc_encryptmessage(struct rpc_request *req, json_t **result)
{
    struct wallet *w = rpc_wallet_from_request(req);
    const char *addr, *msg;
    uint8_t to[32];
    if (w == NULL || !rpc_param_str_required(req, 0, &addr) ||
        !rpc_address_decode(req, "", addr, NULL) ||
        !rpc_param_str_required(req, 1, &msg) || !rpc_address_decode(req, "recipient: ", msg, to) ||
        !rpc_param_str_required(req, 2, &msg))
        return false;
    struct buf sealed;
    buf_init(&sealed);
    enum wallet_err e = wallet_seal_message(w, addr, to, msg, strlen(msg), &sealed);
    bool ok;
    if (e == WALLET_ERR_NOT_MINE)
        ok = rpc_error(req, RPC_WALLET_ERROR, "Private key not available: the address is not "
                                              "in this wallet");
    else if (e != WALLET_OK)
        ok = rpc_wallet_fail(req, e, NULL);
    else
        ok = rpc_done(req, result, rpc_hex_json(sealed.data, sealed.len));
    buf_clear(&sealed);
    return ok;
}

static bool rpc_decryptmessage(struct rpc_request *req, json_t **result)
{
    struct wallet *w = rpc_wallet_from_request(req);
    const char *addr, *other;
    uint8_t from[32];
    struct buf sealed, text;
    buf_init(&sealed);
    buf_init(&text);
    bool ok = w != NULL && rpc_param_str_required(req, 0, &addr) &&
              rpc_address_decode(req, "", addr, NULL) &&
              rpc_param_str_required(req, 1, &other) &&
              rpc_address_decode(req, "counterparty: ", other, from) &&
              rpc_param_hex(req, 2, &sealed);
    if (ok) {
        enum wallet_err e = wallet_open_message(w, addr, from, sealed.data, sealed.len, &text);
        if (e == WALLET_ERR_NOT_MINE)
            ok = rpc_error(req, RPC_WALLET_ERROR, "Private key not available: the address is "
                                                  "not in this wallet");
        else if (e != WALLET_OK)
            ok = rpc_wallet_fail(req, e, NULL);
        else if (memchr(text.data, 0, text.len) != NULL ||
                 !ser_utf8_valid(text.data, text.len))
            ok = rpc_error(req, RPC_INVALID_PARAMETER,
                           "the message opened, but it is not UTF-8 text");
        else
            ok = rpc_done(req, result, json_stringn((const char *)text.data, text.len));
    }
    buf_clear_secure(&text);
    buf_clear(&sealed);
    return ok;
}

/* ------------------------------------------------------------ secrets in arguments */

/* Passphrases, seeds and private keys arrive as JSON strings. Once the call
 * is over, on every path, they are wiped where jansson keeps them, so they
 * do not linger in freed memory. (The HTTP layer's copy of the request
 * body is outside the wallet.) */
static void wipe_params(struct rpc_request *req, size_t first, size_t last)
{
    for (size_t i = first; i <= last; i++) {
        const json_t *v = rpc_param(req, i);
        if (json_is_string(v))
            OPENSSL_cleanse((char *)json_string_value(v), json_string_length(v));
    }
}

#define RPC_WALLET_WIPING(name, first, last)                                                   \
    static bool name(struct rpc_request *req, json_t **result)                                \
    {                                                                                          \
        bool ok = name##_run(req, result);                                                     \
        wipe_params(req, first, last);                                                         \
        return ok;                                                                             \
    }

RPC_WALLET_WIPING(rpc_createwallet, 1, 3)
RPC_WALLET_WIPING(rpc_importprivkey, 0, 0)
RPC_WALLET_WIPING(rpc_encryptwallet, 0, 0)
RPC_WALLET_WIPING(rpc_walletpassphrase, 0, 0)
RPC_WALLET_WIPING(rpc_walletpassphrasechange, 0, 1)

/* ------------------------------------------------------------ table */

#define NO_ARGS {{NULL, 0, false, NULL}}

static const struct rpc_method wallet_methods[] = {
    {"wallet", "createwallet", rpc_createwallet,
     "Creates and loads a new wallet (wallets/<name>/wallet.sqlite).",
     "With a passphrase the wallet is encrypted (and locked) from the start. With a seed (64 hex\n"
     "digits, as dumpseed shows it) or a mnemonic (24 words, as dumpmnemonic shows them) the\n"
     "wallet is restored: its addresses are derived again and the chain is scanned for the ones\n"
     "used, up to 20 unused ones past the last used. \"\" stands for an argument not given.\n"
     "Result: {\"name\": \"str\", \"warning\": \"str\"}\n"
     "Errors: -4 the wallet exists, -8 a bad name, seed or mnemonic, or both a seed and a\n"
     "mnemonic",
     {{"wallet_name", RPC_ARG_STR, false, "The new wallet's name (no '/', '\\\\' or '..')"},
      {"passphrase", RPC_ARG_STR, true, "Encrypt the wallet with this passphrase (default: none)"},
      {"seed", RPC_ARG_STR, true, "Restore from this seed, 64 hex digits (default: a new one)"},
      {"mnemonic", RPC_ARG_STR, true,
       "Restore from the seed these 24 BIP39 English words encode (default: a new one)"}}},
    {"wallet", "loadwallet", rpc_loadwallet, "Loads a wallet from wallets/<name>/.",
     "Result: {\"name\": \"str\", \"warning\": \"str\"}\n"
     "Errors: -18 no such wallet, -4 already loaded or damaged",
     {{"filename", RPC_ARG_STR, false, "The wallet's name"}}},
    {"wallet", "unloadwallet", rpc_unloadwallet,
     "Unloads the wallet named, or the one of the request's /wallet/<name> path.",
     "Result: {\"warning\": \"str\"}\n"
     "Errors: -18 not loaded, -8 the argument and the path name different wallets",
     {{"wallet_name", RPC_ARG_STR, true, "The wallet's name (default: the request's wallet)"}}},
    {"wallet", "listwallets", rpc_listwallets, "Returns the names of the loaded wallets.",
     "Result: [\"name\", ...]", NO_ARGS},
    {"wallet", "getwalletinfo", rpc_getwalletinfo, "Returns the state of the wallet.",
     "Result:\n"
     "{\n"
     "  \"walletname\": \"str\", \"walletversion\": n (schema), \"format\": \"sqlite\",\n"
     "  \"balance\": n,              (numeric) as getbalance\n"
     "  \"unconfirmed_balance\": n,  (numeric) coming in through the mempool\n"
     "  \"immature_balance\": n,     (numeric) mined, not mature yet\n"
     "  \"txcount\": n, \"keycount\": n (addresses handed out),\n"
     "  \"keypoolsize\": n (derived ahead, so new addresses work while locked),\n"
     "  \"next_index\": n (the next address's derivation index),\n"
     "  \"private_keys_enabled\": true, \"encrypted\": b,\n"
     "  \"unlocked_until\": n        (only when encrypted) unix time the wallet locks; 0 = locked\n"
     "}",
     NO_ARGS},
    {"wallet", "getnewaddress", rpc_getnewaddress,
     "Returns a new address of the wallet, the next one its seed derives.",
     "Result: \"address\"",
     {{"label", RPC_ARG_STR, true, "A label for the address (default: none; not \"*\")"}}},
    {"wallet", "listaddresses", rpc_listaddresses,
     "Lists the wallet's addresses with labels, balances and nonces.",
     "Result: [{\"address\": \"str\", \"label\": \"str\", \"imported\": b,\n"
     "          \"index\": n (derived addresses only), \"balance\": n, \"nonce\": n}, ...]",
     NO_ARGS},
    {"wallet", "importprivkey", rpc_importprivkey,
     "Adds a single private key (64 hex digits, as getnewkeypair shows it) to the wallet.",
     "The key is not derived from the seed: back the wallet up again after importing.\n"
     "Result: null\n"
     "Errors: -5 not a valid key, -13 the wallet is locked",
     {{"privkey", RPC_ARG_STR, false, "The 32-byte secret as 64 hex digits"},
      {"label", RPC_ARG_STR, true, "A label (default: none)"},
      {"rescan", RPC_ARG_BOOL, true, "Find the key's history in the chain (default true)"}}},
    {"wallet", "getbalance", rpc_getbalance,
     "Returns the wallet's spendable balance: confirmed, less what its pending sends spend.",
     "Result: n    (numeric) coins", NO_ARGS},
    {"wallet", "getbalances", rpc_getbalances, "Returns the wallet's balances by kind.",
     "Result:\n"
     "{\"mine\": {\n"
     "   \"trusted\": n,            (numeric) as getbalance\n"
     "   \"untrusted_pending\": n,  (numeric) coming in through mempool txs\n"
     "   \"immature\": n            (numeric) coinbase payouts not mature yet\n"
     "}}",
     NO_ARGS},
    {"wallet", "encryptwallet", rpc_encryptwallet,
     "Encrypts the wallet's seed and keys with a passphrase; the wallet is locked afterwards.",
     "Result: \"str\"    a reminder to make a new backup\n"
     "Errors: -15 already encrypted, -8 empty passphrase",
     {{"passphrase", RPC_ARG_STR, false, "The passphrase (not empty)"}}},
    {"wallet", "walletpassphrase", rpc_walletpassphrase,
     "Unlocks the wallet for timeout seconds.",
     "Result: null\n"
     "Errors: -14 wrong passphrase (answered after a short delay), -15 not encrypted",
     {{"passphrase", RPC_ARG_STR, false, "The passphrase"},
      {"timeout", RPC_ARG_INT, false, "Seconds to stay unlocked, 1 to 100000000"}}},
    {"wallet", "walletlock", rpc_walletlock, "Locks the wallet now.",
     "Result: null\nErrors: -15 not encrypted", NO_ARGS},
    {"wallet", "walletpassphrasechange", rpc_walletpassphrasechange,
     "Changes the wallet's passphrase.", "Result: null\nErrors: -14 wrong old passphrase",
     {{"oldpassphrase", RPC_ARG_STR, false, "The current passphrase"},
      {"newpassphrase", RPC_ARG_STR, false, "The new passphrase (not empty)"}}},
    {"wallet", "backupwallet", rpc_backupwallet,
     "Writes a consistent copy of the wallet file to destination (while the node runs).",
     "Result: null\nErrors: -4 the copy failed (the message says why)",
     {{"destination", RPC_ARG_STR, false,
       "The file to write: an absolute path that does not exist yet"}}},
    {"wallet", "dumpseed", rpc_dumpseed,
     "Returns the wallet's seed, from which createwallet restores every derived address.",
     "Anyone with the seed can spend the wallet's coins. Imported keys are not covered.\n"
     "Result: \"hex\"    (string) 64 hex digits\nErrors: -13 the wallet is locked",
     NO_ARGS},
    {"wallet", "dumpmnemonic", rpc_dumpmnemonic,
     "Returns the wallet's seed as 24 words, from which createwallet restores every derived "
     "address.",
     "The words are the BIP39 English encoding of the seed itself (256 bits and an 8-bit\n"
     "checksum); BIP39's PBKDF2 step is not used, so other BIP39 wallets derive other keys\n"
     "from them. Anyone with the words can spend the wallet's coins. Imported keys are not\n"
     "covered.\n"
     "Result: \"words\"    (string) 24 words separated by spaces\n"
     "Errors: -13 the wallet is locked",
     NO_ARGS},
    {"wallet", "signmessage", rpc_signmessage,
     "Signs a message with the key of one of the wallet's addresses.",
     "The signature is BIP340 over TaggedHash(\"souk/message\", message).\n"
     "Result: \"signature\"    (string) base64 of the 64-byte signature\n"
     "Errors: -5 invalid address, -4 not the wallet's address, -13 locked",
     {{"address", RPC_ARG_STR, false, "The address whose key signs"},
      {"message", RPC_ARG_STR, false, "The message"}}},
    {"wallet", "encryptmessage", rpc_encryptmessage,
     "Seals a text message from one of the wallet's addresses to another address.",
     "ChaCha20-Poly1305 under the key both sides derive by ECDH (DESIGN.md section 7);\n"
     "the recipient, or the sender, opens it with decryptmessage.\n"
     "Result: \"hex\"    (string) nonce(12) || ciphertext || tag(16)\n"
     "Errors: -5 invalid address, -4 not the wallet's address, -13 locked",
     {{"address", RPC_ARG_STR, false, "The wallet's address that seals"},
      {"recipient", RPC_ARG_STR, false, "The address it is for"},
      {"message", RPC_ARG_STR, false, "The text"}}},
    {"wallet", "decryptmessage", rpc_decryptmessage,
     "Opens a message sealed between one of the wallet's addresses and another.",
     "Result: \"text\"    (string) the message\n"
     "Errors: -5 invalid address, -4 not the wallet's address, -13 locked,\n"
     "-8 not sealed between these two keys, altered, or not UTF-8 text",
     {{"address", RPC_ARG_STR, false, "The wallet's address (either side)"},
      {"counterparty", RPC_ARG_STR, false, "The other side's address"},
      {"hex", RPC_ARG_HEX, false, "The sealed message"}}},
    {"util", "verifymessage", rpc_verifymessage,
     "Verifies a message signature made by signmessage (needs no wallet).",
     "Result: true|false\nErrors: -5 invalid address, -3 malformed signature",
     {{"address", RPC_ARG_STR, false, "The signer's address"},
      {"signature", RPC_ARG_STR, false, "Base64 (as signmessage returns) or 128 hex digits"},
      {"message", RPC_ARG_STR, false, "The message"}}},
};

bool rpc_wallet_register(struct rpc_table *t, char *err, size_t errlen)
{
    return rpc_register_table(t, wallet_methods, sizeof wallet_methods / sizeof wallet_methods[0],
                              err, errlen) &&
           rpc_wallet_tx_register(t, err, errlen) && rpc_wallet_chat_register(t, err, errlen);
}

