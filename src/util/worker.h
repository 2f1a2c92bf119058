/* worker: one background thread that runs one job at a time.
 *
 * For work a thread hands off and collects later, often (once per block):
 * a thread started for each job would begin with a cold malloc arena and
 * pay a page fault for much of what it allocates, which made a block's
 * apply nearly twice as slow on a fresh thread as on a reused one. The
 * worker's thread lives as long as the worker, so its arena stays warm.
 *
 * Owns its thread. One caller hands jobs and waits for them; the worker is
 * not a queue. */
#ifndef SOUK_UTIL_WORKER_H
#define SOUK_UTIL_WORKER_H

#include <stdbool.h>

struct worker;

/* False (and *out untouched) when memory or a thread cannot be had. */
bool worker_new(struct worker **out);
/* Waits for a job still running, then stops the thread. NULL ok. */
void worker_free(struct worker *w);

/* Hands fn(arg) to the worker, which must be idle (no job handed since the
 * last worker_wait), and returns at once. */
void worker_start(struct worker *w, void (*fn)(void *arg), void *arg);
/* Waits until the job handed last has returned; at once when none runs. */
void worker_wait(struct worker *w);

#endif
