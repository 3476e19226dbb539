/*
 * intel_store.c - the indicator store: normalisation, records, lookup tables.
 *
 * See intel.h for the layout.  Values are normalised the same way when they
 * are loaded and when an event's field is looked up, so one hash probe
 * decides: hosts and e-mail addresses lowercase, hashes lowercase hex, URLs
 * with scheme and host lowercase and the scheme's default port removed, and
 * addresses binary.  Loaded values are also "refanged" (hxxp, [.], (.)),
 * since published lists are written so that nobody clicks them.
 *
 * Validity: an indicator whose valid_until is before the time judged stops
 * matching.  valid_from is kept and reported but not enforced: indicators
 * are published after the activity they describe, and a responder replaying
 * older logs wants them to fire.
 */
#include <arpa/inet.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core/addr.h"
#include "core/jsonlex.h"
#include "core/timeparse.h"
#include "core/uuid.h"
#include "intel/intel.h"
#include "yagura/yagura.h"

static const char *const type_names[YG_IOC_NTYPES] = {"ip",   "domain", "url",
                                                      "hash", "email",  "user_agent"};
static const char *const hash_kinds[] = {"", "md5", "sha1", "sha256", "sha512"};

const char *yg_ioc_type_name(yg_ioc_type t)
{
    return (unsigned)t < YG_IOC_NTYPES ? type_names[t] : "?";
}

int yg__ifield_kind(const char *s)
{
    static const char *const k[YG_IF_NKINDS] = {"ip",     "domain", "url",        "hash",
                                                "hashes", "email",  "user_agent", "host_or_ip"};
    for (int i = 0; i < YG_IF_NKINDS; i++)
        if (!strcmp(s, k[i]))
            return i;
    return -1;
}

/* ---- small helpers ---------------------------------------------------- */

static bool is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static void trim(const char **v, size_t *n)
{
    while (*n && is_space((unsigned char)**v)) {
        (*v)++;
        (*n)--;
    }
    while (*n && is_space((unsigned char)(*v)[*n - 1]))
        (*n)--;
}

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = yg_lc(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

const char *yg__tlp_canon(const char *s, size_t n)
{
    if (n >= 4 && yg_str_ieq(s, 4, "tlp:", 4)) {
        s += 4;
        n -= 4;
    } else if (n >= 4 && yg_str_ieq(s, 4, "tlp-", 4)) {
        s += 4;
        n -= 4;
    }
    while (n && *s == ' ') {
        s++;
        n--;
    }
    if (yg_str_ieq(s, n, "clear", 5) || yg_str_ieq(s, n, "white", 5))
        return "TLP:CLEAR";
    if (yg_str_ieq(s, n, "green", 5))
        return "TLP:GREEN";
    if (yg_str_ieq(s, n, "amber", 5))
        return "TLP:AMBER";
    if (yg_str_ieq(s, n, "amber+strict", 12) || yg_str_ieq(s, n, "amber strict", 12))
        return "TLP:AMBER+STRICT";
    if (yg_str_ieq(s, n, "red", 3))
        return "TLP:RED";
    return NULL;
}

bool yg__intel_time(const char *s, size_t n, int64_t *ms)
{
    trim(&s, &n);
    if (!n)
        return false;
    bool digits = n <= 12;
    for (size_t i = 0; i < n && digits; i++)
        digits = s[i] >= '0' && s[i] <= '9';
    if (digits) { /* MISP: epoch seconds */
        *ms = strtoll(s, NULL, 10) * 1000;
        return true;
    }
    if (n == 10 && s[4] == '-' && s[7] == '-') { /* a date alone */
        char t[32];
        memcpy(t, s, 10);
        memcpy(t + 10, "T00:00:00Z", 10);
        return yg__time_parse(t, 20, ms);
    }
    return yg__time_parse(s, n, ms);
}

void yg__intel_linecol(const char *buf, size_t off, unsigned *line, unsigned *col)
{
    yg__jlex_linecol(buf, off, line, col);
}

/* ---- normalisation ----------------------------------------------------- */

/* An address, optionally with /prefix (cidr) or :port / [v6]:port (port).
 * fam 4 or 6; plen the prefix length (32/128 for a single address). */
static bool ip_parse(const char *v, size_t n, bool cidr, bool port, uint8_t a[16], int *fam,
                     int *plen)
{
    trim(&v, &n);
    if (!n)
        return false;
    int pl = -1;
    const char *sl = cidr ? memchr(v, '/', n) : NULL;
    if (sl) {
        size_t pn = n - (size_t)(sl - v) - 1;
        if (!pn || pn > 3)
            return false;
        pl = 0;
        for (size_t i = 0; i < pn; i++) {
            if (sl[1 + i] < '0' || sl[1 + i] > '9')
                return false;
            pl = pl * 10 + (sl[1 + i] - '0');
        }
        n = (size_t)(sl - v);
    }
    /* The one address parser (core/addr.h); [v6] always, a port only
     * where asked (values of events), a zone dropped. */
    struct yg_addr ad;
    if (!yg__addr_parse(v, n, YG_ADDR_BRACKET | YG_ADDR_ZONE | (port ? YG_ADDR_PORT : 0), &ad))
        return false;
    /* An IPv4-mapped address is its IPv4 address, and a mapped prefix of
     * /96 or longer the IPv4 prefix, so both forms find the same entry. */
    if ((pl < 0 || pl >= 96) && yg__addr_unmap(&ad) && pl >= 0)
        pl -= 96; /* ::ffff:10.0.0.0/104 is 10.0.0.0/8 */
    memcpy(a, ad.b, 16);
    *fam = ad.fam;
    int maxl = *fam == 4 ? 32 : 128;
    if (pl > maxl)
        return false;
    *plen = pl < 0 ? maxl : pl;
    return true;
}

static size_t ip_key(const uint8_t a[16], int fam, int plen, char *buf)
{
    size_t bytes = fam == 4 ? 4 : 16;
    buf[0] = (char)fam;
    buf[1] = (char)plen;
    for (size_t i = 0; i < bytes; i++) {
        int bits = plen - (int)(i * 8);
        uint8_t m = bits >= 8 ? 0xff : bits <= 0 ? 0 : (uint8_t)(0xff << (8 - bits));
        buf[2 + i] = (char)(a[i] & m);
    }
    return 2 + bytes;
}

/* Lowercase host; false if it holds characters no host name has. */
static size_t host_norm(const char *v, size_t n, char *buf, size_t cap)
{
    trim(&v, &n);
    while (n && v[n - 1] == '.')
        n--;
    if (!n || n > 253 || n > cap)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        if (c <= ' ' || c == '/' || c == '\\' || c == '@' || c == ':' || c == '?' || c == '#' ||
            c == '"' || c == '<' || c == '>' || c == ',' || c == ';' || c == '[' || c == ']')
            return 0;
        buf[i] = (char)yg_lc(c);
    }
    return n;
}

static size_t url_norm(const char *v, size_t n, char *buf, size_t cap)
{
    trim(&v, &n);
    if (!n)
        return 0;
    const char *scheme = NULL;
    size_t sn = 0;
    for (size_t i = 0; i < n && i < 24; i++) {
        char c = v[i];
        if (c == ':' && i > 0 && i + 2 < n && v[i + 1] == '/' && v[i + 2] == '/') {
            scheme = v;
            sn = i;
            v += i + 3;
            n -= i + 3;
            break;
        }
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '+' || c == '-' || c == '.'))
            break;
    }
    /* Authority up to the path. */
    size_t an = 0;
    while (an < n && v[an] != '/' && v[an] != '?' && v[an] != '#')
        an++;
    const char *auth = v;
    const char *at = NULL;
    for (size_t i = 0; i < an; i++)
        if (auth[i] == '@')
            at = auth + i;
    size_t k = 0;
    if (at) {
        size_t un = (size_t)(at - auth) + 1;
        if (un > cap)
            return 0;
        memcpy(buf, auth, un);
        k = un;
        an -= un;
        auth += un;
    }
    /* host[:port] */
    size_t hn = an;
    const char *colon = NULL;
    if (hn && auth[0] == '[') {
        const char *rb = memchr(auth, ']', hn);
        if (rb && (size_t)(rb - auth) + 1 < hn && rb[1] == ':')
            colon = rb + 1;
    } else {
        colon = memchr(auth, ':', hn);
    }
    if (colon)
        hn = (size_t)(colon - auth);
    while (hn && auth[hn - 1] == '.')
        hn--;
    if (k + hn > cap)
        return 0;
    for (size_t i = 0; i < hn; i++)
        buf[k++] = (char)yg_lc((unsigned char)auth[i]);
    if (colon) {
        const char *ps = colon + 1;
        size_t pn = an - (size_t)(ps - auth);
        bool dflt =
            pn == 0 ||
            (scheme && ((yg_str_ieq(scheme, sn, "http", 4) && pn == 2 && !memcmp(ps, "80", 2)) ||
                        (yg_str_ieq(scheme, sn, "https", 5) && pn == 3 && !memcmp(ps, "443", 3)) ||
                        (yg_str_ieq(scheme, sn, "ftp", 3) && pn == 2 && !memcmp(ps, "21", 2)))) ||
            (!scheme && ((pn == 2 && !memcmp(ps, "80", 2)) || (pn == 3 && !memcmp(ps, "443", 3))));
        if (!dflt) {
            if (k + 1 + pn > cap)
                return 0;
            buf[k++] = ':';
            memcpy(buf + k, ps, pn);
            k += pn;
        }
    }
    const char *rest = v + an;
    size_t rn = n - an;
    const char *hash = memchr(rest, '#', rn);
    if (hash)
        rn = (size_t)(hash - rest);
    if (!rn) {
        if (k + 1 > cap)
            return 0;
        buf[k++] = '/';
    } else {
        if (k + rn + (rest[0] == '?') > cap)
            return 0;
        if (rest[0] == '?')
            buf[k++] = '/';
        memcpy(buf + k, rest, rn);
        k += rn;
    }
    for (size_t i = 0; i < k; i++)
        if ((unsigned char)buf[i] <= ' ')
            return 0;
    return k;
}

static size_t hash_norm(const char *v, size_t n, char *buf, size_t cap, uint8_t *sub)
{
    trim(&v, &n);
    if (n > cap)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (hexval((unsigned char)v[i]) < 0)
            return 0;
        buf[i] = (char)yg_lc((unsigned char)v[i]);
    }
    switch (n) {
    case 32: *sub = 1; break;
    case 40: *sub = 2; break;
    case 64: *sub = 3; break;
    case 128: *sub = 4; break;
    default: return 0;
    }
    return n;
}

static size_t email_norm(const char *v, size_t n, char *buf, size_t cap)
{
    trim(&v, &n);
    const char *lt = memchr(v, '<', n);
    if (lt) {
        const char *gt = memchr(lt, '>', n - (size_t)(lt - v));
        if (!gt)
            return 0;
        v = lt + 1;
        n = (size_t)(gt - v);
        trim(&v, &n);
    }
    if (n > 7 && yg_str_ieq(v, 7, "mailto:", 7)) {
        v += 7;
        n -= 7;
    }
    const char *at = memchr(v, '@', n);
    if (!at || at == v || at == v + n - 1 || n > cap)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        if (c <= ' ' || c == '<' || c == '>' || c == ',' || c == ';' || c == '"')
            return 0;
        buf[i] = (char)yg_lc(c);
    }
    return n;
}

size_t yg__ioc_key(yg_ioc_type t, const char *v, size_t n, char *buf, size_t cap, uint8_t *sub)
{
    *sub = 0;
    switch (t) {
    case YG_IOC_IP: {
        uint8_t a[16];
        int fam, plen;
        if (cap < 18 || !ip_parse(v, n, true, false, a, &fam, &plen))
            return 0;
        *sub = (uint8_t)fam;
        return ip_key(a, fam, plen, buf);
    }
    case YG_IOC_DOMAIN: return host_norm(v, n, buf, cap);
    case YG_IOC_URL: return url_norm(v, n, buf, cap);
    case YG_IOC_HASH: return hash_norm(v, n, buf, cap, sub);
    case YG_IOC_EMAIL: return email_norm(v, n, buf, cap);
    case YG_IOC_USER_AGENT:
        trim(&v, &n);
        if (!n || n > cap)
            return 0;
        memcpy(buf, v, n);
        return n;
    default: return 0;
    }
}

/* Undo the usual defanging of published indicators. */
static size_t refang(const char *v, size_t n, char *out, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        if (k + 4 > cap)
            return 0;
        if (i + 3 <= n && (v[i] == '[' || v[i] == '(' || v[i] == '{') && v[i + 1] == '.' &&
            (v[i + 2] == ']' || v[i + 2] == ')' || v[i + 2] == '}')) {
            out[k++] = '.';
            i += 3;
        } else if (i + 5 <= n && (v[i] == '[' || v[i] == '(') &&
                   yg_str_ieq(v + i + 1, 3, "dot", 3) && (v[i + 4] == ']' || v[i + 4] == ')')) {
            out[k++] = '.';
            i += 5;
        } else if (i + 3 <= n && v[i] == '[' && (v[i + 1] == ':' || v[i + 1] == '@') &&
                   v[i + 2] == ']') {
            out[k++] = v[i + 1];
            i += 3;
        } else if (i + 5 <= n && !memcmp(v + i, "[://]", 5)) {
            memcpy(out + k, "://", 3);
            k += 3;
            i += 5;
        } else if (i == 0 && n >= 4 && yg_str_ieq(v, 4, "hxxp", 4)) {
            memcpy(out, "http", 4);
            k = 4;
            i = 4;
        } else if (i == 0 && n >= 4 && yg_str_ieq(v, 4, "fxp:", 4)) {
            memcpy(out, "ftp:", 4);
            k = 4;
            i = 4;
        } else {
            out[k++] = v[i++];
        }
    }
    return k;
}

bool yg__ioc_guess(const char *v, size_t n, yg_ioc_type *t)
{
    char tmp[YG_INTEL_MAX_VALUE_BYTES], key[YG_INTEL_MAX_VALUE_BYTES];
    trim(&v, &n);
    if (!n || n > sizeof tmp)
        return false;
    size_t rn = refang(v, n, tmp, sizeof tmp);
    uint8_t sub;
    if (!rn)
        return false;
    if (yg__ioc_key(YG_IOC_HASH, tmp, rn, key, sizeof key, &sub)) {
        *t = YG_IOC_HASH;
        return true;
    }
    if (yg__ioc_key(YG_IOC_IP, tmp, rn, key, sizeof key, &sub)) {
        *t = YG_IOC_IP;
        return true;
    }
    if (memmem(tmp, rn, "://", 3)) {
        *t = YG_IOC_URL;
        return true;
    }
    if (memchr(tmp, '@', rn) && yg__ioc_key(YG_IOC_EMAIL, tmp, rn, key, sizeof key, &sub)) {
        *t = YG_IOC_EMAIL;
        return true;
    }
    if (memchr(tmp, '.', rn) && yg__ioc_key(YG_IOC_DOMAIN, tmp, rn, key, sizeof key, &sub)) {
        *t = YG_IOC_DOMAIN;
        return true;
    }
    return false;
}

/* ---- the store --------------------------------------------------------- */

yg_err yg_intel_create(yg_intel **out)
{
    struct yg_intel *in = yg_calloc(1, sizeof *in);
    if (!in)
        return YG_ENOMEM;
    atomic_init(&in->refs, 1);
    yg_arena_init(&in->marena, 1u << 16, 0);
    in->default_tlp = "TLP:AMBER";
    in->strcap = 1u << 16;
    in->str = yg_malloc(in->strcap);
    if (!in->str) {
        yg_free(in);
        return YG_ENOMEM;
    }
    in->str[0] = 0;
    in->strn = 1; /* offset 0 means "none" */
    for (int t = 0; t < YG_IOC_NTYPES; t++)
        in->minlen[t] = UINT16_MAX;
    *out = in;
    return YG_OK;
}

void yg_intel_set_diag(yg_intel *in, yg_intel_diag_cb cb, void *ud)
{
    in->diag = cb;
    in->diag_ud = ud;
}

yg_err yg_intel_set_default_tlp(yg_intel *in, const char *tlp)
{
    const char *c = tlp ? yg__tlp_canon(tlp, strlen(tlp)) : NULL;
    if (!c)
        return YG_EINVAL;
    in->default_tlp = c;
    return YG_OK;
}

yg_err yg_intel_set_level_map(yg_intel *in, const char *spec)
{
    unsigned n = 0;
    int mins[8], lvls[8];
    if (spec && *spec) {
        const char *p = spec;
        while (*p) {
            char *end;
            long v = strtol(p, &end, 10);
            if (end == p || *end != ':' || v < 0 || v > 100 || n == 8)
                return YG_EINVAL;
            p = end + 1;
            size_t ln = strcspn(p, ",");
            char name[32];
            if (ln >= sizeof name)
                return YG_EINVAL;
            memcpy(name, p, ln);
            name[ln] = 0;
            static const char *const names[] = {"",       "informational", "low",
                                                "medium", "high",          "critical"};
            int lv = -1;
            for (int i = 1; i < 6; i++)
                if (!strcmp(name, names[i]))
                    lv = i;
            if (lv < 0)
                return YG_EINVAL;
            mins[n] = (int)v;
            lvls[n] = lv;
            n++;
            p += ln;
            if (*p == ',')
                p++;
        }
    }
    in->nlvl = n;
    memcpy(in->lvl_min, mins, n * sizeof *mins);
    memcpy(in->lvl_level, lvls, n * sizeof *lvls);
    return YG_OK;
}

void yg__intel_diag(struct yg_intel *in, const char *file, unsigned line, unsigned col,
                    const char *objid, yg_err err, const char *pattern, const char *fmt, ...)
{
    if (err == YG_EUNSUPPORTED)
        in->st.unsupported++;
    else
        in->st.errors++;
    if (!in->diag)
        return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    yg_intel_diag d = {file, line, col, objid, err, msg, pattern};
    in->diag(in->diag_ud, &d);
}

void yg__ioc_in_init(struct yg_ioc_in *x)
{
    memset(x, 0, sizeof *x);
    x->confidence = -1;
    x->valid_from = x->valid_until = x->first_seen = x->last_seen = INT64_MIN;
}

static yg_err str_push(struct yg_intel *in, const char *s, size_t n, uint32_t *off)
{
    if (in->strn + n + 1 > UINT32_MAX)
        return YG_ELIMIT;
    if (in->strn + n + 1 > in->strcap) {
        size_t nc = in->strcap;
        while (nc < in->strn + n + 1)
            nc *= 2;
        if (nc > (size_t)UINT32_MAX + 1)
            nc = (size_t)UINT32_MAX + 1;
        char *ns = yg_realloc(in->str, nc);
        if (!ns)
            return YG_ENOMEM;
        in->str = ns;
        in->strcap = nc;
    }
    *off = (uint32_t)in->strn;
    memcpy(in->str + in->strn, s, n);
    in->str[in->strn + n] = 0;
    in->strn += n + 1;
    return YG_OK;
}

static uint64_t mix64(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    return h;
}

static uint64_t shash(const char *s)
{
    return s ? yg_hash(s, strlen(s)) : 0x51;
}

static bool seq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

static const char *mdup(struct yg_intel *in, const char *s)
{
    return s ? yg_arena_strndup(&in->marena, s, strlen(s)) : NULL;
}

/* The metadata index of x, shared with every earlier indicator that has the
 * same metadata. */
static yg_err meta_intern(struct yg_intel *in, const struct yg_ioc_in *xin, const char *tlp,
                          uint32_t *out)
{
    struct yg_ioc_in xx = *xin, *x = &xx;
    /* Stored metadata strings are never NULL. */
    if (!x->source)
        x->source = "";
    if (!x->description)
        x->description = "";
    if (!x->labels_json)
        x->labels_json = "[]";
    if (!x->file)
        x->file = "";
    uint64_t h = shash(x->source);
    h = mix64(h, shash(tlp));
    h = mix64(h, shash(x->description));
    h = mix64(h, shash(x->labels_json));
    h = mix64(h, shash(x->file));
    h = mix64(h, (uint64_t)x->valid_from);
    h = mix64(h, (uint64_t)x->valid_until);
    h = mix64(h, (uint64_t)x->first_seen);
    h = mix64(h, (uint64_t)x->last_seen);
    h = mix64(h, (uint64_t)(int64_t)x->confidence);
    if (in->nmeta * 2 + 2 > in->meta_hash_cap) {
        size_t nc = in->meta_hash_cap ? in->meta_hash_cap * 2 : 1024;
        uint32_t *nh = yg_calloc(nc, sizeof *nh);
        if (!nh)
            return YG_ENOMEM;
        for (size_t i = 0; i < in->nmeta; i++) {
            size_t j = in->meta[i].hash & (nc - 1);
            while (nh[j])
                j = (j + 1) & (nc - 1);
            nh[j] = (uint32_t)i + 1;
        }
        yg_free(in->meta_hash);
        in->meta_hash = nh;
        in->meta_hash_cap = nc;
    }
    size_t j = h & (in->meta_hash_cap - 1);
    for (; in->meta_hash[j]; j = (j + 1) & (in->meta_hash_cap - 1)) {
        const struct yg_ioc_meta *m = &in->meta[in->meta_hash[j] - 1];
        if (m->hash == h && seq(m->source, x->source) && seq(m->tlp, tlp) &&
            seq(m->description, x->description) && seq(m->labels_json, x->labels_json) &&
            seq(m->file, x->file) && m->valid_from == x->valid_from &&
            m->valid_until == x->valid_until && m->first_seen == x->first_seen &&
            m->last_seen == x->last_seen && m->confidence == x->confidence) {
            *out = in->meta_hash[j] - 1;
            return YG_OK;
        }
    }
    if (in->nmeta >= UINT32_MAX - 1)
        return YG_ELIMIT;
    if (in->nmeta == in->metacap) {
        size_t nc = in->metacap ? in->metacap * 2 : 64;
        struct yg_ioc_meta *nm = yg_realloc(in->meta, nc * sizeof *nm);
        if (!nm)
            return YG_ENOMEM;
        in->meta = nm;
        in->metacap = nc;
    }
    struct yg_ioc_meta *m = &in->meta[in->nmeta];
    m->source = mdup(in, x->source);
    m->tlp = tlp;
    m->description = mdup(in, x->description);
    m->labels_json = mdup(in, x->labels_json);
    m->file = mdup(in, x->file);
    if (!m->source || !m->description || !m->labels_json || !m->file)
        return YG_ENOMEM;
    m->valid_from = x->valid_from;
    m->valid_until = x->valid_until;
    m->first_seen = x->first_seen;
    m->last_seen = x->last_seen;
    m->confidence = x->confidence;
    m->hash = h;
    in->meta_hash[j] = (uint32_t)in->nmeta + 1;
    *out = (uint32_t)in->nmeta++;
    return YG_OK;
}

yg_err yg__intel_add(struct yg_intel *in, const struct yg_ioc_in *x, const char **why)
{
    char raw[YG_INTEL_MAX_VALUE_BYTES], key[YG_INTEL_MAX_VALUE_BYTES];
    *why = NULL;
    if (in->frozen)
        return YG_ESTATE;
    if (in->nrec >= YG_INTEL_MAX_INDICATORS) {
        *why = "too many indicators (YG_INTEL_MAX_INDICATORS)";
        return YG_ELIMIT;
    }
    const char *v = x->value;
    size_t n = x->vn;
    trim(&v, &n);
    if (!n) {
        *why = "empty value";
        return YG_ESYNTAX;
    }
    if (n > sizeof raw) {
        *why = "value longer than YG_INTEL_MAX_VALUE_BYTES";
        return YG_ELIMIT;
    }
    size_t rn =
        x->type == YG_IOC_USER_AGENT ? (memcpy(raw, v, n), n) : refang(v, n, raw, sizeof raw);
    uint8_t sub = 0;
    size_t kn = rn ? yg__ioc_key(x->type, raw, rn, key, sizeof key, &sub) : 0;
    if (!kn || kn > UINT16_MAX) {
        static const char *const msgs[YG_IOC_NTYPES] = {
            "not an IPv4 or IPv6 address or CIDR range",
            "not a domain name",
            "not a URL",
            "not an MD5, SHA-1, SHA-256 or SHA-512 hex digest",
            "not an e-mail address",
            "empty user agent"};
        *why = msgs[x->type];
        return YG_ESYNTAX;
    }
    if (x->type == YG_IOC_HASH && x->hash_kind && *x->hash_kind) {
        const char *hk = x->hash_kind;
        uint8_t want = 0;
        char l[16];
        size_t k = 0;
        for (size_t i = 0; hk[i] && k + 1 < sizeof l; i++)
            if (hk[i] != '-' && hk[i] != '_')
                l[k++] = (char)yg_lc((unsigned char)hk[i]);
        l[k] = 0;
        for (uint8_t i = 1; i < 5; i++)
            if (!strcmp(l, hash_kinds[i]))
                want = i;
        if (want && want != sub) {
            *why = "digest length does not fit the hash algorithm named";
            return YG_ESYNTAX;
        }
    }
    const char *tlp = x->tlp ? yg__tlp_canon(x->tlp, strlen(x->tlp)) : NULL;
    if (!tlp)
        tlp = in->default_tlp;
    yg_err err = YG_OK;
    uint32_t meta, off, id = 0, voff;
    YG_TRY(meta_intern(in, x, tlp, &meta));
    YG_TRY(str_push(in, key, kn, &off));
    uint16_t vlen = 0;
    if (x->type == YG_IOC_IP) {
        /* The address as text after the binary key. */
        char t[INET6_ADDRSTRLEN + 8];
        struct yg_addr ad = {.fam = (uint8_t)key[0]};
        int fam = key[0], plen = (uint8_t)key[1];
        memcpy(ad.b, key + 2, fam == 4 ? 4 : 16);
        size_t tl = yg__addr_format(&ad, t, sizeof t);
        if (plen != (fam == 4 ? 32 : 128))
            tl += (size_t)snprintf(t + tl, sizeof t - tl, "/%d", plen);
        YG_TRY(str_push(in, t, tl, &voff));
        vlen = (uint16_t)tl;
    } else if (x->type == YG_IOC_URL && (rn != kn || memcmp(raw, key, kn))) {
        size_t tl = rn > UINT16_MAX ? UINT16_MAX : rn;
        YG_TRY(str_push(in, raw, tl, &voff));
        vlen = (uint16_t)tl;
    }
    if (x->id && x->idn)
        YG_TRY(str_push(in, x->id, x->idn > 256 ? 256 : x->idn, &id));
    if (in->nrec == in->reccap) {
        size_t nc = in->reccap ? in->reccap * 2 : 1024;
        struct yg_ioc_rec *nr = yg_realloc(in->rec, nc * sizeof *nr);
        if (!nr) {
            err = YG_ENOMEM;
            goto done;
        }
        in->rec = nr;
        in->reccap = nc;
    }
    struct yg_ioc_rec *r = &in->rec[in->nrec++];
    r->off = off;
    r->meta = meta;
    r->id = id;
    r->klen = (uint16_t)kn;
    r->vlen = vlen;
    r->type = (uint8_t)x->type;
    r->sub = sub;
done:
    if (err == YG_ELIMIT)
        *why = "the store's string space is full";
    return err;
}

static uint64_t key_hash(int t, const char *k, size_t n)
{
    return yg_hash(k, n) ^ ((uint64_t)t * 0x9E3779B97F4A7C15ull);
}

yg_err yg_intel_freeze(yg_intel *in)
{
    if (in->frozen)
        return YG_OK;
    size_t cnt[YG_IOC_NTYPES] = {0};
    for (size_t i = 0; i < in->nrec; i++)
        cnt[in->rec[i].type]++;
    for (int t = 0; t < YG_IOC_NTYPES; t++) {
        size_t cap = 16;
        while (cap < cnt[t] + cnt[t] / 2 + 1)
            cap *= 2;
        in->tab[t].slot = yg_calloc(cap, sizeof *in->tab[t].slot);
        if (!in->tab[t].slot)
            return YG_ENOMEM;
        in->tab[t].mask = cap - 1;
        in->ntype[t] = cnt[t];
    }
    for (size_t i = 0; i < in->nrec; i++) {
        const struct yg_ioc_rec *r = &in->rec[i];
        const char *k = in->str + r->off;
        uint64_t h = key_hash(r->type, k, r->klen);
        struct yg_itab *tb = &in->tab[r->type];
        size_t j = h & tb->mask;
        bool dup = false;
        while (tb->slot[j]) {
            const struct yg_ioc_rec *o = &in->rec[(uint32_t)tb->slot[j] - 1];
            if ((tb->slot[j] >> 32) == (h >> 32) && o->klen == r->klen &&
                !memcmp(in->str + o->off, k, r->klen))
                dup = true;
            j = (j + 1) & tb->mask;
        }
        tb->slot[j] = ((h >> 32) << 32) | (uint64_t)(i + 1);
        in->st.duplicates += dup;
        if (r->klen < in->minlen[r->type])
            in->minlen[r->type] = r->klen;
        if (r->klen > in->maxlen[r->type])
            in->maxlen[r->type] = r->klen;
        if (r->type == YG_IOC_IP) {
            int plen = (uint8_t)k[1];
            if (k[0] == 4)
                in->plen4 |= 1ull << plen;
            else
                in->plen6[plen / 64] |= 1ull << (plen % 64);
        }
    }
    for (size_t m = 0; m < in->nmeta; m++)
        in->any_until |= in->meta[m].valid_until != INT64_MIN;
    for (int p = 32; p >= 0; p--)
        if (in->plen4 & (1ull << p))
            in->plens4[in->nplens4++] = (uint8_t)p;
    for (int p = 128; p >= 0; p--)
        if (in->plen6[p / 64] & (1ull << (p % 64)))
            in->plens6[in->nplens6++] = (uint8_t)p;
    /* Sources and their counts. */
    size_t *per_meta = yg_calloc(in->nmeta + 1, sizeof *per_meta);
    if (!per_meta)
        return YG_ENOMEM;
    for (size_t i = 0; i < in->nrec; i++)
        per_meta[in->rec[i].meta]++;
    for (size_t m = 0; m < in->nmeta; m++) {
        if (!per_meta[m])
            continue;
        const char *s = in->meta[m].source;
        size_t k = 0;
        while (k < in->nsrc && strcmp(in->src_names[k], s))
            k++;
        if (k == in->nsrc) {
            if (in->nsrc % 16 == 0) {
                const char **nn = yg_realloc(in->src_names, (in->nsrc + 16) * sizeof *nn);
                size_t *nc = nn ? yg_realloc(in->src_counts, (in->nsrc + 16) * sizeof *nc) : NULL;
                if (nn)
                    in->src_names = nn;
                if (!nn || !nc) {
                    yg_free(per_meta);
                    return YG_ENOMEM;
                }
                in->src_counts = nc;
            }
            in->src_names[k] = s;
            in->src_counts[k] = 0;
            in->nsrc++;
        }
        in->src_counts[k] += per_meta[m];
    }
    yg_free(per_meta);
    yg_free(in->meta_hash);
    in->meta_hash = NULL;
    in->meta_hash_cap = 0;
    in->frozen = true;
    return YG_OK;
}

void yg_intel_get_stats(const yg_intel *in, yg_intel_stats *st)
{
    *st = in->st;
    st->indicators = in->nrec;
    memset(st->by_type, 0, sizeof st->by_type);
    st->cidr = 0;
    st->expired = 0;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    for (size_t i = 0; i < in->nrec; i++) {
        const struct yg_ioc_rec *r = &in->rec[i];
        st->by_type[r->type]++;
        if (r->type == YG_IOC_IP) {
            const char *k = in->str + r->off;
            st->cidr += (uint8_t)k[1] != (k[0] == 4 ? 32 : 128);
        }
        int64_t vu = in->meta[r->meta].valid_until;
        st->expired += vu != INT64_MIN && vu < now;
    }
    /* Bytes in use (capacities beyond them are address space, not memory). */
    size_t b =
        in->strn + in->nrec * sizeof *in->rec + in->nmeta * sizeof *in->meta + in->marena.used;
    for (int t = 0; t < YG_IOC_NTYPES; t++)
        b += in->tab[t].slot ? (in->tab[t].mask + 1) * sizeof(uint64_t) : 0;
    st->bytes = b;
}

size_t yg_intel_source_count(const yg_intel *in)
{
    return in->nsrc;
}

const char *yg_intel_source_name(const yg_intel *in, size_t i, size_t *count)
{
    if (i >= in->nsrc)
        return NULL;
    if (count)
        *count = in->src_counts[i];
    return in->src_names[i];
}

void yg_intel_retain(yg_intel *in)
{
    atomic_fetch_add(&in->refs, 1);
}

void yg_intel_release(yg_intel *in)
{
    if (!in || atomic_fetch_sub(&in->refs, 1) != 1)
        return;
    for (int t = 0; t < YG_IOC_NTYPES; t++)
        yg_free(in->tab[t].slot);
    yg_free(in->str);
    yg_free(in->rec);
    yg_free(in->meta);
    yg_free(in->meta_hash);
    yg_free((void *)in->src_names);
    yg_free(in->src_counts);
    yg_arena_free(&in->marena);
    yg_free(in);
}

/* ---- lookup ------------------------------------------------------------- */

static inline bool probe(const struct yg_intel *in, int t, const char *key, size_t kn, int64_t at,
                         yg__ihit_fn fn, void *ud, size_t *hits)
{
    const struct yg_itab *tb = &in->tab[t];
    uint64_t h = key_hash(t, key, kn);
    uint32_t fp = (uint32_t)(h >> 32);
    for (size_t j = h & tb->mask;; j = (j + 1) & tb->mask) {
        uint64_t s = tb->slot[j];
        if (!s)
            return false;
        if ((uint32_t)(s >> 32) != fp)
            continue;
        uint32_t ri = (uint32_t)s - 1;
        const struct yg_ioc_rec *r = &in->rec[ri];
        if (r->klen != kn || memcmp(in->str + r->off, key, kn))
            continue;
        int64_t vu = in->meta[r->meta].valid_until;
        if (at != INT64_MIN && vu != INT64_MIN && at > vu)
            continue;
        (*hits)++;
        if (fn && fn(ud, ri))
            return true;
    }
}

static bool match_ip(const struct yg_intel *in, const char *v, size_t n, int64_t at, yg__ihit_fn fn,
                     void *ud, size_t *hits)
{
    uint8_t a[16];
    int fam, plen;
    char key[18];
    if (!ip_parse(v, n, false, true, a, &fam, &plen))
        return false;
    const uint8_t *pl = fam == 4 ? in->plens4 : in->plens6;
    unsigned np = fam == 4 ? in->nplens4 : in->nplens6;
    for (unsigned i = 0; i < np; i++) {
        size_t kn = ip_key(a, fam, pl[i], key);
        if (probe(in, YG_IOC_IP, key, kn, at, fn, ud, hits))
            return true;
    }
    return false;
}

static bool match_domain(const struct yg_intel *in, const char *v, size_t n, int64_t at,
                         yg__ihit_fn fn, void *ud, size_t *hits)
{
    char key[256];
    size_t kn = host_norm(v, n, key, sizeof key);
    if (!kn || kn < in->minlen[YG_IOC_DOMAIN])
        return false;
    /* The name, then each parent: a.b.example.com, b.example.com, ... */
    for (size_t i = 0; i < kn;) {
        size_t len = kn - i;
        if (len < in->minlen[YG_IOC_DOMAIN])
            break;
        if (len <= in->maxlen[YG_IOC_DOMAIN] &&
            probe(in, YG_IOC_DOMAIN, key + i, len, at, fn, ud, hits))
            return true;
        const char *dot = memchr(key + i, '.', len);
        if (!dot)
            break;
        i = (size_t)(dot - key) + 1;
    }
    return false;
}

static bool match_simple(const struct yg_intel *in, yg_ioc_type t, const char *v, size_t n,
                         int64_t at, yg__ihit_fn fn, void *ud, size_t *hits)
{
    char key[YG_INTEL_MAX_VALUE_BYTES];
    uint8_t sub;
    if (n > sizeof key + 64)
        return false;
    size_t kn = yg__ioc_key(t, v, n, key, sizeof key, &sub);
    if (!kn || kn < in->minlen[t] || kn > in->maxlen[t])
        return false;
    return probe(in, t, key, kn, at, fn, ud, hits);
}

/* The host of a URL (to look up as a domain or an address). */
static bool url_host(const char *v, size_t n, const char **h, size_t *hn)
{
    const char *ss = memmem(v, n < 32 ? n : 32, "://", 3);
    if (!ss)
        return false;
    const char *p = ss + 3, *e = v + n;
    const char *q = p;
    while (q < e && *q != '/' && *q != '?' && *q != '#')
        q++;
    const char *at = memrchr(p, '@', (size_t)(q - p));
    if (at)
        p = at + 1;
    if (p < q && *p == '[') {
        const char *rb = memchr(p, ']', (size_t)(q - p));
        if (!rb)
            return false;
        *h = p + 1;
        *hn = (size_t)(rb - p - 1);
        return true;
    }
    const char *c = memchr(p, ':', (size_t)(q - p));
    *h = p;
    *hn = (size_t)((c ? c : q) - p);
    return *hn > 0;
}

bool yg__intel_has_kind(const struct yg_intel *in, enum yg_ifield_kind k)
{
    switch (k) {
    case YG_IF_IP: return in->ntype[YG_IOC_IP] > 0;
    case YG_IF_DOMAIN: return in->ntype[YG_IOC_DOMAIN] > 0;
    case YG_IF_URL:
        return in->ntype[YG_IOC_URL] || in->ntype[YG_IOC_DOMAIN] || in->ntype[YG_IOC_IP];
    case YG_IF_HASH:
    case YG_IF_HASHES: return in->ntype[YG_IOC_HASH] > 0;
    case YG_IF_EMAIL: return in->ntype[YG_IOC_EMAIL] > 0;
    case YG_IF_USER_AGENT: return in->ntype[YG_IOC_USER_AGENT] > 0;
    case YG_IF_HOST_OR_IP: return in->ntype[YG_IOC_IP] || in->ntype[YG_IOC_DOMAIN];
    default: return false;
    }
}

size_t yg__intel_match(const struct yg_intel *in, enum yg_ifield_kind k, const char *v, size_t n,
                       int64_t at, yg__ihit_fn fn, void *ud)
{
    size_t hits = 0;
    if (!in->frozen || !n)
        return 0;
    switch (k) {
    case YG_IF_IP:
        if (in->ntype[YG_IOC_IP])
            match_ip(in, v, n, at, fn, ud, &hits);
        break;
    case YG_IF_DOMAIN:
        if (in->ntype[YG_IOC_DOMAIN])
            match_domain(in, v, n, at, fn, ud, &hits);
        break;
    case YG_IF_HOST_OR_IP:
        if (in->ntype[YG_IOC_IP] && match_ip(in, v, n, at, fn, ud, &hits))
            break;
        if (!hits && in->ntype[YG_IOC_DOMAIN])
            match_domain(in, v, n, at, fn, ud, &hits);
        break;
    case YG_IF_URL: {
        if (in->ntype[YG_IOC_URL] && match_simple(in, YG_IOC_URL, v, n, at, fn, ud, &hits))
            break;
        const char *h;
        size_t hn;
        if ((in->ntype[YG_IOC_DOMAIN] || in->ntype[YG_IOC_IP]) && url_host(v, n, &h, &hn)) {
            if (in->ntype[YG_IOC_IP] && match_ip(in, h, hn, at, fn, ud, &hits))
                break;
            if (in->ntype[YG_IOC_DOMAIN])
                match_domain(in, h, hn, at, fn, ud, &hits);
        }
        break;
    }
    case YG_IF_HASH:
        if (in->ntype[YG_IOC_HASH])
            match_simple(in, YG_IOC_HASH, v, n, at, fn, ud, &hits);
        break;
    case YG_IF_HASHES: {
        if (!in->ntype[YG_IOC_HASH])
            break;
        /* MD5=..,SHA1=..,SHA256=..,IMPHASH=.. (IMPHASH is not a file hash). */
        for (size_t i = 0; i < n;) {
            size_t j = i;
            while (j < n && v[j] != ',')
                j++;
            const char *eq = memchr(v + i, '=', j - i);
            const char *h = eq ? eq + 1 : v + i;
            size_t hn = (size_t)(v + j - h);
            bool imphash = eq && (size_t)(eq - (v + i)) >= 7 && yg_str_ieq(v + i, 7, "imphash", 7);
            if (!imphash && match_simple(in, YG_IOC_HASH, h, hn, at, fn, ud, &hits))
                break;
            i = j + 1;
        }
        break;
    }
    case YG_IF_EMAIL:
        if (in->ntype[YG_IOC_EMAIL])
            match_simple(in, YG_IOC_EMAIL, v, n, at, fn, ud, &hits);
        break;
    case YG_IF_USER_AGENT:
        if (in->ntype[YG_IOC_USER_AGENT])
            match_simple(in, YG_IOC_USER_AGENT, v, n, at, fn, ud, &hits);
        break;
    default: break;
    }
    return hits;
}

struct pub_hit {
    const struct yg_intel *in;
    yg_intel_hit_cb cb;
    void *ud;
};

static int pub_hit(void *ud, uint32_t rec)
{
    struct pub_hit *p = ud;
    yg_intel_indicator ind;
    char idbuf[64];
    /* An id that cannot be derived is reported as "" (yagura/intel.h): the
     * hit itself still counts. */
    yg_err e = yg__intel_record(p->in, rec, &ind, idbuf);
    (void)e;
    return p->cb ? p->cb(p->ud, &ind) : 0;
}

size_t yg_intel_lookup(const yg_intel *in, yg_ioc_type t, const char *value, size_t n,
                       int64_t at_ms, yg_intel_hit_cb cb, void *ud)
{
    static const uint8_t kind[YG_IOC_NTYPES] = {YG_IF_IP,   YG_IF_DOMAIN, YG_IF_URL,
                                                YG_IF_HASH, YG_IF_EMAIL,  YG_IF_USER_AGENT};
    if ((unsigned)t >= YG_IOC_NTYPES)
        return 0;
    struct pub_hit p = {in, cb, ud};
    return yg__intel_match(in, kind[t], value, n, at_ms, pub_hit, &p);
}

yg_err yg__intel_record(const struct yg_intel *in, uint32_t ri, yg_intel_indicator *o, char *idbuf)
{
    const struct yg_ioc_rec *r = &in->rec[ri];
    const struct yg_ioc_meta *m = &in->meta[r->meta];
    yg_err err = YG_OK;
    o->type = (yg_ioc_type)r->type;
    const char *k = in->str + r->off;
    o->value = r->vlen ? k + r->klen + 1 : k;
    o->hash_kind = r->type == YG_IOC_HASH ? hash_kinds[r->sub] : "";
    if (r->id) {
        o->id = in->str + r->id;
    } else {
        char name[YG_INTEL_MAX_VALUE_BYTES + 512];
        int nn = snprintf(name, sizeof name, "yagura-intel/%s/%s/%s", type_names[r->type], o->value,
                          m->source);
        if (nn < 0 || (size_t)nn >= sizeof name)
            nn = (int)sizeof name - 1;
        memcpy(idbuf, "indicator--", 11);
        err = yg__uuid5(yg__uuid_ns_url, name, (size_t)nn, idbuf + 11);
        o->id = err ? "" : idbuf;
    }
    o->source = m->source;
    o->tlp = m->tlp;
    o->confidence = m->confidence;
    o->valid_from = m->valid_from;
    o->valid_until = m->valid_until;
    o->first_seen = m->first_seen;
    o->last_seen = m->last_seen;
    o->description = m->description;
    o->labels_json = m->labels_json;
    o->file = m->file;
    return err;
}

int yg__intel_level(const struct yg_intel *in, uint32_t ri)
{
    int c = in->meta[in->rec[ri].meta].confidence;
    if (c < 0 || !in->nlvl)
        return YG_LEVEL_HI;
    for (unsigned i = 0; i < in->nlvl; i++)
        if (c >= in->lvl_min[i])
            return in->lvl_level[i];
    return YG_LEVEL_INFO;
}

static yg_err add_time(struct yg_buf *b, const char *name, int64_t ms)
{
    if (ms == INT64_MIN)
        return YG_OK;
    char t[YG_TIME_TEXT];
    if (!yg__time_format(ms, t))
        return YG_OK; /* outside years 0-9999: no such member, like no time */
    return yg_buf_addf(b, ",\"%s\":\"%s\"", name, t);
}

yg_err yg__intel_alert_json(const struct yg_intel *in, uint32_t ri, struct yg_buf *b)
{
    yg_intel_indicator d;
    char idbuf[64];
    yg_err err = yg__intel_record(in, ri, &d, idbuf);
    if (err)
        return err;
    YG_TRY(yg_buf_add(b, "\"intel\":{\"indicator_id\":", 24));
    YG_TRY(yg_buf_add_json_str(b, d.id, strlen(d.id)));
    YG_TRY(yg_buf_addf(b, ",\"type\":\"%s\"", type_names[d.type]));
    if (*d.hash_kind)
        YG_TRY(yg_buf_addf(b, ",\"hash_kind\":\"%s\"", d.hash_kind));
    YG_TRY(yg_buf_add(b, ",\"value\":", 9));
    YG_TRY(yg_buf_add_json_str(b, d.value, strlen(d.value)));
    YG_TRY(yg_buf_add(b, ",\"source\":", 10));
    YG_TRY(yg_buf_add_json_str(b, d.source, strlen(d.source)));
    YG_TRY(yg_buf_addf(b, ",\"tlp\":\"%s\"", d.tlp));
    if (d.confidence >= 0)
        YG_TRY(yg_buf_addf(b, ",\"confidence\":%d", d.confidence));
    YG_TRY(add_time(b, "valid_from", d.valid_from));
    YG_TRY(add_time(b, "valid_until", d.valid_until));
    YG_TRY(add_time(b, "first_seen", d.first_seen));
    YG_TRY(add_time(b, "last_seen", d.last_seen));
    if (*d.description) {
        YG_TRY(yg_buf_add(b, ",\"description\":", 15));
        YG_TRY(yg_buf_add_json_str(b, d.description, strlen(d.description)));
    }
    if (strcmp(d.labels_json, "[]"))
        YG_TRY(yg_buf_addf(b, ",\"labels\":%s", d.labels_json));
    YG_TRY(yg_buf_add(b, ",\"file\":", 8));
    YG_TRY(yg_buf_add_json_str(b, d.file, strlen(d.file)));
    YG_TRY(yg_buf_addc(b, '}'));
done:
    return err;
}
