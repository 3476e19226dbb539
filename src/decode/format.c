/*
 * format.c - the registry of line formats and helpers shared by decoders.
 */
#include "decode/format.h"

#include <stdio.h>

/* The formats, most specific first: detection takes the highest sniff
 * score, and the first format wins a tie. */
#define FMT(x) extern const struct yg_linefmt yg__fmt_##x;
FMT(fortigate)
FMT(cef)
FMT(leef)
FMT(asa)
FMT(pulse)
FMT(netscaler)
FMT(panos)
FMT(w3c)
FMT(combined)
FMT(zeek)
FMT(zeek_json)
FMT(suricata)
FMT(m365)
FMT(m365_csv)
FMT(entra)
FMT(syslog)
FMT(cisco_ios)
FMT(text)
FMT(sonicwall)
FMT(checkpoint)
FMT(junos)
FMT(sophos)
FMT(f5apm)
FMT(otlp)
#undef FMT

static const struct yg_linefmt *const all[] = {
    &yg__fmt_fortigate, &yg__fmt_cef,       &yg__fmt_leef,      &yg__fmt_asa,
    &yg__fmt_pulse,     &yg__fmt_netscaler, &yg__fmt_panos,     &yg__fmt_w3c,
    &yg__fmt_combined,  &yg__fmt_zeek,      &yg__fmt_zeek_json, &yg__fmt_suricata,
    &yg__fmt_m365,      &yg__fmt_m365_csv,  &yg__fmt_entra,     &yg__fmt_syslog,
    &yg__fmt_cisco_ios, // below ASA's sniff score, above syslog's
    &yg__fmt_text,      // never sniffed: --input-format text only
    &yg__fmt_otlp,
};

/* Appliances, linked after `all`: their sniffers score their own lines 80 to
 * 92, above the generic syslog's 60 and any other format's score on those
 * lines (tests/unit/test_fmt_appliance.c checks the detection), so their
 * place in the order does not decide. */
static const struct yg_linefmt *const appliances[] = {
    &yg__fmt_sonicwall, &yg__fmt_checkpoint, &yg__fmt_junos, &yg__fmt_sophos, &yg__fmt_f5apm,
};

#define NALL (sizeof all / sizeof *all)
#define NAPP (sizeof appliances / sizeof *appliances)
static const struct yg_linefmt *linked[NALL + NAPP + 1];

const struct yg_linefmt *const *yg__formats_list(void)
{
    /* Built on first use; idempotent, so a race only repeats the same writes. */
    if (!linked[0]) {
        size_t k = 0;
        for (size_t i = 0; i < NALL; i++)
            linked[k++] = all[i];
        for (size_t i = 0; i < NAPP; i++)
            linked[k++] = appliances[i];
        linked[k] = NULL;
    }
    return linked;
}

bool yg__json_has_member(const char *p, size_t n, const char *key, const char *vprefix)
{
    char pat[64];
    int pl = snprintf(pat, sizeof pat, "\"%s\"", key);
    if (pl < 0 || (size_t)pl >= sizeof pat)
        return false;
    const char *e = p + n, *at = p;
    while ((at = memmem(at, (size_t)(e - at), pat, (size_t)pl))) {
        const char *q = at + pl;
        at++;
        while (q < e && (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n'))
            q++;
        if (q >= e || *q != ':')
            continue;
        q++;
        while (q < e && (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n'))
            q++;
        if (!vprefix)
            return q < e;
        size_t vl = strlen(vprefix);
        if (q < e && *q == '"' && (size_t)(e - q - 1) >= vl && memcmp(q + 1, vprefix, vl) == 0)
            return true;
    }
    return false;
}

const char *yg__json_sniff_head(const char *p, size_t n, bool bom, size_t max, size_t *headn)
{
    size_t i = 0;
    if (bom && n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    while (i < n && (p[i] == ' ' || p[i] == '\t'))
        i++;
    *headn = 0;
    if (i >= n || p[i] != '{')
        return NULL;
    *headn = n - i < max ? n - i : max;
    return p + i;
}

const struct yg_linefmt *yg__format_find(const char *name)
{
    const struct yg_linefmt *const *f = yg__formats_list();
    for (; *f; f++)
        if (strcmp((*f)->name, name) == 0)
            return *f;
    return NULL;
}

/*
 * How a field must be written (classify_kv): 0 as is (key and value
 * printable ASCII without `"` or `\`), 1 the value has quotes or
 * backslashes to escape, 2 anything else (UTF-8 or control bytes in the
 * value, or a key that needs any escaping: yg__json_str_utf8 writes both).
 * Every field's key and value pass through here, most of them a few bytes
 * long, so the short ones must not go byte by byte: with SSE2, sixteen bytes
 * at a time, the last block (or a string shorter than 16 bytes) read as
 * overlapping loads of its own bytes, so every lane holds a byte of the
 * string and nothing outside it is read.
 */
#if defined(__SSE2__)
static inline uint64_t load64(const char *s)
{
    uint64_t w;
    memcpy(&w, s, 8);
    return w;
}

static inline uint32_t load32(const char *s)
{
    uint32_t w;
    memcpy(&w, s, 4);
    return w;
}

/* The bytes of s as one or more 16-byte blocks: the flags of the bytes to
 * escape are or-ed into *esc (`"`, `\`) and *ctl (anything else that is not
 * printable ASCII).  Always inlined: called twice per field. */
static inline __attribute__((always_inline)) void scan16(const char *s, size_t n, __m128i *ctl,
                                                         __m128i *esc)
{
    const __m128i q = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\'), sp = _mm_set1_epi8(0x20),
                  del = _mm_set1_epi8(0x7f);
    __m128i v;
    if (n >= 16) {
        for (size_t i = 0; i + 16 < n; i += 16) {
            v = _mm_loadu_si128((const __m128i *)(s + i));
            /* Signed compare: bytes >= 0x80 are negative, so `v < 0x20` also
             * catches them, together with the control characters. */
            *ctl = _mm_or_si128(*ctl, _mm_or_si128(_mm_cmplt_epi8(v, sp), _mm_cmpeq_epi8(v, del)));
            *esc = _mm_or_si128(*esc, _mm_or_si128(_mm_cmpeq_epi8(v, q), _mm_cmpeq_epi8(v, bs)));
        }
        v = _mm_loadu_si128((const __m128i *)(s + n - 16));
    } else if (n >= 8) {
        v = _mm_set_epi64x((long long)load64(s + n - 8), (long long)load64(s));
    } else if (n >= 4) {
        v = _mm_set1_epi64x((long long)(load32(s) | (uint64_t)load32(s + n - 4) << 32));
    } else if (n) {
        unsigned char a = (unsigned char)s[0], b = (unsigned char)s[n / 2],
                      c = (unsigned char)s[n - 1];
        v = _mm_set1_epi32((int)(a | (uint32_t)b << 8 | (uint32_t)c << 16 | (uint32_t)a << 24));
    } else {
        return;
    }
    *ctl = _mm_or_si128(*ctl, _mm_or_si128(_mm_cmplt_epi8(v, sp), _mm_cmpeq_epi8(v, del)));
    *esc = _mm_or_si128(*esc, _mm_or_si128(_mm_cmpeq_epi8(v, q), _mm_cmpeq_epi8(v, bs)));
}

static inline __attribute__((always_inline)) int classify_kv(const char *k, size_t kn,
                                                             const char *v, size_t vn)
{
    __m128i kbad = _mm_setzero_si128(), vctl = _mm_setzero_si128(), vesc = _mm_setzero_si128();
    scan16(k, kn, &kbad, &kbad);
    scan16(v, vn, &vctl, &vesc);
    return _mm_movemask_epi8(_mm_or_si128(kbad, vctl)) ? 2 : _mm_movemask_epi8(vesc) ? 1 : 0;
}

/* memcpy for the few bytes of most keys and values without a call: two
 * overlapping loads and stores of the source's own bytes (never a byte
 * outside s[0..n) is read). */
static inline __attribute__((always_inline)) char *put_bytes(char *p, const char *s, size_t n)
{
    if (n > 32) {
        memcpy(p, s, n);
    } else if (n >= 16) {
        __m128i a = _mm_loadu_si128((const __m128i *)s),
                b = _mm_loadu_si128((const __m128i *)(s + n - 16));
        _mm_storeu_si128((__m128i *)p, a);
        _mm_storeu_si128((__m128i *)(p + n - 16), b);
    } else if (n >= 8) {
        uint64_t a = load64(s), b = load64(s + n - 8);
        memcpy(p, &a, 8);
        memcpy(p + n - 8, &b, 8);
    } else if (n >= 4) {
        uint32_t a = load32(s), b = load32(s + n - 4);
        memcpy(p, &a, 4);
        memcpy(p + n - 4, &b, 4);
    } else if (n) {
        char a = s[0], b = s[n / 2], c = s[n - 1];
        p[0] = a;
        p[n / 2] = b;
        p[n - 1] = c;
    }
    return p + n;
}
#else
/* How s must be written as a JSON string: 0 as is, 1 printable ASCII with
 * quotes or backslashes, 2 anything else.  Eight bytes at a time: a byte is
 * flagged by the "has a zero byte" test on the word xor-ed with each value. */
static int classify(const char *s, size_t n)
{
    const uint64_t ones = 0x0101010101010101u, high = 0x8080808080808080u;
    uint64_t ctl = 0, esc = 0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\'), d = w ^ (ones * 0x7f);
        ctl |= w | ((w - ones * 0x20) & ~w) | ((d - ones) & ~d);
        esc |= ((q - ones) & ~q) | ((b - ones) & ~b);
    }
    int r = ctl & high ? 2 : esc & high ? 1 : 0;
    for (; i < n && r < 2; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c > 0x7e)
            r = 2;
        else if (c == '"' || c == '\\')
            r = 1;
    }
    return r;
}

static int classify_kv(const char *k, size_t kn, const char *v, size_t vn)
{
    int how = classify(v, vn);
    return how == 2 || classify(k, kn) != 0 ? 2 : how;
}

static char *put_bytes(char *p, const char *s, size_t n)
{
    memcpy(p, s, n);
    return p + n;
}
#endif

/*
 * `"k":"v"` (after a comma unless *first).  Most keys and values need no
 * escaping and are copied in one go; printable ASCII with quotes or
 * backslashes is escaped run by run; anything else (UTF-8, control bytes)
 * goes through yg_buf_add_json_str.  Decoders call this once per field, so it
 * is their hot path.
 */
yg_err yg__json_kv_any(struct yg_buf *out, bool *first, const char *k, size_t kn, const char *v,
                       size_t vn)
{
    yg_err err;
    int how = classify_kv(k, kn, v, vn);
    if (how == 2) {
        if (!*first && (err = yg_buf_addc(out, ',')))
            return err;
        *first = false;
        if ((err = yg_buf_add_json_str(out, k, kn)) || (err = yg_buf_addc(out, ':')))
            return err;
        return yg_buf_add_json_str(out, v, vn);
    }
    size_t need = kn + (how ? 2 * vn : vn) + 6;
    /* yg_buf_reserve's checks, its call only when the buffer must grow or the
     * cap is near (a call per field is a visible share of a short record). */
    if (YG_UNLIKELY(need > out->toobig || out->n > out->toobig - need ||
                    out->n + need >= out->cap) &&
        (err = yg_buf_reserve(out, need)))
        return err;
    char *p = out->p + out->n;
    if (!*first)
        *p++ = ',';
    *first = false;
    *p++ = '"';
    p = put_bytes(p, k, kn);
    memcpy(p, "\":\"", 3);
    p += 3;
    const char *s = v, *e = v + vn;
    while (how && s < e) {
        const char *q = memchr(s, '"', (size_t)(e - s)), *b = memchr(s, '\\', (size_t)(e - s));
        const char *x = !q ? b : !b ? q : q < b ? q : b;
        if (!x)
            break;
        memcpy(p, s, (size_t)(x - s));
        p += x - s;
        *p++ = '\\';
        *p++ = *x;
        s = x + 1;
    }
    p = put_bytes(p, s, (size_t)(e - s));
    *p++ = '"';
    out->n = (size_t)(p - out->p);
    out->p[out->n] = 0;
    return YG_OK;
}

void *yg__product_names_new(void)
{
    return yg_calloc(1, sizeof(struct yg_product_names));
}

void yg__product_names_free(void *st)
{
    yg_free(st);
}

const char *yg__product_intern(struct yg_product_names *t, const char *p, size_t n)
{
    char low[YG_PRODUCT_NAME_LEN];
    if (!t || n == 0 || n >= YG_PRODUCT_NAME_LEN)
        return NULL;
    for (size_t k = 0; k < n; k++) {
        if ((unsigned char)p[k] < 0x20)
            return NULL;
        low[k] = (char)yg_lc((unsigned char)p[k]);
    }
    low[n] = 0;
    for (size_t k = 0; k < t->n; k++)
        if (memcmp(t->name[k], low, n + 1) == 0)
            return t->name[k];
    if (t->n == YG_PRODUCT_NAMES)
        return NULL;
    memcpy(t->name[t->n], low, n + 1);
    return t->name[t->n++];
}
