/*
 * cmd_intel.h - `yagura intel load|check` (cmd_intel.c), and the loading of
 * --intel paths that `yagura hunt` shares with it.
 */
#ifndef YG_CLI_CMD_INTEL_H
#define YG_CLI_CMD_INTEL_H

#include <stdbool.h>
#include <stdio.h>

#include "yagura/yagura.h"

int yg_cli_intel_load(int argc, char **argv);
int yg_cli_intel_check(int argc, char **argv);

/* Load every path into a new frozen store, problems printed on err (file:
 * line:col: ...).  tlp_default and level_map may be NULL.  Returns 0, or 2
 * (printed) when a path cannot be read or an option is invalid. */
int yg_cli_intel_open(const char *const *paths, size_t n, const char *tlp_default,
                      const char *level_map, FILE *err, bool quiet, yg_intel **out);

#endif
