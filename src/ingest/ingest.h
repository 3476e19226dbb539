/*
 * ingest.h - helpers shared by the input implementations (not part of the
 * interface the service sees).
 *
 * The wake pipe exists because some work is not announced by any
 * descriptor: bytes left in a file after one service call's read budget,
 * or records OpenSSL has already decrypted into its own buffer.  Making the
 * pipe readable keeps the service loop's poll from sleeping on them; it is
 * drained at the start of every service call.
 */
#ifndef YG_INGEST_INGEST_H
#define YG_INGEST_INGEST_H

#include <errno.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include "ingest/input.h"

static inline uint64_t yg__now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

struct yg_wake {
    int rd, wr;
    bool armed;
};

static inline yg_err yg__wake_open(struct yg_wake *w)
{
    int p[2];
    w->rd = w->wr = -1;
    w->armed = false;
    if (pipe2(p, O_NONBLOCK | O_CLOEXEC) != 0)
        return YG_EIO;
    w->rd = p[0];
    w->wr = p[1];
    return YG_OK;
}

static inline void yg__wake_set(struct yg_wake *w)
{
    if (w->armed || w->wr < 0)
        return;
    /* A full pipe is already readable, so a failed write changes nothing. */
    if (write(w->wr, "w", 1) == 1)
        w->armed = true;
}

static inline void yg__wake_drain(struct yg_wake *w)
{
    char tmp[64];
    if (w->rd >= 0)
        while (read(w->rd, tmp, sizeof tmp) > 0) {
        }
    w->armed = false;
}

static inline void yg__wake_close(struct yg_wake *w)
{
    if (w->rd >= 0)
        close(w->rd);
    if (w->wr >= 0)
        close(w->wr);
    w->rd = w->wr = -1;
}

static inline int yg__wake_pollfd(struct yg_wake *w, struct pollfd *fds, int max)
{
    if (max < 1 || w->rd < 0)
        return 0;
    fds[0].fd = w->rd;
    fds[0].events = POLLIN;
    fds[0].revents = 0;
    return 1;
}

#endif
