/*
 * cmd_incidents.h - `yagura incidents list|show|close`, and the incident
 * step of `yagura hunt --incidents FILE`.
 */
#ifndef YG_CLI_CMD_INCIDENTS_H
#define YG_CLI_CMD_INCIDENTS_H

#include <stdbool.h>
#include <stdio.h>

#include "yagura/yagura.h"

int yg_cli_incidents(int argc, char **argv);

struct yg_detector;
struct yg_hunt_opts;

/* `yagura hunt --incidents FILE`: open (create) the database and the
 * detector's incident builder over it, and take every alert of the hunt as a
 * struct (o->incident_hook).  Returns 0, or 2 after printing the reason. */
struct yg_hunt_incidents;
int yg_cli_hunt_incidents_begin(const char *path, struct yg_detector *det,
                                struct yg_hunt_incidents **out, struct yg_hunt_opts *o);
/* After the hunt: build incidents (the detector's builder) from the alerts in event-time order and
 * print a short summary on standard error (unless quiet).  Frees hi.
 * Returns 0, or 2 after printing the reason. */
int yg_cli_hunt_incidents_end(struct yg_hunt_incidents *hi, struct yg_detector *det, bool quiet);

#endif
