#include "plugins/market/market_rank.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const double market_rank_weights[MARKET_RANK_COLUMNS] = {10.0, 1.0, 3.0, 5.0};

#define COLLECT_FN "souk_market_collect"
#define JOB_TYPE "souk-market-rank-job"
/* Lengths for more matches than 1/SCAN_SHARE of the table's rows are
 * taken from the connection's copy of every row's length (read in one pass
 * over %_docsize when it is not current); fewer are looked up one by one (a
 * lookup costs about as much as stepping over six rows). */
#define SCAN_SHARE 6
/* Rowids above this are not kept in the copy (listing keys count up from
 * 1, one per listing ever created). */
#define LENGTHS_MAX_ROWID ((int64_t)1 << 26)
/* Queries of more words are ranked through SQL (a query's text holds at
 * most about 250). */
#define MAX_PHRASES 64
/* Phrases whose match counts a connection remembers between blocks, and
 * the longest phrase text remembered. */
#define COUNTS_KEPT 256
#define COUNT_WORD_MAX 48

/* How many rows a phrase matches, as the index was at (changes, version). */
struct phrase_count {
    char word[COUNT_WORD_MAX + 1];
    sqlite3_int64 hits;
};

/* The connection's copy of every row's length in tokens (the auxiliary
 * function's user data, freed with the connection). It is current while
 * nothing was written through the connection (sqlite3_total_changes) and
 * no other connection committed (PRAGMA data_version) since it was read:
 * the index changes once per block, and searches in between share it. */
struct lengths {
    int *len;  /* by rowid; -1: no row */
    int64_t n;
    bool valid;
    int changes;
    int64_t data_version;
    /* Rows looked up one by one since the copy was last read: once they
     * cost as much as reading it, it is read (searches of a few matches
     * each, many of them between two blocks, end up sharing it too). */
    uint64_t looked_up;
    /* Match counts of phrases searched since the index last changed: a
     * search of phrases all counted before orders its walks without
     * counting them again (which costs a walk over each). */
    struct phrase_count counts[COUNTS_KEPT];
    size_t n_counts, next_count;
    int counts_changes;
    int64_t counts_version;
};

/* One phrase's matches that every phrase gathered before it (and the
 * caller's filter) also match, in rowid order, each with the weighted count
 * of the phrase's instances in it (bm25's "phrase frequency"); and how
 * many rows the phrase matches in all (for its IDF). */
struct plist {
    int64_t *k;
    double *f;
    size_t n, cap;
    sqlite3_int64 hits;
};

/* One walk over a phrase's matches: into out, the ones in keep (NULL:
 * all); with count_only, only counting, and stopping above limit. */
struct pass {
    struct plist *out;
    const int64_t *keep;
    size_t n_keep, pos;
    bool count_only;
    sqlite3_int64 limit;
};

struct cands;

/* What the auxiliary function gathers on the query's first row. */
struct job {
    bool called, use_sql;
    int rc;
    int n_phrases;
    struct plist *lists;
    sqlite3_int64 n_row, n_token;
    struct lengths *lengths;
    const int64_t *allowed;  /* the caller's filter (NULL: none) */
    size_t n_allowed;
    bool empty;  /* no row matches every phrase (the rest was not walked) */
    /* The query's phrases as text (from its quoted words; n_words 0 when
     * it is not of that form) and the index's state when it ran. */
    const char *words[MAX_PHRASES];
    size_t word_len[MAX_PHRASES];
    int n_words;
    int changes;
    int64_t version;
    bool versioned;
    /* Rows mode (a query of several phrases): the function runs on every
     * row the query matches and keeps each allowed one with its phrase
     * frequencies (np per row), so no phrase is walked whole but to count
     * it when its count is not remembered. */
    bool rows_wanted, rows_mode;
    struct cands *rows;
    size_t allowed_pos;
};

static bool plist_push(struct plist *l, int64_t k, double f)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 256;
        int64_t *nk = realloc(l->k, cap * sizeof *nk);
        if (nk == NULL)
            return false;
        l->k = nk;
        double *nf = realloc(l->f, cap * sizeof *nf);
        if (nf == NULL)
            return false;
        l->f = nf;
        l->cap = cap;
    }
    l->k[l->n] = k;
    l->f[l->n++] = f;
    return true;
}

static void job_clear(struct job *job)
{
    for (int i = 0; job->lists != NULL && i < job->n_phrases; i++) {
        free(job->lists[i].k);
        free(job->lists[i].f);
    }
    free(job->lists);
}

/* xQueryPhrase's callback: one match of one phrase. The weights are added
 * per instance, as bm25 adds them. */
static int collect_match(const Fts5ExtensionApi *api, Fts5Context *fc, void *arg)
{
    struct pass *p = arg;
    struct plist *l = p->out;
    l->hits++;
    if (p->count_only)
        return l->hits > p->limit ? SQLITE_DONE : SQLITE_OK;
    int64_t k = api->xRowid(fc);
    if (p->keep != NULL) {
        while (p->pos < p->n_keep && p->keep[p->pos] < k)
            p->pos++;
        if (p->pos == p->n_keep || p->keep[p->pos] != k)
            return SQLITE_OK;
    }
    int n = 0;
    int rc = api->xInstCount(fc, &n);
    double f = 0.0;
    for (int i = 0; rc == SQLITE_OK && i < n; i++) {
        int phrase, col, off;
        rc = api->xInst(fc, i, &phrase, &col, &off);
        if (rc == SQLITE_OK)
            f += col >= 0 && col < MARKET_RANK_COLUMNS ? market_rank_weights[col] : 1.0;
    }
    if (rc != SQLITE_OK)
        return rc;
    return plist_push(l, k, f) ? SQLITE_OK : SQLITE_NOMEM;
}

/* The remembered count of phrase i, or -1. */
static sqlite3_int64 count_find(const struct lengths *l, const struct job *job, int i)
{
    if (l == NULL || i >= job->n_words || job->word_len[i] > COUNT_WORD_MAX)
        return -1;
    for (size_t k = 0; k < l->n_counts; k++)
        if (strlen(l->counts[k].word) == job->word_len[i] &&
            memcmp(l->counts[k].word, job->words[i], job->word_len[i]) == 0)
            return l->counts[k].hits;
    return -1;
}

static void count_keep(struct lengths *l, const struct job *job, int i, sqlite3_int64 hits)
{
    if (l == NULL || i >= job->n_words || job->word_len[i] > COUNT_WORD_MAX ||
        count_find(l, job, i) >= 0)
        return;
    struct phrase_count *c = &l->counts[l->next_count];
    l->next_count = (l->next_count + 1) % COUNTS_KEPT;
    if (l->n_counts < COUNTS_KEPT)
        l->n_counts++;
    memcpy(c->word, job->words[i], job->word_len[i]);
    c->word[job->word_len[i]] = '\0';
    c->hits = hits;
}

/* Forgets the counts when the index changed since they were taken. */
static void counts_check(struct lengths *l, const struct job *job)
{
    if (l == NULL)
        return;
    if (!job->versioned || l->counts_changes != job->changes ||
        l->counts_version != job->version) {
        l->n_counts = 0;
        l->next_count = 0;
        l->counts_changes = job->changes;
        l->counts_version = job->version;
    }
}

/* Walks the phrases, the one with fewest matches first: each walk reads
 * instances only for the rows every walk before it kept, so a rare word
 * spares the reading of a common one's instances (its matches are still
 * counted). Which is rarest is found by counting each phrase only as far
 * as the rarest so far. */
static int walk_phrases(const Fts5ExtensionApi *api, Fts5Context *fc, struct job *job)
{
    int n = job->n_phrases, rc = SQLITE_OK;
    int order[MAX_PHRASES];
    for (int i = 0; i < n; i++)
        order[i] = i;
    /* One phrase needs no order: its walk counts it. */
    struct lengths *kept = n > 1 && job->versioned && job->n_words == n ? job->lengths : NULL;
    counts_check(kept, job);
    bool known = kept != NULL;
    for (int i = 0; known && i < n; i++) {
        job->lists[i].hits = count_find(kept, job, i);
        known = job->lists[i].hits >= 0;
    }
    if (n > 1) {
        sqlite3_int64 fewest = INT64_MAX;
        for (int i = 0; !known && rc == SQLITE_OK && i < n; i++) {
            struct pass p = {.out = &job->lists[i], .count_only = true, .limit = fewest};
            rc = api->xQueryPhrase(fc, i, &p, collect_match);
            if (job->lists[i].hits < fewest)
                fewest = job->lists[i].hits;
        }
        /* Insertion sort by count: a query has a handful of phrases. */
        for (int i = 1; i < n; i++)
            for (int j = i; j > 0 && job->lists[order[j]].hits < job->lists[order[j - 1]].hits;
                 j--) {
                int t = order[j];
                order[j] = order[j - 1];
                order[j - 1] = t;
            }
        for (int i = 0; i < n; i++)
            job->lists[i].hits = 0;
    }
    const int64_t *keep = job->allowed;
    size_t n_keep = job->n_allowed;
    for (int i = 0; rc == SQLITE_OK && i < n; i++) {
        struct plist *l = &job->lists[order[i]];
        struct pass p = {.out = l, .keep = keep, .n_keep = n_keep};
        rc = api->xQueryPhrase(fc, order[i], &p, collect_match);
        if (rc == SQLITE_OK)
            count_keep(kept, job, order[i], l->hits);
        if (rc == SQLITE_OK && l->n == 0) {
            job->empty = true;
            break;
        }
        keep = l->k;
        n_keep = l->n;
    }
    return rc;
}

/* The candidates: matches of every phrase whose key is allowed, with each
 * phrase's frequency (n_phrases per candidate). */
struct cands {
    int64_t *k;
    double *f;
    int *len;  /* tokens in the row */
    size_t n, cap;
};

/* Rows mode's first step: each phrase's match count (for its IDF), from
 * the connection's memory or by a counting walk, which it then keeps. */
static int count_phrases(const Fts5ExtensionApi *api, Fts5Context *fc, struct job *job)
{
    struct lengths *kept = job->versioned ? job->lengths : NULL;
    counts_check(kept, job);
    int rc = SQLITE_OK;
    for (int i = 0; rc == SQLITE_OK && i < job->n_phrases; i++) {
        job->lists[i].hits = count_find(kept, job, i);
        if (job->lists[i].hits >= 0)
            continue;
        job->lists[i].hits = 0;
        struct pass p = {.out = &job->lists[i], .count_only = true, .limit = INT64_MAX};
        rc = api->xQueryPhrase(fc, i, &p, collect_match);
        if (rc == SQLITE_OK)
            count_keep(kept, job, i, job->lists[i].hits);
    }
    return rc;
}

/* Rows mode: the current row, when allowed, with each phrase's weighted
 * instance count (as bm25 adds them, from the row's instances). */
static void collect_row(const Fts5ExtensionApi *api, Fts5Context *fc, sqlite3_context *ctx,
                        struct job *job)
{
    int64_t k = api->xRowid(fc);
    if (job->allowed != NULL) {
        while (job->allowed_pos < job->n_allowed && job->allowed[job->allowed_pos] < k)
            job->allowed_pos++;
        if (job->allowed_pos == job->n_allowed || job->allowed[job->allowed_pos] != k)
            return;
    }
    struct cands *c = job->rows;
    size_t np = (size_t)job->n_phrases;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 256;
        int64_t *nk = realloc(c->k, cap * sizeof *nk);
        if (nk != NULL)
            c->k = nk;
        double *nf = nk != NULL ? realloc(c->f, cap * np * sizeof *nf) : NULL;
        if (nf == NULL) {
            job->rc = SQLITE_NOMEM;
            sqlite3_result_error_nomem(ctx);
            return;
        }
        c->f = nf;
        c->cap = cap;
    }
    double *f = &c->f[c->n * np];
    for (size_t i = 0; i < np; i++)
        f[i] = 0.0;
    int n = 0;
    int rc = api->xInstCount(fc, &n);
    for (int i = 0; rc == SQLITE_OK && i < n; i++) {
        int phrase, col, off;
        rc = api->xInst(fc, i, &phrase, &col, &off);
        if (rc == SQLITE_OK && phrase >= 0 && (size_t)phrase < np)
            f[phrase] += col >= 0 && col < MARKET_RANK_COLUMNS ? market_rank_weights[col] : 1.0;
    }
    if (rc != SQLITE_OK) {
        job->rc = rc;
        sqlite3_result_error_code(ctx, rc);
        return;
    }
    c->k[c->n++] = k;
}

/* The auxiliary function: on the query's first row, sets out what the
 * query needs, then either walks the phrases for every row the query
 * matches (the statement stops there) or, in rows mode, keeps that row and
 * each one after it. */
static void collect(const Fts5ExtensionApi *api, Fts5Context *fc, sqlite3_context *ctx, int nv,
                    sqlite3_value **v)
{
    struct job *job = nv == 1 ? sqlite3_value_pointer(v[0], JOB_TYPE) : NULL;
    sqlite3_result_null(ctx);
    if (job == NULL) {
        sqlite3_result_error(ctx, COLLECT_FN ": no job", -1);
        return;
    }
    if (job->called) {
        if (job->rows_mode)
            collect_row(api, fc, ctx, job);
        return;
    }
    job->called = true;
    job->lengths = api->xUserData(fc);
    int n = api->xPhraseCount(fc);
    if (api->xColumnCount(fc) != MARKET_RANK_COLUMNS || n <= 0 || n > MAX_PHRASES) {
        job->use_sql = true;
        return;
    }
    /* A phrase with no token (a word of separators only): how FTS5 reads
     * the query then is its own business. */
    for (int i = 0; i < n; i++)
        if (api->xPhraseSize(fc, i) <= 0) {
            job->use_sql = true;
            return;
        }
    job->lists = calloc((size_t)n, sizeof *job->lists);
    if (job->lists == NULL) {
        job->rc = SQLITE_NOMEM;
        sqlite3_result_error_nomem(ctx);
        return;
    }
    job->n_phrases = n;
    int rc = api->xRowCount(fc, &job->n_row);
    if (rc == SQLITE_OK)
        rc = api->xColumnTotalSize(fc, -1, &job->n_token);
    if (rc == SQLITE_OK && job->rows_wanted && n > 1 && n == job->n_words) {
        rc = count_phrases(api, fc, job);
        job->rows_mode = rc == SQLITE_OK;
    } else if (rc == SQLITE_OK) {
        rc = walk_phrases(api, fc, job);
    }
    if (rc != SQLITE_OK) {
        job->rc = rc;
        sqlite3_result_error_code(ctx, rc);
    } else if (job->rows_mode) {
        collect_row(api, fc, ctx, job);
    }
}

static enum market_rank_status fail(sqlite3 *db, const char *what, char *err, size_t errlen)
{
    snprintf(err, errlen, "market index: %s: %s", what, db != NULL ? sqlite3_errmsg(db) : "");
    return MARKET_RANK_FAILED;
}

static enum market_rank_status oom(char *err, size_t errlen)
{
    snprintf(err, errlen, "market index: out of memory");
    return MARKET_RANK_FAILED;
}

static void lengths_free(void *p)
{
    struct lengths *l = p;
    if (l != NULL)
        free(l->len);
    free(l);
}

static bool register_collect(sqlite3 *db)
{
    fts5_api *api = NULL;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, NULL) != SQLITE_OK)
        return false;
    sqlite3_bind_pointer(st, 1, (void *)&api, "fts5_api_ptr", NULL);
    sqlite3_step(st);
    sqlite3_finalize(st);
    struct lengths *l = calloc(1, sizeof *l);
    if (api == NULL || api->iVersion < 2 || l == NULL) {
        free(l);
        return false;
    }
    /* FTS5 frees l with the connection; when it refuses the function, l
     * stays ours. */
    if (api->xCreateFunction(api, COLLECT_FN, l, collect, lengths_free) == SQLITE_OK)
        return true;
    lengths_free(l);
    return false;
}

/* Runs the query: to its first row, where collect gathers every match by
 * walking the phrases; or, in rows mode, over every row it matches. */
static enum market_rank_status gather(sqlite3 *db, const char *fts, struct job *job, char *err,
                                      size_t errlen)
{
    static const char first_sql[] = "SELECT " COLLECT_FN "(listing_fts, ?2) FROM listing_fts "
                                    "WHERE listing_fts MATCH ?1 LIMIT 1";
    static const char rows_sql[] = "SELECT " COLLECT_FN "(listing_fts, ?2) FROM listing_fts "
                                   "WHERE listing_fts MATCH ?1";
    const char *sql = job->rows_wanted ? rows_sql : first_sql;
    sqlite3_stmt *st = NULL;
    /* The function is unknown until the connection's first search. */
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK &&
        (!register_collect(db) || sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK))
        return fail(db, "preparing a search", err, errlen);
    sqlite3_bind_text(st, 1, fts, -1, SQLITE_STATIC);
    sqlite3_bind_pointer(st, 2, job, JOB_TYPE, NULL);
    int rc;
    /* After the first row only rows mode has more to gather. */
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && job->rows_mode && job->rc == SQLITE_OK)
        ;
    enum market_rank_status s = MARKET_RANK_OK;
    if (job->rc == SQLITE_NOMEM)
        s = oom(err, errlen);
    else if ((rc != SQLITE_ROW && rc != SQLITE_DONE) || job->rc != SQLITE_OK)
        s = fail(db, "searching", err, errlen);
    sqlite3_finalize(st);
    return s;
}


static void cands_clear(struct cands *c)
{
    free(c->k);
    free(c->f);
    free(c->len);
}

/* Intersects the phrase lists, led by the shortest (the walk already kept
 * only rows the caller allows). False when a list is not in rowid order,
 * which FTS5 never gives. */
static bool intersect(const struct job *job, struct cands *c, bool *mem)
{
    int np = job->n_phrases;
    size_t lead = 0;
    for (int i = 0; i < np; i++) {
        const struct plist *l = &job->lists[i];
        for (size_t j = 1; j < l->n; j++)
            if (l->k[j] <= l->k[j - 1])
                return false;
        if (l->n < job->lists[lead].n)
            lead = (size_t)i;
    }
    const struct plist *ll = &job->lists[lead];
    *mem = true;
    c->k = malloc((ll->n ? ll->n : 1) * sizeof *c->k);
    c->f = malloc((ll->n ? ll->n : 1) * (size_t)np * sizeof *c->f);
    size_t *pos = calloc((size_t)np, sizeof *pos);
    if (c->k == NULL || c->f == NULL || pos == NULL) {
        free(pos);
        *mem = false;
        return true;
    }
    for (size_t j = 0; j < ll->n; j++) {
        int64_t k = ll->k[j];
        bool keep = true;
        for (int i = 0; keep && i < np; i++) {
            const struct plist *l = &job->lists[i];
            while (pos[i] < l->n && l->k[pos[i]] < k)
                pos[i]++;
            keep = pos[i] < l->n && l->k[pos[i]] == k;
        }
        if (!keep)
            continue;
        c->k[c->n] = k;
        for (int i = 0; i < np; i++)
            c->f[c->n * (size_t)np + (size_t)i] = job->lists[i].f[pos[i]];
        c->n++;
    }
    free(pos);
    return true;
}

/* A %_docsize value: one SQLite varint per column, the column's tokens;
 * *tokens their sum, as xColumnSize(-1) gives it. */
static bool doc_tokens(const unsigned char *p, int n, int *tokens)
{
    int off = 0;
    int64_t sum = 0;
    for (int col = 0; col < MARKET_RANK_COLUMNS; col++) {
        uint64_t v = 0;
        int i = 0;
        for (;;) {
            /* Past 32 bits the value is no token count. */
            if (off + i >= n || v > INT32_MAX)
                return false;
            unsigned char byte = p[off + i++];
            if (i == 9) {
                v = (v << 8) | byte;
                break;
            }
            v = (v << 7) | (byte & 0x7f);
            if (!(byte & 0x80))
                break;
        }
        off += i;
        if (v > INT32_MAX)
            return false;
        sum += (int64_t)v;
    }
    if (off != n || sum > INT32_MAX)
        return false;
    *tokens = (int)sum;
    return true;
}

static bool data_version(sqlite3 *db, int64_t *out)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "PRAGMA data_version", -1, &st, NULL) != SQLITE_OK)
        return false;
    bool ok = sqlite3_step(st) == SQLITE_ROW;
    if (ok)
        *out = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return ok;
}

/* Reads every row's length into l. USE_SQL when a row is not in the
 * layout doc_tokens reads or its rowid is out of the copy's range. */
static enum market_rank_status lengths_fill(sqlite3 *db, struct lengths *l, char *err,
                                            size_t errlen)
{
    l->valid = false;
    l->looked_up = 0; /* a reading that fails is not tried again at once either */
    int changes = sqlite3_total_changes(db);
    int64_t version;
    sqlite3_stmt *st = NULL;
    if (!data_version(db, &version) ||
        sqlite3_prepare_v2(db, "SELECT id, sz FROM listing_fts_docsize ORDER BY id", -1, &st,
                           NULL) != SQLITE_OK)
        return fail(db, "reading listing lengths", err, errlen);
    enum market_rank_status s = MARKET_RANK_OK;
    int64_t filled = 0;
    int rc;
    while (s == MARKET_RANK_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        if (id < 0 || id >= LENGTHS_MAX_ROWID) {
            s = MARKET_RANK_USE_SQL;
            break;
        }
        if (id >= l->n) {
            int64_t n = l->n ? l->n : 1024;
            while (n <= id)
                n *= 2;
            int *grown = realloc(l->len, (size_t)n * sizeof *grown);
            if (grown == NULL) {
                s = oom(err, errlen);
                break;
            }
            l->len = grown;
            l->n = n;
        }
        for (; filled < id; filled++)
            l->len[filled] = -1;
        if (!doc_tokens(sqlite3_column_blob(st, 1), sqlite3_column_bytes(st, 1), &l->len[id]))
            s = MARKET_RANK_USE_SQL;
        filled = id + 1;
    }
    if (s == MARKET_RANK_OK && rc != SQLITE_DONE)
        s = fail(db, "reading listing lengths", err, errlen);
    sqlite3_finalize(st);
    if (s != MARKET_RANK_OK)
        return s;
    for (; filled < l->n; filled++)
        l->len[filled] = -1;
    l->valid = true;
    l->changes = changes;
    l->data_version = version;
    return MARKET_RANK_OK;
}

static bool lengths_current(sqlite3 *db, const struct lengths *l)
{
    int64_t version;
    return l->valid && l->changes == sqlite3_total_changes(db) && data_version(db, &version) &&
           version == l->data_version;
}

/* Each candidate's length in tokens: from the connection's copy when it is
 * current, or when many are needed or lookups since it was last read have
 * cost a reading of it (it is then read again), else one lookup each.
 * USE_SQL when a row is missing or not in the layout doc_tokens reads. */
static enum market_rank_status read_lengths(sqlite3 *db, const struct job *job, struct cands *c,
                                            char *err, size_t errlen)
{
    c->len = malloc((c->n ? c->n : 1) * sizeof *c->len);
    if (c->len == NULL)
        return oom(err, errlen);
    struct lengths *l = job->lengths;
    uint64_t spent = (l != NULL ? l->looked_up : 0) + c->n;
    bool many = spent * SCAN_SHARE > (uint64_t)job->n_row;
    bool current = l != NULL && lengths_current(db, l);
    if (l != NULL && !current && !many)
        l->looked_up = spent;
    if (current || (l != NULL && many)) {
        enum market_rank_status s = current ? MARKET_RANK_OK : lengths_fill(db, l, err, errlen);
        for (size_t i = 0; s == MARKET_RANK_OK && i < c->n; i++) {
            if (c->k[i] < 0 || c->k[i] >= l->n || l->len[c->k[i]] < 0)
                s = MARKET_RANK_USE_SQL;
            else
                c->len[i] = l->len[c->k[i]];
        }
        return s;
    }
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT sz FROM listing_fts_docsize WHERE id = ?1", -1, &st,
                           NULL) != SQLITE_OK)
        return fail(db, "reading listing lengths", err, errlen);
    enum market_rank_status s = MARKET_RANK_OK;
    for (size_t i = 0; s == MARKET_RANK_OK && i < c->n; i++) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, c->k[i]);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            if (!doc_tokens(sqlite3_column_blob(st, 0), sqlite3_column_bytes(st, 0), &c->len[i]))
                s = MARKET_RANK_USE_SQL;
        } else {
            s = rc == SQLITE_DONE ? MARKET_RANK_USE_SQL
                                  : fail(db, "reading listing lengths", err, errlen);
        }
    }
    sqlite3_finalize(st);
    return s;
}

/* SQLite's bm25 (ext/fts5/fts5_aux.c) for one row, written as it is there
 * so that the same doubles come out. */
static double bm25(const double *f, const double *idf, int np, int tokens, double avgdl)
{
    const double k1 = 1.2;
    const double b = 0.75;
    double score = 0.0;
    double d = (double)tokens;
    for (int i = 0; i < np; i++)
        score += idf[i] * ((f[i] * (k1 + 1.0)) / (f[i] + k1 * (1 - b + b * d / avgdl)));
    return -1.0 * score;
}

/* Rank order: lower rank first, then the older listing. */
static bool before(const struct market_rank_hit *a, const struct market_rank_hit *b)
{
    return a->rank < b->rank || (a->rank == b->rank && a->k < b->k);
}

static int hit_cmp(const void *a, const void *b)
{
    const struct market_rank_hit *x = a, *y = b;
    return before(x, y) ? -1 : before(y, x) ? 1 : 0;
}

/* Keeps the m best of the stream in h[0..*n) as a heap whose root is the
 * worst kept. */
static void heap_offer(struct market_rank_hit *h, size_t *n, size_t m, struct market_rank_hit x)
{
    size_t i;
    if (*n < m) {
        i = (*n)++;
        while (i > 0 && before(&h[(i - 1) / 2], &x)) {
            h[i] = h[(i - 1) / 2];
            i = (i - 1) / 2;
        }
        h[i] = x;
        return;
    }
    if (m == 0 || !before(&x, &h[0]))
        return;
    i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, worst = l;
        if (l >= *n)
            break;
        if (r < *n && before(&h[l], &h[r]))
            worst = r;
        if (!before(&x, &h[worst]))
            break;
        h[i] = h[worst];
        i = worst;
    }
    h[i] = x;
}

static enum market_rank_status rank(sqlite3 *db, const struct job *job, uint64_t want,
                                    struct market_rank_hit **hits, size_t *n_hits,
                                    uint64_t *total, char *err, size_t errlen)
{
    struct cands c = {0};
    bool mem = true;
    if (job->rows_mode) {
        /* The rows arrive in rowid order, as the phrase lists do. */
        c = *job->rows;
        memset(job->rows, 0, sizeof *job->rows);
        for (size_t j = 1; j < c.n; j++)
            if (c.k[j] <= c.k[j - 1]) {
                cands_clear(&c);
                return MARKET_RANK_USE_SQL;
            }
    } else if (!intersect(job, &c, &mem)) {
        cands_clear(&c);
        return MARKET_RANK_USE_SQL;
    }
    if (!mem) {
        cands_clear(&c);
        return oom(err, errlen);
    }
    *total = c.n;
    size_t m = want < c.n ? (size_t)want : c.n;
    if (m == 0) {
        cands_clear(&c);
        return MARKET_RANK_OK;
    }
    enum market_rank_status s = read_lengths(db, job, &c, err, errlen);
    int np = job->n_phrases;
    double *idf = malloc((size_t)np * sizeof *idf);
    struct market_rank_hit *h = malloc(m * sizeof *h);
    if (s == MARKET_RANK_OK && (idf == NULL || h == NULL))
        s = oom(err, errlen);
    if (s == MARKET_RANK_OK) {
        double avgdl = (double)job->n_token / (double)job->n_row;
        for (int i = 0; i < np; i++) {
            sqlite3_int64 n_row = job->n_row, n_hit = job->lists[i].hits;
            idf[i] = log((n_row - n_hit + 0.5) / (n_hit + 0.5));
            if (idf[i] <= 0.0)
                idf[i] = 1e-6;
        }
        size_t n = 0;
        for (size_t j = 0; j < c.n; j++) {
            struct market_rank_hit x = {
                .k = c.k[j], .rank = bm25(&c.f[j * (size_t)np], idf, np, c.len[j], avgdl)};
            heap_offer(h, &n, m, x);
        }
        qsort(h, n, sizeof *h, hit_cmp);
        *hits = h;
        *n_hits = n;
        h = NULL;
    }
    free(h);
    free(idf);
    cands_clear(&c);
    return s;
}

/* The phrases of fts when it is quoted words separated by spaces (as
 * market_index_fts_query writes it); else none. */
static void job_words(struct job *job, const char *fts)
{
    job->n_words = 0;
    const char *p = fts;
    while (*p != '\0') {
        const char *end = *p == '"' ? strchr(p + 1, '"') : NULL;
        if (end == NULL || job->n_words == MAX_PHRASES || (end[1] != '\0' && end[1] != ' ')) {
            job->n_words = 0;
            return;
        }
        job->words[job->n_words] = p + 1;
        job->word_len[job->n_words++] = (size_t)(end - p - 1);
        p = end[1] == ' ' ? end + 2 : end + 1;
    }
}

enum market_rank_status market_rank_top(sqlite3 *db, const char *fts, const int64_t *allowed,
                                        size_t n_allowed, uint64_t want,
                                        struct market_rank_hit **hits, size_t *n_hits,
                                        uint64_t *total, char *err, size_t errlen)
{
    *hits = NULL;
    *n_hits = 0;
    *total = 0;
    struct job job;
    memset(&job, 0, sizeof job);
    job.allowed = allowed;
    job.n_allowed = n_allowed;
    job_words(&job, fts);
    job.changes = sqlite3_total_changes(db);
    job.versioned = data_version(db, &job.version);
    struct cands rows = {0};
    job.rows = &rows;
    job.rows_wanted = job.n_words > 1;
    enum market_rank_status s = gather(db, fts, &job, err, errlen);
    if (s == MARKET_RANK_OK && job.use_sql)
        s = MARKET_RANK_USE_SQL;
    else if (s == MARKET_RANK_OK && job.called && !job.empty)
        s = rank(db, &job, want, hits, n_hits, total, err, errlen);
    cands_clear(&rows);
    job_clear(&job);
    return s;
}
