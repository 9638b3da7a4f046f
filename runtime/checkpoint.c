/* runtime/checkpoint.c — see checkpoint.h and docs/checkpoints.md. */
#include "runtime/checkpoint.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "common/clock.h"
#include "common/fsutil.h"
#include "common/hash.h"
#include "common/mem.h"
#include "common/strbuf.h"
#include "runtime/changelog.h"
#include "runtime/cpstore.h"
#include "state/state.h"

/* ---- settings ------------------------------------------------------------------------------------ */

static char *dup_or_null(const char *s) { return s && *s ? sl_xstrdup(s) : NULL; }

/* A directory setting as a local path (NULL when unset); anything but a path or file:// URI is a
 * config error naming the key. */
static sl_status dir_setting(const sl_config *cfg, const char *key, const char *example, char **out, sl_error *err)
{
    const char *v = sl_config_get_string(cfg, key);
    *out = NULL;
    if (!v || !*v) return SL_OK;
    *out = sl_fs_path_of_uri(v);
    if (*out) return SL_OK;
    sl_error_set(err, SL_ERR_CONFIG, "Invalid value '%s' for '%s': only local paths and file:// URIs are supported.", v, key);
    sl_error_hint(err, "use a file:// URI, e.g. file:///var/lib/sluice/%s", example);
    return SL_ERR_CONFIG;
}

sl_status sl_cp_settings_load(const sl_config *cfg, sl_cp_settings *s, sl_error *err)
{
    memset(s, 0, sizeof *s);
    s->interval_ms = sl_config_is_set(cfg, "execution.checkpointing.interval") ? sl_config_get_duration_ms(cfg, "execution.checkpointing.interval") : 0;
    s->timeout_ms = sl_config_get_duration_ms(cfg, "execution.checkpointing.timeout");
    s->min_pause_ms = sl_config_get_duration_ms(cfg, "execution.checkpointing.min-pause");
    s->max_concurrent = sl_config_get_int(cfg, "execution.checkpointing.max-concurrent-checkpoints");
    s->tolerable_failed = sl_config_get_int(cfg, "execution.checkpointing.tolerable-failed-checkpoints");
    s->num_retained = sl_config_get_int(cfg, "execution.checkpointing.num-retained");
    const char *mode = sl_config_get_enum(cfg, "execution.checkpointing.mode");
    s->exactly_once = !mode || strcmp(mode, "AT_LEAST_ONCE") != 0;
    s->unaligned = sl_config_get_bool(cfg, "execution.checkpointing.unaligned.enabled");
    s->aligned_timeout_ms = sl_config_get_duration_ms(cfg, "execution.checkpointing.aligned-checkpoint-timeout");
    s->incremental = sl_config_get_bool(cfg, "execution.checkpointing.incremental");
    const char *ret = sl_config_get_enum(cfg, "execution.checkpointing.externalized-checkpoint-retention");
    s->retention = !ret || strcmp(ret, "NO_EXTERNALIZED_CHECKPOINTS") == 0 ? SL_CP_RETAIN_NONE
                   : strcmp(ret, "DELETE_ON_CANCELLATION") == 0        ? SL_CP_RETAIN_DELETE_ON_CANCEL
                                                                       : SL_CP_RETAIN_ON_CANCEL;
    s->restore_path = dup_or_null(sl_config_get_string(cfg, "execution.savepoint.path"));
    s->ignore_unclaimed = sl_config_get_bool(cfg, "execution.savepoint.ignore-unclaimed-state");
    const char *lvl = sl_config_get_enum(cfg, "log.level");
    s->log_each = lvl && (strcmp(lvl, "DEBUG") == 0 || strcmp(lvl, "TRACE") == 0);
    if (s->num_retained < 1) s->num_retained = 1;
    if (s->max_concurrent < 1) s->max_concurrent = 1;
    if (s->timeout_ms <= 0) s->timeout_ms = 600000;
    if (dir_setting(cfg, "execution.checkpointing.dir", "checkpoints", &s->dir, err) ||
        dir_setting(cfg, "execution.checkpointing.savepoint-dir", "savepoints", &s->savepoint_dir, err)) {
        sl_cp_settings_free(s);
        return SL_ERR_CONFIG;
    }
    return SL_OK;
}

void sl_cp_settings_free(sl_cp_settings *s)
{
    free(s->dir);
    free(s->savepoint_dir);
    free(s->restore_path);
    memset(s, 0, sizeof *s);
}

bool sl_cp_settings_needed(const sl_cp_settings *s) { return s->interval_ms > 0 || s->savepoint_dir || s->restore_path; }

/* ---- the coordinator's data ---------------------------------------------------------------------- */

enum { TASK_RUNNING = 0, TASK_FINISHED = 1, TASK_GONE = 2 };

typedef struct shared_file {
    char *name; /* under shared/ */
    int refs;
    uint64_t bytes;
} shared_file;

typedef struct strlist {
    char **v;
    int n, cap;
} strlist;

static void strlist_add(strlist *l, const char *s)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->v = sl_xrealloc(l->v, sizeof(char *) * (size_t)l->cap);
    }
    l->v[l->n++] = sl_xstrdup(s);
}

static void strlist_free(strlist *l)
{
    for (int i = 0; i < l->n; i++) free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

/* What a task's operators deferred to the asynchronous phase of a checkpoint (sl_snapshot_ctx.defer):
 * run on the upload thread before the task's parts are walked, released in every path. */
typedef struct deferred {
    sl_snapshot_deferred_fn fn;
    sl_snapshot_release_fn release;
    void *arg;
} deferred;

typedef struct deferred_list {
    deferred *v;
    size_t n, cap;
} deferred_list;

static void defer_add(const sl_snapshot_ctx *ctx, sl_snapshot_deferred_fn fn, sl_snapshot_release_fn release, void *arg)
{
    deferred_list *l = ctx->defer_arg;
    if (l->n == l->cap) SL_GROW(l->v, l->cap, l->n + 1);
    l->v[l->n++] = (deferred){fn, release, arg};
}

/* Releases (without running) what is left of l. */
static void deferred_release(deferred_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i].release) l->v[i].release(l->v[i].arg);
    free(l->v);
    memset(l, 0, sizeof *l);
}

/* One task's acknowledgement: what its operators snapshotted, uploaded by the worker. */
typedef struct upload {
    int64_t id;
    int task;
    uint64_t queued_ns; /* when it was queued for the upload thread */
    json_t *ops;     /* array of part objects; "local" = the local directory (removed after upload) */
    strlist refs;    /* shared files this upload references */
    uint64_t bytes;  /* bytes uploaded */
    uint64_t full;   /* bytes of every file it references (uploaded or not) */
    bool failed;
    char reason[512];
    struct upload *next;
} upload;

/* Where one task's part of a checkpoint spent its time (ns), as Flink's checkpoint statistics
 * show it per subtask: logged for the task that acknowledged last (log.level DEBUG). */
typedef struct cp_phases {
    uint64_t start;   /* trigger -> its synchronous phase began (barrier travel and alignment) */
    uint64_t sync;    /* the synchronous phase */
    uint64_t inflight; /* end of sync -> in-flight data kept (unaligned) */
    uint64_t wait;    /* queued -> the upload thread took it */
    uint64_t snap;    /* the operators' deferred snapshot work (e.g. the join's RocksDB checkpoint) */
    uint64_t upload;  /* copying / linking its files to the storage */
    uint64_t done;    /* trigger -> its upload ended */
} cp_phases;

typedef struct pending {
    int64_t id;
    bool savepoint;
    sl_cp_storage *store; /* where its files go: the job's storage, or the savepoint's own */
    char *rel;            /* its directory relative to store ("chk-3", or "." for a savepoint) */
    char *path;           /* absolute directory */
    uint64_t t0_ns;
    int ntasks, acked, uploaded, in_flight;
    bool *has_acked;
    cp_phases *phases; /* per task: where its part of the checkpoint spent its time */
    uint64_t bytes, full;
    json_t *parts;  /* every uploaded part */
    json_t **deferred; /* per task: its parts while it collects in-flight data (unaligned), or NULL */
    deferred_list *snaps; /* per task (or NULL): the asynchronous part of its snapshot, until its upload runs it */
    uint64_t inflight_bytes;
    strlist refs;   /* shared files referenced */
    bool failed, benign, done_notified, completed;
    atomic_bool cancel; /* = failed, for deferred snapshot work (sl_snapshot_ctx.cancelled) */
    int64_t sp_req; /* the savepoint request it answers (savepoints) */
    bool terminal;  /* a stop with savepoint */
    char reason[1024];
    struct pending *next;
} pending;

typedef struct completed {
    int64_t id;
    char *rel;
    strlist refs;
} completed;

typedef struct sp_result {
    int64_t req;
    int status; /* 1 ok, -1 failed */
    char *text;
} sp_result;

struct sl_checkpointer {
    sl_cp_settings set;
    char job_id[33];
    char *local_root;
    char *job_dir;
    sl_cp_storage *store; /* <dir>/<job-id>; NULL without a checkpoint dir */
    FILE *log;
    pthread_mutex_t *log_lock;

    pthread_mutex_t m;
    pthread_cond_t work, idle;
    upload *q_head, *q_tail;
    bool quit, worker_busy;
    pthread_t worker;
    bool worker_started;

    sl_task **tasks;
    int ntasks;
    /* per task of the attempt: TASK_RUNNING, TASK_FINISHED (its input ended: it takes part in
     * later checkpoints as finished, FLIP-147) or TASK_GONE (stopped before the end of its input:
     * no checkpoint can include it any more) */
    signed char *task_state;
    int64_t last_id;
    pending *pend;
    completed *done;
    int ndone;
    shared_file *reg;
    int nreg, capreg;
    int consecutive_failed;
    uint64_t last_trigger_ns, last_complete_ns;
    int64_t savepoint_req, savepoint_reqs; /* the request waiting to be triggered (0: none), requests so far */
    bool savepoint_terminal;
    _Atomic int64_t terminal_id; /* the stop-with-savepoint triggered (0: none) */
    sp_result *sps;
    int nsps;

    /* what the next attempt restores */
    json_t *restore_meta;
    sl_cp_storage *restore_store;
    char *restore_desc;

    /* figures */
    int ncompleted, nfailed;
    double *durations;
    int ndur, capdur;
    uint64_t sync_ns_max, last_bytes, last_full;
    int nunaligned;          /* completed unaligned checkpoints */
    uint64_t inflight_bytes; /* in-flight data they hold, in all */
    char *last_path;
};

static void cp_log(sl_checkpointer *cp, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void cp_log(sl_checkpointer *cp, const char *fmt, ...)
{
    if (!cp->log) return;
    va_list ap;
    va_start(ap, fmt);
    if (cp->log_lock) pthread_mutex_lock(cp->log_lock);
    vfprintf(cp->log, fmt, ap);
    fputc('\n', cp->log);
    fflush(cp->log);
    if (cp->log_lock) pthread_mutex_unlock(cp->log_lock);
    va_end(ap);
}

/* ---- shared-file registry (under cp->m) ---------------------------------------------------------- */

static shared_file *reg_find(sl_checkpointer *cp, const char *name)
{
    for (int i = 0; i < cp->nreg; i++)
        if (strcmp(cp->reg[i].name, name) == 0) return &cp->reg[i];
    return NULL;
}

static void reg_add(sl_checkpointer *cp, const char *name, uint64_t bytes)
{
    shared_file *f = reg_find(cp, name);
    if (f) {
        f->refs++;
        return;
    }
    if (cp->nreg == cp->capreg) {
        cp->capreg = cp->capreg ? cp->capreg * 2 : 64;
        cp->reg = sl_xrealloc(cp->reg, sizeof(shared_file) * (size_t)cp->capreg);
    }
    cp->reg[cp->nreg++] = (shared_file){sl_xstrdup(name), 1, bytes};
}

/* Drops one reference per name; files nobody references any more are deleted. */
static void reg_release(sl_checkpointer *cp, strlist *refs)
{
    for (int k = 0; k < refs->n; k++) {
        shared_file *f = reg_find(cp, refs->v[k]);
        if (!f || --f->refs > 0) continue;
        char rel[4200];
        snprintf(rel, sizeof rel, "shared/%s", f->name);
        if (cp->store) cp->store->vt->remove(cp->store, rel);
        free(f->name);
        *f = cp->reg[--cp->nreg];
    }
    strlist_free(refs);
}

/* ---- local directories -------------------------------------------------------------------------- */

/* Calls fn for every regular file under dir (rel: its path under the walk's root). */
typedef sl_status (*file_fn)(void *ctx, const char *abs, const char *rel, const char *instance, sl_error *err);

static sl_status walk(const char *root, const char *sub, file_fn fn, void *ctx, sl_error *err)
{
    char dirpath[4096];
    snprintf(dirpath, sizeof dirpath, "%s%s%s", root, *sub ? "/" : "", sub);
    DIR *d = opendir(dirpath);
    if (!d) return errno == ENOENT ? SL_OK : sl_error_set(err, SL_ERR_IO, "cannot read directory '%s': %s", dirpath, strerror(errno));
    /* a directory with SLUICE_INSTANCE holds immutable *.sst files of one store instance */
    char instance[256] = "";
    char ip[4200];
    snprintf(ip, sizeof ip, "%s/SLUICE_INSTANCE", dirpath);
    FILE *f = fopen(ip, "r");
    if (f) {
        if (!fgets(instance, sizeof instance, f)) instance[0] = 0;
        instance[strcspn(instance, "\r\n")] = 0;
        for (char *p = instance; *p; p++)
            if (*p == '/') *p = '_';
        fclose(f);
    }
    sl_status st = SL_OK;
    struct dirent *e;
    while (!st && (e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        char rel[4096], abs[8300];
        snprintf(rel, sizeof rel, "%s%s%s", sub, *sub ? "/" : "", e->d_name);
        snprintf(abs, sizeof abs, "%s/%s", root, rel);
        struct stat sb;
        if (lstat(abs, &sb) != 0) continue;
        if (S_ISDIR(sb.st_mode)) st = walk(root, rel, fn, ctx, err);
        else if (S_ISREG(sb.st_mode)) st = fn(ctx, abs, rel, instance, err);
    }
    closedir(d);
    return st;
}

/* ---- creation ------------------------------------------------------------------------------------ */

static void *worker_main(void *arg);

static sl_status load_restore(sl_checkpointer *cp, const char *path, sl_error *err)
{
    char *p = sl_fs_path_of_uri(path);
    if (!p) return sl_error_set(err, SL_ERR_CONFIG, "Cannot restore from '%s': only local paths and file:// URIs are supported.", path);
    size_t n = strlen(p);
    while (n > 1 && p[n - 1] == '/') p[--n] = 0;
    if (n >= 10 && strcmp(p + n - 10, "/_metadata") == 0) p[n - 10] = 0;
    char meta[4200];
    snprintf(meta, sizeof meta, "%s/_metadata", p);
    json_error_t je;
    json_t *root = json_load_file(meta, 0, &je);
    if (!root) {
        struct stat sb;
        if (stat(meta, &sb) != 0) {
            sl_error_set(err, SL_ERR_STATE, "Cannot restore from '%s': there is no _metadata file (%s): it is not a completed checkpoint or savepoint.",
                         p, strerror(errno));
            sl_error_hint(err, "pass a directory chk-<n> or savepoint-... that contains _metadata (an incomplete checkpoint never has one)");
        } else {
            sl_error_set(err, SL_ERR_STATE, "Cannot restore from '%s': its _metadata is not valid (line %d: %s).", p, je.line, je.text);
        }
        free(p);
        return SL_ERR_STATE;
    }
    const char *fmt = json_string_value(json_object_get(root, "format"));
    if (!fmt || strcmp(fmt, "sluice-checkpoint") != 0 || json_integer_value(json_object_get(root, "version")) != 1 ||
        !json_is_object(json_object_get(root, "operators"))) {
        json_decref(root);
        sl_error_set(err, SL_ERR_STATE, "Cannot restore from '%s': its _metadata is not a Sluice checkpoint of a version this build reads (format 'sluice-checkpoint', version 1).", p);
        free(p);
        return SL_ERR_STATE;
    }
    sl_status st = sl_cp_storage_fs(p, &cp->restore_store, err);
    if (st) {
        json_decref(root);
        free(p);
        return st;
    }
    cp->restore_meta = root;
    cp->restore_desc = p;
    /* as Flink's: the job's checkpoint ids go on from the one it restored */
    cp->last_id = json_integer_value(json_object_get(root, "checkpoint_id"));
    return SL_OK;
}

sl_status sl_cp_create(const sl_cp_settings *s, const char *tmp_dir, FILE *log, pthread_mutex_t *log_lock, sl_checkpointer **out,
                       sl_error *err)
{
    sl_checkpointer *cp = sl_xcalloc(1, sizeof *cp);
    cp->set = *s;
    cp->set.dir = s->dir ? sl_xstrdup(s->dir) : NULL;
    cp->set.savepoint_dir = s->savepoint_dir ? sl_xstrdup(s->savepoint_dir) : NULL;
    cp->set.restore_path = s->restore_path ? sl_xstrdup(s->restore_path) : NULL;
    cp->log = log;
    cp->log_lock = log_lock;
    uint8_t rnd[16];
    if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd) {
        uint64_t a = (uint64_t)sl_mono_ns() ^ (uint64_t)getpid() << 32, b = sl_hash64(&a, sizeof a);
        memcpy(rnd, &a, 8);
        memcpy(rnd + 8, &b, 8);
    }
    for (int i = 0; i < 16; i++) snprintf(cp->job_id + 2 * i, 3, "%02x", rnd[i]);
    atomic_init(&cp->terminal_id, 0);
    pthread_mutex_init(&cp->m, NULL);
    pthread_cond_init(&cp->work, NULL);
    pthread_cond_init(&cp->idle, NULL);
    char buf[4200];
    snprintf(buf, sizeof buf, "%s/sluice-cp-%d-%.8s", tmp_dir ? tmp_dir : "/tmp", (int)getpid(), cp->job_id);
    cp->local_root = sl_xstrdup(buf);
    sl_status st = SL_OK;
    sl_state_workdir_cleanup(tmp_dir ? tmp_dir : "/tmp"); /* what a killed run left there */
    if (sl_fs_mkdirs(cp->local_root) != 0)
        st = sl_error_set(err, SL_ERR_IO, "cannot create the local checkpoint directory '%s' (io.tmp.dirs): %s", cp->local_root, strerror(errno));
    if (!st && cp->set.dir) {
        snprintf(buf, sizeof buf, "%s/%s", cp->set.dir, cp->job_id);
        cp->job_dir = sl_xstrdup(buf);
        st = sl_cp_storage_fs(buf, &cp->store, err);
        if (st) sl_error_detail(err, "while creating the checkpoint directory of job %s (execution.checkpointing.dir)", cp->job_id);
    }
    if (!st && cp->set.restore_path) st = load_restore(cp, cp->set.restore_path, err);
    if (!st) {
        int rc = pthread_create(&cp->worker, NULL, worker_main, cp);
        if (rc) st = sl_error_set(err, SL_ERR_RUNTIME, "cannot start the checkpoint upload thread: %s", strerror(rc));
        else cp->worker_started = true;
    }
    if (st) {
        sl_cp_destroy(cp, false, false);
        return st;
    }
    *out = cp;
    return SL_OK;
}

const char *sl_cp_job_id(const sl_checkpointer *cp) { return cp->job_id; }
int64_t sl_cp_interval_ms(const sl_checkpointer *cp) { return cp->set.interval_ms; }

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Releases the deferred snapshot work p still holds (its uploads will not run it). */
static void release_snaps(pending *p)
{
    for (int i = 0; p->snaps && i < p->ntasks; i++) deferred_release(&p->snaps[i]);
    free(p->snaps);
    p->snaps = NULL;
}

static void free_pending(pending *p)
{
    release_snaps(p);
    for (int i = 0; p->deferred && i < p->ntasks; i++) json_decref(p->deferred[i]);
    free(p->deferred);
    free(p->has_acked);
    free(p->phases);
    json_decref(p->parts);
    if (p->savepoint && p->store) p->store->vt->destroy(p->store);
    free(p->rel);
    free(p->path);
    free(p);
}

void sl_cp_destroy(sl_checkpointer *cp, bool stopped, bool failed)
{
    if (!cp) return;
    sl_cp_detach(cp);
    if (cp->worker_started) {
        pthread_mutex_lock(&cp->m);
        cp->quit = true;
        pthread_cond_broadcast(&cp->work);
        pthread_mutex_unlock(&cp->m);
        pthread_join(cp->worker, NULL);
    }
    bool keep = cp->set.retention == SL_CP_RETAIN_ON_CANCEL || (cp->set.retention == SL_CP_RETAIN_DELETE_ON_CANCEL && failed && !stopped);
    if (!cp->ndone) keep = false; /* nothing completed: nothing to retain, no empty job directory left */
    if (cp->ncompleted || cp->nfailed) {
        char p50[32] = "-", p99[32] = "-";
        if (cp->ndur) {
            qsort(cp->durations, (size_t)cp->ndur, sizeof(double), cmp_double);
            snprintf(p50, sizeof p50, "%.0f ms", cp->durations[(cp->ndur - 1) / 2]);
            snprintf(p99, sizeof p99, "%.0f ms", cp->durations[(int)((cp->ndur - 1) * 0.99)]);
        }
        char ua[160] = "";
        if (cp->nunaligned)
            snprintf(ua, sizeof ua, "; %d unaligned, holding %" PRIu64 " bytes of in-flight data in all", cp->nunaligned, cp->inflight_bytes);
        cp_log(cp, "Checkpoints of job %s: %d completed, %d failed; duration p50 %s, p99 %s; synchronous phase max %.1f ms%s; last "
                   "checkpoint uploaded %" PRIu64 " bytes of %" PRIu64 " referenced%s%s%s",
               cp->job_id, cp->ncompleted, cp->nfailed, p50, p99, (double)cp->sync_ns_max / 1e6, ua, cp->last_bytes, cp->last_full,
               cp->last_path && keep ? " (retained: " : "", cp->last_path && keep ? cp->last_path : "", cp->last_path && keep ? ")" : "");
    }
    if (cp->job_dir && !keep) sl_fs_remove_tree(cp->job_dir);
    for (int i = 0; i < cp->ndone; i++) {
        free(cp->done[i].rel);
        strlist_free(&cp->done[i].refs);
    }
    free(cp->done);
    for (int i = 0; i < cp->nreg; i++) free(cp->reg[i].name);
    free(cp->reg);
    for (int i = 0; i < cp->nsps; i++) free(cp->sps[i].text);
    free(cp->sps);
    if (cp->store) cp->store->vt->destroy(cp->store);
    if (cp->restore_store) cp->restore_store->vt->destroy(cp->restore_store);
    json_decref(cp->restore_meta);
    free(cp->restore_desc);
    sl_fs_remove_tree(cp->local_root);
    free(cp->local_root);
    free(cp->job_dir);
    free(cp->durations);
    free(cp->last_path);
    free(cp->tasks);
    free(cp->task_state);
    pthread_mutex_destroy(&cp->m);
    pthread_cond_destroy(&cp->work);
    pthread_cond_destroy(&cp->idle);
    sl_cp_settings_free(&cp->set);
    free(cp);
}

/* ---- restore checks ---------------------------------------------------------------------------- */

static bool part_has_state(const json_t *part)
{
    const json_t *s = json_object_get(part, "state");
    const json_t *f = json_object_get(part, "files");
    return (s && !json_is_null(s)) || json_array_size(f) > 0;
}

/* An operator's parts in the checkpoint being restored: its old parallelism, how many of its
 * subtasks had finished, whether subtask `subtask` had. */
static void finished_parts(const json_t *arr, int subtask, int *old_par, int *nfin, int *mine)
{
    size_t k;
    const json_t *pj;
    *old_par = *nfin = *mine = 0;
    json_array_foreach(arr, k, pj)
    {
        *old_par = (int)json_integer_value(json_object_get(pj, "parallelism"));
        if (!json_is_true(json_object_get(pj, "finished"))) continue;
        (*nfin)++;
        if ((int)json_integer_value(json_object_get(pj, "subtask")) == subtask) *mine = 1;
    }
}

static sl_status partly_finished_error(sl_checkpointer *cp, const char *opid, const json_t *arr, int nfin, int old_par, int parallelism,
                                       sl_error *err)
{
    const char *desc = json_string_value(json_object_get(json_array_get(arr, 0), "operator"));
    sl_error_set(err, SL_ERR_STATE,
                 "Cannot restore from '%s': %d of the %d subtasks of operator %s (%s) had finished when it was taken, so it can only be "
                 "restored at parallelism %d, not %d.",
                 cp->restore_desc, nfin, old_par, opid, desc ? desc : "?", old_par, parallelism);
    sl_error_hint(err, "restore at parallelism %d, or take a savepoint while every subtask of that operator still runs", old_par);
    return SL_ERR_STATE;
}

sl_status sl_cp_check_restore(sl_checkpointer *cp, const char *const *op_ids, const int *op_par, int n, int max_parallelism, sl_error *err)
{
    if (!cp->restore_meta) return SL_OK;
    json_int_t mp = json_integer_value(json_object_get(cp->restore_meta, "max_parallelism"));
    if (mp && mp != max_parallelism) {
        sl_error_set(err, SL_ERR_STATE,
                     "Cannot restore from '%s': it was taken with max parallelism %d, the job now has %d ('pipeline.max-parallelism'). "
                     "Keyed state is split into max-parallelism key groups, so the two must be equal.",
                     cp->restore_desc, (int)mp, max_parallelism);
        sl_error_hint(err, "SET 'pipeline.max-parallelism' = '%d'", (int)mp);
        return SL_ERR_STATE;
    }
    const char *opid;
    json_t *parts;
    json_object_foreach(json_object_get(cp->restore_meta, "operators"), opid, parts)
    {
        bool claimed = false;
        /* in-flight data (unaligned checkpoints) belongs to the operator named before the '@' */
        const char *at = strchr(opid, '@');
        size_t idlen = at ? (size_t)(at - opid) : strlen(opid);
        for (int i = 0; i < n && !claimed; i++) claimed = op_ids[i] && strlen(op_ids[i]) == idlen && strncmp(op_ids[i], opid, idlen) == 0;
        if (claimed) continue;
        bool any = false;
        size_t k;
        json_t *p;
        json_array_foreach(parts, k, p) any |= part_has_state(p);
        if (!any || cp->set.ignore_unclaimed) continue;
        const char *desc = json_string_value(json_object_get(json_array_get(parts, 0), "operator"));
        sl_error_set(err, SL_ERR_STATE,
                     "Failed to rollback to checkpoint/savepoint '%s'. Cannot map checkpoint/savepoint state for operator %s (%s) to the new "
                     "program, because the operator is not available in the new program.",
                     cp->restore_desc, opid, desc ? desc : "?");
        sl_error_hint(err, "if the query changed on purpose, SET 'execution.savepoint.ignore-unclaimed-state' = 'true' to drop that state");
        return SL_ERR_STATE;
    }
    /* an operator that had finished on some of its subtasks only: at its old parallelism only */
    for (int i = 0; i < n; i++) {
        const json_t *arr = op_ids[i] ? json_object_get(json_object_get(cp->restore_meta, "operators"), op_ids[i]) : NULL;
        int old_par, nfin, mine;
        finished_parts(arr, -1, &old_par, &nfin, &mine);
        if (nfin && nfin < old_par && op_par[i] != old_par) return partly_finished_error(cp, op_ids[i], arr, nfin, old_par, op_par[i], err);
    }
    return SL_OK;
}

/* ---- attempts ------------------------------------------------------------------------------------- */

void sl_cp_attach(sl_checkpointer *cp, sl_task **tasks, int n)
{
    pthread_mutex_lock(&cp->m);
    free(cp->tasks);
    cp->tasks = sl_xmalloc(sizeof(sl_task *) * (size_t)(n ? n : 1));
    memcpy(cp->tasks, tasks, sizeof(sl_task *) * (size_t)n);
    free(cp->task_state);
    cp->task_state = sl_xcalloc((size_t)(n ? n : 1), 1);
    cp->ntasks = n;
    cp->last_trigger_ns = sl_mono_ns();
    pthread_mutex_unlock(&cp->m);
}

static void abort_pending(sl_checkpointer *cp, pending *p, const char *reason, bool benign);
static void reap(sl_checkpointer *cp);

void sl_cp_detach(sl_checkpointer *cp)
{
    pthread_mutex_lock(&cp->m);
    for (pending *p = cp->pend; p; p = p->next)
        if (!p->failed) abort_pending(cp, p, "the job attempt ended", true);
    /* wait for the uploads of aborted checkpoints: their files go away with them */
    while (cp->q_head || cp->worker_busy) pthread_cond_wait(&cp->idle, &cp->m);
    reap(cp);
    /* what is left (a task ended before its acknowledgement) goes before the operators close */
    for (pending *p = cp->pend; p; p = p->next) release_snaps(p);
    cp->ntasks = 0;
    pthread_mutex_unlock(&cp->m);
}

int64_t sl_cp_prepare_restart(sl_checkpointer *cp)
{
    pthread_mutex_lock(&cp->m);
    int64_t id = 0;
    if (cp->ndone) {
        completed *c = &cp->done[cp->ndone - 1];
        char meta[4200];
        snprintf(meta, sizeof meta, "%s/%s", cp->job_dir, c->rel);
        json_t *root = NULL;
        char mp[4300];
        snprintf(mp, sizeof mp, "%s/_metadata", meta);
        root = json_load_file(mp, 0, NULL);
        sl_cp_storage *st = NULL;
        sl_error e;
        if (root && sl_cp_storage_fs(meta, &st, &e) == SL_OK) {
            json_decref(cp->restore_meta);
            if (cp->restore_store) cp->restore_store->vt->destroy(cp->restore_store);
            free(cp->restore_desc);
            cp->restore_meta = root;
            cp->restore_store = st;
            cp->restore_desc = sl_xstrdup(meta);
            id = c->id;
        } else {
            json_decref(root);
        }
    } else if (cp->restore_meta) {
        id = json_integer_value(json_object_get(cp->restore_meta, "checkpoint_id"));
    }
    pthread_mutex_unlock(&cp->m);
    return id;
}

/* ---- triggering and completion (monitor thread) --------------------------------------------------- */

static pending *find_pending(sl_checkpointer *cp, int64_t id)
{
    for (pending *p = cp->pend; p; p = p->next)
        if (p->id == id) return p;
    return NULL;
}

static void record_savepoint(sl_checkpointer *cp, int64_t req, int status, const char *text)
{
    cp->sps = sl_xrealloc(cp->sps, sizeof(sp_result) * (size_t)(cp->nsps + 1));
    cp->sps[cp->nsps++] = (sp_result){req, status, sl_xstrdup(text)};
}

/* Marks p failed (under cp->m); its files go once its uploads are done (reap). */
static void abort_pending(sl_checkpointer *cp, pending *p, const char *reason, bool benign)
{
    if (p->failed) return;
    p->failed = true;
    atomic_store_explicit(&p->cancel, true, memory_order_release);
    p->benign = benign;
    snprintf(p->reason, sizeof p->reason, "%s", reason);
    if (p->savepoint) record_savepoint(cp, p->sp_req, -1, reason);
}

/* Frees failed checkpoints whose uploads are over (under cp->m). */
static void reap(sl_checkpointer *cp)
{
    for (pending **pp = &cp->pend; *pp;) {
        pending *p = *pp;
        if (!p->failed || p->in_flight) {
            pp = &p->next;
            continue;
        }
        *pp = p->next;
        reg_release(cp, &p->refs);
        if (!p->completed) { /* a failed checkpoint leaves nothing behind */
            if (p->savepoint) sl_fs_remove_tree(p->path);
            else if (p->store) p->store->vt->remove_dir(p->store, p->rel);
        }
        char local[4200];
        snprintf(local, sizeof local, "%s/chk-%" PRId64, cp->local_root, p->id);
        sl_fs_remove_tree(local);
        free_pending(p);
    }
}

/* The subtask that acknowledged p last, and where its part of p spent the time (the critical
 * path of the checkpoint's duration). */
static void log_last_subtask(sl_checkpointer *cp, const pending *p)
{
    int last = -1;
    for (int i = 0; i < p->ntasks && i < cp->ntasks; i++)
        if (last < 0 || p->phases[i].done > p->phases[last].done) last = i;
    if (last < 0) return;
    const cp_phases *ph = &p->phases[last];
    if (cp->task_state[last] == TASK_FINISHED && !ph->sync) return; /* acknowledged as finished */
    cp_log(cp,
           "Checkpoint %" PRId64 ": subtask %s acknowledged last, %.1f ms after the trigger: barrier (and alignment) %.1f ms, "
           "synchronous %.1f ms, in-flight data %.1f ms, waiting for the upload thread %.1f ms, asynchronous snapshot %.1f ms, upload %.1f ms.",
           p->id, sl_task_name(cp->tasks[last]), (double)ph->done / 1e6, (double)ph->start / 1e6, (double)ph->sync / 1e6,
           (double)ph->inflight / 1e6, (double)ph->wait / 1e6, (double)ph->snap / 1e6, (double)ph->upload / 1e6);
}

static sl_status complete(sl_checkpointer *cp, pending *p, sl_error *err)
{
    json_t *ops = json_object();
    size_t i;
    json_t *part;
    json_array_foreach(p->parts, i, part)
    {
        const char *opid = json_string_value(json_object_get(part, "id"));
        json_t *arr = json_object_get(ops, opid);
        if (!arr) json_object_set_new(ops, opid, arr = json_array());
        json_array_append(arr, part);
    }
    int maxp = cp->ntasks ? sl_task_max_parallelism(cp->tasks[0]) : 128;
    json_t *root = json_pack("{s:s, s:i, s:s, s:I, s:b, s:I, s:i, s:o}", "format", "sluice-checkpoint", "version", 1, "job_id", cp->job_id,
                             "checkpoint_id", (json_int_t)p->id, "savepoint", p->savepoint, "timestamp_ms", (json_int_t)sl_wall_ms(),
                             "max_parallelism", maxp, "operators", ops);
    char *text = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    char rel[256];
    snprintf(rel, sizeof rel, "%s/_metadata", p->rel);
    sl_status st = p->store->vt->put_atomic(p->store, rel, text, strlen(text), err);
    free(text);
    if (st) return st;
    /* complete: it is durable */
    double ms = (double)(sl_mono_ns() - p->t0_ns) / 1e6;
    if (cp->ndur == cp->capdur) {
        cp->capdur = cp->capdur ? cp->capdur * 2 : 64;
        cp->durations = sl_xrealloc(cp->durations, sizeof(double) * (size_t)cp->capdur);
    }
    cp->durations[cp->ndur++] = ms;
    int smax = 0; /* the task with the longest synchronous phase */
    for (int k = 1; k < p->ntasks && k < cp->ntasks; k++)
        if (p->phases[k].sync > p->phases[smax].sync) smax = k;
    uint64_t sync_ns_max = cp->ntasks ? p->phases[smax].sync : 0;
    if (cp->set.log_each)
        cp_log(cp, "Completed checkpoint %" PRId64 " of job %s (%" PRIu64 " bytes uploaded of %" PRIu64 " referenced, duration %.1f ms, synchronous phase max %.2f ms%s).",
               p->id, cp->job_id, p->bytes, p->full, ms, (double)sync_ns_max / 1e6, p->deferred ? ", unaligned" : "");
    if (cp->set.log_each && cp->ntasks)
        cp_log(cp, "Checkpoint %" PRId64 ": the longest synchronous phase, %.2f ms, was subtask %s's.", p->id, (double)sync_ns_max / 1e6,
               sl_task_name(cp->tasks[smax]));
    if (cp->set.log_each) log_last_subtask(cp, p);
    if (p->deferred) {
        cp->nunaligned++;
        cp->inflight_bytes += p->inflight_bytes;
    }
    cp->ncompleted++;
    cp->consecutive_failed = 0;
    if (sync_ns_max > cp->sync_ns_max) cp->sync_ns_max = sync_ns_max;
    cp->last_bytes = p->bytes;
    cp->last_full = p->full;
    cp->last_complete_ns = sl_mono_ns();
    if (p->savepoint) {
        record_savepoint(cp, p->sp_req, 1, p->path);
    } else {
        free(cp->last_path);
        cp->last_path = sl_xstrdup(p->path);
        cp->done = sl_xrealloc(cp->done, sizeof(completed) * (size_t)(cp->ndone + 1));
        completed *c = &cp->done[cp->ndone++];
        c->id = p->id;
        c->rel = sl_xstrdup(p->rel);
        c->refs = p->refs;
        memset(&p->refs, 0, sizeof p->refs);
        while (cp->ndone > cp->set.num_retained) { /* subsumed */
            completed *old = &cp->done[0];
            reg_release(cp, &old->refs);
            cp->store->vt->remove_dir(cp->store, old->rel);
            free(old->rel);
            memmove(cp->done, cp->done + 1, sizeof(completed) * (size_t)(cp->ndone - 1));
            cp->ndone--;
        }
    }
    for (int t = 0; t < cp->ntasks; t++) sl_task_notify_checkpoint(cp->tasks[t], p->id);
    return SL_OK;
}

/* Whether a checkpoint can be triggered: some task still runs and none ended without finishing
 * its input (a stopping job). Finished tasks take part as finished (checkpoints after tasks
 * finished, Flink's FLIP-147). */
static bool can_trigger(sl_checkpointer *cp)
{
    bool running = false;
    for (int i = 0; i < cp->ntasks; i++) {
        if (cp->task_state[i] == TASK_GONE) return false;
        running |= cp->task_state[i] == TASK_RUNNING;
    }
    return running;
}

static void ack_task(sl_checkpointer *cp, pending *p, int ti, json_t *parts);
static int task_index(sl_checkpointer *cp, const sl_task *t);

/* Task ti finished (its input ended) before checkpoint p reached it: it acknowledges p as
 * finished, a part without state per operator of its chain (under cp->m). */
static void ack_finished(sl_checkpointer *cp, pending *p, int ti)
{
    sl_task *t = cp->tasks[ti];
    int nops;
    sl_operator *const *ops = sl_task_chain(t, &nops);
    sl_key_group_range kr = sl_key_group_range_for(sl_task_max_parallelism(t), sl_task_parallelism(t), sl_task_subtask(t));
    json_t *parts = json_array();
    for (int i = 0; i < nops; i++) {
        const sl_operator *op = ops[i];
        if (!op->id) continue;
        json_array_append_new(parts, json_pack("{s:s, s:s, s:i, s:i, s:[i,i], s:b, s:n, s:b}", "id", op->id, "operator",
                                               op->description ? op->description : op->vt->name, "subtask", sl_task_subtask(t),
                                               "parallelism", sl_task_parallelism(t), "kg", kr.start, kr.end, "keyed", op->keyed, "state",
                                               "finished", 1));
    }
    p->in_flight++; /* as a snapshot's: the upload drops it */
    ack_task(cp, p, ti, parts);
}

void sl_cp_task_ended(sl_checkpointer *cp, sl_task *t, bool finished)
{
    pthread_mutex_lock(&cp->m);
    int ti = task_index(cp, t);
    if (ti >= 0) {
        cp->task_state[ti] = finished ? TASK_FINISHED : TASK_GONE;
        for (pending *p = cp->pend; p; p = p->next) {
            if (p->failed || p->has_acked[ti] || (p->deferred && p->deferred[ti])) continue;
            if (finished) {
                ack_finished(cp, p, ti);
            } else {
                char buf[600];
                snprintf(buf, sizeof buf, "subtask %.150s ended before the checkpoint reached it (the job is stopping)", sl_task_name(t));
                abort_pending(cp, p, buf, true);
            }
        }
    }
    pthread_mutex_unlock(&cp->m);
}

static void trigger(sl_checkpointer *cp, int64_t sp_req)
{
    bool savepoint = sp_req != 0;
    pending *p = sl_xcalloc(1, sizeof *p);
    atomic_init(&p->cancel, false);
    p->id = ++cp->last_id;
    p->savepoint = savepoint;
    p->sp_req = sp_req;
    p->terminal = savepoint && cp->savepoint_terminal;
    if (p->terminal) atomic_store(&cp->terminal_id, p->id);
    p->t0_ns = sl_mono_ns();
    p->ntasks = cp->ntasks;
    p->has_acked = sl_xcalloc((size_t)cp->ntasks, sizeof(bool));
    p->phases = sl_xcalloc((size_t)cp->ntasks, sizeof(cp_phases));
    p->parts = json_array();
    char buf[4200];
    if (savepoint) {
        uint8_t r[3];
        if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) memset(r, 0, sizeof r);
        snprintf(buf, sizeof buf, "%s/savepoint-%.6s-%02x%02x%02x", cp->set.savepoint_dir, cp->job_id, r[0], r[1], r[2]);
        p->path = sl_xstrdup(buf);
        sl_error e;
        if (sl_cp_storage_fs(p->path, &p->store, &e) != SL_OK) {
            p->store = NULL;
            abort_pending(cp, p, e.message, false);
        }
        p->rel = sl_xstrdup(".");
    } else {
        snprintf(buf, sizeof buf, "chk-%" PRId64, p->id);
        p->rel = sl_xstrdup(buf);
        snprintf(buf, sizeof buf, "%s/chk-%" PRId64, cp->job_dir, p->id);
        p->path = sl_xstrdup(buf);
        p->store = cp->store;
    }
    p->next = cp->pend;
    cp->pend = p;
    cp->last_trigger_ns = sl_mono_ns();
    if (p->failed) return;
    for (int i = 0; i < cp->ntasks; i++) {
        if (cp->task_state[i] == TASK_FINISHED) ack_finished(cp, p, i);
        else if (sl_task_is_source(cp->tasks[i])) sl_task_trigger_checkpoint(cp->tasks[i], p->id);
    }
}

sl_status sl_cp_tick(sl_checkpointer *cp, sl_error *err)
{
    sl_status st = SL_OK;
    pthread_mutex_lock(&cp->m);
    uint64_t now = sl_mono_ns();
    int inflight = 0;
    for (pending *p = cp->pend; p; p = p->next) {
        if (p->failed) continue;
        if (now - p->t0_ns > (uint64_t)cp->set.timeout_ms * 1000000u) {
            /* who held it up: a task that never acknowledged (alignment / synchronous phase) or
             * an upload still running (asynchronous phase) */
            char who[600] = "";
            for (int i = 0; i < p->ntasks && i < cp->ntasks; i++)
                if (!p->has_acked[i]) {
                    snprintf(who, sizeof who, "subtask %s had not acknowledged it (%s)", sl_task_name(cp->tasks[i]),
                             p->deferred && p->deferred[i] ? "collecting the in-flight data of its inputs (unaligned)"
                                                          : "barrier alignment or synchronous phase");
                    break;
                }
            if (!*who) snprintf(who, sizeof who, "the upload of its files was not finished (asynchronous phase)");
            char reason[900];
            snprintf(reason, sizeof reason, "Checkpoint expired before completing (execution.checkpointing.timeout %" PRId64 " ms): %s",
                     cp->set.timeout_ms, who);
            abort_pending(cp, p, reason, false);
            continue;
        }
        if (p->acked == p->ntasks && p->uploaded == p->ntasks && !p->in_flight) {
            sl_error e;
            sl_error_clear(&e);
            if (complete(cp, p, &e) != SL_OK) {
                char reason[900];
                snprintf(reason, sizeof reason, "writing its _metadata failed: %.700s", e.message);
                abort_pending(cp, p, reason, false);
            } else {
                p->failed = true; /* done: reap frees it (its refs moved to the completed list) */
                p->completed = true;
                p->benign = true;
                p->done_notified = true;
            }
            continue;
        }
        inflight++;
    }
    /* report failures, then free what is over */
    for (pending *p = cp->pend; p; p = p->next) {
        if (!p->failed || p->done_notified) continue;
        p->done_notified = true;
        if (p->benign) {
            if (strcmp(p->reason, "the job attempt ended") != 0)
                cp_log(cp, "Checkpoint %" PRId64 " of job %s was aborted: %s", p->id, cp->job_id, p->reason);
            continue;
        }
        cp->nfailed++;
        cp->consecutive_failed++;
        cp_log(cp, "Checkpoint %" PRId64 " of job %s failed: %s (%d consecutive failures, tolerated: %d)", p->id, cp->job_id, p->reason,
               cp->consecutive_failed, cp->set.tolerable_failed);
        if (cp->consecutive_failed > cp->set.tolerable_failed && !p->savepoint && !st) {
            sl_error_set(err, SL_ERR_STATE, "Exceeded checkpoint tolerable failure threshold. The latest checkpoint failed due to: %s",
                         p->reason);
            sl_error_hint(err, "raise 'execution.checkpointing.tolerable-failed-checkpoints' to ride out transient storage problems, "
                               "and fix the cause above");
            st = SL_ERR_STATE;
        }
    }
    /* an aborted checkpoint whose uploads are over is gone, its files too */
    reap(cp);
    /* trigger */
    bool can = inflight < cp->set.max_concurrent && can_trigger(cp) && (cp->store || cp->savepoint_req);
    if (can && cp->savepoint_req && inflight == 0) {
        int64_t req = cp->savepoint_req;
        cp->savepoint_req = 0;
        trigger(cp, req);
    } else if (can && cp->set.interval_ms > 0 && now - cp->last_trigger_ns >= (uint64_t)cp->set.interval_ms * 1000000u &&
               (cp->last_complete_ns == 0 || now - cp->last_complete_ns >= (uint64_t)cp->set.min_pause_ms * 1000000u)) {
        trigger(cp, 0);
    }
    pthread_mutex_unlock(&cp->m);
    return st;
}

int64_t sl_cp_request_savepoint(sl_checkpointer *cp, bool terminal)
{
    pthread_mutex_lock(&cp->m);
    int64_t req = -1;
    if (cp->set.savepoint_dir) {
        req = ++cp->savepoint_reqs;
        cp->savepoint_req = req;
        cp->savepoint_terminal = terminal;
    }
    pthread_mutex_unlock(&cp->m);
    return req;
}

int sl_cp_savepoint_status(sl_checkpointer *cp, int64_t req, const char **path)
{
    int st = 0;
    pthread_mutex_lock(&cp->m);
    for (int i = 0; i < cp->nsps; i++)
        if (cp->sps[i].req == req) {
            st = cp->sps[i].status;
            *path = cp->sps[i].text;
        }
    pthread_mutex_unlock(&cp->m);
    return st;
}

/* ---- task side ------------------------------------------------------------------------------------ */

bool sl_cp_exactly_once(const sl_checkpointer *cp) { return cp->set.exactly_once; }

bool sl_cp_unaligned(sl_checkpointer *cp, int64_t id, int64_t *timeout_ms)
{
    *timeout_ms = cp->set.aligned_timeout_ms;
    if (!cp->set.unaligned || !cp->set.exactly_once) return false;
    pthread_mutex_lock(&cp->m);
    pending *p = find_pending(cp, id);
    bool ua = p && !p->savepoint;
    pthread_mutex_unlock(&cp->m);
    return ua;
}

/* Hands task ti's parts of checkpoint p to the upload thread and counts its acknowledgement
 * (under cp->m). */
static void ack_task(sl_checkpointer *cp, pending *p, int ti, json_t *parts)
{
    if (!p->has_acked[ti]) {
        p->has_acked[ti] = true;
        p->acked++;
    }
    upload *u = sl_xcalloc(1, sizeof *u);
    u->id = p->id;
    u->task = ti;
    u->queued_ns = sl_mono_ns();
    u->ops = parts;
    if (cp->q_tail) cp->q_tail->next = u;
    else cp->q_head = u;
    cp->q_tail = u;
    pthread_cond_signal(&cp->work);
}

bool sl_cp_is_terminal(sl_checkpointer *cp, int64_t id) { return id > 0 && atomic_load(&cp->terminal_id) == id; }

static int task_index(sl_checkpointer *cp, const sl_task *t)
{
    for (int i = 0; i < cp->ntasks; i++)
        if (cp->tasks[i] == t) return i;
    return -1;
}

void sl_cp_decline(sl_checkpointer *cp, sl_task *t, int64_t id, const char *reason)
{
    pthread_mutex_lock(&cp->m);
    pending *p = find_pending(cp, id);
    if (p && !p->failed) {
        char buf[900];
        snprintf(buf, sizeof buf, "subtask %s declined it: %s", sl_task_name(t), reason);
        abort_pending(cp, p, buf, false);
    }
    pthread_mutex_unlock(&cp->m);
}

sl_status sl_cp_snapshot_task(sl_checkpointer *cp, sl_task *t, int64_t id, bool *declined, char *inflight_dir, size_t n, sl_error *err)
{
    (void)err;
    *declined = false;
    uint64_t t0 = sl_mono_ns();
    pthread_mutex_lock(&cp->m);
    pending *p = find_pending(cp, id);
    int ti = task_index(cp, t);
    bool live = p && !p->failed && ti >= 0;
    bool savepoint = p && p->savepoint;
    if (live) p->in_flight++; /* keeps it until this task's upload is over */
    pthread_mutex_unlock(&cp->m);
    if (!live) {
        *declined = true; /* aborted already: forward the cancellation */
        return SL_OK;
    }
    int nops;
    sl_operator *const *ops = sl_task_chain(t, &nops);
    json_t *parts = json_array();
    char dir[4200];
    sl_key_group_range kr = sl_key_group_range_for(sl_task_max_parallelism(t), sl_task_parallelism(t), sl_task_subtask(t));
    sl_error e;
    sl_error_clear(&e);
    sl_status st = SL_OK;
    deferred_list dl = {0}; /* the operators' asynchronous parts */
    for (int i = 0; i < nops && !st; i++) {
        sl_operator *op = ops[i];
        if (!op->vt->snapshot) continue;
        snprintf(dir, sizeof dir, "%s/chk-%" PRId64 "/%d/%d-%s", cp->local_root, id, ti, i, op->id ? op->id : "op");
        if (sl_fs_mkdirs(dir) != 0) {
            st = sl_error_set(&e, SL_ERR_IO, "cannot create the local snapshot directory '%s': %s", dir, strerror(errno));
            break;
        }
        sl_snapshot_ctx ctx = {.checkpoint_id = id, .savepoint = savepoint, .dir = dir, .defer = defer_add, .defer_arg = &dl,
                               .cancelled = &p->cancel};
        json_t *state = NULL;
        if ((st = op->vt->snapshot(op, &ctx, &state, &e))) break;
        char rel[600];
        snprintf(rel, sizeof rel, "%d/%d-%s", ti, i, op->id ? op->id : "op");
        json_array_append_new(parts, json_pack("{s:s, s:s, s:i, s:i, s:[i,i], s:b, s:o, s:s, s:s}", "id", op->id ? op->id : "", "operator",
                                               op->description ? op->description : op->vt->name, "subtask", sl_task_subtask(t),
                                               "parallelism", sl_task_parallelism(t), "kg", kr.start, kr.end, "keyed", op->keyed,
                                               "state", state ? state : json_null(), "local", dir, "rel", rel));
    }
    if (!st && inflight_dir && nops) {
        /* the in-flight data of the head operator's inputs: a part named <head id>@in */
        const sl_operator *h = ops[0];
        const char *hid = h->id ? h->id : "op";
        snprintf(inflight_dir, n, "%s/chk-%" PRId64 "/%d/in-%s", cp->local_root, id, ti, hid);
        if (sl_fs_mkdirs(inflight_dir) != 0) {
            st = sl_error_set(&e, SL_ERR_IO, "cannot create the local snapshot directory '%s': %s", inflight_dir, strerror(errno));
        } else {
            char pid[300], rel[600], desc[600];
            snprintf(pid, sizeof pid, "%s@in", hid);
            snprintf(rel, sizeof rel, "%d/in-%s", ti, hid);
            snprintf(desc, sizeof desc, "in-flight data of %s", h->description ? h->description : h->vt->name);
            json_array_append_new(parts, json_pack("{s:s, s:s, s:i, s:i, s:[i,i], s:b, s:n, s:s, s:s}", "id", pid, "operator", desc, "subtask",
                                                   sl_task_subtask(t), "parallelism", sl_task_parallelism(t), "kg", kr.start, kr.end, "keyed",
                                                   false, "state", "local", inflight_dir, "rel", rel));
        }
    }
    uint64_t sync_ns = sl_mono_ns() - t0;
    pthread_mutex_lock(&cp->m);
    p = find_pending(cp, id); /* still there: in_flight keeps it */
    if (st) {
        char buf[900];
        snprintf(buf, sizeof buf, "subtask %.150s failed in the synchronous phase: %.600s", sl_task_name(t), e.message);
        abort_pending(cp, p, buf, false);
        p->in_flight--;
        json_decref(parts);
        *declined = true;
    } else {
        if (dl.n) { /* for this task's upload (ack_task, now or after the in-flight data) */
            if (!p->snaps) p->snaps = sl_xcalloc((size_t)p->ntasks, sizeof *p->snaps);
            deferred_release(&p->snaps[ti]);
            p->snaps[ti] = dl;
            memset(&dl, 0, sizeof dl);
        }
        p->phases[ti].start = t0 > p->t0_ns ? t0 - p->t0_ns : 0;
        p->phases[ti].sync = sync_ns;
        if (inflight_dir) { /* the acknowledgement waits for the in-flight data */
            if (!p->deferred) p->deferred = sl_xcalloc((size_t)p->ntasks, sizeof(json_t *));
            json_decref(p->deferred[ti]);
            p->deferred[ti] = parts;
        } else {
            ack_task(cp, p, ti, parts);
        }
    }
    pthread_mutex_unlock(&cp->m);
    deferred_release(&dl); /* the synchronous phase failed: nothing of it runs */
    return SL_OK;
}

void sl_cp_inflight_done(sl_checkpointer *cp, sl_task *t, int64_t id, uint64_t bytes, const char *failure)
{
    pthread_mutex_lock(&cp->m);
    pending *p = find_pending(cp, id); /* still there: in_flight keeps it */
    int ti = task_index(cp, t);
    json_t *parts = p && p->deferred && ti >= 0 ? p->deferred[ti] : NULL;
    if (parts) {
        p->deferred[ti] = NULL;
        if (failure && !p->failed) {
            char buf[900];
            snprintf(buf, sizeof buf, "subtask %.150s failed to keep the in-flight data of its inputs: %.600s", sl_task_name(t), failure);
            abort_pending(cp, p, buf, false);
        }
        if (p->failed) { /* nothing to upload: drop the local files */
            size_t i;
            json_t *part;
            json_array_foreach(parts, i, part) sl_fs_remove_tree(json_string_value(json_object_get(part, "local")));
            json_decref(parts);
            p->in_flight--;
        } else {
            cp_phases *ph = &p->phases[ti];
            uint64_t since = p->t0_ns + ph->start + ph->sync, now = sl_mono_ns();
            ph->inflight = now > since ? now - since : 0;
            p->inflight_bytes += bytes;
            ack_task(cp, p, ti, parts);
        }
    }
    pthread_mutex_unlock(&cp->m);
}

/* ---- the upload thread ---------------------------------------------------------------------------- */

/* Files that never change once written, in a directory with SLUICE_INSTANCE: RocksDB's SST files
 * and the join's changelog segments (runtime/changelog.h). */
static bool immutable_file(const char *path)
{
    size_t n = strlen(path);
    return n > 4 && (strcmp(path + n - 4, ".sst") == 0 || strcmp(path + n - 4, SL_CHG_SUFFIX) == 0 ||
                     strcmp(path + n - 4, SL_STATE_WLOG_SUFFIX) == 0);
}

typedef struct upload_ctx {
    sl_checkpointer *cp;
    upload *u;
    pending *p; /* read-only fields: store, rel, savepoint */
    json_t *files;
    const char *part_dir; /* e.g. "0/2-<opid>": under the checkpoint's directory */
} upload_ctx;

static sl_status upload_file(void *vctx, const char *abs, const char *rel, const char *instance, sl_error *err)
{
    upload_ctx *x = vctx;
    sl_checkpointer *cp = x->cp;
    char dst[17300], ref[8600];
    bool shareable = *instance && immutable_file(rel) && !x->p->savepoint && cp->set.incremental;
    if (shareable) {
        const char *base = strrchr(rel, '/');
        base = base ? base + 1 : rel;
        char name[4400];
        snprintf(name, sizeof name, "%s-%s", instance, base);
        snprintf(ref, sizeof ref, "../shared/%s", name);
        pthread_mutex_lock(&cp->m);
        shared_file *f = reg_find(cp, name);
        bool have = f != NULL;
        if (have) {
            x->u->full += f->bytes;
            reg_add(cp, name, 0);
        }
        pthread_mutex_unlock(&cp->m);
        if (!have) {
            snprintf(dst, sizeof dst, "shared/%s", name);
            uint64_t n = 0;
            sl_status st = x->p->store->vt->put_file(x->p->store, abs, dst, &n, err);
            if (st) return st;
            x->u->bytes += n;
            x->u->full += n;
            pthread_mutex_lock(&cp->m);
            reg_add(cp, name, n);
            pthread_mutex_unlock(&cp->m);
        }
        strlist_add(&x->u->refs, name);
    } else {
        snprintf(ref, sizeof ref, "%s/%s", x->part_dir, rel);
        snprintf(dst, sizeof dst, "%s/%s", x->p->rel, ref);
        uint64_t n = 0;
        sl_status st = x->p->store->vt->put_file(x->p->store, abs, dst, &n, err);
        if (st) return st;
        x->u->bytes += n;
        x->u->full += n;
    }
    json_array_append_new(x->files, json_pack("{s:s, s:s}", "path", rel, "ref", ref));
    return SL_OK;
}

static void do_upload(sl_checkpointer *cp, upload *u)
{
    uint64_t t_start = sl_mono_ns();
    pthread_mutex_lock(&cp->m);
    pending *p = find_pending(cp, u->id);
    bool skip = !p || p->failed;
    deferred_list dl = {0};
    if (p && p->snaps) {
        dl = p->snaps[u->task];
        memset(&p->snaps[u->task], 0, sizeof dl);
    }
    pthread_mutex_unlock(&cp->m);
    size_t i;
    json_t *part;
    sl_error e;
    sl_error_clear(&e);
    sl_status st = SL_OK;
    /* the asynchronous part of the operators' snapshots (e.g. writing a hashmap state view), before
     * their directories are walked; released once the files are uploaded (or instead of running) */
    bool async_failed = false;
    for (size_t k = 0; k < dl.n && !skip && !st; k++) async_failed = (st = dl.v[k].fn(dl.v[k].arg, &e)) != SL_OK;
    uint64_t t_snap = sl_mono_ns();
    json_array_foreach(u->ops, i, part)
    {
        const char *local = json_string_value(json_object_get(part, "local"));
        if (!local) continue; /* a finished subtask's part: nothing to upload */
        if (!skip && !st) {
            upload_ctx x = {cp, u, p, json_array(), json_string_value(json_object_get(part, "rel"))};
            st = walk(local, "", upload_file, &x, &e);
            json_object_set_new(part, "files", x.files);
        }
        sl_fs_remove_tree(local);
        json_object_del(part, "local");
        json_object_del(part, "rel");
    }
    deferred_release(&dl);
    uint64_t t_end = sl_mono_ns();
    pthread_mutex_lock(&cp->m);
    if (p) {
        cp_phases *ph = &p->phases[u->task];
        ph->wait = t_start > u->queued_ns ? t_start - u->queued_ns : 0;
        ph->snap = t_snap - t_start;
        ph->upload = t_end - t_snap;
        ph->done = t_end - p->t0_ns;
        if (st) {
            char buf[900];
            const char *who = u->task < cp->ntasks ? sl_task_name(cp->tasks[u->task]) : "?";
            if (async_failed)
                snprintf(buf, sizeof buf, "subtask %.150s failed in the asynchronous phase (writing its state snapshot): %.600s", who, e.message);
            else
                snprintf(buf, sizeof buf, "uploading the files of subtask %.150s failed (asynchronous phase): %.600s", who, e.message);
            abort_pending(cp, p, buf, false);
        }
        for (int k = 0; k < u->refs.n; k++) strlist_add(&p->refs, u->refs.v[k]);
        if (!p->failed) {
            json_array_extend(p->parts, u->ops);
            p->uploaded++;
            p->bytes += u->bytes;
            p->full += u->full;
        }
        p->in_flight--;
    } else {
        /* its checkpoint is gone: drop the references this upload took */
        reg_release(cp, &u->refs);
    }
    pthread_mutex_unlock(&cp->m);
    strlist_free(&u->refs);
    json_decref(u->ops);
    free(u);
}

static void *worker_main(void *arg)
{
    sl_checkpointer *cp = arg;
    pthread_mutex_lock(&cp->m);
    for (;;) {
        while (!cp->q_head && !cp->quit) {
            pthread_cond_broadcast(&cp->idle);
            pthread_cond_wait(&cp->work, &cp->m);
        }
        if (!cp->q_head && cp->quit) break;
        upload *u = cp->q_head;
        cp->q_head = u->next;
        if (!cp->q_head) cp->q_tail = NULL;
        cp->worker_busy = true;
        pthread_mutex_unlock(&cp->m);
        do_upload(cp, u);
        pthread_mutex_lock(&cp->m);
        cp->worker_busy = false;
    }
    pthread_cond_broadcast(&cp->idle);
    pthread_mutex_unlock(&cp->m);
    return NULL;
}

/* ---- restore (task threads; restore_meta is read-only while tasks run) ---------------------------- */

typedef struct restore_dl {
    sl_checkpointer *cp;
    const char *local;
} restore_dl;

/* Copies the files a part lists into the local directory d (hard links for immutable state files). */
static sl_status fetch_part_files(sl_checkpointer *cp, const json_t *files, const char *d, const char *opid, const sl_task *t, sl_error *err)
{
    size_t f;
    const json_t *fj;
    json_array_foreach(files, f, fj)
    {
        const char *path = json_string_value(json_object_get(fj, "path"));
        const char *ref = json_string_value(json_object_get(fj, "ref"));
        if (!path || !ref || strstr(path, "..")) {
            return sl_error_set(err, SL_ERR_STATE, "Cannot restore from '%s': its _metadata lists a malformed file of operator %s",
                                cp->restore_desc, opid);
        }
        char local[8400];
        snprintf(local, sizeof local, "%s/%s", d, path);
        /* immutable state files may be hard links; anything a store may append to is a copy */
        int link_ok = immutable_file(path);
        sl_status st = cp->restore_store->vt->get_file(cp->restore_store, ref, local, link_ok, err);
        if (st) {
            sl_error_detail(err, "while restoring operator %s of subtask %s from '%s'", opid, sl_task_name(t), cp->restore_desc);
            return st;
        }
    }
    return SL_OK;
}

/* The in-flight data file: entries of (u32 input, u32 length, the row). */
sl_status sl_cp_restore_inflight(sl_checkpointer *cp, sl_task *t, sl_cp_inflight_fn fn, void *ctx, sl_error *err)
{
    int nops;
    sl_operator *const *ops = sl_task_chain(t, &nops);
    if (!cp->restore_meta || !nops || !ops[0]->id) return SL_OK;
    char key[300];
    snprintf(key, sizeof key, "%s@in", ops[0]->id);
    const json_t *arr = json_object_get(json_object_get(cp->restore_meta, "operators"), key);
    size_t k;
    const json_t *pj;
    sl_status st = SL_OK;
    uint8_t *row = NULL;
    size_t cap = 0;
    uint64_t records = 0;
    json_array_foreach(arr, k, pj)
    {
        if (st) break;
        const json_t *files = json_object_get(pj, "files");
        if (!json_array_size(files)) continue;
        int old_sub = (int)json_integer_value(json_object_get(pj, "subtask"));
        int old_par = (int)json_integer_value(json_object_get(pj, "parallelism"));
        /* at the same parallelism a subtask's in-flight data is its own: no other part is fetched */
        if (old_par == sl_task_parallelism(t) && old_sub != sl_task_subtask(t)) continue;
        char d[4200], path[4400];
        snprintf(d, sizeof d, "%s/restore-%s-%d/%d", cp->local_root, key, sl_task_subtask(t), old_sub);
        if ((st = fetch_part_files(cp, files, d, key, t, err))) break;
        snprintf(path, sizeof path, "%s/inflight", d);
        FILE *f = fopen(path, "rb");
        if (!f) {
            st = sl_error_set(err, SL_ERR_STATE, "Cannot restore from '%s': the in-flight data of operator %s (subtask %d) is missing: %s",
                              cp->restore_desc, ops[0]->id, old_sub, strerror(errno));
            break;
        }
        uint32_t h[2];
        while (!st && fread(h, sizeof h, 1, f) == 1) {
            if (h[1] > cap) {
                cap = h[1];
                row = sl_xrealloc(row, cap);
            }
            if (h[1] && fread(row, h[1], 1, f) != 1) {
                st = sl_error_set(err, SL_ERR_STATE, "Cannot restore from '%s': the in-flight data of operator %s (subtask %d) is truncated",
                                  cp->restore_desc, ops[0]->id, old_sub);
                break;
            }
            bool taken = false;
            st = fn(ctx, old_sub, old_par, (int)h[0], row, h[1], &taken, err);
            records += taken;
        }
        fclose(f);
        char top[4200];
        snprintf(top, sizeof top, "%s/restore-%s-%d", cp->local_root, key, sl_task_subtask(t));
        sl_fs_remove_tree(top);
    }
    free(row);
    if (!st && records && cp->set.log_each)
        cp_log(cp, "Replayed %" PRIu64 " in-flight records into subtask %s.", records, sl_task_name(t));
    return st;
}

/* Whether operator op's subtask `subtask` (of `parallelism`) had finished in the checkpoint being
 * restored: 1 yes, 0 no (or the operator is not in it), -1 it cannot be told (an error in err). */
static int op_finished(sl_checkpointer *cp, const sl_operator *op, int subtask, int parallelism, sl_error *err)
{
    const json_t *arr = json_object_get(json_object_get(cp->restore_meta, "operators"), op->id);
    int old_par, nfin, mine;
    finished_parts(arr, subtask, &old_par, &nfin, &mine);
    if (!nfin) return 0;
    if (nfin >= old_par) return 1; /* fully finished: every new subtask is finished too */
    if (old_par == parallelism) return mine;
    partly_finished_error(cp, op->id, arr, nfin, old_par, parallelism, err); /* (sl_cp_check_restore refuses it first) */
    return -1;
}

int sl_cp_restored_finished(sl_checkpointer *cp, sl_task *t, sl_error *err)
{
    if (!cp->restore_meta) return 0;
    int nops, any = 0;
    sl_operator *const *ops = sl_task_chain(t, &nops);
    for (int i = 0; i < nops; i++) {
        if (!ops[i]->id || !json_object_get(json_object_get(cp->restore_meta, "operators"), ops[i]->id)) continue;
        int f = op_finished(cp, ops[i], sl_task_subtask(t), sl_task_parallelism(t), err);
        if (f <= 0) return f; /* one operator of the chain still ran: the task runs */
        any = 1;
    }
    if (any && cp->set.log_each)
        cp_log(cp, "Subtask %s had finished when checkpoint %" PRId64 " was taken: it stays finished.", sl_task_name(t),
               (int64_t)json_integer_value(json_object_get(cp->restore_meta, "checkpoint_id")));
    return any;
}

sl_status sl_cp_restore_task(sl_checkpointer *cp, sl_task *t, sl_error *err)
{
    if (!cp->restore_meta) return SL_OK;
    const json_t *opsj = json_object_get(cp->restore_meta, "operators");
    int64_t cid = json_integer_value(json_object_get(cp->restore_meta, "checkpoint_id"));
    int nops;
    sl_operator *const *ops = sl_task_chain(t, &nops);
    sl_key_group_range kr = sl_key_group_range_for(sl_task_max_parallelism(t), sl_task_parallelism(t), sl_task_subtask(t));
    sl_status st = SL_OK;
    for (int i = 0; i < nops && !st; i++) {
        sl_operator *op = ops[i];
        if (!op->vt->restore || !op->id) continue;
        const json_t *arr = json_object_get(opsj, op->id);
        if (!arr) continue;
        uint64_t t0 = sl_mono_ns();
        size_t n = json_array_size(arr);
        sl_restore_part *parts = sl_xcalloc(n ? n : 1, sizeof *parts);
        char **dirs = sl_xcalloc(n ? n : 1, sizeof(char *));
        int np = 0;
        for (size_t k = 0; k < n && !st; k++) {
            const json_t *pj = json_array_get(arr, k);
            const json_t *kg = json_object_get(pj, "kg");
            int lo = (int)json_integer_value(json_array_get(kg, 0)), hi = (int)json_integer_value(json_array_get(kg, 1));
            if (op->keyed && (hi < kr.start || lo > kr.end)) continue;
            if (json_is_true(json_object_get(pj, "finished"))) continue; /* a finished subtask left no state */
            sl_restore_part *rp = &parts[np];
            rp->subtask = (int)json_integer_value(json_object_get(pj, "subtask"));
            rp->parallelism = (int)json_integer_value(json_object_get(pj, "parallelism"));
            rp->kg_lo = lo;
            rp->kg_hi = hi;
            const json_t *s = json_object_get(pj, "state");
            rp->state = s && !json_is_null(s) ? s : NULL;
            const json_t *files = json_object_get(pj, "files");
            if (json_array_size(files)) {
                char d[4200];
                snprintf(d, sizeof d, "%s/restore-%s-%d/%d", cp->local_root, op->id, sl_task_subtask(t), rp->subtask);
                dirs[np] = sl_xstrdup(d);
                rp->dir = dirs[np];
                st = fetch_part_files(cp, files, d, op->id, t, err);
            }
            np++;
        }
        if (!st) {
            sl_restore_ctx ctx = {.checkpoint_id = cid, .kg_lo = kr.start, .kg_hi = kr.end, .nparts = np, .parts = parts};
            st = op->vt->restore(op, &ctx, err);
            if (st) sl_error_detail(err, "while restoring operator %s from '%s'", op->description ? op->description : op->id, cp->restore_desc);
            else if (cp->set.log_each)
                cp_log(cp, "Restored %s in subtask %s from %d part%s of checkpoint %" PRId64 " in %.1f ms.", op->vt->name, sl_task_name(t), np,
                       np == 1 ? "" : "s", cid, (double)(sl_mono_ns() - t0) / 1e6);
        }
        for (int k = 0; k < np; k++) {
            if (dirs[k]) {
                char d[4200];
                snprintf(d, sizeof d, "%s/restore-%s-%d", cp->local_root, op->id, sl_task_subtask(t));
                sl_fs_remove_tree(d);
            }
            free(dirs[k]);
        }
        free(dirs);
        free(parts);
    }
    return st;
}
