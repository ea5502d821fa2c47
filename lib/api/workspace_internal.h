/*
 * libdbx internal: the Workspace API's response mapping, exposed for the
 * fuzz target (tests/fuzz/fuzz_workspace.c), which feeds it arbitrary
 * answers without network I/O.
 */
#ifndef DBX_WORKSPACE_INTERNAL_H
#define DBX_WORKSPACE_INTERNAL_H

#include "api.h"
#include "dbx/workspace.h"

struct dbx_workspace_object {
    dbx__view v; /* first: the pointer is also a dbx__view * */
};

/* A listing of directory `dir` (a checked remote path) checked and
 * ordered for the walk: the `objects` member of `root` must be absent or
 * an array of objects whose `path` is "<dir>/<name>" (name not empty, ".",
 * ".." and without '/'). When `root_ok` is non-zero, a single entry whose
 * path is `dir` itself and that is not a directory is accepted (listing a
 * notebook or file yields it). On DBX_OK *items (dbx__free) holds *n values
 * sorted by path (byte order); DBX_EBADRESPONSE (recorded for owner)
 * names the offending entry; DBX_ENOMEM. */
dbx_status dbx__workspace_listing(const void *owner, const char *dir, dbx__jv root, int root_ok,
                                  dbx__jv **items, size_t *n);

/* The bytes of an export answer: `content` strictly base64-decoded and
 * appended to out; *file_type (may be NULL) borrowed from root ("" when
 * absent). DBX_EBADRESPONSE for a missing or non-string content or
 * invalid base64 (recorded for owner), DBX_ENOMEM. */
dbx_status dbx__workspace_export_decode(const void *owner, dbx__jv root, dbx__buf *out,
                                        const char **file_type);

/* Is `path` a remote path the API accepts (see workspace.h)? NULL when
 * fine, else a static reason. */
const char *dbx__workspace_path_problem(const char *path);

/* The local file name of a listed object for export_dir: "name" or
 * "name.ext" (static extension by format and language). NULL when the
 * object is not exported (libraries, dashboards, unknown types). */
const char *dbx__workspace_local_ext(dbx_workspace_object_type_t type, dbx_workspace_language_t lang,
                                     dbx_workspace_format_t format);

#endif
