# SQL statement execution: libdbx names (dbx_sql_*, client first) and brickster-style names
# (db_sql_*, client last, defaulting to a client from the environment).
#
# Values are always sent as named, typed parameters (":name" markers), never pasted into the SQL
# text. Results are read in C into typed columns, following every chunk.

.dbx_sql_enum <- function(x, values, what) {
  if (is.null(x)) return(0L)
  if (!is.character(x) || length(x) != 1 || is.na(x)) stop(what, " must be one string")
  i <- match(toupper(x), values)
  if (is.na(i)) stop("unknown ", what, " '", x, "' (one of ", paste(values, collapse = ", "), ")")
  i
}

# wait_timeout: NULL (the server's default), seconds (0, or 5..50) or "10s"
.dbx_sql_wait_timeout <- function(x) {
  if (is.null(x)) return(NULL)
  if (is.character(x)) {
    if (length(x) != 1 || !grepl("^[0-9]+s$", x)) stop("wait_timeout must be seconds: 0 or 5..50 (or \"10s\")")
    x <- as.numeric(sub("s$", "", x))
  }
  if (!is.numeric(x) || length(x) != 1 || is.na(x)) stop("wait_timeout must be seconds: 0 or 5..50 (or \"10s\")")
  if (x == 0) -1L else as.integer(x)  # -1: DBX_SQL_NO_WAIT ("0s")
}

.dbx_sql_limit <- function(x, name) {
  if (is.null(x)) return(NULL)
  if (!is.numeric(x) || length(x) != 1 || is.na(x)) stop(name, " must be a number")
  as.numeric(x)
}

# One parameter value as list(text, type): the SQL type from the R type unless given.
.dbx_sql_param_text <- function(value, type, name) {
  if (is.factor(value)) value <- as.character(value)
  if (length(value) != 1 && !is.null(value)) stop("parameter '", name, "' must be a single value")
  if (is.null(value) || is.na(value)) return(list(NA_character_, if (is.null(type)) NA_character_ else type))
  if (inherits(value, "POSIXt")) {
    text <- format(as.POSIXct(value), "%Y-%m-%dT%H:%M:%OS6Z", tz = "UTC")
    return(list(text, if (is.null(type)) "TIMESTAMP" else type))
  }
  if (inherits(value, "Date")) return(list(format(value, "%Y-%m-%d"), if (is.null(type)) "DATE" else type))
  if (is.logical(value)) return(list(if (value) "true" else "false", if (is.null(type)) "BOOLEAN" else type))
  if (is.integer(value)) return(list(as.character(value), if (is.null(type)) "INT" else type))
  if (is.numeric(value)) {
    if (!is.finite(value)) stop("parameter '", name, "' must be finite")
    text <- if (value == round(value) && abs(value) < 1e18) sprintf("%.0f", value) else sprintf("%.17g", value)
    return(list(text, if (is.null(type)) "DOUBLE" else type))
  }
  if (is.character(value)) return(list(enc2utf8(value), if (is.null(type)) NA_character_ else type))
  stop("parameter '", name, "': no SQL type for a value of class ", class(value)[1])
}

# params: a named list (name = value, or name = list(value = , type = )), or an unnamed list of
# list(name = , value = , type = ) as brickster and the REST API take them.
.dbx_sql_params <- function(params) {
  if (is.null(params) || length(params) == 0) return(list(NULL, NULL, NULL))
  if (!is.list(params)) params <- as.list(params)
  nms <- names(params)
  out <- lapply(seq_along(params), function(i) {
    p <- params[[i]]
    if (is.null(nms) || !nzchar(nms[i])) {
      if (!is.list(p) || is.null(p$name)) stop("an unnamed parameter must be list(name = , value = , type = )")
      name <- p$name
      value <- p$value
      type <- p$type
    } else {
      name <- nms[i]
      if (is.list(p) && !inherits(p, "POSIXlt")) {
        value <- p$value
        type <- p$type
      } else {
        value <- p
        type <- NULL
      }
    }
    tv <- .dbx_sql_param_text(value, type, name)
    c(name, tv[[1]], tv[[2]])
  })
  list(vapply(out, `[`, "", 1), vapply(out, `[`, "", 2), vapply(out, `[`, "", 3))
}

.dbx_sql_opts <- function(catalog, schema, wait_timeout, on_wait_timeout, row_limit, byte_limit,
                          disposition, format, query_tags) {
  keys <- NULL
  vals <- NULL
  if (length(query_tags)) {
    if (is.null(names(query_tags)) || any(!nzchar(names(query_tags)))) stop("query_tags must be named")
    keys <- names(query_tags)
    vals <- vapply(query_tags, function(v) if (is.null(v) || is.na(v)) NA_character_ else as.character(v), "")
  }
  list(catalog, schema, .dbx_sql_wait_timeout(wait_timeout),
       .dbx_sql_enum(on_wait_timeout, c("CONTINUE", "CANCEL"), "on_wait_timeout"),
       .dbx_sql_limit(row_limit, "row_limit"), .dbx_sql_limit(byte_limit, "byte_limit"),
       .dbx_sql_enum(disposition, c("INLINE", "EXTERNAL_LINKS"), "disposition"),
       .dbx_sql_enum(format, c("JSON_ARRAY", "ARROW_STREAM", "CSV"), "format"), keys, vals)
}

.dbx_sql_statement <- function(x) {
  if (is.null(x)) return(NULL)
  x$columns <- data.frame(x$columns, stringsAsFactors = FALSE)
  x$status <- list(state = x$state, sql_state = x$sql_state,
                   error = list(error_code = x$error_code, message = x$error_message))
  structure(x, class = "dbx_sql_statement")
}

.dbx_sql_result <- function(ans, call) {
  if (!is.null(ans$result)) ans$result <- .dbx_sql_statement(ans$result)
  .dbx_wait_result(ans, call)
}

print.dbx_sql_statement <- function(x, ...) {
  cat("<dbx_sql_statement ", x$statement_id, " ", x$state, sep = "")
  if (isTRUE(x$has_result)) cat(" rows=", format(x$total_row_count, scientific = FALSE), sep = "")
  if (!is.na(x$sql_state)) cat(" sql_state=", x$sql_state, sep = "")
  cat(">\n")
  invisible(x)
}

dbx_sql_submit <- function(client, warehouse_id, statement, params = list(), catalog = NULL,
                           schema = NULL, row_limit = NULL, byte_limit = NULL, disposition = NULL,
                           format = NULL, wait_timeout = NULL, on_wait_timeout = NULL,
                           query_tags = NULL, wait = TRUE, timeout = NULL, poll_interval = NULL,
                           progress = NULL) {
  opts <- .dbx_sql_opts(catalog, schema, wait_timeout, on_wait_timeout, row_limit, byte_limit,
                        disposition, format, query_tags)
  p <- .dbx_sql_params(params)
  .dbx_sql_result(.Call(r_dbx_sql_execute, client$ptr, warehouse_id, statement, p, opts, isTRUE(wait),
                        timeout, poll_interval, .dbx_progress(progress)), sys.call())
}

dbx_sql_get <- function(client, statement_id) {
  .dbx_sql_statement(.dbx_check(.Call(r_dbx_sql_get, client$ptr, .dbx_sql_id(statement_id))))
}

dbx_sql_wait <- function(client, statement_id, timeout = NULL, poll_interval = NULL, progress = NULL) {
  .dbx_sql_result(.Call(r_dbx_sql_wait, client$ptr, .dbx_sql_id(statement_id), timeout, poll_interval,
                        .dbx_progress(progress)), sys.call())
}

.dbx_sql_id <- function(x) if (inherits(x, "dbx_sql_statement")) x$statement_id else x

dbx_sql_cancel <- function(client, statement_id) {
  invisible(.dbx_check(.Call(r_dbx_sql_action, client$ptr, "cancel", .dbx_sql_id(statement_id))))
}

dbx_sql_close <- function(client, statement_id) {
  invisible(.dbx_check(.Call(r_dbx_sql_action, client$ptr, "close", .dbx_sql_id(statement_id))))
}

.dbx_sql_frame <- function(cols, st) {
  names(cols) <- st$columns$name
  types <- st$columns$type_name
  for (i in seq_along(cols)) {
    if (types[i] == "DATE") cols[[i]] <- structure(cols[[i]], class = "Date")
    else if (types[i] %in% c("TIMESTAMP", "TIMESTAMP_NTZ")) cols[[i]] <- .POSIXct(cols[[i]], tz = "UTC")
  }
  n <- if (length(cols)) length(cols[[1]]) else 0L
  structure(cols, class = "data.frame", row.names = .set_row_names(n))
}

dbx_sql_fetch <- function(client, statement, max_chunks = NULL, truncated_is_error = FALSE, close = FALSE) {
  if (!inherits(statement, "dbx_sql_statement")) statement <- dbx_sql_get(client, statement)
  cols <- .dbx_wait_result(.Call(r_dbx_sql_fetch, client$ptr, statement$ptr, max_chunks,
                                 isTRUE(truncated_is_error), isTRUE(close)), sys.call())
  truncated <- isTRUE(attr(cols, "truncated"))
  df <- .dbx_sql_frame(unclass(cols), statement)
  attr(df, "truncated") <- truncated
  attr(df, "statement_id") <- statement$statement_id
  if (truncated)
    warning("the result of statement ", statement$statement_id,
            " was truncated by row_limit / byte_limit: not every row was read", call. = FALSE)
  df
}

dbx_sql_execute <- function(client, warehouse_id, statement, params = list(), catalog = NULL,
                            schema = NULL, row_limit = NULL, byte_limit = NULL, disposition = NULL,
                            wait_timeout = NULL, on_wait_timeout = NULL, query_tags = NULL,
                            timeout = NULL, poll_interval = NULL, progress = NULL,
                            max_chunks = NULL, close = FALSE) {
  st <- dbx_sql_submit(client, warehouse_id, statement, params = params, catalog = catalog,
                       schema = schema, row_limit = row_limit, byte_limit = byte_limit,
                       disposition = disposition, wait_timeout = wait_timeout,
                       on_wait_timeout = on_wait_timeout, query_tags = query_tags, wait = TRUE,
                       timeout = timeout, poll_interval = poll_interval, progress = progress)
  dbx_sql_fetch(client, st, max_chunks = max_chunks, close = close)
}

dbx_sql_stream <- function(client, statement, destination = NULL, overwrite = FALSE,
                           max_chunks = NULL, close = FALSE) {
  if (!inherits(statement, "dbx_sql_statement")) statement <- dbx_sql_get(client, statement)
  if (is.null(destination)) {
    return(.dbx_wait_result(.Call(r_dbx_sql_stream, client$ptr, statement$ptr, NULL, FALSE,
                                  max_chunks, isTRUE(close)), sys.call()))
  }
  if (inherits(destination, "connection")) {
    if (!isOpen(destination)) {
      open(destination, "wb")
      on.exit(close(destination), add = TRUE)
    }
    sink <- .dbx_writer(destination)
  } else if (is.character(destination) && length(destination) == 1 && !is.na(destination)) {
    sink <- path.expand(destination)
  } else {
    stop("destination must be NULL, a local path or a connection")
  }
  .dbx_wait_result(.Call(r_dbx_sql_stream, client$ptr, statement$ptr, sink, isTRUE(overwrite),
                         max_chunks, isTRUE(close)), sys.call())
  invisible(destination)
}

# ---- brickster-style names ---------------------------------------------------------------

db_sql_query <- function(warehouse_id, statement, catalog = NULL, schema = NULL, parameters = NULL,
                         row_limit = NULL, byte_limit = NULL, wait_timeout = "10s", ...,
                         client = .dbx_default_client()) {
  extra <- list(...)
  if (isTRUE(extra$return_arrow)) stop("return_arrow = TRUE is not supported by libdbx: results come back as a data.frame")
  extra$return_arrow <- NULL
  extra$max_active_connections <- NULL  # libdbx bounds the chunks in flight itself (max_chunks)
  extra$fetch_timeout <- NULL
  do.call(dbx_sql_execute, c(list(client, warehouse_id, statement, params = parameters, catalog = catalog,
                                  schema = schema, row_limit = row_limit, byte_limit = byte_limit,
                                  wait_timeout = wait_timeout), extra))
}

db_sql_exec_query <- function(statement, warehouse_id, catalog = NULL, schema = NULL, parameters = NULL,
                              row_limit = NULL, byte_limit = NULL, disposition = "INLINE",
                              format = "JSON_ARRAY", wait_timeout = "0s", on_wait_timeout = "CONTINUE",
                              client = .dbx_default_client()) {
  dbx_sql_submit(client, warehouse_id, statement, params = parameters, catalog = catalog, schema = schema,
                 row_limit = row_limit, byte_limit = byte_limit, disposition = disposition, format = format,
                 wait_timeout = wait_timeout, on_wait_timeout = on_wait_timeout, wait = FALSE)
}

db_sql_exec_status <- function(statement_id, client = .dbx_default_client()) dbx_sql_get(client, statement_id)

db_sql_exec_result <- function(statement_id, client = .dbx_default_client()) dbx_sql_fetch(client, statement_id)

db_sql_exec_cancel <- function(statement_id, client = .dbx_default_client()) dbx_sql_cancel(client, statement_id)
