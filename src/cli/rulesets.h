/*
 * rulesets.h - which rules a command runs: rule folders given after one
 * -r, input folders that are really rule folders, and the installed rule
 * sets used when no -r is given.
 */
#ifndef YG_CLI_RULESETS_H
#define YG_CLI_RULESETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* A folder whose files are Sigma rules (.yml/.yaml) and documentation only,
 * with at least one rule; *nrules gets how many rule files it holds (the
 * walk is capped, so it is a lower bound on very large trees). */
bool yg_cli_is_rule_folder(const char *path, size_t *nrules);

/*
 * Shell globs put several folders after one -r (`-r sigma/rules*` is
 * `-r sigma/rules sigma/rules-dfir ... logs/`): every argument right after
 * a -r value that is a rule folder or a .yml/.yaml file is rewritten as a
 * -r of its own, before option parsing; a folder in that run that holds
 * neither rules nor logs (documentation only) is dropped with a note.  Returns a new argv (argc in
 * *argc) that the caller frees with free(), or NULL when out of memory;
 * each argument so read is noted on err unless quiet.
 */
char **yg_cli_regroup_rules(int *argc, char **argv, FILE *err, bool quiet);

/* The data folder: $YAGURA_DATA_DIR, else ../share/yagura beside the
 * executable, else the source tree the program was built from. */
const char *yg_cli_data_dir(void);

/* The rule sets run when no -r is given: the data folder's rules/ (Yagura's
 * own) and every folder or .zip under its rulesets/ (SigmaHQ releases), in
 * name order.  Fills paths (strings owned by a static buffer pool) and
 * returns how many; says which on err unless quiet, and warns when no
 * SigmaHQ set is installed. */
size_t yg_cli_default_rules(const char **paths, size_t max, FILE *err, bool quiet);

/*
 * Noise control files, applied to the compiler before rules are added.
 *   exclusions: one rule id per line; `#` starts a comment; a CSV line's
 *               first field counts (Hayabusa's exclude_rules.txt loads).
 *   level tuning: `id,level` per line (Hayabusa's level_tuning.txt, its
 *               `id,new_level` header skipped) or `id: level`.
 * A line that cannot be read is reported as FILE:LINE:COL with what was
 * expected; returns false then (the command exits 2).
 */
struct yg_compiler;
bool yg_cli_load_exclusions(struct yg_compiler *c, const char *path, FILE *err);
bool yg_cli_load_level_tuning(struct yg_compiler *c, const char *path, FILE *err);

#endif
