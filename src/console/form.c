/*
 * form.c - form bodies and cookies (form.h).
 */
#include "console/form.h"

#include <string.h>

#include "core/utf8.h"

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool yg__form_text_ok(const char *s0, size_t n, bool multi_line)
{
    const unsigned char *s = (const unsigned char *)s0;
    for (size_t i = 0; i < n;) {
        if (s[i] >= 0x80) {
            size_t k = yg__utf8_valid_len(s + i, n - i);
            if (!k)
                return false;
            i += k;
            continue;
        }
        bool ctl = s[i] < 0x20 || s[i] == 0x7f;
        if (ctl && !(multi_line && (s[i] == '\t' || s[i] == '\r' || s[i] == '\n')))
            return false;
        i++;
    }
    return true;
}

/* Decode p[0..n) into arena memory; NULL when malformed or out of memory. */
static char *decode(const char *p, size_t n, struct yg_arena *a, size_t *outn)
{
    char *o = yg_arena_alloc(a, n + 1);
    if (!o)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            int hi = i + 2 < n ? hexval((unsigned char)p[i + 1]) : -1;
            int lo = i + 2 < n ? hexval((unsigned char)p[i + 2]) : -1;
            if (hi < 0 || lo < 0)
                return NULL;
            c = (unsigned char)(hi * 16 + lo);
            i += 2;
        }
        o[k++] = (char)c;
    }
    o[k] = 0;
    if (!yg__form_text_ok(o, k, true))
        return NULL;
    *outn = k;
    return o;
}

bool yg__form_parse(const char *p, size_t n, struct yg_arena *a, struct yg_form_field *out,
                    size_t *nf)
{
    *nf = 0;
    size_t i = 0;
    while (i < n) {
        const char *amp = memchr(p + i, '&', n - i);
        size_t end = amp ? (size_t)(amp - p) : n;
        if (end > i) {
            if (*nf == YG_FORM_MAX_FIELDS)
                return false;
            const char *eq = memchr(p + i, '=', end - i);
            size_t kend = eq ? (size_t)(eq - p) : end;
            size_t kn, vn = 0;
            char *k = decode(p + i, kend - i, a, &kn);
            char *v = eq ? decode(eq + 1, end - kend - 1, a, &vn) : decode("", 0, a, &vn);
            if (!k || !v)
                return false;
            out[*nf].key = k;
            out[*nf].val = v;
            out[*nf].vlen = vn;
            (*nf)++;
        }
        i = end + 1;
    }
    return true;
}

const char *yg__form_get(const struct yg_form_field *f, size_t nf, const char *key)
{
    for (size_t i = 0; i < nf; i++)
        if (strcmp(f[i].key, key) == 0)
            return f[i].val;
    return NULL;
}

bool yg__cookie_get(const char *h, const char *name, char *out, size_t n)
{
    size_t nl = strlen(name);
    if (!h || !n)
        return false;
    while (*h) {
        while (*h == ' ' || *h == '\t' || *h == ';')
            h++;
        const char *end = strchr(h, ';');
        size_t len = end ? (size_t)(end - h) : strlen(h);
        if (len > nl && h[nl] == '=' && memcmp(h, name, nl) == 0) {
            const char *v = h + nl + 1;
            size_t vn = len - nl - 1;
            while (vn && (v[vn - 1] == ' ' || v[vn - 1] == '\t'))
                vn--;
            if (!vn || vn >= n)
                return false;
            for (size_t i = 0; i < vn; i++)
                if ((unsigned char)v[i] <= 0x20 || (unsigned char)v[i] >= 0x7f || v[i] == ',')
                    return false;
            memcpy(out, v, vn);
            out[vn] = 0;
            return true;
        }
        h += len;
    }
    return false;
}
