/*
 * json.h - a zero-copy JSON scanner that flattens a document into leaves.
 *
 * The scanner walks one JSON value and reports each object key and each
 * leaf value to a sink.  Keys are reported relative to their parent path
 * id, so the sink can keep a trie of paths it has seen and never build a
 * dotted string on the hot path.  Array elements keep the path of the array
 * (`{"a":[1,2]}` gives two leaves on path `a`), which is how Sigma sees
 * multi-valued fields.
 *
 * Strings without escapes are reported as views into the input; strings
 * with escapes are decoded into the caller's arena.  Invalid UTF-8 is passed
 * through unchanged (it is data, and matching treats it as bytes).
 */
#ifndef YG_DECODE_JSON_H
#define YG_DECODE_JSON_H

#include "core/core.h"
#include "decode/event.h"

struct yg_json_sink {
    void *ud;
    /* A key inside the object at path `parent` (-1: the root); returns the
     * path id of the child, or a negative value to ignore the subtree. */
    int32_t (*key)(void *ud, int32_t parent, const char *k, size_t kn);
    /* A leaf at path (never negative). Empty objects/arrays are leaves of
     * type YG_VT_OBJ. */
    void (*leaf)(void *ud, int32_t path, const struct yg_val *v);
    /* Optional.  Records of one shape repeat their keys in the same order,
     * so the sink may guess the next key inside the object at `parent`:
     * its path id, with *k and *kn its bytes, which must need no escape (no
     * '"', '\\' or control byte) and be readable for at least 16 bytes (the
     * scanner compares them sixteen at a time), or a negative value for no
     * guess.  The
     * sink may assume the guess is taken: when the input's key is another,
     * the scanner calls key() for it, which then undoes that assumption.
     * A key guessed right costs a comparison instead of a string scan and
     * a lookup. */
    int32_t (*guess)(void *ud, int32_t parent, const char **k, size_t *kn);
};

struct yg_json_err {
    size_t offset;   /* byte offset of the problem within the input */
    const char *msg; /* static string: what was expected */
    /* Not an error: set when a key or string wrote an ASCII character as an
     * escape (`\/`, `\u0041`), which a scan of the raw bytes for that
     * character would miss (match/prefilter.c). */
    bool hides;
};

/*
 * Scan one value at buf[0..len) (leading whitespace allowed).  *used gets
 * the offset just past the value.  Returns YG_ESYNTAX (with e filled) on
 * malformed input, YG_ELIMIT when nesting exceeds YG_MAX_JSON_DEPTH.
 */
YG_NODISCARD yg_err yg__json_scan(const char *buf, size_t len, size_t *used,
                                  const struct yg_json_sink *sink, struct yg_arena *a,
                                  struct yg_json_err *e);

#endif
