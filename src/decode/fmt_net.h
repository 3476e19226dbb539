/*
 * fmt_net.h - helpers shared by the web server and network sensor formats
 * (fmt_w3c.c, fmt_combined.c, fmt_zeek.c, fmt_zeek_json.c, fmt_suricata.c).
 *
 * Two things these formats have in common live here:
 *
 *  - Text log writers (Apache, nginx, Zeek's ASCII writer) protect their
 *    separators with backslash escapes.  yg__json_str_unesc() undoes the
 *    escapes of printable characters while writing the JSON string, so a
 *    rule sees `"` where Apache wrote `\"` and nginx wrote `\x22`, but a
 *    control byte stays the four characters `\x00` (the spelling Zeek's
 *    JSON writer uses and SigmaHQ's Zeek rules match on).
 *  - Zeek JSON and Suricata EVE are one JSON object per line whose nested
 *    objects become dotted keys (yg__json_flatten).  The flattener copies
 *    the already-escaped string bytes instead of decoding and re-encoding
 *    them, so it needs no scratch memory and no per-file state.
 */
#ifndef YG_DECODE_FMT_NET_H
#define YG_DECODE_FMT_NET_H

#include "decode/format.h"
#include "core/jsonstr.h"

/* Append n bytes: the inline fast path of yg_buf_add for the many small
 * pieces of a record (the buffer's NUL terminator is restored by the last
 * yg_buf_addc of the record). */
static inline yg_err yg__put(struct yg_buf *b, const void *p, size_t n)
{
    if (YG_LIKELY(b->cap - b->n > n && b->n + n <= b->toobig)) {
        memcpy(b->p + b->n, p, n);
        b->n += n;
        return YG_OK;
    }
    return yg_buf_add(b, p, n);
}

static inline yg_err yg__putc(struct yg_buf *b, char c)
{
    if (YG_LIKELY(b->cap - b->n > 1 && b->n < b->toobig)) {
        b->p[b->n++] = c;
        return YG_OK;
    }
    return yg_buf_addc(b, c);
}

/* The JSON string writers (yg__json_body, yg__json_str_unesc) are in
 * core/jsonstr.h. */

/* ---- JSON lines flattened to dotted keys -------------------------------- */

struct yg_json_flatten {
    /* Called for every string value directly under the root object (raw
     * bytes between the quotes, escapes not decoded); may be NULL. */
    void (*root_str)(void *ud, const char *k, size_t kn, const char *v, size_t vn);
    /* Gives the name to write for a key directly under the root object, or
     * NULL to keep it; may be NULL. */
    const char *(*root_rename)(const char *k, size_t kn);
    void *ud;
};

/*
 * Flatten the JSON object in line[0..n) into one flat JSON object appended
 * to out: nested objects become dotted keys (`{"a":{"b":1}}` -> `"a.b"`),
 * every scalar becomes a JSON string of its text, an array of scalars stays
 * an array of strings, null values are left out (Sigma's `null` is an absent
 * field), and the leaves of an array of objects repeat their key once per
 * element (the engine reads repeated keys as one field with several values,
 * exactly like the original array).  Only whitespace may surround the
 * object.  YG_ESYNTAX or YG_ELIMIT: e says where (1-based byte column) and
 * why, and out is as it was.
 */
YG_NODISCARD yg_err yg__json_flatten(const char *line, size_t n, struct yg_buf *out,
                                     const struct yg_json_flatten *how, struct yg_decode_err *e);

/* ---- Zeek ----------------------------------------------------------------- */

/* The static name of the Zeek log `path` (`conn`, `dns`, ...), or "unknown"
 * for a log type Yagura does not list. */
const char *yg__zeek_service(const char *path, size_t n);

/* Zeek writes record fields as `id.orig_h`; with Log::default_scope_sep set
 * to "_" (as in the OTRF data sets) the same field is `id_orig_h`.  Returns
 * the dotted name for such a field of Zeek's standard logs, else NULL. */
const char *yg__zeek_dotted(const char *k, size_t kn);

/* The Sigma category a Zeek log also serves, or NULL (dns -> "dns"). */
const char *yg__zeek_category(const char *service);

#endif
