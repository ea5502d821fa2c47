/* libdbx internal: jansson helpers. */
#include <ctype.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "json_util.h"

const char *dbx__json_str(const json_t *obj, const char *key, const char *fallback)
{
    const json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
    return json_is_string(v) ? json_string_value(v) : fallback;
}

static int64_t to_int(const json_t *v, int64_t fallback)
{
    if (json_is_integer(v))
        return (int64_t)json_integer_value(v);
    if (json_is_real(v)) {
        double d = json_real_value(v);
        if (d >= -9.2e18 && d <= 9.2e18 && (double)(int64_t)d == d)
            return (int64_t)d;
        return fallback;
    }
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        char *end;
        long long ll = strtoll(s, &end, 10);

        if (end != s && *end == '\0')
            return (int64_t)ll;
    }
    return fallback;
}

int64_t dbx__json_int(const json_t *obj, const char *key, int64_t fallback)
{
    const json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
    return v ? to_int(v, fallback) : fallback;
}

double dbx__json_real(const json_t *obj, const char *key, double fallback)
{
    const json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
    return json_is_number(v) ? json_number_value(v) : fallback;
}

json_t *dbx__json_path(const json_t *obj, const char *path)
{
    const json_t *cur = obj;
    char key[128];
    while (cur && *path) {
        size_t n = strcspn(path, ".");
        if (n >= sizeof key || !json_is_object(cur))
            return NULL;
        memcpy(key, path, n);
        key[n] = '\0';
        cur = json_object_get(cur, key);
        path += n;
        if (*path == '.')
            path++;
    }
    return (json_t *)cur;
}

const char *dbx__json_path_str(const json_t *obj, const char *path, const char *fallback)
{
    const json_t *v = dbx__json_path(obj, path);
    return json_is_string(v) ? json_string_value(v) : fallback;
}

dbx_status dbx__json_parse_object(json_t **out, const void *owner, const char *body, size_t len)
{
    *out = NULL;
    size_t i = 0;
    while (i < len && isspace((unsigned char)body[i]))
        i++;
    if (i == len) {
        *out = json_object();
        return *out ? DBX_OK : dbx__fail(owner, DBX_ENOMEM, "out of memory");
    }
    /* a duplicate key from the server is harmless: the last one wins */
    char err[96];
    size_t pos = 0;
    json_t *v = dbx__json_parse(body, len, err, sizeof err, &pos);
    if (!v) {
        dbx__buf snip = DBX__BUF_INIT;
        dbx__redact_body(&snip, body, len, 60);
        dbx__fail(owner, DBX_EBADRESPONSE, "response is not valid JSON (%s at byte %zu of %zu): %s", err,
                  pos, len, snip.ptr ? snip.ptr : "");
        dbx__buf_dispose(&snip);
        return DBX_EBADRESPONSE;
    }
    if (!json_is_object(v)) {
        json_decref(v);
        return dbx__fail(owner, DBX_EBADRESPONSE, "response is JSON but not an object");
    }
    *out = v;
    return DBX_OK;
}

char *dbx__json_dump(const json_t *v)
{
    return json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
}

int dbx__json_set_str(json_t *obj, const char *key, const char *value)
{
    json_t *s = json_string(value);
    if (!s)
        return -1;
    return json_object_set_new(obj, key, s);
}

int dbx__json_set_int(json_t *obj, const char *key, int64_t value)
{
    json_t *v = json_integer((json_int_t)value);
    if (!v)
        return -1;
    return json_object_set_new(obj, key, v);
}

const char *dbx__json_cached_dump(const json_t *v, void *_Atomic *slot)
{
    char *cur = atomic_load(slot);
    if (cur)
        return cur;
    char *mine = dbx__json_dump(v);
    if (!mine)
        return NULL;
    void *expected = NULL;
    if (atomic_compare_exchange_strong(slot, &expected, mine))
        return mine;
    free(mine);
    return expected;
}
