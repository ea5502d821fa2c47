# Request bodies as JSON text, from R values (base R has no JSON writer):
# NULL -> null; a named list -> object; an unnamed list -> array; an atomic vector of length 1
# -> a scalar (wrap in I() to force an array); longer vectors -> arrays; NA -> null.

.dbx_json_str <- function(s) {
  s <- enc2utf8(s)
  s <- gsub("\\", "\\\\", s, fixed = TRUE)
  s <- gsub("\"", "\\\"", s, fixed = TRUE)
  s <- gsub("\n", "\\n", s, fixed = TRUE)
  s <- gsub("\r", "\\r", s, fixed = TRUE)
  s <- gsub("\t", "\\t", s, fixed = TRUE)
  ctl <- gregexpr("[\001-\037]", s, useBytes = TRUE)
  if (any(vapply(ctl, function(m) m[1] > 0, logical(1)))) {
    s <- vapply(s, function(one) {
      chars <- strsplit(one, "", useBytes = TRUE)[[1]]
      paste0(vapply(chars, function(ch) {
        b <- as.integer(charToRaw(ch))
        if (length(b) == 1 && b < 32) sprintf("\\u%04x", b) else ch
      }, character(1)), collapse = "")
    }, character(1), USE.NAMES = FALSE)
  }
  paste0("\"", s, "\"")
}

.dbx_json_scalar <- function(v) {
  if (length(v) == 1 && is.na(v)) return("null")
  if (is.logical(v)) return(if (v) "true" else "false")
  if (is.numeric(v)) {
    if (!is.finite(v)) stop("JSON cannot hold ", v)
    if (is.integer(v) || (v == round(v) && abs(v) < 2^53)) return(format(v, scientific = FALSE, trim = TRUE))
    return(as.character(v))
  }
  if (is.factor(v)) v <- as.character(v)
  if (is.character(v)) return(.dbx_json_str(v))
  stop("cannot write a value of class ", class(v)[1], " as JSON")
}

.dbx_to_json <- function(x) {
  if (is.null(x)) return("null")
  if (is.list(x)) {
    nms <- names(x)
    if (!is.null(nms) && length(x) > 0) {
      if (any(nms == "")) stop("a JSON object needs a name for every element")
      parts <- vapply(seq_along(x), function(i) paste0(.dbx_json_str(nms[i]), ":", .dbx_to_json(x[[i]])),
                      character(1))
      return(paste0("{", paste(parts, collapse = ","), "}"))
    }
    if (!is.null(nms) || inherits(x, "dbx_json_object")) return("{}")
    return(paste0("[", paste(vapply(x, .dbx_to_json, character(1)), collapse = ","), "]"))
  }
  if (length(x) == 1 && !inherits(x, "AsIs")) return(.dbx_json_scalar(x))
  if (!is.null(names(x)) && !inherits(x, "AsIs"))
    return(.dbx_to_json(as.list(x)))
  paste0("[", paste(vapply(seq_along(x), function(i) .dbx_json_scalar(unclass(x)[i]), character(1)),
                    collapse = ","), "]")
}

.dbx_json_parse <- function(text) .Call(r_dbx_json_parse, text)
