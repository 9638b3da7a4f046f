/* runtime/cpstore.c — see cpstore.h. */
#define _XOPEN_SOURCE 700 /* nftw */
#include "runtime/cpstore.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/mem.h"

sl_status sl_fs_mkdirs(const char *path, sl_error *err)
{
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return sl_error_set(err, SL_ERR_IO, "path too long: %s", path);
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || *p == 0) {
            char c = *p;
            *p = 0;
            if (mkdir(buf, 0755) != 0 && errno != EEXIST)
                return sl_error_set(err, SL_ERR_IO, "cannot create directory '%s': %s", buf, strerror(errno));
            *p = c;
            if (!c) break;
        }
    }
    return SL_OK;
}

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(p);
    return 0;
}

void sl_fs_remove_tree(const char *path)
{
    if (path && *path) nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static sl_status fsync_dir_of(const char *path, sl_error *err)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash == dir) dir[1] = 0;
    else if (slash) *slash = 0;
    else snprintf(dir, sizeof dir, ".");
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0) return sl_error_set(err, SL_ERR_IO, "cannot open directory '%s': %s", dir, strerror(errno));
    int rc = fsync(fd);
    int e = errno;
    close(fd);
    if (rc != 0 && e != EINVAL) return sl_error_set(err, SL_ERR_IO, "cannot sync directory '%s': %s", dir, strerror(e));
    return SL_OK;
}

sl_status sl_fs_copy(const char *from, const char *to, int do_fsync, uint64_t *bytes, sl_error *err)
{
    int in = open(from, O_RDONLY);
    if (in < 0) return sl_error_set(err, SL_ERR_IO, "cannot read '%s': %s", from, strerror(errno));
    int out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out < 0) {
        int e = errno;
        close(in);
        return sl_error_set(err, SL_ERR_IO, "cannot write '%s': %s", to, strerror(e));
    }
    static const size_t BUF = 1 << 20;
    char *buf = sl_xmalloc(BUF);
    uint64_t total = 0;
    sl_status st = SL_OK;
    for (;;) {
        ssize_t n = read(in, buf, BUF);
        if (n < 0) {
            if (errno == EINTR) continue;
            st = sl_error_set(err, SL_ERR_IO, "cannot read '%s': %s", from, strerror(errno));
            break;
        }
        if (n == 0) break;
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(out, buf + off, (size_t)(n - off));
            if (w < 0) {
                if (errno == EINTR) continue;
                st = sl_error_set(err, SL_ERR_IO, "cannot write '%s': %s", to, strerror(errno));
                break;
            }
            off += w;
        }
        if (st) break;
        total += (uint64_t)n;
    }
    free(buf);
    if (!st && do_fsync && fsync(out) != 0) st = sl_error_set(err, SL_ERR_IO, "cannot sync '%s': %s", to, strerror(errno));
    if (close(out) != 0 && !st) st = sl_error_set(err, SL_ERR_IO, "cannot write '%s': %s", to, strerror(errno));
    close(in);
    if (st) unlink(to);
    else if (bytes) *bytes = total;
    return st;
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

/* ---- file system storage ---------------------------------------------------------------------- */

typedef struct fs_storage {
    sl_cp_storage base;
} fs_storage;

static void full_path(sl_cp_storage *s, const char *rel, char *out, size_t n) { snprintf(out, n, "%s/%s", s->root, rel); }

static sl_status ensure_parent(const char *path, sl_error *err)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir) return SL_OK;
    *slash = 0;
    return sl_fs_mkdirs(dir, err);
}

static sl_status fs_put_file(sl_cp_storage *s, const char *local_path, const char *rel, uint64_t *bytes, sl_error *err)
{
    char dst[4096], tmp[4200];
    full_path(s, rel, dst, sizeof dst);
    sl_status st = ensure_parent(dst, err);
    if (st) return st;
    snprintf(tmp, sizeof tmp, "%s.inprogress", dst);
    if ((st = sl_fs_copy(local_path, tmp, 1, bytes, err))) return st;
    if (rename(tmp, dst) != 0) {
        int e = errno;
        unlink(tmp);
        return sl_error_set(err, SL_ERR_IO, "cannot rename '%s' to '%s': %s", tmp, dst, strerror(e));
    }
    return SL_OK;
}

static sl_status fs_put_atomic(sl_cp_storage *s, const char *rel, const void *data, size_t len, sl_error *err)
{
    char dst[4096], tmp[4200];
    full_path(s, rel, dst, sizeof dst);
    sl_status st = ensure_parent(dst, err);
    if (st) return st;
    snprintf(tmp, sizeof tmp, "%s.inprogress", dst);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return sl_error_set(err, SL_ERR_IO, "cannot write '%s': %s", tmp, strerror(errno));
    const char *p = data;
    for (size_t off = 0; off < len;) {
        ssize_t w = write(fd, p + off, len - off);
        if (w < 0) {
            if (errno == EINTR) continue;
            st = sl_error_set(err, SL_ERR_IO, "cannot write '%s': %s", tmp, strerror(errno));
            break;
        }
        off += (size_t)w;
    }
    if (!st && fsync(fd) != 0) st = sl_error_set(err, SL_ERR_IO, "cannot sync '%s': %s", tmp, strerror(errno));
    if (close(fd) != 0 && !st) st = sl_error_set(err, SL_ERR_IO, "cannot write '%s': %s", tmp, strerror(errno));
    if (!st && rename(tmp, dst) != 0) st = sl_error_set(err, SL_ERR_IO, "cannot rename '%s' to '%s': %s", tmp, dst, strerror(errno));
    if (st) {
        unlink(tmp);
        return st;
    }
    return fsync_dir_of(dst, err);
}

static sl_status fs_get_file(sl_cp_storage *s, const char *rel, const char *local_path, int link_ok, sl_error *err)
{
    char src[4096];
    full_path(s, rel, src, sizeof src);
    sl_status st = ensure_parent(local_path, err);
    if (st) return st;
    if (link_ok) {
        if (link(src, local_path) == 0) return SL_OK;
        if (errno == ENOENT) return sl_error_set(err, SL_ERR_STATE, "checkpoint file '%s' is missing", src);
    }
    return sl_fs_copy(src, local_path, 0, NULL, err);
}

static void fs_remove(sl_cp_storage *s, const char *rel)
{
    char p[4096];
    full_path(s, rel, p, sizeof p);
    unlink(p);
}

static void fs_remove_dir(sl_cp_storage *s, const char *rel)
{
    char p[4096];
    full_path(s, rel, p, sizeof p);
    sl_fs_remove_tree(p);
}

static void fs_destroy(sl_cp_storage *s)
{
    free(s->root);
    free(s);
}

static const sl_cp_storage_vt FS_VT = {fs_put_file, fs_put_atomic, fs_get_file, fs_remove, fs_remove_dir, fs_destroy};

sl_status sl_cp_storage_fs(const char *root, sl_cp_storage **out, sl_error *err)
{
    char *path = sl_fs_path_of_uri(root);
    if (!path) {
        sl_error_set(err, SL_ERR_CONFIG, "checkpoint storage '%s' is not supported: only local paths and file:// URIs are", root);
        sl_error_hint(err, "use a file:// URI or a path (a shared file system mounted on every machine works too)");
        return SL_ERR_CONFIG;
    }
    sl_status st = sl_fs_mkdirs(path, err);
    if (st) {
        free(path);
        return st;
    }
    fs_storage *s = sl_xcalloc(1, sizeof *s);
    s->base.vt = &FS_VT;
    s->base.root = path;
    *out = &s->base;
    return SL_OK;
}
