/*
 * format.h - line-oriented log formats: how a decoder plugs in.
 *
 * Every log format that is not Windows EVTX or a Windows/generic JSON
 * document is decoded record by record by a yg_linefmt.  A decoder turns
 * one record (a line) into one flat JSON object whose keys are the field
 * names SigmaHQ's rules use for that source (`cs-uri-stem`, `c-ip`, `action`,
 * `Operation`, ...), and names the record's Sigma log source.  The engine
 * then matches that object exactly like any JSON event, with the log source
 * given out of band, so one matcher serves every format.
 *
 * A decoder is one struct and a few functions (Fluent Bit's plugin shape):
 * a sniffer for format detection, optional per-file state (for formats with
 * header lines: W3C `#Fields`, Zeek `#fields`, CSV headers) and the decode
 * callback.  Decoders never allocate per record: they append to the
 * caller's buffer.  Every field value is written as a JSON string (numbers
 * as their text), so matching sees exactly the bytes of the log.
 */
#ifndef YG_DECODE_FORMAT_H
#define YG_DECODE_FORMAT_H

#include "core/core.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* A Sigma log source; strings are static (lowercase), NULL if not set. */
struct yg_logsrc {
    const char *product, *service, *category;
};

/* Where and why a record could not be decoded. */
struct yg_decode_err {
    size_t col;      /* 1-based byte column in the line */
    const char *msg; /* static string: what was expected */
};

struct yg_linefmt {
    const char *name; /* --format name, e.g. "fortigate" */
    const char *desc; /* one line for --help and docs */
    /* Records are JSON objects (Microsoft 365, Entra, Zeek JSON, Suricata
     * EVE): such a format is chosen per record among JSON records, never
     * for a whole file (see yg__route_json in detector/linedec.c). */
    bool json_records;
    /* Confidence 0..100 that `line` is a record of this format (no state). */
    int (*sniff)(const char *line, size_t n);
    /* Per-file state (may be NULL when the format needs none). */
    void *(*state_new)(void);
    void (*state_free)(void *st);
    /*
     * Decode one line (without its newline).  On YG_OK, exactly one JSON
     * object was appended to out and *ls is set.  YG_EOF: the line was a
     * header or comment that produced no record (state may have changed).
     * YG_ESYNTAX: *e says where and why; out is left as it was.
     */
    yg_err (*decode)(void *st, const char *line, size_t n, struct yg_buf *out, struct yg_logsrc *ls,
                     struct yg_decode_err *e);
    /*
     * Formats whose one record holds many events (an OpenTelemetry export
     * request): decode appends one JSON object per event, each followed by
     * a newline, and this gives the log source of the i-th (all NULL: none
     * of its own, the configured one applies as for generic JSON).  NULL
     * for formats with one event per record.
     */
    void (*record_logsrc)(void *st, size_t i, struct yg_logsrc *ls);
};

/* All linked formats, NULL-terminated, most specific first (format.c). */
const struct yg_linefmt *const *yg__formats_list(void);
const struct yg_linefmt *yg__format_find(const char *name);

/* ---- helpers shared by decoders (format.c) ----------------------------- */

/* Whether p[0..n) has the JSON member "key": with any whitespace around the
 * colon (compact and pretty-printed records alike); with vprefix, its value
 * must be a string starting with vprefix ("" for any string). */
bool yg__json_has_member(const char *p, size_t n, const char *key, const char *vprefix);

/* The head of a line that starts a JSON object, for a sniffer: after an
 * optional UTF-8 byte order mark (when bom) and spaces or tabs, the '{' and
 * at most max bytes from it, their count in *headn.  NULL when the line
 * does not start an object. */
const char *yg__json_sniff_head(const char *p, size_t n, bool bom, size_t max, size_t *headn);

/* Append `"key":"value"` (with a leading comma unless *first), JSON-escaping
 * both; invalid UTF-8 bytes are written as \u00XX of the byte (visible,
 * never dropped).  yg__json_kv below is the same with an inline fast path. */
YG_NODISCARD yg_err yg__json_kv_any(struct yg_buf *out, bool *first, const char *k, size_t kn,
                                    const char *v, size_t vn);

#if defined(__SSE2__)
/* A string of 1 to 16 bytes as two overlapping words of its own bytes (no
 * byte outside s[0..n) is read): *a from the start, *b ending at the end. */
static inline __attribute__((always_inline)) void yg__short_load(const char *s, size_t n,
                                                                 uint64_t *a, uint64_t *b)
{
    if (n >= 8) {
        memcpy(a, s, 8);
        memcpy(b, s + n - 8, 8);
    } else if (n >= 4) {
        uint32_t x, y;
        memcpy(&x, s, 4);
        memcpy(&y, s + n - 4, 4);
        *a = x;
        *b = y;
    } else {
        *a = (unsigned char)s[0];
        *b = (uint64_t)(unsigned char)s[n / 2] << 8 | (uint64_t)(unsigned char)s[n - 1] << 16;
        *b |= *a;
    }
}

/* Write back what yg__short_load read: the n bytes at p. */
static inline __attribute__((always_inline)) void yg__short_store(char *p, size_t n, uint64_t a,
                                                                  uint64_t b)
{
    if (n >= 8) {
        memcpy(p, &a, 8);
        memcpy(p + n - 8, &b, 8);
    } else if (n >= 4) {
        uint32_t x = (uint32_t)a, y = (uint32_t)b;
        memcpy(p, &x, 4);
        memcpy(p + n - 4, &y, 4);
    } else {
        p[0] = (char)a;
        p[n / 2] = (char)(b >> 8);
        p[n - 1] = (char)(b >> 16);
    }
}

/* The bytes of v that need escaping in JSON (yg__vec_bad), or whether no
 * byte of the words does (yg__short_plain): a control byte, DEL, a byte >=
 * 0x80, `"` or `\`.  Short words hold copies of the string's own bytes in
 * their unused lanes (zero lanes would count as control bytes), which the
 * caller arranges by what it passes (yg__short_fill). */
static inline __attribute__((always_inline)) __m128i yg__vec_bad(__m128i v)
{
    /* Signed compare: bytes >= 0x80 are negative, so `v < 0x20` catches
     * them with the control bytes. */
    return _mm_or_si128(_mm_or_si128(_mm_cmplt_epi8(v, _mm_set1_epi8(0x20)),
                                     _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7f))),
                        _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
                                     _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))));
}

static inline __attribute__((always_inline)) bool yg__short_plain(uint64_t a, uint64_t b)
{
    return _mm_movemask_epi8(yg__vec_bad(_mm_set_epi64x((long long)b, (long long)a))) == 0;
}

/* The words of yg__short_load with every lane a byte of the string: the
 * first byte fills what the load left zero (it needs escaping exactly when
 * the string does, so the test is unchanged). */
static inline __attribute__((always_inline)) void yg__short_fill(size_t n, uint64_t *a, uint64_t *b)
{
    if (n >= 8)
        return;
    uint64_t f = (*a & 0xff) * 0x0101010101010101u;
    if (n >= 4) {
        *a |= f & 0xffffffff00000000u;
        *b |= f & 0xffffffff00000000u;
    } else {
        *a |= f & ~(uint64_t)0xff;
        *b |= f & ~(uint64_t)0xffffff;
    }
}
#endif

/*
 * yg__json_kv_any, with the most common field inline: a key of 1 to 16 and
 * a value of 1 to 32 bytes of printable ASCII without `"` or `\`, and room
 * in the buffer.  Decoders write each field through here, most with a
 * literal key (whose loads the compiler folds), so the call and the general
 * classification are what a field would otherwise cost.  Same output as
 * yg__json_kv_any.
 */
static inline __attribute__((always_inline)) YG_NODISCARD yg_err
yg__json_kv(struct yg_buf *out, bool *first, const char *k, size_t kn, const char *v, size_t vn)
{
#if defined(__SSE2__)
    size_t need = kn + vn + 6;
    if (kn - 1 < 16 && vn - 1 < 32 && need <= out->toobig && out->n <= out->toobig - need &&
        out->n + need < out->cap) {
        uint64_t ka, kb, va = 0, vb = 0, kfa, kfb;
        __m128i vx = _mm_setzero_si128(), vy = _mm_setzero_si128();
        yg__short_load(k, kn, &ka, &kb);
        kfa = ka, kfb = kb;
        yg__short_fill(kn, &kfa, &kfb);
        bool plain = yg__short_plain(kfa, kfb);
        if (vn <= 16) {
            uint64_t vfa, vfb;
            yg__short_load(v, vn, &va, &vb);
            vfa = va, vfb = vb;
            yg__short_fill(vn, &vfa, &vfb);
            plain = plain && yg__short_plain(vfa, vfb);
        } else {
            /* Two overlapping blocks of sixteen.  The empty asm hides which
             * object v points into: GCC otherwise warns, for a caller's short
             * array, about this branch that vn > 16 rules out for it. */
            const char *w = v;
            __asm__("" : "+r"(w));
            vx = _mm_loadu_si128((const __m128i *)w);
            vy = _mm_loadu_si128((const __m128i *)(w + vn - 16));
            plain = plain && _mm_movemask_epi8(_mm_or_si128(yg__vec_bad(vx), yg__vec_bad(vy))) == 0;
        }
        if (plain) {
            char *p = out->p + out->n;
            if (!*first)
                *p++ = ',';
            *first = false;
            *p++ = '"';
            yg__short_store(p, kn, ka, kb);
            p += kn;
            memcpy(p, "\":\"", 3);
            p += 3;
            if (vn <= 16) {
                yg__short_store(p, vn, va, vb);
            } else {
                _mm_storeu_si128((__m128i *)p, vx);
                _mm_storeu_si128((__m128i *)(p + vn - 16), vy);
            }
            p += vn;
            *p++ = '"';
            *p = 0;
            out->n = (size_t)(p - out->p);
            return YG_OK;
        }
    }
#endif
    return yg__json_kv_any(out, first, k, kn, v, vn);
}

/* yg__json_kv with a NUL-terminated key. */
static inline YG_NODISCARD yg_err yg__json_kvz(struct yg_buf *out, bool *first, const char *k,
                                               const char *v, size_t vn)
{
    return yg__json_kv(out, first, k, strlen(k), v, vn);
}
/* A JSON string fragment (no quotes): s escaped the way yg_buf_add_json_str
 * escapes it, for keys and values built from several pieces. */
static inline yg_err yg__json_frag(struct yg_buf *out, const char *s, size_t n)
{
    size_t at = out->n;
    yg_err err = yg_buf_add_json_str(out, s, n);
    if (err)
        return err;
    memmove(out->p + at, out->p + at + 1, out->n - at - 2);
    out->n -= 2;
    return YG_OK;
}
/* A refusal: column col0 + 1 of the line and why; YG_ESYNTAX. */
static inline yg_err yg__fmt_fail(struct yg_decode_err *e, size_t col0, const char *msg)
{
    e->col = col0 + 1;
    e->msg = msg;
    return YG_ESYNTAX;
}
/* The start of a decoder of device log lines: e cleared and the length of
 * the line without a trailing CR, or YG_LINE_REFUSED (e set) for a line
 * holding a NUL byte, which no device writes and which would cut every C
 * string made from a field. */
#define YG_LINE_REFUSED ((size_t)-1)
static inline size_t yg__line_begin(const char *line, size_t n, struct yg_decode_err *e)
{
    e->col = 0;
    e->msg = NULL;
    if (n && line[n - 1] == '\r')
        n--;
    const char *nul = memchr(line, 0, n);
    if (nul) {
        (void)yg__fmt_fail(e, (size_t)(nul - line), "NUL byte in the line");
        return YG_LINE_REFUSED;
    }
    return n;
}
/* The end of such a decoder: on an error, out is as it was before the
 * record (nothing half-written stays, the NUL after it restored) and e says
 * why, the error's own name when the decoder left no message. */
static inline yg_err yg__fmt_done(yg_err err, struct yg_buf *out, size_t start,
                                  struct yg_decode_err *e)
{
    if (!err)
        return err;
    out->n = start;
    if (out->p)
        out->p[start] = 0;
    if (!e->msg) {
        e->col = 1;
        e->msg = yg_strerror(err);
    }
    return err;
}
/* p[0..*n) without leading and trailing spaces (*n updated). */
static inline const char *yg__trim_sp(const char *p, size_t *n)
{
    while (*n && p[0] == ' ') {
        p++;
        (*n)--;
    }
    while (*n && p[*n - 1] == ' ')
        (*n)--;
    return p;
}

/* Lower-cased device product names kept per file, for log sources named
 * after a product (CEF, LEEF): log-source strings must outlive the record,
 * and a product name is only known from the record itself. */
#define YG_PRODUCT_NAMES 64
#define YG_PRODUCT_NAME_LEN 64
struct yg_product_names {
    size_t n;
    char name[YG_PRODUCT_NAMES][YG_PRODUCT_NAME_LEN];
};
/* The kept lower-case copy of p, or NULL when it cannot be kept (empty, too
 * long, a control character, or the table full). */
const char *yg__product_intern(struct yg_product_names *t, const char *p, size_t n);
/* state_new and state_free of a decoder whose state is that table. */
void *yg__product_names_new(void);
void yg__product_names_free(void *st);

/* ---- syslog framing, shared by the appliance decoders (fmt_syslog.c) ---- */

struct yg_syslog {
    int pri;     /* -1 if the line has no <PRI> */
    int version; /* 0: RFC 3164 (BSD), 1: RFC 5424 */
    struct yg_str ts, host, app, procid, msgid;
    struct yg_str sd;  /* RFC 5424 structured data, "[...]" or empty */
    struct yg_str msg; /* the message after the header */
};

/* Split a syslog line into header and message.  Returns false if the line
 * has no recognisable syslog header (then the whole line may still be a
 * vendor message without a header). */
bool yg__syslog_split(const char *line, size_t n, struct yg_syslog *out);

#endif
