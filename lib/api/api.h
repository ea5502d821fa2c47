/*
 * libdbx internal: what every API area file uses. Request building and
 * response mapping live in the area files; everything else is here:
 * JSON calls through the client's pipeline, argument checks, the generic
 * pager and the generic waiter.
 */
#ifndef DBX_API_H
#define DBX_API_H

#include <jansson.h>

#include "../client/client_impl.h"
#include "../json/jdoc.h"
#include "../json/json_util.h"
#include "dbx/client.h"

/* Every public entry point starts with this: clears the thread's error
 * record, and fails with DBX_EINVAL when the client is NULL. */
#define DBX__ENTER(c)                                                                      \
    do {                                                                                   \
        dbx__error_clear(c);                                                               \
        if (!(c))                                                                          \
            return dbx__fail(NULL, DBX_EINVAL, "%s: client is NULL", __func__);             \
    } while (0)

/* Fail with DBX_EINVAL naming the argument when a required string is NULL
 * or "", or is not valid UTF-8 (it would not survive JSON or a URL). */
#define DBX__REQUIRE_STR(c, s)                                                             \
    do {                                                                                   \
        if (dbx__empty(s))                                                                 \
            return dbx__fail((c), DBX_EINVAL, "%s: %s is required", __func__, #s);          \
        if (!dbx__utf8_valid(s))                                                           \
            return dbx__fail((c), DBX_EINVAL, "%s: %s is not valid UTF-8", __func__, #s);   \
    } while (0)

/* An optional string (NULL is fine) must be valid UTF-8. */
#define DBX__CHECK_STR(c, s)                                                               \
    do {                                                                                   \
        if ((s) && !dbx__utf8_valid(s))                                                    \
            return dbx__fail((c), DBX_EINVAL, "%s: %s is not valid UTF-8", __func__, #s);   \
    } while (0)

#define DBX__REQUIRE_PTR(c, p)                                                             \
    do {                                                                                   \
        if (!(p))                                                                          \
            return dbx__fail((c), DBX_EINVAL, "%s: %s is NULL", __func__, #p);              \
    } while (0)

/* Flags of dbx__api_call. */
#define DBX__CALL_IDEMPOTENT 1 /* safe to retry after a failure mid-flight (dbx__call.idempotent) */
#define DBX__CALL_LARGE 2      /* the answer may be large: offer gzip */

/* Call an endpoint with an optional JSON body (borrowed; serialised by
 * dbx__json_dump, and never sent when that fails) and read the JSON object
 * answer into *out (the caller disposes it; NULL to discard the answer). */
dbx_status dbx__api_call(dbx_client *c, const char *method, const char *path, const json_t *body,
                         int flags, dbx__jdoc *out);

/* The same with the body as JSON text the caller built (body_len bytes;
 * NULL: no body). For large bodies written directly, such as base64 file
 * contents, which need no JSON escaping: {"data":"<base64>"}. */
dbx_status dbx__api_call_text(dbx_client *c, const char *method, const char *path, const char *body,
                              size_t body_len, int flags, dbx__jdoc *out);

/* dbx__api_call_text under a per-call retry policy (NULL: the client's
 * defaults); the MLflow areas use it through dbx__mlflow_call. */
dbx_status dbx__api_call_text_retry(dbx_client *c, const char *method, const char *path, const char *body,
                                    size_t body_len, int flags, const dbx__retry_policy *retry, dbx__jdoc *out);
dbx_status dbx__api_call_retry(dbx_client *c, const char *method, const char *path, const json_t *body,
                               int flags, const dbx__retry_policy *retry, dbx__jdoc *out);

/* Append "?k=v" (or "&k=v" once the buffer holds a '?'), URL-encoded.
 * Both return -1 once the buffer is out of memory (sticky). */
int dbx__query_add(dbx__buf *q, const char *key, const char *value);
int dbx__query_add_int(dbx__buf *q, const char *key, long long value);

/* ---- pager ----------------------------------------------------------------------- */

typedef enum dbx__page_style {
    DBX__PAGE_TOKEN_QUERY, /* GET ...?page_token=   -> next_page_token */
    DBX__PAGE_TOKEN_BODY,  /* POST {page_token}     -> next_page_token (or legacy next_page) */
    DBX__PAGE_OFFSET       /* offset/limit          -> has_more */
} dbx__page_style;

typedef struct dbx__pager {
    dbx_client *client;      /* referenced */
    dbx__page_style style;
    const char *method;      /* static */
    char *path;              /* with fixed query, without paging params */
    json_t *body;            /* POST body template (owned) */
    const char *items_key;   /* static: "clusters" */
    const char *size_param;  /* static: "page_size", "max_results", "limit" or NULL */
    long page_size;
    long max_items;
    long yielded;
    dbx__jdoc page;          /* current page */
    dbx__jit items;          /* walk over the page's items */
    char *next_token;        /* for the next fetch */
    json_t *next_body;       /* legacy next_page request (owned) */
    long offset;
    int started;
    int last;
    const dbx__retry_policy *retry; /* NULL: the client's defaults (set after init) */
} dbx__pager;

/* Takes ownership of `body` (may be NULL). Returns 0, or -1 on OOM. */
int dbx__pager_init(dbx__pager *pg, dbx_client *c, dbx__page_style style, const char *method,
                    const char *path, json_t *body, const char *items_key, const char *size_param,
                    long page_size, long max_items);
/* DBX_OK with *item (valid until the next call), DBX_DONE, or an error;
 * after an error the same page is fetched again on the next call. */
dbx_status dbx__pager_next(dbx__pager *pg, dbx__jv *item);
void dbx__pager_dispose(dbx__pager *pg);

/* ---- results and typed iterators ----------------------------------------------- */

/* Every JSON-backed result of every API area embeds a view as its FIRST
 * member: a value in a parsed response, the document when the result owns
 * it, and what is made on first use (published with a compare-and-swap, so
 * results stay safe to read from many threads): text dumps (text[0] the
 * whole value, text[1] free for one area-specific part) and a jansson tree
 * for include/dbx/sys/json.h. */
typedef struct dbx__view {
    dbx__jv v;
    dbx__jdoc own;           /* the response, when the result owns it */
    void *_Atomic text[2];
    void *_Atomic jansson;   /* json_t * */
} dbx__view;

/* A new result of `size` bytes whose first member is a dbx__view, owning
 * the document (moved out of *doc) and viewing its root. NULL on OOM (the
 * document is disposed). */
void *dbx__view_new(size_t size, dbx__jdoc *doc);
/* Borrowed JSON text of `value` (v itself or a part of it) cached in slot. */
const char *dbx__view_text(const dbx__view *v, int slot, dbx__jv value);
/* Cache text computed from the view (taken: freed when another thread cached
 * first, or with the view) in slot; returns the cached text. NULL for NULL. */
const char *dbx__view_cache(const dbx__view *v, int slot, char *text);
/* Borrowed jansson tree of the view's value, built on first use. */
const json_t *dbx__view_jansson(const dbx__view *v);
void dbx__view_clear(dbx__view *v); /* drop the value, the document and the cached texts */
void dbx__view_free(void *result);  /* clear + free a dbx__view_new result */

/* A typed list iterator: the pager plus the view of the current item. The
 * public iterator types are this struct; items are its `cur`. */
typedef struct dbx__iter {
    dbx__pager pg;
    dbx__view cur;
} dbx__iter;

/* Allocate an iterator around an initialised pager description; takes
 * `body`. NULL on OOM (recorded for c). */
dbx__iter *dbx__iter_new(dbx_client *c, dbx__page_style style, const char *method, const char *path,
                         json_t *body, const char *items_key, const char *size_param, long page_size,
                         long max_items);
/* The _next of every typed iterator: argument checks, error record, one
 * item (borrowed until the next call) or DBX_DONE or an error. */
dbx_status dbx__iter_next(dbx__iter *it, const dbx__view **item);
void dbx__iter_free(dbx__iter *it);

/* ---- waiter ---------------------------------------------------------------------- */

typedef enum dbx__poll_result {
    DBX__POLL_CONTINUE = 0,
    DBX__POLL_DONE = 1
} dbx__poll_result;

/* One poll: fetch the resource, say whether it reached its goal. Returns
 * DBX_OK (with *result and *state set; state borrowed until the next poll)
 * or an error (e.g. DBX_ESTATE for a terminal failure, already recorded). */
typedef dbx_status (*dbx__poll_fn)(void *ctx, dbx__poll_result *result, const char **state);

/* Poll with backoff until done, failure, timeout or cancellation. `what`
 * names the goal for messages ("cluster X to be RUNNING"). */
dbx_status dbx__wait(dbx_client *c, const char *resource_id, const char *what,
                     const dbx_wait_options *opts, dbx__poll_fn poll, void *ctx);

/* ---- JSON-backed builders ------------------------------------------------------ */

/* The builders callers fill before a create or an update (cluster and
 * warehouse specs, serving configs, monitor specs, job settings) are each
 * `struct { json_t *j; ... }` with the JSON object first. These do what they
 * share; the area keeps its own setters and checks.
 *
 * dbx__jspec_new: a builder of `size` bytes around an empty object.
 * dbx__jspec_parse: around `text` parsed; it must be a JSON object that
 *   `check` accepts (check records its own DBX_EINVAL). `fn` and `what` name
 *   the public function and the thing in messages ("json is NULL", "<what> is
 *   not valid JSON: ...").
 * Both: NULL with *st set and the error recorded (no client) on failure.
 * dbx__jspec_free: frees either (NULL is fine). */
typedef dbx_status (*dbx__jspec_check_fn)(const json_t *j);
void *dbx__jspec_new(size_t size, dbx_status *st);
void *dbx__jspec_parse(size_t size, const char *fn, const char *what, const char *text, dbx__jspec_check_fn check,
                       dbx_status *st);
void dbx__jspec_free(void *spec);

/* The public _new / _from_json of a builder in one line:
 *   DBX_API dbx_status dbx_x_spec_new(dbx_x_spec **out) { DBX__JSPEC_RETURN(out, dbx__jspec_new(sizeof **out, &st_)); } */
#define DBX__JSPEC_RETURN(out, make)                                                        \
    do {                                                                                    \
        dbx__error_clear(NULL);                                                             \
        if (!(out))                                                                         \
            return dbx__fail(NULL, DBX_EINVAL, "%s: out is NULL", __func__);                \
        dbx_status st_ = DBX_OK;                                                            \
        *(out) = (make);                                                                    \
        return st_;                                                                         \
    } while (0)

#endif
