/*
 * cmd_report.h - the HTML report (src/engine/report.c) of `yagura hunt
 * --html FILE` and of `yagura incidents report ID --html FILE`.
 */
#ifndef YG_CLI_CMD_REPORT_H
#define YG_CLI_CMD_REPORT_H

#include <stdbool.h>

#include "engine/hunt.h"

struct yg_store;
struct yg_hunt_report;

/* Before the hunt: open FILE for writing, give the hunt a temporary file for
 * every alert (o->tap) and, without --stats-json, a temporary stats file.
 * Returns 0, or 2 after printing the reason. */
int yg_cli_hunt_report_begin(const char *path, struct yg_hunt_opts *o, struct yg_hunt_report **out);
/* After the hunt (and after --incidents has grouped the alerts): write the
 * report.  argv is the command line, shown among the parameters; incidents
 * is the --incidents database or NULL.  Frees r.  Returns 0, or 2 after
 * printing the reason. */
int yg_cli_hunt_report_end(struct yg_hunt_report *r, const struct yg_hunt_opts *o, int argc,
                           char **argv, const char *incidents, bool quiet);
/* `yagura incidents report ID --html FILE`: the report of one incident
 * (resolved id) of the database db.  Returns 0, or 2 after printing why. */
int yg_cli_incident_report(struct yg_store *st, const char *db, const char *id, const char *path);

#endif
