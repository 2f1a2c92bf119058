/* syncprogress: the progress line a node logs while it catches up with a
 * chain it already knows the headers of (block download, -reindex): how
 * far it is, how fast it goes, and about how long is left. Owns nothing
 * but its counters; the caller logs the line it gets. */
#ifndef SOUK_NODE_SYNCPROGRESS_H
#define SOUK_NODE_SYNCPROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* How often a run logs while it goes on. */
#define SYNCPROGRESS_INTERVAL_US (10 * 1000000LL)
/* A run starts only when at least this many blocks are left: a node that
 * follows the network one block at a time logs nothing. */
#define SYNCPROGRESS_MIN_GAP 2

struct syncprogress {
    bool running;
    uint64_t start_height;
    int64_t start_us, last_log_us;
};

void syncprogress_init(struct syncprogress *p);

/* A block at `height` was connected; `target` is the height of the best
 * known header, now_us a monotonic clock. True with a line in out when
 * one is due: the first block of a run, every SYNCPROGRESS_INTERVAL_US
 * after, and the block that reaches the target, e.g.
 *   "progress: height 1200 of 5000 (24.0%), 310 blocks/s, about 12 s left"
 *   "progress: height 5000 of 5000 (100.0%), caught up in 16 s". */
bool syncprogress_note(struct syncprogress *p, uint64_t height, uint64_t target, int64_t now_us,
                       char *out, size_t outlen);

#endif
