/*
 * linedec.c - one text line to a scanned event (see linedec.h).
 */
#include "detector/linedec.h"

#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

void yg__linedec_init(struct yg_linedec *d)
{
    memset(d, 0, sizeof *d);
    yg_buf_init(&d->dec, YG_MAX_EVENT_BYTES * 4);
    yg_buf_init(&d->conv, YG_MAX_EVENT_BYTES * 4);
}

/* The best line format for one line, or NULL.  JSON lines only consider
 * formats that claim them (Microsoft 365, Entra, Suricata, Zeek JSON); a
 * JSON line no format claims is a generic JSON event. */
const struct yg_linefmt *yg__sniff_line(const char *p, size_t n, int *score)
{
    const struct yg_linefmt *const *f = yg__formats_list(), *best = NULL;
    int bs = 0;
    for (; *f; f++) {
        int sc = (*f)->sniff ? (*f)->sniff(p, n) : 0;
        if (sc > bs) {
            bs = sc;
            best = *f;
        }
    }
    if (score)
        *score = bs;
    return bs >= YG_SNIFF_MIN ? best : NULL;
}

static size_t first_line(const char *p, size_t n)
{
    const char *e = memchr(p, '\n', n);
    size_t l = e ? (size_t)(e - p) : n;
    if (l && p[l - 1] == '\r')
        l--;
    return l;
}

/* A record's shape: the names of its first keys, at any depth, within the
 * first YG_JSON_ROUTE_SPAN bytes.  Exporters write the keys of one source
 * in one order, so records of one source share a shape and records of
 * different sources almost never do; values (times, ids) do not count. */
static uint64_t json_shape(const char *p, size_t n)
{
    size_t end = n < YG_JSON_ROUTE_SPAN ? n : YG_JSON_ROUTE_SPAN;
    uint64_t h = 0xcbf29ce484222325u; /* FNV-1a */
    int keys = 0;
    size_t i = 0, depth = 0;
    while (i < end && keys < YG_JSON_ROUTE_KEYS) {
        if (p[i] != '"') {
            /* The record ends at its closing brace: what follows is not
             * part of its shape. */
            if (p[i] == '{' || p[i] == '[')
                depth++;
            else if ((p[i] == '}' || p[i] == ']') && depth-- <= 1)
                break;
            i++;
            continue;
        }
        size_t k0 = ++i;
        for (;;) {
            const char *q = memchr(p + i, '"', end - i);
            if (!q) {
                i = end;
                break;
            }
            i = (size_t)(q - p);
            size_t bs = 0; /* an odd run of backslashes escapes the quote */
            while (i - bs > k0 && p[i - bs - 1] == '\\')
                bs++;
            if (!(bs & 1))
                break;
            i++;
        }
        if (i >= end)
            break;
        size_t k1 = i++;
        size_t j = i;
        while (j < end && (p[j] == ' ' || p[j] == '\t' || p[j] == '\r' || p[j] == '\n'))
            j++;
        if (j >= end || p[j] != ':')
            continue; /* a value, not a key */
        for (size_t k = k0; k < k1; k++)
            h = (h ^ (unsigned char)p[k]) * 0x100000001b3u;
        h = (h ^ 0xFF) * 0x100000001b3u; /* key separator */
        keys++;
        i = j + 1;
    }
    h = (h ^ (uint64_t)keys) * 0x100000001b3u;
    return h ? h : 1;
}

/* The full sniff, among the formats whose records are JSON objects. */
static const struct yg_linefmt *sniff_json_record(const char *p, size_t n)
{
    const struct yg_linefmt *const *f = yg__formats_list(), *best = NULL;
    int bs = 0;
    for (; *f; f++) {
        if (!(*f)->json_records || !(*f)->sniff)
            continue;
        int sc = (*f)->sniff(p, n);
        if (sc > bs) {
            bs = sc;
            best = *f;
        }
    }
    return bs >= YG_SNIFF_MIN ? best : NULL;
}

const struct yg_linefmt *yg__route_json(struct yg_linedec *d, const char *p, size_t n)
{
    uint64_t shape = json_shape(p, n);
    /* Four ways per set, so a few shapes that alternate record by record
     * (a shuffled mixed file) do not evict each other. */
    uint64_t mix = shape ^ (shape >> 29) ^ (shape >> 43);
    struct yg_json_route *set = &d->routes[(mix % (YG_JSON_ROUTE_SLOTS / 4)) * 4];
    for (int w = 0; w < 4; w++)
        if (set[w].shape == shape)
            return set[w].fmt;
    struct yg_json_route *r = &set[0];
    for (int w = 0; w < 4; w++)
        if (!set[w].shape) {
            r = &set[w];
            break;
        }
    if (r == &set[0] && set[0].shape) {
        /* A full set: the oldest entry goes (entries shift down). */
        memmove(&set[0], &set[1], 3 * sizeof *set);
        r = &set[3];
    }
    d->route_sniffs++;
    /* Sniff this record only, never the records after it in the buffer. */
    size_t end = yg__json_object_end(p, n);
    r->shape = shape;
    r->fmt = sniff_json_record(p, end ? end : n);
    return r->fmt;
}

const struct yg_linefmt *yg__detect_format(const char *p, size_t n, bool *is_json)
{
    size_t i = 0;
    if (n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
        i++;
    *is_json = i < n && (p[i] == '{' || p[i] == '[');
    size_t l = first_line(p + i, n - i);
    /* A line format may claim a line that starts like JSON:
     * `[Sun Dec 04 04:47:44 2005] [notice]` (Apache).  JSON records of known
     * sources (Microsoft 365, Entra, ...) do not decide for the whole file:
     * every record is routed on its own (yg__route_json). */
    const struct yg_linefmt *f = yg__sniff_line(p + i, l, NULL);
    if (f && f->json_records && *is_json)
        return NULL;
    if (f)
        *is_json = false;
    return f;
}

/* The bytes that matter at p[i..]: `"` and `\\` inside a string; `"` and the
 * four brackets outside one (`[` and `]` are `{` and `}` with bit 0x20 clear).
 * Returns the offset of the first of them within the 16 bytes, or 16. */
#if defined(__SSE2__)
static inline unsigned next_structural(const char *p, bool in_str)
{
    __m128i v = _mm_loadu_si128((const __m128i *)p);
    __m128i m = _mm_cmpeq_epi8(v, _mm_set1_epi8('"'));
    if (in_str) {
        m = _mm_or_si128(m, _mm_cmpeq_epi8(v, _mm_set1_epi8('\\')));
    } else {
        __m128i l = _mm_or_si128(v, _mm_set1_epi8(0x20));
        m = _mm_or_si128(m, _mm_or_si128(_mm_cmpeq_epi8(l, _mm_set1_epi8('{')),
                                         _mm_cmpeq_epi8(l, _mm_set1_epi8('}'))));
    }
    unsigned bits = (unsigned)_mm_movemask_epi8(m);
    return bits ? (unsigned)__builtin_ctz(bits) : 16;
}
#endif

/* One pass over the record, 16 bytes at a time between the bytes that matter:
 * every JSON record of a hunt goes through here to be framed (a byte at a time
 * it was a tenth of the time of hunting Microsoft 365 records). */
size_t yg__json_object_end(const char *p, size_t n)
{
    size_t depth = 0, i = 0;
    bool in_str = false;
    while (i < n) {
#if defined(__SSE2__)
        if (n - i >= 16) {
            unsigned k = next_structural(p + i, in_str);
            i += k;
            if (k == 16)
                continue;
        }
#endif
        char ch = p[i];
        if (in_str) {
            if (ch == '\\')
                i++; /* the escaped byte is never the end of the string */
            else if (ch == '"')
                in_str = false;
        } else if (ch == '"') {
            in_str = true;
        } else if (ch == '{' || ch == '[') {
            depth++;
        } else if (ch == '}' || ch == ']') {
            if (depth <= 1)
                return depth ? i + 1 : 0;
            depth--;
        }
        i++;
    }
    return 0;
}

static void *fmt_state(struct yg_linedec *d, const struct yg_linefmt *f)
{
    for (int i = 0; i < 32; i++) {
        if (d->fmts[i] == f)
            return d->fstate[i];
        if (!d->fmts[i]) {
            d->fmts[i] = f;
            d->fstate[i] = f->state_new ? f->state_new() : NULL;
            return d->fstate[i];
        }
    }
    return NULL;
}

void yg__linedec_free(struct yg_linedec *d)
{
    for (int i = 0; i < 32 && d->fmts[i]; i++) {
        if (d->fmts[i]->state_free && d->fstate[i])
            d->fmts[i]->state_free(d->fstate[i]);
        d->fmts[i] = NULL;
        d->fstate[i] = NULL;
    }
    yg_buf_free(&d->dec);
    yg_buf_free(&d->conv);
    if (d->cp932 != (iconv_t)0 && d->cp932 != (iconv_t)-1)
        iconv_close(d->cp932);
    d->cp932 = (iconv_t)0;
}

static bool valid_utf8(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
#if defined(__SSE2__)
        /* Sixteen ASCII bytes at a time: every Microsoft 365 record comes
         * through here, nearly all of it ASCII (a byte at a time this was
         * 2.5 % of a hunt of the benchmark file). */
        while (n - i >= 16 && !_mm_movemask_epi8(_mm_loadu_si128((const __m128i *)(s + i))))
            i += 16;
        if (i >= n)
            break;
#endif
        unsigned char ch = (unsigned char)s[i];
        if (ch < 0x80) {
            i++;
            continue;
        }
        size_t len = ch >= 0xC2 && ch <= 0xDF   ? 2
                     : ch >= 0xE0 && ch <= 0xEF ? 3
                     : ch >= 0xF0 && ch <= 0xF4 ? 4
                                                : 0;
        if (!len || i + len > n)
            return false;
        for (size_t k = 1; k < len; k++)
            if (((unsigned char)s[i + k] & 0xC0) != 0x80)
                return false;
        i += len;
    }
    return true;
}

/* A line that is not UTF-8 but converts cleanly from CP932 (Shift_JIS as
 * Japanese Windows and appliances write it) is read as CP932.  Otherwise
 * the bytes are kept and decoders show invalid ones as \u00XX. */
static bool from_cp932(struct yg_linedec *d, const char *p, size_t n, const char **out, size_t *on)
{
    if (valid_utf8(p, n))
        return false;
    if (d->cp932 == (iconv_t)0)
        d->cp932 = iconv_open("UTF-8", "CP932");
    if (d->cp932 == (iconv_t)-1)
        return false;
    yg_buf_reset(&d->conv);
    if (yg_buf_reserve(&d->conv, n * 3 + 4))
        return false;
    iconv(d->cp932, NULL, NULL, NULL, NULL);
    char *in = (char *)p, *o = d->conv.p;
    size_t inl = n, outl = n * 3 + 4;
    if (iconv(d->cp932, &in, &inl, &o, &outl) == (size_t)-1 || inl)
        return false;
    d->conv.n = (size_t)(o - d->conv.p);
    *out = d->conv.p;
    *on = d->conv.n;
    return true;
}

/* Stands for generic JSON events in results and messages. */
const struct yg_linefmt yg__fmt_json = {
    .name = "json",
    .desc = "JSON events no specific format claims (Windows and Sysmon JSON, Winlogbeat/ECS, ...)",
};

static void generic_json(yg_scanner *s, const char *p, size_t n, yg_alert_cb cb, void *ud,
                         struct yg_line_result *res)
{
    res->fmt = &yg__fmt_json;
    res->err = yg_scanner_scan_json(s, p, n, cb, ud);
    if (res->err == YG_OK) {
        res->fields = p;
        res->fields_len = n;
        return;
    }
    size_t off = 0;
    res->de.msg = yg_scanner_last_error(s, &off);
    res->de.col = off + 1;
}

/* The events of a record that holds several (record_logsrc): one object a
 * line in d->dec, each scanned with its own log source, or as a generic JSON
 * event (the configured log source) when it has none. */
static void scan_records(struct yg_linedec *d, yg_scanner *s, const struct yg_linefmt *f, void *st,
                         yg_alert_cb cb, void *ud, struct yg_line_result *res)
{
    const char *p = d->dec.p, *end = d->dec.p + d->dec.n;
    for (size_t i = 0; p < end; i++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        struct yg_logsrc ls;
        f->record_logsrc(st, i, &ls);
        d->in_records = true;
        d->record_index = i;
        yg_err se =
            ls.product || ls.service || ls.category
                ? yg_scanner_scan_json_as(s, p, n, ls.product, ls.service, ls.category, cb, ud)
                : yg_scanner_scan_json(s, p, n, cb, ud);
        d->in_records = false;
        if (se) {
            res->err = YG_ECORRUPT; /* the decoder's output did not parse */
            res->de.msg = yg_scanner_last_error(s, NULL);
            res->de.col = 1;
            return;
        }
        res->fields = p;
        res->fields_len = n;
        res->records++;
        if (d->on_record)
            d->on_record(d->rec_ud, s, p, n);
        p += n + 1;
    }
}

void yg__linedec_scan(struct yg_linedec *d, yg_scanner *s, const struct yg_linefmt *fixed,
                      bool may_switch, const char *p, size_t n, yg_alert_cb cb, void *ud,
                      struct yg_line_result *res)
{
    const char *lp = p;
    size_t ln = n;
    memset(res, 0, sizeof *res);
    (void)from_cp932(d, p, n, &lp, &ln);
    const struct yg_linefmt *f = fixed;
    /* A JSON record in a file or stream of mixed records: the format that
     * claims this record, or a generic JSON event (Windows, Sysmon, ...). */
    if (may_switch) {
        size_t i = 0;
        while (i < ln && (lp[i] == ' ' || lp[i] == '\t'))
            i++;
        if (i < ln && lp[i] == '{') {
            f = yg__route_json(d, lp + i, ln - i);
            if (!f) {
                generic_json(s, lp, ln, cb, ud, res);
                return;
            }
            may_switch = false;
        }
    }
    /* A plain syslog file is often a stream from several devices: each line
     * goes to the most specific format that claims it (an ASA or FortiGate
     * line behind a syslog header must reach those rules). */
    if (may_switch && (!f || strcmp(f->name, "syslog") == 0)) {
        const struct yg_linefmt *g = yg__sniff_line(lp, ln, NULL);
        if (g)
            f = g;
    }
    struct yg_logsrc ls = {0};
    yg_err e = YG_ESYNTAX;
    for (int attempt = 0; attempt < 2; attempt++) {
        if (!f)
            break;
        yg_buf_reset(&d->dec);
        memset(&ls, 0, sizeof ls);
        e = f->decode(fmt_state(d, f), lp, ln, &d->dec, &ls, &res->de);
        if (e != YG_ESYNTAX || !may_switch)
            break;
        /* A file that mixes formats: try the format this line looks most like. */
        const struct yg_linefmt *g = yg__sniff_line(lp, ln, NULL);
        if (!g || g == f)
            break;
        f = g;
    }
    res->fmt = f;
    res->err = f ? e : YG_ESYNTAX;
    if (!f || e != YG_OK)
        return;
    if (f->record_logsrc) {
        scan_records(d, s, f, fmt_state(d, f), cb, ud, res);
        return;
    }
    res->fields = d->dec.p;
    res->fields_len = d->dec.n;
    yg_err se =
        yg_scanner_scan_json_as(s, d->dec.p, d->dec.n, ls.product, ls.service, ls.category, cb, ud);
    if (se) {
        res->err = YG_ECORRUPT; /* the decoder's output did not parse */
        res->de.msg = yg_scanner_last_error(s, NULL);
        res->de.col = 1;
    }
}
