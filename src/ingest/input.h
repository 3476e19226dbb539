/*
 * input.h - where `yagura watch` gets its events: one interface for every
 * source (tailed files, syslog over UDP/TCP/TLS, standard input, and later
 * Kafka), so the service loop never knows which kind it is reading.
 *
 * An input is polled: it exposes file descriptors to wait on and, when
 * ready, hands out complete records (lines or syslog frames) each with a
 * position that survives a restart.  Positions are opaque strings to the
 * service: it stores them in the checkpoint table after the alerts of every
 * record before them are safely in every sink, and gives them back to the
 * input on start (at-least-once delivery).
 *
 * Errors: a constructor that fails still sets *out to a handle holding the
 * reason (yg__input_errmsg: the cause and the address or file, "" when it
 * gave none and its result code says it all), on which only
 * yg__input_errmsg and ops->destroy are valid; *out is NULL only when even
 * that handle could not be allocated.
 */
#ifndef YG_INGEST_INPUT_H
#define YG_INGEST_INPUT_H

#include <poll.h>

#include "core/core.h"
#include "core/errmsg.h"

/* One record handed out by an input. */
struct yg_record {
    const char *data; /* the record, without its line end; valid until the next read */
    size_t len;
    const char *source; /* display name: file path, or "syslog-tcp:1.2.3.4:5514" */
    uint64_t line;      /* 1-based line in the source where that makes sense, else 0 */
    /* Opaque resume position *after* this record (for the checkpoint), and
     * the key it is stored under (one key per file or per listener). */
    const char *ckpt_key;
    const char *ckpt_val;
    /* A stable identity of this record within its source, for deterministic
     * alert ids: "<dev>:<inode>:<fingerprint>:<offset>" for files. */
    const char *record_id;
};

struct yg_input;

struct yg_input_ops {
    const char *kind; /* "file", "syslog-udp", "syslog-tcp", "syslog-tls", "stdin" */
    /* Add this input's descriptors to fds (at most max); returns how many. */
    int (*pollfds)(struct yg_input *in, struct pollfd *fds, int max);
    /* After poll (or periodically): accept, read, rotate.  Never blocks. */
    yg_err (*service)(struct yg_input *in);
    /* Next complete record, YG_EOF when none is ready now. */
    yg_err (*next)(struct yg_input *in, struct yg_record *rec);
    /* Resume from a stored position (called before the first service). */
    yg_err (*restore)(struct yg_input *in, const char *ckpt_key, const char *ckpt_val);
    void (*destroy)(struct yg_input *in);
};

struct yg_input {
    const struct yg_input_ops *ops;
    char *name; /* from the configuration */
    /* Counters for /metrics.  dropped counts messages lost on purpose
     * (oversize, datagram truncated, connection closed to make room);
     * conns_dropped counts connections closed to stay under a cap. */
    uint64_t records, bytes, errors, dropped;
    uint64_t conns_dropped;
    /* What the last drop was, for the service's log ("PATH: a line longer
     * than 4194304 bytes was skipped near line 12"); a drop is counted in
     * dropped only, never in errors as well. */
    char drop_why[256];
    /* Set once the input can never produce another record (stdin closed). */
    bool eof;
    /* Why the constructor failed (see the top); "" on an input that opened. */
    char errmsg[512];
};

/* The reason a failed constructor gave (see the top). */
static inline const char *yg__input_errmsg(const struct yg_input *in)
{
    return in ? in->errmsg : "out of memory";
}
/* For constructors: *out becomes a handle holding the message; returns err. */
YG_NODISCARD yg_err yg__input_failed(struct yg_input **out, yg_err err, const char *fmt, ...)
    YG_PRINTF(3, 4);

/* The inputs' caps (YG_MAX_TAILED_FILES, YG_MAX_SYSLOG_CLIENTS,
 * YG_INGEST_READ_CHUNK) are in include/yagura/limits.h. */

/* Constructors (src/ingest/in_*.c). */
/* Files matching a glob, tailed across rename and copy-truncate rotation,
 * deletion and re-creation, and new files appearing; start_at_end: begin at
 * the end of files that have no checkpoint. */
yg_err yg__in_file_new(const char *name, const char *glob, bool start_at_end,
                       struct yg_input **out);
/* Syslog listeners.  addr is "host:port", "[v6]:port" or ":port". */
yg_err yg__in_syslog_udp_new(const char *name, const char *addr, struct yg_input **out);
/* Whether cert and key load as a TLS server's (for --check): the file and
 * the reason in why when not. */
yg_err yg__in_tls_check(const char *cert, const char *key, struct yg_errmsg *why);
yg_err yg__in_syslog_tcp_new(const char *name, const char *addr, struct yg_input **out);
yg_err yg__in_syslog_tls_new(const char *name, const char *addr, const char *cert, const char *key,
                             struct yg_input **out);
yg_err yg__in_stdin_new(const char *name, struct yg_input **out);
/* OpenTelemetry logs: an HTTP server on addr taking OTLP/HTTP JSON requests
 * at POST /v1/logs; each request body is one record (format otlp). */
yg_err yg__in_otlp_new(const char *name, const char *addr, struct yg_input **out);
/* The local port an otlp-http input listens on (after binding port 0), or -1. */
int yg__in_otlp_port(struct yg_input *in);
/* Ask the kernel for a receive buffer of `bytes` on a syslog-udp input
 * (SO_RCVBUF; past net.core.rmem_max only with CAP_NET_ADMIN); *got is what
 * it granted, which may be less. */
yg_err yg__in_syslog_set_rcvbuf(struct yg_input *in, uint64_t bytes, uint64_t *got);
/* Same as yg__in_stdin_new on any readable descriptor (not closed by the input). */
yg_err yg__in_fd_new(const char *name, int fd, struct yg_input **out);

/* Timing of a file input: the glob is expanded again at most every
 * rescan_ms (default 1000), and a file that was renamed or deleted is let
 * go once it has been read to its end and has not grown for rotate_wait_ms
 * (default 5000) - or earlier, as soon as a new file at its path has data. */
void yg__in_file_set_timing(struct yg_input *in, unsigned rescan_ms, unsigned rotate_wait_ms);
/* The local port a syslog listener is bound to (after binding port 0), or -1. */
int yg__in_syslog_port(struct yg_input *in);

/* RFC 6587 framing on a TCP stream: octet-counted (`LEN SP MSG`) or
 * newline-terminated, decided per message.  Exposed for tests and fuzzing.
 * Feed bytes with yg__frame_push, take messages with yg__frame_next. */
struct yg_framer {
    struct yg_buf buf;
    size_t pos;
    size_t max_msg;
    uint64_t errors;
    uint64_t skip;  /* bytes of an oversize octet-counted message still to discard */
    bool skip_line; /* discarding an oversize line up to its newline */
};
void yg__frame_init(struct yg_framer *f, size_t max_msg);
/* Appends n bytes; YG_ELIMIT (nothing taken) when n > yg__frame_room():
 * take the buffered messages first.  A full buffer always holds a complete
 * or an oversize (discardable) message, so yg__frame_next makes room. */
YG_NODISCARD yg_err yg__frame_push(struct yg_framer *f, const char *p, size_t n);
/* Bytes that can be pushed now without YG_ELIMIT. */
size_t yg__frame_room(const struct yg_framer *f);
/* YG_OK with *msg and *len set (valid until the next push), YG_EOF when no
 * complete message is buffered.  Oversize messages are discarded and counted
 * in errors. */
yg_err yg__frame_next(struct yg_framer *f, const char **msg, size_t *len);
void yg__frame_free(struct yg_framer *f);

/* Newline-delimited records (files, stdin): the same shape without octet
 * counting.  Offsets are positions in the stream since the start. */
struct yg_lines {
    struct yg_buf buf;
    size_t pos;
    size_t max_line;
    uint64_t base;   /* stream offset of buf.p[0] */
    uint64_t line;   /* 1-based number of the next line (counts skipped ones) */
    uint64_t errors; /* oversize lines discarded */
    bool skipping;   /* discarding an oversize line up to its newline */
    /* Of the line last returned: stream offsets of its first byte and of
     * the byte after its newline. */
    uint64_t start, end;
};
void yg__lines_init(struct yg_lines *l, size_t max_line, uint64_t base);
size_t yg__lines_room(const struct yg_lines *l);
YG_NODISCARD yg_err yg__lines_push(struct yg_lines *l, const char *p, size_t n);
/* YG_OK with the next complete line (no line end), YG_EOF if none. */
yg_err yg__lines_next(struct yg_lines *l, const char **msg, size_t *len);
/* The unterminated rest as a last line, when the stream has ended. */
yg_err yg__lines_flush(struct yg_lines *l, const char **msg, size_t *len);
/* Bytes buffered and not yet returned. */
static inline size_t yg__lines_pending(const struct yg_lines *l)
{
    return l->buf.n - l->pos;
}
void yg__lines_free(struct yg_lines *l);

#endif
