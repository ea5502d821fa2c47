/*
 * libdbx internal: one pager for every list call.
 * Styles: page_token in the query (GET) or in the body (POST), and
 * offset/limit/has_more. An empty page that still carries a token is legal
 * (Unity Catalog does it): keep going until no token comes back.
 * Memory: one page at a time (its body and index; items are views into it).
 */
#include <stdatomic.h>
#include <string.h>

#include "api.h"

int dbx__pager_init(dbx__pager *pg, dbx_client *c, dbx__page_style style, const char *method,
                    const char *path, json_t *body, const char *items_key, const char *size_param,
                    long page_size, long max_items)
{
    memset(pg, 0, sizeof *pg);
    pg->path = dbx__strdup(path);
    if (!pg->path) {
        dbx__json_decref_deep(body);
        return -1;
    }
    pg->client = dbx__client_ref(c);
    pg->style = style;
    pg->method = method;
    pg->body = body;
    pg->items_key = items_key;
    pg->size_param = size_param;
    pg->page_size = page_size;
    pg->max_items = max_items;
    return 0;
}

void dbx__pager_dispose(dbx__pager *pg)
{
    if (!pg || !pg->path)
        return;
    dbx__jdoc_dispose(&pg->page);
    dbx__json_decref_deep(pg->body);
    dbx__json_decref_deep(pg->next_body);
    dbx__free(pg->next_token);
    dbx__free(pg->path);
    dbx__client_unref(pg->client);
    memset(pg, 0, sizeof *pg);
}

/* The next page's request body (POST styles). NULL on OOM. */
static json_t *page_body(const dbx__pager *pg)
{
    if (pg->next_body)
        return json_deep_copy(pg->next_body);
    json_t *body = pg->body ? json_deep_copy(pg->body) : json_object();
    if (!body)
        return NULL;
    if ((pg->size_param && pg->page_size > 0 && dbx__json_set_int(body, pg->size_param, pg->page_size) != 0) ||
        (pg->next_token && dbx__json_set_str(body, "page_token", pg->next_token) != 0)) {
        dbx__json_decref_deep(body);
        return NULL;
    }
    return body;
}

static dbx_status fetch(dbx__pager *pg)
{
    dbx_client *c = pg->client;
    char small[512];
    dbx__buf path;
    dbx__buf_init_fixed(&path, small, sizeof small);
    json_t *body = NULL;
    dbx_status st;
    dbx__buf_puts(&path, pg->path);
    if (pg->style == DBX__PAGE_TOKEN_BODY) {
        if (!(body = page_body(pg))) {
            dbx__buf_dispose(&path);
            return dbx__fail(c, DBX_ENOMEM, "out of memory");
        }
    } else {
        if (pg->size_param && pg->page_size > 0)
            dbx__query_add_int(&path, pg->size_param, pg->page_size);
        if (pg->style == DBX__PAGE_TOKEN_QUERY && pg->next_token)
            dbx__query_add(&path, "page_token", pg->next_token);
        if (pg->style == DBX__PAGE_OFFSET && pg->offset > 0)
            dbx__query_add_int(&path, "offset", pg->offset);
    }
    /* a query that lost a parameter to a failed allocation must never be sent */
    if (path.oom) {
        dbx__buf_dispose(&path);
        dbx__json_decref_deep(body);
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    dbx__jdoc page;
    /* listing is read-only even when it is a POST (clusters/events); pages
     * are the large answers that compression pays for */
    st = dbx__api_call_retry(c, pg->method, path.ptr, body, DBX__CALL_IDEMPOTENT | DBX__CALL_LARGE, pg->retry,
                             &page);
    dbx__buf_dispose(&path);
    dbx__json_decref_deep(body);
    if (st != DBX_OK)
        return st;

    dbx__jv root = dbx__jdoc_root(&page);
    dbx__jv items = dbx__jv_get(root, pg->items_key);
    if (dbx__jv_present(items) && !dbx__jv_is_array(items)) {
        dbx__jdoc_dispose(&page);
        return dbx__fail_answer(c, DBX_EBADRESPONSE, "list response: '%s' is not an array", pg->items_key);
    }
    /* Read everything the cursor needs first: nothing is committed unless
     * all of it is in hand, so a failure leaves the pager where it was. */
    char *next_token = NULL;
    json_t *next_body = NULL;
    size_t n_items = pg->style == DBX__PAGE_OFFSET ? dbx__jv_count(items) : 0;
    int last;
    if (pg->style == DBX__PAGE_OFFSET) {
        last = !dbx__jv_get_bool(root, "has_more", 0) || n_items == 0;
    } else {
        const char *tok = dbx__jv_get_str(root, "next_page_token", NULL);
        dbx__jv np = dbx__jv_get(root, "next_page");
        if (!dbx__empty(tok)) {
            if (!(next_token = dbx__strdup(tok))) {
                dbx__jdoc_dispose(&page);
                return dbx__fail(c, DBX_ENOMEM, "out of memory");
            }
            last = 0;
        } else if (pg->style == DBX__PAGE_TOKEN_BODY && dbx__jv_is_object(np)) {
            if (!(next_body = dbx__jv_to_jansson(np))) {
                dbx__jdoc_dispose(&page);
                return dbx__fail(c, DBX_ENOMEM, "out of memory");
            }
            last = 0;
        } else {
            last = 1;
        }
    }
    /* commit: the page is good, advance the cursor */
    if (pg->style == DBX__PAGE_OFFSET)
        pg->offset += (long)n_items;
    dbx__jdoc_dispose(&pg->page);
    pg->page = page;
    /* the walk refers to the document by address: start it on pg->page */
    dbx__jv_iter(dbx__jv_get(dbx__jdoc_root(&pg->page), pg->items_key), &pg->items);
    pg->started = 1;
    pg->last = last;
    dbx__free(pg->next_token);
    pg->next_token = next_token;
    dbx__json_decref_deep(pg->next_body);
    pg->next_body = next_body;
    return DBX_OK;
}

dbx_status dbx__pager_next(dbx__pager *pg, dbx__jv *item)
{
    *item = DBX__JV_ABSENT;
    if (pg->max_items > 0 && pg->yielded >= pg->max_items)
        return DBX_DONE;
    /* guard against a server that keeps returning empty pages with tokens */
    int empty_pages = 0;
    for (;;) {
        if (pg->started && dbx__jit_next(&pg->items, item, NULL)) {
            pg->yielded++;
            return DBX_OK;
        }
        if (pg->started && pg->last)
            return DBX_DONE;
        if (pg->started && ++empty_pages > 1000)
            return dbx__fail_answer(pg->client, DBX_EBADRESPONSE, "server returned 1000 empty pages in a row");
        dbx_status st = fetch(pg);
        if (st != DBX_OK)
            return st;
    }
}

/* ---- results and typed iterators ------------------------------------------------ */

void *dbx__view_new(size_t size, dbx__jdoc *doc)
{
    dbx__view *v = dbx__calloc(1, size);
    if (!v) {
        dbx__jdoc_dispose(doc);
        return NULL;
    }
    v->own = *doc;
    memset(doc, 0, sizeof *doc);
    v->v = dbx__jdoc_root(&v->own);
    atomic_init(&v->text[0], NULL);
    atomic_init(&v->text[1], NULL);
    atomic_init(&v->jansson, NULL);
    return v;
}

const char *dbx__view_text(const dbx__view *v, int slot, dbx__jv value)
{
    if (!v || !dbx__jv_present(value))
        return NULL;
    void *_Atomic *cell = &((dbx__view *)v)->text[slot];
    char *cur = atomic_load(cell);
    if (cur)
        return cur;
    return dbx__view_cache(v, slot, dbx__jv_dump(value));
}

const char *dbx__view_cache(const dbx__view *v, int slot, char *mine)
{
    if (!v || !mine) {
        dbx__free(mine);
        return NULL;
    }
    void *_Atomic *cell = &((dbx__view *)v)->text[slot];
    void *expected = NULL;
    if (atomic_compare_exchange_strong(cell, &expected, mine))
        return mine;
    dbx__free(mine); /* another thread won */
    return expected;
}

const json_t *dbx__view_jansson(const dbx__view *v)
{
    if (!v || !dbx__jv_present(v->v))
        return NULL;
    void *_Atomic *cell = &((dbx__view *)v)->jansson;
    json_t *cur = atomic_load(cell);
    if (cur)
        return cur;
    json_t *mine = dbx__jv_to_jansson(v->v);
    if (!mine)
        return NULL;
    void *expected = NULL;
    if (atomic_compare_exchange_strong(cell, &expected, mine))
        return mine;
    dbx__json_decref_deep(mine);
    return expected;
}

void dbx__view_clear(dbx__view *v)
{
    for (int i = 0; i < 2; i++) {
        dbx__free(atomic_load(&v->text[i]));
        atomic_store(&v->text[i], NULL);
    }
    dbx__json_decref_deep(atomic_load(&v->jansson));
    atomic_store(&v->jansson, NULL);
    dbx__jdoc_dispose(&v->own);
    v->v = DBX__JV_ABSENT;
}

void dbx__view_free(void *result)
{
    if (!result)
        return;
    dbx__view_clear(result);
    dbx__free(result);
}

dbx__iter *dbx__iter_new(dbx_client *c, dbx__page_style style, const char *method, const char *path,
                         json_t *body, const char *items_key, const char *size_param, long page_size,
                         long max_items)
{
    dbx__iter *it = dbx__calloc(1, sizeof *it);
    if (!it || dbx__pager_init(&it->pg, c, style, method, path, body, items_key, size_param, page_size,
                               max_items) != 0) {
        if (!it)
            dbx__json_decref_deep(body);
        dbx__free(it);
        dbx__fail(c, DBX_ENOMEM, "out of memory");
        return NULL;
    }
    return it;
}

dbx_status dbx__iter_next(dbx__iter *it, const dbx__view **item)
{
    if (item)
        *item = NULL;
    if (!item || !it)
        return dbx__fail(NULL, DBX_EINVAL, "item and iterator are required");
    dbx__error_clear(it->pg.client);
    dbx__view_clear(&it->cur);
    dbx__jv j;
    dbx_status st = dbx__pager_next(&it->pg, &j);
    if (st != DBX_OK)
        return st;
    it->cur.v = j;
    *item = &it->cur;
    return DBX_OK;
}

void dbx__iter_free(dbx__iter *it)
{
    if (!it)
        return;
    dbx__view_clear(&it->cur);
    dbx__pager_dispose(&it->pg);
    dbx__free(it);
}
