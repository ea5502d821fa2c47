WH <- "/api/2.0/sql/warehouses"
SEED <- "5eedc0ffee000001"

wh_last <- function(path) { r <- emu_requests(path); r[[length(r)]] }

test_that("create sends the spec, get reads the EndpointInfo", {
  cl <- emu_client()
  id <- dbx_warehouses_create(cl, list(name = "etl", cluster_size = "Small"), auto_stop_mins = 15,
                              max_num_clusters = 3, enable_photon = FALSE, warehouse_type = "PRO",
                              channel = "CHANNEL_NAME_PREVIEW", tags = list(team = "data"))
  expect_match(id, "^[0-9a-f]{16}$")
  sent <- wh_last(WH)$json
  expect_equal(sent$name, "etl")
  expect_equal(sent$auto_stop_mins, 15)
  expect_false(sent$enable_photon)
  expect_equal(sent$channel, list(name = "CHANNEL_NAME_PREVIEW"))
  expect_equal(sent$tags$custom_tags[[1]], list(key = "team", value = "data"))
  w <- dbx_warehouses_get(cl, id)
  expect_equal(wh_last(paste0(WH, "/", id))$method, "GET")
  expect_equal(w$state, "STARTING")
  expect_equal(w$max_num_clusters, 3)
  expect_equal(w$custom_tags, c(team = "data"))
  expect_equal(w$odbc_params$path, paste0("/sql/1.0/warehouses/", id))
  expect_equal(db_sql_warehouse_get(SEED, client = cl)$state, "RUNNING")
})

test_that("specs are validated locally; the service's refusals are classed", {
  cl <- emu_client()
  n0 <- length(emu_requests(WH))
  expect_error(dbx_warehouses_create(cl, name = "x", cluster_size = "Small", auto_stop_mins = 5),
               class = "dbx_invalid_argument")
  expect_error(dbx_warehouses_create(cl, name = "x", cluster_size = "Small", min_num_clusters = 3,
                                     max_num_clusters = 2), class = "dbx_invalid_argument")
  expect_error(dbx_warehouses_create(cl, name = 5), class = "dbx_invalid_argument")
  expect_length(emu_requests(WH), n0)
  s <- dbx_warehouse_spec(list(name = "a"), cluster_size = "Medium", tags = c(k = "v"))
  expect_equal(s$cluster_size, "Medium")
  expect_equal(s$tags$custom_tags[[1]]$value, "v")
  expect_error(dbx_warehouses_create(cl, name = "x", cluster_size = "Gigantic"), class = "dbx_invalid_parameter")
  dbx_warehouses_create(cl, name = "dup", cluster_size = "Small")
  expect_error(dbx_warehouses_create(cl, name = "dup", cluster_size = "Small"), class = "dbx_already_exists")
  expect_equal(dbx_warehouse_states(), c("STARTING", "RUNNING", "STOPPING", "STOPPED", "DELETING", "DELETED"))
  expect_equal(dbx_warehouse_states("health"), c("HEALTHY", "DEGRADED", "FAILED"))
})

test_that("edit, start, stop, delete and the waits", {
  cl <- emu_client()
  id <- db_sql_warehouse_create("life", "Small", auto_stop_mins = 0, client = cl)$id
  expect_equal(wh_last(WH)$json$spot_instance_policy, "COST_OPTIMIZED")
  seen <- character(0)
  w <- dbx_warehouses_wait_running(cl, id, timeout = 60, poll_interval = 0.01,
                                   progress = function(i, s) { seen <<- c(seen, s); emu_advance(800) })
  expect_equal(w$state, "RUNNING")
  expect_equal(seen[1], "STARTING")
  expect_equal(tail(seen, 1), "RUNNING")

  dbx_warehouses_edit(cl, id, cluster_size = "Large", tags = list(a = "b"))
  r <- wh_last(paste0(WH, "/", id, "/edit"))
  expect_equal(r$method, "POST")
  expect_equal(r$json, list(cluster_size = "Large", tags = list(custom_tags = list(list(key = "a", value = "b")))))
  db_sql_warehouse_edit(id, max_num_clusters = 2, client = cl)
  expect_equal(wh_last(paste0(WH, "/", id, "/edit"))$json, list(max_num_clusters = 2))
  w <- dbx_warehouses_get(cl, id)
  expect_equal(w$cluster_size, "Large")
  expect_equal(w$max_num_clusters, 2)

  db_sql_warehouse_stop(id, client = cl)
  expect_equal(wh_last(paste0(WH, "/", id, "/stop"))$method, "POST")
  w <- dbx_warehouses_wait_stopped(cl, id, timeout = 60, poll_interval = 0.01,
                                   progress = function(i, s) emu_advance(600))
  expect_equal(w$state, "STOPPED")
  err <- tryCatch(dbx_warehouses_wait_running(cl, id, timeout = 60, poll_interval = 0.01),
                  dbx_operation_failed = function(e) e)
  expect_s3_class(err, "dbx_operation_failed")
  expect_equal(err$last$state, "STOPPED")
  db_sql_warehouse_start(id, client = cl)
  expect_equal(wh_last(paste0(WH, "/", id, "/start"))$method, "POST")
  emu_advance(2500)  # STARTING -> RUNNING on the virtual clock
  w <- get_and_start_warehouse(id, polling_interval = 0.01, client = cl)
  expect_equal(w$state, "RUNNING")
  db_sql_warehouse_delete(id, client = cl)
  expect_equal(wh_last(paste0(WH, "/", id))$method, "DELETE")
  emu_advance(1000)
  expect_equal(dbx_warehouses_get(cl, id)$state, "DELETED")
  expect_error(dbx_warehouses_start(cl, id), class = "dbx_invalid_state")
  expect_error(dbx_warehouses_get(cl, "0123456789abcdef"), class = "dbx_not_found")
})

test_that("health failure, timeout, callback errors and Ctrl-C stop a wait", {
  cl <- emu_client()
  id <- dbx_warehouses_create(cl, name = "sick", cluster_size = "Small")
  emu_ctl("POST", sprintf("/__emulator/warehouses/%s/health", id),
          '{"status":"FAILED","summary":"Cluster failed to launch","failure_reason":{"code":"INSTANCE_POOL_MAX_CAPACITY_REACHED","type":"CLOUD_FAILURE"}}')
  err <- tryCatch(dbx_warehouses_wait_running(cl, id, timeout = 60, poll_interval = 0.01),
                  dbx_operation_failed = function(e) e)
  expect_equal(err$error_code, "INSTANCE_POOL_MAX_CAPACITY_REACHED")
  expect_match(conditionMessage(err), "Cluster failed to launch")
  expect_equal(err$last$health$status, "FAILED")

  id2 <- dbx_warehouses_create(cl, name = "slow", cluster_size = "Small")
  err <- tryCatch(dbx_warehouses_wait_running(cl, id2, timeout = 0.05, poll_interval = 0.01),
                  dbx_timeout = function(e) e)
  expect_s3_class(err, "dbx_timeout")
  expect_equal(err$last$state, "STARTING")
  expect_error(dbx_warehouses_wait_running(cl, id2, timeout = 60, poll_interval = 0.01,
                                           progress = function(i, s) stop("user abort")), "user abort")
  polls <- 0
  got <- tryCatch(dbx_warehouses_wait_running(cl, id2, timeout = 60, poll_interval = 0.01,
                                              progress = function(i, s) {
                                                polls <<- polls + 1
                                                if (polls == 2) tools::pskill(Sys.getpid(), tools::SIGINT)
                                                Sys.sleep(0.01)
                                              }),
                  interrupt = function(e) "interrupted")
  expect_equal(got, "interrupted")
  expect_equal(polls, 2)
})

test_that("list follows pages into a typed data.frame", {
  cl <- emu_client()
  emu_config('{"page_size_warehouses": 2}')
  ids <- vapply(1:4, function(i) dbx_warehouses_create(cl, name = paste0("w", i), cluster_size = "X-Small"), "")
  n0 <- length(emu_requests(WH))
  df <- dbx_warehouses_list(cl, page_size = 2)
  expect_s3_class(df, "data.frame")
  expect_equal(df$id, c(SEED, ids))
  expect_type(df$num_clusters, "integer")
  expect_type(df$enable_photon, "logical")
  expect_equal(df$health_status[1], "HEALTHY")
  expect_equal(df$channel_name[2], "CHANNEL_NAME_CURRENT")
  pages <- emu_requests(WH)[-seq_len(n0)]
  expect_length(pages, 3)
  expect_equal(pages[[1]]$query$page_size, "2")
  expect_equal(nrow(dbx_warehouses_list(cl, max_items = 2)), 2)
  expect_equal(db_sql_warehouse_list(client = cl)$name[1], "Serverless Starter Warehouse")
})
