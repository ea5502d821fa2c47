api <- "/api/2.0/workspace"
home <- "/Users/emulator-user@example.com"
py_nb <- "# Databricks notebook source\nprint('hi')\n\n# COMMAND ----------\n\nx = 1\n"
binary <- as.raw(c(0:255, 0, 1, 2))

b64_decode <- function(s) {
  # base R has no base64 decoder: decode by table
  tbl <- c(LETTERS, letters, 0:9, "+", "/")
  ch <- strsplit(gsub("=", "", s), "")[[1]]
  bits <- unlist(lapply(match(ch, tbl) - 1L, function(v) as.integer(intToBits(v))[6:1]))
  n <- length(bits) %/% 8
  as.raw(vapply(seq_len(n), function(i) sum(bits[(i - 1) * 8 + 1:8] * 2^(7:0)), numeric(1)))
}
last_req <- function(path) { r <- emu_requests(path); r[[length(r)]] }
sent_content <- function() b64_decode(last_req(paste0(api, "/import"))$json$content)

make_tree <- function(cl) {
  dbx_workspace_mkdirs(cl, "/Shared/w/a/b/c")
  dbx_workspace_mkdirs(cl, "/Shared/w/empty")
  dbx_workspace_import(cl, "/Shared/w/z.txt", content = charToRaw("zz"), format = "RAW")
  dbx_workspace_import(cl, "/Shared/w/m", content = "-- Databricks notebook source\nselect 1\n",
                       format = "SOURCE", language = "sql")
  dbx_workspace_import(cl, "/Shared/w/a/b.txt", content = charToRaw("bb"), format = "raw")
  dbx_workspace_import(cl, "/Shared/w/a/b/c/deep", content = py_nb, format = "SOURCE", language = "PYTHON")
}
walk_paths <- c("/Shared/w/a", "/Shared/w/empty", "/Shared/w/m", "/Shared/w/z.txt", "/Shared/w/a/b",
                "/Shared/w/a/b.txt", "/Shared/w/a/b/c", "/Shared/w/a/b/c/deep")
walk_depths <- c(1L, 1L, 1L, 1L, 2L, 2L, 3L, 4L)

test_that("get_status sends the path and reads the ObjectInfo; errors are classed", {
  cl <- emu_client()
  st <- dbx_workspace_get_status(cl, home)
  expect_equal(st$object_type, "DIRECTORY")
  expect_equal(st$path, home)
  r <- last_req(paste0(api, "/get-status"))
  expect_equal(r$method, "GET")
  expect_equal(r$query$path, home)
  expect_equal(db_workspace_get_status(home, client = cl)$path, home)
  err <- tryCatch(dbx_workspace_get_status(cl, "/Shared/nope"), dbx_not_found = function(e) e)
  expect_s3_class(err, "dbx_not_found")
  expect_equal(err$error_code, "RESOURCE_DOES_NOT_EXIST")
  expect_equal(err$http_status, 404L)
  expect_error(dbx_workspace_get_status(cl, "relative"), class = "dbx_invalid_argument")
  expect_error(dbx_workspace_get_status(cl, "/a//b"), "path")
  expect_length(emu_requests(paste0(api, "/get-status")), 3)
})

test_that("mkdirs and delete send their bodies", {
  cl <- emu_client()
  dbx_workspace_mkdirs(cl, "/Shared/a/b")
  expect_equal(last_req(paste0(api, "/mkdirs"))$json$path, "/Shared/a/b")
  expect_null(db_workspace_mkdirs("/Shared/a/c", client = cl))
  expect_equal(dbx_workspace_get_status(cl, "/Shared/a/c")$object_type, "DIRECTORY")
  err <- tryCatch(dbx_workspace_delete(cl, "/Shared/a"), dbx_bad_request = function(e) e)
  expect_equal(err$error_code, "DIRECTORY_NOT_EMPTY")
  expect_false(last_req(paste0(api, "/delete"))$json$recursive)
  db_workspace_delete("/Shared/a", recursive = TRUE, client = cl)
  expect_true(last_req(paste0(api, "/delete"))$json$recursive)
  expect_error(dbx_workspace_get_status(cl, "/Shared/a"), class = "dbx_not_found")
})

test_that("list returns a typed data.frame and sends the filter", {
  cl <- emu_client()
  dbx_workspace_mkdirs(cl, "/Shared/l/d")
  dbx_workspace_import(cl, "/Shared/l/nb", content = py_nb, format = "SOURCE", language = "PYTHON")
  dbx_workspace_import(cl, "/Shared/l/f.txt", content = charToRaw("xyz"), format = "RAW")
  df <- dbx_workspace_list(cl, "/Shared/l")
  expect_s3_class(df, "data.frame")
  expect_setequal(df$path, c("/Shared/l/d", "/Shared/l/nb", "/Shared/l/f.txt"))
  expect_type(df$object_id, "double")
  expect_s3_class(df$created_at, "POSIXct")
  expect_equal(df$language[df$path == "/Shared/l/nb"], "PYTHON")
  expect_true(is.na(df$language[df$path == "/Shared/l/d"]))
  expect_equal(df$size[df$path == "/Shared/l/f.txt"], 3)
  expect_true(is.na(df$size[df$path == "/Shared/l/d"]))
  expect_true(is.na(df$created_at[df$path == "/Shared/l/d"]))
  expect_equal(last_req(paste0(api, "/list"))$query$path, "/Shared/l")
  expect_null(last_req(paste0(api, "/list"))$query$notebooks_modified_after)
  df2 <- dbx_workspace_list(cl, "/Shared/l", notebooks_modified_after = as.POSIXct("2100-01-01", tz = "UTC"))
  expect_equal(last_req(paste0(api, "/list"))$query$notebooks_modified_after, "4102444800000")
  expect_false("/Shared/l/nb" %in% df2$path)
  expect_equal(nrow(db_workspace_list("/Shared/l", client = cl)), 3)
  empty <- dbx_workspace_list(cl, "/Shared/l/d")
  expect_equal(nrow(empty), 0)
  expect_type(empty$path, "character")
  err <- tryCatch(dbx_workspace_list(cl, "/Shared/none"), dbx_not_found = function(e) e)
  expect_equal(err$error_code, "RESOURCE_DOES_NOT_EXIST")  # the record outlives the freed iterator
  expect_equal(err$path, paste0(api, "/list"))
  expect_error(dbx_workspace_list(cl, "/Shared/l", notebooks_modified_after = -1), class = "dbx_invalid_argument")
})

test_that("import and export move bytes, text and local files", {
  cl <- emu_client()
  dbx_workspace_import(cl, "/Shared/nb", content = py_nb, format = "source", language = "python")
  body <- last_req(paste0(api, "/import"))$json
  expect_equal(body$format, "SOURCE")
  expect_equal(body$language, "PYTHON")
  expect_equal(rawToChar(sent_content()), py_nb)
  out <- dbx_workspace_export(cl, "/Shared/nb", format = "SOURCE")
  expect_type(out, "raw")
  expect_equal(rawToChar(out), py_nb)
  expect_equal(attr(out, "file_type"), "py")
  expect_equal(last_req(paste0(api, "/export"))$query$format, "SOURCE")
  dbx_workspace_export(cl, "/Shared/nb")
  expect_null(last_req(paste0(api, "/export"))$query$format)
  expect_error(dbx_workspace_import(cl, "/Shared/nb", content = py_nb, language = "PYTHON"),
               class = "dbx_already_exists")
  dbx_workspace_import(cl, "/Shared/nb", content = "# Databricks notebook source\nprint(2)\n",
                       language = "PYTHON", overwrite = TRUE)
  expect_true(last_req(paste0(api, "/import"))$json$overwrite)

  dbx_workspace_import(cl, "/Shared/bin", content = binary, format = "RAW")
  expect_equal(sent_content(), binary)
  expect_equal(as.vector(dbx_workspace_export(cl, "/Shared/bin")), binary)

  src <- tempfile()
  writeBin(binary, src)
  dbx_workspace_import(cl, "/Shared/bin2", file = src, format = "AUTO")
  expect_equal(sent_content(), binary)
  expect_equal(last_req(paste0(api, "/import"))$json$format, "AUTO")
  dest <- tempfile(fileext = ".bin")
  got <- dbx_workspace_export(cl, "/Shared/bin2", file = dest)
  expect_equal(readBin(dest, "raw", 1000), binary)
  expect_equal(as.vector(got), dest)
  expect_error(dbx_workspace_export(cl, "/Shared/bin2", file = dest), class = "dbx_already_exists")
  dbx_workspace_import(cl, "/Shared/data.csv", content = "a,b\n", format = "RAW")
  expect_equal(attr(dbx_workspace_export(cl, "/Shared/data.csv", file = dest, overwrite = TRUE), "file_type"), "csv")
  expect_equal(readBin(dest, "raw", 100), charToRaw("a,b\n"))

  expect_error(dbx_workspace_import(cl, "/Shared/x", content = "1", format = "PDF"), class = "dbx_invalid_argument")
  expect_error(dbx_workspace_import(cl, "/Shared/x", content = "1", language = "COBOL"), "language")
  expect_error(dbx_workspace_import(cl, "/Shared/x"), class = "dbx_invalid_argument")
  expect_error(dbx_workspace_import(cl, "/Shared/x", content = 1:3), class = "dbx_invalid_argument")
  expect_error(dbx_workspace_import(cl, "/Shared/x", file = tempfile(), format = "RAW"), class = "dbx_not_found")
  expect_error(dbx_workspace_import(cl, "/Shared/nb3", content = py_nb), "language") # SOURCE needs it
  big <- raw(10 * 1024 * 1024 + 1)
  n <- length(emu_requests(paste0(api, "/import")))
  expect_error(dbx_workspace_import(cl, "/Shared/big", content = big, format = "RAW"), "content")
  expect_length(emu_requests(paste0(api, "/import")), n)
})

test_that("brickster-style import and export", {
  cl <- emu_client()
  db_workspace_import("/Shared/b", content = py_nb, language = "PYTHON", client = cl)
  expect_equal(last_req(paste0(api, "/import"))$json$format, "SOURCE")
  src <- tempfile()
  writeLines("print(3)", src)
  db_workspace_import("/Shared/b", file = src, content = "ignored", language = "PYTHON", overwrite = TRUE,
                      client = cl)
  expect_equal(rawToChar(sent_content()), "print(3)\n")
  out <- db_workspace_export("/Shared/b", format = "JUPYTER", client = cl)
  expect_equal(attr(out, "file_type"), "ipynb")
  expect_match(rawToChar(out), "nbformat")
  expect_equal(last_req(paste0(api, "/export"))$query$format, "JUPYTER")
  expect_error(db_workspace_export("/Shared/b", format = "PDF", client = cl))
})

test_that("walk returns the tree in order with depths; bounds and hostile listings fail", {
  cl <- emu_client()
  make_tree(cl)
  n0 <- length(emu_requests(paste0(api, "/list")))
  df <- dbx_workspace_walk(cl, "/Shared/w")
  expect_equal(df$path, walk_paths)
  expect_identical(df$depth, walk_depths)
  reqs <- emu_requests(paste0(api, "/list"))
  listed <- vapply(reqs[seq_along(reqs) > n0], function(r) r$query$path, "")
  expect_equal(listed, c("/Shared/w", "/Shared/w/a", "/Shared/w/a/b", "/Shared/w/a/b/c", "/Shared/w/empty"))
  df <- dbx_workspace_walk(cl, "/Shared/w", max_depth = 2, notebooks_modified_after = 1)
  expect_equal(nrow(df), 6)
  expect_equal(last_req(paste0(api, "/list"))$query$notebooks_modified_after, "1")
  expect_error(dbx_workspace_walk(cl, "/Shared/w", max_objects = 5), class = "dbx_too_large")
  expect_error(dbx_workspace_walk(cl, "/Shared/w", max_depth = 0), class = "dbx_invalid_argument")
  one <- dbx_workspace_walk(cl, "/Shared/w/m")
  expect_equal(one$path, "/Shared/w/m")
  expect_equal(one$depth, 0L)
  emu_ctl("POST", "/__emulator/faults", sprintf(
    '{"path": "%s/list", "action": "status", "status": 200, "body": {"objects": [{"path": "/Shared/h/../../etc/x", "object_type": "FILE", "object_id": 5}]}}',
    api))
  expect_error(dbx_workspace_walk(cl, "/Shared/h"), class = "dbx_bad_response")
})

test_that("walk_each calls back per object, stops on TRUE, re-raises errors and interrupts", {
  cl <- emu_client()
  make_tree(cl)
  seen <- character(0)
  depths <- integer(0)
  expect_true(dbx_workspace_walk_each(cl, "/Shared/w", function(o) {
    seen <<- c(seen, o$path)
    depths <<- c(depths, o$depth)
    NULL
  }))
  expect_equal(seen, walk_paths)
  expect_identical(depths, walk_depths)
  expect_equal(last_req(paste0(api, "/list"))$query$path, "/Shared/w/empty")
  n <- 0
  expect_false(dbx_workspace_walk_each(cl, "/Shared/w", function(o) { n <<- n + 1; n == 3 }))
  expect_equal(n, 3)
  expect_error(dbx_workspace_walk_each(cl, "/Shared/w", function(o) stop("user abort at ", o$path)),
               "user abort at /Shared/w/a")
  calls <- 0
  got <- tryCatch(dbx_workspace_walk_each(cl, "/Shared/w", function(o) {
    calls <<- calls + 1
    if (calls == 2) tools::pskill(Sys.getpid(), tools::SIGINT)
    Sys.sleep(0.01)
  }), interrupt = function(e) "interrupted")
  expect_equal(got, "interrupted")
  expect_equal(calls, 2)
  expect_error(dbx_workspace_walk_each(cl, "/Shared/none", function(o) NULL), class = "dbx_not_found")
  expect_error(dbx_workspace_walk_each(cl, "/Shared/w", "not a function"), class = "dbx_invalid_argument")
})

test_that("export_dir and import_dir round-trip a tree", {
  cl <- emu_client()
  make_tree(cl)
  out <- file.path(tempfile("ws-out-"))
  expect_equal(dbx_workspace_export_dir(cl, "/Shared/w", out), out)
  expect_equal(readBin(file.path(out, "z.txt"), "raw", 10), charToRaw("zz"))
  expect_equal(rawToChar(readBin(file.path(out, "a", "b", "c", "deep.py"), "raw", 1000)), py_nb)
  expect_true(file.exists(file.path(out, "m.sql")))
  expect_true(dir.exists(file.path(out, "empty")))
  expect_error(dbx_workspace_export_dir(cl, "/Shared/w", out), class = "dbx_already_exists")
  out2 <- tempfile("ws-out2-")
  dbx_workspace_export_dir(cl, "/Shared/w", out2, format = "JUPYTER", max_depth = 1)
  expect_true(file.exists(file.path(out2, "m.ipynb")))
  expect_false(file.exists(file.path(out2, "a", "b.txt")))

  n <- dbx_workspace_import_dir(cl, out, "/Shared/copy")
  expect_equal(n, 4)
  expect_equal(dbx_workspace_get_status(cl, "/Shared/copy/m")$object_type, "NOTEBOOK")
  expect_equal(rawToChar(dbx_workspace_export(cl, "/Shared/copy/a/b/c/deep")), py_nb)
  paths <- vapply(emu_requests(paste0(api, "/import")), function(r) r$json$path, "")
  expect_true("/Shared/copy/a/b/c/deep" %in% paths)
  err <- tryCatch(dbx_workspace_import_dir(cl, out, "/Shared/copy"), dbx_already_exists = function(e) e)
  expect_s3_class(err, "dbx_already_exists")
  expect_equal(err$n_imported, 0)
  expect_equal(dbx_workspace_import_dir(cl, out, "/Shared/copy", overwrite = TRUE, max_depth = 1), 3)
  expect_error(dbx_workspace_import_dir(cl, tempfile(), "/Shared/x"), class = "dbx_not_found")
})
