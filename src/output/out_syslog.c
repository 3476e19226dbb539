/*
 * out_syslog.c - alerts forwarded to a syslog collector as RFC 5424
 * messages, over UDP (one datagram each, RFC 5426) or TCP (octet-counted
 * framing, RFC 6587 section 3.4.1: "LEN SP MSG", which survives line
 * breaks inside the message).
 *
 * The caller only formats and queues: a worker thread owns the socket,
 * connects (non-blocking, with a timeout), sends, and on any error closes,
 * waits (exponential backoff) and reconnects.  The queue is bounded; when
 * the collector is away long enough to fill it, new alerts are dropped and
 * counted, and the next flush() says so, because holding the service for
 * a remote collector would stop detection altogether.
 *
 * A message: <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID alert
 *            [yagura@32473 id="" rule_id="" rule_title="" level=""] JSON
 * 32473 is the example enterprise number of RFC 5612, the number RFC 5424
 * itself uses for structured data of software without a registered one.
 * The MSG is the alert JSON, sent as MSG-ANY (no BOM: collectors that index
 * JSON bodies commonly mishandle it).
 */
#include "output/sendq.h"
#include "core/timeparse.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define IO_TIMEOUT_MS 5000 /* most one connect or one send may wait */

struct msg {
    struct yg_sendq_item link;
    size_t n;
    char data[];
};

struct syslog_sink {
    struct yg_sink base;
    char *host, *port, *app, *hostname;
    bool tcp;
    int facility, pid;
    unsigned queue_max, flush_ms;

    struct yg_sendq q;
    uint64_t dropped_unreported; /* under q.mu */

    int fd; /* worker only */
    struct yg_buf scratch;
};

static void set_err(struct syslog_sink *y, const char *what, int e)
{
    yg__sendq_error(&y->q, "%s %s:%s: %s", what, y->host, y->port, strerror(e));
}

static void close_peer(struct syslog_sink *y)
{
    if (y->fd >= 0)
        close(y->fd);
    y->fd = -1;
}

/* Wait for ev on the worker's socket; false on timeout or error. */
static bool wait_fd(int fd, short ev, int ms)
{
    struct pollfd p = {.fd = fd, .events = ev};
    int rc;
    do
        rc = poll(&p, 1, ms);
    while (rc < 0 && errno == EINTR);
    return rc == 1 && (p.revents & ev);
}

static bool connect_peer(struct syslog_sink *y)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = y->tcp ? SOCK_STREAM : SOCK_DGRAM};
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(y->host, y->port, &hints, &res);
    if (rc != 0) {
        yg__sendq_error(&y->q, "resolving %s:%s: %s", y->host, y->port, gai_strerror(rc));
        return false;
    }
    int e = 0;
    for (struct addrinfo *a = res; a; a = a->ai_next) {
        int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            e = errno;
            continue;
        }
        if (connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
            y->fd = fd;
            break;
        }
        e = errno;
        if (e == EINPROGRESS && wait_fd(fd, POLLOUT, IO_TIMEOUT_MS)) {
            socklen_t l = sizeof e;
            if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &l) == 0 && e == 0) {
                y->fd = fd;
                break;
            }
        } else if (e == EINPROGRESS) {
            e = ETIMEDOUT;
        }
        close(fd);
    }
    freeaddrinfo(res);
    if (y->fd < 0) {
        set_err(y, "connecting to", e ? e : ECONNREFUSED);
        return false;
    }
    return true;
}

static bool send_all(struct syslog_sink *y, const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(y->fd, p, n, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if ((errno == EAGAIN || errno == EWOULDBLOCK) && wait_fd(y->fd, POLLOUT, IO_TIMEOUT_MS))
                continue;
            set_err(y, "sending to", errno == EAGAIN ? ETIMEDOUT : errno);
            return false;
        }
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* A TCP collector that closed its side is only noticed on the second send
 * after the close; look for the EOF first so no message goes into a dead
 * connection. */
static bool peer_closed(struct syslog_sink *y)
{
    char b[256];
    for (;;) {
        ssize_t r = recv(y->fd, b, sizeof b, MSG_DONTWAIT);
        if (r > 0)
            continue; /* collectors do not talk back; ignore */
        if (r == 0)
            return true;
        return !(errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR);
    }
}

static bool deliver(struct syslog_sink *y, const struct msg *m)
{
    if (y->fd >= 0 && y->tcp && peer_closed(y))
        close_peer(y);
    if (y->fd < 0 && !connect_peer(y))
        return false;
    if (y->tcp) {
        char len[24];
        int ln = snprintf(len, sizeof len, "%zu ", m->n);
        if (!send_all(y, len, (size_t)ln) || !send_all(y, m->data, m->n)) {
            close_peer(y);
            return false;
        }
        return true;
    }
    /* A datagram goes whole or not at all; ECONNREFUSED reports an ICMP
     * answer to an earlier datagram, which may or may not have arrived. */
    if (!send_all(y, m->data, m->n)) {
        close_peer(y);
        return false;
    }
    return true;
}

static enum yg_send_outcome send_one(void *ud, struct yg_sendq_item *it)
{
    return deliver(ud, (const struct msg *)it) ? YG_SEND_OK : YG_SEND_RETRY;
}

static int severity_of(const char *level)
{
    static const struct {
        const char *name;
        int sev;
    } map[] = {{"critical", 2}, {"high", 3}, {"medium", 4}, {"low", 5}, {"informational", 6}};
    for (size_t i = 0; level && i < sizeof map / sizeof map[0]; i++)
        if (strcmp(level, map[i].name) == 0)
            return map[i].sev;
    return 5;
}

/* SD-PARAM value: '"', '\' and ']' are escaped with a backslash (RFC 5424
 * section 6.3.3). */
static yg_err add_sd_value(struct yg_buf *b, const char *v)
{
    yg_err err = YG_OK;
    for (const char *p = v ? v : ""; *p; p++) {
        if (*p == '"' || *p == '\\' || *p == ']')
            YG_TRY(yg_buf_addc(b, '\\'));
        YG_TRY(yg_buf_addc(b, *p));
    }
done:
    return err;
}

yg_err yg__syslog_format(struct yg_buf *b, int facility, const char *hostname, const char *app,
                         int pid, const struct yg_alert_row *row)
{
    yg_err err = YG_OK;
    struct timespec ts;
    char when[YG_TIME_TEXT];
    clock_gettime(CLOCK_REALTIME, &ts);
    yg__time_format_frac(ts.tv_sec, (uint32_t)(ts.tv_nsec / 1000000), 3, when);
    YG_TRY(yg_buf_addf(b, "<%d>1 %s %s %s %d alert ", facility * 8 + severity_of(row->level), when,
                       hostname, app, pid));
    static const char *const names[] = {"id", "rule_id", "rule_title", "level"};
    const char *vals[] = {row->id, row->rule_id, row->rule_title, row->level};
    YG_TRY(yg_buf_add(b, "[yagura@32473", 13));
    for (int i = 0; i < 4; i++) {
        YG_TRY(yg_buf_addf(b, " %s=\"", names[i]));
        YG_TRY(add_sd_value(b, vals[i]));
        YG_TRY(yg_buf_addc(b, '"'));
    }
    YG_TRY(yg_buf_add(b, "] ", 2));
    YG_TRY(yg_buf_add(b, row->json, strlen(row->json)));
done:
    return err;
}

static yg_err syslog_write(struct yg_sink *s, const struct yg_alert_row *row)
{
    struct syslog_sink *y = (struct syslog_sink *)s;
    yg_buf_reset(&y->scratch);
    yg_err err = yg__syslog_format(&y->scratch, y->facility, y->hostname, y->app, y->pid, row);
    if (err != YG_OK) {
        snprintf(s->why, sizeof s->why, "syslog sink %s: formatting an alert: %s", s->name,
                 yg_strerror(err));
        YG_SINK_COUNT(s, failed, 1);
        return err;
    }
    if (!y->tcp && y->scratch.n > YG_SINK_UDP_MAX) {
        snprintf(s->why, sizeof s->why, "syslog sink %s: alert of %zu bytes is too large for UDP",
                 s->name, y->scratch.n);
        YG_SINK_COUNT(s, dropped, 1);
        return YG_ELIMIT;
    }
    pthread_mutex_lock(&y->q.mu);
    bool full = y->q.qlen >= y->queue_max;
    if (full)
        y->dropped_unreported++;
    pthread_mutex_unlock(&y->q.mu);
    if (full) {
        YG_SINK_COUNT(s, dropped, 1);
        return YG_OK; /* reported by the next flush() */
    }
    struct msg *m = yg_malloc(sizeof *m + y->scratch.n);
    if (!m) {
        snprintf(s->why, sizeof s->why, "syslog sink %s: out of memory", s->name);
        YG_SINK_COUNT(s, failed, 1);
        return YG_ENOMEM;
    }
    m->link.next = NULL;
    m->n = y->scratch.n;
    memcpy(m->data, y->scratch.p, m->n);
    yg__sendq_push(&y->q, &m->link);
    return YG_OK;
}

static yg_err syslog_flush(struct yg_sink *s)
{
    struct syslog_sink *y = (struct syslog_sink *)s;
    yg_err err = YG_OK;
    struct timespec until = yg__deadline_in(y->flush_ms);
    pthread_mutex_lock(&y->q.mu);
    while (y->q.head && pthread_cond_timedwait(&y->q.empty, &y->q.mu, &until) == 0)
        ;
    size_t left = y->q.qlen;
    uint64_t dropped = y->dropped_unreported;
    y->dropped_unreported = 0;
    if (left) {
        snprintf(s->why, sizeof s->why, "syslog sink %s: %zu alerts not yet sent (%.120s)", s->name,
                 left, y->q.err[0] ? y->q.err : "collector slow");
        err = YG_EIO;
    } else if (dropped) {
        snprintf(s->why, sizeof s->why,
                 "syslog sink %s: %llu alerts dropped, the queue of %u was full (%.120s)", s->name,
                 (unsigned long long)dropped, y->queue_max,
                 y->q.err[0] ? y->q.err : "collector slow");
        err = YG_ELIMIT;
    }
    pthread_mutex_unlock(&y->q.mu);
    return err;
}

uint64_t yg__out_syslog_pending(struct yg_sink *s)
{
    return yg__sendq_pending(&((struct syslog_sink *)s)->q);
}

static void syslog_destroy(struct yg_sink *s)
{
    struct syslog_sink *y = (struct syslog_sink *)s;
    if (y->q.started) {
        (void)syslog_flush(s);
        yg__sendq_stop(&y->q);
    }
    close_peer(y);
    for (struct yg_sendq_item *m = yg__sendq_destroy(&y->q), *next; m; m = next) {
        next = m->next;
        YG_SINK_COUNT(s, dropped, 1);
        yg_free(m);
    }
    yg_buf_free(&y->scratch);
    yg_free(y->host);
    yg_free(y->port);
    yg_free(y->app);
    yg_free(y->hostname);
    yg_free(s->name);
    yg_free(y);
}

static const struct yg_sink_ops syslog_ops = {
    .kind = "syslog",
    .write = syslog_write,
    .flush = syslog_flush,
    .reopen = NULL,
    .destroy = syslog_destroy,
};

/* HOSTNAME and APP-NAME are PRINTUSASCII without spaces (RFC 5424 6.2). */
static char *header_field(const char *v, size_t max)
{
    size_t n = strnlen(v, max);
    char *d = yg_strndup(v, n);
    if (!d)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)d[i] < 33 || (unsigned char)d[i] > 126)
            d[i] = '_';
    if (n == 0) {
        yg_free(d);
        d = yg_strndup("-", 1);
    }
    return d;
}

yg_err yg__out_syslog_new(const char *name, const struct yg_syslog_opts *o, struct yg_sink **out)
{
    *out = NULL;
    if (!o->host || !*o->host || !o->port || !*o->port)
        return yg__sink_failed(out, YG_EINVAL, "syslog sink %s: host and port are required", name);
    if (o->facility < 0 || o->facility > 23)
        return yg__sink_failed(out, YG_EINVAL, "syslog sink %s: facility %d is not 0..23", name,
                               o->facility);
    struct syslog_sink *y = yg_calloc(1, sizeof *y);
    if (!y)
        return yg__sink_failed(out, YG_ENOMEM, "syslog sink %s: out of memory", name);
    y->base.ops = &syslog_ops;
    y->fd = -1;
    y->tcp = o->tcp;
    y->facility = o->facility ? o->facility : 13;
    y->pid = (int)getpid();
    y->queue_max = o->queue_max ? o->queue_max : YG_SINK_SYSLOG_QUEUE;
    y->flush_ms = o->flush_ms ? o->flush_ms : YG_SINK_SYSLOG_FLUSH_MS;
    yg__sendq_init(&y->q, &y->base, o->backoff_min_ms, o->backoff_max_ms);
    yg_buf_init(&y->scratch, YG_MAX_EVENT_BYTES * 2);
    char hn[256] = "";
    if (!o->hostname && gethostname(hn, sizeof hn - 1) != 0)
        hn[0] = 0;
    y->base.name = yg_strndup(name, strlen(name));
    y->host = yg_strndup(o->host, strlen(o->host));
    y->port = yg_strndup(o->port, strlen(o->port));
    y->app = header_field(o->app_name ? o->app_name : "yagura", 48);
    y->hostname = header_field(o->hostname ? o->hostname : hn, 255);
    if (!y->base.name || !y->host || !y->port || !y->app || !y->hostname) {
        syslog_destroy(&y->base);
        return yg__sink_failed(out, YG_ENOMEM, "syslog sink %s: out of memory", name);
    }
    int rc = yg__sendq_start(&y->q, send_one, y);
    if (rc != 0) {
        syslog_destroy(&y->base);
        return yg__sink_failed(out, YG_ENOMEM, "syslog sink %s: starting its thread: %s", name,
                               strerror(rc));
    }
    *out = &y->base;
    return YG_OK;
}
