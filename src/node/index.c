#define _POSIX_C_SOURCE 200809L
#include "node/index.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "node/services.h"
#include "util/log.h"

struct index_runner {
    struct index_def def;
    struct node_ctx *node;
    pthread_t thread;
    bool thread_started;
    bool halted;  /* index_runner_halt ran: no thread, no listeners */

    pthread_mutex_t mu;
    pthread_cond_t cond;     /* wakes the thread and the readers waiting on it */
    uint64_t notify_seq;     /* chain changes heard of (starts at 1: "the tip at start") */
    uint64_t caught_seq;     /* the notify_seq at which the index was last at the tip */
    bool stop;
    bool failed;
    char error[160];
    /* The marker, written by the thread under mu. */
    uint8_t best[32];
    uint64_t height;
};

/* One step found under the chain lock, done outside it. */
struct index_step {
    bool at_tip;
    bool reset;       /* the marker is unknown: empty the index, start over */
    bool connect;
    uint8_t hash[32];
    uint8_t prev[32];
    uint64_t height;
    struct block b;
};

static void runner_heard(void *ctx, const struct block *b, const struct blockindex_entry *e)
{
    (void)b;
    (void)e;
    struct index_runner *r = ctx;
    pthread_mutex_lock(&r->mu);
    r->notify_seq++;
    pthread_cond_broadcast(&r->cond);
    pthread_mutex_unlock(&r->mu);
}

/* Finds the step that takes an index whose marker is `best` towards the
 * tip. Chain lock held (or no other thread touches the chain). */
static bool index_plan(struct chain *chain, const uint8_t best[32], struct index_step *s,
                       uint64_t *best_height, char *err, size_t errlen)
{
    const struct blockindex_chain *active = chain_active(chain);
    struct blockindex_entry *at = blockindex_find(chain_index(chain), best);
    if (at == NULL) {
        s->reset = true;
        return true;
    }
    *best_height = at->height;
    if (at == chain_tip(chain)) {
        s->at_tip = true;
        return true;
    }
    struct blockindex_entry *e;
    if (blockindex_chain_contains(active, at)) {
        e = blockindex_chain_next(active, at);
        s->connect = true;
    } else {
        e = at;
        s->connect = false;
    }
    if (e == NULL || (!s->connect && e->prev == NULL)) {
        snprintf(err, errlen, "no way from the marker to the tip");
        return false;
    }
    memcpy(s->hash, e->hash, 32);
    if (e->prev != NULL)
        memcpy(s->prev, e->prev->hash, 32);
    s->height = e->height;
    return chain_read_block(chain, e, &s->b, err, errlen);
}

/* Does a planned connect or disconnect; on success best/height become the
 * new marker. */
static bool index_do(const struct index_def *def, const struct index_step *s, uint8_t best[32],
                     uint64_t *height, char *err, size_t errlen)
{
    bool ok = s->connect ? def->connect(def->ctx, &s->b, s->hash, s->height, err, errlen)
                         : def->disconnect(def->ctx, &s->b, s->hash, s->height, s->prev, err,
                                           errlen);
    if (ok) {
        memcpy(best, s->connect ? s->hash : s->prev, 32);
        *height = s->connect ? s->height : s->height - 1;
    }
    return ok;
}

bool index_catch_up(struct chain *chain, const struct index_def *def,
                    const uint8_t genesis[32], char *err, size_t errlen)
{
    uint8_t best[32];
    uint64_t height = 0;
    bool found = false;
    if (!def->get_best(def->ctx, best, &found, err, errlen))
        return false;
    if (!found)
        memcpy(best, genesis, 32);
    for (;;) {
        struct index_step s;
        memset(&s, 0, sizeof s);
        block_init(&s.b);
        bool ok = index_plan(chain, best, &s, &height, err, errlen);
        if (ok && s.reset) {
            ok = def->reset(def->ctx, err, errlen);
            memcpy(best, genesis, 32);
        } else if (ok && !s.at_tip) {
            ok = index_do(def, &s, best, &height, err, errlen);
        }
        block_clear(&s.b);
        if (!ok || s.at_tip)
            return ok;
    }
}

/* Finds the next step. Chain lock held. */
static bool runner_plan(struct index_runner *r, uint64_t *seq, struct index_step *s, char *err,
                        size_t errlen)
{
    pthread_mutex_lock(&r->mu);
    *seq = r->notify_seq;
    uint8_t best[32];
    memcpy(best, r->best, 32);
    pthread_mutex_unlock(&r->mu);
    uint64_t height = 0;
    bool ok = index_plan(services_chain(r->node), best, s, &height, err, errlen);
    if (ok && !s->reset) {
        pthread_mutex_lock(&r->mu);
        r->height = height;
        pthread_mutex_unlock(&r->mu);
    }
    return ok;
}

static void runner_set_best(struct index_runner *r, const uint8_t hash[32], uint64_t height)
{
    pthread_mutex_lock(&r->mu);
    memcpy(r->best, hash, 32);
    r->height = height;
    pthread_mutex_unlock(&r->mu);
}

static bool runner_reset(struct index_runner *r, char *err, size_t errlen)
{
    LOG_INFO(LOG_CAT_VALIDATION, "index %s: rebuilding from the genesis block", r->def.name);
    if (!r->def.reset(r->def.ctx, err, errlen))
        return false;
    runner_set_best(r, r->node->params->genesis.hash, 0);
    return true;
}

/* One step: false (err set) when it failed. */
static bool runner_step(struct index_runner *r, char *err, size_t errlen)
{
    struct index_step s;
    memset(&s, 0, sizeof s);
    block_init(&s.b);
    uint64_t seq;
    pthread_mutex_lock(&r->node->lock);
    bool ok = runner_plan(r, &seq, &s, err, errlen);
    if (ok && s.at_tip) {
        pthread_mutex_lock(&r->mu);
        r->caught_seq = seq;
        pthread_cond_broadcast(&r->cond);
        pthread_mutex_unlock(&r->mu);
    }
    pthread_mutex_unlock(&r->node->lock);
    if (ok && s.reset) {
        ok = runner_reset(r, err, errlen);
    } else if (ok && !s.at_tip) {
        uint8_t best[32];
        uint64_t height;
        ok = index_do(&r->def, &s, best, &height, err, errlen);
        if (ok)
            runner_set_best(r, best, height);
    }
    block_clear(&s.b);
    return ok;
}

static void *runner_thread(void *arg)
{
    struct index_runner *r = arg;
    for (;;) {
        pthread_mutex_lock(&r->mu);
        while (!r->stop && r->caught_seq == r->notify_seq)
            pthread_cond_wait(&r->cond, &r->mu);
        bool stop = r->stop;
        pthread_mutex_unlock(&r->mu);
        if (stop)
            break;
        char err[160] = "";
        if (!runner_step(r, err, sizeof err)) {
            LOG_ERROR(LOG_CAT_VALIDATION, "index %s stopped: %s", r->def.name, err);
            if (r->def.disk_failed != NULL && r->def.disk_failed(r->def.ctx) &&
                r->node->fatal_error != NULL) {
                char msg[256];
                snprintf(msg, sizeof msg, "cannot write the %s index: %s", r->def.name, err);
                r->node->fatal_error(r->node, msg);
            }
            pthread_mutex_lock(&r->mu);
            r->failed = true;
            snprintf(r->error, sizeof r->error, "%s", err);
            pthread_cond_broadcast(&r->cond);
            pthread_mutex_unlock(&r->mu);
            break;
        }
    }
    return NULL;
}

bool index_runner_start(struct node_ctx *node, const struct index_def *def, bool reset,
                        struct index_runner **out, char *err, size_t errlen)
{
    struct index_runner *r = calloc(1, sizeof *r);
    if (r == NULL) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    r->def = *def;
    r->node = node;
    r->notify_seq = 1;
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cond, NULL);
    memcpy(r->best, node->params->genesis.hash, 32);

    bool found = false;
    char why[160] = "";
    bool read = !reset && def->get_best(def->ctx, r->best, &found, why, sizeof why);
    if (!reset && !read)
        LOG_WARN(LOG_CAT_VALIDATION, "index %s: cannot read its marker (%s)", def->name, why);
    if (reset || !read) {
        if (!runner_reset(r, err, errlen))
            goto fail;
    } else if (!found) {
        memcpy(r->best, node->params->genesis.hash, 32);
    }

    struct chain_listener l = {.ctx = r, .connected = runner_heard, .disconnected = runner_heard};
    pthread_mutex_lock(&node->lock);
    bool added = services_add_block_listener(node, &l);
    pthread_mutex_unlock(&node->lock);
    if (!added) {
        snprintf(err, errlen, "index %s: out of memory", def->name);
        goto fail;
    }
    if (pthread_create(&r->thread, NULL, runner_thread, r) != 0) {
        snprintf(err, errlen, "index %s: cannot start its thread", def->name);
        pthread_mutex_lock(&node->lock);
        services_remove_listeners(node, r);
        pthread_mutex_unlock(&node->lock);
        goto fail;
    }
    r->thread_started = true;
    *out = r;
    return true;
fail:
    pthread_cond_destroy(&r->cond);
    pthread_mutex_destroy(&r->mu);
    free(r);
    return false;
}

void index_runner_halt(struct index_runner *r)
{
    if (r == NULL || r->halted)
        return;
    pthread_mutex_lock(&r->node->lock);
    services_remove_listeners(r->node, r);
    pthread_mutex_unlock(&r->node->lock);
    pthread_mutex_lock(&r->mu);
    r->stop = true;
    pthread_cond_broadcast(&r->cond);
    pthread_mutex_unlock(&r->mu);
    if (r->thread_started)
        pthread_join(r->thread, NULL);
    r->halted = true;
}

void index_runner_stop(struct index_runner *r)
{
    if (r == NULL)
        return;
    index_runner_halt(r);
    pthread_cond_destroy(&r->cond);
    pthread_mutex_destroy(&r->mu);
    free(r);
}

bool index_runner_sync(struct index_runner *r, int64_t timeout_ms, char *err, size_t errlen)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&r->mu);
    uint64_t target = r->notify_seq;
    int rc = 0;
    while (!r->failed && !r->stop && r->caught_seq < target && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&r->cond, &r->mu, &until);
    bool ok = r->caught_seq >= target;
    if (!ok && r->failed)
        snprintf(err, errlen, "the %s index failed: %s", r->def.name, r->error);
    else if (!ok && r->stop)
        snprintf(err, errlen, "the %s index is stopping", r->def.name);
    else if (!ok)
        snprintf(err, errlen, "the %s index is still catching up (at height %llu)",
                 r->def.name, (unsigned long long)r->height);
    pthread_mutex_unlock(&r->mu);
    return ok;
}

void index_runner_status(struct index_runner *r, struct index_status *out)
{
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&r->mu);
    out->synced = r->caught_seq == r->notify_seq;
    out->failed = r->failed;
    out->height = r->height;
    memcpy(out->best, r->best, 32);
    snprintf(out->error, sizeof out->error, "%s", r->error);
    pthread_mutex_unlock(&r->mu);
}

const char *index_runner_name(const struct index_runner *r)
{
    return r->def.name;
}
