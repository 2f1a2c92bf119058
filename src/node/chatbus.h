/* chatbus: how the chat envelopes a node keeps reach its wallets, with
 * neither the chat plugin nor the wallet knowing the other.
 *
 * Layers point down: the plugin and the wallet both sit above the node, so
 * the meeting point is here. The plugin, which checks and stores
 * envelopes, raises chatbus_kept for each new one and registers itself as
 * the store; the wallet manager listens. A listener first says whether it
 * wants an envelope from its sender and recipient alone (a key lookup), and
 * only then takes it (decrypts and records it), so envelopes for nobody
 * here cost one lookup each. The store lets a listener catch up with what
 * arrived while it was not listening: every listener is offered the
 * store's unexpired envelopes when the store appears (the plugins start
 * after the wallets given at start-up), and a wallet loaded later asks for
 * them itself (chatbus_replay).
 *
 * A notification rather than an RPC the plugin calls per wallet: the
 * plugin would have to list the wallets and call each one for every
 * envelope, and a wallet loaded later could not pull what it missed.
 *
 * Thread-safe. Every callback runs with the bus's mutex held, so removing
 * a listener or the store waits for calls in progress, and callbacks run
 * one at a time; a callback must not call back into the bus. The store's
 * replay takes its own locks below the bus's; a listener's take takes the
 * wallet's. Every function accepts a NULL bus (a node without one, unit
 * tests) and then does nothing. Owns nothing but its lists. */
#ifndef SOUK_NODE_CHATBUS_H
#define SOUK_NODE_CHATBUS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct envelope;

/* Whether a listener wants the envelope between these keys. */
typedef bool (*chatbus_want_fn)(void *ctx, const uint8_t sender[32], const uint8_t recipient[32]);
/* Takes a checked envelope it wanted; true when it was a message new to
 * the listener and sent to it by someone else (what -chatnotify reports). */
typedef bool (*chatbus_take_fn)(void *ctx, const uint8_t id[32], const struct envelope *e);

struct chatbus_listener {
    void *ctx;
    chatbus_want_fn want;
    chatbus_take_fn take;
};

struct chatbus_store {
    void *ctx;
    /* Offers each unexpired envelope held to want, and passes those wanted
     * to take. False when reading the store failed. */
    bool (*replay)(void *ctx, chatbus_want_fn want, chatbus_take_fn take, void *arg);
};

#define CHATBUS_MAX_LISTENERS 4

struct chatbus {
    pthread_mutex_t mu;
    struct chatbus_listener listeners[CHATBUS_MAX_LISTENERS];
    size_t n;
    struct chatbus_store store;
    bool has_store;
};

void chatbus_init(struct chatbus *b);
void chatbus_destroy(struct chatbus *b);

/* Adds a listener (offered the store's envelopes at once when a store is
 * set); false when the list is full. */
bool chatbus_add_listener(struct chatbus *b, const struct chatbus_listener *l);
/* Removes the listeners registered with ctx. */
void chatbus_remove_listener(struct chatbus *b, const void *ctx);

/* Sets the store and offers its envelopes to every listener; false when
 * one replay failed (the store stays set). */
bool chatbus_set_store(struct chatbus *b, const struct chatbus_store *s);
void chatbus_clear_store(struct chatbus *b);

/* A checked envelope the store has just added: each listener that wants it
 * takes it. True when one of them reported it new and for itself. */
bool chatbus_kept(struct chatbus *b, const uint8_t id[32], const struct envelope *e);

/* Offers the store's envelopes to want/take with arg (a wallet just
 * loaded). True, doing nothing, without a store; false when the store
 * failed. */
bool chatbus_replay(struct chatbus *b, chatbus_want_fn want, chatbus_take_fn take, void *arg);

#endif
