/*
 * libdbx - umbrella header: a C client library for the Databricks REST APIs.
 * Include this, link with -ldbx (pkg-config libdbx, or CMake dbx::dbx).
 */
#ifndef DBX_DBX_H
#define DBX_DBX_H

#include "common.h"
#include "version.h"
#include "errors.h"
#include "client.h"
#include "clusters.h"
#include "workspace.h"
#include "dbfs.h"
#include "files.h"
#include "jobs.h"
#include "warehouses.h"
#include "catalog.h"
#include "sql.h"
#include "delta.h"
#include "mlflow.h"
#include "registry.h"
#include "serving.h"
#include "monitors.h"

#endif /* DBX_DBX_H */
