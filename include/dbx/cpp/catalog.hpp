/*
 * libdbx C++ layer: Unity Catalog (included by dbx/dbx.hpp; do not include alone).
 *
 *   for (const dbx_table *t : dbx::tables_list(c, "main", "sales"))
 *       for (const dbx_column *col : dbx::columns(t))
 *           std::cout << dbx::str(dbx_column_name(col)) << " " << dbx::str(dbx_column_type_text(col));
 *   dbx::table t = dbx::tables_get(c, "main.sales.orders");
 *   for (auto [k, v] : dbx::properties(t.get())) ...            // std::string_view pairs
 *   bool there = dbx::tables_exists(c, "main.sales.orders");
 *
 * Owners (dbx::catalog, dbx::schema, dbx::table, dbx::volume) free with the C _free; ranges
 * over lists yield borrowed const pointers valid until the next step; dbx::columns() and
 * dbx::properties() are index ranges over a result (no allocation). Options are the C structs
 * (dbx_uc_list_options, dbx_uc_create_options, dbx_uc_update_options), nullptr for defaults.
 */
#ifndef DBX_CPP_CATALOG_HPP
#define DBX_CPP_CATALOG_HPP

#include "../dbx.hpp"

namespace dbx {

using catalog = owner<dbx_catalog, dbx_catalog_free>;
using schema = owner<dbx_schema, dbx_schema_free>;
using table = owner<dbx_table, dbx_table_free>;
using volume = owner<dbx_volume, dbx_volume_free>;
using catalogs_iter = owner<dbx_catalogs_iter, dbx_catalogs_iter_free>;
using schemas_iter = owner<dbx_schemas_iter, dbx_schemas_iter_free>;
using tables_iter = owner<dbx_tables_iter, dbx_tables_iter_free>;
using table_summaries_iter = owner<dbx_table_summaries_iter, dbx_table_summaries_iter_free>;
using volumes_iter = owner<dbx_volumes_iter, dbx_volumes_iter_free>;

using catalogs_range = range<dbx_catalogs_iter, dbx_catalog, dbx_catalogs_iter_next, dbx_catalogs_iter_free>;
using schemas_range = range<dbx_schemas_iter, dbx_schema, dbx_schemas_iter_next, dbx_schemas_iter_free>;
using tables_range = range<dbx_tables_iter, dbx_table, dbx_tables_iter_next, dbx_tables_iter_free>;
using table_summaries_range = range<dbx_table_summaries_iter, dbx_table_summary, dbx_table_summaries_iter_next,
                                    dbx_table_summaries_iter_free>;
using volumes_range = range<dbx_volumes_iter, dbx_volume, dbx_volumes_iter_next, dbx_volumes_iter_free>;

/* ---- index ranges over a result: columns and properties ------------------------------ */

/** An index range: range-for yields Get(obj, i) for i in [0, Count(obj)). */
template <class Obj, class Item, size_t (*Count)(const Obj *), Item (*Get)(const Obj *, size_t)>
class index_range {
public:
    explicit index_range(const Obj *o) noexcept : o_(o), n_(o ? Count(o) : 0) {}
    class iterator {
    public:
        iterator(const Obj *o, size_t i) noexcept : o_(o), i_(i) {}
        Item operator*() const noexcept { return Get(o_, i_); }
        iterator &operator++() noexcept
        {
            ++i_;
            return *this;
        }
        bool operator!=(const iterator &x) const noexcept { return i_ != x.i_; }
        bool operator==(const iterator &x) const noexcept { return i_ == x.i_; }

    private:
        const Obj *o_;
        size_t i_;
    };
    iterator begin() const noexcept { return iterator(o_, 0); }
    iterator end() const noexcept { return iterator(o_, n_); }
    size_t size() const noexcept { return n_; }

private:
    const Obj *o_;
    size_t n_;
};

using property = std::pair<std::string_view, std::string_view>;

namespace detail {
template <class Obj, int (*At)(const Obj *, size_t, const char **, const char **)>
inline property property_at(const Obj *o, size_t i) noexcept
{
    const char *k = nullptr, *v = nullptr;
    At(o, i, &k, &v);
    return property(str(k), str(v));
}
} // namespace detail

/** A table's columns in the server's order (borrowed from `t`). */
inline index_range<dbx_table, const dbx_column *, dbx_table_column_count, dbx_table_column>
columns(const dbx_table *t) noexcept
{
    return index_range<dbx_table, const dbx_column *, dbx_table_column_count, dbx_table_column>(t);
}

/** Properties as (key, value) string views, borrowed from the result. */
inline index_range<dbx_catalog, property, dbx_catalog_property_count,
                   detail::property_at<dbx_catalog, dbx_catalog_property_at>>
properties(const dbx_catalog *o) noexcept
{
    return index_range<dbx_catalog, property, dbx_catalog_property_count,
                       detail::property_at<dbx_catalog, dbx_catalog_property_at>>(o);
}
inline index_range<dbx_schema, property, dbx_schema_property_count,
                   detail::property_at<dbx_schema, dbx_schema_property_at>>
properties(const dbx_schema *o) noexcept
{
    return index_range<dbx_schema, property, dbx_schema_property_count,
                       detail::property_at<dbx_schema, dbx_schema_property_at>>(o);
}
inline index_range<dbx_table, property, dbx_table_property_count, detail::property_at<dbx_table, dbx_table_property_at>>
properties(const dbx_table *o) noexcept
{
    return index_range<dbx_table, property, dbx_table_property_count,
                       detail::property_at<dbx_table, dbx_table_property_at>>(o);
}

/* ---- catalogs ------------------------------------------------------------------------ */

inline catalogs_range catalogs_list(const client &c, const dbx_uc_list_options *opts = nullptr)
{
    dbx_catalogs_iter *it = nullptr;
    check(dbx_catalogs_list(&it, c, opts), c);
    return catalogs_range(it, c);
}

inline catalog catalogs_get(const client &c, const std::string &name)
{
    dbx_catalog *p = nullptr;
    check(dbx_catalogs_get(&p, c, name.c_str()), c);
    return catalog(p);
}

inline catalog catalogs_create(const client &c, const std::string &name, const dbx_uc_create_options *opts = nullptr)
{
    dbx_catalog *p = nullptr;
    check(dbx_catalogs_create(&p, c, name.c_str(), opts), c);
    return catalog(p);
}

inline catalog catalogs_update(const client &c, const std::string &name, const dbx_uc_update_options &opts)
{
    dbx_catalog *p = nullptr;
    check(dbx_catalogs_update(&p, c, name.c_str(), &opts), c);
    return catalog(p);
}

inline void catalogs_delete(const client &c, const std::string &name, bool force = false)
{
    check(dbx_catalogs_delete(c, name.c_str(), force ? 1 : 0), c);
}

/* ---- schemas ------------------------------------------------------------------------- */

inline schemas_range schemas_list(const client &c, const std::string &catalog_name,
                                  const dbx_uc_list_options *opts = nullptr)
{
    dbx_schemas_iter *it = nullptr;
    check(dbx_schemas_list(&it, c, catalog_name.c_str(), opts), c);
    return schemas_range(it, c);
}

inline schema schemas_get(const client &c, const std::string &full_name)
{
    dbx_schema *p = nullptr;
    check(dbx_schemas_get(&p, c, full_name.c_str()), c);
    return schema(p);
}

inline schema schemas_create(const client &c, const std::string &catalog_name, const std::string &name,
                             const dbx_uc_create_options *opts = nullptr)
{
    dbx_schema *p = nullptr;
    check(dbx_schemas_create(&p, c, catalog_name.c_str(), name.c_str(), opts), c);
    return schema(p);
}

inline schema schemas_update(const client &c, const std::string &full_name, const dbx_uc_update_options &opts)
{
    dbx_schema *p = nullptr;
    check(dbx_schemas_update(&p, c, full_name.c_str(), &opts), c);
    return schema(p);
}

inline void schemas_delete(const client &c, const std::string &full_name, bool force = false)
{
    check(dbx_schemas_delete(c, full_name.c_str(), force ? 1 : 0), c);
}

/* ---- tables -------------------------------------------------------------------------- */

inline tables_range tables_list(const client &c, const std::string &catalog_name, const std::string &schema_name,
                                const dbx_uc_list_options *opts = nullptr)
{
    dbx_tables_iter *it = nullptr;
    check(dbx_tables_list(&it, c, catalog_name.c_str(), schema_name.c_str(), opts), c);
    return tables_range(it, c);
}

/** Table summaries; empty patterns are not sent. */
inline table_summaries_range tables_list_summaries(const client &c, const std::string &catalog_name,
                                                   const std::string &schema_name_pattern = std::string(),
                                                   const std::string &table_name_pattern = std::string(),
                                                   const dbx_uc_list_options *opts = nullptr)
{
    dbx_table_summaries_iter *it = nullptr;
    check(dbx_tables_list_summaries(&it, c, catalog_name.c_str(),
                                    schema_name_pattern.empty() ? nullptr : schema_name_pattern.c_str(),
                                    table_name_pattern.empty() ? nullptr : table_name_pattern.c_str(), opts),
          c);
    return table_summaries_range(it, c);
}

inline table tables_get(const client &c, const std::string &full_name)
{
    dbx_table *p = nullptr;
    check(dbx_tables_get(&p, c, full_name.c_str()), c);
    return table(p);
}

inline bool tables_exists(const client &c, const std::string &full_name)
{
    int ex = 0;
    check(dbx_tables_exists(&ex, c, full_name.c_str()), c);
    return ex != 0;
}

inline void tables_delete(const client &c, const std::string &full_name)
{
    check(dbx_tables_delete(c, full_name.c_str()), c);
}

inline void tables_update(const client &c, const std::string &full_name, const dbx_uc_update_options &opts)
{
    check(dbx_tables_update(c, full_name.c_str(), &opts), c);
}

inline table tables_create_external(const client &c, const std::string &catalog_name, const std::string &schema_name,
                                    const std::string &name, const dbx_column_def *columns, size_t n_columns,
                                    const dbx_uc_create_options &opts)
{
    dbx_table *p = nullptr;
    check(dbx_tables_create_external(&p, c, catalog_name.c_str(), schema_name.c_str(), name.c_str(), columns,
                                     n_columns, &opts),
          c);
    return table(p);
}

/* ---- volumes ------------------------------------------------------------------------- */

inline volumes_range volumes_list(const client &c, const std::string &catalog_name, const std::string &schema_name,
                                  const dbx_uc_list_options *opts = nullptr)
{
    dbx_volumes_iter *it = nullptr;
    check(dbx_volumes_list(&it, c, catalog_name.c_str(), schema_name.c_str(), opts), c);
    return volumes_range(it, c);
}

inline volume volumes_read(const client &c, const std::string &full_name)
{
    dbx_volume *p = nullptr;
    check(dbx_volumes_read(&p, c, full_name.c_str()), c);
    return volume(p);
}

inline volume volumes_create(const client &c, const std::string &catalog_name, const std::string &schema_name,
                             const std::string &name, dbx_volume_type_t type = DBX_VOLUME_TYPE_MANAGED,
                             const dbx_uc_create_options *opts = nullptr)
{
    dbx_volume *p = nullptr;
    check(dbx_volumes_create(&p, c, catalog_name.c_str(), schema_name.c_str(), name.c_str(), type, opts), c);
    return volume(p);
}

inline volume volumes_update(const client &c, const std::string &full_name, const dbx_uc_update_options &opts)
{
    dbx_volume *p = nullptr;
    check(dbx_volumes_update(&p, c, full_name.c_str(), &opts), c);
    return volume(p);
}

inline void volumes_delete(const client &c, const std::string &full_name)
{
    check(dbx_volumes_delete(c, full_name.c_str()), c);
}

} // namespace dbx

#endif /* DBX_CPP_CATALOG_HPP */
