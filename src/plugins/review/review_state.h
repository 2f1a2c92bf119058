/* review_state: the review plugin's chainstate records and the reputation
 * they add up to.
 *
 * Everything lives under the prefix 'R', with a second byte naming the
 * record:
 *
 *   'R' 'r' || review_id(32)  -> review  [order_id: bin(32), author: bin(32),
 *                                          subject: bin(32), role, rating,
 *                                          aspects: [4 x 0-5], weight, height,
 *                                          reply_height]
 *   'R' 'o' || order_id || role -> bin(32): the review that party wrote
 *   'R' 'a' || subject || role  -> the subject's reputation in that role
 *   'R' 'l' || subject || role || author(32)
 *                             -> [review_id: bin(32), rating, height]: that
 *                                author's latest review of the subject
 *
 * `role` is always the subject's side of the order: a buyer's review has a
 * seller as subject (role 1), a seller's review a buyer (role 0), the
 * market's enum market_role. A review's id is the txid of its review_post;
 * its `weight` is the order's total, its `reply_height` 0 until the
 * subject replies. Texts are not kept here: they are in the blocks.
 *
 * The reputation record holds sums, not averages, so each review adds to it
 * exactly and a block's undo data takes it away exactly; averages are
 * computed when shown. "Latest" is the greatest (height, review id): the
 * same order whether reviews are applied one by one or recomputed from the
 * stored records (review_reputation_fold). */
#ifndef SOUK_PLUGINS_REVIEW_STATE_H
#define SOUK_PLUGINS_REVIEW_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/state.h"
#include "consensus/txerr.h"
#include "plugins/market/market_state.h"
#include "util/amount.h"

#define REVIEW_PREFIX 'R'

enum {
    REVIEW_REC_REVIEW = 'r',
    REVIEW_REC_BY_ORDER = 'o',
    REVIEW_REC_REPUTATION = 'a',
    REVIEW_REC_LATEST = 'l',
};

#define REVIEW_N_ASPECTS 4
#define REVIEW_RATING_MIN 1
#define REVIEW_RATING_MAX 5
#define REVIEW_ASPECT_MAX 5
#define REVIEW_TEXT_MAX 2048

/* The aspects, in payload order. A seller may rate only communication. */
enum review_aspect {
    REVIEW_ASPECT_QUALITY = 0,
    REVIEW_ASPECT_DESCRIPTION,
    REVIEW_ASPECT_DELIVERY,
    REVIEW_ASPECT_COMMUNICATION,
};
/* "quality", "description", "delivery", "communication". */
const char *review_aspect_name(size_t i);

/* Sums of products of ratings and order totals pass 2^64 long before any
 * real total does (5 x 21 million coins x a few thousand reviews), so they
 * are kept in 128 bits. */
__extension__ typedef unsigned __int128 review_u128;

struct review_record {
    uint8_t order_id[32];
    uint8_t author[32];
    uint8_t subject[32];
    enum market_role role;  /* the subject's */
    uint64_t rating;
    uint8_t aspects[REVIEW_N_ASPECTS];
    amount_t weight;        /* the order's total */
    uint64_t height;
    uint64_t reply_height;  /* 0: no reply */
};

struct review_reputation {
    uint64_t reviews;
    uint64_t rating_sum;
    uint64_t aspect_n[REVIEW_N_ASPECTS];   /* reviews that rated the aspect */
    uint64_t aspect_sum[REVIEW_N_ASPECTS];
    review_u128 weight_sum;                /* sum of order totals */
    review_u128 weighted_sum;              /* sum of rating x order total */
    uint64_t authors;                      /* distinct reviewers */
    uint64_t latest_sum;                   /* sum of each reviewer's latest rating */
};

/* Readers: *found (may be NULL where absence is not an error) says whether
 * the record exists; TXERR_STORAGE on a read failure or a record that does
 * not decode. */
enum txerr review_get(struct state_view *v, const uint8_t id[32], struct review_record *out,
                      bool *found);
/* The review the party on `author_role`'s side of the order wrote. */
enum txerr review_by_order(struct state_view *v, const uint8_t order_id[32],
                           enum market_role author_role, uint8_t review_id[32], bool *found);
/* A subject's reputation in a role (all zero when it has no review). */
enum txerr review_reputation_get(struct state_view *v, const uint8_t subject[32],
                                 enum market_role role, struct review_reputation *out);

/* Decodes a review record's value (as stored under 'R' 'r'). */
bool review_record_decode(const uint8_t *val, size_t len, struct review_record *out);

/* Writers (consensus code only). review_add stores a new review under id
 * and adds it to its subject's reputation; review_set_reply marks it
 * answered. */
enum txerr review_add(struct state_view *v, const uint8_t id[32], const struct review_record *r);
enum txerr review_set_reply(struct state_view *v, const uint8_t id[32], struct review_record *r,
                            uint64_t height);

/* For a recomputation from the stored reviews: add each review of one
 * subject and role with review_reputation_fold, in any order, into `acc`
 * (zeroed first) with `latest` a scratch table sized for every distinct
 * author (n_latest counts its entries); the result equals the
 * incrementally kept record. */
struct review_latest {
    uint8_t author[32];
    uint8_t review_id[32];
    uint64_t height;
    uint64_t rating;
};
void review_reputation_fold(struct review_reputation *acc, struct review_latest *latest,
                            size_t *n_latest, const uint8_t id[32],
                            const struct review_record *r);

/* Averages for display, in hundredths (0 when there is nothing to
 * average), rounded down. */
uint64_t review_avg100(uint64_t sum, uint64_t n);
uint64_t review_avg100_u128(review_u128 sum, review_u128 n);

#endif
