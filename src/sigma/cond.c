/*
 * cond.c - the Sigma condition grammar, by recursive descent.
 *
 * Precedence, least to most binding: or, and, not, `x of`, parentheses.
 *
 *   expr    := and ('or' and)*
 *   and     := unary ('and' unary)*
 *   unary   := 'not' unary | primary
 *   primary := '(' expr ')' | quant | IDENT
 *   quant   := ('1' | 'any' | 'all') 'of' (PATTERN | 'them')
 *
 * `them` covers every search identifier that does not start with `_`;
 * a pattern's `*` matches any run of characters.  Identifiers resolve to
 * indexes into the rule's detection map here, so evaluation never looks up a
 * name.  The deprecated v1 aggregation syntax (`| count() by x`) is reported
 * as unsupported with a pointer to correlation rules.
 */
#include "sigma/rule.h"

#include <stdio.h>

struct parser {
    const char *s;
    size_t n, pos;
    const char *const *names;
    size_t nnames;
    struct yg_arena *a;
    unsigned depth;
    yg_err err;
    unsigned ecol;
    struct yg_errmsg *why;
};

enum tok { T_END, T_LP, T_RP, T_WORD, T_PIPE, T_BAD };

struct token {
    enum tok t;
    size_t start, len;
};

static bool word_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '*' || c == '-' || c == '.' || c == '?';
}

static struct token peek(struct parser *p)
{
    size_t i = p->pos;
    while (i < p->n && (p->s[i] == ' ' || p->s[i] == '\t' || p->s[i] == '\n' || p->s[i] == '\r'))
        i++;
    struct token t = {T_END, i, 0};
    if (i >= p->n)
        return t;
    char c = p->s[i];
    if (c == '(') {
        t.t = T_LP;
        t.len = 1;
    } else if (c == ')') {
        t.t = T_RP;
        t.len = 1;
    } else if (c == '|') {
        t.t = T_PIPE;
        t.len = 1;
    } else if (word_char(c)) {
        size_t j = i;
        while (j < p->n && word_char(p->s[j]))
            j++;
        t.t = T_WORD;
        t.len = j - i;
    } else {
        t.t = T_BAD;
        t.len = 1;
    }
    return t;
}

static void advance(struct parser *p, struct token t)
{
    p->pos = t.start + t.len;
}

static bool is_kw(struct parser *p, struct token t, const char *kw)
{
    return t.t == T_WORD && yg_str_ieq(p->s + t.start, t.len, kw, strlen(kw));
}

static void fail(struct parser *p, size_t at, yg_err e, const char *fmt, const char *arg,
                 size_t arglen)
{
    if (p->err)
        return;
    p->err = e;
    p->ecol = (unsigned)at + 1;
    if (p->why)
        snprintf(p->why->msg, sizeof p->why->msg, fmt, (int)arglen, arg);
}

static struct yg_cond *node(struct parser *p, enum yg_cond_op op)
{
    struct yg_cond *c = yg_arena_alloc(p->a, sizeof *c);
    if (!c) {
        p->err = YG_ENOMEM;
        return NULL;
    }
    memset(c, 0, sizeof *c);
    c->op = op;
    return c;
}

/* Wildcard match of an identifier pattern (only `*`). */
static bool pat_match(const char *pat, size_t pn, const char *s)
{
    size_t sn = strlen(s), pi = 0, si = 0, star = (size_t)-1, mark = 0;
    while (si < sn) {
        if (pi < pn && pat[pi] == '*') {
            star = pi++;
            mark = si;
        } else if (pi < pn && pat[pi] == s[si]) {
            pi++;
            si++;
        } else if (star != (size_t)-1) {
            pi = star + 1;
            si = ++mark;
        } else {
            return false;
        }
    }
    while (pi < pn && pat[pi] == '*')
        pi++;
    return pi == pn;
}

static struct yg_cond *parse_expr(struct parser *p);

static struct yg_cond *parse_primary(struct parser *p)
{
    struct token t = peek(p);
    if (t.t == T_LP) {
        advance(p, t);
        if (++p->depth > YG_MAX_CONDITION_DEPTH) {
            fail(p, t.start, YG_ELIMIT, "condition nested deeper than the limit%.*s", "", 0);
            return NULL;
        }
        struct yg_cond *e = parse_expr(p);
        p->depth--;
        if (!e)
            return NULL;
        struct token r = peek(p);
        if (r.t != T_RP) {
            fail(p, r.start, YG_ESYNTAX, "expected ')'%.*s", "", 0);
            return NULL;
        }
        advance(p, r);
        return e;
    }
    if (t.t != T_WORD) {
        if (t.t == T_END)
            fail(p, t.start, YG_ESYNTAX, "unexpected end of condition%.*s", "", 0);
        else if (t.t == T_PIPE)
            fail(p, t.start, YG_EUNSUPPORTED,
                 "aggregation expressions ('| count() ...') are deprecated Sigma v1 syntax; use "
                 "a correlation rule%.*s",
                 "", 0);
        else
            fail(p, t.start, YG_ESYNTAX, "unexpected character '%.*s'", p->s + t.start, 1);
        return NULL;
    }
    if (is_kw(p, t, "1") || is_kw(p, t, "any") || is_kw(p, t, "all")) {
        bool all = is_kw(p, t, "all");
        struct token save = t;
        advance(p, t);
        struct token of = peek(p);
        if (!is_kw(p, of, "of")) {
            /* `all`/`any`/`1` used as an identifier name. */
            p->pos = save.start;
            goto ident;
        }
        advance(p, of);
        struct token pt = peek(p);
        if (pt.t != T_WORD) {
            fail(p, pt.start, YG_ESYNTAX,
                 "expected a search identifier pattern or 'them' after 'of'%.*s", "", 0);
            return NULL;
        }
        advance(p, pt);
        bool them = is_kw(p, pt, "them");
        struct yg_cond *c = node(p, all ? YG_C_ALL_OF : YG_C_ONE_OF);
        if (!c)
            return NULL;
        c->ids = yg_arena_alloc(p->a, (p->nnames + 1) * sizeof(uint32_t));
        if (!c->ids) {
            p->err = YG_ENOMEM;
            return NULL;
        }
        for (size_t i = 0; i < p->nnames; i++) {
            bool m = them ? p->names[i][0] != '_' : pat_match(p->s + pt.start, pt.len, p->names[i]);
            if (m)
                c->ids[c->nids++] = (uint32_t)i;
        }
        if (!c->nids) {
            fail(p, pt.start, YG_ENOTFOUND, "'%.*s' matches no search identifier", p->s + pt.start,
                 pt.len);
            return NULL;
        }
        return c;
    }
ident:
    t = peek(p);
    for (size_t i = 0; i < p->nnames; i++) {
        if (strlen(p->names[i]) == t.len && memcmp(p->names[i], p->s + t.start, t.len) == 0) {
            advance(p, t);
            struct yg_cond *c = node(p, YG_C_ID);
            if (c)
                c->id = (uint32_t)i;
            return c;
        }
    }
    if (is_kw(p, t, "and") || is_kw(p, t, "or") || is_kw(p, t, "not") || is_kw(p, t, "of"))
        fail(p, t.start, YG_ESYNTAX, "unexpected operator '%.*s'", p->s + t.start, t.len);
    else
        fail(p, t.start, YG_ENOTFOUND, "unknown search identifier '%.*s'", p->s + t.start, t.len);
    return NULL;
}

static struct yg_cond *parse_unary(struct parser *p)
{
    struct token t = peek(p);
    if (is_kw(p, t, "not")) {
        advance(p, t);
        if (++p->depth > YG_MAX_CONDITION_DEPTH) {
            fail(p, t.start, YG_ELIMIT, "condition nested deeper than the limit%.*s", "", 0);
            return NULL;
        }
        struct yg_cond *x = parse_unary(p);
        p->depth--;
        if (!x)
            return NULL;
        struct yg_cond *c = node(p, YG_C_NOT);
        if (c)
            c->a = x;
        return c;
    }
    return parse_primary(p);
}

/* A left-associative chain of operands joined by the keyword kw (`and`
 * binds tighter than `or`: each level's operands are the next level). */
static struct yg_cond *parse_chain(struct parser *p, const char *kw, enum yg_cond_op kind,
                                   struct yg_cond *(*operand)(struct parser *))
{
    struct yg_cond *l = operand(p);
    while (l) {
        struct token t = peek(p);
        if (!is_kw(p, t, kw))
            break;
        advance(p, t);
        struct yg_cond *r = operand(p);
        if (!r)
            return NULL;
        struct yg_cond *c = node(p, kind);
        if (!c)
            return NULL;
        c->a = l;
        c->b = r;
        l = c;
    }
    return l;
}

static struct yg_cond *parse_and(struct parser *p)
{
    return parse_chain(p, "and", YG_C_AND, parse_unary);
}

static struct yg_cond *parse_expr(struct parser *p)
{
    return parse_chain(p, "or", YG_C_OR, parse_and);
}

yg_err yg__cond_parse(const char *s, size_t len, const char *const *names, size_t n,
                      struct yg_arena *a, struct yg_cond **out, unsigned *ecol,
                      struct yg_errmsg *why)
{
    struct parser p = {s, len, 0, names, n, a, 0, YG_OK, 0, why};
    *out = NULL;
    if (len > YG_MAX_CONDITION_BYTES) {
        if (ecol)
            *ecol = 1;
        yg__errmsg_set(why, "condition longer than %u bytes", YG_MAX_CONDITION_BYTES);
        return YG_ELIMIT;
    }
    struct yg_cond *c = parse_expr(&p);
    if (c && !p.err) {
        struct token t = peek(&p);
        if (t.t == T_PIPE)
            fail(&p, t.start, YG_EUNSUPPORTED,
                 "aggregation expressions ('| count() ...') are deprecated Sigma v1 syntax; use "
                 "a correlation rule%.*s",
                 "", 0);
        else if (t.t != T_END)
            fail(&p, t.start, YG_ESYNTAX, "unexpected '%.*s' after the end of the expression",
                 s + t.start, t.len);
    }
    if (p.err) {
        if (ecol)
            *ecol = p.ecol;
        return p.err;
    }
    *out = c;
    return YG_OK;
}
