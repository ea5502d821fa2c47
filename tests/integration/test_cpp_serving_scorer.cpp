/*
 * The C++17 layer of the real-time scorer (include/dbx/cpp/serving_scorer.hpp) against the
 * emulator: the RAII scorer and completion owners, poll style (next) and callback style
 * (std::function, an exception from it rethrown by poll), cancel, stats, exceptions carrying
 * the C error record. Real clock (the emulator's model latency is real time); asserts on
 * counts only. Built with -Wall -Wextra -Werror.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
extern "C" {
#include <cmocka.h>

#include "harness.h"
}

#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "dbx/dbx.hpp"

#define INV "/serving-endpoints/cs-ep/invocations"
static const char MODEL_A[] = "{\"flavor\":\"logistic\",\"features\":[\"amount\",\"hour\"],\"intercept\":-3.2,"
                              "\"coefficients\":[0.8,0.1],\"categorical\":{\"channel\":{\"web\":0.7,\"pos\":-0.2}}}";
static const char MLMODEL[] = "artifact_path: model\nflavors:\n  python_function:\n    loader_module: x\n";
static const char ROW[] = "{\"dataframe_split\":{\"columns\":[\"amount\",\"hour\",\"channel\"],\"data\":[[2.5,13,\"web\"]]}}";
#define A_ROW0 0.6899744811276125

static std::string b64(const std::string &in)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    for (size_t i = 0; i < in.size(); i += 3) {
        unsigned v = (unsigned char)in[i] << 16;
        if (i + 1 < in.size())
            v |= (unsigned char)in[i + 1] << 8;
        if (i + 2 < in.size())
            v |= (unsigned char)in[i + 2];
        out += tab[(v >> 18) & 63];
        out += tab[(v >> 12) & 63];
        out += i + 1 < in.size() ? tab[(v >> 6) & 63] : '=';
        out += i + 2 < in.size() ? tab[v & 63] : '=';
    }
    return out;
}

static dbx::client deployed()
{
    emu *e = emu_get();
    emu_reset(e);
    dbx::options o;
    o.set("host", e->base).set("token", EMU_TOKEN).set("no_env", "1").set("no_config_file", "1");
    o.set("retry_initial_delay_ms", "10").set("retry_max_delay_ms", "20");
    dbx::client c(o);
    c.request("POST", "/api/2.0/mlflow/registered-models/create", "{\"name\":\"fraud\"}");
    std::string body = "{\"path\":\"/m/c1/MLmodel\",\"contents\":\"" + b64(MLMODEL) + "\"}";
    c.request("POST", "/api/2.0/dbfs/put", body.c_str());
    body = "{\"path\":\"/m/c1/model.json\",\"contents\":\"" + b64(MODEL_A) + "\"}";
    c.request("POST", "/api/2.0/dbfs/put", body.c_str());
    c.request("POST", "/api/2.0/mlflow/model-versions/create", "{\"name\":\"fraud\",\"source\":\"dbfs:/m/c1\"}");
    dbx::serving_config cfg;
    cfg.add_entity("fraud", "1");
    dbx::serving_create(c, "cs-ep", cfg);
    dbx::serving_wait_ready(c, "cs-ep");
    emu_clear_requests(e);
    return c;
}

static void test_poll_style(void **state)
{
    (void)state;
    dbx::client c = deployed();
    emu_config(emu_get(), "{\"serving_model_latency_ms\": 100}");
    dbx::serving_scorer_options o;
    o.max_in_flight = 4;
    dbx::serving_scorer s(c, "cs-ep", o);
    int tags[8];
    for (int i = 0; i < 8; i++) {
        tags[i] = i;
        if (i % 2) {
            s.submit(ROW, &tags[i]);
        } else {
            dbx::serving_input in;
            in.columns({"amount", "hour", "channel"}).row().add(2.5).add(13).add("web");
            s.submit(in, &tags[i]);
        }
    }
    assert_int_equal(s.queued(), 8);
    assert_int_equal(s.poll(0), 0);
    assert_int_equal(s.in_flight(), 4);
    int n = 0, seen = 0;
    while (auto d = s.next()) {
        assert_true(d->ok());
        seen |= 1 << *static_cast<int *>(d->user());
        dbx::serving_result r = d->take_result();
        assert_int_equal(r.size(), 1);
        assert_true(std::fabs(r.as_double(0) - A_ROW0) < 1e-9);
        assert_true(r.served_model_name() == "fraud-1");
        assert_null(d->result_ptr());
        n++;
    }
    assert_int_equal(n, 8);
    assert_int_equal(seen, 0xff);
    dbx_serving_scorer_stats st = s.stats();
    assert_int_equal(st.succeeded, 8);
    assert_in_range(st.connections, 2, 4);
    assert_int_equal(emu_count(emu_get(), INV), 8);

    /* a failure: the completion carries the C error record as a dbx::error */
    s.submit("{\"dataframe_records\":[{\"amount\":1}]}");
    auto d = s.next();
    assert_true(d.has_value());
    assert_false(d->ok());
    assert_int_equal(d->status(), DBX_EBADREQUEST);
    try {
        d->take_result();
        fail_msg("no exception");
    } catch (const dbx::error &e) {
        assert_int_equal(e.http_status(), 400);
        assert_string_equal(e.error_code().c_str(), "BAD_REQUEST");
        assert_non_null(strstr(e.what(), "Model is missing inputs"));
    }
    /* cancel: a queued query */
    emu_config(emu_get(), "{\"serving_model_latency_ms\": 300}");
    dbx::serving_scorer_options o1;
    o1.max_in_flight = 1;
    o1.http1 = true;
    dbx::serving_scorer s1(c, "cs-ep", o1);
    s1.submit(ROW);
    uint64_t b = s1.submit(ROW);
    assert_true(s1.cancel(b));
    assert_false(s1.cancel(b));
    assert_false(s1.cancel(42));
    int cancelled = 0, ok = 0;
    while (auto x = s1.next()) {
        cancelled += x->status() == DBX_ECANCELLED;
        ok += x->ok();
    }
    assert_int_equal(cancelled, 1);
    assert_int_equal(ok, 1);
    s1.submit(ROW); /* left pending: the destructor cancels it */
    s1.poll(0);
    /* bad arguments throw */
    try {
        s.submit("[1]");
        fail_msg("no exception");
    } catch (const dbx::error &e) {
        assert_int_equal(e.status(), DBX_EINVAL);
        assert_non_null(strstr(e.what(), "body must be a JSON object"));
    }
    try {
        dbx::serving_scorer_options bad;
        bad.max_in_flight = 100000;
        dbx::serving_scorer x(c, "cs-ep", bad);
        fail_msg("no exception");
    } catch (const dbx::error &e) {
        assert_non_null(strstr(e.what(), "max_in_flight"));
    }
}

static void test_callback_style(void **state)
{
    (void)state;
    dbx::client c = deployed();
    int ok = 0, failed = 0, calls = 0;
    dbx::serving_scorer_options o;
    o.max_in_flight = 3;
    o.on_complete = [&](dbx::serving_completion &d) {
        calls++;
        if (d.ok())
            ok++;
        else
            failed++;
        if (calls == 2)
            throw std::runtime_error("from the callback");
    };
    dbx::serving_scorer s(c, "cs-ep", std::move(o));
    for (int i = 0; i < 5; i++)
        s.submit(ROW);
    s.submit("{\"inputs\":{\"amount\":[1]}}"); /* refused by the model */
    /* next() belongs to poll style */
    try {
        s.next(0);
        fail_msg("no exception");
    } catch (const dbx::error &e) {
        assert_int_equal(e.status(), DBX_EINVAL);
    }
    int thrown = 0;
    while (s.in_flight() + s.queued() > 0) {
        try {
            s.poll(1000);
        } catch (const std::runtime_error &e) {
            assert_string_equal(e.what(), "from the callback");
            thrown++;
        }
    }
    assert_int_equal(thrown, 1);
    assert_int_equal(calls, 6); /* every completion delivered, the exception rethrown once */
    assert_int_equal(ok, 5);
    assert_int_equal(failed, 1);
    s.drain();
    dbx::serving_scorer moved = std::move(s); /* the callback's state stays put */
    moved.submit(ROW);
    moved.drain(60000);
    assert_int_equal(calls, 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_poll_style),
        cmocka_unit_test(test_callback_style),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    emu_stop_all();
    return rc;
}
