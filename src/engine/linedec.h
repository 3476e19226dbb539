/*
 * linedec.h - one text line to a scanned event: format detection, the
 * CP932 fallback, the line decoders, and the scanner.  Shared by `yagura
 * hunt` (files) and `yagura watch` (tailed files and syslog streams).
 */
#ifndef YG_ENGINE_LINEDEC_H
#define YG_ENGINE_LINEDEC_H

#include <iconv.h>

#include "decode/format.h"
#include "yagura/yagura.h"

/* Below this, a sniff is not a detection. */
#define YG_SNIFF_MIN 30

/* Per-thread (or per-input) decoding state. */
struct yg_linedec {
    struct yg_buf dec, conv;
    void *fstate[32];
    const struct yg_linefmt *fmts[32];
    iconv_t cp932;
};

void yg__linedec_init(struct yg_linedec *d);
void yg__linedec_free(struct yg_linedec *d);

/* The best line format for one line, or NULL (see detect in linedec.c). */
const struct yg_linefmt *yg__sniff_line(const char *p, size_t n, int *score);
/* Per-file detection from the first non-blank line of p[0..n). */
const struct yg_linefmt *yg__detect_format(const char *p, size_t n, bool *is_json);

/* The outcome of decoding one line. */
struct yg_line_result {
    yg_err err;                   /* YG_OK scanned; YG_EOF header line; else not decoded */
    const struct yg_linefmt *fmt; /* the format used (NULL: none recognised) */
    struct yg_decode_err de;      /* where and why, when err is a decode error */
    const char *fields;           /* the decoded object (valid until the next call) */
    size_t fields_len;
};

/*
 * Decode one line with `fixed` (or, with may_switch, the most specific
 * format that claims it) and scan the result with s, calling cb for alerts.
 */
void yg__linedec_scan(struct yg_linedec *d, yg_scanner *s, const struct yg_linefmt *fixed,
                      bool may_switch, const char *p, size_t n, yg_alert_cb cb, void *ud,
                      struct yg_line_result *res);

#endif
