/*
 * keyset.h - the member names of one JSON object, to refuse a name given twice.
 *
 * RFC 8259 says names within an object SHOULD be unique and leaves repeated
 * names to the reader: some keep the first, others the last.  A document
 * with {"object_marking_refs": [green], "object_marking_refs": [red]} then
 * says TLP:GREEN to one consumer and TLP:RED to the next, so every JSON
 * Yagura accepts from outside (TAXII bodies, STIX, MISP and intelligence
 * files) is refused when an object repeats a name.  The event scanner
 * (decode/json.c) is not concerned: log records are data, not instructions.
 *
 * Up to YG_KEYSET_SMALL names are compared linearly without allocating;
 * beyond that an open-addressing table keeps each insertion O(1), so an
 * object of a hundred thousand members costs no quadratic scan.  The set
 * keeps pointers to the names, which must outlive it (the parsers' arenas).
 */
#ifndef YG_CORE_KEYSET_H
#define YG_CORE_KEYSET_H

#include "core/core.h"
#include "core/htab.h"

#define YG_KEYSET_SMALL 8

struct yg_keyset_ent {
    const char *k;
    size_t n;
};

struct yg_keyset {
    struct yg_keyset_ent small[YG_KEYSET_SMALL];
    size_t n;           /* names in small; past YG_KEYSET_SMALL, all are in big */
    struct yg_htab big; /* empty while n <= YG_KEYSET_SMALL */
};

/* An empty set (a zeroed struct is one too). */
void yg__keyset_init(struct yg_keyset *s);
/* Adds k[0..n); *dup is true, and the set unchanged, when it was already
 * there.  YG_ENOMEM when the table cannot grow. */
YG_NODISCARD yg_err yg__keyset_add(struct yg_keyset *s, const char *k, size_t n, bool *dup);
void yg__keyset_free(struct yg_keyset *s);

/* "duplicate key 'NAME'" into out (NUL-terminated, truncated to cap), with
 * control bytes of the name shown as '?' so the message is safe to log. */
void yg__keyset_dup_msg(char *out, size_t cap, const char *k, size_t n);

#endif
