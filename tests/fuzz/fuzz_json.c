/*
 * Fuzz target: the response indexer (lib/json/jdoc.c), differential
 * against jansson's own loader.
 *
 * Oracle, for every input:
 *  - the indexer accepts exactly what json_loadb(JSON_DECODE_ANY |
 *    JSON_ALLOW_NUL) accepts (inputs holding a raw NUL byte aside: those
 *    are never valid JSON and the indexer must always reject them, while
 *    jansson may stop reading at the NUL);
 *  - an accepted document's jansson view equals jansson's value;
 *  - its re-serialised text reads back (with jansson) as the same value;
 *  - every getter on every value runs without fault, and object lookups
 *    agree with jansson's (the last duplicate key wins);
 *  - parse_object's error path quotes a redacted prefix without reading
 *    past the input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "json/jdoc.h"
#include "json/json_util.h"

static void walk_all(dbx__jv v, const json_t *ref)
{
    /* an explicit stack: the document may nest 2048 levels */
    typedef struct item {
        dbx__jv v;
        const json_t *ref;
    } item;
    size_t cap = 64, n = 0;
    item *st = malloc(cap * sizeof *st);
    if (!st)
        return;
    st[n++] = (item){v, ref};
    while (n) {
        item it = st[--n];
        (void)dbx__jv_type(it.v);
        (void)dbx__jv_str(it.v, NULL);
        (void)dbx__jv_strlen(it.v);
        (void)dbx__jv_int(it.v, 0);
        (void)dbx__jv_real(it.v, 0);
        (void)dbx__jv_bool(it.v, 0);
        dbx__jit iter;
        dbx__jv child;
        const char *key = NULL;
        dbx__jv_iter(it.v, &iter);
        size_t idx = 0;
        while (dbx__jit_next(&iter, &child, &key)) {
            const json_t *cref = NULL;
            if (json_is_object(it.ref)) {
                /* lookups agree with jansson: the last duplicate wins; a
                 * member shadowed by a later one has no jansson value */
                dbx__jv got = dbx__jv_get(it.v, key);
                cref = got.i == child.i ? json_object_get(it.ref, key) : NULL;
                json_t *mine = dbx__jv_to_jansson(got);
                if (!mine || !json_equal(mine, json_object_get(it.ref, key))) {
#ifdef FUZZ_DEBUG
                    char *a = json_dumps(mine, JSON_ENCODE_ANY), *b = json_dumps(cref, JSON_ENCODE_ANY);
                    fprintf(stderr, "key %s:\n mine %.300s\n ref  %.300s\n", key, a, b);
#endif
                    abort();
                }
                json_decref(mine);
            } else if (json_is_array(it.ref)) {
                cref = json_array_get(it.ref, idx);
            }
            idx++;
            if (n == cap) {
                item *ns = realloc(st, 2 * cap * sizeof *ns);
                if (!ns)
                    break;
                st = ns;
                cap *= 2;
            }
            st[n++] = (item){child, cref};
        }
        if (dbx__jv_count(it.v) != idx)
            abort();
    }
    free(st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 20))
        return 0;
    char *text = fuzz_text(data, size);
    if (!text)
        return 0;
    int has_nul = memchr(data, '\0', size) != NULL;

    json_error_t je;
    json_t *ref = has_nul ? NULL : json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);

    dbx__jdoc doc;
    dbx__jerr err;
    dbx_status st = dbx__jdoc_parse(&doc, text, size, 1, &err);
    if (st == DBX_ENOMEM)
        abort(); /* no allocation fails here */
    if ((st == DBX_OK) != (ref != NULL))
        abort(); /* acceptance differs from jansson's */
    if (st != DBX_OK) {
        if (err.msg[0] == '\0' || err.pos > size)
            abort();
        free(text);
    } else {
        dbx__jv root = dbx__jdoc_root(&doc);
        json_t *view = dbx__jv_to_jansson(root);
        if (!view || !json_equal(view, ref))
            abort();
        char *dump = dbx__jv_dump(root);
        json_t *back = dump ? json_loads(dump, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL) : NULL;
        if (!back || !json_equal(back, ref))
            abort();
        walk_all(root, ref);
        json_decref(back);
        dbx__free(dump);
        dbx__json_decref_deep(view);
        dbx__jdoc_dispose(&doc);
    }
    json_decref(ref);

    /* the response path's wrapper: empty is {}, non-objects and errors are
     * reported with a redacted prefix (never reading past the input) */
    dbx__buf b = DBX__BUF_INIT;
    if (dbx__buf_put(&b, data, size) == 0) {
        dbx__jdoc d2;
        if (dbx__jdoc_parse_object(&d2, NULL, &b) == DBX_OK)
            dbx__jdoc_dispose(&d2);
    }
    dbx__buf_dispose(&b);
    return 0;
}
