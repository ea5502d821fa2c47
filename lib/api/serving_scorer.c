/*
 * Model serving: the real-time scorer. Many queries to one endpoint in
 * flight from one thread, on the pipeline's incremental engine (the same
 * auth, retry, redirect and logging rules as dbx_serving_query); the URL
 * of each query from dbx__serving_query_target, as dbx_serving_query's.
 */
#include <stdlib.h>
#include <string.h>

#include "serving_internal.h"

#define DEFAULT_IN_FLIGHT 64
#define DEFAULT_TIMEOUT_MS 300000L
#define LAT_KEEP 4096

/* One submitted query, from submit to the hand-back of its completion. */
typedef struct squery {
    struct squery *prev, *next; /* the scorer's live queries */
    uint64_t id;
    void *user;
    char *body;
    dbx__serving_target target;
    const char *h2[2];
    dbx__call call;
    dbx__http_resp resp;
    int64_t t0;
    struct dbx_serving_completion *done; /* made at submission: an ending never lacks memory for it */
} squery;

struct dbx_serving_completion {
    uint64_t id;
    void *user;
    dbx_status status;
    dbx_serving_result *result;
    dbx__errsave *error;
    dbx_error fallback; /* when the error record could not be saved */
    struct dbx_serving_completion *next;
};

struct dbx_serving_scorer {
    dbx_client *c;
    char *name;
    dbx__engine *e;
    long timeout_ms, attempt_timeout_ms;
    dbx_serving_complete_fn cb;
    void *payload;
    int in_cb;
    uint64_t next_id;
    squery *live;
    dbx_serving_completion *ready, *ready_tail; /* poll style: ended, not read */
    uint64_t submitted, succeeded, failed, cancelled, timed_out;
    double lat[LAT_KEEP];
    size_t n_lat, lat_pos;
};

/* ---- completions ------------------------------------------------------------------ */

DBX_API uint64_t dbx_serving_completion_id(const dbx_serving_completion *d) { return d ? d->id : 0; }
DBX_API void *dbx_serving_completion_user(const dbx_serving_completion *d) { return d ? d->user : NULL; }
DBX_API dbx_status dbx_serving_completion_status(const dbx_serving_completion *d)
{
    return d ? d->status : DBX_EINVAL;
}
DBX_API const dbx_serving_result *dbx_serving_completion_result(const dbx_serving_completion *d)
{
    return d ? d->result : NULL;
}
DBX_API dbx_serving_result *dbx_serving_completion_take_result(dbx_serving_completion *d)
{
    if (!d)
        return NULL;
    dbx_serving_result *r = d->result;
    d->result = NULL;
    return r;
}
DBX_API const dbx_error *dbx_serving_completion_error(const dbx_serving_completion *d)
{
    if (!d || d->status == DBX_OK)
        return NULL;
    return d->error ? dbx__errsave_record(d->error) : &d->fallback;
}
DBX_API void dbx_serving_completion_free(dbx_serving_completion *d)
{
    if (!d)
        return;
    dbx_serving_result_free(d->result);
    dbx__errsave_free(d->error);
    dbx__free(d);
}

/* ---- the scorer ------------------------------------------------------------------------ */

static void query_free(squery *q)
{
    if (!q)
        return;
    dbx__resp_dispose(&q->resp);
    dbx__serving_target_dispose(&q->target);
    dbx__free(q->body);
    dbx__free(q->done);
    dbx__free(q);
}

static void live_unlink(dbx_serving_scorer *s, squery *q)
{
    if (q->prev)
        q->prev->next = q->next;
    else
        s->live = q->next;
    if (q->next)
        q->next->prev = q->prev;
    q->prev = q->next = NULL;
}

DBX_API dbx_status dbx_serving_scorer_new(dbx_serving_scorer **out, dbx_client *c, const char *name,
                                          const dbx_serving_scorer_options *opts)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    DBX__REQUIRE_PTR(c, out);
    DBX__REQUIRE_STR(c, name);
    const dbx_serving_scorer_options *o = opts;
    if (o && (o->version == 0 || o->version > DBX_SERVING_SCORER_OPTIONS_VERSION))
        return dbx__fail(c, DBX_EINVAL, "%s: dbx_serving_scorer_options version %u is not supported", __func__,
                         o->version);
    if (o && (o->max_in_flight < 0 || o->max_in_flight > DBX_SERVING_SCORER_MAX_IN_FLIGHT))
        return dbx__fail(c, DBX_EINVAL, "%s: max_in_flight must be 1..%d (0: %d), not %d", __func__,
                         DBX_SERVING_SCORER_MAX_IN_FLIGHT, DEFAULT_IN_FLIGHT, o->max_in_flight);
    if (o && o->timeout_ms < 0)
        return dbx__fail(c, DBX_EINVAL, "%s: timeout_ms is negative", __func__);
    if (o && o->attempt_timeout_ms < 0)
        return dbx__fail(c, DBX_EINVAL, "%s: attempt_timeout_ms is negative", __func__);
    if (o && o->http_version != DBX_SERVING_HTTP_AUTO && o->http_version != DBX_SERVING_HTTP1_1)
        return dbx__fail(c, DBX_EINVAL, "%s: http_version %d is not one of DBX_SERVING_HTTP_AUTO, DBX_SERVING_HTTP1_1",
                         __func__, (int)o->http_version);
    dbx_serving_scorer *s = dbx__calloc(1, sizeof *s);
    if (!s || !(s->name = dbx__strdup(name))) {
        dbx__free(s);
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    s->c = c;
    s->timeout_ms = o && o->timeout_ms > 0 ? o->timeout_ms : DEFAULT_TIMEOUT_MS;
    /* unset: the query's deadline is what ends a slow attempt (an attempt
     * timeout just past it never fires first) */
    s->attempt_timeout_ms = o && o->attempt_timeout_ms > 0 ? o->attempt_timeout_ms : s->timeout_ms + 1000;
    s->cb = o ? o->on_complete : NULL;
    s->payload = o ? o->payload : NULL;
    dbx__engine_opts eo = {o && o->max_in_flight > 0 ? o->max_in_flight : DEFAULT_IN_FLIGHT,
                           o && o->http_version == DBX_SERVING_HTTP1_1 ? 1 : 2, 1};
    s->e = dbx__engine_new(&c->pipe, &eo);
    if (!s->e) {
        dbx__free(s->name);
        dbx__free(s);
        return DBX_ENOMEM;
    }
    *out = s;
    return DBX_OK;
}

/* Queue a query whose body (moved in) was checked. */
static dbx_status submit_body(uint64_t *id, dbx_serving_scorer *s, char *body, size_t len, void *user)
{
    dbx_client *c = s->c;
    squery *q = dbx__calloc(1, sizeof *q);
    if (!q) {
        dbx__free(body);
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    q->body = body;
    dbx__resp_init(&q->resp);
    if (!(q->done = dbx__calloc(1, sizeof *q->done))) {
        query_free(q);
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    dbx_status st = dbx__serving_target_get(&q->target, c, s->name);
    if (st != DBX_OK) {
        query_free(q);
        return st;
    }
    dbx__serving_target_call(&q->call, &q->target, q->h2);
    q->call.body = q->body;
    q->call.body_len = len;
    q->call.timeout_ms = s->attempt_timeout_ms;
    q->t0 = dbx__now_ms();
    q->call.deadline_ms = q->t0 + s->timeout_ms;
    if ((st = dbx__engine_submit(s->e, &q->call, &q->resp, q)) != DBX_OK) {
        query_free(q);
        return st;
    }
    q->id = ++s->next_id;
    q->user = user;
    q->next = s->live;
    if (s->live)
        s->live->prev = q;
    s->live = q;
    s->submitted++;
    if (id)
        *id = q->id;
    return DBX_OK;
}

#define SCORER_ENTER(s)                                                                   \
    do {                                                                                  \
        if (!(s)) {                                                                       \
            dbx__error_clear(NULL);                                                       \
            return dbx__fail(NULL, DBX_EINVAL, "%s: scorer is NULL", __func__);            \
        }                                                                                 \
        dbx__error_clear((s)->c);                                                         \
    } while (0)

DBX_API dbx_status dbx_serving_scorer_submit(uint64_t *id, dbx_serving_scorer *s, const char *json_body, void *user)
{
    if (id)
        *id = 0;
    SCORER_ENTER(s);
    dbx_client *c = s->c;
    DBX__REQUIRE_PTR(c, json_body);
    size_t len = strlen(json_body);
    dbx_status st = dbx__serving_check_body(c, __func__, json_body, len);
    if (st != DBX_OK)
        return st;
    char *copy = dbx__strndup(json_body, len);
    if (!copy)
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    return submit_body(id, s, copy, len, user);
}

DBX_API dbx_status dbx_serving_scorer_submit_input(uint64_t *id, dbx_serving_scorer *s, const dbx_serving_input *in,
                                                   void *user)
{
    if (id)
        *id = 0;
    SCORER_ENTER(s);
    dbx_client *c = s->c;
    DBX__REQUIRE_PTR(c, in);
    char *text;
    size_t len;
    dbx_status st = dbx__serving_input_text(&text, &len, c, __func__, in);
    if (st != DBX_OK)
        return st;
    return submit_body(id, s, text, len, user);
}

static void note_latency(dbx_serving_scorer *s, int64_t ms)
{
    s->lat[s->lat_pos] = (double)ms;
    s->lat_pos = (s->lat_pos + 1) % LAT_KEEP;
    if (s->n_lat < LAT_KEEP)
        s->n_lat++;
}

/* An ended query as its completion. */
static dbx_serving_completion *complete(dbx_serving_scorer *s, const dbx__engine_done *d)
{
    squery *q = d->tag;
    dbx_client *c = s->c;
    live_unlink(s, q);
    dbx_serving_completion *out = q->done;
    q->done = NULL;
    dbx_status st = d->status;
    dbx__errsave *err = d->error;
    int64_t ms = dbx__now_ms() - q->t0;
    dbx_serving_result *r = NULL;
    if (st == DBX_OK) {
        st = dbx__serving_answer(&r, c, &q->call, &q->resp, ms);
        if (st != DBX_OK)
            err = dbx__error_save();
    }
    if (st != DBX_OK && q->target.no_auth && (q->resp.status == 401 || q->resp.status == 403))
        dbx__serving_target_drop(c, s->name); /* the data plane refused the token: the next query fetches a new one */
    if (st == DBX_OK) {
        s->succeeded++;
        note_latency(s, ms);
    } else {
        s->failed++;
        s->cancelled += st == DBX_ECANCELLED;
        s->timed_out += st == DBX_ETIMEOUT;
    }
    out->id = q->id;
    out->user = q->user;
    out->status = st;
    out->result = r;
    out->error = err;
    out->fallback.version = DBX_ERROR_VERSION;
    out->fallback.status = st;
    out->fallback.error_code = out->fallback.request_id = out->fallback.method = out->fallback.path = "";
    out->fallback.message = dbx_status_str(st);
    out->fallback.retry_after_ms = -1;
    query_free(q);
    return out;
}

/* Hand an ended query over: to the callback, or to the ready list. */
static void deliver(dbx_serving_scorer *s, const dbx__engine_done *d)
{
    dbx_serving_completion *done = complete(s, d);
    if (s->cb) {
        s->in_cb = 1;
        s->cb(done, s->payload);
        s->in_cb = 0;
        dbx_serving_completion_free(done);
        return;
    }
    if (s->ready_tail)
        s->ready_tail->next = done;
    else
        s->ready = done;
    s->ready_tail = done;
}

/* Step the engine: up to wait_ms for the first, then whatever is ready. */
static size_t pump(dbx_serving_scorer *s, long wait_ms)
{
    size_t n = 0;
    dbx__engine_done d;
    while (dbx__engine_step(s->e, n ? 0 : wait_ms, &d)) {
        deliver(s, &d);
        n++;
    }
    dbx__error_clear(s->c); /* the queries' failures are in their completions */
    return n;
}

DBX_API dbx_status dbx_serving_scorer_poll(size_t *completed, dbx_serving_scorer *s, long wait_ms)
{
    if (completed)
        *completed = 0;
    SCORER_ENTER(s);
    if (s->in_cb)
        return dbx__fail(s->c, DBX_EINVAL, "%s: not from inside the on_complete callback", __func__);
    size_t n = pump(s, wait_ms);
    if (completed)
        *completed = n;
    return DBX_OK;
}

DBX_API dbx_status dbx_serving_scorer_next(dbx_serving_completion **out, dbx_serving_scorer *s, long wait_ms)
{
    if (out)
        *out = NULL;
    SCORER_ENTER(s);
    DBX__REQUIRE_PTR(s->c, out);
    if (s->cb)
        return dbx__fail(s->c, DBX_EINVAL, "%s: the scorer has an on_complete callback: completions go there "
                                           "(drive it with dbx_serving_scorer_poll)", __func__);
    if (!s->ready) {
        dbx__engine_done d;
        if (dbx__engine_step(s->e, wait_ms, &d))
            deliver(s, &d);
        dbx__error_clear(s->c);
    }
    dbx_serving_completion *r = s->ready;
    if (r) {
        s->ready = r->next;
        if (!s->ready)
            s->ready_tail = NULL;
        r->next = NULL;
    }
    *out = r;
    return DBX_OK;
}

DBX_API dbx_status dbx_serving_scorer_cancel(dbx_serving_scorer *s, uint64_t id)
{
    SCORER_ENTER(s);
    for (squery *q = s->live; q; q = q->next) {
        if (q->id == id) {
            if (dbx__engine_cancel(s->e, q) != 0)
                break; /* ended, its completion not yet handed back */
            dbx__error_clear(s->c);
            return DBX_OK;
        }
    }
    return dbx__fail(s->c, DBX_ENOTFOUND, "%s: no pending query has id %llu", __func__, (unsigned long long)id);
}

DBX_API dbx_status dbx_serving_scorer_drain(dbx_serving_scorer *s, long timeout_ms)
{
    SCORER_ENTER(s);
    if (s->in_cb)
        return dbx__fail(s->c, DBX_EINVAL, "%s: not from inside the on_complete callback", __func__);
    int64_t end = timeout_ms < 0 ? -1 : dbx__now_ms() + timeout_ms;
    while (dbx__engine_pending(s->e) > 0) {
        long w = -1;
        if (end >= 0) {
            int64_t left = end - dbx__now_ms();
            if (left <= 0) {
                pump(s, 0);
                break;
            }
            w = (long)left;
        }
        if (pump(s, w) == 0 && end >= 0 && dbx__now_ms() >= end)
            break;
    }
    size_t left = dbx__engine_pending(s->e);
    if (left)
        return dbx__fail(s->c, DBX_ETIMEOUT, "%s: %zu quer%s still pending after %ld ms", __func__, left,
                         left == 1 ? "y" : "ies", timeout_ms);
    return DBX_OK;
}

DBX_API size_t dbx_serving_scorer_in_flight(const dbx_serving_scorer *s) { return s ? dbx__engine_flying(s->e) : 0; }
DBX_API size_t dbx_serving_scorer_queued(const dbx_serving_scorer *s) { return s ? dbx__engine_queued(s->e) : 0; }

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

DBX_API dbx_status dbx_serving_scorer_stats_get(dbx_serving_scorer_stats *out, const dbx_serving_scorer *s)
{
    dbx__error_clear(s ? s->c : NULL);
    if (!out || !s)
        return dbx__fail(s ? s->c : NULL, DBX_EINVAL, "%s: %s is NULL", __func__, out ? "scorer" : "out");
    if (out->version == 0 || out->version > DBX_SERVING_SCORER_STATS_VERSION)
        return dbx__fail(s->c, DBX_EINVAL, "%s: dbx_serving_scorer_stats version %u is not supported", __func__,
                         out->version);
    out->submitted = s->submitted;
    out->succeeded = s->succeeded;
    out->failed = s->failed;
    out->cancelled = s->cancelled;
    out->timed_out = s->timed_out;
    out->retried = dbx__engine_retries(s->e);
    out->connections = dbx__engine_connections(s->e);
    out->latency_p50_ms = out->latency_p99_ms = 0;
    if (s->n_lat) {
        double *v = dbx__malloc(s->n_lat * sizeof *v);
        if (!v)
            return dbx__fail(s->c, DBX_ENOMEM, "out of memory");
        memcpy(v, s->lat, s->n_lat * sizeof *v);
        qsort(v, s->n_lat, sizeof *v, cmp_double);
        /* nearest rank */
        size_t i50 = (s->n_lat * 50 + 99) / 100, i99 = (s->n_lat * 99 + 99) / 100;
        out->latency_p50_ms = v[i50 ? i50 - 1 : 0];
        out->latency_p99_ms = v[i99 ? i99 - 1 : 0];
        dbx__free(v);
    }
    return DBX_OK;
}

DBX_API void dbx_serving_scorer_free(dbx_serving_scorer *s)
{
    if (!s)
        return;
    dbx__engine_free(s->e); /* abandons every pending transfer before their resps go */
    while (s->live) {
        squery *q = s->live;
        live_unlink(s, q);
        query_free(q);
    }
    while (s->ready) {
        dbx_serving_completion *d = s->ready;
        s->ready = d->next;
        dbx_serving_completion_free(d);
    }
    dbx__free(s->name);
    dbx__free(s);
}
