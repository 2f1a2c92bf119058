/* The gateway's pure parts: usernames and passwords, the password key
 * derivation, sessions and their expiry, the CSRF check, the cookie, the
 * login throttle, the static file paths (no traversal), the JSON-RPC
 * allowlist filter and the API's body reading. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "fixture.h"
#include "gateway/gw_account.h"
#include "gateway/gw_request.h"
#include "gateway/gw_rpc.h"
#include "gateway/gw_session.h"
#include "gateway/gw_static.h"

START_TEST(usernames)
{
    char out[GW_USERNAME_MAX + 1] = "untouched";
    ck_assert(gw_username_normalize("Alice_01-x", out));
    ck_assert_str_eq(out, "alice_01-x");
    ck_assert(gw_username_normalize("abc", out));
    ck_assert(gw_username_normalize("abcdefghijklmnopqrstuvwxyz012345", out)); /* 32 */
    strcpy(out, "untouched");
    ck_assert(!gw_username_normalize("ab", out));
    ck_assert(!gw_username_normalize("abcdefghijklmnopqrstuvwxyz0123456", out)); /* 33 */
    ck_assert(!gw_username_normalize("al ice", out));
    ck_assert(!gw_username_normalize("al.ice", out));
    ck_assert(!gw_username_normalize("../x", out));
    ck_assert(!gw_username_normalize("\xc3\xa9t\xc3\xa9", out));
    ck_assert(!gw_username_normalize(NULL, out));
    ck_assert_str_eq(out, "untouched");
    char w[GW_WALLET_NAME_MAX + 1];
    gw_wallet_name("alice", w);
    ck_assert_str_eq(w, "gw-alice");
}
END_TEST

START_TEST(passwords)
{
    ck_assert(gw_password_acceptable("12345678", 8));
    ck_assert(!gw_password_acceptable("1234567", 7));
    ck_assert(!gw_password_acceptable("1234\0" "5678", 9)); /* a NUL inside */
    ck_assert(!gw_password_acceptable(NULL, 0));
    char *big = malloc(GW_PASSWORD_MAX + 2);
    memset(big, 'a', GW_PASSWORD_MAX + 1);
    big[GW_PASSWORD_MAX + 1] = '\0';
    ck_assert(gw_password_acceptable(big, GW_PASSWORD_MAX));
    ck_assert(!gw_password_acceptable(big, GW_PASSWORD_MAX + 1));
    free(big);
}
END_TEST

START_TEST(kdf_params)
{
    struct gw_kdf k;
    ck_assert(gw_kdf_new(&k));
    ck_assert(gw_kdf_valid(&k));
    ck_assert_uint_eq(k.n, GW_KDF_N);
    struct gw_kdf k2;
    ck_assert(gw_kdf_new(&k2));
    ck_assert(memcmp(k.salt, k2.salt, GW_KDF_SALT_LEN) != 0); /* fresh salt each time */
    k.n = 1000; /* not a power of two */
    ck_assert(!gw_kdf_valid(&k));
    k.n = GW_KDF_N_MAX * 2;
    ck_assert(!gw_kdf_valid(&k));
    k.n = 1024;
    k.r = 0;
    ck_assert(!gw_kdf_valid(&k));
    k.r = GW_KDF_R_MAX + 1;
    ck_assert(!gw_kdf_valid(&k));
    k.r = 8;
    k.p = GW_KDF_P_MAX + 1;
    ck_assert(!gw_kdf_valid(&k));
    /* Each bound alone holds, the memory bound does not. */
    k.n = GW_KDF_N_MAX;
    k.r = GW_KDF_R_MAX;
    k.p = 1;
    ck_assert(!gw_kdf_valid(&k));
}
END_TEST

START_TEST(password_derivation)
{
    struct gw_kdf k = {.n = 1024, .r = 8, .p = 1};
    memset(k.salt, 7, sizeof k.salt);
    struct gw_secret a, b, c;
    ck_assert(gw_password_derive("correct horse", 13, &k, &a));
    ck_assert(gw_password_derive("correct horse", 13, &k, &b));
    ck_assert(memcmp(a.verifier, b.verifier, 32) == 0);
    ck_assert_str_eq(a.wallet_pass, b.wallet_pass);
    ck_assert_uint_eq(strlen(a.wallet_pass), 64);
    /* The wallet passphrase is not the verifier written as hex. */
    char vhex[65];
    for (size_t i = 0; i < 32; i++)
        snprintf(vhex + 2 * i, 3, "%02x", a.verifier[i]);
    ck_assert_str_ne(vhex, a.wallet_pass);
    ck_assert(gw_password_derive("correct horsf", 13, &k, &c));
    ck_assert(memcmp(a.verifier, c.verifier, 32) != 0);
    k.salt[0] ^= 1;
    ck_assert(gw_password_derive("correct horse", 13, &k, &c));
    ck_assert(memcmp(a.verifier, c.verifier, 32) != 0);
    ck_assert_str_ne(a.wallet_pass, c.wallet_pass);
    k.n = 1000;
    ck_assert(!gw_password_derive("correct horse", 13, &k, &c));
    gw_secret_wipe(&a);
    for (size_t i = 0; i < sizeof a.wallet_pass; i++)
        ck_assert_int_eq(a.wallet_pass[i], 0);
}
END_TEST

static struct gw_session_info info_of(const char *user)
{
    struct gw_session_info i;
    memset(&i, 0, sizeof i);
    snprintf(i.username, sizeof i.username, "%s", user);
    snprintf(i.wallet, sizeof i.wallet, "gw-%s", user);
    snprintf(i.address, sizeof i.address, "rsouk1%s", user);
    return i;
}

START_TEST(sessions_lifecycle)
{
    struct gw_sessions s;
    gw_sessions_init(&s, 100, 1000);
    struct gw_session_info alice = info_of("alice"), bob = info_of("bob"), got;
    char t1[GW_TOKEN_HEX + 1], c1[GW_TOKEN_HEX + 1], t2[GW_TOKEN_HEX + 1], c2[GW_TOKEN_HEX + 1];
    char t3[GW_TOKEN_HEX + 1], c3[GW_TOKEN_HEX + 1];
    ck_assert(gw_sessions_create(&s, &alice, 1000, t1, c1));
    ck_assert(gw_sessions_create(&s, &alice, 1000, t2, c2));
    ck_assert(gw_sessions_create(&s, &bob, 1000, t3, c3));
    ck_assert_uint_eq(strlen(t1), GW_TOKEN_HEX);
    ck_assert_str_ne(t1, t2);
    ck_assert_str_ne(t1, c1); /* the CSRF token is not the cookie */
    ck_assert_uint_eq(gw_sessions_count_account(&s, "alice"), 2);

    ck_assert_int_eq(gw_sessions_get(&s, t1, 1050, &got), GW_SESSION_VALID);
    ck_assert_str_eq(got.username, "alice");
    ck_assert_str_eq(got.csrf, c1);
    ck_assert(gw_csrf_matches(&got, c1));
    ck_assert(!gw_csrf_matches(&got, c2));
    ck_assert(!gw_csrf_matches(&got, NULL));
    ck_assert(!gw_csrf_matches(&got, ""));
    char forged[GW_TOKEN_HEX + 1];
    memcpy(forged, c1, sizeof forged);
    forged[10] = forged[10] == 'a' ? 'b' : 'a';
    ck_assert(!gw_csrf_matches(&got, forged));

    /* Not a token / unknown token. */
    ck_assert_int_eq(gw_sessions_get(&s, "zz", 1050, &got), GW_SESSION_NONE);
    memcpy(forged, t1, sizeof forged);
    forged[0] = forged[0] == 'a' ? 'b' : 'a';
    ck_assert_int_eq(gw_sessions_get(&s, forged, 1050, &got), GW_SESSION_NONE);

    /* Idle expiry: t1 was used at 1050, t2 not since 1000. */
    ck_assert_int_eq(gw_sessions_get(&s, t2, 1099, &got), GW_SESSION_VALID);
    ck_assert_int_eq(gw_sessions_get(&s, t3, 1100, &got), GW_SESSION_EXPIRED);
    ck_assert_str_eq(got.username, "bob");
    ck_assert_int_eq(gw_sessions_get(&s, t3, 1100, &got), GW_SESSION_NONE); /* gone */

    /* Logout ends one session only. */
    ck_assert(gw_sessions_remove(&s, t2, &got));
    ck_assert(!gw_sessions_remove(&s, t2, NULL));
    ck_assert_int_eq(gw_sessions_get(&s, t1, 1140, &got), GW_SESSION_VALID);

    /* The longest a session lasts, however busy. */
    for (int64_t now = 1200; now < 2000; now += 50)
        ck_assert_int_eq(gw_sessions_get(&s, t1, now, &got), GW_SESSION_VALID);
    ck_assert_int_eq(gw_sessions_get(&s, t1, 2000, &got), GW_SESSION_EXPIRED);
    gw_sessions_clear(&s);
}
END_TEST

static size_t swept;
static void count_swept(void *ctx, const struct gw_session_info *i)
{
    (void)ctx;
    ck_assert_str_eq(i->username, "carol");
    swept++;
}

START_TEST(sessions_sweep_and_account_removal)
{
    struct gw_sessions s;
    gw_sessions_init(&s, 60, 3600);
    struct gw_session_info carol = info_of("carol"), dave = info_of("dave"), got;
    char t[GW_TOKEN_HEX + 1], c[GW_TOKEN_HEX + 1], td[GW_TOKEN_HEX + 1];
    ck_assert(gw_sessions_create(&s, &carol, 0, t, c));
    ck_assert(gw_sessions_create(&s, &carol, 0, t, c));
    ck_assert(gw_sessions_create(&s, &dave, 30, td, c));
    swept = 0;
    ck_assert_uint_eq(gw_sessions_sweep(&s, 59, count_swept, NULL), 0);
    ck_assert_uint_eq(gw_sessions_sweep(&s, 60, count_swept, NULL), 2);
    ck_assert_uint_eq(swept, 2);
    ck_assert_int_eq(gw_sessions_get(&s, td, 60, &got), GW_SESSION_VALID);
    ck_assert(gw_sessions_create(&s, &dave, 60, t, c));
    ck_assert_uint_eq(gw_sessions_remove_account(&s, "dave"), 2);
    ck_assert_int_eq(gw_sessions_get(&s, td, 61, &got), GW_SESSION_NONE);
    ck_assert_uint_eq(gw_sessions_count_account(&s, "dave"), 0);

    /* One account cannot fill the table: its least recently used goes. */
    char first[GW_TOKEN_HEX + 1], second[GW_TOKEN_HEX + 1];
    ck_assert(gw_sessions_create(&s, &dave, 100, first, c));
    ck_assert(gw_sessions_create(&s, &dave, 101, second, c));
    ck_assert_int_eq(gw_sessions_get(&s, first, 102, &got), GW_SESSION_VALID); /* used later */
    for (int i = 2; i < GW_SESSIONS_PER_ACCOUNT; i++)
        ck_assert(gw_sessions_create(&s, &dave, 103, t, c));
    ck_assert_uint_eq(gw_sessions_count_account(&s, "dave"), GW_SESSIONS_PER_ACCOUNT);
    ck_assert(gw_sessions_create(&s, &dave, 104, t, c));
    ck_assert_uint_eq(gw_sessions_count_account(&s, "dave"), GW_SESSIONS_PER_ACCOUNT);
    ck_assert_int_eq(gw_sessions_get(&s, second, 105, &got), GW_SESSION_NONE);
    ck_assert_int_eq(gw_sessions_get(&s, first, 105, &got), GW_SESSION_VALID);
    gw_sessions_clear(&s);
}
END_TEST

START_TEST(cookie_parsing)
{
    const char *tok = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    char out[GW_TOKEN_HEX + 1], h[300];
    snprintf(h, sizeof h, "souk_session=%s", tok);
    ck_assert(gw_cookie_token(h, out));
    ck_assert_str_eq(out, tok);
    snprintf(h, sizeof h, "theme=dark; souk_session=%s ; other=1", tok);
    ck_assert(gw_cookie_token(h, out));
    ck_assert_str_eq(out, tok);
    /* Upper-case hex is read as the same token. */
    snprintf(h, sizeof h, "souk_session=00112233445566778899AABBCCDDEEFF00112233445566778899aabbccddeeff");
    ck_assert(gw_cookie_token(h, out));
    ck_assert_str_eq(out, tok);
    ck_assert(!gw_cookie_token("souk_session=abc", out));
    ck_assert(!gw_cookie_token("xsouk_session=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", out));
    ck_assert(!gw_cookie_token("souk_session=zz112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", out));
    ck_assert(!gw_cookie_token("", out));
    ck_assert(!gw_cookie_token(NULL, out));
}
END_TEST

START_TEST(throttle_backoff)
{
    ck_assert_int_eq(gw_throttle_delay(4, 5, 900000), 0);
    ck_assert_int_eq(gw_throttle_delay(5, 5, 900000), 1000);
    ck_assert_int_eq(gw_throttle_delay(6, 5, 900000), 2000);
    ck_assert_int_eq(gw_throttle_delay(9, 5, 900000), 16000);
    ck_assert_int_eq(gw_throttle_delay(15, 5, 900000), 900000); /* 1,024 s capped */
    ck_assert_int_eq(gw_throttle_delay(1000, 5, 900000), 900000);

    /* Milliseconds: the fifth failure at 100.900 s waits until 101.900 s,
     * a whole second, not the rest of second 100. */
    struct gw_throttle t;
    gw_throttle_init(&t, 5, 900000);
    for (int i = 0; i < 4; i++) {
        gw_throttle_fail(&t, "alice", 100900);
        ck_assert_int_eq(gw_throttle_wait(&t, "alice", 100900), 0);
    }
    gw_throttle_fail(&t, "alice", 100900);                        /* the fifth */
    ck_assert_int_eq(gw_throttle_wait(&t, "alice", 100900), 1000);
    ck_assert_int_eq(gw_throttle_wait(&t, "alice", 101000), 900);
    ck_assert_int_eq(gw_throttle_wait(&t, "alice", 101899), 1);
    ck_assert_int_eq(gw_throttle_wait(&t, "alice", 101900), 0);
    gw_throttle_fail(&t, "alice", 101900);                        /* the sixth */
    ck_assert_int_eq(gw_throttle_wait(&t, "alice", 101900), 2000);
    ck_assert_int_eq(gw_throttle_wait(&t, "bob", 101900), 0);     /* keys apart */
    gw_throttle_reset(&t, "alice");
    ck_assert_int_eq(gw_throttle_wait(&t, "alice", 101900), 0);
    /* Never locked for more than the maximum. */
    for (int i = 0; i < 40; i++)
        gw_throttle_fail(&t, "mallory", 200000);
    ck_assert_int_eq(gw_throttle_wait(&t, "mallory", 200000), 900000);
    ck_assert_int_eq(gw_throttle_wait(&t, "mallory", 1100000), 0);
    /* The table stays bounded. */
    char key[32];
    for (int i = 0; i < GW_THROTTLE_CAP + 10; i++) {
        snprintf(key, sizeof key, "k%d", i);
        gw_throttle_fail(&t, key, 300000 + i);
    }
    ck_assert_uint_le(t.n, GW_THROTTLE_CAP);
    gw_throttle_clear(&t);
}
END_TEST

START_TEST(static_paths)
{
    char p[GW_STATIC_PATH_MAX];
    ck_assert(gw_static_path("/", p));
    ck_assert_str_eq(p, "index.html");
    ck_assert(gw_static_path("/?x=1", p));
    ck_assert_str_eq(p, "index.html");
    ck_assert(gw_static_path("/js/app.mjs?v=2#top", p));
    ck_assert_str_eq(p, "js/app.mjs");
    ck_assert(gw_static_path("/help/", p));
    ck_assert_str_eq(p, "help/index.html");
    ck_assert(gw_static_path("/img/a%2Db.png", p));
    ck_assert_str_eq(p, "img/a-b.png");
    static const char *const refused[] = {
        "/../etc/passwd.html", "/a/../../x.css", "/%2e%2e/x.css", "/%2E%2E/index.html",
        "/a%2f..%2fb.css", "/.hidden.css", "/a/.git/x.json", "/a//b.css", "/a\\b.css",
        "/x.css%00.png", "/a%zz.css", "/a%2.css", "/a%", "/README", "/x.exe", "/x.html.bak",
        "/caf\xc3\xa9.html", "relative.html", "", "/a b.html",
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        if (gw_static_path(refused[i], p))
            ck_abort_msg("served %s as %s", refused[i], p);
    }
    ck_assert_str_eq(gw_static_type("index.html"), "text/html; charset=utf-8");
    ck_assert_str_eq(gw_static_type("a/app.mjs"), "text/javascript; charset=utf-8");
    ck_assert_str_eq(gw_static_type("a/app.js"), "text/javascript; charset=utf-8");
    ck_assert_str_eq(gw_static_type("s.css"), "text/css; charset=utf-8");
    ck_assert_str_eq(gw_static_type("i.svg"), "image/svg+xml");
    ck_assert_str_eq(gw_static_type("i.PNG"), "image/png");
    ck_assert_str_eq(gw_static_type("favicon.ico"), "image/x-icon");
    ck_assert_str_eq(gw_static_type("m.json"), "application/json");
    ck_assert_ptr_null(gw_static_type("a.mjs/x"));
    ck_assert_ptr_null(gw_static_type("x.sh"));
}
END_TEST

START_TEST(static_read)
{
    char dir[256];
    fixture_tmpdir_make(dir, sizeof dir, "gwstatic");
    char path[512], link[512];
    snprintf(path, sizeof path, "%s/index.html", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("<p>hi</p>", f);
    fclose(f);
    snprintf(link, sizeof link, "%s/link.html", dir);
    ck_assert_int_eq(symlink("/etc/hostname", link), 0);
    struct buf b;
    buf_init(&b);
    ck_assert(gw_static_read(dir, "index.html", &b));
    ck_assert_uint_eq(b.len, 9);
    ck_assert(memcmp(b.data, "<p>hi</p>", 9) == 0);
    ck_assert(!gw_static_read(dir, "link.html", &b)); /* symbolic links are not followed */
    ck_assert(!gw_static_read(dir, "missing.html", &b));
    ck_assert_uint_eq(b.len, 9);
    buf_clear(&b);
    unlink(link);
    fixture_tmpdir_remove(dir);
}
END_TEST

/* Runs the filter and parses its output. */
static json_t *filtered(const char *body)
{
    char *out = NULL;
    size_t len = 0;
    ck_assert_int_eq(gw_rpc_filter(body, strlen(body), &out, &len), GW_RPC_FILTER_OK);
    ck_assert_uint_eq(strlen(out), len);
    json_error_t e;
    json_t *v = json_loads(out, 0, &e);
    ck_assert_ptr_nonnull(v);
    free(out);
    return v;
}

static void check_refused(const json_t *req, int code)
{
    ck_assert_str_eq(json_string_value(json_object_get(req, "method")), GW_RPC_REFUSE_METHOD);
    const json_t *p = json_object_get(req, "params");
    ck_assert_int_eq(json_integer_value(json_array_get(p, 0)), code);
}

START_TEST(rpc_allowlist)
{
    ck_assert(gw_rpc_allowed("getbalance"));
    ck_assert(gw_rpc_allowed("sendtoaddress"));
    ck_assert(gw_rpc_allowed("market_addmedia"));
    ck_assert(gw_rpc_allowed("review_post"));
    ck_assert(gw_rpc_allowed("chat_send"));
    ck_assert(gw_rpc_allowed("getblockcount"));
    static const char *const admin[] = {
        "stop", "generatetoaddress", "generateblock", "addnode", "setban", "clearbanned",
        "disconnectnode", "loadwallet", "unloadwallet", "createwallet", "listwallets",
        "dumpseed", "dumpmnemonic", "importprivkey", "backupwallet", "encryptwallet",
        "walletpassphrase", "walletpassphrasechange", "walletlock", "rescanblockchain",
        "invalidateblock", "reconsiderblock", "setmocktime", "submitblock", "getrpcinfo",
        "help", "walletcreatetransaction", "sendrawtransaction", "getnewkeypair",
        "testkv_addnote", GW_RPC_REFUSE_METHOD, "",
    };
    for (size_t i = 0; i < sizeof admin / sizeof admin[0]; i++)
        if (gw_rpc_allowed(admin[i]))
            ck_abort_msg("%s is allowed", admin[i]);
    for (size_t i = 0; gw_rpc_allowlist[i] != NULL; i++)
        ck_assert(gw_rpc_allowed(gw_rpc_allowlist[i]));
}
END_TEST

START_TEST(rpc_filter)
{
    /* An allowed call passes unchanged. */
    json_t *v = filtered("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"getbalance\",\"params\":[]}");
    ck_assert_str_eq(json_string_value(json_object_get(v, "method")), "getbalance");
    ck_assert_int_eq(json_integer_value(json_object_get(v, "id")), 7);
    json_decref(v);

    v = filtered("{\"id\":1,\"method\":\"stop\"}");
    check_refused(v, -32601);
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(v, "params"), 1)),
                     "stop is not available through the gateway");
    json_decref(v);

    /* A client cannot call the refusal with its own code. */
    v = filtered("{\"method\":\"gateway.refuse\",\"params\":[0,\"ok\"]}");
    check_refused(v, -32601);
    json_decref(v);

    /* A name with a NUL inside cannot pass as its prefix: such text is
     * not read at all (nor by the dispatcher). */
    char *nul_out = NULL;
    size_t nul_len;
    const char *nul = "{\"method\":\"getbalance\\u0000x\"}";
    ck_assert_int_eq(gw_rpc_filter(nul, strlen(nul), &nul_out, &nul_len),
                     GW_RPC_FILTER_PARSE_ERROR);

    /* A batch: each entry on its own, order kept, non-requests untouched. */
    v = filtered("[{\"id\":1,\"method\":\"getblockcount\"},{\"id\":2,\"method\":\"dumpseed\"},"
                 "5,{\"id\":3},{\"id\":4,\"method\":\"setban\",\"params\":{\"subnet\":\"1.2.3.4\"}}]");
    ck_assert_uint_eq(json_array_size(v), 5);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(v, 0), "method")),
                     "getblockcount");
    check_refused(json_array_get(v, 1), -32601);
    ck_assert_int_eq(json_integer_value(json_array_get(v, 2)), 5);
    ck_assert_ptr_null(json_object_get(json_array_get(v, 3), "method"));
    check_refused(json_array_get(v, 4), -32601);
    json_decref(v);

    /* Files on the node's machine, positional or named. */
    v = filtered("{\"method\":\"market_addmedia\",\"params\":[\"/etc/passwd\"]}");
    check_refused(v, -8);
    json_decref(v);
    v = filtered("{\"method\":\"market_addmedia\",\"params\":{\"path_or_base64\":\"/etc/x\"}}");
    check_refused(v, -8);
    json_decref(v);
    v = filtered("{\"method\":\"chat_sendfile\",\"params\":[\"rsouk1x\",\"/root/.ssh/id\"]}");
    check_refused(v, -8);
    json_decref(v);
    v = filtered("{\"method\":\"market_addmedia\",\"params\":[\"iVBORw0KGgo=\"]}");
    ck_assert_str_eq(json_string_value(json_object_get(v, "method")), "market_addmedia");
    json_decref(v);

    char *out = NULL;
    size_t len;
    ck_assert_int_eq(gw_rpc_filter("{", 1, &out, &len), GW_RPC_FILTER_PARSE_ERROR);
    ck_assert_int_eq(gw_rpc_filter("42", 2, &out, &len), GW_RPC_FILTER_PARSE_ERROR);
    ck_assert_int_eq(gw_rpc_filter("\"x\"", 3, &out, &len), GW_RPC_FILTER_PARSE_ERROR);
    ck_assert_ptr_null(out);
}
END_TEST

START_TEST(request_bodies)
{
    ck_assert(gw_request_is_json("application/json"));
    ck_assert(gw_request_is_json("Application/JSON; charset=utf-8"));
    ck_assert(!gw_request_is_json("text/plain"));
    ck_assert(!gw_request_is_json("application/x-www-form-urlencoded"));
    ck_assert(!gw_request_is_json("application/jsonp"));
    ck_assert(!gw_request_is_json(NULL));

    static const char *const names[] = {"username", "password"};
    const char *vals[2];
    size_t lens[2];
    json_t *root;
    const char *ok = "{\"username\":\"bob\",\"password\":\"pass\\u00e9\",\"extra\":1}";
    ck_assert(gw_request_strings(ok, strlen(ok), names, 2, &root, vals, lens));
    ck_assert_str_eq(vals[0], "bob");
    ck_assert_uint_eq(lens[1], 6); /* bytes, not characters */
    json_decref(root);
    static const char *const bad[] = {
        "", "[]", "{\"username\":\"bob\"}", "{\"username\":\"bob\",\"password\":5}",
        "{\"username\":null,\"password\":\"x\"}", "not json",
        "{\"username\":\"bob\",\"password\":\"pa\\u0000ss\"}", /* a NUL inside */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert(!gw_request_strings(bad[i], strlen(bad[i]), names, 2, &root, vals, lens));
        ck_assert_ptr_null(root);
    }
}
END_TEST

Suite *unit_suite(void)
{
    const TTest *tests[] = {usernames, passwords, kdf_params, password_derivation,
                            sessions_lifecycle, sessions_sweep_and_account_removal,
                            cookie_parsing, throttle_backoff, static_paths, static_read,
                            rpc_allowlist, rpc_filter, request_bodies, NULL};
    return fixture_suite("gateway", NULL, tests);
}
