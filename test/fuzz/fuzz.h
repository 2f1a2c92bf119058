/* fuzz: the shared entry point of the fuzz targets.
 *
 * Each test/fuzz/fuzz_<decoder>.c defines fuzz_one(data, size), which must
 * accept any input without crashing and check the decoder's promises (a
 * decoded object re-encodes to exactly the input bytes, and so on) with
 * FUZZ_ASSERT. Built with clang's -fsanitize=fuzzer (./configure
 * --enable-fuzz) the targets are libFuzzer binaries; otherwise fuzz_main.c
 * replays the files given on its command line (the committed corpus, run by
 * make check). */
#ifndef SOUK_TEST_FUZZ_H
#define SOUK_TEST_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

void fuzz_one(const uint8_t *data, size_t size);

/* The input cut at its first n - 1 NUL bytes into n C strings, in a
 * buffer the call keeps (valid until the next call); parts the input lacks
 * are "". Returns how many parts the input had. Text targets take their
 * fields this way. */
size_t fuzz_split(const uint8_t *data, size_t size, const char **parts, size_t n);

/* A fresh directory for a target's files (in /dev/shm when there is one:
 * no disk writes per input), removed with its contents at exit. Its path
 * (at most cap bytes) goes to out. */
bool fuzz_tmpdir(char *out, size_t cap, const char *tag);

#define FUZZ_ASSERT(cond)                                                              \
    do {                                                                               \
        if (!(cond)) {                                                                 \
            fprintf(stderr, "%s:%d: fuzz assertion failed: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                                   \
        }                                                                              \
    } while (0)

#endif
