#define _POSIX_C_SOURCE 200809L
#include "gateway/gw_session.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <string.h>

#include <openssl/crypto.h>

#include "crypto/random.h"
#include "util/grow.h"
#include "util/hex.h"

struct gw_session {
    uint8_t token[GW_TOKEN_LEN];
    struct gw_session_info info;
    int64_t created;
    int64_t last_used;
};

void gw_sessions_init(struct gw_sessions *s, int64_t idle, int64_t max_age)
{
    memset(s, 0, sizeof *s);
    pthread_mutex_init(&s->mu, NULL);
    s->idle = idle;
    s->max_age = max_age;
}

void gw_sessions_clear(struct gw_sessions *s)
{
    if (s->v != NULL)
        OPENSSL_cleanse(s->v, s->cap * sizeof *s->v);
    free(s->v);
    s->v = NULL;
    s->n = s->cap = 0;
    pthread_mutex_destroy(&s->mu);
}

static bool token_parse(const char *hex, uint8_t out[GW_TOKEN_LEN])
{
    return hex != NULL && strlen(hex) == GW_TOKEN_HEX && hex_decode_exact(hex, out, GW_TOKEN_LEN);
}

static bool expired(const struct gw_sessions *s, const struct gw_session *e, int64_t now)
{
    return now - e->last_used >= s->idle || now - e->created >= s->max_age;
}

/* Removes entry i (order does not matter). */
static void drop_at(struct gw_sessions *s, size_t i)
{
    s->v[i] = s->v[--s->n];
    OPENSSL_cleanse(&s->v[s->n], sizeof s->v[s->n]);
}

static ssize_t find_locked(const struct gw_sessions *s, const uint8_t token[GW_TOKEN_LEN])
{
    for (size_t i = 0; i < s->n; i++)
        if (CRYPTO_memcmp(s->v[i].token, token, GW_TOKEN_LEN) == 0)
            return (ssize_t)i;
    return -1;
}

bool gw_sessions_create(struct gw_sessions *s, const struct gw_session_info *info, int64_t now,
                        char token[GW_TOKEN_HEX + 1], char csrf[GW_TOKEN_HEX + 1])
{
    struct gw_session e;
    memset(&e, 0, sizeof e);
    uint8_t c[GW_TOKEN_LEN];
    if (!random_bytes(e.token, sizeof e.token) || !random_bytes(c, sizeof c))
        return false;
    e.info = *info;
    hex_encode(c, sizeof c, e.info.csrf);
    OPENSSL_cleanse(c, sizeof c);
    e.created = now;
    e.last_used = now;
    pthread_mutex_lock(&s->mu);
    size_t mine = 0, lru = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (strcmp(s->v[i].info.username, info->username) != 0)
            continue;
        if (mine == 0 || s->v[i].last_used < s->v[lru].last_used)
            lru = i;
        mine++;
    }
    if (mine >= GW_SESSIONS_PER_ACCOUNT)
        drop_at(s, lru);
    bool ok = s->n < GW_SESSIONS_MAX && grow_array((void **)&s->v, &s->cap, s->n + 1, sizeof *s->v, 16);
    if (ok) {
        s->v[s->n++] = e;
        hex_encode(e.token, sizeof e.token, token);
        memcpy(csrf, e.info.csrf, GW_TOKEN_HEX + 1);
    }
    pthread_mutex_unlock(&s->mu);
    OPENSSL_cleanse(&e, sizeof e);
    return ok;
}

enum gw_session_state gw_sessions_get(struct gw_sessions *s, const char *token, int64_t now,
                                      struct gw_session_info *out)
{
    uint8_t t[GW_TOKEN_LEN];
    if (!token_parse(token, t))
        return GW_SESSION_NONE;
    enum gw_session_state st = GW_SESSION_NONE;
    pthread_mutex_lock(&s->mu);
    ssize_t i = find_locked(s, t);
    if (i >= 0) {
        *out = s->v[i].info;
        if (expired(s, &s->v[i], now)) {
            drop_at(s, (size_t)i);
            st = GW_SESSION_EXPIRED;
        } else {
            s->v[i].last_used = now;
            st = GW_SESSION_VALID;
        }
    }
    pthread_mutex_unlock(&s->mu);
    OPENSSL_cleanse(t, sizeof t);
    return st;
}

bool gw_sessions_remove(struct gw_sessions *s, const char *token, struct gw_session_info *out)
{
    uint8_t t[GW_TOKEN_LEN];
    if (!token_parse(token, t))
        return false;
    pthread_mutex_lock(&s->mu);
    ssize_t i = find_locked(s, t);
    if (i >= 0) {
        if (out != NULL)
            *out = s->v[i].info;
        drop_at(s, (size_t)i);
    }
    pthread_mutex_unlock(&s->mu);
    OPENSSL_cleanse(t, sizeof t);
    return i >= 0;
}

size_t gw_sessions_remove_account(struct gw_sessions *s, const char *username)
{
    size_t n = 0;
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < s->n;) {
        if (strcmp(s->v[i].info.username, username) == 0) {
            drop_at(s, i);
            n++;
        } else {
            i++;
        }
    }
    pthread_mutex_unlock(&s->mu);
    return n;
}

size_t gw_sessions_count_account(struct gw_sessions *s, const char *username)
{
    size_t n = 0;
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i].info.username, username) == 0)
            n++;
    pthread_mutex_unlock(&s->mu);
    return n;
}

size_t gw_sessions_sweep(struct gw_sessions *s, int64_t now, gw_session_fn fn, void *ctx)
{
    struct gw_session_info *gone = NULL;
    size_t n = 0, cap = 0;
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < s->n;) {
        if (!expired(s, &s->v[i], now)) {
            i++;
            continue;
        }
        /* Without room to report it the session stays until the next sweep. */
        if (!grow_array((void **)&gone, &cap, n + 1, sizeof *gone, 8))
            break;
        gone[n++] = s->v[i].info;
        drop_at(s, i);
    }
    pthread_mutex_unlock(&s->mu);
    for (size_t i = 0; i < n && fn != NULL; i++)
        fn(ctx, &gone[i]);
    if (gone != NULL)
        OPENSSL_cleanse(gone, cap * sizeof *gone);
    free(gone);
    return n;
}

bool gw_csrf_matches(const struct gw_session_info *info, const char *header)
{
    if (header == NULL || strlen(header) != GW_TOKEN_HEX)
        return false;
    return CRYPTO_memcmp(info->csrf, header, GW_TOKEN_HEX) == 0;
}

bool gw_cookie_token(const char *h, char out[GW_TOKEN_HEX + 1])
{
    if (h == NULL)
        return false;
    const size_t nl = strlen(GW_COOKIE_NAME);
    const char *p = h;
    while (*p != '\0') {
        while (*p == ' ' || *p == '\t' || *p == ';')
            p++;
        const char *end = strchr(p, ';');
        size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
        while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        if (len == nl + 1 + GW_TOKEN_HEX && memcmp(p, GW_COOKIE_NAME, nl) == 0 && p[nl] == '=') {
            uint8_t t[GW_TOKEN_LEN];
            char tmp[GW_TOKEN_HEX + 1];
            memcpy(tmp, p + nl + 1, GW_TOKEN_HEX);
            tmp[GW_TOKEN_HEX] = '\0';
            bool ok = hex_decode_exact(tmp, t, sizeof t);
            OPENSSL_cleanse(t, sizeof t);
            if (ok) {
                /* The form this gateway sets: lower-case hex. */
                for (size_t i = 0; i < GW_TOKEN_HEX; i++)
                    if (tmp[i] >= 'A' && tmp[i] <= 'F')
                        tmp[i] = (char)(tmp[i] - 'A' + 'a');
                memcpy(out, tmp, GW_TOKEN_HEX + 1);
                OPENSSL_cleanse(tmp, sizeof tmp);
                return true;
            }
            OPENSSL_cleanse(tmp, sizeof tmp);
        }
        if (end == NULL)
            break;
        p = end + 1;
    }
    return false;
}

/* ------------------------------------------------------------ throttle */

struct gw_throttle_entry {
    char key[GW_THROTTLE_KEY_MAX + 1];
    unsigned failures;
    int64_t last_fail; /* ms */
};

void gw_throttle_init(struct gw_throttle *t, unsigned threshold, int64_t max_delay_ms)
{
    memset(t, 0, sizeof *t);
    pthread_mutex_init(&t->mu, NULL);
    t->threshold = threshold;
    t->max_delay_ms = max_delay_ms;
}

void gw_throttle_clear(struct gw_throttle *t)
{
    free(t->v);
    t->v = NULL;
    t->n = t->cap = 0;
    pthread_mutex_destroy(&t->mu);
}

int64_t gw_throttle_delay(unsigned failures, unsigned threshold, int64_t max_delay_ms)
{
    if (failures < threshold)
        return 0;
    unsigned shift = failures - threshold;
    if (shift >= 40) /* 1,000 << 40 ms is some 35,000 years: past any cap */
        return max_delay_ms;
    int64_t d = INT64_C(1000) << shift;
    return d < max_delay_ms ? d : max_delay_ms;
}

static ssize_t throttle_find(const struct gw_throttle *t, const char *key)
{
    for (size_t i = 0; i < t->n; i++)
        if (strncmp(t->v[i].key, key, GW_THROTTLE_KEY_MAX) == 0)
            return (ssize_t)i;
    return -1;
}

int64_t gw_throttle_wait(struct gw_throttle *t, const char *key, int64_t now_ms)
{
    int64_t wait = 0;
    pthread_mutex_lock(&t->mu);
    ssize_t i = throttle_find(t, key);
    if (i >= 0) {
        const struct gw_throttle_entry *e = &t->v[i];
        int64_t until =
            e->last_fail + gw_throttle_delay(e->failures, t->threshold, t->max_delay_ms);
        if (until > now_ms)
            wait = until - now_ms;
    }
    pthread_mutex_unlock(&t->mu);
    return wait;
}

void gw_throttle_fail(struct gw_throttle *t, const char *key, int64_t now_ms)
{
    pthread_mutex_lock(&t->mu);
    ssize_t i = throttle_find(t, key);
    if (i < 0) {
        /* Forget stale keys; when still full, the one idle longest goes. */
        for (size_t k = 0; k < t->n;) {
            if (now_ms - t->v[k].last_fail >= GW_THROTTLE_FORGET_MS)
                t->v[k] = t->v[--t->n];
            else
                k++;
        }
        if (t->n >= GW_THROTTLE_CAP) {
            size_t oldest = 0;
            for (size_t k = 1; k < t->n; k++)
                if (t->v[k].last_fail < t->v[oldest].last_fail)
                    oldest = k;
            t->v[oldest] = t->v[--t->n];
        }
        if (grow_array((void **)&t->v, &t->cap, t->n + 1, sizeof *t->v, 16)) {
            i = (ssize_t)t->n++;
            memset(&t->v[i], 0, sizeof t->v[i]);
            snprintf(t->v[i].key, sizeof t->v[i].key, "%s", key);
        }
    }
    if (i >= 0) {
        if (t->v[i].failures < 1000)
            t->v[i].failures++;
        t->v[i].last_fail = now_ms;
    }
    pthread_mutex_unlock(&t->mu);
}

void gw_throttle_reset(struct gw_throttle *t, const char *key)
{
    pthread_mutex_lock(&t->mu);
    ssize_t i = throttle_find(t, key);
    if (i >= 0)
        t->v[i] = t->v[--t->n];
    pthread_mutex_unlock(&t->mu);
}
