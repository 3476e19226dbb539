/*
 * sendq.h - the delivery queue of the network sinks (syslog, webhook).
 *
 * The sink's write() appends an item; one worker thread hands the items to
 * the sink's send function in order.  An item stays at the head until it is
 * settled, so a failed attempt is repeated with the same item after an
 * exponentially growing wait (backoff_min_ms doubling up to backoff_max_ms),
 * which keeps the alerts in order and none is lost while the peer is away.
 * The queue counts on its sink: written (sent), dropped (refused by the
 * peer), failed (each failed attempt) and retried (each repeated one).
 *
 * Items are the sink's own structs with a struct yg_sendq_item first,
 * allocated with yg_malloc; the queue frees each one it settles.  The
 * fields under mu (head, qlen, err, and the sink's own fields it keeps with
 * them) may be read by the sink with mu held.
 */
#ifndef YG_OUTPUT_SENDQ_H
#define YG_OUTPUT_SENDQ_H

#include <pthread.h>
#include <time.h>

#include "output/sink.h"

struct yg_sendq_item {
    struct yg_sendq_item *next;
};

enum yg_send_outcome {
    YG_SEND_OK,       /* delivered: counted written */
    YG_SEND_RETRY,    /* not now: counted failed, tried again after a wait */
    YG_SEND_REJECTED, /* refused for good: counted dropped */
    YG_SEND_GONE,     /* nothing left to send (already handled) */
};

struct yg_sendq {
    pthread_mutex_t mu;
    pthread_cond_t wake;  /* to the worker: an item, or stop */
    pthread_cond_t empty; /* to waiters: the queue drained */
    struct yg_sendq_item *head, *tail;
    size_t qlen;
    bool stop;     /* also read without mu (atomic), to abort a transfer */
    char err[200]; /* the worker's last error, under mu */
    unsigned bmin, bmax;
    struct yg_sink *sink;
    /* Called by the worker without mu held. */
    enum yg_send_outcome (*send)(void *ud, struct yg_sendq_item *it);
    void *ud;
    pthread_t th;
    bool started;
};

/* backoff 0: the defaults of include/yagura/limits.h; bmax is at least bmin. */
void yg__sendq_init(struct yg_sendq *q, struct yg_sink *sink, unsigned backoff_min_ms,
                    unsigned backoff_max_ms);
/* Start the worker; 0 or the pthread_create error. */
int yg__sendq_start(struct yg_sendq *q,
                    enum yg_send_outcome (*send)(void *, struct yg_sendq_item *), void *ud);
/* Append it and wake the worker. */
void yg__sendq_push(struct yg_sendq *q, struct yg_sendq_item *it);
/* Stop the worker (an attempt in flight ends first) and wait for it. */
void yg__sendq_stop(struct yg_sendq *q);
/* After stop: the items left (the caller frees them) and the locks freed. */
struct yg_sendq_item *yg__sendq_destroy(struct yg_sendq *q);
/* Items queued or being retried. */
size_t yg__sendq_pending(struct yg_sendq *q);
/* The worker's last error, for the sink's messages. */
void yg__sendq_error(struct yg_sendq *q, const char *fmt, ...) YG_PRINTF(2, 3);
/* The CLOCK_REALTIME time ms from now, for pthread_cond_timedwait. */
struct timespec yg__deadline_in(unsigned ms);

#endif
