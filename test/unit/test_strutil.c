#include "unit.h"
#include "fixture.h"

#include <string.h>

#include "util/strutil.h"

START_TEST(formats_into_the_buffer)
{
    char err[64] = "old";
    str_set_err(err, sizeof err, "cannot open %s: %d", "x.dat", 7);
    ck_assert_str_eq(err, "cannot open x.dat: 7");
}
END_TEST

START_TEST(truncates_to_fit)
{
    char err[8];
    memset(err, 'z', sizeof err);
    str_set_err(err, sizeof err, "%s", "a message longer than the buffer");
    ck_assert_str_eq(err, "a messa");
}
END_TEST

START_TEST(no_buffer_is_fine)
{
    str_set_err(NULL, 0, "ignored %d", 1);
    str_set_err(NULL, 16, "ignored %d", 2);
    char err[4] = "abc";
    str_set_err(err, 0, "ignored %d", 3);
    ck_assert_str_eq(err, "abc");
}
END_TEST

static void via_va_list(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void via_va_list(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    str_set_errv(err, errlen, fmt, ap);
    va_end(ap);
}

START_TEST(va_list_form)
{
    char err[32];
    via_va_list(err, sizeof err, "%s=%u", "n", 42u);
    ck_assert_str_eq(err, "n=42");
    via_va_list(NULL, 0, "%s", "nothing");
}
END_TEST

Suite *unit_suite(void)
{
    const TTest *tests[] = {formats_into_the_buffer, truncates_to_fit, no_buffer_is_fine,
                            va_list_form, NULL};
    return fixture_suite("strutil", NULL, tests);
}
