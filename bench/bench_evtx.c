/*
 * bench_evtx.c - throughput of the EVTX reader (yg_evtx_parse).
 *
 *   bench_evtx FILE.evtx [ROUNDS] [--evtxexport]
 *
 * Maps the file, renders every record to JSON ROUNDS times (default: as
 * many rounds as fit in about two seconds) and prints MB/s of EVTX input
 * and records/s, best round and mean.  The JSON is consumed by summing its
 * length so that nothing is optimised away.  With --evtxexport the same
 * file is also run once through libevtx's `evtxexport` (text output to
 * /dev/null) for comparison, when that tool is installed.
 *
 * Record every number with the commit and the machine it was measured on.
 */
#include "decode/evtx.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct tally {
    uint64_t records, bytes, diags;
};

static void on_record(void *ud, uint64_t id, const char *json, size_t len)
{
    struct tally *t = ud;
    (void)id;
    (void)json;
    t->records++;
    t->bytes += len;
}

static void on_diag(void *ud, uint64_t off, const char *what)
{
    struct tally *t = ud;
    if (!t->diags++)
        fprintf(stderr, "diag at %llu: %s\n", (unsigned long long)off, what);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Wall time of `evtxexport path > /dev/null`, or a negative value. */
static double time_evtxexport(const char *path)
{
    double t0 = now();
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int fd = open("/dev/null", O_WRONLY);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        execlp("evtxexport", "evtxexport", path, (char *)NULL);
        _exit(127);
    }
    int st;
    if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        return -1;
    return now() - t0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE.evtx [ROUNDS] [--evtxexport]\n", argv[0]);
        return 2;
    }
    const char *path = argv[1];
    long rounds = 0;
    int with_evtxexport = 0;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--evtxexport"))
            with_evtxexport = 1;
        else
            rounds = strtol(argv[i], NULL, 10);
    }
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0 || st.st_size <= 0) {
        perror(path);
        return 1;
    }
    size_t len = (size_t)st.st_size;
    const uint8_t *data = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (data == MAP_FAILED) {
        perror("mmap");
        return 1;
    }

    /* One warm-up round also gives the record count. */
    struct tally t = {0};
    yg_err err = yg_evtx_parse(data, len, on_record, on_diag, &t);
    if (err) {
        fprintf(stderr, "%s: %s\n", path, yg_strerror(err));
        return 1;
    }
    uint64_t per_round = t.records;
    double t_first = now(), best = 1e30, total = 0;
    long done = 0;
    for (;;) {
        if (rounds ? done >= rounds : (done >= 3 && now() - t_first > 2.0))
            break;
        double t0 = now();
        if (yg_evtx_parse(data, len, on_record, NULL, &t) != YG_OK)
            return 1;
        double dt = now() - t0;
        total += dt;
        if (dt < best)
            best = dt;
        done++;
    }
    double mb = (double)len / 1e6;
    printf("file: %s (%.2f MB, %llu records, %llu diags)\n", path, mb,
           (unsigned long long)per_round, (unsigned long long)t.diags);
    printf("rounds: %ld, JSON out per round: %.2f MB\n", done,
           (double)t.bytes / (double)(done + 1) / 1e6);
    printf("best: %.1f MB/s, %.0f records/s\n", mb / best, (double)per_round / best);
    printf("mean: %.1f MB/s, %.0f records/s\n", mb * (double)done / total,
           (double)per_round * (double)done / total);
    if (with_evtxexport) {
        double te = time_evtxexport(path);
        if (te < 0)
            printf("evtxexport: not available\n");
        else
            printf("evtxexport (text to /dev/null, one run): %.3f s, %.1f MB/s\n", te, mb / te);
    }
    munmap((void *)data, len);
    return 0;
}
