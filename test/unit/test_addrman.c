/* mkdtemp, nftw are POSIX/XSI. */
#define _XOPEN_SOURCE 700

#include "unit.h"

#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "consensus/serialize.h"
#include "crypto/sha256.h"
#include "p2p/addrman.h"
#include "util/buf.h"
#include "util/time.h"

#define NOW 1700000000

static const uint8_t KEY[ADDRMAN_KEY_LEN] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
static char dir[64];
static char path[128];

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static void setup(void)
{
    strcpy(dir, "/tmp/souk_test_am_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/peers.dat", dir);
    time_set_mock(NOW);
}

static void teardown(void)
{
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    time_set_mock(0);
}

static struct addrman *make(bool allow_local)
{
    struct addrman_config cfg = {.allow_local = allow_local, .key = KEY};
    struct addrman *am = addrman_new(&cfg);
    ck_assert_ptr_nonnull(am);
    return am;
}

static struct netaddr ip(const char *s)
{
    struct netaddr a;
    ck_assert_msg(netaddr_parse(s, &a), "bad test address %s", s);
    return a;
}

static struct netaddr ip4(unsigned a, unsigned b, unsigned c, unsigned d)
{
    struct netaddr r;
    const uint8_t v[4] = {(uint8_t)a, (uint8_t)b, (uint8_t)c, (uint8_t)d};
    netaddr_from_ipv4(&r, v);
    return r;
}

static struct addrman_addr aa(struct netaddr a, uint16_t port, int64_t t)
{
    struct addrman_addr r = {.ip = a, .port = port, .services = 1, .time = t};
    return r;
}

static size_t add1(struct addrman *am, struct addrman_addr a, struct netaddr src)
{
    return addrman_add(am, &a, 1, &src, ADDRMAN_RELAY_PENALTY_SECS);
}

/* Files in dir whose names start with prefix. */
static int count_files(const char *prefix)
{
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        if (strncmp(de->d_name, prefix, strlen(prefix)) == 0)
            n++;
    closedir(d);
    return n;
}

static bool file_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

static void write_file(const char *p, const void *data, size_t len)
{
    FILE *f = fopen(p, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    fclose(f);
}

START_TEST(add_lookup_and_penalty)
{
    struct addrman *am = make(false);
    struct netaddr src = ip("9.9.9.9");
    ck_assert_uint_eq(addrman_size(am), 0);
    ck_assert_uint_eq(add1(am, aa(ip("1.2.3.4"), 8733, NOW - 100), src), 1);
    ck_assert_uint_eq(addrman_size(am), 1);
    /* Known already: not added again. */
    ck_assert_uint_eq(add1(am, aa(ip("1.2.3.4"), 8733, NOW - 100), src), 0);
    ck_assert_uint_eq(addrman_size(am), 1);

    struct addrman_info info;
    ck_assert(addrman_lookup(am, &(struct netaddr){{0}}, 8733, &info) == false);
    struct netaddr a = ip("1.2.3.4");
    ck_assert(!addrman_lookup(am, &a, 8734, &info));
    ck_assert(addrman_lookup(am, &a, 8733, &info));
    ck_assert(!info.in_tried);
    ck_assert_int_eq(info.tried_bucket, -1);
    ck_assert_uint_eq(info.n_new, 1);
    ck_assert_int_eq(info.addr.time, NOW - 100 - ADDRMAN_RELAY_PENALTY_SECS);
    ck_assert(netaddr_equal(&info.source, &src));
    ck_assert(!info.terrible);

    /* An address announcing itself gets no penalty. */
    struct netaddr self = ip("5.6.7.8");
    ck_assert_uint_eq(add1(am, aa(self, 1, NOW - 50), self), 1);
    ck_assert(addrman_lookup(am, &self, 1, &info));
    ck_assert_int_eq(info.addr.time, NOW - 50);

    /* Unbelievable times become "five days ago". */
    struct netaddr z = ip("5.6.7.9"), f = ip("5.6.7.10");
    ck_assert_uint_eq(add1(am, aa(z, 1, 0), z), 1);
    ck_assert(addrman_lookup(am, &z, 1, &info));
    ck_assert_int_eq(info.addr.time, NOW - 5 * 24 * 3600);
    ck_assert_uint_eq(add1(am, aa(f, 1, NOW + 3600), f), 1);
    ck_assert(addrman_lookup(am, &f, 1, &info));
    ck_assert_int_eq(info.addr.time, NOW - 5 * 24 * 3600);

    /* Services accumulate; a newer sighting refreshes the time. */
    struct addrman_addr more = aa(a, 8733, NOW);
    more.services = 4;
    add1(am, more, src);
    ck_assert(addrman_lookup(am, &a, 8733, &info));
    ck_assert_uint_eq(info.addr.services, 5);
    addrman_set_services(am, &a, 8733, 2);
    ck_assert(addrman_lookup(am, &a, 8733, &info));
    ck_assert_uint_eq(info.addr.services, 2);
    addrman_free(am);
}
END_TEST

START_TEST(rejects_bad_addresses)
{
    struct addrman *am = make(false);
    struct netaddr src = ip("9.9.9.9");
    struct addrman_addr bad[] = {
        aa(ip("1.2.3.4"), 0, NOW),        /* port 0 */
        aa(ip("0.0.0.0"), 1, NOW),        /* unspecified */
        aa(ip("224.0.0.1"), 1, NOW),      /* multicast */
        aa(ip("127.0.0.1"), 28733, NOW),  /* loopback */
        aa(ip("192.168.1.5"), 1, NOW),    /* private */
        aa(ip("fe80::1"), 1, NOW),        /* link-local */
    };
    ck_assert_uint_eq(addrman_add(am, bad, 6, &src, 0), 0);
    ck_assert_uint_eq(addrman_size(am), 0);
    addrman_free(am);

    /* With allow_local (regtest) local addresses are fine, invalid ones not. */
    am = make(true);
    ck_assert_uint_eq(addrman_add(am, bad, 6, &src, 0), 3);
    struct netaddr lo = ip("127.0.0.1");
    struct addrman_info info;
    ck_assert(addrman_lookup(am, &lo, 28733, &info));
    addrman_free(am);
}
END_TEST

/* Regtest nodes all on 127.0.0.1: grouped by port, they all find room. */
START_TEST(local_nodes_spread)
{
    struct addrman *am = make(true);
    struct netaddr lo = ip("127.0.0.1");
    for (unsigned i = 0; i < 12; i++)
        ck_assert_uint_eq(add1(am, aa(lo, (uint16_t)(28733 + i), NOW), lo), 1);
    ck_assert_uint_eq(addrman_size(am), 12);
    for (unsigned i = 0; i < 12; i++)
        ck_assert(addrman_good(am, &lo, (uint16_t)(28733 + i)));
    size_t n_new, n_tried;
    addrman_counts(am, &n_new, &n_tried);
    ck_assert_uint_eq(n_tried, 12);
    addrman_free(am);
}
END_TEST

/* One source group sending addresses of one /16: one bucket at most. */
START_TEST(one_group_one_source_one_bucket)
{
    struct addrman *am = make(false);
    struct netaddr src = ip("9.9.9.9");
    size_t added = 0;
    for (unsigned i = 0; i < 2000; i++)
        added += add1(am, aa(ip4(20, 30, i / 250, i % 250 + 1), 8733, NOW), src);
    ck_assert_uint_le(added, ADDRMAN_BUCKET_SIZE);
    ck_assert_uint_ge(added, 20);
    ck_assert_uint_eq(addrman_size(am), added);
    int bucket = -1;
    for (unsigned i = 0; i < 2000; i++) {
        struct netaddr a = ip4(20, 30, i / 250, i % 250 + 1);
        struct addrman_info info;
        if (!addrman_lookup(am, &a, 8733, &info))
            continue;
        ck_assert_uint_eq(info.n_new, 1);
        if (bucket < 0)
            bucket = info.new_buckets[0];
        ck_assert_int_eq(info.new_buckets[0], bucket);
    }
    addrman_free(am);
}
END_TEST

/* One source group, however many address groups it sends, reaches at most
 * ADDRMAN_NEW_BUCKETS_PER_SOURCE_GROUP of the new buckets. */
START_TEST(one_source_limited_buckets)
{
    struct addrman *am = make(false);
    struct netaddr src = ip("9.9.9.9");
    bool used[ADDRMAN_NEW_BUCKET_COUNT] = {0};
    unsigned n_used = 0;
    for (unsigned i = 0; i < 20000; i++) {
        struct netaddr a = ip4(11 + i % 150, i / 150, 7, 7);
        add1(am, aa(a, 8733, NOW), src);
    }
    size_t size = addrman_size(am);
    ck_assert_uint_le(size, ADDRMAN_NEW_BUCKETS_PER_SOURCE_GROUP * ADDRMAN_BUCKET_SIZE);
    /* Enough were offered to fill a good part of those buckets. */
    ck_assert_uint_ge(size, 1000);
    for (unsigned i = 0; i < 20000; i++) {
        struct netaddr a = ip4(11 + i % 150, i / 150, 7, 7);
        struct addrman_info info;
        if (!addrman_lookup(am, &a, 8733, &info))
            continue;
        for (unsigned k = 0; k < info.n_new; k++) {
            if (!used[info.new_buckets[k]])
                n_used++;
            used[info.new_buckets[k]] = true;
        }
    }
    ck_assert_uint_le(n_used, ADDRMAN_NEW_BUCKETS_PER_SOURCE_GROUP);
    ck_assert_uint_ge(n_used, ADDRMAN_NEW_BUCKETS_PER_SOURCE_GROUP / 2);

    /* A second source group opens other buckets: the table is not full. */
    struct netaddr src2 = ip("77.1.1.1");
    ck_assert_uint_eq(add1(am, aa(ip("60.60.60.60"), 1, NOW), src2), 1);
    addrman_free(am);
}
END_TEST

/* Addresses of one /16 occupy at most ADDRMAN_TRIED_BUCKETS_PER_GROUP tried
 * buckets, however many sources sent them. */
START_TEST(one_group_limited_tried_buckets)
{
    struct addrman *am = make(false);
    bool used[ADDRMAN_TRIED_BUCKET_COUNT] = {0};
    unsigned n_used = 0;
    for (unsigned i = 0; i < 1500; i++) {
        struct netaddr a = ip4(20, 30, i / 200, i % 200 + 1);
        struct netaddr src = ip4(30 + i % 150, 1 + i / 150, 1, 1);
        if (add1(am, aa(a, 8733, NOW), src) == 1)
            addrman_good(am, &a, 8733);
    }
    size_t n_new, n_tried;
    addrman_counts(am, &n_new, &n_tried);
    ck_assert_uint_le(n_tried, ADDRMAN_TRIED_BUCKETS_PER_GROUP * ADDRMAN_BUCKET_SIZE);
    ck_assert_uint_ge(n_tried, 100);
    for (unsigned i = 0; i < 1500; i++) {
        struct netaddr a = ip4(20, 30, i / 200, i % 200 + 1);
        struct addrman_info info;
        if (!addrman_lookup(am, &a, 8733, &info) || !info.in_tried)
            continue;
        ck_assert_int_ge(info.tried_bucket, 0);
        if (!used[info.tried_bucket])
            n_used++;
        used[info.tried_bucket] = true;
    }
    ck_assert_uint_le(n_used, ADDRMAN_TRIED_BUCKETS_PER_GROUP);
    ck_assert_uint_ge(n_used, 2);
    addrman_free(am);
}
END_TEST

START_TEST(select_after_good)
{
    struct addrman *am = make(false);
    struct addrman_addr out;
    ck_assert(!addrman_select(am, false, &out));
    ck_assert(!addrman_select(am, true, &out));

    struct netaddr a = ip("1.2.3.4"), src = ip("9.9.9.9");
    ck_assert(!addrman_good(am, &a, 8733)); /* unknown */
    add1(am, aa(a, 8733, NOW), src);
    ck_assert(addrman_select(am, true, &out));
    ck_assert(netaddr_equal(&out.ip, &a));
    ck_assert_uint_eq(out.port, 8733);

    ck_assert(addrman_good(am, &a, 8733));
    size_t n_new, n_tried;
    addrman_counts(am, &n_new, &n_tried);
    ck_assert_uint_eq(n_new, 0);
    ck_assert_uint_eq(n_tried, 1);
    struct addrman_info info;
    ck_assert(addrman_lookup(am, &a, 8733, &info));
    ck_assert(info.in_tried);
    ck_assert_uint_eq(info.n_new, 0);
    ck_assert_int_eq(info.last_success, NOW);
    /* Good again: stays in tried. */
    ck_assert(addrman_good(am, &a, 8733));

    ck_assert(!addrman_select(am, true, &out));
    memset(&out, 0, sizeof out);
    ck_assert(addrman_select(am, false, &out));
    ck_assert(netaddr_equal(&out.ip, &a));

    /* Learning it again from someone else does not bring it back to new. */
    ck_assert_uint_eq(add1(am, aa(a, 8733, NOW + 1), ip("8.8.8.8")), 0);
    addrman_counts(am, &n_new, &n_tried);
    ck_assert_uint_eq(n_new, 0);
    addrman_free(am);
}
END_TEST

/* Both tables get picked, each address in proportion. */
START_TEST(select_covers_both_tables)
{
    struct addrman *am = make(false);
    struct netaddr src = ip("9.9.9.9");
    struct netaddr t = ip("1.2.3.4"), n = ip("5.6.7.8");
    add1(am, aa(t, 1, NOW), src);
    add1(am, aa(n, 1, NOW), src);
    ck_assert(addrman_good(am, &t, 1));
    int got_t = 0, got_n = 0;
    for (int i = 0; i < 400; i++) {
        struct addrman_addr out;
        ck_assert(addrman_select(am, false, &out));
        if (netaddr_equal(&out.ip, &t))
            got_t++;
        else if (netaddr_equal(&out.ip, &n))
            got_n++;
    }
    ck_assert_int_eq(got_t + got_n, 400);
    /* Even odds: far from either extreme (p of failing < 1e-20). */
    ck_assert_int_gt(got_t, 100);
    ck_assert_int_gt(got_n, 100);
    addrman_free(am);
}
END_TEST

/* In a sparse table every occupied bucket is picked as often as the
 * others (no bucket is favoured by the empty ones around it). */
START_TEST(select_sparse_buckets_even)
{
    struct addrman *am = make(false);
    enum { N = 4, ROUNDS = 4000 };
    struct netaddr a[N];
    struct addrman_info info[N];
    for (unsigned i = 0; i < N; i++) {
        a[i] = ip4(11 + 40 * i, 7, 7, 7);
        ck_assert_uint_eq(add1(am, aa(a[i], 8733, NOW), ip4(60 + 30 * i, 9, 9, 9)), 1);
        ck_assert(addrman_lookup(am, &a[i], 8733, &info[i]));
        for (unsigned j = 0; j < i; j++)
            ck_assert_uint_ne(info[i].new_buckets[0], info[j].new_buckets[0]);
    }
    int got[N] = {0};
    for (int r = 0; r < ROUNDS; r++) {
        struct addrman_addr out;
        ck_assert(addrman_select(am, true, &out));
        for (unsigned i = 0; i < N; i++)
            got[i] += netaddr_equal(&out.ip, &a[i]);
    }
    /* 1000 expected each, standard deviation 27: 800..1200 fails with
     * p < 1e-12. */
    for (unsigned i = 0; i < N; i++) {
        ck_assert_int_gt(got[i], 800);
        ck_assert_int_lt(got[i], 1200);
    }
    addrman_free(am);
}
END_TEST

START_TEST(terrible_entries)
{
    struct addrman *am = make(false);
    struct netaddr src = ip("9.9.9.9");
    struct netaddr old = ip("1.2.3.4"), fresh = ip("5.6.7.8");
    add1(am, aa(old, 1, NOW - ADDRMAN_HORIZON_SECS - 10), old);
    struct addrman_info info;
    ck_assert(addrman_lookup(am, &old, 1, &info));
    ck_assert(info.terrible);

    struct addrman_addr out, buf[4];
    ck_assert(!addrman_select(am, false, &out));
    ck_assert_uint_eq(addrman_get_addr(am, buf, 4, 0), 0);

    /* Tried in the last minute: not terrible for now. */
    addrman_attempt(am, &old, 1, false);
    ck_assert(addrman_lookup(am, &old, 1, &info));
    ck_assert(!info.terrible);
    time_set_mock(NOW + 61);
    ck_assert(addrman_lookup(am, &old, 1, &info));
    ck_assert(info.terrible);

    /* The sweep drops the terrible one and keeps the fresh one. */
    add1(am, aa(fresh, 1, NOW), src);
    ck_assert_uint_eq(addrman_size(am), 2);
    ck_assert_uint_eq(addrman_sweep(am), 1);
    ck_assert_uint_eq(addrman_size(am), 1);
    ck_assert(!addrman_lookup(am, &old, 1, &info));
    ck_assert(addrman_select(am, false, &out));
    ck_assert(netaddr_equal(&out.ip, &fresh));

    /* Only terrible ones in new, a good one in tried: select always finds
     * the good one, whichever table it looks at first. */
    ck_assert(addrman_good(am, &fresh, 1));
    struct netaddr stale = ip("7.7.7.7");
    add1(am, aa(stale, 1, NOW + 61 - ADDRMAN_HORIZON_SECS - 10), stale);
    ck_assert(addrman_lookup(am, &stale, 1, &info));
    ck_assert(info.terrible && !info.in_tried);
    for (int i = 0; i < 30; i++) {
        ck_assert(addrman_select(am, false, &out));
        ck_assert(netaddr_equal(&out.ip, &fresh));
    }
    ck_assert(!addrman_select(am, true, &out));
    addrman_free(am);
}
END_TEST

START_TEST(attempts_and_failures)
{
    struct addrman *am = make(false);
    struct netaddr src = ip("9.9.9.9"), a = ip("1.2.3.4"), b = ip("5.6.7.8");
    add1(am, aa(a, 1, NOW), src);
    add1(am, aa(b, 1, NOW), src);
    struct addrman_info info;

    addrman_attempt(am, &a, 1, true);
    ck_assert(addrman_lookup(am, &a, 1, &info));
    ck_assert_uint_eq(info.attempts, 1);
    ck_assert_int_eq(info.last_try, NOW);
    /* Until something succeeds, further failures are not held against it:
     * the node may simply be offline. */
    time_set_mock(NOW + 10);
    addrman_attempt(am, &a, 1, true);
    ck_assert(addrman_lookup(am, &a, 1, &info));
    ck_assert_uint_eq(info.attempts, 1);
    ck_assert_int_eq(info.last_try, NOW + 10);
    /* Not counted at all when asked not to. */
    addrman_attempt(am, &b, 1, false);
    ck_assert(addrman_lookup(am, &b, 1, &info));
    ck_assert_uint_eq(info.attempts, 0);

    /* After a success elsewhere, failures count again; three and never a
     * success make it terrible once the last try is over a minute old. */
    for (int i = 0; i < 2; i++) {
        time_set_mock(NOW + 100 + 100 * i);
        ck_assert(addrman_good(am, &b, 1));
        time_set_mock(NOW + 150 + 100 * i);
        addrman_attempt(am, &a, 1, true);
    }
    ck_assert(addrman_lookup(am, &a, 1, &info));
    ck_assert_uint_eq(info.attempts, 3);
    ck_assert(!info.terrible);
    time_set_mock(NOW + 400);
    ck_assert(addrman_lookup(am, &a, 1, &info));
    ck_assert(info.terrible);
    /* Success resets the count. */
    ck_assert(addrman_good(am, &a, 1));
    ck_assert(addrman_lookup(am, &a, 1, &info));
    ck_assert_uint_eq(info.attempts, 0);
    ck_assert(!info.terrible);

    /* Unknown addresses are ignored. */
    struct netaddr u = ip("4.4.4.4");
    addrman_attempt(am, &u, 1, true);
    addrman_connected(am, &u, 1);
    ck_assert_uint_eq(addrman_size(am), 2);
    addrman_free(am);
}
END_TEST

START_TEST(connected_refreshes_time)
{
    struct addrman *am = make(false);
    struct netaddr a = ip("1.2.3.4");
    add1(am, aa(a, 1, NOW - 3600), a);
    struct addrman_info info;
    addrman_connected(am, &a, 1);
    ck_assert(addrman_lookup(am, &a, 1, &info));
    ck_assert_int_eq(info.addr.time, NOW);
    time_set_mock(NOW + 60);
    addrman_connected(am, &a, 1); /* within 20 minutes: unchanged */
    ck_assert(addrman_lookup(am, &a, 1, &info));
    ck_assert_int_eq(info.addr.time, NOW);
    addrman_free(am);
}
END_TEST

/* The tried-slot collision rule: a recently good occupant stays; an older
 * one goes back to new. */
START_TEST(tried_collision)
{
    struct addrman *am = make(false);
    enum { N = 700 };
    bool known[N];
    for (unsigned i = 0; i < N; i++) {
        struct netaddr a = ip4(20, 30, i / 200, i % 200 + 1);
        struct netaddr src = ip4(30 + i % 150, 1 + i / 150, 1, 1);
        known[i] = add1(am, aa(a, 8733, NOW), src) == 1;
    }
    /* 700 addresses of one /16 cannot all fit its 512 tried slots. */
    int loser = -1;
    for (unsigned i = 0; i < N; i++) {
        if (!known[i])
            continue;
        struct netaddr a = ip4(20, 30, i / 200, i % 200 + 1);
        if (!addrman_good(am, &a, 8733) && loser < 0)
            loser = (int)i;
    }
    ck_assert_int_ge(loser, 0);
    struct netaddr l = ip4(20, 30, (unsigned)loser / 200, (unsigned)loser % 200 + 1);
    struct addrman_info info;
    ck_assert(addrman_lookup(am, &l, 8733, &info));
    ck_assert(!info.in_tried);
    ck_assert_uint_ge(info.n_new, 1);
    ck_assert_int_eq(info.last_success, NOW);

    size_t n_new0, n_tried0;
    addrman_counts(am, &n_new0, &n_tried0);
    /* Four hours later the occupant is no longer protected. */
    time_set_mock(NOW + ADDRMAN_REPLACEMENT_SECS + 1);
    ck_assert(addrman_good(am, &l, 8733));
    ck_assert(addrman_lookup(am, &l, 8733, &info));
    ck_assert(info.in_tried);
    size_t n_new1, n_tried1;
    addrman_counts(am, &n_new1, &n_tried1);
    ck_assert_uint_eq(n_tried1, n_tried0);
    /* The evicted one is back in new, with its slot in the same tried spot. */
    int evicted = 0;
    for (unsigned i = 0; i < N; i++) {
        struct netaddr a = ip4(20, 30, i / 200, i % 200 + 1);
        struct addrman_info o;
        if (i == (unsigned)loser || !addrman_lookup(am, &a, 8733, &o))
            continue;
        if (!o.in_tried && o.last_success == NOW && o.n_new >= 1)
            evicted++;
    }
    /* Losers of the first round (other than l) plus the one evicted now. */
    ck_assert_int_ge(evicted, 1);
    addrman_free(am);
}
END_TEST

START_TEST(get_addr_bounds)
{
    struct addrman *am = make(false);
    for (unsigned i = 0; i < 3000; i++) {
        struct netaddr a = ip4(11 + i % 200, 1 + i / 200, 5, 5);
        struct netaddr src = ip4(40 + i % 100, 9, 9, 9);
        add1(am, aa(a, 8733, NOW), src);
    }
    size_t total = addrman_size(am);
    ck_assert_uint_gt(total, 2000);
    struct addrman_addr *out = calloc(total, sizeof *out);
    ck_assert_ptr_nonnull(out);

    size_t n = addrman_get_addr(am, out, ADDRMAN_GETADDR_MAX, ADDRMAN_GETADDR_MAX_PCT);
    ck_assert_uint_eq(n, total * ADDRMAN_GETADDR_MAX_PCT / 100);
    ck_assert_uint_le(n, ADDRMAN_GETADDR_MAX);
    /* All distinct and all known. */
    for (size_t i = 0; i < n; i++) {
        struct addrman_info info;
        ck_assert(addrman_lookup(am, &out[i].ip, out[i].port, &info));
        for (size_t j = 0; j < i; j++)
            ck_assert(!netaddr_equal(&out[i].ip, &out[j].ip));
    }

    ck_assert_uint_eq(addrman_get_addr(am, out, 10, ADDRMAN_GETADDR_MAX_PCT), 10);
    ck_assert_uint_eq(addrman_get_addr(am, out, 0, 0), 0);
    /* No percent limit: everything. */
    ck_assert_uint_eq(addrman_get_addr(am, out, total, 0), total);
    ck_assert_uint_eq(addrman_size(am), total);
    free(out);

    /* A small manager: 23% of 3 is 0. */
    addrman_free(am);
    am = make(false);
    for (unsigned i = 0; i < 3; i++)
        add1(am, aa(ip4(50 + i, 1, 1, 1), 1, NOW), ip("9.9.9.9"));
    struct addrman_addr few[3];
    ck_assert_uint_eq(addrman_get_addr(am, few, 3, ADDRMAN_GETADDR_MAX_PCT), 0);
    ck_assert_uint_eq(addrman_get_addr(am, few, 3, 0), 3);
    addrman_free(am);
}
END_TEST

static void fill_some(struct addrman *am)
{
    for (unsigned i = 0; i < 300; i++) {
        struct netaddr a = ip4(11 + i % 100, 1 + i / 100, 3, 3);
        struct netaddr src = ip4(60 + i % 7, 9, 9, 9);
        add1(am, aa(a, (uint16_t)(1000 + i), NOW - i), src);
        if (i % 5 == 0)
            addrman_good(am, &a, (uint16_t)(1000 + i));
        if (i % 7 == 0)
            addrman_attempt(am, &a, (uint16_t)(1000 + i), true);
    }
    struct netaddr v6 = ip("2a00:1450::1");
    add1(am, aa(v6, 8733, NOW), ip("2a01::1"));
}

START_TEST(persistence_round_trip)
{
    struct addrman *am = make(false);
    fill_some(am);
    size_t n_new, n_tried;
    addrman_counts(am, &n_new, &n_tried);
    ck_assert_uint_gt(n_tried, 10);
    ck_assert_uint_gt(n_new, 10);
    char err[256];
    ck_assert_msg(addrman_save(am, path, err, sizeof err), "%s", err);
    ck_assert(file_exists(path));
    ck_assert_int_eq(count_files("peers.dat.new"), 0);

    /* Loaded into a manager with another key: the file's key wins. */
    struct addrman *b = addrman_new(NULL);
    ck_assert_ptr_nonnull(b);
    ck_assert_int_eq(addrman_load(b, path), ADDRMAN_LOAD_OK);
    ck_assert_uint_eq(addrman_size(b), addrman_size(am));
    size_t b_new, b_tried;
    addrman_counts(b, &b_new, &b_tried);
    ck_assert_uint_eq(b_new, n_new);
    ck_assert_uint_eq(b_tried, n_tried);
    for (unsigned i = 0; i <= 300; i++) {
        struct netaddr a = i < 300 ? ip4(11 + i % 100, 1 + i / 100, 3, 3) : ip("2a00:1450::1");
        uint16_t port = i < 300 ? (uint16_t)(1000 + i) : 8733;
        struct addrman_info x, y;
        bool in_a = addrman_lookup(am, &a, port, &x);
        ck_assert_int_eq(in_a, addrman_lookup(b, &a, port, &y));
        if (!in_a)
            continue;
        ck_assert_int_eq(x.in_tried, y.in_tried);
        ck_assert_int_eq(x.tried_bucket, y.tried_bucket);
        ck_assert_uint_eq(x.n_new, y.n_new);
        ck_assert_int_eq(memcmp(x.new_buckets, y.new_buckets, sizeof x.new_buckets[0] * x.n_new),
                         0);
        ck_assert_int_eq(x.addr.time, y.addr.time);
        ck_assert_uint_eq(x.addr.services, y.addr.services);
        ck_assert_int_eq(x.last_try, y.last_try);
        ck_assert_int_eq(x.last_success, y.last_success);
        ck_assert_uint_eq(x.attempts, y.attempts);
        ck_assert(netaddr_equal(&x.source, &y.source));
    }
    /* Encoding the loaded manager gives the same file back. */
    struct buf e1, e2;
    buf_init(&e1);
    buf_init(&e2);
    ck_assert(addrman_encode(b, &e1));
    struct addrman *c = make(false);
    ck_assert_int_eq(addrman_decode(c, e1.data, e1.len), ADDRMAN_DECODE_OK);
    ck_assert(addrman_encode(c, &e2));
    ck_assert_uint_eq(e1.len, e2.len);
    ck_assert_int_eq(memcmp(e1.data, e2.data, e1.len), 0);
    buf_clear(&e1);
    buf_clear(&e2);
    addrman_free(c);
    addrman_free(b);
    addrman_free(am);
}
END_TEST

START_TEST(empty_round_trip_and_missing_file)
{
    struct addrman *am = make(false);
    ck_assert_int_eq(addrman_load(am, path), ADDRMAN_LOAD_MISSING);
    ck_assert_uint_eq(addrman_size(am), 0);
    char err[256];
    ck_assert(addrman_save(am, path, err, sizeof err));
    ck_assert_int_eq(addrman_load(am, path), ADDRMAN_LOAD_OK);
    ck_assert_uint_eq(addrman_size(am), 0);
    /* Saving into a directory that does not exist fails with a message. */
    char bad[256];
    snprintf(bad, sizeof bad, "%s/nope/peers.dat", dir);
    err[0] = '\0';
    ck_assert(!addrman_save(am, bad, err, sizeof err));
    ck_assert(err[0] != '\0');
    addrman_free(am);
}
END_TEST

/* Every kind of bad file: moved aside, manager unchanged, never a crash. */
static void expect_corrupt(const uint8_t *data, size_t len, enum addrman_decode_err want)
{
    struct addrman *am = make(false);
    struct netaddr keep = ip("1.2.3.4");
    add1(am, aa(keep, 1, NOW), keep);
    ck_assert_int_eq(addrman_decode(am, data, len), want);
    ck_assert_uint_eq(addrman_size(am), 1);

    int before = count_files("peers.dat.bak.");
    write_file(path, data, len);
    ck_assert_int_eq(addrman_load(am, path), ADDRMAN_LOAD_CORRUPT);
    ck_assert(!file_exists(path));
    ck_assert_int_eq(count_files("peers.dat.bak."), before + 1);
    ck_assert_uint_eq(addrman_size(am), 1);
    struct addrman_info info;
    ck_assert(addrman_lookup(am, &keep, 1, &info));
    addrman_free(am);
}

START_TEST(corrupt_files_moved_aside)
{
    struct addrman *am = make(false);
    fill_some(am);
    struct buf good;
    buf_init(&good);
    ck_assert(addrman_encode(am, &good));
    addrman_free(am);

    /* A flipped bit anywhere: the checksum catches it. */
    uint8_t *bad = malloc(good.len);
    ck_assert_ptr_nonnull(bad);
    memcpy(bad, good.data, good.len);
    bad[good.len / 2] ^= 0x10;
    expect_corrupt(bad, good.len, ADDRMAN_DECODE_CHECKSUM);
    memcpy(bad, good.data, good.len);
    bad[good.len - 1] ^= 0x01;
    expect_corrupt(bad, good.len, ADDRMAN_DECODE_CHECKSUM);
    /* Truncated: mid-body, and shorter than a checksum. */
    expect_corrupt(good.data, good.len - 100, ADDRMAN_DECODE_CHECKSUM);
    expect_corrupt(good.data, 10, ADDRMAN_DECODE_TRUNCATED);
    expect_corrupt((const uint8_t *)"", 0, ADDRMAN_DECODE_TRUNCATED);
    free(bad);
    buf_clear(&good);

    /* Right checksum, body not msgpack / not canonical / wrong layout. */
    const struct {
        const char *hex;
        enum addrman_decode_err want;
    } bodies[] = {
        {"c1", ADDRMAN_DECODE_MSGPACK},
        {"9301", ADDRMAN_DECODE_MSGPACK},                  /* truncated array */
        {"cc05", ADDRMAN_DECODE_MSGPACK},                  /* non-shortest int */
        {"930102039304", ADDRMAN_DECODE_MSGPACK},          /* trailing bytes */
        {"93010203", ADDRMAN_DECODE_FORMAT},               /* wrong length */
        {"97a3666f6f01c40000000090", ADDRMAN_DECODE_FORMAT}, /* wrong magic */
    };
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        uint8_t body[64], img[64 + SHA256_LEN];
        size_t bl = strlen(bodies[i].hex) / 2;
        unit_hex(bodies[i].hex, body, bl);
        memcpy(img, body, bl);
        sha256(body, bl, img + bl);
        expect_corrupt(img, bl + SHA256_LEN, bodies[i].want);
    }
}
END_TEST

/* Hand-built peers.dat bodies: layout errors and placement edge cases. */
static void build_file(struct buf *out, uint64_t version, uint64_t nb, size_t n_entries,
                       const uint8_t (*ips)[16], uint64_t port, uint64_t tried, int64_t bucket)
{
    struct ser_writer w;
    buf_reset(out);
    ser_writer_init(&w, out);
    ser_write_array(&w, 7);
    ser_write_str(&w, "souk-peers", 10);
    ser_write_uint(&w, version);
    ser_write_bin(&w, KEY, sizeof KEY);
    ser_write_uint(&w, nb);
    ser_write_uint(&w, ADDRMAN_TRIED_BUCKET_COUNT);
    ser_write_uint(&w, ADDRMAN_BUCKET_SIZE);
    ser_write_array(&w, n_entries);
    for (size_t i = 0; i < n_entries; i++) {
        ser_write_array(&w, 10);
        ser_write_bin(&w, ips[i], 16);
        ser_write_uint(&w, port);
        ser_write_uint(&w, 1);
        ser_write_uint(&w, NOW);
        ser_write_bin(&w, ips[i], 16);
        ser_write_uint(&w, 0);
        ser_write_uint(&w, tried ? NOW : 0);
        ser_write_uint(&w, 0);
        ser_write_uint(&w, tried);
        if (bucket >= 0) {
            ser_write_array(&w, 1);
            ser_write_uint(&w, (uint64_t)bucket);
        } else {
            ser_write_array(&w, 0);
        }
    }
    ck_assert(ser_writer_ok(&w));
    uint8_t sum[SHA256_LEN];
    sha256(out->data, out->len, sum);
    ck_assert(buf_append(out, sum, sizeof sum));
}

START_TEST(decode_layout_rules)
{
    uint8_t ips[2][16];
    struct netaddr a = ip("1.2.3.4"), b = ip("5.6.7.8");
    memcpy(ips[0], a.ip, 16);
    memcpy(ips[1], b.ip, 16);
    struct buf f;
    buf_init(&f);
    struct addrman *am = make(false);

    build_file(&f, 1, ADDRMAN_NEW_BUCKET_COUNT, 2, (const uint8_t(*)[16])ips, 8733, 0, -1);
    ck_assert_int_eq(addrman_decode(am, f.data, f.len), ADDRMAN_DECODE_OK);
    ck_assert_uint_eq(addrman_size(am), 2);

    /* Tried entries land in tried. */
    build_file(&f, 1, ADDRMAN_NEW_BUCKET_COUNT, 2, (const uint8_t(*)[16])ips, 8733, 1, -1);
    ck_assert_int_eq(addrman_decode(am, f.data, f.len), ADDRMAN_DECODE_OK);
    size_t n_new, n_tried;
    addrman_counts(am, &n_new, &n_tried);
    ck_assert_uint_eq(n_tried, 2);

    /* Other table sizes: stored buckets are ignored and rebuilt. */
    build_file(&f, 1, 4096, 1, (const uint8_t(*)[16])ips, 8733, 0, 4000);
    ck_assert_int_eq(addrman_decode(am, f.data, f.len), ADDRMAN_DECODE_OK);
    ck_assert_uint_eq(addrman_size(am), 1);
    struct addrman_info info, ref;
    struct addrman *fresh = make(false);
    add1(fresh, aa(a, 8733, NOW), a);
    ck_assert(addrman_lookup(fresh, &a, 8733, &ref));
    ck_assert(addrman_lookup(am, &a, 8733, &info));
    ck_assert_uint_eq(info.n_new, 1);
    ck_assert_uint_eq(info.new_buckets[0], ref.new_buckets[0]);
    addrman_free(fresh);

    /* A stored bucket is used as is. */
    build_file(&f, 1, ADDRMAN_NEW_BUCKET_COUNT, 1, (const uint8_t(*)[16])ips, 8733, 0, 777);
    ck_assert_int_eq(addrman_decode(am, f.data, f.len), ADDRMAN_DECODE_OK);
    ck_assert(addrman_lookup(am, &a, 8733, &info));
    ck_assert_uint_eq(info.n_new, 1);
    ck_assert_uint_eq(info.new_buckets[0], 777);

    /* Errors leave the last good contents in place. */
    build_file(&f, 2, ADDRMAN_NEW_BUCKET_COUNT, 1, (const uint8_t(*)[16])ips, 8733, 0, -1);
    ck_assert_int_eq(addrman_decode(am, f.data, f.len), ADDRMAN_DECODE_FORMAT);
    build_file(&f, 1, ADDRMAN_NEW_BUCKET_COUNT, 1, (const uint8_t(*)[16])ips, 8733, 0,
               ADDRMAN_NEW_BUCKET_COUNT);
    ck_assert_int_eq(addrman_decode(am, f.data, f.len), ADDRMAN_DECODE_FORMAT);
    build_file(&f, 1, ADDRMAN_NEW_BUCKET_COUNT, 1, (const uint8_t(*)[16])ips, 0, 0, -1);
    ck_assert_int_eq(addrman_decode(am, f.data, f.len), ADDRMAN_DECODE_FORMAT);
    build_file(&f, 1, ADDRMAN_NEW_BUCKET_COUNT, 1, (const uint8_t(*)[16])ips, 70000, 0, -1);
    ck_assert_int_eq(addrman_decode(am, f.data, f.len), ADDRMAN_DECODE_FORMAT);
    build_file(&f, 1, ADDRMAN_NEW_BUCKET_COUNT, 1, (const uint8_t(*)[16])ips, 1, 2, -1);
    ck_assert_int_eq(addrman_decode(am, f.data, f.len), ADDRMAN_DECODE_FORMAT);
    memcpy(ips[1], ips[0], 16);
    build_file(&f, 1, ADDRMAN_NEW_BUCKET_COUNT, 2, (const uint8_t(*)[16])ips, 8733, 0, -1);
    ck_assert_int_eq(addrman_decode(am, f.data, f.len), ADDRMAN_DECODE_DUPLICATE);
    ck_assert(addrman_lookup(am, &a, 8733, &info));
    ck_assert_uint_eq(info.new_buckets[0], 777);
    ck_assert_uint_eq(addrman_size(am), 1);

    /* Local addresses in a file are dropped by a manager that refuses them. */
    struct netaddr lo = ip("127.0.0.1");
    memcpy(ips[0], lo.ip, 16);
    build_file(&f, 1, ADDRMAN_NEW_BUCKET_COUNT, 1, (const uint8_t(*)[16])ips, 8733, 0, -1);
    ck_assert_int_eq(addrman_decode(am, f.data, f.len), ADDRMAN_DECODE_OK);
    ck_assert_uint_eq(addrman_size(am), 0);
    struct addrman *loc = make(true);
    ck_assert_int_eq(addrman_decode(loc, f.data, f.len), ADDRMAN_DECODE_OK);
    ck_assert_uint_eq(addrman_size(loc), 1);
    addrman_free(loc);

    buf_clear(&f);
    addrman_free(am);
}
END_TEST

/* Addresses of one /16 from many sources, all made good: enough to fill
 * and collide in both tables, so slots a clear missed would show. */
static void fill_crowded(struct addrman *am, unsigned first)
{
    for (unsigned i = first; i < first + 700; i++) {
        struct netaddr a = ip4(20, 30, i / 200, i % 200 + 1);
        struct netaddr src = ip4(30 + i % 150, 1 + i / 150, 1, 1);
        if (add1(am, aa(a, 8733, NOW), src) == 1)
            addrman_good(am, &a, 8733);
    }
    fill_some(am);
}

static void assert_same_encoding(struct addrman *x, struct addrman *y)
{
    struct buf ex, ey;
    buf_init(&ex);
    buf_init(&ey);
    ck_assert(addrman_encode(x, &ex));
    ck_assert(addrman_encode(y, &ey));
    ck_assert_uint_eq(ex.len, ey.len);
    ck_assert_int_eq(memcmp(ex.data, ey.data, ex.len), 0);
    buf_clear(&ex);
    buf_clear(&ey);
}

START_TEST(clear_behaves_like_new)
{
    struct addrman *used = make(false);
    fill_crowded(used, 0);
    size_t n_new, n_tried;
    addrman_counts(used, &n_new, &n_tried);
    ck_assert_uint_gt(n_tried, 400);
    ck_assert_uint_gt(n_new, 100);
    addrman_clear(used);

    struct addrman *fresh = make(false);
    ck_assert_uint_eq(addrman_size(used), 0);
    addrman_counts(used, &n_new, &n_tried);
    ck_assert_uint_eq(n_new + n_tried, 0);
    assert_same_encoding(used, fresh);
    struct addrman_addr out[4];
    ck_assert(!addrman_select(used, false, out));
    ck_assert_uint_eq(addrman_get_addr(used, out, 4, 0), 0);
    struct netaddr gone = ip4(20, 30, 0, 1);
    struct addrman_info info;
    ck_assert(!addrman_lookup(used, &gone, 8733, &info));

    /* The same history from here gives the same manager: every slot the
     * first filling took is free again, and the key is kept. Shifted by
     * 100, the new addresses land on slots both of old and new ones. */
    fill_crowded(used, 100);
    fill_crowded(fresh, 100);
    size_t f_new, f_tried;
    addrman_counts(used, &n_new, &n_tried);
    addrman_counts(fresh, &f_new, &f_tried);
    ck_assert_uint_eq(n_new, f_new);
    ck_assert_uint_eq(n_tried, f_tried);
    assert_same_encoding(used, fresh);
    for (unsigned i = 0; i < 5; i++) {
        ck_assert(addrman_select(used, i % 2 == 0, out));
        ck_assert(addrman_lookup(fresh, &out[0].ip, out[0].port, &info));
    }

    /* Decoding reuses the tables of what it replaced: a manager that has
     * decoded (and failed to) several times reads an image as a new one. */
    struct buf img;
    buf_init(&img);
    ck_assert(addrman_encode(fresh, &img));
    struct addrman *again = make(false);
    for (int round = 0; round < 3; round++) {
        ck_assert_int_eq(addrman_decode(again, img.data, img.len), ADDRMAN_DECODE_OK);
        assert_same_encoding(again, fresh);
        /* A body that fails halfway (an address twice) changes nothing,
         * and its half-built tables are the next decode's spare. */
        uint8_t ips[3][16];
        struct netaddr x = ip("1.2.3.4"), y = ip("5.6.7.8");
        memcpy(ips[0], x.ip, 16);
        memcpy(ips[1], y.ip, 16);
        memcpy(ips[2], x.ip, 16);
        struct buf bad;
        buf_init(&bad);
        build_file(&bad, 1, ADDRMAN_NEW_BUCKET_COUNT, 3, (const uint8_t(*)[16])ips, 8733, 0, -1);
        ck_assert_int_eq(addrman_decode(again, bad.data, bad.len), ADDRMAN_DECODE_DUPLICATE);
        assert_same_encoding(again, fresh);
        buf_clear(&bad);
        addrman_clear(again);
        ck_assert_uint_eq(addrman_size(again), 0);
    }
    struct addrman *other = make(false);
    ck_assert_int_eq(addrman_decode(other, img.data, img.len), ADDRMAN_DECODE_OK);
    assert_same_encoding(other, fresh);
    buf_clear(&img);
    addrman_free(other);
    addrman_free(again);
    addrman_free(fresh);
    addrman_free(used);
}
END_TEST

START_TEST(load_of_unreadable_path)
{
    /* A directory where the file should be: reported, left alone, empty
     * manager. */
    ck_assert_int_eq(mkdir(path, 0700), 0);
    struct addrman *am = make(false);
    ck_assert_int_eq(addrman_load(am, path), ADDRMAN_LOAD_IO_ERROR);
    ck_assert_uint_eq(addrman_size(am), 0);
    ck_assert(file_exists(path));
    addrman_free(am);
}
END_TEST

START_TEST(decode_strerror)
{
    for (int e = 0; e < ADDRMAN_DECODE_COUNT_; e++)
        ck_assert_ptr_nonnull(addrman_decode_strerror((enum addrman_decode_err)e));
    ck_assert_str_eq(addrman_decode_strerror(ADDRMAN_DECODE_COUNT_), "unknown peers.dat error");
}
END_TEST

Suite *unit_suite(void)
{
    Suite *s = suite_create("addrman");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, add_lookup_and_penalty);
    tcase_add_test(tc, rejects_bad_addresses);
    tcase_add_test(tc, local_nodes_spread);
    tcase_add_test(tc, one_group_one_source_one_bucket);
    tcase_add_test(tc, one_source_limited_buckets);
    tcase_add_test(tc, one_group_limited_tried_buckets);
    tcase_add_test(tc, select_after_good);
    tcase_add_test(tc, select_covers_both_tables);
    tcase_add_test(tc, select_sparse_buckets_even);
    tcase_add_test(tc, terrible_entries);
    tcase_add_test(tc, attempts_and_failures);
    tcase_add_test(tc, connected_refreshes_time);
    tcase_add_test(tc, tried_collision);
    tcase_add_test(tc, get_addr_bounds);
    tcase_add_test(tc, persistence_round_trip);
    tcase_add_test(tc, clear_behaves_like_new);
    tcase_add_test(tc, empty_round_trip_and_missing_file);
    tcase_add_test(tc, corrupt_files_moved_aside);
    tcase_add_test(tc, decode_layout_rules);
    tcase_add_test(tc, load_of_unreadable_path);
    tcase_add_test(tc, decode_strerror);
    suite_add_tcase(s, tc);
    return s;
}
