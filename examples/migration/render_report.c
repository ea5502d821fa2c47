/*
 * render_report: a migration program's result JSON (mreport.h) as its
 * self-contained HTML page, for programs that write only the JSON (the
 * Python and R ones).   render_report result.json report.html
 */
#include <stdio.h>
#include <stdlib.h>

#include "mreport.h"

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: render_report RESULT.json REPORT.html\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    size_t cap = 1 << 16, len = 0;
    char *text = malloc(cap);
    size_t n;
    while (text && (n = fread(text + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (len + 1 == cap) {
            char *t = cap < (1u << 30) ? realloc(text, cap *= 2) : NULL;
            if (!t) {
                free(text);
                text = NULL;
            }
            text = t;
        }
    }
    fclose(f);
    if (!text) {
        fprintf(stderr, "render_report: %s is too large\n", argv[1]);
        return 1;
    }
    text[len] = '\0';
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
