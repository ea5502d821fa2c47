/*
 * bench_sql_rows: read a SQL result of N rows x 10 columns through libdbx's
 * row iterator, and the same chunks with a bare "libcurl + json_loadb"
 * loop, against a local nginx serving the statement and its chunks as
 * static files (bench/run_sql.sh).
 *
 *   bench_sql_rows write DIR ROWS CHUNK_ROWS LINK_BASE
 *       write DIR/inline_ROWS/{statement.json,chunks/N} (INLINE) and
 *       DIR/ext_ROWS/{statement.json,chunks/N} + DIR/links_ROWS/N
 *       (EXTERNAL_LINKS, links under LINK_BASE/links_ROWS/N)
 *   bench_sql_rows read MODE BASE ID
 *       MODE dbx        dbx_sql_get + dbx_sql_rows_next, every value read
 *                       as text (dbx_sql_rows_str)
 *            dbx-typed  the same with the typed accessors (int64, double,
 *                       bool, epoch_ms) where the column's type has one
 *            jansson    one libcurl easy handle GETs the same chunks in
 *                       order (the statement, then each chunk; for
 *                       EXTERNAL_LINKS the links), json_loadb, every value
 *                       read with json_string_value, json_decref
 *       prints "MODE ID rows seconds rows_per_s peak_rss_kb checksum"
 */
#define _POSIX_C_SOURCE 200809L
#include <curl/curl.h>
#include <dbx/dbx.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#define NCOLS 10

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long peak_rss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static const char *cities[] = {"Zürich", "Genève", "Basel", "Bern", "Lausanne", "Lugano", "Chur", "Sion"};

/* One row as a JSON array: id LONG, name STRING, amount DECIMAL(12,2),
 * qty INT, price DOUBLE, flag BOOLEAN, day DATE, ts TIMESTAMP, city
 * STRING, note STRING (NULL every tenth row). */
static void write_row(FILE *f, long i)
{
    time_t day = (time_t)(i % 3650) * 86400 + 1577836800; /* from 2020-01-01 */
    time_t ts = (time_t)1704067200 + i;                     /* from 2024-01-01 */
    struct tm d, t;
    gmtime_r(&day, &d);
    gmtime_r(&ts, &t);
    fprintf(f, "[\"%ld\",\"name-%ld\",\"%ld.%02ld\",\"%ld\",\"%.2f\",\"%s\",\"%04d-%02d-%02d\","
               "\"%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ\",\"%s\",",
            i, i, i / 7, i % 100, i % 1000, (double)i * 0.25, i % 2 ? "true" : "false", d.tm_year + 1900,
            d.tm_mon + 1, d.tm_mday, t.tm_year + 1900, t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec,
            i % 1000, cities[i % 8]);
    if (i % 10 == 0)
        fputs("null]", f);
    else
        fprintf(f, "\"note %ld; -- 'quoted'\"]", i);
}

static void write_rows(FILE *f, long from, long n)
{
    fputc('[', f);
    for (long i = 0; i < n; i++) {
        if (i)
            fputc(',', f);
        write_row(f, from + i);
    }
    fputc(']', f);
}

static const char *manifest_cols =
    "{\"column_count\":10,\"columns\":["
    "{\"name\":\"id\",\"position\":0,\"type_name\":\"LONG\",\"type_text\":\"BIGINT\"},"
    "{\"name\":\"name\",\"position\":1,\"type_name\":\"STRING\",\"type_text\":\"STRING\"},"
    "{\"name\":\"amount\",\"position\":2,\"type_name\":\"DECIMAL\",\"type_text\":\"DECIMAL(12,2)\","
    "\"type_precision\":12,\"type_scale\":2},"
    "{\"name\":\"qty\",\"position\":3,\"type_name\":\"INT\",\"type_text\":\"INT\"},"
    "{\"name\":\"price\",\"position\":4,\"type_name\":\"DOUBLE\",\"type_text\":\"DOUBLE\"},"
    "{\"name\":\"flag\",\"position\":5,\"type_name\":\"BOOLEAN\",\"type_text\":\"BOOLEAN\"},"
    "{\"name\":\"day\",\"position\":6,\"type_name\":\"DATE\",\"type_text\":\"DATE\"},"
    "{\"name\":\"ts\",\"position\":7,\"type_name\":\"TIMESTAMP\",\"type_text\":\"TIMESTAMP\"},"
    "{\"name\":\"city\",\"position\":8,\"type_name\":\"STRING\",\"type_text\":\"STRING\"},"
    "{\"name\":\"note\",\"position\":9,\"type_name\":\"STRING\",\"type_text\":\"STRING\"}]}";

static FILE *open_w(const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "cannot write %s: %s\n", path, strerror(errno));
        exit(1);
    }
    return f;
}

static void write_manifest(FILE *f, const char *format, long rows, long nchunks, long chunk_rows)
{
    fprintf(f, "\"manifest\":{\"format\":\"%s\",\"schema\":%s,\"total_chunk_count\":%ld,\"chunks\":[", format,
            manifest_cols, nchunks);
    for (long c = 0; c < nchunks; c++) {
        long n = rows - c * chunk_rows < chunk_rows ? rows - c * chunk_rows : chunk_rows;
        fprintf(f, "%s{\"chunk_index\":%ld,\"row_offset\":%ld,\"row_count\":%ld}", c ? "," : "", c, c * chunk_rows, n);
    }
    fprintf(f, "],\"total_row_count\":%ld,\"truncated\":false}", rows);
}

static void link_obj(FILE *f, const char *base, long rows, long c, long nchunks, long chunk_rows)
{
    long n = rows - c * chunk_rows < chunk_rows ? rows - c * chunk_rows : chunk_rows;
    fprintf(f, "{\"chunk_index\":%ld,\"row_offset\":%ld,\"row_count\":%ld,\"external_link\":\"%s/links_%ld/%ld"
               "?X-Amz-Signature=bench\",\"expiration\":\"2099-01-01T00:00:00Z\",\"http_headers\":"
               "{\"x-amz-server-side-encryption-customer-key\":\"bench\"}",
            c, c * chunk_rows, n, base, rows, c);
    if (c + 1 < nchunks)
        fprintf(f, ",\"next_chunk_index\":%ld", c + 1);
    fputc('}', f);
}

static int do_write(const char *dir, long rows, long chunk_rows, const char *link_base)
{
    long nchunks = (rows + chunk_rows - 1) / chunk_rows;
    char p[4096];
    snprintf(p, sizeof p, "%s/inline_%ld", dir, rows);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/inline_%ld/chunks", dir, rows);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/ext_%ld", dir, rows);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/ext_%ld/chunks", dir, rows);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/links_%ld", dir, rows);
    mkdir(p, 0755);
    /* INLINE: the statement holds chunk 0 */
    snprintf(p, sizeof p, "%s/inline_%ld/statement.json", dir, rows);
    FILE *f = open_w(p);
    fprintf(f, "{\"statement_id\":\"inline_%ld\",\"status\":{\"state\":\"SUCCEEDED\"},", rows);
    write_manifest(f, "JSON_ARRAY", rows, nchunks, chunk_rows);
    fprintf(f, ",\"result\":{\"chunk_index\":0,\"row_offset\":0,\"row_count\":%ld,", rows < chunk_rows ? rows : chunk_rows);
    if (nchunks > 1)
        fprintf(f, "\"next_chunk_index\":1,\"next_chunk_internal_link\":\"/api/2.0/sql/statements/inline_%ld/result/chunks/1\",", rows);
    fputs("\"data_array\":", f);
    write_rows(f, 0, rows < chunk_rows ? rows : chunk_rows);
    fputs("}}", f);
    fclose(f);
    for (long c = 1; c < nchunks; c++) {
        long n = rows - c * chunk_rows < chunk_rows ? rows - c * chunk_rows : chunk_rows;
        snprintf(p, sizeof p, "%s/inline_%ld/chunks/%ld", dir, rows, c);
        f = open_w(p);
        fprintf(f, "{\"chunk_index\":%ld,\"row_offset\":%ld,\"row_count\":%ld,", c, c * chunk_rows, n);
        if (c + 1 < nchunks)
            fprintf(f, "\"next_chunk_index\":%ld,\"next_chunk_internal_link\":\"/api/2.0/sql/statements/inline_%ld/result/chunks/%ld\",", c + 1, rows, c + 1);
        fputs("\"data_array\":", f);
        write_rows(f, c * chunk_rows, n);
        fputc('}', f);
        fclose(f);
    }
    /* EXTERNAL_LINKS: the statement holds chunk 0's link */
    snprintf(p, sizeof p, "%s/ext_%ld/statement.json", dir, rows);
    f = open_w(p);
    fprintf(f, "{\"statement_id\":\"ext_%ld\",\"status\":{\"state\":\"SUCCEEDED\"},", rows);
    write_manifest(f, "JSON_ARRAY", rows, nchunks, chunk_rows);
    fputs(",\"result\":{\"external_links\":[", f);
    link_obj(f, link_base, rows, 0, nchunks, chunk_rows);
    fputs("]}}", f);
    fclose(f);
    for (long c = 0; c < nchunks; c++) {
        long n = rows - c * chunk_rows < chunk_rows ? rows - c * chunk_rows : chunk_rows;
        snprintf(p, sizeof p, "%s/ext_%ld/chunks/%ld", dir, rows, c);
        f = open_w(p);
        fputs("{\"external_links\":[", f);
        link_obj(f, link_base, rows, c, nchunks, chunk_rows);
        fputs("]}", f);
        fclose(f);
        snprintf(p, sizeof p, "%s/links_%ld/%ld", dir, rows, c);
        f = open_w(p);
        write_rows(f, c * chunk_rows, n);
        fclose(f);
    }
    return 0;
}

/* ---- libdbx ---------------------------------------------------------------------------- */

static int read_dbx(const char *base, const char *id, int typed, long *rows, unsigned long long *sum)
{
    dbx_client_options o = DBX_CLIENT_OPTIONS_INIT;
    o.host = base;
    o.token = "dapi-bench";
    dbx_client *c = NULL;
    if (dbx_client_new(&c, &o) != DBX_OK) {
        fprintf(stderr, "client: %s\n", dbx_client_last_error(NULL)->message);
        return 1;
    }
    dbx_sql_statement *st = NULL;
    dbx_sql_rows *it = NULL;
    int rc = 1;
    if (dbx_sql_get(&st, c, id) != DBX_OK || dbx_sql_rows_open(&it, c, st, NULL) != DBX_OK)
        goto out;
    dbx_status s;
    while ((s = dbx_sql_rows_next(it)) == DBX_OK) {
        (*rows)++;
        if (!typed) {
            for (int k = 0; k < NCOLS; k++) {
                const char *v = dbx_sql_rows_str(it, k);
                if (v)
                    *sum += dbx_sql_rows_strlen(it, k);
            }
        } else {
            int64_t i64;
            double d;
            int b;
            if (dbx_sql_rows_int64(&i64, it, 0) == DBX_OK)
                *sum += (unsigned long long)i64;
            *sum += dbx_sql_rows_strlen(it, 1) + dbx_sql_rows_strlen(it, 2);
            if (dbx_sql_rows_int64(&i64, it, 3) == DBX_OK)
                *sum += (unsigned long long)i64;
            if (dbx_sql_rows_double(&d, it, 4) == DBX_OK)
                *sum += (unsigned long long)d;
            if (dbx_sql_rows_bool(&b, it, 5) == DBX_OK)
                *sum += (unsigned long long)b;
            if (dbx_sql_rows_epoch_ms(&i64, it, 6) == DBX_OK)
                *sum += (unsigned long long)(i64 / 86400000);
            if (dbx_sql_rows_epoch_ms(&i64, it, 7) == DBX_OK)
                *sum += (unsigned long long)(i64 % 1000);
            *sum += dbx_sql_rows_strlen(it, 8);
            if (!dbx_sql_rows_is_null(it, 9))
                *sum += dbx_sql_rows_strlen(it, 9);
        }
    }
    rc = s == DBX_DONE ? 0 : 1;
out:
    if (rc)
        fprintf(stderr, "libdbx: %s\n", dbx_client_last_error(c)->message);
    dbx_sql_rows_free(it);
    dbx_sql_statement_free(st);
    dbx_client_free(c);
    return rc;
}

/* ---- bare libcurl + jansson ------------------------------------------------------------ */

typedef struct mem {
    char *p;
    size_t len, cap;
} mem;

static size_t on_body(char *d, size_t sz, size_t n, void *ud)
{
    mem *m = ud;
    size_t len = sz * n;
    if (m->len + len + 1 > m->cap) {
        size_t cap = m->cap ? m->cap : 1 << 16;
        while (cap < m->len + len + 1)
            cap *= 2;
        char *p = realloc(m->p, cap);
        if (!p)
            return 0;
        m->p = p;
        m->cap = cap;
    }
    memcpy(m->p + m->len, d, len);
    m->len += len;
    return len;
}

static json_t *get_json(CURL *h, const char *url, mem *m)
{
    m->len = 0;
    curl_easy_setopt(h, CURLOPT_URL, url);
    if (curl_easy_perform(h) != CURLE_OK)
        return NULL;
    json_error_t e;
    return json_loadb(m->p, m->len, 0, &e);
}

static void walk(json_t *rows, long *n, unsigned long long *sum)
{
    size_t i, k;
    json_t *row, *v;
    json_array_foreach(rows, i, row) {
        (*n)++;
        json_array_foreach(row, k, v) {
            if (json_is_string(v))
                *sum += json_string_length(v);
        }
    }
}

static int read_jansson(const char *base, const char *id, long *rows, unsigned long long *sum)
{
    CURL *h = curl_easy_init();
    mem m = {0};
    struct curl_slist *hd = curl_slist_append(NULL, "Authorization: Bearer dapi-bench");
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &m);
    char url[4096];
    snprintf(url, sizeof url, "%s/api/2.0/sql/statements/%s", base, id);
    json_t *st = get_json(h, url, &m);
    if (!st)
        return 1;
    long nchunks = (long)json_integer_value(json_object_get(json_object_get(st, "manifest"), "total_chunk_count"));
    int ext = strncmp(id, "ext_", 4) == 0;
    if (!ext)
        walk(json_object_get(json_object_get(st, "result"), "data_array"), rows, sum);
    json_decref(st);
    for (long c = ext ? 0 : 1; c < nchunks; c++) {
        if (ext) {
            /* the link as libdbx reads it: chunk endpoint, then the link */
            snprintf(url, sizeof url, "%s/api/2.0/sql/statements/%s/result/chunks/%ld", base, id, c);
            json_t *r = get_json(h, url, &m);
            if (!r)
                return 1;
            const char *link = json_string_value(json_object_get(json_array_get(json_object_get(r, "external_links"), 0), "external_link"));
            snprintf(url, sizeof url, "%s", link ? link : "");
            json_decref(r);
            json_t *rows_j = get_json(h, url, &m);
            if (!rows_j)
                return 1;
            walk(rows_j, rows, sum);
            json_decref(rows_j);
        } else {
            snprintf(url, sizeof url, "%s/api/2.0/sql/statements/%s/result/chunks/%ld", base, id, c);
            json_t *r = get_json(h, url, &m);
            if (!r)
                return 1;
            walk(json_object_get(r, "data_array"), rows, sum);
            json_decref(r);
        }
    }
    free(m.p);
    curl_slist_free_all(hd);
    curl_easy_cleanup(h);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 6 && strcmp(argv[1], "write") == 0)
        return do_write(argv[2], atol(argv[3]), atol(argv[4]), argv[5]);
    if (argc != 5 || strcmp(argv[1], "read") != 0) {
        fprintf(stderr, "usage: bench_sql_rows write DIR ROWS CHUNK_ROWS LINK_BASE\n"
                        "       bench_sql_rows read dbx|dbx-typed|jansson BASE STATEMENT_ID\n");
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const char *mode = argv[2];
    long rows = 0;
    unsigned long long sum = 0;
    double t0 = now_s();
    int rc = strcmp(mode, "jansson") == 0 ? read_jansson(argv[3], argv[4], &rows, &sum)
                                          : read_dbx(argv[3], argv[4], strcmp(mode, "dbx-typed") == 0, &rows, &sum);
    double t = now_s() - t0;
    if (rc)
        return 1;
    printf("%s %s %ld %.3f %.0f %ld %llu\n", mode, argv[4], rows, t, (double)rows / t, peak_rss_kb(), sum);
    curl_global_cleanup();
    return 0;
}
