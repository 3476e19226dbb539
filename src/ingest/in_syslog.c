/*
 * in_syslog.c - syslog listeners (UDP, TCP, TLS) and standard input.
 *
 * These sources cannot be replayed: once a message is read from the socket
 * the sender has forgotten it.  So their records carry no checkpoint
 * (ckpt_key NULL), and a message read but not yet turned into stored alerts
 * when the process dies is lost, unless the sender retransmits (RELP or a
 * sender-side queue; plain TCP syslog does not).  What is lost on purpose
 * is counted in `dropped`: oversize messages, truncated datagrams, partial
 * messages of connections that closed or were closed to stay under the
 * client cap.
 *
 * UDP: one datagram is one message, read straight into a buffer that stays
 * valid until the next call - there is no queue to bound.  Datagrams that
 * arrive while the socket's receive buffer is full are dropped by the
 * kernel, which the sender never learns; the socket's own drop counter
 * (SO_MEMINFO, the counter /proc/net/udp shows) is added to `dropped` at
 * every service call so the loss shows in /metrics.  TCP and TLS:
 * every client has its own RFC 6587 framer (frame.c) and is read only as
 * far as its framer has room, so a fast sender waits in its socket buffer
 * (TCP flow control) instead of growing ours.  At most
 * YG_MAX_SYSLOG_CLIENTS clients are kept; a new one displaces the one idle
 * the longest, since a silent connection is the cheapest to lose.
 *
 * TLS (RFC 5425) runs non-blocking: the handshake and reads may need the
 * socket writable, which pollfds asks for.  OpenSSL writes with write(2),
 * so the process must ignore SIGPIPE (a client vanishing mid-handshake
 * would otherwise kill it).
 */
#include <inttypes.h>
#include <limits.h>
#include <linux/sock_diag.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "ingest/ingest.h"

/* A datagram is at most 65535 bytes; one more byte tells truncation. */
#define UDP_BUF 65536u

enum sock_kind { K_UDP, K_TCP, K_TLS, K_FD };

struct client {
    int fd;
    SSL *ssl;
    bool handshaken, want_write, closing;
    struct yg_framer fr;
    char *source;
    uint64_t active; /* ms of the last byte received */
};

struct in_sock {
    struct yg_input in;
    enum sock_kind kind;
    int lfd; /* listening socket, or the descriptor read (K_FD) */
    SSL_CTX *ctx;
    struct client **cl;
    size_t ncl, cursor;
    char *rbuf;
    struct yg_buf src, id;
    uint64_t boot, seq;
    uint64_t name_h; /* hash of in.name, a part of every record id */
    struct {
        uint64_t h, seq;
        uint32_t n;
    } * occ; /* content hash -> occurrences, for record ids */
    struct yg_wake wake;
    struct yg_lines lines; /* K_FD */
    bool fd_eof;
    uint32_t kdrops; /* K_UDP: the kernel's drop counter when last read */
};

static const char *kind_name(enum sock_kind k)
{
    switch (k) {
    case K_UDP: return "syslog-udp";
    case K_TCP: return "syslog-tcp";
    case K_TLS: return "syslog-tls";
    default: return "stdin";
    }
}

/* "syslog-tcp:1.2.3.4:5514" or "syslog-tcp:[::1]:5514" */
static yg_err peer_name(struct yg_buf *b, enum sock_kind k, const struct sockaddr *sa, socklen_t sl)
{
    char host[NI_MAXHOST], serv[NI_MAXSERV];
    struct sockaddr_in v4;
    yg_buf_reset(b);
    const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
    if (sa->sa_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
        /* An IPv4 sender on a dual-stack socket is named as IPv4. */
        memset(&v4, 0, sizeof v4);
        v4.sin_family = AF_INET;
        v4.sin_port = s6->sin6_port;
        memcpy(&v4.sin_addr, s6->sin6_addr.s6_addr + 12, 4);
        sa = (const struct sockaddr *)&v4;
        sl = sizeof v4;
    }
    if (getnameinfo(sa, sl, host, sizeof host, serv, sizeof serv,
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0)
        return yg_buf_addf(b, "%s:?", kind_name(k));
    if (sa->sa_family == AF_INET6)
        return yg_buf_addf(b, "%s:[%s]:%s", kind_name(k), host, serv);
    return yg_buf_addf(b, "%s:%s:%s", kind_name(k), host, serv);
}

#define ID_SLOTS 65536u

/* Record ids of sources without positions.  A network message cannot be
 * re-read after a crash, only sent again, and a message sent again must give
 * the same alert id; so the id is the message's content hash plus how many
 * times that same content has been seen on this input since start (a sender
 * that resends its stream resends the repeats in the same order).  Distinct
 * identical messages thus stay distinct records.  The occurrence counts live
 * in a fixed table (ID_SLOTS entries); when it is full the oldest entry of a
 * probe run is replaced, which can only merge two far-apart repeats. */
static uint32_t occurrence(struct in_sock *s, uint64_t h)
{
    size_t mask = ID_SLOTS - 1, i = (size_t)h & mask, victim = i;
    for (unsigned probe = 0; probe < 8; probe++, i = (i + 1) & mask) {
        if (s->occ[i].h == h && s->occ[i].n)
            return ++s->occ[i].n;
        if (!s->occ[i].n) {
            victim = i;
            break;
        }
        if (s->occ[i].seq < s->occ[victim].seq)
            victim = i;
    }
    s->occ[victim].h = h;
    s->occ[victim].n = 1;
    s->occ[victim].seq = s->seq;
    return 1;
}

static char *put_hex64(char *o, uint64_t v)
{
    static const char hx[] = "0123456789abcdef";
    for (int k = 15; k >= 0; k--, v >>= 4)
        o[k] = hx[v & 15];
    return o + 16;
}

/* The record id NAME:H1H2:K (32 hex digits) of each message, written by hand:
 * a formatted print per message was a tenth of the input's own work. */
static yg_err next_id(struct in_sock *s, const char *msg, size_t len)
{
    uint64_t h1 = yg_hash(msg, len);
    uint64_t h2 = h1 ^ (s->name_h * (uint64_t)0x9E3779B97F4A7C15ull) ^ (uint64_t)len;
    ++s->seq;
    uint32_t k = s->occ ? occurrence(s, h1) : 0;
    size_t nn = strlen(s->in.name);
    yg_buf_reset(&s->id);
    yg_err err = yg_buf_reserve(&s->id, nn + 48);
    if (err)
        return err;
    char *o = s->id.p;
    memcpy(o, s->in.name, nn);
    o += nn;
    *o++ = ':';
    o = put_hex64(o, h1);
    o = put_hex64(o, h2);
    *o++ = ':';
    char dec[10];
    int nd = 0;
    do
        dec[nd++] = (char)('0' + k % 10);
    while ((k /= 10) != 0);
    while (nd)
        *o++ = dec[--nd];
    *o = 0;
    s->id.n = (size_t)(o - s->id.p);
    return YG_OK;
}

static void client_free(struct in_sock *s, struct client *c)
{
    if (c->ssl)
        SSL_free(c->ssl);
    if (c->fd >= 0)
        close(c->fd);
    /* Bytes of a message that will never be completed. */
    if (c->fr.buf.n > c->fr.pos || c->fr.skip || c->fr.skip_line) {
        s->in.dropped++;
        snprintf(s->in.drop_why, sizeof s->in.drop_why,
                 "%s: the connection ended inside a message, which was dropped",
                 c->source ? c->source : s->in.name);
    }
    yg__frame_free(&c->fr);
    yg_free(c->source);
    yg_free(c);
}

static void client_remove(struct in_sock *s, size_t i)
{
    client_free(s, s->cl[i]);
    s->cl[i] = s->cl[--s->ncl];
    if (s->cursor >= s->ncl)
        s->cursor = 0;
}

/* ---- listening ------------------------------------------------------------ */

/* "host:port", "[v6]:port" or ":port" into host (NULL: any) and port. */
static yg_err split_addr(const char *addr, char *host, size_t hl, const char **port)
{
    const char *colon;
    if (addr[0] == '[') {
        const char *rb = strchr(addr, ']');
        if (!rb || rb[1] != ':')
            return YG_EINVAL;
        if ((size_t)(rb - addr - 1) >= hl)
            return YG_EINVAL;
        memcpy(host, addr + 1, (size_t)(rb - addr - 1));
        host[rb - addr - 1] = 0;
        colon = rb + 1;
    } else {
        colon = strrchr(addr, ':');
        if (!colon || (size_t)(colon - addr) >= hl)
            return YG_EINVAL;
        memcpy(host, addr, (size_t)(colon - addr));
        host[colon - addr] = 0;
    }
    *port = colon + 1;
    return **port ? YG_OK : YG_EINVAL;
}

/* The cause and the address, for the handle a failed constructor hands out. */
static yg_err fail(struct yg_errmsg *why, yg_err e, const char *fmt, ...) YG_PRINTF(3, 4);
static yg_err fail(struct yg_errmsg *why, yg_err e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why->msg, sizeof why->msg, fmt, ap);
    va_end(ap);
    return e;
}

static yg_err listen_on(const char *addr, int type, int *out, struct yg_errmsg *why)
{
    char host[256];
    const char *port;
    yg_err err = split_addr(addr, host, sizeof host, &port);
    if (err)
        return fail(why, err, "listen: '%s' is not HOST:PORT", addr);
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = type;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    int gai = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
    if (gai != 0)
        return fail(why, YG_EINVAL, "listen: cannot resolve '%s': %s", addr, gai_strerror(gai));
    int cause = 0; /* errno of the last failed socket, bind or listen */
    /* With no host, prefer one dual-stack IPv6 socket (it takes IPv4 too). */
    int fd = -1;
    for (int pass = 0; pass < 2 && fd < 0; pass++) {
        for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
            if (!host[0] && pass == 0 && ai->ai_family != AF_INET6)
                continue;
            fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                        ai->ai_protocol);
            if (fd < 0) {
                cause = errno;
                continue;
            }
            int one = 1, zero = 0;
            if (type == SOCK_STREAM)
                (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
            if (ai->ai_family == AF_INET6 && !host[0])
                (void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
            if (type == SOCK_DGRAM) {
                /* Bursts queue in the kernel while we work; best effort
                 * (yg__in_syslog_set_rcvbuf sets a configured size). */
                int rcv = (int)YG_UDP_RCVBUF_DEFAULT;
                (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
            }
            if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 ||
                (type == SOCK_STREAM && listen(fd, 128) != 0)) {
                cause = errno;
                close(fd);
                fd = -1;
            }
        }
    }
    freeaddrinfo(res);
    if (fd < 0)
        return fail(why, YG_EIO, "cannot listen on %s: %s", addr,
                    cause ? strerror(cause) : "no usable address");
    *out = fd;
    return YG_OK;
}

/* ---- UDP ------------------------------------------------------------------ */

static yg_err udp_next(struct yg_input *in, struct yg_record *rec)
{
    struct in_sock *s = (struct in_sock *)in;
    for (;;) {
        struct sockaddr_storage sa;
        socklen_t sl = sizeof sa;
        ssize_t r = recvfrom(s->lfd, s->rbuf, UDP_BUF, MSG_TRUNC, (struct sockaddr *)&sa, &sl);
        if (r < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return YG_EOF;
            if (errno == EINTR)
                continue;
            in->errors++;
            return YG_EOF;
        }
        if ((size_t)r > UDP_BUF) {
            in->dropped++; /* larger than any datagram we can hold */
            snprintf(in->drop_why, sizeof in->drop_why,
                     "a datagram of %zd bytes was dropped (larger than %u bytes)", r,
                     (unsigned)UDP_BUF);
            continue;
        }
        size_t n = (size_t)r;
        /* Senders often end a datagram with a newline or NUL: not message. */
        while (n > 0 && (s->rbuf[n - 1] == '\n' || s->rbuf[n - 1] == '\r' || s->rbuf[n - 1] == 0))
            n--;
        if (n == 0)
            continue;
        yg_err err = peer_name(&s->src, K_UDP, (struct sockaddr *)&sa, sl);
        if (!err)
            err = next_id(s, s->rbuf, n);
        if (err)
            return err;
        rec->data = s->rbuf;
        rec->len = n;
        rec->source = s->src.p;
        rec->line = 0;
        rec->ckpt_key = rec->ckpt_val = NULL;
        rec->record_id = s->id.p;
        in->records++;
        in->bytes += n;
        return YG_OK;
    }
}

static yg_err udp_service(struct yg_input *in)
{
    /* Datagrams are read by next, one at a time.  Here: what the kernel
     * dropped since the last call (receive buffer full, bad checksum).  The
     * counter is 32 bits and wraps; the difference is taken modulo 2^32. */
    struct in_sock *s = (struct in_sock *)in;
    uint32_t mi[SK_MEMINFO_VARS];
    socklen_t ml = sizeof mi;
    if (getsockopt(s->lfd, SOL_SOCKET, SO_MEMINFO, mi, &ml) == 0 &&
        ml > SK_MEMINFO_DROPS * sizeof *mi) {
        uint32_t d = mi[SK_MEMINFO_DROPS];
        in->dropped += (uint32_t)(d - s->kdrops);
        s->kdrops = d;
    }
    return YG_OK;
}

/* ---- TCP and TLS ----------------------------------------------------------- */

static void accept_clients(struct in_sock *s, uint64_t now)
{
    for (;;) {
        struct sockaddr_storage sa;
        socklen_t sl = sizeof sa;
        int fd = accept4(s->lfd, (struct sockaddr *)&sa, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                s->in.errors++; /* EMFILE and the like: retried next call */
            return;
        }
        if (s->ncl >= YG_MAX_SYSLOG_CLIENTS) {
            size_t old = 0;
            for (size_t i = 1; i < s->ncl; i++)
                if (s->cl[i]->active < s->cl[old]->active)
                    old = i;
            client_remove(s, old);
            s->in.conns_dropped++;
        }
        struct client *c = yg_calloc(1, sizeof *c);
        struct client **ncl = yg_realloc(s->cl, (s->ncl + 1) * sizeof *ncl);
        if (ncl)
            s->cl = ncl;
        if (!c || !ncl || peer_name(&s->src, s->kind, (struct sockaddr *)&sa, sl) != YG_OK) {
            yg_free(c);
            close(fd);
            s->in.errors++;
            continue;
        }
        c->fd = fd;
        c->active = now;
        yg__frame_init(&c->fr, YG_MAX_EVENT_BYTES);
        c->source = yg_strndup(s->src.p, s->src.n);
        if (s->kind == K_TLS) {
            c->ssl = SSL_new(s->ctx);
            if (c->ssl && SSL_set_fd(c->ssl, fd) == 1)
                SSL_set_accept_state(c->ssl);
            else if (c->ssl) {
                SSL_free(c->ssl);
                c->ssl = NULL;
            }
        }
        if (!c->source || (s->kind == K_TLS && !c->ssl)) {
            s->cl[s->ncl++] = c;
            client_remove(s, s->ncl - 1);
            s->in.errors++;
            continue;
        }
        s->cl[s->ncl++] = c;
    }
}

/* Read from one client within a budget.  Returns true if it may have more
 * to give right now (budget spent, or OpenSSL holds decrypted bytes). */
static bool read_client(struct in_sock *s, struct client *c, uint64_t now)
{
    size_t budget = YG_INGEST_READ_CHUNK;
    while (!c->closing && budget > 0) {
        size_t room = yg__frame_room(&c->fr);
        if (room == 0)
            return true; /* messages wait to be taken */
        size_t want = room < budget ? room : budget;
        if (want > UDP_BUF)
            want = UDP_BUF;
        ssize_t r;
        if (c->ssl) {
            c->want_write = false;
            ERR_clear_error();
            int rr =
                c->handshaken ? SSL_read(c->ssl, s->rbuf, (int)want) : SSL_do_handshake(c->ssl);
            if (rr > 0 && !c->handshaken) {
                c->handshaken = true;
                continue;
            }
            if (rr <= 0) {
                int e = SSL_get_error(c->ssl, rr);
                if (e == SSL_ERROR_WANT_READ)
                    return false;
                if (e == SSL_ERROR_WANT_WRITE) {
                    c->want_write = true;
                    return false;
                }
                if (e != SSL_ERROR_ZERO_RETURN)
                    s->in.errors++; /* failed handshake, reset, bad record */
                /* A peer that vanished must not get a close_notify written. */
                SSL_set_quiet_shutdown(c->ssl, 1);
                c->closing = true;
                break;
            }
            r = rr;
        } else {
            r = read(c->fd, s->rbuf, want);
            if (r < 0 && errno == EINTR)
                continue;
            if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                return false;
            if (r <= 0) {
                if (r < 0)
                    s->in.errors++;
                c->closing = true;
                break;
            }
        }
        c->active = now;
        if (yg__frame_push(&c->fr, s->rbuf, (size_t)r) != YG_OK) {
            s->in.errors++;
            c->closing = true;
            break;
        }
        budget -= (size_t)r;
    }
    if (c->closing)
        return true; /* buffered messages are handed out before it goes */
    return budget == 0 || (c->ssl && SSL_pending(c->ssl) > 0);
}

static yg_err stream_service(struct yg_input *in)
{
    struct in_sock *s = (struct in_sock *)in;
    uint64_t now = yg__now_ms();
    yg__wake_drain(&s->wake);
    accept_clients(s, now);
    bool more = false;
    for (size_t i = 0; i < s->ncl; i++)
        more |= read_client(s, s->cl[i], now);
    if (more)
        yg__wake_set(&s->wake);
    return YG_OK;
}

static yg_err stream_next(struct yg_input *in, struct yg_record *rec)
{
    struct in_sock *s = (struct in_sock *)in;
    for (size_t k = 0; k < s->ncl;) {
        size_t i = (s->cursor + k) % s->ncl;
        struct client *c = s->cl[i];
        const char *msg;
        size_t len;
        uint64_t errs = c->fr.errors;
        yg_err r = yg__frame_next(&c->fr, &msg, &len);
        if (c->fr.errors != errs) {
            in->dropped += c->fr.errors - errs;
            snprintf(in->drop_why, sizeof in->drop_why,
                     "%s: a message longer than %u bytes was skipped", c->source,
                     (unsigned)YG_MAX_EVENT_BYTES);
        }
        if (r == YG_OK) {
            /* Stay on this client: its messages are in order anyway, and
             * the next service call reads every client again. */
            s->cursor = i;
            yg_err err = next_id(s, msg, len);
            if (err)
                return err;
            rec->data = msg;
            rec->len = len;
            rec->source = c->source;
            rec->line = 0;
            rec->ckpt_key = rec->ckpt_val = NULL;
            rec->record_id = s->id.p;
            in->records++;
            in->bytes += len;
            return YG_OK;
        }
        if (c->closing) {
            client_remove(s, i); /* the slot now holds another client */
            continue;
        }
        k++;
    }
    return YG_EOF;
}

static int stream_pollfds(struct yg_input *in, struct pollfd *fds, int max)
{
    struct in_sock *s = (struct in_sock *)in;
    int n = yg__wake_pollfd(&s->wake, fds, max);
    if (n < max) {
        fds[n].fd = s->lfd;
        fds[n].events = POLLIN;
        fds[n].revents = 0;
        n++;
    }
    for (size_t i = 0; i < s->ncl && n < max; i++) {
        fds[n].fd = s->cl[i]->fd;
        fds[n].events = (short)(POLLIN | (s->cl[i]->want_write ? POLLOUT : 0));
        fds[n].revents = 0;
        n++;
    }
    return n;
}

/* ---- standard input and other descriptors ------------------------------------ */

static yg_err fd_service(struct yg_input *in)
{
    struct in_sock *s = (struct in_sock *)in;
    yg__wake_drain(&s->wake);
    if (s->fd_eof)
        return YG_OK;
    /* Never block and never change the descriptor's flags (it may be a
     * terminal shared with others): read only what poll says is there. */
    struct pollfd p = {.fd = s->lfd, .events = POLLIN};
    if (poll(&p, 1, 0) <= 0)
        return YG_OK;
    size_t room = yg__lines_room(&s->lines);
    if (room == 0) {
        yg__wake_set(&s->wake);
        return YG_OK;
    }
    if (room > YG_INGEST_READ_CHUNK)
        room = YG_INGEST_READ_CHUNK;
    ssize_t r = read(s->lfd, s->rbuf, room);
    if (r < 0) {
        if (errno != EAGAIN && errno != EINTR && errno != EWOULDBLOCK) {
            in->errors++;
            s->fd_eof = true;
        }
        return YG_OK;
    }
    if (r == 0) {
        s->fd_eof = true;
        return YG_OK;
    }
    if (yg__lines_push(&s->lines, s->rbuf, (size_t)r) != YG_OK) {
        in->errors++;
        return YG_OK;
    }
    /* A regular file or a full pipe has more at once. */
    yg__wake_set(&s->wake);
    return YG_OK;
}

static yg_err fd_next(struct yg_input *in, struct yg_record *rec)
{
    struct in_sock *s = (struct in_sock *)in;
    const char *msg;
    size_t len;
    uint64_t errs = s->lines.errors;
    yg_err r = yg__lines_next(&s->lines, &msg, &len);
    if (s->lines.errors != errs) {
        in->dropped += s->lines.errors - errs;
        snprintf(in->drop_why, sizeof in->drop_why,
                 "%s: a line longer than %u bytes was skipped near line %llu", in->name,
                 (unsigned)YG_MAX_EVENT_BYTES, (unsigned long long)s->lines.line);
    }
    if (r == YG_EOF && s->fd_eof) {
        r = yg__lines_flush(&s->lines, &msg, &len);
        if (r == YG_EOF)
            in->eof = true;
    }
    if (r != YG_OK)
        return YG_EOF;
    yg_err err = next_id(s, msg, len);
    if (err)
        return err;
    rec->data = msg;
    rec->len = len;
    rec->source = in->name;
    rec->line = s->lines.line - 1;
    rec->ckpt_key = rec->ckpt_val = NULL;
    rec->record_id = s->id.p;
    in->records++;
    in->bytes += len;
    return YG_OK;
}

static int fd_pollfds(struct yg_input *in, struct pollfd *fds, int max)
{
    struct in_sock *s = (struct in_sock *)in;
    int n = yg__wake_pollfd(&s->wake, fds, max);
    if (!s->fd_eof && n < max) {
        fds[n].fd = s->lfd;
        fds[n].events = POLLIN;
        fds[n].revents = 0;
        n++;
    }
    return n;
}

/* ---- common ------------------------------------------------------------------- */

static yg_err sock_restore(struct yg_input *in, const char *key, const char *val)
{
    /* No positions: nothing to resume. */
    (void)in;
    (void)key;
    (void)val;
    return YG_OK;
}

static void sock_destroy(struct yg_input *in)
{
    struct in_sock *s = (struct in_sock *)in;
    if (!s)
        return;
    while (s->ncl)
        client_remove(s, s->ncl - 1);
    yg_free(s->cl);
    if (s->kind != K_FD && s->lfd >= 0)
        close(s->lfd);
    if (s->ctx)
        SSL_CTX_free(s->ctx);
    yg__lines_free(&s->lines);
    yg__wake_close(&s->wake);
    yg_buf_free(&s->src);
    yg_buf_free(&s->id);
    yg_free(s->occ);
    yg_free(s->rbuf);
    yg_free(s->in.name);
    yg_free(s);
}

static const struct yg_input_ops udp_ops = {"syslog-udp", stream_pollfds, udp_service,
                                            udp_next,     sock_restore,   sock_destroy};
static const struct yg_input_ops tcp_ops = {"syslog-tcp", stream_pollfds, stream_service,
                                            stream_next,  sock_restore,   sock_destroy};
static const struct yg_input_ops tls_ops = {"syslog-tls", stream_pollfds, stream_service,
                                            stream_next,  sock_restore,   sock_destroy};
static const struct yg_input_ops fd_ops = {"stdin", fd_pollfds,   fd_service,
                                           fd_next, sock_restore, sock_destroy};

static yg_err sock_new(const char *name, enum sock_kind kind, struct in_sock **out)
{
    if (!name)
        return YG_EINVAL;
    struct in_sock *s = yg_calloc(1, sizeof *s);
    if (!s)
        return YG_ENOMEM;
    s->kind = kind;
    s->lfd = -1;
    s->wake.rd = s->wake.wr = -1;
    s->in.ops = kind == K_UDP   ? &udp_ops
                : kind == K_TCP ? &tcp_ops
                : kind == K_TLS ? &tls_ops
                                : &fd_ops;
    yg_buf_init(&s->src, 512);
    yg_buf_init(&s->id, 512);
    s->occ = yg_calloc(ID_SLOTS, sizeof *s->occ);
    yg__lines_init(&s->lines, YG_MAX_EVENT_BYTES, 0);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    s->boot = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    s->in.name = yg_strndup(name, strlen(name));
    s->name_h = yg_hash(name, strlen(name));
    s->rbuf = yg_malloc(kind == K_FD ? YG_INGEST_READ_CHUNK : UDP_BUF + 1);
    yg_err err = (!s->in.name || !s->rbuf) ? YG_ENOMEM : yg__wake_open(&s->wake);
    if (err) {
        sock_destroy(&s->in);
        return err;
    }
    *out = s;
    return YG_OK;
}

static yg_err listener_new(const char *name, enum sock_kind kind, const char *addr,
                           struct in_sock **out, struct yg_errmsg *why)
{
    yg_err err = YG_OK;
    struct in_sock *s = NULL;
    if (!addr)
        return YG_EINVAL;
    YG_TRY(sock_new(name, kind, &s));
    YG_TRY(listen_on(addr, kind == K_UDP ? SOCK_DGRAM : SOCK_STREAM, &s->lfd, why));
    *out = s;
    s = NULL;
done:
    sock_destroy(s ? &s->in : NULL);
    return err;
}

/* The end of a constructor: the input, or a handle holding why (input.h). */
static yg_err opened(yg_err err, struct in_sock *s, const struct yg_errmsg *why,
                     struct yg_input **out)
{
    if (err)
        return yg__input_failed(out, err, "%s", why->msg);
    *out = &s->in;
    return YG_OK;
}

yg_err yg__in_syslog_udp_new(const char *name, const char *addr, struct yg_input **out)
{
    struct yg_errmsg why = {""};
    struct in_sock *s = NULL;
    yg_err err = listener_new(name, K_UDP, addr, &s, &why);
    return opened(err, s, &why, out);
}

yg_err yg__in_syslog_tcp_new(const char *name, const char *addr, struct yg_input **out)
{
    struct yg_errmsg why = {""};
    struct in_sock *s = NULL;
    yg_err err = listener_new(name, K_TCP, addr, &s, &why);
    return opened(err, s, &why, out);
}

/* The server certificate chain and key into ctx, with the cause of a failure
 * (file and reason) in why. */
static yg_err load_cert(SSL_CTX *ctx, const char *cert, const char *key, struct yg_errmsg *why)
{
    yg_err err = YG_OK;
    if (access(cert, R_OK) != 0) {
        yg__errmsg_set(why, "tls cert %s: cannot read it: %s", cert, strerror(errno));
        err = YG_EIO;
    } else if (access(key, R_OK) != 0) {
        yg__errmsg_set(why, "tls key %s: cannot read it: %s", key, strerror(errno));
        err = YG_EIO;
    } else if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
        yg__errmsg_set(why, "tls cert %s: not a PEM certificate chain (%s)", cert,
                       ERR_reason_error_string(ERR_peek_last_error()));
        err = YG_EINVAL;
    } else if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
        yg__errmsg_set(why, "tls key %s: not a PEM private key (%s)", key,
                       ERR_reason_error_string(ERR_peek_last_error()));
        err = YG_EINVAL;
    } else if (SSL_CTX_check_private_key(ctx) != 1) {
        yg__errmsg_set(why, "tls key %s does not match the certificate %s", key, cert);
        err = YG_EINVAL;
    }
    ERR_clear_error();
    return err;
}

yg_err yg__in_tls_check(const char *cert, const char *key, struct yg_errmsg *why)
{
    if (!cert || !key) {
        yg__errmsg_set(why, "tls: cert and key are both needed");
        return YG_EINVAL;
    }
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) {
        yg__errmsg_set(why, "tls: out of memory");
        return YG_ENOMEM;
    }
    yg_err err = load_cert(ctx, cert, key, why);
    SSL_CTX_free(ctx);
    return err;
}

yg_err yg__in_syslog_tls_new(const char *name, const char *addr, const char *cert, const char *key,
                             struct yg_input **out)
{
    yg_err err = YG_OK;
    struct in_sock *s = NULL;
    struct yg_errmsg why = {""};
    if (!cert || !key)
        return yg__input_failed(out, YG_EINVAL, "tls: cert and key are both needed");
    YG_TRY(listener_new(name, K_TLS, addr, &s, &why));
    s->ctx = SSL_CTX_new(TLS_server_method());
    if (!s->ctx) {
        err = YG_ENOMEM;
        goto done;
    }
    SSL_CTX_set_min_proto_version(s->ctx, TLS1_2_VERSION);
    /* Partial writes and a moving buffer are what non-blocking needs. */
    SSL_CTX_set_mode(s->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    /* No TLS 1.3 session tickets: nothing here resumes sessions, and a
     * sender that never reads them closes with unread data, which makes
     * its kernel send a reset - and a reset discards what we had not yet
     * read of its last messages. */
    SSL_CTX_set_num_tickets(s->ctx, 0);
    YG_TRY(load_cert(s->ctx, cert, key, &why));
    *out = &s->in;
    s = NULL;
done:
    ERR_clear_error();
    sock_destroy(s ? &s->in : NULL);
    return err ? yg__input_failed(out, err, "%s", why.msg) : YG_OK;
}

yg_err yg__in_fd_new(const char *name, int fd, struct yg_input **out)
{
    struct in_sock *s;
    if (fd < 0)
        return yg__input_failed(out, YG_EINVAL, "%s", "");
    yg_err err = sock_new(name, K_FD, &s);
    if (err)
        return yg__input_failed(out, err, "%s", "");
    s->lfd = fd;
    *out = &s->in;
    return YG_OK;
}

yg_err yg__in_stdin_new(const char *name, struct yg_input **out)
{
    return yg__in_fd_new(name, STDIN_FILENO, out);
}

yg_err yg__in_syslog_set_rcvbuf(struct yg_input *in, uint64_t bytes, uint64_t *got)
{
    if (!in || in->ops != &udp_ops || bytes == 0 || bytes > INT_MAX / 2)
        return YG_EINVAL;
    struct in_sock *s = (struct in_sock *)in;
    int v = (int)bytes, have = 0;
    socklen_t hl = sizeof have;
    /* SO_RCVBUFFORCE goes past net.core.rmem_max but needs CAP_NET_ADMIN;
     * without it, SO_RCVBUF is capped there. */
    if (setsockopt(s->lfd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof v) != 0 &&
        setsockopt(s->lfd, SOL_SOCKET, SO_RCVBUF, &v, sizeof v) != 0)
        return YG_EIO;
    if (getsockopt(s->lfd, SOL_SOCKET, SO_RCVBUF, &have, &hl) != 0)
        return YG_EIO;
    /* Linux doubles the size asked for (room for its bookkeeping) and
     * reports the doubled value; half of it is what was granted. */
    *got = (uint64_t)have / 2;
    return YG_OK;
}

int yg__in_syslog_port(struct yg_input *in)
{
    if (!in || (in->ops != &udp_ops && in->ops != &tcp_ops && in->ops != &tls_ops))
        return -1;
    struct in_sock *s = (struct in_sock *)in;
    struct sockaddr_storage sa;
    socklen_t sl = sizeof sa;
    if (getsockname(s->lfd, (struct sockaddr *)&sa, &sl) != 0)
        return -1;
    if (sa.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&sa)->sin_port);
    if (sa.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&sa)->sin6_port);
    return -1;
}
