#include "gateway/gw_rpc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

const char *const gw_rpc_allowlist[] = {
    /* the account's wallet */
    "getbalance", "getbalances", "getnewaddress", "listaddresses", "getwalletinfo",
    "listtransactions", "gettransaction", "sendtoaddress", "signmessage", "encryptmessage",
    "decryptmessage",
    /* chain reads */
    "getblockcount", "getbestblockhash", "getblockchaininfo", "getaccount", "getaccounthistory",
    "validateaddress", "verifymessage",
    /* market */
    "market_getprofile", "market_setprofile", "market_getlisting", "market_listlistings",
    "market_searchlistings", "market_createlisting", "market_updatelisting",
    "market_closelisting", "market_getorder", "market_listorders", "market_placeorder",
    "market_acceptorder", "market_shiporder", "market_completeorder", "market_cancelorder",
    "market_disputeorder", "market_resolveorder", "market_addmedia", "market_getmedia",
    "market_getmediainfo",
    /* reviews */
    "review_post", "review_reply", "review_get", "review_list", "review_getreputation",
    /* chat */
    "chat_send", "chat_sendfile", "chat_list", "chat_get", "chat_threads", "chat_markread",
    "chat_getinfo", "chat_decodeenvelope", "chat_sendrawenvelope",
    NULL,
};

bool gw_rpc_allowed(const char *method)
{
    if (method == NULL)
        return false;
    for (size_t i = 0; gw_rpc_allowlist[i] != NULL; i++)
        if (strcmp(gw_rpc_allowlist[i], method) == 0)
            return true;
    return false;
}

/* Methods whose argument may name a file on the node's machine. */
static const struct {
    const char *method;
    size_t pos;
} file_args[] = {
    {"market_addmedia", 0},
    {"chat_sendfile", 1},
};
#define FILE_ARG_NAME "path_or_base64"

/* The file argument of a request, if the method has one and it is given. */
static const json_t *file_arg(const char *method, const json_t *params)
{
    for (size_t i = 0; i < sizeof file_args / sizeof file_args[0]; i++) {
        if (strcmp(method, file_args[i].method) != 0)
            continue;
        if (json_is_array(params))
            return json_array_get(params, file_args[i].pos);
        if (json_is_object(params))
            return json_object_get(params, FILE_ARG_NAME);
        return NULL;
    }
    return NULL;
}

static bool refuse(json_t *req, int code, const char *msg)
{
    json_t *params = json_pack("[i,s]", code, msg);
    if (params == NULL)
        return false;
    if (json_object_set_new(req, "method", json_string(GW_RPC_REFUSE_METHOD)) != 0 ||
        json_object_set_new(req, "params", params) != 0)
        return false;
    return true;
}

/* Rewrites one request object if the gateway refuses it; anything that is
 * not a well-formed request is left for the dispatcher to answer. */
static bool filter_one(json_t *req)
{
    if (!json_is_object(req))
        return true;
    const json_t *mv = json_object_get(req, "method");
    if (!json_is_string(mv))
        return true;
    const char *method = json_string_value(mv);
    bool whole = strlen(method) == json_string_length(mv);
    if (!whole || !gw_rpc_allowed(method)) {
        /* The name is the client's own text: it is repeated only when it
         * is short printable ASCII, so the reply stays valid UTF-8. */
        bool plain = whole && strlen(method) <= 64;
        for (const char *p = method; plain && *p != '\0'; p++)
            plain = (unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f;
        char msg[160];
        snprintf(msg, sizeof msg, "%s is not available through the gateway",
                 plain ? method : "that method");
        return refuse(req, -32601, msg);
    }
    const json_t *f = file_arg(method, json_object_get(req, "params"));
    if (json_is_string(f) && json_string_value(f)[0] == '/')
        return refuse(req, -8,
                      "path_or_base64: files on the node's machine cannot be read through "
                      "the gateway; send the bytes in base64");
    return true;
}

enum gw_rpc_filter_result gw_rpc_filter(const char *body, size_t len, char **out,
                                        size_t *out_len)
{
    json_error_t jerr;
    json_t *root = json_loadb(body, len, JSON_DECODE_ANY, &jerr);
    if (root == NULL) {
        /* jansson reports running out of memory as an error of its own kind. */
        return json_error_code(&jerr) == json_error_out_of_memory ? GW_RPC_FILTER_NOMEM
                                                                  : GW_RPC_FILTER_PARSE_ERROR;
    }
    if (!json_is_object(root) && !json_is_array(root)) {
        json_decref(root);
        return GW_RPC_FILTER_PARSE_ERROR;
    }
    bool ok = true;
    if (json_is_object(root)) {
        ok = filter_one(root);
    } else {
        for (size_t i = 0; ok && i < json_array_size(root); i++)
            ok = filter_one(json_array_get(root, i));
    }
    char *s = ok ? json_dumps(root, JSON_COMPACT) : NULL;
    json_decref(root);
    if (s == NULL)
        return GW_RPC_FILTER_NOMEM;
    *out = s;
    *out_len = strlen(s);
    return GW_RPC_FILTER_OK;
}
