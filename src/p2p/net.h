/* net: the P2P connection manager of a running node.
 *
 * Listens (-listen, -bind, -port), keeps outbound connections (-connect
 * only these, -addnode in addition, -seednode to learn addresses, then
 * automatic ones picked by the address manager), enforces the connection
 * limits (8 outbound, -maxconnections in all, inbound eviction), the
 * handshake and ping timeouts, bounded send and receive buffers and the
 * misbehaviour score (100: disconnect and discourage the address for
 * 24 h). Frames are read and handed to netproc; netproc's replies go out
 * through p2p_peer_send.
 *
 * Everything runs on the node's event loop thread. RPC worker threads only
 * read snapshots and queue requests through the functions below, which
 * take the manager's mutex and wake the loop. Lock order: the manager's
 * mutex, then the chain lock; listeners called under the chain lock only
 * queue work under a leaf mutex. Owns every connection, the listeners,
 * the address manager (peers.dat) and the discouragement list. */
#ifndef SOUK_P2P_NET_H
#define SOUK_P2P_NET_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "node/node.h"
#include "p2p/netaddr.h"
#include "util/args.h"

#define P2P_DEFAULT_MAX_CONNECTIONS 125
#define P2P_MAX_OUTBOUND 8
#define P2P_HANDSHAKE_TIMEOUT 60
#define P2P_PING_INTERVAL 120
#define P2P_TIMEOUT_INTERVAL (20 * 60)
#define P2P_DISCOURAGE_SECS (24 * 3600)
#define P2P_MISBEHAVIOR_LIMIT 100
/* Bytes of incomplete frames held for all peers together (each peer holds
 * at most one frame, up to P2P_HEADER_LEN + 8 MiB). Above it the peer
 * holding the most is disconnected (doc/protocol.md, "Limits"). Sixteen
 * blocks of the largest size, or eight frames of the largest size. */
#define P2P_RECV_TOTAL_LIMIT (64u * 1024u * 1024u)
/* libevent stops reading from a peer's socket while this much is waiting
 * in its input buffer (frames are taken from it as they arrive). */
#define P2P_RECV_CHUNK (64u * 1024u)
/* A peer's queued output above this stops reading (and serving) from it. */
#define P2P_SEND_LIMIT (4u * 1024u * 1024u)
#define P2P_USER_AGENT "/souk:0.1.0/"

extern const struct args_option p2p_options[];
extern const size_t p2p_options_count;

struct p2p_net;
struct banman;
struct banman_subnet;

/* The init hook pair ("p2p"): starts after the chain and mempool. */
bool p2p_start(struct node_ctx *ctx, char *err, size_t errlen);
void p2p_stop(struct node_ctx *ctx);

/* The running manager of this node, NULL when P2P is not started. */
struct p2p_net *p2p_net_get(struct node_ctx *ctx);

/* ---- for RPC (any thread) ---- */

/* getpeerinfo: one object per connected peer. New reference. */
json_t *p2p_rpc_peerinfo(struct p2p_net *net);
/* getnetworkinfo's connection part: connections, in, out, localaddresses... */
json_t *p2p_rpc_networkinfo(struct p2p_net *net);
size_t p2p_connection_count(struct p2p_net *net);
void p2p_net_totals(struct p2p_net *net, uint64_t *recv, uint64_t *sent);

enum p2p_addnode_cmd { P2P_ADDNODE_ADD, P2P_ADDNODE_REMOVE, P2P_ADDNODE_ONETRY };
/* False with a message (already added, not added, bad address). */
bool p2p_addnode(struct p2p_net *net, const char *addr, enum p2p_addnode_cmd cmd, char *err,
                 size_t errlen);
/* Disconnects by "ip:port" (addr non-NULL) or by id. False when no such peer. */
bool p2p_disconnect(struct p2p_net *net, const char *addr, int64_t id);
/* Pings every peer at the next timer tick. */
void p2p_ping_all(struct p2p_net *net);
/* Up to count known addresses (0: all) as getnodeaddresses objects. */
json_t *p2p_rpc_nodeaddresses(struct p2p_net *net, size_t count);

/* Whether connections from/to ip are refused: banned or discouraged. */
bool p2p_is_discouraged(struct p2p_net *net, const struct netaddr *ip);
void p2p_discourage(struct p2p_net *net, const struct netaddr *ip);
/* The node's ban manager (thread-safe itself), for setban/listbanned. */
struct banman *p2p_banman(struct p2p_net *net);
/* Disconnects every peer inside the subnet (after a ban). */
void p2p_disconnect_subnet(struct p2p_net *net, const struct banman_subnet *sn);

#endif
