/*
 * libdbx internal: one pager for every list call.
 * Styles: page_token in the query (GET) or in the body (POST), and
 * offset/limit/has_more. An empty page that still carries a token is legal
 * (Unity Catalog does it): keep going until no token comes back.
 * Memory: one page at a time.
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
        json_decref(body);
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
    json_decref(pg->page);
    json_decref(pg->body);
    json_decref(pg->next_body);
    dbx__free(pg->next_token);
    dbx__free(pg->path);
    dbx__client_unref(pg->client);
    memset(pg, 0, sizeof *pg);
}

static dbx_status fetch(dbx__pager *pg)
{
    dbx_client *c = pg->client;
    dbx__buf path = DBX__BUF_INIT;
    json_t *body = NULL;
    dbx_status st;
    dbx__buf_puts(&path, pg->path);
    int has_query = strchr(pg->path, '?') != NULL;
    if (pg->style == DBX__PAGE_TOKEN_BODY) {
        body = pg->next_body ? json_deep_copy(pg->next_body)
                             : (pg->body ? json_deep_copy(pg->body) : json_object());
        if (!body) {
            dbx__buf_dispose(&path);
            return dbx__fail(c, DBX_ENOMEM, "out of memory");
        }
        if (!pg->next_body) {
            if (pg->size_param && pg->page_size > 0)
                dbx__json_set_int(body, pg->size_param, pg->page_size);
            if (pg->next_token)
                dbx__json_set_str(body, "page_token", pg->next_token);
        }
    } else {
        dbx__buf q = DBX__BUF_INIT;
        if (pg->size_param && pg->page_size > 0)
            dbx__query_add_int(&q, pg->size_param, pg->page_size);
        if (pg->style == DBX__PAGE_TOKEN_QUERY && pg->next_token)
            dbx__query_add(&q, "page_token", pg->next_token);
        if (pg->style == DBX__PAGE_OFFSET && pg->offset > 0)
            dbx__query_add_int(&q, "offset", pg->offset);
        if (q.len) {
            if (has_query)
                q.ptr[0] = '&';
            dbx__buf_put(&path, q.ptr, q.len);
        }
        dbx__buf_dispose(&q);
    }
    if (path.oom) {
        dbx__buf_dispose(&path);
        json_decref(body);
        return dbx__fail(c, DBX_ENOMEM, "out of memory");
    }
    json_t *page = NULL;
    /* listing is read-only even when it is a POST (clusters/events) */
    st = dbx__api_call(c, pg->method, path.ptr, body, 1, &page);
    dbx__buf_dispose(&path);
    json_decref(body);
    if (st != DBX_OK)
        return st;

    json_t *items = json_object_get(page, pg->items_key);
    if (items && !json_is_array(items)) {
        json_decref(page);
        return dbx__fail(c, DBX_EBADRESPONSE, "list response: '%s' is not an array", pg->items_key);
    }
    /* commit: the page is good, advance the cursor */
    json_decref(pg->page);
    pg->page = page;
    pg->items = items;
    pg->idx = 0;
    pg->started = 1;
    dbx__free(pg->next_token);
    pg->next_token = NULL;
    json_decref(pg->next_body);
    pg->next_body = NULL;
    if (pg->style == DBX__PAGE_OFFSET) {
        pg->offset += items ? (long)json_array_size(items) : 0;
        pg->last = !json_is_true(json_object_get(page, "has_more")) || !items || json_array_size(items) == 0;
    } else {
        const char *tok = dbx__json_str(page, "next_page_token", NULL);
        if (!dbx__empty(tok)) {
            if (!(pg->next_token = dbx__strdup(tok)))
                return dbx__fail(c, DBX_ENOMEM, "out of memory");
            pg->last = 0;
        } else if (pg->style == DBX__PAGE_TOKEN_BODY && json_is_object(json_object_get(page, "next_page"))) {
            pg->next_body = json_incref(json_object_get(page, "next_page"));
            pg->last = 0;
        } else {
            pg->last = 1;
        }
    }
    return DBX_OK;
}

dbx_status dbx__pager_next(dbx__pager *pg, json_t **item)
{
    *item = NULL;
    if (pg->max_items > 0 && pg->yielded >= pg->max_items)
        return DBX_DONE;
    /* guard against a server that keeps returning empty pages with tokens */
    int empty_pages = 0;
    while (!pg->started || pg->idx >= (pg->items ? json_array_size(pg->items) : 0)) {
        if (pg->started && pg->last)
            return DBX_DONE;
        dbx_status st = fetch(pg);
        if (st != DBX_OK)
            return st;
        if (!pg->items || json_array_size(pg->items) == 0) {
            if (++empty_pages > 1000)
                return dbx__fail(pg->client, DBX_EBADRESPONSE, "server returned 1000 empty pages in a row");
        }
    }
    *item = json_array_get(pg->items, pg->idx++);
    pg->yielded++;
    return DBX_OK;
}

/* ---- results and typed iterators ------------------------------------------------ */

void *dbx__view_new(size_t size, json_t *j)
{
    dbx__view *v = dbx__calloc(1, size);
    if (!v) {
        json_decref(j);
        return NULL;
    }
    v->j = j;
    atomic_init(&v->text[0], NULL);
    atomic_init(&v->text[1], NULL);
    return v;
}

const char *dbx__view_text(const dbx__view *v, int slot, const json_t *value)
{
    if (!v || !value)
        return NULL;
    return dbx__json_cached_dump(value, &((dbx__view *)v)->text[slot]);
}

void dbx__view_clear(dbx__view *v)
{
    for (int i = 0; i < 2; i++) {
        dbx__free(atomic_load(&v->text[i]));
        atomic_store(&v->text[i], NULL);
    }
    json_decref(v->j);
    v->j = NULL;
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
            json_decref(body);
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
    json_t *j;
    dbx_status st = dbx__pager_next(&it->pg, &j);
    if (st != DBX_OK)
        return st;
    it->cur.j = json_incref(j);
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
