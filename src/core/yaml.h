/*
 * yaml.h - a YAML document as a small tree with source positions.
 *
 * libyaml's event parser feeds a tree of yg_ynode; every node keeps the line
 * and column where it starts so that rule diagnostics can point at it.
 * Scalars keep their style: a plain `4688` is a number while `'4688'` is a
 * string, and plain `null`, `~`, `true` and `false` are typed as YAML 1.2
 * core schema says.  The tree is allocated in an arena owned by the caller.
 */
#ifndef YG_CORE_YAML_H
#define YG_CORE_YAML_H

#include "core/core.h"
#include "core/errmsg.h"

enum yg_ytype { YG_Y_SCALAR, YG_Y_SEQ, YG_Y_MAP };

/* What a scalar is, by YAML 1.2 core schema rules on plain scalars. */
enum yg_skind {
    YG_S_STR,   /* quoted, block, or plain text that is none of the below */
    YG_S_INT,   /* plain decimal/hex/octal integer */
    YG_S_FLOAT, /* plain float */
    YG_S_BOOL,  /* plain true/false (any case) */
    YG_S_NULL,  /* plain null, ~, or empty plain scalar */
};

struct yg_ynode {
    enum yg_ytype type;
    enum yg_skind skind; /* scalars only */
    unsigned line, col;  /* 1-based position of the node's first character */
    const char *s;       /* scalar text, NUL-terminated (arena) */
    size_t slen;
    size_t n;                /* children: seq items, or map pairs */
    struct yg_ynode **items; /* seq: n items; map: 2n (key, value) */
};

/* One parsed document of a multi-document stream. */
struct yg_ydoc {
    struct yg_ynode *root; /* NULL for an empty document */
    unsigned line;         /* where the document starts */
};

/*
 * Parse every document of text (len bytes) into docs (arena allocated).
 * On a syntax error returns YG_ESYNTAX with eline, ecol and why set; documents
 * before the bad one are still returned in docs and ndocs.
 */
YG_NODISCARD yg_err yg__yaml_parse(const char *text, size_t len, struct yg_arena *a,
                                   struct yg_ydoc **docs, size_t *ndocs, unsigned *eline,
                                   unsigned *ecol, struct yg_errmsg *why);

/* Map lookup by key (exact); NULL if absent or node is not a map. */
const struct yg_ynode *yg__ymap_get(const struct yg_ynode *map, const char *key);

#endif
