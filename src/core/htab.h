/*
 * htab.h - the hash table: byte-string keys to 32-bit values.
 *
 * Most tables of the engine map a name to the index of a row the caller
 * keeps in its own array (a field, a tally row, a member name), so this one
 * does exactly that, once: open addressing with linear probing over a
 * power-of-two array, at most half full (so probes stay short), growing by
 * doubling.  Each slot keeps 32 bits of the key's yg_hash, which skips most
 * key comparisons and makes growing a pass without rehashing.
 *
 * Keys are not copied: each must stay valid and unchanged while it is in
 * the table (the callers' arenas or rows own them).  A zeroed struct is an
 * empty table.  With icase set (before the first add), keys are compared
 * and hashed with ASCII letters folded to lowercase (yg_str_ieq), for names
 * that are case-insensitive like Sigma's field names.  Not thread-safe for writers; any number of
 * readers may share a table nobody changes.
 */
#ifndef YG_CORE_HTAB_H
#define YG_CORE_HTAB_H

#include "core/core.h"

struct yg_htab_slot {
    const char *k; /* NULL: empty */
    size_t n;
    uint32_t h; /* low 32 bits of yg_hash(k, n) */
    uint32_t v;
};

struct yg_htab {
    struct yg_htab_slot *slot;
    size_t n, cap; /* entries; slots (0 or a power of two) */
    bool icase;    /* ASCII case-insensitive keys; set while the table is empty */
};

/* The value of k[0..n) in *v; false when absent. */
bool yg__htab_get(const struct yg_htab *t, const char *k, size_t n, uint32_t *v);
/* Add k[0..n) -> v unless k is there: then *v gets the value it has and
 * *added is false.  YG_ENOMEM when the table cannot grow (it is unchanged). */
YG_NODISCARD yg_err yg__htab_add(struct yg_htab *t, const char *k, size_t n, uint32_t *v,
                                 bool *added);
/* Remove every entry, keeping the slots (and icase). */
void yg__htab_clear(struct yg_htab *t);
void yg__htab_free(struct yg_htab *t);

#endif
