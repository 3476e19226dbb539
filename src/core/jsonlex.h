/*
 * jsonlex.h - the JSON tokens, read one way for every JSON reader.
 *
 * The engine reads JSON in three shapes: the zero-copy event scanner
 * (decode/json.c, the hot path), the tree for files and requests
 * (core/tjson.c, also under the intel loaders) and the Zeek/Suricata
 * flattener (decode/fmt_net.c), which re-emits strings as they were
 * escaped.  The shapes differ; the tokens do not, so whitespace, numbers,
 * string bodies (validation and unescaping) are read here once, with the
 * same errors everywhere (RFC 8259).
 */
#ifndef YG_CORE_JSONLEX_H
#define YG_CORE_JSONLEX_H

#include "core/core.h"

/* Index of the first byte at or after i that is not JSON whitespace. */
static inline size_t yg__jlex_ws(const char *b, size_t i, size_t n)
{
    while (i < n && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r'))
        i++;
    return i;
}

static inline bool yg__jlex_digit(const char *b, size_t i, size_t n)
{
    return i < n && b[i] >= '0' && b[i] <= '9';
}

/* A number at b[i] per the JSON grammar.  Returns true with *end just past
 * it, or false with *end at the byte where a digit (or the number) was
 * expected.  Inline: the event scanner reads one per numeric value. */
static inline bool yg__jlex_num(const char *b, size_t i, size_t n, size_t *end)
{
    if (i < n && b[i] == '-')
        i++;
    if (i < n && b[i] == '0')
        i++;
    else if (i < n && b[i] >= '1' && b[i] <= '9')
        while (yg__jlex_digit(b, i, n))
            i++;
    else
        goto bad;
    if (i < n && b[i] == '.') {
        if (!yg__jlex_digit(b, ++i, n))
            goto bad;
        while (yg__jlex_digit(b, i, n))
            i++;
    }
    if (i < n && (b[i] == 'e' || b[i] == 'E')) {
        i++;
        if (i < n && (b[i] == '+' || b[i] == '-'))
            i++;
        if (!yg__jlex_digit(b, i, n))
            goto bad;
        while (yg__jlex_digit(b, i, n))
            i++;
    }
    *end = i;
    return true;
bad:
    *end = i;
    return false;
}

/* The length of the literal true, false or null at b[i], or 0 when there
 * is none. */
static inline size_t yg__jlex_lit(const char *b, size_t i, size_t n)
{
    size_t l = i < n ? (b[i] == 't' || b[i] == 'n' ? 4 : b[i] == 'f' ? 5 : 0) : 0;
    const char *w = !l ? "" : b[i] == 't' ? "true" : b[i] == 'f' ? "false" : "null";
    return l && n - i >= l && memcmp(b + i, w, l) == 0 ? l : 0;
}

/* What a string body holds besides printable ASCII. */
/* YG_JLEX_HIDE: an ASCII character written as an escape (`\/`, `\u0041`),
 * which a scan of the raw text for that character would not see. */
enum { YG_JLEX_ESC = 1, YG_JLEX_HIGH = 2, YG_JLEX_HIDE = 4 };

/* The body of the string whose opening quote is just before b[i]: control
 * bytes are refused and every escape must be well-formed (\u with four hex
 * digits).  Returns YG_OK with *end at the closing quote and *flags
 * (YG_JLEX_ESC: a backslash; YG_JLEX_HIGH: a byte >= 0x80), or YG_ESYNTAX
 * with *end at the problem (n when unterminated) and *why what was
 * expected. */
YG_NODISCARD yg_err yg__jlex_str(const char *b, size_t i, size_t n, size_t *end, unsigned *flags,
                                 const char **why);

/* Decode a body yg__jlex_str accepted, s[0..n), into o (room for n + 1
 * bytes; the result is never longer): escapes resolved, \u surrogate pairs
 * joined, a lone surrogate U+FFFD (core/utf8.h).  NUL-terminates; returns
 * the decoded length. */
size_t yg__jlex_unescape(const char *s, size_t n, char *o);

/* yg__jlex_str and yg__jlex_unescape in one pass, for the event scanner:
 * the body from b[i] is checked as yg__jlex_str checks it (same errors at
 * the same offsets) and decoded into o, which has room for ocap bytes.
 * Plain runs are copied sixteen bytes at a time, and an escape costs a few
 * instructions rather than a search and a copy.  On YG_OK *end is at the
 * closing quote, *on the decoded length (o[*on] is 0) and *flags as
 * yg__jlex_str's plus YG_JLEX_HIDE.  YG_ELIMIT: the decoded string needs
 * more than ocap bytes (n - i + 1 are always enough: it is never longer than
 * its input); nothing else is set then. */
YG_NODISCARD yg_err yg__jlex_str_decode(const char *b, size_t i, size_t n, char *o, size_t ocap,
                                        size_t *end, size_t *on, unsigned *flags, const char **why);

/* 1-based line and column (in bytes) of offset off in buf, for messages. */
void yg__jlex_linecol(const char *buf, size_t off, unsigned *line, unsigned *col);

#endif
