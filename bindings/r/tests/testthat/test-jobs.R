API <- "/api/2.2/jobs"

multi <- list(
  name = "etl", max_concurrent_runs = 1, tags = list(team = "data"),
  parameters = list(list(name = "env", default = "dev")),
  job_clusters = list(list(job_cluster_key = "shared",
                           new_cluster = list(spark_version = "15.4.x-scala2.12", node_type_id = "i3.xlarge",
                                              num_workers = 2))),
  tasks = list(
    list(task_key = "ingest", notebook_task = list(notebook_path = "/Repos/etl/ingest"), job_cluster_key = "shared"),
    list(task_key = "transform", depends_on = list(list(task_key = "ingest")),
         spark_python_task = list(python_file = "/Workspace/t.py"), job_cluster_key = "shared")))

simple <- function(name, ...) {
  utils::modifyList(list(name = name, max_concurrent_runs = 5,
                         tasks = list(job_task("main", task = notebook_task(paste0("/Shared/", name))))),
                    list(...))
}

# progress callback for waits: the emulator's virtual clock moves on after each poll
tick <- function(step = 2500) function(id, state) emu_advance(step)
last_json <- function(path) { r <- emu_requests(path); r[[length(r)]]$json }
last_query <- function(path) { r <- emu_requests(path); r[[length(r)]]$query }
hex32 <- "^[0-9a-f]{32}$"

test_that("brickster builders go through libdbx's task builder", {
  t <- job_task("ingest", description = "load", task = notebook_task("/Repos/etl/ingest", list(date = "today"), "WORKSPACE"),
                job_cluster_key = "shared",
                libraries = libraries(lib_pypi("requests"), lib_pypi("private", repo = "https://pypi.example.com"),
                                      lib_whl("/Volumes/m/l/a.whl"), lib_jar("/Volumes/m/l/a.jar"),
                                      list(maven = list(coordinates = "a:b:1"))),
                timeout_seconds = 600, max_retries = 2, min_retry_interval_millis = 1000, retry_on_timeout = TRUE,
                email_notifications = email_notifications(on_failure = "ops@example.com"))
  expect_s3_class(t, "dbx_job_task")
  expect_equal(t$notebook_task$base_parameters$date, "today")
  expect_equal(t$notebook_task$source, "WORKSPACE")
  expect_length(t$libraries, 5)
  expect_equal(t$libraries[[2]]$pypi$repo, "https://pypi.example.com")
  expect_equal(t$max_retries, 2)
  expect_true(t$retry_on_timeout)
  expect_match(attr(t, "json"), '"on_failure":\\["ops@example.com"\\]')
  py <- job_task("transform", depends_on = "ingest", task = spark_python_task("/Workspace/t.py", list("--one")),
                 new_cluster = new_cluster(1, "15.4.x-scala2.12", "i3.xlarge"))
  expect_match(attr(py, "json"), '"parameters":\\["--one"\\]')  # a one-element array stays an array
  expect_equal(py$new_cluster$num_workers, 1)
  whl <- job_task("wheel", depends_on = "transform", run_if = "ALL_DONE", environment_key = "py",
                  task = python_wheel_task("pkg", "main", named_parameters = list(mode = "full")))
  expect_equal(whl$python_wheel_task$named_parameters$mode, "full")
  q <- job_task("query", task = sql_query_task("q1", "wh1", list(p = 1)), depends_on = "wheel")
  expect_equal(q$sql_task$query$query_id, "q1")
  expect_equal(q$sql_task$parameters$p, "1")
  f <- job_task("file", task = sql_file_task("/Shared/r.sql", "wh1", "WORKSPACE"), depends_on = "query")
  expect_equal(f$sql_task$file$path, "/Shared/r.sql")
  child <- job_task("child", task = run_job_task(42, list(a = "b")), depends_on = "file", disabled = FALSE)
  expect_equal(child$run_job_task$job_id, 42)
  expect_false(child$disabled)
  cond <- job_task("cond", task = list(condition_task = list(op = "EQUAL_TO", left = "a", right = "a")))
  expect_equal(cond$condition_task$op, "EQUAL_TO")

  # local checks name the problem, before any request
  expect_error(job_task("has space", task = notebook_task("/a")), 'task_key "has space"', class = "dbx_invalid_argument")
  expect_error(job_task("t", task = run_job_task(0)), "job_id must be > 0", class = "dbx_invalid_argument")
  expect_error(job_task("t", task = notebook_task("/a"), run_if = "MAYBE"), 'run_if "MAYBE"',
               class = "dbx_invalid_argument")
  expect_error(job_task("t", task = notebook_task("/a"), new_cluster = list(num_workers = -1)), "num_workers",
               class = "dbx_invalid_argument")

  cl <- emu_client()
  id <- db_jobs_create("nightly", job_tasks(t, py, whl, q, f, child),
                       schedule = cron_schedule("0 0 3 * * ?", "Europe/Paris", "PAUSED"),
                       job_clusters = list(shared = new_cluster(2, "15.4.x-scala2.12", "i3.xlarge")),
                       parameters = list(env = "prod"), environments = list(list(environment_key = "py",
                                                                                 spec = list(client = "2"))),
                       max_concurrent_runs = 3, client = cl)$job_id
  sent <- last_json(paste0(API, "/create"))
  expect_equal(sent$name, "nightly")
  expect_length(sent$tasks, 6)
  expect_equal(sent$tasks[[2]]$spark_python_task$parameters, "--one")
  expect_equal(sent$schedule$pause_status, "PAUSED")
  expect_equal(sent$job_clusters[[1]]$job_cluster_key, "shared")
  expect_equal(sent$parameters[[1]]$default, "prod")
  expect_true(sent$queue$enabled)
  got <- db_jobs_get(id, client = cl)
  expect_equal(got$settings$max_concurrent_runs, 3)
  expect_length(got$settings$tasks, 6)
})

test_that("jobs: create, get, list, update, reset, delete", {
  cl <- emu_client()
  id <- dbx_jobs_create(cl, multi)
  expect_type(id, "double")
  expect_equal(last_json(paste0(API, "/create"))$tasks[[2]]$depends_on[[1]]$task_key, "ingest")
  job <- dbx_jobs_get(cl, id)
  expect_equal(last_query(paste0(API, "/get"))$job_id, format(id, scientific = FALSE))
  expect_equal(job$job_id, id)
  expect_equal(job$settings$name, "etl")
  expect_equal(dbx_jobs_get(cl, format(id, scientific = FALSE))$job_id, id)  # ids as strings too
  expect_error(dbx_jobs_create(cl, list(name = "x", tasks = list(list(task_key = "a", notebook_task = list(notebook_path = "/a"),
                                                                      depends_on = list(list(task_key = "zz")))))),
               'no task has key "zz"', class = "dbx_invalid_argument")
  expect_error(dbx_job_settings_validate(list(max_concurrent_runs = 5000)), "max_concurrent_runs must be 0..1000",
               class = "dbx_invalid_argument")
  expect_equal(dbx_job_settings_validate(multi)$name, "etl")
  expect_length(emu_requests(paste0(API, "/create")), 1)

  emu_config('{"jobs_page_size_max": 2}')
  ids <- c(id, vapply(c("beta", "Gamma", "beta"), function(n) dbx_jobs_create(cl, simple(n)), 0))
  df <- dbx_jobs_list(cl)
  expect_s3_class(df, "data.frame")
  expect_setequal(df$job_id, ids)
  expect_type(df$job_id, "double")
  expect_s3_class(df$created_time, "POSIXct")
  expect_type(df$max_concurrent_runs, "integer")
  expect_type(df$run_as_user_name, "character")
  expect_length(emu_requests(paste0(API, "/list")), 2)
  betas <- db_jobs_list(name = "BETA", expand_tasks = TRUE, client = cl)
  expect_equal(betas$name, c("beta", "beta"))
  expect_equal(betas$task_count, c(1L, 1L))
  expect_equal(last_query(paste0(API, "/list"))$expand_tasks, "true")
  expect_equal(nrow(dbx_jobs_list(cl, max_items = 3)), 3)
  expect_error(dbx_jobs_list(cl, limit = 101), "limit 0..100", class = "dbx_invalid_argument")

  dbx_jobs_update(cl, id, list(name = "etl-2", tasks = list(job_task("transform", depends_on = "ingest",
                                                                     task = spark_python_task("/Workspace/t2.py")))),
                  fields_to_remove = "tags")
  sent <- last_json(paste0(API, "/update"))
  expect_equal(sent$new_settings$name, "etl-2")
  expect_equal(sent$fields_to_remove, "tags")
  job <- dbx_jobs_get(cl, id)
  expect_equal(job$settings$name, "etl-2")
  expect_null(job$settings$tags)
  db_jobs_update(id, fields_to_remove = "tasks/transform", client = cl)
  expect_length(dbx_jobs_get(cl, id)$settings$tasks, 1)
  expect_error(dbx_jobs_update(cl, id), "new_settings or fields_to_remove is required", class = "dbx_invalid_argument")
  db_jobs_reset(id, "fresh", list(job_task("only", task = spark_python_task("/x.py"))), client = cl)
  sent <- last_json(paste0(API, "/reset"))
  expect_equal(sent$new_settings$name, "fresh")
  expect_equal(dbx_jobs_get(cl, id)$settings$tasks[[1]]$task_key, "only")
  db_jobs_delete(id, client = cl)
  expect_equal(last_json(paste0(API, "/delete"))$job_id, id)
  err <- tryCatch(dbx_jobs_get(cl, id), dbx_not_found = function(e) e)
  expect_s3_class(err, "dbx_not_found")
  expect_match(conditionMessage(err), "does not exist")
  expect_equal(err$path, paste0(API, "/get"))
  expect_error(dbx_jobs_get(cl, 0), "job_id must be > 0", class = "dbx_invalid_argument")
})

test_that("run-now is idempotent, waits report progress, outputs and runs are read", {
  cl <- emu_client()
  # the emulator's clock is real time plus what tests add, and libdbx adds 50-750 ms of jitter to
  # every poll: phases longer than one poll's worth (500 + 760 ms) are always seen
  emu_config('{"run_pending_ms": 2000, "run_running_ms": 200, "run_terminating_ms": 2000}')
  id <- dbx_jobs_create(cl, list(name = "params", max_concurrent_runs = 3,
                                 parameters = list(list(name = "env", default = "dev")),
                                 tasks = list(job_task("a", task = notebook_task("/a")),
                                              job_task("b", depends_on = "a", task = spark_python_task("/b.py")))))
  started <- dbx_jobs_run_now(cl, id, job_parameters = list(env = "prod"))
  expect_match(started$idempotency_token, hex32)
  sent <- last_json(paste0(API, "/run-now"))
  expect_equal(sent$job_id, id)
  expect_equal(sent$job_parameters$env, "prod")
  expect_equal(sent$idempotency_token, started$idempotency_token)

  seen <- character(0)
  run <- dbx_jobs_wait_run(cl, started$run_id, timeout = 60, poll_interval = 0.01,
                           progress = function(id, state) { seen <<- c(seen, state); emu_advance(500) })
  expect_true(all(c("PENDING", "RUNNING", "TERMINATING") %in% seen))
  expect_equal(tail(seen, 1), "TERMINATED")
  expect_equal(run$state$result_state, "SUCCESS")
  expect_s3_class(run$task_runs, "data.frame")
  expect_equal(run$task_runs$task_key, c("a", "b"))
  expect_equal(run$task_runs$result_state, c("SUCCESS", "SUCCESS"))
  got <- db_jobs_runs_get(started$run_id, client = cl)
  expect_equal(got$run_id, started$run_id)
  expect_equal(last_query(paste0(API, "/runs/get"))$run_id, format(started$run_id, scientific = FALSE))
  out <- db_jobs_runs_get_output(run$task_runs$run_id[1], client = cl)
  expect_equal(out$run_id, run$task_runs$run_id[1])
  expect_equal(out$result_state, "SUCCESS")
  expect_false(out$logs_truncated)
  expect_equal(out$metadata$task_key, "a")
  expect_error(dbx_jobs_get_run_output(cl, started$run_id), class = "dbx_invalid_parameter")

  # a dropped answer: libdbx retries with the same token, one run
  emu_ctl("POST", "/__emulator/faults", sprintf('{"path": "%s/run-now", "action": "drop_after"}', API))
  again <- db_jobs_run_now(id, only = "b", queue = TRUE, idempotency_token = "r-token-1", client = cl)
  reqs <- emu_requests(paste0(API, "/run-now"))
  expect_equal(reqs[[length(reqs)]]$json$idempotency_token, "r-token-1")
  expect_equal(reqs[[length(reqs) - 1]]$json$idempotency_token, "r-token-1")
  expect_equal(reqs[[length(reqs)]]$json$only, "b")
  expect_true(reqs[[length(reqs)]]$json$queue$enabled)
  expect_equal(dbx_jobs_run_now(cl, id, idempotency_token = "r-token-1")$run_id, again$run_id)
  expect_equal(nrow(dbx_jobs_list_runs(cl, id)), 2)
  err <- tryCatch(dbx_jobs_run_now(cl, 123456789), dbx_not_found = function(e) e)
  expect_match(err$idempotency_token, hex32)
  expect_error(dbx_jobs_run_now(cl, id, idempotency_token = strrep("a", 65)), "idempotency_token must be 1..64",
               class = "dbx_invalid_argument")

  legacy <- dbx_jobs_create(cl, simple("legacy"))
  dbx_jobs_run_now(cl, legacy, notebook_params = list(k = "v"), python_params = c("--flag"), queue = FALSE)
  sent <- last_json(paste0(API, "/run-now"))
  expect_equal(sent$notebook_params$k, "v")
  expect_equal(sent$python_params, "--flag")
  expect_false(sent$queue$enabled)
  states <- dbx_jobs_run_states()
  expect_equal(states$life_cycle[6], "TERMINATED")
  expect_equal(states$result[3], "SUCCESS")
  emu_advance(60000)
})

test_that("wait failures, timeouts, callback errors and Ctrl-C", {
  cl <- emu_client()
  id <- dbx_jobs_create(cl, list(name = "flaky", tasks = list(
    job_task("extract", task = spark_python_task("/extract.py")),
    job_task("load", depends_on = "extract", task = notebook_task("/load")))))
  emu_ctl("POST", "/__emulator/jobs/task-outcomes",
          '{"rules": [{"match": "extract", "result_state": "FAILED", "state_message": "extract blew up", "error": "ValueError: bad row 17"}]}')
  run_id <- dbx_jobs_run_now(cl, id)$run_id
  err <- tryCatch(dbx_jobs_wait_run(cl, run_id, timeout = 60, poll_interval = 0.01, progress = tick()),
                  dbx_operation_failed = function(e) e)
  expect_s3_class(err, "dbx_operation_failed")
  expect_match(conditionMessage(err), "FAILED")
  expect_equal(err$last$state$result_state, "FAILED")
  expect_equal(err$last$task_runs$result_state, c("FAILED", "UPSTREAM_FAILED"))
  out <- dbx_jobs_get_run_output(cl, err$last$task_runs$run_id[1])
  expect_equal(out$error, "ValueError: bad row 17")

  emu_ctl("DELETE", "/__emulator/jobs/task-outcomes")
  rep <- dbx_jobs_repair_run(cl, run_id, rerun_all_failed_tasks = TRUE, rerun_dependent_tasks = TRUE)
  sent <- last_json(paste0(API, "/runs/repair"))
  expect_true(sent$rerun_all_failed_tasks)
  expect_true(sent$rerun_dependent_tasks)
  expect_true(rep > 0)
  run <- dbx_jobs_wait_run(cl, run_id, timeout = 60, poll_interval = 0.01, progress = tick())
  expect_equal(run$state$result_state, "SUCCESS")
  rep2 <- db_jobs_repair_run(run_id, rerun_tasks = "load", latest_repair_id = rep, client = cl)$repair_id
  sent <- last_json(paste0(API, "/runs/repair"))
  expect_equal(sent$rerun_tasks, "load")
  expect_equal(sent$latest_repair_id, rep)
  expect_true(rep2 != rep)
  expect_error(dbx_jobs_repair_run(cl, run_id), "exactly one of rerun_tasks and rerun_all_failed_tasks",
               class = "dbx_invalid_argument")
  emu_advance(60000)

  slow <- dbx_jobs_run_now(cl, id)$run_id
  expect_error(dbx_jobs_wait_run(cl, slow, timeout = 60, poll_interval = 0.01,
                                 progress = function(id, state) stop("user abort")), "user abort")
  polls <- 0
  got <- tryCatch(dbx_jobs_wait_run(cl, slow, poll_interval = 0.01, progress = function(id, state) {
    polls <<- polls + 1
    if (polls == 2) tools::pskill(Sys.getpid(), tools::SIGINT)
    Sys.sleep(0.01)
  }), interrupt = function(e) "interrupted")
  expect_equal(got, "interrupted")
  expect_equal(polls, 2)
  err <- tryCatch(dbx_jobs_wait_run(cl, slow, timeout = 0.05, poll_interval = 0.01), dbx_timeout = function(e) e)
  expect_s3_class(err, "dbx_timeout")
  expect_equal(err$last$run_id, slow)
  expect_error(dbx_jobs_wait_run(cl, 123456789), "123456789", class = "dbx_not_found")
})

test_that("submit, cancel, cancel-all, delete-run and runs listing", {
  cl <- emu_client()
  started <- db_jobs_runs_submit(list(job_task("x", existing_cluster_id = "0101-abc",
                                               task = spark_python_task("/adhoc.py"))),
                                 run_name = "adhoc", timeout_seconds = 600, client = cl)
  expect_match(started$idempotency_token, hex32)
  expect_equal(started$number_in_job, 0)
  sent <- last_json(paste0(API, "/runs/submit"))
  expect_equal(sent$run_name, "adhoc")
  expect_equal(sent$timeout_seconds, 600)
  expect_equal(sent$idempotency_token, started$idempotency_token)
  run <- dbx_jobs_wait_run(cl, started$run_id, timeout = 60, poll_interval = 0.01, progress = tick())
  expect_equal(run$run_type, "SUBMIT_RUN")
  s2 <- dbx_jobs_submit(cl, list(tasks = list(job_task("x", existing_cluster_id = "0101-abc",
                                                       task = spark_python_task("/adhoc.py")))),
                        idempotency_token = "sub-1")
  expect_equal(last_json(paste0(API, "/runs/submit"))$idempotency_token, "sub-1")
  expect_error(dbx_jobs_submit(cl, multi), "job_clusters belongs to a saved job", class = "dbx_invalid_argument")
  expect_error(dbx_jobs_delete_run(cl, s2$run_id), class = "dbx_invalid_state")
  emu_advance(60000)
  dbx_jobs_delete_run(cl, s2$run_id)
  expect_equal(last_json(paste0(API, "/runs/delete"))$run_id, s2$run_id)
  expect_error(dbx_jobs_get_run(cl, s2$run_id), class = "dbx_not_found")

  id <- dbx_jobs_create(cl, simple("cancel-me"))
  r1 <- dbx_jobs_run_now(cl, id)$run_id
  db_jobs_runs_cancel(r1, client = cl)
  expect_equal(last_json(paste0(API, "/runs/cancel"))$run_id, r1)
  err <- tryCatch(dbx_jobs_wait_run(cl, r1, timeout = 60, poll_interval = 0.01, progress = tick()),
                  dbx_operation_failed = function(e) e)
  expect_equal(err$last$state$result_state, "CANCELED")
  r2 <- dbx_jobs_run_now(cl, id)$run_id
  emu_advance(10)
  r3 <- dbx_jobs_run_now(cl, id)$run_id
  active <- db_jobs_runs_list(id, active_only = TRUE, client = cl)
  expect_equal(active$run_id, c(r3, r2))  # most recent first
  q <- last_query(paste0(API, "/runs/list"))
  expect_equal(q$active_only, "true")
  expect_equal(q$job_id, format(id, scientific = FALSE))
  dbx_jobs_cancel_all_runs(cl, id)
  expect_equal(last_json(paste0(API, "/runs/cancel-all"))$job_id, id)
  emu_advance(5000)
  expect_equal(dbx_jobs_get_run(cl, r2)$state$result_state, "CANCELED")
  dbx_jobs_cancel_all_runs(cl, all_queued_runs = TRUE)
  expect_true(last_json(paste0(API, "/runs/cancel-all"))$all_queued_runs)
  expect_error(dbx_jobs_cancel_all_runs(cl), "job_id", class = "dbx_invalid_argument")

  done <- dbx_jobs_list_runs(cl, completed_only = TRUE, limit = 1, expand_tasks = TRUE)
  expect_s3_class(done, "data.frame")
  expect_true(all(done$life_cycle_state == "TERMINATED"))
  expect_true(all(done$is_terminal))
  expect_equal(done$is_success, done$result_state == "SUCCESS")
  expect_equal(done$termination_code[done$run_id == r1], "USER_CANCELED")
  expect_true(all(done$status == "TERMINATED"))
  expect_type(done$setup_duration, "double")
  expect_s3_class(done$start_time, "POSIXct")
  expect_type(done$run_duration, "double")
  expect_equal(done$run_id[1], r3)
  expect_equal(nrow(attr(done, "raw")[[1]]$task_runs), 1)
  q <- last_query(paste0(API, "/runs/list"))
  expect_equal(q$completed_only, "true")
  expect_equal(q$limit, "1")
  expect_equal(q$expand_tasks, "true")
  start <- done$start_time[done$run_id == r1]
  win <- dbx_jobs_list_runs(cl, start_time_from = start, start_time_to = start, run_type = "JOB_RUN")
  expect_true(r1 %in% win$run_id)
  q <- last_query(paste0(API, "/runs/list"))
  expect_equal(q$start_time_from, format(round(as.numeric(start) * 1000), scientific = FALSE))
  expect_equal(q$run_type, "JOB_RUN")
  expect_error(dbx_jobs_list_runs(cl, active_only = TRUE, completed_only = TRUE), "mutually exclusive",
               class = "dbx_invalid_argument")
  emu_advance(60000)
})
