/*
 * sendq.c - the delivery queue and worker of the network sinks (sendq.h).
 */
#include "output/sendq.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>

struct timespec yg__deadline_in(unsigned ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    return ts;
}

void yg__sendq_init(struct yg_sendq *q, struct yg_sink *sink, unsigned backoff_min_ms,
                    unsigned backoff_max_ms)
{
    q->sink = sink;
    q->bmin = backoff_min_ms ? backoff_min_ms : YG_SINK_BACKOFF_MIN_MS;
    q->bmax = backoff_max_ms ? backoff_max_ms : YG_SINK_BACKOFF_MAX_MS;
    if (q->bmax < q->bmin)
        q->bmax = q->bmin;
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->wake, NULL);
    pthread_cond_init(&q->empty, NULL);
}

void yg__sendq_push(struct yg_sendq *q, struct yg_sendq_item *it)
{
    pthread_mutex_lock(&q->mu);
    /* The queue is empty at both ends or at neither. */
    assert(!it->next && (q->head == NULL) == (q->tail == NULL));
    if (q->tail)
        q->tail->next = it;
    else
        q->head = it;
    q->tail = it;
    q->qlen++;
    pthread_cond_signal(&q->wake);
    pthread_mutex_unlock(&q->mu);
}

void yg__sendq_error(struct yg_sendq *q, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pthread_mutex_lock(&q->mu);
    vsnprintf(q->err, sizeof q->err, fmt, ap);
    pthread_mutex_unlock(&q->mu);
    va_end(ap);
}

size_t yg__sendq_pending(struct yg_sendq *q)
{
    pthread_mutex_lock(&q->mu);
    size_t n = q->qlen;
    pthread_mutex_unlock(&q->mu);
    return n;
}

static void *worker(void *arg)
{
    struct yg_sendq *q = arg;
    unsigned delay = q->bmin;
    pthread_mutex_lock(&q->mu);
    while (!q->stop) {
        if (!q->head) {
            pthread_cond_wait(&q->wake, &q->mu);
            continue;
        }
        struct yg_sendq_item *it = q->head; /* stays queued until settled */
        pthread_mutex_unlock(&q->mu);
        enum yg_send_outcome o = q->send(q->ud, it);
        pthread_mutex_lock(&q->mu);
        if (o != YG_SEND_RETRY) {
            /* Only this thread takes items off; it is still the head. */
            assert(q->head == it && q->qlen > 0);
            q->head = it->next;
            if (!q->head)
                q->tail = NULL;
            q->qlen--;
            yg_free(it);
            if (o == YG_SEND_OK)
                YG_SINK_COUNT(q->sink, written, 1);
            else if (o == YG_SEND_REJECTED)
                YG_SINK_COUNT(q->sink, dropped, 1);
            delay = q->bmin;
            if (!q->head)
                pthread_cond_broadcast(&q->empty);
            continue;
        }
        YG_SINK_COUNT(q->sink, failed, 1);
        /* Back off before the next attempt, unless told to stop. */
        struct timespec until = yg__deadline_in(delay);
        while (!q->stop && pthread_cond_timedwait(&q->wake, &q->mu, &until) == 0)
            ;
        delay = delay >= q->bmax / 2 ? q->bmax : delay * 2;
        if (!q->stop)
            YG_SINK_COUNT(q->sink, retried, 1);
    }
    pthread_mutex_unlock(&q->mu);
    return NULL;
}

int yg__sendq_start(struct yg_sendq *q,
                    enum yg_send_outcome (*send)(void *, struct yg_sendq_item *), void *ud)
{
    q->send = send;
    q->ud = ud;
    int rc = pthread_create(&q->th, NULL, worker, q);
    q->started = rc == 0;
    return rc;
}

void yg__sendq_stop(struct yg_sendq *q)
{
    if (!q->started)
        return;
    pthread_mutex_lock(&q->mu);
    __atomic_store_n(&q->stop, true, __ATOMIC_RELAXED);
    pthread_cond_broadcast(&q->wake);
    pthread_mutex_unlock(&q->mu);
    pthread_join(q->th, NULL);
    q->started = false;
}

struct yg_sendq_item *yg__sendq_destroy(struct yg_sendq *q)
{
    struct yg_sendq_item *left = q->head;
    q->head = q->tail = NULL;
    q->qlen = 0;
    pthread_cond_destroy(&q->wake);
    pthread_cond_destroy(&q->empty);
    pthread_mutex_destroy(&q->mu);
    return left;
}
