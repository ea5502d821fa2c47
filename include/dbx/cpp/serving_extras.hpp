/*
 * libdbx C++ layer: Model Serving extras (included by dbx/dbx.hpp; do not include alone):
 * champion / challenger traffic, promotion and rollback, /metrics, batch scoring. Owners for
 * every owned type, string_view accessors; all inline over the C API (dbx/serving.h).
 * Route-optimized endpoints need nothing here: serving_query reaches their data plane.
 */
#ifndef DBX_CPP_SERVING_EXTRAS_HPP
#define DBX_CPP_SERVING_EXTRAS_HPP

#include <string>
#include <string_view>
#include <vector>

#include "../dbx.hpp"
#include "serving.hpp"

namespace dbx {

using serving_traffic_ptr = owner<dbx_serving_traffic, dbx_serving_traffic_free>;
using serving_promotion_ptr = owner<dbx_serving_promotion, dbx_serving_promotion_free>;
using serving_metrics_ptr = owner<dbx_serving_metrics, dbx_serving_metrics_free>;

/** An endpoint's traffic split (owned). */
class serving_traffic {
public:
    explicit serving_traffic(dbx_serving_traffic *t) noexcept : p_(t) {}
    size_t size() const noexcept { return dbx_serving_traffic_count(p_.get()); }
    std::string_view entity(size_t i) const noexcept { return str(dbx_serving_traffic_entity(p_.get(), i)); }
    std::string_view model(size_t i) const noexcept { return str(dbx_serving_traffic_model(p_.get(), i)); }
    std::string_view version(size_t i) const noexcept { return str(dbx_serving_traffic_version(p_.get(), i)); }
    int percentage(size_t i) const noexcept { return dbx_serving_traffic_percentage(p_.get(), i); }
    /** The percentage of served entity `entity` (-1 when the endpoint has no such entity). */
    int percentage_of(std::string_view entity_name) const noexcept
    {
        for (size_t i = 0; i < size(); i++)
            if (entity(i) == entity_name)
                return percentage(i);
        return -1;
    }
    /** The config now serving (EndpointCoreConfigInput JSON), for a later rollback. */
    std::string_view config_json() const noexcept { return str(dbx_serving_traffic_config_json(p_.get())); }
    const dbx_serving_traffic *get() const noexcept { return p_.get(); }

private:
    serving_traffic_ptr p_;
};

/** What a promotion did (owned). */
class serving_promotion {
public:
    explicit serving_promotion(dbx_serving_promotion *p) noexcept : p_(p) {}
    serving_endpoint_view endpoint() const noexcept { return dbx_serving_promotion_endpoint(p_.get()); }
    std::string_view previous_config_json() const noexcept
    {
        return str(dbx_serving_promotion_previous_config_json(p_.get()));
    }
    std::string_view model() const noexcept { return str(dbx_serving_promotion_model(p_.get())); }
    std::string_view alias() const noexcept { return str(dbx_serving_promotion_alias(p_.get())); }
    int64_t alias_version() const noexcept { return dbx_serving_promotion_alias_version(p_.get()); }
    int64_t previous_alias_version() const noexcept { return dbx_serving_promotion_previous_alias_version(p_.get()); }
    const dbx_serving_promotion *get() const noexcept { return p_.get(); }
    explicit operator bool() const noexcept { return p_ != nullptr; }

private:
    serving_promotion_ptr p_;
};

/** Parsed Prometheus samples (owned). */
class serving_metrics {
public:
    explicit serving_metrics(dbx_serving_metrics *m) noexcept : p_(m) {}
    size_t size() const noexcept { return dbx_serving_metrics_count(p_.get()); }
    std::string_view name(size_t i) const noexcept { return str(dbx_serving_metrics_name(p_.get(), i)); }
    dbx_metric_type type(size_t i) const noexcept { return dbx_serving_metrics_type(p_.get(), i); }
    std::string_view type_name(size_t i) const noexcept { return str(dbx_metric_type_name(type(i))); }
    double value(size_t i) const noexcept { return dbx_serving_metrics_value(p_.get(), i); }
    /** The timestamp (ms) into *ms when the sample has one. */
    bool timestamp(size_t i, int64_t *ms) const noexcept { return dbx_serving_metrics_timestamp(p_.get(), i, ms) != 0; }
    size_t label_count(size_t i) const noexcept { return dbx_serving_metrics_label_count(p_.get(), i); }
    std::string_view label_key(size_t i, size_t j) const noexcept
    {
        return str(dbx_serving_metrics_label_key(p_.get(), i, j));
    }
    std::string_view label_value(size_t i, size_t j) const noexcept
    {
        return str(dbx_serving_metrics_label_value(p_.get(), i, j));
    }
    /** The value of label `key` ("" when absent: see has_label). */
    std::string_view label(size_t i, const std::string &key) const noexcept
    {
        return str(dbx_serving_metrics_label(p_.get(), i, key.c_str()));
    }
    bool has_label(size_t i, const std::string &key) const noexcept
    {
        return dbx_serving_metrics_label(p_.get(), i, key.c_str()) != nullptr;
    }
    /** Index of the first sample `name` (with label key = value when key is given), or -1. */
    long find(const std::string &name, const char *key = nullptr, const char *value = nullptr) const noexcept
    {
        return dbx_serving_metrics_find(p_.get(), name.c_str(), key, value);
    }
    double sum(const std::string &name, const char *key = nullptr, const char *value = nullptr) const noexcept
    {
        return dbx_serving_metrics_sum(p_.get(), name.c_str(), key, value);
    }
    const dbx_serving_metrics *get() const noexcept { return p_.get(); }

private:
    serving_metrics_ptr p_;
};

inline serving_traffic serving_traffic_get(const client &c, const std::string &name)
{
    dbx_serving_traffic *t = nullptr;
    check(dbx_serving_traffic_get(&t, c, name.c_str()), c);
    return serving_traffic(t);
}

/** champion = 100 - pct, challenger = pct; waits unless opts->no_wait. */
inline serving_endpoint serving_traffic_shift(const client &c, const std::string &name, const std::string &champion,
                                              const std::string &challenger, int challenger_pct,
                                              const dbx_serving_traffic_options *opts = nullptr)
{
    dbx_serving_endpoint *ep = nullptr;
    dbx_status st = dbx_serving_traffic_shift(&ep, c, name.c_str(), champion.c_str(), challenger.c_str(),
                                              challenger_pct, opts);
    serving_endpoint own(ep);
    check(st, c);
    return own;
}

inline serving_promotion serving_promote(const client &c, const std::string &name, const std::string &challenger,
                                         const dbx_serving_promote_options *opts = nullptr)
{
    dbx_serving_promotion *p = nullptr;
    check(dbx_serving_promote(&p, c, name.c_str(), challenger.c_str(), opts), c);
    return serving_promotion(p);
}

inline serving_endpoint serving_rollback(const client &c, const std::string &name, const serving_config &previous,
                                         const dbx_serving_rollback_options *opts = nullptr)
{
    dbx_serving_endpoint *ep = nullptr;
    check(dbx_serving_rollback(&ep, c, name.c_str(), previous, opts), c);
    return serving_endpoint(ep);
}

inline serving_endpoint serving_rollback(const client &c, const std::string &name, const serving_promotion &p,
                                         const dbx_wait_options *wait = nullptr)
{
    dbx_serving_endpoint *ep = nullptr;
    check(dbx_serving_rollback_promotion(&ep, c, name.c_str(), p.get(), wait), c);
    return serving_endpoint(ep);
}

inline serving_metrics serving_metrics_get(const client &c, const std::string &name)
{
    dbx_serving_metrics *m = nullptr;
    check(dbx_serving_metrics_get(&m, c, name.c_str()), c);
    return serving_metrics(m);
}

/** Parse Prometheus text (no request); throws dbx::error (DBX_EBADRESPONSE naming the line). */
inline serving_metrics serving_metrics_parse(std::string_view text)
{
    dbx_serving_metrics *m = nullptr;
    check(dbx_serving_metrics_parse(&m, text.data(), text.size()));
    return serving_metrics(m);
}

inline serving_result serving_query_batch(const client &c, const std::string &name, const serving_input &in,
                                          size_t max_rows_per_request = 0,
                                          const dbx_serving_batch_options *opts = nullptr)
{
    dbx_serving_result *r = nullptr;
    check(dbx_serving_query_batch(&r, c, name.c_str(), in, max_rows_per_request, opts), c);
    return serving_result(r);
}

} // namespace dbx

#endif /* DBX_CPP_SERVING_EXTRAS_HPP */
