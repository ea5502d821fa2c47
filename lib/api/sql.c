/*
 * libdbx: SQL Statement Execution API 2.0 (/api/2.0/sql/statements).
 *
 * Requests and statements as every area does them; the row iterator and
 * raw chunk streaming read the result a window of chunks at a time: the
 * chunks of a window are fetched in parallel (dbx__pipeline_send_many, one
 * thread, libcurl multi), held in memory while their rows are read, and
 * dropped before the next window is fetched, so memory is bounded by
 * max_chunks chunks whatever the size of the result.
 *
 * Chunk order: the window starts at the chunk the previous one named in
 * next_chunk_index and guesses that the following ones are numbered on
 * (the manifest's total_chunk_count bounds the guess); a chunk whose
 * next_chunk_index says otherwise ends the window there, so the chain the
 * server gives is always followed. The chunk endpoint may be called in any
 * order, in parallel and repeatedly (protocols.md §2).
 *
 * EXTERNAL_LINKS: a link is fetched without the workspace's credentials
 * (no_auth) and with its own http_headers, whose values stay out of logs
 * (secret_headers); a link within link_refresh_margin_ms of its expiration
 * is renewed through the chunk endpoint before use, and one answering 403
 * (expired) is renewed and fetched again, at most max_link_refreshes
 * times. A 404 from the chunk endpoint means the result itself is gone
 * (expired after ~1 h, or the statement was closed): a distinct error.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "dbx/sql.h"
#include "sql_internal.h"

#define BASE "/api/2.0/sql/statements"
#define MAX_WINDOW 64
#define DEFAULT_WINDOW 3
#define DEFAULT_MARGIN_MS 60000L
#define DEFAULT_REFRESHES 3
#define MAX_COLUMNS 100000
#define MAX_LINK_HEADERS 16

/* ---- enums ------------------------------------------------------------------- */

static const char *state_names[] = {"UNKNOWN", "PENDING", "RUNNING", "SUCCEEDED",
                                    "FAILED",  "CANCELED", "CLOSED"};

DBX_API const char *dbx_sql_state_name(dbx_sql_state_t s)
{
    return (unsigned)s < sizeof state_names / sizeof *state_names ? state_names[s] : "UNKNOWN";
}

static dbx_sql_state_t state_parse(const char *s)
{
    for (size_t i = 1; s && i < sizeof state_names / sizeof *state_names; i++)
        if (strcmp(s, state_names[i]) == 0)
            return (dbx_sql_state_t)i;
    return DBX_SQL_STATE_UNKNOWN;
}

static const char *type_names[] = {"UNKNOWN", "BOOLEAN", "BYTE",      "SHORT",  "INT",    "LONG",
                                   "FLOAT",   "DOUBLE",  "DATE",      "TIMESTAMP", "STRING", "BINARY",
                                   "DECIMAL", "INTERVAL", "ARRAY",    "STRUCT", "MAP",    "CHAR",
                                   "NULL",    "USER_DEFINED_TYPE", "TIMESTAMP_NTZ"};

static dbx_sql_type_t type_parse(const char *s)
{
    for (size_t i = 1; s && i < sizeof type_names / sizeof *type_names; i++)
        if (strcmp(s, type_names[i]) == 0)
            return (dbx_sql_type_t)i;
    return DBX_SQL_TYPE_UNKNOWN;
}

/* ---- parameters ------------------------------------------------------------------ */

typedef struct param {
    char *name, *value, *type; /* value, type: NULL = not sent */
} param;

struct dbx_sql_params {
    param *v;
    size_t n, cap;
    uint32_t *slots; /* open addressing over v by name: index + 1, 0 = empty */
    size_t nslots;   /* a power of two, > 2n; 0 until the first add */
};

static uint32_t name_hash(const char *s)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

/* The slot of `name`: its entry, or the empty slot where it would go. */
static size_t slot_of(const dbx_sql_params *ps, const char *name)
{
    size_t mask = ps->nslots - 1, i = name_hash(name) & mask;
    while (ps->slots[i] && strcmp(ps->v[ps->slots[i] - 1].name, name) != 0)
        i = (i + 1) & mask;
    return i;
}

/* Keep the table above twice the entries (rebuilt when it grows). -1 on OOM. */
static int slots_reserve(dbx_sql_params *ps, size_t n)
{
    if (ps->nslots > 2 * n)
        return 0;
    size_t ns = ps->nslots ? ps->nslots : 16;
    while (ns <= 2 * n)
        ns *= 2;
    uint32_t *t = dbx__calloc(ns, sizeof *t);
    if (!t)
        return -1;
    dbx__free(ps->slots);
    ps->slots = t;
    ps->nslots = ns;
    for (size_t k = 0; k < ps->n; k++)
        ps->slots[slot_of(ps, ps->v[k].name)] = (uint32_t)(k + 1);
    return 0;
}

DBX_API dbx_status dbx_sql_params_new(dbx_sql_params **out)
{
    dbx__error_clear(NULL);
    if (!out)
        return dbx__fail(NULL, DBX_EINVAL, "dbx_sql_params_new: out is NULL");
    *out = dbx__calloc(1, sizeof **out);
    return *out ? DBX_OK : dbx__fail(NULL, DBX_ENOMEM, "out of memory");
}

static void param_dispose(param *p)
{
    dbx__free(p->name);
    dbx__free(p->value);
    dbx__free(p->type);
}

DBX_API void dbx_sql_params_clear(dbx_sql_params *ps)
{
    if (!ps)
        return;
    for (size_t i = 0; i < ps->n; i++)
        param_dispose(&ps->v[i]);
    ps->n = 0;
    if (ps->slots)
        memset(ps->slots, 0, ps->nslots * sizeof *ps->slots);
}

DBX_API void dbx_sql_params_free(dbx_sql_params *ps)
{
    if (!ps)
        return;
    dbx_sql_params_clear(ps);
    dbx__free(ps->v);
    dbx__free(ps->slots);
    dbx__free(ps);
}

DBX_API size_t dbx_sql_params_count(const dbx_sql_params *ps) { return ps ? ps->n : 0; }

static int name_ok(const char *s)
{
    if (dbx__empty(s) || strlen(s) > 255)
        return 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (!isalnum(*p) && *p != '_')
            return 0;
    return 1;
}

DBX_API dbx_status dbx_sql_params_add(dbx_sql_params *ps, const char *name, const char *value,
                                      const char *type)
{
    dbx__error_clear(NULL);
    if (!ps)
        return dbx__fail(NULL, DBX_EINVAL, "dbx_sql_params_add: params is NULL");
    if (!name_ok(name))
        return dbx__fail(NULL, DBX_EINVAL,
                         "dbx_sql_params_add: name must be 1-255 letters, digits or '_' (without ':')");
    if (value && !dbx__utf8_valid(value))
        return dbx__fail(NULL, DBX_EINVAL, "dbx_sql_params_add: value is not valid UTF-8");
    if (type && (dbx__empty(type) || !dbx__utf8_valid(type)))
        return dbx__fail(NULL, DBX_EINVAL, "dbx_sql_params_add: type must be NULL or a SQL type name");
    param np = {dbx__strdup(name), value ? dbx__strdup(value) : NULL, type ? dbx__strdup(type) : NULL};
    if (!np.name || (value && !np.value) || (type && !np.type)) {
        param_dispose(&np);
        return dbx__fail(NULL, DBX_ENOMEM, "out of memory");
    }
    /* by name in O(1): a batch of thousands of parameters stays linear */
    if (ps->n >= UINT32_MAX - 1 || slots_reserve(ps, ps->n + 1) != 0) {
        param_dispose(&np);
        return dbx__fail(NULL, DBX_ENOMEM, "out of memory");
    }
    size_t slot = slot_of(ps, name);
    if (ps->slots[slot]) {
        param *old = &ps->v[ps->slots[slot] - 1];
        param_dispose(old);
        *old = np;
        return DBX_OK;
    }
    if (ps->n == ps->cap) {
        size_t cap = ps->cap ? ps->cap * 2 : 8;
        param *v = dbx__realloc(ps->v, cap * sizeof *v);
        if (!v) {
            param_dispose(&np);
            return dbx__fail(NULL, DBX_ENOMEM, "out of memory");
        }
        ps->v = v;
        ps->cap = cap;
    }
    ps->v[ps->n++] = np;
    ps->slots[slot] = (uint32_t)ps->n;
    return DBX_OK;
}

DBX_API dbx_status dbx_sql_params_add_int64(dbx_sql_params *ps, const char *name, int64_t value)
{
    char num[32];
    snprintf(num, sizeof num, "%lld", (long long)value);
    return dbx_sql_params_add(ps, name, num, "BIGINT");
}

DBX_API dbx_status dbx_sql_params_add_double(dbx_sql_params *ps, const char *name, double value)
{
    if (!isfinite(value)) {
        dbx__error_clear(NULL);
        return dbx__fail(NULL, DBX_EINVAL, "dbx_sql_params_add_double: value must be finite");
    }
    char num[40];
    snprintf(num, sizeof num, "%.17g", value);
    return dbx_sql_params_add(ps, name, num, "DOUBLE");
}

DBX_API dbx_status dbx_sql_params_add_bool(dbx_sql_params *ps, const char *name, int value)
{
    return dbx_sql_params_add(ps, name, value ? "true" : "false", "BOOLEAN");
}

/* ---- statement ------------------------------------------------------------------- */

typedef struct sqlcol {
    const char *name, *type_name, *type_text; /* borrowed from the document */
    dbx_sql_type_t type;
    int precision, scale;
} sqlcol;

struct dbx_sql_statement {
    dbx__view view; /* first */
    atomic_int refs;
    dbx_sql_state_t state;
    dbx__jv status, manifest, result;
    sqlcol *cols;
    int ncols;
    int external;
};

DBX_API void dbx_sql_execute_options_init(dbx_sql_execute_options *o)
{
    if (o) {
        dbx_sql_execute_options d = DBX_SQL_EXECUTE_OPTIONS_INIT;
        *o = d;
    }
}

DBX_API void dbx_sql_rows_options_init(dbx_sql_rows_options *o)
{
    if (o) {
        dbx_sql_rows_options d = DBX_SQL_ROWS_OPTIONS_INIT;
        *o = d;
    }
}

static void stmt_unref(dbx_sql_statement *st)
{
    if (!st || atomic_fetch_sub(&st->refs, 1) != 1)
        return;
    dbx__free(st->cols);
    dbx__view_free(st);
}

DBX_API void dbx_sql_statement_free(dbx_sql_statement *st) { stmt_unref(st); }

static int64_t clamp_int(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : v > hi ? hi : v; }

/* A statement from a parsed StatementResponse (takes the document). */
static dbx_status stmt_from_doc(dbx_sql_statement **out, const void *owner, dbx__jdoc *doc)
{
    *out = NULL;
    dbx__jv root = dbx__jdoc_root(doc);
    if (dbx__empty(dbx__jv_get_str(root, "statement_id", NULL))) {
        dbx__jdoc_dispose(doc);
        return dbx__fail_answer(owner, DBX_EBADRESPONSE, "sql statement: response has no statement_id");
    }
    dbx_sql_statement *st = dbx__view_new(sizeof *st, doc);
    if (!st)
        return dbx__fail(owner, DBX_ENOMEM, "out of memory");
    atomic_init(&st->refs, 1);
    root = st->view.v;
    st->status = dbx__jv_get(root, "status");
    st->state = state_parse(dbx__jv_get_str(st->status, "state", NULL));
    st->manifest = dbx__jv_get(root, "manifest");
    st->result = dbx__jv_get(root, "result");
    if (!dbx__jv_is_object(st->manifest))
        st->manifest = DBX__JV_ABSENT;
    if (!dbx__jv_is_object(st->result))
        st->result = DBX__JV_ABSENT;
    dbx__jv cols = dbx__jv_path(st->manifest, "schema.columns");
    size_t n = dbx__jv_count(cols);
    if (n > MAX_COLUMNS) {
        stmt_unref(st);
        return dbx__fail_answer(owner, DBX_EBADRESPONSE, "sql statement: %zu columns is more than %d", n,
                                MAX_COLUMNS);
    }
    if (n) {
        st->cols = dbx__calloc(n, sizeof *st->cols);
        if (!st->cols) {
            stmt_unref(st);
            return dbx__fail(owner, DBX_ENOMEM, "out of memory");
        }
        dbx__jit it;
        dbx__jv col;
        dbx__jv_iter(cols, &it);
        while (dbx__jit_next(&it, &col, NULL)) {
            sqlcol *sc = &st->cols[st->ncols++];
            sc->name = dbx__jv_get_str(col, "name", "");
            sc->type_name = dbx__jv_get_str(col, "type_name", "");
            sc->type_text = dbx__jv_get_str(col, "type_text", "");
            sc->type = type_parse(sc->type_name);
            sc->precision = (int)clamp_int(dbx__jv_get_int(col, "type_precision", 0), 0, 1000000);
            sc->scale = (int)clamp_int(dbx__jv_get_int(col, "type_scale", 0), 0, 1000000);
        }
    }
    /* EXTERNAL_LINKS when links come with the result or the manifest's
     * chunks carry byte counts of a linked result */
    st->external = dbx__jv_present(dbx__jv_get(st->result, "external_links"));
    *out = st;
    return DBX_OK;
}

dbx_status dbx__sql_statement_parse(dbx_sql_statement **out, const void *owner, const char *json, size_t len)
{
    *out = NULL;
    dbx__buf b = DBX__BUF_INIT;
    if (dbx__buf_put(&b, json, len) != 0)
        return dbx__fail(owner, DBX_ENOMEM, "out of memory");
    dbx__jdoc doc;
    dbx_status st = dbx__jdoc_parse_object(&doc, owner, &b);
    dbx__buf_dispose(&b);
    if (st != DBX_OK)
        return st;
    return stmt_from_doc(out, owner, &doc);
}

static const sqlcol *col_at(const dbx_sql_statement *st, int i)
{
    return st && i >= 0 && i < st->ncols ? &st->cols[i] : NULL;
}

DBX_API const char *dbx_sql_statement_id(const dbx_sql_statement *st)
{
    return st ? dbx__jv_get_str(st->view.v, "statement_id", "") : "";
}
DBX_API dbx_sql_state_t dbx_sql_statement_state(const dbx_sql_statement *st)
{
    return st ? st->state : DBX_SQL_STATE_UNKNOWN;
}
DBX_API const char *dbx_sql_statement_state_str(const dbx_sql_statement *st)
{
    return st ? dbx__jv_get_str(st->status, "state", "") : "";
}
DBX_API const char *dbx_sql_statement_error_code(const dbx_sql_statement *st)
{
    return st ? dbx__jv_str(dbx__jv_path(st->status, "error.error_code"), "") : "";
}
DBX_API const char *dbx_sql_statement_error_message(const dbx_sql_statement *st)
{
    return st ? dbx__jv_str(dbx__jv_path(st->status, "error.message"), "") : "";
}
DBX_API const char *dbx_sql_statement_sql_state(const dbx_sql_statement *st)
{
    if (!st)
        return "";
    const char *s = dbx__jv_get_str(st->status, "sql_state", NULL);
    return s ? s : dbx__jv_str(dbx__jv_path(st->status, "error.sql_state"), "");
}
DBX_API int dbx_sql_statement_has_manifest(const dbx_sql_statement *st)
{
    return st && dbx__jv_present(st->manifest);
}
DBX_API const char *dbx_sql_statement_format(const dbx_sql_statement *st)
{
    return st ? dbx__jv_get_str(st->manifest, "format", "") : "";
}
DBX_API dbx_sql_disposition_t dbx_sql_statement_disposition(const dbx_sql_statement *st)
{
    return st && st->external ? DBX_SQL_DISPOSITION_EXTERNAL_LINKS : DBX_SQL_DISPOSITION_INLINE;
}
DBX_API int dbx_sql_statement_column_count(const dbx_sql_statement *st) { return st ? st->ncols : 0; }
DBX_API const char *dbx_sql_statement_column_name(const dbx_sql_statement *st, int i)
{
    const sqlcol *c = col_at(st, i);
    return c ? c->name : "";
}
DBX_API dbx_sql_type_t dbx_sql_statement_column_type(const dbx_sql_statement *st, int i)
{
    const sqlcol *c = col_at(st, i);
    return c ? c->type : DBX_SQL_TYPE_UNKNOWN;
}
DBX_API const char *dbx_sql_statement_column_type_name(const dbx_sql_statement *st, int i)
{
    const sqlcol *c = col_at(st, i);
    return c ? c->type_name : "";
}
DBX_API const char *dbx_sql_statement_column_type_text(const dbx_sql_statement *st, int i)
{
    const sqlcol *c = col_at(st, i);
    return c ? c->type_text : "";
}
DBX_API int dbx_sql_statement_column_precision(const dbx_sql_statement *st, int i)
{
    const sqlcol *c = col_at(st, i);
    return c ? c->precision : 0;
}
DBX_API int dbx_sql_statement_column_scale(const dbx_sql_statement *st, int i)
{
    const sqlcol *c = col_at(st, i);
    return c ? c->scale : 0;
}
DBX_API int dbx_sql_statement_column_index(const dbx_sql_statement *st, const char *name)
{
    for (int i = 0; st && name && i < st->ncols; i++)
        if (strcmp(st->cols[i].name, name) == 0)
            return i;
    return -1;
}
DBX_API int64_t dbx_sql_statement_total_row_count(const dbx_sql_statement *st)
{
    return st ? dbx__jv_get_int(st->manifest, "total_row_count", 0) : 0;
}
DBX_API int64_t dbx_sql_statement_total_byte_count(const dbx_sql_statement *st)
{
    return st ? dbx__jv_get_int(st->manifest, "total_byte_count", 0) : 0;
}
DBX_API int dbx_sql_statement_total_chunk_count(const dbx_sql_statement *st)
{
    return st ? (int)clamp_int(dbx__jv_get_int(st->manifest, "total_chunk_count", 0), 0, INT32_MAX) : 0;
}
DBX_API int dbx_sql_statement_truncated(const dbx_sql_statement *st)
{
    return st ? dbx__jv_get_bool(st->manifest, "truncated", 0) : 0;
}
DBX_API const char *dbx_sql_statement_json(const dbx_sql_statement *st)
{
    return st ? dbx__view_text(&st->view, 0, st->view.v) : "";
}

/* ---- execute / get / wait / cancel / close ------------------------------------------ */

/* "/api/2.0/sql/statements/<id><suffix>" with the id percent-encoded. */
static int stmt_path(dbx__buf *b, const char *id, const char *suffix)
{
    dbx__buf_puts(b, BASE "/");
    dbx__buf_put_urlenc(b, id);
    if (suffix)
        dbx__buf_puts(b, suffix);
    return b->oom ? -1 : 0;
}

/* The failure of a statement that ended FAILED / CANCELED / CLOSED. */
static dbx_status terminal_failure(dbx_client *c, const dbx_sql_statement *st, const char *method,
                                   const char *path)
{
    const char *code = dbx_sql_statement_error_code(st), *msg = dbx_sql_statement_error_message(st);
    const char *sqlstate = dbx_sql_statement_sql_state(st);
    dbx__fail(c, DBX_ESTATE, "statement %s is %s%s%s%s%s%s%s%s", dbx_sql_statement_id(st),
              dbx_sql_statement_state_str(st), *code || *msg ? ": " : "", code, *code && *msg ? ": " : "", msg,
              *sqlstate ? " (SQLSTATE " : "", sqlstate, *sqlstate ? ")" : "");
    dbx__error_set_request(method, path);
    dbx__error_set_http(200, code, "");
    return DBX_ESTATE;
}

static int is_terminal_failure(dbx_sql_state_t s)
{
    return s == DBX_SQL_STATE_FAILED || s == DBX_SQL_STATE_CANCELED || s == DBX_SQL_STATE_CLOSED;
}

static const char *disposition_names[] = {NULL, "INLINE", "EXTERNAL_LINKS"};
static const char *format_names[] = {NULL, "JSON_ARRAY", "ARROW_STREAM", "CSV"};
static const char *owt_names[] = {NULL, "CONTINUE", "CANCEL"};

static int jset(json_t *o, const char *k, json_t *v) { return v ? json_object_set_new(o, k, v) : -1; }

DBX_API dbx_status dbx_sql_execute(dbx_sql_statement **out, dbx_client *c, const char *warehouse_id,
                                   const char *statement, const dbx_sql_params *params,
                                   const dbx_sql_execute_options *o)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    DBX__REQUIRE_PTR(c, out);
    DBX__REQUIRE_STR(c, warehouse_id);
    DBX__REQUIRE_STR(c, statement);
    if (o) {
        if (o->version == 0 || o->version > DBX_SQL_EXECUTE_OPTIONS_VERSION)
            return dbx__fail(c, DBX_EINVAL, "dbx_sql_execute: options version %u is not supported", o->version);
        DBX__CHECK_STR(c, o->catalog);
        DBX__CHECK_STR(c, o->schema);
        if (o->wait_timeout_s != 0 && o->wait_timeout_s != DBX_SQL_NO_WAIT &&
            (o->wait_timeout_s < 5 || o->wait_timeout_s > 50))
            return dbx__fail(c, DBX_EINVAL, "dbx_sql_execute: wait_timeout_s must be 0 (default), "
                                            "DBX_SQL_NO_WAIT or 5..50 (got %d)", o->wait_timeout_s);
        if (o->row_limit < 0 || o->byte_limit < 0)
            return dbx__fail(c, DBX_EINVAL, "dbx_sql_execute: row_limit and byte_limit must be >= 0");
        if ((unsigned)o->disposition > DBX_SQL_DISPOSITION_EXTERNAL_LINKS ||
            (unsigned)o->format > DBX_SQL_FORMAT_CSV ||
            (unsigned)o->on_wait_timeout > DBX_SQL_ON_WAIT_TIMEOUT_CANCEL)
            return dbx__fail(c, DBX_EINVAL, "dbx_sql_execute: disposition, format or on_wait_timeout out of range");
        if ((o->format == DBX_SQL_FORMAT_ARROW_STREAM || o->format == DBX_SQL_FORMAT_CSV) &&
            o->disposition != DBX_SQL_DISPOSITION_EXTERNAL_LINKS)
            return dbx__fail(c, DBX_EINVAL, "dbx_sql_execute: ARROW_STREAM and CSV need disposition "
                                            "EXTERNAL_LINKS");
        if (o->n_query_tags && !o->query_tags)
            return dbx__fail(c, DBX_EINVAL, "dbx_sql_execute: query_tags is NULL");
        for (size_t i = 0; i < o->n_query_tags; i++) {
            if (dbx__empty(o->query_tags[i].key) || !dbx__utf8_valid(o->query_tags[i].key))
                return dbx__fail(c, DBX_EINVAL, "dbx_sql_execute: query_tags[%zu].key is required", i);
            DBX__CHECK_STR(c, o->query_tags[i].value);
        }
    }
    json_t *b = json_object();
    int bad = !b || jset(b, "statement", json_string(statement)) || jset(b, "warehouse_id", json_string(warehouse_id));
    if (!bad && o) {
        if (o->catalog)
            bad |= jset(b, "catalog", json_string(o->catalog));
        if (o->schema)
            bad |= jset(b, "schema", json_string(o->schema));
        if (o->wait_timeout_s) {
            char w[16];
            snprintf(w, sizeof w, "%ds", o->wait_timeout_s == DBX_SQL_NO_WAIT ? 0 : o->wait_timeout_s);
            bad |= jset(b, "wait_timeout", json_string(w));
        }
        if (o->on_wait_timeout)
            bad |= jset(b, "on_wait_timeout", json_string(owt_names[o->on_wait_timeout]));
        if (o->row_limit)
            bad |= jset(b, "row_limit", json_integer(o->row_limit));
        if (o->byte_limit)
            bad |= jset(b, "byte_limit", json_integer(o->byte_limit));
        if (o->disposition)
            bad |= jset(b, "disposition", json_string(disposition_names[o->disposition]));
        if (o->format)
            bad |= jset(b, "format", json_string(format_names[o->format]));
        if (o->n_query_tags) {
            json_t *tags = json_array();
            bad |= jset(b, "query_tags", tags);
            for (size_t i = 0; !bad && i < o->n_query_tags; i++) {
                json_t *t = json_object();
                bad |= !t || json_array_append_new(tags, t) ||
                       jset(t, "key", json_string(o->query_tags[i].key));
                if (!bad && o->query_tags[i].value)
                    bad |= jset(t, "value", json_string(o->query_tags[i].value));
            }
        }
    }
    if (!bad && params && params->n) {
        json_t *arr = json_array();
        bad |= jset(b, "parameters", arr);
        for (size_t i = 0; !bad && i < params->n; i++) {
            const param *p = &params->v[i];
            json_t *j = json_object();
            bad |= !j || json_array_append_new(arr, j) || jset(j, "name", json_string(p->name));
            if (!bad && p->value)
                bad |= jset(j, "value", json_string(p->value));
            if (!bad && p->type)
                bad |= jset(j, "type", json_string(p->type));
        }
    }
    if (bad) {
        json_decref(b);
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    dbx__jdoc doc;
    dbx_status st = dbx__api_call(c, "POST", BASE, b, DBX__CALL_LARGE, &doc);
    json_decref(b);
    if (st != DBX_OK)
        return st;
    st = stmt_from_doc(out, c, &doc);
    if (st != DBX_OK)
        return st;
    if (is_terminal_failure((*out)->state))
        return terminal_failure(c, *out, "POST", BASE);
    return DBX_OK;
}

DBX_API dbx_status dbx_sql_get(dbx_sql_statement **out, dbx_client *c, const char *statement_id)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    DBX__REQUIRE_PTR(c, out);
    DBX__REQUIRE_STR(c, statement_id);
    char small[256];
    dbx__buf path;
    dbx__buf_init_fixed(&path, small, sizeof small);
    if (stmt_path(&path, statement_id, NULL) != 0) {
        dbx__buf_dispose(&path);
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    dbx__jdoc doc;
    dbx_status st = dbx__api_call(c, "GET", path.ptr, NULL, DBX__CALL_LARGE, &doc);
    dbx__buf_dispose(&path);
    if (st != DBX_OK)
        return st;
    return stmt_from_doc(out, c, &doc);
}

typedef struct waitctx {
    dbx_client *c;
    const char *id;
    dbx_sql_statement *last;
} waitctx;

static dbx_status wait_poll(void *ctx, dbx__poll_result *res, const char **state)
{
    waitctx *w = ctx;
    dbx_sql_statement *st = NULL;
    dbx_status rc = dbx_sql_get(&st, w->c, w->id);
    if (rc != DBX_OK)
        return rc;
    dbx_sql_statement_free(w->last);
    w->last = st;
    *state = dbx_sql_statement_state_str(st);
    dbx_sql_state_t s = st->state;
    if (s == DBX_SQL_STATE_SUCCEEDED) {
        *res = DBX__POLL_DONE;
        return DBX_OK;
    }
    if (is_terminal_failure(s)) {
        char small[256];
        dbx__buf path;
        dbx__buf_init_fixed(&path, small, sizeof small);
        stmt_path(&path, w->id, NULL);
        terminal_failure(w->c, st, "GET", path.oom ? BASE : path.ptr);
        dbx__buf_dispose(&path);
        return DBX_ESTATE;
    }
    *res = DBX__POLL_CONTINUE;
    return DBX_OK;
}

DBX_API dbx_status dbx_sql_wait(dbx_sql_statement **out, dbx_client *c, const char *statement_id,
                                const dbx_wait_options *wait)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    DBX__REQUIRE_PTR(c, out);
    DBX__REQUIRE_STR(c, statement_id);
    waitctx w = {c, statement_id, NULL};
    char what[300];
    snprintf(what, sizeof what, "statement %.256s to finish", statement_id);
    dbx_status st = dbx__wait(c, statement_id, what, wait, wait_poll, &w);
    if (st == DBX_OK || st == DBX_ESTATE || st == DBX_ETIMEOUT || st == DBX_ECANCELLED) {
        *out = w.last; /* the last snapshot (NULL when no poll answered) */
        return st;
    }
    dbx_sql_statement_free(w.last);
    return st;
}

DBX_API dbx_status dbx_sql_run(dbx_sql_statement **out, dbx_client *c, const char *warehouse_id,
                               const char *statement, const dbx_sql_params *params,
                               const dbx_sql_execute_options *opts, const dbx_wait_options *wait)
{
    dbx_status st = dbx_sql_execute(out, c, warehouse_id, statement, params, opts);
    if (st != DBX_OK)
        return st;
    dbx_sql_state_t s = (*out)->state;
    if (s == DBX_SQL_STATE_SUCCEEDED)
        return DBX_OK;
    char *id = dbx__strdup(dbx_sql_statement_id(*out));
    if (!id) {
        dbx_sql_statement_free(*out);
        *out = NULL;
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    dbx_sql_statement_free(*out);
    *out = NULL;
    st = dbx_sql_wait(out, c, id, wait);
    dbx__free(id);
    return st;
}

static dbx_status simple_call(dbx_client *c, const char *method, const char *id, const char *suffix, int flags)
{
    char small[256];
    dbx__buf path;
    dbx__buf_init_fixed(&path, small, sizeof small);
    if (stmt_path(&path, id, suffix) != 0) {
        dbx__buf_dispose(&path);
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    dbx_status st = dbx__api_call(c, method, path.ptr, NULL, flags, NULL);
    dbx__buf_dispose(&path);
    return st;
}

DBX_API dbx_status dbx_sql_cancel(dbx_client *c, const char *statement_id)
{
    DBX__ENTER(c);
    DBX__REQUIRE_STR(c, statement_id);
    /* asking twice is harmless: retried like an idempotent call */
    return simple_call(c, "POST", statement_id, "/cancel", DBX__CALL_IDEMPOTENT);
}

DBX_API dbx_status dbx_sql_close(dbx_client *c, const char *statement_id)
{
    DBX__ENTER(c);
    DBX__REQUIRE_STR(c, statement_id);
    return simple_call(c, "DELETE", statement_id, NULL, DBX__CALL_IDEMPOTENT);
}

/* ---- value conversions --------------------------------------------------------------- */

static int parse_i64(const char *s, size_t len, int64_t *out)
{
    const char *p = s, *end = s + len;
    int neg = 0;
    if (p < end && (*p == '-' || *p == '+'))
        neg = *p++ == '-';
    if (p == end)
        return -1;
    uint64_t v = 0;
    const char *digits = p;
    while (p < end && *p >= '0' && *p <= '9') {
        unsigned d = (unsigned)(*p++ - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    if (p == digits)
        return -1;
    if (p < end) {
        /* "3.0", "3.000": an integral real */
        if (*p != '.')
            return -1;
        for (p++; p < end; p++)
            if (*p != '0')
                return -1;
    }
    if (neg ? v > (uint64_t)INT64_MAX + 1 : v > (uint64_t)INT64_MAX)
        return -1;
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}

static int parse_double(const char *s, size_t len, double *out)
{
    if (len == 0 || len > 400 || strlen(s) != len || isspace((unsigned char)s[0]))
        return -1;
    char *e = NULL;
    errno = 0;
    double d = strtod(s, &e);
    if (e != s + len)
        return -1;
    if (errno == ERANGE && isinf(d))
        return -1;
    *out = d;
    return 0;
}

static int parse_bool(const char *s, size_t len, int *out)
{
    if ((len == 4 && dbx__strncasecmp(s, "true", 4) == 0) || (len == 1 && s[0] == '1'))
        return *out = 1, 0;
    if ((len == 5 && dbx__strncasecmp(s, "false", 5) == 0) || (len == 1 && s[0] == '0'))
        return *out = 0, 0;
    return -1;
}

static int digits(const char **p, int n, int *v)
{
    int x = 0;
    for (int i = 0; i < n; i++) {
        char ch = (*p)[i];
        if (ch < '0' || ch > '9')
            return -1;
        x = x * 10 + (ch - '0');
    }
    *p += n;
    *v = x;
    return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int dbx__sql_parse_time(const char *s, int64_t *us)
{
    const char *p = s;
    int y, mo, d, h = 0, mi = 0, sec = 0;
    int neg_year = 0;
    if (*p == '-' || *p == '+')
        neg_year = *p++ == '-';
    if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' || digits(&p, 2, &d))
        return -1;
    if (neg_year)
        y = -y;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1])
        return -1;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (mo == 2 && d == 29 && !leap)
        return -1;
    int64_t frac_us = 0, offset_s = 0;
    if (*p == 'T' || *p == ' ') {
        p++;
        if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi))
            return -1;
        if (*p == ':') {
            p++;
            if (digits(&p, 2, &sec))
                return -1;
        }
        if (h > 23 || mi > 59 || sec > 60)
            return -1;
        if (*p == '.' || *p == ',') {
            p++;
            int nd = 0;
            while (*p >= '0' && *p <= '9') {
                if (nd < 6)
                    frac_us = frac_us * 10 + (*p - '0');
                nd++;
                p++;
            }
            if (nd == 0)
                return -1;
            for (int k = nd; k < 6; k++)
                frac_us *= 10;
        }
        if (*p == 'Z' || *p == 'z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int sign = *p++ == '-' ? -1 : 1, oh, om = 0;
            if (digits(&p, 2, &oh))
                return -1;
            if (*p == ':')
                p++;
            if (*p && digits(&p, 2, &om))
                return -1;
            if (oh > 23 || om > 59)
                return -1;
            offset_s = sign * (oh * 3600 + om * 60);
        }
    }
    if (*p)
        return -1;
    int64_t secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset_s;
    *us = secs * 1000000 + frac_us;
    return 0;
}

/* ---- the row iterator ---------------------------------------------------------------- */

typedef struct xlink {
    char *url;
    char *hdr[MAX_LINK_HEADERS + 1]; /* "Name: value", NULL-terminated */
    int64_t expires_ms;              /* 0: unknown */
    int next;                        /* next_chunk_index, -1: none */
    int fresh;                       /* obtained for this use: never renewed before it */
    int have;
} xlink;

typedef struct cslot {
    int index;
    int next;              /* next_chunk_index, -1: last */
    dbx__jdoc doc;         /* a fetched chunk (INLINE: ResultData; EXTERNAL: the array) */
    int have_doc;
    dbx__jv rows;          /* the array of rows */
    dbx__buf raw;          /* raw mode: the chunk's bytes */
    xlink ln;
    int refreshes;
    int ok;                /* fetched */
} cslot;

struct dbx_sql_rows {
    dbx_client *c;
    dbx_sql_statement *st; /* referenced */
    char *id;
    int window, truncated_is_error, close_statement, max_refreshes;
    long margin_ms;
    int raw;               /* chunk streaming: keep bytes, parse nothing */
    int external;
    int total;             /* total_chunk_count (0: unknown) */
    int first_done;        /* the statement's own first chunk was used */
    int next_chunk;        /* first chunk of the next window; -1: none */
    cslot *slots;
    int nwin, pos;         /* chunks in the window; the one being read */
    /* batch storage, one per slot */
    dbx__call *calls;
    dbx__http_resp *resps;
    dbx__batch_item *items;
    char **paths;
    /* the current chunk and row */
    dbx__jit rit;
    int in_chunk;
    dbx__jv *vals;
    int ncols;
    int64_t row_index;
    int have_row;
    int expired;
    int finished;
};

static void link_dispose(xlink *l)
{
    dbx__free(l->url);
    for (int i = 0; l->hdr[i]; i++)
        dbx__free(l->hdr[i]);
    memset(l, 0, sizeof *l);
}

static void slot_clear(cslot *s)
{
    if (s->have_doc)
        dbx__jdoc_dispose(&s->doc);
    s->have_doc = 0;
    s->rows = DBX__JV_ABSENT;
    dbx__buf_dispose(&s->raw);
    link_dispose(&s->ln);
    s->refreshes = 0;
    s->ok = 0;
}

static void window_clear(dbx_sql_rows *it)
{
    for (int i = 0; i < it->window; i++)
        slot_clear(&it->slots[i]);
    it->nwin = it->pos = 0;
    it->in_chunk = 0;
}

/* The link of one ExternalLink object; -1 when it is unusable (recorded). */
static int link_parse(dbx_sql_rows *it, dbx__jv l, xlink *out)
{
    memset(out, 0, sizeof *out);
    const char *url = dbx__jv_get_str(l, "external_link", "");
    if (!dbx__url_secure(url)) {
        /* the URL is a secret: never quoted */
        dbx__fail_answer(it->c, DBX_EBADRESPONSE, "statement %s: a result link is not an https URL", it->id);
        return -1;
    }
    out->url = dbx__strdup(url);
    int nh = 0;
    dbx__jit hi;
    dbx__jv hv;
    const char *hk;
    dbx__jv_iter(dbx__jv_get(l, "http_headers"), &hi);
    while (out->url && dbx__jit_next(&hi, &hv, &hk)) {
        const char *v = dbx__jv_str(hv, NULL);
        if (!v || nh >= MAX_LINK_HEADERS || dbx__empty(hk) || strpbrk(hk, "\r\n:") || strpbrk(v, "\r\n") ||
            strlen(v) != dbx__jv_strlen(hv)) {
            link_dispose(out);
            dbx__fail_answer(it->c, DBX_EBADRESPONSE, "statement %s: a result link has unusable http_headers",
                             it->id);
            return -1;
        }
        if (!(out->hdr[nh++] = dbx__sprintf("%s: %s", hk, v)))
            break;
    }
    if (!out->url || (nh && !out->hdr[nh - 1])) {
        link_dispose(out);
        dbx__fail(it->c, DBX_ENOMEM, "out of memory");
        return -1;
    }
    const char *exp = dbx__jv_get_str(l, "expiration", "");
    int64_t us;
    out->expires_ms = *exp && dbx__sql_parse_time(exp, &us) == 0 ? us / 1000 : 0;
    dbx__jv nx = dbx__jv_get(l, "next_chunk_index");
    out->next = dbx__jv_present(nx) && dbx__jv_type(nx) != DBX__J_NULL ? (int)clamp_int(dbx__jv_int(nx, -1), -1, INT32_MAX) : -1;
    out->have = 1;
    return 0;
}

/* The link for chunk `index` in a ResultData (external_links[]). */
static int link_from_result(dbx_sql_rows *it, dbx__jv result, int index, xlink *out)
{
    dbx__jit li;
    dbx__jv l;
    dbx__jv_iter(dbx__jv_get(result, "external_links"), &li);
    while (dbx__jit_next(&li, &l, NULL)) {
        if (dbx__jv_get_int(l, "chunk_index", 0) == index)
            return link_parse(it, l, out);
    }
    dbx__fail_answer(it->c, DBX_EBADRESPONSE, "statement %s: chunk %d has no external link", it->id, index);
    return -1;
}

static void set_chunk_path(dbx_sql_rows *it, int k, int index)
{
    dbx__buf b = DBX__BUF_INIT;
    stmt_path(&b, it->id, NULL);
    dbx__buf_printf(&b, "/result/chunks/%d", index);
    dbx__free(it->paths[k]);
    /* dbx__buf_detach hands back "" (not NULL) when the first allocation failed */
    it->paths[k] = b.oom ? NULL : dbx__buf_detach(&b);
    dbx__buf_dispose(&b);
}

static void batch_reset(dbx_sql_rows *it, int n)
{
    for (int k = 0; k < n; k++) {
        memset(&it->calls[k], 0, sizeof it->calls[k]);
        dbx__resp_reset(&it->resps[k]);
        it->items[k].call = &it->calls[k];
        it->items[k].resp = &it->resps[k];
        it->items[k].status = DBX_OK;
        it->items[k].error = NULL;
    }
}

/* Run the batch of the first n calls; each item's outcome in items[k]. */
static void batch_run(dbx_sql_rows *it, int n)
{
    dbx__pipeline_send_many(&it->c->pipe, it->items, (size_t)n, it->window);
}

/* A failed call of a batch becomes the thread's error; 404 from the chunk
 * endpoint is the expired result. */
static dbx_status batch_fail(dbx_sql_rows *it, int k, int index, int chunk_endpoint)
{
    dbx__batch_item *bi = &it->items[k];
    dbx_status st = bi->status;
    if (bi->error)
        dbx__error_restore(bi->error);
    else
        dbx__fail(it->c, st, "%s", dbx_status_str(st));
    if (chunk_endpoint && it->resps[k].status == 404) {
        it->expired = 1;
        dbx__error_prefix("statement %s: the result has expired or the statement was closed (results are "
                          "kept for a limited time after success: run the statement again); chunk %d",
                          it->id, index);
    } else if (!chunk_endpoint) {
        /* the link's path may hold object names: say which chunk instead */
        dbx__error_set_request("GET", "(presigned result link)");
        dbx__error_prefix("statement %s: downloading chunk %d", it->id, index);
    } else {
        dbx__error_prefix("statement %s: chunk %d", it->id, index);
    }
    return st;
}

static void batch_free_errors(dbx_sql_rows *it, int n) { dbx__batch_dispose(it->items, (size_t)n); }

/* Fetch ResultData for the slots in `which` (chunk endpoint, in parallel). */
static dbx_status fetch_results(dbx_sql_rows *it, const int *which, int n, dbx__jdoc *docs)
{
    batch_reset(it, n);
    for (int k = 0; k < n; k++) {
        set_chunk_path(it, k, it->slots[which[k]].index);
        if (!it->paths[k])
            return dbx__fail(it->c, DBX_ENOMEM, "out of memory");
        it->calls[k].method = "GET";
        it->calls[k].path = it->paths[k];
        it->calls[k].accept_gzip = !it->external;
    }
    batch_run(it, n);
    dbx_status st = DBX_OK;
    for (int k = 0; k < n; k++)
        memset(&docs[k], 0, sizeof docs[k]);
    for (int k = 0; k < n && st == DBX_OK; k++) {
        if (it->items[k].status != DBX_OK) {
            st = batch_fail(it, k, it->slots[which[k]].index, 1);
            break;
        }
        st = dbx__jdoc_parse_object(&docs[k], it->c, &it->resps[k].body);
        if (st == DBX_OK) {
            int64_t ci = dbx__jv_get_int(dbx__jdoc_root(&docs[k]), "chunk_index", it->slots[which[k]].index);
            if (ci != it->slots[which[k]].index)
                st = dbx__fail(it->c, DBX_EBADRESPONSE, "statement %s: asked for chunk %d, got chunk %lld",
                               it->id, it->slots[which[k]].index, (long long)ci);
        }
        if (st != DBX_OK) {
            dbx__error_set_request("GET", it->paths[k]);
            dbx__error_set_http(it->resps[k].status, "", dbx__resp_header(&it->resps[k], "x-request-id"));
        }
    }
    if (st != DBX_OK)
        for (int k = 0; k < n; k++)
            dbx__jdoc_dispose(&docs[k]);
    batch_free_errors(it, n);
    return st;
}

static int next_of(dbx__jv result)
{
    dbx__jv nx = dbx__jv_get(result, "next_chunk_index");
    if (!dbx__jv_present(nx) || dbx__jv_type(nx) == DBX__J_NULL)
        return -1;
    return (int)clamp_int(dbx__jv_int(nx, -1), -1, INT32_MAX);
}

/* New links for the slots in `which`, from the chunk endpoint. */
static dbx_status refresh_links(dbx_sql_rows *it, const int *which, int n)
{
    dbx__jdoc docs[MAX_WINDOW];
    dbx_status st = fetch_results(it, which, n, docs);
    if (st != DBX_OK)
        return st;
    for (int k = 0; k < n; k++) {
        cslot *s = &it->slots[which[k]];
        link_dispose(&s->ln);
        if (st == DBX_OK && link_from_result(it, dbx__jdoc_root(&docs[k]), s->index, &s->ln) != 0)
            st = dbx__error_current()->status;
        s->ln.fresh = 1;
        dbx__jdoc_dispose(&docs[k]);
    }
    return st;
}

/* Download the linked chunks of the window (in parallel), renewing links
 * that are about to expire or that answer 403. */
static dbx_status fetch_links(dbx_sql_rows *it)
{
    int which[MAX_WINDOW], n = 0;
    int64_t now = dbx__wall_ms();
    for (int i = 0; i < it->nwin; i++) {
        cslot *s = &it->slots[i];
        if (!s->ln.have || (!s->ln.fresh && s->ln.expires_ms && s->ln.expires_ms - now < it->margin_ms))
            which[n++] = i;
    }
    if (n) {
        dbx__log(&it->c->pipe.log, DBX_LOG_DEBUG, DBX_LOGCAT_GENERAL,
                 "statement %s: fetching %d result link(s) from chunk %d", it->id, n, it->slots[which[0]].index);
        dbx_status st = refresh_links(it, which, n);
        if (st != DBX_OK)
            return st;
    }
    for (;;) {
        n = 0;
        for (int i = 0; i < it->nwin; i++)
            if (!it->slots[i].ok)
                which[n++] = i;
        if (n == 0)
            return DBX_OK;
        batch_reset(it, n);
        for (int k = 0; k < n; k++) {
            cslot *s = &it->slots[which[k]];
            it->calls[k].method = "GET";
            it->calls[k].path = s->ln.url;
            it->calls[k].no_auth = 1; /* never the workspace's credentials */
            it->calls[k].headers = (const char *const *)s->ln.hdr;
            it->calls[k].secret_headers = 1;
        }
        batch_run(it, n);
        int again[MAX_WINDOW], na = 0;
        dbx_status st = DBX_OK;
        for (int k = 0; k < n; k++) {
            cslot *s = &it->slots[which[k]];
            if (it->items[k].status == DBX_OK) {
                s->ok = 1;
                if (it->raw) {
                    s->raw = it->resps[k].body; /* take the bytes */
                    memset(&it->resps[k].body, 0, sizeof it->resps[k].body);
                } else {
                    size_t len = it->resps[k].body.len;
                    char *text = dbx__buf_detach(&it->resps[k].body);
                    dbx__jerr je;
                    dbx_status ps = text ? dbx__jdoc_parse(&s->doc, text, len, 1, &je) : DBX_ENOMEM;
                    if (ps != DBX_OK) {
                        dbx__free(text);
                        s->ok = 0;
                        if (st == DBX_OK)
                            st = ps == DBX_ENOMEM ? dbx__fail(it->c, ps, "out of memory")
                                                  : dbx__fail(it->c, ps, "statement %s: chunk %d is not JSON: "
                                                                         "%s at byte %zu", it->id, s->index,
                                                              je.msg, je.pos);
                        continue;
                    }
                    s->have_doc = 1;
                    s->rows = dbx__jdoc_root(&s->doc);
                }
            } else if (it->resps[k].status == 403 && s->refreshes < it->max_refreshes) {
                s->refreshes++;
                again[na++] = which[k];
            } else if (st == DBX_OK) {
                st = batch_fail(it, k, s->index, 0);
                if (it->resps[k].status == 403)
                    dbx__error_prefix("the link stayed expired or forbidden after %d renewal(s)", s->refreshes);
            }
        }
        batch_free_errors(it, n);
        if (st != DBX_OK)
            return st;
        if (na) {
            dbx__log(&it->c->pipe.log, DBX_LOG_INFO, DBX_LOGCAT_RETRY,
                     "statement %s: %d result link(s) expired (HTTP 403): renewing", it->id, na);
            st = refresh_links(it, again, na);
            if (st != DBX_OK)
                return st;
        }
    }
}

/* Fetch the window of chunks starting at `start`. */
static dbx_status fetch_window(dbx_sql_rows *it, int start)
{
    window_clear(it);
    int n = 1;
    while (n < it->window && it->total > 0 && start + n < it->total)
        n++;
    for (int i = 0; i < n; i++) {
        it->slots[i].index = start + i;
        it->slots[i].next = -1;
    }
    it->nwin = n;
    dbx__jv first = it->st->result;
    int use_first = !it->first_done && start == (int)dbx__jv_get_int(first, "chunk_index", 0) &&
                    dbx__jv_present(first);
    dbx_status st = DBX_OK;
    if (!it->external) {
        int which[MAX_WINDOW], nw = 0;
        for (int i = 0; i < n; i++) {
            if (i == 0 && use_first) {
                it->slots[0].rows = dbx__jv_get(first, "data_array");
                it->slots[0].next = next_of(first);
                it->slots[0].ok = 1;
            } else {
                which[nw++] = i;
            }
        }
        if (nw) {
            dbx__jdoc docs[MAX_WINDOW];
            st = fetch_results(it, which, nw, docs);
            for (int k = 0; st == DBX_OK && k < nw; k++) {
                cslot *s = &it->slots[which[k]];
                s->doc = docs[k];
                s->have_doc = 1;
                dbx__jv root = dbx__jdoc_root(&s->doc);
                s->rows = dbx__jv_get(root, "data_array");
                s->next = next_of(root);
                s->ok = 1;
            }
        }
    } else {
        if (use_first && link_from_result(it, first, start, &it->slots[0].ln) != 0)
            return dbx__error_current()->status;
        st = fetch_links(it);
        for (int i = 0; st == DBX_OK && i < n; i++)
            it->slots[i].next = it->slots[i].ln.next;
    }
    if (st != DBX_OK) {
        window_clear(it);
        return st;
    }
    if (use_first)
        it->first_done = 1;
    /* follow the server's chain: the window ends where it leaves the guess */
    for (int i = 0; i < n; i++) {
        if (i + 1 == n || it->slots[i].next != it->slots[i].index + 1) {
            it->nwin = i + 1;
            it->next_chunk = it->slots[i].next;
            break;
        }
    }
    for (int i = it->nwin; i < n; i++)
        slot_clear(&it->slots[i]);
    it->pos = 0;
    return DBX_OK;
}

static dbx_status rows_new(dbx_sql_rows **out, dbx_client *c, const dbx_sql_statement *cst,
                           const dbx_sql_rows_options *o, int raw)
{
    if (o && (o->version == 0 || o->version > DBX_SQL_ROWS_OPTIONS_VERSION))
        return dbx__fail(c, DBX_EINVAL, "dbx_sql_rows_options version %u is not supported", o->version);
    if (o && (o->max_chunks < 0 || o->max_chunks > MAX_WINDOW || o->link_refresh_margin_ms < 0 ||
              o->max_link_refreshes < 0 || o->max_link_refreshes > 100))
        return dbx__fail(c, DBX_EINVAL, "dbx_sql_rows_options: max_chunks must be 0..%d, "
                                        "link_refresh_margin_ms >= 0, max_link_refreshes 0..100", MAX_WINDOW);
    if (cst->state != DBX_SQL_STATE_SUCCEEDED || !dbx__jv_present(cst->manifest))
        return dbx__fail(c, DBX_EINVAL, "statement %s is %s: only a SUCCEEDED statement has a result to read",
                         dbx_sql_statement_id(cst), dbx_sql_statement_state_str(cst));
    const char *fmt = dbx_sql_statement_format(cst);
    if (!raw && *fmt && strcmp(fmt, "JSON_ARRAY") != 0)
        return dbx__fail(c, DBX_EINVAL, "statement %s: a %s result is read as raw chunks "
                                        "(dbx_sql_chunks_stream), not as rows", dbx_sql_statement_id(cst), fmt);
    if (raw && !cst->external)
        return dbx__fail(c, DBX_EINVAL, "statement %s: an INLINE result has no raw chunks: read it with "
                                        "dbx_sql_rows_open", dbx_sql_statement_id(cst));
    dbx_sql_rows *it = dbx__calloc(1, sizeof *it);
    if (!it)
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    dbx_sql_statement *st = (dbx_sql_statement *)cst;
    atomic_fetch_add(&st->refs, 1);
    it->st = st;
    it->c = dbx__client_ref(c);
    it->id = dbx__strdup(dbx_sql_statement_id(st));
    it->window = o && o->max_chunks ? o->max_chunks : DEFAULT_WINDOW;
    it->truncated_is_error = o ? o->truncated_is_error : 0;
    it->close_statement = o ? o->close_statement : 0;
    it->margin_ms = o && o->link_refresh_margin_ms ? o->link_refresh_margin_ms : DEFAULT_MARGIN_MS;
    it->max_refreshes = o && o->max_link_refreshes ? o->max_link_refreshes : DEFAULT_REFRESHES;
    it->raw = raw;
    it->external = st->external;
    it->total = dbx_sql_statement_total_chunk_count(st);
    it->next_chunk = dbx__jv_present(st->result) ? (int)clamp_int(dbx__jv_get_int(st->result, "chunk_index", 0), 0, INT32_MAX)
                                                  : (it->total > 0 ? 0 : -1);
    if (it->external && it->total == 0 && !dbx__jv_count(dbx__jv_get(st->result, "external_links")))
        it->next_chunk = -1; /* an empty result: no chunk, no link */
    it->ncols = st->ncols;
    it->row_index = -1;
    it->slots = dbx__calloc((size_t)it->window, sizeof *it->slots);
    it->calls = dbx__calloc((size_t)it->window, sizeof *it->calls);
    it->resps = dbx__calloc((size_t)it->window, sizeof *it->resps);
    it->items = dbx__calloc((size_t)it->window, sizeof *it->items);
    it->paths = dbx__calloc((size_t)it->window, sizeof *it->paths);
    it->vals = dbx__calloc(it->ncols ? (size_t)it->ncols : 1, sizeof *it->vals);
    if (it->resps)
        for (int k = 0; k < it->window; k++)
            dbx__resp_init(&it->resps[k]);
    if (!it->id || !it->slots || !it->calls || !it->resps || !it->items || !it->paths || !it->vals) {
        dbx_sql_rows_free(it);
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    *out = it;
    return DBX_OK;
}

DBX_API dbx_status dbx_sql_rows_open(dbx_sql_rows **out, dbx_client *c, const dbx_sql_statement *st,
                                     const dbx_sql_rows_options *o)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    DBX__REQUIRE_PTR(c, out);
    DBX__REQUIRE_PTR(c, st);
    return rows_new(out, c, st, o, 0);
}

DBX_API void dbx_sql_rows_free(dbx_sql_rows *it)
{
    if (!it)
        return;
    if (it->close_statement && it->c && it->id) {
        /* best effort: the caller is done with the result; the thread's
         * error record stays what it was */
        dbx__errsave *keep = dbx__error_save();
        dbx_sql_close(it->c, it->id);
        if (keep) {
            dbx__error_restore(keep);
            dbx__errsave_free(keep);
        }
    }
    if (it->slots)
        window_clear(it);
    if (it->resps)
        for (int k = 0; k < it->window; k++)
            dbx__resp_dispose(&it->resps[k]);
    if (it->paths)
        for (int k = 0; k < it->window; k++)
            dbx__free(it->paths[k]);
    dbx__free(it->paths);
    dbx__free(it->slots);
    dbx__free(it->calls);
    dbx__free(it->resps);
    dbx__free(it->items);
    dbx__free(it->vals);
    dbx__free(it->id);
    stmt_unref(it->st);
    if (it->c)
        dbx__client_unref(it->c);
    dbx__free(it);
}

/* Load the values of row `row` into it->vals. */
static int load_row(dbx_sql_rows *it, dbx__jv row)
{
    if (dbx__jv_type(row) != DBX__J_ARRAY)
        return -1;
    dbx__jit ci;
    dbx__jv v;
    int k = 0;
    dbx__jv_iter(row, &ci);
    while (k < it->ncols && dbx__jit_next(&ci, &v, NULL))
        it->vals[k++] = v;
    while (k < it->ncols)
        it->vals[k++] = DBX__JV_ABSENT; /* a short row: NULLs */
    return 0;
}

DBX_API dbx_status dbx_sql_rows_next(dbx_sql_rows *it)
{
    if (!it)
        return dbx__fail(NULL, DBX_EINVAL, "dbx_sql_rows_next: rows is NULL");
    dbx__error_clear(it->c);
    it->have_row = 0;
    if (it->raw)
        return dbx__fail(it->c, DBX_EINVAL, "dbx_sql_rows_next: not a row iterator");
    for (;;) {
        if (it->in_chunk) {
            dbx__jv row;
            if (dbx__jit_next(&it->rit, &row, NULL)) {
                if (load_row(it, row) != 0)
                    return dbx__fail(it->c, DBX_EBADRESPONSE, "statement %s: chunk %d holds a row that is not "
                                                              "an array", it->id, it->slots[it->pos].index);
                it->row_index++;
                it->have_row = 1;
                return DBX_OK;
            }
            it->in_chunk = 0;
            slot_clear(&it->slots[it->pos]); /* done with it: memory back now */
            it->pos++;
        }
        if (it->pos < it->nwin) {
            cslot *s = &it->slots[it->pos];
            if (dbx__jv_present(s->rows) && dbx__jv_type(s->rows) != DBX__J_ARRAY &&
                dbx__jv_type(s->rows) != DBX__J_NULL)
                return dbx__fail(it->c, DBX_EBADRESPONSE, "statement %s: chunk %d has no array of rows", it->id,
                                 s->index);
            dbx__jv_iter(s->rows, &it->rit);
            it->in_chunk = 1;
            continue;
        }
        if (it->finished || it->next_chunk < 0) {
            it->finished = 1;
            if (dbx_sql_statement_truncated(it->st)) {
                if (it->truncated_is_error)
                    return dbx__fail(it->c, DBX_ETOOLARGE, "statement %s: the result was truncated by row_limit "
                                                           "or byte_limit after %lld rows", it->id,
                                     (long long)(it->row_index + 1));
                dbx__log(&it->c->pipe.log, DBX_LOG_WARN, DBX_LOGCAT_GENERAL,
                         "statement %s: the result was truncated (row_limit / byte_limit) after %lld rows", it->id,
                         (long long)(it->row_index + 1));
            }
            return DBX_DONE;
        }
        dbx_status st = fetch_window(it, it->next_chunk);
        if (st != DBX_OK)
            return st; /* next_chunk unchanged: the next call retries */
    }
}

DBX_API int dbx_sql_rows_column_count(const dbx_sql_rows *it) { return it ? it->ncols : 0; }
DBX_API int dbx_sql_rows_column_index(const dbx_sql_rows *it, const char *name)
{
    return it ? dbx_sql_statement_column_index(it->st, name) : -1;
}
DBX_API int64_t dbx_sql_rows_row_index(const dbx_sql_rows *it) { return it ? it->row_index : -1; }
DBX_API int dbx_sql_rows_truncated(const dbx_sql_rows *it) { return it ? dbx_sql_statement_truncated(it->st) : 0; }
DBX_API int dbx_sql_rows_result_expired(const dbx_sql_rows *it) { return it ? it->expired : 0; }
DBX_API const dbx_sql_statement *dbx_sql_rows_statement(const dbx_sql_rows *it) { return it ? it->st : NULL; }

static const dbx__jv *val_at(const dbx_sql_rows *it, int col)
{
    return it && it->have_row && col >= 0 && col < it->ncols ? &it->vals[col] : NULL;
}

static int is_null_jv(dbx__jv v) { return !dbx__jv_present(v) || dbx__jv_type(v) == DBX__J_NULL; }

DBX_API int dbx_sql_rows_is_null(const dbx_sql_rows *it, int col)
{
    const dbx__jv *v = val_at(it, col);
    return v ? is_null_jv(*v) : -1;
}

DBX_API const char *dbx_sql_rows_str(const dbx_sql_rows *it, int col)
{
    const dbx__jv *v = val_at(it, col);
    return v && dbx__jv_type(*v) == DBX__J_STRING ? dbx__jv_str(*v, NULL) : NULL;
}

DBX_API size_t dbx_sql_rows_strlen(const dbx_sql_rows *it, int col)
{
    const dbx__jv *v = val_at(it, col);
    return v && dbx__jv_type(*v) == DBX__J_STRING ? dbx__jv_strlen(*v) : 0;
}

DBX_API const char *dbx_sql_rows_decimal(const dbx_sql_rows *it, int col) { return dbx_sql_rows_str(it, col); }

/* The text of a value for the typed reads (numbers and booleans a server
 * sent unquoted are read too). DBX_OK or the failure, recorded. */
static dbx_status typed_text(const dbx_sql_rows *it, int col, const char *what, const char **s, size_t *len,
                             dbx__jv *jv)
{
    const dbx__jv *v = val_at(it, col);
    if (!it)
        return dbx__fail(NULL, DBX_EINVAL, "dbx_sql_rows_%s: rows is NULL", what);
    dbx__error_clear(it->c);
    if (!v)
        return dbx__fail(it->c, DBX_EINVAL, "dbx_sql_rows_%s: %s", what,
                         it->have_row ? "column index out of range" : "no current row");
    if (is_null_jv(*v))
        return dbx__fail(it->c, DBX_EINVAL, "dbx_sql_rows_%s: column %d (%s) is NULL", what, col,
                         it->st->cols[col].name);
    *jv = *v;
    *s = dbx__jv_type(*v) == DBX__J_STRING ? dbx__jv_str(*v, "") : NULL;
    *len = *s ? dbx__jv_strlen(*v) : 0;
    return DBX_OK;
}

static dbx_status bad_value(const dbx_sql_rows *it, int col, const char *what)
{
    return dbx__fail(it->c, DBX_EBADRESPONSE, "dbx_sql_rows_%s: column %d (%s, %s) does not hold a valid %s", what,
                     col, it->st->cols[col].name, it->st->cols[col].type_name, what);
}

DBX_API dbx_status dbx_sql_rows_int64(int64_t *out, const dbx_sql_rows *it, int col)
{
    const char *s;
    size_t len;
    dbx__jv jv;
    if (out)
        *out = 0;
    dbx_status st = typed_text(it, col, "int64", &s, &len, &jv);
    if (st != DBX_OK)
        return st;
    if (!out)
        return dbx__fail(it->c, DBX_EINVAL, "dbx_sql_rows_int64: out is NULL");
    if (s ? parse_i64(s, len, out) == 0 : dbx__jv_type(jv) == DBX__J_INTEGER)
    {
        if (!s)
            *out = dbx__jv_int(jv, 0);
        return DBX_OK;
    }
    *out = 0;
    return bad_value(it, col, "int64");
}

DBX_API dbx_status dbx_sql_rows_double(double *out, const dbx_sql_rows *it, int col)
{
    const char *s;
    size_t len;
    dbx__jv jv;
    if (out)
        *out = 0;
    dbx_status st = typed_text(it, col, "double", &s, &len, &jv);
    if (st != DBX_OK)
        return st;
    if (!out)
        return dbx__fail(it->c, DBX_EINVAL, "dbx_sql_rows_double: out is NULL");
    if (s ? parse_double(s, len, out) == 0
          : (dbx__jv_type(jv) == DBX__J_INTEGER || dbx__jv_type(jv) == DBX__J_REAL)) {
        if (!s)
            *out = dbx__jv_real(jv, 0);
        return DBX_OK;
    }
    *out = 0;
    return bad_value(it, col, "double");
}

DBX_API dbx_status dbx_sql_rows_bool(int *out, const dbx_sql_rows *it, int col)
{
    const char *s;
    size_t len;
    dbx__jv jv;
    if (out)
        *out = 0;
    dbx_status st = typed_text(it, col, "bool", &s, &len, &jv);
    if (st != DBX_OK)
        return st;
    if (!out)
        return dbx__fail(it->c, DBX_EINVAL, "dbx_sql_rows_bool: out is NULL");
    dbx__jtype t = dbx__jv_type(jv);
    if (s ? parse_bool(s, len, out) == 0 : (t == DBX__J_TRUE || t == DBX__J_FALSE)) {
        if (!s)
            *out = t == DBX__J_TRUE;
        return DBX_OK;
    }
    *out = 0;
    return bad_value(it, col, "bool");
}

static dbx_status epoch(int64_t *out, const dbx_sql_rows *it, int col, int64_t div, const char *what)
{
    const char *s;
    size_t len;
    dbx__jv jv;
    if (out)
        *out = 0;
    dbx_status st = typed_text(it, col, what, &s, &len, &jv);
    if (st != DBX_OK)
        return st;
    if (!out)
        return dbx__fail(it->c, DBX_EINVAL, "dbx_sql_rows_%s: out is NULL", what);
    int64_t us;
    if (!s || strlen(s) != len || dbx__sql_parse_time(s, &us) != 0)
        return bad_value(it, col, what);
    /* floor division: instants before 1970 round down */
    *out = us / div - (us % div < 0);
    return DBX_OK;
}

DBX_API dbx_status dbx_sql_rows_epoch_ms(int64_t *out, const dbx_sql_rows *it, int col)
{
    return epoch(out, it, col, 1000, "epoch_ms");
}

DBX_API dbx_status dbx_sql_rows_epoch_us(int64_t *out, const dbx_sql_rows *it, int col)
{
    return epoch(out, it, col, 1, "epoch_us");
}

/* ---- raw chunks ------------------------------------------------------------------------ */

DBX_API dbx_status dbx_sql_chunks_stream(dbx_client *c, const dbx_sql_statement *st,
                                         const dbx_sql_rows_options *opts, dbx_sql_chunk_fn fn, void *payload)
{
    DBX__ENTER(c);
    DBX__REQUIRE_PTR(c, st);
    DBX__REQUIRE_PTR(c, fn);
    dbx_sql_rows *it = NULL;
    dbx_status rc = rows_new(&it, c, st, opts, 1);
    if (rc != DBX_OK)
        return rc;
    while (rc == DBX_OK && it->next_chunk >= 0) {
        rc = fetch_window(it, it->next_chunk);
        for (int i = 0; rc == DBX_OK && i < it->nwin; i++) {
            cslot *s = &it->slots[i];
            if ((s->raw.len && fn(payload, s->index, s->raw.ptr, s->raw.len) != 0) ||
                fn(payload, s->index, NULL, 0) != 0)
                rc = dbx__fail(c, DBX_ECANCELLED, "statement %s: the chunk callback stopped at chunk %d", it->id,
                               s->index);
            slot_clear(s);
        }
    }
    if (rc == DBX_OK && dbx_sql_statement_truncated(st))
        dbx__log(&c->pipe.log, DBX_LOG_WARN, DBX_LOGCAT_GENERAL,
                 "statement %s: the result was truncated (row_limit / byte_limit)", it->id);
    dbx__errsave *keep = rc != DBX_OK ? dbx__error_save() : NULL;
    dbx_sql_rows_free(it); /* may close the statement (close_statement) */
    if (keep) {
        dbx__error_restore(keep);
        dbx__errsave_free(keep);
    }
    return rc;
}

static int to_file(void *payload, int chunk_index, const char *data, size_t len)
{
    (void)chunk_index;
    return data ? dbx__file_sink_write(payload, data, len) : 0;
}

DBX_API dbx_status dbx_sql_chunks_to_file(dbx_client *c, const dbx_sql_statement *st,
                                          const dbx_sql_rows_options *opts, const char *path, int overwrite)
{
    DBX__ENTER(c);
    DBX__REQUIRE_PTR(c, st);
    DBX__REQUIRE_STR(c, path);
    if (st->state != DBX_SQL_STATE_SUCCEEDED || !st->external)
        return dbx__fail(c, DBX_EINVAL, "dbx_sql_chunks_to_file: statement %s has no EXTERNAL_LINKS result",
                         dbx_sql_statement_id(st));
    dbx__file_sink fs;
    dbx_status rc = dbx__file_sink_open(&fs, c, "dbx_sql_chunks_to_file", path, overwrite);
    if (rc != DBX_OK)
        return rc;
    rc = dbx_sql_chunks_stream(c, st, opts, to_file, &fs);
    if (rc == DBX_ECANCELLED && fs.err) {
        dbx__file_sink_abort(&fs);
        return dbx__fail(c, DBX_ERROR, "dbx_sql_chunks_to_file: cannot write the file: %s", strerror(fs.err));
    }
    if (rc != DBX_OK) {
        dbx__errsave *keep = dbx__error_save();
        dbx__file_sink_abort(&fs);
        if (keep) {
            dbx__error_restore(keep);
            dbx__errsave_free(keep);
        }
        return rc;
    }
    return dbx__file_sink_commit(&fs, c, "dbx_sql_chunks_to_file");
}

/* ---- for the fuzz target ------------------------------------------------------------- */

long dbx__sql_chunk_walk(const char *json, size_t len, int ncols)
{
    char *text = dbx__strndup(json, len);
    if (!text)
        return -1;
    dbx__jdoc doc;
    if (dbx__jdoc_parse(&doc, text, len, 1, NULL) != DBX_OK) {
        dbx__free(text);
        return -1;
    }
    dbx__jv root = dbx__jdoc_root(&doc);
    dbx__jv rows = dbx__jv_is_object(root) ? dbx__jv_get(root, "data_array") : root;
    long n = 0;
    dbx__jit ri;
    dbx__jv row;
    dbx__jv_iter(rows, &ri);
    while (n >= 0 && dbx__jit_next(&ri, &row, NULL)) {
        if (dbx__jv_type(row) != DBX__J_ARRAY) {
            n = -1;
            break;
        }
        dbx__jit ci;
        dbx__jv v;
        int k = 0;
        dbx__jv_iter(row, &ci);
        while (k < ncols && dbx__jit_next(&ci, &v, NULL)) {
            k++;
            if (dbx__jv_type(v) != DBX__J_STRING)
                continue;
            const char *s = dbx__jv_str(v, "");
            size_t sl = dbx__jv_strlen(v);
            int64_t i64;
            double d;
            int b;
            (void)parse_i64(s, sl, &i64);
            (void)parse_double(s, sl, &d);
            (void)parse_bool(s, sl, &b);
            if (strlen(s) == sl)
                (void)dbx__sql_parse_time(s, &i64);
        }
        n++;
    }
    dbx__jdoc_dispose(&doc);
    return n;
}
