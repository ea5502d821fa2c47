/*
 * render_report: migration results (mreport.h) as HTML pages.
 *   render_report RESULT.json REPORT.html
 *       a program's result as its self-contained page (for the programs that
 *       write only the JSON: the Python and R ones)
 *   render_report --index INDEX.html RESULT.json...
 *       an index page of several runs, each linked to its page (RESULT's name
 *       with .html for .json, relative to the index), and one summary line per
 *       run on stdout
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mreport.h"

/* the whole file as a NUL-terminated string, or NULL (reported) */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return NULL;
    }
    size_t cap = 1 << 16, len = 0, n;
    char *text = malloc(cap);
    while (text && (n = fread(text + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (len + 1 == cap) {
            char *t = cap < (1u << 30) ? realloc(text, cap *= 2) : NULL;
            if (!t)
                free(text);
            text = t;
        }
    }
    fclose(f);
    if (!text) {
        fprintf(stderr, "render_report: %s is too large\n", path);
        return NULL;
    }
    text[len] = '\0';
    return text;
}

static int index_page(int n, char **results, const char *out_path)
{
    char **texts = calloc((size_t)n, sizeof *texts), **links = calloc((size_t)n, sizeof *links);
    int rc = texts && links ? 0 : 1;
    for (int i = 0; rc == 0 && i < n; i++) {
        if (!(texts[i] = slurp(results[i]))) {
            rc = 1;
            break;
        }
        const char *base = strrchr(results[i], '/') ? strrchr(results[i], '/') + 1 : results[i];
        size_t bl = strlen(base);
        if (!(links[i] = malloc(bl + 6))) {
            rc = 1;
            break;
        }
        memcpy(links[i], base, bl + 1);
        if (bl > 5 && strcmp(base + bl - 5, ".json") == 0)
            strcpy(links[i] + bl - 5, ".html");
        char line[300];
        if (mreport_summary(texts[i], line, sizeof line) != 0) {
            fprintf(stderr, "render_report: %s: %s\n", results[i], line);
            rc = 1;
            break;
        }
        printf("  %s\n", line);
    }
    if (rc == 0) {
        FILE *o = fopen(out_path, "w");
        char err[200] = "";
        if (!o) {
            perror(out_path);
            rc = 1;
        } else {
            rc = mreport_render_index((const char *const *)texts, (const char *const *)links, (size_t)n, o, err,
                                      sizeof err);
            if (fclose(o) != 0 || rc != 0) {
                fprintf(stderr, "render_report: %s\n", rc ? err : "write failed");
                rc = 1;
            }
        }
    }
    for (int i = 0; i < n; i++) {
        if (texts)
            free(texts[i]);
        if (links)
            free(links[i]);
    }
    free(texts);
    free(links);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc >= 4 && strcmp(argv[1], "--index") == 0)
        return index_page(argc - 3, argv + 3, argv[2]);
    if (argc != 3 || argv[1][0] == '-') {
        fprintf(stderr, "usage: render_report RESULT.json REPORT.html\n"
                        "       render_report --index INDEX.html RESULT.json...\n");
        return 2;
    }
    char *text = slurp(argv[1]);
    if (!text)
        return 1;
    FILE *o = fopen(argv[2], "w");
    if (!o) {
        perror(argv[2]);
        free(text);
        return 1;
    }
    char err[160];
    int rc = mreport_render(text, o, err, sizeof err);
    free(text);
    if (fclose(o) != 0 || rc != 0) {
        fprintf(stderr, "render_report: %s\n", rc ? err : "write failed");
        return 1;
    }
    return 0;
}
