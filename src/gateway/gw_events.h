/* gw_events: GET /api/events — the node's event stream (rpc/sse.h) for the
 * logged-in account: blocks, and the payments, order steps, reviews and
 * messages that concern the addresses its wallet holds when the stream
 * opens (the web app reopens it after making an address). The session
 * cookie is the credential; without a live session the reply is 401. */
#ifndef SOUK_GATEWAY_GW_EVENTS_H
#define SOUK_GATEWAY_GW_EVENTS_H

#include <stdbool.h>
#include <stddef.h>

struct gateway;

/* Registers the route on the gateway's HTTP server (before "/api/"). */
bool gw_events_start(struct gateway *g, char *err, size_t errlen);
/* Ends the streams (before the HTTP server is freed), then frees them
 * (after). */
void gw_events_stop(struct gateway *g);
void gw_events_free(struct gateway *g);

#endif
