/* sync: headers-first block download and block announcements (the block
 * half of netproc; see netproc.h and peer.h). */
#include <stdlib.h>
#include <string.h>

#include "consensus/pow.h"
#include "node/services.h"
#include "p2p/net.h"
#include "p2p/peer.h"
#include "util/grow.h"
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

/* ---- presync ------------------------------------------------------------
 *
 * A headers message whose chain claims too little work to be stored
 * (chain_antidos_work) may still be the first of a chain that reaches it
 * later: a node far behind a -minimumchainwork, or a fork deeper than the
 * margin. As Bitcoin Core does, such a chain is first counted without being
 * stored: every header checked (proof of work, bits, time against the
 * median of the previous 11) and its work added up, message after message.
 * Only a chain that reaches the threshold is asked for again, from its
 * start, and stored; each message of the second download must end with the
 * header that ended the same message the first time. A chain that ends
 * short, stops connecting, breaks a rule or grows past
 * P2P_PRESYNC_MAX_MARKS messages is forgotten. The memory it costs is one
 * hash per 2,000 headers. Chain lock held throughout. */

static void presync_reset(struct p2p_peer *peer)
{
    free(peer->presync.marks);
    memset(&peer->presync, 0, sizeof peer->presync);
}

static int64_t presync_mtp(const struct p2p_presync *ps)
{
    int64_t v[P2P_PRESYNC_MTP_SPAN];
    size_t n = ps->n_times;
    memcpy(v, ps->times, n * sizeof v[0]);
    for (size_t i = 1; i < n; i++) /* insertion sort of at most 11 */
        for (size_t k = i; k > 0 && v[k - 1] > v[k]; k--) {
            int64_t t = v[k];
            v[k] = v[k - 1];
            v[k - 1] = t;
        }
    return v[n / 2];
}

static void presync_push_time(struct p2p_presync *ps, int64_t t)
{
    if (ps->n_times == P2P_PRESYNC_MTP_SPAN) {
        memmove(ps->times, ps->times + 1, (P2P_PRESYNC_MTP_SPAN - 1) * sizeof ps->times[0]);
        ps->n_times--;
    }
    ps->times[ps->n_times++] = t;
}

/* Asks the peer for the headers after the last one counted: a locator of
 * that hash (unknown to our index) and then our own from its start. */
static void presync_ask_next(struct p2p_peer *peer, struct chain *c)
{
    uint8_t hashes[P2P_MAX_LOCATOR][32];
    memcpy(hashes[0], peer->presync.last_hash, 32);
    size_t n = 1 + chain_locator(c, peer->presync.start, hashes + 1, P2P_MAX_LOCATOR - 1);
    struct locator_msg l = {hashes, n};
    peer->headers_asked = mono_now();
    p2p_peer_send_msg(peer, "getheaders", w_getheaders, &l);
}

/* Counts one message that continues the chain being counted. Returns the
 * misbehaviour points it earns (a header breaking a rule). */
static int presync_count(struct p2p_peer *peer, struct chain *c, const struct p2p_payload *p)
{
    struct p2p_presync *ps = &peer->presync;
    const struct chain_params *params = chain_params(c);
    for (size_t i = 0; i < p->n_headers; i++) {
        const struct block_header *h = &p->headers[i];
        struct block_fault f;
        memset(&f, 0, sizeof f);
        struct u256 work;
        if (!blockcheck_header_context(h, params, ps->last_height,
                                       ps->times[ps->n_times - 1], presync_mtp(ps), time_now(),
                                       &f) ||
            pow_block_work(h->bits, &work) != POW_OK) {
            bool future = f.err == BLOCKERR_TIME_TOO_NEW;
            LOG_INFO(LOG_CAT_NET, "peer=%llu presync stopped at height %llu: %s",
                     (unsigned long long)peer->id, (unsigned long long)ps->last_height + 1,
                     blockerr_reason(f.err));
            presync_reset(peer);
            return future ? 0 : P2P_MISBEHAVIOR_LIMIT;
        }
        if (!u256_add(&ps->work, &ps->work, &work))
            for (size_t k = 0; k < 4; k++)
                ps->work.w[k] = UINT64_MAX;
        block_header_hash(h, ps->last_hash);
        ps->last_height++;
        presync_push_time(ps, (int64_t)h->time);
    }
    if (ps->n_marks == P2P_PRESYNC_MAX_MARKS) {
        LOG_INFO(LOG_CAT_NET, "peer=%llu presync stopped: more than %d messages",
                 (unsigned long long)peer->id, P2P_PRESYNC_MAX_MARKS);
        presync_reset(peer);
        return 0;
    }
    if (ps->n_marks == ps->cap_marks &&
        !grow_array((void **)&ps->marks, &ps->cap_marks, ps->n_marks + 1, sizeof *ps->marks, 16)) {
        presync_reset(peer);
        return 0;
    }
    memcpy(ps->marks[ps->n_marks++], ps->last_hash, 32);
    struct u256 threshold;
    chain_antidos_work(c, &threshold);
    if (u256_cmp(&ps->work, &threshold) >= 0) {
        LOG_INFO(LOG_CAT_NET, "peer=%llu presync reached the work to store at height %llu: "
                 "downloading its headers again", (unsigned long long)peer->id,
                 (unsigned long long)ps->last_height);
        ps->phase = P2P_PRESYNC_REDOWNLOAD;
        ps->next_mark = 0;
        sync_send_getheaders(peer, ps->start);
    } else if (p->n_headers == P2P_MAX_HEADERS) {
        presync_ask_next(peer, c);
    } else {
        LOG_INFO(LOG_CAT_NET, "peer=%llu presync: the chain ends at height %llu with too little "
                 "work to store", (unsigned long long)peer->id,
                 (unsigned long long)ps->last_height);
        presync_reset(peer);
    }
    return 0;
}

/* Which counted message h ended (n_marks when none). */
static size_t presync_mark_of(const struct p2p_presync *ps, const struct block_header *h)
{
    uint8_t hash[32];
    block_header_hash(h, hash);
    size_t k = 0;
    while (k < ps->n_marks && memcmp(hash, ps->marks[k], 32) != 0)
        k++;
    return k;
}

/* Starts counting at a full message of a too-light chain whose first
 * header's parent is known (the caller checked). */
static int presync_begin(struct p2p_peer *peer, struct chain *c, const struct p2p_payload *p)
{
    struct p2p_presync *ps = &peer->presync;
    presync_reset(peer);
    struct blockindex_entry *start = blockindex_find(chain_index(c), p->headers[0].prev_hash);
    ps->phase = P2P_PRESYNC_COUNT;
    ps->start = start;
    memcpy(ps->last_hash, start->hash, 32);
    ps->last_height = start->height;
    ps->work = start->chainwork;
    struct blockindex_entry *e = start;
    for (size_t i = 0; i < P2P_PRESYNC_MTP_SPAN && e != NULL; i++, e = e->prev)
        ps->n_times++;
    e = start;
    for (size_t i = ps->n_times; i-- > 0; e = e->prev)
        ps->times[i] = (int64_t)e->header.time;
    LOG_INFO(LOG_CAT_NET, "peer=%llu sent headers of a chain with too little work to store "
             "from height %llu: counting its work before storing it (presync)",
             (unsigned long long)peer->id, (unsigned long long)start->height);
    return presync_count(peer, c, p);
}

/* Whether the chain a headers message ends may be stored: it claims enough
 * work, or it is the next message of a presync's second download. Not
 * reaching the threshold is no misbehaviour: an honest peer may be on a
 * short fork, or behind. A full message starts a presync; a shorter one is
 * dropped. A parent we cannot judge (invalid, bad bits) is left to
 * chain_process_headers, which punishes it. *points: misbehaviour found
 * on the way. Chain lock held. */
static bool enough_work(struct p2p_peer *peer, struct chain *c, const struct p2p_payload *p,
                        int *points)
{
    struct p2p_presync *ps = &peer->presync;
    if (ps->phase == P2P_PRESYNC_REDOWNLOAD) {
        /* Its parent is stored (the caller checked) and it ends with a
         * counted header: hashes chain, so it is a piece of the counted
         * chain, a repeat of one already stored included. */
        size_t k = presync_mark_of(ps, &p->headers[p->n_headers - 1]);
        if (k < ps->n_marks) {
            if (k + 1 > ps->next_mark)
                ps->next_mark = k + 1;
            if (ps->next_mark == ps->n_marks) {
                LOG_INFO(LOG_CAT_NET, "peer=%llu presync done: its chain is stored",
                         (unsigned long long)peer->id);
                presync_reset(peer);
            }
            return true;
        }
        /* The answer to our request from the start is another chain: the
         * peer counted one and offers another. Anything else (an
         * announcement) is judged as usual below. */
        if (memcmp(p->headers[0].prev_hash, ps->start->hash, 32) == 0) {
            LOG_INFO(LOG_CAT_NET, "peer=%llu presync: headers downloaded again differ from "
                     "those counted", (unsigned long long)peer->id);
            presync_reset(peer);
        }
    }
    struct u256 claimed, threshold;
    if (!chain_headers_claimed_work(c, p->headers, p->n_headers, &claimed))
        return true;
    chain_antidos_work(c, &threshold);
    if (u256_cmp(&claimed, &threshold) >= 0)
        return true;
    if (p->n_headers == P2P_MAX_HEADERS && ps->phase == P2P_PRESYNC_NONE && !peer->disconnect) {
        *points = presync_begin(peer, c, p);
        return false;
    }
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
    if (peer->presync.phase == P2P_PRESYNC_COUNT) {
        if (memcmp(p->headers[0].prev_hash, peer->presync.last_hash, 32) == 0) {
            points = presync_count(peer, c, p);
            pthread_mutex_unlock(&ctx->lock);
            p2p_peer_misbehave(peer, points, points > 0 ? "invalid header" : NULL);
            return;
        }
        /* A repeat of a message counted already (the answer to an
         * earlier getheaders) changes nothing; anything else (an
         * announcement) ends the count, and the next full message of a
         * too-light chain starts one again. */
        if (presync_mark_of(&peer->presync, &p->headers[p->n_headers - 1]) <
            peer->presync.n_marks) {
            pthread_mutex_unlock(&ctx->lock);
            return;
        }
        presync_reset(peer);
    }
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
    if (!enough_work(peer, c, p, &points)) {
        pthread_mutex_unlock(&ctx->lock);
        p2p_peer_misbehave(peer, points, points > 0 ? "invalid header" : NULL);
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
    presync_reset(peer);
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
            /* Only a header sent counts as known to the peer: after an inv
             * it still lacks the header (it asks with getheaders), and the
             * next announcement built on it would not connect there (a
             * fast run of blocks then scored us "unconnecting headers"),
             * as Bitcoin Core keeps pindexBestHeaderSent for headers only. */
            peer->last_announced = tip;
        } else {
            struct p2p_inv inv = {P2P_INV_BLOCK, {0}};
            memcpy(inv.hash, tip->hash, 32);
            struct inv_list l = {&inv, 1};
            p2p_peer_send_msg(peer, "inv", w_invs, &l);
        }
        p2p_invset_add(&peer->known, tip->hash);
    }
    pthread_mutex_unlock(&ctx->lock);
}
