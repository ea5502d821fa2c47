/* libdbx internal: clock, sleep and randomness behind a test seam. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "core.h"

static _Atomic(const dbx__platform_hooks *) hooks;
static dbx__platform_hooks hooks_copy;

void dbx__platform_set_hooks(const dbx__platform_hooks *h)
{
    if (h) {
        hooks_copy = *h;
        atomic_store(&hooks, &hooks_copy);
    } else {
        atomic_store(&hooks, NULL);
    }
}

int64_t dbx__now_ms(void)
{
    const dbx__platform_hooks *h = atomic_load(&hooks);
    if (h && h->now_ms)
        return h->now_ms(h->ud);
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t dbx__wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void dbx__sleep_ms(long ms)
{
    const dbx__platform_hooks *h = atomic_load(&hooks);
    if (h && h->sleep_ms) {
        h->sleep_ms(ms, h->ud);
        return;
    }
    if (ms <= 0)
        return;
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* xorshift64*, one state per thread, seeded from the clock and the
 * thread's own address so threads do not march in lock-step. */
static _Thread_local uint64_t rng;

long dbx__rand_range(long lo, long hi)
{
    if (hi <= lo)
        return lo;
    if (!rng) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        rng = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^ (uint64_t)(uintptr_t)&rng;
        if (!rng)
            rng = 0x9E3779B97F4A7C15ull;
    }
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    uint64_t r = rng * 2685821657736338717ull;
    return lo + (long)(r % (uint64_t)(hi - lo + 1));
}
