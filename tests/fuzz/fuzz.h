/*
 * libdbx fuzz targets: the libFuzzer entry point every target defines.
 * Built with -fsanitize=fuzzer it is driven by libFuzzer; otherwise
 * replay_main.c feeds it the checked-in corpus and reproducers.
 */
#ifndef DBX_FUZZ_H
#define DBX_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input as a NUL-terminated copy (free() it), or NULL. */
static inline char *fuzz_text(const uint8_t *data, size_t size)
{
    char *t = malloc(size + 1);
    if (t) {
        memcpy(t, data, size);
        t[size] = '\0';
    }
    return t;
}

#endif
