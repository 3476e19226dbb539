/*
 * installed.h - where an installed Yagura finds its data: the data folder
 * (mappings, Yagura's own rules) and the rule sets installed by
 * `yagura rules install` (docs/install.md).
 */
#ifndef YG_CORE_INSTALLED_H
#define YG_CORE_INSTALLED_H

#include <stdbool.h>
#include <stddef.h>

/* Rule sets searched at most (names under all rule-set folders together). */
#define YG_MAX_RULESETS 64

/* The data folder: $YAGURA_DATA_DIR when it names a folder, else
 * ../share/yagura beside the executable, else the source tree the program
 * was built from.  Resolved once; the string is static. */
const char *yg__data_dir(void);

/* The writable rule-set folder searched after DATA/rulesets:
 * $YAGURA_RULESETS_DIR, else /var/lib/yagura/rulesets. */
const char *yg__rulesets_var_dir(void);

/* Where `yagura rules install` writes: $YAGURA_RULESETS_DIR when set; else
 * DATA/rulesets when the data folder is writable and not under /usr (a
 * checkout or a relocatable prefix such as /opt/yagura); else
 * /var/lib/yagura/rulesets (a package's data folder belongs to dpkg). */
const char *yg__rulesets_install_dir(const char *data_dir);

/* One installed rule set. */
struct yg_ruleset_loc {
    char name[256]; /* file name under its folder (sigma, sigma_core.zip) */
    char path[4096];
};

/* The installed rule sets, by name: every folder or .zip under
 * DATA/rulesets and under the writable folder; a name present in both is
 * taken from the writable folder (the one `rules update` replaces).
 * Returns how many (at most max). */
size_t yg__rulesets_find(const char *data_dir, struct yg_ruleset_loc *out, size_t max);

/* The rule paths run when none is given: DATA/rules (when present) then
 * the installed sets.  Each path is malloc'ed; returns how many (at most
 * max) and sets *own to 1 when DATA/rules is the first. */
size_t yg__installed_rules(const char *data_dir, char **paths, size_t max, int *own);

#endif
