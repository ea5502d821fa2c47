/*
 * libdbx fuzz targets: the libFuzzer entry point every target defines.
 * Built with -fsanitize=fuzzer it is driven by libFuzzer; otherwise
 * replay_main.c feeds it the checked-in corpus and reproducers.
 */
#ifndef DBX_FUZZ_H
#define DBX_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
