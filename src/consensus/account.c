#include "consensus/account.h"

#include <string.h>

void account_key(const uint8_t pubkey[32], uint8_t key[ACCOUNT_KEY_LEN])
{
    key[0] = ACCOUNT_PREFIX;
    memcpy(key + 1, pubkey, 32);
}

enum ser_err account_decode(const void *bytes, size_t len, struct account *out)
{
    struct ser_doc doc;
    ser_doc_init(&doc);
    enum ser_err err = ser_doc_parse(&doc, bytes, len);
    const msgpack_object *f;
    struct account a;
    if (err == SER_OK && (err = ser_get_array(ser_doc_root(&doc), 2, &f)) == SER_OK &&
        (err = ser_get_uint_max(&f[0], AMOUNT_MAX, &a.balance)) == SER_OK &&
        (err = ser_get_uint(&f[1], &a.nonce)) == SER_OK)
        *out = a;
    ser_doc_clear(&doc);
    return err;
}

bool account_encode(const struct account *a, struct buf *out)
{
    size_t start = out->len;
    struct ser_writer w;
    ser_writer_init(&w, out);
    ser_write_array(&w, 2);
    ser_write_uint(&w, a->balance);
    ser_write_uint(&w, a->nonce);
    if (!ser_writer_ok(&w)) {
        out->len = start;
        return false;
    }
    return true;
}

enum txerr account_get(struct state_view *v, const uint8_t pubkey[32], struct account *out)
{
    uint8_t key[ACCOUNT_KEY_LEN];
    account_key(pubkey, key);
    struct buf val;
    buf_init(&val);
    bool found = false;
    enum txerr err = TXERR_OK;
    if (!state_get(v, key, sizeof key, &val, &found))
        err = TXERR_STORAGE;
    else if (!found)
        *out = (struct account){0, 0};
    else if (account_decode(val.data, val.len, out) != SER_OK)
        err = TXERR_STORAGE;
    buf_clear(&val);
    return err;
}

enum txerr account_put(struct state_view *v, const uint8_t pubkey[32], const struct account *a)
{
    uint8_t key[ACCOUNT_KEY_LEN];
    account_key(pubkey, key);
    if (a->balance == 0 && a->nonce == 0)
        return state_del(v, key, sizeof key) ? TXERR_OK : TXERR_STORAGE;
    struct buf val;
    buf_init(&val);
    bool ok = account_encode(a, &val) && state_put(v, key, sizeof key, val.data, val.len);
    buf_clear(&val);
    return ok ? TXERR_OK : TXERR_STORAGE;
}

enum txerr account_credit(struct state_view *v, const uint8_t pubkey[32], amount_t amount)
{
    struct account a;
    enum txerr err = account_get(v, pubkey, &a);
    if (err != TXERR_OK)
        return err;
    if (!amount_add(a.balance, amount, &a.balance))
        return TXERR_AMOUNT_RANGE;
    return account_put(v, pubkey, &a);
}
