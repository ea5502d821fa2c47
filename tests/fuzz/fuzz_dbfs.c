/*
 * Fuzz target: the DBFS answer mapping of lib/api/dbfs.c, from arbitrary
 * bytes and without a network. The first byte picks the length a read
 * asked for (0..255, or 1 MB for odd bytes >= 0x80); the rest is a response
 * body, parsed as the pipeline's answers are (dbx__jdoc_parse_object), then
 * mapped both as a read answer and as a FileInfo (get-status).
 *
 * Oracles: a read answer that maps has exactly bytes_read <= asked decoded
 * bytes; a FileInfo that maps has a non-empty path and a non-negative size,
 * and every accessor (JSON text included) works; nothing crashes or leaks.
 */
#include <stdlib.h>
#include <string.h>

#include "api/dbfs_internal.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t asked = data[0] >= 0x80 && (data[0] & 1) ? (size_t)DBX_DBFS_MAX_BLOCK : data[0];
    dbx__buf body = DBX__BUF_INIT;
    dbx__buf_put(&body, data + 1, size - 1);
    if (body.oom) {
        dbx__buf_dispose(&body);
        return 0;
    }
    dbx__jdoc doc;
    if (dbx__jdoc_parse_object(&doc, NULL, &body) != DBX_OK) {
        dbx__buf_dispose(&body);
        return 0;
    }
    dbx__buf_dispose(&body);

    dbx__buf out = DBX__BUF_INIT;
    dbx_status st = dbx__dbfs_read_map(NULL, dbx__jdoc_root(&doc), asked, &out);
    if (st == DBX_OK) {
        int64_t n = dbx__jv_get_int(dbx__jdoc_root(&doc), "bytes_read", -1);
        if (n < 0 || (uint64_t)n != out.len || out.len > asked)
            abort();
    } else if (st != DBX_EBADRESPONSE && st != DBX_ENOMEM) {
        abort();
    }
    dbx__buf_dispose(&out);

    dbx_dbfs_file_info *fi = NULL;
    st = dbx__dbfs_file_info_from(&fi, NULL, &doc); /* takes the document */
    if (st == DBX_OK) {
        if (!*dbx_dbfs_file_info_path(fi) || dbx_dbfs_file_info_file_size(fi) < 0)
            abort();
        (void)dbx_dbfs_file_info_is_dir(fi);
        (void)dbx_dbfs_file_info_modification_time(fi);
        const char *j = dbx_dbfs_file_info_json(fi);
        if (j && j[0] != '{')
            abort();
        dbx_dbfs_file_info_free(fi);
    } else if (fi || (st != DBX_EBADRESPONSE && st != DBX_ENOMEM)) {
        abort();
    }
    return 0;
}
