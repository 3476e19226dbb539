/*
 * core.c - allocation with fault injection, arenas, capped buffers, string
 * helpers and a fast non-cryptographic hash.
 */
#include "core.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static long fail_after; /* 0: never fail; n: the n-th call fails */

void yg__alloc_fail_after(long n)
{
    fail_after = n;
}

static bool should_fail(void)
{
    if (fail_after <= 0)
        return false;
    if (--fail_after == 0)
        return true;
    return false;
}

void *yg_malloc(size_t n)
{
    if (should_fail())
        return NULL;
    return malloc(n ? n : 1);
}

void *yg_calloc(size_t n, size_t sz)
{
    if (should_fail())
        return NULL;
    return calloc(n ? n : 1, sz ? sz : 1);
}

void *yg_realloc(void *p, size_t n)
{
    if (should_fail())
        return NULL;
    return realloc(p, n ? n : 1);
}

void yg_free(void *p)
{
    free(p);
}

char *yg_strndup(const char *s, size_t n)
{
    char *d = yg_malloc(n + 1);
    if (!d)
        return NULL;
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}

/* ---- strings --------------------------------------------------------- */

const unsigned char yg__lower[256] = {
#define R(i) (unsigned char)((i) >= 'A' && (i) <= 'Z' ? (i) + 32 : (i))
#define R4(i) R(i), R(i + 1), R(i + 2), R(i + 3)
#define R16(i) R4(i), R4(i + 4), R4(i + 8), R4(i + 12)
#define R64(i) R16(i), R16(i + 16), R16(i + 32), R16(i + 48)
    R64(0), R64(64), R64(128), R64(192)
#undef R64
#undef R16
#undef R4
#undef R
};

bool yg_str_ieq(const char *a, size_t an, const char *b, size_t bn)
{
    if (an != bn)
        return false;
    for (size_t i = 0; i < an; i++)
        if (yg__lower[(unsigned char)a[i]] != yg__lower[(unsigned char)b[i]])
            return false;
    return true;
}

const char *yg_memimem(const char *hay, size_t hn, const char *lneedle, size_t nn)
{
    if (nn == 0)
        return hay;
    if (nn > hn)
        return NULL;
    unsigned char f = (unsigned char)lneedle[0];
    unsigned char fu = (f >= 'a' && f <= 'z') ? (unsigned char)(f - 32) : f;
    const char *end = hay + (hn - nn) + 1;
    const char *p = hay;
    while (p < end) {
        /* memchr on both cases of the first byte keeps this fast. */
        const char *q1 = memchr(p, f, (size_t)(end - p));
        const char *q2 = fu != f ? memchr(p, fu, (size_t)(q1 ? q1 - p : end - p)) : NULL;
        const char *q = q2 ? q2 : q1;
        if (!q)
            return NULL;
        size_t i = 1;
        while (i < nn && yg__lower[(unsigned char)q[i]] == (unsigned char)lneedle[i])
            i++;
        if (i == nn)
            return q;
        p = q + 1;
    }
    return NULL;
}

/* ---- hash (wyhash-style mixing, public domain idea) -------------------- */

static inline uint64_t mix(uint64_t a, uint64_t b)
{
    __uint128_t r = (__uint128_t)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

uint64_t yg_hash(const void *data, size_t n)
{
    const unsigned char *p = data;
    uint64_t h = 0x9E3779B97F4A7C15ull ^ (n * 0xa0761d6478bd642full);
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        h = mix(h ^ v, 0xe7037ed1a0b428dbull);
        p += 8;
        n -= 8;
    }
    uint64_t v = 0;
    memcpy(&v, p, n);
    h = mix(h ^ v ^ 0x8ebc6af09c88c6e3ull, 0x589965cc75374cc3ull);
    return h ^ (h >> 29);
}

/* ---- arena ------------------------------------------------------------ */

struct yg_arena_block {
    struct yg_arena_block *next;
    size_t size, off;
    _Alignas(16) unsigned char data[];
};

void yg_arena_init(struct yg_arena *a, size_t block_size, size_t cap)
{
    memset(a, 0, sizeof *a);
    a->block_size = block_size ? block_size : 65536;
    a->cap = cap;
}

void *yg_arena_alloc(struct yg_arena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    struct yg_arena_block *b = a->head;
    if (YG_LIKELY(b && b->size - b->off >= n)) {
        void *r = b->data + b->off;
        b->off += n;
        return r;
    }
    /* Reuse a kept block if it is large enough, else allocate. */
    struct yg_arena_block **pp = &a->free;
    while (*pp && (*pp)->size < n)
        pp = &(*pp)->next;
    if (*pp) {
        b = *pp;
        *pp = b->next;
    } else {
        size_t sz = n > a->block_size ? n : a->block_size;
        if (a->cap && a->used + sz > a->cap)
            return NULL;
        b = yg_malloc(sizeof *b + sz);
        if (!b)
            return NULL;
        b->size = sz;
        a->used += sz;
    }
    b->off = n;
    b->next = a->head;
    a->head = b;
    return b->data;
}

void yg_arena_shrink(struct yg_arena *a, void *p, size_t n, size_t keep)
{
    struct yg_arena_block *b = a->head;
    n = (n + 15) & ~(size_t)15;
    keep = (keep + 15) & ~(size_t)15;
    if (b && keep <= n && (unsigned char *)p + n == b->data + b->off)
        b->off -= n - keep;
}

char *yg_arena_strndup(struct yg_arena *a, const char *s, size_t n)
{
    char *d = yg_arena_alloc(a, n + 1);
    if (!d)
        return NULL;
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}

void yg_arena_reset(struct yg_arena *a)
{
    while (a->head) {
        struct yg_arena_block *b = a->head;
        a->head = b->next;
        b->off = 0;
        b->next = a->free;
        a->free = b;
    }
}

void yg_arena_free(struct yg_arena *a)
{
    yg_arena_reset(a);
    while (a->free) {
        struct yg_arena_block *b = a->free;
        a->free = b->next;
        yg_free(b);
    }
    a->used = 0;
}

/* ---- dynbuf ----------------------------------------------------------- */

void yg_buf_init(struct yg_buf *b, size_t toobig)
{
    b->p = NULL;
    b->n = b->cap = 0;
    b->toobig = toobig ? toobig : ((size_t)1 << 40);
}

yg_err yg_buf_reserve(struct yg_buf *b, size_t extra)
{
    if (extra > b->toobig || b->n > b->toobig - extra)
        return YG_ELIMIT;
    size_t need = b->n + extra + 1;
    if (need <= b->cap)
        return YG_OK;
    size_t nc = b->cap ? b->cap : 256;
    while (nc < need)
        nc *= 2;
    char *np = yg_realloc(b->p, nc);
    if (!np)
        return YG_ENOMEM;
    b->p = np;
    b->cap = nc;
    return YG_OK;
}

yg_err yg_buf_add(struct yg_buf *b, const void *p, size_t n)
{
    yg_err err = yg_buf_reserve(b, n);
    if (err)
        return err;
    if (n)
        memcpy(b->p + b->n, p, n);
    b->n += n;
    b->p[b->n] = 0;
    return YG_OK;
}

yg_err yg_buf_addc(struct yg_buf *b, char c)
{
    if (YG_LIKELY(b->n + 2 <= b->cap)) {
        b->p[b->n++] = c;
        b->p[b->n] = 0;
        return YG_OK;
    }
    return yg_buf_add(b, &c, 1);
}

yg_err yg_buf_addf(struct yg_buf *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int r = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (r < 0)
        return YG_EINVAL;
    if ((size_t)r < sizeof tmp)
        return yg_buf_add(b, tmp, (size_t)r);
    yg_err err = yg_buf_reserve(b, (size_t)r);
    if (err)
        return err;
    va_start(ap, fmt);
    vsnprintf(b->p + b->n, (size_t)r + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)r;
    return YG_OK;
}

void yg_buf_reset(struct yg_buf *b)
{
    b->n = 0;
    if (b->p)
        b->p[0] = 0;
}

void yg_buf_free(struct yg_buf *b)
{
    yg_free(b->p);
    b->p = NULL;
    b->n = b->cap = 0;
}

char *yg_buf_take(struct yg_buf *b, size_t *n)
{
    if (!b->p && yg_buf_reserve(b, 0) != YG_OK)
        return NULL;
    char *p = b->p;
    if (n)
        *n = b->n;
    b->p = NULL;
    b->n = b->cap = 0;
    return p;
}

/* ---- files ------------------------------------------------------------ */

yg_err yg_file_read(const char *path, size_t max, char **out, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return errno == ENOENT ? YG_ENOTFOUND : YG_EIO;
    struct yg_buf b;
    yg_buf_init(&b, max);
    yg_err err = YG_OK;
    char tmp[65536];
    size_t r;
    while ((r = fread(tmp, 1, sizeof tmp, f)) > 0)
        if ((err = yg_buf_add(&b, tmp, r)))
            break;
    if (!err && ferror(f))
        err = YG_EIO;
    fclose(f);
    if (err) {
        yg_buf_free(&b);
        return err;
    }
    *out = yg_buf_take(&b, n);
    return *out ? YG_OK : YG_ENOMEM;
}

/* ---- errors ----------------------------------------------------------- */

const char *yg_strerror(yg_err e)
{
    switch (e) {
    case YG_OK: return "success";
    case YG_ENOMEM: return "out of memory or memory cap reached";
    case YG_EIO: return "input/output error";
    case YG_EINVAL: return "invalid argument";
    case YG_ESYNTAX: return "syntax error";
    case YG_EUNSUPPORTED: return "unsupported feature";
    case YG_ELIMIT: return "limit exceeded";
    case YG_ENOTFOUND: return "not found";
    case YG_EREGEX: return "invalid regular expression";
    case YG_ESTATE: return "invalid state for this call";
    case YG_EOF: return "end of input";
    case YG_ECORRUPT: return "corrupt input";
    }
    return "unknown error";
}

#include "yagura/version.h"
const char *yg_version(void)
{
    return YG_VERSION_STRING;
}
