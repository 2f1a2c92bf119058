#define _POSIX_C_SOURCE 200809L

#include "unit.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "p2p/resolver.h"

static void expect_addr(const struct netaddr *ip, const char *text)
{
    struct netaddr want;
    ck_assert(netaddr_parse(text, &want));
    ck_assert(netaddr_equal(ip, &want));
}

START_TEST(lookup_at_once)
{
    struct netaddr ip;
    uint16_t port = 0;
    char err[128];
    ck_assert(resolver_is_numeric("10.1.2.3:99", 8733, &ip, &port));
    expect_addr(&ip, "10.1.2.3");
    ck_assert_uint_eq(port, 99);
    ck_assert(!resolver_is_numeric("localhost", 8733, &ip, &port));

    ck_assert(resolver_lookup("[2001:db8::1]", 8733, &ip, &port, err, sizeof err));
    expect_addr(&ip, "2001:db8::1");
    ck_assert_uint_eq(port, 8733);
    /* the resolver refuses what no lookup could fix, without asking */
    ck_assert(!resolver_lookup("localhost:0", 8733, &ip, &port, err, sizeof err));
    ck_assert(!resolver_lookup("localhost:12x", 8733, &ip, &port, err, sizeof err));
    ck_assert(!resolver_lookup("localhost:", 8733, &ip, &port, err, sizeof err));
    ck_assert(!resolver_lookup(":5", 8733, &ip, &port, err, sizeof err));
    ck_assert(!resolver_lookup("a:b:c", 8733, &ip, &port, err, sizeof err));
    ck_assert(!resolver_lookup("[zz]:5", 8733, &ip, &port, err, sizeof err));
    /* .invalid never resolves (RFC 6761) */
    ck_assert(!resolver_lookup("nothing.invalid", 8733, &ip, &port, err, sizeof err));
    ck_assert(err[0] != '\0');
}
END_TEST

static size_t collect_wait(struct resolver *r, struct resolver_result *out, size_t max,
                           size_t want)
{
    size_t n = 0;
    for (int i = 0; i < 3000 && n < want; i++) {
        n += resolver_collect(r, out + n, max - n);
        if (n < want)
            nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
    }
    return n;
}

START_TEST(submit_and_collect)
{
    struct resolver *r = resolver_new();
    ck_assert_ptr_nonnull(r);
    char err[128];
    struct resolver_result res[4];
    ck_assert_uint_eq(resolver_collect(r, res, 4), 0);
    /* numeric names need no lookup but go through the same way */
    ck_assert(resolver_submit(r, "127.0.0.1:5", 8733, 7, err, sizeof err));
    ck_assert(resolver_submit(r, "nothing.invalid:5", 8733, 8, err, sizeof err));
    size_t n = collect_wait(r, res, 4, 2);
    ck_assert_uint_eq(n, 2);
    for (size_t i = 0; i < n; i++) {
        if (res[i].tag == 7) {
            ck_assert(res[i].ok);
            ck_assert_str_eq(res[i].name, "127.0.0.1:5");
            expect_addr(&res[i].ip, "127.0.0.1");
            ck_assert_uint_eq(res[i].port, 5);
        } else {
            ck_assert_int_eq(res[i].tag, 8);
            ck_assert(!res[i].ok);
            ck_assert_str_eq(res[i].name, "nothing.invalid:5");
            ck_assert(res[i].err[0] != '\0');
        }
    }
    /* answered and collected: the same name may be asked again */
    ck_assert(resolver_submit(r, "127.0.0.1:5", 8733, 9, err, sizeof err));
    ck_assert_uint_eq(collect_wait(r, res, 4, 1), 1);

    char longname[RESOLVER_NAME_MAX + 1];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    ck_assert(!resolver_submit(r, longname, 8733, 0, err, sizeof err));
    resolver_free(r);
}
END_TEST

START_TEST(free_with_pending)
{
    /* Freed with names queued and unanswered: the threads clean up. */
    struct resolver *r = resolver_new();
    ck_assert_ptr_nonnull(r);
    char err[128], name[32];
    for (int i = 0; i < 20; i++) {
        snprintf(name, sizeof name, "127.0.0.%d:1", i + 1);
        ck_assert(resolver_submit(r, name, 8733, i, err, sizeof err));
    }
    /* queued, being looked up, or answered and not collected: not twice */
    ck_assert(!resolver_submit(r, "127.0.0.20:1", 8733, 0, err, sizeof err));
    resolver_free(r);
    resolver_free(NULL);
}
END_TEST

Suite *unit_suite(void)
{
    Suite *s = suite_create("resolver");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, lookup_at_once);
    tcase_add_test(tc, submit_and_collect);
    tcase_add_test(tc, free_with_pending);
    suite_add_tcase(s, tc);
    return s;
}
