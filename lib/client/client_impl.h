/* libdbx internal: the client (wires resolved configuration into a pipeline). */
#ifndef DBX_CLIENT_IMPL_H
#define DBX_CLIENT_IMPL_H

#include <pthread.h>
#include <stdatomic.h>

#include "../http/http.h"

enum {
    A_HOST,
    A_TOKEN,
    A_CLIENT_ID,
    A_CLIENT_SECRET,
    A_AZURE_CLIENT_ID,
    A_AZURE_CLIENT_SECRET,
    A_AZURE_TENANT_ID,
    A_AZURE_ENVIRONMENT,
    A_AZURE_LOGIN_URL,
    A_AUTH_TYPE,
    A_PROFILE,
    A_CONFIG_FILE,
    A_HTTP_TIMEOUT_SECONDS,
    A_RETRY_TIMEOUT_SECONDS,
    A_SKIP_VERIFY,
    A_CA_BUNDLE,
    A_PROXY,
    A_PRODUCT,
    A_LOG_LEVEL,
    A_REGISTRY_URI,
    A_COUNT
};

typedef struct dbx__attr {
    const char *key;
    const char *env;
    int sensitive;
} dbx__attr;

extern const dbx__attr dbx__attrs[A_COUNT];

struct dbx_client {
    atomic_int refs;
    char *vals[A_COUNT];
    const char *src[A_COUNT]; /* "option", "env", "config", "default" */
    dbx_auth_type auth_type;
    dbx__pipeline pipe;
    dbx__retry_policy mlflow_retry; /* every /api/2.0/mlflow/ call (dbx__mlflow_call) */
    /* Model serving: query targets of route-optimized endpoints (URL +
     * data-plane token per endpoint name), lib/api/serving.c. The mutex
     * guards the list only: a lookup or token exchange runs without it,
     * its entry marked busy; callers for that endpoint wait on serving_cv. */
    pthread_mutex_t serving_mu;
    pthread_cond_t serving_cv;
    struct dbx__serving_cached *serving_targets;
};

/* Iterators and other long-lived children hold a reference. */
dbx_client *dbx__client_ref(dbx_client *c);
void dbx__client_unref(dbx_client *c);

/* The MLflow registry_uri option as resolved ("databricks",
 * "databricks-uc", ...), or NULL when unset. Borrowed from the client. */
const char *dbx__client_registry_uri(const dbx_client *c);

/* Free the serving query-target cache (lib/api/serving.c). */
void dbx__serving_targets_free(dbx_client *c);

/* Resolve configuration into c->vals/src (client.c / config.c). */
dbx_status dbx__config_resolve(dbx_client *c, const dbx_client_options *o);

#endif
