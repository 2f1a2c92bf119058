/* auth: who may call the JSON-RPC server.
 *
 * Three kinds of credentials, as in bitcoind:
 *  - the cookie: a file ".cookie" in the network datadir holding
 *    "__cookie__:<64 hex>", created with mode 0600 at startup when no
 *    -rpcpassword is set and removed at shutdown; souk-cli reads it;
 *  - -rpcuser / -rpcpassword;
 *  - -rpcauth=<user>:<salt>$<hash>, hash = hex HMAC-SHA256 with the salt
 *    string as key and the password as message (bitcoind's rpcauth.py), so
 *    the config file need not hold the password.
 * Every check runs over all credentials without stopping early and compares
 * digests with CRYPTO_memcmp, so the time taken does not tell which part of
 * a guess was right.
 *
 * A header value that passed is remembered (as SHA-256 of a random
 * per-process key and the value) so that the next request with the same header costs one
 * hash instead of the full check; it is compared in constant time too.
 *
 * struct rpc_auth owns copies of the credentials (wiped on clear). The
 * checks may run on several threads at once. */
#ifndef SOUK_RPC_AUTH_H
#define SOUK_RPC_AUTH_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RPC_AUTH_COOKIE_USER "__cookie__"
#define RPC_AUTH_COOKIE_FILE ".cookie"
/* 32 random bytes in hex. */
#define RPC_AUTH_COOKIE_PASS_LEN 64
/* Longest user name or password accepted. */
#define RPC_AUTH_MAX_CRED 1024

/* Header values remembered after they passed. */
#define RPC_AUTH_CACHE_SIZE 8

struct rpc_auth_entry;

struct rpc_auth_cached {
    uint8_t digest[32]; /* SHA-256(cache_key || header value) */
    char user[128];
    bool used;
};

struct rpc_auth {
    struct rpc_auth_entry *entries;
    size_t n_entries;
    pthread_mutex_t mu; /* the cache */
    bool cache_on;
    uint8_t cache_key[32];
    struct rpc_auth_cached cache[RPC_AUTH_CACHE_SIZE];
    unsigned cache_next;
    uint64_t full_checks; /* header checks that missed the cache (tests) */
};

/* Without random bytes for the cache key the cache stays off. */
void rpc_auth_init(struct rpc_auth *a);
void rpc_auth_clear(struct rpc_auth *a);

/* Adds a plain user and password (the cookie and -rpcuser/-rpcpassword). */
bool rpc_auth_add_password(struct rpc_auth *a, const char *user, const char *password,
                           char *err, size_t errlen);
/* Adds one -rpcauth value "user:salt$hexhmac"; false with a message when
 * malformed (the struct is unchanged). */
bool rpc_auth_add_rpcauth(struct rpc_auth *a, const char *spec, char *err, size_t errlen);

/* Whether user and password match any entry. */
bool rpc_auth_check(const struct rpc_auth *a, const char *user, const char *password);
/* Checks an HTTP "Authorization: Basic <base64(user:password)>" header
 * value. On success copies the user name to user_out (truncated to fit). */
bool rpc_auth_check_header(struct rpc_auth *a, const char *header, char *user_out,
                           size_t user_len);

/* Writes dir/.cookie with a fresh random password (mode 0600, replaced
 * atomically) and returns the password in pass_out (RPC_AUTH_COOKIE_PASS_LEN
 * + 1 bytes). */
bool rpc_auth_cookie_create(const char *dir, char pass_out[RPC_AUTH_COOKIE_PASS_LEN + 1],
                            char *err, size_t errlen);
/* Removes dir/.cookie; a missing file is not an error. */
void rpc_auth_cookie_remove(const char *dir);
/* Reads "user:password" from a cookie file at path. */
bool rpc_auth_cookie_read(const char *path, char *user_out, size_t user_len, char *pass_out,
                          size_t pass_len, char *err, size_t errlen);

/* "Basic <base64(user:password)>" into out; false when it does not fit. */
bool rpc_auth_basic_header(const char *user, const char *password, char *out, size_t outlen);

#endif
