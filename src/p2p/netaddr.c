/* inet_pton, inet_ntop and the sockaddr types are POSIX. */
#define _POSIX_C_SOURCE 200809L

#include "p2p/netaddr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t ipv4_mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

void netaddr_from_ipv4(struct netaddr *a, const uint8_t ipv4[4])
{
    memcpy(a->ip, ipv4_mapped_prefix, sizeof ipv4_mapped_prefix);
    memcpy(a->ip + 12, ipv4, 4);
}

bool netaddr_is_ipv4(const struct netaddr *a)
{
    return memcmp(a->ip, ipv4_mapped_prefix, sizeof ipv4_mapped_prefix) == 0;
}

bool netaddr_equal(const struct netaddr *a, const struct netaddr *b)
{
    return memcmp(a->ip, b->ip, NETADDR_LEN) == 0;
}

bool netaddr_parse(const char *s, struct netaddr *out)
{
    if (!s)
        return false;
    uint8_t v4[4];
    if (inet_pton(AF_INET, s, v4) == 1) {
        netaddr_from_ipv4(out, v4);
        return true;
    }
    uint8_t v6[NETADDR_LEN];
    if (inet_pton(AF_INET6, s, v6) == 1) {
        memcpy(out->ip, v6, NETADDR_LEN);
        return true;
    }
    return false;
}

void netaddr_format(const struct netaddr *a, char out[NETADDR_STR_MAX])
{
    const char *r;
    if (netaddr_is_ipv4(a))
        r = inet_ntop(AF_INET, a->ip + 12, out, NETADDR_STR_MAX);
    else
        r = inet_ntop(AF_INET6, a->ip, out, NETADDR_STR_MAX);
    /* Cannot fail with a buffer of INET6_ADDRSTRLEN; keep out a string anyway. */
    if (!r)
        snprintf(out, NETADDR_STR_MAX, "?");
}

static bool parse_port(const char *s, uint16_t *out)
{
    if (*s < '0' || *s > '9')
        return false;
    unsigned long v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
        v = v * 10 + (unsigned long)(*p - '0');
        if (v > 65535)
            return false;
    }
    if (v == 0)
        return false;
    *out = (uint16_t)v;
    return true;
}

bool netaddr_parse_service(const char *s, uint16_t default_port, struct netaddr *out,
                           uint16_t *port_out, char *err, size_t errlen)
{
    if (!s || !*s) {
        snprintf(err, errlen, "empty address");
        return false;
    }
    char host[NETADDR_STR_MAX];
    const char *port_str = NULL;
    size_t slen = strlen(s);
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (!close) {
            snprintf(err, errlen, "'%s': '[' without ']'", s);
            return false;
        }
        size_t hl = (size_t)(close - s - 1);
        if (hl == 0 || hl >= sizeof host) {
            snprintf(err, errlen, "'%s': not an IP address in brackets", s);
            return false;
        }
        memcpy(host, s + 1, hl);
        host[hl] = '\0';
        if (close[1] == ':')
            port_str = close + 2;
        else if (close[1] != '\0') {
            snprintf(err, errlen, "'%s': unexpected text after ']'", s);
            return false;
        }
    } else {
        const char *colon = strchr(s, ':');
        /* More than one colon without brackets: a bare IPv6 address. */
        if (colon && !strchr(colon + 1, ':')) {
            size_t hl = (size_t)(colon - s);
            if (hl == 0 || hl >= sizeof host) {
                snprintf(err, errlen, "'%s': not an IP address", s);
                return false;
            }
            memcpy(host, s, hl);
            host[hl] = '\0';
            port_str = colon + 1;
        } else {
            if (slen >= sizeof host) {
                snprintf(err, errlen, "'%s': not an IP address", s);
                return false;
            }
            memcpy(host, s, slen + 1);
        }
    }
    struct netaddr a;
    if (!netaddr_parse(host, &a)) {
        snprintf(err, errlen, "'%s': not a numeric IPv4 or IPv6 address", host);
        return false;
    }
    uint16_t port = default_port;
    if (port_str && !parse_port(port_str, &port)) {
        snprintf(err, errlen, "'%s': port must be a number from 1 to 65535", s);
        return false;
    }
    *out = a;
    *port_out = port;
    return true;
}

void netaddr_format_service(const struct netaddr *a, uint16_t port,
                            char out[NETADDR_SERVICE_STR_MAX])
{
    char host[NETADDR_STR_MAX];
    netaddr_format(a, host);
    if (netaddr_is_ipv4(a))
        snprintf(out, NETADDR_SERVICE_STR_MAX, "%s:%u", host, (unsigned)port);
    else
        snprintf(out, NETADDR_SERVICE_STR_MAX, "[%s]:%u", host, (unsigned)port);
}

bool netaddr_from_sockaddr(const struct sockaddr *sa, socklen_t len, struct netaddr *out,
                           uint16_t *port_out)
{
    if (!sa)
        return false;
    if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
        struct sockaddr_in sin;
        memcpy(&sin, sa, sizeof sin);
        netaddr_from_ipv4(out, (const uint8_t *)&sin.sin_addr.s_addr);
        *port_out = ntohs(sin.sin_port);
        return true;
    }
    if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
        struct sockaddr_in6 sin6;
        memcpy(&sin6, sa, sizeof sin6);
        memcpy(out->ip, sin6.sin6_addr.s6_addr, NETADDR_LEN);
        *port_out = ntohs(sin6.sin6_port);
        return true;
    }
    return false;
}

void netaddr_to_sockaddr(const struct netaddr *a, uint16_t port, struct sockaddr_storage *ss,
                         socklen_t *len)
{
    memset(ss, 0, sizeof *ss);
    if (netaddr_is_ipv4(a)) {
        struct sockaddr_in sin;
        memset(&sin, 0, sizeof sin);
        sin.sin_family = AF_INET;
        sin.sin_port = htons(port);
        memcpy(&sin.sin_addr.s_addr, a->ip + 12, 4);
        memcpy(ss, &sin, sizeof sin);
        *len = (socklen_t)sizeof sin;
    } else {
        struct sockaddr_in6 sin6;
        memset(&sin6, 0, sizeof sin6);
        sin6.sin6_family = AF_INET6;
        sin6.sin6_port = htons(port);
        memcpy(sin6.sin6_addr.s6_addr, a->ip, NETADDR_LEN);
        memcpy(ss, &sin6, sizeof sin6);
        *len = (socklen_t)sizeof sin6;
    }
}

/* True when the first `bits` bits of a equal those of prefix. */
static bool has_prefix(const uint8_t *a, const uint8_t *prefix, unsigned bits)
{
    unsigned whole = bits / 8, rest = bits % 8;
    if (memcmp(a, prefix, whole) != 0)
        return false;
    if (rest == 0)
        return true;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (a[whole] & mask) == (prefix[whole] & mask);
}

static bool v4_in(const struct netaddr *a, uint8_t b0, uint8_t b1, uint8_t b2, unsigned bits)
{
    const uint8_t p[4] = {b0, b1, b2, 0};
    return has_prefix(a->ip + 12, p, bits);
}

bool netaddr_is_loopback(const struct netaddr *a)
{
    static const uint8_t v6_loopback[NETADDR_LEN] = {0, 0, 0, 0, 0, 0, 0, 0,
                                                     0, 0, 0, 0, 0, 0, 0, 1};
    if (netaddr_is_ipv4(a))
        return a->ip[12] == 127;
    return memcmp(a->ip, v6_loopback, NETADDR_LEN) == 0;
}

bool netaddr_is_valid(const struct netaddr *a)
{
    if (netaddr_is_ipv4(a)) {
        if (a->ip[12] == 0)  /* 0.0.0.0/8: "this network" */
            return false;
        if (a->ip[12] >= 224) /* multicast, reserved, broadcast */
            return false;
        return true;
    }
    static const uint8_t zero[NETADDR_LEN] = {0};
    if (memcmp(a->ip, zero, NETADDR_LEN) == 0)
        return false;
    if (a->ip[0] == 0xff) /* multicast */
        return false;
    return true;
}

bool netaddr_is_routable(const struct netaddr *a)
{
    if (!netaddr_is_valid(a) || netaddr_is_loopback(a))
        return false;
    if (netaddr_is_ipv4(a)) {
        return !(v4_in(a, 10, 0, 0, 8) || v4_in(a, 172, 16, 0, 12) || v4_in(a, 192, 168, 0, 16) ||
                 v4_in(a, 100, 64, 0, 10) || v4_in(a, 198, 18, 0, 15) ||
                 v4_in(a, 169, 254, 0, 16) || v4_in(a, 192, 0, 2, 24) ||
                 v4_in(a, 198, 51, 100, 24) || v4_in(a, 203, 0, 113, 24));
    }
    static const uint8_t doc[4] = {0x20, 0x01, 0x0d, 0xb8};
    static const uint8_t orchid[4] = {0x20, 0x01, 0x00, 0x10};
    static const uint8_t orchid2[4] = {0x20, 0x01, 0x00, 0x20};
    static const uint8_t ula[1] = {0xfc};
    static const uint8_t link_local[8] = {0xfe, 0x80, 0, 0, 0, 0, 0, 0};
    return !(has_prefix(a->ip, doc, 32) || has_prefix(a->ip, orchid, 28) ||
             has_prefix(a->ip, orchid2, 28) || has_prefix(a->ip, ula, 7) ||
             has_prefix(a->ip, link_local, 64));
}

size_t netaddr_group(const struct netaddr *a, uint8_t out[NETADDR_GROUP_MAX])
{
    if (!netaddr_is_routable(a)) {
        out[0] = NETADDR_CLASS_UNROUTABLE;
        memcpy(out + 1, a->ip, NETADDR_LEN);
        return 1 + NETADDR_LEN;
    }
    if (netaddr_is_ipv4(a)) {
        out[0] = NETADDR_CLASS_IPV4;
        out[1] = a->ip[12];
        out[2] = a->ip[13];
        return 3;
    }
    out[0] = NETADDR_CLASS_IPV6;
    memcpy(out + 1, a->ip, 4);
    return 5;
}
