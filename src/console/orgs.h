/*
 * orgs.h - the organisation inventory the console filters incidents by
 * (taxii.console.organisations, docs/console.md): each organisation's
 * name, sector, mail and host domains, and address ranges.  An incident
 * belongs to every organisation one of its entities falls in: an account
 * `user@domain` or a host `name.domain` of one of its domains (or a
 * subdomain), an address in one of its ranges.
 */
#ifndef YG_CONSOLE_ORGS_H
#define YG_CONSOLE_ORGS_H

#include "core/core.h"
#include "incident/incident.h"

#define YG_ORGS_MAX 4096

struct yg_orgs;
/* Load path; on failure NULL with why naming the file, line, column and
 * what was expected. */
struct yg_orgs *yg__orgs_load(const char *path, char *why, size_t wl);
void yg__orgs_free(struct yg_orgs *o);
size_t yg__orgs_count(const struct yg_orgs *o);
const char *yg__orgs_name(const struct yg_orgs *o, size_t i);
/* Whether the entity (kind, value) belongs to organisation i. */
bool yg__orgs_match(const struct yg_orgs *o, size_t i, const char *kind, const char *value);
/* Whether any entity of the row belongs to organisation i. */
bool yg__orgs_row(const struct yg_orgs *o, size_t i, const struct yg_incident_row *r);

#endif
