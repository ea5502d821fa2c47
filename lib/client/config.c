/*
 * libdbx internal: configuration resolution, as the official SDKs do it.
 * explicit options > environment > config file profile; host normalised;
 * one auth method chosen; every error names the attribute, never a value.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "client_impl.h"

const dbx__attr dbx__attrs[A_COUNT] = {
    [A_HOST] = {"host", "DATABRICKS_HOST", 0},
    [A_TOKEN] = {"token", "DATABRICKS_TOKEN", 1},
    [A_CLIENT_ID] = {"client_id", "DATABRICKS_CLIENT_ID", 0},
    [A_CLIENT_SECRET] = {"client_secret", "DATABRICKS_CLIENT_SECRET", 1},
    [A_AZURE_CLIENT_ID] = {"azure_client_id", "ARM_CLIENT_ID", 0},
    [A_AZURE_CLIENT_SECRET] = {"azure_client_secret", "ARM_CLIENT_SECRET", 1},
    [A_AZURE_TENANT_ID] = {"azure_tenant_id", "ARM_TENANT_ID", 0},
    [A_AZURE_ENVIRONMENT] = {"azure_environment", "ARM_ENVIRONMENT", 0},
    [A_AZURE_LOGIN_URL] = {"azure_login_url", "AZURE_AUTHORITY_HOST", 0},
    [A_AUTH_TYPE] = {"auth_type", "DATABRICKS_AUTH_TYPE", 0},
    [A_PROFILE] = {"profile", "DATABRICKS_CONFIG_PROFILE", 0},
    [A_CONFIG_FILE] = {"config_file", "DATABRICKS_CONFIG_FILE", 0},
    [A_HTTP_TIMEOUT_SECONDS] = {"http_timeout_seconds", "DATABRICKS_HTTP_TIMEOUT_SECONDS", 0},
    [A_RETRY_TIMEOUT_SECONDS] = {"retry_timeout_seconds", "DATABRICKS_RETRY_TIMEOUT_SECONDS", 0},
    [A_SKIP_VERIFY] = {"skip_verify", "DATABRICKS_SKIP_VERIFY", 0},
    [A_CA_BUNDLE] = {"ca_bundle", "DATABRICKS_CA_BUNDLE", 0},
    [A_PROXY] = {"proxy", NULL, 0},
    [A_PRODUCT] = {"product", NULL, 0},
    [A_LOG_LEVEL] = {"log_level", "DBX_LOG", 0},
    [A_REGISTRY_URI] = {"registry_uri", "MLFLOW_REGISTRY_URI", 0},
};

static const char *explicit_value(const dbx_client_options *o, int a)
{
    if (!o)
        return NULL;
    switch (a) {
    case A_HOST: return o->host;
    case A_TOKEN: return o->token;
    case A_CLIENT_ID: return o->client_id;
    case A_CLIENT_SECRET: return o->client_secret;
    case A_AZURE_CLIENT_ID: return o->azure_client_id;
    case A_AZURE_CLIENT_SECRET: return o->azure_client_secret;
    case A_AZURE_TENANT_ID: return o->azure_tenant_id;
    case A_AZURE_ENVIRONMENT: return o->azure_environment;
    case A_AZURE_LOGIN_URL: return o->azure_login_url;
    case A_AUTH_TYPE: return o->auth_type != DBX_AUTH_AUTO ? dbx__auth_type_name(o->auth_type) : NULL;
    case A_PROFILE: return o->profile;
    case A_CONFIG_FILE: return o->config_file;
    case A_SKIP_VERIFY: return o->insecure_skip_verify ? "true" : NULL;
    case A_CA_BUNDLE: return o->ca_bundle;
    case A_PROXY: return o->proxy;
    case A_PRODUCT: return o->product;
    case A_REGISTRY_URI: return o->version >= 3 ? o->registry_uri : NULL;
    default: return NULL;
    }
}

static int set_val(dbx_client *c, int a, const char *v, const char *src)
{
    char *d = dbx__strdup(v);
    if (!d)
        return -1;
    dbx__free(c->vals[a]);
    c->vals[a] = d;
    c->src[a] = src;
    return 0;
}

static int has(const dbx_client *c, int a) { return !dbx__empty(c->vals[a]); }

static int credentials_given(const dbx_client *c)
{
    return has(c, A_TOKEN) || (has(c, A_CLIENT_ID) && has(c, A_CLIENT_SECRET)) ||
           (has(c, A_AZURE_CLIENT_ID) && has(c, A_AZURE_CLIENT_SECRET));
}

static dbx_status load_config_file(dbx_client *c, const dbx_client_options *o)
{
    int named = has(c, A_PROFILE);
    if (o && o->no_config_file)
        return DBX_OK;
    /* The SDKs' rule: no profile named and host + credentials complete -> skip the file. */
    if (!named && has(c, A_HOST) && credentials_given(c))
        return DBX_OK;
    char *path = NULL;
    if (has(c, A_CONFIG_FILE)) {
        const char *f = c->vals[A_CONFIG_FILE];
        if (f[0] == '~' && (f[1] == '/' || f[1] == '\0') && getenv("HOME"))
            path = dbx__sprintf("%s%s", getenv("HOME"), f + 1);
        else
            path = dbx__strdup(f);
    } else {
        const char *home = getenv("HOME");
        if (!home)
            return named ? dbx__fail(NULL, DBX_ECONFIG,
                                     "profile '%s' was named but HOME is not set to find ~/.databrickscfg",
                                     c->vals[A_PROFILE])
                         : DBX_OK;
        path = dbx__sprintf("%s/.databrickscfg", home);
    }
    if (!path)
        return dbx__fail(NULL, DBX_ENOMEM, "out of memory");
    dbx__ini *ini = NULL;
    char err[160] = "";
    int rc = dbx__ini_load(&ini, path, err, sizeof err);
    if (rc < 0) {
        dbx__fail(NULL, DBX_ECONFIG, "config file %s: %s", path, err);
        dbx__free(path);
        return DBX_ECONFIG;
    }
    if (rc == 1) {
        dbx_status st = DBX_OK;
        if (named)
            st = dbx__fail(NULL, DBX_ECONFIG, "profile '%s' was named but config file %s does not exist",
                           c->vals[A_PROFILE], path);
        dbx__free(path);
        return st;
    }
    const char *section = named ? c->vals[A_PROFILE] : "DEFAULT";
    if (!dbx__ini_has_section(ini, section)) {
        dbx_status st = DBX_OK;
        if (named)
            st = dbx__fail(NULL, DBX_ECONFIG, "profile '%s' not found in %s", section, path);
        dbx__ini_free(ini);
        dbx__free(path);
        return st;
    }
    for (int a = 0; a < A_COUNT; a++) {
        if (a == A_PROFILE || a == A_CONFIG_FILE || has(c, a))
            continue;
        const char *v = dbx__ini_get(ini, section, dbx__attrs[a].key);
        if (!dbx__empty(v) && set_val(c, a, v, "config") != 0) {
            dbx__ini_free(ini);
            dbx__free(path);
            return dbx__fail(NULL, DBX_ENOMEM, "out of memory");
        }
    }
    if (!has(c, A_PROFILE))
        set_val(c, A_PROFILE, section, "default");
    dbx__ini_free(ini);
    dbx__free(path);
    return DBX_OK;
}

/* "adb-1.2.azuredatabricks.net/" -> "https://adb-1.2.azuredatabricks.net" */
static dbx_status normalize_host(dbx_client *c)
{
    const char *h = c->vals[A_HOST];
    while (isspace((unsigned char)*h))
        h++;
    size_t hl = strlen(h);
    while (hl && isspace((unsigned char)h[hl - 1]))
        hl--;
    for (size_t i = 0; i < hl; i++)
        if (isspace((unsigned char)h[i]) || (unsigned char)h[i] < 0x20)
            return dbx__fail(NULL, DBX_ECONFIG, "host contains white space or control characters");
    dbx__buf b = DBX__BUF_INIT;
    const char *rest = h;
    if (dbx__strncasecmp(h, "https://", 8) == 0) {
        dbx__buf_puts(&b, "https://");
        rest = h + 8;
    } else if (dbx__strncasecmp(h, "http://", 7) == 0) {
        dbx__buf_puts(&b, "http://");
        rest = h + 7;
    } else if (strstr(h, "://")) {
        dbx__buf_dispose(&b);
        return dbx__fail(NULL, DBX_ECONFIG, "host must be an http:// or https:// URL");
    } else {
        dbx__buf_puts(&b, "https://");
    }
    size_t n = strcspn(rest, "/?# \t\r\n");
    if (n == 0) {
        dbx__buf_dispose(&b);
        return dbx__fail(NULL, DBX_ECONFIG, "host has no host name");
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)rest[i];
        if (!(isalnum(ch) || ch == '.' || ch == '-' || ch == ':' || ch == '[' || ch == ']' || ch == '_')) {
            dbx__buf_dispose(&b);
            return dbx__fail(NULL, DBX_ECONFIG, "host contains an invalid character");
        }
    }
    dbx__buf_put(&b, rest, n);
    if (b.oom) {
        dbx__buf_dispose(&b);
        return dbx__fail(NULL, DBX_ENOMEM, "out of memory");
    }
    dbx__free(c->vals[A_HOST]);
    c->vals[A_HOST] = dbx__buf_detach(&b);
    return DBX_OK;
}

static int is_azure_host(const char *host)
{
    static const char *suffixes[] = {".azuredatabricks.net", ".databricks.azure.cn",
                                     ".databricks.azure.us"};
    const char *h = strstr(host, "://");
    h = h ? h + 3 : host;
    size_t n = strcspn(h, ":/");
    for (size_t i = 0; i < sizeof suffixes / sizeof *suffixes; i++) {
        size_t sl = strlen(suffixes[i]);
        if (n >= sl && dbx__strncasecmp(h + n - sl, suffixes[i], sl) == 0)
            return 1;
    }
    return 0;
}

static dbx_status choose_auth(dbx_client *c)
{
    const char *forced = c->vals[A_AUTH_TYPE];
    int pat = has(c, A_TOKEN);
    int oauth = has(c, A_CLIENT_ID) || has(c, A_CLIENT_SECRET);
    int azure = has(c, A_AZURE_CLIENT_ID) || has(c, A_AZURE_CLIENT_SECRET) || has(c, A_AZURE_TENANT_ID);
    if (!dbx__empty(forced) && strcmp(forced, "default") != 0) {
        if (strcmp(forced, "pat") == 0) {
            if (!pat)
                return dbx__fail(NULL, DBX_ECONFIG, "auth_type pat needs token (DATABRICKS_TOKEN)");
            c->auth_type = DBX_AUTH_PAT;
        } else if (strcmp(forced, "oauth-m2m") == 0) {
            if (!has(c, A_CLIENT_ID))
                return dbx__fail(NULL, DBX_ECONFIG, "auth_type oauth-m2m needs client_id (DATABRICKS_CLIENT_ID)");
            if (!has(c, A_CLIENT_SECRET))
                return dbx__fail(NULL, DBX_ECONFIG,
                                 "auth_type oauth-m2m needs client_secret (DATABRICKS_CLIENT_SECRET)");
            c->auth_type = DBX_AUTH_OAUTH_M2M;
        } else if (strcmp(forced, "azure-client-secret") == 0) {
            if (!has(c, A_AZURE_CLIENT_ID))
                return dbx__fail(NULL, DBX_ECONFIG,
                                 "auth_type azure-client-secret needs azure_client_id (ARM_CLIENT_ID)");
            if (!has(c, A_AZURE_CLIENT_SECRET))
                return dbx__fail(NULL, DBX_ECONFIG,
                                 "auth_type azure-client-secret needs azure_client_secret (ARM_CLIENT_SECRET)");
            c->auth_type = DBX_AUTH_AZURE_CLIENT_SECRET;
        } else if (strcmp(forced, "none") == 0) {
            c->auth_type = DBX_AUTH_NONE;
        } else {
            return dbx__fail(NULL, DBX_ECONFIG,
                             "auth_type '%.40s' is not supported (pat, oauth-m2m, azure-client-secret)", forced);
        }
        return DBX_OK;
    }
    int kinds = pat + oauth + azure;
    if (kinds > 1) {
        return dbx__fail(NULL, DBX_ECONFIG,
                         "more than one authentication method is configured (%s%s%s%s%s); set auth_type "
                         "to choose one",
                         pat ? "pat: token" : "", pat && (oauth || azure) ? ", " : "",
                         oauth ? "oauth-m2m: client_id/client_secret" : "", oauth && azure ? ", " : "",
                         azure ? "azure-client-secret: azure_client_id/azure_client_secret" : "");
    }
    if (pat) {
        c->auth_type = DBX_AUTH_PAT;
    } else if (oauth) {
        if (!has(c, A_CLIENT_SECRET))
            return dbx__fail(NULL, DBX_ECONFIG, "client_id is set but client_secret (DATABRICKS_CLIENT_SECRET) is missing");
        if (!has(c, A_CLIENT_ID))
            return dbx__fail(NULL, DBX_ECONFIG, "client_secret is set but client_id (DATABRICKS_CLIENT_ID) is missing");
        c->auth_type = DBX_AUTH_OAUTH_M2M;
    } else if (azure) {
        if (!has(c, A_AZURE_CLIENT_ID) || !has(c, A_AZURE_CLIENT_SECRET))
            return dbx__fail(NULL, DBX_ECONFIG, "azure-client-secret needs both azure_client_id (ARM_CLIENT_ID) "
                                                "and azure_client_secret (ARM_CLIENT_SECRET)");
        if (!has(c, A_AZURE_TENANT_ID) && !is_azure_host(c->vals[A_HOST]))
            return dbx__fail(NULL, DBX_ECONFIG, "azure-client-secret needs an Azure Databricks host or "
                                                "azure_tenant_id (ARM_TENANT_ID)");
        c->auth_type = DBX_AUTH_AZURE_CLIENT_SECRET;
    } else {
        return dbx__fail(NULL, DBX_ECONFIG,
                         "no credentials configured: set token (DATABRICKS_TOKEN), or client_id and "
                         "client_secret (DATABRICKS_CLIENT_ID, DATABRICKS_CLIENT_SECRET), or "
                         "azure_client_id and azure_client_secret (ARM_CLIENT_ID, ARM_CLIENT_SECRET)");
    }
    return DBX_OK;
}

static int has_control_chars(const char *s)
{
    for (; s && *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return 1;
    return 0;
}

dbx_status dbx__config_resolve(dbx_client *c, const dbx_client_options *o)
{
    for (int a = 0; a < A_COUNT; a++) {
        const char *v = explicit_value(o, a);
        if (!dbx__empty(v) && set_val(c, a, v, "option") != 0)
            return dbx__fail(NULL, DBX_ENOMEM, "out of memory");
    }
    if (!o || !o->no_env) {
        for (int a = 0; a < A_COUNT; a++) {
            if (has(c, a) || !dbx__attrs[a].env)
                continue;
            const char *v = getenv(dbx__attrs[a].env);
            if (!dbx__empty(v) && set_val(c, a, v, "env") != 0)
                return dbx__fail(NULL, DBX_ENOMEM, "out of memory");
        }
    }
    dbx_status st = load_config_file(c, o);
    if (st != DBX_OK)
        return st;
    if (!has(c, A_HOST))
        return dbx__fail(NULL, DBX_ECONFIG,
                         "host is not set: pass host, set DATABRICKS_HOST, or add host to a "
                         "~/.databrickscfg profile");
    if ((st = normalize_host(c)) != DBX_OK)
        return st;
    static const int header_bound[] = {A_TOKEN, A_CLIENT_ID, A_CLIENT_SECRET, A_AZURE_CLIENT_ID,
                                       A_AZURE_CLIENT_SECRET, A_AZURE_TENANT_ID, A_PRODUCT};
    for (size_t i = 0; i < sizeof header_bound / sizeof *header_bound; i++)
        if (has_control_chars(c->vals[header_bound[i]]))
            return dbx__fail(NULL, DBX_ECONFIG, "%s contains control characters", dbx__attrs[header_bound[i]].key);
    return choose_auth(c);
}
