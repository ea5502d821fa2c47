# Serving extras: route-optimized queries, champion / challenger, /metrics, batch scoring.
API <- "/api/2.0/serving-endpoints"
SX_MLMODEL <- "artifact_path: model\nflavors:\n  python_function:\n    loader_module: x\n"
sx_dir <- new.env()
sx_dir$n <- 0
sv_last <- function(path) { r <- emu_requests(path); if (length(r)) r[[length(r)]] else NULL }
sv_register <- function(cl, model, model_json) {
  try(dbx_request(cl, "POST", "/api/2.0/mlflow/registered-models/create", sprintf('{"name":"%s"}', model)),
      silent = TRUE)
  sx_dir$n <- sx_dir$n + 1
  d <- sprintf("/models/%s/x%d", model, sx_dir$n)
  dbx_dbfs_put(cl, paste0(d, "/MLmodel"), charToRaw(SX_MLMODEL), overwrite = TRUE)
  dbx_dbfs_put(cl, paste0(d, "/model.json"), charToRaw(model_json), overwrite = TRUE)
  dbx_request(cl, "POST", "/api/2.0/mlflow/model-versions/create",
              sprintf('{"name":"%s","source":"dbfs:%s"}', model, d))
}
one <- function(model, version) list(served_entities = list(list(entity_name = model, entity_version = version)))
SX_MODEL_A <- '{"flavor":"logistic","features":["amount","hour"],"intercept":-3.2,"coefficients":[0.8,0.1]}'
SX_MODEL_B <- '{"flavor":"logistic","features":["amount","hour"],"intercept":1.0,"coefficients":[0,0]}'
SX_ROW <- data.frame(amount = 2.5, hour = 13)
sx_score <- function(a, h) 1 / (1 + exp(-(-3.2 + 0.8 * a + 0.1 * h)))
SX_TWO <- list(served_entities = list(list(entity_name = "fraud", entity_version = "1"),
                                      list(entity_name = "fraud", entity_version = "2")),
               traffic_config = list(routes = list(list(served_entity_name = "fraud-1", traffic_percentage = 100),
                                                   list(served_entity_name = "fraud-2", traffic_percentage = 0))))
sx_adv <- function(n, s) emu_advance(2000)

sx_ep <- function(cl, name, config, route_optimized = FALSE) {
  dbx_serving_create(cl, name, config, route_optimized = route_optimized)
  dbx_serving_wait_ready(cl, name, poll_interval = 0.01)
}

test_that("route-optimized endpoints: the data plane with an OAuth client, refused with a PAT", {
  cl <- emu_client()
  sv_register(cl, "fraud", SX_MODEL_A)
  sx_ep(cl, "ro", one("fraud", "1"), route_optimized = TRUE)
  m <- dbx_client(host = emu_start(), client_id = "emu-client", client_secret = "emu-secret", no_env = TRUE,
                  no_config_file = TRUE)
  r <- dbx_serving_query(m, "ro", dataframe_split = SX_ROW)
  expect_equal(r$predictions, sx_score(2.5, 13), tolerance = 1e-12)
  dp <- emu_requests("/1234567890123456/serving-endpoints/ro/invocations")
  expect_length(dp, 1)
  expect_equal(dp[[1]]$server, "other")
  expect_match(dp[[1]]$headers$authorization, "^Bearer ")
  expect_error(dbx_serving_query(cl, "ro", dataframe_split = SX_ROW), "need OAuth", class = "dbx_config_error")
})

test_that("traffic, shift, promote, rollback", {
  cl <- emu_client()
  sv_register(cl, "fraud", SX_MODEL_A)
  sv_register(cl, "fraud", SX_MODEL_B)
  sx_ep(cl, "cc", SX_TWO)
  t <- dbx_serving_traffic(cl, "cc")
  expect_s3_class(t, "data.frame")
  expect_equal(t$served_entity_name, c("fraud-1", "fraud-2"))
  expect_identical(t$traffic_percentage, c(100L, 0L))
  expect_equal(t$entity_version, c("1", "2"))
  emu_config('{"serving_deploy_ms": 4000}')
  ep <- dbx_serving_shift_traffic(cl, "cc", "fraud-1", "fraud-2", 30, wait = FALSE)
  expect_equal(ep$state$config_update, "IN_PROGRESS")
  put <- sv_last(paste0(API, "/cc/config"))
  expect_equal(put$json$traffic_config$routes[[2]]$traffic_percentage, 30)
  ok <- 0
  while (dbx_serving_get(cl, "cc")$state$config_update != "NOT_UPDATING") {
    for (i in 1:5) { dbx_serving_query(cl, "cc", dataframe_split = SX_ROW); ok <- ok + 1 }
    emu_advance(1000)
  }
  expect_gte(ok, 20)
  expect_identical(dbx_serving_traffic(cl, "cc")$traffic_percentage, c(70L, 30L))
  served <- vapply(1:100, function(i) dbx_serving_query(cl, "cc", dataframe_split = SX_ROW)$served_model_name,
                   character(1))
  expect_true(abs(sum(served == "fraud-2") - 30) <= 5)
  expect_error(dbx_serving_shift_traffic(cl, "cc", "fraud-1", "nope", 10), "the challenger",
               class = "dbx_not_found")

  dbx_registry_set_alias(cl, "fraud", "champion", 1, registry = "workspace")
  p <- dbx_serving_promote(cl, "cc", "fraud-2", alias = "champion", registry = "workspace", progress = sx_adv,
                           poll_interval = 0.01)
  expect_s3_class(p, "dbx_serving_promotion")
  expect_equal(c(p$alias_version, p$previous_alias_version), c(2, 1))
  expect_equal(dbx_serving_traffic(cl, "cc")$served_entity_name, "fraud-2")
  expect_equal(dbx_registry_get_version_by_alias(cl, "fraud", "champion", registry = "workspace")$version, 2)
  dbx_serving_rollback(cl, "cc", p, progress = sx_adv, poll_interval = 0.01)
  expect_identical(dbx_serving_traffic(cl, "cc")$traffic_percentage, c(70L, 30L))
  expect_equal(dbx_registry_get_version_by_alias(cl, "fraud", "champion", registry = "workspace")$version, 1)
})

test_that("metrics and batch scoring", {
  cl <- emu_client()
  sv_register(cl, "fraud", SX_MODEL_A)
  sx_ep(cl, "bt", one("fraud", "1"))
  df <- data.frame(amount = (0:1499 %% 100) / 25 - 2, hour = 0:1499 %% 24)
  r <- dbx_serving_query_batch(cl, "bt", df, max_rows_per_request = 400, client_request_id = "rb")
  reqs <- emu_requests("/serving-endpoints/bt/invocations")
  expect_length(reqs, 4)
  expect_equal(reqs[[1]]$json$client_request_id, "rb")
  expect_length(r$predictions, 1500)
  expect_equal(r$predictions, sx_score(df$amount, df$hour), tolerance = 1e-12)
  m <- dbx_serving_metrics(cl, "bt")
  expect_s3_class(m, "data.frame")
  expect_equal(sv_last(paste0(API, "/bt/metrics"))$method, "GET")
  expect_equal(dbx_metrics_value(m, "request_count_total", "served_entity_name", "fraud-1"), 4)
  expect_equal(m$type[m$name == "request_count_total"][1], "counter")
  p <- dbx_serving_metrics_parse('# TYPE g gauge\ng{a="x"} NaN 5\nh +Inf')
  expect_true(is.nan(p$value[1]) && p$value[2] == Inf)
  expect_equal(p$timestamp, c(5, NA))
  expect_equal(p$labels[[1]][["a"]], "x")
  expect_error(dbx_serving_metrics_parse('a 1\nb{x="1} 2'), "line 2", class = "dbx_bad_response")
  big <- data.frame(amount = 1, hour = 2, note = strrep("x", 5000))
  expect_error(dbx_serving_query_batch(cl, "bt", big, max_bytes_per_request = 4096), "input row 0",
               class = "dbx_invalid_argument")
  emu_ctl("POST", "/__emulator/faults", paste0('{"path":"/serving-endpoints/bt/invocations","action":"status",',
                                               '"status":200,"body":{"predictions":[true,false]}}'))
  b <- dbx_serving_query_batch(cl, "bt", data.frame(amount = c(1, 2), hour = c(1, 2)))
  expect_identical(b$predictions, c(TRUE, FALSE))
})
