/* random: cryptographically secure random bytes.
 *
 * The single source of randomness for keys, signing nonces' auxiliary data,
 * AEAD nonces and context blinding. It draws from OpenSSL's DRBG, which the
 * operating system seeds; nothing here keeps state of its own. */
#ifndef SOUK_CRYPTO_RANDOM_H
#define SOUK_CRYPTO_RANDOM_H

#include <stdbool.h>
#include <stddef.h>

/* Fills out[0..len) with random bytes. Returns false if the generator could
 * not produce them (it is unseeded or failed); out must then not be used,
 * and has been wiped of any partial output. */
bool random_bytes(void *out, size_t len);

#endif
