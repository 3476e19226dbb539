/*
 * console.h - the web console (docs/console.md): incidents, their
 * timelines and evidence, and triage, in a browser.
 *
 * The console is a web application (src/http/webapp.h) mounted under
 * /console on the TAXII server's listener, so it has the same TLS,
 * connection limits, deadlines and users as TAXII: a user with
 * `console: viewer` or `console: analyst` in taxii.users logs in with the
 * password of that entry, checked by the TAXII login (failure limits
 * included).
 *
 * Security model, in the order a request meets it:
 *   1. every response carries a Content-Security-Policy of `default-src
 *      'self'` (no inline script or style: the one style sheet and script
 *      are served from the binary), frame-ancestors 'none',
 *      X-Content-Type-Options nosniff, Referrer-Policy no-referrer and
 *      Cache-Control no-store;
 *   2. a session is a random 256-bit id in a cookie (HttpOnly,
 *      SameSite=Strict, Secure under TLS) that expires after an idle time
 *      and an absolute time (taxii.console); pages other than the login
 *      page and the static files need one (303 to the login page);
 *   3. every POST carries the session's CSRF token (the login form: the
 *      token of a pre-login cookie) and is refused with 403 without it, or
 *      when the browser says it comes from another site (Origin,
 *      Sec-Fetch-Site);
 *   4. triage needs the analyst role: a viewer's POST is refused with 403
 *      and the page shows a viewer no triage form;
 *   5. everything written into a page is HTML-escaped; bodies and fields
 *      are bounded (YG_CONSOLE_MAX_BODY, YG_TRIAGE_MAX_DETAIL).
 *
 * Campaign pages (and any other later page) plug in through
 * yg__console_add_page: a page named "campaigns" is served under
 * /console/campaigns, linked from the navigation bar, inside the same
 * frame, session, role and CSRF checks.
 */
#ifndef YG_CONSOLE_CONSOLE_H
#define YG_CONSOLE_CONSOLE_H

#include "core/core.h"
#include "http/webapp.h"
#include "taxii/taxii.h"

/* Largest request body of the console (a login or triage form). */
#define YG_CONSOLE_MAX_BODY 16384
/* Sessions held at once; at the limit the oldest is ended. */
#define YG_CONSOLE_MAX_SESSIONS 1024
/* Incidents on one page of the list. */
#define YG_CONSOLE_PAGE_ROWS 100

struct yg_console;

/* A console over the configuration c (its users, roles and console
 * settings; c must outlive it) and the incidents of the state database
 * state_db.  On failure *out still holds the message
 * (yg__console_errmsg), unless memory ran out. */
YG_NODISCARD yg_err yg__console_new(const struct yg_taxii_cfg *c, const char *state_db,
                                    struct yg_console **out);
const char *yg__console_errmsg(const struct yg_console *con);
/* What would stop the console at start, without opening anything: the
 * state database named, the organisation inventory loading.  For --check. */
YG_NODISCARD yg_err yg__console_check(const struct yg_taxii_cfg *c, const char *state_db,
                                      struct yg_errmsg *why);
void yg__console_free(struct yg_console *con);
/* The application to mount (yg__taxii_http_start_app). */
const struct yg_web_app *yg__console_app(struct yg_console *con);

/* What a plugged-in page gets: the signed-in user and the page to fill. */
struct yg_console_page {
    const struct yg_web_req *rq;
    const char *sub;     /* the path below /console/<name>, "" or "/..." */
    const char *user;    /* the signed-in user */
    int role;            /* YG_CONSOLE_VIEWER or YG_CONSOLE_ANALYST */
    const char *csrf;    /* the session's CSRF token, for forms of the page */
    struct yg_buf *html; /* the page's main content, HTML (escape with yg__html_esc) */
    char title[128];     /* the page's title (plain text) */
    unsigned status;     /* 200 unless set */
    /* A download instead of a page: html holds the body, sent as it is with
     * this Content-Type and as an attachment called filename. */
    const char *type;
    char filename[128];
};
/* Fill p (GET, or a POST whose CSRF token was checked); the console puts
 * it in its frame. */
typedef void (*yg_console_page_fn)(void *ud, struct yg_console_page *p);
/* Serve fn under /console/<name> with a navigation link called label.
 * name: lowercase letters; at most 8 pages. */
YG_NODISCARD yg_err yg__console_add_page(struct yg_console *con, const char *name,
                                         const char *label, yg_console_page_fn fn, void *ud);

/* The campaign pages (campaigns.c, docs/console.md "Campaigns"): limits of
 * what one page shows. */
#define YG_CONSOLE_CMP_GRAPH_MAX 400 /* incidents drawn in a campaign's graph */
#define YG_CONSOLE_CMP_ROWS_MAX 2000 /* rows of one table (links, incidents) */

/* Append s[0..n) HTML-escaped (& < > " ' and control bytes). */
YG_NODISCARD yg_err yg__html_esc(struct yg_buf *b, const char *s, size_t n);

#endif
