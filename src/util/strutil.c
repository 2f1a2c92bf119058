#include "util/strutil.h"

#include <stdio.h>

void str_set_errv(char *err, size_t errlen, const char *fmt, va_list ap)
{
    if (err == NULL || errlen == 0)
        return;
    vsnprintf(err, errlen, fmt, ap);
}

void str_set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    str_set_errv(err, errlen, fmt, ap);
    va_end(ap);
}
