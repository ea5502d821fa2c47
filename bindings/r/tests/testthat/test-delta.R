wh <- "5eedc0ffee000001"  # the emulator's seed warehouse
api <- "/api/2.0/sql/statements"
vol <- "/Volumes/main/default/landing"
tb <- "main.default.t"
tq <- "`main`.`default`.`t`"

hostile <- c("'; DROP TABLE t; --", "it's", "a\\'b", "\\", "line\nbreak\ttab", "`backtick`", "/* c */",
             ":p0", "caf\u00e9 \u2603", "' OR '1'='1")

stmts <- function() {
  Filter(function(r) identical(r$method, "POST"), emu_requests(api))
}
last_stmt <- function() {
  s <- stmts()
  s[[length(s)]]$json
}
n_stmts <- function() length(stmts())
param <- function(body, name) {
  for (p in body$parameters) if (identical(p$name, name)) return(p)
  NULL
}

make_table <- function(cl, name = tb) {
  dbx_delta_create_table(cl, wh, name, data.frame(name = c("id", "name", "score"),
                                                  type = c("BIGINT", "STRING", "DOUBLE"),
                                                  nullable = c(FALSE, TRUE, TRUE)))
}

test_that("quoting and table specs are libdbx's, and bad names are refused", {
  expect_equal(dbx_delta_quote_name("main.default.t"), tq)
  expect_equal(dbx_delta_quote_column("a`b"), "`a``b`")
  expect_equal(dbx_delta_quote_literal("it's\n"), "'it\\'s\\n'")
  expect_error(dbx_delta_quote_name("t; DROP TABLE x"), class = "dbx_invalid_argument")
  expect_error(dbx_delta_quote_column("bad\ncol"), class = "dbx_invalid_argument")
  sql <- dbx_delta_table_sql(tb, data.frame(name = c("id", "first name"), type = c("bigint", "DECIMAL(10, 2)"),
                                            nullable = c(FALSE, TRUE), comment = c("the key", NA)),
                             partitioned_by = "id", comment = "it's", properties = list(delta.appendOnly = TRUE),
                             if_not_exists = TRUE)
  expect_equal(sql, paste0("CREATE TABLE IF NOT EXISTS ", tq, " (`id` BIGINT NOT NULL COMMENT 'the key', ",
                           "`first name` DECIMAL(10,2)) USING DELTA PARTITIONED BY (`id`) COMMENT 'it\\'s' ",
                           "TBLPROPERTIES ('delta.appendOnly' = 'true')"))
  expect_equal(dbx_delta_table_sql("t", c(id = "INT", day = "DATE")), "CREATE TABLE `t` (`id` INT, `day` DATE) USING DELTA")
  expect_equal(dbx_delta_table_sql("t", "id INT NOT NULL, `a b` STRING"),
               "CREATE TABLE `t` (`id` INT NOT NULL, `a b` STRING) USING DELTA")
  expect_error(dbx_delta_table_sql("t", c(x = "VARCHAR(10); DROP TABLE t")), class = "dbx_invalid_argument")
  expect_error(dbx_delta_table_sql("t", c(x = "INT"), partitioned_by = "nope"), class = "dbx_invalid_argument")
  expect_error(dbx_delta_table_sql("t", 42), "columns must be")
})

test_that("create_table sends the statement and reports the server's failure", {
  cl <- emu_client()
  dbx_delta_create_table(cl, wh, tb, "id BIGINT NOT NULL COMMENT 'k', name STRING", comment = "bronze",
                         properties = c(team = "fraud"))
  body <- last_stmt()
  expect_equal(body$warehouse_id, wh)
  expect_equal(body$statement, paste0("CREATE TABLE ", tq, " (`id` BIGINT NOT NULL COMMENT 'k', `name` STRING) ",
                                      "USING DELTA COMMENT 'bronze' TBLPROPERTIES ('team' = 'fraud')"))
  expect_error(dbx_delta_create_table(cl, wh, tb, "id BIGINT"), "TABLE_OR_VIEW_ALREADY_EXISTS",
               class = "dbx_operation_failed")
  dbx_delta_create_table(cl, wh, "t2", c(k = "INT"), catalog = "main", schema = "default")
  body <- last_stmt()
  expect_equal(body$statement, "CREATE TABLE `t2` (`k` INT) USING DELTA")
  expect_equal(body$catalog, "main")
  n <- n_stmts()
  expect_error(dbx_delta_create_table(cl, wh, "t; DROP TABLE x", "id BIGINT"), class = "dbx_invalid_argument")
  expect_error(dbx_delta_create_table(cl, NA_character_, tb, "id BIGINT"), "warehouse_id")
  expect_equal(n_stmts(), n)
})

test_that("append sends typed parameters from data.frame columns, NA as typed NULL, in batches", {
  cl <- emu_client()
  dbx_delta_create_table(cl, wh, tb, paste("id BIGINT NOT NULL, n INT, name STRING, score DOUBLE, ok BOOLEAN,",
                                           "day DATE, at TIMESTAMP, amount DECIMAL(10,2), kind STRING"))
  at <- as.POSIXct("2024-01-31 10:00:00", tz = "UTC")
  df <- data.frame(id = c(1, 2), n = c(7L, NA), name = c("a", NA), score = c(1.5, NA), ok = c(TRUE, NA),
                   day = as.Date(c("2024-01-31", NA)), at = c(at, NA), amount = c(12.5, NA),
                   kind = factor(c("x", NA)), stringsAsFactors = FALSE)
  expect_equal(dbx_delta_append(cl, wh, tb, df, types = list(amount = "DECIMAL(10,2)")), 2)
  body <- last_stmt()
  expect_match(body$statement, paste0("^INSERT INTO ", gsub("([.`])", "\\\\\\1", tq), " \\(`id`, `n`, `name`"))
  expect_equal(param(body, "p0")$type, "DOUBLE")
  expect_equal(param(body, "p1")[c("value", "type")], list(value = "7", type = "BIGINT"))
  expect_equal(param(body, "p2")$type, "STRING")
  expect_equal(param(body, "p4")[c("value", "type")], list(value = "true", type = "BOOLEAN"))
  expect_equal(param(body, "p5")[c("value", "type")], list(value = "2024-01-31", type = "DATE"))
  expect_equal(param(body, "p6")$type, "TIMESTAMP")
  expect_match(param(body, "p6")$value, "^2024-01-31T10:00:00(\\.0+)?Z$")
  expect_equal(param(body, "p7")[c("value", "type")], list(value = "12.5", type = "DECIMAL(10,2)"))
  expect_equal(param(body, "p8")[c("value", "type")], list(value = "x", type = "STRING"))
  # row 2: NULLs, typed
  expect_null(param(body, "p10")$value)
  expect_equal(param(body, "p10")$type, "BIGINT")
  expect_equal(param(body, "p13")$type, "BOOLEAN")
  expect_equal(param(body, "p14")$type, "DATE")

  back <- dbx_delta_read(cl, wh, tb)
  back <- back[order(back$id), ]
  expect_equal(back$id, c(1, 2))
  expect_equal(back$n, c(7L, NA))
  expect_equal(back$name, c("a", NA))
  expect_equal(back$ok, c(TRUE, NA))
  expect_s3_class(back$day, "Date")
  expect_equal(back$day, as.Date(c("2024-01-31", NA)))
  expect_s3_class(back$at, "POSIXct")
  expect_equal(as.numeric(back$at[1]), as.numeric(at))
  expect_equal(back$amount, c(12.5, NA))
  expect_equal(back$kind, c("x", NA))

  n <- n_stmts()
  big <- data.frame(id = 100:106, name = paste0("n", 0:6), stringsAsFactors = FALSE)
  expect_equal(dbx_delta_append(cl, wh, tb, big, batch_rows = 3), 7)
  expect_equal(n_stmts() - n, 3)
  expect_equal(dbx_delta_append(cl, wh, tb, big[0, ]), 0)
  # refused before anything is sent
  n <- n_stmts()
  expect_error(dbx_delta_append(cl, wh, tb, data.frame(id = 1, score = Inf)), class = "dbx_invalid_argument")
  expect_error(dbx_delta_append(cl, wh, tb, setNames(data.frame(1), "bad\ncol")),
               class = "dbx_invalid_argument")
  expect_error(dbx_delta_append(cl, wh, tb, list(id = 1)), "data.frame")
  expect_error(dbx_delta_append(cl, wh, tb, data.frame(id = 1), types = list(nope = "INT")), "types")
  expect_error(dbx_delta_append(cl, wh, tb, data.frame(id = 1), batch_rows = 0), "batch_rows")
  expect_equal(n_stmts(), n)
  # a failing statement: the rows written before it are the condition's `last`
  e <- tryCatch(dbx_delta_append(cl, wh, tb, data.frame(id = c(500, 501, NA)), batch_rows = 2),
                dbx_operation_failed = function(e) e)
  expect_s3_class(e, "dbx_operation_failed")
  expect_equal(e$last, 2)
})

test_that("hostile strings are values, hostile identifiers are refused or quoted", {
  cl <- emu_client()
  make_table(cl)
  df <- data.frame(id = seq_along(hostile), name = hostile, score = 1, stringsAsFactors = FALSE)
  expect_equal(dbx_delta_append(cl, wh, tb, df), length(hostile))
  text <- last_stmt()$statement
  expect_false(grepl("DROP", text))
  back <- dbx_delta_read(cl, wh, tb)
  expect_equal(back$name[order(back$id)], hostile)
  df$name <- rev(hostile)
  df$id <- df$id + 100
  dbx_delta_upsert(cl, wh, tb, df, keys = "name")
  expect_equal(last_stmt()$statement == text, FALSE)
  expect_equal(nrow(dbx_delta_read(cl, wh, tb)), length(hostile))  # matched by name: updated
  n <- n_stmts()
  for (bad in c("t; DROP TABLE x", "t--", "t'", "a b", "a.b.c.d", ""))
    expect_error(dbx_delta_optimize(cl, wh, bad), class = "dbx_invalid_argument")
  expect_equal(n_stmts(), n)
  weird <- "main.default.`we``ird; --`"
  cols <- c("id", "it's", "a`b; DROP TABLE x; --")
  dbx_delta_create_table(cl, wh, weird, setNames(c("BIGINT", "STRING", "STRING"), cols))
  expect_equal(last_stmt()$statement, paste0("CREATE TABLE `main`.`default`.`we``ird; --` (`id` BIGINT, ",
                                             "`it's` STRING, `a``b; DROP TABLE x; --` STRING) USING DELTA"))
  row <- setNames(data.frame(1, hostile[1], hostile[2], stringsAsFactors = FALSE), cols)
  dbx_delta_append(cl, wh, weird, row)
  got <- dbx_delta_read(cl, wh, weird, columns = cols[2:3])
  expect_equal(last_stmt()$statement, "SELECT `it's`, `a``b; DROP TABLE x; --` FROM `main`.`default`.`we``ird; --`")
  expect_equal(names(got), cols[2:3])
  expect_equal(unname(unlist(got[1, ])), hostile[1:2])
})

test_that("upsert merges by key; duplicate keys are refused before sending", {
  cl <- emu_client()
  make_table(cl)
  dbx_delta_append(cl, wh, tb, data.frame(id = 1:3, name = c("one", "two", "three"), score = 1:3))
  n <- dbx_delta_upsert(cl, wh, tb, data.frame(id = 2:4, name = c("TWO", "THREE", "four"), score = c(20, 30, 4)),
                        keys = "id")
  expect_equal(n, 3)
  expect_equal(last_stmt()$statement, paste0(
    "MERGE INTO ", tq, " AS t USING (SELECT :p0 AS `id`, :p1 AS `name`, :p2 AS `score` UNION ALL ",
    "SELECT :p3, :p4, :p5 UNION ALL SELECT :p6, :p7, :p8) AS s ON t.`id` = s.`id` ",
    "WHEN MATCHED THEN UPDATE SET `name` = s.`name`, `score` = s.`score` ",
    "WHEN NOT MATCHED THEN INSERT (`id`, `name`, `score`) VALUES (s.`id`, s.`name`, s.`score`)"))
  back <- dbx_delta_read(cl, wh, tb)
  expect_equal(back$name[order(back$id)], c("one", "TWO", "THREE", "four"))
  n <- n_stmts()
  expect_error(dbx_delta_upsert(cl, wh, tb, data.frame(id = c(1, 1), name = "a"), keys = "id"),
               class = "dbx_invalid_argument")
  expect_error(dbx_delta_upsert(cl, wh, tb, data.frame(id = 1), keys = "nope"), class = "dbx_invalid_argument")
  expect_error(dbx_delta_upsert(cl, wh, tb, data.frame(id = 1), keys = character()), "keys")
  expect_equal(n_stmts(), n)
})

test_that("read time-travels and history is a typed data.frame", {
  cl <- emu_client()
  emu_config('{"sql_chunk_rows": 2}')
  make_table(cl)
  dbx_delta_append(cl, wh, tb, data.frame(id = 1, name = "a", score = 1))
  dbx_delta_append(cl, wh, tb, data.frame(id = 2:6, name = "b", score = 2))
  df <- dbx_delta_read(cl, wh, tb)
  expect_equal(last_stmt()$statement, paste0("SELECT * FROM ", tq))
  expect_equal(names(df), c("id", "name", "score"))
  expect_type(df$id, "double")
  expect_equal(sort(df$id), 1:6)  # over three chunks
  v1 <- dbx_delta_read(cl, wh, tb, version = 1, columns = "name", limit = 10)
  expect_equal(last_stmt()$statement, paste0("SELECT `name` FROM ", tq, " VERSION AS OF 1 LIMIT 10"))
  expect_equal(v1$name, "a")
  expect_equal(nrow(dbx_delta_read(cl, wh, tb, version = 0)), 0)
  expect_equal(names(dbx_delta_read(cl, wh, tb, version = 0)), c("id", "name", "score"))
  expect_error(dbx_delta_read(cl, wh, tb, version = 99), class = "dbx_operation_failed")

  h <- dbx_delta_history(cl, wh, tb)
  expect_equal(last_stmt()$statement, paste0("DESCRIBE HISTORY ", tq))
  expect_equal(h$version, c(2, 1, 0))
  expect_equal(h$operation, c("WRITE", "WRITE", "CREATE TABLE"))
  expect_s3_class(h$timestamp, "POSIXct")
  expect_true(all(nzchar(h$user)))
  expect_type(h$operation_parameters, "list")
  expect_type(h$operation_metrics, "list")
  expect_equal(dbx_delta_history(cl, wh, tb, limit = 1)$version, 2)
  expect_equal(last_stmt()$statement, paste0("DESCRIBE HISTORY ", tq, " LIMIT 1"))

  ts <- dbx_delta_read(cl, wh, tb, timestamp = h$timestamp_text[2])
  expect_equal(last_stmt()$statement, paste0("SELECT * FROM ", tq, " TIMESTAMP AS OF '", h$timestamp_text[2], "'"))
  expect_equal(ts$id, 1)
  expect_equal(dbx_delta_read(cl, wh, tb, timestamp = h$timestamp[2])$id, 1)

  expect_warning(tr <- dbx_delta_read(cl, wh, tb, row_limit = 1), "truncated")
  expect_equal(last_stmt()$row_limit, 1)
  expect_equal(nrow(tr), 1)
  expect_error(dbx_delta_read(cl, wh, tb, row_limit = 1, truncated_is_error = TRUE), class = "dbx_too_large")

  n <- n_stmts()
  expect_error(dbx_delta_read(cl, wh, tb, timestamp = "2024-01-01' OR '1'='1"), class = "dbx_invalid_argument")
  expect_error(dbx_delta_read(cl, wh, tb, version = -1), class = "dbx_invalid_argument")
  expect_error(dbx_delta_read(cl, wh, tb, version = 1, timestamp = "2024-01-01"), "not both")
  expect_error(dbx_delta_read(cl, wh, tb, columns = c("ok", "bad\ncol")), class = "dbx_invalid_argument")
  expect_error(dbx_delta_history(cl, wh, tb, limit = 0), "limit")
  expect_equal(n_stmts(), n)
})

test_that("load_file uploads, runs COPY INTO and deletes the staged file", {
  cl <- emu_client()
  make_table(cl)
  csv <- tempfile(fileext = ".csv")
  writeLines(c("id,name,score", "1,alice,1.5", "2,\"o'brien; --\",2.5", "3,carol,3.5"), csv)
  n <- dbx_delta_load_file(cl, wh, tb, csv, paste0(vol, "/in/"), format_options = list(header = TRUE, sep = ","))
  expect_equal(as.numeric(n), 3)
  staged <- attr(n, "staged_path")
  expect_true(startsWith(staged, paste0(vol, "/in/dbx-load-")))
  fpath <- paste0("/api/2.0/fs/files", staged)
  expect_equal(vapply(emu_requests(fpath), function(r) r$method, ""), c("PUT", "DELETE"))
  expect_equal(last_stmt()$statement, paste0("COPY INTO ", tq, " FROM '", staged, "' FILEFORMAT = CSV ",
                                             "FORMAT_OPTIONS ('header' = 'true', 'sep' = ',')"))
  back <- dbx_delta_read(cl, wh, tb)
  expect_equal(back$name[order(back$id)], c("alice", "o'brien; --", "carol"))
  js <- tempfile(fileext = ".json")
  writeLines(c('{"id": 10, "name": "j", "score": 1}'), js)
  n <- dbx_delta_load_file(cl, wh, tb, js, vol, file_format = "json", copy_options = c(mergeSchema = "true"),
                           keep_staged_file = TRUE)
  expect_equal(as.numeric(n), 1)
  expect_true(dbx_files_exists(cl, attr(n, "staged_path")))
  expect_match(last_stmt()$statement, "FILEFORMAT = JSON COPY_OPTIONS \\('mergeSchema' = 'true'\\)$")
  expect_error(dbx_delta_load_file(cl, wh, "main.default.nope", csv, vol), class = "dbx_operation_failed")
  n0 <- n_stmts()
  expect_error(dbx_delta_load_file(cl, wh, tb, csv, "/tmp/x"), class = "dbx_invalid_argument")
  expect_error(dbx_delta_load_file(cl, wh, tb, csv, paste0(vol, "/*")), class = "dbx_invalid_argument")
  expect_error(dbx_delta_load_file(cl, wh, tb, csv, vol, file_format = "XML"), "file_format")
  expect_error(dbx_delta_load_file(cl, wh, tb, tempfile(), vol), class = "dbx_not_found")
  expect_equal(n_stmts(), n0)
  unlink(c(csv, js))
})

test_that("optimize and vacuum; waits take timeout, progress and cancel_on_wait_end", {
  cl <- emu_client()
  make_table(cl)
  dbx_delta_optimize(cl, wh, tb)
  expect_equal(last_stmt()$statement, paste0("OPTIMIZE ", tq))
  dbx_delta_optimize(cl, wh, tb, zorder_by = c("id", "name"))
  expect_equal(last_stmt()$statement, paste0("OPTIMIZE ", tq, " ZORDER BY (`id`, `name`)"))
  dbx_delta_vacuum(cl, wh, tb)
  expect_equal(last_stmt()$statement, paste0("VACUUM ", tq))
  dbx_delta_vacuum(cl, wh, tb, retain_hours = 168)
  expect_equal(last_stmt()$statement, paste0("VACUUM ", tq, " RETAIN 168 HOURS"))
  expect_error(dbx_delta_optimize(cl, wh, "main.default.nope"), class = "dbx_operation_failed")
  expect_error(dbx_delta_vacuum(cl, wh, tb, retain_hours = -1), "retain_hours")

  emu_config('{"sql_pending_ms": 600000}')
  seen <- character()
  dbx_delta_optimize(cl, wh, tb, poll_interval = 0.01, progress = function(id, state) {
    seen <<- c(seen, state)
    emu_advance(700000)
  })
  expect_true(length(seen) >= 1)
  expect_true(seen[1] %in% c("PENDING", "RUNNING"))
  expect_error(dbx_delta_vacuum(cl, wh, tb, timeout = 0.05, poll_interval = 0.01, cancel_on_wait_end = TRUE,
                                progress = function(id, state) emu_advance(1000)),
               class = "dbx_timeout")
  reqs <- emu_ctl("GET", "/__emulator/requests")$requests
  expect_match(reqs[[length(reqs)]]$path, "/cancel$")
  expect_error(dbx_delta_history(cl, wh, tb, poll_interval = 0.01, progress = function(id, state) stop("from progress")),
               "from progress")
  dbx_client_close(cl)
  expect_error(dbx_delta_optimize(cl, wh, tb), class = "dbx_invalid_argument")
  expect_error(dbx_delta_append(cl, wh, tb, data.frame(id = 1)), class = "dbx_invalid_argument")
})

test_that("bronze -> silver -> gold", {
  cl <- emu_client()
  spec <- c(id = "BIGINT", account = "STRING", amount = "DOUBLE")
  dbx_delta_create_table(cl, wh, "bronze_payments", spec, catalog = "main", schema = "default", comment = "bronze")
  dbx_delta_create_table(cl, wh, "silver_payments", spec, catalog = "main", schema = "default", comment = "silver")
  csv <- tempfile(fileext = ".csv")
  writeLines(c("id,account,amount", "1,acc-1,10.0", "2,acc-2,20.0", "3,acc-1,30.0"), csv)
  expect_equal(as.numeric(dbx_delta_load_file(cl, wh, "bronze_payments", csv, vol, format_options = list(header = "true"),
                                              catalog = "main", schema = "default")), 3)
  bronze <- dbx_delta_read(cl, wh, "main.default.bronze_payments")
  expect_equal(dbx_delta_upsert(cl, wh, "main.default.silver_payments", bronze, keys = "id"), 3)
  expect_equal(dbx_delta_upsert(cl, wh, "main.default.silver_payments",
                                data.frame(id = c(2, 4), account = "acc-2", amount = c(25, 5)), keys = "id"), 2)
  silver <- dbx_delta_read(cl, wh, "main.default.silver_payments")
  gold <- aggregate(amount ~ account, data = silver, FUN = sum)
  expect_equal(gold$amount, c(40, 30))
  expect_equal(sum(dbx_delta_read(cl, wh, "main.default.silver_payments", version = 1)$amount), 60)
  expect_equal(dbx_delta_history(cl, wh, "main.default.silver_payments")$operation,
               c("MERGE", "MERGE", "CREATE TABLE"))
  unlink(csv)
})
