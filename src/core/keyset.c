/*
 * keyset.c - member-name sets for the JSON readers (see keyset.h).
 */
#include "core/keyset.h"

#include <stdio.h>

void yg__keyset_init(struct yg_keyset *s)
{
    memset(s, 0, sizeof *s);
}

yg_err yg__keyset_add(struct yg_keyset *s, const char *k, size_t n, bool *dup)
{
    *dup = false;
    uint32_t v = 0;
    bool added;
    if (s->n <= YG_KEYSET_SMALL) {
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
        /* The ninth name: every name moves to the table. */
        for (size_t i = 0; i < s->n; i++) {
            yg_err err = yg__htab_add(&s->big, s->small[i].k, s->small[i].n, &v, &added);
            if (err) {
                yg__htab_free(&s->big);
                return err;
            }
        }
    }
    yg_err err = yg__htab_add(&s->big, k, n, &v, &added);
    if (err)
        return err;
    *dup = !added;
    if (added)
        s->n++;
    return YG_OK;
}

void yg__keyset_free(struct yg_keyset *s)
{
    yg__htab_free(&s->big);
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
