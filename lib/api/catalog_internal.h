/*
 * libdbx internal: the parts of lib/api/catalog.c that the fuzz target and
 * tests reach without the network.
 */
#ifndef DBX_CATALOG_INTERNAL_H
#define DBX_CATALOG_INTERNAL_H

#include "../core/core.h"
#include "../json/jdoc.h"
#include "dbx/catalog.h"

/* A result from a parsed answer (the document is moved in; NULL on OOM),
 * indexed as get/create/update do. Every result type of catalog.h has the
 * same layout: cast to dbx_catalog / dbx_schema / dbx_table / dbx_volume /
 * dbx_table_summary; free with any of their _free functions. */
void *dbx__uc_result_from_doc(dbx__jdoc *doc);

/* Index `item` (a value inside `page`, which must outlive the walk) as an
 * iterator's _next does, call fn with it as a result, then drop the index.
 * -1 on OOM. */
int dbx__uc_with_item(dbx__jv item, void (*fn)(const void *result, void *ud), void *ud);

/* The full-name check of every call: DBX_OK or DBX_EINVAL (recorded for
 * no client). */
dbx_status dbx__uc_check_name(const char *name, int parts);

/* The column type of a dbx_column_def with this type_text (type UNKNOWN,
 * precision and scale 0): DBX_OK with *type, *precision, *scale and the
 * Spark JSON type name in spark ("" when none is sent), or DBX_EINVAL. */
dbx_status dbx__uc_column_type(const char *type_text, dbx_column_type_t *type, int *precision, int *scale,
                               char *spark, size_t cap);

#endif
