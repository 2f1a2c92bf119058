/* peer: the internals shared by the P2P modules (net, netproc, sync,
 * peerdata) — the connection manager's state and one connected peer's
 * state. Private to src/p2p: RPC and the rest of the node use net.h and
 * netproc.h.
 *
 * All of it is touched on the event loop thread with net->mutex held
 * (every libevent callback of net.c takes it), and by RPC threads only
 * through net.h's functions, which take the same mutex. Lock order:
 * a bufferevent's own lock (held by libevent around its callbacks), then
 * net->mutex, then the chain lock; so RPC threads never call bufferevent
 * functions — they mark peers and wake the loop. */
#ifndef SOUK_P2P_PEER_H
#define SOUK_P2P_PEER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "node/blockindex.h"
#include "node/keymap.h"
#include "node/node.h"
#include "p2p/addrman.h"
#include "p2p/netaddr.h"
#include "p2p/netproc.h"
#include "p2p/protocol.h"
#include "util/buf.h"

struct bufferevent;
struct evconnlistener;
struct event;
struct resolver;

/* Hashes a peer knows (announced to us or by us), two generations of an
 * insert-only table of 64-bit keys: when the newer generation fills up it
 * becomes the older one, so the set remembers the latest 8,192 to 16,384.
 * The hashes come from the peer (an inv may name anything), so the key is
 * a hash of all 32 bytes seeded per set: a peer can neither pile its
 * entries into one run of slots nor make two hashes look the same. */
#define P2P_INVSET_SLOTS 16384
#define P2P_INVSET_GEN_MAX 8192
struct p2p_invset {
    uint64_t *gen[2];
    size_t count; /* in gen[0] */
    uint64_t seed;
};

/* Blocks in flight from one peer at most, and the window ahead of the tip. */
#define P2P_MAX_BLOCKS_IN_FLIGHT 16
#define P2P_BLOCK_WINDOW 1024
/* A requested block not delivered within this many seconds: the peer is
 * stalling and gets disconnected (its blocks go to others). */
#define P2P_BLOCK_STALL_SECS 30
/* A peer holding up the window (the lowest missing block of the window is
 * in flight from it while another peer has nothing left to ask for) is
 * disconnected after this long; each such disconnection doubles the wait
 * up to the maximum, delivered blocks shrink it back. */
#define P2P_WINDOW_STALL_US 2000000
#define P2P_WINDOW_STALL_MAX_US 64000000
/* Txs requested from one peer and not yet answered, at most. */
#define P2P_MAX_TX_IN_FLIGHT 5000
#define P2P_TX_REQUEST_TIMEOUT 60
#define P2P_MAX_GETDATA_QUEUE 50000
#define P2P_MAX_TX_ANNOUNCE_QUEUE 50000
#define P2P_MAX_ADDR_QUEUE 1000
#define P2P_MAX_UNCONNECTING_HEADERS 10

enum p2p_conn_type {
    P2P_CONN_INBOUND,
    P2P_CONN_OUTBOUND, /* automatic, from the address manager */
    P2P_CONN_MANUAL,   /* -connect, -addnode, addnode RPC */
    P2P_CONN_SEED,     /* -seednode: getaddr, then disconnect */
};

struct p2p_block_req {
    uint8_t hash[32]; /* keymap key: first */
    struct p2p_peer *peer;
    struct blockindex_entry *entry;
    int64_t time;
};

/* Other peers that announced a txid while it was requested from one:
 * when that request ends without the tx (notfound, timeout, the peer
 * left) the next of them is asked, so a peer that announces everything
 * and delivers nothing holds a tx up for one timeout, not for good. */
#define P2P_TX_REQ_ALTS 8

struct p2p_tx_req {
    uint8_t txid[32]; /* keymap key: first */
    struct p2p_peer *peer;
    int64_t time;
    uint64_t alt[P2P_TX_REQ_ALTS]; /* peer ids, oldest announcement first */
    size_t n_alt;
};

/* A header chain too light to store when it arrived (chain_antidos_work),
 * counted without being stored, then asked for again and stored once it
 * proved to reach the threshold (see sync.c, "presync"). */
enum p2p_presync_phase { P2P_PRESYNC_NONE, P2P_PRESYNC_COUNT, P2P_PRESYNC_REDOWNLOAD };
#define P2P_PRESYNC_MTP_SPAN 11
/* Messages of 2,000 headers one presync counts at most (4,096 hashes of
 * 32 bytes, 128 KiB a peer): more than 8 million headers. */
#define P2P_PRESYNC_MAX_MARKS 4096

struct p2p_presync {
    enum p2p_presync_phase phase;
    struct blockindex_entry *start; /* the known parent of the first header */
    uint8_t last_hash[32];          /* of the last header counted */
    uint64_t last_height;
    int64_t times[P2P_PRESYNC_MTP_SPAN]; /* the last headers' times, oldest first */
    size_t n_times;
    struct u256 work;               /* claimed by the chain counted so far */
    /* The last hash of each message counted: a redownloaded message must
     * end with the same one, which (hashes chain) makes it the same
     * headers, so the peer cannot count one chain and store another. */
    uint8_t (*marks)[32];
    size_t n_marks, cap_marks, next_mark;
};

struct p2p_peer {
    uint64_t id;
    struct p2p_net *net;
    struct bufferevent *bev;
    struct netaddr ip;
    uint16_t port;
    char addr_str[NETADDR_SERVICE_STR_MAX];
    enum p2p_conn_type type;
    bool connected;       /* the TCP connection is up (outbound: connect finished) */
    bool disconnect;      /* marked: freed by the next cleanup */
    bool released;        /* its requests are handed back: only freeing is left */
    bool read_paused;     /* send buffer over P2P_SEND_LIMIT */
    int64_t connect_time;     /* wall clock, for RPC */
    int64_t connect_mono;     /* monotonic seconds, for timeouts (so is every time below) */
    int64_t last_recv, last_send;
    uint64_t bytes_recv, bytes_sent;
    int misbehavior;

    /* handshake */
    uint64_t local_nonce;
    bool version_sent, version_received, verack_received, handshake_done;
    struct p2p_version their;

    /* ping */
    uint64_t ping_nonce;      /* outstanding, 0 when none */
    int64_t ping_start_us;
    int64_t last_ping_time;   /* when the last ping was sent (seconds) */
    int64_t ping_rtt_us, min_ping_us;
    bool ping_now;

    /* relay */
    bool send_headers;        /* the peer sent sendheaders */
    bool getaddr_answered;
    double addr_tokens;       /* addr processing token bucket */
    int64_t addr_token_time;
    struct p2p_invset known;
    struct p2p_inv *inv_queue; /* txs (and plugin objects) to announce */
    size_t n_inv_queue, cap_inv_queue;
    int64_t next_tx_send_us;
    struct p2p_addr *addr_queue;
    size_t n_addr_queue;
    struct p2p_inv *getdata;  /* requests waiting for room in the send buffer */
    size_t getdata_head, n_getdata, cap_getdata;
    size_t n_tx_in_flight;
    int refused_resends;      /* unrequested txs it sent that were refused at this tip already */
    /* plugin objects: those asked of it and not yet received, the bucket
     * its unrequested ones draw on, and the walk through our own objects
     * offered to it after the handshake */
    size_t plugin_in_flight;
    double plugin_tokens;
    int64_t plugin_token_us;
    bool inv_sync_active;
    size_t inv_sync_handler;
    bool inv_sync_has_cursor;
    uint8_t inv_sync_cursor[32];
    int64_t last_tx_time, last_block_time; /* last new tx / block from it (eviction) */

    /* sync */
    struct blockindex_entry *best_known; /* best header the peer is known to have */
    struct blockindex_entry *last_announced; /* last header we sent it */
    struct p2p_block_req *blocks[P2P_MAX_BLOCKS_IN_FLIGHT];
    size_t n_blocks;
    int64_t window_stall_us;  /* since when it holds up the window (0: it does not) */
    uint8_t window_stall_hash[32]; /* the block it holds it up with */
    bool sync_started;        /* our first getheaders went out */
    int64_t headers_asked;    /* when we last asked it for headers */
    int unconnecting_headers;
    struct p2p_presync presync;

    struct p2p_reader reader; /* the frame being received */
    size_t recv_held;         /* its bytes, as counted in net->recv_held */
    int64_t recv_since_us;    /* when the frame being received started to hold bytes */
};

#define P2P_MAX_INV_HANDLERS 16

struct p2p_net {
    struct node_ctx *ctx;
    const uint8_t *magic;
    pthread_mutex_t mutex;    /* recursive */

    struct p2p_peer **peers;
    size_t n_peers, cap_peers;
    uint64_t next_id;
    size_t max_connections;
    bool listening;
    uint16_t port;
    struct evconnlistener *listeners[8];
    size_t n_listeners;

    struct addrman *addrman;
    char peers_path[PATH_MAX + 16];

    /* -connect (exclusive), -addnode/-seednode and addnode RPC */
    bool connect_only;
    char **manual;            /* "host:port" kept connected */
    size_t n_manual;
    char **onetry;            /* connect once, then forget */
    size_t n_onetry;
    char **seeds;
    size_t n_seeds;
    int64_t next_manual_try;
    int64_t next_outbound_try;
    struct resolver *resolver; /* names of the above, off the loop thread */

    struct banman *banman;    /* bans and discouragement (banlist.json) */
    uint64_t group_key;       /* secret: which network groups eviction protects */

    uint64_t total_recv, total_sent;
    size_t recv_held;         /* bytes of incomplete frames, all peers (P2P_RECV_TOTAL_LIMIT) */

    struct event *timer;      /* 100 ms tick */
    struct event *wake;       /* RPC threads and listeners ask the loop to act */

    /* Filled under notify_mutex (a leaf lock) by chain/mempool listeners. */
    pthread_mutex_t notify_mutex;
    struct p2p_inv *new_invs;
    size_t n_new_invs, cap_new_invs;
    /* Plugin objects a plugin asked for (p2p_request_inv). */
    struct p2p_inv *want_invs;
    size_t n_want_invs, cap_want_invs;
    bool new_tip;
    /* txids of disconnected blocks: those back in the mempool once the
     * reorg is done are announced like new txs */
    uint8_t (*reorg_txids)[32];
    size_t n_reorg_txids, cap_reorg_txids;

    /* netproc */
    struct keymap block_reqs; /* hash -> struct p2p_block_req */
    struct keymap tx_reqs;    /* txid -> struct p2p_tx_req */
    struct p2p_orphan *orphans;
    size_t n_orphans;
    /* Txids refused since the last new tip (neither kept as orphans nor
     * duplicates): a peer replaying them costs a lookup, not a check. */
    struct p2p_invset recent_rejects;
    struct p2p_inv_handler inv_handlers[P2P_MAX_INV_HANDLERS];
    size_t n_inv_handlers;
    int64_t tx_delay_us;      /* mean delay of a tx announcement */
    int64_t last_request_blocks;
    int64_t window_stall_timeout_us;
    int64_t last_tx_expiry;   /* monotonic seconds */
};

/* ---- net.c ---- */

/* Queues a whole frame. False when the frame could not be queued (the
 * peer is then marked for disconnection). */
bool p2p_peer_send(struct p2p_peer *peer, const struct buf *frame);
/* Builds and sends one message whose payload write_fn writes. */
typedef void (*p2p_payload_fn)(struct ser_writer *w, const void *arg);
bool p2p_peer_send_msg(struct p2p_peer *peer, const char *command, p2p_payload_fn fn,
                       const void *arg);
/* Adds points; at P2P_MISBEHAVIOR_LIMIT disconnects and discourages. */
void p2p_peer_misbehave(struct p2p_peer *peer, int points, const char *reason);
/* Marks the peer for disconnection; it is freed by the next cleanup. */
void p2p_peer_disconnect(struct p2p_peer *peer, const char *reason);
size_t p2p_peer_send_queued(const struct p2p_peer *peer);
bool p2p_peer_usable(const struct p2p_peer *peer); /* handshake done, not leaving */

/* ---- peerdata.c ---- */

/* Inbound eviction, bitcoind-style. Protected, in turn: the longest
 * connected peer of each of P2P_EVICT_PROTECT network groups (the groups
 * ranking highest under the secret key), the P2P_EVICT_PROTECT lowest
 * measured pings, the P2P_EVICT_PROTECT latest to send a new tx, the same
 * for blocks, then the longer connected half of the rest. Of what is left,
 * the youngest peer of the network group with the most peers is returned;
 * NULL when nobody is left (or out of memory). c (n candidates) is
 * reordered. */
#define P2P_EVICT_PROTECT 4
struct p2p_peer *p2p_select_eviction(struct p2p_peer **c, size_t n, uint64_t key);

/* ---- invset ---- */
bool p2p_invset_init(struct p2p_invset *s);
void p2p_invset_clear(struct p2p_invset *s);
bool p2p_invset_has(const struct p2p_invset *s, const uint8_t hash[32]);
void p2p_invset_add(struct p2p_invset *s, const uint8_t hash[32]);

/* ---- netproc.c ---- */
bool netproc_init(struct p2p_net *net);
void netproc_clear(struct p2p_net *net);
/* A connection is up: outbound peers send their version. */
void netproc_peer_connected(struct p2p_peer *peer);
/* The peer is going away: its requests go back to the pool. */
void netproc_peer_gone(struct p2p_peer *peer);
/* Whether a frame of `command` from the peer is read (true) or dropped
 * unread: a command neither the table nor a plugin knows, or one that
 * would be ignored anyway. */
bool netproc_wants(void *peer, const char *command);
/* One frame body; the peer may be marked for disconnection afterwards. */
void netproc_handle(struct p2p_peer *peer, const uint8_t *body, size_t len);
/* Serves queued getdata while the send buffer has room. */
void netproc_serve(struct p2p_peer *peer);
/* Timer tick: trickled announcements, pings, stalls, block requests. */
void netproc_tick(struct p2p_net *net);
/* Drains what listeners queued (new txs, new tip). */
void netproc_notified(struct p2p_net *net);

/* ---- sync.c ---- */
void sync_handshake_done(struct p2p_peer *peer);
void sync_handle_getheaders(struct p2p_peer *peer, const struct p2p_payload *p);
void sync_handle_headers(struct p2p_peer *peer, const struct p2p_payload *p);
void sync_handle_block(struct p2p_peer *peer, const struct p2p_payload *p);
/* A block inv from the peer. True when the block is unknown: the caller
 * then sends one getheaders for the whole inv (not one per item, which a
 * peer could turn into thousands of replies). Chain lock held. */
bool sync_block_announced(struct p2p_peer *peer, const uint8_t hash[32]);
void sync_request_blocks(struct p2p_net *net);
/* Disconnects peers that hold up the window or sit on a block too long. */
void sync_check_stalls(struct p2p_net *net, int64_t now);
void sync_peer_gone(struct p2p_peer *peer);
/* Announces a new tip to every peer (headers or inv). */
void sync_announce_tip(struct p2p_net *net);
/* Sends getheaders with a locator from `from` (NULL: best header). Chain lock held. */
void sync_send_getheaders(struct p2p_peer *peer, struct blockindex_entry *from);

#endif
