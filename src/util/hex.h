/* hex: lowercase hex encoding and strict decoding of byte strings.
 *
 * Hashes and keys are shown as hex in the byte order they are hashed in
 * (nothing is reversed). Decoding accepts either case but rejects odd
 * lengths and any non-hex character. */
#ifndef SOUK_UTIL_HEX_H
#define SOUK_UTIL_HEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

/* Writes 2*len hex digits and a NUL to out, which holds 2*len+1 bytes. */
void hex_encode(const uint8_t *data, size_t len, char *out);
/* The value of one hex digit (either case), or -1. */
int hex_digit_value(char c);
/* Decodes a string that must be exactly 2*outlen hex digits. */
bool hex_decode_exact(const char *hex, uint8_t *out, size_t outlen);
/* Decodes a string of any even length, appending the bytes to out. */
bool hex_decode_buf(const char *hex, size_t hexlen, struct buf *out);

#endif
