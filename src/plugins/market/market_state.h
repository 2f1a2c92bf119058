/* market_state: the market plugin's chainstate records and their accessors.
 *
 * Everything the market knows in consensus lives under one chainstate
 * prefix, 'M', with a second byte naming the kind of record:
 *
 *   'M' 'p' || pubkey(32)     -> profile  [name: str, about: str, height]
 *   'M' 'n' || name           -> owner    bin(32)      (a name's one holder)
 *   'M' 'l' || listing_id(32) -> listing  [seller: bin(32), state, price, stock,
 *                                          expires_at_height, created_height,
 *                                          updated_height, title: str,
 *                                          description: str, category: str,
 *                                          media: [bin(32) ...]]
 *   'M' 'o' || order_id(32)   -> order    [listing_id: bin(32), buyer: bin(32),
 *                                          seller: bin(32), arbiter: bin(32)|bin(0),
 *                                          arbiter_fee_bps, quantity, price, total,
 *                                          state, placed_height, state_height,
 *                                          timed_out: 0|1]
 *   'M' 'e'                   -> escrow   uint: the sum of `total` over orders
 *                                          still holding funds (absent when 0)
 *   'M' 't' || pubkey || role -> trades   [orders, completed, cancelled, disputed,
 *                                          refunded, counterparties, first_height,
 *                                          last_height] of a key as buyer (role 0)
 *                                          or seller (role 1)
 *   'M' 'c' || pubkey || role || counterparty(32)
 *                             -> orders   uint: orders between the two, the
 *                                          first one counting a new counterparty
 *
 * A listing's id is the txid of its listing_create, an order's the txid of
 * its order_place. Listings and orders are never deleted (what a later
 * review or a wallet's history points at stays readable); profiles change
 * in place and a rename deletes the old name's record. Pending timeouts
 * are entries of the deadline index (owner MARKET_DEADLINE_OWNER, key =
 * order id), so deadline_find gives the height an order times out at.
 *
 * Readers and writers go through a state view only, so a block's undo data
 * covers every change, a reorg needs no market code and the state hash
 * covers the market. The RPC, search index and wallet code of later
 * increments read these records with the functions below (over
 * plugin_with_tip's view, or a mempool-inclusive one). */
#ifndef SOUK_PLUGINS_MARKET_STATE_H
#define SOUK_PLUGINS_MARKET_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/state.h"
#include "consensus/txerr.h"
#include "util/amount.h"

#define MARKET_PREFIX 'M'
#define MARKET_DEADLINE_OWNER 'M'

enum {
    MARKET_REC_PROFILE = 'p',
    MARKET_REC_NAME = 'n',
    MARKET_REC_LISTING = 'l',
    MARKET_REC_ORDER = 'o',
    MARKET_REC_ESCROW = 'e',
    MARKET_REC_TRADES = 't',
    MARKET_REC_COUNTERPARTY = 'c',
};

/* Field limits (DESIGN.md section 5, doc/market.md). */
#define MARKET_NAME_MIN 3
#define MARKET_NAME_MAX 32
#define MARKET_ABOUT_MAX 1024
#define MARKET_TITLE_MAX 140
#define MARKET_DESCRIPTION_MAX 8192
#define MARKET_CATEGORY_MAX 64
#define MARKET_QUANTITY_MAX 1000000
#define MARKET_MEDIA_MAX 8
#define MARKET_NOTE_MAX 1024
#define MARKET_REASON_MAX 1024
#define MARKET_FEE_BPS_MAX 1000
#define MARKET_NAME_CHARS "abcdefghijklmnopqrstuvwxyz0123456789_-"

enum market_listing_state {
    MARKET_LISTING_ACTIVE = 0,
    MARKET_LISTING_CLOSED = 1,
};

enum market_order_state {
    MARKET_ORDER_PLACED = 0,
    MARKET_ORDER_ACCEPTED,
    MARKET_ORDER_SHIPPED,
    MARKET_ORDER_COMPLETED,
    MARKET_ORDER_CANCELED,
    MARKET_ORDER_DISPUTED,
    MARKET_ORDER_RESOLVED,
    MARKET_ORDER_STATE_COUNT_
};

/* "ACTIVE", "CLOSED"; "PLACED" ... "RESOLVED"; "?" out of range. */
const char *market_listing_state_name(uint64_t state);
const char *market_order_state_name(uint64_t state);
/* Whether an order in this state still holds its total in escrow. */
bool market_order_holds_escrow(uint64_t state);

struct market_profile {
    char name[MARKET_NAME_MAX + 1];
    size_t name_len;
    char about[MARKET_ABOUT_MAX + 1];
    size_t about_len;
    uint64_t height;  /* of the last profile_set */
};

struct market_listing {
    uint8_t seller[32];
    uint64_t state;
    amount_t price;
    uint64_t stock;
    uint64_t expires_at_height;  /* 0: never */
    uint64_t created_height, updated_height;
    char title[MARKET_TITLE_MAX + 1];
    size_t title_len;
    char description[MARKET_DESCRIPTION_MAX + 1];
    size_t description_len;
    char category[MARKET_CATEGORY_MAX + 1];
    size_t category_len;
    uint8_t media[MARKET_MEDIA_MAX][32];
    size_t n_media;
};

struct market_order {
    uint8_t listing_id[32];
    uint8_t buyer[32];
    uint8_t seller[32];
    uint8_t arbiter[32];
    bool has_arbiter;
    uint64_t arbiter_fee_bps;
    uint64_t quantity;
    amount_t price;   /* the listing's price when the order was placed */
    amount_t total;   /* price * quantity: what escrow holds */
    uint64_t state;
    uint64_t placed_height;
    uint64_t state_height;  /* of the last change of state */
    bool timed_out;         /* that change was a timeout, not a party's tx */
};

/* A key's side of its orders. */
enum market_role {
    MARKET_ROLE_BUYER = 0,
    MARKET_ROLE_SELLER = 1,
};

/* What a key's orders came to, in one role: counted as they happen (an
 * order when it is placed, an outcome when it is reached), so a reorg
 * undoes them with the rest of the state. */
enum market_trade_count {
    MARKET_TRADES_ORDERS = 0,  /* orders placed */
    MARKET_TRADES_COMPLETED,   /* paid to the seller, by the buyer or the ship timeout */
    MARKET_TRADES_CANCELLED,   /* by a party, or unaccepted until the timeout */
    MARKET_TRADES_DISPUTED,    /* handed to the arbiter */
    MARKET_TRADES_REFUNDED,    /* a dispute nobody resolved, refunded by its timeout */
    MARKET_TRADES_COUNTERPARTIES, /* distinct keys on the other side */
    MARKET_TRADES_N_
};

struct market_trades {
    uint64_t n[MARKET_TRADES_N_];
    uint64_t first_height, last_height;  /* of the first and latest order placed */
};

/* "orders", "completed", ...: the names the RPC shows. */
const char *market_trade_count_name(enum market_trade_count c);

/* Whether a listing takes no orders at `height` because it expired. */
bool market_listing_expired(const struct market_listing *l, uint64_t height);
/* total * bps / 10000, rounded down, without overflow. */
amount_t market_arbiter_fee(amount_t total, uint64_t bps);

/* Readers: *found says whether the record exists; TXERR_STORAGE on a read
 * failure or a record that does not decode. */
enum txerr market_profile_get(struct state_view *v, const uint8_t pubkey[32],
                              struct market_profile *out, bool *found);
/* The holder of a name. */
enum txerr market_name_owner(struct state_view *v, const char *name, size_t len,
                             uint8_t owner[32], bool *found);
enum txerr market_listing_get(struct state_view *v, const uint8_t id[32],
                              struct market_listing *out, bool *found);
enum txerr market_order_get(struct state_view *v, const uint8_t id[32], struct market_order *out,
                            bool *found);
/* A key's trades in one role (all zero when it has none). */
enum txerr market_trades_get(struct state_view *v, const uint8_t pubkey[32], enum market_role role,
                             struct market_trades *out);
/* The escrow total (0 when the record is absent). */
enum txerr market_escrow_get(struct state_view *v, amount_t *out);

/* Writers (consensus code only; TXERR_STORAGE on failure). */
enum txerr market_profile_put(struct state_view *v, const uint8_t pubkey[32],
                              const struct market_profile *p);
enum txerr market_name_put(struct state_view *v, const char *name, size_t len,
                           const uint8_t owner[32]);
enum txerr market_name_del(struct state_view *v, const char *name, size_t len);
enum txerr market_listing_put(struct state_view *v, const uint8_t id[32],
                              const struct market_listing *l);
enum txerr market_order_put(struct state_view *v, const uint8_t id[32],
                            const struct market_order *o);
/* Adds to / takes from the escrow total (TXERR_STORAGE if it would leave
 * [0, AMOUNT_MAX]: the state is then inconsistent). */
enum txerr market_escrow_add(struct state_view *v, amount_t amount);
/* Counts an order placed at `height` between buyer and seller, for each
 * of them (and a new counterparty on first meeting). */
enum txerr market_trades_order(struct state_view *v, const uint8_t buyer[32],
                               const uint8_t seller[32], uint64_t height);
/* Counts an outcome of an order, for its buyer and its seller. */
enum txerr market_trades_outcome(struct state_view *v, const struct market_order *o,
                                 enum market_trade_count what);
enum txerr market_escrow_sub(struct state_view *v, amount_t amount);

#endif
