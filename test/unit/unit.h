/* unit: shared scaffolding for the check-based unit tests.
 *
 * Each test/unit/test_<module>.c defines unit_suite(); unit_main.c runs it.
 * Test vectors live in test/data/ and are located through SOUK_TEST_DATA_DIR
 * (set by the build to the source tree's test/data). */
#ifndef SOUK_TEST_UNIT_H
#define SOUK_TEST_UNIT_H

#include <check.h>
#include <stddef.h>
#include <stdint.h>

Suite *unit_suite(void);

/* Reads test/data/<name> whole into a NUL-terminated heap block the caller
 * frees; fails the running test (ck_abort) when the file is missing. */
char *unit_read_data(const char *name, size_t *len_out);
/* Decodes hex or fails the running test. */
void unit_hex(const char *hex, uint8_t *out, size_t outlen);

#endif
