/*
 * Build-hygiene check (C++11): the *_INIT macros are complete aggregate
 * initialisers in C++ too (-Wall -Wextra -Wmissing-field-initializers
 * -Werror), usable in constant expressions, and put the right version in
 * the first field. Nothing here runs.
 */
#include <dbx/dbx.h>

#include <cstddef>
#include <type_traits>

#define DBX_HYG_CHECK_STRUCT(T)                                                  \
    static_assert(offsetof(T, version) == 0, #T ".version comes first");          \
    static_assert(std::is_standard_layout<T>::value, #T " is standard-layout");   \
    static_assert(std::is_trivial<T>::value, #T " is trivial (a C struct)");      \
    static_assert(std::is_same<decltype(T::version), unsigned int>::value,        \
                  #T ".version is unsigned int")

DBX_HYG_CHECK_STRUCT(dbx_client_options);
DBX_HYG_CHECK_STRUCT(dbx_wait_options);
DBX_HYG_CHECK_STRUCT(dbx_request_options);
DBX_HYG_CHECK_STRUCT(dbx_clusters_list_options);
DBX_HYG_CHECK_STRUCT(dbx_cluster_events_options);
DBX_HYG_CHECK_STRUCT(dbx_error);

static_assert(sizeof(dbx_status) == sizeof(int), "dbx_status is int-sized");
static_assert(DBX_OK == 0 && DBX_DONE == 1 && DBX_EINVALIDSTATE == -21, "stable status numbers");

/* The INIT macros are constant expressions whose first field is the version. */
constexpr dbx_client_options k_client = DBX_CLIENT_OPTIONS_INIT;
constexpr dbx_wait_options k_wait = DBX_WAIT_OPTIONS_INIT;
constexpr dbx_request_options k_request = DBX_REQUEST_OPTIONS_INIT;
constexpr dbx_clusters_list_options k_list = DBX_CLUSTERS_LIST_OPTIONS_INIT;
constexpr dbx_cluster_events_options k_events = DBX_CLUSTER_EVENTS_OPTIONS_INIT;

static_assert(k_client.version == DBX_CLIENT_OPTIONS_VERSION, "DBX_CLIENT_OPTIONS_INIT version");
static_assert(k_wait.version == DBX_WAIT_OPTIONS_VERSION, "DBX_WAIT_OPTIONS_INIT version");
static_assert(k_request.version == DBX_REQUEST_OPTIONS_VERSION, "DBX_REQUEST_OPTIONS_INIT version");
static_assert(k_list.version == DBX_CLUSTERS_LIST_OPTIONS_VERSION,
              "DBX_CLUSTERS_LIST_OPTIONS_INIT version");
static_assert(k_events.version == DBX_CLUSTER_EVENTS_OPTIONS_VERSION,
              "DBX_CLUSTER_EVENTS_OPTIONS_INIT version");
/* Everything after the version is zero ("not set"). */
static_assert(k_client.host == nullptr && k_client.auth_type == DBX_AUTH_AUTO &&
                  k_client.log_level == DBX_LOG_OFF && k_client._owned == nullptr,
              "DBX_CLIENT_OPTIONS_INIT zero fields");
static_assert(k_wait.timeout_ms == 0 && k_wait.on_poll == nullptr && k_wait.payload == nullptr,
              "DBX_WAIT_OPTIONS_INIT zero fields");
static_assert(k_request.headers == nullptr && k_request.write_fn == nullptr &&
                  k_request.write_payload == nullptr,
              "DBX_REQUEST_OPTIONS_INIT zero fields");
static_assert(k_list.states == nullptr && k_list.policy_id == nullptr,
              "DBX_CLUSTERS_LIST_OPTIONS_INIT zero fields");
static_assert(k_events.event_types == nullptr && k_events.max_items == 0,
              "DBX_CLUSTER_EVENTS_OPTIONS_INIT zero fields");

int dbx_hygiene_init_macros_cpp();

int dbx_hygiene_init_macros_cpp()
{
    dbx_client_options client = DBX_CLIENT_OPTIONS_INIT;
    dbx_wait_options wait = DBX_WAIT_OPTIONS_INIT;
    dbx_request_options request = DBX_REQUEST_OPTIONS_INIT;
    dbx_clusters_list_options list = DBX_CLUSTERS_LIST_OPTIONS_INIT;
    dbx_cluster_events_options events = DBX_CLUSTER_EVENTS_OPTIONS_INIT;
    return static_cast<int>(client.version + wait.version + request.version + list.version +
                            events.version);
}

/* Workspace options (include/dbx/workspace.h). */
DBX_HYG_CHECK_STRUCT(dbx_workspace_list_options);
DBX_HYG_CHECK_STRUCT(dbx_workspace_walk_options);
DBX_HYG_CHECK_STRUCT(dbx_workspace_import_options);
DBX_HYG_CHECK_STRUCT(dbx_workspace_export_options);
DBX_HYG_CHECK_STRUCT(dbx_workspace_export_dir_options);
constexpr dbx_workspace_list_options k_ws_list = DBX_WORKSPACE_LIST_OPTIONS_INIT;
constexpr dbx_workspace_walk_options k_ws_walk = DBX_WORKSPACE_WALK_OPTIONS_INIT;
constexpr dbx_workspace_import_options k_ws_import = DBX_WORKSPACE_IMPORT_OPTIONS_INIT;
constexpr dbx_workspace_export_options k_ws_export = DBX_WORKSPACE_EXPORT_OPTIONS_INIT;
constexpr dbx_workspace_export_dir_options k_ws_dir = DBX_WORKSPACE_EXPORT_DIR_OPTIONS_INIT;
static_assert(k_ws_list.version == DBX_WORKSPACE_LIST_OPTIONS_VERSION && k_ws_list.notebooks_modified_after == 0,
              "DBX_WORKSPACE_LIST_OPTIONS_INIT");
static_assert(k_ws_walk.version == DBX_WORKSPACE_WALK_OPTIONS_VERSION && k_ws_walk.max_objects == 0,
              "DBX_WORKSPACE_WALK_OPTIONS_INIT");
static_assert(k_ws_import.version == DBX_WORKSPACE_IMPORT_OPTIONS_VERSION &&
                  k_ws_import.format == DBX_WORKSPACE_FORMAT_DEFAULT && k_ws_import.overwrite == 0,
              "DBX_WORKSPACE_IMPORT_OPTIONS_INIT");
static_assert(k_ws_export.version == DBX_WORKSPACE_EXPORT_OPTIONS_VERSION && k_ws_export.overwrite == 0,
              "DBX_WORKSPACE_EXPORT_OPTIONS_INIT");
static_assert(k_ws_dir.version == DBX_WORKSPACE_EXPORT_DIR_OPTIONS_VERSION && k_ws_dir.max_depth == 0,
              "DBX_WORKSPACE_EXPORT_DIR_OPTIONS_INIT");
DBX_HYG_CHECK_STRUCT(dbx_workspace_import_dir_options);
constexpr dbx_workspace_import_dir_options k_ws_idir = DBX_WORKSPACE_IMPORT_DIR_OPTIONS_INIT;
static_assert(k_ws_idir.version == DBX_WORKSPACE_IMPORT_DIR_OPTIONS_VERSION && k_ws_idir.overwrite == 0,
              "DBX_WORKSPACE_IMPORT_DIR_OPTIONS_INIT");
int dbx_hygiene_init_macros_dbfs_cpp();

int dbx_hygiene_init_macros_dbfs_cpp()
{
    dbx_dbfs_upload_options up = DBX_DBFS_UPLOAD_OPTIONS_INIT;
    dbx_dbfs_download_options down = DBX_DBFS_DOWNLOAD_OPTIONS_INIT;
    return static_cast<int>(up.version + down.version);
}

int dbx_hygiene_init_macros_delta_cpp();

int dbx_hygiene_init_macros_delta_cpp()
{
    dbx_delta_options o = DBX_DELTA_OPTIONS_INIT;
    dbx_delta_load_options l = DBX_DELTA_LOAD_OPTIONS_INIT;
    dbx_delta_read_options r = DBX_DELTA_READ_OPTIONS_INIT;
    return static_cast<int>(o.version + l.version + r.version);
}

int dbx_hygiene_init_macros_registry_cpp();

int dbx_hygiene_init_macros_registry_cpp()
{
    dbx_registry_model_create_options mc = DBX_REGISTRY_MODEL_CREATE_OPTIONS_INIT;
    dbx_registry_models_search_options ms = DBX_REGISTRY_MODELS_SEARCH_OPTIONS_INIT;
    dbx_registry_version_create_options vc = DBX_REGISTRY_VERSION_CREATE_OPTIONS_INIT;
    dbx_registry_versions_search_options vs = DBX_REGISTRY_VERSIONS_SEARCH_OPTIONS_INIT;
    dbx_registry_register_options r = DBX_REGISTRY_REGISTER_OPTIONS_INIT;
    return static_cast<int>(mc.version + ms.version + vc.version + vs.version + r.version);
}

int dbx_hygiene_init_macros_serving_cpp();

int dbx_hygiene_init_macros_serving_cpp()
{
    dbx_serving_create_options c = DBX_SERVING_CREATE_OPTIONS_INIT;
    dbx_serving_query_options q = DBX_SERVING_QUERY_OPTIONS_INIT;
    return static_cast<int>(c.version + q.version);
}

int dbx_hygiene_init_macros_serving_scorer_cpp();

int dbx_hygiene_init_macros_serving_scorer_cpp()
{
    dbx_serving_scorer_options o = DBX_SERVING_SCORER_OPTIONS_INIT;
    dbx_serving_scorer_stats st = DBX_SERVING_SCORER_STATS_INIT;
    return static_cast<int>(o.version + st.version);
}
