/*
 * Fuzz target: the model registry result mappings and the local MLmodel
 * signature check (lib/api/registry.c). First byte % 4 chooses:
 *   0  the rest as a model-version answer ({"model_version": ...} or
 *      {"model_version_databricks": ...}), read through every accessor,
 *      as the workspace registry's result;
 *   1  the same as a Unity Catalog answer (the version object at the root:
 *      the native shape, whose full name is built from its parts);
 *   2  the rest as a registered-model answer, both registries;
 *   3  the rest as the text of an MLmodel file.
 *
 * Oracles: string accessors never NULL; an accepted version has a number
 * >= 1; status agrees with its raw text; stage is NULL exactly for UC;
 * alias(i) non-NULL for i < count and NULL at count; tag key at count NULL;
 * an accepted MLmodel mentions signature, inputs and outputs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/registry_internal.h"
#include "fuzz.h"

static void must(int cond)
{
    if (!cond)
        abort();
}

static void read_version(const dbx_model_version *v, dbx_registry_t reg)
{
    must(dbx_model_version_version(v) >= 1);
    must(dbx_model_version_registry(v) == reg);
    must(dbx_model_version_name(v) && dbx_model_version_status_str(v) && dbx_model_version_status_message(v));
    dbx_model_version_status_t s = dbx_model_version_status(v);
    must(s == DBX_MODEL_VERSION_STATUS_UNKNOWN ||
         strcmp(dbx_model_version_status_name(s), dbx_model_version_status_str(v)) == 0);
    must((dbx_model_version_stage(v) == NULL) == (reg == DBX_REGISTRY_UC));
    must(dbx_model_version_description(v) && dbx_model_version_source(v) && dbx_model_version_run_id(v));
    must(dbx_model_version_storage_location(v) && dbx_model_version_user_id(v));
    (void)(dbx_model_version_creation_timestamp(v) ^ dbx_model_version_last_updated_timestamp(v));
    size_t na = dbx_model_version_alias_count(v);
    for (size_t i = 0; i < na && i < 256; i++)
        must(dbx_model_version_alias(v, i) != NULL);
    must(dbx_model_version_alias(v, na) == NULL);
    size_t nt = dbx_model_version_tag_count(v);
    for (size_t i = 0; i < nt && i < 256; i++) {
        const char *k = dbx_model_version_tag_key(v, i);
        if (k)
            must(dbx_model_version_tag(v, k) != NULL && dbx_model_version_tag_value(v, i) != NULL);
    }
    must(dbx_model_version_tag_key(v, nt) == NULL);
    (void)dbx_model_version_json(v);
}

static void read_model(const dbx_registered_model *m)
{
    must(dbx_registered_model_name(m) && dbx_registered_model_catalog_name(m) && dbx_registered_model_schema_name(m));
    must(dbx_registered_model_description(m) && dbx_registered_model_owner(m) &&
         dbx_registered_model_storage_location(m));
    (void)(dbx_registered_model_creation_timestamp(m) ^ dbx_registered_model_last_updated_timestamp(m));
    size_t na = dbx_registered_model_alias_count(m);
    for (size_t i = 0; i < na && i < 256; i++) {
        must(dbx_registered_model_alias(m, i) != NULL);
        (void)dbx_registered_model_alias_version(m, i);
    }
    must(dbx_registered_model_alias(m, na) == NULL && dbx_registered_model_alias_version(m, na) == -1);
    size_t nt = dbx_registered_model_tag_count(m);
    for (size_t i = 0; i < nt && i < 256; i++) {
        const char *k = dbx_registered_model_tag_key(m, i);
        if (k)
            must(dbx_registered_model_tag(m, k) != NULL);
    }
    must(dbx_registered_model_tag_key(m, nt) == NULL);
    (void)dbx_registered_model_json(m);
}

static int has(const uint8_t *d, size_t n, const char *w)
{
    size_t k = strlen(w);
    for (size_t i = 0; i + k <= n; i++)
        if (memcmp(d + i, w, k) == 0)
            return 1;
    return 0;
}

static int parse(dbx__jdoc *doc, const uint8_t *data, size_t size)
{
    char *t = fuzz_text(data, size);
    if (!t)
        return -1;
    dbx__jerr err;
    if (dbx__jdoc_parse(doc, t, size, 1, &err) != DBX_OK) {
        free(t);
        return -1;
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int mode = data[0] % 4;
    data++;
    size--;
    dbx__jdoc doc;
    if (mode == 0 || mode == 1) {
        if (parse(&doc, data, size) != 0)
            return 0;
        dbx_registry_t reg = mode == 0 ? DBX_REGISTRY_WORKSPACE : DBX_REGISTRY_UC;
        dbx_model_version *v = NULL;
        dbx_status st = dbx__registry_version_from_doc(&v, reg, &doc,
                                                       mode == 0 ? "model_version_databricks|model_version" : NULL);
        must((st == DBX_OK) == (v != NULL));
        if (v)
            read_version(v, reg);
        dbx_model_version_free(v);
        return 0;
    }
    if (mode == 2) {
        for (int r = 0; r < 2; r++) {
            if (parse(&doc, data, size) != 0)
                return 0;
            dbx_registered_model *m = NULL;
            dbx_status st = dbx__registry_model_from_doc(&m, r ? DBX_REGISTRY_UC : DBX_REGISTRY_WORKSPACE, &doc,
                                                         r ? NULL : "registered_model");
            must((st == DBX_OK) == (m != NULL));
            if (m)
                read_model(m);
            dbx_registered_model_free(m);
        }
        return 0;
    }
    int rc = dbx__registry_mlmodel_check((const char *)data, size);
    must(rc == 0 || rc == -1 || rc == -2 || rc == -3);
    if (rc == 0)
        must(has(data, size, "signature") && has(data, size, "inputs") && has(data, size, "outputs"));
    return 0;
}
