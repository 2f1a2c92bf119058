#include "util/grow.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

bool grow_array(void **items, size_t *cap, size_t need, size_t item_size, size_t first_cap)
{
    if (need <= *cap)
        return true;
    if (item_size == 0 || first_cap == 0)
        return false;
    size_t n = *cap > 0 ? *cap : first_cap;
    if (*cap > 0) {
        if (n > SIZE_MAX / 2)
            return false;
        n *= 2;
    }
    while (n < need) {
        if (n > SIZE_MAX / 2)
            return false;
        n *= 2;
    }
    if (n > SIZE_MAX / item_size)
        return false;
    /* The caller's pointer is read and written as bytes: its declared type
     * is a pointer to the item type, not void *. */
    void *old;
    memcpy(&old, items, sizeof old);
    void *p = realloc(old, n * item_size);
    if (p == NULL)
        return false;
    memcpy(items, &p, sizeof p);
    *cap = n;
    return true;
}
