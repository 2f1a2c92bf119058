#define _POSIX_C_SOURCE 200809L
#include "util/worker.h"

#include <pthread.h>
#include <stdlib.h>

struct worker {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv; /* a job was handed, it ended, or the stop */
    void (*fn)(void *arg);
    void *arg;
    bool busy; /* handed and not yet returned */
    bool stop;
};

static void *worker_main(void *p)
{
    struct worker *w = p;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->stop && (!w->busy || w->fn == NULL))
            pthread_cond_wait(&w->cv, &w->mu);
        if (w->stop && !w->busy)
            break;
        void (*fn)(void *) = w->fn;
        void *arg = w->arg;
        w->fn = NULL;
        pthread_mutex_unlock(&w->mu);
        fn(arg);
        pthread_mutex_lock(&w->mu);
        w->busy = false;
        pthread_cond_broadcast(&w->cv);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

bool worker_new(struct worker **out)
{
    struct worker *w = calloc(1, sizeof *w);
    if (w == NULL)
        return false;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
        pthread_cond_destroy(&w->cv);
        pthread_mutex_destroy(&w->mu);
        free(w);
        return false;
    }
    *out = w;
    return true;
}

void worker_free(struct worker *w)
{
    if (w == NULL)
        return;
    pthread_mutex_lock(&w->mu);
    w->stop = true;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    free(w);
}

void worker_start(struct worker *w, void (*fn)(void *arg), void *arg)
{
    pthread_mutex_lock(&w->mu);
    w->fn = fn;
    w->arg = arg;
    w->busy = true;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

void worker_wait(struct worker *w)
{
    pthread_mutex_lock(&w->mu);
    while (w->busy)
        pthread_cond_wait(&w->cv, &w->mu);
    pthread_mutex_unlock(&w->mu);
}
