/*
 * test_sinks.c - the alert sinks against real files and real sockets: JSON
 * lines rotation and reopen, syslog to UDP and TCP listeners on 127.0.0.1
 * (RFC 5424 header, structured data, octet counting, reconnect, drops), and
 * the webhook against a small HTTP server thread (retry with backoff, spool,
 * resend after a restart, rejection, damaged spool files).
 */
#include "output/sink.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"

static char dir[256];

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

static uint64_t get(const uint64_t *c)
{
    return __atomic_load_n(c, __ATOMIC_RELAXED);
}

/* Wait until *c reaches want, at most ms. */
static bool wait_count(const uint64_t *c, uint64_t want, unsigned ms)
{
    uint64_t end = now_ms() + ms;
    while (get(c) < want && now_ms() < end)
        sleep_ms(5);
    return get(c) >= want;
}

static struct yg_alert_row row_n(char id[33], int i, const char *json)
{
    char rec[32];
    snprintf(rec, sizeof rec, "rec-%d", i);
    yg__alert_id("rule-1", rec, id);
    return (struct yg_alert_row){.id = id,
                                 .rule_id = "rule-1",
                                 .rule_title = "Suspicious \"thing\" [x]\\y",
                                 .level = "high",
                                 .event_time = "",
                                 .source = "test",
                                 .record_id = "rec",
                                 .json = json};
}

static long file_size(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 ? (long)sb.st_size : -1;
}

static int count_files(const char *d, const char *suffix)
{
    DIR *dd = opendir(d);
    int n = 0;
    if (!dd)
        return -1;
    struct dirent *de;
    while ((de = readdir(dd))) {
        size_t l = strlen(de->d_name), sl = strlen(suffix);
        if (de->d_name[0] != '.' && l >= sl && strcmp(de->d_name + l - sl, suffix) == 0)
            n++;
    }
    closedir(dd);
    return n;
}

static void rm_tree(const char *d)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", d);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", d);
}

/* ---- jsonl ------------------------------------------------------------- */

static void test_jsonl(void)
{
    char path[512], p1[520], p2[520], p3[520], why[1024] = "";
    snprintf(path, sizeof path, "%s/alerts.jsonl", dir);
    snprintf(p1, sizeof p1, "%s.1", path);
    snprintf(p2, sizeof p2, "%s.2", path);
    snprintf(p3, sizeof p3, "%s.3", path);
    struct yg_sink *s = NULL;
    struct yg_jsonl_opts o = {.path = path, .max_bytes = 200, .keep = 2};
    CHECK_MSG(yg__out_jsonl_new("file", &o, &s) == YG_OK, "%s", yg__sink_errmsg(s));
    if (!s)
        return;
    CHECK(strcmp(s->ops->kind, "jsonl") == 0);
    /* 40 bytes of JSON, 40 of the id member the sink puts first
     * ({"id":"<32 hex>",) and the newline: two lines fit in 200 bytes, not
     * three. */
    char json[8][41];
    char id[33], ids[8][33];
    for (int i = 0; i < 7; i++) {
        snprintf(json[i], sizeof json[i], "{\"n\":%d,\"pad\":\"%024d\"}", i, 0);
        CHECK(strlen(json[i]) == 40);
        struct yg_alert_row r = row_n(id, i, json[i]);
        memcpy(ids[i], id, sizeof id);
        CHECK(yg__sink_write(s, &r) == YG_OK);
    }
    CHECK(yg__sink_flush(s) == YG_OK);
    CHECK(get(&s->written) == 7);
    CHECK(file_size(path) == 81);
    CHECK(file_size(p1) == 162);
    CHECK(file_size(p2) == 162);
    CHECK(file_size(p3) == -1);
    char *txt = NULL;
    size_t n = 0;
    CHECK(yg_file_read(p2, 1000, &txt, &n) == YG_OK);
    if (txt) {
        char want[1024];
        snprintf(want, sizeof want, "{\"id\":\"%s\",%s\n{\"id\":\"%s\",%s\n", ids[2], json[2] + 1,
                 ids[3], json[3] + 1);
        CHECK_MSG(strcmp(txt, want) == 0, "%s", txt);
        yg_free(txt);
    }
    CHECK(yg_file_read(path, 1000, &txt, &n) == YG_OK);
    if (txt) {
        char want[200];
        snprintf(want, sizeof want, "{\"id\":\"%s\",%s\n", ids[6], json[6] + 1);
        CHECK(strcmp(txt, want) == 0 && n == 81);
        yg_free(txt);
    }

    /* A line break inside the JSON never splits the alert. */
    struct yg_alert_row r = row_n(id, 9, "{\"a\":\n1}");
    CHECK(yg__sink_write(s, &r) == YG_OK);
    CHECK(yg_file_read(path, 1000, &txt, &n) == YG_OK);
    if (txt) {
        char want[100];
        snprintf(want, sizeof want, "{\"id\":\"%s\",\"a\": 1}\n", id);
        CHECK(n == 81 + 49 && strcmp(txt + 81, want) == 0);
        yg_free(txt);
    }

    /* External rotation: the file is moved, reopen creates it again. */
    char moved[540];
    snprintf(moved, sizeof moved, "%s.moved", path);
    CHECK(rename(path, moved) == 0);
    CHECK(yg__sink_reopen(s) == YG_OK);
    CHECK(yg__sink_write(s, &r) == YG_OK);
    CHECK(yg__sink_flush(s) == YG_OK);
    CHECK(file_size(path) == 49);
    CHECK(file_size(moved) == 130);
    yg__sink_destroy(s);

    /* keep = 0: rotation starts a new file and keeps no old one; a line
     * larger than max_bytes still goes out whole. */
    unlink(p1);
    unlink(p2);
    unlink(path);
    o.keep = 0;
    o.max_bytes = 50;
    s = NULL;
    CHECK(yg__out_jsonl_new("file0", &o, &s) == YG_OK);
    if (s) {
        for (int i = 0; i < 3; i++) {
            struct yg_alert_row ri = row_n(id, i, json[i]);
            CHECK(yg__sink_write(s, &ri) == YG_OK);
        }
        char big[120];
        memset(big, ' ', sizeof big - 1);
        big[0] = '{';
        big[sizeof big - 2] = '}';
        big[sizeof big - 1] = 0;
        struct yg_alert_row rb = row_n(id, 5, big);
        CHECK(yg__sink_write(s, &rb) == YG_OK);
        CHECK(yg__sink_flush(s) == YG_OK);
        /* '{', 117 spaces, '}': the id member is put first, no comma. */
        CHECK(file_size(path) == 159);
        CHECK(file_size(p1) == -1);
        yg__sink_destroy(s);
    }

    /* An alert that already begins with its id (a correlation alert) is
     * written as it is; an empty object gets the id alone. */
    unlink(path);
    o.max_bytes = 0;
    s = NULL;
    CHECK(yg__out_jsonl_new("ids", &o, &s) == YG_OK);
    if (s) {
        char withid[80], want[200];
        snprintf(withid, sizeof withid, "{ \"id\" :\"%s\",\"b\":2}", id);
        struct yg_alert_row ri = row_n(id, 9, withid);
        CHECK(yg__sink_write(s, &ri) == YG_OK);
        struct yg_alert_row re = row_n(id, 9, "{}");
        CHECK(yg__sink_write(s, &re) == YG_OK);
        CHECK(yg__sink_flush(s) == YG_OK);
        yg__sink_destroy(s);
        CHECK(yg_file_read(path, 1000, &txt, &n) == YG_OK);
        if (txt) {
            snprintf(want, sizeof want, "%s\n{\"id\":\"%s\"}\n", withid, id);
            CHECK_MSG(strcmp(txt, want) == 0, "%s", txt);
            yg_free(txt);
        }
    }

    /* A file that cannot be created is a clear error. */
    char bad[600];
    snprintf(bad, sizeof bad, "%s/no/such/dir/a.jsonl", dir);
    o.path = bad;
    s = NULL;
    /* The failed constructor hands out a handle holding the reason. */
    CHECK(yg__out_jsonl_new("bad", &o, &s) == YG_EIO && s);
    snprintf(why, sizeof why, "jsonl sink bad: opening %s: No such file or directory", bad);
    CHECK_MSG(strcmp(yg__sink_errmsg(s), why) == 0, "%s", yg__sink_errmsg(s));
    yg__sink_destroy(s);
    o.path = "";
    CHECK(yg__out_jsonl_new("nopath", &o, &s) == YG_EINVAL);
    CHECK_MSG(strcmp(yg__sink_errmsg(s), "jsonl sink nopath: no path") == 0, "%s",
              yg__sink_errmsg(s));
    yg__sink_destroy(s);
    CHECK(strcmp(yg__sink_errmsg(NULL), "out of memory") == 0);

    /* Every allocation of the constructor and a write may fail. */
    o.path = path;
    int fails = 0;
    for (long i = 1; i < 100; i++) {
        s = NULL;
        yg__alloc_fail_after(i);
        yg_err e = yg__out_jsonl_new("oom", &o, &s);
        if (e == YG_OK) {
            struct yg_alert_row ri = row_n(id, 0, json[0]);
            e = yg__sink_write(s, &ri);
        }
        yg__alloc_fail_after(0);
        yg__sink_destroy(s);
        if (e == YG_OK)
            break;
        CHECK(e == YG_ENOMEM);
        fails++;
    }
    CHECK(fails >= 6);
    unlink(path);
    unlink(moved);
}

/* ---- syslog ------------------------------------------------------------ */

static int listen_on(int type, int *port)
{
    int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)*port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    if (type == SOCK_STREAM)
        listen(fd, 8);
    socklen_t l = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &l);
    *port = ntohs(a.sin_port);
    return fd;
}

/* Check one RFC 5424 message of row_n(i) with the given JSON. */
static void check_5424(const char *m, size_t n, int i, const char *json)
{
    char id[33];
    struct yg_alert_row r = row_n(id, i, json);
    /* <PRI>VERSION: facility 13 (log audit) * 8 + severity 3 (high). */
    CHECK_MSG(n > 8 && strncmp(m, "<107>1 ", 7) == 0, "%.*s", (int)n, m);
    /* TIMESTAMP: 2026-01-02T03:04:05.678Z */
    const char *t = m + 7;
    CHECK(n > 31 && t[4] == '-' && t[7] == '-' && t[10] == 'T' && t[13] == ':' && t[19] == '.' &&
          t[23] == 'Z' && t[24] == ' ');
    /* HOSTNAME APP-NAME PROCID MSGID */
    char host[64], app[64], msgid[64];
    int pid = 0;
    CHECK(sscanf(t + 25, "%63s %63s %d %63s", host, app, &pid, msgid) == 4);
    CHECK(strcmp(host, "testhost") == 0 && strcmp(app, "yagura") == 0 && pid == (int)getpid() &&
          strcmp(msgid, "alert") == 0);
    char sd[256];
    snprintf(sd, sizeof sd,
             "[yagura@32473 id=\"%s\" rule_id=\"rule-1\" rule_title=\"Suspicious \\\"thing\\\" "
             "[x\\]\\\\y\" level=\"high\"] ",
             id);
    const char *p = memchr(m, '[', n);
    CHECK_MSG(p && strncmp(p, sd, strlen(sd)) == 0, "%.*s", (int)n, m);
    if (p) {
        const char *msg = p + strlen(sd);
        CHECK((size_t)(m + n - msg) == strlen(json) && memcmp(msg, json, strlen(json)) == 0);
    }
    (void)r;
}

static void test_syslog_udp(void)
{
    int port = 0;
    int fd = listen_on(SOCK_DGRAM, &port);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    char ps[16];
    snprintf(ps, sizeof ps, "%d", port);
    struct yg_syslog_opts o = {.host = "127.0.0.1", .port = ps, .hostname = "testhost"};
    struct yg_sink *s = NULL;
    CHECK_MSG(yg__out_syslog_new("udp", &o, &s) == YG_OK, "%s", yg__sink_errmsg(s));
    if (!s) {
        close(fd);
        return;
    }
    char json[3][64], id[33];
    for (int i = 0; i < 3; i++) {
        snprintf(json[i], sizeof json[i], "{\"alert\":%d}", i);
        struct yg_alert_row r = row_n(id, i, json[i]);
        CHECK(yg__sink_write(s, &r) == YG_OK);
    }
    CHECK(yg__sink_flush(s) == YG_OK);
    CHECK(get(&s->written) == 3);
    for (int i = 0; i < 3; i++) {
        char buf[2048];
        struct pollfd p = {.fd = fd, .events = POLLIN};
        CHECK(poll(&p, 1, 2000) == 1);
        ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        CHECK(n > 0);
        if (n > 0)
            check_5424(buf, (size_t)n, i, json[i]);
    }
    /* Over UDP a message larger than a datagram is refused, not cut. */
    char *big = malloc(70000);
    memset(big, ' ', 69999);
    big[0] = '{';
    big[69998] = '}';
    big[69999] = 0;
    struct yg_alert_row rb = row_n(id, 9, big);
    CHECK(yg__sink_write(s, &rb) == YG_ELIMIT);
    CHECK(get(&s->dropped) == 1);
    free(big);
    yg__sink_destroy(s);
    close(fd);
}

/* Read octet-counted frames from a connection until want arrived. */
static int read_frames(int c, char frames[][256], size_t *lens, int want)
{
    static char buf[8192];
    size_t have = 0;
    int got = 0;
    uint64_t end = now_ms() + 3000;
    while (got < want && now_ms() < end) {
        struct pollfd p = {.fd = c, .events = POLLIN};
        if (poll(&p, 1, 100) != 1)
            continue;
        ssize_t n = recv(c, buf + have, sizeof buf - have, 0);
        if (n <= 0)
            break;
        have += (size_t)n;
        for (;;) {
            char *sp = memchr(buf, ' ', have);
            if (!sp)
                break;
            size_t len = strtoul(buf, NULL, 10), hl = (size_t)(sp - buf) + 1;
            if (have - hl < len)
                break;
            if (got < want && len < 256) {
                memcpy(frames[got], sp + 1, len);
                lens[got] = len;
            }
            got++;
            memmove(buf, buf + hl + len, have - hl - len);
            have -= hl + len;
        }
    }
    return got;
}

static int accept_within(int l, int ms)
{
    struct pollfd p = {.fd = l, .events = POLLIN};
    if (poll(&p, 1, ms) != 1)
        return -1;
    return accept(l, NULL, NULL);
}

static void test_syslog_tcp(void)
{
    int port = 0;
    int l = listen_on(SOCK_STREAM, &port);
    CHECK(l >= 0);
    if (l < 0)
        return;
    char ps[16];
    snprintf(ps, sizeof ps, "%d", port);
    struct yg_syslog_opts o = {.host = "127.0.0.1",
                               .port = ps,
                               .tcp = true,
                               .hostname = "testhost",
                               .flush_ms = 300,
                               .backoff_min_ms = 20,
                               .backoff_max_ms = 100};
    struct yg_sink *s = NULL;
    CHECK_MSG(yg__out_syslog_new("tcp", &o, &s) == YG_OK, "%s", yg__sink_errmsg(s));
    if (!s) {
        close(l);
        return;
    }
    char json[8][64], id[33], frames[8][256];
    size_t lens[8];
    for (int i = 0; i < 8; i++)
        snprintf(json[i], sizeof json[i], "{\"alert\":%d,\n\"multi\":\"line\"}", i);
    for (int i = 0; i < 3; i++) {
        struct yg_alert_row r = row_n(id, i, json[i]);
        CHECK(yg__sink_write(s, &r) == YG_OK);
    }
    int c = accept_within(l, 3000);
    CHECK(c >= 0);
    CHECK(yg__sink_flush(s) == YG_OK);
    CHECK(read_frames(c, frames, lens, 3) == 3);
    for (int i = 0; i < 3; i++)
        check_5424(frames[i], lens[i], i, json[i]);

    /* The collector drops the connection: the sink reconnects.  No wait is
     * needed: on loopback the FIN is in the sink's socket when close returns,
     * and the sink looks for it before each send (peer_closed). */
    close(c);
    for (int i = 3; i < 5; i++) {
        struct yg_alert_row r = row_n(id, i, json[i]);
        CHECK(yg__sink_write(s, &r) == YG_OK);
    }
    c = accept_within(l, 3000);
    CHECK(c >= 0);
    CHECK(yg__sink_flush(s) == YG_OK);
    CHECK(read_frames(c, frames, lens, 2) == 2);
    check_5424(frames[0], lens[0], 3, json[3]);
    check_5424(frames[1], lens[1], 4, json[4]);
    CHECK(get(&s->written) == 5);

    /* The collector goes away: flush reports what is still queued. */
    close(c);
    close(l);
    struct yg_alert_row r5 = row_n(id, 5, json[5]);
    CHECK(yg__sink_write(s, &r5) == YG_OK);
    CHECK(yg__sink_flush(s) == YG_EIO);
    CHECK_MSG(strstr(yg__sink_errmsg(s), "not yet sent") != NULL &&
                  strstr(yg__sink_errmsg(s), "127.0.0.1") != NULL,
              "%s", yg__sink_errmsg(s));
    CHECK(yg__out_syslog_pending(s) == 1);
    CHECK(get(&s->failed) >= 1 && get(&s->retried) >= 1);

    /* It comes back on the same port: the backoff loop reconnects and the
     * queued alert goes out. */
    l = listen_on(SOCK_STREAM, &port);
    CHECK(l >= 0);
    c = accept_within(l, 3000);
    CHECK(c >= 0);
    CHECK(read_frames(c, frames, lens, 1) == 1);
    check_5424(frames[0], lens[0], 5, json[5]);
    CHECK(wait_count(&s->written, 6, 2000));
    CHECK(yg__sink_flush(s) == YG_OK);
    yg__sink_destroy(s);
    close(c);
    close(l);

    /* Nobody listening and a queue of 2: further alerts are dropped,
     * counted, and write never waits. */
    o.queue_max = 2;
    s = NULL;
    CHECK(yg__out_syslog_new("tcp2", &o, &s) == YG_OK);
    if (s) {
        uint64_t t0 = now_ms();
        for (int i = 0; i < 5; i++) {
            struct yg_alert_row r = row_n(id, i, json[i]);
            CHECK(yg__sink_write(s, &r) == YG_OK);
        }
        CHECK(now_ms() - t0 < 200);
        CHECK(get(&s->dropped) == 3);
        CHECK(yg__sink_flush(s) == YG_EIO);
        yg__sink_destroy(s);
    }

    /* Bad options. */
    struct yg_syslog_opts bad = {.host = "127.0.0.1"};
    CHECK(yg__out_syslog_new("x", &bad, &s) == YG_EINVAL);
    CHECK_MSG(strcmp(yg__sink_errmsg(s), "syslog sink x: host and port are required") == 0, "%s",
              yg__sink_errmsg(s));
    yg__sink_destroy(s);
    bad.port = "514";
    bad.facility = 24;
    CHECK(yg__out_syslog_new("x", &bad, &s) == YG_EINVAL);
    CHECK_MSG(strcmp(yg__sink_errmsg(s), "syslog sink x: facility 24 is not 0..23") == 0, "%s",
              yg__sink_errmsg(s));
    yg__sink_destroy(s);
}

/* ---- webhook ----------------------------------------------------------- */

/* A one-request-per-connection HTTP server: answers with script[i] for the
 * i-th request (then `otherwise`), and records bodies and arrival times. */
struct http_srv {
    int fd, port;
    pthread_t th;
    pthread_mutex_t mu;
    bool stop;
    int script[8], nscript, otherwise;
    int nreq;
    char bodies[32][128];
    uint64_t at[32];
};

static void *srv_main(void *arg)
{
    struct http_srv *h = arg;
    for (;;) {
        pthread_mutex_lock(&h->mu);
        bool stop = h->stop;
        pthread_mutex_unlock(&h->mu);
        if (stop)
            break;
        struct pollfd p = {.fd = h->fd, .events = POLLIN};
        if (poll(&p, 1, 20) != 1)
            continue;
        int c = accept(h->fd, NULL, NULL);
        if (c < 0)
            continue;
        char buf[4096];
        size_t have = 0;
        long clen = -1;
        char *body = NULL;
        uint64_t end = now_ms() + 2000;
        while (now_ms() < end && have < sizeof buf - 1) {
            struct pollfd q = {.fd = c, .events = POLLIN};
            if (poll(&q, 1, 50) != 1)
                continue;
            ssize_t n = recv(c, buf + have, sizeof buf - 1 - have, 0);
            if (n <= 0)
                break;
            have += (size_t)n;
            buf[have] = 0;
            char *hend = strstr(buf, "\r\n\r\n");
            if (!hend)
                continue;
            char *cl = strcasestr(buf, "\r\nContent-Length:");
            clen = cl ? strtol(cl + 17, NULL, 10) : 0;
            body = hend + 4;
            if ((long)(have - (size_t)(body - buf)) >= clen)
                break;
        }
        int status = 400;
        pthread_mutex_lock(&h->mu);
        if (body && clen >= 0) {
            int i = h->nreq++;
            status = i < h->nscript ? h->script[i] : h->otherwise;
            if (i < 32) {
                snprintf(h->bodies[i], sizeof h->bodies[i], "%.*s", (int)clen, body);
                h->at[i] = now_ms();
            }
        }
        pthread_mutex_unlock(&h->mu);
        char resp[128];
        int rn =
            snprintf(resp, sizeof resp,
                     "HTTP/1.1 %d X\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok", status);
        if (send(c, resp, (size_t)rn, MSG_NOSIGNAL) < 0)
            perror("send");
        close(c);
    }
    return NULL;
}

static bool srv_start(struct http_srv *h, const int *script, int n, int otherwise)
{
    memset(h, 0, sizeof *h);
    h->fd = listen_on(SOCK_STREAM, &h->port);
    if (h->fd < 0)
        return false;
    memcpy(h->script, script, (size_t)n * sizeof *script);
    h->nscript = n;
    h->otherwise = otherwise;
    pthread_mutex_init(&h->mu, NULL);
    return pthread_create(&h->th, NULL, srv_main, h) == 0;
}

static void srv_set(struct http_srv *h, int otherwise)
{
    pthread_mutex_lock(&h->mu);
    h->nscript = 0;
    h->otherwise = otherwise;
    pthread_mutex_unlock(&h->mu);
}

static int srv_nreq(struct http_srv *h)
{
    pthread_mutex_lock(&h->mu);
    int n = h->nreq;
    pthread_mutex_unlock(&h->mu);
    return n;
}

static void srv_stop(struct http_srv *h)
{
    pthread_mutex_lock(&h->mu);
    h->stop = true;
    pthread_mutex_unlock(&h->mu);
    pthread_join(h->th, NULL);
    close(h->fd);
    pthread_mutex_destroy(&h->mu);
}

static void test_webhook(void)
{
    char spool[512], url[64], why[1024] = "";
    snprintf(spool, sizeof spool, "%s/spool", dir);
    struct http_srv h;
    int script[] = {500, 500};
    CHECK(srv_start(&h, script, 2, 200));
    snprintf(url, sizeof url, "http://127.0.0.1:%d/alerts", h.port);
    const char *hdrs[] = {"X-Token: secret", NULL};
    struct yg_webhook_opts o = {.url = url,
                                .spool_dir = spool,
                                .headers = hdrs,
                                .timeout_ms = 2000,
                                .backoff_min_ms = 100,
                                .backoff_max_ms = 1000};
    struct yg_sink *s = NULL;
    CHECK_MSG(yg__out_webhook_new("hook", &o, &s) == YG_OK, "%s", yg__sink_errmsg(s));
    if (!s) {
        srv_stop(&h);
        return;
    }
    char id[33];
    struct yg_alert_row r = row_n(id, 0, "{\"alert\":0}");
    CHECK(yg__sink_write(s, &r) == YG_OK);
    CHECK(yg__sink_flush(s) == YG_OK);
    CHECK(get(&s->spooled) == 1);
    /* Two 500s, then a 200: delivered on the third attempt, after waits of
     * 100 ms and then 200 ms. */
    CHECK(wait_count(&s->written, 1, 5000));
    CHECK(srv_nreq(&h) == 3);
    CHECK(strcmp(h.bodies[0], "{\"alert\":0}") == 0 && strcmp(h.bodies[2], h.bodies[0]) == 0);
    CHECK_MSG(h.at[1] - h.at[0] >= 90, "%llu", (unsigned long long)(h.at[1] - h.at[0]));
    CHECK_MSG(h.at[2] - h.at[1] >= 190, "%llu", (unsigned long long)(h.at[2] - h.at[1]));
    CHECK(get(&s->failed) == 2 && get(&s->retried) == 2);
    CHECK(count_files(spool, ".json") == 0);
    CHECK(yg__out_webhook_pending(s) == 0);

    /* The endpoint fails for good: alerts wait in the spool, flush still
     * returns because they are durable there. */
    srv_set(&h, 503);
    char jsons[3][32];
    for (int i = 1; i <= 2; i++) {
        snprintf(jsons[i], sizeof jsons[i], "{\"alert\":%d}", i);
        struct yg_alert_row ri = row_n(id, i, jsons[i]);
        CHECK(yg__sink_write(s, &ri) == YG_OK);
    }
    CHECK(yg__sink_flush(s) == YG_OK);
    CHECK(count_files(spool, ".json") == 2);
    CHECK(yg__out_webhook_pending(s) == 2);
    int before = srv_nreq(&h);
    uint64_t t0 = now_ms();
    yg__sink_destroy(s); /* interrupts the backoff wait */
    CHECK(now_ms() - t0 < 1500);
    CHECK(count_files(spool, ".json") == 2);

    /* A restart resends the spool, oldest first. */
    srv_set(&h, 200);
    s = NULL;
    CHECK(yg__out_webhook_new("hook", &o, &s) == YG_OK);
    if (s) {
        CHECK(get(&s->spooled) == 2);
        CHECK(wait_count(&s->written, 2, 5000));
        int n = srv_nreq(&h);
        CHECK(n >= before + 2);
        if (n >= 2 && n <= 32) {
            CHECK(strcmp(h.bodies[n - 2], jsons[1]) == 0);
            CHECK(strcmp(h.bodies[n - 1], jsons[2]) == 0);
        }
        CHECK(count_files(spool, ".json") == 0);
        /* New alerts continue the sequence after the resent ones. */
        struct yg_alert_row r3 = row_n(id, 3, "{\"alert\":3}");
        CHECK(yg__sink_write(s, &r3) == YG_OK);
        CHECK(wait_count(&s->written, 3, 5000));

        /* A 400 is a refusal of that alert: kept aside, not retried. */
        srv_set(&h, 400);
        struct yg_alert_row r4 = row_n(id, 4, "{\"alert\":4}");
        CHECK(yg__sink_write(s, &r4) == YG_OK);
        CHECK(wait_count(&s->dropped, 1, 5000));
        CHECK(count_files(spool, ".rejected") == 1);
        CHECK(get(&s->retried) == 0);
        yg__sink_destroy(s);
    }

    /* A spool file cut short by a crash is removed, not sent. */
    srv_set(&h, 200);
    char dmg[600];
    snprintf(dmg, sizeof dmg, "%s/00000000000000ff-%032d.json", spool, 0);
    FILE *f = fopen(dmg, "w");
    if (f) {
        fputs("{\"cut", f);
        fclose(f);
    }
    before = srv_nreq(&h);
    s = NULL;
    CHECK(yg__out_webhook_new("hook", &o, &s) == YG_OK);
    if (s) {
        CHECK(wait_count(&s->failed, 1, 3000));
        CHECK(file_size(dmg) == -1);
        CHECK(srv_nreq(&h) == before);
        yg__sink_destroy(s);
    }

    /* Nothing listens: every alert stays spooled, nothing is lost. */
    srv_stop(&h);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/alerts", h.port);
    s = NULL;
    CHECK(yg__out_webhook_new("hook", &o, &s) == YG_OK);
    if (s) {
        struct yg_alert_row r5 = row_n(id, 5, "{\"alert\":5}");
        CHECK(yg__sink_write(s, &r5) == YG_OK);
        CHECK(yg__sink_flush(s) == YG_OK);
        CHECK(wait_count(&s->failed, 1, 3000));
        CHECK(count_files(spool, ".json") == 1);
        yg__sink_destroy(s);
    }

    /* Bad options and an impossible spool directory. */
    struct yg_webhook_opts bad = {.url = url};
    CHECK(yg__out_webhook_new("x", &bad, &s) == YG_EINVAL);
    CHECK_MSG(strcmp(yg__sink_errmsg(s), "webhook sink x: url and spool directory are required") ==
                  0,
              "%s", yg__sink_errmsg(s));
    yg__sink_destroy(s);
    char nodir[600];
    snprintf(nodir, sizeof nodir, "%s/no/such/spool", dir);
    bad.spool_dir = nodir;
    CHECK(yg__out_webhook_new("x", &bad, &s) == YG_EIO);
    snprintf(why, sizeof why, "webhook sink x: creating the spool %s: No such file or directory",
             nodir);
    CHECK_MSG(strcmp(yg__sink_errmsg(s), why) == 0, "%s", yg__sink_errmsg(s));
    yg__sink_destroy(s);

    /* Allocation failures in the constructor (libcurl's own allocations
     * are not routed through yg_malloc). */
    rm_tree(spool);
    int fails = 0;
    for (long i = 1; i < 100; i++) {
        s = NULL;
        yg__alloc_fail_after(i);
        yg_err e = yg__out_webhook_new("oom", &o, &s);
        yg__alloc_fail_after(0);
        yg__sink_destroy(s);
        if (e == YG_OK)
            break;
        CHECK(e == YG_ENOMEM);
        fails++;
    }
    CHECK(fails >= 5);
    rm_tree(spool);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/yg-test-sinks-XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_jsonl();
    test_syslog_udp();
    test_syslog_tcp();
    test_webhook();
    rm_tree(dir);
    TAP_DONE();
}
