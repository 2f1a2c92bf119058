/* Replays inputs through fuzz_one: every file named on the command line,
 * or every file in a directory named there. Exits non-zero when none was
 * found, so a missing corpus is noticed. */
#define _XOPEN_SOURCE 700 /* nftw, mkdtemp */
#include "fuzz.h"

#include <dirent.h>
#include <ftw.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdirs[4][512];
static int n_tmpdirs;

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void remove_tmpdirs(void)
{
    for (int i = 0; i < n_tmpdirs; i++)
        nftw(tmpdirs[i], remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

size_t fuzz_split(const uint8_t *data, size_t size, const char **parts, size_t n)
{
    static char *copy;
    static size_t cap;
    if (size + 1 > cap) {
        char *p = realloc(copy, size + 1);
        FUZZ_ASSERT(p != NULL);
        copy = p;
        cap = size + 1;
    }
    if (size > 0)
        memcpy(copy, data, size);
    copy[size] = '\0';
    size_t have = 0, at = 0;
    for (size_t i = 0; i < n; i++) {
        if (at > size) {
            parts[i] = "";
            continue;
        }
        parts[i] = copy + at;
        have++;
        if (i + 1 < n) {
            const char *nul = memchr(copy + at, '\0', size + 1 - at);
            at = (size_t)(nul - copy) + 1;
        }
    }
    return have;
}

bool fuzz_tmpdir(char *out, size_t cap, const char *tag)
{
    if (n_tmpdirs == (int)(sizeof tmpdirs / sizeof tmpdirs[0]))
        return false;
    struct stat st;
    const char *base = getenv("TMPDIR");
    if (stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) && access("/dev/shm", W_OK) == 0)
        base = "/dev/shm";
    else if (base == NULL || base[0] == '\0')
        base = "/tmp";
    char *dir = tmpdirs[n_tmpdirs];
    int n = snprintf(dir, sizeof tmpdirs[0], "%s/souk-fuzz-%s-XXXXXX", base, tag);
    if (n < 0 || (size_t)n >= sizeof tmpdirs[0] || (size_t)n >= cap || mkdtemp(dir) == NULL)
        return false;
    if (n_tmpdirs++ == 0)
        atexit(remove_tmpdirs);
    memcpy(out, dir, (size_t)n + 1);
    return true;
}

#ifdef SOUK_FUZZ_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_one(data, size);
    return 0;
}
#else
static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "cannot open %s\n", path);
        return -1;
    }
    size_t cap = 1 << 16, len = 0;
    uint8_t *buf = malloc(cap);
    size_t n;
    while (buf != NULL && (n = fread(buf + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap) {
            uint8_t *p = realloc(buf, cap * 2);
            if (p == NULL) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = p;
            cap *= 2;
        }
    }
    fclose(f);
    if (buf == NULL)
        return -1;
    fuzz_one(buf, len);
    free(buf);
    return 1;
}

static int replay(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "cannot find %s\n", path);
        return -1;
    }
    if (!S_ISDIR(st.st_mode))
        return replay_file(path);
    DIR *d = opendir(path);
    if (d == NULL)
        return -1;
    int count = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char child[4096];
        snprintf(child, sizeof child, "%s/%s", path, e->d_name);
        int r = replay_file(child);
        if (r < 0) {
            closedir(d);
            return -1;
        }
        count += r;
    }
    closedir(d);
    return count;
}

int main(int argc, char **argv)
{
    int total = 0;
#ifdef SOUK_FUZZ_CORPUS
    /* Run by make check without arguments: the target's committed corpus. */
    if (argc == 1) {
        int r = replay(SOUK_FUZZ_CORPUS);
        if (r < 0)
            return EXIT_FAILURE;
        total += r;
    }
#endif
    for (int i = 1; i < argc; i++) {
        int r = replay(argv[i]);
        if (r < 0)
            return EXIT_FAILURE;
        total += r;
    }
    /* The empty input and a few fixed ones always run. */
    static const uint8_t fixed[][4] = {{0}, {0x90}, {0x97, 0x01}, {0xdd, 0xff, 0xff, 0xff}};
    static const uint8_t empty[1];
    fuzz_one(empty, 0);
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        fuzz_one(fixed[i], sizeof fixed[i]);
    if (total == 0) {
        fprintf(stderr, "no corpus inputs found\n");
        return EXIT_FAILURE;
    }
    printf("replayed %d inputs\n", total);
    return EXIT_SUCCESS;
}
#endif
