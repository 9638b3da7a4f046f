/* bench/flagship_records.h — records in the flagship job's JSON schema (name, id, name1, num_dou,
 * num_float, num_int, stringmessages), generated deterministically, for the benchmarks that parse
 * them (bench/formats, bench/kafka). Header-only: each benchmark is one program. */
#ifndef SLUICE_BENCH_FLAGSHIP_RECORDS_H
#define SLUICE_BENCH_FLAGSHIP_RECORDS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline double bench_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline uint64_t bench_rand(uint64_t *rng)
{
    *rng ^= *rng << 13;
    *rng ^= *rng >> 7;
    *rng ^= *rng << 17;
    return *rng;
}

/* One record into out; msg_len: length of the stringmessages text (at most 2000). */
static inline size_t bench_make_record(uint64_t *rng, char *out, size_t cap, int i, size_t msg_len)
{
    static const char *const words[] = {"stream", "flink", "sluice", "record", "kafka", "window", "state", "checkpoint",
                                        "barrier", "watermark", "operator", "task", "partition", "offset", "join"};
    char msg[2048];
    size_t n = 0;
    while (n < msg_len && n < sizeof msg - 16) {
        const char *w = words[bench_rand(rng) % 15];
        size_t wl = strlen(w);
        if (n + wl + 1 > msg_len) break;
        memcpy(msg + n, w, wl);
        n += wl;
        msg[n++] = ' ';
    }
    msg[n] = 0;
    return (size_t)snprintf(out, cap,
                            "{\"name\":\"user_%d\",\"id\":%d,\"name1\":\"n%d\",\"num_dou\":%.6f,\"num_float\":%.3f,"
                            "\"num_int\":%d,\"stringmessages\":\"%s\"}",
                            (int)(bench_rand(rng) % 100000), i, i % 977, (double)(bench_rand(rng) % 1000000) / 7.0,
                            (double)(bench_rand(rng) % 10000) / 3.0, (int)(bench_rand(rng) % 100000), msg);
}

/* n records, back to back, with their offsets and lengths. */
typedef struct bench_corpus {
    char *data;
    size_t *off, *len;
    int n;
    size_t bytes;
} bench_corpus;

static inline bench_corpus bench_make_corpus(int n, size_t msg_len)
{
    uint64_t rng = 88172645463325252ULL;
    bench_corpus c = {0};
    c.n = n;
    c.data = malloc((size_t)n * (msg_len + 256));
    c.off = malloc(sizeof(size_t) * (size_t)n);
    c.len = malloc(sizeof(size_t) * (size_t)n);
    size_t pos = 0;
    for (int i = 0; i < n; i++) {
        size_t l = bench_make_record(&rng, c.data + pos, msg_len + 256, i, msg_len);
        c.off[i] = pos;
        c.len[i] = l;
        pos += l;
    }
    c.bytes = pos;
    return c;
}

#endif
