/*
 * libdbx internal: the Files API's presigned-URL helpers, for other areas
 * that send or fetch bytes at a URL that is its own credential (MLflow run
 * artifacts).
 */
#ifndef DBX_FILES_INTERNAL_H
#define DBX_FILES_INTERNAL_H

#include "api.h"

/* Most headers a presigned URL may come with (lines has room for one more: NULL). */
#define DBX__PRESIGNED_MAX_HEADERS 16

/* The "Name: value" lines of a headers array [{name, value}] into lines[]
 * (storage in buf; lines NULL-terminated), a Content-Type's value into
 * *ctype instead (borrowed). 0, -1 when a header is unusable (a hostile
 * server: CR/LF, Authorization, Host, Content-Length, too many), -2 on OOM. */
int dbx__presigned_headers(dbx__jv arr, dbx__buf *buf, const char **lines, size_t *n, const char **ctype);

/* 1 when a storage answer says the presigned URL expired (S3 403
 * AccessDenied "Request has expired", Azure 403 AuthenticationFailed). */
int dbx__presigned_expired(const dbx__http_resp *r);

#endif
