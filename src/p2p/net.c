#define _XOPEN_SOURCE 700
#include "p2p/net.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "consensus/chainparams.h"
#include "crypto/random.h"
#include "node/services.h"
#include "p2p/banman.h"
#include "p2p/peer.h"
#include "p2p/resolver.h"
#include "util/grow.h"
#include "util/log.h"
#include "util/time.h"

const struct args_option p2p_options[] = {
    {"listen", NULL, "1", "Accept connections from outside.", 0, "Connection options"},
    {"bind", "<addr>[:<port>]", "0.0.0.0",
     "Listen on this address (repeatable; IPv6 as [addr]:port).", ARGS_MULTI, NULL},
    {"port", "<port>", "8733, testnet 18733, regtest 28733", "Listen for P2P connections on "
     "this port.", 0, NULL},
    {"connect", "<host>[:<port>]", NULL,
     "Connect only to these nodes (repeatable; -connect=0 makes no outbound connections).",
     ARGS_MULTI, NULL},
    {"addnode", "<host>[:<port>]", NULL,
     "Keep a connection to this node besides the automatic ones (repeatable).", ARGS_MULTI,
     NULL},
    {"seednode", "<host>[:<port>]", NULL,
     "Connect to this node to learn addresses, then disconnect (repeatable).", ARGS_MULTI,
     NULL},
    {"maxconnections", "<n>", "125", "Keep at most this many connections in all (0 to 10000).",
     0, NULL},
};
const size_t p2p_options_count = sizeof p2p_options / sizeof p2p_options[0];

/* One node per process, like the services listeners. */
static struct p2p_net *g_net;

struct p2p_net *p2p_net_get(struct node_ctx *ctx)
{
    return g_net != NULL && g_net->ctx == ctx ? g_net : NULL;
}

static int64_t mono_now(void) { return time_mono_us() / 1000000; }

/* ------------------------------------------------------------ discouragement */

bool p2p_is_discouraged(struct p2p_net *net, const struct netaddr *ip)
{
    return banman_is_discouraged(net->banman, ip) || banman_is_banned(net->banman, ip);
}

void p2p_discourage(struct p2p_net *net, const struct netaddr *ip)
{
    banman_discourage(net->banman, ip);
}

struct banman *p2p_banman(struct p2p_net *net) { return net->banman; }

/* ------------------------------------------------------------ peers */

static void wake(struct p2p_net *net) { event_active(net->wake, EV_READ, 0); }

bool p2p_peer_usable(const struct p2p_peer *peer)
{
    return peer->handshake_done && !peer->disconnect;
}

size_t p2p_peer_send_queued(const struct p2p_peer *peer)
{
    return evbuffer_get_length(bufferevent_get_output(peer->bev));
}

/* Only marks the peer: RPC threads call this too, holding net->mutex, and
 * must not take a bufferevent's lock then — the loop thread holds that lock
 * while it runs the bufferevent's callbacks, which take net->mutex (the two
 * would wait for each other forever). Nothing more is read from a marked
 * peer, and the cleanup the wake-up runs frees it. */
void p2p_peer_disconnect(struct p2p_peer *peer, const char *reason)
{
    if (peer->disconnect)
        return;
    LOG_DEBUG(LOG_CAT_NET, "disconnecting peer=%llu %s: %s", (unsigned long long)peer->id,
              peer->addr_str, reason);
    peer->disconnect = true;
    wake(peer->net);
}

void p2p_peer_misbehave(struct p2p_peer *peer, int points, const char *reason)
{
    if (points <= 0)
        return;
    peer->misbehavior += points;
    LOG_INFO(LOG_CAT_NET, "peer=%llu %s misbehaving (+%d = %d): %s",
             (unsigned long long)peer->id, peer->addr_str, points, peer->misbehavior, reason);
    if (peer->misbehavior >= P2P_MISBEHAVIOR_LIMIT && !peer->disconnect) {
        /* As Bitcoin Core: a local peer is disconnected but its address is
         * not discouraged, or one bad local process would cut the node off
         * from every other one on the machine. */
        if (netaddr_is_loopback(&peer->ip))
            LOG_INFO(LOG_CAT_NET, "peer=%llu is local: disconnected, not discouraged",
                     (unsigned long long)peer->id);
        else if (peer->type != P2P_CONN_MANUAL)
            p2p_discourage(peer->net, &peer->ip);
        p2p_peer_disconnect(peer, "misbehaviour score reached 100");
    }
}

bool p2p_peer_send(struct p2p_peer *peer, const struct buf *frame)
{
    if (peer->disconnect || !peer->connected)
        return false;
    if (bufferevent_write(peer->bev, frame->data, frame->len) != 0) {
        p2p_peer_disconnect(peer, "cannot queue output");
        return false;
    }
    peer->bytes_sent += frame->len;
    peer->net->total_sent += frame->len;
    peer->last_send = mono_now();
    size_t queued = p2p_peer_send_queued(peer);
    if (queued > 4 * P2P_SEND_LIMIT + P2P_MAX_BODY) {
        p2p_peer_disconnect(peer, "send buffer overflow");
        return false;
    }
    if (queued > P2P_SEND_LIMIT && !peer->read_paused) {
        peer->read_paused = true;
        bufferevent_disable(peer->bev, EV_READ);
    }
    return true;
}

bool p2p_peer_send_msg(struct p2p_peer *peer, const char *command, p2p_payload_fn fn,
                       const void *arg)
{
    struct buf b;
    struct ser_writer w;
    size_t start;
    buf_init(&b);
    p2p_msg_begin(&w, &b, command, &start);
    fn(&w, arg);
    bool ok = p2p_msg_finish(&w, &b, start, peer->net->magic) && p2p_peer_send(peer, &b);
    LOG_DEBUG(LOG_CAT_NET, "send %s (%zu bytes) peer=%llu", command, b.len,
              (unsigned long long)peer->id);
    buf_clear(&b);
    return ok;
}

static void peer_free(struct p2p_peer *peer)
{
    if (peer->bev != NULL)
        bufferevent_free(peer->bev);
    p2p_invset_clear(&peer->known);
    free(peer->inv_queue);
    free(peer->addr_queue);
    free(peer->getdata);
    p2p_reader_clear(&peer->reader);
    peer->net->recv_held -= peer->recv_held;
    free(peer);
}

/* ------------------------------------------------------------ receiving */

/* Brings the peer's share of net->recv_held up to date with its reader. */
static void recv_account(struct p2p_peer *peer)
{
    size_t held = p2p_reader_held(&peer->reader);
    if (peer->recv_held == 0 && held > 0)
        peer->recv_since_us = time_mono_us();
    peer->net->recv_held = peer->net->recv_held - peer->recv_held + held;
    peer->recv_held = held;
}

/* Frees a leaving peer's incomplete frame now rather than at cleanup.
 * Loop thread, and never while the peer's reader is being fed. */
static void recv_release(struct p2p_peer *peer)
{
    bufferevent_disable(peer->bev, EV_READ);
    p2p_reader_clear(&peer->reader);
    recv_account(peer);
}

/* Which of two peers gives its incomplete frame up first: one we are not
 * downloading blocks from (a block we asked for is the one large message
 * we expect), then the one holding more, then the one whose frame started
 * earlier (a frame left hanging ages; an honest one completes). */
static bool recv_victim_before(const struct p2p_peer *a, const struct p2p_peer *b)
{
    bool a_blocks = a->n_blocks > 0, b_blocks = b->n_blocks > 0;
    if (a_blocks != b_blocks)
        return !a_blocks;
    if (a->recv_held != b->recv_held)
        return a->recv_held > b->recv_held;
    return a->recv_since_us < b->recv_since_us;
}

/* Keeps the incomplete frames of all peers within P2P_RECV_TOTAL_LIMIT.
 * Pausing instead (as Bitcoin Core pauses a peer over -maxreceivebuffer)
 * would let a few peers that never finish their frames hold the budget
 * and starve everyone else; a disconnected honest peer just reconnects
 * and its requests move on. Not misbehaviour: no peer broke a rule. */
static void enforce_recv_limit(struct p2p_net *net)
{
    if (net->recv_held <= P2P_RECV_TOTAL_LIMIT)
        return;
    for (size_t i = 0; i < net->n_peers; i++)
        if (net->peers[i]->disconnect && net->peers[i]->recv_held > 0)
            recv_release(net->peers[i]);
    while (net->recv_held > P2P_RECV_TOTAL_LIMIT) {
        struct p2p_peer *victim = NULL;
        for (size_t i = 0; i < net->n_peers; i++) {
            struct p2p_peer *p = net->peers[i];
            if (!p->disconnect && p->recv_held > 0 &&
                (victim == NULL || recv_victim_before(p, victim)))
                victim = p;
        }
        if (victim == NULL)
            break;
        LOG_INFO(LOG_CAT_NET,
                 "peer=%llu %s: receive buffers over %u MiB in all, dropping its partial "
                 "frame of %zu bytes",
                 (unsigned long long)victim->id, victim->addr_str,
                 P2P_RECV_TOTAL_LIMIT / (1024u * 1024u), victim->recv_held);
        p2p_peer_disconnect(victim, "receive buffers over the total limit");
        recv_release(victim);
    }
}

/* Frames are taken from the input buffer as their bytes arrive, so what a
 * peer costs is its one incomplete frame (counted against the total) plus
 * at most P2P_RECV_CHUNK waiting in libevent's buffer. */
static void process_input(struct p2p_peer *peer)
{
    struct p2p_net *net = peer->net;
    struct evbuffer *in = bufferevent_get_input(peer->bev);
    while (!peer->disconnect && !peer->read_paused) {
        struct evbuffer_iovec v;
        if (evbuffer_peek(in, -1, NULL, &v, 1) < 1 || v.iov_len == 0)
            break;
        size_t used = 0;
        enum p2p_err e = p2p_reader_feed(&peer->reader, net->magic, v.iov_base, v.iov_len,
                                         &used, netproc_wants, peer);
        evbuffer_drain(in, used);
        peer->bytes_recv += used;
        net->total_recv += used;
        recv_account(peer);
        if (e == P2P_NEED_MORE) {
            enforce_recv_limit(net);
            continue;
        }
        if (e == P2P_ERR_UNKNOWN_COMMAND) {
            /* Dropped unread: new commands may be added to the protocol. */
            LOG_DEBUG(LOG_CAT_NET, "peer=%llu sent unknown command '%s', ignored",
                      (unsigned long long)peer->id, peer->reader.command);
            peer->last_recv = mono_now();
            continue;
        }
        if (e != P2P_OK) {
            LOG_INFO(LOG_CAT_NET, "peer=%llu %s sent a bad frame: %s",
                     (unsigned long long)peer->id, peer->addr_str, p2p_strerror(e));
            p2p_peer_misbehave(peer, e == P2P_ERR_NOMEM ? 0 : P2P_MISBEHAVIOR_LIMIT,
                               p2p_err_reason(e));
            p2p_peer_disconnect(peer, p2p_err_reason(e));
            recv_release(peer);
            break;
        }
        peer->last_recv = mono_now();
        netproc_handle(peer, peer->reader.body.data, peer->reader.body.len);
        /* One large message must not pin a message-sized buffer to the
         * peer for as long as it stays connected. */
        p2p_reader_next(&peer->reader, P2P_BODY_KEEP_BYTES);
        recv_account(peer);
    }
    if (!peer->disconnect && !peer->read_paused)
        netproc_serve(peer);
}

static void on_read(struct bufferevent *bev, void *arg)
{
    (void)bev;
    struct p2p_peer *peer = arg;
    pthread_mutex_lock(&peer->net->mutex);
    process_input(peer);
    pthread_mutex_unlock(&peer->net->mutex);
}

static void on_write(struct bufferevent *bev, void *arg)
{
    (void)bev;
    struct p2p_peer *peer = arg;
    pthread_mutex_lock(&peer->net->mutex);
    if (!peer->disconnect && p2p_peer_send_queued(peer) <= P2P_SEND_LIMIT / 2) {
        netproc_serve(peer);
        if (peer->read_paused && p2p_peer_send_queued(peer) <= P2P_SEND_LIMIT) {
            peer->read_paused = false;
            bufferevent_enable(peer->bev, EV_READ);
            process_input(peer);
        }
    }
    pthread_mutex_unlock(&peer->net->mutex);
}

static void set_nodelay(struct bufferevent *bev)
{
    evutil_socket_t fd = bufferevent_getfd(bev);
    int one = 1;
    if (fd >= 0)
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
    struct p2p_peer *peer = arg;
    pthread_mutex_lock(&peer->net->mutex);
    if (what & BEV_EVENT_CONNECTED) {
        peer->connected = true;
        set_nodelay(bev);
        LOG_DEBUG(LOG_CAT_NET, "connected to %s peer=%llu", peer->addr_str,
                  (unsigned long long)peer->id);
        netproc_peer_connected(peer);
    } else if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
        if (!peer->connected && peer->net->addrman != NULL && peer->type == P2P_CONN_OUTBOUND)
            addrman_attempt(peer->net->addrman, &peer->ip, peer->port, true);
        p2p_peer_disconnect(peer, (what & BEV_EVENT_EOF) ? "connection closed"
                                                         : "connection error");
    }
    pthread_mutex_unlock(&peer->net->mutex);
}

static struct p2p_peer *peer_new(struct p2p_net *net, struct bufferevent *bev,
                                 const struct netaddr *ip, uint16_t port,
                                 enum p2p_conn_type type)
{
    if (!grow_array((void **)&net->peers, &net->cap_peers, net->n_peers + 1, sizeof *net->peers,
                    16))
        return NULL;
    struct p2p_peer *peer = calloc(1, sizeof *peer);
    if (peer == NULL)
        return NULL;
    if (!p2p_invset_init(&peer->known)) {
        p2p_invset_clear(&peer->known);
        free(peer);
        return NULL;
    }
    peer->id = net->next_id++;
    peer->net = net;
    peer->bev = bev;
    peer->ip = *ip;
    peer->port = port;
    peer->type = type;
    netaddr_format_service(ip, port, peer->addr_str);
    peer->connect_time = time_now();
    peer->connect_mono = mono_now();
    peer->last_recv = peer->last_send = peer->connect_mono;
    peer->last_ping_time = peer->connect_mono;
    peer->min_ping_us = -1;
    peer->ping_rtt_us = -1;
    peer->addr_tokens = 1;
    peer->addr_token_time = peer->connect_mono;
    p2p_reader_init(&peer->reader);
    random_bytes(&peer->local_nonce, sizeof peer->local_nonce);
    bufferevent_setcb(bev, on_read, on_write, on_event, peer);
    bufferevent_setwatermark(bev, EV_READ, 0, P2P_RECV_CHUNK);
    bufferevent_setwatermark(bev, EV_WRITE, P2P_SEND_LIMIT / 2, 0);
    bufferevent_enable(bev, EV_READ | EV_WRITE);
    net->peers[net->n_peers++] = peer;
    return peer;
}

/* Frees the peers marked for disconnection. Only from the loop's own
 * callbacks that hold no peer pointer (timer, wake). First every leaving
 * peer hands its requests back while all peers are still allocated (a
 * request may move to another peer, looked up among all of them); a peer
 * marked meanwhile is released by the next cleanup. */
static void cleanup_peers(struct p2p_net *net)
{
    for (size_t i = 0; i < net->n_peers; i++) {
        struct p2p_peer *peer = net->peers[i];
        if (peer->disconnect && !peer->released) {
            netproc_peer_gone(peer);
            peer->released = true;
        }
    }
    size_t k = 0;
    for (size_t i = 0; i < net->n_peers; i++) {
        struct p2p_peer *peer = net->peers[i];
        if (!peer->released) {
            net->peers[k++] = peer;
            continue;
        }
        LOG_DEBUG(LOG_CAT_NET, "peer=%llu %s gone", (unsigned long long)peer->id,
                  peer->addr_str);
        peer_free(peer);
    }
    net->n_peers = k;
}

static size_t count_type(struct p2p_net *net, enum p2p_conn_type type)
{
    size_t n = 0;
    for (size_t i = 0; i < net->n_peers; i++)
        if (!net->peers[i]->disconnect && net->peers[i]->type == type)
            n++;
    return n;
}

static size_t count_live(struct p2p_net *net)
{
    size_t n = 0;
    for (size_t i = 0; i < net->n_peers; i++)
        if (!net->peers[i]->disconnect)
            n++;
    return n;
}

static struct p2p_peer *find_peer(struct p2p_net *net, const struct netaddr *ip, uint16_t port,
                                  bool outbound_only)
{
    for (size_t i = 0; i < net->n_peers; i++) {
        struct p2p_peer *p = net->peers[i];
        if (p->disconnect || (outbound_only && p->type == P2P_CONN_INBOUND))
            continue;
        if (netaddr_equal(&p->ip, ip) && p->port == port)
            return p;
    }
    return NULL;
}

/* ------------------------------------------------------------ outbound */

/* Blocks on a name: only for RPC threads (p2p_addnode checks a name). */
static bool resolve(struct p2p_net *net, const char *s, struct netaddr *ip, uint16_t *port)
{
    char err[128];
    return resolver_lookup(s, net->ctx->params->p2p_port, ip, port, err, sizeof err);
}

static struct p2p_peer *connect_to(struct p2p_net *net, const struct netaddr *ip, uint16_t port,
                                   enum p2p_conn_type type)
{
    if (find_peer(net, ip, port, true) != NULL)
        return NULL;
    struct sockaddr_storage ss;
    socklen_t len;
    netaddr_to_sockaddr(ip, port, &ss, &len);
    struct bufferevent *bev =
        bufferevent_socket_new(net->ctx->base, -1, BEV_OPT_CLOSE_ON_FREE | BEV_OPT_THREADSAFE);
    if (bev == NULL)
        return NULL;
    struct p2p_peer *peer = peer_new(net, bev, ip, port, type);
    if (peer == NULL) {
        bufferevent_free(bev);
        return NULL;
    }
    LOG_DEBUG(LOG_CAT_NET, "connecting to %s peer=%llu", peer->addr_str,
              (unsigned long long)peer->id);
    if (bufferevent_socket_connect(bev, (struct sockaddr *)&ss, (int)len) != 0)
        p2p_peer_disconnect(peer, "connect failed");
    return peer;
}

/* Where a name to resolve came from: what to do with its address. */
enum name_origin { NAME_MANUAL, NAME_ONETRY, NAME_SEED };

/* Numeric addresses connect at once; names go to the resolver thread and
 * connect when collect_resolved finds the answer, so a slow name server
 * holds up no peer. A name still being looked up is not asked again:
 * the next try (every 5 s for -addnode) comes after its answer. */
static void connect_str(struct p2p_net *net, const char *s, enum name_origin origin)
{
    struct netaddr ip;
    uint16_t port;
    enum p2p_conn_type type = origin == NAME_SEED ? P2P_CONN_SEED : P2P_CONN_MANUAL;
    if (resolver_is_numeric(s, net->ctx->params->p2p_port, &ip, &port)) {
        connect_to(net, &ip, port, type);
        return;
    }
    char err[128];
    if (resolver_submit(net->resolver, s, net->ctx->params->p2p_port, (int)origin, err,
                        sizeof err))
        LOG_DEBUG(LOG_CAT_NET, "resolving %s", s);
    else
        LOG_DEBUG(LOG_CAT_NET, "not resolving %s now: %s", s, err);
}

static bool is_manual(struct p2p_net *net, const char *s)
{
    for (size_t i = 0; i < net->n_manual; i++)
        if (strcmp(net->manual[i], s) == 0)
            return true;
    return false;
}

/* Connects to the names the resolver has answered. A failure is logged
 * with the name; -addnode names are tried again with the other manual
 * connections. */
static void collect_resolved(struct p2p_net *net)
{
    struct resolver_result r[8];
    size_t n;
    while ((n = resolver_collect(net->resolver, r, sizeof r / sizeof r[0])) > 0) {
        for (size_t i = 0; i < n; i++) {
            if (!r[i].ok) {
                LOG_WARN(LOG_CAT_NET, "cannot resolve %s: %s", r[i].name, r[i].err);
                continue;
            }
            /* removed with the addnode RPC while it was looked up */
            if (r[i].tag == NAME_MANUAL && !is_manual(net, r[i].name))
                continue;
            char a[NETADDR_SERVICE_STR_MAX];
            netaddr_format_service(&r[i].ip, r[i].port, a);
            LOG_DEBUG(LOG_CAT_NET, "%s is %s", r[i].name, a);
            connect_to(net, &r[i].ip, r[i].port,
                       r[i].tag == NAME_SEED ? P2P_CONN_SEED : P2P_CONN_MANUAL);
        }
    }
}

static void open_connections(struct p2p_net *net, int64_t now)
{
    if (now >= net->next_manual_try) {
        net->next_manual_try = now + 5;
        for (size_t i = 0; i < net->n_manual; i++)
            connect_str(net, net->manual[i], NAME_MANUAL);
        for (size_t i = 0; i < net->n_seeds; i++)
            connect_str(net, net->seeds[i], NAME_SEED);
        for (size_t i = 0; i < net->n_seeds; i++)
            free(net->seeds[i]);
        net->n_seeds = 0;
    }
    if (net->connect_only || net->addrman == NULL || now < net->next_outbound_try)
        return;
    net->next_outbound_try = now + 1;
    if (count_type(net, P2P_CONN_OUTBOUND) >= P2P_MAX_OUTBOUND ||
        count_live(net) >= net->max_connections)
        return;
    for (int tries = 0; tries < 10; tries++) {
        struct addrman_addr a;
        if (!addrman_select(net->addrman, false, &a))
            return;
        if (find_peer(net, &a.ip, a.port, false) != NULL || p2p_is_discouraged(net, &a.ip))
            continue;
        if (netaddr_is_loopback(&a.ip) && a.port == net->port && net->listening)
            continue;
        addrman_attempt(net->addrman, &a.ip, a.port, true);
        connect_to(net, &a.ip, a.port, P2P_CONN_OUTBOUND);
        return;
    }
}

/* ------------------------------------------------------------ inbound */

/* Picks an inbound peer to make room (see p2p_select_eviction); NULL when
 * every candidate is protected. */
static struct p2p_peer *pick_eviction(struct p2p_net *net)
{
    size_t n = 0;
    struct p2p_peer **c = calloc(net->n_peers ? net->n_peers : 1, sizeof *c);
    if (c == NULL)
        return NULL;
    for (size_t i = 0; i < net->n_peers; i++)
        if (!net->peers[i]->disconnect && net->peers[i]->type == P2P_CONN_INBOUND)
            c[n++] = net->peers[i];
    struct p2p_peer *victim = p2p_select_eviction(c, n, net->group_key);
    free(c);
    return victim;
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
                      int salen, void *arg)
{
    (void)l;
    struct p2p_net *net = arg;
    struct netaddr ip;
    uint16_t port;
    if (!netaddr_from_sockaddr(sa, (socklen_t)salen, &ip, &port)) {
        evutil_closesocket(fd);
        return;
    }
    pthread_mutex_lock(&net->mutex);
    char s[NETADDR_SERVICE_STR_MAX];
    netaddr_format_service(&ip, port, s);
    if (p2p_is_discouraged(net, &ip)) {
        LOG_DEBUG(LOG_CAT_NET, "refused connection from discouraged %s", s);
        evutil_closesocket(fd);
        goto out;
    }
    if (count_live(net) >= net->max_connections) {
        struct p2p_peer *victim = pick_eviction(net);
        if (victim == NULL) {
            LOG_DEBUG(LOG_CAT_NET, "refused connection from %s: full", s);
            evutil_closesocket(fd);
            goto out;
        }
        p2p_peer_disconnect(victim, "evicted to make room");
    }
    struct bufferevent *bev = bufferevent_socket_new(net->ctx->base, fd,
                                                     BEV_OPT_CLOSE_ON_FREE | BEV_OPT_THREADSAFE);
    if (bev == NULL) {
        evutil_closesocket(fd);
        goto out;
    }
    struct p2p_peer *peer = peer_new(net, bev, &ip, port, P2P_CONN_INBOUND);
    if (peer == NULL) {
        bufferevent_free(bev);
        goto out;
    }
    peer->connected = true;
    set_nodelay(bev);
    LOG_DEBUG(LOG_CAT_NET, "accepted connection from %s peer=%llu", s,
              (unsigned long long)peer->id);
    netproc_peer_connected(peer);
out:
    pthread_mutex_unlock(&net->mutex);
}

/* ------------------------------------------------------------ timers */

static void check_timeouts(struct p2p_net *net, int64_t now)
{
    for (size_t i = 0; i < net->n_peers; i++) {
        struct p2p_peer *p = net->peers[i];
        if (p->disconnect)
            continue;
        if (!p->handshake_done) {
            if (now - p->connect_mono > P2P_HANDSHAKE_TIMEOUT)
                p2p_peer_disconnect(p, "handshake timeout");
            continue;
        }
        if (now - p->last_recv > P2P_TIMEOUT_INTERVAL) {
            p2p_peer_disconnect(p, "nothing received for 20 minutes");
            continue;
        }
        if (p->ping_nonce != 0 && now - p->last_ping_time > P2P_TIMEOUT_INTERVAL) {
            p2p_peer_disconnect(p, "no pong for 20 minutes");
            continue;
        }
        if (p->ping_nonce == 0 && (p->ping_now || now - p->last_ping_time >= P2P_PING_INTERVAL)) {
            uint64_t nonce = 0;
            while (nonce == 0)
                random_bytes(&nonce, sizeof nonce);
            p->ping_nonce = nonce;
            p->ping_now = false;
            p->last_ping_time = now;
            p->ping_start_us = time_mono_us();
            struct buf b;
            struct ser_writer w;
            size_t start;
            buf_init(&b);
            p2p_msg_begin(&w, &b, "ping", &start);
            p2p_write_nonce(&w, nonce);
            if (p2p_msg_finish(&w, &b, start, net->magic))
                p2p_peer_send(p, &b);
            buf_clear(&b);
        }
    }
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct p2p_net *net = arg;
    pthread_mutex_lock(&net->mutex);
    int64_t now = mono_now();
    cleanup_peers(net);
    check_timeouts(net, now);
    collect_resolved(net);
    open_connections(net, now);
    netproc_tick(net);
    cleanup_peers(net);
    pthread_mutex_unlock(&net->mutex);
}

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct p2p_net *net = arg;
    pthread_mutex_lock(&net->mutex);
    for (size_t i = 0; i < net->n_onetry; i++) {
        connect_str(net, net->onetry[i], NAME_ONETRY);
        free(net->onetry[i]);
    }
    net->n_onetry = 0;
    netproc_notified(net);
    check_timeouts(net, mono_now());
    cleanup_peers(net);
    pthread_mutex_unlock(&net->mutex);
}

/* ------------------------------------------------------------ start/stop */

static bool str_list_add(char ***list, size_t *n, const char *s)
{
    char *copy = strdup(s);
    void *p = realloc(*list, (*n + 1) * sizeof **list);
    if (copy == NULL || p == NULL) {
        free(copy);
        if (p != NULL)
            *list = p;
        return false;
    }
    *list = p;
    (*list)[(*n)++] = copy;
    return true;
}

static void str_list_free(char ***list, size_t *n)
{
    for (size_t i = 0; i < *n; i++)
        free((*list)[i]);
    free(*list);
    *list = NULL;
    *n = 0;
}

static bool bind_one(struct p2p_net *net, const char *spec, char *err, size_t errlen)
{
    struct netaddr ip;
    uint16_t port;
    if (!netaddr_parse_service(spec, net->port, &ip, &port, err, errlen))
        return false;
    struct sockaddr_storage ss;
    socklen_t len;
    netaddr_to_sockaddr(&ip, port, &ss, &len);
    if (net->n_listeners == sizeof net->listeners / sizeof net->listeners[0]) {
        snprintf(err, errlen, "too many -bind addresses");
        return false;
    }
    struct evconnlistener *l = evconnlistener_new_bind(
        net->ctx->base, on_accept, net,
        LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_THREADSAFE, 128,
        (struct sockaddr *)&ss, (int)len);
    if (l == NULL) {
        snprintf(err, errlen, "cannot listen on %s: %s", spec, strerror(errno));
        return false;
    }
    net->listeners[net->n_listeners++] = l;
    LOG_INFO(LOG_CAT_NET, "listening for P2P connections on %s (port %u)", spec,
             (unsigned)port);
    return true;
}

static void on_tx_accepted(void *arg, const struct tx *tx, const uint8_t txid[SHA256_LEN])
{
    (void)tx;
    struct node_ctx *ctx = arg;
    p2p_announce_inv(ctx, P2P_INV_TX, txid);
}

static void on_block_connected(void *arg, const struct block *b,
                               const struct blockindex_entry *e)
{
    (void)b;
    (void)e;
    struct p2p_net *net = arg;
    pthread_mutex_lock(&net->notify_mutex);
    net->new_tip = true;
    pthread_mutex_unlock(&net->notify_mutex);
    wake(net);
}

#define P2P_MAX_REORG_TXIDS 100000

/* Runs inside the reorg, before the mempool took the txs back: only
 * their ids are noted here, netproc_notified looks them up afterwards. */
static void on_block_disconnected(void *arg, const struct block *b,
                                  const struct blockindex_entry *e)
{
    (void)e;
    struct p2p_net *net = arg;
    pthread_mutex_lock(&net->notify_mutex);
    for (size_t i = 0; i < b->tx_count; i++) {
        if (tx_is_coinbase(&b->txs[i]))
            continue;
        if (net->n_reorg_txids == net->cap_reorg_txids &&
            (net->cap_reorg_txids >= P2P_MAX_REORG_TXIDS ||
             !grow_array((void **)&net->reorg_txids, &net->cap_reorg_txids,
                         net->n_reorg_txids + 1, sizeof *net->reorg_txids, 64)))
            break;
        tx_txid(&b->txs[i], net->reorg_txids[net->n_reorg_txids++]);
    }
    pthread_mutex_unlock(&net->notify_mutex);
    wake(net);
}

static void net_free(struct p2p_net *net)
{
    for (size_t i = 0; i < net->n_listeners; i++)
        evconnlistener_free(net->listeners[i]);
    net->n_listeners = 0;
    for (size_t i = 0; i < net->n_peers; i++)
        net->peers[i]->disconnect = true; /* so no request moves to another */
    for (size_t i = 0; i < net->n_peers; i++)
        netproc_peer_gone(net->peers[i]);
    for (size_t i = 0; i < net->n_peers; i++)
        peer_free(net->peers[i]);
    free(net->peers);
    netproc_clear(net);
    if (net->timer != NULL)
        event_free(net->timer);
    if (net->wake != NULL)
        event_free(net->wake);
    if (net->addrman != NULL)
        addrman_free(net->addrman);
    if (net->banman != NULL)
        banman_free(net->banman);
    resolver_free(net->resolver);
    str_list_free(&net->manual, &net->n_manual);
    str_list_free(&net->onetry, &net->n_onetry);
    str_list_free(&net->seeds, &net->n_seeds);
    free(net->new_invs);
    free(net->want_invs);
    free(net->reorg_txids);
    pthread_mutex_destroy(&net->mutex);
    pthread_mutex_destroy(&net->notify_mutex);
    free(net);
}

static bool read_options(struct p2p_net *net, bool *listen, char *err, size_t errlen)
{
    struct node_ctx *ctx = net->ctx;
    int64_t port, maxconn;
    if (args_get_bool(ctx->args, "listen", true, listen, err, errlen) != ARGS_OK ||
        args_get_int(ctx->args, "port", ctx->params->p2p_port, 1, 65535, &port, err, errlen) !=
            ARGS_OK ||
        args_get_int(ctx->args, "maxconnections", P2P_DEFAULT_MAX_CONNECTIONS, 0, 10000,
                     &maxconn, err, errlen) != ARGS_OK)
        return false;
    net->port = (uint16_t)port;
    net->max_connections = (size_t)maxconn;
    const char *const *v;
    size_t n = args_get_list(ctx->args, "connect", &v);
    for (size_t i = 0; i < n; i++) {
        net->connect_only = true;
        if (strcmp(v[i], "0") != 0 && !str_list_add(&net->manual, &net->n_manual, v[i]))
            goto nomem;
    }
    n = args_get_list(ctx->args, "addnode", &v);
    for (size_t i = 0; i < n; i++)
        if (!str_list_add(&net->manual, &net->n_manual, v[i]))
            goto nomem;
    n = args_get_list(ctx->args, "seednode", &v);
    for (size_t i = 0; i < n; i++)
        if (!str_list_add(&net->seeds, &net->n_seeds, v[i]))
            goto nomem;
    return true;
nomem:
    snprintf(err, errlen, "out of memory");
    return false;
}

bool p2p_start(struct node_ctx *ctx, char *err, size_t errlen)
{
    struct p2p_net *net = calloc(1, sizeof *net);
    if (net == NULL) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&net->mutex, &attr);
    pthread_mutexattr_destroy(&attr);
    pthread_mutex_init(&net->notify_mutex, NULL);
    net->ctx = ctx;
    net->magic = ctx->params->magic;
    net->next_id = 0;
    if (!random_bytes(&net->group_key, sizeof net->group_key))
        net->group_key = (uint64_t)time_mono_us();
    bool listen;
    if (!read_options(net, &listen, err, errlen) || !netproc_init(net))
        goto fail;
    net->resolver = resolver_new();
    if (net->resolver == NULL) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    struct addrman_config acfg = {.allow_local = ctx->params->network == CHAIN_REGTEST,
                                  .key = NULL};
    net->addrman = addrman_new(&acfg);
    if (net->addrman == NULL) {
        snprintf(err, errlen, "cannot create the address manager");
        goto fail;
    }
    snprintf(net->peers_path, sizeof net->peers_path, "%s/peers.dat", ctx->datadir);
    addrman_load(net->addrman, net->peers_path);
    char banpath[PATH_MAX + 16];
    snprintf(banpath, sizeof banpath, "%s/banlist.json", ctx->datadir);
    net->banman = banman_new(banpath);
    if (net->banman == NULL) {
        snprintf(err, errlen, "cannot create the ban manager");
        goto fail;
    }
    net->timer = event_new(ctx->base, -1, EV_PERSIST, on_timer, net);
    net->wake = event_new(ctx->base, -1, 0, on_wake, net);
    struct timeval tv = {0, 100000};
    if (net->timer == NULL || net->wake == NULL || event_add(net->timer, &tv) != 0) {
        snprintf(err, errlen, "cannot create the P2P timers");
        goto fail;
    }
    if (listen && net->max_connections > 0) {
        const char *const *binds;
        size_t nb = args_get_list(ctx->args, "bind", &binds);
        if (nb == 0 && !bind_one(net, "0.0.0.0", err, errlen))
            goto fail;
        for (size_t i = 0; i < nb; i++)
            if (!bind_one(net, binds[i], err, errlen))
                goto fail;
        net->listening = true;
    }
    struct services_tx_listener tl = {.ctx = ctx, .accepted = on_tx_accepted};
    struct chain_listener bl = {.ctx = net, .connected = on_block_connected,
                                .disconnected = on_block_disconnected};
    pthread_mutex_lock(&ctx->lock);
    bool ok = services_add_tx_listener(ctx, &tl) && services_add_block_listener(ctx, &bl);
    pthread_mutex_unlock(&ctx->lock);
    if (!ok) {
        snprintf(err, errlen, "cannot register the P2P listeners");
        goto fail;
    }
    g_net = net;
    LOG_INFO(LOG_CAT_NET, "P2P started: port %u, max %zu connections%s", (unsigned)net->port,
             net->max_connections, net->connect_only ? ", -connect only" : "");
    return true;
fail:
    pthread_mutex_lock(&ctx->lock);
    services_remove_listeners(ctx, ctx);
    services_remove_listeners(ctx, net);
    pthread_mutex_unlock(&ctx->lock);
    net_free(net);
    return false;
}

void p2p_stop(struct node_ctx *ctx)
{
    struct p2p_net *net = p2p_net_get(ctx);
    if (net == NULL)
        return;
    pthread_mutex_lock(&ctx->lock);
    services_remove_listeners(ctx, ctx);
    services_remove_listeners(ctx, net);
    pthread_mutex_unlock(&ctx->lock);
    char err[256];
    if (!addrman_save(net->addrman, net->peers_path, err, sizeof err))
        LOG_WARN(LOG_CAT_NET, "saving peers.dat failed: %s", err);
    if (!banman_flush(net->banman, err, sizeof err))
        LOG_WARN(LOG_CAT_NET, "saving banlist.json failed: %s", err);
    pthread_mutex_lock(&net->mutex);
    g_net = NULL;
    pthread_mutex_unlock(&net->mutex);
    net_free(net);
}

/* ------------------------------------------------------------ RPC */

static const char *conn_type_name(enum p2p_conn_type t)
{
    static const char *const names[] = {"inbound", "outbound-full-relay", "manual",
                                        "addr-fetch"};
    return names[t];
}

/* Peer-supplied 64-bit numbers as JSON integers (which are signed). */
static json_t *json_u64(uint64_t v)
{
    return json_integer(v > INT64_MAX ? INT64_MAX : (json_int_t)v);
}

static json_t *peer_json(const struct p2p_peer *p, int64_t now_mono)
{
    (void)now_mono;
    char services[17];
    snprintf(services, sizeof services, "%016llx", (unsigned long long)p->their.services);
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer((json_int_t)p->id));
    json_object_set_new(o, "addr", json_string(p->addr_str));
    json_object_set_new(o, "services", json_string(services));
    int64_t wall = time_now(), mono = mono_now();
    json_object_set_new(o, "lastsend", json_integer(wall - (mono - p->last_send)));
    json_object_set_new(o, "lastrecv", json_integer(wall - (mono - p->last_recv)));
    json_object_set_new(o, "bytessent", json_integer((json_int_t)p->bytes_sent));
    json_object_set_new(o, "bytesrecv", json_integer((json_int_t)p->bytes_recv));
    json_object_set_new(o, "conntime", json_integer(p->connect_time));
    int64_t their_time = p->their.timestamp > INT64_MAX ? INT64_MAX : (int64_t)p->their.timestamp;
    json_object_set_new(o, "timeoffset",
                        json_integer(p->version_received ? their_time - p->connect_time : 0));
    if (p->ping_rtt_us >= 0)
        json_object_set_new(o, "pingtime", json_real((double)p->ping_rtt_us / 1e6));
    if (p->min_ping_us >= 0)
        json_object_set_new(o, "minping", json_real((double)p->min_ping_us / 1e6));
    if (p->ping_nonce != 0)
        json_object_set_new(o, "pingwait",
                            json_real((double)(time_mono_us() - p->ping_start_us) / 1e6));
    json_object_set_new(o, "version", json_u64(p->their.version));
    json_object_set_new(o, "subver", json_string(p->their.user_agent));
    json_object_set_new(o, "inbound", json_boolean(p->type == P2P_CONN_INBOUND));
    json_object_set_new(o, "connection_type", json_string(conn_type_name(p->type)));
    json_object_set_new(o, "startingheight", json_u64(p->their.best_height));
    json_object_set_new(o, "synced_headers",
                        json_integer(p->best_known ? (json_int_t)p->best_known->height : -1));
    json_object_set_new(o, "inflight", json_integer((json_int_t)p->n_blocks));
    json_object_set_new(o, "handshake_done", json_boolean(p->handshake_done));
    json_object_set_new(o, "misbehavior", json_integer(p->misbehavior));
    return o;
}

json_t *p2p_rpc_peerinfo(struct p2p_net *net)
{
    json_t *arr = json_array();
    pthread_mutex_lock(&net->mutex);
    int64_t now = mono_now();
    for (size_t i = 0; i < net->n_peers; i++)
        if (!net->peers[i]->disconnect)
            json_array_append_new(arr, peer_json(net->peers[i], now));
    pthread_mutex_unlock(&net->mutex);
    return arr;
}

size_t p2p_connection_count(struct p2p_net *net)
{
    pthread_mutex_lock(&net->mutex);
    size_t n = count_live(net);
    pthread_mutex_unlock(&net->mutex);
    return n;
}

json_t *p2p_rpc_networkinfo(struct p2p_net *net)
{
    json_t *o = json_object();
    pthread_mutex_lock(&net->mutex);
    size_t in = count_type(net, P2P_CONN_INBOUND), all = count_live(net);
    json_object_set_new(o, "connections", json_integer((json_int_t)all));
    json_object_set_new(o, "connections_in", json_integer((json_int_t)in));
    json_object_set_new(o, "connections_out", json_integer((json_int_t)(all - in)));
    json_object_set_new(o, "networkactive", json_true());
    json_object_set_new(o, "listening", json_boolean(net->listening));
    json_object_set_new(o, "port", json_integer(net->port));
    json_object_set_new(o, "maxconnections", json_integer((json_int_t)net->max_connections));
    pthread_mutex_unlock(&net->mutex);
    return o;
}

void p2p_net_totals(struct p2p_net *net, uint64_t *recv, uint64_t *sent)
{
    pthread_mutex_lock(&net->mutex);
    *recv = net->total_recv;
    *sent = net->total_sent;
    pthread_mutex_unlock(&net->mutex);
}

bool p2p_addnode(struct p2p_net *net, const char *addr, enum p2p_addnode_cmd cmd, char *err,
                 size_t errlen)
{
    struct netaddr ip;
    uint16_t port;
    if (!resolve(net, addr, &ip, &port)) {
        snprintf(err, errlen, "Cannot resolve node address %s", addr);
        return false;
    }
    bool ok = true;
    pthread_mutex_lock(&net->mutex);
    size_t found = net->n_manual;
    for (size_t i = 0; i < net->n_manual; i++)
        if (strcmp(net->manual[i], addr) == 0)
            found = i;
    switch (cmd) {
    case P2P_ADDNODE_ADD:
        if (found < net->n_manual) {
            snprintf(err, errlen, "Error: Node already added");
            ok = false;
        } else if (!str_list_add(&net->manual, &net->n_manual, addr)) {
            snprintf(err, errlen, "out of memory");
            ok = false;
        } else {
            net->next_manual_try = 0;
        }
        break;
    case P2P_ADDNODE_REMOVE:
        if (found == net->n_manual) {
            snprintf(err, errlen, "Error: Node could not be removed. It has not been added "
                                  "previously.");
            ok = false;
        } else {
            free(net->manual[found]);
            net->manual[found] = net->manual[--net->n_manual];
        }
        break;
    case P2P_ADDNODE_ONETRY:
        if (!str_list_add(&net->onetry, &net->n_onetry, addr)) {
            snprintf(err, errlen, "out of memory");
            ok = false;
        }
        break;
    }
    pthread_mutex_unlock(&net->mutex);
    if (ok)
        wake(net);
    return ok;
}

bool p2p_disconnect(struct p2p_net *net, const char *addr, int64_t id)
{
    bool found = false;
    pthread_mutex_lock(&net->mutex);
    for (size_t i = 0; i < net->n_peers; i++) {
        struct p2p_peer *p = net->peers[i];
        if (p->disconnect)
            continue;
        if ((addr != NULL && strcmp(p->addr_str, addr) == 0) ||
            (addr == NULL && id >= 0 && p->id == (uint64_t)id)) {
            p2p_peer_disconnect(p, "disconnectnode");
            found = true;
        }
    }
    pthread_mutex_unlock(&net->mutex);
    return found;
}

void p2p_disconnect_subnet(struct p2p_net *net, const struct banman_subnet *sn)
{
    pthread_mutex_lock(&net->mutex);
    for (size_t i = 0; i < net->n_peers; i++)
        if (banman_subnet_contains(sn, &net->peers[i]->ip))
            p2p_peer_disconnect(net->peers[i], "banned");
    pthread_mutex_unlock(&net->mutex);
}

void p2p_ping_all(struct p2p_net *net)
{
    pthread_mutex_lock(&net->mutex);
    for (size_t i = 0; i < net->n_peers; i++)
        net->peers[i]->ping_now = true;
    pthread_mutex_unlock(&net->mutex);
    wake(net);
}

json_t *p2p_rpc_nodeaddresses(struct p2p_net *net, size_t count)
{
    json_t *arr = json_array();
    size_t n = addrman_size(net->addrman);
    if (count == 0 || count > n)
        count = n;
    if (count == 0)
        return arr;
    struct addrman_addr *a = calloc(count, sizeof *a);
    if (a == NULL)
        return arr;
    size_t got = addrman_get_addr(net->addrman, a, count, 0);
    for (size_t i = 0; i < got; i++) {
        char s[NETADDR_STR_MAX];
        netaddr_format(&a[i].ip, s);
        json_t *o = json_object();
        json_object_set_new(o, "time", json_integer(a[i].time));
        json_object_set_new(o, "services", json_integer((json_int_t)a[i].services));
        json_object_set_new(o, "address", json_string(s));
        json_object_set_new(o, "port", json_integer(a[i].port));
        json_object_set_new(o, "network",
                            json_string(netaddr_is_ipv4(&a[i].ip) ? "ipv4" : "ipv6"));
        json_array_append_new(arr, o);
    }
    free(a);
    return arr;
}
