/*
 * libdbx C++ layer: the DBFS API 2.0 (included by dbx/dbx.hpp; do not include alone).
 *
 * Files of any size stream through callables: an upload reads from a
 * `std::function<std::size_t(char *buf, std::size_t cap)>` (return 0 at the end), a
 * download writes to a `std::function<void(std::string_view block)>` (blocks of at most
 * DBX_DBFS_MAX_BLOCK bytes), progress is `std::function<void(uint64_t done, int64_t total)>`.
 * An exception thrown by one of them stops the C call (the callback returns non-zero; libdbx
 * then closes the upload handle and deletes the partial file) and is rethrown, unchanged,
 * once the C call has returned. Callbacks run on the calling thread.
 */
#ifndef DBX_CPP_DBFS_HPP
#define DBX_CPP_DBFS_HPP

#include <cstdint>
#include <exception>
#include <functional>

#include "../dbx.hpp"

namespace dbx {

using dbfs_file_info_ptr = owner<dbx_dbfs_file_info, dbx_dbfs_file_info_free>;
using dbfs_iter = owner<dbx_dbfs_iter, dbx_dbfs_iter_free>;
using dbfs_range = range<dbx_dbfs_iter, dbx_dbfs_file_info, dbx_dbfs_iter_next, dbx_dbfs_iter_free>;

/** Borrowed accessors of a FileInfo (owned by a dbfs_file_info_ptr or a range's item). */
inline std::string_view dbfs_path(const dbx_dbfs_file_info *fi) noexcept { return str(dbx_dbfs_file_info_path(fi)); }
inline bool dbfs_is_dir(const dbx_dbfs_file_info *fi) noexcept { return dbx_dbfs_file_info_is_dir(fi) != 0; }
inline int64_t dbfs_file_size(const dbx_dbfs_file_info *fi) noexcept { return dbx_dbfs_file_info_file_size(fi); }
inline int64_t dbfs_modification_time(const dbx_dbfs_file_info *fi) noexcept
{
    return dbx_dbfs_file_info_modification_time(fi);
}
inline std::string_view dbfs_json(const dbx_dbfs_file_info *fi) noexcept { return str(dbx_dbfs_file_info_json(fi)); }

/* ---- metadata ------------------------------------------------------------------------ */

inline dbfs_file_info_ptr dbfs_get_status(const client &c, const std::string &path)
{
    dbx_dbfs_file_info *fi = nullptr;
    check(dbx_dbfs_get_status(&fi, c, path.c_str()), c);
    return dbfs_file_info_ptr(fi);
}

/** Range-for over a directory's entries (the request is made by begin()). */
inline dbfs_range dbfs_list(const client &c, const std::string &path)
{
    dbx_dbfs_iter *it = nullptr;
    check(dbx_dbfs_list(&it, c, path.c_str()), c);
    return dbfs_range(it, c);
}

inline void dbfs_mkdirs(const client &c, const std::string &path) { check(dbx_dbfs_mkdirs(c, path.c_str()), c); }

inline void dbfs_delete(const client &c, const std::string &path, bool recursive = false)
{
    check(dbx_dbfs_delete(c, path.c_str(), recursive ? 1 : 0), c);
}

inline void dbfs_move(const client &c, const std::string &source_path, const std::string &destination_path)
{
    check(dbx_dbfs_move(c, source_path.c_str(), destination_path.c_str()), c);
}

/** A small file (at most DBX_DBFS_MAX_BLOCK bytes) in one call. */
inline void dbfs_put(const client &c, const std::string &path, std::string_view data, bool overwrite = false)
{
    check(dbx_dbfs_put(c, path.c_str(), data.empty() ? nullptr : data.data(), data.size(), overwrite ? 1 : 0), c);
}

/* ---- streams ------------------------------------------------------------------------- */

using dbfs_reader = std::function<std::size_t(char *buf, std::size_t cap)>;
using dbfs_rewinder = std::function<void()>;
using dbfs_writer = std::function<void(std::string_view block)>;
using dbfs_progress = std::function<void(uint64_t done, int64_t total)>;

namespace detail {

/* The callables of one transfer and the first exception one of them threw. */
struct dbfs_calls {
    dbfs_reader read;
    dbfs_rewinder rewind;
    dbfs_writer write;
    dbfs_progress progress;
    std::exception_ptr pending;

    template <class F>
    int guard(F &&f) noexcept
    {
        if (pending)
            return 1;
        try {
            f();
            return 0;
        } catch (...) {
            pending = std::current_exception();
            return 1;
        }
    }
    void finish(dbx_status st, const dbx_client *c)
    {
        if (pending)
            std::rethrow_exception(pending);
        check(st, c);
    }

    static int on_read(void *p, char *buf, size_t cap, size_t *n)
    {
        auto *k = static_cast<dbfs_calls *>(p);
        *n = 0;
        return k->guard([&] {
            std::size_t got = k->read(buf, cap);
            *n = got; /* more than cap: libdbx refuses it (DBX_EINVAL) */
        });
    }
    static int on_rewind(void *p)
    {
        auto *k = static_cast<dbfs_calls *>(p);
        return k->guard([&] { k->rewind(); });
    }
    static int on_write(void *p, const char *data, size_t len)
    {
        auto *k = static_cast<dbfs_calls *>(p);
        return k->guard([&] { k->write(std::string_view(data, len)); });
    }
    static int on_progress(void *p, uint64_t done, int64_t total)
    {
        auto *k = static_cast<dbfs_calls *>(p);
        return k->guard([&] { k->progress(done, total); });
    }
};

} // namespace detail

/** Upload options: overwrite, restarts (0 = default 2, -1 = never), progress. */
struct dbfs_upload_options {
    bool overwrite = false;
    int max_restarts = 0;
    dbfs_progress progress;
};

/**
 * Upload from a reader of any size (`size` -1 when unknown). With a `rewind`, an ambiguous
 * failure restarts the whole upload from the rewound reader.
 */
inline void dbfs_upload(const client &c, const std::string &path, dbfs_reader read, const dbfs_upload_options &o = {},
                        dbfs_rewinder rewind = nullptr, int64_t size = -1)
{
    detail::dbfs_calls k;
    k.read = std::move(read);
    k.rewind = std::move(rewind);
    k.progress = o.progress;
    dbx_source src = DBX_SOURCE_INIT;
    src.read = detail::dbfs_calls::on_read;
    src.rewind = k.rewind ? detail::dbfs_calls::on_rewind : nullptr;
    src.payload = &k;
    src.size = size;
    dbx_dbfs_upload_options uo = DBX_DBFS_UPLOAD_OPTIONS_INIT;
    uo.overwrite = o.overwrite ? 1 : 0;
    uo.max_restarts = o.max_restarts;
    uo.on_progress = k.progress ? detail::dbfs_calls::on_progress : nullptr;
    uo.payload = &k;
    k.finish(dbx_dbfs_upload(c, path.c_str(), &src, &uo), c);
}

/** Upload a local file (rewindable, so restartable). */
inline void dbfs_upload_file(const client &c, const std::string &path, const std::string &local_path,
                             const dbfs_upload_options &o = {})
{
    detail::dbfs_calls k;
    k.progress = o.progress;
    dbx_dbfs_upload_options uo = DBX_DBFS_UPLOAD_OPTIONS_INIT;
    uo.overwrite = o.overwrite ? 1 : 0;
    uo.max_restarts = o.max_restarts;
    uo.on_progress = k.progress ? detail::dbfs_calls::on_progress : nullptr;
    uo.payload = &k;
    k.finish(dbx_dbfs_upload_file(c, path.c_str(), local_path.c_str(), &uo), c);
}

/** Download into `write`, block by block (each byte once, in order). */
inline void dbfs_download(const client &c, const std::string &path, dbfs_writer write,
                          dbfs_progress progress = nullptr)
{
    detail::dbfs_calls k;
    k.write = std::move(write);
    k.progress = std::move(progress);
    dbx_dbfs_download_options o = DBX_DBFS_DOWNLOAD_OPTIONS_INIT;
    o.on_progress = k.progress ? detail::dbfs_calls::on_progress : nullptr;
    o.payload = &k;
    k.finish(dbx_dbfs_download(c, path.c_str(), detail::dbfs_calls::on_write, &k, &o), c);
}

/** The whole file as a string (holds the file in memory: prefer a writer for large ones). */
inline std::string dbfs_read(const client &c, const std::string &path)
{
    std::string out;
    dbfs_download(c, path, [&out](std::string_view b) { out.append(b.data(), b.size()); });
    return out;
}

/** Download into a local file (renamed into place only on success). */
inline void dbfs_download_file(const client &c, const std::string &path, const std::string &local_path,
                               bool overwrite = false, dbfs_progress progress = nullptr)
{
    detail::dbfs_calls k;
    k.progress = std::move(progress);
    dbx_dbfs_download_options o = DBX_DBFS_DOWNLOAD_OPTIONS_INIT;
    o.overwrite = overwrite ? 1 : 0;
    o.on_progress = k.progress ? detail::dbfs_calls::on_progress : nullptr;
    o.payload = &k;
    k.finish(dbx_dbfs_download_file(c, path.c_str(), local_path.c_str(), &o), c);
}

} // namespace dbx

#endif /* DBX_CPP_DBFS_HPP */
