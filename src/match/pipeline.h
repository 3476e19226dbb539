/*
 * pipeline.h - pySigma processing pipelines applied to rules before they are
 * compiled (docs/pipelines.md).
 *
 * A pipeline rewrites a loaded rule the way pySigma's processing does before
 * a backend sees it: field names mapped, prefixed or suffixed, detection
 * items dropped, conditions added, the log source changed.  The rewritten
 * rule is an ordinary rule tree, so the compiler and every later step see
 * nothing special.  What a pipeline asks for that Yagura does not do is an
 * error with the file, line and column of the transformation.
 */
#ifndef YG_MATCH_PIPELINE_H
#define YG_MATCH_PIPELINE_H

#include "core/core.h"
#include "sigma/rule.h"

struct yg_pipeset;

struct yg_pipe_err {
    const char *file; /* the pipeline file */
    unsigned line, col;
    char msg[512];
};

/*
 * Load the pipeline files paths[0..n) into one set, ordered by their
 * `priority` (stable).  Nodes live in a (the compiler's arena: rewritten rules
 * point into them).  On an error *err says where and why.
 */
YG_NODISCARD yg_err yg__pipeset_load(const char *const *paths, size_t n, struct yg_arena *a,
                                     struct yg_pipeset **out, struct yg_pipe_err *err);
void yg__pipeset_free(struct yg_pipeset *ps);

/*
 * Rewrite one detection or filter rule: its detection, conditions and log
 * source.  A `rule_failure` or `detection_item_failure` that applies returns
 * YG_EUNSUPPORTED with its message in why and the node in *at; a rule whose
 * field mappings multiply past YG_MAX_PIPELINE_EXPANSION returns YG_ELIMIT.
 */
YG_NODISCARD yg_err yg__pipeset_apply(const struct yg_pipeset *ps, struct yg_rule *r,
                                      struct yg_arena *a, const struct yg_ynode **at,
                                      struct yg_errmsg *why);

#endif
