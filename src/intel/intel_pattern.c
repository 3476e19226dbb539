/*
 * intel_pattern.c - STIX 2.1 patterns to indicators.
 *
 * A recursive-descent parser over the whole grammar of STIXPattern.g4
 * (observation expressions with FOLLOWEDBY/OR/AND and qualifiers,
 * comparison expressions with OR/AND/NOT, every operator and literal), so
 * any valid pattern parses and any invalid one is rejected with its column.
 * What comes out is the part Yagura can match on one event, as a set of
 * (type, value):
 *
 *   [a = 'x']                     one indicator, when a is a supported path
 *   [a = 'x' OR b = 'y']          both (either alone satisfies the pattern)
 *   [a IN ('x', 'y')]             both
 *   [a = 'x' AND b = 'y']         the stronger of the two (a hash before a
 *                                 URL, e-mail, domain, address, user agent):
 *                                 a necessary part, so it may fire where the
 *                                 whole pattern would not
 *   [...] OR [...], [...] AND [...]  every observation's indicators
 *   [ip:value ISSUBSET 'cidr']    the range
 *
 * Comparisons on other paths or with other operators (!=, <, LIKE, MATCHES,
 * EXISTS, NOT) match nothing: under OR they are left out (result.partial),
 * under AND the other side is kept.  FOLLOWEDBY, WITHIN, REPEATS and
 * START/STOP need a sequence of events: the pattern is unsupported.
 *
 * Supported paths: ipv4-addr:value, ipv6-addr:value, domain-name:value,
 * url:value, file:hashes.(MD5|SHA-1|SHA1|SHA-256|SHA256|SHA-512|SHA512),
 * email-addr:value, email-message:from_ref.value and sender_ref.value,
 * network-traffic:dst_ref.value and src_ref.value (an address or a domain),
 * network-traffic:extensions.'http-request-ext'.request_header.'User-Agent'.
 */
#include <stdio.h>

#include "intel/intel.h"

enum tok {
    T_EOF,
    T_LBRACK,
    T_RBRACK,
    T_LPAREN,
    T_RPAREN,
    T_COLON,
    T_DOT,
    T_COMMA,
    T_STAR,
    T_EQ,
    T_NEQ,
    T_ORD, /* < <= > >= */
    T_IDENT,
    T_STR,
    T_NUM,
    T_PREFIXED, /* h'..' b'..' t'..' */
    T_BOOL,
    /* keywords */
    T_AND,
    T_OR,
    T_NOT,
    T_FOLLOWEDBY,
    T_LIKE,
    T_MATCHES,
    T_ISSUPERSET,
    T_ISSUBSET,
    T_EXISTS,
    T_LAST,
    T_IN,
    T_START,
    T_STOP,
    T_SECONDS,
    T_WITHIN,
    T_REPEATS,
    T_TIMES,
};

struct set {
    struct yg_pat_ioc *v;
    size_t n, cap;
    int strength; /* weakest member; 0 when empty */
};

struct pp {
    const char *p;
    size_t n, pos;
    enum tok t;
    size_t tstart, tlen;
    const char *sval; /* decoded string literal */
    size_t svn;
    struct yg_arena *a;
    struct yg_pat_result *r;
    unsigned depth, ncmp;
    const char *unsupported; /* FOLLOWEDBY, WITHIN, ... */
    yg_err err;
};

static yg_err perr(struct pp *x, size_t at, yg_err e, const char *fmt, const char *arg)
{
    if (!x->err) {
        x->err = e;
        x->r->col = (unsigned)at + 1;
        snprintf(x->r->why, sizeof x->r->why, fmt, arg);
    }
    return x->err;
}

static bool idch(char c, bool first)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
           (!first && ((c >= '0' && c <= '9') || c == '-'));
}

static const struct {
    const char *k;
    enum tok t;
} keywords[] = {{"AND", T_AND},
                {"OR", T_OR},
                {"NOT", T_NOT},
                {"FOLLOWEDBY", T_FOLLOWEDBY},
                {"LIKE", T_LIKE},
                {"MATCHES", T_MATCHES},
                {"ISSUPERSET", T_ISSUPERSET},
                {"ISSUBSET", T_ISSUBSET},
                {"EXISTS", T_EXISTS},
                {"LAST", T_LAST},
                {"IN", T_IN},
                {"START", T_START},
                {"STOP", T_STOP},
                {"SECONDS", T_SECONDS},
                {"WITHIN", T_WITHIN},
                {"REPEATS", T_REPEATS},
                {"TIMES", T_TIMES},
                {"true", T_BOOL},
                {"false", T_BOOL}};

/* A quoted literal at x->pos (on the quote): decoded into sval. */
static yg_err lex_string(struct pp *x)
{
    size_t i = x->pos + 1;
    char *d = yg_arena_alloc(x->a, x->n - x->pos + 1);
    if (!d)
        return x->err = YG_ENOMEM;
    size_t k = 0;
    while (i < x->n && x->p[i] != '\'') {
        if (x->p[i] == '\\') {
            if (i + 1 >= x->n || (x->p[i + 1] != '\'' && x->p[i + 1] != '\\'))
                return perr(x, i, YG_ESYNTAX, "%s",
                            "in a string, '\\' must be followed by ' or \\");
            i++;
        }
        d[k++] = x->p[i++];
    }
    if (i >= x->n)
        return perr(x, x->pos, YG_ESYNTAX, "%s", "unterminated string literal");
    d[k] = 0;
    x->sval = d;
    x->svn = k;
    x->pos = i + 1;
    return YG_OK;
}

/* Whitespace and comments (block comments and // to the end of the line). */
static yg_err skip_blank(struct pp *x)
{
    const char *p = x->p;
    for (;;) {
        while (x->pos < x->n && (p[x->pos] == ' ' || p[x->pos] == '\t' || p[x->pos] == '\r' ||
                                 p[x->pos] == '\n' || p[x->pos] == '\v' || p[x->pos] == '\f'))
            x->pos++;
        if (x->pos + 1 < x->n && p[x->pos] == '/' && p[x->pos + 1] == '*') {
            const char *e = memmem(p + x->pos + 2, x->n - x->pos - 2, "*/", 2);
            if (!e)
                return perr(x, x->pos, YG_ESYNTAX, "%s", "unterminated comment");
            x->pos = (size_t)(e - p) + 2;
            continue;
        }
        if (x->pos + 1 < x->n && p[x->pos] == '/' && p[x->pos + 1] == '/') {
            while (x->pos < x->n && p[x->pos] != '\n' && p[x->pos] != '\r')
                x->pos++;
            continue;
        }
        return YG_OK;
    }
}

/* [+-]digits[.digits] */
static yg_err lex_number(struct pp *x, char c)
{
    const char *p = x->p;
    size_t i = x->pos + (c == '+' || c == '-');
    size_t d = 0;
    while (i < x->n && p[i] >= '0' && p[i] <= '9')
        i++, d++;
    if (i < x->n && p[i] == '.') {
        i++;
        size_t f = 0;
        while (i < x->n && p[i] >= '0' && p[i] <= '9')
            i++, f++;
        if (!f)
            return perr(x, i, YG_ESYNTAX, "%s", "a digit expected after '.'");
        d += f;
    }
    if (!d)
        return perr(x, x->pos, YG_ESYNTAX, "%s", "a number expected");
    x->t = T_NUM;
    x->pos = i;
    return YG_OK;
}

/* An identifier, or a keyword. */
static void lex_ident(struct pp *x)
{
    size_t i = x->pos;
    while (i < x->n && idch(x->p[i], false))
        i++;
    x->t = T_IDENT;
    for (size_t k = 0; k < sizeof keywords / sizeof *keywords; k++)
        if (strlen(keywords[k].k) == i - x->pos &&
            !memcmp(keywords[k].k, x->p + x->pos, i - x->pos))
            x->t = keywords[k].t;
    x->pos = i;
}

/* Operators and punctuation; false if c is none. */
static bool lex_punct(struct pp *x, char c, char c1, yg_err *err)
{
    static const struct {
        char c;
        enum tok t;
    } single[] = {{'[', T_LBRACK}, {']', T_RBRACK}, {'(', T_LPAREN}, {')', T_RPAREN},
                  {':', T_COLON},  {',', T_COMMA},  {'*', T_STAR}};
    *err = YG_OK;
    for (size_t i = 0; i < sizeof single / sizeof *single; i++)
        if (c == single[i].c) {
            x->t = single[i].t;
            x->pos++;
            return true;
        }
    switch (c) {
    case '=':
        x->t = T_EQ;
        x->pos += c1 == '=' ? 2 : 1;
        return true;
    case '!':
        if (c1 != '=') {
            *err = perr(x, x->pos, YG_ESYNTAX, "%s", "'!=' expected");
            return true;
        }
        x->t = T_NEQ;
        x->pos += 2;
        return true;
    case '<':
        x->t = c1 == '>' ? T_NEQ : T_ORD;
        x->pos += (c1 == '>' || c1 == '=') ? 2 : 1;
        return true;
    case '>':
        x->t = T_ORD;
        x->pos += c1 == '=' ? 2 : 1;
        return true;
    case '.':
        if (c1 >= '0' && c1 <= '9')
            return false; /* a number */
        x->t = T_DOT;
        x->pos++;
        return true;
    }
    return false;
}

static yg_err next(struct pp *x)
{
    const char *p = x->p;
    yg_err err = skip_blank(x);
    if (err)
        return err;
    x->tstart = x->pos;
    if (x->pos >= x->n) {
        x->t = T_EOF;
        x->tlen = 0;
        return YG_OK;
    }
    char c = p[x->pos];
    char c1 = x->pos + 1 < x->n ? p[x->pos + 1] : 0;
    if (lex_punct(x, c, c1, &err)) {
        if (err)
            return err;
    } else if (c == '\'' || ((c == 'h' || c == 'b' || c == 't') && c1 == '\'')) {
        x->pos += c != '\'';
        if (lex_string(x))
            return x->err;
        x->t = c == '\'' ? T_STR : T_PREFIXED;
    } else if (c == '+' || c == '-' || c == '.' || (c >= '0' && c <= '9')) {
        if ((err = lex_number(x, c)))
            return err;
    } else if (idch(c, true)) {
        lex_ident(x);
    } else {
        return perr(x, x->pos, YG_ESYNTAX, "%s", "unexpected character");
    }
    x->tlen = x->pos - x->tstart;
    return YG_OK;
}

static yg_err expect(struct pp *x, enum tok t, const char *what)
{
    if (x->t != t)
        return perr(x, x->tstart, YG_ESYNTAX, "%s expected", what);
    return next(x);
}

/* ---- sets of indicators ---- */

static int strength(const struct yg_pat_ioc *i)
{
    switch (i->type) {
    case YG_IOC_HASH: return i->vn >= 64 ? 10 : i->vn >= 40 ? 9 : 8;
    case YG_IOC_URL: return 7;
    case YG_IOC_EMAIL: return 6;
    case YG_IOC_DOMAIN: return 5;
    case YG_IOC_IP: return memchr(i->value, '/', i->vn) ? 3 : 4;
    default: return 2;
    }
}

static yg_err set_add(struct pp *x, struct set *s, const struct yg_pat_ioc *i)
{
    if (s->n == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 4;
        struct yg_pat_ioc *nv = yg_arena_alloc(x->a, nc * sizeof *nv);
        if (!nv)
            return x->err = YG_ENOMEM;
        if (s->n)
            memcpy(nv, s->v, s->n * sizeof *nv);
        s->v = nv;
        s->cap = nc;
    }
    s->v[s->n++] = *i;
    int st = strength(i);
    if (!s->strength || st < s->strength)
        s->strength = st;
    return YG_OK;
}

static yg_err set_union(struct pp *x, struct set *a, const struct set *b)
{
    for (size_t i = 0; i < b->n; i++)
        if (set_add(x, a, &b->v[i]))
            return x->err;
    return YG_OK;
}

/* ---- object paths ---- */

static bool ieq(const char *a, const char *b)
{
    return yg_str_ieq(a, strlen(a), b, strlen(b));
}

/* type -1: an address or a domain, by the value. */
static bool map_path(const char *path, int *type, const char **hk)
{
    static const struct {
        const char *p;
        int t;
    } direct[] = {
        {"ipv4-addr:value", YG_IOC_IP},
        {"ipv6-addr:value", YG_IOC_IP},
        {"domain-name:value", YG_IOC_DOMAIN},
        {"url:value", YG_IOC_URL},
        {"email-addr:value", YG_IOC_EMAIL},
        {"email-message:from_ref.value", YG_IOC_EMAIL},
        {"email-message:sender_ref.value", YG_IOC_EMAIL},
        {"network-traffic:dst_ref.value", -1},
        {"network-traffic:src_ref.value", -1},
        {"network-traffic:extensions.http-request-ext.request_header.User-Agent",
         YG_IOC_USER_AGENT},
    };
    *hk = NULL;
    for (size_t i = 0; i < sizeof direct / sizeof *direct; i++)
        if (!strcmp(path, direct[i].p)) {
            *type = direct[i].t;
            return true;
        }
    if (!strncmp(path, "file:hashes.", 12)) {
        static const char *const algs[][2] = {
            {"MD5", "md5"},       {"SHA-1", "sha1"},     {"SHA1", "sha1"},    {"SHA-256", "sha256"},
            {"SHA256", "sha256"}, {"SHA-512", "sha512"}, {"SHA512", "sha512"}};
        for (size_t i = 0; i < sizeof algs / sizeof *algs; i++)
            if (ieq(path + 12, algs[i][0])) {
                *type = YG_IOC_HASH;
                *hk = algs[i][1];
                return true;
            }
    }
    return false;
}

/* objectPath: type ':' first ('.' comp | '[' idx ']')* -> "type:a.b[*]". */
static yg_err parse_path(struct pp *x, char *out, size_t cap)
{
    size_t k = 0;
#define PUT(s, n)                                                                                  \
    do {                                                                                           \
        size_t n_ = (n);                                                                           \
        if (k + n_ + 1 >= cap)                                                                     \
            return perr(x, x->tstart, YG_ELIMIT, "%s", "object path too long");                    \
        memcpy(out + k, (s), n_);                                                                  \
        k += n_;                                                                                   \
    } while (0)
    if (x->t != T_IDENT)
        return perr(x, x->tstart, YG_ESYNTAX, "%s",
                    "an object type (e.g. file, ipv4-addr) expected");
    PUT(x->p + x->tstart, x->tlen);
    if (next(x) || expect(x, T_COLON, "':' after the object type"))
        return x->err;
    PUT(":", 1);
    if (x->t == T_STR)
        PUT(x->sval, x->svn);
    else if (x->t == T_IDENT || (x->t >= T_AND && x->t <= T_TIMES))
        PUT(x->p + x->tstart, x->tlen);
    else
        return perr(x, x->tstart, YG_ESYNTAX, "%s", "a property name expected after ':'");
    if (next(x))
        return x->err;
    for (;;) {
        if (x->t == T_DOT) {
            if (next(x))
                return x->err;
            PUT(".", 1);
            if (x->t == T_STR)
                PUT(x->sval, x->svn);
            else if (x->t == T_IDENT || (x->t >= T_AND && x->t <= T_TIMES))
                PUT(x->p + x->tstart, x->tlen);
            else
                return perr(x, x->tstart, YG_ESYNTAX, "%s", "a property name expected after '.'");
            if (next(x))
                return x->err;
        } else if (x->t == T_LBRACK) {
            if (next(x))
                return x->err;
            if (x->t == T_STAR)
                PUT("[*]", 3);
            else if (x->t == T_NUM)
                PUT("[n]", 3);
            else
                return perr(x, x->tstart, YG_ESYNTAX, "%s", "an index or '*' expected");
            if (next(x) || expect(x, T_RBRACK, "']' after the index"))
                return x->err;
        } else {
            break;
        }
    }
    out[k] = 0;
    return YG_OK;
#undef PUT
}

static bool is_literal(enum tok t)
{
    return t == T_STR || t == T_NUM || t == T_PREFIXED || t == T_BOOL;
}

static yg_err add_value(struct pp *x, struct set *s, int type, const char *hk, const char *v,
                        size_t vn)
{
    struct yg_pat_ioc i = {YG_IOC_IP, v, vn, hk};
    if (type < 0) {
        char key[64];
        uint8_t sub;
        i.type = yg__ioc_key(YG_IOC_IP, v, vn, key, sizeof key, &sub) ? YG_IOC_IP : YG_IOC_DOMAIN;
    } else {
        i.type = (yg_ioc_type)type;
    }
    return set_add(x, s, &i);
}

static yg_err cmp_or(struct pp *x, struct set *out);

/* propTest */
static yg_err prop_test(struct pp *x, struct set *out)
{
    memset(out, 0, sizeof out[0]);
    if (++x->ncmp > YG_INTEL_MAX_PATTERN_COMPARISONS)
        return perr(x, x->tstart, YG_ELIMIT, "%s",
                    "more comparisons than YG_INTEL_MAX_PATTERN_COMPARISONS");
    if (x->t == T_LPAREN) {
        if (++x->depth > YG_INTEL_MAX_PATTERN_DEPTH)
            return perr(x, x->tstart, YG_ELIMIT, "%s",
                        "nesting deeper than YG_INTEL_MAX_PATTERN_DEPTH");
        if (next(x) || cmp_or(x, out) || expect(x, T_RPAREN, "')'"))
            return x->err;
        x->depth--;
        return YG_OK;
    }
    bool neg = false;
    if (x->t == T_NOT) {
        neg = true;
        if (next(x))
            return x->err;
    }
    if (x->t == T_EXISTS) {
        char path[512];
        if (next(x) || parse_path(x, path, sizeof path))
            return x->err;
        x->r->partial = true;
        return YG_OK;
    }
    char path[512];
    if (parse_path(x, path, sizeof path))
        return x->err;
    if (x->t == T_NOT) {
        neg = true;
        if (next(x))
            return x->err;
    }
    enum tok op = x->t;
    int type = 0;
    const char *hk = NULL;
    bool mapped = map_path(path, &type, &hk);
    switch (op) {
    case T_EQ:
    case T_NEQ:
    case T_ORD: {
        if (next(x))
            return x->err;
        if (!is_literal(x->t))
            return perr(x, x->tstart, YG_ESYNTAX, "%s", "a literal expected after the operator");
        if (op == T_ORD && x->t == T_BOOL)
            return perr(x, x->tstart, YG_ESYNTAX, "%s", "an orderable literal expected");
        if (op == T_EQ && !neg && mapped && x->t == T_STR) {
            if (add_value(x, out, type, hk, x->sval, x->svn))
                return x->err;
        } else {
            x->r->partial = true;
        }
        return next(x);
    }
    case T_IN: {
        if (next(x) || expect(x, T_LPAREN, "'(' after IN"))
            return x->err;
        while (x->t != T_RPAREN) {
            if (!is_literal(x->t))
                return perr(x, x->tstart, YG_ESYNTAX, "%s", "a literal expected in the set");
            if (++x->ncmp > YG_INTEL_MAX_PATTERN_COMPARISONS)
                return perr(x, x->tstart, YG_ELIMIT, "%s",
                            "more comparisons than YG_INTEL_MAX_PATTERN_COMPARISONS");
            if (!neg && mapped && x->t == T_STR) {
                if (add_value(x, out, type, hk, x->sval, x->svn))
                    return x->err;
            } else {
                x->r->partial = true;
            }
            if (next(x))
                return x->err;
            if (x->t == T_COMMA) {
                if (next(x))
                    return x->err;
                if (x->t == T_RPAREN)
                    return perr(x, x->tstart, YG_ESYNTAX, "%s", "a literal expected after ','");
            } else if (x->t != T_RPAREN) {
                return perr(x, x->tstart, YG_ESYNTAX, "%s", "',' or ')' expected in the set");
            }
        }
        return next(x);
    }
    case T_LIKE:
    case T_MATCHES:
    case T_ISSUBSET:
    case T_ISSUPERSET:
        if (next(x))
            return x->err;
        if (x->t != T_STR)
            return perr(x, x->tstart, YG_ESYNTAX, "%s", "a string literal expected");
        if (op == T_ISSUBSET && !neg && mapped && (type == YG_IOC_IP || type < 0)) {
            char key[64];
            uint8_t sub;
            if (yg__ioc_key(YG_IOC_IP, x->sval, x->svn, key, sizeof key, &sub)) {
                struct yg_pat_ioc i = {YG_IOC_IP, x->sval, x->svn, NULL};
                if (set_add(x, out, &i))
                    return x->err;
            } else {
                x->r->partial = true;
            }
        } else {
            x->r->partial = true;
        }
        return next(x);
    default:
        return perr(x, x->tstart, YG_ESYNTAX, "%s",
                    "an operator (=, !=, <, >, IN, LIKE, MATCHES, ISSUBSET, ISSUPERSET) expected");
    }
}

/* comparisonExpressionAnd: keep the strongest matchable operand. */
static yg_err cmp_and(struct pp *x, struct set *out)
{
    if (prop_test(x, out))
        return x->err;
    while (x->t == T_AND) {
        struct set b;
        if (next(x) || prop_test(x, &b))
            return x->err;
        if (b.n && (!out->n || b.strength > out->strength))
            *out = b;
    }
    return YG_OK;
}

static yg_err cmp_or(struct pp *x, struct set *out)
{
    if (cmp_and(x, out))
        return x->err;
    while (x->t == T_OR) {
        struct set b;
        if (next(x) || cmp_and(x, &b))
            return x->err;
        if (!b.n || !out->n)
            x->r->partial = true;
        if (set_union(x, out, &b))
            return x->err;
    }
    return YG_OK;
}

static yg_err obs_expressions(struct pp *x, struct set *out);

static yg_err ts_literal(struct pp *x)
{
    if (x->t != T_PREFIXED || x->p[x->tstart] != 't')
        return perr(x, x->tstart, YG_ESYNTAX, "%s", "a timestamp literal t'...' expected");
    return next(x);
}

/* observationExpression with its qualifiers. */
static yg_err obs_expr(struct pp *x, struct set *out)
{
    memset(out, 0, sizeof out[0]);
    if (++x->depth > YG_INTEL_MAX_PATTERN_DEPTH)
        return perr(x, x->tstart, YG_ELIMIT, "%s",
                    "nesting deeper than YG_INTEL_MAX_PATTERN_DEPTH");
    if (x->t == T_LBRACK) {
        if (next(x) || cmp_or(x, out) || expect(x, T_RBRACK, "']' or AND/OR"))
            return x->err;
    } else if (x->t == T_LPAREN) {
        if (next(x) || obs_expressions(x, out) || expect(x, T_RPAREN, "')'"))
            return x->err;
    } else {
        return perr(x, x->tstart, YG_ESYNTAX, "%s", "'[' or '(' expected");
    }
    x->depth--;
    for (;;) {
        if (x->t == T_START) {
            x->unsupported = "START/STOP";
            if (next(x) || ts_literal(x) || expect(x, T_STOP, "STOP") || ts_literal(x))
                return x->err;
        } else if (x->t == T_WITHIN) {
            x->unsupported = "WITHIN";
            if (next(x))
                return x->err;
            if (x->t != T_NUM)
                return perr(x, x->tstart, YG_ESYNTAX, "%s", "a number of seconds expected");
            if (next(x) || expect(x, T_SECONDS, "SECONDS"))
                return x->err;
        } else if (x->t == T_REPEATS) {
            x->unsupported = "REPEATS";
            if (next(x))
                return x->err;
            if (x->t != T_NUM)
                return perr(x, x->tstart, YG_ESYNTAX, "%s", "a count expected");
            if (next(x) || expect(x, T_TIMES, "TIMES"))
                return x->err;
        } else {
            return YG_OK;
        }
    }
}

static yg_err obs_and(struct pp *x, struct set *out)
{
    if (obs_expr(x, out))
        return x->err;
    while (x->t == T_AND) {
        struct set b;
        if (next(x) || obs_expr(x, &b) || set_union(x, out, &b))
            return x->err;
    }
    return YG_OK;
}

static yg_err obs_or(struct pp *x, struct set *out)
{
    if (obs_and(x, out))
        return x->err;
    while (x->t == T_OR) {
        struct set b;
        if (next(x) || obs_and(x, &b) || set_union(x, out, &b))
            return x->err;
    }
    return YG_OK;
}

static yg_err obs_expressions(struct pp *x, struct set *out)
{
    if (obs_or(x, out))
        return x->err;
    while (x->t == T_FOLLOWEDBY) {
        x->unsupported = "FOLLOWEDBY";
        struct set b;
        if (next(x) || obs_or(x, &b) || set_union(x, out, &b))
            return x->err;
    }
    return YG_OK;
}

yg_err yg__stix_pattern(const char *p, size_t n, struct yg_arena *a, struct yg_pat_result *r)
{
    memset(r, 0, sizeof *r);
    if (n > YG_INTEL_MAX_PATTERN_BYTES) {
        r->col = 1;
        snprintf(r->why, sizeof r->why, "pattern longer than YG_INTEL_MAX_PATTERN_BYTES");
        return YG_ELIMIT;
    }
    struct pp x = {0};
    x.p = p;
    x.n = n;
    x.a = a;
    x.r = r;
    struct set s = {0};
    if (next(&x) || obs_expressions(&x, &s))
        return x.err;
    if (x.t != T_EOF)
        return perr(&x, x.tstart, YG_ESYNTAX, "%s",
                    "end of pattern, AND, OR or FOLLOWEDBY expected");
    if (x.unsupported) {
        r->col = 1;
        snprintf(r->why, sizeof r->why,
                 "%s needs a sequence of events; only single-event patterns are matched",
                 x.unsupported);
        return YG_EUNSUPPORTED;
    }
    if (!s.n) {
        r->col = 1;
        snprintf(r->why, sizeof r->why,
                 "no comparison Yagura can match (= or IN on an address, domain, URL, file hash, "
                 "e-mail or user-agent path)");
        return YG_EUNSUPPORTED;
    }
    r->iocs = s.v;
    r->n = s.n;
    return YG_OK;
}
