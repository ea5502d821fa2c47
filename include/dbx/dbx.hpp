/*
 * libdbx - header-only C++17 layer over the C API (no second implementation).
 *
 *   dbx::client c = dbx::client::from_env();
 *   for (const dbx_cluster *cl : dbx::clusters_list(c)) std::cout << dbx_cluster_id(cl);
 *   dbx::cluster cl = dbx::clusters_get(c, "0923-164208-meows279");
 *   std::string_view state = dbx::str(dbx_cluster_state_str(cl.get()));
 *
 * - Owners: every owned C type has a std::unique_ptr alias whose deleter is
 *   its _free (dbx::client_ptr, dbx::cluster, dbx::cluster_spec, ...), so
 *   ownership rules of the C API hold unchanged.
 * - Layout: this file holds what every area uses (errors, owners, the
 *   client, ranges); each API area has its own include/dbx/cpp/<area>.hpp,
 *   included at the end, with its owner aliases, ranges and calls.
 * - Errors: calls that fail throw dbx::error, which carries the C error
 *   record (status, HTTP status, error_code, message, request id, method,
 *   path, attempts); the *_nothrow style is the C API itself.
 * - Iterators: list calls return a range usable with range-for; each item is
 *   a borrowed const pointer valid until the next step, like the C API.
 * - Thread-safety: as the C API (a client may be shared; results are
 *   immutable; a range is used by one thread).
 */
#ifndef DBX_DBX_HPP
#define DBX_DBX_HPP

#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "dbx.h"

namespace dbx {

/* ---- errors ------------------------------------------------------------------------ */

/** A failed libdbx call: the C error record, copied. */
class error : public std::runtime_error {
public:
    error(dbx_status status, const dbx_error *e)
        : std::runtime_error(e && e->status == status && e->message ? e->message : dbx_status_str(status)),
          status_(status)
    {
        if (e && e->status == status) {
            http_status_ = e->http_status;
            error_code_ = e->error_code ? e->error_code : "";
            request_id_ = e->request_id ? e->request_id : "";
            method_ = e->method ? e->method : "";
            path_ = e->path ? e->path : "";
            attempts_ = e->attempts;
            retry_after_ms_ = e->retry_after_ms;
        }
    }
    dbx_status status() const noexcept { return status_; }
    /** "DBX_ENOTFOUND" */
    const char *status_name() const noexcept { return dbx_status_name(status_); }
    int http_status() const noexcept { return http_status_; }
    const std::string &error_code() const noexcept { return error_code_; }
    const std::string &request_id() const noexcept { return request_id_; }
    const std::string &method() const noexcept { return method_; }
    const std::string &path() const noexcept { return path_; }
    int attempts() const noexcept { return attempts_; }
    long retry_after_ms() const noexcept { return retry_after_ms_; }

private:
    dbx_status status_;
    int http_status_ = 0;
    std::string error_code_, request_id_, method_, path_;
    int attempts_ = 0;
    long retry_after_ms_ = -1;
};

/** Throw dbx::error for a failed status (the record of `c`, or of no client). */
inline dbx_status check(dbx_status st, const dbx_client *c = nullptr)
{
    if (st < 0)
        throw error(st, dbx_client_last_error(c));
    return st;
}

/** A borrowed C string as a view ("" for NULL). */
inline std::string_view str(const char *s) noexcept { return s ? std::string_view(s) : std::string_view(); }

/* ---- owners --------------------------------------------------------------------------- */

template <class T, void (*Free)(T *)>
struct deleter {
    void operator()(T *p) const noexcept { Free(p); }
};

template <class T, void (*Free)(T *)>
using owner = std::unique_ptr<T, deleter<T, Free>>;

inline void free_chars(char *p) { dbx_free(p); }

/** A char * the library allocated (freed with dbx_free). */
using c_string = owner<char, free_chars>;

inline std::string take_string(char *p)
{
    c_string own(p);
    return p ? std::string(p) : std::string();
}

using client_ptr = owner<dbx_client, dbx_client_free>;
using client_options_ptr = owner<dbx_client_options, dbx_client_options_free>;
using response = owner<dbx_response, dbx_response_free>;

/* ---- client ---------------------------------------------------------------------------- */

/** Client options set by name (the C keys: "host", "token", "http_timeout_ms", ...). */
class options {
public:
    options()
    {
        dbx_client_options *o = nullptr;
        check(dbx_client_options_new(&o));
        p_.reset(o);
    }
    options &set(const std::string &key, const std::string &value)
    {
        check(dbx_client_options_set(p_.get(), key.c_str(), value.c_str()));
        return *this;
    }
    options &log(dbx_log_fn fn, void *payload)
    {
        check(dbx_client_options_set_log(p_.get(), fn, payload));
        return *this;
    }
    const dbx_client_options *get() const noexcept { return p_.get(); }

private:
    client_options_ptr p_;
};

/** An owning client. Move-only; get() gives the dbx_client * for C calls. */
class client {
public:
    explicit client(const options &o) { make(o.get()); }
    /** Everything from the environment and ~/.databrickscfg. */
    static client from_env() { return client(nullptr); }
    dbx_client *get() const noexcept { return p_.get(); }
    operator dbx_client *() const noexcept { return p_.get(); }
    std::string_view host() const noexcept { return str(dbx_client_host(p_.get())); }
    std::string_view auth_type() const noexcept { return str(dbx_client_auth_type(p_.get())); }

    /** The escape hatch: any REST call through the pipeline. */
    response request(const std::string &method, const std::string &path, const char *body_json = nullptr) const
    {
        dbx_response *r = nullptr;
        check(dbx_request(&r, p_.get(), method.c_str(), path.c_str(), body_json), p_.get());
        return response(r);
    }

private:
    explicit client(const dbx_client_options *o) { make(o); }
    void make(const dbx_client_options *o)
    {
        dbx_client *c = nullptr;
        check(dbx_client_new(&c, o));
        p_.reset(c);
    }
    client_ptr p_;
};

/* ---- ranges over C iterators --------------------------------------------------------- */

/** A single-pass range over a C iterator: range-for yields borrowed `const Item *`. */
template <class It, class Item, dbx_status (*Next)(const Item **, It *), void (*Free)(It *)>
class range {
public:
    range(It *it, const dbx_client *c) : it_(it), client_(c) {}
    class iterator {
    public:
        using value_type = const Item *;
        iterator() = default;
        explicit iterator(range *r) : r_(r) { step(); }
        const Item *operator*() const noexcept { return cur_; }
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
            dbx_status st = Next(&cur_, r_->it_.get());
            if (st == DBX_DONE)
                r_ = nullptr;
            else
                check(st, r_->client_);
        }
        range *r_ = nullptr;
        const Item *cur_ = nullptr;
    };
    iterator begin() { return iterator(this); }
    iterator end() { return iterator(); }

private:
    owner<It, Free> it_;
    const dbx_client *client_;
};


} // namespace dbx

/* One file per API area, each inside namespace dbx. */
#include "cpp/clusters.hpp"
#include "cpp/files.hpp"
#include "cpp/workspace.hpp"
#include "cpp/dbfs.hpp"
#include "cpp/jobs.hpp"
#include "cpp/sql.hpp"
#include "cpp/catalog.hpp"
#include "cpp/warehouses.hpp"
#include "cpp/delta.hpp"
#include "cpp/mlflow.hpp"
#include "cpp/registry.hpp"
#include "cpp/serving.hpp"
#include "cpp/serving_scorer.hpp"
#include "cpp/serving_extras.hpp"
#include "cpp/monitors.hpp"

#endif /* DBX_DBX_HPP */
