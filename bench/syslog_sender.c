/*
 * syslog_sender.c - the load generator of bench/run_watch_bench.sh.
 *
 *   syslog_sender HOST PORT COUNT [MARKER_EVERY]
 *   syslog_sender --lines FILE --marker MARKER_FILE HOST PORT COUNT [MARKER_EVERY]
 *
 * Sends COUNT RFC 5424 messages over one TCP connection with octet-counted
 * framing (RFC 6587), as fast as the connection takes them.  The messages
 * are OpenSSH lines shaped like loghub's OpenSSH sample (deterministic).
 * Every MARKER_EVERY-th message (default 1000) is a marker that the
 * benchmark's rule turns into an alert; it carries its send time in
 * nanoseconds (CLOCK_REALTIME) so that the end-to-end alert latency can be
 * measured from the alerts file.  Prints the count and the send rate.
 *
 * With --lines, the messages are the lines of FILE instead (prepared JSON
 * records, for instance), sent in turn and from the first again when FILE
 * is used up, newline-terminated as a JSON-lines forwarder sends them; the
 * marker is the first line of MARKER_FILE with every "@SENT@" replaced by
 * the send time in nanoseconds.  FILE is read into memory before the clock
 * starts, so the rate is the connection's, not the disk's or a formatter's.
 */
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Reads a whole file into memory; exits on failure (a benchmark tool). */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        exit(2);
    }
    size_t cap = 1 << 20, n = 0;
    char *buf = malloc(cap);
    size_t r;
    while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap)
            buf = realloc(buf, cap *= 2);
    }
    if (!buf || ferror(f)) {
        fprintf(stderr, "syslog_sender: cannot read %s\n", path);
        exit(2);
    }
    fclose(f);
    *len = n;
    return buf;
}

static int write_all(int fd, const char *p, size_t n)
{
    size_t off = 0;
    while (off < n) {
        ssize_t w = write(fd, p + off, n - off);
        if (w <= 0) {
            perror("syslog_sender: write");
            return -1;
        }
        off += (size_t)w;
    }
    return 0;
}

/* A prepared line of --lines: where it starts and how long it is (no newline). */
struct line {
    const char *p;
    size_t n;
};

int main(int argc, char **argv)
{
    const char *lines_path = NULL, *marker_path = NULL;
    while (argc > 2 && (strcmp(argv[1], "--lines") == 0 || strcmp(argv[1], "--marker") == 0)) {
        if (strcmp(argv[1], "--lines") == 0)
            lines_path = argv[2];
        else
            marker_path = argv[2];
        argv += 2;
        argc -= 2;
    }
    if (argc < 4 || (lines_path && !marker_path)) {
        fprintf(stderr, "usage: syslog_sender HOST PORT COUNT [MARKER_EVERY]\n"
                        "       syslog_sender --lines FILE --marker MARKER_FILE HOST PORT COUNT "
                        "[MARKER_EVERY]\n");
        return 2;
    }
    /* The prepared lines, split once so the sending loop only copies. */
    struct line *lines = NULL;
    size_t nlines = 0;
    char marker[64 * 1024];
    size_t marker_n = 0;
    if (lines_path) {
        size_t len, cap = 0;
        char *text = slurp(lines_path, &len);
        for (size_t i = 0; i < len;) {
            const char *nl = memchr(text + i, '\n', len - i);
            size_t n = nl ? (size_t)(nl - (text + i)) : len - i;
            if (n > 0) {
                if (nlines == cap) {
                    cap = cap ? cap * 2 : 4096;
                    lines = realloc(lines, cap * sizeof *lines);
                    if (!lines) {
                        fputs("syslog_sender: out of memory\n", stderr);
                        return 2;
                    }
                }
                lines[nlines++] = (struct line){text + i, n};
            }
            i += n + 1;
        }
        size_t mlen;
        char *m = slurp(marker_path, &mlen);
        const char *nl = memchr(m, '\n', mlen);
        marker_n = nl ? (size_t)(nl - m) : mlen;
        /* Each "@SENT@" grows by at most 13 bytes (19 digits): the marker as
           sent must fit in sizeof marker, which the send buffer keeps free. */
        size_t grown = marker_n;
        for (size_t k = 0; k + 6 <= marker_n; k++)
            if (memcmp(m + k, "@SENT@", 6) == 0)
                grown += 13;
        if (nlines == 0 || marker_n == 0 || grown > sizeof marker - 64) {
            fprintf(stderr, "syslog_sender: %s has no line, or %s none of at most %zu bytes\n",
                    lines_path, marker_path, sizeof marker - 64);
            return 2;
        }
        memcpy(marker, m, marker_n);
        free(m);
    }
    long count = atol(argv[3]), every = argc > 4 ? atol(argv[4]) : 1000;
    struct addrinfo hints = {0}, *ai;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(argv[1], argv[2], &hints, &ai) != 0) {
        fprintf(stderr, "syslog_sender: cannot resolve %s:%s\n", argv[1], argv[2]);
        return 2;
    }
    int fd = socket(ai->ai_family, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        perror("syslog_sender: connect");
        return 2;
    }
    freeaddrinfo(ai);
    static char out[1 << 20];
    size_t on = 0;
    double t0 = now();
    for (long i = 0; lines && i < count; i++) {
        if (every > 0 && i % every == 0) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            char sent[32];
            int sn = snprintf(sent, sizeof sent, "%lld",
                              (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
            /* Copy the marker with each "@SENT@" replaced by the send time. */
            for (size_t k = 0; k < marker_n;) {
                if (marker_n - k >= 6 && memcmp(marker + k, "@SENT@", 6) == 0) {
                    memcpy(out + on, sent, (size_t)sn);
                    on += (size_t)sn;
                    k += 6;
                } else {
                    out[on++] = marker[k++];
                }
            }
        } else {
            const struct line *l = &lines[(size_t)i % nlines];
            if (on + l->n + 1 > sizeof out) {
                if (write_all(fd, out, on) != 0)
                    return 1;
                on = 0;
            }
            if (l->n + 1 > sizeof out) { /* longer than the buffer: straight out */
                if (write_all(fd, l->p, l->n) != 0 || write_all(fd, "\n", 1) != 0)
                    return 1;
                continue;
            }
            memcpy(out + on, l->p, l->n);
            on += l->n;
        }
        out[on++] = '\n';
        if (on > sizeof out - sizeof marker || i == count - 1) {
            if (write_all(fd, out, on) != 0)
                return 1;
            on = 0;
        }
    }
    for (long i = 0; !lines && i < count; i++) {
        char msg[512];
        int n;
        if (every > 0 && i % every == 0) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            long long ns = (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
            n = snprintf(msg, sizeof msg,
                         "<38>1 2024-01-10T10:00:00.000Z LabSZ sshd 24200 - - Accepted "
                         "publickey for benchmarker from 198.51.100.1 port 22 ssh2 sent=%lld",
                         ns);
        } else {
            n = snprintf(msg, sizeof msg,
                         "<38>1 2024-01-10T10:00:00.000Z LabSZ sshd %ld - - Connection closed by "
                         "192.0.2.%ld port %ld [preauth]",
                         20000 + i % 9000, i % 250, 30000 + i % 30000);
        }
        int h = snprintf(out + on, sizeof out - on, "%d ", n);
        on += (size_t)h;
        memcpy(out + on, msg, (size_t)n);
        on += (size_t)n;
        if (on > sizeof out - 1024 || i == count - 1) {
            size_t off = 0;
            while (off < on) {
                ssize_t w = write(fd, out + off, on - off);
                if (w <= 0) {
                    perror("syslog_sender: write");
                    return 1;
                }
                off += (size_t)w;
            }
            on = 0;
        }
    }
    double dt = now() - t0;
    close(fd);
    printf("sent %ld messages in %.3f s (%.0f messages/s)\n", count, dt, (double)count / dt);
    return 0;
}
