/*
 * Fuzz target: a token endpoint's answer, as auth.c reads it. The input is
 * the body of a token response: read through the indexer, expires_in and
 * expires_on (numbers or decimal strings, any value) go through
 * dbx__token_ttl_ms against several wall clocks, extremes included. The
 * lifetime must be within [0, 366 days] in ms; UBSan catches overflow on
 * the way (an expires_in of 9.3e15 once overflowed int64).
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "http/http.h"
#include "json/jdoc.h"

#define YEAR_MS (366LL * 24 * 3600 * 1000)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int64_t clocks[] = {0, 1, (int64_t)1700000000 * 1000, INT64_MAX, INT64_MIN};
    if (size > 65536)
        return 0;
    dbx__buf body = DBX__BUF_INIT;
    if (dbx__buf_put(&body, data, size) != 0)
        return 0;
    dbx__jdoc doc;
    if (dbx__jdoc_parse_object(&doc, NULL, &body) == DBX_OK) {
        dbx__jv j = dbx__jdoc_root(&doc);
        int64_t in = dbx__jv_get_int(j, "expires_in", -1);
        int64_t on = dbx__jv_get_int(j, "expires_on", -1);
        for (size_t i = 0; i < sizeof clocks / sizeof *clocks; i++) {
            int64_t ttl = dbx__token_ttl_ms(in, on, clocks[i]);
            if (ttl < 0 || ttl > YEAR_MS)
                abort();
        }
        (void)dbx__jv_get_str(j, "access_token", NULL);
        dbx__jdoc_dispose(&doc);
    }
    dbx__buf_dispose(&body);
    /* the raw numbers too, whatever the JSON says */
    if (size >= 16) {
        int64_t in, on;
        memcpy(&in, data, 8);
        memcpy(&on, data + 8, 8);
        for (size_t i = 0; i < sizeof clocks / sizeof *clocks; i++) {
            int64_t ttl = dbx__token_ttl_ms(in, on, clocks[i]);
            if (ttl < 0 || ttl > YEAR_MS)
                abort();
        }
    }
    return 0;
}
