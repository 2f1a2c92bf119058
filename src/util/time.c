/* POSIX clock_gettime/gmtime_r are hidden under -std=c11 otherwise. */
#define _POSIX_C_SOURCE 200809L

#include "util/time.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static _Atomic int64_t mock_secs;

/* 9999-12-31T23:59:59Z: beyond it the year no longer fits four digits. */
#define TIME_MAX_SECS INT64_C(253402300799)

int64_t time_now(void)
{
    int64_t mock = atomic_load(&mock_secs);
    if (mock > 0)
        return mock;
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
        return 0;
    return (int64_t)ts.tv_sec;
}

int64_t time_now_ms(void)
{
    int64_t mock = atomic_load(&mock_secs);
    if (mock > 0)
        return mock * 1000;
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
        return 0;
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t time_system_us(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
        return 0;
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t time_mono_us(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return 0;
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

bool time_set_mock(int64_t secs)
{
    if (secs < 0)
        return false;
    atomic_store(&mock_secs, secs);
    return true;
}

int64_t time_get_mock(void)
{
    return atomic_load(&mock_secs);
}

static bool utc_fields(int64_t secs, struct tm *tm)
{
    if (secs < 0 || secs > TIME_MAX_SECS)
        return false;
    time_t t = (time_t)secs;
    return gmtime_r(&t, tm) != NULL;
}

bool time_format_iso8601(int64_t secs, char out[TIME_ISO8601_SIZE])
{
    struct tm tm;
    char tmp[TIME_ISO8601_SIZE];
    if (!utc_fields(secs, &tm) || strftime(tmp, sizeof tmp, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        return false;
    memcpy(out, tmp, sizeof tmp);
    return true;
}

bool time_format_iso8601_us(int64_t usecs, char out[TIME_ISO8601_US_SIZE])
{
    struct tm tm;
    char date[TIME_ISO8601_SIZE - 1]; /* without the Z */
    if (usecs < 0 || !utc_fields(usecs / 1000000, &tm) ||
        strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
        return false;
    snprintf(out, TIME_ISO8601_US_SIZE, "%s.%06dZ", date, (int)(usecs % 1000000));
    return true;
}
