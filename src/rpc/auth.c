#define _POSIX_C_SOURCE 200809L
#include "rpc/auth.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "crypto/hmac.h"
#include "crypto/random.h"
#include "crypto/sha256.h"
#include "util/hex.h"
#include "util/strutil.h"

/* Both kinds of entry reduce to (hash of user, 32-byte secret derived from
 * the password), so one comparison loop serves all of them. */
struct rpc_auth_entry {
    uint8_t user_hash[SHA256_LEN];
    bool hmac;      /* secret = HMAC-SHA256(salt, password), else SHA-256(password) */
    char *salt;
    uint8_t secret[SHA256_LEN];
};

void rpc_auth_init(struct rpc_auth *a)
{
    memset(a, 0, sizeof *a);
    pthread_mutex_init(&a->mu, NULL);
    a->cache_on = random_bytes(a->cache_key, sizeof a->cache_key);
}

void rpc_auth_clear(struct rpc_auth *a)
{
    for (size_t i = 0; i < a->n_entries; i++)
        free(a->entries[i].salt);
    if (a->entries != NULL)
        OPENSSL_cleanse(a->entries, a->n_entries * sizeof *a->entries);
    free(a->entries);
    pthread_mutex_destroy(&a->mu);
    OPENSSL_cleanse(a, sizeof *a);
    a->entries = NULL;
    a->n_entries = 0;
    pthread_mutex_init(&a->mu, NULL);
}

static bool append_entry(struct rpc_auth *a, const struct rpc_auth_entry *e)
{
    struct rpc_auth_entry *n = realloc(a->entries, (a->n_entries + 1) * sizeof *n);
    if (n == NULL)
        return false;
    a->entries = n;
    n[a->n_entries++] = *e;
    return true;
}

bool rpc_auth_add_password(struct rpc_auth *a, const char *user, const char *password,
                           char *err, size_t errlen)
{
    if (strchr(user, ':') != NULL) {
        str_set_err(err, errlen, "the RPC user name may not contain ':'");
        return false;
    }
    if (strlen(user) > RPC_AUTH_MAX_CRED || strlen(password) > RPC_AUTH_MAX_CRED) {
        str_set_err(err, errlen, "RPC user name or password too long");
        return false;
    }
    struct rpc_auth_entry e;
    memset(&e, 0, sizeof e);
    sha256(user, strlen(user), e.user_hash);
    sha256(password, strlen(password), e.secret);
    if (!append_entry(a, &e)) {
        OPENSSL_cleanse(&e, sizeof e);
        str_set_err(err, errlen, "out of memory");
        return false;
    }
    return true;
}

bool rpc_auth_add_rpcauth(struct rpc_auth *a, const char *spec, char *err, size_t errlen)
{
    const char *colon = strchr(spec, ':');
    const char *dollar = colon != NULL ? strchr(colon + 1, '$') : NULL;
    if (colon == NULL || dollar == NULL || colon == spec || dollar == colon + 1) {
        str_set_err(err, errlen, "invalid -rpcauth value: expected <user>:<salt>$<hash>");
        return false;
    }
    struct rpc_auth_entry e;
    memset(&e, 0, sizeof e);
    e.hmac = true;
    if (!hex_decode_exact(dollar + 1, e.secret, sizeof e.secret)) {
        str_set_err(err, errlen, "invalid -rpcauth value: the hash must be 64 hex digits");
        return false;
    }
    size_t ulen = (size_t)(colon - spec);
    if (ulen > RPC_AUTH_MAX_CRED) {
        str_set_err(err, errlen, "invalid -rpcauth value: user name too long");
        return false;
    }
    sha256(spec, ulen, e.user_hash);
    e.salt = strndup(colon + 1, (size_t)(dollar - colon - 1));
    if (e.salt == NULL || !append_entry(a, &e)) {
        free(e.salt);
        str_set_err(err, errlen, "out of memory");
        return false;
    }
    return true;
}

bool rpc_auth_check(const struct rpc_auth *a, const char *user, const char *password)
{
    uint8_t uh[SHA256_LEN], plain[SHA256_LEN], mac[SHA256_LEN];
    size_t plen = strlen(password);
    sha256(user, strlen(user), uh);
    sha256(password, plen, plain);
    int ok = 0;
    for (size_t i = 0; i < a->n_entries; i++) {
        const struct rpc_auth_entry *e = &a->entries[i];
        const uint8_t *cand = plain;
        if (e->hmac) {
            if (!hmac_sha256(e->salt, strlen(e->salt), password, plen, mac))
                continue;
            cand = mac;
        }
        int user_eq = CRYPTO_memcmp(uh, e->user_hash, SHA256_LEN) == 0;
        int pass_eq = CRYPTO_memcmp(cand, e->secret, SHA256_LEN) == 0;
        ok |= user_eq & pass_eq;
    }
    OPENSSL_cleanse(plain, sizeof plain);
    OPENSSL_cleanse(mac, sizeof mac);
    return ok != 0;
}

static bool check_header_full(const struct rpc_auth *a, const char *header, char *user_out,
                              size_t user_len)
{
    static const char basic[] = "Basic ";
    if (header == NULL || strncmp(header, basic, sizeof basic - 1) != 0)
        return false;
    const char *b64 = header + sizeof basic - 1;
    while (*b64 == ' ')
        b64++;
    size_t n = strlen(b64);
    while (n > 0 && (b64[n - 1] == ' ' || b64[n - 1] == '\r' || b64[n - 1] == '\n'))
        n--;
    if (n == 0 || n % 4 != 0 || n > 4 * ((2 * RPC_AUTH_MAX_CRED + 3) / 3))
        return false;
    unsigned char *dec = malloc(n / 4 * 3 + 1);
    if (dec == NULL)
        return false;
    int len = EVP_DecodeBlock(dec, (const unsigned char *)b64, (int)n);
    bool ok = false;
    if (len >= 0) {
        /* EVP_DecodeBlock counts the padding as zero bytes. */
        if (b64[n - 1] == '=')
            len--;
        if (b64[n - 2] == '=')
            len--;
        dec[len] = '\0';
        char *colon = memchr(dec, ':', (size_t)len);
        if (colon != NULL && strlen((char *)dec) == (size_t)len) {
            *colon = '\0';
            ok = rpc_auth_check(a, (char *)dec, colon + 1);
            if (ok && user_out != NULL && user_len > 0)
                snprintf(user_out, user_len, "%s", (char *)dec);
        }
        OPENSSL_cleanse(dec, (size_t)len);
    }
    free(dec);
    return ok;
}

/* Whether the header's digest is in the cache; looks at every slot. */
static bool cache_lookup(struct rpc_auth *a, const uint8_t digest[32], char *user_out,
                         size_t user_len)
{
    int found = 0;
    size_t at = 0;
    for (size_t i = 0; i < RPC_AUTH_CACHE_SIZE; i++) {
        int eq = a->cache[i].used & (CRYPTO_memcmp(a->cache[i].digest, digest, 32) == 0);
        at = eq ? i : at;
        found |= eq;
    }
    if (found && user_out != NULL && user_len > 0)
        snprintf(user_out, user_len, "%s", a->cache[at].user);
    return found != 0;
}

bool rpc_auth_check_header(struct rpc_auth *a, const char *header, char *user_out,
                           size_t user_len)
{
    if (header == NULL)
        return false;
    uint8_t digest[32];
    bool cached = a->cache_on;
    if (cached) {
        /* Secret-prefix SHA-256: the digests never leave the process, so
         * this only has to make them unpredictable, and it costs less than
         * an HMAC on every request. */
        struct sha256_ctx h;
        sha256_init(&h);
        sha256_update(&h, a->cache_key, sizeof a->cache_key);
        sha256_update(&h, header, strlen(header));
        sha256_final(&h, digest);
        OPENSSL_cleanse(&h, sizeof h);
    }
    if (cached) {
        pthread_mutex_lock(&a->mu);
        bool hit = cache_lookup(a, digest, user_out, user_len);
        pthread_mutex_unlock(&a->mu);
        if (hit) {
            OPENSSL_cleanse(digest, sizeof digest);
            return true;
        }
    }
    char user[sizeof a->cache[0].user] = "";
    bool ok = check_header_full(a, header, user, sizeof user);
    pthread_mutex_lock(&a->mu);
    a->full_checks++;
    if (ok && cached) {
        struct rpc_auth_cached *slot = &a->cache[a->cache_next++ % RPC_AUTH_CACHE_SIZE];
        memcpy(slot->digest, digest, sizeof digest);
        memcpy(slot->user, user, sizeof user);
        slot->used = true;
    }
    pthread_mutex_unlock(&a->mu);
    if (ok && user_out != NULL && user_len > 0)
        snprintf(user_out, user_len, "%s", user);
    OPENSSL_cleanse(digest, sizeof digest);
    OPENSSL_cleanse(user, sizeof user);
    return ok;
}

bool rpc_auth_basic_header(const char *user, const char *password, char *out, size_t outlen)
{
    size_t ul = strlen(user), pl = strlen(password);
    if (ul > RPC_AUTH_MAX_CRED || pl > RPC_AUTH_MAX_CRED)
        return false;
    size_t raw_len = ul + 1 + pl;
    size_t need = 6 + 4 * ((raw_len + 2) / 3) + 1;
    if (need > outlen)
        return false;
    unsigned char *raw = malloc(raw_len);
    if (raw == NULL)
        return false;
    memcpy(raw, user, ul);
    raw[ul] = ':';
    memcpy(raw + ul + 1, password, pl);
    memcpy(out, "Basic ", 6);
    EVP_EncodeBlock((unsigned char *)out + 6, raw, (int)raw_len);
    OPENSSL_cleanse(raw, raw_len);
    free(raw);
    return true;
}

/* ------------------------------------------------------------ cookie */

static bool cookie_path(const char *dir, const char *suffix, char *out, size_t outlen)
{
    int n = snprintf(out, outlen, "%s/%s%s", dir, RPC_AUTH_COOKIE_FILE, suffix);
    return n > 0 && (size_t)n < outlen;
}

bool rpc_auth_cookie_create(const char *dir, char pass_out[RPC_AUTH_COOKIE_PASS_LEN + 1],
                            char *err, size_t errlen)
{
    char path[4096], tmp[4096];
    if (!cookie_path(dir, "", path, sizeof path) || !cookie_path(dir, ".tmp", tmp, sizeof tmp)) {
        str_set_err(err, errlen, "data directory path too long");
        return false;
    }
    uint8_t rnd[RPC_AUTH_COOKIE_PASS_LEN / 2];
    char pass[RPC_AUTH_COOKIE_PASS_LEN + 1];
    if (!random_bytes(rnd, sizeof rnd)) {
        str_set_err(err, errlen, "no random bytes for the RPC cookie");
        return false;
    }
    hex_encode(rnd, sizeof rnd, pass);
    OPENSSL_cleanse(rnd, sizeof rnd);

    /* A stale temp file from a crash would make O_EXCL fail. */
    unlink(tmp);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        str_set_err(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
        OPENSSL_cleanse(pass, sizeof pass);
        return false;
    }
    char line[sizeof RPC_AUTH_COOKIE_USER + 1 + RPC_AUTH_COOKIE_PASS_LEN];
    int n = snprintf(line, sizeof line, "%s:%s", RPC_AUTH_COOKIE_USER, pass);
    bool ok = n > 0 && write(fd, line, (size_t)n) == n;
    ok = fsync(fd) == 0 && ok;
    ok = close(fd) == 0 && ok;
    OPENSSL_cleanse(line, sizeof line);
    if (!ok || rename(tmp, path) != 0) {
        str_set_err(err, errlen, "cannot write %s: %s", path, strerror(errno));
        unlink(tmp);
        OPENSSL_cleanse(pass, sizeof pass);
        return false;
    }
    memcpy(pass_out, pass, sizeof pass);
    OPENSSL_cleanse(pass, sizeof pass);
    return true;
}

void rpc_auth_cookie_remove(const char *dir)
{
    char path[4096];
    if (cookie_path(dir, "", path, sizeof path))
        unlink(path);
}

bool rpc_auth_cookie_read(const char *path, char *user_out, size_t user_len, char *pass_out,
                          size_t pass_len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        str_set_err(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return false;
    }
    char line[2 * RPC_AUTH_MAX_CRED + 4];
    size_t n = fread(line, 1, sizeof line - 1, f);
    fclose(f);
    line[n] = '\0';
    line[strcspn(line, "\r\n")] = '\0';
    char *colon = strchr(line, ':');
    bool ok = false;
    if (colon == NULL) {
        str_set_err(err, errlen, "%s holds no user:password", path);
    } else {
        *colon = '\0';
        if (strlen(line) >= user_len || strlen(colon + 1) >= pass_len) {
            str_set_err(err, errlen, "%s: credentials too long", path);
        } else {
            memcpy(user_out, line, strlen(line) + 1);
            memcpy(pass_out, colon + 1, strlen(colon + 1) + 1);
            ok = true;
        }
    }
    OPENSSL_cleanse(line, sizeof line);
    return ok;
}
