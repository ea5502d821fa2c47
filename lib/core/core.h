/*
 * libdbx internal: the lowest layer (no dependency on curl or jansson).
 * Buffers, strings, the per-thread error record, status mapping, logging
 * with redaction, platform clock/sleep/random (replaceable by tests), and
 * the INI parser for ~/.databrickscfg.
 */
#ifndef DBX_CORE_H
#define DBX_CORE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "dbx/client.h"
#include "dbx/errors.h"

#if defined(__GNUC__)
#define DBX__PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define DBX__PRINTF(a, b)
#endif

/* ---- memory ---------------------------------------------------------- */
void *dbx__malloc(size_t n);
void *dbx__calloc(size_t n, size_t size);
void *dbx__realloc(void *p, size_t n);
void dbx__free(void *p);
char *dbx__strdup(const char *s);           /* NULL in, NULL out */
char *dbx__strndup(const char *s, size_t n);
char *dbx__sprintf(const char *fmt, ...) DBX__PRINTF(1, 2);

/* Test and benchmark seam on libdbx's own allocations (process-wide):
 * make the n-th allocation from now fail (n >= 1; 0 disarms), and count
 * allocations while counting is on. Costs one relaxed load per allocation
 * when unused. */
void dbx__alloc_fail_after(long n);
void dbx__alloc_count_start(void);
long dbx__alloc_count_stop(void); /* allocations since start */
/* One allocation made outside libdbx (jansson's, in a test that routes
 * them here with json_set_alloc_funcs): counted, and 1 when it must fail. */
int dbx__alloc_hook(void);

/* Grow an array that may still be in caller storage `small` (never freed
 * here): returns an array of at least `need` elements of `elem` bytes with
 * the first `used` copied over, and updates *cap; NULL on failure (the old
 * array is untouched). Capacity doubles. */
void *dbx__array_grow(void *arr, const void *small, size_t used, size_t *cap, size_t need, size_t elem);

/* ---- growable byte buffer (always NUL-terminated when ptr != NULL) ---- */
typedef struct dbx__buf {
    char *ptr;
    size_t len;
    size_t cap;
    int oom;   /* sticky: an allocation failed */
    int fixed; /* ptr is caller storage (not freed; growing moves to the heap) */
} dbx__buf;

#define DBX__BUF_INIT {NULL, 0, 0, 0, 0}
/* Start with caller storage (a stack array): no allocation until it is outgrown. */
void dbx__buf_init_fixed(dbx__buf *b, char *storage, size_t size);
int dbx__buf_grow(dbx__buf *b, size_t extra);
int dbx__buf_put(dbx__buf *b, const void *data, size_t n);
int dbx__buf_puts(dbx__buf *b, const char *s);
int dbx__buf_putc(dbx__buf *b, char c);
int dbx__buf_printf(dbx__buf *b, const char *fmt, ...) DBX__PRINTF(2, 3);
int dbx__buf_vprintf(dbx__buf *b, const char *fmt, va_list ap);
/* Percent-encode for a URL query component (RFC 3986 unreserved kept). */
int dbx__buf_put_urlenc(dbx__buf *b, const char *s);
/* Append a code point (<= 0x10FFFF; surrogates are the caller's business) as UTF-8. */
int dbx__buf_put_utf8(dbx__buf *b, uint32_t cp);
/* Write a code point (as above) as 1..4 bytes of UTF-8 at out; returns the count. */
size_t dbx__utf8_encode(unsigned char *out, uint32_t cp);
/* A hex digit's value, or -1. */
int dbx__hexval(int c);
/* Four hex digits at s (s must hold 4 bytes) as 0..0xFFFF, or -1. */
long dbx__hex4(const char *s);
void dbx__buf_clear(dbx__buf *b);
void dbx__buf_dispose(dbx__buf *b);
/* The bytes, for the caller to free with dbx__free ("" for an empty
 * buffer); NULL when an allocation failed. The buffer is left empty. */
char *dbx__buf_detach(dbx__buf *b);

/* ---- base64 (RFC 4648 standard alphabet, padded) ------------------------ */
size_t dbx__b64_encoded_len(size_t n);
/* Encode n bytes into out (room for dbx__b64_encoded_len(n)); returns that length. No NUL. */
size_t dbx__b64_encode_to(char *out, const void *data, size_t n);
/* Append the encoding (NUL-terminated). -1 on OOM (sticky). */
int dbx__b64_encode(dbx__buf *out, const void *data, size_t n);
/* Append the decoded bytes of text[0..n). Strict: the standard alphabet,
 * '=' padding optional but only where it belongs, no non-zero dropped bits;
 * CR and LF are skipped. 0 on success, -1 on OOM, -2 on invalid input
 * (*bad_pos, when given, is the offending offset). On -2, out->len is
 * unchanged. */
int dbx__b64_decode(dbx__buf *out, const char *text, size_t n, size_t *bad_pos);

/* ---- byte sources and sinks (lib/core/stream.c) -------------------------- */
/* A local file as a dbx_source (rewindable, size known). `what` names the
 * calling function in messages. */
typedef struct dbx__file_source {
    dbx_source src;
    int fd;
    int err; /* errno of a failed read */
} dbx__file_source;
dbx_status dbx__file_source_open(dbx__file_source *fs, const void *owner, const char *what,
                                 const char *path);
void dbx__file_source_close(dbx__file_source *fs);

/* Memory as a dbx_source (borrowed bytes; rewindable, size known). */
typedef struct dbx__mem_source {
    dbx_source src;
    const char *data;
    size_t len, pos;
} dbx__mem_source;
void dbx__mem_source_init(dbx__mem_source *m, const void *data, size_t len);

/* DBX_EINVAL naming the problem when a caller's source is unusable. */
dbx_status dbx__source_check(const void *owner, const char *what, const dbx_source *src);
/* Read until `cap` bytes or the end (*eof = 1). A callback's refusal is
 * DBX_ECANCELLED, a callback claiming more than it was given DBX_EINVAL. */
dbx_status dbx__source_fill(const void *owner, const char *what, const dbx_source *src, char *buf,
                            size_t cap, size_t *n, int *eof);

/* A download into a local file: written to "<path>.dbx-partial-XXXXXX"
 * beside it, renamed over `path` by commit, removed by abort; so a failed
 * download never leaves a truncated file under the real name. write is a
 * dbx_sink_fn (payload: the sink). Fails with DBX_EEXISTS when `path`
 * exists and !overwrite. */
typedef struct dbx__file_sink {
    char *path, *tmp;
    int fd;
    int err;
    uint64_t written;
} dbx__file_sink;
dbx_status dbx__file_sink_open(dbx__file_sink *fs, const void *owner, const char *what, const char *path,
                               int overwrite);
int dbx__file_sink_write(void *payload, const char *data, size_t len);
dbx_status dbx__file_sink_commit(dbx__file_sink *fs, const void *owner, const char *what);
void dbx__file_sink_abort(dbx__file_sink *fs); /* idempotent */

/* 1 when a name the server sent (one path component, len bytes) may be
 * used as a local file name: not empty, ".", ".." or longer than 255
 * bytes, and free of '/', '\', NUL and control characters. Use it before
 * joining a listed name to a local directory (path traversal). */
int dbx__local_name_safe(const char *name, size_t len);

/* ---- strings ------------------------------------------------------------ */
int dbx__strcasecmp(const char *a, const char *b);
int dbx__strncasecmp(const char *a, const char *b, size_t n);
const char *dbx__strcasestr(const char *hay, const char *needle);
int dbx__streq(const char *a, const char *b); /* NULL-safe */
int dbx__empty(const char *s);                /* NULL or "" */
/* Parse a decimal integer (optional sign, surrounding blanks allowed). 0 on success. */
int dbx__parse_long(const char *s, long *out);
/* "1", "true", "yes", "on" -> 1; "0", "false", "no", "off", "" -> 0; else -1. */
int dbx__parse_bool(const char *s);

/* ---- error record (per thread, tagged with the client) ------------------ */
void dbx__error_clear(const void *owner);
/* Start a new failure record for `owner` with a status and message.
 * Returns `st` for convenient `return dbx__fail(...)`. */
dbx_status dbx__fail(const void *owner, dbx_status st, const char *fmt, ...) DBX__PRINTF(3, 4);
dbx_status dbx__vfail(const void *owner, dbx_status st, const char *fmt, va_list ap);
/* Add detail to the current thread's record (after dbx__fail). */
void dbx__error_set_request(const char *method, const char *path);
void dbx__error_set_http(int http_status, const char *error_code, const char *request_id);
void dbx__error_set_transport(int code);
void dbx__error_set_status(dbx_status st);
void dbx__error_set_attempts(int attempts, long retry_after_ms);
void dbx__error_set_waited(long waited_ms);
/* The last answer the calling thread received (set on every successful
 * exchange), so that a failure found in its content ("no cluster_id")
 * carries the request and the HTTP status like any other failure. */
void dbx__error_note_answer(const char *method, const char *path, int http_status, const char *request_id);
/* dbx__fail, then the request, status and request id of the noted answer. */
dbx_status dbx__fail_answer(const void *owner, dbx_status st, const char *fmt, ...) DBX__PRINTF(3, 4);
/* Prepend context to the current message: "waiting for cluster x: <old>". */
void dbx__error_prefix(const char *fmt, ...) DBX__PRINTF(1, 2);
/* Current thread's record (regardless of owner). */
const dbx_error *dbx__error_current(void);

/* A copy of the calling thread's record, to hand a failure to another
 * moment (many calls in flight at once: each keeps its own). The copy's
 * strings are its own: read them through dbx__errsave_record (they point
 * into the copy). Restoring makes it the thread's record again (for the
 * owner it was made for). NULL on OOM; free with dbx__errsave_free. */
typedef struct dbx__errsave dbx__errsave;
dbx__errsave *dbx__error_save(void);
void dbx__error_restore(const dbx__errsave *sv);
const dbx_error *dbx__errsave_record(const dbx__errsave *sv);
void dbx__errsave_free(dbx__errsave *sv);

/* Map an HTTP failure to a status: HTTP status first, then the
 * Databricks error_code, then known per-endpoint quirks. */
dbx_status dbx__status_from_http(int http_status, const char *error_code, const char *method,
                                 const char *path, const char *message);

/* ---- platform: clock, sleep, randomness (tests may replace) ------------- */
int64_t dbx__now_ms(void);   /* monotonic */
int64_t dbx__wall_ms(void);  /* epoch */
void dbx__sleep_ms(long ms);
/* Uniform in [lo, hi]. Thread-safe. */
long dbx__rand_range(long lo, long hi);

typedef struct dbx__platform_hooks {
    int64_t (*now_ms)(void *ud);
    void (*sleep_ms)(long ms, void *ud);
    void *ud;
} dbx__platform_hooks;
/* Test seam: replace clock and sleep process-wide (NULL restores). */
void dbx__platform_set_hooks(const dbx__platform_hooks *hooks);

/* ---- logging -------------------------------------------------------------- */
typedef struct dbx__logger {
    dbx_log_fn fn;
    void *payload;
    dbx_log_level level;
} dbx__logger;

#define DBX__LOG_ENABLED(lg, lvl) ((lg) != NULL && (lg)->level >= (lvl))
void dbx__log(const dbx__logger *lg, dbx_log_level lvl, dbx_log_category cat, const char *fmt, ...)
    DBX__PRINTF(4, 5);
dbx_log_level dbx__log_level_parse(const char *s); /* -1 when unknown */

/* ---- redaction -------------------------------------------------------------- */
/* Secrets are replaced by "**REDACTED**". Every function below appends to
 * `out`, takes text that may be hostile (any bytes, any length; NULL or
 * empty adds nothing) and runs in time linear in it, without recursion.
 * Names are decoded before they are matched: JSON escapes in keys,
 * percent-encoding and '+' in query and form names. */

/* Is this (already decoded) header, JSON key or form field name one whose
 * value is secret? "token", "client_secret", "Authorization",
 * "X-Databricks-*-Token", "aws_temp_credentials", ...; not "page_token",
 * "token_type", "max_tokens", ... Only the first `len` bytes are the name. */
int dbx__is_secret_name(const char *name, size_t len);
/* Append "name: value" with the value replaced for a secret header (a known
 * auth scheme such as "Bearer " is kept) and scrubbed as by dbx__redact_text
 * for any other header (a Location holding a presigned URL). */
void dbx__redact_header(dbx__buf *out, const char *name, const char *value);
/* Append a query string (the part after '?') for logging, parsed as k=v&k=v
 * whatever it holds: the whole query when it is a presigned URL's (AWS
 * X-Amz-*, GCS X-Goog-*, Azure SAS sig/sv/se/sr/sp/..., V2 Signature and
 * access key ids), else the value of each secret-named parameter, and of a
 * parameter whose name or (percent-decoded) value hides a credential. */
void dbx__redact_query(dbx__buf *out, const char *query, size_t len);
/* Append free text (an error message, a header value, a plain-text body)
 * with credentials replaced: presigned URLs' queries (and any query as
 * dbx__redact_query), name=value and "name": value with a secret name
 * (quoted names up to 128 bytes as written), header lines with a secret
 * name ("X-Api-Key: ..." to the end of the line), credentials after
 * Bearer/Basic/Negotiate/NTLM, Databricks PATs and JWTs. */
void dbx__redact_text(dbx__buf *out, const char *text, size_t len);
/* Append a body for logging: JSON with the values of secret keys replaced
 * (whole objects and arrays too), the values of http_headers / headers
 * objects and arrays replaced (header names kept), and every other string
 * scrubbed as by dbx__redact_text (after JSON decoding); form data as by
 * dbx__redact_query; anything else as by dbx__redact_text. At most `max`
 * bytes of the result, then "...(N bytes)" with N the original length. */
void dbx__redact_body(dbx__buf *out, const char *body, size_t len, size_t max);

/* ---- INI config file (~/.databrickscfg) ------------------------------------- */
typedef struct dbx__ini dbx__ini;
/* Parse a file. Returns 0 and *out on success, 1 when the file does not exist
 * (*out NULL), -1 on a read/parse error (message in errbuf). */
int dbx__ini_load(dbx__ini **out, const char *path, char *errbuf, size_t errlen);
int dbx__ini_parse(dbx__ini **out, const char *text, size_t len, char *errbuf, size_t errlen);
int dbx__ini_has_section(const dbx__ini *ini, const char *section);
const char *dbx__ini_get(const dbx__ini *ini, const char *section, const char *key);
void dbx__ini_free(dbx__ini *ini);

#endif
