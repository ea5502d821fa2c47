/*
 * Unit tests for byte sources and sinks (lib/core/stream.c).
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core.h"

static char g_dir[64];

static int setup(void **state)
{
    (void)state;
    strcpy(g_dir, "/tmp/dbx-stream-XXXXXX");
    return mkdtemp(g_dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void write_file(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

static void file_source_reads_and_rewinds(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/in.bin", g_dir);
    char data[10000];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (char)(i * 7);
    write_file(path, data, sizeof data);
    dbx__file_source fs;
    assert_int_equal(dbx__file_source_open(&fs, NULL, "t", path), DBX_OK);
    assert_int_equal(fs.src.size, (int64_t)sizeof data);
    char buf[4096];
    size_t n;
    int eof;
    assert_int_equal(dbx__source_fill(NULL, "t", &fs.src, buf, sizeof buf, &n, &eof), DBX_OK);
    assert_int_equal(n, 4096);
    assert_false(eof);
    assert_memory_equal(buf, data, n);
    assert_int_equal(fs.src.rewind(fs.src.payload), 0);
    size_t total = 0;
    do {
        assert_int_equal(dbx__source_fill(NULL, "t", &fs.src, buf, sizeof buf, &n, &eof), DBX_OK);
        assert_memory_equal(buf, data + total, n);
        total += n;
    } while (!eof);
    assert_int_equal(total, sizeof data);
    dbx__file_source_close(&fs);
    dbx__file_source_close(&fs); /* idempotent */

    /* missing file, a directory, an empty name */
    snprintf(path, sizeof path, "%s/missing", g_dir);
    assert_int_equal(dbx__file_source_open(&fs, NULL, "t", path), DBX_ENOTFOUND);
    assert_non_null(strstr(dbx__error_current()->message, "missing"));
    assert_int_equal(dbx__file_source_open(&fs, NULL, "t", g_dir), DBX_EINVAL);
    assert_int_equal(dbx__file_source_open(&fs, NULL, "t", ""), DBX_EINVAL);
}

static int refuse(void *p, char *buf, size_t cap, size_t *n)
{
    (void)p, (void)buf, (void)cap, (void)n;
    return 1;
}

static int liar(void *p, char *buf, size_t cap, size_t *n)
{
    (void)p, (void)buf;
    *n = cap + 1;
    return 0;
}

static void mem_source_and_checks(void **state)
{
    (void)state;
    dbx__mem_source m;
    dbx__mem_source_init(&m, "hello world", 11);
    char buf[4];
    size_t n;
    int eof;
    assert_int_equal(dbx__source_fill(NULL, "t", &m.src, buf, 4, &n, &eof), DBX_OK);
    assert_memory_equal(buf, "hell", 4);
    m.src.rewind(m.src.payload);
    assert_int_equal(dbx__source_fill(NULL, "t", &m.src, buf, 4, &n, &eof), DBX_OK);
    assert_memory_equal(buf, "hell", 4);

    dbx_source s = DBX_SOURCE_INIT;
    assert_int_equal(dbx__source_check(NULL, "t", NULL), DBX_EINVAL);
    assert_int_equal(dbx__source_check(NULL, "t", &s), DBX_EINVAL);
    assert_non_null(strstr(dbx__error_current()->message, "read"));
    s.read = refuse;
    assert_int_equal(dbx__source_check(NULL, "t", &s), DBX_OK);
    assert_int_equal(dbx__source_fill(NULL, "t", &s, buf, 4, &n, &eof), DBX_ECANCELLED);
    s.read = liar;
    assert_int_equal(dbx__source_fill(NULL, "t", &s, buf, 4, &n, &eof), DBX_EINVAL);
    s.version = 99;
    assert_int_equal(dbx__source_check(NULL, "t", &s), DBX_EINVAL);
    s.version = DBX_SOURCE_VERSION;
    s.size = -5;
    assert_int_equal(dbx__source_check(NULL, "t", &s), DBX_EINVAL);
}

static size_t count_entries(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "ls -A '%s' | wc -l", g_dir);
    FILE *p = popen(cmd, "r");
    size_t n = 0;
    assert_int_equal(fscanf(p, "%zu", &n), 1);
    pclose(p);
    return n;
}

static void file_sink_commits_or_leaves_nothing(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/out.bin", g_dir);
    dbx__file_sink fs;
    assert_int_equal(dbx__file_sink_open(&fs, NULL, "t", path, 0), DBX_OK);
    assert_int_equal(dbx__file_sink_write(&fs, "abc", 3), 0);
    assert_int_equal(dbx__file_sink_write(&fs, "def", 3), 0);
    struct stat st;
    assert_int_not_equal(stat(path, &st), 0); /* not under the real name yet */
    assert_int_equal(dbx__file_sink_commit(&fs, NULL, "t"), DBX_OK);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, 6);
    assert_int_equal(count_entries(), 1);

    /* exists: refused without overwrite; replaced with it */
    assert_int_equal(dbx__file_sink_open(&fs, NULL, "t", path, 0), DBX_EEXISTS);
    assert_int_equal(dbx__file_sink_open(&fs, NULL, "t", path, 1), DBX_OK);
    dbx__file_sink_write(&fs, "x", 1);
    dbx__file_sink_abort(&fs); /* the old file stays, the partial one goes */
    dbx__file_sink_abort(&fs);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, 6);
    assert_int_equal(count_entries(), 1);

    /* a directory, or a missing parent */
    assert_int_equal(dbx__file_sink_open(&fs, NULL, "t", g_dir, 1), DBX_EINVAL);
    snprintf(path, sizeof path, "%s/no/such/dir/f", g_dir);
    assert_int_equal(dbx__file_sink_open(&fs, NULL, "t", path, 1), DBX_ENOTFOUND);
}

static void local_names(void **state)
{
    (void)state;
    static const char *const ok[] = {"a", "a.py", "..a", "a..", "...", "notebook (1).ipynb", "é"};
    static const char *const bad[] = {"", ".", "..", "a/b", "../x", "a\\b", "x\ny", "\x7f"};
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
        assert_true(dbx__local_name_safe(ok[i], strlen(ok[i])));
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_false(dbx__local_name_safe(bad[i], strlen(bad[i])));
    assert_false(dbx__local_name_safe("a\0b", 3));
    char longname[300];
    memset(longname, 'a', sizeof longname);
    assert_true(dbx__local_name_safe(longname, 255));
    assert_false(dbx__local_name_safe(longname, 256));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(file_source_reads_and_rewinds, setup, teardown),
        cmocka_unit_test(mem_source_and_checks),
        cmocka_unit_test_setup_teardown(file_sink_commits_or_leaves_nothing, setup, teardown),
        cmocka_unit_test(local_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
