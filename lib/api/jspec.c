/* The JSON-backed builders' shared part (api.h, "JSON-backed builders"). */
#include "api.h"

static void *wrap(size_t size, json_t *j, dbx_status *st)
{
    json_t **b = j ? dbx__calloc(1, size) : NULL; /* the builder; its first member is the object */
    if (!b) {
        dbx__json_decref_deep(j);
        *st = dbx__fail(NULL, DBX_ENOMEM, "out of memory");
        return NULL;
    }
    *b = j;
    *st = DBX_OK;
    return b;
}

void *dbx__jspec_new(size_t size, dbx_status *st)
{
    return wrap(size, json_object(), st);
}

void *dbx__jspec_parse(size_t size, const char *fn, const char *what, const char *text, dbx__jspec_check_fn check,
                       dbx_status *st)
{
    if (!text) {
        *st = dbx__fail(NULL, DBX_EINVAL, "%s: json is NULL", fn);
        return NULL;
    }
    char err[160];
    json_t *j = NULL;
    dbx_status pst = dbx__json_parse_text(&j, text, err, sizeof err);
    if (pst != DBX_OK) {
        *st = pst == DBX_ENOMEM ? dbx__fail(NULL, DBX_ENOMEM, "out of memory")
                                : dbx__fail(NULL, DBX_EINVAL, "%s: %s is not valid JSON: %s", fn, what, err);
        return NULL;
    }
    if (!json_is_object(j)) {
        dbx__json_decref_deep(j);
        *st = dbx__fail(NULL, DBX_EINVAL, "%s: %s must be a JSON object", fn, what);
        return NULL;
    }
    if ((*st = check(j)) != DBX_OK) {
        dbx__json_decref_deep(j);
        return NULL;
    }
    return wrap(size, j, st);
}

void dbx__jspec_free(void *spec)
{
    if (!spec)
        return;
    dbx__json_decref_deep(*(json_t **)spec);
    dbx__free(spec);
}
