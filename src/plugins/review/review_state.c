#include "plugins/review/review_state.h"

#include <string.h>

#include "consensus/serialize.h"

static const char *const aspect_names[REVIEW_N_ASPECTS] = {"quality", "description", "delivery",
                                                           "communication"};

const char *review_aspect_name(size_t i)
{
    return i < REVIEW_N_ASPECTS ? aspect_names[i] : "?";
}

/* ---- keys and records -------------------------------------------------------- */

/* The longest: 'R' 'l' || subject || role || author. */
#define REVIEW_KEY_MAX (2 + 32 + 1 + 32)

static size_t review_key(uint8_t kind, const uint8_t *a, const uint8_t *role, const uint8_t *b,
                         uint8_t out[REVIEW_KEY_MAX])
{
    size_t n = 0;
    out[n++] = REVIEW_PREFIX;
    out[n++] = kind;
    memcpy(out + n, a, 32);
    n += 32;
    if (role != NULL)
        out[n++] = *role;
    if (b != NULL) {
        memcpy(out + n, b, 32);
        n += 32;
    }
    return n;
}

static enum txerr review_read(struct state_view *v, const uint8_t *key, size_t klen,
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

static enum txerr review_write(struct state_view *v, const uint8_t *key, size_t klen,
                               struct buf *val, const struct ser_writer *w)
{
    bool ok = ser_writer_ok(w) && state_put(v, key, klen, val->data, val->len);
    buf_clear(val);
    return ok ? TXERR_OK : TXERR_STORAGE;
}

/* A u128 as bin(16), big-endian. */
static void write_u128(struct ser_writer *w, review_u128 x)
{
    uint8_t b[16];
    for (int i = 15; i >= 0; i--) {
        b[i] = (uint8_t)x;
        x >>= 8;
    }
    ser_write_bin(w, b, sizeof b);
}

static bool get_u128(const msgpack_object *o, review_u128 *out)
{
    uint8_t b[16];
    if (ser_get_bin_fixed(o, sizeof b, b) != SER_OK)
        return false;
    *out = 0;
    for (size_t i = 0; i < sizeof b; i++)
        *out = (*out << 8) | b[i];
    return true;
}

static bool get_aspects(const msgpack_object *o, uint8_t out[REVIEW_N_ASPECTS])
{
    const msgpack_object *items;
    if (ser_get_array(o, REVIEW_N_ASPECTS, &items) != SER_OK)
        return false;
    for (size_t i = 0; i < REVIEW_N_ASPECTS; i++) {
        uint64_t u;
        if (ser_get_uint_max(&items[i], REVIEW_ASPECT_MAX, &u) != SER_OK)
            return false;
        out[i] = (uint8_t)u;
    }
    return true;
}

static bool decode_record(const msgpack_object *root, struct review_record *r)
{
    const msgpack_object *f;
    uint64_t role = 0;
    bool ok = ser_get_array(root, 9, &f) == SER_OK &&
              ser_get_bin_fixed(&f[0], 32, r->order_id) == SER_OK &&
              ser_get_bin_fixed(&f[1], 32, r->author) == SER_OK &&
              ser_get_bin_fixed(&f[2], 32, r->subject) == SER_OK &&
              ser_get_uint_max(&f[3], MARKET_ROLE_SELLER, &role) == SER_OK &&
              ser_get_uint_max(&f[4], REVIEW_RATING_MAX, &r->rating) == SER_OK &&
              get_aspects(&f[5], r->aspects) &&
              ser_get_uint_max(&f[6], AMOUNT_MAX, &r->weight) == SER_OK &&
              ser_get_uint(&f[7], &r->height) == SER_OK &&
              ser_get_uint(&f[8], &r->reply_height) == SER_OK;
    if (ok)
        r->role = (enum market_role)role;
    return ok;
}

bool review_record_decode(const uint8_t *val, size_t len, struct review_record *out)
{
    struct ser_doc doc;
    ser_doc_init(&doc);
    bool ok = ser_doc_parse(&doc, val, len) == SER_OK && decode_record(ser_doc_root(&doc), out);
    ser_doc_clear(&doc);
    return ok;
}

enum txerr review_get(struct state_view *v, const uint8_t id[32], struct review_record *out,
                      bool *found)
{
    uint8_t key[REVIEW_KEY_MAX];
    size_t klen = review_key(REVIEW_REC_REVIEW, id, NULL, NULL, key);
    struct ser_doc doc;
    ser_doc_init(&doc);
    enum txerr err = review_read(v, key, klen, &doc, found);
    if (err == TXERR_OK && *found && !decode_record(ser_doc_root(&doc), out))
        err = TXERR_STORAGE;
    ser_doc_clear(&doc);
    return err;
}

static enum txerr review_put(struct state_view *v, const uint8_t id[32],
                             const struct review_record *r)
{
    uint8_t key[REVIEW_KEY_MAX];
    size_t klen = review_key(REVIEW_REC_REVIEW, id, NULL, NULL, key);
    struct buf val;
    buf_init(&val);
    struct ser_writer w;
    ser_writer_init(&w, &val);
    ser_write_array(&w, 9);
    ser_write_bin(&w, r->order_id, 32);
    ser_write_bin(&w, r->author, 32);
    ser_write_bin(&w, r->subject, 32);
    ser_write_uint(&w, (uint64_t)r->role);
    ser_write_uint(&w, r->rating);
    ser_write_array(&w, REVIEW_N_ASPECTS);
    for (size_t i = 0; i < REVIEW_N_ASPECTS; i++)
        ser_write_uint(&w, r->aspects[i]);
    ser_write_uint(&w, r->weight);
    ser_write_uint(&w, r->height);
    ser_write_uint(&w, r->reply_height);
    return review_write(v, key, klen, &val, &w);
}

enum txerr review_by_order(struct state_view *v, const uint8_t order_id[32],
                           enum market_role author_role, uint8_t review_id[32], bool *found)
{
    uint8_t key[REVIEW_KEY_MAX], role = (uint8_t)author_role;
    size_t klen = review_key(REVIEW_REC_BY_ORDER, order_id, &role, NULL, key);
    struct ser_doc doc;
    ser_doc_init(&doc);
    enum txerr err = review_read(v, key, klen, &doc, found);
    if (err == TXERR_OK && *found &&
        ser_get_bin_fixed(ser_doc_root(&doc), 32, review_id) != SER_OK)
        err = TXERR_STORAGE;
    ser_doc_clear(&doc);
    return err;
}

/* ---- reputation ---------------------------------------------------------------- */

enum txerr review_reputation_get(struct state_view *v, const uint8_t subject[32],
                                 enum market_role role, struct review_reputation *out)
{
    uint8_t key[REVIEW_KEY_MAX], r = (uint8_t)role;
    size_t klen = review_key(REVIEW_REC_REPUTATION, subject, &r, NULL, key);
    struct ser_doc doc;
    ser_doc_init(&doc);
    bool found = false;
    enum txerr err = review_read(v, key, klen, &doc, &found);
    memset(out, 0, sizeof *out);
    const msgpack_object *f, *an, *as;
    if (err == TXERR_OK && found) {
        bool ok = ser_get_array(ser_doc_root(&doc), 8, &f) == SER_OK &&
                  ser_get_uint(&f[0], &out->reviews) == SER_OK &&
                  ser_get_uint(&f[1], &out->rating_sum) == SER_OK &&
                  ser_get_array(&f[2], REVIEW_N_ASPECTS, &an) == SER_OK &&
                  ser_get_array(&f[3], REVIEW_N_ASPECTS, &as) == SER_OK &&
                  get_u128(&f[4], &out->weight_sum) && get_u128(&f[5], &out->weighted_sum) &&
                  ser_get_uint(&f[6], &out->authors) == SER_OK &&
                  ser_get_uint(&f[7], &out->latest_sum) == SER_OK;
        for (size_t i = 0; ok && i < REVIEW_N_ASPECTS; i++)
            ok = ser_get_uint(&an[i], &out->aspect_n[i]) == SER_OK &&
                 ser_get_uint(&as[i], &out->aspect_sum[i]) == SER_OK;
        if (!ok)
            err = TXERR_STORAGE;
    }
    ser_doc_clear(&doc);
    return err;
}

static enum txerr reputation_put(struct state_view *v, const uint8_t subject[32],
                                 enum market_role role, const struct review_reputation *p)
{
    uint8_t key[REVIEW_KEY_MAX], r = (uint8_t)role;
    size_t klen = review_key(REVIEW_REC_REPUTATION, subject, &r, NULL, key);
    struct buf val;
    buf_init(&val);
    struct ser_writer w;
    ser_writer_init(&w, &val);
    ser_write_array(&w, 8);
    ser_write_uint(&w, p->reviews);
    ser_write_uint(&w, p->rating_sum);
    ser_write_array(&w, REVIEW_N_ASPECTS);
    for (size_t i = 0; i < REVIEW_N_ASPECTS; i++)
        ser_write_uint(&w, p->aspect_n[i]);
    ser_write_array(&w, REVIEW_N_ASPECTS);
    for (size_t i = 0; i < REVIEW_N_ASPECTS; i++)
        ser_write_uint(&w, p->aspect_sum[i]);
    write_u128(&w, p->weight_sum);
    write_u128(&w, p->weighted_sum);
    ser_write_uint(&w, p->authors);
    ser_write_uint(&w, p->latest_sum);
    return review_write(v, key, klen, &val, &w);
}

/* What one review adds, the headline aside. */
static void reputation_count(struct review_reputation *p, const struct review_record *r)
{
    p->reviews++;
    p->rating_sum += r->rating;
    for (size_t i = 0; i < REVIEW_N_ASPECTS; i++)
        if (r->aspects[i] != 0) {
            p->aspect_n[i]++;
            p->aspect_sum[i] += r->aspects[i];
        }
    p->weight_sum += r->weight;
    p->weighted_sum += (review_u128)r->weight * r->rating;
}

/* Whether (height, id) comes after (h0, id0). */
static bool later(uint64_t height, const uint8_t id[32], uint64_t h0, const uint8_t id0[32])
{
    return height != h0 ? height > h0 : memcmp(id, id0, 32) > 0;
}

enum txerr review_add(struct state_view *v, const uint8_t id[32], const struct review_record *r)
{
    enum txerr err = review_put(v, id, r);
    if (err != TXERR_OK)
        return err;
    uint8_t key[REVIEW_KEY_MAX];
    uint8_t author_role = (uint8_t)(r->role == MARKET_ROLE_SELLER ? MARKET_ROLE_BUYER
                                                                  : MARKET_ROLE_SELLER);
    size_t klen = review_key(REVIEW_REC_BY_ORDER, r->order_id, &author_role, NULL, key);
    struct buf marker;
    buf_init(&marker);
    struct ser_writer mw;
    ser_writer_init(&mw, &marker);
    ser_write_bin(&mw, id, 32);
    if ((err = review_write(v, key, klen, &marker, &mw)) != TXERR_OK)
        return err;

    struct review_reputation p;
    if ((err = review_reputation_get(v, r->subject, r->role, &p)) != TXERR_OK)
        return err;
    reputation_count(&p, r);

    /* The headline counts each reviewer once, with its latest rating. */
    uint8_t role = (uint8_t)r->role;
    klen = review_key(REVIEW_REC_LATEST, r->subject, &role, r->author, key);
    struct ser_doc doc;
    ser_doc_init(&doc);
    bool found = false;
    const msgpack_object *f;
    uint8_t prev_id[32];
    uint64_t prev_rating = 0, prev_height = 0;
    err = review_read(v, key, klen, &doc, &found);
    if (err == TXERR_OK && found &&
        !(ser_get_array(ser_doc_root(&doc), 3, &f) == SER_OK &&
          ser_get_bin_fixed(&f[0], 32, prev_id) == SER_OK &&
          ser_get_uint(&f[1], &prev_rating) == SER_OK &&
          ser_get_uint(&f[2], &prev_height) == SER_OK))
        err = TXERR_STORAGE;
    ser_doc_clear(&doc);
    if (err != TXERR_OK)
        return err;
    bool replaces = !found || later(r->height, id, prev_height, prev_id);
    if (!found)
        p.authors++;
    if (replaces) {
        p.latest_sum = p.latest_sum - prev_rating + r->rating;
        struct buf val;
        buf_init(&val);
        struct ser_writer w;
        ser_writer_init(&w, &val);
        ser_write_array(&w, 3);
        ser_write_bin(&w, id, 32);
        ser_write_uint(&w, r->rating);
        ser_write_uint(&w, r->height);
        if ((err = review_write(v, key, klen, &val, &w)) != TXERR_OK)
            return err;
    }
    return reputation_put(v, r->subject, r->role, &p);
}

enum txerr review_set_reply(struct state_view *v, const uint8_t id[32], struct review_record *r,
                            uint64_t height)
{
    r->reply_height = height;
    return review_put(v, id, r);
}

void review_reputation_fold(struct review_reputation *acc, struct review_latest *latest,
                            size_t *n_latest, const uint8_t id[32],
                            const struct review_record *r)
{
    reputation_count(acc, r);
    for (size_t i = 0; i < *n_latest; i++) {
        struct review_latest *l = &latest[i];
        if (memcmp(l->author, r->author, 32) != 0)
            continue;
        if (later(r->height, id, l->height, l->review_id)) {
            acc->latest_sum = acc->latest_sum - l->rating + r->rating;
            memcpy(l->review_id, id, 32);
            l->height = r->height;
            l->rating = r->rating;
        }
        return;
    }
    struct review_latest *l = &latest[(*n_latest)++];
    memcpy(l->author, r->author, 32);
    memcpy(l->review_id, id, 32);
    l->height = r->height;
    l->rating = r->rating;
    acc->authors++;
    acc->latest_sum += r->rating;
}

uint64_t review_avg100(uint64_t sum, uint64_t n)
{
    return n == 0 ? 0 : (uint64_t)((review_u128)sum * 100 / n);
}

uint64_t review_avg100_u128(review_u128 sum, review_u128 n)
{
    return n == 0 ? 0 : (uint64_t)(sum * 100 / n);
}
