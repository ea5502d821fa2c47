# Jobs API 2.2: libdbx names (dbx_jobs_*, client first), brickster-style names (db_jobs_*,
# client last) and brickster's job-spec builders (job_task(), notebook_task(), new_cluster(),
# ...). Settings are named lists (the JobSettings JSON), validated by libdbx before sending.
# Ids are numbers (doubles: exact for every job and run id) or decimal strings.

# ---- JSON of settings --------------------------------------------------------------------

# A task built by job_task() carries libdbx's exact JSON (attribute "json"): arrays of one
# element stay arrays, which a round trip through R lists could not promise.
.dbx_task_json <- function(t) {
  if (inherits(t, "dbx_job_task")) attr(t, "json", exact = TRUE) else .dbx_to_json(t)
}

.dbx_settings_json <- function(settings) {
  if (is.character(settings) && length(settings) == 1) return(settings)
  if (!is.list(settings)) stop("settings must be a named list or JSON text")
  settings <- settings[!vapply(settings, is.null, logical(1))]
  if (length(settings) == 0) return("{}")
  if (is.null(names(settings)) || any(names(settings) == "")) stop("settings must be a named list")
  parts <- vapply(names(settings), function(n) paste0(.dbx_json_str(n), ":", .dbx_field_json(n, settings[[n]])),
                  character(1))
  paste0("{", paste(parts, collapse = ","), "}")
}

.dbx_field_json <- function(name, value) {
  if (name == "tasks") {
    if (inherits(value, "dbx_job_task")) value <- list(value)
    return(paste0("[", paste(vapply(value, .dbx_task_json, character(1)), collapse = ","), "]"))
  }
  .dbx_to_json(value)
}

.dbx_ms <- function(x) {
  if (is.null(x)) return(NULL)
  if (inherits(x, "POSIXt")) return(format(round(as.numeric(x) * 1000), scientific = FALSE))
  x
}

.dbx_named_chr <- function(x, what) {
  if (is.null(x) || length(x) == 0) return(NULL)
  if (is.null(names(x)) || any(names(x) == "")) stop(what, " must be a named list or vector")
  vals <- vapply(x, function(v) if (is.character(v)) v else .dbx_to_json(v), character(1))
  names(vals) <- names(x)
  vals
}

.dbx_time <- function(ms) .POSIXct(ms / 1000, tz = "UTC")

.dbx_run_result <- function(run) {
  if (is.null(run)) return(NULL)
  tr <- run$task_runs
  run$task_runs <- data.frame(task_key = tr$task_key, run_id = tr$run_id,
                              life_cycle_state = tr$life_cycle_state, result_state = tr$result_state,
                              state_message = tr$state_message, stringsAsFactors = FALSE)
  run
}

# ---- libdbx names ------------------------------------------------------------------------

dbx_job_settings_validate <- function(settings) {
  invisible(.dbx_json_parse(.dbx_check(.Call(r_dbx_job_settings_check, .dbx_settings_json(settings)))))
}

dbx_jobs_create <- function(client, settings = list(), ...) {
  if (is.list(settings)) settings <- utils::modifyList(settings, list(...))
  .dbx_check(.Call(r_dbx_jobs_create, client$ptr, .dbx_settings_json(settings)))
}

dbx_jobs_get <- function(client, job_id) .dbx_check(.Call(r_dbx_jobs_get, client$ptr, job_id))

dbx_jobs_list <- function(client, name = NULL, expand_tasks = FALSE, limit = NULL, max_items = NULL) {
  cols <- .dbx_check(.Call(r_dbx_jobs_list, client$ptr, name, expand_tasks, limit, max_items))
  df <- data.frame(job_id = cols$job_id, name = cols$name, creator_user_name = cols$creator_user_name,
                   created_time = .dbx_time(cols$created_time),
                   max_concurrent_runs = cols$max_concurrent_runs, task_count = cols$task_count,
                   run_as_user_name = cols$run_as_user_name, stringsAsFactors = FALSE)
  attr(df, "raw") <- cols$raw
  df
}

dbx_jobs_update <- function(client, job_id, new_settings = NULL, fields_to_remove = NULL) {
  fields <- NULL
  if (!is.null(new_settings)) {
    if (!is.list(new_settings) || is.null(names(new_settings))) stop("new_settings must be a named list")
    new_settings <- new_settings[!vapply(new_settings, is.null, logical(1))]
    fields <- vapply(names(new_settings), function(n) .dbx_field_json(n, new_settings[[n]]), character(1))
  }
  invisible(.dbx_check(.Call(r_dbx_jobs_update, client$ptr, job_id, fields,
                             if (is.null(fields_to_remove)) NULL else as.character(fields_to_remove))))
}

dbx_jobs_reset <- function(client, job_id, new_settings) {
  invisible(.dbx_check(.Call(r_dbx_jobs_reset, client$ptr, job_id, .dbx_settings_json(new_settings))))
}

dbx_jobs_delete <- function(client, job_id) invisible(.dbx_check(.Call(r_dbx_jobs_delete, client$ptr, job_id)))

dbx_jobs_run_now <- function(client, job_id, job_parameters = NULL, only = NULL, queue = NULL,
                             notebook_params = NULL, python_params = NULL, idempotency_token = NULL) {
  ans <- .Call(r_dbx_jobs_run_now, client$ptr, job_id, .dbx_named_chr(job_parameters, "job_parameters"),
               if (is.null(only)) NULL else as.character(only), queue,
               .dbx_named_chr(notebook_params, "notebook_params"),
               if (is.null(python_params)) NULL else as.character(python_params), idempotency_token)
  .dbx_check_started(ans)
}

# A failed run-now / submit: the condition keeps the idempotency token, so a retry with it can
# never start a second run.
.dbx_check_started <- function(ans, call = sys.call(-1)) {
  if (inherits(ans, "dbx_failure")) {
    cond <- .dbx_condition(ans, call)
    cond$idempotency_token <- ans$idempotency_token
    stop(cond)
  }
  ans
}

dbx_jobs_submit <- function(client, spec, run_name = NULL, idempotency_token = NULL) {
  .dbx_check_started(.Call(r_dbx_jobs_submit, client$ptr, .dbx_settings_json(spec), run_name,
                           idempotency_token))
}

dbx_jobs_get_run <- function(client, run_id) {
  .dbx_run_result(.dbx_check(.Call(r_dbx_jobs_get_run, client$ptr, run_id)))
}

dbx_jobs_get_run_output <- function(client, run_id) {
  .dbx_check(.Call(r_dbx_jobs_get_run_output, client$ptr, run_id))
}

dbx_jobs_cancel_run <- function(client, run_id) {
  invisible(.dbx_check(.Call(r_dbx_jobs_run_action, client$ptr, "cancel", run_id, FALSE)))
}

dbx_jobs_cancel_all_runs <- function(client, job_id = NULL, all_queued_runs = FALSE) {
  invisible(.dbx_check(.Call(r_dbx_jobs_run_action, client$ptr, "cancel_all", job_id, all_queued_runs)))
}

dbx_jobs_delete_run <- function(client, run_id) {
  invisible(.dbx_check(.Call(r_dbx_jobs_run_action, client$ptr, "delete", run_id, FALSE)))
}

dbx_jobs_repair_run <- function(client, run_id, rerun_tasks = NULL, rerun_all_failed_tasks = FALSE,
                                rerun_dependent_tasks = FALSE, latest_repair_id = NULL,
                                job_parameters = NULL) {
  .dbx_check(.Call(r_dbx_jobs_repair_run, client$ptr, run_id,
                   if (is.null(rerun_tasks)) NULL else as.character(rerun_tasks),
                   rerun_all_failed_tasks, rerun_dependent_tasks, latest_repair_id,
                   .dbx_named_chr(job_parameters, "job_parameters")))
}

dbx_jobs_list_runs <- function(client, job_id = NULL, active_only = FALSE, completed_only = FALSE,
                               run_type = NULL, start_time_from = NULL, start_time_to = NULL,
                               expand_tasks = FALSE, limit = NULL, max_items = NULL) {
  cols <- .dbx_check(.Call(r_dbx_jobs_list_runs, client$ptr, job_id, active_only, completed_only, run_type,
                           .dbx_ms(start_time_from), .dbx_ms(start_time_to), expand_tasks, limit, max_items))
  df <- data.frame(run_id = cols$run_id, job_id = cols$job_id, run_name = cols$run_name,
                   run_type = cols$run_type, life_cycle_state = cols$life_cycle_state,
                   result_state = cols$result_state, state_message = cols$state_message,
                   start_time = .dbx_time(cols$start_time), end_time = .dbx_time(cols$end_time),
                   run_duration = cols$run_duration / 1000, queue_duration = cols$queue_duration / 1000,
                   number_in_job = cols$number_in_job, run_page_url = cols$run_page_url,
                   status = cols$status, termination_code = cols$termination_code,
                   termination_type = cols$termination_type, termination_message = cols$termination_message,
                   setup_duration = cols$setup_duration / 1000,
                   execution_duration = cols$execution_duration / 1000,
                   cleanup_duration = cols$cleanup_duration / 1000, is_terminal = cols$is_terminal,
                   is_success = cols$is_success, stringsAsFactors = FALSE)
  attr(df, "raw") <- lapply(cols$raw, .dbx_run_result)
  df
}

dbx_jobs_wait_run <- function(client, run_id, timeout = NULL, poll_interval = NULL, progress = NULL) {
  ans <- .Call(r_dbx_jobs_wait_run, client$ptr, run_id, timeout, poll_interval, .dbx_progress(progress))
  ans$result <- .dbx_run_result(ans$result)
  .dbx_wait_result(ans)
}

dbx_jobs_run_states <- function() .Call(r_dbx_jobs_states)

# ---- brickster's job-spec builders -------------------------------------------------------

.dbx_task_type <- function(kind, fields, args) {
  structure(fields[!vapply(fields, is.null, logical(1))], class = c(paste0("dbx_", kind), "dbx_task_type"),
            dbx_args = args)
}

notebook_task <- function(notebook_path, base_parameters = list(), source = NULL) {
  .dbx_task_type("notebook_task", list(notebook_path = notebook_path, base_parameters = base_parameters,
                                       source = source),
                 list(type = "notebook", a = notebook_path, b = source,
                      params = .dbx_named_chr(base_parameters, "base_parameters")))
}

spark_python_task <- function(python_file, parameters = list()) {
  .dbx_task_type("spark_python_task", list(python_file = python_file, parameters = parameters),
                 list(type = "spark_python", a = python_file, list = as.character(unlist(parameters))))
}

python_wheel_task <- function(package_name, entry_point = NULL, parameters = list(), named_parameters = list()) {
  .dbx_task_type("python_wheel_task", list(package_name = package_name, entry_point = entry_point,
                                           parameters = parameters, named_parameters = named_parameters),
                 list(type = "python_wheel", a = package_name, b = entry_point,
                      list = as.character(unlist(parameters)),
                      params = .dbx_named_chr(named_parameters, "named_parameters")))
}

sql_query_task <- function(query_id, warehouse_id, parameters = list()) {
  .dbx_task_type("sql_query_task", list(query_id = query_id, warehouse_id = warehouse_id, parameters = parameters),
                 list(type = "sql_query", a = warehouse_id, b = query_id,
                      params = .dbx_named_chr(parameters, "parameters")))
}

sql_file_task <- function(path, warehouse_id, source = NULL, parameters = list()) {
  .dbx_task_type("sql_file_task", list(path = path, warehouse_id = warehouse_id, source = source,
                                       parameters = parameters),
                 list(type = "sql_file", a = warehouse_id, b = path, c = source,
                      params = .dbx_named_chr(parameters, "parameters")))
}

run_job_task <- function(job_id, job_parameters = list()) {
  .dbx_task_type("run_job_task", list(job_id = job_id, job_parameters = job_parameters),
                 list(type = "run_job", a = job_id, params = .dbx_named_chr(job_parameters, "job_parameters")))
}

job_task <- function(task_key, description = NULL, depends_on = c(), existing_cluster_id = NULL,
                     new_cluster = NULL, job_cluster_key = NULL, task, libraries = NULL,
                     email_notifications = NULL, timeout_seconds = NULL, max_retries = NULL,
                     min_retry_interval_millis = NULL, retry_on_timeout = NULL, run_if = NULL,
                     environment_key = NULL, ...) {
  spec <- if (inherits(task, "dbx_task_type")) attr(task, "dbx_args", exact = TRUE) else {
    # any other task type: a one-element named list, e.g. list(condition_task = list(...))
    if (!is.list(task) || length(task) != 1 || is.null(names(task))) {
      stop("task must come from notebook_task(), spark_python_task(), ... or be list(<type>_task = list(...))")
    }
    list(type = "json", field = names(task), json = .dbx_to_json(task[[1]]))
  }
  spec$task_key <- task_key
  spec$depends_on <- if (length(depends_on)) as.character(depends_on) else NULL
  spec$existing_cluster_id <- existing_cluster_id
  spec$job_cluster_key <- job_cluster_key
  spec$new_cluster <- if (is.null(new_cluster)) NULL else .dbx_to_json(new_cluster)
  spec$environment_key <- environment_key
  spec$libraries <- lapply(libraries, function(l) {
    if (inherits(l, "dbx_library") && !is.null(attr(l, "dbx_lib"))) attr(l, "dbx_lib")
    else c("json", .dbx_to_json(l))
  })
  spec$description <- description
  spec$timeout_seconds <- timeout_seconds
  if (!is.null(max_retries) || !is.null(min_retry_interval_millis) || !is.null(retry_on_timeout))
    spec$retries <- as.numeric(c(if (is.null(max_retries)) 0 else max_retries,
                                 if (is.null(min_retry_interval_millis)) 0 else min_retry_interval_millis,
                                 isTRUE(retry_on_timeout)))
  spec$run_if <- run_if
  extra <- list(...)
  if (!is.null(email_notifications)) extra$email_notifications <- email_notifications
  if (length(extra)) spec$extra <- vapply(extra, .dbx_to_json, character(1))
  built <- .dbx_check(.Call(r_dbx_job_task_build, spec))
  structure(built$value, class = c("dbx_job_task", "list"), json = built$json)
}

job_tasks <- function(...) {
  tasks <- list(...)
  if (!all(vapply(tasks, inherits, logical(1), "dbx_job_task"))) stop("job_tasks() takes job_task() values")
  tasks
}

new_cluster <- function(num_workers = NULL, spark_version, node_type_id = NULL, driver_node_type_id = NULL,
                        autoscale = NULL, spark_conf = NULL, spark_env_vars = NULL, custom_tags = NULL,
                        autotermination_minutes = NULL, ...) {
  spec <- list(num_workers = num_workers, spark_version = spark_version, node_type_id = node_type_id,
               driver_node_type_id = driver_node_type_id,
               autoscale = if (is.null(autoscale)) NULL else
                 list(min_workers = autoscale[[1]], max_workers = autoscale[[2]]),
               spark_conf = spark_conf, spark_env_vars = spark_env_vars, custom_tags = custom_tags,
               autotermination_minutes = autotermination_minutes, ...)
  structure(spec[!vapply(spec, is.null, logical(1))], class = c("dbx_new_cluster", "list"))
}

lib_pypi <- function(package, repo = NULL) {
  structure(list(pypi = Filter(Negate(is.null), list(package = package, repo = repo))),
            class = c("dbx_library", "list"), dbx_lib = c("pypi", package, if (is.null(repo)) NA else repo))
}
lib_whl <- function(whl) structure(list(whl = whl), class = c("dbx_library", "list"), dbx_lib = c("whl", whl))
lib_jar <- function(jar) structure(list(jar = jar), class = c("dbx_library", "list"), dbx_lib = c("jar", jar))
libraries <- function(...) {
  libs <- list(...)
  if (!all(vapply(libs, is.list, logical(1)))) stop("libraries() takes lib_pypi(), lib_whl(), lib_jar() or Library lists")
  libs
}

cron_schedule <- function(quartz_cron_expression, timezone_id = "Etc/UTC", pause_status = c("UNPAUSED", "PAUSED")) {
  list(quartz_cron_expression = quartz_cron_expression, timezone_id = timezone_id,
       pause_status = match.arg(pause_status))
}

email_notifications <- function(on_start = NULL, on_success = NULL, on_failure = NULL,
                                on_duration_warning_threshold_exceeded = NULL, no_alert_for_skipped_runs = NULL) {
  arr <- function(x) if (is.null(x)) NULL else I(as.character(x))
  x <- list(on_start = arr(on_start), on_success = arr(on_success), on_failure = arr(on_failure),
            on_duration_warning_threshold_exceeded = arr(on_duration_warning_threshold_exceeded),
            no_alert_for_skipped_runs = no_alert_for_skipped_runs)
  x[!vapply(x, is.null, logical(1))]
}

# brickster's job-level shapes -> JobSettings
.dbx_brickster_settings <- function(name, tasks, schedule, job_clusters, parameters, email_notifications,
                                    timeout_seconds, max_concurrent_runs, access_control_list, git_source,
                                    queue, ...) {
  jc <- NULL
  if (length(job_clusters)) {
    if (is.null(names(job_clusters))) stop("job_clusters must be a named list of new_cluster()")
    jc <- unname(lapply(names(job_clusters), function(k) list(job_cluster_key = k, new_cluster = job_clusters[[k]])))
  }
  params <- NULL
  if (length(parameters)) {
    if (is.null(names(parameters))) stop("parameters must be a named list (values are the defaults)")
    params <- unname(lapply(names(parameters), function(k) list(name = k, default = as.character(parameters[[k]]))))
  }
  s <- list(name = name, tasks = tasks, schedule = schedule, job_clusters = jc, parameters = params,
            email_notifications = email_notifications, timeout_seconds = timeout_seconds,
            max_concurrent_runs = max_concurrent_runs, access_control_list = access_control_list,
            git_source = git_source, queue = if (is.null(queue)) NULL else list(enabled = isTRUE(queue)), ...)
  s[!vapply(s, is.null, logical(1))]
}

# ---- brickster-style names ---------------------------------------------------------------

db_jobs_create <- function(name, tasks, schedule = NULL, job_clusters = NULL, parameters = list(),
                           email_notifications = NULL, timeout_seconds = NULL, max_concurrent_runs = 1,
                           access_control_list = NULL, git_source = NULL, queue = TRUE, ...,
                           client = .dbx_default_client()) {
  s <- .dbx_brickster_settings(name, tasks, schedule, job_clusters, parameters, email_notifications,
                               timeout_seconds, max_concurrent_runs, access_control_list, git_source, queue, ...)
  list(job_id = dbx_jobs_create(client, s))
}
db_jobs_list <- function(limit = NULL, name = NULL, expand_tasks = FALSE, client = .dbx_default_client())
  dbx_jobs_list(client, name = name, expand_tasks = expand_tasks, max_items = limit)
db_jobs_get <- function(job_id, client = .dbx_default_client()) dbx_jobs_get(client, job_id)
db_jobs_reset <- function(job_id, name, tasks, schedule = NULL, job_clusters = NULL, parameters = list(),
                          email_notifications = NULL, timeout_seconds = NULL, max_concurrent_runs = 1,
                          access_control_list = NULL, git_source = NULL, queue = TRUE, ...,
                          client = .dbx_default_client()) {
  s <- .dbx_brickster_settings(name, tasks, schedule, job_clusters, parameters, email_notifications,
                               timeout_seconds, max_concurrent_runs, access_control_list, git_source, queue, ...)
  dbx_jobs_reset(client, job_id, s)
}
db_jobs_update <- function(job_id, fields_to_remove = NULL, ..., client = .dbx_default_client()) {
  fields <- list(...)
  dbx_jobs_update(client, job_id, if (length(fields)) fields else NULL, fields_to_remove)
}
db_jobs_delete <- function(job_id, client = .dbx_default_client()) dbx_jobs_delete(client, job_id)
db_jobs_run_now <- function(job_id, job_parameters = NULL, notebook_params = NULL, python_params = NULL,
                            only = NULL, queue = NULL, idempotency_token = NULL, client = .dbx_default_client()) {
  dbx_jobs_run_now(client, job_id, job_parameters = job_parameters, only = only, queue = queue,
                   notebook_params = notebook_params, python_params = python_params,
                   idempotency_token = idempotency_token)
}
db_jobs_runs_submit <- function(tasks, run_name = NULL, timeout_seconds = NULL, idempotency_token = NULL,
                                access_control_list = NULL, git_source = NULL, ..., client = .dbx_default_client()) {
  spec <- list(tasks = tasks, timeout_seconds = timeout_seconds, access_control_list = access_control_list,
               git_source = git_source, ...)
  dbx_jobs_submit(client, spec[!vapply(spec, is.null, logical(1))], run_name = run_name,
                  idempotency_token = idempotency_token)
}
db_jobs_runs_get <- function(run_id, client = .dbx_default_client()) dbx_jobs_get_run(client, run_id)
db_jobs_runs_get_output <- function(run_id, client = .dbx_default_client()) dbx_jobs_get_run_output(client, run_id)
db_jobs_runs_list <- function(job_id = NULL, active_only = FALSE, completed_only = FALSE, limit = NULL,
                              run_type = NULL, expand_tasks = FALSE, start_time_from = NULL, start_time_to = NULL,
                              client = .dbx_default_client()) {
  dbx_jobs_list_runs(client, job_id = job_id, active_only = active_only, completed_only = completed_only,
                     run_type = run_type, start_time_from = start_time_from, start_time_to = start_time_to,
                     expand_tasks = expand_tasks, max_items = limit)
}
db_jobs_runs_cancel <- function(run_id, client = .dbx_default_client()) dbx_jobs_cancel_run(client, run_id)
db_jobs_repair_run <- function(run_id, rerun_tasks = NULL, rerun_all_failed_tasks = FALSE,
                               rerun_dependent_tasks = FALSE, latest_repair_id = NULL, job_parameters = NULL,
                               client = .dbx_default_client()) {
  list(repair_id = dbx_jobs_repair_run(client, run_id, rerun_tasks, rerun_all_failed_tasks, rerun_dependent_tasks,
                                       latest_repair_id, job_parameters))
}
