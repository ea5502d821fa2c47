/*
 * mcommon: the machinery every migration program shares (one copy, linked as
 * the static library dbx_mcommon).
 *
 * The programs keep one client, one report and one result directory for their
 * whole run; those live here as globals, so a program's code reads as before
 * (client, rep, out_dir, ...). Not thread-safe: die()/finish() end the
 * process and must be called from the main thread (worker threads report
 * their failures back instead). The globals are set by the program's main().
 *
 * Ending a program: finish(code) deletes the serving endpoint when the program
 * created it (endpoint_created, unless DBX_MIGRATION_KEEP=1), writes
 * <out_dir>/<mc_program>.json and .html, prints "PASSED"/"FAILED" with their
 * paths, frees the report, the warehouse id and the client, and exits with:
 * code when non-zero; else 0 when every step passed, 1 otherwise (1 as well
 * when the report cannot be written).
 */
#ifndef DBX_MIGRATION_MCOMMON_H
#define DBX_MIGRATION_MCOMMON_H

#include <stdint.h>

#include <dbx/dbx.h>

#include "mreport.h"

/* ---- the program's state (owned here; set by the program's main) -------------- */
extern dbx_client *client;     /* freed by finish() */
extern mreport *rep;           /* freed by finish() */
extern char out_dir[512];      /* results directory */
extern const char *mc_program; /* result file base name, e.g. "batch_scoring" */
extern int mc_global_cleanup;  /* 1: finish() calls dbx_global_cleanup() (after dbx_global_init) */
extern const char *endpoint;   /* the serving endpoint's name (not owned) */
extern int endpoint_created;   /* 1: finish() deletes `endpoint` (unless DBX_MIGRATION_KEEP=1) */
extern const char *catalog, *schema; /* of sql() statements (not owned) */
extern char *wh;               /* SQL warehouse id of sql() (owned; freed by finish()) */

/* Starts the run: the report of mc_program titled `title`, dbx_global_init() first
 * when mc_global_cleanup is set, the client from the environment / config file
 * with `product` as its product string, the workspace in the report. When any
 * of it fails, prints "cannot configure a client: <message>" and exits with 2. */
void mc_start(const char *title, const char *product);

/* The environment variable `name` when set and not empty, else `dflt`. */
const char *env_or(const char *name, const char *dflt);

/* Monotonic clock in milliseconds. */
double now_ms(void);

/* Ends the program as described above. Never returns. */
_Noreturn void finish(int code);

/* A failed call ends the program: the current step fails with "<what>: <message>
 * (<status>)[, request <id>]" (the client's last error), also printed to stderr
 * after "FAILED: ", then finish(1). Never returns. */
_Noreturn void die(const char *what, dbx_status st);

/* Evaluates a libdbx call; anything but DBX_OK -> die("<the call's text>", status). */
#define CHECK(call)                                                                                \
    do {                                                                                           \
        dbx_status st_ = (call);                                                                   \
        if (st_ != DBX_OK)                                                                         \
            die(#call, st_);                                                                       \
    } while (0)

/* DBX_OK or DBX_EEXISTS (create-if-missing steps). */
int exists_or_ok(dbx_status st);

/* Runs one statement on `wh` in catalog/schema and waits for it (up to 30 minutes:
 * the warehouse may be starting). Failure prints the statement's error to stderr
 * and die()s with the statement text. The caller frees the result with
 * dbx_sql_statement_free. */
dbx_sql_statement *sql(const char *text);

/* The first column of the first row of sql(text) as an integer (-1 when NULL or no row). */
int64_t sql_int(const char *text);

/* The SQL warehouse to use: DBX_MIGRATION_WAREHOUSE, else the first one listed
 * (none: the current step fails, finish(1)); started and waited for until
 * running (up to 20 minutes). Returns a malloc'd id (the caller owns it; assign
 * it to `wh` to have finish() free it). */
char *pick_warehouse(void);

/* ---- the serving endpoint `endpoint` ------------------------------------------- */

/* Deletes a leftover endpoint of that name (none is fine; another failure die()s).
 * Returns the delete's status (DBX_OK: one was deleted) for mc_endpoint_create. */
dbx_status mc_endpoint_delete_leftover(void);

/* Adds the served entity `entity` (model `model` version `version`, workload "Small",
 * no scale to zero) to cfg. A failure die()s. */
void mc_config_add_entity(dbx_serving_config *cfg, const char *model, int64_t version, const char *entity);

/* Creates `endpoint` from cfg, tagged migrated_from=datarobot and program=<mc_program>.
 * When a leftover was just deleted (leftover == DBX_OK) and the name is still taken,
 * retries every 5 s, 24 times at most (a workspace may take a moment to release it).
 * Frees cfg; sets endpoint_created; a failure die()s. */
void mc_endpoint_create(dbx_serving_config *cfg, dbx_status leftover);

/* Waits (up to 45 minutes) until `endpoint` is ready. *out (when out is not NULL)
 * receives the endpoint (free it with dbx_serving_endpoint_free). A failure die()s. */
void mc_endpoint_wait_ready(dbx_serving_endpoint **out);

/* The usual one-model endpoint: deletes a leftover, creates `endpoint` serving
 * `entity` (model `model` version `version`) at 100 % and waits until ready. *t0
 * (when t0 is not NULL) receives now_ms() just before the create. Returns the
 * endpoint as waited for (free it with dbx_serving_endpoint_free). A failure die()s. */
dbx_serving_endpoint *mc_endpoint_serve_one(const char *model, int64_t version, const char *entity, double *t0);

/* ---- Delta ------------------------------------------------------------------- */

/* Creates the Delta table `table` (columns as SQL, e.g. "id BIGINT, x STRING", and a
 * comment) on `wh` and loads the CSV file `csv` (with a header line) into it with
 * COPY INTO, staged under the volume directory `volume_dir`. Returns the rows loaded
 * (-1 when the service did not say). A failure die()s. */
int64_t mc_create_and_load_csv(const char *table, const char *columns, const char *comment, const char *csv,
                               const char *volume_dir);

#endif
