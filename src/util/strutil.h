/* strutil: the error-message convention every module shares.
 *
 * Functions that can fail take a caller's buffer (char *err, size_t errlen)
 * for a message saying why. str_set_err fills it printf-style, truncating
 * to fit, and does nothing when the caller passed no buffer (NULL or 0), so
 * a callee never has to check. Owns nothing; thread-safe. */
#ifndef SOUK_UTIL_STRUTIL_H
#define SOUK_UTIL_STRUTIL_H

#include <stdarg.h>
#include <stddef.h>

void str_set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The same with the arguments of a caller's own variadic function. */
void str_set_errv(char *err, size_t errlen, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

#endif
