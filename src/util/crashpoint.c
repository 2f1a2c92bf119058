/* _exit and write are POSIX. */
#define _POSIX_C_SOURCE 200809L
#include "util/crashpoint.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"

static atomic_uint_fast32_t cp_ratio;
static atomic_uint_fast64_t cp_counter;
static uint64_t cp_seed;

static pthread_mutex_t cp_mu = PTHREAD_MUTEX_INITIALIZER;
static atomic_bool cp_armed;
static char cp_name[64];
static uint64_t cp_nth;
static bool cp_power_loss;

/* splitmix64: a well-mixed draw from a counter, with no shared state that
 * two threads could tear. Not for anything secret. */
static uint64_t cp_mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

void crashpoint_set_ratio(uint32_t ratio)
{
    if (ratio > CRASHPOINT_MAX_RATIO)
        ratio = CRASHPOINT_MAX_RATIO;
    /* Another seed in every process, so restarts crash at other points. */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    cp_seed = cp_mix((uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^
                     ((uint64_t)getpid() << 40));
    atomic_store(&cp_ratio, ratio);
}

uint32_t crashpoint_ratio(void)
{
    return (uint32_t)atomic_load(&cp_ratio);
}

void crashpoint_arm(const char *name, uint64_t nth, bool power_loss)
{
    pthread_mutex_lock(&cp_mu);
    if (name != NULL) {
        snprintf(cp_name, sizeof cp_name, "%s", name);
        cp_nth = nth ? nth : 1;
        cp_power_loss = power_loss;
    }
    atomic_store(&cp_armed, name != NULL);
    pthread_mutex_unlock(&cp_mu);
}

bool crashpoint_due(const char *name, bool *power_loss)
{
    if (power_loss != NULL)
        *power_loss = false;
    if (atomic_load(&cp_armed)) {
        bool due = false;
        pthread_mutex_lock(&cp_mu);
        if (strcmp(cp_name, name) == 0 && --cp_nth == 0) {
            due = true;
            if (power_loss != NULL)
                *power_loss = cp_power_loss;
        }
        pthread_mutex_unlock(&cp_mu);
        if (due)
            return true;
    }
    uint32_t ratio = (uint32_t)atomic_load(&cp_ratio);
    if (ratio == 0)
        return false;
    uint64_t draw = cp_mix(cp_seed + atomic_fetch_add(&cp_counter, 1));
    if (draw % ratio != 0)
        return false;
    /* Half the crashes also lose what was not synced: a power cut. */
    if (power_loss != NULL)
        *power_loss = (draw >> 40) & 1;
    return true;
}

void crashpoint_exit(const char *name)
{
    LOG_ERROR(LOG_CAT_GENERAL, "crashpoint %s: ending the process on purpose (test switch)",
              name);
    char line[160];
    int n = snprintf(line, sizeof line, "crashpoint %s: ending the process on purpose\n", name);
    if (n > 0) {
        ssize_t w = write(STDERR_FILENO, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
        (void)w;
    }
    _exit(CRASHPOINT_EXIT_STATUS);
}

void crashpoint(const char *name)
{
    if (crashpoint_due(name, NULL))
        crashpoint_exit(name);
}
