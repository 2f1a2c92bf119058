#include "node/chatbus.h"

#include <string.h>

#include "consensus/envelope.h"

void chatbus_init(struct chatbus *b)
{
    memset(b, 0, sizeof *b);
    pthread_mutex_init(&b->mu, NULL);
}

void chatbus_destroy(struct chatbus *b)
{
    if (b != NULL)
        pthread_mutex_destroy(&b->mu);
}

bool chatbus_add_listener(struct chatbus *b, const struct chatbus_listener *l)
{
    if (b == NULL)
        return true;
    pthread_mutex_lock(&b->mu);
    bool ok = b->n < CHATBUS_MAX_LISTENERS;
    if (ok) {
        b->listeners[b->n++] = *l;
        if (b->has_store)
            b->store.replay(b->store.ctx, l->want, l->take, l->ctx);
    }
    pthread_mutex_unlock(&b->mu);
    return ok;
}

void chatbus_remove_listener(struct chatbus *b, const void *ctx)
{
    if (b == NULL)
        return;
    pthread_mutex_lock(&b->mu);
    size_t kept = 0;
    for (size_t i = 0; i < b->n; i++)
        if (b->listeners[i].ctx != ctx)
            b->listeners[kept++] = b->listeners[i];
    b->n = kept;
    pthread_mutex_unlock(&b->mu);
}

bool chatbus_set_store(struct chatbus *b, const struct chatbus_store *s)
{
    if (b == NULL)
        return true;
    pthread_mutex_lock(&b->mu);
    b->store = *s;
    b->has_store = true;
    bool ok = true;
    for (size_t i = 0; i < b->n; i++)
        ok = b->store.replay(b->store.ctx, b->listeners[i].want, b->listeners[i].take,
                             b->listeners[i].ctx) &&
             ok;
    pthread_mutex_unlock(&b->mu);
    return ok;
}

void chatbus_clear_store(struct chatbus *b)
{
    if (b == NULL)
        return;
    pthread_mutex_lock(&b->mu);
    b->has_store = false;
    memset(&b->store, 0, sizeof b->store);
    pthread_mutex_unlock(&b->mu);
}

bool chatbus_kept(struct chatbus *b, const uint8_t id[32], const struct envelope *e)
{
    if (b == NULL)
        return false;
    bool news = false;
    pthread_mutex_lock(&b->mu);
    for (size_t i = 0; i < b->n; i++) {
        const struct chatbus_listener *l = &b->listeners[i];
        if (l->want(l->ctx, e->sender, e->recipient) && l->take(l->ctx, id, e))
            news = true;
    }
    pthread_mutex_unlock(&b->mu);
    return news;
}

bool chatbus_replay(struct chatbus *b, chatbus_want_fn want, chatbus_take_fn take, void *arg)
{
    if (b == NULL)
        return true;
    pthread_mutex_lock(&b->mu);
    bool ok = !b->has_store || b->store.replay(b->store.ctx, want, take, arg);
    pthread_mutex_unlock(&b->mu);
    return ok;
}
