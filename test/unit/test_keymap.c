#include "unit.h"
#include "fixture.h"

#include <string.h>

#include "crypto/random.h"
#include "node/keymap.h"

struct item {
    int tag;
    uint8_t key[KEYMAP_KEY_LEN];
};

START_TEST(insert_find_remove_against_a_reference)
{
    enum { N = 2000 };
    static struct item items[N];
    static bool present[N];
    struct keymap m;
    keymap_init(&m, offsetof(struct item, key));
    ck_assert_ptr_null(keymap_find(&m, items[0].key));
    keymap_remove(&m, items[0].key); /* absent: nothing happens */
    for (int i = 0; i < N; i++) {
        items[i].tag = i;
        ck_assert(random_bytes(items[i].key, KEYMAP_KEY_LEN));
        /* some keys share their first 8 bytes: they must still be told apart */
        if (i % 7 == 1)
            memcpy(items[i].key, items[i - 1].key, 8);
        present[i] = false;
    }
    uint32_t r = 12345;
    for (int round = 0; round < 20000; round++) {
        r = r * 1103515245u + 12345u;
        int i = (int)((r >> 8) % N);
        if (present[i]) {
            keymap_remove(&m, items[i].key);
            present[i] = false;
        } else {
            ck_assert(keymap_reserve(&m, m.count + 1));
            keymap_insert(&m, &items[i]);
            present[i] = true;
        }
        if (round % 1000 == 0) {
            size_t count = 0;
            for (int j = 0; j < N; j++) {
                struct item *found = keymap_find(&m, items[j].key);
                ck_assert(present[j] ? found == &items[j] : found == NULL);
                count += present[j];
            }
            ck_assert_uint_eq(m.count, count);
            size_t walked = 0;
            for (size_t s = 0; s < m.cap; s++)
                walked += m.slots[s] != NULL;
            ck_assert_uint_eq(walked, count);
            ck_assert_uint_le(2 * m.count, m.cap);
        }
    }
    for (int j = 0; j < N; j++)
        if (present[j])
            keymap_remove(&m, items[j].key);
    ck_assert_uint_eq(m.count, 0);
    for (int j = 0; j < N; j++)
        ck_assert_ptr_null(keymap_find(&m, items[j].key));
    keymap_clear(&m);
    keymap_clear(&m);
}
END_TEST

Suite *unit_suite(void)
{
    const TTest *tests[] = {insert_find_remove_against_a_reference, NULL};
    return fixture_suite("keymap", NULL, tests);
}
