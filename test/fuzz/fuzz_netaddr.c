/* Network addresses and subnets as users and peers give them: the input
 * as text through netaddr_parse (-externalip, RPC arguments),
 * netaddr_parse_service (-addnode, -connect, -bind: host, host:port,
 * [v6]:port), banman_subnet_parse (setban, banlist.json) and
 * http_subnet_parse (-rpcallowip).
 *
 * Each accepted form is written back (netaddr_format,
 * netaddr_format_service, banman_subnet_format) and parses to the same
 * value; a service's port is 1..65535; a ban subnet has its host bits
 * clear and contains its own network address; an -rpcallowip subnet
 * matches a peer at its own address, and an IPv4 one also the peer
 * arriving IPv4-mapped. The parsed address is classified and grouped as
 * the address manager would (netaddr_group fits its bound). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "fuzz.h"

#include "p2p/banman.h"
#include "p2p/netaddr.h"
#include "rpc/httpserver.h"

static void check_address(const char *s)
{
    struct netaddr a, back;
    if (!netaddr_parse(s, &a))
        return;
    char text[NETADDR_STR_MAX];
    netaddr_format(&a, text);
    FUZZ_ASSERT(netaddr_parse(text, &back) && netaddr_equal(&a, &back));
    uint8_t group[NETADDR_GROUP_MAX];
    size_t n = netaddr_group(&a, group);
    FUZZ_ASSERT(n >= 1 && n <= NETADDR_GROUP_MAX);
    FUZZ_ASSERT(!netaddr_is_routable(&a) || netaddr_is_valid(&a));
    FUZZ_ASSERT(!netaddr_is_loopback(&a) || !netaddr_is_routable(&a));
    struct sockaddr_storage ss;
    socklen_t len;
    uint16_t port;
    netaddr_to_sockaddr(&a, 8733, &ss, &len);
    FUZZ_ASSERT(netaddr_from_sockaddr((const struct sockaddr *)&ss, len, &back, &port));
    FUZZ_ASSERT(netaddr_equal(&a, &back) && port == 8733);
}

static void check_service(const char *s)
{
    struct netaddr a, back;
    uint16_t port, back_port;
    char err[256];
    if (!netaddr_parse_service(s, 8733, &a, &port, err, sizeof err))
        return;
    FUZZ_ASSERT(port >= 1);
    char text[NETADDR_SERVICE_STR_MAX];
    netaddr_format_service(&a, port, text);
    FUZZ_ASSERT(netaddr_parse_service(text, 1, &back, &back_port, err, sizeof err));
    FUZZ_ASSERT(netaddr_equal(&a, &back) && port == back_port);
}

static void check_ban_subnet(const char *s)
{
    struct banman_subnet sn, back;
    char err[256];
    if (!banman_subnet_parse(s, &sn, err, sizeof err))
        return;
    FUZZ_ASSERT(sn.prefix <= 128);
    /* An IPv4 network keeps the whole ::ffff: prefix. */
    FUZZ_ASSERT(!netaddr_is_ipv4(&sn.net) || sn.prefix >= 96);
    FUZZ_ASSERT(banman_subnet_contains(&sn, &sn.net));
    char text[BANMAN_SUBNET_STR_MAX];
    banman_subnet_format(&sn, text);
    FUZZ_ASSERT(banman_subnet_parse(text, &back, err, sizeof err));
    FUZZ_ASSERT(banman_subnet_equal(&sn, &back));
}

static void check_allow_subnet(const char *s)
{
    struct http_subnet n;
    if (!http_subnet_parse(s, &n))
        return;
    if (n.family == AF_INET) {
        FUZZ_ASSERT(n.prefix <= 32);
        struct sockaddr_in in;
        memset(&in, 0, sizeof in);
        in.sin_family = AF_INET;
        memcpy(&in.sin_addr, n.addr, 4);
        FUZZ_ASSERT(http_subnet_match(&n, &in));
        struct sockaddr_in6 mapped;
        memset(&mapped, 0, sizeof mapped);
        mapped.sin6_family = AF_INET6;
        uint8_t *b = (uint8_t *)&mapped.sin6_addr;
        b[10] = b[11] = 0xff;
        memcpy(b + 12, n.addr, 4);
        FUZZ_ASSERT(http_subnet_match(&n, &mapped));
    } else {
        FUZZ_ASSERT(n.family == AF_INET6 && n.prefix <= 128);
        struct sockaddr_in6 in6;
        memset(&in6, 0, sizeof in6);
        in6.sin6_family = AF_INET6;
        memcpy(&in6.sin6_addr, n.addr, 16);
        FUZZ_ASSERT(http_subnet_match(&n, &in6));
    }
}

void fuzz_one(const uint8_t *data, size_t size)
{
    const char *s;
    fuzz_split(data, size, &s, 1);
    check_address(s);
    check_service(s);
    check_ban_subnet(s);
    check_allow_subnet(s);
}
