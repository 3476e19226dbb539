/*
 * bench_route - the cost of routing JSON records one by one.
 *
 * `yagura hunt` decides per record which format claims a JSON record
 * (Microsoft 365, Entra, Zeek, Suricata) or that it is a generic JSON event
 * (yg__route_json: a shape key over the first keys, the full sniff once per
 * shape).  This tool runs only that decision over every line of a JSON-lines
 * file, so run_hunt_bench.sh can state its share of the hunt's time per
 * event on the same file.
 *
 *   bench_route [--repeat N] FILE
 *
 * Prints one line: RESULT route records=N ns_per_record=X sniffs=S
 * claimed=C (the fastest of N passes).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "detector/linedec.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    int repeat = 3;
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc)
            repeat = atoi(argv[++i]);
        else
            path = argv[i];
    }
    if (!path || repeat < 1) {
        fprintf(stderr, "usage: bench_route [--repeat N] FILE\n");
        return 2;
    }
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        perror(path);
        return 2;
    }
    size_t len = (size_t)st.st_size;
    const char *b = len ? mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
    close(fd);
    if (len && b == MAP_FAILED) {
        perror("mmap");
        return 2;
    }
    double best = 0;
    unsigned long long recs = 0, sniffs = 0, claimed = 0;
    for (int r = 0; r < repeat; r++) {
        struct yg_linedec d;
        yg__linedec_init(&d);
        unsigned long long n = 0, c = 0;
        double t0 = now();
        for (size_t pos = 0; pos < len;) {
            const char *nl = memchr(b + pos, '\n', len - pos);
            size_t end = nl ? (size_t)(nl - b) : len;
            if (end > pos && b[pos] == '{') {
                n++;
                c += yg__route_json(&d, b + pos, end - pos) != NULL;
            }
            pos = end + 1;
        }
        double t = now() - t0;
        if (r == 0 || t < best)
            best = t;
        recs = n;
        claimed = c;
        sniffs = d.route_sniffs;
        yg__linedec_free(&d);
    }
    printf("RESULT route records=%llu ns_per_record=%.1f sniffs=%llu claimed=%llu\n", recs,
           recs ? best * 1e9 / (double)recs : 0.0, sniffs, claimed);
    return 0;
}
