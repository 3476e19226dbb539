/*
 * http.h - the HTTP endpoint of `yagura watch`: GET /healthz and GET
 * /metrics (Prometheus text exposition format 0.0.4), served by
 * libmicrohttpd on its own polling thread.
 *
 * The metrics registry is a set of families (a name, a type, a help text),
 * each holding series told apart by their labels:
 *
 *     yagura_events_total{input="vpn"} 1234
 *
 * Threads: any thread may declare families, look up series and update them
 * at any time.  The set of families and series is guarded by a mutex taken
 * on declare, lookup and render; a series' value is a lock-free atomic, so
 * the hot path (yg__metric_add/set on a series pointer kept by the caller)
 * never takes the lock.  Series pointers stay valid until
 * yg__metrics_free, which must come after yg__http_stop.
 *
 * Labels and help texts are chosen by the service (input names, rule
 * titles and levels): never put a secret, or unbounded per-event data,
 * into a label.  The number of series is capped (YG_MAX_METRIC_SERIES).
 */
#ifndef YG_HTTP_HTTP_H
#define YG_HTTP_HTTP_H

#include "core/core.h"
#include "core/errmsg.h"

/* Most series in one registry (YG_MAX_METRIC_SERIES, limits.h); a lookup
 * past it gives NULL. */

/* Families the service exports; declared by yg__metrics_declare_standard. */
#define YG_M_EVENTS "yagura_events_total"                /* counter {input} */
#define YG_M_ALERTS "yagura_alerts_total"                /* counter {rule,level} */
#define YG_M_INPUT_LAG "yagura_input_lag_seconds"        /* gauge {input} */
#define YG_M_DROPPED "yagura_dropped_total"              /* counter {reason} */
#define YG_M_CORR_BYTES "yagura_correlation_state_bytes" /* gauge */
#define YG_M_EVAL_SECONDS "yagura_eval_seconds_total"    /* counter */
#define YG_M_REGEX_LIMIT "yagura_regex_limit_total"      /* counter {rule} */

enum yg_metric_kind { YG_METRIC_COUNTER, YG_METRIC_GAUGE };

struct yg_metrics;
struct yg_metric; /* one series */

YG_NODISCARD yg_err yg__metrics_new(struct yg_metrics **out);
void yg__metrics_free(struct yg_metrics *m);

/* Declare a family.  Declaring the same name again with the same kind is a
 * no-op; with another kind, or a name that is not [a-zA-Z_:][a-zA-Z0-9_:]*,
 * it is YG_EINVAL.  help is copied. */
YG_NODISCARD yg_err yg__metrics_declare(struct yg_metrics *m, const char *name,
                                        enum yg_metric_kind kind, const char *help);
/* The YG_M_* families with their help texts. */
YG_NODISCARD yg_err yg__metrics_declare_standard(struct yg_metrics *m);

/*
 * The series of family name with the given labels, created at zero on
 * first use.  labels is NULL or a NULL-terminated list of name, value
 * pairs ("input", "vpn", NULL); label order matters (keep it fixed per
 * family).  Returns NULL when the family is not declared, a label name is
 * invalid, the series cap is reached or memory runs out.  The pointer is
 * valid until yg__metrics_free; keep it rather than looking up per event.
 */
struct yg_metric *yg__metrics_get(struct yg_metrics *m, const char *name,
                                  const char *const *labels);

/* Update a series; each is a no-op on NULL so a failed lookup never crashes
 * the caller.  Counters only go up: a negative add to a counter is ignored. */
void yg__metric_add(struct yg_metric *s, double v);
void yg__metric_inc(struct yg_metric *s);
void yg__metric_set(struct yg_metric *s, double v);
double yg__metric_value(const struct yg_metric *s);

/* Append the exposition text of every family and series to b. */
YG_NODISCARD yg_err yg__metrics_render(struct yg_metrics *m, struct yg_buf *b);

/* ---- the server ------------------------------------------------------- */

/* Health probe: true when healthy; else set a one-line reason (shown to
 * HTTP clients, its first 254 characters: no secrets).  Called on the HTTP
 * thread, concurrently with the service, so it must only read state that is
 * safe to read there. */
typedef bool (*yg_health_fn)(void *ud, struct yg_errmsg *reason);

struct yg_http;

/*
 * Bind addr ("host:port", "[v6]:port", ":port" for every address; port 0
 * picks a free port, see yg__http_port) and serve from a new thread:
 *   GET /healthz  200 "ok\n", or 503 with the reason (health may be NULL:
 *                 always healthy)
 *   GET /metrics  200, Content-Type text/plain; version=0.0.4
 *   other paths   404;  methods other than GET and HEAD: 405 with Allow.
 * The socket is bound before return, so a privileged port works when
 * called before yg__drop_privileges.  A failure is logged (yg__log) with
 * its reason and returned: YG_EINVAL (bad address), YG_EIO (bind/listen),
 * YG_ENOMEM.  m and ud must outlive the server.
 */
YG_NODISCARD yg_err yg__http_start(const char *addr, struct yg_metrics *m, yg_health_fn health,
                                   void *ud, struct yg_http **out);
/* A listening TCP socket (non-blocking, close-on-exec) on host and port;
 * host "" is every address (dual-stack IPv6, else IPv4).  -1 on failure,
 * with the cause ("Address already in use", a resolver error) in e. */
int yg__http_listen(const char *host, unsigned port, struct yg_errmsg *e);
/* The bound port (useful after binding port 0). */
unsigned yg__http_port(const struct yg_http *h);
/* Stop serving, join the thread, close the socket and free h (NULL: no-op). */
void yg__http_stop(struct yg_http *h);

#endif
