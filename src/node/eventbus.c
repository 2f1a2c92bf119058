#include "node/eventbus.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "util/time.h"

struct eventbus_sub {
    eventbus_wake_fn wake;
    void *ctx;
};

struct eventbus {
    pthread_mutex_t mu;
    struct node_event *ring;
    size_t cap;
    uint64_t first_id;  /* the id of the first event ever published */
    uint64_t next_id;
    /* Wakes run under their own mutex, outside mu, so a subscriber's wake
     * never delays a reader, and unsubscribing waits for a wake running. */
    pthread_mutex_t sub_mu;
    struct eventbus_sub subs[EVENTBUS_MAX_SUBSCRIBERS];
    size_t n_subs;
};

struct eventbus *eventbus_new(size_t capacity, uint64_t first_id)
{
    if (capacity < EVENTBUS_MIN_CAPACITY)
        capacity = EVENTBUS_MIN_CAPACITY;
    if (capacity > EVENTBUS_MAX_CAPACITY)
        capacity = EVENTBUS_MAX_CAPACITY;
    struct eventbus *b = calloc(1, sizeof *b);
    struct node_event *ring = calloc(capacity, sizeof *ring);
    if (b == NULL || ring == NULL) {
        free(b);
        free(ring);
        return NULL;
    }
    if (first_id == 0) {
        struct timeval tv;
        gettimeofday(&tv, NULL);
        first_id = (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
        if (first_id == 0)
            first_id = 1;
    }
    b->ring = ring;
    b->cap = capacity;
    b->first_id = b->next_id = first_id;
    pthread_mutex_init(&b->mu, NULL);
    pthread_mutex_init(&b->sub_mu, NULL);
    return b;
}

void eventbus_free(struct eventbus *b)
{
    if (b == NULL)
        return;
    pthread_mutex_destroy(&b->mu);
    pthread_mutex_destroy(&b->sub_mu);
    free(b->ring);
    free(b);
}

uint64_t eventbus_publish(struct eventbus *b, const struct node_event *e)
{
    if (b == NULL)
        return 0;
    pthread_mutex_lock(&b->mu);
    uint64_t id = b->next_id++;
    struct node_event *slot = &b->ring[(id - b->first_id) % b->cap];
    *slot = *e;
    slot->id = id;
    slot->time = time_now();
    if (slot->n_keys > NODE_EVENT_MAX_KEYS)
        slot->n_keys = NODE_EVENT_MAX_KEYS;
    pthread_mutex_unlock(&b->mu);
    pthread_mutex_lock(&b->sub_mu);
    for (size_t i = 0; i < b->n_subs; i++)
        b->subs[i].wake(b->subs[i].ctx);
    pthread_mutex_unlock(&b->sub_mu);
    return id;
}

bool eventbus_subscribe(struct eventbus *b, eventbus_wake_fn wake, void *ctx)
{
    if (b == NULL)
        return false;
    pthread_mutex_lock(&b->sub_mu);
    bool ok = b->n_subs < EVENTBUS_MAX_SUBSCRIBERS;
    if (ok)
        b->subs[b->n_subs++] = (struct eventbus_sub){wake, ctx};
    pthread_mutex_unlock(&b->sub_mu);
    return ok;
}

void eventbus_unsubscribe(struct eventbus *b, const void *ctx)
{
    if (b == NULL)
        return;
    pthread_mutex_lock(&b->sub_mu);
    size_t k = 0;
    for (size_t i = 0; i < b->n_subs; i++)
        if (b->subs[i].ctx != ctx)
            b->subs[k++] = b->subs[i];
    b->n_subs = k;
    pthread_mutex_unlock(&b->sub_mu);
}

/* Under mu: the oldest id held (next_id when none). */
static uint64_t eventbus_oldest_locked(const struct eventbus *b)
{
    uint64_t held = b->next_id - b->first_id;
    return held > b->cap ? b->next_id - b->cap : b->first_id;
}

void eventbus_bounds(struct eventbus *b, uint64_t *oldest, uint64_t *newest)
{
    *oldest = *newest = 0;
    if (b == NULL)
        return;
    pthread_mutex_lock(&b->mu);
    if (b->next_id > b->first_id)
        *oldest = eventbus_oldest_locked(b);
    *newest = b->next_id - 1;
    pthread_mutex_unlock(&b->mu);
}

bool node_event_concerns(const struct node_event *e, const uint8_t (*keys)[32], size_t n_keys)
{
    if (e->kind == NODE_EVENT_BLOCK)
        return true;
    for (size_t i = 0; i < e->n_keys; i++)
        for (size_t k = 0; k < n_keys; k++)
            if (memcmp(e->keys[i], keys[k], 32) == 0)
                return true;
    return false;
}

size_t eventbus_read(struct eventbus *b, uint64_t *cursor, const uint8_t (*keys)[32],
                     size_t n_keys, struct node_event *out, size_t max, bool *missed)
{
    *missed = false;
    if (b == NULL)
        return 0;
    size_t n = 0;
    pthread_mutex_lock(&b->mu);
    uint64_t oldest = eventbus_oldest_locked(b);
    uint64_t id = *cursor + 1;
    if (id < oldest) {
        /* Gone from the ring, or from before a restart: either way what
         * happened after it is not all here. */
        *missed = true;
        id = oldest;
    }
    for (size_t scanned = 0; id < b->next_id && scanned < EVENTBUS_READ_SCAN && n < max;
         id++, scanned++) {
        const struct node_event *e = &b->ring[(id - b->first_id) % b->cap];
        if (node_event_concerns(e, keys, n_keys))
            out[n++] = *e;
    }
    if (id - 1 > *cursor || *missed)
        *cursor = id - 1;
    pthread_mutex_unlock(&b->mu);
    return n;
}
