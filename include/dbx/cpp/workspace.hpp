/*
 * libdbx C++ layer: the Workspace API (included by dbx/dbx.hpp; do not include alone).
 *
 *   dbx::workspace_mkdirs(c, "/Users/me/etl");
 *   dbx::workspace_import(c, "/Users/me/etl/clean", "print(1)\n", opts);
 *   for (auto e : dbx::workspace_walk(c, "/Users/me"))
 *       std::cout << e.depth << ' ' << dbx::workspace_object_path(e.object) << '\n';
 *   dbx::workspace_export_result x = dbx::workspace_export(c, "/Users/me/etl/clean");
 *   std::string_view src = x.content();
 */
#ifndef DBX_CPP_WORKSPACE_HPP
#define DBX_CPP_WORKSPACE_HPP

#include <exception>
#include <type_traits>
#include <utility>

#include "../dbx.hpp"

namespace dbx {

using workspace_object = owner<dbx_workspace_object, dbx_workspace_object_free>;
using workspace_iter = owner<dbx_workspace_iter, dbx_workspace_iter_free>;
using workspace_walk_iter = owner<dbx_workspace_walk_iter, dbx_workspace_walk_free>;

using workspace_range = range<dbx_workspace_iter, dbx_workspace_object, dbx_workspace_iter_next, dbx_workspace_iter_free>;

/* ---- accessors as string_view (borrowed from the object, "" when absent) ------------------ */

inline std::string_view workspace_object_path(const dbx_workspace_object *o) noexcept
{
    return str(dbx_workspace_object_path(o));
}
inline std::string_view workspace_object_type_str(const dbx_workspace_object *o) noexcept
{
    return str(dbx_workspace_object_type_str(o));
}
inline std::string_view workspace_object_language_str(const dbx_workspace_object *o) noexcept
{
    return str(dbx_workspace_object_language_str(o));
}
inline std::string_view workspace_object_resource_id(const dbx_workspace_object *o) noexcept
{
    return str(dbx_workspace_object_resource_id(o));
}
inline std::string_view workspace_object_json(const dbx_workspace_object *o) noexcept
{
    return str(dbx_workspace_object_json(o));
}
inline std::string_view workspace_name(dbx_workspace_object_type_t t) noexcept
{
    return str(dbx_workspace_object_type_name(t));
}
inline std::string_view workspace_name(dbx_workspace_language_t l) noexcept
{
    return str(dbx_workspace_language_name(l));
}
inline std::string_view workspace_name(dbx_workspace_format_t f) noexcept
{
    return str(dbx_workspace_format_name(f));
}

/* ---- simple operations -------------------------------------------------------------------- */

inline workspace_object workspace_get_status(const client &c, const std::string &path)
{
    dbx_workspace_object *o = nullptr;
    check(dbx_workspace_get_status(&o, c, path.c_str()), c);
    return workspace_object(o);
}

inline void workspace_mkdirs(const client &c, const std::string &path) { check(dbx_workspace_mkdirs(c, path.c_str()), c); }

inline void workspace_delete(const client &c, const std::string &path, bool recursive = false)
{
    check(dbx_workspace_delete(c, path.c_str(), recursive ? 1 : 0), c);
}

inline workspace_range workspace_list(const client &c, const std::string &path,
                                      const dbx_workspace_list_options *opts = nullptr)
{
    dbx_workspace_iter *it = nullptr;
    check(dbx_workspace_list(&it, c, path.c_str(), opts), c);
    return workspace_range(it, c);
}

/* ---- walk ------------------------------------------------------------------------------------ */

/** One object of a walk: borrowed until the next step, and its depth. */
struct workspace_walk_entry {
    const dbx_workspace_object *object;
    int depth;
};

/** A single-pass range over dbx_workspace_walk: range-for yields workspace_walk_entry. */
class workspace_walk_range {
public:
    workspace_walk_range(dbx_workspace_walk_iter *it, const dbx_client *c) : it_(it), client_(c) {}
    class iterator {
    public:
        using value_type = workspace_walk_entry;
        iterator() = default;
        explicit iterator(workspace_walk_range *r) : r_(r) { step(); }
        workspace_walk_entry operator*() const noexcept { return cur_; }
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
            dbx_status st = dbx_workspace_walk_next(&cur_.object, &cur_.depth, r_->it_.get());
            if (st == DBX_DONE)
                r_ = nullptr;
            else
                check(st, r_->client_);
        }
        workspace_walk_range *r_ = nullptr;
        workspace_walk_entry cur_{nullptr, 0};
    };
    iterator begin() { return iterator(this); }
    iterator end() { return iterator(); }

private:
    workspace_walk_iter it_;
    const dbx_client *client_;
};

inline workspace_walk_range workspace_walk(const client &c, const std::string &path,
                                           const dbx_workspace_walk_options *opts = nullptr)
{
    dbx_workspace_walk_iter *it = nullptr;
    check(dbx_workspace_walk(&it, c, path.c_str(), opts), c);
    return workspace_walk_range(it, c);
}

/** The walk with a callable `bool fn(const dbx_workspace_object *, int depth)`: returning true
 *  stops it. Returns true when the whole tree was visited, false when fn stopped it. An
 *  exception thrown by fn stops the walk (it never crosses the C frames) and is rethrown here
 *  once libdbx has returned. */
template <class Fn>
bool workspace_walk_each(const client &c, const std::string &path, Fn &&fn,
                         const dbx_workspace_walk_options *opts = nullptr)
{
    struct ctx {
        std::remove_reference_t<Fn> *fn;
        std::exception_ptr error;
        bool stopped;
    } x{&fn, nullptr, false};
    auto tramp = [](const dbx_workspace_object *o, int depth, void *payload) -> int {
        ctx *k = static_cast<ctx *>(payload);
        try {
            if ((*k->fn)(o, depth)) {
                k->stopped = true;
                return 1;
            }
            return 0;
        } catch (...) {
            k->error = std::current_exception();
            return 1;
        }
    };
    dbx_status st = dbx_workspace_walk_each(c, path.c_str(), opts, tramp, &x);
    if (x.error)
        std::rethrow_exception(x.error);
    if (st == DBX_ECANCELLED && x.stopped)
        return false;
    check(st, c);
    return true;
}

/* ---- import / export ------------------------------------------------------------------------- */

inline void workspace_import(const client &c, const std::string &path, std::string_view content,
                             const dbx_workspace_import_options *opts = nullptr)
{
    check(dbx_workspace_import(c, path.c_str(), content.data(), content.size(), opts), c);
}

inline void workspace_import_file(const client &c, const std::string &path, const std::string &local_file,
                                  const dbx_workspace_import_options *opts = nullptr)
{
    check(dbx_workspace_import_file(c, path.c_str(), local_file.c_str(), opts), c);
}

/** What workspace_export returns: the owned bytes (binary) and the server's file_type. */
class workspace_export_result {
public:
    workspace_export_result(char *content, std::size_t len, char *file_type)
        : content_(content), len_(len), file_type_(file_type)
    {
    }
    std::string_view content() const noexcept { return std::string_view(content_.get(), len_); }
    std::string_view file_type() const noexcept { return str(file_type_.get()); }

private:
    c_string content_;
    std::size_t len_;
    c_string file_type_;
};

inline workspace_export_result workspace_export(const client &c, const std::string &path,
                                                const dbx_workspace_export_options *opts = nullptr)
{
    char *content = nullptr, *file_type = nullptr;
    std::size_t len = 0;
    check(dbx_workspace_export(&content, &len, &file_type, c, path.c_str(), opts), c);
    return workspace_export_result(content, len, file_type);
}

/** Export into a local file (completely or not at all); returns the file_type. */
inline std::string workspace_export_file(const client &c, const std::string &path, const std::string &local_file,
                                         const dbx_workspace_export_options *opts = nullptr)
{
    char *file_type = nullptr;
    check(dbx_workspace_export_file(&file_type, c, path.c_str(), local_file.c_str(), opts), c);
    return take_string(file_type);
}

inline void workspace_export_dir(const client &c, const std::string &remote_dir, const std::string &local_dir,
                                 const dbx_workspace_export_dir_options *opts = nullptr)
{
    check(dbx_workspace_export_dir(c, remote_dir.c_str(), local_dir.c_str(), opts), c);
}

/** Returns how many notebooks and files were imported. */
inline long workspace_import_dir(const client &c, const std::string &local_dir, const std::string &remote_dir,
                                 const dbx_workspace_import_dir_options *opts = nullptr)
{
    long n = 0;
    check(dbx_workspace_import_dir(&n, c, local_dir.c_str(), remote_dir.c_str(), opts), c);
    return n;
}

} // namespace dbx

#endif /* DBX_CPP_WORKSPACE_HPP */
