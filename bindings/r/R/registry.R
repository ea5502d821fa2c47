# MLflow model registries (workspace registry and Unity Catalog models behind one API):
# libdbx names (dbx_registry_*, client first), the MLflow R package's names (mlflow_*, client
# last) and brickster's (db_mlflow_*, client last).

.dbx_reg_code <- function(registry) {
  if (is.null(registry)) return(0L)
  code <- match(registry, c("default", "workspace", "uc"))
  if (length(registry) != 1 || is.na(code))
    stop(.dbx_condition(list(status = -2L, status_name = "DBX_EINVAL",
                             message = "registry must be NULL, \"default\", \"workspace\" or \"uc\"",
                             http_status = NA_integer_, error_code = NA_character_,
                             request_id = NA_character_, method = NA_character_, path = NA_character_,
                             attempts = NA_integer_), sys.call(-1)))
  code - 1L
}

# tags: a named list / named character vector, or MLflow's list(list(key =, value =), ...)
.dbx_reg_tags <- function(tags) {
  if (is.null(tags) || length(tags) == 0) return(list(keys = NULL, values = NULL))
  if (is.list(tags) && is.null(names(tags)) && all(vapply(tags, function(t) !is.null(t$key), logical(1)))) {
    return(list(keys = vapply(tags, function(t) as.character(t$key), ""),
                values = vapply(tags, function(t) as.character(t$value), "")))
  }
  if (is.null(names(tags)) || any(!nzchar(names(tags)))) stop("tags must be named (key = value)")
  list(keys = names(tags), values = vapply(tags, function(v) as.character(v), "", USE.NAMES = FALSE))
}

.dbx_reg_time <- function(ms) .POSIXct(ms / 1000, tz = "UTC")

.dbx_reg_model <- function(m) {
  if (!is.list(m)) return(m)
  m$creation_timestamp <- .dbx_reg_time(m$creation_timestamp)
  m$last_updated_timestamp <- .dbx_reg_time(m$last_updated_timestamp)
  m
}

.dbx_reg_version <- function(v) {
  if (!is.list(v)) return(v)
  v$creation_timestamp <- .dbx_reg_time(v$creation_timestamp)
  v$last_updated_timestamp <- .dbx_reg_time(v$last_updated_timestamp)
  v
}

.dbx_reg_models_frame <- function(items) {
  chr <- function(f) vapply(items, function(x) x[[f]], "")
  num <- function(f) vapply(items, function(x) x[[f]], 0)
  df <- data.frame(name = chr("name"), registry = chr("registry"), catalog_name = chr("catalog_name"),
                   schema_name = chr("schema_name"), description = chr("description"), owner = chr("owner"),
                   creation_timestamp = .dbx_reg_time(num("creation_timestamp")),
                   last_updated_timestamp = .dbx_reg_time(num("last_updated_timestamp")),
                   stringsAsFactors = FALSE)
  attr(df, "raw") <- lapply(items, .dbx_reg_model)
  df
}

.dbx_reg_versions_frame <- function(items) {
  chr <- function(f) vapply(items, function(x) x[[f]], "")
  num <- function(f) vapply(items, function(x) x[[f]], 0)
  df <- data.frame(name = chr("name"), version = vapply(items, function(x) x$version, 0L),
                   status = chr("status"), stage = chr("stage"), description = chr("description"),
                   source = chr("source"), run_id = chr("run_id"), user_id = chr("user_id"),
                   aliases = vapply(items, function(x) paste(x$aliases, collapse = ","), ""),
                   creation_timestamp = .dbx_reg_time(num("creation_timestamp")),
                   last_updated_timestamp = .dbx_reg_time(num("last_updated_timestamp")),
                   registry = chr("registry"), stringsAsFactors = FALSE)
  attr(df, "raw") <- lapply(items, .dbx_reg_version)
  df
}

# ---- libdbx names ---------------------------------------------------------------------------

dbx_registry_create_model <- function(client, name, description = NULL, tags = NULL,
                                      storage_location = NULL, registry = NULL) {
  t <- .dbx_reg_tags(tags)
  .dbx_reg_model(.dbx_check(.Call(r_dbx_reg_model_create, client$ptr, .dbx_reg_code(registry), name,
                                  description, t$keys, t$values, storage_location)))
}

.dbx_reg_model_op <- function(client, op, registry, name, a1 = NULL, a2 = NULL) {
  ans <- .dbx_check(.Call(r_dbx_reg_model_op, client$ptr, op, .dbx_reg_code(registry), name, a1, a2),
                    sys.call(-1))
  if (isTRUE(ans)) invisible(TRUE) else .dbx_reg_model(ans)
}

dbx_registry_get_model <- function(client, name, registry = NULL)
  .dbx_reg_model_op(client, "get", registry, name)
dbx_registry_rename_model <- function(client, name, new_name, registry = NULL)
  .dbx_reg_model_op(client, "rename", registry, name, new_name)
dbx_registry_update_model <- function(client, name, description, registry = NULL)
  .dbx_reg_model_op(client, "update", registry, name, description)
dbx_registry_delete_model <- function(client, name, registry = NULL)
  .dbx_reg_model_op(client, "delete", registry, name)
dbx_registry_set_model_tag <- function(client, name, key, value, registry = NULL)
  .dbx_reg_model_op(client, "set_tag", registry, name, key, as.character(value))
dbx_registry_delete_model_tag <- function(client, name, key, registry = NULL)
  .dbx_reg_model_op(client, "delete_tag", registry, name, key)

dbx_registry_search_models <- function(client, filter = NULL, order_by = NULL, catalog_name = NULL,
                                       schema_name = NULL, page_size = NULL, max_items = NULL,
                                       registry = NULL) {
  items <- .dbx_check(.Call(r_dbx_reg_models_search, client$ptr, .dbx_reg_code(registry), filter,
                            if (is.null(order_by)) NULL else as.character(unlist(order_by)),
                            catalog_name, schema_name, page_size, max_items))
  .dbx_reg_models_frame(items)
}

dbx_registry_create_version <- function(client, name, source, run_id = NULL, description = NULL,
                                        tags = NULL, run_link = NULL, registry = NULL) {
  t <- .dbx_reg_tags(tags)
  .dbx_reg_version(.dbx_check(.Call(r_dbx_reg_version_create, client$ptr, .dbx_reg_code(registry), name,
                                    source, run_id, description, t$keys, t$values, run_link)))
}

.dbx_reg_version_op <- function(client, op, registry, name, version, a1 = NULL, a2 = NULL, a3 = NULL) {
  ans <- .dbx_check(.Call(r_dbx_reg_version_op, client$ptr, op, .dbx_reg_code(registry), name,
                          as.numeric(version), a1, a2, a3), sys.call(-1))
  if (isTRUE(ans)) invisible(TRUE) else if (is.character(ans)) ans else .dbx_reg_version(ans)
}

dbx_registry_get_version <- function(client, name, version, registry = NULL)
  .dbx_reg_version_op(client, "get", registry, name, version)
dbx_registry_update_version <- function(client, name, version, description, registry = NULL)
  .dbx_reg_version_op(client, "update", registry, name, version, description)
dbx_registry_delete_version <- function(client, name, version, registry = NULL)
  .dbx_reg_version_op(client, "delete", registry, name, version)
dbx_registry_set_version_tag <- function(client, name, version, key, value, registry = NULL)
  .dbx_reg_version_op(client, "set_tag", registry, name, version, key, as.character(value))
dbx_registry_delete_version_tag <- function(client, name, version, key, registry = NULL)
  .dbx_reg_version_op(client, "delete_tag", registry, name, version, key)
dbx_registry_finalize_version <- function(client, name, version, registry = NULL)
  .dbx_reg_version_op(client, "finalize", registry, name, version)
dbx_registry_download_uri <- function(client, name, version, registry = NULL)
  .dbx_reg_version_op(client, "download_uri", registry, name, version)
dbx_registry_transition_stage <- function(client, name, version, stage, archive_existing_versions = FALSE,
                                          comment = NULL, registry = NULL)
  .dbx_reg_version_op(client, "transition", registry, name, version, stage,
                      isTRUE(archive_existing_versions), comment)

dbx_registry_search_versions <- function(client, name = NULL, filter = NULL, order_by = NULL,
                                         page_size = NULL, max_items = NULL, registry = NULL) {
  items <- .dbx_check(.Call(r_dbx_reg_versions_search, client$ptr, .dbx_reg_code(registry), name, filter,
                            if (is.null(order_by)) NULL else as.character(unlist(order_by)),
                            page_size, max_items))
  .dbx_reg_versions_frame(items)
}

dbx_registry_latest_versions <- function(client, name, stages = NULL, registry = NULL) {
  items <- .dbx_check(.Call(r_dbx_reg_versions_latest, client$ptr, .dbx_reg_code(registry), name,
                            if (is.null(stages)) NULL else as.character(unlist(stages))))
  .dbx_reg_versions_frame(items)
}

dbx_registry_set_alias <- function(client, name, alias, version, registry = NULL)
  invisible(.dbx_check(.Call(r_dbx_reg_alias, client$ptr, "set", .dbx_reg_code(registry), name, alias,
                             as.numeric(version))))
dbx_registry_delete_alias <- function(client, name, alias, registry = NULL)
  invisible(.dbx_check(.Call(r_dbx_reg_alias, client$ptr, "delete", .dbx_reg_code(registry), name, alias,
                             NULL)))
dbx_registry_get_version_by_alias <- function(client, name, alias, registry = NULL)
  .dbx_reg_version(.dbx_check(.Call(r_dbx_reg_alias, client$ptr, "get", .dbx_reg_code(registry), name,
                                    alias, NULL)))

dbx_registry_wait_ready <- function(client, name, version, timeout = NULL, poll_interval = NULL,
                                    progress = NULL, registry = NULL) {
  ans <- .Call(r_dbx_reg_wait_ready, client$ptr, .dbx_reg_code(registry), name, as.numeric(version),
               timeout, poll_interval, .dbx_progress(progress))
  ans$result <- .dbx_reg_version(ans$result)
  .dbx_wait_result(ans)
}

dbx_registry_register_uc_version <- function(client, name, local_dir, source = NULL, run_id = NULL,
                                             description = NULL, tags = NULL, create_model = FALSE,
                                             timeout = NULL, poll_interval = NULL, progress = NULL,
                                             on_file = NULL) {
  if (!is.null(on_file) && !is.function(on_file)) stop("on_file must be a function(relpath, size)")
  t <- .dbx_reg_tags(tags)
  res <- .Call(r_dbx_reg_register_uc, client$ptr, name, path.expand(local_dir), source, run_id,
               description, t$keys, t$values, isTRUE(create_model), timeout, poll_interval,
               .dbx_progress(progress), .dbx_progress(on_file))
  ans <- res$answer
  ans$result <- .dbx_reg_version(ans$result)
  tryCatch(.dbx_wait_result(ans), error = function(e) {
    # the version created before the failure stays on the server: say which one
    if (res$version > 0) e$version <- as.integer(res$version)
    stop(e)
  })
}

# ---- the MLflow R package's names --------------------------------------------------------------

mlflow_create_registered_model <- function(name, tags = NULL, description = NULL, registry = NULL,
                                           client = .dbx_default_client())
  dbx_registry_create_model(client, name, description = description, tags = tags, registry = registry)
mlflow_get_registered_model <- function(name, registry = NULL, client = .dbx_default_client())
  dbx_registry_get_model(client, name, registry = registry)
mlflow_rename_registered_model <- function(name, new_name, registry = NULL, client = .dbx_default_client())
  dbx_registry_rename_model(client, name, new_name, registry = registry)
mlflow_update_registered_model <- function(name, description, registry = NULL, client = .dbx_default_client())
  dbx_registry_update_model(client, name, description, registry = registry)
mlflow_delete_registered_model <- function(name, registry = NULL, client = .dbx_default_client())
  dbx_registry_delete_model(client, name, registry = registry)
mlflow_search_registered_models <- function(filter = NULL, max_results = NULL, order_by = list(),
                                            registry = NULL, client = .dbx_default_client())
  dbx_registry_search_models(client, filter = filter, order_by = if (length(order_by)) order_by else NULL,
                             max_items = max_results, registry = registry)
mlflow_create_model_version <- function(name, source, run_id = NULL, tags = NULL, run_link = NULL,
                                        description = NULL, registry = NULL, client = .dbx_default_client())
  dbx_registry_create_version(client, name, source, run_id = run_id, description = description, tags = tags,
                              run_link = run_link, registry = registry)
mlflow_get_model_version <- function(name, version, registry = NULL, client = .dbx_default_client())
  dbx_registry_get_version(client, name, version, registry = registry)
mlflow_update_model_version <- function(name, version, description, registry = NULL,
                                        client = .dbx_default_client())
  dbx_registry_update_version(client, name, version, description, registry = registry)
mlflow_delete_model_version <- function(name, version, registry = NULL, client = .dbx_default_client())
  dbx_registry_delete_version(client, name, version, registry = registry)
mlflow_get_latest_versions <- function(name, stages = list(), registry = NULL, client = .dbx_default_client())
  dbx_registry_latest_versions(client, name, stages = if (length(stages)) stages else NULL, registry = registry)
mlflow_transition_model_version_stage <- function(name, version, stage, archive_existing_versions = FALSE,
                                                  registry = NULL, client = .dbx_default_client())
  dbx_registry_transition_stage(client, name, version, stage,
                                archive_existing_versions = archive_existing_versions, registry = registry)
mlflow_set_model_version_tag <- function(name, version, key = NULL, value = NULL, registry = NULL,
                                         client = .dbx_default_client())
  dbx_registry_set_version_tag(client, name, version, key, value, registry = registry)

# ---- brickster's names (the legacy workspace registry) ------------------------------------------

db_mlflow_registered_model_details <- function(name, client = .dbx_default_client())
  dbx_registry_get_model(client, name, registry = "workspace")
db_mlflow_model_transition_stage <- function(name, version, stage, archive_existing_versions = TRUE,
                                             comment = NULL, client = .dbx_default_client())
  dbx_registry_transition_stage(client, name, version, stage, archive_existing_versions = archive_existing_versions,
                                comment = comment, registry = "workspace")
