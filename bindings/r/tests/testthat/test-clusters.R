spec <- list(cluster_name = "fraud-train", spark_version = "15.4.x-scala2.12",
             node_type_id = "i3.xlarge", num_workers = 2)

test_that("create and get send the spec and read the answer", {
  cl <- emu_client()
  id <- dbx_clusters_create(cl, spec, custom_tags = list(team = "fraud"), autotermination_minutes = 30)
  expect_type(id, "character")
  sent <- emu_requests("/api/2.1/clusters/create")[[1]]$json
  expect_equal(sent$custom_tags$team, "fraud")
  expect_equal(sent$autotermination_minutes, 30)
  got <- dbx_clusters_get(cl, id)
  expect_equal(got$cluster_id, id)
  expect_equal(got$state, "PENDING")
  expect_equal(got$num_workers, 2)
})

test_that("errors are classed conditions with the service detail", {
  cl <- emu_client()
  err <- tryCatch(dbx_clusters_get(cl, "nope"), dbx_not_found = function(e) e)
  expect_s3_class(err, "dbx_not_found")
  expect_s3_class(err, "dbx_error")
  expect_equal(err$http_status, 400L)
  expect_equal(err$error_code, "INVALID_PARAMETER_VALUE")
  expect_equal(err$path, "/api/2.1/clusters/get")
  expect_match(conditionMessage(err), "nope")
  expect_error(dbx_clusters_get(cl, ""), class = "dbx_invalid_argument")
  expect_error(dbx_clusters_create(cl, list(spark_version = 15)), class = "dbx_invalid_argument")
  expect_error(dbx_client(no_env = TRUE, no_config_file = TRUE), class = "dbx_config_error")
})

test_that("list follows pages and returns a typed data.frame", {
  cl <- emu_client()
  emu_config('{"page_size_clusters": 2}')
  ids <- vapply(1:5, function(i) dbx_clusters_create(cl, spec, cluster_name = paste0("c", i)), "")
  df <- dbx_clusters_list(cl, page_size = 2)
  expect_s3_class(df, "data.frame")
  expect_setequal(df$cluster_id, ids)
  expect_type(df$num_workers, "double")
  expect_s3_class(df$start_time, "POSIXct")
  expect_length(emu_requests("/api/2.1/clusters/list"), 3)
  expect_equal(nrow(dbx_clusters_list(cl, states = "RUNNING")), 0)
  expect_error(dbx_clusters_list(cl, states = "SLEEPING"), class = "dbx_invalid_argument")
})

test_that("waits report progress, fail with the last snapshot, and stop on request", {
  cl <- emu_client()
  id <- dbx_clusters_create(cl, spec)
  seen <- character(0)
  got <- dbx_clusters_wait_running(cl, id, timeout = 60, poll_interval = 0.01,
                                   progress = function(id, state) { seen <<- c(seen, state); emu_advance(600) })
  expect_equal(got$state, "RUNNING")
  expect_equal(seen[1], "PENDING")
  expect_equal(tail(seen, 1), "RUNNING")

  emu_config('{"start_fails_with": "CLOUD_PROVIDER_LAUNCH_FAILURE"}')
  id2 <- dbx_clusters_create(cl, spec)
  err <- tryCatch(dbx_clusters_wait_running(cl, id2, timeout = 60, poll_interval = 0.01,
                                            progress = function(id, state) emu_advance(600)),
                  dbx_operation_failed = function(e) e)
  expect_s3_class(err, "dbx_operation_failed")
  expect_equal(err$last$state, "TERMINATED")
  expect_match(conditionMessage(err), "CLOUD_PROVIDER_LAUNCH_FAILURE")

  id3 <- dbx_clusters_create(cl, spec)
  expect_error(dbx_clusters_wait_running(cl, id3, timeout = 60, poll_interval = 0.01,
                                         progress = function(id, state) stop("user abort")),
               "user abort")
  # Ctrl-C: SIGINT to this process while waiting; the wait stops, R sees an interrupt
  polls <- 0
  got <- tryCatch(dbx_clusters_wait_running(cl, id3, timeout = 60, poll_interval = 0.01,
                                            progress = function(id, state) {
                                              polls <<- polls + 1
                                              if (polls == 2) tools::pskill(Sys.getpid(), tools::SIGINT)
                                              Sys.sleep(0.01)
                                            }),
                  interrupt = function(e) "interrupted")
  expect_equal(got, "interrupted")
  expect_equal(polls, 2)
  expect_error(dbx_clusters_wait_running(cl, id3, timeout = 0.05, poll_interval = 0.01),
               class = "dbx_timeout")
})

test_that("life-cycle calls and brickster-style names", {
  cl <- emu_client()
  id <- db_cluster_create("b", "15.4.x-scala2.12", "i3.xlarge", num_workers = 1, client = cl)$cluster_id
  emu_advance(2000)
  expect_equal(dbx_clusters_wait_running(cl, id, timeout = 5)$state, "RUNNING")
  db_cluster_resize(id, num_workers = 3, client = cl)
  expect_equal(emu_requests("/api/2.1/clusters/resize")[[1]]$json$num_workers, 3)
  emu_advance(2000)
  dbx_clusters_resize(cl, id, autoscale = c(1, 4))
  expect_equal(emu_requests("/api/2.1/clusters/resize")[[2]]$json$autoscale$max_workers, 4)
  db_cluster_pin(id, client = cl)
  db_cluster_unpin(id, client = cl)
  db_cluster_terminate(id, client = cl)
  emu_advance(2000)
  expect_equal(dbx_clusters_wait_terminated(cl, id, timeout = 5)$state, "TERMINATED")
  db_cluster_start(id, client = cl)
  expect_equal(emu_requests("/api/2.1/clusters/start")[[1]]$json$cluster_id, id)
  db_cluster_delete(id, client = cl)
  expect_error(db_cluster_get(id, client = cl), class = "dbx_not_found")
})

test_that("the client, versions and the escape hatch", {
  cl <- emu_client()
  expect_match(dbx_version(), "^0\\.")
  expect_output(print(cl), "dbx_client host=http://127.0.0.1")
  expect_equal(dbx_config_source(cl, "host"), "option")
  expect_equal(dbx_client_host(cl), emu_start())
  r <- dbx_request(cl, "GET", "/api/2.1/clusters/spark-versions")
  expect_equal(r$status, 200L)
  expect_true(length(r$content$versions) > 0)
  dbx_client_close(cl)
  expect_output(print(cl), "closed")
  expect_true(is.na(dbx_client_host(cl)))
  expect_error(dbx_clusters_get(cl, "x"), class = "dbx_invalid_argument")
})

test_that("JSON writing covers the shapes specs use", {
  j <- libdbx:::.dbx_to_json
  expect_equal(j(list(a = 1, b = "x\"y", c = TRUE, d = NULL, e = list(1, 2), f = I("one"))),
               '{"a":1,"b":"x\\"y","c":true,"d":null,"e":[1,2],"f":["one"]}')
  expect_equal(j(c(1.5, NA)), "[1.5,null]")
  expect_equal(j(list()), "[]")
  expect_equal(j("tab\there"), '"tab\\there"')
})
