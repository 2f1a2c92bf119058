/* eventbus: what happened on the node, for clients that follow it live
 * (server-sent events on the RPC port, later the gateway's per-account
 * stream).
 *
 * Publishers — the chain and the mempool (node/eventpub.h), plugins
 * through plugin_publish — hand in a fixed-size struct node_event; the bus
 * stamps it with the next id and keeps it in a ring of the last
 * `capacity` events. Ids increase by one per event and start, at each
 * start-up, from the clock in microseconds, so they keep increasing across
 * restarts and a client's Last-Event-ID from before one is simply old.
 *
 * Readers pull: a subscriber is only woken (its callback, which must be
 * quick and must not call back into the bus: it wakes its own thread),
 * and then reads the events after its cursor that concern its keys. A
 * reader that falls further behind than the ring holds is told so
 * (`missed`) and decides what to do; the bus never waits for a reader, so
 * publishing costs a copy under a mutex whatever the readers do.
 *
 * Thread-safe. Every function accepts a NULL bus (tools, unit tests
 * without one) and then does nothing. Owns the ring. */
#ifndef SOUK_NODE_EVENTBUS_H
#define SOUK_NODE_EVENTBUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/amount.h"

enum node_event_kind {
    NODE_EVENT_BLOCK,    /* a block connected or disconnected: concerns everyone */
    NODE_EVENT_TX,       /* a tx entered the mempool or was confirmed */
    NODE_EVENT_MESSAGE,  /* a chat message was kept */
    NODE_EVENT_DEADLINE, /* scheduled consensus work fell due in a block (an order timed out) */
};

/* Most keys one event concerns: a tx's sender and its counterparties. */
#define NODE_EVENT_MAX_KEYS 10
#define NODE_EVENT_TYPE_MAX 31

struct node_event {
    uint64_t id;                 /* set by the bus */
    enum node_event_kind kind;
    int64_t time;                /* unix seconds, set by the bus */
    uint8_t hash[32];            /* block hash, txid or message id */
    uint64_t height;             /* block: its height; tx: its block's when confirmed */
    bool flag;                   /* block: connected (false: disconnected); tx: confirmed */
    /* TX: the type's name, and the id of what it acts on (its first field
     * when that is an id, else the txid itself); DEADLINE: what the work
     * was ("order_timeout") and what it acted on; MESSAGE: the order the
     * message is about, when any (has_object). */
    char type[NODE_EVENT_TYPE_MAX + 1];
    uint8_t object[32];
    bool has_object;
    /* TX of a transfer or coinbase: what it pays, and to whom. */
    bool is_payment;
    amount_t amount;
    uint8_t payee[32];
    /* Who it concerns: TX sender first (a coinbase has none), then
     * counterparties; DEADLINE the parties of what it acted on; MESSAGE
     * sender, recipient. None for a block. */
    uint8_t keys[NODE_EVENT_MAX_KEYS][32];
    size_t n_keys;
};

#define EVENTBUS_DEFAULT_CAPACITY 10000
#define EVENTBUS_MIN_CAPACITY 16
#define EVENTBUS_MAX_CAPACITY 1000000
#define EVENTBUS_MAX_SUBSCRIBERS 8

struct eventbus;

/* capacity is clamped to [EVENTBUS_MIN_CAPACITY, EVENTBUS_MAX_CAPACITY];
 * first_id 0 means "from the clock". NULL when out of memory. */
struct eventbus *eventbus_new(size_t capacity, uint64_t first_id);
void eventbus_free(struct eventbus *b);

/* Stamps a copy of e with the next id and the time, keeps it, and wakes
 * every subscriber. Returns the id (0 without a bus). */
uint64_t eventbus_publish(struct eventbus *b, const struct node_event *e);

typedef void (*eventbus_wake_fn)(void *ctx);
/* False when the list is full. */
bool eventbus_subscribe(struct eventbus *b, eventbus_wake_fn wake, void *ctx);
/* Removes ctx's subscription; when it returns, wake is not running for it. */
void eventbus_unsubscribe(struct eventbus *b, const void *ctx);

/* The ids held: oldest and newest (both 0 when none was published yet;
 * then *newest + 1 is the next id). */
void eventbus_bounds(struct eventbus *b, uint64_t *oldest, uint64_t *newest);

/* Whether e concerns one of keys (a block concerns everyone). */
bool node_event_concerns(const struct node_event *e, const uint8_t (*keys)[32], size_t n_keys);

/* Copies into out (at most max) the events after *cursor that concern one
 * of keys, looking at no more than EVENTBUS_READ_SCAN events, and moves
 * *cursor to the last one looked at. *missed is true when events after
 * the old cursor had already left the ring (the reading starts at the
 * oldest held). Returns how many were copied. */
#define EVENTBUS_READ_SCAN 4096
size_t eventbus_read(struct eventbus *b, uint64_t *cursor, const uint8_t (*keys)[32],
                     size_t n_keys, struct node_event *out, size_t max, bool *missed);

#endif
