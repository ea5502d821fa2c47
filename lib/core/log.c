/* libdbx internal: logging and redaction of secrets. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "core.h"

static const char *level_names[] = {"off", "error", "warn", "info", "debug", "trace"};

dbx_log_level dbx__log_level_parse(const char *s)
{
    if (dbx__empty(s))
        return DBX_LOG_OFF;
    for (int i = 0; i <= DBX_LOG_TRACE; i++)
        if (dbx__strcasecmp(s, level_names[i]) == 0)
            return (dbx_log_level)i;
    if (dbx__strcasecmp(s, "warning") == 0)
        return DBX_LOG_WARN;
    long v;
    if (dbx__parse_long(s, &v) == 0 && v >= 0 && v <= DBX_LOG_TRACE)
        return (dbx_log_level)v;
    return (dbx_log_level)-1;
}

void dbx__log(const dbx__logger *lg, dbx_log_level lvl, dbx_log_category cat, const char *fmt, ...)
{
    if (!DBX__LOG_ENABLED(lg, lvl))
        return;
    dbx__buf b = DBX__BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    dbx__buf_vprintf(&b, fmt, ap);
    va_end(ap);
    if (!b.oom && b.ptr) {
        if (lg->fn)
            lg->fn(lvl, cat, b.ptr, lg->payload);
        else
            fprintf(stderr, "[libdbx %s] %s\n", level_names[lvl], b.ptr);
    }
    dbx__buf_dispose(&b);
}

/* ---- redaction ------------------------------------------------------------ */
/*
 * Everything here scans its input once, left to right, without recursion on
 * the input's structure (nesting is a counter): the text is hostile (a body
 * of 1 MiB of "{{{{" or "\u\u\u" costs what any 1 MiB costs). Names are
 * decoded (JSON escapes, percent-encoding) before they are matched, so a
 * key spelled "access_tok\u0065n" or a parameter "client%5Fsecret" is the
 * secret it stands for.
 *
 * Free text is scanned in one of two modes: emitting (copy the text with
 * credentials replaced) or detecting (only count what would be replaced).
 * The emitting scan looks inside values (percent-decoding them) with the
 * detecting one, which never looks further: calls are at most three deep,
 * whatever the input.
 */

#define REDACTED "**REDACTED**"
/* A quoted key in free text: at most this long, this much blank around ':'. */
#define TEXT_KEY_MAX 128
#define TEXT_BLANK_MAX 32
/* Rounds of percent-decoding a value goes through when looking for a
 * credential hidden in it (an encoded presigned URL as a parameter). */
#define VALUE_DECODE_ROUNDS 3

/* Case-insensitive, and '-' matches '_' (header names vs JSON keys). */
static int name_eq(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int ca = tolower((unsigned char)a[i]), cb = tolower((unsigned char)b[i]);
        if (ca == '-')
            ca = '_';
        if (cb == '-')
            cb = '_';
        if (ca != cb)
            return 0;
    }
    return 1;
}

static int equals_ci(const char *s, size_t len, const char *word)
{
    size_t i = 0;
    while (i < len && word[i] && name_eq(s + i, word + i, 1))
        i++;
    return i == len && word[i] == '\0';
}

static int starts_with_ci(const char *s, size_t len, const char *prefix)
{
    size_t n = strlen(prefix);
    return len >= n && name_eq(s, prefix, n);
}

#define COUNT(a) (sizeof(a) / sizeof *(a))

static int matches_any(const char *s, size_t len, int (*match)(const char *, size_t, const char *),
                       const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (match(s, len, list[i]))
            return 1;
    return 0;
}

/* The rules below match a normalised name: lowercase, '-' as '_', NUL as
 * 0x01 (so that strstr, which is linear, sees all of it). */
static void normalise(char *dst, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        int c = tolower((unsigned char)s[i]);
        dst[i] = (char)(c == '-' ? '_' : c == 0 ? 1 : c);
    }
    dst[len] = '\0';
}

static int norm_ends_with(const char *s, size_t len, const char *suffix)
{
    size_t n = strlen(suffix);
    return len >= n && memcmp(s + len - n, suffix, n) == 0;
}

static int norm_contains(const char *s, size_t len, const char *needle)
{
    (void)len;
    return strstr(s, needle) != NULL;
}

/* `word` as a whole word of the name: "sas" in "azure_user_delegation_sas",
 * not in "sasl_mechanism". */
static int norm_has_word(const char *s, size_t len, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = strstr(s, word); p; p = strstr(p + 1, word)) {
        size_t i = (size_t)(p - s);
        if ((i == 0 || !isalnum((unsigned char)s[i - 1])) && (i + n == len || !isalnum((unsigned char)s[i + n])))
            return 1;
    }
    return 0;
}

int dbx__is_secret_name(const char *name, size_t len)
{
    static const char *const not_secret[] = {
        "page_token",  "token_type",  "token_endpoint",    "idempotency_token", "token_id",
        "token_expiry_time", "assertion_type", "max_tokens", "prompt_tokens", "completion_tokens",
        "total_tokens"};
    static const char *const secret[] = {
        "token",      "secret",  "password",   "passwd",        "passphrase",  "authorization",
        "credential", "api_key", "apikey",     "private_key",   "access_key",  "account_key",
        "cookie",     "assertion", "signature", "connection_string"};
    /* UC azure_user_delegation_sas, sas; JDBC PWD */
    static const char *const secret_word[] = {"sas", "pwd"};
    if (!name || len == 0)
        return 0;
    char small[128];
    char *s = len < sizeof small ? small : dbx__malloc(len + 1);
    if (!s)
        return 1; /* fail safe */
    normalise(s, name, len);
    int is_secret = !matches_any(s, len, norm_ends_with, not_secret, COUNT(not_secret)) &&
                 (matches_any(s, len, norm_contains, secret, COUNT(secret)) ||
                  matches_any(s, len, norm_has_word, secret_word, COUNT(secret_word)));
    if (s != small)
        dbx__free(s);
    return is_secret;
}

/* Query parameters that make a URL a presigned one, whose whole query is
 * then a credential: AWS SigV4 (X-Amz-*) and V2 (AWSAccessKeyId, Signature),
 * GCS V4 (X-Goog-*) and V2 (GoogleAccessId), Azure SAS (sig and the
 * parameters that come with it), CloudFront (Key-Pair-Id). */
static int is_presigned_param(const char *name, size_t len)
{
    static const char *const prefix[] = {"x-amz-", "x-goog-"};
    static const char *const exact[] = {"sig",   "sv",  "se",  "sr",  "sp",  "st",
                                        "spr",   "srt", "ss",  "skoid", "sktid", "skt",
                                        "ske",   "sks", "skv", "signature", "awsaccesskeyid",
                                        "googleaccessid", "key-pair-id"};
    return matches_any(name, len, starts_with_ci, prefix, COUNT(prefix)) ||
           matches_any(name, len, equals_ci, exact, COUNT(exact));
}

/* ---- decoding ---- */

static int needs_url_decoding(const char *s, size_t len)
{
    return memchr(s, '%', len) || memchr(s, '+', len);
}

/* Percent-decoding, '+' as a blank; a '%' not followed by two hex digits is kept. */
static void url_decode(dbx__buf *out, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        int hi, lo;
        if (s[i] == '%' && i + 2 < len && (hi = dbx__hexval((unsigned char)s[i + 1])) >= 0 &&
            (lo = dbx__hexval((unsigned char)s[i + 2])) >= 0) {
            dbx__buf_putc(out, (char)(hi * 16 + lo));
            i += 2;
        } else {
            dbx__buf_putc(out, s[i] == '+' ? ' ' : s[i]);
        }
    }
}

/* The contents of a JSON string (between the quotes) as UTF-8. An escape
 * that is not valid JSON is kept as written; a lone surrogate is U+FFFD. */
static void json_unescape(dbx__buf *out, const char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        const char *bs = memchr(s + i, '\\', len - i);
        size_t run = bs ? (size_t)(bs - s) : len;
        dbx__buf_put(out, s + i, run - i);
        i = run;
        if (i + 1 >= len) {
            if (i < len)
                dbx__buf_putc(out, '\\');
            break;
        }
        static const char esc[] = "\"\\/bfnrt", val[] = "\"\\/\b\f\n\r\t";
        char e = s[i + 1];
        const char *simple = e ? strchr(esc, e) : NULL;
        if (simple) {
            dbx__buf_putc(out, val[simple - esc]);
            i += 2;
            continue;
        }
        long cp = e == 'u' && i + 6 <= len ? dbx__hex4(s + i + 2) : -1;
        if (cp < 0) {
            dbx__buf_put(out, s + i, 2); /* not an escape: keep it */
            i += 2;
            continue;
        }
        i += 6;
        if (cp >= 0xD800 && cp <= 0xDBFF && i + 6 <= len && s[i] == '\\' && s[i + 1] == 'u') {
            long lo = dbx__hex4(s + i + 2);
            if (lo >= 0xDC00 && lo <= 0xDFFF) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                i += 6;
            }
        }
        if (cp >= 0xD800 && cp <= 0xDFFF)
            cp = 0xFFFD;
        dbx__buf_put_utf8(out, (uint32_t)cp);
    }
}

/* Text as the contents of a JSON string. */
static void json_escape(dbx__buf *out, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            dbx__buf_putc(out, '\\');
            dbx__buf_putc(out, (char)c);
        } else if (c < 0x20) {
            dbx__buf_printf(out, "\\u%04x", c);
        } else {
            dbx__buf_putc(out, (char)c);
        }
    }
}

/* ---- scanning state ---- */

typedef struct scrub {
    dbx__buf name;      /* a decoded name */
    dbx__buf dec[2];    /* rounds of decoding a value */
    dbx__buf str;       /* a decoded JSON string */
    dbx__buf str_out;   /* that string, scrubbed */
} scrub;

#define SCRUB_INIT {DBX__BUF_INIT, {DBX__BUF_INIT, DBX__BUF_INIT}, DBX__BUF_INIT, DBX__BUF_INIT}

static void scrub_dispose(scrub *c)
{
    dbx__buf_dispose(&c->name);
    dbx__buf_dispose(&c->dec[0]);
    dbx__buf_dispose(&c->dec[1]);
    dbx__buf_dispose(&c->str);
    dbx__buf_dispose(&c->str_out);
}

/* Decode a name into c->name (`json`: JSON escapes, else percent-encoding);
 * *name / *len point at the decoded name, or at the original when nothing
 * needed decoding. -1 when out of memory. */
static int decode_name(scrub *c, int json, const char **name, size_t *len)
{
    const char *s = *name;
    size_t n = *len;
    if (json ? !memchr(s, '\\', n) : !needs_url_decoding(s, n))
        return 0;
    dbx__buf_clear(&c->name);
    c->name.oom = 0;
    if (json)
        json_unescape(&c->name, s, n);
    else
        url_decode(&c->name, s, n);
    if (c->name.oom)
        return -1;
    *name = c->name.ptr ? c->name.ptr : "";
    *len = c->name.len;
    return 0;
}

/* A query or form parameter name (percent-encoded): a presigned-URL
 * parameter (PARAM_PRESIGNED), otherwise a secret one (PARAM_SECRET), or 0.
 * Out of memory counts as presigned. */
enum { PARAM_SECRET = 1, PARAM_PRESIGNED = 2 };
static int param_name_class(scrub *c, const char *s, size_t len, int want_secret)
{
    if (decode_name(c, 0, &s, &len) != 0 || is_presigned_param(s, len))
        return PARAM_PRESIGNED;
    return want_secret && dbx__is_secret_name(s, len) ? PARAM_SECRET : 0;
}

static size_t scan_text(scrub *c, dbx__buf *out, const char *s, size_t len);

/* Does this value (raw, then percent-decoded up to VALUE_DECODE_ROUNDS
 * times) hold a credential? An encoded presigned URL passed as a
 * parameter is one. Out of memory counts as yes. */
static int value_leaks(scrub *c, const char *v, size_t len)
{
    for (int round = 0;; round++) {
        if (scan_text(c, NULL, v, len) > 0)
            return 1;
        if (round == VALUE_DECODE_ROUNDS || !needs_url_decoding(v, len))
            return 0;
        dbx__buf *b = &c->dec[round & 1];
        dbx__buf_clear(b);
        b->oom = 0;
        url_decode(b, v, len);
        if (b->oom)
            return 1;
        if (b->len == len && !memchr(v, '+', len))
            return 0; /* nothing was decoded: nothing new to see */
        v = b->ptr ? b->ptr : "";
        len = b->len;
    }
}

static void put_redacted(dbx__buf *out, size_t *hits)
{
    (*hits)++;
    if (out)
        dbx__buf_puts(out, REDACTED);
}

static void put(dbx__buf *out, const char *s, size_t n)
{
    if (out)
        dbx__buf_put(out, s, n);
}

/* k=v&k=v (a query string or a form body), whatever characters it holds.
 * A presigned-URL query goes whole; otherwise secret-named parameters, and
 * parameters whose name or value hides a credential, lose their value. */
static size_t scan_params(scrub *c, dbx__buf *out, const char *s, size_t len)
{
    size_t hits = 0;
    for (size_t i = 0; i < len;) { /* presigned? */
        const char *amp = memchr(s + i, '&', len - i);
        size_t end = amp ? (size_t)(amp - s) : len;
        const char *eq = memchr(s + i, '=', end - i);
        if (param_name_class(c, s + i, eq ? (size_t)(eq - s) - i : end - i, 0) == PARAM_PRESIGNED) {
            put_redacted(out, &hits);
            return hits;
        }
        i = end + 1;
    }
    for (size_t i = 0; i < len;) {
        const char *amp = memchr(s + i, '&', len - i);
        size_t end = amp ? (size_t)(amp - s) : len;
        const char *eq = memchr(s + i, '=', end - i);
        size_t name_end = eq ? (size_t)(eq - s) : end;
        if (value_leaks(c, s + i, name_end - i)) {
            put_redacted(out, &hits); /* the name itself hides something */
        } else if (!eq) {
            put(out, s + i, end - i);
        } else {
            put(out, s + i, name_end - i + 1);
            if (param_name_class(c, s + i, name_end - i, 1) ||
                value_leaks(c, s + name_end + 1, end - name_end - 1))
                put_redacted(out, &hits);
            else
                put(out, s + name_end + 1, end - name_end - 1);
        }
        if (amp)
            put(out, "&", 1);
        i = end + 1;
    }
    return hits;
}

/* Free text: what ends a URL, a parameter value or a credential. */
static int is_stop(unsigned char c)
{
    return c <= ' ' || c == 0x7f || c == '"' || c == '\'' || c == '<' || c == '>' || c == '`';
}

static int is_word(unsigned char c)
{
    return isalnum(c) || c == '_' || c == '-' || c == '.' || c == '%' || c == '~' || c == '+';
}

static int is_blank(unsigned char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

static size_t skip_blanks(const char *s, size_t len, size_t i, size_t max)
{
    size_t lim = max < len - i ? i + max : len;
    while (i < lim && is_blank((unsigned char)s[i]))
        i++;
    return i;
}

/* Blanks within a line. */
static size_t skip_spaces(const char *s, size_t len, size_t i, size_t max)
{
    size_t lim = max < len - i ? i + max : len;
    while (i < lim && (s[i] == ' ' || s[i] == '\t'))
        i++;
    return i;
}

/* A word before ": " that names a header: X-Api-Key, Authorization, Cookie. */
static int is_header_name(const char *w, size_t n)
{
    return memchr(w, '-', n) || equals_ci(w, n, "authorization") || equals_ci(w, n, "cookie");
}

/* The JSON string whose opening quote is at i: the index past its closing
 * quote, or len when it is not closed (*closed tells which). With max > 0,
 * a string with more than max bytes inside counts as not closed. */
static size_t string_end(const char *s, size_t len, size_t i, size_t max, int *closed)
{
    /* the closing quote may be at i + 1 + max; len - i >= 1 (the opening quote) */
    size_t lim = max && max + 2 < len - i ? i + 2 + max : len;
    size_t k = i + 1;
    while (k < lim && s[k] != '"')
        k += s[k] == '\\' && k + 1 < lim ? 2 : 1;
    *closed = k < lim;
    return *closed ? k + 1 : len;
}

static int in_set(unsigned char c, const char *set) { return c != 0 && strchr(set, c) != NULL; }

/* Past the object or array opening at i, nesting counted, strings skipped. */
static size_t container_end(const char *s, size_t len, size_t i)
{
    size_t depth = 0;
    while (i < len) {
        char d = s[i];
        if (d == '"') {
            int closed;
            i = string_end(s, len, i, 0, &closed);
            continue;
        }
        if (d == '{' || d == '[')
            depth++;
        else if ((d == '}' || d == ']') && --depth == 0)
            return i + 1;
        i++;
    }
    return len;
}

/* A known auth scheme in text ("Authorization: Bearer <credential>"). */
static int is_auth_scheme(const char *w, size_t n)
{
    static const char *const schemes[] = {"bearer", "basic", "negotiate", "ntlm"};
    return matches_any(w, n, equals_ci, schemes, COUNT(schemes));
}

/* Word shapes that are credentials wherever they appear: Databricks personal
 * access tokens (dapi + 32 hex) and JWTs (eyJ<header>.<payload>...). */
static int is_token_shape(const char *w, size_t n)
{
    if (n >= 36 && strncmp(w, "dapi", 4) == 0) {
        size_t k = 4;
        while (k < n && isxdigit((unsigned char)w[k]))
            k++;
        if (k >= 36)
            return 1;
    }
    return n >= 10 && strncmp(w, "eyJ", 3) == 0 && memchr(w, '.', n) != NULL;
}

/*
 * Free text, emitted to `out` with credentials replaced (out NULL: only
 * count them). Returns how many were replaced. Recognised:
 *  - a query after '?' (emitting mode): scan_params, up to the next stop;
 *  - name=value (or name = value) with a secret (or presigned-URL
 *    parameter) name; with an encoded value that hides a credential
 *    (emitting mode);
 *  - "name": value with a secret name (JSON quoted in text);
 *  - Name: value, a header line with a secret header name: to the line's end;
 *  - Bearer/Basic/... followed by a credential (a word that is not all
 *    lowercase letters: "Bearer token expired" stays readable);
 *  - PAT and JWT shapes.
 */
static size_t scan_text(scrub *c, dbx__buf *out, const char *s, size_t len)
{
    const size_t none = (size_t)-1;
    size_t hits = 0, pend = none; /* where the value of a secret quoted key starts */
    size_t i = 0;
    while (i < len) {
        unsigned char ch = (unsigned char)s[i];
        if (pend != none && i > pend)
            pend = none; /* passed by a header line's redaction, which covered it */
        if (i == pend && is_blank(ch)) {
            pend++;
        } else if (i == pend) {
            int closed;
            size_t end = i;
            if (ch == '"')
                end = string_end(s, len, i, 0, &closed);
            else if (ch == '{' || ch == '[')
                end = container_end(s, len, i);
            else
                while (end < len && !is_stop((unsigned char)s[end]) && !in_set((unsigned char)s[end], ",}]"))
                    end++;
            pend = none;
            if (end > i) {
                put(out, "\"", ch == '"');
                put_redacted(out, &hits);
                put(out, "\"", ch == '"');
                i = end;
                continue;
            }
        } else if (ch == '"' && pend == none) {
            int closed;
            size_t k = string_end(s, len, i, TEXT_KEY_MAX, &closed);
            size_t j = closed ? skip_blanks(s, len, k, TEXT_BLANK_MAX) : len;
            const char *name = s + i + 1;
            size_t n = k - i - 2;
            if (j < len && s[j] == ':' && (decode_name(c, 1, &name, &n) != 0 || dbx__is_secret_name(name, n)))
                pend = j + 1;
        }
        if (ch == '?' && out) {
            size_t end = i + 1;
            while (end < len && !is_stop((unsigned char)s[end]))
                end++;
            put(out, "?", 1);
            hits += scan_params(c, out, s + i + 1, end - i - 1);
            i = end;
            continue;
        }
        if (!is_word(ch)) { /* and the plain characters after it, at once */
            size_t j = i + 1;
            while (j < len && j != pend && !is_word((unsigned char)s[j]) && s[j] != '"' && s[j] != '?')
                j++;
            put(out, s + i, j - i);
            i = j;
            continue;
        }
        size_t j = i;
        while (j < len && is_word((unsigned char)s[j]))
            j++;
        const char *w = s + i;
        size_t n = j - i;
        if (is_token_shape(w, n)) {
            put_redacted(out, &hits);
            i = j;
            continue;
        }
        if (j < len && s[j] == '=') {
            /* name=value; a value that is not secret is scanned like any
             * text, so it ends (for the check of an encoded one) at the
             * next '=' too, which keeps pairs apart: linear time */
            size_t vend = j + 1;
            while (vend < len && !is_stop((unsigned char)s[vend]) && !in_set((unsigned char)s[vend], "&="))
                vend++;
            put(out, w, n + 1);
            i = j + 1;
            if (param_name_class(c, w, n, 1) ||
                (out && needs_url_decoding(s + i, vend - i) && value_leaks(c, s + i, vend - i))) {
                if (vend > i)
                    put_redacted(out, &hits);
                i = vend;
            }
            continue;
        }
        /* "name = value", and "Name: value" as a header line (an echoed
         * request), with a secret name: the value goes, up to the end of
         * the line for a header */
        size_t k = skip_spaces(s, len, j, TEXT_BLANK_MAX);
        int spaced_pair = k > j && k < len && s[k] == '=' && (k + 1 == len || s[k + 1] != '=');
        int header_line = j + 1 < len && s[j] == ':' && (s[j + 1] == ' ' || s[j + 1] == '\t') && is_header_name(w, n);
        if ((spaced_pair || header_line) && param_name_class(c, w, n, 1)) {
            size_t v = skip_spaces(s, len, (spaced_pair ? k : j) + 1, TEXT_BLANK_MAX), end = v;
            while (end < len && (header_line ? s[end] != '\r' && s[end] != '\n'
                                             : !is_stop((unsigned char)s[end]) && s[end] != '&'))
                end++;
            put(out, s + i, v - i);
            if (end > v)
                put_redacted(out, &hits);
            i = end;
            continue;
        }
        if (is_auth_scheme(w, n) && j < len && (s[j] == ' ' || s[j] == '\t')) {
            /* a credential (token68: padding '=' only at its end), not
             * words ("Bearer token expired") or auth-params (realm="x") */
            size_t end = k; /* the credential, on the same line */
            int lower = 1, param = 0;
            while (end < len && !is_stop((unsigned char)s[end])) {
                lower &= s[end] >= 'a' && s[end] <= 'z';
                param |= s[end] == '=' && end + 1 < len && s[end + 1] != '=' && !is_stop((unsigned char)s[end + 1]);
                end++;
            }
            param |= end > k && s[end - 1] == '=' && end < len && s[end] == '"';
            /* another scheme is not a credential ("Bearer Basic x": the next
             * word takes it from here) */
            if (end > k && !lower && !param && !is_auth_scheme(s + k, end - k)) {
                put(out, s + i, k - i);
                put_redacted(out, &hits);
                i = end;
                continue;
            }
        }
        put(out, w, n);
        i = j;
    }
    return hits;
}

/* The contents of a JSON string (key or value), scrubbed as text; decoded
 * first when it holds escapes, and then re-encoded only if changed. */
static void put_json_text(scrub *c, dbx__buf *out, const char *s, size_t len)
{
    if (!memchr(s, '\\', len)) {
        scan_text(c, out, s, len);
        return;
    }
    dbx__buf_clear(&c->str);
    dbx__buf_clear(&c->str_out);
    c->str.oom = c->str_out.oom = 0;
    json_unescape(&c->str, s, len);
    size_t hits = c->str.oom ? 1 : scan_text(c, &c->str_out, c->str.ptr ? c->str.ptr : "", c->str.len);
    if (hits == 0)
        dbx__buf_put(out, s, len);
    else if (c->str.oom || c->str_out.oom)
        dbx__buf_puts(out, REDACTED);
    else
        json_escape(out, c->str_out.ptr ? c->str_out.ptr : "", c->str_out.len);
}

/* Scan JSON text without parsing it fully (it may be truncated or invalid):
 * copy it, replacing the values of secret keys (whole, when an object or an
 * array), the values inside an http_headers / headers object or array
 * (header names kept), and credentials inside any other string. */
static void redact_json(scrub *c, dbx__buf *out, const char *s, size_t len)
{
    size_t i = 0, depth = 0;
    size_t hdr_depth = 0;   /* > 0: inside a headers container opened at this depth */
    int have_key = 0, expect_value = 0;
    int key_secret = 0, key_headers = 0, key_is_name = 0;
    while (i < len) {
        char ch = s[i];
        /* a value here is replaced: a secret key's, or one in a headers
         * container (but the header's "name") */
        int redact = (expect_value && key_secret) || (hdr_depth && !(expect_value && key_is_name));
        if (ch == '"') {
            int closed;
            size_t end = string_end(s, len, i, 0, &closed);
            size_t clen = closed ? end - i - 2 : len - i - 1;
            size_t j = end;
            while (j < len && isspace((unsigned char)s[j]))
                j++;
            /* a string followed by ':' is a key, even where a value was
             * expected (invalid JSON: {"a": "token": "x"}) */
            int is_key = j < len && s[j] == ':';
            if ((expect_value && key_secret) || (redact && !is_key)) {
                dbx__buf_puts(out, "\"" REDACTED "\"");
            } else {
                dbx__buf_putc(out, '"');
                put_json_text(c, out, s + i + 1, clen);
                dbx__buf_put(out, "\"", closed);
            }
            if (is_key) {
                const char *name = s + i + 1;
                size_t n = clen;
                int bad = decode_name(c, 1, &name, &n) != 0;
                have_key = 1;
                key_secret = bad || dbx__is_secret_name(name, n);
                key_headers = equals_ci(name, n, "http_headers") || equals_ci(name, n, "headers");
                key_is_name = equals_ci(name, n, "name");
            }
            expect_value = 0;
            i = end;
            continue;
        }
        if (ch == ':') {
            expect_value = have_key;
        } else if (ch == ',') {
            expect_value = 0;
        } else if (ch == '{' || ch == '[') {
            if (expect_value && key_secret) { /* drop the whole value */
                i = container_end(s, len, i);
                dbx__buf_puts(out, "\"" REDACTED "\"");
                expect_value = 0;
                continue;
            }
            depth++;
            if (expect_value && key_headers && !hdr_depth)
                hdr_depth = depth;
            expect_value = 0;
        } else if (ch == '}' || ch == ']') {
            if (depth > 0 && depth-- == hdr_depth)
                hdr_depth = 0;
            expect_value = 0;
        } else if (!isspace((unsigned char)ch)) {
            /* a number or literal (or garbage): up to the next delimiter */
            size_t end = i;
            while (end < len && !isspace((unsigned char)s[end]) && !in_set((unsigned char)s[end], "\",:{}[]"))
                end++;
            if (redact)
                dbx__buf_puts(out, "\"" REDACTED "\"");
            else
                scan_text(c, out, s + i, end - i);
            expect_value = 0;
            i = end;
            continue;
        }
        dbx__buf_putc(out, ch);
        i++;
    }
}

/* Form data: the text starts with "name=" (a name without blanks, quotes
 * or brackets). */
static int looks_like_form(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '=')
            return i > 0;
        if (is_stop(c) || in_set(c, "{}[]&"))
            return 0;
    }
    return 0;
}

void dbx__redact_header(dbx__buf *out, const char *name, const char *value)
{
    dbx__buf_printf(out, "%s: ", name);
    if (!dbx__is_secret_name(name, strlen(name))) {
        dbx__redact_text(out, value, value ? strlen(value) : 0);
        return;
    }
    /* keep a known auth scheme ("Bearer", "Basic"), which helps debugging;
     * everything else about a secret header goes */
    static const char *schemes[] = {"Bearer ", "Basic ", "Digest ", "Negotiate ", "NTLM "};
    if (value && (dbx__strcasecmp(name, "Authorization") == 0 ||
                  dbx__strcasecmp(name, "Proxy-Authorization") == 0)) {
        for (size_t i = 0; i < sizeof schemes / sizeof *schemes; i++) {
            size_t n = strlen(schemes[i]);
            if (dbx__strncasecmp(value, schemes[i], n) == 0) {
                dbx__buf_put(out, value, n);
                break;
            }
        }
    }
    dbx__buf_puts(out, REDACTED);
}

/* Run one scanner with its own scratch buffers. */
static void run_scan(size_t (*scan)(scrub *, dbx__buf *, const char *, size_t), dbx__buf *out, const char *s,
                     size_t len)
{
    if (!s || len == 0)
        return;
    scrub c = SCRUB_INIT;
    scan(&c, out, s, len);
    scrub_dispose(&c);
}

void dbx__redact_text(dbx__buf *out, const char *text, size_t len) { run_scan(scan_text, out, text, len); }

void dbx__redact_query(dbx__buf *out, const char *query, size_t len) { run_scan(scan_params, out, query, len); }

void dbx__redact_body(dbx__buf *out, const char *body, size_t len, size_t max)
{
    if (!body || len == 0)
        return;
    dbx__buf tmp = DBX__BUF_INIT;
    scrub c = SCRUB_INIT;
    size_t k = 0;
    while (k < len && isspace((unsigned char)body[k]))
        k++;
    size_t end = len; /* ignore trailing blanks when sniffing the format */
    while (end > k && isspace((unsigned char)body[end - 1]))
        end--;
    if (k < len && (body[k] == '{' || body[k] == '[')) {
        redact_json(&c, &tmp, body, len);
    } else if (end > k && looks_like_form(body + k, end - k)) {
        dbx__buf_put(&tmp, body, k);
        scan_params(&c, &tmp, body + k, end - k);
        dbx__buf_put(&tmp, body + end, len - end);
    } else {
        scan_text(&c, &tmp, body, len);
    }
    scrub_dispose(&c);
    if (tmp.oom) {
        dbx__buf_printf(out, REDACTED "...(%zu bytes)", len); /* never a partial scan */
    } else if (tmp.len > max) {
        dbx__buf_put(out, tmp.ptr, max);
        dbx__buf_printf(out, "...(%zu bytes)", len);
    } else if (tmp.ptr) {
        dbx__buf_put(out, tmp.ptr, tmp.len);
    }
    dbx__buf_dispose(&tmp);
}
