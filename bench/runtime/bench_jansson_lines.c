/* bench_jansson_lines FILE — the baseline for the json file source: a plain loop that reads FILE
 * line by line and parses each line with jansson (json_loadb), touching every field's value, as
 * the cheapest possible jansson-based reader would. Prints lines, seconds and lines/s. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: bench_jansson_lines FILE\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    setvbuf(f, NULL, _IOFBF, 1u << 20);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    unsigned long long lines = 0, sink = 0;
    while ((n = getline(&line, &cap, f)) > 0) {
        json_error_t e;
        json_t *j = json_loadb(line, (size_t)n, JSON_DISABLE_EOF_CHECK, &e);
        if (!j) continue;
        const char *k;
        json_t *v;
        json_object_foreach(j, k, v)
        {
            if (json_is_string(v)) sink += json_string_length(v);
            else if (json_is_integer(v)) sink += (unsigned long long)json_integer_value(v);
            else if (json_is_real(v)) sink += (unsigned long long)json_real_value(v);
        }
        json_decref(j);
        lines++;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("jansson loop: %llu lines in %.3f s = %.0f lines/s (checksum %llu)\n", lines, s, (double)lines / s, sink % 1000);
    free(line);
    fclose(f);
    return 0;
}
