/* nftw, mkdtemp, clock_gettime and uname are POSIX/XSI. */
#define _XOPEN_SOURCE 700
#include "bench/bench.h"

#include <errno.h>
#include <ftw.h>
#include <leveldb/c.h>
#include <msgpack.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/vfs.h>
#endif

#include "util/time.h"

#ifndef BENCH_BUILD_CFLAGS
#define BENCH_BUILD_CFLAGS "unknown"
#endif

static char bench_tmp[4096];

double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- reporting ---------------------------------------------------------- */

static void fmt_duration(double s, char *out, size_t outlen)
{
    if (s >= 1.0)
        snprintf(out, outlen, "%.3f s", s);
    else if (s >= 1e-3)
        snprintf(out, outlen, "%.3f ms", s * 1e3);
    else if (s >= 1e-6)
        snprintf(out, outlen, "%.3f us", s * 1e6);
    else
        snprintf(out, outlen, "%.1f ns", s * 1e9);
}

#define NAME_WIDTH 54

void bench_report_header(void)
{
    printf("%-*s %8s %12s %12s %12s\n", NAME_WIDTH, "operation", "ops", "total", "per op",
           "ops/s");
    for (int i = 0; i < NAME_WIDTH + 8 + 12 * 3 + 4; i++)
        putchar('-');
    putchar('\n');
}

void bench_report(const char *name, uint64_t ops, double seconds)
{
    char total[32], per[32], rate[32];
    fmt_duration(seconds, total, sizeof total);
    if (ops > 0) {
        fmt_duration(seconds / (double)ops, per, sizeof per);
    } else {
        snprintf(per, sizeof per, "-");
    }
    if (ops > 0 && seconds > 0)
        snprintf(rate, sizeof rate, "%.0f", (double)ops / seconds);
    else
        snprintf(rate, sizeof rate, "-");
    printf("%-*s %8llu %12s %12s %12s\n", NAME_WIDTH, name, (unsigned long long)ops, total, per,
           rate);
    fflush(stdout);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void bench_stats(double *samples, size_t n, double *min, double *median)
{
    if (n == 0) {
        *min = *median = 0;
        return;
    }
    qsort(samples, n, sizeof *samples, cmp_double);
    *min = samples[0];
    *median = n % 2 ? samples[n / 2] : (samples[n / 2 - 1] + samples[n / 2]) / 2;
}

/* ---- machine description ------------------------------------------------ */

/* The value of the first "key<spaces>: value" line of a /proc file, or
 * false. Also counts lines starting with key when count is not NULL. */
static bool proc_field(const char *path, const char *key, char *out, size_t outlen, int *count)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return false;
    char line[1024];
    size_t klen = strlen(key);
    bool found = false;
    if (count != NULL)
        *count = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, key, klen) != 0 || (line[klen] != ' ' && line[klen] != '\t' &&
                                              line[klen] != ':'))
            continue;
        if (count != NULL)
            (*count)++;
        if (found)
            continue;
        const char *colon = strchr(line, ':');
        if (colon == NULL)
            continue;
        colon++;
        while (*colon == ' ' || *colon == '\t')
            colon++;
        snprintf(out, outlen, "%s", colon);
        out[strcspn(out, "\n")] = '\0';
        found = true;
    }
    fclose(f);
    return found;
}

static const char *fs_name(const char *dir, char *buf, size_t buflen)
{
#ifdef __linux__
    struct statfs st;
    if (dir == NULL || statfs(dir, &st) != 0)
        return "unknown";
    /* Magic numbers from linux/magic.h, for the filesystems a build runs on. */
    switch ((unsigned long)st.f_type) {
    case 0x01021994UL: return "tmpfs (in memory: fsync is free)";
    case 0xEF53UL: return "ext2/3/4";
    case 0x58465342UL: return "xfs";
    case 0x9123683EUL: return "btrfs";
    case 0x794C7630UL: return "overlayfs";
    case 0x2FC12FC1UL: return "zfs";
    case 0x6969UL: return "nfs";
    default:
        snprintf(buf, buflen, "f_type 0x%lx", (unsigned long)st.f_type);
        return buf;
    }
#else
    (void)dir;
    (void)buf;
    (void)buflen;
    return "unknown";
#endif
}

void bench_print_machine(FILE *out, const char *dir)
{
    char model[256] = "unknown", mem[64] = "unknown";
    int cpus = 0;
    if (!proc_field("/proc/cpuinfo", "model name", model, sizeof model, NULL))
        proc_field("/proc/cpuinfo", "Hardware", model, sizeof model, NULL);
    char ignored[16];
    proc_field("/proc/cpuinfo", "processor", ignored, sizeof ignored, &cpus);
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    proc_field("/proc/meminfo", "MemTotal", mem, sizeof mem, NULL);
    struct utsname u;
    char kernel[400] = "unknown";
    if (uname(&u) == 0)
        snprintf(kernel, sizeof kernel, "%s %s %s", u.sysname, u.release, u.machine);
    char date[TIME_ISO8601_SIZE] = "unknown";
    time_format_iso8601(time_system_us() / 1000000, date);
    char fsbuf[64];

    fprintf(out, "cpu:       %s\n", model);
    fprintf(out, "cores:     %d logical CPUs in /proc/cpuinfo, %ld online\n", cpus, online);
    long long kb = atoll(mem);
    if (kb > 0)
        fprintf(out, "memory:    %.1f GiB\n", (double)kb / (1024.0 * 1024.0));
    else
        fprintf(out, "memory:    %s\n", mem);
    fprintf(out, "kernel:    %s\n", kernel);
#if defined(__clang__)
    fprintf(out, "compiler:  clang %s\n", __clang_version__);
#elif defined(__GNUC__)
    fprintf(out, "compiler:  gcc %s\n", __VERSION__);
#endif
    fprintf(out, "cflags:    %s\n", BENCH_BUILD_CFLAGS);
    fprintf(out, "libraries: OpenSSL %s; msgpack-c %s; LevelDB %d.%d\n",
            OpenSSL_version(OPENSSL_VERSION), msgpack_version(), leveldb_major_version(),
            leveldb_minor_version());
    fprintf(out, "date:      %s\n", date);
    if (dir != NULL)
        fprintf(out, "datadirs:  %s (%s)\n", dir, fs_name(dir, fsbuf, sizeof fsbuf));
}

/* ---- temporary directory ------------------------------------------------ */

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    if (remove(path) != 0)
        fprintf(stderr, "bench_souk: cannot remove %s: %s\n", path, strerror(errno));
    return 0;
}

void bench_tmpdir_remove(void)
{
    if (bench_tmp[0] == '\0')
        return;
    nftw(bench_tmp, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    bench_tmp[0] = '\0';
}

bool bench_tmpdir_create(char *out, size_t outlen)
{
    static bool registered;
    if (bench_tmp[0] != '\0') {
        fprintf(stderr, "bench_souk: a temporary directory already exists\n");
        return false;
    }
    const char *base = getenv("TMPDIR");
    if (base == NULL || base[0] == '\0')
        base = "/tmp";
    int n = snprintf(bench_tmp, sizeof bench_tmp, "%s/souk-bench-XXXXXX", base);
    if (n < 0 || (size_t)n >= sizeof bench_tmp || (size_t)n >= outlen) {
        bench_tmp[0] = '\0';
        fprintf(stderr, "bench_souk: temporary directory path too long\n");
        return false;
    }
    if (mkdtemp(bench_tmp) == NULL) {
        fprintf(stderr, "bench_souk: mkdtemp under %s: %s\n", base, strerror(errno));
        bench_tmp[0] = '\0';
        return false;
    }
    if (!registered && atexit(bench_tmpdir_remove) == 0)
        registered = true;
    snprintf(out, outlen, "%s", bench_tmp);
    return true;
}

void bench_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fflush(stdout);
    fputs("bench_souk: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}
