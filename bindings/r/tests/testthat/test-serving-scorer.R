# The real-time scorer against the emulator: asserted on the requests sent and on counts,
# never on elapsed time.
SC_INV <- "/serving-endpoints/sc-ep/invocations"
SC_MLMODEL <- "artifact_path: model\nflavors:\n  python_function:\n    loader_module: x\n"
SC_MODEL <- paste0('{"flavor":"logistic","features":["amount","hour"],"intercept":-3.2,',
                   '"coefficients":[0.8,0.1],"categorical":{"channel":{"web":0.7,"pos":-0.2}}}')

sc_client <- function() {
  cl <- emu_client()
  dbx_request(cl, "POST", "/api/2.0/mlflow/registered-models/create", '{"name":"fraud"}')
  dbx_dbfs_put(cl, "/models/fraud/r1/MLmodel", charToRaw(SC_MLMODEL), overwrite = TRUE)
  dbx_dbfs_put(cl, "/models/fraud/r1/model.json", charToRaw(SC_MODEL), overwrite = TRUE)
  dbx_request(cl, "POST", "/api/2.0/mlflow/model-versions/create", '{"name":"fraud","source":"dbfs:/models/fraud/r1"}')
  dbx_serving_create(cl, "sc-ep", list(served_entities = list(list(entity_name = "fraud", entity_version = "1"))))
  dbx_serving_wait_ready(cl, "sc-ep")
  emu_ctl("DELETE", "/__emulator/requests")
  cl
}

sc_rows <- function(n) {
  data.frame(amount = (seq_len(n) - 1) / 4 - 2, hour = as.integer((seq_len(n) - 1) %% 24),
             channel = ifelse((seq_len(n) - 1) %% 3 == 0, "pos", "web"), stringsAsFactors = FALSE)
}

test_that("score_many: one query per row, many in flight, predictions in row order", {
  cl <- sc_client()
  emu_config('{"serving_model_latency_ms": 100}')
  df <- sc_rows(20)
  want <- dbx_serving_query(cl, "sc-ep", dataframe_split = df)$predictions
  emu_ctl("DELETE", "/__emulator/requests")
  got <- dbx_serving_score_many(cl, "sc-ep", df, max_in_flight = 8)
  expect_type(got, "double")
  expect_equal(got, want, tolerance = 1e-12)
  sent <- emu_requests(SC_INV)
  expect_length(sent, 20)
  hours <- sort(vapply(sent, function(r) as.numeric(r$json$dataframe_split$data[[1]][[2]]), numeric(1)))
  expect_equal(hours, sort(df$hour))
  expect_true(all(vapply(sent, function(r) startsWith(r$headers$authorization, "Bearer "), logical(1))))
  # records format, HTTP/1.1 only
  got2 <- dbx_serving_score_many(cl, "sc-ep", df[1:3, ], format = "dataframe_records")
  expect_equal(got2, want[1:3], tolerance = 1e-12)
  expect_true(!is.null(emu_requests(SC_INV)[[21]]$json$dataframe_records))
  # a model error: the classed condition, with the model's message
  err <- tryCatch(dbx_serving_score_many(cl, "sc-ep", data.frame(amount = 1)), error = function(e) e)
  expect_s3_class(err, "dbx_bad_request")
  expect_match(conditionMessage(err), "Model is missing inputs")
  expect_equal(err$http_status, 400L)
})

test_that("scorer handle: submit, next, poll, cancel, drain, stats, close", {
  cl <- sc_client()
  emu_config('{"serving_model_latency_ms": 200}')
  s <- dbx_serving_scorer(cl, "sc-ep", max_in_flight = 1, http1 = TRUE)
  expect_output(print(s), "dbx_serving_scorer sc-ep")
  ids <- dbx_serving_scorer_submit(s, sc_rows(3))
  expect_equal(ids, c(1, 2, 3))
  id4 <- dbx_serving_scorer_submit(s, body = list(inputs = list(amount = list(2.5), hour = list(13),
                                                                 channel = list("web"))))
  expect_equal(id4, 4)
  expect_equal(dbx_serving_scorer_poll(s, 0), 0)
  st <- dbx_serving_scorer_stats(s)
  expect_equal(c(st$in_flight, st$queued), c(1, 3))
  expect_true(dbx_serving_scorer_cancel(s, 3))   # queued
  expect_true(dbx_serving_scorer_cancel(s, 1))   # in flight
  expect_false(dbx_serving_scorer_cancel(s, 1))
  expect_false(dbx_serving_scorer_cancel(s, 99))
  done <- dbx_serving_scorer_drain(s)
  expect_length(done, 4)
  byid <- setNames(done, vapply(done, function(d) as.character(d$id), ""))
  expect_false(byid[["1"]]$ok)
  expect_s3_class(byid[["1"]]$error, "dbx_cancelled")
  expect_s3_class(byid[["3"]]$error, "dbx_cancelled")
  expect_true(byid[["2"]]$ok)
  expect_true(byid[["4"]]$ok)
  expect_equal(byid[["4"]]$predictions, 1 / (1 + exp(-0.8)), tolerance = 1e-12)
  expect_equal(byid[["4"]]$served_model_name, "fraud-1")
  expect_null(dbx_serving_scorer_next(s, 0))
  st <- dbx_serving_scorer_stats(s)
  expect_equal(c(st$submitted, st$succeeded, st$cancelled, st$failed), c(4, 2, 2, 2))
  expect_gte(st$connections, 1)
  dbx_serving_scorer_close(s)
  expect_error(dbx_serving_scorer_next(s), "closed")
  dbx_serving_scorer_close(s)  # twice is fine
})

test_that("per-query timeout, retries after 429, bad arguments", {
  cl <- sc_client()
  emu_ctl("POST", "/__emulator/faults",
          paste0('{"method":"POST","path":"', SC_INV, '","action":"delay","delay_ms":3000,"times":1}'))
  s <- dbx_serving_scorer(cl, "sc-ep", max_in_flight = 4, timeout = 1)
  dbx_serving_scorer_submit(s, sc_rows(3))
  done <- dbx_serving_scorer_drain(s)
  oks <- vapply(done, function(d) d$ok, logical(1))
  expect_equal(sum(!oks), 1)
  expect_s3_class(done[[which(!oks)]]$error, "dbx_timeout")
  expect_equal(dbx_serving_scorer_stats(s)$timed_out, 1)
  emu_ctl("POST", "/__emulator/faults",
          paste0('{"method":"POST","path":"', SC_INV, '","action":"status","status":429,',
                 '"headers":{"Retry-After":"0"}}'))
  dbx_serving_scorer_submit(s, sc_rows(1))
  d <- dbx_serving_scorer_next(s, wait = NULL)
  expect_true(d$ok)
  expect_equal(dbx_serving_scorer_stats(s)$retried, 1)
  dbx_serving_scorer_close(s)

  expect_error(dbx_serving_scorer(cl, "sc-ep", max_in_flight = 5000), class = "dbx_invalid_argument")
  expect_error(dbx_serving_scorer(cl, "", max_in_flight = 2), "name is required")
  expect_error(dbx_serving_scorer(cl, "sc-ep", timeout = -1), "timeout")
  s <- dbx_serving_scorer(cl, "sc-ep")
  expect_error(dbx_serving_scorer_submit(s, body = "[1]"), "body must be a JSON object",
               class = "dbx_invalid_argument")
  expect_error(dbx_serving_scorer_submit(s), "exactly one")
  expect_error(dbx_serving_scorer_submit(s, sc_rows(1), format = "csv"), "format")
  dbx_serving_scorer_close(s)
})
