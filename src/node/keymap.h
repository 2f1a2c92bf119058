/* keymap: a hash table of pointers to objects keyed by 32 bytes of their
 * own (a txid, a public key), for the mempool's indexes.
 *
 * Open addressing with linear probing and backward-shift deletion, at most
 * half full. The table does not own the objects it points to, only its
 * slot array. Hashing is seeded per table so that keys ground by an
 * attacker cannot be made to pile up in one run of slots. */
#ifndef SOUK_NODE_KEYMAP_H
#define SOUK_NODE_KEYMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KEYMAP_KEY_LEN 32

struct keymap {
    void **slots;   /* cap entries; NULL = empty. Walk these to visit every object. */
    size_t cap;     /* power of two, or 0 */
    size_t count;
    size_t key_off; /* where the key lies in each object */
    uint64_t seed;
};

void keymap_init(struct keymap *m, size_t key_off);
/* Frees the slots; the objects are the caller's. */
void keymap_clear(struct keymap *m);

void *keymap_find(const struct keymap *m, const uint8_t key[KEYMAP_KEY_LEN]);
/* Makes room for n objects in all, so that inserting up to n cannot fail.
 * False on allocation failure, the table unchanged. */
bool keymap_reserve(struct keymap *m, size_t n);
/* The object's key must be absent and room reserved. */
void keymap_insert(struct keymap *m, void *obj);
/* Removes the object with this key, if any. */
void keymap_remove(struct keymap *m, const uint8_t key[KEYMAP_KEY_LEN]);

#endif
