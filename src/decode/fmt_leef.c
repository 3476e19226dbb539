/*
 * fmt_leef.c - IBM Log Event Extended Format (LEEF) 1.0 and 2.0.
 *
 *   LEEF:1.0|Vendor|Product|Version|EventID|key=value<TAB>key=value...
 *   LEEF:2.0|Vendor|Product|Version|EventID|Delimiter|key=value<D>...
 *
 * usually behind a syslog header, which is framing and ignored: the record
 * starts at the first `LEEF:` of the line.  LEEF 2.0 names the attribute
 * delimiter in its sixth header field, as the character itself (`^`) or
 * as its hex code (`x5E`, `0x5E`); an empty field means TAB, and a 2.0
 * header whose sixth field already holds `key=value` has no delimiter
 * field (some senders omit it) and uses TAB.
 *
 * LEEF defines no escaping inside attribute values: a value runs to the
 * next delimiter and is kept as written.  In the header, `\|` stands for
 * `|` (as in CEF).  Senders that write LEEF 1.0 with spaces instead of
 * TABs are common; when the attributes hold no delimiter at all they are
 * split like CEF extensions, at each space followed by `key=`.
 *
 * Fields: `version`, `deviceVendor`, `deviceProduct`, `deviceVersion`,
 * `eventId` (the CEF decoder's names where the concepts match), then every
 * attribute key as written (`src`, `dst`, `usrName`, `devTime`, ...).
 *
 * Log source: product "leef", service the product in lower case, kept in
 * the per-file state like the CEF decoder's (YG_PRODUCT_NAMES distinct
 * products of at most YG_PRODUCT_NAME_LEN bytes).
 */
#include "decode/fmt_kv.h"

static int hex_val(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (unsigned char)(c | 0x20);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The delimiter a LEEF 2.0 delimiter field names: the character, or its
 * hex code after `x`/`0x`.  -1 if the field names none. */
static int parse_delim(struct yg_str d)
{
    if (d.n == 1)
        return (unsigned char)d.p[0];
    size_t i = 0;
    if (d.n >= 2 && d.p[0] == '0' && (d.p[1] == 'x' || d.p[1] == 'X'))
        i = 2;
    else if (d.n >= 1 && (d.p[0] == 'x' || d.p[0] == 'X'))
        i = 1;
    else
        return -1;
    if (d.n - i < 1 || d.n - i > 2)
        return -1;
    int v = 0;
    for (; i < d.n; i++) {
        int h = hex_val((unsigned char)d.p[i]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    /* A delimiter is one byte of ASCII; anything else cannot split UTF-8. */
    return v > 0 && v < 0x80 ? v : -1;
}

struct leef_head {
    struct yg_str f[5]; /* version, vendor, product, version, event id */
    size_t attrs;       /* offset of the attributes */
    int delim;
};

static bool head_fail(struct yg_decode_err *e, size_t col, const char *msg)
{
    e->col = col + 1;
    e->msg = msg;
    return false;
}

static bool leef_head(const char *s, size_t n, struct leef_head *h, struct yg_decode_err *e)
{
    const char *p = n >= 5 ? memmem(s, n, "LEEF:", 5) : NULL;
    if (!p)
        return head_fail(e, 0, "expected `LEEF:`");
    size_t i = (size_t)(p - s) + 5;
    for (int f = 0; f < 5; f++) {
        size_t start = i;
        while (i < n && s[i] != '|')
            i += (s[i] == '\\' && i + 1 < n) ? 2 : 1;
        if (i >= n && f < 4)
            return head_fail(e, n, "expected 5 `|`-separated LEEF header fields");
        h->f[f] = (struct yg_str){s + start, i - start};
        if (i < n)
            i++;
    }
    struct yg_str v = h->f[0];
    bool v1 = (v.n == 1 && v.p[0] == '1') || (v.n == 3 && memcmp(v.p, "1.0", 3) == 0);
    bool v2 = (v.n == 1 && v.p[0] == '2') || (v.n == 3 && memcmp(v.p, "2.0", 3) == 0);
    if (!v1 && !v2)
        return head_fail(e, (size_t)(v.p - s), "expected LEEF version 1.0 or 2.0");
    h->delim = '\t';
    if (v2 && i < n) {
        size_t start = i;
        const char *bar = memchr(s + i, '|', n - i);
        size_t end = bar ? (size_t)(bar - s) : n;
        struct yg_str d = {s + start, end - start};
        if (d.n == 0) {
            i = end + 1;
        } else if (parse_delim(d) >= 0) {
            h->delim = parse_delim(d);
            i = end < n ? end + 1 : n;
        } else if (!memchr(d.p, '=', d.n)) {
            return head_fail(e, start, "expected the LEEF 2.0 delimiter: a character or `xHH`");
        }
    }
    h->attrs = i < n ? i : n;
    return true;
}

static yg_err put_kv(struct yg_buf *out, const char *k, size_t kn, const char *v, size_t vn)
{
    yg_err err = yg__kv_key(out, true, k, kn);
    return err ? err : yg_buf_add_json_str(out, v, vn);
}

/* Attributes split at each delimiter; empty pieces are skipped. */
static yg_err attrs_delim(struct yg_buf *out, const char *s, size_t n, size_t i, char d,
                          struct yg_decode_err *e)
{
    yg_err err = YG_OK;
    while (i < n) {
        const char *q = memchr(s + i, d, n - i);
        size_t end = q ? (size_t)(q - s) : n;
        if (end > i) {
            const char *eq = memchr(s + i, '=', end - i);
            if (!eq || eq == s + i) {
                e->col = i + 1;
                e->msg = "expected key=value in the LEEF attributes";
                return YG_ESYNTAX;
            }
            size_t kn = (size_t)(eq - (s + i));
            YG_TRY(put_kv(out, s + i, kn, eq + 1, end - i - kn - 1));
        }
        i = end + 1;
    }
done:
    return err;
}

/* Attributes separated by spaces: a value runs until a space before the
 * next `key=`; trailing spaces are dropped. */
static yg_err attrs_spaces(struct yg_buf *out, const char *s, size_t n, size_t i,
                           struct yg_decode_err *e)
{
    yg_err err = YG_OK;
    for (;;) {
        while (i < n && s[i] == ' ')
            i++;
        if (i >= n)
            break;
        size_t kn = yg__kv_cef_key_at(s, n, i);
        if (!kn) {
            e->col = i + 1;
            e->msg = "expected key=value in the LEEF attributes";
            return YG_ESYNTAX;
        }
        size_t v = i + kn + 1, t = v;
        while (t < n && !(s[t] == ' ' && yg__kv_cef_key_at(s, n, t + 1)))
            t++;
        size_t end = t;
        while (end > v && s[end - 1] == ' ')
            end--;
        YG_TRY(put_kv(out, s + i, kn, s + v, end - v));
        i = t;
    }
done:
    return err;
}

#define NAME(s)                                                                                    \
    {                                                                                              \
        s, sizeof(s) - 1                                                                           \
    }
static const struct {
    const char *s;
    size_t n;
} head_names[5] = {
    NAME("version"),       NAME("deviceVendor"), NAME("deviceProduct"),
    NAME("deviceVersion"), NAME("eventId"),
};
#undef NAME

static yg_err leef_decode(void *st, const char *line, size_t n, struct yg_buf *out,
                          struct yg_logsrc *ls, struct yg_decode_err *e)
{
    struct leef_head h;
    if (n && line[n - 1] == '\r')
        n--;
    if (!leef_head(line, n, &h, e))
        return YG_ESYNTAX;
    yg_err err;
    size_t start = out->n;
    YG_TRY(yg_buf_addc(out, '{'));
    for (int f = 0; f < 5; f++) {
        YG_TRY(yg__kv_key(out, f > 0, head_names[f].s, head_names[f].n));
        YG_TRY(yg__kv_unescaped(out, h.f[f].p, h.f[f].n, "|\\", false));
    }
    if (h.delim == '\t' && !memchr(line + h.attrs, '\t', n - h.attrs))
        YG_TRY(attrs_spaces(out, line, n, h.attrs, e));
    else
        YG_TRY(attrs_delim(out, line, n, h.attrs, (char)h.delim, e));
    YG_TRY(yg_buf_addc(out, '}'));
    ls->product = "leef";
    ls->service = yg__product_intern(st, h.f[2].p, h.f[2].n);
    ls->category = NULL;
done:
    if (err)
        out->n = start;
    return err;
}

static int leef_sniff(const char *line, size_t n)
{
    struct leef_head h;
    struct yg_decode_err e;
    if (n && line[n - 1] == '\r')
        n--;
    return leef_head(line, n, &h, &e) ? yg__kv_tag_sniff(line, n, "LEEF:", 5) : 0;
}

const struct yg_linefmt yg__fmt_leef = {
    .name = "leef",
    .desc = "IBM LEEF 1.0 and 2.0 (custom delimiter), with or without syslog header",
    .sniff = leef_sniff,
    .state_new = yg__product_names_new,
    .state_free = yg__product_names_free,
    .decode = leef_decode,
};
