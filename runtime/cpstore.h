/* runtime/cpstore.h — checkpoint storage: where completed checkpoints' files live
 * (execution.checkpointing.dir), behind a small interface so an object store can be added next to
 * the file system one. Paths given to a storage are relative to its root (a job's directory
 * <dir>/<job-id>, or a savepoint's directory).
 *
 * The file system storage writes every file to a temporary name in the same directory, fsyncs it
 * and renames it, so a reader never sees a partial file; directories are created as needed. */
#ifndef SLUICE_RUNTIME_CPSTORE_H
#define SLUICE_RUNTIME_CPSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

typedef struct sl_cp_storage sl_cp_storage;
typedef struct sl_cp_storage_vt {
    /* Uploads the local file to rel (replacing it); *bytes = its size. The local file must not
     * change afterwards: on the same file system the file system storage stores a hard link to it
     * (synced), elsewhere a copy. */
    sl_status (*put_file)(sl_cp_storage *s, const char *local_path, const char *rel, uint64_t *bytes, sl_error *err);
    /* Writes data to rel atomically (temporary name, fsync, rename, fsync of the directory). */
    sl_status (*put_atomic)(sl_cp_storage *s, const char *rel, const void *data, size_t len, sl_error *err);
    /* Makes rel available as the local file local_path (a hard link when `link_ok` and the file
     * system allows it, a copy otherwise). */
    sl_status (*get_file)(sl_cp_storage *s, const char *rel, const char *local_path, int link_ok, sl_error *err);
    void (*remove)(sl_cp_storage *s, const char *rel);      /* a file; missing is fine */
    void (*remove_dir)(sl_cp_storage *s, const char *rel);  /* a directory tree; missing is fine */
    void (*destroy)(sl_cp_storage *s);
} sl_cp_storage_vt;

struct sl_cp_storage {
    const sl_cp_storage_vt *vt;
    char *root; /* for messages: where the storage is */
};

/* A storage rooted at a local directory (a path or a file:// URI); the root is created. */
sl_status sl_cp_storage_fs(const char *root, sl_cp_storage **out, sl_error *err);

#endif
