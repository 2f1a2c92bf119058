#define _POSIX_C_SOURCE 200809L
#include "util/sqlitepool.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"

struct sqlitepool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    char *path;
    size_t max;
    sqlite3 **idle;  /* room for max */
    size_t n_idle;
    size_t n_open;   /* idle and lent */
};

struct sqlitepool *sqlitepool_new(const char *path, size_t max)
{
    struct sqlitepool *p = calloc(1, sizeof *p);
    if (p == NULL)
        return NULL;
    p->max = max > 0 ? max : 1;
    p->path = strdup(path);
    p->idle = calloc(p->max, sizeof *p->idle);
    if (p->path == NULL || p->idle == NULL) {
        free(p->path);
        free(p->idle);
        free(p);
        return NULL;
    }
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    return p;
}

void sqlitepool_free(struct sqlitepool *p)
{
    if (p == NULL)
        return;
    for (size_t i = 0; i < p->n_idle; i++)
        sqlite3_close(p->idle[i]);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    free(p->idle);
    free(p->path);
    free(p);
}

static sqlite3 *pool_open(const char *path)
{
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) !=
            SQLITE_OK ||
        sqlite3_busy_timeout(db, 5000) != SQLITE_OK ||
        sqlite3_exec(db, "PRAGMA mmap_size=268435456", NULL, NULL, NULL) != SQLITE_OK) {
        LOG_WARN(LOG_CAT_DB, "cannot open %s for reading: %s", path,
                 db != NULL ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return NULL;
    }
    return db;
}

/* Forgets a connection that is closed or was never opened. */
static void pool_drop(struct sqlitepool *p)
{
    pthread_mutex_lock(&p->mu);
    p->n_open--;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

sqlite3 *sqlitepool_get(struct sqlitepool *p)
{
    pthread_mutex_lock(&p->mu);
    while (p->n_idle == 0 && p->n_open == p->max)
        pthread_cond_wait(&p->cv, &p->mu);
    sqlite3 *db = NULL;
    if (p->n_idle > 0)
        db = p->idle[--p->n_idle];
    else
        p->n_open++;
    pthread_mutex_unlock(&p->mu);
    if (db == NULL && (db = pool_open(p->path)) == NULL) {
        pool_drop(p);
        return NULL;
    }
    /* The snapshot starts at the first read; BEGIN alone only marks it. */
    if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
        LOG_WARN(LOG_CAT_DB, "cannot read %s: %s", p->path, sqlite3_errmsg(db));
        sqlite3_close(db);
        pool_drop(p);
        return NULL;
    }
    return db;
}

void sqlitepool_put(struct sqlitepool *p, sqlite3 *db)
{
    if (db == NULL)
        return;
    bool ok = sqlite3_get_autocommit(db) ||
              sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK;
    if (!ok) {
        sqlite3_close(db);
        pool_drop(p);
        return;
    }
    pthread_mutex_lock(&p->mu);
    p->idle[p->n_idle++] = db;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

size_t sqlitepool_open_count(struct sqlitepool *p)
{
    pthread_mutex_lock(&p->mu);
    size_t n = p->n_open;
    pthread_mutex_unlock(&p->mu);
    return n;
}
