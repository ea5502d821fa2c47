/*
 * libdbx C++ layer: the real-time scorer (included by dbx/dbx.hpp; do not include alone).
 * dbx::serving_scorer owns a dbx_serving_scorer (RAII: destroying it cancels what is pending),
 * submit / next (poll style) or an on_complete std::function (callback style, driven by poll);
 * dbx::serving_completion owns one outcome. All inline over the C API (dbx/serving.h,
 * "Real-time scorer"). One thread at a time per scorer.
 */
#ifndef DBX_CPP_SERVING_SCORER_HPP
#define DBX_CPP_SERVING_SCORER_HPP

#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "../dbx.hpp"

namespace dbx {

using serving_scorer_ptr = owner<dbx_serving_scorer, dbx_serving_scorer_free>;
using serving_completion_ptr = owner<dbx_serving_completion, dbx_serving_completion_free>;

/** One query's outcome (owned, or lent to an on_complete callback). */
class serving_completion {
public:
    explicit serving_completion(dbx_serving_completion *d, bool own = true) noexcept
        : own_(own ? d : nullptr), d_(d)
    {
    }
    uint64_t id() const noexcept { return dbx_serving_completion_id(d_); }
    void *user() const noexcept { return dbx_serving_completion_user(d_); }
    dbx_status status() const noexcept { return dbx_serving_completion_status(d_); }
    bool ok() const noexcept { return status() == DBX_OK; }
    /** The answer, borrowed (nullptr on failure or once taken). */
    const dbx_serving_result *result_ptr() const noexcept { return dbx_serving_completion_result(d_); }
    /** Move the answer out; throws this query's dbx::error when it failed. */
    serving_result take_result()
    {
        rethrow();
        return serving_result(dbx_serving_completion_take_result(d_));
    }
    /** The failure as a dbx::error (status DBX_OK when it succeeded). */
    error failure() const { return error(status(), dbx_serving_completion_error(d_)); }
    /** Throw the query's dbx::error when it failed. */
    void rethrow() const
    {
        if (!ok())
            throw failure();
    }
    dbx_serving_completion *get() const noexcept { return d_; }

private:
    serving_completion_ptr own_;
    dbx_serving_completion *d_;
};

struct serving_scorer_options {
    int max_in_flight = 0;       /* 0: 64 */
    long timeout_ms = 0;         /* per query from submission, retries included; 0: 300000 */
    long attempt_timeout_ms = 0; /* 0: up to the query's deadline */
    bool http1 = false;          /* HTTP/1.1 only (else HTTP/2 where the server offers it) */
    /** Callback style (empty: poll style, use next()). An exception thrown by the callback
     *  never crosses the C code: the first one is rethrown by that poll() / drain(), once
     *  the completions that ended with it were all delivered. */
    std::function<void(serving_completion &)> on_complete;
};

/** Many queries to one endpoint in flight from this thread. Move-only; the client must outlive it. */
class serving_scorer {
public:
    serving_scorer(const client &c, const std::string &name, serving_scorer_options o = {})
        : c_(c.get()), st_(std::make_unique<state>())
    {
        dbx_serving_scorer_options co = DBX_SERVING_SCORER_OPTIONS_INIT;
        co.max_in_flight = o.max_in_flight;
        co.timeout_ms = o.timeout_ms;
        co.attempt_timeout_ms = o.attempt_timeout_ms;
        co.http_version = o.http1 ? DBX_SERVING_HTTP1_1 : DBX_SERVING_HTTP_AUTO;
        if (o.on_complete) {
            st_->fn = std::move(o.on_complete);
            co.on_complete = &serving_scorer::trampoline;
            co.payload = st_.get();
        }
        dbx_serving_scorer *s = nullptr;
        check(dbx_serving_scorer_new(&s, c_, name.c_str(), &co), c_);
        p_.reset(s);
    }

    uint64_t submit(const std::string &json_body, void *user = nullptr)
    {
        uint64_t id = 0;
        check(dbx_serving_scorer_submit(&id, p_.get(), json_body.c_str(), user), c_);
        return id;
    }
    uint64_t submit(const serving_input &in, void *user = nullptr)
    {
        uint64_t id = 0;
        check(dbx_serving_scorer_submit_input(&id, p_.get(), in.get(), user), c_);
        return id;
    }
    /** Poll style: the next ended query within wait_ms (-1: until one ends), or nullopt. */
    std::optional<serving_completion> next(long wait_ms = -1)
    {
        dbx_serving_completion *d = nullptr;
        check(dbx_serving_scorer_next(&d, p_.get(), wait_ms), c_);
        if (!d)
            return std::nullopt;
        return std::optional<serving_completion>(std::in_place, d);
    }
    /** Drive the I/O (callbacks run); the number of queries that ended. */
    size_t poll(long wait_ms = 0)
    {
        size_t n = 0;
        dbx_status s = dbx_serving_scorer_poll(&n, p_.get(), wait_ms);
        rethrow_callback();
        check(s, c_);
        return n;
    }
    /** false when no pending query has that id. */
    bool cancel(uint64_t id)
    {
        dbx_status s = dbx_serving_scorer_cancel(p_.get(), id);
        if (s == DBX_ENOTFOUND)
            return false;
        check(s, c_);
        return true;
    }
    /** Wait for every pending query (-1: no limit); throws DBX_ETIMEOUT when some are left. */
    void drain(long timeout_ms = -1)
    {
        dbx_status s = dbx_serving_scorer_drain(p_.get(), timeout_ms);
        rethrow_callback();
        check(s, c_);
    }
    size_t in_flight() const noexcept { return dbx_serving_scorer_in_flight(p_.get()); }
    size_t queued() const noexcept { return dbx_serving_scorer_queued(p_.get()); }
    dbx_serving_scorer_stats stats() const
    {
        dbx_serving_scorer_stats s = DBX_SERVING_SCORER_STATS_INIT;
        check(dbx_serving_scorer_stats_get(&s, p_.get()), c_);
        return s;
    }
    dbx_serving_scorer *get() const noexcept { return p_.get(); }

private:
    struct state {
        std::function<void(serving_completion &)> fn;
        std::exception_ptr failed;
    };
    static void trampoline(dbx_serving_completion *d, void *payload) noexcept
    {
        state *st = static_cast<state *>(payload);
        try { /* every completion is delivered; the first exception is kept */
            serving_completion lent(d, false);
            st->fn(lent);
        } catch (...) {
            if (!st->failed)
                st->failed = std::current_exception();
        }
    }
    void rethrow_callback()
    {
        if (st_->failed) {
            std::exception_ptr e = std::move(st_->failed);
            st_->failed = nullptr;
            std::rethrow_exception(e);
        }
    }
    dbx_client *c_;
    std::unique_ptr<state> st_; /* stays put when the scorer moves: the C side holds its address */
    serving_scorer_ptr p_;      /* freed first (declared last) */
};

} // namespace dbx

#endif /* DBX_CPP_SERVING_SCORER_HPP */
