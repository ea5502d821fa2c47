wh <- "5eedc0ffee000001"  # the emulator's seed warehouse
api <- "/api/2.0/sql/statements"
tbl <- "main.default.numbers"

make_numbers <- function(cl, n) {
  dbx_sql_submit(cl, wh, paste0("CREATE TABLE IF NOT EXISTS ", tbl, " (id BIGINT, name STRING) USING DELTA"))
  vals <- vapply(seq_len(n) - 1, function(i) if (i %% 7 == 3) sprintf("(%d, NULL)", i) else sprintf("(%d, 'n%d')", i, i), "")
  dbx_sql_submit(cl, wh, paste0("INSERT INTO ", tbl, " VALUES ", paste(vals, collapse = ", ")))
}

expect_numbers <- function(df, n) {
  ids <- seq_len(n) - 1
  expect_equal(df$id, ids)
  expect_equal(df$name, ifelse(ids %% 7 == 3, NA_character_, paste0("n", ids)))
}

last_request <- function(path) {
  r <- emu_requests(path)
  r[[length(r)]]
}

test_that("execute sends the statement, typed parameters and options, and reads a typed data.frame", {
  cl <- emu_client()
  emu_config('{"sql_chunk_rows": 5}')
  make_numbers(cl, 12)
  df <- dbx_sql_execute(cl, wh, "SELECT id, name FROM numbers WHERE id >= :lo ORDER BY id",
                        params = list(lo = 2L), catalog = "main", schema = "default", wait_timeout = 30,
                        on_wait_timeout = "CONTINUE", disposition = "INLINE",
                        query_tags = list(team = "fraud", adhoc = NA))
  sent <- last_request(api)
  expect_equal(sent$method, "POST")
  body <- sent$json
  expect_equal(body$warehouse_id, wh)
  expect_equal(body$statement, "SELECT id, name FROM numbers WHERE id >= :lo ORDER BY id")
  expect_equal(body$catalog, "main")
  expect_equal(body$schema, "default")
  expect_equal(body$wait_timeout, "30s")
  expect_equal(body$on_wait_timeout, "CONTINUE")
  expect_equal(body$disposition, "INLINE")
  expect_equal(body$parameters[[1]]$name, "lo")
  expect_equal(body$parameters[[1]]$value, "2")
  expect_equal(body$parameters[[1]]$type, "INT")
  expect_equal(body$query_tags[[1]]$key, "team")
  expect_equal(body$query_tags[[1]]$value, "fraud")
  expect_null(body$query_tags[[2]]$value)
  expect_null(body$row_limit)
  expect_s3_class(df, "data.frame")
  expect_equal(names(df), c("id", "name"))
  expect_equal(nrow(df), 10)
  expect_type(df$id, "double")
  expect_equal(df$id, 2:11)
  expect_equal(df$name[2], NA_character_)  # id 3
  expect_false(attr(df, "truncated"))
  id <- attr(df, "statement_id")
  # a second chunk was fetched through the chunk endpoint
  expect_length(emu_requests(sprintf("%s/%s/result/chunks/1", api, id)), 1)
})

test_that("every chunk is followed, INLINE and EXTERNAL_LINKS", {
  cl <- emu_client()
  emu_config('{"sql_chunk_rows": 5}')
  make_numbers(cl, 110)
  df <- dbx_sql_execute(cl, wh, paste("SELECT id, name FROM", tbl, "ORDER BY id"), max_chunks = 4)
  expect_numbers(df, 110)
  id <- attr(df, "statement_id")
  expect_length(emu_requests(sprintf("%s/%s/result/chunks/21", api, id)), 1)
  ext <- dbx_sql_execute(cl, wh, paste("SELECT id, name FROM", tbl, "ORDER BY id"),
                         disposition = "EXTERNAL_LINKS")
  expect_equal(last_request(api)$json$disposition, "EXTERNAL_LINKS")
  expect_numbers(ext, 110)
  reqs <- emu_ctl("GET", "/__emulator/requests")$requests
  other <- Filter(function(r) identical(r$server, "other"), reqs)
  expect_length(other, 22)
  expect_true(all(vapply(other, function(r) is.null(r$headers$authorization), TRUE)))
})

test_that("column types: integer, double, logical, Date, POSIXct, character, NA", {
  cl <- emu_client()
  dbx_sql_submit(cl, wh, paste("CREATE TABLE main.default.typed (i INT, b BIGINT, d DOUBLE, m DECIMAL(10,2),",
                               "s STRING, f BOOLEAN, dt DATE, ts TIMESTAMP) USING DELTA"))
  ins <- "INSERT INTO main.default.typed VALUES (:i, :b, :d, :m, :s, :f, :dt, :ts)"
  dbx_sql_submit(cl, wh, ins, params = list(
    i = -42L, b = list(value = 9007199254740992, type = "BIGINT"), d = 2.5,
    m = list(value = "12345678.90", type = "DECIMAL(10,2)"), s = "Z\u00fcrich", f = TRUE,
    dt = as.Date("2024-02-29"), ts = as.POSIXct("2024-02-29 12:34:56.789", tz = "UTC")))
  p <- last_request(api)$json$parameters
  types <- vapply(p, function(x) if (is.null(x$type)) NA_character_ else x$type, "")
  expect_equal(types, c("INT", "BIGINT", "DOUBLE", "DECIMAL(10,2)", NA, "BOOLEAN", "DATE", "TIMESTAMP"))
  expect_null(p[[5]]$type)  # a string: the server's default (STRING)
  expect_equal(p[[2]]$value, "9007199254740992")
  expect_equal(p[[7]]$value, "2024-02-29")
  expect_match(p[[8]]$value, "^2024-02-29T12:34:56\\.7")
  # NULLs, brickster style (unnamed list of name / value / type)
  nulls <- lapply(c("i", "b", "d", "m", "s", "f", "dt", "ts"), function(n) list(name = n, value = NULL,
                  type = c(i = "INT", b = "BIGINT", d = "DOUBLE", m = "DECIMAL(10,2)", s = "STRING",
                           f = "BOOLEAN", dt = "DATE", ts = "TIMESTAMP")[[n]]))
  dbx_sql_submit(cl, wh, ins, params = nulls)
  p0 <- last_request(api)$json$parameters[[1]]
  expect_null(p0$value)
  expect_equal(p0$type, "INT")

  df <- dbx_sql_execute(cl, wh, "SELECT * FROM main.default.typed ORDER BY i NULLS LAST")
  expect_equal(nrow(df), 2)
  expect_type(df$i, "integer")
  expect_equal(df$i, c(-42L, NA))
  expect_type(df$b, "double")
  expect_equal(df$b[1], 9007199254740992)
  expect_equal(df$d, c(2.5, NA))
  expect_equal(df$m, c(12345678.90, NA))
  expect_equal(df$s, c("Z\u00fcrich", NA))
  expect_type(df$f, "logical")
  expect_equal(df$f, c(TRUE, NA))
  expect_s3_class(df$dt, "Date")
  expect_equal(df$dt, as.Date(c("2024-02-29", NA)))
  expect_s3_class(df$ts, "POSIXct")
  expect_equal(as.numeric(df$ts[1]), as.numeric(as.POSIXct("2024-02-29 12:34:56.789", tz = "UTC")), tolerance = 1e-6)
  expect_true(is.na(df$ts[2]))
})

test_that("hostile parameter strings round-trip exactly", {
  cl <- emu_client()
  hostile <- c("'; DROP TABLE main.default.notes; --", "x' OR '1'='1", "/* c */ -- d", "a\"b`c`\\d",
               ";;;", ":s :k ?", "line1\nline2\r\n\ttab", "\u00fcn\u00efc\u00f6d\u00e9 \u2713", "")
  dbx_sql_submit(cl, wh, "CREATE TABLE main.default.notes (k INT, v STRING) USING DELTA")
  for (h in hostile) {
    df <- dbx_sql_execute(cl, wh, "SELECT :s AS s, :k AS k", params = list(s = h, k = 7L))
    expect_equal(last_request(api)$json$statement, "SELECT :s AS s, :k AS k")
    expect_identical(df$s, h)
    expect_identical(df$k, 7L)
  }
  expect_equal(nrow(dbx_sql_execute(cl, wh, "SELECT * FROM main.default.notes")), 0)
})

test_that("FAILED statements are classed conditions with the statement and its SQL state", {
  cl <- emu_client()
  err <- tryCatch(dbx_sql_execute(cl, wh, "SELECT * FROM main.default.does_not_exist"),
                  dbx_operation_failed = function(e) e)
  expect_s3_class(err, "dbx_operation_failed")
  expect_s3_class(err$last, "dbx_sql_statement")
  expect_equal(err$last$state, "FAILED")
  expect_equal(nchar(err$last$sql_state), 5)
  expect_equal(err$last$status$sql_state, err$last$sql_state)
  expect_equal(err$error_code, err$last$error_code)
  expect_match(conditionMessage(err), err$last$sql_state)
  expect_error(dbx_sql_fetch(cl, err$last), class = "dbx_invalid_argument")
  expect_error(dbx_sql_execute(cl, "missing-wh", "SELECT 1"), class = "dbx_not_found")
  expect_error(dbx_sql_execute(cl, wh, "SELECT 1", wait_timeout = 3), class = "dbx_invalid_argument")
  expect_error(dbx_sql_execute(cl, wh, "SELECT 1", disposition = "SIDEWAYS"), "unknown disposition")
  expect_error(dbx_sql_execute(cl, wh, "SELECT :x", params = list(x = Inf)), "finite")
})

test_that("submit without waiting, status, wait with progress, timeout", {
  cl <- emu_client()
  emu_config('{"sql_pending_ms": 2000, "sql_running_ms": 2000}')
  st <- dbx_sql_submit(cl, wh, "SELECT 1 AS one", wait_timeout = 0, wait = FALSE)
  expect_equal(last_request(api)$json$wait_timeout, "0s")
  expect_s3_class(st, "dbx_sql_statement")
  expect_equal(st$state, "PENDING")
  expect_false(st$has_result)
  expect_output(print(st), "PENDING")
  got <- dbx_sql_get(cl, st$statement_id)
  expect_equal(last_request(paste0(api, "/", st$statement_id))$method, "GET")
  expect_equal(got$statement_id, st$statement_id)
  err <- tryCatch(dbx_sql_wait(cl, st, timeout = 0.2, poll_interval = 0.01), dbx_timeout = function(e) e)
  expect_s3_class(err, "dbx_timeout")
  expect_equal(err$last$state, "PENDING")
  seen <- character(0)
  done <- dbx_sql_wait(cl, st$statement_id, timeout = 60, poll_interval = 0.01,
                       progress = function(id, state) { seen <<- c(seen, state); emu_advance(1000) })
  expect_equal(done$state, "SUCCEEDED")
  expect_equal(seen[1], "PENDING")
  expect_equal(tail(seen, 1), "SUCCEEDED")
  expect_equal(dbx_sql_fetch(cl, done)$one, 1L)
  # an error in progress stops the wait and is raised as it was
  st2 <- dbx_sql_submit(cl, wh, "SELECT 2", wait_timeout = 0, wait = FALSE)
  expect_error(dbx_sql_wait(cl, st2, timeout = 60, poll_interval = 0.01,
                            progress = function(id, state) stop("from progress")), "from progress")
})

test_that("cancel and close", {
  cl <- emu_client()
  emu_config('{"sql_pending_ms": 600000}')
  st <- dbx_sql_submit(cl, wh, "SELECT 1", wait_timeout = 0, wait = FALSE)
  expect_true(dbx_sql_cancel(cl, st))
  expect_equal(last_request(sprintf("%s/%s/cancel", api, st$statement_id))$method, "POST")
  err <- tryCatch(dbx_sql_wait(cl, st$statement_id, timeout = 10), dbx_operation_failed = function(e) e)
  expect_equal(err$last$state, "CANCELED")
  expect_error(dbx_sql_cancel(cl, "no-such-statement"), class = "dbx_not_found")
  emu_config('{"sql_pending_ms": 0}')
  done <- dbx_sql_submit(cl, wh, "SELECT 1 AS one")
  expect_true(dbx_sql_close(cl, done$statement_id))
  expect_equal(last_request(paste0(api, "/", done$statement_id))$method, "DELETE")
  expect_equal(dbx_sql_get(cl, done)$state, "CLOSED")
  # fetch with close = TRUE closes it afterwards
  d2 <- dbx_sql_submit(cl, wh, "SELECT 2 AS two")
  expect_equal(dbx_sql_fetch(cl, d2, close = TRUE)$two, 2L)
  expect_equal(last_request(paste0(api, "/", d2$statement_id))$method, "DELETE")
})

test_that("truncation is never silent", {
  cl <- emu_client()
  emu_config('{"sql_chunk_rows": 5}')
  make_numbers(cl, 30)
  expect_warning(df <- dbx_sql_execute(cl, wh, paste("SELECT id FROM", tbl, "ORDER BY id"), row_limit = 12),
                 "truncated")
  expect_equal(last_request(api)$json$row_limit, 12)
  expect_equal(df$id, 0:11)
  expect_true(attr(df, "truncated"))
  st <- dbx_sql_submit(cl, wh, paste("SELECT id FROM", tbl), row_limit = 12)
  expect_true(st$truncated)
  expect_error(dbx_sql_fetch(cl, st, truncated_is_error = TRUE), class = "dbx_too_large")
})

test_that("raw CSV and Arrow chunks stream to a raw vector, a path and a connection", {
  cl <- emu_client()
  emu_config('{"sql_chunk_rows": 5}')
  make_numbers(cl, 60)
  st <- dbx_sql_submit(cl, wh, paste("SELECT id, name FROM", tbl, "ORDER BY id"),
                       disposition = "EXTERNAL_LINKS", format = "CSV")
  expect_equal(last_request(api)$json$format, "CSV")
  expect_equal(st$format, "CSV")
  raw <- dbx_sql_stream(cl, st, max_chunks = 4)
  expect_type(raw, "raw")
  lines <- strsplit(rawToChar(raw), "\n", fixed = TRUE)[[1]]
  expect_equal(lines[1], "id,name")
  expect_length(lines, 61)
  expect_equal(lines[2], "0,n0")
  f <- tempfile(fileext = ".csv")
  dbx_sql_stream(cl, st, f)
  expect_identical(readBin(f, "raw", 1e6), raw)
  expect_error(dbx_sql_stream(cl, st, f), class = "dbx_already_exists")
  dbx_sql_stream(cl, st, f, overwrite = TRUE)
  con <- file(tempfile(fileext = ".csv"), "wb")
  path <- summary(con)$description
  dbx_sql_stream(cl, st, con)
  close(con)
  expect_identical(readBin(path, "raw", 1e6), raw)
  # an R error in the connection's writer stops the stream and is raised
  bad <- rawConnection(raw(0), "rb")
  expect_error(dbx_sql_stream(cl, st, bad))
  close(bad)
  expect_error(dbx_sql_fetch(cl, st), class = "dbx_invalid_argument")  # not rows
  expect_error(dbx_sql_stream(cl, dbx_sql_submit(cl, wh, "SELECT 1")), class = "dbx_invalid_argument")
  arrow <- dbx_sql_submit(cl, wh, paste("SELECT id FROM", tbl), disposition = "EXTERNAL_LINKS",
                          format = "ARROW_STREAM")
  bytes <- dbx_sql_stream(cl, arrow, close = TRUE)
  expect_identical(bytes[1:4], as.raw(c(0xff, 0xff, 0xff, 0xff)))
  expect_equal(last_request(paste0(api, "/", arrow$statement_id))$method, "DELETE")
})

test_that("brickster-style names", {
  cl <- emu_client()
  emu_config('{"sql_chunk_rows": 5}')
  make_numbers(cl, 12)
  df <- db_sql_query(wh, paste("SELECT id, name FROM", tbl, "WHERE id < :n ORDER BY id"),
                     parameters = list(list(name = "n", value = "6", type = "INT")), client = cl)
  body <- last_request(api)$json
  expect_equal(body$wait_timeout, "10s")
  expect_equal(body$parameters[[1]]$type, "INT")
  expect_numbers(df, 6)
  expect_error(db_sql_query(wh, "SELECT 1", return_arrow = TRUE, client = cl), "return_arrow")
  emu_config('{"sql_pending_ms": 2000}')
  st <- db_sql_exec_query(paste("SELECT id FROM", tbl), wh, client = cl)
  expect_equal(last_request(api)$json$wait_timeout, "0s")
  expect_equal(st$status$state, "PENDING")
  expect_equal(db_sql_exec_status(st$statement_id, client = cl)$state, "PENDING")
  emu_advance(3000)
  expect_equal(db_sql_exec_status(st$statement_id, client = cl)$state, "SUCCEEDED")
  expect_equal(db_sql_exec_result(st$statement_id, client = cl)$id, 0:11)
  st2 <- db_sql_exec_query("SELECT 1", wh, client = cl)
  expect_true(db_sql_exec_cancel(st2$statement_id, client = cl))
  expect_equal(db_sql_exec_status(st2$statement_id, client = cl)$state, "CANCELED")
})
