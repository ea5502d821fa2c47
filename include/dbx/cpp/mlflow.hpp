/*
 * libdbx C++ layer: MLflow tracking (included by dbx/dbx.hpp; do not include alone).
 *
 *   std::string exp = dbx::mlflow_experiment_create(c, "/Shared/fraud");
 *   {
 *       dbx::mlflow_active_run run(c, exp, "baseline");     // ends FINISHED, or FAILED when
 *       dbx::mlflow_logger log(c, run.id());                 // an exception leaves the scope
 *       for (int step = 0; step < 100; step++)
 *           log.add_metric("loss", 1.0 / (step + 1), now_ms, step);
 *       log.flush();                                         // throws dbx::error on failure
 *       dbx::mlflow_artifact_upload_file(c, run.id(), "model/model.pkl", "model.pkl");
 *   }
 *   for (const dbx_mlflow_run *r : dbx::mlflow_runs_search(c, {exp}, &opts))
 *       std::cout << dbx::mlflow_run_id(r) << " " << dbx::mlflow_run_status_str(r) << "\n";
 *
 * Owners free their C object (dbx::mlflow_experiment, dbx::mlflow_run, the iterators, the
 * logger); range items are borrowed until the next step. Callables and streams run on the
 * calling thread inside the C call; an exception they throw stops the transfer and is rethrown
 * once libdbx has returned.
 */
#ifndef DBX_CPP_MLFLOW_HPP
#define DBX_CPP_MLFLOW_HPP

#include <chrono>
#include <cstdint>
#include <exception>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "../dbx.hpp"

namespace dbx {

using mlflow_experiment = owner<dbx_mlflow_experiment, dbx_mlflow_experiment_free>;
using mlflow_run = owner<dbx_mlflow_run, dbx_mlflow_run_free>;
using mlflow_experiments_range = range<dbx_mlflow_experiments_iter, dbx_mlflow_experiment,
                                       dbx_mlflow_experiments_iter_next, dbx_mlflow_experiments_iter_free>;
using mlflow_runs_range = range<dbx_mlflow_runs_iter, dbx_mlflow_run, dbx_mlflow_runs_iter_next, dbx_mlflow_runs_iter_free>;
using mlflow_metrics_range = range<dbx_mlflow_metrics_iter, dbx_mlflow_metric, dbx_mlflow_metrics_iter_next,
                                   dbx_mlflow_metrics_iter_free>;
using mlflow_artifacts_range = range<dbx_mlflow_artifacts_iter, dbx_mlflow_artifact, dbx_mlflow_artifacts_iter_next,
                                     dbx_mlflow_artifacts_iter_free>;

/** Key/value pairs (tags, params), copied into the call's C array. */
using mlflow_pairs = std::vector<std::pair<std::string, std::string>>;

namespace detail {
inline std::vector<dbx_mlflow_tag> mlflow_tags(const mlflow_pairs &p)
{
    std::vector<dbx_mlflow_tag> t;
    t.reserve(p.size());
    for (const auto &kv : p)
        t.push_back(dbx_mlflow_tag{kv.first.c_str(), kv.second.c_str()});
    return t;
}
} // namespace detail

/* ---- string_view accessors ------------------------------------------------------------- */

inline std::string_view mlflow_experiment_id(const dbx_mlflow_experiment *e) { return str(dbx_mlflow_experiment_id(e)); }
inline std::string_view mlflow_experiment_name(const dbx_mlflow_experiment *e) { return str(dbx_mlflow_experiment_name(e)); }
inline std::string_view mlflow_experiment_artifact_location(const dbx_mlflow_experiment *e)
{
    return str(dbx_mlflow_experiment_artifact_location(e));
}
inline std::string_view mlflow_experiment_lifecycle_stage(const dbx_mlflow_experiment *e)
{
    return str(dbx_mlflow_experiment_lifecycle_stage(e));
}
/** The tag's value; "" when absent (the C call tells absent from empty: NULL). */
inline std::string_view mlflow_experiment_tag(const dbx_mlflow_experiment *e, const std::string &key)
{
    return str(dbx_mlflow_experiment_tag(e, key.c_str()));
}
inline std::string_view mlflow_run_id(const dbx_mlflow_run *r) { return str(dbx_mlflow_run_id(r)); }
inline std::string_view mlflow_run_name(const dbx_mlflow_run *r) { return str(dbx_mlflow_run_name(r)); }
inline std::string_view mlflow_run_experiment_id(const dbx_mlflow_run *r) { return str(dbx_mlflow_run_experiment_id(r)); }
inline std::string_view mlflow_run_status_str(const dbx_mlflow_run *r) { return str(dbx_mlflow_run_status_str(r)); }
inline std::string_view mlflow_run_artifact_uri(const dbx_mlflow_run *r) { return str(dbx_mlflow_run_artifact_uri(r)); }
inline std::string_view mlflow_run_lifecycle_stage(const dbx_mlflow_run *r) { return str(dbx_mlflow_run_lifecycle_stage(r)); }
inline std::string_view mlflow_run_param(const dbx_mlflow_run *r, const std::string &key)
{
    return str(dbx_mlflow_run_param(r, key.c_str()));
}
inline std::string_view mlflow_run_tag(const dbx_mlflow_run *r, const std::string &key)
{
    return str(dbx_mlflow_run_tag(r, key.c_str()));
}
inline std::string_view mlflow_metric_key(const dbx_mlflow_metric *m) { return str(dbx_mlflow_metric_key(m)); }
inline std::string_view mlflow_artifact_path(const dbx_mlflow_artifact *a) { return str(dbx_mlflow_artifact_path(a)); }

/* ---- experiments ----------------------------------------------------------------------- */

inline std::string mlflow_experiment_create(const client &c, const std::string &name, const char *artifact_location = nullptr,
                                            const mlflow_pairs &tags = {})
{
    std::vector<dbx_mlflow_tag> t = detail::mlflow_tags(tags);
    char *id = nullptr;
    check(dbx_mlflow_experiment_create(&id, c, name.c_str(), artifact_location, t.empty() ? nullptr : t.data(), t.size()),
          c);
    return take_string(id);
}

inline mlflow_experiment mlflow_experiment_get(const client &c, const std::string &experiment_id)
{
    dbx_mlflow_experiment *e = nullptr;
    check(dbx_mlflow_experiment_get(&e, c, experiment_id.c_str()), c);
    return mlflow_experiment(e);
}

inline mlflow_experiment mlflow_experiment_get_by_name(const client &c, const std::string &name)
{
    dbx_mlflow_experiment *e = nullptr;
    check(dbx_mlflow_experiment_get_by_name(&e, c, name.c_str()), c);
    return mlflow_experiment(e);
}

inline void mlflow_experiment_update(const client &c, const std::string &experiment_id, const std::string &new_name)
{
    check(dbx_mlflow_experiment_update(c, experiment_id.c_str(), new_name.c_str()), c);
}
inline void mlflow_experiment_delete(const client &c, const std::string &experiment_id)
{
    check(dbx_mlflow_experiment_delete(c, experiment_id.c_str()), c);
}
inline void mlflow_experiment_restore(const client &c, const std::string &experiment_id)
{
    check(dbx_mlflow_experiment_restore(c, experiment_id.c_str()), c);
}
inline void mlflow_experiment_set_tag(const client &c, const std::string &experiment_id, const std::string &key,
                                      const std::string &value)
{
    check(dbx_mlflow_experiment_set_tag(c, experiment_id.c_str(), key.c_str(), value.c_str()), c);
}
inline void mlflow_experiment_delete_tag(const client &c, const std::string &experiment_id, const std::string &key)
{
    check(dbx_mlflow_experiment_delete_tag(c, experiment_id.c_str(), key.c_str()), c);
}

/** Lazy: no request before the range's begin(). `opts` is copied by the call (it need not
 *  outlive it). */
inline mlflow_experiments_range mlflow_experiments_search(const client &c, const dbx_mlflow_search_options *opts = nullptr)
{
    dbx_mlflow_experiments_iter *it = nullptr;
    check(dbx_mlflow_experiments_search(&it, c, opts), c);
    return mlflow_experiments_range(it, c);
}

/* ---- runs ------------------------------------------------------------------------------ */

inline mlflow_run mlflow_run_create(const client &c, const std::string &experiment_id, const char *run_name = nullptr,
                                    const mlflow_pairs &tags = {}, int64_t start_time = 0)
{
    std::vector<dbx_mlflow_tag> t = detail::mlflow_tags(tags);
    dbx_mlflow_run_create_options o = DBX_MLFLOW_RUN_CREATE_OPTIONS_INIT;
    o.run_name = run_name;
    o.start_time = start_time;
    o.tags = t.empty() ? nullptr : t.data();
    o.n_tags = t.size();
    dbx_mlflow_run *r = nullptr;
    check(dbx_mlflow_run_create(&r, c, experiment_id.c_str(), &o), c);
    return mlflow_run(r);
}

inline mlflow_run mlflow_run_get(const client &c, const std::string &run_id)
{
    dbx_mlflow_run *r = nullptr;
    check(dbx_mlflow_run_get(&r, c, run_id.c_str()), c);
    return mlflow_run(r);
}

inline void mlflow_run_update(const client &c, const std::string &run_id, dbx_mlflow_run_status_t status,
                              int64_t end_time = 0, const char *run_name = nullptr)
{
    check(dbx_mlflow_run_update(c, run_id.c_str(), status, end_time, run_name), c);
}
inline void mlflow_run_delete(const client &c, const std::string &run_id) { check(dbx_mlflow_run_delete(c, run_id.c_str()), c); }
inline void mlflow_run_restore(const client &c, const std::string &run_id) { check(dbx_mlflow_run_restore(c, run_id.c_str()), c); }
inline void mlflow_run_set_tag(const client &c, const std::string &run_id, const std::string &key, const std::string &value)
{
    check(dbx_mlflow_run_set_tag(c, run_id.c_str(), key.c_str(), value.c_str()), c);
}
inline void mlflow_run_delete_tag(const client &c, const std::string &run_id, const std::string &key)
{
    check(dbx_mlflow_run_delete_tag(c, run_id.c_str(), key.c_str()), c);
}
inline void mlflow_run_log_param(const client &c, const std::string &run_id, const std::string &key, const std::string &value)
{
    check(dbx_mlflow_run_log_param(c, run_id.c_str(), key.c_str(), value.c_str()), c);
}
inline void mlflow_run_log_metric(const client &c, const std::string &run_id, const std::string &key, double value,
                                  int64_t timestamp, int64_t step = 0)
{
    check(dbx_mlflow_run_log_metric(c, run_id.c_str(), key.c_str(), value, timestamp, step), c);
}
/** One log-batch request (within the DBX_MLFLOW_BATCH_* limits; the logger below has none). */
inline void mlflow_run_log_batch(const client &c, const std::string &run_id, const std::vector<dbx_mlflow_metric_point> &metrics,
                                 const mlflow_pairs &params = {}, const mlflow_pairs &tags = {})
{
    std::vector<dbx_mlflow_tag> p = detail::mlflow_tags(params), t = detail::mlflow_tags(tags);
    check(dbx_mlflow_run_log_batch(c, run_id.c_str(), metrics.empty() ? nullptr : metrics.data(), metrics.size(),
                                   p.empty() ? nullptr : p.data(), p.size(), t.empty() ? nullptr : t.data(), t.size()),
          c);
}
inline void mlflow_run_log_inputs(const client &c, const std::string &run_id,
                                  const std::vector<dbx_mlflow_dataset_input> &datasets)
{
    check(dbx_mlflow_run_log_inputs(c, run_id.c_str(), datasets.empty() ? nullptr : datasets.data(), datasets.size()), c);
}

/** Lazy search of the runs of `experiment_ids` (at least one). */
inline mlflow_runs_range mlflow_runs_search(const client &c, const std::vector<std::string> &experiment_ids,
                                            const dbx_mlflow_search_options *opts = nullptr)
{
    std::vector<const char *> ids;
    for (const auto &id : experiment_ids)
        ids.push_back(id.c_str());
    ids.push_back(nullptr);
    dbx_mlflow_runs_iter *it = nullptr;
    check(dbx_mlflow_runs_search(&it, c, ids.data(), opts), c);
    return mlflow_runs_range(it, c);
}

inline mlflow_metrics_range mlflow_metric_history(const client &c, const std::string &run_id, const std::string &key,
                                                  int page_size = 0, long max_items = 0)
{
    dbx_mlflow_metrics_iter *it = nullptr;
    check(dbx_mlflow_metric_history(&it, c, run_id.c_str(), key.c_str(), page_size, max_items), c);
    return mlflow_metrics_range(it, c);
}

/**
 * A run that ends when the scope does: FINISHED, or FAILED when an exception is unwinding
 * through the scope (std::uncaught_exceptions). end() ends it earlier (and throws on failure);
 * a failure to end it from the destructor is not reported (destructors do not throw).
 */
class mlflow_active_run {
public:
    mlflow_active_run(const client &c, const std::string &experiment_id, const char *run_name = nullptr,
                      const mlflow_pairs &tags = {})
        : c_(&c), run_(mlflow_run_create(c, experiment_id, run_name, tags)), id_(dbx_mlflow_run_id(run_.get())),
          exceptions_(std::uncaught_exceptions())
    {
    }
    mlflow_active_run(const mlflow_active_run &) = delete;
    mlflow_active_run &operator=(const mlflow_active_run &) = delete;
    ~mlflow_active_run()
    {
        if (ended_)
            return;
        dbx_mlflow_run_status_t st = std::uncaught_exceptions() > exceptions_ ? DBX_MLFLOW_RUN_STATUS_FAILED
                                                                               : DBX_MLFLOW_RUN_STATUS_FINISHED;
        (void)dbx_mlflow_run_update(c_->get(), id_.c_str(), st, now_ms(), nullptr);
    }
    const std::string &id() const noexcept { return id_; }
    /** The run as created (status RUNNING). */
    const dbx_mlflow_run *created() const noexcept { return run_.get(); }
    void end(dbx_mlflow_run_status_t status = DBX_MLFLOW_RUN_STATUS_FINISHED)
    {
        mlflow_run_update(*c_, id_, status, now_ms());
        ended_ = true;
    }
    static int64_t now_ms()
    {
        return static_cast<int64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
    }

private:
    const client *c_;
    mlflow_run run_;
    std::string id_;
    int exceptions_;
    bool ended_ = false;
};

/* ---- the logging buffer ---------------------------------------------------------------- */

/** RAII owner of a dbx_mlflow_logger. The destructor frees WITHOUT flushing (it cannot throw):
 *  call flush() before the end of its scope. Move-only; one thread at a time. */
class mlflow_logger {
public:
    mlflow_logger(const client &c, const std::string &run_id, bool auto_flush = false) : c_(c.get())
    {
        dbx_mlflow_logger_options o = DBX_MLFLOW_LOGGER_OPTIONS_INIT;
        o.auto_flush = auto_flush ? 1 : 0;
        dbx_mlflow_logger *lg = nullptr;
        check(dbx_mlflow_logger_new(&lg, c, run_id.c_str(), &o), c);
        p_.reset(lg);
    }
    void add_metric(const std::string &key, double value, int64_t timestamp, int64_t step = 0)
    {
        check(dbx_mlflow_logger_add_metric(p_.get(), key.c_str(), value, timestamp, step), c_);
    }
    void add_param(const std::string &key, const std::string &value)
    {
        check(dbx_mlflow_logger_add_param(p_.get(), key.c_str(), value.c_str()), c_);
    }
    void add_tag(const std::string &key, const std::string &value)
    {
        check(dbx_mlflow_logger_add_tag(p_.get(), key.c_str(), value.c_str()), c_);
    }
    void flush() { check(dbx_mlflow_logger_flush(p_.get()), c_); }
    size_t pending() const noexcept { return dbx_mlflow_logger_pending(p_.get()); }
    uint64_t requests() const noexcept { return dbx_mlflow_logger_requests(p_.get()); }
    /** The last flush's failed request: its status (DBX_OK when none) and item range. */
    dbx_status last_failure(size_t *first = nullptr, size_t *count = nullptr) const noexcept
    {
        return dbx_mlflow_logger_last_failure(p_.get(), first, count);
    }
    dbx_mlflow_logger *get() const noexcept { return p_.get(); }

private:
    owner<dbx_mlflow_logger, dbx_mlflow_logger_free> p_;
    const dbx_client *c_;
};

/* ---- artifacts ------------------------------------------------------------------------- */

inline mlflow_artifacts_range mlflow_artifacts_list(const client &c, const std::string &run_id, const char *path = nullptr)
{
    dbx_mlflow_artifacts_iter *it = nullptr;
    check(dbx_mlflow_artifacts_list(&it, c, run_id.c_str(), path), c);
    return mlflow_artifacts_range(it, c);
}

inline void mlflow_artifact_upload(const client &c, const std::string &run_id, const std::string &artifact_path,
                                   const dbx_source &src)
{
    check(dbx_mlflow_artifact_upload(c, run_id.c_str(), artifact_path.c_str(), &src), c);
}

/** Upload a binary std::istream from its position (rewound for a retry when seekable). */
template <class Stream, class = std::enable_if_t<std::is_base_of_v<std::istream, Stream>>>
inline void mlflow_artifact_upload(const client &c, const std::string &run_id, const std::string &artifact_path, Stream &in)
{
    detail::istream_source<Stream> s;
    dbx_source src = detail::istream_as_source(s, in);
    dbx_status st = dbx_mlflow_artifact_upload(c, run_id.c_str(), artifact_path.c_str(), &src);
    s.rethrow_if_any();
    check(st, c);
}

inline void mlflow_artifact_upload_file(const client &c, const std::string &run_id, const std::string &artifact_path,
                                        const std::string &local_path)
{
    check(dbx_mlflow_artifact_upload_file(c, run_id.c_str(), artifact_path.c_str(), local_path.c_str()), c);
}
inline void mlflow_artifact_upload_dir(const client &c, const std::string &run_id, const char *artifact_dir,
                                       const std::string &local_dir)
{
    check(dbx_mlflow_artifact_upload_dir(c, run_id.c_str(), artifact_dir, local_dir.c_str()), c);
}

/** Stream an artifact to `fn(std::string_view piece)`; an exception it throws is rethrown. */
template <class F, class = std::enable_if_t<std::is_invocable_v<F &, std::string_view>>>
inline void mlflow_artifact_download(const client &c, const std::string &run_id, const std::string &artifact_path, F &&fn)
{
    using Fn = std::remove_reference_t<F>;
    detail::sink_ctx<Fn> s(&fn);
    dbx_status st = dbx_mlflow_artifact_download(c, run_id.c_str(), artifact_path.c_str(), detail::sink_trampoline<Fn>, &s);
    s.rethrow_if_any();
    check(st, c);
}

inline std::string mlflow_artifact_download_string(const client &c, const std::string &run_id,
                                                   const std::string &artifact_path)
{
    std::string out;
    mlflow_artifact_download(c, run_id, artifact_path, [&](std::string_view p) { out.append(p.data(), p.size()); });
    return out;
}
inline void mlflow_artifact_download_file(const client &c, const std::string &run_id, const std::string &artifact_path,
                                          const std::string &local_path)
{
    check(dbx_mlflow_artifact_download_file(c, run_id.c_str(), artifact_path.c_str(), local_path.c_str()), c);
}
inline void mlflow_artifact_download_dir(const client &c, const std::string &run_id, const char *artifact_dir,
                                         const std::string &local_dir)
{
    check(dbx_mlflow_artifact_download_dir(c, run_id.c_str(), artifact_dir, local_dir.c_str()), c);
}

} // namespace dbx

#endif /* DBX_CPP_MLFLOW_HPP */
