/*
 * Fuzz target: base64 decoding of server input (lib/core/base64.c), as the
 * Workspace export and DBFS read answers carry file contents.
 *
 * Oracles: the decoder never writes past 3/4 of its input (+3), leaves the
 * buffer untouched on rejection, agrees with OpenSSL's EVP_DecodeBlock on
 * canonical padded input, and what it accepts re-encodes to the same text
 * once CR/LF are removed and padding restored.
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    dbx__buf out = DBX__BUF_INIT;
    dbx__buf_puts(&out, "P");
    size_t pos = 0;
    int rc = dbx__b64_decode(&out, text, size, &pos);
    if (rc == -2) {
        if (out.len != 1 || pos > size)
            abort();
    } else if (rc == 0) {
        size_t got = out.len - 1;
        if (got > size / 4 * 3 + 3)
            abort();
        /* canonical text: drop CR/LF, pad to a multiple of 4 */
        dbx__buf canon = DBX__BUF_INIT, again = DBX__BUF_INIT;
        for (size_t i = 0; i < size; i++)
            if (text[i] != '\r' && text[i] != '\n')
                dbx__buf_putc(&canon, text[i]);
        while (canon.len % 4)
            dbx__buf_putc(&canon, '=');
        dbx__b64_encode(&again, out.ptr + 1, got);
        if (canon.len != again.len || (canon.len && memcmp(canon.ptr, again.ptr, canon.len)))
            abort();
        /* OpenSSL agrees on the bytes (it pads its output with zeros for '=') */
        if (canon.len) {
            unsigned char *ref = malloc(canon.len);
            int n = EVP_DecodeBlock(ref, (const unsigned char *)canon.ptr, (int)canon.len);
            size_t pad = (canon.ptr[canon.len - 1] == '=') + (canon.len > 1 && canon.ptr[canon.len - 2] == '=');
            if (n < 0 || (size_t)n - pad != got || memcmp(ref, out.ptr + 1, got))
                abort();
            free(ref);
        }
        dbx__buf_dispose(&canon);
        dbx__buf_dispose(&again);
    }
    dbx__buf_dispose(&out);
    return 0;
}
