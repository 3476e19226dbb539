/*
 * fmt_checkpoint.c - Check Point syslog (Log Exporter "syslog" format).
 *
 * The Log Exporter sends each log record as an RFC 5424 line whose
 * structured data is Check Point's own list, `key:"value"` pairs separated
 * by `; ` inside one pair of brackets:
 *
 *   <134>1 2023-12-27T09:39:55Z CP-Manager CheckPoint 10547 - [action:"Accept";
 *       flags:"163872"; ifdir:"outbound"; origin:"192.168.1.153"; ...;
 *       additional_info:"Administrator failed to log in: Wrong Password";
 *       administrator:"i.biachi@customer.com"; audit_status:"Failure";
 *       client_ip:"172.28.11.213"; operation:"Log In"; ...]
 *
 * That list is not RFC 5424 structured data (no SD-ID, colons instead of
 * `=`), so it is found here: the first `[` after the header that opens a
 * `key:"` pair.  A value runs to the `"` that is followed by `;` or by the
 * closing `]`; Log Exporter escapes a `"` inside a value as `\"`, which
 * stays as written.  Each pair becomes a field named as Check Point names it
 * (`action`, `src`, `dst`, `service`, `product`, `auth_status`, ...); a key
 * written twice keeps its first value.  The header gives syslog_timestamp
 * and syslog_host.
 *
 * VPN logins (Remote Access, Mobile Access, Identity Awareness) carry
 * `auth_status` ("Successful Login", "Failed Login"), the account in `user`
 * and the client in `src`; administrator logins carry `administrator` and
 * `client_ip`.  src_ip (from `src`, else `client_ip`) and user (when the
 * record has no `user`, from `administrator`) give every appliance's login
 * the same two fields for the VPN rules and correlations.
 *
 * Log source: product checkpoint, service firewall.
 */
#include "decode/fmt_kv.h"

static bool is_key_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
}

/* Where the `[key:"` list opens (the bracket), or n. */
static size_t find_list(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        const char *p = memchr(s + i, '[', n - i);
        if (!p)
            return n;
        size_t at = (size_t)(p - s), j = at + 1;
        while (j < n && j - at < 80 && is_key_char((unsigned char)s[j]))
            j++;
        if (j > at + 1 && j + 1 < n && s[j] == ':' && s[j + 1] == '"')
            return at;
        i = at + 1;
    }
    return n;
}

static int cp_sniff(const char *line, size_t n)
{
    size_t at = find_list(line, n);
    if (at == n)
        return 0;
    /* The Log Exporter's application name, or the fields every record has. */
    if (memmem(line, at, "CheckPoint", 10) || memmem(line + at, n - at, "loguid:\"", 8) ||
        memmem(line + at, n - at, "origin:\"", 8))
        return 92;
    return 0;
}

static yg_err cp_decode(void *st, const char *line, size_t n, struct yg_buf *out,
                        struct yg_logsrc *ls, struct yg_decode_err *e)
{
    (void)st;
    yg_err err = YG_OK;
    size_t start = out->n;
    bool first = true;
    if ((n = yg__line_begin(line, n, e)) == YG_LINE_REFUSED)
        return YG_ESYNTAX;
    size_t at = find_list(line, n);
    if (at == n)
        return yg__fmt_fail(e, 0, "expected a Check Point record: [key:\"value\"; ...]");
    struct yg_kvset set;
    yg__kv_init(&set);
    struct yg_str src = {NULL, 0}, client = {NULL, 0}, admin = {NULL, 0};
    YG_TRY(yg_buf_addc(out, '{'));
    size_t hn = at;
    const char *h = yg__trim_sp(line, &hn);
    /* The RFC 5424 header lacks its structured data (the list stands in its
     * place): split it with a NILVALUE added, in a copy. */
    char hb[512];
    struct yg_syslog sl;
    if (hn && hn + 2 < sizeof hb) {
        memcpy(hb, h, hn);
        memcpy(hb + hn, " -", 2);
    }
    if (hn && hn + 2 < sizeof hb && yg__syslog_split(hb, hn + 2, &sl) && sl.version == 1) {
        /* Views into hb: moved back onto the line (same offsets). */
        sl.ts.p = h + (sl.ts.p - hb);
        sl.host.p = h + (sl.host.p - hb);
        if (sl.ts.n)
            YG_TRY(yg__kv_putz(&set, out, &first, "syslog_timestamp", sl.ts.p, sl.ts.n));
        if (sl.host.n)
            YG_TRY(yg__kv_putz(&set, out, &first, "syslog_host", sl.host.p, sl.host.n));
    } else if (hn) {
        YG_TRY(yg__kv_putz(&set, out, &first, "syslog_header", h, hn));
    }
    size_t i = at + 1;
    bool closed = false;
    while (i < n) {
        while (i < n && (line[i] == ' ' || line[i] == ';'))
            i++;
        if (i < n && line[i] == ']') {
            closed = true;
            i++;
            break;
        }
        size_t k0 = i;
        while (i < n && line[i] != ':' && line[i] != '"' && line[i] != ']')
            i++;
        if (i == k0 || i + 1 >= n || line[i] != ':' || line[i + 1] != '"') {
            err = yg__fmt_fail(e, i, "expected key:\"value\"");
            goto done;
        }
        size_t kn = i - k0, v0 = i + 2, q = v0;
        for (;;) {
            const char *p = q < n ? memchr(line + q, '"', n - q) : NULL;
            if (!p) {
                err = yg__fmt_fail(e, v0 - 1, "unterminated quoted value");
                goto done;
            }
            q = (size_t)(p - line);
            if (q + 1 == n || line[q + 1] == ';' || line[q + 1] == ']')
                break;
            q++;
        }
        struct yg_str k = {line + k0, kn}, v = {line + v0, q - v0};
        err = yg__kv_put(&set, out, &first, k.p, k.n, v.p, v.n);
        if (err) {
            yg__kv_limit_at(err, k0, e);
            goto done;
        }
        if (!src.p && yg__str_is(k, "src"))
            src = v;
        else if (!client.p && yg__str_is(k, "client_ip"))
            client = v;
        else if (!admin.p && yg__str_is(k, "administrator"))
            admin = v;
        i = q + 1;
    }
    if (!closed) {
        err = yg__fmt_fail(e, n, "expected `]` closing the list");
        goto done;
    }
    /* Text after the list (rare) is kept, not dropped. */
    size_t tn = n - i;
    const char *t = yg__trim_sp(line + i, &tn);
    if (tn)
        YG_TRY(yg__kv_putz(&set, out, &first, "message", t, tn));
    if (src.p && src.n)
        YG_TRY(yg__kv_putz(&set, out, &first, "src_ip", src.p, src.n));
    else if (client.p && client.n)
        YG_TRY(yg__kv_putz(&set, out, &first, "src_ip", client.p, client.n));
    if (admin.p && admin.n)
        YG_TRY(yg__kv_putz(&set, out, &first, "user", admin.p, admin.n));
    YG_TRY(yg_buf_addc(out, '}'));
    ls->product = "checkpoint";
    ls->service = "firewall";
    ls->category = NULL;
done:
    return yg__kv_done(err, out, start, e);
}

const struct yg_linefmt yg__fmt_checkpoint = {
    .name = "checkpoint",
    .desc = "Check Point Log Exporter syslog ([key:\"value\"; ...] after an RFC 5424 header)",
    .sniff = cp_sniff,
    .state_new = NULL,
    .state_free = NULL,
    .decode = cp_decode,
};
