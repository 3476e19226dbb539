/*
 * test_sendq.c - the delivery queue the syslog and webhook sinks share
 * (output/sendq.h): items are tried in order, a failed item is tried again
 * at the head after the backoff, each outcome is counted on the sink, the
 * queue frees what it settles, and stopping ends a backoff wait at once and
 * hands back what is left.
 */
#include "output/sendq.h"

#include <stdio.h>

#include "tap.h"

struct item {
    struct yg_sendq_item link;
    char name;
};

/* The script of the send function: how often each item fails before its
 * outcome, and the attempts seen, in order. */
struct script {
    pthread_mutex_t mu;
    pthread_cond_t seen;
    int fails['Z' + 1];
    enum yg_send_outcome outcome['Z' + 1];
    char attempts[64];
    size_t n;
};

static enum yg_send_outcome send_fn(void *ud, struct yg_sendq_item *it)
{
    struct script *s = ud;
    char c = ((struct item *)it)->name;
    pthread_mutex_lock(&s->mu);
    if (s->n < sizeof s->attempts - 1)
        s->attempts[s->n++] = c;
    enum yg_send_outcome o = s->fails[(int)c] > 0 ? YG_SEND_RETRY : s->outcome[(int)c];
    if (s->fails[(int)c] > 0)
        s->fails[(int)c]--;
    pthread_cond_broadcast(&s->seen);
    pthread_mutex_unlock(&s->mu);
    return o;
}

static struct yg_sendq_item *item(char name)
{
    struct item *it = yg_malloc(sizeof *it);
    it->link.next = NULL;
    it->name = name;
    return &it->link;
}

/* Wait, at most 10 s, for the queue to drain: the readiness the sinks' flush
 * waits for. */
static bool drained(struct yg_sendq *q)
{
    struct timespec until = yg__deadline_in(10000);
    pthread_mutex_lock(&q->mu);
    while (q->head && pthread_cond_timedwait(&q->empty, &q->mu, &until) == 0)
        ;
    bool done = q->head == NULL;
    pthread_mutex_unlock(&q->mu);
    return done;
}

static void test_order_and_counts(void)
{
    struct yg_sink sink = {0};
    struct yg_sendq q = {0};
    struct script s = {.n = 0};
    pthread_mutex_init(&s.mu, NULL);
    pthread_cond_init(&s.seen, NULL);
    s.outcome['A'] = YG_SEND_OK;
    s.outcome['B'] = YG_SEND_OK;
    s.fails['B'] = 2;
    s.outcome['C'] = YG_SEND_REJECTED;
    s.outcome['D'] = YG_SEND_GONE;
    s.outcome['E'] = YG_SEND_OK;
    yg__sendq_init(&q, &sink, 1, 2);
    CHECK(q.bmin == 1 && q.bmax == 2);
    for (const char *p = "ABCD"; *p; p++)
        yg__sendq_push(&q, item(*p));
    CHECK(yg__sendq_pending(&q) == 4);
    CHECK(yg__sendq_start(&q, send_fn, &s) == 0);
    yg__sendq_push(&q, item('E'));
    CHECK(drained(&q));
    CHECK(yg__sendq_pending(&q) == 0);
    yg__sendq_stop(&q);
    CHECK(yg__sendq_destroy(&q) == NULL);
    s.attempts[s.n] = 0;
    CHECK_MSG(strcmp(s.attempts, "ABBBCDE") == 0, "attempts %s", s.attempts);
    CHECK(sink.written == 3);
    CHECK(sink.failed == 2);
    CHECK(sink.retried == 2);
    CHECK(sink.dropped == 1);
    pthread_cond_destroy(&s.seen);
    pthread_mutex_destroy(&s.mu);
}

/* A peer that never answers: stop interrupts the backoff wait and the item
 * is handed back, still queued. */
static void test_stop_in_backoff(void)
{
    struct yg_sink sink = {0};
    struct yg_sendq q = {0};
    struct script s = {.n = 0};
    pthread_mutex_init(&s.mu, NULL);
    pthread_cond_init(&s.seen, NULL);
    s.fails['X'] = 1000;
    yg__sendq_init(&q, &sink, 60000, 0);
    CHECK(q.bmin == 60000 && q.bmax == YG_SINK_BACKOFF_MAX_MS);
    CHECK(yg__sendq_start(&q, send_fn, &s) == 0);
    yg__sendq_push(&q, item('X'));
    struct timespec until = yg__deadline_in(10000);
    pthread_mutex_lock(&s.mu);
    while (s.n == 0 && pthread_cond_timedwait(&s.seen, &s.mu, &until) == 0)
        ;
    CHECK(s.n == 1);
    pthread_mutex_unlock(&s.mu);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    yg__sendq_stop(&q);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    CHECK_MSG(t1.tv_sec - t0.tv_sec < 5, "stop took %lld s", (long long)(t1.tv_sec - t0.tv_sec));
    CHECK(sink.failed == 1 && sink.retried == 0 && sink.written == 0);
    struct yg_sendq_item *left = yg__sendq_destroy(&q);
    CHECK(left && ((struct item *)left)->name == 'X' && !left->next);
    yg_free(left);
    pthread_cond_destroy(&s.seen);
    pthread_mutex_destroy(&s.mu);
}

int main(void)
{
    test_order_and_counts();
    test_stop_in_backoff();
    TAP_DONE();
}
