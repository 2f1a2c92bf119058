/* market_media: listing photos — the blobs of consensus/media.h kept in
 * media.sqlite (media_store.h), gossiped as the `media` inventory type, and
 * the RPC methods market_addmedia, market_getmedia and market_getmediainfo.
 *
 * A seller adds a photo through RPC and puts its id in a listing's media;
 * the blob waits, unrelayed, until that listing connects. Then the node
 * announces it; every node that connects a listing naming a photo it
 * lacks asks the peers that announced it, checks the bytes against the
 * id, keeps it, serves it and announces it in turn, so the photo reaches
 * every node that follows the chain. Once no active listing names a photo
 * it is kept a grace period (media_store.h), then dropped. Owns the
 * media.sqlite handle and its mutex; the market index's thread calls
 * market_media_block with the index's database lock held (that lock is
 * always taken before this module's). */
#ifndef SOUK_PLUGINS_MARKET_MEDIA_H
#define SOUK_PLUGINS_MARKET_MEDIA_H

#include <stdbool.h>
#include <stddef.h>

#include "node/plugin.h"
#include "rpc/server.h"
#include "util/args.h"

#define MARKET_MEDIA_INV_TYPE 4u
#define MARKET_MEDIA_DB_FILE "media.sqlite"
#define MARKET_MEDIA_MAX_MB_DEFAULT 1024
#define MARKET_MEDIA_MAX_MB_MAX (1024 * 1024)
/* The store is swept (named flags, grace, wanted ids asked for again) at
 * a block connected at least this long after the last sweep. */
#define MARKET_MEDIA_SWEEP_SECS 60
/* Wanted ids asked for again per sweep, at most. */
#define MARKET_MEDIA_RETRY_MAX 64
/* Misbehaviour points for a blob that is no image of the format, and for
 * one whose hash names no photo the node asked for (a peer answering a
 * request with other bytes, or pushing blobs nobody wants). */
#define MARKET_MEDIA_POINTS_BAD 100
#define MARKET_MEDIA_POINTS_UNWANTED 20

extern const struct plugin_inv market_media_invs[1];
#define MARKET_MEDIA_N_OPTIONS 1
extern const struct args_option market_media_options[MARKET_MEDIA_N_OPTIONS];

/* Opens media.sqlite and reads -mediamaxmb (start); closes it (stop). */
bool market_media_start(struct plugin_ctx *pc, char *err, size_t errlen);
void market_media_stop(struct plugin_ctx *pc);

/* The index connected the block at `height` (its listings are in the
 * index): photos its new listings name are announced when held, asked for
 * when not; and now and then the whole store is swept. Failures are
 * logged: photos are not consensus, the index goes on. */
void market_media_block(struct plugin_ctx *pc, uint64_t height);

bool market_media_rpc_add(struct rpc_request *req, json_t **result);
bool market_media_rpc_get(struct rpc_request *req, json_t **result);
bool market_media_rpc_info(struct rpc_request *req, json_t **result);

#endif
