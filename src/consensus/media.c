#include "consensus/media.h"

#include <string.h>

#include "consensus/serialize.h"
#include "crypto/sha256.h"

static const struct {
    const char *reason, *text;
} media_errors[MEDIA_ERR_COUNT_] = {
    [MEDIA_OK] = {"ok", "success"},
    [MEDIA_ERR_MALFORMED] = {"media-malformed", "not the canonical encoding of a version 1 blob"},
    [MEDIA_ERR_VERSION] = {"media-version", "a media version this node does not know"},
    [MEDIA_ERR_OVERSIZE] = {"media-oversize",
                            "the bytes are above 512 KiB or the mime above 64 bytes"},
    [MEDIA_ERR_EMPTY] = {"media-empty", "the blob holds no bytes"},
    [MEDIA_ERR_NOT_IMAGE] = {"media-not-image",
                             "the bytes are not a PNG, JPEG, WebP or GIF image"},
    [MEDIA_ERR_MIME] = {"media-mime", "the mime does not name the image type of the bytes"},
    [MEDIA_ERR_NOMEM] = {"media-nomem", "out of memory"},
};

const char *media_reason(enum media_err err)
{
    return (unsigned)err < MEDIA_ERR_COUNT_ ? media_errors[err].reason : "media-unknown";
}

const char *media_strerror(enum media_err err)
{
    return (unsigned)err < MEDIA_ERR_COUNT_ ? media_errors[err].text : "unknown error";
}

void media_init(struct media *m)
{
    memset(m, 0, sizeof *m);
    buf_init(&m->bytes);
}

void media_clear(struct media *m)
{
    buf_clear(&m->bytes);
    media_init(m);
}

bool media_encode(const struct media *m, struct buf *out)
{
    if (m->mime_len > MEDIA_MIME_MAX || m->bytes.len > MEDIA_BYTES_MAX)
        return false;
    size_t start = out->len;
    struct ser_writer w;
    ser_writer_init(&w, out);
    ser_write_array(&w, 3);
    ser_write_uint(&w, MEDIA_VERSION);
    ser_write_str(&w, m->mime, m->mime_len);
    ser_write_bin(&w, m->bytes.data, m->bytes.len);
    if (!ser_writer_ok(&w)) {
        out->len = start;
        return false;
    }
    return true;
}

enum media_err media_decode(const void *bytes, size_t len, struct media *out)
{
    if (len > MEDIA_MAX_SIZE)
        return MEDIA_ERR_OVERSIZE;
    struct ser_doc doc;
    ser_doc_init(&doc);
    const msgpack_object *f;
    uint64_t version;
    const char *mime;
    const uint8_t *b;
    size_t mime_len, b_len;
    enum media_err err = MEDIA_ERR_MALFORMED;
    if (ser_doc_parse(&doc, bytes, len) != SER_OK || ser_get_array(ser_doc_root(&doc), 3, &f) != SER_OK ||
        ser_get_uint(&f[0], &version) != SER_OK)
        goto done;
    if (version != MEDIA_VERSION) {
        err = MEDIA_ERR_VERSION;
        goto done;
    }
    /* The limits are checked apart from the types, so that an oversize
     * field is named as such. */
    if (f[1].type != MSGPACK_OBJECT_STR || f[2].type != MSGPACK_OBJECT_BIN)
        goto done;
    if (f[1].via.str.size > MEDIA_MIME_MAX || f[2].via.bin.size > MEDIA_BYTES_MAX) {
        err = MEDIA_ERR_OVERSIZE;
        goto done;
    }
    if (ser_get_str(&f[1], 0, MEDIA_MIME_MAX, &mime, &mime_len) != SER_OK ||
        ser_get_bin(&f[2], MEDIA_BYTES_MAX, &b, &b_len) != SER_OK)
        goto done;
    struct media m;
    media_init(&m);
    if (!buf_append(&m.bytes, b, b_len)) {
        err = MEDIA_ERR_NOMEM;
        goto done;
    }
    memcpy(m.mime, mime, mime_len);
    m.mime[mime_len] = '\0';
    m.mime_len = mime_len;
    media_clear(out);
    *out = m;
    err = MEDIA_OK;
done:
    ser_doc_clear(&doc);
    return err;
}

void media_id(const void *encoded, size_t len, uint8_t id[32])
{
    sha256(encoded, len, id);
}

/* ---- images ------------------------------------------------------------------ */

const char *media_image_mime(const uint8_t *b, size_t len)
{
    static const uint8_t png[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (len >= sizeof png && memcmp(b, png, sizeof png) == 0)
        return "image/png";
    if (len >= 3 && b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff)
        return "image/jpeg";
    if (len >= 12 && memcmp(b, "RIFF", 4) == 0 && memcmp(b + 8, "WEBP", 4) == 0)
        return "image/webp";
    if (len >= 6 && (memcmp(b, "GIF87a", 6) == 0 || memcmp(b, "GIF89a", 6) == 0))
        return "image/gif";
    return NULL;
}

enum media_err media_check_image(const struct media *m)
{
    if (m->bytes.len == 0)
        return MEDIA_ERR_EMPTY;
    const char *type = media_image_mime(m->bytes.data, m->bytes.len);
    if (type == NULL)
        return MEDIA_ERR_NOT_IMAGE;
    if (m->mime_len != strlen(type) || memcmp(m->mime, type, m->mime_len) != 0)
        return MEDIA_ERR_MIME;
    return MEDIA_OK;
}
