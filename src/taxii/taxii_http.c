/*
 * taxii_http.c - libmicrohttpd as the transport of the TAXII server.
 *
 * Everything TAXII is in taxii_server.c; this file turns an MHD connection
 * into a struct yg_taxii_req and the response back.  Bodies are collected
 * up to max_content_length; beyond it the rest is read and dropped (up to
 * YG_TAXII_DRAIN_BYTES more; past that the answer comes at once and the
 * connection closes) and the handler answers 413 after its authentication
 * and rights checks, so a client without rights learns 401/403/404 first.  TLS is GnuTLS inside
 * libmicrohttpd, TLS 1.2 and 1.3 only.
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>

#include "taxii/taxii.h"
#include "watch/config.h"
#include "watch/log.h"

struct yg_taxii_http {
    struct MHD_Daemon *d;
    struct yg_taxii_server *s;
    const struct yg_taxii_cfg *cfg;
    char *cert, *key;
    unsigned port;
};

struct conn {
    struct yg_buf body;
    bool too_large;
};

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
    (void)kind;
    struct yg_buf *b = cls;
    struct yg_taxii_arg a = {key, value ? value : ""};
    return yg_buf_add(b, &a, sizeof a) == YG_OK ? MHD_YES : MHD_NO;
}

static enum MHD_Result respond(struct MHD_Connection *mc, struct yg_taxii_resp *rs, bool head)
{
    size_t n = 0;
    char *p = yg_buf_take(&rs->body, &n);
    struct MHD_Response *r;
    if (head || !p) {
        yg_free(p);
        r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    } else {
        r = MHD_create_response_from_buffer_with_free_callback(n, p, yg_free);
    }
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, rs->content_type);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (rs->date_first[0]) {
        MHD_add_response_header(r, "X-TAXII-Date-Added-First", rs->date_first);
        MHD_add_response_header(r, "X-TAXII-Date-Added-Last", rs->date_last);
    }
    if (rs->www_authenticate)
        MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                                "Basic realm=\"TAXII\", charset=\"UTF-8\", Bearer realm=\"TAXII\"");
    if (rs->allow_get)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    if (rs->allow_get_post)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD, POST");
    if (rs->allow_get_delete)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD, DELETE");
    enum MHD_Result ok = MHD_queue_response(mc, rs->status ? rs->status : 500, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result run(struct yg_taxii_http *h, struct MHD_Connection *mc, const char *url,
                           const char *method, struct conn *cn)
{
    struct yg_buf args;
    yg_buf_init(&args, 1u << 20);
    if (MHD_get_connection_values(mc, MHD_GET_ARGUMENT_KIND, collect_arg, &args) < 0) {
        yg_buf_free(&args);
        return MHD_NO;
    }
    struct yg_taxii_req rq = {
        .method = method,
        .path = url,
        .args = (const struct yg_taxii_arg *)args.p,
        .nargs = args.n / sizeof(struct yg_taxii_arg),
        .accept = MHD_lookup_connection_value(mc, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT),
        .content_type =
            MHD_lookup_connection_value(mc, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE),
        .authorization =
            MHD_lookup_connection_value(mc, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION),
        .body = cn ? cn->body.p : NULL,
        .body_len = cn ? cn->body.n : 0,
        .body_too_large = cn && cn->too_large,
    };
    struct yg_taxii_resp rs;
    yg__taxii_handle(h->s, &rq, &rs);
    yg_buf_free(&args);
    enum MHD_Result ok = respond(mc, &rs, strcmp(method, "HEAD") == 0);
    yg_buf_free(&rs.body);
    return ok;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *mc, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **req)
{
    struct yg_taxii_http *h = cls;
    (void)version;
    bool has_body = strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0;
    if (!has_body)
        return run(h, mc, url, method, NULL);
    struct conn *cn = *req;
    if (!cn) {
        cn = yg_calloc(1, sizeof *cn);
        if (!cn)
            return MHD_NO;
        yg_buf_init(&cn->body, (size_t)h->cfg->max_content_length);
        *req = cn;
        const char *cl =
            MHD_lookup_connection_value(mc, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        unsigned long long len = cl ? strtoull(cl, NULL, 10) : 0;
        if (len > h->cfg->max_content_length) {
            cn->too_large = true;
            /* A body somewhat too large is read and dropped, so that the
             * client, still sending, gets to read the 413; a huge one is
             * answered at once and the connection closed. */
            if (len - h->cfg->max_content_length > YG_TAXII_DRAIN_BYTES)
                return run(h, mc, url, method, cn);
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
    return run(h, mc, url, method, cn);
}

static void completed(void *cls, struct MHD_Connection *mc, void **req,
                      enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)mc;
    (void)toe;
    struct conn *cn = *req;
    if (cn) {
        yg_buf_free(&cn->body);
        yg_free(cn);
        *req = NULL;
    }
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && msg[n - 1] == '\n')
        msg[--n] = 0;
    yg__log(YG_LOG_WARNING, "taxii: %s", msg);
}

yg_err yg__taxii_http_start(struct yg_taxii_server *s, const struct yg_taxii_cfg *c,
                            struct yg_taxii_http **out, char *why, size_t wl)
{
    char host[256], ps[8];
    unsigned port;
    *out = NULL;
    if (!c->listen || !yg__parse_hostport(c->listen, host, sizeof host, &port, true)) {
        snprintf(why, wl, "taxii.listen: expected host:port");
        return YG_EINVAL;
    }
    struct yg_taxii_http *h = yg_calloc(1, sizeof *h);
    if (!h)
        return YG_ENOMEM;
    h->s = s;
    h->cfg = c;
    yg_err err = YG_OK;
    size_t n;
    if (c->cert) {
        if ((err = yg_file_read(c->cert, 1u << 20, &h->cert, &n)) != YG_OK) {
            snprintf(why, wl, "taxii.tls.cert: %s: cannot read it", c->cert);
            goto fail;
        }
        if ((err = yg_file_read(c->key, 1u << 20, &h->key, &n)) != YG_OK) {
            snprintf(why, wl, "taxii.tls.key: %s: cannot read it", c->key);
            goto fail;
        }
    }
    snprintf(ps, sizeof ps, "%u", port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV},
                    *res = NULL;
    int rc = getaddrinfo(*host ? host : NULL, ps, &hints, &res);
    if (rc) {
        snprintf(why, wl, "taxii.listen: %s", gai_strerror(rc));
        err = YG_EINVAL;
        goto fail;
    }
    unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
    if (res->ai_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    if (c->cert)
        flags |= MHD_USE_TLS;
    h->d = MHD_start_daemon(
        flags, 0, NULL, NULL, handler, h, MHD_OPTION_SOCK_ADDR, res->ai_addr,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)YG_TAXII_MAX_CONNECTIONS,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)YG_TAXII_CONNECTION_TIMEOUT_S,
        MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
        MHD_OPTION_HTTPS_MEM_CERT, c->cert ? h->cert : NULL, MHD_OPTION_HTTPS_MEM_KEY,
        c->cert ? h->key : NULL, MHD_OPTION_HTTPS_PRIORITIES,
        c->cert ? "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2" : NULL, MHD_OPTION_END);
    freeaddrinfo(res);
    if (!h->d) {
        snprintf(why, wl, "taxii: cannot serve on %s (address in use, or a bad certificate)",
                 c->listen);
        err = YG_EIO;
        goto fail;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    h->port = di ? di->port : port;
    yg__log(YG_LOG_INFO, "taxii: serving on %s (port %u, %s)", c->listen, h->port,
            c->cert ? "TLS" : "plain HTTP");
    *out = h;
    return YG_OK;
fail:
    yg__taxii_http_stop(h);
    return err ? err : YG_EIO;
}

unsigned yg__taxii_http_port(const struct yg_taxii_http *h)
{
    return h ? h->port : 0;
}

void yg__taxii_http_stop(struct yg_taxii_http *h)
{
    if (!h)
        return;
    if (h->d)
        MHD_stop_daemon(h->d);
    if (h->key) {
        OPENSSL_cleanse(h->key, strlen(h->key));
        yg_free(h->key);
    }
    yg_free(h->cert);
    yg_free(h);
}
