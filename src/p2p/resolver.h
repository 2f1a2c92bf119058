/* resolver: turns the node names of -addnode, -seednode, -connect and the
 * addnode RPC into addresses without blocking the event loop.
 *
 * A lookup goes through the system's getaddrinfo (so /etc/hosts, nsswitch
 * and the configured name servers apply, as for every other program on the
 * machine) on a thread of its own: a name server that answers slowly or
 * never holds up that thread, never the loop that serves every peer.
 * libevent's own asynchronous resolver (evdns) would need no thread, but it
 * reads resolv.conf and the hosts file itself and skips nsswitch, so a name
 * could resolve differently for soukd than for the rest of the system.
 *
 * The loop submits names and collects the answers on its timer. Up to
 * four names are looked up at once (more wait their turn, in submission
 * order), so one name whose server never answers does not hold up the
 * others; a name already queued or being looked up is not queued again,
 * so retries of an unanswered name do not pile up. getaddrinfo cannot be
 * interrupted: resolver_free returns at once and the threads end when
 * their lookups come back, the last one freeing what is left. All
 * functions are thread-safe. */
#ifndef SOUK_P2P_RESOLVER_H
#define SOUK_P2P_RESOLVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "p2p/netaddr.h"

/* A name as given: host, host:port, [v6] or [v6]:port. */
#define RESOLVER_NAME_MAX 272

struct resolver;

struct resolver_result {
    char name[RESOLVER_NAME_MAX]; /* as submitted */
    int tag;                      /* as submitted */
    bool ok;
    struct netaddr ip;            /* the first address getaddrinfo gave */
    uint16_t port;
    char err[128];                /* why not, when !ok */
};

/* NULL when out of memory. No thread runs until the first submission. */
struct resolver *resolver_new(void);
/* Pending lookups are dropped; a lookup under way finishes on its thread,
 * which then frees the rest. NULL is fine. */
void resolver_free(struct resolver *r);

/* Queues name for a lookup, default_port applying when it names none;
 * tag comes back with the answer. False (nothing queued) when the name is
 * already queued or being looked up, is too long, or memory or a thread is
 * lacking: err says which. */
bool resolver_submit(struct resolver *r, const char *name, uint16_t default_port, int tag,
                     char *err, size_t errlen);
/* Moves up to max answers, oldest first, into out; returns how many. */
size_t resolver_collect(struct resolver *r, struct resolver_result *out, size_t max);

/* Resolves at once on the calling thread (numeric addresses without any
 * lookup): for callers that may block, such as an RPC thread. */
bool resolver_lookup(const char *name, uint16_t default_port, struct netaddr *ip, uint16_t *port,
                     char *err, size_t errlen);
/* Whether name is a numeric address (with or without a port): such names
 * need no lookup and resolver_lookup answers them without blocking. */
bool resolver_is_numeric(const char *name, uint16_t default_port, struct netaddr *ip,
                         uint16_t *port);

#endif
