/* libdbx: client lifecycle, options, global init, version. */
#include <curl/curl.h>
#include <jansson.h>
#include <openssl/opensslv.h>
#include <pthread.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>

#include "client_impl.h"
#include "dbx/version.h"

/* ---- version ------------------------------------------------------------- */

DBX_API void dbx_version(int *major, int *minor, int *patch)
{
    if (major)
        *major = DBX_VERSION_MAJOR;
    if (minor)
        *minor = DBX_VERSION_MINOR;
    if (patch)
        *patch = DBX_VERSION_PATCH;
}

DBX_API const char *dbx_version_str(void) { return DBX_VERSION; }

static char details[256];
static pthread_once_t details_once = PTHREAD_ONCE_INIT;

static void make_details(void)
{
    curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
    snprintf(details, sizeof details, "libdbx/%s libcurl/%s %s jansson/%s", DBX_VERSION,
             v && v->version ? v->version : "?", v && v->ssl_version ? v->ssl_version : "no-tls",
             jansson_version_str());
}

DBX_API const char *dbx_version_details(void)
{
    pthread_once(&details_once, make_details);
    return details;
}

/* ---- global init ------------------------------------------------------------ */

static pthread_mutex_t global_mu = PTHREAD_MUTEX_INITIALIZER;
static int global_refs;

DBX_API dbx_status dbx_global_init(void)
{
    dbx_status st = DBX_OK;
    dbx__error_clear(NULL);
    pthread_mutex_lock(&global_mu);
    if (global_refs == 0 && curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        st = dbx__fail(NULL, DBX_ETRANSPORT, "libcurl global initialisation failed");
    else
        global_refs++;
    pthread_mutex_unlock(&global_mu);
    return st;
}

DBX_API void dbx_global_cleanup(void)
{
    pthread_mutex_lock(&global_mu);
    if (global_refs > 0 && --global_refs == 0)
        curl_global_cleanup();
    pthread_mutex_unlock(&global_mu);
}

/* ---- options ---------------------------------------------------------------- */

DBX_API dbx_status dbx_client_options_init(dbx_client_options *opts, unsigned int version)
{
    dbx__error_clear(NULL);
    if (!opts)
        return dbx__fail(NULL, DBX_EINVAL, "opts is NULL");
    if (version == 0 || version > DBX_CLIENT_OPTIONS_VERSION)
        return dbx__fail(NULL, DBX_EINVAL, "dbx_client_options version %u is not supported by libdbx %s "
                                           "(built against newer headers?)", version, DBX_VERSION);
    /* clear only the fields of that version: a caller built against older
     * headers has a smaller struct */
    memset(opts, 0, version >= 3   ? sizeof *opts
                    : version == 2 ? offsetof(dbx_client_options, registry_uri)
                                   : offsetof(dbx_client_options, max_response_bytes));
    opts->version = version;
    return DBX_OK;
}

DBX_API dbx_status dbx_wait_options_init(dbx_wait_options *opts, unsigned int version)
{
    dbx__error_clear(NULL);
    if (!opts)
        return dbx__fail(NULL, DBX_EINVAL, "opts is NULL");
    if (version == 0 || version > DBX_WAIT_OPTIONS_VERSION)
        return dbx__fail(NULL, DBX_EINVAL, "dbx_wait_options version %u is not supported", version);
    memset(opts, 0, sizeof *opts);
    opts->version = version;
    return DBX_OK;
}

typedef enum { K_STR, K_LONG, K_INT, K_BOOL, K_SECONDS, K_AUTH, K_LOG, K_SIZE } kind;

typedef struct opt_key {
    const char *key;
    kind k;
    size_t off;
} opt_key;

#define OFF(f) offsetof(dbx_client_options, f)
static const opt_key opt_keys[] = {
    {"host", K_STR, OFF(host)},
    {"token", K_STR, OFF(token)},
    {"client_id", K_STR, OFF(client_id)},
    {"client_secret", K_STR, OFF(client_secret)},
    {"azure_client_id", K_STR, OFF(azure_client_id)},
    {"azure_client_secret", K_STR, OFF(azure_client_secret)},
    {"azure_tenant_id", K_STR, OFF(azure_tenant_id)},
    {"azure_environment", K_STR, OFF(azure_environment)},
    {"azure_login_url", K_STR, OFF(azure_login_url)},
    {"profile", K_STR, OFF(profile)},
    {"config_file", K_STR, OFF(config_file)},
    {"ca_bundle", K_STR, OFF(ca_bundle)},
    {"proxy", K_STR, OFF(proxy)},
    {"product", K_STR, OFF(product)},
    {"auth_type", K_AUTH, OFF(auth_type)},
    {"log_level", K_LOG, OFF(log_level)},
    {"http_timeout_ms", K_LONG, OFF(http_timeout_ms)},
    {"connect_timeout_ms", K_LONG, OFF(connect_timeout_ms)},
    {"retry_timeout_ms", K_LONG, OFF(retry_timeout_ms)},
    {"retry_initial_delay_ms", K_LONG, OFF(retry_initial_delay_ms)},
    {"retry_max_delay_ms", K_LONG, OFF(retry_max_delay_ms)},
    {"http_timeout_seconds", K_SECONDS, OFF(http_timeout_ms)},
    {"retry_timeout_seconds", K_SECONDS, OFF(retry_timeout_ms)},
    {"max_attempts", K_INT, OFF(max_attempts)},
    {"skip_verify", K_BOOL, OFF(insecure_skip_verify)},
    {"insecure_skip_verify", K_BOOL, OFF(insecure_skip_verify)},
    {"no_env", K_BOOL, OFF(no_env)},
    {"no_config_file", K_BOOL, OFF(no_config_file)},
    {"max_response_bytes", K_SIZE, OFF(max_response_bytes)},
    {"insecure_allow_http", K_BOOL, OFF(insecure_allow_http)},
    /* version 3 */
    {"registry_uri", K_STR, OFF(registry_uri)},
    {"mlflow_retry_timeout_ms", K_LONG, OFF(mlflow_retry_timeout_ms)},
    {"mlflow_retry_initial_delay_ms", K_LONG, OFF(mlflow_retry_initial_delay_ms)},
    {"mlflow_retry_max_delay_ms", K_LONG, OFF(mlflow_retry_max_delay_ms)},
};
#define N_OPT_KEYS (sizeof opt_keys / sizeof *opt_keys)

typedef struct owned_strings {
    char *vals[N_OPT_KEYS];
} owned_strings;

DBX_API dbx_status dbx_client_options_set(dbx_client_options *o, const char *key, const char *value)
{
    dbx__error_clear(NULL);
    if (!o || !key)
        return dbx__fail(NULL, DBX_EINVAL, "opts and key are required");
    if (o->version == 0 || o->version > DBX_CLIENT_OPTIONS_VERSION)
        return dbx__fail(NULL, DBX_EINVAL, "opts is not initialised (use dbx_client_options_init)");
    size_t i;
    for (i = 0; i < N_OPT_KEYS; i++)
        if (strcmp(opt_keys[i].key, key) == 0)
            break;
    if (i == N_OPT_KEYS)
        return dbx__fail(NULL, DBX_EINVAL, "unknown client option '%.64s'", key);
    char *base = (char *)o;
    const opt_key *k = &opt_keys[i];
    long num = 0;
    /* a field the caller's struct does not have must never be written */
    if (k->off >= OFF(max_response_bytes) && o->version < 2)
        return dbx__fail(NULL, DBX_EINVAL, "client option '%s' needs dbx_client_options version 2", key);
    if (k->off >= OFF(registry_uri) && o->version < 3)
        return dbx__fail(NULL, DBX_EINVAL, "client option '%s' needs dbx_client_options version 3", key);
    switch (k->k) {
    case K_STR: {
        owned_strings *own = o->_owned;
        if (!own) {
            if (!(own = dbx__calloc(1, sizeof *own)))
                return dbx__fail(NULL, DBX_ENOMEM, "out of memory");
            o->_owned = own;
        }
        char *copy = NULL;
        if (value && !(copy = dbx__strdup(value)))
            return dbx__fail(NULL, DBX_ENOMEM, "out of memory");
        dbx__free(own->vals[i]);
        own->vals[i] = copy;
        *(const char **)(base + k->off) = copy;
        return DBX_OK;
    }
    case K_LONG:
    case K_SECONDS:
    case K_INT:
        if (!value) {
            num = 0;
        } else if (dbx__parse_long(value, &num) != 0 || num < 0 || (k->k == K_SECONDS && num > 86400L * 365)) {
            return dbx__fail(NULL, DBX_EINVAL, "client option '%s' needs a non-negative integer", key);
        }
        if (k->k == K_SECONDS)
            num *= 1000;
        if (k->k == K_INT) {
            if (num > 1000000)
                return dbx__fail(NULL, DBX_EINVAL, "client option '%s' is out of range", key);
            *(int *)(base + k->off) = (int)num;
        } else {
            *(long *)(base + k->off) = num;
        }
        return DBX_OK;
    case K_SIZE: {
        long long v = 0;
        char *end = NULL;
        if (value) {
            errno = 0;
            v = strtoll(value, &end, 10);
            while (end && isspace((unsigned char)*end))
                end++;
        }
        if (value && (errno || end == value || *end || v < 0 || v > DBX_MAX_RESPONSE_BYTES_LIMIT))
            return dbx__fail(NULL, DBX_EINVAL, "client option '%s' needs a byte count from 0 to %lld", key,
                             (long long)DBX_MAX_RESPONSE_BYTES_LIMIT);
        *(long long *)(base + k->off) = v;
        return DBX_OK;
    }
    case K_BOOL: {
        int b = dbx__parse_bool(value);
        if (b < 0)
            return dbx__fail(NULL, DBX_EINVAL, "client option '%s' needs true or false", key);
        *(int *)(base + k->off) = b;
        return DBX_OK;
    }
    case K_AUTH: {
        static const struct {
            const char *name;
            dbx_auth_type t;
        } names[] = {{"", DBX_AUTH_AUTO},
                     {"default", DBX_AUTH_AUTO},
                     {"pat", DBX_AUTH_PAT},
                     {"oauth-m2m", DBX_AUTH_OAUTH_M2M},
                     {"azure-client-secret", DBX_AUTH_AZURE_CLIENT_SECRET},
                     {"none", DBX_AUTH_NONE}};
        for (size_t j = 0; j < sizeof names / sizeof *names; j++) {
            if (strcmp(value ? value : "", names[j].name) == 0) {
                o->auth_type = names[j].t;
                return DBX_OK;
            }
        }
        return dbx__fail(NULL, DBX_EINVAL,
                         "auth_type must be pat, oauth-m2m, azure-client-secret, none or default");
    }
    case K_LOG: {
        dbx_log_level l = dbx__log_level_parse(value);
        if ((int)l < 0)
            return dbx__fail(NULL, DBX_EINVAL, "log_level must be off, error, warn, info, debug or trace");
        o->log_level = l;
        return DBX_OK;
    }
    }
    return dbx__fail(NULL, DBX_EINVAL, "unknown client option");
}

DBX_API void dbx_client_options_dispose(dbx_client_options *o)
{
    if (!o || !o->_owned)
        return;
    owned_strings *own = o->_owned;
    char *base = (char *)o;
    for (size_t i = 0; i < N_OPT_KEYS; i++) {
        if (own->vals[i]) {
            if (*(const char **)(base + opt_keys[i].off) == own->vals[i])
                *(const char **)(base + opt_keys[i].off) = NULL;
            if (dbx__is_secret_name(opt_keys[i].key, strlen(opt_keys[i].key)))
                memset(own->vals[i], 0, strlen(own->vals[i]));
            dbx__free(own->vals[i]);
        }
    }
    dbx__free(own);
    o->_owned = NULL;
}

DBX_API dbx_status dbx_client_options_new(dbx_client_options **out)
{
    dbx__error_clear(NULL);
    if (!out)
        return dbx__fail(NULL, DBX_EINVAL, "out is NULL");
    *out = dbx__malloc(sizeof **out);
    if (!*out)
        return dbx__fail(NULL, DBX_ENOMEM, "out of memory");
    return dbx_client_options_init(*out, DBX_CLIENT_OPTIONS_VERSION);
}

DBX_API void dbx_client_options_free(dbx_client_options *opts)
{
    if (!opts)
        return;
    dbx_client_options_dispose(opts);
    dbx__free(opts);
}

DBX_API dbx_status dbx_client_options_set_log(dbx_client_options *opts, dbx_log_fn fn, void *payload)
{
    dbx__error_clear(NULL);
    if (!opts || opts->version == 0 || opts->version > DBX_CLIENT_OPTIONS_VERSION)
        return dbx__fail(NULL, DBX_EINVAL, "opts is NULL or not initialised (use dbx_client_options_init)");
    opts->log_fn = fn;
    opts->log_payload = fn ? payload : NULL;
    return DBX_OK;
}

DBX_API dbx_status dbx_client_options_set_throttle(dbx_client_options *opts, dbx_throttle_fn fn,
                                                   void *payload)
{
    dbx__error_clear(NULL);
    if (!opts || opts->version == 0 || opts->version > DBX_CLIENT_OPTIONS_VERSION)
        return dbx__fail(NULL, DBX_EINVAL, "opts is NULL or not initialised (use dbx_client_options_init)");
    if (opts->version < 3)
        return dbx__fail(NULL, DBX_EINVAL, "the throttle callback needs dbx_client_options version 3");
    opts->throttle_fn = fn;
    opts->throttle_payload = fn ? payload : NULL;
    return DBX_OK;
}

/* ---- client ------------------------------------------------------------------ */

const char *dbx__client_registry_uri(const dbx_client *c)
{
    return c && !dbx__empty(c->vals[A_REGISTRY_URI]) ? c->vals[A_REGISTRY_URI] : NULL;
}

dbx_client *dbx__client_ref(dbx_client *c)
{
    atomic_fetch_add(&c->refs, 1);
    return c;
}

static void client_destroy(dbx_client *c)
{
    if (c->pipe.tx)
        c->pipe.tx->destroy(c->pipe.tx);
    dbx__auth_free(c->pipe.auth);
    dbx__free(c->pipe.cfg.user_agent_header);
    dbx__serving_targets_free(c);
    pthread_mutex_destroy(&c->serving_mu);
    pthread_cond_destroy(&c->serving_cv);
    /* pipe.cfg.host aliases vals[A_HOST] */
    for (int a = 0; a < A_COUNT; a++) {
        if (c->vals[a] && dbx__attrs[a].sensitive)
            memset(c->vals[a], 0, strlen(c->vals[a]));
        dbx__free(c->vals[a]);
    }
    dbx__free(c);
    dbx_global_cleanup();
}

void dbx__client_unref(dbx_client *c)
{
    if (c && atomic_fetch_sub(&c->refs, 1) == 1)
        client_destroy(c);
}

DBX_API void dbx_client_free(dbx_client *client) { dbx__client_unref(client); }

/* The first of two environment variables that is set and not empty. */
static const char *first_env(const char *a, const char *b)
{
    const char *v = getenv(a);
    if (dbx__empty(v) && b)
        v = getenv(b);
    return dbx__empty(v) ? NULL : v;
}

static long pick_ms(long explicit_ms, const char *seconds_attr, long dflt)
{
    long v;
    if (explicit_ms > 0)
        return explicit_ms;
    if (!dbx__empty(seconds_attr) && dbx__parse_long(seconds_attr, &v) == 0 && v > 0)
        return v * 1000;
    return dflt;
}

static const char *azure_login_for(const char *env)
{
    if (dbx__empty(env) || dbx__strcasecmp(env, "PUBLIC") == 0 || dbx__strcasecmp(env, "AzurePublicCloud") == 0)
        return "https://login.microsoftonline.com/";
    if (dbx__strcasecmp(env, "USGOVERNMENT") == 0 || dbx__strcasecmp(env, "AzureUSGovernmentCloud") == 0)
        return "https://login.microsoftonline.us/";
    if (dbx__strcasecmp(env, "CHINA") == 0 || dbx__strcasecmp(env, "AzureChinaCloud") == 0)
        return "https://login.chinacloudapi.cn/";
    return NULL;
}

DBX_API dbx_status dbx_client_new(dbx_client **out, const dbx_client_options *o)
{
    dbx__error_clear(NULL);
    if (!out)
        return dbx__fail(NULL, DBX_EINVAL, "out is NULL");
    *out = NULL;
    if (o && (o->version == 0 || o->version > DBX_CLIENT_OPTIONS_VERSION))
        return dbx__fail(NULL, DBX_EINVAL,
                         "dbx_client_options version %u is not supported by libdbx %s "
                         "(initialise with DBX_CLIENT_OPTIONS_INIT)",
                         o->version, DBX_VERSION);
    dbx_status st = dbx_global_init();
    if (st != DBX_OK)
        return st;
    dbx_client *c = dbx__calloc(1, sizeof *c);
    if (!c) {
        dbx_global_cleanup();
        return dbx__fail(NULL, DBX_ENOMEM, "out of memory");
    }
    atomic_init(&c->refs, 1);
    pthread_mutex_init(&c->serving_mu, NULL);
    pthread_cond_init(&c->serving_cv, NULL);
    st = dbx__config_resolve(c, o);
    if (st != DBX_OK)
        goto fail;

    /* logging */
    dbx__logger *lg = &c->pipe.log;
    lg->fn = o ? o->log_fn : NULL;
    lg->payload = o ? o->log_payload : NULL;
    lg->level = o && o->log_level ? o->log_level : DBX_LOG_OFF;
    if (!lg->level && c->vals[A_LOG_LEVEL]) {
        dbx_log_level l = dbx__log_level_parse(c->vals[A_LOG_LEVEL]);
        if ((int)l < 0) {
            st = dbx__fail(NULL, DBX_ECONFIG, "log_level must be off, error, warn, info, debug or trace");
            goto fail;
        }
        lg->level = l;
    }

    /* credentials cross the network only encrypted: plain http is for loopback */
    if (c->auth_type != DBX_AUTH_NONE && !dbx__url_secure(c->vals[A_HOST]) &&
        !(o && o->version >= 2 && o->insecure_allow_http)) {
        st = dbx__fail(NULL, DBX_ECONFIG,
                       "host: plain http:// to a host that is not loopback would send credentials in clear; "
                       "use https:// (or set insecure_allow_http)");
        goto fail;
    }

    /* pipeline configuration */
    dbx__pipeline_config *pc = &c->pipe.cfg;
    pc->host = c->vals[A_HOST];
    pc->http_timeout_ms = pick_ms(o ? o->http_timeout_ms : 0, c->vals[A_HTTP_TIMEOUT_SECONDS], 60000);
    pc->retry_timeout_ms = pick_ms(o ? o->retry_timeout_ms : 0, c->vals[A_RETRY_TIMEOUT_SECONDS], 300000);
    pc->connect_timeout_ms = o && o->connect_timeout_ms > 0 ? o->connect_timeout_ms : 30000;
    pc->retry_initial_delay_ms = o && o->retry_initial_delay_ms > 0 ? o->retry_initial_delay_ms : 1000;
    pc->retry_max_delay_ms = o && o->retry_max_delay_ms > 0 ? o->retry_max_delay_ms : 10000;
    pc->max_attempts = o && o->max_attempts > 0 ? o->max_attempts : DBX_DEFAULT_MAX_ATTEMPTS;
    /* MLflow endpoints are rate-limited per workspace (7 qps for experiment
     * management and runs/search): their calls wait 429s out longer */
    int v3 = o && o->version >= 3;
    c->mlflow_retry.timeout_ms = v3 && o->mlflow_retry_timeout_ms > 0 ? o->mlflow_retry_timeout_ms : 900000;
    c->mlflow_retry.initial_delay_ms =
        v3 && o->mlflow_retry_initial_delay_ms > 0 ? o->mlflow_retry_initial_delay_ms : 2000;
    c->mlflow_retry.max_delay_ms = v3 && o->mlflow_retry_max_delay_ms > 0 ? o->mlflow_retry_max_delay_ms : 60000;
    /* the budget bounds the attempts; an explicit max_attempts still rules */
    c->mlflow_retry.max_attempts = o && o->max_attempts > 0 ? o->max_attempts : 1000;
    c->mlflow_retry.warn_throttle = 1;
    pc->throttle_fn = v3 ? o->throttle_fn : NULL;
    pc->throttle_payload = v3 ? o->throttle_payload : NULL;
    long long mrb = o && o->version >= 2 ? o->max_response_bytes : 0;
    if (mrb < 0 || mrb > DBX_MAX_RESPONSE_BYTES_LIMIT) {
        st = dbx__fail(NULL, DBX_EINVAL, "max_response_bytes must be 0 (default) to %lld",
                       (long long)DBX_MAX_RESPONSE_BYTES_LIMIT);
        goto fail;
    }
    pc->max_response_bytes = (size_t)(mrb ? mrb : DBX_DEFAULT_MAX_RESPONSE_BYTES);
    curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);
    const char *product = c->vals[A_PRODUCT];
    pc->user_agent_header = dbx__sprintf("User-Agent: libdbx/%s libcurl/%s os/linux auth/%s%s%s", DBX_VERSION,
                                  cv && cv->version ? cv->version : "?", dbx__auth_type_name(c->auth_type),
                                  product ? " " : "", product ? product : "");
    if (!pc->user_agent_header) {
        st = dbx__fail(NULL, DBX_ENOMEM, "out of memory");
        goto fail;
    }

    /* transport */
    int insecure = 0;
    if (c->vals[A_SKIP_VERIFY]) {
        insecure = dbx__parse_bool(c->vals[A_SKIP_VERIFY]);
        if (insecure < 0) {
            st = dbx__fail(NULL, DBX_ECONFIG, "skip_verify must be true or false");
            goto fail;
        }
    }
    /* proxies: the option, else the variables libcurl would read on every
     * request (https_proxy / HTTPS_PROXY, http_proxy (lower case only, as
     * libcurl), all_proxy / ALL_PROXY, no_proxy / NO_PROXY), read once here */
    int env = !(o && o->no_env);
    const char *all = env ? first_env("all_proxy", "ALL_PROXY") : NULL;
    const char *px_https = c->vals[A_PROXY], *px_http = c->vals[A_PROXY];
    if (!px_https && env) {
        px_https = first_env("https_proxy", "HTTPS_PROXY");
        px_http = first_env("http_proxy", NULL);
        px_https = px_https ? px_https : all;
        px_http = px_http ? px_http : all;
    }
    const char *noproxy = env ? first_env("no_proxy", "NO_PROXY") : NULL;
    dbx__curl_options co = {c->vals[A_CA_BUNDLE], insecure, px_https, px_http, noproxy, 0};
    char err[128] = "";
    c->pipe.tx = dbx__transport_curl_new(&co, err, sizeof err);
    if (!c->pipe.tx) {
        st = dbx__fail(NULL, DBX_ENOMEM, "cannot create the transport: %s", err);
        goto fail;
    }
    if (insecure)
        dbx__log(lg, DBX_LOG_WARN, DBX_LOGCAT_GENERAL, "TLS certificate verification is disabled (skip_verify)");

    /* auth */
    if (c->auth_type != DBX_AUTH_NONE) {
        const char *login = c->vals[A_AZURE_LOGIN_URL];
        char *login_owned = NULL;
        if (c->auth_type == DBX_AUTH_AZURE_CLIENT_SECRET) {
            if (dbx__empty(login)) {
                login = azure_login_for(c->vals[A_AZURE_ENVIRONMENT]);
                if (!login) {
                    st = dbx__fail(NULL, DBX_ECONFIG,
                                   "azure_environment must be PUBLIC, USGOVERNMENT or CHINA");
                    goto fail;
                }
            } else if (login[strlen(login) - 1] != '/') {
                login = login_owned = dbx__sprintf("%s/", login);
                if (!login_owned) {
                    st = dbx__fail(NULL, DBX_ENOMEM, "out of memory");
                    goto fail;
                }
            }
        }
        dbx__auth_config ac = {c->auth_type, c->vals[A_HOST], c->vals[A_TOKEN],
                               c->auth_type == DBX_AUTH_AZURE_CLIENT_SECRET ? c->vals[A_AZURE_CLIENT_ID] : c->vals[A_CLIENT_ID],
                               c->auth_type == DBX_AUTH_AZURE_CLIENT_SECRET ? c->vals[A_AZURE_CLIENT_SECRET] : c->vals[A_CLIENT_SECRET],
                               c->vals[A_AZURE_TENANT_ID], login};
        c->pipe.auth = dbx__auth_new(&ac);
        dbx__free(login_owned);
        if (!c->pipe.auth) {
            st = dbx__fail(NULL, DBX_ENOMEM, "out of memory");
            goto fail;
        }
    }
    c->pipe.owner = c;
    dbx__pipeline_prepare(&c->pipe);
    dbx__log(lg, DBX_LOG_DEBUG, DBX_LOGCAT_GENERAL, "client for %s, auth %s (host from %s)", c->vals[A_HOST],
             dbx__auth_type_name(c->auth_type), c->src[A_HOST]);
    dbx__error_clear(NULL);
    *out = c;
    return DBX_OK;
fail:
    client_destroy(c);
    return st;
}

DBX_API const char *dbx_client_host(const dbx_client *client) { return client ? client->vals[A_HOST] : NULL; }

DBX_API const char *dbx_client_auth_type(const dbx_client *client)
{
    return client ? dbx__auth_type_name(client->auth_type) : NULL;
}

DBX_API const char *dbx_client_config_source(const dbx_client *client, const char *key)
{
    if (!client || !key)
        return NULL;
    for (int a = 0; a < A_COUNT; a++)
        if (strcmp(dbx__attrs[a].key, key) == 0)
            return client->src[a];
    return NULL;
}
