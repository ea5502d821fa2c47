# DataRobot-shaped R calls (R/compat_datarobot.R) against the emulator.
DR_UC <- "main.default.fraud"
DR_WH <- "5eedc0ffee000001"
DR_MLMODEL <- paste0("artifact_path: model\nflavors:\n  python_function:\n    loader_module: x\n",
                     "signature:\n  inputs: '[{\"type\": \"double\", \"name\": \"amount\"}, ",
                     "{\"type\": \"double\", \"name\": \"hour\"}]'\n  outputs: '[{\"type\": \"double\"}]'\n")
dr_p1 <- function(a, h) 1 / (1 + exp(-(-3.2 + 0.8 * a + 0.1 * h)))

dr_register <- function(cl, intercept = -3.2, coef = c(0.8, 0.1)) {
  d <- tempfile("dr-model-")
  dir.create(d)
  writeBin(charToRaw(DR_MLMODEL), file.path(d, "MLmodel"))
  writeLines(sprintf('{"flavor":"logistic","features":["amount","hour"],"intercept":%s,"coefficients":[%s,%s]}',
                     intercept, coef[1], coef[2]), file.path(d, "model.json"))
  on.exit(unlink(d, recursive = TRUE))
  dbx_registry_register_uc_version(cl, DR_UC, d, create_model = TRUE)
}

dr_connect <- function() {
  emu_reset()
  ConnectToDatabricks(endpoint = emu_start(), token = "dapi-emulator-token", warehouseId = DR_WH,
                      no_env = TRUE, no_config_file = TRUE, retry_initial_delay = 0.01, retry_max_delay = 0.05)
}

test_that("ConnectToDatabricks keeps the one-source rule", {
  emu_start()
  expect_error(ConnectToDatabricks(token = "x"), "one source only", class = "dbx_invalid_argument")
  expect_error(ConnectToDatabricks(endpoint = "https://app.datarobot.com/api/v2", token = "x"), "not a DataRobot")
  cfg <- tempfile()
  writeLines(c("[DEFAULT]", "token = dapi-emulator-token"), cfg)
  old <- Sys.getenv(c("DATABRICKS_HOST", "DATABRICKS_TOKEN"), unset = NA)
  on.exit({ for (k in names(old)) if (is.na(old[[k]])) Sys.unsetenv(k) else do.call(Sys.setenv, as.list(old[k])) })
  Sys.setenv(DATABRICKS_HOST = emu_start())
  Sys.unsetenv("DATABRICKS_TOKEN")
  expect_error(ConnectToDatabricks(configPath = cfg), "host from env, token from config")
  Sys.unsetenv("DATABRICKS_HOST")
  writeLines(c("[DEFAULT]", paste("host =", emu_start()), "token = dapi-emulator-token"), cfg)
  cl <- ConnectToDatabricks(configPath = cfg, maxRetries = 0)
  expect_equal(dbx_config_source(cl, "host"), "config")
  expect_length(ListDeployments(), 0)
})

test_that("deployments: create, list, get, predict, replace, delete", {
  cl <- dr_connect()
  dr_register(cl)
  dep <- CreateDeployment("models:/main.default.fraud/1", "fraud-scoring", description = "card fraud", maxWait = 30)
  sent <- emu_requests("/api/2.0/serving-endpoints")[[1]]$json
  expect_equal(sent$config$served_entities[[1]]$entity_name, DR_UC)
  expect_equal(sent$config$served_entities[[1]]$entity_version, "1")
  expect_s3_class(dep, "dbxDeployment")
  expect_equal(dep$id, "fraud-scoring")
  expect_equal(dep$status, "READY")
  expect_equal(dep$model$version, "1")
  expect_true(is.na(dep$serviceHealth))
  expect_equal(dbx_registry_get_version_by_alias(cl, DR_UC, "champion")$version, 1)
  dbx_serving_create(cl, "churn", list(served_entities = list(list(entity_name = DR_UC, entity_version = "1"))))
  expect_equal(vapply(ListDeployments(orderBy = "-label"), function(d) d$label, ""), c("fraud-scoring", "churn"))
  expect_equal(vapply(ListDeployments(search = "CARD"), function(d) d$label, ""), "fraud-scoring")
  expect_equal(length(ListDeployments(offset = 1)), 1)
  expect_equal(as.data.frame(ListDeployments(orderBy = "label"))$modelVersion, c("1", "1"))
  expect_error(ListDeployments(orderBy = "serviceHealth"), "no such value")
  expect_equal(GetDeployment("fraud-scoring")$description, "card fraud")

  df <- data.frame(amount = (0:24) %% 7, hour = (0:24) %% 24)
  got <- Predict(dep, df, maxRowsPerRequest = 10)
  expect_equal(got, dr_p1(df$amount, df$hour), tolerance = 1e-12)
  expect_length(emu_requests("/serving-endpoints/fraud-scoring/invocations"), 3)
  st <- GetDeploymentServiceStats(dep)
  expect_equal(st$totalRequests, 3)
  expect_equal(st$totalPredictions, 3)
  expect_equal(st$userErrorRate, 0)
  expect_true(is.na(st$peakLoad))

  dr_register(cl, intercept = 1.0, coef = c(0, 0))
  expect_error(ReplaceDeployedModel(dep, 2, "because"), "replacementReason")
  rep <- ReplaceDeployedModel(dep, 2, "DATA_DRIFT", maxWait = 30)
  put <- emu_requests("/api/2.0/serving-endpoints/fraud-scoring/config")[[1]]$json
  expect_equal(put$served_entities[[1]]$entity_version, "2")
  expect_equal(put$traffic_config$routes[[1]]$served_entity_name, "main-default-fraud-2")
  expect_equal(rep$model$version, "2")
  expect_equal(rep$tags$replacement_reason, "DATA_DRIFT")
  expect_equal(dbx_registry_get_version_by_alias(cl, DR_UC, "champion")$version, 2)
  expect_equal(Predict("fraud-scoring", data.frame(amount = 5, hour = 1)), 1 / (1 + exp(-1)), tolerance = 1e-12)
  DeleteDeployment(dep)
  expect_error(GetDeployment("fraud-scoring"), class = "dbx_not_found")
})

test_that("SubmitActuals appends to a Delta table beside the inference table", {
  cl <- dr_connect()
  dr_register(cl)
  CreateDeployment("models:/main.default.fraud/1", "fraud-scoring", maxWait = 30)
  acts <- data.frame(associationId = sprintf("t-%d", 0:5), actualValue = c(0, 1, 0, 1, 0, 1),
                     wasActedOn = c(TRUE, rep(NA, 5)))
  expect_error(SubmitActuals(acts, "fraud-scoring"), "inference table")
  dbx_request(cl, "PUT", "/api/2.0/serving-endpoints/fraud-scoring/ai-gateway",
              '{"inference_table_config": {"catalog_name": "main", "schema_name": "default", "enabled": true}}')
  n0 <- length(emu_requests("/api/2.0/sql/statements"))
  expect_error(SubmitActuals(data.frame(actualValue = 1), "fraud-scoring"), "associationId is required")
  expect_error(SubmitActuals(acts, "fraud-scoring", batchSize = 20000), "batchSize")
  expect_equal(length(emu_requests("/api/2.0/sql/statements")), n0)
  SubmitActuals(acts, "fraud-scoring", batchSize = 4)
  stmts <- vapply(emu_requests("/api/2.0/sql/statements"), function(r) r$json$statement, "")
  expect_equal(sum(startsWith(stmts, "INSERT INTO")), 2)
  got <- dbx_sql_execute(cl, DR_WH, "SELECT association_id, actual_value, was_acted_on, deployment_id FROM main.default.fraud_scoring_actuals ORDER BY association_id")
  expect_equal(got$association_id, sprintf("t-%d", 0:5))
  expect_equal(got$actual_value, c(0, 1, 0, 1, 0, 1))
  expect_equal(got$was_acted_on, c(TRUE, rep(NA, 5)))
  expect_equal(unique(got$deployment_id), "fraud-scoring")
})

test_that("the ported DataRobot R script differs only in library and connection, and runs", {
  launcher <- emu_launcher()
  root <- normalizePath(file.path(dirname(launcher), "..", ".."), mustWork = FALSE)
  ex <- file.path(root, "examples", "r", "datarobot_port")
  skip_if_not(dir.exists(ex), "the repository's examples are not reachable")
  orig <- readLines(file.path(ex, "score_and_submit_datarobot.R"))
  port <- readLines(file.path(ex, "score_and_submit.R"))
  expect_equal(length(orig), length(port))
  changed <- which(orig != port)
  expect_equal(trimws(orig[changed]), c("library(datarobot)",
                                        'ConnectToDataRobot(configPath = "~/.config/datarobot/drconfig.yaml")'))
  expect_equal(trimws(sub("#.*", "", port[changed])), c("library(libdbx)", "ConnectToDatabricks()"))

  cl <- dr_connect()
  dr_register(cl)
  CreateDeployment("models:/main.default.fraud/1", "fraud-scoring", maxWait = 30)
  dbx_request(cl, "PUT", "/api/2.0/serving-endpoints/fraud-scoring/ai-gateway",
              '{"inference_table_config": {"catalog_name": "main", "schema_name": "default", "enabled": true}}')
  scoring <- tempfile(fileext = ".csv")
  write.csv(data.frame(amount = (0:39) %% 9, hour = (0:39) %% 24), scoring, row.names = FALSE)
  actuals <- tempfile(fileext = ".csv")
  write.csv(data.frame(association_id = sprintf("t-%d", 0:6), actual_value = (0:6) %% 2), actuals, row.names = FALSE)
  out <- tempfile(fileext = ".json")
  old <- Sys.getenv(c("DATABRICKS_HOST", "DATABRICKS_TOKEN", "DATABRICKS_WAREHOUSE_ID", "DATABRICKS_CONFIG_FILE"),
                    unset = NA)
  on.exit({ for (k in names(old)) if (is.na(old[[k]])) Sys.unsetenv(k) else do.call(Sys.setenv, as.list(old[k])) })
  Sys.setenv(DATABRICKS_HOST = emu_start(), DATABRICKS_TOKEN = "dapi-emulator-token",
             DATABRICKS_WAREHOUSE_ID = DR_WH, DATABRICKS_CONFIG_FILE = "/dev/null")
  env <- new.env()
  sys.source(file.path(ex, "score_and_submit.R"), envir = env)
  expect_equal(env$main("fraud-scoring", scoring, actuals, out), 0L)
  res <- .dbx_json_parse(paste(readLines(out), collapse = ""))
  expect_equal(res$scored, 40)
  expect_equal(res$actuals, 7)
  expect_equal(res$flagged, sum(dr_p1((0:39) %% 9, (0:39) %% 24) >= 0.5))
  expect_equal(env$main("nope", scoring, actuals, out), 2L)
})
