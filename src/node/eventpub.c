#include "node/eventpub.h"

#include <stdio.h>
#include <string.h>

#include "consensus/coinbase.h"
#include "consensus/transfer.h"
#include "consensus/txtype.h"
#include "node/chain.h"
#include "node/pluginhost.h"
#include "node/services.h"

const struct args_option eventpub_options[] = {
    {"eventsbuffer", "<n>", "10000",
     "Events (blocks, transactions, messages) the node holds for event clients that "
     "reconnect with Last-Event-ID, and how far a slow client may fall behind before it is "
     "dropped (16 to 1000000; each takes about half a kilobyte).",
     0, "Event options"},
};
const size_t eventpub_options_count = sizeof eventpub_options / sizeof eventpub_options[0];

bool eventpub_bus_new(const struct args *args, struct eventbus **out, char *err, size_t errlen)
{
    int64_t cap;
    if (args_get_int(args, "eventsbuffer", EVENTBUS_DEFAULT_CAPACITY, EVENTBUS_MIN_CAPACITY,
                     EVENTBUS_MAX_CAPACITY, &cap, err, errlen) != ARGS_OK)
        return false;
    *out = eventbus_new((size_t)cap, 0);
    if (*out == NULL) {
        snprintf(err, errlen, "out of memory for %lld events (-eventsbuffer)", (long long)cap);
        return false;
    }
    return true;
}

static void event_key(struct node_event *e, const uint8_t key[32])
{
    for (size_t i = 0; i < e->n_keys; i++)
        if (memcmp(e->keys[i], key, 32) == 0)
            return;
    if (e->n_keys < NODE_EVENT_MAX_KEYS)
        memcpy(e->keys[e->n_keys++], key, 32);
}

/* The plugin that registered the tx's type, when it says who else the tx
 * concerns. */
static const struct plugin *eventpub_owner(const struct pluginhost *host, uint64_t type)
{
    for (size_t i = 0; host != NULL && i < host->n; i++) {
        const struct plugin *p = host->plugins[i];
        for (size_t k = 0; k < p->n_types; k++)
            if (p->types[k]->id == type)
                return p->tx_parties != NULL ? p : NULL;
    }
    return NULL;
}

void eventpub_tx_event(const struct pluginhost *host, struct state_view *v, const struct tx *tx,
                       const uint8_t txid[32], bool confirmed, uint64_t height,
                       struct node_event *e)
{
    memset(e, 0, sizeof *e);
    e->kind = NODE_EVENT_TX;
    memcpy(e->hash, txid, 32);
    e->flag = confirmed;
    e->height = confirmed ? height : 0;
    memcpy(e->object, txid, 32);
    e->has_object = true;
    const struct txtype_def *def = txtype_find(tx->type);
    snprintf(e->type, sizeof e->type, "%s", def != NULL ? def->name : "unknown");
    size_t plen;
    const uint8_t *payload = tx_payload_bytes(tx, &plen);
    if (tx_is_coinbase(tx)) {
        struct coinbase_payload cp;
        if (coinbase_payload_decode(payload, plen, &cp) == SER_OK) {
            e->is_payment = true;
            e->amount = cp.amount;
            memcpy(e->payee, cp.recipient, 32);
            event_key(e, cp.recipient);
        }
        return;
    }
    event_key(e, tx->sender);
    if (tx->type == TX_TYPE_TRANSFER) {
        struct transfer_payload tp;
        if (transfer_payload_decode(payload, plen, &tp) == SER_OK) {
            e->is_payment = true;
            e->amount = tp.amount;
            memcpy(e->payee, tp.to, 32);
            event_key(e, tp.to);
        }
        return;
    }
    if (def == NULL)
        return;
    struct txpayload p;
    txpayload_init(&p);
    if (txpayload_decode_checked(def->fields, def->n_fields, payload, plen, &p) != TXERR_OK) {
        txpayload_clear(&p);
        return;
    }
    uint8_t cps[NODE_EVENT_MAX_KEYS][32];
    size_t n = txtype_counterparties(def, tx, &p, cps, NODE_EVENT_MAX_KEYS);
    for (size_t i = 0; i < n; i++)
        event_key(e, cps[i]);
    const struct plugin *owner = v != NULL ? eventpub_owner(host, tx->type) : NULL;
    n = owner != NULL ? owner->tx_parties(v, tx, &p, cps, NODE_EVENT_MAX_KEYS) : 0;
    for (size_t i = 0; i < n && i < NODE_EVENT_MAX_KEYS; i++)
        event_key(e, cps[i]);
    /* What the tx acts on: its first field when that is an id named after
     * the type's first word (the order_id of an order_accept, the
     * review_id of a review_reply); otherwise the tx creates it (the
     * order_place whose first field is the listing it buys from). */
    size_t word = strcspn(e->type, "_");
    if (def->n_fields > 0 && def->fields[0].kind == TXFIELD_HASH && e->type[word] == '_' &&
        strncmp(def->fields[0].name, e->type, word + 1) == 0 && p.n > 0 && p.v[0].len == 32)
        memcpy(e->object, p.v[0].p, 32);
    txpayload_clear(&p);
}

bool eventpub_deadline_event(const struct pluginhost *host, struct state_view *v, uint8_t owner,
                             const uint8_t *key, size_t klen, uint64_t height,
                             struct node_event *e)
{
    for (size_t i = 0; host != NULL && i < host->n; i++) {
        const struct plugin *p = host->plugins[i];
        for (size_t k = 0; k < p->n_deadlines; k++) {
            if (p->deadlines[k].owner != owner)
                continue;
            memset(e, 0, sizeof *e);
            if (p->deadline_event == NULL || !p->deadline_event(v, owner, key, klen, e))
                return false;
            e->kind = NODE_EVENT_DEADLINE;
            e->flag = true;
            e->height = height;
            e->is_payment = false;
            if (e->n_keys > NODE_EVENT_MAX_KEYS)
                e->n_keys = NODE_EVENT_MAX_KEYS;
            e->type[NODE_EVENT_TYPE_MAX] = '\0';
            return true;
        }
    }
    return false;
}

/* The one node whose chain and mempool are followed (one per process). */
static struct node_ctx *eventpub_node;

/* A view of the state at the tip; the chain lock is held by the caller. */
static void eventpub_view(struct node_ctx *node, struct state_backend *be, struct state_view *v)
{
    chain_tip_backend(services_chain(node), be);
    state_view_init(v, be);
}

static void eventpub_accepted(void *ctx, const struct tx *tx, const uint8_t txid[SHA256_LEN])
{
    struct node_ctx *node = eventpub_node;
    struct state_backend be;
    struct state_view v;
    eventpub_view(node, &be, &v);
    struct node_event e;
    eventpub_tx_event(node->plugins, &v, tx, txid, false, 0, &e);
    state_view_clear(&v);
    eventbus_publish(ctx, &e);
}

static void eventpub_block(struct eventbus *bus, const struct blockindex_entry *be,
                           bool connected)
{
    struct node_event e;
    memset(&e, 0, sizeof e);
    e.kind = NODE_EVENT_BLOCK;
    memcpy(e.hash, be->hash, 32);
    e.height = be->height;
    e.flag = connected;
    eventbus_publish(bus, &e);
}

static void eventpub_connected(void *ctx, const struct block *b, const struct blockindex_entry *be)
{
    struct node_ctx *node = eventpub_node;
    eventpub_block(ctx, be, true);
    struct state_backend sb;
    struct state_view v;
    eventpub_view(node, &sb, &v);
    for (size_t i = 0; i < b->tx_count; i++) {
        uint8_t txid[32];
        tx_txid(&b->txs[i], txid);
        struct node_event e;
        eventpub_tx_event(node->plugins, &v, &b->txs[i], txid, true, be->height, &e);
        eventbus_publish(ctx, &e);
    }
    state_view_clear(&v);
}

static void eventpub_deadline(void *ctx, const struct blockindex_entry *be, uint8_t owner,
                              const uint8_t *key, size_t klen)
{
    struct node_ctx *node = eventpub_node;
    struct state_backend sb;
    struct state_view v;
    eventpub_view(node, &sb, &v);
    struct node_event e;
    if (eventpub_deadline_event(node->plugins, &v, owner, key, klen, be->height, &e))
        eventbus_publish(ctx, &e);
    state_view_clear(&v);
}

static void eventpub_disconnected(void *ctx, const struct block *b,
                                  const struct blockindex_entry *be)
{
    (void)b;
    eventpub_block(ctx, be, false);
}

bool eventpub_start(struct node_ctx *ctx, char *err, size_t errlen)
{
    if (ctx->events == NULL)
        return true;
    /* The bus is the listeners' ctx: what they publish to, and what removes them. */
    struct services_tx_listener tl = {.ctx = ctx->events, .accepted = eventpub_accepted};
    struct chain_listener bl = {.ctx = ctx->events,
                                .connected = eventpub_connected,
                                .disconnected = eventpub_disconnected,
                                .deadline = eventpub_deadline};
    pthread_mutex_lock(&ctx->lock);
    eventpub_node = ctx;
    bool ok = services_add_tx_listener(ctx, &tl) && services_add_block_listener(ctx, &bl);
    if (!ok)
        services_remove_listeners(ctx, ctx->events);
    pthread_mutex_unlock(&ctx->lock);
    if (!ok)
        snprintf(err, errlen, "out of memory following the chain for events");
    return ok;
}

void eventpub_stop(struct node_ctx *ctx)
{
    if (ctx->events == NULL || ctx->services == NULL)
        return;
    pthread_mutex_lock(&ctx->lock);
    services_remove_listeners(ctx, ctx->events);
    pthread_mutex_unlock(&ctx->lock);
}
