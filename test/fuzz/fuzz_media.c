/* Listing photos (consensus/media.h): what every node decodes from any peer
 * that answers its request for a photo.
 *
 * A blob that decodes re-encodes to exactly the input, keeps its limits
 * and gets an image verdict from the table; the magic-byte sniffing reads
 * any bytes without reading past them. */
#include <string.h>

#include "fuzz.h"

#include "consensus/media.h"

static struct buf again;

void fuzz_one(const uint8_t *data, size_t size)
{
    struct media m;
    media_init(&m);
    enum media_err err = media_decode(data, size, &m);
    FUZZ_ASSERT((unsigned)err < MEDIA_ERR_COUNT_);
    if (err == MEDIA_OK) {
        FUZZ_ASSERT(m.mime_len <= MEDIA_MIME_MAX && m.bytes.len <= MEDIA_BYTES_MAX);
        FUZZ_ASSERT(strlen(m.mime) == m.mime_len || memchr(m.mime, '\0', m.mime_len) != NULL);
        buf_reset(&again);
        FUZZ_ASSERT(media_encode(&m, &again));
        FUZZ_ASSERT(again.len == size && memcmp(again.data, data, size) == 0);
        enum media_err c = media_check_image(&m);
        FUZZ_ASSERT(c == MEDIA_OK || c == MEDIA_ERR_EMPTY || c == MEDIA_ERR_NOT_IMAGE ||
                    c == MEDIA_ERR_MIME);
        const char *type = media_image_mime(m.bytes.data, m.bytes.len);
        FUZZ_ASSERT((c == MEDIA_OK) == (type != NULL && strcmp(type, m.mime) == 0 &&
                                         strlen(m.mime) == m.mime_len));
        uint8_t id[32];
        media_id(data, size, id);
    } else {
        FUZZ_ASSERT(m.bytes.len == 0);
    }
    media_clear(&m);
    (void)media_image_mime(data, size);
}
