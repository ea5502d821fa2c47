/*
 * mreport_percentile: mreport_percentile (mreport.h) from the command line, the
 * reference the Python twin (mreport.py's percentile) is tested against.
 *
 *   mreport_percentile P [VALUE...]     prints the percentile with %.17g ("nan" for no values)
 */
#include <stdio.h>
#include <stdlib.h>

#include "mreport.h"

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: mreport_percentile P [VALUE...]\n");
        return 2;
    }
    size_t n = (size_t)(argc - 2);
    double *v = malloc((n ? n : 1) * sizeof *v);
    if (!v)
        return 1;
    for (size_t i = 0; i < n; i++)
        v[i] = strtod(argv[i + 2], NULL);
    printf("%.17g\n", mreport_percentile(v, n, strtod(argv[1], NULL)));
    free(v);
    return 0;
}
