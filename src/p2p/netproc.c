#include "p2p/netproc.h"

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "consensus/chainparams.h"
#include "crypto/random.h"
#include "node/services.h"
#include "p2p/net.h"
#include "p2p/peer.h"
#include "util/grow.h"
#include "util/log.h"
#include "util/time.h"

struct p2p_orphan {
    uint8_t txid[32];
    struct tx tx;
    uint64_t peer_id;
    int64_t expires; /* monotonic seconds */
};

static int64_t mono_now(void) { return time_mono_us() / 1000000; }

static uint64_t rand_u64(void)
{
    uint64_t v = 0;
    random_bytes(&v, sizeof v);
    return v;
}

bool netproc_init(struct p2p_net *net)
{
    keymap_init(&net->block_reqs, offsetof(struct p2p_block_req, hash));
    keymap_init(&net->tx_reqs, offsetof(struct p2p_tx_req, txid));
    net->orphans = calloc(P2P_MAX_ORPHANS, sizeof *net->orphans);
    if (net->orphans == NULL)
        return false;
    for (size_t i = 0; i < P2P_MAX_ORPHANS; i++)
        tx_init(&net->orphans[i].tx);
    if (!p2p_invset_init(&net->recent_rejects))
        return false;
    net->tx_delay_us = net->ctx->params->network == CHAIN_REGTEST ? 100000 : 2000000;
    net->window_stall_timeout_us = P2P_WINDOW_STALL_US;
    return true;
}

void netproc_clear(struct p2p_net *net)
{
    for (size_t i = 0; i < net->block_reqs.cap; i++)
        free(net->block_reqs.slots[i]);
    keymap_clear(&net->block_reqs);
    for (size_t i = 0; i < net->tx_reqs.cap; i++)
        free(net->tx_reqs.slots[i]);
    keymap_clear(&net->tx_reqs);
    if (net->orphans != NULL)
        for (size_t i = 0; i < P2P_MAX_ORPHANS; i++)
            tx_clear(&net->orphans[i].tx);
    free(net->orphans);
    net->orphans = NULL;
    p2p_invset_clear(&net->recent_rejects);
}

/* ------------------------------------------------------------ handshake */

static void w_version(struct ser_writer *w, const void *arg) { p2p_write_version(w, arg); }
static void w_empty(struct ser_writer *w, const void *arg)
{
    (void)arg;
    p2p_write_empty(w);
}
static void w_nonce(struct ser_writer *w, const void *arg)
{
    p2p_write_nonce(w, *(const uint64_t *)arg);
}

struct inv_list {
    const struct p2p_inv *v;
    size_t n;
};
static void w_invs(struct ser_writer *w, const void *arg)
{
    const struct inv_list *l = arg;
    p2p_write_invs(w, l->v, l->n);
}

struct addr_list {
    const struct p2p_addr *v;
    size_t n;
};
static void w_addrs(struct ser_writer *w, const void *arg)
{
    const struct addr_list *l = arg;
    p2p_write_addrs(w, l->v, l->n);
}

static void send_invs(struct p2p_peer *peer, const char *command, const struct p2p_inv *v,
                      size_t n)
{
    for (size_t off = 0; off < n; off += P2P_MAX_INV) {
        struct inv_list l = {v + off, n - off > P2P_MAX_INV ? P2P_MAX_INV : n - off};
        p2p_peer_send_msg(peer, command, w_invs, &l);
    }
}

static void send_version(struct p2p_peer *peer)
{
    struct p2p_net *net = peer->net;
    struct p2p_version v;
    memset(&v, 0, sizeof v);
    v.version = P2P_PROTOCOL_VERSION;
    v.services = P2P_NODE_NETWORK;
    pthread_mutex_lock(&net->ctx->lock);
    v.best_height = chain_tip(services_chain(net->ctx))->height;
    pthread_mutex_unlock(&net->ctx->lock);
    strcpy(v.user_agent, P2P_USER_AGENT);
    v.nonce = peer->local_nonce;
    v.timestamp = (uint64_t)time_now();
    v.listen_port = net->listening ? net->port : 0;
    peer->version_sent = true;
    p2p_peer_send_msg(peer, "version", w_version, &v);
}

void netproc_peer_connected(struct p2p_peer *peer)
{
    if (peer->type != P2P_CONN_INBOUND)
        send_version(peer);
}

static void handshake_done(struct p2p_peer *peer)
{
    struct p2p_net *net = peer->net;
    peer->handshake_done = true;
    LOG_INFO(LOG_CAT_NET, "new %s peer=%llu %s version %llu %s height %llu",
             peer->type == P2P_CONN_INBOUND ? "inbound" : "outbound",
             (unsigned long long)peer->id, peer->addr_str,
             (unsigned long long)peer->their.version, peer->their.user_agent,
             (unsigned long long)peer->their.best_height);
    p2p_peer_send_msg(peer, "sendheaders", w_empty, NULL);
    if (peer->type != P2P_CONN_INBOUND) {
        addrman_good(net->addrman, &peer->ip, peer->port);
        addrman_set_services(net->addrman, &peer->ip, peer->port, peer->their.services);
        if (peer->type == P2P_CONN_SEED || addrman_size(net->addrman) < 1000) {
            p2p_peer_send_msg(peer, "getaddr", w_empty, NULL);
            peer->addr_tokens += ADDRMAN_GETADDR_MAX;
        }
    }
    peer->plugin_tokens = P2P_PLUGIN_BURST;
    peer->plugin_token_us = time_mono_us();
    peer->inv_sync_active = true;
    sync_handshake_done(peer);
}

static void on_version(struct p2p_peer *peer, struct p2p_payload *p)
{
    struct p2p_net *net = peer->net;
    if (peer->version_received) {
        p2p_peer_misbehave(peer, 10, "duplicate version");
        return;
    }
    if (p->version.version < P2P_MIN_PROTOCOL_VERSION) {
        p2p_peer_disconnect(peer, "protocol version too old");
        return;
    }
    for (size_t i = 0; i < net->n_peers; i++) {
        if (net->peers[i]->local_nonce == p->version.nonce &&
            net->peers[i]->type != P2P_CONN_INBOUND) {
            LOG_INFO(LOG_CAT_NET, "connected to self at %s, disconnecting", peer->addr_str);
            p2p_peer_disconnect(peer, "connected to self");
            p2p_peer_disconnect(net->peers[i], "connected to self");
            return;
        }
    }
    peer->their = p->version;
    peer->version_received = true;
    if (!peer->version_sent)
        send_version(peer);
    p2p_peer_send_msg(peer, "verack", w_empty, NULL);
    if (peer->type == P2P_CONN_INBOUND && p->version.listen_port != 0) {
        struct addrman_addr a = {.ip = peer->ip, .port = p->version.listen_port,
                                 .services = p->version.services, .time = time_now()};
        addrman_add(net->addrman, &a, 1, &peer->ip, 0);
    }
    if (peer->verack_received)
        handshake_done(peer);
}

static void on_verack(struct p2p_peer *peer, struct p2p_payload *p)
{
    (void)p;
    if (peer->verack_received)
        return;
    peer->verack_received = true;
    if (peer->version_received)
        handshake_done(peer);
}

static void on_ping(struct p2p_peer *peer, struct p2p_payload *p)
{
    p2p_peer_send_msg(peer, "pong", w_nonce, &p->nonce);
}

static void on_pong(struct p2p_peer *peer, struct p2p_payload *p)
{
    if (peer->ping_nonce == 0 || p->nonce != peer->ping_nonce)
        return;
    peer->ping_rtt_us = time_mono_us() - peer->ping_start_us;
    if (peer->min_ping_us < 0 || peer->ping_rtt_us < peer->min_ping_us)
        peer->min_ping_us = peer->ping_rtt_us;
    peer->ping_nonce = 0;
}

/* ------------------------------------------------------------ addresses */

static void on_getaddr(struct p2p_peer *peer, struct p2p_payload *p)
{
    (void)p;
    /* Only inbound peers, once: an outbound peer asking would let whoever
     * we connect to map our address table. */
    if (peer->type != P2P_CONN_INBOUND || peer->getaddr_answered)
        return;
    peer->getaddr_answered = true;
    struct addrman_addr *a = calloc(ADDRMAN_GETADDR_MAX, sizeof *a);
    struct p2p_addr *out = calloc(ADDRMAN_GETADDR_MAX, sizeof *out);
    if (a != NULL && out != NULL) {
        size_t n = addrman_get_addr(peer->net->addrman, a, ADDRMAN_GETADDR_MAX,
                                    ADDRMAN_GETADDR_MAX_PCT);
        for (size_t i = 0; i < n; i++) {
            out[i].time = a[i].time > 0 ? (uint64_t)a[i].time : 0;
            out[i].services = a[i].services;
            memcpy(out[i].ip, a[i].ip.ip, 16);
            out[i].port = a[i].port;
        }
        struct addr_list l = {out, n};
        p2p_peer_send_msg(peer, "addr", w_addrs, &l);
    }
    free(a);
    free(out);
}

static void queue_addr_relay(struct p2p_net *net, struct p2p_peer *from, const struct p2p_addr *a)
{
    /* Two random usable peers other than the source. */
    size_t n = 0;
    struct p2p_peer *cand[2] = {NULL, NULL};
    uint64_t keys[2] = {0, 0};
    for (size_t i = 0; i < net->n_peers; i++) {
        struct p2p_peer *p = net->peers[i];
        if (p == from || !p2p_peer_usable(p))
            continue;
        uint64_t k = rand_u64();
        if (n < 2) {
            cand[n] = p;
            keys[n++] = k;
        } else {
            int lo = keys[0] < keys[1] ? 0 : 1;
            if (k > keys[lo]) {
                cand[lo] = p;
                keys[lo] = k;
            }
        }
    }
    for (size_t i = 0; i < n; i++) {
        struct p2p_peer *p = cand[i];
        if (p->n_addr_queue >= P2P_MAX_ADDR_QUEUE)
            continue;
        if (p->addr_queue == NULL &&
            (p->addr_queue = calloc(P2P_MAX_ADDR_QUEUE, sizeof *p->addr_queue)) == NULL)
            continue;
        p->addr_queue[p->n_addr_queue++] = *a;
    }
}

static void on_addr(struct p2p_peer *peer, struct p2p_payload *p)
{
    struct p2p_net *net = peer->net;
    int64_t now = mono_now(), wall = time_now();
    /* Token bucket: 0.1 address per second, at most 1,000 saved up. */
    peer->addr_tokens += (double)(now - peer->addr_token_time) * 0.1;
    if (peer->addr_tokens > ADDRMAN_GETADDR_MAX)
        peer->addr_tokens = ADDRMAN_GETADDR_MAX;
    peer->addr_token_time = now;
    struct addrman_addr *a = calloc(p->n_addrs ? p->n_addrs : 1, sizeof *a);
    if (a == NULL)
        return;
    size_t k = 0;
    for (size_t i = 0; i < p->n_addrs; i++) {
        if (peer->addr_tokens < 1)
            break;
        peer->addr_tokens -= 1;
        memcpy(a[k].ip.ip, p->addrs[i].ip, 16);
        a[k].port = p->addrs[i].port;
        a[k].services = p->addrs[i].services;
        a[k].time = p->addrs[i].time > INT64_MAX ? 0 : (int64_t)p->addrs[i].time;
        /* Fresh news of few addresses travels on; bulk replies do not. */
        if (p->n_addrs <= 10 && a[k].time > wall - 600 && a[k].time <= wall + 600)
            queue_addr_relay(net, peer, &p->addrs[i]);
        k++;
    }
    if (k > 0)
        addrman_add(net->addrman, a, k, &peer->ip, ADDRMAN_RELAY_PENALTY_SECS);
    free(a);
    if (peer->type == P2P_CONN_SEED)
        p2p_peer_disconnect(peer, "addresses fetched");
}

/* ------------------------------------------------------------ inventory */

static const struct p2p_inv_handler *find_handler(struct p2p_net *net, uint32_t type)
{
    for (size_t i = 0; i < net->n_inv_handlers; i++)
        if (net->inv_handlers[i].type == type)
            return &net->inv_handlers[i];
    return NULL;
}

static bool orphan_has(struct p2p_net *net, const uint8_t txid[32])
{
    for (size_t i = 0; i < net->n_orphans; i++)
        if (memcmp(net->orphans[i].txid, txid, 32) == 0)
            return true;
    return false;
}

static void tx_req_add_alt(struct p2p_tx_req *r, const struct p2p_peer *peer)
{
    if (r->peer == peer || r->n_alt == P2P_TX_REQ_ALTS)
        return;
    for (size_t i = 0; i < r->n_alt; i++)
        if (r->alt[i] == peer->id)
            return;
    r->alt[r->n_alt++] = peer->id;
}

static struct p2p_peer *find_peer_id(struct p2p_net *net, uint64_t id)
{
    for (size_t i = 0; i < net->n_peers; i++)
        if (net->peers[i]->id == id)
            return net->peers[i];
    return NULL;
}

/* A request that ended without the tx: asks the next peer that announced
 * it and can take another request. False when nobody is left (or the tx
 * arrived, or was refused, meanwhile): the caller then drops the request. */
static bool tx_req_move(struct p2p_net *net, struct p2p_tx_req *r, int64_t now)
{
    if (r->peer->n_tx_in_flight > 0)
        r->peer->n_tx_in_flight--;
    pthread_mutex_lock(&net->ctx->lock);
    bool have = orphan_has(net, r->txid) || p2p_invset_has(&net->recent_rejects, r->txid) ||
                mempool_find(services_mempool(net->ctx), r->txid) != NULL;
    pthread_mutex_unlock(&net->ctx->lock);
    while (!have && r->n_alt > 0) {
        struct p2p_peer *p = find_peer_id(net, r->alt[0]);
        memmove(r->alt, r->alt + 1, --r->n_alt * sizeof *r->alt);
        if (p == NULL || !p2p_peer_usable(p) || p->n_tx_in_flight >= P2P_MAX_TX_IN_FLIGHT)
            continue;
        r->peer = p;
        r->time = now;
        p->n_tx_in_flight++;
        struct p2p_inv inv = {P2P_INV_TX, {0}};
        memcpy(inv.hash, r->txid, 32);
        send_invs(p, "getdata", &inv, 1);
        return true;
    }
    return false;
}

static void on_inv(struct p2p_peer *peer, struct p2p_payload *p)
{
    struct p2p_net *net = peer->net;
    struct p2p_inv *want = calloc(p->n_invs ? p->n_invs : 1, sizeof *want);
    if (want == NULL)
        return;
    size_t n = 0;
    int64_t now = mono_now();
    bool unknown_block = false;
    pthread_mutex_lock(&net->ctx->lock);
    for (size_t i = 0; i < p->n_invs; i++) {
        const struct p2p_inv *it = &p->invs[i];
        if (it->type == P2P_INV_TX) {
            p2p_invset_add(&peer->known, it->hash);
            struct p2p_tx_req *r = keymap_find(&net->tx_reqs, it->hash);
            if (r != NULL) {
                tx_req_add_alt(r, peer);
                continue;
            }
            /* Refused at this tip already: asking for it again would only
             * earn the same verdict (Bitcoin Core's recent rejects). */
            if (peer->n_tx_in_flight >= P2P_MAX_TX_IN_FLIGHT || orphan_has(net, it->hash) ||
                p2p_invset_has(&net->recent_rejects, it->hash) ||
                mempool_find(services_mempool(net->ctx), it->hash) != NULL ||
                !keymap_reserve(&net->tx_reqs, net->tx_reqs.count + 1))
                continue;
            if ((r = calloc(1, sizeof *r)) == NULL)
                continue;
            memcpy(r->txid, it->hash, 32);
            r->peer = peer;
            r->time = now;
            keymap_insert(&net->tx_reqs, r);
            peer->n_tx_in_flight++;
            want[n++] = *it;
        } else if (it->type == P2P_INV_BLOCK) {
            p2p_invset_add(&peer->known, it->hash);
            if (sync_block_announced(peer, it->hash))
                unknown_block = true;
        } else {
            const struct p2p_inv_handler *h = find_handler(net, it->type);
            if (h == NULL)
                continue;
            p2p_invset_add(&peer->known, it->hash);
            if (h->have == NULL || !h->have(h->ctx, it->hash)) {
                want[n++] = *it;
                peer->plugin_in_flight++;
            }
        }
    }
    if (unknown_block)
        sync_send_getheaders(peer, NULL);
    pthread_mutex_unlock(&net->ctx->lock);
    if (n > 0)
        send_invs(peer, "getdata", want, n);
    free(want);
}

static void on_getdata(struct p2p_peer *peer, struct p2p_payload *p)
{
    size_t pending = peer->n_getdata - peer->getdata_head;
    size_t room = P2P_MAX_GETDATA_QUEUE - pending;
    size_t n = p->n_invs < room ? p->n_invs : room;
    if (n < p->n_invs)
        LOG_DEBUG(LOG_CAT_NET, "peer=%llu getdata queue full, %zu items dropped",
                  (unsigned long long)peer->id, p->n_invs - n);
    if (peer->getdata_head > 0) {
        memmove(peer->getdata, peer->getdata + peer->getdata_head,
                pending * sizeof *peer->getdata);
        peer->n_getdata = pending;
        peer->getdata_head = 0;
    }
    if (peer->n_getdata + n > peer->cap_getdata) {
        void *q = realloc(peer->getdata, (peer->n_getdata + n) * sizeof *peer->getdata);
        if (q == NULL)
            return;
        peer->getdata = q;
        peer->cap_getdata = peer->n_getdata + n;
    }
    memcpy(peer->getdata + peer->n_getdata, p->invs, n * sizeof *p->invs);
    peer->n_getdata += n;
    netproc_serve(peer);
}

struct raw_payload {
    const uint8_t *p;
    size_t len;
};
static void w_raw(struct ser_writer *w, const void *arg)
{
    const struct raw_payload *r = arg;
    ser_write_raw(w, r->p, r->len);
}
static void w_tx(struct ser_writer *w, const void *arg) { tx_write(w, arg); }

struct plugin_get {
    const struct p2p_inv_handler *h;
    const uint8_t *hash;
    bool ok;
};
static void w_plugin(struct ser_writer *w, const void *arg)
{
    struct plugin_get *g = (struct plugin_get *)arg;
    g->ok = g->h->get(g->h->ctx, g->hash, w);
}

/* One getdata item; false when it is not available. */
static bool serve_item(struct p2p_peer *peer, const struct p2p_inv *it)
{
    struct p2p_net *net = peer->net;
    struct node_ctx *ctx = net->ctx;
    bool ok = false;
    if (it->type == P2P_INV_TX) {
        struct tx tx;
        tx_init(&tx);
        pthread_mutex_lock(&ctx->lock);
        ok = mempool_get(services_mempool(ctx), it->hash, &tx, NULL);
        pthread_mutex_unlock(&ctx->lock);
        if (ok) {
            p2p_invset_add(&peer->known, it->hash);
            p2p_peer_send_msg(peer, "tx", w_tx, &tx);
        }
        tx_clear(&tx);
    } else if (it->type == P2P_INV_BLOCK) {
        struct buf b;
        buf_init(&b);
        char err[256];
        pthread_mutex_lock(&ctx->lock);
        struct chain *c = services_chain(ctx);
        struct blockindex_entry *e = blockindex_find(chain_index(c), it->hash);
        ok = e != NULL && (e->status & BLOCK_HAVE_DATA) && !(e->status & BLOCK_FAILED_MASK) &&
             chain_read_block_bytes(c, e, &b, err, sizeof err);
        pthread_mutex_unlock(&ctx->lock);
        if (ok) {
            struct raw_payload r = {b.data, b.len};
            p2p_peer_send_msg(peer, "block", w_raw, &r);
        }
        buf_clear(&b);
    } else {
        const struct p2p_inv_handler *h = find_handler(net, it->type);
        if (h != NULL && h->get != NULL) {
            struct plugin_get g = {h, it->hash, false};
            struct buf b;
            struct ser_writer w;
            size_t start;
            buf_init(&b);
            p2p_msg_begin(&w, &b, h->command, &start);
            w_plugin(&w, &g);
            ok = g.ok && p2p_msg_finish(&w, &b, start, net->magic) && p2p_peer_send(peer, &b);
            buf_clear(&b);
        }
    }
    return ok;
}

void netproc_serve(struct p2p_peer *peer)
{
    if (peer->getdata_head >= peer->n_getdata)
        return;
    struct p2p_inv *missing = NULL;
    size_t n_missing = 0;
    while (peer->getdata_head < peer->n_getdata && !peer->disconnect &&
           p2p_peer_send_queued(peer) < P2P_SEND_LIMIT) {
        const struct p2p_inv *it = &peer->getdata[peer->getdata_head++];
        if (serve_item(peer, it))
            continue;
        if (missing == NULL &&
            (missing = calloc(peer->n_getdata - peer->getdata_head + 1, sizeof *missing)) ==
                NULL)
            continue;
        missing[n_missing++] = *it;
    }
    if (n_missing > 0)
        send_invs(peer, "notfound", missing, n_missing);
    free(missing);
    if (peer->getdata_head >= peer->n_getdata)
        peer->getdata_head = peer->n_getdata = 0;
}

/* The tx arrived: its request from this peer is done. True when it was
 * requested from this peer. */
static bool drop_tx_req(struct p2p_net *net, struct p2p_peer *peer, const uint8_t txid[32])
{
    struct p2p_tx_req *r = keymap_find(&net->tx_reqs, txid);
    if (r == NULL || r->peer != peer)
        return false;
    keymap_remove(&net->tx_reqs, txid);
    free(r);
    if (peer->n_tx_in_flight > 0)
        peer->n_tx_in_flight--;
    return true;
}

static void on_notfound(struct p2p_peer *peer, struct p2p_payload *p)
{
    struct p2p_net *net = peer->net;
    int64_t now = mono_now();
    for (size_t i = 0; i < p->n_invs; i++) {
        /* A plugin object asked for and not had is an answer too: the
         * allowance it held for the object ends (never below zero, so a
         * peer's notfound only ever shrinks its own). */
        if (p->invs[i].type != P2P_INV_TX && p->invs[i].type != P2P_INV_BLOCK &&
            find_handler(net, p->invs[i].type) != NULL && peer->plugin_in_flight > 0)
            peer->plugin_in_flight--;
        if (p->invs[i].type != P2P_INV_TX)
            continue;
        struct p2p_tx_req *r = keymap_find(&net->tx_reqs, p->invs[i].hash);
        if (r == NULL || r->peer != peer || tx_req_move(net, r, now))
            continue;
        keymap_remove(&net->tx_reqs, r->txid);
        free(r);
    }
}

/* ------------------------------------------------------------ transactions */

/* Only a rule the sender broke is misbehaviour. A conflict with the
 * current state (a race, a parent not seen yet) or a type this node does
 * not know is what honest peers relay too (doc/protocol.md). */
static bool tx_err_is_misbehaviour(enum mempool_err me, const struct mempool_accept_info *info)
{
    return me == MEMPOOL_ERR_TX && txerr_class(info->txerr) == TXCLASS_INVALID;
}

/* Kept as orphans: refusals a later tx or block can cure. A nonce already
 * used is a state conflict too, but only a reorg could cure it. */
static bool tx_err_is_orphan(enum mempool_err me, const struct mempool_accept_info *info)
{
    return me == MEMPOOL_ERR_TOO_MANY_PENDING || me == MEMPOOL_ERR_FUTURES_FULL ||
           (me == MEMPOOL_ERR_TX && txerr_class(info->txerr) == TXCLASS_STATE &&
            info->txerr != TXERR_BAD_NONCE);
}

static void orphan_remove(struct p2p_net *net, size_t i)
{
    struct p2p_orphan tmp = net->orphans[i];
    net->orphans[i] = net->orphans[net->n_orphans - 1];
    net->orphans[net->n_orphans - 1] = tmp;
    tx_clear(&net->orphans[net->n_orphans - 1].tx);
    net->n_orphans--;
}

/* A random orphan of the peer that holds the most (the pool is full). */
static size_t orphan_pick_victim(const struct p2p_net *net)
{
    uint64_t top = 0;
    size_t top_count = 0;
    for (size_t i = 0; i < net->n_orphans; i++) {
        size_t c = 0;
        for (size_t k = 0; k < net->n_orphans; k++)
            c += net->orphans[k].peer_id == net->orphans[i].peer_id;
        if (c > top_count) {
            top_count = c;
            top = net->orphans[i].peer_id;
        }
    }
    size_t pick = (size_t)(rand_u64() % top_count);
    for (size_t i = 0; i < net->n_orphans; i++)
        if (net->orphans[i].peer_id == top && pick-- == 0)
            return i;
    return 0;
}

static void orphan_add(struct p2p_net *net, const struct tx *tx, const uint8_t txid[32],
                       uint64_t peer_id)
{
    if (orphan_has(net, txid))
        return;
    /* Room is made at the expense of whoever holds the most: a peer at its
     * share loses its own oldest orphan, and a full pool loses one of the
     * orphans of the peer with the most, so one peer flooding orphans can
     * never push out another's. */
    size_t mine = 0, oldest = SIZE_MAX;
    for (size_t i = 0; i < net->n_orphans; i++)
        if (net->orphans[i].peer_id == peer_id) {
            mine++;
            if (oldest == SIZE_MAX || net->orphans[i].expires < net->orphans[oldest].expires)
                oldest = i;
        }
    if (mine >= P2P_MAX_ORPHANS_PER_PEER)
        orphan_remove(net, oldest);
    else if (net->n_orphans == P2P_MAX_ORPHANS)
        orphan_remove(net, orphan_pick_victim(net));
    struct p2p_orphan *o = &net->orphans[net->n_orphans];
    if (!tx_copy(&o->tx, tx))
        return;
    memcpy(o->txid, txid, 32);
    o->peer_id = peer_id;
    o->expires = mono_now() + P2P_ORPHAN_EXPIRY_SECS;
    net->n_orphans++;
    LOG_DEBUG(LOG_CAT_MEMPOOL, "orphan tx kept (%zu in the pool)", net->n_orphans);
}

/* Retries the orphans of one sender (NULL: all) until a pass adds
 * nothing. The mempool judges funds by the tip alone, so a new tip can cure
 * any orphan but an accepted tx only its sender's (the nonce gap it fills):
 * retrying all after every tx would verify up to the whole pool's
 * signatures once per relayed tx. Chain lock held. */
static void orphans_retry(struct p2p_net *net, const uint8_t *sender)
{
    bool progress = true;
    int64_t now = mono_now();
    while (progress && net->n_orphans > 0) {
        progress = false;
        for (size_t i = 0; i < net->n_orphans;) {
            struct p2p_orphan *o = &net->orphans[i];
            if (sender != NULL && memcmp(o->tx.sender, sender, TX_SENDER_LEN) != 0 &&
                o->expires >= now) {
                i++;
                continue;
            }
            struct mempool_accept_info info;
            memset(&info, 0, sizeof info);
            enum mempool_err me = o->expires < now ? MEMPOOL_ERR_TX
                                                   : services_accept_tx(net->ctx, &o->tx, &info);
            if (me == MEMPOOL_OK)
                progress = true;
            if (me == MEMPOOL_OK || !tx_err_is_orphan(me, &info))
                orphan_remove(net, i);
            else
                i++;
        }
    }
}

static void on_tx(struct p2p_peer *peer, struct p2p_payload *p)
{
    struct p2p_net *net = peer->net;
    uint8_t txid[32];
    tx_txid(&p->tx, txid);
    bool requested = drop_tx_req(net, peer, txid);
    p2p_invset_add(&peer->known, txid);
    struct mempool_accept_info info;
    memset(&info, 0, sizeof info);
    pthread_mutex_lock(&net->ctx->lock);
    enum mempool_err me = MEMPOOL_ERR_DUPLICATE;
    bool rejected_before = p2p_invset_has(&net->recent_rejects, txid);
    if (!rejected_before && mempool_find(services_mempool(net->ctx), txid) == NULL &&
        !orphan_has(net, txid))
        me = services_accept_tx(net->ctx, &p->tx, &info);
    if (me == MEMPOOL_OK) {
        peer->last_tx_time = mono_now();
        orphans_retry(net, p->tx.sender);
    } else if (tx_err_is_orphan(me, &info)) {
        orphan_add(net, &p->tx, txid, peer->id);
    } else if (me != MEMPOOL_ERR_DUPLICATE) {
        /* Refused for good at this tip: the same bytes again cost a lookup
         * until the next block (which may change the verdict). */
        p2p_invset_add(&net->recent_rejects, txid);
    }
    pthread_mutex_unlock(&net->ctx->lock);
    if (rejected_before) {
        LOG_DEBUG(LOG_CAT_MEMPOOL, "tx from peer=%llu was refused at this tip already",
                  (unsigned long long)peer->id);
        /* One we asked for may have been refused from another peer while
         * this one was sending it: a race, not counted. */
        if (!requested && ++peer->refused_resends >= P2P_MAX_REFUSED_RESENDS) {
            LOG_INFO(LOG_CAT_NET, "peer=%llu %s sent %d txs refused at this tip already",
                     (unsigned long long)peer->id, peer->addr_str, peer->refused_resends);
            p2p_peer_disconnect(peer, "kept sending refused txs");
        }
        return;
    }
    if (tx_err_is_misbehaviour(me, &info))
        p2p_peer_misbehave(peer, P2P_MISBEHAVIOR_LIMIT, txerr_reason(info.txerr));
    else if (me != MEMPOOL_OK && me != MEMPOOL_ERR_DUPLICATE)
        LOG_DEBUG(LOG_CAT_MEMPOOL, "tx from peer=%llu not accepted: %s",
                  (unsigned long long)peer->id, mempool_reject_reason(me, &info));
}

static void on_sendheaders(struct p2p_peer *peer, struct p2p_payload *p)
{
    (void)p;
    peer->send_headers = true;
}

static void on_block(struct p2p_peer *peer, struct p2p_payload *p) { sync_handle_block(peer, p); }
static void on_getheaders(struct p2p_peer *peer, struct p2p_payload *p)
{
    sync_handle_getheaders(peer, p);
}
static void on_headers(struct p2p_peer *peer, struct p2p_payload *p)
{
    sync_handle_headers(peer, p);
}

/* ------------------------------------------------------------ dispatch */

typedef void (*msg_handler_fn)(struct p2p_peer *peer, struct p2p_payload *p);

static const struct {
    msg_handler_fn fn;
    bool before_handshake; /* allowed before the handshake completes */
} handlers[P2P_CMD_COUNT_] = {
    [P2P_CMD_VERSION] = {on_version, true},
    [P2P_CMD_VERACK] = {on_verack, true},
    [P2P_CMD_PING] = {on_ping, false},
    [P2P_CMD_PONG] = {on_pong, false},
    [P2P_CMD_GETADDR] = {on_getaddr, false},
    [P2P_CMD_ADDR] = {on_addr, false},
    [P2P_CMD_INV] = {on_inv, false},
    [P2P_CMD_GETDATA] = {on_getdata, false},
    [P2P_CMD_NOTFOUND] = {on_notfound, false},
    [P2P_CMD_TX] = {on_tx, false},
    [P2P_CMD_BLOCK] = {on_block, false},
    [P2P_CMD_GETHEADERS] = {on_getheaders, false},
    [P2P_CMD_HEADERS] = {on_headers, false},
    [P2P_CMD_SENDHEADERS] = {on_sendheaders, false},
};

/* Whether an object of a plugin type may be looked at: one it was asked
 * for always, an unrequested one while the peer's bucket lasts. */
static bool plugin_msg_allowed(struct p2p_peer *peer)
{
    if (peer->plugin_in_flight > 0) {
        peer->plugin_in_flight--;
        return true;
    }
    int64_t now = time_mono_us();
    peer->plugin_tokens += (double)(now - peer->plugin_token_us) * P2P_PLUGIN_RATE / 1e6;
    if (peer->plugin_tokens > P2P_PLUGIN_BURST)
        peer->plugin_tokens = P2P_PLUGIN_BURST;
    peer->plugin_token_us = now;
    if (peer->plugin_tokens >= 1) {
        peer->plugin_tokens -= 1;
        return true;
    }
    return false;
}

static void handle_plugin_msg(struct p2p_peer *peer, const struct p2p_msg *m)
{
    struct p2p_net *net = peer->net;
    for (size_t i = 0; i < net->n_inv_handlers; i++) {
        const struct p2p_inv_handler *h = &net->inv_handlers[i];
        if (h->receive == NULL || strcmp(h->command, m->command) != 0)
            continue;
        if (!plugin_msg_allowed(peer)) {
            p2p_peer_misbehave(peer, 1, "unrequested objects beyond the rate limit");
            return;
        }
        uint8_t hash[32];
        bool relay = false;
        int points = h->receive(h->ctx, m->payload, hash, &relay);
        if (points > 0) {
            p2p_peer_misbehave(peer, points, m->command);
            return;
        }
        p2p_invset_add(&peer->known, hash);
        if (relay)
            p2p_announce_inv(net->ctx, h->type, hash);
        return;
    }
    LOG_DEBUG(LOG_CAT_NET, "peer=%llu sent unknown command '%s', ignored",
              (unsigned long long)peer->id, m->command);
}

bool netproc_wants(void *arg, const char *command)
{
    struct p2p_peer *peer = arg;
    enum p2p_cmd cmd;
    /* A body too short to name a command is read and refused as malformed. */
    if (command[0] == '\0' || p2p_cmd_lookup(command, &cmd))
        return true;
    /* Plugin messages count only after the handshake (netproc_handle
     * ignores them before). */
    if (!peer->handshake_done)
        return false;
    struct p2p_net *net = peer->net;
    for (size_t i = 0; i < net->n_inv_handlers; i++)
        if (net->inv_handlers[i].receive != NULL &&
            strcmp(net->inv_handlers[i].command, command) == 0)
            return true;
    return false;
}

void netproc_handle(struct p2p_peer *peer, const uint8_t *body, size_t len)
{
    struct p2p_msg m;
    p2p_msg_init(&m);
    enum ser_err detail = SER_OK;
    enum p2p_err e = p2p_msg_parse(&m, body, len, &detail);
    if (e != P2P_OK) {
        LOG_INFO(LOG_CAT_NET, "peer=%llu %s sent a bad message: %s (%s)",
                 (unsigned long long)peer->id, peer->addr_str, p2p_strerror(e),
                 ser_strerror(detail));
        if (e == P2P_ERR_NOMEM)
            p2p_peer_disconnect(peer, "out of memory");
        else
            p2p_peer_misbehave(peer, P2P_MISBEHAVIOR_LIMIT, p2p_err_reason(e));
        return;
    }
    LOG_DEBUG(LOG_CAT_NET, "received %s (%zu bytes) peer=%llu", m.command, len,
              (unsigned long long)peer->id);
    enum p2p_cmd cmd;
    if (!p2p_cmd_lookup(m.command, &cmd)) {
        if (peer->handshake_done)
            handle_plugin_msg(peer, &m);
        p2p_msg_clear(&m);
        return;
    }
    if (!peer->handshake_done && !handlers[cmd].before_handshake) {
        p2p_peer_misbehave(peer, 10, "message before the handshake");
        p2p_msg_clear(&m);
        return;
    }
    struct p2p_payload p;
    p2p_payload_init(&p);
    e = p2p_payload_decode(&m, cmd, &p, &detail);
    p2p_msg_clear(&m);
    if (e != P2P_OK) {
        LOG_INFO(LOG_CAT_NET, "peer=%llu %s sent a bad %s payload: %s",
                 (unsigned long long)peer->id, peer->addr_str, p2p_cmd_name(cmd),
                 ser_strerror(detail));
        if (e == P2P_ERR_NOMEM)
            p2p_peer_disconnect(peer, "out of memory");
        else
            p2p_peer_misbehave(peer, P2P_MISBEHAVIOR_LIMIT, "bad payload");
    } else {
        handlers[cmd].fn(peer, &p);
    }
    p2p_payload_clear(&p);
}

/* ------------------------------------------------------------ announcements */

static void queue_inv(struct p2p_peer *peer, const struct p2p_inv *inv)
{
    if (p2p_invset_has(&peer->known, inv->hash) ||
        peer->n_inv_queue >= P2P_MAX_TX_ANNOUNCE_QUEUE)
        return;
    if (!grow_array((void **)&peer->inv_queue, &peer->cap_inv_queue, peer->n_inv_queue + 1,
                    sizeof *peer->inv_queue, 64))
        return;
    peer->inv_queue[peer->n_inv_queue++] = *inv;
}

/* The txs of disconnected blocks that are back in the mempool, appended
 * to invs (which has room for n_txids more). */
static size_t reorg_invs(struct p2p_net *net, const uint8_t (*txids)[32], size_t n_txids,
                         struct p2p_inv *invs)
{
    size_t n = 0;
    pthread_mutex_lock(&net->ctx->lock);
    for (size_t i = 0; i < n_txids; i++) {
        if (mempool_find(services_mempool(net->ctx), txids[i]) == NULL)
            continue;
        invs[n].type = P2P_INV_TX;
        memcpy(invs[n].hash, txids[i], 32);
        n++;
    }
    pthread_mutex_unlock(&net->ctx->lock);
    return n;
}

/* Objects plugins asked for go to the peers that announced them (their
 * known set holds the id), each asked of a few at most. */
static void request_wanted(struct p2p_net *net, const struct p2p_inv *wants, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        if (find_handler(net, wants[k].type) == NULL)
            continue;
        int asked = 0;
        for (size_t i = 0; i < net->n_peers && asked < P2P_REQUEST_PEERS; i++) {
            struct p2p_peer *p = net->peers[i];
            if (!p2p_peer_usable(p) || !p2p_invset_has(&p->known, wants[k].hash))
                continue;
            send_invs(p, "getdata", &wants[k], 1);
            p->plugin_in_flight++;
            asked++;
        }
    }
}

void netproc_notified(struct p2p_net *net)
{
    pthread_mutex_lock(&net->notify_mutex);
    struct p2p_inv *invs = net->new_invs;
    size_t n = net->n_new_invs;
    bool new_tip = net->new_tip;
    uint8_t (*txids)[32] = net->reorg_txids;
    size_t n_txids = net->n_reorg_txids;
    net->new_invs = NULL;
    net->n_new_invs = net->cap_new_invs = 0;
    struct p2p_inv *wants = net->want_invs;
    size_t n_wants = net->n_want_invs;
    net->want_invs = NULL;
    net->n_want_invs = net->cap_want_invs = 0;
    net->new_tip = false;
    net->reorg_txids = NULL;
    net->n_reorg_txids = net->cap_reorg_txids = 0;
    pthread_mutex_unlock(&net->notify_mutex);
    if (n_txids > 0) {
        void *q = realloc(invs, (n + n_txids) * sizeof *invs);
        if (q != NULL) {
            invs = q;
            n += reorg_invs(net, (const uint8_t (*)[32])txids, n_txids, invs + n);
        }
        free(txids);
    }
    for (size_t i = 0; i < net->n_peers; i++) {
        struct p2p_peer *p = net->peers[i];
        if (!p2p_peer_usable(p))
            continue;
        for (size_t k = 0; k < n; k++)
            queue_inv(p, &invs[k]);
    }
    free(invs);
    request_wanted(net, wants, n_wants);
    free(wants);
    if (new_tip) {
        sync_announce_tip(net);
        /* A new tip can change any verdict. */
        p2p_invset_clear(&net->recent_rejects);
        p2p_invset_init(&net->recent_rejects);
        for (size_t i = 0; i < net->n_peers; i++)
            net->peers[i]->refused_resends = 0;
        pthread_mutex_lock(&net->ctx->lock);
        orphans_retry(net, NULL);
        pthread_mutex_unlock(&net->ctx->lock);
        sync_request_blocks(net);
    }
}

/* Requests from peer (NULL: timed out ones) move on to other announcers
 * or are dropped. */
static void end_tx_reqs(struct p2p_net *net, const struct p2p_peer *peer, int64_t now)
{
    for (size_t i = 0; i < net->tx_reqs.cap;) {
        struct p2p_tx_req *r = net->tx_reqs.slots[i];
        bool ended = r != NULL && (peer != NULL ? r->peer == peer
                                                : now - r->time > P2P_TX_REQUEST_TIMEOUT);
        if (ended && !tx_req_move(net, r, now)) {
            keymap_remove(&net->tx_reqs, r->txid);
            free(r);
            continue; /* backward-shift deletion may have moved another entry here */
        }
        i++;
    }
}

/* Offers a new peer the next batch of the plugins' objects, once the
 * previous batch has been announced: its queue never holds more than a
 * batch of them, whatever the stores hold. */
static void inv_sync_step(struct p2p_net *net, struct p2p_peer *p)
{
    if (!p->inv_sync_active || p->n_inv_queue > 0)
        return;
    uint8_t (*ids)[32] = malloc(P2P_INV_SYNC_BATCH * sizeof *ids);
    if (ids == NULL)
        return;
    while (p->inv_sync_handler < net->n_inv_handlers) {
        const struct p2p_inv_handler *h = &net->inv_handlers[p->inv_sync_handler];
        size_t n = h->list == NULL ? 0
                                   : h->list(h->ctx, p->inv_sync_has_cursor ? p->inv_sync_cursor
                                                                            : NULL,
                                             ids, P2P_INV_SYNC_BATCH);
        if (n == 0) {
            p->inv_sync_handler++;
            p->inv_sync_has_cursor = false;
            continue;
        }
        for (size_t k = 0; k < n; k++) {
            struct p2p_inv it = {.type = h->type};
            memcpy(it.hash, ids[k], 32);
            queue_inv(p, &it);
        }
        memcpy(p->inv_sync_cursor, ids[n - 1], 32);
        p->inv_sync_has_cursor = true;
        free(ids);
        return;
    }
    p->inv_sync_active = false;
    free(ids);
}

void netproc_tick(struct p2p_net *net)
{
    int64_t now_us = time_mono_us(), now = now_us / 1000000;
    for (size_t i = 0; i < net->n_peers; i++) {
        struct p2p_peer *p = net->peers[i];
        if (!p2p_peer_usable(p))
            continue;
        inv_sync_step(net, p);
        if (p->n_addr_queue > 0) {
            struct addr_list l = {p->addr_queue, p->n_addr_queue};
            p2p_peer_send_msg(p, "addr", w_addrs, &l);
            p->n_addr_queue = 0;
        }
        if (p->n_inv_queue == 0 || now_us < p->next_tx_send_us)
            continue;
        size_t k = 0;
        for (size_t j = 0; j < p->n_inv_queue; j++) {
            if (p2p_invset_has(&p->known, p->inv_queue[j].hash))
                continue;
            p2p_invset_add(&p->known, p->inv_queue[j].hash);
            p->inv_queue[k++] = p->inv_queue[j];
        }
        if (k > 0)
            send_invs(p, "inv", p->inv_queue, k);
        p->n_inv_queue = 0;
        /* Uniform over [0.5, 1.5] times the mean. */
        p->next_tx_send_us = now_us + net->tx_delay_us / 2 +
                             (int64_t)(rand_u64() % (uint64_t)(net->tx_delay_us + 1));
    }
    for (size_t i = 0; i < net->n_peers; i++) {
        struct p2p_peer *p = net->peers[i];
        if (p->type == P2P_CONN_SEED && !p->disconnect && now - p->connect_mono > 30)
            p2p_peer_disconnect(p, "seed node done");
    }
    if (now != net->last_tx_expiry) {
        net->last_tx_expiry = now;
        end_tx_reqs(net, NULL, now);
    }
    sync_check_stalls(net, now);
    if (now_us - net->last_request_blocks > 1000000) {
        net->last_request_blocks = now_us;
        sync_request_blocks(net);
    }
}

void netproc_peer_gone(struct p2p_peer *peer)
{
    end_tx_reqs(peer->net, peer, mono_now());
    peer->n_tx_in_flight = 0;
    sync_peer_gone(peer);
}

/* ------------------------------------------------------------ plugins */

bool p2p_register_inv_handler(struct node_ctx *ctx, const struct p2p_inv_handler *h)
{
    struct p2p_net *net = p2p_net_get(ctx);
    if (net == NULL || h->type == P2P_INV_TX || h->type == P2P_INV_BLOCK || h->command == NULL)
        return false;
    enum p2p_cmd c;
    if (p2p_cmd_lookup(h->command, &c))
        return false;
    pthread_mutex_lock(&net->mutex);
    bool ok = net->n_inv_handlers < P2P_MAX_INV_HANDLERS && find_handler(net, h->type) == NULL;
    if (ok)
        net->inv_handlers[net->n_inv_handlers++] = *h;
    pthread_mutex_unlock(&net->mutex);
    return ok;
}

void p2p_announce_inv(struct node_ctx *ctx, uint32_t type, const uint8_t hash[32])
{
    struct p2p_net *net = p2p_net_get(ctx);
    if (net == NULL)
        return;
    pthread_mutex_lock(&net->notify_mutex);
    /* Past the cap, or without memory, the announcement is dropped. */
    if (net->cap_new_invs < 100000)
        (void)grow_array((void **)&net->new_invs, &net->cap_new_invs, net->n_new_invs + 1,
                         sizeof *net->new_invs, 64);
    if (net->n_new_invs < net->cap_new_invs) {
        net->new_invs[net->n_new_invs].type = type;
        memcpy(net->new_invs[net->n_new_invs].hash, hash, 32);
        net->n_new_invs++;
    }
    pthread_mutex_unlock(&net->notify_mutex);
    event_active(net->wake, EV_READ, 0);
}

void p2p_request_inv(struct node_ctx *ctx, uint32_t type, const uint8_t hash[32])
{
    struct p2p_net *net = p2p_net_get(ctx);
    if (net == NULL)
        return;
    pthread_mutex_lock(&net->notify_mutex);
    if (net->cap_want_invs < 100000)
        (void)grow_array((void **)&net->want_invs, &net->cap_want_invs, net->n_want_invs + 1,
                         sizeof *net->want_invs, 64);
    if (net->n_want_invs < net->cap_want_invs) {
        net->want_invs[net->n_want_invs].type = type;
        memcpy(net->want_invs[net->n_want_invs].hash, hash, 32);
        net->n_want_invs++;
    }
    pthread_mutex_unlock(&net->notify_mutex);
    event_active(net->wake, EV_READ, 0);
}
