# Migration program 2, in R: deploy the champion and check scoring parity.
#
# The firm's DataRobot scoring scripts are partly R: they call a deployment's prediction API.
# This is program 2 (examples/migration/deploy_and_score.c) through the R binding, so those
# scripts have a tested Databricks counterpart. It makes its own model (so it runs alone): a
# logistic model with fixed, known coefficients on raw transaction features (the same as
# mmodel.h: tx_amount, tx_during_weekend, tx_during_night), written as an MLflow pyfunc
# directory (MLmodel with a signature), registered as a Unity Catalog model version with the
# alias `champion`; it creates a serving endpoint for that version, waits for READY, writes the
# "recorded scoring file" (the rows the gen_transactions CLI makes for the seed, and the
# predictions the old platform returned for them, rounded to 6 decimals as its CSV export is),
# and replays it through invocations: sequentially (one row per request, each timed) and with
# the real-time scorer (64 queries in flight, each timed from its submission to its
# completion). Every prediction must match the recorded one within 1e-6 (absolute).
#
# Result: <out>/deploy_and_score_r.json (the contract of mreport.h) and .html (rendered by
# render_report), <out>/recorded_scores_r.csv. Exit code 0 only when every check passed.
#
# Run (the R package installed, e.g. R CMD INSTALL bindings/r, or R_LIBS pointing at a library
# holding it; examples/migration/run_on_emulator.sh installs it into <build>/r-lib):
#   Rscript examples/migration/deploy_and_score.R
# Configuration: the workspace and credentials as for every libdbx program (DATABRICKS_*,
# ~/.databrickscfg), and
#   DBX_MIGRATION_CATALOG / DBX_MIGRATION_SCHEMA  (default main / fraud_migration)
#   DBX_MIGRATION_ENDPOINT  endpoint name (default "fraud-scoring-migration-r"; a leftover one
#                           of that name is deleted first)
#   DBX_MIGRATION_ROWS      rows replayed (default 1000); DBX_MIGRATION_SEED (7)
#   DBX_MIGRATION_KEEP=1    keep the endpoint at the end (default: deleted)
#   DBX_MIGRATION_OUT       directory of the results (default "migration-results")
#   DBX_GEN_TRANSACTIONS    the gen_transactions CLI (default <dirname LIBDBX_PATH>/examples/
#                           gen_transactions, else build/examples/gen_transactions)
#   DBX_RENDER_REPORT       the render_report CLI (default beside gen_transactions)
#   DBX_MIGRATION_COMPARE_WITH  optional: the C program's recorded_scores.csv for the same
#                           rows and seed; the R file must equal it line for line (the same
#                           rows, features and rounded predictions: R's formula is C's)

suppressPackageStartupMessages(library(libdbx))

TOLERANCE <- 1e-6
P99_LIMIT_MS <- 2000
IN_FLIGHT <- 64L
MIN_ROWS_THROUGHPUT <- 500  # below this, "scorer faster than sequential" measures start-up only

FEATURES <- c("tx_amount", "tx_during_weekend", "tx_during_night")
MODEL <- list(intercept = -4.0, coefficients = c(0.02, 0.3, 0.8))  # mmodel.h's, as in the C program

env_or <- function(name, default) {
  v <- Sys.getenv(name, "")
  if (nzchar(v)) v else default
}

now_ms <- function() as.numeric(Sys.time()) * 1000

script_dir <- function() {
  f <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
  if (length(f) == 1) dirname(normalizePath(f)) else getwd()
}

# The build's examples directory: beside LIBDBX_PATH (run_on_emulator.sh sets it), else build/.
examples_bin <- function(name) {
  lib <- Sys.getenv("LIBDBX_PATH", "")
  base <- if (nzchar(lib)) file.path(dirname(lib), "examples")
          else file.path(script_dir(), "..", "..", "build", "examples")
  normalizePath(file.path(base, name), mustWork = FALSE)
}

# ---- the model: mmodel.{h,c} in R ------------------------------------------------------------

# Features of generated transactions (the gen_transactions CSV), as mmodel_features().
model_features <- function(tx) {
  epoch <- as.numeric(as.POSIXct(tx$tx_datetime, format = "%Y-%m-%d %H:%M:%S", tz = "UTC"))
  if (anyNA(epoch)) stop("unreadable tx_datetime in the generated transactions")
  dow <- (floor(epoch / 86400) + 4) %% 7  # 1970-01-01 was a Thursday (4)
  data.frame(transaction_id = tx$transaction_id,
             tx_amount = as.numeric(tx$tx_amount),
             tx_during_weekend = as.numeric(dow == 0 | dow == 6),
             tx_during_night = as.numeric(epoch %% 86400 < 6 * 3600))
}

# sigmoid(intercept + sum(coef * x)) in the loader's order of operations (mmodel_predict()).
model_predict <- function(m, x) {
  z <- rep(m$intercept, nrow(x))
  for (k in seq_along(FEATURES)) z <- z + m$coefficients[k] * x[[FEATURES[k]]]
  ifelse(z >= -700, 1 / (1 + exp(-z)), 0)
}

# The pyfunc loader the training job registers (a stdlib-only pyfunc): train_fraud.py's LOADER,
# read from that file (one source for the job, C, Python and R).
read_loader <- function() {
  src <- paste(readLines(file.path(script_dir(), "train_fraud.py"), warn = FALSE), collapse = "\n")
  q <- strrep("'", 3)
  at <- regexpr(paste0("LOADER = ", q), src, fixed = TRUE)
  if (at < 0) stop("train_fraud.py: no LOADER")
  rest <- substring(src, at + attr(at, "match.length"))
  end <- regexpr(q, rest, fixed = TRUE)
  if (end < 0) stop("train_fraud.py: LOADER is not closed")
  substring(rest, 1, end - 1)
}
LOADER <- read_loader()

model_write <- function(m, dir) {
  dir.create(file.path(dir, "code"), recursive = TRUE, showWarnings = FALSE)
  inputs <- paste0("[", paste(sprintf('{"type": "double", "name": "%s", "required": true}', FEATURES),
                              collapse = ", "), "]")
  writeLines(c("artifact_path: model", "flavors:", "  python_function:", "    code: code",
               "    data: model.json", "    env:", "      virtualenv: python_env.yaml",
               "    loader_module: fraud_model", "    python_version: 3.11.0", "mlflow_version: 2.16.0",
               "signature:", paste0("  inputs: '", inputs, "'"),
               "  outputs: '[{\"type\": \"double\", \"required\": true}]'", "  params: null"),
             file.path(dir, "MLmodel"))
  # %.17g: the served model reads back exactly the doubles scored here
  writeLines(sprintf('{"flavor": "logistic", "features": [%s], "intercept": %s, "coefficients": [%s], "output": "probability"}',
                     paste0('"', FEATURES, '"', collapse = ", "), sprintf("%.17g", m$intercept),
                     paste(sprintf("%.17g", m$coefficients), collapse = ", ")),
             file.path(dir, "model.json"))
  writeLines(c("python: 3.11.0", "build_dependencies:", "- pip", "dependencies:", "- mlflow==2.16.0"),
             file.path(dir, "python_env.yaml"))
  cat(LOADER, file = file.path(dir, "code", "fraud_model.py"))
  invisible(dir)
}

# ---- the result document (mreport.h's contract), base R only ------------------------------------

json_str <- function(s) {
  s <- gsub("\\", "\\\\", enc2utf8(s), fixed = TRUE)
  s <- gsub("\"", "\\\"", s, fixed = TRUE)
  s <- gsub("\n", "\\n", s, fixed = TRUE)
  s <- gsub("\r", "\\r", s, fixed = TRUE)
  s <- gsub("\t", "\\t", s, fixed = TRUE)
  paste0("\"", gsub("[\001-\037]", " ", s), "\"")
}

json_num <- function(v) ifelse(is.finite(v), sprintf("%.15g", v), "null")

# NULL / NA -> null; named list -> object; unnamed list or I(vector) -> array; else a scalar.
to_json <- function(x) {
  if (is.null(x)) return("null")
  if (is.list(x)) {
    if (!is.null(names(x)))
      return(paste0("{", paste(json_str(names(x)), vapply(x, to_json, ""), sep = ":", collapse = ","), "}"))
    return(paste0("[", paste(vapply(x, to_json, ""), collapse = ","), "]"))
  }
  v <- if (is.numeric(x)) json_num(x)
       else if (is.logical(x)) ifelse(is.na(x), "null", ifelse(x, "true", "false"))
       else ifelse(is.na(x), "null", json_str(as.character(x)))
  if (inherits(x, "AsIs") || length(x) != 1) paste0("[", paste(v, collapse = ","), "]") else v
}

# Nearest-rank percentile (mreport_percentile()).
percentile <- function(v, p) {
  if (!length(v)) return(NA_real_)
  s <- sort(v, na.last = TRUE)
  s[min(max(ceiling(p / 100 * length(s)), 1), length(s))]
}

new_report <- function(program, title) {
  r <- new.env()
  r$t0 <- now_ms()
  r$doc <- list(program = program, title = title, workspace = "",
                started_at = format(Sys.time(), "%Y-%m-%dT%H:%M:%SZ", tz = "UTC"), passed = TRUE,
                steps = list(), checks = list())
  r$open <- FALSE
  r
}

step_end <- function(r, ok, detail = "") {
  if (!r$open) return(invisible())
  i <- length(r$doc$steps)
  s <- r$doc$steps[[i]]
  s$duration_ms <- now_ms() - r$t0 - s$start_ms
  s$ok <- isTRUE(ok)
  s$detail <- detail
  r$doc$steps[[i]] <- s
  r$open <- FALSE
  if (!isTRUE(ok)) r$doc$passed <- FALSE
  cat(sprintf("   %s (%.0f ms)%s\n", if (isTRUE(ok)) "ok" else "FAILED", s$duration_ms,
              if (nzchar(detail)) paste0(": ", detail) else ""))
}

step_begin <- function(r, name) {
  step_end(r, TRUE)
  r$doc$steps[[length(r$doc$steps) + 1]] <- list(name = name, start_ms = now_ms() - r$t0, duration_ms = 0,
                                                 ok = FALSE, detail = "")
  r$open <- TRUE
  cat("== ", name, "\n", sep = "")
  flush(stdout())
}

check <- function(r, name, value, op, threshold, unit = "") {
  f <- switch(op, "<=" = `<=`, "<" = `<`, ">=" = `>=`, ">" = `>`, "==" = `==`)
  pass <- is.finite(value) && isTRUE(f(value, threshold))
  r$doc$checks[[length(r$doc$checks) + 1]] <- list(name = name, value = if (is.finite(value)) value else NULL,
                                                   op = op, threshold = threshold, unit = unit, passed = pass)
  if (!pass) r$doc$passed <- FALSE
  cat(sprintf("   check %-48s %s %g %s %g %s\n", name, if (pass) "PASS" else "FAIL", value, op, threshold, unit))
  pass
}

# A check that does not apply to this run: recorded, passed, and marked skipped with the reason.
skip_check <- function(r, name, reason) {
  r$doc$checks[[length(r$doc$checks) + 1]] <- list(name = name, value = NULL, op = "", threshold = NULL,
                                                   unit = "", passed = TRUE, skipped = TRUE, reason = reason)
  cat(sprintf("   check %-48s SKIPPED (%s)\n", name, reason))
}

write_report <- function(r, out_dir) {
  step_end(r, TRUE)
  json <- file.path(out_dir, paste0(r$doc$program, ".json"))
  html <- file.path(out_dir, paste0(r$doc$program, ".html"))
  writeLines(to_json(r$doc), json, useBytes = TRUE)
  render <- env_or("DBX_RENDER_REPORT", examples_bin("render_report"))
  rc <- if (file.exists(render)) system2(render, c(json, html)) else {
    message("render_report not found at ", render, " (set DBX_RENDER_REPORT)")
    1L
  }
  cat(sprintf("\n%s: result %s, report %s\n", if (isTRUE(r$doc$passed) && rc == 0) "PASSED" else "FAILED",
              json, html))
  rc == 0
}

# ---- the program -------------------------------------------------------------------------------

catalog <- env_or("DBX_MIGRATION_CATALOG", "main")
schema <- env_or("DBX_MIGRATION_SCHEMA", "fraud_migration")
endpoint <- env_or("DBX_MIGRATION_ENDPOINT", "fraud-scoring-migration-r")
nrows <- suppressWarnings(as.numeric(env_or("DBX_MIGRATION_ROWS", "1000")))
seed <- env_or("DBX_MIGRATION_SEED", "7")
out_dir <- env_or("DBX_MIGRATION_OUT", "migration-results")
dir.create(out_dir, recursive = TRUE, showWarnings = FALSE)
out_dir <- normalizePath(out_dir, mustWork = FALSE)
if (is.na(nrows) || nrows < 1 || nrows > 1e7 || nrows != round(nrows)) {
  message("DBX_MIGRATION_ROWS must be 1..10000000")
  quit(status = 2)
}
if (!grepl("^[0-9]+$", seed)) {
  message("DBX_MIGRATION_SEED must be a non-negative integer")
  quit(status = 2)
}

rpt <- new_report("deploy_and_score_r", "Migration 2 (R): deploy the champion, replay recorded scores")
client <- tryCatch(dbx_client(product = "dbx-migration-deploy-and-score-r/1.0"), dbx_error = function(e) {
  message("cannot configure a client: ", conditionMessage(e))
  quit(status = 2)
})
rpt$doc$workspace <- dbx_client_host(client)
endpoint_created <- FALSE

# one query's single prediction, or NA (with the reason kept for the first few failures)
failures <- character(0)
note_failure <- function(what) {
  if (length(failures) < 5) message(what)
  failures <<- c(failures, what)
}
one_number <- function(p) if (is.numeric(p) && length(p) == 1) as.numeric(p) else NA_real_

run <- function() {
  # 1. the model: fixed coefficients on raw features
  step_begin(rpt, "register the champion model")
  name <- sprintf("%s.%s.fraud_scoring", catalog, schema)
  dir <- model_write(MODEL, file.path(out_dir, "deploy_and_score_r_model"))
  tryCatch(dbx_schemas_create(client, catalog, schema), dbx_already_exists = function(e) NULL)
  v <- dbx_registry_register_uc_version(client, name, dir, create_model = TRUE, timeout = 20 * 60,
                                        description = "libdbx migration program 2 (R): fixed logistic model")
  version <- v$version
  dbx_registry_set_alias(client, name, "champion", version, registry = "uc")
  champion <- dbx_registry_get_version_by_alias(client, name, "champion", registry = "uc")$version
  step_end(rpt, TRUE, sprintf("%s version %d, alias champion", name, version))
  check(rpt, "champion alias points at the new version", champion, "==", version)

  # 2. the endpoint (a leftover of the same name is deleted first)
  step_begin(rpt, "create the serving endpoint and wait for READY")
  entity <- sprintf("champion-%d", champion)
  deleted <- tryCatch({
    dbx_serving_delete(client, endpoint)
    TRUE
  }, dbx_not_found = function(e) FALSE)
  config <- list(served_entities = list(list(name = entity, entity_name = name, entity_version = as.character(champion),
                                             workload_size = "Small", scale_to_zero_enabled = FALSE)),
                 traffic_config = list(routes = list(list(served_model_name = entity, traffic_percentage = 100L))))
  t0 <- now_ms()
  # a workspace may take a moment to release the name of the endpoint just deleted
  for (attempt in 0:24) {
    created <- tryCatch({
      dbx_serving_create(client, endpoint, config, tags = list(migrated_from = "datarobot", program = rpt$doc$program))
      TRUE
    }, dbx_already_exists = function(e) if (deleted && attempt < 24) FALSE else stop(e))
    if (created) break
    Sys.sleep(5)
  }
  endpoint_created <<- TRUE
  ep <- dbx_serving_wait_ready(client, endpoint, timeout = 45 * 60)
  ready <- identical(ep$state$ready, "READY")
  step_end(rpt, ready, sprintf("%s %s, serving %s in %.1f s", endpoint, ep$state$ready, entity, (now_ms() - t0) / 1000))
  if (!ready) return(1L)

  # 3. the recorded scoring file: the generator's rows and what the old platform returned
  step_begin(rpt, "write and read the recorded scoring file")
  gen <- env_or("DBX_GEN_TRANSACTIONS", examples_bin("gen_transactions"))
  tx_csv <- file.path(out_dir, "deploy_and_score_r_transactions.csv")
  rc <- if (!file.exists(gen)) "not found" else
    system2(gen, c("--rows", format(nrows, scientific = FALSE), "--seed", seed, "-o", tx_csv), stderr = FALSE)
  if (!identical(rc, 0L)) {
    step_end(rpt, FALSE, sprintf("gen_transactions %s: %s (set DBX_GEN_TRANSACTIONS)", gen,
                                 if (is.character(rc)) rc else paste("exit", rc)))
    return(1L)
  }
  tx <- read.csv(tx_csv, colClasses = c(transaction_id = "character", tx_datetime = "character",
                                        tx_amount = "character"))
  x <- model_features(tx)
  x$prediction <- model_predict(MODEL, x)
  csv <- file.path(out_dir, "recorded_scores_r.csv")
  writeLines(c(paste(c("transaction_id", FEATURES, "prediction"), collapse = ","),
               sprintf("%s,%.2f,%.0f,%.0f,%.6f", x$transaction_id, x$tx_amount, x$tx_during_weekend,
                       x$tx_during_night, x$prediction)), csv)
  # replay the file as recorded (not the generator)
  rows <- read.csv(csv, colClasses = c(transaction_id = "character"))
  n <- nrow(rows)
  step_end(rpt, n == nrows, sprintf("%d rows in %s", n, csv))
  check(rpt, "recorded rows", n, "==", nrows, "rows")
  c_file <- Sys.getenv("DBX_MIGRATION_COMPARE_WITH", "")
  if (nzchar(c_file)) {
    same <- file.exists(c_file) && identical(readLines(c_file), readLines(csv))
    check(rpt, "recorded file equals the C program's (rows, features, predictions)", as.numeric(same), "==", 1)
  } else {
    skip_check(rpt, "recorded file equals the C program's (rows, features, predictions)",
               "DBX_MIGRATION_COMPARE_WITH not set")
  }
  old_p <- rows$prediction
  queries <- lapply(seq_len(n), function(i) rows[i, FEATURES])  # one one-row data.frame per request

  # 4. sequential replay: one row per request, each timed
  step_begin(rpt, "replay sequentially (one row per request)")
  seq_p <- rep(NA_real_, n)
  seq_ms <- numeric(n)
  s0 <- now_ms()
  for (i in seq_len(n)) {
    q0 <- now_ms()
    ans <- tryCatch(dbx_serving_query(client, endpoint, dataframe_split = queries[[i]]),
                    dbx_error = function(e) e)
    seq_ms[i] <- now_ms() - q0
    if (inherits(ans, "dbx_error")) note_failure(sprintf("row %d: %s", i, conditionMessage(ans)))
    else if (is.na(seq_p[i] <- one_number(ans$predictions))) note_failure(sprintf("row %d: not one number", i))
  }
  seq_wall <- now_ms() - s0
  seq_ok <- sum(!is.na(seq_p))
  seq_tput <- n / (seq_wall / 1000)
  step_end(rpt, seq_ok == n, sprintf("%d answered, %d failed, %.0f rows/s, p50 %.2f ms, p99 %.2f ms", seq_ok,
                                     n - seq_ok, seq_tput, percentile(seq_ms, 50), percentile(seq_ms, 99)))

  # 5. the real-time scorer: 64 in flight, each timed from its submission to its completion
  step_begin(rpt, "replay with the real-time scorer (64 in flight)")
  sc <- dbx_serving_scorer(client, endpoint, max_in_flight = IN_FLIGHT, timeout = 120)
  on.exit(dbx_serving_scorer_close(sc), add = TRUE)
  sc_p <- rep(NA_real_, n)
  sc_ms <- numeric(n)
  sent_at <- numeric(n)
  row_of <- new.env(hash = TRUE, size = n)  # query id -> row
  nxt <- 1L
  done <- 0L
  c0 <- now_ms()
  while (done < n) {
    # keep IN_FLIGHT queries out (none waits in the scorer's queue, so submission-to-completion
    # is the query's own latency)
    while (nxt <= n && nxt - 1L - done < IN_FLIGHT) {
      sent_at[nxt] <- now_ms()
      id <- dbx_serving_scorer_submit(sc, data = queries[[nxt]])
      assign(format(id, scientific = FALSE), nxt, envir = row_of)
      nxt <- nxt + 1L
    }
    d <- dbx_serving_scorer_next(sc, wait = 1)
    if (is.null(d)) next
    end <- now_ms()
    i <- get(format(d$id, scientific = FALSE), envir = row_of)
    sc_ms[i] <- end - sent_at[i]
    if (!d$ok) note_failure(sprintf("row %d (scorer): %s", i, conditionMessage(d$error)))
    else if (is.na(sc_p[i] <- one_number(d$predictions))) note_failure(sprintf("row %d (scorer): not one number", i))
    done <- done + 1L
  }
  sc_wall <- now_ms() - c0
  sc_ok <- sum(!is.na(sc_p))
  sc_tput <- n / (sc_wall / 1000)
  stats <- dbx_serving_scorer_stats(sc)
  step_end(rpt, sc_ok == n, sprintf("%d answered, %d failed, %.0f rows/s, p50 %.2f ms, p99 %.2f ms, %s connections, %s retries",
                                    sc_ok, n - sc_ok, sc_tput, percentile(sc_ms, 50), percentile(sc_ms, 99),
                                    format(stats$connections), format(stats$retried)))

  # 6. parity and latency
  step_begin(rpt, "compare with the recorded predictions")
  max_diff <- function(a, b) if (anyNA(b)) NaN else max(abs(a - b))
  d_seq <- max_diff(old_p, seq_p)
  d_sc <- max_diff(old_p, sc_p)
  d_formula <- max_diff(x$prediction, seq_p)  # R's unrounded predictions vs the served model
  rpt$doc$parity <- list(tolerance = TOLERANCE, old = I(old_p), new = I(seq_p))
  rpt$doc$latency <- list(list(series = "sequential", ms = I(seq_ms)),
                          list(series = "real-time scorer, 64 in flight", ms = I(sc_ms)))
  step_end(rpt, TRUE, sprintf("max |diff| %.3g sequential, %.3g scorer (tolerance %g)", d_seq, d_sc, TOLERANCE))
  check(rpt, "max |new - recorded| (sequential)", d_seq, "<=", TOLERANCE)
  check(rpt, "max |new - recorded| (scorer)", d_sc, "<=", TOLERANCE)
  check(rpt, "max |served - R formula| (unrounded)", d_formula, "<=", 1e-12)
  check(rpt, "rows answered (sequential)", seq_ok, "==", n, "rows")
  check(rpt, "rows answered (scorer)", sc_ok, "==", n, "rows")
  check(rpt, "failed queries", length(failures), "==", 0, "queries")
  check(rpt, "p99 latency, sequential", percentile(seq_ms, 99), "<=", P99_LIMIT_MS, "ms")
  check(rpt, "p99 latency, scorer", percentile(sc_ms, 99), "<=", P99_LIMIT_MS, "ms")
  if (n >= MIN_ROWS_THROUGHPUT) {
    check(rpt, "scorer throughput >= sequential", sc_tput, ">=", seq_tput, "rows/s")
  } else {
    skip_check(rpt, "scorer throughput >= sequential",
               sprintf("%d rows < %d: the scorer's start-up (opening its connections) would dominate", n,
                       MIN_ROWS_THROUGHPUT))
  }
  cat(sprintf(paste0("parity: max |diff| %.3g sequential, %.3g scorer; sequential p50 %.2f p95 %.2f p99 %.2f ms ",
                     "(%.0f rows/s); scorer p50 %.2f p95 %.2f p99 %.2f ms (%.0f rows/s)\n"),
              d_seq, d_sc, percentile(seq_ms, 50), percentile(seq_ms, 95), percentile(seq_ms, 99), seq_tput,
              percentile(sc_ms, 50), percentile(sc_ms, 95), percentile(sc_ms, 99), sc_tput))
  0L
}

code <- tryCatch(run(), dbx_error = function(e) {
  msg <- conditionMessage(e)
  if (!is.null(e$request_id) && !is.na(e$request_id) && nzchar(e$request_id))
    msg <- paste0(msg, ", request ", e$request_id)
  message("FAILED: ", msg)
  step_end(rpt, FALSE, msg)
  1L
}, error = function(e) {
  message("FAILED: ", conditionMessage(e))
  step_end(rpt, FALSE, conditionMessage(e))
  1L
})
if (endpoint_created && Sys.getenv("DBX_MIGRATION_KEEP", "0") %in% c("0", "")) {
  step_begin(rpt, "delete the endpoint")
  ok <- tryCatch({
    dbx_serving_delete(client, endpoint)
    "OK"
  }, dbx_error = function(e) conditionMessage(e))
  step_end(rpt, identical(ok, "OK"), sprintf("%s: %s", endpoint, ok))
}
written <- write_report(rpt, out_dir)
dbx_client_close(client)
quit(status = if (code != 0) code else if (isTRUE(rpt$doc$passed) && written) 0L else 1L)
