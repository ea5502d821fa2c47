/*
 * libdbx internal: small URL predicates for deciding where secrets may go.
 *
 * Pure functions over a NUL-terminated string; they never read past the
 * terminating NUL. They are deliberately strict: anything unusual in the
 * authority (a second '@', a backslash, a zone id, an IPv4 shorthand such as
 * "127.1", "localhost.") is simply "not loopback", so the only cost of a
 * false answer is a refusal, never a secret on the wire.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "http.h"

#define URL_HOST_MAX 255

/* The scheme prefix ("http://"), case-insensitively, or 0. */
static size_t scheme_len(const char *url, const char *scheme)
{
    size_t n = strlen(scheme);
    return dbx__strncasecmp(url, scheme, n) == 0 ? n : 0;
}

static int all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

/* Is this host (no brackets, no port) a loopback name or address? */
static int host_is_loopback(const char *host, size_t n, int bracketed)
{
    char h[URL_HOST_MAX + 1];
    if (n == 0 || n > URL_HOST_MAX)
        return 0;
    memcpy(h, host, n);
    h[n] = '\0';
    if (bracketed) {
        struct in6_addr a6;
        if (inet_pton(AF_INET6, h, &a6) != 1)
            return 0;
        if (IN6_IS_ADDR_LOOPBACK(&a6))
            return 1;
        /* ::ffff:127.x.y.z */
        return IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127;
    }
    if (dbx__strcasecmp(h, "localhost") == 0)
        return 1;
    /* dotted quad only (inet_pton refuses "127.1", octal and hex forms) */
    struct in_addr a4;
    if (inet_pton(AF_INET, h, &a4) != 1)
        return 0;
    return ((const unsigned char *)&a4.s_addr)[0] == 127;
}

int dbx__url_is_loopback(const char *url)
{
    if (!url)
        return 0;
    size_t sl = scheme_len(url, "http://");
    if (!sl)
        sl = scheme_len(url, "https://");
    if (!sl)
        return 0;
    const char *auth = url + sl;
    /* The authority ends at the path, query or fragment. A backslash is a
     * path separator to some parsers and part of the userinfo to others:
     * refuse it rather than guess. */
    size_t alen = strcspn(auth, "/?#\\");
    if (auth[alen] == '\\')
        return 0;
    for (size_t i = 0; i < alen; i++) {
        unsigned char c = (unsigned char)auth[i];
        if (c <= ' ' || c >= 0x7f || c == '%')
            return 0;
    }
    const char *end = auth + alen;
    const char *at = memchr(auth, '@', alen);
    if (at) {
        if (memchr(at + 1, '@', (size_t)(end - at - 1)))
            return 0; /* ambiguous: parsers disagree on which '@' ends the userinfo */
        auth = at + 1;
    }
    const char *host = auth, *hend;
    int bracketed = 0;
    if (*host == '[') {
        const char *rb = memchr(host, ']', (size_t)(end - host));
        if (!rb)
            return 0;
        bracketed = 1;
        host++;
        hend = rb;
        auth = rb + 1;
    } else {
        hend = memchr(host, ':', (size_t)(end - host));
        if (!hend)
            hend = end;
        auth = hend;
    }
    /* what follows the host: nothing, or ":" and a decimal port */
    if (auth < end) {
        if (*auth != ':' || !all_digits(auth + 1, (size_t)(end - auth - 1)))
            return 0;
    }
    return host_is_loopback(host, (size_t)(hend - host), bracketed);
}

int dbx__url_secure(const char *url)
{
    if (!url)
        return 0;
    if (scheme_len(url, "https://"))
        return 1;
    return scheme_len(url, "http://") && dbx__url_is_loopback(url);
}
