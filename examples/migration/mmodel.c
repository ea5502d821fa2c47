/* The serving migration programs' fixed fraud model: see mmodel.h. */
#define _POSIX_C_SOURCE 200809L
#include "mmodel.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

const char *const mmodel_feature_names[MMODEL_NFEATURES] = {"tx_amount", "tx_during_weekend", "tx_during_night"};

void mmodel_features(const txgen_tx *t, double x[MMODEL_NFEATURES])
{
    int64_t day = t->epoch_s / 86400, dow = (day + 4) % 7; /* 1970-01-01 was a Thursday (4) */
    x[0] = (double)t->amount_cents / 100.0;
    x[1] = (dow == 0 || dow == 6) ? 1.0 : 0.0;
    x[2] = (t->epoch_s % 86400) < 6 * 3600 ? 1.0 : 0.0;
}

double mmodel_predict(const mmodel *m, const double x[MMODEL_NFEATURES])
{
    /* the loader's order of operations: z = intercept, then += c * x */
    double z = m->intercept;
    for (int i = 0; i < MMODEL_NFEATURES; i++)
        z += m->coef[i] * x[i];
    return z >= -700 ? 1.0 / (1.0 + exp(-z)) : 0.0;
}

/* The loader train_fraud.py registers (a stdlib-only pyfunc): its LOADER, made a C string
 * by examples/CMakeLists.txt. */
#include "mmodel_loader.h"

static int write_file(const char *dir, const char *name, const char *text, char *err, size_t errlen)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fputs(text, f) == EOF) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        if (f)
            fclose(f);
        return -1;
    }
    if (fclose(f) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

int mmodel_write(const mmodel *m, const char *dir, char *err, size_t errlen)
{
    char code[1024], text[4096], inputs[512];
    snprintf(code, sizeof code, "%s/code", dir);
    if ((mkdir(dir, 0777) != 0 && errno != EEXIST) || (mkdir(code, 0777) != 0 && errno != EEXIST)) {
        snprintf(err, errlen, "cannot create %s: %s", code, strerror(errno));
        return -1;
    }
    size_t n = (size_t)snprintf(inputs, sizeof inputs, "[");
    for (int i = 0; i < MMODEL_NFEATURES; i++)
        n += (size_t)snprintf(inputs + n, sizeof inputs - n, "%s{\"type\": \"double\", \"name\": \"%s\", \"required\": true}",
                              i ? ", " : "", mmodel_feature_names[i]);
    snprintf(inputs + n, sizeof inputs - n, "]");
    snprintf(text, sizeof text,
             "artifact_path: model\nflavors:\n  python_function:\n    code: code\n    data: model.json\n"
             "    env:\n      virtualenv: python_env.yaml\n    loader_module: fraud_model\n"
             "    python_version: 3.11.0\nmlflow_version: 2.16.0\nsignature:\n  inputs: '%s'\n"
             "  outputs: '[{\"type\": \"double\", \"required\": true}]'\n  params: null\n",
             inputs);
    if (write_file(dir, "MLmodel", text, err, errlen) != 0)
        return -1;
    /* %.17g: the served model reads back exactly the doubles scored here */
    n = (size_t)snprintf(text, sizeof text, "{\"flavor\": \"logistic\", \"features\": [");
    for (int i = 0; i < MMODEL_NFEATURES; i++)
        n += (size_t)snprintf(text + n, sizeof text - n, "%s\"%s\"", i ? ", " : "", mmodel_feature_names[i]);
    n += (size_t)snprintf(text + n, sizeof text - n, "], \"intercept\": %.17g, \"coefficients\": [", m->intercept);
    for (int i = 0; i < MMODEL_NFEATURES; i++)
        n += (size_t)snprintf(text + n, sizeof text - n, "%s%.17g", i ? ", " : "", m->coef[i]);
    snprintf(text + n, sizeof text - n, "], \"output\": \"probability\"}\n");
    if (write_file(dir, "model.json", text, err, errlen) != 0 ||
        write_file(dir, "python_env.yaml", "python: 3.11.0\nbuild_dependencies:\n- pip\ndependencies:\n- mlflow==2.16.0\n",
                   err, errlen) != 0 ||
        write_file(code, "fraud_model.py", loader, err, errlen) != 0)
        return -1;
    return 0;
}

dbx_status mmodel_register(int64_t *version, dbx_client *c, const char *name, const char *dir,
                           const char *description)
{
    dbx_registry_register_options o = DBX_REGISTRY_REGISTER_OPTIONS_INIT;
    o.create_model = 1;
    o.description = description;
    dbx_wait_options w = DBX_WAIT_OPTIONS_INIT;
    w.timeout_ms = 20L * 60 * 1000;
    o.wait = &w;
    return dbx_registry_register_uc_version(NULL, version, c, name, dir, &o);
}
