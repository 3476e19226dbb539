/*
 * fmt_m365_csv.c - Microsoft Purview audit log search, exported as CSV.
 *
 * The compliance portal's export is RFC 4180 CSV with a header line:
 *
 *   CreationDate,UserIds,Operations,AuditData                (classic)
 *   RecordId,CreationDate,RecordType,Operation,UserId,AuditData,
 *   AssociatedAdminUnits,AssociatedAdminUnitsNames           (newer)
 *
 * often preceded by a UTF-8 BOM.  Every other column repeats a part of the
 * AuditData column, which holds the complete audit record as JSON (its
 * quotes doubled).  So a record is decoded from AuditData alone, by exactly
 * the code of the m365 format (fmt_m365.c), and carries the same fields and
 * log source.
 *
 * The header is per-file state: it gives the AuditData column, and a data
 * line before it is an error.  A quoted field must close on its line (the
 * JSON of AuditData never holds a raw newline); quoting errors are reported
 * with the column of the offending byte.  The unquoted AuditData is built
 * in a buffer of the state that is reused from record to record.
 */
#include "decode/fmt_m365.h"

struct csv_state {
    struct yg_cloud *cloud;
    bool have_header;
    size_t audit_col; /* 0-based index of AuditData */
    char *buf;        /* the unquoted AuditData of the current line */
    size_t cap;
};

/* One field of a CSV line: raw bytes [b, e) (quotes excluded when quoted). */
struct csv_field {
    size_t b, e;
    bool quoted;
};

/*
 * Split off the field that starts at *i.  On success *i is at the ',' that
 * ends it or at n.  On error fills err (1-based column) and returns false.
 */
static bool csv_next(const char *p, size_t n, size_t *i, struct csv_field *f,
                     struct yg_decode_err *err)
{
    size_t j = *i;
    if (j < n && p[j] == '"') {
        f->quoted = true;
        f->b = ++j;
        for (;;) {
            const char *q = memchr(p + j, '"', n - j);
            if (!q) {
                err->col = f->b;
                err->msg = "quoted field not closed before the end of the line";
                return false;
            }
            j = (size_t)(q - p);
            if (j + 1 < n && p[j + 1] == '"') {
                j += 2; /* a doubled quote stands for one */
                continue;
            }
            f->e = j++;
            break;
        }
        if (j < n && p[j] != ',') {
            err->col = j + 1;
            err->msg = "unexpected character after a closing quote (a quote inside a quoted "
                       "field must be doubled)";
            return false;
        }
    } else {
        f->quoted = false;
        f->b = j;
        while (j < n && p[j] != ',') {
            if (p[j] == '"') {
                err->col = j + 1;
                err->msg = "quote inside an unquoted field (the field must be quoted and the "
                           "quote doubled)";
                return false;
            }
            j++;
        }
        f->e = j;
    }
    *i = j;
    return true;
}

static bool field_is(const char *p, const struct csv_field *f, const char *name)
{
    return yg_str_ieq(p + f->b, f->e - f->b, name, strlen(name));
}

/* Strip the BOM and a trailing CR; returns the start offset. */
static size_t trim_line(const char *line, size_t *n)
{
    while (*n && (line[*n - 1] == '\r' || line[*n - 1] == '\n'))
        (*n)--;
    return *n >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
}

/* A header line: its first column is CreationDate or RecordId and one
 * column is AuditData.  Sets *audit_col. */
static bool is_header(const char *p, size_t n, size_t start, size_t *audit_col)
{
    size_t i = start, col = 0;
    bool found = false;
    struct yg_decode_err e;
    struct csv_field f;
    for (;;) {
        if (!csv_next(p, n, &i, &f, &e))
            return false;
        /* Data lines fail here, after their first field. */
        if (col == 0 && !field_is(p, &f, "CreationDate") && !field_is(p, &f, "RecordId"))
            return false;
        if (!found && field_is(p, &f, "AuditData")) {
            found = true;
            *audit_col = col;
        }
        if (i >= n)
            break;
        i++;
        col++;
    }
    return found;
}

/* Copy the raw field, undoubling quotes, into the state's buffer. */
static bool unquote(struct csv_state *s, const char *p, const struct csv_field *f, size_t *len)
{
    size_t need = f->e - f->b + 1;
    if (need > s->cap) {
        size_t nc = s->cap ? s->cap : 4096;
        while (nc < need)
            nc *= 2;
        char *nb = yg_realloc(s->buf, nc);
        if (!nb)
            return false;
        s->buf = nb;
        s->cap = nc;
    }
    size_t o = 0;
    for (size_t i = f->b; i < f->e; i++) {
        s->buf[o++] = p[i];
        if (f->quoted && p[i] == '"')
            i++; /* skip the second quote of the pair */
    }
    *len = o;
    return true;
}

/* The raw column of byte k of the unquoted field. */
static size_t raw_col(const char *p, const struct csv_field *f, size_t k)
{
    size_t i = f->b;
    for (size_t o = 0; o < k && i < f->e; o++)
        i += f->quoted && p[i] == '"' ? 2 : 1;
    return i + 1;
}

static yg_err csv_decode(void *st, const char *line, size_t n, struct yg_buf *out,
                         struct yg_logsrc *ls, struct yg_decode_err *e)
{
    struct csv_state *s = st;
    size_t start = trim_line(line, &n);
    size_t i = start, col, hc;
    while (i < n && (line[i] == ' ' || line[i] == '\t'))
        i++;
    if (i >= n)
        return YG_EOF; /* blank line */
    if (is_header(line, n, start, &hc)) {
        s->have_header = true;
        s->audit_col = hc;
        return YG_EOF;
    }
    i = start;
    struct csv_field f = {0, 0, false}, audit = {0, 0, false};
    bool got = false;
    for (col = 0;; col++) {
        if (!csv_next(line, n, &i, &f, e))
            return YG_ESYNTAX;
        if (s->have_header && col == s->audit_col) {
            audit = f;
            got = true;
        }
        if (i >= n)
            break;
        i++;
    }
    if (!s->have_header) {
        e->col = start + 1;
        e->msg = "record before the header line (expected a Purview export header with an "
                 "AuditData column)";
        return YG_ESYNTAX;
    }
    if (!got) {
        e->col = n + 1;
        e->msg = "line has fewer columns than the header (no AuditData value)";
        return YG_ESYNTAX;
    }
    size_t len;
    if (!unquote(s, line, &audit, &len))
        return YG_ENOMEM;
    yg_err err = yg__m365_decode_json(s->cloud, s->buf, len, out, ls, e);
    if (err == YG_ESYNTAX)
        e->col = raw_col(line, &audit, e->col ? e->col - 1 : 0);
    return err;
}

static int csv_sniff(const char *line, size_t n)
{
    size_t hc, start = trim_line(line, &n);
    if (is_header(line, n, start, &hc))
        return 95;
    if (yg_memimem(line, n < 8192 ? n : 8192, ",\"{\"\"", 5) &&
        yg_memimem(line, n < 8192 ? n : 8192, "\"\"operation\"\"", 13))
        return 70;
    return 0;
}

static void *csv_state_new(void)
{
    struct csv_state *s = yg_calloc(1, sizeof *s);
    if (s && !(s->cloud = yg__cloud_new())) {
        yg_free(s);
        s = NULL;
    }
    return s;
}

static void csv_state_free(void *st)
{
    struct csv_state *s = st;
    if (!s)
        return;
    yg__cloud_free(s->cloud);
    yg_free(s->buf);
    yg_free(s);
}

const struct yg_linefmt yg__fmt_m365_csv = {
    .name = "m365_csv",
    .desc = "Microsoft Purview audit log search CSV export (AuditData column decoded as m365)",
    .sniff = csv_sniff,
    .state_new = csv_state_new,
    .state_free = csv_state_free,
    .decode = csv_decode,
};
