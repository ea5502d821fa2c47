/*
 * libdbx C++ layer: the MLflow model registries, workspace and Unity Catalog
 * (include/dbx/registry.h; included by dbx/dbx.hpp; do not include alone).
 *
 *   dbx::model_version v = dbx::registry_version_get(c, DBX_REGISTRY_UC, "ml.prod.fraud", 3);
 *   std::string_view status = dbx::str(dbx_model_version_status_str(v.get()));
 *   for (const dbx_model_version *mv : dbx::registry_versions_search(c, DBX_REGISTRY_DEFAULT, "fraud"))
 *       ...
 *   for (auto [k, v] : dbx::tags(v.get())) ...          // std::string_view pairs
 *   for (auto [alias, version] : dbx::aliases(model.get())) ...
 *
 * Owners: dbx::registered_model, dbx::model_version, and the two iterators. Options are the C
 * structs (append-only, versioned) passed by pointer, nullptr for the defaults. Waits and the
 * UC registration return the READY version; on failure they throw dbx::registry_wait_error,
 * which also carries the last snapshot (and, for the registration, the version number left on
 * the server).
 */
#ifndef DBX_CPP_REGISTRY_HPP
#define DBX_CPP_REGISTRY_HPP

#include <cstdint>
#include <string>
#include <utility>

#include "../dbx.hpp"

namespace dbx {

using registered_model = owner<dbx_registered_model, dbx_registered_model_free>;
using model_version = owner<dbx_model_version, dbx_model_version_free>;
using registered_models_iter = owner<dbx_registered_models_iter, dbx_registered_models_iter_free>;
using model_versions_iter = owner<dbx_model_versions_iter, dbx_model_versions_iter_free>;

using registered_models_range = range<dbx_registered_models_iter, dbx_registered_model,
                                      dbx_registered_models_iter_next, dbx_registered_models_iter_free>;
using model_versions_range =
    range<dbx_model_versions_iter, dbx_model_version, dbx_model_versions_iter_next, dbx_model_versions_iter_free>;

/* ---- tags and aliases as index ranges (borrowed from the result, no allocation) ------- */

/** A (key, value) or (alias, version) entry. */
using registry_tag_view = std::pair<std::string_view, std::string_view>;
using registry_alias_view = std::pair<std::string_view, int64_t>;

namespace detail {
template <class Obj, const char *(*Key)(const Obj *, size_t), const char *(*Value)(const Obj *, size_t)>
inline registry_tag_view registry_tag_at(const Obj *o, size_t i) noexcept
{
    return registry_tag_view(str(Key(o, i)), str(Value(o, i)));
}
inline registry_alias_view model_alias_at(const dbx_registered_model *m, size_t i) noexcept
{
    return registry_alias_view(str(dbx_registered_model_alias(m, i)), dbx_registered_model_alias_version(m, i));
}
inline std::string_view version_alias_at(const dbx_model_version *v, size_t i) noexcept
{
    return str(dbx_model_version_alias(v, i));
}
} // namespace detail

using registered_model_tags =
    index_range<dbx_registered_model, registry_tag_view, dbx_registered_model_tag_count,
                detail::registry_tag_at<dbx_registered_model, dbx_registered_model_tag_key,
                                        dbx_registered_model_tag_value>>;
using model_version_tags =
    index_range<dbx_model_version, registry_tag_view, dbx_model_version_tag_count,
                detail::registry_tag_at<dbx_model_version, dbx_model_version_tag_key, dbx_model_version_tag_value>>;
using registered_model_aliases = index_range<dbx_registered_model, registry_alias_view,
                                             dbx_registered_model_alias_count, detail::model_alias_at>;
using model_version_aliases =
    index_range<dbx_model_version, std::string_view, dbx_model_version_alias_count, detail::version_alias_at>;

/** A model's tags as (key, value) views. */
inline registered_model_tags tags(const dbx_registered_model *m) noexcept { return registered_model_tags(m); }
/** A version's tags as (key, value) views. */
inline model_version_tags tags(const dbx_model_version *v) noexcept { return model_version_tags(v); }
/** A model's aliases as (alias, version). */
inline registered_model_aliases aliases(const dbx_registered_model *m) noexcept
{
    return registered_model_aliases(m);
}
/** The aliases pointing at a version. */
inline model_version_aliases aliases(const dbx_model_version *v) noexcept { return model_version_aliases(v); }

/* ---- errors of waits ------------------------------------------------------------------ */

/** A failed wait or registration: the error, the last snapshot (may be empty) and, for
 *  registry_register_uc_version, the version created before the failure (0: none). */
class registry_wait_error : public error {
public:
    registry_wait_error(dbx_status st, const dbx_error *e, model_version last, int64_t version)
        : error(st, e), last_(std::move(last)), version_(version)
    {
    }
    const dbx_model_version *last() const noexcept { return last_.get(); }
    int64_t version() const noexcept { return version_; }

private:
    std::shared_ptr<dbx_model_version> last_; /* copyable, as exceptions must be */
    int64_t version_;
};

/* ---- registered models ------------------------------------------------------------------- */

inline registered_model registry_model_create(const client &c, dbx_registry_t reg, const std::string &name,
                                              const dbx_registry_model_create_options *opts = nullptr)
{
    dbx_registered_model *m = nullptr;
    check(dbx_registry_model_create(&m, c, reg, name.c_str(), opts), c);
    return registered_model(m);
}

inline registered_model registry_model_get(const client &c, dbx_registry_t reg, const std::string &name)
{
    dbx_registered_model *m = nullptr;
    check(dbx_registry_model_get(&m, c, reg, name.c_str()), c);
    return registered_model(m);
}

inline registered_model registry_model_rename(const client &c, dbx_registry_t reg, const std::string &name,
                                              const std::string &new_name)
{
    dbx_registered_model *m = nullptr;
    check(dbx_registry_model_rename(&m, c, reg, name.c_str(), new_name.c_str()), c);
    return registered_model(m);
}

inline registered_model registry_model_update(const client &c, dbx_registry_t reg, const std::string &name,
                                              const std::string &description)
{
    dbx_registered_model *m = nullptr;
    check(dbx_registry_model_update(&m, c, reg, name.c_str(), description.c_str()), c);
    return registered_model(m);
}

inline void registry_model_delete(const client &c, dbx_registry_t reg, const std::string &name)
{
    check(dbx_registry_model_delete(c, reg, name.c_str()), c);
}

inline void registry_model_set_tag(const client &c, dbx_registry_t reg, const std::string &name,
                                   const std::string &key, const std::string &value)
{
    check(dbx_registry_model_set_tag(c, reg, name.c_str(), key.c_str(), value.c_str()), c);
}

inline void registry_model_delete_tag(const client &c, dbx_registry_t reg, const std::string &name,
                                      const std::string &key)
{
    check(dbx_registry_model_delete_tag(c, reg, name.c_str(), key.c_str()), c);
}

inline registered_models_range registry_models_search(const client &c, dbx_registry_t reg,
                                                      const dbx_registry_models_search_options *opts = nullptr)
{
    dbx_registered_models_iter *it = nullptr;
    check(dbx_registry_models_search(&it, c, reg, opts), c);
    return registered_models_range(it, c);
}

/* ---- versions --------------------------------------------------------------------------- */

inline model_version registry_version_create(const client &c, dbx_registry_t reg, const std::string &name,
                                             const std::string &source,
                                             const dbx_registry_version_create_options *opts = nullptr)
{
    dbx_model_version *v = nullptr;
    check(dbx_registry_version_create(&v, c, reg, name.c_str(), source.c_str(), opts), c);
    return model_version(v);
}

inline model_version registry_version_get(const client &c, dbx_registry_t reg, const std::string &name,
                                          int64_t version)
{
    dbx_model_version *v = nullptr;
    check(dbx_registry_version_get(&v, c, reg, name.c_str(), version), c);
    return model_version(v);
}

inline model_version registry_version_update(const client &c, dbx_registry_t reg, const std::string &name,
                                             int64_t version, const std::string &description)
{
    dbx_model_version *v = nullptr;
    check(dbx_registry_version_update(&v, c, reg, name.c_str(), version, description.c_str()), c);
    return model_version(v);
}

inline void registry_version_delete(const client &c, dbx_registry_t reg, const std::string &name, int64_t version)
{
    check(dbx_registry_version_delete(c, reg, name.c_str(), version), c);
}

/** Versions of `name` (workspace: name may be empty for every model's). */
inline model_versions_range registry_versions_search(const client &c, dbx_registry_t reg, const std::string &name,
                                                     const dbx_registry_versions_search_options *opts = nullptr)
{
    dbx_model_versions_iter *it = nullptr;
    check(dbx_registry_versions_search(&it, c, reg, name.empty() ? nullptr : name.c_str(), opts), c);
    return model_versions_range(it, c);
}

/** Latest READY version per stage (workspace only); `stages` NULL-terminated or nullptr. */
inline model_versions_range registry_versions_latest(const client &c, dbx_registry_t reg, const std::string &name,
                                                     const char *const *stages = nullptr)
{
    dbx_model_versions_iter *it = nullptr;
    check(dbx_registry_versions_latest(&it, c, reg, name.c_str(), stages), c);
    return model_versions_range(it, c);
}

inline model_version registry_version_transition_stage(const client &c, dbx_registry_t reg,
                                                       const std::string &name, int64_t version,
                                                       const std::string &stage,
                                                       bool archive_existing_versions = false,
                                                       const char *comment = nullptr)
{
    dbx_model_version *v = nullptr;
    check(dbx_registry_version_transition_stage(&v, c, reg, name.c_str(), version, stage.c_str(),
                                                archive_existing_versions ? 1 : 0, comment),
          c);
    return model_version(v);
}

inline std::string registry_version_download_uri(const client &c, dbx_registry_t reg, const std::string &name,
                                                 int64_t version)
{
    char *uri = nullptr;
    check(dbx_registry_version_download_uri(&uri, c, reg, name.c_str(), version), c);
    return take_string(uri);
}

inline void registry_version_set_tag(const client &c, dbx_registry_t reg, const std::string &name,
                                     int64_t version, const std::string &key, const std::string &value)
{
    check(dbx_registry_version_set_tag(c, reg, name.c_str(), version, key.c_str(), value.c_str()), c);
}

inline void registry_version_delete_tag(const client &c, dbx_registry_t reg, const std::string &name,
                                        int64_t version, const std::string &key)
{
    check(dbx_registry_version_delete_tag(c, reg, name.c_str(), version, key.c_str()), c);
}

inline model_version registry_version_finalize(const client &c, dbx_registry_t reg, const std::string &name,
                                               int64_t version)
{
    dbx_model_version *v = nullptr;
    check(dbx_registry_version_finalize(&v, c, reg, name.c_str(), version), c);
    return model_version(v);
}

/** Wait until READY; throws dbx::registry_wait_error (DBX_ESTATE for FAILED_REGISTRATION,
 *  DBX_ETIMEOUT, DBX_ECANCELLED) carrying the last snapshot. */
inline model_version registry_version_wait_ready(const client &c, dbx_registry_t reg, const std::string &name,
                                                 int64_t version, const dbx_wait_options *opts = nullptr)
{
    dbx_model_version *v = nullptr;
    dbx_status st = dbx_registry_version_wait_ready(&v, c, reg, name.c_str(), version, opts);
    model_version own(v);
    if (st < 0)
        throw registry_wait_error(st, dbx_client_last_error(c), std::move(own), version);
    return own;
}

/* ---- aliases ----------------------------------------------------------------------------- */

inline void registry_alias_set(const client &c, dbx_registry_t reg, const std::string &name,
                               const std::string &alias, int64_t version)
{
    check(dbx_registry_alias_set(c, reg, name.c_str(), alias.c_str(), version), c);
}

inline void registry_alias_delete(const client &c, dbx_registry_t reg, const std::string &name,
                                  const std::string &alias)
{
    check(dbx_registry_alias_delete(c, reg, name.c_str(), alias.c_str()), c);
}

inline model_version registry_version_get_by_alias(const client &c, dbx_registry_t reg, const std::string &name,
                                                   const std::string &alias)
{
    dbx_model_version *v = nullptr;
    check(dbx_registry_version_get_by_alias(&v, c, reg, name.c_str(), alias.c_str()), c);
    return model_version(v);
}

/* ---- Unity Catalog registration in one call ------------------------------------------------ */

/** Register a local MLflow model directory as a new UC version (create, upload, finalize,
 *  wait). Returns the READY version; throws dbx::registry_wait_error whose version() is the
 *  number left on the server when the failure came after the version was created. */
inline model_version registry_register_uc_version(const client &c, const std::string &name,
                                                  const std::string &local_dir,
                                                  const dbx_registry_register_options *opts = nullptr)
{
    dbx_model_version *v = nullptr;
    int64_t version = 0;
    dbx_status st = dbx_registry_register_uc_version(&v, &version, c, name.c_str(), local_dir.c_str(), opts);
    model_version own(v);
    if (st < 0)
        throw registry_wait_error(st, dbx_client_last_error(c), std::move(own), version);
    return own;
}

} // namespace dbx

#endif /* DBX_CPP_REGISTRY_HPP */
