#include "node/syncprogress.h"

#include <stdio.h>
#include <string.h>

void syncprogress_init(struct syncprogress *p)
{
    memset(p, 0, sizeof p[0]);
}

/* "45 s", "3 min 20 s", "2 h 5 min". */
static void format_duration(uint64_t s, char *out, size_t outlen)
{
    if (s < 60)
        snprintf(out, outlen, "%llu s", (unsigned long long)s);
    else if (s < 3600)
        snprintf(out, outlen, "%llu min %llu s", (unsigned long long)(s / 60),
                 (unsigned long long)(s % 60));
    else
        snprintf(out, outlen, "%llu h %llu min", (unsigned long long)(s / 3600),
                 (unsigned long long)(s / 60 % 60));
}

bool syncprogress_note(struct syncprogress *p, uint64_t height, uint64_t target, int64_t now_us,
                       char *out, size_t outlen)
{
    if (target < height)
        target = height;
    double pct = target > 0 ? 100.0 * (double)height / (double)target : 100.0;
    if (!p->running) {
        if (target - height < SYNCPROGRESS_MIN_GAP)
            return false;
        p->running = true;
        p->start_height = height;
        p->start_us = now_us;
        p->last_log_us = now_us;
        snprintf(out, outlen, "progress: height %llu of %llu (%.1f%%), catching up",
                 (unsigned long long)height, (unsigned long long)target, pct);
        return true;
    }
    int64_t elapsed_us = now_us - p->start_us;
    char took[48];
    if (height >= target) {
        p->running = false;
        format_duration((uint64_t)(elapsed_us > 0 ? elapsed_us : 0) / 1000000, took, sizeof took);
        snprintf(out, outlen, "progress: height %llu of %llu (100.0%%), caught up in %s",
                 (unsigned long long)height, (unsigned long long)target, took);
        return true;
    }
    if (now_us - p->last_log_us < SYNCPROGRESS_INTERVAL_US)
        return false;
    p->last_log_us = now_us;
    uint64_t done = height > p->start_height ? height - p->start_height : 0;
    double rate = elapsed_us > 0 ? (double)done * 1e6 / (double)elapsed_us : 0.0;
    if (rate <= 0.0) {
        snprintf(out, outlen, "progress: height %llu of %llu (%.1f%%), no block connected "
                 "in the last %lld s",
                 (unsigned long long)height, (unsigned long long)target, pct,
                 (long long)(elapsed_us / 1000000));
        return true;
    }
    format_duration((uint64_t)((double)(target - height) / rate), took, sizeof took);
    snprintf(out, outlen, "progress: height %llu of %llu (%.1f%%), %.0f blocks/s, about %s left",
             (unsigned long long)height, (unsigned long long)target, pct, rate, took);
    return true;
}
