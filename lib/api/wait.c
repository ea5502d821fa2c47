/*
 * libdbx internal: the one waiter every "wait until" call uses.
 * Poll, then sleep: 1 s after the first poll, +1 s per poll, at most 10 s,
 * plus 50-750 ms jitter (as the official SDKs do), never past the deadline.
 * A caller who polls faster than every second gets jitter in proportion
 * (at most 3/4 of the interval), so short intervals stay short.
 */
#include <string.h>

#include "api.h"

#define DEFAULT_TIMEOUT_MS (20L * 60 * 1000)

dbx_status dbx__wait(dbx_client *c, const char *resource_id, const char *what,
                     const dbx_wait_options *o, dbx__poll_fn poll, void *ctx)
{
    if (o && (o->version == 0 || o->version > DBX_WAIT_OPTIONS_VERSION))
        return dbx__fail(c, DBX_EINVAL, "dbx_wait_options version %u is not supported", o->version);
    long timeout = o && o->timeout_ms > 0 ? o->timeout_ms : DEFAULT_TIMEOUT_MS;
    long initial = o && o->poll_initial_ms > 0 ? o->poll_initial_ms : 1000;
    long max = o && o->poll_max_ms > 0 ? o->poll_max_ms : 10000;
    if (max < initial)
        max = initial;
    int64_t start = dbx__now_ms();
    int64_t deadline = start + timeout;
    char last_state[64] = "";
    for (int attempt = 1;; attempt++) {
        dbx__poll_result res = DBX__POLL_CONTINUE;
        const char *state = NULL;
        dbx_status st = poll(ctx, &res, &state);
        if (st != DBX_OK) {
            if (st != DBX_ESTATE)
                dbx__error_prefix("waiting for %s", what);
            return st;
        }
        snprintf(last_state, sizeof last_state, "%s", state ? state : "");
        dbx__log(&c->pipe.log, DBX_LOG_DEBUG, DBX_LOGCAT_WAIT, "waiting for %s: state %s (poll %d)", what,
                 last_state, attempt);
        if (o && o->on_poll && o->on_poll(resource_id, last_state, o->payload) != 0)
            return dbx__fail(c, DBX_ECANCELLED, "waiting for %s: cancelled by the caller (last state %s)",
                             what, last_state);
        if (res == DBX__POLL_DONE)
            return DBX_OK;
        int64_t now = dbx__now_ms();
        if (now >= deadline)
            return dbx__fail(c, DBX_ETIMEOUT, "timed out after %ld ms waiting for %s (last state %s)",
                             timeout, what, last_state);
        long delay = initial + (long)(attempt - 1) * 1000;
        if (delay > max)
            delay = max;
        if (delay >= 1000)
            delay += dbx__rand_range(50, 750);
        else if (delay >= 4)
            delay += dbx__rand_range(delay / 20, delay * 3 / 4);
        if (now + delay > deadline)
            delay = (long)(deadline - now);
        dbx__sleep_ms(delay);
    }
}
