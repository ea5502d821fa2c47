# DBFS 2.0: libdbx names (dbx_dbfs_*, client first) and brickster-style aliases (db_dbfs_*,
# client last, defaulting to a client from the environment).

.dbx_dbfs_max_block <- 1024 * 1024

.dbx_dbfs_invalid <- function(message, call = sys.call(-1)) {
  stop(.dbx_condition(list(status = -2L, status_name = "DBX_EINVAL", message = message,
                           http_status = NA_integer_, error_code = NA_character_,
                           request_id = NA_character_, method = NA_character_,
                           path = NA_character_, attempts = NA_integer_), call))
}

.dbx_dbfs_time <- function(ms) .POSIXct(ms / 1000, tz = "UTC")

.dbx_dbfs_info <- function(x) {
  x$modification_time <- .dbx_dbfs_time(x$modification_time)
  x
}

.dbx_dbfs_frame <- function(items) {
  df <- data.frame(
    path = vapply(items, function(x) x$path, character(1)),
    is_dir = vapply(items, function(x) x$is_dir, logical(1)),
    file_size = vapply(items, function(x) x$file_size, numeric(1)),
    modification_time = .dbx_dbfs_time(vapply(items, function(x) x$modification_time, numeric(1))),
    stringsAsFactors = FALSE)
  attr(df, "raw") <- lapply(items, function(x) attr(x, "raw"))
  df
}

# A progress callback that never unwinds through C (see .dbx_progress): called as
# progress(done, total) with byte counts (total NA when unknown).
.dbx_dbfs_progress <- function(progress) {
  if (is.null(progress)) return(NULL)
  if (!is.function(progress)) stop("progress must be a function(done, total)")
  force(progress)
  function(done, total) {
    tryCatch({
      progress(done, total)
      NULL
    }, interrupt = function(e) structure(list(), class = "dbx_interrupt"),
    error = function(e) e)
  }
}

.dbx_dbfs_bytes <- function(x, what) {
  if (is.raw(x)) return(x)
  if (is.character(x) && length(x) == 1 && !is.na(x)) return(charToRaw(enc2utf8(x)))
  .dbx_dbfs_invalid(paste0(what, " must be a raw vector or a character string"), sys.call(-2))
}

.dbx_dbfs_local <- function(x, what) {
  if (!is.character(x) || length(x) != 1 || is.na(x) || !nzchar(x))
    .dbx_dbfs_invalid(paste0(what, " must be a local file path (a character string)"), sys.call(-2))
  path.expand(x)
}

dbx_dbfs_get_status <- function(client, path) {
  .dbx_dbfs_info(.dbx_check(.Call(r_dbx_dbfs_get_status, client$ptr, path)))
}

dbx_dbfs_list <- function(client, path) {
  items <- .dbx_check(.Call(r_dbx_dbfs_list, client$ptr, path))
  .dbx_dbfs_frame(items)
}

dbx_dbfs_mkdirs <- function(client, path) {
  invisible(.dbx_check(.Call(r_dbx_dbfs_mkdirs, client$ptr, path)))
}

dbx_dbfs_delete <- function(client, path, recursive = FALSE) {
  invisible(.dbx_check(.Call(r_dbx_dbfs_delete, client$ptr, path, isTRUE(recursive))))
}

dbx_dbfs_move <- function(client, source_path, destination_path) {
  invisible(.dbx_check(.Call(r_dbx_dbfs_move, client$ptr, source_path, destination_path)))
}

dbx_dbfs_put <- function(client, path, contents, overwrite = FALSE) {
  invisible(.dbx_check(.Call(r_dbx_dbfs_put, client$ptr, path, .dbx_dbfs_bytes(contents, "contents"),
                             isTRUE(overwrite))))
}

dbx_dbfs_upload <- function(client, path, source, overwrite = FALSE, max_restarts = NULL,
                            progress = NULL) {
  if (!is.raw(source)) source <- .dbx_dbfs_local(source, "source")
  if (!is.null(max_restarts) &&
      (length(max_restarts) != 1 || is.na(max_restarts) || max_restarts < 0 || max_restarts > 10))
    .dbx_dbfs_invalid("max_restarts must be a number in 0..10 (or NULL for the default)")
  if (!is.null(max_restarts)) max_restarts <- as.integer(max_restarts)
  invisible(.dbx_wait_result(.Call(r_dbx_dbfs_upload, client$ptr, path, source, isTRUE(overwrite),
                                   max_restarts, .dbx_dbfs_progress(progress))))
}

dbx_dbfs_download <- function(client, path, destination = NULL, overwrite = FALSE, progress = NULL) {
  if (is.null(destination))
    return(.dbx_wait_result(.Call(r_dbx_dbfs_download, client$ptr, path, NULL, isTRUE(overwrite),
                                  NULL, NULL, .dbx_dbfs_progress(progress))))
  destination <- .dbx_dbfs_local(destination, "destination")
  .dbx_wait_result(.Call(r_dbx_dbfs_download, client$ptr, path, destination, isTRUE(overwrite),
                         NULL, NULL, .dbx_dbfs_progress(progress)))
  invisible(destination)
}

dbx_dbfs_read <- function(client, path, offset = 0, length = NULL) {
  if (!is.numeric(offset) || length(offset) != 1 || is.na(offset) || offset < 0)
    .dbx_dbfs_invalid("offset must be a number >= 0")
  if (!is.null(length) && (!is.numeric(length) || length(length) != 1 || is.na(length) || length < 0))
    .dbx_dbfs_invalid("length must be a number >= 0 (or NULL for the rest of the file)")
  .dbx_wait_result(.Call(r_dbx_dbfs_download, client$ptr, path, NULL, FALSE, as.numeric(offset),
                         if (is.null(length)) NULL else as.numeric(length), NULL))
}

# ---- brickster-style names ---------------------------------------------------------------

db_dbfs_get_status <- function(path, client = .dbx_default_client()) dbx_dbfs_get_status(client, path)
db_dbfs_list <- function(path, client = .dbx_default_client()) dbx_dbfs_list(client, path)
db_dbfs_mkdirs <- function(path, client = .dbx_default_client()) dbx_dbfs_mkdirs(client, path)
db_dbfs_delete <- function(path, recursive = FALSE, client = .dbx_default_client())
  dbx_dbfs_delete(client, path, recursive)
db_dbfs_move <- function(source_path, destination_path, client = .dbx_default_client())
  dbx_dbfs_move(client, source_path, destination_path)
db_dbfs_put <- function(path, file = NULL, contents = NULL, overwrite = FALSE,
                        client = .dbx_default_client()) {
  if (!is.null(file)) return(dbx_dbfs_upload(client, path, file, overwrite = overwrite))
  if (is.null(contents)) .dbx_dbfs_invalid("give file or contents")
  bytes <- .dbx_dbfs_bytes(contents, "contents")
  if (length(bytes) > .dbx_dbfs_max_block) dbx_dbfs_upload(client, path, bytes, overwrite = overwrite)
  else dbx_dbfs_put(client, path, bytes, overwrite = overwrite)
}
db_dbfs_read <- function(path, offset = 0, length = NULL, client = .dbx_default_client())
  dbx_dbfs_read(client, path, offset, length)
