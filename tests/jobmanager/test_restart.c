/* tests/runtime/test_restart.c — restart strategies (runtime/restart.h): the defaults Flink has,
 * when recovery is suppressed, and the delays. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/config.h"
#include "jobmanager/restart.h"

static sl_config *conf(const char *const *kv)
{
    sl_config *c = sl_config_create();
    sl_error err;
    for (; kv && *kv; kv++) assert_int_equal(sl_config_set_dynamic(c, *kv, &err), SL_OK);
    return c;
}

static void test_defaults(void **state)
{
    (void)state;
    sl_config *c = conf(NULL);
    sl_restart_strategy r;
    int64_t d;
    sl_restart_init(&r, c, false); /* no checkpointing: none */
    assert_int_equal(r.kind, SL_RESTART_NONE);
    assert_false(sl_restart_on_failure(&r, 1000, &d));
    char buf[256];
    sl_restart_describe(&r, buf, sizeof buf);
    assert_string_equal(buf, "NoRestartBackoffTimeStrategy");
    sl_restart_free(&r);
    sl_restart_init(&r, c, true); /* checkpointing: exponential-delay */
    assert_int_equal(r.kind, SL_RESTART_EXPONENTIAL_DELAY);
    sl_restart_free(&r);
    sl_config_destroy(c);
}

static void test_fixed_delay(void **state)
{
    (void)state;
    sl_config *c = conf((const char *const[]){"restart-strategy.type=fixed-delay", "restart-strategy.fixed-delay.attempts=2",
                                              "restart-strategy.fixed-delay.delay=3 s", NULL});
    sl_restart_strategy r;
    int64_t d = 0;
    sl_restart_init(&r, c, false);
    assert_true(sl_restart_on_failure(&r, 1000, &d));
    assert_int_equal(d, 3000);
    assert_true(sl_restart_on_failure(&r, 2000, &d));
    assert_false(sl_restart_on_failure(&r, 3000, &d)); /* a third failure: suppressed */
    char buf[256];
    sl_restart_describe(&r, buf, sizeof buf);
    assert_string_equal(buf, "FixedDelayRestartBackoffTimeStrategy(maxNumberRestartAttempts=2, backoffTimeMS=3000)");
    sl_restart_free(&r);
    sl_config_destroy(c);
}

static void test_failure_rate(void **state)
{
    (void)state;
    sl_config *c = conf((const char *const[]){"restart-strategy.type=failurerate", "restart-strategy.failure-rate.max-failures-per-interval=2",
                                              "restart-strategy.failure-rate.failure-rate-interval=10 s",
                                              "restart-strategy.failure-rate.delay=100 ms", NULL});
    sl_restart_strategy r;
    int64_t d = 0;
    sl_restart_init(&r, c, false);
    assert_int_equal(r.kind, SL_RESTART_FAILURE_RATE);
    assert_true(sl_restart_on_failure(&r, 0, &d));
    assert_int_equal(d, 100);
    assert_true(sl_restart_on_failure(&r, 5000, &d));
    assert_false(sl_restart_on_failure(&r, 9000, &d)); /* 3 failures within 10 s */
    sl_restart_free(&r);
    sl_restart_init(&r, c, false);
    assert_true(sl_restart_on_failure(&r, 0, &d));
    assert_true(sl_restart_on_failure(&r, 5000, &d));
    assert_true(sl_restart_on_failure(&r, 16000, &d)); /* the first one left the interval */
    sl_restart_free(&r);
    sl_config_destroy(c);
}

static void test_exponential_delay(void **state)
{
    (void)state;
    sl_config *c = conf((const char *const[]){"restart-strategy.type=exponential-delay",
                                              "restart-strategy.exponential-delay.initial-backoff=1 s",
                                              "restart-strategy.exponential-delay.max-backoff=5 s",
                                              "restart-strategy.exponential-delay.backoff-multiplier=2",
                                              "restart-strategy.exponential-delay.jitter-factor=0",
                                              "restart-strategy.exponential-delay.reset-backoff-threshold=1 min",
                                              "restart-strategy.exponential-delay.attempts-before-reset-backoff=5", NULL});
    sl_restart_strategy r;
    int64_t d = 0, want[] = {1000, 2000, 4000, 5000, 5000};
    sl_restart_init(&r, c, false);
    for (int i = 0; i < 5; i++) {
        assert_true(sl_restart_on_failure(&r, 1000 * (i + 1), &d));
        assert_int_equal(d, want[i]);
    }
    assert_false(sl_restart_on_failure(&r, 7000, &d)); /* 5 attempts used before a reset */
    assert_true(sl_restart_on_failure(&r, 7000 + 60000, &d)); /* a minute without failures: reset */
    assert_int_equal(d, 1000);
    sl_restart_free(&r);
    sl_config_destroy(c);
    /* jitter stays within the factor */
    c = conf((const char *const[]){"restart-strategy.type=exponential-delay", "restart-strategy.exponential-delay.jitter-factor=0.1", NULL});
    sl_restart_init(&r, c, false);
    assert_true(sl_restart_on_failure(&r, 0, &d));
    assert_in_range(d, 900, 1100);
    sl_restart_free(&r);
    sl_config_destroy(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_fixed_delay),
        cmocka_unit_test(test_failure_rate),
        cmocka_unit_test(test_exponential_delay),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
