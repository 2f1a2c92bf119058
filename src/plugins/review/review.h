/* review: the review plugin — verified-purchase reviews with aspect
 * ratings, replies, and the reputation they add up to (DESIGN.md section 5,
 * doc/reviews.md).
 *
 * This is its consensus core: the types review_post (32) and review_reply
 * (33) with their field tables and apply functions, and the rules they
 * refuse with. A review needs a real order: it reads the market's order
 * records (plugins/market/market_state.h), so the market must be hosted
 * before it. Its own records are described in review_state.h. */
#ifndef SOUK_PLUGINS_REVIEW_H
#define SOUK_PLUGINS_REVIEW_H

#include "node/plugin.h"

enum {
    REVIEW_TYPE_POST = 32,
    REVIEW_TYPE_REPLY = 33,
};

/* The review plugin's rejection codes (reasons in doc/reviews.md). */
enum review_err {
    REVIEW_ERR_BAD_RATING = 1700,
    REVIEW_ERR_BAD_ASPECT,
    REVIEW_ERR_UNKNOWN_ORDER,
    REVIEW_ERR_NOT_PARTY,
    REVIEW_ERR_ORDER_OPEN,
    REVIEW_ERR_ORDER_REFUNDED,
    REVIEW_ERR_WINDOW_CLOSED,
    REVIEW_ERR_SELLER_ASPECT,
    REVIEW_ERR_DUPLICATE,
    REVIEW_ERR_UNKNOWN_REVIEW,
    REVIEW_ERR_NOT_SUBJECT,
    REVIEW_ERR_REPLIED,
    REVIEW_ERR_END_
};

extern const struct plugin review_plugin;

#endif
