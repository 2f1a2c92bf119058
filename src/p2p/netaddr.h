/* netaddr: IP addresses as the P2P layer keeps them.
 *
 * Every address is 16 bytes: IPv6 as is, IPv4 mapped into IPv6
 * (::ffff:a.b.c.d), the same form the wire's addr message carries. This
 * module converts to and from text (through inet_pton/inet_ntop) and socket
 * addresses, classifies addresses (loopback, private, routable) and computes
 * the network group the address manager buckets by, so that many addresses
 * run by one operator count as one. Owns nothing. */
#ifndef SOUK_P2P_NETADDR_H
#define SOUK_P2P_NETADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sys/socket.h>

#define NETADDR_LEN 16
/* Longest text form (INET6_ADDRSTRLEN) including the NUL. */
#define NETADDR_STR_MAX 46
/* "[" + address + "]:" + port + NUL. */
#define NETADDR_SERVICE_STR_MAX (NETADDR_STR_MAX + 8)
/* Longest group: one class byte and the whole address. */
#define NETADDR_GROUP_MAX (1 + NETADDR_LEN)

struct netaddr {
    uint8_t ip[NETADDR_LEN];
};

/* Classes that open a group, so groups of different kinds never collide. */
enum netaddr_class {
    NETADDR_CLASS_UNROUTABLE = 0,
    NETADDR_CLASS_IPV4 = 1,
    NETADDR_CLASS_IPV6 = 2,
};

void netaddr_from_ipv4(struct netaddr *a, const uint8_t ipv4[4]);
bool netaddr_is_ipv4(const struct netaddr *a);
bool netaddr_equal(const struct netaddr *a, const struct netaddr *b);

/* Parses a bare address: dotted IPv4 ("1.2.3.4") or IPv6 ("2001:db8::1",
 * "::ffff:1.2.3.4"), no brackets, no port. False (out untouched) otherwise. */
bool netaddr_parse(const char *s, struct netaddr *out);
/* Dotted quad for IPv4-mapped addresses, RFC 5952 text for IPv6. */
void netaddr_format(const struct netaddr *a, char out[NETADDR_STR_MAX]);

/* Parses "host", "host:port", "[v6]" or "[v6]:port" where host is a numeric
 * address (no name resolution here); default_port when none is given.
 * A port must be 1..65535. False with a message in err otherwise. */
bool netaddr_parse_service(const char *s, uint16_t default_port, struct netaddr *out,
                           uint16_t *port_out, char *err, size_t errlen);
/* "1.2.3.4:8733" or "[2001:db8::1]:8733". */
void netaddr_format_service(const struct netaddr *a, uint16_t port,
                            char out[NETADDR_SERVICE_STR_MAX]);

/* From an AF_INET or AF_INET6 socket address (as libevent hands them out).
 * False for any other family or a too-short length. */
bool netaddr_from_sockaddr(const struct sockaddr *sa, socklen_t len, struct netaddr *out,
                           uint16_t *port_out);
/* To a socket address for connect(): AF_INET for IPv4-mapped addresses,
 * AF_INET6 otherwise. *len gets the size of the filled structure. */
void netaddr_to_sockaddr(const struct netaddr *a, uint16_t port, struct sockaddr_storage *ss,
                         socklen_t *len);

/* 127.0.0.0/8 and ::1. */
bool netaddr_is_loopback(const struct netaddr *a);
/* Something a connection could go to at all: not unspecified (0.0.0.0/8,
 * ::), not multicast, not the IPv4 broadcast or 240.0.0.0/4. */
bool netaddr_is_valid(const struct netaddr *a);
/* Valid and reachable across the internet: none of loopback, RFC 1918,
 * RFC 6598 (100.64/10), RFC 2544 (198.18/15), link-local (169.254/16,
 * fe80::/64), documentation (RFC 5737, 2001:db8::/32), unique-local
 * (fc00::/7), ORCHID (2001:10::/28, 2001:20::/28). */
bool netaddr_is_routable(const struct netaddr *a);

/* The network group: [IPV4, a, b] for a routable IPv4 address (its /16),
 * [IPV6, first 4 bytes] for a routable IPv6 address (its /32), and
 * [UNROUTABLE, all 16 bytes] otherwise. Returns the length written. */
size_t netaddr_group(const struct netaddr *a, uint8_t out[NETADDR_GROUP_MAX]);

#endif
