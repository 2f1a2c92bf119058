#include "plugins/market/market_events.h"

#include <stdio.h>
#include <string.h>

#include "node/eventbus.h"
#include "plugins/market/market.h"
#include "plugins/market/market_state.h"

static size_t market_put(uint8_t (*out)[32], size_t n, size_t max, const uint8_t key[32])
{
    if (n < max)
        memcpy(out[n++], key, 32);
    return n;
}

size_t market_tx_parties(struct state_view *v, const struct tx *tx, const struct txpayload *p,
                         uint8_t (*out)[32], size_t max)
{
    if (p->n == 0 || p->v[0].len != 32)
        return 0;
    size_t n = 0;
    bool found = false;
    if (tx->type == MARKET_TYPE_ORDER_PLACE) {
        struct market_listing l;
        if (market_listing_get(v, p->v[0].p, &l, &found) == TXERR_OK && found)
            n = market_put(out, n, max, l.seller);
        return n;
    }
    if (tx->type < MARKET_TYPE_ORDER_ACCEPT || tx->type > MARKET_TYPE_ORDER_RESOLVE)
        return 0;
    struct market_order o;
    if (market_order_get(v, p->v[0].p, &o, &found) != TXERR_OK || !found)
        return 0;
    n = market_put(out, n, max, o.buyer);
    n = market_put(out, n, max, o.seller);
    if (o.has_arbiter)
        n = market_put(out, n, max, o.arbiter);
    return n;
}

bool market_deadline_event(struct state_view *v, uint8_t owner, const uint8_t *key, size_t klen,
                           struct node_event *e)
{
    struct market_order o;
    bool found = false;
    if (owner != MARKET_DEADLINE_OWNER || klen != 32 ||
        market_order_get(v, key, &o, &found) != TXERR_OK || !found || !o.timed_out)
        return false;
    snprintf(e->type, sizeof e->type, "order_timeout");
    memcpy(e->object, key, 32);
    e->has_object = true;
    e->n_keys = market_put(e->keys, 0, NODE_EVENT_MAX_KEYS, o.buyer);
    e->n_keys = market_put(e->keys, e->n_keys, NODE_EVENT_MAX_KEYS, o.seller);
    if (o.has_arbiter)
        e->n_keys = market_put(e->keys, e->n_keys, NODE_EVENT_MAX_KEYS, o.arbiter);
    return true;
}
