# MLflow tracking: the MLflow R package's names (mlflow_*, client last, defaulting to a client
# from the environment) and libdbx's own (dbx_mlflow_*, client first) for what MLflow's R
# package does not have (the buffered logger, restore, dataset inputs, byte-level artifacts).

.dbx_mlflow_time <- function(ms) .POSIXct(as.numeric(ms) / 1000, tz = "UTC")

.dbx_mlflow_ms <- function(t) {
  if (is.null(t)) return(NULL)
  if (inherits(t, "POSIXt")) return(round(as.numeric(t) * 1000))
  as.numeric(t)
}

.dbx_mlflow_now <- function() round(as.numeric(Sys.time()) * 1000)

# a named list / named character vector of tags -> list(keys, values)
.dbx_mlflow_kv <- function(x, what = "tags") {
  if (is.null(x) || length(x) == 0) return(list(NULL, NULL))
  if (is.data.frame(x)) return(list(as.character(x$key), as.character(x$value)))
  nms <- names(x)
  if (is.null(nms) || any(!nzchar(nms))) stop(what, " must be named (a named list or character vector)")
  list(nms, vapply(x, function(v) as.character(v)[1], character(1), USE.NAMES = FALSE))
}

.dbx_mlflow_pairs_df <- function(p, k = "key", v = "value") {
  df <- data.frame(p[[k]], p[[v]], stringsAsFactors = FALSE)
  names(df) <- c(k, v)
  df
}

.dbx_mlflow_metrics_df <- function(m) {
  data.frame(key = m$key, value = m$value, step = m$step, timestamp = .dbx_mlflow_time(m$timestamp),
             stringsAsFactors = FALSE)
}

.dbx_mlflow_experiments_df <- function(items) {
  chr <- function(f) vapply(items, function(e) e[[f]], character(1))
  num <- function(f) vapply(items, function(e) e[[f]], numeric(1))
  df <- data.frame(experiment_id = chr("experiment_id"), name = chr("name"),
                   artifact_location = chr("artifact_location"), lifecycle_stage = chr("lifecycle_stage"),
                   creation_time = .dbx_mlflow_time(num("creation_time")),
                   last_update_time = .dbx_mlflow_time(num("last_update_time")),
                   stringsAsFactors = FALSE)
  df$tags <- lapply(items, function(e) .dbx_mlflow_pairs_df(e$tags))
  df
}

.dbx_mlflow_runs_df <- function(items) {
  chr <- function(f) vapply(items, function(r) r[[f]], character(1))
  num <- function(f) vapply(items, function(r) r[[f]], numeric(1))
  df <- data.frame(run_id = chr("run_id"), run_name = chr("run_name"), experiment_id = chr("experiment_id"),
                   user_id = chr("user_id"), status = chr("status"),
                   start_time = .dbx_mlflow_time(num("start_time")),
                   end_time = .dbx_mlflow_time(num("end_time")), artifact_uri = chr("artifact_uri"),
                   lifecycle_stage = chr("lifecycle_stage"), stringsAsFactors = FALSE)
  df$metrics <- lapply(items, function(r) .dbx_mlflow_metrics_df(r$metrics))
  df$params <- lapply(items, function(r) .dbx_mlflow_pairs_df(r$params))
  df$tags <- lapply(items, function(r) .dbx_mlflow_pairs_df(r$tags))
  df$datasets <- lapply(items, function(r) .dbx_mlflow_pairs_df(r$datasets, "name", "digest"))
  df$inputs <- lapply(items, function(r) .dbx_json_parse(r$inputs_json))
  df
}

.dbx_ok <- function(x, call = sys.call(-1)) invisible(.dbx_check(x, call))

# ---- experiments --------------------------------------------------------------------------

mlflow_create_experiment <- function(name, artifact_location = NULL, tags = NULL,
                                     client = .dbx_default_client()) {
  kv <- .dbx_mlflow_kv(tags)
  .dbx_check(.Call(r_dbx_mlflow_experiment_create, client$ptr, name, artifact_location, kv[[1]], kv[[2]]))
}

mlflow_get_experiment <- function(experiment_id = NULL, name = NULL, client = .dbx_default_client()) {
  if (is.null(experiment_id) == is.null(name)) stop("give exactly one of experiment_id and name")
  e <- .dbx_check(.Call(r_dbx_mlflow_experiment_get, client$ptr, experiment_id, name))
  .dbx_mlflow_experiments_df(list(e))
}

mlflow_search_experiments <- function(filter = NULL,
                                      experiment_view_type = c("ACTIVE_ONLY", "DELETED_ONLY", "ALL"),
                                      max_results = NULL, order_by = list(), page_size = NULL,
                                      client = .dbx_default_client()) {
  view <- match.arg(experiment_view_type)
  items <- .dbx_check(.Call(r_dbx_mlflow_experiments_search, client$ptr, filter, as.character(unlist(order_by)),
                            view, page_size, max_results))
  .dbx_mlflow_experiments_df(items)
}

mlflow_rename_experiment <- function(new_name, experiment_id, client = .dbx_default_client())
  .dbx_ok(.Call(r_dbx_mlflow_experiment_action, client$ptr, "update", experiment_id, new_name, NULL))

mlflow_delete_experiment <- function(experiment_id, client = .dbx_default_client())
  .dbx_ok(.Call(r_dbx_mlflow_experiment_action, client$ptr, "delete", experiment_id, NULL, NULL))

mlflow_restore_experiment <- function(experiment_id, client = .dbx_default_client())
  .dbx_ok(.Call(r_dbx_mlflow_experiment_action, client$ptr, "restore", experiment_id, NULL, NULL))

mlflow_set_experiment_tag <- function(key, value, experiment_id, client = .dbx_default_client())
  .dbx_ok(.Call(r_dbx_mlflow_experiment_action, client$ptr, "set_tag", experiment_id, key, as.character(value)))

dbx_mlflow_delete_experiment_tag <- function(client, experiment_id, key)
  .dbx_ok(.Call(r_dbx_mlflow_experiment_action, client$ptr, "delete_tag", experiment_id, key, NULL))

# ---- runs ---------------------------------------------------------------------------------

# MLflow's signature: run_id resumes an existing run (status RUNNING again), else a new run
# is created in experiment_id.
mlflow_start_run <- function(run_id = NULL, experiment_id = NULL, start_time = NULL, tags = NULL,
                             run_name = NULL, client = .dbx_default_client()) {
  if (!is.null(run_id)) {
    .dbx_check(.Call(r_dbx_mlflow_run_update, client$ptr, run_id, "RUNNING", NULL, run_name))
    return(mlflow_get_run(run_id, client = client))
  }
  if (is.null(experiment_id)) stop("give experiment_id (or run_id to resume a run)")
  kv <- .dbx_mlflow_kv(tags)
  r <- .dbx_check(.Call(r_dbx_mlflow_run_create, client$ptr, experiment_id, run_name,
                        .dbx_mlflow_ms(start_time), kv[[1]], kv[[2]]))
  .dbx_mlflow_runs_df(list(r))
}

mlflow_end_run <- function(status = c("FINISHED", "FAILED", "KILLED"), end_time = NULL, run_id,
                           client = .dbx_default_client()) {
  status <- match.arg(status)
  if (is.null(end_time)) end_time <- .dbx_mlflow_now()
  .dbx_ok(.Call(r_dbx_mlflow_run_update, client$ptr, run_id, status, .dbx_mlflow_ms(end_time), NULL))
}

dbx_mlflow_update_run <- function(client, run_id, status = NULL, end_time = NULL, run_name = NULL)
  .dbx_ok(.Call(r_dbx_mlflow_run_update, client$ptr, run_id, status, .dbx_mlflow_ms(end_time), run_name))

mlflow_get_run <- function(run_id, client = .dbx_default_client())
  .dbx_mlflow_runs_df(list(.dbx_check(.Call(r_dbx_mlflow_run_get, client$ptr, run_id))))

mlflow_search_runs <- function(filter = NULL, run_view_type = c("ACTIVE_ONLY", "DELETED_ONLY", "ALL"),
                               experiment_ids, order_by = list(), max_results = NULL, page_size = NULL,
                               client = .dbx_default_client()) {
  view <- match.arg(run_view_type)
  items <- .dbx_check(.Call(r_dbx_mlflow_runs_search, client$ptr, as.character(experiment_ids), filter,
                            as.character(unlist(order_by)), view, page_size, max_results))
  .dbx_mlflow_runs_df(items)
}

mlflow_delete_run <- function(run_id, client = .dbx_default_client())
  .dbx_ok(.Call(r_dbx_mlflow_run_action, client$ptr, "delete", run_id, NULL, NULL))

dbx_mlflow_restore_run <- function(client, run_id)
  .dbx_ok(.Call(r_dbx_mlflow_run_action, client$ptr, "restore", run_id, NULL, NULL))

mlflow_set_tag <- function(key, value, run_id, client = .dbx_default_client())
  .dbx_ok(.Call(r_dbx_mlflow_run_action, client$ptr, "set_tag", run_id, key, as.character(value)))

mlflow_delete_tag <- function(key, run_id, client = .dbx_default_client())
  .dbx_ok(.Call(r_dbx_mlflow_run_action, client$ptr, "delete_tag", run_id, key, NULL))

mlflow_log_param <- function(key, value, run_id, client = .dbx_default_client())
  .dbx_ok(.Call(r_dbx_mlflow_run_action, client$ptr, "log_param", run_id, key, as.character(value)))

mlflow_log_metric <- function(key, value, timestamp = NULL, step = NULL, run_id,
                              client = .dbx_default_client()) {
  if (is.null(timestamp)) timestamp <- .dbx_mlflow_now()
  .dbx_ok(.Call(r_dbx_mlflow_log_metric, client$ptr, run_id, key, as.numeric(value),
                .dbx_mlflow_ms(timestamp), if (is.null(step)) 0 else as.numeric(step)))
}

mlflow_log_batch <- function(metrics = NULL, params = NULL, tags = NULL, run_id,
                             client = .dbx_default_client()) {
  mk <- mv <- mt <- ms <- NULL
  if (!is.null(metrics) && NROW(metrics) > 0) {
    n <- NROW(metrics)
    mk <- as.character(metrics$key)
    mv <- as.numeric(metrics$value)
    mt <- if (is.null(metrics$timestamp)) rep(.dbx_mlflow_now(), n) else .dbx_mlflow_ms(metrics$timestamp)
    ms <- if (is.null(metrics$step)) rep(0, n) else as.numeric(metrics$step)
  }
  p <- .dbx_mlflow_kv(params, "params")
  t <- .dbx_mlflow_kv(tags, "tags")
  .dbx_ok(.Call(r_dbx_mlflow_log_batch, client$ptr, run_id, mk, mv, as.numeric(mt), ms, p[[1]], p[[2]],
                t[[1]], t[[2]]))
}

dbx_mlflow_log_inputs <- function(client, run_id, datasets) {
  if (is.data.frame(datasets)) datasets <- lapply(seq_len(nrow(datasets)), function(i) as.list(datasets[i, , drop = FALSE]))
  if (!is.null(datasets$name)) datasets <- list(datasets)
  one <- function(d) {
    tg <- d$tags
    if (is.list(tg) && length(tg) == 1 && is.null(names(tg))) tg <- tg[[1]]  # a list column's cell
    kv <- .dbx_mlflow_kv(tg, "dataset tags")
    txt <- function(v) if (is.null(v) || (length(v) == 1 && is.na(v))) NULL
                       else if (is.character(v)) v else .dbx_to_json(v)
    list(d$name, d$digest, d$source_type, txt(d$source), txt(d$schema), txt(d$profile), kv[[1]], kv[[2]])
  }
  .dbx_ok(.Call(r_dbx_mlflow_log_inputs, client$ptr, run_id, lapply(datasets, one)))
}

mlflow_get_metric_history <- function(metric_key, run_id, max_results = NULL, page_size = NULL,
                                      client = .dbx_default_client()) {
  m <- .dbx_check(.Call(r_dbx_mlflow_metric_history, client$ptr, run_id, metric_key, page_size, max_results))
  .dbx_mlflow_metrics_df(m)
}

dbx_mlflow_run_status_name <- function(status_code) .Call(r_dbx_mlflow_run_status_name, as.integer(status_code))

# Start a run, call code(run_id), end it FINISHED, or FAILED when code signals an error (KILLED on
# an interrupt), like MLflow's fluent API; returns code's value.
dbx_mlflow_with_run <- function(client, experiment_id, code, run_name = NULL, tags = NULL) {
  run <- mlflow_start_run(experiment_id = experiment_id, tags = tags, run_name = run_name, client = client)
  status <- "FAILED"
  on.exit(mlflow_end_run(status, run_id = run$run_id, client = client), add = TRUE)
  value <- withCallingHandlers(code(run$run_id), interrupt = function(e) status <<- "KILLED")
  status <- "FINISHED"
  value
}

# ---- the logger ---------------------------------------------------------------------------

dbx_mlflow_logger <- function(client, run_id, auto_flush = FALSE) {
  ptr <- .dbx_check(.Call(r_dbx_mlflow_logger_new, client$ptr, run_id, isTRUE(auto_flush)))
  structure(list(ptr = ptr, run_id = run_id), class = "dbx_mlflow_logger")
}

print.dbx_mlflow_logger <- function(x, ...) {
  s <- .Call(r_dbx_mlflow_logger_info, x$ptr)
  if (is.null(s)) cat("<dbx_mlflow_logger (closed)>\n")
  else cat("<dbx_mlflow_logger run=", x$run_id, " pending=", s$pending, ">\n", sep = "")
  invisible(x)
}

dbx_mlflow_logger_log_metric <- function(logger, key, value, timestamp = NULL, step = 0) {
  if (is.null(timestamp)) timestamp <- .dbx_mlflow_now()
  .dbx_ok(.Call(r_dbx_mlflow_logger_add, logger$ptr, "metric", as.character(key), as.numeric(value),
                as.numeric(.dbx_mlflow_ms(timestamp)), as.numeric(step)))
}

dbx_mlflow_logger_log_param <- function(logger, key, value)
  .dbx_ok(.Call(r_dbx_mlflow_logger_add, logger$ptr, "param", as.character(key), as.character(value), NULL, NULL))

dbx_mlflow_logger_set_tag <- function(logger, key, value)
  .dbx_ok(.Call(r_dbx_mlflow_logger_add, logger$ptr, "tag", as.character(key), as.character(value), NULL, NULL))

dbx_mlflow_logger_flush <- function(logger) .dbx_ok(.Call(r_dbx_mlflow_logger_flush, logger$ptr))

dbx_mlflow_logger_status <- function(logger) {
  s <- .Call(r_dbx_mlflow_logger_info, logger$ptr)
  if (is.null(s)) return(list(pending = 0, requests = NA_real_, last_failure = NULL, closed = TRUE))
  lf <- if (is.na(s$failed)) NULL else list(status_name = s$failed, first = s$first, count = s$count)
  list(pending = s$pending, requests = s$requests, last_failure = lf, closed = FALSE)
}

# Flush, then free the C logger (also when the flush fails, which is then signalled).
dbx_mlflow_logger_close <- function(logger) {
  if (is.null(.Call(r_dbx_mlflow_logger_info, logger$ptr))) return(invisible(TRUE))
  on.exit(.Call(r_dbx_mlflow_logger_free, logger$ptr), add = TRUE)
  dbx_mlflow_logger_flush(logger)
}

# A logger for code(logger), flushed and closed on exit (also when code fails; a flush
# failure then does not hide code's error).
dbx_mlflow_with_logger <- function(client, run_id, code, auto_flush = FALSE) {
  lg <- dbx_mlflow_logger(client, run_id, auto_flush)
  ok <- FALSE
  on.exit(if (!ok) try(dbx_mlflow_logger_close(lg), silent = TRUE), add = TRUE)
  value <- code(lg)
  ok <- TRUE
  dbx_mlflow_logger_close(lg)
  value
}

# ---- artifacts ----------------------------------------------------------------------------

mlflow_list_artifacts <- function(path = NULL, run_id, client = .dbx_default_client()) {
  a <- .dbx_check(.Call(r_dbx_mlflow_artifacts_list, client$ptr, run_id, path))
  data.frame(path = a$path, is_dir = a$is_dir, file_size = a$file_size, stringsAsFactors = FALSE)
}

# MLflow's log_artifact: a file goes to <artifact_path>/<its name>; a directory's files go
# under artifact_path (recursively).
mlflow_log_artifact <- function(path, artifact_path = NULL, run_id, client = .dbx_default_client()) {
  if (dir.exists(path))
    return(.dbx_ok(.Call(r_dbx_mlflow_artifact_upload_dir, client$ptr, run_id, artifact_path, path)))
  dest <- if (is.null(artifact_path) || !nzchar(artifact_path)) basename(path)
          else paste0(sub("/+$", "", artifact_path), "/", basename(path))
  dbx_mlflow_upload_artifact(client, run_id, dest, path)
}

dbx_mlflow_upload_artifact <- function(client, run_id, artifact_path, file) {
  if (!is.raw(file) && !(is.character(file) && length(file) == 1))
    stop("file must be a local path or a raw vector")
  invisible(.dbx_wait_result(.Call(r_dbx_mlflow_artifact_upload, client$ptr, run_id, artifact_path, file)))
}

dbx_mlflow_download_artifact <- function(client, run_id, artifact_path, destination = NULL) {
  if (is.null(destination))
    return(.dbx_wait_result(.Call(r_dbx_mlflow_artifact_download, client$ptr, run_id, artifact_path, NULL)))
  .dbx_check(.Call(r_dbx_mlflow_artifact_download, client$ptr, run_id, artifact_path, destination))
  invisible(destination)
}

# MLflow's download_artifacts: a file or a directory (found by listing its parent) into
# dst_path (a new temporary directory by default); returns the local path.
mlflow_download_artifacts <- function(path = "", run_id, dst_path = NULL, client = .dbx_default_client()) {
  if (is.null(dst_path)) dst_path <- tempfile("mlflow-artifacts-")
  path <- sub("/+$", "", if (is.null(path)) "" else path)
  is_dir <- !nzchar(path)
  if (!is_dir) {
    parent <- if (grepl("/", path, fixed = TRUE)) sub("/[^/]*$", "", path) else NULL
    entries <- mlflow_list_artifacts(parent, run_id, client)
    hit <- entries$is_dir[entries$path == path]
    if (length(hit) == 0)
      stop(.dbx_condition(list(status = -12L, status_name = "DBX_ENOTFOUND",
                               message = paste0("no artifact '", path, "' in run ", run_id),
                               http_status = NA_integer_, error_code = NA_character_,
                               request_id = NA_character_, method = NA_character_, path = NA_character_,
                               attempts = NA_integer_)))
    is_dir <- hit[1]
  }
  if (is_dir) {
    .dbx_check(.Call(r_dbx_mlflow_artifact_download_dir, client$ptr, run_id, if (nzchar(path)) path else NULL,
                     dst_path))
    return(dst_path)
  }
  dir.create(dst_path, recursive = TRUE, showWarnings = FALSE)
  local <- file.path(dst_path, basename(path))
  dbx_mlflow_download_artifact(client, run_id, path, local)
  local
}
