/*
 * libdbx internal: byte sources and sinks for uploads and downloads of any
 * size (Workspace, DBFS, Files API): local files, memory, the caller's
 * callbacks; and the check of a server-supplied name before it becomes a
 * local file name.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core.h"

/* ---- sources ------------------------------------------------------------------ */

static int file_read(void *payload, char *buf, size_t cap, size_t *n)
{
    dbx__file_source *fs = payload;
    for (;;) {
        ssize_t got = read(fs->fd, buf, cap);
        if (got >= 0) {
            *n = (size_t)got;
            return 0;
        }
        if (errno != EINTR) {
            fs->err = errno;
            return -1;
        }
    }
}

static int file_rewind(void *payload)
{
    dbx__file_source *fs = payload;
    if (lseek(fs->fd, 0, SEEK_SET) != 0) {
        fs->err = errno;
        return -1;
    }
    return 0;
}

dbx_status dbx__file_source_open(dbx__file_source *fs, const void *owner, const char *what,
                                 const char *path)
{
    memset(fs, 0, sizeof *fs);
    fs->fd = -1;
    if (dbx__empty(path))
        return dbx__fail(owner, DBX_EINVAL, "%s: the local file name is empty", what);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return dbx__fail(owner, errno == ENOENT ? DBX_ENOTFOUND : DBX_EINVAL,
                         "%s: cannot open local file '%s': %s", what, path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        int e = errno;
        close(fd);
        return dbx__fail(owner, DBX_EINVAL, "%s: local file '%s' is not a regular file%s%s", what, path,
                         e ? ": " : "", e ? strerror(e) : "");
    }
    fs->fd = fd;
    fs->src.version = DBX_SOURCE_VERSION;
    fs->src.read = file_read;
    fs->src.rewind = file_rewind;
    fs->src.payload = fs;
    fs->src.size = (int64_t)st.st_size;
    return DBX_OK;
}

void dbx__file_source_close(dbx__file_source *fs)
{
    if (fs && fs->fd >= 0) {
        close(fs->fd);
        fs->fd = -1;
    }
}

static int mem_read(void *payload, char *buf, size_t cap, size_t *n)
{
    dbx__mem_source *m = payload;
    size_t k = m->len - m->pos < cap ? m->len - m->pos : cap;
    if (k)
        memcpy(buf, m->data + m->pos, k);
    m->pos += k;
    *n = k;
    return 0;
}

static int mem_rewind(void *payload)
{
    ((dbx__mem_source *)payload)->pos = 0;
    return 0;
}

void dbx__mem_source_init(dbx__mem_source *m, const void *data, size_t len)
{
    memset(m, 0, sizeof *m);
    m->data = data ? data : "";
    m->len = data ? len : 0;
    m->src.version = DBX_SOURCE_VERSION;
    m->src.read = mem_read;
    m->src.rewind = mem_rewind;
    m->src.payload = m;
    m->src.size = (int64_t)m->len;
}

dbx_status dbx__source_check(const void *owner, const char *what, const dbx_source *src)
{
    if (!src)
        return dbx__fail(owner, DBX_EINVAL, "%s: source is NULL", what);
    if (src->version == 0 || src->version > DBX_SOURCE_VERSION)
        return dbx__fail(owner, DBX_EINVAL, "%s: dbx_source version %u is not supported", what,
                         src->version);
    if (!src->read)
        return dbx__fail(owner, DBX_EINVAL, "%s: source->read is NULL", what);
    if (src->size < -1)
        return dbx__fail(owner, DBX_EINVAL, "%s: source->size is negative", what);
    return DBX_OK;
}

dbx_status dbx__source_fill(const void *owner, const char *what, const dbx_source *src, char *buf,
                            size_t cap, size_t *n, int *eof)
{
    *n = 0;
    *eof = 0;
    while (*n < cap) {
        size_t got = 0;
        if (src->read(src->payload, buf + *n, cap - *n, &got) != 0)
            return dbx__fail(owner, DBX_ECANCELLED, "%s: the source's read callback stopped the upload",
                             what);
        if (got > cap - *n)
            return dbx__fail(owner, DBX_EINVAL, "%s: the source's read callback returned %zu bytes for "
                             "a %zu-byte buffer", what, got, cap - *n);
        if (got == 0) {
            *eof = 1;
            break;
        }
        *n += got;
    }
    return DBX_OK;
}

/* ---- file sink ------------------------------------------------------------------ */

dbx_status dbx__file_sink_open(dbx__file_sink *fs, const void *owner, const char *what, const char *path,
                               int overwrite)
{
    memset(fs, 0, sizeof *fs);
    fs->fd = -1;
    if (dbx__empty(path))
        return dbx__fail(owner, DBX_EINVAL, "%s: the local file name is empty", what);
    struct stat st;
    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return dbx__fail(owner, DBX_EINVAL, "%s: local path '%s' is a directory", what, path);
        if (!overwrite)
            return dbx__fail(owner, DBX_EEXISTS, "%s: local file '%s' exists (overwrite not set)", what, path);
    }
    fs->path = dbx__strdup(path);
    fs->tmp = dbx__sprintf("%s.dbx-partial-XXXXXX", path);
    if (!fs->path || !fs->tmp) {
        dbx__file_sink_abort(fs);
        return dbx__fail(owner, DBX_ENOMEM, "out of memory");
    }
    int fd = mkstemp(fs->tmp);
    if (fd < 0) {
        int e = errno;
        dbx__free(fs->tmp);
        fs->tmp = NULL;
        dbx__file_sink_abort(fs);
        return dbx__fail(owner, e == ENOENT ? DBX_ENOTFOUND : DBX_EINVAL,
                         "%s: cannot create a file beside '%s': %s", what, path, strerror(e));
    }
    fs->fd = fd;
    return DBX_OK;
}

int dbx__file_sink_write(void *payload, const char *data, size_t len)
{
    dbx__file_sink *fs = payload;
    while (len) {
        ssize_t w = write(fs->fd, data, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            fs->err = errno;
            return -1;
        }
        data += w;
        len -= (size_t)w;
        fs->written += (uint64_t)w;
    }
    return 0;
}

dbx_status dbx__file_sink_commit(dbx__file_sink *fs, const void *owner, const char *what)
{
    int e = 0;
    if (fs->err)
        e = fs->err;
    else if (fsync(fs->fd) != 0 && errno != EINVAL)
        e = errno;
    if (close(fs->fd) != 0 && !e)
        e = errno;
    fs->fd = -1;
    if (!e && rename(fs->tmp, fs->path) != 0)
        e = errno;
    if (e) {
        dbx_status st = dbx__fail(owner, DBX_ERROR, "%s: cannot write local file '%s': %s", what, fs->path,
                                  strerror(e));
        dbx__file_sink_abort(fs);
        return st;
    }
    dbx__free(fs->tmp);
    dbx__free(fs->path);
    fs->tmp = fs->path = NULL;
    return DBX_OK;
}

void dbx__file_sink_abort(dbx__file_sink *fs)
{
    if (!fs)
        return;
    if (fs->fd >= 0)
        close(fs->fd);
    fs->fd = -1;
    if (fs->tmp)
        unlink(fs->tmp);
    dbx__free(fs->tmp);
    dbx__free(fs->path);
    fs->tmp = fs->path = NULL;
}

/* ---- names from the server -------------------------------------------------------- */

int dbx__local_name_safe(const char *name, size_t len)
{
    if (!name || len == 0 || len > 255)
        return 0;
    if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
        return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c == '/' || c == '\\' || c == '\0' || c < 0x20 || c == 0x7f)
            return 0;
    }
    return 1;
}
