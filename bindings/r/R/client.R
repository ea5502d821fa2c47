# The client: configuration and authentication resolved by libdbx exactly as in C (arguments,
# then DATABRICKS_* environment variables, then ~/.databrickscfg).

.dbx_env <- new.env(parent = emptyenv())

.dbx_opt <- function(x, seconds = FALSE) {
  if (is.null(x)) return(NULL)
  if (is.logical(x)) return(if (isTRUE(x)) "true" else "false")
  if (seconds) return(format(round(x * 1000), scientific = FALSE))
  as.character(x)
}

dbx_client <- function(host = NULL, token = NULL, profile = NULL, config_file = NULL,
                       auth_type = NULL, client_id = NULL, client_secret = NULL,
                       http_timeout = NULL, retry_timeout = NULL, max_attempts = NULL,
                       retry_initial_delay = NULL, retry_max_delay = NULL, ca_bundle = NULL,
                       insecure_skip_verify = NULL, no_env = NULL, no_config_file = NULL,
                       product = NULL, registry_uri = NULL, mlflow_retry_timeout = NULL,
                       mlflow_retry_initial_delay = NULL, mlflow_retry_max_delay = NULL) {
  opts <- c(host = .dbx_opt(host), token = .dbx_opt(token), profile = .dbx_opt(profile),
            config_file = .dbx_opt(config_file), auth_type = .dbx_opt(auth_type),
            client_id = .dbx_opt(client_id), client_secret = .dbx_opt(client_secret),
            http_timeout_ms = .dbx_opt(http_timeout, TRUE),
            retry_timeout_ms = .dbx_opt(retry_timeout, TRUE),
            max_attempts = .dbx_opt(max_attempts),
            retry_initial_delay_ms = .dbx_opt(retry_initial_delay, TRUE),
            retry_max_delay_ms = .dbx_opt(retry_max_delay, TRUE),
            ca_bundle = .dbx_opt(ca_bundle), insecure_skip_verify = .dbx_opt(insecure_skip_verify),
            no_env = .dbx_opt(no_env), no_config_file = .dbx_opt(no_config_file),
            product = .dbx_opt(product), registry_uri = .dbx_opt(registry_uri),
            mlflow_retry_timeout_ms = .dbx_opt(mlflow_retry_timeout, TRUE),
            mlflow_retry_initial_delay_ms = .dbx_opt(mlflow_retry_initial_delay, TRUE),
            mlflow_retry_max_delay_ms = .dbx_opt(mlflow_retry_max_delay, TRUE))
  if (is.null(opts)) opts <- character(0)
  ptr <- .dbx_check(.Call(r_dbx_client_new, opts))
  structure(list(ptr = ptr), class = "dbx_client")
}

.dbx_default_client <- function() {
  if (is.null(.dbx_env$client)) .dbx_env$client <- dbx_client()
  .dbx_env$client
}

dbx_client_close <- function(client) {
  .Call(r_dbx_client_close, client$ptr)
  invisible(NULL)
}

print.dbx_client <- function(x, ...) {
  info <- .Call(r_dbx_client_info, x$ptr)
  if (is.na(info$host)) cat("<dbx_client (closed)>\n")
  else cat("<dbx_client host=", info$host, " auth=", info$auth_type, ">\n", sep = "")
  invisible(x)
}

# The workspace URL the client resolved (C: dbx_client_host()); NA once closed.
dbx_client_host <- function(client) .Call(r_dbx_client_info, client$ptr)$host

dbx_config_source <- function(client, key) .Call(r_dbx_client_config_source, client$ptr, key)

dbx_version <- function() .Call(r_dbx_version)

dbx_request <- function(client, method, path, body = NULL) {
  if (!is.null(body) && !is.character(body)) stop("body must be JSON text (a character string)")
  ans <- .dbx_check(.Call(r_dbx_request, client$ptr, method, path, body))
  ans$content <- .Call(r_dbx_json_parse, ans$body)
  ans
}
