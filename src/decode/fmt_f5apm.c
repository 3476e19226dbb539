/*
 * fmt_f5apm.c - F5 BIG-IP Access Policy Manager (APM) syslog: VPN sessions.
 *
 * APM logs one line per step of an access session, each with the BIG-IP
 * message code (eight hex digits, 0149xxxx for APM, then the severity) and
 * the session's access profile and id:
 *
 *   Oct 21 09:14:02 bigip1 notice apmd[8371]: 01490500:5: /Common/vpn_ap:Common:
 *       5a3b2c1d: New session from client IP 203.0.113.9 (ST=/CC=/C=) at VIP
 *       192.0.2.10 Listener /Common/vs_vpn (Reputation=Unknown)
 *   ... 01490010:5: /Common/vpn_ap:Common:5a3b2c1d: Username 'alice'
 *   ... 01490005:5: /Common/vpn_ap:Common:5a3b2c1d: Following rule 'fallback'
 *       from item 'AD Auth' to ending 'Deny'
 *   ... 01490102:5: /Common/vpn_ap:Common:5a3b2c1d: Access policy result:
 *       Network_Access
 *
 * Fields: message_id, severity, access_profile (`/Common/vpn_ap`),
 * partition, session_id, message (the text after the session prefix), and
 * per message: client_ip, vip, listener (01490500 `New session from client
 * IP ...`), user (01490010 `Username '...'`, and the AD agent's 01490017
 * `authenticate with '...' failed`), rule, item, ending (01490005
 * `Following rule ... to ending '...'`), result (01490102 `Access policy
 * result: ...`); the texts select the fields, since older releases (apd,
 * mdd) write other codes and only the session id as prefix.  The header before the code gives
 * syslog_timestamp and syslog_host.
 *
 * The account and the client address are on different lines of a session,
 * so the decoder keeps, per file, up to YG_F5_SESSIONS (1024) sessions' user
 * and client address (a new session may take the slot of an older one) and
 * adds them to every later line of the same session as
 * user and src_ip: the names the other VPN decoders use, so the VPN rules
 * (the ending `Deny` is a failed login, an access policy result other than
 * Logon_Deny a successful one) and the correlations key on them.  A session
 * whose slot was taken, or whose first lines were in another file, gets no
 * user or src_ip.
 *
 * Log source: product f5, service apm.
 */
#include "decode/fmt_kv.h"

#include <stdlib.h>

#define YG_F5_SESSIONS 1024

struct session {
    size_t idn, usern, ipn;
    char id[24], user[96], ip[48];
};

struct f5_state {
    struct session s[YG_F5_SESSIONS];
};

static void *f5_state_new(void)
{
    return yg_calloc(1, sizeof(struct f5_state));
}

static void f5_state_free(void *st)
{
    yg_free(st);
}

static bool is_hex(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Where the `hhhhhhhh:d: ` code starts at a word start, or n: found from
 * its colons, which are few in a line. */
static size_t find_code(const char *s, size_t n)
{
    if (n < 12)
        return n;
    const char *p = s + 8, *e = s + n;
    while (p + 4 <= e && (p = memchr(p, ':', (size_t)(e - p - 3)))) {
        size_t c = (size_t)(p - s);
        p++;
        if (s[c + 1] < '0' || s[c + 1] > '7' || s[c + 2] != ':' || s[c + 3] != ' ')
            continue;
        if (c > 8 && s[c - 9] != ' ')
            continue;
        size_t k = c - 8;
        while (k < c && is_hex((unsigned char)s[k]))
            k++;
        if (k == c)
            return c - 8;
    }
    return n;
}

/* APM's codes start 0149; older releases log from apd and mdd. */
static int f5_sniff(const char *line, size_t n)
{
    size_t at = find_code(line, n);
    if (at == n)
        return 0;
    if (memcmp(line + at, "0149", 4) == 0)
        return 92;
    static const char *const daemons[] = {" apd", " mdd", " apmd"};
    for (size_t k = 0; k < 3; k++) {
        size_t dl = strlen(daemons[k]);
        const char *d = memmem(line, at, daemons[k], dl);
        while (d && (size_t)(d - line) + dl < at && d[dl] >= '0' && d[dl] <= '9')
            d++; /* mdd4[...] */
        if (d && (size_t)(d - line) + dl < at && d[dl] == '[')
            return 80;
    }
    return 0;
}

/* The text between `pre` and `post` at the start of m (post "" for the rest
 * of m); false when m does not fit. */
static bool between(const char *m, size_t mn, const char *pre, const char *post, struct yg_str *v)
{
    size_t pl = strlen(pre), ql = strlen(post);
    if (mn < pl || memcmp(m, pre, pl) != 0)
        return false;
    const char *s = m + pl, *e = m + mn;
    if (!ql) {
        *v = (struct yg_str){s, (size_t)(e - s)};
        return true;
    }
    const char *f = memmem(s, (size_t)(e - s), post, ql);
    if (!f)
        return false;
    *v = (struct yg_str){s, (size_t)(f - s)};
    return true;
}

/* The session's slot: a direct-mapped table, so a lookup costs one hash and
 * one comparison; a new session whose id falls on a used slot replaces the
 * older one there. */
static struct session *find_session(struct f5_state *st, struct yg_str id, bool make)
{
    if (!st || !id.n || id.n >= sizeof st->s[0].id)
        return NULL;
    uint32_t h = 2166136261u;
    for (size_t k = 0; k < id.n; k++)
        h = (h ^ (unsigned char)id.p[k]) * 16777619u;
    struct session *s = &st->s[h % YG_F5_SESSIONS];
    if (s->idn == id.n && memcmp(s->id, id.p, id.n) == 0)
        return s;
    if (!make)
        return NULL;
    memset(s, 0, sizeof *s);
    memcpy(s->id, id.p, id.n);
    s->idn = id.n;
    return s;
}

/* Keep v in dst (cap bytes) and its length in *len; a longer value is not
 * kept. */
static void keep(char *dst, size_t *len, size_t cap, struct yg_str v)
{
    if (v.n > cap)
        return;
    memcpy(dst, v.p, v.n);
    *len = v.n;
}

static yg_err f5_decode(void *stp, const char *line, size_t n, struct yg_buf *out,
                        struct yg_logsrc *ls, struct yg_decode_err *e)
{
    struct f5_state *st = stp;
    yg_err err = YG_OK;
    size_t start = out->n;
    bool first = true;
    if ((n = yg__line_begin(line, n, e)) == YG_LINE_REFUSED)
        return YG_ESYNTAX;
    size_t at = find_code(line, n);
    if (at == n)
        return yg__fmt_fail(e, 0, "expected a BIG-IP message code (hhhhhhhh:severity: )");
    struct yg_kvset set;
    yg__kv_init(&set);
    YG_TRY(yg_buf_addc(out, '{'));
    size_t hn = at;
    const char *h = yg__trim_sp(line, &hn);
    struct yg_syslog sl;
    if (hn && yg__syslog_split(h, hn, &sl)) {
        if (sl.ts.n)
            YG_TRY(yg__kv_putz(&set, out, &first, "syslog_timestamp", sl.ts.p, sl.ts.n));
        if (sl.host.n)
            YG_TRY(yg__kv_putz(&set, out, &first, "syslog_host", sl.host.p, sl.host.n));
    } else if (hn) {
        YG_TRY(yg__kv_putz(&set, out, &first, "syslog_header", h, hn));
    }
    YG_TRY(yg__kv_putz(&set, out, &first, "message_id", line + at, 8));
    YG_TRY(yg__kv_putz(&set, out, &first, "severity", line + at + 9, 1));
    const char *m = line + at + 12;
    size_t mn = n - at - 12;
    /* `/Partition/profile:Partition:sessionid: ` */
    struct yg_str sid = {NULL, 0};
    if (mn && m[0] == '/') {
        const char *c1 = memchr(m, ':', mn);
        const char *c2 = c1 ? memchr(c1 + 1, ':', mn - (size_t)(c1 + 1 - m)) : NULL;
        const char *c3 = c2 ? memchr(c2 + 1, ':', mn - (size_t)(c2 + 1 - m)) : NULL;
        const char *sp = memchr(m, ' ', mn);
        if (c3 && (!sp || sp > c3) && (size_t)(c3 + 1 - m) < mn && c3[1] == ' ') {
            YG_TRY(yg__kv_putz(&set, out, &first, "access_profile", m, (size_t)(c1 - m)));
            YG_TRY(yg__kv_putz(&set, out, &first, "partition", c1 + 1, (size_t)(c2 - c1 - 1)));
            sid = (struct yg_str){c2 + 1, (size_t)(c3 - c2 - 1)};
            YG_TRY(yg__kv_putz(&set, out, &first, "session_id", sid.p, sid.n));
            mn -= (size_t)(c3 + 2 - m);
            m = c3 + 2;
        }
    } else if (mn >= 10 && m[8] == ':' && m[9] == ' ') {
        /* Older releases (apd, mdd): the session id alone, `1d0bf7c7: `. */
        size_t k = 0;
        while (k < 8 && is_hex((unsigned char)m[k]))
            k++;
        if (k == 8) {
            sid = (struct yg_str){m, 8};
            YG_TRY(yg__kv_putz(&set, out, &first, "session_id", m, 8));
            m += 10;
            mn -= 10;
        }
    }
    YG_TRY(yg__kv_putz(&set, out, &first, "message", m, mn));
    struct yg_str v, w, x;
    struct session *s = NULL;
    /* The texts, not the codes, select the fields: they are the same in
     * every release, the codes of the older daemons differ. */
    if (between(m, mn, "New session from client IP ", " ", &v)) {
        YG_TRY(yg__kv_putz(&set, out, &first, "client_ip", v.p, v.n));
        if ((s = find_session(st, sid, true)))
            keep(s->ip, &s->ipn, sizeof s->ip, v);
        const char *vip = memmem(m, mn, " at VIP ", 8);
        if (vip && between(vip, mn - (size_t)(vip - m), " at VIP ", " ", &w))
            YG_TRY(yg__kv_putz(&set, out, &first, "vip", w.p, w.n));
        const char *lis = memmem(m, mn, " Listener ", 10);
        if (lis && between(lis, mn - (size_t)(lis - m), " Listener ", " ", &x))
            YG_TRY(yg__kv_putz(&set, out, &first, "listener", x.p, x.n));
    } else if (between(m, mn, "Username '", "'", &v)) {
        YG_TRY(yg__kv_putz(&set, out, &first, "user", v.p, v.n));
        if ((s = find_session(st, sid, true)))
            keep(s->user, &s->usern, sizeof s->user, v);
    } else if (memmem(m, mn < 24 ? mn : 24, " agent: ", 8)) {
        /* `AD agent: Auth (logon attempt:0): authenticate with 'u' failed`
         * (and the LDAP and RADIUS agents'). */
        const char *a = memmem(m, mn, "authenticate with '", 19);
        if (a && between(a, mn - (size_t)(a - m), "authenticate with '", "'", &v))
            YG_TRY(yg__kv_putz(&set, out, &first, "user", v.p, v.n));
    } else if (between(m, mn, "Following rule '", "' from item '", &v)) {
        YG_TRY(yg__kv_putz(&set, out, &first, "rule", v.p, v.n));
        const char *it = m + 16 + v.n;
        size_t rest = mn - 16 - v.n;
        if (between(it, rest, "' from item '", "' to ending '", &w)) {
            YG_TRY(yg__kv_putz(&set, out, &first, "item", w.p, w.n));
            const char *en = w.p + w.n;
            if (between(en, (size_t)(m + mn - en), "' to ending '", "'", &x))
                YG_TRY(yg__kv_putz(&set, out, &first, "ending", x.p, x.n));
        }
    } else if (between(m, mn, "Access policy result: ", "", &v)) {
        size_t rn = v.n;
        const char *r = yg__trim_sp(v.p, &rn);
        YG_TRY(yg__kv_putz(&set, out, &first, "result", r, rn));
    }
    if (!s)
        s = find_session(st, sid, false);
    if (s && s->usern)
        YG_TRY(yg__kv_putz(&set, out, &first, "user", s->user, s->usern));
    if (s && s->ipn)
        YG_TRY(yg__kv_putz(&set, out, &first, "src_ip", s->ip, s->ipn));
    YG_TRY(yg_buf_addc(out, '}'));
    ls->product = "f5";
    ls->service = "apm";
    ls->category = NULL;
done:
    return yg__kv_done(err, out, start, e);
}

const struct yg_linefmt yg__fmt_f5apm = {
    .name = "f5apm",
    .desc = "F5 BIG-IP APM syslog (0149xxxx:sev: /profile:partition:session: ...), sessions joined",
    .sniff = f5_sniff,
    .state_new = f5_state_new,
    .state_free = f5_state_free,
    .decode = f5_decode,
};
