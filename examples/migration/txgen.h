/*
 * Synthetic card transactions for the migration programs: customers,
 * terminals, amounts and timestamps, with injected fraud, deterministic
 * from a seed (the same seed and sizes give the same bytes on every
 * machine: integer arithmetic and a fixed PRNG, no libm, no locale).
 *
 * The fraud scenarios follow the shape of the well-known transaction
 * simulator of the "Reproducible Machine Learning for Credit Card Fraud
 * Detection" handbook (reimplemented, parameters of our own):
 *   1  any amount over TXGEN_BIG_AMOUNT_CENTS is fraud (a baseline a model
 *      must learn first);
 *   2  compromised terminals: each day a few terminals are compromised and
 *      every transaction on them over the next 28 days is fraud;
 *   3  stolen cards: each day a few customers' cards are stolen and, over the
 *      next 14 days, a third of their transactions are fraud with five times
 *      their usual amount.
 *
 * Columns (CSV with a header): transaction_id, tx_datetime (UTC,
 * "YYYY-MM-DD HH:MM:SS"), customer_id, terminal_id, tx_amount (2 decimals),
 * tx_fraud (0/1), tx_fraud_scenario (0 = none, else the scenario above).
 * Rows are in time order; transaction_id counts from 0.
 *
 * Thread-safety: a generator is used by one thread at a time.
 */
#ifndef TXGEN_H
#define TXGEN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define TXGEN_BIG_AMOUNT_CENTS 22000

typedef struct txgen_options {
    uint64_t seed;
    int64_t rows;       /* transactions in total (>= 0) */
    int customers;      /* default 500 */
    int terminals;      /* default 1000 */
    int days;           /* default 30 */
    int64_t start_epoch_s; /* first day, 00:00 UTC; default 2026-01-01 */
} txgen_options;

typedef struct txgen_tx {
    int64_t id;
    int64_t epoch_s;
    int customer;
    int terminal;
    int64_t amount_cents;
    int fraud;
    int scenario;
} txgen_tx;

typedef struct txgen txgen;

/* NULL on bad options (message in err) or out of memory. */
txgen *txgen_new(const txgen_options *o, char *err, size_t errlen);
void txgen_free(txgen *g);
/* The next transaction: 1, or 0 when all rows were produced. */
int txgen_next(txgen *g, txgen_tx *out);
/* Write the whole table as CSV (header included). 0, or -1 on a write error. */
int txgen_write_csv(txgen *g, FILE *f);
/* One CSV line (no newline) of a transaction into buf; its length. */
size_t txgen_format(const txgen_tx *t, char *buf, size_t cap);
/* "YYYY-MM-DD HH:MM:SS" of a UTC epoch second (buf >= 20 bytes). */
void txgen_utc(int64_t epoch_s, char *buf);

#endif
