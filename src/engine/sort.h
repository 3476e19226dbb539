/*
 * sort.h - `yagura hunt --sort time`: rendered alerts in event-time order,
 * in bounded memory whatever the input size.
 *
 * Records (a key and the alert's bytes) are added in input order.  They are
 * held in memory up to a budget; when it is reached the held records are
 * sorted and written to a temporary file (a sorted run).  At the end the
 * runs are merged (at most YG_SORT_FAN_IN at a time, in several passes if
 * there are more).  Equal keys keep the order they were added in, so the
 * output depends only on the order of additions, never on timing.
 */
#ifndef YG_ENGINE_SORT_H
#define YG_ENGINE_SORT_H

#include <stdio.h>

#include "core/core.h"

/* Memory for records held before a run is written (default), and the most
 * runs merged in one pass. */
#define YG_SORT_MEM_DEFAULT (32u << 20)
#define YG_SORT_FAN_IN 64u

struct yg_sorter;

/* mem: the budget in bytes (0: the default); dir: where runs go (NULL:
 * $TMPDIR, else /tmp).  Run files are unlinked as soon as they are made. */
YG_NODISCARD yg_err yg__sorter_new(size_t mem, const char *dir, struct yg_sorter **out);
YG_NODISCARD yg_err yg__sorter_add(struct yg_sorter *s, int64_t key, const char *p, size_t n);
/* Write every record in (key, addition) order to out and empty the sorter. */
YG_NODISCARD yg_err yg__sorter_finish(struct yg_sorter *s, FILE *out);
/* Runs written so far (for the tests and the summary). */
size_t yg__sorter_runs(const struct yg_sorter *s);
void yg__sorter_free(struct yg_sorter *s);
/* A description of the last I/O failure ("" if none). */
const char *yg__sorter_error(const struct yg_sorter *s);

#endif
