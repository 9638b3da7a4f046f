/* runtime/task.c — see task.h. */
#include "runtime/task.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/hash.h"
#include "common/mem.h"
#include "runtime/checkpoint.h"

/* In-band entries of a channel. EV_BARRIER / EV_CANCEL carry a checkpoint id: barrier n
 * separates the records before checkpoint n from those after; a cancellation marker stands
 * for a barrier of a checkpoint that failed upstream (alignment ends, nothing is snapshotted).
 * EV_BARRIER_UA: the barrier of an unaligned checkpoint. It travels alone in a buffer that the
 * producer put at the head of the channel's queue, overtaking the `ua_k` buffers queued behind
 * it: those hold records from before the barrier, which the consumer keeps as in-flight data of
 * the checkpoint (and processes as usual). */
enum { EV_RECORD = 0, EV_WATERMARK = 1, EV_END = 2, EV_IDLE = 3, EV_BARRIER = 4, EV_CANCEL = 5, EV_BARRIER_UA = 6 };

#define WM_MIN INT64_MIN
#define WM_MAX INT64_MAX

typedef struct sl_buffer sl_buffer;
struct sl_buffer {
    uint8_t *data;
    uint32_t len, cap;
    bool oversize;
    bool ua_barrier; /* holds only an EV_BARRIER_UA that overtook the next ua_k buffers */
    int ua_k;
    int64_t ua_id;
    sl_buffer *next;
};

/* The consumer side's lock and wake-up: all input channels of a task share it. */
typedef struct gate {
    pthread_mutex_t m;
    pthread_cond_t nonempty;
    bool waiting;
} gate;

struct sl_channel {
    sl_task *producer, *consumer;
    int input; /* input of the consumer's head operator */
    int credits;
    pthread_cond_t space; /* with consumer->gate.m */
    /* under consumer->gate.m */
    sl_buffer *q_head, *q_tail;
    int queued;
    sl_buffer *free_list;
    bool producer_waiting;
    /* producer thread only */
    sl_buffer *cur;
    /* consumer thread only */
    uint64_t taken;  /* records consumed from this channel (input selection) */
    int64_t wm;
    bool ended;
    bool idle; /* the producer said it is idle: its watermark does not hold the minimum back */
    /* checkpoint alignment */
    int64_t barrier;  /* the last barrier (or cancellation) id that arrived here */
    bool blocked;     /* delivered the barrier of the checkpoint being aligned: held back */
    sl_buffer *held;  /* a buffer whose entries after a barrier wait for the alignment */
    uint32_t held_off;
    /* unaligned checkpoints. ua_pending (consumer thread; under gate.m, since producers read it
     * to place a later overtaking barrier behind them): queued buffers still to come that an
     * unaligned barrier of checkpoint ua_pending_id overtook. recording: the records processed
     * from here until this channel's barrier belong to the checkpoint being collected. */
    int ua_pending;
    int64_t ua_pending_id;
    bool recording;
};

typedef struct output {
    sl_partitioning part;
    int *keys;
    sl_phys *key_phys;
    int nkeys;
    int nch;
    sl_channel **ch;
    int rr; /* REBALANCE position */
    int64_t last_wm;
} output;

struct sl_task {
    sl_job_context *job;
    char *name;
    int vertex_id, subtask, parallelism, max_parallelism;
    sl_operator **ops;
    int nops;
    gate g;
    int nin;
    sl_channel **in;
    int rr_in;
    int64_t in_wm; /* combined input watermark */
    bool out_idle; /* this task told its consumers it is idle */
    /* processing-time timers: a binary min-heap on the wall-clock time (ms) */
    struct ptimer {
        int64_t when_ms;
        sl_operator *op;
    } *timers;
    int ntimers, captimers;
    int nout;
    output *out;
    uint64_t flush_deadline_ns; /* 0: nothing waiting */
    /* checkpoints: the coordinator sets these two and wakes the task */
    _Atomic int64_t cp_trigger;  /* sources: the latest checkpoint to take */
    _Atomic int64_t cp_complete; /* the latest completed checkpoint */
    int64_t cp_cur;              /* the checkpoint being aligned / last taken */
    int64_t cp_notified;         /* the last completed checkpoint the operators heard of */
    int64_t cp_terminal;         /* a stop-with-savepoint this task took part in: it ends after it */
    bool cp_aligning, cp_cancel;
    uint64_t align_start_ns;     /* when the alignment of cp_cur began */
    int64_t align_timeout_ms;    /* > 0: the alignment turns unaligned after this long */
    /* unaligned checkpoint cp_cur: operators snapshotted, the inputs' in-flight records go to a file */
    bool cp_collecting;
    FILE *inflight;
    uint64_t inflight_bytes;
    char inflight_dir[4400];
    pthread_t thread;
    bool started;
    atomic_bool finished;
    /* figures: plain counters on the task thread, published to the atomics now and then */
    sl_task_metrics m;
    _Atomic uint64_t pub_in, pub_out, pub_bytes_in, pub_bytes_out, pub_dropped, pub_busy, pub_idle, pub_bp;
    _Atomic int64_t pub_wm;
    _Atomic uint64_t pub_source_records, pub_sink_records, pub_buffers_allocated;
    uint64_t start_ns;
};


/* ---- job context ---------------------------------------------------------------------------- */

void sl_job_context_init(sl_job_context *job)
{
    memset(job, 0, sizeof *job);
    job->buffer_timeout_ms = 100;
    job->watermark_interval_ms = 200;
    job->segment_size = 32768;
    job->credits_per_channel = 4;
    job->out = stdout;
    job->err_out = stderr;
    pthread_mutex_init(&job->out_lock, NULL);
    pthread_mutex_init(&job->fail_lock, NULL);
    atomic_init(&job->stop, false);
    atomic_init(&job->cancel, false);
    atomic_init(&job->stopping, false);
}

void sl_job_context_destroy(sl_job_context *job)
{
    pthread_mutex_destroy(&job->out_lock);
    pthread_mutex_destroy(&job->fail_lock);
}

void sl_job_fail(sl_job_context *job, const char *task_name, const sl_error *err)
{
    pthread_mutex_lock(&job->fail_lock);
    if (!job->failed) {
        job->failed = true;
        job->failure = *err;
        snprintf(job->failed_task, sizeof job->failed_task, "%s", task_name);
    }
    pthread_mutex_unlock(&job->fail_lock);
    atomic_store(&job->cancel, true);
}

/* ---- tasks ---------------------------------------------------------------------------------- */

sl_task *sl_task_create(sl_job_context *job, const char *vertex_name, int vertex_id, int subtask, int parallelism,
                        int max_parallelism)
{
    sl_task *t = sl_xcalloc(1, sizeof *t);
    t->job = job;
    char buf[1024];
    snprintf(buf, sizeof buf, "%s (%d/%d)", vertex_name, subtask + 1, parallelism);
    t->name = sl_xstrdup(buf);
    t->vertex_id = vertex_id;
    t->subtask = subtask;
    t->parallelism = parallelism;
    t->max_parallelism = max_parallelism;
    pthread_mutex_init(&t->g.m, NULL);
    pthread_cond_init(&t->g.nonempty, NULL);
    t->in_wm = WM_MIN;
    atomic_init(&t->finished, false);
    atomic_init(&t->pub_wm, WM_MIN);
    atomic_init(&t->cp_trigger, 0);
    atomic_init(&t->cp_complete, 0);
    return t;
}

static void free_buffers(sl_buffer *b)
{
    while (b) {
        sl_buffer *n = b->next;
        free(b->data);
        free(b);
        b = n;
    }
}

void sl_task_destroy(sl_task *t)
{
    if (!t) return;
    for (int i = 0; i < t->nops; i++) {
        if (t->ops[i]->vt->close) t->ops[i]->vt->close(t->ops[i]);
        free(t->ops[i]);
    }
    free(t->ops);
    for (int i = 0; i < t->nin; i++) {
        sl_channel *c = t->in[i];
        free_buffers(c->q_head);
        free_buffers(c->free_list);
        free_buffers(c->cur);
        free_buffers(c->held);
        pthread_cond_destroy(&c->space);
        free(c);
    }
    free(t->in);
    for (int i = 0; i < t->nout; i++) {
        free(t->out[i].keys);
        free(t->out[i].key_phys);
        free(t->out[i].ch);
    }
    free(t->out);
    free(t->timers);
    pthread_mutex_destroy(&t->g.m);
    pthread_cond_destroy(&t->g.nonempty);
    free(t->name);
    free(t);
}

void sl_task_set_chain(sl_task *t, sl_operator **ops, int n)
{
    t->ops = sl_xmalloc(sizeof(sl_operator *) * (size_t)(n ? n : 1));
    t->nops = n;
    for (int i = 0; i < n; i++) {
        t->ops[i] = ops[i];
        ops[i]->task = t;
        ops[i]->next = i + 1 < n ? ops[i + 1] : NULL;
    }
}

int sl_task_add_output(sl_task *t, sl_partitioning p, const int *keys, const sl_phys *key_phys, int nkeys)
{
    t->out = sl_xrealloc(t->out, sizeof(output) * (size_t)(t->nout + 1));
    output *o = &t->out[t->nout];
    memset(o, 0, sizeof *o);
    o->part = p;
    o->nkeys = nkeys;
    o->last_wm = WM_MIN;
    if (nkeys) {
        o->keys = sl_xmalloc(sizeof(int) * (size_t)nkeys);
        memcpy(o->keys, keys, sizeof(int) * (size_t)nkeys);
        o->key_phys = sl_xmalloc(sizeof(sl_phys) * (size_t)nkeys);
        memcpy(o->key_phys, key_phys, sizeof(sl_phys) * (size_t)nkeys);
    }
    return t->nout++;
}

sl_channel *sl_task_connect(sl_task *producer, int out, sl_task *consumer, int input)
{
    sl_channel *c = sl_xcalloc(1, sizeof *c);
    c->producer = producer;
    c->consumer = consumer;
    c->input = input;
    c->credits = producer->job->credits_per_channel > 0 ? producer->job->credits_per_channel : 1;
    c->wm = WM_MIN;
    pthread_cond_init(&c->space, NULL);
    output *o = &producer->out[out];
    o->ch = sl_xrealloc(o->ch, sizeof(sl_channel *) * (size_t)(o->nch + 1));
    o->ch[o->nch++] = c;
    consumer->in = sl_xrealloc(consumer->in, sizeof(sl_channel *) * (size_t)(consumer->nin + 1));
    consumer->in[consumer->nin++] = c;
    return c;
}

int sl_task_subtask(const sl_task *t) { return t->subtask; }
int sl_task_parallelism(const sl_task *t) { return t->parallelism; }
int sl_task_max_parallelism(const sl_task *t) { return t->max_parallelism; }
const char *sl_task_name(const sl_task *t) { return t->name; }
sl_job_context *sl_task_job(const sl_task *t) { return t->job; }
void sl_task_count_dropped(sl_task *t, uint64_t n) { t->m.dropped += n; }
bool sl_task_stop_requested(const sl_task *t) { return atomic_load_explicit(&t->job->stop, memory_order_relaxed); }
bool sl_task_stopping(const sl_task *t) { return sl_task_stop_requested(t) || atomic_load_explicit(&t->job->stopping, memory_order_relaxed); }
bool sl_task_is_source(const sl_task *t) { return t->nops && t->ops[0]->vt->poll != NULL; }
bool sl_task_is_sink(const sl_task *t) { return t->nout == 0; }
bool sl_task_finished(const sl_task *t) { return atomic_load(&t->finished); }

sl_operator *const *sl_task_chain(const sl_task *t, int *n)
{
    *n = t->nops;
    return t->ops;
}

void sl_task_trigger_checkpoint(sl_task *t, int64_t id)
{
    atomic_store(&t->cp_trigger, id);
    sl_task_wake(t);
}

void sl_task_notify_checkpoint(sl_task *t, int64_t id)
{
    int64_t cur = atomic_load(&t->cp_complete);
    while (id > cur && !atomic_compare_exchange_weak(&t->cp_complete, &cur, id)) {
    }
    sl_task_wake(t);
}

/* ---- producing -------------------------------------------------------------------------------- */

static bool cancelled(const sl_task *t) { return atomic_load_explicit(&t->job->cancel, memory_order_relaxed); }

static sl_buffer *get_buffer(sl_channel *c, uint32_t need)
{
    uint32_t seg = c->producer->job->segment_size;
    sl_buffer *b = NULL;
    if (need <= seg) {
        pthread_mutex_lock(&c->consumer->g.m);
        b = c->free_list;
        if (b) c->free_list = b->next;
        pthread_mutex_unlock(&c->consumer->g.m);
    }
    if (!b) {
        c->producer->m.buffers_allocated++;
        b = sl_xcalloc(1, sizeof *b);
        b->oversize = need > seg;
        b->cap = b->oversize ? need : seg;
        b->data = sl_xmalloc(b->cap);
    }
    b->len = 0;
    b->ua_barrier = false;
    b->next = NULL;
    return b;
}

/* Hands the channel's current buffer to the consumer, waiting for a credit. */
static void send_buffer(sl_task *t, sl_channel *c)
{
    sl_buffer *b = c->cur;
    if (!b || b->len == 0) return;
    c->cur = NULL;
    gate *g = &c->consumer->g;
    pthread_mutex_lock(&g->m);
    if (c->queued >= c->credits && !cancelled(t)) {
        uint64_t t0 = sl_mono_ns();
        while (c->queued >= c->credits && !cancelled(t)) {
            c->producer_waiting = true;
            pthread_cond_wait(&c->space, &g->m);
        }
        c->producer_waiting = false;
        t->m.backpressured_ns += sl_mono_ns() - t0;
    }
    if (c->q_tail) c->q_tail->next = b;
    else c->q_head = b;
    c->q_tail = b;
    c->queued++;
    if (g->waiting) pthread_cond_signal(&g->nonempty);
    pthread_mutex_unlock(&g->m);
    t->m.buffers_out++;
}

static inline void put_entry(sl_task *t, sl_channel *c, uint32_t type, const void *payload, uint32_t len)
{
    uint32_t padded = (len + 7u) & ~7u;
    uint32_t need = 8 + padded;
    if (c->cur && c->cur->len + need > c->cur->cap) send_buffer(t, c);
    if (!c->cur) {
        c->cur = get_buffer(c, need);
        if (t->flush_deadline_ns == 0 && t->job->buffer_timeout_ms > 0)
            t->flush_deadline_ns = sl_mono_ns() + (uint64_t)t->job->buffer_timeout_ms * 1000000u;
    }
    uint8_t *p = c->cur->data + c->cur->len;
    uint64_t hdr = ((uint64_t)type << 32) | len;
    memcpy(p, &hdr, 8);
    if (len) memcpy(p + 8, payload, len);
    if (padded > len) memset(p + 8 + len, 0, padded - len);
    c->cur->len += need;
    if (c->cur->oversize || t->job->buffer_timeout_ms == 0) send_buffer(t, c);
}

static void flush_outputs(sl_task *t)
{
    for (int i = 0; i < t->nout; i++)
        for (int k = 0; k < t->out[i].nch; k++) send_buffer(t, t->out[i].ch[k]);
    t->flush_deadline_ns = 0;
}

/* The barrier of unaligned checkpoint id into every output channel, ahead of the buffers queued
 * there (they and the current, unsent buffer become in-flight data the consumer keeps). It goes
 * behind the buffers an earlier overtaking barrier still covers, so each barrier's count stays
 * right. No credit is needed: the barrier's own buffer is freed once read. */
static void emit_barrier_overtaking(sl_task *t, int64_t id)
{
    for (int i = 0; i < t->nout; i++)
        for (int k = 0; k < t->out[i].nch; k++) {
            sl_channel *c = t->out[i].ch[k];
            sl_buffer *bb = sl_xcalloc(1, sizeof *bb);
            bb->oversize = true;
            bb->cap = bb->len = 16;
            bb->data = sl_xmalloc(16);
            uint64_t hdr = ((uint64_t)EV_BARRIER_UA << 32) | 8u;
            memcpy(bb->data, &hdr, 8);
            memcpy(bb->data + 8, &id, 8);
            bb->ua_barrier = true;
            bb->ua_id = id;
            gate *g = &c->consumer->g;
            pthread_mutex_lock(&g->m);
            sl_buffer **pp = &c->q_head;
            int skip = c->ua_pending;
            for (;;) {
                while (*pp && skip > 0) {
                    pp = &(*pp)->next;
                    skip--;
                }
                if (!*pp || !(*pp)->ua_barrier) break;
                skip = (*pp)->ua_k;
                pp = &(*pp)->next;
            }
            int behind = 0;
            for (sl_buffer *x = *pp; x; x = x->next) behind++;
            bb->ua_k = behind + (c->cur && c->cur->len ? 1 : 0);
            bb->next = *pp;
            if (!bb->next) c->q_tail = bb;
            *pp = bb;
            c->queued++;
            if (g->waiting) pthread_cond_signal(&g->nonempty);
            pthread_mutex_unlock(&g->m);
            send_buffer(t, c); /* the current buffer: counted in ua_k, so it must be the next one */
        }
    t->flush_deadline_ns = 0;
}

/* Hash of the key fields' values: fixed-width values as their 8 bytes (so INT 7 and BIGINT 7
 * agree), -0.0 as 0.0, strings by content, NULL as a marker. */
uint64_t sl_row_key_hash(const uint8_t *row, const int *keys, const sl_phys *phys, int nkeys)
{
    uint64_t h = 0x5157u;
    for (int k = 0; k < nkeys; k++) {
        int f = keys[k];
        if (sl_row_is_null(row, f)) {
            h = sl_hash64_seed("\0", 1, h);
            continue;
        }
        if (phys[k] == SL_PHYS_BYTES) {
            uint32_t n;
            const char *p = sl_row_bytes(row, f, &n);
            h = sl_hash64_seed(p, n, h);
        } else {
            uint64_t s;
            memcpy(&s, sl_row_slot(row, f), 8);
            if (phys[k] == SL_PHYS_F64 && s == (UINT64_C(1) << 63)) s = 0;
            h = sl_hash64_seed(&s, 8, h);
        }
    }
    return h;
}

int sl_row_key_group(const uint8_t *row, const int *keys, const sl_phys *phys, int nkeys, int max_parallelism)
{
    return sl_key_group(sl_row_key_hash(row, keys, phys, nkeys), max_parallelism);
}

static sl_status emit_to_outputs(sl_task *t, const uint8_t *row)
{
    uint32_t len = sl_row_len(row);
    t->m.records_out++;
    t->m.bytes_out += len;
    for (int i = 0; i < t->nout; i++) {
        output *o = &t->out[i];
        switch (o->part) {
        case SL_PART_FORWARD: put_entry(t, o->ch[o->nch == 1 ? 0 : t->subtask % o->nch], EV_RECORD, row, len); break;
        case SL_PART_GLOBAL: put_entry(t, o->ch[0], EV_RECORD, row, len); break;
        case SL_PART_REBALANCE:
            put_entry(t, o->ch[o->rr], EV_RECORD, row, len);
            if (++o->rr == o->nch) o->rr = 0;
            break;
        case SL_PART_BROADCAST:
            for (int k = 0; k < o->nch; k++) put_entry(t, o->ch[k], EV_RECORD, row, len);
            break;
        case SL_PART_HASH: {
            int kg = sl_row_key_group(row, o->keys, o->key_phys, o->nkeys, t->max_parallelism);
            put_entry(t, o->ch[sl_key_group_owner(t->max_parallelism, o->nch, kg)], EV_RECORD, row, len);
            break;
        }
        }
    }
    return SL_OK;
}

static void emit_event_all(sl_task *t, uint32_t type, int64_t v)
{
    for (int i = 0; i < t->nout; i++)
        for (int k = 0; k < t->out[i].nch; k++) put_entry(t, t->out[i].ch[k], type, &v, 8);
}

sl_status sl_op_emit(sl_operator *op, const uint8_t *row, sl_error *err)
{
    op->records_out++;
    sl_operator *n = op->next;
    if (n) {
        n->records_in++;
        return n->vt->process(n, 0, row, err);
    }
    return emit_to_outputs(op->task, row);
}

sl_status sl_op_emit_watermark(sl_operator *op, int64_t wm, sl_error *err)
{
    sl_operator *n = op->next;
    if (n) return n->vt->watermark ? n->vt->watermark(n, wm, err) : sl_op_emit_watermark(n, wm, err);
    sl_task *t = op->task;
    for (int i = 0; i < t->nout; i++) {
        output *o = &t->out[i];
        if (wm <= o->last_wm) continue;
        o->last_wm = wm;
        for (int k = 0; k < o->nch; k++) put_entry(t, o->ch[k], EV_WATERMARK, &wm, 8);
    }
    t->m.current_watermark = wm;
    return SL_OK;
}

void sl_op_emit_idle(sl_operator *op, bool idle)
{
    sl_task *t = op->task;
    if (t->out_idle == idle) return;
    t->out_idle = idle;
    emit_event_all(t, EV_IDLE, idle);
    flush_outputs(t);
}

/* ---- processing-time timers ---------------------------------------------------------------- */


void sl_op_register_proctime_timer(sl_operator *op, int64_t when_ms)
{
    sl_task *t = op->task;
    if (t->ntimers == t->captimers) {
        t->captimers = t->captimers ? t->captimers * 2 : 16;
        t->timers = sl_xrealloc(t->timers, sizeof(struct ptimer) * (size_t)t->captimers);
    }
    int i = t->ntimers++;
    while (i > 0 && t->timers[(i - 1) / 2].when_ms > when_ms) {
        t->timers[i] = t->timers[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    t->timers[i] = (struct ptimer){when_ms, op};
}

static struct ptimer pop_timer(sl_task *t)
{
    struct ptimer top = t->timers[0], last = t->timers[--t->ntimers];
    int i = 0;
    for (;;) {
        int c = 2 * i + 1;
        if (c >= t->ntimers) break;
        if (c + 1 < t->ntimers && t->timers[c + 1].when_ms < t->timers[c].when_ms) c++;
        if (t->timers[c].when_ms >= last.when_ms) break;
        t->timers[i] = t->timers[c];
        i = c;
    }
    if (t->ntimers) t->timers[i] = last;
    return top;
}

/* Fires the timers that are due, in time order. */
static sl_status fire_timers(sl_task *t, sl_error *err)
{
    if (!t->ntimers) return SL_OK;
    int64_t now = sl_wall_ms();
    while (t->ntimers && t->timers[0].when_ms <= now) {
        struct ptimer x = pop_timer(t);
        sl_status st = x.op->vt->on_timer ? x.op->vt->on_timer(x.op, x.when_ms, err) : SL_OK;
        if (st) return st;
    }
    return SL_OK;
}

/* The monotonic deadline to wake up at: the buffer flush or the next timer, whichever is first
 * (0 = none). */
static uint64_t next_deadline(sl_task *t)
{
    uint64_t d = t->flush_deadline_ns;
    if (t->ntimers) {
        int64_t ms = t->timers[0].when_ms - sl_wall_ms();
        uint64_t td = sl_mono_ns() + (ms > 0 ? (uint64_t)ms * 1000000u : 0);
        if (!d || td < d) d = td;
    }
    return d;
}

/* ---- the loops --------------------------------------------------------------------------------- */

static void publish(sl_task *t)
{
    atomic_store_explicit(&t->pub_in, t->m.records_in, memory_order_relaxed);
    atomic_store_explicit(&t->pub_out, t->m.records_out, memory_order_relaxed);
    atomic_store_explicit(&t->pub_bytes_in, t->m.bytes_in, memory_order_relaxed);
    atomic_store_explicit(&t->pub_bytes_out, t->m.bytes_out, memory_order_relaxed);
    atomic_store_explicit(&t->pub_dropped, t->m.dropped, memory_order_relaxed);
    atomic_store_explicit(&t->pub_busy, (sl_mono_ns() - t->start_ns) - t->m.idle_ns - t->m.backpressured_ns, memory_order_relaxed);
    atomic_store_explicit(&t->pub_idle, t->m.idle_ns, memory_order_relaxed);
    atomic_store_explicit(&t->pub_bp, t->m.backpressured_ns, memory_order_relaxed);
    atomic_store_explicit(&t->pub_wm, t->m.current_watermark, memory_order_relaxed);
    atomic_store_explicit(&t->pub_buffers_allocated, t->m.buffers_allocated, memory_order_relaxed);
    if (t->nops && t->ops[0]->vt->poll) atomic_store_explicit(&t->pub_source_records, t->ops[0]->records_out, memory_order_relaxed);
    if (t->nops && t->nout == 0) atomic_store_explicit(&t->pub_sink_records, t->ops[t->nops - 1]->records_in, memory_order_relaxed);
}

void sl_task_metrics_get(const sl_task *t, sl_task_metrics *m)
{
    memset(m, 0, sizeof *m);
    m->records_in = atomic_load_explicit(&t->pub_in, memory_order_relaxed);
    m->records_out = atomic_load_explicit(&t->pub_out, memory_order_relaxed);
    m->bytes_in = atomic_load_explicit(&t->pub_bytes_in, memory_order_relaxed);
    m->bytes_out = atomic_load_explicit(&t->pub_bytes_out, memory_order_relaxed);
    m->dropped = atomic_load_explicit(&t->pub_dropped, memory_order_relaxed);
    m->busy_ns = atomic_load_explicit(&t->pub_busy, memory_order_relaxed);
    m->idle_ns = atomic_load_explicit(&t->pub_idle, memory_order_relaxed);
    m->backpressured_ns = atomic_load_explicit(&t->pub_bp, memory_order_relaxed);
    m->current_watermark = atomic_load_explicit(&t->pub_wm, memory_order_relaxed);
    m->source_records = atomic_load_explicit(&t->pub_source_records, memory_order_relaxed);
    m->sink_records = atomic_load_explicit(&t->pub_sink_records, memory_order_relaxed);
    m->buffers_allocated = atomic_load_explicit(&t->pub_buffers_allocated, memory_order_relaxed);
}

static void maybe_flush(sl_task *t)
{
    if (t->flush_deadline_ns && sl_mono_ns() >= t->flush_deadline_ns) flush_outputs(t);
}

/* Waits on the gate until signalled or the deadline (CLOCK_MONOTONIC ns; 0 = none). */
static void gate_wait(sl_task *t, uint64_t deadline_ns)
{
    uint64_t t0 = sl_mono_ns();
    t->g.waiting = true;
    if (deadline_ns) {
        /* the condition variable uses CLOCK_REALTIME: convert the remaining time */
        uint64_t rem = deadline_ns > t0 ? deadline_ns - t0 : 0;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t ns = (uint64_t)ts.tv_nsec + rem;
        ts.tv_sec += (time_t)(ns / 1000000000u);
        ts.tv_nsec = (long)(ns % 1000000000u);
        pthread_cond_timedwait(&t->g.nonempty, &t->g.m, &ts);
    } else
        pthread_cond_wait(&t->g.nonempty, &t->g.m);
    t->g.waiting = false;
    t->m.idle_ns += sl_mono_ns() - t0;
}

void sl_task_wake(sl_task *t)
{
    pthread_mutex_lock(&t->g.m);
    pthread_cond_broadcast(&t->g.nonempty);
    for (int i = 0; i < t->nin; i++) pthread_cond_broadcast(&t->in[i]->space);
    pthread_mutex_unlock(&t->g.m);
}

static sl_status finish_chain(sl_task *t, sl_error *err)
{
    sl_status st;
    for (int i = 0; i < t->nops; i++)
        if (t->ops[i]->vt->finish && (st = t->ops[i]->vt->finish(t->ops[i], err))) return st;
    return SL_OK;
}

static sl_status input_watermark(sl_task *t, sl_error *err)
{
    int64_t wm = WM_MAX;
    int live = 0, idle = 0;
    for (int i = 0; i < t->nin; i++) {
        sl_channel *c = t->in[i];
        if (c->ended) continue;
        live++;
        if (c->idle) {
            idle++;
            continue;
        }
        if (c->wm < wm) wm = c->wm;
    }
    /* every live input idle: this task is idle too (Flink's WatermarkStatus), and says so */
    bool all_idle = live > 0 && idle == live;
    if (all_idle != t->out_idle) {
        t->out_idle = all_idle;
        emit_event_all(t, EV_IDLE, all_idle);
    }
    if (wm == WM_MAX) return SL_OK; /* all ended or idle: end of input carries the final watermark */
    if (wm <= t->in_wm) return SL_OK;
    t->in_wm = wm;
    sl_operator *h = t->ops[0];
    return h->vt->watermark ? h->vt->watermark(h, wm, err) : sl_op_emit_watermark(h, wm, err);
}

/* ---- checkpoints ------------------------------------------------------------------------------------ */

/* The synchronous part of checkpoint id on this task (every input delivered its barrier): the
 * operators snapshot, then the barrier (or, if the checkpoint failed, a cancellation) goes to
 * every output ahead of any later record. */
static sl_status take_checkpoint(sl_task *t, int64_t id, bool cancelled, sl_error *err)
{
    bool declined = cancelled || !t->job->cp;
    int64_t timeout = 0;
    bool overtake = false;
    if (!declined) {
        sl_status st = sl_cp_snapshot_task(t->job->cp, t, id, &declined, NULL, 0, err);
        if (st) return st;
        if (!declined && sl_cp_is_terminal(t->job->cp, id)) t->cp_terminal = id;
        /* a source of an unaligned checkpoint: its barrier overtakes what it sent already
         * (unless checkpoints start aligned: aligned-checkpoint-timeout) */
        overtake = !declined && t->nin == 0 && sl_cp_unaligned(t->job->cp, id, &timeout) && timeout == 0;
    }
    if (overtake) {
        emit_barrier_overtaking(t, id);
        return SL_OK;
    }
    emit_event_all(t, declined ? EV_CANCEL : EV_BARRIER, id);
    flush_outputs(t);
    return SL_OK;
}

/* ---- unaligned checkpoints ---- */

static void unblock_all(sl_task *t);

/* Ends the collection of in-flight data for cp_cur: the file is closed and the coordinator told
 * (failure: why the collection failed; abandoned: the task gives the checkpoint up). */
static void end_collecting(sl_task *t, const char *failure)
{
    if (!t->cp_collecting) return;
    t->cp_collecting = false;
    for (int i = 0; i < t->nin; i++) t->in[i]->recording = false;
    char why[700] = "";
    if (t->inflight) {
        bool bad = ferror(t->inflight) != 0;
        if (fclose(t->inflight) != 0) bad = true;
        if (bad) snprintf(why, sizeof why, "writing to '%.400s' failed: %s", t->inflight_dir, strerror(errno));
        t->inflight = NULL;
    }
    if (!failure && *why) failure = why;
    sl_cp_inflight_done(t->job->cp, t, t->cp_cur, t->inflight_bytes, failure);
}

/* Checkpoint cp_cur becomes unaligned on this task: the operators snapshot now, the barrier
 * overtakes the outputs' buffers, and from now until each input delivers its barrier (and the
 * buffers that barrier overtook are read) the records read are kept as in-flight data. */
static sl_status go_unaligned(sl_task *t, sl_error *err)
{
    int64_t id = t->cp_cur;
    t->cp_aligning = false;
    unblock_all(t);
    bool declined = t->cp_cancel || !t->job->cp;
    if (!declined) {
        sl_status st = sl_cp_snapshot_task(t->job->cp, t, id, &declined, t->inflight_dir, sizeof t->inflight_dir, err);
        if (st) return st;
    }
    if (!declined) {
        char path[4500];
        snprintf(path, sizeof path, "%s/inflight", t->inflight_dir);
        t->cp_collecting = true;
        t->inflight_bytes = 0;
        t->inflight = fopen(path, "wb");
        if (!t->inflight) {
            char why[700];
            snprintf(why, sizeof why, "cannot create '%.400s': %s", path, strerror(errno));
            end_collecting(t, why);
            declined = true;
        }
    }
    if (declined) {
        emit_event_all(t, EV_CANCEL, id);
        flush_outputs(t);
        return SL_OK;
    }
    for (int i = 0; i < t->nin; i++) t->in[i]->recording = !t->in[i]->ended && t->in[i]->barrier < id;
    emit_barrier_overtaking(t, id);
    return SL_OK;
}

/* Whether the in-flight data of cp_cur is complete: every input delivered the barrier and the
 * buffers it overtook were read. */
static void maybe_end_collecting(sl_task *t)
{
    if (!t->cp_collecting) return;
    for (int i = 0; i < t->nin; i++) {
        const sl_channel *c = t->in[i];
        if (!c->ended && c->barrier < t->cp_cur) return;
        if (c->ua_pending > 0 && c->ua_pending_id == t->cp_cur) return;
    }
    end_collecting(t, NULL);
}

static void keep_inflight(sl_task *t, int input, const uint8_t *row, uint32_t len)
{
    uint32_t h[2] = {(uint32_t)input, len};
    if (!t->inflight) return;
    fwrite(h, sizeof h, 1, t->inflight);
    fwrite(row, len, 1, t->inflight);
    t->inflight_bytes += sizeof h + len;
}

static bool aligned(const sl_task *t)
{
    for (int i = 0; i < t->nin; i++)
        if (!t->in[i]->ended && t->in[i]->barrier < t->cp_cur) return false;
    return true;
}

static void unblock_all(sl_task *t)
{
    for (int i = 0; i < t->nin; i++) t->in[i]->blocked = false;
}

/* A newer checkpoint's barrier arrived while cp_cur was not done here: cp_cur failed. */
static void give_up_current(sl_task *t)
{
    if (t->cp_aligning) { /* a newer checkpoint overtook the one being aligned: that one failed */
        if (t->job->cp) sl_cp_decline(t->job->cp, t, t->cp_cur, "a newer checkpoint's barrier arrived before its alignment ended");
        emit_event_all(t, EV_CANCEL, t->cp_cur);
        unblock_all(t);
        t->cp_aligning = false;
    }
    if (t->cp_collecting) {
        if (t->job->cp) sl_cp_decline(t->job->cp, t, t->cp_cur, "a newer checkpoint's barrier arrived before its in-flight data was complete");
        end_collecting(t, NULL);
    }
}

static sl_status end_alignment(sl_task *t, sl_error *err)
{
    t->cp_aligning = false;
    unblock_all(t);
    return take_checkpoint(t, t->cp_cur, t->cp_cancel, err);
}

/* Barrier (or cancellation) `id` arrived on channel c. EXACTLY_ONCE: c is held back until every
 * input has delivered it (alignment), so the snapshot covers exactly the records before the
 * barriers; AT_LEAST_ONCE: nothing is held back, the snapshot is taken when the last one arrives. */
static sl_status on_barrier(sl_task *t, sl_channel *c, int64_t id, bool cancel, sl_error *err)
{
    if (id > c->barrier) c->barrier = id;
    if (id < t->cp_cur) return SL_OK; /* a checkpoint this task gave up already */
    if (id > t->cp_cur) {
        give_up_current(t);
        t->cp_cur = id;
        t->cp_aligning = true;
        t->cp_cancel = false;
        t->align_start_ns = sl_mono_ns();
        int64_t timeout = 0;
        t->align_timeout_ms = t->job->cp && sl_cp_unaligned(t->job->cp, id, &timeout) ? timeout : 0;
    }
    if (cancel) t->cp_cancel = true;
    if (t->cp_collecting) { /* unaligned already: this input's records from here on are not part of it */
        c->recording = false;
        if (cancel) end_collecting(t, NULL);
        return SL_OK;
    }
    if (!t->job->cp || sl_cp_exactly_once(t->job->cp)) c->blocked = true;
    if (t->cp_aligning && aligned(t)) return end_alignment(t, err);
    return SL_OK;
}

/* The barrier of unaligned checkpoint id arrived on channel c (the buffers it overtook follow). */
static sl_status on_barrier_unaligned(sl_task *t, sl_channel *c, int64_t id, sl_error *err)
{
    if (id > c->barrier) c->barrier = id;
    if (id < t->cp_cur) return SL_OK;
    if (id > t->cp_cur) {
        give_up_current(t);
        t->cp_cur = id;
        t->cp_cancel = false;
        return go_unaligned(t, err);
    }
    if (t->cp_aligning) return go_unaligned(t, err); /* it was aligning (aligned-checkpoint-timeout): no more */
    c->recording = false;
    return SL_OK;
}

/* The alignment of cp_cur took longer than aligned-checkpoint-timeout: it turns unaligned. */
static sl_status check_alignment_timeout(sl_task *t, sl_error *err)
{
    if (!t->cp_aligning || t->align_timeout_ms <= 0 || t->cp_cancel) return SL_OK;
    if (sl_mono_ns() - t->align_start_ns < (uint64_t)t->align_timeout_ms * 1000000u) return SL_OK;
    return go_unaligned(t, err);
}

static sl_status notify_checkpoints(sl_task *t, sl_error *err)
{
    int64_t done = atomic_load_explicit(&t->cp_complete, memory_order_acquire);
    if (done <= t->cp_notified) return SL_OK;
    t->cp_notified = done;
    for (int i = 0; i < t->nops; i++) {
        sl_operator *op = t->ops[i];
        sl_status st = op->vt->notify_complete ? op->vt->notify_complete(op, done, err) : SL_OK;
        if (st) return st;
    }
    return SL_OK;
}

/* Processes the entries of b from offset off; *stop: where it stopped (b->len when done, less when
 * a barrier blocked the channel: the rest waits for the alignment). */
static sl_status process_buffer(sl_task *t, sl_channel *c, sl_buffer *b, uint32_t off, bool pre, uint32_t *stop, sl_error *err)
{
    sl_operator *h = t->ops[0];
    sl_status st;
    while (off < b->len) {
        uint64_t hdr;
        memcpy(&hdr, b->data + off, 8);
        uint32_t len = (uint32_t)hdr, type = (uint32_t)(hdr >> 32);
        const uint8_t *payload = b->data + off + 8;
        off += 8 + ((len + 7u) & ~7u);
        if (type == EV_RECORD) {
            c->taken++;
            if (c->idle) { /* a record makes an idle input active again */
                c->idle = false;
                if ((st = input_watermark(t, err))) return st;
            }
            t->m.records_in++;
            t->m.bytes_in += len;
            h->records_in++;
            if (t->cp_collecting && (pre || c->recording)) keep_inflight(t, c->input, payload, len);
            if ((st = h->vt->process(h, c->input, payload, err))) return st;
        } else if (type == EV_WATERMARK) {
            int64_t wm;
            memcpy(&wm, payload, 8);
            if (wm > c->wm) {
                c->wm = wm;
                if ((st = input_watermark(t, err))) return st;
            }
        } else if (type == EV_IDLE) {
            int64_t v;
            memcpy(&v, payload, 8);
            c->idle = v != 0;
            if ((st = input_watermark(t, err))) return st;
        } else if (type == EV_BARRIER || type == EV_CANCEL) {
            int64_t id;
            memcpy(&id, payload, 8);
            if ((st = on_barrier(t, c, id, type == EV_CANCEL, err))) return st;
            if (c->blocked) break;
        } else if (type == EV_BARRIER_UA) {
            int64_t id;
            memcpy(&id, payload, 8);
            if ((st = on_barrier_unaligned(t, c, id, err))) return st;
        } else if (type == EV_END) {
            c->ended = true;
            if ((st = input_watermark(t, err))) return st;
            if (t->cp_aligning && aligned(t) && (st = end_alignment(t, err))) return st;
            maybe_end_collecting(t);
        }
    }
    *stop = off;
    return SL_OK;
}

static sl_status run_consumer(sl_task *t, sl_error *err)
{
    sl_status st;
    int ended = 0;
    uint64_t last_publish = sl_mono_ns();
    while (!cancelled(t)) {
        if ((st = notify_checkpoints(t, err))) return st;
        if ((st = check_alignment_timeout(t, err))) return st;
        pthread_mutex_lock(&t->g.m);
        /* input selection: of the channels with data (and not held back by a checkpoint
         * alignment), the one consumed least so far, so the inputs of a join advance together in
         * records (not in buffers, whose row counts differ with row sizes) and partners meet while
         * their state is still fresh */
        sl_channel *c = NULL;
        for (int k = 0; k < t->nin; k++) {
            sl_channel *x = t->in[(t->rr_in + k) % t->nin];
            if (!x->blocked && (x->held || x->q_head) && (!c || x->taken < c->taken)) c = x;
        }
        if (c) t->rr_in = (t->rr_in + 1) % t->nin;
        if (!c) {
            if (ended == t->nin) {
                pthread_mutex_unlock(&t->g.m);
                break;
            }
            if (t->flush_deadline_ns && sl_mono_ns() >= t->flush_deadline_ns) {
                pthread_mutex_unlock(&t->g.m);
                flush_outputs(t);
                continue;
            }
            if (t->ntimers && t->timers[0].when_ms <= sl_wall_ms()) {
                pthread_mutex_unlock(&t->g.m);
                if ((st = fire_timers(t, err))) return st;
                continue;
            }
            if (atomic_load_explicit(&t->cp_complete, memory_order_acquire) > t->cp_notified) {
                pthread_mutex_unlock(&t->g.m);
                continue;
            }
            publish(t);
            uint64_t d = next_deadline(t);
            if (t->cp_aligning && t->align_timeout_ms > 0) { /* when the alignment turns unaligned */
                uint64_t at = t->align_start_ns + (uint64_t)t->align_timeout_ms * 1000000u;
                if (!d || at < d) d = at;
            }
            /* the loop's check ran without the lock: a cancel whose wake (sl_task_wake, under
             * the lock) came before this point would be lost, and a task without input would
             * wait for ever (the job's cancel, e.g. a failure before a restart, never ends) */
            if (cancelled(t)) {
                pthread_mutex_unlock(&t->g.m);
                break;
            }
            gate_wait(t, d);
            pthread_mutex_unlock(&t->g.m);
            continue;
        }
        sl_buffer *b;
        uint32_t off = 0;
        bool pre = false; /* a buffer an unaligned barrier overtook */
        if (c->held) {
            b = c->held;
            off = c->held_off;
            c->held = NULL;
        } else {
            b = c->q_head;
            c->q_head = b->next;
            if (!c->q_head) c->q_tail = NULL;
            c->queued--;
            if (b->ua_barrier) {
                c->ua_pending = b->ua_k;
                c->ua_pending_id = b->ua_id;
            } else if (c->ua_pending > 0) {
                c->ua_pending--;
                pre = t->cp_collecting && c->ua_pending_id == t->cp_cur;
            }
            if (c->producer_waiting) pthread_cond_signal(&c->space);
        }
        pthread_mutex_unlock(&t->g.m);

        bool was_ended = c->ended;
        uint32_t stop = b->len;
        st = process_buffer(t, c, b, off, pre, &stop, err);
        if (!st) maybe_end_collecting(t);

        pthread_mutex_lock(&t->g.m);
        if (!st && stop < b->len) { /* the rest waits for the checkpoint alignment */
            c->held = b;
            c->held_off = stop;
        } else if (b->oversize) {
            free(b->data);
            free(b);
        } else {
            b->next = c->free_list;
            c->free_list = b;
        }
        pthread_mutex_unlock(&t->g.m);
        if (st) return st;
        if (c->ended && !was_ended) ended++;
        if ((st = fire_timers(t, err))) return st;
        maybe_flush(t);
        uint64_t now = sl_mono_ns();
        if (now - last_publish > 50000000u) {
            publish(t);
            last_publish = now;
        }
    }
    if (cancelled(t)) return SL_OK;
    return finish_chain(t, err);
}

static sl_status run_source(sl_task *t, sl_error *err)
{
    sl_operator *h = t->ops[0];
    sl_status st;
    uint64_t last_publish = sl_mono_ns();
    uint64_t wm_interval = (uint64_t)(t->job->watermark_interval_ms > 0 ? t->job->watermark_interval_ms : 200) * 1000000u;
    uint64_t next_periodic = last_publish + wm_interval;
    for (;;) {
        if (cancelled(t)) return SL_OK;
        /* a checkpoint: between two polls, so the source's position covers exactly what it emitted */
        int64_t trig = atomic_load_explicit(&t->cp_trigger, memory_order_acquire);
        if (trig > t->cp_cur) {
            t->cp_cur = trig;
            if ((st = take_checkpoint(t, trig, false, err))) return st;
        }
        if ((st = notify_checkpoints(t, err))) return st;
        if (sl_mono_ns() >= next_periodic) {
            int64_t now_ms = sl_wall_ms();
            for (int i = 0; i < t->nops; i++)
                if (t->ops[i]->vt->periodic && (st = t->ops[i]->vt->periodic(t->ops[i], now_ms, err))) return st;
            next_periodic = sl_mono_ns() + wm_interval;
        }
        sl_source_state s = SL_SOURCE_MORE;
        int wait_ms = 0;
        /* a stop with savepoint: nothing after its barrier (Flink's synchronous savepoint) */
        if (t->cp_terminal) break;
        if ((st = h->vt->poll(h, 256, &s, &wait_ms, err))) return st;
        if ((st = fire_timers(t, err))) return st;
        if (s == SL_SOURCE_END) {
            /* a drained bounded input ends event time; a stopped job (SIGINT) does not, as
             * Flink's stop without --drain */
            if (!sl_task_stopping(t) && (st = sl_op_emit_watermark(h, WM_MAX, err))) return st;
            break;
        }
        maybe_flush(t);
        uint64_t now = sl_mono_ns();
        if (now - last_publish > 50000000u) {
            publish(t);
            last_publish = now;
        }
        if (s == SL_SOURCE_IDLE) {
            flush_outputs(t);
            if (wait_ms <= 0) wait_ms = 1;
            pthread_mutex_lock(&t->g.m);
            uint64_t until = sl_mono_ns() + (uint64_t)wait_ms * 1000000u;
            if (until > next_periodic) until = next_periodic;
            uint64_t timer = next_deadline(t);
            if (timer && timer < until) until = timer;
            if (!cancelled(t) && !sl_task_stop_requested(t) &&
                atomic_load_explicit(&t->cp_trigger, memory_order_acquire) <= t->cp_cur &&
                atomic_load_explicit(&t->cp_complete, memory_order_acquire) <= t->cp_notified)
                gate_wait(t, until);
            pthread_mutex_unlock(&t->g.m);
        }
    }
    /* a checkpoint triggered after the last poll takes this source as finished (task_main) */
    return finish_chain(t, err);
}

/* After a stop-with-savepoint barrier: the operators hear that the savepoint completed (a
 * transactional sink commits up to it) before the task ends; if it fails, the job's stop (set by
 * the coordinator's caller then) ends the wait. */
static sl_status await_terminal(sl_task *t, sl_error *err)
{
    for (;;) {
        sl_status st = notify_checkpoints(t, err);
        if (st) return st;
        pthread_mutex_lock(&t->g.m);
        bool done = t->cp_notified >= t->cp_terminal || cancelled(t) || sl_task_stop_requested(t);
        if (!done && atomic_load_explicit(&t->cp_complete, memory_order_acquire) <= t->cp_notified) gate_wait(t, 0);
        pthread_mutex_unlock(&t->g.m);
        if (done) return SL_OK;
    }
}

/* The output (of the producer of channel c) that c belongs to. */
static const output *channel_output(const sl_channel *c)
{
    const sl_task *p = c->producer;
    for (int i = 0; i < p->nout; i++)
        for (int k = 0; k < p->out[i].nch; k++)
            if (p->out[i].ch[k] == c) return &p->out[i];
    return NULL;
}

/* A record of an unaligned checkpoint's in-flight data: replayed into the head operator if it is
 * this subtask's: at the same parallelism, what this subtask kept; rescaled, a hash-partitioned
 * input's records whose key group this subtask owns, other inputs' old subtasks spread over the
 * new ones. */
typedef struct replay_ctx {
    sl_task *t;
    const output **by_input; /* per head-operator input: the upstream output feeding it */
    int n;
} replay_ctx;

static sl_status replay_inflight(void *ctx, int old_subtask, int old_par, int input, const uint8_t *row, uint32_t len, bool *taken,
                                 sl_error *err)
{
    replay_ctx *x = ctx;
    sl_task *t = x->t;
    (void)len;
    if (old_par != t->parallelism) { /* (at the same parallelism only this subtask's part comes) */
        const output *o = input >= 0 && input < x->n ? x->by_input[input] : NULL;
        if (o && o->part == SL_PART_HASH) {
            int kg = sl_row_key_group(row, o->keys, o->key_phys, o->nkeys, t->max_parallelism);
            if (sl_key_group_owner(t->max_parallelism, t->parallelism, kg) != t->subtask) return SL_OK;
        } else if (old_subtask % t->parallelism != t->subtask) {
            return SL_OK;
        }
    }
    sl_operator *h = t->ops[0];
    *taken = true;
    t->m.records_in++;
    h->records_in++;
    return h->vt->process(h, input, row, err);
}

static void *task_main(void *arg)
{
    sl_task *t = arg;
    sl_error err;
    sl_error_clear(&err);
    t->start_ns = sl_mono_ns();
    sl_status st = SL_OK;
    for (int i = 0; i < t->nops && !st; i++)
        if (t->ops[i]->vt->open) st = t->ops[i]->vt->open(t->ops[i], &err);
    /* a subtask that had finished when the restored checkpoint was taken stays finished: it only
     * ends its outputs (its records were all processed before that checkpoint) */
    int was_finished = !st && t->job->cp ? sl_cp_restored_finished(t->job->cp, t, &err) : 0;
    if (was_finished < 0) st = SL_ERR_STATE;
    if (!st && !was_finished && t->job->cp) st = sl_cp_restore_task(t->job->cp, t, &err);
    if (!st && !was_finished && t->job->cp && t->nin) {
        replay_ctx x = {t, NULL, 0};
        for (int i = 0; i < t->nin; i++)
            if (t->in[i]->input >= x.n) x.n = t->in[i]->input + 1;
        x.by_input = sl_xcalloc((size_t)(x.n ? x.n : 1), sizeof *x.by_input);
        for (int i = 0; i < t->nin; i++)
            if (!x.by_input[t->in[i]->input]) x.by_input[t->in[i]->input] = channel_output(t->in[i]);
        st = sl_cp_restore_inflight(t->job->cp, t, replay_inflight, &x, &err);
        free(x.by_input);
    }
    if (!st && !was_finished) st = sl_task_is_source(t) ? run_source(t, &err) : run_consumer(t, &err);
    end_collecting(t, "the task ended before its inputs delivered the barrier");
    if (!st && t->cp_terminal) st = await_terminal(t, &err);
    if (st) {
        sl_job_fail(t->job, t->name, &err);
    } else if (!cancelled(t)) {
        emit_event_all(t, EV_END, 0);
        flush_outputs(t);
        /* all of its input was processed (not a stop): later checkpoints take it as finished */
        if (t->job->cp) sl_cp_task_ended(t->job->cp, t, !sl_task_stopping(t) && !t->cp_terminal);
    }
    publish(t);
    atomic_store(&t->finished, true);
    return NULL;
}

sl_status sl_task_start(sl_task *t, sl_error *err)
{
    int rc = pthread_create(&t->thread, NULL, task_main, t);
    if (rc) return sl_error_set(err, SL_ERR_RUNTIME, "cannot start a thread for %s: %s", t->name, strerror(rc));
    t->started = true;
    return SL_OK;
}

void sl_task_join(sl_task *t)
{
    if (t->started) pthread_join(t->thread, NULL);
    t->started = false;
}
