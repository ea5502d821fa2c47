/*
 * Test support: start the emulator, drive its control API, read its request
 * log, and replace libdbx's clock and sleep so retry/wait tests never sleep.
 */
#ifndef DBX_TEST_HARNESS_H
#define DBX_TEST_HARNESS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "dbx/dbx.h"

typedef struct emu {
    pid_t pid;
    int stdin_fd;
    int http_port, tls_port, other_port;
    char base[64];     /* http://127.0.0.1:PORT */
    char tls_base[64]; /* https://127.0.0.1:PORT */
    char ca_file[512];
    char dir[256];
} emu;

#define EMU_TOKEN "dapi-emulator-token"
#define EMU_CLIENT_ID "emu-client"
#define EMU_CLIENT_SECRET "emu-secret"
#define EMU_TENANT "emu-tenant"

/* Start (or reuse, per process) the emulator. Aborts the test run on failure. */
emu *emu_get(void);
void emu_stop_all(void);

/* Control API. `body` may be NULL. Returns the parsed JSON answer (caller decrefs). */
json_t *emu_ctl(emu *e, const char *method, const char *path, const char *body);
void emu_reset(emu *e);                     /* state, faults, log, clock, config */
void emu_config(emu *e, const char *json);  /* POST /__emulator/config */
void emu_fault(emu *e, const char *json);   /* POST /__emulator/faults */
void emu_advance(emu *e, long ms);          /* virtual clock */
/* The request log, excluding control requests. Caller decrefs. */
json_t *emu_requests(emu *e);
/* Requests whose path equals `path` (NULL: all), in order. Caller decrefs. */
json_t *emu_requests_to(emu *e, const char *path);
/* Last request to `path`; NULL when none. Caller decrefs. */
json_t *emu_last_request(emu *e, const char *path);
/* How many logged requests went to `path` (NULL: any path) and were
 * received by `server` ("main", "tls", "other"; NULL: any). */
size_t emu_count_requests(emu *e, const char *path, const char *server);
/* A dbx_request_options.write_fn that adds the byte count to *(size_t *)payload. */
size_t emu_count_sink(const char *data, size_t len, void *payload);
/* emu_count_requests(e, path, NULL). */
size_t emu_count(emu *e, const char *path);
/* DELETE /__emulator/faults: remove every fault rule. */
void emu_clear_faults(emu *e);
/* Empty the request log (DELETE /__emulator/requests). */
void emu_clear_requests(emu *e);
/* Field of a logged request's JSON body, or NULL. Borrowed. */
json_t *emu_req_json(const json_t *req, const char *name);
/* Header of a logged request (lower-case name), or NULL. Borrowed. */
const char *emu_req_header(const json_t *req, const char *name);
/* First query value of a logged request, or NULL. Borrowed. */
const char *emu_req_query(const json_t *req, const char *name);

/* A PAT client for the emulator over HTTP (no env, no config file). */
dbx_client *emu_client(emu *e);
/* Same, with extra options applied after the defaults. */
dbx_client *emu_client_with(emu *e, void (*tweak)(dbx_client_options *o, void *ud), void *ud);

/* cmocka fixtures shared by the integration suites: a clean emulator
 * (state, faults, log, clock) and libdbx's fake clock, then its removal. */
int emu_fixture_setup(void **state);
int emu_fixture_teardown(void **state);

/* ---- fake clock ------------------------------------------------------------ */
void fake_clock_install(void);
void fake_clock_remove(void);
void fake_clock_advance(long ms);
long fake_clock_slept_total(void);
int fake_clock_sleeps(long *out, int max); /* recorded sleep durations, oldest first */
void fake_clock_reset_sleeps(void);

/* The real monotonic clock in ms, whatever hook libdbx's clock has (for
 * tests that time threads against real deadlines). */
int64_t harness_real_ms(void);

/* Assert helpers usable outside cmocka */
#define HARNESS_CHECK(cond, ...)                                                  \
    do {                                                                          \
        if (!(cond)) {                                                            \
            fprintf(stderr, "harness: " __VA_ARGS__);                             \
            fprintf(stderr, "\n");                                                \
            abort();                                                              \
        }                                                                         \
    } while (0)

#endif
