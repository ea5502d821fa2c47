/*
 * Build-hygiene check (C11): every *_INIT macro initialises its struct
 * completely (compiled with -Wall -Wextra -Wmissing-field-initializers
 * -Werror), and the layout facts the ABI relies on hold at compile time.
 * Nothing here runs; a failure is a build failure of dbx_hygiene_headers.
 */
#include <dbx/dbx.h>

#include <limits.h>
#include <stddef.h>

/* `version` comes first in every versioned struct, so a library can read
 * it before knowing which fields the caller's headers had. */
_Static_assert(offsetof(dbx_client_options, version) == 0, "dbx_client_options.version first");
_Static_assert(offsetof(dbx_wait_options, version) == 0, "dbx_wait_options.version first");
_Static_assert(offsetof(dbx_request_options, version) == 0, "dbx_request_options.version first");
_Static_assert(offsetof(dbx_clusters_list_options, version) == 0,
               "dbx_clusters_list_options.version first");
_Static_assert(offsetof(dbx_cluster_events_options, version) == 0,
               "dbx_cluster_events_options.version first");
_Static_assert(offsetof(dbx_error, version) == 0, "dbx_error.version first");

_Static_assert(sizeof(((dbx_client_options *)0)->version) == sizeof(unsigned int), "version is unsigned int");
_Static_assert(sizeof(((dbx_wait_options *)0)->version) == sizeof(unsigned int), "version is unsigned int");
_Static_assert(sizeof(((dbx_request_options *)0)->version) == sizeof(unsigned int), "version is unsigned int");
_Static_assert(sizeof(((dbx_clusters_list_options *)0)->version) == sizeof(unsigned int), "version is unsigned int");
_Static_assert(sizeof(((dbx_cluster_events_options *)0)->version) == sizeof(unsigned int), "version is unsigned int");
_Static_assert(sizeof(((dbx_error *)0)->version) == sizeof(unsigned int), "version is unsigned int");

/* Every struct is bigger than its version field (fields follow it). */
_Static_assert(sizeof(dbx_client_options) > sizeof(unsigned int), "dbx_client_options has fields");
_Static_assert(sizeof(dbx_wait_options) > sizeof(unsigned int), "dbx_wait_options has fields");
_Static_assert(sizeof(dbx_request_options) > sizeof(unsigned int), "dbx_request_options has fields");
_Static_assert(sizeof(dbx_clusters_list_options) > sizeof(unsigned int), "list options have fields");
_Static_assert(sizeof(dbx_cluster_events_options) > sizeof(unsigned int), "events options have fields");

_Static_assert(DBX_CLIENT_OPTIONS_VERSION >= 1, "struct versions start at 1");
_Static_assert(DBX_WAIT_OPTIONS_VERSION >= 1, "struct versions start at 1");
_Static_assert(DBX_REQUEST_OPTIONS_VERSION >= 1, "struct versions start at 1");
_Static_assert(DBX_CLUSTERS_LIST_OPTIONS_VERSION >= 1, "struct versions start at 1");
_Static_assert(DBX_CLUSTER_EVENTS_OPTIONS_VERSION >= 1, "struct versions start at 1");
_Static_assert(DBX_ERROR_VERSION >= 1, "struct versions start at 1");

/* Enums are int-sized (bindings map them to C int). */
_Static_assert(sizeof(dbx_status) == sizeof(int), "dbx_status is int-sized");
_Static_assert(sizeof(dbx_log_level) == sizeof(int), "dbx_log_level is int-sized");
_Static_assert(sizeof(dbx_auth_type) == sizeof(int), "dbx_auth_type is int-sized");
_Static_assert(sizeof(dbx_cluster_state_t) == sizeof(int), "dbx_cluster_state_t is int-sized");

/* Status numbers are documented as stable: bindings hard-code them. */
_Static_assert(DBX_OK == 0 && DBX_DONE == 1 && DBX_ERROR == -1, "stable status numbers");
_Static_assert(DBX_EINVAL == -2 && DBX_ENOMEM == -3 && DBX_ECONFIG == -4, "stable status numbers");
_Static_assert(DBX_ENOTFOUND == -12 && DBX_EINVALIDSTATE == -21, "stable status numbers");
_Static_assert(DBX_FAILED(DBX_ERROR) && !DBX_FAILED(DBX_OK) && !DBX_FAILED(DBX_DONE), "DBX_FAILED");

/* Version macros agree with each other. */
_Static_assert(DBX_VERSION_NUM ==
                   ((DBX_VERSION_MAJOR << 16) | (DBX_VERSION_MINOR << 8) | DBX_VERSION_PATCH),
               "DBX_VERSION_NUM");
_Static_assert(DBX_VERSION_MINOR < 256 && DBX_VERSION_PATCH < 256, "one byte each in DBX_VERSION_NUM");
_Static_assert(DBX_VERSION_AT_LEAST(DBX_VERSION_MAJOR, DBX_VERSION_MINOR, DBX_VERSION_PATCH),
               "DBX_VERSION_AT_LEAST");
_Static_assert(!DBX_VERSION_AT_LEAST(DBX_VERSION_MAJOR + 1, 0, 0), "DBX_VERSION_AT_LEAST");

int dbx_hygiene_init_macros_c(void);

int dbx_hygiene_init_macros_c(void)
{
    dbx_client_options client = DBX_CLIENT_OPTIONS_INIT;
    dbx_wait_options wait = DBX_WAIT_OPTIONS_INIT;
    dbx_request_options request = DBX_REQUEST_OPTIONS_INIT;
    dbx_clusters_list_options list = DBX_CLUSTERS_LIST_OPTIONS_INIT;
    dbx_cluster_events_options events = DBX_CLUSTER_EVENTS_OPTIONS_INIT;
    /* Also valid as static initialisers (constant expressions). */
    static const dbx_client_options s_client = DBX_CLIENT_OPTIONS_INIT;
    static const dbx_wait_options s_wait = DBX_WAIT_OPTIONS_INIT;
    static const dbx_request_options s_request = DBX_REQUEST_OPTIONS_INIT;
    static const dbx_clusters_list_options s_list = DBX_CLUSTERS_LIST_OPTIONS_INIT;
    static const dbx_cluster_events_options s_events = DBX_CLUSTER_EVENTS_OPTIONS_INIT;

    return (int)(client.version + wait.version + request.version + list.version + events.version +
                 s_client.version + s_wait.version + s_request.version + s_list.version +
                 s_events.version);
}

/* Workspace options (include/dbx/workspace.h). */
_Static_assert(offsetof(dbx_workspace_list_options, version) == 0, "version first");
_Static_assert(offsetof(dbx_workspace_walk_options, version) == 0, "version first");
_Static_assert(offsetof(dbx_workspace_import_options, version) == 0, "version first");
_Static_assert(offsetof(dbx_workspace_export_options, version) == 0, "version first");
_Static_assert(offsetof(dbx_workspace_export_dir_options, version) == 0, "version first");
_Static_assert(sizeof(dbx_workspace_format_t) == sizeof(int), "dbx_workspace_format_t is int-sized");

int dbx_hygiene_init_macros_workspace_c(void);

int dbx_hygiene_init_macros_workspace_c(void)
{
    dbx_workspace_list_options list = DBX_WORKSPACE_LIST_OPTIONS_INIT;
    dbx_workspace_walk_options walk = DBX_WORKSPACE_WALK_OPTIONS_INIT;
    dbx_workspace_import_options imp = DBX_WORKSPACE_IMPORT_OPTIONS_INIT;
    dbx_workspace_export_options exp = DBX_WORKSPACE_EXPORT_OPTIONS_INIT;
    dbx_workspace_export_dir_options dir = DBX_WORKSPACE_EXPORT_DIR_OPTIONS_INIT;
    dbx_workspace_import_dir_options idir = DBX_WORKSPACE_IMPORT_DIR_OPTIONS_INIT;
    static const dbx_workspace_import_options s_imp = DBX_WORKSPACE_IMPORT_OPTIONS_INIT;
    return (int)(list.version + walk.version + imp.version + exp.version + dir.version + idir.version +
                 s_imp.version);
}

/* DBFS options (include/dbx/dbfs.h). */
_Static_assert(offsetof(dbx_dbfs_upload_options, version) == 0, "dbx_dbfs_upload_options.version first");
_Static_assert(offsetof(dbx_dbfs_download_options, version) == 0, "dbx_dbfs_download_options.version first");

int dbx_hygiene_init_macros_dbfs_c(void);

int dbx_hygiene_init_macros_dbfs_c(void)
{
    dbx_dbfs_upload_options up = DBX_DBFS_UPLOAD_OPTIONS_INIT;
    dbx_dbfs_download_options down = DBX_DBFS_DOWNLOAD_OPTIONS_INIT;
    static const dbx_dbfs_upload_options s_up = DBX_DBFS_UPLOAD_OPTIONS_INIT;
    static const dbx_dbfs_download_options s_down = DBX_DBFS_DOWNLOAD_OPTIONS_INIT;
    return (int)(up.version + down.version + s_up.version + s_down.version);
}

/* files.h */
_Static_assert(offsetof(dbx_files_upload_options, version) == 0, "dbx_files_upload_options.version first");
_Static_assert(offsetof(dbx_files_download_options, version) == 0, "dbx_files_download_options.version first");
_Static_assert(offsetof(dbx_files_list_options, version) == 0, "dbx_files_list_options.version first");

int dbx_hygiene_init_macros_files_c(void);

int dbx_hygiene_init_macros_files_c(void)
{
    dbx_files_upload_options up = DBX_FILES_UPLOAD_OPTIONS_INIT;
    dbx_files_download_options down = DBX_FILES_DOWNLOAD_OPTIONS_INIT;
    dbx_files_list_options list = DBX_FILES_LIST_OPTIONS_INIT;
    static const dbx_files_upload_options s_up = DBX_FILES_UPLOAD_OPTIONS_INIT;
    return (int)(up.version + down.version + list.version + s_up.version);
}

/* Jobs API option structs (include/dbx/jobs.h). */
_Static_assert(offsetof(dbx_jobs_list_options, version) == 0, "dbx_jobs_list_options.version first");
_Static_assert(offsetof(dbx_jobs_runs_list_options, version) == 0, "dbx_jobs_runs_list_options.version first");
_Static_assert(offsetof(dbx_jobs_run_now_options, version) == 0, "dbx_jobs_run_now_options.version first");
_Static_assert(offsetof(dbx_jobs_submit_options, version) == 0, "dbx_jobs_submit_options.version first");
_Static_assert(offsetof(dbx_jobs_repair_options, version) == 0, "dbx_jobs_repair_options.version first");
_Static_assert(sizeof(dbx_run_life_cycle_state_t) == sizeof(int), "dbx_run_life_cycle_state_t is int-sized");
_Static_assert(sizeof(dbx_run_result_state_t) == sizeof(int), "dbx_run_result_state_t is int-sized");

int dbx_hygiene_init_macros_jobs_c(void);

int dbx_hygiene_init_macros_jobs_c(void)
{
    static const dbx_jobs_list_options s_jl = DBX_JOBS_LIST_OPTIONS_INIT;
    static const dbx_jobs_runs_list_options s_rl = DBX_JOBS_RUNS_LIST_OPTIONS_INIT;
    static const dbx_jobs_run_now_options s_rn = DBX_JOBS_RUN_NOW_OPTIONS_INIT;
    static const dbx_jobs_submit_options s_sub = DBX_JOBS_SUBMIT_OPTIONS_INIT;
    static const dbx_jobs_repair_options s_rep = DBX_JOBS_REPAIR_OPTIONS_INIT;
    return (int)(s_jl.version + s_rl.version + s_rn.version + s_sub.version + s_rep.version);
}

/* Unity Catalog option structs (include/dbx/catalog.h). */
_Static_assert(offsetof(dbx_uc_list_options, version) == 0, "dbx_uc_list_options.version first");
_Static_assert(offsetof(dbx_uc_create_options, version) == 0, "dbx_uc_create_options.version first");
_Static_assert(offsetof(dbx_uc_update_options, version) == 0, "dbx_uc_update_options.version first");
_Static_assert(sizeof(dbx_table_type_t) == sizeof(int), "dbx_table_type_t is int-sized");
_Static_assert(sizeof(dbx_data_source_format_t) == sizeof(int), "dbx_data_source_format_t is int-sized");
_Static_assert(sizeof(dbx_column_type_t) == sizeof(int), "dbx_column_type_t is int-sized");
_Static_assert(sizeof(dbx_volume_type_t) == sizeof(int), "dbx_volume_type_t is int-sized");

int dbx_hygiene_init_macros_catalog_c(void);

int dbx_hygiene_init_macros_catalog_c(void)
{
    static const dbx_uc_list_options s_l = DBX_UC_LIST_OPTIONS_INIT;
    static const dbx_uc_create_options s_c = DBX_UC_CREATE_OPTIONS_INIT;
    static const dbx_uc_update_options s_u = DBX_UC_UPDATE_OPTIONS_INIT;
    dbx_column_def col = {0};
    return (int)(s_l.version + s_c.version + s_u.version) + col.not_null;
}

/* Delta helpers (include/dbx/delta.h). */
_Static_assert(offsetof(dbx_delta_options, version) == 0, "dbx_delta_options.version first");
_Static_assert(offsetof(dbx_delta_load_options, version) == 0, "dbx_delta_load_options.version first");
_Static_assert(offsetof(dbx_delta_read_options, version) == 0, "dbx_delta_read_options.version first");

int dbx_hygiene_init_macros_delta_c(void);

int dbx_hygiene_init_macros_delta_c(void)
{
    static const dbx_delta_options s_o = DBX_DELTA_OPTIONS_INIT;
    static const dbx_delta_load_options s_l = DBX_DELTA_LOAD_OPTIONS_INIT;
    static const dbx_delta_read_options s_r = DBX_DELTA_READ_OPTIONS_INIT;
    dbx_delta_options o = DBX_DELTA_OPTIONS_INIT;
    return (int)(s_o.version + s_l.version + s_r.version + o.version);
}

int dbx_hygiene_init_macros_registry(void);

int dbx_hygiene_init_macros_registry(void)
{
    static const dbx_registry_model_create_options s_mc = DBX_REGISTRY_MODEL_CREATE_OPTIONS_INIT;
    static const dbx_registry_models_search_options s_ms = DBX_REGISTRY_MODELS_SEARCH_OPTIONS_INIT;
    static const dbx_registry_version_create_options s_vc = DBX_REGISTRY_VERSION_CREATE_OPTIONS_INIT;
    static const dbx_registry_versions_search_options s_vs = DBX_REGISTRY_VERSIONS_SEARCH_OPTIONS_INIT;
    dbx_registry_register_options r = DBX_REGISTRY_REGISTER_OPTIONS_INIT;
    return (int)(s_mc.version + s_ms.version + s_vc.version + s_vs.version + r.version);
}

int dbx_hygiene_init_macros_serving(void);

int dbx_hygiene_init_macros_serving(void)
{
    static const dbx_serving_create_options s_c = DBX_SERVING_CREATE_OPTIONS_INIT;
    dbx_serving_query_options q = DBX_SERVING_QUERY_OPTIONS_INIT;
    return (int)(s_c.version + q.version);
}

int dbx_hygiene_init_macros_serving_scorer(void);

int dbx_hygiene_init_macros_serving_scorer(void)
{
    static const dbx_serving_scorer_options s_o = DBX_SERVING_SCORER_OPTIONS_INIT;
    dbx_serving_scorer_stats st = DBX_SERVING_SCORER_STATS_INIT;
    return (int)(s_o.version + st.version);
}
