# Clusters: libdbx names (dbx_clusters_*, client first) and brickster-style aliases
# (db_cluster_*, client last, defaulting to a client from the environment).

.dbx_cluster_columns <- c("cluster_id", "cluster_name", "state", "spark_version", "node_type_id",
                          "num_workers", "creator_user_name", "cluster_source", "start_time")

.dbx_clusters_frame <- function(items) {
  col <- function(name, type) {
    vapply(items, function(x) {
      v <- x[[name]]
      if (is.null(v)) return(switch(type, character = NA_character_, numeric = NA_real_))
      switch(type, character = as.character(v), numeric = as.numeric(v))
    }, switch(type, character = character(1), numeric = numeric(1)))
  }
  df <- data.frame(
    cluster_id = col("cluster_id", "character"), cluster_name = col("cluster_name", "character"),
    state = col("state", "character"), spark_version = col("spark_version", "character"),
    node_type_id = col("node_type_id", "character"), num_workers = col("num_workers", "numeric"),
    creator_user_name = col("creator_user_name", "character"),
    cluster_source = col("cluster_source", "character"),
    start_time = .POSIXct(col("start_time", "numeric") / 1000, tz = "UTC"),
    stringsAsFactors = FALSE)
  attr(df, "raw") <- items
  df
}

dbx_clusters_create <- function(client, spec = list(), ...) {
  fields <- utils::modifyList(spec, list(...))
  .dbx_check(.Call(r_dbx_clusters_create, client$ptr, .dbx_to_json(fields)))
}

dbx_clusters_get <- function(client, cluster_id) .dbx_check(.Call(r_dbx_clusters_get, client$ptr, cluster_id))

dbx_clusters_list <- function(client, states = NULL, page_size = NULL, max_items = NULL) {
  items <- .dbx_check(.Call(r_dbx_clusters_list, client$ptr, states, page_size, max_items))
  .dbx_clusters_frame(items)
}

.dbx_cluster_action <- function(client, action, cluster_id) {
  invisible(.dbx_check(.Call(r_dbx_clusters_action, client$ptr, action, cluster_id), sys.call(-1)))
}

dbx_clusters_start <- function(client, cluster_id) .dbx_cluster_action(client, "start", cluster_id)
dbx_clusters_restart <- function(client, cluster_id) .dbx_cluster_action(client, "restart", cluster_id)
dbx_clusters_delete <- function(client, cluster_id) .dbx_cluster_action(client, "delete", cluster_id)
dbx_clusters_permanent_delete <- function(client, cluster_id) .dbx_cluster_action(client, "permanent_delete", cluster_id)
dbx_clusters_pin <- function(client, cluster_id) .dbx_cluster_action(client, "pin", cluster_id)
dbx_clusters_unpin <- function(client, cluster_id) .dbx_cluster_action(client, "unpin", cluster_id)

dbx_clusters_resize <- function(client, cluster_id, num_workers = NULL, autoscale = NULL) {
  if (is.null(num_workers) == is.null(autoscale)) stop("give exactly one of num_workers and autoscale")
  lo <- if (is.null(autoscale)) NULL else autoscale[[1]]
  hi <- if (is.null(autoscale)) NULL else autoscale[[2]]
  invisible(.dbx_check(.Call(r_dbx_clusters_resize, client$ptr, cluster_id, num_workers, lo, hi)))
}

dbx_clusters_wait_running <- function(client, cluster_id, timeout = NULL, poll_interval = NULL,
                                      progress = NULL) {
  .dbx_wait_result(.Call(r_dbx_clusters_wait, client$ptr, cluster_id, "running", timeout,
                         poll_interval, .dbx_progress(progress)))
}

dbx_clusters_wait_terminated <- function(client, cluster_id, timeout = NULL, poll_interval = NULL,
                                         progress = NULL) {
  .dbx_wait_result(.Call(r_dbx_clusters_wait, client$ptr, cluster_id, "terminated", timeout,
                         poll_interval, .dbx_progress(progress)))
}

# ---- brickster-style names ---------------------------------------------------------------

db_cluster_create <- function(name, spark_version, node_type_id, num_workers = NULL, autoscale = NULL,
                              ..., client = .dbx_default_client()) {
  spec <- list(cluster_name = name, spark_version = spark_version, node_type_id = node_type_id)
  if (!is.null(num_workers)) spec$num_workers <- num_workers
  if (!is.null(autoscale)) spec$autoscale <- as.list(autoscale)
  list(cluster_id = dbx_clusters_create(client, spec, ...))
}
db_cluster_get <- function(cluster_id, client = .dbx_default_client()) dbx_clusters_get(client, cluster_id)
db_cluster_list <- function(client = .dbx_default_client()) dbx_clusters_list(client)
db_cluster_start <- function(cluster_id, client = .dbx_default_client()) dbx_clusters_start(client, cluster_id)
db_cluster_restart <- function(cluster_id, client = .dbx_default_client()) dbx_clusters_restart(client, cluster_id)
db_cluster_terminate <- function(cluster_id, client = .dbx_default_client()) dbx_clusters_delete(client, cluster_id)
db_cluster_delete <- function(cluster_id, client = .dbx_default_client()) dbx_clusters_permanent_delete(client, cluster_id)
db_cluster_resize <- function(cluster_id, num_workers = NULL, autoscale = NULL, client = .dbx_default_client())
  dbx_clusters_resize(client, cluster_id, num_workers, autoscale)
db_cluster_pin <- function(cluster_id, client = .dbx_default_client()) dbx_clusters_pin(client, cluster_id)
db_cluster_unpin <- function(cluster_id, client = .dbx_default_client()) dbx_clusters_unpin(client, cluster_id)
