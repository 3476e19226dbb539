/*
 * log.h - the service log (`yagura watch`, `yagura serve` and the TAXII
 * client, which share it from here, below every layer): one line per message, to
 * standard error (with an ISO 8601 UTC timestamp and the level) or to
 * syslog(3), below a level filter.
 *
 * Secrets are never logged.  Callers pass only names, paths, counts and
 * error strings; values that may carry credentials (webhook header values,
 * webhook URLs, TLS key material, event contents that reached a sink) are
 * never formatted into a message.  The configuration keeps such values but
 * redacts them in every rendering (config.h), and the HTTP endpoint exposes
 * only metric names and labels chosen by the service.  As a second line of
 * defence, control characters in a message are escaped so that text from
 * the network cannot forge extra log lines.
 *
 * Thread safety: yg__log may be called from any thread at any time; each
 * message is written with a single write(2) (stderr) or syslog(3) call, so
 * lines of concurrent threads never interleave.  yg__log_setup is meant to
 * be called at start and on reload; it may race with yg__log harmlessly.
 */
#ifndef YG_CORE_LOG_H
#define YG_CORE_LOG_H

#include <stdarg.h>

#include "core/core.h"

enum yg_log_level { YG_LOG_DEBUG, YG_LOG_INFO, YG_LOG_WARNING, YG_LOG_ERROR };
enum yg_log_target { YG_LOG_STDERR, YG_LOG_SYSLOG };

/* Longest message kept; longer ones are cut and end in "...". */
#define YG_LOG_LINE_MAX 2048u

/* Where messages go and the lowest level written (default: stderr, info).
 * ident names the program in syslog (a static string; default "yagura"). */
void yg__log_setup(enum yg_log_target target, enum yg_log_level min, const char *ident);
/* Redirect stderr-target output to fd (tests); -1 restores standard error. */
void yg__log_set_fd(int fd);
void yg__log(enum yg_log_level level, const char *fmt, ...) YG_PRINTF(2, 3);
void yg__vlog(enum yg_log_level level, const char *fmt, va_list ap);
/*
 * A rate limit on one repeated kind of warning (records skipped on one
 * input): a flood of malformed messages must not become a flood of log
 * lines.  At most `burst` messages are let through per window; the others
 * are counted, and the count is logged in one line ("NAME: N more ... not
 * logged") when the window is over, at the next message or the next
 * yg__log_limit_flush, whichever comes first.  Zero-initialise; one thread.
 */
struct yg_log_limit {
    uint64_t start_ms;   /* start of the current window */
    uint32_t logged;     /* messages let through in it */
    uint64_t suppressed; /* messages held back in it */
};
/* true: log this message now.  what names the source in the count line. */
bool yg__log_limit_allow(struct yg_log_limit *l, const char *what, uint64_t now_ms);
/* Log the count of held-back messages if the window is over (or always,
 * with force: at stop). */
void yg__log_limit_flush(struct yg_log_limit *l, const char *what, uint64_t now_ms, bool force);

/* "debug", "info", "warning", "error". */
const char *yg__log_level_name(enum yg_log_level level);

#endif
