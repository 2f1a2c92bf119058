/* time: the node's clocks and a mockable "now" for tests.
 *
 * Three clocks with different jobs:
 *  - time_now(): node wall-clock seconds. Consensus compares block times with
 *    it, so tests need to move it: time_set_mock() replaces it process-wide.
 *  - time_system_us(): the real wall clock in microseconds, never mocked
 *    (log timestamps must show when something really happened).
 *  - time_mono_us(): monotonic microseconds, never mocked, for measuring
 *    durations and timeouts (immune to clock steps).
 * Also formats UTC times as ISO 8601. Owns only the mock-time value. */
#ifndef SOUK_UTIL_TIME_H
#define SOUK_UTIL_TIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "2024-05-01T12:34:56Z" plus NUL. */
#define TIME_ISO8601_SIZE 21
/* "2024-05-01T12:34:56.123456Z" plus NUL. */
#define TIME_ISO8601_US_SIZE 28

/* Seconds since the Unix epoch: the mock time when one is set, else the
 * system clock. */
int64_t time_now(void);
/* The same in milliseconds (the mock time, when set, at .000). */
int64_t time_now_ms(void);
/* Real wall clock in microseconds since the epoch; ignores the mock. */
int64_t time_system_us(void);
/* Monotonic microseconds from an arbitrary origin; ignores the mock. */
int64_t time_mono_us(void);

/* Makes time_now() return `secs` (0 turns mocking off). Negative values are
 * refused (false, mock unchanged). Safe to call from any thread. */
bool time_set_mock(int64_t secs);
/* The current mock time, 0 when not mocking. */
int64_t time_get_mock(void);

/* Formats a time as UTC ISO 8601 into out. False (out untouched) for times
 * before 1970 or after year 9999. */
bool time_format_iso8601(int64_t secs, char out[TIME_ISO8601_SIZE]);
bool time_format_iso8601_us(int64_t usecs, char out[TIME_ISO8601_US_SIZE]);

#endif
