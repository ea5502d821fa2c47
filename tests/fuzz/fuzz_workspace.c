/*
 * Fuzz target: the Workspace API's response mapping (lib/api/workspace.c),
 * without network I/O. The first byte picks what the rest is:
 *   0: an ObjectInfo answer (get-status), read through every accessor;
 *   1: "<directory>\n<list answer>": the walk's listing check and ordering;
 *   2: an export answer: strict base64 decoding of `content`;
 *   3: the bytes as a remote path for the path check.
 *
 * Oracles: no crash / UB / leak; a listing that passes holds only entries
 * "<dir>/<name>" with one name that is not "", "." or "..", strictly
 * sorted (no duplicates), or the directory itself alone; decoded content
 * is at most 3/4 of the text (+3); an accepted path has no "//", "." or
 * ".." segment.
 */
#include <stdlib.h>
#include <string.h>

#include "api/workspace_internal.h"
#include "fuzz.h"

static void object_info(const uint8_t *data, size_t size)
{
    dbx__buf body = DBX__BUF_INIT;
    dbx__buf_put(&body, data, size);
    dbx__jdoc doc;
    if (body.oom || dbx__jdoc_parse_object(&doc, NULL, &body) != DBX_OK) {
        dbx__buf_dispose(&body);
        return;
    }
    dbx__buf_dispose(&body);
    dbx_workspace_object *o = dbx__view_new(sizeof *o, &doc);
    if (!o)
        return;
    if ((unsigned)dbx_workspace_object_type(o) > DBX_WORKSPACE_OBJECT_DASHBOARD ||
        (unsigned)dbx_workspace_object_language(o) > DBX_WORKSPACE_LANGUAGE_UNKNOWN)
        abort();
    if (!dbx_workspace_object_path(o) || !dbx_workspace_object_type_str(o) || !dbx_workspace_object_resource_id(o) ||
        !dbx_workspace_object_language_str(o))
        abort();
    (void)dbx_workspace_object_id(o);
    (void)dbx_workspace_object_created_at(o);
    (void)dbx_workspace_object_modified_at(o);
    (void)dbx_workspace_object_size(o);
    (void)dbx_workspace_object_json(o);
    dbx_workspace_object_free(o);
}

static void listing(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size);
    if (!nl)
        return;
    char *dir = fuzz_text(data, (size_t)(nl - data));
    if (!dir)
        return;
    if (dbx__workspace_path_problem(dir)) {
        free(dir);
        return;
    }
    dbx__buf body = DBX__BUF_INIT;
    dbx__buf_put(&body, nl + 1, size - (size_t)(nl - data) - 1);
    dbx__jdoc doc;
    if (body.oom || dbx__jdoc_parse_object(&doc, NULL, &body) != DBX_OK) {
        dbx__buf_dispose(&body);
        free(dir);
        return;
    }
    dbx__buf_dispose(&body);
    for (int root_ok = 0; root_ok < 2; root_ok++) {
        dbx__jv *items = NULL;
        size_t n = 0;
        if (dbx__workspace_listing(NULL, dir, dbx__jdoc_root(&doc), root_ok, &items, &n) != DBX_OK) {
            if (items || n)
                abort();
            continue;
        }
        size_t dlen = strlen(dir);
        size_t prefix = dlen == 1 ? 1 : dlen + 1;
        for (size_t i = 0; i < n; i++) {
            const char *p = dbx__jv_get_str(items[i], "path", NULL);
            if (!p)
                abort();
            if (strcmp(p, dir) == 0) {
                if (!root_ok || n != 1)
                    abort();
                continue;
            }
            if (strlen(p) <= prefix || strncmp(p, dir, dlen) != 0)
                abort();
            const char *name = p + prefix;
            if (strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
                abort();
            if (i && strcmp(dbx__jv_get_str(items[i - 1], "path", ""), p) >= 0)
                abort();
        }
        dbx__free(items);
    }
    dbx__jdoc_dispose(&doc);
    free(dir);
}

static void export_answer(const uint8_t *data, size_t size)
{
    dbx__buf body = DBX__BUF_INIT;
    dbx__buf_put(&body, data, size);
    dbx__jdoc doc;
    if (body.oom || dbx__jdoc_parse_object(&doc, NULL, &body) != DBX_OK) {
        dbx__buf_dispose(&body);
        return;
    }
    dbx__buf_dispose(&body);
    dbx__buf out = DBX__BUF_INIT;
    const char *ft = NULL;
    dbx__jv root = dbx__jdoc_root(&doc);
    if (dbx__workspace_export_decode(NULL, root, &out, &ft) == DBX_OK) {
        size_t text = dbx__jv_strlen(dbx__jv_get(root, "content"));
        if (!ft || out.len > text / 4 * 3 + 3)
            abort();
    }
    dbx__buf_dispose(&out);
    dbx__jdoc_dispose(&doc);
}

static void path_check(const uint8_t *data, size_t size)
{
    char *p = fuzz_text(data, size);
    if (!p)
        return;
    if (!dbx__workspace_path_problem(p)) {
        if (p[0] != '/' || strstr(p, "//") || strstr(p, "/./") || strstr(p, "/../"))
            abort();
        size_t n = strlen(p);
        if (n > 1 && (p[n - 1] == '/' || (n >= 2 && strcmp(p + n - 2, "/.") == 0) ||
                      (n >= 3 && strcmp(p + n - 3, "/..") == 0)))
            abort();
    }
    free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    switch (data[0] % 4) {
    case 0:
        object_info(data + 1, size - 1);
        break;
    case 1:
        listing(data + 1, size - 1);
        break;
    case 2:
        export_answer(data + 1, size - 1);
        break;
    default:
        path_check(data + 1, size - 1);
        break;
    }
    return 0;
}
