# Model Serving extras: champion / challenger traffic, promotion and rollback, /metrics, batch
# scoring. libdbx names (dbx_serving_*, client first). Route-optimized endpoints need nothing
# here: dbx_serving_query reaches their data plane with an OAuth client.

.dbx_registry_arg <- function(registry) {
  registry <- if (is.null(registry)) "default" else registry
  if (!registry %in% c("default", "workspace", "uc")) stop("registry must be \"default\", \"workspace\" or \"uc\"")
  registry
}

dbx_serving_traffic <- function(client, name) {
  t <- .dbx_check(.Call(r_dbx_serving_traffic, client$ptr, name))
  df <- data.frame(served_entity_name = t$served_entity_name, entity_name = t$entity_name,
                   entity_version = t$entity_version, traffic_percentage = t$traffic_percentage,
                   stringsAsFactors = FALSE)
  attr(df, "config_json") <- t$config_json
  df
}

dbx_serving_shift_traffic <- function(client, name, champion, challenger, challenger_pct, wait = TRUE,
                                      timeout = NULL, poll_interval = NULL, progress = NULL) {
  .dbx_wait_result(.Call(r_dbx_serving_shift, client$ptr, name, champion, challenger, as.integer(challenger_pct),
                         isTRUE(wait), timeout, poll_interval, .dbx_progress(progress)))
}

dbx_serving_promote <- function(client, name, challenger, alias = NULL, model_name = NULL, registry = "default",
                                stage = NULL, keep_others = FALSE, timeout = NULL, poll_interval = NULL,
                                progress = NULL) {
  registry <- .dbx_registry_arg(registry)
  p <- .dbx_wait_result(.Call(r_dbx_serving_promote, client$ptr, name, challenger, alias, model_name, registry,
                              stage, isTRUE(keep_others), timeout, poll_interval, .dbx_progress(progress)))
  p$registry <- registry
  structure(p, class = "dbx_serving_promotion")
}

dbx_serving_rollback <- function(client, name, previous, alias = NULL, model_name = NULL, alias_version = 0,
                                 registry = "default", timeout = NULL, poll_interval = NULL, progress = NULL) {
  if (inherits(previous, "dbx_serving_promotion")) {
    if (is.null(alias) && nzchar(previous$alias)) {
      alias <- previous$alias
      model_name <- previous$model
      alias_version <- previous$previous_alias_version
      registry <- previous$registry
    }
    previous <- previous$previous_config_json
  } else if (is.data.frame(previous) && !is.null(attr(previous, "config_json"))) {
    previous <- attr(previous, "config_json")
  }
  .dbx_wait_result(.Call(r_dbx_serving_rollback, client$ptr, name, .dbx_serving_config_text(previous), alias,
                         model_name, .dbx_registry_arg(registry), as.numeric(alias_version), timeout,
                         poll_interval, .dbx_progress(progress)))
}

.dbx_metrics_frame <- function(m) {
  df <- data.frame(name = m$name, type = m$type, value = m$value, timestamp = m$timestamp,
                   stringsAsFactors = FALSE)
  df$labels <- m$labels
  df
}

dbx_serving_metrics <- function(client, name) {
  .dbx_metrics_frame(.dbx_check(.Call(r_dbx_serving_metrics, client$ptr, name)))
}

dbx_serving_metrics_parse <- function(text) {
  .dbx_metrics_frame(.dbx_check(.Call(r_dbx_serving_metrics_parse, enc2utf8(paste(text, collapse = "\n")))))
}

dbx_metrics_value <- function(metrics, name, label = NULL, value = NULL) {
  keep <- metrics$name == name
  if (!is.null(label))
    keep <- keep & vapply(metrics$labels, function(l) label %in% names(l) &&
                            (is.null(value) || identical(unname(l[[label]]), value)), logical(1))
  sum(metrics$value[keep])
}

dbx_serving_query_batch <- function(client, name, data, max_rows_per_request = 0, format = "dataframe_split",
                                    params = NULL, client_request_id = NULL, max_parallel = 0,
                                    max_bytes_per_request = 0, timeout = NULL) {
  code <- match(format, c("dataframe_split", "dataframe_records", "instances", "inputs"))
  if (is.na(code)) stop("format must be dataframe_split, dataframe_records, instances or inputs")
  if (!.dbx_serving_is_table(data)) stop("data must be a data.frame of numeric, logical or character columns")
  params_json <- if (is.null(params)) NULL else if (is.character(params)) params else .dbx_to_json(params)
  timeout_ms <- if (is.null(timeout)) NULL else max(1, as.numeric(timeout) * 1000)
  ans <- .dbx_check(.Call(r_dbx_serving_query_batch, client$ptr, name, .dbx_serving_table(data), code, params_json,
                          client_request_id, as.numeric(max_rows_per_request), as.numeric(max_bytes_per_request),
                          as.numeric(max_parallel), timeout_ms))
  .dbx_serving_answer(ans)
}
