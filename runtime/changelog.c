/* runtime/changelog.c — see changelog.h. */
#define _GNU_SOURCE /* sync_file_range */
#include "runtime/changelog.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/mem.h"

enum { CHG_BUF = 1 << 20, CHG_HDR = 12, CHG_MAGIC_LEN = 8 };

/* Records the first failure (under w->m). */
static void chg_fail_locked(sl_chg_writer *w, const sl_error *e)
{
    if (atomic_load(&w->failed)) return;
    w->err = *e;
    atomic_store(&w->failed, true);
}

void sl_chg_fail(sl_chg_writer *w, const sl_error *e)
{
    pthread_mutex_lock(&w->m);
    chg_fail_locked(w, e);
    pthread_mutex_unlock(&w->m);
}

/* Writes n bytes of p at the file's end (offset w->written); the thread's, or the owner's once
 * the thread has ended. */
static void chg_write(sl_chg_writer *w, const uint8_t *p, size_t n)
{
    uint64_t at = w->written;
    for (size_t off = 0; off < n && !atomic_load(&w->failed);) {
        ssize_t k = write(w->fd, p + off, n - off);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) {
            if (k == 0) errno = EIO;
            sl_error e;
            sl_error_set(&e, SL_ERR_IO, "writing the changelog segment '%s' failed (write): %s", w->path, strerror(errno));
            sl_error_hint(&e, "the checkpoint fails; free space in the state directory (io.tmp.dirs) and the next checkpoint captures every value again");
            sl_chg_fail(w, &e);
            break;
        }
        off += (size_t)k;
    }
    w->written += n;
    /* start writing it to disk now (without waiting): the checkpoint's upload syncs the file, and
     * would otherwise wait for all of it at once */
    if (!atomic_load(&w->failed) && n) (void)sync_file_range(w->fd, (off_t)at, (off_t)n, SYNC_FILE_RANGE_WRITE);
}

static void *chg_main(void *arg)
{
    sl_chg_writer *w = arg;
    pthread_mutex_lock(&w->m);
    for (;;) {
        while (!w->out && !w->stop) pthread_cond_wait(&w->cv, &w->m);
        if (!w->out) break;
        uint8_t *p = w->out;
        size_t n = w->out_len;
        pthread_mutex_unlock(&w->m);
        chg_write(w, p, n);
        pthread_mutex_lock(&w->m);
        w->spare = p;
        w->out = NULL;
        pthread_cond_broadcast(&w->cv);
    }
    pthread_mutex_unlock(&w->m);
    return NULL;
}

/* Hands the owner's full buffer to the thread (waiting while it still writes the last one) and
 * takes the free one; writes it here if no thread can be started. */
static void chg_hand(sl_chg_writer *w)
{
    if (!w->th_started) {
        if (pthread_create(&w->th, NULL, chg_main, w) != 0) {
            chg_write(w, w->buf, w->len);
            w->len = 0;
            return;
        }
        w->th_started = true;
    }
    pthread_mutex_lock(&w->m);
    while (w->out) pthread_cond_wait(&w->cv, &w->m);
    uint8_t *next = w->spare ? w->spare : sl_xmalloc(CHG_BUF);
    w->spare = NULL;
    w->out = w->buf;
    w->out_len = w->len;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->m);
    w->buf = next;
    w->len = 0;
}

/* Ends the thread once it has written what it was handed. */
static void chg_join(sl_chg_writer *w)
{
    if (!w->th_started) return;
    pthread_mutex_lock(&w->m);
    w->stop = true;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->m);
    pthread_join(w->th, NULL);
    w->th_started = false;
}

sl_status sl_chg_open(sl_chg_writer *w, const char *path, sl_error *err)
{
    memset(w, 0, sizeof *w);
    w->fd = -1;
    pthread_mutex_init(&w->m, NULL);
    pthread_cond_init(&w->cv, NULL);
    atomic_init(&w->failed, false);
    w->path = sl_xstrdup(path);
    w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (w->fd < 0) {
        sl_status st = sl_error_set(err, SL_ERR_IO, "cannot create the changelog segment '%s': %s", path, strerror(errno));
        sl_chg_free(w);
        return st;
    }
    w->buf = sl_xmalloc(CHG_BUF);
    memcpy(w->buf, SL_CHG_MAGIC, CHG_MAGIC_LEN); /* (the string's NUL is the 8th byte) */
    w->len = w->bytes = CHG_MAGIC_LEN;
    return SL_OK;
}

static void chg_put(sl_chg_writer *w, const void *p, size_t n)
{
    while (n) {
        if (w->len == CHG_BUF) chg_hand(w);
        size_t k = CHG_BUF - w->len < n ? CHG_BUF - w->len : n;
        memcpy(w->buf + w->len, p, k);
        w->len += k;
        p = (const uint8_t *)p + k;
        n -= k;
    }
}

void sl_chg_append(sl_chg_writer *w, int op, int sid, int kg, const void *key, size_t klen, const void *val, size_t vlen)
{
    uint8_t h[CHG_HDR];
    uint16_t g = (uint16_t)kg;
    uint32_t kl = (uint32_t)klen, vl = (uint32_t)vlen;
    h[0] = (uint8_t)op;
    h[1] = (uint8_t)sid;
    memcpy(h + 2, &g, 2);
    memcpy(h + 4, &kl, 4);
    memcpy(h + 8, &vl, 4);
    w->bytes += CHG_HDR + klen + vlen;
    if (atomic_load_explicit(&w->failed, memory_order_relaxed)) return;
    chg_put(w, h, CHG_HDR);
    chg_put(w, key, klen);
    if (vlen) chg_put(w, val, vlen);
}

sl_status sl_chg_close(sl_chg_writer *w, sl_error *err)
{
    if (w->fd >= 0) {
        chg_join(w);
        if (!atomic_load(&w->failed)) chg_write(w, w->buf, w->len);
        w->len = 0;
        if (close(w->fd) != 0 && !atomic_load(&w->failed)) {
            sl_error e;
            sl_error_set(&e, SL_ERR_IO, "writing the changelog segment '%s' failed (close): %s", w->path, strerror(errno));
            sl_chg_fail(w, &e);
        }
        w->fd = -1;
    }
    if (!atomic_load(&w->failed)) return SL_OK;
    if (err) *err = w->err;
    return w->err.code;
}

void sl_chg_free(sl_chg_writer *w)
{
    if (w->path) { /* opened (else: zeroed, or freed already) */
        chg_join(w);
        if (w->fd >= 0) close(w->fd);
        free(w->buf);
        free(w->out);
        free(w->spare);
        free(w->path);
        pthread_mutex_destroy(&w->m);
        pthread_cond_destroy(&w->cv);
    }
    memset(w, 0, sizeof *w);
    w->fd = -1;
}

/* ---- restore ------------------------------------------------------------------------------------ */

static sl_status damaged(sl_error *err, const char *path, uint64_t off, const char *what)
{
    sl_status st = sl_error_set(err, SL_ERR_STATE, "the changelog segment '%s' is damaged at byte %llu: %s", path,
                                (unsigned long long)off, what);
    sl_error_hint(err, "the checkpoint cannot be restored; start from an earlier retained checkpoint or savepoint");
    return st;
}

/* Reads the bit set of segment `seg` (NULL: absent, all records needed). */
static sl_status read_live(const char *dir, const char *seg, uint64_t **bits, size_t *words, sl_error *err)
{
    *bits = NULL;
    *words = 0;
    char path[4400];
    snprintf(path, sizeof path, "%s/%.*s%s", dir, (int)(strlen(seg) - strlen(SL_CHG_SUFFIX)), seg, SL_CHG_LIVE_SUFFIX);
    FILE *f = fopen(path, "rb");
    if (!f) return errno == ENOENT ? SL_OK : sl_error_set(err, SL_ERR_IO, "cannot read '%s': %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0 || sb.st_size % 8) {
        fclose(f);
        return sl_error_set(err, SL_ERR_STATE, "the changelog bit set '%s' is damaged (%lld bytes, not whole 64-bit words)", path,
                            (long long)sb.st_size);
    }
    *words = (size_t)sb.st_size / 8;
    *bits = sl_xcalloc(*words ? *words : 1, 8);
    if (*words && fread(*bits, 8, *words, f) != *words) {
        fclose(f);
        free(*bits);
        *bits = NULL;
        return sl_error_set(err, SL_ERR_IO, "cannot read '%s': %s", path, strerror(errno ? errno : EIO));
    }
    fclose(f);
    return SL_OK;
}

static sl_status replay_one(const char *dir, const char *name, int kg_lo, int kg_hi, sl_chg_apply_fn fn, void *ctx, sl_error *err)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    uint64_t *live;
    size_t words;
    sl_status st = read_live(dir, name, &live, &words, err);
    if (st) return st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) != 0) {
        st = sl_error_set(err, SL_ERR_IO, "cannot read the changelog segment '%s': %s", path, strerror(errno));
        if (fd >= 0) close(fd);
        free(live);
        return st;
    }
    size_t size = (size_t)sb.st_size;
    const uint8_t *p = size ? mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
    close(fd);
    if (size && p == MAP_FAILED) {
        free(live);
        return sl_error_set(err, SL_ERR_IO, "cannot map the changelog segment '%s': %s", path, strerror(errno));
    }
    if (size < CHG_MAGIC_LEN || memcmp(p, SL_CHG_MAGIC, CHG_MAGIC_LEN) != 0) st = damaged(err, path, 0, "not a changelog segment (no SLCHG1 header)");
    size_t off = CHG_MAGIC_LEN;
    uint64_t rec = 0;
    while (!st && off < size) {
        if (size - off < CHG_HDR) {
            st = damaged(err, path, off, "a record header is cut short");
            break;
        }
        uint16_t kg;
        uint32_t kl, vl;
        memcpy(&kg, p + off + 2, 2);
        memcpy(&kl, p + off + 4, 4);
        memcpy(&vl, p + off + 8, 4);
        int op = p[off], sid = p[off + 1];
        if ((op != SL_CHG_PUT && op != SL_CHG_DELETE) || (uint64_t)kl + vl > size - off - CHG_HDR) {
            st = damaged(err, path, off, op != SL_CHG_PUT && op != SL_CHG_DELETE ? "unknown record type" : "a record is cut short");
            break;
        }
        bool needed = !live || (rec / 64 < words && (live[rec / 64] >> (rec % 64) & 1));
        if (live && rec / 64 >= words) {
            st = damaged(err, path, off, "more records than its bit set (.live) covers");
            break;
        }
        const uint8_t *key = p + off + CHG_HDR;
        if (needed && kg >= kg_lo && kg <= kg_hi) st = fn(ctx, sid, kg, key, kl, op == SL_CHG_PUT ? key + kl : NULL, vl, err);
        off += CHG_HDR + (size_t)kl + vl;
        rec++;
    }
    if (size) munmap((void *)p, size);
    free(live);
    return st;
}

sl_status sl_chg_replay(const char *dir, int kg_lo, int kg_hi, sl_chg_apply_fn fn, void *ctx, sl_error *err)
{
    DIR *d = opendir(dir);
    if (!d) return errno == ENOENT ? SL_OK : sl_error_set(err, SL_ERR_IO, "cannot read directory '%s': %s", dir, strerror(errno));
    sl_status st = SL_OK;
    size_t sl = strlen(SL_CHG_SUFFIX);
    for (struct dirent *e; !st && (e = readdir(d));) {
        size_t n = strlen(e->d_name);
        if (n > sl && strcmp(e->d_name + n - sl, SL_CHG_SUFFIX) == 0) st = replay_one(dir, e->d_name, kg_lo, kg_hi, fn, ctx, err);
    }
    closedir(d);
    return st;
}
