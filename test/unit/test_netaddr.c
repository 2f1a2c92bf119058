#define _POSIX_C_SOURCE 200809L

#include "unit.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "p2p/netaddr.h"

static struct netaddr parse_ok(const char *s)
{
    struct netaddr a;
    ck_assert_msg(netaddr_parse(s, &a), "should parse: %s", s);
    return a;
}

static void check_format(const char *in, const char *expect)
{
    struct netaddr a = parse_ok(in);
    char s[NETADDR_STR_MAX];
    netaddr_format(&a, s);
    ck_assert_str_eq(s, expect);
}

START_TEST(parse_and_format)
{
    check_format("1.2.3.4", "1.2.3.4");
    check_format("::ffff:1.2.3.4", "1.2.3.4");
    check_format("2001:DB8:0:0::1", "2001:db8::1");
    check_format("::1", "::1");
    struct netaddr a = parse_ok("10.0.0.1");
    ck_assert(netaddr_is_ipv4(&a));
    ck_assert_uint_eq(a.ip[10], 0xff);
    ck_assert_uint_eq(a.ip[12], 10);
    ck_assert(!netaddr_is_ipv4(&(struct netaddr){{0x20, 0x01}}));

    const char *bad[] = {"", "1.2.3", "1.2.3.256", "1.2.3.4 ", "01.2.3.4x", "::g",
                         "[::1]", "1.2.3.4:80", "localhost"};
    struct netaddr keep = parse_ok("9.9.9.9"), out = keep;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_msg(!netaddr_parse(bad[i], &out), "should not parse: '%s'", bad[i]);
        ck_assert(netaddr_equal(&out, &keep));
    }
    ck_assert(!netaddr_parse(NULL, &out));
}
END_TEST

START_TEST(services)
{
    struct netaddr a;
    uint16_t port = 0;
    char err[128], s[NETADDR_SERVICE_STR_MAX];

    ck_assert(netaddr_parse_service("1.2.3.4", 8733, &a, &port, err, sizeof err));
    ck_assert_uint_eq(port, 8733);
    netaddr_format_service(&a, port, s);
    ck_assert_str_eq(s, "1.2.3.4:8733");

    ck_assert(netaddr_parse_service("127.0.0.1:28733", 1, &a, &port, err, sizeof err));
    ck_assert_uint_eq(port, 28733);
    ck_assert(netaddr_is_loopback(&a));

    ck_assert(netaddr_parse_service("[2001:db8::5]:9", 1, &a, &port, err, sizeof err));
    ck_assert_uint_eq(port, 9);
    netaddr_format_service(&a, port, s);
    ck_assert_str_eq(s, "[2001:db8::5]:9");

    ck_assert(netaddr_parse_service("[::1]", 77, &a, &port, err, sizeof err));
    ck_assert_uint_eq(port, 77);
    /* A bare IPv6 address: the colons are the address's own. */
    ck_assert(netaddr_parse_service("2001:db8::1", 5, &a, &port, err, sizeof err));
    ck_assert_uint_eq(port, 5);

    const char *bad[] = {"",         "1.2.3.4:",   "1.2.3.4:0",  "1.2.3.4:65536",
                         "1.2.3.4:x", "[::1",      "[::1]x",     "[]:80",
                         "host:80",  "[1.2.3]:80", "1.2.3.4:-1", ":80"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        port = 4242;
        err[0] = '\0';
        ck_assert_msg(!netaddr_parse_service(bad[i], 1, &a, &port, err, sizeof err),
                      "should not parse: '%s'", bad[i]);
        ck_assert_uint_eq(port, 4242);
        ck_assert_msg(err[0] != '\0', "no message for '%s'", bad[i]);
    }
}
END_TEST

START_TEST(sockaddr_round_trip)
{
    struct netaddr a = parse_ok("192.0.2.7"), b;
    struct sockaddr_storage ss;
    socklen_t len;
    uint16_t port;
    netaddr_to_sockaddr(&a, 1234, &ss, &len);
    ck_assert_int_eq(ss.ss_family, AF_INET);
    ck_assert_uint_eq(len, sizeof(struct sockaddr_in));
    ck_assert(netaddr_from_sockaddr((struct sockaddr *)&ss, len, &b, &port));
    ck_assert(netaddr_equal(&a, &b));
    ck_assert_uint_eq(port, 1234);

    a = parse_ok("2001:db8::9");
    netaddr_to_sockaddr(&a, 65535, &ss, &len);
    ck_assert_int_eq(ss.ss_family, AF_INET6);
    ck_assert(netaddr_from_sockaddr((struct sockaddr *)&ss, len, &b, &port));
    ck_assert(netaddr_equal(&a, &b));
    ck_assert_uint_eq(port, 65535);

    /* Too short for its family, or a family that is not IP. */
    ck_assert(!netaddr_from_sockaddr((struct sockaddr *)&ss, len - 1, &b, &port));
    ss.ss_family = AF_UNIX;
    ck_assert(!netaddr_from_sockaddr((struct sockaddr *)&ss, sizeof ss, &b, &port));
    ck_assert(!netaddr_from_sockaddr(NULL, 0, &b, &port));
}
END_TEST

START_TEST(classification)
{
    const char *routable[] = {"8.8.8.8", "1.2.3.4", "172.32.0.1", "2a00:1450::1",
                              "100.128.0.1", "223.255.255.1"};
    for (size_t i = 0; i < sizeof routable / sizeof routable[0]; i++) {
        struct netaddr a = parse_ok(routable[i]);
        ck_assert_msg(netaddr_is_routable(&a), "%s should be routable", routable[i]);
        ck_assert(netaddr_is_valid(&a));
    }
    const char *local[] = {"127.0.0.1",   "10.1.2.3",     "172.16.0.1",   "192.168.1.1",
                           "100.64.0.1",  "198.18.0.1",   "169.254.1.1",  "192.0.2.1",
                           "198.51.100.1", "203.0.113.9", "::1",          "fe80::1",
                           "fc00::1",     "fd12::1",      "2001:db8::1",  "2001:10::1",
                           "2001:20::1"};
    for (size_t i = 0; i < sizeof local / sizeof local[0]; i++) {
        struct netaddr a = parse_ok(local[i]);
        ck_assert_msg(!netaddr_is_routable(&a), "%s should not be routable", local[i]);
        ck_assert_msg(netaddr_is_valid(&a), "%s should be valid", local[i]);
    }
    const char *invalid[] = {"0.0.0.0", "0.1.2.3", "224.0.0.1", "255.255.255.255",
                             "240.0.0.1", "::", "ff02::1"};
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
        struct netaddr a = parse_ok(invalid[i]);
        ck_assert_msg(!netaddr_is_valid(&a), "%s should be invalid", invalid[i]);
        ck_assert(!netaddr_is_routable(&a));
    }
    struct netaddr lo = parse_ok("127.8.9.10");
    ck_assert(netaddr_is_loopback(&lo));
    lo = parse_ok("128.0.0.1");
    ck_assert(!netaddr_is_loopback(&lo));
}
END_TEST

START_TEST(groups)
{
    uint8_t g1[NETADDR_GROUP_MAX], g2[NETADDR_GROUP_MAX];
    struct netaddr a = parse_ok("1.2.3.4"), b = parse_ok("1.2.200.9"), c = parse_ok("1.3.3.4");
    size_t n1 = netaddr_group(&a, g1), n2 = netaddr_group(&b, g2);
    ck_assert_uint_eq(n1, 3);
    ck_assert_uint_eq(g1[0], NETADDR_CLASS_IPV4);
    ck_assert(n1 == n2 && memcmp(g1, g2, n1) == 0);
    n2 = netaddr_group(&c, g2);
    ck_assert(memcmp(g1, g2, n1) != 0);

    a = parse_ok("2a00:1450:4001:81b::1");
    b = parse_ok("2a00:1450:ffff::2");
    c = parse_ok("2a00:1451::1");
    n1 = netaddr_group(&a, g1);
    n2 = netaddr_group(&b, g2);
    ck_assert_uint_eq(n1, 5);
    ck_assert_uint_eq(g1[0], NETADDR_CLASS_IPV6);
    ck_assert(n1 == n2 && memcmp(g1, g2, n1) == 0);
    netaddr_group(&c, g2);
    ck_assert(memcmp(g1, g2, n1) != 0);

    /* Unroutable addresses are each their own group. */
    a = parse_ok("127.0.0.1");
    b = parse_ok("127.0.0.2");
    n1 = netaddr_group(&a, g1);
    n2 = netaddr_group(&b, g2);
    ck_assert_uint_eq(n1, 1 + NETADDR_LEN);
    ck_assert_uint_eq(g1[0], NETADDR_CLASS_UNROUTABLE);
    ck_assert(memcmp(g1, g2, n1) != 0);
}
END_TEST

Suite *unit_suite(void)
{
    Suite *s = suite_create("netaddr");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, parse_and_format);
    tcase_add_test(tc, services);
    tcase_add_test(tc, sockaddr_round_trip);
    tcase_add_test(tc, classification);
    tcase_add_test(tc, groups);
    suite_add_tcase(s, tc);
    return s;
}
