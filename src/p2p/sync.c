/* sync: headers-first block download and block announcements (the block
 * half of netproc; see netproc.h and peer.h). */
#include <stdlib.h>
#include <string.h>

#include "consensus/pow.h"
#include "node/services.h"
#include "p2p/net.h"
#include "p2p/peer.h"
#include "util/log.h"
#include "util/time.h"

static int64_t mono_now(void) { return time_mono_us() / 1000000; }

struct locator_msg {
    uint8_t (*hashes)[32];
    size_t n;
};
static void w_getheaders(struct ser_writer *w, const void *arg)
{
    const struct locator_msg *l = arg;
    p2p_write_getheaders(w, (const uint8_t (*)[32])l->hashes, l->n, NULL);
}

struct header_list {
    const struct block_header *v;
    size_t n;
};
static void w_headers(struct ser_writer *w, const void *arg)
{
    const struct header_list *l = arg;
    p2p_write_headers(w, l->v, l->n);
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

static struct chain *net_chain(struct p2p_net *net) { return services_chain(net->ctx); }

void sync_send_getheaders(struct p2p_peer *peer, struct blockindex_entry *from)
{
    struct chain *c = net_chain(peer->net);
    uint8_t hashes[P2P_MAX_LOCATOR][32];
    if (from == NULL)
        from = chain_best_header(c);
    struct locator_msg l = {hashes, chain_locator(c, from, hashes, P2P_MAX_LOCATOR)};
    peer->headers_asked = mono_now();
    p2p_peer_send_msg(peer, "getheaders", w_getheaders, &l);
}

/* Records that the peer has e (and so all its ancestors). */
static void peer_has(struct p2p_peer *peer, struct blockindex_entry *e)
{
    if (e == NULL || (e->status & BLOCK_FAILED_MASK))
        return;
    if (peer->best_known == NULL || u256_cmp(&e->chainwork, &peer->best_known->chainwork) > 0)
        peer->best_known = e;
}

void sync_handshake_done(struct p2p_peer *peer)
{
    struct node_ctx *ctx = peer->net->ctx;
    pthread_mutex_lock(&ctx->lock);
    sync_send_getheaders(peer, NULL);
    pthread_mutex_unlock(&ctx->lock);
    peer->sync_started = true;
}

void sync_handle_getheaders(struct p2p_peer *peer, const struct p2p_payload *p)
{
    struct node_ctx *ctx = peer->net->ctx;
    struct block_header *h = malloc(P2P_MAX_HEADERS * sizeof *h);
    if (h == NULL)
        return;
    size_t n = 0;
    pthread_mutex_lock(&ctx->lock);
    struct chain *c = services_chain(ctx);
    const struct blockindex_chain *active = chain_active(c);
    struct blockindex_entry *e =
        chain_locator_fork(c, (const uint8_t (*)[32])p->locator, p->n_locator);
    struct blockindex_entry *last = NULL;
    for (e = e != NULL ? blockindex_chain_next(active, e) : NULL; e != NULL && n < P2P_MAX_HEADERS;
         e = blockindex_chain_next(active, e)) {
        h[n++] = e->header;
        last = e;
        if (p->has_stop && memcmp(e->hash, p->stop_hash, 32) == 0)
            break;
    }
    if (last != NULL)
        peer->last_announced = last;
    pthread_mutex_unlock(&ctx->lock);
    struct header_list l = {h, n};
    p2p_peer_send_msg(peer, "headers", w_headers, &l);
    free(h);
}

/* Whether the chain a headers message ends claims enough work for it to be
 * stored (chain_antidos_work). Not reaching it is no misbehaviour: an honest
 * peer may be on a short fork, or behind. The headers are dropped and not
 * asked for again; a chain that gains work comes back with its next
 * announcement. Bitcoin Core downloads such a chain twice instead, first
 * only counting its work (presync), so a node with a high minimum can sync
 * from scratch; souk's minimum is zero by default, and a node whose tip is
 * behind a peer's chain sees that chain's headers start at its tip, which
 * passes. A parent we cannot judge (invalid, bad bits) is left to
 * chain_process_headers, which punishes it. Chain lock held. */
static bool enough_work(struct p2p_peer *peer, struct chain *c, const struct p2p_payload *p)
{
    struct u256 claimed, threshold;
    if (!chain_headers_claimed_work(c, p->headers, p->n_headers, &claimed))
        return true;
    chain_antidos_work(c, &threshold);
    if (u256_cmp(&claimed, &threshold) >= 0)
        return true;
    char have[U256_HEX_LEN + 1], need[U256_HEX_LEN + 1];
    u256_to_hex(&claimed, have);
    u256_to_hex(&threshold, need);
    LOG_INFO(LOG_CAT_NET, "peer=%llu sent %zu headers of a chain with too little work to store "
             "(%s, the least stored is %s)", (unsigned long long)peer->id, p->n_headers, have,
             need);
    return false;
}

void sync_handle_headers(struct p2p_peer *peer, const struct p2p_payload *p)
{
    if (p->n_headers == 0)
        return;
    /* Proof of work first, as Bitcoin Core does: a chain too light to be
     * stored (enough_work) is no excuse for headers that lack it. */
    struct u256 limit;
    chainparams_pow_limit(peer->net->ctx->params, &limit);
    for (size_t i = 0; i < p->n_headers; i++) {
        uint8_t hash[32];
        block_header_hash(&p->headers[i], hash);
        if (pow_check(hash, p->headers[i].bits, &limit) != POW_OK) {
            p2p_peer_misbehave(peer, P2P_MISBEHAVIOR_LIMIT, "header without its proof of work");
            return;
        }
        if (i + 1 < p->n_headers && memcmp(hash, p->headers[i + 1].prev_hash, 32) != 0) {
            p2p_peer_misbehave(peer, P2P_MISBEHAVIOR_LIMIT, "non-continuous headers");
            return;
        }
    }
    struct node_ctx *ctx = peer->net->ctx;
    int points = 0;
    const char *why = NULL;
    char reason[128];
    pthread_mutex_lock(&ctx->lock);
    struct chain *c = services_chain(ctx);
    if (blockindex_find(chain_index(c), p->headers[0].prev_hash) == NULL) {
        /* We are missing the headers in between: ask for them. */
        if (++peer->unconnecting_headers > P2P_MAX_UNCONNECTING_HEADERS) {
            points = 20;
            why = "too many unconnecting headers";
        }
        sync_send_getheaders(peer, NULL);
        pthread_mutex_unlock(&ctx->lock);
        p2p_peer_misbehave(peer, points, why);
        return;
    }
    peer->unconnecting_headers = 0;
    if (!enough_work(peer, c, p)) {
        pthread_mutex_unlock(&ctx->lock);
        return;
    }
    struct blockindex_entry *last = NULL;
    struct block_fault fault;
    enum chain_result r = chain_process_headers(c, p->headers, p->n_headers, &last, &fault,
                                                reason, sizeof reason);
    peer_has(peer, last);
    if (r == CHAIN_INVALID && fault.err == BLOCKERR_TIME_TOO_NEW) {
        /* Not stored, so it can come again once our clock has caught up:
         * a peer whose clock runs ahead is not misbehaving. */
        LOG_INFO(LOG_CAT_NET, "peer=%llu sent a header more than 2 h ahead of our clock: "
                 "not stored", (unsigned long long)peer->id);
    } else if (r == CHAIN_INVALID) {
        points = P2P_MISBEHAVIOR_LIMIT;
        why = "invalid header";
    } else if (r == CHAIN_ERROR) {
        LOG_ERROR(LOG_CAT_NET, "storing headers failed: %s", reason);
    } else if (p->n_headers == P2P_MAX_HEADERS && last != NULL) {
        sync_send_getheaders(peer, last);
    }
    pthread_mutex_unlock(&ctx->lock);
    if (points > 0) {
        LOG_INFO(LOG_CAT_NET, "peer=%llu sent an invalid header: %s",
                 (unsigned long long)peer->id, reason);
        p2p_peer_misbehave(peer, points, why);
        return;
    }
    sync_request_blocks(peer->net);
}

static void req_free(struct p2p_net *net, struct p2p_block_req *r)
{
    struct p2p_peer *peer = r->peer;
    for (size_t i = 0; i < peer->n_blocks; i++) {
        if (peer->blocks[i] == r) {
            peer->blocks[i] = peer->blocks[--peer->n_blocks];
            break;
        }
    }
    keymap_remove(&net->block_reqs, r->hash);
    free(r);
}

/* Whether an unrequested block may be stored: only when it makes our
 * chain better, i.e. its parent's work plus its own exceeds the tip's. */
static bool worth_storing(struct chain *c, const struct block *b)
{
    struct blockindex_entry *parent = blockindex_find(chain_index(c), b->header.prev_hash);
    struct blockindex_entry *tip = chain_tip(c);
    if (parent == NULL || (parent->status & BLOCK_FAILED_MASK))
        return false;
    struct u256 work, total;
    if (pow_block_work(b->header.bits, &work) != POW_OK)
        return false;

    if (!u256_add(&total, &parent->chainwork, &work))
        return false;
    /* Above the tip is near it, so of chain_antidos_work only the minimum
     * chain work can still refuse it. */
    struct u256 threshold;
    chain_antidos_work(c, &threshold);
    return u256_cmp(&total, &tip->chainwork) > 0 && u256_cmp(&total, &threshold) >= 0;
}

void sync_handle_block(struct p2p_peer *peer, const struct p2p_payload *p)
{
    struct p2p_net *net = peer->net;
    struct node_ctx *ctx = net->ctx;
    uint8_t hash[32];
    block_hash(&p->block, hash);
    struct p2p_block_req *r = keymap_find(&net->block_reqs, hash);
    bool requested = r != NULL && r->peer == peer;
    if (requested) {
        req_free(net, r);
        /* Deliveries bring a raised window stall timeout back down. */
        int64_t t = net->window_stall_timeout_us * 85 / 100;
        net->window_stall_timeout_us = t > P2P_WINDOW_STALL_US ? t : P2P_WINDOW_STALL_US;
    }
    char reason[128] = "";
    struct block_fault fault;
    memset(&fault, 0, sizeof fault);
    int points = 0;
    const char *why = NULL;
    pthread_mutex_lock(&ctx->lock);
    struct chain *c = services_chain(ctx);
    if (!requested && !worth_storing(c, &p->block)) {
        points = 10;
        why = "unrequested block that is not stored";
        if (blockindex_find(chain_index(c), p->block.header.prev_hash) == NULL)
            sync_send_getheaders(peer, NULL);
    } else {
        enum chain_result res = services_process_block(ctx, &p->block, &fault, reason,
                                                       sizeof reason);
        switch (res) {
        case CHAIN_OK:
            peer->last_block_time = mono_now();
            peer_has(peer, blockindex_find(chain_index(c), hash));
            break;
        case CHAIN_DUPLICATE:
            break;
        case CHAIN_INVALID:
            /* A block from the future may become valid: not the peer's fault. */
            if (fault.err != BLOCKERR_TIME_TOO_NEW) {
                points = P2P_MISBEHAVIOR_LIMIT;
                why = "invalid block";
            }
            break;
        case CHAIN_ORPHAN:
            sync_send_getheaders(peer, NULL);
            break;
        case CHAIN_ERROR:
            LOG_ERROR(LOG_CAT_NET, "storing a block failed: %s", reason);
            break;
        }
    }
    pthread_mutex_unlock(&ctx->lock);
    if (points > 0) {
        LOG_INFO(LOG_CAT_NET, "peer=%llu block rejected: %s %s", (unsigned long long)peer->id,
                 why, reason);
        p2p_peer_misbehave(peer, points, why);
    }
    sync_request_blocks(net);
}

bool sync_block_announced(struct p2p_peer *peer, const uint8_t hash[32])
{
    /* Chain lock held by the caller (on_inv). */
    struct chain *c = net_chain(peer->net);
    struct blockindex_entry *e = blockindex_find(chain_index(c), hash);
    if (e != NULL) {
        peer_has(peer, e);
        return false;
    }
    return true;
}

/* Notes that r's peer holds up the download window with r's block. */
static void window_stalled_by(struct p2p_block_req *r)
{
    struct p2p_peer *staller = r->peer;
    if (staller->window_stall_us != 0 && memcmp(staller->window_stall_hash, r->hash, 32) == 0)
        return;
    staller->window_stall_us = time_mono_us();
    memcpy(staller->window_stall_hash, r->hash, 32);
}

/* Requests, from one peer, the missing blocks of its best chain above the
 * fork with ours, within the window. When the window leaves it nothing to
 * ask for although its chain goes on, the peer that has the lowest missing
 * block of the window in flight holds everyone up: it is noted (and
 * disconnected by sync_check_stalls if that goes on). Chain lock held. */
static void request_from(struct p2p_net *net, struct p2p_peer *peer, struct chain *c,
                         struct blockindex_entry *tip, int64_t now)
{
    struct blockindex_entry *best = peer->best_known;
    if (best == NULL || (best->status & BLOCK_FAILED_MASK) ||
        u256_cmp(&best->chainwork, &tip->chainwork) <= 0)
        return;
    struct blockindex_entry *fork = blockindex_last_common_ancestor(best, tip);
    if (fork == NULL)
        return;
    uint64_t top = best->height;
    if (top > fork->height + P2P_BLOCK_WINDOW)
        top = fork->height + P2P_BLOCK_WINDOW;
    size_t span = (size_t)(top - fork->height);
    struct blockindex_entry **v = malloc((span ? span : 1) * sizeof *v);
    if (v == NULL)
        return;
    size_t n = 0;
    for (struct blockindex_entry *e = blockindex_ancestor(best, top); e != NULL && e != fork;
         e = e->prev)
        v[n++] = e;
    struct p2p_inv want[P2P_MAX_BLOCKS_IN_FLIGHT];
    size_t nw = 0;
    struct p2p_block_req *lowest_in_flight = NULL;
    bool window_full = true;
    for (size_t i = n; i-- > 0 && peer->n_blocks < P2P_MAX_BLOCKS_IN_FLIGHT;) {
        struct blockindex_entry *e = v[i];
        if (e->status & BLOCK_FAILED_MASK) {
            window_full = false;
            break;
        }
        if (e->status & BLOCK_HAVE_DATA)
            continue;
        struct p2p_block_req *in_flight = keymap_find(&net->block_reqs, e->hash);
        if (in_flight != NULL) {
            if (lowest_in_flight == NULL)
                lowest_in_flight = in_flight;
            continue;
        }
        struct p2p_block_req *r = malloc(sizeof *r);
        if (r == NULL || !keymap_reserve(&net->block_reqs, net->block_reqs.count + 1)) {
            free(r);
            window_full = false;
            break;
        }
        memcpy(r->hash, e->hash, 32);
        r->peer = peer;
        r->entry = e;
        r->time = now;
        keymap_insert(&net->block_reqs, r);
        peer->blocks[peer->n_blocks++] = r;
        want[nw].type = P2P_INV_BLOCK;
        memcpy(want[nw].hash, e->hash, 32);
        nw++;
    }
    free(v);
    (void)c;
    if (nw == 0 && window_full && best->height > top && lowest_in_flight != NULL &&
        lowest_in_flight->peer != peer)
        window_stalled_by(lowest_in_flight);
    if (nw > 0) {
        struct inv_list l = {want, nw};
        p2p_peer_send_msg(peer, "getdata", w_invs, &l);
    }
}

void sync_request_blocks(struct p2p_net *net)
{
    struct node_ctx *ctx = net->ctx;
    int64_t now = mono_now();
    pthread_mutex_lock(&ctx->lock);
    struct chain *c = services_chain(ctx);
    struct blockindex_entry *tip = chain_tip(c);
    /* Start with the peer holding the fewest requests, so they spread. */
    for (size_t round = 0; round < P2P_MAX_BLOCKS_IN_FLIGHT; round++) {
        bool any = false;
        for (size_t i = 0; i < net->n_peers; i++) {
            struct p2p_peer *peer = net->peers[i];
            if (!p2p_peer_usable(peer) || peer->n_blocks != round)
                continue;
            request_from(net, peer, c, tip, now);
            any = true;
        }
        (void)any;
    }
    pthread_mutex_unlock(&ctx->lock);
}

void sync_check_stalls(struct p2p_net *net, int64_t now)
{
    int64_t now_us = time_mono_us();
    for (size_t i = 0; i < net->n_peers; i++) {
        struct p2p_peer *peer = net->peers[i];
        if (peer->window_stall_us != 0 && !peer->disconnect) {
            struct p2p_block_req *r = keymap_find(&net->block_reqs, peer->window_stall_hash);
            if (r == NULL || r->peer != peer) {
                peer->window_stall_us = 0; /* delivered (or gone elsewhere) */
            } else if (now_us - peer->window_stall_us > net->window_stall_timeout_us) {
                LOG_INFO(LOG_CAT_NET, "peer=%llu %s holds up the block download window",
                         (unsigned long long)peer->id, peer->addr_str);
                p2p_peer_disconnect(peer, "holding up the block download window");
                net->window_stall_timeout_us =
                    net->window_stall_timeout_us * 2 < P2P_WINDOW_STALL_MAX_US
                        ? net->window_stall_timeout_us * 2
                        : P2P_WINDOW_STALL_MAX_US;
            }
        }
        for (size_t k = 0; k < peer->n_blocks && !peer->disconnect; k++) {
            if (now - peer->blocks[k]->time > P2P_BLOCK_STALL_SECS) {
                LOG_INFO(LOG_CAT_NET, "peer=%llu %s stalled block download",
                         (unsigned long long)peer->id, peer->addr_str);
                p2p_peer_disconnect(peer, "block download stalled");
            }
        }
    }
}

void sync_peer_gone(struct p2p_peer *peer)
{
    while (peer->n_blocks > 0)
        req_free(peer->net, peer->blocks[peer->n_blocks - 1]);
}

/* Whether the peer is known to have e. */
static bool peer_knows(const struct p2p_peer *peer, struct blockindex_entry *e)
{
    if (peer->best_known != NULL && peer->best_known->height >= e->height &&
        blockindex_ancestor(peer->best_known, e->height) == e)
        return true;
    return peer->last_announced != NULL && peer->last_announced->height >= e->height &&
           blockindex_ancestor(peer->last_announced, e->height) == e;
}

#define SYNC_MAX_ANNOUNCE_HEADERS 8

void sync_announce_tip(struct p2p_net *net)
{
    struct node_ctx *ctx = net->ctx;
    pthread_mutex_lock(&ctx->lock);
    struct blockindex_entry *tip = chain_tip(services_chain(ctx));
    for (size_t i = 0; i < net->n_peers; i++) {
        struct p2p_peer *peer = net->peers[i];
        if (!p2p_peer_usable(peer) || peer_knows(peer, tip))
            continue;
        struct block_header h[SYNC_MAX_ANNOUNCE_HEADERS];
        size_t n = 0;
        struct blockindex_entry *e = tip;
        while (e != NULL && n < SYNC_MAX_ANNOUNCE_HEADERS && !peer_knows(peer, e)) {
            n++;
            e = e->prev;
        }
        bool connects = e == NULL || peer_knows(peer, e);
        if (peer->send_headers && connects) {
            e = tip;
            for (size_t k = n; k-- > 0; e = e->prev)
                h[k] = e->header;
            struct header_list l = {h, n};
            p2p_peer_send_msg(peer, "headers", w_headers, &l);
        } else {
            struct p2p_inv inv = {P2P_INV_BLOCK, {0}};
            memcpy(inv.hash, tip->hash, 32);
            struct inv_list l = {&inv, 1};
            p2p_peer_send_msg(peer, "inv", w_invs, &l);
        }
        peer->last_announced = tip;
        p2p_invset_add(&peer->known, tip->hash);
    }
    pthread_mutex_unlock(&ctx->lock);
}
