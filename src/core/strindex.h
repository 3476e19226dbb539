/*
 * strindex.h - a sorted index from strings to numbers, built once and then
 * searched by halving.
 *
 * The compiler looks rules up by id or name many times over a set built
 * once: the filters naming a rule, the rules a correlation names.  A linear
 * scan per lookup made compiling n rules cost n * n; this index makes it
 * n log n with no hashing to get wrong.  Entries of one key keep their
 * values in ascending order, so "the first rule with this id" is the first
 * entry found.  Keys are borrowed: they must outlive the index.
 */
#ifndef YG_CORE_STRINDEX_H
#define YG_CORE_STRINDEX_H

#include "core/core.h"

struct yg_strindex_ent {
    const char *key;
    uint32_t val;
};

struct yg_strindex {
    struct yg_strindex_ent *e;
    size_t n, cap;
};

/* Room for cap entries.  YG_ENOMEM when it cannot be allocated. */
YG_NODISCARD yg_err yg__strindex_init(struct yg_strindex *x, size_t cap);
/* Adds (key, val); a NULL key is ignored, as is an entry past cap. */
void yg__strindex_add(struct yg_strindex *x, const char *key, uint32_t val);
/* Sorts by key, then value; call once after the last add, before finding. */
void yg__strindex_sort(struct yg_strindex *x);
/* The entries of key are e[*at .. *at + returned count), values ascending. */
size_t yg__strindex_find(const struct yg_strindex *x, const char *key, size_t *at);
void yg__strindex_free(struct yg_strindex *x);

#endif
