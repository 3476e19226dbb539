/*
 * webapp.c - the small helpers of webapp.h.
 */
#include "http/webapp.h"

#include <stdio.h>
#include <string.h>

void yg__web_header(struct yg_web_resp *rs, const char *name, const char *value)
{
    if (rs->nhdr >= YG_WEB_MAX_HEADERS || strlen(name) >= sizeof rs->hdr[0].name ||
        strlen(value) >= sizeof rs->hdr[0].value)
        return;
    snprintf(rs->hdr[rs->nhdr].name, sizeof rs->hdr[0].name, "%s", name);
    snprintf(rs->hdr[rs->nhdr].value, sizeof rs->hdr[0].value, "%s", value);
    rs->nhdr++;
}

bool yg__web_app_owns(const struct yg_web_app *app, const char *path)
{
    if (!app || !path)
        return false;
    size_t n = strlen(app->prefix);
    return strncmp(path, app->prefix, n) == 0 && (path[n] == 0 || path[n] == '/');
}
