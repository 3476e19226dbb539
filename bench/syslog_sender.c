/*
 * syslog_sender.c - the load generator of bench/run_watch_bench.sh.
 *
 *   syslog_sender HOST PORT COUNT [MARKER_EVERY]
 *
 * Sends COUNT RFC 5424 messages over one TCP connection with octet-counted
 * framing (RFC 6587), as fast as the connection takes them.  The messages
 * are OpenSSH lines shaped like loghub's OpenSSH sample (deterministic).
 * Every MARKER_EVERY-th message (default 1000) is a marker that the
 * benchmark's rule turns into an alert; it carries its send time in
 * nanoseconds (CLOCK_REALTIME) so that the end-to-end alert latency can be
 * measured from the alerts file.  Prints the count and the send rate.
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

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: syslog_sender HOST PORT COUNT [MARKER_EVERY]\n");
        return 2;
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
    for (long i = 0; i < count; i++) {
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
