/* Synthetic card transactions (see txgen.h). */
#include "txgen.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define MAX_USUAL 16     /* terminals a customer uses */
#define RADIUS2 (500 * 500) /* squared distance (grid units of 1/100) to a usual terminal */
#define TERM_DAYS 28
#define CARD_DAYS 14

typedef struct rng {
    uint64_t s[4];
} rng;

static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static void rng_seed(rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix(&seed);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t rng_u64(rng *r) /* xoshiro256** */
{
    uint64_t *s = r->s;
    uint64_t out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

/* uniform in [0, n) for 0 < n < 2^32 */
static uint32_t rng_below(rng *r, uint32_t n) { return (uint32_t)(((rng_u64(r) >> 32) * (uint64_t)n) >> 32); }

/* an approximately normal draw, scaled by 1e6 (Irwin-Hall: 12 uniforms) */
static int64_t rng_normal_e6(rng *r)
{
    int64_t s = 0;
    for (int i = 0; i < 12; i++)
        s += rng_below(r, 1000000);
    return s - 6000000;
}

typedef struct customer {
    int64_t mean_cents, std_cents;
    int n_usual;
    int usual[MAX_USUAL];
} customer;

struct txgen {
    txgen_options o;
    rng r;
    customer *cust;
    int64_t *weight_cum; /* cumulative draw weights of customers */
    unsigned char *term_bad; /* [day * terminals + t]: compromised that day */
    unsigned char *card_bad; /* [day * customers + c] */
    int64_t next;
};

void txgen_free(txgen *g)
{
    if (!g)
        return;
    free(g->cust);
    free(g->weight_cum);
    free(g->term_bad);
    free(g->card_bad);
    free(g);
}

txgen *txgen_new(const txgen_options *in, char *err, size_t errlen)
{
    txgen_options o = *in;
    if (o.customers == 0)
        o.customers = 500;
    if (o.terminals == 0)
        o.terminals = 1000;
    if (o.days == 0)
        o.days = 30;
    if (o.start_epoch_s == 0)
        o.start_epoch_s = 1767225600; /* 2026-01-01 00:00:00 UTC */
    if (o.rows < 0 || o.customers < 1 || o.customers > 10000000 || o.terminals < 1 || o.terminals > 10000000 ||
        o.days < 1 || o.days > 3660 || o.start_epoch_s < 0) {
        snprintf(err, errlen, "rows >= 0, customers and terminals 1..10^7, days 1..3660");
        return NULL;
    }
    if ((int64_t)o.days * o.terminals > 400000000 || (int64_t)o.days * o.customers > 400000000) {
        snprintf(err, errlen, "days x terminals and days x customers must stay under 4e8");
        return NULL;
    }
    txgen *g = calloc(1, sizeof *g);
    if (!g)
        goto oom;
    g->o = o;
    g->cust = calloc((size_t)o.customers, sizeof *g->cust);
    g->weight_cum = calloc((size_t)o.customers, sizeof *g->weight_cum);
    g->term_bad = calloc((size_t)o.days * (size_t)o.terminals, 1);
    g->card_bad = calloc((size_t)o.days * (size_t)o.customers, 1);
    int32_t *tx = malloc((size_t)o.terminals * 2 * sizeof *tx);
    if (!g->cust || !g->weight_cum || !g->term_bad || !g->card_bad || !tx) {
        free(tx);
        goto oom;
    }
    /* the world: its own stream, so it does not depend on the row count */
    rng w;
    rng_seed(&w, o.seed ^ 0x5EEDF00Dull);
    for (int t = 0; t < o.terminals; t++) {
        tx[2 * t] = (int32_t)rng_below(&w, 10000);
        tx[2 * t + 1] = (int32_t)rng_below(&w, 10000);
    }
    int64_t cum = 0;
    for (int c = 0; c < o.customers; c++) {
        customer *cu = &g->cust[c];
        int32_t x = (int32_t)rng_below(&w, 10000), y = (int32_t)rng_below(&w, 10000);
        cu->mean_cents = 500 + rng_below(&w, 9500);
        cu->std_cents = cu->mean_cents / 2;
        cum += 1 + rng_below(&w, 4); /* 1..4: how often the customer pays */
        g->weight_cum[c] = cum;
        int best = 0;
        int64_t best_d = INT64_MAX;
        for (int t = 0; t < o.terminals && cu->n_usual < MAX_USUAL; t++) {
            int64_t dx = tx[2 * t] - x, dy = tx[2 * t + 1] - y, d = dx * dx + dy * dy;
            if (d <= RADIUS2)
                cu->usual[cu->n_usual++] = t;
            if (d < best_d) {
                best_d = d;
                best = t;
            }
        }
        if (cu->n_usual == 0)
            cu->usual[cu->n_usual++] = best;
    }
    free(tx);
    /* fraud: compromised terminals and stolen cards per day, windows forward */
    int per_day_t = o.terminals / 1000 > 0 ? o.terminals / 1000 : 1;
    int per_day_c = o.customers / 200 > 0 ? o.customers / 200 : 1;
    for (int d = 0; d < o.days; d++) {
        for (int k = 0; k < per_day_t; k++) {
            int t = (int)rng_below(&w, (uint32_t)o.terminals);
            for (int e = d; e < d + TERM_DAYS && e < o.days; e++)
                g->term_bad[(size_t)e * (size_t)o.terminals + (size_t)t] = 1;
        }
        for (int k = 0; k < per_day_c; k++) {
            int c = (int)rng_below(&w, (uint32_t)o.customers);
            for (int e = d; e < d + CARD_DAYS && e < o.days; e++)
                g->card_bad[(size_t)e * (size_t)o.customers + (size_t)c] = 1;
        }
    }
    rng_seed(&g->r, o.seed);
    return g;
oom:
    snprintf(err, errlen, "out of memory");
    txgen_free(g);
    return NULL;
}

static int pick_customer(txgen *g)
{
    int64_t total = g->weight_cum[g->o.customers - 1];
    int64_t v = (int64_t)(rng_u64(&g->r) % (uint64_t)total);
    int lo = 0, hi = g->o.customers - 1;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (g->weight_cum[mid] > v)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

int txgen_next(txgen *g, txgen_tx *t)
{
    if (g->next >= g->o.rows)
        return 0;
    int64_t i = g->next++, n = g->o.rows, span = (int64_t)g->o.days * 86400;
    /* row i owns the time slot [i*span/n, (i+1)*span/n): rows stay in time order */
    int64_t a = i * (span / n) + (i * (span % n)) / n;
    int64_t b = (i + 1) * (span / n) + ((i + 1) * (span % n)) / n;
    int64_t off = a + (b > a ? (int64_t)(rng_u64(&g->r) % (uint64_t)(b - a)) : 0);
    memset(t, 0, sizeof *t);
    t->id = i;
    t->epoch_s = g->o.start_epoch_s + off;
    int day = (int)(off / 86400);
    t->customer = pick_customer(g);
    const customer *cu = &g->cust[t->customer];
    t->terminal = cu->usual[rng_below(&g->r, (uint32_t)cu->n_usual)];
    int64_t amt = cu->mean_cents + (cu->std_cents * rng_normal_e6(&g->r)) / 1000000;
    if (amt <= 0)
        amt = 1 + rng_below(&g->r, (uint32_t)(2 * cu->mean_cents));
    int card_roll = (int)rng_below(&g->r, 3);
    if (amt > TXGEN_BIG_AMOUNT_CENTS)
        t->scenario = 1;
    if (g->term_bad[(size_t)day * (size_t)g->o.terminals + (size_t)t->terminal])
        t->scenario = 2;
    if (g->card_bad[(size_t)day * (size_t)g->o.customers + (size_t)t->customer] && card_roll == 0) {
        amt *= 5;
        t->scenario = 3;
    }
    t->amount_cents = amt;
    t->fraud = t->scenario != 0;
    return 1;
}

void txgen_utc(int64_t s, char *buf)
{
    /* days since 1970-01-01 to a civil date (Howard Hinnant's algorithm) */
    int64_t days = s / 86400, sod = s % 86400;
    int64_t z = days + 719468, era = z / 146097, doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400, doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
    if (m <= 2)
        y++;
    char tmp[80]; /* wide enough for any int fields: the compiler cannot bound them */
    snprintf(tmp, sizeof tmp, "%04d-%02d-%02d %02d:%02d:%02d", (int)y, (int)m, (int)d, (int)(sod / 3600),
             (int)(sod / 60 % 60), (int)(sod % 60));
    memcpy(buf, tmp, 19);
    buf[19] = '\0';
}

size_t txgen_format(const txgen_tx *t, char *buf, size_t cap)
{
    char ts[20];
    txgen_utc(t->epoch_s, ts);
    int n = snprintf(buf, cap, "%" PRId64 ",%s,C%06d,T%06d,%" PRId64 ".%02d,%d,%d", t->id, ts, t->customer,
                     t->terminal, t->amount_cents / 100, (int)(t->amount_cents % 100), t->fraud, t->scenario);
    return n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
}

int txgen_write_csv(txgen *g, FILE *f)
{
    if (fputs("transaction_id,tx_datetime,customer_id,terminal_id,tx_amount,tx_fraud,tx_fraud_scenario\n", f) < 0)
        return -1;
    txgen_tx t;
    char line[160];
    while (txgen_next(g, &t)) {
        size_t n = txgen_format(&t, line, sizeof line - 1);
        line[n++] = '\n';
        if (fwrite(line, 1, n, f) != n)
            return -1;
    }
    return fflush(f) == 0 ? 0 : -1;
}
