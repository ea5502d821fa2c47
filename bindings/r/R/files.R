# Files API for Unity Catalog volumes: libdbx names (dbx_files_*, client first) and
# brickster-style names (db_volume_*, client last, defaulting to a client from the environment).
# Transfers stream: a local path or a connection is never read or written whole in R memory.

.dbx_interrupt_marker <- function() structure(list(), class = "dbx_interrupt")

# A connection as the reader libdbx calls (from C, through R_ToplevelExec): raw bytes, or the
# error / interrupt as a value (nothing unwinds through libdbx).
.dbx_reader <- function(con) {
  force(con)
  function(n) {
    tryCatch(readBin(con, "raw", n), interrupt = function(e) .dbx_interrupt_marker(),
             error = function(e) e)
  }
}

.dbx_writer <- function(con) {
  force(con)
  function(bytes) {
    tryCatch({
      writeBin(bytes, con)
      NULL
    }, interrupt = function(e) .dbx_interrupt_marker(), error = function(e) e)
  }
}

.dbx_opt_num <- function(x, name) {
  if (is.null(x)) return(NULL)
  if (!is.numeric(x) || length(x) != 1 || is.na(x)) stop(name, " must be a number (bytes)")
  as.numeric(x)
}

.dbx_time_ms <- function(ms) .POSIXct(ms / 1000, tz = "UTC")

dbx_files_upload <- function(client, path, file, overwrite = NULL, multipart_threshold = NULL,
                             part_size = NULL, progress = NULL) {
  if (!is.null(overwrite) && !(is.logical(overwrite) && length(overwrite) == 1 && !is.na(overwrite)))
    stop("overwrite must be NULL, TRUE or FALSE")
  threshold <- .dbx_opt_num(multipart_threshold, "multipart_threshold")
  part <- .dbx_opt_num(part_size, "part_size")
  if (inherits(file, "connection")) {
    if (!isOpen(file)) {
      open(file, "rb")
      on.exit(close(file), add = TRUE)
    }
    src <- .dbx_reader(file)
  } else if (is.raw(file)) {
    src <- file
  } else if (is.character(file) && length(file) == 1 && !is.na(file)) {
    src <- path.expand(file)
  } else {
    stop("file must be a local path, a raw vector or a connection")
  }
  .dbx_wait_result(.Call(r_dbx_files_upload, client$ptr, path, src, overwrite, threshold, part,
                         NULL, .dbx_progress(progress)))
  invisible(TRUE)
}

dbx_files_download <- function(client, path, destination = NULL, overwrite = FALSE,
                               max_resumes = NULL, progress = NULL) {
  if (is.null(destination)) {
    return(.dbx_wait_result(.Call(r_dbx_files_download, client$ptr, path, NULL, FALSE,
                                  max_resumes, .dbx_progress(progress))))
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
  .dbx_wait_result(.Call(r_dbx_files_download, client$ptr, path, sink, isTRUE(overwrite),
                         max_resumes, .dbx_progress(progress)))
  invisible(destination)
}

dbx_files_get_metadata <- function(client, path) {
  m <- .dbx_check(.Call(r_dbx_files_get_metadata, client$ptr, path))
  list(path = path, size = m$size, content_type = m$content_type,
       last_modified = .dbx_time_ms(m$last_modified), last_modified_str = m$last_modified_str)
}

.dbx_files_action <- function(client, action, path) {
  invisible(.dbx_check(.Call(r_dbx_files_action, client$ptr, action, path), sys.call(-1)))
}

.dbx_files_exists <- function(f) {
  tryCatch({
    f()
    TRUE
  }, dbx_not_found = function(e) FALSE)
}

dbx_files_exists <- function(client, path) {
  .dbx_files_exists(function() dbx_files_get_metadata(client, path))
}

dbx_files_delete <- function(client, path) .dbx_files_action(client, "delete", path)
dbx_files_create_directory <- function(client, path) .dbx_files_action(client, "create_directory", path)
dbx_files_delete_directory <- function(client, path) .dbx_files_action(client, "delete_directory", path)
dbx_files_get_directory_metadata <- function(client, path) {
  .dbx_files_action(client, "get_directory_metadata", path)
}
dbx_files_directory_exists <- function(client, path) {
  .dbx_files_exists(function() dbx_files_get_directory_metadata(client, path))
}

dbx_files_list_directory <- function(client, path, page_size = NULL, max_items = NULL) {
  cols <- .dbx_check(.Call(r_dbx_files_list, client$ptr, path, page_size, max_items))
  data.frame(path = cols$path, name = cols$name, is_directory = cols$is_directory,
             file_size = cols$file_size, last_modified = .dbx_time_ms(cols$last_modified),
             stringsAsFactors = FALSE)
}

# ---- brickster-style names ---------------------------------------------------------------

db_volume_write <- function(path, file = NULL, overwrite = FALSE, client = .dbx_default_client()) {
  if (is.null(file)) stop("nothing to upload: `file` must be given")
  dbx_files_upload(client, path, file, overwrite = overwrite)
  TRUE
}

db_volume_read <- function(path, destination, client = .dbx_default_client()) {
  dbx_files_download(client, path, destination, overwrite = TRUE)
  destination
}

db_volume_list <- function(path, client = .dbx_default_client()) dbx_files_list_directory(client, path)

db_volume_delete <- function(path, client = .dbx_default_client()) {
  dbx_files_delete(client, path)
  TRUE
}

db_volume_dir_create <- function(path, client = .dbx_default_client()) {
  dbx_files_create_directory(client, path)
  TRUE
}

db_volume_dir_delete <- function(path, recursive = FALSE, client = .dbx_default_client()) {
  if (isTRUE(recursive)) {
    # depth first, iteratively: directories are deleted after their contents
    todo <- path
    dirs <- character(0)
    while (length(todo)) {
      d <- todo[[1]]
      todo <- todo[-1]
      dirs <- c(d, dirs)
      entries <- dbx_files_list_directory(client, d)
      for (i in seq_len(nrow(entries))) {
        if (entries$is_directory[[i]]) todo <- c(todo, entries$path[[i]])
        else dbx_files_delete(client, entries$path[[i]])
      }
    }
    for (d in dirs) dbx_files_delete_directory(client, d)
  } else {
    dbx_files_delete_directory(client, path)
  }
  TRUE
}

db_volume_dir_exists <- function(path, client = .dbx_default_client()) dbx_files_directory_exists(client, path)

db_volume_file_exists <- function(path, client = .dbx_default_client()) dbx_files_exists(client, path)
