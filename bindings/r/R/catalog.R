# Unity Catalog: libdbx names (dbx_catalogs_*, dbx_schemas_*, dbx_tables_*, dbx_volumes_*,
# client first) and brickster-style aliases (db_uc_*, client last, defaulting to a client from
# the environment). Lists follow every page and come back as data.frames with typed columns
# (times as POSIXct in UTC); single objects as lists (a table's columns as a data.frame).

# A data.frame from a list of parsed objects. `cols`: named character vector, names are fields
# ("health.status" reads a nested one and gives the column health_status), values the column
# types: "character", "integer", "double", "logical" or "time" (epoch ms -> POSIXct).
.dbx_frame <- function(items, cols) {
  get <- function(x, path) {
    for (p in path) {
      if (!is.list(x)) return(NULL)
      x <- x[[p]]
    }
    x
  }
  out <- lapply(seq_along(cols), function(i) {
    path <- strsplit(names(cols)[i], ".", fixed = TRUE)[[1]]
    type <- cols[[i]]
    proto <- switch(type, character = NA_character_, integer = NA_integer_, double = NA_real_,
                    logical = NA, time = NA_real_)
    v <- vapply(items, function(x) {
      v <- get(x, path)
      if (is.null(v) || length(v) != 1 || is.list(v)) return(proto)
      switch(type, character = as.character(v), integer = as.integer(v), double = as.numeric(v),
             logical = as.logical(v), time = as.numeric(v))
    }, proto)
    if (type == "time") v <- .POSIXct(ifelse(is.na(v) | v == 0, NA_real_, v / 1000), tz = "UTC")
    v
  })
  names(out) <- gsub(".", "_", names(cols), fixed = TRUE)
  df <- as.data.frame(out, stringsAsFactors = FALSE, optional = TRUE)
  if (length(items) == 0) df <- df[0, , drop = FALSE]
  attr(df, "raw") <- items
  df
}

.dbx_uc_list_opts <- function(page_size = NULL, max_items = NULL, include_browse = FALSE,
                              include_unbound = FALSE, omit_columns = FALSE, omit_properties = FALSE,
                              omit_username = FALSE) {
  as.numeric(c(if (is.null(page_size)) 0 else page_size, if (is.null(max_items)) 0 else max_items,
               isTRUE(include_browse), isTRUE(include_unbound), isTRUE(omit_columns),
               isTRUE(omit_properties), isTRUE(omit_username)))
}

# properties / options: a named list or named character vector -> named character vector
.dbx_kv <- function(x, what) {
  if (is.null(x)) return(NULL)
  if (length(x) > 0 && (is.null(names(x)) || any(names(x) == ""))) stop(what, " must be named")
  v <- vapply(x, function(e) as.character(e)[1], character(1))
  names(v) <- names(x)
  v
}

.dbx_uc_call <- function(x) .dbx_check(x, sys.call(-1))

.dbx_catalog_cols <- c(name = "character", catalog_type = "character", comment = "character",
                       owner = "character", isolation_mode = "character", storage_root = "character",
                       metastore_id = "character", created_at = "time", created_by = "character",
                       updated_at = "time", updated_by = "character")
.dbx_schema_cols <- c(name = "character", catalog_name = "character", full_name = "character",
                      schema_id = "character", comment = "character", owner = "character",
                      storage_root = "character", created_at = "time", created_by = "character",
                      updated_at = "time", updated_by = "character")
.dbx_table_cols <- c(name = "character", catalog_name = "character", schema_name = "character",
                     full_name = "character", table_type = "character",
                     data_source_format = "character", storage_location = "character",
                     comment = "character", owner = "character", created_at = "time",
                     created_by = "character", updated_at = "time", updated_by = "character")
.dbx_volume_cols <- c(name = "character", catalog_name = "character", schema_name = "character",
                      full_name = "character", volume_type = "character",
                      storage_location = "character", comment = "character", owner = "character",
                      created_at = "time", created_by = "character", updated_at = "time",
                      updated_by = "character")
.dbx_column_cols <- c(name = "character", type_name = "character", type_text = "character",
                      type_precision = "integer", type_scale = "integer", nullable = "logical",
                      position = "integer", partition_index = "integer", comment = "character")

# a TableInfo list with its columns as a data.frame (nullable defaults to TRUE, as the service's)
.dbx_table_result <- function(t) {
  if (is.null(t)) return(t)
  cols <- t$columns
  if (is.null(cols)) cols <- list()
  df <- .dbx_frame(cols, .dbx_column_cols)
  df$nullable[is.na(df$nullable)] <- TRUE
  attr(df, "raw") <- NULL
  t$columns <- df
  t
}

# ---- catalogs --------------------------------------------------------------------------------

dbx_catalogs_list <- function(client, include_browse = FALSE, include_unbound = FALSE,
                              page_size = NULL, max_items = NULL) {
  items <- .dbx_uc_call(.Call(r_dbx_uc_list, client$ptr, "catalogs", NULL, NULL, NULL,
                              .dbx_uc_list_opts(page_size, max_items, include_browse, include_unbound)))
  .dbx_frame(items, .dbx_catalog_cols)
}

dbx_catalogs_get <- function(client, name) .dbx_uc_call(.Call(r_dbx_uc_get, client$ptr, "catalogs", name))

dbx_catalogs_create <- function(client, name, comment = NULL, properties = NULL, storage_root = NULL,
                                provider_name = NULL, share_name = NULL, connection_name = NULL,
                                options = NULL) {
  opts <- list(comment = comment, properties = .dbx_kv(properties, "properties"),
               storage_root = storage_root, provider_name = provider_name, share_name = share_name,
               connection_name = connection_name, options = .dbx_kv(options, "options"))
  .dbx_uc_call(.Call(r_dbx_uc_create, client$ptr, "catalogs", name, NULL, NULL, NULL, opts))
}

.dbx_update_opts <- function(new_name = NULL, comment = NULL, owner = NULL, properties = NULL,
                             isolation_mode = NULL, enable_predictive_optimization = NULL) {
  list(new_name = new_name, comment = comment, owner = owner,
       properties = .dbx_kv(properties, "properties"), isolation_mode = isolation_mode,
       enable_predictive_optimization = enable_predictive_optimization)
}

dbx_catalogs_update <- function(client, name, new_name = NULL, comment = NULL, owner = NULL,
                                properties = NULL, isolation_mode = NULL,
                                enable_predictive_optimization = NULL) {
  opts <- .dbx_update_opts(new_name, comment, owner, properties, isolation_mode,
                           enable_predictive_optimization)
  .dbx_uc_call(.Call(r_dbx_uc_update, client$ptr, "catalogs", name, opts))
}

dbx_catalogs_delete <- function(client, name, force = FALSE)
  invisible(.dbx_uc_call(.Call(r_dbx_uc_delete, client$ptr, "catalogs", name, isTRUE(force))))

# ---- schemas ---------------------------------------------------------------------------------

dbx_schemas_list <- function(client, catalog_name, include_browse = FALSE, page_size = NULL,
                             max_items = NULL) {
  items <- .dbx_uc_call(.Call(r_dbx_uc_list, client$ptr, "schemas", catalog_name, NULL, NULL,
                              .dbx_uc_list_opts(page_size, max_items, include_browse)))
  .dbx_frame(items, .dbx_schema_cols)
}

dbx_schemas_get <- function(client, full_name) .dbx_uc_call(.Call(r_dbx_uc_get, client$ptr, "schemas", full_name))

dbx_schemas_create <- function(client, catalog_name, name, comment = NULL, properties = NULL,
                               storage_root = NULL) {
  opts <- list(comment = comment, properties = .dbx_kv(properties, "properties"), storage_root = storage_root)
  .dbx_uc_call(.Call(r_dbx_uc_create, client$ptr, "schemas", catalog_name, name, NULL, NULL, opts))
}

dbx_schemas_update <- function(client, full_name, new_name = NULL, comment = NULL, owner = NULL,
                               properties = NULL, enable_predictive_optimization = NULL) {
  opts <- .dbx_update_opts(new_name, comment, owner, properties, NULL, enable_predictive_optimization)
  .dbx_uc_call(.Call(r_dbx_uc_update, client$ptr, "schemas", full_name, opts))
}

dbx_schemas_delete <- function(client, full_name, force = FALSE)
  invisible(.dbx_uc_call(.Call(r_dbx_uc_delete, client$ptr, "schemas", full_name, isTRUE(force))))

# ---- tables ----------------------------------------------------------------------------------

dbx_tables_list <- function(client, catalog_name, schema_name, include_browse = FALSE,
                            omit_columns = FALSE, omit_properties = FALSE, omit_username = FALSE,
                            page_size = NULL, max_items = NULL) {
  opts <- .dbx_uc_list_opts(page_size, max_items, include_browse, FALSE, omit_columns,
                            omit_properties, omit_username)
  items <- .dbx_uc_call(.Call(r_dbx_uc_list, client$ptr, "tables", catalog_name, schema_name, NULL, opts))
  df <- .dbx_frame(items, .dbx_table_cols)
  df$n_columns <- vapply(items, function(t) length(t$columns), integer(1))
  df
}

dbx_tables_summaries <- function(client, catalog_name, schema_name_pattern = NULL,
                                 table_name_pattern = NULL, page_size = NULL, max_items = NULL) {
  items <- .dbx_uc_call(.Call(r_dbx_uc_list, client$ptr, "summaries", catalog_name, schema_name_pattern,
                              table_name_pattern, .dbx_uc_list_opts(page_size, max_items)))
  .dbx_frame(items, c(full_name = "character", table_type = "character"))
}

dbx_tables_get <- function(client, full_name)
  .dbx_table_result(.dbx_uc_call(.Call(r_dbx_uc_get, client$ptr, "tables", full_name)))

dbx_tables_exists <- function(client, full_name) .dbx_uc_call(.Call(r_dbx_tables_exists, client$ptr, full_name))

dbx_tables_delete <- function(client, full_name)
  invisible(.dbx_uc_call(.Call(r_dbx_uc_delete, client$ptr, "tables", full_name, FALSE)))

dbx_tables_update <- function(client, full_name, owner)
  invisible(.dbx_uc_call(.Call(r_dbx_uc_update, client$ptr, "tables", full_name, .dbx_update_opts(owner = owner))))

# columns: a data.frame with columns name and type_text (and optionally type_name, precision,
# scale, nullable, comment, partition_index), or a named character vector c(id = "bigint").
.dbx_column_defs <- function(columns) {
  if (is.character(columns) && !is.null(names(columns)))
    columns <- data.frame(name = names(columns), type_text = unname(columns), stringsAsFactors = FALSE)
  if (!is.data.frame(columns) || !all(c("name", "type_text") %in% names(columns)))
    stop("columns must be a data.frame with name and type_text, or a named character vector")
  field <- function(name, i) if (name %in% names(columns)) columns[[name]][i] else NULL
  lapply(seq_len(nrow(columns)), function(i) {
    na_null <- function(v) if (is.null(v) || is.na(v)) NULL else v
    list(name = as.character(columns$name[i]), type_text = as.character(columns$type_text[i]),
         type_name = na_null(field("type_name", i)), precision = na_null(field("precision", i)),
         scale = na_null(field("scale", i)), nullable = na_null(field("nullable", i)),
         comment = na_null(field("comment", i)), partition_index = na_null(field("partition_index", i)))
  })
}

dbx_tables_create_external <- function(client, catalog_name, schema_name, name, columns,
                                       storage_location, comment = NULL, properties = NULL) {
  opts <- list(comment = comment, properties = .dbx_kv(properties, "properties"),
               storage_location = storage_location)
  .dbx_table_result(.dbx_uc_call(.Call(r_dbx_tables_create_external, client$ptr, catalog_name,
                                       schema_name, name, .dbx_column_defs(columns), opts)))
}

# ---- volumes ---------------------------------------------------------------------------------

dbx_volumes_list <- function(client, catalog_name, schema_name, include_browse = FALSE,
                             page_size = NULL, max_items = NULL) {
  items <- .dbx_uc_call(.Call(r_dbx_uc_list, client$ptr, "volumes", catalog_name, schema_name, NULL,
                              .dbx_uc_list_opts(page_size, max_items, include_browse)))
  .dbx_frame(items, .dbx_volume_cols)
}

dbx_volumes_get <- function(client, full_name) .dbx_uc_call(.Call(r_dbx_uc_get, client$ptr, "volumes", full_name))

dbx_volumes_create <- function(client, catalog_name, schema_name, name, volume_type = "MANAGED",
                               storage_location = NULL, comment = NULL) {
  opts <- list(comment = comment, storage_location = storage_location)
  .dbx_uc_call(.Call(r_dbx_uc_create, client$ptr, "volumes", catalog_name, schema_name, name,
                     toupper(volume_type), opts))
}

dbx_volumes_update <- function(client, full_name, new_name = NULL, comment = NULL, owner = NULL)
  .dbx_uc_call(.Call(r_dbx_uc_update, client$ptr, "volumes", full_name,
                     .dbx_update_opts(new_name, comment, owner)))

dbx_volumes_delete <- function(client, full_name)
  invisible(.dbx_uc_call(.Call(r_dbx_uc_delete, client$ptr, "volumes", full_name, FALSE)))

dbx_uc_known_values <- function(what = c("table_type", "data_source_format", "column_type", "volume_type")) {
  .Call(r_dbx_uc_enum_names, match.arg(what))
}

# ---- brickster-style names ---------------------------------------------------------------

.dbx_join <- function(...) paste(c(...), collapse = ".")

db_uc_catalogs_list <- function(max_results = 1000, include_browse = TRUE, client = .dbx_default_client())
  dbx_catalogs_list(client, include_browse = include_browse, page_size = max_results)
db_uc_catalogs_get <- function(catalog, client = .dbx_default_client()) dbx_catalogs_get(client, catalog)
db_uc_schemas_list <- function(catalog, max_results = 1000, client = .dbx_default_client())
  dbx_schemas_list(client, catalog, page_size = max_results)
db_uc_schemas_get <- function(catalog, schema, client = .dbx_default_client())
  dbx_schemas_get(client, .dbx_join(catalog, schema))
db_uc_tables_list <- function(catalog, schema, max_results = 50, omit_columns = TRUE,
                              omit_properties = TRUE, omit_username = TRUE, include_browse = TRUE,
                              client = .dbx_default_client())
  dbx_tables_list(client, catalog, schema, include_browse = include_browse, omit_columns = omit_columns,
                  omit_properties = omit_properties, omit_username = omit_username, page_size = max_results)
db_uc_tables_get <- function(catalog, schema, table, client = .dbx_default_client())
  dbx_tables_get(client, .dbx_join(catalog, schema, table))
db_uc_tables_exists <- function(catalog, schema, table, client = .dbx_default_client())
  list(table_exists = dbx_tables_exists(client, .dbx_join(catalog, schema, table)))
db_uc_tables_delete <- function(catalog, schema, table, client = .dbx_default_client()) {
  dbx_tables_delete(client, .dbx_join(catalog, schema, table))
  TRUE
}
db_uc_tables_summaries <- function(catalog, schema_name_pattern = NULL, table_name_pattern = NULL,
                                   max_results = 10000, client = .dbx_default_client())
  dbx_tables_summaries(client, catalog, schema_name_pattern, table_name_pattern, page_size = max_results)
db_uc_volumes_list <- function(catalog, schema, max_results = 10000, include_browse = TRUE,
                               client = .dbx_default_client())
  dbx_volumes_list(client, catalog, schema, include_browse = include_browse, page_size = max_results)
db_uc_volumes_get <- function(catalog, schema, volume, client = .dbx_default_client())
  dbx_volumes_get(client, .dbx_join(catalog, schema, volume))
db_uc_volumes_create <- function(catalog, schema, volume, volume_type = c("MANAGED", "EXTERNAL"),
                                 storage_location = NULL, comment = NULL, client = .dbx_default_client()) {
  volume_type <- match.arg(volume_type)
  dbx_volumes_create(client, catalog, schema, volume, volume_type, storage_location, comment)
}
db_uc_volumes_update <- function(catalog, schema, volume, owner = NULL, comment = NULL, new_name = NULL,
                                 client = .dbx_default_client())
  dbx_volumes_update(client, .dbx_join(catalog, schema, volume), new_name = new_name, comment = comment,
                     owner = owner)
db_uc_volumes_delete <- function(catalog, schema, volume, client = .dbx_default_client()) {
  dbx_volumes_delete(client, .dbx_join(catalog, schema, volume))
  TRUE
}
