/*
 * gen_transactions: synthetic card transactions as CSV (txgen.h), for the
 * migration programs: deterministic from --seed, any size.
 *
 *   gen_transactions --rows 1000 --seed 7 -o tx.csv
 *   gen_transactions --rows 5000000 --customers 20000 --terminals 40000 --days 180 -o big.csv
 *
 * A summary (rows, frauds per scenario) goes to stderr.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "txgen.h"

static int64_t num(const char *flag, const char *v)
{
    char *end;
    long long x = v ? strtoll(v, &end, 10) : 0;
    if (!v || *end || x < 0) {
        fprintf(stderr, "gen_transactions: %s needs a non-negative integer\n", flag);
        exit(2);
    }
    return (int64_t)x;
}

int main(int argc, char **argv)
{
    txgen_options o = {0};
    o.seed = 1;
    o.rows = 1000;
    const char *out = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--rows") == 0) o.rows = num(a, v), i++;
        else if (strcmp(a, "--seed") == 0) o.seed = (uint64_t)num(a, v), i++;
        else if (strcmp(a, "--customers") == 0) o.customers = (int)num(a, v), i++;
        else if (strcmp(a, "--terminals") == 0) o.terminals = (int)num(a, v), i++;
        else if (strcmp(a, "--days") == 0) o.days = (int)num(a, v), i++;
        else if (strcmp(a, "--start-epoch") == 0) o.start_epoch_s = num(a, v), i++;
        else if (strcmp(a, "-o") == 0 && v) out = v, i++;
        else {
            fprintf(stderr, "usage: gen_transactions [--rows N] [--seed S] [--customers C] [--terminals T] "
                            "[--days D] [--start-epoch S] [-o FILE]\n");
            return 2;
        }
    }
    char err[128];
    txgen *g = txgen_new(&o, err, sizeof err);
    if (!g) {
        fprintf(stderr, "gen_transactions: %s\n", err);
        return 2;
    }
    FILE *f = out ? fopen(out, "wb") : stdout;
    if (!f) {
        perror(out);
        txgen_free(g);
        return 1;
    }
    /* write and count in one pass */
    int64_t per[4] = {0};
    txgen_tx t;
    char line[160];
    int bad = fputs("transaction_id,tx_datetime,customer_id,terminal_id,tx_amount,tx_fraud,tx_fraud_scenario\n", f) < 0;
    while (!bad && txgen_next(g, &t)) {
        per[t.scenario]++;
        size_t n = txgen_format(&t, line, sizeof line - 1);
        line[n++] = '\n';
        bad = fwrite(line, 1, n, f) != n;
    }
    if ((out ? fclose(f) : fflush(f)) != 0 || bad) {
        perror(out ? out : "stdout");
        txgen_free(g);
        return 1;
    }
    fprintf(stderr, "%" PRId64 " transactions, %" PRId64 " fraudulent (amount %" PRId64 ", terminal %" PRId64
                    ", card %" PRId64 ")\n", o.rows, per[1] + per[2] + per[3], per[1], per[2], per[3]);
    txgen_free(g);
    return 0;
}
