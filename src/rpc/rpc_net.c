#define _POSIX_C_SOURCE 200809L
#include "rpc/rpc_net.h"

#include <stdlib.h>
#include <string.h>

#include "node/mempool.h"
#include "node/node.h"
#include "node/services.h"
#include "p2p/banman.h"
#include "p2p/net.h"
#include "p2p/protocol.h"
#include "rpc/server.h"
#include "util/time.h"


static struct p2p_net *net_or_error(struct rpc_request *req)
{
    struct p2p_net *net = req->node != NULL ? p2p_net_get(req->node) : NULL;
    if (net == NULL)
        rpc_error(req, RPC_CLIENT_P2P_DISABLED, "Error: Peer-to-peer functionality missing or "
                                               "disabled");
    return net;
}

static bool rpc_getpeerinfo(struct rpc_request *req, json_t **result)
{
    struct p2p_net *net = net_or_error(req);
    if (net == NULL)
        return false;
    *result = p2p_rpc_peerinfo(net);
    return true;
}

static bool rpc_getconnectioncount(struct rpc_request *req, json_t **result)
{
    struct p2p_net *net = net_or_error(req);
    if (net == NULL)
        return false;
    *result = json_integer((json_int_t)p2p_connection_count(net));
    return true;
}

static bool rpc_getnetworkinfo(struct rpc_request *req, json_t **result)
{
    struct p2p_net *net = net_or_error(req);
    if (net == NULL)
        return false;
    json_t *o = p2p_rpc_networkinfo(net);
    json_object_set_new(o, "version", json_integer(100));
    json_object_set_new(o, "subversion", json_string(P2P_USER_AGENT));
    json_object_set_new(o, "protocolversion", json_integer(P2P_PROTOCOL_VERSION));
    json_object_set_new(o, "localservices", json_string("0000000000000001"));
    json_object_set_new(o, "localservicesnames", json_pack("[s]", "NETWORK"));
    json_object_set_new(o, "localrelay", json_true());
    json_object_set_new(o, "timeoffset", json_integer(0));
    pthread_mutex_lock(&req->node->lock);
    amount_t rate = mempool_min_fee_rate(services_mempool(req->node));
    pthread_mutex_unlock(&req->node->lock);
    json_object_set_new(o, "relayfee", rpc_amount_json(rate * 1000));
    json_object_set_new(o, "localaddresses", json_array());
    json_object_set_new(o, "warnings", json_string(""));
    *result = o;
    return true;
}

static bool rpc_getnettotals(struct rpc_request *req, json_t **result)
{
    struct p2p_net *net = net_or_error(req);
    if (net == NULL)
        return false;
    uint64_t recv, sent;
    p2p_net_totals(net, &recv, &sent);
    *result = json_pack("{s:I,s:I,s:I}", "totalbytesrecv", (json_int_t)recv, "totalbytessent",
                        (json_int_t)sent, "timemillis", (json_int_t)(time_system_us() / 1000));
    return true;
}

static bool rpc_addnode(struct rpc_request *req, json_t **result)
{
    const char *node, *cmd;
    if (!rpc_param_str(req, 0, NULL, &node) || !rpc_param_str(req, 1, NULL, &cmd))
        return false;
    enum p2p_addnode_cmd c;
    if (strcmp(cmd, "add") == 0)
        c = P2P_ADDNODE_ADD;
    else if (strcmp(cmd, "remove") == 0)
        c = P2P_ADDNODE_REMOVE;
    else if (strcmp(cmd, "onetry") == 0)
        c = P2P_ADDNODE_ONETRY;
    else
        return rpc_error(req, RPC_INVALID_PARAMETER,
                         "command must be one of \"add\", \"remove\" or \"onetry\"");
    struct p2p_net *net = net_or_error(req);
    if (net == NULL)
        return false;
    char err[256];
    if (!p2p_addnode(net, node, c, err, sizeof err)) {
        int code = c == P2P_ADDNODE_ADD      ? RPC_CLIENT_NODE_ALREADY_ADDED
                   : c == P2P_ADDNODE_REMOVE ? RPC_CLIENT_NODE_NOT_ADDED
                                             : RPC_INVALID_PARAMETER;
        if (strncmp(err, "Cannot resolve", 14) == 0)
            code = RPC_INVALID_PARAMETER;
        return rpc_error(req, code, "%s", err);
    }
    *result = NULL;
    return true;
}

static bool rpc_disconnectnode(struct rpc_request *req, json_t **result)
{
    const char *addr;
    int64_t id;
    if (!rpc_param_str(req, 0, "", &addr) || !rpc_param_int(req, 1, -1, -1, INT64_MAX, &id))
        return false;
    bool by_addr = addr[0] != '\0';
    if (by_addr == (id >= 0))
        return rpc_error(req, RPC_INVALID_PARAMETER,
                         "Only one of address and nodeid should be provided.");
    struct p2p_net *net = net_or_error(req);
    if (net == NULL)
        return false;
    if (!p2p_disconnect(net, by_addr ? addr : NULL, id))
        return rpc_error(req, RPC_CLIENT_NODE_NOT_CONNECTED,
                         "Node not found in connected nodes");
    *result = NULL;
    return true;
}

static bool rpc_ping(struct rpc_request *req, json_t **result)
{
    struct p2p_net *net = net_or_error(req);
    if (net == NULL)
        return false;
    p2p_ping_all(net);
    *result = NULL;
    return true;
}

static bool rpc_getnodeaddresses(struct rpc_request *req, json_t **result)
{
    int64_t count;
    if (!rpc_param_int(req, 0, 1, 0, 100000, &count))
        return false;
    struct p2p_net *net = net_or_error(req);
    if (net == NULL)
        return false;
    *result = p2p_rpc_nodeaddresses(net, (size_t)count);
    return true;
}

static bool rpc_setban(struct rpc_request *req, json_t **result)
{
    const char *subnet, *cmd;
    int64_t bantime;
    bool absolute;
    if (!rpc_param_str(req, 0, NULL, &subnet) || !rpc_param_str(req, 1, NULL, &cmd) ||
        !rpc_param_int(req, 2, 0, 0, INT64_MAX / 2, &bantime) ||
        !rpc_param_bool(req, 3, false, &absolute))
        return false;
    bool add = strcmp(cmd, "add") == 0;
    if (!add && strcmp(cmd, "remove") != 0)
        return rpc_error(req, RPC_INVALID_PARAMETER, "command must be \"add\" or \"remove\"");
    struct p2p_net *net = net_or_error(req);
    if (net == NULL)
        return false;
    struct banman_subnet sn;
    char err[128];
    if (!banman_subnet_parse(subnet, &sn, err, sizeof err))
        return rpc_error(req, RPC_CLIENT_INVALID_IP_OR_SUBNET, "Error: Invalid IP/Subnet (%s)",
                         err);
    struct banman *bm = p2p_banman(net);
    if (add) {
        int64_t now = time_now();
        int64_t until = absolute ? bantime : now + (bantime > 0 ? bantime : BANMAN_DEFAULT_BAN_SECS);
        enum banman_err be = banman_ban(bm, &sn, until);
        if (be == BANMAN_ERR_ALREADY)
            return rpc_error(req, RPC_CLIENT_NODE_ALREADY_ADDED, "Error: IP/Subnet already "
                                                                 "banned");
        if (be != BANMAN_OK)
            return rpc_error(req, RPC_MISC_ERROR, "Error: %s", banman_strerror(be));
        p2p_disconnect_subnet(net, &sn);
    } else {
        enum banman_err be = banman_unban(bm, &sn);
        if (be != BANMAN_OK)
            return rpc_error(req, RPC_CLIENT_INVALID_IP_OR_SUBNET,
                             "Error: Unban failed. Requested address/subnet was not previously "
                             "manually banned.");
    }
    *result = NULL;
    return true;
}

static bool rpc_listbanned(struct rpc_request *req, json_t **result)
{
    struct p2p_net *net = net_or_error(req);
    if (net == NULL)
        return false;
    struct banman *bm = p2p_banman(net);
    size_t n = banman_count(bm);
    struct banman_entry *v = calloc(n ? n : 1, sizeof *v);
    if (v == NULL)
        return rpc_nomem(req);
    n = banman_list(bm, v, n);
    json_t *arr = json_array();
    int64_t now = time_now();
    for (size_t i = 0; i < n; i++) {
        char s[BANMAN_SUBNET_STR_MAX];
        banman_subnet_format(&v[i].subnet, s);
        json_array_append_new(arr, json_pack("{s:s,s:I,s:I,s:I,s:I}", "address", s,
                                             "ban_created", (json_int_t)v[i].created,
                                             "banned_until", (json_int_t)v[i].until,
                                             "ban_duration",
                                             (json_int_t)(v[i].until - v[i].created),
                                             "time_remaining", (json_int_t)(v[i].until - now)));
    }
    free(v);
    *result = arr;
    return true;
}

static bool rpc_clearbanned(struct rpc_request *req, json_t **result)
{
    struct p2p_net *net = net_or_error(req);
    if (net == NULL)
        return false;
    banman_clear(p2p_banman(net));
    *result = NULL;
    return true;
}

static const struct rpc_method rpc_net_methods[] = {
    {"network", "getpeerinfo", rpc_getpeerinfo, "Data about each connected peer.",
     "Result: [{id, addr, services, lastsend, lastrecv, bytessent, bytesrecv, conntime,\n"
     "timeoffset, pingtime, minping, pingwait, version, subver, inbound, connection_type,\n"
     "startingheight, synced_headers, inflight, handshake_done, misbehavior}, ...]",
     {{NULL, 0, false, NULL}}},
    {"network", "getconnectioncount", rpc_getconnectioncount,
     "The number of connections to other nodes.", NULL, {{NULL, 0, false, NULL}}},
    {"network", "getnetworkinfo", rpc_getnetworkinfo, "The state of P2P networking.",
     "Result: {version, subversion, protocolversion, localservices, localrelay, timeoffset,\n"
     "networkactive, connections, connections_in, connections_out, listening, port,\n"
     "maxconnections, relayfee, localaddresses, warnings}",
     {{NULL, 0, false, NULL}}},
    {"network", "getnettotals", rpc_getnettotals, "Bytes received and sent over P2P.",
     "Result: {totalbytesrecv, totalbytessent, timemillis}", {{NULL, 0, false, NULL}}},
    {"network", "addnode", rpc_addnode,
     "Adds or removes a node kept connected, or connects to one once.", NULL,
     {{"node", RPC_ARG_STR, false, "ip[:port] or host[:port]"},
      {"command", RPC_ARG_STR, false, "\"add\", \"remove\" or \"onetry\""},
      {NULL, 0, false, NULL}}},
    {"network", "disconnectnode", rpc_disconnectnode,
     "Disconnects a peer, by address or by id.", NULL,
     {{"address", RPC_ARG_STR, true, "ip:port as in getpeerinfo"},
      {"nodeid", RPC_ARG_INT, true, "the peer's id"},
      {NULL, 0, false, NULL}}},
    {"network", "ping", rpc_ping,
     "Pings every peer; the round trip shows up in getpeerinfo's pingtime.", NULL,
     {{NULL, 0, false, NULL}}},
    {"network", "getnodeaddresses", rpc_getnodeaddresses, "Known addresses of other nodes.",
     "Result: [{time, services, address, port, network}, ...]",
     {{"count", RPC_ARG_INT, true, "how many at most, 0 for all (default 1)"},
      {NULL, 0, false, NULL}}},
    {"network", "setban", rpc_setban, "Bans or unbans an address or subnet.",
     "A banned address may not connect; bans are kept in banlist.json.",
     {{"subnet", RPC_ARG_STR, false, "ip or ip/prefix"},
      {"command", RPC_ARG_STR, false, "\"add\" or \"remove\""},
      {"bantime", RPC_ARG_INT, true, "seconds (default 86400), or a time with absolute"},
      {"absolute", RPC_ARG_BOOL, true, "bantime is an absolute Unix time (default false)"},
      {NULL, 0, false, NULL}}},
    {"network", "listbanned", rpc_listbanned, "The manual bans in force.",
     "Result: [{address, ban_created, banned_until, ban_duration, time_remaining}, ...]",
     {{NULL, 0, false, NULL}}},
    {"network", "clearbanned", rpc_clearbanned,
     "Lifts every ban and forgets every discouraged address.", NULL, {{NULL, 0, false, NULL}}},
};

bool rpc_net_register(struct rpc_table *t, char *err, size_t errlen)
{
    return rpc_register_table(t, rpc_net_methods, sizeof rpc_net_methods / sizeof rpc_net_methods[0],
                              err, errlen);
}
