# Workspace: libdbx names (dbx_workspace_*, client first) and brickster-style aliases
# (db_workspace_*, client last, defaulting to a client from the environment).

.dbx_ws_names <- function(kind) .Call(r_dbx_workspace_names, kind)

.dbx_ws_einval <- function(message, call = sys.call(-1)) {
  stop(.dbx_condition(list(status = -2L, status_name = "DBX_EINVAL", message = message,
                           http_status = NA_integer_, error_code = NA_character_,
                           request_id = NA_character_, method = NA_character_, path = NA_character_,
                           attempts = NA_integer_), call))
}

# A format / language given case-insensitively, checked against libdbx's own spellings.
.dbx_ws_enum <- function(value, kind) {
  if (is.null(value)) return(NULL)
  if (!is.character(value) || length(value) != 1 || is.na(value))
    .dbx_ws_einval(paste0(kind, " must be a single string"))
  known <- .dbx_ws_names(kind)
  v <- toupper(value)
  if (!v %in% known)
    .dbx_ws_einval(sprintf("unknown %s '%s' (one of %s)", kind, value, paste(known, collapse = ", ")))
  v
}

.dbx_ws_epoch_ms <- function(x, name) {
  if (is.null(x)) return(NULL)
  if (inherits(x, "POSIXt")) return(floor(as.numeric(as.POSIXct(x)) * 1000))
  if (!is.numeric(x) || length(x) != 1 || is.na(x) || x < 0)
    .dbx_ws_einval(paste0(name, " must be epoch milliseconds or a POSIXct time"))
  x
}

.dbx_ws_count <- function(x, name) {
  if (is.null(x)) return(NULL)
  if (!is.numeric(x) || length(x) != 1 || is.na(x) || x < 1 || x != round(x))
    .dbx_ws_einval(paste0(name, " must be a positive whole number (or NULL for the default)"))
  x
}

.dbx_ws_local <- function(path, name) {
  if (!is.character(path) || length(path) != 1 || is.na(path))
    .dbx_ws_einval(paste0(name, " must be a local path (a single string)"))
  path.expand(path)
}

.dbx_ws_time <- function(ms) .POSIXct(ms / 1000, tz = "UTC")

# Columns from C (typed, epoch ms) -> a data.frame with POSIXct times.
.dbx_ws_frame <- function(cols, depth = FALSE) {
  df <- data.frame(path = cols$path, object_type = cols$object_type, language = cols$language,
                   object_id = cols$object_id, resource_id = cols$resource_id,
                   created_at = .dbx_ws_time(cols$created_at),
                   modified_at = .dbx_ws_time(cols$modified_at), size = cols$size,
                   stringsAsFactors = FALSE)
  if (depth) df$depth <- cols$depth
  df
}

dbx_workspace_get_status <- function(client, path)
  .dbx_check(.Call(r_dbx_workspace_get_status, client$ptr, path))

dbx_workspace_list <- function(client, path, notebooks_modified_after = NULL) {
  after <- .dbx_ws_epoch_ms(notebooks_modified_after, "notebooks_modified_after")
  ans <- .dbx_check(.Call(r_dbx_workspace_list, client$ptr, path, after))
  .dbx_ws_frame(.dbx_wait_result(ans))
}

dbx_workspace_walk <- function(client, path, max_depth = NULL, max_objects = NULL,
                               notebooks_modified_after = NULL) {
  ans <- .dbx_check(.Call(r_dbx_workspace_walk, client$ptr, path, .dbx_ws_count(max_depth, "max_depth"),
                          .dbx_ws_count(max_objects, "max_objects"),
                          .dbx_ws_epoch_ms(notebooks_modified_after, "notebooks_modified_after")))
  .dbx_ws_frame(.dbx_wait_result(ans), depth = TRUE)
}

# The callback never unwinds through C: its error comes back as a value (raised again once
# libdbx has returned), an interrupt as a marker, a TRUE answer as a "stop" marker.
.dbx_ws_walk_fn <- function(fn) {
  if (!is.function(fn)) .dbx_ws_einval("fn must be a function(object)")
  force(fn)
  function(cols) {
    obj <- lapply(cols, function(v) v[[1]])
    obj$created_at <- .dbx_ws_time(obj$created_at)
    obj$modified_at <- .dbx_ws_time(obj$modified_at)
    tryCatch({
      if (isTRUE(fn(obj))) structure(list(), class = "dbx_stop") else NULL
    }, interrupt = function(e) structure(list(), class = "dbx_interrupt"),
    error = function(e) e)
  }
}

dbx_workspace_walk_each <- function(client, path, fn, max_depth = NULL, max_objects = NULL,
                                    notebooks_modified_after = NULL) {
  ans <- .dbx_check(.Call(r_dbx_workspace_walk_each, client$ptr, path, .dbx_ws_walk_fn(fn),
                          .dbx_ws_count(max_depth, "max_depth"), .dbx_ws_count(max_objects, "max_objects"),
                          .dbx_ws_epoch_ms(notebooks_modified_after, "notebooks_modified_after")))
  invisible(.dbx_wait_result(ans))
}

dbx_workspace_mkdirs <- function(client, path)
  invisible(.dbx_check(.Call(r_dbx_workspace_mkdirs, client$ptr, path)))

dbx_workspace_delete <- function(client, path, recursive = FALSE)
  invisible(.dbx_check(.Call(r_dbx_workspace_delete, client$ptr, path, isTRUE(recursive))))

dbx_workspace_import <- function(client, path, content = NULL, file = NULL, format = NULL,
                                 language = NULL, overwrite = FALSE) {
  if (is.null(content) == is.null(file)) .dbx_ws_einval("give exactly one of content and file")
  if (is.character(content)) {
    if (length(content) != 1 || is.na(content)) .dbx_ws_einval("content: a single string, or a raw vector")
    content <- charToRaw(enc2utf8(content))
  }
  if (!is.null(content) && !is.raw(content)) .dbx_ws_einval("content must be a raw vector or a string")
  if (!is.null(file)) file <- .dbx_ws_local(file, "file")
  invisible(.dbx_check(.Call(r_dbx_workspace_import, client$ptr, path, content, file,
                             .dbx_ws_enum(format, "format"), .dbx_ws_enum(language, "language"),
                             isTRUE(overwrite))))
}

dbx_workspace_export <- function(client, path, format = NULL, file = NULL, overwrite = FALSE) {
  fmt <- .dbx_ws_enum(format, "format")
  if (is.null(file)) return(.dbx_check(.Call(r_dbx_workspace_export, client$ptr, path, fmt, NULL, FALSE)))
  file <- .dbx_ws_local(file, "file")
  ft <- .dbx_check(.Call(r_dbx_workspace_export, client$ptr, path, fmt, file, isTRUE(overwrite)))
  invisible(structure(file, file_type = ft))
}

dbx_workspace_export_dir <- function(client, remote_dir, local_dir, format = NULL, overwrite = FALSE,
                                     max_depth = NULL, max_objects = NULL) {
  local_dir <- .dbx_ws_local(local_dir, "local_dir")
  .dbx_check(.Call(r_dbx_workspace_export_dir, client$ptr, remote_dir, local_dir,
                   .dbx_ws_enum(format, "format"), isTRUE(overwrite),
                   .dbx_ws_count(max_depth, "max_depth"), .dbx_ws_count(max_objects, "max_objects")))
  invisible(local_dir)
}

dbx_workspace_import_dir <- function(client, local_dir, remote_dir, overwrite = FALSE, max_depth = NULL) {
  local_dir <- .dbx_ws_local(local_dir, "local_dir")
  ans <- .Call(r_dbx_workspace_import_dir, client$ptr, local_dir, remote_dir, isTRUE(overwrite),
               .dbx_ws_count(max_depth, "max_depth"))
  if (inherits(ans, "dbx_failure")) {
    cond <- .dbx_condition(ans, sys.call())
    cond$n_imported <- attr(ans, "n_imported")  # what was imported before the failure stays
    stop(cond)
  }
  ans
}

# ---- brickster-style names ---------------------------------------------------------------

db_workspace_list <- function(path, client = .dbx_default_client()) dbx_workspace_list(client, path)
db_workspace_get_status <- function(path, client = .dbx_default_client()) dbx_workspace_get_status(client, path)
db_workspace_mkdirs <- function(path, client = .dbx_default_client()) {
  dbx_workspace_mkdirs(client, path)
  invisible(NULL)
}
db_workspace_delete <- function(path, recursive = FALSE, client = .dbx_default_client())
  dbx_workspace_delete(client, path, recursive)
db_workspace_import <- function(path, file = NULL, content = NULL,
                                format = c("SOURCE", "HTML", "JUPYTER", "DBC", "R_MARKDOWN", "AUTO", "RAW"),
                                language = NULL, overwrite = FALSE, client = .dbx_default_client()) {
  format <- match.arg(format)
  if (!is.null(file)) content <- NULL  # as brickster: file takes priority
  dbx_workspace_import(client, path, content = content, file = file, format = format,
                       language = language, overwrite = overwrite)
}
db_workspace_export <- function(path, format = c("SOURCE", "HTML", "JUPYTER", "DBC", "R_MARKDOWN", "AUTO"),
                                client = .dbx_default_client()) {
  format <- match.arg(format)
  dbx_workspace_export(client, path, format = format)
}
