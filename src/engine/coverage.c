/*
 * coverage.c - events per log source and the rules that cover them (see
 * coverage.h).
 */
#include "engine/coverage.h"

#include <stdlib.h>
#include <string.h>

#include "core/core.h"

/* Rows of the summary table; the stats JSON has them all. */
#define COV_ROWS_SHOWN 20

static void add_row(void *ud, const char *ls_json, uint64_t events, uint32_t rules)
{
    struct yg_coverage *c = ud;
    for (size_t i = 0; i < c->n; i++) {
        struct yg_cov_row *r = &c->rows[i];
        if (strcmp(r->ls_json, ls_json) == 0) {
            r->events += events;
            /* Windows routes of one log source can differ in the category
             * rules they add (where-conditions): the widest counts. */
            if (rules > r->rules)
                r->rules = rules;
            return;
        }
    }
    if (c->n == c->cap) {
        size_t nc = c->cap ? c->cap * 2 : 16;
        struct yg_cov_row *nr = yg_realloc(c->rows, nc * sizeof *nr);
        if (!nr) {
            c->oom = true;
            return;
        }
        c->rows = nr;
        c->cap = nc;
    }
    char *d = yg_strndup(ls_json, strlen(ls_json));
    if (!d) {
        c->oom = true;
        return;
    }
    c->rows[c->n++] = (struct yg_cov_row){d, events, rules};
}

void yg__cov_add_scanner(struct yg_coverage *c, const yg_scanner *s)
{
    if (s)
        yg_scanner_coverage(s, add_row, c);
}

static int row_cmp(const void *a, const void *b)
{
    const struct yg_cov_row *x = a, *y = b;
    if (x->events != y->events)
        return x->events > y->events ? -1 : 1;
    return strcmp(x->ls_json, y->ls_json);
}

void yg__cov_sort(struct yg_coverage *c)
{
    if (c->n > 1)
        qsort(c->rows, c->n, sizeof *c->rows, row_cmp);
}

static bool unrouted(const struct yg_cov_row *r)
{
    return strcmp(r->ls_json, "{}") == 0;
}

uint64_t yg__cov_uncovered(const struct yg_coverage *c, uint64_t *none)
{
    uint64_t n = 0, u = 0;
    for (size_t i = 0; i < c->n; i++) {
        if (unrouted(&c->rows[i]))
            u += c->rows[i].events;
        else if (!c->rows[i].rules)
            n += c->rows[i].events;
    }
    if (none)
        *none = u;
    return n;
}

/* The string value of "key" in the flat object the scanner writes, or NULL. */
static const char *member(const char *js, const char *key, size_t *len)
{
    char pat[24];
    snprintf(pat, sizeof pat, "\"%s\":\"", key);
    const char *p = strstr(js, pat);
    if (!p)
        return NULL;
    p += strlen(pat);
    const char *e = p;
    while (*e && *e != '"')
        e += e[0] == '\\' && e[1] ? 2 : 1;
    *len = (size_t)(e - p);
    return p;
}

void yg__cov_label(const struct yg_cov_row *r, char *out, size_t n)
{
    static const char *const keys[] = {"product", "service", "category"};
    size_t at = 0;
    out[0] = 0;
    for (int k = 0; k < 3; k++) {
        size_t len;
        const char *v = member(r->ls_json, keys[k], &len);
        if (!v)
            continue;
        int w = snprintf(out + at, n - at, "%s%s:%.*s", at ? " " : "", keys[k], (int)len, v);
        if (w < 0 || (size_t)w >= n - at)
            break;
        at += (size_t)w;
    }
    if (!at)
        snprintf(out, n, "(none)");
}

void yg__cov_print(const struct yg_coverage *c, FILE *e)
{
    if (!c->n)
        return;
    fprintf(e, "  events by log source (rules that apply):\n");
    size_t shown = c->n <= COV_ROWS_SHOWN + 1 ? c->n : COV_ROWS_SHOWN;
    uint64_t rest_ev = 0, rest_unc = 0;
    for (size_t i = shown; i < c->n; i++) {
        rest_ev += c->rows[i].events;
        rest_unc += c->rows[i].rules && !unrouted(&c->rows[i]) ? 0 : 1;
    }
    for (size_t i = 0; i < shown; i++) {
        const struct yg_cov_row *r = &c->rows[i];
        char label[256];
        yg__cov_label(r, label, sizeof label);
        const char *warn = unrouted(r)  ? "  <- no log source: no rule can match these"
                           : !r->rules ? "  <- no loaded rule covers this log source"
                                       : "";
        fprintf(e, "    %10llu  %-56s %6u%s\n", (unsigned long long)r->events, label, r->rules,
                warn);
    }
    if (shown < c->n)
        fprintf(e,
                "    %10llu  ... in %zu more log source(s), %llu of them without rules "
                "(--stats-json lists all)\n",
                (unsigned long long)rest_ev, c->n - shown, (unsigned long long)rest_unc);
    uint64_t none = 0, unc = yg__cov_uncovered(c, &none);
    if (unc)
        fprintf(e,
                "  warning: %llu event(s) are of log sources no loaded rule covers; add the rules "
                "for them (-r) or check the mapping\n",
                (unsigned long long)unc);
    if (none)
        fprintf(e,
                "  warning: %llu event(s) route to no log source (JSON without a known channel or "
                "format); name it with --logsource product=...,service=...\n",
                (unsigned long long)none);
    if (c->oom)
        fprintf(e, "  warning: out of memory: the log source table above is incomplete\n");
}

static void json_str(FILE *f, const char *p, size_t n)
{
    /* The values come from the scanner's own JSON: already escaped. */
    fputc('"', f);
    fwrite(p, 1, n, f);
    fputc('"', f);
}

void yg__cov_json(const struct yg_coverage *c, FILE *f)
{
    static const char *const keys[] = {"product", "service", "category"};
    fputc('[', f);
    for (size_t i = 0; i < c->n; i++) {
        const struct yg_cov_row *r = &c->rows[i];
        fputs(i ? ",{" : "{", f);
        for (int k = 0; k < 3; k++) {
            size_t len;
            const char *v = member(r->ls_json, keys[k], &len);
            if (!v)
                continue;
            fprintf(f, "\"%s\":", keys[k]);
            json_str(f, v, len);
            fputc(',', f);
        }
        fprintf(f, "\"events\":%llu,\"rules\":%u}", (unsigned long long)r->events, r->rules);
    }
    fputc(']', f);
}

void yg__cov_free(struct yg_coverage *c)
{
    for (size_t i = 0; i < c->n; i++)
        yg_free(c->rows[i].ls_json);
    yg_free(c->rows);
    memset(c, 0, sizeof *c);
}
