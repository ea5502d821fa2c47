VOL <- "/Volumes/main/default/vol"
FILES <- "/api/2.0/fs/files"
DIRS <- "/api/2.0/fs/directories"
MiB <- 1024 * 1024

bytes <- function(n, seed = 1) {
  set.seed(seed)
  as.raw(sample.int(256, n, replace = TRUE) - 1L)
}

hdr <- function(req, name) {
  h <- req$headers
  i <- match(name, tolower(names(h)))
  if (is.na(i)) NULL else h[[i]]
}

all_requests <- function() emu_ctl("GET", "/__emulator/requests")$requests

part_puts <- function() {
  Filter(function(r) identical(r$server, "other") && r$method == "PUT" &&
           startsWith(r$path, "/presigned/"), all_requests())
}

test_that("upload and download of a raw vector send one PUT and read the bytes back", {
  cl <- emu_client()
  payload <- bytes(300000)
  expect_true(dbx_files_upload(cl, paste0(VOL, "/dir one/a.bin"), payload))
  put <- emu_requests(paste0(FILES, VOL, "/dir one/a.bin"))[[1]]
  expect_equal(put$method, "PUT")
  expect_equal(hdr(put, "content-length"), "300000")
  expect_equal(hdr(put, "content-type"), "application/octet-stream")
  expect_null(put$query$overwrite)
  got <- dbx_files_download(cl, paste0(VOL, "/dir one/a.bin"))
  expect_type(got, "raw")
  expect_identical(got, payload)
  dbx_files_upload(cl, paste0(VOL, "/empty.bin"), raw(0))
  expect_identical(dbx_files_download(cl, paste0(VOL, "/empty.bin")), raw(0))
})

test_that("local paths: overwrite is sent, downloads replace only when asked", {
  cl <- emu_client()
  payload <- bytes(200000, 2)
  local <- tempfile()
  writeBin(payload, local)
  dbx_files_upload(cl, paste0(VOL, "/p.bin"), local, overwrite = TRUE)
  reqs <- emu_requests(paste0(FILES, VOL, "/p.bin"))
  expect_equal(reqs[[length(reqs)]]$query$overwrite, "true")
  err <- tryCatch(dbx_files_upload(cl, paste0(VOL, "/p.bin"), local, overwrite = FALSE),
                  dbx_already_exists = function(e) e)
  expect_s3_class(err, "dbx_already_exists")
  expect_equal(err$http_status, 409L)
  reqs <- emu_requests(paste0(FILES, VOL, "/p.bin"))
  expect_equal(reqs[[length(reqs)]]$query$overwrite, "false")
  expect_error(dbx_files_download(cl, paste0(VOL, "/p.bin"), local), class = "dbx_already_exists")
  back <- tempfile()
  expect_equal(dbx_files_download(cl, paste0(VOL, "/p.bin"), back), back)
  expect_identical(readBin(back, "raw", 300000), payload)
  dbx_files_download(cl, paste0(VOL, "/p.bin"), local, overwrite = TRUE)
  expect_identical(readBin(local, "raw", 300000), payload)
  missing <- tempfile()
  err <- tryCatch(dbx_files_download(cl, paste0(VOL, "/missing.bin"), missing),
                  dbx_not_found = function(e) e)
  expect_s3_class(err, "dbx_not_found")
  expect_equal(err$http_status, 404L)
  expect_false(file.exists(missing))
})

test_that("connections stream both ways, with progress", {
  cl <- emu_client()
  payload <- bytes(3 * MiB, 3)
  local <- tempfile()
  writeBin(payload, local)
  seen <- list()
  dbx_files_upload(cl, paste0(VOL, "/c.bin"), file(local), multipart_threshold = -1,
                   progress = function(done, total) seen[[length(seen) + 1]] <<- c(done, total))
  put <- emu_requests(paste0(FILES, VOL, "/c.bin"))[[1]]
  expect_equal(hdr(put, "transfer-encoding"), "chunked")  # a connection's size is not known
  expect_gt(length(seen), 2)                              # read in pieces of at most 1 MiB
  expect_equal(seen[[length(seen)]][1], 3 * MiB)
  expect_true(is.na(seen[[length(seen)]][2]))
  out <- tempfile()
  con <- file(out, "wb")
  dbx_files_download(cl, paste0(VOL, "/c.bin"), con)
  expect_true(isOpen(con))  # an open connection is left open
  close(con)
  expect_identical(readBin(out, "raw", 4 * MiB), payload)
  seen <- list()
  dbx_files_download(cl, paste0(VOL, "/c.bin"), file(out),  # opened and closed here
                     progress = function(done, total) seen[[length(seen) + 1]] <<- c(done, total))
  expect_identical(readBin(out, "raw", 4 * MiB), payload)
  expect_equal(seen[[length(seen)]], c(3 * MiB, 3 * MiB))
})

test_that("a multipart upload goes to presigned URLs in parts", {
  cl <- emu_client()
  payload <- bytes(11 * MiB + 333, 4)
  dbx_files_upload(cl, paste0(VOL, "/mp/big.bin"), payload, overwrite = TRUE,
                   multipart_threshold = 6 * MiB, part_size = 5 * MiB)
  reqs <- emu_requests(paste0(FILES, VOL, "/mp/big.bin"))
  expect_equal(reqs[[1]]$query$action, "initiate-upload")
  last <- reqs[[length(reqs)]]
  expect_equal(last$query$action, "complete-upload")
  expect_equal(vapply(last$json$parts, function(p) p$part_number, 0), c(1, 2, 3))
  puts <- part_puts()
  expect_length(puts, 3)
  expect_equal(vapply(puts, function(r) hdr(r, "content-length"), ""),
               as.character(c(5 * MiB, 5 * MiB, MiB + 333)))
  expect_null(hdr(puts[[1]], "authorization"))
  expect_identical(dbx_files_download(cl, paste0(VOL, "/mp/big.bin")), payload)
  # from a connection too (read 1 MiB at a time, one part buffered by libdbx)
  local <- tempfile()
  writeBin(payload, local)
  dbx_files_upload(cl, paste0(VOL, "/mp/con.bin"), file(local),
                   multipart_threshold = 6 * MiB, part_size = 5 * MiB)
  expect_length(part_puts(), 6)
  expect_identical(dbx_files_download(cl, paste0(VOL, "/mp/con.bin")), payload)
})

test_that("errors in callbacks stop the transfer and are raised as they were", {
  cl <- emu_client()
  expect_error(dbx_files_upload(cl, paste0(VOL, "/mp/x.bin"), bytes(12 * MiB, 5),
                                multipart_threshold = 6 * MiB, part_size = 5 * MiB,
                                progress = function(done, total) if (done > 6 * MiB) stop("enough")),
               "enough")
  expect_length(emu_requests("/api/2.0/fs/create-abort-upload-url"), 1)  # aborted
  expect_false(dbx_files_exists(cl, paste0(VOL, "/mp/x.bin")))
  # Ctrl-C: SIGINT to this process during a multipart upload; it stops and is aborted
  calls <- 0
  got <- tryCatch(dbx_files_upload(cl, paste0(VOL, "/mp/ki.bin"), bytes(12 * MiB, 5),
                                   multipart_threshold = 6 * MiB, part_size = 5 * MiB,
                                   progress = function(done, total) {
                                     calls <<- calls + 1
                                     if (done > 6 * MiB && calls < 1e6) {
                                       calls <<- 1e6
                                       tools::pskill(Sys.getpid(), tools::SIGINT)
                                       Sys.sleep(0.01)
                                     }
                                   }),
                  interrupt = function(e) "interrupted")
  expect_equal(got, "interrupted")
  expect_lte(calls, 1e6 + 1)  # stopped at once
  expect_length(emu_requests("/api/2.0/fs/create-abort-upload-url"), 2)
  expect_false(dbx_files_exists(cl, paste0(VOL, "/mp/ki.bin")))
  dbx_files_upload(cl, paste0(VOL, "/y.bin"), bytes(MiB, 6))
  expect_error(dbx_files_download(cl, paste0(VOL, "/y.bin"),
                                  progress = function(done, total) stop("download progress broke")),
               "download progress broke")
  # a connection that fails while writing
  bad <- rawConnection(raw(0), "rb")  # not writable
  expect_error(dbx_files_download(cl, paste0(VOL, "/y.bin"), bad))
  close(bad)
})

test_that("downloads resume after a dropped connection", {
  cl <- emu_client()
  payload <- bytes(2 * MiB + 5, 7)
  dbx_files_upload(cl, paste0(VOL, "/dl.bin"), payload)
  emu_ctl("POST", "/__emulator/faults",
          sprintf('{"method": "GET", "path": "%s%s/dl.bin", "action": "truncate"}', FILES, VOL))
  expect_identical(dbx_files_download(cl, paste0(VOL, "/dl.bin")), payload)
  gets <- Filter(function(r) r$method == "GET", emu_requests(paste0(FILES, VOL, "/dl.bin")))
  expect_length(gets, 2)
  expect_equal(hdr(gets[[2]], "range"), sprintf("bytes=%d-", length(payload) %/% 2))
  emu_ctl("POST", "/__emulator/faults",
          sprintf('{"method": "GET", "path": "%s%s/dl.bin", "action": "truncate"}', FILES, VOL))
  expect_error(dbx_files_download(cl, paste0(VOL, "/dl.bin"), max_resumes = 0),
               class = "dbx_transport_error")
})

test_that("metadata, exists and delete", {
  cl <- emu_client()
  dbx_files_upload(cl, paste0(VOL, "/m.bin"), bytes(12345, 8))
  m <- dbx_files_get_metadata(cl, paste0(VOL, "/m.bin"))
  reqs <- emu_requests(paste0(FILES, VOL, "/m.bin"))
  expect_equal(reqs[[length(reqs)]]$method, "HEAD")
  expect_equal(m$size, 12345)
  expect_equal(m$content_type, "application/octet-stream")
  expect_s3_class(m$last_modified, "POSIXct")
  expect_match(m$last_modified_str, "GMT")
  now <- emu_ctl("GET", "/__emulator/clock")$now_ms
  expect_lte(abs(as.numeric(m$last_modified) * 1000 - now), 5000)
  expect_true(dbx_files_exists(cl, paste0(VOL, "/m.bin")))
  expect_true(db_volume_file_exists(paste0(VOL, "/m.bin"), client = cl))
  expect_false(dbx_files_exists(cl, paste0(VOL, "/none.bin")))
  expect_error(dbx_files_get_metadata(cl, paste0(VOL, "/none.bin")), class = "dbx_not_found")
  expect_true(db_volume_delete(paste0(VOL, "/m.bin"), client = cl))
  reqs <- emu_requests(paste0(FILES, VOL, "/m.bin"))
  expect_equal(reqs[[length(reqs)]]$method, "DELETE")
  expect_error(dbx_files_delete(cl, paste0(VOL, "/m.bin")), class = "dbx_not_found")
})

test_that("directories: create, exists, list as a typed data.frame, delete", {
  cl <- emu_client()
  dbx_files_create_directory(cl, paste0(VOL, "/tree/sub"))
  reqs <- emu_requests(paste0(DIRS, VOL, "/tree/sub"))
  expect_equal(reqs[[1]]$method, "PUT")
  expect_true(db_volume_dir_create(paste0(VOL, "/tree/sub"), client = cl))
  expect_invisible(dbx_files_get_directory_metadata(cl, paste0(VOL, "/tree")))
  reqs <- emu_requests(paste0(DIRS, VOL, "/tree"))
  expect_equal(reqs[[length(reqs)]]$method, "HEAD")
  expect_true(dbx_files_directory_exists(cl, paste0(VOL, "/tree")))
  expect_false(db_volume_dir_exists(paste0(VOL, "/nodir"), client = cl))
  expect_error(dbx_files_get_directory_metadata(cl, paste0(VOL, "/nodir")), class = "dbx_not_found")
  for (i in 0:11) dbx_files_upload(cl, sprintf("%s/tree/f%02d", VOL, i), bytes(i, i + 1))
  df <- dbx_files_list_directory(cl, paste0(VOL, "/tree"))
  expect_s3_class(df, "data.frame")
  expect_equal(nrow(df), 13)
  expect_type(df$is_directory, "logical")
  expect_type(df$file_size, "double")
  expect_s3_class(df$last_modified, "POSIXct")
  files <- df[!df$is_directory, ]
  expect_equal(files$name, sprintf("f%02d", 0:11))
  expect_equal(files$file_size, 0:11)
  expect_equal(files$path[4], paste0(VOL, "/tree/f03"))
  expect_true(is.na(df$file_size[df$name == "sub"]))
  pages <- emu_requests(paste0(DIRS, VOL, "/tree"))
  pages <- Filter(function(r) r$method == "GET", pages)
  expect_length(pages, 3)  # 5 per page in the emulator
  expect_null(pages[[1]]$query$page_token)
  expect_false(is.null(pages[[2]]$query$page_token))
  small <- dbx_files_list_directory(cl, paste0(VOL, "/tree"), page_size = 2, max_items = 3)
  expect_equal(nrow(small), 3)
  reqs <- emu_requests(paste0(DIRS, VOL, "/tree"))
  expect_equal(reqs[[length(reqs)]]$query$page_size, "2")
  expect_identical(db_volume_list(paste0(VOL, "/tree"), client = cl)$name, df$name)
  expect_error(dbx_files_list_directory(cl, paste0(VOL, "/nodir")), class = "dbx_not_found")
  empty <- dbx_files_list_directory(cl, paste0(VOL, "/tree/sub"))
  expect_equal(nrow(empty), 0)
  expect_type(empty$file_size, "double")
  # not empty: refused; recursive (brickster's option) deletes the contents first
  err <- tryCatch(dbx_files_delete_directory(cl, paste0(VOL, "/tree")), dbx_error = function(e) e)
  expect_equal(err$http_status, 400L)
  dbx_files_delete_directory(cl, paste0(VOL, "/tree/sub"))
  reqs <- emu_requests(paste0(DIRS, VOL, "/tree/sub"))
  expect_equal(reqs[[length(reqs)]]$method, "DELETE")
  expect_error(db_volume_dir_delete(paste0(VOL, "/tree/sub"), client = cl), class = "dbx_not_found")
  dbx_files_create_directory(cl, paste0(VOL, "/tree/a/b"))
  dbx_files_upload(cl, paste0(VOL, "/tree/a/b/deep.bin"), as.raw(1:3))
  expect_true(db_volume_dir_delete(paste0(VOL, "/tree"), recursive = TRUE, client = cl))
  expect_false(dbx_files_directory_exists(cl, paste0(VOL, "/tree")))
})

test_that("brickster-style write and read", {
  cl <- emu_client()
  payload <- bytes(5000, 9)
  local <- tempfile()
  writeBin(payload, local)
  expect_true(db_volume_write(paste0(VOL, "/b.bin"), local, client = cl))
  reqs <- emu_requests(paste0(FILES, VOL, "/b.bin"))
  expect_equal(reqs[[1]]$query$overwrite, "false")  # brickster's default
  expect_error(db_volume_write(paste0(VOL, "/b.bin"), local, client = cl), class = "dbx_already_exists")
  expect_true(db_volume_write(paste0(VOL, "/b.bin"), local, overwrite = TRUE, client = cl))
  dest <- tempfile()
  writeBin(as.raw(1:3), dest)  # replaced, as brickster does
  expect_equal(db_volume_read(paste0(VOL, "/b.bin"), dest, client = cl), dest)
  expect_identical(readBin(dest, "raw", 10000), payload)
  expect_error(db_volume_write(paste0(VOL, "/b.bin"), client = cl), "nothing to upload")
})

test_that("bad input is refused before any request", {
  cl <- emu_client()
  n0 <- length(all_requests())
  expect_error(dbx_files_upload(cl, "Volumes/x/y/z/f", as.raw(1)), class = "dbx_invalid_argument")
  expect_error(dbx_files_upload(cl, paste0(VOL, "/../f"), as.raw(1)), "'..'")
  expect_error(dbx_files_upload(cl, paste0(VOL, "/f"), as.raw(1), part_size = 1024), "part_size")
  expect_error(dbx_files_upload(cl, paste0(VOL, "/f"), 42), "file must be")
  expect_error(dbx_files_upload(cl, paste0(VOL, "/f"), as.raw(1), overwrite = "yes"), "overwrite")
  expect_error(dbx_files_download(cl, "relative"), class = "dbx_invalid_argument")
  expect_error(dbx_files_download(cl, paste0(VOL, "/f"), 42), "destination must be")
  expect_error(dbx_files_get_metadata(cl, "/a/./b"), class = "dbx_invalid_argument")
  expect_error(dbx_files_delete(cl, paste0(VOL, "/a/../b")), class = "dbx_invalid_argument")
  expect_error(dbx_files_create_directory(cl, ""), class = "dbx_invalid_argument")
  expect_error(dbx_files_delete_directory(cl, "x"), class = "dbx_invalid_argument")
  expect_error(dbx_files_list_directory(cl, "nope"), class = "dbx_invalid_argument")
  expect_equal(length(all_requests()), n0)
})
