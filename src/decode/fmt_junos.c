/*
 * fmt_junos.c - Juniper SRX / Junos OS structured syslog.
 *
 * With `structured-data` set on a syslog host, Junos writes RFC 5424 lines
 * whose MSGID is the event's tag and whose structured data, under the SD-ID
 * `junos@2636.<platform>`, holds the event's named parameters:
 *
 *   <37>1 2023-05-09T15:00:06.756+10:00 fw01 sshd - SSHD_LOGIN_FAILED
 *       [junos@2636.1.1.1.2.26 username="aaaaa" source-address="175.16.199.0"]
 *   <14>1 2023-05-04T15:27:30.846+10:00 srx1 RT_FLOW - RT_FLOW_SESSION_CREATE
 *       [junos@2636.1.1.1.2.40 source-address="10.0.0.1" source-port="5353" ...]
 *
 * Each parameter becomes a field named as Junos names it (`source-address`,
 * `destination-port`, `policy-name`, `username`, ...), its value unescaped
 * (RFC 5424 escapes `"`, `\` and `]` with a backslash); the tag is `tag`,
 * the header gives syslog_timestamp, syslog_host, syslog_app and
 * syslog_procid, and free text after the structured data is `message`.  A
 * parameter named twice keeps its first value.
 *
 * Logins carry the account in `username` and the client in
 * `source-address`; they are also given as user and src_ip, the names the
 * other VPN decoders use, so the VPN rules and correlations key on the same
 * two fields for every appliance (rules/vpn/vpn_junos_*: the dynamic VPN
 * tags DYNAMIC_VPN_AUTH_OK and DYNAMIC_VPN_AUTH_FAIL).
 *
 * A line is Junos when its structured data is a `junos@` element.  Log
 * source: product juniper, service junos.
 */
#include "decode/fmt_kv.h"

static int junos_sniff(const char *line, size_t n)
{
    struct yg_syslog s;
    if (!yg__syslog_split(line, n, &s) || s.version != 1)
        return 0;
    return s.sd.n > 7 && memcmp(s.sd.p, "[junos@", 7) == 0 ? 92 : 0;
}

/* The unescaped value: \" \\ \] lose their backslash.  A value longer than
 * the scratch buffer (8 KiB) keeps its backslashes: decoders do not
 * allocate per record. */
static yg_err put_param(struct yg_kvset *set, struct yg_buf *out, bool *first, struct yg_str k,
                        const char *v, size_t vn, char *tmp, size_t cap)
{
    if (vn > cap || !memchr(v, '\\', vn))
        return yg__kv_put(set, out, first, k.p, k.n, v, vn);
    size_t w = 0;
    for (size_t r = 0; r < vn && w < cap; r++) {
        if (v[r] == '\\' && r + 1 < vn && (v[r + 1] == '"' || v[r + 1] == '\\' || v[r + 1] == ']'))
            r++;
        tmp[w++] = v[r];
    }
    return yg__kv_put(set, out, first, k.p, k.n, tmp, w);
}

static yg_err junos_decode(void *st, const char *line, size_t n, struct yg_buf *out,
                           struct yg_logsrc *ls, struct yg_decode_err *e)
{
    (void)st;
    yg_err err = YG_OK;
    size_t start = out->n;
    bool first = true;
    char tmp[8192];
    if ((n = yg__line_begin(line, n, e)) == YG_LINE_REFUSED)
        return YG_ESYNTAX;
    struct yg_syslog s;
    if (!yg__syslog_split(line, n, &s) || s.version != 1)
        return yg__fmt_fail(e, 0, "expected an RFC 5424 header (<PRI>1 TIMESTAMP HOST ...)");
    struct yg_kvset set;
    yg__kv_init(&set);
    struct yg_str user = {NULL, 0}, src = {NULL, 0};
    YG_TRY(yg_buf_addc(out, '{'));
    if (s.ts.n)
        YG_TRY(yg__kv_putz(&set, out, &first, "syslog_timestamp", s.ts.p, s.ts.n));
    if (s.host.n)
        YG_TRY(yg__kv_putz(&set, out, &first, "syslog_host", s.host.p, s.host.n));
    if (s.app.n)
        YG_TRY(yg__kv_putz(&set, out, &first, "syslog_app", s.app.p, s.app.n));
    if (s.procid.n)
        YG_TRY(yg__kv_putz(&set, out, &first, "syslog_procid", s.procid.p, s.procid.n));
    if (s.msgid.n)
        YG_TRY(yg__kv_putz(&set, out, &first, "tag", s.msgid.p, s.msgid.n));
    /* The structured data, checked by the splitter: `[id k="v" ...]...`. */
    const char *d = s.sd.p;
    size_t dn = s.sd.n, i = 0;
    while (i < dn && d[i] == '[') {
        i++;
        while (i < dn && d[i] != ' ' && d[i] != ']')
            i++; /* the SD-ID */
        while (i < dn && d[i] != ']') {
            while (i < dn && d[i] == ' ')
                i++;
            size_t k0 = i;
            const char *eq = memchr(d + i, '=', dn - i);
            i = eq ? (size_t)(eq - d) : dn;
            if (i + 1 >= dn || d[i] != '=' || d[i + 1] != '"') {
                err = yg__fmt_fail(e, (size_t)(d - line) + i, "expected name=\"value\"");
                goto done;
            }
            struct yg_str k = {d + k0, i - k0};
            size_t v0 = i + 2, j = v0;
            for (;;) { /* the closing quote: one not escaped by a backslash */
                const char *q = j < dn ? memchr(d + j, '"', dn - j) : NULL;
                j = q ? (size_t)(q - d) : dn;
                size_t b = 0;
                while (q && j - b > v0 && d[j - b - 1] == '\\')
                    b++;
                if (!q || b % 2 == 0)
                    break;
                j++;
            }
            if (j >= dn) {
                err = yg__fmt_fail(e, (size_t)(d - line) + v0 - 1, "unterminated value");
                goto done;
            }
            err = put_param(&set, out, &first, k, d + v0, j - v0, tmp, sizeof tmp);
            if (err) {
                yg__kv_limit_at(err, (size_t)(d - line) + k0, e);
                goto done;
            }
            if (!user.p && yg__str_is(k, "username"))
                user = (struct yg_str){d + v0, j - v0};
            else if (!src.p && yg__str_is(k, "source-address"))
                src = (struct yg_str){d + v0, j - v0};
            i = j + 1;
        }
        i++;
    }
    size_t mn = s.msg.n;
    const char *m = yg__trim_sp(s.msg.p, &mn);
    if (mn)
        YG_TRY(yg__kv_putz(&set, out, &first, "message", m, mn));
    if (user.p && user.n)
        YG_TRY(put_param(&set, out, &first, (struct yg_str){"user", 4}, user.p, user.n, tmp,
                         sizeof tmp));
    if (src.p && src.n)
        YG_TRY(yg__kv_putz(&set, out, &first, "src_ip", src.p, src.n));
    YG_TRY(yg_buf_addc(out, '}'));
    ls->product = "juniper";
    ls->service = "junos";
    ls->category = NULL;
done:
    return yg__kv_done(err, out, start, e);
}

const struct yg_linefmt yg__fmt_junos = {
    .name = "junos",
    .desc = "Juniper SRX / Junos OS structured syslog (RFC 5424, [junos@2636... name=\"value\"])",
    .sniff = junos_sniff,
    .state_new = NULL,
    .state_free = NULL,
    .decode = junos_decode,
};
