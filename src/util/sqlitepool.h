/* sqlitepool: read-only connections to one SQLite file, lent to one
 * thread at a time.
 *
 * A module whose file is written through one connection under its own
 * lock (a plugin's index) reads it through these instead, so readers run
 * side by side and never wait for the writer: in WAL mode a reader sees
 * the file as of the last commit before its read began. Each connection is
 * lent inside a read transaction, so everything read through it, across
 * statements, is that one snapshot; giving it back ends the transaction
 * (a reader left in one would keep the log from being checkpointed past
 * its snapshot). At most `max` are open at once: a caller beyond that
 * waits for one to come back. Connections are opened when first needed
 * and kept for reuse, so what a caller registers on one (a function, its
 * user data) stays for the next. The pool owns them. */
#ifndef SOUK_UTIL_SQLITEPOOL_H
#define SOUK_UTIL_SQLITEPOOL_H

#include <stddef.h>

#include <sqlite3.h>

struct sqlitepool;

/* A pool for the file at path (not opened yet); NULL when out of memory. */
struct sqlitepool *sqlitepool_new(const char *path, size_t max);
/* Closes every connection; all must have been given back. NULL ok. */
void sqlitepool_free(struct sqlitepool *p);

/* A connection inside a read transaction, or NULL when none can be opened
 * (the file is missing or unreadable: the reason is logged). */
sqlite3 *sqlitepool_get(struct sqlitepool *p);
/* Gives db back (NULL ok). */
void sqlitepool_put(struct sqlitepool *p, sqlite3 *db);

/* How many connections are open (lent or idle), for tests. */
size_t sqlitepool_open_count(struct sqlitepool *p);

#endif
