/*
 * fmt_cef.c - ArcSight Common Event Format (CEF).
 *
 *   CEF:Version|Device Vendor|Device Product|Device Version|
 *       Device Event Class ID|Name|Severity|Extension
 *
 * usually behind a syslog header, which is framing and ignored: the record
 * starts at the first `CEF:` of the line.  Escaping follows the CEF
 * specification: in the header, `\|` and `\\` stand for `|` and `\`; in
 * extension values, `\=` and `\\` for `=` and `\`, and `\n`, `\r` for line
 * breaks.  Any other backslash is kept as written.
 *
 * Extension values may contain spaces: a value runs until the space before
 * the next `key=`, and trailing spaces are not part of it (an `=` in a value
 * must be escaped, so an unescaped `key=` after a space always starts the
 * next pair).
 *
 * Fields: the header under the names ArcSight and Elastic use for them
 * (`version`, `deviceVendor`, `deviceProduct`, `deviceVersion`,
 * `signatureId` with its ArcSight alias `deviceEventClassId`, `name`,
 * `severity`), then every extension key as written (`src`, `act`,
 * `cs1Label`, ...).
 *
 * Log source: product "cef", service the device product in lower case.
 * The service string lives in the per-file state (one copy per distinct
 * product, YG_PRODUCT_NAMES of them at most), so it stays valid until
 * state_free; a product past that cap, or longer than YG_PRODUCT_NAME_LEN,
 * gets no service.
 */
#include "decode/fmt_kv.h"

static bool all_digits(struct yg_str v)
{
    for (size_t k = 0; k < v.n; k++)
        if (v.p[k] < '0' || v.p[k] > '9')
            return false;
    return v.n > 0;
}

struct cef_head {
    struct yg_str f[7]; /* version .. severity */
    size_t at[7];       /* offset of each field in the line */
    size_t ext;         /* offset of the extension */
};

/* Parse `CEF:` and the seven header fields.  n excludes a trailing CR. */
static bool cef_head(const char *s, size_t n, struct cef_head *h, struct yg_decode_err *e)
{
    const char *p = n >= 4 ? memmem(s, n, "CEF:", 4) : NULL;
    if (!p) {
        e->col = 1;
        e->msg = "expected `CEF:`";
        return false;
    }
    size_t i = (size_t)(p - s) + 4;
    for (int f = 0; f < 7; f++) {
        size_t start = i;
        while (i < n && s[i] != '|')
            i += (s[i] == '\\' && i + 1 < n) ? 2 : 1;
        if (i >= n && f < 6) {
            e->col = n + 1;
            e->msg = "expected 7 `|`-separated CEF header fields";
            return false;
        }
        h->f[f] = (struct yg_str){s + start, i - start};
        h->at[f] = start;
        if (i < n)
            i++;
    }
    if (!all_digits(h->f[0])) {
        e->col = h->at[0] + 1;
        e->msg = "expected the CEF version number after `CEF:`";
        return false;
    }
    h->ext = i;
    return true;
}

/* End of the extension value starting at v: the space before the next
 * `key=` (spaces before it are dropped), or the end of the line. */
static size_t value_end(const char *s, size_t n, size_t v, size_t *next)
{
    size_t t = v;
    while (t < n) {
        if (s[t] == '\\') {
            t += 2;
            continue;
        }
        if (s[t] == ' ' && yg__kv_cef_key_at(s, n, t + 1))
            break;
        t++;
    }
    if (t > n)
        t = n;
    *next = t;
    while (t > v && s[t - 1] == ' ')
        t--;
    return t;
}

#define NAME(s)                                                                                    \
    {                                                                                              \
        s, sizeof(s) - 1                                                                           \
    }
static const struct {
    const char *s;
    size_t n;
} head_names[7] = {
    NAME("version"),     NAME("deviceVendor"), NAME("deviceProduct"), NAME("deviceVersion"),
    NAME("signatureId"), NAME("name"),         NAME("severity"),
};
#undef NAME

static yg_err cef_decode(void *st, const char *line, size_t n, struct yg_buf *out,
                         struct yg_logsrc *ls, struct yg_decode_err *e)
{
    struct cef_head h;
    if (n && line[n - 1] == '\r')
        n--;
    if (!cef_head(line, n, &h, e))
        return YG_ESYNTAX;
    yg_err err;
    size_t start = out->n;
    YG_TRY(yg_buf_addc(out, '{'));
    for (int f = 0; f < 7; f++) {
        YG_TRY(yg__kv_key(out, f > 0, head_names[f].s, head_names[f].n));
        YG_TRY(yg__kv_unescaped(out, h.f[f].p, h.f[f].n, "|\\", false));
        if (f == 4) {
            YG_TRY(yg_buf_add(out, ",\"deviceEventClassId\":", 22));
            YG_TRY(yg__kv_unescaped(out, h.f[f].p, h.f[f].n, "|\\", false));
        }
    }
    size_t i = h.ext;
    for (;;) {
        while (i < n && line[i] == ' ')
            i++;
        if (i >= n)
            break;
        size_t kn = yg__kv_cef_key_at(line, n, i);
        if (!kn) {
            e->col = i + 1;
            e->msg = "expected key=value in the CEF extension";
            err = YG_ESYNTAX;
            goto done;
        }
        size_t v = i + kn + 1, next;
        size_t end = value_end(line, n, v, &next);
        YG_TRY(yg__kv_key(out, true, line + i, kn));
        YG_TRY(yg__kv_unescaped(out, line + v, end - v, "=\\", true));
        i = next;
    }
    YG_TRY(yg_buf_addc(out, '}'));
    ls->product = "cef";
    ls->service = yg__product_intern(st, h.f[2].p, h.f[2].n);
    ls->category = NULL;
done:
    if (err)
        out->n = start;
    return err;
}

/* A CEF record right at the start of the syslog message is certain; `CEF:`
 * further into the line with a valid header is likely. */
static int cef_sniff(const char *line, size_t n)
{
    struct cef_head h;
    struct yg_decode_err e;
    if (n && line[n - 1] == '\r')
        n--;
    return cef_head(line, n, &h, &e) ? yg__kv_tag_sniff(line, n, "CEF:", 4) : 0;
}

const struct yg_linefmt yg__fmt_cef = {
    .name = "cef",
    .desc = "ArcSight Common Event Format (CEF:0/1), with or without syslog header",
    .sniff = cef_sniff,
    .state_new = yg__product_names_new,
    .state_free = yg__product_names_free,
    .decode = cef_decode,
};
