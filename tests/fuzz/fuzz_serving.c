/*
 * Fuzz target: the serving area's readers of untrusted text
 * (lib/api/serving.c). First byte % 3 chooses:
 *   0  the rest as an endpoint answer (get / create / update-config / a list
 *      item), read through every accessor, for the active and the pending
 *      config, by index past the end too;
 *   1  the rest as an invocations answer, every prediction read as every
 *      type, fields of object predictions by key;
 *   2  the rest as a caller's config JSON (dbx_serving_config_from_json,
 *      the local validation) and, when accepted, its serialisation.
 *
 * Oracles: string accessors never NULL where the header promises a string;
 * by-index accessors NULL / absent exactly past the count; the enums agree
 * with their raw text; a prediction's type agrees with its accessors; a
 * config that is accepted serialises, and its JSON is accepted again.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/serving_internal.h"
#include "fuzz.h"

static void must(int cond)
{
    if (!cond)
        abort();
}

static void read_config(const dbx_serving_endpoint *ep, dbx_serving_which w)
{
    (void)dbx_serving_endpoint_has_config(ep, w);
    (void)dbx_serving_endpoint_config_version(ep, w);
    size_t n = dbx_serving_endpoint_entity_count(ep, w);
    for (size_t i = 0; i < n && i < 64; i++) {
        must(dbx_serving_endpoint_entity_name(ep, w, i) != NULL);
        must(dbx_serving_endpoint_entity_model(ep, w, i) != NULL);
        must(dbx_serving_endpoint_entity_version(ep, w, i) != NULL);
        must(dbx_serving_endpoint_entity_workload_size(ep, w, i) != NULL);
        must(dbx_serving_endpoint_entity_workload_type(ep, w, i) != NULL);
        (void)dbx_serving_endpoint_entity_scale_to_zero(ep, w, i);
        (void)dbx_serving_endpoint_entity_env(ep, w, i, "K");
        dbx_serving_deployment_t d = dbx_serving_endpoint_entity_deployment(ep, w, i);
        const char *ds = dbx_serving_endpoint_entity_deployment_str(ep, w, i);
        must(ds != NULL);
        if (d != DBX_SERVING_DEPLOYMENT_UNKNOWN)
            must(strcmp(dbx_serving_deployment_name(d), ds) == 0);
        must(dbx_serving_endpoint_entity_deployment_message(ep, w, i) != NULL);
    }
    must(strcmp(dbx_serving_endpoint_entity_name(ep, w, n), "") == 0); /* past the end: absent */
    size_t nr = dbx_serving_endpoint_route_count(ep, w);
    for (size_t i = 0; i < nr && i < 64; i++) {
        must(dbx_serving_endpoint_route_name(ep, w, i) != NULL);
        (void)dbx_serving_endpoint_route_percentage(ep, w, i);
    }
    must(strcmp(dbx_serving_endpoint_route_name(ep, w, nr), "") == 0);
}

static void read_endpoint(const dbx_serving_endpoint *ep)
{
    must(dbx_serving_endpoint_name(ep) && dbx_serving_endpoint_id(ep) && dbx_serving_endpoint_creator(ep));
    must(dbx_serving_endpoint_name(ep)[0] != '\0'); /* accepted answers name an endpoint */
    (void)(dbx_serving_endpoint_creation_timestamp(ep) ^ dbx_serving_endpoint_last_updated_timestamp(ep));
    dbx_serving_ready_t r = dbx_serving_endpoint_ready(ep);
    const char *rs = dbx_serving_endpoint_ready_str(ep);
    must(rs != NULL);
    if (r != DBX_SERVING_READY_UNKNOWN)
        must(strcmp(dbx_serving_ready_name(r), rs) == 0);
    dbx_serving_config_update_t u = dbx_serving_endpoint_config_update(ep);
    const char *us = dbx_serving_endpoint_config_update_str(ep);
    must(us != NULL);
    if (u != DBX_SERVING_CONFIG_UPDATE_UNKNOWN)
        must(strcmp(dbx_serving_config_update_name(u), us) == 0);
    read_config(ep, DBX_SERVING_ACTIVE);
    read_config(ep, DBX_SERVING_PENDING);
    (void)dbx_serving_endpoint_route_optimized(ep);
    must(dbx_serving_endpoint_endpoint_url(ep) != NULL);
    size_t nt = dbx_serving_endpoint_tag_count(ep);
    for (size_t i = 0; i < nt && i < 64; i++)
        must(dbx_serving_endpoint_tag_key(ep, i) && dbx_serving_endpoint_tag_value(ep, i));
    must(strcmp(dbx_serving_endpoint_tag_key(ep, nt), "") == 0);
    (void)dbx_serving_endpoint_tag(ep, "k");
    (void)dbx_serving_endpoint_json(ep);
}

static void read_result(const dbx_serving_result *r)
{
    size_t n = dbx_serving_result_count(r);
    for (size_t i = 0; i < n && i < 256; i++) {
        dbx_serving_value_type t = dbx_serving_result_type(r, i);
        must(t != DBX_SERVING_VALUE_ABSENT);
        double d = dbx_serving_result_double(r, i);
        if (t != DBX_SERVING_VALUE_NUMBER)
            must(isnan(d));
        (void)dbx_serving_result_int(r, i, -1);
        const char *s = dbx_serving_result_string(r, i);
        if (t != DBX_SERVING_VALUE_STRING)
            must(s == NULL);
        must(dbx_serving_result_is_null(r, i) == (t == DBX_SERVING_VALUE_NULL));
        (void)dbx_serving_result_field_double(r, i, "probability");
        (void)dbx_serving_result_field_string(r, i, "label");
    }
    must(dbx_serving_result_type(r, n) == DBX_SERVING_VALUE_ABSENT);
    (void)dbx_serving_result_predictions_json(r);
    (void)dbx_serving_result_json(r);
    must(strcmp(dbx_serving_result_served_model_name(r), "m-1") == 0);
    must(dbx_serving_result_latency_ms(r) == 7);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int mode = data[0] % 3;
    data++;
    size--;
    char *t = fuzz_text(data, size);
    if (!t)
        return 0;
    if (mode == 2) {
        dbx_serving_config *cfg = NULL;
        if (dbx_serving_config_from_json(&cfg, t) == DBX_OK) {
            must(cfg != NULL);
            char *js = NULL;
            if (dbx_serving_config_to_json(&js, cfg) == DBX_OK) {
                dbx_serving_config *again = NULL;
                must(dbx_serving_config_from_json(&again, js) == DBX_OK);
                dbx_serving_config_free(again);
                free(js);
            }
        } else {
            must(cfg == NULL);
        }
        dbx_serving_config_free(cfg);
        free(t);
        return 0;
    }
    dbx__jdoc doc;
    dbx__jerr err;
    if (dbx__jdoc_parse(&doc, t, size, 1, &err) != DBX_OK) {
        free(t);
        return 0;
    }
    if (mode == 0) {
        dbx_serving_endpoint *ep = NULL;
        dbx_status st = dbx__serving_endpoint_from_doc(&ep, NULL, &doc, "fuzz");
        must((st == DBX_OK) == (ep != NULL));
        if (ep)
            read_endpoint(ep);
        dbx_serving_endpoint_free(ep);
    } else {
        dbx_serving_result *r = NULL;
        dbx_status st = dbx__serving_result_from_doc(&r, NULL, &doc, "m-1", 7);
        must((st == DBX_OK) == (r != NULL));
        if (r)
            read_result(r);
        dbx_serving_result_free(r);
    }
    /* t belongs to the document (disposed with its result) */
    return 0;
}
