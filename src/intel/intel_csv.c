/*
 * intel_csv.c - indicators from CSV files and plain lists.
 *
 * CSV (RFC 4180: quoted fields, doubled quotes, CRLF or LF) with a header
 * row naming the columns, in any order:
 *   type, value                 required (also: entity_type, indicator_type
 *                               for type; indicator, ioc for value)
 *   source, confidence, tlp, valid_from, valid_until, id, description,
 *   first_seen, last_seen       optional
 * Type names: ip (ipv4, ipv6, ipaddress, cidr, ip-src, ip-dst), domain
 * (hostname, fqdn), url (uri), hash (file, md5, sha1, sha256, sha512),
 * email (email-src, email-dst), user_agent (user-agent).  Lines starting
 * with '#' and empty lines are skipped.  Volexity's files
 * (value,entity_type,description) are of this form.
 *
 * Plain lists: one value per line, '#' comments; the type is given
 * (--type, or the file's extension .md5/.sha1/.sha256/.sha512) or guessed
 * per line (hash, address, URL, e-mail, domain).  Defanged values load.
 *
 * A bad line is reported with its line and column and skipped.
 */
#include <stdio.h>
#include <stdlib.h>

#include "intel/intel.h"

enum col {
    C_TYPE,
    C_VALUE,
    C_SOURCE,
    C_CONF,
    C_TLP,
    C_VFROM,
    C_VUNTIL,
    C_ID,
    C_DESC,
    C_FSEEN,
    C_LSEEN,
    C_N
};

static const struct {
    const char *name;
    int col;
} colnames[] = {
    {"type", C_TYPE},        {"entity_type", C_TYPE},   {"indicator_type", C_TYPE},
    {"value", C_VALUE},      {"indicator", C_VALUE},    {"ioc", C_VALUE},
    {"source", C_SOURCE},    {"confidence", C_CONF},    {"tlp", C_TLP},
    {"valid_from", C_VFROM}, {"valid_until", C_VUNTIL}, {"id", C_ID},
    {"description", C_DESC}, {"comment", C_DESC},       {"first_seen", C_FSEEN},
    {"last_seen", C_LSEEN},
};

/* A type name of a CSV file or --type; hk gets the hash kind if named. */
static bool type_name(const char *s, size_t n, yg_ioc_type *t, const char **hk)
{
    static const struct {
        const char *n;
        int t;
        const char *hk;
    } names[] = {
        {"ip", YG_IOC_IP, NULL},
        {"ipv4", YG_IOC_IP, NULL},
        {"ipv6", YG_IOC_IP, NULL},
        {"ipaddress", YG_IOC_IP, NULL},
        {"ip-src", YG_IOC_IP, NULL},
        {"ip-dst", YG_IOC_IP, NULL},
        {"cidr", YG_IOC_IP, NULL},
        {"ipv4-addr", YG_IOC_IP, NULL},
        {"ipv6-addr", YG_IOC_IP, NULL},
        {"domain", YG_IOC_DOMAIN, NULL},
        {"hostname", YG_IOC_DOMAIN, NULL},
        {"fqdn", YG_IOC_DOMAIN, NULL},
        {"domain-name", YG_IOC_DOMAIN, NULL},
        {"url", YG_IOC_URL, NULL},
        {"uri", YG_IOC_URL, NULL},
        {"hash", YG_IOC_HASH, NULL},
        {"file", YG_IOC_HASH, NULL},
        {"md5", YG_IOC_HASH, "md5"},
        {"sha1", YG_IOC_HASH, "sha1"},
        {"sha-1", YG_IOC_HASH, "sha1"},
        {"sha256", YG_IOC_HASH, "sha256"},
        {"sha-256", YG_IOC_HASH, "sha256"},
        {"sha512", YG_IOC_HASH, "sha512"},
        {"email", YG_IOC_EMAIL, NULL},
        {"email-src", YG_IOC_EMAIL, NULL},
        {"email-dst", YG_IOC_EMAIL, NULL},
        {"email-addr", YG_IOC_EMAIL, NULL},
        {"user_agent", YG_IOC_USER_AGENT, NULL},
        {"user-agent", YG_IOC_USER_AGENT, NULL},
        {"useragent", YG_IOC_USER_AGENT, NULL},
    };
    while (n && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (yg_str_ieq(s, n, names[i].n, strlen(names[i].n))) {
            *t = (yg_ioc_type)names[i].t;
            *hk = names[i].hk;
            return true;
        }
    return false;
}

struct field {
    const char *p; /* unquoted text (in buf or in the unquote scratch) */
    size_t n;
    size_t off; /* offset of the field in the input */
};

#define MAX_COLS 64

/* Split one CSV record at *pos; unquoted fields are views, quoted ones are
 * copied into scratch.  Returns the number of fields, -1 on a bad quote. */
static int split(const char *b, size_t len, size_t *pos, struct field *f, char *scratch,
                 size_t *bad_off)
{
    size_t i = *pos, sk = 0;
    int nf = 0;
    for (;;) {
        if (nf == MAX_COLS) {
            while (i < len && b[i] != '\n')
                i++;
            break;
        }
        struct field *cf = &f[nf++];
        cf->off = i;
        if (i < len && b[i] == '"') {
            i++;
            cf->p = scratch + sk;
            size_t st = sk;
            for (;;) {
                if (i >= len) {
                    *bad_off = cf->off;
                    return -1;
                }
                if (b[i] == '"') {
                    if (i + 1 < len && b[i + 1] == '"') {
                        scratch[sk++] = '"';
                        i += 2;
                        continue;
                    }
                    i++;
                    break;
                }
                scratch[sk++] = b[i++];
            }
            cf->n = sk - st;
            if (i < len && b[i] != ',' && b[i] != '\n' && b[i] != '\r') {
                *bad_off = i;
                return -1;
            }
        } else {
            size_t s = i;
            while (i < len && b[i] != ',' && b[i] != '\n')
                i++;
            cf->p = b + s;
            cf->n = i - s;
            if (cf->n && b[i - 1] == '\r' && (i >= len || b[i] == '\n'))
                cf->n--;
        }
        if (i < len && b[i] == '\r')
            i++;
        if (i < len && b[i] == ',') {
            i++;
            continue;
        }
        break;
    }
    if (i < len && b[i] == '\n')
        i++;
    *pos = i;
    return nf;
}

static bool blank_or_comment(const char *b, size_t len, size_t pos)
{
    while (pos < len && (b[pos] == ' ' || b[pos] == '\t'))
        pos++;
    return pos >= len || b[pos] == '\n' || b[pos] == '\r' || b[pos] == '#';
}

static size_t skip_line(const char *b, size_t len, size_t pos)
{
    const char *nl = memchr(b + pos, '\n', len - pos);
    return nl ? (size_t)(nl - b) + 1 : len;
}

/* Recognise a header row; false if the record is not one. */
static bool header(const struct field *f, int nf, int map[C_N])
{
    for (int c = 0; c < C_N; c++)
        map[c] = -1;
    for (int i = 0; i < nf; i++)
        for (size_t k = 0; k < sizeof colnames / sizeof *colnames; k++)
            if (yg_str_ieq(f[i].p, f[i].n, colnames[k].name, strlen(colnames[k].name)) &&
                map[colnames[k].col] < 0)
                map[colnames[k].col] = i;
    return map[C_VALUE] >= 0;
}

bool yg__csv_has_header(const char *b, size_t len);
bool yg__csv_has_header(const char *b, size_t len)
{
    size_t pos = 0;
    if (len >= 3 && !memcmp(b, "\xef\xbb\xbf", 3))
        pos = 3;
    while (pos < len && blank_or_comment(b, len, pos))
        pos = skip_line(b, len, pos);
    struct field f[MAX_COLS];
    char scratch[4096];
    size_t end = skip_line(b, len, pos), bad;
    if (end - pos >= sizeof scratch || !memchr(b + pos, ',', end - pos))
        return false;
    int map[C_N];
    int nf = split(b, end, &pos, f, scratch, &bad);
    return nf > 1 && header(f, nf, map) && map[C_TYPE] >= 0;
}

static char *fdup(struct yg_arena *a, const struct field *f)
{
    return yg_arena_strndup(a, f->p, f->n);
}

/* One data row of a CSV indicator file. */
struct csv_row {
    const struct field *f;
    int nf;
    const int *map;
    size_t rec_start;
    unsigned line;
};

static const struct field *csv_col(const struct csv_row *r, int c)
{
    return r->map[c] >= 0 && r->map[c] < r->nf ? &r->f[r->map[c]] : NULL;
}

/* The column of a field, 1-based, for diagnostics. */
static unsigned csv_at(const struct csv_row *r, const struct field *fp)
{
    return (unsigned)(fp->off - r->rec_start) + 1;
}

/* The optional columns: source, TLP, confidence, times, id, description.
 * false after reporting a bad one (the row is skipped). */
static bool csv_optional(struct yg_iload *l, const struct csv_row *r, struct yg_arena *a,
                         struct yg_ioc_in *x)
{
    const struct field *fp;
    x->source = (fp = csv_col(r, C_SOURCE)) && fp->n ? fdup(a, fp) : l->source;
    x->tlp = l->tlp;
    if ((fp = csv_col(r, C_TLP)) && fp->n) {
        x->tlp = yg__tlp_canon(fp->p, fp->n);
        if (!x->tlp) {
            yg__intel_diag(l->in, l->file, r->line, csv_at(r, fp), NULL, YG_ESYNTAX, NULL,
                           "TLP '%.*s' is not clear, white, green, amber, amber+strict or red",
                           (int)(fp->n > 32 ? 32 : fp->n), fp->p);
            return false;
        }
    }
    if (l->o && l->o->confidence > 0)
        x->confidence = l->o->confidence;
    if ((fp = csv_col(r, C_CONF)) && fp->n) {
        char t[16];
        size_t tn = fp->n < sizeof t - 1 ? fp->n : sizeof t - 1;
        memcpy(t, fp->p, tn);
        t[tn] = 0;
        char *e;
        long v = strtol(t, &e, 10);
        if (e == t || *e || v < 0 || v > 100 || fp->n >= sizeof t) {
            yg__intel_diag(l->in, l->file, r->line, csv_at(r, fp), NULL, YG_ESYNTAX, NULL,
                           "confidence '%.*s' is not a number from 0 to 100",
                           (int)(fp->n > 32 ? 32 : fp->n), fp->p);
            return false;
        }
        x->confidence = (int)v;
    }
    static const int tcols[4] = {C_VFROM, C_VUNTIL, C_FSEEN, C_LSEEN};
    int64_t *tdst[4] = {&x->valid_from, &x->valid_until, &x->first_seen, &x->last_seen};
    for (int i = 0; i < 4; i++)
        if ((fp = csv_col(r, tcols[i])) && fp->n && !yg__intel_time(fp->p, fp->n, tdst[i])) {
            yg__intel_diag(l->in, l->file, r->line, csv_at(r, fp), NULL, YG_ESYNTAX, NULL,
                           "'%.*s' is not a time (RFC 3339, a date, or epoch seconds)",
                           (int)(fp->n > 40 ? 40 : fp->n), fp->p);
            return false;
        }
    if ((fp = csv_col(r, C_ID)) && fp->n) {
        x->id = fp->p;
        x->idn = fp->n;
    }
    if ((fp = csv_col(r, C_DESC)) && fp->n)
        x->description = fdup(a, fp);
    return true;
}

/* One data row into the store.  YG_ENOMEM and YG_ELIMIT stop the file;
 * other problems are reported and the row skipped. */
static yg_err csv_row_add(struct yg_iload *l, const struct csv_row *r, size_t pos,
                          struct yg_arena *a)
{
    const struct field *tv = csv_col(r, C_TYPE), *vv = csv_col(r, C_VALUE);
    if (!tv || !vv) {
        yg__intel_diag(l->in, l->file, r->line, (unsigned)(pos - r->rec_start), NULL, YG_ESYNTAX,
                       NULL, "%s column missing", !tv ? "type" : "value");
        return YG_OK;
    }
    struct yg_ioc_in x;
    yg__ioc_in_init(&x);
    if (!type_name(tv->p, tv->n, &x.type, &x.hash_kind)) {
        yg__intel_diag(l->in, l->file, r->line, csv_at(r, tv), NULL, YG_EUNSUPPORTED, NULL,
                       "type '%.*s' is not ip, domain, url, hash (md5, sha1, sha256), email "
                       "or user_agent",
                       (int)(tv->n > 64 ? 64 : tv->n), tv->p);
        return YG_OK;
    }
    x.value = vv->p;
    x.vn = vv->n;
    if (!csv_optional(l, r, a, &x))
        return YG_OK;
    x.file = l->file;
    const char *why;
    yg_err err = yg__intel_add(l->in, &x, &why);
    if (err && err != YG_ENOMEM)
        yg__intel_diag(l->in, l->file, r->line, csv_at(r, vv), NULL, err, NULL, "%s '%.*s': %s",
                       yg_ioc_type_name(x.type), (int)(vv->n > 200 ? 200 : vv->n), vv->p,
                       why ? why : yg_strerror(err));
    return err == YG_ENOMEM || err == YG_ELIMIT ? err : YG_OK;
}

yg_err yg__intel_load_csv(struct yg_iload *l)
{
    const char *b = l->buf;
    size_t len = l->len, pos = 0, nrec = 0;
    if (len >= 3 && !memcmp(b, "\xef\xbb\xbf", 3))
        pos = 3;
    struct field f[MAX_COLS];
    char *scratch = yg_malloc(YG_MAX_EVENT_BYTES);
    if (!scratch)
        return YG_ENOMEM;
    struct yg_arena a;
    yg_arena_init(&a, 1u << 12, 0);
    int map[C_N];
    bool have_header = false;
    yg_err err = YG_OK;
    unsigned line = 1, col;
    size_t line_off = 0, released = 0;
    while (pos < len) {
        yg__iload_release(l, line_off, &released);
        /* Line numbers advance incrementally. */
        for (size_t i = line_off; i < pos; i++)
            line += b[i] == '\n';
        line_off = pos;
        if (blank_or_comment(b, len, pos)) {
            pos = skip_line(b, len, pos);
            continue;
        }
        size_t rec_start = pos, end = skip_line(b, len, pos), bad = 0;
        /* A quoted field may hold newlines: the record ends where split says. */
        size_t lim = len - pos > YG_MAX_EVENT_BYTES - 1 ? pos + YG_MAX_EVENT_BYTES - 1 : len;
        int nf = split(b, lim, &pos, f, scratch, &bad);
        if (nf < 0) {
            yg__intel_linecol(b, bad, &line, &col);
            line_off = bad;
            yg__intel_diag(l->in, l->file, line, col, NULL, YG_ESYNTAX, NULL,
                           "unterminated or misplaced quote");
            pos = end > bad ? end : skip_line(b, len, bad);
            continue;
        }
        if (!have_header) {
            if (!header(f, nf, map) || map[C_TYPE] < 0) {
                yg__intel_diag(l->in, l->file, line, 1, NULL, YG_ESYNTAX, NULL,
                               "a header row naming the columns expected (type,value[,source,"
                               "confidence,tlp,valid_from,valid_until,id,description])");
                break;
            }
            have_header = true;
            continue;
        }
        if (++nrec > YG_INTEL_MAX_PER_FILE) {
            yg__intel_diag(l->in, l->file, line, 1, NULL, YG_ELIMIT, NULL,
                           "more lines than YG_INTEL_MAX_PER_FILE; the rest is ignored");
            break;
        }
        yg_arena_reset(&a);
        struct csv_row row = {f, nf, map, rec_start, line};
        if ((err = csv_row_add(l, &row, pos, &a)))
            break;
    }
    yg_free(scratch);
    yg_arena_free(&a);
    return err == YG_ENOMEM ? err : YG_OK;
}

yg_err yg__intel_load_plain(struct yg_iload *l, const char *type)
{
    const char *b = l->buf;
    size_t len = l->len, pos = 0, nrec = 0;
    yg_ioc_type t = YG_IOC_IP;
    const char *hk = NULL;
    if (type && !type_name(type, strlen(type), &t, &hk))
        return YG_EINVAL;
    if (len >= 3 && !memcmp(b, "\xef\xbb\xbf", 3))
        pos = 3;
    unsigned line = 0;
    yg_err err = YG_OK;
    size_t released = 0;
    while (pos < len) {
        yg__iload_release(l, pos, &released);
        line++;
        size_t end = skip_line(b, len, pos);
        const char *v = b + pos;
        size_t n = end - pos;
        pos = end;
        while (n && (v[n - 1] == '\n' || v[n - 1] == '\r' || v[n - 1] == ' ' || v[n - 1] == '\t'))
            n--;
        unsigned col = 1;
        while (n && (*v == ' ' || *v == '\t')) {
            v++;
            n--;
            col++;
        }
        if (!n || *v == '#')
            continue;
        if (++nrec > YG_INTEL_MAX_PER_FILE) {
            yg__intel_diag(l->in, l->file, line, 1, NULL, YG_ELIMIT, NULL,
                           "more lines than YG_INTEL_MAX_PER_FILE; the rest is ignored");
            break;
        }
        struct yg_ioc_in x;
        yg__ioc_in_init(&x);
        x.type = t;
        x.hash_kind = hk;
        if (!type && !yg__ioc_guess(v, n, &x.type)) {
            yg__intel_diag(l->in, l->file, line, col, NULL, YG_EUNSUPPORTED, NULL,
                           "'%.*s' is no indicator Yagura matches (address, domain, URL, hash, "
                           "e-mail); give --type for user agents",
                           (int)(n > 120 ? 120 : n), v);
            continue;
        }
        x.value = v;
        x.vn = n;
        x.source = l->source;
        x.tlp = l->tlp;
        if (l->o && l->o->confidence > 0)
            x.confidence = l->o->confidence;
        x.file = l->file;
        const char *why;
        err = yg__intel_add(l->in, &x, &why);
        if (err == YG_ENOMEM)
            break;
        if (err) {
            yg__intel_diag(l->in, l->file, line, col, NULL, err, NULL, "%s '%.*s': %s",
                           yg_ioc_type_name(x.type), (int)(n > 200 ? 200 : n), v,
                           why ? why : yg_strerror(err));
            if (err == YG_ELIMIT)
                break;
            err = YG_OK;
        }
    }
    return err == YG_ENOMEM ? err : YG_OK;
}
