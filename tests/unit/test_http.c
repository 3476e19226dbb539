/* Tests of the metrics registry and the /healthz and /metrics endpoint
 * (src/http/http.c), through a plain socket client. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http/http.h"
#include "tap.h"
#include "core/log.h"

/* ---- client ------------------------------------------------------------ */

struct resp {
    int status;
    char headers[4096];
    char body[65536];
    size_t body_len;
};

/* Send raw (a whole request) to host:port and read the reply to EOF. */
static bool fetch_raw(int family, unsigned port, const char *raw, struct resp *r)
{
    memset(r, 0, sizeof *r);
    int fd = socket(family, SOCK_STREAM, 0);
    if (fd < 0)
        return false;
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    int rc;
    if (family == AF_INET6) {
        struct sockaddr_in6 a = {.sin6_family = AF_INET6,
                                 .sin6_port = htons((uint16_t)port),
                                 .sin6_addr = IN6ADDR_LOOPBACK_INIT};
        rc = connect(fd, (struct sockaddr *)&a, sizeof a);
    } else {
        struct sockaddr_in a = {.sin_family = AF_INET,
                                .sin_port = htons((uint16_t)port),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        rc = connect(fd, (struct sockaddr *)&a, sizeof a);
    }
    if (rc != 0 || write(fd, raw, strlen(raw)) != (ssize_t)strlen(raw)) {
        close(fd);
        return false;
    }
    static char buf[1 << 17];
    size_t n = 0;
    ssize_t k;
    while (n < sizeof buf - 1 && (k = read(fd, buf + n, sizeof buf - 1 - n)) > 0)
        n += (size_t)k;
    close(fd);
    buf[n] = 0;
    char *end = strstr(buf, "\r\n\r\n");
    if (!end || sscanf(buf, "HTTP/1.%*d %d", &r->status) != 1)
        return false;
    size_t hl = (size_t)(end - buf);
    if (hl >= sizeof r->headers)
        return false;
    memcpy(r->headers, buf, hl);
    r->headers[hl] = 0;
    r->body_len = n - hl - 4;
    if (r->body_len >= sizeof r->body)
        return false;
    memcpy(r->body, end + 4, r->body_len);
    r->body[r->body_len] = 0;
    return true;
}

static bool fetch(unsigned port, const char *method, const char *path, struct resp *r)
{
    char req[512];
    snprintf(req, sizeof req,
             "%s %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
             "Content-Length: 0\r\n\r\n",
             method, path);
    return fetch_raw(AF_INET, port, req, r);
}

/* The value of header name (case-insensitive) in r, or NULL. */
static const char *header(struct resp *r, const char *name, char *out, size_t ol)
{
    size_t nl = strlen(name);
    for (char *p = strstr(r->headers, "\r\n"); p; p = strstr(p + 2, "\r\n")) {
        char *line = p + 2;
        if (strncasecmp(line, name, nl) == 0 && line[nl] == ':') {
            const char *v = line + nl + 1;
            while (*v == ' ')
                v++;
            size_t vl = strcspn(v, "\r");
            if (vl >= ol)
                vl = ol - 1;
            memcpy(out, v, vl);
            out[vl] = 0;
            return out;
        }
    }
    return NULL;
}

/* ---- exposition format checks ----------------------------------------- */

static bool metric_name_ok(const char *s, size_t n)
{
    if (!n)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
              (i && c >= '0' && c <= '9')))
            return false;
    }
    return true;
}

/* One line of the text format: a HELP or TYPE comment or a sample
 * `name{l="v",...} value`, with escapes only where they are allowed. */
static bool line_ok(const char *l)
{
    if (strncmp(l, "# HELP ", 7) == 0) {
        const char *sp = strchr(l + 7, ' ');
        return sp && metric_name_ok(l + 7, (size_t)(sp - l - 7));
    }
    if (strncmp(l, "# TYPE ", 7) == 0) {
        const char *sp = strchr(l + 7, ' ');
        return sp && metric_name_ok(l + 7, (size_t)(sp - l - 7)) &&
               (strcmp(sp + 1, "counter") == 0 || strcmp(sp + 1, "gauge") == 0);
    }
    size_t nl = strcspn(l, "{ ");
    if (!metric_name_ok(l, nl))
        return false;
    const char *p = l + nl;
    if (*p == '{') {
        p++;
        while (*p != '}') {
            size_t ln = strcspn(p, "=");
            if (!metric_name_ok(p, ln) || p[ln] != '=' || p[ln + 1] != '"')
                return false;
            p += ln + 2;
            while (*p != '"') {
                if (!*p)
                    return false;
                if (*p == '\\') {
                    if (p[1] != '\\' && p[1] != '"' && p[1] != 'n')
                        return false;
                    p++;
                }
                p++;
            }
            p++;
            if (*p == ',')
                p++;
            else if (*p != '}')
                return false;
        }
        p++;
    }
    if (*p++ != ' ')
        return false;
    if (strcmp(p, "NaN") == 0 || strcmp(p, "+Inf") == 0 || strcmp(p, "-Inf") == 0)
        return true;
    char *end;
    (void)strtod(p, &end);
    return end != p && *end == 0;
}

static bool exposition_ok(char *text)
{
    if (!*text || text[strlen(text) - 1] != '\n')
        return false;
    for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n"))
        if (!line_ok(l)) {
            fprintf(stderr, "bad exposition line: %s\n", l);
            return false;
        }
    return true;
}

/* ---- registry ---------------------------------------------------------- */

static void test_registry(void)
{
    struct yg_metrics *m = NULL;
    CHECK(yg__metrics_new(&m) == YG_OK);
    if (!m)
        return;
    CHECK(yg__metrics_declare_standard(m) == YG_OK);
    CHECK(yg__metrics_declare_standard(m) == YG_OK); /* idempotent */
    CHECK(yg__metrics_declare(m, YG_M_EVENTS, YG_METRIC_GAUGE, "x") == YG_EINVAL);
    CHECK(yg__metrics_declare(m, "9bad", YG_METRIC_GAUGE, "x") == YG_EINVAL);
    CHECK(yg__metrics_declare(m, "bad-name", YG_METRIC_GAUGE, "x") == YG_EINVAL);
    CHECK(yg__metrics_declare(m, "yagura_up", YG_METRIC_GAUGE, "1 when up.\nSecond \\ line") ==
          YG_OK);

    struct yg_metric *ev = yg__metrics_get(m, YG_M_EVENTS, (const char *[]){"input", "vpn", NULL});
    CHECK(ev != NULL);
    CHECK(yg__metrics_get(m, YG_M_EVENTS, (const char *[]){"input", "vpn", NULL}) == ev);
    struct yg_metric *ev2 = yg__metrics_get(m, YG_M_EVENTS, (const char *[]){"input", "net", NULL});
    CHECK(ev2 != NULL && ev2 != ev);
    CHECK(yg__metrics_get(m, "undeclared", NULL) == NULL);
    CHECK(yg__metrics_get(m, YG_M_EVENTS, (const char *[]){"in put", "x", NULL}) == NULL);
    CHECK(yg__metrics_get(m, YG_M_EVENTS, (const char *[]){"__name", "x", NULL}) == NULL);
    CHECK(yg__metrics_get(m, YG_M_EVENTS, (const char *[]){"input", NULL}) == NULL);
    yg__metric_add(ev, 41);
    yg__metric_inc(ev);
    yg__metric_add(ev, -5); /* counters never go down */
    CHECK(yg__metric_value(ev) == 42);
    yg__metric_inc(NULL); /* a failed lookup is harmless */

    struct yg_metric *al = yg__metrics_get(
        m, YG_M_ALERTS,
        (const char *[]){"rule", "Say \"hi\" \\ to\nC:\\Temp", "level", "high", NULL});
    CHECK(al != NULL);
    yg__metric_inc(al);
    struct yg_metric *lag =
        yg__metrics_get(m, YG_M_INPUT_LAG, (const char *[]){"input", "vpn", NULL});
    yg__metric_set(lag, 0.25);
    yg__metric_set(lag, 1.5); /* gauges are set, not summed */
    struct yg_metric *cb = yg__metrics_get(m, YG_M_CORR_BYTES, NULL);
    yg__metric_set(cb, 1e20);
    yg__metric_add(cb, -1e20);
    struct yg_metric *ev_s = yg__metrics_get(m, YG_M_EVAL_SECONDS, NULL);
    yg__metric_add(ev_s, 0.1);
    struct yg_metric *up = yg__metrics_get(m, "yagura_up", NULL);
    yg__metric_set(up, 1.0 / 0.0);

    struct yg_buf b;
    yg_buf_init(&b, 1 << 20);
    CHECK(yg__metrics_render(m, &b) == YG_OK && yg_buf_addc(&b, 0) == YG_OK);
    static const char want[] =
        "# HELP yagura_events_total Records read, by input.\n"
        "# TYPE yagura_events_total counter\n"
        "yagura_events_total{input=\"vpn\"} 42\n"
        "yagura_events_total{input=\"net\"} 0\n"
        "# HELP yagura_alerts_total Alerts raised, by rule and level.\n"
        "# TYPE yagura_alerts_total counter\n"
        "yagura_alerts_total{rule=\"Say \\\"hi\\\" \\\\ to\\nC:\\\\Temp\",level=\"high\"} 1\n"
        "# HELP yagura_input_lag_seconds Seconds between now and the newest record read, by "
        "input.\n"
        "# TYPE yagura_input_lag_seconds gauge\n"
        "yagura_input_lag_seconds{input=\"vpn\"} 1.5\n"
        "# HELP yagura_dropped_total Records or detections dropped, by reason.\n"
        "# TYPE yagura_dropped_total counter\n"
        "# HELP yagura_correlation_state_bytes Bytes held by correlation windows.\n"
        "# TYPE yagura_correlation_state_bytes gauge\n"
        "yagura_correlation_state_bytes 0\n"
        "# HELP yagura_eval_seconds_total Seconds spent decoding and matching events.\n"
        "# TYPE yagura_eval_seconds_total counter\n"
        "yagura_eval_seconds_total 0.1\n"
        "# HELP yagura_regex_limit_total Records on which a rule's regex reached its PCRE2 step "
        "limit (counted as no match), by rule.\n"
        "# TYPE yagura_regex_limit_total counter\n"
        "# HELP yagura_up 1 when up.\\nSecond \\\\ line\n"
        "# TYPE yagura_up gauge\n"
        "yagura_up +Inf\n";
    CHECK_MSG(b.p && strcmp(b.p, want) == 0, "got:\n%s", b.p);
    if (b.p)
        CHECK(exposition_ok(b.p));
    yg_buf_free(&b);
    yg__metrics_free(m);
}

struct bump {
    struct yg_metrics *m;
    int id;
};

static void *bump_thread(void *arg)
{
    struct bump *bp = arg;
    struct yg_metric *all =
        yg__metrics_get(bp->m, YG_M_EVENTS, (const char *[]){"input", "all", NULL});
    char name[16];
    snprintf(name, sizeof name, "t%d", bp->id);
    struct yg_metric *mine =
        yg__metrics_get(bp->m, YG_M_EVENTS, (const char *[]){"input", name, NULL});
    for (int i = 0; i < 100000; i++) {
        yg__metric_inc(all);
        yg__metric_add(mine, 0.5);
    }
    return NULL;
}

/* Updates from many threads are not lost, and rendering meanwhile is safe. */
static void test_threads(void)
{
    struct yg_metrics *m = NULL;
    CHECK(yg__metrics_new(&m) == YG_OK && yg__metrics_declare_standard(m) == YG_OK);
    pthread_t t[4];
    struct bump bp[4];
    for (int i = 0; i < 4; i++) {
        bp[i] = (struct bump){m, i};
        CHECK(pthread_create(&t[i], NULL, bump_thread, &bp[i]) == 0);
    }
    for (int k = 0; k < 20; k++) {
        struct yg_buf b;
        yg_buf_init(&b, 1 << 20);
        CHECK(yg__metrics_render(m, &b) == YG_OK);
        yg_buf_free(&b);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    CHECK(yg__metric_value(
              yg__metrics_get(m, YG_M_EVENTS, (const char *[]){"input", "all", NULL})) == 400000);
    CHECK(yg__metric_value(
              yg__metrics_get(m, YG_M_EVENTS, (const char *[]){"input", "t3", NULL})) == 50000);
    yg__metrics_free(m);
}

/* ---- server ------------------------------------------------------------ */

static atomic_bool healthy = true;
static atomic_bool long_reason = false;

static bool health(void *ud, struct yg_errmsg *reason)
{
    CHECK(ud == &healthy);
    if (atomic_load(&healthy))
        return true;
    if (atomic_load(&long_reason))
        yg__errmsg_set(reason, "%0300d", 7);
    else
        yg__errmsg_set(reason, "input vpn: no data for 600 s");
    return false;
}

static void test_server(void)
{
    struct yg_metrics *m = NULL;
    CHECK(yg__metrics_new(&m) == YG_OK && yg__metrics_declare_standard(m) == YG_OK);
    yg__metric_add(yg__metrics_get(m, YG_M_EVENTS, (const char *[]){"input", "vpn", NULL}), 7);
    yg__metric_inc(yg__metrics_get(
        m, YG_M_ALERTS, (const char *[]){"rule", "Quoted \"rule\"", "level", "high", NULL}));

    struct yg_http *h = NULL;
    CHECK(yg__http_start("127.0.0.1:0", m, health, &healthy, &h) == YG_OK);
    if (!h) {
        yg__metrics_free(m);
        return;
    }
    unsigned port = yg__http_port(h);
    CHECK(port > 0);
    struct resp r;
    char v[256];

    CHECK(fetch(port, "GET", "/healthz", &r));
    CHECK(r.status == 200 && strcmp(r.body, "ok\n") == 0);
    CHECK(strncmp(r.headers, "HTTP/1.1 200 OK", 15) == 0);
    CHECK(header(&r, "Content-Type", v, sizeof v) && strcmp(v, "text/plain; charset=utf-8") == 0);

    atomic_store(&healthy, false);
    CHECK(fetch(port, "GET", "/healthz", &r));
    CHECK(r.status == 503 && strcmp(r.body, "input vpn: no data for 600 s\n") == 0);
    CHECK(strncmp(r.headers, "HTTP/1.1 503 Service Unavailable", 32) == 0);
    /* A longer reason is cut to one line of 254 characters. */
    atomic_store(&long_reason, true);
    CHECK(fetch(port, "GET", "/healthz", &r));
    CHECK(r.status == 503 && strlen(r.body) == 255 && r.body[254] == '\n' && r.body[253] == '0' &&
          r.body[0] == '0');
    atomic_store(&long_reason, false);
    atomic_store(&healthy, true);

    CHECK(fetch(port, "GET", "/metrics", &r));
    CHECK(r.status == 200);
    CHECK(header(&r, "Content-Type", v, sizeof v) &&
          strcmp(v, "text/plain; version=0.0.4; charset=utf-8") == 0);
    CHECK(strstr(r.body, "# HELP yagura_events_total Records read, by input.\n"
                         "# TYPE yagura_events_total counter\n"
                         "yagura_events_total{input=\"vpn\"} 7\n") != NULL);
    CHECK(strstr(r.body, "yagura_alerts_total{rule=\"Quoted \\\"rule\\\"\",level=\"high\"} 1\n") !=
          NULL);
    CHECK(strstr(r.body, "# TYPE yagura_input_lag_seconds gauge\n") != NULL);
    CHECK(exposition_ok(r.body));

    /* A query string does not change the route. */
    CHECK(fetch(port, "GET", "/metrics?x=1", &r) && r.status == 200);
    CHECK(fetch(port, "GET", "/", &r) && r.status == 404);
    CHECK(fetch(port, "GET", "/metrics/", &r) && r.status == 404);
    CHECK(fetch(port, "GET", "/healthzz", &r) && r.status == 404);
    CHECK(fetch(port, "POST", "/metrics", &r) && r.status == 405);
    CHECK(header(&r, "Allow", v, sizeof v) && strcmp(v, "GET, HEAD") == 0);
    CHECK(fetch(port, "DELETE", "/healthz", &r) && r.status == 405);
    CHECK(fetch_raw(AF_INET, port,
                    "POST /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                    "Content-Length: 5\r\n\r\nhello",
                    &r) &&
          r.status == 405);
    CHECK(fetch(port, "HEAD", "/healthz", &r) && r.status == 200 && r.body_len == 0);

    /* The port is taken while the server runs. */
    char addr[64];
    snprintf(addr, sizeof addr, "127.0.0.1:%u", port);
    struct yg_http *h2 = NULL;
    CHECK(yg__http_start(addr, m, NULL, NULL, &h2) == YG_EIO && h2 == NULL);

    yg__http_stop(h);
    /* Stopped: the port is free again (the socket was closed). */
    CHECK(yg__http_start(addr, m, NULL, NULL, &h2) == YG_OK);
    CHECK(fetch(port, "GET", "/healthz", &r) && r.status == 200); /* health NULL: healthy */
    yg__http_stop(h2);
    yg__http_stop(NULL);

    CHECK(yg__http_start("127.0.0.1", m, NULL, NULL, &h2) == YG_EINVAL && h2 == NULL);
    CHECK(yg__http_start("no such host.invalid:80", m, NULL, NULL, &h2) == YG_EINVAL);
    yg__metrics_free(m);
}

static void test_ipv6(void)
{
    int probe = socket(AF_INET6, SOCK_STREAM, 0);
    struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
    bool have6 = probe >= 0 && bind(probe, (struct sockaddr *)&a, sizeof a) == 0;
    if (probe >= 0)
        close(probe);
    struct yg_metrics *m = NULL;
    CHECK(yg__metrics_new(&m) == YG_OK);
    struct yg_http *h = NULL;
    struct resp r;
    if (have6) {
        CHECK(yg__http_start("[::1]:0", m, NULL, NULL, &h) == YG_OK);
        if (h) {
            CHECK(fetch_raw(AF_INET6, yg__http_port(h),
                            "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", &r) &&
                  r.status == 200);
            yg__http_stop(h);
        }
    }
    /* ":port" listens on every address, IPv4 included. */
    CHECK(yg__http_start(":0", m, NULL, NULL, &h) == YG_OK);
    if (h) {
        CHECK(fetch(yg__http_port(h), "GET", "/metrics", &r) && r.status == 200 && r.body_len == 0);
        if (have6)
            CHECK(fetch_raw(AF_INET6, yg__http_port(h),
                            "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", &r) &&
                  r.status == 200);
        yg__http_stop(h);
    }
    yg__metrics_free(m);
}

int main(void)
{
    /* Start-up and bind failures are logged; keep the test output clean. */
    int devnull = open("/dev/null", O_WRONLY);
    yg__log_set_fd(devnull);
    test_registry();
    test_threads();
    test_server();
    test_ipv6();
    yg__log_set_fd(-1);
    close(devnull);
    TAP_DONE();
}
