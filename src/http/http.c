/*
 * http.c - metrics registry and the /healthz and /metrics endpoint.
 *
 * Registry.  A family owns its series in a singly linked list kept in
 * creation order (the exposition output is stable from scrape to scrape);
 * a hash table over (family, rendered labels) finds a series without
 * walking the list.  The label set is rendered and escaped once, at
 * creation, into the exact `{k="v",...}` text of the exposition format, so
 * rendering a scrape is a copy per series.  Values are doubles stored as
 * their bit pattern in an atomic 64-bit word: C11 has no portable atomic
 * double add, and a compare-and-swap loop on the bits gives one.
 *
 * Server.  The listening socket is created and bound here, not by
 * libmicrohttpd, so that the reason for a failure (address in use,
 * permission denied on a low port) reaches the log in our words, ":port"
 * can fall back from dual-stack IPv6 to IPv4, and port 0 can be read back
 * with getsockname.  libmicrohttpd serves that socket from a small pool of
 * threads, with a cap on connections in all and per client address, and
 * http_guard.c gives each request a deadline for its headers that no
 * trickle of bytes extends: a few slow or silent clients cost a few
 * connection slots, never the health checker's answer.  The endpoint is
 * for a scraper and a health checker, not for the public.
 */
#include "http/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http/http_guard.h"
#include "core/confval.h"
#include "core/log.h"

#define HASH_BUCKETS 4096u
/* Largest exposition text rendered for one scrape. */
#define RENDER_MAX (64u << 20)
/* Longest /healthz reason sent (the body is one line). */
#define HEALTH_REASON_MAX 254

struct yg_metric {
    _Atomic uint64_t bits; /* the value, a double, as its bit pattern */
    struct yg_metric_family *fam;
    struct yg_metric *next;  /* in the family, creation order */
    struct yg_metric *hnext; /* in the hash bucket */
    uint64_t hash;
    size_t llen;
    char labels[]; /* `{k="v",...}` or "" */
};

struct yg_metric_family {
    char *name, *help;
    enum yg_metric_kind kind;
    struct yg_metric *head, *tail;
    struct yg_metric_family *next;
};

struct yg_metrics {
    pthread_mutex_t mu;
    struct yg_metric_family *fams, *fams_tail;
    struct yg_metric *buckets[HASH_BUCKETS];
    size_t nseries;
};

/* ---- registry ---------------------------------------------------------- */

yg_err yg__metrics_new(struct yg_metrics **out)
{
    struct yg_metrics *m = yg_calloc(1, sizeof *m);
    if (!m)
        return YG_ENOMEM;
    pthread_mutex_init(&m->mu, NULL);
    *out = m;
    return YG_OK;
}

void yg__metrics_free(struct yg_metrics *m)
{
    if (!m)
        return;
    for (struct yg_metric_family *f = m->fams, *fn; f; f = fn) {
        fn = f->next;
        for (struct yg_metric *s = f->head, *sn; s; s = sn) {
            sn = s->next;
            yg_free(s);
        }
        yg_free(f->name);
        yg_free(f->help);
        yg_free(f);
    }
    pthread_mutex_destroy(&m->mu);
    yg_free(m);
}

static bool valid_ident(const char *s, bool colon)
{
    if (!s || !*s)
        return false;
    for (size_t i = 0; s[i]; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                  (colon && c == ':') || (i > 0 && c >= '0' && c <= '9');
        if (!ok)
            return false;
    }
    return true;
}

static struct yg_metric_family *find_family(struct yg_metrics *m, const char *name)
{
    for (struct yg_metric_family *f = m->fams; f; f = f->next)
        if (strcmp(f->name, name) == 0)
            return f;
    return NULL;
}

yg_err yg__metrics_declare(struct yg_metrics *m, const char *name, enum yg_metric_kind kind,
                           const char *help)
{
    if (!valid_ident(name, true))
        return YG_EINVAL;
    yg_err err = YG_OK;
    pthread_mutex_lock(&m->mu);
    struct yg_metric_family *f = find_family(m, name);
    if (f) {
        err = f->kind == kind ? YG_OK : YG_EINVAL;
        goto done;
    }
    f = yg_calloc(1, sizeof *f);
    if (!f) {
        err = YG_ENOMEM;
        goto done;
    }
    f->kind = kind;
    f->name = yg_strndup(name, strlen(name));
    f->help = yg_strndup(help ? help : "", help ? strlen(help) : 0);
    if (!f->name || !f->help) {
        yg_free(f->name);
        yg_free(f->help);
        yg_free(f);
        err = YG_ENOMEM;
        goto done;
    }
    if (m->fams_tail)
        m->fams_tail->next = f;
    else
        m->fams = f;
    m->fams_tail = f;
done:
    pthread_mutex_unlock(&m->mu);
    return err;
}

yg_err yg__metrics_declare_standard(struct yg_metrics *m)
{
    static const struct {
        const char *name, *help;
        enum yg_metric_kind kind;
    } std[] = {
        {YG_M_EVENTS, "Records read, by input.", YG_METRIC_COUNTER},
        {YG_M_ALERTS, "Alerts raised, by rule and level.", YG_METRIC_COUNTER},
        {YG_M_INPUT_LAG, "Seconds between now and the newest record read, by input.",
         YG_METRIC_GAUGE},
        {YG_M_DROPPED, "Records or detections dropped, by reason.", YG_METRIC_COUNTER},
        {YG_M_CORR_BYTES, "Bytes held by correlation windows.", YG_METRIC_GAUGE},
        {YG_M_EVAL_SECONDS, "Seconds spent decoding and matching events.", YG_METRIC_COUNTER},
        {YG_M_REGEX_LIMIT,
         "Records on which a rule's regex reached its PCRE2 step limit (counted as no match), by "
         "rule.",
         YG_METRIC_COUNTER},
    };
    yg_err err = YG_OK;
    for (size_t i = 0; i < sizeof std / sizeof *std; i++)
        YG_TRY(yg__metrics_declare(m, std[i].name, std[i].kind, std[i].help));
done:
    return err;
}

/* Exposition escaping: label values escape \, " and newline; help texts
 * escape \ and newline only. */
static yg_err add_escaped(struct yg_buf *b, const char *s, bool quote)
{
    yg_err err = YG_OK;
    for (; *s; s++) {
        if (*s == '\\')
            YG_TRY(yg_buf_add(b, "\\\\", 2));
        else if (*s == '\n')
            YG_TRY(yg_buf_add(b, "\\n", 2));
        else if (quote && *s == '"')
            YG_TRY(yg_buf_add(b, "\\\"", 2));
        else
            YG_TRY(yg_buf_addc(b, *s));
    }
done:
    return err;
}

static yg_err render_labels(const char *const *labels, struct yg_buf *b)
{
    yg_err err = YG_OK;
    if (!labels || !labels[0])
        return YG_OK;
    YG_TRY(yg_buf_addc(b, '{'));
    for (size_t i = 0; labels[i]; i += 2) {
        /* Names starting with "__" are reserved by Prometheus. */
        if (!labels[i + 1] || !valid_ident(labels[i], false) || strncmp(labels[i], "__", 2) == 0)
            return YG_EINVAL;
        YG_TRY(yg_buf_addf(b, "%s%s=\"", i ? "," : "", labels[i]));
        YG_TRY(add_escaped(b, labels[i + 1], true));
        YG_TRY(yg_buf_addc(b, '"'));
    }
    YG_TRY(yg_buf_addc(b, '}'));
done:
    return err;
}

struct yg_metric *yg__metrics_get(struct yg_metrics *m, const char *name, const char *const *labels)
{
    struct yg_buf lb;
    struct yg_metric *s = NULL;
    yg_buf_init(&lb, 1u << 16);
    if (render_labels(labels, &lb) != YG_OK || yg_buf_addc(&lb, 0) != YG_OK) {
        yg_buf_free(&lb);
        return NULL;
    }
    size_t llen = lb.n - 1;
    pthread_mutex_lock(&m->mu);
    struct yg_metric_family *f = find_family(m, name);
    if (!f)
        goto done;
    /* The family pointer is part of the key: the same labels in two
     * families are two series. */
    uint64_t h = yg_hash(lb.p, llen) ^ (uint64_t)(uintptr_t)f * 0x9e3779b97f4a7c15ull;
    struct yg_metric **bucket = &m->buckets[h % HASH_BUCKETS];
    for (s = *bucket; s; s = s->hnext)
        if (s->hash == h && s->fam == f && s->llen == llen && memcmp(s->labels, lb.p, llen) == 0)
            goto done;
    if (m->nseries >= YG_MAX_METRIC_SERIES)
        goto done;
    s = yg_malloc(sizeof *s + llen + 1);
    if (!s)
        goto done;
    atomic_init(&s->bits, 0); /* +0.0 */
    s->fam = f;
    s->next = NULL;
    s->hash = h;
    s->llen = llen;
    memcpy(s->labels, lb.p, llen + 1);
    s->hnext = *bucket;
    *bucket = s;
    if (f->tail)
        f->tail->next = s;
    else
        f->head = s;
    f->tail = s;
    m->nseries++;
done:
    pthread_mutex_unlock(&m->mu);
    yg_buf_free(&lb);
    return s;
}

static uint64_t dbits(double v)
{
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    return u;
}

static double bitsd(uint64_t u)
{
    double v;
    memcpy(&v, &u, sizeof v);
    return v;
}

void yg__metric_add(struct yg_metric *s, double v)
{
    if (!s || (s->fam->kind == YG_METRIC_COUNTER && !(v >= 0)))
        return;
    uint64_t old = atomic_load_explicit(&s->bits, memory_order_relaxed);
    while (!atomic_compare_exchange_weak_explicit(&s->bits, &old, dbits(bitsd(old) + v),
                                                  memory_order_relaxed, memory_order_relaxed))
        ;
}

void yg__metric_inc(struct yg_metric *s)
{
    yg__metric_add(s, 1.0);
}

void yg__metric_set(struct yg_metric *s, double v)
{
    if (s)
        atomic_store_explicit(&s->bits, dbits(v), memory_order_relaxed);
}

double yg__metric_value(const struct yg_metric *s)
{
    return s ? bitsd(atomic_load_explicit(&((struct yg_metric *)s)->bits, memory_order_relaxed))
             : 0.0;
}

/* Shortest text that reads back as the same double; integers without an
 * exponent up to 2^53, and the exposition format's NaN and +Inf/-Inf. */
static void format_value(char *out, size_t n, double v)
{
    if (isnan(v)) {
        snprintf(out, n, "NaN");
    } else if (isinf(v)) {
        snprintf(out, n, v > 0 ? "+Inf" : "-Inf");
    } else if (v == floor(v) && fabs(v) <= 9007199254740992.0) {
        snprintf(out, n, "%.0f", v);
    } else {
        snprintf(out, n, "%.15g", v);
        if (strtod(out, NULL) != v)
            snprintf(out, n, "%.17g", v);
    }
}

yg_err yg__metrics_render(struct yg_metrics *m, struct yg_buf *b)
{
    yg_err err = YG_OK;
    pthread_mutex_lock(&m->mu);
    for (const struct yg_metric_family *f = m->fams; f; f = f->next) {
        YG_TRY(yg_buf_addf(b, "# HELP %s ", f->name));
        YG_TRY(add_escaped(b, f->help, false));
        YG_TRY(yg_buf_addf(b, "\n# TYPE %s %s\n", f->name,
                           f->kind == YG_METRIC_COUNTER ? "counter" : "gauge"));
        for (const struct yg_metric *s = f->head; s; s = s->next) {
            char num[40];
            format_value(num, sizeof num, yg__metric_value(s));
            YG_TRY(yg_buf_addf(b, "%s%s %s\n", f->name, s->labels, num));
        }
    }
done:
    pthread_mutex_unlock(&m->mu);
    return err;
}

/* ---- server ------------------------------------------------------------ */

struct yg_http {
    struct MHD_Daemon *d;
    struct yg_http_guard *guard;
    int fd;
    unsigned port;
    struct yg_metrics *m;
    yg_health_fn health;
    void *ud;
};

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *ctype,
                             char *body, size_t n, bool owned)
{
    struct MHD_Response *r =
        owned ? MHD_create_response_from_buffer_with_free_callback(n, body, yg_free)
              : MHD_create_response_from_buffer(n, body, MHD_RESPMEM_MUST_COPY);
    if (!r) {
        if (owned)
            yg_free(body);
        return MHD_NO;
    }
    enum MHD_Result ok = MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    if (ok == MHD_YES)
        ok = MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (ok == MHD_YES && status == MHD_HTTP_METHOD_NOT_ALLOWED)
        ok = MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    if (ok == MHD_YES)
        ok = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **req)
{
    static const char text[] = "text/plain; charset=utf-8";
    struct yg_http *h = cls;
    (void)version;
    (void)upload;
    (void)req;
    yg__http_guard_phase(h->guard, c, YG_HTTP_BUSY);
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
        /* Answer at once: the body of a request we refuse is not read. */
        *upload_size = 0;
        return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, text, "method not allowed\n", 19, false);
    }
    if (strcmp(url, "/healthz") == 0) {
        struct yg_errmsg reason = {"unhealthy"};
        if (!h->health || h->health(h->ud, &reason))
            return reply(c, MHD_HTTP_OK, text, "ok\n", 3, false);
        /* One line of at most 254 characters and its newline. */
        reason.msg[HEALTH_REASON_MAX] = 0;
        size_t n = strlen(reason.msg);
        reason.msg[n++] = '\n';
        return reply(c, MHD_HTTP_SERVICE_UNAVAILABLE, text, reason.msg, n, false);
    }
    if (strcmp(url, "/metrics") == 0) {
        struct yg_buf b;
        yg_buf_init(&b, RENDER_MAX);
        if (yg__metrics_render(h->m, &b) != YG_OK) {
            yg_buf_free(&b);
            yg__log(YG_LOG_ERROR, "http: /metrics: rendering failed");
            return reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, text, "error\n", 6, false);
        }
        size_t n = 0;
        char *p = yg_buf_take(&b, &n);
        if (!p)
            return reply(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", "", 0, false);
        return reply(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", p, n, true);
    }
    return reply(c, MHD_HTTP_NOT_FOUND, text, "not found\n", 10, false);
}

/* The next request of a kept-alive connection has its own header deadline. */
static void completed(void *cls, struct MHD_Connection *c, void **req,
                      enum MHD_RequestTerminationCode toe)
{
    struct yg_http *h = cls;
    (void)req;
    (void)toe;
    yg__http_guard_phase(h->guard, c, YG_HTTP_HEADERS);
}

/* A listening socket for one address; -1 with errno set on failure. */
static int listen_on(const struct sockaddr *sa, socklen_t sl, bool dual)
{
    int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -1;
    int one = 1, zero = 0;
    (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (dual)
        (void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
    if (bind(fd, sa, sl) != 0 || listen(fd, (int)YG_HTTP_MAX_CONNECTIONS) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

static int bind_addr(const char *host, unsigned port, struct yg_errmsg *e)
{
    if (!*host) {
        /* Every address: dual-stack IPv6, or IPv4 where IPv6 is off. */
        struct sockaddr_in6 s6 = {.sin6_family = AF_INET6,
                                  .sin6_port = htons((uint16_t)port),
                                  .sin6_addr = IN6ADDR_ANY_INIT};
        int fd = listen_on((struct sockaddr *)&s6, sizeof s6, true);
        if (fd >= 0 || (errno != EAFNOSUPPORT && errno != EADDRNOTAVAIL)) {
            if (fd < 0)
                yg__errmsg_set(e, "%s", strerror(errno));
            return fd;
        }
        struct sockaddr_in s4 = {.sin_family = AF_INET,
                                 .sin_port = htons((uint16_t)port),
                                 .sin_addr.s_addr = htonl(INADDR_ANY)};
        fd = listen_on((struct sockaddr *)&s4, sizeof s4, false);
        if (fd < 0)
            yg__errmsg_set(e, "%s", strerror(errno));
        return fd;
    }
    char ps[8];
    snprintf(ps, sizeof ps, "%u", port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV},
                    *res = NULL;
    int rc = getaddrinfo(host, ps, &hints, &res);
    if (rc) {
        yg__errmsg_set(e, "%s", gai_strerror(rc));
        return -1;
    }
    int fd = -1;
    yg__errmsg_set(e, "no address");
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
        fd = listen_on(ai->ai_addr, ai->ai_addrlen, false);
        if (fd < 0)
            yg__errmsg_set(e, "%s", strerror(errno));
    }
    freeaddrinfo(res);
    return fd;
}

int yg__http_listen(const char *host, unsigned port, struct yg_errmsg *e)
{
    return bind_addr(host, port, e);
}

yg_err yg__http_start(const char *addr, struct yg_metrics *m, yg_health_fn health, void *ud,
                      struct yg_http **out)
{
    char host[256];
    struct yg_errmsg why = {""};
    unsigned port;
    *out = NULL;
    if (!m || !yg__parse_hostport(addr, host, sizeof host, &port, true)) {
        yg__log(YG_LOG_ERROR, "http: %s: expected host:port", addr ? addr : "(none)");
        return YG_EINVAL;
    }
    struct yg_http *h = yg_calloc(1, sizeof *h);
    if (!h)
        return YG_ENOMEM;
    h->m = m;
    h->health = health;
    h->ud = ud;
    h->fd = bind_addr(host, port, &why);
    if (h->fd < 0) {
        yg__log(YG_LOG_ERROR, "http: cannot listen on %s: %s", addr, why.msg);
        yg_free(h);
        return YG_EIO;
    }
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (getsockname(h->fd, (struct sockaddr *)&ss, &sl) == 0)
        h->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                 : ((struct sockaddr_in *)&ss)->sin_port);
    if (yg__http_guard_new("http", YG_HTTP_HEADER_TIMEOUT_MS, 0, &h->guard) != YG_OK) {
        close(h->fd);
        yg_free(h);
        return YG_ENOMEM;
    }
    /* The logger comes first so that libmicrohttpd's complaints about the
     * options that follow reach it. */
    h->d = MHD_start_daemon(
        MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL, handle, h,
        MHD_OPTION_EXTERNAL_LOGGER, yg__http_guard_log, h->guard, MHD_OPTION_LISTEN_SOCKET,
        (MHD_socket)h->fd, MHD_OPTION_THREAD_POOL_SIZE, (unsigned)YG_HTTP_THREADS,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)YG_HTTP_MAX_CONNECTIONS,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)YG_HTTP_MAX_CONNECTIONS_PER_ADDRESS,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)YG_HTTP_IDLE_TIMEOUT_S,
        MHD_OPTION_NOTIFY_CONNECTION, yg__http_guard_notify, h->guard, MHD_OPTION_NOTIFY_COMPLETED,
        completed, h, MHD_OPTION_END);
    if (!h->d) {
        yg__log(YG_LOG_ERROR, "http: cannot start the server on %s", addr);
        close(h->fd);
        yg__http_guard_free(h->guard);
        yg_free(h);
        return YG_EIO;
    }
    yg__log(YG_LOG_INFO, "http: listening on %s (port %u)", addr, h->port);
    *out = h;
    return YG_OK;
}

unsigned yg__http_port(const struct yg_http *h)
{
    return h ? h->port : 0;
}

void yg__http_stop(struct yg_http *h)
{
    if (!h)
        return;
    /* MHD_stop_daemon closes the listening socket it was given. */
    MHD_stop_daemon(h->d);
    yg__http_guard_free(h->guard);
    yg_free(h);
}
