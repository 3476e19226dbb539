/*
 * fmt_sophos.c - Sophos Firewall (SFOS, formerly XG) syslog.
 *
 * Sophos Firewall writes every log as space-separated `key=value` pairs,
 * text values quoted, usually behind a bare `<PRI>` or a relay's RFC 3164
 * header:
 *
 *   device="SFW" date=2017-03-15 time=17:23:00 timezone="IST"
 *       device_name="CR750iNG-XP" device_id=C44313350024-P29PUA
 *       log_id=063110617710 log_type="Event" log_component="SSL VPN
 *       Authentication" log_subtype="Authentication" status="Successful"
 *       priority=Information user_name="gaurav" ... src_ip=10.198.233.49
 *       message="User gaurav authenticated successfully to login to SSLVPN
 *       through Local authentication mechanism" name="" src_mac=
 *
 * SFOS 19 and later write `timestamp="2021-11-15T20:52:23-0600"` and name the
 * model and serial (`device_model=`, `device_serial_id=`) but keep the same
 * keys otherwise.  A relay's header gives syslog_timestamp and syslog_host,
 * written after the pairs.  Each pair becomes a field named as Sophos names it; a key
 * written twice keeps its first value.  The account is `user_name`; it is
 * also given as `user`, the name the other VPN decoders use (src_ip is
 * already Sophos's own name for the client address), so the VPN rules and
 * correlations key on the same two fields for every appliance.
 *
 * A record is recognised by its log_id=, log_type= and log_component=
 * pairs.  Log source: product sophos, service firewall.
 */
#include "decode/fmt_kv.h"

static int sophos_sniff(const char *line, size_t n)
{
    struct yg_syslog s;
    yg__syslog_split(line, n, &s);
    const char *m = s.msg.p;
    size_t mn = s.msg.n, i = 0;
    struct yg_kvpair kv;
    struct yg_decode_err e;
    int have = 0, r, pairs = 0;
    while (pairs++ < 64 && (r = yg__kv_next(m, mn, &i, &kv, &e)) == 1) {
        if (yg__str_is(kv.k, "log_id"))
            have |= 1;
        else if (yg__str_is(kv.k, "log_type"))
            have |= 2;
        else if (yg__str_is(kv.k, "log_component"))
            have |= 4;
        if (have == 7)
            return 92;
    }
    return 0;
}

static yg_err sophos_decode(void *st, const char *line, size_t n, struct yg_buf *out,
                            struct yg_logsrc *ls, struct yg_decode_err *e)
{
    (void)st;
    yg_err err = YG_OK;
    size_t start = out->n;
    bool first = true;
    if ((n = yg__line_begin(line, n, e)) == YG_LINE_REFUSED)
        return YG_ESYNTAX;
    struct yg_syslog s;
    yg__syslog_split(line, n, &s);
    const char *m = s.msg.p;
    size_t mn = s.msg.n, base = (size_t)(m - line), i = 0;
    struct yg_kvset set;
    yg__kv_init(&set);
    struct yg_str user = {NULL, 0};
    bool log_id = false;
    struct yg_kvpair kv;
    int r;
    YG_TRY(yg_buf_addc(out, '{'));
    while ((r = yg__kv_next(m, mn, &i, &kv, e)) == 1) {
        err = yg__kv_put(&set, out, &first, kv.k.p, kv.k.n, kv.v.p, kv.v.n);
        if (err) {
            yg__kv_limit_at(err, base + kv.k0, e);
            goto done;
        }
        log_id |= yg__str_is(kv.k, "log_id");
        if (!user.p && yg__str_is(kv.k, "user_name"))
            user = kv.v;
    }
    if (r < 0) {
        e->col += base + 1;
        err = YG_ESYNTAX;
        goto done;
    }
    if (!log_id) {
        e->col = base + 1;
        e->msg = "no log_id= pair: not a Sophos Firewall record";
        err = YG_ESYNTAX;
        goto done;
    }
    if (user.p && user.n)
        YG_TRY(yg__kv_putz(&set, out, &first, "user", user.p, user.n));
    /* The relay's header after the record's own pairs: the event time is the
     * first time field that parses, and SFOS 19's `timestamp` has the year and
     * zone that a BSD header lacks. */
    if (s.ts.n)
        YG_TRY(yg__kv_putz(&set, out, &first, "syslog_timestamp", s.ts.p, s.ts.n));
    if (s.host.n)
        YG_TRY(yg__kv_putz(&set, out, &first, "syslog_host", s.host.p, s.host.n));
    YG_TRY(yg_buf_addc(out, '}'));
    ls->product = "sophos";
    ls->service = "firewall";
    ls->category = NULL;
done:
    return yg__kv_done(err, out, start, e);
}

const struct yg_linefmt yg__fmt_sophos = {
    .name = "sophos",
    .desc = "Sophos Firewall (SFOS/XG) key=value syslog (log_id=, log_type=, log_component=)",
    .sniff = sophos_sniff,
    .state_new = NULL,
    .state_free = NULL,
    .decode = sophos_decode,
};
