#include "unit.h"
#include "fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "util/notify.h"

static void pause_ms(long ms)
{
    nanosleep(&(struct timespec){ms / 1000, (ms % 1000) * 1000000L}, NULL);
}

START_TEST(format_replaces_each_placeholder)
{
    const struct notify_subst s[] = {{'s', "ab12", false}, {'w', "my shop's", true}};
    char *line = notify_format("echo %s %s %w 100% %x %", s, 2);
    ck_assert_ptr_nonnull(line);
    ck_assert_str_eq(line, "echo ab12 ab12 'my shop'\\''s' 100% %x %");
    free(line);
    line = notify_format("", s, 2);
    ck_assert_str_eq(line, "");
    free(line);
    /* No placeholders given: the template is the line. */
    line = notify_format("touch %s", NULL, 0);
    ck_assert_str_eq(line, "touch %s");
    free(line);
}
END_TEST

START_TEST(quoted_value_reaches_the_command_intact)
{
    char dir[256], path[300], cmd[400];
    fixture_tmpdir_make(dir, sizeof dir, "notify");
    snprintf(path, sizeof path, "%s/out", dir);
    snprintf(cmd, sizeof cmd, "printf '%%s' %%w > %s", path);
    const struct notify_subst s[] = {{'w', "a'b; touch pwned $(x) `y`", true}};
    char *line = notify_format(cmd, s, 1);
    ck_assert_int_eq(system(line), 0);
    free(line);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    char got[64] = {0};
    ck_assert_uint_gt(fread(got, 1, sizeof got - 1, f), 0);
    fclose(f);
    ck_assert_str_eq(got, "a'b; touch pwned $(x) `y`");
    fixture_tmpdir_remove(dir);
}
END_TEST

static void wait_idle(struct notify_queue *q)
{
    for (int i = 0; i < 1000 && notify_queue_busy(q) > 0; i++)
        pause_ms(10);
    ck_assert_uint_eq(notify_queue_busy(q), 0);
}

static void wait_file(const char *path)
{
    struct stat sb;
    for (int i = 0; i < 1000 && stat(path, &sb) != 0; i++)
        pause_ms(10);
    ck_assert_int_eq(stat(path, &sb), 0);
}

static void read_file(const char *path, char *out, size_t cap)
{
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    size_t n = fread(out, 1, cap - 1, f);
    out[n] = '\0';
    fclose(f);
}

START_TEST(runs_commands_in_order)
{
    char dir[256], path[300], tmpl[400];
    fixture_tmpdir_make(dir, sizeof dir, "notify");
    snprintf(path, sizeof path, "%s/log", dir);
    snprintf(tmpl, sizeof tmpl, "echo %%s >> %s", path);
    struct notify_queue *q;
    ck_assert(notify_queue_start(&q, 0, NULL, 0));
    const char *ids[] = {"one", "two", "three", "four"};
    for (size_t i = 0; i < 4; i++) {
        const struct notify_subst s[] = {{'s', ids[i], false}};
        ck_assert(notify_run(q, "-test", tmpl, s, 1));
    }
    wait_idle(q);
    char got[128];
    read_file(path, got, sizeof got);
    ck_assert_str_eq(got, "one\ntwo\nthree\nfour\n");
    /* A failing command is logged and the next one still runs. */
    ck_assert(notify_run(q, "-test", "exit 3", NULL, 0));
    ck_assert(notify_run(q, "-test", tmpl, (struct notify_subst[]){{'s', "five", false}}, 1));
    wait_idle(q);
    read_file(path, got, sizeof got);
    ck_assert_str_eq(got, "one\ntwo\nthree\nfour\nfive\n");
    notify_queue_stop(q);
    fixture_tmpdir_remove(dir);
}
END_TEST

START_TEST(full_queue_drops_new_commands)
{
    char dir[256], started[300], go[300], ran[300], cmd[900];
    fixture_tmpdir_make(dir, sizeof dir, "notify");
    snprintf(started, sizeof started, "%s/started", dir);
    snprintf(go, sizeof go, "%s/go", dir);
    snprintf(ran, sizeof ran, "%s/ran", dir);
    struct notify_queue *q;
    ck_assert(notify_queue_start(&q, 1, NULL, 0));
    /* The first command holds the worker until the test lets it go. */
    snprintf(cmd, sizeof cmd, "touch %s; while [ ! -f %s ]; do sleep 0.01; done", started, go);
    ck_assert(notify_run(q, "-test", cmd, NULL, 0));
    wait_file(started);
    snprintf(cmd, sizeof cmd, "echo %%s >> %s", ran);
    ck_assert(notify_run(q, "-test", cmd, (struct notify_subst[]){{'s', "kept", false}}, 1));
    ck_assert(!notify_run(q, "-test", cmd, (struct notify_subst[]){{'s', "dropped", false}}, 1));
    ck_assert_uint_eq(notify_queue_busy(q), 2);
    FILE *f = fopen(go, "w");
    ck_assert_ptr_nonnull(f);
    fclose(f);
    wait_idle(q);
    char got[64];
    read_file(ran, got, sizeof got);
    ck_assert_str_eq(got, "kept\n");
    notify_queue_stop(q);
    fixture_tmpdir_remove(dir);
}
END_TEST

START_TEST(stop_does_not_wait_for_a_running_command)
{
    char dir[256], started[300], go[300], after[300], cmd[900];
    fixture_tmpdir_make(dir, sizeof dir, "notify");
    snprintf(started, sizeof started, "%s/started", dir);
    snprintf(go, sizeof go, "%s/go", dir);
    snprintf(after, sizeof after, "%s/after", dir);
    struct notify_queue *q;
    ck_assert(notify_queue_start(&q, 0, NULL, 0));
    snprintf(cmd, sizeof cmd, "touch %s; while [ ! -f %s ]; do sleep 0.01; done", started, go);
    ck_assert(notify_run(q, "-test", cmd, NULL, 0));
    wait_file(started);
    snprintf(cmd, sizeof cmd, "touch %s", after);
    ck_assert(notify_run(q, "-test", cmd, NULL, 0));
    /* Returns while the first command still runs; the waiting one is dropped. */
    notify_queue_stop(q);
    FILE *f = fopen(go, "w");
    ck_assert_ptr_nonnull(f);
    fclose(f);
    pause_ms(300);
    struct stat sb;
    ck_assert_int_ne(stat(after, &sb), 0);
    fixture_tmpdir_remove(dir);
}
END_TEST

START_TEST(no_queue_runs_nothing)
{
    ck_assert(!notify_run(NULL, "-test", "true", NULL, 0));
    ck_assert(!notify_queue_push(NULL, "-test", calloc(1, 1)));
    ck_assert_uint_eq(notify_queue_busy(NULL), 0);
    notify_queue_stop(NULL);
    struct notify_queue *q;
    ck_assert(notify_queue_start(&q, 0, NULL, 0));
    ck_assert(!notify_run(q, "-test", NULL, NULL, 0));
    ck_assert(!notify_queue_push(q, "-test", NULL));
    ck_assert_uint_eq(notify_queue_busy(q), 0);
    notify_queue_stop(q);
}
END_TEST

Suite *unit_suite(void)
{
    const TTest *tests[] = {format_replaces_each_placeholder,
                            quoted_value_reaches_the_command_intact,
                            runs_commands_in_order,
                            full_queue_drops_new_commands,
                            stop_does_not_wait_for_a_running_command,
                            no_queue_runs_nothing,
                            NULL};
    return fixture_suite("notify", NULL, tests);
}
