/* banlist.json as the node loads it (banman_decode): any bytes as the
 * file. An accepted file gives bans in force only (expired entries are
 * dropped), each covering its own network address, each subnet once and
 * in its normal form (host bits clear, formatted back the way it parses);
 * its encoding (banman_encode, what the node writes) decodes to the same
 * bans and encodes to the same text. A refused file changes nothing. One
 * manager serves every input, emptied (banman_clear) after each. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

#include "p2p/banman.h"
#include "util/time.h"

#define FUZZ_NOW 1700000000
#define LIST_MAX 4096

static struct banman *bm;
static struct banman_entry list[LIST_MAX];

static void setup(void)
{
    if (bm != NULL)
        return;
    /* Expiry is judged against the clock: fixed, so an input always takes
     * the same path. */
    FUZZ_ASSERT(time_set_mock(FUZZ_NOW));
    bm = banman_new(NULL);
    FUZZ_ASSERT(bm != NULL);
}

void fuzz_one(const uint8_t *data, size_t size)
{
    setup();
    char why[512];
    struct banman_subnet keep;
    FUZZ_ASSERT(banman_subnet_parse("203.0.113.7", &keep, why, sizeof why));
    FUZZ_ASSERT(banman_ban(bm, &keep, FUZZ_NOW + 10) == BANMAN_OK);
    if (!banman_decode(bm, (const char *)data, size, why, sizeof why)) {
        FUZZ_ASSERT(banman_count(bm) == 1 && banman_is_banned(bm, &keep.net));
        banman_clear(bm);
        return;
    }
    size_t n = banman_count(bm);
    FUZZ_ASSERT(banman_list(bm, list, LIST_MAX) == (n < LIST_MAX ? n : LIST_MAX));
    for (size_t i = 0; i < n && i < LIST_MAX; i++) {
        const struct banman_entry *e = &list[i];
        FUZZ_ASSERT(e->until > FUZZ_NOW && e->created >= 0 && e->subnet.prefix <= 128);
        FUZZ_ASSERT(banman_subnet_contains(&e->subnet, &e->subnet.net));
        FUZZ_ASSERT(banman_is_banned(bm, &e->subnet.net));
        char text[BANMAN_SUBNET_STR_MAX];
        banman_subnet_format(&e->subnet, text);
        struct banman_subnet back;
        FUZZ_ASSERT(banman_subnet_parse(text, &back, why, sizeof why));
        FUZZ_ASSERT(banman_subnet_equal(&back, &e->subnet));
        /* Listed once: a later duplicate only moved the end. */
        for (size_t j = 0; j < i && n <= 64; j++)
            FUZZ_ASSERT(!banman_subnet_equal(&list[j].subnet, &e->subnet));
    }
    char *t1 = banman_encode(bm);
    FUZZ_ASSERT(t1 != NULL);
    FUZZ_ASSERT(banman_decode(bm, t1, strlen(t1), why, sizeof why));
    FUZZ_ASSERT(banman_count(bm) == n);
    char *t2 = banman_encode(bm);
    FUZZ_ASSERT(t2 != NULL && strcmp(t1, t2) == 0);
    free(t1);
    free(t2);
    banman_clear(bm);
}
