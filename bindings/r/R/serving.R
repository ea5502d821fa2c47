# Model Serving: libdbx names (dbx_serving_*, client first), brickster-style db_serving_query
# (client last) and databricks-sdk-r's query_serving_endpoint(client, name, ...).

.dbx_serving_config_text <- function(config) {
  if (is.character(config) && length(config) == 1) return(config)
  if (!is.list(config)) stop("config must be a list (EndpointCoreConfigInput) or JSON text")
  .dbx_to_json(config)
}

.dbx_serving_tags <- function(tags) {
  if (is.null(tags) || length(tags) == 0) return(list(keys = NULL, values = NULL))
  keys <- names(tags)
  if (is.null(keys) || any(keys == "")) stop("tags must be named (key = value; NA or NULL: no value)")
  values <- vapply(tags, function(v) if (is.null(v) || is.na(v)) NA_character_ else as.character(v), character(1))
  list(keys = enc2utf8(keys), values = unname(values))
}

.dbx_serving_endpoints_frame <- function(items) {
  chr <- function(f) vapply(items, function(x) { v <- f(x); if (is.null(v)) NA_character_ else as.character(v) },
                           character(1))
  num <- function(f) vapply(items, function(x) { v <- f(x); if (is.null(v)) NA_real_ else as.numeric(v) },
                           numeric(1))
  df <- data.frame(
    name = chr(function(x) x$name), id = chr(function(x) x$id), creator = chr(function(x) x$creator),
    ready = chr(function(x) x$state$ready), config_update = chr(function(x) x$state$config_update),
    creation_timestamp = .POSIXct(num(function(x) x$creation_timestamp) / 1000, tz = "UTC"),
    last_updated_timestamp = .POSIXct(num(function(x) x$last_updated_timestamp) / 1000, tz = "UTC"),
    stringsAsFactors = FALSE)
  attr(df, "raw") <- items
  df
}

dbx_serving_create <- function(client, name, config, tags = NULL, route_optimized = FALSE,
                               description = NULL, extra = NULL) {
  t <- .dbx_serving_tags(tags)
  extra_json <- if (is.null(extra)) NULL else if (is.character(extra)) extra else .dbx_to_json(extra)
  .dbx_check(.Call(r_dbx_serving_create, client$ptr, name, .dbx_serving_config_text(config), t$keys, t$values,
                   isTRUE(route_optimized), description, extra_json))
}

dbx_serving_get <- function(client, name) .dbx_check(.Call(r_dbx_serving_get, client$ptr, name))

dbx_serving_list <- function(client) .dbx_serving_endpoints_frame(.dbx_check(.Call(r_dbx_serving_list, client$ptr)))

dbx_serving_update_config <- function(client, name, config) {
  .dbx_check(.Call(r_dbx_serving_update_config, client$ptr, name, .dbx_serving_config_text(config)))
}

dbx_serving_config_json <- function(config) {
  .dbx_json_parse(.dbx_check(.Call(r_dbx_serving_config_json, .dbx_serving_config_text(config))))
}

dbx_serving_patch_tags <- function(client, name, add = NULL, remove = NULL) {
  t <- .dbx_serving_tags(add)
  rem <- if (is.null(remove)) NULL else enc2utf8(as.character(remove))
  invisible(.dbx_check(.Call(r_dbx_serving_patch_tags, client$ptr, name, t$keys, t$values, rem)))
}

dbx_serving_delete <- function(client, name) invisible(.dbx_check(.Call(r_dbx_serving_delete, client$ptr, name)))

dbx_serving_set_inference_table <- function(client, name, catalog_name = NULL, schema_name = NULL,
                                            table_name_prefix = NULL, enabled = TRUE) {
  invisible(.dbx_check(.Call(r_dbx_serving_set_inference_table, client$ptr, name, catalog_name, schema_name,
                             table_name_prefix, isTRUE(enabled))))
}

dbx_serving_inference_table <- function(endpoint) {
  t <- attr(endpoint, "inference_table")
  if (is.null(t) || !nzchar(t)) NA_character_ else t
}

dbx_serving_build_logs <- function(client, name, served) {
  .dbx_check(.Call(r_dbx_serving_logs, client$ptr, name, served, TRUE))
}

dbx_serving_server_logs <- function(client, name, served) {
  .dbx_check(.Call(r_dbx_serving_logs, client$ptr, name, served, FALSE))
}

dbx_serving_wait_ready <- function(client, name, timeout = NULL, poll_interval = NULL, progress = NULL) {
  .dbx_wait_result(.Call(r_dbx_serving_wait, client$ptr, name, timeout, poll_interval, .dbx_progress(progress)))
}

.dbx_serving_answer <- function(ans) {
  p <- ans$predictions
  if (is.list(p) && length(p) > 0 && all(vapply(p, function(x) is.list(x) && !is.null(names(x)), logical(1)))) {
    keys <- unique(unlist(lapply(p, names)))
    cols <- lapply(keys, function(k) {
      vals <- lapply(p, function(x) if (is.null(x[[k]])) NA else x[[k]])
      if (all(vapply(vals, function(v) length(v) == 1 && is.atomic(v), logical(1)))) unlist(vals) else I(vals)
    })
    names(cols) <- keys
    p <- as.data.frame(cols, stringsAsFactors = FALSE, optional = TRUE)
  }
  list(predictions = p, served_model_name = ans$served_model_name, latency_ms = ans$latency_ms,
       raw = .dbx_json_parse(ans$json))
}

.dbx_serving_is_table <- function(x) {
  (is.data.frame(x) || (is.list(x) && !is.null(names(x)) && length(x) > 0 &&
                        all(vapply(x, function(v) is.atomic(v) && !is.null(v), logical(1))) &&
                        length(unique(lengths(x))) == 1)) &&
    all(vapply(x, function(v) is.numeric(v) || is.logical(v) || is.character(v) || is.factor(v), logical(1)))
}

.dbx_serving_table <- function(x) {
  x <- as.list(x)
  for (i in seq_along(x)) if (is.factor(x[[i]])) x[[i]] <- as.character(x[[i]])
  x
}

dbx_serving_query <- function(client, name, dataframe_split = NULL, dataframe_records = NULL, instances = NULL,
                              inputs = NULL, body = NULL, params = NULL, client_request_id = NULL,
                              timeout = NULL) {
  given <- list(dataframe_split = dataframe_split, dataframe_records = dataframe_records,
                instances = instances, inputs = inputs)
  given <- given[!vapply(given, is.null, logical(1))]
  if (length(given) + (!is.null(body)) != 1)
    stop("give exactly one of dataframe_split, dataframe_records, instances, inputs, body")
  timeout_ms <- if (is.null(timeout)) NULL else max(1, as.numeric(timeout) * 1000)
  params_json <- if (is.null(params)) NULL else if (is.character(params)) params else .dbx_to_json(params)
  if (length(given)) {
    fmt <- names(given)[1]
    v <- given[[1]]
    if (.dbx_serving_is_table(v)) {
      code <- match(fmt, c("dataframe_split", "dataframe_records", "instances", "inputs"))
      ans <- .dbx_check(.Call(r_dbx_serving_query_table, client$ptr, name, .dbx_serving_table(v), code,
                              params_json, client_request_id, timeout_ms, FALSE))
      return(.dbx_serving_answer(ans))
    }
    body <- structure(list(v), names = fmt)
  }
  if (!is.character(body)) {
    if (!is.null(params)) body$params <- params
    if (!is.null(client_request_id)) body$client_request_id <- client_request_id
    body <- .dbx_to_json(body)
  } else if (!is.null(params) || !is.null(client_request_id)) {
    stop("params and client_request_id cannot be added to a body given as JSON text")
  }
  .dbx_serving_answer(.dbx_check(.Call(r_dbx_serving_query, client$ptr, name, body, timeout_ms)))
}

dbx_serving_input_json <- function(data, format = "dataframe_split", params = NULL, client_request_id = NULL) {
  code <- match(format, c("dataframe_split", "dataframe_records", "instances", "inputs"))
  if (is.na(code)) stop("format must be dataframe_split, dataframe_records, instances or inputs")
  params_json <- if (is.null(params)) NULL else .dbx_to_json(params)
  .dbx_json_parse(.dbx_check(.Call(r_dbx_serving_query_table, NULL, NULL, .dbx_serving_table(data), code,
                                   params_json, client_request_id, NULL, TRUE)))
}

# ---- brickster / databricks-sdk-r shapes ----------------------------------------------------

db_serving_query <- function(name, ..., client = .dbx_default_client()) {
  dbx_serving_query(client, name, ...)
}

query_serving_endpoint <- function(client, name, dataframe_records = NULL, dataframe_split = NULL, inputs = NULL,
                                   instances = NULL) {
  dbx_serving_query(client, name, dataframe_split = dataframe_split, dataframe_records = dataframe_records,
                    instances = instances, inputs = inputs)
}
