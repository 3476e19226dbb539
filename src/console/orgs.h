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
/* Load path into *out.  On failure *out is still a handle holding the
 * reason (yg__orgs_errmsg: the file, line, column and what was expected;
 * YG_EIO when the file cannot be read, YG_EINVAL when it is not an
 * inventory), on which only yg__orgs_errmsg and yg__orgs_free are valid.
 * *out is NULL only when even the handle could not be allocated (YG_ENOMEM;
 * yg__orgs_errmsg(NULL) says "out of memory"). */
YG_NODISCARD yg_err yg__orgs_load(const char *path, struct yg_orgs **out);
const char *yg__orgs_errmsg(const struct yg_orgs *o);
void yg__orgs_free(struct yg_orgs *o);
size_t yg__orgs_count(const struct yg_orgs *o);
const char *yg__orgs_name(const struct yg_orgs *o, size_t i);
/* Whether the entity (kind, value) belongs to organisation i. */
bool yg__orgs_match(const struct yg_orgs *o, size_t i, const char *kind, const char *value);
/* Whether any entity of the row belongs to organisation i. */
bool yg__orgs_row(const struct yg_orgs *o, size_t i, const struct yg_incident_row *r);

#endif
