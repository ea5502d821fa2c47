/*
 * libdbx - Unity Catalog: catalogs, schemas, tables and volumes
 * (/api/2.1/unity-catalog/ *).
 *
 * Names. A catalog is named by one part ("main"), a schema by two
 * ("main.sales"), a table or a volume by three ("main.sales.orders"). Full
 * names are checked locally before any I/O: the right number of parts,
 * separated by '.', none empty, valid UTF-8 (DBX_EINVAL otherwise). Parts
 * are the names as Unity Catalog stores them: no SQL quoting (no
 * backticks); a name holding blanks, '-' or other characters that SQL
 * would need quoted is sent as it is, percent-encoded in the URL path.
 * Single names (a catalog, or the `name` of a new schema / table / volume)
 * may not hold a '.'.
 *
 * Lists follow Unity Catalog paging: `max_results` and `page_token`, until
 * a page comes back without `next_page_token` (pages may be short or even
 * empty in between). libdbx always sends `max_results` (0 when the caller
 * leaves page_size at 0: "the server's page size"), so that the service
 * pages instead of answering everything at once.
 *
 * Results (dbx_catalog, dbx_schema, dbx_table, dbx_volume) are immutable;
 * string accessors return "" for an absent field (never NULL) and borrow
 * from the result; times are epoch milliseconds (0 when absent); enums map
 * values the service adds later to ..._UNKNOWN and keep the raw text
 * (..._str accessors). A result's columns and properties are indexed when
 * the result is made (get, create, update, or an iterator's _next), so
 * accessors by position are O(1) and never allocate.
 *
 * Thread-safety: functions taking a dbx_client may be called from any
 * thread. Results may be read from many threads. Iterators are used by one
 * thread at a time.
 *
 * Errors common to every call: DBX_EINVAL (bad argument, before any I/O),
 * DBX_ENOTFOUND (404, CATALOG_DOES_NOT_EXIST, SCHEMA_DOES_NOT_EXIST,
 * TABLE_DOES_NOT_EXIST, ...), DBX_EEXISTS (ALREADY_EXISTS,
 * *_ALREADY_EXISTS), DBX_EINVALIDSTATE (INVALID_STATE, CATALOG_NOT_EMPTY,
 * SCHEMA_NOT_EMPTY: a delete without force), DBX_EPERMISSION,
 * DBX_EINVALIDPARAM, DBX_ETRANSPORT, DBX_ETIMEOUT, DBX_EBADRESPONSE,
 * DBX_ENOMEM; the raw error_code is in dbx_client_last_error().
 */
#ifndef DBX_CATALOG_H
#define DBX_CATALOG_H

#include "common.h"
#include "errors.h"

DBX_BEGIN_DECL

/* ------------------------------------------------------------------ */
/* Enums                                                                */

/** TableInfo.table_type. */
typedef enum dbx_table_type {
    DBX_TABLE_TYPE_UNKNOWN = 0,
    DBX_TABLE_TYPE_MANAGED,
    DBX_TABLE_TYPE_EXTERNAL,
    DBX_TABLE_TYPE_VIEW,
    DBX_TABLE_TYPE_MATERIALIZED_VIEW,
    DBX_TABLE_TYPE_STREAMING_TABLE,
    DBX_TABLE_TYPE_FOREIGN,
    DBX_TABLE_TYPE_MANAGED_SHALLOW_CLONE,
    DBX_TABLE_TYPE_EXTERNAL_SHALLOW_CLONE,
    DBX_TABLE_TYPE_METRIC_VIEW
    /* append only */
} dbx_table_type_t;

/** Server spelling ("MANAGED"); "UNKNOWN" for out-of-range values. Static. */
DBX_API const char *dbx_table_type_name(dbx_table_type_t type);

/** TableInfo.data_source_format. */
typedef enum dbx_data_source_format {
    DBX_DATA_SOURCE_FORMAT_UNKNOWN = 0,
    DBX_DATA_SOURCE_FORMAT_DELTA,
    DBX_DATA_SOURCE_FORMAT_CSV,
    DBX_DATA_SOURCE_FORMAT_JSON,
    DBX_DATA_SOURCE_FORMAT_AVRO,
    DBX_DATA_SOURCE_FORMAT_PARQUET,
    DBX_DATA_SOURCE_FORMAT_ORC,
    DBX_DATA_SOURCE_FORMAT_TEXT,
    DBX_DATA_SOURCE_FORMAT_UNITY_CATALOG,
    DBX_DATA_SOURCE_FORMAT_DELTASHARING,
    DBX_DATA_SOURCE_FORMAT_DATABRICKS_FORMAT,
    DBX_DATA_SOURCE_FORMAT_DATABRICKS_ROW_STORE_FORMAT,
    DBX_DATA_SOURCE_FORMAT_DELTA_UNIFORM_ICEBERG,
    DBX_DATA_SOURCE_FORMAT_DELTA_UNIFORM_HUDI,
    DBX_DATA_SOURCE_FORMAT_ICEBERG,
    DBX_DATA_SOURCE_FORMAT_HIVE,
    DBX_DATA_SOURCE_FORMAT_VECTOR_INDEX_FORMAT,
    DBX_DATA_SOURCE_FORMAT_MYSQL_FORMAT,
    DBX_DATA_SOURCE_FORMAT_POSTGRESQL_FORMAT,
    DBX_DATA_SOURCE_FORMAT_REDSHIFT_FORMAT,
    DBX_DATA_SOURCE_FORMAT_SNOWFLAKE_FORMAT,
    DBX_DATA_SOURCE_FORMAT_SQLDW_FORMAT,
    DBX_DATA_SOURCE_FORMAT_SQLSERVER_FORMAT,
    DBX_DATA_SOURCE_FORMAT_SALESFORCE_FORMAT,
    DBX_DATA_SOURCE_FORMAT_SALESFORCE_DATA_CLOUD_FORMAT,
    DBX_DATA_SOURCE_FORMAT_BIGQUERY_FORMAT,
    DBX_DATA_SOURCE_FORMAT_NETSUITE_FORMAT,
    DBX_DATA_SOURCE_FORMAT_WORKDAY_RAAS_FORMAT,
    DBX_DATA_SOURCE_FORMAT_MONGODB_FORMAT,
    DBX_DATA_SOURCE_FORMAT_ORACLE_FORMAT,
    DBX_DATA_SOURCE_FORMAT_TERADATA_FORMAT
    /* append only */
} dbx_data_source_format_t;

/** Server spelling ("DELTA"); "UNKNOWN" for out-of-range values. Static. */
DBX_API const char *dbx_data_source_format_name(dbx_data_source_format_t format);

/** ColumnInfo.type_name (ColumnTypeName). */
typedef enum dbx_column_type {
    DBX_COLUMN_TYPE_UNKNOWN = 0,
    DBX_COLUMN_TYPE_BOOLEAN,
    DBX_COLUMN_TYPE_BYTE,
    DBX_COLUMN_TYPE_SHORT,
    DBX_COLUMN_TYPE_INT,
    DBX_COLUMN_TYPE_LONG,
    DBX_COLUMN_TYPE_FLOAT,
    DBX_COLUMN_TYPE_DOUBLE,
    DBX_COLUMN_TYPE_DATE,
    DBX_COLUMN_TYPE_TIMESTAMP,
    DBX_COLUMN_TYPE_TIMESTAMP_NTZ,
    DBX_COLUMN_TYPE_STRING,
    DBX_COLUMN_TYPE_BINARY,
    DBX_COLUMN_TYPE_DECIMAL,
    DBX_COLUMN_TYPE_INTERVAL,
    DBX_COLUMN_TYPE_ARRAY,
    DBX_COLUMN_TYPE_STRUCT,
    DBX_COLUMN_TYPE_MAP,
    DBX_COLUMN_TYPE_CHAR,
    DBX_COLUMN_TYPE_NULL,
    DBX_COLUMN_TYPE_USER_DEFINED_TYPE,
    DBX_COLUMN_TYPE_TABLE_TYPE,
    DBX_COLUMN_TYPE_VARIANT,
    DBX_COLUMN_TYPE_GEOGRAPHY,
    DBX_COLUMN_TYPE_GEOMETRY
    /* append only */
} dbx_column_type_t;

/** Server spelling ("LONG"); "UNKNOWN" for out-of-range values. Static. */
DBX_API const char *dbx_column_type_name(dbx_column_type_t type);

/** VolumeInfo.volume_type. */
typedef enum dbx_volume_type {
    DBX_VOLUME_TYPE_UNKNOWN = 0,
    DBX_VOLUME_TYPE_MANAGED,
    DBX_VOLUME_TYPE_EXTERNAL
    /* append only */
} dbx_volume_type_t;

/** Server spelling ("MANAGED"); "UNKNOWN" for out-of-range values. Static. */
DBX_API const char *dbx_volume_type_name(dbx_volume_type_t type);

/* ------------------------------------------------------------------ */
/* Options shared by the calls of this header                           */

/**
 * List options of every Unity Catalog list. Zero means default. A flag a
 * list does not take is ignored by that list (documented at each list).
 */
typedef struct dbx_uc_list_options {
    unsigned int version; /**< DBX_UC_LIST_OPTIONS_VERSION */
    int page_size;        /**< max_results; 0 = the server's page size (max_results=0 is sent) */
    long max_items;       /**< stop after this many items; 0 = all */
    int include_browse;   /**< include_browse=true: also objects the caller may only browse */
    int include_unbound;  /**< catalogs only: include_unbound=true */
    int omit_columns;     /**< tables only: omit_columns=true */
    int omit_properties;  /**< tables only: omit_properties=true */
    int omit_username;    /**< tables only: omit_username=true (no owner, created_by, ...) */
} dbx_uc_list_options;

#define DBX_UC_LIST_OPTIONS_VERSION 1
#define DBX_UC_LIST_OPTIONS_INIT {DBX_UC_LIST_OPTIONS_VERSION, 0, 0, 0, 0, 0, 0, 0}

/**
 * Optional fields of a create call. NULL / 0 means "not sent". A field the
 * object does not take (storage_location for a catalog, provider_name for
 * a schema, ...) is DBX_EINVAL naming it, before any I/O.
 * `properties` is a NULL-terminated array of key, value pairs:
 * {"k1", "v1", "k2", "v2", NULL} (an odd count is DBX_EINVAL). The same
 * shape for `options`.
 */
typedef struct dbx_uc_create_options {
    unsigned int version;           /**< DBX_UC_CREATE_OPTIONS_VERSION */
    const char *comment;            /**< catalog, schema, volume, table */
    const char *const *properties;  /**< catalog, schema, table */
    const char *storage_root;       /**< catalog, schema: managed storage location */
    const char *storage_location;   /**< volume (EXTERNAL only, required there), table (required) */
    const char *provider_name;      /**< catalog: Delta Sharing provider (with share_name) */
    const char *share_name;         /**< catalog: Delta Sharing share (with provider_name) */
    const char *connection_name;    /**< catalog: foreign catalog connection */
    const char *const *options;     /**< catalog: foreign catalog options (pairs as properties) */
} dbx_uc_create_options;

#define DBX_UC_CREATE_OPTIONS_VERSION 1
#define DBX_UC_CREATE_OPTIONS_INIT {DBX_UC_CREATE_OPTIONS_VERSION, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL}

/**
 * Fields of an update call (PATCH). NULL means "leave as is"; at least one
 * field must be set. A field the object does not take is DBX_EINVAL
 * naming it: tables take only `owner`; volumes new_name, comment, owner;
 * schemas also properties and enable_predictive_optimization; catalogs
 * everything. `properties` (pairs, as in dbx_uc_create_options) replaces
 * the object's properties. new_name is a single name (no '.').
 */
typedef struct dbx_uc_update_options {
    unsigned int version;           /**< DBX_UC_UPDATE_OPTIONS_VERSION */
    const char *new_name;
    const char *comment;
    const char *owner;
    const char *const *properties;
    const char *isolation_mode;     /**< catalog: "OPEN" or "ISOLATED" */
    const char *enable_predictive_optimization; /**< "ENABLE", "DISABLE" or "INHERIT" */
} dbx_uc_update_options;

#define DBX_UC_UPDATE_OPTIONS_VERSION 1
#define DBX_UC_UPDATE_OPTIONS_INIT {DBX_UC_UPDATE_OPTIONS_VERSION, NULL, NULL, NULL, NULL, NULL, NULL}

/* ------------------------------------------------------------------ */
/* Catalogs                                                             */

/** A CatalogInfo. Immutable. */
typedef struct dbx_catalog dbx_catalog;

DBX_API void dbx_catalog_free(dbx_catalog *cat);
DBX_API const char *dbx_catalog_name(const dbx_catalog *cat);
DBX_API const char *dbx_catalog_full_name(const dbx_catalog *cat);
/** catalog_type: "MANAGED_CATALOG", "DELTASHARING_CATALOG", "FOREIGN_CATALOG", ... */
DBX_API const char *dbx_catalog_type(const dbx_catalog *cat);
DBX_API const char *dbx_catalog_comment(const dbx_catalog *cat);
DBX_API const char *dbx_catalog_owner(const dbx_catalog *cat);
DBX_API const char *dbx_catalog_storage_root(const dbx_catalog *cat);
DBX_API const char *dbx_catalog_storage_location(const dbx_catalog *cat);
DBX_API const char *dbx_catalog_metastore_id(const dbx_catalog *cat);
/** "OPEN" or "ISOLATED" ("" when absent). */
DBX_API const char *dbx_catalog_isolation_mode(const dbx_catalog *cat);
DBX_API int64_t dbx_catalog_created_at(const dbx_catalog *cat);
DBX_API const char *dbx_catalog_created_by(const dbx_catalog *cat);
DBX_API int64_t dbx_catalog_updated_at(const dbx_catalog *cat);
DBX_API const char *dbx_catalog_updated_by(const dbx_catalog *cat);
/** Property `key`, or NULL when absent. Borrowed. */
DBX_API const char *dbx_catalog_property(const dbx_catalog *cat, const char *key);
DBX_API size_t dbx_catalog_property_count(const dbx_catalog *cat);
/** Property i (in the server's order): 1 with *key and *value set (borrowed;
 *  either may be NULL), 0 when i is out of range. A non-string value reads as "". */
DBX_API int dbx_catalog_property_at(const dbx_catalog *cat, size_t i, const char **key, const char **value);
/** The whole CatalogInfo as compact JSON. Borrowed. */
DBX_API const char *dbx_catalog_json(const dbx_catalog *cat);

typedef struct dbx_catalogs_iter dbx_catalogs_iter;

/**
 * List catalogs (GET /catalogs, paged). No request until the first _next.
 * Options used: page_size, max_items, include_browse, include_unbound.
 * Caller frees *out with dbx_catalogs_iter_free().
 */
DBX_API dbx_status dbx_catalogs_list(dbx_catalogs_iter **out, dbx_client *c, const dbx_uc_list_options *opts);
/** DBX_OK with *item (borrowed until the next _next or _free), DBX_DONE, or an
 *  error (calling again retries the same page). */
DBX_API dbx_status dbx_catalogs_iter_next(const dbx_catalog **item, dbx_catalogs_iter *it);
DBX_API void dbx_catalogs_iter_free(dbx_catalogs_iter *it);

/** GET /catalogs/{name}. Caller frees *out with dbx_catalog_free(). */
DBX_API dbx_status dbx_catalogs_get(dbx_catalog **out, dbx_client *c, const char *name);

/**
 * Create a catalog (POST /catalogs). `opts` may be NULL. `out` may be NULL
 * (the answer is discarded); else the caller frees *out with
 * dbx_catalog_free(). Not retried after a failure mid-flight.
 */
DBX_API dbx_status dbx_catalogs_create(dbx_catalog **out, dbx_client *c, const char *name,
                                       const dbx_uc_create_options *opts);

/** PATCH /catalogs/{name}. `out` may be NULL; else *out is the updated catalog. */
DBX_API dbx_status dbx_catalogs_update(dbx_catalog **out, dbx_client *c, const char *name,
                                       const dbx_uc_update_options *opts);

/** DELETE /catalogs/{name}; `force` non-zero: also when it is not empty
 *  (force=true). Without force a non-empty catalog is DBX_EINVALIDSTATE. */
DBX_API dbx_status dbx_catalogs_delete(dbx_client *c, const char *name, int force);

/* ------------------------------------------------------------------ */
/* Schemas                                                              */

/** A SchemaInfo. Immutable. */
typedef struct dbx_schema dbx_schema;

DBX_API void dbx_schema_free(dbx_schema *sch);
DBX_API const char *dbx_schema_name(const dbx_schema *sch);
DBX_API const char *dbx_schema_catalog_name(const dbx_schema *sch);
/** "catalog.schema". */
DBX_API const char *dbx_schema_full_name(const dbx_schema *sch);
DBX_API const char *dbx_schema_id(const dbx_schema *sch);
DBX_API const char *dbx_schema_comment(const dbx_schema *sch);
DBX_API const char *dbx_schema_owner(const dbx_schema *sch);
DBX_API const char *dbx_schema_storage_root(const dbx_schema *sch);
DBX_API const char *dbx_schema_storage_location(const dbx_schema *sch);
DBX_API const char *dbx_schema_metastore_id(const dbx_schema *sch);
DBX_API int64_t dbx_schema_created_at(const dbx_schema *sch);
DBX_API const char *dbx_schema_created_by(const dbx_schema *sch);
DBX_API int64_t dbx_schema_updated_at(const dbx_schema *sch);
DBX_API const char *dbx_schema_updated_by(const dbx_schema *sch);
/** As dbx_catalog_property / _count / _at. */
DBX_API const char *dbx_schema_property(const dbx_schema *sch, const char *key);
DBX_API size_t dbx_schema_property_count(const dbx_schema *sch);
DBX_API int dbx_schema_property_at(const dbx_schema *sch, size_t i, const char **key, const char **value);
DBX_API const char *dbx_schema_json(const dbx_schema *sch);

typedef struct dbx_schemas_iter dbx_schemas_iter;

/** List the schemas of a catalog (GET /schemas?catalog_name=, paged).
 *  Options used: page_size, max_items, include_browse. */
DBX_API dbx_status dbx_schemas_list(dbx_schemas_iter **out, dbx_client *c, const char *catalog_name,
                                    const dbx_uc_list_options *opts);
DBX_API dbx_status dbx_schemas_iter_next(const dbx_schema **item, dbx_schemas_iter *it);
DBX_API void dbx_schemas_iter_free(dbx_schemas_iter *it);

/** GET /schemas/{full_name} ("catalog.schema"). Caller frees *out with dbx_schema_free(). */
DBX_API dbx_status dbx_schemas_get(dbx_schema **out, dbx_client *c, const char *full_name);

/** POST /schemas. Options used: comment, properties, storage_root. `out` may be NULL. */
DBX_API dbx_status dbx_schemas_create(dbx_schema **out, dbx_client *c, const char *catalog_name,
                                      const char *name, const dbx_uc_create_options *opts);

/** PATCH /schemas/{full_name}. `out` may be NULL. */
DBX_API dbx_status dbx_schemas_update(dbx_schema **out, dbx_client *c, const char *full_name,
                                      const dbx_uc_update_options *opts);

/** DELETE /schemas/{full_name}; `force` non-zero: also when not empty. */
DBX_API dbx_status dbx_schemas_delete(dbx_client *c, const char *full_name, int force);

/* ------------------------------------------------------------------ */
/* Tables                                                               */

/** A TableInfo. Immutable. */
typedef struct dbx_table dbx_table;
/** One ColumnInfo of a table, borrowed from it. */
typedef struct dbx_column dbx_column;

DBX_API void dbx_table_free(dbx_table *t);
DBX_API const char *dbx_table_name(const dbx_table *t);
DBX_API const char *dbx_table_catalog_name(const dbx_table *t);
DBX_API const char *dbx_table_schema_name(const dbx_table *t);
/** "catalog.schema.table". */
DBX_API const char *dbx_table_full_name(const dbx_table *t);
DBX_API const char *dbx_table_id(const dbx_table *t);
DBX_API dbx_table_type_t dbx_table_type(const dbx_table *t);
DBX_API const char *dbx_table_type_str(const dbx_table *t);
DBX_API dbx_data_source_format_t dbx_table_data_source_format(const dbx_table *t);
DBX_API const char *dbx_table_data_source_format_str(const dbx_table *t);
DBX_API const char *dbx_table_storage_location(const dbx_table *t);
/** view_definition (views, materialized views, streaming tables). */
DBX_API const char *dbx_table_view_definition(const dbx_table *t);
DBX_API const char *dbx_table_comment(const dbx_table *t);
DBX_API const char *dbx_table_owner(const dbx_table *t);
DBX_API const char *dbx_table_metastore_id(const dbx_table *t);
DBX_API int64_t dbx_table_created_at(const dbx_table *t);
DBX_API const char *dbx_table_created_by(const dbx_table *t);
DBX_API int64_t dbx_table_updated_at(const dbx_table *t);
DBX_API const char *dbx_table_updated_by(const dbx_table *t);
/** As dbx_catalog_property / _count / _at (Delta properties such as
 *  "delta.minReaderVersion" included). */
DBX_API const char *dbx_table_property(const dbx_table *t, const char *key);
DBX_API size_t dbx_table_property_count(const dbx_table *t);
DBX_API int dbx_table_property_at(const dbx_table *t, size_t i, const char **key, const char **value);
/** Number of columns (0 when the list omitted them). */
DBX_API size_t dbx_table_column_count(const dbx_table *t);
/** Column i in the server's order, or NULL when out of range. Borrowed from t. */
DBX_API const dbx_column *dbx_table_column(const dbx_table *t, size_t i);
/** The column named `name` (exact match, first one), or NULL. Borrowed from t. */
DBX_API const dbx_column *dbx_table_column_by_name(const dbx_table *t, const char *name);
DBX_API const char *dbx_table_json(const dbx_table *t);

/* Column accessors: strings "" when absent. */
DBX_API const char *dbx_column_name(const dbx_column *col);
/** type_name as an enum / as the server sent it ("LONG"). */
DBX_API dbx_column_type_t dbx_column_type(const dbx_column *col);
DBX_API const char *dbx_column_type_str(const dbx_column *col);
/** type_text: the SQL type ("bigint", "decimal(10,2)", "array<string>"). */
DBX_API const char *dbx_column_type_text(const dbx_column *col);
/** type_json (Spark's JSON type) as the server sent it, "" when absent. */
DBX_API const char *dbx_column_type_json(const dbx_column *col);
/** type_precision / type_scale (DECIMAL); 0 when absent. */
DBX_API int dbx_column_precision(const dbx_column *col);
DBX_API int dbx_column_scale(const dbx_column *col);
/** nullable: 1 unless the server says false (the service's default is true). */
DBX_API int dbx_column_nullable(const dbx_column *col);
/** position (0-based); -1 when absent. */
DBX_API int dbx_column_position(const dbx_column *col);
DBX_API const char *dbx_column_comment(const dbx_column *col);
/** partition_index; -1 when the column is not a partition column. */
DBX_API int dbx_column_partition_index(const dbx_column *col);

typedef struct dbx_tables_iter dbx_tables_iter;

/** List the tables of a schema (GET /tables?catalog_name=&schema_name=, paged;
 *  no ordering guarantee). Options used: page_size, max_items,
 *  include_browse, omit_columns, omit_properties, omit_username. */
DBX_API dbx_status dbx_tables_list(dbx_tables_iter **out, dbx_client *c, const char *catalog_name,
                                   const char *schema_name, const dbx_uc_list_options *opts);
DBX_API dbx_status dbx_tables_iter_next(const dbx_table **item, dbx_tables_iter *it);
DBX_API void dbx_tables_iter_free(dbx_tables_iter *it);

/** A table summary: full name and type (GET /table-summaries). */
typedef struct dbx_table_summary dbx_table_summary;
DBX_API const char *dbx_table_summary_full_name(const dbx_table_summary *s);
DBX_API dbx_table_type_t dbx_table_summary_type(const dbx_table_summary *s);
DBX_API const char *dbx_table_summary_type_str(const dbx_table_summary *s);
DBX_API const char *dbx_table_summary_json(const dbx_table_summary *s);

typedef struct dbx_table_summaries_iter dbx_table_summaries_iter;

/**
 * List table summaries of a catalog (GET /table-summaries, paged).
 * `schema_name_pattern` / `table_name_pattern` (SQL LIKE patterns, '%' and
 * '_') may be NULL. Options used: page_size, max_items.
 */
DBX_API dbx_status dbx_tables_list_summaries(dbx_table_summaries_iter **out, dbx_client *c,
                                             const char *catalog_name, const char *schema_name_pattern,
                                             const char *table_name_pattern,
                                             const dbx_uc_list_options *opts);
DBX_API dbx_status dbx_table_summaries_iter_next(const dbx_table_summary **item,
                                                 dbx_table_summaries_iter *it);
DBX_API void dbx_table_summaries_iter_free(dbx_table_summaries_iter *it);

/** GET /tables/{full_name}. Caller frees *out with dbx_table_free(). */
DBX_API dbx_status dbx_tables_get(dbx_table **out, dbx_client *c, const char *full_name);

/** GET /tables/{full_name}/exists: *exists is 1 or 0 (0 on failure). */
DBX_API dbx_status dbx_tables_exists(int *exists, dbx_client *c, const char *full_name);

/** DELETE /tables/{full_name}. */
DBX_API dbx_status dbx_tables_delete(dbx_client *c, const char *full_name);

/** PATCH /tables/{full_name}: only `owner` may be set (the service's rule). */
DBX_API dbx_status dbx_tables_update(dbx_client *c, const char *full_name, const dbx_uc_update_options *opts);

/** A column of a new external table. Zero fields mean default. */
typedef struct dbx_column_def {
    const char *name;        /**< required */
    const char *type_text;   /**< required: the SQL type, "bigint", "decimal(10,2)", "array<string>" */
    dbx_column_type_t type;  /**< type_name; UNKNOWN: derived from type_text (EINVAL when it cannot be) */
    int precision, scale;    /**< DECIMAL; 0: taken from "decimal(p,s)" in type_text */
    int not_null;            /**< non-zero: nullable=false */
    const char *comment;     /**< NULL: none */
    int partition_index;     /**< 0: not a partition column; n > 0: partition_index n-1 */
} dbx_column_def;

/**
 * Register an EXTERNAL Delta table (POST /tables with table_type EXTERNAL,
 * data_source_format DELTA) at opts->storage_location (required), with
 * `n_columns` columns (positions 0..n-1; type_json is sent for simple
 * types). Options used: comment, properties, storage_location. Managed
 * tables are made with SQL (CREATE TABLE), not through this call.
 * `out` may be NULL; else the caller frees *out with dbx_table_free().
 */
DBX_API dbx_status dbx_tables_create_external(dbx_table **out, dbx_client *c, const char *catalog_name,
                                              const char *schema_name, const char *name,
                                              const dbx_column_def *columns, size_t n_columns,
                                              const dbx_uc_create_options *opts);

/* ------------------------------------------------------------------ */
/* Volumes                                                              */

/** A VolumeInfo. Immutable. Files in a volume: files.h at /Volumes/c/s/v/... */
typedef struct dbx_volume dbx_volume;

DBX_API void dbx_volume_free(dbx_volume *vol);
DBX_API const char *dbx_volume_name(const dbx_volume *vol);
DBX_API const char *dbx_volume_catalog_name(const dbx_volume *vol);
DBX_API const char *dbx_volume_schema_name(const dbx_volume *vol);
DBX_API const char *dbx_volume_full_name(const dbx_volume *vol);
DBX_API const char *dbx_volume_id(const dbx_volume *vol);
DBX_API dbx_volume_type_t dbx_volume_type(const dbx_volume *vol);
DBX_API const char *dbx_volume_type_str(const dbx_volume *vol);
DBX_API const char *dbx_volume_storage_location(const dbx_volume *vol);
DBX_API const char *dbx_volume_comment(const dbx_volume *vol);
DBX_API const char *dbx_volume_owner(const dbx_volume *vol);
DBX_API const char *dbx_volume_metastore_id(const dbx_volume *vol);
DBX_API int64_t dbx_volume_created_at(const dbx_volume *vol);
DBX_API const char *dbx_volume_created_by(const dbx_volume *vol);
DBX_API int64_t dbx_volume_updated_at(const dbx_volume *vol);
DBX_API const char *dbx_volume_updated_by(const dbx_volume *vol);
DBX_API const char *dbx_volume_json(const dbx_volume *vol);

typedef struct dbx_volumes_iter dbx_volumes_iter;

/** List the volumes of a schema (GET /volumes, paged). Options used:
 *  page_size, max_items, include_browse. */
DBX_API dbx_status dbx_volumes_list(dbx_volumes_iter **out, dbx_client *c, const char *catalog_name,
                                    const char *schema_name, const dbx_uc_list_options *opts);
DBX_API dbx_status dbx_volumes_iter_next(const dbx_volume **item, dbx_volumes_iter *it);
DBX_API void dbx_volumes_iter_free(dbx_volumes_iter *it);

/** GET /volumes/{full_name}. Caller frees *out with dbx_volume_free(). */
DBX_API dbx_status dbx_volumes_read(dbx_volume **out, dbx_client *c, const char *full_name);

/**
 * POST /volumes. `type` is DBX_VOLUME_TYPE_MANAGED or _EXTERNAL; EXTERNAL
 * needs opts->storage_location, MANAGED refuses it (DBX_EINVAL). Options
 * used: comment, storage_location. `out` may be NULL.
 */
DBX_API dbx_status dbx_volumes_create(dbx_volume **out, dbx_client *c, const char *catalog_name,
                                      const char *schema_name, const char *name, dbx_volume_type_t type,
                                      const dbx_uc_create_options *opts);

/** PATCH /volumes/{full_name} (new_name, comment, owner). `out` may be NULL. */
DBX_API dbx_status dbx_volumes_update(dbx_volume **out, dbx_client *c, const char *full_name,
                                      const dbx_uc_update_options *opts);

/** DELETE /volumes/{full_name}. */
DBX_API dbx_status dbx_volumes_delete(dbx_client *c, const char *full_name);

DBX_END_DECL

#endif /* DBX_CATALOG_H */
