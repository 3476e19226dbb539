/*
 * strindex.c - sorted string index (strindex.h).
 */
#include "core/strindex.h"

#include <stdlib.h>

yg_err yg__strindex_init(struct yg_strindex *x, size_t cap)
{
    x->n = 0;
    x->cap = cap;
    x->e = yg_calloc(cap + 1, sizeof *x->e);
    return x->e ? YG_OK : YG_ENOMEM;
}

void yg__strindex_add(struct yg_strindex *x, const char *key, uint32_t val)
{
    if (key && x->n < x->cap)
        x->e[x->n++] = (struct yg_strindex_ent){key, val};
}

static int ent_cmp(const void *a, const void *b)
{
    const struct yg_strindex_ent *p = a, *q = b;
    int c = strcmp(p->key, q->key);
    return c ? c : (p->val > q->val) - (p->val < q->val);
}

void yg__strindex_sort(struct yg_strindex *x)
{
    if (x->n > 1)
        qsort(x->e, x->n, sizeof *x->e, ent_cmp);
}

size_t yg__strindex_find(const struct yg_strindex *x, const char *key, size_t *at)
{
    size_t lo = 0, hi = x->n;
    *at = 0;
    if (!key)
        return 0;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(x->e[mid].key, key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *at = lo;
    size_t k = lo;
    while (k < x->n && strcmp(x->e[k].key, key) == 0)
        k++;
    return k - lo;
}

void yg__strindex_free(struct yg_strindex *x)
{
    yg_free(x->e);
    memset(x, 0, sizeof *x);
}
