/*
 * cmp_set.c - the set of incidents being analysed: its arena, messages,
 * and the normalisation of every feature an incident carries.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "campaign/cmp_int.h"
#include "core/timeparse.h"

static const char *const kind_names[YG_CMPF_N] = {
    "ip",      "domain", "url",       "hash", "cert",   "email",
    "malware", "intel",  "technique", "cve",  "sector",
};

const char *yg__cmp_kind_name(enum yg_cmp_kind k)
{
    return (unsigned)k < YG_CMPF_N ? kind_names[k] : "?";
}

yg_err yg__cmp_new(struct yg_cmp_set **out)
{
    struct yg_cmp_set *s = yg_calloc(1, sizeof *s);
    *out = s;
    if (!s)
        return YG_ENOMEM;
    yg_arena_init(&s->a, 1u << 16, 0);
    yg_buf_init(&s->warn, 1u << 20);
    s->org_by_name.icase = true;
    return YG_OK;
}

void yg__cmp_free(struct yg_cmp_set *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nraw; i++)
        for (int k = 0; k < YG_CMPF_N; k++)
            yg_free(s->raw[i].f[k].v);
    yg_free(s->raw);
    for (size_t i = 0; i < s->norgs; i++) {
        yg_free(s->orgs[i].aliases.v);
        yg_free(s->orgs[i].domains.v);
        yg_free(s->orgs[i].sectors.v);
        yg_free(s->orgs[i].ranges);
    }
    yg_free(s->orgs);
    for (size_t i = 0; i < s->nshared; i++)
        yg_free(s->shared[i].ranges);
    yg_free(s->shared);
    yg__htab_free(&s->org_by_name);
    yg__htab_free(&s->org_by_domain);
    yg__htab_free(&s->org_by_net);
    yg_buf_free(&s->warn);
    yg_arena_free(&s->a);
    yg_free(s);
}

const char *yg__cmp_errmsg(const struct yg_cmp_set *s)
{
    return s ? s->err : "out of memory";
}

const char *yg__cmp_warnings(const struct yg_cmp_set *s)
{
    return s && s->warn.p ? s->warn.p : "";
}

size_t yg__cmp_count(const struct yg_cmp_set *s)
{
    return s->nraw;
}

void yg__cmp_fail(struct yg_cmp_set *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->err, sizeof s->err, fmt, ap);
    va_end(ap);
}

void yg__cmp_warn(struct yg_cmp_set *s, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    /* Warnings are a report, capped by the buffer: one that does not fit is dropped. */
    if (yg_buf_add(&s->warn, line, strlen(line)) == YG_OK && yg_buf_addc(&s->warn, '\n') == YG_OK &&
        yg_buf_addc(&s->warn, '\0') == YG_OK)
        s->warn.n--; /* kept NUL-terminated for yg__cmp_warnings */
}

yg_err yg__cmp_list_add(struct yg_arena *a, struct cmp_list *l, const char *v)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        const char **nv = yg_realloc(l->v, cap * sizeof *nv);
        if (!nv)
            return YG_ENOMEM;
        l->v = nv, l->cap = cap;
    }
    char *c = yg_arena_strndup(a, v, strlen(v));
    if (!c)
        return YG_ENOMEM;
    l->v[l->n++] = c;
    return YG_OK;
}

struct cmp_raw *yg__cmp_raw_new(struct yg_cmp_set *s, const char *id, const char *origin)
{
    if (s->nraw >= YG_CMP_MAX_INCIDENTS) {
        yg__cmp_fail(s, "%s: more than %u incidents (the limit)", origin, YG_CMP_MAX_INCIDENTS);
        return NULL;
    }
    if (s->nraw == s->capraw) {
        size_t cap = s->capraw ? s->capraw * 2 : 64;
        struct cmp_raw *nr = yg_realloc(s->raw, cap * sizeof *nr);
        if (!nr) {
            yg__cmp_fail(s, "out of memory");
            return NULL;
        }
        s->raw = nr, s->capraw = cap;
    }
    struct cmp_raw *r = &s->raw[s->nraw];
    memset(r, 0, sizeof *r);
    r->id = yg_arena_strndup(&s->a, id, strlen(id));
    r->origin = yg_arena_strndup(&s->a, origin, strlen(origin));
    if (!r->id || !r->origin) {
        yg__cmp_fail(s, "out of memory");
        return NULL;
    }
    r->first_ms = r->created_ms = INT64_MAX;
    r->last_ms = INT64_MIN;
    s->nraw++;
    return r;
}

void yg__cmp_span(struct cmp_raw *r, int64_t a, int64_t b)
{
    if (a < r->first_ms)
        r->first_ms = a;
    if (b > r->last_ms)
        r->last_ms = b;
}

/* Lowercase copy of v[0..n) without blanks around it, into buf. */
static size_t lower_trim(const char *v, size_t n, char *buf, size_t cap)
{
    while (n && (*v == ' ' || *v == '\t' || *v == '\n' || *v == '\r'))
        v++, n--;
    while (n && (v[n - 1] == ' ' || v[n - 1] == '\t' || v[n - 1] == '\n' || v[n - 1] == '\r'))
        n--;
    if (n >= cap)
        n = cap - 1;
    for (size_t i = 0; i < n; i++)
        buf[i] = (char)yg_lc((unsigned char)v[i]);
    buf[n] = 0;
    return n;
}

/* An address feature: canonical, and only when it can be infrastructure. */
static bool addr_feature(struct yg_cmp_set *s, struct cmp_raw *r, const char *v, size_t n,
                         char *out, size_t cap)
{
    const char *slash = memchr(v, '/', n);
    struct yg_addr a;
    if (!yg__addr_parse(v, slash ? (size_t)(slash - v) : n,
                        YG_ADDR_TRIM | YG_ADDR_BRACKET | YG_ADDR_ZONE | YG_ADDR_UNMAP, &a))
        return false;
    const struct cmp_org *o = yg__cmp_org_by_addr(s, &a);
    if (o) {
        /* The victim's own address names the victim, not the attacker. */
        if (!r->org)
            r->org = o->name;
        return false;
    }
    if (yg__addr_reserved(&a))
        return false;
    size_t k = yg__addr_format(&a, out, cap);
    if (slash && k + (size_t)(v + n - slash) < cap) {
        memcpy(out + k, slash, (size_t)(v + n - slash));
        out[k + (size_t)(v + n - slash)] = 0;
    }
    return k > 0;
}

yg_err yg__cmp_feat(struct yg_cmp_set *s, struct cmp_raw *r, enum yg_cmp_kind k, const char *v,
                    size_t n)
{
    char buf[1024];
    if (!v || !n)
        return YG_OK;
    if (r->nfeat >= YG_CMP_MAX_FEATURES) {
        /* The first features stay; say so once per incident. */
        if (r->nfeat++ == YG_CMP_MAX_FEATURES)
            yg__cmp_warn(s, "%s: %s: more than %u features: the rest are left out", r->origin,
                         r->id, YG_CMP_MAX_FEATURES);
        return YG_OK;
    }
    if (k == YG_CMPF_IP) {
        if (!addr_feature(s, r, v, n, buf, sizeof buf))
            return YG_OK;
    } else {
        size_t m = lower_trim(v, n, buf, sizeof buf);
        if (k == YG_CMPF_DOMAIN && m && buf[m - 1] == '.')
            buf[--m] = 0;
        if (!m)
            return YG_OK;
        if (k == YG_CMPF_TECH || k == YG_CMPF_CVE)
            for (size_t i = 0; i < m; i++)
                if (buf[i] >= 'a' && buf[i] <= 'z')
                    buf[i] = (char)(buf[i] - 'a' + 'A');
        if (k == YG_CMPF_DOMAIN) {
            const struct cmp_org *o = yg__cmp_org_by_domain(s, buf);
            if (o) {
                if (!r->org)
                    r->org = o->name;
                return YG_OK;
            }
        }
    }
    r->nfeat++;
    return yg__cmp_list_add(&s->a, &r->f[k], buf);
}

static bool digits(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] < '0' || p[i] > '9')
            return false;
    return n > 0;
}

yg_err yg__cmp_tag(struct yg_cmp_set *s, struct cmp_raw *r, const char *v)
{
    size_t n = strlen(v);
    if (n > 7 && !strncmp(v, "attack.", 7))
        v += 7, n -= 7;
    if (n >= 5 && (v[0] == 't' || v[0] == 'T') && digits(v + 1, 4) &&
        (n == 5 || (n == 9 && v[5] == '.' && digits(v + 6, 3))))
        return yg__cmp_feat(s, r, YG_CMPF_TECH, v, n);
    if (n > 9 && (v[0] == 'c' || v[0] == 'C') && (v[1] == 'v' || v[1] == 'V') &&
        (v[2] == 'e' || v[2] == 'E') && (v[3] == '.' || v[3] == '-') && digits(v + 4, 4) &&
        v[8] == '-' && digits(v + 9, n - 9)) {
        char c[64];
        snprintf(c, sizeof c, "CVE-%.*s", (int)(n - 4), v + 4);
        return yg__cmp_feat(s, r, YG_CMPF_CVE, c, strlen(c));
    }
    return YG_OK;
}

int yg__cmp_strcmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

size_t yg__cmp_sort_unique(const char **v, size_t n)
{
    if (!n)
        return 0;
    qsort(v, n, sizeof *v, yg__cmp_strcmp);
    size_t k = 1;
    for (size_t i = 1; i < n; i++)
        if (strcmp(v[i], v[k - 1]))
            v[k++] = v[i];
    return k;
}

void yg__cmp_opts_default(struct yg_cmp_opts *o)
{
    o->threshold = 0.35;
    o->tech_floor = 0.5;
    o->tau_days = 365;
    o->phase_pen = 6;
    o->min_phase = 3;
    o->min_campaign = 2;
}

void yg__cmp_day(int64_t ms, char out[16])
{
    int64_t y;
    unsigned m, d;
    int64_t days = ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
    yg__civil_from_days(days, &y, &m, &d);
    snprintf(out, 16, "%04d-%02u-%02u", (int)y, m, d);
}
