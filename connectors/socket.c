/* connectors/socket.c — the 'socket' source (Flink's socket table source example): connects to
 * 'hostname':'port' as a client (the other end is e.g. `nc -lk 9999`), splits the stream at
 * 'byte-delimiter' (default 10, '\n') and decodes each record with 'format'. The source ends when
 * the peer closes the connection. It is not parallel: subtask 0 reads, the others end at once. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/mem.h"
#include "connectors/conn_util.h"
#include "connectors/connector.h"
#include "runtime/ops.h"
#include "connectors/delim_reader.h"
#include "runtime/task.h"

static const sl_option socket_opts[] = {
    {"hostname", SL_OPT_STRING, NULL, NULL, NULL, NULL, SL_RANGE_ANY, 0, "Host to connect to."},
    {"port", SL_OPT_INT, NULL, NULL, NULL, NULL, SL_RANGE_PORT, 0, "Port to connect to."},
    {"byte-delimiter", SL_OPT_INT, "10", NULL, NULL, NULL, SL_RANGE_NON_NEGATIVE, 0, "Byte that ends a record (10 = newline)."},
};
static const char *const socket_required[] = {"hostname", "port", NULL};

typedef struct sock_source {
    int fd;
    char where[300];
    char ignore_key[64];
    sl_delim_reader rd;
    sl_format *format;
    bool done;
} sock_source;

static sl_status sock_poll(sl_operator *op, int max, sl_source_state *state, int *wait_ms, sl_error *err)
{
    sock_source *s = op->impl;
    if (s->done || sl_task_stop_requested(op->task)) {
        *state = SL_SOURCE_END;
        return SL_OK;
    }
    for (int n = 0; n < max;) {
        const char *rec;
        size_t len;
        sl_delim_result r = sl_delim_reader_next(&s->rd, &rec, &len);
        if (r == SL_DELIM_RECORD) {
            n++;
            if (len == 0) continue;
            sl_status st = sl_source_decode(op, s->format, rec, len, err);
            if (st == SL_ERR_INVALID) {
                sl_error_detail(err, "socket %s, record %llu", s->where, (unsigned long long)s->rd.records);
                if (s->ignore_key[0]) sl_error_hint(err, "set '%s' = 'true' to skip malformed records", s->ignore_key);
            }
            if (st) return st;
            continue;
        }
        if (r == SL_DELIM_ERROR)
            return sl_error_set(err, SL_ERR_IO, "socket source %s: read failed: %s", s->where, strerror(s->rd.err));
        if (r == SL_DELIM_EOF) {
            s->done = true;
            *state = SL_SOURCE_END;
            return SL_OK;
        }
        /* NEED_DATA: read what is there, or report idle so the task can flush and wait */
        struct pollfd pfd = {.fd = s->fd, .events = POLLIN};
        int pr = poll(&pfd, 1, 0);
        if (pr <= 0) {
            *state = SL_SOURCE_IDLE;
            *wait_ms = 20;
            return SL_OK;
        }
        sl_delim_reader_fill(&s->rd);
    }
    *state = SL_SOURCE_MORE;
    return SL_OK;
}

static void sock_close(sl_operator *op)
{
    sock_source *s = op->impl;
    if (!s) return;
    if (s->fd >= 0) close(s->fd);
    sl_delim_reader_free(&s->rd);
    sl_format_destroy(s->format);
    free(s);
    op->impl = NULL;
}

static const sl_op_vtable sock_vt = {.name = "SocketSource", .poll = sock_poll, .close = sock_close};

static sl_status sock_source_create(const sl_conn_args *a, sl_operator **out, sl_error *err)
{
    sock_source *s = sl_xcalloc(1, sizeof *s);
    sl_operator tmp = {.impl = s};
    s->fd = -1;
    const char *host = sl_kv_get(a->opts, a->nopts, "hostname"), *port = sl_kv_get(a->opts, a->nopts, "port");
    int delim = atoi(sl_conn_opt(&sl_connector_socket, a->opts, a->nopts, "byte-delimiter"));
    snprintf(s->where, sizeof s->where, "%s:%s", host, port);
    sl_conn_ignore_key(sl_kv_get(a->opts, a->nopts, "format"), s->ignore_key, sizeof s->ignore_key);
    int bad;
    sl_status st = sl_format_create(sl_kv_get(a->opts, a->nopts, "format"), a->physical, a->opts, a->nopts, a->job->ltz_offset,
                                    &s->format, &bad, err);
    if (st) {
        sock_close(&tmp);
        return st;
    }
    sl_delim_reader_init(&s->rd, -1, (char)delim, 1u << 16);
    if (a->subtask > 0) { /* not parallel */
        s->done = true;
        *out = sl_operator_new(&sock_vt, s, NULL, NULL);
        return SL_OK;
    }
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc) {
        sock_close(&tmp);
        return sl_error_set(err, SL_ERR_IO, "table '%s': cannot resolve socket host '%s': %s", a->table, host, gai_strerror(rc));
    }
    int last = 0;
    for (struct addrinfo *ai = res; ai && s->fd < 0; ai = ai->ai_next) {
        int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) continue;
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) s->fd = fd;
        else {
            last = errno;
            close(fd);
        }
    }
    freeaddrinfo(res);
    if (s->fd < 0) {
        sock_close(&tmp);
        sl_error_set(err, SL_ERR_IO, "table '%s': cannot connect to socket source %s:%s: %s", a->table, host, port, strerror(last));
        sl_error_hint(err, "the socket source is a client: start the server first (e.g. 'nc -lk %s')", port);
        return SL_ERR_IO;
    }
    fcntl(s->fd, F_SETFL, fcntl(s->fd, F_GETFL) | O_NONBLOCK);
    s->rd.fd = s->fd;
    *out = sl_operator_new(&sock_vt, s, NULL, NULL);
    return SL_OK;
}

const sl_connector sl_connector_socket = {
    .name = "socket",
    .options = socket_opts,
    .noptions = sizeof socket_opts / sizeof socket_opts[0],
    .required = socket_required,
    .format = true,
    .source = true,
    .create_source = sock_source_create,
};
