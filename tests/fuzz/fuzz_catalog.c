/*
 * Fuzz target: the Unity Catalog result mappings and local checks
 * (lib/api/catalog.c). First byte % 4 chooses:
 *   0  the rest as a CatalogInfo / SchemaInfo / TableInfo / VolumeInfo
 *      answer, read through every accessor (columns and properties indexed);
 *   1  the rest as a list page: each element of "tables" indexed as an
 *      iterator item and read the same way;
 *   2  the rest as a full name, checked for 1, 2 and 3 parts;
 *   3  the rest as a column's SQL type text (dbx_column_def.type_text).
 *
 * Oracles: string accessors never NULL; enums agree with the raw text;
 * column i < count is non-NULL and findable by its name, column(count) is
 * NULL; property_at(i) for i < count gives a key whose lookup is non-NULL;
 * an accepted name has exactly parts-1 dots and no empty part; a derived
 * DECIMAL has 1 <= precision <= 38 and 0 <= scale <= precision.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/catalog_internal.h"
#include "fuzz.h"

static void must(int cond)
{
    if (!cond)
        abort();
}

static void read_result(const void *r, void *ud)
{
    (void)ud;
    const dbx_catalog *c = r;
    const dbx_schema *s = r;
    const dbx_table *t = r;
    const dbx_volume *v = r;
    const dbx_table_summary *ts = r;
    must(dbx_catalog_name(c) && dbx_catalog_full_name(c) && dbx_catalog_type(c) && dbx_catalog_comment(c));
    must(dbx_catalog_owner(c) && dbx_catalog_storage_root(c) && dbx_catalog_storage_location(c));
    must(dbx_catalog_metastore_id(c) && dbx_catalog_isolation_mode(c) && dbx_catalog_created_by(c) &&
         dbx_catalog_updated_by(c));
    (void)(dbx_catalog_created_at(c) ^ dbx_catalog_updated_at(c));
    must(dbx_schema_name(s) && dbx_schema_catalog_name(s) && dbx_schema_full_name(s) && dbx_schema_id(s));
    must(dbx_volume_name(v) && dbx_volume_id(v) && dbx_volume_type_str(v) && dbx_volume_storage_location(v));
    dbx_volume_type_t vt = dbx_volume_type(v);
    must(vt == DBX_VOLUME_TYPE_UNKNOWN || strcmp(dbx_volume_type_name(vt), dbx_volume_type_str(v)) == 0);
    must(dbx_table_full_name(t) && dbx_table_storage_location(t) && dbx_table_view_definition(t));
    dbx_table_type_t tt = dbx_table_type(t);
    must(tt == DBX_TABLE_TYPE_UNKNOWN || strcmp(dbx_table_type_name(tt), dbx_table_type_str(t)) == 0);
    must(dbx_table_summary_type(ts) == tt);
    dbx_data_source_format_t f = dbx_table_data_source_format(t);
    must(f == DBX_DATA_SOURCE_FORMAT_UNKNOWN ||
         strcmp(dbx_data_source_format_name(f), dbx_table_data_source_format_str(t)) == 0);

    size_t np = dbx_table_property_count(t);
    must(np == dbx_catalog_property_count(c) && np == dbx_schema_property_count(s));
    for (size_t i = 0; i < np && i < 256; i++) {
        const char *k = NULL, *val = NULL;
        must(dbx_table_property_at(t, i, &k, &val) == 1 && k && val);
        must(dbx_table_property(t, k) != NULL);
    }
    const char *k = "x";
    must(dbx_table_property_at(t, np, &k, NULL) == 0 && k == NULL);

    size_t nc = dbx_table_column_count(t);
    for (size_t i = 0; i < nc && i < 256; i++) {
        const dbx_column *col = dbx_table_column(t, i);
        must(col != NULL);
        const char *name = dbx_column_name(col);
        must(name && dbx_column_type_text(col) && dbx_column_type_json(col) && dbx_column_comment(col));
        const dbx_column *byname = dbx_table_column_by_name(t, name);
        must(byname != NULL && strcmp(dbx_column_name(byname), name) == 0);
        dbx_column_type_t ct = dbx_column_type(col);
        must(ct == DBX_COLUMN_TYPE_UNKNOWN || strcmp(dbx_column_type_name(ct), dbx_column_type_str(col)) == 0);
        int nl = dbx_column_nullable(col);
        must(nl == 0 || nl == 1);
        /* read them all (combined with ^: a sum could overflow) */
        (void)(dbx_column_precision(col) ^ dbx_column_scale(col) ^ dbx_column_position(col) ^
               dbx_column_partition_index(col));
    }
    must(dbx_table_column(t, nc) == NULL);
    (void)dbx_table_json(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int mode = data[0] % 4;
    data++;
    size--;
    if (mode <= 1) {
        char *t = fuzz_text(data, size);
        if (!t)
            return 0;
        dbx__jdoc doc;
        dbx__jerr err;
        if (dbx__jdoc_parse(&doc, t, size, 1, &err) != DBX_OK) {
            free(t);
            return 0;
        }
        if (mode == 0) {
            dbx_table *r = dbx__uc_result_from_doc(&doc);
            if (r)
                read_result(r, NULL);
            dbx_table_free(r);
        } else {
            dbx__jit it;
            dbx__jv item;
            dbx__jv_iter(dbx__jv_get(dbx__jdoc_root(&doc), "tables"), &it);
            for (int n = 0; n < 256 && dbx__jit_next(&it, &item, NULL); n++)
                (void)dbx__uc_with_item(item, read_result, NULL);
            dbx__jdoc_dispose(&doc);
        }
        return 0;
    }
    char *text = fuzz_text(data, size);
    if (!text)
        return 0;
    if (mode == 2) {
        for (int parts = 1; parts <= 3; parts++) {
            if (dbx__uc_check_name(text, parts) != DBX_OK)
                continue;
            int dots = 0;
            size_t len = strlen(text);
            must(len > 0 && text[0] != '.' && text[len - 1] != '.' && strstr(text, "..") == NULL);
            for (const char *p = text; *p; p++)
                dots += *p == '.';
            must(dots == parts - 1);
        }
    } else {
        dbx_column_type_t type;
        int p = -1, s = -1;
        char spark[40];
        if (dbx__uc_column_type(text, &type, &p, &s, spark, sizeof spark) == DBX_OK) {
            must(type > DBX_COLUMN_TYPE_UNKNOWN && type <= DBX_COLUMN_TYPE_GEOMETRY);
            if (type == DBX_COLUMN_TYPE_DECIMAL)
                must(p >= 1 && p <= 38 && s >= 0 && s <= p);
            must(strlen(spark) < sizeof spark);
        }
    }
    free(text);
    return 0;
}
