/*
 * libdbx - version information.
 *
 * The macros describe the headers you compiled against; dbx_version() and
 * dbx_version_str() describe the library you are running with. Bindings and
 * careful applications compare the two at start-up (sqlite's advice):
 *
 *     int maj; dbx_version(&maj, NULL, NULL);
 *     assert(maj == DBX_VERSION_MAJOR);
 *
 * The CMake build reads the project version from this file, so this is the
 * single place a release changes it.
 */
#ifndef DBX_VERSION_H
#define DBX_VERSION_H

#include "common.h"

#define DBX_VERSION_MAJOR 0
#define DBX_VERSION_MINOR 1
#define DBX_VERSION_PATCH 0
#define DBX_VERSION "0.1.0"

/** 0xMMmmpp: one byte each for major, minor and patch. */
#define DBX_VERSION_NUM \
    ((DBX_VERSION_MAJOR << 16) | (DBX_VERSION_MINOR << 8) | DBX_VERSION_PATCH)

/** True when the headers are at least version x.y.z. */
#define DBX_VERSION_AT_LEAST(x, y, z) (DBX_VERSION_NUM >= (((x) << 16) | ((y) << 8) | (z)))

DBX_BEGIN_DECL

/**
 * Run-time version of the library. Any pointer may be NULL.
 * Thread-safe; cannot fail.
 */
DBX_API void dbx_version(int *major, int *minor, int *patch);

/**
 * Run-time version as static text, e.g. "0.1.0". Never NULL; do not free.
 * Thread-safe.
 */
DBX_API const char *dbx_version_str(void);

/**
 * Versions of the libraries libdbx runs on, as static text:
 * "libdbx/0.1.0 libcurl/7.88.1 OpenSSL/3.0.x jansson/2.14".
 * Never NULL; do not free. Thread-safe.
 */
DBX_API const char *dbx_version_details(void);

DBX_END_DECL

#endif /* DBX_VERSION_H */
