/*
 * libdbx C++ layer: the Jobs API 2.2 (included by dbx/dbx.hpp; do not include alone).
 *
 *   dbx::job_settings s = dbx::job_settings_from_json(R"({"name":"etl","tasks":[...]})");
 *   int64_t job_id = dbx::jobs_create(c, s.get());
 *   dbx::run_started st = dbx::jobs_run_now(c, job_id);      // st.idempotency_token: retry key
 *   dbx::run done = dbx::jobs_wait_run(c, st.run_id);          // throws dbx::run_wait_error
 *   for (const dbx_run *r : dbx::jobs_list_runs(c)) ...
 *
 * Builders (dbx::job_settings, dbx::job_task) are owners: set fields with the C setters and
 * dbx::check (builder errors are recorded on the thread, so check(st) without a client).
 */
#ifndef DBX_CPP_JOBS_HPP
#define DBX_CPP_JOBS_HPP

#include "../dbx.hpp"

namespace dbx {

using job = owner<dbx_job, dbx_job_free>;
using run = owner<dbx_run, dbx_run_free>;
using run_output = owner<dbx_run_output, dbx_run_output_free>;
using job_settings = owner<dbx_job_settings, dbx_job_settings_free>;
using job_task = owner<dbx_job_task, dbx_job_task_free>;
using jobs_iter = owner<dbx_jobs_iter, dbx_jobs_iter_free>;
using runs_iter = owner<dbx_runs_iter, dbx_runs_iter_free>;

using jobs_range = range<dbx_jobs_iter, dbx_job, dbx_jobs_iter_next, dbx_jobs_iter_free>;
using runs_range = range<dbx_runs_iter, dbx_run, dbx_runs_iter_next, dbx_runs_iter_free>;

/* ---- builders ------------------------------------------------------------------------ */

inline job_settings job_settings_new()
{
    dbx_job_settings *s = nullptr;
    check(dbx_job_settings_new(&s));
    return job_settings(s);
}

/** Validated settings from JobSettings JSON (dbx::error DBX_EINVAL names the JSON path). */
inline job_settings job_settings_from_json(const std::string &json)
{
    dbx_job_settings *s = nullptr;
    check(dbx_job_settings_from_json(&s, json.c_str()));
    return job_settings(s);
}

inline std::string job_settings_to_json(const dbx_job_settings *s)
{
    char *text = nullptr;
    check(dbx_job_settings_to_json(&text, s));
    return take_string(text);
}

inline job_task job_task_new(const std::string &task_key)
{
    dbx_job_task *t = nullptr;
    check(dbx_job_task_new(&t, task_key.c_str()));
    return job_task(t);
}

inline std::string job_task_to_json(const dbx_job_task *t)
{
    char *text = nullptr;
    check(dbx_job_task_to_json(&text, t));
    return take_string(text);
}

/* ---- jobs ---------------------------------------------------------------------------- */

inline int64_t jobs_create(const client &c, const dbx_job_settings *settings)
{
    int64_t id = 0;
    check(dbx_jobs_create(&id, c, settings), c);
    return id;
}

inline job jobs_get(const client &c, int64_t job_id)
{
    dbx_job *j = nullptr;
    check(dbx_jobs_get(&j, c, job_id), c);
    return job(j);
}

inline void jobs_update(const client &c, int64_t job_id, const dbx_job_settings *new_settings,
                        const char *const *fields_to_remove = nullptr)
{
    check(dbx_jobs_update(c, job_id, new_settings, fields_to_remove), c);
}

inline void jobs_reset(const client &c, int64_t job_id, const dbx_job_settings *new_settings)
{
    check(dbx_jobs_reset(c, job_id, new_settings), c);
}

inline void jobs_delete(const client &c, int64_t job_id) { check(dbx_jobs_delete(c, job_id), c); }

inline jobs_range jobs_list(const client &c, const dbx_jobs_list_options *opts = nullptr)
{
    dbx_jobs_iter *it = nullptr;
    check(dbx_jobs_list(&it, c, opts), c);
    return jobs_range(it, c);
}

/* ---- starting runs --------------------------------------------------------------------- */

/** What run-now / submit started, with the idempotency token that was sent. */
struct run_started {
    int64_t run_id = 0;
    int64_t number_in_job = 0;
    std::string idempotency_token;
};

/** A failed run-now / submit: calling again with idempotency_token() never starts a second
 *  run (empty when the request was never built). */
class run_start_error : public error {
public:
    run_start_error(dbx_status st, const dbx_error *e, std::string token)
        : error(st, e), token_(std::move(token))
    {
    }
    const std::string &idempotency_token() const noexcept { return token_; }

private:
    std::string token_;
};

namespace detail {
inline run_started started(dbx_status st, const dbx_run_started &s, const dbx_client *c)
{
    if (st < 0)
        throw run_start_error(st, dbx_client_last_error(c), s.idempotency_token);
    return run_started{s.run_id, s.number_in_job, s.idempotency_token};
}
} // namespace detail

inline run_started jobs_run_now(const client &c, int64_t job_id, const dbx_jobs_run_now_options *opts = nullptr)
{
    dbx_run_started s{};
    dbx_status st = dbx_jobs_run_now(&s, c, job_id, opts);
    return detail::started(st, s, c);
}

inline run_started jobs_submit(const client &c, const dbx_job_settings *spec,
                               const dbx_jobs_submit_options *opts = nullptr)
{
    dbx_run_started s{};
    dbx_status st = dbx_jobs_submit(&s, c, spec, opts);
    return detail::started(st, s, c);
}

/* ---- runs ---------------------------------------------------------------------------- */

inline run jobs_get_run(const client &c, int64_t run_id)
{
    dbx_run *r = nullptr;
    check(dbx_jobs_get_run(&r, c, run_id), c);
    return run(r);
}

inline run_output jobs_get_run_output(const client &c, int64_t task_run_id)
{
    dbx_run_output *o = nullptr;
    check(dbx_jobs_get_run_output(&o, c, task_run_id), c);
    return run_output(o);
}

inline void jobs_cancel_run(const client &c, int64_t run_id) { check(dbx_jobs_cancel_run(c, run_id), c); }

inline void jobs_cancel_all_runs(const client &c, int64_t job_id, bool all_queued_runs = false)
{
    check(dbx_jobs_cancel_all_runs(c, job_id, all_queued_runs ? 1 : 0), c);
}

inline void jobs_delete_run(const client &c, int64_t run_id) { check(dbx_jobs_delete_run(c, run_id), c); }

/** Returns the repair id. */
inline int64_t jobs_repair_run(const client &c, int64_t run_id, const dbx_jobs_repair_options *opts)
{
    int64_t repair_id = 0;
    check(dbx_jobs_repair_run(&repair_id, c, run_id, opts), c);
    return repair_id;
}

inline runs_range jobs_list_runs(const client &c, const dbx_jobs_runs_list_options *opts = nullptr)
{
    dbx_runs_iter *it = nullptr;
    check(dbx_jobs_list_runs(&it, c, opts), c);
    return runs_range(it, c);
}

/** A failed wait (DBX_ESTATE, DBX_ETIMEOUT, DBX_ECANCELLED, ...) with the last snapshot, when
 *  one was read (shared, so the exception stays copyable). */
class run_wait_error : public error {
public:
    run_wait_error(dbx_status st, const dbx_error *e, run last) : error(st, e), last_(std::move(last)) {}
    /** Borrowed; NULL when no poll succeeded. */
    const dbx_run *last() const noexcept { return last_.get(); }

private:
    std::shared_ptr<dbx_run> last_;
};

/** Wait until the run is terminal (no deadline unless opts->timeout_ms). Success (SUCCESS,
 *  SUCCESS_WITH_FAILURES) returns the final run; anything else throws run_wait_error. */
inline run jobs_wait_run(const client &c, int64_t run_id, const dbx_wait_options *opts = nullptr)
{
    dbx_run *r = nullptr;
    dbx_status st = dbx_jobs_wait_run(&r, c, run_id, opts);
    run own(r);
    if (st < 0)
        throw run_wait_error(st, dbx_client_last_error(c), std::move(own));
    return own;
}

} // namespace dbx

#endif /* DBX_CPP_JOBS_HPP */
