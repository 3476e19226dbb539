/*
 * cmd_share.h - the sharing commands: `yagura serve` (cmd_serve.c),
 * `yagura intel pull` and `yagura intel export` (cmd_intel_share.c).
 * Each takes argv from its own name on and returns the exit status.
 */
#ifndef YG_CLI_CMD_SHARE_H
#define YG_CLI_CMD_SHARE_H

int yg_cli_serve(int argc, char **argv);
int yg_cli_intel_pull(int argc, char **argv);
int yg_cli_intel_export(int argc, char **argv);

#endif
