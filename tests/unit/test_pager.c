#define _GNU_SOURCE
/*
 * The generic pager over a scripted transport: page_token in the query and
 * in the body (with the legacy next_page request), offset/limit/has_more,
 * empty pages that still carry a token, max_items, retrying a failed page,
 * malformed pages.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "harness.h"

typedef struct scripted {
    dbx__transport base;
    const char *bodies[2048];
    int statuses[2048];
    int n, next;
    int repeat_last; /* answer the last body forever */
    int by_token;    /* answer bodies[1] to a request with page_token=t1, else bodies[0] */
    char *urls[2048];
    char *sent[2048];
    int calls;
} scripted;

static void sc_send(dbx__transport *t, const dbx__http_req *req, dbx__http_resp *resp, dbx__tx_result *res)
{
    scripted *s = (scripted *)t;
    memset(res, 0, sizeof *res);
    if (s->calls < 2048) {
        s->urls[s->calls] = strdup(req->url);
        s->sent[s->calls] = req->body ? strndup(req->body, req->body_len) : NULL;
    }
    s->calls++;
    int i = s->next < s->n ? s->next++ : (s->repeat_last ? s->n - 1 : -1);
    if (s->by_token)
        i = strstr(req->url, "page_token=t1") ? 1 : 0;
    if (i < 0) {
        resp->status = 500;
        dbx__buf_puts(&resp->body, "{\"error_code\":\"SCRIPT_EXHAUSTED\"}");
        return;
    }
    resp->status = s->statuses[i] ? s->statuses[i] : 200;
    dbx__buf_puts(&resp->body, s->bodies[i]);
}

static void sc_destroy(dbx__transport *t)
{
    scripted *s = (scripted *)t;
    for (int i = 0; i < s->calls && i < 2048; i++) {
        free(s->urls[i]);
        free(s->sent[i]);
    }
    free(s);
}

static dbx_client *C;
static scripted *S;

static int setup(void **state)
{
    (void)state;
    dbx_client_options o = DBX_CLIENT_OPTIONS_INIT;
    o.host = "https://example.cloud.databricks.com";
    o.token = "dapi-test";
    o.no_env = 1;
    o.no_config_file = 1;
    assert_int_equal(dbx_client_new(&C, &o), DBX_OK);
    C->pipe.tx->destroy(C->pipe.tx);
    S = calloc(1, sizeof *S);
    S->base.send = sc_send;
    S->base.destroy = sc_destroy;
    C->pipe.tx = &S->base;
    fake_clock_install();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    fake_clock_remove();
    dbx_client_free(C);
    return 0;
}

static void script(const char *body, int status)
{
    S->bodies[S->n] = body;
    S->statuses[S->n] = status;
    S->n++;
}

static void test_token_query_with_empty_page(void **state)
{
    (void)state;
    script("{\"clusters\":[{\"id\":\"a\"},{\"id\":\"b\"}],\"next_page_token\":\"t1\"}", 0);
    script("{\"clusters\":[],\"next_page_token\":\"t/2\"}", 0);
    script("{\"next_page_token\":\"t3\"}", 0);
    script("{\"clusters\":[{\"id\":\"c\"}],\"next_page_token\":\"\"}", 0);
    dbx__pager pg;
    assert_int_equal(dbx__pager_init(&pg, C, DBX__PAGE_TOKEN_QUERY, "GET", "/api/2.1/clusters/list?x=1", NULL,
                                     "clusters", "page_size", 2, 0), 0);
    dbx__jv item;
    const char *want[] = {"a", "b", "c"};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(dbx__pager_next(&pg, &item), DBX_OK);
        assert_string_equal(dbx__jv_get_str(item, "id", NULL), want[i]);
    }
    assert_int_equal(dbx__pager_next(&pg, &item), DBX_DONE);
    assert_false(dbx__jv_present(item));
    assert_int_equal(dbx__pager_next(&pg, &item), DBX_DONE);
    assert_int_equal(S->calls, 4);
    assert_string_equal(S->urls[0], "https://example.cloud.databricks.com/api/2.1/clusters/list?x=1&page_size=2");
    assert_string_equal(S->urls[1], "https://example.cloud.databricks.com/api/2.1/clusters/list?x=1&page_size=2&page_token=t1");
    assert_string_equal(S->urls[2], "https://example.cloud.databricks.com/api/2.1/clusters/list?x=1&page_size=2&page_token=t%2F2");
    dbx__pager_dispose(&pg);
}

static void test_token_body_and_legacy_next_page(void **state)
{
    (void)state;
    script("{\"events\":[{\"n\":1}],\"next_page_token\":\"p2\"}", 0);
    script("{\"events\":[{\"n\":2}],\"next_page\":{\"cluster_id\":\"c1\",\"offset\":2,\"limit\":1}}", 0);
    script("{\"events\":[{\"n\":3}]}", 0);
    dbx__pager pg;
    json_t *body = json_pack("{s:s}", "cluster_id", "c1");
    assert_int_equal(dbx__pager_init(&pg, C, DBX__PAGE_TOKEN_BODY, "POST", "/api/2.1/clusters/events", body,
                                     "events", "page_size", 1, 0), 0);
    dbx__jv item;
    for (int i = 1; i <= 3; i++) {
        assert_int_equal(dbx__pager_next(&pg, &item), DBX_OK);
        assert_int_equal(dbx__jv_get_int(item, "n", -1), i);
    }
    assert_int_equal(dbx__pager_next(&pg, &item), DBX_DONE);
    assert_int_equal(S->calls, 3);
    json_t *b0 = json_loads(S->sent[0], 0, NULL), *b1 = json_loads(S->sent[1], 0, NULL),
           *b2 = json_loads(S->sent[2], 0, NULL);
    assert_string_equal(json_string_value(json_object_get(b0, "cluster_id")), "c1");
    assert_int_equal(json_integer_value(json_object_get(b0, "page_size")), 1);
    assert_null(json_object_get(b0, "page_token"));
    assert_string_equal(json_string_value(json_object_get(b1, "page_token")), "p2");
    /* the legacy next_page object is sent as the whole next request */
    assert_int_equal(json_integer_value(json_object_get(b2, "offset")), 2);
    assert_null(json_object_get(b2, "page_token"));
    assert_int_equal(json_object_size(b2), 3);
    json_decref(b0);
    json_decref(b1);
    json_decref(b2);
    dbx__pager_dispose(&pg);
}

static void test_offset_has_more(void **state)
{
    (void)state;
    script("{\"jobs\":[{\"i\":0},{\"i\":1}],\"has_more\":true}", 0);
    script("{\"jobs\":[{\"i\":2}],\"has_more\":false}", 0);
    dbx__pager pg;
    assert_int_equal(dbx__pager_init(&pg, C, DBX__PAGE_OFFSET, "GET", "/api/2.1/jobs/list", NULL, "jobs", "limit",
                                     2, 0), 0);
    dbx__jv item;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(dbx__pager_next(&pg, &item), DBX_OK);
        assert_int_equal(dbx__jv_get_int(item, "i", -1), i);
    }
    assert_int_equal(dbx__pager_next(&pg, &item), DBX_DONE);
    assert_string_equal(S->urls[0], "https://example.cloud.databricks.com/api/2.1/jobs/list?limit=2");
    assert_string_equal(S->urls[1], "https://example.cloud.databricks.com/api/2.1/jobs/list?limit=2&offset=2");
    dbx__pager_dispose(&pg);
}

static void test_max_items_stops_early(void **state)
{
    (void)state;
    script("{\"clusters\":[{\"i\":0},{\"i\":1}],\"next_page_token\":\"t1\"}", 0);
    script("{\"clusters\":[{\"i\":2},{\"i\":3}],\"next_page_token\":\"t2\"}", 0);
    dbx__pager pg;
    assert_int_equal(dbx__pager_init(&pg, C, DBX__PAGE_TOKEN_QUERY, "GET", "/l", NULL, "clusters", NULL, 0, 3), 0);
    dbx__jv item;
    for (int i = 0; i < 3; i++)
        assert_int_equal(dbx__pager_next(&pg, &item), DBX_OK);
    assert_int_equal(dbx__pager_next(&pg, &item), DBX_DONE);
    assert_int_equal(S->calls, 2);
    dbx__pager_dispose(&pg);
}

static void test_failed_page_is_retried_by_next_call(void **state)
{
    (void)state;
    script("{\"clusters\":[{\"i\":0}],\"next_page_token\":\"t1\"}", 0);
    script("{\"error_code\":\"PERMISSION_DENIED\",\"message\":\"no\"}", 403);
    script("{\"clusters\":[{\"i\":1}]}", 0);
    dbx__pager pg;
    assert_int_equal(dbx__pager_init(&pg, C, DBX__PAGE_TOKEN_QUERY, "GET", "/l", NULL, "clusters", NULL, 0, 0), 0);
    dbx__jv item;
    assert_int_equal(dbx__pager_next(&pg, &item), DBX_OK);
    assert_int_equal(dbx__pager_next(&pg, &item), DBX_EPERMISSION);
    assert_int_equal(dbx_client_last_error(C)->http_status, 403);
    assert_int_equal(dbx__pager_next(&pg, &item), DBX_OK);
    assert_int_equal(dbx__jv_get_int(item, "i", -1), 1);
    assert_string_equal(S->urls[1], S->urls[2]); /* same page asked again */
    assert_int_equal(dbx__pager_next(&pg, &item), DBX_DONE);
    dbx__pager_dispose(&pg);
}

static void test_malformed_pages(void **state)
{
    (void)state;
    script("{\"clusters\":{\"not\":\"an array\"}}", 0);
    dbx__pager pg;
    assert_int_equal(dbx__pager_init(&pg, C, DBX__PAGE_TOKEN_QUERY, "GET", "/l", NULL, "clusters", NULL, 0, 0), 0);
    dbx__jv item;
    assert_int_equal(dbx__pager_next(&pg, &item), DBX_EBADRESPONSE);
    assert_non_null(strstr(dbx_client_last_error(C)->message, "not an array"));
    dbx__pager_dispose(&pg);

    /* a server that sends empty pages with tokens forever is cut off */
    S->n = S->next = 0;
    script("{\"next_page_token\":\"again\"}", 0);
    S->repeat_last = 1;
    assert_int_equal(dbx__pager_init(&pg, C, DBX__PAGE_TOKEN_QUERY, "GET", "/l", NULL, "clusters", NULL, 0, 0), 0);
    assert_int_equal(dbx__pager_next(&pg, &item), DBX_EBADRESPONSE);
    assert_non_null(strstr(dbx_client_last_error(C)->message, "empty pages"));
    dbx__pager_dispose(&pg);
}

/* A failed allocation never moves the cursor: the next call asks for the
 * same page again (with its token), and no item is skipped or repeated. */
static void test_oom_keeps_the_cursor(void **state)
{
    (void)state;
    const char *want[] = {"a", "b", "c", "d"};
    for (long n = 1; n <= 40; n++) {
        for (int i = 0; i < S->calls && i < 2048; i++) {
            free(S->urls[i]);
            free(S->sent[i]);
        }
        S->n = S->next = S->calls = 0;
        script("{\"clusters\":[{\"id\":\"a\"},{\"id\":\"b\"}],\"next_page_token\":\"t1\"}", 0);
        script("{\"clusters\":[{\"id\":\"c\"},{\"id\":\"d\"}]}", 0);
        S->by_token = 1;
        dbx__pager pg;
        assert_int_equal(dbx__pager_init(&pg, C, DBX__PAGE_TOKEN_QUERY, "GET", "/l?f=1", NULL, "clusters",
                                         "page_size", 2, 0), 0);
        dbx__jv item;
        int got = 0, failures = 0;
        dbx__alloc_fail_after(n);
        while (got < 4) {
            dbx_status st = dbx__pager_next(&pg, &item);
            if (st == DBX_ENOMEM) {
                failures++;
                assert_true(failures < 3);
                continue;
            }
            assert_int_equal(st, DBX_OK);
            assert_string_equal(dbx__jv_get_str(item, "id", ""), want[got]);
            got++;
        }
        assert_int_equal(dbx__pager_next(&pg, &item), DBX_DONE);
        dbx__alloc_fail_after(0);
        S->by_token = 0;
        /* every request kept its filter; the second page's kept its token */
        for (int i = 0; i < S->calls; i++)
            assert_non_null(strstr(S->urls[i], "?f=1&page_size=2"));
        assert_non_null(strstr(S->urls[S->calls - 1], "page_token=t1"));
        dbx__pager_dispose(&pg);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_token_query_with_empty_page, setup, teardown),
        cmocka_unit_test_setup_teardown(test_token_body_and_legacy_next_page, setup, teardown),
        cmocka_unit_test_setup_teardown(test_offset_has_more, setup, teardown),
        cmocka_unit_test_setup_teardown(test_max_items_stops_early, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_page_is_retried_by_next_call, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_oom_keeps_the_cursor, setup, teardown),
    };
    return cmocka_run_group_tests_name("pager", tests, NULL, NULL);
}
