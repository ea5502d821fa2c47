/*
 * libdbx C++ layer: the Clusters API (included by dbx/dbx.hpp; do not include alone).
 */
#ifndef DBX_CPP_CLUSTERS_HPP
#define DBX_CPP_CLUSTERS_HPP

#include "../dbx.hpp"

namespace dbx {

using cluster = owner<dbx_cluster, dbx_cluster_free>;
using cluster_spec = owner<dbx_cluster_spec, dbx_cluster_spec_free>;
using spark_versions = owner<dbx_spark_versions, dbx_spark_versions_free>;
using node_types = owner<dbx_node_types, dbx_node_types_free>;
using clusters_iter = owner<dbx_clusters_iter, dbx_clusters_iter_free>;
using cluster_events_iter = owner<dbx_cluster_events_iter, dbx_cluster_events_iter_free>;

using clusters_range = range<dbx_clusters_iter, dbx_cluster, dbx_clusters_iter_next, dbx_clusters_iter_free>;
using cluster_events_range =
    range<dbx_cluster_events_iter, dbx_cluster_event, dbx_cluster_events_iter_next, dbx_cluster_events_iter_free>;

/* ---- clusters ------------------------------------------------------------------------ */

inline cluster_spec cluster_spec_from_json(const std::string &json)
{
    dbx_cluster_spec *s = nullptr;
    check(dbx_cluster_spec_from_json(&s, json.c_str()));
    return cluster_spec(s);
}

inline std::string clusters_create(const client &c, const dbx_cluster_spec *spec)
{
    char *id = nullptr;
    check(dbx_clusters_create(&id, c, spec), c);
    return take_string(id);
}

inline cluster clusters_get(const client &c, const std::string &cluster_id)
{
    dbx_cluster *cl = nullptr;
    check(dbx_clusters_get(&cl, c, cluster_id.c_str()), c);
    return cluster(cl);
}

inline void clusters_start(const client &c, const std::string &id) { check(dbx_clusters_start(c, id.c_str()), c); }
inline void clusters_delete(const client &c, const std::string &id) { check(dbx_clusters_delete(c, id.c_str()), c); }
inline void clusters_permanent_delete(const client &c, const std::string &id)
{
    check(dbx_clusters_permanent_delete(c, id.c_str()), c);
}
inline void clusters_resize(const client &c, const std::string &id, int num_workers)
{
    check(dbx_clusters_resize(c, id.c_str(), num_workers), c);
}

inline clusters_range clusters_list(const client &c, const dbx_clusters_list_options *opts = nullptr)
{
    dbx_clusters_iter *it = nullptr;
    check(dbx_clusters_list(&it, c, opts), c);
    return clusters_range(it, c);
}

inline cluster_events_range clusters_events(const client &c, const std::string &id,
                                            const dbx_cluster_events_options *opts = nullptr)
{
    dbx_cluster_events_iter *it = nullptr;
    check(dbx_clusters_events(&it, c, id.c_str(), opts), c);
    return cluster_events_range(it, c);
}

/** Wait until RUNNING; throws dbx::error (DBX_ESTATE, DBX_ETIMEOUT, ...). The last snapshot
 *  is returned on success; on failure it is discarded (use the C call to keep it). */
inline cluster clusters_wait_running(const client &c, const std::string &id, const dbx_wait_options *opts = nullptr)
{
    dbx_cluster *cl = nullptr;
    dbx_status st = dbx_clusters_wait_running(&cl, c, id.c_str(), opts);
    cluster own(cl);
    check(st, c);
    return own;
}

inline cluster clusters_wait_terminated(const client &c, const std::string &id,
                                        const dbx_wait_options *opts = nullptr)
{
    dbx_cluster *cl = nullptr;
    dbx_status st = dbx_clusters_wait_terminated(&cl, c, id.c_str(), opts);
    cluster own(cl);
    check(st, c);
    return own;
}

} // namespace dbx

#endif /* DBX_CPP_CLUSTERS_HPP */
