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

#include <stdbool.h>

#include "core/core.h"
/* Write a STIX bundle to output (NULL: standard output) and, with push_url,
 * POST it to TAXII collection push_coll (credentials from YG_TAXII_USER and
 * YG_TAXII_PASSWORD, or YG_TAXII_TOKEN).  Returns 0, 1 (push failed or
 * refused) or 2 (not written).  cmd prefixes messages. */
int yg_cli_bundle_out(const char *cmd, const struct yg_buf *out, const char *output,
                      const char *push_url, const char *push_coll, const char *ca, bool insecure);

#endif
