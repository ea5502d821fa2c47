/*
 * libdbx internal: the response reader. The one seam through which API
 * area files read what the server sent.
 *
 * A response body is validated and indexed in ONE pass (dbx__jdoc_parse):
 * no value is allocated; the index is one array of 32-bit words in
 * document order (pre-order), a word per value and two for a container,
 * so every lookup is a walk over that array.
 * After validation, strings are unescaped in place inside the body and
 * NUL-terminated, so string getters return pointers into the body without
 * copying. The body is therefore no longer the server's text: a value's
 * JSON text is re-serialised from the index on demand (dbx__jv_dump), and
 * a jansson tree is built only when a caller asks for one
 * (dbx__jv_to_jansson, for include/dbx/sys/json.h).
 *
 * Acceptance is exactly json_loadb(JSON_DECODE_ANY | JSON_ALLOW_NUL):
 * RFC 8259 grammar; UTF-8 validated (no overlongs, surrogates or code
 * points above U+10FFFF); \u escapes with surrogate pairs; \u0000 allowed
 * in string values but not in object keys; integers must fit int64 and
 * reals must not overflow (subnormals are fine); a value nested deeper than
 * 2048 levels is rejected; duplicate keys are kept and lookups return the
 * LAST one (jansson's "last wins"). Beyond jansson: a raw NUL byte is
 * always invalid. Nothing here recurses, so hostile nesting cannot exhaust
 * a small thread stack, and nothing is freed recursively either.
 *
 * Thread-safety: a parsed document is immutable; any number of threads
 * may read it at once.
 */
#ifndef DBX_JDOC_H
#define DBX_JDOC_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "../core/core.h"

/* A parsed document. Plain struct: embed it in a result or a pager. */
typedef struct dbx__jdoc {
    char *text;      /* the body (strings unescaped in place), NUL at text[len] */
    size_t len;
    uint32_t *tok;   /* one word per value, two for containers (see jdoc.c) */
    uint32_t n;      /* words in use */
    int owns_text;   /* text is freed with the document */
} dbx__jdoc;

typedef struct dbx__jerr {
    char msg[96];
    size_t pos; /* byte offset of the problem */
} dbx__jerr;

#define DBX__JSON_MAX_DEPTH 2048

/* Validate and index `len` bytes of `text` (text[len] must be '\0').
 * DBX_OK: *doc is ready; when `take` is non-zero it now owns `text`
 * (freed by dbx__jdoc_dispose), else `text` must outlive it.
 * DBX_EBADRESPONSE: not JSON (err says why and where). DBX_ENOMEM.
 * In every case `text` may have been modified (strings are unescaped in
 * place as they are read): copy what an error message should quote
 * first. Never recurses. */
dbx_status dbx__jdoc_parse(dbx__jdoc *doc, char *text, size_t len, int take, dbx__jerr *err);
void dbx__jdoc_dispose(dbx__jdoc *doc);

/* Parse a response body for `owner`: an empty or all-blank body reads as
 * an empty object; anything but a JSON object is DBX_EBADRESPONSE, recorded
 * for owner with the reason and a short redacted prefix of the body. On
 * DBX_OK the document owns the body's bytes and `body` is left empty. */
dbx_status dbx__jdoc_parse_object(dbx__jdoc *doc, const void *owner, dbx__buf *body);

/* ---- values ------------------------------------------------------------------ */

typedef enum dbx__jtype {
    DBX__J_ABSENT = 0,
    DBX__J_OBJECT,
    DBX__J_ARRAY,
    DBX__J_STRING,
    DBX__J_INTEGER,
    DBX__J_REAL,
    DBX__J_TRUE,
    DBX__J_FALSE,
    DBX__J_NULL
} dbx__jtype;

/* A value in a document (16 bytes, passed by value). doc == NULL: absent. */
typedef struct dbx__jv {
    const dbx__jdoc *doc;
    uint32_t i;
} dbx__jv;

#define DBX__JV_ABSENT ((dbx__jv){NULL, 0})

dbx__jv dbx__jdoc_root(const dbx__jdoc *doc);
dbx__jtype dbx__jv_type(dbx__jv v);
static inline int dbx__jv_present(dbx__jv v) { return v.doc != NULL; }
int dbx__jv_is_object(dbx__jv v);
int dbx__jv_is_array(dbx__jv v);

/* Member `key` of an object (the last one if repeated), else absent. */
dbx__jv dbx__jv_get(dbx__jv obj, const char *key);
/* Value at a dotted path of member names ("termination_reason.code"). */
dbx__jv dbx__jv_path(dbx__jv obj, const char *path);

/* Typed reads; a missing or mistyped value reads as the fallback.
 * str: borrowed, NUL-terminated (a \u0000 inside ends it early; *len from
 * dbx__jv_strlen has the whole length).
 * int: a JSON integer, a real with an integral value in range, or a string
 * holding a decimal integer (Databricks sends int64 fields both ways).
 * real: any JSON number. bool: true / false only. */
const char *dbx__jv_str(dbx__jv v, const char *fallback);
size_t dbx__jv_strlen(dbx__jv v);
int64_t dbx__jv_int(dbx__jv v, int64_t fallback);
double dbx__jv_real(dbx__jv v, double fallback);
int dbx__jv_bool(dbx__jv v, int fallback);

/* Member shortcuts: dbx__jv_X(dbx__jv_get(obj, key), fallback). */
const char *dbx__jv_get_str(dbx__jv obj, const char *key, const char *fallback);
int64_t dbx__jv_get_int(dbx__jv obj, const char *key, int64_t fallback);
double dbx__jv_get_real(dbx__jv obj, const char *key, double fallback);
int dbx__jv_get_bool(dbx__jv obj, const char *key, int fallback);

/* ---- iteration -------------------------------------------------------------- */

typedef struct dbx__jit {
    const dbx__jdoc *doc;
    uint32_t i, end;
    int obj;
} dbx__jit;

/* Walk the elements of an array or the members of an object (an absent or
 * scalar value walks nothing). */
void dbx__jv_iter(dbx__jv container, dbx__jit *it);
/* 1 with *value (and *key for object members; may be NULL) set, 0 at the end. */
int dbx__jit_next(dbx__jit *it, dbx__jv *value, const char **key);
/* Number of elements / members (a walk over the children). */
size_t dbx__jv_count(dbx__jv container);

/* ---- text and jansson ------------------------------------------------------- */

/* The value as compact JSON text (malloc'd: dbx__free), or NULL on OOM.
 * Strings are re-escaped; numbers keep the server's spelling. */
char *dbx__jv_dump(dbx__jv v);
/* A new jansson value equal to what json_loadb would have built for this
 * value, or NULL on OOM. Built without recursion. */
json_t *dbx__jv_to_jansson(dbx__jv v);

/* Caller JSON text (any value) -> a new jansson value, through the same
 * non-recursive reader as server answers, so an allocation failure is
 * DBX_ENOMEM and never "invalid JSON". Repeated keys: the last one wins, as
 * in answers. DBX_OK with *out, DBX_ENOMEM, or DBX_EINVAL with the reason
 * ("... at byte N") in err. For request specs given as JSON (cluster, job,
 * warehouse specs). */
dbx_status dbx__json_parse_text(json_t **out, const char *text, char *err, size_t cap);

#endif
