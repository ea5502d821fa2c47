/*
 * Migration program 6: the same program under every way of signing in.
 *
 * On DataRobot a script makes a `dr.Client` from an API token, a config
 * file or the environment. On Databricks the same script meets more setups:
 * a personal access token, an OAuth M2M service principal (client id and
 * secret), an Azure (Entra ID) service principal, or a profile of
 * ~/.databrickscfg that holds any of them. This program runs one small
 * workload once per configuration, each time in a fresh client built ONLY
 * from that configuration (options with no_env, so one case's settings
 * never leak into the next): resolve the client and report its auth type
 * and where the host and the credentials came from, list the SQL
 * warehouses, run `SELECT 1` through statement execution, list the serving
 * endpoints. (libdbx has no current-user call: not part of the workload.)
 * Then negative cases: a PAT this workspace did not issue (a token for
 * another workspace), and a wrong OAuth / Azure secret, each must fail with
 * DBX_EUNAUTHENTICATED.
 *
 * Checks per case: the workload succeeded (negative: failed with
 * DBX_EUNAUTHENTICATED), the auth type is the expected one, the host and
 * credentials came from the expected source ("option", or "config" for the
 * profile), and no log line (TRACE level: headers and bodies included) and
 * no error message carries a secret of the case, nor an unredacted bearer
 * token. A case whose configuration is not given is reported as "skipped:
 * not configured" (a visible check that does not fail the run), unless
 * DBX_MIGRATION_REQUIRE_ALL=1 (the emulator runner sets it: there every
 * case must run).
 *
 * Result: <out>/auth_portability.json and .html. Exit code 0 only when
 * every check passed.
 *
 * Configuration (environment; nothing else is read):
 *   DBX_MIGRATION_HOST (else DATABRICKS_HOST)  the workspace URL
 *   DBX_MIGRATION_PAT                          a personal access token
 *   DBX_MIGRATION_CLIENT_ID, DBX_MIGRATION_CLIENT_SECRET   OAuth M2M service principal
 *   DBX_MIGRATION_AZURE_CLIENT_ID, DBX_MIGRATION_AZURE_CLIENT_SECRET  Entra service principal,
 *   DBX_MIGRATION_AZURE_TENANT (optional: else discovered from the workspace),
 *   DBX_MIGRATION_AZURE_HOST (optional: an Azure workspace; default the host above),
 *   DBX_MIGRATION_AZURE_LOGIN_URL (optional: Entra login base URL, AZURE_AUTHORITY_HOST)
 *   DBX_MIGRATION_PROFILE                      a profile of the config file, and
 *   DBX_MIGRATION_CONFIG_FILE (default ~/.databrickscfg),
 *   DBX_MIGRATION_PROFILE_AUTH (optional: the auth type the profile must resolve to)
 *   DBX_MIGRATION_WAREHOUSE  SQL warehouse id for SELECT 1 (default: the first one listed)
 *   DBX_MIGRATION_REQUIRE_ALL=1  a case not configured fails the run
 *   DBX_MIGRATION_PROXY      HTTP(S) proxy URL (the clients read no environment, so not
 *                            https_proxy either)
 *   DBX_MIGRATION_OUT        directory of the results (default "migration-results")
 */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <dbx/dbx.h>

#include "mcommon.h"
#include "mreport.h"

#define MAX_SECRETS 6

static int require_all;

/* ---- the log scan: every line the library logs, at TRACE ------------------------- */

typedef struct logscan {
    const char *secrets[MAX_SECRETS];
    size_t lines, requests, leaks, bearer_leaks;
} logscan;

/* "Bearer " followed by anything but the redaction marker. */
static size_t unredacted_bearers(const char *msg)
{
    size_t n = 0;
    for (const char *p = msg; (p = strstr(p, "Bearer ")) != NULL; p += 7)
        if (p[7] && !isspace((unsigned char)p[7]) && strncmp(p + 7, "**REDACTED**", 12) != 0)
            n++;
    return n;
}

static void scan_text(logscan *s, const char *msg)
{
    for (int i = 0; i < MAX_SECRETS && s->secrets[i]; i++)
        if (*s->secrets[i] && strstr(msg, s->secrets[i])) {
            s->leaks++;
            break;
        }
    s->bearer_leaks += unredacted_bearers(msg);
}

static void on_log(dbx_log_level level, dbx_log_category category, const char *msg, void *payload)
{
    (void)level;
    logscan *s = payload;
    s->lines++;
    if (category == DBX_LOGCAT_HTTP_REQUEST)
        s->requests++;
    scan_text(s, msg);
}

/* ---- the config file: the profile's secrets, to look for them in the logs -------- */

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = 0;
    return s;
}

/* Copies of the secret values (token, client_secret, azure_client_secret) of
 * [profile] in path; the count found. */
static int profile_secrets(const char *path, const char *profile, char **out, int max)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char line[2048];
    int in = 0, n = 0;
    while (fgets(line, sizeof line, f)) {
        char *l = trim(line);
        if (*l == '[') {
            char *e = strchr(l, ']');
            if (e)
                *e = 0;
            in = strcmp(trim(l + 1), profile) == 0;
            continue;
        }
        char *eq = strchr(l, '=');
        if (!in || !eq || n >= max)
            continue;
        *eq = 0;
        char *k = trim(l), *v = trim(eq + 1);
        if (*v && (!strcmp(k, "token") || !strcmp(k, "client_secret") || !strcmp(k, "azure_client_secret") ||
                   !strcmp(k, "password")))
            out[n++] = strdup(v);
    }
    fclose(f);
    return n;
}

/* ---- the workload ------------------------------------------------------------------- */

typedef struct outcome {
    dbx_status st;
    const char *call; /* the call that failed */
    char msg[512];    /* its error message */
    size_t warehouses, endpoints;
    int64_t one;
} outcome;

static int failed(outcome *o, dbx_client *c, const char *call, dbx_status st)
{
    if (st == DBX_OK)
        return 0;
    o->st = st;
    o->call = call;
    snprintf(o->msg, sizeof o->msg, "%s", dbx_client_last_error(c)->message);
    return 1;
}

static void workload(outcome *o, dbx_client *c)
{
    memset(o, 0, sizeof *o);
    o->one = -1;
    /* SQL warehouses */
    dbx_warehouses_iter *wi;
    if (failed(o, c, "dbx_warehouses_list", dbx_warehouses_list(&wi, c, NULL)))
        return;
    const dbx_warehouse *w;
    dbx_status st;
    char first[128] = "";
    while ((st = dbx_warehouses_iter_next(&w, wi)) == DBX_OK) {
        if (!o->warehouses++)
            snprintf(first, sizeof first, "%s", dbx_warehouse_id(w));
    }
    dbx_warehouses_iter_free(wi);
    if (st != DBX_DONE && failed(o, c, "dbx_warehouses_iter_next", st))
        return;
    /* SELECT 1 */
    const char *wh = env_or("DBX_MIGRATION_WAREHOUSE", first);
    if (!*wh) {
        o->st = DBX_ENOTFOUND;
        o->call = "pick a warehouse";
        snprintf(o->msg, sizeof o->msg, "no SQL warehouse in the workspace (set DBX_MIGRATION_WAREHOUSE)");
        return;
    }
    dbx_sql_execute_options eo = DBX_SQL_EXECUTE_OPTIONS_INIT;
    eo.wait_timeout_s = 30;
    dbx_wait_options wo = DBX_WAIT_OPTIONS_INIT;
    wo.timeout_ms = 20L * 60 * 1000; /* a stopped warehouse starts for the statement */
    dbx_sql_statement *stmt = NULL;
    st = dbx_sql_run(&stmt, c, wh, "SELECT 1", NULL, &eo, &wo);
    if (failed(o, c, "dbx_sql_run(SELECT 1)", st)) {
        dbx_sql_statement_free(stmt);
        return;
    }
    dbx_sql_rows *rows;
    st = dbx_sql_rows_open(&rows, c, stmt, NULL);
    dbx_sql_statement_free(stmt);
    if (failed(o, c, "dbx_sql_rows_open", st))
        return;
    if (dbx_sql_rows_next(rows) == DBX_OK && !dbx_sql_rows_is_null(rows, 0))
        dbx_sql_rows_int64(&o->one, rows, 0);
    dbx_sql_rows_free(rows);
    if (o->one != 1) {
        o->st = DBX_EBADRESPONSE;
        o->call = "SELECT 1";
        snprintf(o->msg, sizeof o->msg, "answered %" PRId64 ", not 1", o->one);
        return;
    }
    /* serving endpoints */
    dbx_serving_iter *si;
    if (failed(o, c, "dbx_serving_list", dbx_serving_list(&si, c)))
        return;
    const dbx_serving_endpoint *ep;
    while ((st = dbx_serving_iter_next(&ep, si)) == DBX_OK)
        o->endpoints++;
    dbx_serving_iter_free(si);
    if (st != DBX_DONE)
        failed(o, c, "dbx_serving_iter_next", st);
}

/* ---- one configuration -------------------------------------------------------------- */

typedef struct acase {
    const char *name;        /* "pat", ... (check names start with it) */
    const char *title;       /* the step's name */
    const char *missing;     /* NULL when configured, else what is missing */
    const char *expect_auth; /* NULL: any */
    const char *cred_key;    /* the credential attribute whose source is checked (NULL:
                                that of the auth type expected, else of the one resolved) */
    const char *expect_source;
    dbx_status expect;       /* DBX_OK, or the failure a negative case must meet */
    dbx_client_options o;
    const char *secrets[MAX_SECRETS];
} acase;

static void skip_case(const acase *k)
{
    char name[200];
    mreport_step_begin(rep, k->title);
    mreport_step_end(rep, !require_all, "skipped: not configured (%s)", k->missing);
    printf("%-34s skipped: not configured (%s)\n", k->title, k->missing);
    if (require_all) {
        snprintf(name, sizeof name, "%s: configured (DBX_MIGRATION_REQUIRE_ALL)", k->name);
        mreport_check(rep, name, 0, "==", 1, "");
    } else {
        snprintf(name, sizeof name, "%s: runs", k->name);
        mreport_skip(rep, name, "not configured (%s)", k->missing);
    }
}

static const char *src_or(const dbx_client *c, const char *key)
{
    const char *s = dbx_client_config_source(c, key);
    return s ? s : "unset";
}

/* The attribute that holds the secret of an auth type. */
static const char *cred_key_of(const char *auth)
{
    return !strcmp(auth, "oauth-m2m")             ? "client_secret"
           : !strcmp(auth, "azure-client-secret") ? "azure_client_secret"
                                                  : "token";
}

static void run_case(acase *k)
{
    if (k->missing) {
        skip_case(k);
        return;
    }
    char name[256];
    logscan scan;
    memset(&scan, 0, sizeof scan);
    memcpy(scan.secrets, k->secrets, sizeof scan.secrets);
    k->o.log_fn = on_log;
    k->o.log_payload = &scan;
    k->o.log_level = DBX_LOG_TRACE;
    k->o.no_env = 1; /* this configuration only: nothing from DATABRICKS_* / ARM_* */
    k->o.proxy = env_or("DBX_MIGRATION_PROXY", NULL); /* no_env also skips https_proxy & co. */
    k->o.product = "dbx-migration-auth-portability/1.0";

    mreport_step_begin(rep, k->title);
    double t0 = now_ms();
    dbx_client *c = NULL;
    outcome out;
    memset(&out, 0, sizeof out);
    const char *auth = "none", *host_src = "unset", *cred_src = "unset";
    if (!k->cred_key && k->expect_auth)
        k->cred_key = cred_key_of(k->expect_auth);
    dbx_status cs = dbx_client_new(&c, &k->o);
    if (cs != DBX_OK) {
        out.st = cs;
        out.call = "dbx_client_new";
        snprintf(out.msg, sizeof out.msg, "%s", dbx_client_last_error(NULL)->message);
    } else {
        auth = dbx_client_auth_type(c);
        host_src = src_or(c, "host");
        if (!k->cred_key)
            k->cred_key = cred_key_of(auth);
        cred_src = src_or(c, k->cred_key);
        workload(&out, c);
    }
    if (!k->cred_key) /* no client, no expected auth type */
        k->cred_key = "token";
    double ms = now_ms() - t0;
    scan_text(&scan, out.msg); /* the error message must not carry a secret either */
    int as_expected = out.st == k->expect;
    if (out.st == DBX_OK)
        mreport_step_end(rep, as_expected,
                         "auth %s (host from %s, %s from %s); %zu warehouses, SELECT 1 = %" PRId64
                         ", %zu serving endpoints; %.0f ms, %zu log lines",
                         auth, host_src, k->cred_key, cred_src, out.warehouses, out.one, out.endpoints, ms,
                         scan.lines);
    else
        mreport_step_end(rep, as_expected, "auth %s (host from %s, %s from %s); %s: %s: %s; %.0f ms, %zu log lines",
                         auth, host_src, k->cred_key, cred_src, out.call, dbx_status_name(out.st), out.msg, ms,
                         scan.lines);
    printf("%-34s %s: auth %s, host from %s, %s from %s, %.0f ms%s%s\n", k->title, dbx_status_name(out.st), auth,
           host_src, k->cred_key, cred_src, ms, out.st ? ", " : "", out.st ? out.call : "");

    if (k->expect == DBX_OK)
        snprintf(name, sizeof name, "%s: workload succeeded (got %s)", k->name, dbx_status_name(out.st));
    else
        snprintf(name, sizeof name, "%s: failed with %s (got %s)", k->name, dbx_status_name(k->expect),
                 dbx_status_name(out.st));
    mreport_check(rep, name, as_expected, "==", 1, "");
    if (k->expect_auth) {
        snprintf(name, sizeof name, "%s: auth type %s (got %s)", k->name, k->expect_auth, auth);
        mreport_check(rep, name, strcmp(auth, k->expect_auth) == 0, "==", 1, "");
    } else {
        snprintf(name, sizeof name, "%s: an auth type resolved (got %s)", k->name, auth);
        mreport_check(rep, name, c != NULL && strcmp(auth, "none") != 0, "==", 1, "");
    }
    snprintf(name, sizeof name, "%s: host and %s from %s (got %s, %s)", k->name, k->cred_key, k->expect_source,
             host_src, cred_src);
    mreport_check(rep, name, !strcmp(host_src, k->expect_source) && !strcmp(cred_src, k->expect_source), "==", 1,
                  "");
    snprintf(name, sizeof name, "%s: log lines and errors carrying a secret", k->name);
    mreport_check(rep, name, (double)scan.leaks, "==", 0, "lines");
    snprintf(name, sizeof name, "%s: unredacted bearer tokens in the log", k->name);
    mreport_check(rep, name, (double)scan.bearer_leaks, "==", 0, "");
    /* the scan saw the requests (with their headers and bodies at TRACE) */
    snprintf(name, sizeof name, "%s: HTTP requests in the scanned log", k->name);
    mreport_check(rep, name, (double)scan.requests, ">", 0, "requests");
    dbx_client_free(c);
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    snprintf(out_dir, sizeof out_dir, "%s", env_or("DBX_MIGRATION_OUT", "migration-results"));
    mkdir(out_dir, 0777);
    require_all = atoi(env_or("DBX_MIGRATION_REQUIRE_ALL", "0")) != 0;
    const char *host = env_or("DBX_MIGRATION_HOST", env_or("DATABRICKS_HOST", NULL));
    const char *pat = env_or("DBX_MIGRATION_PAT", NULL);
    const char *cid = env_or("DBX_MIGRATION_CLIENT_ID", NULL), *csec = env_or("DBX_MIGRATION_CLIENT_SECRET", NULL);
    const char *aid = env_or("DBX_MIGRATION_AZURE_CLIENT_ID", NULL),
               *asec = env_or("DBX_MIGRATION_AZURE_CLIENT_SECRET", NULL);
    const char *ahost = env_or("DBX_MIGRATION_AZURE_HOST", host);
    const char *profile = env_or("DBX_MIGRATION_PROFILE", NULL);
    char cfg_default[600];
    snprintf(cfg_default, sizeof cfg_default, "%s/.databrickscfg", env_or("HOME", "."));
    const char *cfg = env_or("DBX_MIGRATION_CONFIG_FILE", cfg_default);

    rep = mreport_new("auth_portability", "Migration 6: one program under PAT, OAuth M2M, Azure SP and a profile");
    if (!rep) {
        fprintf(stderr, "out of memory\n");
        return 2;
    }
    mreport_set_workspace(rep, host ? host : (profile ? profile : "(not configured)"));

    /* secrets of the positive cases, and wrong ones for the negative cases */
    char wrong_csec[300], wrong_asec[300];
    snprintf(wrong_csec, sizeof wrong_csec, "%s-not-the-secret", csec ? csec : "");
    snprintf(wrong_asec, sizeof wrong_asec, "%s-not-the-secret", asec ? asec : "");
    const char *other_pat = "dapi0123456789abcdef0123456789abcdef"; /* issued by no workspace */
    char *psec[MAX_SECRETS - 1] = {0};
    int npsec = profile ? profile_secrets(cfg, profile, psec, MAX_SECRETS - 1) : 0;

    acase cases[7];
    memset(cases, 0, sizeof cases);
    int n = 0;
    acase *k;

    k = &cases[n++];
    k->name = "pat";
    k->title = "PAT";
    k->missing = !host ? "DBX_MIGRATION_HOST / DATABRICKS_HOST" : !pat ? "DBX_MIGRATION_PAT" : NULL;
    k->expect_auth = "pat";
    k->cred_key = "token";
    k->expect_source = "option";
    k->o = (dbx_client_options)DBX_CLIENT_OPTIONS_INIT;
    k->o.host = host;
    k->o.token = pat;
    k->o.no_config_file = 1;
    k->secrets[0] = pat;

    k = &cases[n++];
    k->name = "oauth-m2m";
    k->title = "OAuth M2M service principal";
    k->missing = !host ? "DBX_MIGRATION_HOST / DATABRICKS_HOST"
                 : !cid || !csec ? "DBX_MIGRATION_CLIENT_ID / DBX_MIGRATION_CLIENT_SECRET" : NULL;
    k->expect_auth = "oauth-m2m";
    k->cred_key = "client_secret";
    k->expect_source = "option";
    k->o = (dbx_client_options)DBX_CLIENT_OPTIONS_INIT;
    k->o.host = host;
    k->o.client_id = cid;
    k->o.client_secret = csec;
    k->o.no_config_file = 1;
    k->secrets[0] = csec;

    k = &cases[n++];
    k->name = "azure-client-secret";
    k->title = "Azure service principal";
    k->missing = !ahost ? "DBX_MIGRATION_AZURE_HOST / DATABRICKS_HOST"
                 : !aid || !asec ? "DBX_MIGRATION_AZURE_CLIENT_ID / DBX_MIGRATION_AZURE_CLIENT_SECRET" : NULL;
    k->expect_auth = "azure-client-secret";
    k->cred_key = "azure_client_secret";
    k->expect_source = "option";
    k->o = (dbx_client_options)DBX_CLIENT_OPTIONS_INIT;
    k->o.host = ahost;
    k->o.azure_client_id = aid;
    k->o.azure_client_secret = asec;
    k->o.azure_tenant_id = env_or("DBX_MIGRATION_AZURE_TENANT", NULL);
    k->o.azure_login_url = env_or("DBX_MIGRATION_AZURE_LOGIN_URL", NULL);
    k->o.no_config_file = 1;
    k->secrets[0] = asec;

    k = &cases[n++];
    k->name = "profile";
    k->title = "profile of the config file";
    k->missing = !profile ? "DBX_MIGRATION_PROFILE" : NULL;
    k->expect_auth = env_or("DBX_MIGRATION_PROFILE_AUTH", NULL);
    k->cred_key = NULL; /* that of the auth type it resolves to */
    k->expect_source = "config";
    k->o = (dbx_client_options)DBX_CLIENT_OPTIONS_INIT;
    k->o.profile = profile;
    k->o.config_file = cfg;
    for (int i = 0; i < npsec; i++)
        k->secrets[i] = psec[i];

    /* negative cases: each must fail with DBX_EUNAUTHENTICATED, secrets unlogged */
    k = &cases[n++];
    k->name = "negative: PAT of another workspace";
    k->title = "negative: PAT not issued here";
    k->missing = !host ? "DBX_MIGRATION_HOST / DATABRICKS_HOST" : NULL;
    k->expect_auth = "pat";
    k->cred_key = "token";
    k->expect_source = "option";
    k->expect = DBX_EUNAUTHENTICATED;
    k->o = (dbx_client_options)DBX_CLIENT_OPTIONS_INIT;
    k->o.host = host;
    k->o.token = other_pat;
    k->o.no_config_file = 1;
    k->secrets[0] = other_pat;

    k = &cases[n++];
    k->name = "negative: wrong OAuth secret";
    k->title = "negative: wrong OAuth M2M secret";
    k->missing = cases[1].missing;
    k->expect_auth = "oauth-m2m";
    k->cred_key = "client_secret";
    k->expect_source = "option";
    k->expect = DBX_EUNAUTHENTICATED;
    k->o = cases[1].o;
    k->o.client_secret = wrong_csec;
    k->secrets[0] = wrong_csec;
    k->secrets[1] = csec;

    k = &cases[n++];
    k->name = "negative: wrong Azure secret";
    k->title = "negative: wrong Azure SP secret";
    k->missing = cases[2].missing;
    k->expect_auth = "azure-client-secret";
    k->cred_key = "azure_client_secret";
    k->expect_source = "option";
    k->expect = DBX_EUNAUTHENTICATED;
    k->o = cases[2].o;
    k->o.azure_client_secret = wrong_asec;
    k->secrets[0] = wrong_asec;
    k->secrets[1] = asec;

    for (int i = 0; i < n; i++)
        run_case(&cases[i]);
    for (int i = 0; i < npsec; i++)
        free(psec[i]);

    char json[600], html[600];
    snprintf(json, sizeof json, "%s/auth_portability.json", out_dir);
    snprintf(html, sizeof html, "%s/auth_portability.html", out_dir);
    int code = mreport_write(rep, json, html) != 0;
    int passed = mreport_passed(rep);
    printf("\n%s: result %s, report %s\n", passed && !code ? "PASSED" : "FAILED", json, html);
    mreport_free(rep);
    return code ? code : passed ? 0 : 1;
}
