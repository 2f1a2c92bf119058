#include "plugins/market/market_state.h"

#include <string.h>

#include "consensus/serialize.h"

static const char *const listing_states[] = {"ACTIVE", "CLOSED"};
static const char *const order_states[MARKET_ORDER_STATE_COUNT_] = {
    "PLACED", "ACCEPTED", "SHIPPED", "COMPLETED", "CANCELED", "DISPUTED", "RESOLVED"};

const char *market_listing_state_name(uint64_t state)
{
    return state < 2 ? listing_states[state] : "?";
}

const char *market_order_state_name(uint64_t state)
{
    return state < MARKET_ORDER_STATE_COUNT_ ? order_states[state] : "?";
}

bool market_order_holds_escrow(uint64_t state)
{
    return state == MARKET_ORDER_PLACED || state == MARKET_ORDER_ACCEPTED ||
           state == MARKET_ORDER_SHIPPED || state == MARKET_ORDER_DISPUTED;
}

bool market_listing_expired(const struct market_listing *l, uint64_t height)
{
    return l->expires_at_height != 0 && height > l->expires_at_height;
}

amount_t market_arbiter_fee(amount_t total, uint64_t bps)
{
    /* total * bps can pass 2^64; splitting total by 10000 keeps it exact. */
    return (total / 10000) * bps + (total % 10000) * bps / 10000;
}

/* ---- keys ------------------------------------------------------------------- */

/* The longest: 'M' 'c' || pubkey || role || counterparty. */
#define MARKET_KEY_MAX (2 + 32 + 1 + 32)

static size_t market_key(uint8_t kind, const void *id, size_t len, uint8_t out[MARKET_KEY_MAX])
{
    out[0] = MARKET_PREFIX;
    out[1] = kind;
    if (len > 0)
        memcpy(out + 2, id, len);
    return 2 + len;
}

/* Reads the record under key into a parsed document; *found false when
 * absent. */
static enum txerr market_read(struct state_view *v, const uint8_t *key, size_t klen,
                              struct ser_doc *doc, bool *found)
{
    struct buf val;
    buf_init(&val);
    enum txerr err = TXERR_OK;
    if (!state_get(v, key, klen, &val, found))
        err = TXERR_STORAGE;
    else if (*found && ser_doc_parse(doc, val.data, val.len) != SER_OK)
        err = TXERR_STORAGE;
    buf_clear(&val);
    return err;
}

static enum txerr market_write(struct state_view *v, const uint8_t *key, size_t klen,
                               struct buf *val, const struct ser_writer *w)
{
    bool ok = ser_writer_ok(w) && state_put(v, key, klen, val->data, val->len);
    buf_clear(val);
    return ok ? TXERR_OK : TXERR_STORAGE;
}

static bool get_text(const msgpack_object *o, size_t min, size_t max, char *out, size_t *len)
{
    const char *p;
    if (ser_get_str(o, min, max, &p, len) != SER_OK)
        return false;
    if (*len > 0)
        memcpy(out, p, *len);
    out[*len] = '\0';
    return true;
}

/* ---- profiles and names ----------------------------------------------------- */

enum txerr market_profile_get(struct state_view *v, const uint8_t pubkey[32],
                              struct market_profile *out, bool *found)
{
    uint8_t key[MARKET_KEY_MAX];
    size_t klen = market_key(MARKET_REC_PROFILE, pubkey, 32, key);
    struct ser_doc doc;
    ser_doc_init(&doc);
    enum txerr err = market_read(v, key, klen, &doc, found);
    const msgpack_object *f;
    if (err == TXERR_OK && *found &&
        !(ser_get_array(ser_doc_root(&doc), 3, &f) == SER_OK &&
          get_text(&f[0], MARKET_NAME_MIN, MARKET_NAME_MAX, out->name, &out->name_len) &&
          get_text(&f[1], 0, MARKET_ABOUT_MAX, out->about, &out->about_len) &&
          ser_get_uint(&f[2], &out->height) == SER_OK))
        err = TXERR_STORAGE;
    ser_doc_clear(&doc);
    return err;
}

enum txerr market_profile_put(struct state_view *v, const uint8_t pubkey[32],
                              const struct market_profile *p)
{
    uint8_t key[MARKET_KEY_MAX];
    size_t klen = market_key(MARKET_REC_PROFILE, pubkey, 32, key);
    struct buf val;
    buf_init(&val);
    struct ser_writer w;
    ser_writer_init(&w, &val);
    ser_write_array(&w, 3);
    ser_write_str(&w, p->name, p->name_len);
    ser_write_str(&w, p->about, p->about_len);
    ser_write_uint(&w, p->height);
    return market_write(v, key, klen, &val, &w);
}

enum txerr market_name_owner(struct state_view *v, const char *name, size_t len,
                             uint8_t owner[32], bool *found)
{
    if (len > MARKET_NAME_MAX) {
        *found = false;
        return TXERR_OK;
    }
    uint8_t key[MARKET_KEY_MAX];
    size_t klen = market_key(MARKET_REC_NAME, name, len, key);
    struct ser_doc doc;
    ser_doc_init(&doc);
    enum txerr err = market_read(v, key, klen, &doc, found);
    if (err == TXERR_OK && *found && ser_get_bin_fixed(ser_doc_root(&doc), 32, owner) != SER_OK)
        err = TXERR_STORAGE;
    ser_doc_clear(&doc);
    return err;
}

enum txerr market_name_put(struct state_view *v, const char *name, size_t len,
                           const uint8_t owner[32])
{
    if (len > MARKET_NAME_MAX)
        return TXERR_STORAGE;
    uint8_t key[MARKET_KEY_MAX];
    size_t klen = market_key(MARKET_REC_NAME, name, len, key);
    struct buf val;
    buf_init(&val);
    struct ser_writer w;
    ser_writer_init(&w, &val);
    ser_write_bin(&w, owner, 32);
    return market_write(v, key, klen, &val, &w);
}

enum txerr market_name_del(struct state_view *v, const char *name, size_t len)
{
    if (len > MARKET_NAME_MAX)
        return TXERR_STORAGE;
    uint8_t key[MARKET_KEY_MAX];
    size_t klen = market_key(MARKET_REC_NAME, name, len, key);
    return state_del(v, key, klen) ? TXERR_OK : TXERR_STORAGE;
}

/* ---- listings --------------------------------------------------------------- */

enum txerr market_listing_get(struct state_view *v, const uint8_t id[32],
                              struct market_listing *out, bool *found)
{
    uint8_t key[MARKET_KEY_MAX];
    size_t klen = market_key(MARKET_REC_LISTING, id, 32, key);
    struct ser_doc doc;
    ser_doc_init(&doc);
    enum txerr err = market_read(v, key, klen, &doc, found);
    const msgpack_object *f, *m;
    uint32_t n_media = 0;
    if (err == TXERR_OK && *found) {
        bool ok = ser_get_array(ser_doc_root(&doc), 11, &f) == SER_OK &&
                  ser_get_bin_fixed(&f[0], 32, out->seller) == SER_OK &&
                  ser_get_uint(&f[1], &out->state) == SER_OK &&
                  ser_get_uint_max(&f[2], AMOUNT_MAX, &out->price) == SER_OK &&
                  ser_get_uint(&f[3], &out->stock) == SER_OK &&
                  ser_get_uint(&f[4], &out->expires_at_height) == SER_OK &&
                  ser_get_uint(&f[5], &out->created_height) == SER_OK &&
                  ser_get_uint(&f[6], &out->updated_height) == SER_OK &&
                  get_text(&f[7], 0, MARKET_TITLE_MAX, out->title, &out->title_len) &&
                  get_text(&f[8], 0, MARKET_DESCRIPTION_MAX, out->description,
                           &out->description_len) &&
                  get_text(&f[9], 0, MARKET_CATEGORY_MAX, out->category, &out->category_len) &&
                  ser_get_list(&f[10], MARKET_MEDIA_MAX, &m, &n_media) == SER_OK;
        for (uint32_t i = 0; ok && i < n_media; i++)
            ok = ser_get_bin_fixed(&m[i], 32, out->media[i]) == SER_OK;
        out->n_media = n_media;
        if (!ok)
            err = TXERR_STORAGE;
    }
    ser_doc_clear(&doc);
    return err;
}

enum txerr market_listing_put(struct state_view *v, const uint8_t id[32],
                              const struct market_listing *l)
{
    uint8_t key[MARKET_KEY_MAX];
    size_t klen = market_key(MARKET_REC_LISTING, id, 32, key);
    struct buf val;
    buf_init(&val);
    struct ser_writer w;
    ser_writer_init(&w, &val);
    ser_write_array(&w, 11);
    ser_write_bin(&w, l->seller, 32);
    ser_write_uint(&w, l->state);
    ser_write_uint(&w, l->price);
    ser_write_uint(&w, l->stock);
    ser_write_uint(&w, l->expires_at_height);
    ser_write_uint(&w, l->created_height);
    ser_write_uint(&w, l->updated_height);
    ser_write_str(&w, l->title, l->title_len);
    ser_write_str(&w, l->description, l->description_len);
    ser_write_str(&w, l->category, l->category_len);
    ser_write_array(&w, l->n_media);
    for (size_t i = 0; i < l->n_media; i++)
        ser_write_bin(&w, l->media[i], 32);
    return market_write(v, key, klen, &val, &w);
}

/* ---- orders ----------------------------------------------------------------- */

enum txerr market_order_get(struct state_view *v, const uint8_t id[32], struct market_order *out,
                            bool *found)
{
    uint8_t key[MARKET_KEY_MAX];
    size_t klen = market_key(MARKET_REC_ORDER, id, 32, key);
    struct ser_doc doc;
    ser_doc_init(&doc);
    enum txerr err = market_read(v, key, klen, &doc, found);
    const msgpack_object *f;
    if (err == TXERR_OK && *found) {
        const uint8_t *arb = NULL;
        size_t arb_len = 0;
        uint64_t timed_out = 0;
        bool ok = ser_get_array(ser_doc_root(&doc), 12, &f) == SER_OK &&
                  ser_get_bin_fixed(&f[0], 32, out->listing_id) == SER_OK &&
                  ser_get_bin_fixed(&f[1], 32, out->buyer) == SER_OK &&
                  ser_get_bin_fixed(&f[2], 32, out->seller) == SER_OK &&
                  ser_get_bin(&f[3], 32, &arb, &arb_len) == SER_OK &&
                  (arb_len == 0 || arb_len == 32) &&
                  ser_get_uint(&f[4], &out->arbiter_fee_bps) == SER_OK &&
                  ser_get_uint(&f[5], &out->quantity) == SER_OK &&
                  ser_get_uint_max(&f[6], AMOUNT_MAX, &out->price) == SER_OK &&
                  ser_get_uint_max(&f[7], AMOUNT_MAX, &out->total) == SER_OK &&
                  ser_get_uint(&f[8], &out->state) == SER_OK &&
                  ser_get_uint(&f[9], &out->placed_height) == SER_OK &&
                  ser_get_uint(&f[10], &out->state_height) == SER_OK &&
                  ser_get_uint(&f[11], &timed_out) == SER_OK && timed_out <= 1;
        if (ok) {
            out->timed_out = timed_out == 1;
            out->has_arbiter = arb_len == 32;
            memset(out->arbiter, 0, 32);
            if (out->has_arbiter)
                memcpy(out->arbiter, arb, 32);
        } else {
            err = TXERR_STORAGE;
        }
    }
    ser_doc_clear(&doc);
    return err;
}

enum txerr market_order_put(struct state_view *v, const uint8_t id[32],
                            const struct market_order *o)
{
    uint8_t key[MARKET_KEY_MAX];
    size_t klen = market_key(MARKET_REC_ORDER, id, 32, key);
    struct buf val;
    buf_init(&val);
    struct ser_writer w;
    ser_writer_init(&w, &val);
    ser_write_array(&w, 12);
    ser_write_bin(&w, o->listing_id, 32);
    ser_write_bin(&w, o->buyer, 32);
    ser_write_bin(&w, o->seller, 32);
    ser_write_bin(&w, o->arbiter, o->has_arbiter ? 32 : 0);
    ser_write_uint(&w, o->arbiter_fee_bps);
    ser_write_uint(&w, o->quantity);
    ser_write_uint(&w, o->price);
    ser_write_uint(&w, o->total);
    ser_write_uint(&w, o->state);
    ser_write_uint(&w, o->placed_height);
    ser_write_uint(&w, o->state_height);
    ser_write_uint(&w, o->timed_out ? 1 : 0);
    return market_write(v, key, klen, &val, &w);
}

/* ---- the escrow total ------------------------------------------------------- */

enum txerr market_escrow_get(struct state_view *v, amount_t *out)
{
    uint8_t key[MARKET_KEY_MAX];
    size_t klen = market_key(MARKET_REC_ESCROW, NULL, 0, key);
    struct ser_doc doc;
    ser_doc_init(&doc);
    bool found = false;
    enum txerr err = market_read(v, key, klen, &doc, &found);
    *out = 0;
    if (err == TXERR_OK && found &&
        ser_get_uint_max(ser_doc_root(&doc), AMOUNT_MAX, out) != SER_OK)
        err = TXERR_STORAGE;
    ser_doc_clear(&doc);
    return err;
}

/* A zero total is no record, so equal states have equal key sets. */
static enum txerr market_escrow_set(struct state_view *v, amount_t total)
{
    uint8_t key[MARKET_KEY_MAX];
    size_t klen = market_key(MARKET_REC_ESCROW, NULL, 0, key);
    if (total == 0)
        return state_del(v, key, klen) ? TXERR_OK : TXERR_STORAGE;
    struct buf val;
    buf_init(&val);
    struct ser_writer w;
    ser_writer_init(&w, &val);
    ser_write_uint(&w, total);
    return market_write(v, key, klen, &val, &w);
}

enum txerr market_escrow_add(struct state_view *v, amount_t amount)
{
    amount_t total;
    enum txerr err = market_escrow_get(v, &total);
    if (err != TXERR_OK)
        return err;
    if (!amount_add(total, amount, &total))
        return TXERR_STORAGE;
    return market_escrow_set(v, total);
}

enum txerr market_escrow_sub(struct state_view *v, amount_t amount)
{
    amount_t total;
    enum txerr err = market_escrow_get(v, &total);
    if (err != TXERR_OK)
        return err;
    if (!amount_sub(total, amount, &total))
        return TXERR_STORAGE;
    return market_escrow_set(v, total);
}

/* ---- trade counts ------------------------------------------------------------ */

static const char *const trade_count_names[MARKET_TRADES_N_] = {
    "orders", "completed", "cancelled", "disputed", "refunded", "counterparties"};

const char *market_trade_count_name(enum market_trade_count c)
{
    return (unsigned)c < MARKET_TRADES_N_ ? trade_count_names[c] : "?";
}

static size_t trades_key(const uint8_t pubkey[32], enum market_role role, uint8_t *out)
{
    uint8_t id[33];
    memcpy(id, pubkey, 32);
    id[32] = (uint8_t)role;
    return market_key(MARKET_REC_TRADES, id, sizeof id, out);
}

enum txerr market_trades_get(struct state_view *v, const uint8_t pubkey[32], enum market_role role,
                             struct market_trades *out)
{
    uint8_t key[MARKET_KEY_MAX];
    size_t klen = trades_key(pubkey, role, key);
    struct ser_doc doc;
    ser_doc_init(&doc);
    bool found = false;
    enum txerr err = market_read(v, key, klen, &doc, &found);
    memset(out, 0, sizeof *out);
    const msgpack_object *f;
    if (err == TXERR_OK && found) {
        bool ok = ser_get_array(ser_doc_root(&doc), MARKET_TRADES_N_ + 2, &f) == SER_OK;
        for (size_t i = 0; ok && i < MARKET_TRADES_N_; i++)
            ok = ser_get_uint(&f[i], &out->n[i]) == SER_OK;
        ok = ok && ser_get_uint(&f[MARKET_TRADES_N_], &out->first_height) == SER_OK &&
             ser_get_uint(&f[MARKET_TRADES_N_ + 1], &out->last_height) == SER_OK;
        if (!ok)
            err = TXERR_STORAGE;
    }
    ser_doc_clear(&doc);
    return err;
}

static enum txerr market_trades_put(struct state_view *v, const uint8_t pubkey[32],
                                    enum market_role role, const struct market_trades *t)
{
    uint8_t key[MARKET_KEY_MAX];
    size_t klen = trades_key(pubkey, role, key);
    struct buf val;
    buf_init(&val);
    struct ser_writer w;
    ser_writer_init(&w, &val);
    ser_write_array(&w, MARKET_TRADES_N_ + 2);
    for (size_t i = 0; i < MARKET_TRADES_N_; i++)
        ser_write_uint(&w, t->n[i]);
    ser_write_uint(&w, t->first_height);
    ser_write_uint(&w, t->last_height);
    return market_write(v, key, klen, &val, &w);
}

/* One order placed by `who` in `role` with `other`. */
static enum txerr trades_add_order(struct state_view *v, const uint8_t who[32],
                                   enum market_role role, const uint8_t other[32],
                                   uint64_t height)
{
    struct market_trades t;
    enum txerr err = market_trades_get(v, who, role, &t);
    if (err != TXERR_OK)
        return err;
    uint8_t key[MARKET_KEY_MAX], id[65];
    memcpy(id, who, 32);
    id[32] = (uint8_t)role;
    memcpy(id + 33, other, 32);
    size_t klen = market_key(MARKET_REC_COUNTERPARTY, id, sizeof id, key);
    struct ser_doc doc;
    ser_doc_init(&doc);
    bool found = false;
    uint64_t between = 0;
    err = market_read(v, key, klen, &doc, &found);
    if (err == TXERR_OK && found && ser_get_uint(ser_doc_root(&doc), &between) != SER_OK)
        err = TXERR_STORAGE;
    ser_doc_clear(&doc);
    if (err != TXERR_OK)
        return err;
    struct buf val;
    buf_init(&val);
    struct ser_writer w;
    ser_writer_init(&w, &val);
    ser_write_uint(&w, between + 1);
    if ((err = market_write(v, key, klen, &val, &w)) != TXERR_OK)
        return err;
    if (t.n[MARKET_TRADES_ORDERS] == 0)
        t.first_height = height;
    t.last_height = height;
    t.n[MARKET_TRADES_ORDERS]++;
    if (between == 0)
        t.n[MARKET_TRADES_COUNTERPARTIES]++;
    return market_trades_put(v, who, role, &t);
}

enum txerr market_trades_order(struct state_view *v, const uint8_t buyer[32],
                               const uint8_t seller[32], uint64_t height)
{
    enum txerr err = trades_add_order(v, buyer, MARKET_ROLE_BUYER, seller, height);
    return err != TXERR_OK ? err : trades_add_order(v, seller, MARKET_ROLE_SELLER, buyer, height);
}

enum txerr market_trades_outcome(struct state_view *v, const struct market_order *o,
                                 enum market_trade_count what)
{
    const uint8_t *who[2] = {o->buyer, o->seller};
    for (int role = MARKET_ROLE_BUYER; role <= MARKET_ROLE_SELLER; role++) {
        struct market_trades t;
        enum txerr err = market_trades_get(v, who[role], (enum market_role)role, &t);
        if (err != TXERR_OK)
            return err;
        t.n[what]++;
        if ((err = market_trades_put(v, who[role], (enum market_role)role, &t)) != TXERR_OK)
            return err;
    }
    return TXERR_OK;
}
