/*
 * tjson.h - a small JSON tree for files and requests (TAXII envelopes, STIX
 * objects, alerts read back for export, OTLP/HTTP request bodies).
 *
 * The decode/json.c scanner flattens documents into leaves for matching;
 * TAXII needs the opposite: walk an envelope, pick properties of each
 * object by name, and keep each object's exact text to store it.  So every
 * node here records its byte span in the input (start, end) besides its
 * value.  Strings are decoded (escapes resolved, \u surrogate pairs joined
 * into UTF-8) into the arena; numbers keep their text.
 *
 * This is the one JSON tree of the engine: the intel loaders (STIX
 * bundles, MISP events and feeds) read through it too, one value at a time
 * (struct yg_tjp below).  Tokens come from core/jsonlex.c, shared with the
 * event scanner.
 *
 * Input is hostile: nesting is capped at YG_MAX_JSON_DEPTH, the number of
 * nodes at YG_TAXII_MAX_JSON_NODES (or the caller's cap, see struct
 * yg_tjp), and every byte must be well-formed JSON
 * (RFC 8259; trailing content is an error).  An object that repeats a
 * member name is refused ("duplicate key 'NAME'" at the repeated name):
 * readers disagree on which copy counts, so the first one this tree would
 * check (a TLP marking, say) need not be the one a consumer acts on.  All memory comes from the
 * caller's arena and lives as long as it.
 */
#ifndef YG_CORE_TJSON_H
#define YG_CORE_TJSON_H

#include "core/core.h"

enum yg_tj_type { YG_TJ_NULL, YG_TJ_BOOL, YG_TJ_NUM, YG_TJ_STR, YG_TJ_ARR, YG_TJ_OBJ };

struct yg_tj {
    enum yg_tj_type type;
    bool b;
    const char *s; /* strings: decoded, NUL-terminated; numbers: their text */
    size_t sn;
    size_t start, end; /* span of the value in the input */
    size_t n;          /* children */
    struct yg_tj **kids;
    const char **keys; /* objects: decoded key of each child */
};

/* Parse buf[0..len) as one JSON value.  On YG_ESYNTAX/YG_ELIMIT, *eoff gets
 * the byte offset of the problem and *emsg a static description. */
YG_NODISCARD yg_err yg__tj_parse(const char *buf, size_t len, struct yg_arena *a,
                                 struct yg_tj **out, size_t *eoff, const char **emsg);

/* A parse in progress, for a reader that walks the outer layer of a large
 * document itself and builds a tree per element, resetting its arena in
 * between, so memory stays that of one element (the intel loaders). */
struct yg_tjp {
    const char *p;
    size_t len, pos;
    struct yg_arena *a;
    size_t nodes;     /* values parsed so far (the caller may reset it) */
    size_t max_nodes; /* cap on nodes; 0: YG_TAXII_MAX_JSON_NODES */
    const char *err;  /* after an error: what was expected or went wrong */
    size_t err_off;   /* and the byte offset of the problem */
};

/* Parse one value at pp->pos (whitespace first), leaving pos just after it;
 * trailing content is the caller's business.  YG_ESYNTAX / YG_ELIMIT set
 * pp->err and pp->err_off. */
YG_NODISCARD yg_err yg__tj_value(struct yg_tjp *pp, struct yg_tj **out);
/* Skip whitespace at pp->pos. */
void yg__tj_ws(struct yg_tjp *pp);
/* The 1-based line and column of pp->err_off, for messages. */
void yg__tj_errpos(const struct yg_tjp *pp, unsigned *line, unsigned *col);

/* Member of an object by key (names are unique, see above); NULL if absent or
 * o is not an object. */
const struct yg_tj *yg__tj_get(const struct yg_tj *o, const char *key);
/* Child i of v when v is of type `type` and i < v->n, else NULL, for loops
 * over the members or elements of a value that may be missing or of
 * another type: for (size_t i = 0; (k = yg__tj_kid(v, YG_TJ_ARR, i)); i++). */
static inline const struct yg_tj *yg__tj_kid(const struct yg_tj *v, enum yg_tj_type type, size_t i)
{
    return v && v->type == type && i < v->n ? v->kids[i] : NULL;
}
/* The string value of member key, or NULL when absent or not a string. */
const char *yg__tj_str(const struct yg_tj *o, const char *key);

#endif
