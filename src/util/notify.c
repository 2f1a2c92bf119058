#include "util/notify.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "util/strutil.h"

struct notify_item {
    struct notify_item *next;
    const char *what;  /* a string literal of the caller's */
    char *line;
};

struct notify_queue {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct notify_item *head, *tail;
    size_t pending, max_pending;
    bool running;  /* the worker is inside system() */
    bool stopped;
    /* The owner and the worker each hold one; whoever lets go last frees. */
    int refs;
};

static void notify_free_items(struct notify_item *it)
{
    while (it != NULL) {
        struct notify_item *next = it->next;
        free(it->line);
        free(it);
        it = next;
    }
}

/* Drops a reference; called with mu held, which it releases. */
static void notify_release(struct notify_queue *q)
{
    bool last = --q->refs == 0;
    pthread_mutex_unlock(&q->mu);
    if (last) {
        notify_free_items(q->head);
        pthread_cond_destroy(&q->cv);
        pthread_mutex_destroy(&q->mu);
        free(q);
    }
}

static void *notify_main(void *arg)
{
    struct notify_queue *q = arg;
    pthread_mutex_lock(&q->mu);
    for (;;) {
        while (!q->stopped && q->head == NULL)
            pthread_cond_wait(&q->cv, &q->mu);
        if (q->stopped)
            break;
        struct notify_item *it = q->head;
        q->head = it->next;
        if (q->head == NULL)
            q->tail = NULL;
        q->pending--;
        q->running = true;
        pthread_mutex_unlock(&q->mu);
        int rc = system(it->line);
        if (rc != 0)
            LOG_WARN(LOG_CAT_GENERAL, "%s: \"%s\" exited with status %d", it->what, it->line, rc);
        free(it->line);
        free(it);
        pthread_mutex_lock(&q->mu);
        q->running = false;
    }
    notify_release(q);
    return NULL;
}

bool notify_queue_start(struct notify_queue **out, size_t max_pending, char *err,
                        size_t errlen)
{
    *out = NULL;
    struct notify_queue *q = calloc(1, sizeof *q);
    if (q == NULL) {
        str_set_err(err, errlen, "out of memory for the notification queue");
        return false;
    }
    q->max_pending = max_pending > 0 ? max_pending : NOTIFY_MAX_PENDING;
    q->refs = 2;
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->cv, NULL);
    pthread_attr_t attr;
    pthread_t th;
    bool started = false;
    if (pthread_attr_init(&attr) == 0) {
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        started = pthread_create(&th, &attr, notify_main, q) == 0;
        pthread_attr_destroy(&attr);
    }
    if (!started) {
        pthread_cond_destroy(&q->cv);
        pthread_mutex_destroy(&q->mu);
        free(q);
        str_set_err(err, errlen, "cannot start the notification thread");
        return false;
    }
    *out = q;
    return true;
}

void notify_queue_stop(struct notify_queue *q)
{
    if (q == NULL)
        return;
    pthread_mutex_lock(&q->mu);
    q->stopped = true;
    notify_free_items(q->head);
    q->head = q->tail = NULL;
    q->pending = 0;
    pthread_cond_signal(&q->cv);
    notify_release(q);
}

/* Appends s to out at *len (out NULL: only counts). */
static void notify_put(char *out, size_t *len, const char *s, size_t n)
{
    if (out != NULL)
        memcpy(out + *len, s, n);
    *len += n;
}

/* A value in single quotes: each ' inside becomes '\'' (close, escaped
 * quote, reopen), the one thing a single-quoted shell word cannot hold. */
static void notify_put_quoted(char *out, size_t *len, const char *v)
{
    notify_put(out, len, "'", 1);
    for (; *v != '\0'; v++) {
        if (*v == '\'')
            notify_put(out, len, "'\\''", 4);
        else
            notify_put(out, len, v, 1);
    }
    notify_put(out, len, "'", 1);
}

/* Writes (or, with out NULL, measures) the command line. */
static size_t notify_expand(char *out, const char *tmpl, const struct notify_subst *subst,
                            size_t n)
{
    size_t len = 0;
    for (const char *p = tmpl; *p != '\0';) {
        const struct notify_subst *s = NULL;
        if (p[0] == '%')
            for (size_t i = 0; i < n && s == NULL; i++)
                if (p[1] == subst[i].key)
                    s = &subst[i];
        if (s == NULL) {
            notify_put(out, &len, p++, 1);
            continue;
        }
        const char *v = s->value != NULL ? s->value : "";
        if (s->shell_quote)
            notify_put_quoted(out, &len, v);
        else
            notify_put(out, &len, v, strlen(v));
        p += 2;
    }
    return len;
}

char *notify_format(const char *tmpl, const struct notify_subst *subst, size_t n)
{
    size_t len = notify_expand(NULL, tmpl, subst, n);
    char *line = malloc(len + 1);
    if (line == NULL)
        return NULL;
    notify_expand(line, tmpl, subst, n);
    line[len] = '\0';
    return line;
}

bool notify_queue_push(struct notify_queue *q, const char *what, char *line)
{
    if (line == NULL)
        return false;
    struct notify_item *it = q != NULL ? malloc(sizeof *it) : NULL;
    if (it == NULL) {
        if (q != NULL)
            LOG_WARN(LOG_CAT_GENERAL, "%s: out of memory; not run: %s", what, line);
        free(line);
        return false;
    }
    *it = (struct notify_item){.what = what, .line = line};
    pthread_mutex_lock(&q->mu);
    bool ok = !q->stopped && q->pending < q->max_pending;
    if (ok) {
        if (q->tail != NULL)
            q->tail->next = it;
        else
            q->head = it;
        q->tail = it;
        q->pending++;
        pthread_cond_signal(&q->cv);
    }
    size_t pending = q->pending;
    pthread_mutex_unlock(&q->mu);
    if (!ok) {
        LOG_WARN(LOG_CAT_GENERAL, "%s: %zu commands already waiting; not run: %s", what,
                 pending, line);
        free(line);
        free(it);
    }
    return ok;
}

bool notify_run(struct notify_queue *q, const char *what, const char *tmpl,
                const struct notify_subst *subst, size_t n)
{
    if (q == NULL || tmpl == NULL)
        return false;
    char *line = notify_format(tmpl, subst, n);
    if (line == NULL) {
        LOG_WARN(LOG_CAT_GENERAL, "%s: out of memory; a notification was not run", what);
        return false;
    }
    return notify_queue_push(q, what, line);
}

size_t notify_queue_busy(struct notify_queue *q)
{
    if (q == NULL)
        return 0;
    pthread_mutex_lock(&q->mu);
    size_t n = q->pending + (q->running ? 1 : 0);
    pthread_mutex_unlock(&q->mu);
    return n;
}
