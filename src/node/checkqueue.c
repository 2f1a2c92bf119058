#define _POSIX_C_SOURCE 200809L
#include "node/checkqueue.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "consensus/txcheck.h"

/* Txs a thread claims at a time: few, so that the threads of a block
 * finish together (the calling thread joins late, after storing and
 * applying the block, and a chunk left to one thread at the end is time
 * the other waits), and the shared counter is still touched only once per
 * several signatures. */
#define CHECKQUEUE_CHUNK 4
/* Below this many txs the caller checks them alone: waking the threads
 * would cost more than it saves. */
#define CHECKQUEUE_MIN_PARALLEL 32

struct checkqueue {
    pthread_mutex_t turn; /* one check at a time */
    pthread_mutex_t mu;
    pthread_cond_t wake;  /* workers wait here for a job or the stop */
    pthread_cond_t idle;  /* the caller waits here for the last worker */
    pthread_t *workers;
    unsigned n_workers;
    bool stop;
    uint64_t job;         /* bumped for each check the workers join */
    unsigned busy;        /* workers not yet done with the current job */

    /* The current job: set by the caller before the job number changes. */
    const struct tx *txs;
    size_t n;
    const uint8_t *genesis;
    atomic_size_t next;       /* first index nobody has claimed */
    atomic_size_t first_fail; /* lowest failing index found; n when none */
    enum txerr fail_err;      /* the rule of first_fail (under mu) */
};

/* Claims chunks in index order until none is left below the lowest failure
 * known: every index below the final first_fail is checked by someone, so
 * first_fail ends as the lowest failing index, as in a serial loop. */
static void run_job(struct checkqueue *q)
{
    for (;;) {
        size_t start = atomic_fetch_add(&q->next, CHECKQUEUE_CHUNK);
        if (start >= q->n)
            return;
        size_t end = q->n - start < CHECKQUEUE_CHUNK ? q->n : start + CHECKQUEUE_CHUNK;
        for (size_t i = start; i < end; i++) {
            if (i >= atomic_load(&q->first_fail))
                return;
            enum txerr err = txcheck_stateless_block(&q->txs[i], q->genesis);
            if (err != TXERR_OK) {
                pthread_mutex_lock(&q->mu);
                if (i < atomic_load(&q->first_fail)) {
                    atomic_store(&q->first_fail, i);
                    q->fail_err = err;
                }
                pthread_mutex_unlock(&q->mu);
                return;
            }
        }
    }
}

static void *worker_main(void *arg)
{
    struct checkqueue *q = arg;
    uint64_t done = 0;
    pthread_mutex_lock(&q->mu);
    for (;;) {
        while (!q->stop && q->job == done)
            pthread_cond_wait(&q->wake, &q->mu);
        if (q->stop)
            break;
        /* The caller waits for every worker, so no job is ever skipped. */
        done = q->job;
        pthread_mutex_unlock(&q->mu);
        run_job(q);
        pthread_mutex_lock(&q->mu);
        if (--q->busy == 0)
            pthread_cond_signal(&q->idle);
    }
    pthread_mutex_unlock(&q->mu);
    return NULL;
}

static void stop_workers(struct checkqueue *q)
{
    pthread_mutex_lock(&q->mu);
    q->stop = true;
    pthread_cond_broadcast(&q->wake);
    pthread_mutex_unlock(&q->mu);
    for (unsigned i = 0; i < q->n_workers; i++)
        pthread_join(q->workers[i], NULL);
    q->n_workers = 0;
}

static void destroy(struct checkqueue *q)
{
    free(q->workers);
    pthread_cond_destroy(&q->idle);
    pthread_cond_destroy(&q->wake);
    pthread_mutex_destroy(&q->mu);
    pthread_mutex_destroy(&q->turn);
    free(q);
}

bool checkqueue_new(unsigned threads, struct checkqueue **out)
{
    if (threads < 1)
        threads = 1;
    if (threads > CHECKQUEUE_MAX_THREADS)
        threads = CHECKQUEUE_MAX_THREADS;
    struct checkqueue *q = calloc(1, sizeof *q);
    if (q == NULL)
        return false;
    pthread_mutex_init(&q->turn, NULL);
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->wake, NULL);
    pthread_cond_init(&q->idle, NULL);
    atomic_init(&q->next, 0);
    atomic_init(&q->first_fail, 0);
    q->fail_err = TXERR_OK;
    if (threads > 1) {
        q->workers = calloc(threads - 1, sizeof *q->workers);
        if (q->workers == NULL) {
            destroy(q);
            return false;
        }
    }
    for (unsigned i = 0; i + 1 < threads; i++) {
        if (pthread_create(&q->workers[i], NULL, worker_main, q) != 0) {
            stop_workers(q);
            destroy(q);
            return false;
        }
        q->n_workers++;
    }
    *out = q;
    return true;
}

void checkqueue_free(struct checkqueue *q)
{
    if (q == NULL)
        return;
    stop_workers(q);
    destroy(q);
}

unsigned checkqueue_threads(const struct checkqueue *q)
{
    return q->n_workers + 1;
}

void checkqueue_start(struct checkqueue *q, const struct tx *txs, size_t n,
                      const uint8_t genesis_hash[SHA256_LEN])
{
    pthread_mutex_lock(&q->turn);
    bool parallel = q->n_workers > 0 && n >= CHECKQUEUE_MIN_PARALLEL;
    pthread_mutex_lock(&q->mu);
    q->txs = txs;
    q->n = n;
    q->genesis = genesis_hash;
    q->fail_err = TXERR_OK;
    atomic_store(&q->next, 0);
    atomic_store(&q->first_fail, n);
    if (parallel) {
        q->job++;
        q->busy = q->n_workers;
        pthread_cond_broadcast(&q->wake);
    }
    pthread_mutex_unlock(&q->mu);
}

bool checkqueue_finish(struct checkqueue *q, size_t *fail_index, enum txerr *fail_err)
{
    /* The caller joins in with whatever the workers have not claimed. */
    run_job(q);

    pthread_mutex_lock(&q->mu);
    while (q->busy > 0)
        pthread_cond_wait(&q->idle, &q->mu);
    size_t first = atomic_load(&q->first_fail);
    size_t n = q->n;
    enum txerr err = q->fail_err;
    q->txs = NULL;
    pthread_mutex_unlock(&q->mu);
    pthread_mutex_unlock(&q->turn);
    if (first >= n)
        return true;
    *fail_index = first;
    *fail_err = err;
    return false;
}

bool checkqueue_busy(struct checkqueue *q)
{
    pthread_mutex_lock(&q->mu);
    bool busy = q->busy > 0;
    pthread_mutex_unlock(&q->mu);
    return busy;
}

void checkqueue_cancel(struct checkqueue *q)
{
    /* Every thread stops at the next index it looks at. */
    atomic_store(&q->first_fail, 0);
    pthread_mutex_lock(&q->mu);
    while (q->busy > 0)
        pthread_cond_wait(&q->idle, &q->mu);
    q->txs = NULL;
    pthread_mutex_unlock(&q->mu);
    pthread_mutex_unlock(&q->turn);
}

bool checkqueue_check_txs(struct checkqueue *q, const struct tx *txs, size_t n,
                          const uint8_t genesis_hash[SHA256_LEN], size_t *fail_index,
                          enum txerr *fail_err)
{
    checkqueue_start(q, txs, n, genesis_hash);
    return checkqueue_finish(q, fail_index, fail_err);
}

unsigned checkqueue_cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 1024 ? 1024 : (unsigned)n;
}
