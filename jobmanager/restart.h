/* jobmanager/restart.h — restart strategies (Flink's restart-strategy.*): whether and when a failed
 * job restarts from its latest completed checkpoint. */
#ifndef SLUICE_JOBMANAGER_RESTART_H
#define SLUICE_JOBMANAGER_RESTART_H

#include <stdbool.h>
#include <stdint.h>

#include "common/config.h"

enum { SL_RESTART_NONE, SL_RESTART_FIXED_DELAY, SL_RESTART_FAILURE_RATE, SL_RESTART_EXPONENTIAL_DELAY };

typedef struct sl_restart_strategy {
    int kind;
    int attempts;                 /* fixed-delay */
    int64_t delay_ms;             /* fixed-delay, failure-rate */
    int max_failures;             /* failure-rate */
    int64_t interval_ms;          /* failure-rate */
    int64_t initial_ms, max_ms;   /* exponential-delay */
    double multiplier, jitter;
    int64_t reset_threshold_ms;
    int attempts_before_reset;
    /* what happened so far */
    int restarts;
    int since_reset;      /* exponential-delay: restarts since the backoff was last reset */
    int64_t *failures_ms; /* failure-rate: failure times within the interval */
    int nfailures;
    int64_t current_ms;   /* exponential-delay: the next backoff */
    int64_t last_failure_ms;
    uint64_t rng;
} sl_restart_strategy;

/* From the configuration; checkpointing: whether checkpointing is on (the default strategy is
 * exponential-delay then, none otherwise, as Flink's). */
void sl_restart_init(sl_restart_strategy *r, const sl_config *cfg, bool checkpointing);
void sl_restart_free(sl_restart_strategy *r);
/* A failure at now_ms: true and *delay_ms to restart, false when recovery is suppressed. */
bool sl_restart_on_failure(sl_restart_strategy *r, int64_t now_ms, int64_t *delay_ms);
/* Flink's description, e.g. "FixedDelayRestartBackoffTimeStrategy(maxNumberRestartAttempts=1, backoffTimeMS=1000)". */
void sl_restart_describe(const sl_restart_strategy *r, char *buf, int n);

#endif
