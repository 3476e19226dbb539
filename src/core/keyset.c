/*
 * keyset.c - member-name sets for the JSON readers (see keyset.h).
 */
#include "core/keyset.h"

#include <stdio.h>

void yg__keyset_init(struct yg_keyset *s)
{
    memset(s, 0, sizeof *s);
}

static void put(struct yg_keyset_ent *slot, size_t cap, const char *k, size_t n)
{
    size_t i = (size_t)yg_hash(k, n) & (cap - 1);
    while (slot[i].k)
        i = (i + 1) & (cap - 1);
    slot[i].k = k;
    slot[i].n = n;
}

static yg_err grow(struct yg_keyset *s)
{
    size_t cap = s->cap ? s->cap * 2 : 4 * YG_KEYSET_SMALL;
    struct yg_keyset_ent *ns = yg_calloc(cap, sizeof *ns);
    if (!ns)
        return YG_ENOMEM;
    if (s->slot) {
        for (size_t i = 0; i < s->cap; i++)
            if (s->slot[i].k)
                put(ns, cap, s->slot[i].k, s->slot[i].n);
    } else {
        for (size_t i = 0; i < s->n; i++)
            put(ns, cap, s->small[i].k, s->small[i].n);
    }
    yg_free(s->slot);
    s->slot = ns;
    s->cap = cap;
    return YG_OK;
}

yg_err yg__keyset_add(struct yg_keyset *s, const char *k, size_t n, bool *dup)
{
    *dup = false;
    if (!s->slot) {
        for (size_t i = 0; i < s->n; i++)
            if (s->small[i].n == n && memcmp(s->small[i].k, k, n) == 0) {
                *dup = true;
                return YG_OK;
            }
        if (s->n < YG_KEYSET_SMALL) {
            s->small[s->n].k = k;
            s->small[s->n].n = n;
            s->n++;
            return YG_OK;
        }
        yg_err err = grow(s);
        if (err)
            return err;
    } else {
        size_t i = (size_t)yg_hash(k, n) & (s->cap - 1);
        for (; s->slot[i].k; i = (i + 1) & (s->cap - 1))
            if (s->slot[i].n == n && memcmp(s->slot[i].k, k, n) == 0) {
                *dup = true;
                return YG_OK;
            }
    }
    /* Load kept at or under one half so probes stay short. */
    if ((s->n + 1) * 2 > s->cap) {
        yg_err err = grow(s);
        if (err)
            return err;
    }
    put(s->slot, s->cap, k, n);
    s->n++;
    return YG_OK;
}

void yg__keyset_free(struct yg_keyset *s)
{
    yg_free(s->slot);
    memset(s, 0, sizeof *s);
}

void yg__keyset_dup_msg(char *out, size_t cap, const char *k, size_t n)
{
    enum { SHOWN = 64 };
    char name[SHOWN + 4];
    size_t m = n > SHOWN ? SHOWN : n;
    for (size_t i = 0; i < m; i++) {
        unsigned char c = (unsigned char)k[i];
        name[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
    }
    if (m < n)
        memcpy(name + m, "...", 3), m += 3;
    name[m] = 0;
    snprintf(out, cap, "duplicate key '%s'", name);
}
