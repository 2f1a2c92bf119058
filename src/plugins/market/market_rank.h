/* market_rank: the best matches of a text search over the listing index,
 * ranked exactly as `ORDER BY bm25(listing_fts, 10, 1, 3, 5), rowid`
 * ranks them, without asking SQL for the bm25 of every match.
 *
 * Through SQL, bm25 costs about a microsecond per match, most of it FTS5
 * reading the match's length in tokens from its %_docsize table with one
 * statement per row, so a word found in half of 100,000 listings took
 * 50 ms or more to rank. Here a registered FTS5 auxiliary function walks
 * each phrase's matches with FTS5's own xQueryPhrase (as bm25 counts them
 * for its IDF) and takes each match's weighted instance count; the phrase
 * lists and the caller's filter are intersected in memory; the lengths of
 * the matches left are looked up one by one when they are few, else taken
 * from a copy of every row's length that the connection keeps while the
 * index is unchanged (read in one ordered pass over %_docsize, about 8 ms
 * for 100,000 listings, by the first such search after a block, or once
 * the lookups since it was last read have cost as much); and bm25
 * is computed with SQLite's formula, constants and order of operations,
 * so the ranks are the same doubles SQL gives (test_market_index compares
 * them).
 *
 * To order its walks (the rarest phrase first), a search needs each
 * phrase's match count, which costs a walk of its own; the connection
 * remembers the counts of the phrases searched while the index is
 * unchanged, so a phrase searched again before the next block is walked
 * once. Ranks never depend on that order, only the work does.
 *
 * A query this cannot rank as SQL would (a phrase with no token, a
 * %_docsize row in another layout than one varint per column) is handed
 * back to the caller, which ranks it through SQL. The auxiliary function
 * and the copy of the lengths (its user data, freed with the connection)
 * are registered on a connection the first time they are needed. Not
 * thread-safe beyond the sqlite3 handle: one thread uses a connection at a
 * time (the plugin's own under its database lock, or a reader lent by
 * plugin_db_reader_get). */
#ifndef SOUK_PLUGINS_MARKET_RANK_H
#define SOUK_PLUGINS_MARKET_RANK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

/* The bm25 weights of listing_fts's columns (title, description,
 * category, seller_name), as SQL text and as numbers; the two must agree. */
#define MARKET_RANK_COLUMNS 4
#define MARKET_RANK_BM25_ARGS "10.0, 1.0, 3.0, 5.0"
extern const double market_rank_weights[MARKET_RANK_COLUMNS];

struct market_rank_hit {
    int64_t k;    /* the listing's key (listings.k = listing_fts.rowid) */
    double rank;  /* bm25, lower is better */
};

enum market_rank_status {
    MARKET_RANK_OK,
    MARKET_RANK_USE_SQL,  /* not ranked here: rank it through SQL */
    MARKET_RANK_FAILED,   /* a database or memory failure, in err */
};

/* The matches of fts (an FTS5 query of quoted words, all required) whose
 * key is in allowed (ascending keys; NULL: every key): *total receives how
 * many there are, *hits (the caller frees it; NULL when *n_hits is 0) the
 * first `want` of them in rank order, then key order. */
enum market_rank_status market_rank_top(sqlite3 *db, const char *fts, const int64_t *allowed,
                                        size_t n_allowed, uint64_t want,
                                        struct market_rank_hit **hits, size_t *n_hits,
                                        uint64_t *total, char *err, size_t errlen);

#endif
