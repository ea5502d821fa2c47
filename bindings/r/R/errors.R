# Failures come back from C as "dbx_failure" lists; .dbx_check() signals them as R
# conditions with one class per status, e.g. c("dbx_not_found", "dbx_error", "error",
# "condition"), carrying the HTTP status, error_code, request id, method and path.

.dbx_classes <- c(
  DBX_ERROR = "dbx_unclassified", DBX_EINVAL = "dbx_invalid_argument",
  DBX_ENOMEM = "dbx_out_of_memory", DBX_ECONFIG = "dbx_config_error",
  DBX_ETRANSPORT = "dbx_transport_error", DBX_ETIMEOUT = "dbx_timeout",
  DBX_ECANCELLED = "dbx_cancelled", DBX_EBADRESPONSE = "dbx_bad_response",
  DBX_EBADREQUEST = "dbx_bad_request", DBX_EUNAUTHENTICATED = "dbx_unauthenticated",
  DBX_EPERMISSION = "dbx_permission_denied", DBX_ENOTFOUND = "dbx_not_found",
  DBX_ECONFLICT = "dbx_conflict", DBX_ERATELIMITED = "dbx_rate_limited",
  DBX_ESERVER = "dbx_server_error", DBX_ENOTIMPLEMENTED = "dbx_not_implemented",
  DBX_EUNAVAILABLE = "dbx_unavailable", DBX_ESTATE = "dbx_operation_failed",
  DBX_EEXISTS = "dbx_already_exists", DBX_EINVALIDPARAM = "dbx_invalid_parameter",
  DBX_EINVALIDSTATE = "dbx_invalid_state", DBX_ETOOLARGE = "dbx_too_large")

.dbx_condition <- function(f, call = NULL, last = NULL) {
  cls <- .dbx_classes[[f$status_name]]
  if (is.null(cls)) cls <- "dbx_unclassified"
  extra <- if (cls %in% c("dbx_invalid_parameter", "dbx_invalid_state")) "dbx_bad_request" else NULL
  structure(
    class = c(cls, extra, "dbx_error", "error", "condition"),
    list(message = f$message, call = call, status = f$status, status_name = f$status_name,
         http_status = f$http_status, error_code = f$error_code, request_id = f$request_id,
         method = f$method, path = f$path, attempts = f$attempts, last = last))
}

conditionMessage.dbx_error <- function(c) {
  msg <- c$message
  if (!is.na(c$error_code) && !grepl(c$error_code, msg, fixed = TRUE))
    msg <- paste0(msg, " [", c$error_code, "]")
  msg
}

.dbx_check <- function(x, call = sys.call(-1)) {
  if (inherits(x, "dbx_failure")) stop(.dbx_condition(x, call))
  x
}

.dbx_wait_result <- function(ans, call = sys.call(-1)) {
  if (isTRUE(ans$interrupted)) {
    # Ctrl-C during the wait: libdbx has cleaned up; now let R see the interrupt
    cond <- structure(class = c("interrupt", "condition"), list(message = "interrupted", call = call))
    signalCondition(cond)
    stop("interrupted")
  }
  if (!is.null(ans$callback_error)) stop(ans$callback_error)  # the callback's own error, as raised
  if (!is.null(ans$failure)) stop(.dbx_condition(ans$failure, call, last = ans$result))
  ans$result
}

# A progress callback that never unwinds through C: its error comes back as a value and is
# raised again once libdbx has returned; an interrupt comes back as a marker.
.dbx_progress <- function(progress) {
  if (is.null(progress)) return(NULL)
  if (!is.function(progress)) stop("progress must be a function(id, state)")
  force(progress)
  function(id, state) {
    tryCatch({
      progress(id, state)
      NULL
    }, interrupt = function(e) structure(list(), class = "dbx_interrupt"),
    error = function(e) e)
  }
}
