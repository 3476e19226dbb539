/*
 * yaml.c - libyaml events to a yg_ynode tree with positions.
 *
 * libyaml's event API reports start marks for every node, which the
 * document loader does not expose conveniently; building the tree from
 * events keeps the line/column of each scalar so that a rule diagnostic can
 * say exactly where the bad value is.  Aliases are rejected: rules never
 * need them and they are the classic "billion laughs" amplification.
 */
#include "core/yaml.h"

#include <stdio.h>
#include <yaml.h>

struct builder {
    struct yg_arena *a;
    struct yg_ynode *stack[YG_MAX_YAML_DEPTH + 1];
    struct yg_buf kids[YG_MAX_YAML_DEPTH + 1]; /* child pointers per open node */
    unsigned depth;
};

static bool plain_is(const char *s, size_t n, const char *const *words)
{
    for (; *words; words++)
        if (strlen(*words) == n && memcmp(*words, s, n) == 0)
            return true;
    return false;
}

/* YAML 1.2 core schema resolution of a plain scalar. */
static enum yg_skind classify_plain(const char *s, size_t n)
{
    static const char *const nulls[] = {"null", "Null", "NULL", "~", NULL};
    static const char *const bools[] = {"true", "True", "TRUE", "false", "False", "FALSE", NULL};
    if (n == 0 || plain_is(s, n, nulls))
        return YG_S_NULL;
    if (plain_is(s, n, bools))
        return YG_S_BOOL;
    size_t i = 0;
    if (s[0] == '-' || s[0] == '+')
        i++;
    if (i < n && n - i > 2 && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'o')) {
        bool hex = s[i + 1] == 'x';
        size_t j = i + 2;
        for (; j < n; j++) {
            char c = s[j];
            bool ok =
                hex ? ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))
                    : (c >= '0' && c <= '7');
            if (!ok)
                break;
        }
        if (j == n)
            return YG_S_INT;
    }
    size_t digits = 0, j = i;
    while (j < n && s[j] >= '0' && s[j] <= '9')
        j++, digits++;
    if (j == n && digits > 0)
        return YG_S_INT;
    /* float: digits . digits [eE[+-]digits] */
    bool dot = false, exp = false;
    size_t d2 = digits;
    if (j < n && s[j] == '.') {
        dot = true;
        j++;
        while (j < n && s[j] >= '0' && s[j] <= '9')
            j++, d2++;
    }
    if (d2 > 0 && j < n && (s[j] == 'e' || s[j] == 'E')) {
        size_t k = j + 1;
        if (k < n && (s[k] == '+' || s[k] == '-'))
            k++;
        size_t ed = 0;
        while (k < n && s[k] >= '0' && s[k] <= '9')
            k++, ed++;
        if (ed > 0) {
            exp = true;
            j = k;
        }
    }
    if (j == n && d2 > 0 && (dot || exp))
        return YG_S_FLOAT;
    return YG_S_STR;
}

static struct yg_ynode *new_node(struct builder *b, enum yg_ytype t, yaml_mark_t m)
{
    struct yg_ynode *nd = yg_arena_alloc(b->a, sizeof *nd);
    if (!nd)
        return NULL;
    memset(nd, 0, sizeof *nd);
    nd->type = t;
    nd->line = (unsigned)m.line + 1;
    nd->col = (unsigned)m.column + 1;
    return nd;
}

/* Attach nd to the open container (or make it the document root). */
static yg_err attach(struct builder *b, struct yg_ynode *nd, struct yg_ynode **root)
{
    if (b->depth == 0) {
        *root = nd;
        return YG_OK;
    }
    return yg_buf_add(&b->kids[b->depth - 1], &nd, sizeof nd);
}

static yg_err close_node(struct builder *b)
{
    unsigned d = b->depth - 1;
    struct yg_ynode *nd = b->stack[d];
    size_t cnt = b->kids[d].n / sizeof(struct yg_ynode *);
    if (nd->type == YG_Y_MAP && (cnt & 1))
        return YG_ESYNTAX;
    nd->n = nd->type == YG_Y_MAP ? cnt / 2 : cnt;
    if (cnt) {
        nd->items = yg_arena_alloc(b->a, cnt * sizeof(struct yg_ynode *));
        if (!nd->items)
            return YG_ENOMEM;
        memcpy(nd->items, b->kids[d].p, cnt * sizeof(struct yg_ynode *));
    }
    yg_buf_reset(&b->kids[d]);
    b->depth--;
    return YG_OK;
}

/* Where and why parsing stopped (any may be NULL). */
struct yerr {
    unsigned *eline, *ecol;
    struct yg_errmsg *why;
};

static void yerr_at(const struct yerr *y, unsigned line, unsigned col)
{
    if (y->eline)
        *y->eline = line;
    if (y->ecol)
        *y->ecol = col;
}

/* libyaml's error: its mark, or for the reader (bad UTF-8, control
 * characters, NUL) a byte offset counted into lines. */
static yg_err parse_error(const yaml_parser_t *p, const char *text, size_t len,
                          const struct yerr *y)
{
    unsigned line = (unsigned)p->problem_mark.line + 1;
    unsigned col = (unsigned)p->problem_mark.column + 1;
    if (p->error == YAML_READER_ERROR) {
        size_t off = p->problem_offset < len ? p->problem_offset : len;
        line = 1;
        col = 1;
        for (size_t i = 0; i < off; i++) {
            if (text[i] == '\n') {
                line++;
                col = 1;
            } else {
                col++;
            }
        }
    }
    yerr_at(y, line, col);
    yg__errmsg_set(y->why, "YAML: %s%s%s", p->problem ? p->problem : "syntax error",
                   p->context ? " " : "", p->context ? p->context : "");
    return YG_ESYNTAX;
}

static yg_err on_scalar(struct builder *b, const yaml_event_t *ev, struct yg_ynode **root)
{
    struct yg_ynode *nd = new_node(b, YG_Y_SCALAR, ev->start_mark);
    if (!nd)
        return YG_ENOMEM;
    nd->s = yg_arena_strndup(b->a, (const char *)ev->data.scalar.value, ev->data.scalar.length);
    if (!nd->s)
        return YG_ENOMEM;
    nd->slen = ev->data.scalar.length;
    nd->skind = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !ev->data.scalar.tag
                    ? classify_plain(nd->s, nd->slen)
                    : YG_S_STR;
    return attach(b, nd, root);
}

static yg_err on_open(struct builder *b, const yaml_event_t *ev, struct yg_ynode **root,
                      const struct yerr *y)
{
    if (b->depth >= YG_MAX_YAML_DEPTH) {
        yerr_at(y, (unsigned)ev->start_mark.line + 1, (unsigned)ev->start_mark.column + 1);
        yg__errmsg_set(y->why, "YAML nesting deeper than %u", YG_MAX_YAML_DEPTH);
        return YG_ELIMIT;
    }
    struct yg_ynode *nd =
        new_node(b, ev->type == YAML_MAPPING_START_EVENT ? YG_Y_MAP : YG_Y_SEQ, ev->start_mark);
    if (!nd)
        return YG_ENOMEM;
    yg_err err = attach(b, nd, root);
    if (!err)
        b->stack[b->depth++] = nd;
    return err;
}

/* One parser event into the tree; *done at the end of the stream. */
static yg_err on_event(struct builder *b, const yaml_event_t *ev, struct yg_ynode **root,
                       unsigned *docline, struct yg_buf *out, const struct yerr *y, bool *done)
{
    switch (ev->type) {
    case YAML_STREAM_END_EVENT: *done = true; return YG_OK;
    case YAML_DOCUMENT_START_EVENT:
        *root = NULL;
        *docline = (unsigned)ev->start_mark.line + 1;
        return YG_OK;
    case YAML_DOCUMENT_END_EVENT: {
        struct yg_ydoc d = {*root, *docline};
        return yg_buf_add(out, &d, sizeof d);
    }
    case YAML_ALIAS_EVENT:
        yerr_at(y, (unsigned)ev->start_mark.line + 1, (unsigned)ev->start_mark.column + 1);
        yg__errmsg_set(y->why, "YAML aliases are not accepted in rules");
        return YG_EUNSUPPORTED;
    case YAML_SCALAR_EVENT: return on_scalar(b, ev, root);
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT: return on_open(b, ev, root, y);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT: return close_node(b);
    default: return YG_OK;
    }
}

yg_err yg__yaml_parse(const char *text, size_t len, struct yg_arena *a, struct yg_ydoc **docs,
                      size_t *ndocs, unsigned *eline, unsigned *ecol, struct yg_errmsg *why)
{
    yaml_parser_t p;
    struct builder b;
    struct yg_buf out; /* struct yg_ydoc array */
    yg_err err = YG_OK;
    bool done = false;
    struct yg_ynode *root = NULL;
    unsigned docline = 1;
    const struct yerr y = {eline, ecol, why};

    *docs = NULL;
    *ndocs = 0;
    if (why)
        why->msg[0] = 0;
    memset(&b, 0, sizeof b);
    b.a = a;
    for (unsigned i = 0; i <= YG_MAX_YAML_DEPTH; i++)
        yg_buf_init(&b.kids[i], 1u << 24);
    yg_buf_init(&out, 0);
    if (!yaml_parser_initialize(&p))
        return YG_ENOMEM;
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    while (!done && !err) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&p, &ev)) {
            err = parse_error(&p, text, len, &y);
            break;
        }
        err = on_event(&b, &ev, &root, &docline, &out, &y, &done);
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&p);
    for (unsigned i = 0; i <= YG_MAX_YAML_DEPTH; i++)
        yg_buf_free(&b.kids[i]);
    if (out.n) {
        *docs = yg_arena_alloc(a, out.n);
        if (*docs) {
            memcpy(*docs, out.p, out.n);
            *ndocs = out.n / sizeof(struct yg_ydoc);
        } else if (!err) {
            err = YG_ENOMEM;
        }
    }
    yg_buf_free(&out);
    return err;
}

const struct yg_ynode *yg__ymap_get(const struct yg_ynode *map, const char *key)
{
    if (!map || map->type != YG_Y_MAP)
        return NULL;
    size_t kl = strlen(key);
    for (size_t i = 0; i < map->n; i++) {
        const struct yg_ynode *k = map->items[2 * i];
        if (k->type == YG_Y_SCALAR && k->slen == kl && memcmp(k->s, key, kl) == 0)
            return map->items[2 * i + 1];
    }
    return NULL;
}
