/*
 * in_otlp.c - OpenTelemetry logs over OTLP/HTTP (docs/inputs.md#opentelemetry).
 *
 * An OTLP exporter (the OpenTelemetry collector's otlphttp exporter, an SDK)
 * POSTs an ExportLogsServiceRequest to /v1/logs.  This input accepts the
 * JSON encoding (Content-Type application/json, optionally gzip as the
 * collector sends by default); each request body is one record, which the
 * `otlp` format turns into one event per log record.
 *
 * libmicrohttpd serves the requests on its own threads; complete bodies wait
 * in a bounded queue (YG_OTLP_QUEUE requests, YG_OTLP_QUEUE_BYTES bytes) that
 * the service loop drains through next(), woken by the input's pipe.  A full
 * queue answers 503 with Retry-After, which OTLP exporters retry, so a slow
 * service pushes back instead of growing.  A request is acknowledged (200)
 * once queued: like syslog, the source cannot be replayed, so requests
 * queued but not yet turned into stored alerts when the process dies are
 * lost (records carry no checkpoint).
 *
 * Refused with the status OTLP/HTTP names: other paths 404, other methods
 * 405, protobuf bodies 415 (only JSON is read), bodies past
 * YG_MAX_EVENT_BYTES (after decompression too) 413, bad gzip 400.
 */
#include <inttypes.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <zlib.h>

#include "http/http.h"
#include "http/http_guard.h"
#include "ingest/ingest.h"
#include "core/confval.h"

struct body {
    char *p;
    size_t n;
};

struct in_otlp {
    struct yg_input in;
    struct MHD_Daemon *d;
    struct yg_http_guard *guard;
    struct yg_wake wake;
    unsigned port;
    pthread_mutex_t mu;
    struct body q[YG_OTLP_QUEUE]; /* ring, under mu */
    size_t head, count, qbytes;
    struct body cur; /* handed out by next(), freed on the following call */
    char source[300], id[512];
    uint64_t seq;
    /* Counted on the server's threads, added to the input's in service(). */
    atomic_uint_fast64_t refused, bad;
};

struct conn {
    struct yg_buf body;
    bool started, too_large, gzip;
};

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *ctype,
                             const char *body)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    enum MHD_Result ok = MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    if (ok == MHD_YES && status == MHD_HTTP_METHOD_NOT_ALLOWED)
        ok = MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "POST");
    if (ok == MHD_YES && status == MHD_HTTP_SERVICE_UNAVAILABLE)
        ok = MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "1");
    if (ok == MHD_YES)
        ok = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result refuse(struct in_otlp *s, struct MHD_Connection *c, unsigned status,
                              const char *msg)
{
    atomic_fetch_add(&s->bad, 1);
    return reply(c, status, "text/plain; charset=utf-8", msg);
}

/* gzip body to plain, at most YG_MAX_EVENT_BYTES; false when it is not
 * gzip or too large. */
static bool gunzip(const struct yg_buf *in, struct yg_buf *out, bool *too_large)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
        return false;
    z.next_in = (Bytef *)in->p;
    z.avail_in = (uInt)in->n;
    int rc = Z_OK;
    while (rc != Z_STREAM_END) {
        if (yg_buf_reserve(out, 65536)) {
            *too_large = true;
            break;
        }
        z.next_out = (Bytef *)out->p + out->n;
        z.avail_out = 65536;
        rc = inflate(&z, Z_NO_FLUSH);
        out->n = (size_t)((char *)z.next_out - out->p);
        if (rc != Z_OK && rc != Z_STREAM_END)
            break;
        if (rc == Z_OK && z.avail_in == 0 && z.avail_out != 0)
            break; /* truncated */
    }
    inflateEnd(&z);
    return rc == Z_STREAM_END && !*too_large;
}

static enum MHD_Result finish(struct in_otlp *s, struct MHD_Connection *mc, struct conn *cn)
{
    if (cn->too_large)
        return refuse(s, mc, MHD_HTTP_CONTENT_TOO_LARGE,
                      "request body larger than the input accepts\n");
    struct yg_buf plain;
    yg_buf_init(&plain, YG_MAX_EVENT_BYTES);
    struct yg_buf *b = &cn->body;
    if (cn->gzip) {
        bool big = false;
        if (!gunzip(&cn->body, &plain, &big)) {
            yg_buf_free(&plain);
            return big ? refuse(s, mc, MHD_HTTP_CONTENT_TOO_LARGE,
                                "request body larger than the input accepts\n")
                       : refuse(s, mc, MHD_HTTP_BAD_REQUEST, "body is not valid gzip\n");
        }
        b = &plain;
    }
    if (!b->n) {
        yg_buf_free(&plain);
        return refuse(s, mc, MHD_HTTP_BAD_REQUEST, "empty request body\n");
    }
    size_t n = 0;
    char *p = yg_buf_take(b, &n);
    yg_buf_free(&plain);
    if (!p)
        return refuse(s, mc, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
    pthread_mutex_lock(&s->mu);
    bool full = s->count == YG_OTLP_QUEUE || s->qbytes + n > YG_OTLP_QUEUE_BYTES;
    if (!full) {
        s->q[(s->head + s->count) % YG_OTLP_QUEUE] = (struct body){p, n};
        s->count++;
        s->qbytes += n;
        yg__wake_set(&s->wake);
    }
    pthread_mutex_unlock(&s->mu);
    if (full) {
        yg_free(p);
        atomic_fetch_add(&s->refused, 1);
        return reply(mc, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain; charset=utf-8",
                     "queue full, retry later\n");
    }
    /* An empty ExportLogsServiceResponse: every record accepted. */
    return reply(mc, MHD_HTTP_OK, "application/json", "{}");
}

static bool media_is(const char *ct, const char *want)
{
    size_t n = strlen(want);
    return ct && strncasecmp(ct, want, n) == 0 && (ct[n] == 0 || ct[n] == ';' || ct[n] == ' ');
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *mc, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **req)
{
    struct in_otlp *s = cls;
    (void)version;
    struct conn *cn = *req;
    if (!cn) {
        if (!(cn = *req = yg_calloc(1, sizeof *cn)))
            return MHD_NO;
        yg_buf_init(&cn->body, YG_MAX_EVENT_BYTES);
    }
    if (!cn->started) {
        cn->started = true;
        bool post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;
        yg__http_guard_phase(s->guard, mc, post ? YG_HTTP_BODY : YG_HTTP_BUSY);
        if (strcmp(url, "/v1/logs") != 0)
            return refuse(s, mc, MHD_HTTP_NOT_FOUND, "not found (OTLP logs go to /v1/logs)\n");
        if (!post)
            return refuse(s, mc, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n");
        const char *ct =
            MHD_lookup_connection_value(mc, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
        if (!media_is(ct, "application/json"))
            return refuse(s, mc, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
                          "only OTLP/HTTP JSON (application/json) is accepted\n");
        const char *ce =
            MHD_lookup_connection_value(mc, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_ENCODING);
        if (ce && strcasecmp(ce, "gzip") == 0)
            cn->gzip = true;
        else if (ce && strcasecmp(ce, "identity") != 0)
            return refuse(s, mc, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
                          "content encoding not supported (gzip or none)\n");
        const char *cl =
            MHD_lookup_connection_value(mc, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > YG_MAX_EVENT_BYTES) {
            yg__http_guard_phase(s->guard, mc, YG_HTTP_BUSY);
            cn->too_large = true;
            return finish(s, mc, cn);
        }
        return MHD_YES;
    }
    if (*upload_size) {
        if (!cn->too_large && yg_buf_add(&cn->body, upload, *upload_size) != YG_OK) {
            cn->too_large = true;
            yg_buf_free(&cn->body);
        }
        *upload_size = 0;
        return MHD_YES;
    }
    yg__http_guard_phase(s->guard, mc, YG_HTTP_BUSY);
    return finish(s, mc, cn);
}

static void completed(void *cls, struct MHD_Connection *mc, void **req,
                      enum MHD_RequestTerminationCode toe)
{
    struct in_otlp *s = cls;
    (void)toe;
    struct conn *cn = *req;
    if (cn) {
        yg_buf_free(&cn->body);
        yg_free(cn);
        *req = NULL;
    }
    yg__http_guard_phase(s->guard, mc, YG_HTTP_HEADERS);
}

static int o_pollfds(struct yg_input *in, struct pollfd *fds, int max)
{
    struct in_otlp *s = (struct in_otlp *)in;
    return yg__wake_pollfd(&s->wake, fds, max);
}

static yg_err o_service(struct yg_input *in)
{
    struct in_otlp *s = (struct in_otlp *)in;
    pthread_mutex_lock(&s->mu);
    yg__wake_drain(&s->wake);
    if (s->count)
        yg__wake_set(&s->wake); /* still queued: poll must not sleep on it */
    pthread_mutex_unlock(&s->mu);
    in->dropped += atomic_exchange(&s->refused, 0);
    in->errors += atomic_exchange(&s->bad, 0);
    return YG_OK;
}

static yg_err o_next(struct yg_input *in, struct yg_record *rec)
{
    struct in_otlp *s = (struct in_otlp *)in;
    yg_free(s->cur.p);
    s->cur = (struct body){NULL, 0};
    pthread_mutex_lock(&s->mu);
    if (s->count) {
        s->cur = s->q[s->head];
        s->head = (s->head + 1) % YG_OTLP_QUEUE;
        s->count--;
        s->qbytes -= s->cur.n;
    }
    pthread_mutex_unlock(&s->mu);
    if (!s->cur.p)
        return YG_EOF;
    /* Requests are not replayable and carry no identity of their own: the
     * content's hash and the arrival count keep ids distinct per request. */
    s->seq++;
    snprintf(s->id, sizeof s->id, "%s:%016" PRIx64 ":%" PRIu64, in->name,
             yg_hash(s->cur.p, s->cur.n), s->seq);
    rec->data = s->cur.p;
    rec->len = s->cur.n;
    rec->source = s->source;
    rec->line = 0;
    rec->ckpt_key = rec->ckpt_val = NULL;
    rec->record_id = s->id;
    in->records++;
    in->bytes += s->cur.n;
    return YG_OK;
}

static yg_err o_restore(struct yg_input *in, const char *k, const char *v)
{
    (void)in;
    (void)k;
    (void)v;
    return YG_OK;
}

static void o_destroy(struct yg_input *in)
{
    struct in_otlp *s = (struct in_otlp *)in;
    if (s->d)
        MHD_stop_daemon(s->d);
    yg__http_guard_free(s->guard);
    for (size_t i = 0; i < s->count; i++)
        yg_free(s->q[(s->head + i) % YG_OTLP_QUEUE].p);
    yg_free(s->cur.p);
    yg__wake_close(&s->wake);
    pthread_mutex_destroy(&s->mu);
    yg_free(in->name);
    yg_free(s);
}

static const struct yg_input_ops otlp_ops = {"otlp-http", o_pollfds, o_service,
                                             o_next,      o_restore, o_destroy};

yg_err yg__in_otlp_new(const char *name, const char *addr, struct yg_input **out)
{
    char host[256];
    struct yg_errmsg why = {""};
    unsigned port = 0;
    *out = NULL;
    if (!yg__parse_hostport(addr, host, sizeof host, &port, true))
        return yg__input_failed(out, YG_EINVAL, "%s: expected host:port", addr);
    struct in_otlp *s = yg_calloc(1, sizeof *s);
    if (!s)
        return yg__input_failed(out, YG_ENOMEM, "%s", "");
    s->in.ops = &otlp_ops;
    pthread_mutex_init(&s->mu, NULL);
    s->wake.rd = s->wake.wr = -1;
    if (!(s->in.name = yg_strndup(name, strlen(name))) || yg__wake_open(&s->wake) ||
        yg__http_guard_new("otlp", YG_HTTP_HEADER_TIMEOUT_MS, YG_OTLP_BODY_TIMEOUT_MS, &s->guard)) {
        o_destroy(&s->in);
        return yg__input_failed(out, YG_ENOMEM, "%s", "");
    }
    int fd = yg__http_listen(host, port, &why);
    if (fd < 0) {
        o_destroy(&s->in);
        return yg__input_failed(out, YG_EIO, "cannot listen on %s: %s", addr, why.msg);
    }
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
        s->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                 : ((struct sockaddr_in *)&ss)->sin_port);
    snprintf(s->source, sizeof s->source, "otlp-http:%s", addr);
    s->d = MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
                            handler, s, MHD_OPTION_EXTERNAL_LOGGER, yg__http_guard_log, s->guard,
                            MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd, MHD_OPTION_THREAD_POOL_SIZE,
                            (unsigned)YG_HTTP_THREADS, MHD_OPTION_CONNECTION_LIMIT,
                            (unsigned)YG_HTTP_MAX_CONNECTIONS, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
                            (unsigned)YG_HTTP_MAX_CONNECTIONS_PER_ADDRESS,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)YG_HTTP_IDLE_TIMEOUT_S,
                            MHD_OPTION_NOTIFY_CONNECTION, yg__http_guard_notify, s->guard,
                            MHD_OPTION_NOTIFY_COMPLETED, completed, s, MHD_OPTION_END);
    if (!s->d) {
        close(fd);
        o_destroy(&s->in);
        return yg__input_failed(out, YG_EIO, "cannot start the HTTP server on %s", addr);
    }
    *out = &s->in;
    return YG_OK;
}

int yg__in_otlp_port(struct yg_input *in)
{
    if (!in || in->ops != &otlp_ops)
        return -1;
    return (int)((struct in_otlp *)in)->port;
}
