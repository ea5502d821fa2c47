/*
 * libdbx C++ layer: SQL warehouses (included by dbx/dbx.hpp; do not include alone).
 *
 *   dbx::warehouse_spec s = dbx::warehouse_spec_new();
 *   dbx::check(dbx_warehouse_spec_set_name(s.get(), "etl"));
 *   dbx::check(dbx_warehouse_spec_set_cluster_size(s.get(), "Small"));
 *   std::string id = dbx::warehouses_create(c, s.get());
 *   dbx::warehouse wh = dbx::warehouses_wait_running(c, id);   // throws dbx::warehouse_wait_error
 *   for (const dbx_warehouse *w : dbx::warehouses_list(c)) ...
 *
 * Specs are owners whose setters are the C ones, checked with dbx::check (spec errors are
 * recorded on the thread, so check(st) without a client).
 */
#ifndef DBX_CPP_WAREHOUSES_HPP
#define DBX_CPP_WAREHOUSES_HPP

#include "../dbx.hpp"

namespace dbx {

using warehouse = owner<dbx_warehouse, dbx_warehouse_free>;
using warehouse_spec = owner<dbx_warehouse_spec, dbx_warehouse_spec_free>;
using warehouses_iter = owner<dbx_warehouses_iter, dbx_warehouses_iter_free>;
using warehouses_range = range<dbx_warehouses_iter, dbx_warehouse, dbx_warehouses_iter_next, dbx_warehouses_iter_free>;

/* ---- specs --------------------------------------------------------------------------- */

inline warehouse_spec warehouse_spec_new()
{
    dbx_warehouse_spec *s = nullptr;
    check(dbx_warehouse_spec_new(&s));
    return warehouse_spec(s);
}

/** A validated spec from EndpointInfo JSON (dbx::error DBX_EINVAL names the JSON path). */
inline warehouse_spec warehouse_spec_from_json(const std::string &json)
{
    dbx_warehouse_spec *s = nullptr;
    check(dbx_warehouse_spec_from_json(&s, json.c_str()));
    return warehouse_spec(s);
}

inline std::string warehouse_spec_to_json(const dbx_warehouse_spec *s)
{
    char *text = nullptr;
    check(dbx_warehouse_spec_to_json(&text, s));
    return take_string(text);
}

/* ---- operations ---------------------------------------------------------------------- */

inline std::string warehouses_create(const client &c, const dbx_warehouse_spec *spec)
{
    char *id = nullptr;
    check(dbx_warehouses_create(&id, c, spec), c);
    return take_string(id);
}

inline void warehouses_edit(const client &c, const std::string &id, const dbx_warehouse_spec *spec)
{
    check(dbx_warehouses_edit(c, id.c_str(), spec), c);
}

inline warehouse warehouses_get(const client &c, const std::string &id)
{
    dbx_warehouse *w = nullptr;
    check(dbx_warehouses_get(&w, c, id.c_str()), c);
    return warehouse(w);
}

inline void warehouses_start(const client &c, const std::string &id) { check(dbx_warehouses_start(c, id.c_str()), c); }
inline void warehouses_stop(const client &c, const std::string &id) { check(dbx_warehouses_stop(c, id.c_str()), c); }
inline void warehouses_delete(const client &c, const std::string &id) { check(dbx_warehouses_delete(c, id.c_str()), c); }

inline warehouses_range warehouses_list(const client &c, const dbx_warehouses_list_options *opts = nullptr)
{
    dbx_warehouses_iter *it = nullptr;
    check(dbx_warehouses_list(&it, c, opts), c);
    return warehouses_range(it, c);
}

/* ---- waits --------------------------------------------------------------------------- */

/** A failed wait (DBX_ESTATE, DBX_ETIMEOUT, DBX_ECANCELLED, ...) with the last snapshot when
 *  one was read (last() may be nullptr). Copyable: copies share the snapshot. */
class warehouse_wait_error : public error {
public:
    warehouse_wait_error(dbx_status st, const dbx_error *e, dbx_warehouse *last)
        : error(st, e), last_(last, dbx_warehouse_free)
    {
    }
    const dbx_warehouse *last() const noexcept { return last_.get(); }

private:
    std::shared_ptr<dbx_warehouse> last_;
};

namespace detail {
inline warehouse wait_warehouse(dbx_status (*fn)(dbx_warehouse **, dbx_client *, const char *,
                                                 const dbx_wait_options *),
                                const client &c, const std::string &id, const dbx_wait_options *opts)
{
    dbx_warehouse *w = nullptr;
    dbx_status st = fn(&w, c, id.c_str(), opts);
    if (st < 0)
        throw warehouse_wait_error(st, dbx_client_last_error(c), w);
    return warehouse(w);
}
} // namespace detail

/** Wait until RUNNING; throws dbx::warehouse_wait_error (STOPPED, DELETING, DELETED, health
 *  FAILED: DBX_ESTATE; DBX_ETIMEOUT; DBX_ECANCELLED). */
inline warehouse warehouses_wait_running(const client &c, const std::string &id,
                                         const dbx_wait_options *opts = nullptr)
{
    return detail::wait_warehouse(dbx_warehouses_wait_running, c, id, opts);
}

inline warehouse warehouses_wait_stopped(const client &c, const std::string &id,
                                         const dbx_wait_options *opts = nullptr)
{
    return detail::wait_warehouse(dbx_warehouses_wait_stopped, c, id, opts);
}

} // namespace dbx

#endif /* DBX_CPP_WAREHOUSES_HPP */
