/* The review's payloads: any bytes as the payload of review_post or
 * review_reply (the first byte picks one), through the type's field table,
 * as a node reads them from a tx. An accepted payload re-encodes to exactly
 * the input and keeps the review's bounds (an overall rating of 1-5, four
 * aspects of 0-5, texts of at most 2,048 bytes); a refused one names a
 * registered rule (review-bad-rating, review-bad-aspect, bad-payload, ...)
 * and leaves nothing allocated. */
#include "fuzz.h"

#include <stdbool.h>
#include <string.h>

#include "consensus/txerr.h"
#include "consensus/txfield.h"
#include "consensus/txtype.h"
#include "node/plugin.h"
#include "node/pluginhost.h"
#include "plugins/market/market.h"
#include "plugins/review/review.h"
#include "plugins/review/review_state.h"

/* The plugins installed once, as the node's host does (the review after
 * the market), so that refusals carry their registered reasons. */
static void install_review(void)
{
    static bool done;
    static struct pluginhost host;
    if (done)
        return;
    char err[256];
    pluginhost_init(&host);
    FUZZ_ASSERT(pluginhost_add(&host, &market_plugin, err, sizeof err));
    FUZZ_ASSERT(pluginhost_add(&host, &review_plugin, err, sizeof err));
    FUZZ_ASSERT(pluginhost_install(&host, err, sizeof err));
    done = true;
}

/* The review's own bounds, checked apart from the table that enforces
 * them, so a table that drifted from doc/reviews.md is caught. */
static void check_accepted(const struct txtype_def *def, const struct txpayload *p)
{
    if (def->id == REVIEW_TYPE_POST) {
        FUZZ_ASSERT(p->v[0].len == 32);
        FUZZ_ASSERT(p->v[1].u >= REVIEW_RATING_MIN && p->v[1].u <= REVIEW_RATING_MAX);
        FUZZ_ASSERT(p->v[2].len == REVIEW_N_ASPECTS);
        for (size_t i = 0; i < REVIEW_N_ASPECTS; i++)
            FUZZ_ASSERT(p->v[2].p[i] <= REVIEW_ASPECT_MAX);
        FUZZ_ASSERT(p->v[3].len <= REVIEW_TEXT_MAX);
    } else {
        FUZZ_ASSERT(def->id == REVIEW_TYPE_REPLY);
        FUZZ_ASSERT(p->v[0].len == 32);
        FUZZ_ASSERT(p->v[1].len <= REVIEW_TEXT_MAX);
    }
}

void fuzz_one(const uint8_t *data, size_t size)
{
    install_review();
    if (size < 1)
        return;
    const struct txtype_def *def = review_plugin.types[data[0] % review_plugin.n_types];
    FUZZ_ASSERT(txfield_table_valid(def->fields, def->n_fields, NULL, 0));
    const uint8_t *bytes = data + 1;
    size_t len = size - 1;
    struct txpayload p;
    txpayload_init(&p);
    enum ser_err detail = SER_OK;
    int field = -2;
    enum txerr err = txpayload_decode(def->fields, def->n_fields, bytes, len, &p, &detail, &field);
    if (err == TXERR_OK) {
        FUZZ_ASSERT(p.n == def->n_fields);
        FUZZ_ASSERT(txpayload_check_values(def->fields, def->n_fields, p.v, NULL, NULL) ==
                    TXERR_OK);
        check_accepted(def, &p);
        struct buf out;
        buf_init(&out);
        FUZZ_ASSERT(txpayload_encode(def->fields, def->n_fields, p.v, &out));
        FUZZ_ASSERT(out.len == len && memcmp(out.data, bytes, len) == 0);
        buf_clear(&out);
    } else {
        FUZZ_ASSERT(strcmp(txerr_reason(err), "unknown-error") != 0);
        FUZZ_ASSERT(field >= -1 && field < (int)def->n_fields);
        FUZZ_ASSERT(detail != SER_OK);
        FUZZ_ASSERT(p.n == 0);
        /* A rating out of bounds, or other than four aspects, is refused
         * with the review's own rule, not a generic one. */
        if (def->id == REVIEW_TYPE_POST && field == 1 && detail == SER_ERR_INT_RANGE)
            FUZZ_ASSERT(strcmp(txerr_reason(err), "review-bad-rating") == 0);
        if (def->id == REVIEW_TYPE_POST && field == 2 &&
            (detail == SER_ERR_TOO_FEW_ITEMS || detail == SER_ERR_TOO_MANY_ITEMS))
            FUZZ_ASSERT(strcmp(txerr_reason(err), "review-bad-aspect") == 0);
    }
    txpayload_clear(&p);
}
