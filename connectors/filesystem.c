/* connectors/filesystem.c — the 'filesystem' source and sink.
 *
 * Source: 'path' is a file or a directory (read recursively; names starting with '.' or '_' are
 * hidden, as in Flink). Files are split over the source's subtasks (file i goes to subtask
 * i mod parallelism); each file is read as records separated by '\n' and decoded by 'format'. A
 * malformed record fails the job naming file:line and the format's reason, unless the format's
 * ignore-parse-errors option skips it (then it is counted as dropped). The source is bounded.
 *
 * Sink: 'path' is a directory (created if missing). Each subtask writes part files
 * part-<uuid>-<subtask>-<n>; while being written a file is hidden as
 * .part-<uuid>-<subtask>-<n>.inprogress, a file rolled by sink.rolling-policy.file-size or
 * .rollover-interval waits hidden until the commit, and at commit (end of input, or a graceful
 * stop; on checkpoint completion once checkpoints exist) every pending file is fsynced and
 * renamed to its visible name: a reader never sees a partial file. A failed job leaves only
 * hidden files behind. */
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

typedef struct fs_source {
    char **files;
    size_t nfiles, next; /* this subtask's files: next, next+p, ... */
    int step;
    sl_format *format;
    char ignore_key[64]; /* the format's ignore-parse-errors option, for hints */
    const char *file; /* open file */
    int fd;
    sl_delim_reader rd;
    bool open;
} fs_source;

static sl_status fs_open_next(fs_source *s, sl_error *err)
{
    while (!s->open && s->next < s->nfiles) {
        s->file = s->files[s->next];
        s->next += (size_t)s->step;
        int fd = open(s->file, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            sl_error_set(err, SL_ERR_IO, "cannot open '%s': %s", s->file, strerror(errno));
            return SL_ERR_IO;
        }
        s->fd = fd;
        sl_delim_reader_init(&s->rd, fd, '\n', 1u << 20);
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

static void fs_source_close(sl_operator *op)
{
    fs_source *s = op->impl;
    if (!s) return;
    fs_close_file(s);
    for (size_t i = 0; i < s->nfiles; i++) free(s->files[i]);
    free(s->files);
    sl_format_destroy(s->format);
    free(s);
    op->impl = NULL;
}

static const sl_op_vtable fs_source_vt = {.name = "FileSource", .poll = fs_poll, .close = fs_source_close};

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
    char *hidden, *visible;
} part;

typedef struct fs_sink {
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

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static sl_status mkdirs(const char *path, sl_error *err)
{
    char *p = sl_xstrdup(path);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/') continue;
        *s = 0;
        if (mkdir(p, 0777) != 0 && errno != EEXIST) break;
        *s = '/';
    }
    int rc = mkdir(p, 0777) != 0 && errno != EEXIST ? errno : 0;
    free(p);
    struct stat st;
    if (rc || stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return sl_error_set(err, SL_ERR_IO, "cannot create the sink directory '%s': %s", path, rc ? strerror(rc) : "not a directory");
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
    s->counter++;
    s->nparts++;
    s->cur = fopen(p->hidden, "wbe");
    if (!s->cur) return sl_error_set(err, SL_ERR_IO, "cannot create part file '%s': %s", p->hidden, strerror(errno));
    setvbuf(s->cur, NULL, _IOFBF, 1u << 20);
    s->cur_bytes = 0;
    s->cur_opened_ns = mono_ns();
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
    if (s->cur && (s->cur_bytes >= s->max_bytes || (mono_ns() - s->cur_opened_ns) / 1000000u >= (uint64_t)s->rollover_ms) &&
        (st = roll(s, err)))
        return st;
    if (!s->cur && (st = open_part(s, err))) return st;
    if (fwrite(s->line.buf, 1, s->line.len, s->cur) != s->line.len)
        return sl_error_set(err, SL_ERR_IO, "cannot write part file '%s': %s", s->parts[s->nparts - 1].hidden, strerror(errno));
    s->cur_bytes += s->line.len;
    op->records_out++;
    return SL_OK;
}

/* Commit: every pending file becomes visible. */
static sl_status fs_sink_finish(sl_operator *op, sl_error *err)
{
    fs_sink *s = op->impl;
    sl_status st = roll(s, err);
    if (st) return st;
    for (size_t i = 0; i < s->nparts; i++) {
        part *p = &s->parts[i];
        if (!p->hidden) continue;
        if (rename(p->hidden, p->visible) != 0)
            return sl_error_set(err, SL_ERR_IO, "cannot commit part file '%s': %s", p->hidden, strerror(errno));
        free(p->hidden);
        p->hidden = NULL;
    }
    int dfd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return SL_OK;
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
    sl_format_destroy(s->format);
    sl_sink_conv_free(&s->conv);
    sl_strbuf_free(&s->line);
    free(s);
    op->impl = NULL;
}

static const sl_op_vtable fs_sink_vt = {
    .name = "FileSink", .process = fs_sink_process, .finish = fs_sink_finish, .close = fs_sink_close};

static void make_uuid(char *out, size_t n)
{
    unsigned char b[16] = {0};
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0 || read(fd, b, sizeof b) != (ssize_t)sizeof b) {
        uint64_t x = mono_ns() ^ (uint64_t)getpid() << 32;
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
