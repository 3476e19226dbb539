/*
 * cmd_rulesets.h - `yagura rules install|update|list` (cmd_rulesets.c).
 */
#ifndef YG_CLI_CMD_RULESETS_H
#define YG_CLI_CMD_RULESETS_H

#include <stdio.h>

int yg_cli_rules_install(int argc, char **argv);
int yg_cli_rules_update(int argc, char **argv);
int yg_cli_rules_list(int argc, char **argv);
/* The installed rule sets and their versions (for --version). */
void yg_cli_print_rulesets(FILE *f);

#endif
