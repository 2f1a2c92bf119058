/* checkqueue: a block's transaction checks, run on several threads.
 *
 * Signature verification is most of the cost of connecting a block, and
 * each tx's stateless check (txcheck_stateless_block: size, type, fee, payload,
 * sender key, signature) depends on nothing but the tx, so the txs of one
 * block are spread over a small pool of threads plus the calling thread
 * (bitcoind's check queue). The verdict is the one a serial loop gives:
 * the lowest failing index and its rule, whatever order the threads ran in.
 *
 * Owns its worker threads; they sleep while no block is checked. One check
 * runs at a time (concurrent callers take turns). */
#ifndef SOUK_NODE_CHECKQUEUE_H
#define SOUK_NODE_CHECKQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/tx.h"
#include "consensus/txtype.h"

/* Most threads a queue uses, the caller's included. */
#define CHECKQUEUE_MAX_THREADS 16

struct checkqueue;

/* A queue that checks with `threads` threads in all, the caller's included
 * (1: the caller alone, no thread is started; above CHECKQUEUE_MAX_THREADS
 * is capped). False (and *out untouched) when memory or a thread cannot be
 * had. */
bool checkqueue_new(unsigned threads, struct checkqueue **out);
/* Stops and joins the threads. NULL ok. */
void checkqueue_free(struct checkqueue *q);
unsigned checkqueue_threads(const struct checkqueue *q);

/* Runs txcheck_stateless_block(&txs[i], genesis_hash) for every i < n.
 * True when all pass; otherwise *fail_index is the lowest failing i and
 * *fail_err its rule. */
bool checkqueue_check_txs(struct checkqueue *q, const struct tx *txs, size_t n,
                          const uint8_t genesis_hash[SHA256_LEN], size_t *fail_index,
                          enum txerr *fail_err);

/* The same in two steps, so that the calling thread can do other work
 * while the workers check (a block is applied and written meanwhile):
 * start hands the txs to the workers and returns at once; finish joins the
 * check with the calling thread, waits for the workers and gives the
 * verdict as checkqueue_check_txs does. The txs must stay valid and
 * unchanged until finish, which must follow on the same thread (the queue
 * is held in between). With no workers, start does nothing and finish
 * checks everything. */
void checkqueue_start(struct checkqueue *q, const struct tx *txs, size_t n,
                      const uint8_t genesis_hash[SHA256_LEN]);
bool checkqueue_finish(struct checkqueue *q, size_t *fail_index, enum txerr *fail_err);
/* Whether the workers are still on the started check: false when it was
 * too small to hand them (finish then checks it all) or when they are done
 * (finish then only collects the verdict). */
bool checkqueue_busy(struct checkqueue *q);
/* Ends a started check without a verdict (its block was refused for
 * another rule meanwhile): the workers stop after the tx each is on. */
void checkqueue_cancel(struct checkqueue *q);

/* The number of CPU cores online (at least 1). */
unsigned checkqueue_cpu_count(void);

#endif
