/*
 * libdbx C++ layer: the Files API for Unity Catalog volumes (included by dbx/dbx.hpp; do not
 * include alone).
 *
 *   dbx::files_upload_file(c, "/Volumes/main/default/vol/a.csv", "a.csv");
 *   std::ifstream in("big.bin", std::ios::binary);
 *   dbx::files_upload(c, "/Volumes/main/default/vol/big.bin", in);      // streamed, rewindable
 *   std::string s = dbx::files_download_string(c, "/Volumes/main/default/vol/a.csv");
 *   dbx::files_download(c, path, [&](std::string_view piece) { out.write(piece.data(), piece.size()); });
 *   for (const dbx_directory_entry *e : dbx::files_list_directory(c, "/Volumes/main/default/vol"))
 *       std::cout << dbx::str(dbx_directory_entry_name(e)) << "\n";
 *
 * Callables and streams run on the calling thread inside the C call; an exception they throw
 * stops the transfer (a multipart upload is aborted) and is rethrown once libdbx has returned.
 */
#ifndef DBX_CPP_FILES_HPP
#define DBX_CPP_FILES_HPP

#include <exception>
#include <iosfwd>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "../dbx.hpp"

namespace dbx {

using file_info = owner<dbx_file_info, dbx_file_info_free>;
using files_list_iter = owner<dbx_files_list_iter, dbx_files_list_iter_free>;
using files_range = range<dbx_files_list_iter, dbx_directory_entry, dbx_files_list_iter_next, dbx_files_list_iter_free>;

namespace detail {

/* An exception thrown inside a callback, kept for after the C call. */
struct callback_error {
    std::exception_ptr err;
    void rethrow_if_any()
    {
        if (err) {
            std::exception_ptr e = std::move(err);
            err = nullptr;
            std::rethrow_exception(e);
        }
    }
};

/* Streams are template parameters so that this header needs only <iosfwd> (and never calls
 * fail(), which test frameworks such as cmocka define as a macro). */
template <class Stream>
struct istream_source : callback_error {
    Stream *in = nullptr;
    std::streampos start = -1;
};

template <class Stream>
int istream_read(void *payload, char *buf, size_t cap, size_t *n)
{
    auto *s = static_cast<istream_source<Stream> *>(payload);
    *n = 0;
    try {
        s->in->read(buf, static_cast<std::streamsize>(cap));
        *n = static_cast<size_t>(s->in->gcount());
        return s->in->bad() ? 1 : 0; /* eof (with failbit) after a short read is the end */
    } catch (...) {
        s->err = std::current_exception();
        return 1;
    }
}

template <class Stream>
int istream_rewind(void *payload)
{
    auto *s = static_cast<istream_source<Stream> *>(payload);
    try {
        s->in->clear();
        s->in->seekg(s->start);
        return (s->in->rdstate() & (Stream::failbit | Stream::badbit)) ? 1 : 0;
    } catch (...) {
        s->err = std::current_exception();
        return 1;
    }
}

/* A dbx_source reading `in` from its position through `s` (which must outlive the
 * call): sized and rewindable when the stream can seek, else read once. */
template <class Stream>
dbx_source istream_as_source(istream_source<Stream> &s, Stream &in)
{
    s.in = &in;
    dbx_source src = DBX_SOURCE_INIT;
    src.read = istream_read<Stream>;
    src.payload = &s;
    s.start = in.tellg();
    if (s.start != std::streampos(-1)) {
        in.seekg(0, Stream::end);
        std::streampos end = in.tellg();
        in.seekg(s.start);
        if (end != std::streampos(-1) && !(in.rdstate() & (Stream::failbit | Stream::badbit))) {
            src.size = static_cast<int64_t>(end - s.start);
            src.rewind = istream_rewind<Stream>;
        }
    }
    in.clear(in.rdstate() & ~Stream::failbit);
    return src;
}

template <class F>
struct sink_ctx : callback_error {
    F *fn;
    explicit sink_ctx(F *f) : fn(f) {}
};

template <class F>
int sink_trampoline(void *payload, const char *data, size_t len)
{
    auto *s = static_cast<sink_ctx<F> *>(payload);
    try {
        (*s->fn)(std::string_view(data, len));
        return 0;
    } catch (...) {
        s->err = std::current_exception();
        return 1;
    }
}

} // namespace detail

/* ---- uploads ---------------------------------------------------------------------------- */

/** Upload from a dbx_source (see common.h). */
inline void files_upload(const client &c, const std::string &remote_path, const dbx_source &src,
                         const dbx_files_upload_options *opts = nullptr)
{
    check(dbx_files_upload(c, remote_path.c_str(), &src, opts), c);
}

/** Upload a binary std::istream (or derived) from its current position, read in the pieces
 *  libdbx asks for. A seekable stream announces its size and is rewound to re-send after a
 *  failure; an exception the stream throws is rethrown after libdbx has returned. */
template <class Stream, class = std::enable_if_t<std::is_base_of_v<std::istream, Stream>>>
inline void files_upload(const client &c, const std::string &remote_path, Stream &in,
                         const dbx_files_upload_options *opts = nullptr)
{
    detail::istream_source<Stream> s;
    dbx_source src = detail::istream_as_source(s, in);
    dbx_status st = dbx_files_upload(c, remote_path.c_str(), &src, opts);
    s.rethrow_if_any();
    check(st, c);
}

inline void files_upload_file(const client &c, const std::string &remote_path, const std::string &local_path,
                              const dbx_files_upload_options *opts = nullptr)
{
    check(dbx_files_upload_file(c, remote_path.c_str(), local_path.c_str(), opts), c);
}

/** Upload bytes in memory (borrowed for the call). */
inline void files_upload_buffer(const client &c, const std::string &remote_path, std::string_view data,
                                const dbx_files_upload_options *opts = nullptr)
{
    check(dbx_files_upload_buffer(c, remote_path.c_str(), data.data(), data.size(), opts), c);
}

/* ---- downloads ---------------------------------------------------------------------------- */

/** The C form: bytes handed to `sink(payload, data, len)`. */
inline void files_download(const client &c, const std::string &remote_path, dbx_sink_fn sink, void *payload,
                           const dbx_files_download_options *opts = nullptr)
{
    check(dbx_files_download(c, remote_path.c_str(), sink, payload, opts), c);
}

/** Each received piece handed to `fn(std::string_view)` in order; an exception it throws
 *  stops the download and is rethrown. */
template <class F>
inline void files_download(const client &c, const std::string &remote_path, F &&fn,
                           const dbx_files_download_options *opts = nullptr)
{
    using Fn = std::remove_reference_t<F>;
    detail::sink_ctx<Fn> s(&fn);
    dbx_status st = dbx_files_download(c, remote_path.c_str(), detail::sink_trampoline<Fn>, &s, opts);
    s.rethrow_if_any();
    check(st, c);
}

/** The whole file in memory. */
inline std::string files_download_string(const client &c, const std::string &remote_path,
                                         const dbx_files_download_options *opts = nullptr)
{
    std::string out;
    files_download(c, remote_path, [&out](std::string_view piece) { out.append(piece); }, opts);
    return out;
}

/** Into a local file, renamed into place only when complete. */
inline void files_download_file(const client &c, const std::string &remote_path, const std::string &local_path,
                                const dbx_files_download_options *opts = nullptr)
{
    check(dbx_files_download_file(c, remote_path.c_str(), local_path.c_str(), opts), c);
}

/* ---- metadata, delete, directories ------------------------------------------------------------- */

inline file_info files_get_metadata(const client &c, const std::string &remote_path)
{
    dbx_file_info *fi = nullptr;
    check(dbx_files_get_metadata(&fi, c, remote_path.c_str()), c);
    return file_info(fi);
}

inline std::string_view file_info_content_type(const file_info &fi) noexcept
{
    return str(dbx_file_info_content_type(fi.get()));
}
inline std::string_view file_info_last_modified_str(const file_info &fi) noexcept
{
    return str(dbx_file_info_last_modified_str(fi.get()));
}

/** Whether a file exists (only DBX_ENOTFOUND is false; other failures throw). */
inline bool files_exists(const client &c, const std::string &remote_path)
{
    dbx_file_info *fi = nullptr;
    dbx_status st = dbx_files_get_metadata(&fi, c, remote_path.c_str());
    file_info own(fi);
    if (st == DBX_ENOTFOUND)
        return false;
    check(st, c);
    return true;
}

inline void files_delete(const client &c, const std::string &remote_path)
{
    check(dbx_files_delete(c, remote_path.c_str()), c);
}

inline void files_create_directory(const client &c, const std::string &dir_path)
{
    check(dbx_files_create_directory(c, dir_path.c_str()), c);
}

inline void files_delete_directory(const client &c, const std::string &dir_path)
{
    check(dbx_files_delete_directory(c, dir_path.c_str()), c);
}

/** Throws dbx::error (DBX_ENOTFOUND) when the directory does not exist. */
inline void files_get_directory_metadata(const client &c, const std::string &dir_path)
{
    check(dbx_files_get_directory_metadata(c, dir_path.c_str()), c);
}

inline bool files_directory_exists(const client &c, const std::string &dir_path)
{
    dbx_status st = dbx_files_get_directory_metadata(c, dir_path.c_str());
    if (st == DBX_ENOTFOUND)
        return false;
    check(st, c);
    return true;
}

/** A directory's entries, page by page (the first request is made by begin()). */
inline files_range files_list_directory(const client &c, const std::string &dir_path,
                                        const dbx_files_list_options *opts = nullptr)
{
    dbx_files_list_iter *it = nullptr;
    check(dbx_files_list_directory(&it, c, dir_path.c_str(), opts), c);
    return files_range(it, c);
}

inline std::string_view directory_entry_path(const dbx_directory_entry *e) noexcept
{
    return str(dbx_directory_entry_path(e));
}
inline std::string_view directory_entry_name(const dbx_directory_entry *e) noexcept
{
    return str(dbx_directory_entry_name(e));
}
inline std::string_view directory_entry_json(const dbx_directory_entry *e) noexcept
{
    return str(dbx_directory_entry_json(e));
}

} // namespace dbx

#endif /* DBX_CPP_FILES_HPP */
