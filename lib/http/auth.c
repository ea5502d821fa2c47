/*
 * libdbx internal: credentials.
 *
 *  pat                  Authorization: Bearer <token>
 *  oauth-m2m            discover {host}/oidc/.well-known/oauth-authorization-server,
 *                       then client_credentials at its token_endpoint with the
 *                       client id/secret in HTTP Basic and scope=all-apis
 *  azure-client-secret  Entra ID v1 client_credentials at
 *                       {login}{tenant}/oauth2/token for the Azure Databricks
 *                       resource; tenant discovered from {host}/aad/auth when
 *                       not configured; token treated as expired 40 s early
 *
 * Token cache: a token is refreshed proactively once it is within
 * min(TTL/2, 20 min) of expiry; a lifetime is taken as 0 s .. 1 year
 * whatever the server says. libdbx starts no thread, so the refresh happens
 * on the calling thread of the first request that finds the token stale.
 *
 * Single flight. Under `mu`: the token, `refreshing` (a fetch is in flight),
 * `fetches` (a generation counter: fetches finished) and `failure` (the
 * error record of the last fetch, when it failed).
 *  - One thread fetches, with `mu` released. Its fetch ends by that
 *    thread's own deadline, and within 1 min at most.
 *  - While the old token is valid the others keep using it. Once nothing
 *    valid is left they wait on `cv` (CLOCK_MONOTONIC, timed) for
 *    `fetches` to move, each until its OWN deadline (then DBX_ETIMEOUT).
 *  - The fetching thread stores the outcome, bumps `fetches` and
 *    broadcasts. When the fetch failed, every waiter replays the stored
 *    error record into its own thread's record and fails at once with it:
 *    one failing fetch, not one per waiter.
 *  - A failed proactive refresh (old token still valid) keeps the old token
 *    and starts a 1 min cooldown without refresh attempts; an expired token
 *    is always fetched.
 *
 * Secrets go only to https endpoints, or plain http to a loopback host:
 * the discovered OIDC token endpoint and the Entra login URL are checked
 * before anything is sent.
 */
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../json/jdoc.h"
#include "http.h"

#define AZURE_DATABRICKS_RESOURCE "2ff814a6-3304-4ab8-85cb-cd0e6f879c1d"
#define AZURE_EARLY_EXPIRY_MS 40000
#define MAX_REFRESH_WINDOW_MS (20 * 60 * 1000)
#define MIN_TTL_MS 1000
#define MAX_TTL_S (366LL * 24 * 3600)        /* a lifetime beyond a year is not believed */
#define DEFAULT_TTL_S 3600                   /* no (or a negative) lifetime given */
#define FETCH_BUDGET_MS (60 * 1000)          /* token requests: 1 min total */
#define REFRESH_COOLDOWN_MS (60 * 1000)      /* after a failed proactive refresh */

/* The error record of a failed fetch, replayed into each waiter's own. */
typedef struct fetch_failure {
    dbx_status status;
    int http_status, transport_code, attempts;
    long retry_after_ms;
    char message[1024], error_code[128], request_id[128], method[16], path[512];
} fetch_failure;

struct dbx__auth {
    dbx_auth_type type;
    char *host, *token, *client_id, *client_secret, *login_url;
    /* Used only by the thread that fetches (single flight orders them). */
    char *tenant_id;       /* configured, or discovered (azure) */
    char *token_endpoint;  /* discovered (oauth-m2m) */

    pthread_mutex_t mu;
    pthread_cond_t cv;     /* CLOCK_MONOTONIC; broadcast when a fetch ends */
    /* under mu; times on the dbx__now_ms() clock */
    char *access_token;
    int64_t expiry_ms;
    int64_t refresh_at_ms;
    int64_t cooldown_until_ms; /* no proactive refresh before this */
    int refreshing;            /* a fetch is in flight */
    uint64_t fetches;          /* generation: fetches finished */
    fetch_failure failure;     /* of the last fetch; status DBX_OK when it succeeded */
};

const char *dbx__auth_type_name(dbx_auth_type t)
{
    switch (t) {
    case DBX_AUTH_PAT: return "pat";
    case DBX_AUTH_OAUTH_M2M: return "oauth-m2m";
    case DBX_AUTH_AZURE_CLIENT_SECRET: return "azure-client-secret";
    case DBX_AUTH_NONE: return "none";
    default: return "default";
    }
}

dbx__auth *dbx__auth_new(const dbx__auth_config *cfg)
{
    dbx__auth *a = dbx__calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->type = cfg->type;
    a->host = dbx__strdup(cfg->host);
    a->token = dbx__strdup(cfg->token);
    a->client_id = dbx__strdup(cfg->client_id);
    a->client_secret = dbx__strdup(cfg->client_secret);
    a->tenant_id = dbx__strdup(cfg->tenant_id);
    a->login_url = dbx__strdup(cfg->login_url);
    pthread_mutex_init(&a->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&a->cv, &ca);
    pthread_condattr_destroy(&ca);
    if ((cfg->host && !a->host) || (cfg->token && !a->token) || (cfg->client_id && !a->client_id) ||
        (cfg->client_secret && !a->client_secret) || (cfg->tenant_id && !a->tenant_id) ||
        (cfg->login_url && !a->login_url)) {
        dbx__auth_free(a);
        return NULL;
    }
    return a;
}

static void wipe_free(char *s)
{
    if (s) {
        volatile char *v = s;
        while (*v)
            *v++ = 0;
        dbx__free(s);
    }
}

void dbx__auth_free(dbx__auth *a)
{
    if (!a)
        return;
    dbx__free(a->host);
    wipe_free(a->token);
    dbx__free(a->client_id);
    wipe_free(a->client_secret);
    dbx__free(a->tenant_id);
    dbx__free(a->login_url);
    wipe_free(a->access_token);
    dbx__free(a->token_endpoint);
    pthread_mutex_destroy(&a->mu);
    pthread_cond_destroy(&a->cv);
    dbx__free(a);
}

/* A token endpoint failure is an authentication failure unless the service
 * itself was unreachable or failing. */
static dbx_status token_failure(dbx_status st, const char *what)
{
    const dbx_error *e = dbx__error_current();
    if (st != DBX_ETRANSPORT && st != DBX_ETIMEOUT && st != DBX_EUNAVAILABLE && st != DBX_ESERVER &&
        st != DBX_ENOMEM && st != DBX_ERATELIMITED && e->http_status >= 400 && e->http_status < 500) {
        st = DBX_EUNAUTHENTICATED;
        dbx__error_set_status(st);
    }
    dbx__error_prefix("%s", what);
    return st;
}

/* ---- arithmetic (pure) ------------------------------------------------------------ */

int64_t dbx__token_ttl_ms(int64_t expires_in_s, int64_t expires_on_s, int64_t wall_now_ms)
{
    int64_t s;
    if (expires_in_s >= 0) {
        s = expires_in_s;
    } else if (expires_on_s > 0) {
        /* both operands are non-negative: no overflow */
        int64_t now_s = wall_now_ms > 0 ? wall_now_ms / 1000 : 0;
        s = expires_on_s - now_s;
        if (s < 0)
            s = 0;
    } else {
        s = DEFAULT_TTL_S;
    }
    return (s > MAX_TTL_S ? MAX_TTL_S : s) * 1000;
}

/* When a token got at `now` with `ttl_ms` to live expires, and when to
 * refresh it: min(TTL/2, 20 min) before that. */
static void token_schedule(int64_t now, int64_t ttl_ms, int64_t *expiry_ms, int64_t *refresh_at_ms)
{
    if (ttl_ms < MIN_TTL_MS)
        ttl_ms = MIN_TTL_MS;
    if (ttl_ms > MAX_TTL_S * 1000)
        ttl_ms = MAX_TTL_S * 1000;
    int64_t window = ttl_ms / 2 < MAX_REFRESH_WINDOW_MS ? ttl_ms / 2 : MAX_REFRESH_WINDOW_MS;
    *expiry_ms = now > INT64_MAX - ttl_ms ? INT64_MAX : now + ttl_ms;
    *refresh_at_ms = *expiry_ms - window;
}

/* The fetch ends by the fetching thread's deadline, and within 1 min. */
static int64_t fetch_deadline(int64_t now, int64_t caller_deadline_ms)
{
    int64_t cap = now > INT64_MAX - FETCH_BUDGET_MS ? INT64_MAX : now + FETCH_BUDGET_MS;
    return caller_deadline_ms > 0 && caller_deadline_ms < cap ? caller_deadline_ms : cap;
}

/* Parse {"access_token": ..., "expires_in": N|"N"} */
static dbx_status parse_token(dbx__pipeline *p, dbx__http_resp *resp, char **token, int64_t *ttl_ms)
{
    dbx__jdoc doc;
    dbx_status st = dbx__jdoc_parse_object(&doc, p->owner, &resp->body);
    if (st != DBX_OK) {
        dbx__error_prefix("token response");
        return st;
    }
    dbx__jv j = dbx__jdoc_root(&doc);
    const char *tok = dbx__jv_get_str(j, "access_token", NULL);
    int64_t expires_in = dbx__jv_get_int(j, "expires_in", -1);
    if (dbx__empty(tok)) {
        dbx__jdoc_dispose(&doc);
        return dbx__fail(p->owner, DBX_EBADRESPONSE, "token response has no access_token");
    }
    int64_t expires_on = expires_in < 0 ? dbx__jv_get_int(j, "expires_on", -1) : -1; /* epoch s (Entra v1) */
    *token = dbx__strdup(tok);
    *ttl_ms = dbx__token_ttl_ms(expires_in, expires_on, dbx__wall_ms());
    /* the document held the token too: wipe it before it goes */
    memset(doc.text, 0, doc.len);
    dbx__jdoc_dispose(&doc);
    return *token ? DBX_OK : dbx__fail(p->owner, DBX_ENOMEM, "out of memory");
}

/* POST a client-credentials form to a token endpoint and read the token.
 * Asking for a token twice is harmless, so the call is idempotent. */
static dbx_status request_token(dbx__pipeline *p, int64_t deadline_ms, const char *url, const char *form,
                                size_t form_len, const char *const *headers, const char *what, char **token,
                                int64_t *ttl_ms)
{
    dbx__http_resp resp;
    dbx__resp_init(&resp);
    dbx__call call = {0};
    call.method = "POST";
    call.path = url;
    call.body = form;
    call.body_len = form_len;
    call.content_type = "application/x-www-form-urlencoded";
    call.headers = headers;
    call.no_auth = 1;
    call.idempotent = 1;
    call.deadline_ms = deadline_ms;
    dbx_status st = dbx__pipeline_send(p, &call, &resp);
    if (st == DBX_OK)
        st = parse_token(p, &resp, token, ttl_ms);
    else
        st = token_failure(st, what);
    dbx__resp_dispose(&resp);
    return st;
}

/* GET a discovery document from the workspace, without credentials. On
 * failure resp is disposed and the error prefixed with `what`. */
static dbx_status discovery_get(dbx__pipeline *p, const char *path, int redirect_ok, int64_t deadline_ms,
                                const char *what, dbx__http_resp *resp)
{
    dbx__resp_init(resp);
    dbx__call call = {0};
    call.method = "GET";
    call.path = path;
    call.no_auth = 1;
    call.redirect_ok = redirect_ok;
    call.deadline_ms = deadline_ms;
    dbx_status st = dbx__pipeline_send(p, &call, resp);
    if (st != DBX_OK) {
        dbx__resp_dispose(resp);
        return token_failure(st, what);
    }
    return DBX_OK;
}

static dbx_status discover_m2m(dbx__auth *a, dbx__pipeline *p, int64_t deadline_ms)
{
    if (a->token_endpoint)
        return DBX_OK;
    dbx__http_resp resp;
    dbx_status st = discovery_get(p, "/oidc/.well-known/oauth-authorization-server", 0, deadline_ms,
                                  "oauth-m2m: OIDC discovery failed", &resp);
    if (st != DBX_OK)
        return st;
    dbx__jdoc doc;
    st = dbx__jdoc_parse_object(&doc, p->owner, &resp.body);
    dbx__resp_dispose(&resp);
    if (st != DBX_OK) {
        dbx__error_prefix("oauth-m2m: OIDC discovery");
        return st;
    }
    const char *ep = dbx__jv_get_str(dbx__jdoc_root(&doc), "token_endpoint", NULL);
    if (!ep || (strncmp(ep, "https://", 8) != 0 && strncmp(ep, "http://", 7) != 0)) {
        dbx__jdoc_dispose(&doc);
        return dbx__fail(p->owner, DBX_EBADRESPONSE, "oauth-m2m: OIDC discovery gave no token_endpoint");
    }
    if (!dbx__url_secure(ep)) {
        dbx__jdoc_dispose(&doc);
        return dbx__fail(p->owner, DBX_EBADRESPONSE,
                         "oauth-m2m: OIDC discovery gave a token_endpoint that is not https (plain http "
                         "is allowed only to a loopback host); the client credentials are not sent to it");
    }
    a->token_endpoint = dbx__strdup(ep);
    dbx__jdoc_dispose(&doc);
    return a->token_endpoint ? DBX_OK : dbx__fail(p->owner, DBX_ENOMEM, "out of memory");
}

static dbx_status fetch_m2m(dbx__auth *a, dbx__pipeline *p, int64_t deadline_ms, char **token,
                            int64_t *ttl_ms)
{
    dbx_status st = discover_m2m(a, p, deadline_ms);
    if (st != DBX_OK)
        return st;
    /* RFC 6749 2.3.1: id and secret are form-encoded, then base64 */
    dbx__buf cred = DBX__BUF_INIT, basic = DBX__BUF_INIT;
    dbx__buf_put_urlenc(&cred, a->client_id);
    dbx__buf_putc(&cred, ':');
    dbx__buf_put_urlenc(&cred, a->client_secret);
    if (!cred.oom && dbx__buf_puts(&basic, "Authorization: Basic ") == 0 &&
        dbx__buf_grow(&basic, 4 * ((cred.len + 2) / 3) + 1) == 0) {
        int n = EVP_EncodeBlock((unsigned char *)basic.ptr + basic.len, (const unsigned char *)cred.ptr,
                                (int)cred.len);
        basic.len += (size_t)n;
        basic.ptr[basic.len] = '\0';
    }
    if (cred.ptr)
        memset(cred.ptr, 0, cred.len);
    dbx__buf_dispose(&cred);
    if (basic.oom || !basic.ptr) {
        dbx__buf_dispose(&basic);
        return dbx__fail(p->owner, DBX_ENOMEM, "out of memory");
    }
    const char *headers[] = {basic.ptr, NULL};
    static const char form[] = "grant_type=client_credentials&scope=all-apis";
    st = request_token(p, deadline_ms, a->token_endpoint, form, sizeof form - 1, headers,
                       "oauth-m2m: token request failed", token, ttl_ms);
    memset(basic.ptr, 0, basic.len);
    dbx__buf_dispose(&basic);
    return st;
}

static dbx_status discover_tenant(dbx__auth *a, dbx__pipeline *p, int64_t deadline_ms)
{
    if (a->tenant_id)
        return DBX_OK;
    dbx__http_resp resp;
    dbx_status st = discovery_get(p, "/aad/auth", 1, deadline_ms, "azure-client-secret auth: tenant discovery failed",
                                  &resp);
    if (st != DBX_OK)
        return st;
    const char *loc = dbx__resp_header(&resp, "Location");
    /* https://login.microsoftonline.com/<tenant>/oauth2/authorize?... */
    const char *path = loc ? strstr(loc, "://") : NULL;
    path = path ? strchr(path + 3, '/') : NULL;
    if (!path || path[1] == '\0' || path[1] == '/') {
        dbx__resp_dispose(&resp);
        return dbx__fail(p->owner, DBX_ECONFIG,
                         "azure-client-secret auth: cannot discover the tenant from %s/aad/auth; set "
                         "azure_tenant_id (ARM_TENANT_ID)",
                         a->host);
    }
    path++;
    a->tenant_id = dbx__strndup(path, strcspn(path, "/?#"));
    dbx__resp_dispose(&resp);
    return a->tenant_id ? DBX_OK : dbx__fail(p->owner, DBX_ENOMEM, "out of memory");
}

static dbx_status fetch_azure(dbx__auth *a, dbx__pipeline *p, int64_t deadline_ms, char **token,
                              int64_t *ttl_ms)
{
    if (!dbx__url_secure(a->login_url))
        return dbx__fail(p->owner, DBX_ECONFIG,
                         "azure-client-secret auth: azure_login_url (AZURE_AUTHORITY_HOST) must be https (plain "
                         "http is allowed only to a loopback host); the client secret is not sent to it");
    dbx_status st = discover_tenant(a, p, deadline_ms);
    if (st != DBX_OK)
        return st;
    dbx__buf url = DBX__BUF_INIT, form = DBX__BUF_INIT;
    dbx__buf_printf(&url, "%s", a->login_url);
    dbx__buf_put_urlenc(&url, a->tenant_id);
    dbx__buf_puts(&url, "/oauth2/token");
    dbx__buf_puts(&form, "grant_type=client_credentials&client_id=");
    dbx__buf_put_urlenc(&form, a->client_id);
    dbx__buf_puts(&form, "&client_secret=");
    dbx__buf_put_urlenc(&form, a->client_secret);
    dbx__buf_puts(&form, "&resource=" AZURE_DATABRICKS_RESOURCE);
    if (url.oom || form.oom) {
        dbx__buf_dispose(&url);
        dbx__buf_dispose(&form);
        return dbx__fail(p->owner, DBX_ENOMEM, "out of memory");
    }
    st = request_token(p, deadline_ms, url.ptr, form.ptr, form.len, NULL,
                       "azure-client-secret auth: Entra ID token request failed", token, ttl_ms);
    memset(form.ptr, 0, form.len);
    dbx__buf_dispose(&form);
    dbx__buf_dispose(&url);
    if (st == DBX_OK)
        *ttl_ms -= AZURE_EARLY_EXPIRY_MS;
    return st;
}

static dbx_status fetch(dbx__auth *a, dbx__pipeline *p, int64_t deadline_ms, char **token, int64_t *ttl_ms)
{
    int64_t deadline = fetch_deadline(dbx__now_ms(), deadline_ms);
    dbx_status st = a->type == DBX_AUTH_OAUTH_M2M ? fetch_m2m(a, p, deadline, token, ttl_ms)
                                                  : fetch_azure(a, p, deadline, token, ttl_ms);
    if (st == DBX_OK)
        dbx__log(&p->log, DBX_LOG_DEBUG, DBX_LOGCAT_AUTH, "%s auth: new access token, valid for %lld s",
                 dbx__auth_type_name(a->type), (long long)(*ttl_ms / 1000));
    return st;
}

/* ---- one fetch, its outcome shared ------------------------------------------------- */

static void copy_str(char *dst, size_t cap, const char *src) { snprintf(dst, cap, "%s", src ? src : ""); }

/* Keep this thread's error record (the failed fetch's). */
static void failure_save(fetch_failure *f, dbx_status st)
{
    const dbx_error *e = dbx__error_current();
    f->status = st;
    f->http_status = e->http_status;
    f->transport_code = e->transport_code;
    f->attempts = e->attempts;
    f->retry_after_ms = e->retry_after_ms;
    copy_str(f->message, sizeof f->message, e->message);
    copy_str(f->error_code, sizeof f->error_code, e->error_code);
    copy_str(f->request_id, sizeof f->request_id, e->request_id);
    copy_str(f->method, sizeof f->method, e->method);
    copy_str(f->path, sizeof f->path, e->path);
}

/* Make it this thread's error record too. */
static dbx_status failure_replay(const fetch_failure *f, const void *owner)
{
    dbx__fail(owner, f->status, "%s", f->message);
    dbx__error_set_request(f->method, f->path);
    dbx__error_set_http(f->http_status, f->error_code, f->request_id);
    dbx__error_set_transport(f->transport_code);
    dbx__error_set_attempts(f->attempts, f->retry_after_ms);
    return f->status;
}

static int token_valid(const dbx__auth *a, int64_t now) { return a->access_token && now < a->expiry_ms; }

/* An absolute CLOCK_MONOTONIC time `ms` from now (at most a day). */
static struct timespec monotonic_after(int64_t ms)
{
    struct timespec ts;
    if (ms > 24LL * 3600 * 1000)
        ms = 24LL * 3600 * 1000;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += (time_t)(ms / 1000);
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

/* mu held, another thread fetching, no valid token: wait for that fetch to
 * end, until this thread's deadline. DBX_OK: look at the token again. */
static dbx_status wait_for_fetch(dbx__auth *a, dbx__pipeline *p, int64_t deadline_ms)
{
    const uint64_t gen = a->fetches;
    while (a->fetches == gen) {
        int64_t left = deadline_ms - dbx__now_ms();
        if (left <= 0)
            return dbx__fail(p->owner, DBX_ETIMEOUT,
                             "%s auth: timed out waiting for the token refresh that another thread is making",
                             dbx__auth_type_name(a->type));
        struct timespec until = monotonic_after(left);
        pthread_cond_timedwait(&a->cv, &a->mu, &until);
    }
    if (!token_valid(a, dbx__now_ms()) && a->failure.status != DBX_OK)
        return failure_replay(&a->failure, p->owner);
    return DBX_OK;
}

/* mu held: fetch a token with mu released, publish the outcome, wake the
 * waiters. DBX_OK when a valid token is in place (a new one, or the old
 * one after a failed proactive refresh). */
static dbx_status refresh(dbx__auth *a, dbx__pipeline *p, int64_t deadline_ms)
{
    a->refreshing = 1;
    pthread_mutex_unlock(&a->mu);
    char *tok = NULL;
    int64_t ttl = 0;
    dbx_status st = fetch(a, p, deadline_ms, &tok, &ttl);
    pthread_mutex_lock(&a->mu);
    int64_t now = dbx__now_ms();
    a->refreshing = 0;
    a->fetches++;
    if (st == DBX_OK) {
        wipe_free(a->access_token);
        a->access_token = tok;
        token_schedule(now, ttl, &a->expiry_ms, &a->refresh_at_ms);
        a->cooldown_until_ms = now;
        a->failure.status = DBX_OK;
    } else {
        failure_save(&a->failure, st);
        if (token_valid(a, now)) {
            a->cooldown_until_ms = now + REFRESH_COOLDOWN_MS;
            dbx__log(&p->log, DBX_LOG_WARN, DBX_LOGCAT_AUTH,
                     "%s auth: proactive token refresh failed (%s); using the current token, next try in %d s",
                     dbx__auth_type_name(a->type), a->failure.message, REFRESH_COOLDOWN_MS / 1000);
            dbx__error_clear(p->owner); /* the call goes on and may well succeed */
            st = DBX_OK;
        }
    }
    pthread_cond_broadcast(&a->cv);
    return st;
}

static int put_bearer(dbx__buf *line, const char *token)
{
    /* appended, not formatted: this runs on every request */
    dbx__buf_put(line, "Authorization: Bearer ", 22);
    return dbx__buf_puts(line, token);
}

dbx_status dbx__auth_header(dbx__auth *a, dbx__pipeline *p, int64_t deadline_ms, dbx__buf *line)
{
    if (a->type == DBX_AUTH_PAT)
        return put_bearer(line, a->token) == 0 ? DBX_OK : dbx__fail(p->owner, DBX_ENOMEM, "out of memory");
    if (a->type != DBX_AUTH_OAUTH_M2M && a->type != DBX_AUTH_AZURE_CLIENT_SECRET)
        return DBX_OK;
    if (deadline_ms <= 0)
        deadline_ms = fetch_deadline(dbx__now_ms(), 0);

    pthread_mutex_lock(&a->mu);
    dbx_status st = DBX_OK;
    for (;;) {
        int64_t now = dbx__now_ms();
        if (token_valid(a, now) &&
            (now < a->refresh_at_ms || now < a->cooldown_until_ms || a->refreshing))
            break; /* fresh; or stale but valid while cooling down or while another thread refreshes */
        if (a->refreshing) { /* and nothing valid left: wait for that fetch */
            st = wait_for_fetch(a, p, deadline_ms);
            if (st != DBX_OK)
                break;
            continue;
        }
        st = refresh(a, p, deadline_ms);
        break;
    }
    int rc = st == DBX_OK ? put_bearer(line, a->access_token) : 0;
    pthread_mutex_unlock(&a->mu);
    if (rc != 0)
        st = dbx__fail(p->owner, DBX_ENOMEM, "out of memory");
    return st;
}
