#include "unit.h"
#include "fixture.h"

#include <stdatomic.h>
#include <time.h>

#include "util/worker.h"

struct job {
    atomic_int runs;
    int value;
    int slept_ms;
};

static void add_one(void *arg)
{
    struct job *j = arg;
    if (j->slept_ms > 0) {
        struct timespec ts = {0, (long)j->slept_ms * 1000000L};
        nanosleep(&ts, NULL);
    }
    j->value++;
    atomic_fetch_add(&j->runs, 1);
}

/* Each job handed runs once, and worker_wait returns only after it has:
 * what it wrote is seen at once (a job that sleeps first shows a wait that
 * returned early). */
START_TEST(runs_each_job_once_and_waits_for_it)
{
    struct worker *w = NULL;
    ck_assert(worker_new(&w));
    worker_wait(w); /* nothing handed: returns at once */
    struct job j = {.value = 0};
    atomic_init(&j.runs, 0);
    for (int i = 0; i < 200; i++) {
        j.slept_ms = i % 50 == 0 ? 20 : 0;
        worker_start(w, add_one, &j);
        worker_wait(w);
        ck_assert_int_eq(j.value, i + 1);
        ck_assert_int_eq(atomic_load(&j.runs), i + 1);
    }
    worker_wait(w);
    ck_assert_int_eq(atomic_load(&j.runs), 200);
    worker_free(w);
}
END_TEST

/* Freed while a job runs: the job finishes first. */
START_TEST(free_waits_for_the_running_job)
{
    struct worker *w = NULL;
    ck_assert(worker_new(&w));
    struct job j = {.value = 0, .slept_ms = 30};
    atomic_init(&j.runs, 0);
    worker_start(w, add_one, &j);
    worker_free(w);
    ck_assert_int_eq(atomic_load(&j.runs), 1);
    ck_assert_int_eq(j.value, 1);
    worker_free(NULL);
}
END_TEST

Suite *unit_suite(void)
{
    const TTest *tests[] = {runs_each_job_once_and_waits_for_it, free_waits_for_the_running_job,
                            NULL};
    return fixture_suite("worker", NULL, tests);
}
