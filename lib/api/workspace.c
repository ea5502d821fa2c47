/* libdbx: Workspace API (/api/2.0/workspace/ *). Request building and response mapping,
 * plus the walk and the directory export built on them. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "api.h"
#include "dbx/workspace.h"
#include "workspace_internal.h"

#define BASE "/api/2.0/workspace"
#define MAX_PATH_BYTES 4096
#define DEFAULT_MAX_DEPTH 1000
#define DEFAULT_MAX_OBJECTS 1000000L

#define N_OF(a) (sizeof(a) / sizeof *(a))

/* ---- enums ------------------------------------------------------------------------------ */

static const char *type_names[] = {"UNKNOWN", "NOTEBOOK", "DIRECTORY", "LIBRARY", "FILE", "REPO", "DASHBOARD"};
static const char *lang_names[] = {"", "PYTHON", "SCALA", "SQL", "R", "UNKNOWN"};
static const char *format_names[] = {"", "SOURCE", "HTML", "JUPYTER", "DBC", "RAW", "R_MARKDOWN", "AUTO"};

DBX_API const char *dbx_workspace_object_type_name(dbx_workspace_object_type_t t)
{
    return (unsigned)t < N_OF(type_names) ? type_names[t] : "UNKNOWN";
}

DBX_API const char *dbx_workspace_language_name(dbx_workspace_language_t l)
{
    return (unsigned)l < N_OF(lang_names) ? lang_names[l] : "UNKNOWN";
}

DBX_API const char *dbx_workspace_format_name(dbx_workspace_format_t f)
{
    return (unsigned)f < N_OF(format_names) ? format_names[f] : "UNKNOWN";
}

static dbx_workspace_object_type_t type_parse(const char *s)
{
    for (size_t i = 1; s && i < N_OF(type_names); i++)
        if (strcmp(s, type_names[i]) == 0)
            return (dbx_workspace_object_type_t)i;
    return DBX_WORKSPACE_OBJECT_UNKNOWN;
}

static dbx_workspace_language_t lang_parse(const char *s)
{
    if (dbx__empty(s))
        return DBX_WORKSPACE_LANGUAGE_NONE;
    for (size_t i = 1; i < DBX_WORKSPACE_LANGUAGE_UNKNOWN; i++)
        if (strcmp(s, lang_names[i]) == 0)
            return (dbx_workspace_language_t)i;
    return DBX_WORKSPACE_LANGUAGE_UNKNOWN;
}

/* ---- object ------------------------------------------------------------------------------ */

DBX_API void dbx_workspace_object_free(dbx_workspace_object *o) { dbx__view_free(o); }

#define V(o) ((o)->v.v)
#define S(o, key) ((o) ? dbx__jv_get_str(V(o), key, "") : "")
#define I(o, key) ((o) ? dbx__jv_get_int(V(o), key, 0) : 0)

DBX_API dbx_workspace_object_type_t dbx_workspace_object_type(const dbx_workspace_object *o)
{
    return type_parse(S(o, "object_type"));
}
DBX_API const char *dbx_workspace_object_type_str(const dbx_workspace_object *o) { return S(o, "object_type"); }
DBX_API const char *dbx_workspace_object_path(const dbx_workspace_object *o) { return S(o, "path"); }
DBX_API dbx_workspace_language_t dbx_workspace_object_language(const dbx_workspace_object *o)
{
    return lang_parse(S(o, "language"));
}
DBX_API const char *dbx_workspace_object_language_str(const dbx_workspace_object *o) { return S(o, "language"); }
DBX_API int64_t dbx_workspace_object_id(const dbx_workspace_object *o) { return I(o, "object_id"); }
DBX_API int64_t dbx_workspace_object_created_at(const dbx_workspace_object *o) { return I(o, "created_at"); }
DBX_API int64_t dbx_workspace_object_modified_at(const dbx_workspace_object *o) { return I(o, "modified_at"); }
DBX_API int64_t dbx_workspace_object_size(const dbx_workspace_object *o) { return I(o, "size"); }
DBX_API const char *dbx_workspace_object_resource_id(const dbx_workspace_object *o) { return S(o, "resource_id"); }
DBX_API const char *dbx_workspace_object_json(const dbx_workspace_object *o)
{
    return o ? dbx__view_text(&o->v, 0, V(o)) : NULL;
}

static int is_dir_like(dbx__jv obj)
{
    dbx_workspace_object_type_t t = type_parse(dbx__jv_get_str(obj, "object_type", ""));
    return t == DBX_WORKSPACE_OBJECT_DIRECTORY || t == DBX_WORKSPACE_OBJECT_REPO;
}

/* ---- argument checks ---------------------------------------------------------------------- */

const char *dbx__workspace_path_problem(const char *p)
{
    if (dbx__empty(p))
        return "is required";
    size_t n = strlen(p);
    if (n > MAX_PATH_BYTES)
        return "is longer than 4096 bytes";
    if (!dbx__utf8_valid(p))
        return "is not valid UTF-8";
    if (p[0] != '/')
        return "is not absolute (it must start with '/')";
    if (n == 1)
        return NULL;
    if (p[n - 1] == '/')
        return "ends with '/'";
    for (const char *s = p + 1;;) {
        size_t k = strcspn(s, "/");
        if (k == 0)
            return "has an empty segment ('//')";
        if (k == 1 && s[0] == '.')
            return "has a '.' segment";
        if (k == 2 && s[0] == '.' && s[1] == '.')
            return "has a '..' segment";
        if (!s[k])
            return NULL;
        s += k + 1;
    }
}

/* Fail with DBX_EINVAL naming the path argument and the reason. */
#define CHECK_PATH(c, p)                                                                           \
    do {                                                                                           \
        const char *why_ = dbx__workspace_path_problem(p);                                         \
        if (why_) {                                                                                \
            if (dbx__empty(p) || !dbx__utf8_valid(p))                                              \
                return dbx__fail((c), DBX_EINVAL, "%s: %s %s", __func__, #p, why_);                \
            return dbx__fail((c), DBX_EINVAL, "%s: %s '%.200s' %s", __func__, #p, (p), why_);      \
        }                                                                                          \
    } while (0)

#define CHECK_VERSION(c, o, max, type)                                                             \
    do {                                                                                           \
        if ((o) && ((o)->version == 0 || (o)->version > (max)))                                    \
            return dbx__fail((c), DBX_EINVAL, "%s: " type " version %u is not supported", __func__, \
                             (o)->version);                                                        \
    } while (0)

/* path + "?path=<enc>" into a buffer; -1 on OOM. */
static int path_query(dbx__buf *b, const char *op, const char *path)
{
    dbx__buf_puts(b, BASE "/");
    dbx__buf_puts(b, op);
    return dbx__query_add(b, "path", path);
}

/* ---- get-status, mkdirs, delete --------------------------------------------------------------- */

DBX_API dbx_status dbx_workspace_get_status(dbx_workspace_object **out, dbx_client *c, const char *path)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    DBX__REQUIRE_PTR(c, out);
    CHECK_PATH(c, path);
    dbx__buf q = DBX__BUF_INIT;
    if (path_query(&q, "get-status", path) != 0) {
        dbx__buf_dispose(&q);
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    dbx__jdoc doc;
    dbx_status st = dbx__api_call(c, "GET", q.ptr, NULL, DBX__CALL_IDEMPOTENT, &doc);
    dbx__buf_dispose(&q);
    if (st != DBX_OK)
        return st;
    if (dbx__empty(dbx__jv_get_str(dbx__jdoc_root(&doc), "path", NULL))) {
        dbx__jdoc_dispose(&doc);
        return dbx__fail_answer(c, DBX_EBADRESPONSE, "workspace/get-status: response has no path");
    }
    if (!(*out = dbx__view_new(sizeof **out, &doc)))
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    return DBX_OK;
}

static dbx_status post_path(dbx_client *c, const char *op, const char *path, int recursive, int flags)
{
    json_t *body = json_object();
    if (!body || dbx__json_set_str(body, "path", path) != 0 ||
        (recursive >= 0 && json_object_set_new(body, "recursive", json_boolean(recursive)) != 0)) {
        dbx__json_decref_deep(body);
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    char url[64];
    snprintf(url, sizeof url, BASE "/%s", op);
    dbx_status st = dbx__api_call(c, "POST", url, body, flags, NULL);
    dbx__json_decref_deep(body);
    return st;
}

DBX_API dbx_status dbx_workspace_mkdirs(dbx_client *c, const char *path)
{
    DBX__ENTER(c);
    CHECK_PATH(c, path);
    return post_path(c, "mkdirs", path, -1, DBX__CALL_IDEMPOTENT); /* idempotent by definition */
}

DBX_API dbx_status dbx_workspace_delete(dbx_client *c, const char *path, int recursive)
{
    DBX__ENTER(c);
    CHECK_PATH(c, path);
    if (strcmp(path, "/") == 0)
        return dbx__fail(c, DBX_EINVAL, "%s: path '/' (the workspace root) cannot be deleted", __func__);
    /* not idempotent: a retry after a lost answer would report the path as missing */
    return post_path(c, "delete", path, recursive != 0, 0);
}

/* ---- list --------------------------------------------------------------------------------- */

/* GET /workspace/list?path=..; the answer's `objects` checked to be an
 * array of objects. */
static dbx_status list_call(dbx_client *c, const char *path, int64_t modified_after, dbx__jdoc *doc)
{
    char small[512];
    dbx__buf q;
    dbx__buf_init_fixed(&q, small, sizeof small);
    path_query(&q, "list", path);
    if (modified_after > 0)
        dbx__query_add_int(&q, "notebooks_modified_after", (long long)modified_after);
    if (q.oom) {
        dbx__buf_dispose(&q);
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    dbx_status st = dbx__api_call(c, "GET", q.ptr, NULL, DBX__CALL_IDEMPOTENT | DBX__CALL_LARGE, doc);
    dbx__buf_dispose(&q);
    if (st != DBX_OK)
        return st;
    dbx__jv objs = dbx__jv_get(dbx__jdoc_root(doc), "objects");
    if (dbx__jv_present(objs) && dbx__jv_type(objs) != DBX__J_NULL) {
        if (!dbx__jv_is_array(objs)) {
            dbx__jdoc_dispose(doc);
            return dbx__fail_answer(c, DBX_EBADRESPONSE, "workspace/list: 'objects' is not an array");
        }
        dbx__jit it;
        dbx__jv v;
        size_t i = 0;
        for (dbx__jv_iter(objs, &it); dbx__jit_next(&it, &v, NULL); i++) {
            if (!dbx__jv_is_object(v)) {
                dbx__jdoc_dispose(doc);
                return dbx__fail_answer(c, DBX_EBADRESPONSE, "workspace/list: objects[%zu] is not an object", i);
            }
        }
    }
    return DBX_OK;
}

struct dbx_workspace_iter {
    dbx_client *c; /* referenced */
    char *path;
    int64_t modified_after;
    dbx__jdoc doc;
    dbx__jit it;
    int fetched;
    struct dbx_workspace_object cur;
};

DBX_API dbx_status dbx_workspace_list(dbx_workspace_iter **out, dbx_client *c, const char *path,
                                      const dbx_workspace_list_options *opts)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    DBX__REQUIRE_PTR(c, out);
    CHECK_PATH(c, path);
    CHECK_VERSION(c, opts, DBX_WORKSPACE_LIST_OPTIONS_VERSION, "dbx_workspace_list_options");
    if (opts && opts->notebooks_modified_after < 0)
        return dbx__fail(c, DBX_EINVAL, "%s: notebooks_modified_after is negative", __func__);
    dbx_workspace_iter *it = dbx__calloc(1, sizeof *it);
    if (!it || !(it->path = dbx__strdup(path))) {
        dbx__free(it);
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    it->c = dbx__client_ref(c);
    it->modified_after = opts ? opts->notebooks_modified_after : 0;
    *out = it;
    return DBX_OK;
}

DBX_API dbx_status dbx_workspace_iter_next(const dbx_workspace_object **item, dbx_workspace_iter *it)
{
    if (item)
        *item = NULL;
    if (!item || !it)
        return dbx__fail(NULL, DBX_EINVAL, "%s: item and iterator are required", __func__);
    dbx__error_clear(it->c);
    dbx__view_clear(&it->cur.v);
    if (!it->fetched) {
        dbx__jdoc doc;
        dbx_status st = list_call(it->c, it->path, it->modified_after, &doc);
        if (st != DBX_OK)
            return st;
        it->doc = doc;
        /* the walk refers to the document by address: start it on it->doc */
        dbx__jv_iter(dbx__jv_get(dbx__jdoc_root(&it->doc), "objects"), &it->it);
        it->fetched = 1;
    }
    dbx__jv v;
    if (!dbx__jit_next(&it->it, &v, NULL))
        return DBX_DONE;
    it->cur.v.v = v;
    *item = &it->cur;
    return DBX_OK;
}

DBX_API void dbx_workspace_iter_free(dbx_workspace_iter *it)
{
    if (!it)
        return;
    dbx__view_clear(&it->cur.v);
    dbx__jdoc_dispose(&it->doc);
    dbx__client_unref(it->c);
    dbx__free(it->path);
    dbx__free(it);
}

/* ---- listing checks (shared by the walk and the fuzz target) ------------------------------------ */

static int by_path(const void *a, const void *b)
{
    return strcmp(dbx__jv_get_str(*(const dbx__jv *)a, "path", ""), dbx__jv_get_str(*(const dbx__jv *)b, "path", ""));
}

dbx_status dbx__workspace_listing(const void *owner, const char *dir, dbx__jv root, int root_ok,
                                  dbx__jv **items, size_t *n)
{
    *items = NULL;
    *n = 0;
    dbx__jv objs = dbx__jv_get(root, "objects");
    if (dbx__jv_present(objs) && dbx__jv_type(objs) != DBX__J_NULL && !dbx__jv_is_array(objs))
        return dbx__fail_answer(owner, DBX_EBADRESPONSE, "workspace/list of '%.200s': 'objects' is not an array", dir);
    size_t count = dbx__jv_count(objs);
    if (count == 0)
        return DBX_OK;
    dbx__jv *arr = dbx__malloc(count * sizeof *arr);
    if (!arr)
        return dbx__fail(owner, DBX_ENOMEM, "out of memory");
    size_t dlen = strlen(dir);
    size_t prefix = dlen == 1 ? 1 : dlen + 1; /* "/" + name, or dir + "/" + name */
    dbx__jit it;
    dbx__jv v;
    size_t i = 0;
    const char *bad = NULL;
    const char *bad_path = NULL;
    for (dbx__jv_iter(objs, &it); dbx__jit_next(&it, &v, NULL); i++) {
        arr[i] = v;
        const char *p = dbx__jv_get_str(v, "path", NULL);
        if (!dbx__jv_is_object(v) || dbx__empty(p)) {
            bad = "has no path";
            break;
        }
        bad_path = p;
        if (strlen(p) != dbx__jv_strlen(dbx__jv_get(v, "path"))) {
            bad = "holds a NUL byte";
            break;
        }
        if (strcmp(p, dir) == 0) {
            if (root_ok && count == 1 && !is_dir_like(v))
                continue; /* listing a notebook or file yields it */
            bad = "is the listed directory itself";
            break;
        }
        if (strlen(p) < prefix || strncmp(p, dir, dlen) != 0 || (dlen > 1 && p[dlen] != '/')) {
            bad = "is not under the listed directory";
            break;
        }
        const char *name = p + prefix;
        size_t k = strlen(name);
        if (k == 0 || strchr(name, '/') || (k == 1 && name[0] == '.') || (k == 2 && name[0] == '.' && name[1] == '.')) {
            bad = "does not name one entry of the listed directory";
            break;
        }
    }
    if (bad) {
        dbx__free(arr);
        if (!bad_path)
            return dbx__fail_answer(owner, DBX_EBADRESPONSE, "workspace/list of '%.200s': objects[%zu] has no path",
                                    dir, i);
        return dbx__fail_answer(owner, DBX_EBADRESPONSE, "workspace/list of '%.200s': the listed path '%.200s' %s",
                                dir, bad_path, bad);
    }
    qsort(arr, count, sizeof *arr, by_path);
    for (i = 1; i < count; i++) {
        if (by_path(&arr[i - 1], &arr[i]) == 0) {
            const char *p = dbx__jv_get_str(arr[i], "path", "");
            dbx__free(arr);
            return dbx__fail_answer(owner, DBX_EBADRESPONSE, "workspace/list of '%.200s': '%.200s' is listed twice",
                                    dir, p);
        }
    }
    *items = arr;
    *n = count;
    return DBX_OK;
}

/* ---- walk ----------------------------------------------------------------------------------- */

typedef struct pending_dir {
    char *path;
    int depth; /* of the directory itself; its entries are at depth + 1 */
} pending_dir;

struct dbx_workspace_walk_iter {
    dbx_client *c; /* referenced */
    int max_depth;
    long max_objects;
    int64_t modified_after;
    pending_dir *stack;
    size_t n_stack, cap_stack;
    dbx__jdoc doc;     /* the current listing */
    dbx__jv *items;    /* its entries, sorted */
    size_t n_items, pos;
    int depth;         /* of the current listing's entries */
    char *dir;         /* the directory it lists */
    long listed;
    dbx_status sticky; /* DBX_ETOOLARGE once the object bound is hit */
    struct dbx_workspace_object cur;
};

static int push_dir(dbx_workspace_walk_iter *w, const char *path, int depth)
{
    if (w->n_stack == w->cap_stack) {
        pending_dir *s = dbx__array_grow(w->stack, NULL, w->n_stack, &w->cap_stack, w->n_stack + 1, sizeof *s);
        if (!s)
            return -1;
        w->stack = s; /* realloc'd: the old array is gone */
    }
    char *p = dbx__strdup(path);
    if (!p)
        return -1;
    w->stack[w->n_stack].path = p;
    w->stack[w->n_stack].depth = depth;
    w->n_stack++;
    return 0;
}

DBX_API dbx_status dbx_workspace_walk(dbx_workspace_walk_iter **out, dbx_client *c, const char *path,
                                      const dbx_workspace_walk_options *opts)
{
    if (out)
        *out = NULL;
    DBX__ENTER(c);
    DBX__REQUIRE_PTR(c, out);
    CHECK_PATH(c, path);
    CHECK_VERSION(c, opts, DBX_WORKSPACE_WALK_OPTIONS_VERSION, "dbx_workspace_walk_options");
    if (opts && (opts->max_depth < 0 || opts->max_objects < 0 || opts->notebooks_modified_after < 0))
        return dbx__fail(c, DBX_EINVAL, "%s: max_depth, max_objects and notebooks_modified_after must not be "
                                        "negative", __func__);
    dbx_workspace_walk_iter *w = dbx__calloc(1, sizeof *w);
    if (!w)
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    w->max_depth = opts && opts->max_depth ? opts->max_depth : DEFAULT_MAX_DEPTH;
    w->max_objects = opts && opts->max_objects ? opts->max_objects : DEFAULT_MAX_OBJECTS;
    w->modified_after = opts ? opts->notebooks_modified_after : 0;
    if (push_dir(w, path, 0) != 0) {
        dbx__free(w->stack);
        dbx__free(w);
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    w->c = dbx__client_ref(c);
    *out = w;
    return DBX_OK;
}

/* List the directory on top of the stack; on success it is popped, its
 * listing becomes current and its subdirectories are pushed so that they
 * pop in sorted order. On failure nothing changes (a retry lists it again). */
static dbx_status walk_load(dbx_workspace_walk_iter *w)
{
    pending_dir top = w->stack[w->n_stack - 1];
    dbx__jdoc doc;
    dbx_status st = list_call(w->c, top.path, w->modified_after, &doc);
    if (st != DBX_OK)
        return st;
    dbx__jv *items;
    size_t n;
    st = dbx__workspace_listing(w->c, top.path, dbx__jdoc_root(&doc), top.depth == 0, &items, &n);
    if (st != DBX_OK) {
        dbx__jdoc_dispose(&doc);
        return st;
    }
    if ((long)n > w->max_objects - w->listed) {
        dbx__free(items);
        dbx__jdoc_dispose(&doc);
        w->sticky = DBX_ETOOLARGE;
        return dbx__fail_answer(w->c, DBX_ETOOLARGE, "walk: more than max_objects (%ld) objects listed (at '%.200s')",
                                w->max_objects, top.path);
    }
    /* room for every subdirectory first, so that pushing cannot fail half-way */
    size_t dirs = 0;
    for (size_t i = 0; i < n; i++)
        dirs += is_dir_like(items[i]);
    size_t keep = w->n_stack - 1 + dirs;
    if (keep > w->cap_stack) {
        pending_dir *s = dbx__array_grow(w->stack, NULL, w->n_stack, &w->cap_stack, keep, sizeof *s);
        if (!s) {
            dbx__free(items);
            dbx__jdoc_dispose(&doc);
            return dbx__fail(w->c, DBX_ENOMEM, "out of memory");
        }
        w->stack = s; /* realloc'd: the old array is gone */
    }
    /* copy the subdirectory paths before committing anything */
    char **paths = dirs ? dbx__calloc(dirs, sizeof *paths) : NULL;
    int entry_depth = top.depth + 1;
    int oom = dirs && !paths;
    size_t k = 0;
    for (size_t i = n; !oom && i-- > 0;) {
        if (!is_dir_like(items[i]))
            continue;
        if (!(paths[k++] = dbx__strdup(dbx__jv_get_str(items[i], "path", ""))))
            oom = 1;
    }
    if (oom) {
        for (size_t i = 0; paths && i < dirs; i++)
            dbx__free(paths[i]);
        dbx__free(paths);
        dbx__free(items);
        dbx__jdoc_dispose(&doc);
        return dbx__fail(w->c, DBX_ENOMEM, "out of memory");
    }
    /* commit */
    w->n_stack--;
    dbx__free(w->dir);
    w->dir = top.path;
    w->listed += (long)n;
    for (size_t i = 0; i < dirs; i++) {
        if (entry_depth < w->max_depth && !(n == 1 && strcmp(paths[i], top.path) == 0)) {
            w->stack[w->n_stack].path = paths[i];
            w->stack[w->n_stack].depth = entry_depth;
            w->n_stack++;
        } else {
            dbx__free(paths[i]);
        }
    }
    dbx__free(paths);
    dbx__view_clear(&w->cur.v);
    dbx__free(w->items);
    dbx__jdoc_dispose(&w->doc);
    w->doc = doc;
    /* the values refer to the document by address: re-point them at w->doc */
    for (size_t i = 0; i < n; i++)
        items[i].doc = &w->doc;
    w->items = items;
    w->n_items = n;
    w->pos = 0;
    w->depth = entry_depth;
    return DBX_OK;
}

DBX_API dbx_status dbx_workspace_walk_next(const dbx_workspace_object **item, int *depth,
                                           dbx_workspace_walk_iter *w)
{
    if (item)
        *item = NULL;
    if (depth)
        *depth = 0;
    if (!item || !w)
        return dbx__fail(NULL, DBX_EINVAL, "%s: item and iterator are required", __func__);
    dbx__error_clear(w->c);
    dbx__view_clear(&w->cur.v);
    if (w->sticky)
        return dbx__fail(w->c, w->sticky, "walk: more than max_objects (%ld) objects listed", w->max_objects);
    while (w->pos >= w->n_items) {
        if (w->n_stack == 0)
            return DBX_DONE;
        dbx_status st = walk_load(w);
        if (st != DBX_OK)
            return st;
    }
    dbx__jv v = w->items[w->pos++];
    w->cur.v.v = v;
    *item = &w->cur;
    if (depth)
        *depth = strcmp(dbx__jv_get_str(v, "path", ""), w->dir) == 0 ? 0 : w->depth;
    return DBX_OK;
}

DBX_API void dbx_workspace_walk_free(dbx_workspace_walk_iter *w)
{
    if (!w)
        return;
    dbx__view_clear(&w->cur.v);
    for (size_t i = 0; i < w->n_stack; i++)
        dbx__free(w->stack[i].path);
    dbx__free(w->stack);
    dbx__free(w->items);
    dbx__jdoc_dispose(&w->doc);
    dbx__free(w->dir);
    dbx__client_unref(w->c);
    dbx__free(w);
}

DBX_API dbx_status dbx_workspace_walk_each(dbx_client *c, const char *path, const dbx_workspace_walk_options *opts,
                                           dbx_workspace_walk_fn fn, void *payload)
{
    DBX__ENTER(c);
    DBX__REQUIRE_PTR(c, fn);
    dbx_workspace_walk_iter *w;
    dbx_status st = dbx_workspace_walk(&w, c, path, opts);
    if (st != DBX_OK)
        return st;
    const dbx_workspace_object *o;
    int depth;
    while ((st = dbx_workspace_walk_next(&o, &depth, w)) == DBX_OK) {
        if (fn(o, depth, payload) != 0) {
            st = dbx__fail(c, DBX_ECANCELLED, "%s: the callback stopped the walk at '%.200s'", __func__,
                           dbx_workspace_object_path(o));
            break;
        }
    }
    dbx_workspace_walk_free(w);
    return st == DBX_DONE ? DBX_OK : st;
}

/* ---- import --------------------------------------------------------------------------------- */

static dbx_status check_import_opts(dbx_client *c, const char *fn, const dbx_workspace_import_options *o)
{
    if (!o)
        return DBX_OK;
    if (o->version == 0 || o->version > DBX_WORKSPACE_IMPORT_OPTIONS_VERSION)
        return dbx__fail(c, DBX_EINVAL, "%s: dbx_workspace_import_options version %u is not supported", fn,
                         o->version);
    if ((unsigned)o->format > DBX_WORKSPACE_FORMAT_AUTO)
        return dbx__fail(c, DBX_EINVAL, "%s: format %d is not a dbx_workspace_format_t", fn, (int)o->format);
    if ((unsigned)o->language >= DBX_WORKSPACE_LANGUAGE_UNKNOWN)
        return dbx__fail(c, DBX_EINVAL, "%s: language %d is not a notebook language", fn, (int)o->language);
    if (o->overwrite && o->format == DBX_WORKSPACE_FORMAT_DBC)
        return dbx__fail(c, DBX_EINVAL, "%s: overwrite is not supported with the DBC format", fn);
    return DBX_OK;
}

static int is_zip(const void *data, size_t len)
{
    return len >= 4 && memcmp(data, "PK\003\004", 4) == 0;
}

/* The checks that need the content, then the request. */
static dbx_status import_bytes(dbx_client *c, const char *fn, const char *path, const void *data, size_t len,
                               const dbx_workspace_import_options *o)
{
    dbx_workspace_format_t fmt = o ? o->format : DBX_WORKSPACE_FORMAT_DEFAULT;
    dbx_workspace_language_t lang = o ? o->language : DBX_WORKSPACE_LANGUAGE_NONE;
    if ((fmt == DBX_WORKSPACE_FORMAT_DEFAULT || fmt == DBX_WORKSPACE_FORMAT_SOURCE) &&
        lang == DBX_WORKSPACE_LANGUAGE_NONE && !is_zip(data, len))
        return dbx__fail(c, DBX_EINVAL, "%s: language is required to import a notebook in SOURCE format", fn);
    if (len > (size_t)DBX_WORKSPACE_MAX_CONTENT_BYTES)
        return dbx__fail(c, DBX_EINVAL, "%s: content is %zu bytes; the Workspace API imports at most %ld", fn, len,
                         (long)DBX_WORKSPACE_MAX_CONTENT_BYTES);
    /* {"path":..,"format":..,"language":..,"overwrite":true,"content":"<base64>"}: built
     * as text, the base64 written straight into the body (it needs no escaping) */
    dbx__buf b = DBX__BUF_INIT;
    if (dbx__buf_grow(&b, dbx__b64_encoded_len(len) + strlen(path) * 6 + 128) != 0)
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    dbx__buf_puts(&b, "{\"path\":");
    dbx__json_put_string(&b, path, strlen(path));
    if (fmt != DBX_WORKSPACE_FORMAT_DEFAULT)
        dbx__buf_printf(&b, ",\"format\":\"%s\"", format_names[fmt]);
    if (lang != DBX_WORKSPACE_LANGUAGE_NONE)
        dbx__buf_printf(&b, ",\"language\":\"%s\"", lang_names[lang]);
    if (o && o->overwrite)
        dbx__buf_puts(&b, ",\"overwrite\":true");
    dbx__buf_puts(&b, ",\"content\":\"");
    dbx__b64_encode(&b, data, len);
    dbx__buf_puts(&b, "\"}");
    if (b.oom) {
        dbx__buf_dispose(&b);
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    /* with overwrite a repeat is harmless; without, a retry after a lost answer
     * would find its own import and report DBX_EEXISTS */
    dbx_status st = dbx__api_call_text(c, "POST", BASE "/import", b.ptr, b.len,
                                       o && o->overwrite ? DBX__CALL_IDEMPOTENT : 0, NULL);
    dbx__buf_dispose(&b);
    return st;
}

DBX_API dbx_status dbx_workspace_import(dbx_client *c, const char *path, const void *content, size_t len,
                                        const dbx_workspace_import_options *opts)
{
    DBX__ENTER(c);
    CHECK_PATH(c, path);
    if (!content && len)
        return dbx__fail(c, DBX_EINVAL, "%s: content is NULL with len %zu", __func__, len);
    dbx_status st = check_import_opts(c, __func__, opts);
    if (st != DBX_OK)
        return st;
    return import_bytes(c, __func__, path, content ? content : "", len, opts);
}

DBX_API dbx_status dbx_workspace_import_file(dbx_client *c, const char *path, const char *local_file,
                                             const dbx_workspace_import_options *opts)
{
    DBX__ENTER(c);
    CHECK_PATH(c, path);
    DBX__REQUIRE_STR(c, local_file);
    dbx_status st = check_import_opts(c, __func__, opts);
    if (st != DBX_OK)
        return st;
    dbx__file_source fs;
    if ((st = dbx__file_source_open(&fs, c, __func__, local_file)) != DBX_OK)
        return st;
    const long max = DBX_WORKSPACE_MAX_CONTENT_BYTES;
    if (fs.src.size > max) {
        dbx__file_source_close(&fs);
        return dbx__fail(c, DBX_EINVAL, "%s: local_file '%.200s' is %lld bytes; the Workspace API imports at most %ld",
                         __func__, local_file, (long long)fs.src.size, max);
    }
    /* one byte more than the size: a file that grew since it was opened is seen */
    size_t cap = (size_t)fs.src.size + 1;
    char *data = dbx__malloc(cap);
    if (!data) {
        dbx__file_source_close(&fs);
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    size_t n;
    int eof;
    st = dbx__source_fill(c, __func__, &fs.src, data, cap, &n, &eof);
    int err = fs.err;
    dbx__file_source_close(&fs);
    if (st == DBX_OK && err)
        st = dbx__fail(c, DBX_ERROR, "%s: cannot read local file '%.200s': %s", __func__, local_file, strerror(err));
    else if (st == DBX_OK && n != (size_t)fs.src.size)
        st = dbx__fail(c, DBX_EINVAL, "%s: local_file '%.200s' changed size while it was read", __func__, local_file);
    if (st == DBX_OK)
        st = import_bytes(c, __func__, path, data, n, opts);
    dbx__free(data);
    return st;
}

/* ---- export --------------------------------------------------------------------------------- */

dbx_status dbx__workspace_export_decode(const void *owner, dbx__jv root, dbx__buf *out, const char **file_type)
{
    if (file_type)
        *file_type = dbx__jv_get_str(root, "file_type", "");
    dbx__jv content = dbx__jv_get(root, "content");
    if (!dbx__jv_present(content) || dbx__jv_type(content) == DBX__J_NULL)
        return DBX_OK; /* an empty object: the server leaves content out */
    if (dbx__jv_type(content) != DBX__J_STRING)
        return dbx__fail_answer(owner, DBX_EBADRESPONSE, "workspace/export: 'content' is not a string");
    size_t bad = 0;
    int rc = dbx__b64_decode(out, dbx__jv_str(content, ""), dbx__jv_strlen(content), &bad);
    if (rc == -1)
        return dbx__fail(owner, DBX_ENOMEM, "out of memory");
    if (rc != 0)
        return dbx__fail_answer(owner, DBX_EBADRESPONSE, "workspace/export: 'content' is not valid base64 (at byte %zu)",
                                bad);
    return DBX_OK;
}

static dbx_status check_export_opts(dbx_client *c, const char *fn, const dbx_workspace_export_options *o)
{
    CHECK_VERSION(c, o, DBX_WORKSPACE_EXPORT_OPTIONS_VERSION, "dbx_workspace_export_options");
    if (o && (unsigned)o->format > DBX_WORKSPACE_FORMAT_AUTO)
        return dbx__fail(c, DBX_EINVAL, "%s: format %d is not a dbx_workspace_format_t", fn, (int)o->format);
    return DBX_OK;
}

/* GET /workspace/export, decoded into out; *file_type (may be NULL) a copy. */
static dbx_status export_call(dbx_client *c, const char *path, dbx_workspace_format_t fmt, dbx__buf *out,
                              char **file_type)
{
    char small[512];
    dbx__buf q;
    dbx__buf_init_fixed(&q, small, sizeof small);
    path_query(&q, "export", path);
    if (fmt != DBX_WORKSPACE_FORMAT_DEFAULT)
        dbx__query_add(&q, "format", format_names[fmt]);
    if (q.oom) {
        dbx__buf_dispose(&q);
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    dbx__jdoc doc;
    dbx_status st = dbx__api_call(c, "GET", q.ptr, NULL, DBX__CALL_IDEMPOTENT | DBX__CALL_LARGE, &doc);
    dbx__buf_dispose(&q);
    if (st != DBX_OK)
        return st;
    const char *ft = NULL;
    st = dbx__workspace_export_decode(c, dbx__jdoc_root(&doc), out, &ft);
    if (st == DBX_OK && file_type && !(*file_type = dbx__strdup(ft)))
        st = dbx__fail(c, DBX_ENOMEM, "out of memory");
    dbx__jdoc_dispose(&doc);
    return st;
}

DBX_API dbx_status dbx_workspace_export(char **content, size_t *len, char **file_type, dbx_client *c,
                                        const char *path, const dbx_workspace_export_options *opts)
{
    if (content)
        *content = NULL;
    if (len)
        *len = 0;
    if (file_type)
        *file_type = NULL;
    DBX__ENTER(c);
    DBX__REQUIRE_PTR(c, content);
    DBX__REQUIRE_PTR(c, len);
    CHECK_PATH(c, path);
    dbx_status st = check_export_opts(c, __func__, opts);
    if (st != DBX_OK)
        return st;
    dbx__buf out = DBX__BUF_INIT;
    char *ft = NULL;
    st = export_call(c, path, opts ? opts->format : DBX_WORKSPACE_FORMAT_DEFAULT, &out, file_type ? &ft : NULL);
    size_t n = out.len;
    char *bytes = st == DBX_OK ? dbx__buf_detach(&out) : NULL;
    dbx__buf_dispose(&out);
    if (st == DBX_OK && !bytes)
        st = dbx__fail(c, DBX_ENOMEM, "out of memory");
    if (st != DBX_OK) {
        dbx__free(ft);
        return st;
    }
    *content = bytes;
    *len = n;
    if (file_type)
        *file_type = ft;
    return DBX_OK;
}

/* Export into a local file through the renaming sink. */
static dbx_status export_to_file(dbx_client *c, const char *fn, const char *path, dbx_workspace_format_t fmt,
                                 const char *local_file, int overwrite, char **file_type)
{
    dbx__file_sink sink;
    dbx_status st = dbx__file_sink_open(&sink, c, fn, local_file, overwrite);
    if (st != DBX_OK)
        return st;
    dbx__buf out = DBX__BUF_INIT;
    st = export_call(c, path, fmt, &out, file_type);
    if (st == DBX_OK && out.len && dbx__file_sink_write(&sink, out.ptr, out.len) != 0)
        st = dbx__fail(c, DBX_ERROR, "%s: cannot write local file '%.200s': %s", fn, local_file, strerror(sink.err));
    dbx__buf_dispose(&out);
    if (st == DBX_OK)
        st = dbx__file_sink_commit(&sink, c, fn);
    else
        dbx__file_sink_abort(&sink);
    if (st != DBX_OK && file_type) {
        dbx__free(*file_type);
        *file_type = NULL;
    }
    return st;
}

DBX_API dbx_status dbx_workspace_export_file(char **file_type, dbx_client *c, const char *path,
                                             const char *local_file, const dbx_workspace_export_options *opts)
{
    if (file_type)
        *file_type = NULL;
    DBX__ENTER(c);
    CHECK_PATH(c, path);
    DBX__REQUIRE_STR(c, local_file);
    dbx_status st = check_export_opts(c, __func__, opts);
    if (st != DBX_OK)
        return st;
    return export_to_file(c, __func__, path, opts ? opts->format : DBX_WORKSPACE_FORMAT_DEFAULT, local_file,
                          opts ? opts->overwrite : 0, file_type);
}

/* ---- export_dir ----------------------------------------------------------------------------- */

const char *dbx__workspace_local_ext(dbx_workspace_object_type_t type, dbx_workspace_language_t lang,
                                     dbx_workspace_format_t format)
{
    if (type == DBX_WORKSPACE_OBJECT_FILE || type == DBX_WORKSPACE_OBJECT_DIRECTORY || type == DBX_WORKSPACE_OBJECT_REPO)
        return "";
    if (type != DBX_WORKSPACE_OBJECT_NOTEBOOK)
        return NULL;
    switch (format) {
    case DBX_WORKSPACE_FORMAT_JUPYTER:
        return ".ipynb";
    case DBX_WORKSPACE_FORMAT_HTML:
        return ".html";
    case DBX_WORKSPACE_FORMAT_R_MARKDOWN:
        return ".Rmd";
    case DBX_WORKSPACE_FORMAT_DBC:
        return ".dbc";
    default:
        break;
    }
    switch (lang) { /* SOURCE: the extensions the Databricks CLI gives */
    case DBX_WORKSPACE_LANGUAGE_PYTHON:
        return ".py";
    case DBX_WORKSPACE_LANGUAGE_SCALA:
        return ".scala";
    case DBX_WORKSPACE_LANGUAGE_SQL:
        return ".sql";
    case DBX_WORKSPACE_LANGUAGE_R:
        return ".r";
    default:
        return "";
    }
}

/* mkdir that accepts an existing directory. */
static dbx_status make_local_dir(dbx_client *c, const char *fn, const char *dir)
{
    if (mkdir(dir, 0777) == 0)
        return DBX_OK;
    int e = errno;
    struct stat st;
    if (e == EEXIST && stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
        return DBX_OK;
    if (e == EEXIST)
        return dbx__fail(c, DBX_EEXISTS, "%s: local path '%.200s' exists and is not a directory", fn, dir);
    return dbx__fail(c, e == ENOENT ? DBX_ENOTFOUND : DBX_ERROR, "%s: cannot create local directory '%.200s': %s",
                     fn, dir, strerror(e));
}

DBX_API dbx_status dbx_workspace_export_dir(dbx_client *c, const char *remote_dir, const char *local_dir,
                                            const dbx_workspace_export_dir_options *opts)
{
    DBX__ENTER(c);
    CHECK_PATH(c, remote_dir);
    DBX__REQUIRE_STR(c, local_dir);
    CHECK_VERSION(c, opts, DBX_WORKSPACE_EXPORT_DIR_OPTIONS_VERSION, "dbx_workspace_export_dir_options");
    dbx_workspace_format_t fmt = opts ? opts->format : DBX_WORKSPACE_FORMAT_DEFAULT;
    if ((unsigned)fmt > DBX_WORKSPACE_FORMAT_AUTO || fmt == DBX_WORKSPACE_FORMAT_RAW || fmt == DBX_WORKSPACE_FORMAT_AUTO)
        return dbx__fail(c, DBX_EINVAL, "%s: format must be SOURCE, HTML, JUPYTER, DBC or R_MARKDOWN", __func__);
    if (opts && (opts->max_depth < 0 || opts->max_objects < 0))
        return dbx__fail(c, DBX_EINVAL, "%s: max_depth and max_objects must not be negative", __func__);
    dbx_workspace_walk_options wo = DBX_WORKSPACE_WALK_OPTIONS_INIT;
    wo.max_depth = opts ? opts->max_depth : 0;
    wo.max_objects = opts ? opts->max_objects : 0;
    int overwrite = opts ? opts->overwrite : 0;
    dbx_workspace_walk_iter *w;
    dbx_status st = dbx_workspace_walk(&w, c, remote_dir, &wo);
    if (st != DBX_OK)
        return st;
    if ((st = make_local_dir(c, __func__, local_dir)) != DBX_OK) {
        dbx_workspace_walk_free(w);
        return st;
    }
    size_t rlen = strlen(remote_dir);
    size_t skip = rlen == 1 ? 1 : rlen + 1; /* the root's entries start after "<remote_dir>/" */
    dbx__buf local = DBX__BUF_INIT;
    const dbx_workspace_object *o;
    int depth;
    while ((st = dbx_workspace_walk_next(&o, &depth, w)) == DBX_OK) {
        const char *p = dbx_workspace_object_path(o);
        if (depth == 0) {
            st = dbx__fail(c, DBX_EINVAL, "%s: remote_dir '%.200s' is not a directory", __func__, remote_dir);
            break;
        }
        const char *rel = p + skip; /* the walk checked that p lies under remote_dir */
        /* every segment must be a safe local name */
        const char *bad = NULL;
        for (const char *s = rel;;) {
            size_t k = strcspn(s, "/");
            if (!dbx__local_name_safe(s, k)) {
                bad = s;
                break;
            }
            if (!s[k])
                break;
            s += k + 1;
        }
        if (bad) {
            st = dbx__fail_answer(c, DBX_EBADRESPONSE, "%s: the server listed '%.200s', whose name is not a safe local "
                                  "file name", __func__, p);
            break;
        }
        dbx_workspace_object_type_t t = dbx_workspace_object_type(o);
        const char *ext = dbx__workspace_local_ext(t, dbx_workspace_object_language(o), fmt);
        if (!ext)
            continue; /* libraries, dashboards, unknown types */
        dbx__buf_clear(&local);
        dbx__buf_printf(&local, "%s/%s%s", local_dir, rel, ext);
        if (local.oom) {
            st = dbx__fail(c, DBX_ENOMEM, "out of memory");
            break;
        }
        if (t == DBX_WORKSPACE_OBJECT_DIRECTORY || t == DBX_WORKSPACE_OBJECT_REPO)
            st = make_local_dir(c, __func__, local.ptr);
        else
            st = export_to_file(c, __func__, p,
                                t == DBX_WORKSPACE_OBJECT_FILE ? DBX_WORKSPACE_FORMAT_AUTO
                                                               : (fmt ? fmt : DBX_WORKSPACE_FORMAT_SOURCE),
                                local.ptr, overwrite, NULL);
        if (st != DBX_OK)
            break;
    }
    dbx__buf_dispose(&local);
    dbx_workspace_walk_free(w);
    return st == DBX_DONE ? DBX_OK : st;
}

/* ---- import_dir ------------------------------------------------------------------------------- */

static const struct {
    const char *ext;
    dbx_workspace_language_t lang;
    const char *header;
} nb_exts[] = {
    {".py", DBX_WORKSPACE_LANGUAGE_PYTHON, "# Databricks notebook source"},
    {".scala", DBX_WORKSPACE_LANGUAGE_SCALA, "// Databricks notebook source"},
    {".sql", DBX_WORKSPACE_LANGUAGE_SQL, "-- Databricks notebook source"},
    {".r", DBX_WORKSPACE_LANGUAGE_R, "# Databricks notebook source"},
};

/* Does the local file's first line equal `header`? */
static int first_line_is(const char *file, const char *header)
{
    char line[64];
    size_t want = strlen(header);
    FILE *f = fopen(file, "rb");
    if (!f)
        return 0;
    size_t n = fread(line, 1, want + 1, f);
    fclose(f);
    return n >= want && memcmp(line, header, want) == 0 && (n == want || line[want] == '\n' || line[want] == '\r');
}

static int ends_with(const char *s, size_t n, const char *ext)
{
    size_t k = strlen(ext);
    return n > k && memcmp(s + n - k, ext, k) == 0;
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The sorted entry names of a local directory (without "." and ".."). */
static dbx_status read_names(dbx_client *c, const char *dir, char ***names, size_t *n)
{
    *names = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) {
        int e = errno;
        return dbx__fail(c, e == ENOENT ? DBX_ENOTFOUND : DBX_ERROR, "dbx_workspace_import_dir: cannot read local "
                         "directory '%.200s': %s", dir, strerror(e));
    }
    char **arr = NULL;
    size_t cap = 0, used = 0;
    struct dirent *de;
    dbx_status st = DBX_OK;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (used == cap) {
            char **g = dbx__array_grow(arr, NULL, used, &cap, used + 1, sizeof *g);
            if (!g) {
                st = DBX_ENOMEM;
                break;
            }
            arr = g;
        }
        if (!(arr[used] = dbx__strdup(de->d_name))) {
            st = DBX_ENOMEM;
            break;
        }
        used++;
    }
    closedir(d);
    if (st != DBX_OK) {
        for (size_t i = 0; i < used; i++)
            dbx__free(arr[i]);
        dbx__free(arr);
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    if (used)
        qsort(arr, used, sizeof *arr, by_name);
    *names = arr;
    *n = used;
    return DBX_OK;
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dbx__free(names[i]);
    dbx__free(names);
}

/* Import one regular file; *done set when it was imported. */
static dbx_status import_one(dbx_client *c, const char *local, const char *name, const char *remote_parent,
                             int overwrite, dbx__buf *remote, long *done)
{
    size_t n = strlen(name);
    dbx_workspace_import_options io = DBX_WORKSPACE_IMPORT_OPTIONS_INIT;
    io.overwrite = overwrite;
    io.format = DBX_WORKSPACE_FORMAT_RAW;
    size_t keep = n;
    for (size_t i = 0; i < N_OF(nb_exts); i++) {
        if (ends_with(name, n, nb_exts[i].ext) && first_line_is(local, nb_exts[i].header)) {
            io.format = DBX_WORKSPACE_FORMAT_SOURCE;
            io.language = nb_exts[i].lang;
            keep = n - strlen(nb_exts[i].ext);
            break;
        }
    }
    if (io.format == DBX_WORKSPACE_FORMAT_RAW && ends_with(name, n, ".ipynb")) {
        io.format = DBX_WORKSPACE_FORMAT_JUPYTER;
        keep = n - 6;
    }
    dbx__buf_clear(remote);
    dbx__buf_puts(remote, remote_parent);
    if (strcmp(remote_parent, "/") != 0)
        dbx__buf_putc(remote, '/');
    dbx__buf_put(remote, name, keep);
    if (remote->oom)
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    dbx_status st = dbx_workspace_import_file(c, remote->ptr, local, &io);
    if (st == DBX_OK)
        ++*done;
    return st;
}

typedef struct local_dir_todo {
    char *local;  /* the local directory */
    char *remote; /* its workspace path */
    int depth;
} local_dir_todo;

DBX_API dbx_status dbx_workspace_import_dir(long *n_imported, dbx_client *c, const char *local_dir,
                                            const char *remote_dir, const dbx_workspace_import_dir_options *opts)
{
    if (n_imported)
        *n_imported = 0;
    DBX__ENTER(c);
    DBX__REQUIRE_STR(c, local_dir);
    CHECK_PATH(c, remote_dir);
    CHECK_VERSION(c, opts, DBX_WORKSPACE_IMPORT_DIR_OPTIONS_VERSION, "dbx_workspace_import_dir_options");
    if (opts && opts->max_depth < 0)
        return dbx__fail(c, DBX_EINVAL, "%s: max_depth must not be negative", __func__);
    int max_depth = opts && opts->max_depth ? opts->max_depth : DEFAULT_MAX_DEPTH;
    int overwrite = opts ? opts->overwrite : 0;
    struct stat sb;
    if (stat(local_dir, &sb) != 0)
        return dbx__fail(c, errno == ENOENT ? DBX_ENOTFOUND : DBX_ERROR, "%s: local_dir '%.200s': %s", __func__,
                         local_dir, strerror(errno));
    if (!S_ISDIR(sb.st_mode))
        return dbx__fail(c, DBX_EINVAL, "%s: local_dir '%.200s' is not a directory", __func__, local_dir);
    dbx_status st = dbx_workspace_mkdirs(c, remote_dir);
    if (st != DBX_OK)
        return st;
    long done = 0;
    local_dir_todo *stack = NULL;
    size_t n_stack = 0, cap = 0;
    dbx__buf local = DBX__BUF_INIT, remote = DBX__BUF_INIT;
    char **names = NULL;
    size_t n_names = 0;
    stack = dbx__array_grow(NULL, NULL, 0, &cap, 1, sizeof *stack);
    if (!stack || !(stack[0].local = dbx__strdup(local_dir)) || !(stack[0].remote = dbx__strdup(remote_dir))) {
        if (stack)
            dbx__free(stack[0].local);
        dbx__free(stack);
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    stack[0].depth = 0;
    n_stack = 1;
    while (st == DBX_OK && n_stack) {
        local_dir_todo top = stack[--n_stack];
        st = read_names(c, top.local, &names, &n_names);
        size_t first_push = n_stack;
        for (size_t i = 0; st == DBX_OK && i < n_names; i++) {
            const char *name = names[i];
            if (!dbx__local_name_safe(name, strlen(name)) || !dbx__utf8_valid(name))
                continue; /* a name the workspace cannot hold */
            dbx__buf_clear(&local);
            dbx__buf_printf(&local, "%s/%s", top.local, name);
            if (local.oom) {
                st = dbx__fail(c, DBX_ENOMEM, "out of memory");
                break;
            }
            if (lstat(local.ptr, &sb) != 0)
                continue; /* vanished meanwhile */
            if (S_ISREG(sb.st_mode)) {
                st = import_one(c, local.ptr, name, top.remote, overwrite, &remote, &done);
            } else if (S_ISDIR(sb.st_mode) && top.depth < max_depth) {
                dbx__buf_clear(&remote);
                dbx__buf_printf(&remote, "%s%s%s", top.remote, strcmp(top.remote, "/") ? "/" : "", name);
                if (remote.oom) {
                    st = dbx__fail(c, DBX_ENOMEM, "out of memory");
                    break;
                }
                if ((st = dbx_workspace_mkdirs(c, remote.ptr)) != DBX_OK)
                    break;
                if (n_stack == cap) {
                    local_dir_todo *g = dbx__array_grow(stack, NULL, n_stack, &cap, n_stack + 1, sizeof *g);
                    if (!g) {
                        st = dbx__fail(c, DBX_ENOMEM, "out of memory");
                        break;
                    }
                    stack = g;
                }
                char *l = dbx__buf_detach(&local), *r = dbx__buf_detach(&remote);
                if (!l || !r) {
                    dbx__free(l);
                    dbx__free(r);
                    st = dbx__fail(c, DBX_ENOMEM, "out of memory");
                    break;
                }
                stack[n_stack].local = l;
                stack[n_stack].remote = r;
                stack[n_stack].depth = top.depth + 1;
                n_stack++;
            } /* symbolic links, special files, directories past max_depth: skipped */
        }
        /* subdirectories were pushed in name order: reverse them so that they pop in it */
        for (size_t a = first_push, b = n_stack; a + 1 < b; a++, b--) {
            local_dir_todo t = stack[a];
            stack[a] = stack[b - 1];
            stack[b - 1] = t;
        }
        free_names(names, n_names);
        names = NULL;
        n_names = 0;
        dbx__free(top.local);
        dbx__free(top.remote);
    }
    for (size_t i = 0; i < n_stack; i++) {
        dbx__free(stack[i].local);
        dbx__free(stack[i].remote);
    }
    dbx__free(stack);
    dbx__buf_dispose(&local);
    dbx__buf_dispose(&remote);
    if (n_imported)
        *n_imported = done;
    return st;
}
