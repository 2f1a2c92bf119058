/* crashpoint: a test-only switch that ends the process on purpose at named
 * points of the storage code, to prove that a crash at any of them leaves
 * a datadir the next start recovers from (the idea of Bitcoin Core's
 * -dbcrashratio).
 *
 * Storage code calls crashpoint_due(name, ...) between two writes whose
 * order matters (block data and its index entry, the block index and the
 * chainstate, an index's rows and its marker); when it answers true the
 * caller may simulate a power cut on what it owns and then calls
 * crashpoint_exit, which ends the process at once: no atexit handlers, no
 * stdio flush, no destructors, nothing written afterwards.
 *
 * Two ways to arm it, both off by default:
 *  - crashpoint_set_ratio(n): every point crashes with probability 1/n
 *    (soukd's -crashratio, regtest only), half of the time as a power cut;
 *  - crashpoint_arm(name, nth, power_loss): the nth time the point of that
 *    name is reached (unit tests that need one exact crash).
 *
 * Thread-safe: points are reached from validation and from index threads. */
#ifndef SOUK_UTIL_CRASHPOINT_H
#define SOUK_UTIL_CRASHPOINT_H

#include <stdbool.h>
#include <stdint.h>

/* The exit status of a deliberate crash, so tests tell it from a failure. */
#define CRASHPOINT_EXIT_STATUS 86
#define CRASHPOINT_MAX_RATIO 1000000000u

/* 0 turns the random crashes off. */
void crashpoint_set_ratio(uint32_t ratio);
uint32_t crashpoint_ratio(void);
/* Crashes at the nth (1 = first) arrival at the point `name` (copied; at
 * most 63 bytes); power_loss asks the caller to drop what it has not made
 * durable first. NULL disarms. */
void crashpoint_arm(const char *name, uint64_t nth, bool power_loss);

/* Whether the process must end at this point now. *power_loss (may be
 * NULL) tells whether a power cut should be simulated first. Cheap when
 * nothing is armed. */
bool crashpoint_due(const char *name, bool *power_loss);
/* Writes "crashpoint <name>: ..." to the log and to stderr, then _exit
 * with CRASHPOINT_EXIT_STATUS. */
_Noreturn void crashpoint_exit(const char *name);
/* crashpoint_due, then crashpoint_exit: for callers with nothing to drop. */
void crashpoint(const char *name);

#endif
