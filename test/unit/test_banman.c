/* mkdtemp, nftw are POSIX/XSI. */
#define _XOPEN_SOURCE 700

#include "unit.h"

#include <dirent.h>
#include <ftw.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "p2p/banman.h"
#include "util/time.h"

#define NOW 1700000000

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
    strcpy(dir, "/tmp/souk_test_ban_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/banlist.json", dir);
    time_set_mock(NOW);
}

static void teardown(void)
{
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    time_set_mock(0);
}

static struct netaddr ip(const char *s)
{
    struct netaddr a;
    ck_assert_msg(netaddr_parse(s, &a), "bad test address %s", s);
    return a;
}

static struct banman_subnet sub(const char *s)
{
    struct banman_subnet sn;
    char err[128];
    ck_assert_msg(banman_subnet_parse(s, &sn, err, sizeof err), "%s: %s", s, err);
    return sn;
}

static bool banned(struct banman *bm, const char *s)
{
    struct netaddr a = ip(s);
    return banman_is_banned(bm, &a);
}

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

static void write_text(const char *p, const char *text)
{
    FILE *f = fopen(p, "wb");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

static void check_round(const char *in, const char *expect)
{
    struct banman_subnet sn = sub(in);
    char s[BANMAN_SUBNET_STR_MAX];
    banman_subnet_format(&sn, s);
    ck_assert_str_eq(s, expect);
}

START_TEST(parse_subnets)
{
    check_round("1.2.3.4", "1.2.3.4/32");
    check_round("1.2.3.4/32", "1.2.3.4/32");
    check_round("1.2.3.4/24", "1.2.3.0/24");
    check_round("1.2.255.255/16", "1.2.0.0/16");
    check_round("1.2.3.4/0", "0.0.0.0/0");
    check_round("10.1.2.3/9", "10.0.0.0/9");
    check_round("2001:db8::1", "2001:db8::1/128");
    check_round("2001:db8:ffff::1/32", "2001:db8::/32");
    check_round("2001:DB8::/33", "2001:db8::/33");
    check_round("::/0", "::/0");
    check_round("::ffff:1.2.3.4", "1.2.3.4/32");

    struct banman_subnet sn = sub("1.2.3.4");
    ck_assert_uint_eq(sn.prefix, 128);
    sn = sub("1.2.3.4/8");
    ck_assert_uint_eq(sn.prefix, 104);
    sn = sub("2001:db8::/32");
    ck_assert_uint_eq(sn.prefix, 32);
}
END_TEST

START_TEST(parse_errors)
{
    const char *bad[] = {"",           "1.2.3",        "1.2.3.256",   "1.2.3.4/33",
                         "1.2.3.4/",   "1.2.3.4/-1",   "1.2.3.4/+8",  "1.2.3.4/abc",
                         "1.2.3.4/16/2", "/16",        "2001:db8::/129", "2001:db8::/0128",
                         "host.example", "1.2.3.4 /8", "1.2.3.4/ 8",  "[::1]",
                         "1.2.3.4:80", "1.2.3.4/8x"};
    struct banman_subnet keep = sub("9.9.9.9"), out = keep;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err[128] = "";
        ck_assert_msg(!banman_subnet_parse(bad[i], &out, err, sizeof err), "should fail: '%s'",
                      bad[i]);
        ck_assert_msg(err[0] != '\0', "no message for '%s'", bad[i]);
        ck_assert(banman_subnet_equal(&out, &keep));
    }
    char err[128] = "";
    ck_assert(!banman_subnet_parse(NULL, &out, err, sizeof err));
    /* The message names what was wrong. */
    ck_assert(!banman_subnet_parse("1.2.3.4/40", &out, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "0 to 32"));
    ck_assert(!banman_subnet_parse("fe80::/200", &out, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "0 to 128"));
    ck_assert(!banman_subnet_parse("nonsense/8", &out, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "nonsense"));
}
END_TEST

START_TEST(subnet_matching)
{
    struct banman_subnet s16 = sub("1.2.0.0/16");
    struct netaddr a;
    a = ip("1.2.255.1");
    ck_assert(banman_subnet_contains(&s16, &a));
    a = ip("1.3.0.1");
    ck_assert(!banman_subnet_contains(&s16, &a));
    a = ip("2001:db8::1");
    ck_assert(!banman_subnet_contains(&s16, &a));

    /* IPv4 /0 covers all IPv4, no IPv6. */
    struct banman_subnet all4 = sub("0.0.0.0/0");
    a = ip("255.1.2.3");
    ck_assert(banman_subnet_contains(&all4, &a));
    a = ip("2001:db8::1");
    ck_assert(!banman_subnet_contains(&all4, &a));
    struct banman_subnet all6 = sub("::/0");
    ck_assert(banman_subnet_contains(&all6, &a));

    struct banman_subnet v6 = sub("2001:db8::/32");
    a = ip("2001:db8:1234::9");
    ck_assert(banman_subnet_contains(&v6, &a));
    a = ip("2001:db9::1");
    ck_assert(!banman_subnet_contains(&v6, &a));

    /* Odd prefix lengths split inside a byte. */
    struct banman_subnet s9 = sub("10.128.0.0/9");
    a = ip("10.200.1.1");
    ck_assert(banman_subnet_contains(&s9, &a));
    a = ip("10.127.1.1");
    ck_assert(!banman_subnet_contains(&s9, &a));

    struct banman_subnet one;
    a = ip("5.5.5.5");
    banman_subnet_single(&a, &one);
    ck_assert(banman_subnet_contains(&one, &a));
    struct netaddr b = ip("5.5.5.6");
    ck_assert(!banman_subnet_contains(&one, &b));
    ck_assert(banman_subnet_equal(&one, &(struct banman_subnet){sub("5.5.5.5").net, 128}));
}
END_TEST

START_TEST(ban_unban)
{
    struct banman *bm = banman_new(NULL);
    ck_assert_ptr_nonnull(bm);
    struct banman_subnet one = sub("1.2.3.4");
    ck_assert(!banned(bm, "1.2.3.4"));
    ck_assert_int_eq(banman_ban(bm, &one, NOW + 100), BANMAN_OK);
    ck_assert(banned(bm, "1.2.3.4"));
    ck_assert(!banned(bm, "1.2.3.5"));
    ck_assert_int_eq(banman_ban(bm, &one, NOW + 200), BANMAN_ERR_ALREADY);

    struct banman_subnet net = sub("5.6.0.0/16");
    ck_assert_int_eq(banman_ban(bm, &net, NOW + 100), BANMAN_OK);
    ck_assert(banned(bm, "5.6.7.8"));
    ck_assert(banned(bm, "5.6.255.255"));
    ck_assert(!banned(bm, "5.7.0.0"));
    /* A single address inside a banned subnet is already banned; the same
     * subnet too; a wider one is not. */
    struct banman_subnet inside = sub("5.6.7.8");
    ck_assert_int_eq(banman_ban(bm, &inside, NOW + 100), BANMAN_ERR_ALREADY);
    ck_assert_int_eq(banman_ban(bm, &net, NOW + 100), BANMAN_ERR_ALREADY);
    struct banman_subnet wider = sub("5.0.0.0/8");
    ck_assert_int_eq(banman_ban(bm, &wider, NOW + 100), BANMAN_OK);
    ck_assert_uint_eq(banman_count(bm), 3);

    struct banman_subnet v6 = sub("2001:db8::/48");
    ck_assert_int_eq(banman_ban(bm, &v6, NOW + 100), BANMAN_OK);
    ck_assert(banned(bm, "2001:db8:0:1::1"));
    ck_assert(!banned(bm, "2001:db8:1::1"));

    /* A ban that is over before it starts. */
    struct banman_subnet other = sub("7.7.7.7");
    ck_assert_int_eq(banman_ban(bm, &other, NOW), BANMAN_ERR_EXPIRED);
    ck_assert(!banned(bm, "7.7.7.7"));

    ck_assert_int_eq(banman_unban(bm, &one), BANMAN_OK);
    ck_assert(!banned(bm, "1.2.3.4"));
    ck_assert_int_eq(banman_unban(bm, &one), BANMAN_ERR_NOT_FOUND);
    /* Unban is by exact subnet: lifting /8 leaves /16 in force. */
    ck_assert_int_eq(banman_unban(bm, &inside), BANMAN_ERR_NOT_FOUND);
    ck_assert_int_eq(banman_unban(bm, &wider), BANMAN_OK);
    ck_assert(banned(bm, "5.6.7.8"));
    ck_assert(!banned(bm, "5.9.0.1"));
    /* Host bits given to unban are cleared like on ban. */
    struct banman_subnet net_host_bits = sub("5.6.9.9/16");
    ck_assert_int_eq(banman_unban(bm, &net_host_bits), BANMAN_OK);
    ck_assert(!banned(bm, "5.6.7.8"));

    banman_clear(bm);
    ck_assert_uint_eq(banman_count(bm), 0);
    ck_assert(!banned(bm, "2001:db8::1"));
    banman_free(bm);
}
END_TEST

START_TEST(expiry_and_list)
{
    struct banman *bm = banman_new(NULL);
    ck_assert_ptr_nonnull(bm);
    struct banman_subnet a = sub("1.1.1.1"), b = sub("2.2.0.0/16"), c = sub("3.3.3.3");
    ck_assert_int_eq(banman_ban(bm, &a, NOW + 100), BANMAN_OK);
    time_set_mock(NOW + 10);
    ck_assert_int_eq(banman_ban(bm, &b, NOW + 1000), BANMAN_OK);
    ck_assert_int_eq(banman_ban(bm, &c, NOW + 50), BANMAN_OK);

    struct banman_entry list[8];
    ck_assert_uint_eq(banman_list(bm, list, 8), 3);
    ck_assert(banman_subnet_equal(&list[0].subnet, &a));
    ck_assert_int_eq(list[0].created, NOW);
    ck_assert_int_eq(list[0].until, NOW + 100);
    ck_assert(banman_subnet_equal(&list[1].subnet, &b));
    ck_assert_int_eq(list[1].created, NOW + 10);
    ck_assert_uint_eq(banman_list(bm, list, 1), 1);
    ck_assert_uint_eq(banman_list(bm, list, 0), 0);

    time_set_mock(NOW + 50);
    ck_assert(!banned(bm, "3.3.3.3")); /* until is exclusive */
    ck_assert(banned(bm, "1.1.1.1"));
    time_set_mock(NOW + 101);
    ck_assert(!banned(bm, "1.1.1.1"));
    ck_assert(banned(bm, "2.2.3.4"));
    ck_assert_uint_eq(banman_sweep(bm), 2);
    ck_assert_uint_eq(banman_count(bm), 1);
    ck_assert_uint_eq(banman_list(bm, list, 8), 1);
    ck_assert(banman_subnet_equal(&list[0].subnet, &b));
    /* An expired ban can be set again. */
    ck_assert_int_eq(banman_ban(bm, &a, NOW + 500), BANMAN_OK);
    banman_free(bm);
}
END_TEST

START_TEST(persistence)
{
    struct banman *bm = banman_new(path);
    ck_assert_ptr_nonnull(bm);
    ck_assert(!file_exists(path));
    struct banman_subnet a = sub("1.2.3.4"), b = sub("2001:db8::/32"), c = sub("9.9.0.0/16");
    ck_assert_int_eq(banman_ban(bm, &a, NOW + 3600), BANMAN_OK);
    /* Written on change, not only at shutdown. */
    ck_assert(file_exists(path));
    ck_assert_int_eq(banman_ban(bm, &b, NOW + 7200), BANMAN_OK);
    ck_assert_int_eq(banman_ban(bm, &c, NOW + 60), BANMAN_OK);
    struct netaddr d = ip("8.8.8.8");
    banman_discourage(bm, &d);
    banman_free(bm);

    /* The file is the documented JSON. */
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    ck_assert_ptr_nonnull(root);
    ck_assert_int_eq(json_integer_value(json_object_get(root, "version")), 1);
    json_t *list = json_object_get(root, "banned");
    ck_assert_uint_eq(json_array_size(list), 3);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(list, 1), "address")),
                     "2001:db8::/32");
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(list, 1), "banned_until")),
                     NOW + 7200);
    json_decref(root);

    time_set_mock(NOW + 100);
    bm = banman_new(path);
    ck_assert_ptr_nonnull(bm);
    /* The 60 s ban ended while the node was down. */
    ck_assert_uint_eq(banman_count(bm), 2);
    ck_assert(banned(bm, "1.2.3.4"));
    ck_assert(banned(bm, "2001:db8:5::1"));
    ck_assert(!banned(bm, "9.9.1.1"));
    /* Discouragement does not survive a restart. */
    ck_assert(!banman_is_discouraged(bm, &d));
    struct banman_entry e[4];
    ck_assert_uint_eq(banman_list(bm, e, 4), 2);
    ck_assert_int_eq(e[0].created, NOW);
    ck_assert_int_eq(e[0].until, NOW + 3600);

    ck_assert_int_eq(banman_unban(bm, &a), BANMAN_OK);
    banman_free(bm);
    bm = banman_new(path);
    ck_assert_uint_eq(banman_count(bm), 1);
    banman_clear(bm);
    banman_free(bm);
    bm = banman_new(path);
    ck_assert_uint_eq(banman_count(bm), 0);

    char err[256];
    ck_assert(banman_flush(bm, err, sizeof err));
    ck_assert_int_eq(count_files("banlist.json.new"), 0);
    banman_free(bm);
}
END_TEST

START_TEST(flush_writes_sweeps_and_reports)
{
    char sub_path[256], err[256];
    snprintf(sub_path, sizeof sub_path, "%s/gone/banlist.json", dir);
    struct banman *bm = banman_new(sub_path);
    ck_assert_ptr_nonnull(bm);
    struct banman_subnet a = sub("1.2.3.4");
    /* The write fails (no such directory) but the ban is in force. */
    ck_assert_int_eq(banman_ban(bm, &a, NOW + 100), BANMAN_OK);
    ck_assert(banned(bm, "1.2.3.4"));
    err[0] = '\0';
    ck_assert(!banman_flush(bm, err, sizeof err));
    ck_assert(err[0] != '\0');
    /* Once the directory exists the pending change is written. */
    char gone[200];
    snprintf(gone, sizeof gone, "%s/gone", dir);
    ck_assert_int_eq(mkdir(gone, 0700), 0);
    ck_assert(banman_flush(bm, err, sizeof err));
    ck_assert(file_exists(sub_path));
    banman_free(bm);
}
END_TEST

static void expect_corrupt_file(const char *text)
{
    write_text(path, text);
    int before = count_files("banlist.json.bak.");
    struct banman *bm = banman_new(path);
    ck_assert_ptr_nonnull(bm);
    ck_assert_uint_eq(banman_count(bm), 0);
    ck_assert_msg(!file_exists(path), "not moved aside: %s", text);
    ck_assert_int_eq(count_files("banlist.json.bak."), before + 1);
    /* And the node can ban afresh, writing a new file. */
    struct banman_subnet a = sub("1.2.3.4");
    ck_assert_int_eq(banman_ban(bm, &a, NOW + 100), BANMAN_OK);
    ck_assert(file_exists(path));
    banman_free(bm);
    unlink(path);
}

START_TEST(corrupt_banlist)
{
    expect_corrupt_file("");
    expect_corrupt_file("{not json");
    expect_corrupt_file("[1, 2, 3]");
    expect_corrupt_file("{\"version\": 2, \"banned\": []}");
    expect_corrupt_file("{\"version\": 1}");
    expect_corrupt_file("{\"version\": 1, \"banned\": {}}");
    expect_corrupt_file("{\"version\": 1, \"banned\": [7]}");
    expect_corrupt_file("{\"version\": 1, \"banned\": [{\"address\": \"1.2.3.999\", "
                        "\"ban_created\": 1, \"banned_until\": 1800000000}]}");
    expect_corrupt_file("{\"version\": 1, \"banned\": [{\"address\": \"1.2.3.4/40\", "
                        "\"ban_created\": 1, \"banned_until\": 1800000000}]}");
    expect_corrupt_file("{\"version\": 1, \"banned\": [{\"address\": \"1.2.3.4\", "
                        "\"ban_created\": 1, \"banned_until\": \"soon\"}]}");
    expect_corrupt_file("{\"version\": 1, \"banned\": [{\"address\": \"1.2.3.4\", "
                        "\"ban_created\": -5, \"banned_until\": 1800000000}]}");
    expect_corrupt_file("{\"version\": 1, \"version\": 1, \"banned\": []}");
    ck_assert_int_eq(count_files("banlist.json.bak."), 12);

    /* A good file with an expired entry and a duplicate loads fine. */
    write_text(path, "{\"version\": 1, \"banned\": ["
                     "{\"address\": \"1.2.3.4\", \"ban_created\": 1, \"banned_until\": 5},"
                     "{\"address\": \"5.6.0.0/16\", \"ban_created\": 1, \"banned_until\": 1700000100},"
                     "{\"address\": \"5.6.7.7/16\", \"ban_created\": 2, \"banned_until\": 1700000200}"
                     "], \"comment\": \"extra keys are ignored\"}");
    struct banman *bm = banman_new(path);
    ck_assert_uint_eq(banman_count(bm), 1);
    ck_assert(!banned(bm, "1.2.3.4"));
    struct banman_entry e;
    ck_assert_uint_eq(banman_list(bm, &e, 1), 1);
    ck_assert_int_eq(e.until, 1700000200);
    ck_assert(file_exists(path));
    banman_free(bm);
}
END_TEST

/* The codec alone: text in, the same bans out and back; a refused text
 * leaves the bans there were. */
START_TEST(decode_encode)
{
    struct banman *bm = banman_new(NULL);
    struct banman_subnet keep = sub("9.9.9.9");
    ck_assert_int_eq(banman_ban(bm, &keep, NOW + 50), BANMAN_OK);
    char why[256];
    const char *text = "{\"version\": 1, \"banned\": ["
                       "{\"address\": \"1.2.3.4\", \"ban_created\": 1, \"banned_until\": 5},"
                       "{\"address\": \"2001:db8::1/32\", \"ban_created\": 3, "
                       "\"banned_until\": 1700000300},"
                       "{\"address\": \"5.6.7.7/16\", \"ban_created\": 2, "
                       "\"banned_until\": 1700000200}"
                       "]}";
    ck_assert_msg(banman_decode(bm, text, strlen(text), why, sizeof why), "%s", why);
    ck_assert_uint_eq(banman_count(bm), 2);
    ck_assert(!banned(bm, "9.9.9.9"));
    ck_assert(banned(bm, "5.6.1.1"));
    ck_assert(banned(bm, "2001:db8:ffff::1"));
    char *out = banman_encode(bm);
    ck_assert_ptr_nonnull(out);
    ck_assert_ptr_nonnull(strstr(out, "\"2001:db8::/32\""));
    ck_assert_ptr_nonnull(strstr(out, "\"5.6.0.0/16\""));
    struct banman *again = banman_new(NULL);
    ck_assert_msg(banman_decode(again, out, strlen(out), why, sizeof why), "%s", why);
    char *out2 = banman_encode(again);
    ck_assert_str_eq(out, out2);
    free(out);
    free(out2);

    const char *bad = "{\"version\": 1, \"banned\": [{\"address\": \"1.2.3.4/33\", "
                      "\"ban_created\": 1, \"banned_until\": 1800000000}]}";
    ck_assert(!banman_decode(again, bad, strlen(bad), why, sizeof why));
    ck_assert_ptr_nonnull(strstr(why, "prefix"));
    ck_assert_uint_eq(banman_count(again), 2);
    banman_free(again);
    banman_free(bm);
}
END_TEST

START_TEST(discouragement)
{
    struct banman *bm = banman_new(NULL);
    struct netaddr a = ip("1.2.3.4"), b = ip("1.2.3.5");
    ck_assert(!banman_is_discouraged(bm, &a));
    banman_discourage(bm, &a);
    ck_assert(banman_is_discouraged(bm, &a));
    ck_assert(!banman_is_discouraged(bm, &b));
    /* Discouraged is not banned, and is not listed. */
    ck_assert(!banman_is_banned(bm, &a));
    ck_assert_uint_eq(banman_count(bm), 0);

    time_set_mock(NOW + BANMAN_DISCOURAGE_SECS - 1);
    ck_assert(banman_is_discouraged(bm, &a));
    banman_discourage(bm, &b);
    time_set_mock(NOW + BANMAN_DISCOURAGE_SECS);
    ck_assert(!banman_is_discouraged(bm, &a));
    ck_assert(banman_is_discouraged(bm, &b));
    /* Discouraging again restarts the period. */
    banman_discourage(bm, &a);
    time_set_mock(NOW + 2 * BANMAN_DISCOURAGE_SECS - 10);
    ck_assert(banman_is_discouraged(bm, &a));

    banman_clear(bm);
    ck_assert(!banman_is_discouraged(bm, &a));
    ck_assert(!banman_is_discouraged(bm, &b));
    banman_free(bm);
}
END_TEST

static struct netaddr numbered(unsigned i)
{
    const uint8_t v4[4] = {10, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i};
    struct netaddr x;
    netaddr_from_ipv4(&x, v4);
    return x;
}

START_TEST(discouragement_is_bounded)
{
    struct banman *bm = banman_new(NULL);
    for (unsigned i = 0; i < BANMAN_DISCOURAGED_MAX; i++) {
        time_set_mock(NOW + i);
        struct netaddr x = numbered(i);
        banman_discourage(bm, &x);
    }
    /* Full. Refreshing a known one takes no room... */
    time_set_mock(NOW + BANMAN_DISCOURAGED_MAX);
    struct netaddr first = numbered(0), second = numbered(1), third = numbered(2);
    banman_discourage(bm, &first);
    ck_assert(banman_is_discouraged(bm, &second));
    /* ... a new one pushes out the one closest to expiry, now the second. */
    struct netaddr last = numbered(BANMAN_DISCOURAGED_MAX);
    banman_discourage(bm, &last);
    ck_assert(banman_is_discouraged(bm, &first));
    ck_assert(!banman_is_discouraged(bm, &second));
    ck_assert(banman_is_discouraged(bm, &third));
    ck_assert(banman_is_discouraged(bm, &last));
    banman_free(bm);
}
END_TEST

START_TEST(strerror_table)
{
    for (int e = 0; e < BANMAN_ERR_COUNT_; e++)
        ck_assert_ptr_nonnull(banman_strerror((enum banman_err)e));
    ck_assert_str_eq(banman_strerror(BANMAN_ERR_ALREADY), "IP/subnet already banned");
    ck_assert_str_eq(banman_strerror(BANMAN_ERR_COUNT_), "unknown ban error");
}
END_TEST

Suite *unit_suite(void)
{
    Suite *s = suite_create("banman");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, parse_subnets);
    tcase_add_test(tc, parse_errors);
    tcase_add_test(tc, subnet_matching);
    tcase_add_test(tc, ban_unban);
    tcase_add_test(tc, expiry_and_list);
    tcase_add_test(tc, persistence);
    tcase_add_test(tc, flush_writes_sweeps_and_reports);
    tcase_add_test(tc, corrupt_banlist);
    tcase_add_test(tc, decode_encode);
    tcase_add_test(tc, discouragement);
    tcase_add_test(tc, discouragement_is_bounded);
    tcase_add_test(tc, strerror_table);
    suite_add_tcase(s, tc);
    return s;
}
