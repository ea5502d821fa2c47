ML <- "/api/2.0/mlflow"

ml_last <- function(endpoint) {
  r <- emu_requests(paste0(ML, "/", endpoint))
  r[[length(r)]]
}
ml_count <- function(endpoint) length(emu_requests(paste0(ML, "/", endpoint)))
ml_all_requests <- function() emu_ctl("GET", "/__emulator/requests")$requests
ml_hdr <- function(req, name) {
  h <- req$headers
  i <- match(name, tolower(names(h)))
  if (is.na(i)) NULL else h[[i]]
}
n_requests <- function() length(emu_ctl("GET", "/__emulator/requests")$requests)
kv_has <- function(lst, key, value) any(vapply(lst, function(t) identical(t$key, key) && identical(t$value, value), logical(1)))

test_that("experiments: create, get, search, rename, tags, delete, restore", {
  cl <- emu_client()
  id <- mlflow_create_experiment("/Shared/r-exp", tags = list(team = "fraud", n = 3), client = cl)
  req <- ml_last("experiments/create")
  expect_equal(req$json$name, "/Shared/r-exp")
  expect_null(req$json$artifact_location)
  expect_true(kv_has(req$json$tags, "n", "3"))
  expect_type(id, "character")

  e <- mlflow_get_experiment(id, client = cl)
  expect_equal(ml_last("experiments/get")$query$experiment_id, id)
  expect_s3_class(e, "data.frame")
  expect_equal(nrow(e), 1)
  expect_equal(e$name, "/Shared/r-exp")
  expect_equal(e$lifecycle_stage, "active")
  expect_s3_class(e$creation_time, "POSIXct")
  expect_equal(e$tags[[1]]$value[e$tags[[1]]$key == "team"], "fraud")
  e2 <- mlflow_get_experiment(name = "/Shared/r-exp", client = cl)
  expect_equal(ml_last("experiments/get-by-name")$query$experiment_name, "/Shared/r-exp")
  expect_equal(e2$experiment_id, id)
  expect_error(mlflow_get_experiment(name = "/Shared/none", client = cl), class = "dbx_not_found")
  expect_error(mlflow_get_experiment(client = cl), "exactly one")

  mlflow_rename_experiment("/Shared/r-exp2", experiment_id = id, client = cl)
  expect_equal(ml_last("experiments/update")$json$new_name, "/Shared/r-exp2")
  mlflow_set_experiment_tag("stage", "dev", experiment_id = id, client = cl)
  expect_equal(ml_last("experiments/set-experiment-tag")$json$value, "dev")
  expect_true("stage" %in% mlflow_get_experiment(id, client = cl)$tags[[1]]$key)
  dbx_mlflow_delete_experiment_tag(cl, id, "stage")
  expect_equal(ml_last("experiments/delete-experiment-tag")$json$key, "stage")
  expect_false("stage" %in% mlflow_get_experiment(id, client = cl)$tags[[1]]$key)

  mlflow_delete_experiment(id, client = cl)
  expect_equal(ml_last("experiments/delete")$json$experiment_id, id)
  expect_equal(mlflow_get_experiment(id, client = cl)$lifecycle_stage, "deleted")
  mlflow_restore_experiment(id, client = cl)
  expect_equal(ml_last("experiments/restore")$json$experiment_id, id)
  expect_equal(mlflow_get_experiment(id, client = cl)$lifecycle_stage, "active")

  expect_error(mlflow_create_experiment("/Shared/r-exp2", client = cl), class = "dbx_already_exists")
  n <- n_requests()
  expect_error(mlflow_create_experiment(strrep("x", 600), client = cl), class = "dbx_invalid_argument")
  expect_equal(n_requests(), n)
})

test_that("mlflow_search_experiments pages and returns a typed data.frame", {
  cl <- emu_client()
  emu_config('{"page_size_mlflow_search": 2}')
  ids <- vapply(0:4, function(i) mlflow_create_experiment(sprintf("/Shared/s%d", i), client = cl), character(1))
  df <- mlflow_search_experiments(filter = "name LIKE '/Shared/s%'", order_by = list("name ASC"),
                                  page_size = 2, client = cl)
  expect_equal(df$name, sprintf("/Shared/s%d", 0:4))
  expect_type(df$experiment_id, "character")
  expect_s3_class(df$last_update_time, "POSIXct")
  reqs <- emu_requests(paste0(ML, "/experiments/search"))
  expect_equal(length(reqs), 3)
  expect_equal(reqs[[1]]$json$filter, "name LIKE '/Shared/s%'")
  expect_equal(unlist(reqs[[1]]$json$order_by), "name ASC")
  expect_equal(reqs[[1]]$json$view_type, "ACTIVE_ONLY")
  expect_equal(reqs[[1]]$json$max_results, 2)
  expect_equal(nrow(mlflow_search_experiments(max_results = 3, client = cl)), 3)
  mlflow_delete_experiment(ids[1], client = cl)
  del <- mlflow_search_experiments(experiment_view_type = "DELETED_ONLY", client = cl)
  expect_equal(del$experiment_id, ids[1])
  empty <- mlflow_search_experiments(filter = "name = 'none'", client = cl)
  expect_equal(nrow(empty), 0)
  expect_type(empty$name, "character")
  expect_error(mlflow_search_experiments(filter = "name OR x", client = cl), class = "dbx_invalid_parameter")
})

test_that("runs: start, log, get, tags, end, delete, restore", {
  cl <- emu_client()
  exp <- mlflow_create_experiment("/Shared/r-runs", client = cl)
  run <- mlflow_start_run(experiment_id = exp, start_time = 1700000000000, tags = c(src = "r"), run_name = "first", client = cl)
  req <- ml_last("runs/create")
  expect_equal(req$json$experiment_id, exp)
  expect_equal(req$json$run_name, "first")
  expect_equal(as.numeric(req$json$start_time), 1700000000000)
  expect_true(kv_has(req$json$tags, "src", "r"))
  expect_s3_class(run, "data.frame")
  expect_equal(run$status, "RUNNING")
  expect_equal(run$run_name, "first")
  expect_equal(as.numeric(run$start_time), 1700000000)
  expect_true(is.na(run$end_time))
  rid <- run$run_id

  mlflow_log_param("lr", 0.01, run_id = rid, client = cl)
  expect_equal(ml_last("runs/log-parameter")$json$value, "0.01")
  mlflow_log_metric("loss", 0.5, timestamp = 1000, step = 3, run_id = rid, client = cl)
  req <- ml_last("runs/log-metric")
  expect_equal(req$json$value, 0.5)
  expect_equal(as.numeric(req$json$timestamp), 1000)
  expect_equal(as.numeric(req$json$step), 3)
  mlflow_log_metric("nan", NaN, run_id = rid, client = cl)
  expect_equal(ml_last("runs/log-metric")$json$value, "NaN")
  mlflow_set_tag("k", "v", run_id = rid, client = cl)
  expect_equal(ml_last("runs/set-tag")$json$key, "k")

  got <- mlflow_get_run(rid, client = cl)
  expect_equal(ml_last("runs/get")$query$run_id, rid)
  expect_equal(got$params[[1]]$value[got$params[[1]]$key == "lr"], "0.01")
  m <- got$metrics[[1]]
  expect_equal(m$value[m$key == "loss"], 0.5)
  expect_equal(m$step[m$key == "loss"], 3)
  expect_true(is.nan(m$value[m$key == "nan"]))
  expect_true("k" %in% got$tags[[1]]$key)

  mlflow_delete_tag("k", run_id = rid, client = cl)
  expect_equal(ml_last("runs/delete-tag")$json$key, "k")
  dbx_mlflow_update_run(cl, rid, run_name = "renamed")
  req <- ml_last("runs/update")
  expect_equal(req$json$run_name, "renamed")
  expect_null(req$json$status)
  mlflow_end_run("KILLED", end_time = 1700000005000, run_id = rid, client = cl)
  req <- ml_last("runs/update")
  expect_equal(req$json$status, "KILLED")
  expect_equal(as.numeric(req$json$end_time), 1700000005000)
  got <- mlflow_get_run(rid, client = cl)
  expect_equal(got$status, "KILLED")
  expect_equal(got$run_name, "renamed")
  expect_error(dbx_mlflow_update_run(cl, rid, status = "DONE"), class = "dbx_invalid_argument")

  mlflow_delete_run(rid, client = cl)
  expect_equal(ml_last("runs/delete")$json$run_id, rid)
  expect_equal(mlflow_get_run(rid, client = cl)$lifecycle_stage, "deleted")
  expect_error(mlflow_log_param("x", "1", run_id = rid, client = cl), class = "dbx_invalid_parameter")
  dbx_mlflow_restore_run(cl, rid)
  expect_equal(ml_last("runs/restore")$json$run_id, rid)
  expect_equal(mlflow_get_run(rid, client = cl)$lifecycle_stage, "active")
  resumed <- mlflow_start_run(rid, client = cl)  # MLflow's first argument: resume a run
  req <- ml_last("runs/update")
  expect_equal(req$json$run_id, rid)
  expect_equal(req$json$status, "RUNNING")
  expect_equal(resumed$status, "RUNNING")
  expect_error(mlflow_start_run(client = cl), "experiment_id")
  expect_error(mlflow_log_param("lr", "0.02", run_id = rid, client = cl), class = "dbx_invalid_parameter")
  expect_error(mlflow_get_run(strrep("0", 32), client = cl), class = "dbx_not_found")
  expect_equal(dbx_mlflow_run_status_name(3), "FINISHED")
})

test_that("mlflow_log_batch takes data.frames; dbx_mlflow_log_inputs logs datasets", {
  cl <- emu_client()
  exp <- mlflow_create_experiment("/Shared/r-batch", client = cl)
  rid <- mlflow_start_run(experiment_id = exp, client = cl)$run_id
  mlflow_log_batch(metrics = data.frame(key = c("acc", "acc"), value = c(0.9, 0.95), timestamp = c(10, 20),
                                        step = c(1, 2)),
                   params = data.frame(key = c("p1", "p2"), value = c("a", "7")),
                   tags = list(t1 = "x"), run_id = rid, client = cl)
  req <- ml_last("runs/log-batch")$json
  expect_equal(req$run_id, rid)
  expect_equal(length(req$metrics), 2)
  expect_equal(req$metrics[[2]]$value, 0.95)
  expect_equal(as.numeric(req$metrics[[2]]$step), 2)
  expect_true(kv_has(req$params, "p2", "7"))
  expect_true(kv_has(req$tags, "t1", "x"))
  got <- mlflow_get_run(rid, client = cl)
  expect_equal(got$metrics[[1]]$value, 0.95)
  n <- n_requests()
  expect_error(mlflow_log_batch(params = data.frame(key = c("d", "d"), value = c("1", "2")), run_id = rid,
                                client = cl), class = "dbx_invalid_argument")
  expect_equal(n_requests(), n)

  dbx_mlflow_log_inputs(cl, rid, list(
    list(name = "train", digest = "abc123", source_type = "local", source = list(uri = "/tmp/t.csv"),
         tags = c(mlflow.data.context = "training")),
    list(name = "eval", digest = "def456", source_type = "code", source = "{}")))
  req <- ml_last("runs/log-inputs")$json
  expect_equal(req$datasets[[1]]$dataset$name, "train")
  expect_equal(req$datasets[[1]]$dataset$source, '{"uri":"/tmp/t.csv"}')
  expect_equal(req$datasets[[1]]$tags[[1]]$key, "mlflow.data.context")
  expect_null(req$datasets[[2]]$dataset$schema)
  got <- mlflow_get_run(rid, client = cl)
  expect_equal(got$datasets[[1]]$name, c("train", "eval"))
  expect_equal(got$datasets[[1]]$digest, c("abc123", "def456"))
  expect_equal(length(got$inputs[[1]]$dataset_inputs), 2)
})

test_that("mlflow_search_runs and mlflow_get_metric_history page into data.frames", {
  cl <- emu_client()
  emu_config('{"page_size_mlflow_search": 2, "page_size_mlflow_history": 3}')
  exp <- mlflow_create_experiment("/Shared/r-search", client = cl)
  other <- mlflow_create_experiment("/Shared/r-other", client = cl)
  ids <- character(0)
  for (i in 0:4) {
    r <- mlflow_start_run(experiment_id = if (i %% 2 == 0) exp else other, run_name = paste0("r", i), start_time = 1000 + i,
                          client = cl)
    mlflow_log_metric("rmse", i, timestamp = 5, run_id = r$run_id, client = cl)
    ids <- c(ids, r$run_id)
  }
  df <- mlflow_search_runs(filter = "metrics.rmse < 4", run_view_type = "ALL", experiment_ids = c(exp, other),
                           order_by = list("metrics.rmse DESC"), page_size = 2, client = cl)
  expect_equal(df$run_name, c("r3", "r2", "r1", "r0"))
  expect_s3_class(df$start_time, "POSIXct")
  expect_type(df$metrics, "list")
  expect_equal(df$metrics[[1]]$value, 3)
  reqs <- emu_requests(paste0(ML, "/runs/search"))
  expect_equal(length(reqs), 2)
  expect_equal(unlist(reqs[[1]]$json$experiment_ids), c(exp, other))
  expect_equal(reqs[[1]]$json$filter, "metrics.rmse < 4")
  expect_equal(reqs[[1]]$json$run_view_type, "ALL")
  expect_true(nzchar(reqs[[2]]$json$page_token))
  expect_equal(mlflow_search_runs(experiment_ids = exp, max_results = 1, client = cl)$run_name, "r4")

  rid <- ids[1]
  for (s in 1:7) mlflow_log_metric("loss", 1 / s, timestamp = 100 + s, step = s, run_id = rid, client = cl)
  h <- mlflow_get_metric_history("loss", run_id = rid, client = cl)
  expect_equal(h$step, 1:7)
  expect_type(h$value, "double")
  expect_equal(h$value[2], 0.5)
  expect_s3_class(h$timestamp, "POSIXct")
  reqs <- emu_requests(paste0(ML, "/metrics/get-history"))
  expect_equal(length(reqs), 3)
  expect_equal(reqs[[1]]$query$metric_key, "loss")
  expect_equal(nrow(mlflow_get_metric_history("loss", run_id = rid, max_results = 4, client = cl)), 4)
  empty <- mlflow_get_metric_history("none", run_id = rid, client = cl)
  expect_equal(nrow(empty), 0)
})

test_that("the logger batches, reports failures, and retries", {
  cl <- emu_client()
  exp <- mlflow_create_experiment("/Shared/r-logger", client = cl)
  rid <- mlflow_start_run(experiment_id = exp, client = cl)$run_id
  lg <- dbx_mlflow_logger(cl, rid)
  dbx_mlflow_logger_log_metric(lg, "m", as.numeric(0:1499), timestamp = 1, step = 0:1499)  # vectorised
  dbx_mlflow_logger_log_param(lg, c("a", "b"), c("1", "two"))
  dbx_mlflow_logger_set_tag(lg, "t", "x")
  expect_error(dbx_mlflow_logger_log_param(lg, "a", "2"), class = "dbx_invalid_argument")
  expect_equal(dbx_mlflow_logger_status(lg)$pending, 1503)
  expect_equal(ml_count("runs/log-batch"), 0)
  emu_ctl("POST", "/__emulator/faults", sprintf(
    '{"path":"%s/runs/log-batch","after":1,"times":1,"action":"status","status":400,"body":{"error_code":"INVALID_PARAMETER_VALUE","message":"nope"}}', ML))
  expect_error(dbx_mlflow_logger_flush(lg), "nope", class = "dbx_invalid_parameter")
  s <- dbx_mlflow_logger_status(lg)
  expect_equal(s$last_failure$first, 1000)
  expect_equal(s$last_failure$count, 503)
  expect_equal(s$last_failure$status_name, "DBX_EINVALIDPARAM")
  expect_equal(s$pending, 503)
  expect_equal(s$requests, 1)
  dbx_mlflow_logger_close(lg)  # flushes the rest
  expect_true(dbx_mlflow_logger_status(lg)$closed)
  expect_error(dbx_mlflow_logger_flush(lg), class = "dbx_invalid_argument")
  reqs <- emu_requests(paste0(ML, "/runs/log-batch"))
  expect_equal(length(reqs[[3]]$json$metrics), 500)
  expect_true(kv_has(reqs[[3]]$json$params, "b", "two"))
  expect_equal(nrow(mlflow_get_metric_history("m", run_id = rid, client = cl)), 1500)
  expect_output(print(lg), "closed")
})

test_that("dbx_mlflow_with_logger flushes on exit; dbx_mlflow_with_run ends FINISHED or FAILED", {
  cl <- emu_client()
  exp <- mlflow_create_experiment("/Shared/r-with", client = cl)
  v <- dbx_mlflow_with_run(cl, exp, run_name = "ok", function(rid) {
    dbx_mlflow_with_logger(cl, rid, auto_flush = TRUE, function(lg) {
      dbx_mlflow_logger_log_metric(lg, "q", as.numeric(1:1001), timestamp = 1, step = 1:1001)
      expect_equal(ml_count("runs/log-batch"), 1)  # auto_flush sent the full request
      expect_output(print(lg), "pending=1")
    })
    expect_equal(ml_count("runs/log-batch"), 2)
    rid
  })
  req <- ml_last("runs/update")
  expect_equal(req$json$run_id, v)
  expect_equal(req$json$status, "FINISHED")
  got <- mlflow_get_run(v, client = cl)
  expect_equal(got$status, "FINISHED")
  expect_equal(got$metrics[[1]]$value, 1001)
  failed <- NULL
  expect_error(dbx_mlflow_with_run(cl, exp, function(rid) {
    failed <<- rid
    stop("boom")
  }), "boom")
  expect_equal(ml_last("runs/update")$json$status, "FAILED")
  expect_equal(mlflow_get_run(failed, client = cl)$status, "FAILED")
  # the body's error wins over a failing exit flush
  emu_ctl("POST", "/__emulator/faults", sprintf(
    '{"path":"%s/runs/log-batch","times":1,"action":"status","status":400}', ML))
  expect_error(dbx_mlflow_with_logger(cl, v, function(lg) {
    dbx_mlflow_logger_log_metric(lg, "z", 1)
    stop("body error")
  }), "body error")
})

test_that("artifacts: files, raw vectors, directories, listing and downloads", {
  cl <- emu_client()
  exp <- mlflow_create_experiment("/Shared/r-art", client = cl)
  rid <- mlflow_start_run(experiment_id = exp, client = cl)$run_id
  dir <- tempfile("model-")
  dir.create(file.path(dir, "data"), recursive = TRUE)
  writeLines("artifact_path: model", file.path(dir, "MLmodel"))
  writeBin(charToRaw("PICKLE"), file.path(dir, "data", "model.pkl"))
  mlflow_log_artifact(dir, artifact_path = "model", run_id = rid, client = cl)
  expect_equal(ml_last("artifacts/credentials-for-write")$json$run_id, rid)
  puts <- Filter(function(r) identical(r$server, "other") && r$method == "PUT", ml_all_requests())
  expect_equal(length(puts), 2)
  expect_true(all(vapply(puts, function(r) is.null(ml_hdr(r, "authorization")), logical(1))))
  notes <- tempfile(fileext = ".txt")
  writeBin(charToRaw("hello notes"), notes)
  mlflow_log_artifact(notes, artifact_path = "docs", run_id = rid, client = cl)
  expect_equal(unlist(ml_last("artifacts/credentials-for-write")$json$path), paste0("docs/", basename(notes)))
  payload <- as.raw(c(0, 1, 2, 255))
  dbx_mlflow_upload_artifact(cl, rid, "raw.bin", payload)
  expect_equal(unlist(ml_last("artifacts/credentials-for-write")$json$path), "raw.bin")

  ls <- mlflow_list_artifacts(run_id = rid, client = cl)
  expect_null(ml_last("artifacts/list")$query$path)
  expect_equal(ls$path, c("docs", "model", "raw.bin"))
  expect_equal(ls$is_dir, c(TRUE, TRUE, FALSE))
  expect_equal(ls$file_size, c(NA, NA, 4))
  expect_type(ls$file_size, "double")
  sub <- mlflow_list_artifacts("model", run_id = rid, client = cl)
  expect_equal(ml_last("artifacts/list")$query$path, "model")
  expect_equal(sub$path, c("model/MLmodel", "model/data"))

  expect_identical(dbx_mlflow_download_artifact(cl, rid, "raw.bin"), payload)
  expect_equal(unlist(ml_last("artifacts/credentials-for-read")$json$path), "raw.bin")
  out <- tempfile()
  dbx_mlflow_download_artifact(cl, rid, "model/data/model.pkl", out)
  expect_identical(readBin(out, "raw", 100), charToRaw("PICKLE"))
  local <- mlflow_download_artifacts("model", run_id = rid, client = cl)
  expect_equal(readLines(file.path(local, "MLmodel")), "artifact_path: model")
  expect_identical(readBin(file.path(local, "data", "model.pkl"), "raw", 100), charToRaw("PICKLE"))
  f <- mlflow_download_artifacts(paste0("docs/", basename(notes)), run_id = rid, dst_path = tempfile(), client = cl)
  expect_equal(basename(f), basename(notes))
  expect_identical(readBin(f, "raw", 100), charToRaw("hello notes"))
  all <- mlflow_download_artifacts(run_id = rid, client = cl)
  expect_true(file.exists(file.path(all, "model", "data", "model.pkl")))

  expect_error(dbx_mlflow_download_artifact(cl, rid, "none.bin"), class = "dbx_not_found")
  expect_error(mlflow_download_artifacts("none.bin", run_id = rid, client = cl), class = "dbx_not_found")
  n <- n_requests()
  expect_error(dbx_mlflow_upload_artifact(cl, rid, "/abs", payload), class = "dbx_invalid_argument")
  expect_equal(n_requests(), n)
  expect_error(dbx_mlflow_upload_artifact(cl, rid, "x", 42), "raw vector")
})

test_that("artifacts of an experiment on a UC volume go through the Files API", {
  cl <- emu_client()
  exp <- mlflow_create_experiment("/Shared/r-vol", artifact_location = "dbfs:/Volumes/main/default/vol/mlruns",
                                  client = cl)
  expect_equal(ml_last("experiments/create")$json$artifact_location, "dbfs:/Volumes/main/default/vol/mlruns")
  rid <- mlflow_start_run(experiment_id = exp, client = cl)$run_id
  dbx_mlflow_upload_artifact(cl, rid, "m/x.txt", charToRaw("volume bytes"))
  put <- emu_requests(sprintf("/api/2.0/fs/files/Volumes/main/default/vol/mlruns/%s/artifacts/m/x.txt", rid))
  expect_equal(put[[1]]$method, "PUT")
  expect_equal(mlflow_list_artifacts(run_id = rid, client = cl)$path, "m")
  expect_identical(dbx_mlflow_download_artifact(cl, rid, "m/x.txt"), charToRaw("volume bytes"))
})

test_that("dbx_client passes the MLflow retry options and registry_uri to the C client", {
  emu_reset()
  fast <- dbx_client(host = emu_start(), token = "dapi-emulator-token", no_env = TRUE,
                     no_config_file = TRUE, retry_timeout = 0.001, mlflow_retry_timeout = 30,
                     mlflow_retry_initial_delay = 0.01, mlflow_retry_max_delay = 0.02,
                     registry_uri = "databricks-uc")
  exp <- mlflow_create_experiment("/Shared/r-retry", client = fast)
  fault <- sprintf('{"path":"%s/experiments/get","times":3,"action":"status","status":429,"body":{"error_code":"REQUEST_LIMIT_EXCEEDED","message":"slow down"}}', ML)
  emu_ctl("POST", "/__emulator/faults", fault)
  expect_equal(mlflow_get_experiment(experiment_id = exp, client = fast)$name, "/Shared/r-retry")
  expect_equal(ml_count("experiments/get"), 4)
  # registry_uri = "databricks-uc": a one-part name is refused locally as a UC name
  expect_error(mlflow_get_registered_model("fraud", client = fast), class = "dbx_invalid_argument")
  # a tiny MLflow budget gives up on the first 429
  tight <- dbx_client(host = emu_start(), token = "dapi-emulator-token", no_env = TRUE,
                      no_config_file = TRUE, mlflow_retry_timeout = 0.001)
  emu_ctl("POST", "/__emulator/faults", fault)
  expect_error(mlflow_get_experiment(experiment_id = exp, client = tight), class = "dbx_rate_limited")
  expect_equal(ml_count("experiments/get"), 5)
})
