/* mkstemp, regcomp, dup are POSIX. */
#define _POSIX_C_SOURCE 200809L

#include "unit.h"
#include "fixture.h"

#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"
#include "util/time.h"

#define TS_RE "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z"
#define TS_US_RE "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{6}Z"

static char tmp_path[64];

/* Every test starts from a stopped logger with no debug categories and a
 * fresh temporary file, so tests stay independent even without forking. */
static void setup(void)
{
    log_shutdown();
    ck_assert(log_set_debug(NULL, 0, NULL, 0, NULL, 0));
    strcpy(tmp_path, "/tmp/souk_test_log_XXXXXX");
    int fd = mkstemp(tmp_path);
    ck_assert_int_ge(fd, 0);
    close(fd);
}

static void teardown(void)
{
    log_shutdown();
    unlink(tmp_path);
}

static void start_file(bool micros)
{
    struct log_config cfg = {.file_path = tmp_path, .to_stderr = false, .micros = micros};
    char err[256];
    ck_assert_msg(log_start(&cfg, err, sizeof err), "%s", err);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    size_t cap = 1 << 16, len = 0, n;
    char *data = malloc(cap);
    ck_assert_ptr_nonnull(data);
    while ((n = fread(data + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (len + 1 == cap) {
            cap *= 2;
            data = realloc(data, cap);
            ck_assert_ptr_nonnull(data);
        }
    }
    fclose(f);
    data[len] = '\0';
    return data;
}

static bool matches(const char *text, const char *pattern)
{
    regex_t re;
    ck_assert_int_eq(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB), 0);
    bool m = regexec(&re, text, 0, NULL, 0) == 0;
    regfree(&re);
    return m;
}

static int count_lines(const char *text)
{
    int n = 0;
    for (; *text; text++)
        n += *text == '\n';
    return n;
}

START_TEST(line_format)
{
    start_file(false);
    int64_t before = time_system_us() / 1000000;
    LOG_INFO(LOG_CAT_NET, "hello %d %s", 42, "world");
    log_printf(LOG_LEVEL_ERROR, LOG_CAT_VALIDATION, "bad block\n");
    int64_t after = time_system_us() / 1000000;
    log_shutdown();

    char *text = slurp(tmp_path);
    ck_assert_msg(matches(text, "^" TS_RE " \\[info\\] \\[net\\] hello 42 world\n"
                                TS_RE " \\[error\\] \\[validation\\] bad block\n$"),
                  "unexpected log: %s", text);

    /* The timestamp is the real UTC time of writing. */
    char lo[TIME_ISO8601_SIZE], hi[TIME_ISO8601_SIZE];
    ck_assert(time_format_iso8601(before, lo));
    ck_assert(time_format_iso8601(after, hi));
    ck_assert(strncmp(text, lo, 20) >= 0 && strncmp(text, hi, 20) <= 0);
    free(text);
}
END_TEST

START_TEST(micros_format_and_mock_ignored)
{
    /* Log time is real time even while node time is mocked. */
    ck_assert(time_set_mock(1000));
    start_file(true);
    LOG_WARN(LOG_CAT_RPC, "slow");
    log_shutdown();
    ck_assert(time_set_mock(0));
    char *text = slurp(tmp_path);
    ck_assert_msg(matches(text, "^" TS_US_RE " \\[warn\\] \\[rpc\\] slow\n$"), "%s", text);
    ck_assert(strncmp(text, "1970", 4) != 0);
    free(text);
}
END_TEST

START_TEST(appends_to_existing_file)
{
    FILE *f = fopen(tmp_path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("earlier line\n", f);
    fclose(f);
    start_file(false);
    LOG_INFO(LOG_CAT_GENERAL, "later");
    log_shutdown();
    char *text = slurp(tmp_path);
    ck_assert_msg(matches(text, "^earlier line\n" TS_RE " \\[info\\] \\[general\\] later\n$"), "%s", text);
    free(text);
}
END_TEST

START_TEST(debug_needs_category)
{
    char err[128];
    start_file(false);
    LOG_ERROR(LOG_CAT_MEMPOOL, "e");
    LOG_WARN(LOG_CAT_MEMPOOL, "w");
    LOG_INFO(LOG_CAT_MEMPOOL, "i");
    LOG_DEBUG(LOG_CAT_MEMPOOL, "dropped-1");
    ck_assert(!log_enabled(LOG_LEVEL_DEBUG, LOG_CAT_MEMPOOL));
    ck_assert(log_enabled(LOG_LEVEL_INFO, LOG_CAT_MEMPOOL));

    ck_assert(log_enable_category("mempool", err, sizeof err));
    ck_assert(log_category_enabled(LOG_CAT_MEMPOOL));
    ck_assert(!log_category_enabled(LOG_CAT_NET));
    LOG_DEBUG(LOG_CAT_MEMPOOL, "kept-1");
    LOG_DEBUG(LOG_CAT_NET, "dropped-2");

    ck_assert(log_disable_category("mempool", err, sizeof err));
    LOG_DEBUG(LOG_CAT_MEMPOOL, "dropped-3");
    log_shutdown();

    char *text = slurp(tmp_path);
    ck_assert_msg(matches(text, "^" TS_RE " \\[error\\] \\[mempool\\] e\n"
                                TS_RE " \\[warn\\] \\[mempool\\] w\n"
                                TS_RE " \\[info\\] \\[mempool\\] i\n"
                                TS_RE " \\[debug\\] \\[mempool\\] kept-1\n$"),
                  "%s", text);
    ck_assert_ptr_null(strstr(text, "dropped"));
    free(text);
}
END_TEST

START_TEST(all_and_one_enable_everything)
{
    char err[128];
    ck_assert(log_enable_category("all", err, sizeof err));
    for (int c = 0; c < log_category_count(); c++)
        ck_assert(log_category_enabled(c));
    ck_assert(log_disable_category("all", err, sizeof err));
    for (int c = 0; c < log_category_count(); c++)
        ck_assert(!log_category_enabled(c));
    ck_assert(log_enable_category("1", err, sizeof err));
    ck_assert(log_category_enabled(LOG_CAT_CHAT));
    ck_assert(log_category_enabled(LOG_CAT_LIBEVENT));
}
END_TEST

START_TEST(set_debug_like_bitcoind)
{
    char err[128];
    const char *en1[] = {"net", "rpc"};
    ck_assert(log_set_debug(en1, 2, NULL, 0, err, sizeof err));
    ck_assert(log_category_enabled(LOG_CAT_NET));
    ck_assert(log_category_enabled(LOG_CAT_RPC));
    ck_assert(!log_category_enabled(LOG_CAT_DB));

    /* replaces, not adds */
    const char *en2[] = {"db"};
    ck_assert(log_set_debug(en2, 1, NULL, 0, err, sizeof err));
    ck_assert(!log_category_enabled(LOG_CAT_NET));
    ck_assert(log_category_enabled(LOG_CAT_DB));

    /* -debug=all -debugexclude=net */
    const char *en3[] = {"all"}, *ex3[] = {"net"};
    ck_assert(log_set_debug(en3, 1, ex3, 1, err, sizeof err));
    ck_assert(!log_category_enabled(LOG_CAT_NET));
    ck_assert(log_category_enabled(LOG_CAT_P2P));

    /* a bare -debug (empty value) means all */
    const char *en4[] = {""};
    ck_assert(log_set_debug(en4, 1, NULL, 0, err, sizeof err));
    ck_assert(log_category_enabled(LOG_CAT_NET));

    /* "0" / "none" anywhere turns everything off */
    const char *en5[] = {"net", "none", "rpc"};
    ck_assert(log_set_debug(en5, 3, NULL, 0, err, sizeof err));
    for (int c = 0; c < log_category_count(); c++)
        ck_assert(!log_category_enabled(c));
    const char *en6[] = {"all", "0"};
    ck_assert(log_set_debug(en6, 2, NULL, 0, err, sizeof err));
    ck_assert(!log_category_enabled(LOG_CAT_NET));
}
END_TEST

START_TEST(unknown_category_is_an_error)
{
    char err[128] = "";
    ck_assert(!log_enable_category("netwrok", err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "netwrok"));
    ck_assert(!log_disable_category("bogus", err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "bogus"));
    /* names are exact: no case folding or prefixes */
    ck_assert(!log_enable_category("NET", NULL, 0));
    ck_assert(!log_enable_category("ne", NULL, 0));

    /* an unknown name anywhere leaves the enabled set as it was */
    const char *good[] = {"wallet"};
    ck_assert(log_set_debug(good, 1, NULL, 0, err, sizeof err));
    const char *bad[] = {"net", "frobnicate"};
    ck_assert(!log_set_debug(bad, 2, NULL, 0, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "frobnicate"));
    const char *badex[] = {"nope"};
    ck_assert(!log_set_debug(bad, 1, badex, 1, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "nope"));
    ck_assert(log_category_enabled(LOG_CAT_WALLET));
    ck_assert(!log_category_enabled(LOG_CAT_NET));

    /* out-of-range ids are never enabled */
    ck_assert(!log_category_enabled(-1));
    ck_assert(!log_category_enabled(LOG_CAT_MAX));
    ck_assert_ptr_null(log_category_name(-1));
    ck_assert_ptr_null(log_category_name(log_category_count()));
}
END_TEST

START_TEST(names_and_lookup)
{
    int id = -1;
    ck_assert_str_eq(log_level_name(LOG_LEVEL_ERROR), "error");
    ck_assert_str_eq(log_level_name(LOG_LEVEL_DEBUG), "debug");
    ck_assert_str_eq(log_level_name((enum log_level)99), "?");
    const char *builtin[] = {"net", "p2p", "rpc", "http", "mempool", "validation", "db", "bench",
                             "wallet", "market", "review", "chat", "plugin"};
    for (size_t i = 0; i < sizeof builtin / sizeof builtin[0]; i++) {
        ck_assert_msg(log_category_lookup(builtin[i], &id), "%s", builtin[i]);
        ck_assert_str_eq(log_category_name(id), builtin[i]);
    }
    ck_assert(log_category_lookup("market", &id));
    ck_assert_int_eq(id, LOG_CAT_MARKET);
    id = -7;
    ck_assert(!log_category_lookup("markets", &id));
    ck_assert_int_eq(id, -7);
}
END_TEST

START_TEST(register_extends_table)
{
    char err[128];
    int id = -1, again = -1;
    int before = log_category_count();
    ck_assert_msg(log_category_register("escrowbot", &id, err, sizeof err), "%s", err);
    ck_assert_int_eq(id, before);
    ck_assert_int_eq(log_category_count(), before + 1);
    ck_assert_str_eq(log_category_name(id), "escrowbot");
    ck_assert(log_category_register("escrowbot", &again, err, sizeof err));
    ck_assert_int_eq(again, id);
    ck_assert_int_eq(log_category_count(), before + 1);
    /* built-ins are found, not duplicated */
    ck_assert(log_category_register("net", &again, err, sizeof err));
    ck_assert_int_eq(again, LOG_CAT_NET);

    /* the new category works with -debug and the macros */
    ck_assert(log_enable_category("escrowbot", err, sizeof err));
    ck_assert(log_category_enabled(id));
    start_file(false);
    LOG_DEBUG(id, "plugin says %s", "hi");
    log_shutdown();
    char *text = slurp(tmp_path);
    ck_assert_msg(matches(text, "^" TS_RE " \\[debug\\] \\[escrowbot\\] plugin says hi\n$"), "%s", text);
    free(text);

    /* bad names are refused and the table is unchanged */
    const char *bad[] = {"", "all", "none", "0", "1", "Upper", "sp ace", "dot.ted",
                         "abcdefghijklmnopqrstuvwx"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        again = -5;
        ck_assert_msg(!log_category_register(bad[i], &again, err, sizeof err), "%s", bad[i]);
        ck_assert_int_eq(again, -5);
    }
    ck_assert_int_eq(log_category_count(), before + 1);
}
END_TEST

START_TEST(register_until_full)
{
    char err[128], name[LOG_CAT_NAME_MAX + 1];
    int id;
    int n = log_category_count();
    for (int i = n; i < LOG_CAT_MAX; i++) {
        snprintf(name, sizeof name, "extra%d", i);
        ck_assert_msg(log_category_register(name, &id, err, sizeof err), "%s", err);
        ck_assert_int_eq(id, i);
    }
    id = -3;
    ck_assert(!log_category_register("onetoomany", &id, err, sizeof err));
    ck_assert_int_eq(id, -3);
    ck_assert_ptr_nonnull(strstr(err, "onetoomany"));
    ck_assert_int_eq(log_category_count(), LOG_CAT_MAX);
    /* the last id is still usable through the 64-bit mask */
    ck_assert(log_enable_category(name, err, sizeof err));
    ck_assert(log_category_enabled(LOG_CAT_MAX - 1));
}
END_TEST

static int side_effects;
static int bump(void)
{
    return ++side_effects;
}

START_TEST(macros_skip_dropped_messages)
{
    side_effects = 0;
    /* not started: even errors are dropped, arguments untouched */
    LOG_ERROR(LOG_CAT_NET, "%d", bump());
    ck_assert_int_eq(side_effects, 0);
    start_file(false);
    LOG_DEBUG(LOG_CAT_NET, "%d", bump());
    ck_assert_int_eq(side_effects, 0);
    LOG_INFO(LOG_CAT_NET, "%d", bump());
    ck_assert_int_eq(side_effects, 1);
    ck_assert(log_enable_category("net", NULL, 0));
    LOG_DEBUG(LOG_CAT_NET, "%d", bump());
    ck_assert_int_eq(side_effects, 2);
    log_shutdown();
    LOG_INFO(LOG_CAT_NET, "%d", bump());
    ck_assert_int_eq(side_effects, 2);
    char *text = slurp(tmp_path);
    ck_assert_int_eq(count_lines(text), 2);
    free(text);
}
END_TEST

START_TEST(control_characters_escaped)
{
    start_file(false);
    LOG_INFO(LOG_CAT_P2P, "peer sent \"%s\"", "a\nfake line\r\x1b[31m\tok\x7f");
    log_shutdown();
    char *text = slurp(tmp_path);
    ck_assert_int_eq(count_lines(text), 1);
    ck_assert_ptr_nonnull(strstr(text, "] peer sent \"a\\x0afake line\\x0d\\x1b[31m\tok\\x7f\"\n"));
    free(text);
}
END_TEST

START_TEST(long_message_not_truncated)
{
    char big[5000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    start_file(false);
    LOG_INFO(LOG_CAT_DB, "<%s>", big);
    log_shutdown();
    char *text = slurp(tmp_path);
    const char *open = strchr(text, '<');
    ck_assert_ptr_nonnull(open);
    ck_assert_uint_eq(strlen(open), sizeof big - 1 + 3); /* <, >, \n */
    ck_assert_str_eq(open + sizeof big, ">\n");
    free(text);
}
END_TEST

START_TEST(start_errors)
{
    char err[256] = "";
    struct log_config none = {.file_path = NULL, .to_stderr = false, .micros = false};
    ck_assert(!log_start(&none, err, sizeof err));
    ck_assert(!log_enabled(LOG_LEVEL_ERROR, LOG_CAT_GENERAL));

    struct log_config bad = {.file_path = "/nonexistent-dir/souk/debug.log", .to_stderr = true};
    ck_assert(!log_start(&bad, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent-dir/souk/debug.log"));
    ck_assert(!log_enabled(LOG_LEVEL_ERROR, LOG_CAT_GENERAL));

    start_file(false);
    struct log_config other = {.file_path = tmp_path};
    ck_assert(!log_start(&other, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "already"));
    /* the first logger is still running */
    ck_assert(log_enabled(LOG_LEVEL_INFO, LOG_CAT_GENERAL));
    /* out-of-range level */
    ck_assert(!log_enabled((enum log_level)42, LOG_CAT_GENERAL));
}
END_TEST

START_TEST(reopen_after_rotation)
{
    char rotated[80], err[256];
    snprintf(rotated, sizeof rotated, "%s.1", tmp_path);
    start_file(false);
    LOG_INFO(LOG_CAT_GENERAL, "before rotation");
    ck_assert_int_eq(rename(tmp_path, rotated), 0);
    LOG_INFO(LOG_CAT_GENERAL, "still old file");
    ck_assert_msg(log_reopen(err, sizeof err), "%s", err);
    LOG_INFO(LOG_CAT_GENERAL, "after rotation");
    log_shutdown();

    char *old_text = slurp(rotated);
    char *new_text = slurp(tmp_path);
    ck_assert_int_eq(count_lines(old_text), 2);
    ck_assert_ptr_nonnull(strstr(old_text, "before rotation"));
    ck_assert_ptr_nonnull(strstr(old_text, "still old file"));
    ck_assert_int_eq(count_lines(new_text), 1);
    ck_assert_ptr_nonnull(strstr(new_text, "after rotation"));
    free(old_text);
    free(new_text);
    unlink(rotated);

    /* reopen without a file is a harmless no-op */
    struct log_config cfg = {.to_stderr = true};
    ck_assert(log_start(&cfg, err, sizeof err));
    ck_assert(log_reopen(err, sizeof err));
}
END_TEST

START_TEST(reopen_failure_keeps_old_file)
{
    char dir[] = "/tmp/souk_test_logdir_XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[96], moved[96], err[256] = "";
    snprintf(path, sizeof path, "%s/debug.log", dir);
    snprintf(moved, sizeof moved, "%s.moved", dir);
    struct log_config cfg = {.file_path = path};
    ck_assert(log_start(&cfg, err, sizeof err));
    /* the directory disappears: the path can no longer be opened */
    ck_assert_int_eq(rename(dir, moved), 0);
    ck_assert(!log_reopen(err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "debug.log"));
    LOG_INFO(LOG_CAT_GENERAL, "into the open file");
    log_shutdown();
    char moved_file[128];
    snprintf(moved_file, sizeof moved_file, "%s/debug.log", moved);
    char *text = slurp(moved_file);
    ck_assert_ptr_nonnull(strstr(text, "into the open file"));
    free(text);
    unlink(moved_file);
    rmdir(moved);
}
END_TEST

START_TEST(stderr_output)
{
    /* Point fd 2 at the temporary file for the duration of the test. */
    fflush(stderr);
    int saved = dup(2);
    ck_assert_int_ge(saved, 0);
    FILE *f = fopen(tmp_path, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_ge(dup2(fileno(f), 2), 0);
    struct log_config cfg = {.to_stderr = true};
    char err[128];
    ck_assert(log_start(&cfg, err, sizeof err));
    LOG_WARN(LOG_CAT_HTTP, "to stderr");
    log_shutdown();
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    fclose(f);
    char *text = slurp(tmp_path);
    ck_assert_msg(matches(text, "^" TS_RE " \\[warn\\] \\[http\\] to stderr\n$"), "%s", text);
    free(text);
}
END_TEST

#define THREADS 4
#define LINES_PER_THREAD 250

static void *writer(void *arg)
{
    int t = *(int *)arg;
    for (int i = 0; i < LINES_PER_THREAD; i++)
        LOG_INFO(LOG_CAT_NET, "thread %d line %d padding-padding-padding-padding", t, i);
    return NULL;
}

START_TEST(threads_do_not_interleave)
{
    start_file(true);
    pthread_t th[THREADS];
    int ids[THREADS];
    for (int i = 0; i < THREADS; i++) {
        ids[i] = i;
        ck_assert_int_eq(pthread_create(&th[i], NULL, writer, &ids[i]), 0);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    log_shutdown();

    char *text = slurp(tmp_path);
    ck_assert_int_eq(count_lines(text), THREADS * LINES_PER_THREAD);
    /* Compiled once, not per line: a thousand regcomp calls under ASan on
     * a loaded machine ran past check's 4 s default timeout. */
    regex_t re;
    ck_assert_int_eq(regcomp(&re, "^" TS_US_RE " \\[info\\] \\[net\\] thread [0-9] line [0-9]+ "
                                  "padding-padding-padding-padding$",
                             REG_EXTENDED | REG_NOSUB),
                     0);
    int seen[THREADS] = {0};
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        ck_assert_msg(regexec(&re, line, 0, NULL, 0) == 0, "mangled line: %s", line);
        int t, i;
        ck_assert_int_eq(sscanf(strstr(line, "thread"), "thread %d line %d", &t, &i), 2);
        ck_assert(t >= 0 && t < THREADS);
        /* each thread's lines arrive in its own order */
        ck_assert_int_eq(i, seen[t]);
        seen[t]++;
    }
    regfree(&re);
    for (int i = 0; i < THREADS; i++)
        ck_assert_int_eq(seen[i], LINES_PER_THREAD);
    free(text);
}
END_TEST

Suite *unit_suite(void)
{
    static const struct fixture_case tc = {.setup = setup, .teardown = teardown};
    const TTest *tests[] = {
        line_format, micros_format_and_mock_ignored, appends_to_existing_file,
        debug_needs_category, all_and_one_enable_everything, set_debug_like_bitcoind,
        unknown_category_is_an_error, names_and_lookup, register_extends_table,
        register_until_full, macros_skip_dropped_messages, control_characters_escaped,
        long_message_not_truncated, start_errors, reopen_after_rotation,
        reopen_failure_keeps_old_file, stderr_output, threads_do_not_interleave, NULL
    };
    return fixture_suite("log", &tc, tests);
}
