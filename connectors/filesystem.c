/* connectors/filesystem.c — the 'filesystem' source and sink.
 *
 * Source: 'path' is a file or a directory (read recursively; names starting with '.' or '_' are
 * hidden, as in Flink). Files are split over the source's subtasks (file i goes to subtask
 * i mod parallelism); each file is read as records separated by '\n' and decoded by 'format'. A
 * malformed record fails the job naming file:line and the format's reason, unless the format's
 * ignore-parse-errors option skips it (then it is counted as dropped). The source is bounded.
 * Checkpoints keep, per file of the subtask, the byte offset (and line number) of the next
 * record not emitted yet and whether the file is done; a restore takes the union of all old
 * subtasks' positions and each new subtask continues its own files (i mod new parallelism).
 *
 * Sink (Flink's FileSink): 'path' is a directory (created if missing). Each subtask writes part
 * files part-<uuid>-<subtask>-<n> (a new random uuid per subtask and run); while being written a
 * file is hidden as .part-<uuid>-<subtask>-<n>.inprogress. A file rolled by
 * sink.rolling-policy.file-size or .rollover-interval stays hidden (pending). With checkpoints,
 * checkpoint n closes (fsyncs) the in-progress file and makes every pending file pending for n;
 * when n completes (notify_complete) those files are renamed to their visible names. On restore
 * the files pending in the checkpoint are published and the hidden files the failed run wrote
 * after it are removed. At end of input or a graceful stop every file is committed (with or
 * without checkpoints). A reader never sees a partial file; a failed job leaves only hidden
 * files behind. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/fsutil.h"
#include "common/mem.h"
#include "common/strbuf.h"
#include "common/units.h"
#include "connectors/conn_util.h"
#include "connectors/connector.h"
#include "runtime/ops.h"
#include "connectors/delim_reader.h"
#include "runtime/task.h"

static const sl_option fs_opts[] = {
    {"path", SL_OPT_STRING, NULL, NULL, NULL, NULL, SL_RANGE_ANY, 0, "File or directory to read; directory to write."},
    {"sink.rolling-policy.file-size", SL_OPT_MEMORY, "128mb", NULL, NULL, NULL, SL_RANGE_POSITIVE, 0,
     "A part file is rolled when it reaches this size."},
    {"sink.rolling-policy.rollover-interval", SL_OPT_DURATION, "30 min", NULL, NULL, NULL, SL_RANGE_POSITIVE, 0,
     "A part file is rolled when it has been open this long."},
    {"sink.parallelism", SL_OPT_INT, NULL, NULL, NULL, NULL, SL_RANGE_MIN_ONE, 0, "Parallelism of the sink."},
};
static const char *const fs_required[] = {"path", NULL};

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Lists the files under dir (recursively, hidden names skipped), appending to *files. */
static int list_dir(const char *dir, char ***files, size_t *n, size_t *cap)
{
    DIR *d = opendir(dir);
    if (!d) return errno;
    struct dirent *e;
    char **local = NULL;
    size_t ln = 0, lcap = 0;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || e->d_name[0] == '_') continue;
        sl_grow((void **)&local, &lcap, ln + 1, sizeof(char *));
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        local[ln] = sl_xmalloc(len);
        snprintf(local[ln], len, "%s/%s", dir, e->d_name);
        ln++;
    }
    closedir(d);
    if (ln) qsort(local, ln, sizeof(char *), cmp_str);
    int rc = 0;
    for (size_t i = 0; i < ln; i++) {
        struct stat st;
        if (!rc && stat(local[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            rc = list_dir(local[i], files, n, cap);
            free(local[i]);
        } else if (!rc) {
            sl_grow((void **)files, cap, *n + 1, sizeof(char *));
            (*files)[(*n)++] = local[i];
        } else {
            free(local[i]);
        }
    }
    free(local);
    return rc;
}

/* ---- source ----------------------------------------------------------------------------------- */

/* Where the source is in one file: the byte offset of the next record not emitted yet and that
 * record's line number minus one. */
typedef struct fs_pos {
    int64_t offset;
    uint64_t line;
    bool done;
} fs_pos;

typedef struct fs_source {
    char *table;
    char **files;        /* every file under 'path', in listing order */
    fs_pos *pos;         /* per file (meaningful for this subtask's files) */
    size_t nfiles, next; /* this subtask's files: those with index mod step == subtask */
    int step, subtask;
    sl_format *format;
    char ignore_key[64]; /* the format's ignore-parse-errors option, for hints */
    size_t cur;          /* the open file's index */
    const char *file;    /* open file */
    int fd;
    sl_delim_reader rd;
    bool open;
} fs_source;

static sl_status fs_open_next(fs_source *s, sl_error *err)
{
    while (!s->open && s->next < s->nfiles) {
        size_t i = s->next;
        s->next += (size_t)s->step;
        if (s->pos[i].done) continue;
        s->cur = i;
        s->file = s->files[i];
        int fd = open(s->file, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            sl_error_set(err, SL_ERR_IO, "cannot open '%s': %s", s->file, strerror(errno));
            return SL_ERR_IO;
        }
        if (s->pos[i].offset > 0 && lseek(fd, (off_t)s->pos[i].offset, SEEK_SET) < 0) {
            sl_error_set(err, SL_ERR_IO, "cannot seek to byte %" PRId64 " of '%s' (the position restored from the checkpoint): %s",
                         s->pos[i].offset, s->file, strerror(errno));
            close(fd);
            return SL_ERR_IO;
        }
        s->fd = fd;
        sl_delim_reader_init(&s->rd, fd, '\n', 1u << 20);
        s->rd.records = s->pos[i].line;
        s->open = true;
    }
    return SL_OK;
}

static void fs_close_file(fs_source *s)
{
    if (!s->open) return;
    sl_delim_reader_free(&s->rd);
    close(s->fd);
    s->open = false;
}

static sl_status fs_poll(sl_operator *op, int max, sl_source_state *state, int *wait_ms, sl_error *err)
{
    fs_source *s = op->impl;
    sl_status st;
    for (int done = 0; done < max;) {
        if (sl_task_stop_requested(op->task)) break;
        if ((st = fs_open_next(s, err))) return st;
        if (!s->open) break;
        const char *rec;
        size_t len;
        sl_delim_result r = sl_delim_reader_next(&s->rd, &rec, &len);
        if (r == SL_DELIM_NEED_DATA) {
            sl_delim_reader_fill(&s->rd);
            continue;
        }
        if (r == SL_DELIM_ERROR) {
            sl_error_set(err, SL_ERR_IO, "cannot read '%s': %s", s->file, strerror(s->rd.err));
            return SL_ERR_IO;
        }
        if (r == SL_DELIM_EOF) {
            s->pos[s->cur].done = true;
            fs_close_file(s);
            continue;
        }
        done++;
        if (len == 0) continue; /* empty lines carry no record */
        if ((st = sl_source_decode(op, s->format, rec, len, err))) {
            if (st == SL_ERR_INVALID) {
                sl_error_at(err, s->file, (int)s->rd.records, 1);
                sl_error_hint(err, "fix or remove the record%s%s%s", s->ignore_key[0] ? ", or set '" : "", s->ignore_key,
                              s->ignore_key[0] ? "' = 'true' to skip malformed records" : "");
            }
            return st;
        }
    }
    *state = (s->open || s->next < s->nfiles) && !sl_task_stop_requested(op->task) ? SL_SOURCE_MORE : SL_SOURCE_END;
    return SL_OK;
}

/* Checkpoint: every file of this subtask with the offset of its next record not emitted yet:
 *   {"files": [{"path": p, "offset": o, "line": l, "done": b}, ...]}
 * (all records before a barrier have been emitted when snapshot runs, so the reader's position
 * minus what it buffered is exact). */
static sl_status fs_source_snapshot(sl_operator *op, const sl_snapshot_ctx *ctx, json_t **out, sl_error *err)
{
    fs_source *s = op->impl;
    (void)ctx;
    json_t *files = json_array();
    for (size_t i = (size_t)s->subtask; i < s->nfiles; i += (size_t)s->step) {
        fs_pos p = s->pos[i];
        if (s->open && i == s->cur) {
            off_t at = lseek(s->fd, 0, SEEK_CUR);
            if (at < 0) {
                json_decref(files);
                return sl_error_set(err, SL_ERR_IO, "cannot tell the read position in '%s': %s", s->file, strerror(errno));
            }
            p.offset = (int64_t)at - (int64_t)(s->rd.end - s->rd.start);
            p.line = s->rd.records;
        }
        json_array_append_new(files, json_pack("{s:s, s:I, s:I, s:b}", "path", s->files[i], "offset", (json_int_t)p.offset, "line",
                                               (json_int_t)p.line, "done", p.done));
    }
    *out = json_pack("{s:o}", "files", files);
    return SL_OK;
}

typedef struct path_index {
    const char *path;
    size_t i;
} path_index;

static int cmp_path_index(const void *a, const void *b) { return strcmp(((const path_index *)a)->path, ((const path_index *)b)->path); }

/* Restore: the union of all old subtasks' file positions; each file is read by the subtask it is
 * assigned to now (index mod parallelism), from its restored position. Files listed now but not
 * in the checkpoint are read from the start. */
static sl_status fs_source_restore(sl_operator *op, const sl_restore_ctx *ctx, sl_error *err)
{
    fs_source *s = op->impl;
    path_index *order = sl_xmalloc((s->nfiles ? s->nfiles : 1) * sizeof *order);
    for (size_t i = 0; i < s->nfiles; i++) order[i] = (path_index){s->files[i], i};
    if (s->nfiles > 1) qsort(order, s->nfiles, sizeof *order, cmp_path_index);
    sl_status st = SL_OK;
    for (int pi = 0; pi < ctx->nparts && !st; pi++) {
        const json_t *state = ctx->parts[pi].state;
        if (!state) continue;
        const json_t *files = json_object_get(state, "files");
        if (!json_is_array(files)) {
            st = sl_error_set(err, SL_ERR_STATE, "table '%s': the filesystem source position in checkpoint %" PRId64 " is malformed.",
                              s->table, ctx->checkpoint_id);
            sl_error_hint(err, "start the job without this checkpoint (no -s / 'execution.savepoint.path')");
            break;
        }
        size_t k;
        const json_t *e;
        json_array_foreach(files, k, e)
        {
            const char *path = json_string_value(json_object_get(e, "path"));
            if (!path) continue;
            fs_pos p = {json_integer_value(json_object_get(e, "offset")), (uint64_t)json_integer_value(json_object_get(e, "line")),
                        json_is_true(json_object_get(e, "done"))};
            size_t lo = 0, hi = s->nfiles; /* binary search by path */
            while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (strcmp(order[mid].path, path) < 0) lo = mid + 1;
                else hi = mid;
            }
            if (lo < s->nfiles && strcmp(order[lo].path, path) == 0) {
                fs_pos *q = &s->pos[order[lo].i];
                if (p.done || p.offset > q->offset) *q = p;
                continue;
            }
            if (p.done) continue;
            st = sl_error_set(err, SL_ERR_NOT_FOUND,
                              "table '%s': file '%s' was being read when checkpoint %" PRId64
                              " was taken (next record at byte %" PRId64 ") but is no longer there.",
                              s->table, path, ctx->checkpoint_id, p.offset);
            sl_error_hint(err, "put the file back under the table's 'path', or start the job without the checkpoint");
            break;
        }
    }
    free(order);
    return st;
}

static void fs_source_close(sl_operator *op)
{
    fs_source *s = op->impl;
    if (!s) return;
    fs_close_file(s);
    for (size_t i = 0; i < s->nfiles; i++) free(s->files[i]);
    free(s->files);
    free(s->pos);
    free(s->table);
    sl_format_destroy(s->format);
    free(s);
    op->impl = NULL;
}

static const sl_op_vtable fs_source_vt = {
    .name = "FileSource", .poll = fs_poll, .close = fs_source_close, .snapshot = fs_source_snapshot, .restore = fs_source_restore};

static sl_status fs_source_create(const sl_conn_args *a, sl_operator **out, sl_error *err)
{
    if (a->row->nfields != a->physical->nfields)
        return sl_error_set(err, SL_ERR_UNSUPPORTED, "table '%s': the filesystem source has no metadata columns in Sluice yet", a->table);
    const char *path = sl_kv_get(a->opts, a->nopts, "path");
    struct stat st;
    if (stat(path, &st) != 0) {
        sl_error_set(err, SL_ERR_NOT_FOUND, "table '%s': cannot read path '%s': %s", a->table, path, strerror(errno));
        sl_error_hint(err, "'path' of a filesystem source must be an existing file or directory");
        return SL_ERR_NOT_FOUND;
    }
    fs_source *s = sl_xcalloc(1, sizeof *s);
    size_t cap = 0;
    if (S_ISDIR(st.st_mode)) {
        int rc = list_dir(path, &s->files, &s->nfiles, &cap);
        if (rc) {
            fs_source_close(&(sl_operator){.impl = s});
            return sl_error_set(err, SL_ERR_IO, "table '%s': cannot list directory '%s': %s", a->table, path, strerror(rc));
        }
    } else {
        s->files = sl_xmalloc(sizeof(char *));
        s->files[0] = sl_xstrdup(path);
        s->nfiles = 1;
    }
    s->pos = sl_xcalloc(s->nfiles ? s->nfiles : 1, sizeof *s->pos);
    s->table = sl_xstrdup(a->table ? a->table : "?");
    s->subtask = a->subtask;
    s->next = (size_t)a->subtask;
    sl_conn_ignore_key(sl_kv_get(a->opts, a->nopts, "format"), s->ignore_key, sizeof s->ignore_key);
    s->step = a->parallelism;
    int bad;
    sl_status rc = sl_format_create(sl_kv_get(a->opts, a->nopts, "format"), a->physical, a->opts, a->nopts, a->job->ltz_offset,
                                    &s->format, &bad, err);
    if (rc) {
        fs_source_close(&(sl_operator){.impl = s});
        return rc;
    }
    *out = sl_operator_new(&fs_source_vt, s, NULL, NULL);
    return SL_OK;
}

/* ---- sink ------------------------------------------------------------------------------------- */

typedef struct part {
    char *hidden, *visible; /* hidden NULL: committed */
    int64_t checkpoint;     /* the checkpoint whose completion publishes it; -1: none yet */
} part;

typedef struct fs_sink {
    char *table;
    sl_sink_conv conv;
    sl_format *format;
    char *dir;
    char uuid[40];
    int subtask;
    int counter;
    FILE *cur;           /* in-progress file */
    uint64_t cur_bytes;
    uint64_t cur_opened_ns;
    uint64_t max_bytes;
    int64_t rollover_ms;
    part *parts;         /* closed (pending) and current */
    size_t nparts, capparts;
    sl_strbuf line;
} fs_sink;


static sl_status mkdirs(const char *path, sl_error *err)
{
    if (sl_fs_mkdirs(path) != 0) return sl_error_set(err, SL_ERR_IO, "cannot create the sink directory '%s': %s", path, strerror(errno));
    return SL_OK;
}

static sl_status roll(fs_sink *s, sl_error *err)
{
    if (!s->cur) return SL_OK;
    part *p = &s->parts[s->nparts - 1];
    if (fflush(s->cur) != 0 || fsync(fileno(s->cur)) != 0) {
        sl_error_set(err, SL_ERR_IO, "cannot write part file '%s': %s", p->hidden, strerror(errno));
        fclose(s->cur);
        s->cur = NULL;
        return SL_ERR_IO;
    }
    fclose(s->cur);
    s->cur = NULL;
    return SL_OK;
}

static sl_status open_part(fs_sink *s, sl_error *err)
{
    sl_grow((void **)&s->parts, &s->capparts, s->nparts + 1, sizeof(part));
    part *p = &s->parts[s->nparts];
    size_t n = strlen(s->dir) + 100;
    p->hidden = sl_xmalloc(n);
    p->visible = sl_xmalloc(n);
    snprintf(p->visible, n, "%s/part-%s-%d-%d", s->dir, s->uuid, s->subtask, s->counter);
    snprintf(p->hidden, n, "%s/.part-%s-%d-%d.inprogress", s->dir, s->uuid, s->subtask, s->counter);
    p->checkpoint = -1;
    s->counter++;
    s->nparts++;
    s->cur = fopen(p->hidden, "wbe");
    if (!s->cur) return sl_error_set(err, SL_ERR_IO, "cannot create part file '%s': %s", p->hidden, strerror(errno));
    setvbuf(s->cur, NULL, _IOFBF, 1u << 20);
    s->cur_bytes = 0;
    s->cur_opened_ns = sl_mono_ns();
    return SL_OK;
}

static sl_status fs_sink_process(sl_operator *op, int input, const uint8_t *row, sl_error *err)
{
    fs_sink *s = op->impl;
    const uint8_t *r = sl_sink_conv_row(&s->conv, row, err);
    if (!r) return err->code;
    sl_strbuf_reset(&s->line);
    sl_status st = sl_format_encode(s->format, r, &s->line, err);
    if (st) return st;
    sl_strbuf_putc(&s->line, '\n');
    if (s->cur && (s->cur_bytes >= s->max_bytes || (sl_mono_ns() - s->cur_opened_ns) / 1000000u >= (uint64_t)s->rollover_ms) &&
        (st = roll(s, err)))
        return st;
    if (!s->cur && (st = open_part(s, err))) return st;
    if (fwrite(s->line.buf, 1, s->line.len, s->cur) != s->line.len)
        return sl_error_set(err, SL_ERR_IO, "cannot write part file '%s': %s", s->parts[s->nparts - 1].hidden, strerror(errno));
    s->cur_bytes += s->line.len;
    op->records_out++;
    return SL_OK;
}

static void fsync_dir(const char *dir)
{
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
}

/* Publishes the closed part files with checkpoint <= upto (all closed ones: INT64_MAX) by an
 * atomic rename in the directory, then forgets them. */
static sl_status commit_parts(fs_sink *s, int64_t upto, bool all, sl_error *err)
{
    size_t k = 0;
    bool renamed = false;
    sl_status st = SL_OK;
    for (size_t i = 0; i < s->nparts; i++) {
        part *p = &s->parts[i];
        bool due = p->hidden && !st && (all || (p->checkpoint >= 0 && p->checkpoint <= upto)) && !(s->cur && i == s->nparts - 1);
        if (due) {
            if (rename(p->hidden, p->visible) != 0) {
                st = sl_error_set(err, SL_ERR_IO, "cannot commit part file '%s' of table '%s': %s", p->hidden, s->table, strerror(errno));
                sl_error_hint(err, "the sink directory must stay writable while the job runs");
            } else {
                free(p->hidden);
                p->hidden = NULL;
                renamed = true;
            }
        }
        if (p->hidden) {
            s->parts[k++] = *p;
        } else {
            free(p->visible);
        }
    }
    s->nparts = k;
    if (renamed) fsync_dir(s->dir);
    return st;
}

/* End of input (or a graceful stop): every file becomes visible. */
static sl_status fs_sink_finish(sl_operator *op, sl_error *err)
{
    fs_sink *s = op->impl;
    sl_status st = roll(s, err);
    if (st) return st;
    return commit_parts(s, INT64_MAX, true, err);
}

static const char *base_name(const char *path)
{
    const char *b = strrchr(path, '/');
    return b ? b + 1 : path;
}

/* Checkpoint n: the in-progress file is closed (fsynced) and, with the files rolled since the
 * last checkpoint, becomes pending for n. The state lists every file not published yet:
 *   {"uuid": u, "pending": [{"file": ".part-...inprogress", "final": "part-...", "checkpoint": n}]}
 * (names in the sink directory). */
static sl_status fs_sink_snapshot(sl_operator *op, const sl_snapshot_ctx *ctx, json_t **out, sl_error *err)
{
    fs_sink *s = op->impl;
    sl_status st = roll(s, err);
    if (st) return st;
    bool fresh = false;
    json_t *pending = json_array();
    for (size_t i = 0; i < s->nparts; i++) {
        part *p = &s->parts[i];
        if (!p->hidden) continue;
        if (p->checkpoint < 0) {
            p->checkpoint = ctx->checkpoint_id;
            fresh = true;
        }
        json_array_append_new(pending, json_pack("{s:s, s:s, s:I}", "file", base_name(p->hidden), "final", base_name(p->visible),
                                                 "checkpoint", (json_int_t)p->checkpoint));
    }
    if (fresh) fsync_dir(s->dir); /* the pending files' names are durable with the checkpoint */
    *out = json_pack("{s:s, s:o}", "uuid", s->uuid, "pending", pending);
    return SL_OK;
}

static sl_status fs_sink_notify(sl_operator *op, int64_t checkpoint_id, sl_error *err)
{
    return commit_parts(op->impl, checkpoint_id, false, err);
}

static bool plain_name(const char *n, const char *prefix)
{
    return n && strncmp(n, prefix, strlen(prefix)) == 0 && !strchr(n, '/') && strcmp(n, ".") != 0 && strcmp(n, "..") != 0;
}

/* Recovery: the files pending in the restored checkpoint are published (their checkpoint
 * completed, or the job would not restore from it, even if the notification never arrived), and
 * the hidden files the failed run wrote after it are removed (the sources replay those rows).
 * Each old subtask's files are handled by one new subtask (old index mod new parallelism). */
static sl_status fs_sink_restore(sl_operator *op, const sl_restore_ctx *ctx, sl_error *err)
{
    fs_sink *s = op->impl;
    int p = sl_task_parallelism(op->task);
    bool changed = false;
    size_t plen = strlen(s->dir) + 300;
    char *from = sl_xmalloc(plen), *to = sl_xmalloc(plen);
    sl_status st = SL_OK;
    for (int pi = 0; pi < ctx->nparts && !st; pi++) {
        const sl_restore_part *rp = &ctx->parts[pi];
        if (!rp->state || rp->subtask % p != s->subtask) continue;
        const char *uuid = json_string_value(json_object_get(rp->state, "uuid"));
        const json_t *pending = json_object_get(rp->state, "pending");
        if (!uuid || strlen(uuid) > 64 || strchr(uuid, '/') || !json_is_array(pending)) {
            st = sl_error_set(err, SL_ERR_STATE, "table '%s': the filesystem sink state of subtask %d in checkpoint %" PRId64 " is malformed.",
                              s->table, rp->subtask, ctx->checkpoint_id);
            sl_error_hint(err, "start the job without this checkpoint (no -s / 'execution.savepoint.path')");
            break;
        }
        size_t i;
        const json_t *e;
        json_array_foreach(pending, i, e)
        {
            const char *file = json_string_value(json_object_get(e, "file")), *final = json_string_value(json_object_get(e, "final"));
            if (!plain_name(file, ".part-") || !plain_name(final, "part-") || strlen(file) > 200 || strlen(final) > 200) {
                st = sl_error_set(err, SL_ERR_STATE, "table '%s': the filesystem sink state in checkpoint %" PRId64 " names an invalid part file.",
                                  s->table, ctx->checkpoint_id);
                sl_error_hint(err, "start the job without this checkpoint (no -s / 'execution.savepoint.path')");
                break;
            }
            snprintf(from, plen, "%s/%s", s->dir, file);
            snprintf(to, plen, "%s/%s", s->dir, final);
            if (rename(from, to) == 0) {
                changed = true;
            } else if (errno != ENOENT) { /* ENOENT: published already (or removed by someone) */
                st = sl_error_set(err, SL_ERR_IO, "cannot commit part file '%s' of table '%s' on recovery: %s", from, s->table,
                                  strerror(errno));
                sl_error_hint(err, "the sink directory must be writable");
                break;
            }
        }
        if (st) break;
        /* what is left of that run's hidden files was written after the checkpoint */
        char prefix[100];
        snprintf(prefix, sizeof prefix, ".part-%s-", uuid);
        DIR *d = opendir(s->dir);
        if (!d) {
            st = sl_error_set(err, SL_ERR_IO, "cannot list the sink directory '%s' of table '%s': %s", s->dir, s->table, strerror(errno));
            break;
        }
        struct dirent *de;
        size_t plx = strlen(prefix);
        while ((de = readdir(d))) {
            size_t nl = strlen(de->d_name);
            if (strncmp(de->d_name, prefix, plx) != 0 || nl < 11 || strcmp(de->d_name + nl - 11, ".inprogress") != 0) continue;
            snprintf(from, plen, "%s/%s", s->dir, de->d_name);
            if (unlink(from) == 0) changed = true;
        }
        closedir(d);
    }
    free(from);
    free(to);
    if (changed) fsync_dir(s->dir);
    return st;
}

static void fs_sink_close(sl_operator *op)
{
    fs_sink *s = op->impl;
    if (!s) return;
    if (s->cur) fclose(s->cur); /* a failed job: the in-progress file stays hidden */
    for (size_t i = 0; i < s->nparts; i++) {
        free(s->parts[i].hidden);
        free(s->parts[i].visible);
    }
    free(s->parts);
    free(s->dir);
    free(s->table);
    sl_format_destroy(s->format);
    sl_sink_conv_free(&s->conv);
    sl_strbuf_free(&s->line);
    free(s);
    op->impl = NULL;
}

static const sl_op_vtable fs_sink_vt = {.name = "FileSink",
                                        .process = fs_sink_process,
                                        .finish = fs_sink_finish,
                                        .close = fs_sink_close,
                                        .snapshot = fs_sink_snapshot,
                                        .restore = fs_sink_restore,
                                        .notify_complete = fs_sink_notify};

static void make_uuid(char *out, size_t n)
{
    unsigned char b[16] = {0};
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0 || read(fd, b, sizeof b) != (ssize_t)sizeof b) {
        uint64_t x = sl_mono_ns() ^ (uint64_t)getpid() << 32;
        memcpy(b, &x, 8);
    }
    if (fd >= 0) close(fd);
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, n, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4], b[5], b[6],
             b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

static sl_status fs_sink_create(const sl_conn_args *a, sl_operator **out, sl_error *err)
{
    fs_sink *s = sl_xcalloc(1, sizeof *s);
    sl_operator tmp = {.impl = s};
    s->dir = sl_xstrdup(sl_kv_get(a->opts, a->nopts, "path"));
    size_t dl = strlen(s->dir);
    while (dl > 1 && s->dir[dl - 1] == '/') s->dir[--dl] = 0;
    s->subtask = a->subtask;
    s->table = sl_xstrdup(a->table ? a->table : "?");
    make_uuid(s->uuid, sizeof s->uuid);
    char why[128];
    sl_parse_memory(sl_conn_opt(&sl_connector_filesystem, a->opts, a->nopts, "sink.rolling-policy.file-size"), &s->max_bytes, why,
                    sizeof why);
    sl_parse_duration_ms(sl_conn_opt(&sl_connector_filesystem, a->opts, a->nopts, "sink.rolling-policy.rollover-interval"),
                         &s->rollover_ms, why, sizeof why);
    sl_status st;
    int bad;
    if ((st = mkdirs(s->dir, err)) || (st = sl_sink_conv_init(&s->conv, a->input, a->row, a->job->ltz_offset, err)) ||
        (st = sl_format_create(sl_kv_get(a->opts, a->nopts, "format"), a->physical, a->opts, a->nopts, a->job->ltz_offset, &s->format,
                               &bad, err))) {
        fs_sink_close(&tmp);
        return st;
    }
    *out = sl_operator_new(&fs_sink_vt, s, NULL, NULL);
    return SL_OK;
}

const sl_connector sl_connector_filesystem = {
    .name = "filesystem",
    .options = fs_opts,
    .noptions = sizeof fs_opts / sizeof fs_opts[0],
    .required = fs_required,
    .format = true,
    .source = true,
    .sink = true,
    .create_source = fs_source_create,
    .create_sink = fs_sink_create,
};
