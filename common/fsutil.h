/* common/fsutil.h — small file-system helpers shared by state/, runtime/ and connectors/. They
 * report like the system calls they wrap: 0, or -1 with errno set; callers turn that into an
 * sl_error naming what they were doing. */
#ifndef SLUICE_COMMON_FSUTIL_H
#define SLUICE_COMMON_FSUTIL_H

#include <stdbool.h>
#include <stdint.h>

/* mkdir -p (0777 before umask); ENOTDIR when path exists and is not a directory. */
int sl_fs_mkdirs(const char *path);
/* rm -rf, best effort; a missing path is fine. */
void sl_fs_remove_tree(const char *path);
/* Copies the regular file src to dst. exclusive: dst must not exist (O_EXCL), else it is
 * replaced. do_fsync: fsync dst before closing. *bytes (may be NULL): the size copied. dst is
 * removed on failure. */
int sl_fs_copy_file(const char *src, const char *dst, bool exclusive, bool do_fsync, uint64_t *bytes);
/* A hard link when the file system allows it (same device, not EPERM/EMLINK), a copy otherwise. */
int sl_fs_link_or_copy(const char *src, const char *dst);
/* fsync of a file or directory. */
int sl_fs_fsync_path(const char *path);
/* fsync of the directory holding path. */
int sl_fs_fsync_parent(const char *path);
/* file:///a/b, file://localhost/a/b and /a/b → /a/b (malloc'd); NULL for any other scheme. */
char *sl_fs_path_of_uri(const char *uri);

#endif
