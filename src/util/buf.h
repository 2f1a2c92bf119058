/* buf: a growable byte buffer.
 *
 * A struct buf owns its heap block. Everything that builds bytes of unknown
 * final length (encoders, hex, file reads) writes into one. Growth is checked:
 * a request that would overflow size_t, or an allocation failure, is reported
 * as false and leaves the buffer as it was. */
#ifndef SOUK_UTIL_BUF_H
#define SOUK_UTIL_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf {
    uint8_t *data;
    size_t len;
    size_t cap;
};

void buf_init(struct buf *b);
/* Frees the block; the buffer is empty and reusable afterwards. */
void buf_clear(struct buf *b);
/* Like buf_clear, but wipes the bytes first (for secrets). */
void buf_clear_secure(struct buf *b);
/* Keeps the allocation, drops the contents. */
void buf_reset(struct buf *b);
/* Makes room for at least `extra` more bytes. */
bool buf_reserve(struct buf *b, size_t extra);
bool buf_append(struct buf *b, const void *data, size_t len);
bool buf_append_byte(struct buf *b, uint8_t byte);
/* Detaches the block: the caller owns *out (free()) and the buffer is empty. */
uint8_t *buf_steal(struct buf *b, size_t *len_out);

#endif
