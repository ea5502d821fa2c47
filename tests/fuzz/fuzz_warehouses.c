/*
 * Fuzz target: the SQL warehouses area's readers of untrusted text
 * (lib/api/warehouses.c).
 *
 * 1. Warehouse spec JSON (caller input, but it must never crash, leak or
 *    recurse without bound): dbx_warehouse_spec_from_json, and the same
 *    text as the value of every known field through _set_json.
 * 2. Server answers: the bytes as an EndpointInfo (get / list item) read
 *    through every accessor, then the waiters' verdict and failure message
 *    for both goals.
 *
 * Oracles: accessors never return NULL where the header promises a string;
 * the enum mappings agree with the raw text; an accepted spec round-trips
 * through _to_json and is accepted again; a refused _set_json leaves the
 * spec's JSON unchanged; a fail-fast verdict always has a message naming
 * the state.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/warehouses_internal.h"
#include "fuzz.h"

static void must(int cond)
{
    if (!cond)
        abort();
}

static const char *fields[] = {"name", "cluster_size", "min_num_clusters", "max_num_clusters", "auto_stop_mins",
                               "enable_photon", "enable_serverless_compute", "warehouse_type",
                               "spot_instance_policy", "channel", "tags", "other"};

static void read_warehouse(const dbx_warehouse *wh)
{
    must(dbx_warehouse_id(wh) && dbx_warehouse_name(wh) && dbx_warehouse_cluster_size(wh));
    must(dbx_warehouse_warehouse_type(wh) && dbx_warehouse_spot_instance_policy(wh));
    must(dbx_warehouse_channel_name(wh) && dbx_warehouse_channel_dbsql_version(wh));
    must(dbx_warehouse_creator_name(wh) && dbx_warehouse_jdbc_url(wh));
    must(dbx_warehouse_health_summary(wh) && dbx_warehouse_health_details(wh));
    must(dbx_warehouse_health_failure_code(wh) && dbx_warehouse_health_failure_type(wh));
    must(dbx_warehouse_odbc_hostname(wh) && dbx_warehouse_odbc_path(wh) && dbx_warehouse_odbc_protocol(wh));
    int port = dbx_warehouse_odbc_port(wh);
    must(port >= 0 && port <= 65535);
    (void)(dbx_warehouse_num_clusters(wh) ^ dbx_warehouse_min_num_clusters(wh) ^
           dbx_warehouse_max_num_clusters(wh) ^ dbx_warehouse_auto_stop_mins(wh) ^
           dbx_warehouse_enable_photon(wh) ^ dbx_warehouse_enable_serverless_compute(wh));
    const char *st = dbx_warehouse_state_str(wh), *hs = dbx_warehouse_health_status_str(wh);
    must(st && hs);
    dbx_warehouse_state_t s = dbx_warehouse_state(wh);
    must(s == DBX_WAREHOUSE_STATE_UNKNOWN || strcmp(dbx_warehouse_state_name(s), st) == 0);
    dbx_warehouse_health_t h = dbx_warehouse_health_status(wh);
    must(h == DBX_WAREHOUSE_HEALTH_UNKNOWN || strcmp(dbx_warehouse_health_name(h), hs) == 0);
    (void)dbx_warehouse_custom_tag(wh, "team");
    (void)dbx_warehouse_custom_tag(wh, "");
    (void)dbx_warehouse_json(wh); /* NULL only on OOM */
    dbx_warehouse_state_t goals[] = {DBX_WAREHOUSE_STATE_RUNNING, DBX_WAREHOUSE_STATE_STOPPED};
    for (int g = 0; g < 2; g++) {
        int v = dbx__warehouse_verdict(wh, goals[g]);
        must(v >= -1 && v <= 1);
        must(v != 1 || s == goals[g]);
        if (v == -1) {
            dbx__buf m = DBX__BUF_INIT;
            must(dbx__warehouse_failure_text(&m, "id", wh, goals[g]) == 0 || m.oom);
            must(m.oom || strstr(m.ptr, "warehouse id is ") != NULL);
            dbx__buf_dispose(&m);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size);
    if (!text)
        return 0;
    /* 1. specs */
    dbx_warehouse_spec *s = NULL;
    if (dbx_warehouse_spec_from_json(&s, text) == DBX_OK) {
        char *again = NULL;
        must(dbx_warehouse_spec_to_json(&again, s) == DBX_OK);
        dbx_warehouse_spec *s2 = NULL;
        must(dbx_warehouse_spec_from_json(&s2, again) == DBX_OK);
        dbx_warehouse_spec_free(s2);
        dbx_free(again);
    } else {
        must(s == NULL);
    }
    dbx_warehouse_spec_free(s);
    s = NULL;
    if (dbx_warehouse_spec_new(&s) == DBX_OK) {
        for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
            char *before = NULL, *after = NULL;
            if (dbx_warehouse_spec_to_json(&before, s) != DBX_OK)
                break;
            if (dbx_warehouse_spec_set_json(s, fields[i], text) != DBX_OK &&
                dbx_warehouse_spec_to_json(&after, s) == DBX_OK)
                must(strcmp(before, after) == 0);
            dbx_free(before);
            dbx_free(after);
        }
        (void)dbx_warehouse_spec_set_tag(s, "team", "x");
        dbx_warehouse_spec_free(s);
    }
    free(text);

    /* 2. an EndpointInfo answer (a fresh copy: the parser unescapes in place) */
    char *t = fuzz_text(data, size);
    if (!t)
        return 0;
    dbx__jdoc doc;
    dbx__jerr err;
    if (dbx__jdoc_parse(&doc, t, size, 1, &err) != DBX_OK) {
        free(t);
        return 0;
    }
    dbx_warehouse *wh = dbx__warehouse_from_doc(&doc);
    if (wh)
        read_warehouse(wh);
    dbx_warehouse_free(wh);
    return 0;
}
