#include "consensus/account.h"

#include <string.h>

void account_key(const uint8_t pubkey[32], uint8_t key[ACCOUNT_KEY_LEN])
{
    key[0] = ACCOUNT_PREFIX;
    memcpy(key + 1, pubkey, 32);
}

void maturity_key(uint64_t height, uint8_t key[MATURITY_KEY_LEN])
{
    key[0] = MATURITY_PREFIX;
    /* Big-endian, so the keys sort by height. */
    for (int i = 0; i < 8; i++)
        key[1 + i] = (uint8_t)(height >> (56 - 8 * i));
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

struct maturity_entry {
    uint8_t recipient[32];
    amount_t amount;
};

/* Reads the queue of `height` into entries (at most MATURITY_MAX_ENTRIES). */
static enum txerr maturity_read(struct state_view *v, const uint8_t key[MATURITY_KEY_LEN],
                                struct maturity_entry *entries, uint32_t *n)
{
    struct buf val;
    buf_init(&val);
    bool found = false;
    *n = 0;
    if (!state_get(v, key, MATURITY_KEY_LEN, &val, &found)) {
        buf_clear(&val);
        return TXERR_STORAGE;
    }
    enum txerr result = TXERR_OK;
    if (found) {
        struct ser_doc doc;
        ser_doc_init(&doc);
        const msgpack_object *items, *f;
        uint32_t count = 0;
        enum ser_err err = ser_doc_parse(&doc, val.data, val.len);
        if (err == SER_OK)
            err = ser_get_list(ser_doc_root(&doc), MATURITY_MAX_ENTRIES, &items, &count);
        for (uint32_t i = 0; err == SER_OK && i < count; i++) {
            if ((err = ser_get_array(&items[i], 2, &f)) == SER_OK &&
                (err = ser_get_bin_fixed(&f[0], 32, entries[i].recipient)) == SER_OK)
                err = ser_get_uint_max(&f[1], AMOUNT_MAX, &entries[i].amount);
        }
        if (err == SER_OK)
            *n = count;
        else
            result = TXERR_STORAGE;
        ser_doc_clear(&doc);
    }
    buf_clear(&val);
    return result;
}

enum txerr maturity_add(struct state_view *v, uint64_t height, const uint8_t recipient[32],
                        amount_t amount)
{
    uint8_t key[MATURITY_KEY_LEN];
    maturity_key(height, key);
    struct maturity_entry *list = calloc(MATURITY_MAX_ENTRIES, sizeof *list);
    if (list == NULL)
        return TXERR_STORAGE;
    uint32_t n;
    enum txerr err = maturity_read(v, key, list, &n);
    if (err == TXERR_OK && n == MATURITY_MAX_ENTRIES)
        err = TXERR_AMOUNT_RANGE;
    if (err == TXERR_OK) {
        memcpy(list[n].recipient, recipient, 32);
        list[n].amount = amount;
        n++;
        struct buf val;
        buf_init(&val);
        struct ser_writer w;
        ser_writer_init(&w, &val);
        ser_write_array(&w, n);
        for (uint32_t i = 0; i < n; i++) {
            ser_write_array(&w, 2);
            ser_write_bin(&w, list[i].recipient, 32);
            ser_write_uint(&w, list[i].amount);
        }
        if (!ser_writer_ok(&w) || !state_put(v, key, sizeof key, val.data, val.len))
            err = TXERR_STORAGE;
        buf_clear(&val);
    }
    free(list);
    return err;
}

enum txerr maturity_release(struct state_view *v, uint64_t height)
{
    uint8_t key[MATURITY_KEY_LEN];
    maturity_key(height, key);
    struct maturity_entry *list = calloc(MATURITY_MAX_ENTRIES, sizeof *list);
    if (list == NULL)
        return TXERR_STORAGE;
    uint32_t n;
    enum txerr err = maturity_read(v, key, list, &n);
    for (uint32_t i = 0; err == TXERR_OK && i < n; i++)
        err = account_credit(v, list[i].recipient, list[i].amount);
    if (err == TXERR_OK && n > 0 && !state_del(v, key, sizeof key))
        err = TXERR_STORAGE;
    free(list);
    return err;
}
