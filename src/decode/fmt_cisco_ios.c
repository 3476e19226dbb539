/*
 * fmt_cisco_ios.c - Cisco IOS and IOS-XE system messages.
 *
 * A system message is `%FACILITY-SEVERITY-MNEMONIC: Message-text` (Cisco's
 * "System Message Format"), with optional parts in front that `service
 * sequence-numbers`, `service timestamps` and `logging origin-id` add, and
 * the header of the syslog server that relayed it:
 *
 *   000013: *Mar  1 18:46:11: %SYS-5-CONFIG_I: Configured from console by vty2
 *   <189>52: rtr1: *Mar  1 00:00:52.187 UTC: %LINK-3-UPDOWN: Interface ...
 *   Nov 12 10:11:12 10.0.0.1 123: Nov 12 10:11:11.123 UTC: %SEC_LOGIN-5-...
 *   %PARSER-5-CFGLOG_LOGGEDCMD: User:admin  logged command:no logging console
 *
 * The facility may have a sub-facility (`%IP-TCP-3-BADAUTH`); the severity is
 * one digit 0-7; the mnemonic has a letter, which tells these messages from
 * the ASA family's numeric ids (`%ASA-6-113039`, `%PIX-`, `%FWSM-`: other
 * decoders).
 *
 * Fields: `message` is the whole system message from `%` (SigmaHQ's Cisco
 * rules are keywords, some of them the tag itself: `%SYS-5-CONFIG_P:`;
 * the text after the tag is not repeated in a field of its own, which would
 * double the bytes written per record), `facility`, `severity`, `mnemonic`;
 * `sequence`, `timestamp` (the device's, without the `*`/`.` of an unsynced
 * clock) and `host` (origin id) from the parts in front; `syslog_*` from a
 * relay's header.  Command logging (`%PARSER-5-CFGLOG_LOGGEDCMD`) gives
 * `user` and `command`; login messages (`%SEC_LOGIN-`) their bracketed
 * `[user: x] [Source: ip] [localport: n] [Reason: r]` as `user`, `src_ip`,
 * `dst_port` and `reason`.
 *
 * The Sigma log source is product cisco with the service SigmaHQ's
 * rules/network/cisco folders name: `aaa` for command logging and AAA
 * messages (the commands those rules look for), `bgp` for BGP and for TCP
 * MD5 authentication failures on port 179, `ldp` for LDP, `syslog` for every
 * other message.
 */
#include <stdio.h>

#include "decode/format.h"

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static bool is_upper_alnum(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_';
}

struct tag {
    size_t at;         /* the `%` */
    size_t fac0, fac1; /* facility (with sub-facility) */
    size_t sev;        /* the severity digit */
    size_t mn0, mn1;   /* mnemonic */
    size_t end;        /* after the `:` */
};

/* A tag at i (`%` at a word start): facility segments, a severity digit, a
 * mnemonic with a letter, then `:`. */
static bool tag_at(const char *s, size_t n, size_t i, struct tag *t)
{
    if (s[i] != '%' || (i && s[i - 1] != ' ' && s[i - 1] != ':'))
        return false;
    size_t j = i + 1, f0 = j;
    for (;;) {
        size_t k = j;
        while (k < n && is_upper_alnum((unsigned char)s[k]))
            k++;
        if (k == j || k >= n || s[k] != '-')
            return false;
        if (k - j == 1 && s[j] >= '0' && s[j] <= '7' && j > f0) {
            /* The severity: the mnemonic follows. */
            size_t m0 = k + 1, m = m0;
            bool letter = false;
            while (m < n && is_upper_alnum((unsigned char)s[m])) {
                letter |= s[m] >= 'A' && s[m] <= 'Z';
                m++;
            }
            if (m == m0 || !letter || m >= n || s[m] != ':')
                return false;
            *t = (struct tag){i, f0, j - 1, j, m0, m, m + 1};
            return true;
        }
        j = k + 1;
        if (j - f0 > 64)
            return false;
    }
}

static bool find_tag(const char *s, size_t n, struct tag *t)
{
    size_t i = 0;
    while (i < n) {
        const char *p = memchr(s + i, '%', n - i);
        if (!p)
            return false;
        i = (size_t)(p - s);
        if (tag_at(s, n, i, t))
            return true;
        i++;
    }
    return false;
}

static int ios_sniff(const char *line, size_t n)
{
    struct tag t;
    /* Below the ASA decoder's score, above plain syslog's. */
    return find_tag(line, n, &t) ? 80 : 0;
}

static bool span_is(const char *p, size_t n, const char *lit)
{
    size_t l = strlen(lit);
    return n == l && memcmp(p, lit, l) == 0;
}

static bool all_digits(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!is_digit((unsigned char)p[i]))
            return false;
    return n > 0;
}

/* A device timestamp: `*Mar  1 18:46:11.123 UTC`, `.Mar ...`, `Nov 12 2024
 * 10:11:12`, `2024 Nov 12 ...`: it has an hh:mm:ss and starts with a clock
 * mark, a letter or a digit. */
static bool looks_like_time(const char *p, size_t n)
{
    if (!n || p[0] == ' ')
        return false;
    for (size_t i = 0; i + 4 < n; i++)
        if (is_digit((unsigned char)p[i]) && p[i + 1] == ':' && is_digit((unsigned char)p[i + 2]) &&
            is_digit((unsigned char)p[i + 3]) && p[i + 4] == ':')
            return true;
    return false;
}

static const char *service_of(const char *line, const struct tag *t, const char *text, size_t tn)
{
    const char *f = line + t->fac0, *m = line + t->mn0;
    size_t fn = t->fac1 - t->fac0, mn = t->mn1 - t->mn0;
    if (span_is(f, fn, "PARSER") || span_is(f, fn, "AAA") || span_is(f, fn, "AAAA") ||
        span_is(f, fn, "TAC") || span_is(f, fn, "TACACS") || span_is(f, fn, "RADIUS"))
        return "aaa";
    if ((fn >= 3 && memcmp(f, "BGP", 3) == 0) ||
        (span_is(m, mn, "BADAUTH") && yg_memimem(text, tn, "179", 3)))
        return "bgp";
    if (span_is(f, fn, "LDP") || span_is(f, fn, "MPLS_LDP"))
        return "ldp";
    return "syslog";
}

/* The parts in front of the tag, right to left: device time, sequence
 * number, origin id or a relay's syslog header. */
static yg_err put_prefix(struct yg_buf *out, bool *first, const char *h, size_t hn)
{
    yg_err err = YG_OK;
    h = yg__trim_sp(h, &hn);
    while (hn && h[hn - 1] == ':') {
        hn--;
        h = yg__trim_sp(h, &hn);
    }
    for (int part = 0; hn && part < 3; part++) {
        /* The last `: `-separated segment. */
        size_t s0 = 0;
        for (size_t i = hn; i >= 2; i--)
            if (h[i - 2] == ':' && h[i - 1] == ' ') {
                s0 = i;
                break;
            }
        const char *sg = h + s0;
        size_t sn = hn - s0;
        sg = yg__trim_sp(sg, &sn);
        if (part == 0 && looks_like_time(sg, sn)) {
            if (sg[0] == '*' || sg[0] == '.') {
                sg++;
                sn--;
            }
            YG_TRY(yg__json_kv(out, first, "timestamp", 9, sg, sn));
        } else if (part <= 1 && all_digits(sg, sn)) {
            YG_TRY(yg__json_kv(out, first, "sequence", 8, sg, sn));
            part = 1;
        } else {
            /* `... host 123` from a relay: the sequence number is its last word. */
            const char *sp = memrchr(sg, ' ', sn);
            if (part <= 1 && sp && all_digits(sp + 1, (size_t)(sg + sn - sp - 1))) {
                YG_TRY(yg__json_kv(out, first, "sequence", 8, sp + 1, (size_t)(sg + sn - sp - 1)));
                sn = (size_t)(sp - sg);
            }
            if (!s0 && sn) {
                struct yg_syslog sl;
                char num[8];
                if (yg__syslog_split(sg, sn, &sl) && (sl.ts.n || sl.pri >= 0)) {
                    if (sl.pri >= 0) {
                        int k = snprintf(num, sizeof num, "%d", sl.pri);
                        YG_TRY(yg__json_kv(out, first, "syslog_pri", 10, num, (size_t)k));
                    }
                    if (sl.ts.n)
                        YG_TRY(yg__json_kv(out, first, "syslog_timestamp", 16, sl.ts.p, sl.ts.n));
                    if (sl.host.n)
                        YG_TRY(yg__json_kv(out, first, "syslog_host", 11, sl.host.p, sl.host.n));
                    struct yg_str rest = sl.app.n ? sl.app : sl.msg;
                    if (rest.n && all_digits(rest.p, rest.n))
                        YG_TRY(yg__json_kv(out, first, "sequence", 8, rest.p, rest.n));
                } else if (sg[0] == '<' && memchr(sg, '>', sn)) {
                    /* `<189>52` : a PRI glued to the sequence number. */
                    const char *gt = memchr(sg, '>', sn);
                    YG_TRY(
                        yg__json_kv(out, first, "syslog_pri", 10, sg + 1, (size_t)(gt - sg - 1)));
                    size_t rn = (size_t)(sg + sn - gt - 1);
                    if (rn)
                        YG_TRY(yg__json_kv(out, first, all_digits(gt + 1, rn) ? "sequence" : "host",
                                           all_digits(gt + 1, rn) ? 8 : 4, gt + 1, rn));
                } else {
                    YG_TRY(yg__json_kv(out, first, "host", 4, sg, sn));
                }
            } else if (sn) {
                YG_TRY(yg__json_kv(out, first, "host", 4, sg, sn));
            }
        }
        if (!s0)
            break;
        hn = s0 - 2;
        h = yg__trim_sp(h, &hn);
    }
done:
    return err;
}

/* `[user: x] [Source: ip] [localport: n] [Reason: r]` of login messages:
 * one pass over the brackets (a search per key would scan the text four
 * times). */
static yg_err put_login(struct yg_buf *out, bool *first, const char *p, size_t n)
{
    static const struct {
        const char *key, *field;
        size_t kn;
    } keys[] = {{"user: ", "user", 6},
                {"source: ", "src_ip", 8},
                {"localport: ", "dst_port", 11},
                {"reason: ", "reason", 8}};
    yg_err err = YG_OK;
    const char *e = p + n, *b = p;
    while ((b = memchr(b, '[', (size_t)(e - b)))) {
        b++;
        const char *close = memchr(b, ']', (size_t)(e - b));
        if (!close)
            break;
        for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
            size_t kn = keys[i].kn;
            if ((size_t)(close - b) >= kn && yg_str_ieq(b, kn, keys[i].key, kn)) {
                YG_TRY(yg__json_kvz(out, first, keys[i].field, b + kn, (size_t)(close - b - kn)));
                break;
            }
        }
        b = close + 1;
    }
done:
    return err;
}

static yg_err ios_decode(void *st, const char *line, size_t n, struct yg_buf *out,
                         struct yg_logsrc *ls, struct yg_decode_err *e)
{
    (void)st;
    yg_err err = YG_OK;
    size_t start = out->n;
    bool first = true;
    if ((n = yg__line_begin(line, n, e)) == YG_LINE_REFUSED)
        return YG_ESYNTAX;
    struct tag t;
    if (!find_tag(line, n, &t))
        return yg__fmt_fail(e, 0, "expected a %FACILITY-SEVERITY-MNEMONIC: tag");
    size_t i = t.end;
    while (i < n && line[i] == ' ')
        i++;
    const char *text = line + i;
    size_t tn = n - i;

    YG_TRY(yg_buf_addc(out, '{'));
    YG_TRY(put_prefix(out, &first, line, t.at));
    YG_TRY(yg__json_kv(out, &first, "facility", 8, line + t.fac0, t.fac1 - t.fac0));
    YG_TRY(yg__json_kv(out, &first, "severity", 8, line + t.sev, 1));
    YG_TRY(yg__json_kv(out, &first, "mnemonic", 8, line + t.mn0, t.mn1 - t.mn0));
    YG_TRY(yg__json_kv(out, &first, "message", 7, line + t.at, n - t.at));
    const char *f = line + t.fac0;
    size_t fn = t.fac1 - t.fac0;
    if (span_is(f, fn, "PARSER") && span_is(line + t.mn0, t.mn1 - t.mn0, "CFGLOG_LOGGEDCMD")) {
        /* `User:admin  logged command:no logging console` */
        const char *u = yg_memimem(text, tn, "user:", 5);
        const char *c = yg_memimem(text, tn, "logged command:", 15);
        if (u && c && c > u) {
            size_t un = (size_t)(c - u - 5);
            const char *uv = yg__trim_sp(u + 5, &un);
            YG_TRY(yg__json_kv(out, &first, "user", 4, uv, un));
            YG_TRY(yg__json_kv(out, &first, "command", 7, c + 15, (size_t)(text + tn - c - 15)));
        }
    } else if (span_is(f, fn, "SEC_LOGIN")) {
        YG_TRY(put_login(out, &first, text, tn));
    }
    YG_TRY(yg_buf_addc(out, '}'));
    ls->product = "cisco";
    ls->service = service_of(line, &t, text, tn);
    ls->category = NULL;
done:
    return yg__fmt_done(err, out, start, e);
}

const struct yg_linefmt yg__fmt_cisco_ios = {
    .name = "cisco_ios",
    .desc =
        "Cisco IOS / IOS-XE system messages (%FACILITY-SEVERITY-MNEMONIC: ...), with or without "
        "sequence number, device time and origin id",
    .sniff = ios_sniff,
    .state_new = NULL,
    .state_free = NULL,
    .decode = ios_decode,
};
