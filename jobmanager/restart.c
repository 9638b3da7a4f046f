/* jobmanager/restart.c — see restart.h. */
#include "jobmanager/restart.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"

static int kind_of(const char *s)
{
    if (!s) return -1;
    char b[32];
    int n = 0;
    for (; *s && n < 31; s++)
        if (*s != '-') b[n++] = *s >= 'A' && *s <= 'Z' ? (char)(*s + 32) : *s;
    b[n] = 0;
    if (strcmp(b, "fixeddelay") == 0) return SL_RESTART_FIXED_DELAY;
    if (strcmp(b, "failurerate") == 0) return SL_RESTART_FAILURE_RATE;
    if (strcmp(b, "exponentialdelay") == 0) return SL_RESTART_EXPONENTIAL_DELAY;
    return SL_RESTART_NONE; /* none, off, disable */
}

void sl_restart_init(sl_restart_strategy *r, const sl_config *cfg, bool checkpointing)
{
    memset(r, 0, sizeof *r);
    const char *type = sl_config_is_set(cfg, "restart-strategy.type") ? sl_config_get_enum(cfg, "restart-strategy.type") : NULL;
    r->kind = type ? kind_of(type) : checkpointing ? SL_RESTART_EXPONENTIAL_DELAY : SL_RESTART_NONE;
    if (r->kind == SL_RESTART_FAILURE_RATE) {
        r->max_failures = sl_config_get_int(cfg, "restart-strategy.failure-rate.max-failures-per-interval");
        r->interval_ms = sl_config_get_duration_ms(cfg, "restart-strategy.failure-rate.failure-rate-interval");
        r->delay_ms = sl_config_get_duration_ms(cfg, "restart-strategy.failure-rate.delay");
    } else if (r->kind == SL_RESTART_FIXED_DELAY) {
        r->attempts = sl_config_get_int(cfg, "restart-strategy.fixed-delay.attempts");
        r->delay_ms = sl_config_get_duration_ms(cfg, "restart-strategy.fixed-delay.delay");
    } else if (r->kind == SL_RESTART_EXPONENTIAL_DELAY) {
        r->initial_ms = sl_config_get_duration_ms(cfg, "restart-strategy.exponential-delay.initial-backoff");
        r->max_ms = sl_config_get_duration_ms(cfg, "restart-strategy.exponential-delay.max-backoff");
        r->multiplier = sl_config_get_double(cfg, "restart-strategy.exponential-delay.backoff-multiplier");
        r->jitter = sl_config_get_double(cfg, "restart-strategy.exponential-delay.jitter-factor");
        r->reset_threshold_ms = sl_config_get_duration_ms(cfg, "restart-strategy.exponential-delay.reset-backoff-threshold");
        r->attempts_before_reset = sl_config_get_int(cfg, "restart-strategy.exponential-delay.attempts-before-reset-backoff");
        if (r->multiplier < 1) r->multiplier = 1;
        r->current_ms = r->initial_ms;
    }
    r->rng = 0x9e3779b97f4a7c15u ^ (uint64_t)(uintptr_t)r;
}

void sl_restart_free(sl_restart_strategy *r) { free(r->failures_ms); }

bool sl_restart_on_failure(sl_restart_strategy *r, int64_t now_ms, int64_t *delay_ms)
{
    switch (r->kind) {
    case SL_RESTART_FIXED_DELAY:
        if (r->restarts >= r->attempts) return false;
        *delay_ms = r->delay_ms;
        break;
    case SL_RESTART_FAILURE_RATE: {
        int k = 0;
        for (int i = 0; i < r->nfailures; i++)
            if (now_ms - r->failures_ms[i] < r->interval_ms) r->failures_ms[k++] = r->failures_ms[i];
        r->nfailures = k;
        r->failures_ms = sl_xrealloc(r->failures_ms, sizeof(int64_t) * (size_t)(r->nfailures + 1));
        r->failures_ms[r->nfailures++] = now_ms;
        if (r->nfailures > r->max_failures) return false;
        *delay_ms = r->delay_ms;
        break;
    }
    case SL_RESTART_EXPONENTIAL_DELAY: {
        /* a job that ran long enough without failing starts over from the initial backoff */
        if (r->last_failure_ms && now_ms - r->last_failure_ms >= r->reset_threshold_ms) {
            r->current_ms = r->initial_ms;
            r->since_reset = 0;
        }
        /* attempts-before-reset-backoff: restarts allowed until the backoff resets */
        if (r->since_reset >= r->attempts_before_reset) return false;
        r->since_reset++;
        int64_t d = r->current_ms;
        if (r->jitter > 0 && d > 0) {
            r->rng ^= r->rng << 13;
            r->rng ^= r->rng >> 7;
            r->rng ^= r->rng << 17;
            double u = (double)(r->rng >> 11) / 9007199254740992.0 * 2 - 1; /* [-1, 1) */
            d += (int64_t)((double)d * r->jitter * u);
            if (d < 0) d = 0;
        }
        *delay_ms = d;
        double next = (double)r->current_ms * r->multiplier;
        r->current_ms = next > (double)r->max_ms ? r->max_ms : (int64_t)next;
        r->last_failure_ms = now_ms;
        break;
    }
    default:
        return false;
    }
    r->restarts++;
    return true;
}

void sl_restart_describe(const sl_restart_strategy *r, char *buf, int n)
{
    switch (r->kind) {
    case SL_RESTART_FIXED_DELAY:
        snprintf(buf, (size_t)n, "FixedDelayRestartBackoffTimeStrategy(maxNumberRestartAttempts=%d, backoffTimeMS=%lld)", r->attempts,
                 (long long)r->delay_ms);
        break;
    case SL_RESTART_FAILURE_RATE:
        snprintf(buf, (size_t)n, "FailureRateRestartBackoffTimeStrategy(failuresIntervalMS=%lld, backoffTimeMS=%lld, maxFailuresPerInterval=%d)",
                 (long long)r->interval_ms, (long long)r->delay_ms, r->max_failures);
        break;
    case SL_RESTART_EXPONENTIAL_DELAY:
        snprintf(buf, (size_t)n,
                 "ExponentialDelayRestartBackoffTimeStrategy(initialBackoffMS=%lld, maxBackoffMS=%lld, backoffMultiplier=%g, "
                 "resetBackoffThresholdMS=%lld, jitterFactor=%g, currentBackoffMS=%lld)",
                 (long long)r->initial_ms, (long long)r->max_ms, r->multiplier, (long long)r->reset_threshold_ms, r->jitter,
                 (long long)r->current_ms);
        break;
    default: snprintf(buf, (size_t)n, "NoRestartBackoffTimeStrategy"); break;
    }
}
