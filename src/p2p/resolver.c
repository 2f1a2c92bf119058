#define _XOPEN_SOURCE 700
#include "p2p/resolver.h"

#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct resolver_job {
    struct resolver_job *next;
    uint16_t default_port;
    struct resolver_result res;
};

/* Lookups at once at most: a name server that never answers holds one
 * thread per name asked, the other names still get through. */
#define RESOLVER_MAX_THREADS 4

struct resolver {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    unsigned n_threads; /* while any runs, the last one to end frees the resolver */
    unsigned n_idle;
    bool closing;
    struct resolver_job *todo, **todo_tail;
    struct resolver_job *busy[RESOLVER_MAX_THREADS]; /* being looked up, outside the lock */
    struct resolver_job *done, **done_tail;
};

bool resolver_is_numeric(const char *name, uint16_t default_port, struct netaddr *ip,
                         uint16_t *port)
{
    char err[64];
    return netaddr_parse_service(name, default_port, ip, port, err, sizeof err);
}

bool resolver_lookup(const char *name, uint16_t default_port, struct netaddr *ip, uint16_t *port,
                     char *err, size_t errlen)
{
    if (netaddr_parse_service(name, default_port, ip, port, err, errlen))
        return true;
    /* A name has no colon of its own: host or host:port. Brackets are only
     * for numeric IPv6, which netaddr_parse_service took or refused. */
    const char *colon = strchr(name, ':');
    if (name[0] == '[' || (colon != NULL && strchr(colon + 1, ':') != NULL))
        return false;
    char host[RESOLVER_NAME_MAX];
    size_t hl = colon != NULL ? (size_t)(colon - name) : strlen(name);
    if (hl == 0 || hl >= sizeof host) {
        snprintf(err, errlen, "%s", hl == 0 ? "no host name" : "host name too long");
        return false;
    }
    memcpy(host, name, hl);
    host[hl] = '\0';
    long p = default_port;
    if (colon != NULL) {
        char *end;
        errno = 0;
        p = strtol(colon + 1, &end, 10);
        if (errno != 0 || end == colon + 1 || *end != '\0' || p <= 0 || p > 65535) {
            snprintf(err, errlen, "bad port");
            return false;
        }
    }
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int rc = getaddrinfo(host, NULL, &hints, &res);
    if (rc != 0) {
        snprintf(err, errlen, "%s", rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
        return false;
    }
    bool ok = false;
    for (const struct addrinfo *a = res; a != NULL && !ok; a = a->ai_next) {
        uint16_t ignored;
        ok = netaddr_from_sockaddr(a->ai_addr, a->ai_addrlen, ip, &ignored);
    }
    freeaddrinfo(res);
    if (!ok) {
        snprintf(err, errlen, "no IPv4 or IPv6 address");
        return false;
    }
    *port = (uint16_t)p;
    return true;
}

struct resolver *resolver_new(void)
{
    struct resolver *r = calloc(1, sizeof *r);
    if (r == NULL)
        return NULL;
    if (pthread_mutex_init(&r->mu, NULL) != 0) {
        free(r);
        return NULL;
    }
    if (pthread_cond_init(&r->cv, NULL) != 0) {
        pthread_mutex_destroy(&r->mu);
        free(r);
        return NULL;
    }
    r->todo_tail = &r->todo;
    r->done_tail = &r->done;
    return r;
}

static void free_jobs(struct resolver_job *j)
{
    while (j != NULL) {
        struct resolver_job *next = j->next;
        free(j);
        j = next;
    }
}

static void destroy(struct resolver *r)
{
    free_jobs(r->todo);
    free_jobs(r->done);
    pthread_cond_destroy(&r->cv);
    pthread_mutex_destroy(&r->mu);
    free(r);
}

static void *resolver_main(void *arg)
{
    struct resolver *r = arg;
    pthread_mutex_lock(&r->mu);
    for (;;) {
        while (!r->closing && r->todo == NULL) {
            r->n_idle++;
            pthread_cond_wait(&r->cv, &r->mu);
            r->n_idle--;
        }
        if (r->closing)
            break;
        struct resolver_job *j = r->todo;
        r->todo = j->next;
        if (r->todo == NULL)
            r->todo_tail = &r->todo;
        j->next = NULL;
        size_t slot = 0;
        while (r->busy[slot] != NULL) /* a free slot: one per thread */
            slot++;
        r->busy[slot] = j;
        pthread_mutex_unlock(&r->mu);
        j->res.ok = resolver_lookup(j->res.name, j->default_port, &j->res.ip, &j->res.port,
                                    j->res.err, sizeof j->res.err);
        pthread_mutex_lock(&r->mu);
        r->busy[slot] = NULL;
        if (r->closing) {
            free(j);
            break;
        }
        *r->done_tail = j;
        r->done_tail = &j->next;
    }
    bool last = --r->n_threads == 0;
    pthread_mutex_unlock(&r->mu);
    if (last)
        destroy(r);
    return NULL;
}

void resolver_free(struct resolver *r)
{
    if (r == NULL)
        return;
    pthread_mutex_lock(&r->mu);
    r->closing = true;
    bool last = r->n_threads == 0;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    if (last)
        destroy(r);
}

static size_t queued(const struct resolver_job *j)
{
    size_t n = 0;
    for (; j != NULL; j = j->next)
        n++;
    return n;
}

static bool listed(const struct resolver_job *j, const char *name)
{
    for (; j != NULL; j = j->next)
        if (strcmp(j->res.name, name) == 0)
            return true;
    return false;
}

bool resolver_submit(struct resolver *r, const char *name, uint16_t default_port, int tag,
                     char *err, size_t errlen)
{
    if (strlen(name) >= RESOLVER_NAME_MAX) {
        snprintf(err, errlen, "name too long");
        return false;
    }
    struct resolver_job *j = calloc(1, sizeof *j);
    if (j == NULL) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    snprintf(j->res.name, sizeof j->res.name, "%s", name);
    j->res.tag = tag;
    j->default_port = default_port;
    bool ok = true;
    pthread_mutex_lock(&r->mu);
    bool busy = false;
    for (size_t i = 0; i < RESOLVER_MAX_THREADS; i++)
        busy = busy || (r->busy[i] != NULL && strcmp(r->busy[i]->res.name, name) == 0);
    if (busy || listed(r->todo, name) || listed(r->done, name)) {
        snprintf(err, errlen, "already being looked up");
        ok = false;
    } else if (queued(r->todo) >= r->n_idle && r->n_threads < RESOLVER_MAX_THREADS) {
        /* Idle threads may not have woken for the names queued before
         * this one yet: only one each is theirs. */
        /* Detached: resolver_free must not wait for a lookup that may
         * never end; the last thread frees the resolver instead. */
        pthread_t t;
        pthread_attr_t attr;
        bool started = pthread_attr_init(&attr) == 0;
        if (started) {
            started = pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED) == 0 &&
                      pthread_create(&t, &attr, resolver_main, r) == 0;
            pthread_attr_destroy(&attr);
        }
        if (started) {
            r->n_threads++;
        } else if (r->n_threads == 0) {
            snprintf(err, errlen, "cannot start a resolver thread");
            ok = false;
        }
    }
    if (ok) {
        *r->todo_tail = j;
        r->todo_tail = &j->next;
        pthread_cond_signal(&r->cv);
    }
    pthread_mutex_unlock(&r->mu);
    if (!ok)
        free(j);
    return ok;
}

size_t resolver_collect(struct resolver *r, struct resolver_result *out, size_t max)
{
    size_t n = 0;
    pthread_mutex_lock(&r->mu);
    while (n < max && r->done != NULL) {
        struct resolver_job *j = r->done;
        r->done = j->next;
        if (r->done == NULL)
            r->done_tail = &r->done;
        out[n++] = j->res;
        free(j);
    }
    pthread_mutex_unlock(&r->mu);
    return n;
}
