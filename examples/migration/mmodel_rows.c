/*
 * mmodel_rows: the fixed model of mmodel.h on generated transactions, one line
 * per transaction: "id x0 x1 x2 prediction" (%.17g). The reference the Python
 * twin (mmodel.py --check-against-c) is compared with.
 *
 *   mmodel_rows ROWS SEED      (the transactions of gen_transactions --rows ROWS --seed SEED)
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "mmodel.h"
#include "txgen.h"

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: mmodel_rows ROWS SEED\n");
        return 2;
    }
    txgen_options o = {0};
    o.rows = strtoll(argv[1], NULL, 10);
    o.seed = strtoull(argv[2], NULL, 10);
    char err[128];
    txgen *g = txgen_new(&o, err, sizeof err);
    if (!g) {
        fprintf(stderr, "mmodel_rows: %s\n", err);
        return 2;
    }
    const mmodel model = {-4.0, {0.02, 0.3, 0.8}}; /* the programs' model (batch_scoring.c, monitoring.c) */
    txgen_tx t;
    while (txgen_next(g, &t)) {
        double x[MMODEL_NFEATURES];
        mmodel_features(&t, x);
        printf("%" PRId64 " %.17g %.17g %.17g %.17g\n", t.id, x[0], x[1], x[2], mmodel_predict(&model, x));
    }
    txgen_free(g);
    return 0;
}
