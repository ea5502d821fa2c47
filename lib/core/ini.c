/* libdbx internal: a small INI parser for ~/.databrickscfg. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core.h"

typedef struct ini_entry {
    char *section;
    char *key;
    char *value;
} ini_entry;

struct dbx__ini {
    ini_entry *entries;
    size_t n, cap;
    char **sections;
    size_t n_sections, cap_sections;
};

void dbx__ini_free(dbx__ini *ini)
{
    if (!ini)
        return;
    for (size_t i = 0; i < ini->n; i++) {
        dbx__free(ini->entries[i].key);
        dbx__free(ini->entries[i].value);
    }
    for (size_t i = 0; i < ini->n_sections; i++)
        dbx__free(ini->sections[i]);
    dbx__free(ini->entries);
    dbx__free(ini->sections);
    dbx__free(ini);
}

static char *trim(char *s, char *end)
{
    while (s < end && isspace((unsigned char)*s))
        s++;
    while (end > s && isspace((unsigned char)end[-1]))
        end--;
    *end = '\0';
    return s;
}

/* Bounds on a config file: lookups are linear, and a real file has a few
 * profiles of a few keys; a huge one is refused rather than parsed in
 * quadratic time. */
#define INI_MAX_SECTIONS 1024
#define INI_MAX_ENTRIES 4096

static int add_section(dbx__ini *ini, const char *name)
{
    if (ini->n_sections == ini->cap_sections) {
        size_t cap = ini->cap_sections ? ini->cap_sections * 2 : 8;
        char **p = dbx__realloc(ini->sections, cap * sizeof *p);
        if (!p)
            return -1;
        ini->sections = p;
        ini->cap_sections = cap;
    }
    if (!(ini->sections[ini->n_sections] = dbx__strdup(name)))
        return -1;
    ini->n_sections++;
    return 0;
}

static int set_entry(dbx__ini *ini, char *section, const char *key, const char *value)
{
    for (size_t i = 0; i < ini->n; i++) {
        if (ini->entries[i].section == section && strcmp(ini->entries[i].key, key) == 0) {
            char *v = dbx__strdup(value);
            if (!v)
                return -1;
            dbx__free(ini->entries[i].value);
            ini->entries[i].value = v;
            return 0;
        }
    }
    if (ini->n == ini->cap) {
        size_t cap = ini->cap ? ini->cap * 2 : 16;
        ini_entry *p = dbx__realloc(ini->entries, cap * sizeof *p);
        if (!p)
            return -1;
        ini->entries = p;
        ini->cap = cap;
    }
    ini_entry *e = &ini->entries[ini->n];
    e->section = section;
    e->key = dbx__strdup(key);
    e->value = dbx__strdup(value);
    if (!e->key || !e->value) {
        dbx__free(e->key);
        dbx__free(e->value);
        return -1;
    }
    ini->n++;
    return 0;
}

static char *find_section(dbx__ini *ini, const char *name)
{
    for (size_t i = 0; i < ini->n_sections; i++)
        if (strcmp(ini->sections[i], name) == 0)
            return ini->sections[i];
    return NULL;
}

int dbx__ini_parse(dbx__ini **out, const char *text, size_t len, char *errbuf, size_t errlen)
{
    *out = NULL;
    dbx__ini *ini = dbx__calloc(1, sizeof *ini);
    char *copy = dbx__strndup(text, len);
    if (!ini || !copy) {
        dbx__free(copy);
        dbx__free(ini);
        snprintf(errbuf, errlen, "out of memory");
        return -1;
    }
    /* keys before any section header belong to DEFAULT (Python configparser does the same) */
    char *section = NULL;
    int lineno = 0;
    char *p = copy;
    if ((unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB && (unsigned char)p[2] == 0xBF)
        p += 3; /* UTF-8 BOM */
    while (*p) {
        char *eol = strchr(p, '\n');
        char *next = eol ? eol + 1 : p + strlen(p);
        char *end = eol ? eol : next;
        lineno++;
        char *line = trim(p, end);
        if (*line == '\0' || *line == '#' || *line == ';') {
            p = next;
            continue;
        }
        if (*line == '[') {
            char *close = strchr(line, ']');
            if (!close) {
                snprintf(errbuf, errlen, "line %d: unterminated section header", lineno);
                goto fail;
            }
            char *name = trim(line + 1, close);
            section = find_section(ini, name);
            if (!section) {
                if (ini->n_sections >= INI_MAX_SECTIONS) {
                    snprintf(errbuf, errlen, "line %d: more than %d profiles", lineno, INI_MAX_SECTIONS);
                    goto fail;
                }
                if (add_section(ini, name) != 0)
                    goto oom;
                section = ini->sections[ini->n_sections - 1];
            }
            p = next;
            continue;
        }
        char *eq = strpbrk(line, "=:");
        if (!eq) {
            snprintf(errbuf, errlen, "line %d: expected 'key = value'", lineno);
            goto fail;
        }
        char *val_end = line + strlen(line); /* before trim() cuts the line at the key */
        char *key = trim(line, eq);
        char *value = trim(eq + 1, val_end);
        if (!*key) {
            snprintf(errbuf, errlen, "line %d: empty key", lineno);
            goto fail;
        }
        if (!section) {
            section = find_section(ini, "DEFAULT");
            if (!section) {
                if (add_section(ini, "DEFAULT") != 0)
                    goto oom;
                section = ini->sections[ini->n_sections - 1];
            }
        }
        if (ini->n >= INI_MAX_ENTRIES) {
            snprintf(errbuf, errlen, "line %d: more than %d keys", lineno, INI_MAX_ENTRIES);
            goto fail;
        }
        if (set_entry(ini, section, key, value) != 0)
            goto oom;
        p = next;
    }
    dbx__free(copy);
    *out = ini;
    return 0;
oom:
    snprintf(errbuf, errlen, "out of memory");
fail:
    dbx__free(copy);
    dbx__ini_free(ini);
    return -1;
}

int dbx__ini_load(dbx__ini **out, const char *path, char *errbuf, size_t errlen)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (errno == ENOENT || errno == ENOTDIR)
            return 1;
        snprintf(errbuf, errlen, "cannot open: %s", strerror(errno));
        return -1;
    }
    dbx__buf b = DBX__BUF_INIT;
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (dbx__buf_put(&b, chunk, n) != 0 || b.len > (1u << 20)) {
            snprintf(errbuf, errlen, b.oom ? "out of memory" : "file larger than 1 MiB");
            fclose(f);
            dbx__buf_dispose(&b);
            return -1;
        }
    }
    int err = ferror(f);
    fclose(f);
    if (err) {
        snprintf(errbuf, errlen, "read error");
        dbx__buf_dispose(&b);
        return -1;
    }
    int rc = dbx__ini_parse(out, b.ptr ? b.ptr : "", b.len, errbuf, errlen);
    dbx__buf_dispose(&b);
    return rc;
}

int dbx__ini_has_section(const dbx__ini *ini, const char *section)
{
    return ini && find_section((dbx__ini *)ini, section) != NULL;
}

const char *dbx__ini_get(const dbx__ini *ini, const char *section, const char *key)
{
    if (!ini)
        return NULL;
    for (size_t i = 0; i < ini->n; i++)
        if (strcmp(ini->entries[i].section, section) == 0 && strcmp(ini->entries[i].key, key) == 0)
            return ini->entries[i].value;
    return NULL;
}
