/*
 * Fuzz target: Retry-After parsing (delta-seconds or an HTTP date). The
 * input, as text, is parsed against several wall clocks, extremes
 * included. The result must be -1 (unusable) or a delay within
 * [0, 24 h] in ms; UBSan catches overflow on the way.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "http/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int64_t clocks[] = {
        0,
        1,
        -1,
        (int64_t)1700000000 * 1000 + 123, /* 2023-11-14T22:13:20.123Z */
        (int64_t)253402300799 * 1000,     /* 9999-12-31T23:59:59Z */
        (int64_t)-62135596800 * 1000,     /* 0001-01-01T00:00:00Z */
        INT64_MAX,
        INT64_MIN,
    };
    if (size > 4096) /* a header value; longer says nothing new */
        return 0;
    char *text = fuzz_text(data, size);
    if (!text)
        return 0;
    for (size_t i = 0; i < sizeof clocks / sizeof *clocks; i++) {
        long ms = dbx__parse_retry_after(text, clocks[i]);
        if (ms != -1 && (ms < 0 || ms > 24L * 3600 * 1000))
            abort();
    }
    free(text);
    return 0;
}
