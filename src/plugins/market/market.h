/* market: the marketplace plugin — profiles, listings, orders with escrow
 * held by consensus, disputes and timeouts.
 *
 * This is its consensus core: the eleven transaction types (ids 16-26)
 * with their field tables, stateless checks and apply functions, the
 * rules they refuse with, the order timeouts on the deadline index and the
 * escrow total it reports to the supply check. Its records are described
 * in market_state.h; doc/market.md is the user's description. The market
 * is hosted on every network. */
#ifndef SOUK_PLUGINS_MARKET_H
#define SOUK_PLUGINS_MARKET_H

#include "node/plugin.h"

enum {
    MARKET_TYPE_PROFILE_SET = 16,
    MARKET_TYPE_LISTING_CREATE = 17,
    MARKET_TYPE_LISTING_UPDATE = 18,
    MARKET_TYPE_LISTING_CLOSE = 19,
    MARKET_TYPE_ORDER_PLACE = 20,
    MARKET_TYPE_ORDER_ACCEPT = 21,
    MARKET_TYPE_ORDER_SHIP = 22,
    MARKET_TYPE_ORDER_COMPLETE = 23,
    MARKET_TYPE_ORDER_CANCEL = 24,
    MARKET_TYPE_ORDER_DISPUTE = 25,
    MARKET_TYPE_ORDER_RESOLVE = 26,
};

/* The market's rejection codes (reasons in doc/market.md). */
enum market_err {
    MARKET_ERR_BAD_NAME = 1600,
    MARKET_ERR_FEE_BPS_TOO_HIGH,
    MARKET_ERR_ARBITER_IS_BUYER,
    MARKET_ERR_FEE_WITHOUT_ARBITER,
    MARKET_ERR_NAME_TAKEN,
    MARKET_ERR_UNKNOWN_LISTING,
    MARKET_ERR_NOT_SELLER,
    MARKET_ERR_LISTING_CLOSED,
    MARKET_ERR_LISTING_EXPIRED,
    MARKET_ERR_EXPIRY_PAST,
    MARKET_ERR_OWN_LISTING,
    MARKET_ERR_ARBITER_IS_SELLER,
    MARKET_ERR_OUT_OF_STOCK,
    MARKET_ERR_PRICE_ABOVE_MAX,
    MARKET_ERR_UNKNOWN_ORDER,
    MARKET_ERR_NOT_BUYER,
    MARKET_ERR_NOT_PARTY,
    MARKET_ERR_NOT_ARBITER,
    MARKET_ERR_BAD_STATE,
    MARKET_ERR_NO_ARBITER,
    MARKET_ERR_SPLIT_TOO_LARGE,
    MARKET_ERR_END_
};

extern const struct plugin market_plugin;

#endif
