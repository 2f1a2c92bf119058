/* notify: the operator's notification commands (-blocknotify,
 * -walletnotify, -chatnotify), run through /bin/sh off the threads that
 * raise them.
 *
 * Whoever raises a notification is on a thread that must not wait for a
 * shell: validation under the chain lock, the P2P event loop, an index
 * thread. A notify_queue hands each command line to one worker thread that
 * runs them one at a time, in the order raised, so a script sees blocks in
 * chain order. The queue is bounded: past NOTIFY_MAX_PENDING waiting
 * commands a new one is dropped (and logged) rather than letting a slow
 * script grow the node's memory without end.
 *
 * Stopping drops the commands still waiting; a command already running is
 * neither waited for nor killed (a stuck script must not hold up shutdown),
 * and the worker frees the queue when it returns.
 *
 * Thread-safe. Every function accepts a NULL queue (tools and unit tests
 * without one) and then runs nothing. Owns the waiting command lines. */
#ifndef SOUK_UTIL_NOTIFY_H
#define SOUK_UTIL_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>

#define NOTIFY_MAX_PENDING 1000

struct notify_queue;

/* Starts the worker; max_pending 0 means NOTIFY_MAX_PENDING. False (with
 * a message) when the thread or memory cannot be had. */
bool notify_queue_start(struct notify_queue **out, size_t max_pending, char *err,
                        size_t errlen);
void notify_queue_stop(struct notify_queue *q);

/* One placeholder of a command template: every "%<key>" becomes value.
 * With shell_quote the value is put in single quotes (a wallet name is the
 * user's text; hashes need no quoting). */
struct notify_subst {
    char key;
    const char *value;
    bool shell_quote;
};

/* The command line: tmpl with each placeholder replaced; any other '%'
 * stays as it is. NULL when out of memory. The caller frees it. */
char *notify_format(const char *tmpl, const struct notify_subst *subst, size_t n);

/* Queues one command line (taking it: it is freed whatever happens). what
 * names the option in log lines ("-blocknotify"). False when the queue is
 * full, stopped or NULL. */
bool notify_queue_push(struct notify_queue *q, const char *what, char *line);

/* notify_format, then notify_queue_push; nothing when tmpl or q is NULL. */
bool notify_run(struct notify_queue *q, const char *what, const char *tmpl,
                const struct notify_subst *subst, size_t n);

/* Commands queued and not yet finished (waiting or running). */
size_t notify_queue_busy(struct notify_queue *q);

#endif
