/*
 * libdbx C++ layer: SQL statement execution (included by dbx/dbx.hpp; do not include alone).
 *
 *   dbx::sql_params p;
 *   p.add("city", "Zürich").add("n", int64_t{5});
 *   dbx::sql_statement st = dbx::sql_run(c, "wh-id", "SELECT name, age FROM t WHERE city = :city", &p);
 *   for (const dbx::sql_row &row : dbx::sql_rows(c, st.get())) {
 *       std::optional<std::string_view> name = row.str(0);   // nullopt for SQL NULL
 *       std::optional<int64_t> age = row.int64(1);
 *   }
 *   dbx::sql_chunks_stream(c, csv.get(), [&](int chunk, std::string_view piece) { ... });
 *
 * - Owners: dbx::sql_statement, dbx::sql_params (a builder), dbx::sql_rows (a range over every
 *   row of every chunk; range-for yields dbx::sql_row views valid until the next step).
 * - Errors: dbx::error; a statement that ended FAILED / CANCELED / CLOSED throws
 *   dbx::sql_failed, which keeps the statement (state, error code, message, SQL state).
 * - Typed reads return std::optional (nullopt for SQL NULL) and throw dbx::error when the text
 *   does not convert; strings are std::string_view borrowed from the iterator.
 * - A chunk callable's exception stops the stream and is rethrown once libdbx has returned.
 */
#ifndef DBX_CPP_SQL_HPP
#define DBX_CPP_SQL_HPP

#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "../dbx.hpp"

namespace dbx {

using sql_statement = owner<dbx_sql_statement, dbx_sql_statement_free>;
using sql_params_ptr = owner<dbx_sql_params, dbx_sql_params_free>;
using sql_rows_ptr = owner<dbx_sql_rows, dbx_sql_rows_free>;

/** A statement that ended FAILED, CANCELED or CLOSED (DBX_ESTATE), with its last snapshot. */
class sql_failed : public error {
public:
    sql_failed(dbx_status st, const dbx_error *e, dbx_sql_statement *last)
        : error(st, e), last_(last, dbx_sql_statement_free)
    {
    }
    /** The statement as last seen (never null). */
    const dbx_sql_statement *statement() const noexcept { return last_.get(); }
    std::string_view state() const noexcept { return str(dbx_sql_statement_state_str(last_.get())); }
    std::string_view sql_state() const noexcept { return str(dbx_sql_statement_sql_state(last_.get())); }
    std::string_view statement_error_code() const noexcept
    {
        return str(dbx_sql_statement_error_code(last_.get()));
    }
    std::string_view statement_error_message() const noexcept
    {
        return str(dbx_sql_statement_error_message(last_.get()));
    }

private:
    std::shared_ptr<dbx_sql_statement> last_; /* shared: exceptions are copied */
};

namespace detail {

/* The statement an execute / wait handed back, or the exception for its failure. A failure
 * with a snapshot (DBX_ESTATE; a wait's DBX_ETIMEOUT / DBX_ECANCELLED) frees or keeps it. */
inline sql_statement sql_take(dbx_status st, dbx_sql_statement *out, const dbx_client *c)
{
    if (st == DBX_ESTATE && out)
        throw sql_failed(st, dbx_client_last_error(c), out);
    sql_statement own(out);
    check(st, c);
    return own;
}

} // namespace detail

/** Named, typed parameters for the ":name" markers (every string is copied). */
class sql_params {
public:
    sql_params()
    {
        dbx_sql_params *p = nullptr;
        check(dbx_sql_params_new(&p));
        p_.reset(p);
    }
    /** A value as text with its SQL type ("DECIMAL(10,2)"); no type: the server's STRING. */
    sql_params &add(const std::string &name, const std::string &value, const char *type = nullptr)
    {
        check(dbx_sql_params_add(p_.get(), name.c_str(), value.c_str(), type));
        return *this;
    }
    sql_params &add(const std::string &name, const char *value, const char *type = nullptr)
    {
        check(dbx_sql_params_add(p_.get(), name.c_str(), value, type));
        return *this;
    }
    /** BIGINT, DOUBLE (finite), BOOLEAN. */
    sql_params &add(const std::string &name, int64_t value)
    {
        check(dbx_sql_params_add_int64(p_.get(), name.c_str(), value));
        return *this;
    }
    sql_params &add(const std::string &name, int value) { return add(name, static_cast<int64_t>(value)); }
    sql_params &add(const std::string &name, double value)
    {
        check(dbx_sql_params_add_double(p_.get(), name.c_str(), value));
        return *this;
    }
    sql_params &add(const std::string &name, bool value)
    {
        check(dbx_sql_params_add_bool(p_.get(), name.c_str(), value ? 1 : 0));
        return *this;
    }
    /** SQL NULL of a type (or untyped). */
    sql_params &add_null(const std::string &name, const char *type = nullptr)
    {
        check(dbx_sql_params_add(p_.get(), name.c_str(), nullptr, type));
        return *this;
    }
    void clear() noexcept { dbx_sql_params_clear(p_.get()); }
    size_t size() const noexcept { return dbx_sql_params_count(p_.get()); }
    const dbx_sql_params *get() const noexcept { return p_.get(); }

private:
    sql_params_ptr p_;
};

/* ---- statements ---------------------------------------------------------------------- */

/** Execute (returns in any state the server answered: PENDING, RUNNING, SUCCEEDED). */
inline sql_statement sql_execute(const client &c, const std::string &warehouse_id, const std::string &statement,
                                 const sql_params *params = nullptr, const dbx_sql_execute_options *opts = nullptr)
{
    dbx_sql_statement *out = nullptr;
    dbx_status st = dbx_sql_execute(&out, c, warehouse_id.c_str(), statement.c_str(),
                                    params ? params->get() : nullptr, opts);
    return detail::sql_take(st, out, c);
}

/** Execute, then wait until terminal: the SUCCEEDED statement, or dbx::sql_failed. */
inline sql_statement sql_run(const client &c, const std::string &warehouse_id, const std::string &statement,
                             const sql_params *params = nullptr, const dbx_sql_execute_options *opts = nullptr,
                             const dbx_wait_options *wait = nullptr)
{
    dbx_sql_statement *out = nullptr;
    dbx_status st = dbx_sql_run(&out, c, warehouse_id.c_str(), statement.c_str(), params ? params->get() : nullptr,
                                opts, wait);
    return detail::sql_take(st, out, c);
}

/** The statement's current state (any state). */
inline sql_statement sql_get(const client &c, const std::string &statement_id)
{
    dbx_sql_statement *out = nullptr;
    check(dbx_sql_get(&out, c, statement_id.c_str()), c);
    return sql_statement(out);
}

/** Poll until terminal; throws dbx::sql_failed (FAILED / CANCELED / CLOSED) or dbx::error
 *  (DBX_ETIMEOUT, DBX_ECANCELLED: the snapshot is dropped; use the C call to keep it). */
inline sql_statement sql_wait(const client &c, const std::string &statement_id, const dbx_wait_options *wait = nullptr)
{
    dbx_sql_statement *out = nullptr;
    dbx_status st = dbx_sql_wait(&out, c, statement_id.c_str(), wait);
    return detail::sql_take(st, out, c);
}

inline void sql_cancel(const client &c, const std::string &statement_id)
{
    check(dbx_sql_cancel(c, statement_id.c_str()), c);
}

inline void sql_close(const client &c, const std::string &statement_id)
{
    check(dbx_sql_close(c, statement_id.c_str()), c);
}

/* ---- rows -------------------------------------------------------------------------------- */

/** The current row of a dbx::sql_rows range (a view: valid until the next step). */
class sql_row {
public:
    sql_row(const dbx_sql_rows *r, const dbx_client *c) noexcept : r_(r), c_(c) {}
    int size() const noexcept { return dbx_sql_rows_column_count(r_); }
    /** 0-based index of the row in the whole result. */
    int64_t index() const noexcept { return dbx_sql_rows_row_index(r_); }
    int column_index(const char *name) const noexcept { return dbx_sql_rows_column_index(r_, name); }
    bool is_null(int col) const
    {
        int n = dbx_sql_rows_is_null(r_, col);
        if (n < 0)
            throw error(DBX_EINVAL, nullptr);
        return n == 1;
    }
    /** The server's text of any value (its whole length, U+0000 included); nullopt for NULL. */
    std::optional<std::string_view> str(int col) const
    {
        if (is_null(col))
            return std::nullopt;
        const char *s = dbx_sql_rows_str(r_, col);
        return std::string_view(s, dbx_sql_rows_strlen(r_, col));
    }
    std::optional<std::string_view> decimal(int col) const { return str(col); }
    std::optional<int64_t> int64(int col) const { return read<int64_t>(dbx_sql_rows_int64, col); }
    std::optional<double> real(int col) const { return read<double>(dbx_sql_rows_double, col); }
    std::optional<bool> boolean(int col) const
    {
        std::optional<int> b = read<int>(dbx_sql_rows_bool, col);
        return b ? std::optional<bool>(*b != 0) : std::nullopt;
    }
    /** DATE / TIMESTAMP as epoch milliseconds / microseconds (UTC). */
    std::optional<int64_t> epoch_ms(int col) const { return read<int64_t>(dbx_sql_rows_epoch_ms, col); }
    std::optional<int64_t> epoch_us(int col) const { return read<int64_t>(dbx_sql_rows_epoch_us, col); }

private:
    template <class T>
    std::optional<T> read(dbx_status (*fn)(T *, const dbx_sql_rows *, int), int col) const
    {
        if (is_null(col))
            return std::nullopt;
        T v{};
        check(fn(&v, r_, col), c_);
        return v;
    }
    const dbx_sql_rows *r_;
    const dbx_client *c_;
};

/** Every row of a SUCCEEDED JSON_ARRAY statement, chunk after chunk (single pass). The
 *  statement may be freed before the range; the range keeps its client alive. */
class sql_rows {
public:
    sql_rows(const client &c, const dbx_sql_statement *st, const dbx_sql_rows_options *opts = nullptr) : c_(c)
    {
        dbx_sql_rows *r = nullptr;
        check(dbx_sql_rows_open(&r, c, st, opts), c);
        r_.reset(r);
    }
    class iterator {
    public:
        using value_type = sql_row;
        iterator() = default;
        explicit iterator(sql_rows *r) : r_(r) { step(); }
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
        sql_rows *r_ = nullptr;
    };
    iterator begin() { return iterator(this); }
    iterator end() { return iterator(); }
    int columns() const noexcept { return dbx_sql_rows_column_count(r_.get()); }
    int column_index(const char *name) const noexcept { return dbx_sql_rows_column_index(r_.get(), name); }
    bool truncated() const noexcept { return dbx_sql_rows_truncated(r_.get()) != 0; }
    bool result_expired() const noexcept { return dbx_sql_rows_result_expired(r_.get()) != 0; }
    dbx_sql_rows *get() const noexcept { return r_.get(); }

private:
    sql_rows_ptr r_;
    const dbx_client *c_;
};

/* ---- raw chunks ---------------------------------------------------------------------------- */

namespace detail {

template <class Fn>
struct sql_chunk_sink {
    Fn *fn;
    std::exception_ptr err;
};

template <class Fn>
int sql_chunk_cb(void *payload, int chunk_index, const char *data, size_t len)
{
    auto *s = static_cast<sql_chunk_sink<Fn> *>(payload);
    try {
        (*s->fn)(chunk_index, data ? std::string_view(data, len) : std::string_view());
        return 0;
    } catch (...) {
        s->err = std::current_exception();
        return 1;
    }
}

} // namespace detail

/** Every chunk of an EXTERNAL_LINKS result, in order, to fn(chunk_index, piece): pieces of
 *  chunk i, then one empty piece marking its end. An exception fn throws is rethrown. */
template <class Fn>
void sql_chunks_stream(const client &c, const dbx_sql_statement *st, Fn &&fn,
                       const dbx_sql_rows_options *opts = nullptr)
{
    using F = std::remove_reference_t<Fn>;
    detail::sql_chunk_sink<F> s{&fn, nullptr};
    dbx_status rc = dbx_sql_chunks_stream(c, st, opts, detail::sql_chunk_cb<F>, &s);
    if (s.err)
        std::rethrow_exception(s.err);
    check(rc, c);
}

/** The chunks concatenated into a local file (renamed into place at the end). */
inline void sql_chunks_to_file(const client &c, const dbx_sql_statement *st, const std::string &path,
                               bool overwrite = false, const dbx_sql_rows_options *opts = nullptr)
{
    check(dbx_sql_chunks_to_file(c, st, opts, path.c_str(), overwrite ? 1 : 0), c);
}

} // namespace dbx

#endif /* DBX_CPP_SQL_HPP */
