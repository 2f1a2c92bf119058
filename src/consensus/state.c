#include "consensus/state.h"

#include <stdlib.h>
#include <string.h>

#include "crypto/random.h"
#include "util/grow.h"

struct state_entry {
    uint8_t *key;
    size_t klen;
    bool old_present;  /* what the backend holds */
    uint8_t *old;
    size_t old_len;
    bool present;      /* what the view holds now */
    uint8_t *val;
    size_t vlen;
};

/* The state an entry had before one write, so the write can be undone. */
struct state_journal {
    size_t idx;
    bool present;
    uint8_t *val;
    size_t vlen;
};

static uint8_t *state_dup(const void *p, size_t len)
{
    /* malloc(0) may return NULL; a 1-byte block keeps "NULL = failure" simple. */
    uint8_t *d = malloc(len ? len : 1);
    if (d != NULL && len > 0)
        memcpy(d, p, len);
    return d;
}

/* A multiply-xorshift hash over 8-byte words, seeded per view so that keys
 * chosen by an attacker cannot be lined up to collide in every node's
 * table. */
static size_t state_hash(const struct state_view *v, const uint8_t *key, size_t klen)
{
    /* Eight bytes at a time: every lookup hashes its key, and a byte-wise
     * hash was a tenth of a block's apply. */
    uint64_t h = v->seed ^ ((uint64_t)klen * 0x9e3779b97f4a7c15ull);
    size_t i = 0;
    for (; i + 8 <= klen; i += 8) {
        uint64_t w;
        memcpy(&w, key + i, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
    }
    uint64_t tail = 0;
    memcpy(&tail, key + i, klen - i);
    h = (h ^ tail) * 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 29;
    return (size_t)h;
}

void state_view_init(struct state_view *v, const struct state_backend *backend)
{
    memset(v, 0, sizeof *v);
    v->backend = *backend;
}

static void state_entry_free(struct state_entry *e)
{
    free(e->key);
    free(e->old);
    free(e->val);
}

void state_view_clear(struct state_view *v)
{
    for (size_t i = 0; i < v->count; i++)
        state_entry_free(&v->entries[i]);
    for (size_t i = 0; i < v->journal_len; i++)
        free(v->journal[i].val);
    free(v->entries);
    free(v->slots);
    free(v->journal);
    struct state_backend backend = v->backend;
    state_view_init(v, &backend);
}

/* Index of key's entry, or SIZE_MAX. */
static size_t state_find(const struct state_view *v, const uint8_t *key, size_t klen)
{
    if (v->slot_count == 0)
        return SIZE_MAX;
    size_t mask = v->slot_count - 1;
    for (size_t s = state_hash(v, key, klen) & mask;; s = (s + 1) & mask) {
        size_t slot = v->slots[s];
        if (slot == 0)
            return SIZE_MAX;
        const struct state_entry *e = &v->entries[slot - 1];
        if (e->klen == klen && memcmp(e->key, key, klen) == 0)
            return slot - 1;
    }
}

static void state_slot_insert(struct state_view *v, size_t idx)
{
    size_t mask = v->slot_count - 1;
    const struct state_entry *e = &v->entries[idx];
    size_t s = state_hash(v, e->key, e->klen) & mask;
    while (v->slots[s] != 0)
        s = (s + 1) & mask;
    v->slots[s] = idx + 1;
}

static bool state_grow_index(struct state_view *v)
{
    if ((v->count + 1) * 2 <= v->slot_count)
        return true;
    size_t n = v->slot_count ? v->slot_count * 2 : 64;
    size_t *slots = calloc(n, sizeof *slots);
    if (slots == NULL)
        return false;
    /* The seed is drawn with the first index, not with the view: the
     * mempool opens and drops a few views per accepted tx, most of which
     * never hold a key, and drawing random bytes cost more than the rest
     * of the view's life. */
    if (v->slot_count == 0 && !random_bytes(&v->seed, sizeof v->seed))
        v->seed = (uint64_t)(uintptr_t)v;
    free(v->slots);
    v->slots = slots;
    v->slot_count = n;
    for (size_t i = 0; i < v->count; i++)
        state_slot_insert(v, i);
    return true;
}

/* Finds or creates key's entry (reading the backend on creation). */
static bool state_entry_get(struct state_view *v, const uint8_t *key, size_t klen, size_t *idx)
{
    size_t i = state_find(v, key, klen);
    if (i != SIZE_MAX) {
        *idx = i;
        return true;
    }
    if (!grow_array((void **)&v->entries, &v->cap, v->count + 1, sizeof *v->entries, 32))
        goto fail;
    if (!state_grow_index(v))
        goto fail;
    struct buf old;
    buf_init(&old);
    bool found = false;
    if (!v->backend.get(v->backend.ctx, key, klen, &old, &found)) {
        buf_clear(&old);
        goto fail;
    }
    struct state_entry e = {.klen = klen, .old_present = found, .present = found};
    e.key = state_dup(key, klen);
    e.old_len = e.vlen = found ? old.len : 0;
    e.old = state_dup(old.data, e.old_len);
    e.val = state_dup(old.data, e.vlen);
    buf_clear(&old);
    if (e.key == NULL || e.old == NULL || e.val == NULL) {
        state_entry_free(&e);
        goto fail;
    }
    v->entries[v->count] = e;
    state_slot_insert(v, v->count);
    *idx = v->count++;
    return true;
fail:
    v->failed = true;
    return false;
}

bool state_get(struct state_view *v, const void *key, size_t klen, struct buf *val, bool *found)
{
    buf_reset(val);
    if (klen == 0 || klen > STATE_KEY_MAX)
        return false;
    size_t idx;
    if (!state_entry_get(v, key, klen, &idx))
        return false;
    const struct state_entry *e = &v->entries[idx];
    *found = e->present;
    if (e->present && !buf_append(val, e->val, e->vlen)) {
        v->failed = true;
        return false;
    }
    return true;
}

static bool state_write(struct state_view *v, const uint8_t *key, size_t klen, bool present,
                        const void *val, size_t vlen)
{
    if (klen == 0 || klen > STATE_KEY_MAX || vlen > STATE_VALUE_MAX)
        return false;
    size_t idx;
    if (!state_entry_get(v, key, klen, &idx))
        return false;
    if (!grow_array((void **)&v->journal, &v->journal_cap, v->journal_len + 1,
                    sizeof *v->journal, 32)) {
        v->failed = true;
        return false;
    }
    uint8_t *copy = state_dup(val, present ? vlen : 0);
    if (copy == NULL) {
        v->failed = true;
        return false;
    }
    struct state_entry *e = &v->entries[idx];
    v->journal[v->journal_len++] = (struct state_journal){idx, e->present, e->val, e->vlen};
    e->present = present;
    e->val = copy;
    e->vlen = present ? vlen : 0;
    return true;
}

bool state_put(struct state_view *v, const void *key, size_t klen, const void *val, size_t vlen)
{
    return state_write(v, key, klen, true, val, vlen);
}

bool state_del(struct state_view *v, const void *key, size_t klen)
{
    return state_write(v, key, klen, false, NULL, 0);
}

size_t state_savepoint(const struct state_view *v)
{
    return v->journal_len;
}

void state_rollback(struct state_view *v, size_t savepoint)
{
    while (v->journal_len > savepoint) {
        struct state_journal *j = &v->journal[--v->journal_len];
        struct state_entry *e = &v->entries[j->idx];
        free(e->val);
        e->present = j->present;
        e->val = j->val;
        e->vlen = j->vlen;
    }
}

static bool state_entry_changed(const struct state_entry *e)
{
    if (e->present != e->old_present)
        return true;
    return e->present && (e->vlen != e->old_len || memcmp(e->val, e->old, e->vlen) != 0);
}

bool state_view_for_each_change(const struct state_view *v, state_change_fn fn, void *ctx)
{
    for (size_t i = 0; i < v->count; i++) {
        const struct state_entry *e = &v->entries[i];
        if (state_entry_changed(e) && !fn(ctx, e->key, e->klen, e->present, e->val, e->vlen))
            return false;
    }
    return true;
}

size_t state_view_change_count(const struct state_view *v)
{
    size_t n = 0;
    for (size_t i = 0; i < v->count; i++)
        n += state_entry_changed(&v->entries[i]);
    return n;
}

bool state_view_undo_encode(const struct state_view *v, struct buf *out)
{
    size_t start = out->len;
    struct ser_writer w;
    ser_writer_init(&w, out);
    ser_write_array(&w, state_view_change_count(v));
    for (size_t i = 0; i < v->count; i++) {
        const struct state_entry *e = &v->entries[i];
        if (!state_entry_changed(e))
            continue;
        ser_write_array(&w, e->old_present ? 2 : 1);
        ser_write_bin(&w, e->key, e->klen);
        if (e->old_present)
            ser_write_bin(&w, e->old, e->old_len);
    }
    if (!ser_writer_ok(&w)) {
        out->len = start;
        return false;
    }
    return true;
}

enum ser_err state_undo_for_each(const void *bytes, size_t len, state_change_fn fn, void *ctx)
{
    struct ser_doc doc;
    ser_doc_init(&doc);
    enum ser_err err = ser_doc_parse(&doc, bytes, len);
    const msgpack_object *items;
    uint32_t n;
    if (err == SER_OK)
        err = ser_get_list(ser_doc_root(&doc), UINT32_MAX, &items, &n);
    /* Check the whole record before yielding anything, so a corrupt record
     * changes nothing. */
    for (uint32_t pass = 0; pass < 2 && err == SER_OK; pass++) {
        for (uint32_t i = 0; i < n && err == SER_OK; i++) {
            const msgpack_object *f;
            uint32_t fields;
            const uint8_t *key, *val = NULL;
            size_t klen, vlen = 0;
            if ((err = ser_get_list(&items[i], 2, &f, &fields)) != SER_OK)
                break;
            if (fields == 0) {
                err = SER_ERR_ARRAY_LENGTH;
                break;
            }
            if ((err = ser_get_bin(&f[0], STATE_KEY_MAX, &key, &klen)) != SER_OK)
                break;
            if (klen == 0) {
                err = SER_ERR_TOO_SHORT;
                break;
            }
            if (fields == 2 && (err = ser_get_bin(&f[1], STATE_VALUE_MAX, &val, &vlen)) != SER_OK)
                break;
            if (pass == 1 && !fn(ctx, key, klen, fields == 2, val, vlen))
                break;
        }
    }
    ser_doc_clear(&doc);
    return err;
}

static bool state_view_backend_get(void *ctx, const uint8_t *key, size_t klen, struct buf *val,
                                   bool *found)
{
    return state_get(ctx, key, klen, val, found);
}

void state_view_as_backend(struct state_view *v, struct state_backend *out)
{
    out->ctx = v;
    out->get = state_view_backend_get;
}

static bool state_empty_get(void *ctx, const uint8_t *key, size_t klen, struct buf *val,
                            bool *found)
{
    (void)ctx;
    (void)key;
    (void)klen;
    buf_reset(val);
    *found = false;
    return true;
}

const struct state_backend state_empty_backend = {.ctx = NULL, .get = state_empty_get};
