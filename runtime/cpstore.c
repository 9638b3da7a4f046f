/* runtime/cpstore.c — see cpstore.h. */
#include "runtime/cpstore.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/mem.h"

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
    if (sl_fs_mkdirs(dir) != 0) return sl_error_set(err, SL_ERR_IO, "cannot create directory '%s': %s", dir, strerror(errno));
    return SL_OK;
}

static sl_status fs_put_file(sl_cp_storage *s, const char *local_path, const char *rel, uint64_t *bytes, sl_error *err)
{
    char dst[4096], tmp[4200];
    full_path(s, rel, dst, sizeof dst);
    sl_status st = ensure_parent(dst, err);
    if (st) return st;
    snprintf(tmp, sizeof tmp, "%s.inprogress", dst);
    unlink(tmp); /* a leftover of an earlier attempt */
    /* On the same file system a hard link stores the file without copying it: a snapshot's local
     * files never change once the snapshot is taken (RocksDB's SST files are immutable, the rest
     * is written for this checkpoint and removed after the upload), and syncing the link makes
     * sure the data is on disk. Another file system (the usual case for shared checkpoint
     * storage), or a link that fails for any reason: a copy, which reports the real error. */
    if (link(local_path, tmp) == 0) {
        int fd = open(tmp, O_RDONLY | O_CLOEXEC);
        struct stat sb;
        if (fd >= 0 && fstat(fd, &sb) == 0 && fsync(fd) == 0) {
            close(fd);
            if (bytes) *bytes = (uint64_t)sb.st_size;
        } else {
            int e = errno;
            if (fd >= 0) close(fd);
            unlink(tmp);
            return sl_error_set(err, SL_ERR_IO, "cannot sync '%s': %s", tmp, strerror(e));
        }
    } else if (sl_fs_copy_file(local_path, tmp, false, true, bytes) != 0) {
        return sl_error_set(err, SL_ERR_IO, "cannot copy '%s' to '%s': %s", local_path, tmp, strerror(errno));
    }
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
    if (sl_fs_fsync_parent(dst) != 0) return sl_error_set(err, SL_ERR_IO, "cannot sync the directory of '%s': %s", dst, strerror(errno));
    return SL_OK;
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
    if (sl_fs_copy_file(src, local_path, false, false, NULL) != 0)
        return sl_error_set(err, errno == ENOENT ? SL_ERR_STATE : SL_ERR_IO, "cannot copy checkpoint file '%s' to '%s': %s", src, local_path,
                            strerror(errno));
    return SL_OK;
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
    if (sl_fs_mkdirs(path) != 0) {
        sl_error_set(err, SL_ERR_IO, "cannot create the checkpoint directory '%s': %s", path, strerror(errno));
        sl_error_hint(err, "check that the directory (execution.checkpointing.dir / savepoint-dir) is writable");
        free(path);
        return SL_ERR_IO;
    }
    fs_storage *s = sl_xcalloc(1, sizeof *s);
    s->base.vt = &FS_VT;
    s->base.root = path;
    *out = &s->base;
    return SL_OK;
}
