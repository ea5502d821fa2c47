# The emulator, started once per test run: DBX_EMULATOR names its launcher (the repository's
# tests/emulator/dbx-emulator; .ci/test sets it), DBX_TEST_PYTHON the interpreter.
emu_launcher <- function() {
  p <- Sys.getenv("DBX_EMULATOR", "")
  if (nzchar(p) && file.exists(p)) return(p)
  guess <- normalizePath(file.path(getwd(), "..", "..", "..", "..", "tests", "emulator", "dbx-emulator"),
                         mustWork = FALSE)
  if (file.exists(guess)) return(guess)
  ""
}

.emu <- new.env()

emu_start <- function() {
  if (!is.null(.emu$base)) return(.emu$base)
  launcher <- emu_launcher()
  if (!nzchar(launcher)) testthat::skip("the emulator was not found (set DBX_EMULATOR)")
  ready <- tempfile("emu-ready-", fileext = ".json")
  python <- Sys.getenv("DBX_TEST_PYTHON", "python3")
  # --exit-on-stdin-eof: the emulator ends with this R process (its stdin is a pipe we hold)
  .emu$con <- pipe(paste(shQuote(python), shQuote(launcher), "--quiet", "--exit-on-stdin-eof",
                         "--ready-file", shQuote(ready)), open = "w")
  for (i in 1:300) {
    if (file.exists(ready) && file.size(ready) > 0) break
    Sys.sleep(0.05)
  }
  Sys.sleep(0.05)
  txt <- paste(readLines(ready, warn = FALSE), collapse = "")
  port <- as.integer(sub('.*"http_port": *([0-9]+).*', "\\1", txt))
  .emu$base <- sprintf("http://127.0.0.1:%d", port)
  .emu$base
}

# Control calls go through libdbx itself (a client without credentials): base R cannot POST.
emu_ctl <- function(method, path, body = NULL) {
  base <- emu_start()
  if (is.null(.emu$ctl)) .emu$ctl <- dbx_client(host = base, auth_type = "none", no_env = TRUE,
                                                no_config_file = TRUE)
  if (is.null(body) && method == "POST") body <- "{}"
  dbx_request(.emu$ctl, method, path, body)$content
}

emu_reset <- function() invisible(emu_ctl("POST", "/__emulator/reset"))
emu_advance <- function(ms) invisible(emu_ctl("POST", "/__emulator/clock", sprintf('{"advance_ms": %d}', as.integer(ms))))
emu_config <- function(json) invisible(emu_ctl("POST", "/__emulator/config", json))
emu_requests <- function(path) {
  reqs <- emu_ctl("GET", "/__emulator/requests")$requests
  Filter(function(r) identical(r$path, path), reqs)
}

emu_client <- function() {
  emu_reset()
  dbx_client(host = emu_start(), token = "dapi-emulator-token", no_env = TRUE, no_config_file = TRUE,
             retry_initial_delay = 0.01, retry_max_delay = 0.05)
}
