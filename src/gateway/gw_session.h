/* gw_session: the gateway's login sessions and its login throttle, both
 * held in memory only (a restarted node has no session open and every
 * account wallet locked).
 *
 * A session is a random 256-bit token (the cookie, 64 hex digits) and a
 * separate random 256-bit CSRF token that state-changing requests echo in
 * a header. A session ends after `idle` seconds without a request or
 * `max_age` seconds after login, whichever comes first; the caller passes
 * the time, so expiry follows the node's clock (setmocktime included).
 * Tokens are compared in constant time.
 *
 * The throttle counts failed logins per key (a username, a client
 * address). The first `threshold` failures cost nothing; from then on
 * each further attempt must wait 2^(failures - threshold) seconds after
 * the last failure, at most `max_delay` — so guessing slows to a crawl
 * while the real user, who waits, is never locked out for good. A success
 * clears the key; keys forgotten a day after their last failure; the table
 * is bounded (the oldest entry makes room).
 *
 * Both are thread-safe (a mutex each). */
#ifndef SOUK_GATEWAY_GW_SESSION_H
#define SOUK_GATEWAY_GW_SESSION_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/address.h"
#include "gateway/gw_account.h"

#define GW_TOKEN_LEN 32
#define GW_TOKEN_HEX (2 * GW_TOKEN_LEN)
#define GW_SESSIONS_MAX 100000
/* Sessions one account may hold; a new one beyond ends its least
 * recently used (so no account can fill the table). */
#define GW_SESSIONS_PER_ACCOUNT 32

struct gw_session_info {
    char username[GW_USERNAME_MAX + 1];
    char wallet[GW_WALLET_NAME_MAX + 1];
    char address[ADDRESS_MAX_LEN + 1];
    char csrf[GW_TOKEN_HEX + 1];
};

struct gw_session;

struct gw_sessions {
    pthread_mutex_t mu;
    struct gw_session *v;
    size_t n, cap;
    int64_t idle;
    int64_t max_age;
};

void gw_sessions_init(struct gw_sessions *s, int64_t idle, int64_t max_age);
void gw_sessions_clear(struct gw_sessions *s);

/* A new session for the account; token and csrf get fresh hex. With
 * GW_SESSIONS_PER_ACCOUNT open already, the account's least recently used
 * one ends. False when randomness or memory fails, or GW_SESSIONS_MAX
 * sessions are open. */
bool gw_sessions_create(struct gw_sessions *s, const struct gw_session_info *info, int64_t now,
                        char token[GW_TOKEN_HEX + 1], char csrf[GW_TOKEN_HEX + 1]);

enum gw_session_state {
    GW_SESSION_VALID,   /* out filled, last use set to now */
    GW_SESSION_NONE,    /* no such token (or not a token at all) */
    GW_SESSION_EXPIRED, /* it existed and has now ended: out filled, removed */
};
enum gw_session_state gw_sessions_get(struct gw_sessions *s, const char *token, int64_t now,
                                      struct gw_session_info *out);
/* Ends one session; false when there was none. out (may be NULL) gets it. */
bool gw_sessions_remove(struct gw_sessions *s, const char *token, struct gw_session_info *out);
/* Ends every session of an account; returns how many. */
size_t gw_sessions_remove_account(struct gw_sessions *s, const char *username);
size_t gw_sessions_count_account(struct gw_sessions *s, const char *username);
/* Ends every expired session, calling fn for each (outside the lock). */
typedef void (*gw_session_fn)(void *ctx, const struct gw_session_info *info);
size_t gw_sessions_sweep(struct gw_sessions *s, int64_t now, gw_session_fn fn, void *ctx);

/* Whether a CSRF header value matches the session's token (constant time;
 * NULL is no match). */
bool gw_csrf_matches(const struct gw_session_info *info, const char *header);

/* The session token in a Cookie header value ("a=b; souk_session=<hex>"),
 * copied to out; false when there is none of the right shape. */
#define GW_COOKIE_NAME "souk_session"
bool gw_cookie_token(const char *cookie_header, char out[GW_TOKEN_HEX + 1]);

/* ---- login throttle ---- */

#define GW_THROTTLE_KEY_MAX 64
#define GW_THROTTLE_CAP 4096
#define GW_THROTTLE_FORGET_MS (86400 * INT64_C(1000))

struct gw_throttle_entry;

struct gw_throttle {
    pthread_mutex_t mu;
    struct gw_throttle_entry *v;
    size_t n, cap;
    unsigned threshold;
    int64_t max_delay_ms;
};

/* Times are milliseconds (time_now_ms): a wait of one second is a whole
 * second after the failure, not the rest of the clock's current second. */
void gw_throttle_init(struct gw_throttle *t, unsigned threshold, int64_t max_delay_ms);
void gw_throttle_clear(struct gw_throttle *t);
/* Milliseconds the key must still wait before an attempt (0: go ahead). */
int64_t gw_throttle_wait(struct gw_throttle *t, const char *key, int64_t now_ms);
void gw_throttle_fail(struct gw_throttle *t, const char *key, int64_t now_ms);
void gw_throttle_reset(struct gw_throttle *t, const char *key);
/* The delay after `failures` failures, in milliseconds (pure): none below
 * threshold, then one second doubling with each failure, at most
 * max_delay_ms. */
int64_t gw_throttle_delay(unsigned failures, unsigned threshold, int64_t max_delay_ms);

#endif
