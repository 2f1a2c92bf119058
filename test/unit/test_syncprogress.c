#include "unit.h"
#include "fixture.h"

#include <string.h>

#include "node/syncprogress.h"

#define S 1000000LL

START_TEST(a_run_logs_start_every_interval_and_end)
{
    struct syncprogress p;
    syncprogress_init(&p);
    char line[200];
    /* following the network one block at a time: nothing */
    ck_assert(!syncprogress_note(&p, 10, 10, 0, line, sizeof line));
    ck_assert(!syncprogress_note(&p, 11, 12, 1 * S, line, sizeof line));
    /* far behind: the first block says so */
    ck_assert(syncprogress_note(&p, 1000, 5000, 100 * S, line, sizeof line));
    ck_assert_str_eq(line, "progress: height 1000 of 5000 (20.0%), catching up");
    /* quiet within the interval */
    ck_assert(!syncprogress_note(&p, 1500, 5000, 105 * S, line, sizeof line));
    /* 2000 blocks in 10 s: 200/s, 2000 left: 10 s */
    ck_assert(syncprogress_note(&p, 3000, 5000, 110 * S, line, sizeof line));
    ck_assert_str_eq(line, "progress: height 3000 of 5000 (60.0%), 200 blocks/s, about 10 s left");
    /* the headers grew meanwhile: the estimate follows */
    ck_assert(!syncprogress_note(&p, 3100, 500000, 111 * S, line, sizeof line));
    ck_assert(syncprogress_note(&p, 4000, 500000, 120 * S, line, sizeof line));
    ck_assert_str_eq(line, "progress: height 4000 of 500000 (0.8%), 150 blocks/s, about 55 min 6 s left");
    ck_assert(syncprogress_note(&p, 4000, 50000000, 130 * S, line, sizeof line));
    ck_assert_ptr_nonnull(strstr(line, "100 blocks/s, about 138 h 52 min left"));
    /* reaching the best header ends the run, whenever it happens */
    ck_assert(syncprogress_note(&p, 50000000, 50000000, 131 * S, line, sizeof line));
    ck_assert_str_eq(line, "progress: height 50000000 of 50000000 (100.0%), caught up in 31 s");
    ck_assert(!syncprogress_note(&p, 50000001, 50000001, 200 * S, line, sizeof line));
    /* and a later gap starts a new run */
    ck_assert(syncprogress_note(&p, 50000002, 50000100, 300 * S, line, sizeof line));
    ck_assert_ptr_nonnull(strstr(line, "catching up"));
}
END_TEST

START_TEST(a_stalled_run_says_so)
{
    struct syncprogress p;
    syncprogress_init(&p);
    char line[200];
    ck_assert(syncprogress_note(&p, 0, 100, 0, line, sizeof line));
    ck_assert(syncprogress_note(&p, 0, 100, 20 * S, line, sizeof line));
    ck_assert_str_eq(line, "progress: height 0 of 100 (0.0%), no block connected in the last 20 s");
    /* a short buffer is cut, never overrun */
    char small[16];
    ck_assert(syncprogress_note(&p, 100, 100, 21 * S, small, sizeof small));
    ck_assert_uint_eq(strlen(small), sizeof small - 1);
}
END_TEST

Suite *unit_suite(void)
{
    const TTest *tests[] = {a_run_logs_start_every_interval_and_end, a_stalled_run_says_so, NULL};
    return fixture_suite("syncprogress", NULL, tests);
}
