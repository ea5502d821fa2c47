MT <- "main.default.scores"
MTB <- "main.default.scores_base"
MON <- paste0("/api/2.1/unity-catalog/tables/", MT, "/monitor")
MWH <- "5eedc0ffee000001"
MCOLS <- paste("(ts TIMESTAMP, model_version STRING, amount DOUBLE, channel STRING, score DOUBLE,",
               "region STRING, prediction BIGINT, label BIGINT)")
MIL <- list(problem_type = "CLASSIFICATION", timestamp_col = "ts", prediction_col = "prediction",
            model_id_col = "model_version", label_col = "label", granularities = "1 day")

mo_last <- function(path) { r <- emu_requests(path); if (length(r)) r[[length(r)]] else NULL }

mo_sql <- function(cl, text) {
  ans <- dbx_request(cl, "POST", "/api/2.0/sql/statements",
                     sprintf('{"statement":"%s","warehouse_id":"%s","wait_timeout":"30s"}', text, MWH))$content
  expect_equal(ans$status$state, "SUCCEEDED")
}

mo_tables <- function(cl, n) {
  mo_sql(cl, "CREATE SCHEMA IF NOT EXISTS main.mon")
  mo_sql(cl, paste("CREATE TABLE", MT, MCOLS))
  mo_sql(cl, paste("CREATE TABLE", MTB, MCOLS))
  set.seed(11)
  rows <- function(day, shift, p_web) {
    k <- seq_len(n) - 1
    pred <- sample(0:1, n, replace = TRUE)
    label <- ifelse(k %% 4 == 0, 1 - pred, pred)
    sprintf("('2024-03-%02d %02d:%02d:00', 'v1', %.6f, '%s', %.6f, '%s', %d, %d)", day, k %% 24, k %% 60,
            rnorm(n, 50 + shift, 10), ifelse(runif(n) < p_web, "web", "pos"), rnorm(n),
            sample(c("a", "b", "c"), n, replace = TRUE), pred, label)
  }
  for (spec in list(list(MTB, 1, 0, 0.7), list(MT, 2, 0, 0.7), list(MT, 3, 15, 0.3))) {
    r <- rows(spec[[2]], spec[[3]], spec[[4]])
    for (i in seq(1, length(r), by = 300))
      mo_sql(cl, paste("INSERT INTO", spec[[1]], "VALUES", paste(r[i:min(length(r), i + 299)], collapse = ", ")))
  }
}

mo_create <- function(cl) {
  dbx_monitor_create(cl, MT, assets_dir = "/Workspace/Users/me/monitors/scores", output_schema_name = "main.mon",
                     inference_log = MIL, baseline_table_name = MTB)
}

test_that("spec JSON and local errors", {
  cl <- emu_client()
  j <- dbx_monitor_spec_json(assets_dir = "/a", output_schema_name = "main.mon",
                             time_series = list(timestamp_col = "ts", granularities = c("1 day", "1 hour")),
                             slicing_exprs = "channel", notification_emails = "ops@example.com",
                             schedule = list(quartz_cron_expression = "0 0 * * * ?", pause_status = "PAUSED"),
                             skip_builtin_dashboard = TRUE, warehouse_id = MWH,
                             custom_metrics = list(list(name = "big", definition = "avg(amount)",
                                                        input_columns = list(":table"), output_data_type = "double",
                                                        type = "CUSTOM_METRIC_TYPE_AGGREGATE")))
  expect_equal(j$time_series$granularities, c("1 day", "1 hour"))
  expect_equal(j$schedule$pause_status, "PAUSED")
  expect_equal(j$schedule$timezone_id, "UTC")
  expect_equal(j$notifications$on_failure$email_addresses, "ops@example.com")
  expect_true(j$skip_builtin_dashboard)
  expect_equal(j$custom_metrics[[1]]$name, "big")
  expect_equal(names(dbx_monitor_spec_json(snapshot = TRUE)), "snapshot")
  expect_equal(dbx_monitor_spec_json(spec = '{"output_schema_name":"main.mon","x":1}')$x, 1)
  expect_error(dbx_monitor_spec_json(time_series = list(timestamp_col = "ts", granularities = "2 days")),
               class = "dbx_invalid_argument")
  expect_error(dbx_monitor_spec_json(inference_log = modifyList(MIL, list(problem_type = "RANKING"))),
               "problem", class = "dbx_invalid_argument")
  expect_error(dbx_monitor_get(cl, "scores"), "catalog.schema.table", class = "dbx_invalid_argument")
  expect_error(dbx_monitor_create(cl, MT, output_schema_name = "main.mon", snapshot = TRUE),
               "assets_dir is required", class = "dbx_invalid_argument")
  expect_error(dbx_monitor_drift(cl, MT, MWH, drift_type = "sideways"), "drift_type",
               class = "dbx_invalid_argument")
  expect_length(emu_requests(MON), 0)
  expect_equal(dbx_monitor_granularity_valid(c("1 week", "1 minute")), c(TRUE, FALSE))
  expect_equal(dbx_monitor_enum_name("status", 2), "MONITOR_STATUS_ACTIVE")
  expect_equal(dbx_monitor_enum_name("drift_type", 2), "BASELINE")
})

test_that("create, get, update, dashboard, delete", {
  cl <- emu_client()
  mo_tables(cl, 10)
  m <- mo_create(cl)
  sent <- mo_last(MON)
  expect_equal(sent$method, "POST")
  expect_equal(sent$json$inference_log$problem_type, "PROBLEM_TYPE_CLASSIFICATION")
  expect_equal(sent$json$baseline_table_name, MTB)
  expect_equal(m$table_name, MT)
  expect_equal(m$status, "MONITOR_STATUS_PENDING")
  expect_equal(m$drift_metrics_table_name, "main.mon.scores_drift_metrics")
  expect_equal(m$inference_log$model_id_col, "model_version")
  expect_error(mo_create(cl), class = "dbx_already_exists")
  g <- dbx_monitor_get(cl, MT)
  expect_equal(mo_last(MON)$method, "GET")
  expect_equal(g$status, "MONITOR_STATUS_ACTIVE")
  u <- dbx_monitor_update(cl, MT, output_schema_name = "main.mon", slicing_exprs = "channel")
  sent <- mo_last(MON)
  expect_equal(sent$method, "PUT")
  expect_null(sent$json$assets_dir)
  expect_equal(u$monitor_version, "1")
  expect_equal(u$slicing_exprs, "channel")
  expect_error(dbx_monitor_update(cl, MT, output_schema_name = "main.mon",
                                  inference_log = modifyList(MIL, list(prediction_col = "nope"))),
               "nope", class = "dbx_invalid_parameter")
  d <- dbx_monitor_regenerate_dashboard(cl, MT, MWH)
  expect_equal(mo_last(paste0(MON, "/dashboard"))$json$warehouse_id, MWH)
  expect_equal(dbx_monitor_get(cl, MT)$dashboard_id, d)
  dbx_monitor_delete(cl, MT)
  expect_equal(mo_last(MON)$method, "DELETE")
  expect_error(dbx_monitor_get(cl, MT), class = "dbx_not_found")
})

test_that("waits, refreshes, cancel", {
  cl <- emu_client()
  mo_tables(cl, 5)
  emu_config('{"monitor_create_ms": 5000, "monitor_refresh_ms": 10000}')
  mo_create(cl)
  seen <- character(0)
  m <- dbx_monitor_wait_active(cl, MT, poll_interval = 0.01, progress = function(id, state) {
    seen <<- c(seen, state)
    emu_advance(2000)
  })
  expect_equal(m$status, "MONITOR_STATUS_ACTIVE")
  expect_equal(seen, c(rep("MONITOR_STATUS_PENDING", 3), "MONITOR_STATUS_ACTIVE"))
  r <- dbx_monitor_run_refresh(cl, MT)
  expect_equal(mo_last(paste0(MON, "/refreshes"))$method, "POST")
  expect_equal(r$state, "PENDING")
  rs <- dbx_monitor_list_refreshes(cl, MT)
  expect_equal(mo_last(paste0(MON, "/refreshes"))$method, "GET")
  expect_equal(rs$refresh_id, c(r$refresh_id, r$refresh_id - 1))
  expect_s3_class(rs$start_time, "POSIXct")
  expect_equal(dbx_monitor_get_refresh(cl, MT, 1)$state, "RUNNING")
  expect_error(dbx_monitor_get_refresh(cl, MT, 99), class = "dbx_not_found")
  dbx_monitor_cancel_refresh(cl, MT, r$refresh_id)
  expect_equal(mo_last(sprintf("%s/refreshes/%d/cancel", MON, r$refresh_id))$method, "POST")
  err <- tryCatch(dbx_monitor_wait_refresh(cl, MT, r, poll_interval = 0.01), dbx_operation_failed = function(e) e)
  expect_s3_class(err, "dbx_operation_failed")
  expect_match(conditionMessage(err), "CANCELED")
  expect_equal(err$last$state, "CANCELED")
  expect_error(dbx_monitor_cancel_refresh(cl, MT, r$refresh_id), "terminal", class = "dbx_invalid_parameter")
  done <- dbx_monitor_wait_refresh(cl, MT, 1, poll_interval = 0.01,
                                   progress = function(id, state) emu_advance(4000))
  expect_equal(done$state, "SUCCESS")
})

test_that("drift flags an injected shift; profile rows", {
  cl <- emu_client()
  mo_tables(cl, 600)
  mo_create(cl)
  r <- dbx_monitor_run_refresh(cl, MT)
  expect_equal(dbx_monitor_wait_refresh(cl, MT, r, poll_interval = 0.01)$state, "SUCCESS")
  d <- dbx_monitor_drift(cl, MT, MWH, model_id = "*", since = as.POSIXct("2024-03-03", tz = "UTC"))
  sent <- mo_last("/api/2.0/sql/statements")
  expect_match(sent$json$statement, "FROM `main`.`mon`.`scores_drift_metrics`", fixed = TRUE)
  # the real tables' struct columns, read field by field
  expect_match(sent$json$statement, "`window`.`start` >= :since", fixed = TRUE)
  expect_match(sent$json$statement, "`ks_test`.`pvalue` AS `ks_test_pvalue`", fixed = TRUE)
  ps <- sent$json$parameters
  since <- Filter(function(p) p$name == "since", ps)[[1]]
  expect_equal(since$value, "2024-03-03T00:00:00.000Z")
  expect_s3_class(d, "data.frame")
  expect_s3_class(d$window_start, "POSIXct")
  expect_true(all(format(d$window_start, "%Y-%m-%d", tz = "UTC") == "2024-03-03"))
  row <- function(col, kind) d[d$column_name == col & d$drift_type == kind, ]
  for (kind in c("CONSECUTIVE", "BASELINE")) {
    expect_gt(row("amount", kind)$population_stability_index, 0.25)
    expect_lt(row("amount", kind)$ks_test_pvalue, 0.05)
    expect_lt(row("score", kind)$population_stability_index, 0.1)
    expect_gt(row("score", kind)$ks_test_pvalue, 0.05)
  }
  expect_gt(row("channel", "CONSECUTIVE")$population_stability_index, 0.25)
  expect_lt(row("channel", "CONSECUTIVE")$chi_squared_test_pvalue, 0.05)
  expect_true(is.na(row("channel", "CONSECUTIVE")$ks_test_pvalue))
  expect_lt(row("region", "CONSECUTIVE")$population_stability_index, 0.1)
  expect_true(is.na(row("amount", "BASELINE")$window_cmp_start))
  b <- dbx_monitor_drift(cl, MT, MWH, column = "amount", drift_type = "baseline", model_id = "*")
  expect_equal(nrow(b), 2)
  expect_lt(b$population_stability_index[1], 0.1)
  expect_gt(b$population_stability_index[2], 0.25)
  expect_error(dbx_monitor_drift(cl, MT, MWH, max_rows = 2), class = "dbx_too_large")
  p <- dbx_monitor_profile(cl, MT, MWH, column = "amount", log_type = "INPUT", model_id = "*")
  expect_equal(nrow(p), 2)
  expect_equal(p$count, c(600, 600))
  expect_lt(abs(p$avg[1] - 50), 2)
  expect_lt(abs(p$avg[2] - 65), 2)
  expect_true(all(is.na(p$accuracy_score)))
  t <- dbx_monitor_profile(cl, MT, MWH, column = ":table", log_type = "INPUT", model_id = "*")
  expect_equal(t$accuracy_score, c(0.75, 0.75))
})
