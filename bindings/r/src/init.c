/* R glue: registration of every area's .Call entry points (one table per area file). */
#include <stdlib.h>
#include <string.h>

#include "dbx_r.h"

extern const R_CallMethodDef dbx_r_calls_common[];
extern const R_CallMethodDef dbx_r_calls_clusters[];
extern const R_CallMethodDef dbx_r_calls_files[];
extern const R_CallMethodDef dbx_r_calls_workspace[];
extern const R_CallMethodDef dbx_r_calls_dbfs[];
extern const R_CallMethodDef dbx_r_calls_jobs[];
extern const R_CallMethodDef dbx_r_calls_sql[];
extern const R_CallMethodDef dbx_r_calls_catalog[];
extern const R_CallMethodDef dbx_r_calls_warehouses[];
extern const R_CallMethodDef dbx_r_calls_delta[];
extern const R_CallMethodDef dbx_r_calls_mlflow[];
extern const R_CallMethodDef dbx_r_calls_registry[];
extern const R_CallMethodDef dbx_r_calls_serving[];
extern const R_CallMethodDef dbx_r_calls_serving_scorer[];
extern const R_CallMethodDef dbx_r_calls_serving_extras[];
extern const R_CallMethodDef dbx_r_calls_monitors[];
/* more areas: one extern line here and one entry in `tables` below */

static const R_CallMethodDef *const tables[] = {
    dbx_r_calls_common,
    dbx_r_calls_clusters,
    dbx_r_calls_files,
    dbx_r_calls_workspace,
    dbx_r_calls_dbfs,
    dbx_r_calls_jobs,
    dbx_r_calls_sql,
    dbx_r_calls_catalog,
    dbx_r_calls_warehouses,
    dbx_r_calls_delta,
    dbx_r_calls_mlflow,
    dbx_r_calls_registry,
    dbx_r_calls_serving,
    dbx_r_calls_serving_scorer,
    dbx_r_calls_serving_extras,
    dbx_r_calls_monitors,
};

void R_init_libdbx(DllInfo *dll)
{
    size_t n = 0;
    for (size_t t = 0; t < sizeof tables / sizeof *tables; t++)
        for (const R_CallMethodDef *d = tables[t]; d->name; d++)
            n++;
    /* R keeps its own copy of the table, so this one is freed after registering */
    R_CallMethodDef *all = calloc(n + 1, sizeof *all);
    if (!all)
        Rf_error("libdbx: out of memory while registering routines");
    size_t k = 0;
    for (size_t t = 0; t < sizeof tables / sizeof *tables; t++)
        for (const R_CallMethodDef *d = tables[t]; d->name; d++)
            all[k++] = *d;
    R_registerRoutines(dll, NULL, all, NULL, NULL);
    R_useDynamicSymbols(dll, FALSE);
    free(all);
}
