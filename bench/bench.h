/* bench: timing, reporting and machine description for bench_souk.
 *
 * Kept apart from the benchmark cases so they read as "set up, time, check,
 * report". Owns nothing but the one temporary directory it may create for a
 * run (removed at exit, also on failure). Not part of any souk library. */
#ifndef SOUK_BENCH_BENCH_H
#define SOUK_BENCH_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Monotonic seconds, with nanosecond resolution where the system has it. */
double bench_now(void);

/* Prints the column header of bench_report's table. */
void bench_report_header(void);
/* One table row: ops operations took seconds in total. */
void bench_report(const char *name, uint64_t ops, double seconds);

/* Sorts samples in place and returns their minimum and median. */
void bench_stats(double *samples, size_t n, double *min, double *median);

/* Prints the CPU model, CPU count, memory, kernel, compiler and build flags,
 * library versions, the date and the filesystem of dir (may be NULL). */
void bench_print_machine(FILE *out, const char *dir);

/* Creates a fresh directory under $TMPDIR (or /tmp) and registers it for
 * removal at exit. Only one may exist at a time. False on failure, with a
 * message on stderr. */
bool bench_tmpdir_create(char *out, size_t outlen);
/* Removes the directory made by bench_tmpdir_create now (idempotent). */
void bench_tmpdir_remove(void);

/* Prints "bench_souk: <message>" on stderr and exits with status 1 (the
 * temporary directory is removed by the exit handler). */
void bench_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
