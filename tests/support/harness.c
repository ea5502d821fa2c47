#define _GNU_SOURCE
#include "harness.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/core.h"

#ifndef DBX_EMULATOR
#error "DBX_EMULATOR must point at tests/emulator/dbx-emulator"
#endif

static emu the_emu;
static int started;

static const char *python(void)
{
    const char *p = getenv("DBX_TEST_PYTHON");
    if (p && *p)
        return p;
    if (access("/usr/bin/python3", X_OK) == 0)
        return "/usr/bin/python3";
    return "python3";
}

static void sleep_real_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int read_ready(emu *e, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char buf[2048];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    json_t *j = json_loads(buf, 0, NULL);
    if (!j)
        return 0;
    e->http_port = (int)json_integer_value(json_object_get(j, "http_port"));
    e->tls_port = (int)json_integer_value(json_object_get(j, "tls_port"));
    e->other_port = (int)json_integer_value(json_object_get(j, "other_port"));
    const char *ca = json_string_value(json_object_get(j, "ca_file"));
    snprintf(e->ca_file, sizeof e->ca_file, "%s", ca ? ca : "");
    json_decref(j);
    return e->http_port > 0;
}

emu *emu_get(void)
{
    if (started)
        return &the_emu;
    emu *e = &the_emu;
    memset(e, 0, sizeof *e);
    /* the emulator is on loopback: a proxy from the environment must not
     * capture the tests' traffic (libcurl honours these variables) */
    static const char *proxy_vars[] = {"http_proxy", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"};
    for (size_t i = 0; i < sizeof proxy_vars / sizeof *proxy_vars; i++)
        unsetenv(proxy_vars[i]);
    snprintf(e->dir, sizeof e->dir, "/tmp/dbx-test-XXXXXX");
    HARNESS_CHECK(mkdtemp(e->dir), "mkdtemp failed");
    char ready[320];
    snprintf(ready, sizeof ready, "%s/ready.json", e->dir);
    int pipefd[2];
    HARNESS_CHECK(pipe(pipefd) == 0, "pipe failed");
    pid_t pid = fork();
    HARNESS_CHECK(pid >= 0, "fork failed");
    if (pid == 0) {
        dup2(pipefd[0], 0);
        close(pipefd[0]);
        close(pipefd[1]);
        const char *py = python();
        execlp(py, py, DBX_EMULATOR, "--tls", "--quiet", "--exit-on-stdin-eof", "--state-dir", e->dir,
               "--ready-file", ready, (char *)NULL);
        _exit(127);
    }
    close(pipefd[0]);
    e->stdin_fd = pipefd[1];
    fcntl(e->stdin_fd, F_SETFD, FD_CLOEXEC);
    e->pid = pid;
    for (int i = 0; i < 300 && !read_ready(e, ready); i++) {
        int st;
        HARNESS_CHECK(waitpid(pid, &st, WNOHANG) == 0, "emulator exited during start-up");
        sleep_real_ms(50);
    }
    HARNESS_CHECK(e->http_port > 0, "emulator did not become ready in 15 s");
    snprintf(e->base, sizeof e->base, "http://127.0.0.1:%d", e->http_port);
    snprintf(e->tls_base, sizeof e->tls_base, "https://127.0.0.1:%d", e->tls_port);
    started = 1;
    atexit(emu_stop_all);
    return e;
}

void emu_stop_all(void)
{
    if (!started)
        return;
    started = 0;
    emu *e = &the_emu;
    close(e->stdin_fd);
    kill(e->pid, SIGTERM);
    int st;
    for (int i = 0; i < 100; i++) {
        if (waitpid(e->pid, &st, WNOHANG) == e->pid)
            return;
        sleep_real_ms(20);
    }
    kill(e->pid, SIGKILL);
    waitpid(e->pid, &st, 0);
}

/* ---- control API over raw libcurl ---------------------------------------------- */

static size_t collect(char *d, size_t s, size_t n, void *ud)
{
    dbx__buf *b = ud;
    dbx__buf_put(b, d, s * n);
    return s * n;
}

json_t *emu_ctl(emu *e, const char *method, const char *path, const char *body)
{
    CURL *h = curl_easy_init();
    HARNESS_CHECK(h, "curl_easy_init");
    char url[512];
    snprintf(url, sizeof url, "%s%s", e->base, path);
    dbx__buf out = DBX__BUF_INIT;
    struct curl_slist *hdrs = curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &out);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 20L);
    if (body) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    }
    CURLcode rc = curl_easy_perform(h);
    long code = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(h);
    HARNESS_CHECK(rc == CURLE_OK && code == 200, "control call %s %s failed: curl %d, HTTP %ld: %s", method, path,
                  (int)rc, code, out.ptr ? out.ptr : "");
    json_error_t err;
    json_t *j = json_loads(out.ptr ? out.ptr : "{}", JSON_DECODE_ANY, &err);
    HARNESS_CHECK(j, "control answer is not JSON: %s", out.ptr ? out.ptr : "");
    dbx__buf_dispose(&out);
    return j;
}

void emu_reset(emu *e) { json_decref(emu_ctl(e, "POST", "/__emulator/reset", "{}")); }
void emu_config(emu *e, const char *json) { json_decref(emu_ctl(e, "POST", "/__emulator/config", json)); }
void emu_fault(emu *e, const char *json) { json_decref(emu_ctl(e, "POST", "/__emulator/faults", json)); }

void emu_advance(emu *e, long ms)
{
    char body[64];
    snprintf(body, sizeof body, "{\"advance_ms\": %ld}", ms);
    json_decref(emu_ctl(e, "POST", "/__emulator/clock", body));
}

json_t *emu_requests(emu *e)
{
    json_t *j = emu_ctl(e, "GET", "/__emulator/requests", NULL);
    json_t *arr = json_incref(json_object_get(j, "requests"));
    json_decref(j);
    HARNESS_CHECK(json_is_array(arr), "request log has no 'requests' array");
    return arr;
}

json_t *emu_requests_to(emu *e, const char *path)
{
    json_t *all = emu_requests(e), *out = json_array();
    size_t i;
    json_t *r;
    json_array_foreach(all, i, r)
    {
        if (!path || strcmp(json_string_value(json_object_get(r, "path")), path) == 0)
            json_array_append(out, r);
    }
    json_decref(all);
    return out;
}

json_t *emu_last_request(emu *e, const char *path)
{
    json_t *arr = emu_requests_to(e, path);
    size_t n = json_array_size(arr);
    json_t *r = n ? json_incref(json_array_get(arr, n - 1)) : NULL;
    json_decref(arr);
    return r;
}

size_t emu_count_requests(emu *e, const char *path, const char *server)
{
    json_t *all = emu_requests_to(e, path);
    size_t i, n = 0;
    json_t *r;
    json_array_foreach(all, i, r)
    {
        if (!server || strcmp(json_string_value(json_object_get(r, "server")), server) == 0)
            n++;
    }
    json_decref(all);
    return n;
}

size_t emu_count_sink(const char *data, size_t len, void *payload)
{
    (void)data;
    *(size_t *)payload += len;
    return len;
}

size_t emu_count(emu *e, const char *path) { return emu_count_requests(e, path, NULL); }

void emu_clear_faults(emu *e) { json_decref(emu_ctl(e, "DELETE", "/__emulator/faults", NULL)); }

void emu_clear_requests(emu *e) { json_decref(emu_ctl(e, "DELETE", "/__emulator/requests", NULL)); }

json_t *emu_req_json(const json_t *req, const char *name)
{
    return json_object_get(json_object_get(req, "json"), name);
}

const char *emu_req_header(const json_t *req, const char *name)
{
    return json_string_value(json_object_get(json_object_get(req, "headers"), name));
}

const char *emu_req_query(const json_t *req, const char *name)
{
    json_t *v = json_object_get(json_object_get(req, "query"), name);
    return json_is_array(v) ? json_string_value(json_array_get(v, 0)) : json_string_value(v);
}

dbx_client *emu_client_with(emu *e, void (*tweak)(dbx_client_options *o, void *ud), void *ud)
{
    dbx_client_options o = DBX_CLIENT_OPTIONS_INIT;
    o.host = e->base;
    if (getenv("DBX_TEST_TLS") && *getenv("DBX_TEST_TLS") == '1') {
        o.host = e->tls_base; /* the whole suite over HTTPS, verifying the CA */
        o.ca_bundle = e->ca_file;
    }
    o.token = EMU_TOKEN;
    o.no_env = 1;
    o.no_config_file = 1;
    o.retry_timeout_ms = 60000;
    if (tweak)
        tweak(&o, ud);
    dbx_client *c = NULL;
    dbx_status st = dbx_client_new(&c, &o);
    HARNESS_CHECK(st == DBX_OK, "dbx_client_new: %s", dbx_client_last_error(NULL)->message);
    return c;
}

dbx_client *emu_client(emu *e) { return emu_client_with(e, NULL, NULL); }

/* ---- fake clock ------------------------------------------------------------------ */

static atomic_llong fake_now = 1000000;
static atomic_llong slept_total;
static pthread_mutex_t sleeps_mu = PTHREAD_MUTEX_INITIALIZER;
static long sleeps[256];
static int n_sleeps;

static int64_t fake_now_ms(void *ud)
{
    (void)ud;
    return (int64_t)atomic_load(&fake_now);
}

static void fake_sleep_ms(long ms, void *ud)
{
    (void)ud;
    atomic_fetch_add(&fake_now, ms);
    atomic_fetch_add(&slept_total, ms);
    pthread_mutex_lock(&sleeps_mu);
    if (n_sleeps < 256)
        sleeps[n_sleeps++] = ms;
    pthread_mutex_unlock(&sleeps_mu);
}

void fake_clock_install(void)
{
    dbx__platform_hooks h = {fake_now_ms, fake_sleep_ms, NULL};
    fake_clock_reset_sleeps();
    dbx__platform_set_hooks(&h);
}

void fake_clock_remove(void) { dbx__platform_set_hooks(NULL); }
void fake_clock_advance(long ms) { atomic_fetch_add(&fake_now, ms); }
long fake_clock_slept_total(void) { return (long)atomic_load(&slept_total); }

int fake_clock_sleeps(long *out, int max)
{
    pthread_mutex_lock(&sleeps_mu);
    int n = n_sleeps < max ? n_sleeps : max;
    memcpy(out, sleeps, (size_t)n * sizeof *out);
    pthread_mutex_unlock(&sleeps_mu);
    return n;
}

void fake_clock_reset_sleeps(void)
{
    pthread_mutex_lock(&sleeps_mu);
    n_sleeps = 0;
    pthread_mutex_unlock(&sleeps_mu);
    atomic_store(&slept_total, 0);
}

int64_t harness_real_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int emu_fixture_setup(void **state)
{
    (void)state;
    emu_reset(emu_get());
    fake_clock_install();
    return 0;
}

int emu_fixture_teardown(void **state)
{
    (void)state;
    fake_clock_remove();
    return 0;
}
