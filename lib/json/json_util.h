/*
 * libdbx internal: building request bodies with jansson.
 *
 * Responses are read through jdoc.h (the one seam for server input); this
 * header is for what libdbx SENDS: jansson trees built from caller input,
 * serialised by our own writer (iterative; any allocation failure gives
 * NULL, never a truncated body), and freed without recursion.
 */
#ifndef DBX_JSON_UTIL_H
#define DBX_JSON_UTIL_H

#include <jansson.h>
#include <stdint.h>

#include "../core/core.h"
#include "jdoc.h"

/* Compact JSON text of a jansson value (members in insertion order),
 * malloc'd (dbx__free), or NULL when any allocation failed. */
char *dbx__json_dump(const json_t *v);

/* Append `n` bytes (UTF-8, NULs allowed) as a quoted, escaped JSON string
 * (as jansson writes them: ", \\ and control characters escaped). */
void dbx__json_put_string(dbx__buf *b, const char *s, size_t n);

/* json_decref without recursion: safe for values of any depth. */
void dbx__json_decref_deep(json_t *v);

/* Is `s` (NUL-terminated) valid UTF-8 (no overlongs, surrogates, > U+10FFFF)? */
int dbx__utf8_valid(const char *s);
/* Length (2..4) of the valid multi-byte UTF-8 sequence at s (< end), or 0. */
int dbx__utf8_len(const unsigned char *s, const unsigned char *end);

/* Set obj[key] to a string / integer. -1 on OOM or invalid UTF-8 (callers
 * check caller strings with DBX__REQUIRE_STR / DBX__CHECK_STR first). */
int dbx__json_set_str(json_t *obj, const char *key, const char *value);
int dbx__json_set_int(json_t *obj, const char *key, int64_t value);

#endif
