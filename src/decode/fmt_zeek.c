/*
 * fmt_zeek.c - Zeek's default ASCII logs (TSV with `#` header lines).
 *
 * A Zeek log file describes itself before its first record:
 *
 *   #separator \x09            the field separator, spelt with \x escapes
 *   #set_separator	,          between the elements of set and vector fields
 *   #empty_field	(empty)    an empty string, set or vector
 *   #unset_field	-          a field with no value
 *   #path	conn               the log: conn, dns, http, ssl, files, ...
 *   #open	2024-04-12-19-29-15
 *   #fields	ts	uid	id.orig_h	...
 *   #types	time	string	addr	...
 *   ...records...
 *   #close	2024-04-12-19-30-00
 *
 * The decoder keeps these per file (a new `#separator` line starts a new
 * header, so concatenated logs work) and writes each record with the field
 * names of `#fields`, which are the names SigmaHQ's Zeek rules use.  Values
 * are written so that a TSV record and the same record from Zeek's JSON
 * writer (fmt_zeek_json.c) look alike to a rule: unset fields are left out,
 * sets and vectors become arrays of strings, booleans T/F become "true" and
 * "false", and the writer's escapes are undone except for control bytes,
 * which stay `\x00` as Zeek's JSON writer spells them.
 *
 * Log source: product zeek, service = #path; dns also serves Sigma's
 * generic `category: dns`.
 */
#include "decode/fmt_net.h"

/* Longest separator, set separator, empty and unset markers kept. */
#define MARK_MAX 16

enum kind { K_STR = 0, K_BOOL, K_SET };

struct col {
    uint32_t key, keyn; /* the rendered `"name":` in keys */
    uint8_t kind;
};

struct zeek_st {
    char sep[MARK_MAX], setsep[MARK_MAX], empty[MARK_MAX], unset[MARK_MAX];
    size_t sepn, setsepn, emptyn, unsetn;
    const char *service;
    struct yg_buf keys; /* every column's key, rendered once per header */
    struct col *cols;
    uint32_t ncols, capcols;
};

static void reset_header(struct zeek_st *z)
{
    memcpy(z->sep, "\t", 1);
    z->sepn = 1;
    memcpy(z->setsep, ",", 1);
    z->setsepn = 1;
    memcpy(z->empty, "(empty)", 7);
    z->emptyn = 7;
    memcpy(z->unset, "-", 1);
    z->unsetn = 1;
    z->service = "unknown";
    z->ncols = 0;
    yg_buf_reset(&z->keys);
}

static void *state_new(void)
{
    struct zeek_st *z = yg_calloc(1, sizeof *z);
    if (!z)
        return NULL;
    yg_buf_init(&z->keys, YG_MAX_EVENT_BYTES);
    reset_header(z);
    return z;
}

static void state_free(void *st)
{
    struct zeek_st *z = st;
    if (!z)
        return;
    yg_buf_free(&z->keys);
    yg_free(z->cols);
    yg_free(z);
}

/* Next field of line[i..n) ending at the separator (or the end); returns
 * its end and sets *next past the separator, or n + 1 at the end. */
static size_t field_end(const struct zeek_st *z, const char *line, size_t i, size_t n, size_t *next)
{
    const char *p = z->sepn == 1 ? memchr(line + i, z->sep[0], n - i)
                                 : memmem(line + i, n - i, z->sep, z->sepn);
    if (!p) {
        *next = n + 1;
        return n;
    }
    *next = (size_t)(p - line) + z->sepn;
    return (size_t)(p - line);
}

static int hexv(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
        return (c | 0x20) - 'a' + 10;
    return -1;
}

/* `#separator \x09`: the value is written with \x escapes. */
static yg_err set_separator(struct zeek_st *z, const char *v, size_t n, size_t at,
                            struct yg_decode_err *e)
{
    char sep[MARK_MAX];
    size_t k = 0;
    for (size_t i = 0; i < n; k++) {
        if (k == MARK_MAX)
            return yg__fmt_fail(e, at, "#separator longer than 16 bytes");
        int hi, lo;
        if (n - i >= 4 && v[i] == '\\' && v[i + 1] == 'x' && (hi = hexv(v[i + 2])) >= 0 &&
            (lo = hexv(v[i + 3])) >= 0) {
            sep[k] = (char)(hi << 4 | lo);
            i += 4;
        } else {
            sep[k] = v[i++];
        }
    }
    if (!k)
        return yg__fmt_fail(e, at, "empty #separator");
    reset_header(z);
    memcpy(z->sep, sep, k);
    z->sepn = k;
    return YG_EOF;
}

static yg_err set_mark(char *dst, size_t *dstn, const char *v, size_t n, size_t at,
                       struct yg_decode_err *e)
{
    if (n > MARK_MAX)
        return yg__fmt_fail(e, at, "header value longer than 16 bytes");
    memcpy(dst, v, n);
    *dstn = n;
    return YG_EOF;
}

/* `#fields`: one column per name; keys are rendered here once. */
static yg_err set_fields(struct zeek_st *z, const char *line, size_t i, size_t n,
                         struct yg_decode_err *e)
{
    yg_err err = YG_OK;
    z->ncols = 0;
    yg_buf_reset(&z->keys);
    while (i <= n) {
        size_t next, end = field_end(z, line, i, n, &next);
        if (end == i)
            return yg__fmt_fail(e, i, "empty name in #fields");
        if (z->ncols == YG_MAX_EVENT_FIELDS)
            return yg__fmt_fail(e, i, "#fields names more than YG_MAX_EVENT_FIELDS columns");
        if (z->ncols == z->capcols) {
            uint32_t nc = z->capcols ? z->capcols * 2 : 32;
            struct col *c = yg_realloc(z->cols, nc * sizeof *c);
            if (!c)
                goto oom;
            z->cols = c;
            z->capcols = nc;
        }
        const char *name = yg__zeek_dotted(line + i, end - i);
        size_t start = z->keys.n;
        if (name)
            err = yg_buf_add_json_str(&z->keys, name, strlen(name));
        else
            err = yg_buf_add_json_str(&z->keys, line + i, end - i);
        if (err || (err = yg_buf_addc(&z->keys, ':')))
            goto oom;
        z->cols[z->ncols++] = (struct col){(uint32_t)start, (uint32_t)(z->keys.n - start), K_STR};
        i = next;
    }
    return YG_EOF;
oom:
    z->ncols = 0;
    e->col = i + 1;
    e->msg = err == YG_ELIMIT ? "#fields too long" : "out of memory";
    return err == YG_ELIMIT ? YG_ELIMIT : YG_ENOMEM;
}

/* `#types`: sets and vectors become arrays, bool T/F true/false. */
static yg_err set_types(struct zeek_st *z, const char *line, size_t i, size_t n,
                        struct yg_decode_err *e)
{
    uint32_t c = 0;
    size_t from = i;
    while (i <= n) {
        size_t next, end = field_end(z, line, i, n, &next);
        if (c == z->ncols)
            return yg__fmt_fail(e, i, "#types names more columns than #fields");
        size_t tn = end - i;
        const char *t = line + i;
        z->cols[c++].kind =
            (tn >= 4 && (!memcmp(t, "set[", 4) || (tn >= 7 && !memcmp(t, "vector[", 7)))) ? K_SET
            : (tn == 4 && !memcmp(t, "bool", 4))                                          ? K_BOOL
                                                                                          : K_STR;
        i = next;
    }
    if (c != z->ncols) {
        for (uint32_t k = 0; k < z->ncols; k++)
            z->cols[k].kind = K_STR;
        return yg__fmt_fail(e, from, "#types names fewer columns than #fields");
    }
    return YG_EOF;
}

static bool is(const char *s, size_t n, const char *word)
{
    size_t wn = strlen(word);
    return n == wn && memcmp(s, word, n) == 0;
}

static yg_err header(struct zeek_st *z, const char *line, size_t n, struct yg_decode_err *e)
{
    if (n > 11 && !memcmp(line, "#separator ", 11))
        return set_separator(z, line + 11, n - 11, 11, e);
    size_t next, end = field_end(z, line, 1, n, &next);
    const char *name = line + 1;
    size_t nn = end - 1, v = next <= n ? next : n, vn = n - v;
    if (is(name, nn, "set_separator")) {
        if (!vn)
            return yg__fmt_fail(e, v, "empty #set_separator");
        return set_mark(z->setsep, &z->setsepn, line + v, vn, v, e);
    }
    if (is(name, nn, "empty_field"))
        return set_mark(z->empty, &z->emptyn, line + v, vn, v, e);
    if (is(name, nn, "unset_field"))
        return set_mark(z->unset, &z->unsetn, line + v, vn, v, e);
    if (is(name, nn, "path")) {
        z->service = yg__zeek_service(line + v, vn);
        return YG_EOF;
    }
    if (is(name, nn, "fields")) {
        if (next > n)
            return yg__fmt_fail(e, n, "#fields without names");
        return set_fields(z, line, next, n, e);
    }
    if (is(name, nn, "types")) {
        if (!z->ncols)
            return yg__fmt_fail(e, 0, "#types before #fields");
        if (next > n)
            return yg__fmt_fail(e, n, "#types without types");
        return set_types(z, line, next, n, e);
    }
    /* #open, #close and comments carry nothing a rule matches. */
    return YG_EOF;
}

/* One set or vector value: `a,b` -> ["a","b"]. */
static yg_err put_set(const struct zeek_st *z, struct yg_buf *out, const char *v, size_t n,
                      unsigned char sep)
{
    yg_err err = yg__putc(out, '[');
    size_t i = 0;
    while (!err) {
        const char *p = z->setsepn == 1 ? memchr(v + i, z->setsep[0], n - i)
                                        : memmem(v + i, n - i, z->setsep, z->setsepn);
        size_t end = p ? (size_t)(p - v) : n;
        if (i && (err = yg__putc(out, ',')))
            break;
        if ((err = yg__json_str_unesc(out, v + i, end - i, sep)) || !p)
            break;
        i = end + z->setsepn;
    }
    return err ? err : yg__putc(out, ']');
}

static yg_err decode(void *st, const char *line, size_t n, struct yg_buf *out, struct yg_logsrc *ls,
                     struct yg_decode_err *e)
{
    struct zeek_st *z = st;
    if (!yg__state_begin(z, line, &n, e))
        return YG_EINVAL;
    if (n && line[0] == '#')
        return header(z, line, n, e);
    if (!z->ncols)
        return yg__fmt_fail(e, 0, "record before the #fields header");

    size_t start_n = out->n, i = 0;
    unsigned char esc_sep = z->sepn == 1 ? (unsigned char)z->sep[0] : 0;
    bool first = true;
    yg_err err = yg__putc(out, '{');
    for (uint32_t c = 0; !err && c < z->ncols; c++) {
        if (i > n) {
            err = yg__fmt_fail(e, n, "fewer fields than the #fields header names");
            break;
        }
        size_t next, end = field_end(z, line, i, n, &next);
        if (c + 1 == z->ncols && next <= n) {
            err = yg__fmt_fail(e, next, "more fields than the #fields header names");
            break;
        }
        const char *v = line + i;
        size_t vn = end - i;
        const struct col *col = &z->cols[c];
        i = next;
        if (vn == z->unsetn && !memcmp(v, z->unset, vn))
            continue;
        if (!first && (err = yg__putc(out, ',')))
            break;
        first = false;
        if ((err = yg__put(out, z->keys.p + col->key, col->keyn)))
            break;
        bool empty = vn == z->emptyn && !memcmp(v, z->empty, vn);
        if (col->kind == K_SET)
            err = empty ? yg__put(out, "[]", 2) : put_set(z, out, v, vn, esc_sep);
        else if (empty)
            err = yg__put(out, "\"\"", 2);
        else if (col->kind == K_BOOL && vn == 1 && (v[0] == 'T' || v[0] == 'F'))
            err = v[0] == 'T' ? yg__put(out, "\"true\"", 6) : yg__put(out, "\"false\"", 7);
        else
            err = yg__json_str_unesc(out, v, vn, esc_sep);
    }
    if (!err)
        err = yg_buf_addc(out, '}');
    if (err)
        return yg__record_undo(err, out, start_n, i, e);
    ls->product = "zeek";
    ls->service = z->service;
    ls->category = yg__zeek_category(z->service);
    return YG_OK;
}

static int sniff(const char *line, size_t n)
{
    if (n >= 11 && !memcmp(line, "#separator ", 11))
        return 95;
    static const char *const heads[] = {"#set_separator", "#empty_field", "#unset_field",
                                        "#path\t",        "#fields\t",    "#types\t"};
    for (size_t k = 0; k < sizeof heads / sizeof *heads; k++)
        if (n >= strlen(heads[k]) && !memcmp(line, heads[k], strlen(heads[k])))
            return 90;
    /* A record without its header: epoch seconds with microseconds, a tab,
     * then a connection uid or a host address. */
    size_t i = 0;
    while (i < n && line[i] >= '0' && line[i] <= '9')
        i++;
    if (i >= 9 && i <= 10 && n - i > 8 && line[i] == '.' && line[i + 7] == '\t') {
        for (size_t k = i + 1; k < i + 7; k++)
            if (line[k] < '0' || line[k] > '9')
                return 0;
        return 35;
    }
    return 0;
}

const struct yg_linefmt yg__fmt_zeek = {
    .name = "zeek",
    .desc = "Zeek TSV logs (#separator/#fields/#types headers; service = #path)",
    .sniff = sniff,
    .state_new = state_new,
    .state_free = state_free,
    .decode = decode,
};
