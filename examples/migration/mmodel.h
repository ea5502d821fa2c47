/*
 * A small fixed fraud model for the serving migration programs (2 and 4),
 * so they run on their own: logistic regression on raw transaction
 * features with known coefficients, written as the same MLflow pyfunc
 * model that train_fraud.py registers (MLmodel with a signature,
 * model.json, python_env.yaml, code/fraud_model.py), registered as a
 * Unity Catalog model version, and scored in C with the same formula (the
 * "old platform" side of the parity checks).
 *
 * Not thread-safe for writing; mmodel_predict and mmodel_features are pure.
 */
#ifndef MMODEL_H
#define MMODEL_H

#include <stddef.h>
#include <stdint.h>

#include <dbx/dbx.h>

#include "txgen.h"

#define MMODEL_NFEATURES 3

/* Feature names, in model order: tx_amount (currency units),
 * tx_during_weekend (0/1), tx_during_night (0/1, before 06:00 UTC). */
extern const char *const mmodel_feature_names[MMODEL_NFEATURES];

typedef struct mmodel {
    double intercept;
    double coef[MMODEL_NFEATURES];
} mmodel;

/* The features of a generated transaction. */
void mmodel_features(const txgen_tx *t, double x[MMODEL_NFEATURES]);

/* sigmoid(intercept + sum(coef * x)), as the served model computes it. */
double mmodel_predict(const mmodel *m, const double x[MMODEL_NFEATURES]);

/* Write the model directory `dir` (created, with dir/code). 0, or -1 with
 * a message in err. */
int mmodel_write(const mmodel *m, const char *dir, char *err, size_t errlen);

/* Register `dir` as a new version of UC model `name` (created when
 * missing), waiting until READY; *version gets its number. */
dbx_status mmodel_register(int64_t *version, dbx_client *c, const char *name, const char *dir,
                           const char *description);

#endif
