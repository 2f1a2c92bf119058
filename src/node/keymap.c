#include "node/keymap.h"

#include <stdlib.h>
#include <string.h>

#include "crypto/random.h"

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}

static const uint8_t *key_of(const struct keymap *m, const void *p)
{
    return (const uint8_t *)p + m->key_off;
}

static size_t key_hash(const struct keymap *m, const uint8_t *key)
{
    uint64_t h = m->seed;
    for (int i = 0; i < 4; i++) {
        uint64_t w;
        memcpy(&w, key + 8 * i, 8);
        h = mix64(h ^ w);
    }
    return (size_t)h;
}

void keymap_init(struct keymap *m, size_t key_off)
{
    memset(m, 0, sizeof *m);
    m->key_off = key_off;
    if (!random_bytes(&m->seed, sizeof m->seed))
        m->seed = (uint64_t)(uintptr_t)m ^ 0x9e3779b97f4a7c15ull;
}

void keymap_clear(struct keymap *m)
{
    free(m->slots);
    m->slots = NULL;
    m->cap = m->count = 0;
}

static size_t map_find_slot(const struct keymap *m, const uint8_t *key, bool *found)
{
    size_t mask = m->cap - 1;
    size_t i = key_hash(m, key) & mask;
    while (m->slots[i] != NULL) {
        if (memcmp(key_of(m, m->slots[i]), key, KEYMAP_KEY_LEN) == 0) {
            *found = true;
            return i;
        }
        i = (i + 1) & mask;
    }
    *found = false;
    return i;
}

void *keymap_find(const struct keymap *m, const uint8_t key[KEYMAP_KEY_LEN])
{
    if (m->count == 0)
        return NULL;
    bool found;
    size_t i = map_find_slot(m, key, &found);
    return found ? m->slots[i] : NULL;
}

bool keymap_reserve(struct keymap *m, size_t n)
{
    if (n <= m->cap / 2)
        return true;
    size_t cap = m->cap ? m->cap : 16;
    while (n > cap / 2) {
        if (cap > SIZE_MAX / 2 / sizeof(void *))
            return false;
        cap *= 2;
    }
    void **slots = calloc(cap, sizeof *slots);
    if (slots == NULL)
        return false;
    struct keymap grown = *m;
    grown.slots = slots;
    grown.cap = cap;
    for (size_t i = 0; i < m->cap; i++) {
        if (m->slots[i] == NULL)
            continue;
        bool found;
        size_t j = map_find_slot(&grown, key_of(m, m->slots[i]), &found);
        slots[j] = m->slots[i];
    }
    free(m->slots);
    *m = grown;
    return true;
}

void keymap_insert(struct keymap *m, void *p)
{
    bool found;
    size_t i = map_find_slot(m, key_of(m, p), &found);
    m->slots[i] = p;
    m->count++;
}

void keymap_remove(struct keymap *m, const uint8_t key[KEYMAP_KEY_LEN])
{
    if (m->count == 0)
        return;
    bool found;
    size_t i = map_find_slot(m, key, &found);
    if (!found)
        return;
    size_t mask = m->cap - 1;
    m->slots[i] = NULL;
    m->count--;
    /* Backward shift: pull later members of the probe run into the hole
     * when their home slot lies at or before it. */
    for (size_t j = (i + 1) & mask; m->slots[j] != NULL; j = (j + 1) & mask) {
        size_t home = key_hash(m, key_of(m, m->slots[j])) & mask;
        bool between = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (!between) {
            m->slots[i] = m->slots[j];
            m->slots[j] = NULL;
            i = j;
        }
    }
}
