/*
 * libdbx C++ layer: quality monitors (included by dbx/dbx.hpp; do not include alone).
 * Owners for every owned type, string_view accessors over borrowed results, a spec builder
 * that throws dbx::error, a range over refreshes, the waits, and the metric-table reads as
 * owned row sets with range-for over typed rows; all inline over the C API (dbx/monitors.h).
 */
#ifndef DBX_CPP_MONITORS_HPP
#define DBX_CPP_MONITORS_HPP

#include <string>
#include <string_view>
#include <vector>

#include "../dbx.hpp"

namespace dbx {

using monitor_spec_ptr = owner<dbx_monitor_spec, dbx_monitor_spec_free>;
using monitor_ptr = owner<dbx_monitor, dbx_monitor_free>;
using monitor_refresh_ptr = owner<dbx_monitor_refresh, dbx_monitor_refresh_free>;
using monitor_drift_ptr = owner<dbx_monitor_drift, dbx_monitor_drift_free>;
using monitor_profile_ptr = owner<dbx_monitor_profile, dbx_monitor_profile_free>;
using monitor_refresh_range = range<dbx_monitor_refresh_iter, dbx_monitor_refresh, dbx_monitor_refresh_iter_next,
                                    dbx_monitor_refresh_iter_free>;

/** Read-only view of a monitor (borrowed). */
class monitor_view {
public:
    monitor_view(const dbx_monitor *p) noexcept : p_(p) {} // NOLINT: implicit on purpose
    std::string_view table_name() const noexcept { return str(dbx_monitor_table_name(p_)); }
    dbx_monitor_status_t status() const noexcept { return dbx_monitor_status(p_); }
    std::string_view status_str() const noexcept { return str(dbx_monitor_status_str(p_)); }
    int64_t version() const noexcept { return dbx_monitor_version(p_); }
    std::string_view assets_dir() const noexcept { return str(dbx_monitor_assets_dir(p_)); }
    std::string_view output_schema_name() const noexcept { return str(dbx_monitor_output_schema_name(p_)); }
    std::string_view profile_metrics_table_name() const noexcept
    {
        return str(dbx_monitor_profile_metrics_table_name(p_));
    }
    std::string_view drift_metrics_table_name() const noexcept { return str(dbx_monitor_drift_metrics_table_name(p_)); }
    std::string_view dashboard_id() const noexcept { return str(dbx_monitor_dashboard_id(p_)); }
    std::string_view baseline_table_name() const noexcept { return str(dbx_monitor_baseline_table_name(p_)); }
    std::string_view latest_failure_msg() const noexcept { return str(dbx_monitor_latest_failure_msg(p_)); }
    dbx_monitor_profile_type_t profile_type() const noexcept { return dbx_monitor_profile_type(p_); }
    dbx_monitor_problem_type_t problem_type() const noexcept { return dbx_monitor_problem_type(p_); }
    std::string_view problem_type_str() const noexcept { return str(dbx_monitor_problem_type_str(p_)); }
    std::string_view timestamp_col() const noexcept { return str(dbx_monitor_timestamp_col(p_)); }
    std::string_view prediction_col() const noexcept { return str(dbx_monitor_prediction_col(p_)); }
    std::string_view label_col() const noexcept { return str(dbx_monitor_label_col(p_)); }
    std::string_view model_id_col() const noexcept { return str(dbx_monitor_model_id_col(p_)); }
    std::string_view prediction_proba_col() const noexcept { return str(dbx_monitor_prediction_proba_col(p_)); }
    size_t granularity_count() const noexcept { return dbx_monitor_granularity_count(p_); }
    std::string_view granularity(size_t i) const noexcept { return str(dbx_monitor_granularity(p_, i)); }
    size_t slicing_expr_count() const noexcept { return dbx_monitor_slicing_expr_count(p_); }
    std::string_view slicing_expr(size_t i) const noexcept { return str(dbx_monitor_slicing_expr(p_, i)); }
    std::string_view schedule_cron() const noexcept { return str(dbx_monitor_schedule_cron(p_)); }
    std::string_view schedule_timezone() const noexcept { return str(dbx_monitor_schedule_timezone(p_)); }
    std::string_view schedule_pause_status() const noexcept { return str(dbx_monitor_schedule_pause_status(p_)); }
    std::string_view json() const noexcept { return str(dbx_monitor_json(p_)); }

private:
    const dbx_monitor *p_;
};

/** An owned monitor with the view's accessors. */
class monitor : public monitor_view {
public:
    explicit monitor(dbx_monitor *p) noexcept : monitor_view(p), own_(p) {}
    const dbx_monitor *get() const noexcept { return own_.get(); }
    explicit operator bool() const noexcept { return own_ != nullptr; }

private:
    monitor_ptr own_;
};

/** Read-only view of a refresh (borrowed: an owner's .get() or a range item). */
class monitor_refresh_view {
public:
    monitor_refresh_view(const dbx_monitor_refresh *p) noexcept : p_(p) {} // NOLINT: implicit on purpose
    int64_t id() const noexcept { return dbx_monitor_refresh_id(p_); }
    dbx_monitor_refresh_state_t state() const noexcept { return dbx_monitor_refresh_state(p_); }
    std::string_view state_str() const noexcept { return str(dbx_monitor_refresh_state_str(p_)); }
    std::string_view message() const noexcept { return str(dbx_monitor_refresh_message(p_)); }
    int64_t start_time_ms() const noexcept { return dbx_monitor_refresh_start_time_ms(p_); }
    int64_t end_time_ms() const noexcept { return dbx_monitor_refresh_end_time_ms(p_); }
    std::string_view trigger() const noexcept { return str(dbx_monitor_refresh_trigger(p_)); }
    std::string_view json() const noexcept { return str(dbx_monitor_refresh_json(p_)); }

private:
    const dbx_monitor_refresh *p_;
};

class monitor_refresh : public monitor_refresh_view {
public:
    explicit monitor_refresh(dbx_monitor_refresh *p) noexcept : monitor_refresh_view(p), own_(p) {}
    const dbx_monitor_refresh *get() const noexcept { return own_.get(); }
    explicit operator bool() const noexcept { return own_ != nullptr; }

private:
    monitor_refresh_ptr own_;
};

/** A monitor's configuration under construction (throws dbx::error on invalid input). */
class monitor_spec {
public:
    monitor_spec()
    {
        dbx_monitor_spec *s = nullptr;
        check(dbx_monitor_spec_new(&s));
        p_.reset(s);
    }
    static monitor_spec from_json(const std::string &json)
    {
        dbx_monitor_spec *s = nullptr;
        check(dbx_monitor_spec_from_json(&s, json.c_str()));
        return monitor_spec(s);
    }
    monitor_spec &assets_dir(const std::string &v) { return ok(dbx_monitor_spec_set_assets_dir(p_.get(), v.c_str())); }
    monitor_spec &output_schema(const std::string &v)
    {
        return ok(dbx_monitor_spec_set_output_schema(p_.get(), v.c_str()));
    }
    /** label_col / prediction_proba_col: empty for none. */
    monitor_spec &inference_log(dbx_monitor_problem_type_t problem, const std::string &timestamp_col,
                                const std::string &prediction_col, const std::string &model_id_col,
                                const std::string &label_col = {}, const std::string &prediction_proba_col = {})
    {
        return ok(dbx_monitor_spec_set_inference_log(p_.get(), problem, timestamp_col.c_str(), prediction_col.c_str(),
                                                     model_id_col.c_str(), label_col.empty() ? nullptr : label_col.c_str(),
                                                     prediction_proba_col.empty() ? nullptr
                                                                                  : prediction_proba_col.c_str()));
    }
    monitor_spec &time_series(const std::string &timestamp_col)
    {
        return ok(dbx_monitor_spec_set_time_series(p_.get(), timestamp_col.c_str()));
    }
    monitor_spec &snapshot() { return ok(dbx_monitor_spec_set_snapshot(p_.get())); }
    monitor_spec &granularity(const std::string &g) { return ok(dbx_monitor_spec_add_granularity(p_.get(), g.c_str())); }
    monitor_spec &baseline_table(const std::string &t)
    {
        return ok(dbx_monitor_spec_set_baseline_table(p_.get(), t.empty() ? nullptr : t.c_str()));
    }
    monitor_spec &slicing_expr(const std::string &e) { return ok(dbx_monitor_spec_add_slicing_expr(p_.get(), e.c_str())); }
    monitor_spec &schedule(const std::string &cron, const std::string &timezone_id, bool paused = false)
    {
        return ok(dbx_monitor_spec_set_schedule(p_.get(), cron.c_str(), timezone_id.c_str(), paused ? 1 : 0));
    }
    monitor_spec &warehouse_id(const std::string &id) { return ok(dbx_monitor_spec_set_warehouse_id(p_.get(), id.c_str())); }
    monitor_spec &skip_builtin_dashboard(bool skip = true)
    {
        return ok(dbx_monitor_spec_set_skip_builtin_dashboard(p_.get(), skip ? 1 : 0));
    }
    monitor_spec &failure_email(const std::string &email)
    {
        return ok(dbx_monitor_spec_add_failure_email(p_.get(), email.c_str()));
    }
    monitor_spec &custom_metrics_json(const std::string &json)
    {
        return ok(dbx_monitor_spec_set_custom_metrics_json(p_.get(), json.c_str()));
    }
    std::string to_json() const
    {
        char *s = nullptr;
        check(dbx_monitor_spec_to_json(&s, p_.get()));
        return take_string(s);
    }
    const dbx_monitor_spec *get() const noexcept { return p_.get(); }
    operator const dbx_monitor_spec *() const noexcept { return p_.get(); }

private:
    explicit monitor_spec(dbx_monitor_spec *s) : p_(s) {}
    monitor_spec &ok(dbx_status st)
    {
        check(st);
        return *this;
    }
    monitor_spec_ptr p_;
};

/** Rows read from a metric table (owned); range-for yields `const Row &`. */
template <class Set, class Row, size_t (*Count)(const Set *), const Row *(*At)(const Set *, size_t),
          void (*Free)(Set *)>
class monitor_rows {
public:
    explicit monitor_rows(Set *s) noexcept : p_(s) {}
    size_t size() const noexcept { return Count(p_.get()); }
    bool empty() const noexcept { return size() == 0; }
    const Row &operator[](size_t i) const noexcept { return *At(p_.get(), i); }
    class iterator {
    public:
        iterator(const monitor_rows *r, size_t i) noexcept : r_(r), i_(i) {}
        const Row &operator*() const noexcept { return (*r_)[i_]; }
        iterator &operator++() noexcept
        {
            ++i_;
            return *this;
        }
        bool operator!=(const iterator &o) const noexcept { return i_ != o.i_; }
        bool operator==(const iterator &o) const noexcept { return i_ == o.i_; }

    private:
        const monitor_rows *r_;
        size_t i_;
    };
    iterator begin() const noexcept { return iterator(this, 0); }
    iterator end() const noexcept { return iterator(this, size()); }
    const Set *get() const noexcept { return p_.get(); }

private:
    owner<Set, Free> p_;
};

using monitor_drift = monitor_rows<dbx_monitor_drift, dbx_monitor_drift_row, dbx_monitor_drift_count,
                                   dbx_monitor_drift_at, dbx_monitor_drift_free>;
using monitor_profile = monitor_rows<dbx_monitor_profile, dbx_monitor_profile_row, dbx_monitor_profile_count,
                                     dbx_monitor_profile_at, dbx_monitor_profile_free>;

inline std::string_view monitor_status_name(dbx_monitor_status_t v) noexcept { return str(dbx_monitor_status_name(v)); }
inline std::string_view monitor_refresh_state_name(dbx_monitor_refresh_state_t v) noexcept
{
    return str(dbx_monitor_refresh_state_name(v));
}
inline std::string_view monitor_problem_type_name(dbx_monitor_problem_type_t v) noexcept
{
    return str(dbx_monitor_problem_type_name(v));
}
inline std::string_view monitor_profile_type_name(dbx_monitor_profile_type_t v) noexcept
{
    return str(dbx_monitor_profile_type_name(v));
}
inline std::string_view monitor_drift_type_name(dbx_monitor_drift_type_t v) noexcept
{
    return str(dbx_monitor_drift_type_name(v));
}
inline bool monitor_granularity_valid(const std::string &g) noexcept
{
    return dbx_monitor_granularity_valid(g.c_str()) != 0;
}

inline monitor monitor_create(const client &c, const std::string &table, const monitor_spec &spec)
{
    dbx_monitor *m = nullptr;
    check(dbx_monitor_create(&m, c, table.c_str(), spec), c);
    return monitor(m);
}

inline monitor monitor_get(const client &c, const std::string &table)
{
    dbx_monitor *m = nullptr;
    check(dbx_monitor_get(&m, c, table.c_str()), c);
    return monitor(m);
}

inline monitor monitor_update(const client &c, const std::string &table, const monitor_spec &spec)
{
    dbx_monitor *m = nullptr;
    check(dbx_monitor_update(&m, c, table.c_str(), spec), c);
    return monitor(m);
}

inline void monitor_delete(const client &c, const std::string &table) { check(dbx_monitor_delete(c, table.c_str()), c); }

/** The new dashboard's id (warehouse_id: empty for none). */
inline std::string monitor_regenerate_dashboard(const client &c, const std::string &table,
                                                const std::string &warehouse_id = {})
{
    char *id = nullptr;
    check(dbx_monitor_regenerate_dashboard(&id, c, table.c_str(), warehouse_id.empty() ? nullptr : warehouse_id.c_str()),
          c);
    return take_string(id);
}

/** Wait until MONITOR_STATUS_ACTIVE; throws dbx::error (DBX_ESTATE, DBX_ETIMEOUT, ...). */
inline monitor monitor_wait_active(const client &c, const std::string &table, const dbx_wait_options *opts = nullptr)
{
    dbx_monitor *m = nullptr;
    dbx_status st = dbx_monitor_wait_active(&m, c, table.c_str(), opts);
    monitor own(m);
    check(st, c);
    return own;
}

inline monitor_refresh monitor_refresh_run(const client &c, const std::string &table)
{
    dbx_monitor_refresh *r = nullptr;
    check(dbx_monitor_refresh_run(&r, c, table.c_str()), c);
    return monitor_refresh(r);
}

inline monitor_refresh monitor_refresh_get(const client &c, const std::string &table, int64_t refresh_id)
{
    dbx_monitor_refresh *r = nullptr;
    check(dbx_monitor_refresh_get(&r, c, table.c_str(), refresh_id), c);
    return monitor_refresh(r);
}

inline void monitor_refresh_cancel(const client &c, const std::string &table, int64_t refresh_id)
{
    check(dbx_monitor_refresh_cancel(c, table.c_str(), refresh_id), c);
}

/** Wait until the refresh ends: SUCCESS returns it; FAILED / CANCELED throw DBX_ESTATE. */
inline monitor_refresh monitor_refresh_wait(const client &c, const std::string &table, int64_t refresh_id,
                                            const dbx_wait_options *opts = nullptr)
{
    dbx_monitor_refresh *r = nullptr;
    dbx_status st = dbx_monitor_refresh_wait(&r, c, table.c_str(), refresh_id, opts);
    monitor_refresh own(r);
    check(st, c);
    return own;
}

inline monitor_refresh_range monitor_refresh_list(const client &c, const std::string &table)
{
    dbx_monitor_refresh_iter *it = nullptr;
    check(dbx_monitor_refresh_list(&it, c, table.c_str()), c);
    return monitor_refresh_range(it, c);
}

inline monitor_drift monitor_drift_read(const client &c, const std::string &table, const std::string &warehouse_id,
                                        const dbx_monitor_read_options *opts = nullptr)
{
    dbx_monitor_drift *d = nullptr;
    check(dbx_monitor_drift_read(&d, c, table.c_str(), warehouse_id.c_str(), opts), c);
    return monitor_drift(d);
}

inline monitor_profile monitor_profile_read(const client &c, const std::string &table, const std::string &warehouse_id,
                                            const dbx_monitor_read_options *opts = nullptr)
{
    dbx_monitor_profile *p = nullptr;
    check(dbx_monitor_profile_read(&p, c, table.c_str(), warehouse_id.c_str(), opts), c);
    return monitor_profile(p);
}

} // namespace dbx

#endif /* DBX_CPP_MONITORS_HPP */
