/*
 * webapp.h - a web application mounted under a path prefix of the TAXII
 * server's HTTP transport (src/taxii/taxii_http.c), so that it shares its
 * listener, TLS, connection limits, request deadlines and logins: the
 * console (src/console/, docs/console.md) is one.
 *
 * The transport owns the connection.  For a request whose path is the
 * prefix or starts with the prefix and '/', it reads the body (at most
 * max_body bytes; beyond that body_too_large is set and the rest dropped),
 * then asks the application whether the request carries a password to
 * verify (login: an HTTP Basic credential built from a login form).  It
 * checks that credential exactly as a TAXII login (same hashes, failure
 * limits, dummy hash for unknown names, check pool off the serving threads)
 * and calls handle with the outcome.  The application writes every header
 * of its response itself.
 */
#ifndef YG_HTTP_WEBAPP_H
#define YG_HTTP_WEBAPP_H

#include "core/core.h"

struct yg_web_arg {
    const char *key, *val; /* decoded query arguments */
};

struct yg_web_req {
    const char *method, *path; /* path decoded, without the query */
    const struct yg_web_arg *args;
    size_t nargs;
    const char *cookie, *content_type, *origin, *sec_fetch_site; /* NULL when absent */
    const char *body;
    size_t body_len;
    bool body_too_large;
    const char *peer; /* the client address (or its /64), "" when unknown */
    /* The outcome of the password check that login asked for: the user's
     * index in the configuration, or -1; login_status 429 or 503 when the
     * check was refused (login_retry_after seconds), 0 otherwise. */
    bool login_checked;
    long login_user;
    unsigned login_status, login_retry_after;
};

#define YG_WEB_MAX_HEADERS 16
struct yg_web_resp {
    unsigned status;
    struct yg_buf body;
    size_t nhdr;
    struct {
        char name[40];
        char value[512];
    } hdr[YG_WEB_MAX_HEADERS];
};

/* Add a header (silently dropped past YG_WEB_MAX_HEADERS or a value longer
 * than 511 bytes: the application's own headers are short and fixed). */
void yg__web_header(struct yg_web_resp *rs, const char *name, const char *value);

struct yg_web_app {
    const char *prefix; /* "/console" */
    size_t max_body;    /* largest request body read */
    void *ud;
    /* A credential to check before handle, as an HTTP Authorization value
     * ("Basic base64(user:password)") written into auth; false: none.  auth
     * is wiped by the transport after use. */
    bool (*login)(void *ud, const struct yg_web_req *rq, char *auth, size_t n);
    /* Answer the request into rs (initialised: status 0, empty body; 0
     * means 500).  Called on the transport's serving threads, several at
     * once: the application serialises what it shares. */
    void (*handle)(void *ud, const struct yg_web_req *rq, struct yg_web_resp *rs);
};

/* Whether path is the application's: the prefix itself or below it. */
bool yg__web_app_owns(const struct yg_web_app *app, const char *path);

#endif
