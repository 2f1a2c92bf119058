/* bench_market: bench_souk's market cases.
 *
 * "market": a block of market transactions of every type (profiles,
 * listings, every step of an order, disputes and their resolution, and the
 * order timeouts due at its height), acting on listings and orders made in
 * earlier blocks, connected to a real regtest chain; on the same chain and
 * parent a block of as many transfers is connected in turn with it, run by
 * run, cold and warm, so the two compare under the same conditions.
 *
 * "search": the market's search index (market.sqlite, FTS5) filled with
 * listings through the plugin's own connect callback, one block at a time
 * in an SQLite transaction as the plugin host feeds it, then queries of one
 * to three words through market_index_search, the function behind
 * market_searchlistings, with the RPC's defaults; reports percentiles.
 *
 * Both need the market plugin installed (pluginhost_install) before they
 * run, as soukd installs it before its chain opens. Every result is
 * checked: a block that does not connect, a timeout that does not fire or
 * a query that misses the listing its words came from stops the run. */
#ifndef SOUK_BENCH_BENCH_MARKET_H
#define SOUK_BENCH_BENCH_MARKET_H

#include <stddef.h>

struct bench_market_block_result {
    size_t txs;
    double market_cold, transfer_cold;  /* medians, seconds */
    double market_warm, transfer_warm;
};

/* txs market transactions in the measured block (and as many transfers),
 * runs runs of each, verify_threads as bench_chain_open takes them. */
void bench_market_block(size_t txs, unsigned runs, unsigned verify_threads,
                        struct bench_market_block_result *out);

struct bench_market_search_result {
    size_t listings, queries;
    double p50, p99;  /* seconds per query */
};

void bench_market_search(size_t listings, size_t queries, struct bench_market_search_result *out);

#endif
