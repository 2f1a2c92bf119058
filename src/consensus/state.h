/* state: the consensus state view, with automatic undo.
 *
 * Consensus state is one ordered key-value space. Validation never writes it
 * directly: it applies transactions through a view, whose reads fall through
 * to a backend (the chainstate database, or another view) and whose writes
 * stay in memory. For every key written the view remembers the value the
 * backend had (or that it had none): that list, encoded, is the block's undo
 * record, so a plugin that writes through the view never writes undo code.
 *
 * Savepoints make one transaction's writes atomic: a failed transaction is
 * rolled back to the savepoint taken before it, leaving the view exactly as
 * it was. A view owns copies of every key and value it holds. */
#ifndef SOUK_CONSENSUS_STATE_H
#define SOUK_CONSENSUS_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/serialize.h"
#include "util/buf.h"

/* Longest key and value the state accepts. */
#define STATE_KEY_MAX 256
#define STATE_VALUE_MAX (1024 * 1024)

struct state_backend {
    void *ctx;
    /* Looks key up: on success *found says whether it exists and, if so, val
     * (reset first) holds its value. False on a storage failure. */
    bool (*get)(void *ctx, const uint8_t *key, size_t klen, struct buf *val, bool *found);
};

struct state_entry;
struct state_journal;

struct state_view {
    struct state_backend backend;
    struct state_entry *entries;  /* in order of first touch */
    size_t count, cap;
    size_t *slots;                /* open-addressing index into entries (+1; 0 = empty) */
    size_t slot_count;
    uint64_t seed;
    struct state_journal *journal;
    size_t journal_len, journal_cap;
    bool failed;                  /* a backend read or an allocation failed */
};

void state_view_init(struct state_view *v, const struct state_backend *backend);
void state_view_clear(struct state_view *v);

/* Reads through the view. val is reset, then filled when *found. False on
 * a storage or allocation failure (the view is then marked failed). */
bool state_get(struct state_view *v, const void *key, size_t klen, struct buf *val, bool *found);
/* False for an over-long key or value, or on failure; the view is unchanged
 * on a refused key/value and marked failed on a storage failure. */
bool state_put(struct state_view *v, const void *key, size_t klen, const void *val, size_t vlen);
bool state_del(struct state_view *v, const void *key, size_t klen);

/* True once any read or write failed for lack of memory or storage. A
 * failed view must be discarded, not committed. */
static inline bool state_view_failed(const struct state_view *v) { return v->failed; }

size_t state_savepoint(const struct state_view *v);
/* Undoes every write made since the savepoint was taken. */
void state_rollback(struct state_view *v, size_t savepoint);

/* Called for each key written, in order of first touch. present false means
 * the key is to be deleted. Returning false stops the walk. */
typedef bool (*state_change_fn)(void *ctx, const uint8_t *key, size_t klen, bool present,
                                const uint8_t *val, size_t vlen);
/* The view's net changes: keys whose value now differs from the backend's. */
bool state_view_for_each_change(const struct state_view *v, state_change_fn fn, void *ctx);
/* Number of net changes. */
size_t state_view_change_count(const struct state_view *v);

/* Appends the undo record: msgpack array, one element per net change, in
 * order of first touch: [key: bin] when the key did not exist before,
 * [key: bin, old value: bin] when it did. False on allocation failure. */
bool state_view_undo_encode(const struct state_view *v, struct buf *out);
/* Walks an undo record, yielding for each key the value to restore
 * (present false: delete it). */
enum ser_err state_undo_for_each(const void *bytes, size_t len, state_change_fn fn, void *ctx);

/* A backend that reads through v (for a view stacked on a view). */
void state_view_as_backend(struct state_view *v, struct state_backend *out);
/* A backend in which no key exists: the base of a view over nothing (a
 * mempool before it is told the tip; throwaway views in tests and benches). */
extern const struct state_backend state_empty_backend;

#endif
