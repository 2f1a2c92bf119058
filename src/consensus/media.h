/* media: the listing photo format (DESIGN.md section 7) — a public blob
 * named by its hash, which is what a listing's `media` field holds.
 *
 *   media = [version=1, mime: str(<=64), bytes: bin(<=512 KiB)]
 *   id    = SHA-256 of the canonical encoding
 *
 * Blobs are not in blocks: nodes fetch them from peers when a listing that
 * names them connects, so the id is the only link between the chain and
 * the bytes, and anyone who holds the bytes can prove they are the ones a
 * listing named. The codec is the canonical msgpack of
 * consensus/serialize.h (any other encoding of the same values is
 * refused, so one blob has one id). Listings show pictures only: a blob a
 * node keeps for a listing is one of four image types, recognised by the
 * magic bytes its format starts with, and its mime names that type. Owns
 * nothing beyond each blob's copy of its bytes. */
#ifndef SOUK_CONSENSUS_MEDIA_H
#define SOUK_CONSENSUS_MEDIA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

#define MEDIA_VERSION 1
#define MEDIA_MIME_MAX 64
#define MEDIA_BYTES_MAX (512u * 1024u)
/* The largest encoded blob: the bytes plus the framing and the mime. */
#define MEDIA_MAX_SIZE (MEDIA_BYTES_MAX + MEDIA_MIME_MAX + 16u)

enum media_err {
    MEDIA_OK = 0,
    MEDIA_ERR_MALFORMED,  /* not the canonical encoding of the format */
    MEDIA_ERR_VERSION,    /* a version other than 1 */
    MEDIA_ERR_OVERSIZE,   /* bytes above 512 KiB, or a mime above 64 bytes */
    MEDIA_ERR_EMPTY,      /* no bytes */
    MEDIA_ERR_NOT_IMAGE,  /* the bytes are no PNG, JPEG, WebP or GIF image */
    MEDIA_ERR_MIME,       /* the mime does not name the image type of the bytes */
    MEDIA_ERR_NOMEM,
    MEDIA_ERR_COUNT_
};
/* A short reason ("media-not-image"), and a sentence. */
const char *media_reason(enum media_err err);
const char *media_strerror(enum media_err err);

struct media {
    char mime[MEDIA_MIME_MAX + 1];
    size_t mime_len;
    struct buf bytes;
};

void media_init(struct media *m);
void media_clear(struct media *m);

/* Appends the canonical encoding; false on allocation failure or when the
 * mime or bytes are over their limits (out as before). */
bool media_encode(const struct media *m, struct buf *out);
/* Decodes one blob (no image check: see media_check_image); on error *out
 * is untouched. */
enum media_err media_decode(const void *bytes, size_t len, struct media *out);
/* The id of an encoded blob. */
void media_id(const void *encoded, size_t len, uint8_t id[32]);

/* The image type the bytes start like ("image/png", "image/jpeg",
 * "image/webp", "image/gif"), or NULL. */
const char *media_image_mime(const uint8_t *bytes, size_t len);
/* MEDIA_OK when the blob holds one of the four image types and its mime
 * names that type (MEDIA_ERR_EMPTY, _NOT_IMAGE, _MIME otherwise). */
enum media_err media_check_image(const struct media *m);

#endif
