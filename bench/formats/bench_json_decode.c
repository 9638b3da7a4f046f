/* bench/formats/bench_json_decode.c — JSON decoding against raw jansson, in the same run.
 *
 * Generates N records of about 100 B and about 1 KB with the flagship schema (name STRING, id INT,
 * name1 STRING, num_dou DOUBLE, num_float DOUBLE, num_int INT, stringmessages STRING), then times
 *   (a) json_loadb + json_decref over the buffers (the baseline: parsing alone), and
 *   (b) sl_format_decode over the same buffers (parsing + conversion into binary rows),
 * and prints records/s for each and the ratio b/a (target >= 0.80). The records are timed in
 * blocks of 1000: each block runs a and b alternately `rounds` times and keeps the fastest time of
 * each, so a burst of load from other processes (these machines are shared) hits one sample of one
 * block, not a whole mode.
 *
 *   bench_json_decode [records (100000)] [rounds (7)] */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/flagship_records.h"
#include "common/arena.h"
#include "common/error.h"
#include "connectors/formats/format.h"
#include "sql/types.h"

#define now_s bench_now_s
typedef bench_corpus corpus;
#define make_corpus bench_make_corpus

static uint64_t sink_bytes;
static void on_row(void *ctx, const uint8_t *row)
{
    (void)ctx;
    sink_bytes += sl_row_len(row);
}

#define BLOCK 1000

static double run_jansson(const corpus *c, int from, int to)
{
    double t0 = now_s();
    for (int i = from; i < to; i++) {
        json_error_t je;
        json_t *v = json_loadb(c->data + c->off[i], c->len[i], JSON_ALLOW_NUL, &je);
        if (!v) {
            fprintf(stderr, "jansson: %s\n", je.text);
            exit(1);
        }
        json_decref(v);
    }
    return now_s() - t0;
}

static double run_format(const corpus *c, sl_format *f, int from, int to)
{
    uint64_t skipped = 0;
    sl_error err;
    double t0 = now_s();
    for (int i = from; i < to; i++) {
        if (sl_format_decode(f, c->data + c->off[i], c->len[i], on_row, NULL, &skipped, &err) != SL_OK) {
            fprintf(stderr, "decode: %s %s\n", err.message, err.detail);
            exit(1);
        }
    }
    if (skipped) {
        fprintf(stderr, "decode skipped %llu records\n", (unsigned long long)skipped);
        exit(1);
    }
    return now_s() - t0;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 100000;
    int rounds = argc > 2 ? atoi(argv[2]) : 7;
    if (n <= 0 || rounds <= 0) {
        fprintf(stderr, "usage: bench_json_decode [records] [rounds]\n");
        return 2;
    }
    sl_arena *a = sl_arena_create(0);
    const sql_type *row = sql_type_parse(a, "ROW<`name` STRING, `id` INT, `name1` STRING, `num_dou` DOUBLE, "
                                            "`num_float` DOUBLE, `num_int` INT, `stringmessages` STRING>");
    sl_kv opts[] = {{"json.ignore-parse-errors", "true"}};
    sl_format *f;
    int bad;
    sl_error err;
    if (sl_format_create("json", row, opts, 1, 0, &f, &bad, &err) != SL_OK) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    const size_t sizes[] = {12, 900};
    int worst_ok = 1;
    printf("%-8s %10s %16s %16s %7s\n", "record", "avg bytes", "jansson rec/s", "sl_format rec/s", "ratio");
    for (int s = 0; s < 2; s++) {
        corpus c = make_corpus(n, sizes[s]);
        double best_a = 0, best_b = 0;
        run_jansson(&c, 0, c.n); /* warm up: page in the corpus, grow the format's buffers */
        run_format(&c, f, 0, c.n);
        for (int from = 0; from < c.n; from += BLOCK) {
            int to = from + BLOCK < c.n ? from + BLOCK : c.n;
            double ma = 1e30, mb = 1e30;
            for (int r = 0; r < rounds; r++) {
                double ta = run_jansson(&c, from, to), tb = run_format(&c, f, from, to);
                if (ta < ma) ma = ta;
                if (tb < mb) mb = tb;
            }
            best_a += ma;
            best_b += mb;
        }
        double ra = n / best_a, rb = n / best_b, ratio = rb / ra;
        printf("%-8s %10.0f %16.0f %16.0f %7.2f\n", s ? "~1KB" : "~100B", (double)c.bytes / n, ra, rb, ratio);
        if (ratio < 0.8) worst_ok = 0;
        free(c.data);
        free(c.off);
        free(c.len);
    }
    printf("target: sl_format_decode >= 0.80 x jansson parse: %s\n", worst_ok ? "met" : "NOT met");
    sl_format_destroy(f);
    sl_arena_destroy(a);
    return sink_bytes ? 0 : 1;
}
