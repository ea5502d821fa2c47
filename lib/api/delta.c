/* libdbx: Delta table helpers (include/dbx/delta.h), thin SQL over
 * dbx_sql_run and the Files API. Every piece of caller text reaches a
 * statement through delta_sql.c (names, types, literals); values are
 * named parameters. */
#include <math.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "delta_internal.h"
#include "dbx/delta.h"
#include "dbx/files.h"
#include "dbx/sql.h"

#define DEFAULT_BATCH_ROWS 500
#define DEFAULT_STATEMENT_BYTES (1L << 20)
#define MIN_STATEMENT_BYTES 4096L
#define MAX_STATEMENT_BYTES (16L << 20)
#define MAX_PATH_BYTES 4096
#define MAX_HISTORY 100000
#define MAX_TEXT_BYTES (1L << 20) /* comments, property values, options */

/* ---- common ------------------------------------------------------------------------ */

static const dbx_delta_options default_opts = DBX_DELTA_OPTIONS_INIT;

void dbx_delta_options_init(dbx_delta_options *o)
{
    if (o) {
        dbx_delta_options d = DBX_DELTA_OPTIONS_INIT;
        *o = d;
    }
}

void dbx_delta_load_options_init(dbx_delta_load_options *o)
{
    if (o) {
        dbx_delta_load_options d = DBX_DELTA_LOAD_OPTIONS_INIT;
        *o = d;
    }
}

void dbx_delta_read_options_init(dbx_delta_read_options *o)
{
    if (o) {
        dbx_delta_read_options d = DBX_DELTA_READ_OPTIONS_INIT;
        *o = d;
    }
}

/* Check a table name and append it quoted. */
static dbx_status put_table(const void *owner, dbx__buf *b, const char *fn, const char *arg, const char *name)
{
    if (dbx__empty(name))
        return dbx__fail(owner, DBX_EINVAL, "%s: %s is required", fn, arg);
    dbx__delta_name n;
    const char *why = NULL;
    size_t at = 0;
    int rc = dbx__delta_name_parse(&n, name, strlen(name), DBX__DELTA_MAX_PARTS, &why, &at);
    if (rc == -2)
        return dbx__fail(owner, DBX_ENOMEM, "%s: out of memory", fn);
    if (rc != 0)
        return dbx__fail(owner, DBX_EINVAL, "%s: %s is not a valid table name: %s (at byte %zu)", fn, arg, why, at);
    rc = dbx__delta_put_name(b, &n);
    dbx__delta_name_dispose(&n);
    return rc ? dbx__fail(owner, DBX_ENOMEM, "%s: out of memory", fn) : DBX_OK;
}

/* Check a raw column name. */
static dbx_status check_column(const void *owner, const char *fn, const char *arg, size_t idx, const char *col)
{
    if (!col)
        return dbx__fail(owner, DBX_EINVAL, "%s: %s[%zu] is NULL", fn, arg, idx);
    const char *why = dbx__delta_part_problem(col, strlen(col));
    if (why)
        return dbx__fail(owner, DBX_EINVAL, "%s: %s[%zu] is not a valid column name: %s", fn, arg, idx, why);
    return DBX_OK;
}

static void put_col(dbx__buf *b, const char *col)
{
    dbx__delta_put_part(b, col, strlen(col));
}

/* Text that becomes a literal: valid UTF-8, bounded. */
static dbx_status check_text(const void *owner, const char *fn, const char *arg, const char *s)
{
    if (!s)
        return dbx__fail(owner, DBX_EINVAL, "%s: %s is NULL", fn, arg);
    if (!dbx__utf8_valid(s))
        return dbx__fail(owner, DBX_EINVAL, "%s: %s is not valid UTF-8", fn, arg);
    if (strlen(s) > (size_t)MAX_TEXT_BYTES)
        return dbx__fail(owner, DBX_EINVAL, "%s: %s is longer than %ld bytes", fn, arg, MAX_TEXT_BYTES);
    return DBX_OK;
}

static void put_lit(dbx__buf *b, const char *s)
{
    dbx__delta_put_literal(b, s, strlen(s));
}

/* The buffer's text, or NULL when an allocation failed on the way
 * (dbx__buf_detach alone would hand back "" after a failed first write). */
static char *detach(dbx__buf *b)
{
    if (b->oom) {
        dbx__buf_dispose(b);
        return NULL;
    }
    return dbx__buf_detach(b);
}

/* The thread's error record, kept across a clean-up call that would
 * clear it (deleting a staged file after COPY INTO failed). */
typedef struct saved_error {
    dbx_status st;
    int http, transport, attempts;
    long retry_after;
    char *message, *code, *request_id, *method, *path;
} saved_error;

static void error_save(saved_error *s)
{
    const dbx_error *e = dbx__error_current();
    s->st = (dbx_status)e->status;
    s->http = e->http_status;
    s->transport = e->transport_code;
    s->attempts = e->attempts;
    s->retry_after = e->retry_after_ms;
    s->message = dbx__strdup(e->message ? e->message : "");
    s->code = dbx__strdup(e->error_code ? e->error_code : "");
    s->request_id = dbx__strdup(e->request_id ? e->request_id : "");
    s->method = dbx__strdup(e->method ? e->method : "");
    s->path = dbx__strdup(e->path ? e->path : "");
}

static dbx_status error_restore(const void *owner, saved_error *s, dbx_status st)
{
    dbx__fail(owner, st, "%s", s->message ? s->message : "(out of memory)");
    if (s->method && *s->method)
        dbx__error_set_request(s->method, s->path ? s->path : "");
    if (s->http)
        dbx__error_set_http(s->http, s->code ? s->code : "", s->request_id ? s->request_id : "");
    if (s->transport)
        dbx__error_set_transport(s->transport);
    dbx__error_set_attempts(s->attempts, s->retry_after);
    dbx__free(s->message);
    dbx__free(s->code);
    dbx__free(s->request_id);
    dbx__free(s->method);
    dbx__free(s->path);
    return st;
}

/* Run one statement to its end. DBX_OK with *out (SUCCEEDED; NULL to
 * discard it), or the error of dbx_sql_run (the statement freed). */
static dbx_status run_sql(dbx_sql_statement **out, dbx_client *c, const char *wh, const char *sql,
                          const dbx_sql_params *params, const dbx_delta_options *o,
                          const dbx_sql_execute_options *base)
{
    dbx_sql_execute_options eo = DBX_SQL_EXECUTE_OPTIONS_INIT;
    if (base)
        eo = *base;
    eo.version = DBX_SQL_EXECUTE_OPTIONS_VERSION;
    if (o->catalog)
        eo.catalog = o->catalog;
    if (o->schema)
        eo.schema = o->schema;
    dbx_sql_statement *st = NULL;
    dbx_status rc = dbx_sql_run(&st, c, wh, sql, params, &eo, o->wait);
    if ((rc == DBX_ETIMEOUT || rc == DBX_ECANCELLED) && st && o->cancel_on_wait_end &&
        *dbx_sql_statement_id(st)) {
        saved_error e;
        error_save(&e);
        (void)dbx_sql_cancel(c, dbx_sql_statement_id(st)); /* best effort: the wait's error wins */
        rc = error_restore(c, &e, rc);
    }
    if (rc != DBX_OK) {
        dbx_sql_statement_free(st);
        if (out)
            *out = NULL;
        return rc;
    }
    if (out)
        *out = st;
    else
        dbx_sql_statement_free(st);
    return DBX_OK;
}

/* The integer of column `name` in the first row of a SUCCEEDED statement's
 * result, or -1 when there is none. Errors of reading the rows are errors. */
static dbx_status first_row_int(int64_t *out, dbx_client *c, const dbx_sql_statement *st, const char *name)
{
    *out = -1;
    if (!dbx_sql_statement_has_manifest(st) || dbx_sql_statement_column_index(st, name) < 0)
        return DBX_OK;
    dbx_sql_rows *rows = NULL;
    dbx_status rc = dbx_sql_rows_open(&rows, c, st, NULL);
    if (rc != DBX_OK)
        return rc;
    rc = dbx_sql_rows_next(rows);
    if (rc == DBX_OK) {
        int col = dbx_sql_rows_column_index(rows, name);
        int64_t v = -1;
        if (col >= 0 && dbx_sql_rows_is_null(rows, col) == 0 && dbx_sql_rows_int64(&v, rows, col) == DBX_OK)
            *out = v;
    }
    dbx_sql_rows_free(rows);
    return rc == DBX_DONE || rc == DBX_OK ? DBX_OK : rc;
}

static const dbx_delta_options *opts_or_default(const dbx_delta_options *o)
{
    return o ? o : &default_opts;
}

/* Common entry checks of the statement-running calls. */
#define DELTA_ENTER(c, wh, table)                                                          \
    do {                                                                                   \
        DBX__ENTER(c);                                                                     \
        DBX__REQUIRE_STR(c, wh);                                                           \
        DBX__REQUIRE_STR(c, table);                                                        \
    } while (0)

static dbx_status check_opts(dbx_client *c, const char *fn, const dbx_delta_options *o)
{
    if (!o)
        return DBX_OK;
    if (o->version < 1)
        return dbx__fail(c, DBX_EINVAL, "%s: opts->version is 0 (initialise with DBX_DELTA_OPTIONS_INIT)", fn);
    if (o->catalog && (!*o->catalog || !dbx__utf8_valid(o->catalog)))
        return dbx__fail(c, DBX_EINVAL, "%s: opts->catalog is empty or not valid UTF-8", fn);
    if (o->schema && (!*o->schema || !dbx__utf8_valid(o->schema)))
        return dbx__fail(c, DBX_EINVAL, "%s: opts->schema is empty or not valid UTF-8", fn);
    if (o->batch_rows < 0)
        return dbx__fail(c, DBX_EINVAL, "%s: opts->batch_rows is negative", fn);
    if (o->max_statement_bytes != 0 &&
        (o->max_statement_bytes < MIN_STATEMENT_BYTES || o->max_statement_bytes > MAX_STATEMENT_BYTES))
        return dbx__fail(c, DBX_EINVAL, "%s: opts->max_statement_bytes must be 0 or %ld..%ld", fn,
                         MIN_STATEMENT_BYTES, MAX_STATEMENT_BYTES);
    return DBX_OK;
}

/* ---- quoting (public) ------------------------------------------------------------------ */

dbx_status dbx_delta_quote_name(char **out, const char *name)
{
    dbx__error_clear(NULL);
    if (!out)
        return dbx__fail(NULL, DBX_EINVAL, "%s: out is NULL", __func__);
    *out = NULL;
    dbx__buf b = DBX__BUF_INIT;
    dbx_status rc = put_table(NULL, &b, __func__, "name", name);
    if (rc != DBX_OK) {
        dbx__buf_dispose(&b);
        return rc;
    }
    *out = detach(&b);
    return *out ? DBX_OK : dbx__fail(NULL, DBX_ENOMEM, "%s: out of memory", __func__);
}

dbx_status dbx_delta_quote_column(char **out, const char *column)
{
    dbx__error_clear(NULL);
    if (!out)
        return dbx__fail(NULL, DBX_EINVAL, "%s: out is NULL", __func__);
    *out = NULL;
    if (!column)
        return dbx__fail(NULL, DBX_EINVAL, "%s: column is NULL", __func__);
    const char *why = dbx__delta_part_problem(column, strlen(column));
    if (why)
        return dbx__fail(NULL, DBX_EINVAL, "%s: column is not a valid column name: %s", __func__, why);
    dbx__buf b = DBX__BUF_INIT;
    put_col(&b, column);
    *out = detach(&b);
    return *out ? DBX_OK : dbx__fail(NULL, DBX_ENOMEM, "%s: out of memory", __func__);
}

dbx_status dbx_delta_quote_literal(char **out, const char *text)
{
    dbx__error_clear(NULL);
    if (!out)
        return dbx__fail(NULL, DBX_EINVAL, "%s: out is NULL", __func__);
    *out = NULL;
    dbx_status rc = check_text(NULL, __func__, "text", text);
    if (rc != DBX_OK)
        return rc;
    dbx__buf b = DBX__BUF_INIT;
    put_lit(&b, text);
    *out = detach(&b);
    return *out ? DBX_OK : dbx__fail(NULL, DBX_ENOMEM, "%s: out of memory", __func__);
}

/* ---- table spec -------------------------------------------------------------------- */

typedef dbx__delta_coldef spec_column;

struct dbx_delta_table_spec {
    spec_column *cols;
    size_t n_cols, cap_cols;
    char **parts; /* partition columns */
    size_t n_parts, cap_parts;
    char **props; /* key, value, key, value ... */
    size_t n_props, cap_props; /* n_props counts strings (2 per entry) */
    char *comment;
    int if_not_exists;
};

dbx_status dbx_delta_table_spec_new(dbx_delta_table_spec **out)
{
    dbx__error_clear(NULL);
    if (!out)
        return dbx__fail(NULL, DBX_EINVAL, "%s: out is NULL", __func__);
    *out = dbx__calloc(1, sizeof **out);
    return *out ? DBX_OK : dbx__fail(NULL, DBX_ENOMEM, "%s: out of memory", __func__);
}

void dbx_delta_table_spec_free(dbx_delta_table_spec *spec)
{
    if (!spec)
        return;
    for (size_t i = 0; i < spec->n_cols; i++) {
        dbx__free(spec->cols[i].name);
        dbx__free(spec->cols[i].comment);
    }
    for (size_t i = 0; i < spec->n_parts; i++)
        dbx__free(spec->parts[i]);
    for (size_t i = 0; i < spec->n_props; i++)
        dbx__free(spec->props[i]);
    dbx__free(spec->cols);
    dbx__free(spec->parts);
    dbx__free(spec->props);
    dbx__free(spec->comment);
    dbx__free(spec);
}

static int grow(void **arr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    void *n = dbx__array_grow(*arr, NULL, *cap, cap, need, elem);
    if (!n)
        return -1;
    *arr = n;
    return 0;
}

dbx_status dbx_delta_table_spec_add_column(dbx_delta_table_spec *spec, const char *name, const char *type,
                                           int not_null, const char *comment)
{
    dbx__error_clear(NULL);
    if (!spec)
        return dbx__fail(NULL, DBX_EINVAL, "%s: spec is NULL", __func__);
    if (!name)
        return dbx__fail(NULL, DBX_EINVAL, "%s: name is NULL", __func__);
    const char *why = dbx__delta_part_problem(name, strlen(name));
    if (why)
        return dbx__fail(NULL, DBX_EINVAL, "%s: name is not a valid column name: %s", __func__, why);
    for (size_t i = 0; i < spec->n_cols; i++)
        if (!strcmp(spec->cols[i].name, name))
            return dbx__fail(NULL, DBX_EINVAL, "%s: name: column added twice", __func__);
    if (spec->n_cols >= DBX__DELTA_MAX_COLUMNS)
        return dbx__fail(NULL, DBX_EINVAL, "%s: more than %d columns", __func__, DBX__DELTA_MAX_COLUMNS);
    if (comment) {
        dbx_status rc = check_text(NULL, __func__, "comment", comment);
        if (rc != DBX_OK)
            return rc;
    }
    spec_column col;
    memset(&col, 0, sizeof col);
    dbx__buf t;
    dbx__buf_init_fixed(&t, col.type, sizeof col.type);
    int trc = dbx__delta_type_canon(&t, type, &why);
    if (trc == -1)
        return dbx__fail(NULL, DBX_EINVAL, "%s: type is %s", __func__, why);
    if (trc != 0 || t.ptr != col.type) { /* the canonical spelling always fits */
        dbx__buf_dispose(&t);
        return dbx__fail(NULL, DBX_ENOMEM, "%s: out of memory", __func__);
    }
    col.not_null = not_null ? 1 : 0;
    col.name = dbx__strdup(name);
    col.comment = comment ? dbx__strdup(comment) : NULL;
    if (!col.name || (comment && !col.comment) ||
        grow((void **)&spec->cols, &spec->cap_cols, spec->n_cols + 1, sizeof *spec->cols)) {
        dbx__free(col.name);
        dbx__free(col.comment);
        return dbx__fail(NULL, DBX_ENOMEM, "%s: out of memory", __func__);
    }
    spec->cols[spec->n_cols++] = col;
    return DBX_OK;
}

dbx_status dbx_delta_table_spec_add_columns(dbx_delta_table_spec *spec, const char *columns)
{
    dbx__error_clear(NULL);
    if (!spec)
        return dbx__fail(NULL, DBX_EINVAL, "%s: spec is NULL", __func__);
    if (!columns)
        return dbx__fail(NULL, DBX_EINVAL, "%s: columns is NULL", __func__);
    size_t len = strlen(columns);
    if (len > (size_t)MAX_TEXT_BYTES)
        return dbx__fail(NULL, DBX_EINVAL, "%s: columns is longer than %ld bytes", __func__, MAX_TEXT_BYTES);
    dbx__delta_coldef *defs = NULL;
    size_t n = 0, at = 0;
    const char *why = NULL;
    int prc = dbx__delta_coldefs_parse(&defs, &n, columns, len, &why, &at);
    if (prc == -2)
        return dbx__fail(NULL, DBX_ENOMEM, "%s: out of memory", __func__);
    if (prc != 0)
        return dbx__fail(NULL, DBX_EINVAL, "%s: columns: %s (at byte %zu)", __func__, why, at);
    /* all or nothing: duplicates (with the spec and within the text) first */
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < spec->n_cols; j++)
            if (!strcmp(defs[i].name, spec->cols[j].name)) {
                dbx__delta_coldefs_free(defs, n);
                return dbx__fail(NULL, DBX_EINVAL, "%s: columns: column %zu is already in the spec", __func__, i);
            }
        for (size_t j = 0; j < i; j++)
            if (!strcmp(defs[i].name, defs[j].name)) {
                dbx__delta_coldefs_free(defs, n);
                return dbx__fail(NULL, DBX_EINVAL, "%s: columns: column %zu repeats column %zu", __func__, i, j);
            }
    }
    if (spec->n_cols + n > DBX__DELTA_MAX_COLUMNS ||
        grow((void **)&spec->cols, &spec->cap_cols, spec->n_cols + n, sizeof *spec->cols)) {
        dbx__delta_coldefs_free(defs, n);
        return dbx__fail(NULL, spec->n_cols + n > DBX__DELTA_MAX_COLUMNS ? DBX_EINVAL : DBX_ENOMEM,
                         "%s: too many columns or out of memory", __func__);
    }
    memcpy(spec->cols + spec->n_cols, defs, n * sizeof *defs);
    spec->n_cols += n;
    dbx__free(defs); /* the strings moved to the spec */
    return DBX_OK;
}

dbx_status dbx_delta_table_spec_add_partition_column(dbx_delta_table_spec *spec, const char *name)
{
    dbx__error_clear(NULL);
    if (!spec)
        return dbx__fail(NULL, DBX_EINVAL, "%s: spec is NULL", __func__);
    if (!name)
        return dbx__fail(NULL, DBX_EINVAL, "%s: name is NULL", __func__);
    const char *why = dbx__delta_part_problem(name, strlen(name));
    if (why)
        return dbx__fail(NULL, DBX_EINVAL, "%s: name is not a valid column name: %s", __func__, why);
    for (size_t i = 0; i < spec->n_parts; i++)
        if (!strcmp(spec->parts[i], name))
            return dbx__fail(NULL, DBX_EINVAL, "%s: name: partition column added twice", __func__);
    char *copy = dbx__strdup(name);
    if (!copy || grow((void **)&spec->parts, &spec->cap_parts, spec->n_parts + 1, sizeof *spec->parts)) {
        dbx__free(copy);
        return dbx__fail(NULL, DBX_ENOMEM, "%s: out of memory", __func__);
    }
    spec->parts[spec->n_parts++] = copy;
    return DBX_OK;
}

dbx_status dbx_delta_table_spec_set_comment(dbx_delta_table_spec *spec, const char *comment)
{
    dbx__error_clear(NULL);
    if (!spec)
        return dbx__fail(NULL, DBX_EINVAL, "%s: spec is NULL", __func__);
    char *copy = NULL;
    if (comment) {
        dbx_status rc = check_text(NULL, __func__, "comment", comment);
        if (rc != DBX_OK)
            return rc;
        if (!(copy = dbx__strdup(comment)))
            return dbx__fail(NULL, DBX_ENOMEM, "%s: out of memory", __func__);
    }
    dbx__free(spec->comment);
    spec->comment = copy;
    return DBX_OK;
}

dbx_status dbx_delta_table_spec_set_property(dbx_delta_table_spec *spec, const char *key, const char *value)
{
    dbx__error_clear(NULL);
    if (!spec)
        return dbx__fail(NULL, DBX_EINVAL, "%s: spec is NULL", __func__);
    if (dbx__empty(key))
        return dbx__fail(NULL, DBX_EINVAL, "%s: key is required", __func__);
    dbx_status rc = check_text(NULL, __func__, "key", key);
    if (rc == DBX_OK)
        rc = check_text(NULL, __func__, "value", value);
    if (rc != DBX_OK)
        return rc;
    char *v = dbx__strdup(value);
    if (!v)
        return dbx__fail(NULL, DBX_ENOMEM, "%s: out of memory", __func__);
    for (size_t i = 0; i < spec->n_props; i += 2) {
        if (!strcmp(spec->props[i], key)) {
            dbx__free(spec->props[i + 1]);
            spec->props[i + 1] = v;
            return DBX_OK;
        }
    }
    char *k = dbx__strdup(key);
    if (!k || grow((void **)&spec->props, &spec->cap_props, spec->n_props + 2, sizeof *spec->props)) {
        dbx__free(k);
        dbx__free(v);
        return dbx__fail(NULL, DBX_ENOMEM, "%s: out of memory", __func__);
    }
    spec->props[spec->n_props++] = k;
    spec->props[spec->n_props++] = v;
    return DBX_OK;
}

dbx_status dbx_delta_table_spec_set_if_not_exists(dbx_delta_table_spec *spec, int if_not_exists)
{
    dbx__error_clear(NULL);
    if (!spec)
        return dbx__fail(NULL, DBX_EINVAL, "%s: spec is NULL", __func__);
    spec->if_not_exists = if_not_exists ? 1 : 0;
    return DBX_OK;
}

static dbx_status spec_sql(const void *owner, const char *fn, dbx__buf *b, const dbx_delta_table_spec *spec,
                           const char *table)
{
    if (!spec)
        return dbx__fail(owner, DBX_EINVAL, "%s: spec is NULL", fn);
    if (!spec->n_cols)
        return dbx__fail(owner, DBX_EINVAL, "%s: spec has no column", fn);
    for (size_t i = 0; i < spec->n_parts; i++) {
        size_t j = 0;
        while (j < spec->n_cols && strcmp(spec->cols[j].name, spec->parts[i]) != 0)
            j++;
        if (j == spec->n_cols)
            return dbx__fail(owner, DBX_EINVAL, "%s: spec: partition column %zu is not a column of the spec", fn, i);
    }
    dbx__buf_puts(b, spec->if_not_exists ? "CREATE TABLE IF NOT EXISTS " : "CREATE TABLE ");
    dbx_status rc = put_table(owner, b, fn, "table", table);
    if (rc != DBX_OK)
        return rc;
    dbx__buf_puts(b, " (");
    for (size_t i = 0; i < spec->n_cols; i++) {
        if (i)
            dbx__buf_puts(b, ", ");
        dbx__delta_put_coldef(b, &spec->cols[i]);
    }
    dbx__buf_puts(b, ") USING DELTA");
    if (spec->n_parts) {
        dbx__buf_puts(b, " PARTITIONED BY (");
        for (size_t i = 0; i < spec->n_parts; i++) {
            if (i)
                dbx__buf_puts(b, ", ");
            put_col(b, spec->parts[i]);
        }
        dbx__buf_putc(b, ')');
    }
    if (spec->comment) {
        dbx__buf_puts(b, " COMMENT ");
        put_lit(b, spec->comment);
    }
    if (spec->n_props) {
        dbx__buf_puts(b, " TBLPROPERTIES (");
        for (size_t i = 0; i < spec->n_props; i += 2) {
            if (i)
                dbx__buf_puts(b, ", ");
            put_lit(b, spec->props[i]);
            dbx__buf_puts(b, " = ");
            put_lit(b, spec->props[i + 1]);
        }
        dbx__buf_putc(b, ')');
    }
    return b->oom ? dbx__fail(owner, DBX_ENOMEM, "%s: out of memory", fn) : DBX_OK;
}

dbx_status dbx_delta_table_spec_to_sql(char **out, const dbx_delta_table_spec *spec, const char *table)
{
    dbx__error_clear(NULL);
    if (!out)
        return dbx__fail(NULL, DBX_EINVAL, "%s: out is NULL", __func__);
    *out = NULL;
    dbx__buf b = DBX__BUF_INIT;
    dbx_status rc = spec_sql(NULL, __func__, &b, spec, table);
    if (rc != DBX_OK) {
        dbx__buf_dispose(&b);
        return rc;
    }
    *out = detach(&b);
    return *out ? DBX_OK : dbx__fail(NULL, DBX_ENOMEM, "%s: out of memory", __func__);
}

dbx_status dbx_delta_create_table(dbx_client *c, const char *warehouse_id, const char *table,
                                  const dbx_delta_table_spec *spec, const dbx_delta_options *opts)
{
    DELTA_ENTER(c, warehouse_id, table);
    DBX__REQUIRE_PTR(c, spec);
    dbx_status rc = check_opts(c, __func__, opts);
    if (rc != DBX_OK)
        return rc;
    dbx__buf sql = DBX__BUF_INIT;
    rc = spec_sql(c, __func__, &sql, spec, table);
    if (rc == DBX_OK)
        rc = run_sql(NULL, c, warehouse_id, sql.ptr, NULL, opts_or_default(opts), NULL);
    dbx__buf_dispose(&sql);
    return rc;
}

/* ---- bulk load ----------------------------------------------------------------------- */

/* "/Volumes/<c>/<s>/<v>[/dir...]": absolute, at least the three names,
 * no empty, "." or ".." segment, no control character, valid UTF-8,
 * bounded. A trailing '/' is allowed (dropped). */
static dbx_status check_volume_dir(dbx_client *c, const char *fn, const char *dir, size_t *keep)
{
    size_t len = strlen(dir);
    if (len > MAX_PATH_BYTES - 64)
        return dbx__fail(c, DBX_EINVAL, "%s: volume_dir is longer than %d bytes", fn, MAX_PATH_BYTES - 64);
    if (strncmp(dir, "/Volumes/", 9) != 0)
        return dbx__fail(c, DBX_EINVAL, "%s: volume_dir must start with /Volumes/<catalog>/<schema>/<volume>", fn);
    if (len > 1 && dir[len - 1] == '/')
        len--;
    int segs = 0;
    size_t i = 1;
    while (i < len) {
        size_t j = i;
        while (j < len && dir[j] != '/') {
            if ((unsigned char)dir[j] < 0x20 || dir[j] == 0x7F)
                return dbx__fail(c, DBX_EINVAL, "%s: volume_dir holds a control character", fn);
            /* COPY INTO reads its FROM path as a Hadoop path: glob
             * characters would widen it to other files, '%' and '#'
             * may be decoded or cut as URI parts. */
            if (strchr("*?[]{}\\%#", dir[j]))
                return dbx__fail(c, DBX_EINVAL, "%s: volume_dir holds '%c' (glob and URI characters are refused)", fn,
                                 dir[j]);
            j++;
        }
        size_t n = j - i;
        if (n == 0 || (n == 1 && dir[i] == '.') || (n == 2 && dir[i] == '.' && dir[i + 1] == '.'))
            return dbx__fail(c, DBX_EINVAL, "%s: volume_dir has an empty, '.' or '..' segment", fn);
        segs++;
        i = j + 1;
    }
    if (segs < 4)
        return dbx__fail(c, DBX_EINVAL, "%s: volume_dir must name a volume: /Volumes/<catalog>/<schema>/<volume>", fn);
    *keep = len;
    return DBX_OK;
}

static dbx_status check_kvs(dbx_client *c, const char *fn, const char *arg, const dbx_delta_kv *kv, size_t n)
{
    if (n && !kv)
        return dbx__fail(c, DBX_EINVAL, "%s: %s is NULL with a count of %zu", fn, arg, n);
    for (size_t i = 0; i < n; i++) {
        if (dbx__empty(kv[i].key))
            return dbx__fail(c, DBX_EINVAL, "%s: %s[%zu].key is required", fn, arg, i);
        if (!dbx__utf8_valid(kv[i].key) || strlen(kv[i].key) > 1024)
            return dbx__fail(c, DBX_EINVAL, "%s: %s[%zu].key is not valid UTF-8 or too long", fn, arg, i);
        dbx_status rc = check_text(c, fn, "value", kv[i].value);
        if (rc != DBX_OK)
            return dbx__fail(c, DBX_EINVAL, "%s: %s[%zu].value is NULL, not valid UTF-8 or too long", fn, arg, i);
    }
    return DBX_OK;
}

static void put_kvs(dbx__buf *b, const char *what, const dbx_delta_kv *kv, size_t n)
{
    if (!n)
        return;
    dbx__buf_printf(b, " %s (", what);
    for (size_t i = 0; i < n; i++) {
        if (i)
            dbx__buf_puts(b, ", ");
        put_lit(b, kv[i].key);
        dbx__buf_puts(b, " = ");
        put_lit(b, kv[i].value);
    }
    dbx__buf_putc(b, ')');
}

dbx_status dbx_delta_load_file(int64_t *rows_loaded, char **staged_path, dbx_client *c, const char *warehouse_id,
                               const char *table, const char *local_path, const char *volume_dir,
                               const dbx_delta_load_options *load, const dbx_delta_options *opts)
{
    if (rows_loaded)
        *rows_loaded = -1;
    if (staged_path)
        *staged_path = NULL;
    DELTA_ENTER(c, warehouse_id, table);
    DBX__REQUIRE_STR(c, local_path);
    DBX__REQUIRE_STR(c, volume_dir);
    dbx_status rc = check_opts(c, __func__, opts);
    if (rc != DBX_OK)
        return rc;
    static const dbx_delta_load_options dflt = DBX_DELTA_LOAD_OPTIONS_INIT;
    if (!load)
        load = &dflt;
    if (load->version < 1)
        return dbx__fail(c, DBX_EINVAL, "%s: load->version is 0 (initialise with DBX_DELTA_LOAD_OPTIONS_INIT)", __func__);
    const char *fmt, *ext;
    switch (load->format ? load->format : DBX_DELTA_FORMAT_CSV) {
    case DBX_DELTA_FORMAT_CSV: fmt = "CSV", ext = "csv"; break;
    case DBX_DELTA_FORMAT_JSON: fmt = "JSON", ext = "json"; break;
    case DBX_DELTA_FORMAT_PARQUET: fmt = "PARQUET", ext = "parquet"; break;
    default: return dbx__fail(c, DBX_EINVAL, "%s: load->format is not CSV, JSON or PARQUET", __func__);
    }
    size_t dir_len = 0;
    if ((rc = check_volume_dir(c, __func__, volume_dir, &dir_len)) != DBX_OK ||
        (rc = check_kvs(c, __func__, "load->format_options", load->format_options, load->n_format_options)) != DBX_OK ||
        (rc = check_kvs(c, __func__, "load->copy_options", load->copy_options, load->n_copy_options)) != DBX_OK)
        return rc;

    dbx__buf sql = DBX__BUF_INIT, path = DBX__BUF_INIT;
    dbx__buf_puts(&sql, "COPY INTO ");
    if ((rc = put_table(c, &sql, __func__, "table", table)) != DBX_OK)
        goto done;
    unsigned char r[8];
    if (RAND_bytes(r, (int)sizeof r) != 1) {
        rc = dbx__fail(c, DBX_ERROR, "%s: no random bytes for the staged file's name", __func__);
        goto done;
    }
    dbx__buf_put(&path, volume_dir, dir_len);
    dbx__buf_puts(&path, "/dbx-load-");
    for (size_t i = 0; i < sizeof r; i++)
        dbx__buf_printf(&path, "%02x", r[i]);
    dbx__buf_printf(&path, ".%s", ext);
    dbx__buf_puts(&sql, " FROM ");
    put_lit(&sql, path.ptr ? path.ptr : "");
    dbx__buf_printf(&sql, " FILEFORMAT = %s", fmt);
    put_kvs(&sql, "FORMAT_OPTIONS", load->format_options, load->n_format_options);
    put_kvs(&sql, "COPY_OPTIONS", load->copy_options, load->n_copy_options);
    if (sql.oom || path.oom) {
        rc = dbx__fail(c, DBX_ENOMEM, "%s: out of memory", __func__);
        goto done;
    }

    dbx_files_upload_options up = DBX_FILES_UPLOAD_OPTIONS_INIT;
    if (load->upload)
        up = *load->upload;
    else
        up.overwrite = -1; /* a fresh random name: never replace a file */
    rc = dbx_files_upload_file(c, path.ptr, local_path, &up);
    if (rc != DBX_OK)
        goto done;
    if (staged_path && !(*staged_path = dbx__strdup(path.ptr))) {
        rc = dbx__fail(c, DBX_ENOMEM, "%s: out of memory", __func__);
    } else {
        dbx_sql_statement *st = NULL;
        rc = run_sql(&st, c, warehouse_id, sql.ptr, NULL, opts_or_default(opts), NULL);
        if (rc == DBX_OK) {
            int64_t n = -1;
            rc = first_row_int(&n, c, st, "num_affected_rows");
            if (rows_loaded)
                *rows_loaded = n;
        }
        dbx_sql_statement_free(st);
    }
    if (!load->keep_staged_file) {
        if (rc == DBX_OK) {
            /* The rows are in the table: a file left behind must not fail
             * the call (a caller retrying would load the rows twice). */
            if (dbx_files_delete(c, path.ptr) != DBX_OK)
                dbx__log(&c->pipe.log, DBX_LOG_WARN, DBX_LOGCAT_GENERAL,
                         "%s: the rows are loaded, but the staged file could not be deleted: %s", __func__,
                         dbx_client_last_error(c)->message);
            dbx__error_clear(c);
        } else {
            saved_error e;
            error_save(&e);
            (void)dbx_files_delete(c, path.ptr); /* best effort: the first error wins */
            rc = error_restore(c, &e, rc);
        }
    }
done:
    if (rc != DBX_OK && staged_path && load->keep_staged_file == 0) {
        dbx__free(*staged_path);
        *staged_path = NULL;
    }
    dbx__buf_dispose(&sql);
    dbx__buf_dispose(&path);
    return rc;
}

/* ---- row sets ------------------------------------------------------------------------ */

typedef struct rs_value {
    char *text;    /* NULL: SQL NULL */
    char type[24]; /* canonical */
} rs_value;

struct dbx_delta_rowset {
    char **cols;
    size_t n_cols;
    size_t n_rows;  /* ended rows */
    size_t open;    /* values of the row being built */
    rs_value *vals; /* n_rows * n_cols + open */
    size_t cap_vals;
};

dbx_status dbx_delta_rowset_new(dbx_delta_rowset **out, const char *const *columns, size_t n_columns)
{
    dbx__error_clear(NULL);
    if (!out)
        return dbx__fail(NULL, DBX_EINVAL, "%s: out is NULL", __func__);
    *out = NULL;
    if (!columns || n_columns == 0)
        return dbx__fail(NULL, DBX_EINVAL, "%s: columns is required (n_columns >= 1)", __func__);
    if (n_columns > 4096)
        return dbx__fail(NULL, DBX_EINVAL, "%s: n_columns is above 4096", __func__);
    for (size_t i = 0; i < n_columns; i++) {
        dbx_status rc = check_column(NULL, __func__, "columns", i, columns[i]);
        if (rc != DBX_OK)
            return rc;
        for (size_t j = 0; j < i; j++)
            if (!strcmp(columns[i], columns[j]))
                return dbx__fail(NULL, DBX_EINVAL, "%s: columns[%zu] repeats columns[%zu]", __func__, i, j);
    }
    dbx_delta_rowset *rs = dbx__calloc(1, sizeof *rs);
    if (!rs || !(rs->cols = dbx__calloc(n_columns, sizeof *rs->cols))) {
        dbx__free(rs);
        return dbx__fail(NULL, DBX_ENOMEM, "%s: out of memory", __func__);
    }
    rs->n_cols = n_columns;
    for (size_t i = 0; i < n_columns; i++) {
        if (!(rs->cols[i] = dbx__strdup(columns[i]))) {
            dbx_delta_rowset_free(rs);
            return dbx__fail(NULL, DBX_ENOMEM, "%s: out of memory", __func__);
        }
    }
    *out = rs;
    return DBX_OK;
}

void dbx_delta_rowset_clear(dbx_delta_rowset *rows)
{
    if (!rows)
        return;
    size_t n = rows->n_rows * rows->n_cols + rows->open;
    for (size_t i = 0; i < n; i++)
        dbx__free(rows->vals[i].text);
    rows->n_rows = 0;
    rows->open = 0;
}

void dbx_delta_rowset_free(dbx_delta_rowset *rows)
{
    if (!rows)
        return;
    dbx_delta_rowset_clear(rows);
    for (size_t i = 0; i < rows->n_cols; i++)
        dbx__free(rows->cols[i]);
    dbx__free(rows->cols);
    dbx__free(rows->vals);
    dbx__free(rows);
}

size_t dbx_delta_rowset_count(const dbx_delta_rowset *rows)
{
    return rows ? rows->n_rows : 0;
}

/* Add one value (copied) of canonical `type` to the open row. */
static dbx_status rs_add(dbx_delta_rowset *rows, const char *fn, const char *text, const char *type)
{
    if (!rows)
        return dbx__fail(NULL, DBX_EINVAL, "%s: rows is NULL", fn);
    if (rows->open == rows->n_cols)
        return dbx__fail(NULL, DBX_EINVAL, "%s: the row has a value for every column (end it first)", fn);
    if (text && !dbx__utf8_valid(text))
        return dbx__fail(NULL, DBX_EINVAL, "%s: value is not valid UTF-8", fn);
    size_t at = rows->n_rows * rows->n_cols + rows->open;
    if (grow((void **)&rows->vals, &rows->cap_vals, at + 1, sizeof *rows->vals))
        return dbx__fail(NULL, DBX_ENOMEM, "%s: out of memory", fn);
    char *copy = NULL;
    if (text && !(copy = dbx__strdup(text)))
        return dbx__fail(NULL, DBX_ENOMEM, "%s: out of memory", fn);
    rows->vals[at].text = copy;
    snprintf(rows->vals[at].type, sizeof rows->vals[at].type, "%s", type);
    rows->open++;
    return DBX_OK;
}

/* An untyped NULL (type ""): sent with the type of the column's other
 * values in the set, else STRING. */
dbx_status dbx_delta_rowset_add_null(dbx_delta_rowset *rows)
{
    dbx__error_clear(NULL);
    return rs_add(rows, __func__, NULL, "");
}

dbx_status dbx_delta_rowset_add_string(dbx_delta_rowset *rows, const char *value)
{
    dbx__error_clear(NULL);
    return rs_add(rows, __func__, value, value ? "STRING" : "");
}

dbx_status dbx_delta_rowset_add_int64(dbx_delta_rowset *rows, int64_t value)
{
    dbx__error_clear(NULL);
    char t[32];
    snprintf(t, sizeof t, "%lld", (long long)value);
    return rs_add(rows, __func__, t, "BIGINT");
}

dbx_status dbx_delta_rowset_add_double(dbx_delta_rowset *rows, double value)
{
    dbx__error_clear(NULL);
    if (!isfinite(value))
        return dbx__fail(NULL, DBX_EINVAL, "%s: value is not finite", __func__);
    char t[40];
    snprintf(t, sizeof t, "%.17g", value);
    return rs_add(rows, __func__, t, "DOUBLE");
}

dbx_status dbx_delta_rowset_add_bool(dbx_delta_rowset *rows, int value)
{
    dbx__error_clear(NULL);
    return rs_add(rows, __func__, value ? "true" : "false", "BOOLEAN");
}

dbx_status dbx_delta_rowset_add_value(dbx_delta_rowset *rows, const char *value, const char *type)
{
    dbx__error_clear(NULL);
    char canon[24];
    dbx__buf t;
    dbx__buf_init_fixed(&t, canon, sizeof canon);
    const char *why = NULL;
    int rc = dbx__delta_type_canon(&t, type, &why);
    if (rc == -1)
        return dbx__fail(NULL, DBX_EINVAL, "%s: type is %s", __func__, why);
    if (rc != 0 || t.ptr != canon) {
        dbx__buf_dispose(&t);
        return dbx__fail(NULL, DBX_ENOMEM, "%s: out of memory", __func__);
    }
    return rs_add(rows, __func__, value, canon);
}

dbx_status dbx_delta_rowset_end_row(dbx_delta_rowset *rows)
{
    dbx__error_clear(NULL);
    if (!rows)
        return dbx__fail(NULL, DBX_EINVAL, "%s: rows is NULL", __func__);
    if (rows->open != rows->n_cols)
        return dbx__fail(NULL, DBX_EINVAL, "%s: the row has %zu values for %zu columns", __func__, rows->open,
                         rows->n_cols);
    rows->n_rows++;
    rows->open = 0;
    return DBX_OK;
}

/* ---- append and upsert ------------------------------------------------------------- */

static size_t digits_of(size_t n)
{
    size_t d = 1;
    while (n >= 10) {
        n /= 10;
        d++;
    }
    return d;
}

/* Bytes of a value as a JSON string (worst case of the escapes). */
static size_t json_len(const char *s)
{
    size_t n = 0;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        n += c == '"' || c == '\\' ? 2 : c < 0x20 ? 6 : 1;
    }
    return n;
}

/* Upper bound of what one row adds to a statement: its text
 * "(:p1, :p2), " and its parameters {"name":"p1","value":"...","type":"T"},. */
static size_t row_cost(const dbx_delta_rowset *rs, size_t r, size_t name_digits)
{
    size_t cost = 20; /* "(", "), " or " UNION ALL SELECT " */
    for (size_t j = 0; j < rs->n_cols; j++) {
        const rs_value *v = &rs->vals[r * rs->n_cols + j];
        cost += 4 + name_digits; /* ":pN, " */
        /* {"name":"pN","value":"...","type":"DECIMAL(38,38)"}, */
        cost += 40 + name_digits + 16 + (v->text ? json_len(v->text) : 0);
    }
    return cost;
}

typedef struct batch_sql {
    const char *fn;
    const char *wh;
    const dbx_delta_rowset *rs;
    const dbx_delta_options *o;
    int merge;     /* rows as SELECT :p0 AS `a`, ... UNION ALL SELECT ...; else (:p0, ...), (...) */
    dbx__buf head; /* "INSERT INTO t (cols) VALUES " or "MERGE INTO t AS t USING (" */
    dbx__buf tail; /* "" or ") AS s ON ... " */
} batch_sql;

/* The type each column's untyped NULLs are sent with: the type of the
 * column's first typed value in the set, else STRING. */
static const char **null_types(const dbx_delta_rowset *rs)
{
    const char **t = dbx__calloc(rs->n_cols, sizeof *t);
    if (!t)
        return NULL;
    size_t left = rs->n_cols;
    for (size_t r = 0; r < rs->n_rows && left; r++) {
        for (size_t j = 0; j < rs->n_cols; j++) {
            const rs_value *v = &rs->vals[r * rs->n_cols + j];
            if (!t[j] && v->type[0]) {
                t[j] = v->type;
                left--;
            }
        }
    }
    for (size_t j = 0; j < rs->n_cols; j++)
        if (!t[j])
            t[j] = "STRING";
    return t;
}

static dbx_status run_batches(int64_t *rows_done, int64_t *affected, dbx_client *c, batch_sql *b)
{
    const dbx_delta_rowset *rs = b->rs;
    size_t max_rows = b->o->batch_rows > 0 ? (size_t)b->o->batch_rows : DEFAULT_BATCH_ROWS;
    size_t max_bytes = (size_t)(b->o->max_statement_bytes > 0 ? b->o->max_statement_bytes : DEFAULT_STATEMENT_BYTES);
    size_t name_digits = digits_of(max_rows * rs->n_cols);
    size_t fixed = b->head.len + b->tail.len + 64;
    if (b->merge) /* " AS `col`" in the first row */
        for (size_t j = 0; j < rs->n_cols; j++)
            fixed += 6 + 2 * strlen(rs->cols[j]);
    /* Every row must fit alone: checked before anything is sent. */
    for (size_t r = 0; r < rs->n_rows; r++)
        if (fixed + row_cost(rs, r, name_digits) > max_bytes)
            return dbx__fail(c, DBX_EINVAL,
                             "%s: row %zu alone is larger than max_statement_bytes (%zu bytes)", b->fn, r, max_bytes);
    const char **ntypes = null_types(rs);
    dbx_sql_params *params = NULL;
    if (!ntypes || dbx_sql_params_new(&params) != DBX_OK) {
        dbx__free(ntypes);
        return dbx__fail(c, DBX_ENOMEM, "%s: out of memory", b->fn);
    }
    dbx__buf sql = DBX__BUF_INIT;
    dbx_status rc = DBX_OK;
    size_t r = 0;
    while (r < rs->n_rows && rc == DBX_OK) {
        dbx_sql_params_clear(params);
        dbx__buf_clear(&sql);
        dbx__buf_put(&sql, b->head.ptr, b->head.len);
        size_t bytes = fixed, n = 0, p = 0;
        while (r + n < rs->n_rows && n < max_rows) {
            size_t cost = row_cost(rs, r + n, name_digits);
            if (n && bytes + cost > max_bytes)
                break;
            bytes += cost;
            if (b->merge)
                dbx__buf_puts(&sql, n ? " UNION ALL SELECT " : "SELECT ");
            else
                dbx__buf_puts(&sql, n ? ", (" : "(");
            for (size_t j = 0; j < rs->n_cols && rc == DBX_OK; j++, p++) {
                const rs_value *v = &rs->vals[(r + n) * rs->n_cols + j];
                char name[32];
                snprintf(name, sizeof name, "p%zu", p);
                dbx__buf_printf(&sql, j ? ", :%s" : ":%s", name);
                if (b->merge && n == 0) {
                    dbx__buf_puts(&sql, " AS ");
                    put_col(&sql, rs->cols[j]);
                }
                rc = dbx_sql_params_add(params, name, v->text, v->type[0] ? v->type : ntypes[j]);
            }
            if (!b->merge)
                dbx__buf_putc(&sql, ')');
            n++;
            if (rc != DBX_OK)
                break;
        }
        if (rc != DBX_OK) {
            rc = dbx__fail(c, rc, "%s: building the parameters: %s", b->fn, dbx_client_last_error(NULL)->message);
            break;
        }
        dbx__buf_put(&sql, b->tail.ptr, b->tail.len);
        if (sql.oom) {
            rc = dbx__fail(c, DBX_ENOMEM, "%s: out of memory", b->fn);
            break;
        }
        dbx_sql_statement *st = NULL;
        rc = run_sql(&st, c, b->wh, sql.ptr, params, b->o, NULL);
        if (rc == DBX_OK && affected) {
            int64_t a = -1;
            rc = first_row_int(&a, c, st, "num_affected_rows");
            if (rc == DBX_OK && a >= 0)
                *affected = (*affected < 0 ? 0 : *affected) + a;
        }
        dbx_sql_statement_free(st);
        if (rc == DBX_OK) {
            r += n;
            if (rows_done)
                *rows_done = (int64_t)r;
        } else {
            dbx__error_prefix("%s: batch of rows %zu..%zu", b->fn, r, r + n - 1);
        }
    }
    dbx__buf_dispose(&sql);
    dbx_sql_params_free(params);
    dbx__free(ntypes);
    return rc;
}

static void put_col_list(dbx__buf *b, const char *prefix, const dbx_delta_rowset *rs)
{
    for (size_t j = 0; j < rs->n_cols; j++) {
        if (j)
            dbx__buf_puts(b, ", ");
        if (prefix)
            dbx__buf_puts(b, prefix);
        put_col(b, rs->cols[j]);
    }
}

dbx_status dbx_delta_append(int64_t *rows_written, dbx_client *c, const char *warehouse_id, const char *table,
                            const dbx_delta_rowset *rows, const dbx_delta_options *opts)
{
    if (rows_written)
        *rows_written = 0;
    DELTA_ENTER(c, warehouse_id, table);
    DBX__REQUIRE_PTR(c, rows);
    dbx_status rc = check_opts(c, __func__, opts);
    if (rc != DBX_OK)
        return rc;
    batch_sql b = {__func__, warehouse_id, rows, opts_or_default(opts), 0, DBX__BUF_INIT, DBX__BUF_INIT};
    dbx__buf_puts(&b.head, "INSERT INTO ");
    rc = put_table(c, &b.head, __func__, "table", table);
    if (rc == DBX_OK) {
        dbx__buf_puts(&b.head, " (");
        put_col_list(&b.head, NULL, rows);
        dbx__buf_puts(&b.head, ") VALUES ");
        if (b.head.oom)
            rc = dbx__fail(c, DBX_ENOMEM, "%s: out of memory", __func__);
        else if (rows->n_rows)
            rc = run_batches(rows_written, NULL, c, &b);
    }
    dbx__buf_dispose(&b.head);
    dbx__buf_dispose(&b.tail);
    return rc;
}

/* Key values of row r equal those of row q (texts; a NULL key never equals). */
static int same_keys(const dbx_delta_rowset *rs, const char *is_key, size_t r, size_t q)
{
    for (size_t j = 0; j < rs->n_cols; j++) {
        if (!is_key[j])
            continue;
        const char *a = rs->vals[r * rs->n_cols + j].text, *b = rs->vals[q * rs->n_cols + j].text;
        if (!a || !b || strcmp(a, b) != 0)
            return 0;
    }
    return 1;
}

/* Two rows with the same key would make the service fail the MERGE of
 * their batch (or, in two batches, apply in an order the caller may not
 * expect): refused before anything is sent. A hash set of row indices. */
static dbx_status check_unique_keys(dbx_client *c, const char *fn, const dbx_delta_rowset *rs, const char *is_key)
{
    if (rs->n_rows < 2)
        return DBX_OK;
    size_t cap = 16;
    while (cap < rs->n_rows * 2)
        cap *= 2;
    size_t *slot = dbx__calloc(cap, sizeof *slot); /* row index + 1; 0: empty */
    if (!slot)
        return dbx__fail(c, DBX_ENOMEM, "%s: out of memory", fn);
    dbx_status rc = DBX_OK;
    for (size_t r = 0; r < rs->n_rows && rc == DBX_OK; r++) {
        uint64_t h = 1469598103934665603ULL;
        int has_null = 0;
        for (size_t j = 0; j < rs->n_cols; j++) {
            if (!is_key[j])
                continue;
            const char *v = rs->vals[r * rs->n_cols + j].text;
            if (!v) {
                has_null = 1;
                break;
            }
            for (const unsigned char *p = (const unsigned char *)v;; p++) {
                h = (h ^ *p) * 1099511628211ULL; /* the NUL too: separates the keys */
                if (!*p)
                    break;
            }
        }
        if (has_null)
            continue; /* a NULL key never matches: inserted each time */
        size_t i = (size_t)h & (cap - 1);
        while (slot[i]) {
            if (same_keys(rs, is_key, slot[i] - 1, r)) {
                rc = dbx__fail(c, DBX_EINVAL, "%s: rows %zu and %zu have the same key", fn, slot[i] - 1, r);
                break;
            }
            i = (i + 1) & (cap - 1);
        }
        slot[i] = r + 1;
    }
    dbx__free(slot);
    return rc;
}

dbx_status dbx_delta_upsert(int64_t *rows_affected, dbx_client *c, const char *warehouse_id, const char *table,
                            const char *const *keys, size_t n_keys, const dbx_delta_rowset *rows,
                            const dbx_delta_options *opts)
{
    if (rows_affected)
        *rows_affected = -1;
    DELTA_ENTER(c, warehouse_id, table);
    DBX__REQUIRE_PTR(c, rows);
    if (!keys || n_keys == 0)
        return dbx__fail(c, DBX_EINVAL, "%s: keys is required (n_keys >= 1)", __func__);
    dbx_status rc = check_opts(c, __func__, opts);
    if (rc != DBX_OK)
        return rc;
    /* Keys: columns of the set, each once. */
    char *is_key = dbx__calloc(rows->n_cols, 1);
    if (!is_key)
        return dbx__fail(c, DBX_ENOMEM, "%s: out of memory", __func__);
    for (size_t i = 0; i < n_keys && rc == DBX_OK; i++) {
        rc = check_column(c, __func__, "keys", i, keys[i]);
        if (rc != DBX_OK)
            break;
        size_t j = 0;
        while (j < rows->n_cols && strcmp(rows->cols[j], keys[i]) != 0)
            j++;
        if (j == rows->n_cols)
            rc = dbx__fail(c, DBX_EINVAL, "%s: keys[%zu] is not a column of rows", __func__, i);
        else if (is_key[j])
            rc = dbx__fail(c, DBX_EINVAL, "%s: keys[%zu] is given twice", __func__, i);
        else
            is_key[j] = 1;
    }
    if (rc == DBX_OK)
        rc = check_unique_keys(c, __func__, rows, is_key);
    batch_sql b = {__func__, warehouse_id, rows, opts_or_default(opts), 1, DBX__BUF_INIT, DBX__BUF_INIT};
    if (rc == DBX_OK) {
        dbx__buf_puts(&b.head, "MERGE INTO ");
        rc = put_table(c, &b.head, __func__, "table", table);
    }
    if (rc == DBX_OK) {
        dbx__buf_puts(&b.head, " AS t USING (");
        dbx__buf_puts(&b.tail, ") AS s ON ");
        for (size_t i = 0; i < n_keys; i++) {
            if (i)
                dbx__buf_puts(&b.tail, " AND ");
            dbx__buf_puts(&b.tail, "t.");
            put_col(&b.tail, keys[i]);
            dbx__buf_puts(&b.tail, " = s.");
            put_col(&b.tail, keys[i]);
        }
        if (n_keys < rows->n_cols) {
            dbx__buf_puts(&b.tail, " WHEN MATCHED THEN UPDATE SET ");
            int first = 1;
            for (size_t j = 0; j < rows->n_cols; j++) {
                if (is_key[j])
                    continue;
                if (!first)
                    dbx__buf_puts(&b.tail, ", ");
                first = 0;
                put_col(&b.tail, rows->cols[j]);
                dbx__buf_puts(&b.tail, " = s.");
                put_col(&b.tail, rows->cols[j]);
            }
        }
        dbx__buf_puts(&b.tail, " WHEN NOT MATCHED THEN INSERT (");
        put_col_list(&b.tail, NULL, rows);
        dbx__buf_puts(&b.tail, ") VALUES (");
        put_col_list(&b.tail, "s.", rows);
        dbx__buf_putc(&b.tail, ')');
        if (b.head.oom || b.tail.oom)
            rc = dbx__fail(c, DBX_ENOMEM, "%s: out of memory", __func__);
        else if (rows->n_rows)
            rc = run_batches(NULL, rows_affected, c, &b);
    }
    dbx__free(is_key);
    dbx__buf_dispose(&b.head);
    dbx__buf_dispose(&b.tail);
    return rc;
}

/* ---- read ----------------------------------------------------------------------------- */

dbx_status dbx_delta_read(dbx_sql_rows **out, dbx_client *c, const char *warehouse_id, const char *table,
                          const dbx_delta_read_options *read, const dbx_delta_options *opts)
{
    DBX__ENTER(c);
    DBX__REQUIRE_PTR(c, out);
    *out = NULL;
    DBX__REQUIRE_STR(c, warehouse_id);
    DBX__REQUIRE_STR(c, table);
    dbx_status rc = check_opts(c, __func__, opts);
    if (rc != DBX_OK)
        return rc;
    static const dbx_delta_read_options dflt = DBX_DELTA_READ_OPTIONS_INIT;
    if (!read)
        read = &dflt;
    if (read->version < 1)
        return dbx__fail(c, DBX_EINVAL, "%s: read->version is 0 (initialise with DBX_DELTA_READ_OPTIONS_INIT)", __func__);
    if (read->n_columns && !read->columns)
        return dbx__fail(c, DBX_EINVAL, "%s: read->columns is NULL with n_columns %zu", __func__, read->n_columns);
    for (size_t i = 0; i < read->n_columns; i++)
        if ((rc = check_column(c, __func__, "read->columns", i, read->columns[i])) != DBX_OK)
            return rc;
    if (read->limit < 0)
        return dbx__fail(c, DBX_EINVAL, "%s: read->limit is negative", __func__);
    if (read->execute && read->execute->format != DBX_SQL_FORMAT_DEFAULT &&
        read->execute->format != DBX_SQL_FORMAT_JSON_ARRAY)
        return dbx__fail(c, DBX_EINVAL, "%s: read->execute->format must be JSON_ARRAY (rows are read as JSON)",
                         __func__);
    switch (read->as_of) {
    case DBX_DELTA_AS_OF_LATEST: break;
    case DBX_DELTA_AS_OF_VERSION:
        if (read->table_version < 0)
            return dbx__fail(c, DBX_EINVAL, "%s: read->table_version is negative", __func__);
        break;
    case DBX_DELTA_AS_OF_TIMESTAMP:
        if (!dbx__delta_timestamp_ok(read->timestamp))
            return dbx__fail(c, DBX_EINVAL,
                             "%s: read->timestamp is not YYYY-MM-DD[( |T)HH:MM[:SS[.f]]][Z|+hh:mm|-hh:mm]", __func__);
        break;
    default: return dbx__fail(c, DBX_EINVAL, "%s: read->as_of is not a dbx_delta_as_of_t", __func__);
    }
    dbx__buf sql = DBX__BUF_INIT;
    dbx__buf_puts(&sql, "SELECT ");
    if (read->n_columns) {
        for (size_t i = 0; i < read->n_columns; i++) {
            if (i)
                dbx__buf_puts(&sql, ", ");
            put_col(&sql, read->columns[i]);
        }
    } else {
        dbx__buf_putc(&sql, '*');
    }
    dbx__buf_puts(&sql, " FROM ");
    rc = put_table(c, &sql, __func__, "table", table);
    if (rc == DBX_OK) {
        if (read->as_of == DBX_DELTA_AS_OF_VERSION) {
            dbx__buf_printf(&sql, " VERSION AS OF %lld", (long long)read->table_version);
        } else if (read->as_of == DBX_DELTA_AS_OF_TIMESTAMP) {
            dbx__buf_puts(&sql, " TIMESTAMP AS OF ");
            put_lit(&sql, read->timestamp);
        }
        if (read->limit)
            dbx__buf_printf(&sql, " LIMIT %lld", (long long)read->limit);
        if (sql.oom)
            rc = dbx__fail(c, DBX_ENOMEM, "%s: out of memory", __func__);
    }
    dbx_sql_statement *st = NULL;
    if (rc == DBX_OK)
        rc = run_sql(&st, c, warehouse_id, sql.ptr, NULL, opts_or_default(opts), read->execute);
    if (rc == DBX_OK) {
        dbx_sql_rows_options ro = DBX_SQL_ROWS_OPTIONS_INIT;
        if (read->rows)
            ro = *read->rows;
        ro.version = DBX_SQL_ROWS_OPTIONS_VERSION;
        ro.close_statement = 1;
        rc = dbx_sql_rows_open(out, c, st, &ro);
        if (rc != DBX_OK) { /* no iterator to close it: close the statement here */
            saved_error e;
            error_save(&e);
            (void)dbx_sql_close(c, dbx_sql_statement_id(st));
            rc = error_restore(c, &e, rc);
        }
    }
    dbx_sql_statement_free(st);
    dbx__buf_dispose(&sql);
    return rc;
}

/* ---- history -------------------------------------------------------------------------- */

typedef struct hist_entry {
    int64_t version, ts_ms;
    char *ts, *op, *user, *params, *metrics;
} hist_entry;

struct dbx_delta_history {
    hist_entry *e;
    size_t n, cap;
};

void dbx_delta_history_free(dbx_delta_history *h)
{
    if (!h)
        return;
    for (size_t i = 0; i < h->n; i++) {
        dbx__free(h->e[i].ts);
        dbx__free(h->e[i].op);
        dbx__free(h->e[i].user);
        dbx__free(h->e[i].params);
        dbx__free(h->e[i].metrics);
    }
    dbx__free(h->e);
    dbx__free(h);
}

/* A copy of column `col`'s text ("" / `dflt` for NULL or a missing column). */
static char *col_text(const dbx_sql_rows *rows, int col, const char *dflt)
{
    const char *s = col >= 0 ? dbx_sql_rows_str(rows, col) : NULL;
    if (!s)
        s = dflt;
    return dbx__strdup(s);
}

dbx_status dbx_delta_describe_history(dbx_delta_history **out, dbx_client *c, const char *warehouse_id,
                                      const char *table, int64_t limit, const dbx_delta_options *opts)
{
    DBX__ENTER(c);
    DBX__REQUIRE_PTR(c, out);
    *out = NULL;
    DBX__REQUIRE_STR(c, warehouse_id);
    DBX__REQUIRE_STR(c, table);
    dbx_status rc = check_opts(c, __func__, opts);
    if (rc != DBX_OK)
        return rc;
    if (limit < 0)
        return dbx__fail(c, DBX_EINVAL, "%s: limit is negative", __func__);
    dbx__buf sql = DBX__BUF_INIT;
    dbx__buf_puts(&sql, "DESCRIBE HISTORY ");
    rc = put_table(c, &sql, __func__, "table", table);
    if (rc == DBX_OK && limit)
        dbx__buf_printf(&sql, " LIMIT %lld", (long long)limit);
    if (rc == DBX_OK && sql.oom)
        rc = dbx__fail(c, DBX_ENOMEM, "%s: out of memory", __func__);
    dbx_sql_statement *st = NULL;
    if (rc == DBX_OK)
        rc = run_sql(&st, c, warehouse_id, sql.ptr, NULL, opts_or_default(opts), NULL);
    dbx__buf_dispose(&sql);
    if (rc != DBX_OK)
        return rc;
    dbx_sql_rows *rows = NULL;
    dbx_sql_rows_options ro = DBX_SQL_ROWS_OPTIONS_INIT;
    ro.close_statement = 1;
    rc = dbx_sql_rows_open(&rows, c, st, &ro);
    if (rc != DBX_OK) { /* no iterator to close it: close the statement here */
        saved_error e;
        error_save(&e);
        (void)dbx_sql_close(c, dbx_sql_statement_id(st));
        rc = error_restore(c, &e, rc);
    }
    dbx_sql_statement_free(st);
    if (rc != DBX_OK)
        return rc;
    dbx_delta_history *h = dbx__calloc(1, sizeof *h);
    if (!h) {
        dbx_sql_rows_free(rows);
        return dbx__fail(c, DBX_ENOMEM, "%s: out of memory", __func__);
    }
    int c_version = dbx_sql_rows_column_index(rows, "version");
    int c_ts = dbx_sql_rows_column_index(rows, "timestamp");
    int c_op = dbx_sql_rows_column_index(rows, "operation");
    int c_user = dbx_sql_rows_column_index(rows, "userName");
    int c_uid = dbx_sql_rows_column_index(rows, "userId");
    int c_params = dbx_sql_rows_column_index(rows, "operationParameters");
    int c_metrics = dbx_sql_rows_column_index(rows, "operationMetrics");
    while ((rc = dbx_sql_rows_next(rows)) == DBX_OK) {
        if (h->n == MAX_HISTORY) {
            rc = dbx__fail(c, DBX_ETOOLARGE, "%s: more than %d history entries (use a limit)", __func__, MAX_HISTORY);
            break;
        }
        if (grow((void **)&h->e, &h->cap, h->n + 1, sizeof *h->e)) {
            rc = dbx__fail(c, DBX_ENOMEM, "%s: out of memory", __func__);
            break;
        }
        hist_entry *e = &h->e[h->n];
        memset(e, 0, sizeof *e);
        h->n++;
        e->version = -1;
        e->ts_ms = -1;
        if (c_version >= 0 && dbx_sql_rows_is_null(rows, c_version) == 0 &&
            dbx_sql_rows_int64(&e->version, rows, c_version) != DBX_OK) {
            rc = dbx__fail(c, DBX_EBADRESPONSE, "%s: history entry %zu: version is not an integer", __func__, h->n - 1);
            break;
        }
        if (c_ts >= 0 && dbx_sql_rows_is_null(rows, c_ts) == 0 &&
            dbx_sql_rows_epoch_ms(&e->ts_ms, rows, c_ts) != DBX_OK)
            e->ts_ms = -1;
        int uc = c_user >= 0 && dbx_sql_rows_is_null(rows, c_user) == 0 ? c_user : c_uid;
        e->ts = col_text(rows, c_ts, "");
        e->op = col_text(rows, c_op, "");
        e->user = col_text(rows, uc, "");
        e->params = col_text(rows, c_params, "{}");
        e->metrics = col_text(rows, c_metrics, "{}");
        if (!e->ts || !e->op || !e->user || !e->params || !e->metrics) {
            rc = dbx__fail(c, DBX_ENOMEM, "%s: out of memory", __func__);
            break;
        }
    }
    dbx_sql_rows_free(rows);
    if (rc != DBX_DONE) {
        dbx_delta_history_free(h);
        return rc;
    }
    dbx__error_clear(c);
    *out = h;
    return DBX_OK;
}

size_t dbx_delta_history_count(const dbx_delta_history *h)
{
    return h ? h->n : 0;
}

static const hist_entry *hist_at(const dbx_delta_history *h, size_t i)
{
    return h && i < h->n ? &h->e[i] : NULL;
}

int64_t dbx_delta_history_version(const dbx_delta_history *h, size_t i)
{
    const hist_entry *e = hist_at(h, i);
    return e ? e->version : -1;
}

const char *dbx_delta_history_timestamp(const dbx_delta_history *h, size_t i)
{
    const hist_entry *e = hist_at(h, i);
    return e ? e->ts : "";
}

int64_t dbx_delta_history_timestamp_ms(const dbx_delta_history *h, size_t i)
{
    const hist_entry *e = hist_at(h, i);
    return e ? e->ts_ms : -1;
}

const char *dbx_delta_history_operation(const dbx_delta_history *h, size_t i)
{
    const hist_entry *e = hist_at(h, i);
    return e ? e->op : "";
}

const char *dbx_delta_history_user(const dbx_delta_history *h, size_t i)
{
    const hist_entry *e = hist_at(h, i);
    return e ? e->user : "";
}

const char *dbx_delta_history_operation_parameters(const dbx_delta_history *h, size_t i)
{
    const hist_entry *e = hist_at(h, i);
    return e ? e->params : "";
}

const char *dbx_delta_history_operation_metrics(const dbx_delta_history *h, size_t i)
{
    const hist_entry *e = hist_at(h, i);
    return e ? e->metrics : "";
}

/* ---- maintenance ---------------------------------------------------------------------- */

dbx_status dbx_delta_optimize(dbx_client *c, const char *warehouse_id, const char *table, const char *const *zorder,
                              size_t n_zorder, const dbx_delta_options *opts)
{
    DELTA_ENTER(c, warehouse_id, table);
    dbx_status rc = check_opts(c, __func__, opts);
    if (rc != DBX_OK)
        return rc;
    if (n_zorder && !zorder)
        return dbx__fail(c, DBX_EINVAL, "%s: zorder is NULL with n_zorder %zu", __func__, n_zorder);
    for (size_t i = 0; i < n_zorder; i++)
        if ((rc = check_column(c, __func__, "zorder", i, zorder[i])) != DBX_OK)
            return rc;
    dbx__buf sql = DBX__BUF_INIT;
    dbx__buf_puts(&sql, "OPTIMIZE ");
    rc = put_table(c, &sql, __func__, "table", table);
    if (rc == DBX_OK && n_zorder) {
        dbx__buf_puts(&sql, " ZORDER BY (");
        for (size_t i = 0; i < n_zorder; i++) {
            if (i)
                dbx__buf_puts(&sql, ", ");
            put_col(&sql, zorder[i]);
        }
        dbx__buf_putc(&sql, ')');
    }
    if (rc == DBX_OK)
        rc = sql.oom ? dbx__fail(c, DBX_ENOMEM, "%s: out of memory", __func__)
                     : run_sql(NULL, c, warehouse_id, sql.ptr, NULL, opts_or_default(opts), NULL);
    dbx__buf_dispose(&sql);
    return rc;
}

dbx_status dbx_delta_vacuum(dbx_client *c, const char *warehouse_id, const char *table, int64_t retain_hours,
                            const dbx_delta_options *opts)
{
    DELTA_ENTER(c, warehouse_id, table);
    dbx_status rc = check_opts(c, __func__, opts);
    if (rc != DBX_OK)
        return rc;
    if (retain_hours > 1000000000LL)
        return dbx__fail(c, DBX_EINVAL, "%s: retain_hours is out of range", __func__);
    dbx__buf sql = DBX__BUF_INIT;
    dbx__buf_puts(&sql, "VACUUM ");
    rc = put_table(c, &sql, __func__, "table", table);
    if (rc == DBX_OK && retain_hours >= 0)
        dbx__buf_printf(&sql, " RETAIN %lld HOURS", (long long)retain_hours);
    if (rc == DBX_OK)
        rc = sql.oom ? dbx__fail(c, DBX_ENOMEM, "%s: out of memory", __func__)
                     : run_sql(NULL, c, warehouse_id, sql.ptr, NULL, opts_or_default(opts), NULL);
    dbx__buf_dispose(&sql);
    return rc;
}
