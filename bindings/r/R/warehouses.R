# SQL warehouses: libdbx names (dbx_warehouses_*, client first) and brickster-style aliases
# (db_sql_warehouse_*, client last). Specs are R lists checked by libdbx before any request.

.dbx_warehouse_cols <- c(id = "character", name = "character", state = "character",
                         cluster_size = "character", num_clusters = "integer",
                         min_num_clusters = "integer", max_num_clusters = "integer",
                         auto_stop_mins = "integer", enable_photon = "logical",
                         enable_serverless_compute = "logical", warehouse_type = "character",
                         spot_instance_policy = "character", channel.name = "character",
                         creator_name = "character", health.status = "character",
                         jdbc_url = "character")

# spec + fields as EndpointInfo JSON: `tags` may be a named list / character vector
# (-> tags.custom_tags), `channel` a channel name (-> channel.name).
.dbx_warehouse_json <- function(spec, fields) {
  if (is.null(spec)) spec <- list()
  if (!is.list(spec)) stop("spec must be a named list")
  drop_null <- function(l) l[!vapply(l, is.null, logical(1))]
  w <- utils::modifyList(drop_null(spec), drop_null(fields))
  tags <- w$tags
  if (!is.null(tags) && !(is.list(tags) && !is.null(tags$custom_tags))) {
    if (length(tags) > 0 && (is.null(names(tags)) || any(names(tags) == ""))) stop("tags must be named")
    w$tags <- list(custom_tags = lapply(names(tags), function(k) list(key = k, value = as.character(tags[[k]]))))
  }
  if (is.character(w$channel)) w$channel <- list(name = w$channel)
  if (length(w) == 0) return("{}")
  .dbx_to_json(w)
}

.dbx_warehouse_result <- function(w) {
  if (is.null(w)) return(w)
  tags <- w$tags$custom_tags
  w$custom_tags <- if (length(tags)) {
    stats::setNames(vapply(tags, function(t) as.character(t$value), character(1)),
                    vapply(tags, function(t) as.character(t$key), character(1)))
  } else character(0)
  w
}

dbx_warehouse_spec <- function(spec = list(), ...) {
  .dbx_json_parse(.dbx_check(.Call(r_dbx_warehouse_spec, .dbx_warehouse_json(spec, list(...)))))
}

dbx_warehouses_create <- function(client, spec = list(), ...) {
  .dbx_check(.Call(r_dbx_warehouses_create, client$ptr, .dbx_warehouse_json(spec, list(...))))
}

dbx_warehouses_edit <- function(client, id, spec = list(), ...) {
  invisible(.dbx_check(.Call(r_dbx_warehouses_edit, client$ptr, id, .dbx_warehouse_json(spec, list(...)))))
}

dbx_warehouses_get <- function(client, id)
  .dbx_warehouse_result(.dbx_check(.Call(r_dbx_warehouses_get, client$ptr, id)))

dbx_warehouses_list <- function(client, page_size = NULL, max_items = NULL) {
  items <- .dbx_check(.Call(r_dbx_warehouses_list, client$ptr, page_size, max_items))
  .dbx_frame(items, .dbx_warehouse_cols)
}

.dbx_warehouse_action <- function(client, action, id)
  invisible(.dbx_check(.Call(r_dbx_warehouses_action, client$ptr, action, id), sys.call(-1)))

dbx_warehouses_start <- function(client, id) .dbx_warehouse_action(client, "start", id)
dbx_warehouses_stop <- function(client, id) .dbx_warehouse_action(client, "stop", id)
dbx_warehouses_delete <- function(client, id) .dbx_warehouse_action(client, "delete", id)

dbx_warehouses_wait_running <- function(client, id, timeout = NULL, poll_interval = NULL, progress = NULL) {
  .dbx_warehouse_result(.dbx_wait_result(.Call(r_dbx_warehouses_wait, client$ptr, id, "running", timeout,
                                               poll_interval, .dbx_progress(progress))))
}

dbx_warehouses_wait_stopped <- function(client, id, timeout = NULL, poll_interval = NULL, progress = NULL) {
  .dbx_warehouse_result(.dbx_wait_result(.Call(r_dbx_warehouses_wait, client$ptr, id, "stopped", timeout,
                                               poll_interval, .dbx_progress(progress))))
}

dbx_warehouse_states <- function(what = c("state", "health")) .Call(r_dbx_warehouse_enum_names, match.arg(what))

# ---- brickster-style names ---------------------------------------------------------------

db_sql_warehouse_create <- function(name, cluster_size, min_num_clusters = 1, max_num_clusters = 1,
                                    auto_stop_mins = 30, tags = list(),
                                    spot_instance_policy = c("COST_OPTIMIZED", "RELIABILITY_OPTIMIZED"),
                                    enable_photon = TRUE, warehouse_type = c("CLASSIC", "PRO"),
                                    enable_serverless_compute = NULL,
                                    channel = c("CHANNEL_NAME_CURRENT", "CHANNEL_NAME_PREVIEW"),
                                    client = .dbx_default_client()) {
  spec <- list(name = name, cluster_size = cluster_size, min_num_clusters = min_num_clusters,
               max_num_clusters = max_num_clusters, auto_stop_mins = auto_stop_mins,
               spot_instance_policy = match.arg(spot_instance_policy), enable_photon = enable_photon,
               warehouse_type = match.arg(warehouse_type),
               enable_serverless_compute = enable_serverless_compute, channel = match.arg(channel))
  if (length(tags)) spec$tags <- tags
  list(id = dbx_warehouses_create(client, spec))
}
db_sql_warehouse_edit <- function(id, name = NULL, cluster_size = NULL, min_num_clusters = NULL,
                                  max_num_clusters = NULL, auto_stop_mins = NULL, tags = NULL,
                                  spot_instance_policy = NULL, enable_photon = NULL, warehouse_type = NULL,
                                  enable_serverless_compute = NULL, channel = NULL,
                                  client = .dbx_default_client()) {
  dbx_warehouses_edit(client, id, list(), name = name, cluster_size = cluster_size,
                      min_num_clusters = min_num_clusters, max_num_clusters = max_num_clusters,
                      auto_stop_mins = auto_stop_mins, tags = tags, spot_instance_policy = spot_instance_policy,
                      enable_photon = enable_photon, warehouse_type = warehouse_type,
                      enable_serverless_compute = enable_serverless_compute, channel = channel)
}
db_sql_warehouse_get <- function(id, client = .dbx_default_client()) dbx_warehouses_get(client, id)
db_sql_warehouse_list <- function(client = .dbx_default_client()) dbx_warehouses_list(client)
db_sql_warehouse_start <- function(id, client = .dbx_default_client()) dbx_warehouses_start(client, id)
db_sql_warehouse_stop <- function(id, client = .dbx_default_client()) dbx_warehouses_stop(client, id)
db_sql_warehouse_delete <- function(id, client = .dbx_default_client()) dbx_warehouses_delete(client, id)
get_and_start_warehouse <- function(id, polling_interval = 5, client = .dbx_default_client()) {
  w <- dbx_warehouses_get(client, id)
  if (!w$state %in% c("RUNNING", "STARTING")) dbx_warehouses_start(client, id)
  dbx_warehouses_wait_running(client, id, poll_interval = polling_interval)
}
