/*
 * cmd_campaigns.h - `yagura campaigns` (docs/campaigns.md).
 */
#ifndef YG_CLI_CMD_CAMPAIGNS_H
#define YG_CLI_CMD_CAMPAIGNS_H

int yg_cli_campaigns(int argc, char **argv);

#endif
