/* tests/lib/temp_root.h — the temporary directory of a C test group: one per process, under
 * $TMPDIR (or /tmp), named sluice-<name>-<pid>-test-<random>. Header-only, for cmocka setups. */
#ifndef SLUICE_TESTS_LIB_TEMP_ROOT_H
#define SLUICE_TESTS_LIB_TEMP_ROOT_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* $TMPDIR, or /tmp when it is unset or empty */
static inline const char *sl_test_tmpdir(void)
{
    const char *t = getenv("TMPDIR");
    return t && *t ? t : "/tmp";
}

/* Creates the group's directory into root (n bytes); 0, or -1 when mkdtemp fails. */
static inline int sl_test_temp_root(char *root, size_t n, const char *name)
{
    snprintf(root, n, "%s/sluice-%s-%ld-test-XXXXXX", sl_test_tmpdir(), name, (long)getpid());
    return mkdtemp(root) ? 0 : -1;
}

#endif
