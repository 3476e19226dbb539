/*
 * correlate_rules.c - yg_compiler_get_rules: the detection program of the
 * match layer, then the correlations over it.
 *
 * Correlations are compiled by the layer that owns them.  The match layer
 * (src/match/compile.c) loads every document and compiles the detection
 * rules; it knows nothing of correlations beyond an opaque set and its
 * destructor kept in the program.  This file, one layer up, compiles the
 * correlation documents against that program and interns the fields they
 * group and aggregate by, before any scanner exists, so the scanners decode
 * them.  The public entry point lives here so that the include graph runs
 * one way: correlate -> match, never back.
 */
#include "correlate/correlate.h"

#include "match/program.h"

/* Compile the correlation documents among docs against rs and intern their
 * fields.  A correlation that fails is reported and counted in nfailed. */
static yg_err add_correlations(struct yg_compiler *c, struct yg_rules *rs)
{
    const struct yg_rule *const *docs;
    size_t ndocs = yg__compiler_docs(c, &docs), ncor = 0;
    for (size_t i = 0; i < ndocs; i++)
        ncor += docs[i]->kind == YG_RULE_CORRELATION;
    if (!ncor)
        return YG_OK;
    const struct yg_rule **cd = yg_calloc(ncor, sizeof *cd);
    if (!cd)
        return YG_ENOMEM;
    size_t k = 0;
    for (size_t i = 0; i < ndocs; i++)
        if (docs[i]->kind == YG_RULE_CORRELATION)
            cd[k++] = docs[i];
    rs->corr_free = yg__corr_set_free;
    yg_err err = yg__corr_compile(cd, ncor, rs, yg__compiler_diag, c, &rs->corr);
    yg_free(cd);
    if (err)
        return err;
    rs->nfailed += ncor - yg__corr_count(rs->corr);
    for (size_t r = 0; r < rs->nrules; r++)
        for (size_t f = 0; f < yg__corr_nfields(rs->corr, (uint32_t)r); f++)
            if (yg__field_intern(rs, yg__corr_field(rs->corr, (uint32_t)r, f)) < 0)
                return YG_ENOMEM;
    rs->ncorrelation = yg__corr_count(rs->corr);
    return YG_OK;
}

yg_err yg_compiler_get_rules(yg_compiler *c, yg_rules **out)
{
    struct yg_rules *rs;
    yg_err err = yg__compile_detections(c, &rs);
    if (err)
        return err;
    if ((err = add_correlations(c, rs))) {
        yg_rules_release(rs);
        return err;
    }
    *out = rs;
    return YG_OK;
}
