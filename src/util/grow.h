/* grow: room in a heap array that grows by doubling.
 *
 * An array kept as (items, count, cap) calls grow_array before adding, and
 * gets a capacity of at least `need` items: first_cap for an empty array,
 * else twice the old one (doubled again until it suffices). A size that
 * would overflow, or an allocation failure, returns false and leaves the
 * array and cap as they were, so a caller fails without having changed
 * anything. The caller owns the array (free(items)). */
#ifndef SOUK_UTIL_GROW_H
#define SOUK_UTIL_GROW_H

#include <stdbool.h>
#include <stddef.h>

/* items points at the caller's array pointer (any object type, cast to
 * void **); item_size is sizeof one item; first_cap must be at least 1. */
bool grow_array(void **items, size_t *cap, size_t need, size_t item_size, size_t first_cap);

#endif
