/*
 * sink.h - where `yagura watch` sends alerts besides its SQLite store: a
 * JSON lines file, a syslog collector, an HTTP webhook.
 *
 * Every sink is one struct with an ops table, so the service loop treats
 * them alike.  The loop calls write() for each new alert, then flush()
 * before it commits the checkpoints of the records those alerts came from:
 * flush() returning YG_OK means every alert written so far is durable or
 * handed off (fsync'd for a file, sent for syslog, delivered or in the
 * fsync'd spool for a webhook).  That ordering is the at-least-once
 * contract: an alert is never lost once its record's checkpoint is stored,
 * and after a crash the replayed records write their alerts again.
 *
 * write() never blocks for long: network sinks queue and deliver from a
 * worker thread.  A sink is used from one thread (the service loop).  Its
 * counters are updated with relaxed atomics (the worker changes them), so
 * read them with __atomic_load_n(&s->written, __ATOMIC_RELAXED).  why[] is
 * only written by the calling thread, during write() and flush().
 *
 * Errors: a failed call leaves its reason on the sink (yg__sink_errmsg).  A
 * constructor that fails still sets *out to a handle holding the reason, on
 * which only yg__sink_errmsg and yg__sink_destroy are valid; *out is NULL
 * only when even that could not be allocated (yg__sink_errmsg(NULL) then
 * says "out of memory").
 */
#ifndef YG_OUTPUT_SINK_H
#define YG_OUTPUT_SINK_H

#include "core/core.h"
#include "store/store.h"

struct yg_sink;

struct yg_sink_ops {
    const char *kind; /* "jsonl", "syslog", "webhook" */
    /* Accept one alert.  The row and its strings are only read during the
     * call (the sink copies what it keeps). */
    YG_NODISCARD yg_err (*write)(struct yg_sink *s, const struct yg_alert_row *row);
    /* Return once every alert written so far is durable or handed off. */
    YG_NODISCARD yg_err (*flush)(struct yg_sink *s);
    /* Reopen files after external rotation (SIGHUP); NULL when the sink has
     * nothing to reopen. */
    YG_NODISCARD yg_err (*reopen)(struct yg_sink *s);
    /* Stop workers, flush what can be flushed, free everything. */
    void (*destroy)(struct yg_sink *s);
};

struct yg_sink {
    const struct yg_sink_ops *ops;
    char *name; /* from the configuration; owned by the sink */
    /* Counters (monotonic):
     *   written  alerts written out (file), sent (syslog), delivered (webhook)
     *   failed   write or delivery failures (each attempt that failed)
     *   retried  attempts repeated after a failure
     *   spooled  alerts put in the webhook spool, or resent from it at start
     *   dropped  alerts given up: syslog queue full, webhook 4xx rejection */
    uint64_t written, failed, retried, spooled, dropped;
    /* The last error, for logs (a worker's errors are copied in by flush());
     * read it with yg__sink_errmsg. */
    char why[512];
};

/* Bump a counter from any thread. */
#define YG_SINK_COUNT(s, field, n) __atomic_fetch_add(&(s)->field, (n), __ATOMIC_RELAXED)

/* Convenience wrappers (reopen is a no-op for sinks without one). */
static inline yg_err yg__sink_write(struct yg_sink *s, const struct yg_alert_row *row)
{
    return s->ops->write(s, row);
}
static inline yg_err yg__sink_flush(struct yg_sink *s)
{
    return s->ops->flush(s);
}
static inline yg_err yg__sink_reopen(struct yg_sink *s)
{
    return s->ops->reopen ? s->ops->reopen(s) : YG_OK;
}
static inline void yg__sink_destroy(struct yg_sink *s)
{
    if (s)
        s->ops->destroy(s);
}
/* Why the last call on s that failed failed ("" if none has). */
static inline const char *yg__sink_errmsg(const struct yg_sink *s)
{
    return s ? s->why : "out of memory";
}
/* For constructors: *out becomes a handle holding the message (see the top);
 * returns err. */
YG_NODISCARD yg_err yg__sink_failed(struct yg_sink **out, yg_err err, const char *fmt, ...)
    YG_PRINTF(3, 4);

/* Defaults of the options below (0 in an option selects its default) are the
 * YG_SINK_* values of include/yagura/limits.h. */

/* JSON lines file.  max_bytes: rotate before a line would make the file
 * larger (0: never rotate); keep: rotated files kept as path.1 .. path.keep
 * (0: the old file is removed on rotation). */
struct yg_jsonl_opts {
    const char *path;
    uint64_t max_bytes;
    unsigned keep;
};
YG_NODISCARD yg_err yg__out_jsonl_new(const char *name, const struct yg_jsonl_opts *o,
                                      struct yg_sink **out);

/* RFC 5424 syslog over UDP (one datagram per alert) or TCP (octet-counted
 * framing, RFC 6587 3.4.1). */
struct yg_syslog_opts {
    const char *host, *port;
    bool tcp;
    const char *app_name; /* default "yagura" */
    const char *hostname; /* default gethostname() */
    int facility;         /* 1..23; 0 selects 13 (log audit) */
    unsigned queue_max, flush_ms, backoff_min_ms, backoff_max_ms;
};
YG_NODISCARD yg_err yg__out_syslog_new(const char *name, const struct yg_syslog_opts *o,
                                       struct yg_sink **out);

/* HTTP POST of each alert's JSON.  Every alert is first written to a file
 * in spool_dir and removed after a 2xx answer; files left there are resent
 * when the sink is created. */
struct yg_webhook_opts {
    const char *url;
    const char *spool_dir;      /* created if missing */
    const char *const *headers; /* extra "Name: value" lines, NULL-terminated; may be NULL */
    unsigned timeout_ms, connect_timeout_ms, backoff_min_ms, backoff_max_ms;
};
YG_NODISCARD yg_err yg__out_webhook_new(const char *name, const struct yg_webhook_opts *o,
                                        struct yg_sink **out);
/* Alerts waiting for delivery (queued or being retried); for tests and
 * /metrics. */
uint64_t yg__out_webhook_pending(struct yg_sink *s);
uint64_t yg__out_syslog_pending(struct yg_sink *s);
/* The RFC 5424 message of an alert, appended to b (exposed for tests). */
YG_NODISCARD yg_err yg__syslog_format(struct yg_buf *b, int facility, const char *hostname,
                                      const char *app, int pid, const struct yg_alert_row *row);

#endif
