API <- "/api/2.0/serving-endpoints"
SV_MLMODEL <- "artifact_path: model\nflavors:\n  python_function:\n    loader_module: x\n"
SV_MODEL_A <- paste0('{"flavor":"logistic","features":["amount","hour"],"intercept":-3.2,',
                     '"coefficients":[0.8,0.1],"categorical":{"channel":{"web":0.7,"pos":-0.2}}}')
A_ROW0 <- 1 / (1 + exp(-0.8))
A_ROW1 <- 1 / (1 + exp(4.0))
sv_dir <- new.env()
sv_dir$n <- 0

sv_last <- function(path) { r <- emu_requests(path); if (length(r)) r[[length(r)]] else NULL }

sv_register <- function(cl, model, model_json) {
  try(dbx_request(cl, "POST", "/api/2.0/mlflow/registered-models/create", sprintf('{"name":"%s"}', model)),
      silent = TRUE)
  sv_dir$n <- sv_dir$n + 1
  d <- sprintf("/models/%s/r%d", model, sv_dir$n)
  dbx_dbfs_put(cl, paste0(d, "/MLmodel"), charToRaw(SV_MLMODEL), overwrite = TRUE)
  if (!is.null(model_json)) dbx_dbfs_put(cl, paste0(d, "/model.json"), charToRaw(model_json), overwrite = TRUE)
  dbx_request(cl, "POST", "/api/2.0/mlflow/model-versions/create",
              sprintf('{"name":"%s","source":"dbfs:%s"}', model, d))
}

one <- function(model, version, ...) {
  list(served_entities = list(list(entity_name = model, entity_version = version, ...)))
}

test_that("create, get, list, delete", {
  cl <- emu_client()
  sv_register(cl, "fraud", SV_MODEL_A)
  ep <- dbx_serving_create(cl, "fraud-ep", one("fraud", "1", environment_vars = list(MODE = "fast")),
                           tags = list(team = "risk", flag = NA), description = "card fraud",
                           extra = list(budget_policy_id = "bp-1"))
  sent <- sv_last(API)
  expect_equal(sent$method, "POST")
  expect_equal(sent$json$name, "fraud-ep")
  expect_equal(sent$json$description, "card fraud")
  expect_equal(sent$json$budget_policy_id, "bp-1")
  expect_equal(sent$json$config$served_entities[[1]]$environment_vars$MODE, "fast")
  expect_equal(sent$json$tags[[1]]$value, "risk")
  expect_null(sent$json$tags[[2]]$value)
  expect_equal(ep$name, "fraud-ep")
  expect_equal(ep$state$ready, "NOT_READY")
  expect_equal(ep$pending_config$served_entities[[1]]$state$deployment, "DEPLOYMENT_CREATING")

  got <- dbx_serving_get(cl, "fraud-ep")
  expect_equal(sv_last(paste0(API, "/fraud-ep"))$method, "GET")
  expect_equal(got$state$ready, "READY")
  expect_equal(got$config$served_entities[[1]]$name, "fraud-1")

  df <- dbx_serving_list(cl)
  expect_equal(sv_last(API)$method, "GET")
  expect_s3_class(df, "data.frame")
  expect_equal(df$name, "fraud-ep")
  expect_equal(df$ready, "READY")
  expect_s3_class(df$creation_timestamp, "POSIXct")

  dbx_serving_delete(cl, "fraud-ep")
  expect_equal(sv_last(paste0(API, "/fraud-ep"))$method, "DELETE")
  expect_error(dbx_serving_get(cl, "fraud-ep"), class = "dbx_not_found")
  expect_equal(nrow(dbx_serving_list(cl)), 0)
})

test_that("config json, update config, tags, logs", {
  cl <- emu_client()
  j <- dbx_serving_config_json(list(served_entities = list(list(entity_name = "x", entity_version = 3))))
  expect_equal(as.character(j$served_entities[[1]]$entity_version), "3")
  expect_error(dbx_serving_config_json(list(served_entities = list())), class = "dbx_invalid_argument")
  sv_register(cl, "fraud", SV_MODEL_A)
  sv_register(cl, "fraud", SV_MODEL_A)
  dbx_serving_create(cl, "u-ep", one("fraud", "1"))
  dbx_serving_wait_ready(cl, "u-ep")
  cfg <- list(served_entities = list(list(entity_name = "fraud", entity_version = "1"),
                                     list(entity_name = "fraud", entity_version = "2")),
              traffic_config = list(routes = list(list(served_entity_name = "fraud-1", traffic_percentage = 70),
                                                  list(served_entity_name = "fraud-2", traffic_percentage = 30))))
  ep <- dbx_serving_update_config(cl, "u-ep", cfg)
  sent <- sv_last(paste0(API, "/u-ep/config"))
  expect_equal(sent$method, "PUT")
  expect_equal(length(sent$json$served_entities), 2)
  expect_equal(ep$state$config_update, "IN_PROGRESS")
  ep <- dbx_serving_wait_ready(cl, "u-ep")
  expect_equal(ep$config$config_version, 2)

  dbx_serving_patch_tags(cl, "u-ep", add = list(a = "1", b = NA), remove = "c")
  sent <- sv_last(paste0(API, "/u-ep/tags"))
  expect_equal(sent$method, "PATCH")
  expect_equal(sent$json$add_tags[[1]]$key, "a")
  expect_equal(unlist(sent$json$delete_tags), "c")
  tags <- dbx_serving_get(cl, "u-ep")$tags
  expect_equal(vapply(tags, function(t) t$key, ""), c("a", "b"))

  b <- dbx_serving_build_logs(cl, "u-ep", "fraud-2")
  expect_equal(sv_last(paste0(API, "/u-ep/served-models/fraud-2/build-logs"))$method, "GET")
  expect_true(is.character(b) && nchar(b) > 0)
  s <- dbx_serving_server_logs(cl, "u-ep", "fraud-1")
  expect_false(is.null(sv_last(paste0(API, "/u-ep/served-models/fraud-1/logs"))))
  expect_true(is.character(s))
  expect_error(dbx_serving_build_logs(cl, "u-ep", "nope"), class = "dbx_not_found")
})

test_that("wait_ready: progress, timeout, failure, callback errors", {
  cl <- emu_client()
  sv_register(cl, "fraud", SV_MODEL_A)
  sv_register(cl, "fraud", NULL)
  emu_config('{"serving_deploy_ms": 5000}')
  dbx_serving_create(cl, "w-ep", one("fraud", "1"))
  seen <- character()
  err <- tryCatch(dbx_serving_wait_ready(cl, "w-ep", timeout = 0.5,
                                         progress = function(id, st) seen <<- c(seen, st)),
                  error = function(e) e)
  expect_s3_class(err, "dbx_timeout")
  expect_equal(seen[1], "NOT_READY/IN_PROGRESS")
  seen <- character()
  ep <- dbx_serving_wait_ready(cl, "w-ep", progress = function(id, st) {
    seen <<- c(seen, st)
    emu_advance(2000)
  })
  expect_equal(ep$state$ready, "READY")
  expect_equal(seen[length(seen)], "READY/NOT_UPDATING")
  dbx_serving_update_config(cl, "w-ep", one("fraud", "2"))
  err <- tryCatch(dbx_serving_wait_ready(cl, "w-ep", progress = function(id, st) emu_advance(6000)),
                  error = function(e) e)
  expect_s3_class(err, "dbx_error")
  expect_match(conditionMessage(err), "fraud-2")
  dbx_serving_update_config(cl, "w-ep", one("fraud", "1"))
  expect_error(dbx_serving_wait_ready(cl, "w-ep", progress = function(id, st) stop("boom")), "boom")
})

test_that("query: formats, data.frames, raw bodies, the SDK shapes, errors", {
  cl <- emu_client()
  sv_register(cl, "fraud", SV_MODEL_A)
  dbx_serving_create(cl, "q-ep", one("fraud", "1"))
  dbx_serving_wait_ready(cl, "q-ep")
  inv <- "/serving-endpoints/q-ep/invocations"
  df <- data.frame(amount = c(2.5, -1.0), hour = c(13L, 2L), channel = c("web", "pos"), stringsAsFactors = FALSE)

  r <- dbx_serving_query(cl, "q-ep", dataframe_split = df, params = list(threshold = 0.4),
                         client_request_id = "cr-1", timeout = 60)
  sent <- sv_last(inv)$json
  expect_equal(unlist(sent$dataframe_split$columns), c("amount", "hour", "channel"))
  expect_equal(sent$dataframe_split$data[[1]][[3]], "web")
  expect_equal(sent$params$threshold, 0.4)
  expect_equal(sent$client_request_id, "cr-1")
  expect_equal(r$predictions, c(A_ROW0, A_ROW1), tolerance = 1e-9)
  expect_equal(r$served_model_name, "fraud-1")
  expect_true(r$latency_ms >= 0)

  r <- dbx_serving_query(cl, "q-ep", dataframe_records = df)
  expect_equal(sv_last(inv)$json$dataframe_records[[2]]$channel, "pos")
  expect_equal(r$predictions, c(A_ROW0, A_ROW1), tolerance = 1e-9)
  r <- dbx_serving_query(cl, "q-ep", instances = df)
  expect_false(is.null(sv_last(inv)$json$instances))
  r <- dbx_serving_query(cl, "q-ep", inputs = as.list(df))
  expect_equal(unlist(sv_last(inv)$json$inputs$hour), c(13, 2))
  expect_equal(r$predictions, c(A_ROW0, A_ROW1), tolerance = 1e-9)

  r <- dbx_serving_query(cl, "q-ep", body = '{"dataframe_records":[{"amount":2.5,"hour":13,"channel":"web"}]}')
  expect_equal(sv_last(inv)$json$dataframe_records[[1]]$hour, 13)
  expect_equal(r$predictions, A_ROW0, tolerance = 1e-9)
  r <- dbx_serving_query(cl, "q-ep", instances = list(list(amount = 2.5, hour = 13, channel = "web")))
  expect_equal(r$predictions, A_ROW0, tolerance = 1e-9)

  r <- query_serving_endpoint(cl, "q-ep", dataframe_records = df)
  expect_false(is.null(sv_last(inv)$json$dataframe_records))
  expect_equal(r$predictions, c(A_ROW0, A_ROW1), tolerance = 1e-9)
  r <- db_serving_query("q-ep", dataframe_split = df, client = cl)
  expect_equal(r$predictions, c(A_ROW0, A_ROW1), tolerance = 1e-9)

  j <- dbx_serving_input_json(data.frame(a = TRUE, b = NA, c = 3L, d = "s", stringsAsFactors = FALSE),
                              "dataframe_records")
  expect_equal(j$dataframe_records[[1]]$a, TRUE)
  expect_null(j$dataframe_records[[1]]$b)
  expect_equal(j$dataframe_records[[1]]$d, "s")

  expect_error(dbx_serving_query(cl, "q-ep", dataframe_records = data.frame(amount = 1)), "missing inputs",
               class = "dbx_bad_request")
  expect_error(dbx_serving_query(cl, "nope", dataframe_split = df), class = "dbx_not_found")
  expect_error(dbx_serving_query(cl, "q-ep"), "exactly one")
})

test_that("query: object, string and boolean predictions", {
  cl <- emu_client()
  sv_register(cl, "lab", sub("}$", ',"output":"both"}', SV_MODEL_A))
  dbx_serving_create(cl, "o-ep", one("lab", "1"))
  dbx_serving_wait_ready(cl, "o-ep")
  df <- data.frame(amount = c(2.5, -1.0), hour = c(13, 2), channel = c("web", "pos"))
  r <- dbx_serving_query(cl, "o-ep", dataframe_split = df)
  expect_s3_class(r$predictions, "data.frame")
  expect_equal(r$predictions$probability, c(A_ROW0, A_ROW1), tolerance = 1e-9)
  expect_equal(r$predictions$label, c(1, 0))
  emu_ctl("POST", "/__emulator/faults", paste0('{"method":"POST","path":"/serving-endpoints/o-ep/invocations",',
                                               '"action":"status","status":200,"body":{"predictions":["a",null]}}'))
  r <- dbx_serving_query(cl, "o-ep", dataframe_split = df)
  expect_equal(r$predictions, c("a", NA))
  emu_ctl("POST", "/__emulator/faults", paste0('{"method":"POST","path":"/serving-endpoints/o-ep/invocations",',
                                               '"action":"status","status":200,"body":{"predictions":[true,false]}}'))
  r <- dbx_serving_query(cl, "o-ep", dataframe_split = df)
  expect_equal(r$predictions, c(TRUE, FALSE))
})

test_that("inference table: enable, read where it lands, disable", {
  cl <- emu_client()
  sv_register(cl, "fraud", SV_MODEL_A)
  dbx_serving_create(cl, "itep", one("fraud", "1"))
  expect_true(is.na(dbx_serving_inference_table(dbx_serving_wait_ready(cl, "itep"))))
  expect_error(dbx_serving_set_inference_table(cl, "itep", schema_name = "default"), class = "dbx_invalid_argument")
  dbx_serving_set_inference_table(cl, "itep", "main", "default")
  sent <- sv_last(paste0(API, "/itep/ai-gateway"))
  expect_equal(sent$method, "PUT")
  expect_equal(sent$json$inference_table_config$catalog_name, "main")
  expect_true(sent$json$inference_table_config$enabled)
  expect_equal(dbx_serving_inference_table(dbx_serving_get(cl, "itep")), "main.default.itep_payload")
  dbx_serving_query(cl, "itep", dataframe_records = data.frame(amount = 2.5, hour = 13, channel = "web"),
                    client_request_id = "txn-r")
  got <- dbx_sql_execute(cl, "5eedc0ffee000001", "SELECT client_request_id FROM main.default.itep_payload")
  expect_equal(got$client_request_id, "txn-r")
  dbx_serving_set_inference_table(cl, "itep", enabled = FALSE)
  expect_false(sv_last(paste0(API, "/itep/ai-gateway"))$json$inference_table_config$enabled)
  expect_true(is.na(dbx_serving_inference_table(dbx_serving_get(cl, "itep"))))
})
