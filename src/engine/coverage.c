/*
 * coverage.c - events per log source and the rules that cover them (see
 * coverage.h).
 */
#include "engine/coverage.h"

#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "core/jsonstr.h"

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

void yg__cov_label(const char *ls_json, char *out, size_t n)
{
    static const char *const keys[] = {"product", "service", "category"};
    size_t at = 0;
    out[0] = 0;
    for (int k = 0; k < 3; k++) {
        size_t len;
        const char *v = member(ls_json, keys[k], &len);
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
        yg__cov_label(r->ls_json, label, sizeof label);
        const char *warn = unrouted(r) ? "  <- no log source: no rule can match these"
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
}

void yg__cov_warn(const struct yg_coverage *c, FILE *e)
{
    uint64_t none = 0, unc = yg__cov_uncovered(c, &none);
    if (unc)
        fprintf(e,
                "yagura hunt: warning: %llu event(s) are of log sources no loaded rule covers; add "
                "the rules for them (-r) or check the mapping\n",
                (unsigned long long)unc);
    if (none)
        fprintf(e,
                "yagura hunt: warning: %llu event(s) route to no log source (JSON without a known "
                "channel or format); name it with --logsource product=...,service=...\n",
                (unsigned long long)none);
    if (c->oom)
        fprintf(e, "yagura hunt: warning: out of memory: the log source counts are incomplete\n");
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

/* ---- tallies -------------------------------------------------------------- */

/* The row of key, added if new: a hash lookup, so a run whose alerts name
 * many distinct computers stays linear. */
static struct yg_tally_row *tally_row(struct yg_tally *t, const char *key, size_t kn)
{
    uint32_t r;
    if (yg__htab_get(&t->idx, key, kn, &r))
        return &t->rows[r];
    if (t->n >= YG_TALLY_MAX_KEYS && (kn != 7 || memcmp(key, "(other)", 7) != 0))
        return tally_row(t, "(other)", 7);
    if (t->n == t->cap) {
        size_t nc = t->cap ? t->cap * 2 : 16;
        struct yg_tally_row *nr = yg_realloc(t->rows, nc * sizeof *nr);
        if (!nr)
            return NULL;
        t->rows = nr;
        t->cap = nc;
    }
    char *d = yg_strndup(key, kn);
    if (!d)
        return NULL;
    bool added;
    r = (uint32_t)t->n;
    /* The key is the row's own copy, which lives as long as the row. */
    if (yg__htab_add(&t->idx, d, kn, &r, &added)) {
        yg_free(d);
        return NULL;
    }
    struct yg_tally_row *row = &t->rows[t->n++];
    memset(row, 0, sizeof *row);
    row->key = d;
    return row;
}

void yg__tally_add(struct yg_tally *t, const char *key, size_t kn, int level, uint64_t count)
{
    struct yg_tally_row *r = tally_row(t, key, kn);
    if (!r) {
        t->oom = true;
        return;
    }
    if (level >= 0 && level < 6)
        r->by_level[level] += count;
    r->total += count;
}

void yg__tally_merge(struct yg_tally *into, const struct yg_tally *from)
{
    for (size_t i = 0; i < from->n; i++) {
        const struct yg_tally_row *f = &from->rows[i];
        for (int l = 0; l < 6; l++)
            if (f->by_level[l])
                yg__tally_add(into, f->key, strlen(f->key), l, f->by_level[l]);
    }
    into->oom |= from->oom;
}

static int tally_cmp(const void *a, const void *b)
{
    const struct yg_tally_row *x = a, *y = b;
    if (x->total != y->total)
        return x->total > y->total ? -1 : 1;
    return strcmp(x->key, y->key);
}

void yg__tally_sort(struct yg_tally *t)
{
    if (t->n > 1)
        qsort(t->rows, t->n, sizeof *t->rows, tally_cmp);
    /* Rows moved: the index is rebuilt. */
    yg__htab_clear(&t->idx);
    for (size_t i = 0; i < t->n; i++) {
        uint32_t r = (uint32_t)i;
        bool added;
        if (yg__htab_add(&t->idx, t->rows[i].key, strlen(t->rows[i].key), &r, &added))
            t->oom = true;
    }
}

void yg__tally_print(const struct yg_tally *t, FILE *e, const char *title, size_t max)
{
    if (!t->n)
        return;
    fprintf(e, "  %s:\n    %-56s %8s %8s %8s %8s %8s %8s\n", title, "", "total", "crit", "high",
            "med", "low", "info");
    for (size_t i = 0; i < t->n && i < max; i++) {
        const struct yg_tally_row *r = &t->rows[i];
        fprintf(e, "    %-56.56s %8llu %8llu %8llu %8llu %8llu %8llu\n", r->key,
                (unsigned long long)r->total, (unsigned long long)r->by_level[5],
                (unsigned long long)r->by_level[4], (unsigned long long)r->by_level[3],
                (unsigned long long)r->by_level[2], (unsigned long long)r->by_level[1]);
    }
    if (t->n > max)
        fprintf(e, "    ... and %zu more (--stats-json lists all)\n", t->n - max);
}

void yg__tally_json(const struct yg_tally *t, FILE *f)
{
    static const char *const names[6] = {"unknown", "informational", "low",
                                         "medium",  "high",          "critical"};
    fputc('[', f);
    for (size_t i = 0; i < t->n; i++) {
        const struct yg_tally_row *r = &t->rows[i];
        fputs(i ? ",{\"key\":" : "{\"key\":", f);
        yg__json_str_fput(f, r->key, strlen(r->key));
        fprintf(f, ",\"total\":%llu", (unsigned long long)r->total);
        for (int l = 5; l >= 1; l--)
            fprintf(f, ",\"%s\":%llu", names[l], (unsigned long long)r->by_level[l]);
        fputc('}', f);
    }
    fputc(']', f);
}

void yg__tally_free(struct yg_tally *t)
{
    for (size_t i = 0; i < t->n; i++)
        yg_free(t->rows[i].key);
    yg_free(t->rows);
    yg__htab_free(&t->idx);
    memset(t, 0, sizeof *t);
}

bool yg__event_host(const char *ev, size_t n, const char **host, size_t *hn)
{
    /* Windows first, then the names syslog, appliances and cloud logs use. */
    static const char *const keys[] = {"\"Computer\"",   "\"ComputerName\"", "\"Hostname\"",
                                       "\"hostname\"",   "\"host\"",         "\"devname\"",
                                       "\"DeviceName\"", "\"dvchost\"",      "\"host.name\""};
    for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) {
        size_t kl = strlen(keys[k]);
        const char *at = ev, *e = ev + n;
        while ((at = memmem(at, (size_t)(e - at), keys[k], kl))) {
            const char *q = at + kl;
            at++;
            while (q < e && (*q == ' ' || *q == ':'))
                q++;
            if (q >= e || *q != '"' || q[-1] == '"')
                continue;
            const char *v = ++q;
            while (q < e && *q != '"' && *q != '\\')
                q++;
            if (q > v && q < e && *q == '"') {
                *host = v;
                *hn = (size_t)(q - v);
                return true;
            }
        }
    }
    return false;
}
