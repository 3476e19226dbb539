/*
 * fmt_sonicwall.c - SonicWall firewall (SonicOS) and SMA / SSL-VPN syslog.
 *
 * Both write space-separated `key=value` pairs that start with `id=` and the
 * serial number `sn=`, behind whatever syslog header the sender or a relay
 * added (`<134>`, `Jan  3 13:45:36 192.168.5.1 `, `Aug 10 00:19:47 SRA4600
 * SSLVPN: `, or none):
 *
 *   id=firewall sn=000SERIAL time="2007-01-03 14:48:07" fw=1.128.3.4 pri=1
 *       c=32 m=30 msg="Administrator login denied due to bad credentials"
 *       n=7 src=216.160.83.57:36701:WAN dst=1.128.3.4:50000:WAN
 *   id=sslvpn sn=0006B119CE3C time="2010-10-18 01:40:26" vp_time="..."
 *       fw=10.6.4.117 pri=4 m=1 src=78.165.130.251 dst=10.6.4.117
 *       user="admin" usr="admin" msg="User login failed" agent="..."
 *
 * Each pair becomes a field named as SonicWall names it (`m`, `msg`, `c`,
 * `usr`, `fw_action`, ...).  A key written twice (SonicOS repeats `msg=` in
 * IPS alerts) keeps its first value.  Addresses are `ip[:port[:interface[:
 * host]]]` (empty ip when the address is IPv6 and given in srcV6/dstV6), so
 * `src` and `dst` are also split into src_ip, src_port, src_interface,
 * src_host (dst_* alike).  The account is `usr` on the firewall and `user`
 * on the SMA; both give `user`, the name the other VPN decoders use, and
 * src_ip is the client's address: the VPN rules and correlations key on
 * those two (docs/sources-vpn.md).
 *
 * `time` is the event time; when it ends in ` UTC` (SonicOS 7) the same time
 * is also written as `timestamp` with a `Z`, which the time parser reads.
 * The header before `id=` is kept whole as `syslog_header`.  Log source:
 * product sonicwall, service sslvpn for `id=sslvpn` (SMA 100 and the older
 * SRA appliances) and firewall for every other id.
 */
#include "decode/fmt_kv.h"

/* The first `id=` at or after i, or NULL: sixteen places at a time with
 * SSE2 (the body starts a few dozen bytes in, after the syslog header). */
static const char *find_id(const char *s, size_t i, size_t n)
{
#if defined(__SSE2__)
    for (; i + 18 <= n; i += 16) {
        __m128i a = _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(s + i)), _mm_set1_epi8('i')),
                b = _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(s + i + 1)),
                                   _mm_set1_epi8('d')),
                c = _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(s + i + 2)),
                                   _mm_set1_epi8('='));
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_and_si128(_mm_and_si128(a, b), c));
        if (m)
            return s + i + __builtin_ctz(m);
    }
#endif
    return i < n ? memmem(s + i, n - i, "id=", 3) : NULL;
}

/* Where `id=` starts the body (a word start followed by a ` sn=` pair), or
 * n. */
static size_t find_body(const char *s, size_t n)
{
    size_t i = 0;
    while (i + 3 < n) {
        const char *p = find_id(s, i, n);
        if (!p)
            return n;
        size_t at = (size_t)(p - s);
        if (at == 0 || s[at - 1] == ' ') {
            size_t j = yg__kv_find(s, at, n, ' ');
            while (j < n && s[j] == ' ')
                j++;
            if (n - j >= 3 && memcmp(s + j, "sn=", 3) == 0)
                return at;
        }
        i = at + 1;
    }
    return n;
}

static int sw_sniff(const char *line, size_t n)
{
    return find_body(line, n) < n ? 92 : 0;
}

/* `ip:port:interface:host` into x_ip, x_port, x_interface, x_host (the
 * keys k0..k3); a value with more than three colons is an IPv6 address
 * alone.  One pass finds the colons (the parts end there).  Inlined into
 * its two calls so that the keys are literals where they are written. */
static inline __attribute__((always_inline)) yg_err
put_addr(struct yg_kvset *set, struct yg_buf *out, bool *first, struct yg_str v, const char *k0,
         const char *k1, const char *k2, const char *k3)
{
    size_t end[4], parts = 0;
    for (size_t k = 0; k <= v.n; k++) {
        if (k < v.n && v.p[k] != ':')
            continue;
        if (parts == 4)
            return v.n ? yg__kv_putz(set, out, first, k0, v.p, v.n) : YG_OK;
        end[parts++] = k;
    }
    yg_err err = YG_OK;
    size_t s = 0;
#define PART(f, key)                                                                               \
    if (parts > f) {                                                                               \
        if (end[f] > s && (err = yg__kv_putz(set, out, first, key, v.p + s, end[f] - s)))          \
            return err;                                                                            \
        s = end[f] + 1;                                                                            \
    }
    PART(0, k0)
    PART(1, k1)
    PART(2, k2)
    PART(3, k3)
#undef PART
    return err;
}

static yg_err sw_decode(void *st, const char *line, size_t n, struct yg_buf *out,
                        struct yg_logsrc *ls, struct yg_decode_err *e)
{
    (void)st;
    yg_err err = YG_OK;
    size_t start = out->n;
    bool first = true;
    if ((n = yg__line_begin(line, n, e)) == YG_LINE_REFUSED)
        return YG_ESYNTAX;
    size_t at = find_body(line, n);
    if (at == n)
        return yg__fmt_fail(e, 0, "expected a SonicWall record: `id=... sn=...` pairs");
    struct yg_kvset set;
    yg__kv_init(&set);
    struct yg_str id = {NULL, 0}, src = {NULL, 0}, dst = {NULL, 0}, usr = {NULL, 0};
    struct yg_str tm = {NULL, 0};
    YG_TRY(yg_buf_addc(out, '{'));
    size_t hn = at;
    const char *h = yg__trim_sp(line, &hn);
    if (hn)
        YG_TRY(yg__kv_putz(&set, out, &first, "syslog_header", h, hn));
    const char *m = line + at;
    size_t mn = n - at, i = 0;
    struct yg_kvpair kv;
    int r;
    while ((r = yg__kv_next(m, mn, &i, &kv, e)) == 1) {
        err = yg__kv_put(&set, out, &first, kv.k.p, kv.k.n, kv.v.p, kv.v.n);
        if (err) {
            yg__kv_limit_at(err, at + kv.k0, e);
            goto done;
        }
        if (!id.p && yg__str_is(kv.k, "id"))
            id = kv.v;
        else if (!src.p && yg__str_is(kv.k, "src"))
            src = kv.v;
        else if (!dst.p && yg__str_is(kv.k, "dst"))
            dst = kv.v;
        else if (!usr.p && yg__str_is(kv.k, "usr"))
            usr = kv.v;
        else if (!tm.p && yg__str_is(kv.k, "time"))
            tm = kv.v;
    }
    if (r < 0) {
        e->col += at + 1;
        err = YG_ESYNTAX;
        goto done;
    }
    if (src.p)
        YG_TRY(put_addr(&set, out, &first, src, "src_ip", "src_port", "src_interface", "src_host"));
    if (dst.p)
        YG_TRY(put_addr(&set, out, &first, dst, "dst_ip", "dst_port", "dst_interface", "dst_host"));
    if (usr.p)
        YG_TRY(yg__kv_putz(&set, out, &first, "user", usr.p, usr.n));
    /* SonicOS 7 writes `time="2022-02-22 18:24:30 UTC"`: the zone as a word
     * no time parser takes, so the event time is also given as timestamp,
     * the same time with `Z`. */
    if (tm.n > 4 && tm.n < 40 && memcmp(tm.p + tm.n - 4, " UTC", 4) == 0) {
        char ts[40];
        memcpy(ts, tm.p, tm.n - 4);
        ts[tm.n - 4] = 'Z';
        YG_TRY(yg__kv_putz(&set, out, &first, "timestamp", ts, tm.n - 3));
    }
    YG_TRY(yg_buf_addc(out, '}'));
    ls->product = "sonicwall";
    ls->service = yg__str_is(id, "sslvpn") ? "sslvpn" : "firewall";
    ls->category = NULL;
done:
    return yg__kv_done(err, out, start, e);
}

const struct yg_linefmt yg__fmt_sonicwall = {
    .name = "sonicwall",
    .desc = "SonicWall firewall and SMA/SSL-VPN key=value syslog (id=... sn=...)",
    .sniff = sw_sniff,
    .state_new = NULL,
    .state_free = NULL,
    .decode = sw_decode,
};
