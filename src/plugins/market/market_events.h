/* market_events: who a market transaction concerns beyond its sender and
 * payload, for event clients (node/eventbus.h): the seller an order_place
 * buys from, and an order's buyer, seller and arbiter for each later step;
 * and an order's timeout, which no transaction carries. Reads the state
 * only. */
#ifndef SOUK_PLUGINS_MARKET_EVENTS_H
#define SOUK_PLUGINS_MARKET_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/state.h"
#include "consensus/tx.h"
#include "consensus/txfield.h"

struct node_event;

/* struct plugin's deadline_event: an order that timed out is an
 * "order_timeout" event on the order for its buyer, seller and arbiter. */
bool market_deadline_event(struct state_view *v, uint8_t owner, const uint8_t *key, size_t klen,
                           struct node_event *e);

/* struct plugin's tx_parties. */
size_t market_tx_parties(struct state_view *v, const struct tx *tx, const struct txpayload *p,
                         uint8_t (*out)[32], size_t max);

#endif
