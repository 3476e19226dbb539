/*
 * fmt_pulse.c - Pulse Secure / Ivanti Connect Secure syslog.
 *
 * The appliance sends its event, user access and admin access logs in one
 * of two bodies, behind an RFC 5424 header (`<174>1 TS HOST PulseSecure:
 * - - - BODY`) or an RFC 3164 header that a relay put in front of that
 * header without its PRI (`Oct 19 10:20:40 relay 1 TS HOST PulseSecure: -
 * - - BODY`):
 *
 *   native:  2022-01-19 10:19:35 - pcs-name - [198.51.100.7] alice(Users)[Staff] - Login failed
 *   WELF:    id=firewall time="2022-01-19 10:19:35" pri=6 fw=192.0.2.1 vpn=ive user=alice
 *            realm="Users" roles="Staff" proto= src=198.51.100.7 dst= dstname= type=vpn
 *            op= arg="" result= sent= rcvd= agent="" duration= msg="AUT24414: Login failed"
 *
 * Both give the same fields, named as the WELF keys name them: `user`,
 * `realm`, `roles`, `src` (the client address), `vpn` (the node name),
 * `time`, plus `message` (the text) and, when the text starts with a
 * message code (`AUT24414: ...`), `msg_id`.  A WELF record keeps every
 * key as written (so `msg` holds the text with its code).  In the native
 * body, Connect Secure 22.x writes the user as `IVS::user` (the virtual
 * system or network, `Root::`, `Default Network::`), which becomes `ivs`,
 * and may add a session tag after the roles (`[REALM_ROLES][30f317948f]`),
 * which becomes `session`.
 *
 * The body is found first (a WELF `id=firewall` or a native `YYYY-MM-DD
 * hh:mm:ss - ` at a word start) and only what precedes it is read as the
 * syslog header, so a header can never swallow the record.
 *
 * SigmaHQ has no rules for the appliance's own logs (its Pulse and Ivanti
 * rules are web-server rules over access logs), so the log source is named
 * here: product ivanti, service connect_secure.
 */
#include <stdio.h>

#include "decode/format.h"

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

/* `YYYY-MM-DD hh:mm:ss - ` at s[i..]. */
static bool native_at(const char *s, size_t n, size_t i)
{
    static const char shape[] = "dddd-dd-dd dd:dd:dd - ";
    if (n - i < sizeof shape - 1)
        return false;
    for (size_t k = 0; k < sizeof shape - 1; k++) {
        unsigned char c = (unsigned char)s[i + k];
        if (shape[k] == 'd' ? !is_digit(c) : c != (unsigned char)shape[k])
            return false;
    }
    return true;
}

enum body { BODY_NONE, BODY_NATIVE, BODY_WELF };

/* Where the record body starts (word starts only), and its kind. */
static enum body find_body(const char *s, size_t n, size_t *at)
{
    for (size_t i = 0; i < n; i++) {
        if (i && s[i - 1] != ' ')
            continue;
        if (s[i] == 'i' && n - i >= 12 && memcmp(s + i, "id=firewall ", 12) == 0) {
            *at = i;
            return BODY_WELF;
        }
        if (is_digit((unsigned char)s[i]) && native_at(s, n, i)) {
            *at = i;
            return BODY_NATIVE;
        }
    }
    *at = n;
    return BODY_NONE;
}

static int pulse_sniff(const char *line, size_t n)
{
    size_t at;
    enum body b = find_body(line, n, &at);
    if (b == BODY_NONE)
        return 0;
    bool tagged = memmem(line, at, "PulseSecure", 11) != NULL;
    if (b == BODY_WELF)
        return tagged || memmem(line + at, n - at, " vpn=", 5) ? 90 : 60;
    /* A bare native body (`date - node - [ip] user(realm)[roles] - `) is
     * distinctive enough only with its bracketed address. */
    return tagged ? 90 : (memmem(line + at, n - at, " - [", 4) ? 60 : 0);
}

/*
 * RFC 5424 header fields without <PRI> (`1 TS HOST APP PROCID MSGID SD`),
 * as a relay leaves them after its own RFC 3164 header.  Returns false if
 * s does not start that way.
 */
static bool inner_5424(const char *s, size_t n, struct yg_str f[5])
{
    size_t i = 0;
    while (i < n && i < 3 && is_digit((unsigned char)s[i]))
        i++;
    if (!i || i >= n || s[i] != ' ' || s[0] == '0')
        return false;
    i++;
    for (int k = 0; k < 5; k++) {
        size_t j = i;
        while (j < n && s[j] != ' ')
            j++;
        if (j == i)
            return false;
        f[k] = (struct yg_str){s + i, (j - i == 1 && s[i] == '-') ? 0 : j - i};
        i = j < n ? j + 1 : j;
    }
    /* The timestamp is ISO 8601: starts YYYY-MM-DD. */
    return f[0].n >= 10 && is_digit((unsigned char)f[0].p[0]) && f[0].p[4] == '-';
}

static yg_err put_app(struct yg_buf *out, bool *first, struct yg_str app)
{
    /* `PulseSecure:` in the RFC 5424 app-name: the colon is decoration. */
    if (app.n && app.p[app.n - 1] == ':')
        app.n--;
    return app.n ? yg__json_kvz(out, first, "syslog_app", app.p, app.n) : YG_OK;
}

static yg_err put_header(struct yg_buf *out, bool *first, const char *h, size_t hn)
{
    yg_err err = YG_OK;
    char num[8];
    h = yg__trim_sp(h, &hn);
    if (!hn)
        return YG_OK;
    struct yg_syslog sl;
    if (!yg__syslog_split(h, hn, &sl))
        return yg__json_kvz(out, first, "syslog_header", h, hn);
    if (sl.pri >= 0) {
        int k = snprintf(num, sizeof num, "%d", sl.pri);
        YG_TRY(yg__json_kvz(out, first, "syslog_pri", num, (size_t)k));
    }
    struct yg_str in[5];
    if (sl.version == 0 && inner_5424(sl.msg.p, sl.msg.n, in)) {
        /* The relay's header, then the appliance's own. */
        if (sl.ts.n)
            YG_TRY(yg__json_kvz(out, first, "relay_timestamp", sl.ts.p, sl.ts.n));
        if (sl.host.n)
            YG_TRY(yg__json_kvz(out, first, "relay_host", sl.host.p, sl.host.n));
        sl.ts = in[0];
        sl.host = in[1];
        sl.app = in[2];
        sl.procid = in[3];
        sl.msgid = in[4];
    }
    if (sl.ts.n)
        YG_TRY(yg__json_kvz(out, first, "syslog_timestamp", sl.ts.p, sl.ts.n));
    if (sl.host.n)
        YG_TRY(yg__json_kvz(out, first, "syslog_host", sl.host.p, sl.host.n));
    YG_TRY(put_app(out, first, sl.app));
    if (sl.procid.n)
        YG_TRY(yg__json_kvz(out, first, "syslog_procid", sl.procid.p, sl.procid.n));
    if (sl.msgid.n)
        YG_TRY(yg__json_kvz(out, first, "syslog_msgid", sl.msgid.p, sl.msgid.n));
done:
    return err;
}

/* A message code at the start of a text: three capitals, five digits and
 * `:` (`AUT24414:`).  Returns the code length or 0. */
static size_t msg_code_len(const char *s, size_t n)
{
    if (n < 9)
        return 0;
    for (size_t k = 0; k < 3; k++)
        if (s[k] < 'A' || s[k] > 'Z')
            return 0;
    for (size_t k = 3; k < 8; k++)
        if (!is_digit((unsigned char)s[k]))
            return 0;
    return s[8] == ':' ? 8 : 0;
}

/* `message` and `msg_id` from a message text. */
static yg_err put_message(struct yg_buf *out, bool *first, const char *m, size_t mn)
{
    yg_err err = YG_OK;
    size_t cl = msg_code_len(m, mn);
    if (cl) {
        YG_TRY(yg__json_kvz(out, first, "msg_id", m, cl));
        m += cl + 1;
        mn -= cl + 1;
        m = yg__trim_sp(m, &mn);
    }
    YG_TRY(yg__json_kvz(out, first, "message", m, mn));
done:
    return err;
}

/* s[0..n) after `lit`, up to `end` (or the end of s when end is NULL). */
static bool after(const char *s, size_t n, const char *lit, const char *end, struct yg_str *v)
{
    size_t ll = strlen(lit);
    const char *p = memmem(s, n, lit, ll);
    if (!p)
        return false;
    p += ll;
    size_t rest = n - (size_t)(p - s);
    const char *q = end ? memmem(p, rest, end, strlen(end)) : p + rest;
    if (!q)
        return false;
    *v = (struct yg_str){p, (size_t)(q - p)};
    return true;
}

/*
 * Values the common messages carry (the same ones Elastic's pipeline
 * extracts): the session id, the failure reason, the client's user agent,
 * and the tunnel address and host name of a VPN Tunneling session.
 */
static yg_err put_message_fields(struct yg_buf *out, bool *first, const char *m, size_t mn)
{
    yg_err err = YG_OK;
    struct yg_str v;
    if (after(m, mn, "(session:", ")", &v)) {
        const char *p = yg__trim_sp(v.p, &v.n);
        YG_TRY(yg__json_kvz(out, first, "session_id", p, v.n));
    }
    if (after(m, mn, "Reason: ", NULL, &v))
        YG_TRY(yg__json_kvz(out, first, "reason", v.p, v.n));
    if (after(m, mn, "from user agent '", "'", &v))
        YG_TRY(yg__json_kvz(out, first, "user_agent", v.p, v.n));
    else if (mn > 12 && memcmp(m, "Agent login ", 12) == 0 && after(m, mn, ") from ", NULL, &v)) {
        struct yg_str ua;
        if (after(v.p, v.n, " with ", NULL, &ua)) {
            if (ua.n && ua.p[ua.n - 1] == '.')
                ua.n--;
            YG_TRY(yg__json_kvz(out, first, "user_agent", ua.p, ua.n));
        }
    }
    if (mn > 15 && memcmp(m, "VPN Tunneling: ", 15) == 0) {
        if (after(m, mn, " address ", NULL, &v)) {
            size_t k = 0;
            while (k < v.n && v.p[k] != ',' && v.p[k] != ' ')
                k++;
            YG_TRY(yg__json_kvz(out, first, "tunnel_ip", v.p, k));
        }
        if (after(m, mn, ", hostname ", NULL, &v)) {
            const char *p = yg__trim_sp(v.p, &v.n);
            YG_TRY(yg__json_kvz(out, first, "client_hostname", p, v.n));
        }
    }
done:
    return err;
}

/*
 * Native body: `TIME - NODE - [SRC] [IVS::]USER(REALM)[ROLES][SESSION] - MESSAGE`.
 * b is the body, at its offset off in the line (for error columns).
 */
static yg_err decode_native(const char *b, size_t n, size_t off, struct yg_buf *out, bool *first,
                            struct yg_decode_err *e)
{
    yg_err err = YG_OK;
    size_t i = 19; /* native_at() checked the time and ` - ` */
    const char *time = b;
    i += 3;
    const char *sep = memmem(b + i, n - i, " - ", 3);
    if (!sep)
        return yg__fmt_fail(e, off + i, "expected ` - ` after the node name");
    const char *node = b + i;
    size_t node_n = (size_t)(sep - node);
    i = (size_t)(sep - b) + 3;
    if (i >= n || b[i] != '[')
        return yg__fmt_fail(e, off + i, "expected `[` and the client address");
    const char *cb = memchr(b + i, ']', n - i);
    if (!cb)
        return yg__fmt_fail(e, off + i, "expected `]` after the client address");
    const char *src = b + i + 1;
    size_t src_n = (size_t)(cb - src);
    i = (size_t)(cb - b) + 1;
    if (i >= n || b[i] != ' ')
        return yg__fmt_fail(e, off + i, "expected a space after the client address");
    i++;
    /* USER(REALM)[ROLES]: the realm closes at the first `)[`, and opens at
     * the last `(` before it (a realm has no parentheses, a Windows user
     * name may). */
    const char *rc = memmem(b + i, n - i, ")[", 2);
    if (!rc)
        return yg__fmt_fail(e, off + i, "expected user(realm)[roles]");
    const char *ro = NULL;
    for (const char *p = rc; p > b + i; p--)
        if (p[-1] == '(') {
            ro = p - 1;
            break;
        }
    if (!ro)
        return yg__fmt_fail(e, off + i, "expected `(` before the realm");
    const char *user = b + i;
    size_t user_n = (size_t)(ro - user);
    const char *realm = ro + 1;
    size_t realm_n = (size_t)(rc - realm);
    i = (size_t)(rc - b) + 2;
    const char *re = memchr(b + i, ']', n - i);
    if (!re)
        return yg__fmt_fail(e, off + i, "expected `]` after the roles");
    const char *roles = b + i;
    size_t roles_n = (size_t)(re - roles);
    i = (size_t)(re - b) + 1;
    const char *sess = NULL;
    size_t sess_n = 0;
    if (i < n && b[i] == '[') {
        const char *se = memchr(b + i, ']', n - i);
        if (!se)
            return yg__fmt_fail(e, off + i, "expected `]` after the session tag");
        sess = b + i + 1;
        sess_n = (size_t)(se - sess);
        i = (size_t)(se - b) + 1;
    }
    if (n - i < 3 || memcmp(b + i, " - ", 3) != 0)
        return yg__fmt_fail(e, off + i, "expected ` - ` before the message");
    i += 3;
    const char *msg = b + i;
    size_t msg_n = n - i;
    while (msg_n && msg[msg_n - 1] == ' ')
        msg_n--;

    const char *ivs = NULL;
    size_t ivs_n = 0;
    const char *dc = memmem(user, user_n, "::", 2);
    if (dc) {
        ivs = user;
        ivs_n = (size_t)(dc - user);
        user_n -= ivs_n + 2;
        user = dc + 2;
    }
    YG_TRY(yg__json_kvz(out, first, "time", time, 19));
    YG_TRY(yg__json_kvz(out, first, "vpn", node, node_n));
    YG_TRY(yg__json_kvz(out, first, "src", src, src_n));
    if (ivs)
        YG_TRY(yg__json_kvz(out, first, "ivs", ivs, ivs_n));
    YG_TRY(yg__json_kvz(out, first, "user", user, user_n));
    YG_TRY(yg__json_kvz(out, first, "realm", realm, realm_n));
    YG_TRY(yg__json_kvz(out, first, "roles", roles, roles_n));
    if (sess_n)
        YG_TRY(yg__json_kvz(out, first, "session", sess, sess_n));
    YG_TRY(put_message(out, first, msg, msg_n));
    YG_TRY(put_message_fields(out, first, msg, msg_n));
done:
    return err;
}

/* WELF body: `key=value` pairs, a value quoted when it may hold spaces. */
static yg_err decode_welf(const char *b, size_t n, size_t off, struct yg_buf *out, bool *first,
                          struct yg_decode_err *e)
{
    yg_err err = YG_OK;
    size_t i = 0, pairs = 0;
    const char *msg = NULL;
    size_t msg_n = 0;
    for (;;) {
        while (i < n && b[i] == ' ')
            i++;
        if (i >= n)
            break;
        size_t k0 = i;
        while (i < n && (b[i] == '_' || is_digit((unsigned char)b[i]) ||
                         ((b[i] | 0x20) >= 'a' && (b[i] | 0x20) <= 'z')))
            i++;
        if (i == k0 || i >= n || b[i] != '=')
            return yg__fmt_fail(e, off + i, "expected key=value");
        size_t kn = i - k0;
        i++;
        const char *v;
        size_t vn;
        if (i < n && b[i] == '"') {
            const char *q = memchr(b + i + 1, '"', n - i - 1);
            if (!q)
                return yg__fmt_fail(e, off + i, "unterminated quoted value");
            v = b + i + 1;
            vn = (size_t)(q - v);
            i = (size_t)(q - b) + 1;
            if (i < n && b[i] != ' ')
                return yg__fmt_fail(e, off + i, "expected a space after a quoted value");
        } else {
            v = b + i;
            while (i < n && b[i] != ' ')
                i++;
            vn = (size_t)(b + i - v);
        }
        if (++pairs > YG_MAX_EVENT_FIELDS) {
            e->col = off + k0 + 1;
            e->msg = "more key=value pairs than YG_MAX_EVENT_FIELDS";
            return YG_ELIMIT;
        }
        YG_TRY(yg__json_kv(out, first, b + k0, kn, v, vn));
        if (kn == 3 && memcmp(b + k0, "msg", 3) == 0) {
            msg = v;
            msg_n = vn;
        }
    }
    if (msg) {
        YG_TRY(put_message(out, first, msg, msg_n));
        YG_TRY(put_message_fields(out, first, msg, msg_n));
    }
done:
    return err;
}

static yg_err pulse_decode(void *st, const char *line, size_t n, struct yg_buf *out,
                           struct yg_logsrc *ls, struct yg_decode_err *e)
{
    (void)st;
    yg_err err = YG_OK;
    size_t start = out->n;
    bool first = true;
    if ((n = yg__line_begin(line, n, e)) == YG_LINE_REFUSED)
        return YG_ESYNTAX;
    size_t at;
    enum body kind = find_body(line, n, &at);
    if (kind == BODY_NONE)
        return yg__fmt_fail(
            e, 0,
            "expected a Pulse Secure record: `id=firewall ...` or `YYYY-MM-DD hh:mm:ss - "
            "node - [address] user(realm)[roles] - message`");
    YG_TRY(yg_buf_addc(out, '{'));
    YG_TRY(put_header(out, &first, line, at));
    if (kind == BODY_WELF)
        err = decode_welf(line + at, n - at, at, out, &first, e);
    else
        err = decode_native(line + at, n - at, at, out, &first, e);
    if (err)
        goto done;
    YG_TRY(yg_buf_addc(out, '}'));
    ls->product = "ivanti";
    ls->service = "connect_secure";
    ls->category = NULL;
done:
    return yg__fmt_done(err, out, start, e);
}

const struct yg_linefmt yg__fmt_pulse = {
    .name = "pulse",
    .desc = "Pulse Secure / Ivanti Connect Secure syslog (native and WELF bodies)",
    .sniff = pulse_sniff,
    .state_new = NULL,
    .state_free = NULL,
    .decode = pulse_decode,
};
