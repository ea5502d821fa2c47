# Delta table helpers (libdbx's delta.h): dbx_delta_* (client first). Nothing of the caller's
# text is pasted into SQL: names are validated and quoted by libdbx, types parsed by an
# allow-list grammar, comments / properties / paths escaped as literals, and row values are
# named, typed parameters.

.dbx_delta_opts <- function(catalog, schema, cancel_on_wait_end, batch_rows = NULL,
                            max_statement_bytes = NULL) {
  if (!is.null(batch_rows) && (!is.numeric(batch_rows) || length(batch_rows) != 1 || batch_rows <= 0))
    stop("batch_rows must be a positive number")
  list(catalog, schema, batch_rows, max_statement_bytes, isTRUE(cancel_on_wait_end))
}

.dbx_chr1 <- function(x, what) {
  if (!is.character(x) || length(x) != 1 || is.na(x)) stop(what, " must be one string")
  enc2utf8(x)
}

# C answers in the wait shape, or a plain failure (a closed client, bad arguments found first)
.dbx_delta_result <- function(ans, call) .dbx_wait_result(.dbx_check(ans, call), call)

.dbx_wh <- function(warehouse_id) .dbx_chr1(warehouse_id, "warehouse_id")

.dbx_kv_text <- function(v) {
  if (is.logical(v)) return(if (isTRUE(v)) "true" else "false")
  enc2utf8(as.character(v))
}

# A named list / character vector as list(keys, values).
.dbx_delta_kv <- function(x, what) {
  if (length(x) == 0) return(list(NULL, NULL))
  if (is.null(names(x)) || any(!nzchar(names(x)))) stop(what, " must be named")
  list(enc2utf8(names(x)), vapply(x, .dbx_kv_text, "", USE.NAMES = FALSE))
}

# ---- quoting --------------------------------------------------------------------------------

dbx_delta_quote_name <- function(name) .dbx_check(.Call(r_dbx_delta_quote, "name", .dbx_chr1(name, "name")))
dbx_delta_quote_column <- function(column) .dbx_check(.Call(r_dbx_delta_quote, "column", .dbx_chr1(column, "column")))
dbx_delta_quote_literal <- function(text) .dbx_check(.Call(r_dbx_delta_quote, "literal", .dbx_chr1(text, "text")))

# ---- table specs ------------------------------------------------------------------------------

# columns: column-spec text ("id BIGINT NOT NULL, name STRING"); a named character vector
# c(id = "BIGINT", name = "STRING"); or a data.frame / list with name, type and optionally
# nullable, comment.
.dbx_delta_spec <- function(columns, partitioned_by, comment, properties, if_not_exists) {
  text <- NULL
  nm <- character()
  ty <- character()
  nn <- logical()
  cm <- character()
  if (is.character(columns) && is.null(names(columns))) {
    text <- enc2utf8(paste(columns, collapse = ", "))
  } else if (is.character(columns)) {
    nm <- names(columns)
    ty <- unname(columns)
    nn <- rep(FALSE, length(nm))
    cm <- rep(NA_character_, length(nm))
  } else if (is.list(columns) && !is.null(columns$name) && !is.null(columns$type)) {
    nm <- as.character(columns$name)
    ty <- as.character(columns$type)
    nn <- if (is.null(columns$nullable)) rep(FALSE, length(nm)) else !as.logical(columns$nullable)
    nn[is.na(nn)] <- FALSE
    cm <- if (is.null(columns$comment)) rep(NA_character_, length(nm)) else as.character(columns$comment)
    if (length(ty) != length(nm) || length(nn) != length(nm) || length(cm) != length(nm))
      stop("columns: name, type, nullable and comment must have the same length")
  } else {
    stop("columns must be column-spec text, a named character vector (name = type) or a ",
         "data.frame with name and type")
  }
  props <- .dbx_delta_kv(properties, "properties")
  list(text, enc2utf8(nm), enc2utf8(ty), nn, enc2utf8(cm),
       if (length(partitioned_by)) enc2utf8(as.character(partitioned_by)) else NULL,
       if (is.null(comment)) NULL else .dbx_chr1(comment, "comment"), props[[1]], props[[2]],
       isTRUE(if_not_exists))
}

dbx_delta_table_sql <- function(table, columns, partitioned_by = NULL, comment = NULL,
                                properties = NULL, if_not_exists = FALSE) {
  spec <- .dbx_delta_spec(columns, partitioned_by, comment, properties, if_not_exists)
  .dbx_check(.Call(r_dbx_delta_spec_sql, .dbx_chr1(table, "table"), spec))
}

dbx_delta_create_table <- function(client, warehouse_id, table, columns, partitioned_by = NULL,
                                   comment = NULL, properties = NULL, if_not_exists = FALSE,
                                   catalog = NULL, schema = NULL, timeout = NULL,
                                   poll_interval = NULL, progress = NULL, cancel_on_wait_end = FALSE) {
  spec <- .dbx_delta_spec(columns, partitioned_by, comment, properties, if_not_exists)
  .dbx_delta_result(.Call(r_dbx_delta_create, client$ptr, .dbx_wh(warehouse_id), .dbx_chr1(table, "table"),
                         spec, .dbx_delta_opts(catalog, schema, cancel_on_wait_end), timeout, poll_interval,
                         .dbx_progress(progress)), sys.call())
  invisible(TRUE)
}

# ---- bulk load -------------------------------------------------------------------------------

dbx_delta_load_file <- function(client, warehouse_id, table, local_path, volume_dir, file_format = "CSV",
                                format_options = list(), copy_options = list(), keep_staged_file = FALSE,
                                catalog = NULL, schema = NULL, timeout = NULL, poll_interval = NULL,
                                progress = NULL, cancel_on_wait_end = FALSE) {
  fmt <- match(toupper(.dbx_chr1(file_format, "file_format")), c("CSV", "JSON", "PARQUET"))
  if (is.na(fmt)) stop("unknown file_format '", file_format, "' (one of CSV, JSON, PARQUET)")
  fo <- .dbx_delta_kv(format_options, "format_options")
  co <- .dbx_delta_kv(copy_options, "copy_options")
  res <- .dbx_delta_result(.Call(r_dbx_delta_load, client$ptr, .dbx_wh(warehouse_id), .dbx_chr1(table, "table"),
                                .dbx_chr1(local_path, "local_path"), .dbx_chr1(volume_dir, "volume_dir"),
                                list(fmt, fo[[1]], fo[[2]], co[[1]], co[[2]], isTRUE(keep_staged_file)),
                                .dbx_delta_opts(catalog, schema, cancel_on_wait_end), timeout, poll_interval,
                                .dbx_progress(progress)), sys.call())
  structure(res$rows_loaded, staged_path = res$staged_path)
}

# ---- append / upsert ---------------------------------------------------------------------------

# A data.frame's columns as vectors C sends: logical, integer, double and character as they
# are (BOOLEAN, BIGINT, DOUBLE, STRING), factors as character, Date as DATE text, POSIXct as
# TIMESTAMP text (UTC); `types` (name = "SQL TYPE") sends a column as text of that type.
.dbx_delta_frame <- function(data, types) {
  if (!is.data.frame(data)) stop("data must be a data.frame")
  if (!length(names(data)) || any(!nzchar(names(data)))) stop("data must have column names")
  if (length(types) && (is.null(names(types)) || any(!names(types) %in% names(data))))
    stop("types must be named by columns of data")
  cols <- vector("list", ncol(data))
  tys <- rep(NA_character_, ncol(data))
  for (j in seq_along(data)) {
    nm <- names(data)[j]
    v <- data[[j]]
    ty <- if (nm %in% names(types)) .dbx_chr1(types[[nm]], paste0("types$", nm)) else NA_character_
    if (is.factor(v)) v <- as.character(v)
    if (inherits(v, "POSIXt")) {
      v <- format(as.POSIXct(v) + 5e-7, "%Y-%m-%dT%H:%M:%OS6Z", tz = "UTC")  # (see .dbx_delta_timestamp)
      if (is.na(ty)) ty <- "TIMESTAMP"
    } else if (inherits(v, "Date")) {
      v <- format(v, "%Y-%m-%d")
      if (is.na(ty)) ty <- "DATE"
    } else if (!is.atomic(v) || is.complex(v) || is.raw(v) || !(is.logical(v) || is.numeric(v) || is.character(v))) {
      stop("column '", nm, "': no SQL type for a column of class ", class(v)[1])
    } else if (!is.na(ty) && is.double(v)) {
      v <- as.character(v)  # 15 significant digits, NA stays NA
    }
    if (is.character(v)) v <- enc2utf8(v)
    attributes(v) <- NULL
    cols[[j]] <- v
    tys[j] <- ty
  }
  list(cols, enc2utf8(names(data)), tys)
}

.dbx_delta_write <- function(mode, client, warehouse_id, table, data, keys, types, batch_rows,
                             max_statement_bytes, catalog, schema, timeout, poll_interval, progress,
                             cancel_on_wait_end, call) {
  f <- .dbx_delta_frame(data, types)
  if (nrow(data) == 0) return(0)
  .dbx_delta_result(.Call(r_dbx_delta_write, client$ptr, mode, .dbx_wh(warehouse_id), .dbx_chr1(table, "table"),
                         f[[1]], f[[2]], f[[3]], if (is.null(keys)) NULL else enc2utf8(as.character(keys)),
                         .dbx_delta_opts(catalog, schema, cancel_on_wait_end, batch_rows, max_statement_bytes),
                         timeout, poll_interval, .dbx_progress(progress)), call)
}

dbx_delta_append <- function(client, warehouse_id, table, data, types = NULL, batch_rows = NULL,
                             max_statement_bytes = NULL, catalog = NULL, schema = NULL, timeout = NULL,
                             poll_interval = NULL, progress = NULL, cancel_on_wait_end = FALSE) {
  .dbx_delta_write("append", client, warehouse_id, table, data, NULL, types, batch_rows, max_statement_bytes,
                   catalog, schema, timeout, poll_interval, progress, cancel_on_wait_end, sys.call())
}

dbx_delta_upsert <- function(client, warehouse_id, table, data, keys, types = NULL, batch_rows = NULL,
                             max_statement_bytes = NULL, catalog = NULL, schema = NULL, timeout = NULL,
                             poll_interval = NULL, progress = NULL, cancel_on_wait_end = FALSE) {
  if (!is.character(keys) || !length(keys)) stop("keys must name at least one column")
  .dbx_delta_write("upsert", client, warehouse_id, table, data, keys, types, batch_rows, max_statement_bytes,
                   catalog, schema, timeout, poll_interval, progress, cancel_on_wait_end, sys.call())
}

# ---- read / history ------------------------------------------------------------------------

.dbx_delta_timestamp <- function(x) {
  # + half a microsecond: format() truncates, and a double's seconds sit just below the value
  if (inherits(x, "POSIXt")) return(format(as.POSIXct(x) + 5e-7, "%Y-%m-%d %H:%M:%OS6Z", tz = "UTC"))
  if (inherits(x, "Date")) return(format(x, "%Y-%m-%d"))
  .dbx_chr1(x, "timestamp")
}

dbx_delta_read <- function(client, warehouse_id, table, version = NULL, timestamp = NULL, columns = NULL,
                           limit = NULL, row_limit = NULL, byte_limit = NULL, max_chunks = NULL,
                           truncated_is_error = FALSE, catalog = NULL, schema = NULL, timeout = NULL,
                           poll_interval = NULL, progress = NULL, cancel_on_wait_end = FALSE) {
  if (!is.null(version) && !is.null(timestamp)) stop("give version or timestamp, not both")
  as_of <- if (!is.null(version)) 1L else if (!is.null(timestamp)) 2L else 0L
  if (!is.null(version) && (!is.numeric(version) || length(version) != 1 || is.na(version)))
    stop("version must be a number")
  if (!is.null(limit) && (!is.numeric(limit) || length(limit) != 1 || is.na(limit) || limit <= 0))
    stop("limit must be a positive number")
  read <- list(as_of, version, if (is.null(timestamp)) NULL else .dbx_delta_timestamp(timestamp),
               if (is.null(columns)) NULL else enc2utf8(as.character(columns)), limit,
               .dbx_sql_limit(row_limit, "row_limit"), .dbx_sql_limit(byte_limit, "byte_limit"), max_chunks,
               isTRUE(truncated_is_error))
  res <- .dbx_delta_result(.Call(r_dbx_delta_read, client$ptr, .dbx_wh(warehouse_id), .dbx_chr1(table, "table"),
                                read, .dbx_delta_opts(catalog, schema, cancel_on_wait_end), timeout, poll_interval,
                                .dbx_progress(progress)), sys.call())
  df <- .dbx_sql_frame(res$columns, list(columns = list(name = res$names, type_name = res$type_names)))
  attr(df, "truncated") <- isTRUE(res$truncated)
  if (isTRUE(res$truncated))
    warning("the read of ", table, " was truncated by row_limit / byte_limit: not every row was read", call. = FALSE)
  df
}

dbx_delta_history <- function(client, warehouse_id, table, limit = NULL, catalog = NULL, schema = NULL,
                              timeout = NULL, poll_interval = NULL, progress = NULL, cancel_on_wait_end = FALSE) {
  if (!is.null(limit) && (!is.numeric(limit) || length(limit) != 1 || is.na(limit) || limit <= 0))
    stop("limit must be a positive number")
  h <- .dbx_delta_result(.Call(r_dbx_delta_history, client$ptr, .dbx_wh(warehouse_id), .dbx_chr1(table, "table"),
                              limit, .dbx_delta_opts(catalog, schema, cancel_on_wait_end), timeout, poll_interval,
                              .dbx_progress(progress)), sys.call())
  df <- data.frame(version = h$version, timestamp = .POSIXct(h$timestamp_ms / 1000, tz = "UTC"),
                   operation = h$operation, user = h$user, stringsAsFactors = FALSE)
  df$operation_parameters <- lapply(h$operation_parameters, .dbx_json_parse)
  df$operation_metrics <- lapply(h$operation_metrics, .dbx_json_parse)
  df$timestamp_text <- h$timestamp_text
  df
}

# ---- maintenance ---------------------------------------------------------------------------

dbx_delta_optimize <- function(client, warehouse_id, table, zorder_by = NULL, catalog = NULL, schema = NULL,
                               timeout = NULL, poll_interval = NULL, progress = NULL, cancel_on_wait_end = FALSE) {
  .dbx_delta_result(.Call(r_dbx_delta_maintain, client$ptr, "optimize", .dbx_wh(warehouse_id),
                         .dbx_chr1(table, "table"), if (is.null(zorder_by)) NULL else enc2utf8(as.character(zorder_by)),
                         .dbx_delta_opts(catalog, schema, cancel_on_wait_end), timeout, poll_interval,
                         .dbx_progress(progress)), sys.call())
  invisible(TRUE)
}

dbx_delta_vacuum <- function(client, warehouse_id, table, retain_hours = NULL, catalog = NULL, schema = NULL,
                             timeout = NULL, poll_interval = NULL, progress = NULL, cancel_on_wait_end = FALSE) {
  if (!is.null(retain_hours) && (!is.numeric(retain_hours) || length(retain_hours) != 1 || is.na(retain_hours) ||
                                 retain_hours < 0))
    stop("retain_hours must be a number >= 0")
  .dbx_delta_result(.Call(r_dbx_delta_maintain, client$ptr, "vacuum", .dbx_wh(warehouse_id),
                         .dbx_chr1(table, "table"), retain_hours,
                         .dbx_delta_opts(catalog, schema, cancel_on_wait_end), timeout, poll_interval,
                         .dbx_progress(progress)), sys.call())
  invisible(TRUE)
}
