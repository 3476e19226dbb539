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
 * Input is hostile: nesting is capped at YG_MAX_JSON_DEPTH, the number of
 * nodes at YG_TAXII_MAX_JSON_NODES, and every byte must be well-formed JSON
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

/* Member of an object by key (names are unique, see above); NULL if absent or
 * o is not an object. */
const struct yg_tj *yg__tj_get(const struct yg_tj *o, const char *key);
/* The string value of member key, or NULL when absent or not a string. */
const char *yg__tj_str(const struct yg_tj *o, const char *key);

#endif
