UC <- "/api/2.1/unity-catalog"

uc_last <- function(path, method = NULL) {
  r <- emu_requests(path)
  if (!is.null(method)) r <- Filter(function(x) identical(x$method, method), r)
  if (length(r)) r[[length(r)]] else NULL
}

# tables are made with SQL (the emulator's statement API shares the Unity Catalog store)
uc_sql <- function(cl, statement) {
  body <- libdbx:::.dbx_to_json(list(warehouse_id = "5eedc0ffee000001", statement = statement,
                                     wait_timeout = "30s"))
  r <- dbx_request(cl, "POST", "/api/2.0/sql/statements", body)
  expect_equal(r$content$status$state, "SUCCEEDED")
}

test_that("catalogs: create, get, update, list, delete", {
  cl <- emu_client()
  got <- dbx_catalogs_create(cl, "sales", comment = "all sales", properties = list(tier = "gold"))
  sent <- uc_last(paste0(UC, "/catalogs"), "POST")$json
  expect_equal(sent$name, "sales")
  expect_equal(sent$comment, "all sales")
  expect_equal(sent$properties$tier, "gold")
  expect_null(sent$storage_root)
  expect_equal(got$name, "sales")
  expect_equal(got$properties$tier, "gold")
  expect_equal(dbx_catalogs_get(cl, "sales")$comment, "all sales")
  expect_equal(uc_last(paste0(UC, "/catalogs/sales"))$method, "GET")

  up <- dbx_catalogs_update(cl, "sales", comment = "c2", owner = "finance", isolation_mode = "ISOLATED")
  sent <- uc_last(paste0(UC, "/catalogs/sales"), "PATCH")$json
  expect_equal(sent, list(comment = "c2", owner = "finance", isolation_mode = "ISOLATED"))
  expect_equal(up$owner, "finance")
  expect_equal(up$isolation_mode, "ISOLATED")

  for (i in 1:5) dbx_catalogs_create(cl, paste0("c", i))
  n0 <- length(emu_requests(paste0(UC, "/catalogs")))
  df <- dbx_catalogs_list(cl, page_size = 2, include_browse = TRUE)
  expect_s3_class(df, "data.frame")
  expect_equal(df$name, c("c1", "c2", "c3", "c4", "c5", "main", "sales"))
  expect_s3_class(df$created_at, "POSIXct")
  expect_type(df$owner, "character")
  pages <- emu_requests(paste0(UC, "/catalogs"))[-seq_len(n0)]
  expect_length(pages, 4)
  expect_equal(pages[[1]]$query$max_results, "2")
  expect_equal(pages[[1]]$query$include_browse, "true")
  expect_equal(nrow(dbx_catalogs_list(cl, max_items = 3)), 3)
  expect_equal(db_uc_catalogs_list(client = cl)$name, df$name)
  expect_equal(db_uc_catalogs_get("sales", client = cl)$name, "sales")

  dbx_schemas_create(cl, "sales", "s")
  uc_sql(cl, "CREATE TABLE sales.s.t (id BIGINT) USING DELTA")
  expect_error(dbx_catalogs_delete(cl, "sales"), class = "dbx_invalid_state")
  dbx_catalogs_delete(cl, "sales", force = TRUE)
  expect_equal(uc_last(paste0(UC, "/catalogs/sales"), "DELETE")$query$force, "true")
  err <- tryCatch(dbx_catalogs_get(cl, "sales"), dbx_not_found = function(e) e)
  expect_equal(err$error_code, "CATALOG_DOES_NOT_EXIST")
  expect_error(dbx_catalogs_create(cl, "main"), class = "dbx_already_exists")
  expect_error(dbx_catalogs_get(cl, "a.b"), class = "dbx_invalid_argument")
  expect_error(dbx_catalogs_update(cl, "main"), class = "dbx_invalid_argument")
})

test_that("schemas: create, get, update, list, delete", {
  cl <- emu_client()
  s <- dbx_schemas_create(cl, "main", "etl", comment = "pipelines", properties = c(team = "etl"))
  sent <- uc_last(paste0(UC, "/schemas"), "POST")$json
  expect_equal(sent$catalog_name, "main")
  expect_equal(sent$name, "etl")
  expect_equal(sent$properties$team, "etl")
  expect_equal(s$full_name, "main.etl")
  expect_equal(dbx_schemas_get(cl, "main.etl")$comment, "pipelines")
  expect_equal(db_uc_schemas_get("main", "etl", client = cl)$name, "etl")
  expect_equal(uc_last(paste0(UC, "/schemas/main.etl"))$method, "GET")
  up <- dbx_schemas_update(cl, "main.etl", comment = "c2", enable_predictive_optimization = "ENABLE")
  expect_equal(uc_last(paste0(UC, "/schemas/main.etl"), "PATCH")$json,
               list(comment = "c2", enable_predictive_optimization = "ENABLE"))
  expect_equal(up$comment, "c2")
  df <- dbx_schemas_list(cl, "main", page_size = 1)
  expect_equal(df$name, c("default", "etl"))
  expect_equal(df$full_name, c("main.default", "main.etl"))
  expect_equal(uc_last(paste0(UC, "/schemas"), "GET")$query$catalog_name, "main")
  expect_equal(db_uc_schemas_list("main", client = cl)$name, c("default", "etl"))
  dbx_schemas_delete(cl, "main.etl")
  expect_equal(uc_last(paste0(UC, "/schemas/main.etl"), "DELETE")$method, "DELETE")
  expect_error(dbx_schemas_get(cl, "main.etl"), class = "dbx_not_found")
  expect_error(dbx_schemas_get(cl, "main"), class = "dbx_invalid_argument")
})

test_that("tables: get with typed columns, list, summaries, exists, update, delete", {
  cl <- emu_client()
  uc_sql(cl, paste("CREATE TABLE main.default.orders (id BIGINT NOT NULL, customer STRING,",
                   "amount DECIMAL(10,2)) USING DELTA COMMENT 'all orders' TBLPROPERTIES ('quality' = 'gold')"))
  uc_sql(cl, "CREATE TABLE main.default.items (sku STRING) USING DELTA")
  expect_true(dbx_tables_exists(cl, "main.default.orders"))
  expect_equal(uc_last(paste0(UC, "/tables/main.default.orders/exists"))$method, "GET")
  expect_false(dbx_tables_exists(cl, "main.default.nothere"))
  expect_equal(db_uc_tables_exists("main", "default", "orders", client = cl), list(table_exists = TRUE))

  t <- dbx_tables_get(cl, "main.default.orders")
  expect_equal(uc_last(paste0(UC, "/tables/main.default.orders"))$method, "GET")
  expect_equal(t$table_type, "MANAGED")
  expect_equal(t$comment, "all orders")
  expect_equal(t$properties$quality, "gold")
  expect_s3_class(t$columns, "data.frame")
  expect_equal(t$columns$name, c("id", "customer", "amount"))
  expect_equal(t$columns$type_name, c("LONG", "STRING", "DECIMAL"))
  expect_equal(t$columns$nullable, c(FALSE, TRUE, TRUE))
  expect_identical(t$columns$position, 0:2)
  expect_identical(t$columns$type_precision[3], 10L)
  expect_equal(db_uc_tables_get("main", "default", "orders", client = cl)$full_name, "main.default.orders")

  df <- dbx_tables_list(cl, "main", "default", page_size = 1)
  expect_setequal(df$name, c("orders", "items"))
  expect_identical(df$n_columns[df$name == "orders"], 3L)
  q <- uc_last(paste0(UC, "/tables"), "GET")$query
  expect_equal(q$catalog_name, "main")
  expect_equal(q$max_results, "1")
  expect_null(q$omit_columns)
  slim <- db_uc_tables_list("main", "default", client = cl)
  expect_identical(slim$n_columns, c(0L, 0L))
  q <- uc_last(paste0(UC, "/tables"), "GET")$query
  expect_equal(c(q$omit_columns, q$omit_properties, q$omit_username, q$include_browse), rep("true", 4))

  s <- dbx_tables_summaries(cl, "main", schema_name_pattern = "def%", table_name_pattern = "o%")
  expect_equal(s$full_name, "main.default.orders")
  expect_equal(s$table_type, "MANAGED")
  expect_equal(uc_last(paste0(UC, "/table-summaries"))$query$table_name_pattern, "o%")
  expect_equal(nrow(db_uc_tables_summaries("main", client = cl)), 2)

  dbx_tables_update(cl, "main.default.orders", owner = "analysts")
  expect_equal(uc_last(paste0(UC, "/tables/main.default.orders"), "PATCH")$json, list(owner = "analysts"))
  expect_equal(dbx_tables_get(cl, "main.default.orders")$owner, "analysts")
  dbx_tables_delete(cl, "main.default.orders")
  expect_equal(uc_last(paste0(UC, "/tables/main.default.orders"), "DELETE")$method, "DELETE")
  expect_true(db_uc_tables_delete("main", "default", "items", client = cl))
  expect_error(dbx_tables_delete(cl, "main.default.orders"), class = "dbx_not_found")
})

test_that("tables: create_external sends typed column definitions", {
  cl <- emu_client()
  cols <- data.frame(name = c("id", "price", "day"), type_text = c("bigint", "DECIMAL(12, 3)", "date"),
                     nullable = c(FALSE, TRUE, TRUE), partition_index = c(NA, NA, 0),
                     comment = c("key", NA, NA), stringsAsFactors = FALSE)
  t <- dbx_tables_create_external(cl, "main", "default", "ext1", cols, storage_location = "s3://b/ext1",
                                  comment = "external", properties = list(source = "s3"))
  sent <- uc_last(paste0(UC, "/tables"), "POST")$json
  expect_equal(sent$table_type, "EXTERNAL")
  expect_equal(sent$storage_location, "s3://b/ext1")
  expect_equal(sent$properties$source, "s3")
  expect_equal(vapply(sent$columns, function(c) c$type_name, ""), c("LONG", "DECIMAL", "DATE"))
  expect_false(sent$columns[[1]]$nullable)
  expect_equal(sent$columns[[1]]$comment, "key")
  expect_equal(sent$columns[[2]]$type_scale, 3)
  expect_equal(sent$columns[[3]]$partition_index, 0)
  expect_null(sent$columns[[2]]$partition_index)
  expect_equal(t$table_type, "EXTERNAL")
  expect_equal(t$columns$type_precision[2], 12L)
  t2 <- dbx_tables_create_external(cl, "main", "default", "ext2", c(a = "string"), storage_location = "s3://b/e2")
  expect_equal(t2$columns$name, "a")
  expect_error(dbx_tables_create_external(cl, "main", "default", "ext1", c(a = "int"), storage_location = "s3://b/ext1"),
               class = "dbx_already_exists")
  expect_error(dbx_tables_create_external(cl, "main", "default", "x", c(a = "int"), storage_location = NULL),
               class = "dbx_invalid_argument")
  bad <- data.frame(name = "a", type_text = "int", type_name = "HUGE", stringsAsFactors = FALSE)
  expect_error(dbx_tables_create_external(cl, "main", "default", "x", bad, storage_location = "s3://b/x"),
               class = "dbx_invalid_argument")
  expect_true("DECIMAL" %in% dbx_uc_known_values("column_type"))
  expect_equal(dbx_uc_known_values("volume_type"), c("MANAGED", "EXTERNAL"))
  expect_true(all(c("MANAGED", "VIEW") %in% dbx_uc_known_values()))
  expect_true("DELTA" %in% dbx_uc_known_values("data_source_format"))
})

test_that("volumes: create, get, update, list, delete (and brickster names)", {
  cl <- emu_client()
  v <- dbx_volumes_create(cl, "main", "default", "raw", comment = "landing")
  sent <- uc_last(paste0(UC, "/volumes"), "POST")$json
  expect_mapequal(sent, list(catalog_name = "main", schema_name = "default", name = "raw",
                             volume_type = "MANAGED", comment = "landing"))
  expect_equal(v$full_name, "main.default.raw")
  ext <- db_uc_volumes_create("main", "default", "ext", "EXTERNAL", storage_location = "s3://b/ext", client = cl)
  expect_equal(uc_last(paste0(UC, "/volumes"), "POST")$json$storage_location, "s3://b/ext")
  expect_equal(ext$volume_type, "EXTERNAL")
  expect_error(dbx_volumes_create(cl, "main", "default", "x", "SHARED"), class = "dbx_invalid_argument")
  expect_error(dbx_volumes_create(cl, "main", "default", "x", "EXTERNAL"), class = "dbx_invalid_argument")
  expect_equal(dbx_volumes_get(cl, "main.default.raw")$comment, "landing")
  expect_equal(uc_last(paste0(UC, "/volumes/main.default.raw"))$method, "GET")
  expect_equal(db_uc_volumes_get("main", "default", "ext", client = cl)$name, "ext")
  up <- db_uc_volumes_update("main", "default", "raw", owner = "ops", new_name = "raw2", client = cl)
  expect_equal(uc_last(paste0(UC, "/volumes/main.default.raw"), "PATCH")$json, list(new_name = "raw2", owner = "ops"))
  expect_equal(up$name, "raw2")
  for (i in 1:3) dbx_volumes_create(cl, "main", "default", paste0("v", i))
  df <- dbx_volumes_list(cl, "main", "default", page_size = 2)
  expect_equal(df$name, c("ext", "raw2", "v1", "v2", "v3"))
  expect_s3_class(df$updated_at, "POSIXct")
  expect_equal(db_uc_volumes_list("main", "default", client = cl)$name, df$name)
  expect_equal(uc_last(paste0(UC, "/volumes"), "GET")$query$include_browse, "true")
  dbx_volumes_delete(cl, "main.default.raw2")
  expect_equal(uc_last(paste0(UC, "/volumes/main.default.raw2"), "DELETE")$method, "DELETE")
  expect_true(db_uc_volumes_delete("main", "default", "ext", client = cl))
  expect_error(dbx_volumes_get(cl, "main.default.raw2"), class = "dbx_not_found")
  expect_equal(nrow(dbx_volumes_list(cl, "main", "default", max_items = 1)), 1)
})

test_that("a failed page is a classed error", {
  cl <- emu_client()
  emu_ctl("POST", "/__emulator/faults",
          sprintf('{"method":"GET","path":"%s/schemas","action":"status","status":403,"body":{"error_code":"PERMISSION_DENIED","message":"no"}}', UC))
  expect_error(dbx_schemas_list(cl, "main"), class = "dbx_permission_denied")
})
