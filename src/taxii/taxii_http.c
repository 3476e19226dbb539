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
 *
 * Overload.  A pool of YG_TAXII_THREADS threads serves the connections, at
 * most YG_TAXII_MAX_CONNECTIONS of them and YG_TAXII_MAX_CONNECTIONS_PER_
 * ADDRESS per client address; src/http/http_guard.c gives every request
 * fixed deadlines for its headers and its body.  A slow or silent client
 * so holds one connection slot for a bounded time, and never a thread.
 *
 * Password checks (PBKDF2, slow on purpose) run on a pool of their own:
 * the request is suspended (MHD_suspend_connection) while its password is
 * checked and resumed with the result, so a flood of wrong passwords never
 * occupies a serving thread.  The queue of checks is bounded
 * (YG_TAXII_LOGIN_QUEUE, then 503); the failure limits of taxii_server.c
 * keep one address or account from filling it.
 *
 * The transport answers three things itself, with TAXII error bodies and
 * before any authentication: a URL longer than YG_TAXII_MAX_URL_BYTES
 * (414), request headers larger than YG_TAXII_MAX_HEADER_BYTES (431), and
 * a %00 anywhere in the URL (400): libmicrohttpd hands the decoded path
 * over as a C string, which a decoded NUL would cut short.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <unistd.h>

#include "http/http.h"
#include "http/http_guard.h"
#include "http/webapp.h"
#include "taxii/taxii.h"
#include "core/confval.h"
#include "core/log.h"

/* One request.  Made by the URI logger (the first callback of a request)
 * so that the raw URL can be looked at; freed when the request ends. */
struct conn {
    struct yg_buf body;
    bool too_large;
    bool started;   /* the handler has seen the headers */
    bool nul;       /* %00 in the raw URL */
    size_t url_len; /* raw URL (path and query) */
    enum { L_NONE, L_PENDING, L_DONE } lstate;
    struct yg_taxii_login login;
    struct MHD_Connection *mc;
    struct conn *qnext; /* in the queue of password checks */
    bool app;           /* a request of the mounted application (webapp.h) */
    bool app_login;     /* the application asked for a password check */
};

struct yg_taxii_http {
    struct MHD_Daemon *d;
    struct yg_taxii_server *s;
    const struct yg_taxii_cfg *cfg;
    const struct yg_web_app *app; /* mounted under its prefix, or NULL */
    struct yg_http_guard *guard;
    char *cert, *key;
    unsigned port;
    /* password checks */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t *thr;
    unsigned nthr;
    struct conn *qhead, *qtail;
    unsigned queued;
    bool stopping;
};

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
    (void)kind;
    struct yg_buf *b = cls;
    struct yg_taxii_arg a = {key, value ? value : ""};
    return yg_buf_add(b, &a, sizeof a) == YG_OK ? MHD_YES : MHD_NO;
}

/* A response owning the body (none for HEAD), or NULL. */
static struct MHD_Response *body_response(struct yg_buf *body, bool head)
{
    size_t n = 0;
    char *p = yg_buf_take(body, &n);
    if (head || !p) {
        yg_free(p);
        return MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    }
    return MHD_create_response_from_buffer_with_free_callback(n, p, yg_free);
}

static enum MHD_Result respond(struct MHD_Connection *mc, struct yg_taxii_resp *rs, bool head)
{
    struct MHD_Response *r = body_response(&rs->body, head);
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
    if (rs->retry_after) {
        char ra[16];
        snprintf(ra, sizeof ra, "%u", rs->retry_after);
        MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, ra);
    }
    enum MHD_Result ok = MHD_queue_response(mc, rs->status ? rs->status : 500, r);
    MHD_destroy_response(r);
    return ok;
}

/* An answer of the transport's own (414, 431, 400). */
static enum MHD_Result refuse(struct MHD_Connection *mc, unsigned status, const char *why,
                              bool head)
{
    struct yg_taxii_resp rs;
    yg__taxii_resp_init(&rs);
    enum MHD_Result ok = MHD_NO;
    if (yg__taxii_error(&rs, status, why) == YG_OK)
        ok = respond(mc, &rs, head);
    yg_buf_free(&rs.body);
    return ok;
}

/* ---- password checks off the serving threads ---------------------------- */

static void *checker_main(void *arg)
{
    struct yg_taxii_http *h = arg;
    for (;;) {
        pthread_mutex_lock(&h->mu);
        while (!h->qhead && !h->stopping)
            pthread_cond_wait(&h->cv, &h->mu);
        struct conn *cn = h->qhead;
        if (!cn) {
            pthread_mutex_unlock(&h->mu);
            return NULL;
        }
        h->qhead = cn->qnext;
        if (!h->qhead)
            h->qtail = NULL;
        h->queued--;
        pthread_mutex_unlock(&h->mu);
        yg__taxii_login_finish(h->s, &cn->login);
        cn->lstate = L_DONE;
        /* The handler runs again on a serving thread, with the result. */
        MHD_resume_connection(cn->mc);
    }
}

/* Queue the password check of cn and suspend its connection; false when
 * the queue is full or the server stops (cn->login says 503 then). */
static bool check_later(struct yg_taxii_http *h, struct conn *cn, struct MHD_Connection *mc)
{
    pthread_mutex_lock(&h->mu);
    if (h->stopping || !h->nthr || h->queued >= YG_TAXII_LOGIN_QUEUE) {
        pthread_mutex_unlock(&h->mu);
        yg__taxii_login_clear(&cn->login);
        cn->login.status = 503;
        cn->login.retry_after = 1;
        return false;
    }
    /* Suspended before it is queued, so that the resume always comes
     * after the suspension. */
    MHD_suspend_connection(mc);
    cn->mc = mc;
    cn->lstate = L_PENDING;
    cn->qnext = NULL;
    if (h->qtail)
        h->qtail->qnext = cn;
    else
        h->qhead = cn;
    h->qtail = cn;
    h->queued++;
    pthread_cond_signal(&h->cv);
    pthread_mutex_unlock(&h->mu);
    return true;
}

/* ---- requests ---------------------------------------------------------- */

/* ---- the mounted application (webapp.h) ---------------------------------- */

static enum MHD_Result collect_web_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                       const char *value)
{
    (void)kind;
    struct yg_web_arg a = {key, value ? value : ""};
    return yg_buf_add(cls, &a, sizeof a) == YG_OK ? MHD_YES : MHD_NO;
}

static enum MHD_Result respond_app(struct MHD_Connection *mc, struct yg_web_resp *rs, bool head)
{
    struct MHD_Response *r = body_response(&rs->body, head);
    if (!r)
        return MHD_NO;
    for (size_t i = 0; i < rs->nhdr; i++)
        MHD_add_response_header(r, rs->hdr[i].name, rs->hdr[i].value);
    enum MHD_Result ok = MHD_queue_response(mc, rs->status ? rs->status : 500, r);
    MHD_destroy_response(r);
    return ok;
}

static const char *hdr(struct MHD_Connection *mc, const char *name)
{
    return MHD_lookup_connection_value(mc, MHD_HEADER_KIND, name);
}

/* A request of the application: its password check (a login form) goes
 * through the TAXII login, suspended like a Basic login; then handle. */
static enum MHD_Result run_app(struct yg_taxii_http *h, struct MHD_Connection *mc, const char *url,
                               const char *method, struct conn *cn)
{
    struct yg_buf args;
    yg_buf_init(&args, 1u << 20);
    if (MHD_get_connection_values(mc, MHD_GET_ARGUMENT_KIND, collect_web_arg, &args) < 0) {
        yg_buf_free(&args);
        return MHD_NO;
    }
    char peer[64];
    yg__http_peer(mc, peer, sizeof peer);
    struct yg_web_req rq = {
        .method = method,
        .path = url,
        .args = (const struct yg_web_arg *)args.p,
        .nargs = args.n / sizeof(struct yg_web_arg),
        .cookie = hdr(mc, MHD_HTTP_HEADER_COOKIE),
        .content_type = hdr(mc, MHD_HTTP_HEADER_CONTENT_TYPE),
        .origin = hdr(mc, MHD_HTTP_HEADER_ORIGIN),
        .sec_fetch_site = hdr(mc, "Sec-Fetch-Site"),
        .body = cn->body.p,
        .body_len = cn->body.n,
        .body_too_large = cn->too_large,
        .peer = peer,
        .login_user = -1,
    };
    if (cn->lstate == L_NONE) {
        cn->lstate = L_DONE;
        char auth[1024];
        if (h->app->login && h->app->login(h->app->ud, &rq, auth, sizeof auth)) {
            cn->app_login = true;
            bool pending = yg__taxii_login_start(h->s, auth, peer, &cn->login);
            OPENSSL_cleanse(auth, sizeof auth);
            if (pending && check_later(h, cn, mc)) {
                yg_buf_free(&args);
                return MHD_YES;
            }
        }
    }
    rq.login_checked = cn->app_login;
    rq.login_user = cn->login.user;
    rq.login_status = cn->login.status;
    rq.login_retry_after = cn->login.retry_after;
    struct yg_web_resp rs;
    memset(&rs, 0, sizeof rs);
    yg_buf_init(&rs.body, 256u << 20);
    h->app->handle(h->app->ud, &rq, &rs);
    yg__taxii_login_clear(&cn->login);
    yg_buf_free(&args);
    enum MHD_Result ok = respond_app(mc, &rs, strcmp(method, "HEAD") == 0);
    yg_buf_free(&rs.body);
    return ok;
}

static enum MHD_Result run(struct yg_taxii_http *h, struct MHD_Connection *mc, const char *url,
                           const char *method, struct conn *cn)
{
    if (cn->app)
        return run_app(h, mc, url, method, cn);
    if (cn->lstate == L_NONE) {
        char peer[64];
        yg__http_peer(mc, peer, sizeof peer);
        const char *auth =
            MHD_lookup_connection_value(mc, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
        cn->lstate = L_DONE;
        if (yg__taxii_login_start(h->s, auth, peer, &cn->login) && check_later(h, cn, mc))
            return MHD_YES;
    }
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
        .body = cn->body.p,
        .body_len = cn->body.n,
        .body_too_large = cn->too_large,
        .peer = cn->login.peer,
        .login = &cn->login,
    };
    struct yg_taxii_resp rs;
    yg__taxii_handle(h->s, &rq, &rs);
    yg__taxii_login_clear(&cn->login);
    yg_buf_free(&args);
    enum MHD_Result ok = respond(mc, &rs, strcmp(method, "HEAD") == 0);
    yg_buf_free(&rs.body);
    return ok;
}

static struct conn *conn_new(struct yg_taxii_http *h, const char *uri)
{
    struct conn *cn = yg_calloc(1, sizeof *cn);
    if (!cn)
        return NULL;
    yg_buf_init(&cn->body, (size_t)h->cfg->max_content_length);
    cn->login.user = -1;
    if (uri) {
        cn->url_len = strlen(uri);
        for (const char *p = uri; (p = strchr(p, '%')) != NULL; p++)
            if (p[1] == '0' && p[2] == '0')
                cn->nul = true;
    }
    return cn;
}

/* MHD_OPTION_URI_LOG_CALLBACK: called with the raw URL before anything
 * decodes it; what it returns is the request's context. */
static void *uri_seen(void *cls, const char *uri, struct MHD_Connection *mc)
{
    (void)mc;
    return conn_new(cls, uri);
}

static size_t header_bytes(struct MHD_Connection *mc)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(mc, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
    return ci ? ci->header_size : 0;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *mc, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **req)
{
    struct yg_taxii_http *h = cls;
    (void)version;
    bool has_body = strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0;
    struct conn *cn = *req;
    if (!cn && !(cn = *req = conn_new(h, NULL)))
        return MHD_NO;
    bool head = strcmp(method, "HEAD") == 0;
    if (!cn->started) {
        cn->started = true;
        yg__http_guard_phase(h->guard, mc, has_body ? YG_HTTP_BODY : YG_HTTP_BUSY);
        if (cn->url_len > YG_TAXII_MAX_URL_BYTES)
            return refuse(mc, 414, "the URL is longer than the server accepts", head);
        if (header_bytes(mc) > YG_TAXII_MAX_HEADER_BYTES)
            return refuse(mc, 431, "the request headers are larger than the server accepts", head);
        if (cn->nul)
            return refuse(mc, 400, "the URL contains an encoded NUL byte (%00)", head);
        /* The application's requests have its own, smaller body limit. */
        uint64_t limit = h->cfg->max_content_length;
        if ((cn->app = yg__web_app_owns(h->app, url))) {
            limit = h->app->max_body;
            yg_buf_free(&cn->body);
            yg_buf_init(&cn->body, (size_t)limit);
        }
        if (!has_body)
            return run(h, mc, url, method, cn);
        const char *cl =
            MHD_lookup_connection_value(mc, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        unsigned long long len = cl ? strtoull(cl, NULL, 10) : 0;
        if (len > limit) {
            cn->too_large = true;
            /* A body somewhat too large is read and dropped, so that the
             * client, still sending, gets to read the 413; a huge one is
             * answered at once and the connection closed. */
            if (len - limit > YG_TAXII_DRAIN_BYTES) {
                yg__http_guard_phase(h->guard, mc, YG_HTTP_BUSY);
                return run(h, mc, url, method, cn);
            }
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
    /* The whole request is here, or a suspended password check ended. */
    yg__http_guard_phase(h->guard, mc, YG_HTTP_BUSY);
    return run(h, mc, url, method, cn);
}

static void completed(void *cls, struct MHD_Connection *mc, void **req,
                      enum MHD_RequestTerminationCode toe)
{
    struct yg_taxii_http *h = cls;
    (void)toe;
    struct conn *cn = *req;
    if (cn) {
        yg__taxii_login_clear(&cn->login);
        yg_buf_free(&cn->body);
        yg_free(cn);
        *req = NULL;
    }
    /* The next request of a kept-alive connection: its own deadline. */
    yg__http_guard_phase(h->guard, mc, YG_HTTP_HEADERS);
}

/* ---- TLS material ------------------------------------------------------ */

static yg_err read_pem(const char *what, const char *path, char **out, struct yg_errmsg *why)
{
    size_t n;
    errno = 0;
    yg_err err = yg_file_read(path, 1u << 20, out, &n);
    int e = errno;
    if (err == YG_ENOMEM && e == 0)
        yg__errmsg_set(why, "%s: %s: cannot read it: larger than 1 MiB", what, path);
    else if (err)
        yg__errmsg_set(why, "%s: %s: cannot read it: %s", what, path,
                       e ? strerror(e) : yg_strerror(err));
    return err;
}

/* Read and check the certificate and key of c into *cert, *key (heap). */
static yg_err load_tls(const struct yg_taxii_cfg *c, char **cert, char **key, struct yg_errmsg *why)
{
    yg_err err;
    *cert = *key = NULL;
    if ((err = read_pem("taxii.tls.cert", c->cert, cert, why)) ||
        (err = read_pem("taxii.tls.key", c->key, key, why)))
        goto fail;
    BIO *cb = BIO_new_mem_buf(*cert, -1), *kb = BIO_new_mem_buf(*key, -1);
    X509 *x = cb ? PEM_read_bio_X509(cb, NULL, NULL, NULL) : NULL;
    EVP_PKEY *pk = kb ? PEM_read_bio_PrivateKey(kb, NULL, NULL, (void *)"") : NULL;
    if (!x)
        yg__errmsg_set(why, "taxii.tls.cert: %s: no PEM certificate in it", c->cert);
    else if (!pk)
        yg__errmsg_set(why,
                       "taxii.tls.key: %s: no PEM private key in it (or a passphrase protects it)",
                       c->key);
    else if (X509_check_private_key(x, pk) != 1)
        yg__errmsg_set(why, "taxii.tls: the key %s is not the key of the certificate %s", c->key,
                       c->cert);
    err = x && pk && X509_check_private_key(x, pk) == 1 ? YG_OK : YG_EINVAL;
    X509_free(x);
    EVP_PKEY_free(pk);
    BIO_free(cb);
    BIO_free(kb);
    if (!err)
        return YG_OK;
fail:
    if (*key) {
        OPENSSL_cleanse(*key, strlen(*key));
        yg_free(*key);
    }
    yg_free(*cert);
    *cert = *key = NULL;
    return err;
}

yg_err yg__taxii_tls_check(const struct yg_taxii_cfg *c, struct yg_errmsg *why)
{
    char *cert, *key;
    if (!c->cert)
        return YG_OK;
    yg_err err = load_tls(c, &cert, &key, why);
    if (!err) {
        OPENSSL_cleanse(key, strlen(key));
        yg_free(key);
        yg_free(cert);
    }
    return err;
}

/* ---- start and stop ------------------------------------------------------ */

yg_err yg__taxii_http_start(struct yg_taxii_server *s, const struct yg_taxii_cfg *c,
                            struct yg_taxii_http **out)
{
    return yg__taxii_http_start_app(s, c, NULL, out);
}

yg_err yg__taxii_http_start_app(struct yg_taxii_server *s, const struct yg_taxii_cfg *c,
                                const struct yg_web_app *app, struct yg_taxii_http **out)
{
    /* The message goes on s (taxii.h), once it is known whether the helpers
     * gave one. */
    char host[256];
    struct yg_errmsg why = {""}, bwhy = {""};
    unsigned port;
    *out = NULL;
    yg__taxii_server_seterr(s, "%s", "");
    if (!c->listen || !yg__parse_hostport(c->listen, host, sizeof host, &port, true)) {
        yg__taxii_server_seterr(s, "taxii.listen: expected host:port");
        return YG_EINVAL;
    }
    struct yg_taxii_http *h = yg_calloc(1, sizeof *h);
    if (!h) {
        yg__taxii_server_seterr(s, "out of memory");
        return YG_ENOMEM;
    }
    h->s = s;
    h->cfg = c;
    h->app = app;
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->cv, NULL);
    yg_err err = YG_OK;
    int fd = -1;
    if (c->cert && (err = load_tls(c, &h->cert, &h->key, &why)))
        goto fail;
    fd = yg__http_listen(host, port, &bwhy);
    if (fd < 0) {
        yg__errmsg_set(&why, "taxii.listen: cannot listen on %s: %s", c->listen, bwhy.msg);
        err = YG_EIO;
        goto fail;
    }
    if ((err = yg__http_guard_new("taxii", YG_TAXII_HEADER_TIMEOUT_MS, YG_TAXII_BODY_TIMEOUT_MS,
                                  &h->guard)))
        goto fail;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    /* Half the processors check passwords at most, so that a flood of
     * wrong ones leaves the rest to serving. */
    unsigned want = ncpu > 1 ? (unsigned)(ncpu / 2) : 1;
    h->thr = yg_calloc(want, sizeof *h->thr);
    if (!h->thr) {
        err = YG_ENOMEM;
        goto fail;
    }
    for (; h->nthr < want; h->nthr++)
        if (pthread_create(&h->thr[h->nthr], NULL, checker_main, h) != 0)
            break;
    if (!h->nthr) {
        err = YG_ENOMEM;
        goto fail;
    }
    /* TLS options only with TLS, or libmicrohttpd warns about each; the
     * logger goes first (below), so that complaints about later options
     * reach it. */
    struct MHD_OptionItem opts[] = {
        {MHD_OPTION_LISTEN_SOCKET, fd, NULL},
        {MHD_OPTION_THREAD_POOL_SIZE, YG_TAXII_THREADS, NULL},
        {MHD_OPTION_CONNECTION_LIMIT, YG_TAXII_MAX_CONNECTIONS, NULL},
        {MHD_OPTION_PER_IP_CONNECTION_LIMIT, YG_TAXII_MAX_CONNECTIONS_PER_ADDRESS, NULL},
        {MHD_OPTION_CONNECTION_TIMEOUT, YG_TAXII_CONNECTION_TIMEOUT_S, NULL},
        {MHD_OPTION_CONNECTION_MEMORY_LIMIT, YG_TAXII_CONNECTION_BUFFER, NULL},
        {MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)uri_seen, h},
        {MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)yg__http_guard_notify, h->guard},
        {MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)completed, h},
        {MHD_OPTION_HTTPS_MEM_CERT, 0, h->cert},
        {MHD_OPTION_HTTPS_MEM_KEY, 0, h->key},
        {MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"},
        {MHD_OPTION_END, 0, NULL},
    };
    if (!c->cert)
        opts[sizeof opts / sizeof *opts - 4].option = MHD_OPTION_END;
    unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
    if (c->cert)
        flags |= MHD_USE_TLS;
    h->d = MHD_start_daemon(flags, 0, NULL, NULL, handler, h, MHD_OPTION_EXTERNAL_LOGGER,
                            yg__http_guard_log, h->guard, MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
    if (!h->d) {
        /* The socket and the certificate were checked above; what is left
         * is the TLS library or resources. */
        yg__errmsg_set(&why, "taxii: cannot start serving on %s (see the warnings above)",
                       c->listen);
        err = YG_EIO;
        goto fail;
    }
    fd = -1; /* the daemon's now */
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    h->port = di ? di->port : port;
    yg__log(YG_LOG_INFO, "taxii: serving on %s (port %u, %s)", c->listen, h->port,
            c->cert ? "TLS" : "plain HTTP");
    *out = h;
    return YG_OK;
fail:
    if (fd >= 0)
        close(fd);
    yg__taxii_http_stop(h);
    yg__taxii_server_seterr(s, "%s",
                            why.msg[0]         ? why.msg
                            : err == YG_ENOMEM ? "out of memory"
                                               : "failed");
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
    /* Every suspended connection must be resumed before MHD_stop_daemon:
     * checks not started are answered 503, running ones end. */
    pthread_mutex_lock(&h->mu);
    h->stopping = true;
    for (struct conn *cn = h->qhead, *n; cn; cn = n) {
        n = cn->qnext;
        yg__taxii_login_clear(&cn->login);
        cn->login.status = 503;
        cn->login.retry_after = 1;
        cn->lstate = L_DONE;
        MHD_resume_connection(cn->mc);
    }
    h->qhead = h->qtail = NULL;
    h->queued = 0;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
    for (unsigned i = 0; i < h->nthr; i++)
        pthread_join(h->thr[i], NULL);
    yg_free(h->thr);
    if (h->d)
        MHD_stop_daemon(h->d);
    yg__http_guard_free(h->guard);
    if (h->key) {
        OPENSSL_cleanse(h->key, strlen(h->key));
        yg_free(h->key);
    }
    yg_free(h->cert);
    pthread_cond_destroy(&h->cv);
    pthread_mutex_destroy(&h->mu);
    yg_free(h);
}
