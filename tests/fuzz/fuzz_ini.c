/*
 * Fuzz target: the ~/.databrickscfg parser. dbx__ini_parse on the raw
 * input, then lookups of the keys the client reads. Invariants: a parse
 * either succeeds with an object or fails with NULL and a terminated
 * message; every value found is a terminated string.
 */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *sections[] = {"DEFAULT", "prod", "staging", "", "x"};
    static const char *keys[] = {"host", "token", "client_id", "client_secret", "auth_type",
                                 "azure_tenant_id", "account_id", "cluster_id", ""};
    dbx__ini *ini = (dbx__ini *)1;
    char err[128];
    memset(err, 'x', sizeof err);
    int rc = dbx__ini_parse(&ini, (const char *)data, size, err, sizeof err);
    if (rc != 0) {
        if (rc != -1 || ini != NULL || !memchr(err, '\0', sizeof err))
            abort();
        return 0;
    }
    if (!ini)
        abort();
    for (size_t s = 0; s < sizeof sections / sizeof *sections; s++) {
        int has = dbx__ini_has_section(ini, sections[s]);
        for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) {
            const char *v = dbx__ini_get(ini, sections[s], keys[k]);
            if (v && !has)
                abort(); /* a value in a section that does not exist */
            if (v)
                (void)strlen(v);
        }
    }
    dbx__ini_free(ini);
    return 0;
}
