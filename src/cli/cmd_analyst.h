/*
 * cmd_analyst.h - `yagura metrics` and `yagura logons` (cmd_analyst.c).
 */
#ifndef YG_CLI_CMD_ANALYST_H
#define YG_CLI_CMD_ANALYST_H

int yg_cli_metrics(int argc, char **argv);
int yg_cli_logons(int argc, char **argv);

#endif
