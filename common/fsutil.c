/* common/fsutil.c — see fsutil.h. */
#define _GNU_SOURCE /* copy_file_range; nftw */
#include "common/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/mem.h"

int sl_fs_mkdirs(const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode)) return 0;
        errno = ENOTDIR;
        return -1;
    }
    char *p = sl_xstrdup(path);
    int rc = 0;
    for (char *q = p + 1;; q++) {
        if (*q != '/' && *q != 0) continue;
        char c = *q;
        *q = 0;
        if (mkdir(p, 0777) != 0 && errno != EEXIST) {
            rc = -1;
            break;
        }
        *q = c;
        if (!c) break;
    }
    int e = errno;
    free(p);
    if (rc) {
        errno = e;
        return -1;
    }
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return 0;
}

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(p); /* best effort: keep going */
    return 0;
}

void sl_fs_remove_tree(const char *path)
{
    if (path && *path) nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int sl_fs_copy_file(const char *src, const char *dst, bool exclusive, bool do_fsync, uint64_t *bytes)
{
    int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0) return -1;
    int out = open(dst, O_WRONLY | O_CREAT | O_CLOEXEC | (exclusive ? O_EXCL : O_TRUNC), 0644);
    if (out < 0) {
        int e = errno;
        close(in);
        errno = e;
        return -1;
    }
    uint64_t total = 0;
    int rc = 0;
    /* in the kernel first (no copy through user space; a reflink where the file system can);
     * read/write where it cannot (another file system on old kernels, special files) */
    bool fallback = false;
    for (;;) {
        ssize_t n = copy_file_range(in, NULL, out, NULL, 1u << 30, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && total == 0 && (errno == EXDEV || errno == ENOSYS || errno == EOPNOTSUPP || errno == EINVAL)) fallback = true;
        else if (n < 0) rc = -1;
        if (n <= 0) break;
        total += (uint64_t)n;
    }
    enum { BUF = 1 << 20 };
    char *buf = fallback ? sl_xmalloc(BUF) : NULL;
    while (fallback) {
        ssize_t n = read(in, buf, BUF);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            rc = -1;
            break;
        }
        if (n == 0) break;
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(out, buf + off, (size_t)(n - off));
            if (w < 0 && errno == EINTR) continue;
            if (w < 0) {
                rc = -1;
                break;
            }
            off += w;
        }
        if (rc) break;
        total += (uint64_t)n;
    }
    free(buf);
    int e = errno;
    close(in);
    if (rc == 0 && do_fsync && fsync(out) != 0) {
        rc = -1;
        e = errno;
    }
    if (close(out) != 0 && rc == 0) {
        rc = -1;
        e = errno;
    }
    if (rc) {
        unlink(dst);
        errno = e;
        return -1;
    }
    if (bytes) *bytes = total;
    return 0;
}

int sl_fs_link_or_copy(const char *src, const char *dst)
{
    if (link(src, dst) == 0) return 0;
    if (errno != EXDEV && errno != EPERM && errno != EMLINK) return -1;
    return sl_fs_copy_file(src, dst, true, false, NULL);
}

int sl_fs_fsync_path(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    int rc = fsync(fd);
    int e = errno;
    close(fd);
    if (rc != 0 && e == EINVAL) return 0; /* a file system that cannot sync directories */
    errno = e;
    return rc;
}

int sl_fs_fsync_parent(const char *path)
{
    char *dir = sl_xstrdup(path);
    char *slash = strrchr(dir, '/');
    if (slash == dir) dir[1] = 0;
    else if (slash) *slash = 0;
    else {
        free(dir);
        return sl_fs_fsync_path(".");
    }
    int rc = sl_fs_fsync_path(dir);
    int e = errno;
    free(dir);
    errno = e;
    return rc;
}

char *sl_fs_path_of_uri(const char *uri)
{
    if (strncmp(uri, "file://", 7) == 0) {
        const char *p = uri + 7;
        if (*p != '/') { /* file://host/path: only localhost is a local path */
            if (strncmp(p, "localhost/", 10) != 0) return NULL;
            p += 9;
        }
        return sl_xstrdup(p);
    }
    if (strstr(uri, "://")) return NULL;
    return sl_xstrdup(uri);
}
