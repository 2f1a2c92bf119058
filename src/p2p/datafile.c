/* open, fsync, rename and stat are POSIX. */
#define _POSIX_C_SOURCE 200809L

#include "p2p/datafile.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/time.h"

enum datafile_read_result datafile_read(const char *path, size_t max_len, struct buf *out,
                                        char *err, size_t errlen)
{
    buf_reset(out);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return DATAFILE_READ_MISSING;
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return DATAFILE_READ_ERROR;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s is not a regular file", path);
        close(fd);
        return DATAFILE_READ_ERROR;
    }
    if ((uint64_t)st.st_size > max_len) {
        snprintf(err, errlen, "%s is %jd bytes, over the %zu byte limit", path,
                 (intmax_t)st.st_size, max_len);
        close(fd);
        return DATAFILE_READ_TOO_LARGE;
    }
    /* Read until EOF rather than trusting st_size: the file may change. */
    uint8_t chunk[65536];
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
            close(fd);
            buf_reset(out);
            return DATAFILE_READ_ERROR;
        }
        if (n == 0)
            break;
        if (out->len + (size_t)n > max_len) {
            snprintf(err, errlen, "%s grew over the %zu byte limit", path, max_len);
            close(fd);
            buf_reset(out);
            return DATAFILE_READ_TOO_LARGE;
        }
        if (!buf_append(out, chunk, (size_t)n)) {
            snprintf(err, errlen, "out of memory reading %s", path);
            close(fd);
            buf_reset(out);
            return DATAFILE_READ_ERROR;
        }
    }
    close(fd);
    return DATAFILE_READ_OK;
}

static void sync_parent_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    char dir[4096];
    if (!slash) {
        snprintf(dir, sizeof dir, ".");
    } else {
        size_t n = (size_t)(slash - path);
        if (n == 0)
            n = 1; /* "/file": the root */
        if (n >= sizeof dir)
            return;
        memcpy(dir, path, n);
        dir[n] = '\0';
    }
    int fd = open(dir, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    /* Best effort: some file systems refuse fsync on directories. */
    (void)fsync(fd);
    close(fd);
}

bool datafile_write_atomic(const char *path, const void *data, size_t len, char *err,
                           size_t errlen)
{
    char tmp[4096];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.new", path) >= sizeof tmp) {
        snprintf(err, errlen, "path too long: %s", path);
        return false;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
        return false;
    }
    const uint8_t *p = data;
    size_t left = len;
    while (left > 0) {
        ssize_t n = write(fd, p, left);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
            goto fail;
        }
        p += n;
        left -= (size_t)n;
    }
    if (fsync(fd) != 0) {
        snprintf(err, errlen, "cannot fsync %s: %s", tmp, strerror(errno));
        goto fail;
    }
    if (close(fd) != 0) {
        fd = -1;
        snprintf(err, errlen, "cannot close %s: %s", tmp, strerror(errno));
        goto fail;
    }
    fd = -1;
    if (rename(tmp, path) != 0) {
        snprintf(err, errlen, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
        goto fail;
    }
    sync_parent_dir(path);
    return true;
fail:
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    return false;
}

bool datafile_move_aside(const char *path, char *moved_to, size_t moved_to_len, char *err,
                         size_t errlen)
{
    char dst[4096];
    int64_t now = time_now();
    struct stat st;
    for (unsigned i = 0;; i++) {
        int n = i == 0 ? snprintf(dst, sizeof dst, "%s.bak.%" PRId64, path, now)
                       : snprintf(dst, sizeof dst, "%s.bak.%" PRId64 ".%u", path, now, i);
        if (n < 0 || (size_t)n >= sizeof dst) {
            snprintf(err, errlen, "path too long: %s", path);
            return false;
        }
        if (stat(dst, &st) != 0 && errno == ENOENT)
            break;
        if (i >= 1000) {
            snprintf(err, errlen, "no free backup name for %s", path);
            return false;
        }
    }
    if (rename(path, dst) != 0) {
        snprintf(err, errlen, "cannot rename %s to %s: %s", path, dst, strerror(errno));
        return false;
    }
    sync_parent_dir(path);
    if (moved_to && moved_to_len > 0)
        snprintf(moved_to, moved_to_len, "%s", dst);
    return true;
}
