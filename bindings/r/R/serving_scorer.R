# The real-time scorer: many queries to one serving endpoint in flight at once from this R
# session (libdbx drives the I/O while R waits for results; no thread is started).
# dbx_serving_score_many() is the one-call shape: a data.frame in, one prediction per row out,
# in row order. dbx_serving_scorer() is the handle for streams of queries.

.dbx_scorer_formats <- c("dataframe_split", "dataframe_records", "instances", "inputs")

.dbx_scorer_ms <- function(seconds, what) {
  if (is.null(seconds)) return(NULL)
  if (!is.numeric(seconds) || length(seconds) != 1 || is.na(seconds) || seconds <= 0)
    stop(what, " must be a number of seconds > 0")
  max(1, seconds * 1000)
}

dbx_serving_scorer <- function(client, name, max_in_flight = 64L, timeout = NULL, attempt_timeout = NULL,
                               http1 = FALSE) {
  ptr <- .dbx_check(.Call(r_dbx_serving_scorer_new, client$ptr, name, as.integer(max_in_flight),
                          .dbx_scorer_ms(timeout, "timeout"), .dbx_scorer_ms(attempt_timeout, "attempt_timeout"),
                          isTRUE(http1)))
  structure(list(ptr = ptr, name = name), class = "dbx_serving_scorer")
}

print.dbx_serving_scorer <- function(x, ...) {
  cat("<dbx_serving_scorer ", x$name, ">\n", sep = "")
  invisible(x)
}

dbx_serving_scorer_submit <- function(scorer, data = NULL, body = NULL, format = "dataframe_split") {
  if (is.null(data) == is.null(body)) stop("give exactly one of data (a data.frame: one query per row) and body")
  if (!is.null(body)) {
    if (!is.character(body)) body <- .dbx_to_json(body)
    return(.dbx_check(.Call(r_dbx_serving_scorer_submit, scorer$ptr, body)))
  }
  code <- match(format, .dbx_scorer_formats)
  if (is.na(code)) stop("format must be dataframe_split, dataframe_records, instances or inputs")
  if (!.dbx_serving_is_table(data)) stop("data must be a data.frame of numeric, logical or character columns")
  .dbx_check(.Call(r_dbx_serving_scorer_submit_rows, scorer$ptr, .dbx_serving_table(data), code))
}

.dbx_serving_completion <- function(d) {
  if (is.null(d)) return(NULL)
  list(id = d$id, ok = d$ok,
       predictions = if (d$ok) .dbx_serving_answer(d$result)$predictions else NULL,
       served_model_name = if (d$ok) d$result$served_model_name else NA_character_,
       latency_ms = if (d$ok) d$result$latency_ms else NA_real_,
       error = if (d$ok) NULL else .dbx_condition(d$failure))
}

dbx_serving_scorer_next <- function(scorer, wait = 0) {
  wait_ms <- if (is.null(wait)) -1 else max(0, as.numeric(wait) * 1000)
  .dbx_serving_completion(.dbx_check(.Call(r_dbx_serving_scorer_next, scorer$ptr, wait_ms)))
}

dbx_serving_scorer_poll <- function(scorer, wait = 0) {
  wait_ms <- if (is.null(wait)) -1 else max(0, as.numeric(wait) * 1000)
  .dbx_check(.Call(r_dbx_serving_scorer_poll, scorer$ptr, wait_ms))
}

dbx_serving_scorer_cancel <- function(scorer, id) {
  .dbx_check(.Call(r_dbx_serving_scorer_cancel, scorer$ptr, as.numeric(id)))
}

dbx_serving_scorer_drain <- function(scorer, timeout = NULL) {
  .dbx_check(.Call(r_dbx_serving_scorer_drain, scorer$ptr, .dbx_scorer_ms(timeout, "timeout")))
  out <- list()
  while (!is.null(d <- dbx_serving_scorer_next(scorer, 0))) out[[length(out) + 1]] <- d
  out
}

dbx_serving_scorer_stats <- function(scorer) {
  .dbx_check(.Call(r_dbx_serving_scorer_stats, scorer$ptr))
}

dbx_serving_scorer_close <- function(scorer) {
  invisible(.Call(r_dbx_serving_scorer_close, scorer$ptr))
}

dbx_serving_score_many <- function(client, name, df, max_in_flight = 64L, timeout = NULL,
                                   format = "dataframe_split") {
  s <- dbx_serving_scorer(client, name, max_in_flight = max_in_flight, timeout = timeout)
  on.exit(dbx_serving_scorer_close(s))
  ids <- dbx_serving_scorer_submit(s, data = df, format = format)
  n <- length(ids)
  preds <- vector("list", n)
  left <- n
  while (left > 0) {
    d <- dbx_serving_scorer_next(s, wait = 0.2)  # short waits: Ctrl-C is seen between them
    if (is.null(d)) next
    if (!d$ok) stop(d$error)
    p <- d$predictions
    preds[[match(d$id, ids)]] <- if (length(p) == 1 && !is.list(p)) p[[1]] else p
    left <- left - 1
  }
  if (n > 0 && all(vapply(preds, function(p) is.atomic(p) && length(p) == 1, logical(1)))) unlist(preds) else preds
}
