/* state/state.c — the keyed state interface: argument checks, dispatch to the backend, and what the
 * backends share (TTL header, RocksDB key encoding, working directories). */
#define SL_STATE_INTERNAL
#include "state/state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/mem.h"

#define WORKDIR_PREFIX "sluice-state-"

const char *sl_state_kind_name(sl_state_kind k)
{
    switch (k) {
    case SL_STATE_ROCKSDB: return "rocksdb";
    case SL_STATE_HASHMAP: return "hashmap";
    }
    return "unknown";
}

/* ---- shared helpers ---- */

int64_t sl_state_now(const sl_state *s)
{
    if (s->now_ms) return s->now_ms(s->now_ctx);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool sl_state_expired(int64_t ts, int64_t ttl_ms, int64_t now)
{
    if (ttl_ms <= 0 || now <= ts) return false;
    return (uint64_t)now - (uint64_t)ts > (uint64_t)ttl_ms; /* ts + ttl < now, without overflow */
}

void sl_state_ttl_encode(uint8_t out[SL_STATE_TTL_BYTES], int64_t ts)
{
    uint64_t v = (uint64_t)ts;
    for (int i = 0; i < SL_STATE_TTL_BYTES; i++) out[i] = (uint8_t)(v >> (8 * i));
}

int64_t sl_state_ttl_decode(const uint8_t in[SL_STATE_TTL_BYTES])
{
    uint64_t v = 0;
    for (int i = 0; i < SL_STATE_TTL_BYTES; i++) v |= (uint64_t)in[i] << (8 * i);
    return (int64_t)v;
}

size_t sl_state_key_encode(uint8_t *out, int sid, int kg, const void *key, size_t klen, const void *ukey,
                           size_t uklen)
{
    out[0] = (uint8_t)((unsigned)kg >> 8);
    out[1] = (uint8_t)kg;
    out[2] = (uint8_t)sid;
    uint32_t l = (uint32_t)klen;
    out[3] = (uint8_t)(l >> 24);
    out[4] = (uint8_t)(l >> 16);
    out[5] = (uint8_t)(l >> 8);
    out[6] = (uint8_t)l;
    if (klen) memcpy(out + SL_STATE_KEY_HEADER, key, klen);
    if (uklen) memcpy(out + SL_STATE_KEY_HEADER + klen, ukey, uklen);
    return SL_STATE_KEY_HEADER + klen + uklen;
}

int sl_state_key_cmp(int sid_a, int kg_a, const void *key_a, size_t klen_a, int sid_b, int kg_b, const void *key_b,
                     size_t klen_b)
{
    if (kg_a != kg_b) return kg_a < kg_b ? -1 : 1;
    if (sid_a != sid_b) return sid_a < sid_b ? -1 : 1;
    if (klen_a != klen_b) return klen_a < klen_b ? -1 : 1;
    return klen_a ? memcmp(key_a, key_b, klen_a) : 0;
}

/* ---- working directories ---- */

void sl_state_workdir_remove(const char *path) { sl_fs_remove_tree(path); }

/* The per-process working directories a crashed or killed process leaves behind in io.tmp.dirs:
 * RocksDB stores, the join's changelog segments (runtime/keyed.c), local checkpoint directories
 * (runtime/checkpoint.c) and the exactly-once Kafka sink's spill files. None is read by a later
 * process (a restart restores from execution.checkpointing.dir). */
static const char *const workdir_prefixes[] = {WORKDIR_PREFIX, "sluice-changelog-", "sluice-cp-", "sluice-kafka-wal-"};

/* The pid in "<prefix><pid>-...", or -1. */
static long workdir_pid(const char *name)
{
    const char *p = NULL;
    for (size_t i = 0; i < sizeof workdir_prefixes / sizeof *workdir_prefixes && !p; i++)
        if (strncmp(name, workdir_prefixes[i], strlen(workdir_prefixes[i])) == 0) p = name + strlen(workdir_prefixes[i]);
    if (!p) return -1;
    long pid = 0;
    int digits = 0;
    for (; *p >= '0' && *p <= '9'; p++, digits++) {
        if (pid > 100000000L) return -1;
        pid = pid * 10 + (*p - '0');
    }
    if (digits == 0 || *p != '-' || pid <= 0) return -1;
    return pid;
}

int sl_state_workdir_cleanup(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return 0;
    int removed = 0;
    size_t dl = strlen(dir);
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        long pid = workdir_pid(e->d_name);
        if (pid < 0 || pid == (long)getpid()) continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue; /* alive (or not ours to judge) */
        size_t n = dl + 1 + strlen(e->d_name) + 1;
        char *path = sl_xmalloc(n);
        snprintf(path, n, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
            sl_state_workdir_remove(path);
            removed++;
        }
        free(path);
    }
    closedir(d);
    return removed;
}


static sl_status dir_error(sl_error *err, const char *what, const char *path, int e)
{
    sl_error_set(err, SL_ERR_IO, "could not create the state working directory %s \"%s\": %s", what, path,
                 strerror(e));
    sl_error_detail(err, "RocksDB keeps its working files under state.backend.rocksdb.localdir, or io.tmp.dirs "
                         "when that is not set");
    sl_error_hint(err, "set state.backend.rocksdb.localdir (or io.tmp.dirs) to a writable local directory");
    return SL_ERR_IO;
}

sl_status sl_state_workdir_create(const char *dir, const char *name, char **path, sl_error *err)
{
    *path = NULL;
    if (!dir || !*dir) dir = "/tmp";
    if (sl_fs_mkdirs(dir) != 0) return dir_error(err, "in", dir, errno);
    sl_state_workdir_cleanup(dir);

    /* The name may come from operator ids: keep it to a safe, short file name part. */
    char nm[96];
    size_t n = 0;
    for (const char *p = name && *name ? name : "state"; *p && n + 1 < sizeof nm; p++) {
        unsigned char c = (unsigned char)*p;
        nm[n++] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                          c == '_' || c == '.'
                      ? (char)c
                      : '_';
    }
    nm[n] = '\0';
    size_t len = strlen(dir) + strlen(WORKDIR_PREFIX) + 24 + n + 16;
    char *p = sl_xmalloc(len);
    snprintf(p, len, "%s/" WORKDIR_PREFIX "%ld-%s-XXXXXX", dir, (long)getpid(), nm);
    if (!mkdtemp(p)) {
        int e = errno;
        free(p);
        return dir_error(err, "in", dir, e);
    }
    *path = p;
    return SL_OK;
}

/* ---- dispatch ---- */

static sl_status check_args(int sid, int kg, size_t klen, sl_error *err)
{
    if (sid < 0 || sid > 255) return sl_error_set(err, SL_ERR_INVALID, "state id %d out of range 0..255", sid);
    if (kg < 0 || kg > 65535) return sl_error_set(err, SL_ERR_INVALID, "key group %d out of range 0..65535", kg);
    if ((uint64_t)klen > UINT32_MAX)
        return sl_error_set(err, SL_ERR_INVALID, "state key of %zu bytes is too long", klen);
    return SL_OK;
}

sl_status sl_state_open(const sl_state_options *o, sl_state **out, sl_error *err)
{
    *out = NULL;
    if (o->ttl_ms < 0)
        return sl_error_set(err, SL_ERR_CONFIG, "state TTL must not be negative (%lld ms)", (long long)o->ttl_ms);
    switch (o->kind) {
    case SL_STATE_ROCKSDB: return sl_state_rocksdb_open(o, out, err);
    case SL_STATE_HASHMAP: return sl_state_hashmap_open(o, out, err);
    }
    return sl_error_set(err, SL_ERR_INVALID, "unknown state backend kind %d", (int)o->kind);
}

void sl_state_close(sl_state *s)
{
    if (s) s->vt->close(s);
}

sl_status sl_state_get(sl_state *s, int sid, int kg, const void *key, size_t klen, const void *ukey, size_t uklen,
                       const void **val, size_t *vlen, bool *found, sl_error *err)
{
    *found = false;
    *val = NULL;
    *vlen = 0;
    sl_status st = check_args(sid, kg, klen, err);
    if (st != SL_OK) return st;
    return s->vt->get(s, sid, kg, key, klen, ukey, uklen, val, vlen, found, err);
}

sl_status sl_state_put(sl_state *s, int sid, int kg, const void *key, size_t klen, const void *ukey, size_t uklen,
                       const void *val, size_t vlen, sl_error *err)
{
    sl_status st = check_args(sid, kg, klen, err);
    if (st != SL_OK) return st;
    return s->vt->put(s, sid, kg, key, klen, ukey, uklen, val, vlen, err);
}

sl_status sl_state_delete(sl_state *s, int sid, int kg, const void *key, size_t klen, const void *ukey, size_t uklen,
                          sl_error *err)
{
    sl_status st = check_args(sid, kg, klen, err);
    if (st != SL_OK) return st;
    return s->vt->del(s, sid, kg, key, klen, ukey, uklen, err);
}

sl_status sl_state_scan(sl_state *s, int sid, int kg, const void *key, size_t klen, sl_state_iter **it, sl_error *err)
{
    *it = NULL;
    sl_status st = check_args(sid, kg, klen, err);
    if (st != SL_OK) return st;
    return s->vt->scan(s, sid, kg, key, klen, it, err);
}

bool sl_state_iter_next(sl_state_iter *it, const void **ukey, size_t *uklen, const void **val, size_t *vlen)
{
    return it->s->vt->next(it, ukey, uklen, val, vlen);
}

sl_status sl_state_iter_error(const sl_state_iter *it, sl_error *err)
{
    if (it->err.code == SL_OK) return SL_OK;
    if (err) *err = it->err;
    return it->err.code;
}

void sl_state_iter_free(sl_state_iter *it)
{
    if (it) it->s->vt->iter_free(it);
}

void sl_state_get_stats(sl_state *s, sl_state_stats *st)
{
    memset(st, 0, sizeof *st);
    s->vt->stats(s, st);
}

sl_status sl_state_scan_group(sl_state *s, int sid, int kg, sl_state_iter **it, sl_error *err)
{
    *it = NULL;
    sl_status st = check_args(sid, kg, 0, err);
    if (st != SL_OK) return st;
    return s->vt->scan_group(s, sid, kg, it, err);
}

void sl_state_batch_begin(sl_state *s)
{
    if (s->vt->batch_begin) s->vt->batch_begin(s);
}

sl_status sl_state_batch_commit(sl_state *s, sl_error *err) { return s->vt->batch_commit ? s->vt->batch_commit(s, err) : SL_OK; }

sl_state_batch *sl_state_batch_take(sl_state *s) { return s->vt->batch_take ? s->vt->batch_take(s) : NULL; }

sl_status sl_state_batch_write(sl_state *s, sl_state_batch *b, sl_error *err) { return b ? s->vt->batch_write(s, b, err) : SL_OK; }

void sl_state_batch_free(sl_state *s, sl_state_batch *b)
{
    if (b) s->vt->batch_free(s, b);
}

bool sl_state_iter_next_entry(sl_state_iter *it, const void **key, size_t *klen, const void **ukey, size_t *uklen,
                              const void **val, size_t *vlen)
{
    return it->s->vt->next_entry(it, key, klen, ukey, uklen, val, vlen);
}

/* ---- snapshots ---- */

/* Writes a small text file into dir and fsyncs it. */
static sl_status write_small_file(const char *dir, const char *name, const char *text, sl_error *err)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *path = sl_xmalloc(n);
    snprintf(path, n, "%s/%s", dir, name);
    FILE *f = fopen(path, "wx");
    bool ok = f && fputs(text, f) >= 0 && fflush(f) == 0 && fsync(fileno(f)) == 0;
    int e = errno;
    if (f && fclose(f) != 0 && ok) {
        ok = false;
        e = errno;
    }
    if (!ok) sl_error_set(err, SL_ERR_IO, "could not write the state snapshot file \"%s\": %s", path, strerror(e));
    free(path);
    return ok ? SL_OK : SL_ERR_IO;
}

struct sl_state_snap {
    sl_state *s;
    char *dir;
    void *view;         /* the backend's view (snap_begin); NULL: the files were written at begin */
    bool written;       /* sl_state_snap_write ran */
    char instance[sizeof ((sl_state *)0)->instance];
    char meta[128];
};

/* Writes SLUICE_INSTANCE and SLUICE_STATE (last) and syncs dir. */
static sl_status snap_finish(const sl_state_snap *sn, sl_error *err)
{
    char line[sizeof sn->instance + 2];
    snprintf(line, sizeof line, "%s\n", sn->instance);
    sl_status rc = write_small_file(sn->dir, SL_STATE_FILE_INSTANCE, line, err);
    if (rc == SL_OK) rc = write_small_file(sn->dir, SL_STATE_FILE_META, sn->meta, err);
    if (rc == SL_OK && sl_fs_fsync_path(sn->dir) != 0)
        rc = sl_error_set(err, SL_ERR_IO, "could not sync the state snapshot directory \"%s\": %s", sn->dir,
                          strerror(errno));
    return rc;
}

/* Removes the snapshot directory after a failure (it did not exist before begin: ours). */
static void snap_remove(const sl_state_snap *sn)
{
    struct stat st;
    if (lstat(sn->dir, &st) == 0) sl_state_workdir_remove(sn->dir);
}

static sl_status snapshot_begin(sl_state *s, const char *dir, bool frozen, sl_state_snap **out, sl_error *err)
{
    *out = NULL;
    if (!dir || !*dir) return sl_error_set(err, SL_ERR_INVALID, "no state snapshot directory given");
    char *d = sl_xstrdup(dir);
    for (size_t l = strlen(d); l > 1 && d[l - 1] == '/'; l--) d[l - 1] = '\0';
    struct stat st;
    bool exists = lstat(d, &st) == 0;
    int e0 = errno;
    if (exists || e0 != ENOENT) {
        sl_status rc;
        if (exists) {
            rc = sl_error_set(err, SL_ERR_EXISTS, "state snapshot directory \"%s\" already exists", d);
            sl_error_hint(err, "snapshot into a directory that does not exist yet");
        } else {
            rc = sl_error_set(err, SL_ERR_IO, "could not create the state snapshot directory \"%s\": %s", d,
                              strerror(e0));
        }
        free(d);
        return rc;
    }
    char *slash = strrchr(d, '/');
    if (slash && slash != d) { /* the parent, created if missing */
        *slash = '\0';
        int rc = sl_fs_mkdirs(d);
        int e = errno;
        *slash = '/';
        if (rc != 0) {
            sl_error_set(err, SL_ERR_IO, "could not create the parent of the state snapshot directory \"%s\": %s", d,
                         strerror(e));
            free(d);
            return SL_ERR_IO;
        }
    }
    sl_state_snap *sn = sl_xcalloc(1, sizeof *sn);
    sn->s = s;
    sn->dir = d;
    snprintf(sn->instance, sizeof sn->instance, "%s", s->instance);
    snprintf(sn->meta, sizeof sn->meta, "sluice-state %d\nbackend %s\nttl %d\n", SL_STATE_SNAPSHOT_VERSION,
             sl_state_kind_name(s->kind), s->ttl_ms > 0 ? 1 : 0);
    sl_status rc;
    if (frozen && s->vt->snap_begin_frozen) {
        rc = s->vt->snap_begin_frozen(s, d, &sn->view, err);
    } else if (s->vt->snap_begin) {
        rc = s->vt->snap_begin(s, d, &sn->view, err);
    } else { /* the whole snapshot now; the write has nothing left to do */
        rc = s->vt->snapshot(s, d, err);
        if (rc == SL_OK) rc = snap_finish(sn, err);
        sn->written = true;
    }
    if (rc != SL_OK) {
        snap_remove(sn);
        free(sn->dir);
        free(sn);
        return rc;
    }
    *out = sn;
    return SL_OK;
}

sl_status sl_state_snapshot_begin(sl_state *s, const char *dir, sl_state_snap **out, sl_error *err)
{
    return snapshot_begin(s, dir, false, out, err);
}

sl_status sl_state_snapshot_begin_frozen(sl_state *s, const char *dir, sl_state_snap **out, sl_error *err)
{
    return snapshot_begin(s, dir, true, out, err);
}

sl_status sl_state_snap_write(sl_state_snap *sn, sl_error *err)
{
    if (sn->written) return SL_OK; /* rocksdb: done at begin */
    sn->written = true;
    sl_status rc = sn->s->vt->snap_write(sn->view, err);
    if (rc == SL_OK) rc = snap_finish(sn, err);
    if (rc != SL_OK) snap_remove(sn);
    return rc;
}

sl_status sl_state_snap_settle(sl_state_snap *sn, sl_error *err)
{
    return sn->view && sn->s->vt->snap_settle ? sn->s->vt->snap_settle(sn->view, err) : SL_OK;
}

void sl_state_snap_free(sl_state_snap *sn)
{
    if (!sn) return;
    if (sn->view) sn->s->vt->snap_free(sn->view);
    free(sn->dir);
    free(sn);
}

sl_status sl_state_snapshot(sl_state *s, const char *dir, sl_error *err)
{
    sl_state_snap *sn;
    sl_status rc = sl_state_snapshot_begin(s, dir, &sn, err);
    if (rc != SL_OK) return rc;
    rc = sl_state_snap_write(sn, err);
    sl_state_snap_free(sn);
    return rc;
}

/* ---- restore ---- */

typedef struct snap_meta {
    sl_state_kind kind;
    bool has_ts;
} snap_meta;

static sl_status snap_error(sl_error *err, const char *dir, const char *fmt, const char *what)
{
    char msg[SL_ERROR_MSG_MAX];
    snprintf(msg, sizeof msg, fmt, what);
    sl_error_set(err, SL_ERR_STATE, "cannot restore state from \"%s\": %s", dir, msg);
    sl_error_hint(err, "restore from a complete checkpoint or savepoint whose files were written by "
                       "sl_state_snapshot, or start the job without restoring state");
    return SL_ERR_STATE;
}

/* Reads and checks dir/SLUICE_STATE. */
static sl_status read_meta(const char *dir, snap_meta *m, sl_error *err)
{
    struct stat st;
    if (stat(dir, &st) != 0) return snap_error(err, dir, "%s", strerror(errno));
    if (!S_ISDIR(st.st_mode)) return snap_error(err, dir, "%s", "not a directory");
    size_t n = strlen(dir) + sizeof SL_STATE_FILE_META + 2;
    char *path = sl_xmalloc(n);
    snprintf(path, n, "%s/%s", dir, SL_STATE_FILE_META);
    FILE *f = fopen(path, "r");
    free(path);
    if (!f)
        return snap_error(err, dir, "%s",
                          errno == ENOENT ? "no " SL_STATE_FILE_META " file: not a state snapshot, or an incomplete one"
                                          : strerror(errno));
    char buf[1024];
    size_t len = fread(buf, 1, sizeof buf - 1, f);
    bool more = fgetc(f) != EOF;
    fclose(f);
    buf[len] = '\0';
    if (more || strlen(buf) != len)
        return snap_error(err, dir, "%s", "corrupt " SL_STATE_FILE_META " file (too long or binary)");
    long version = -1;
    int kind = -1, ttl = -1;
    char *save = NULL;
    int lineno = 0;
    for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        lineno++;
        char word[32], val[64], extra[2];
        if (sscanf(line, "%31s %63s %1s", word, val, extra) != 2)
            return snap_error(err, dir, "%s", "corrupt " SL_STATE_FILE_META " file (a line is not \"name value\")");
        if (lineno == 1) {
            char *end;
            errno = 0;
            version = strtol(val, &end, 10);
            if (strcmp(word, "sluice-state") != 0 || *end || errno || version <= 0)
                return snap_error(err, dir, "%s",
                                  "corrupt " SL_STATE_FILE_META " file (it does not start with \"sluice-state <version>\")");
            if (version != SL_STATE_SNAPSHOT_VERSION) {
                char what[128];
                snprintf(what, sizeof what, "snapshot format version %ld, this Sluice reads version %d", version,
                         SL_STATE_SNAPSHOT_VERSION);
                snap_error(err, dir, "%s", what);
                sl_error_hint(err, "restore with the Sluice version that wrote this checkpoint, or start the job "
                                   "without restoring state");
                return SL_ERR_STATE;
            }
        } else if (strcmp(word, "backend") == 0) {
            if (strcmp(val, "rocksdb") == 0) kind = SL_STATE_ROCKSDB;
            else if (strcmp(val, "hashmap") == 0) kind = SL_STATE_HASHMAP;
            else return snap_error(err, dir, "unknown state backend \"%s\" in " SL_STATE_FILE_META, val);
        } else if (strcmp(word, "ttl") == 0) {
            if (strcmp(val, "0") && strcmp(val, "1"))
                return snap_error(err, dir, "%s", "corrupt " SL_STATE_FILE_META " file (ttl is not 0 or 1)");
            ttl = val[0] == '1';
        } /* other names: ignored (additions within a version) */
    }
    if (version < 0 || kind < 0 || ttl < 0)
        return snap_error(err, dir, "%s", "corrupt " SL_STATE_FILE_META " file (version, backend or ttl missing)");
    m->kind = (sl_state_kind)kind;
    m->has_ts = ttl == 1;
    return SL_OK;
}

typedef struct load_ctx {
    sl_state *s;
    int64_t now; /* write time of entries that had none */
    int kg_lo, kg_hi;
} load_ctx;

static sl_status load_entry(void *ctx, const sl_state_entry *e, sl_error *err)
{
    load_ctx *c = ctx;
    if (e->kg < c->kg_lo || e->kg > c->kg_hi) return SL_OK; /* the readers filter already */
    if (e->has_ts) return c->s->vt->load(c->s, e, err);
    sl_state_entry x = *e;
    x.ts = c->now;
    x.has_ts = true;
    return c->s->vt->load(c->s, &x, err);
}

sl_status sl_state_restore(sl_state *s, const char *const *dirs, int n, int kg_lo, int kg_hi, sl_error *err)
{
    if (kg_lo < 0 || kg_hi > 65535 || kg_lo > kg_hi)
        return sl_error_set(err, SL_ERR_INVALID, "key-group range %d..%d is not within 0..65535", kg_lo, kg_hi);
    if (n < 0 || (n > 0 && !dirs)) return sl_error_set(err, SL_ERR_INVALID, "no state snapshot directories given");
    if (!s->vt->is_empty(s))
        return sl_error_set(err, SL_ERR_INVALID, "state can only be restored into an empty store");
    if (n == 0) return SL_OK;
    snap_meta *m = sl_xcalloc((size_t)n, sizeof *m);
    sl_status rc = SL_OK;
    for (int i = 0; i < n && rc == SL_OK; i++) { /* check every dir before loading anything */
        if (!dirs[i] || !*dirs[i]) rc = sl_error_set(err, SL_ERR_INVALID, "state snapshot directory %d is empty", i);
        else rc = read_meta(dirs[i], &m[i], err);
    }
    if (rc == SL_OK && n == 1 && s->kind == SL_STATE_ROCKSDB && m[0].kind == SL_STATE_ROCKSDB &&
        m[0].has_ts == (s->ttl_ms > 0)) {
        rc = sl_state_rocksdb_restore_files(s, dirs[0], kg_lo, kg_hi, err);
        free(m);
        return rc;
    }
    load_ctx c = {s, sl_state_now(s), kg_lo, kg_hi};
    for (int i = 0; i < n && rc == SL_OK; i++) {
        if (m[i].kind == SL_STATE_ROCKSDB)
            rc = sl_state_rocksdb_read_snapshot(dirs[i], m[i].has_ts, kg_lo, kg_hi, load_entry, &c, err);
        else
            rc = sl_state_hashmap_read_snapshot(dirs[i], m[i].has_ts, kg_lo, kg_hi, load_entry, &c, err);
    }
    if (rc == SL_OK) {
        rc = s->vt->load_end(s, err);
    } else {
        sl_error ignored;
        s->vt->load_end(s, &ignored);
    }
    free(m);
    return rc;
}
