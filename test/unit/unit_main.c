#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/hex.h"

#ifndef SOUK_TEST_DATA_DIR
#error "SOUK_TEST_DATA_DIR must be defined by the build"
#endif

char *unit_read_data(const char *name, size_t *len_out)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", SOUK_TEST_DATA_DIR, name);
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open test vector file %s", path);
    size_t cap = 4096, len = 0;
    char *data = malloc(cap);
    ck_assert_ptr_nonnull(data);
    size_t n;
    while ((n = fread(data + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (cap - len - 1 == 0) {
            cap *= 2;
            data = realloc(data, cap);
            ck_assert_ptr_nonnull(data);
        }
    }
    ck_assert_msg(!ferror(f), "error reading %s", path);
    fclose(f);
    data[len] = '\0';
    if (len_out != NULL)
        *len_out = len;
    return data;
}

void unit_hex(const char *hex, uint8_t *out, size_t outlen)
{
    ck_assert_msg(hex_decode_exact(hex, out, outlen), "bad hex in test: %s", hex);
}

int main(void)
{
    SRunner *sr = srunner_create(unit_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
