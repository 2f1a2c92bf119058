#define _POSIX_C_SOURCE 200809L
#include "gateway/gw_static.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/hex.h"

static bool seg_char_ok(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '_' || c == '-';
}

bool gw_static_path(const char *uri, char out[GW_STATIC_PATH_MAX])
{
    if (uri == NULL || uri[0] != '/')
        return false;
    size_t n = strcspn(uri, "?#");
    char dec[GW_STATIC_PATH_MAX];
    size_t k = 0;
    /* Decoded into dec without the leading '/'; an encoded '/' stays a
     * character of its segment and is then refused as one. */
    bool encoded_slash = false;
    for (size_t i = 1; i < n; i++) {
        char c = uri[i];
        if (c == '%') {
            if (i + 2 >= n)
                return false;
            int hi = hex_digit_value(uri[i + 1]), lo = hex_digit_value(uri[i + 2]);
            if (hi < 0 || lo < 0)
                return false;
            c = (char)(hi * 16 + lo);
            if (c == '/')
                encoded_slash = true;
            i += 2;
        }
        if (k + 1 >= sizeof dec)
            return false;
        dec[k++] = c;
    }
    dec[k] = '\0';
    if (encoded_slash || memchr(dec, '\0', k) != NULL)
        return false;
    /* "/" and "dir/" mean the directory's index.html. */
    const char *index = "index.html";
    if (k == 0 || dec[k - 1] == '/') {
        if (k + strlen(index) + 1 > sizeof dec)
            return false;
        memcpy(dec + k, index, strlen(index) + 1);
        k += strlen(index);
    }
    /* Every segment: non-empty, [A-Za-z0-9._-], no leading dot. */
    const char *seg = dec;
    for (size_t i = 0; i <= k; i++) {
        if (i == k || dec[i] == '/') {
            size_t len = (size_t)(dec + i - seg);
            if (len == 0 || seg[0] == '.')
                return false;
            seg = dec + i + 1;
        } else if (!seg_char_ok(dec[i])) {
            return false;
        }
    }
    if (gw_static_type(dec) == NULL)
        return false;
    memcpy(out, dec, k + 1);
    return true;
}

const char *gw_static_type(const char *path)
{
    static const struct {
        const char *ext;
        const char *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".ico", "image/x-icon"},
        {".json", "application/json"},
    };
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(slash != NULL ? slash : path, '.');
    if (dot == NULL)
        return NULL;
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcasecmp(dot, types[i].ext) == 0)
            return types[i].type;
    return NULL;
}

bool gw_static_read(const char *webdir, const char *rel, struct buf *out)
{
    char path[4096 + GW_STATIC_PATH_MAX + 2];
    if (snprintf(path, sizeof path, "%s/%s", webdir, rel) >= (int)sizeof path)
        return false;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return false;
    struct stat st;
    bool ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= 0 &&
              (uint64_t)st.st_size <= GW_STATIC_FILE_MAX;
    size_t start = out->len;
    while (ok) {
        char chunk[16384];
        ssize_t r = read(fd, chunk, sizeof chunk);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            ok = r == 0;
            break;
        }
        if (out->len - start + (size_t)r > GW_STATIC_FILE_MAX || !buf_append(out, chunk, (size_t)r))
            ok = false;
    }
    close(fd);
    if (!ok)
        out->len = start;
    return ok;
}
