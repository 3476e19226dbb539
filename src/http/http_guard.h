/*
 * http_guard.h - what keeps slow or silent clients of the two
 * libmicrohttpd servers (the TAXII server, src/taxii/taxii_http.c, and the
 * service's /healthz and /metrics, src/http/http.c) from holding the
 * server: per-request deadlines that do not restart on each byte, and a
 * rate limit on libmicrohttpd's own log lines.
 *
 * libmicrohttpd's connection timeout is an idle timeout: every byte that
 * arrives restarts it, so a client sending one header byte every few
 * seconds keeps its connection forever.  The guard instead gives each
 * request a fixed deadline per phase:
 *
 *   HEADERS  from the connection's start (the TLS handshake included), or
 *            from the end of the previous response on a kept-alive
 *            connection, to the end of the request headers;
 *   BODY     from the end of the headers to the end of the request body;
 *   BUSY     the request is being handled or its response sent: no
 *            deadline here (libmicrohttpd's idle timeout still applies).
 *
 * A thread of its own shuts down (shutdown(2)) the socket of a connection
 * past its deadline; libmicrohttpd then sees the connection end and frees
 * it.  The socket is only touched while the guard holds the connection's
 * entry, and the entry goes away in the CLOSED notification, which
 * libmicrohttpd sends before it closes the socket, so a descriptor number
 * reused by a newer connection is never shut down by mistake.
 */
#ifndef YG_HTTP_HTTP_GUARD_H
#define YG_HTTP_HTTP_GUARD_H

#include <microhttpd.h>
#include <stdarg.h>

#include "core/core.h"

enum yg_http_phase { YG_HTTP_HEADERS, YG_HTTP_BODY, YG_HTTP_BUSY };

struct yg_http_guard;

/* A guard whose log lines start with name ("taxii", "http"); deadlines in
 * milliseconds (0: none for that phase).  Starts its thread. */
YG_NODISCARD yg_err yg__http_guard_new(const char *name, unsigned header_ms, unsigned body_ms,
                                       struct yg_http_guard **out);
/* Stop the thread and free g; call after MHD_stop_daemon (NULL: no-op). */
void yg__http_guard_free(struct yg_http_guard *g);

/* MHD_OPTION_NOTIFY_CONNECTION callback; its closure is the guard. */
void yg__http_guard_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                           enum MHD_ConnectionNotificationCode code);
/* The connection's request moved to phase ph; the phase's deadline starts
 * now.  Call YG_HTTP_HEADERS from MHD_OPTION_NOTIFY_COMPLETED. */
void yg__http_guard_phase(struct yg_http_guard *g, struct MHD_Connection *c, enum yg_http_phase ph);

/* MHD_OPTION_EXTERNAL_LOGGER; its closure is the guard.  At most a few
 * lines a minute reach the log (a flood of refused connections would
 * otherwise write one line each); the next line that passes says how many
 * were left out. */
void yg__http_guard_log(void *cls, const char *fmt, va_list ap);

/* The client address of c as text, for per-address accounting: an IPv4
 * address (also when it arrives IPv4-mapped), or an IPv6 address cut to
 * its /64 (one host usually owns a whole /64).  "" when unknown. */
void yg__http_peer(struct MHD_Connection *c, char *out, size_t n);

#endif
