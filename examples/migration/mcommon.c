/* mcommon: the migration programs' shared machinery (see mcommon.h). */
#define _POSIX_C_SOURCE 200809L
#include "mcommon.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

dbx_client *client;
mreport *rep;
char out_dir[512];
const char *mc_program = "migration";
int mc_global_cleanup;
const char *endpoint;
int endpoint_created;
const char *catalog, *schema;
char *wh;

void mc_start(const char *title, const char *product)
{
    rep = mreport_new(mc_program, title);
    dbx_client_options o = DBX_CLIENT_OPTIONS_INIT;
    o.product = product;
    if (!rep || (mc_global_cleanup && dbx_global_init() != DBX_OK) || dbx_client_new(&client, &o) != DBX_OK) {
        fprintf(stderr, "cannot configure a client: %s\n", dbx_client_last_error(NULL)->message);
        exit(2);
    }
    mreport_set_workspace(rep, dbx_client_host(client));
}

const char *env_or(const char *name, const char *dflt)
{
    const char *v = getenv(name);
    return v && *v ? v : dflt;
}

double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

void die(const char *what, dbx_status st)
{
    const dbx_error *e = dbx_client_last_error(client);
    char msg[1024];
    snprintf(msg, sizeof msg, "%s: %s (%s)%s%s", what, e->message, dbx_status_name(st),
             e->request_id[0] ? ", request " : "", e->request_id);
    fprintf(stderr, "FAILED: %s\n", msg);
    mreport_step_end(rep, 0, "%s", msg);
    finish(1);
}

void finish(int code)
{
    if (endpoint_created && !atoi(env_or("DBX_MIGRATION_KEEP", "0"))) {
        mreport_step_begin(rep, "delete the endpoint");
        dbx_status st = dbx_serving_delete(client, endpoint);
        mreport_step_end(rep, st == DBX_OK, "%s: %s", endpoint, dbx_status_name(st));
        endpoint_created = 0;
    }
    char json[600], html[600];
    snprintf(json, sizeof json, "%s/%s.json", out_dir, mc_program);
    snprintf(html, sizeof html, "%s/%s.html", out_dir, mc_program);
    if (mreport_write(rep, json, html) != 0)
        code = code ? code : 1;
    int passed = mreport_passed(rep);
    printf("\n%s: result %s, report %s\n", passed && code == 0 ? "PASSED" : "FAILED", json, html);
    mreport_free(rep);
    free(wh);
    wh = NULL;
    dbx_client_free(client);
    if (mc_global_cleanup)
        dbx_global_cleanup();
    exit(code ? code : passed ? 0 : 1);
}

int exists_or_ok(dbx_status st) { return st == DBX_OK || st == DBX_EEXISTS; }

dbx_sql_statement *sql(const char *text)
{
    dbx_sql_execute_options o = DBX_SQL_EXECUTE_OPTIONS_INIT;
    o.catalog = catalog;
    o.schema = schema;
    o.wait_timeout_s = 30;
    dbx_wait_options w = DBX_WAIT_OPTIONS_INIT;
    w.timeout_ms = 30L * 60 * 1000;
    dbx_sql_statement *st = NULL;
    dbx_status s = dbx_sql_run(&st, client, wh, text, NULL, &o, &w);
    if (s != DBX_OK) {
        if (st && dbx_sql_statement_error_message(st))
            fprintf(stderr, "statement failed: %s\n", dbx_sql_statement_error_message(st));
        dbx_sql_statement_free(st);
        die(text, s);
    }
    return st;
}

int64_t sql_int(const char *text)
{
    dbx_sql_statement *st = sql(text);
    dbx_sql_rows *rows;
    CHECK(dbx_sql_rows_open(&rows, client, st, NULL));
    int64_t v = -1;
    if (dbx_sql_rows_next(rows) == DBX_OK && !dbx_sql_rows_is_null(rows, 0))
        CHECK(dbx_sql_rows_int64(&v, rows, 0));
    dbx_sql_rows_free(rows);
    dbx_sql_statement_free(st);
    return v;
}

char *pick_warehouse(void)
{
    const char *given = getenv("DBX_MIGRATION_WAREHOUSE");
    char *id = NULL;
    if (given && *given) {
        id = strdup(given);
    } else {
        dbx_warehouses_iter *it;
        CHECK(dbx_warehouses_list(&it, client, NULL));
        const dbx_warehouse *w;
        if (dbx_warehouses_iter_next(&w, it) == DBX_OK)
            id = strdup(dbx_warehouse_id(w));
        dbx_warehouses_iter_free(it);
        if (!id) {
            mreport_step_end(rep, 0, "no SQL warehouse in the workspace (set DBX_MIGRATION_WAREHOUSE)");
            finish(1);
        }
    }
    CHECK(dbx_warehouses_start(client, id));
    dbx_wait_options w = DBX_WAIT_OPTIONS_INIT;
    w.timeout_ms = 20L * 60 * 1000;
    CHECK(dbx_warehouses_wait_running(NULL, client, id, &w));
    return id;
}

dbx_status mc_endpoint_delete_leftover(void)
{
    dbx_status ds = dbx_serving_delete(client, endpoint);
    if (ds != DBX_OK && ds != DBX_ENOTFOUND)
        die("delete the leftover endpoint", ds);
    return ds;
}

void mc_config_add_entity(dbx_serving_config *cfg, const char *name, int64_t version, const char *entity)
{
    size_t ei;
    char ver_s[32];
    snprintf(ver_s, sizeof ver_s, "%" PRId64, version);
    CHECK(dbx_serving_config_add_entity(&ei, cfg, name, ver_s));
    CHECK(dbx_serving_config_entity_set_name(cfg, ei, entity));
    CHECK(dbx_serving_config_entity_set_workload_size(cfg, ei, "Small"));
    CHECK(dbx_serving_config_entity_set_scale_to_zero(cfg, ei, 0));
}

void mc_endpoint_create(dbx_serving_config *cfg, dbx_status ds)
{
    dbx_serving_tag tags[] = {{"migrated_from", "datarobot"}, {"program", mc_program}};
    dbx_serving_create_options co = DBX_SERVING_CREATE_OPTIONS_INIT;
    co.tags = tags;
    co.n_tags = 2;
    /* a workspace may take a moment to release the name of the endpoint just deleted */
    dbx_status cs;
    for (int attempt = 0; (cs = dbx_serving_create(NULL, client, endpoint, cfg, &co)) == DBX_EEXISTS && ds == DBX_OK &&
                          attempt < 24;
         attempt++) {
        struct timespec pause = {5, 0};
        nanosleep(&pause, NULL);
    }
    dbx_serving_config_free(cfg);
    if (cs != DBX_OK)
        die("dbx_serving_create", cs);
    endpoint_created = 1;
}

void mc_endpoint_wait_ready(dbx_serving_endpoint **out)
{
    dbx_wait_options w = DBX_WAIT_OPTIONS_INIT;
    w.timeout_ms = 45L * 60 * 1000;
    CHECK(dbx_serving_wait_ready(out, client, endpoint, &w));
}

dbx_serving_endpoint *mc_endpoint_serve_one(const char *model, int64_t version, const char *entity, double *t0)
{
    dbx_status ds = mc_endpoint_delete_leftover();
    dbx_serving_config *cfg;
    CHECK(dbx_serving_config_new(&cfg));
    mc_config_add_entity(cfg, model, version, entity);
    CHECK(dbx_serving_config_add_route(cfg, entity, 100));
    if (t0)
        *t0 = now_ms();
    mc_endpoint_create(cfg, ds);
    dbx_serving_endpoint *ep;
    mc_endpoint_wait_ready(&ep);
    return ep;
}

int64_t mc_create_and_load_csv(const char *table, const char *columns, const char *comment, const char *csv,
                               const char *volume_dir)
{
    dbx_delta_table_spec *spec;
    CHECK(dbx_delta_table_spec_new(&spec));
    CHECK(dbx_delta_table_spec_add_columns(spec, columns));
    CHECK(dbx_delta_table_spec_set_comment(spec, comment));
    CHECK(dbx_delta_create_table(client, wh, table, spec, NULL));
    dbx_delta_table_spec_free(spec);
    dbx_delta_kv fmt[] = {{"header", "true"}};
    dbx_delta_load_options lo = DBX_DELTA_LOAD_OPTIONS_INIT;
    lo.format_options = fmt;
    lo.n_format_options = 1;
    int64_t loaded = -1;
    char *staged = NULL;
    CHECK(dbx_delta_load_file(&loaded, &staged, client, wh, table, csv, volume_dir, &lo, NULL));
    dbx_free(staged);
    return loaded;
}
