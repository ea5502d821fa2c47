/* libdbx internal: the parts of lib/api/dbfs.c that read server answers,
 * exposed for the fuzz target (tests/fuzz/fuzz_dbfs.c). */
#ifndef DBX_DBFS_INTERNAL_H
#define DBX_DBFS_INTERNAL_H

#include "api.h"
#include "dbx/dbfs.h"

/* Map a get-status answer (a FileInfo object) to a result: checks that the
 * fields a client relies on have the right types (path a non-empty string,
 * is_dir a boolean when present, file_size a non-negative int64 when
 * present). Takes the document (disposed on failure). DBX_EBADRESPONSE
 * recorded for owner, or DBX_ENOMEM. */
dbx_status dbx__dbfs_file_info_from(dbx_dbfs_file_info **out, const void *owner, dbx__jdoc *doc);

/* Map a read answer {bytes_read, data} for a read of `asked` bytes:
 * decodes data strictly into `out` (cleared first; its allocation is
 * reused) and checks bytes_read == decoded length <= asked. DBX_OK,
 * DBX_EBADRESPONSE (recorded for owner) or DBX_ENOMEM. */
dbx_status dbx__dbfs_read_map(const void *owner, dbx__jv root, size_t asked, dbx__buf *out);

#endif
