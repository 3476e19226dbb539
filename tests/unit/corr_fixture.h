/*
 * corr_fixture.h - the fixture of the correlation unit tests (test_correlate.c,
 * test_analytics.c): one YAML text, its detection rules compiled through the
 * public compiler, its correlation documents parsed with the YAML and rule
 * loaders and compiled by yg__corr_compile, with the diagnostics kept.
 */
#ifndef YG_TEST_CORR_FIXTURE_H
#define YG_TEST_CORR_FIXTURE_H

#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "correlate/correlate.h"
#include "match/program.h"
#include "sigma/rule.h"
#include "core/yaml.h"
#include "yagura/yagura.h"

struct fix {
    yg_rules *rules;
    struct yg_rules *rs;
    struct yg_arena a;
    const struct yg_rule **docs;
    size_t ndocs;
    struct yg_corr_set *cs;
    int ndiag;
    char diag[8][256];
    unsigned dline[8], dcol[8];
};

static void on_diag(void *ud, const struct yg_diag *d)
{
    struct fix *f = ud;
    if (f->ndiag < 8) {
        snprintf(f->diag[f->ndiag], sizeof f->diag[0], "%s", d->msg);
        f->dline[f->ndiag] = d->line;
        f->dcol[f->ndiag] = d->col;
    }
    f->ndiag++;
}

static void quiet(void *ud, const yg_diagnostic *d)
{
    (void)ud;
    (void)d;
}

static void quiet_rule(void *ud, const struct yg_diag *d)
{
    (void)ud;
    (void)d;
}

/* Returns the compile result; f is usable (and must be torn down) on YG_OK. */
static yg_err setup(struct fix *f, const char *yaml)
{
    memset(f, 0, sizeof *f);
    yg_arena_init(&f->a, 1u << 14, 0);
    yg_compiler *c;
    yg_err err = yg_compiler_create(&c, NULL);
    if (err)
        return err;
    yg_compiler_set_diag(c, quiet, NULL);
    err = yg_compiler_add_string(c, "t.yml", yaml, strlen(yaml));
    if (!err)
        err = yg_compiler_get_rules(c, &f->rules);
    yg_compiler_destroy(c);
    if (err)
        return err;
    f->rs = (struct yg_rules *)f->rules;
    struct yg_ydoc *yd;
    size_t n;
    unsigned el, ec;
    struct yg_errmsg why = {""};
    err = yg__yaml_parse(yaml, strlen(yaml), &f->a, &yd, &n, &el, &ec, &why);
    if (err)
        return err;
    f->docs = yg_arena_alloc(&f->a, (n + 1) * sizeof *f->docs);
    if (!f->docs)
        return YG_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        struct yg_rule *r = NULL;
        if (yg__rule_from_doc(&yd[i], "t.yml", &f->a, &r, quiet_rule, NULL) == YG_ENOMEM)
            return YG_ENOMEM;
        if (r)
            f->docs[f->ndocs++] = r;
    }
    return yg__corr_compile(f->docs, f->ndocs, f->rs, on_diag, f, &f->cs);
}

static void teardown(struct fix *f)
{
    yg__corr_set_free(f->cs);
    if (f->rules)
        yg_rules_release(f->rules);
    yg_arena_free(&f->a);
}

#endif
