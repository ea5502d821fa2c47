/*
 * libdbx internal: small jansson helpers shared by the API modules.
 * Getters never fail: a missing or mistyped field reads as the fallback.
 */
#ifndef DBX_JSON_UTIL_H
#define DBX_JSON_UTIL_H

#include <jansson.h>
#include <stdint.h>

#include "../core/core.h"

/* Borrowed string field, or `fallback` when absent or not a string. */
const char *dbx__json_str(const json_t *obj, const char *key, const char *fallback);
/* Integer field (JSON integer, or a real with an integral value, or a
 * decimal string as Entra sends), else fallback. */
int64_t dbx__json_int(const json_t *obj, const char *key, int64_t fallback);
double dbx__json_real(const json_t *obj, const char *key, double fallback);
/* Value at a dotted path ("termination_reason.code"), borrowed, or NULL. */
json_t *dbx__json_path(const json_t *obj, const char *path);
const char *dbx__json_path_str(const json_t *obj, const char *path, const char *fallback);

/* Parse a response body. An empty (or all-blank) body is an empty object.
 * Anything but a JSON object fails with DBX_EBADRESPONSE recorded for
 * `owner` (the message quotes at most a short, redacted prefix). */
dbx_status dbx__json_parse_object(json_t **out, const void *owner, const char *body, size_t len);

/* Parse JSON text (any value) into a new jansson value, or NULL with a
 * message in err and the byte offset in *errpos (may be NULL). Accepts and
 * builds what json_loadb(JSON_DECODE_ANY | JSON_ALLOW_NUL) does, several
 * times faster (lib/json/parse.c). */
json_t *dbx__json_parse(const char *text, size_t len, char *err, size_t errlen, size_t *errpos);

/* Compact dump, caller frees with dbx__free (jansson's allocator is malloc). */
char *dbx__json_dump(const json_t *v);

/* Set helpers that swallow the reference even on failure; return 0 / -1. */
int dbx__json_set_str(json_t *obj, const char *key, const char *value);
int dbx__json_set_int(json_t *obj, const char *key, int64_t value);

/* A lazily dumped JSON text cached beside a value, safe to fill from many
 * threads at once (compare-and-swap; the loser frees its copy). */
const char *dbx__json_cached_dump(const json_t *v, void *_Atomic *slot);

#endif
