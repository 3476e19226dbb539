/*
 * htab.c - the hash table (htab.h).
 */
#include "core/htab.h"

/* The 32 bits of k's hash the slots keep: of the lowercased bytes with
 * icase (FNV-1a, folding as it goes, so no copy is made). */
static uint32_t hkey(const struct yg_htab *t, const char *k, size_t n)
{
    if (!t->icase)
        return (uint32_t)yg_hash(k, n);
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ yg_lc((unsigned char)k[i])) * 1099511628211ull;
    return (uint32_t)(h ^ (h >> 32));
}

static bool same(const struct yg_htab *t, const struct yg_htab_slot *s, const char *k, size_t n)
{
    if (s->n != n)
        return false;
    return t->icase ? yg_str_ieq(s->k, s->n, k, n) : memcmp(s->k, k, n) == 0;
}

/* The slot of k (its own, or the empty one where it would go). */
static size_t find(const struct yg_htab *t, const char *k, size_t n, uint32_t h)
{
    size_t mask = t->cap - 1, i = h & mask;
    for (; t->slot[i].k; i = (i + 1) & mask)
        if (t->slot[i].h == h && same(t, &t->slot[i], k, n))
            break;
    return i;
}

bool yg__htab_get(const struct yg_htab *t, const char *k, size_t n, uint32_t *v)
{
    if (!t->n)
        return false;
    size_t i = find(t, k, n, hkey(t, k, n));
    if (!t->slot[i].k)
        return false;
    *v = t->slot[i].v;
    return true;
}

static yg_err grow(struct yg_htab *t)
{
    size_t cap = t->cap ? t->cap * 2 : 16;
    if (cap > SIZE_MAX / sizeof *t->slot)
        return YG_ENOMEM;
    struct yg_htab_slot *ns = yg_calloc(cap, sizeof *ns);
    if (!ns)
        return YG_ENOMEM;
    for (size_t i = 0; i < t->cap; i++)
        if (t->slot[i].k) {
            size_t j = t->slot[i].h & (cap - 1);
            while (ns[j].k)
                j = (j + 1) & (cap - 1);
            ns[j] = t->slot[i];
        }
    yg_free(t->slot);
    t->slot = ns;
    t->cap = cap;
    return YG_OK;
}

yg_err yg__htab_add(struct yg_htab *t, const char *k, size_t n, uint32_t *v, bool *added)
{
    uint32_t h = hkey(t, k, n);
    *added = false;
    if (t->cap) {
        size_t i = find(t, k, n, h);
        if (t->slot[i].k) {
            *v = t->slot[i].v;
            return YG_OK;
        }
    }
    if ((t->n + 1) * 2 > t->cap) {
        yg_err err = grow(t);
        if (err)
            return err;
    }
    size_t i = find(t, k, n, h);
    t->slot[i] = (struct yg_htab_slot){k, n, h, *v};
    t->n++;
    *added = true;
    return YG_OK;
}

void yg__htab_clear(struct yg_htab *t)
{
    if (t->slot)
        memset(t->slot, 0, t->cap * sizeof *t->slot);
    t->n = 0;
}

void yg__htab_free(struct yg_htab *t)
{
    yg_free(t->slot);
    memset(t, 0, sizeof *t);
}
