/* Out-of-tree consumer of an installed libdbx: built by the package_install
 * test once through find_package(dbx) and once through pkg-config. */
#include <dbx/dbx.h>

#include <stdio.h>
#include <string.h>

int main(void)
{
    int failures = 0;
    int major = -1, minor = -1, patch = -1;
    const char *name;

    dbx_version(&major, &minor, &patch);
    if (major != DBX_VERSION_MAJOR || minor != DBX_VERSION_MINOR || patch != DBX_VERSION_PATCH) {
        fprintf(stderr, "dbx_version() = %d.%d.%d, headers say %s\n", major, minor, patch,
                DBX_VERSION);
        failures++;
    }
    if (strcmp(dbx_version_str(), DBX_VERSION) != 0) {
        fprintf(stderr, "dbx_version_str() = %s, headers say %s\n", dbx_version_str(), DBX_VERSION);
        failures++;
    }
#ifdef DBX_PACKAGE_VERSION
    if (strcmp(DBX_PACKAGE_VERSION, DBX_VERSION) != 0) {
        fprintf(stderr, "find_package(dbx) found version %s, headers say %s\n", DBX_PACKAGE_VERSION,
                DBX_VERSION);
        failures++;
    }
#endif
    name = dbx_status_name(DBX_ENOTFOUND);
    if (name == NULL || strcmp(name, "DBX_ENOTFOUND") != 0) {
        fprintf(stderr, "dbx_status_name(DBX_ENOTFOUND) = %s\n", name ? name : "(null)");
        failures++;
    }
    if (failures == 0)
        printf("consumer OK: libdbx %s (%s)\n", dbx_version_str(), dbx_version_details());
    return failures ? 1 : 0;
}
