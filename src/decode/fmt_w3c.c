/*
 * fmt_w3c.c - W3C extended log file format (IIS and other web servers).
 *
 * The file says what its columns are in directives before the records
 * (https://www.w3.org/TR/WD-logfile.html; IIS writes them at the top of
 * every file and again after each restart):
 *
 *   #Software: Microsoft Internet Information Services 10.0
 *   #Version: 1.0
 *   #Date: 2023-01-10 00:00:01
 *   #Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port ...
 *   2023-01-10 00:00:01 10.0.0.5 GET /owa/ - 443 - 203.0.113.9 Mozilla/5.0+(...) - 302 0 0 15
 *
 * Fields are separated by spaces, `-` is an empty field, and a field with
 * spaces is either quoted ("a ""b""", the W3C rule) or, as IIS does it for
 * the user agent, has its spaces written as `+`.
 *
 * Field names are the W3C names, which are SigmaHQ's `category: webserver`
 * taxonomy; header fields `cs(User-Agent)` become `cs-user-agent`,
 * `cs(Referer)` `cs-referer`, any `xx(Name)` `xx-name` in lowercase.
 * SigmaHQ's webserver rules use two fields in two ways each, and the
 * decoder gives both so either kind of rule matches:
 *
 *  - `cs-uri-query`: most rules (and all the older exploit rules) test the
 *    whole request target there (`cs-uri-query|contains: '/dana-na/'`),
 *    newer ones the query alone (`cs-uri-query|startswith: 'cmd='`).  With
 *    a query the field holds both, [stem?query, query]; without one, the
 *    stem (so `cs-uri-query: null` never holds).
 *  - `cs-user-agent`: some rules spell spaces as spaces, some as IIS's `+`.
 *    A user agent with `+` holds both, [as logged, with spaces].
 *
 * Log source: category webserver; when #Software names IIS, or #Fields
 * names a field only IIS writes (s-sitename, sc-win32-status), also product
 * windows, service iis (the taxonomy's name for IIS logs).  A record before
 * any #Fields directive is read with IIS's default fields when its column
 * count matches them (14 fields before IIS 8.5, 15 since), since IIS logs
 * cut by a collector often lose their first lines.
 */
#include "decode/fmt_net.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

enum role { R_PLAIN = 0, R_STEM, R_QUERY, R_UA };

struct col {
    uint32_t key, keyn; /* the rendered `"name":` in keys */
    uint8_t role;
};

struct w3c_st {
    struct yg_buf keys;
    struct col *cols;
    uint32_t ncols, capcols;
    bool iis;          /* #Software names IIS */
    bool default_cols; /* columns are IIS's defaults, not from #Fields */
};

static void *state_new(void)
{
    struct w3c_st *w = yg_calloc(1, sizeof *w);
    if (!w)
        return NULL;
    yg_buf_init(&w->keys, YG_MAX_EVENT_BYTES);
    return w;
}

static void state_free(void *st)
{
    struct w3c_st *w = st;
    if (!w)
        return;
    yg_buf_free(&w->keys);
    yg_free(w->cols);
    yg_free(w);
}

static bool starts(const char *s, size_t n, const char *p)
{
    size_t pn = strlen(p);
    return n >= pn && memcmp(s, p, pn) == 0;
}

static bool ieq(const char *s, size_t n, const char *w)
{
    return yg_str_ieq(s, n, w, strlen(w));
}

/* Add one column named name[0..n) (a #Fields entry). */
static yg_err add_col(struct w3c_st *w, const char *name, size_t n)
{
    if (w->ncols == YG_MAX_EVENT_FIELDS)
        return YG_ELIMIT;
    if (w->ncols == w->capcols) {
        uint32_t nc = w->capcols ? w->capcols * 2 : 32;
        struct col *c = yg_realloc(w->cols, nc * sizeof *c);
        if (!c)
            return YG_ENOMEM;
        w->cols = c;
        w->capcols = nc;
    }
    /* `cs(User-Agent)` -> `cs-user-agent`: the prefix, a dash, the header
     * name in lowercase. */
    char tmp[256];
    const char *open = memchr(name, '(', n);
    if (open && name[n - 1] == ')' && n < sizeof tmp) {
        size_t pre = (size_t)(open - name), k = 0;
        memcpy(tmp, name, pre);
        k = pre;
        tmp[k++] = '-';
        for (const char *p = open + 1; p < name + n - 1; p++)
            tmp[k++] = (char)yg_lc((unsigned char)*p);
        name = tmp;
        n = k;
    }
    struct col c = {(uint32_t)w->keys.n, 0, R_PLAIN};
    if (ieq(name, n, "cs-uri-stem"))
        c.role = R_STEM;
    else if (ieq(name, n, "cs-uri-query"))
        c.role = R_QUERY;
    else if (ieq(name, n, "cs-user-agent"))
        c.role = R_UA;
    yg_err err = yg_buf_add_json_str(&w->keys, name, n);
    if (!err)
        err = yg_buf_addc(&w->keys, ':');
    if (err)
        return err;
    c.keyn = (uint32_t)(w->keys.n - c.key);
    w->cols[w->ncols++] = c;
    return YG_OK;
}

static yg_err set_fields(struct w3c_st *w, const char *s, size_t n, size_t at,
                         struct yg_decode_err *e)
{
    w->ncols = 0;
    w->default_cols = false;
    yg_buf_reset(&w->keys);
    size_t i = 0;
    while (i < n) {
        while (i < n && (s[i] == ' ' || s[i] == '\t'))
            i++;
        size_t b = i;
        while (i < n && s[i] != ' ' && s[i] != '\t')
            i++;
        if (i == b)
            break;
        yg_err err = add_col(w, s + b, i - b);
        if (err) {
            w->ncols = 0;
            e->col = at + b + 1;
            e->msg = err == YG_ENOMEM ? "out of memory"
                                      : "#Fields names too many columns or too long names";
            return err;
        }
    }
    if (!w->ncols)
        return yg__fmt_fail(e, at, "#Fields directive without field names");
    return YG_EOF;
}

static yg_err directive(struct w3c_st *w, const char *line, size_t n, struct yg_decode_err *e)
{
    if (starts(line, n, "#Fields:")) {
        /* IIS logs whose #Software line was lost (a file cut by a collector,
         * a custom field order copied from another server) still name the
         * fields only IIS writes: the site (W3SVC1) and the Win32 status. */
        if (memmem(line, n, " s-sitename", 11) || memmem(line, n, " sc-win32-status", 16))
            w->iis = true;
        return set_fields(w, line + 8, n - 8, 8, e);
    }
    if (starts(line, n, "#Software:")) {
        w->iis = memmem(line, n, "Internet Information Services", 29) != NULL;
        return YG_EOF;
    }
    /* #Version, #Date, #Remark, #Start-Date, #End-Date: nothing to match. */
    return YG_EOF;
}

/* IIS's default field sets (IIS 8.5 added cs(Referer)). */
static const char iis_default15[] =
    "date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip "
    "cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken";
static const char iis_default14[] =
    "date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip "
    "cs(User-Agent) sc-status sc-substatus sc-win32-status time-taken";

/* The end of the field starting at line[i] (a quoted field ends after its
 * closing quote); returns n + 1 for an unterminated quote. */
static inline __attribute__((always_inline)) size_t field_end(const char *line, size_t i, size_t n)
{
    if (line[i] != '"') {
#if defined(__SSE2__)
        /* Fields are short: one 16-byte compare usually finds the end. */
        const __m128i sp = _mm_set1_epi8(' '), tab = _mm_set1_epi8('\t');
        while (n - i >= 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)(line + i));
            unsigned m = (unsigned)_mm_movemask_epi8(
                _mm_or_si128(_mm_cmpeq_epi8(v, sp), _mm_cmpeq_epi8(v, tab)));
            if (m)
                return i + (size_t)__builtin_ctz(m);
            i += 16;
        }
#endif
        while (i < n && line[i] != ' ' && line[i] != '\t')
            i++;
        return i;
    }
    for (size_t j = i + 1; j < n; j++) {
        if (line[j] != '"')
            continue;
        if (j + 1 < n && line[j + 1] == '"') {
            j++;
            continue;
        }
        return j + 1;
    }
    return n + 1;
}

static size_t count_fields(const char *line, size_t n)
{
    size_t i = 0, k = 0;
    while (i < n) {
        while (i < n && (line[i] == ' ' || line[i] == '\t'))
            i++;
        if (i >= n)
            break;
        size_t end = field_end(line, i, n);
        if (end > n)
            return 0;
        k++;
        i = end;
    }
    return k;
}

/* A field's value as a JSON string: quotes removed and `""` undone. */
static yg_err put_val(struct yg_buf *out, const char *v, size_t n)
{
    if (n < 2 || v[0] != '"')
        return yg_buf_add_json_str(out, v, n);
    v++;
    n -= 2;
    yg_err err = yg__putc(out, '"');
    const char *q;
    while (!err && (q = memchr(v, '"', n))) {
        size_t k = (size_t)(q - v) + 1; /* through the first quote of `""` */
        err = yg__json_body(out, v, k);
        v += k + 1;
        n -= k + 1;
    }
    if (!err)
        err = yg__json_body(out, v, n);
    return err ? err : yg__putc(out, '"');
}

static inline yg_err put_kv(struct yg_buf *out, bool *first, const char *key, size_t keyn)
{
    yg_err err = YG_OK;
    if (!*first)
        err = yg__putc(out, ',');
    *first = false;
    return err ? err : yg__put(out, key, keyn);
}

/* Append a copy of out[from..from+len) (text already escaped). */
static yg_err dup_tail(struct yg_buf *out, size_t from, size_t len)
{
    yg_err err = yg_buf_reserve(out, len);
    if (err)
        return err;
    memcpy(out->p + out->n, out->p + from, len);
    out->n += len;
    return YG_OK;
}

/*
 * One field, `,"key":"value"` (no comma first): written in place when the
 * value is unquoted and needs no escape and the buffer has room, which is
 * almost every field; through put_kv and put_val otherwise (the same
 * bytes).
 */
static inline __attribute__((always_inline)) yg_err
put_field(struct yg_buf *out, bool *first, const char *key, size_t keyn, const char *v, size_t vn)
{
    if (v[0] != '"' && yg__room(out, keyn + vn + 3)) {
        char *o = out->p + out->n;
        *o = ',';
        o += !*first;
        yg__copy_small(o, key, keyn);
        o += keyn;
        *o = '"';
        char *e = yg__json_plain_copy(o + 1, v, vn);
        if (e) {
            *e = '"';
            out->n = (size_t)(e + 1 - out->p);
            *first = false;
            return YG_OK;
        }
    }
    yg_err err = put_kv(out, first, key, keyn);
    return err ? err : put_val(out, v, vn);
}

/* `cs-uri-query` as SigmaHQ's rules read it (see the top of the file). */
static yg_err put_query(struct yg_buf *out, bool *first, struct yg_str stem, struct yg_str query)
{
    static const char key[] = "\"cs-uri-query\":";
    if (!stem.p && !query.p)
        return YG_OK;
    if (!query.p)
        return put_field(out, first, key, sizeof key - 1, stem.p, stem.n);
    if (!stem.p)
        return put_field(out, first, key, sizeof key - 1, query.p, query.n);
    /* Both unquoted and needing no escape (the common request): written in
     * place, the same bytes as below. */
    if (stem.p[0] != '"' && query.p[0] != '"' &&
        yg__room(out, sizeof key + stem.n + 2 * query.n + 9)) {
        char *o = out->p + out->n, *e;
        *o = ',';
        o += !*first;
        memcpy(o, key, sizeof key - 1);
        o += sizeof key - 1;
        memcpy(o, "[\"", 2);
        if ((e = yg__json_plain_copy(o + 2, stem.p, stem.n))) {
            *e = '?';
            o = e + 1;
            if ((e = yg__json_plain_copy(o, query.p, query.n))) {
                memcpy(e, "\",\"", 3);
                yg__copy_small(e + 3, o, query.n);
                e += 3 + query.n;
                memcpy(e, "\"]", 2);
                out->n = (size_t)(e + 2 - out->p);
                *first = false;
                return YG_OK;
            }
        }
    }
    yg_err err = put_kv(out, first, key, sizeof key - 1);
    if (err)
        return err;
    bool quoted = stem.n >= 2 && stem.p[0] == '"';
    if (quoted) {
        stem.p++;
        stem.n -= 2;
    }
    if ((err = yg__put(out, "[\"", 2)) || (err = yg__json_body(out, stem.p, stem.n)) ||
        (err = yg__putc(out, '?')))
        return err;
    /* The query once, then the same escaped bytes again as the second
     * value (a quoted query is undone by put_val, so it is written apart). */
    size_t q0 = out->n;
    if (query.n >= 2 && query.p[0] == '"') {
        if ((err = yg__json_body(out, query.p + 1, query.n - 2)) ||
            (err = yg__put(out, "\",", 2)) || (err = put_val(out, query.p, query.n)))
            return err;
        return yg__putc(out, ']');
    }
    if ((err = yg__json_body(out, query.p, query.n)))
        return err;
    size_t qn = out->n - q0;
    if ((err = yg__put(out, "\",\"", 3)) || (err = dup_tail(out, q0, qn)))
        return err;
    return yg__put(out, "\"]", 2);
}

/* IIS writes the user agent's spaces as `+`; give both spellings: as
 * logged, then the same escaped text with `+` turned back into spaces
 * (`+` never occurs in a JSON escape, so this is safe on escaped text). */
static yg_err put_ua(struct yg_buf *out, const char *v, size_t n)
{
    if (v[0] == '"' || !memchr(v, '+', n))
        return put_val(out, v, n);
    yg_err err = yg__put(out, "[\"", 2);
    size_t u0 = out->n;
    if (err || (err = yg__json_body(out, v, n)))
        return err;
    size_t un = out->n - u0;
    if ((err = yg__put(out, "\",\"", 3)) || (err = dup_tail(out, u0, un)))
        return err;
    for (char *p = out->p + out->n - un, *e = out->p + out->n; p < e; p++)
        if (*p == '+')
            *p = ' ';
    return yg__put(out, "\"]", 2);
}

/* The user agent field: put_field's in-place writing for put_ua's output. */
static yg_err put_ua_field(struct yg_buf *out, bool *first, const char *key, size_t keyn,
                           const char *v, size_t vn)
{
    size_t plus = yg__find_byte(v, 0, vn, '+');
    if (v[0] == '"' || plus == vn)
        return put_field(out, first, key, keyn, v, vn);
    if (yg__room(out, keyn + 2 * vn + 8)) {
        char *o = out->p + out->n, *e;
        *o = ',';
        o += !*first;
        yg__copy_small(o, key, keyn);
        o += keyn;
        memcpy(o, "[\"", 2);
        o += 2;
        if ((e = yg__json_plain_copy(o, v, vn))) {
            memcpy(e, "\",\"", 3);
            e += 3;
            yg__copy_small(e, o, vn);
            /* `+` to space from the first `+` on (no escape: the offsets
             * are those of v); sixteen bytes at a time, the last block
             * ending at the end (bytes done twice are spaces by then). */
            size_t k = plus;
#if defined(__SSE2__)
            if (vn >= 16) {
                const __m128i pl = _mm_set1_epi8('+'), flip = _mm_set1_epi8('+' ^ ' ');
                for (;; k += 16) {
                    if (k > vn - 16)
                        k = vn - 16;
                    __m128i x = _mm_loadu_si128((const __m128i *)(e + k));
                    x = _mm_xor_si128(x, _mm_and_si128(_mm_cmpeq_epi8(x, pl), flip));
                    _mm_storeu_si128((__m128i *)(e + k), x);
                    if (k == vn - 16)
                        break;
                }
                k = vn;
            }
#endif
            for (; k < vn; k++)
                if (e[k] == '+')
                    e[k] = ' ';
            e += vn;
            memcpy(e, "\"]", 2);
            out->n = (size_t)(e + 2 - out->p);
            *first = false;
            return YG_OK;
        }
    }
    yg_err err = put_kv(out, first, key, keyn);
    return err ? err : put_ua(out, v, vn);
}

static yg_err decode(void *st, const char *line, size_t n, struct yg_buf *out, struct yg_logsrc *ls,
                     struct yg_decode_err *e)
{
    struct w3c_st *w = st;
    if (!yg__state_begin(w, line, &n, e))
        return YG_EINVAL;
    if (n && line[0] == '#')
        return directive(w, line, n, e);
    if (!w->ncols || w->default_cols) {
        /* No #Fields yet: IIS's defaults, if the record fits them. */
        size_t k = count_fields(line, n);
        const char *def = k == 15 ? iis_default15 : k == 14 ? iis_default14 : NULL;
        if (!def || n < 19 || line[4] != '-' || line[7] != '-' || line[10] != ' ' ||
            line[13] != ':')
            return yg__fmt_fail(
                e, 0, "record before any #Fields directive (and not IIS's default fields)");
        if (!w->default_cols || w->ncols != k) {
            yg_err err = set_fields(w, def, strlen(def), 0, e);
            if (err != YG_EOF)
                return err;
            w->default_cols = true;
            w->iis = true;
        }
    }

    size_t start_n = out->n, i = 0;
    struct yg_str stem = {NULL, 0}, query = {NULL, 0};
    bool first = true;
    yg_err err = yg__putc(out, '{');
    uint32_t c = 0;
    for (;;) {
        while (i < n && (line[i] == ' ' || line[i] == '\t'))
            i++;
        if (i >= n)
            break;
        if (c == w->ncols) {
            err = yg__fmt_fail(e, i, "more fields than the #Fields directive names");
            break;
        }
        size_t end = field_end(line, i, n);
        if (end > n) {
            err = yg__fmt_fail(e, i, "unterminated quoted field");
            break;
        }
        if (end < n && line[end] != ' ' && line[end] != '\t') {
            err = yg__fmt_fail(e, end, "text after a quoted field");
            break;
        }
        const struct col *col = &w->cols[c++];
        const char *v = line + i;
        size_t vn = end - i;
        i = end;
        if (vn == 1 && v[0] == '-')
            continue;
        if (col->role == R_QUERY) {
            query = (struct yg_str){v, vn};
            continue;
        }
        if (col->role == R_STEM)
            stem = (struct yg_str){v, vn};
        const char *key = w->keys.p + col->key;
        if ((err = col->role == R_UA ? put_ua_field(out, &first, key, col->keyn, v, vn)
                                     : put_field(out, &first, key, col->keyn, v, vn)))
            break;
    }
    if (!err && c < w->ncols)
        err = yg__fmt_fail(e, n, "fewer fields than the #Fields directive names");
    if (!err)
        err = put_query(out, &first, stem, query);
    if (!err)
        err = yg_buf_addc(out, '}');
    if (err)
        return yg__record_undo(err, out, start_n, i, e);
    ls->category = "webserver";
    ls->product = w->iis ? "windows" : NULL;
    ls->service = w->iis ? "iis" : NULL;
    return YG_OK;
}

static int sniff(const char *line, size_t n)
{
    if (starts(line, n, "#Software: ") || starts(line, n, "#Version: ") ||
        starts(line, n, "#Fields: "))
        return 95;
    if (starts(line, n, "#Date: ") || starts(line, n, "#Remark: "))
        return 80;
    /* A record without directives: IIS's `2023-01-10 00:00:01 ` start and
     * its default column count. */
    if (n >= 20 && line[4] == '-' && line[7] == '-' && line[10] == ' ' && line[13] == ':' &&
        line[16] == ':' && line[19] == ' ') {
        size_t k = count_fields(line, n);
        if (k == 14 || k == 15)
            return 40;
    }
    return 0;
}

const struct yg_linefmt yg__fmt_w3c = {
    .name = "w3c",
    .desc = "W3C extended log format (IIS): #Fields directive, webserver field names",
    .sniff = sniff,
    .state_new = state_new,
    .state_free = state_free,
    .decode = decode,
};
