/*
 * value.c - Sigma value modifiers compiled into primitive value tests.
 *
 * A Sigma value is not a string but a small program: `C:\Windows\*` is a
 * prefix test, `cmd` under `contains|windash` is an OR of five substring
 * tests, `%Servers%` under `expand` is whatever the placeholders file says.
 * This module runs that program once, at rule compile time, and leaves the
 * matcher a flat OR-group of primitive tests (yg_vm) that need no further
 * interpretation per event.
 *
 * Compilation follows pySigma's model closely, because pySigma is what
 * defines the meaning of SigmaHQ rules in practice:
 *
 *   - A string value is first parsed into "Sigma string" cells: literal
 *     bytes, the wildcards `*` and `?`, and (under `expand`) placeholders.
 *     Escaping is pySigma's: `\*`, `\?` and `\\` are literals; a backslash
 *     before anything else is itself a literal, so Windows paths need no
 *     doubling.
 *   - Modifiers then rewrite the list of cell strings left to right, in the
 *     order written: contains/startswith/endswith add `*` cells; windash
 *     multiplies the list; wide/utf16* re-encode literal runs and keep
 *     wildcards; base64/base64offset replace a wildcard-free string by its
 *     encoding.  Placeholders are substituted last, exactly as pySigma's
 *     processing pipeline does after the modifiers.
 *   - Each resulting string is lowered to the cheapest test that is exactly
 *     equivalent: EQ, PREFIX, SUFFIX, CONTAINS, or GLOB when `?` or an inner
 *     `*` remains.  Case-insensitive patterns are stored folded to ASCII
 *     lowercase so that matching folds only the event side.
 *
 * Every test also carries an "atom": a lowercase literal that any value the
 * test accepts must contain.  The prefilter looks atoms up with one
 * case-insensitive multi-pattern scan, so an atom must be a necessary
 * condition; when in doubt (regex alternation, exotic number spellings,
 * IPv6 text forms) a test has no atom rather than a wrong one.
 *
 * Regexes are PCRE2 with per-match limits: Sigma rules come from the
 * internet, and a pattern like `(a+)+$` must cost a bounded number of steps
 * per event.  A limit hit is reported to the caller as "no match".
 */
#include "match/value.h"

#include "core/addr.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

/* ---- diagnostics --------------------------------------------------------- */

static void say(struct yg_errmsg *why, const char *fmt, ...) YG_PRINTF(2, 3);
static void say(struct yg_errmsg *why, const char *fmt, ...)
{
    if (!why)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why->msg, sizeof why->msg, fmt, ap);
    va_end(ap);
}

/* ---- modifier names ---------------------------------------------------- */

static const struct {
    const char *name;
    uint32_t bit;
} mod_names[] = {
    {"contains", YG_MOD_CONTAINS},
    {"startswith", YG_MOD_STARTSWITH},
    {"endswith", YG_MOD_ENDSWITH},
    {"all", YG_MOD_ALL},
    {"exists", YG_MOD_EXISTS},
    {"cased", YG_MOD_CASED},
    {"neq", YG_MOD_NEQ},
    {"windash", YG_MOD_WINDASH},
    {"re", YG_MOD_RE},
    {"i", YG_MOD_RE_I},
    {"m", YG_MOD_RE_M},
    {"s", YG_MOD_RE_S},
    /* pySigma's long spellings of the regex flags. */
    {"ignorecase", YG_MOD_RE_I},
    {"multiline", YG_MOD_RE_M},
    {"dotall", YG_MOD_RE_S},
    {"base64", YG_MOD_BASE64},
    {"base64offset", YG_MOD_BASE64OFFSET},
    {"wide", YG_MOD_UTF16LE},
    {"utf16le", YG_MOD_UTF16LE},
    {"utf16be", YG_MOD_UTF16BE},
    {"utf16", YG_MOD_UTF16},
    {"lt", YG_MOD_LT},
    {"lte", YG_MOD_LTE},
    {"gt", YG_MOD_GT},
    {"gte", YG_MOD_GTE},
    {"cidr", YG_MOD_CIDR},
    {"expand", YG_MOD_EXPAND},
    {"fieldref", YG_MOD_FIELDREF},
    {"minute", YG_MOD_MINUTE},
    {"hour", YG_MOD_HOUR},
    {"day", YG_MOD_DAY},
    {"week", YG_MOD_WEEK},
    {"month", YG_MOD_MONTH},
    {"year", YG_MOD_YEAR},
};

static const char *mod_name(uint32_t bit)
{
    for (size_t i = 0; i < sizeof mod_names / sizeof mod_names[0]; i++)
        if (mod_names[i].bit == bit)
            return mod_names[i].name;
    return "?";
}

#define MODS_LIST (YG_MOD_ALL | YG_MOD_NEQ)
#define MODS_WRAP (YG_MOD_CONTAINS | YG_MOD_STARTSWITH | YG_MOD_ENDSWITH)
#define MODS_REFLAG (YG_MOD_RE_I | YG_MOD_RE_M | YG_MOD_RE_S)
#define MODS_ENC                                                                                   \
    (YG_MOD_BASE64 | YG_MOD_BASE64OFFSET | YG_MOD_UTF16LE | YG_MOD_UTF16BE | YG_MOD_UTF16)
#define MODS_STRING (MODS_WRAP | MODS_ENC | YG_MOD_WINDASH | YG_MOD_CASED | YG_MOD_EXPAND)
#define MODS_CMP (YG_MOD_LT | YG_MOD_LTE | YG_MOD_GT | YG_MOD_GTE)
#define MODS_TIME                                                                                  \
    (YG_MOD_MINUTE | YG_MOD_HOUR | YG_MOD_DAY | YG_MOD_WEEK | YG_MOD_MONTH | YG_MOD_YEAR)

/*
 * What the value has become after the modifiers so far.  pySigma type-checks
 * each modifier against this; chains it rejects are rejected here with the
 * same reasoning, before any value is looked at.
 */
enum chain_state {
    CS_START,
    CS_STRING,
    CS_REGEX,
    CS_CIDR,
    CS_EXISTS,
    CS_FIELDREF,
    CS_TIME,
    CS_CMP
};

yg_err yg__mods_parse(const struct yg_str *names, size_t n, struct yg_mods *out,
                      struct yg_errmsg *why)
{
    memset(out, 0, sizeof *out);
    if (n > sizeof out->chain / sizeof out->chain[0]) {
        say(why, "more than %zu modifiers", sizeof out->chain / sizeof out->chain[0]);
        return YG_ELIMIT;
    }
    for (size_t i = 0; i < n; i++) {
        uint32_t bit = 0;
        for (size_t j = 0; j < sizeof mod_names / sizeof mod_names[0]; j++) {
            if (strlen(mod_names[j].name) == names[i].n &&
                memcmp(mod_names[j].name, names[i].p, names[i].n) == 0) {
                bit = mod_names[j].bit;
                break;
            }
        }
        if (!bit) {
            say(why, "unknown modifier '%.*s'", (int)(names[i].n > 64 ? 64 : names[i].n),
                names[i].p ? names[i].p : "");
            return YG_EUNSUPPORTED;
        }
        out->chain[out->nchain++] = bit;
        out->bits |= bit;
    }

    enum chain_state st = CS_START;
    uint32_t prev = 0; /* last value modifier, for messages */
    uint32_t seen = 0; /* value modifiers before the current one */
    for (unsigned i = 0; i < out->nchain; i++) {
        uint32_t b = out->chain[i];
        if (b & MODS_LIST)
            continue; /* all/neq act on the whole item, anywhere in the chain */
        bool ok = false;
        enum chain_state next = st;
        switch (st) {
        case CS_START:
            ok = true;
            if (b & MODS_STRING)
                next = CS_STRING;
            else if (b == YG_MOD_RE)
                next = CS_REGEX;
            else if (b == YG_MOD_CIDR)
                next = CS_CIDR;
            else if (b == YG_MOD_EXISTS)
                next = CS_EXISTS;
            else if (b == YG_MOD_FIELDREF)
                next = CS_FIELDREF;
            else if (b & MODS_TIME)
                next = CS_TIME;
            else if (b & MODS_CMP)
                next = CS_CMP;
            else
                ok = false; /* a regex flag without re */
            break;
        case CS_STRING:
            if (b & MODS_STRING) {
                ok = true;
            } else if (b == YG_MOD_FIELDREF) {
                /* Only `cased` keeps the value a plain field name. */
                ok = (seen & MODS_STRING & ~(uint32_t)YG_MOD_CASED) == 0;
                next = CS_FIELDREF;
            }
            break;
        case CS_REGEX:
            /* On a regex, contains/startswith/endswith only add `.*` in
             * pySigma; with search semantics they change nothing. */
            ok = (b & (MODS_REFLAG | MODS_WRAP | YG_MOD_EXPAND)) != 0;
            break;
        case CS_FIELDREF: ok = (b & (MODS_WRAP | YG_MOD_CASED)) != 0; break;
        case CS_TIME:
            ok = (b & MODS_CMP) != 0;
            next = CS_CMP;
            break;
        case CS_CIDR:
        case CS_EXISTS:
        case CS_CMP: break;
        }
        if (!ok) {
            if (b & MODS_REFLAG)
                say(why, "modifier '%s' is a regex flag and needs 're' before it", mod_name(b));
            else if (b == YG_MOD_RE || b == YG_MOD_CIDR || b == YG_MOD_EXISTS)
                say(why, "modifier '%s' must come before any other value modifier (found '%s')",
                    mod_name(b), mod_name(prev));
            else
                say(why, "modifier '%s' cannot be combined with '%s'", mod_name(b), mod_name(prev));
            return YG_ESYNTAX;
        }
        st = next;
        prev = b;
        seen |= b;
    }
    if ((out->bits & YG_MOD_EXPAND) && (out->bits & MODS_ENC)) {
        /* pySigma would encode the placeholder text itself, or leave the
         * substituted values unencoded: neither is what the rule means. */
        say(why, "'expand' cannot be combined with base64/utf16 encodings");
        return YG_ESYNTAX;
    }
    return YG_OK;
}

/* ---- UTF-8 ------------------------------------------------------------- */

/* Decode one UTF-8 sequence; -1 if invalid.  *len gets the bytes used (1 on
 * error so callers can step over garbage). */
static int32_t u8_decode(const unsigned char *s, size_t n, size_t *len)
{
    *len = 1;
    if (n == 0)
        return -1;
    unsigned char c = s[0];
    if (c < 0x80)
        return c;
    size_t need;
    int32_t cp, min;
    if (c >= 0xC2 && c <= 0xDF)
        need = 1, cp = c & 0x1F, min = 0x80;
    else if (c >= 0xE0 && c <= 0xEF)
        need = 2, cp = c & 0x0F, min = 0x800;
    else if (c >= 0xF0 && c <= 0xF4)
        need = 3, cp = c & 0x07, min = 0x10000;
    else
        return -1;
    if (n - 1 < need)
        return -1;
    for (size_t i = 1; i <= need; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return -1;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return -1;
    *len = need + 1;
    return cp;
}

/* Bytes of the character at s, so that `?` consumes a whole character of a
 * UTF-8 value; a byte that starts no valid sequence counts alone. */
static size_t u8_step(const char *s, size_t n)
{
    if ((unsigned char)s[0] < 0x80)
        return 1;
    size_t l;
    (void)u8_decode((const unsigned char *)s, n, &l);
    return l;
}

/* ---- Sigma strings as cells ----------------------------------------------- */

enum { SK_LIT, SK_STAR, SK_ONE, SK_PH };

struct sch {
    uint8_t k;   /* SK_* */
    uint8_t c;   /* literal byte */
    uint16_t ph; /* placeholder index into cx.names */
};

struct sstr {
    struct sch *v;
    size_t n;
};

struct slist {
    struct sstr *s;
    size_t n, cap;
};

#define MAX_PLACEHOLDER_REFS 1024u

struct cx {
    struct yg_arena tmp; /* freed when compile returns */
    struct yg_arena *perm;
    struct yg_vm_pool *pool;
    const struct yg_mods *m;
    const struct yg_placeholders *ph;
    struct yg_str *names; /* placeholder names referenced by the value */
    size_t nnames;
    bool cased;
    struct yg_errmsg *why;
};

static yg_err nomem(struct cx *x)
{
    say(x->why, "out of memory compiling value");
    return YG_ENOMEM;
}

/* Keep the name of the next placeholder reference (`%name%` without the
 * percent signs) at x->names[x->nnames]; the caller counts it. */
static yg_err ph_name(struct cx *x, const char *name, size_t n)
{
    if (x->nnames >= MAX_PLACEHOLDER_REFS) {
        say(x->why, "more than %u placeholders in one value", MAX_PLACEHOLDER_REFS);
        return YG_ELIMIT;
    }
    if (!x->names) {
        x->names = yg_arena_alloc(&x->tmp, MAX_PLACEHOLDER_REFS * sizeof *x->names);
        if (!x->names)
            return nomem(x);
    }
    x->names[x->nnames] = (struct yg_str){name, n};
    return YG_OK;
}

static yg_err sstr_new(struct cx *x, size_t cap, struct sstr *s)
{
    s->n = 0;
    s->v = yg_arena_alloc(&x->tmp, (cap ? cap : 1) * sizeof *s->v);
    return s->v ? YG_OK : nomem(x);
}

static inline void put_lit(struct sstr *s, unsigned char c)
{
    s->v[s->n++] = (struct sch){SK_LIT, c, 0};
}

static void put_bytes(struct sstr *s, const void *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        put_lit(s, ((const unsigned char *)p)[i]);
}

static yg_err sl_push(struct cx *x, struct slist *l, struct sstr s)
{
    if (l->n >= YG_MAX_VALUE_EXPANSION) {
        say(x->why, "value expands to more than %u alternatives", YG_MAX_VALUE_EXPANSION);
        return YG_ELIMIT;
    }
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 8;
        struct sstr *ns = yg_arena_alloc(&x->tmp, nc * sizeof *ns);
        if (!ns)
            return nomem(x);
        if (l->n)
            memcpy(ns, l->s, l->n * sizeof *ns);
        l->s = ns;
        l->cap = nc;
    }
    l->s[l->n++] = s;
    return YG_OK;
}

/*
 * Parse a rule string with pySigma's escaping.  Under `expand`, `%name%`
 * becomes a placeholder cell (name non-empty, without backslash or
 * wildcard) and `\%` is a literal percent sign, as the specification's
 * "Placeholders" section describes.
 */
static yg_err parse_sstr(struct cx *x, const char *s, size_t n, bool expand, struct sstr *out)
{
    yg_err err = sstr_new(x, n, out);
    if (err)
        return err;
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\\' && i + 1 < n &&
            (s[i + 1] == '*' || s[i + 1] == '?' || s[i + 1] == '\\' ||
             (expand && s[i + 1] == '%'))) {
            put_lit(out, (unsigned char)s[i + 1]);
            i += 2;
            continue;
        }
        if (c == '*' || c == '?') {
            out->v[out->n++] = (struct sch){c == '*' ? SK_STAR : SK_ONE, 0, 0};
            i++;
            continue;
        }
        if (expand && c == '%') {
            size_t j = i + 1;
            while (j < n && s[j] != '%' && s[j] != '\\' && s[j] != '*' && s[j] != '?')
                j++;
            if (j < n && s[j] == '%' && j > i + 1) {
                if ((err = ph_name(x, s + i + 1, j - i - 1)))
                    return err;
                out->v[out->n++] = (struct sch){SK_PH, 0, (uint16_t)x->nnames};
                x->nnames++;
                i = j + 1;
                continue;
            }
        }
        put_lit(out, c);
        i++;
    }
    return YG_OK;
}

/* ---- modifiers on cell strings ------------------------------------------ */

static yg_err wrap(struct cx *x, struct sstr *s, bool front, bool back)
{
    bool has_front = s->n && s->v[0].k == SK_STAR;
    bool has_back = s->n && s->v[s->n - 1].k == SK_STAR;
    /* pySigma checks the start first: an empty value becomes a lone `*`,
     * which then already ends with `*`. */
    bool add_front = front && !has_front;
    bool add_back = back && !(has_back || (add_front && s->n == 0));
    if (!add_front && !add_back)
        return YG_OK;
    struct sstr r;
    yg_err err = sstr_new(x, s->n + 2, &r);
    if (err)
        return err;
    if (add_front)
        r.v[r.n++] = (struct sch){SK_STAR, 0, 0};
    memcpy(r.v + r.n, s->v, s->n * sizeof *s->v);
    r.n += s->n;
    if (add_back)
        r.v[r.n++] = (struct sch){SK_STAR, 0, 0};
    *s = r;
    return YG_OK;
}

/*
 * Python's `\w` for a str pattern: letters and digits of any script plus
 * `_`.  Outside ASCII, only the punctuation and space blocks a command line
 * plausibly contains are classified; everything else counts as a letter.
 */
static bool py_word(int32_t cp)
{
    if (cp < 0)
        return false;
    if (cp < 0x80)
        return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9') ||
               cp == '_';
    if (cp < 0xC0)
        return cp == 0xAA || cp == 0xB2 || cp == 0xB3 || cp == 0xB5 || cp == 0xB9 || cp == 0xBA ||
               (cp >= 0xBC && cp <= 0xBE);
    if (cp == 0xD7 || cp == 0xF7)
        return false;
    if ((cp >= 0x2000 && cp <= 0x206F) || (cp >= 0x2E00 && cp <= 0x2E7F) ||
        (cp >= 0x3000 && cp <= 0x3004) || (cp >= 0x3008 && cp <= 0x3020) || cp == 0xFEFF ||
        (cp >= 0xFF01 && cp <= 0xFF0F) || (cp >= 0xFF1A && cp <= 0xFF20) ||
        (cp >= 0xFF3B && cp <= 0xFF40) || (cp >= 0xFF5B && cp <= 0xFF65))
        return false;
    return true;
}

/* Code point of literal cells starting at i (within [i, end)). */
static int32_t cell_cp(const struct sstr *s, size_t i, size_t end, size_t *len)
{
    unsigned char b[4];
    size_t k = 0;
    while (k < 4 && i + k < end) {
        b[k] = s->v[i + k].c;
        k++;
    }
    return u8_decode(b, k, len);
}

/*
 * pySigma expands a dash that matches `\B[-/]\b` within one plain part of
 * the string: the character before it is not a word character (or it is the
 * first of the part) and the character after it is one.  So `-foo` and
 * ` /foo` expand, `a-b` and `x -` do not.
 */
static bool windash_at(const struct sstr *s, size_t i)
{
    size_t rs = i, re = i + 1;
    while (rs > 0 && s->v[rs - 1].k == SK_LIT)
        rs--;
    while (re < s->n && s->v[re].k == SK_LIT)
        re++;
    if (i > rs) {
        size_t st = i - 1, len;
        while (st > rs && i - st < 4 && (s->v[st].c & 0xC0) == 0x80)
            st--;
        int32_t cp = cell_cp(s, st, i, &len);
        if (st + len == i && py_word(cp))
            return false;
    }
    if (i + 1 >= re)
        return false;
    size_t len;
    return py_word(cell_cp(s, i + 1, re, &len));
}

#define WINDASH_MAX 3u

static yg_err windash(struct cx *x, const struct slist *in, struct slist *out)
{
    static const char *const dashes[5] = {"-", "/", "\xe2\x80\x93", "\xe2\x80\x94", "\xe2\x80\x95"};
    yg_err err = YG_OK;
    for (size_t si = 0; si < in->n; si++) {
        const struct sstr *s = &in->s[si];
        size_t pos[WINDASH_MAX], k = 0;
        for (size_t i = 0; i < s->n; i++) {
            if (s->v[i].k != SK_LIT || (s->v[i].c != '-' && s->v[i].c != '/') || !windash_at(s, i))
                continue;
            if (k == WINDASH_MAX) {
                say(x->why, "windash expands at most %u dashes in one value; split the value",
                    WINDASH_MAX);
                err = YG_ELIMIT;
                goto done;
            }
            pos[k++] = i;
        }
        size_t total = 1;
        for (size_t j = 0; j < k; j++)
            total *= 5;
        /* Variant order is pySigma's: the first dash varies slowest. */
        for (size_t combo = 0; combo < total; combo++) {
            struct sstr r;
            YG_TRY(sstr_new(x, s->n + 2 * k, &r));
            size_t d = 0, div = total / 5;
            for (size_t i = 0; i < s->n; i++) {
                if (d < k && pos[d] == i) {
                    const char *dash = dashes[(combo / div) % 5];
                    put_bytes(&r, dash, strlen(dash));
                    d++;
                    div /= 5;
                } else {
                    r.v[r.n++] = s->v[i];
                }
            }
            YG_TRY(sl_push(x, out, r));
        }
    }
done:
    return err;
}

static size_t b64_encode(const unsigned char *in, size_t n, char *out)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0, i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = tab[v >> 18];
        out[o++] = tab[(v >> 12) & 63];
        out[o++] = tab[(v >> 6) & 63];
        out[o++] = tab[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        out[o++] = tab[v >> 18];
        out[o++] = tab[(v >> 12) & 63];
        out[o++] = '=';
        out[o++] = '=';
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        out[o++] = tab[v >> 18];
        out[o++] = tab[(v >> 12) & 63];
        out[o++] = tab[(v >> 6) & 63];
        out[o++] = '=';
    }
    return o;
}

/*
 * base64 and base64offset.  The input bytes are the literal cells; after a
 * `utf16` modifier pySigma's U+FEFF mark (UTF-8 EF BB BF) is encoded as the
 * UTF-16LE byte order mark FF FE.  base64offset yields the three encodings
 * of the value preceded by 0, 1 and 2 bytes, cut to the characters that do
 * not depend on the unknown neighbouring bytes (pySigma's start offsets
 * 0, 2, 3 and end cuts 0, 3, 2 chosen by (len + shift) % 3).
 */
static yg_err base64_mod(struct cx *x, const struct slist *in, struct slist *out, bool offset,
                         bool utf16_before)
{
    yg_err err = YG_OK;
    for (size_t si = 0; si < in->n; si++) {
        const struct sstr *s = &in->s[si];
        unsigned char *data = yg_arena_alloc(&x->tmp, s->n + 2);
        char *enc = yg_arena_alloc(&x->tmp, (s->n + 4) / 3 * 4 + 4);
        if (!data || !enc)
            YG_TRY(nomem(x));
        size_t dn = 0;
        for (size_t i = 0; i < s->n; i++) {
            if (s->v[i].k != SK_LIT) {
                say(x->why, "base64 encoding of strings with wildcards is not allowed");
                err = YG_ESYNTAX;
                goto done;
            }
            data[dn++] = s->v[i].c;
        }
        const unsigned char *p = data;
        if (utf16_before && dn >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF) {
            data[1] = 0xFF;
            data[2] = 0xFE;
            p = data + 1;
            dn -= 1;
        }
        if (!offset) {
            size_t en = b64_encode(p, dn, enc);
            struct sstr r;
            YG_TRY(sstr_new(x, en, &r));
            put_bytes(&r, enc, en);
            YG_TRY(sl_push(x, out, r));
            continue;
        }
        static const size_t start[3] = {0, 2, 3};
        static const size_t endcut[3] = {0, 3, 2};
        for (size_t shift = 0; shift < 3; shift++) {
            unsigned char *sh = yg_arena_alloc(&x->tmp, dn + 2);
            if (!sh)
                YG_TRY(nomem(x));
            memset(sh, ' ', shift);
            memcpy(sh + shift, p, dn);
            size_t en = b64_encode(sh, dn + shift, enc);
            size_t a = start[shift], cut = endcut[(dn + shift) % 3];
            size_t b = en >= cut ? en - cut : 0;
            struct sstr r;
            YG_TRY(sstr_new(x, b > a ? b - a : 0, &r));
            if (b > a)
                put_bytes(&r, enc + a, b - a);
            YG_TRY(sl_push(x, out, r));
        }
    }
done:
    return err;
}

/* wide/utf16le, utf16be, utf16: re-encode each literal run; wildcards stay.
 * `utf16` starts with U+FEFF in UTF-8, as pySigma's string does. */
static yg_err utf16_mod(struct cx *x, struct sstr *s, uint32_t which)
{
    struct sstr r;
    yg_err err = sstr_new(x, 2 * s->n + 3, &r);
    if (err)
        return err;
    if (which == YG_MOD_UTF16)
        put_bytes(&r, "\xef\xbb\xbf", 3);
    bool be = which == YG_MOD_UTF16BE;
    for (size_t i = 0; i < s->n;) {
        if (s->v[i].k != SK_LIT) {
            r.v[r.n++] = s->v[i++];
            continue;
        }
        size_t end = i;
        while (end < s->n && s->v[end].k == SK_LIT)
            end++;
        size_t len;
        int32_t cp = cell_cp(s, i, end, &len);
        if (cp < 0) {
            say(x->why, "%s: value is not valid UTF-8", mod_name(which));
            return YG_ESYNTAX;
        }
        uint16_t u[2];
        size_t nu = 1;
        if (cp >= 0x10000) {
            u[0] = (uint16_t)(0xD800 + ((cp - 0x10000) >> 10));
            u[1] = (uint16_t)(0xDC00 + ((cp - 0x10000) & 0x3FF));
            nu = 2;
        } else {
            u[0] = (uint16_t)cp;
        }
        for (size_t j = 0; j < nu; j++) {
            put_lit(&r, be ? (unsigned char)(u[j] >> 8) : (unsigned char)(u[j] & 0xFF));
            put_lit(&r, be ? (unsigned char)(u[j] & 0xFF) : (unsigned char)(u[j] >> 8));
        }
        i += len;
    }
    *s = r;
    return YG_OK;
}

static yg_err apply_chain(struct cx *x, struct slist *l)
{
    yg_err err = YG_OK;
    bool utf16_seen = false;
    for (unsigned ci = 0; ci < x->m->nchain; ci++) {
        uint32_t b = x->m->chain[ci];
        struct slist nl = {0};
        switch (b) {
        case YG_MOD_CONTAINS:
        case YG_MOD_STARTSWITH:
        case YG_MOD_ENDSWITH:
            for (size_t i = 0; i < l->n; i++)
                YG_TRY(wrap(x, &l->s[i], b != YG_MOD_STARTSWITH, b != YG_MOD_ENDSWITH));
            break;
        case YG_MOD_WINDASH:
            YG_TRY(windash(x, l, &nl));
            *l = nl;
            break;
        case YG_MOD_BASE64:
        case YG_MOD_BASE64OFFSET:
            YG_TRY(base64_mod(x, l, &nl, b == YG_MOD_BASE64OFFSET, utf16_seen));
            *l = nl;
            break;
        case YG_MOD_UTF16LE:
        case YG_MOD_UTF16BE:
        case YG_MOD_UTF16:
            for (size_t i = 0; i < l->n; i++)
                YG_TRY(utf16_mod(x, &l->s[i], b));
            utf16_seen |= b == YG_MOD_UTF16;
            break;
        default: break; /* cased, expand, all, neq: no rewriting */
        }
    }
done:
    return err;
}

/* ---- placeholders -------------------------------------------------------- */

struct ph_entry {
    const char *name;
    size_t nlen;
    const char **vals;
    size_t *vlens;
    size_t nvals;
};

struct yg_placeholders {
    struct yg_arena a;
    struct ph_entry *e;
    size_t n;
};

/* Exact name first; else ASCII case-insensitive, because SigmaHQ spells the
 * same placeholder differently across rules (%Known_Location%,
 * %KNOWN_LOCATION%). */
static const struct ph_entry *ph_find(const struct yg_placeholders *ph, const char *name, size_t n)
{
    if (!ph)
        return NULL;
    for (size_t i = 0; i < ph->n; i++)
        if (ph->e[i].nlen == n && memcmp(ph->e[i].name, name, n) == 0)
            return &ph->e[i];
    for (size_t i = 0; i < ph->n; i++)
        if (yg_str_ieq(ph->e[i].name, ph->e[i].nlen, name, n))
            return &ph->e[i];
    return NULL;
}

void yg__placeholders_free(struct yg_placeholders *ph)
{
    if (!ph)
        return;
    yg_arena_free(&ph->a);
    yg_free(ph);
}

static bool ph_value_ok(const struct yg_ynode *v)
{
    return v && v->type == YG_Y_SCALAR &&
           (v->skind == YG_S_STR || v->skind == YG_S_INT || v->skind == YG_S_FLOAT);
}

yg_err yg__placeholders_load(const char *path, struct yg_placeholders **out, struct yg_errmsg *why)
{
    yg_err err = YG_OK;
    char *text = NULL;
    size_t len = 0;
    struct yg_placeholders *ph = NULL;
    *out = NULL;

    if ((err = yg_file_read(path, YG_MAX_RULE_FILE_BYTES, &text, &len))) {
        say(why, "cannot read %s: %s", path, yg_strerror(err));
        goto done;
    }
    ph = yg_calloc(1, sizeof *ph);
    if (!ph) {
        err = YG_ENOMEM;
        say(why, "out of memory");
        goto done;
    }
    yg_arena_init(&ph->a, 16384, 0);
    struct yg_ydoc *docs = NULL;
    size_t ndocs = 0;
    unsigned eline = 0, ecol = 0;
    struct yg_errmsg ywhy = {""};
    err = yg__yaml_parse(text, len, &ph->a, &docs, &ndocs, &eline, &ecol, &ywhy);
    if (err) {
        say(why, "%s:%u:%u: %s", path, eline, ecol, ywhy.msg);
        goto done;
    }
    if (ndocs > 1) {
        err = YG_ESYNTAX;
        say(why, "%s: expected one YAML document, found %zu", path, ndocs);
        goto done;
    }
    const struct yg_ynode *root = ndocs ? docs[0].root : NULL;
    if (!root || (root->type == YG_Y_SCALAR && root->skind == YG_S_NULL))
        goto done; /* an empty file defines no placeholders */
    if (root->type != YG_Y_MAP) {
        err = YG_ESYNTAX;
        say(why, "%s:%u: expected a map of placeholder name to list of values", path, root->line);
        goto done;
    }
    ph->e = yg_arena_alloc(&ph->a, (root->n ? root->n : 1) * sizeof *ph->e);
    if (!ph->e) {
        err = YG_ENOMEM;
        say(why, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < root->n; i++) {
        const struct yg_ynode *k = root->items[2 * i], *v = root->items[2 * i + 1];
        if (k->type != YG_Y_SCALAR || k->slen == 0) {
            err = YG_ESYNTAX;
            say(why, "%s:%u: a placeholder name must be a non-empty string", path, k->line);
            goto done;
        }
        const char *name = k->s;
        size_t nlen = k->slen;
        /* Tolerate `%name%` keys: the percent signs are not part of the name. */
        if (nlen > 2 && name[0] == '%' && name[nlen - 1] == '%')
            name++, nlen -= 2;
        for (size_t j = 0; j < ph->n; j++) {
            if (ph->e[j].nlen == nlen && memcmp(ph->e[j].name, name, nlen) == 0) {
                err = YG_ESYNTAX;
                say(why, "%s:%u: placeholder '%.*s' defined twice", path, k->line, (int)nlen, name);
                goto done;
            }
        }
        size_t nv = v->type == YG_Y_SEQ ? v->n : 1;
        struct ph_entry *e = &ph->e[ph->n];
        e->name = name;
        e->nlen = nlen;
        e->nvals = 0;
        e->vals = yg_arena_alloc(&ph->a, (nv ? nv : 1) * sizeof *e->vals);
        e->vlens = yg_arena_alloc(&ph->a, (nv ? nv : 1) * sizeof *e->vlens);
        if (!e->vals || !e->vlens) {
            err = YG_ENOMEM;
            say(why, "out of memory");
            goto done;
        }
        for (size_t j = 0; j < nv; j++) {
            const struct yg_ynode *it = v->type == YG_Y_SEQ ? v->items[j] : v;
            if (!ph_value_ok(it)) {
                err = YG_ESYNTAX;
                say(why, "%s:%u: placeholder '%.*s': values must be strings or numbers", path,
                    it->line, (int)nlen, name);
                goto done;
            }
            e->vals[e->nvals] = it->s;
            e->vlens[e->nvals] = it->slen;
            e->nvals++;
        }
        ph->n++;
    }

done:
    yg_free(text);
    if (err) {
        yg__placeholders_free(ph);
        return err;
    }
    *out = ph;
    return YG_OK;
}

static const struct ph_entry *ph_need(struct cx *x, size_t idx)
{
    const struct yg_str *nm = &x->names[idx];
    const struct ph_entry *e = ph_find(x->ph, nm->p, nm->n);
    if (!e)
        say(x->why, "unknown placeholder %%%.*s%%%s", (int)nm->n, nm->p,
            x->ph ? "" : " (no placeholders file loaded)");
    return e;
}

/*
 * Substitute placeholder cells by each of their values (cartesian product,
 * first placeholder varying slowest as in pySigma).  Values are parsed as
 * Sigma strings, so a value `srv*` is a wildcard pattern.
 */
static yg_err expand_placeholders(struct cx *x, const struct slist *in, struct slist *out)
{
    yg_err err = YG_OK;
    for (size_t si = 0; si < in->n; si++) {
        const struct sstr *s = &in->s[si];
        size_t nph = 0;
        for (size_t i = 0; i < s->n; i++)
            nph += s->v[i].k == SK_PH;
        if (!nph) {
            if ((err = sl_push(x, out, *s)))
                goto done;
            continue;
        }
        /* Per placeholder cell: its parsed values. */
        struct sstr **vals = yg_arena_alloc(&x->tmp, nph * sizeof *vals);
        size_t *nvals = yg_arena_alloc(&x->tmp, nph * sizeof *nvals);
        if (!vals || !nvals)
            YG_TRY(nomem(x));
        size_t total = 1, p = 0;
        for (size_t i = 0; i < s->n; i++) {
            if (s->v[i].k != SK_PH)
                continue;
            const struct ph_entry *e = ph_need(x, s->v[i].ph);
            if (!e) {
                err = YG_EUNSUPPORTED;
                goto done;
            }
            vals[p] = yg_arena_alloc(&x->tmp, (e->nvals ? e->nvals : 1) * sizeof **vals);
            if (!vals[p])
                YG_TRY(nomem(x));
            for (size_t j = 0; j < e->nvals; j++)
                YG_TRY(parse_sstr(x, e->vals[j], e->vlens[j], false, &vals[p][j]));
            nvals[p] = e->nvals;
            if (e->nvals && total > YG_MAX_VALUE_EXPANSION / e->nvals) {
                say(x->why, "value expands to more than %u alternatives", YG_MAX_VALUE_EXPANSION);
                err = YG_ELIMIT;
                goto done;
            }
            total *= e->nvals;
            p++;
        }
        for (size_t combo = 0; combo < total; combo++) {
            size_t need = s->n, div = total, q = 0;
            size_t *pick = yg_arena_alloc(&x->tmp, nph * sizeof *pick);
            if (!pick)
                YG_TRY(nomem(x));
            for (q = 0; q < nph; q++) {
                div /= nvals[q];
                pick[q] = (combo / div) % nvals[q];
                need += vals[q][pick[q]].n;
            }
            struct sstr r;
            YG_TRY(sstr_new(x, need, &r));
            q = 0;
            for (size_t i = 0; i < s->n; i++) {
                if (s->v[i].k != SK_PH) {
                    r.v[r.n++] = s->v[i];
                    continue;
                }
                const struct sstr *val = &vals[q][pick[q]];
                memcpy(r.v + r.n, val->v, val->n * sizeof *val->v);
                r.n += val->n;
                q++;
            }
            YG_TRY(sl_push(x, out, r));
        }
    }
done:
    return err;
}

/* ---- lowering to yg_vm ---------------------------------------------------- */

static char *perm_copy(struct cx *x, const void *p, size_t n, bool lower)
{
    char *d = yg_arena_alloc(x->perm, n + 1);
    if (!d)
        return NULL;
    for (size_t i = 0; i < n; i++)
        d[i] = lower ? (char)yg_lc(((const unsigned char *)p)[i]) : ((const char *)p)[i];
    d[n] = 0;
    return d;
}

/* The atom of a literal: itself, lowercased (sharing the pattern if that is
 * already lowercase). */
static yg_err set_atom(struct cx *x, struct yg_vm *vm, const char *p, size_t n, bool is_lower)
{
    vm->atom = (struct yg_str){NULL, 0};
    if (!n)
        return YG_OK;
    if (is_lower) {
        vm->atom = (struct yg_str){p, n};
        return YG_OK;
    }
    char *a = perm_copy(x, p, n, true);
    if (!a)
        return nomem(x);
    vm->atom = (struct yg_str){a, n};
    return YG_OK;
}

static yg_err lower_sstr(struct cx *x, const struct sstr *in, struct yg_vm *vm)
{
    memset(vm, 0, sizeof *vm);
    vm->cased = x->cased;
    bool fold = !x->cased;

    /* `**` means the same as `*`. */
    struct sstr s;
    yg_err err = sstr_new(x, in->n, &s);
    if (err)
        return err;
    for (size_t i = 0; i < in->n; i++) {
        if (in->v[i].k == SK_STAR && s.n && s.v[s.n - 1].k == SK_STAR)
            continue;
        s.v[s.n++] = in->v[i];
    }
    bool lead = s.n && s.v[0].k == SK_STAR;
    bool trail = s.n && s.v[s.n - 1].k == SK_STAR;
    size_t b = lead ? 1 : 0, e = s.n - (trail && s.n > b ? 1 : 0);
    bool simple = true;
    for (size_t i = b; i < e; i++)
        simple &= s.v[i].k == SK_LIT;

    if (simple) {
        char *pat = yg_arena_alloc(x->perm, e - b + 1);
        if (!pat)
            return nomem(x);
        for (size_t i = b; i < e; i++)
            pat[i - b] = fold ? (char)yg_lc(s.v[i].c) : (char)s.v[i].c;
        pat[e - b] = 0;
        vm->op = lead && trail ? YG_VOP_CONTAINS
                 : lead        ? YG_VOP_SUFFIX
                 : trail       ? YG_VOP_PREFIX
                               : YG_VOP_EQ;
        vm->pat = pat;
        vm->n = (uint32_t)(e - b);
        return set_atom(x, vm, pat, e - b, fold);
    }

    /* GLOB: segments, plus a printable pattern (Sigma escaping) in pat. */
    size_t nseg = 0;
    for (size_t i = 0; i < s.n; i++)
        if (s.v[i].k != SK_LIT || i == 0 || s.v[i - 1].k != SK_LIT)
            nseg++;
    struct yg_glob_seg *seg = yg_arena_alloc(x->perm, nseg * sizeof *seg);
    char *lit = yg_arena_alloc(x->perm, s.n + 1);
    char *show = yg_arena_alloc(x->perm, 2 * s.n + 1);
    if (!seg || !lit || !show)
        return nomem(x);
    size_t k = 0, ln = 0, sn = 0, best = 0, bestlen = 0;
    for (size_t i = 0; i < s.n;) {
        if (s.v[i].k == SK_STAR || s.v[i].k == SK_ONE) {
            seg[k++] = (struct yg_glob_seg){s.v[i].k == SK_STAR ? 1 : 2, NULL, 0};
            show[sn++] = s.v[i].k == SK_STAR ? '*' : '?';
            i++;
            continue;
        }
        size_t st = ln;
        while (i < s.n && s.v[i].k == SK_LIT) {
            unsigned char c = s.v[i].c;
            lit[ln++] = fold ? (char)yg_lc(c) : (char)c;
            if (c == '*' || c == '?' || c == '\\')
                show[sn++] = '\\';
            show[sn++] = lit[ln - 1];
            i++;
        }
        seg[k] = (struct yg_glob_seg){0, lit + st, (uint32_t)(ln - st)};
        if (ln - st > bestlen) {
            best = k;
            bestlen = ln - st;
        }
        k++;
    }
    lit[ln] = 0;
    show[sn] = 0;
    vm->op = YG_VOP_GLOB;
    vm->glob = seg;
    vm->nglob = (uint32_t)k;
    vm->pat = show;
    vm->n = (uint32_t)sn;
    return bestlen ? set_atom(x, vm, seg[best].p, bestlen, fold) : YG_OK;
}

/* ---- numbers ------------------------------------------------------------ */

/* [-+]?digits[.digits] with nothing else; the canonical text drops a plus
 * sign, leading zeros, trailing fraction zeros, and the sign of zero. */
static bool canon_decimal(const char *p, size_t n, char *out, size_t outsz)
{
    size_t i = 0;
    bool neg = false;
    if (i < n && (p[i] == '-' || p[i] == '+'))
        neg = p[i++] == '-';
    size_t is = i;
    while (i < n && p[i] >= '0' && p[i] <= '9')
        i++;
    size_t ie = i, fs = i, fe = i;
    if (ie == is)
        return false;
    if (i < n && p[i] == '.') {
        fs = ++i;
        while (i < n && p[i] >= '0' && p[i] <= '9')
            i++;
        fe = i;
        if (fe == fs)
            return false;
    }
    if (i != n)
        return false;
    while (is + 1 < ie && p[is] == '0')
        is++;
    while (fe > fs && p[fe - 1] == '0')
        fe--;
    bool zero = ie - is == 1 && p[is] == '0' && fe == fs;
    size_t need = (neg && !zero) + (ie - is) + (fe > fs ? 1 + (fe - fs) : 0) + 1;
    if (need > outsz)
        return false;
    size_t o = 0;
    if (neg && !zero)
        out[o++] = '-';
    memcpy(out + o, p + is, ie - is);
    o += ie - is;
    if (fe > fs) {
        out[o++] = '.';
        memcpy(out + o, p + fs, fe - fs);
        o += fe - fs;
    }
    out[o] = 0;
    return true;
}

/* Parse a number from event text: decimal int or float (with exponent),
 * or 0x hex integer, surrounded by optional whitespace. */
static bool parse_event_num(const char *p, size_t n, double *out)
{
    while (n && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
        p++, n--;
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r' || p[n - 1] == '\n'))
        n--;
    char buf[512];
    if (n == 0 || n >= sizeof buf)
        return false;
    size_t i = 0;
    bool neg = false;
    if (p[i] == '-' || p[i] == '+')
        neg = p[i++] == '-';
    if (n - i > 2 && p[i] == '0' && (p[i + 1] == 'x' || p[i + 1] == 'X')) {
        uint64_t v = 0;
        size_t j = i + 2;
        if (n - j > 16)
            return false;
        for (; j < n; j++) {
            unsigned char c = (unsigned char)p[j];
            unsigned d = c >= '0' && c <= '9'   ? (unsigned)(c - '0')
                         : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
                         : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10)
                                                : 16u;
            if (d == 16)
                return false;
            v = v << 4 | d;
        }
        *out = neg ? -(double)v : (double)v;
        return true;
    }
    size_t digits = 0;
    while (i < n && p[i] >= '0' && p[i] <= '9')
        i++, digits++;
    if (i < n && p[i] == '.') {
        i++;
        while (i < n && p[i] >= '0' && p[i] <= '9')
            i++, digits++;
    }
    if (!digits)
        return false;
    if (i < n && (p[i] == 'e' || p[i] == 'E')) {
        i++;
        if (i < n && (p[i] == '+' || p[i] == '-'))
            i++;
        size_t ed = 0;
        while (i < n && p[i] >= '0' && p[i] <= '9')
            i++, ed++;
        if (!ed)
            return false;
    }
    if (i != n)
        return false;
    memcpy(buf, p, n);
    buf[n] = 0;
    double d = strtod(buf, NULL);
    if (!isfinite(d))
        return false;
    *out = d;
    return true;
}

/*
 * The YAML parser types plain scalars by YAML 1.2; pySigma reads rules with
 * PyYAML, which implements YAML 1.1.  Where they disagree about a number,
 * PyYAML's reading is what the rule means in practice: `00000429` and
 * `0o17` are strings, `0644` is octal 420, `1e5` and `1.5e3` are strings
 * (1.1 floats need a dot and a signed exponent), `-.5` is a string.
 */
static enum yg_skind pyyaml_kind(const struct yg_ynode *v)
{
    const char *s = v->s;
    size_t n = v->slen, i = (n && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
    if (v->skind == YG_S_INT) {
        if (n - i > 1 && s[i] == '0' && s[i + 1] == 'o')
            return YG_S_STR;
        if (n - i > 1 && s[i] == '0' && s[i + 1] != 'x')
            for (size_t j = i; j < n; j++)
                if (s[j] > '7')
                    return YG_S_STR;
        return YG_S_INT;
    }
    if (v->skind == YG_S_FLOAT) {
        const char *dot = memchr(s, '.', n);
        if (!dot || (i && dot == s + i))
            return YG_S_STR;
        for (size_t j = 0; j < n; j++)
            if ((s[j] == 'e' || s[j] == 'E') &&
                (j + 1 >= n || (s[j + 1] != '+' && s[j + 1] != '-')))
                return YG_S_STR;
        return YG_S_FLOAT;
    }
    return v->skind;
}

/*
 * A YAML number as pySigma sees it: an int, or a float that is an int when
 * integral.  canon receives the text str() would give, which is what a
 * string-typed event value must equal.
 */
static yg_err rule_number(struct cx *x, const struct yg_ynode *v, double *num, char *canon,
                          size_t canonsz)
{
    const char *s = v->s;
    size_t n = v->slen;
    if (v->skind == YG_S_INT) {
        size_t i = (s[0] == '-' || s[0] == '+') ? 1 : 0;
        if (n - i > 2 && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'o')) {
            uint64_t u = 0;
            unsigned base = s[i + 1] == 'x' ? 16 : 8;
            for (size_t j = i + 2; j < n; j++) {
                unsigned char c = (unsigned char)s[j];
                unsigned d = c <= '9' ? (unsigned)(c - '0') : (unsigned)(yg_lc(c) - 'a' + 10);
                if (u > (UINT64_MAX - d) / base) {
                    say(x->why, "number %s is too large", s);
                    return YG_ESYNTAX;
                }
                u = u * base + d;
            }
            snprintf(canon, canonsz, "%s%llu", s[0] == '-' && u ? "-" : "", (unsigned long long)u);
        } else if (n - i > 1 && s[i] == '0') {
            /* YAML 1.1 octal (pyyaml_kind let only 0-7 digits through). */
            uint64_t u = 0;
            for (size_t j = i; j < n; j++) {
                if (u > (UINT64_MAX - 7) / 8) {
                    say(x->why, "number %s is too large", s);
                    return YG_ESYNTAX;
                }
                u = u * 8 + (unsigned)(s[j] - '0');
            }
            snprintf(canon, canonsz, "%s%llu", s[0] == '-' && u ? "-" : "", (unsigned long long)u);
        } else if (!canon_decimal(s, n, canon, canonsz)) {
            say(x->why, "invalid number '%s'", s);
            return YG_ESYNTAX;
        }
        *num = strtod(canon, NULL);
        return YG_OK;
    }
    char *end = NULL;
    double d = strtod(s, &end);
    if (end != s + n || !isfinite(d)) {
        say(x->why, "invalid number '%s'", s);
        return YG_ESYNTAX;
    }
    if (d == floor(d) && fabs(d) < 1e300) {
        snprintf(canon, canonsz, "%.0f", d == 0 ? 0.0 : d);
    } else {
        /* Shortest text that reads back as d: Python's repr. */
        for (int prec = 1; prec <= 17; prec++) {
            snprintf(canon, canonsz, "%.*g", prec, d);
            if (strtod(canon, NULL) == d)
                break;
        }
    }
    *num = d;
    return YG_OK;
}

/* The event side of number equality.  Strings must spell the rule number
 * exactly; JSON numbers may differ in leading zeros, trailing fraction zeros
 * or exponent form, but never so that the atom (canonical digits) could be
 * missing from the text: exponent forms only count when the rule number
 * itself needs an exponent. */
static bool num_eq(const struct yg_vm *vm, const struct yg_val *v)
{
    if (v->type != YG_VT_STR && v->type != YG_VT_NUM)
        return false;
    if (yg_str_ieq(v->p, v->n, vm->pat, vm->n))
        return true;
    if (v->type != YG_VT_NUM)
        return false;
    char buf[512];
    if (memchr(vm->pat, 'e', vm->n)) {
        double d;
        return parse_event_num(v->p, v->n, &d) && d == vm->num;
    }
    return canon_decimal(v->p, v->n, buf, sizeof buf) && strlen(buf) == vm->n &&
           memcmp(buf, vm->pat, vm->n) == 0;
}

/* ---- time parts --------------------------------------------------------- */

static bool leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const int d[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap(y) ? 29 : d[m - 1];
}

/* 1 = Monday .. 7 = Sunday */
static int weekday(int y, int m, int d)
{
    static const int t[12] = {0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4};
    if (m < 3)
        y -= 1;
    int w = (y + y / 4 - y / 100 + y / 400 + t[m - 1] + d) % 7; /* 0 = Sunday */
    return w == 0 ? 7 : w;
}

static int iso_weeks_in_year(int y)
{
    int p = (y + y / 4 - y / 100 + y / 400) % 7;
    int py = ((y - 1) + (y - 1) / 4 - (y - 1) / 100 + (y - 1) / 400) % 7;
    return (p == 4 || py == 3) ? 53 : 52;
}

static int iso_week(int y, int m, int d)
{
    int doy = d;
    for (int i = 1; i < m; i++)
        doy += days_in_month(y, i);
    int w = (doy - weekday(y, m, d) + 10) / 7;
    if (w < 1)
        return iso_weeks_in_year(y - 1);
    if (w > iso_weeks_in_year(y))
        return 1;
    return w;
}

static bool digits(const char *p, size_t n, size_t at, size_t cnt, int *out)
{
    if (at + cnt > n)
        return false;
    int v = 0;
    for (size_t i = 0; i < cnt; i++) {
        if (p[at + i] < '0' || p[at + i] > '9')
            return false;
        v = v * 10 + (p[at + i] - '0');
    }
    *out = v;
    return true;
}

/*
 * YYYY-MM-DD[(T| )HH:MM[:SS[(.|,)fraction]]][ ][Z|+HH[:MM]|-HH[:MM]], as
 * ISO 8601 and the usual log renderings write it.  No zone conversion: the
 * specification asks for the part as written.  Returns the part for
 * timepart 1..6, or -1 if the text is not such a timestamp or lacks the part.
 */
static int time_part(const char *p, size_t n, int part)
{
    while (n && (*p == ' ' || *p == '\t'))
        p++, n--;
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    int y, mo, d, h = -1, mi = -1, sec;
    if (!digits(p, n, 0, 4, &y) || n < 10 || p[4] != '-' || !digits(p, n, 5, 2, &mo) ||
        p[7] != '-' || !digits(p, n, 8, 2, &d))
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
        return -1;
    size_t i = 10;
    if (i < n && (p[i] == 'T' || p[i] == 't' || p[i] == ' ')) {
        if (!digits(p, n, i + 1, 2, &h) || i + 3 >= n || p[i + 3] != ':' ||
            !digits(p, n, i + 4, 2, &mi))
            return -1;
        if (h > 23 || mi > 59)
            return -1;
        i += 6;
        if (i < n && p[i] == ':') {
            if (!digits(p, n, i + 1, 2, &sec) || sec > 60)
                return -1;
            i += 3;
            if (i < n && (p[i] == '.' || p[i] == ',')) {
                size_t f = ++i;
                while (i < n && p[i] >= '0' && p[i] <= '9')
                    i++;
                if (i == f)
                    return -1;
            }
        }
        if (i < n && p[i] == ' ')
            i++;
        if (i < n && (p[i] == 'Z' || p[i] == 'z')) {
            i++;
        } else if (i < n && (p[i] == '+' || p[i] == '-')) {
            int zh, zm;
            if (!digits(p, n, i + 1, 2, &zh) || zh > 23)
                return -1;
            i += 3;
            if (i < n && p[i] == ':')
                i++;
            if (i < n) {
                if (!digits(p, n, i, 2, &zm) || zm > 59)
                    return -1;
                i += 2;
            }
        }
    }
    if (i != n)
        return -1;
    switch (part) {
    case 1: return mi;
    case 2: return h;
    case 3: return d;
    case 4: return iso_week(y, mo, d);
    case 5: return mo;
    case 6: return y;
    }
    return -1;
}

static int timepart_of(uint32_t bits)
{
    return bits & YG_MOD_MINUTE  ? 1
           : bits & YG_MOD_HOUR  ? 2
           : bits & YG_MOD_DAY   ? 3
           : bits & YG_MOD_WEEK  ? 4
           : bits & YG_MOD_MONTH ? 5
           : bits & YG_MOD_YEAR  ? 6
                                 : 0;
}

static bool cmp_num(uint8_t cmp, double a, double b)
{
    switch (cmp) {
    case YG_CMP_EQ: return a == b;
    case YG_CMP_LT: return a < b;
    case YG_CMP_LTE: return a <= b;
    case YG_CMP_GT: return a > b;
    case YG_CMP_GTE: return a >= b;
    }
    return false;
}

/* ---- CIDR ---------------------------------------------------------------- */

/* The address part of a CIDR expression, as written (core/addr.h). */
static bool parse_ip(const char *p, size_t n, uint8_t *addr, uint8_t *fam)
{
    struct yg_addr a;
    if (!yg__addr_parse(p, n, 0, &a))
        return false;
    memcpy(addr, a.b, 16);
    *fam = a.fam;
    return true;
}

static yg_err compile_cidr(struct cx *x, const struct yg_ynode *v, struct yg_vm *vm)
{
    const char *s = v->s, *slash = memchr(v->s, '/', v->slen);
    size_t an = slash ? (size_t)(slash - s) : v->slen;
    uint8_t fam = 0;
    memset(vm, 0, sizeof *vm);
    if (!parse_ip(s, an, vm->addr, &fam)) {
        say(x->why, "invalid CIDR expression '%s'", s);
        return YG_ESYNTAX;
    }
    unsigned maxbits = fam == 4 ? 32 : 128, bits = maxbits;
    if (slash) {
        const char *b = slash + 1;
        size_t bn = v->slen - an - 1;
        bits = 0;
        if (bn == 0 || bn > 3) {
            say(x->why, "invalid CIDR prefix length in '%s'", s);
            return YG_ESYNTAX;
        }
        for (size_t i = 0; i < bn; i++) {
            if (b[i] < '0' || b[i] > '9') {
                say(x->why, "invalid CIDR prefix length in '%s'", s);
                return YG_ESYNTAX;
            }
            bits = bits * 10 + (unsigned)(b[i] - '0');
        }
        if (bits > maxbits) {
            say(x->why, "CIDR prefix length %u too large in '%s'", bits, s);
            return YG_ESYNTAX;
        }
    }
    /* Python's ip_network() (strict) rejects host bits; so does pySigma. */
    for (unsigned i = bits; i < maxbits; i++) {
        if (vm->addr[i / 8] & (0x80 >> (i % 8))) {
            say(x->why, "CIDR expression '%s' has host bits set", s);
            return YG_ESYNTAX;
        }
    }
    vm->op = YG_VOP_CIDR;
    vm->fam = fam;
    vm->bits = (uint8_t)bits;
    vm->pat = perm_copy(x, s, v->slen, false);
    if (!vm->pat)
        return nomem(x);
    vm->n = (uint32_t)v->slen;
    /* Dotted quads are written without leading zeros (inet_pton refuses
     * them), so the octets fixed by the prefix appear verbatim. */
    if (fam == 4 && bits >= 8) {
        char a[20];
        unsigned k = bits / 8;
        int o = 0;
        for (unsigned i = 0; i < k; i++)
            o += snprintf(a + o, sizeof a - (size_t)o, "%u%s", vm->addr[i], i + 1 < 4 ? "." : "");
        char *ap = perm_copy(x, a, (size_t)o, false);
        if (!ap)
            return nomem(x);
        return set_atom(x, vm, ap, (size_t)o, true);
    }
    return YG_OK;
}

static bool cidr_test(const struct yg_vm *vm, const struct yg_val *v)
{
    if (v->type != YG_VT_STR)
        return false;
    /* Blanks around the value are not part of it; a zone index
     * (fe80::1%eth0) names an interface, not address bits. */
    struct yg_addr a;
    if (!yg__addr_parse(v->p, v->n, YG_ADDR_TRIM | YG_ADDR_ZONE, &a) || a.fam != vm->fam)
        return false;
    return yg__addr_prefix_eq(a.b, vm->addr, vm->bits);
}

/* ---- regex -------------------------------------------------------------- */

static void *re_malloc(PCRE2_SIZE n, void *u)
{
    (void)u;
    return yg_malloc(n);
}

static void re_free(void *p, void *u)
{
    (void)u;
    yg_free(p);
}

struct re_scratch {
    pcre2_general_context *g;
    pcre2_match_context *mc;
    pcre2_match_data *md;
    pcre2_jit_stack *js;
    uint64_t limits; /* matches that gave up at a limit (see regex_test) */
};

const uint64_t *yg__re_scratch_limits_at(const void *scratch)
{
    const struct re_scratch *s = scratch;
    return s ? &s->limits : NULL;
}

void yg__re_scratch_free(void *p)
{
    struct re_scratch *s = p;
    if (!s)
        return;
    pcre2_jit_stack_free(s->js);
    pcre2_match_data_free(s->md);
    pcre2_match_context_free(s->mc);
    pcre2_general_context_free(s->g);
    yg_free(s);
}

void *yg__re_scratch_new(void)
{
    struct re_scratch *s = yg_calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->g = pcre2_general_context_create(re_malloc, re_free, NULL);
    if (!s->g)
        goto fail;
    s->mc = pcre2_match_context_create(s->g);
    s->md = pcre2_match_data_create(1, s->g);
    if (!s->mc || !s->md)
        goto fail;
    pcre2_set_match_limit(s->mc, YG_REGEX_MATCH_LIMIT);
    pcre2_set_depth_limit(s->mc, YG_REGEX_DEPTH_LIMIT);
    /* JIT code ignores the depth limit; its stack size bounds it instead.
     * Without JIT support the create fails and matching interprets. */
    s->js = pcre2_jit_stack_create(32 * 1024, 1024 * 1024, s->g);
    if (s->js)
        pcre2_jit_stack_assign(s->mc, NULL, s->js);
    return s;
fail:
    yg__re_scratch_free(s);
    return NULL;
}

void yg__vm_pool_free(struct yg_vm_pool *pool)
{
    if (!pool)
        return;
    for (size_t i = 0; i < pool->n; i++)
        pcre2_code_free(pool->re[i]);
    yg_free(pool->re);
    pool->re = NULL;
    pool->n = pool->cap = 0;
}

static yg_err pool_add(struct cx *x, void *re)
{
    struct yg_vm_pool *pool = x->pool;
    if (pool->n == pool->cap) {
        size_t nc = pool->cap ? pool->cap * 2 : 16;
        void **nr = yg_realloc(pool->re, nc * sizeof *nr);
        if (!nr)
            return nomem(x);
        pool->re = nr;
        pool->cap = nc;
    }
    pool->re[pool->n++] = re;
    return YG_OK;
}

/* Skip the argument of an escape like \x{41}, \p{L}, \g{-1}, \k<n>, \cX,
 * \012, so its characters are not mistaken for literals.  i indexes the
 * letter after the backslash; returns the index after the escape. */
static size_t skip_escape_arg(const char *p, size_t n, size_t i)
{
    char d = p[i++];
    switch (d) {
    case 'x':
    case 'o':
    case 'p':
    case 'P':
    case 'N':
    case 'g':
    case 'k':
        if (i < n && (p[i] == '{' || p[i] == '<' || p[i] == '\'')) {
            char close = p[i] == '{' ? '}' : p[i] == '<' ? '>' : '\'';
            while (i < n && p[i] != close)
                i++;
            return i < n ? i + 1 : n;
        }
        if (d == 'x') {
            for (int k = 0; k < 2 && i < n && strchr("0123456789abcdefABCDEF", p[i]) && p[i]; k++)
                i++;
        } else if (d == 'p' || d == 'P') {
            if (i < n)
                i++;
        } else if (d == 'g') {
            if (i < n && (p[i] == '-' || p[i] == '+'))
                i++;
            while (i < n && p[i] >= '0' && p[i] <= '9')
                i++;
        }
        return i;
    case 'c': return i < n ? i + 1 : n;
    default:
        if (d >= '0' && d <= '9')
            while (i < n && p[i] >= '0' && p[i] <= '9')
                i++;
        return i;
    }
}

/*
 * A literal every match must contain, or none.  Only top-level literal runs
 * count: anything inside a group may be optional or alternated, and a
 * top-level `|` voids everything.  A quantifier that allows zero copies
 * removes the character before it; `+` keeps it but ends the run.  Under
 * caseless matching PCRE2 folds K and S to the Kelvin and long-s signs and
 * non-ASCII letters to other bytes, so those end a run; extended mode
 * (x flag) makes spaces vanish, so it disables atoms entirely.
 */
/* Inline flags: (?i) makes the pattern caseless; false for (?x), whose
 * vanishing spaces make literal runs meaningless. */
static bool regex_flags(const char *p, size_t n, bool *caseless)
{
    for (size_t i = 0; i + 1 < n; i++) {
        size_t bs = 0;
        while (bs < i && p[i - 1 - bs] == '\\')
            bs++;
        if (p[i] != '(' || p[i + 1] != '?' || bs % 2)
            continue;
        for (size_t j = i + 2;
             j < n && (p[j] == '-' || p[j] == '^' || (p[j] >= 'a' && p[j] <= 'z') ||
                       (p[j] >= 'A' && p[j] <= 'Z'));
             j++) {
            if (p[j] == 'x')
                return false;
            if (p[j] == 'i')
                *caseless = true;
        }
    }
    return true;
}

/* The literal run being read, and the longest one so far. */
struct ratom {
    char run[256];
    size_t rn;
    char *best;
    size_t *bestlen;
    int depth;
    bool in_class;
};

static void ra_flush(struct ratom *r)
{
    if (r->rn > *r->bestlen) {
        memcpy(r->best, r->run, r->rn);
        *r->bestlen = r->rn;
    }
    r->rn = 0;
}

/* Drop the last character (all bytes of a UTF-8 sequence) of the run. */
static void ra_drop_last(struct ratom *r)
{
    while (r->rn > 0 && ((unsigned char)r->run[r->rn - 1] & 0xC0) == 0x80)
        r->rn--;
    if (r->rn > 0)
        r->rn--;
}

static void ra_push(struct ratom *r, unsigned char c)
{
    if (r->rn == sizeof r->run)
        ra_flush(r);
    r->run[r->rn++] = (char)yg_lc(c);
}

/* Inside a character class: skip to its end ([:name:], [=x=], [.x.]
 * included). */
static size_t ra_class(struct ratom *r, const char *p, size_t n, size_t i)
{
    unsigned char c = (unsigned char)p[i];
    if (c == '\\')
        return i + 2;
    if (c == '[' && i + 1 < n && (p[i + 1] == ':' || p[i + 1] == '=' || p[i + 1] == '.')) {
        char t = p[i + 1];
        i += 2;
        while (i + 1 < n && !(p[i] == t && p[i + 1] == ']'))
            i++;
        return i + 2;
    }
    if (c == ']')
        r->in_class = false;
    return i + 1;
}

/* An escape at p[i] == '\\': a literal character, \Q...\E, or a class or
 * assertion that ends the run.  A trailing backslash ends the pattern. */
static size_t ra_escape(struct ratom *r, const char *p, size_t n, size_t i)
{
    if (i + 1 >= n) {
        ra_flush(r);
        return n;
    }
    unsigned char d = (unsigned char)p[i + 1];
    if (d == 'Q') {
        ra_flush(r);
        size_t e = i + 2;
        while (e + 1 < n && !(p[e] == '\\' && p[e + 1] == 'E'))
            e++;
        return e + 1 < n ? e + 2 : n;
    }
    if ((d >= '0' && d <= '9') || (d >= 'a' && d <= 'z') || (d >= 'A' && d <= 'Z') || d >= 0x80) {
        ra_flush(r);
        return d >= 0x80 ? i + 2 : skip_escape_arg(p, n, i + 1);
    }
    if (r->depth == 0)
        ra_push(r, d);
    return i + 2;
}

/* A metacharacter outside classes and groups; 0 if p[i] is none, RA_NONE
 * when the pattern has no usable run (an alternation at the top, an
 * unbalanced group). */
#define RA_NONE SIZE_MAX
static size_t ra_meta(struct ratom *r, const char *p, size_t n, size_t i)
{
    unsigned char c = (unsigned char)p[i];
    switch (c) {
    case '[':
        ra_flush(r);
        r->in_class = true;
        i++;
        if (i < n && p[i] == '^')
            i++;
        if (i < n && p[i] == ']')
            i++;
        return i;
    case '(':
        ra_flush(r);
        r->depth++;
        return i + 1;
    case ')': ra_flush(r); return --r->depth < 0 ? RA_NONE : i + 1;
    }
    if (r->depth > 0)
        return i + 1;
    switch (c) {
    case '|': return RA_NONE;
    case '*':
    case '?':
        ra_drop_last(r);
        ra_flush(r);
        return i + 1;
    case '+':
    case '.':
    case '^':
    case '$': ra_flush(r); return i + 1;
    case '{': {
        size_t j = i + 1;
        while (j < n && ((p[j] >= '0' && p[j] <= '9') || p[j] == ',' || p[j] == ' '))
            j++;
        if (j < n && p[j] == '}' && j > i + 1) {
            ra_drop_last(r);
            ra_flush(r);
            return j + 1;
        }
        ra_flush(r);
        return i + 1;
    }
    }
    return 0;
}

static void regex_atom(const char *p, size_t n, bool caseless, char *best, size_t *bestlen)
{
    *bestlen = 0;
    if (!regex_flags(p, n, &caseless))
        return;
    struct ratom r;
    r.rn = 0;
    r.best = best;
    r.bestlen = bestlen;
    r.depth = 0;
    r.in_class = false;
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)p[i];
        size_t next;
        if (r.in_class)
            next = ra_class(&r, p, n, i);
        else if (c == '\\')
            next = ra_escape(&r, p, n, i);
        else if (!(next = ra_meta(&r, p, n, i))) {
            /* Under (?i), k and s also match the Kelvin and long-s signs,
             * which a caseless literal scan would not find. */
            if (caseless && (c >= 0x80 || yg_lc(c) == 'k' || yg_lc(c) == 's'))
                ra_flush(&r);
            else
                ra_push(&r, c);
            next = i + 1;
        }
        if (next == RA_NONE) {
            *bestlen = 0;
            return;
        }
        i = next;
    }
    if (r.in_class || r.depth != 0) {
        *bestlen = 0;
        return;
    }
    ra_flush(&r);
}

static yg_err compile_one_regex(struct cx *x, const char *src, size_t n, struct yg_vm *vm)
{
    yg_err err = YG_OK;
    pcre2_general_context *g = NULL;
    pcre2_compile_context *cc = NULL;
    pcre2_code *code = NULL;
    memset(vm, 0, sizeof *vm);

    if (n > YG_MAX_REGEX_BYTES) {
        say(x->why, "regex longer than %u bytes", YG_MAX_REGEX_BYTES);
        return YG_ELIMIT;
    }
    uint32_t bits = x->m->bits;
    uint32_t opts = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF;
    if (bits & YG_MOD_RE_I)
        opts |= PCRE2_CASELESS;
    if (bits & YG_MOD_RE_M)
        opts |= PCRE2_MULTILINE;
    if (bits & YG_MOD_RE_S)
        opts |= PCRE2_DOTALL;
    g = pcre2_general_context_create(re_malloc, re_free, NULL);
    cc = g ? pcre2_compile_context_create(g) : NULL;
    if (!cc) {
        err = nomem(x);
        goto done;
    }
    pcre2_set_max_pattern_length(cc, YG_MAX_REGEX_BYTES);
    int ec = 0;
    PCRE2_SIZE eo = 0;
    code = pcre2_compile((PCRE2_SPTR)src, n, opts, &ec, &eo, cc);
    if (!code) {
        PCRE2_UCHAR msg[256];
        if (pcre2_get_error_message(ec, msg, sizeof msg) < 0)
            snprintf((char *)msg, sizeof msg, "error %d", ec);
        say(x->why, "invalid regex at offset %zu: %s", (size_t)eo, (char *)msg);
        err = ec == PCRE2_ERROR_HEAP_FAILED ? YG_ENOMEM : YG_EREGEX;
        goto done;
    }
    /* JIT is an optimisation: if it is unavailable the interpreter runs. */
    (void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
    if ((err = pool_add(x, code)))
        goto done;
    vm->re = code;
    code = NULL;
    vm->op = YG_VOP_RE;
    vm->cased = !(bits & YG_MOD_RE_I);
    vm->pat = perm_copy(x, src, n, false);
    if (!vm->pat) {
        err = nomem(x);
        goto done;
    }
    vm->n = (uint32_t)n;
    char atom[256];
    size_t an = 0;
    regex_atom(src, n, (bits & YG_MOD_RE_I) != 0, atom, &an);
    if (an) {
        char *a = perm_copy(x, atom, an, false);
        if (!a) {
            err = nomem(x);
            goto done;
        }
        vm->atom = (struct yg_str){a, an};
    }
done:
    pcre2_code_free(code);
    pcre2_compile_context_free(cc);
    pcre2_general_context_free(g);
    return err;
}

/*
 * `re` with `expand`: the placeholder is replaced by each value as raw
 * regex text (pySigma pastes the value into the expression).  `\%` is a
 * regex escape of `%` and opens no placeholder.
 */
static yg_err compile_regex(struct cx *x, const struct yg_ynode *v, struct yg_vmgroup *out)
{
    yg_err err = YG_OK;
    const char *s = v->s;
    size_t n = v->slen;
    if (!(x->m->bits & YG_MOD_EXPAND)) {
        out->v = yg_arena_alloc(x->perm, sizeof *out->v);
        if (!out->v)
            return nomem(x);
        if ((err = compile_one_regex(x, s, n, &out->v[0])))
            return err;
        out->n = 1;
        return YG_OK;
    }
    /* Split into literal pieces and placeholders. */
    struct piece {
        const char *p;
        size_t n;
        const struct ph_entry *ph;
    } *pc = yg_arena_alloc(&x->tmp, (n + 1) * sizeof *pc);
    if (!pc)
        return nomem(x);
    size_t np = 0, st = 0, total = 1;
    for (size_t i = 0; i < n;) {
        if (s[i] == '\\') {
            i += 2;
            continue;
        }
        if (s[i] == '%') {
            size_t j = i + 1;
            while (j < n && s[j] != '%' && s[j] != '\\')
                j++;
            if (j < n && s[j] == '%' && j > i + 1) {
                if ((err = ph_name(x, s + i + 1, j - i - 1)))
                    return err;
                const struct ph_entry *e = ph_need(x, x->nnames++);
                if (!e)
                    return YG_EUNSUPPORTED;
                pc[np++] = (struct piece){s + st, i - st, NULL};
                pc[np++] = (struct piece){NULL, 0, e};
                if (e->nvals && total > YG_MAX_VALUE_EXPANSION / e->nvals) {
                    say(x->why, "value expands to more than %u alternatives",
                        YG_MAX_VALUE_EXPANSION);
                    return YG_ELIMIT;
                }
                total *= e->nvals;
                i = j + 1;
                st = i;
                continue;
            }
        }
        i++;
    }
    pc[np++] = (struct piece){s + st, n - st, NULL};
    out->v = yg_arena_alloc(x->perm, (total ? total : 1) * sizeof *out->v);
    if (!out->v)
        return nomem(x);
    out->n = 0;
    struct yg_buf b;
    yg_buf_init(&b, YG_MAX_REGEX_BYTES + 1);
    for (size_t combo = 0; combo < total; combo++) {
        yg_buf_reset(&b);
        size_t div = total;
        for (size_t k = 0; k < np; k++) {
            const struct ph_entry *e = pc[k].ph;
            if (!e) {
                err = yg_buf_add(&b, pc[k].p, pc[k].n);
            } else {
                div /= e->nvals;
                size_t pick = (combo / div) % e->nvals;
                err = yg_buf_add(&b, e->vals[pick], e->vlens[pick]);
            }
            if (err == YG_ELIMIT) {
                say(x->why, "regex longer than %u bytes", YG_MAX_REGEX_BYTES);
                goto done;
            }
            if (err) {
                err = nomem(x);
                goto done;
            }
        }
        if ((err = compile_one_regex(x, b.p ? b.p : "", b.n, &out->v[out->n])))
            goto done;
        out->n++;
    }
done:
    yg_buf_free(&b);
    return err;
}

static bool regex_test(const struct yg_vm *vm, const char *p, size_t n, void *scratch)
{
    struct re_scratch *s = scratch, *own = NULL;
    if (!s) {
        own = s = yg__re_scratch_new();
        if (!s)
            return false;
    }
    int rc = pcre2_match(vm->re, (PCRE2_SPTR)(p ? p : ""), n, 0, 0, s->md, s->mc);
    /* Negative: no match, or a match/depth/heap/JIT-stack limit was hit,
     * which by policy counts as no match, but is counted so the scanner can
     * name the rule that could not be decided (yg__scanner_regex_limits). */
    if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
        rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT)
        s->limits++;
    yg__re_scratch_free(own);
    return rc >= 0;
}

/* ---- compile entry point ------------------------------------------------ */

static const char *skind_name(enum yg_skind k)
{
    switch (k) {
    case YG_S_STR: return "string";
    case YG_S_INT:
    case YG_S_FLOAT: return "number";
    case YG_S_BOOL: return "boolean";
    case YG_S_NULL: return "null";
    }
    return "value";
}

/* First value modifier of the chain (for messages). */
static uint32_t first_value_mod(const struct yg_mods *m)
{
    for (unsigned i = 0; i < m->nchain; i++)
        if (!(m->chain[i] & MODS_LIST))
            return m->chain[i];
    return 0;
}

static yg_err one_vm(struct cx *x, struct yg_vmgroup *out, struct yg_vm **vm)
{
    out->v = yg_arena_alloc(x->perm, sizeof *out->v);
    if (!out->v)
        return nomem(x);
    memset(out->v, 0, sizeof *out->v);
    out->n = 1;
    *vm = out->v;
    return YG_OK;
}

/* lt, lte, gt, gte and the time-part modifiers: a number compared. */
static yg_err value_compare(struct cx *x, const struct yg_ynode *v, enum yg_skind kind, uint32_t vb,
                            struct yg_vmgroup *out)
{
    yg_err err = YG_OK;
    struct yg_vm *vm = NULL;
    if (kind != YG_S_INT && kind != YG_S_FLOAT) {
        say(x->why, "modifier '%s' needs a number, got %s '%s'", mod_name(first_value_mod(x->m)),
            skind_name(kind), v->s);
        return YG_ESYNTAX;
    }
    char canon[400];
    double num;
    YG_TRY(rule_number(x, v, &num, canon, sizeof canon));
    YG_TRY(one_vm(x, out, &vm));
    vm->op = YG_VOP_NUM;
    vm->timepart = (uint8_t)timepart_of(vb);
    vm->num = vm->timepart ? trunc(num) : num;
    vm->cmp = vb & YG_MOD_LT    ? YG_CMP_LT
              : vb & YG_MOD_LTE ? YG_CMP_LTE
              : vb & YG_MOD_GT  ? YG_CMP_GT
              : vb & YG_MOD_GTE ? YG_CMP_GTE
                                : YG_CMP_EQ;
    vm->pat = perm_copy(x, canon, strlen(canon), false);
    if (!vm->pat)
        YG_TRY(nomem(x));
    vm->n = (uint32_t)strlen(canon);
done:
    return err;
}

/* fieldref: the value names another field of the event. */
static yg_err value_fieldref(struct cx *x, const struct yg_ynode *v, uint32_t vb,
                             struct yg_vmgroup *out)
{
    yg_err err = YG_OK;
    struct yg_vm *vm = NULL;
    struct sstr s;
    YG_TRY(parse_sstr(x, v->s, v->slen, false, &s));
    char *name = yg_arena_alloc(x->perm, s.n + 1);
    if (!name)
        YG_TRY(nomem(x));
    for (size_t i = 0; i < s.n; i++) {
        if (s.v[i].k != SK_LIT) {
            say(x->why, "field references must not contain wildcards");
            return YG_ESYNTAX;
        }
        name[i] = (char)s.v[i].c;
    }
    name[s.n] = 0;
    if (!s.n) {
        say(x->why, "empty field reference");
        return YG_ESYNTAX;
    }
    YG_TRY(one_vm(x, out, &vm));
    vm->op = YG_VOP_FIELDREF;
    vm->pat = name;
    vm->n = (uint32_t)s.n;
    vm->cased = x->cased;
    vm->refop = (vb & YG_MOD_CONTAINS) || ((vb & YG_MOD_STARTSWITH) && (vb & YG_MOD_ENDSWITH))
                    ? YG_VOP_CONTAINS
                : vb & YG_MOD_STARTSWITH ? YG_VOP_PREFIX
                : vb & YG_MOD_ENDSWITH   ? YG_VOP_SUFFIX
                                         : YG_VOP_EQ;
done:
    return err;
}

/* A number without modifiers: equal as a number, or as its text. */
static yg_err value_number(struct cx *x, const struct yg_ynode *v, struct yg_vmgroup *out)
{
    yg_err err = YG_OK;
    struct yg_vm *vm = NULL;
    char canon[400];
    double num;
    YG_TRY(rule_number(x, v, &num, canon, sizeof canon));
    YG_TRY(one_vm(x, out, &vm));
    vm->op = YG_VOP_NUM;
    vm->cmp = YG_CMP_EQ;
    vm->num = num;
    size_t cn = strlen(canon);
    vm->pat = perm_copy(x, canon, cn, false);
    if (!vm->pat)
        YG_TRY(nomem(x));
    vm->n = (uint32_t)cn;
    /* JSON numbers equal to it contain its unsigned digits (see num_eq). */
    if (!memchr(canon, 'e', cn)) {
        size_t sgn = canon[0] == '-';
        vm->atom = (struct yg_str){vm->pat + sgn, cn - sgn};
    }
done:
    return err;
}

static yg_err value_bool(struct cx *x, const struct yg_ynode *v, struct yg_vmgroup *out)
{
    struct yg_vm *vm = NULL;
    yg_err err = one_vm(x, out, &vm);
    if (err)
        return err;
    bool t = v->s[0] == 't' || v->s[0] == 'T';
    vm->op = YG_VOP_BOOL;
    vm->num = t;
    vm->pat = t ? "true" : "false";
    vm->n = t ? 4 : 5;
    vm->atom = (struct yg_str){vm->pat, vm->n};
    return YG_OK;
}

/* A string: wildcards, the modifier chain, placeholders expanded. */
static yg_err value_string(struct cx *x, const struct yg_ynode *v, uint32_t vb,
                           struct yg_vmgroup *out)
{
    yg_err err = YG_OK;
    struct slist l = {0}, fin = {0};
    struct sstr s;
    YG_TRY(parse_sstr(x, v->s, v->slen, (vb & YG_MOD_EXPAND) != 0, &s));
    YG_TRY(sl_push(x, &l, s));
    YG_TRY(apply_chain(x, &l));
    YG_TRY(expand_placeholders(x, &l, &fin));
    out->v = yg_arena_alloc(x->perm, (fin.n ? fin.n : 1) * sizeof *out->v);
    if (!out->v)
        YG_TRY(nomem(x));
    for (size_t i = 0; i < fin.n; i++)
        YG_TRY(lower_sstr(x, &fin.s[i], &out->v[i]));
    out->n = (uint32_t)fin.n;
done:
    return err;
}

/* exists: true or false; a null value (no modifier may apply). */
static yg_err value_exists_or_null(struct cx *x, const struct yg_ynode *v, bool is_null,
                                   enum yg_skind kind, uint32_t vb, struct yg_vmgroup *out)
{
    yg_err err = YG_OK;
    struct yg_vm *vm = NULL;
    if (x->m->bits & YG_MOD_EXISTS) {
        if (is_null || kind != YG_S_BOOL) {
            say(x->why, "'exists' needs true or false, got %s",
                is_null ? "null" : skind_name(kind));
            return YG_ESYNTAX;
        }
        YG_TRY(one_vm(x, out, &vm));
        vm->op = YG_VOP_EXISTS;
        vm->num = (v->s[0] == 't' || v->s[0] == 'T') ? 1 : 0;
        return YG_OK;
    }
    if (vb) {
        say(x->why, "a null value cannot take modifier '%s'", mod_name(first_value_mod(x->m)));
        return YG_ESYNTAX;
    }
    YG_TRY(one_vm(x, out, &vm));
    vm->op = YG_VOP_NULL;
done:
    return err;
}

static yg_err compile_value(struct cx *x, const struct yg_ynode *v, struct yg_vmgroup *out)
{
    yg_err err = YG_OK;
    const struct yg_mods *m = x->m;
    uint32_t vb = m->bits & ~(uint32_t)MODS_LIST;
    struct yg_vm *vm = NULL;
    if (v && v->type != YG_Y_SCALAR) {
        say(x->why, "a value must be a plain scalar");
        return YG_ESYNTAX;
    }
    bool is_null = !v || v->skind == YG_S_NULL;
    enum yg_skind kind = v ? pyyaml_kind(v) : YG_S_NULL;
    if ((m->bits & YG_MOD_EXISTS) || is_null)
        return value_exists_or_null(x, v, is_null, kind, vb, out);
    if (vb & (MODS_CMP | MODS_TIME))
        return value_compare(x, v, kind, vb, out);
    if ((vb & (YG_MOD_RE | YG_MOD_CIDR | YG_MOD_FIELDREF | MODS_STRING)) && kind != YG_S_STR) {
        say(x->why, "modifier '%s' needs a string, got %s '%s'", mod_name(first_value_mod(m)),
            skind_name(kind), v->s);
        return YG_ESYNTAX;
    }
    if (vb & YG_MOD_RE)
        return compile_regex(x, v, out);
    if (vb & YG_MOD_CIDR) {
        YG_TRY(one_vm(x, out, &vm));
        return compile_cidr(x, v, vm);
    }
    if (vb & YG_MOD_FIELDREF)
        return value_fieldref(x, v, vb, out);
    if (kind == YG_S_INT || kind == YG_S_FLOAT)
        return value_number(x, v, out);
    if (kind == YG_S_BOOL)
        return value_bool(x, v, out);
    return value_string(x, v, vb, out);
done:
    return err;
}

yg_err yg__value_compile(const struct yg_mods *m, const struct yg_ynode *value,
                         const struct yg_placeholders *ph, struct yg_arena *perm,
                         struct yg_vm_pool *pool, struct yg_vmgroup *out, struct yg_errmsg *why)
{
    struct cx x;
    memset(&x, 0, sizeof x);
    /* Expansion is capped in count; the cap on bytes keeps a pathological
     * placeholder file from exhausting memory. */
    yg_arena_init(&x.tmp, 16384, (size_t)256 << 20);
    x.perm = perm;
    x.pool = pool;
    x.m = m;
    x.ph = ph;
    x.cased = (m->bits & YG_MOD_CASED) != 0;
    x.why = why;
    out->v = NULL;
    out->n = 0;
    yg_err err = compile_value(&x, value, out);
    yg_arena_free(&x.tmp);
    if (err) {
        out->v = NULL;
        out->n = 0;
    }
    return err;
}

/* ---- matching -------------------------------------------------------------- */

static inline bool eq_fold(const char *s, const char *lpat, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (yg_lc((unsigned char)s[i]) != (unsigned char)lpat[i])
            return false;
    return true;
}

static inline bool lit_eq(const char *s, const char *pat, size_t n, bool cased)
{
    if (n == 0)
        return true;
    return cased ? memcmp(s, pat, n) == 0 : eq_fold(s, pat, n);
}

static const char *lit_find(const char *h, size_t hn, const char *pat, size_t n, bool cased)
{
    if (cased)
        return n ? memmem(h, hn, pat, n) : h;
    return yg_memimem(h, hn, pat, n);
}

/*
 * Wildcard matching without exponential backtracking: only the most recent
 * `*` is ever revisited (advancing what it swallows by one character), which
 * is complete for patterns made of `*`, `?` and literals.  A literal right
 * after a `*` is located with a substring search instead of stepping.
 */
static bool glob_match(const struct yg_vm *vm, const char *s, size_t n)
{
    const struct yg_glob_seg *g = vm->glob;
    uint32_t ng = vm->nglob, gi = 0;
    size_t si = 0;
    uint32_t star = UINT32_MAX; /* index of the last `*` segment seen */
    size_t star_si = 0;         /* where the segments after it are tried */
    bool cased = vm->cased;
    for (;;) {
        if (gi == ng) {
            if (si == n)
                return true;
            if (star == ng - 1)
                return true; /* trailing `*` swallows the rest */
            goto backtrack;
        }
        const struct yg_glob_seg *sg = &g[gi];
        if (sg->kind == 1) {
            star = gi++;
            star_si = si;
            continue;
        }
        if (sg->kind == 2) {
            if (si >= n)
                goto backtrack;
            si += u8_step(s + si, n - si);
            gi++;
            continue;
        }
        if (star != UINT32_MAX && gi == star + 1) {
            const char *f = lit_find(s + si, n - si, sg->p, sg->n, cased);
            if (!f)
                return false; /* no later start can help either */
            si = (size_t)(f - s);
            star_si = si;
            si += sg->n;
            gi++;
            continue;
        }
        if (n - si >= sg->n && lit_eq(s + si, sg->p, sg->n, cased)) {
            si += sg->n;
            gi++;
            continue;
        }
    backtrack:
        if (star == UINT32_MAX || star_si >= n)
            return false;
        star_si += u8_step(s + star_si, n - star_si);
        si = star_si;
        gi = star + 1;
    }
}

static bool str_test(uint8_t op, const char *p, size_t n, const char *pat, size_t pn, bool cased)
{
    switch (op) {
    case YG_VOP_EQ: return n == pn && lit_eq(p, pat, pn, cased);
    case YG_VOP_PREFIX: return n >= pn && lit_eq(p, pat, pn, cased);
    case YG_VOP_SUFFIX: return n >= pn && lit_eq(p + n - pn, pat, pn, cased);
    case YG_VOP_CONTAINS: return pn == 0 || lit_find(p, n, pat, pn, cased) != NULL;
    }
    return false;
}

/* Values that have text: strings, numbers (source text) and booleans. */
static inline bool has_text(const struct yg_val *v)
{
    return v->type == YG_VT_STR || v->type == YG_VT_NUM || v->type == YG_VT_BOOL;
}

bool yg__vm_test(const struct yg_vm *vm, const struct yg_val *v, void *re_scratch)
{
    if (!vm || !v)
        return false;
    switch ((enum yg_vop)vm->op) {
    case YG_VOP_EQ:
    case YG_VOP_PREFIX:
    case YG_VOP_SUFFIX:
    case YG_VOP_CONTAINS:
        return has_text(v) && str_test(vm->op, v->p, v->n, vm->pat, vm->n, vm->cased);
    case YG_VOP_GLOB: return has_text(v) && glob_match(vm, v->p, v->n);
    case YG_VOP_RE: return has_text(v) && regex_test(vm, v->p, v->n, re_scratch);
    case YG_VOP_CIDR: return cidr_test(vm, v);
    case YG_VOP_NULL: return v->type == YG_VT_NULL;
    case YG_VOP_BOOL:
        if (v->type != YG_VT_BOOL && v->type != YG_VT_STR)
            return false;
        return vm->num != 0 ? yg_str_ieq(v->p, v->n, "true", 4)
                            : yg_str_ieq(v->p, v->n, "false", 5);
    case YG_VOP_NUM: {
        if (vm->timepart) {
            if (v->type != YG_VT_STR)
                return false;
            int part = time_part(v->p, v->n, vm->timepart);
            return part >= 0 && cmp_num(vm->cmp, part, vm->num);
        }
        if (vm->cmp == YG_CMP_EQ)
            return num_eq(vm, v);
        double d;
        if ((v->type != YG_VT_STR && v->type != YG_VT_NUM) || !parse_event_num(v->p, v->n, &d))
            return false;
        return cmp_num(vm->cmp, d, vm->num);
    }
    case YG_VOP_FIELDREF:
    case YG_VOP_EXISTS: return false; /* the evaluator's business */
    }
    return false;
}

static const char *find_ci(const char *h, size_t hn, const char *nd, size_t nn)
{
    char small[512];
    char *low = nn <= sizeof small ? small : yg_malloc(nn);
    const char *r = NULL;
    if (!low) {
        /* Allocation failed: a slower search that needs no copy. */
        for (size_t i = 0; nn <= hn && i <= hn - nn; i++)
            if (yg_str_ieq(h + i, nn, nd, nn))
                return h + i;
        return NULL;
    }
    for (size_t i = 0; i < nn; i++)
        low[i] = (char)yg_lc((unsigned char)nd[i]);
    r = yg_memimem(h, hn, low, nn);
    if (low != small)
        yg_free(low);
    return r;
}

bool yg__val_compare(uint8_t op, bool cased, const struct yg_val *a, const struct yg_val *b)
{
    if (!a || !b || !has_text(a) || !has_text(b))
        return false;
    const char *ap = a->p, *bp = b->p;
    size_t an = a->n, bn = b->n;
    switch (op) {
    case YG_VOP_EQ:
        if (a->type == YG_VT_NUM && b->type == YG_VT_NUM) {
            char ca[512], cb[512];
            double da, db;
            if (canon_decimal(ap, an, ca, sizeof ca) && canon_decimal(bp, bn, cb, sizeof cb))
                return strcmp(ca, cb) == 0;
            return parse_event_num(ap, an, &da) && parse_event_num(bp, bn, &db) && da == db;
        }
        return an == bn && (cased ? memcmp(ap, bp, an) == 0 : yg_str_ieq(ap, an, bp, bn));
    case YG_VOP_PREFIX:
        return an >= bn && (cased ? memcmp(ap, bp, bn) == 0 : yg_str_ieq(ap, bn, bp, bn));
    case YG_VOP_SUFFIX:
        return an >= bn &&
               (cased ? memcmp(ap + an - bn, bp, bn) == 0 : yg_str_ieq(ap + an - bn, bn, bp, bn));
    case YG_VOP_CONTAINS:
        if (bn == 0)
            return true;
        return cased ? memmem(ap, an, bp, bn) != NULL : find_ci(ap, an, bp, bn) != NULL;
    }
    return false;
}
