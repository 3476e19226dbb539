/*
 * http_guard.c - request deadlines and log rate of the libmicrohttpd
 * servers (http_guard.h).
 *
 * Each connection has an entry in a doubly linked list under one mutex:
 * its socket, its phase and the deadline of that phase.  The guard's
 * thread wakes every GUARD_TICK_MS and shuts down the sockets whose
 * deadline has passed; a tick of a tenth of a second is precise enough for
 * deadlines of seconds and costs a walk over at most the server's
 * connection limit.
 */
#include "http/http_guard.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>

#include "core/log.h"

#define GUARD_TICK_MS 100
/* libmicrohttpd log lines let through per minute. */
#define LOG_PER_MINUTE 10u

struct gconn {
    struct gconn *prev, *next;
    int fd;
    enum yg_http_phase phase;
    int64_t deadline_ms; /* 0: none */
    bool cut;
};

struct yg_http_guard {
    char name[16];
    unsigned header_ms, body_ms;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thr;
    bool stop, started;
    struct gconn *head;
    /* log rate */
    pthread_mutex_t lmu;
    int64_t log_minute;
    unsigned log_lines;
    uint64_t log_dropped;
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void set_phase(struct yg_http_guard *g, struct gconn *e, enum yg_http_phase ph)
{
    unsigned ms = ph == YG_HTTP_HEADERS ? g->header_ms : ph == YG_HTTP_BODY ? g->body_ms : 0;
    e->phase = ph;
    e->deadline_ms = ms ? mono_ms() + ms : 0;
}

static void *guard_main(void *arg)
{
    struct yg_http_guard *g = arg;
    pthread_mutex_lock(&g->mu);
    while (!g->stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += GUARD_TICK_MS * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&g->cv, &g->mu, &ts);
        int64_t now = mono_ms();
        for (struct gconn *e = g->head; e; e = e->next)
            if (!e->cut && e->deadline_ms && now >= e->deadline_ms) {
                /* The entry exists, so libmicrohttpd has not closed fd. */
                (void)shutdown(e->fd, SHUT_RDWR);
                e->cut = true;
            }
    }
    pthread_mutex_unlock(&g->mu);
    return NULL;
}

yg_err yg__http_guard_new(const char *name, unsigned header_ms, unsigned body_ms,
                          struct yg_http_guard **out)
{
    *out = NULL;
    struct yg_http_guard *g = yg_calloc(1, sizeof *g);
    if (!g)
        return YG_ENOMEM;
    snprintf(g->name, sizeof g->name, "%s", name);
    g->header_ms = header_ms;
    g->body_ms = body_ms;
    pthread_mutex_init(&g->mu, NULL);
    pthread_mutex_init(&g->lmu, NULL);
    pthread_cond_init(&g->cv, NULL);
    if (pthread_create(&g->thr, NULL, guard_main, g) != 0) {
        yg__http_guard_free(g);
        return YG_ENOMEM;
    }
    g->started = true;
    *out = g;
    return YG_OK;
}

void yg__http_guard_free(struct yg_http_guard *g)
{
    if (!g)
        return;
    if (g->started) {
        pthread_mutex_lock(&g->mu);
        g->stop = true;
        pthread_cond_signal(&g->cv);
        pthread_mutex_unlock(&g->mu);
        pthread_join(g->thr, NULL);
    }
    /* MHD_stop_daemon closed every connection, so the list is empty; free
     * what is left anyway. */
    for (struct gconn *e = g->head, *n; e; e = n) {
        n = e->next;
        yg_free(e);
    }
    pthread_cond_destroy(&g->cv);
    pthread_mutex_destroy(&g->mu);
    pthread_mutex_destroy(&g->lmu);
    yg_free(g);
}

void yg__http_guard_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                           enum MHD_ConnectionNotificationCode code)
{
    struct yg_http_guard *g = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        struct gconn *e = yg_calloc(1, sizeof *e);
        if (!e || !ci) {
            /* Without an entry nothing would ever cut this connection:
             * refuse it rather than serve it unguarded. */
            yg_free(e);
            if (ci)
                (void)shutdown(ci->connect_fd, SHUT_RDWR);
            *socket_context = NULL;
            return;
        }
        e->fd = ci->connect_fd;
        pthread_mutex_lock(&g->mu);
        set_phase(g, e, YG_HTTP_HEADERS);
        e->next = g->head;
        if (g->head)
            g->head->prev = e;
        g->head = e;
        pthread_mutex_unlock(&g->mu);
        *socket_context = e;
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
        struct gconn *e = *socket_context;
        if (!e)
            return;
        pthread_mutex_lock(&g->mu);
        if (e->prev)
            e->prev->next = e->next;
        else
            g->head = e->next;
        if (e->next)
            e->next->prev = e->prev;
        pthread_mutex_unlock(&g->mu);
        yg_free(e);
        *socket_context = NULL;
    }
}

void yg__http_guard_phase(struct yg_http_guard *g, struct MHD_Connection *c, enum yg_http_phase ph)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    struct gconn *e = ci ? ci->socket_context : NULL;
    if (!e)
        return;
    pthread_mutex_lock(&g->mu);
    set_phase(g, e, ph);
    pthread_mutex_unlock(&g->mu);
}

void yg__http_guard_log(void *cls, const char *fmt, va_list ap)
{
    struct yg_http_guard *g = cls;
    uint64_t dropped = 0;
    pthread_mutex_lock(&g->lmu);
    int64_t minute = mono_ms() / 60000;
    if (minute != g->log_minute) {
        g->log_minute = minute;
        g->log_lines = 0;
    }
    bool pass = g->log_lines < LOG_PER_MINUTE;
    if (pass) {
        g->log_lines++;
        dropped = g->log_dropped;
        g->log_dropped = 0;
    } else {
        g->log_dropped++;
    }
    pthread_mutex_unlock(&g->lmu);
    if (!pass)
        return;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && msg[n - 1] == '\n')
        msg[--n] = 0;
    if (dropped)
        yg__log(YG_LOG_WARNING, "%s: %s (%llu similar lines left out before this one)", g->name,
                msg, (unsigned long long)dropped);
    else
        yg__log(YG_LOG_WARNING, "%s: %s", g->name, msg);
}

void yg__http_peer(struct MHD_Connection *c, char *out, size_t n)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;
    char buf[INET6_ADDRSTRLEN];
    snprintf(out, n, "%s", "");
    if (!sa)
        return;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
        if (inet_ntop(AF_INET, &s4->sin_addr, buf, sizeof buf))
            snprintf(out, n, "%s", buf);
    } else if (sa->sa_family == AF_INET6) {
        struct in6_addr a = ((const struct sockaddr_in6 *)sa)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(&a)) {
            if (inet_ntop(AF_INET, &a.s6_addr[12], buf, sizeof buf))
                snprintf(out, n, "%s", buf);
            return;
        }
        memset(&a.s6_addr[8], 0, 8);
        if (inet_ntop(AF_INET6, &a, buf, sizeof buf))
            snprintf(out, n, "%s/64", buf);
    }
}
