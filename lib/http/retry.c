/* libdbx internal: retry arithmetic. Pure functions, unit-tested. */
#include <curl/curl.h>
#include <ctype.h>
#include <string.h>

#include "http.h"

long dbx__parse_retry_after(const char *value, int64_t wall_now_ms)
{
    if (dbx__empty(value))
        return -1;
    const char *p = value;
    while (isspace((unsigned char)*p))
        p++;
    if (isdigit((unsigned char)*p)) {
        long secs;
        if (dbx__parse_long(p, &secs) != 0) {
            /* all digits but too large for a long: a very long delay (RFC 9111 1.2.2) */
            const char *q = p;
            while (isdigit((unsigned char)*q))
                q++;
            while (isspace((unsigned char)*q))
                q++;
            if (*q)
                return -1;
            secs = 24L * 3600;
        }
        if (secs < 0)
            return -1;
        if (secs > 24L * 3600)
            secs = 24L * 3600;
        return secs * 1000;
    }
    time_t when = curl_getdate(p, NULL);
    if (when == (time_t)-1)
        return -1;
    /* Compare in seconds before scaling: curl accepts years like 599999999,
     * whose time in ms does not fit an int64_t. Within a day (and a second)
     * of now the arithmetic below cannot overflow, whatever the clocks. */
    const int64_t day_s = 24LL * 3600;
    int64_t w = (int64_t)when, now_s = wall_now_ms / 1000;
    if (w > now_s + day_s + 1)
        return (long)(day_s * 1000);
    if (w < now_s - 1)
        return 0;
    int64_t delta = (w - now_s) * 1000 - (wall_now_ms - now_s * 1000);
    if (delta < 0)
        delta = 0;
    if (delta > day_s * 1000)
        delta = day_s * 1000;
    return (long)delta;
}

int64_t dbx__http_date_ms(const char *value)
{
    if (dbx__empty(value))
        return -1;
    time_t when = curl_getdate(value, NULL);
    if (when == (time_t)-1 || (int64_t)when > INT64_MAX / 1000 || (int64_t)when < INT64_MIN / 1000)
        return -1;
    return (int64_t)when * 1000;
}

long dbx__backoff_ms(int retry, long initial, long max)
{
    if (retry < 1)
        retry = 1;
    if (initial <= 0)
        initial = 1000;
    if (max < initial)
        max = initial;
    long d = initial;
    for (int i = 1; i < retry && d < max; i++)
        d = d > max / 2 ? max : d * 2;
    if (d > max)
        d = max;
    /* equal jitter: half fixed, half random, so clients spread out but
     * none comes back early */
    d = d / 2 + dbx__rand_range(0, d - d / 2);
    return d < DBX__RETRY_FLOOR_MS ? DBX__RETRY_FLOOR_MS : d;
}

long dbx__retry_delay_ms(int retry, long initial, long max, long retry_after_ms)
{
    long d = dbx__backoff_ms(retry, initial, max);
    return retry_after_ms > d ? retry_after_ms : d;
}

int dbx__is_transient_message(const char *text)
{
    static const char *patterns[] = {
        "com.databricks.backend.manager.util.UnknownWorkerEnvironmentException",
        "does not have any associated worker environments",
        "There is no worker environment with id",
        "Unknown worker environment",
        "ClusterNotReadyException",
        "Timed out after ",
        "deadline exceeded",
    };
    if (dbx__empty(text))
        return 0;
    for (size_t i = 0; i < sizeof patterns / sizeof *patterns; i++)
        if (strstr(text, patterns[i]))
            return 1;
    /* "worker env .* not found" */
    const char *w = strstr(text, "worker env");
    if (w && strstr(w, "not found"))
        return 1;
    return 0;
}
