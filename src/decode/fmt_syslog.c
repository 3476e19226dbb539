/*
 * fmt_syslog.c - syslog framing (RFC 3164 and RFC 5424) and the generic
 * syslog line format.
 *
 * Two wire formats share the name "syslog":
 *
 *   RFC 3164 (BSD):  <PRI>Mmm dd hh:mm:ss HOST TAG[PID]: MSG
 *   RFC 5424:        <PRI>VERSION TIMESTAMP HOST APP PROCID MSGID SD MSG
 *
 * What reaches a log file rarely follows either exactly.  Files written by
 * syslogd drop the <PRI>; rsyslog's file format replaces the BSD timestamp
 * with an ISO 8601 one; local senders omit the host; tags carry extra
 * decoration (`sshd(pam_unix)[19939]:`).  The splitter therefore accepts
 * each part when it is present and only insists on what makes a line a
 * syslog line at all: a <PRI>, or a timestamp at the start.
 *
 * The splitter never copies: every part is a view into the line.  Appliance
 * decoders (FortiGate, CEF, LEEF, ...) call yg__syslog_split() to strip an
 * optional header and then parse the message themselves.
 *
 * The generic format turns a record into RFC 5424 header names (`hostname`,
 * `appname`, `procid`, ...) plus `message`, the free text that SigmaHQ's
 * Linux keyword rules search.  The Sigma log source is product linux with
 * the service derived from the program name (sshd, sudo, cron, auth, ...).
 */
#include "decode/format.h"

#include <stdio.h>

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

/* Number of consecutive digits at s[i..], at most max. */
static size_t count_digits(const char *s, size_t n, size_t i, size_t max)
{
    size_t k = 0;
    while (i + k < n && k < max && is_digit((unsigned char)s[i + k]))
        k++;
    return k;
}

static bool is_month(const char *s)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    for (size_t m = 0; m < 36; m += 3)
        if (s[0] == months[m] && s[1] == months[m + 1] && s[2] == months[m + 2])
            return true;
    return false;
}

/* `hh:mm:ss` with an optional fraction; returns its length or 0. */
static size_t clock_len(const char *s, size_t n, size_t i)
{
    if (n - i < 8)
        return 0;
    const unsigned char *u = (const unsigned char *)s + i;
    if (!is_digit(u[0]) || !is_digit(u[1]) || u[2] != ':' || !is_digit(u[3]) || !is_digit(u[4]) ||
        u[5] != ':' || !is_digit(u[6]) || !is_digit(u[7]))
        return 0;
    size_t k = i + 8;
    if (k + 1 < n && s[k] == '.' && is_digit((unsigned char)s[k + 1])) {
        k++;
        while (k < n && is_digit((unsigned char)s[k]))
            k++;
    }
    return k - i;
}

/*
 * BSD timestamp `Mmm dd hh:mm:ss`: the day may be space-padded (`Jul  1`)
 * or a single digit, and network devices often add the year before the
 * time and a fraction after it.  Returns its length or 0.
 */
static size_t bsd_ts_len(const char *s, size_t n, size_t i)
{
    if (n - i < 14 || !is_month(s + i) || s[i + 3] != ' ')
        return 0;
    size_t j = i + 4;
    if (s[j] == ' ')
        j++;
    size_t d = count_digits(s, n, j, 2);
    if (!d)
        return 0;
    j += d;
    if (j >= n || s[j] != ' ')
        return 0;
    j++;
    if (count_digits(s, n, j, 4) == 4 && j + 4 < n && s[j + 4] == ' ')
        j += 5;
    size_t c = clock_len(s, n, j);
    return c ? j + c - i : 0;
}

/*
 * ISO 8601 timestamp as RFC 5424 and rsyslog write it:
 * `YYYY-MM-DDThh:mm:ss[.frac][Z|+hh:mm]` (a space instead of the T is
 * accepted too).  Returns its length or 0.
 */
static size_t iso_ts_len(const char *s, size_t n, size_t i)
{
    if (n - i < 19)
        return 0;
    const unsigned char *u = (const unsigned char *)s + i;
    if (count_digits(s, n, i, 4) != 4 || u[4] != '-' || !is_digit(u[5]) || !is_digit(u[6]) ||
        u[7] != '-' || !is_digit(u[8]) || !is_digit(u[9]) ||
        (u[10] != 'T' && u[10] != 't' && u[10] != ' '))
        return 0;
    size_t c = clock_len(s, n, i + 11);
    if (!c)
        return 0;
    size_t k = i + 11 + c;
    if (k < n && (s[k] == 'Z' || s[k] == 'z')) {
        k++;
    } else if (k < n && (s[k] == '+' || s[k] == '-') && count_digits(s, n, k + 1, 2) == 2) {
        size_t z = k + 3;
        if (z < n && s[z] == ':')
            z++;
        if (count_digits(s, n, z, 2) == 2)
            k = z + 2;
    }
    return k - i;
}

/* Where a header could not be parsed (internal form of the splitter). */
struct split_err {
    size_t col; /* 0-based byte offset */
    const char *msg;
};

static bool fail(struct split_err *e, size_t at, const char *msg)
{
    e->col = at;
    e->msg = msg;
    return false;
}

/* Token up to the next space: RFC 5424 header fields; `-` is NILVALUE. */
static bool field_5424(const char *s, size_t n, size_t *i, struct yg_str *out, struct split_err *e,
                       const char *what)
{
    size_t j = *i;
    while (j < n && s[j] != ' ')
        j++;
    if (j == *i)
        return fail(e, *i, what);
    if (j >= n)
        return fail(e, j, "expected a space after an RFC 5424 header field");
    out->p = s + *i;
    out->n = (j - *i == 1 && s[*i] == '-') ? 0 : j - *i;
    *i = j + 1;
    return true;
}

/* An SD-NAME: printable ASCII except `=`, space, `]` and `"`. */
static size_t sd_name_len(const char *s, size_t n, size_t i)
{
    size_t j = i;
    while (j < n) {
        unsigned char c = (unsigned char)s[j];
        if (c <= 32 || c >= 127 || c == '=' || c == ']' || c == '"')
            break;
        j++;
    }
    return j - i;
}

/* RFC 5424 STRUCTURED-DATA: `-` or one or more `[id name="value" ...]`. */
static bool sd_5424(const char *s, size_t n, size_t *i, struct yg_str *sd, struct split_err *e)
{
    size_t j = *i;
    sd->p = s + j;
    sd->n = 0;
    if (j < n && s[j] == '-') {
        *i = j + 1;
        return true;
    }
    if (j >= n || s[j] != '[')
        return fail(e, j, "expected structured data: `-` or `[`");
    while (j < n && s[j] == '[') {
        j++;
        size_t id = sd_name_len(s, n, j);
        if (!id)
            return fail(e, j, "expected an SD-ID after `[`");
        j += id;
        for (;;) {
            if (j >= n)
                return fail(e, j, "unterminated structured data element");
            if (s[j] == ']') {
                j++;
                break;
            }
            if (s[j] != ' ')
                return fail(e, j, "expected a space or `]` in structured data");
            j++;
            size_t pn = sd_name_len(s, n, j);
            if (!pn)
                return fail(e, j, "expected a parameter name in structured data");
            j += pn;
            if (j >= n || s[j] != '=')
                return fail(e, j, "expected `=` after a structured data parameter name");
            j++;
            if (j >= n || s[j] != '"')
                return fail(e, j, "expected `\"` to open a structured data value");
            j++;
            while (j < n && s[j] != '"')
                j += (s[j] == '\\' && j + 1 < n) ? 2 : 1;
            if (j >= n)
                return fail(e, j, "unterminated quoted structured data value");
            j++;
        }
    }
    sd->n = (size_t)(s + j - sd->p);
    *i = j;
    return true;
}

static bool split_5424(const char *s, size_t n, size_t i, struct yg_syslog *out,
                       struct split_err *e)
{
    if (!field_5424(s, n, &i, &out->ts, e, "expected an RFC 5424 timestamp") ||
        !field_5424(s, n, &i, &out->host, e, "expected an RFC 5424 hostname") ||
        !field_5424(s, n, &i, &out->app, e, "expected an RFC 5424 app-name") ||
        !field_5424(s, n, &i, &out->procid, e, "expected an RFC 5424 procid") ||
        !field_5424(s, n, &i, &out->msgid, e, "expected an RFC 5424 msgid") ||
        !sd_5424(s, n, &i, &out->sd, e))
        return false;
    if (out->ts.n && iso_ts_len(s, n, (size_t)(out->ts.p - s)) == 0)
        return fail(e, (size_t)(out->ts.p - s), "expected an RFC 5424 timestamp or `-`");
    if (i < n && s[i] != ' ')
        return fail(e, i, "expected a space after the structured data");
    if (i < n)
        i++;
    /* A UTF-8 message may start with a BOM (RFC 5424 6.4); it is framing. */
    if (n - i >= 3 && (unsigned char)s[i] == 0xEF && (unsigned char)s[i + 1] == 0xBB &&
        (unsigned char)s[i + 2] == 0xBF)
        i += 3;
    out->msg = (struct yg_str){s + i, n - i};
    return true;
}

/*
 * Does a token look like a BSD host name rather than a tag or the message?
 * Local senders omit the host (`sshd[1]: ...`), and devices such as PAN-OS
 * start the message right after the timestamp (`1,2021/03/24 ...`), so a
 * token a host name cannot contain is the start of what follows.
 */
static bool host_like(const char *s, size_t n)
{
    if (!n || s[n - 1] == ':')
        return false;
    for (size_t k = 0; k < n; k++)
        if (s[k] == '[' || s[k] == '=' || s[k] == '"' || s[k] == ',' || s[k] == '/')
            return false;
    return true;
}

static void split_3164_tag(const char *s, size_t n, size_t i, struct yg_syslog *out)
{
    /* TAG is the program name up to `[`, `:` or a space; it counts as a tag
     * only when it ends the way syslog(3) writes it: `app:` or `app[pid]:`
     * (the colon after `]` is optional, some daemons omit it). */
    size_t j = i;
    while (j < n && s[j] != ' ' && s[j] != ':' && s[j] != '[')
        j++;
    size_t after = 0;
    if (j > i && j < n && s[j] == '[') {
        size_t p = j + 1, q = p;
        while (q < n && s[q] != ']' && s[q] != ' ')
            q++;
        if (q < n && s[q] == ']' && q > p) {
            after = q + 1;
            if (after < n && s[after] == ':')
                after++;
            if (after < n && s[after] != ' ')
                after = 0;
            else
                out->procid = (struct yg_str){s + p, q - p};
        }
    } else if (j > i && j < n && s[j] == ':' && (j + 1 == n || s[j + 1] == ' ')) {
        after = j + 1;
    }
    if (after) {
        out->app = (struct yg_str){s + i, j - i};
        /* Spaces after the tag separate it from the text (sudo pads). */
        i = after;
        while (i < n && s[i] == ' ')
            i++;
    }
    out->msg = (struct yg_str){s + i, n - i};
}

static bool split_3164(const char *s, size_t n, size_t i, struct yg_syslog *out,
                       struct split_err *e)
{
    size_t t = bsd_ts_len(s, n, i);
    if (!t)
        t = iso_ts_len(s, n, i);
    if (!t || (i + t < n && s[i + t] != ' ')) {
        /* RFC 3164 4.3.3: without a valid timestamp, everything after the
         * PRI is the message.  Without a PRI either, it is not syslog. */
        if (out->pri < 0)
            return fail(e, i, "expected <PRI> or a syslog timestamp at the start of the line");
        out->msg = (struct yg_str){s + i, n - i};
        return true;
    }
    out->ts = (struct yg_str){s + i, t};
    i += t;
    while (i < n && s[i] == ' ')
        i++;
    size_t h = i;
    while (h < n && s[h] != ' ')
        h++;
    if (host_like(s + i, h - i)) {
        out->host = (struct yg_str){s + i, h - i};
        i = h;
        while (i < n && s[i] == ' ')
            i++;
    }
    split_3164_tag(s, n, i, out);
    return true;
}

static bool split(const char *s, size_t n, struct yg_syslog *out, struct split_err *e)
{
    struct yg_str empty = {s, 0};
    out->pri = -1;
    out->version = 0;
    out->ts = out->host = out->app = out->procid = out->msgid = out->sd = empty;
    e->col = 0;
    e->msg = NULL;
    /* A CR left over from CRLF line ends is framing, not message text. */
    if (n && s[n - 1] == '\r')
        n--;
    out->msg = (struct yg_str){s, n};
    size_t i = 0;
    if (n && s[0] == '<') {
        size_t d = count_digits(s, n, 1, 4);
        if (d == 0 || d > 3 || 1 + d >= n || s[1 + d] != '>')
            return fail(e, 1 + d, "expected <PRI>: 1 to 3 digits and `>`");
        int pri = 0;
        for (size_t k = 1; k <= d; k++)
            pri = pri * 10 + (s[k] - '0');
        if (pri > 191)
            return fail(e, 1, "PRI out of range (0..191)");
        out->pri = pri;
        i = d + 2;
        size_t v = count_digits(s, n, i, 3);
        if (v && s[i] != '0' && i + v < n && s[i + v] == ' ') {
            int ver = 0;
            for (size_t k = 0; k < v; k++)
                ver = ver * 10 + (s[i + k] - '0');
            out->version = ver;
            return split_5424(s, n, i + v + 1, out, e);
        }
    }
    return split_3164(s, n, i, out, e);
}

bool yg__syslog_split(const char *line, size_t n, struct yg_syslog *out)
{
    struct split_err e;
    if (split(line, n, out, &e))
        return true;
    /* No usable header: hand back the whole line as the message, so a
     * vendor decoder can still parse a headerless record. */
    struct yg_str empty = {line, 0};
    out->pri = -1;
    out->version = 0;
    out->ts = out->host = out->app = out->procid = out->msgid = out->sd = empty;
    out->msg = (struct yg_str){line, n && line[n - 1] == '\r' ? n - 1 : n};
    return false;
}

/* ---- the generic syslog format ----------------------------------------- */

/* `"sd.<id>.<param>":"<value>"`, the value unescaped: RFC 5424 6.3.3 makes
 * `\"`, `\\` and `\]` stand for the character; any other backslash is kept. */
static yg_err sd_param(struct yg_buf *out, const struct yg_str id, const char *name, size_t nn,
                       const char *v, size_t vn)
{
    yg_err err;
    YG_TRY(yg_buf_add(out, ",\"sd.", 5));
    YG_TRY(yg__json_frag(out, id.p, id.n));
    YG_TRY(yg_buf_addc(out, '.'));
    YG_TRY(yg__json_frag(out, name, nn));
    YG_TRY(yg_buf_add(out, "\":\"", 3));
    size_t from = 0;
    for (size_t k = 0; k + 1 < vn; k++) {
        if (v[k] == '\\' && (v[k + 1] == '"' || v[k + 1] == '\\' || v[k + 1] == ']')) {
            YG_TRY(yg__json_frag(out, v + from, k - from));
            from = ++k; /* the escaped character starts the next piece */
        }
    }
    YG_TRY(yg__json_frag(out, v + from, vn - from));
    err = yg_buf_addc(out, '"');
done:
    return err;
}

/* Every parameter of the (already validated) structured data. */
static yg_err sd_fields(struct yg_buf *out, const struct yg_str sd)
{
    yg_err err = YG_OK;
    const char *s = sd.p;
    size_t n = sd.n, j = 0;
    while (j < n && s[j] == '[') {
        j++;
        size_t idn = sd_name_len(s, n, j);
        struct yg_str id = {s + j, idn};
        j += idn;
        while (j < n && s[j] == ' ') {
            j++;
            size_t pn = sd_name_len(s, n, j);
            const char *name = s + j;
            j += pn + 2; /* name, `=` and the opening quote */
            size_t v = j;
            while (j < n && s[j] != '"')
                j += s[j] == '\\' ? 2 : 1;
            YG_TRY(sd_param(out, id, name, pn, s + v, j - v));
            j++;
        }
        j++; /* `]` */
    }
done:
    return err;
}

/*
 * sudo logs the command as `alice : TTY=pts/0 ; PWD=/home/alice ;
 * USER=root ; COMMAND=/usr/bin/id`; SigmaHQ's sudo rules test USER, so the
 * pairs become fields named as sudo writes them.  COMMAND comes last and
 * runs to the end (a command may itself contain ` ; `).
 */
static yg_err sudo_fields(struct yg_buf *out, bool *first, const char *m, size_t n)
{
    yg_err err = YG_OK;
    const char *c = memmem(m, n, " : ", 3);
    if (!c)
        return YG_OK;
    size_t i = (size_t)(c - m) + 3;
    while (i < n) {
        size_t k = i;
        while (k < n && m[k] >= 'A' && m[k] <= 'Z')
            k++;
        bool kv = k > i && k < n && m[k] == '=';
        const char *semi = memmem(m + i, n - i, " ; ", 3);
        size_t end = semi ? (size_t)(semi - m) : n;
        if (kv && k - i == 7 && memcmp(m + i, "COMMAND", 7) == 0)
            end = n;
        if (kv)
            YG_TRY(yg__json_kv(out, first, m + i, k - i, m + k + 1, end - k - 1));
        if (end >= n)
            break;
        i = end + 3;
    }
done:
    return err;
}

/*
 * The Sigma service of a Linux program (SigmaHQ taxonomy, product linux):
 * the name before any `(pam_unix)` decoration or path, compared without
 * case (`CRON`).  Programs that write to auth.log map to auth; everything
 * else is the general syslog stream.
 */
static const char *linux_service(struct yg_str app)
{
#define SVC(name, service)                                                                         \
    {                                                                                              \
        name, sizeof(name) - 1, service                                                            \
    }
    static const struct {
        const char *name;
        size_t n;
        const char *service;
    } map[] = {
        SVC("sshd", "sshd"),        SVC("sudo", "sudo"),       SVC("cron", "cron"),
        SVC("crond", "cron"),       SVC("anacron", "cron"),    SVC("crontab", "cron"),
        SVC("su", "auth"),          SVC("login", "auth"),      SVC("passwd", "auth"),
        SVC("chpasswd", "auth"),    SVC("chage", "auth"),      SVC("useradd", "auth"),
        SVC("userdel", "auth"),     SVC("usermod", "auth"),    SVC("groupadd", "auth"),
        SVC("groupdel", "auth"),    SVC("groupmod", "auth"),   SVC("gpasswd", "auth"),
        SVC("newgrp", "auth"),      SVC("chsh", "auth"),       SVC("chfn", "auth"),
        SVC("pkexec", "auth"),      SVC("polkitd", "auth"),    SVC("systemd-logind", "auth"),
        SVC("unix_chkpwd", "auth"), SVC("gdm", "auth"),        SVC("gdm-password", "auth"),
        SVC("lightdm", "auth"),     SVC("vsftpd", "vsftpd"),   SVC("clamd", "clamav"),
        SVC("freshclam", "clamav"), SVC("guacd", "guacamole"),
    };
#undef SVC
    const char *p = app.p;
    size_t n = app.n;
    for (size_t k = 0; k < n; k++)
        if (p[k] == '(') {
            n = k;
            break;
        }
    const char *slash = memrchr(p, '/', n);
    if (slash) {
        n -= (size_t)(slash + 1 - p);
        p = slash + 1;
    }
    for (size_t k = 0; k < sizeof map / sizeof *map; k++)
        if (map[k].n == n && yg_str_ieq(p, n, map[k].name, n))
            return map[k].service;
    return "syslog";
}

static bool app_is(struct yg_str app, const char *name)
{
    size_t nn = strlen(name);
    return app.n >= nn && yg_str_ieq(app.p, nn, name, nn) && (app.n == nn || app.p[nn] == '(');
}

static const char *const facilities[24] = {
    "kern",   "user",   "mail",     "daemon", "auth",   "syslog",   "lpr",     "news",
    "uucp",   "cron",   "authpriv", "ftp",    "ntp",    "security", "console", "solaris-cron",
    "local0", "local1", "local2",   "local3", "local4", "local5",   "local6",  "local7",
};
static const char *const severities[8] = {"emerg",   "alert",  "crit", "err",
                                          "warning", "notice", "info", "debug"};

static yg_err str_field(struct yg_buf *out, bool *first, const char *k, size_t kn, struct yg_str v)
{
    return v.n ? yg__json_kv(out, first, k, kn, v.p, v.n) : YG_OK;
}
#define STR_FIELD(k, v) str_field(out, &first, k, sizeof(k) - 1, v)

static yg_err syslog_decode(void *st, const char *line, size_t n, struct yg_buf *out,
                            struct yg_logsrc *ls, struct yg_decode_err *e)
{
    (void)st;
    struct yg_syslog s;
    struct split_err se;
    if (!split(line, n, &s, &se)) {
        e->col = se.col + 1;
        e->msg = se.msg;
        return YG_ESYNTAX;
    }
    yg_err err;
    size_t start = out->n;
    bool first = true;
    char num[8];
    YG_TRY(yg_buf_addc(out, '{'));
    if (s.pri >= 0) {
        int k = snprintf(num, sizeof num, "%d", s.pri);
        YG_TRY(yg__json_kv(out, &first, "pri", 3, num, (size_t)k));
        const char *f = facilities[s.pri >> 3], *v = severities[s.pri & 7];
        YG_TRY(yg__json_kv(out, &first, "facility", 8, f, strlen(f)));
        YG_TRY(yg__json_kv(out, &first, "severity", 8, v, strlen(v)));
    }
    if (s.version) {
        int k = snprintf(num, sizeof num, "%d", s.version);
        YG_TRY(yg__json_kv(out, &first, "version", 7, num, (size_t)k));
    }
    YG_TRY(STR_FIELD("timestamp", s.ts));
    YG_TRY(STR_FIELD("hostname", s.host));
    YG_TRY(STR_FIELD("appname", s.app));
    YG_TRY(STR_FIELD("procid", s.procid));
    YG_TRY(STR_FIELD("msgid", s.msgid));
    YG_TRY(yg__json_kv(out, &first, "message", 7, s.msg.p, s.msg.n));
    if (s.sd.n)
        YG_TRY(sd_fields(out, s.sd));
    if (app_is(s.app, "sudo"))
        YG_TRY(sudo_fields(out, &first, s.msg.p, s.msg.n));
    YG_TRY(yg_buf_addc(out, '}'));
    ls->product = "linux";
    ls->service = linux_service(s.app);
    ls->category = NULL;
done:
    if (err)
        out->n = start;
    return err;
}

static int syslog_sniff(const char *line, size_t n)
{
    struct yg_syslog s;
    struct split_err se;
    if (!split(line, n, &s, &se))
        return 0;
    if (s.version)
        return 60;
    if (s.ts.n && s.app.n)
        return 50;
    return s.ts.n ? 30 : 10;
}

const struct yg_linefmt yg__fmt_syslog = {
    .name = "syslog",
    .desc = "syslog, RFC 3164 or RFC 5424 (Linux auth, sshd, sudo, cron, kernel)",
    .sniff = syslog_sniff,
    .state_new = NULL,
    .state_free = NULL,
    .decode = syslog_decode,
};
