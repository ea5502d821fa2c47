# DataRobot R client call shapes over Databricks (docs/porting-datarobot.md): a deployment is a
# serving endpoint keyed by its name, a model is "models:/<name>/<version>", actuals are rows
# appended to a Delta table. Nothing DataRobot-shaped is invented: what Databricks does not have
# is refused or NA.

.dbx_dr_reasons <- c("ACCURACY", "DATA_DRIFT", "ERRORS", "SCHEDULED_REFRESH", "SCORING_SPEED", "OTHER")

.dbx_dr_client <- function() .dbx_default_client()

.dbx_dr_fail <- function(msg) {
  stop(.dbx_condition(list(message = msg, status = -2L, status_name = "DBX_EINVAL", http_status = NA_integer_,
                           error_code = NA_character_, request_id = NA_character_, method = NA_character_,
                           path = NA_character_, attempts = NA_integer_), sys.call(-1)))
}

ConnectToDatabricks <- function(endpoint = NULL, token = NULL, configPath = NULL, sslVerify = TRUE,
                                maxRetries = NULL, profile = NULL, warehouseId = NULL, ...) {
  if (is.null(endpoint) != is.null(token))
    .dbx_dr_fail(paste("Token and endpoint must be specified from one source only: give both token and",
                       "endpoint, or neither (then both come from the environment or one config file)"))
  if (!is.null(endpoint) && grepl("/api/v2/?$", endpoint))
    .dbx_dr_fail("endpoint is the Databricks workspace URL (https://<workspace>), not a DataRobot /api/v2 URL")
  insecure <- NULL
  ca <- NULL
  if (isFALSE(sslVerify)) insecure <- TRUE
  else if (is.character(sslVerify)) ca <- sslVerify
  else if (!isTRUE(sslVerify)) .dbx_dr_fail("sslVerify must be TRUE, FALSE or the path of a CA bundle")
  attempts <- NULL
  if (!is.null(maxRetries)) {
    if (maxRetries < 0) .dbx_dr_fail("maxRetries must be >= 0")
    attempts <- as.integer(maxRetries) + 1L
  }
  cl <- dbx_client(host = endpoint, token = token, profile = profile,
                   config_file = if (is.null(configPath)) NULL else path.expand(configPath),
                   insecure_skip_verify = insecure, ca_bundle = ca, max_attempts = attempts, ...)
  if (is.null(token) && identical(.Call(r_dbx_client_info, cl$ptr)$auth_type, "pat")) {
    hs <- dbx_config_source(cl, "host")
    ts <- dbx_config_source(cl, "token")
    if (!identical(hs, ts)) {
      dbx_client_close(cl)
      .dbx_dr_fail(sprintf("Token and endpoint must be specified from one source only (host from %s, token from %s)",
                           hs, ts))
    }
  }
  .dbx_env$client <- cl
  .dbx_env$warehouse_id <- if (!is.null(warehouseId)) warehouseId else {
    w <- Sys.getenv("DATABRICKS_WAREHOUSE_ID", ""); if (nzchar(w)) w else NULL }
  invisible(cl)
}

.dbx_dr_deployment <- function(ep) {
  cfg <- if (!is.null(ep$config)) ep$config else ep$pending_config
  model <- NULL
  if (!is.null(cfg) && length(cfg$served_entities)) {
    routes <- cfg$traffic_config$routes
    share <- function(n) {
      for (r in routes) if (identical(r$served_entity_name, n)) return(r$traffic_percentage)
      if (length(routes)) 0 else 100
    }
    shares <- vapply(cfg$served_entities, function(e) as.numeric(share(e$name)), numeric(1))
    best <- cfg$served_entities[[which.max(shares)]]
    model <- list(name = best$entity_name, version = as.character(best$entity_version),
                  served_entity = best$name, traffic_percentage = max(shares))
  }
  tags <- list()
  for (t in ep$tags) tags[[t$key]] <- if (is.null(t$value)) "" else t$value
  structure(list(id = ep$name, label = ep$name, endpointId = ep$id,
                 description = if (is.null(ep$description)) NA_character_ else ep$description,
                 status = ep$state$ready, configUpdate = ep$state$config_update, model = model, tags = tags,
                 serviceHealth = NA, modelHealth = NA, accuracyHealth = NA),
            class = "dbxDeployment")
}

print.dbxDeployment <- function(x, ...) {
  cat(sprintf("Deployment %s (%s/%s)%s\n", x$label, x$status, x$configUpdate,
              if (is.null(x$model)) "" else sprintf(": %s version %s", x$model$name, x$model$version)))
  invisible(x)
}

.dbx_dr_id <- function(deployment) {
  if (inherits(deployment, "dbxDeployment")) return(deployment$id)
  if (is.character(deployment) && length(deployment) == 1) return(deployment)
  .dbx_dr_fail("deployment: give a deployment or its name")
}

.dbx_dr_model_ref <- function(cl, ref, default_model = NULL) {
  if (is.numeric(ref) && length(ref) == 1) {
    if (is.null(default_model)) .dbx_dr_fail("a bare version number needs a model: give \"models:/<name>/<version>\"")
    return(list(name = default_model, version = as.integer(ref)))
  }
  if (is.character(ref) && length(ref) == 1) {
    m <- regmatches(ref, regexec("^models:/([^/@]+)/([0-9]+)$", ref))[[1]]
    if (length(m) == 3) return(list(name = m[2], version = as.integer(m[3])))
    m <- regmatches(ref, regexec("^models:/([^/@]+)@([A-Za-z0-9_-]+)$", ref))[[1]]
    if (length(m) == 3) {
      v <- dbx_registry_get_version_by_alias(cl, m[2], m[3])
      return(list(name = v$name, version = as.integer(v$version)))
    }
  }
  .dbx_dr_fail(sprintf("model reference %s: give \"models:/<name>/<version>\" or \"models:/<name>@<alias>\"",
                       paste(format(ref), collapse = " ")))
}

ListDeployments <- function(orderBy = NULL, search = NULL, offset = 0, limit = 20) {
  cl <- .dbx_dr_client()
  eps <- attr(dbx_serving_list(cl), "raw")
  if (!is.null(search)) {
    s <- tolower(search)
    keep <- vapply(eps, function(e) grepl(s, tolower(e$name), fixed = TRUE) ||
                     grepl(s, tolower(if (is.null(e$description)) "" else e$description), fixed = TRUE), logical(1))
    eps <- eps[keep]
  }
  if (!is.null(orderBy)) {
    key <- sub("^-", "", orderBy)
    desc <- startsWith(orderBy, "-")
    v <- if (key == "label") vapply(eps, function(e) tolower(e$name), "")
         else if (key == "creation_timestamp") vapply(eps, function(e) as.numeric(e$creation_timestamp), 0)
         else .dbx_dr_fail(sprintf(paste("orderBy %s: Databricks serving endpoints have no such value; use",
                                         "\"label\" or \"creation_timestamp\" (\"-\" for descending)"), orderBy))
    eps <- eps[order(v, decreasing = desc)]
  }
  if (offset < 0 || limit < 0) .dbx_dr_fail("offset and limit must be >= 0")
  idx <- seq_along(eps)
  idx <- idx[idx > offset]
  if (limit > 0) idx <- utils::head(idx, limit)
  structure(lapply(eps[idx], .dbx_dr_deployment), class = c("listOfDeployments", "list"))
}

as.data.frame.listOfDeployments <- function(x, ...) {
  data.frame(id = vapply(x, function(d) d$id, ""), label = vapply(x, function(d) d$label, ""),
             status = vapply(x, function(d) d$status, ""),
             modelName = vapply(x, function(d) if (is.null(d$model)) NA_character_ else d$model$name, ""),
             modelVersion = vapply(x, function(d) if (is.null(d$model)) NA_character_ else d$model$version, ""),
             stringsAsFactors = FALSE)
}

GetDeployment <- function(deploymentId) .dbx_dr_deployment(dbx_serving_get(.dbx_dr_client(), .dbx_dr_id(deploymentId)))

CreateDeployment <- function(model, label, description = NULL, defaultPredictionServerId = NULL, maxWait = 600,
                             workloadSize = "Small", scaleToZero = FALSE, alias = "champion") {
  if (!is.null(defaultPredictionServerId))
    .dbx_dr_fail("defaultPredictionServerId: Databricks serving has no prediction servers")
  cl <- .dbx_dr_client()
  ref <- .dbx_dr_model_ref(cl, model)
  dbx_serving_create(cl, label, list(served_entities = list(list(
    entity_name = ref$name, entity_version = as.character(ref$version), workload_size = workloadSize,
    scale_to_zero_enabled = isTRUE(scaleToZero)))), description = description)
  ep <- dbx_serving_wait_ready(cl, label, timeout = maxWait)
  if (!is.null(alias)) dbx_registry_set_alias(cl, ref$name, alias, ref$version)
  .dbx_dr_deployment(ep)
}

DeleteDeployment <- function(deploymentId) invisible(dbx_serving_delete(.dbx_dr_client(), .dbx_dr_id(deploymentId)))

ReplaceDeployedModel <- function(deploymentId, newModelId, replacementReason, maxWait = 600, alias = "champion") {
  if (!(replacementReason %in% .dbx_dr_reasons))
    .dbx_dr_fail(sprintf("replacementReason must be one of %s", paste(.dbx_dr_reasons, collapse = ", ")))
  cl <- .dbx_dr_client()
  id <- .dbx_dr_id(deploymentId)
  ep <- dbx_serving_get(cl, id)
  cur <- .dbx_dr_deployment(ep)
  if (is.null(cur$model) || is.null(ep$config)) .dbx_dr_fail(sprintf("deployment %s has no model yet", id))
  ref <- .dbx_dr_model_ref(cl, newModelId, default_model = cur$model$name)
  new_name <- sprintf("%s-%d", gsub(".", "-", ref$name, fixed = TRUE), ref$version)
  routes <- list()
  share <- function(n) {
    for (r in ep$config$traffic_config$routes) if (identical(r$served_entity_name, n)) return(r$traffic_percentage)
    0
  }
  ents <- lapply(ep$config$served_entities, function(e) {
    keep <- list(workload_size = e$workload_size, scale_to_zero_enabled = isTRUE(e$scale_to_zero_enabled))
    if (!is.null(e$environment_vars)) keep$environment_vars <- e$environment_vars
    if (identical(e$name, cur$model$served_entity))
      c(list(entity_name = ref$name, entity_version = as.character(ref$version), name = new_name), keep)
    else c(list(entity_name = e$entity_name, entity_version = as.character(e$entity_version), name = e$name), keep)
  })
  for (e in ep$config$served_entities) {
    n <- if (identical(e$name, cur$model$served_entity)) new_name else e$name
    routes[[length(routes) + 1]] <- list(served_entity_name = n, traffic_percentage = share(e$name))
  }
  dbx_serving_update_config(cl, id, list(served_entities = ents, traffic_config = list(routes = routes)))
  dbx_serving_wait_ready(cl, id, timeout = maxWait)
  if (!is.null(alias)) dbx_registry_set_alias(cl, ref$name, alias, ref$version)
  dbx_serving_patch_tags(cl, id, add = list(replacement_reason = replacementReason))
  GetDeployment(id)
}

Predict <- function(deployment, predictionDataset, maxWait = 600, maxRowsPerRequest = NULL) {
  cl <- .dbx_dr_client()
  id <- .dbx_dr_id(deployment)
  df <- if (is.character(predictionDataset) && length(predictionDataset) == 1)
    utils::read.csv(predictionDataset, stringsAsFactors = FALSE) else as.data.frame(predictionDataset)
  if (!nrow(df)) return(numeric(0))
  # libdbx's batch helper: chunks under the 16 MB limit (and maxRowsPerRequest), in parallel, in row order
  dbx_serving_query_batch(cl, id, df, max_rows_per_request = if (is.null(maxRowsPerRequest)) 0 else maxRowsPerRequest,
                          timeout = min(maxWait, 300))$predictions
}

.dbx_dr_beside_inference_table <- function(cl, id, suffix) {
  ep <- dbx_serving_get(cl, id)
  itc <- ep$ai_gateway$inference_table_config
  if (!isTRUE(itc$enabled)) itc <- ep$config$auto_capture_config
  if (is.null(itc$catalog_name) || is.null(itc$schema_name))
    .dbx_dr_fail(sprintf("table: deployment %s has no inference table to put the %s beside; give table=", id, suffix))
  prefix <- if (is.null(itc$table_name_prefix)) id else itc$table_name_prefix
  sprintf("%s.%s.%s_%s", itc$catalog_name, itc$schema_name, gsub("-", "_", prefix), suffix)
}

SubmitActuals <- function(actuals, deploymentId, batchSize = 10000, table = NULL, warehouseId = NULL) {
  if (!is.numeric(batchSize) || batchSize < 1 || batchSize > 10000) .dbx_dr_fail("batchSize must be from 1 to 10000")
  actuals <- as.data.frame(actuals, stringsAsFactors = FALSE)
  if (!nrow(actuals)) .dbx_dr_fail("actuals: no rows")
  for (col in c("associationId", "actualValue"))
    if (is.null(actuals[[col]]) || anyNA(actuals[[col]]))
      .dbx_dr_fail(sprintf("actuals: %s is required in every row", col))
  aid <- as.character(actuals$associationId)
  if (any(nchar(aid) > 128)) .dbx_dr_fail("actuals: associationId longer than 128 characters")
  av <- actuals$actualValue
  numeric_av <- is.numeric(av)
  acted <- if (is.null(actuals$wasActedOn)) rep(NA, nrow(actuals)) else as.logical(actuals$wasActedOn)
  ts <- if (is.null(actuals$timestamp)) rep(NA_real_, nrow(actuals)) else actuals$timestamp
  ts <- as.POSIXct(ts, tz = "UTC")
  cl <- .dbx_dr_client()
  id <- .dbx_dr_id(deploymentId)
  wh <- if (!is.null(warehouseId)) warehouseId else .dbx_env$warehouse_id
  if (is.null(wh)) .dbx_dr_fail("warehouseId: no SQL warehouse (give warehouseId, or to ConnectToDatabricks)")
  if (is.null(table)) table <- .dbx_dr_beside_inference_table(cl, id, "actuals")
  dbx_delta_create_table(cl, wh, table, c(association_id = "STRING",
                                          actual_value = if (numeric_av) "DOUBLE" else "STRING",
                                          was_acted_on = "BOOLEAN", timestamp = "TIMESTAMP",
                                          deployment_id = "STRING", submitted_at = "TIMESTAMP"),
                         if_not_exists = TRUE)
  rows <- data.frame(association_id = aid, actual_value = if (numeric_av) as.numeric(av) else as.character(av),
                     was_acted_on = acted, timestamp = ts, deployment_id = id,
                     submitted_at = as.POSIXct(Sys.time(), tz = "UTC"), stringsAsFactors = FALSE)
  dbx_delta_append(cl, wh, table, rows, batch_rows = as.integer(batchSize))
  invisible(nrow(rows))
}

GetDeploymentServiceStats <- function(deploymentId, modelId = NULL) {
  m <- dbx_serving_metrics(.dbx_dr_client(), .dbx_dr_id(deploymentId))
  total <- function(metric) {
    keep <- m$name == metric
    if (!is.null(modelId))
      keep <- keep & vapply(m$labels, function(l) identical(unname(l[["served_entity_name"]]), modelId), logical(1))
    if (any(keep)) sum(m$value[keep]) else NA_real_
  }
  req <- total("request_count_total")
  e4 <- total("request_4xx_count_total")
  e5 <- total("request_5xx_count_total")
  lsum <- total("request_latency_ms_sum")
  lcount <- total("request_latency_ms_count")
  list(totalRequests = req, totalPredictions = req - ifelse(is.na(e4), 0, e4) - ifelse(is.na(e5), 0, e5),
       userErrorRate = if (is.na(req) || req == 0) NA_real_ else e4 / req,
       serverErrorRate = if (is.na(req) || req == 0) NA_real_ else e5 / req,
       responseTime = if (is.na(lcount) || lcount == 0) NA_real_ else lsum / lcount,
       executionTime = NA_real_, slowRequests = NA_real_, cacheHitRatio = NA_real_, medianLoad = NA_real_,
       peakLoad = NA_real_, numConsumers = NA_real_)
}
