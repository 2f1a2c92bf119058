/* log: the process-wide debug log.
 *
 * One logger per process, shared by every thread (a mutex serialises lines).
 * Each line is "<UTC ISO 8601 time> [<level>] [<category>] <message>", written
 * to a file (appended) and/or stderr.
 *
 * Levels error, warn and info are always written. A debug message is written
 * only when its category is enabled, which is what -debug=<category> does
 * (as in bitcoind). Categories are a built-in table (enum log_category) that
 * plugins can extend at run time with log_category_register(); -debug
 * values are resolved by name.
 *
 * Owns the open log file and the category table. Nothing is written before
 * log_start() or after log_shutdown(). */
#ifndef SOUK_UTIL_LOG_H
#define SOUK_UTIL_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

enum log_level {
    LOG_LEVEL_ERROR,
    LOG_LEVEL_WARN,
    LOG_LEVEL_INFO,
    LOG_LEVEL_DEBUG,
};

/* Built-in categories. Registered categories get ids from
 * LOG_CAT_BUILTIN_COUNT up to LOG_CAT_MAX - 1. */
enum log_category {
    LOG_CAT_GENERAL,
    LOG_CAT_NET,
    LOG_CAT_P2P,
    LOG_CAT_RPC,
    LOG_CAT_HTTP,
    LOG_CAT_MEMPOOL,
    LOG_CAT_VALIDATION,
    LOG_CAT_DB,
    LOG_CAT_BENCH,
    LOG_CAT_WALLET,
    LOG_CAT_MARKET,
    LOG_CAT_REVIEW,
    LOG_CAT_CHAT,
    LOG_CAT_PLUGIN,
    LOG_CAT_MINING,
    LOG_CAT_ADDRMAN,
    LOG_CAT_REINDEX,
    LOG_CAT_LIBEVENT,
    LOG_CAT_BUILTIN_COUNT,
};

/* The enabled set is a 64-bit mask, so at most 64 categories exist. */
#define LOG_CAT_MAX 64
/* Longest category name, without the NUL. */
#define LOG_CAT_NAME_MAX 23

struct log_config {
    const char *file_path; /* appended to; NULL for no file */
    bool to_stderr;
    bool micros;           /* timestamps with microseconds */
};

/* Opens the outputs. False (with a message in err) when the file cannot be
 * opened, when no output is chosen, or when the logger is already started. */
bool log_start(const struct log_config *cfg, char *err, size_t errlen);
/* Closes and reopens the log file at the same path, so that a file moved
 * away by log rotation is replaced by a fresh one. When reopening fails the
 * old file stays in use and false is returned. No-op without a file. */
bool log_reopen(char *err, size_t errlen);
/* Flushes and closes the outputs; later messages are dropped. The enabled
 * categories and registered names survive, so the logger can be restarted. */
void log_shutdown(void);

/* Name of a level ("error", "warn", "info", "debug"); "?" if out of range. */
const char *log_level_name(enum log_level level);
/* Name of a category id; NULL if no such category. */
const char *log_category_name(int cat);
/* Number of categories (ids are 0 .. count-1). */
int log_category_count(void);
/* Looks a category up by exact name. */
bool log_category_lookup(const char *name, int *cat_out);
/* Adds a category (or finds the existing one of that name). Names are 1 to
 * LOG_CAT_NAME_MAX characters of [a-z0-9_-] and not one of the reserved
 * words all/none/0/1. False with a message when the name is invalid or the
 * table is full. */
bool log_category_register(const char *name, int *cat_out, char *err, size_t errlen);

/* Enables debug output for one category by name; "all", "1" or "" enable
 * every category. Unknown names: false, message names it, nothing changes. */
bool log_enable_category(const char *name, char *err, size_t errlen);
/* Disables one category; "all" disables every category. */
bool log_disable_category(const char *name, char *err, size_t errlen);
/* Replaces the enabled set the way -debug / -debugexclude do: each enable
 * name turns its category on ("1", "all" or "" turn all on), a "0" or "none"
 * anywhere in enable turns everything off, and exclude names win over
 * enables. All names are checked first; on any unknown name nothing
 * changes. */
bool log_set_debug(const char *const *enable, size_t n_enable,
                   const char *const *exclude, size_t n_exclude,
                   char *err, size_t errlen);
bool log_category_enabled(int cat);

/* True when a message at this level and category would be written: the
 * logger is started and the level is not debug, or the category is enabled. */
bool log_enabled(enum log_level level, int cat);

/* Writes one line (a trailing newline in fmt is optional). Control
 * characters in the message are escaped as \xNN so that text received from
 * peers cannot forge extra log lines. */
void log_printf(enum log_level level, int cat, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void log_vprintf(enum log_level level, int cat, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/* The macros test first, so the arguments are neither evaluated nor
 * formatted when the message would be dropped. */
#define LOG_AT(level, cat, ...)                                     \
    do {                                                            \
        if (log_enabled((level), (cat)))                            \
            log_printf((level), (cat), __VA_ARGS__);                \
    } while (0)
#define LOG_ERROR(cat, ...) LOG_AT(LOG_LEVEL_ERROR, (cat), __VA_ARGS__)
#define LOG_WARN(cat, ...) LOG_AT(LOG_LEVEL_WARN, (cat), __VA_ARGS__)
#define LOG_INFO(cat, ...) LOG_AT(LOG_LEVEL_INFO, (cat), __VA_ARGS__)
#define LOG_DEBUG(cat, ...) LOG_AT(LOG_LEVEL_DEBUG, (cat), __VA_ARGS__)

#endif
