/* datafile: whole-file reads and crash-safe replacement of the P2P layer's
 * small data files (peers.dat, banlist.json).
 *
 * A file is replaced by writing a temporary file next to it, fsyncing it,
 * renaming it over the old one and fsyncing the directory, so a crash leaves
 * either the old or the new file, never a torn one. A file that fails to
 * load is moved aside under a new name rather than deleted, so an operator
 * can still look at it. Owns nothing beyond the calls' own buffers. */
#ifndef SOUK_P2P_DATAFILE_H
#define SOUK_P2P_DATAFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"

enum datafile_read_result {
    DATAFILE_READ_OK,
    DATAFILE_READ_MISSING,  /* no such file */
    DATAFILE_READ_TOO_LARGE,/* larger than the caller's limit */
    DATAFILE_READ_ERROR,    /* could not be opened or read (message in err) */
};

/* Reads path whole into out (reset first). Files over max_len bytes are not
 * read. On anything but OK, out is left empty. */
enum datafile_read_result datafile_read(const char *path, size_t max_len, struct buf *out,
                                        char *err, size_t errlen);

/* Replaces path with exactly data[0..len) atomically (temp file "<path>.new",
 * fsync, rename, fsync of the directory). False with a message in err; the
 * old file is then untouched and the temp file removed. */
bool datafile_write_atomic(const char *path, const void *data, size_t len, char *err,
                           size_t errlen);

/* Renames path to "<path>.bak.<unix time>" (with ".1", ".2", ... appended
 * if that name is taken). The new name goes to moved_to (may be NULL).
 * False with a message in err when the rename fails. */
bool datafile_move_aside(const char *path, char *moved_to, size_t moved_to_len, char *err,
                         size_t errlen);

#endif
