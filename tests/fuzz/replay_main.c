/*
 * A main() for fuzz targets without libFuzzer: feeds every file of the
 * directories given (sorted, dot files skipped), or each file given, to
 * LLVMFuzzerTestOneInput once. A crash, sanitizer report or abort() fails
 * the run; the input being replayed is printed first so it can be found.
 *
 *   fuzz_ini_replay tests/fuzz/corpus/fuzz_ini tests/fuzz/regressions/fuzz_ini
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return -1;
    }
    size_t cap = 4096, n = 0;
    unsigned char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            unsigned char *p = realloc(buf, cap * 2);
            if (!p) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = p;
            cap *= 2;
        }
    }
    int err = ferror(f);
    fclose(f);
    if (!buf || err) {
        fprintf(stderr, "%s: %s\n", path, buf ? "read error" : "out of memory");
        free(buf);
        return -1;
    }
    /* an exact-size copy, so that ASan sees any read past the input */
    unsigned char *in = malloc(n ? n : 1);
    if (!in) {
        free(buf);
        return -1;
    }
    memcpy(in, buf, n);
    free(buf);
    fprintf(stderr, "replay: %s (%zu bytes)\n", path, n);
    LLVMFuzzerTestOneInput(in, n);
    free(in);
    return 0;
}

static int skip_dots(const struct dirent *d) { return d->d_name[0] != '.'; }

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s DIR_OR_FILE...\n", argv[0]);
        return 2;
    }
    int fail = 0;
    size_t count = 0;
    for (int a = 1; a < argc; a++) {
        struct stat st;
        if (stat(argv[a], &st) != 0) {
            perror(argv[a]);
            fail = 1;
            continue;
        }
        if (!S_ISDIR(st.st_mode)) {
            fail |= replay_file(argv[a]) != 0;
            count++;
            continue;
        }
        struct dirent **names;
        int n = scandir(argv[a], &names, skip_dots, alphasort);
        if (n < 0) {
            perror(argv[a]);
            fail = 1;
            continue;
        }
        for (int i = 0; i < n; i++) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", argv[a], names[i]->d_name);
            if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
                fail |= replay_file(path) != 0;
                count++;
            }
            free(names[i]);
        }
        free(names);
    }
    fprintf(stderr, "replayed %zu inputs\n", count);
    return fail;
}
