#define _POSIX_C_SOURCE 200809L
#include "unit.h"
#include "fixture.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "rpc/httpserver.h"

static struct sockaddr_in v4(const char *s)
{
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    ck_assert_int_eq(inet_pton(AF_INET, s, &a.sin_addr), 1);
    return a;
}

static struct sockaddr_in6 v6(const char *s)
{
    struct sockaddr_in6 a;
    memset(&a, 0, sizeof a);
    a.sin6_family = AF_INET6;
    ck_assert_int_eq(inet_pton(AF_INET6, s, &a.sin6_addr), 1);
    return a;
}

static bool match(const char *subnet, const char *addr)
{
    struct http_subnet n;
    ck_assert_msg(http_subnet_parse(subnet, &n), "%s", subnet);
    if (strchr(addr, ':') != NULL) {
        struct sockaddr_in6 a = v6(addr);
        return http_subnet_match(&n, &a);
    }
    struct sockaddr_in a = v4(addr);
    return http_subnet_match(&n, &a);
}

START_TEST(subnet_matching)
{
    ck_assert(match("10.0.0.0/8", "10.1.2.3"));
    ck_assert(!match("10.0.0.0/8", "11.0.0.1"));
    ck_assert(match("192.168.1.7", "192.168.1.7"));
    ck_assert(!match("192.168.1.7", "192.168.1.8"));
    ck_assert(match("192.168.1.0/255.255.255.0", "192.168.1.200"));
    ck_assert(!match("192.168.1.0/255.255.255.0", "192.168.2.1"));
    ck_assert(match("172.16.0.0/12", "172.31.255.255"));
    ck_assert(!match("172.16.0.0/12", "172.32.0.0"));
    ck_assert(match("0.0.0.0/0", "8.8.8.8"));
    ck_assert(match("::1", "::1"));
    ck_assert(!match("::1", "::2"));
    ck_assert(match("fd00::/8", "fdab::1"));
    ck_assert(!match("fd00::/8", "fe80::1"));
    /* IPv4-mapped IPv6 peers match IPv4 subnets, not IPv6 ones. */
    ck_assert(match("10.0.0.0/8", "::ffff:10.9.9.9"));
    ck_assert(!match("::/0", "::ffff:10.9.9.9"));
    /* Families never cross. */
    ck_assert(!match("0.0.0.0/0", "2001:db8::1"));
    ck_assert(!match("::/0", "1.2.3.4"));
    /* An IPv4-mapped address in -rpcallowip is that IPv4 address (peers
     * arriving mapped are IPv4 peers), so it allows the peer it names. */
    ck_assert(match("::ffff:10.0.0.1", "10.0.0.1"));
    ck_assert(match("::ffff:10.0.0.1", "::ffff:10.0.0.1"));
    ck_assert(!match("::ffff:10.0.0.1", "10.0.0.2"));
    ck_assert(match("::ffff:10.0.0.0/120", "10.0.0.77"));
    ck_assert(!match("::ffff:10.0.0.0/120", "10.0.1.1"));
}
END_TEST

START_TEST(subnet_parse_rejects)
{
    static const char *const bad[] = {
        "", "/8", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/8x", "10.0.0/8",
        "256.0.0.1", "::1/129", "fd00::/1000", "10.0.0.0/255.0.255.0", "host.example",
        "10.0.0.0/8/8", "::1/255.255.255.0",
        /* a mapped address with a prefix shorter than its IPv4 part */
        "::ffff:10.0.0.0/95", "::ffff:0.0.0.0/0", "::ffff:10.0.0.0/255.0.0.0",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct http_subnet n;
        memset(&n, 0x77, sizeof n);
        ck_assert_msg(!http_subnet_parse(bad[i], &n), "accepted '%s'", bad[i]);
        ck_assert_int_eq(n.prefix, 0x77777777);
    }
    struct http_subnet n;
    ck_assert(http_subnet_parse("10.0.0.0/255.0.0.0", &n));
    ck_assert_uint_eq(n.prefix, 8);
    ck_assert_int_eq(n.family, AF_INET);
    ck_assert(http_subnet_parse("2001:db8::/32", &n));
    ck_assert_uint_eq(n.prefix, 32);
    ck_assert_int_eq(n.family, AF_INET6);
    ck_assert(http_subnet_parse("::ffff:192.168.0.0/112", &n));
    ck_assert_uint_eq(n.prefix, 16);
    ck_assert_int_eq(n.family, AF_INET);
}
END_TEST

Suite *unit_suite(void)
{
    static const struct fixture_case tc = {.name = "subnets"};
    const TTest *tests[] = {subnet_matching, subnet_parse_rejects, NULL};
    return fixture_suite("httpserver", &tc, tests);
}
