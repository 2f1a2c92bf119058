#include "unit.h"
#include "fixture.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rpc/auth.h"

/* rpcauth.py with salt cb77f0957de88ff388cf817ddbc7273 and password
 * "secret pass" (computed with Python's hmac module). */
#define VEC_SPEC "alice:cb77f0957de88ff388cf817ddbc7273$" \
                 "d91de97b04b1151a16ead9b0fac2e30764becd9c3144bf1bcccdfcd7428646cd"

static char tmpdir[256];

START_TEST(cookie_file_format_and_mode)
{
    fixture_tmpdir_make(tmpdir, sizeof tmpdir, "rpc_auth");
    char pass[RPC_AUTH_COOKIE_PASS_LEN + 1], err[256];
    ck_assert(rpc_auth_cookie_create(tmpdir, pass, err, sizeof err));
    ck_assert_uint_eq(strlen(pass), 64);
    for (size_t i = 0; i < 64; i++)
        ck_assert(isxdigit((unsigned char)pass[i]) && !isupper((unsigned char)pass[i]));

    char path[512];
    snprintf(path, sizeof path, "%s/.cookie", tmpdir);
    struct stat sb;
    ck_assert_int_eq(stat(path, &sb), 0);
    ck_assert_int_eq(sb.st_mode & 0777, 0600);

    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    char line[256] = {0};
    ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
    fclose(f);
    char expect[128];
    snprintf(expect, sizeof expect, "__cookie__:%s", pass);
    ck_assert_str_eq(line, expect);

    char user[64], pw[128];
    ck_assert(rpc_auth_cookie_read(path, user, sizeof user, pw, sizeof pw, err, sizeof err));
    ck_assert_str_eq(user, "__cookie__");
    ck_assert_str_eq(pw, pass);

    /* A second cookie replaces the first with a different password. */
    char pass2[RPC_AUTH_COOKIE_PASS_LEN + 1];
    ck_assert(rpc_auth_cookie_create(tmpdir, pass2, err, sizeof err));
    ck_assert_str_ne(pass, pass2);

    rpc_auth_cookie_remove(tmpdir);
    ck_assert_int_ne(access(path, F_OK), 0);
    rpc_auth_cookie_remove(tmpdir); /* missing file: no harm */
    ck_assert(!rpc_auth_cookie_read(path, user, sizeof user, pw, sizeof pw, err, sizeof err));
    fixture_tmpdir_remove(tmpdir);
}
END_TEST

START_TEST(cookie_bad_inputs)
{
    char pass[RPC_AUTH_COOKIE_PASS_LEN + 1], err[256];
    memset(pass, 'x', sizeof pass);
    ck_assert(!rpc_auth_cookie_create("/nonexistent/souk/dir", pass, err, sizeof err));
    ck_assert_int_eq(pass[0], 'x');
    ck_assert_ptr_nonnull(strstr(err, "cannot create"));

    fixture_tmpdir_make(tmpdir, sizeof tmpdir, "rpc_auth");
    char path[512];
    snprintf(path, sizeof path, "%s/.cookie", tmpdir);
    FILE *f = fopen(path, "w");
    fputs("no-colon-here\n", f);
    fclose(f);
    char user[64], pw[128];
    ck_assert(!rpc_auth_cookie_read(path, user, sizeof user, pw, sizeof pw, err, sizeof err));
    /* Too small a buffer for the password. */
    f = fopen(path, "w");
    fputs("__cookie__:0123456789abcdef\n", f);
    fclose(f);
    char small[8];
    ck_assert(!rpc_auth_cookie_read(path, user, sizeof user, small, sizeof small, err, sizeof err));
    fixture_tmpdir_remove(tmpdir);
}
END_TEST

START_TEST(rpcauth_vector)
{
    struct rpc_auth a;
    char err[256];
    rpc_auth_init(&a);
    ck_assert(rpc_auth_add_rpcauth(&a, VEC_SPEC, err, sizeof err));
    ck_assert(rpc_auth_check(&a, "alice", "secret pass"));
    ck_assert(!rpc_auth_check(&a, "alice", "secret pasS"));
    ck_assert(!rpc_auth_check(&a, "alice", "secret pass "));
    ck_assert(!rpc_auth_check(&a, "alice", "secret pas"));
    ck_assert(!rpc_auth_check(&a, "alice", ""));
    ck_assert(!rpc_auth_check(&a, "alicE", "secret pass"));
    ck_assert(!rpc_auth_check(&a, "bob", "secret pass"));
    rpc_auth_clear(&a);
}
END_TEST

START_TEST(rpcauth_malformed)
{
    static const char *const bad[] = {
        "alice",
        "alice:salt",
        ":cb77$d91de97b04b1151a16ead9b0fac2e30764becd9c3144bf1bcccdfcd7428646cd",
        "alice:$d91de97b04b1151a16ead9b0fac2e30764becd9c3144bf1bcccdfcd7428646cd",
        "alice:cb77$d91de97b",
        "alice:cb77$zz1de97b04b1151a16ead9b0fac2e30764becd9c3144bf1bcccdfcd7428646cd",
        "alice:cb77$d91de97b04b1151a16ead9b0fac2e30764becd9c3144bf1bcccdfcd7428646cd00",
    };
    struct rpc_auth a;
    char err[256];
    rpc_auth_init(&a);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        ck_assert_msg(!rpc_auth_add_rpcauth(&a, bad[i], err, sizeof err), "%s", bad[i]);
        ck_assert_ptr_nonnull(strstr(err, "rpcauth"));
        ck_assert_uint_eq(a.n_entries, 0);
    }
    rpc_auth_clear(&a);
}
END_TEST

START_TEST(password_entries)
{
    struct rpc_auth a;
    char err[256];
    rpc_auth_init(&a);
    ck_assert(!rpc_auth_check(&a, "", ""));
    ck_assert(!rpc_auth_add_password(&a, "us:er", "pw", err, sizeof err));
    ck_assert_uint_eq(a.n_entries, 0);
    ck_assert(rpc_auth_add_password(&a, "user", "pw1", err, sizeof err));
    ck_assert(rpc_auth_add_rpcauth(&a, VEC_SPEC, err, sizeof err));
    ck_assert(rpc_auth_add_password(&a, "__cookie__", "abc", err, sizeof err));
    /* Every entry is reachable, whichever position it holds. */
    ck_assert(rpc_auth_check(&a, "user", "pw1"));
    ck_assert(rpc_auth_check(&a, "alice", "secret pass"));
    ck_assert(rpc_auth_check(&a, "__cookie__", "abc"));
    /* No mixing of one entry's user with another's password. */
    ck_assert(!rpc_auth_check(&a, "user", "abc"));
    ck_assert(!rpc_auth_check(&a, "__cookie__", "pw1"));
    ck_assert(!rpc_auth_check(&a, "user", "pw"));
    rpc_auth_clear(&a);
    ck_assert(!rpc_auth_check(&a, "user", "pw1"));
}
END_TEST

START_TEST(basic_header)
{
    struct rpc_auth a;
    char err[256], hdr[256], user[64];
    rpc_auth_init(&a);
    ck_assert(rpc_auth_add_password(&a, "user", "pa:ss", err, sizeof err));

    ck_assert(rpc_auth_basic_header("user", "pa:ss", hdr, sizeof hdr));
    ck_assert_str_eq(hdr, "Basic dXNlcjpwYTpzcw==");
    ck_assert(rpc_auth_check_header(&a, hdr, user, sizeof user));
    ck_assert_str_eq(user, "user");

    ck_assert(rpc_auth_basic_header("user", "pa:sS", hdr, sizeof hdr));
    ck_assert(!rpc_auth_check_header(&a, hdr, user, sizeof user));
    ck_assert(!rpc_auth_check_header(&a, NULL, user, sizeof user));
    ck_assert(!rpc_auth_check_header(&a, "", user, sizeof user));
    ck_assert(!rpc_auth_check_header(&a, "Bearer dXNlcjpwYTpzcw==", user, sizeof user));
    ck_assert(!rpc_auth_check_header(&a, "Basic ", user, sizeof user));
    ck_assert(!rpc_auth_check_header(&a, "Basic dXNlcjpwYTpzcw", user, sizeof user));
    ck_assert(!rpc_auth_check_header(&a, "Basic !!!!", user, sizeof user));
    /* "user" without a colon. */
    ck_assert(!rpc_auth_check_header(&a, "Basic dXNlcg==", user, sizeof user));
    /* An embedded NUL must not cut the password short: "user:pa:ss\0x". */
    ck_assert(!rpc_auth_check_header(&a, "Basic dXNlcjpwYTpzcwB4", user, sizeof user));

    char tiny[10];
    ck_assert(!rpc_auth_basic_header("user", "pa:ss", tiny, sizeof tiny));
    rpc_auth_clear(&a);
}
END_TEST

/* A header that passed is remembered: the next request with it costs one
 * keyed hash, not the full check; failures are never remembered. */
START_TEST(header_cache)
{
    struct rpc_auth a;
    char err[256], good[256], bad[256], user[64];
    rpc_auth_init(&a);
    ck_assert(rpc_auth_add_password(&a, "user", "pa:ss", err, sizeof err));
    ck_assert(rpc_auth_add_rpcauth(&a, "bob:salt$"
                                   "0000000000000000000000000000000000000000000000000000000000000000",
                                   err, sizeof err));
    ck_assert(rpc_auth_basic_header("user", "pa:ss", good, sizeof good));
    ck_assert(rpc_auth_basic_header("user", "wrong", bad, sizeof bad));

    ck_assert(rpc_auth_check_header(&a, good, user, sizeof user));
    ck_assert_uint_eq(a.full_checks, 1);
    for (int i = 0; i < 5; i++) {
        user[0] = '\0';
        ck_assert(rpc_auth_check_header(&a, good, user, sizeof user));
        ck_assert_str_eq(user, "user");
    }
    ck_assert_uint_eq(a.full_checks, 1);
    for (int i = 0; i < 3; i++)
        ck_assert(!rpc_auth_check_header(&a, bad, user, sizeof user));
    ck_assert_uint_eq(a.full_checks, 4);
    /* A prefix or an extension of the cached header is a different header. */
    good[strlen(good) - 1] = '\0';
    ck_assert(!rpc_auth_check_header(&a, good, user, sizeof user));
    ck_assert_uint_eq(a.full_checks, 5);
    rpc_auth_clear(&a);
}
END_TEST

Suite *unit_suite(void)
{
    const TTest *tests[] = {
        cookie_file_format_and_mode, cookie_bad_inputs, rpcauth_vector, rpcauth_malformed,
        password_entries, basic_header, header_cache, NULL
    };
    return fixture_suite("rpc_auth", NULL, tests);
}
