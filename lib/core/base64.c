/*
 * libdbx internal: base64 (RFC 4648 section 4, the standard alphabet), as
 * the Workspace and DBFS APIs carry file contents.
 *
 * Decoding is of server input: strict about the alphabet and padding, and
 * bounded by the input it is given (no allocation beyond 3/4 of it).
 */
#include <string.h>

#include "core.h"

static const char enc_tab[64] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t dbx__b64_encoded_len(size_t n)
{
    return n / 3 * 4 + (n % 3 ? 4 : 0);
}

size_t dbx__b64_encode_to(char *out, const void *data, size_t n)
{
    const unsigned char *s = data;
    char *o = out;
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
        o[0] = enc_tab[v >> 18];
        o[1] = enc_tab[(v >> 12) & 63];
        o[2] = enc_tab[(v >> 6) & 63];
        o[3] = enc_tab[v & 63];
        o += 4;
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)s[i] << 16;
        o[0] = enc_tab[v >> 18];
        o[1] = enc_tab[(v >> 12) & 63];
        o[2] = o[3] = '=';
        o += 4;
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8;
        o[0] = enc_tab[v >> 18];
        o[1] = enc_tab[(v >> 12) & 63];
        o[2] = enc_tab[(v >> 6) & 63];
        o[3] = '=';
        o += 4;
    }
    return (size_t)(o - out);
}

int dbx__b64_encode(dbx__buf *out, const void *data, size_t n)
{
    size_t need = dbx__b64_encoded_len(n);
    if (n > (SIZE_MAX / 4) * 3 - 3 || dbx__buf_grow(out, need + 1) != 0) {
        out->oom = 1;
        return -1;
    }
    out->len += dbx__b64_encode_to(out->ptr + out->len, data, n);
    out->ptr[out->len] = '\0';
    return 0;
}

/* 0..63 for an alphabet byte, 64 for '=', 65 for CR/LF (skipped: MIME
 * encoders wrap lines), 66 for anything else. */
static unsigned char dec_class(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return (unsigned char)(c - 'A');
    if (c >= 'a' && c <= 'z')
        return (unsigned char)(c - 'a' + 26);
    if (c >= '0' && c <= '9')
        return (unsigned char)(c - '0' + 52);
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    if (c == '=')
        return 64;
    if (c == '\r' || c == '\n')
        return 65;
    return 66;
}

/* Invalid input: what was written past out->len is dropped. */
static int reject(dbx__buf *out, size_t *bad_pos, size_t at)
{
    out->ptr[out->len] = '\0';
    if (bad_pos)
        *bad_pos = at;
    return -2;
}

int dbx__b64_decode(dbx__buf *out, const char *text, size_t n, size_t *bad_pos)
{
    if (bad_pos)
        *bad_pos = 0;
    if (dbx__buf_grow(out, n / 4 * 3 + 3 + 1) != 0) {
        out->oom = 1;
        return -1;
    }
    unsigned char *o = (unsigned char *)out->ptr + out->len;
    uint32_t acc = 0;
    int have = 0; /* sextets in acc */
    int pad = 0;  /* '=' seen */
    for (size_t i = 0; i < n; i++) {
        unsigned char k = dec_class((unsigned char)text[i]);
        if (k == 65)
            continue;
        if (k == 66 || (pad && k != 64)) {
            return reject(out, bad_pos, i);
        }
        if (k == 64) {
            /* padding only after 2 or 3 sextets of a quantum, and at most to its end */
            if ((have + pad) < 2 || have + pad >= 4)
                return reject(out, bad_pos, i);
            pad++;
            continue;
        }
        acc = acc << 6 | k;
        if (++have == 4) {
            *o++ = (unsigned char)(acc >> 16);
            *o++ = (unsigned char)(acc >> 8);
            *o++ = (unsigned char)acc;
            acc = 0;
            have = 0;
        }
    }
    /* tail: 2 sextets -> 1 byte, 3 -> 2; padding, when present, completes the quantum */
    if (have == 1 || (pad && have + pad != 4))
        return reject(out, bad_pos, n);
    if (have == 2) {
        if (acc & 0xF) /* non-canonical: bits that would be dropped */
            return reject(out, bad_pos, n);
        *o++ = (unsigned char)(acc >> 4);
    } else if (have == 3) {
        if (acc & 0x3)
            return reject(out, bad_pos, n);
        *o++ = (unsigned char)(acc >> 10);
        *o++ = (unsigned char)(acc >> 2);
    }
    out->len = (size_t)((char *)o - out->ptr);
    out->ptr[out->len] = '\0';
    return 0;
}
