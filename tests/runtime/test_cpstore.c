/* Unit tests for the file system checkpoint storage (runtime/cpstore.c): put_file stores a hard
 * link when the local file is on the same file system (no copy: same inode, two links) and a copy
 * elsewhere (/dev/shm, when it is another file system); either way the stored file has the
 * content and the size reported; a storage root that is not a directory fails with the path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "runtime/cpstore.h"
#include "tests/lib/temp_root.h"

static char tmp_root[256];

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void check_content(const char *path, const char *text)
{
    char buf[256] = {0};
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    assert_int_equal(n, strlen(text));
    assert_string_equal(buf, text);
}

static void test_same_file_system_links(void **state)
{
    (void)state;
    char local[400], root[400], stored[500];
    snprintf(local, sizeof local, "%s/local.sst", tmp_root);
    snprintf(root, sizeof root, "%s/storage", tmp_root);
    write_file(local, "immutable state file");
    sl_cp_storage *s;
    sl_error err;
    assert_int_equal(sl_cp_storage_fs(root, &s, &err), SL_OK);
    uint64_t n = 0;
    assert_int_equal(s->vt->put_file(s, local, "shared/a.sst", &n, &err), SL_OK);
    assert_int_equal(n, strlen("immutable state file"));
    snprintf(stored, sizeof stored, "%s/shared/a.sst", root);
    check_content(stored, "immutable state file");
    struct stat a, b;
    assert_int_equal(stat(local, &a), 0);
    assert_int_equal(stat(stored, &b), 0);
    assert_true(a.st_ino == b.st_ino && b.st_nlink == 2); /* a link, not a copy */
    /* the local snapshot goes away after the upload: the stored file stays */
    unlink(local);
    check_content(stored, "immutable state file");
    /* replacing it works too (a retried upload) */
    write_file(local, "second");
    assert_int_equal(s->vt->put_file(s, local, "shared/a.sst", &n, &err), SL_OK);
    check_content(stored, "second");
    s->vt->destroy(s);
}

static void test_other_file_system_copies(void **state)
{
    (void)state;
    struct stat shm, here;
    if (stat("/dev/shm", &shm) != 0 || stat(tmp_root, &here) != 0 || shm.st_dev == here.st_dev) {
        skip(); /* no second file system to copy across */
    }
    char local[400], root[400], stored[500];
    snprintf(local, sizeof local, "%s/local.log", tmp_root);
    snprintf(root, sizeof root, "/dev/shm/sluice-cpstore-%ld", (long)getpid());
    write_file(local, "a write-ahead log copy");
    sl_cp_storage *s;
    sl_error err;
    assert_int_equal(sl_cp_storage_fs(root, &s, &err), SL_OK);
    uint64_t n = 0;
    assert_int_equal(s->vt->put_file(s, local, "chk-1/0/x.log", &n, &err), SL_OK);
    assert_int_equal(n, strlen("a write-ahead log copy"));
    snprintf(stored, sizeof stored, "%s/chk-1/0/x.log", root);
    check_content(stored, "a write-ahead log copy");
    struct stat b;
    assert_int_equal(stat(stored, &b), 0);
    assert_int_equal(b.st_nlink, 1);
    s->vt->destroy(s);
    sl_fs_remove_tree(root);
}

static void test_unusable_root_fails(void **state)
{
    (void)state;
    char local[400], root[400];
    snprintf(local, sizeof local, "%s/local2.sst", tmp_root);
    snprintf(root, sizeof root, "%s/storage2", tmp_root);
    write_file(local, "x");
    sl_cp_storage *s;
    sl_error err;
    assert_int_equal(sl_cp_storage_fs(root, &s, &err), SL_OK);
    /* the storage's directory is replaced by a file: neither a link nor a copy can go there */
    sl_fs_remove_tree(root);
    write_file(root, "not a directory");
    uint64_t n = 0;
    assert_int_not_equal(s->vt->put_file(s, local, "shared/b.sst", &n, &err), SL_OK);
    assert_non_null(strstr(err.message, root));
    s->vt->destroy(s);
}

static int setup(void **state)
{
    (void)state;
    return sl_test_temp_root(tmp_root, sizeof tmp_root, "cpstore");
}

static int teardown(void **state)
{
    (void)state;
    sl_fs_remove_tree(tmp_root);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_file_system_links),
        cmocka_unit_test(test_other_file_system_copies),
        cmocka_unit_test(test_unusable_root_fails),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
