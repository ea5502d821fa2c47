/*
 * libdbx C++ layer: Delta table helpers (included by dbx/dbx.hpp; do not include alone).
 *
 *   dbx::delta_table_spec spec;
 *   spec.add_column("id", "BIGINT", true).add_columns("name STRING, amount DECIMAL(10,2)");
 *   dbx::delta_create_table(c, wh, "main.default.t", spec);
 *   dbx::delta_rowset rows({"id", "name", "amount"});
 *   rows.row(1, "a", dbx::delta_typed{"12.50", "DECIMAL(10,2)"}).row(2, nullptr, nullptr);
 *   int64_t n = dbx::delta_append(c, wh, "main.default.t", rows);
 *   dbx::delta_read_options ro;
 *   ro.version = 1;
 *   for (const dbx::sql_row &r : dbx::delta_read(c, wh, "main.default.t", ro))
 *       std::optional<int64_t> id = r.int64(0);
 *   for (const dbx::delta_history_entry &h : dbx::delta_describe_history(c, wh, "main.default.t"))
 *       std::cout << h.version() << " " << h.operation();
 *
 * - Owners: dbx::delta_table_spec and dbx::delta_rowset (builders), dbx::delta_rows (a range
 *   over the rows of a read, yielding the dbx::sql_row views of sql.hpp; it closes the
 *   statement when destroyed), dbx::delta_history (a range of entries).
 * - Errors: dbx::error (a statement that ended FAILED is DBX_ESTATE with the server's error
 *   code, message and SQL state in what()); an append / upsert that failed after some batches
 *   were written throws dbx::delta_write_error, which says how many rows they held.
 * - Strings are std::string_view borrowed from the owner (history) or the current row.
 */
#ifndef DBX_CPP_DELTA_HPP
#define DBX_CPP_DELTA_HPP

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "../dbx.hpp"

namespace dbx {

using delta_table_spec_ptr = owner<dbx_delta_table_spec, dbx_delta_table_spec_free>;
using delta_rowset_ptr = owner<dbx_delta_rowset, dbx_delta_rowset_free>;
using delta_history_ptr = owner<dbx_delta_history, dbx_delta_history_free>;

/* ---- quoting -------------------------------------------------------------------------- */

namespace detail {
inline std::string delta_quote(dbx_status (*fn)(char **, const char *), const std::string &s)
{
    char *out = nullptr;
    check(fn(&out, s.c_str()));
    return take_string(out);
}
inline std::vector<const char *> c_strs(const std::vector<std::string> &v)
{
    std::vector<const char *> out;
    out.reserve(v.size());
    for (const std::string &s : v)
        out.push_back(s.c_str());
    return out;
}
} // namespace detail

/** "main.default.t" -> "`main`.`default`.`t`" (throws dbx::error for a refused name). */
inline std::string delta_quote_name(const std::string &name) { return detail::delta_quote(dbx_delta_quote_name, name); }
/** One raw column name: "a`b" -> "`a``b`". */
inline std::string delta_quote_column(const std::string &column)
{
    return detail::delta_quote(dbx_delta_quote_column, column);
}
/** A Spark SQL string literal holding `text` exactly. */
inline std::string delta_quote_literal(const std::string &text)
{
    return detail::delta_quote(dbx_delta_quote_literal, text);
}

/* ---- table specs ----------------------------------------------------------------------- */

/** A table definition (every string checked and copied when added). */
class delta_table_spec {
public:
    delta_table_spec()
    {
        dbx_delta_table_spec *s = nullptr;
        check(dbx_delta_table_spec_new(&s));
        p_.reset(s);
    }
    /** A column of the allow-listed types ("BIGINT", "DECIMAL(10,2)", ...). */
    delta_table_spec &add_column(const std::string &name, const std::string &type, bool not_null = false,
                                 const char *comment = nullptr)
    {
        check(dbx_delta_table_spec_add_column(p_.get(), name.c_str(), type.c_str(), not_null ? 1 : 0, comment));
        return *this;
    }
    /** Column-spec text: "id BIGINT NOT NULL COMMENT 'k', `a b` STRING". */
    delta_table_spec &add_columns(const std::string &columns)
    {
        check(dbx_delta_table_spec_add_columns(p_.get(), columns.c_str()));
        return *this;
    }
    delta_table_spec &partition_by(const std::string &column)
    {
        check(dbx_delta_table_spec_add_partition_column(p_.get(), column.c_str()));
        return *this;
    }
    /** The table COMMENT (nullptr clears it). */
    delta_table_spec &comment(const char *text)
    {
        check(dbx_delta_table_spec_set_comment(p_.get(), text));
        return *this;
    }
    delta_table_spec &property(const std::string &key, const std::string &value)
    {
        check(dbx_delta_table_spec_set_property(p_.get(), key.c_str(), value.c_str()));
        return *this;
    }
    delta_table_spec &if_not_exists(bool on = true)
    {
        check(dbx_delta_table_spec_set_if_not_exists(p_.get(), on ? 1 : 0));
        return *this;
    }
    /** The CREATE TABLE statement for `table`. */
    std::string to_sql(const std::string &table) const
    {
        char *out = nullptr;
        check(dbx_delta_table_spec_to_sql(&out, p_.get(), table.c_str()));
        return take_string(out);
    }
    const dbx_delta_table_spec *get() const noexcept { return p_.get(); }

private:
    delta_table_spec_ptr p_;
};

inline void delta_create_table(const client &c, const std::string &warehouse_id, const std::string &table,
                               const delta_table_spec &spec, const dbx_delta_options *opts = nullptr)
{
    check(dbx_delta_create_table(c, warehouse_id.c_str(), table.c_str(), spec.get(), opts), c);
}

/* ---- bulk load -------------------------------------------------------------------------- */

struct delta_load_result {
    int64_t rows_loaded;     /**< num_affected_rows of COPY INTO; -1 when none */
    std::string staged_path; /**< the file staged in the volume (deleted unless kept) */
};

/** Upload `local_path` to `volume_dir`, COPY INTO `table` from it, delete the staged file. */
inline delta_load_result delta_load_file(const client &c, const std::string &warehouse_id, const std::string &table,
                                         const std::string &local_path, const std::string &volume_dir,
                                         const dbx_delta_load_options *load = nullptr,
                                         const dbx_delta_options *opts = nullptr)
{
    int64_t n = -1;
    char *staged = nullptr;
    dbx_status st = dbx_delta_load_file(&n, &staged, c, warehouse_id.c_str(), table.c_str(), local_path.c_str(),
                                        volume_dir.c_str(), load, opts);
    std::string path = take_string(staged);
    check(st, c);
    return delta_load_result{n, std::move(path)};
}

/* ---- row sets ----------------------------------------------------------------------------- */

/** A value sent as text of an explicit SQL type: {"12.50", "DECIMAL(10,2)"}, {"2024-01-31", "DATE"}. */
struct delta_typed {
    std::optional<std::string> text; /**< nullopt: SQL NULL of that type */
    std::string type;
};

/** Rows of typed values for fixed columns: add one value per column, then end the row. */
class delta_rowset {
public:
    explicit delta_rowset(const std::vector<std::string> &columns)
    {
        std::vector<const char *> cs = detail::c_strs(columns);
        dbx_delta_rowset *r = nullptr;
        check(dbx_delta_rowset_new(&r, cs.data(), cs.size()));
        p_.reset(r);
    }
    delta_rowset(std::initializer_list<std::string> columns) : delta_rowset(std::vector<std::string>(columns)) {}

    /** SQL NULL (typed from the column's other values, STRING when none). */
    delta_rowset &add(std::nullptr_t) { return put(dbx_delta_rowset_add_null(p_.get())); }
    /** STRING (nullptr: SQL NULL). */
    delta_rowset &add(const char *s) { return put(dbx_delta_rowset_add_string(p_.get(), s)); }
    delta_rowset &add(const std::string &s) { return add(s.c_str()); }
    delta_rowset &add(std::string_view s) { return add(std::string(s)); }
    delta_rowset &add(bool b) { return put(dbx_delta_rowset_add_bool(p_.get(), b ? 1 : 0)); }
    /** Integers: BIGINT (an unsigned value past INT64_MAX: DECIMAL(20,0)). */
    template <class T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>, int> = 0>
    delta_rowset &add(T v)
    {
        if constexpr (std::is_unsigned_v<T>) {
            if (static_cast<unsigned long long>(v) > static_cast<unsigned long long>(std::numeric_limits<int64_t>::max()))
                return add(delta_typed{std::to_string(v), "DECIMAL(20,0)"});
        }
        return put(dbx_delta_rowset_add_int64(p_.get(), static_cast<int64_t>(v)));
    }
    /** DOUBLE (finite values only). */
    template <class T, std::enable_if_t<std::is_floating_point_v<T>, int> = 0>
    delta_rowset &add(T v)
    {
        return put(dbx_delta_rowset_add_double(p_.get(), static_cast<double>(v)));
    }
    delta_rowset &add(const delta_typed &v)
    {
        return put(dbx_delta_rowset_add_value(p_.get(), v.text ? v.text->c_str() : nullptr, v.type.c_str()));
    }
    /** An optional value: nullopt is SQL NULL. */
    template <class T>
    delta_rowset &add(const std::optional<T> &v)
    {
        return v ? add(*v) : add(nullptr);
    }
    /** End the current row (it must have a value for every column). */
    delta_rowset &end_row() { return put(dbx_delta_rowset_end_row(p_.get())); }
    /** A whole row: rows.row(1, "a", 2.5). */
    template <class... A>
    delta_rowset &row(const A &...values)
    {
        (add(values), ...);
        return end_row();
    }
    /** Complete rows so far. */
    size_t size() const noexcept { return dbx_delta_rowset_count(p_.get()); }
    void clear() noexcept { dbx_delta_rowset_clear(p_.get()); }
    const dbx_delta_rowset *get() const noexcept { return p_.get(); }

private:
    delta_rowset &put(dbx_status st)
    {
        check(st);
        return *this;
    }
    delta_rowset_ptr p_;
};

/** An append / upsert that failed: rows_written() rows of earlier batches stay written. */
class delta_write_error : public error {
public:
    delta_write_error(dbx_status st, const dbx_error *e, int64_t rows) : error(st, e), rows_(rows) {}
    int64_t rows_written() const noexcept { return rows_; }

private:
    int64_t rows_;
};

/** INSERT the rows, in batches (dbx_delta_options.batch_rows / max_statement_bytes); the rows written. */
inline int64_t delta_append(const client &c, const std::string &warehouse_id, const std::string &table,
                            const delta_rowset &rows, const dbx_delta_options *opts = nullptr)
{
    int64_t n = 0;
    dbx_status st = dbx_delta_append(&n, c, warehouse_id.c_str(), table.c_str(), rows.get(), opts);
    if (st < 0)
        throw delta_write_error(st, dbx_client_last_error(c), n);
    return n;
}

/** MERGE the rows by `keys`; the rows affected (-1 when the server reported none). */
inline int64_t delta_upsert(const client &c, const std::string &warehouse_id, const std::string &table,
                            const std::vector<std::string> &keys, const delta_rowset &rows,
                            const dbx_delta_options *opts = nullptr)
{
    std::vector<const char *> ks = detail::c_strs(keys);
    int64_t n = 0;
    dbx_status st = dbx_delta_upsert(&n, c, warehouse_id.c_str(), table.c_str(), ks.data(), ks.size(), rows.get(), opts);
    if (st < 0)
        throw delta_write_error(st, dbx_client_last_error(c), n > 0 ? n : 0);
    return n;
}

/* ---- read ------------------------------------------------------------------------------------ */

/** What dbx::delta_read selects. */
struct delta_read_options {
    std::optional<int64_t> version;       /**< VERSION AS OF */
    std::optional<std::string> timestamp; /**< TIMESTAMP AS OF */
    std::vector<std::string> columns;     /**< empty: * */
    int64_t limit = 0;                    /**< 0: no LIMIT */
    const dbx_sql_execute_options *execute = nullptr;
    const dbx_sql_rows_options *rows = nullptr;
};

/** The rows of a read (single pass; range-for yields dbx::sql_row views). Destroying it
 *  closes the statement. */
class delta_rows {
public:
    delta_rows(dbx_sql_rows *r, const dbx_client *c) noexcept : r_(r), c_(c) {}
    class iterator {
    public:
        using value_type = sql_row;
        iterator() = default;
        explicit iterator(delta_rows *r) : r_(r) { step(); }
        sql_row operator*() const noexcept { return sql_row(r_->r_.get(), r_->c_); }
        iterator &operator++()
        {
            step();
            return *this;
        }
        bool operator==(const iterator &o) const noexcept { return r_ == o.r_; }
        bool operator!=(const iterator &o) const noexcept { return r_ != o.r_; }

    private:
        void step()
        {
            dbx_status st = dbx_sql_rows_next(r_->r_.get());
            if (st == DBX_DONE)
                r_ = nullptr;
            else
                check(st, r_->c_);
        }
        delta_rows *r_ = nullptr;
    };
    iterator begin() { return iterator(this); }
    iterator end() { return iterator(); }
    int columns() const noexcept { return dbx_sql_rows_column_count(r_.get()); }
    int column_index(const char *name) const noexcept { return dbx_sql_rows_column_index(r_.get(), name); }
    /** The statement read (its manifest: column names and types); borrowed. */
    const dbx_sql_statement *statement() const noexcept { return dbx_sql_rows_statement(r_.get()); }
    std::string_view column_name(int i) const noexcept { return str(dbx_sql_statement_column_name(statement(), i)); }
    dbx_sql_type_t column_type(int i) const noexcept { return dbx_sql_statement_column_type(statement(), i); }
    bool truncated() const noexcept { return dbx_sql_rows_truncated(r_.get()) != 0; }
    dbx_sql_rows *get() const noexcept { return r_.get(); }

private:
    sql_rows_ptr r_;
    const dbx_client *c_;
};

/** SELECT ... FROM table [VERSION | TIMESTAMP AS OF] [LIMIT], waited for. */
inline delta_rows delta_read(const client &c, const std::string &warehouse_id, const std::string &table,
                             const delta_read_options &read = {}, const dbx_delta_options *opts = nullptr)
{
    dbx_delta_read_options ro;
    dbx_delta_read_options_init(&ro);
    if (read.version) {
        ro.as_of = DBX_DELTA_AS_OF_VERSION;
        ro.table_version = *read.version;
    } else if (read.timestamp) {
        ro.as_of = DBX_DELTA_AS_OF_TIMESTAMP;
        ro.timestamp = read.timestamp->c_str();
    }
    std::vector<const char *> cs = detail::c_strs(read.columns);
    ro.columns = cs.empty() ? nullptr : cs.data();
    ro.n_columns = cs.size();
    ro.limit = read.limit;
    ro.execute = read.execute;
    ro.rows = read.rows;
    dbx_sql_rows *r = nullptr;
    check(dbx_delta_read(&r, c, warehouse_id.c_str(), table.c_str(), &ro, opts), c);
    return delta_rows(r, c);
}

/* ---- history ----------------------------------------------------------------------------------- */

/** One entry of a dbx::delta_history (a view: valid while the history lives). */
class delta_history_entry {
public:
    delta_history_entry(const dbx_delta_history *h, size_t i) noexcept : h_(h), i_(i) {}
    int64_t version() const noexcept { return dbx_delta_history_version(h_, i_); }
    std::string_view timestamp() const noexcept { return str(dbx_delta_history_timestamp(h_, i_)); }
    /** Epoch milliseconds (-1 when absent). */
    int64_t timestamp_ms() const noexcept { return dbx_delta_history_timestamp_ms(h_, i_); }
    std::string_view operation() const noexcept { return str(dbx_delta_history_operation(h_, i_)); }
    std::string_view user() const noexcept { return str(dbx_delta_history_user(h_, i_)); }
    /** JSON text ("{}" when absent). */
    std::string_view operation_parameters() const noexcept
    {
        return str(dbx_delta_history_operation_parameters(h_, i_));
    }
    std::string_view operation_metrics() const noexcept { return str(dbx_delta_history_operation_metrics(h_, i_)); }

private:
    const dbx_delta_history *h_;
    size_t i_;
};

/** DESCRIBE HISTORY, newest first: a random-access range of entries. */
class delta_history {
public:
    explicit delta_history(dbx_delta_history *h) noexcept : p_(h) {}
    size_t size() const noexcept { return dbx_delta_history_count(p_.get()); }
    delta_history_entry operator[](size_t i) const noexcept { return delta_history_entry(p_.get(), i); }
    class iterator {
    public:
        using value_type = delta_history_entry;
        iterator(const dbx_delta_history *h, size_t i) noexcept : h_(h), i_(i) {}
        delta_history_entry operator*() const noexcept { return delta_history_entry(h_, i_); }
        iterator &operator++() noexcept
        {
            ++i_;
            return *this;
        }
        bool operator==(const iterator &o) const noexcept { return i_ == o.i_; }
        bool operator!=(const iterator &o) const noexcept { return i_ != o.i_; }

    private:
        const dbx_delta_history *h_;
        size_t i_;
    };
    iterator begin() const noexcept { return iterator(p_.get(), 0); }
    iterator end() const noexcept { return iterator(p_.get(), size()); }
    const dbx_delta_history *get() const noexcept { return p_.get(); }

private:
    delta_history_ptr p_;
};

inline delta_history delta_describe_history(const client &c, const std::string &warehouse_id,
                                            const std::string &table, int64_t limit = 0,
                                            const dbx_delta_options *opts = nullptr)
{
    dbx_delta_history *h = nullptr;
    check(dbx_delta_describe_history(&h, c, warehouse_id.c_str(), table.c_str(), limit, opts), c);
    return delta_history(h);
}

/* ---- maintenance ------------------------------------------------------------------------------- */

inline void delta_optimize(const client &c, const std::string &warehouse_id, const std::string &table,
                           const std::vector<std::string> &zorder_by = {}, const dbx_delta_options *opts = nullptr)
{
    std::vector<const char *> z = detail::c_strs(zorder_by);
    check(dbx_delta_optimize(c, warehouse_id.c_str(), table.c_str(), z.empty() ? nullptr : z.data(), z.size(), opts),
          c);
}

/** retain_hours < 0: the table's retention. */
inline void delta_vacuum(const client &c, const std::string &warehouse_id, const std::string &table,
                         int64_t retain_hours = -1, const dbx_delta_options *opts = nullptr)
{
    check(dbx_delta_vacuum(c, warehouse_id.c_str(), table.c_str(), retain_hours, opts), c);
}

} // namespace dbx

#endif /* DBX_CPP_DELTA_HPP */
