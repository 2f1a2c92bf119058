/* POSIX strdup is hidden under -std=c11 otherwise. */
#define _POSIX_C_SOURCE 200809L

#include "util/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/strutil.h"
#include "util/time.h"

/* Guards the outputs and category registration. The enabled mask and the
 * started flag are atomics so that the common "is this dropped?" test in
 * the macros takes no lock. */
static pthread_mutex_t log_mutex = PTHREAD_MUTEX_INITIALIZER;
static atomic_bool log_started;
static _Atomic uint64_t log_debug_mask;
static FILE *log_file;
static char *log_path;
static bool log_to_stderr;
static atomic_bool log_micros;

/* Names never change once written; cat_count is published after the name
 * so that readers need no lock. */
static char cat_names[LOG_CAT_MAX][LOG_CAT_NAME_MAX + 1] = {
    [LOG_CAT_GENERAL] = "general",
    [LOG_CAT_NET] = "net",
    [LOG_CAT_P2P] = "p2p",
    [LOG_CAT_RPC] = "rpc",
    [LOG_CAT_HTTP] = "http",
    [LOG_CAT_MEMPOOL] = "mempool",
    [LOG_CAT_VALIDATION] = "validation",
    [LOG_CAT_DB] = "db",
    [LOG_CAT_BENCH] = "bench",
    [LOG_CAT_WALLET] = "wallet",
    [LOG_CAT_MARKET] = "market",
    [LOG_CAT_REVIEW] = "review",
    [LOG_CAT_CHAT] = "chat",
    [LOG_CAT_PLUGIN] = "plugin",
    [LOG_CAT_MINING] = "mining",
    [LOG_CAT_ADDRMAN] = "addrman",
    [LOG_CAT_REINDEX] = "reindex",
    [LOG_CAT_LIBEVENT] = "libevent",
};
static atomic_int cat_count = LOG_CAT_BUILTIN_COUNT;

static const char *const level_names[] = {
    [LOG_LEVEL_ERROR] = "error",
    [LOG_LEVEL_WARN] = "warn",
    [LOG_LEVEL_INFO] = "info",
    [LOG_LEVEL_DEBUG] = "debug",
};

bool log_start(const struct log_config *cfg, char *err, size_t errlen)
{
    if (cfg->file_path == NULL && !cfg->to_stderr) {
        str_set_err(err, errlen, "no log output chosen (neither a file nor stderr)");
        return false;
    }
    pthread_mutex_lock(&log_mutex);
    if (atomic_load(&log_started)) {
        pthread_mutex_unlock(&log_mutex);
        str_set_err(err, errlen, "the log is already started");
        return false;
    }
    FILE *f = NULL;
    char *path = NULL;
    if (cfg->file_path != NULL) {
        path = strdup(cfg->file_path);
        if (path == NULL) {
            pthread_mutex_unlock(&log_mutex);
            str_set_err(err, errlen, "out of memory");
            return false;
        }
        f = fopen(path, "a");
        if (f == NULL) {
            int e = errno;
            pthread_mutex_unlock(&log_mutex);
            str_set_err(err, errlen, "cannot open log file %s: %s", path, strerror(e));
            free(path);
            return false;
        }
    }
    log_file = f;
    log_path = path;
    log_to_stderr = cfg->to_stderr;
    atomic_store(&log_micros, cfg->micros);
    atomic_store(&log_started, true);
    pthread_mutex_unlock(&log_mutex);
    return true;
}

bool log_reopen(char *err, size_t errlen)
{
    bool ok = true;
    pthread_mutex_lock(&log_mutex);
    if (log_file != NULL) {
        FILE *f = fopen(log_path, "a");
        if (f == NULL) {
            str_set_err(err, errlen, "cannot reopen log file %s: %s", log_path, strerror(errno));
            ok = false;
        } else {
            fclose(log_file);
            log_file = f;
        }
    }
    pthread_mutex_unlock(&log_mutex);
    return ok;
}

void log_shutdown(void)
{
    pthread_mutex_lock(&log_mutex);
    atomic_store(&log_started, false);
    if (log_file != NULL)
        fclose(log_file);
    log_file = NULL;
    free(log_path);
    log_path = NULL;
    log_to_stderr = false;
    pthread_mutex_unlock(&log_mutex);
}

const char *log_level_name(enum log_level level)
{
    if ((int)level < 0 || level > LOG_LEVEL_DEBUG)
        return "?";
    return level_names[level];
}

const char *log_category_name(int cat)
{
    if (cat < 0 || cat >= atomic_load(&cat_count))
        return NULL;
    return cat_names[cat];
}

int log_category_count(void)
{
    return atomic_load(&cat_count);
}

bool log_category_lookup(const char *name, int *cat_out)
{
    int n = atomic_load(&cat_count);
    for (int i = 0; i < n; i++) {
        if (strcmp(cat_names[i], name) == 0) {
            *cat_out = i;
            return true;
        }
    }
    return false;
}

static bool is_all(const char *name)
{
    return name[0] == '\0' || strcmp(name, "1") == 0 || strcmp(name, "all") == 0;
}

static bool is_none(const char *name)
{
    return strcmp(name, "0") == 0 || strcmp(name, "none") == 0;
}

static bool valid_cat_name(const char *name)
{
    size_t len = strlen(name);
    if (len == 0 || len > LOG_CAT_NAME_MAX || is_all(name) || is_none(name))
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
            return false;
    }
    return true;
}

bool log_category_register(const char *name, int *cat_out, char *err, size_t errlen)
{
    if (!valid_cat_name(name)) {
        str_set_err(err, errlen, "invalid log category name '%s'", name);
        return false;
    }
    pthread_mutex_lock(&log_mutex);
    int id;
    bool ok = true;
    if (!log_category_lookup(name, &id)) {
        id = atomic_load(&cat_count);
        if (id >= LOG_CAT_MAX) {
            str_set_err(err, errlen, "too many log categories (at most %d) for '%s'", LOG_CAT_MAX, name);
            ok = false;
        } else {
            memcpy(cat_names[id], name, strlen(name) + 1);
            atomic_store(&cat_count, id + 1);
        }
    }
    pthread_mutex_unlock(&log_mutex);
    if (ok)
        *cat_out = id;
    return ok;
}

static bool resolve(const char *name, uint64_t *bits, char *err, size_t errlen)
{
    int cat;
    if (is_all(name)) {
        /* Every bit, so that categories registered later start enabled too. */
        *bits = UINT64_MAX;
        return true;
    }
    if (!log_category_lookup(name, &cat)) {
        str_set_err(err, errlen, "unknown debug category '%s'", name);
        return false;
    }
    *bits = UINT64_C(1) << cat;
    return true;
}

bool log_enable_category(const char *name, char *err, size_t errlen)
{
    uint64_t bits;
    if (!resolve(name, &bits, err, errlen))
        return false;
    atomic_fetch_or(&log_debug_mask, bits);
    return true;
}

bool log_disable_category(const char *name, char *err, size_t errlen)
{
    uint64_t bits;
    if (!resolve(name, &bits, err, errlen))
        return false;
    atomic_fetch_and(&log_debug_mask, ~bits);
    return true;
}

bool log_set_debug(const char *const *enable, size_t n_enable,
                   const char *const *exclude, size_t n_exclude,
                   char *err, size_t errlen)
{
    uint64_t mask = 0, bits;
    bool none = false;
    for (size_t i = 0; i < n_enable; i++) {
        if (is_none(enable[i])) {
            none = true;
            continue;
        }
        if (!resolve(enable[i], &bits, err, errlen))
            return false;
        mask |= bits;
    }
    if (none)
        mask = 0;
    for (size_t i = 0; i < n_exclude; i++) {
        if (!resolve(exclude[i], &bits, err, errlen))
            return false;
        mask &= ~bits;
    }
    atomic_store(&log_debug_mask, mask);
    return true;
}

bool log_category_enabled(int cat)
{
    if (cat < 0 || cat >= atomic_load(&cat_count))
        return false;
    return (atomic_load(&log_debug_mask) >> cat) & 1;
}

bool log_enabled(enum log_level level, int cat)
{
    if (!atomic_load(&log_started))
        return false;
    if ((int)level < 0 || level > LOG_LEVEL_DEBUG)
        return false;
    return level != LOG_LEVEL_DEBUG || log_category_enabled(cat);
}

/* Appends msg with control characters escaped; one trailing newline is
 * dropped because the line gets its own. */
static bool append_escaped(struct buf *line, const char *msg, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    if (len > 0 && msg[len - 1] == '\n')
        len--;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)msg[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f) {
            char esc[4] = {'\\', 'x', digits[c >> 4], digits[c & 15]};
            if (!buf_append(line, esc, sizeof esc))
                return false;
        } else if (!buf_append_byte(line, c)) {
            return false;
        }
    }
    return true;
}

void log_vprintf(enum log_level level, int cat, const char *fmt, va_list ap)
{
    if (!log_enabled(level, cat))
        return;

    char stack_msg[512];
    char *msg = stack_msg;
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(stack_msg, sizeof stack_msg, fmt, ap);
    if (n < 0) {
        snprintf(stack_msg, sizeof stack_msg, "(bad log format string: %s)", fmt);
        n = (int)strlen(stack_msg);
    } else if ((size_t)n >= sizeof stack_msg) {
        char *big = malloc((size_t)n + 1);
        if (big != NULL && vsnprintf(big, (size_t)n + 1, fmt, ap2) == n) {
            msg = big;
        } else {
            /* Out of memory: keep the truncated text rather than nothing. */
            free(big);
            n = (int)sizeof stack_msg - 1;
        }
    }
    va_end(ap2);

    char ts[TIME_ISO8601_US_SIZE];
    int64_t now = time_system_us();
    bool ts_ok = atomic_load(&log_micros) ? time_format_iso8601_us(now, ts)
                            : time_format_iso8601(now / 1000000, ts);
    if (!ts_ok)
        memcpy(ts, "(clock unavailable)", sizeof "(clock unavailable)");

    const char *cat_name = log_category_name(cat);
    if (cat_name == NULL)
        cat_name = "?";
    const char *level_name = log_level_name(level);

    struct buf line;
    buf_init(&line);
    bool ok = buf_append(&line, ts, strlen(ts)) && buf_append(&line, " [", 2) &&
              buf_append(&line, level_name, strlen(level_name)) && buf_append(&line, "] [", 3) &&
              buf_append(&line, cat_name, strlen(cat_name)) && buf_append(&line, "] ", 2) &&
              append_escaped(&line, msg, (size_t)n) && buf_append_byte(&line, '\n');
    if (msg != stack_msg)
        free(msg);

    if (ok) {
        pthread_mutex_lock(&log_mutex);
        if (atomic_load(&log_started)) {
            if (log_file != NULL) {
                fwrite(line.data, 1, line.len, log_file);
                /* Flushed per line: the log is read while the node runs and
                 * must hold the last words before a crash. */
                fflush(log_file);
            }
            if (log_to_stderr)
                fwrite(line.data, 1, line.len, stderr);
        }
        pthread_mutex_unlock(&log_mutex);
    }
    buf_clear(&line);
}

void log_printf(enum log_level level, int cat, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vprintf(level, cat, fmt, ap);
    va_end(ap);
}
