/*
 * libdbx C++ layer: Model Serving (included by dbx/dbx.hpp; do not include alone).
 * Owners for every owned type, string_view accessors over borrowed results, builder helpers
 * that throw dbx::error, a range over endpoints; all inline over the C API (dbx/serving.h).
 */
#ifndef DBX_CPP_SERVING_HPP
#define DBX_CPP_SERVING_HPP

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../dbx.hpp"

namespace dbx {

using serving_config_ptr = owner<dbx_serving_config, dbx_serving_config_free>;
using serving_endpoint_ptr = owner<dbx_serving_endpoint, dbx_serving_endpoint_free>;
using serving_input_ptr = owner<dbx_serving_input, dbx_serving_input_free>;
using serving_result_ptr = owner<dbx_serving_result, dbx_serving_result_free>;
using serving_iter = owner<dbx_serving_iter, dbx_serving_iter_free>;
using serving_range = range<dbx_serving_iter, dbx_serving_endpoint, dbx_serving_iter_next, dbx_serving_iter_free>;

/** Read-only view of an endpoint (borrowed: an owner's .get() or a range item). */
class serving_endpoint_view {
public:
    serving_endpoint_view(const dbx_serving_endpoint *p) noexcept : p_(p) {} // NOLINT: implicit on purpose
    std::string_view name() const noexcept { return str(dbx_serving_endpoint_name(p_)); }
    std::string_view id() const noexcept { return str(dbx_serving_endpoint_id(p_)); }
    std::string_view creator() const noexcept { return str(dbx_serving_endpoint_creator(p_)); }
    int64_t creation_timestamp() const noexcept { return dbx_serving_endpoint_creation_timestamp(p_); }
    int64_t last_updated_timestamp() const noexcept { return dbx_serving_endpoint_last_updated_timestamp(p_); }
    dbx_serving_ready_t ready() const noexcept { return dbx_serving_endpoint_ready(p_); }
    std::string_view ready_str() const noexcept { return str(dbx_serving_endpoint_ready_str(p_)); }
    dbx_serving_config_update_t config_update() const noexcept { return dbx_serving_endpoint_config_update(p_); }
    std::string_view config_update_str() const noexcept { return str(dbx_serving_endpoint_config_update_str(p_)); }
    bool has_config(dbx_serving_which w = DBX_SERVING_ACTIVE) const noexcept
    {
        return dbx_serving_endpoint_has_config(p_, w) != 0;
    }
    int64_t config_version(dbx_serving_which w = DBX_SERVING_ACTIVE) const noexcept
    {
        return dbx_serving_endpoint_config_version(p_, w);
    }
    size_t entity_count(dbx_serving_which w = DBX_SERVING_ACTIVE) const noexcept
    {
        return dbx_serving_endpoint_entity_count(p_, w);
    }
    std::string_view entity_name(size_t i, dbx_serving_which w = DBX_SERVING_ACTIVE) const noexcept
    {
        return str(dbx_serving_endpoint_entity_name(p_, w, i));
    }
    std::string_view entity_model(size_t i, dbx_serving_which w = DBX_SERVING_ACTIVE) const noexcept
    {
        return str(dbx_serving_endpoint_entity_model(p_, w, i));
    }
    std::string_view entity_version(size_t i, dbx_serving_which w = DBX_SERVING_ACTIVE) const noexcept
    {
        return str(dbx_serving_endpoint_entity_version(p_, w, i));
    }
    std::string_view entity_workload_size(size_t i, dbx_serving_which w = DBX_SERVING_ACTIVE) const noexcept
    {
        return str(dbx_serving_endpoint_entity_workload_size(p_, w, i));
    }
    std::string_view entity_workload_type(size_t i, dbx_serving_which w = DBX_SERVING_ACTIVE) const noexcept
    {
        return str(dbx_serving_endpoint_entity_workload_type(p_, w, i));
    }
    bool entity_scale_to_zero(size_t i, dbx_serving_which w = DBX_SERVING_ACTIVE) const noexcept
    {
        return dbx_serving_endpoint_entity_scale_to_zero(p_, w, i) != 0;
    }
    /** The variable's value; empty when absent (see has_entity_env). */
    std::string_view entity_env(size_t i, const std::string &key, dbx_serving_which w = DBX_SERVING_ACTIVE) const noexcept
    {
        return str(dbx_serving_endpoint_entity_env(p_, w, i, key.c_str()));
    }
    bool has_entity_env(size_t i, const std::string &key, dbx_serving_which w = DBX_SERVING_ACTIVE) const noexcept
    {
        return dbx_serving_endpoint_entity_env(p_, w, i, key.c_str()) != nullptr;
    }
    dbx_serving_deployment_t entity_deployment(size_t i, dbx_serving_which w = DBX_SERVING_ACTIVE) const noexcept
    {
        return dbx_serving_endpoint_entity_deployment(p_, w, i);
    }
    std::string_view entity_deployment_str(size_t i, dbx_serving_which w = DBX_SERVING_ACTIVE) const noexcept
    {
        return str(dbx_serving_endpoint_entity_deployment_str(p_, w, i));
    }
    std::string_view entity_deployment_message(size_t i, dbx_serving_which w = DBX_SERVING_ACTIVE) const noexcept
    {
        return str(dbx_serving_endpoint_entity_deployment_message(p_, w, i));
    }
    size_t route_count(dbx_serving_which w = DBX_SERVING_ACTIVE) const noexcept
    {
        return dbx_serving_endpoint_route_count(p_, w);
    }
    std::string_view route_name(size_t i, dbx_serving_which w = DBX_SERVING_ACTIVE) const noexcept
    {
        return str(dbx_serving_endpoint_route_name(p_, w, i));
    }
    int route_percentage(size_t i, dbx_serving_which w = DBX_SERVING_ACTIVE) const noexcept
    {
        return dbx_serving_endpoint_route_percentage(p_, w, i);
    }
    bool route_optimized() const noexcept { return dbx_serving_endpoint_route_optimized(p_) != 0; }
    std::string_view endpoint_url() const noexcept { return str(dbx_serving_endpoint_endpoint_url(p_)); }
    /** "<catalog>.<schema>.<prefix>_payload", or empty when no inference table is enabled. */
    std::string_view inference_table() const noexcept { return str(dbx_serving_endpoint_inference_table(p_)); }
    size_t tag_count() const noexcept { return dbx_serving_endpoint_tag_count(p_); }
    std::string_view tag_key(size_t i) const noexcept { return str(dbx_serving_endpoint_tag_key(p_, i)); }
    std::string_view tag_value(size_t i) const noexcept { return str(dbx_serving_endpoint_tag_value(p_, i)); }
    bool has_tag(const std::string &key) const noexcept { return dbx_serving_endpoint_tag(p_, key.c_str()) != nullptr; }
    std::string_view tag(const std::string &key) const noexcept { return str(dbx_serving_endpoint_tag(p_, key.c_str())); }
    std::string_view json() const noexcept { return str(dbx_serving_endpoint_json(p_)); }

private:
    const dbx_serving_endpoint *p_;
};

/** An owned endpoint with the view's accessors. */
class serving_endpoint : public serving_endpoint_view {
public:
    explicit serving_endpoint(dbx_serving_endpoint *p) noexcept : serving_endpoint_view(p), own_(p) {}
    const dbx_serving_endpoint *get() const noexcept { return own_.get(); }
    explicit operator bool() const noexcept { return own_ != nullptr; }

private:
    serving_endpoint_ptr own_;
};

/** Served entities and routes under construction (throws dbx::error on invalid input). */
class serving_config {
public:
    serving_config()
    {
        dbx_serving_config *c = nullptr;
        check(dbx_serving_config_new(&c));
        p_.reset(c);
    }
    static serving_config from_json(const std::string &json)
    {
        dbx_serving_config *c = nullptr;
        check(dbx_serving_config_from_json(&c, json.c_str()));
        return serving_config(c);
    }
    /** Add a served entity; returns its index for the setters. */
    size_t add_entity(const std::string &entity_name, const std::string &entity_version)
    {
        size_t i = 0;
        check(dbx_serving_config_add_entity(&i, p_.get(), entity_name.c_str(), entity_version.c_str()));
        return i;
    }
    serving_config &name(size_t i, const std::string &v)
    {
        check(dbx_serving_config_entity_set_name(p_.get(), i, v.c_str()));
        return *this;
    }
    serving_config &workload_size(size_t i, const std::string &v)
    {
        check(dbx_serving_config_entity_set_workload_size(p_.get(), i, v.c_str()));
        return *this;
    }
    serving_config &workload_type(size_t i, const std::string &v)
    {
        check(dbx_serving_config_entity_set_workload_type(p_.get(), i, v.c_str()));
        return *this;
    }
    serving_config &scale_to_zero(size_t i, bool on)
    {
        check(dbx_serving_config_entity_set_scale_to_zero(p_.get(), i, on ? 1 : 0));
        return *this;
    }
    serving_config &env(size_t i, const std::string &key, const std::string &value)
    {
        check(dbx_serving_config_entity_set_env(p_.get(), i, key.c_str(), value.c_str()));
        return *this;
    }
    serving_config &route(const std::string &served_entity_name, int percentage)
    {
        check(dbx_serving_config_add_route(p_.get(), served_entity_name.c_str(), percentage));
        return *this;
    }
    std::string to_json() const
    {
        char *s = nullptr;
        check(dbx_serving_config_to_json(&s, p_.get()));
        return take_string(s);
    }
    const dbx_serving_config *get() const noexcept { return p_.get(); }
    operator const dbx_serving_config *() const noexcept { return p_.get(); }

private:
    explicit serving_config(dbx_serving_config *c) : p_(c) {}
    serving_config_ptr p_;
};

/** A table of rows to score, built in column order (throws dbx::error on invalid input). */
class serving_input {
public:
    explicit serving_input(dbx_serving_format f = DBX_SERVING_DATAFRAME_SPLIT)
    {
        dbx_serving_input *in = nullptr;
        check(dbx_serving_input_new(&in, f));
        p_.reset(in);
    }
    serving_input &columns(std::initializer_list<const char *> names)
    {
        std::vector<const char *> v(names);
        check(dbx_serving_input_set_columns(p_.get(), v.data(), v.size()));
        return *this;
    }
    serving_input &columns(const std::vector<std::string> &names)
    {
        std::vector<const char *> v;
        for (const auto &n : names)
            v.push_back(n.c_str());
        check(dbx_serving_input_set_columns(p_.get(), v.data(), v.size()));
        return *this;
    }
    serving_input &row()
    {
        check(dbx_serving_input_add_row(p_.get()));
        return *this;
    }
    serving_input &add(double v)
    {
        check(dbx_serving_input_add_double(p_.get(), v));
        return *this;
    }
    serving_input &add(int v) { return add(static_cast<int64_t>(v)); }
    serving_input &add(int64_t v)
    {
        check(dbx_serving_input_add_int(p_.get(), v));
        return *this;
    }
    serving_input &add(const char *v)
    {
        check(dbx_serving_input_add_string(p_.get(), v));
        return *this;
    }
    serving_input &add(const std::string &v) { return add(v.c_str()); }
    serving_input &add(bool v)
    {
        check(dbx_serving_input_add_bool(p_.get(), v ? 1 : 0));
        return *this;
    }
    serving_input &add(std::nullptr_t)
    {
        check(dbx_serving_input_add_null(p_.get()));
        return *this;
    }
    serving_input &params(const std::string &json_object)
    {
        check(dbx_serving_input_set_params(p_.get(), json_object.c_str()));
        return *this;
    }
    serving_input &client_request_id(const std::string &id)
    {
        check(dbx_serving_input_set_client_request_id(p_.get(), id.c_str()));
        return *this;
    }
    std::string to_json() const
    {
        char *s = nullptr;
        check(dbx_serving_input_to_json(&s, p_.get()));
        return take_string(s);
    }
    const dbx_serving_input *get() const noexcept { return p_.get(); }
    operator const dbx_serving_input *() const noexcept { return p_.get(); }

private:
    serving_input_ptr p_;
};

/** A query's answer (owned). */
class serving_result {
public:
    explicit serving_result(dbx_serving_result *r) noexcept : p_(r) {}
    size_t size() const noexcept { return dbx_serving_result_count(p_.get()); }
    dbx_serving_value_type type(size_t i) const noexcept { return dbx_serving_result_type(p_.get(), i); }
    double as_double(size_t i) const noexcept { return dbx_serving_result_double(p_.get(), i); }
    int64_t as_int(size_t i, int64_t fallback = 0) const noexcept
    {
        return dbx_serving_result_int(p_.get(), i, fallback);
    }
    std::string_view as_string(size_t i) const noexcept { return str(dbx_serving_result_string(p_.get(), i)); }
    bool is_null(size_t i) const noexcept { return dbx_serving_result_is_null(p_.get(), i) != 0; }
    /** Prediction i as a bool (true / false, or 1 / 0); `fallback` otherwise. */
    bool as_bool(size_t i, bool fallback = false) const noexcept
    {
        return dbx_serving_result_bool(p_.get(), i, fallback ? 1 : 0) != 0;
    }
    double field_double(size_t i, const std::string &key) const noexcept
    {
        return dbx_serving_result_field_double(p_.get(), i, key.c_str());
    }
    std::string_view field_string(size_t i, const std::string &key) const noexcept
    {
        return str(dbx_serving_result_field_string(p_.get(), i, key.c_str()));
    }
    /** All numeric predictions as doubles (NaN where not a number). */
    std::vector<double> doubles() const
    {
        std::vector<double> v(size());
        for (size_t i = 0; i < v.size(); i++)
            v[i] = as_double(i);
        return v;
    }
    std::string_view predictions_json() const noexcept { return str(dbx_serving_result_predictions_json(p_.get())); }
    std::string_view json() const noexcept { return str(dbx_serving_result_json(p_.get())); }
    std::string_view served_model_name() const noexcept { return str(dbx_serving_result_served_model_name(p_.get())); }
    int64_t latency_ms() const noexcept { return dbx_serving_result_latency_ms(p_.get()); }
    const dbx_serving_result *get() const noexcept { return p_.get(); }

private:
    serving_result_ptr p_;
};

inline std::string_view serving_ready_name(dbx_serving_ready_t v) noexcept { return str(dbx_serving_ready_name(v)); }
inline std::string_view serving_config_update_name(dbx_serving_config_update_t v) noexcept
{
    return str(dbx_serving_config_update_name(v));
}
inline std::string_view serving_deployment_name(dbx_serving_deployment_t v) noexcept
{
    return str(dbx_serving_deployment_name(v));
}

/* ---- operations ------------------------------------------------------------------------ */

inline serving_endpoint serving_create(const client &c, const std::string &name, const serving_config &cfg,
                                       const dbx_serving_create_options *opts = nullptr)
{
    dbx_serving_endpoint *ep = nullptr;
    check(dbx_serving_create(&ep, c, name.c_str(), cfg, opts), c);
    return serving_endpoint(ep);
}

inline serving_endpoint serving_get(const client &c, const std::string &name)
{
    dbx_serving_endpoint *ep = nullptr;
    check(dbx_serving_get(&ep, c, name.c_str()), c);
    return serving_endpoint(ep);
}

inline serving_endpoint serving_update_config(const client &c, const std::string &name, const serving_config &cfg)
{
    dbx_serving_endpoint *ep = nullptr;
    check(dbx_serving_update_config(&ep, c, name.c_str(), cfg), c);
    return serving_endpoint(ep);
}

/** Add (key, value) tags and remove keys in one call. */
inline void serving_patch_tags(const client &c, const std::string &name,
                               const std::vector<std::pair<std::string, std::string>> &add,
                               const std::vector<std::string> &remove = {})
{
    std::vector<dbx_serving_tag> a;
    for (const auto &kv : add)
        a.push_back(dbx_serving_tag{kv.first.c_str(), kv.second.c_str()});
    std::vector<const char *> r;
    for (const auto &k : remove)
        r.push_back(k.c_str());
    check(dbx_serving_patch_tags(c, name.c_str(), a.empty() ? nullptr : a.data(), a.size(),
                                 r.empty() ? nullptr : r.data(), r.size()),
          c);
}

inline void serving_delete(const client &c, const std::string &name) { check(dbx_serving_delete(c, name.c_str()), c); }
/** Enable (or disable) the endpoint's inference table (dbx_serving_set_inference_table). Empty
 *  strings: kept / not given. */
inline void serving_set_inference_table(const client &c, const std::string &name, const std::string &catalog_name,
                                        const std::string &schema_name, const std::string &table_name_prefix = "",
                                        bool enabled = true)
{
    auto opt = [](const std::string &s) { return s.empty() ? nullptr : s.c_str(); };
    check(dbx_serving_set_inference_table(c, name.c_str(), opt(catalog_name), opt(schema_name),
                                          opt(table_name_prefix), enabled ? 1 : 0),
          c);
}

inline std::string serving_build_logs(const client &c, const std::string &name, const std::string &served)
{
    char *s = nullptr;
    check(dbx_serving_build_logs(&s, c, name.c_str(), served.c_str()), c);
    return take_string(s);
}

inline std::string serving_server_logs(const client &c, const std::string &name, const std::string &served)
{
    char *s = nullptr;
    check(dbx_serving_server_logs(&s, c, name.c_str(), served.c_str()), c);
    return take_string(s);
}

inline serving_range serving_list(const client &c)
{
    dbx_serving_iter *it = nullptr;
    check(dbx_serving_list(&it, c), c);
    return serving_range(it, c);
}

/** Wait until READY and NOT_UPDATING; throws dbx::error (DBX_ESTATE, DBX_ETIMEOUT, ...).
 *  The snapshot is returned on success; on failure it is freed (use the C call to keep it). */
inline serving_endpoint serving_wait_ready(const client &c, const std::string &name,
                                           const dbx_wait_options *opts = nullptr)
{
    dbx_serving_endpoint *ep = nullptr;
    dbx_status st = dbx_serving_wait_ready(&ep, c, name.c_str(), opts);
    serving_endpoint own(ep);
    check(st, c);
    return own;
}

inline serving_result serving_query(const client &c, const std::string &name, const std::string &body_json,
                                    const dbx_serving_query_options *opts = nullptr)
{
    dbx_serving_result *r = nullptr;
    check(dbx_serving_query(&r, c, name.c_str(), body_json.c_str(), opts), c);
    return serving_result(r);
}

inline serving_result serving_query(const client &c, const std::string &name, const serving_input &in,
                                    const dbx_serving_query_options *opts = nullptr)
{
    dbx_serving_result *r = nullptr;
    check(dbx_serving_query_input(&r, c, name.c_str(), in, opts), c);
    return serving_result(r);
}

} // namespace dbx

#endif /* DBX_CPP_SERVING_HPP */
