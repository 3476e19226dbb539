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

/* Per-record routing of JSON records: a record's shape (the names of its
 * first keys) maps to the format that claims it, or to none. */
#define YG_JSON_ROUTE_SLOTS 64
#define YG_JSON_ROUTE_KEYS 4   /* keys that make a record's shape */
#define YG_JSON_ROUTE_SPAN 512 /* bytes looked at for them */
struct yg_json_route {
    uint64_t shape;               /* 0: empty slot */
    const struct yg_linefmt *fmt; /* NULL: a generic JSON event */
};

/* Per-thread (or per-input) decoding state. */
struct yg_linedec {
    struct yg_json_route routes[YG_JSON_ROUTE_SLOTS];
    uint64_t route_sniffs; /* records that needed a full sniff (cache misses) */
    struct yg_buf dec, conv;
    void *fstate[32];
    const struct yg_linefmt *fmts[32];
    iconv_t cp932;
    /* Called after each event of a record that holds several (OpenTelemetry
     * export requests), for `yagura decode`; NULL: not called. */
    void (*on_record)(void *ud, yg_scanner *s, const char *p, size_t n);
    void *rec_ud;
    /* While such a record's events are scanned: which one (from 0), so
     * that the alerts of two events of one record stay distinct. */
    bool in_records;
    size_t record_index;
};

void yg__linedec_init(struct yg_linedec *d);
void yg__linedec_free(struct yg_linedec *d);

/* The best line format for one line, or NULL (see detect in linedec.c). */
const struct yg_linefmt *yg__sniff_line(const char *p, size_t n, int *score);
/*
 * The format that claims the JSON record p[0..n) (NULL: none, a generic JSON
 * event such as Windows or Sysmon JSON).  Decided per record, so a file's
 * alerts never depend on the order of its records: the full sniff of the
 * JSON formats runs once per record shape (the names of the first
 * YG_JSON_ROUTE_KEYS keys within YG_JSON_ROUTE_SPAN bytes) and is cached.
 */
const struct yg_linefmt *yg__route_json(struct yg_linedec *d, const char *p, size_t n);
/* Per-file detection from the first non-blank line of p[0..n).  JSON
 * (an object or an array first) gives NULL and *is_json: such files are
 * routed record by record. */
const struct yg_linefmt *yg__detect_format(const char *p, size_t n, bool *is_json);

/* End of the JSON object or array at p[0] (just past its closing bracket),
 * or 0 when it does not end within n bytes.  Structure only: the decoder
 * that reads the record checks the rest. */
size_t yg__json_object_end(const char *p, size_t n);

/* Generic JSON events in results (its decode is NULL: the scanner reads them). */
extern const struct yg_linefmt yg__fmt_json;

/* The outcome of decoding one line. */
struct yg_line_result {
    yg_err err;                   /* YG_OK scanned; YG_EOF header line; else not decoded */
    const struct yg_linefmt *fmt; /* the format used (NULL: none recognised) */
    struct yg_decode_err de;      /* where and why, when err is a decode error */
    const char *fields;           /* the decoded object (valid until the next call) */
    size_t fields_len;
    size_t records; /* events scanned, for formats with several per record (else 0) */
};

/*
 * Decode one line with `fixed` (or, with may_switch, the most specific
 * format that claims it) and scan the result with s, calling cb for alerts.
 */
void yg__linedec_scan(struct yg_linedec *d, yg_scanner *s, const struct yg_linefmt *fixed,
                      bool may_switch, const char *p, size_t n, yg_alert_cb cb, void *ud,
                      struct yg_line_result *res);

#endif
