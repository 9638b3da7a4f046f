/* state/state.c — the keyed state interface: argument checks, dispatch to the backend, and what the
 * backends share (TTL header, RocksDB key encoding, working directories). */
#define _XOPEN_SOURCE 700 /* nftw */
#define SL_STATE_INTERNAL
#include "state/state.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

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

/* ---- working directories ---- */

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(path); /* best effort: keep going */
    return 0;
}

void sl_state_workdir_remove(const char *path)
{
    if (!path || !*path) return;
    nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* The pid in "sluice-state-<pid>-...", or -1. */
static long workdir_pid(const char *name)
{
    size_t pl = strlen(WORKDIR_PREFIX);
    if (strncmp(name, WORKDIR_PREFIX, pl) != 0) return -1;
    const char *p = name + pl;
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

/* mkdir -p; returns 0 or -1 with errno set. */
static int mkdirs(const char *dir)
{
    struct stat st;
    if (stat(dir, &st) == 0) {
        if (S_ISDIR(st.st_mode)) return 0;
        errno = ENOTDIR;
        return -1;
    }
    char *p = sl_xstrdup(dir);
    for (char *q = p + 1; *q; q++) {
        if (*q != '/') continue;
        *q = '\0';
        if (mkdir(p, 0777) != 0 && errno != EEXIST) {
            int e = errno;
            free(p);
            errno = e;
            return -1;
        }
        *q = '/';
    }
    int rc = mkdir(p, 0777);
    int e = errno;
    free(p);
    if (rc != 0 && e != EEXIST) {
        errno = e;
        return -1;
    }
    if (stat(dir, &st) != 0) return -1;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return 0;
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
    if (mkdirs(dir) != 0) return dir_error(err, "in", dir, errno);
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
