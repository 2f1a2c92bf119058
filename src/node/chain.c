#define _POSIX_C_SOURCE 200809L
#include "node/chain.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "consensus/deadline.h"
#include "consensus/txtype.h"
#include "node/checkqueue.h"
#include "util/worker.h"
#include "node/syncprogress.h"
#include "util/crashpoint.h"
#include "util/grow.h"
#include "util/log.h"
#include "util/time.h"

#define CHAIN_MAX_LISTENERS 8
#define CHAIN_FAILED_REMEMBERED 1024
#define CHAIN_PATH_MAX 4096

struct chain {
    const struct chain_params *params;
    char datadir[CHAIN_PATH_MAX];
    struct blockstore bs;
    bool bs_open;
    struct db *index_db;
    struct blockindex bi;
    struct blockindex_chain active;
    struct blockindex_candidates cand;
    struct chainstate cs;
    struct db *idx_db;
    struct blockindex_entry *best_header; /* most work, not known invalid */
    size_t best_header_seen; /* index entries best_header was chosen among */
    /* Stored blocks whose ancestry still lacks data (blocks downloaded in
     * parallel arrive out of order): they become candidates once it is in. */
    struct blockindex_entry **unlinked;
    size_t n_unlinked, cap_unlinked;
    struct chain_listener listeners[CHAIN_MAX_LISTENERS];
    size_t n_listeners;
    /* Logged while the tip catches up with the best header (download, -reindex). */
    struct syncprogress progress;
    /* A -reindex is under way: every index flush says so, so that a start
     * after a crash resumes it instead of trusting a partial index. */
    bool reindexing;
    /* Hashes of blocks found invalid before they were stored (a ring): the
     * same bytes again cost a lookup. Empty (all-zero) slots match no block:
     * that would take a SHA-256 preimage. */
    uint8_t failed[CHAIN_FAILED_REMEMBERED][SHA256_LEN];
    size_t failed_next;
    /* chain_open is running: the interrupt flag is honoured. */
    bool loading;
    const atomic_bool *interrupt;
    struct checkqueue *checkq;
    struct u256 min_chain_work;
    /* A write failed: nothing more is written (see chain_options.fatal). */
    bool broken;
    char fatal_msg[1024]; /* what broke it */
    /* The tx index's last step failed writing LevelDB (index thread only). */
    bool idx_write_failed;
    void (*fatal)(void *ctx, const char *msg);
    void *fatal_ctx;
    /* The block chain_process_block was handed, while it activates it:
     * connecting that block uses it instead of reading back the bytes just
     * written (as Bitcoin Core's ActivateBestChain takes the new block). */
    const struct block *fresh;
    uint8_t fresh_hash[SHA256_LEN];
    /* The scheduled entries that fell due in the block being connected,
     * told to listeners once the block is part of the chain. */
    struct chain_fired *fired;
    size_t n_fired, cap_fired;
    /* The fresh block's transaction checks, started by chain_accept on the
     * check queue's workers and still running while this thread stores
     * the block, applies it and writes its undo record (Bitcoin Core's
     * ConnectBlock queues its script checks the same way). They are
     * settled — joined, the verdict taken — before the block index is
     * flushed, except by the early commit, whose entry on disk is marked
     * BLOCK_CHECKS_PENDING: an entry on disk with data and without that
     * mark always means the block's transactions passed. */
    bool checks_pending;
    bool checks_failed; /* settled and failed: checks_fault says how */
    bool always_early;  /* chain_options.always_early_commit */
    struct block_fault checks_fault;
    /* The fresh block's apply, running meanwhile (chain_preapply_start). */
    struct chain_preapply *pre;
    /* The thread that runs it and the early commit's writes; NULL when it
     * could not be had (they then run on the calling thread). */
    struct worker *helper;
};

/* ---- small helpers ------------------------------------------------------ */

static void hash_hex(const uint8_t h[SHA256_LEN], char out[2 * SHA256_LEN + 1])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < SHA256_LEN; i++) {
        out[2 * i] = digits[h[i] >> 4];
        out[2 * i + 1] = digits[h[i] & 15];
    }
    out[2 * SHA256_LEN] = '\0';
}

static bool make_dir(const char *path, char *err, size_t errlen)
{
    if (mkdir(path, 0700) == 0 || errno == EEXIST)
        return true;
    snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
    return false;
}

static bool blockstore_ok(enum blockstore_err e, char *err, size_t errlen)
{
    if (e == BLOCKSTORE_OK)
        return true;
    if (err[0] == '\0')
        snprintf(err, errlen, "%s", blockstore_strerror(e));
    return false;
}

/* A storage failure: the chain stops writing and its owner is told once
 * (during chain_open the error is returned to the caller instead). */
static void chain_fatal(struct chain *c, const char *what, const char *why)
{
    if (c->broken)
        return;
    c->broken = true;
    char msg[1024];
    snprintf(msg, sizeof msg, "%s: %s", what, why);
    snprintf(c->fatal_msg, sizeof c->fatal_msg, "%s", msg);
    if (c->fatal != NULL && !c->loading)
        c->fatal(c->fatal_ctx, msg);
    else
        LOG_ERROR(LOG_CAT_VALIDATION, "%s", msg);
}

/* False once a write failed: calls that would write refuse. */
static bool chain_usable(const struct chain *c, char *err, size_t errlen)
{
    if (!c->broken)
        return true;
    snprintf(err, errlen, "a write to the block files or a database failed: the node is "
                          "shutting down");
    return false;
}

/* A test-only crash point (util/crashpoint.h). A simulated power cut loses
 * the block file records no flush made durable. */
static void chain_crash_point(struct chain *c, const char *name)
{
    bool power_loss = false;
    if (!crashpoint_due(name, &power_loss))
        return;
    if (power_loss && c->bs_open)
        blockstore_drop_unsynced(&c->bs);
    crashpoint_exit(name);
}

static struct blockindex_meta chain_meta(const struct chain *c)
{
    struct blockindex_meta m = {.flags = c->reindexing ? BLOCKINDEX_FLAG_REINDEXING : 0};
    blockstore_get_cursor(&c->bs, &m.cursor);
    return m;
}

static void chain_failed_note(struct chain *c, const uint8_t hash[SHA256_LEN]);

/* Joins the fresh block's pending checks, the calling thread checking
 * too, and keeps the verdict (checks_failed, checks_fault). Touches the
 * queue only. */
static bool chain_checks_join(struct chain *c)
{
    c->checks_pending = false;
    size_t index = 0;
    enum txerr txerr = TXERR_OK;
    if (checkqueue_finish(c->checkq, &index, &txerr))
        return true;
    c->checks_failed = true;
    c->checks_fault = (struct block_fault){.err = BLOCKERR_BAD_TX, .txerr = txerr,
                                           .tx_index = index};
    return false;
}

/* chain_checks_join, and when the checks failed the block is marked
 * invalid (and its hash remembered). False then; checks_fault says why. */
static bool chain_checks_settle(struct chain *c)
{
    if (!c->checks_pending)
        return !c->checks_failed;
    if (chain_checks_join(c))
        return true;
    chain_failed_note(c, c->fresh_hash);
    return false;
}

/* Writes the dirty block index entries and the file cursor in one batch,
 * synced unless `sync` is false. The block and undo records they point at
 * are made durable first (as Bitcoin Core flushes its block files before
 * its index batch): after a power cut an entry never claims data the files
 * lost, whether its block became the tip or stayed on a side branch. */
static bool chain_write_index(struct chain *c, bool sync, char *err, size_t errlen)
{
    if (!chain_usable(c, err, errlen))
        return false;
    if (c->bs_open && !blockstore_ok(blockstore_flush(&c->bs, err, errlen), err, errlen)) {
        chain_fatal(c, "cannot sync the block files", err);
        return false;
    }
    struct blockindex_meta m = chain_meta(c);
    chain_crash_point(c, "blockindex-before-write");
    err[0] = '\0';
    enum blockindex_err e = blockindex_flush(&c->bi, c->index_db, &m, sync, err, errlen);
    if (e != BLOCKINDEX_OK && err[0] == '\0')
        snprintf(err, errlen, "block index: %s", blockindex_strerror(e));
    if (e != BLOCKINDEX_OK) {
        chain_fatal(c, "cannot write the block index", err);
        return false;
    }
    chain_crash_point(c, "blockindex-after-write");
    return true;
}

/* chain_write_index once the fresh block's checks have ended: an entry
 * whose verdict is out reaches disk only through the early commit, marked
 * as such. */
static bool chain_flush_index(struct chain *c, char *err, size_t errlen)
{
    chain_checks_settle(c);
    return chain_write_index(c, true, err, errlen);
}

/* Whether chain_open was asked to stop (shutdown while loading). */
static bool chain_interrupted(const struct chain *c, char *err, size_t errlen)
{
    if (!c->loading || c->interrupt == NULL || !atomic_load(c->interrupt))
        return false;
    snprintf(err, errlen, "interrupted");
    return true;
}

/* True when every block from e back to the active chain is stored and not
 * known invalid, so the branch ending at e can be connected. */
static bool chain_branch_ready(const struct chain *c, const struct blockindex_entry *e)
{
    for (; e != NULL && !blockindex_chain_contains(&c->active, e); e = e->prev)
        if (!(e->status & BLOCK_HAVE_DATA) || (e->status & BLOCK_FAILED_MASK))
            return false;
    return e != NULL;
}

/* Rebuilds the set of tips worth trying: every connectable entry at least
 * as good as the tip. */
static bool chain_rebuild_candidates(struct chain *c)
{
    blockindex_candidates_clear(&c->cand);
    blockindex_candidates_init(&c->cand);
    struct blockindex_entry *tip = blockindex_chain_tip(&c->active);
    for (size_t i = 0; i < blockindex_count(&c->bi); i++) {
        struct blockindex_entry *e = blockindex_entry_at(&c->bi, i);
        if (e == tip || (tip != NULL && !blockindex_better(e, tip)))
            continue;
        if (chain_branch_ready(c, e) && !blockindex_candidates_add(&c->cand, e))
            return false;
    }
    if (tip != NULL && !blockindex_candidates_add(&c->cand, tip))
        return false;
    return true;
}

/* The accounts a tx's history entries go to: its sender and counterparties. */
static size_t chain_touched(const struct tx *tx, uint8_t (*out)[32])
{
    size_t n = 0;
    if (!tx_is_coinbase(tx))
        memcpy(out[n++], tx->sender, 32);
    n += txtype_tx_counterparties(tx, out + n, TXTYPE_MAX_COUNTERPARTIES);
    return n;
}

/* Connects or disconnects a block in the tx/account indexes (the txindex's
 * steps as a chain-following index). */
static bool chain_index_block(struct chain *c, const struct block *b, const uint8_t hash[32],
                              uint64_t height, bool connect, char *err, size_t errlen)
{
    size_t n = b->tx_count;
    uint8_t(*txids)[SHA256_LEN] = malloc((n ? n : 1) * sizeof *txids);
    uint8_t(*touched)[32] = malloc((n ? n : 1) * (TXTYPE_MAX_COUNTERPARTIES + 1) * 32);
    struct txindex_tx *txs = malloc((n ? n : 1) * sizeof *txs);
    bool ok = txids != NULL && touched != NULL && txs != NULL;
    if (!ok)
        snprintf(err, errlen, "out of memory");
    for (size_t i = 0; ok && i < n; i++) {
        tx_txid(&b->txs[i], txids[i]);
        uint8_t(*t)[32] = touched + i * (TXTYPE_MAX_COUNTERPARTIES + 1);
        txs[i].txid = txids[i];
        txs[i].touched = t[0];
        txs[i].n_touched = chain_touched(&b->txs[i], t);
    }
    if (ok) {
        struct txindex_block blk = {
            .hash = hash,
            .prev_hash = b->header.prev_hash,
            .height = height,
            .txs = txs,
            .n_txs = n,
        };
        crashpoint("txindex-before-write");
        ok = connect ? txindex_connect_block(c->idx_db, NULL, &blk, false, err, errlen)
                     : txindex_disconnect_block(c->idx_db, NULL, &blk, false, err, errlen);
        c->idx_write_failed = !ok;
        if (ok)
            crashpoint("txindex-after-write");
    }
    free(txids);
    free(touched);
    free(txs);
    return ok;
}

static bool chain_txindex_get_best(void *ctx, uint8_t hash[32], bool *found, char *err,
                                   size_t errlen)
{
    struct chain *c = ctx;
    return txindex_get_best(c->idx_db, hash, found, err, errlen);
}

static bool chain_txindex_connect(void *ctx, const struct block *b, const uint8_t hash[32],
                                  uint64_t height, char *err, size_t errlen)
{
    return chain_index_block(ctx, b, hash, height, true, err, errlen);
}

static bool chain_txindex_disconnect(void *ctx, const struct block *b, const uint8_t hash[32],
                                     uint64_t height, const uint8_t prev_hash[32], char *err,
                                     size_t errlen)
{
    (void)prev_hash; /* the block's own prev_hash: the marker moves there */
    return chain_index_block(ctx, b, hash, height, false, err, errlen);
}

static bool chain_txindex_reset(void *ctx, char *err, size_t errlen)
{
    struct chain *c = ctx;
    return txindex_reset(c->idx_db, err, errlen);
}

static bool chain_txindex_disk_failed(void *ctx)
{
    struct chain *c = ctx;
    return c->idx_write_failed;
}

void chain_txindex_def(struct chain *c, struct index_def *out)
{
    *out = (struct index_def){.name = "txindex",
                              .ctx = c,
                              .get_best = chain_txindex_get_best,
                              .connect = chain_txindex_connect,
                              .disconnect = chain_txindex_disconnect,
                              .reset = chain_txindex_reset,
                              .disk_failed = chain_txindex_disk_failed};
}

struct chain_fired {
    uint8_t owner;
    uint8_t key[DEADLINE_KEY_MAX];
    size_t klen;
};

/* apply_ctx's on_deadline while a block connects. An entry that finds no
 * room is not told: it is for event clients only. */
static void chain_fired_add(void *arg, uint8_t owner, const uint8_t *key, size_t klen)
{
    struct chain *c = arg;
    if (klen > DEADLINE_KEY_MAX ||
        !grow_array((void **)&c->fired, &c->cap_fired, c->n_fired + 1, sizeof *c->fired, 16))
        return;
    struct chain_fired *f = &c->fired[c->n_fired++];
    f->owner = owner;
    memcpy(f->key, key, klen);
    f->klen = klen;
}

static void chain_notify(struct chain *c, bool connected, const struct block *b,
                         const struct blockindex_entry *e)
{
    char line[160];
    if (connected && c->best_header != NULL &&
        syncprogress_note(&c->progress, e->height, c->best_header->height, time_mono_us(), line,
                          sizeof line))
        LOG_INFO(c->reindexing ? LOG_CAT_REINDEX : LOG_CAT_VALIDATION, "%s", line);
    for (size_t i = 0; i < c->n_listeners; i++) {
        const struct chain_listener *l = &c->listeners[i];
        if (connected && l->connected != NULL)
            l->connected(l->ctx, b, e);
        if (!connected && l->disconnected != NULL)
            l->disconnected(l->ctx, b, e);
        for (size_t k = 0; connected && l->deadline != NULL && k < c->n_fired; k++)
            l->deadline(l->ctx, e, c->fired[k].owner, c->fired[k].key, c->fired[k].klen);
    }
}

/* Marks e failed and every stored descendant failed-child; drops them from
 * the candidates. */
static void chain_mark_failed(struct chain *c, struct blockindex_entry *e)
{
    blockindex_set_status(&c->bi, e, BLOCK_FAILED);
    blockindex_candidates_remove(&c->cand, e);
    for (size_t i = 0; i < blockindex_count(&c->bi); i++) {
        struct blockindex_entry *d = blockindex_entry_at(&c->bi, i);
        if (d != e && d->height > e->height && blockindex_ancestor(d, e->height) == e) {
            blockindex_set_status(&c->bi, d, BLOCK_FAILED_CHILD);
            blockindex_candidates_remove(&c->cand, d);
        }
    }
}

static void chain_note_header(struct chain *c, struct blockindex_entry *e)
{
    if (!(e->status & BLOCK_FAILED_MASK) &&
        (c->best_header == NULL || blockindex_better(e, c->best_header)))
        c->best_header = e;
}

/* After marks change: the best header is found again by a full scan. */
static void chain_recompute_best_header(struct chain *c)
{
    c->best_header = NULL;
    c->best_header_seen = 0;
    for (size_t i = 0; i < blockindex_count(&c->bi); i++)
        chain_note_header(c, blockindex_entry_at(&c->bi, i));
    c->best_header_seen = blockindex_count(&c->bi);
}

/* ---- connect / disconnect ---------------------------------------------- */

/* Connects e (whose parent is the tip). *invalid tells a consensus failure
 * (e is then marked failed) from a storage failure. */
/* e broke a consensus rule while connecting: it is marked invalid (and
 * the mark stored), err says which rule. */
static void chain_connect_refused(struct chain *c, struct blockindex_entry *e,
                                  const struct block_fault *fault, bool *invalid, char *err,
                                  size_t errlen)
{
    char hex[2 * SHA256_LEN + 1];
    hash_hex(e->hash, hex);
    LOG_INFO(LOG_CAT_VALIDATION, "block %s at height %llu is invalid: %s (%s)", hex,
             (unsigned long long)e->height, blockerr_reason(fault->err),
             fault->err == BLOCKERR_BAD_TX ? txerr_reason(fault->txerr) : "-");
    *invalid = true;
    chain_mark_failed(c, e);
    /* Persisting the mark can fail; the block is invalid either way and
     * is checked again after a restart. */
    if (!chain_flush_index(c, err, errlen))
        LOG_WARN(LOG_CAT_VALIDATION, "could not store an invalid mark: %s", err);
    snprintf(err, errlen, "%s", blockerr_reason(fault->err));
}

/* Appends e's undo record to the undo files and syncs them. Order: the
 * undo record reaches disk before the batch that needs it. (If pending
 * checks then fail, the record is left unreferenced, as a crash at this
 * point would leave it.) */
static bool chain_store_undo(struct chain *c, const struct blockindex_entry *e,
                             const struct buf *undo, struct blockstore_pos *upos, char *err,
                             size_t errlen)
{
    err[0] = '\0';
    if (!blockstore_ok(blockstore_write_undo(&c->bs, e->hash, undo->data, undo->len, upos, err,
                                             errlen),
                       err, errlen)) {
        chain_fatal(c, "cannot store undo data", err);
        return false;
    }
    chain_crash_point(c, "undo-written");
    if (!blockstore_ok(blockstore_flush(&c->bs, err, errlen), err, errlen)) {
        chain_fatal(c, "cannot sync the block files", err);
        return false;
    }
    return true;
}

/* The early commit of a fresh tip e whose txs are still being checked:
 * its state is committed before their verdict, so that the chainstate
 * write overlaps the checks instead of following them. In order: the undo
 * record and its sync; e's index entry, marked BLOCK_CHECKS_PENDING (the
 * chainstate never names a block the index lacks, and a start after a
 * crash before the verdict takes the state back from that block and checks
 * it again: chain_recheck_pending); the chainstate batch. It touches the
 * block files, the index and the chainstate only, so it runs while the
 * calling thread checks signatures, which touch none of them. */
struct chain_early {
    struct chain *c;
    struct blockindex_entry *e;
    const struct state_view *v;
    const struct buf *undo;
    struct blockstore_pos upos;
    bool ok;        /* every write done */
    bool committed; /* the chainstate is at e */
    char err[512];
};

static void chain_early_run(void *arg)
{
    struct chain_early *j = arg;
    struct chain *c = j->c;
    j->ok = chain_store_undo(c, j->e, j->undo, &j->upos, j->err, sizeof j->err);
    if (j->ok) {
        blockindex_set_status(&c->bi, j->e, BLOCK_CHECKS_PENDING);
        j->ok = chain_write_index(c, true, j->err, sizeof j->err);
    }
    if (j->ok && !chainstate_commit_connect(&c->cs, j->v, j->e->hash, j->e->height, j->upos,
                                            j->err, sizeof j->err)) {
        chain_fatal(c, "cannot write the chainstate", j->err);
        j->ok = false;
    }
    j->committed = j->ok;
    if (j->ok)
        chain_crash_point(c, "chainstate-before-verdict");
}

/* The fresh block applied on a thread of its own, started by chain_accept
 * once the block's checks are: the apply reads the chainstate and writes
 * its own view (and the chain's list of deadlines fired), so it overlaps
 * the merkle root, the block's encoding and its storage, none of which
 * touch either. chain_connect takes it for that block; whatever else would
 * read the fired list or change the chainstate first ends it
 * (chain_preapply_take). */
struct chain_preapply {
    const struct block *b;
    uint8_t hash[SHA256_LEN];
    struct state_backend be;
    struct state_view v;
    struct apply_ctx ctx;
    struct block_fault fault;
    bool ok;
};

static void chain_preapply_run(void *arg)
{
    struct chain_preapply *j = arg;
    j->ok = blockcheck_apply(&j->v, j->b, &j->ctx, &j->fault);
}

static void chain_preapply_start(struct chain *c, const struct block *b,
                                 const struct blockindex_entry *prev,
                                 const uint8_t hash[SHA256_LEN])
{
    struct chain_preapply *j = c->helper != NULL ? calloc(1, sizeof *j) : NULL;
    if (j == NULL)
        return; /* chain_connect applies it then */
    j->b = b;
    memcpy(j->hash, hash, SHA256_LEN);
    chainstate_backend(&c->cs, &j->be);
    state_view_init(&j->v, &j->be);
    j->ctx = (struct apply_ctx){.params = c->params,
                                .height = prev->height + 1,
                                .time = b->header.time,
                                .on_deadline = chain_fired_add,
                                .on_deadline_arg = c};
    c->n_fired = 0;
    worker_start(c->helper, chain_preapply_run, j);
    c->pre = j;
}

/* Waits for the running apply, if any. Returns it (the caller owns it)
 * when it is e's; otherwise (e NULL included) discards it and returns
 * NULL. */
static struct chain_preapply *chain_preapply_take(struct chain *c,
                                                  const struct blockindex_entry *e)
{
    struct chain_preapply *j = c->pre;
    if (j == NULL)
        return NULL;
    c->pre = NULL;
    worker_wait(c->helper);
    if (e != NULL && memcmp(j->hash, e->hash, SHA256_LEN) == 0)
        return j;
    state_view_clear(&j->v);
    free(j);
    c->n_fired = 0;
    return NULL;
}

/* The fresh block's record is synced on a thread of its own while the
 * block is applied (the apply touches no file), so its sync does not add
 * to the connect's time; the undo record's sync then waits on nothing
 * else. */
struct chain_sync_job {
    struct blockstore *bs;
    enum blockstore_err result;
    char err[256];
};

static void *chain_sync_run(void *arg)
{
    struct chain_sync_job *j = arg;
    j->result = blockstore_flush(j->bs, j->err, sizeof j->err);
    return NULL;
}

static bool chain_connect(struct chain *c, struct blockindex_entry *e, bool *invalid,
                          struct block_fault *fault, char *err, size_t errlen)
{
    *invalid = false;
    struct block read;
    block_init(&read);
    const struct block *bp = &read;
    if (c->fresh != NULL && memcmp(c->fresh_hash, e->hash, SHA256_LEN) == 0) {
        bp = c->fresh;
    } else if (!chain_read_block(c, e, &read, err, errlen)) {
        chain_fatal(c, "cannot read a block to connect", err);
        return false;
    }

    struct block_fault local;
    if (fault == NULL)
        fault = &local;
    /* The fresh block's signatures may still be checked by the workers:
     * its apply, undo record and file syncs overlap them, and the verdict
     * is taken before anything that makes the block part of the chain. */
    bool pending = c->checks_pending && memcmp(c->fresh_hash, e->hash, SHA256_LEN) == 0;
    struct chain_sync_job sync = {.bs = &c->bs, .result = BLOCKSTORE_OK};
    pthread_t syncer;
    bool syncing = bp == c->fresh && c->bs_open && blockstore_unsynced(&c->bs) &&
                   pthread_create(&syncer, NULL, chain_sync_run, &sync) == 0;
    struct state_backend be;
    chainstate_backend(&c->cs, &be);
    struct state_view v;
    bool ok;
    struct chain_preapply *pre = chain_preapply_take(c, bp == c->fresh ? e : NULL);
    if (pre != NULL) {
        v = pre->v; /* the view moves here, with the fired list the apply made */
        ok = pre->ok;
        *fault = pre->fault;
        free(pre);
    } else {
        state_view_init(&v, &be);
        struct apply_ctx ctx = {.params = c->params,
                                .height = e->height,
                                .time = e->header.time,
                                .on_deadline = chain_fired_add,
                                .on_deadline_arg = c};
        c->n_fired = 0;
        ok = blockcheck_apply(&v, bp, &ctx, fault);
    }
    if (syncing)
        pthread_join(syncer, NULL);
    if (sync.result != BLOCKSTORE_OK) {
        /* A sync that failed is reported as the next one would report it. */
        char why[512];
        snprintf(why, sizeof why, "%s", sync.err[0] != '\0' ? sync.err
                                                             : blockstore_strerror(sync.result));
        chain_fatal(c, "cannot sync the block files", why);
        state_view_clear(&v);
        block_clear(&read);
        snprintf(err, errlen, "%s", why);
        return false;
    }
    bool broken = !ok && (fault->err == BLOCKERR_STORAGE || state_view_failed(&v));
    /* A block that breaks a stateless rule is refused for that rule, as
     * when all the checks ran before the apply. */
    if (!ok && !broken && pending && !chain_checks_settle(c))
        *fault = c->checks_fault;
    if (broken) {
        snprintf(err, errlen, "reading the chainstate failed while connecting a block");
        chain_fatal(c, "cannot connect a block", err);
    } else if (!ok) {
        chain_connect_refused(c, e, fault, invalid, err, errlen);
    }
    struct buf undo;
    buf_init(&undo);
    struct blockstore_pos upos;
    if (ok && !state_view_undo_encode(&v, &undo)) {
        snprintf(err, errlen, "out of memory encoding undo data");
        ok = false;
    }
    /* With nothing left for the workers (a block small enough for this
     * thread alone, or one whose txs were in the signature cache) there is
     * nothing to overlap: the verdict is taken now and the block takes the
     * ordinary path, without the early commit's extra index write. */
    if (ok && pending && !c->always_early && !checkqueue_busy(c->checkq)) {
        pending = false;
        if (!chain_checks_settle(c)) {
            *fault = c->checks_fault;
            chain_connect_refused(c, e, fault, invalid, err, errlen);
            ok = false;
        }
    }
    bool early = false;
    if (ok && pending) {
        /* The early commit (chain_early_run), on a thread of its own while
         * this one joins the signature checks: its syncs would otherwise
         * leave this thread's core idle. */
        struct chain_early job = {.c = c, .e = e, .v = &v, .undo = &undo};
        if (c->helper != NULL)
            worker_start(c->helper, chain_early_run, &job);
        else
            chain_early_run(&job);
        bool passed = chain_checks_join(c);
        if (c->helper != NULL)
            worker_wait(c->helper);
        if (!passed)
            chain_failed_note(c, c->fresh_hash);
        ok = job.ok;
        early = job.committed;
        upos = job.upos;
        if (!ok)
            snprintf(err, errlen, "%s", job.err);
        if (ok && !passed) {
            /* A block whose checks fail is taken back at once. */
            *fault = c->checks_fault;
            if (!chainstate_commit_disconnect(&c->cs, e->hash, undo.data, undo.len,
                                              e->prev->hash, e->prev->height, err, errlen)) {
                chain_fatal(c, "cannot take back the state of a block that failed its checks",
                            err);
            } else {
                blockindex_clear_status(&c->bi, e, BLOCK_CHECKS_PENDING);
                chain_connect_refused(c, e, fault, invalid, err, errlen);
            }
            ok = false;
        }
    } else if (ok) {
        ok = chain_store_undo(c, e, &undo, &upos, err, errlen);
    }
    if (ok) {
        blockindex_set_undo(&c->bi, e, upos);
        blockindex_clear_status(&c->bi, e, BLOCK_CHECKS_PENDING);
        blockindex_set_status(&c->bi, e, BLOCK_VALID_FULL);
        /* After an early commit this write need not be synced: if a power
         * cut takes it, the entry is found still marked at the next start
         * and the block is checked again. */
        ok = early ? chain_write_index(c, false, err, errlen) : chain_flush_index(c, err, errlen);
        if (ok && !early &&
            !chainstate_commit_connect(&c->cs, &v, e->hash, e->height, upos, err, errlen)) {
            chain_fatal(c, "cannot write the chainstate", err);
            ok = false;
        }
        if (ok)
            chain_crash_point(c, "chainstate-after-connect");
    }
    if (ok && !blockindex_chain_set_tip(&c->active, e)) {
        snprintf(err, errlen, "out of memory");
        ok = false;
    }
    if (ok)
        chain_notify(c, true, bp, e);
    buf_clear(&undo);
    state_view_clear(&v);
    block_clear(&read);
    return ok;
}

static bool chain_disconnect_tip(struct chain *c, char *err, size_t errlen)
{
    chain_preapply_take(c, NULL);
    struct blockindex_entry *tip = blockindex_chain_tip(&c->active);
    if (tip == NULL || tip->prev == NULL) {
        snprintf(err, errlen, "cannot disconnect the genesis block");
        return false;
    }
    struct block b;
    block_init(&b);
    struct buf undo;
    buf_init(&undo);
    struct blockstore_pos upos;
    bool found = false;
    bool ok = chain_read_block(c, tip, &b, err, errlen) &&
              chainstate_undo_pos(&c->cs, tip->hash, &upos, &found, err, errlen);
    if (ok && !found) {
        snprintf(err, errlen, "no undo record for the tip");
        ok = false;
    }
    if (ok)
        ok = blockstore_ok(blockstore_read_undo(&c->bs, upos, tip->hash, &undo, err, errlen), err,
                           errlen);
    if (ok) {
        chain_crash_point(c, "chainstate-before-disconnect");
        ok = chainstate_commit_disconnect(&c->cs, tip->hash, undo.data, undo.len, tip->prev->hash,
                                          tip->prev->height, err, errlen);
        if (ok)
            chain_crash_point(c, "chainstate-after-disconnect");
    }
    if (!ok)
        chain_fatal(c, "cannot disconnect the tip", err);
    if (ok && !blockindex_chain_set_tip(&c->active, tip->prev)) {
        snprintf(err, errlen, "out of memory");
        ok = false;
    }
    if (ok) {
        /* The block stays a candidate: if the new branch fails, it comes back. */
        if (!(tip->status & BLOCK_FAILED_MASK))
            blockindex_candidates_add(&c->cand, tip);
        chain_notify(c, false, &b, tip);
    }
    buf_clear(&undo);
    block_clear(&b);
    return ok;
}

/* Moves the active chain to the best candidate, repeatedly, until the tip
 * is the best valid branch. A block that fails to connect is marked invalid
 * and the next best branch (maybe the old one) is tried. fault/reason report
 * the first consensus failure met on the way, if any. */
static bool chain_activate_best(struct chain *c, struct block_fault *fault, bool *had_invalid,
                                char *err, size_t errlen)
{
    if (had_invalid != NULL)
        *had_invalid = false;
    for (;;) {
        struct blockindex_entry *tip = blockindex_chain_tip(&c->active);
        struct blockindex_entry *best = blockindex_candidates_best(&c->cand);
        if (best == NULL || best == tip || !blockindex_better(best, tip))
            break;
        if (!chain_branch_ready(c, best)) {
            blockindex_candidates_remove(&c->cand, best);
            continue;
        }
        struct blockindex_entry *fork = blockindex_chain_find_fork(&c->active, best);
        while (blockindex_chain_tip(&c->active) != fork)
            if (!chain_disconnect_tip(c, err, errlen))
                return false;
        /* Connect fork+1 .. best, in order. */
        size_t n = (size_t)(best->height - fork->height);
        struct blockindex_entry **path = malloc(n * sizeof *path);
        if (path == NULL) {
            snprintf(err, errlen, "out of memory");
            return false;
        }
        size_t k = n;
        for (struct blockindex_entry *e = best; e != fork; e = e->prev)
            path[--k] = e;
        bool ok = true;
        for (size_t i = 0; i < n; i++) {
            bool invalid = false;
            struct block_fault f;
            if (chain_interrupted(c, err, errlen)) {
                ok = false;
                break;
            }
            if (chain_connect(c, path[i], &invalid, &f, err, errlen))
                continue;
            if (!invalid) {
                ok = false;
            } else {
                if (had_invalid != NULL && !*had_invalid) {
                    *had_invalid = true;
                    if (fault != NULL)
                        *fault = f;
                }
                err[0] = '\0';
            }
            break;
        }
        free(path);
        if (!ok)
            return false;
        blockindex_candidates_prune(&c->cand, blockindex_chain_tip(&c->active));
    }
    return true;
}

/* ---- accepting blocks -------------------------------------------------- */

bool chain_read_block(struct chain *c, const struct blockindex_entry *e, struct block *out,
                      char *err, size_t errlen)
{
    if (!(e->status & BLOCK_HAVE_DATA)) {
        snprintf(err, errlen, "block data not available");
        return false;
    }
    err[0] = '\0';
    return blockstore_ok(blockstore_read_block(&c->bs, e->data_pos, e->hash, out, err, errlen),
                         err, errlen);
}

bool chain_read_block_bytes(struct chain *c, const struct blockindex_entry *e, struct buf *out,
                            char *err, size_t errlen)
{
    if (!(e->status & BLOCK_HAVE_DATA)) {
        snprintf(err, errlen, "block data not available");
        return false;
    }
    err[0] = '\0';
    return blockstore_ok(blockstore_read_block_bytes(&c->bs, e->data_pos, out, err, errlen), err,
                         errlen);
}

/* Checks a block against its parent and adds it to the index (with its
 * data at pos). Shared by new blocks and -reindex. */
/* Remembers a stored block that cannot be connected yet. Beyond the cap
 * the oldest is forgotten: its block stays stored and -reindex or a
 * restart (which rebuilds the candidates) still finds it. */
static bool chain_note_unlinked(struct chain *c, struct blockindex_entry *e)
{
    if (c->n_unlinked == c->cap_unlinked) {
        if (c->cap_unlinked >= 65536) {
            memmove(c->unlinked, c->unlinked + 1, (c->n_unlinked - 1) * sizeof *c->unlinked);
            c->n_unlinked--;
        } else if (!grow_array((void **)&c->unlinked, &c->cap_unlinked, c->n_unlinked + 1,
                               sizeof *c->unlinked, 64)) {
            return false;
        }
    }
    c->unlinked[c->n_unlinked++] = e;
    return true;
}

/* Moves every remembered block whose branch is now complete to the
 * candidates; drops those found invalid meanwhile. */
static bool chain_link_unlinked(struct chain *c)
{
    size_t k = 0;
    bool ok = true;
    for (size_t i = 0; i < c->n_unlinked; i++) {
        struct blockindex_entry *u = c->unlinked[i];
        if (u->status & BLOCK_FAILED_MASK)
            continue;
        if (ok && chain_branch_ready(c, u)) {
            if (blockindex_candidates_add(&c->cand, u))
                continue;
            ok = false;
        }
        c->unlinked[k++] = u;
    }
    c->n_unlinked = k;
    return ok;
}

bool chain_check_block(struct chain *c, const struct block *b, struct block_fault *fault)
{
    if (!blockcheck_block_rules(b, c->params, fault))
        return false;
    size_t index;
    enum txerr err;
    if (!checkqueue_check_txs(c->checkq, b->txs, b->tx_count, c->params->genesis.hash, &index,
                              &err)) {
        fault->err = BLOCKERR_BAD_TX;
        fault->txerr = err;
        fault->tx_index = index;
        return false;
    }
    fault->err = BLOCKERR_OK;
    return true;
}

unsigned chain_verify_threads(const struct chain *c)
{
    return checkqueue_threads(c->checkq);
}

/* Blocks refused for what their header commits to, remembered by hash. */
static bool chain_failed_known(const struct chain *c, const uint8_t hash[SHA256_LEN])
{
    for (size_t i = 0; i < CHAIN_FAILED_REMEMBERED; i++)
        if (memcmp(c->failed[i], hash, SHA256_LEN) == 0)
            return true;
    return false;
}

static void chain_mark_failed(struct chain *c, struct blockindex_entry *e);
static void chain_recompute_best_header(struct chain *c);

/* Remembers an invalid block's hash; a header of it already in the index
 * (headers-first) is marked invalid too, so sync stops asking for it. */
static void chain_failed_note(struct chain *c, const uint8_t hash[SHA256_LEN])
{
    memcpy(c->failed[c->failed_next], hash, SHA256_LEN);
    c->failed_next = (c->failed_next + 1) % CHAIN_FAILED_REMEMBERED;
    struct blockindex_entry *e = blockindex_find(&c->bi, hash);
    if (e != NULL && !(e->status & BLOCK_FAILED_MASK)) {
        chain_mark_failed(c, e);
        chain_recompute_best_header(c);
    }
}

/* Appends a block's encoding to the block files. It is encoded only here,
 * once the workers already check its txs. */
static bool chain_store_block(struct chain *c, const struct block *b, struct blockstore_pos *pos,
                              char *err, size_t errlen)
{
    if (!chain_usable(c, err, errlen))
        return false;
    struct buf bytes;
    buf_init(&bytes);
    if (!block_encode(b, &bytes)) {
        buf_clear(&bytes);
        snprintf(err, errlen, "out of memory");
        return false;
    }
    bool ok = blockstore_ok(blockstore_write_block(&c->bs, bytes.data, bytes.len, pos, err,
                                                   errlen),
                            err, errlen);
    buf_clear(&bytes);
    /* Nothing points at a failed record: the next one goes where it
     * began, and a restart cuts the file at the saved cursor. */
    if (!ok)
        chain_fatal(c, "cannot store a block", err);
    return ok;
}

/* Stores and indexes a block after its checks. With `overlap` (a block
 * handed to chain_process_block) that extends the active tip, only the
 * block-level rules are checked here: its transactions' checks are started
 * on the queue's workers and left pending for chain_connect (see
 * checks_pending). */
static enum chain_result chain_accept(struct chain *c, const struct block *b,
                                      const struct blockstore_pos *existing,
                                      bool overlap, struct block_fault *fault, char *reason,
                                      size_t reasonlen)
{
    uint8_t hash[SHA256_LEN];
    block_hash(b, hash);
    /* The ring first: a block whose transactions failed their checks may
     * be stored (they ran while it was written), and its sender is treated
     * as one sending any other block known to break a stateless rule. */
    if (chain_failed_known(c, hash)) {
        fault->err = BLOCKERR_OK;
        snprintf(reason, reasonlen, "duplicate-invalid");
        return CHAIN_INVALID;
    }
    struct blockindex_entry *known = blockindex_find(&c->bi, hash);
    if (known != NULL && (known->status & BLOCK_HAVE_DATA)) {
        snprintf(reason, reasonlen, "%s",
                 (known->status & BLOCK_FAILED_MASK) ? "duplicate-invalid" : "duplicate");
        return CHAIN_DUPLICATE;
    }
    /* What the header alone decides comes first: a block whose parent is
     * unknown or invalid, or whose bits or time are wrong, costs no
     * signature check. */
    struct blockindex_entry *prev = blockindex_find(&c->bi, b->header.prev_hash);
    if (prev == NULL) {
        snprintf(reason, reasonlen, "prev-blk-not-found");
        return CHAIN_ORPHAN;
    }
    if (prev->status & BLOCK_FAILED_MASK) {
        fault->err = BLOCKERR_OK;
        snprintf(reason, reasonlen, "bad-prevblk");
        return CHAIN_INVALID;
    }
    if (!blockcheck_header_context(&b->header, c->params, prev->height,
                                   (int64_t)prev->header.time,
                                   (int64_t)blockindex_median_time_past(prev), time_now(),
                                   fault)) {
        snprintf(reason, reasonlen, "%s", blockerr_reason(fault->err));
        if (fault->err != BLOCKERR_TIME_TOO_NEW)
            chain_failed_note(c, hash);
        return CHAIN_INVALID;
    }
    overlap = overlap && existing == NULL && prev == blockindex_chain_tip(&c->active) &&
              chain_verify_threads(c) > 1;
    bool checked;
    if (overlap) {
        /* The workers start on the txs once the frame (size, proof of work,
         * coinbase position) has passed; the merkle root and the txids are
         * checked meanwhile, and a block that breaks them abandons the
         * txs' check, so the verdict is the one of the serial order. */
        checked = blockcheck_block_frame(b, c->params, fault);
        if (checked) {
            checkqueue_start(c->checkq, b->txs, b->tx_count, c->params->genesis.hash);
            chain_preapply_start(c, b, prev, hash);
            checked = blockcheck_block_txids(b, fault);
            if (!checked) {
                checkqueue_cancel(c->checkq);
                chain_preapply_take(c, NULL);
            }
        }
        if (checked) {
            c->checks_pending = true;
            c->checks_failed = false;
            memcpy(c->fresh_hash, hash, SHA256_LEN);
        }
    } else {
        checked = chain_check_block(c, b, fault);
    }
    if (!checked) {
        snprintf(reason, reasonlen, "%s", fault->err == BLOCKERR_BAD_TX
                                              ? txerr_reason(fault->txerr)
                                              : blockerr_reason(fault->err));
        /* Only failures found after the merkle root matched belong to these
         * bytes' hash: a block whose txs were tampered with shares its
         * header (and hash) with the real one. */
        if (fault->err == BLOCKERR_BAD_TX || fault->err == BLOCKERR_DUPLICATE_TX)
            chain_failed_note(c, hash);
        return CHAIN_INVALID;
    }
    struct blockstore_pos pos;
    if (existing != NULL)
        pos = *existing;
    else if (!chain_store_block(c, b, &pos, reason, reasonlen))
        return CHAIN_ERROR;
    struct blockindex_entry *e;
    bool added;
    enum blockindex_err be = blockindex_add(&c->bi, &b->header, BLOCK_VALID_TREE, &e, &added);
    if (be != BLOCKINDEX_OK) {
        snprintf(reason, reasonlen, "block index: %s", blockindex_strerror(be));
        return CHAIN_ERROR;
    }
    blockindex_set_data(&c->bi, e, pos, (uint32_t)b->tx_count);
    blockindex_set_status(&c->bi, e, BLOCK_VALID_TREE);
    chain_note_header(c, e);
    if (chain_branch_ready(c, e) ? !blockindex_candidates_add(&c->cand, e) ||
                                       !chain_link_unlinked(c)
                                 : !chain_note_unlinked(c, e)) {
        snprintf(reason, reasonlen, "out of memory");
        return CHAIN_ERROR;
    }
    fault->err = BLOCKERR_OK;
    return CHAIN_OK;
}

enum chain_result chain_process_block(struct chain *c, const struct block *b,
                                      struct block_fault *fault, char *reason, size_t reasonlen)
{
    struct block_fault local;
    if (fault == NULL)
        fault = &local;
    fault->err = BLOCKERR_OK;
    reason[0] = '\0';
    enum chain_result r = chain_accept(c, b, NULL, true, fault, reason, reasonlen);
    if (r != CHAIN_OK) {
        chain_preapply_take(c, NULL);
        chain_checks_settle(c);
        c->checks_failed = false;
        return r;
    }
    char err[512] = "";
    /* With checks pending, the index is flushed once they pass (in
     * chain_connect): flushing now would wait for them. */
    if (!c->checks_pending && !chain_flush_index(c, err, sizeof err)) {
        snprintf(reason, reasonlen, "%s", err);
        return CHAIN_ERROR;
    }
    uint8_t hash[SHA256_LEN];
    block_hash(b, hash);
    bool had_invalid = false;
    struct block_fault f;
    c->fresh = b;
    memcpy(c->fresh_hash, hash, SHA256_LEN);
    bool activated = chain_activate_best(c, &f, &had_invalid, err, sizeof err);
    /* Activation stopped before the block (a failure, another branch): its
     * checks end here, and a block that failed them is remembered. */
    if (c->checks_pending && !chain_checks_settle(c) && activated &&
        !chain_flush_index(c, err, sizeof err))
        activated = false;
    chain_preapply_take(c, NULL);
    bool checks_failed = c->checks_failed;
    c->checks_failed = false;
    c->fresh = NULL;
    if (!activated) {
        snprintf(reason, reasonlen, "%s", err);
        return CHAIN_ERROR;
    }
    /* The block itself (or an ancestor it needed) may have failed to connect. */
    struct blockindex_entry *e = blockindex_find(&c->bi, hash);
    if (checks_failed) {
        *fault = c->checks_fault;
        snprintf(reason, reasonlen, "%s", txerr_reason(fault->txerr));
        return CHAIN_INVALID;
    }
    if (e != NULL && (e->status & BLOCK_FAILED_MASK)) {
        *fault = f;
        if (had_invalid)
            snprintf(reason, reasonlen, "%s", f.err == BLOCKERR_BAD_TX ? txerr_reason(f.txerr)
                                                                       : blockerr_reason(f.err));
        else
            snprintf(reason, reasonlen, "bad-prevblk");
        return CHAIN_INVALID;
    }
    return CHAIN_OK;
}

enum chain_result chain_process_headers(struct chain *c, const struct block_header *h, size_t n,
                                        struct blockindex_entry **last,
                                        struct block_fault *fault, char *reason,
                                        size_t reasonlen)
{
    struct block_fault local;
    if (fault == NULL)
        fault = &local;
    fault->err = BLOCKERR_OK;
    reason[0] = '\0';
    *last = NULL;
    struct u256 limit;
    chainparams_pow_limit(c->params, &limit);
    enum chain_result r = CHAIN_OK;
    bool added_any = false;
    for (size_t i = 0; i < n; i++) {
        uint8_t hash[SHA256_LEN];
        block_header_hash(&h[i], hash);
        struct blockindex_entry *known = blockindex_find(&c->bi, hash);
        if (known != NULL) {
            if (known->status & BLOCK_FAILED_MASK) {
                snprintf(reason, reasonlen, "duplicate-invalid");
                r = CHAIN_INVALID;
                break;
            }
            *last = known;
            continue;
        }
        struct blockindex_entry *prev = blockindex_find(&c->bi, h[i].prev_hash);
        if (prev == NULL) {
            snprintf(reason, reasonlen, "prev-blk-not-found");
            r = CHAIN_ORPHAN;
            break;
        }
        if (prev->status & BLOCK_FAILED_MASK) {
            snprintf(reason, reasonlen, "bad-prevblk");
            r = CHAIN_INVALID;
            break;
        }
        if (pow_check(hash, h[i].bits, &limit) != POW_OK) {
            fault->err = BLOCKERR_HIGH_HASH;
            snprintf(reason, reasonlen, "%s", blockerr_reason(fault->err));
            r = CHAIN_INVALID;
            break;
        }
        if (!blockcheck_header_context(&h[i], c->params, prev->height, (int64_t)prev->header.time,
                                       (int64_t)blockindex_median_time_past(prev), time_now(),
                                       fault)) {
            snprintf(reason, reasonlen, "%s", blockerr_reason(fault->err));
            r = CHAIN_INVALID;
            break;
        }
        struct blockindex_entry *e;
        bool added;
        enum blockindex_err be = blockindex_add(&c->bi, &h[i], BLOCK_VALID_TREE, &e, &added);
        if (be != BLOCKINDEX_OK) {
            snprintf(reason, reasonlen, "block index: %s", blockindex_strerror(be));
            r = CHAIN_ERROR;
            break;
        }
        added_any = true;
        chain_note_header(c, e);
        *last = e;
    }
    char err[512] = "";
    if (added_any && !chain_flush_index(c, err, sizeof err) && r == CHAIN_OK) {
        snprintf(reason, reasonlen, "%s", err);
        r = CHAIN_ERROR;
    }
    return r;
}

void chain_antidos_work(struct chain *c, struct u256 *out)
{
    const struct blockindex_entry *tip = chain_tip(c);
    struct u256 near_tip, margin;
    u256_from_u64(&near_tip, 0);
    /* A margin larger than the tip's whole work (a young chain, or an
     * overflow on a degenerate target) leaves zero: only the minimum then
     * applies. u256_sub leaves near_tip untouched when it fails. */
    if (tip != NULL && pow_block_work(tip->header.bits, &margin) == POW_OK &&
        u256_mul_u64(&margin, &margin, CHAIN_ANTIDOS_MARGIN_BLOCKS))
        (void)u256_sub(&near_tip, &tip->chainwork, &margin);
    *out = u256_cmp(&near_tip, &c->min_chain_work) > 0 ? near_tip : c->min_chain_work;
}

bool chain_headers_claimed_work(struct chain *c, const struct block_header *h, size_t n,
                                struct u256 *out)
{
    if (n == 0)
        return false;
    const struct blockindex_entry *parent = blockindex_find(&c->bi, h[0].prev_hash);
    if (parent == NULL || (parent->status & BLOCK_FAILED_MASK))
        return false;
    struct u256 total = parent->chainwork;
    for (size_t i = 0; i < n; i++) {
        struct u256 work;
        if (pow_block_work(h[i].bits, &work) != POW_OK)
            return false;
        /* A sum past 2^256 claims more than any chain can have: enough. */
        if (!u256_add(&total, &total, &work)) {
            for (size_t k = 0; k < 4; k++)
                total.w[k] = UINT64_MAX;
            break;
        }
    }
    *out = total;
    return true;
}

size_t chain_locator(struct chain *c, const struct blockindex_entry *from, uint8_t (*out)[32],
                     size_t max)
{
    struct blockindex_entry *e = (struct blockindex_entry *)(from != NULL ? from : chain_tip(c));
    size_t n = 0;
    uint64_t step = 1;
    while (e != NULL && n + 1 < max) {
        memcpy(out[n++], e->hash, SHA256_LEN);
        if (e->height == 0)
            return n;
        /* The last ten blocks one by one, then doubling steps back. */
        if (n >= 10)
            step *= 2;
        uint64_t h = e->height > step ? e->height - step : 0;
        e = blockindex_ancestor(e, h);
    }
    struct blockindex_entry *genesis = blockindex_chain_genesis(&c->active);
    memcpy(out[n++], genesis->hash, SHA256_LEN);
    return n;
}

struct blockindex_entry *chain_locator_fork(struct chain *c, const uint8_t (*hashes)[32], size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct blockindex_entry *e = blockindex_find(&c->bi, hashes[i]);
        if (e != NULL && blockindex_chain_contains(&c->active, e))
            return e;
    }
    return blockindex_chain_genesis(&c->active);
}

struct blockindex_entry *chain_best_header(struct chain *c)
{
    if (c->best_header == NULL || (c->best_header->status & BLOCK_FAILED_MASK)) {
        chain_recompute_best_header(c);
    } else {
        /* Entries are never removed and keep their order: only those added
         * since the last look can be better (whoever added them). */
        size_t n = blockindex_count(&c->bi);
        for (size_t i = c->best_header_seen; i < n; i++)
            chain_note_header(c, blockindex_entry_at(&c->bi, i));
        c->best_header_seen = n;
    }
    return c->best_header != NULL ? c->best_header : chain_tip(c);
}

/* ---- start-up ----------------------------------------------------------- */

static bool chain_add_genesis(struct chain *c, const struct blockstore_pos *existing, char *err,
                              size_t errlen)
{
    struct block g;
    block_init(&g);
    struct buf bytes;
    buf_init(&bytes);
    bool ok = chainparams_build_genesis(c->params, &g) && block_encode(&g, &bytes);
    if (!ok)
        snprintf(err, errlen, "out of memory building the genesis block");
    struct blockstore_pos pos;
    if (ok && existing != NULL)
        pos = *existing;
    else if (ok)
        ok = blockstore_ok(blockstore_write_block(&c->bs, bytes.data, bytes.len, &pos, err, errlen),
                           err, errlen);
    struct blockindex_entry *e = NULL;
    bool added;
    if (ok && blockindex_add(&c->bi, &g.header, BLOCK_VALID_TREE | BLOCK_VALID_FULL, &e, &added) !=
                  BLOCKINDEX_OK) {
        snprintf(err, errlen, "cannot index the genesis block");
        ok = false;
    }
    if (ok) {
        blockindex_set_data(&c->bi, e, pos, (uint32_t)g.tx_count);
        ok = chain_flush_index(c, err, errlen);
    }
    if (ok && !c->cs.has_best)
        ok = chainstate_init_genesis(&c->cs, e->hash, err, errlen);
    buf_clear(&bytes);
    block_clear(&g);
    return ok;
}

/* -reindex: rebuild the index from every record of the block files. Blocks
 * whose parent comes later in the files wait in a pending list. */
static bool chain_reindex(struct chain *c, char *err, size_t errlen)
{
    LOG_INFO(LOG_CAT_REINDEX, "reindexing from the block files");
    struct pending {
        struct block b;
        struct blockstore_pos pos;
    } *pend = NULL;
    size_t npend = 0, cap = 0;
    uint64_t accepted = 0;
    bool ok = true;
    for (uint32_t file = 0; ok; file++) {
        struct blockstore_scan sc;
        enum blockstore_err be = blockstore_scan_open(&c->bs, file, &sc, err, errlen);
        if (be == BLOCKSTORE_ERR_NO_FILE) {
            err[0] = '\0';
            break;
        }
        if (!blockstore_ok(be, err, errlen))
            return false;
        for (;;) {
            if (chain_interrupted(c, err, errlen)) {
                ok = false;
                break;
            }
            struct blockstore_pos pos;
            const uint8_t *bytes;
            size_t len;
            bool end = false;
            struct block b;
            block_init(&b);
            be = blockstore_scan_next(&sc, &pos, &bytes, &len, &b, &end, err, errlen);
            if (be != BLOCKSTORE_OK || end) {
                block_clear(&b);
                ok = be == BLOCKSTORE_OK || blockstore_ok(be, err, errlen);
                break;
            }
            uint8_t hash[SHA256_LEN];
            block_hash(&b, hash);
            if (memcmp(hash, c->params->genesis.hash, SHA256_LEN) == 0) {
                if (blockindex_root(&c->bi) == NULL)
                    ok = chain_add_genesis(c, &pos, err, errlen);
                block_clear(&b);
                if (!ok)
                    break;
                continue;
            }
            if (!grow_array((void **)&pend, &cap, npend + 1, sizeof *pend, 64)) {
                block_clear(&b);
                snprintf(err, errlen, "out of memory");
                ok = false;
                break;
            }
            pend[npend].b = b;
            pend[npend].pos = pos;
            npend++;
        }
        blockstore_scan_close(&sc);
    }
    if (ok && blockindex_root(&c->bi) == NULL)
        ok = chain_add_genesis(c, NULL, err, errlen);
    /* Accept pending blocks whose parent is known, in file order, until no
     * progress; those left wait for the next pass in the same order, so
     * files written in chain order take a single pass. */
    for (bool progress = true; ok && progress;) {
        progress = false;
        size_t k = 0;
        for (size_t i = 0; i < npend; i++) {
            if (ok && chain_interrupted(c, err, errlen))
                ok = false;
            if (!ok || blockindex_find(&c->bi, pend[i].b.header.prev_hash) == NULL) {
                pend[k++] = pend[i];
                continue;
            }
            struct block_fault f;
            char reason[256];
            enum chain_result r = chain_accept(c, &pend[i].b, &pend[i].pos, false, &f, reason,
                                               sizeof reason);
            if (r == CHAIN_ERROR) {
                snprintf(err, errlen, "%s", reason);
                ok = false;
                pend[k++] = pend[i];
                continue;
            }
            accepted += r == CHAIN_OK;
            block_clear(&pend[i].b);
            progress = true;
        }
        npend = k;
    }
    for (size_t i = 0; i < npend; i++)
        block_clear(&pend[i].b);
    free(pend);
    if (ok)
        ok = chain_flush_index(c, err, errlen);
    LOG_INFO(LOG_CAT_REINDEX, "reindex found %llu blocks besides the genesis block",
             (unsigned long long)accepted);
    return ok;
}

static bool chain_open_db(const char *path, size_t cache, bool wipe, struct db **out, char *err,
                          size_t errlen)
{
    struct db_options opt;
    db_options_default(&opt);
    opt.cache_bytes = cache;
    opt.create_if_missing = true;
    opt.wipe = wipe;
    return db_open(path, &opt, out, err, errlen);
}

static void chain_progress(const struct chain_options *opt, const char *what)
{
    if (opt->progress != NULL)
        opt->progress(opt->progress_ctx, what);
}

/* Whether the block files hold anything (an index that lost its data next
 * to them must be rebuilt, not started afresh). */
static bool chain_files_have_data(const struct chain *c)
{
    struct blockstore_cursor cur;
    blockstore_get_cursor(&c->bs, &cur);
    return cur.blk_file > 0 || cur.blk_size > 0;
}

/* Blocks whose txs' checks a crash cut off (stored with
 * BLOCK_CHECKS_PENDING by the early commit, chain_connect): the chainstate
 * is taken back from such a block if it is the tip, and each is checked
 * again as a block that arrives, so nothing reaches the chain on checks
 * that never ended. */
static bool chain_recheck_pending(struct chain *c, char *err, size_t errlen)
{
    struct blockindex_entry *tip = blockindex_chain_tip(&c->active);
    if ((tip->status & BLOCK_CHECKS_PENDING) && !chain_disconnect_tip(c, err, errlen))
        return false;
    bool any = false;
    for (size_t i = 0; i < blockindex_count(&c->bi); i++) {
        struct blockindex_entry *e = blockindex_entry_at(&c->bi, i);
        if (!(e->status & BLOCK_CHECKS_PENDING))
            continue;
        any = true;
        struct block b;
        block_init(&b);
        struct block_fault f;
        bool read = chain_read_block(c, e, &b, err, errlen);
        bool valid = read && chain_check_block(c, &b, &f);
        block_clear(&b);
        if (!read)
            return false;
        char hex[2 * SHA256_LEN + 1];
        hash_hex(e->hash, hex);
        LOG_INFO(LOG_CAT_VALIDATION, "block %s at height %llu, stored before its checks ended, "
                 "was checked again: %s", hex, (unsigned long long)e->height,
                 valid ? "valid" : f.err == BLOCKERR_BAD_TX ? txerr_reason(f.txerr)
                                                            : blockerr_reason(f.err));
        blockindex_clear_status(&c->bi, e, BLOCK_CHECKS_PENDING);
        if (!valid)
            chain_mark_failed(c, e);
    }
    return !any || chain_flush_index(c, err, errlen);
}

bool chain_open(struct chain **out, const struct chain_params *params, const char *datadir,
                const struct chain_options *opt, char *err, size_t errlen)
{
    err[0] = '\0';
    struct chain *c = calloc(1, sizeof *c);
    if (c == NULL) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    c->params = params;
    c->interrupt = opt->interrupt;
    c->always_early = opt->always_early_commit;
    c->min_chain_work = opt->min_chain_work;
    c->fatal = opt->fatal;
    c->fatal_ctx = opt->fatal_ctx;
    c->loading = true;
    snprintf(c->datadir, sizeof c->datadir, "%s", datadir);
    blockindex_init(&c->bi);
    blockindex_chain_init(&c->active);
    blockindex_candidates_init(&c->cand);
    chain_progress(opt, opt->reindex ? "Reindexing blocks\xe2\x80\xa6" : "Loading block index\xe2\x80\xa6");
    unsigned threads = opt->verify_threads != 0 ? opt->verify_threads : checkqueue_cpu_count();
    if (!checkqueue_new(threads, &c->checkq)) {
        snprintf(err, errlen, "cannot start %u signature verification threads", threads);
        chain_close(c);
        return false;
    }
    /* Without the helper thread, the fresh block's apply and the early
     * commit's writes run on the calling thread, as one of them alone. */
    if (threads > 1 && !worker_new(&c->helper))
        c->helper = NULL;
    LOG_INFO(LOG_CAT_VALIDATION, "checking block signatures on %u thread%s",
             checkqueue_threads(c->checkq), checkqueue_threads(c->checkq) == 1 ? "" : "s");

    char path[CHAIN_PATH_MAX + 32];
    size_t cache = opt->cache_bytes / 4;
    bool ok = true;
    bool reindex = opt->reindex;
    snprintf(path, sizeof path, "%s/blocks", datadir);
    ok = make_dir(path, err, errlen);
    /* The block files are the record: a database that cannot be opened (a
     * crash while -reindex deleted its files, a damaged file, an older
     * format) is rebuilt from them rather than a reason to refuse to
     * start. The chainstate is tried first, without wiping anything. */
    char cs_path[CHAIN_PATH_MAX + 32];
    snprintf(cs_path, sizeof cs_path, "%s/chainstate", datadir);
    bool cs_open = false;
    if (ok && !reindex) {
        char why[256] = "";
        cs_open = chainstate_open(&c->cs, cs_path, cache * 2, false, why, sizeof why);
        if (!cs_open) {
            LOG_WARN(LOG_CAT_REINDEX, "the chainstate cannot be opened (%s): reindexing from the "
                     "block files", why);
            reindex = true;
        }
    }
    char index_path[CHAIN_PATH_MAX + 32];
    snprintf(index_path, sizeof index_path, "%s/blocks/index", datadir);
    if (ok && !chain_open_db(index_path, cache, reindex, &c->index_db, err, errlen)) {
        LOG_WARN(LOG_CAT_REINDEX, "the block index cannot be opened (%s): rebuilding it from the "
                 "block files", err);
        err[0] = '\0';
        reindex = true;
        ok = chain_open_db(index_path, cache, true, &c->index_db, err, errlen);
    }
    struct blockindex_meta meta;
    bool has_meta = false;
    if (ok) {
        enum blockindex_err be = blockindex_load(&c->bi, c->index_db, &meta, &has_meta, err, errlen);
        if (be != BLOCKINDEX_OK) {
            if (err[0] == '\0')
                snprintf(err, errlen, "block index: %s", blockindex_strerror(be));
            ok = false;
        }
    }
    bool resume = ok && !reindex && has_meta && (meta.flags & BLOCKINDEX_FLAG_REINDEXING);
    if (resume) {
        LOG_INFO(LOG_CAT_REINDEX, "a -reindex did not finish: starting it again");
        reindex = true;
    }
    snprintf(path, sizeof path, "%s/blocks", datadir);
    if (ok) {
        /* Reindexing reads every record there is; otherwise what lies past
         * the index's cursor was never indexed and is cut off. */
        enum blockstore_err be = blockstore_open(&c->bs, path, params->magic,
                                                 has_meta && !reindex ? &meta.cursor : NULL, err,
                                                 errlen);
        ok = blockstore_ok(be, err, errlen);
        c->bs_open = ok;
    }
    if (ok && !reindex && !has_meta && chain_files_have_data(c)) {
        /* A crash between wiping the index for -reindex and its first
         * flush, or a deleted index: the blocks are still there. */
        LOG_INFO(LOG_CAT_REINDEX, "the block index is empty but the block files are not: "
                                  "rebuilding it from them");
        reindex = true;
    }
    if (ok && reindex && !opt->reindex) {
        chain_progress(opt, "Reindexing blocks\xe2\x80\xa6");
        blockindex_clear(&c->bi);
        blockindex_init(&c->bi);
        db_close(c->index_db);
        c->index_db = NULL;
        ok = chain_open_db(index_path, cache, true, &c->index_db, err, errlen);
    }
    if (ok && reindex) {
        /* The mark goes to disk before the chainstate is wiped. */
        c->reindexing = true;
        ok = chain_flush_index(c, err, errlen);
    }
    if (ok && reindex && cs_open) {
        chainstate_close(&c->cs);
        cs_open = false;
    }
    ok = ok && (cs_open || chainstate_open(&c->cs, cs_path, cache * 2, reindex, err, errlen));
    snprintf(path, sizeof path, "%s/indexes", datadir);
    if (ok && !chain_open_db(path, cache, reindex, &c->idx_db, err, errlen)) {
        /* The indexes are rebuilt from the blocks by their own thread: a
         * database that cannot be opened is no reason to refuse to start. */
        LOG_WARN(LOG_CAT_VALIDATION, "the indexes database cannot be opened (%s): rebuilding it",
                 err);
        err[0] = '\0';
        ok = chain_open_db(path, cache, true, &c->idx_db, err, errlen);
    }

    if (ok && reindex) {
        ok = chain_reindex(c, err, errlen);
        if (ok) {
            c->reindexing = false;
            ok = chain_flush_index(c, err, errlen);
        }
    } else if (ok && blockindex_root(&c->bi) == NULL) {
        ok = chain_add_genesis(c, NULL, err, errlen);
    }
    if (ok && memcmp(blockindex_root(&c->bi)->hash, params->genesis.hash, SHA256_LEN) != 0) {
        snprintf(err, errlen, "the block index belongs to another network");
        ok = false;
    }
    if (ok && !c->cs.has_best)
        ok = chainstate_init_genesis(&c->cs, params->genesis.hash, err, errlen);
    if (ok) {
        struct blockindex_entry *tip = blockindex_find(&c->bi, c->cs.best_hash);
        if (tip == NULL || tip->height != c->cs.best_height) {
            snprintf(err, errlen, "the chainstate's best block is not in the block index "
                                  "(restart with -reindex)");
            ok = false;
        } else if (!blockindex_chain_set_tip(&c->active, tip)) {
            snprintf(err, errlen, "out of memory");
            ok = false;
        }
    }
    ok = ok && chain_recheck_pending(c, err, errlen);
    if (ok)
        chain_recompute_best_header(c);
    if (ok && !chain_rebuild_candidates(c)) {
        snprintf(err, errlen, "out of memory");
        ok = false;
    }
    if (ok)
        chain_progress(opt, "Activating best chain\xe2\x80\xa6");
    ok = ok && chain_activate_best(c, NULL, NULL, err, errlen);
    /* A write that failed where loading could go on (storing the mark of
     * an invalid block) still fails the start. */
    if (ok && c->broken) {
        snprintf(err, errlen, "%s", c->fatal_msg);
        ok = false;
    }
    if (!ok) {
        chain_close(c);
        return false;
    }
    c->loading = false;
    LOG_INFO(LOG_CAT_VALIDATION, "chain loaded: %zu headers, tip height %lld",
             blockindex_count(&c->bi), (long long)blockindex_chain_height(&c->active));
    *out = c;
    return true;
}

void chain_close(struct chain *c)
{
    if (c == NULL)
        return;
    free(c->unlinked);
    free(c->fired);
    char err[256];
    /* After a failed write, what memory holds may point at records that
     * never reached the disk: nothing more is flushed. */
    if (c->index_db != NULL && c->bs_open && !c->broken)
        chain_flush_index(c, err, sizeof err);
    if (c->bs_open) {
        blockstore_flush(&c->bs, err, sizeof err);
        blockstore_close(&c->bs);
    }
    if (c->idx_db != NULL)
        db_close(c->idx_db);
    chainstate_close(&c->cs);
    if (c->index_db != NULL)
        db_close(c->index_db);
    blockindex_candidates_clear(&c->cand);
    blockindex_chain_clear(&c->active);
    blockindex_clear(&c->bi);
    worker_free(c->helper);
    checkqueue_free(c->checkq);
    free(c);
}

/* ---- queries -------------------------------------------------------------- */

bool chain_add_listener(struct chain *c, const struct chain_listener *l)
{
    if (c->n_listeners == CHAIN_MAX_LISTENERS)
        return false;
    c->listeners[c->n_listeners++] = *l;
    return true;
}

const struct chain_params *chain_params(const struct chain *c)
{
    return c->params;
}

struct blockindex *chain_index(struct chain *c)
{
    return &c->bi;
}

const struct blockindex_chain *chain_active(const struct chain *c)
{
    return &c->active;
}

struct blockindex_entry *chain_tip(const struct chain *c)
{
    return blockindex_chain_tip(&c->active);
}

void chain_tip_backend(struct chain *c, struct state_backend *out)
{
    chainstate_backend(&c->cs, out);
}

bool chain_state_info(struct chain *c, struct chainstate_info *out, char *err, size_t errlen)
{
    return chainstate_info(&c->cs, out, err, errlen);
}

bool chain_state_scan(struct chain *c, const void *prefix, size_t plen, chainstate_scan_fn fn,
                      void *ctx, char *err, size_t errlen)
{
    return chainstate_scan(&c->cs, prefix, plen, fn, ctx, err, errlen);
}

bool chain_find_tx(struct chain *c, const uint8_t txid[SHA256_LEN],
                   struct blockindex_entry **block, uint32_t *position, bool *found, char *err,
                   size_t errlen)
{
    struct txindex_loc loc;
    if (!txindex_find_tx(c->idx_db, txid, &loc, found, err, errlen))
        return false;
    if (*found) {
        *block = blockindex_find(&c->bi, loc.block_hash);
        *position = loc.position;
        *found = *block != NULL;
    }
    return true;
}

bool chain_account_history(struct chain *c, const uint8_t pubkey[32], uint64_t skip,
                           size_t count, struct txindex_hist **out, size_t *n, char *err,
                           size_t errlen)
{
    return txindex_history(c->idx_db, pubkey, skip, count, out, n, err, errlen);
}

bool chain_account_history_after(struct chain *c, const uint8_t pubkey[32],
                                 const struct txindex_cursor *after, size_t count,
                                 struct txindex_hist **out, size_t *n, char *err, size_t errlen)
{
    return txindex_history_after(c->idx_db, pubkey, after, count, out, n, err, errlen);
}

/* ---- invalidate / reconsider ------------------------------------------- */

bool chain_invalidate(struct chain *c, const uint8_t hash[SHA256_LEN], char *err, size_t errlen)
{
    err[0] = '\0';
    if (!chain_usable(c, err, errlen))
        return false;
    struct blockindex_entry *e = blockindex_find(&c->bi, hash);
    if (e == NULL) {
        snprintf(err, errlen, "Block not found");
        return false;
    }
    if (e->prev == NULL) {
        snprintf(err, errlen, "cannot invalidate the genesis block");
        return false;
    }
    while (blockindex_chain_contains(&c->active, e))
        if (!chain_disconnect_tip(c, err, errlen))
            return false;
    chain_mark_failed(c, e);
    chain_recompute_best_header(c);
    return chain_flush_index(c, err, errlen) && chain_rebuild_candidates(c) &&
           chain_activate_best(c, NULL, NULL, err, errlen);
}

bool chain_reconsider(struct chain *c, const uint8_t hash[SHA256_LEN], char *err, size_t errlen)
{
    err[0] = '\0';
    if (!chain_usable(c, err, errlen))
        return false;
    struct blockindex_entry *e = blockindex_find(&c->bi, hash);
    if (e == NULL) {
        snprintf(err, errlen, "Block not found");
        return false;
    }
    for (size_t i = 0; i < blockindex_count(&c->bi); i++) {
        struct blockindex_entry *d = blockindex_entry_at(&c->bi, i);
        if (d->height >= e->height && blockindex_ancestor(d, e->height) == e)
            blockindex_clear_status(&c->bi, d, BLOCK_FAILED_MASK);
    }
    for (struct blockindex_entry *a = e->prev; a != NULL; a = a->prev)
        if (a->status & BLOCK_FAILED_MASK)
            blockindex_clear_status(&c->bi, a, BLOCK_FAILED_MASK);
    chain_recompute_best_header(c);
    return chain_flush_index(c, err, errlen) && chain_rebuild_candidates(c) &&
           chain_activate_best(c, NULL, NULL, err, errlen);
}
