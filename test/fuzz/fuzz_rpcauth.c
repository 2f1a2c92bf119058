/* Who may call the RPC server, from what a client sends: the request head
 * as it comes off the socket (the connection guard finds the Authorization
 * header in it, http_head_value), that header's credentials
 * (rpc_auth_check_header, twice, the second time from the cache of good
 * headers), a -rpcauth value, and the /wallet/<name> URI of the request.
 *
 * The input is NUL-separated: head, -rpcauth value, user, password, URI.
 * A found header value holds no line break and no blank at either end; a
 * header passes only for the configured users, and the cache never changes
 * a verdict. A user and password from the input make a -rpcauth value the
 * way share/rpcauth does (HMAC-SHA256 keyed with the salt), which must
 * accept them and refuse another password, and a Basic header
 * (rpc_auth_basic_header) that must pass with the user's name (cut to 127
 * bytes, as the server keeps it). A wallet
 * name decoded from a URI has no NUL and fits, and its encoding decodes
 * to it again. */
#include <string.h>

#include <event2/http.h>

#include "fuzz.h"

#include "crypto/hmac.h"
#include "rpc/auth.h"
#include "rpc/httpserver.h"
#include "util/hex.h"
#include "wallet/rpc_wallet.h"
#include "wallet/wallet.h"

static struct rpc_auth server, scratch;

/* A -rpcauth line: user:salt$hex(HMAC-SHA256(salt, password)). */
static bool rpcauth_spec(const char *user, const char *salt, const char *password, char *out,
                         size_t cap)
{
    uint8_t mac[32];
    char hex[65];
    if (!hmac_sha256(salt, strlen(salt), password, strlen(password), mac))
        return false;
    hex_encode(mac, sizeof mac, hex);
    int n = snprintf(out, cap, "%s:%s$%s", user, salt, hex);
    return n > 0 && (size_t)n < cap;
}

static void setup(void)
{
    static bool done;
    if (done)
        return;
    char err[128], spec[256];
    rpc_auth_init(&server);
    FUZZ_ASSERT(rpc_auth_add_password(&server, "alice", "secret", err, sizeof err));
    FUZZ_ASSERT(rpcauth_spec("bob", "pepper", "hunter2", spec, sizeof spec));
    FUZZ_ASSERT(rpc_auth_add_rpcauth(&server, spec, err, sizeof err));
    /* Emptied after each use, which also turns its cache off: the same
     * input always takes the same path. */
    rpc_auth_init(&scratch);
    rpc_auth_clear(&scratch);
    done = true;
}

static bool blank(char c)
{
    return c == ' ' || c == '\t';
}

static void check_header(const char *value)
{
    char user[64] = "";
    bool ok = rpc_auth_check_header(&server, value, user, sizeof user);
    FUZZ_ASSERT(!ok || strcmp(user, "alice") == 0 || strcmp(user, "bob") == 0);
    char again[64] = "";
    FUZZ_ASSERT(rpc_auth_check_header(&server, value, again, sizeof again) == ok);
    FUZZ_ASSERT(!ok || strcmp(again, user) == 0);
}

static void check_head(const char *head, size_t len)
{
    char value[2048];
    if (!http_head_value(head, len, "Authorization", value, sizeof value))
        return;
    size_t n = strlen(value);
    FUZZ_ASSERT(n < sizeof value && memchr(value, '\n', n) == NULL);
    FUZZ_ASSERT(n == 0 || (!blank(value[0]) && !blank(value[n - 1]) && value[n - 1] != '\r'));
    check_header(value);
}

/* Credentials from the input as a -rpcauth line and a Basic header. */
static void check_credentials(const char *user, const char *password)
{
    char err[128], spec[4096], header[4096], got[RPC_AUTH_MAX_CRED + 1];
    const char *salt = "fuzz-salt";
    if (strchr(user, ':') != NULL || strlen(user) > RPC_AUTH_MAX_CRED ||
        strlen(password) > RPC_AUTH_MAX_CRED || !rpcauth_spec(user, salt, password, spec,
                                                            sizeof spec))
        return;
    struct rpc_auth *a = &scratch;
    bool added = rpc_auth_add_rpcauth(a, spec, err, sizeof err);
    /* Refused only for an empty user name. */
    FUZZ_ASSERT(added == (user[0] != '\0'));
    FUZZ_ASSERT(rpc_auth_add_password(a, "other", "pass", err, sizeof err));
    if (added) {
        FUZZ_ASSERT(rpc_auth_check(a, user, password));
        char wrong[RPC_AUTH_MAX_CRED + 2];
        snprintf(wrong, sizeof wrong, "%s!", password);
        FUZZ_ASSERT(!rpc_auth_check(a, user, wrong));
        if (rpc_auth_basic_header(user, password, header, sizeof header)) {
            got[0] = '\0';
            FUZZ_ASSERT(rpc_auth_check_header(a, header, got, sizeof got));
            /* The name comes back cut to what the cache of good headers
             * keeps (it is only shown in logs). */
            size_t keep = sizeof a->cache[0].user - 1, n = strlen(user);
            FUZZ_ASSERT(strlen(got) == (n < keep ? n : keep) && strncmp(got, user, keep) == 0);
        }
    }
    rpc_auth_clear(a);
}

static void check_uri(const char *uri)
{
    char name[WALLET_NAME_MAX + 1];
    if (rpc_wallet_name_from_uri(uri, name) != RPC_WALLET_URI_NAME)
        return;
    size_t n = strlen(name);
    FUZZ_ASSERT(n >= 1 && n <= WALLET_NAME_MAX);
    char *enc = evhttp_uriencode(name, -1, 0);
    FUZZ_ASSERT(enc != NULL);
    char again_uri[3 * WALLET_NAME_MAX + 16], again[WALLET_NAME_MAX + 1];
    snprintf(again_uri, sizeof again_uri, "/wallet/%s", enc);
    free(enc);
    FUZZ_ASSERT(rpc_wallet_name_from_uri(again_uri, again) == RPC_WALLET_URI_NAME);
    FUZZ_ASSERT(strcmp(again, name) == 0);
}

void fuzz_one(const uint8_t *data, size_t size)
{
    setup();
    const char *part[5];
    fuzz_split(data, size, part, 5);
    check_head(part[0], strlen(part[0]));
    check_header(part[0]);
    char err[128];
    (void)rpc_auth_add_rpcauth(&scratch, part[1], err, sizeof err);
    rpc_auth_clear(&scratch);
    check_credentials(part[2], part[3]);
    check_uri(part[4]);
}
