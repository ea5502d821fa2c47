/*
 * Unit tests for configuration resolution through dbx_client_new (which
 * makes no network call): precedence, profiles, the config file, host
 * normalisation, auth selection, validation, option setters. Secrets must
 * never appear in an error message.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/client_impl.h"

/* Distinctive secrets: none may ever appear in an error message. */
#define SEC_TOKEN "dapiSECRETtoken111"
#define SEC_TOKEN2 "dapiSECRETtoken222"
#define SEC_CLIENT "SECRETclientSecret333"
#define SEC_AZURE "SECRETazureSecret444"
#define SEC_FILE_TOKEN "dapiSECRETfromFile555"
static const char *all_secrets[] = {SEC_TOKEN,      SEC_TOKEN2,    SEC_CLIENT,  SEC_AZURE,
                                    SEC_FILE_TOKEN, "SECRETnumber", "SECRETbool"};

/* ---- environment sandbox ------------------------------------------------------------------- */

static const char *env_names[] = {
    "DATABRICKS_HOST", "DATABRICKS_TOKEN", "DATABRICKS_CLIENT_ID", "DATABRICKS_CLIENT_SECRET",
    "ARM_CLIENT_ID", "ARM_CLIENT_SECRET", "ARM_TENANT_ID", "ARM_ENVIRONMENT", "AZURE_AUTHORITY_HOST",
    "DATABRICKS_AUTH_TYPE", "DATABRICKS_CONFIG_PROFILE", "DATABRICKS_CONFIG_FILE",
    "DATABRICKS_HTTP_TIMEOUT_SECONDS", "DATABRICKS_RETRY_TIMEOUT_SECONDS", "DATABRICKS_SKIP_VERIFY",
    "DATABRICKS_CA_BUNDLE", "DBX_LOG", "HOME",
};
#define N_ENV (sizeof env_names / sizeof *env_names)
static char *saved_env[N_ENV];
static char tmpdir[256];

static int setup(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ENV; i++) {
        const char *v = getenv(env_names[i]);
        saved_env[i] = v ? strdup(v) : NULL;
        unsetenv(env_names[i]);
    }
    snprintf(tmpdir, sizeof tmpdir, "/tmp/dbx-test-config-XXXXXX");
    assert_non_null(mkdtemp(tmpdir));
    setenv("HOME", tmpdir, 1);
    return 0;
}

static void rm_file(const char *name)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", tmpdir, name);
    unlink(p);
}

static int teardown(void **state)
{
    (void)state;
    rm_file(".databrickscfg");
    rm_file("other.cfg");
    rm_file("bad.cfg");
    rmdir(tmpdir);
    for (size_t i = 0; i < N_ENV; i++) {
        if (saved_env[i])
            setenv(env_names[i], saved_env[i], 1);
        else
            unsetenv(env_names[i]);
        free(saved_env[i]);
        saved_env[i] = NULL;
    }
    return 0;
}

/* Write tmpdir/name; returns the path in a static buffer. */
static const char *write_file(const char *name, const char *text)
{
    static char p[512];
    snprintf(p, sizeof p, "%s/%s", tmpdir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return p;
}

static void assert_no_secret(const char *msg)
{
    assert_non_null(msg);
    for (size_t i = 0; i < sizeof all_secrets / sizeof *all_secrets; i++)
        if (strstr(msg, all_secrets[i]))
            fail_msg("secret \"%s\" in error message: %s", all_secrets[i], msg);
}

/* Expect dbx_client_new to fail with `st`; the message must contain each
 * of the NULL-terminated `needles` and no secret. */
static void expect_fail(const dbx_client_options *o, dbx_status st, ...)
{
    dbx_client *c = (dbx_client *)(uintptr_t)1;
    dbx_status got = dbx_client_new(&c, o);
    if (got != st) {
        if (got == DBX_OK)
            dbx_client_free(c);
        fail_msg("dbx_client_new: got %s, want %s (%s)", dbx_status_name(got), dbx_status_name(st),
                 dbx_client_last_error(NULL)->message);
    }
    assert_null(c);
    const dbx_error *e = dbx_client_last_error(NULL);
    assert_int_equal(e->status, st);
    assert_no_secret(e->message);
    va_list ap;
    va_start(ap, st);
    const char *needle;
    while ((needle = va_arg(ap, const char *)) != NULL)
        if (!strstr(e->message, needle))
            fail_msg("message \"%s\" lacks \"%s\"", e->message, needle);
    va_end(ap);
}

static dbx_client *expect_ok(const dbx_client_options *o)
{
    dbx_client *c = NULL;
    dbx_status st = dbx_client_new(&c, o);
    if (st != DBX_OK)
        fail_msg("dbx_client_new: %s: %s", dbx_status_name(st), dbx_client_last_error(NULL)->message);
    assert_non_null(c);
    assert_int_equal(dbx_client_last_error(NULL)->status, DBX_OK);
    return c;
}

static dbx_client_options opts_isolated(void)
{
    dbx_client_options o = DBX_CLIENT_OPTIONS_INIT;
    o.no_env = 1;
    o.no_config_file = 1;
    return o;
}

/* ---- precedence ------------------------------------------------------------------------------ */

static void precedence_option_env_config(void **state)
{
    (void)state;
    write_file(".databrickscfg", "[dev]\n"
                                 "host=https://cfg.cloud.databricks.com\n"
                                 "token=" SEC_FILE_TOKEN "\n"
                                 "http_timeout_seconds=17\n"
                                 "retry_timeout_seconds=99\n");
    setenv("DATABRICKS_HOST", "https://env.cloud.databricks.com", 1);
    setenv("DATABRICKS_TOKEN", SEC_TOKEN, 1);
    setenv("DATABRICKS_RETRY_TIMEOUT_SECONDS", "42", 1);
    dbx_client_options o = DBX_CLIENT_OPTIONS_INIT;
    o.host = "https://opt.cloud.databricks.com";
    o.profile = "dev";
    dbx_client *c = expect_ok(&o);
    assert_string_equal(dbx_client_host(c), "https://opt.cloud.databricks.com");
    assert_string_equal(dbx_client_config_source(c, "host"), "option");
    assert_string_equal(dbx_client_config_source(c, "token"), "env");
    assert_string_equal(c->vals[A_TOKEN], SEC_TOKEN);
    assert_string_equal(dbx_client_config_source(c, "retry_timeout_seconds"), "env");
    assert_string_equal(dbx_client_config_source(c, "http_timeout_seconds"), "config");
    assert_string_equal(dbx_client_config_source(c, "profile"), "option");
    assert_null(dbx_client_config_source(c, "client_id"));
    assert_null(dbx_client_config_source(c, "no_such_key"));
    assert_null(dbx_client_config_source(NULL, "host"));
    assert_int_equal(c->pipe.cfg.http_timeout_ms, 17000);
    assert_int_equal(c->pipe.cfg.retry_timeout_ms, 42000);
    assert_string_equal(dbx_client_auth_type(c), "pat");
    dbx_client_free(c);

    /* without the env: the file fills in */
    unsetenv("DATABRICKS_HOST");
    unsetenv("DATABRICKS_TOKEN");
    o.host = NULL;
    c = expect_ok(&o);
    assert_string_equal(dbx_client_host(c), "https://cfg.cloud.databricks.com");
    assert_string_equal(dbx_client_config_source(c, "host"), "config");
    assert_string_equal(dbx_client_config_source(c, "token"), "config");
    assert_string_equal(c->vals[A_TOKEN], SEC_FILE_TOKEN);
    dbx_client_free(c);

    /* no_env: the env is ignored even when set */
    setenv("DATABRICKS_HOST", "https://env.cloud.databricks.com", 1);
    o.no_env = 1;
    c = expect_ok(&o);
    assert_string_equal(dbx_client_host(c), "https://cfg.cloud.databricks.com");
    dbx_client_free(c);

    /* explicit timeouts in ms beat every *_seconds attribute */
    o.http_timeout_ms = 2500;
    o.retry_timeout_ms = 7000;
    c = expect_ok(&o);
    assert_int_equal(c->pipe.cfg.http_timeout_ms, 2500);
    assert_int_equal(c->pipe.cfg.retry_timeout_ms, 7000);
    dbx_client_free(c);
}

static void defaults_applied(void **state)
{
    (void)state;
    dbx_client_options o = opts_isolated();
    o.host = "https://a.cloud.databricks.com";
    o.token = SEC_TOKEN;
    dbx_client *c = expect_ok(&o);
    assert_int_equal(c->pipe.cfg.http_timeout_ms, 60000);
    assert_int_equal(c->pipe.cfg.connect_timeout_ms, 30000);
    assert_int_equal(c->pipe.cfg.retry_timeout_ms, 300000);
    assert_int_equal(c->pipe.cfg.retry_initial_delay_ms, 1000);
    assert_int_equal(c->pipe.cfg.retry_max_delay_ms, 10000);
    assert_int_equal(c->pipe.cfg.max_attempts, DBX_DEFAULT_MAX_ATTEMPTS);
    assert_int_equal(c->pipe.cfg.max_response_bytes, DBX_DEFAULT_MAX_RESPONSE_BYTES);
    assert_int_equal(c->pipe.log.level, DBX_LOG_OFF);
    assert_non_null(strstr(c->pipe.cfg.user_agent_header, "libdbx/"));
    assert_non_null(strstr(c->pipe.cfg.user_agent_header, "auth/pat"));
    assert_null(strstr(c->pipe.cfg.user_agent_header, SEC_TOKEN));
    assert_ptr_equal(c->pipe.owner, c);
    dbx_client_free(c);

    o.product = "myapp/1.2";
    o.max_attempts = 4;
    c = expect_ok(&o);
    assert_memory_equal(c->pipe.cfg.user_agent_header, "User-Agent: libdbx/", 19);
    {
        const char *ua = c->pipe.cfg.user_agent_header;
        size_t n = strlen(ua);
        assert_true(n > 10);
        assert_string_equal(ua + n - 10, " myapp/1.2"); /* the product is a suffix */
    }
    assert_int_equal(c->pipe.cfg.max_attempts, 4);
    dbx_client_free(c);
}

/* ---- profiles ---------------------------------------------------------------------------------- */

static const char two_profiles[] = "[DEFAULT]\n"
                                   "host=https://default.cloud.databricks.com\n"
                                   "token=" SEC_FILE_TOKEN "\n"
                                   "\n"
                                   "[dev]\n"
                                   "host=https://dev.cloud.databricks.com\n"
                                   "token=" SEC_TOKEN2 "\n"
                                   "\n"
                                   "[staging]\n"
                                   "host=https://staging.cloud.databricks.com\n"
                                   "token=" SEC_TOKEN "\n";

static void profile_selection(void **state)
{
    (void)state;
    write_file(".databrickscfg", two_profiles);
    dbx_client_options o = DBX_CLIENT_OPTIONS_INIT;

    /* [DEFAULT] when no profile is named */
    dbx_client *c = expect_ok(&o);
    assert_string_equal(dbx_client_host(c), "https://default.cloud.databricks.com");
    assert_string_equal(dbx_client_config_source(c, "host"), "config");
    assert_string_equal(c->vals[A_PROFILE], "DEFAULT");
    assert_string_equal(dbx_client_config_source(c, "profile"), "default");
    dbx_client_free(c);

    /* DATABRICKS_CONFIG_PROFILE */
    setenv("DATABRICKS_CONFIG_PROFILE", "dev", 1);
    c = expect_ok(&o);
    assert_string_equal(dbx_client_host(c), "https://dev.cloud.databricks.com");
    assert_string_equal(c->vals[A_TOKEN], SEC_TOKEN2);
    assert_string_equal(dbx_client_config_source(c, "profile"), "env");
    dbx_client_free(c);

    /* the option beats the env */
    o.profile = "staging";
    c = expect_ok(&o);
    assert_string_equal(dbx_client_host(c), "https://staging.cloud.databricks.com");
    assert_string_equal(dbx_client_config_source(c, "profile"), "option");
    dbx_client_free(c);

    /* a profile from DATABRICKS_CONFIG_FILE */
    unsetenv("DATABRICKS_CONFIG_PROFILE");
    o.profile = NULL;
    const char *other = write_file("other.cfg", "[DEFAULT]\nhost=other.cloud.databricks.com\ntoken=" SEC_TOKEN "\n");
    setenv("DATABRICKS_CONFIG_FILE", other, 1);
    c = expect_ok(&o);
    assert_string_equal(dbx_client_host(c), "https://other.cloud.databricks.com");
    assert_string_equal(dbx_client_config_source(c, "config_file"), "env");
    dbx_client_free(c);

    /* config_file option with ~ */
    unsetenv("DATABRICKS_CONFIG_FILE");
    o.config_file = "~/other.cfg";
    o.no_env = 1;
    c = expect_ok(&o);
    assert_string_equal(dbx_client_host(c), "https://other.cloud.databricks.com");
    dbx_client_free(c);
}

static void profile_missing(void **state)
{
    (void)state;
    write_file(".databrickscfg", two_profiles);
    dbx_client_options o = DBX_CLIENT_OPTIONS_INIT;
    o.profile = "nosuchprofile";
    o.token = SEC_TOKEN;
    o.host = "https://x.cloud.databricks.com";
    expect_fail(&o, DBX_ECONFIG, "nosuchprofile", (const char *)NULL);

    /* named through the env */
    o.profile = NULL;
    setenv("DATABRICKS_CONFIG_PROFILE", "envprofile", 1);
    expect_fail(&o, DBX_ECONFIG, "envprofile", (const char *)NULL);
    unsetenv("DATABRICKS_CONFIG_PROFILE");

    /* named profile but no config file at all */
    rm_file(".databrickscfg");
    o.profile = "dev";
    expect_fail(&o, DBX_ECONFIG, "dev", "does not exist", (const char *)NULL);
    o.config_file = "/nonexistent/dir/databrickscfg";
    expect_fail(&o, DBX_ECONFIG, "dev", (const char *)NULL);

    /* no profile named and no file: fine when everything is given */
    o.profile = NULL;
    o.config_file = NULL;
    dbx_client *c = expect_ok(&o);
    dbx_client_free(c);

    /* no DEFAULT section and no profile named: not an error by itself */
    write_file(".databrickscfg", "[dev]\nhost=https://dev.cloud.databricks.com\n");
    dbx_client_options o2 = DBX_CLIENT_OPTIONS_INIT;
    o2.token = SEC_TOKEN;
    expect_fail(&o2, DBX_ECONFIG, "host", (const char *)NULL); /* ... but then the host is missing */
}

static void config_file_skipped_when_complete(void **state)
{
    (void)state;
    const char *bad = write_file("bad.cfg", "token=" SEC_FILE_TOKEN "\n[unterminated\n");
    setenv("DATABRICKS_CONFIG_FILE", bad, 1);
    write_file(".databrickscfg", "[broken\n");
    dbx_client_options o = DBX_CLIENT_OPTIONS_INIT;
    o.host = "https://x.cloud.databricks.com";
    o.token = SEC_TOKEN;
    dbx_client *c = expect_ok(&o);
    assert_string_equal(c->vals[A_TOKEN], SEC_TOKEN);
    assert_null(dbx_client_config_source(c, "profile"));
    dbx_client_free(c);

    /* also with host + token from the env */
    dbx_client_options e = DBX_CLIENT_OPTIONS_INIT;
    setenv("DATABRICKS_HOST", "x.cloud.databricks.com", 1);
    setenv("DATABRICKS_TOKEN", SEC_TOKEN, 1);
    c = expect_ok(&e);
    dbx_client_free(c);
    /* and with oauth-m2m credentials */
    unsetenv("DATABRICKS_TOKEN");
    setenv("DATABRICKS_CLIENT_ID", "cid", 1);
    setenv("DATABRICKS_CLIENT_SECRET", SEC_CLIENT, 1);
    c = expect_ok(&e);
    assert_string_equal(dbx_client_auth_type(c), "oauth-m2m");
    dbx_client_free(c);
    unsetenv("DATABRICKS_CLIENT_ID");
    unsetenv("DATABRICKS_CLIENT_SECRET");
    setenv("DATABRICKS_TOKEN", SEC_TOKEN, 1);

    /* proof the file is malformed: naming a profile reads it and fails, without the secret */
    o.profile = "p";
    expect_fail(&o, DBX_ECONFIG, "line 2", (const char *)NULL);
    /* ... and so does an incomplete configuration */
    o.profile = NULL;
    o.token = NULL;
    unsetenv("DATABRICKS_TOKEN");
    o.no_env = 1; /* ~/.databrickscfg */
    expect_fail(&o, DBX_ECONFIG, "line 1", (const char *)NULL);
    /* no_config_file: never read */
    o.no_config_file = 1;
    expect_fail(&o, DBX_ECONFIG, "no credentials", (const char *)NULL);
}

static void config_file_spaced_values(void **state)
{
    (void)state;
    /* the usual layout of ~/.databrickscfg: "key = value" */
    write_file(".databrickscfg", "[DEFAULT]\n"
                                 "host = https://spaced.cloud.databricks.com\n"
                                 "token = " SEC_FILE_TOKEN "\n"
                                 "auth_type = pat\n"
                                 "http_timeout_seconds = 17\n");
    dbx_client_options o = DBX_CLIENT_OPTIONS_INIT;
    dbx_client *c = expect_ok(&o);
    assert_string_equal(dbx_client_host(c), "https://spaced.cloud.databricks.com");
    assert_string_equal(c->vals[A_TOKEN], SEC_FILE_TOKEN);
    assert_string_equal(dbx_client_auth_type(c), "pat");
    assert_int_equal(c->pipe.cfg.http_timeout_ms, 17000);
    dbx_client_free(c);
}

/* ---- host ---------------------------------------------------------------------------------------- */

static void host_normalisation(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } t[] = {
        {"adb-1.azuredatabricks.net/", "https://adb-1.azuredatabricks.net"},
        {"adb-1.2.azuredatabricks.net", "https://adb-1.2.azuredatabricks.net"},
        {"http://127.0.0.1:8080/", "http://127.0.0.1:8080"},
        {"https://x.cloud.databricks.com/some/path?o=123#frag", "https://x.cloud.databricks.com"},
        {"HTTPS://X.cloud.databricks.com", "https://X.cloud.databricks.com"},
        {"  https://x.cloud.databricks.com/  ", "https://x.cloud.databricks.com"},
        {"https://x.cloud.databricks.com:8443", "https://x.cloud.databricks.com:8443"},
        {"https://[::1]:8443/", "https://[::1]:8443"},
        {"https://x.cloud.databricks.com?o=1", "https://x.cloud.databricks.com"},
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        dbx_client_options o = opts_isolated();
        o.host = t[i].in;
        o.token = SEC_TOKEN;
        dbx_client *c = expect_ok(&o);
        if (strcmp(dbx_client_host(c), t[i].out) != 0)
            fail_msg("host \"%s\" -> \"%s\", want \"%s\"", t[i].in, dbx_client_host(c), t[i].out);
        assert_string_equal(c->pipe.cfg.host, t[i].out);
        dbx_client_free(c);
    }
    const char *bad[] = {"ftp://x", "file:///etc/passwd", "https://", "https:///path", "/just/a/path",
                         "https://user:" SEC_TOKEN2 "@x.cloud.databricks.com", "https://x y.com",
                         "https://x.com\\@evil"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        dbx_client_options o = opts_isolated();
        o.host = bad[i];
        o.token = SEC_TOKEN;
        dbx_client *c = NULL;
        if (dbx_client_new(&c, &o) == DBX_OK) {
            char h[256];
            snprintf(h, sizeof h, "%s", dbx_client_host(c));
            dbx_client_free(c);
            fail_msg("host \"%s\" accepted as \"%s\"", bad[i], h);
        }
        expect_fail(&o, DBX_ECONFIG, "host", (const char *)NULL);
    }
    dbx_client_options o = opts_isolated();
    o.token = SEC_TOKEN;
    expect_fail(&o, DBX_ECONFIG, "host is not set", (const char *)NULL);
}

/* ---- auth selection ------------------------------------------------------------------------------- */

static void auth_detection(void **state)
{
    (void)state;
    dbx_client_options o = opts_isolated();
    o.host = "https://x.cloud.databricks.com";
    o.token = SEC_TOKEN;
    dbx_client *c = expect_ok(&o);
    assert_string_equal(dbx_client_auth_type(c), "pat");
    assert_int_equal(c->auth_type, DBX_AUTH_PAT);
    assert_non_null(c->pipe.auth);
    dbx_client_free(c);

    o = opts_isolated();
    o.host = "https://x.cloud.databricks.com";
    o.client_id = "cid";
    o.client_secret = SEC_CLIENT;
    c = expect_ok(&o);
    assert_string_equal(dbx_client_auth_type(c), "oauth-m2m");
    dbx_client_free(c);

    o = opts_isolated();
    o.host = "https://x.cloud.databricks.com";
    o.azure_client_id = "aid";
    o.azure_client_secret = SEC_AZURE;
    o.azure_tenant_id = "tenant-1";
    c = expect_ok(&o);
    assert_string_equal(dbx_client_auth_type(c), "azure-client-secret");
    dbx_client_free(c);

    /* Azure host: tenant discovered later, not needed now */
    o.azure_tenant_id = NULL;
    o.host = "adb-123.4.azuredatabricks.net";
    c = expect_ok(&o);
    assert_string_equal(dbx_client_auth_type(c), "azure-client-secret");
    dbx_client_free(c);
    o.host = "https://adb-1.databricks.azure.cn";
    c = expect_ok(&o);
    dbx_client_free(c);

    /* from the env (ARM_*) */
    o = (dbx_client_options)DBX_CLIENT_OPTIONS_INIT;
    o.no_config_file = 1;
    setenv("DATABRICKS_HOST", "https://adb-9.azuredatabricks.net", 1);
    setenv("ARM_CLIENT_ID", "aid", 1);
    setenv("ARM_CLIENT_SECRET", SEC_AZURE, 1);
    c = expect_ok(&o);
    assert_string_equal(dbx_client_auth_type(c), "azure-client-secret");
    assert_string_equal(dbx_client_config_source(c, "azure_client_secret"), "env");
    dbx_client_free(c);
}

static void auth_forced(void **state)
{
    (void)state;
    /* two methods are fine when auth_type picks one */
    dbx_client_options o = opts_isolated();
    o.host = "https://x.cloud.databricks.com";
    o.token = SEC_TOKEN;
    o.client_id = "cid";
    o.client_secret = SEC_CLIENT;
    o.auth_type = DBX_AUTH_OAUTH_M2M;
    dbx_client *c = expect_ok(&o);
    assert_string_equal(dbx_client_auth_type(c), "oauth-m2m");
    assert_string_equal(dbx_client_config_source(c, "auth_type"), "option");
    dbx_client_free(c);
    o.auth_type = DBX_AUTH_PAT;
    c = expect_ok(&o);
    assert_string_equal(dbx_client_auth_type(c), "pat");
    dbx_client_free(c);

    /* none: no credentials needed, and no auth object */
    o = opts_isolated();
    o.host = "https://x.cloud.databricks.com";
    o.auth_type = DBX_AUTH_NONE;
    c = expect_ok(&o);
    assert_string_equal(dbx_client_auth_type(c), "none");
    assert_null(c->pipe.auth);
    dbx_client_free(c);

    /* forced method with its attributes missing */
    o = opts_isolated();
    o.host = "https://x.cloud.databricks.com";
    o.client_secret = SEC_CLIENT;
    o.auth_type = DBX_AUTH_PAT;
    expect_fail(&o, DBX_ECONFIG, "token", (const char *)NULL);
    o.auth_type = DBX_AUTH_OAUTH_M2M;
    expect_fail(&o, DBX_ECONFIG, "client_id", (const char *)NULL);
    o.client_secret = NULL;
    o.client_id = "cid";
    o.token = SEC_TOKEN;
    expect_fail(&o, DBX_ECONFIG, "client_secret", (const char *)NULL);
    o.auth_type = DBX_AUTH_AZURE_CLIENT_SECRET;
    o.azure_client_id = "aid";
    expect_fail(&o, DBX_ECONFIG, "azure_client_secret", (const char *)NULL);
    o.azure_client_id = NULL;
    o.azure_client_secret = SEC_AZURE;
    expect_fail(&o, DBX_ECONFIG, "azure_client_id", (const char *)NULL);

    /* forced through the env and through the config file */
    o = (dbx_client_options)DBX_CLIENT_OPTIONS_INIT;
    o.host = "https://x.cloud.databricks.com";
    o.token = SEC_TOKEN;
    o.client_id = "cid";
    o.client_secret = SEC_CLIENT;
    o.no_config_file = 1;
    setenv("DATABRICKS_AUTH_TYPE", "pat", 1);
    c = expect_ok(&o);
    assert_string_equal(dbx_client_auth_type(c), "pat");
    assert_string_equal(dbx_client_config_source(c, "auth_type"), "env");
    dbx_client_free(c);
    unsetenv("DATABRICKS_AUTH_TYPE");
    write_file(".databrickscfg", "[p]\nauth_type=oauth-m2m\n");
    o.no_config_file = 0;
    o.profile = "p";
    c = expect_ok(&o);
    assert_string_equal(dbx_client_auth_type(c), "oauth-m2m");
    assert_string_equal(dbx_client_config_source(c, "auth_type"), "config");
    dbx_client_free(c);
}

static void auth_conflicts_and_gaps(void **state)
{
    (void)state;
    dbx_client_options o = opts_isolated();
    o.host = "https://x.cloud.databricks.com";
    o.token = SEC_TOKEN;
    o.client_id = "cid";
    o.client_secret = SEC_CLIENT;
    expect_fail(&o, DBX_ECONFIG, "pat", "oauth-m2m", "auth_type", (const char *)NULL);
    o.client_id = NULL;
    o.client_secret = NULL;
    o.azure_client_id = "aid";
    o.azure_client_secret = SEC_AZURE;
    expect_fail(&o, DBX_ECONFIG, "pat", "azure-client-secret", (const char *)NULL);
    o.token = NULL;
    o.client_secret = SEC_CLIENT;
    expect_fail(&o, DBX_ECONFIG, "oauth-m2m", "azure-client-secret", (const char *)NULL);

    /* incomplete oauth-m2m */
    o = opts_isolated();
    o.host = "https://x.cloud.databricks.com";
    o.client_id = "cid";
    expect_fail(&o, DBX_ECONFIG, "client_secret", (const char *)NULL);
    o.client_id = NULL;
    o.client_secret = SEC_CLIENT;
    expect_fail(&o, DBX_ECONFIG, "client_id", (const char *)NULL);

    /* Azure needs a tenant or an Azure host */
    o = opts_isolated();
    o.host = "https://x.cloud.databricks.com";
    o.azure_client_id = "aid";
    o.azure_client_secret = SEC_AZURE;
    expect_fail(&o, DBX_ECONFIG, "azure_tenant_id", (const char *)NULL);
    o.host = "https://adb-1.azuredatabricks.net.evil.com";
    expect_fail(&o, DBX_ECONFIG, "azure_tenant_id", (const char *)NULL);
    o.azure_client_id = NULL;
    o.host = "https://adb-1.azuredatabricks.net";
    expect_fail(&o, DBX_ECONFIG, "azure_client_id", (const char *)NULL);
    /* unknown Azure environment */
    o.azure_client_id = "aid";
    o.azure_environment = "MARS";
    expect_fail(&o, DBX_ECONFIG, "azure_environment", (const char *)NULL);

    /* nothing at all */
    o = opts_isolated();
    o.host = "https://x.cloud.databricks.com";
    expect_fail(&o, DBX_ECONFIG, "no credentials", (const char *)NULL);

    /* unknown auth_type (env and file; the option setter refuses it outright) */
    o = (dbx_client_options)DBX_CLIENT_OPTIONS_INIT;
    o.host = "https://x.cloud.databricks.com";
    o.token = SEC_TOKEN;
    setenv("DATABRICKS_AUTH_TYPE", "magic-auth", 1);
    expect_fail(&o, DBX_ECONFIG, "magic-auth", "not supported", (const char *)NULL);
    unsetenv("DATABRICKS_AUTH_TYPE");
    write_file(".databrickscfg", "[p]\nauth_type=basic\ntoken=" SEC_FILE_TOKEN "\n");
    o.token = NULL;
    o.profile = "p";
    expect_fail(&o, DBX_ECONFIG, "basic", (const char *)NULL);
}

static void control_characters_refused(void **state)
{
    (void)state;
    const char *bad_tokens[] = {SEC_TOKEN "\nX-Injected: 1", SEC_TOKEN "\r", "\t" SEC_TOKEN, SEC_TOKEN "\x7f"};
    for (size_t i = 0; i < sizeof bad_tokens / sizeof *bad_tokens; i++) {
        dbx_client_options o = opts_isolated();
        o.host = "https://x.cloud.databricks.com";
        o.token = bad_tokens[i];
        expect_fail(&o, DBX_ECONFIG, "token", (const char *)NULL);
    }
    dbx_client_options o = opts_isolated();
    o.host = "https://x.cloud.databricks.com";
    o.client_id = "cid";
    o.client_secret = SEC_CLIENT "\n";
    expect_fail(&o, DBX_ECONFIG, "client_secret", (const char *)NULL);
    o.client_secret = SEC_CLIENT;
    o.product = "app/1\r\nX: y";
    expect_fail(&o, DBX_ECONFIG, "product", (const char *)NULL);
}

/* ---- other attributes -------------------------------------------------------------------------- */

static int log_calls;
static void count_log(dbx_log_level level, dbx_log_category cat, const char *msg, void *payload)
{
    (void)level;
    (void)cat;
    (void)payload;
    assert_no_secret(msg);
    log_calls++;
}

static void log_level_from_env(void **state)
{
    (void)state;
    dbx_client_options o = DBX_CLIENT_OPTIONS_INIT;
    o.host = "https://x.cloud.databricks.com";
    o.token = SEC_TOKEN;
    o.no_config_file = 1;
    o.log_fn = count_log;
    log_calls = 0;
    setenv("DBX_LOG", "debug", 1);
    dbx_client *c = expect_ok(&o);
    assert_int_equal(c->pipe.log.level, DBX_LOG_DEBUG);
    assert_string_equal(dbx_client_config_source(c, "log_level"), "env");
    assert_true(log_calls >= 1); /* "client for ..." */
    assert_ptr_equal(c->pipe.log.fn, count_log);
    dbx_client_free(c);

    setenv("DBX_LOG", "TRACE", 1);
    c = expect_ok(&o);
    assert_int_equal(c->pipe.log.level, DBX_LOG_TRACE);
    dbx_client_free(c);
    setenv("DBX_LOG", "2", 1);
    c = expect_ok(&o);
    assert_int_equal(c->pipe.log.level, DBX_LOG_WARN);
    dbx_client_free(c);

    /* the option beats the env */
    setenv("DBX_LOG", "trace", 1);
    o.log_level = DBX_LOG_ERROR;
    c = expect_ok(&o);
    assert_int_equal(c->pipe.log.level, DBX_LOG_ERROR);
    dbx_client_free(c);

    /* no_env: off */
    o.log_level = DBX_LOG_OFF;
    o.no_env = 1;
    c = expect_ok(&o);
    assert_int_equal(c->pipe.log.level, DBX_LOG_OFF);
    dbx_client_free(c);

    /* garbage */
    o.no_env = 0;
    setenv("DBX_LOG", "verbose", 1);
    expect_fail(&o, DBX_ECONFIG, "log_level", (const char *)NULL);
}

static void skip_verify_attribute(void **state)
{
    (void)state;
    dbx_client_options o = DBX_CLIENT_OPTIONS_INIT;
    o.host = "https://x.cloud.databricks.com";
    o.token = SEC_TOKEN;
    o.no_config_file = 1;
    setenv("DATABRICKS_SKIP_VERIFY", "maybe", 1);
    expect_fail(&o, DBX_ECONFIG, "skip_verify", (const char *)NULL);
    setenv("DATABRICKS_SKIP_VERIFY", "false", 1);
    dbx_client *c = expect_ok(&o);
    assert_string_equal(dbx_client_config_source(c, "skip_verify"), "env");
    dbx_client_free(c);
}

static void client_new_arguments(void **state)
{
    (void)state;
    assert_int_equal(dbx_client_new(NULL, NULL), DBX_EINVAL);
    assert_int_equal(dbx_client_last_error(NULL)->status, DBX_EINVAL);
    dbx_client_options o = opts_isolated();
    o.host = "https://x.cloud.databricks.com";
    o.token = SEC_TOKEN;
    o.version = 0;
    expect_fail(&o, DBX_EINVAL, (const char *)NULL);
    o.version = 99;
    expect_fail(&o, DBX_EINVAL, (const char *)NULL);
    o.version = DBX_CLIENT_OPTIONS_VERSION;
    dbx_client *c = expect_ok(&o);
    dbx_client_free(c);
    dbx_client_free(NULL);
    assert_null(dbx_client_host(NULL));
    assert_null(dbx_client_auth_type(NULL));
}

/* ---- option setters ---------------------------------------------------------------------------- */

static void options_init(void **state)
{
    (void)state;
    dbx_client_options o;
    memset(&o, 0xAB, sizeof o);
    assert_int_equal(dbx_client_options_init(&o, DBX_CLIENT_OPTIONS_VERSION), DBX_OK);
    assert_int_equal(o.version, DBX_CLIENT_OPTIONS_VERSION);
    const char *strs[] = {o.host, o.token, o.client_id, o.client_secret, o.azure_client_id,
                          o.azure_client_secret, o.azure_tenant_id, o.azure_environment,
                          o.azure_login_url, o.profile, o.config_file, o.ca_bundle, o.proxy, o.product};
    for (size_t i = 0; i < sizeof strs / sizeof *strs; i++)
        assert_null(strs[i]);
    assert_int_equal(o.auth_type, DBX_AUTH_AUTO);
    assert_int_equal(o.http_timeout_ms, 0);
    assert_int_equal(o.connect_timeout_ms, 0);
    assert_int_equal(o.retry_timeout_ms, 0);
    assert_int_equal(o.max_attempts, 0);
    assert_int_equal(o.retry_initial_delay_ms, 0);
    assert_int_equal(o.retry_max_delay_ms, 0);
    assert_int_equal(o.insecure_skip_verify, 0);
    assert_null(o.log_fn);
    assert_null(o.log_payload);
    assert_int_equal(o.log_level, DBX_LOG_OFF);
    assert_int_equal(o.no_env, 0);
    assert_int_equal(o.no_config_file, 0);
    assert_null(o._owned);

    /* a version-1 caller's struct ends before max_response_bytes: nothing past it is written */
    memset(&o, 0xAB, sizeof o);
    assert_int_equal(dbx_client_options_init(&o, 1), DBX_OK);
    assert_int_equal(o.version, 1);
    assert_null(o.host);
    assert_null(o._owned);
    const unsigned char *tail = (const unsigned char *)&o + offsetof(dbx_client_options, max_response_bytes);
    for (size_t i = 0; i < sizeof o - offsetof(dbx_client_options, max_response_bytes); i++)
        assert_int_equal(tail[i], 0xAB);

    assert_int_equal(dbx_client_options_init(&o, 0), DBX_EINVAL);
    assert_int_equal(dbx_client_options_init(&o, 99), DBX_EINVAL);
    assert_int_equal(dbx_client_last_error(NULL)->status, DBX_EINVAL);
    assert_int_equal(dbx_client_options_init(NULL, 1), DBX_EINVAL);

    dbx_wait_options w;
    memset(&w, 0xCD, sizeof w);
    assert_int_equal(dbx_wait_options_init(&w, DBX_WAIT_OPTIONS_VERSION), DBX_OK);
    assert_int_equal(w.version, DBX_WAIT_OPTIONS_VERSION);
    assert_int_equal(w.timeout_ms, 0);
    assert_int_equal(w.poll_initial_ms, 0);
    assert_int_equal(w.poll_max_ms, 0);
    assert_null(w.on_poll);
    assert_null(w.payload);
    assert_int_equal(dbx_wait_options_init(&w, 0), DBX_EINVAL);
    assert_int_equal(dbx_wait_options_init(&w, 99), DBX_EINVAL);
    assert_int_equal(dbx_wait_options_init(NULL, 1), DBX_EINVAL);
}

static void options_set_strings(void **state)
{
    (void)state;
    static const struct {
        const char *key;
        size_t off;
    } keys[] = {
        {"host", offsetof(dbx_client_options, host)},
        {"token", offsetof(dbx_client_options, token)},
        {"client_id", offsetof(dbx_client_options, client_id)},
        {"client_secret", offsetof(dbx_client_options, client_secret)},
        {"azure_client_id", offsetof(dbx_client_options, azure_client_id)},
        {"azure_client_secret", offsetof(dbx_client_options, azure_client_secret)},
        {"azure_tenant_id", offsetof(dbx_client_options, azure_tenant_id)},
        {"azure_environment", offsetof(dbx_client_options, azure_environment)},
        {"azure_login_url", offsetof(dbx_client_options, azure_login_url)},
        {"profile", offsetof(dbx_client_options, profile)},
        {"config_file", offsetof(dbx_client_options, config_file)},
        {"ca_bundle", offsetof(dbx_client_options, ca_bundle)},
        {"proxy", offsetof(dbx_client_options, proxy)},
        {"product", offsetof(dbx_client_options, product)},
    };
    dbx_client_options o = DBX_CLIENT_OPTIONS_INIT;
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        char val[64], want[64];
        snprintf(val, sizeof val, "value-of-%s", keys[i].key);
        snprintf(want, sizeof want, "value-of-%s", keys[i].key);
        assert_int_equal(dbx_client_options_set(&o, keys[i].key, val), DBX_OK);
        const char *got = *(const char **)((char *)&o + keys[i].off);
        assert_non_null(got);
        assert_ptr_not_equal(got, val); /* copied */
        memset(val, 'X', sizeof val - 1); /* the caller's buffer may change */
        val[sizeof val - 1] = '\0';
        assert_string_equal(got, want);
        /* replace: the old copy is freed (ASan/valgrind would tell) */
        assert_int_equal(dbx_client_options_set(&o, keys[i].key, "second"), DBX_OK);
        assert_string_equal(*(const char **)((char *)&o + keys[i].off), "second");
    }
    assert_non_null(o._owned);
    /* NULL unsets */
    assert_int_equal(dbx_client_options_set(&o, "proxy", NULL), DBX_OK);
    assert_null(o.proxy);
    assert_int_equal(dbx_client_options_set(&o, "proxy", "http://p:3128"), DBX_OK);

    /* a client can be built from them */
    dbx_client_options_set(&o, "host", "https://x.cloud.databricks.com");
    dbx_client_options_set(&o, "token", SEC_TOKEN);
    dbx_client_options_set(&o, "client_id", NULL);
    dbx_client_options_set(&o, "client_secret", NULL);
    dbx_client_options_set(&o, "azure_client_id", NULL);
    dbx_client_options_set(&o, "azure_client_secret", NULL);
    dbx_client_options_set(&o, "azure_tenant_id", NULL);
    dbx_client_options_set(&o, "azure_environment", NULL);
    dbx_client_options_set(&o, "azure_login_url", NULL);
    dbx_client_options_set(&o, "profile", NULL);
    dbx_client_options_set(&o, "config_file", NULL);
    dbx_client_options_set(&o, "ca_bundle", NULL);
    dbx_client_options_set(&o, "product", "app/2");
    assert_int_equal(dbx_client_options_set(&o, "no_env", "true"), DBX_OK);
    assert_int_equal(dbx_client_options_set(&o, "no_config_file", "1"), DBX_OK);
    dbx_client *c = expect_ok(&o);
    assert_string_equal(dbx_client_host(c), "https://x.cloud.databricks.com");
    assert_string_equal(c->vals[A_PROXY], "http://p:3128");
    assert_non_null(strstr(c->pipe.cfg.user_agent_header, " app/2"));

    /* dispose clears the fields it owned and frees them; the client kept copies */
    dbx_client_options_dispose(&o);
    assert_null(o._owned);
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        assert_null(*(const char **)((char *)&o + keys[i].off));
    assert_string_equal(c->vals[A_TOKEN], SEC_TOKEN);
    dbx_client_free(c);
    /* dispose twice, and on NULL, are harmless */
    dbx_client_options_dispose(&o);
    dbx_client_options_dispose(NULL);

    /* a field the caller replaced is left alone by dispose */
    dbx_client_options p = DBX_CLIENT_OPTIONS_INIT;
    dbx_client_options_set(&p, "host", "a");
    const char *mine = "mine";
    p.host = mine;
    dbx_client_options_dispose(&p);
    assert_ptr_equal(p.host, mine);
}

static void options_set_numbers_and_flags(void **state)
{
    (void)state;
    dbx_client_options o = DBX_CLIENT_OPTIONS_INIT;
    assert_int_equal(dbx_client_options_set(&o, "http_timeout_ms", "1500"), DBX_OK);
    assert_int_equal(o.http_timeout_ms, 1500);
    assert_int_equal(dbx_client_options_set(&o, "connect_timeout_ms", " 250 "), DBX_OK);
    assert_int_equal(o.connect_timeout_ms, 250);
    assert_int_equal(dbx_client_options_set(&o, "retry_timeout_ms", "0"), DBX_OK);
    assert_int_equal(o.retry_timeout_ms, 0);
    assert_int_equal(dbx_client_options_set(&o, "retry_initial_delay_ms", "10"), DBX_OK);
    assert_int_equal(o.retry_initial_delay_ms, 10);
    assert_int_equal(dbx_client_options_set(&o, "retry_max_delay_ms", "20"), DBX_OK);
    assert_int_equal(o.retry_max_delay_ms, 20);
    assert_int_equal(dbx_client_options_set(&o, "http_timeout_seconds", "30"), DBX_OK);
    assert_int_equal(o.http_timeout_ms, 30000);
    assert_int_equal(dbx_client_options_set(&o, "retry_timeout_seconds", "600"), DBX_OK);
    assert_int_equal(o.retry_timeout_ms, 600000);
    assert_int_equal(dbx_client_options_set(&o, "max_attempts", "5"), DBX_OK);
    assert_int_equal(o.max_attempts, 5);
    assert_int_equal(dbx_client_options_set(&o, "max_attempts", NULL), DBX_OK);
    assert_int_equal(o.max_attempts, 0);

    assert_int_equal(dbx_client_options_set(&o, "skip_verify", "true"), DBX_OK);
    assert_int_equal(o.insecure_skip_verify, 1);
    assert_int_equal(dbx_client_options_set(&o, "insecure_skip_verify", "off"), DBX_OK);
    assert_int_equal(o.insecure_skip_verify, 0);
    assert_int_equal(dbx_client_options_set(&o, "no_env", "yes"), DBX_OK);
    assert_int_equal(o.no_env, 1);
    assert_int_equal(dbx_client_options_set(&o, "no_config_file", "TRUE"), DBX_OK);
    assert_int_equal(o.no_config_file, 1);
    assert_int_equal(dbx_client_options_set(&o, "no_config_file", "0"), DBX_OK);
    assert_int_equal(o.no_config_file, 0);

    static const struct {
        const char *name;
        dbx_auth_type t;
    } auths[] = {{"pat", DBX_AUTH_PAT},
                 {"oauth-m2m", DBX_AUTH_OAUTH_M2M},
                 {"azure-client-secret", DBX_AUTH_AZURE_CLIENT_SECRET},
                 {"none", DBX_AUTH_NONE},
                 {"default", DBX_AUTH_AUTO},
                 {"", DBX_AUTH_AUTO}};
    for (size_t i = 0; i < sizeof auths / sizeof *auths; i++) {
        o.auth_type = (dbx_auth_type)77;
        assert_int_equal(dbx_client_options_set(&o, "auth_type", auths[i].name), DBX_OK);
        assert_int_equal(o.auth_type, auths[i].t);
    }
    o.auth_type = DBX_AUTH_PAT;
    assert_int_equal(dbx_client_options_set(&o, "auth_type", NULL), DBX_OK);
    assert_int_equal(o.auth_type, DBX_AUTH_AUTO);

    static const struct {
        const char *name;
        dbx_log_level l;
    } levels[] = {{"off", DBX_LOG_OFF},     {"error", DBX_LOG_ERROR}, {"warn", DBX_LOG_WARN},
                  {"warning", DBX_LOG_WARN}, {"info", DBX_LOG_INFO},   {"DEBUG", DBX_LOG_DEBUG},
                  {"trace", DBX_LOG_TRACE}, {"3", DBX_LOG_INFO},      {"", DBX_LOG_OFF}};
    for (size_t i = 0; i < sizeof levels / sizeof *levels; i++) {
        o.log_level = (dbx_log_level)9;
        assert_int_equal(dbx_client_options_set(&o, "log_level", levels[i].name), DBX_OK);
        assert_int_equal(o.log_level, levels[i].l);
    }
    dbx_client_options_dispose(&o);
}

static void options_set_errors(void **state)
{
    (void)state;
    dbx_client_options o;
    memset(&o, 0, sizeof o); /* padding included, so whole-struct comparisons are exact */
    o.version = DBX_CLIENT_OPTIONS_VERSION;
    static const struct {
        const char *key, *value, *needle;
    } bad[] = {
        {"no_such_option", "x", "no_such_option"},
        {"Host", "x", "Host"},
        {"http_timeout_ms", "12" "SECRETnumber", "http_timeout_ms"},
        {"http_timeout_ms", "-5", "http_timeout_ms"},
        {"connect_timeout_ms", "1.5", "connect_timeout_ms"},
        {"retry_timeout_seconds", "99999999999", "retry_timeout_seconds"},
        {"http_timeout_seconds", "", "http_timeout_seconds"},
        {"max_attempts", "2000000", "max_attempts"},
        {"max_attempts", "many", "max_attempts"},
        {"skip_verify", "SECRETbool", "skip_verify"},
        {"no_env", "2", "no_env"},
        {"auth_type", "kerberos", "auth_type"},
        {"auth_type", "PAT", "auth_type"},
        {"log_level", "loud", "log_level"},
        {"log_level", "6", "log_level"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        dbx_client_options before;
        memcpy(&before, &o, sizeof o);
        dbx_status st = dbx_client_options_set(&o, bad[i].key, bad[i].value);
        if (st != DBX_EINVAL)
            fail_msg("set(%s, %s) -> %s", bad[i].key, bad[i].value, dbx_status_name(st));
        const dbx_error *e = dbx_client_last_error(NULL);
        assert_int_equal(e->status, DBX_EINVAL);
        if (!strstr(e->message, bad[i].needle))
            fail_msg("set(%s): message \"%s\" does not name the key", bad[i].key, e->message);
        assert_no_secret(e->message);
        assert_memory_equal(&before, &o, sizeof o); /* untouched */
    }
    assert_int_equal(dbx_client_options_set(NULL, "host", "x"), DBX_EINVAL);
    assert_int_equal(dbx_client_options_set(&o, NULL, "x"), DBX_EINVAL);
    /* version 0 / 99: refused */
    dbx_client_options z;
    memset(&z, 0, sizeof z);
    assert_int_equal(dbx_client_options_set(&z, "host", "x"), DBX_EINVAL);
    assert_null(z._owned);
    z.version = 99;
    assert_int_equal(dbx_client_options_set(&z, "host", "x"), DBX_EINVAL);
    assert_null(z._owned);
}

/* Plain http sends the PAT in clear: refused unless the host is loopback
 * or the caller opts in (issue 5, section 2.6). */
static void plain_http_only_to_loopback(void **state)
{
    (void)state;
    dbx_client_options o = opts_isolated();
    o.token = SEC_TOKEN;
    o.host = "http://adb-1.2.azuredatabricks.net";
    expect_fail(&o, DBX_ECONFIG, "host", "http", "insecure_allow_http", NULL);
    o.host = "http://127.0.0.1.example.com:8080";
    expect_fail(&o, DBX_ECONFIG, "host", NULL);
    o.host = "HTTP://10.0.0.7:80/";
    expect_fail(&o, DBX_ECONFIG, "host", NULL);
    /* loopback is fine, and so is an explicit opt-in */
    static const char *const ok[] = {"http://127.0.0.1:8080", "http://localhost", "http://[::1]:9"};
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        o.host = ok[i];
        dbx_client_free(expect_ok(&o));
    }
    o.host = "http://adb-1.2.azuredatabricks.net";
    o.insecure_allow_http = 1;
    dbx_client_free(expect_ok(&o));
    /* by name, for bindings */
    dbx_client_options n;
    assert_int_equal(dbx_client_options_init(&n, DBX_CLIENT_OPTIONS_VERSION), DBX_OK);
    assert_int_equal(dbx_client_options_set(&n, "host", "http://adb-1.2.azuredatabricks.net"), DBX_OK);
    assert_int_equal(dbx_client_options_set(&n, "token", SEC_TOKEN), DBX_OK);
    assert_int_equal(dbx_client_options_set(&n, "no_env", "1"), DBX_OK);
    assert_int_equal(dbx_client_options_set(&n, "no_config_file", "1"), DBX_OK);
    expect_fail(&n, DBX_ECONFIG, "host", NULL);
    assert_int_equal(dbx_client_options_set(&n, "insecure_allow_http", "true"), DBX_OK);
    dbx_client_free(expect_ok(&n));
    dbx_client_options_dispose(&n);
    /* a version-1 struct has no such field: the by-name setter refuses to write it */
    dbx_client_options v1 = opts_isolated();
    v1.version = 1;
    assert_int_equal(dbx_client_options_set(&v1, "insecure_allow_http", "true"), DBX_EINVAL);
    assert_non_null(strstr(dbx_client_last_error(NULL)->message, "version 2"));
}

static void response_limit_option(void **state)
{
    (void)state;
    dbx_client_options o = opts_isolated();
    o.host = "https://a.cloud.databricks.com";
    o.token = SEC_TOKEN;
    o.max_response_bytes = 1234;
    dbx_client *c = expect_ok(&o);
    assert_int_equal(c->pipe.cfg.max_response_bytes, 1234);
    dbx_client_free(c);
    o.max_response_bytes = -1;
    expect_fail(&o, DBX_EINVAL, "max_response_bytes", NULL);
    o.max_response_bytes = DBX_MAX_RESPONSE_BYTES_LIMIT + 1;
    expect_fail(&o, DBX_EINVAL, "max_response_bytes", NULL);
    dbx_client_options n;
    assert_int_equal(dbx_client_options_init(&n, DBX_CLIENT_OPTIONS_VERSION), DBX_OK);
    assert_int_equal(dbx_client_options_set(&n, "max_response_bytes", "1048576"), DBX_OK);
    assert_int_equal(n.max_response_bytes, 1048576);
    assert_int_equal(dbx_client_options_set(&n, "max_response_bytes", "-5"), DBX_EINVAL);
    assert_int_equal(dbx_client_options_set(&n, "max_response_bytes", "3000000000"), DBX_EINVAL);
    assert_int_equal(dbx_client_options_set(&n, "max_response_bytes", "12x"), DBX_EINVAL);
    dbx_client_options_dispose(&n);
}

/* A successful call on the thread leaves no stale error behind (issue 5, 2.11). */
static void options_set_clears_the_last_error(void **state)
{
    (void)state;
    dbx_client_options n;
    assert_int_equal(dbx_client_options_init(&n, DBX_CLIENT_OPTIONS_VERSION), DBX_OK);
    assert_int_equal(dbx_client_options_set(&n, "no_such_key", "x"), DBX_EINVAL);
    assert_int_equal(dbx_client_last_error(NULL)->status, DBX_EINVAL);
    assert_int_equal(dbx_client_options_set(&n, "host", "https://x.cloud.databricks.com"), DBX_OK);
    assert_int_equal(dbx_client_last_error(NULL)->status, DBX_OK);
    assert_int_equal(dbx_client_options_init(NULL, 1), DBX_EINVAL);
    dbx_client_options_dispose(&n);
    assert_int_equal(dbx_client_options_init(&n, DBX_CLIENT_OPTIONS_VERSION), DBX_OK);
    assert_int_equal(dbx_client_last_error(NULL)->status, DBX_OK);
    dbx_wait_options w;
    assert_int_equal(dbx_wait_options_init(&w, 99), DBX_EINVAL);
    assert_int_equal(dbx_wait_options_init(&w, DBX_WAIT_OPTIONS_VERSION), DBX_OK);
    assert_int_equal(dbx_client_last_error(NULL)->status, DBX_OK);
    dbx_client_options_dispose(&n);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(plain_http_only_to_loopback),
        T(response_limit_option),
        T(options_set_clears_the_last_error),
        T(precedence_option_env_config),
        T(defaults_applied),
        T(profile_selection),
        T(profile_missing),
        T(config_file_skipped_when_complete),
        T(config_file_spaced_values),
        T(host_normalisation),
        T(auth_detection),
        T(auth_forced),
        T(auth_conflicts_and_gaps),
        T(control_characters_refused),
        T(log_level_from_env),
        T(skip_verify_attribute),
        T(client_new_arguments),
        T(options_init),
        T(options_set_strings),
        T(options_set_numbers_and_flags),
        T(options_set_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
