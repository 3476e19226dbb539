/*
 * log.c - the service log (see log.h for the rules on secrets).
 *
 * A message is formatted into a stack buffer, its control characters are
 * escaped (a newline inside a message would otherwise let a hostile
 * syslog sender or file name start a line that looks like ours), and the
 * whole line goes out in one write(2) so lines from different threads never
 * interleave.  The settings are atomics: the level may change on reload
 * while other threads log.
 */
#include "core/log.h"
#include "core/timeparse.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

static atomic_int log_min = YG_LOG_INFO;
static atomic_int log_target = YG_LOG_STDERR;
static atomic_int log_fd = -1;
static atomic_bool syslog_open;

const char *yg__log_level_name(enum yg_log_level level)
{
    switch (level) {
    case YG_LOG_DEBUG: return "debug";
    case YG_LOG_INFO: return "info";
    case YG_LOG_WARNING: return "warning";
    case YG_LOG_ERROR: return "error";
    }
    return "info";
}

void yg__log_setup(enum yg_log_target target, enum yg_log_level min, const char *ident)
{
    if (target == YG_LOG_SYSLOG && !atomic_exchange(&syslog_open, true))
        /* LOG_NDELAY opens /dev/log now, before any chroot or privilege
         * drop could make it unreachable. */
        openlog(ident ? ident : "yagura", LOG_PID | LOG_NDELAY, LOG_DAEMON);
    atomic_store(&log_min, (int)min);
    atomic_store(&log_target, (int)target);
}

void yg__log_set_fd(int fd)
{
    atomic_store(&log_fd, fd);
}

/* Copy src into dst (cap bytes, NUL-terminated) escaping control bytes as
 * \n, \r, \t or \xHH; returns the length written. */
static size_t escape_into(char *dst, size_t cap, const char *src)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (const unsigned char *s = (const unsigned char *)src; *s && o + 5 < cap; s++) {
        unsigned char c = *s;
        if (c >= 0x20 && c != 0x7f) {
            dst[o++] = (char)c;
            continue;
        }
        dst[o++] = '\\';
        switch (c) {
        case '\n': dst[o++] = 'n'; break;
        case '\r': dst[o++] = 'r'; break;
        case '\t': dst[o++] = 't'; break;
        default:
            dst[o++] = 'x';
            dst[o++] = hex[c >> 4];
            dst[o++] = hex[c & 15];
        }
    }
    dst[o] = 0;
    return o;
}

void yg__vlog(enum yg_log_level level, const char *fmt, va_list ap)
{
    if ((int)level < atomic_load(&log_min))
        return;
    int saved = errno; /* callers often log right before reporting errno */
    char raw[YG_LOG_LINE_MAX];
    int n = vsnprintf(raw, sizeof raw, fmt, ap);
    if (n >= (int)sizeof raw)
        memcpy(raw + sizeof raw - 4, "...", 4);
    char msg[YG_LOG_LINE_MAX + 64];
    size_t ml = escape_into(msg, sizeof msg, n < 0 ? "(bad log format)" : raw);

    if (atomic_load(&log_target) == YG_LOG_SYSLOG) {
        static const int prio[] = {LOG_DEBUG, LOG_INFO, LOG_WARNING, LOG_ERR};
        syslog(prio[level], "%s", msg);
        errno = saved;
        return;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    char when[YG_TIME_TEXT];
    yg__time_format_frac(ts.tv_sec, (uint32_t)(ts.tv_nsec / 1000000L), 3, when);
    char line[sizeof msg + 64];
    int hl = snprintf(line, sizeof line, "%s %s ", when, yg__log_level_name(level));
    if (hl < 0 || (size_t)hl + ml + 1 >= sizeof line) {
        errno = saved;
        return;
    }
    memcpy(line + hl, msg, ml);
    line[(size_t)hl + ml] = '\n';
    int fd = atomic_load(&log_fd);
    const char *p = line;
    size_t left = (size_t)hl + ml + 1;
    while (left) {
        ssize_t w = write(fd >= 0 ? fd : STDERR_FILENO, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break; /* nowhere left to report a failing log */
        p += w;
        left -= (size_t)w;
    }
    errno = saved;
}

void yg__log(enum yg_log_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    yg__vlog(level, fmt, ap);
    va_end(ap);
}

/* ---- rate limit ------------------------------------------------------------ */

void yg__log_limit_flush(struct yg_log_limit *l, const char *what, uint64_t now_ms, bool force)
{
    bool over = now_ms - l->start_ms >= YG_LOG_RECORD_WINDOW_MS;
    if (l->suppressed && (over || force))
        yg__log(YG_LOG_WARNING,
                "%s: %llu more skipped record(s) not logged (at most %u logged per %u s; all "
                "are counted in yagura_dropped_total)",
                what, (unsigned long long)l->suppressed, YG_LOG_RECORD_BURST,
                YG_LOG_RECORD_WINDOW_MS / 1000u);
    if (over || force) {
        l->start_ms = now_ms;
        l->logged = 0;
        l->suppressed = 0;
    }
}

bool yg__log_limit_allow(struct yg_log_limit *l, const char *what, uint64_t now_ms)
{
    yg__log_limit_flush(l, what, now_ms, false);
    if (l->logged < YG_LOG_RECORD_BURST) {
        l->logged++;
        return true;
    }
    l->suppressed++;
    return false;
}
