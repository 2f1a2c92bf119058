#include "rpc/rpcutil.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/evp.h>

#include "consensus/chainparams.h"
#include "consensus/tx.h"
#include "node/node.h"
#include "node/plugin.h"
#include "rpc/server.h"

bool rpc_address_decode(struct rpc_request *req, const char *what, const char *s,
                        uint8_t pubkey[ADDRESS_PUBKEY_LEN])
{
    uint8_t scratch[ADDRESS_PUBKEY_LEN];
    enum address_error ae =
        address_decode(req->node->params->hrp, s, pubkey != NULL ? pubkey : scratch);
    if (ae != ADDRESS_OK)
        return rpc_error(req, RPC_INVALID_ADDRESS_OR_KEY, "%sInvalid address: %s", what,
                         address_strerror(ae));
    return true;
}

bool rpc_param_address(struct rpc_request *req, size_t i, uint8_t pubkey[ADDRESS_PUBKEY_LEN])
{
    const char *s;
    return rpc_param_str_required(req, i, &s) && rpc_address_decode(req, "", s, pubkey);
}

void rpc_echo(const char *s, size_t len, char *out, size_t cap)
{
    size_t keep = len < cap ? len : cap - 4;
    size_t n = 0;
    for (; n < keep; n++)
        out[n] = s[n] >= 0x20 && s[n] < 0x7f ? s[n] : '?';
    if (n < len) {
        memcpy(out + n, "...", 3);
        n += 3;
    }
    out[n] = '\0';
}

struct plugin_ctx *rpc_plugin(struct rpc_request *req, const char *name)
{
    struct plugin_ctx *pc = plugin_find(req->node, name);
    if (pc == NULL)
        rpc_error(req, RPC_MISC_ERROR, "the %s plugin is not running", name);
    return pc;
}

json_t *rpc_address_json(struct rpc_request *req, const uint8_t pubkey[ADDRESS_PUBKEY_LEN])
{
    char addr[ADDRESS_MAX_LEN + 1];
    if (address_encode(req->node->params->hrp, pubkey, addr, sizeof addr) != ADDRESS_OK)
        return json_null();
    return json_string(addr);
}

bool rpc_options(struct rpc_request *req, size_t i, const char *const *known, const json_t **out)
{
    const json_t *o = rpc_param(req, i);
    *out = o;
    if (o == NULL)
        return true;
    if (!json_is_object(o))
        return rpc_error(req, RPC_TYPE_ERROR, "options: expected an object");
    const char *key;
    const json_t *val;
    json_object_foreach((json_t *)o, key, val)
    {
        (void)val;
        bool ok = false;
        for (size_t k = 0; known[k] != NULL && !ok; k++)
            ok = strcmp(known[k], key) == 0;
        if (!ok)
            return rpc_error(req, RPC_INVALID_PARAMETER, "options: unknown key \"%s\"", key);
    }
    return true;
}

const json_t *rpc_option(const json_t *o, const char *key)
{
    const json_t *v = o != NULL ? json_object_get(o, key) : NULL;
    return v != NULL && !json_is_null(v) ? v : NULL;
}

bool rpc_option_str(struct rpc_request *req, const json_t *o, const char *key, const char **out)
{
    const json_t *v = rpc_option(o, key);
    *out = NULL;
    if (v == NULL)
        return true;
    if (!json_is_string(v))
        return rpc_error(req, RPC_TYPE_ERROR, "%s: expected a string", key);
    *out = json_string_value(v);
    return true;
}

bool rpc_option_uint(struct rpc_request *req, const json_t *o, const char *key, uint64_t def,
                     uint64_t max, uint64_t *out)
{
    const json_t *v = rpc_option(o, key);
    *out = def;
    if (v == NULL)
        return true;
    if (!json_is_integer(v) || json_integer_value(v) < 0 || (uint64_t)json_integer_value(v) > max)
        return rpc_error(req, RPC_INVALID_PARAMETER, "%s: expected an integer from 0 to %llu",
                         key, (unsigned long long)max);
    *out = (uint64_t)json_integer_value(v);
    return true;
}

const struct txtype_def *rpc_txtype_from_json(struct rpc_request *req, const json_t *v)
{
    const struct txtype_def *def = NULL;
    if (json_is_string(v))
        def = txtype_find_name(json_string_value(v));
    else if (json_is_integer(v) && json_integer_value(v) >= 0)
        def = txtype_find((uint64_t)json_integer_value(v));
    else {
        rpc_error(req, RPC_TYPE_ERROR, "type: expected a type name or id");
        return NULL;
    }
    if (def == NULL)
        rpc_error(req, RPC_INVALID_PARAMETER, "type: unknown transaction type");
    else if (def->id == TX_TYPE_COINBASE) {
        rpc_error(req, RPC_INVALID_PARAMETER, "type: coinbase transactions are made by miners");
        def = NULL;
    }
    return def;
}

json_t *rpc_base64_json(const void *data, size_t len)
{
    if (len > (size_t)INT32_MAX / 2)
        return NULL;
    size_t n = 4 * ((len + 2) / 3);
    char *text = malloc(n + 1);
    if (text == NULL)
        return NULL;
    EVP_EncodeBlock((unsigned char *)text, data, (int)len);
    json_t *v = json_stringn(text, n);
    free(text);
    return v;
}

bool rpc_base64_decode(const char *text, size_t len, struct buf *out)
{
    if (len % 4 != 0 || len > (size_t)INT32_MAX / 2)
        return false;
    /* EVP_DecodeBlock takes blanks and stray padding; the form here is
     * exact: the alphabet, then at most two '=' at the very end. */
    size_t pad = 0;
    if (len > 0 && text[len - 1] == '=')
        pad = len > 1 && text[len - 2] == '=' ? 2 : 1;
    for (size_t i = 0; i < len - pad; i++)
        if (!isalnum((unsigned char)text[i]) && text[i] != '+' && text[i] != '/')
            return false;
    if (len == 0)
        return true;
    if (!buf_reserve(out, len / 4 * 3))
        return false;
    int n = EVP_DecodeBlock(out->data + out->len, (const unsigned char *)text, (int)len);
    if (n < 0 || (size_t)n < pad)
        return false;
    out->len += (size_t)n - pad;
    return true;
}

/* Reads a regular file whole, at most max + 1 bytes of it (one more tells
 * that it is too large even when it grew after the stat). */
static bool read_file(struct rpc_request *req, const char *path, size_t max, struct buf *out,
                      bool *too_big, uint64_t *size)
{
    FILE *f = fopen(path, "rb");
    struct stat sb;
    if (f == NULL || fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        int e = f == NULL ? errno : EISDIR;
        if (f != NULL && fstat(fileno(f), &sb) == 0 && !S_ISREG(sb.st_mode))
            e = S_ISDIR(sb.st_mode) ? EISDIR : EINVAL;
        if (f != NULL)
            fclose(f);
        return rpc_error(req, RPC_INVALID_PARAMETER, "cannot read %s: %s", path, strerror(e));
    }
    *size = (uint64_t)sb.st_size;
    if (*size > max) {
        fclose(f);
        *too_big = true;
        return true;
    }
    bool ok = buf_reserve(out, (size_t)*size + 1);
    if (ok) {
        size_t n = fread(out->data + out->len, 1, (size_t)*size + 1, f);
        ok = !ferror(f);
        out->len += n;
        *too_big = n > max;
        *size = n;
    }
    int e = errno;
    fclose(f);
    if (!ok)
        return rpc_error(req, RPC_INVALID_PARAMETER, "cannot read %s: %s", path, strerror(e));
    return true;
}

bool rpc_path_or_base64(struct rpc_request *req, const char *src, size_t max, struct buf *out,
                        bool *too_big, uint64_t *size)
{
    *too_big = false;
    *size = 0;
    if (src[0] == '/')
        return read_file(req, src, max, out, too_big, size);
    if (!rpc_base64_decode(src, strlen(src), out))
        return rpc_error(req, RPC_INVALID_PARAMETER,
                         "path_or_base64: neither base64 nor an absolute path (a path starts "
                         "with /)");
    *size = out->len;
    *too_big = out->len > max;
    return true;
}
