/* gw_impl: what gateway.c (the service, static files, routing) and
 * gw_api.c (the account endpoints) share. Private to src/gateway. */
#ifndef SOUK_GATEWAY_GW_IMPL_H
#define SOUK_GATEWAY_GW_IMPL_H

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "gateway/gw_account.h"
#include "gateway/gw_session.h"
#include "node/node.h"
#include "rpc/httpserver.h"
#include "rpc/server.h"

struct sse_server;
struct walletman;

struct gateway {
    struct node_ctx *ctx;
    struct walletman *wm;      /* NULL with -disablewallet: no accounts then */
    struct http_server *http;
    struct sse_server *events; /* GET /api/events (gw_events.h) */
    struct gw_store *store;
    struct gw_sessions sessions;
    struct gw_throttle by_account;
    struct gw_throttle by_address;
    struct gw_throttle signups;   /* successful sign-ups per client address */
    struct rpc_table table;    /* the node's methods and the refusal */
    char webdir[PATH_MAX];
    char deleted_dir[PATH_MAX];
    bool secure_cookie;
    bool trust_proxy;
    /* Serialises what changes whether an account's wallet is loaded and
     * unlocked (login, the end of its last session, password change,
     * deletion), so one cannot undo another half way. */
    pthread_mutex_t wallet_mu;
    pthread_t sweeper;
    bool sweeper_running;
    pthread_mutex_t stop_mu;
    pthread_cond_t stop_cond;
    bool stopping;
    int64_t sweep_every;       /* seconds */
};

/* ---- replies (gateway.c) ---- */

/* The headers every reply carries (CSP, nosniff, no referrer). */
void gw_security_headers(struct http_req *r);
/* JSON reply; takes v (NULL: 500). */
void gw_reply_json(struct http_req *r, int status, json_t *v);
/* {"error": msg}. */
void gw_reply_error(struct http_req *r, int status, const char *msg);

/* The client's address for the throttle: the peer, or with
 * -gatewaytrustproxy the last X-Forwarded-For entry. */
void gw_client_key(const struct gateway *g, const struct http_req *r, char *out, size_t outlen);

/* ---- wallets (gw_api.c) ---- */

/* Locks and unloads the account's wallet when no session of it is left. */
void gw_release_wallet(struct gateway *g, const char *username, const char *wallet);
/* Locks, unloads and moves the wallet's directory into deleted_dir (never
 * removes it); true when it is gone from wallets/ (or was never there). */
bool gw_retire_wallet(struct gateway *g, const char *wallet);
/* Finishes deletions a crash interrupted. */
void gw_finish_deletions(struct gateway *g);

/* ---- the API (gw_api.c) ---- */

/* Routes one /api/ request (worker thread). */
void gw_api_handle(struct gateway *g, struct http_req *r);

#endif
