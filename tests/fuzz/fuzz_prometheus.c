/*
 * Fuzz target: the Prometheus text parser of a serving endpoint's /metrics
 * (lib/api/serving_metrics.c, dbx__prom_parse). The input is the text, not
 * NUL-terminated.
 *
 * Oracles: success or DBX_EBADRESPONSE / DBX_ENOMEM only; on success every
 * accessor answers within bounds (strings never NULL, label counts <= 64),
 * a sample's name is non-empty and found again by dbx_serving_metrics_find
 * at an index <= its own, every label of a sample is found by key.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "api/serving_internal.h"
#include "fuzz.h"

static void must(int cond)
{
    if (!cond)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* a copy exactly `size` bytes long, so that reads past the end are caught */
    char *text = malloc(size ? size : 1);
    if (!text)
        return 0;
    if (size)
        memcpy(text, data, size);
    dbx_serving_metrics *m = NULL;
    dbx_status st = dbx__prom_parse(&m, NULL, text, size);
    must(st == DBX_OK || st == DBX_EBADRESPONSE || st == DBX_ENOMEM);
    must((st == DBX_OK) == (m != NULL));
    size_t n = dbx_serving_metrics_count(m);
    for (size_t i = 0; i < n && i < 4096; i++) {
        const char *name = dbx_serving_metrics_name(m, i);
        must(name && *name);
        long f = dbx_serving_metrics_find(m, name, NULL, NULL);
        must(f >= 0 && (size_t)f <= i);
        must((unsigned)dbx_serving_metrics_type(m, i) <= DBX_METRIC_SUMMARY);
        must(dbx_metric_type_name(dbx_serving_metrics_type(m, i)) != NULL);
        (void)dbx_serving_metrics_value(m, i);
        int64_t ts = 0;
        (void)dbx_serving_metrics_timestamp(m, i, &ts);
        size_t nl = dbx_serving_metrics_label_count(m, i);
        must(nl <= 64);
        for (size_t j = 0; j < nl; j++) {
            const char *k = dbx_serving_metrics_label_key(m, i, j);
            const char *v = dbx_serving_metrics_label_value(m, i, j);
            must(k && *k && v);
            const char *by = dbx_serving_metrics_label(m, i, k);
            must(by && strcmp(by, v) == 0);
        }
        must(*dbx_serving_metrics_label_key(m, i, nl) == '\0');
        (void)dbx_serving_metrics_sum(m, name, NULL, NULL);
    }
    must(*dbx_serving_metrics_name(m, n) == '\0');
    must(isnan(dbx_serving_metrics_value(m, n)));
    dbx_serving_metrics_free(m);
    free(text);
    return 0;
}
