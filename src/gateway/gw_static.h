/* gw_static: the web app's files as the gateway serves them — which
 * request path names which file under the web directory, its content
 * type, and reading it.
 *
 * A path is served only when, after percent-decoding, every segment is
 * made of [A-Za-z0-9._-], does not start with '.', and the file's
 * extension has a known type; "/" and a path ending in "/" mean its
 * index.html. Nothing can climb out of the web directory: "..", a hidden
 * file, an encoded slash or NUL, a backslash are all refused (404). The
 * final file is opened without following a symbolic link. Owns nothing. */
#ifndef SOUK_GATEWAY_GW_STATIC_H
#define SOUK_GATEWAY_GW_STATIC_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"

#define GW_STATIC_PATH_MAX 512
/* Larger files are not served (the web app has no such file). */
#define GW_STATIC_FILE_MAX (8u << 20)

/* The file a request URI ("/js/app.mjs?v=2") names, relative to the web
 * directory ("js/app.mjs"); false when it names none that may be served. */
bool gw_static_path(const char *uri, char out[GW_STATIC_PATH_MAX]);
/* The content type for a relative path's extension, or NULL when the
 * gateway serves no file of that kind. */
const char *gw_static_type(const char *path);
/* Reads webdir/rel into out (appended). False when it is missing, not a
 * regular file, a symbolic link, or over GW_STATIC_FILE_MAX. */
bool gw_static_read(const char *webdir, const char *rel, struct buf *out);

#endif
