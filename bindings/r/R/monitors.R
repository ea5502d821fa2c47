# Quality monitors (Lakehouse Monitoring): libdbx names (dbx_monitor_*, client first). The
# spec is built by libdbx's spec builder from named arguments (or given whole as `spec`, a
# list or JSON text); drift and profile metric rows come back as data.frames.

.dbx_monitor_spec <- function(spec = NULL, assets_dir = NULL, output_schema_name = NULL,
                              inference_log = NULL, time_series = NULL, snapshot = FALSE,
                              baseline_table_name = NULL, slicing_exprs = NULL, schedule = NULL,
                              warehouse_id = NULL, skip_builtin_dashboard = NULL,
                              notification_emails = NULL, custom_metrics = NULL) {
  if (!is.null(spec)) {
    if (!is.character(spec)) spec <- .dbx_to_json(spec)
    return(list(json = spec))
  }
  s <- list(assets_dir = assets_dir, output_schema_name = output_schema_name,
            baseline_table_name = baseline_table_name, warehouse_id = warehouse_id,
            skip_builtin_dashboard = skip_builtin_dashboard)
  chr <- function(x) if (is.null(x)) NULL else enc2utf8(as.character(unlist(x)))
  if (!is.null(inference_log)) {
    il <- inference_log
    s <- c(s, list(profile = "inference_log", problem_type = toupper(.dbx_or(il$problem_type, "")),
                   timestamp_col = il$timestamp_col, prediction_col = il$prediction_col,
                   model_id_col = il$model_id_col, label_col = il$label_col,
                   prediction_proba_col = il$prediction_proba_col,
                   granularities = chr(il$granularities)))
  } else if (!is.null(time_series)) {
    s <- c(s, list(profile = "time_series", timestamp_col = time_series$timestamp_col,
                   granularities = chr(time_series$granularities)))
  } else if (isTRUE(snapshot)) {
    s$profile <- "snapshot"
  }
  s$slicing_exprs <- chr(slicing_exprs)
  if (!is.null(schedule)) {
    s$cron <- schedule$quartz_cron_expression
    s$timezone_id <- .dbx_or(schedule$timezone_id, "UTC")
    s$paused <- identical(schedule$pause_status, "PAUSED")
  }
  s$notification_emails <- chr(notification_emails)
  if (!is.null(custom_metrics))
    s$custom_metrics_json <- if (is.character(custom_metrics)) custom_metrics else .dbx_to_json(custom_metrics)
  s[!vapply(s, is.null, logical(1))]
}

.dbx_or <- function(a, b) if (is.null(a)) b else a

dbx_monitor_create <- function(client, table_name, assets_dir = NULL, output_schema_name = NULL,
                               inference_log = NULL, time_series = NULL, snapshot = FALSE, ..., spec = NULL) {
  s <- .dbx_monitor_spec(spec, assets_dir = assets_dir, output_schema_name = output_schema_name,
                         inference_log = inference_log, time_series = time_series, snapshot = snapshot, ...)
  .dbx_check(.Call(r_dbx_monitor_put, client$ptr, table_name, s, FALSE))
}

dbx_monitor_update <- function(client, table_name, output_schema_name = NULL, ..., spec = NULL) {
  s <- .dbx_monitor_spec(spec, output_schema_name = output_schema_name, ...)
  .dbx_check(.Call(r_dbx_monitor_put, client$ptr, table_name, s, TRUE))
}

dbx_monitor_spec_json <- function(..., spec = NULL) {
  .dbx_json_parse(.dbx_check(.Call(r_dbx_monitor_spec_json, .dbx_monitor_spec(spec, ...))))
}

dbx_monitor_get <- function(client, table_name) .dbx_check(.Call(r_dbx_monitor_get, client$ptr, table_name))

dbx_monitor_delete <- function(client, table_name) {
  invisible(.dbx_check(.Call(r_dbx_monitor_delete, client$ptr, table_name)))
}

dbx_monitor_regenerate_dashboard <- function(client, table_name, warehouse_id = NULL) {
  .dbx_check(.Call(r_dbx_monitor_regenerate_dashboard, client$ptr, table_name, warehouse_id))
}

dbx_monitor_wait_active <- function(client, table_name, timeout = NULL, poll_interval = NULL, progress = NULL) {
  .dbx_wait_result(.Call(r_dbx_monitor_wait_active, client$ptr, table_name, timeout, poll_interval,
                         .dbx_progress(progress)))
}

dbx_monitor_run_refresh <- function(client, table_name) {
  .dbx_check(.Call(r_dbx_monitor_refresh_run, client$ptr, table_name))
}

dbx_monitor_get_refresh <- function(client, table_name, refresh_id) {
  .dbx_check(.Call(r_dbx_monitor_refresh_get, client$ptr, table_name, as.numeric(refresh_id)))
}

dbx_monitor_cancel_refresh <- function(client, table_name, refresh_id) {
  invisible(.dbx_check(.Call(r_dbx_monitor_refresh_cancel, client$ptr, table_name, as.numeric(refresh_id))))
}

dbx_monitor_wait_refresh <- function(client, table_name, refresh_id, timeout = NULL, poll_interval = NULL,
                                     progress = NULL) {
  if (is.list(refresh_id)) refresh_id <- refresh_id$refresh_id
  .dbx_wait_result(.Call(r_dbx_monitor_refresh_wait, client$ptr, table_name, as.numeric(refresh_id), timeout,
                         poll_interval, .dbx_progress(progress)))
}

dbx_monitor_list_refreshes <- function(client, table_name) {
  items <- .dbx_check(.Call(r_dbx_monitor_refresh_list, client$ptr, table_name))
  num <- function(k) vapply(items, function(x) if (is.null(x[[k]])) NA_real_ else as.numeric(x[[k]]), numeric(1))
  chr <- function(k) vapply(items, function(x) if (is.null(x[[k]])) NA_character_ else as.character(x[[k]]),
                            character(1))
  df <- data.frame(refresh_id = num("refresh_id"), state = chr("state"),
                   start_time = .POSIXct(num("start_time_ms") / 1000, tz = "UTC"),
                   end_time = .POSIXct(num("end_time_ms") / 1000, tz = "UTC"),
                   trigger = chr("trigger"), message = chr("message"), stringsAsFactors = FALSE)
  attr(df, "raw") <- items
  df
}

.dbx_monitor_read_opts <- function(column, granularity, drift_type, since, model_id, slice_key, all_slices,
                                   log_type, max_rows) {
  since_ms <- if (is.null(since)) NULL else if (inherits(since, "Date")) as.numeric(since) * 86400000
              else if (inherits(since, "POSIXt")) as.numeric(as.POSIXct(since)) * 1000 else as.numeric(since)
  o <- list(column = column, granularity = granularity,
            drift_type = if (is.null(drift_type)) NULL else toupper(drift_type), since_ms = since_ms,
            model_id = model_id, slice_key = slice_key, all_slices = isTRUE(all_slices), log_type = log_type,
            max_rows = max_rows)
  o[!vapply(o, is.null, logical(1))]
}

dbx_monitor_drift <- function(client, table_name, warehouse_id, column = NULL, granularity = NULL,
                              drift_type = NULL, since = NULL, model_id = NULL, slice_key = NULL,
                              all_slices = FALSE, max_rows = NULL) {
  o <- .dbx_monitor_read_opts(column, granularity, drift_type, since, model_id, slice_key, all_slices, NULL,
                              max_rows)
  .dbx_check(.Call(r_dbx_monitor_read, client$ptr, table_name, warehouse_id, o, TRUE))
}

dbx_monitor_profile <- function(client, table_name, warehouse_id, column = NULL, granularity = NULL,
                                since = NULL, model_id = NULL, slice_key = NULL, all_slices = FALSE,
                                log_type = NULL, max_rows = NULL) {
  o <- .dbx_monitor_read_opts(column, granularity, NULL, since, model_id, slice_key, all_slices, log_type,
                              max_rows)
  .dbx_check(.Call(r_dbx_monitor_read, client$ptr, table_name, warehouse_id, o, FALSE))
}

dbx_monitor_granularity_valid <- function(granularity) {
  .Call(r_dbx_monitor_granularity_valid, enc2utf8(as.character(granularity)))
}

dbx_monitor_enum_name <- function(kind = c("status", "refresh_state", "problem_type", "profile_type",
                                           "drift_type"), value) {
  kind <- match.arg(kind)
  .Call(r_dbx_monitor_enum_name, match(kind, c("status", "refresh_state", "problem_type", "profile_type",
                                               "drift_type")) - 1L, as.integer(value))
}
