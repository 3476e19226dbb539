/*
 * console_int.h - what the files of the console share (not an interface).
 */
#ifndef YG_CONSOLE_CONSOLE_INT_H
#define YG_CONSOLE_CONSOLE_INT_H

#include <pthread.h>

#include "console/console.h"
#include "console/form.h"
#include "console/orgs.h"
#include "incident/incident.h"
#include "store/store.h"

struct yg_console_cmp;

#define SID_LEN 43 /* 32 random bytes, base64url without padding */

struct session {
    char id[SID_LEN + 1];
    char csrf[SID_LEN + 1];
    long user;
    int64_t created_ms, seen_ms;
    bool used;
};

struct page_reg {
    char name[16], label[48];
    yg_console_page_fn fn;
    void *ud;
};

struct yg_console {
    const struct yg_taxii_cfg *cfg;
    char *state_db;
    struct yg_store *st;      /* the incidents; guarded by mu */
    pthread_mutex_t mu;       /* the store and the sessions */
    struct session *sess;     /* YG_CONSOLE_MAX_SESSIONS */
    unsigned char secret[32]; /* MACs the login form's token */
    struct yg_orgs *orgs;
    struct page_reg pages[8];
    size_t npages;
    struct yg_console_cmp *cmp; /* the campaign pages (campaigns.c) */
    struct yg_web_app app;
    char why[1024];
};

/* One request being answered, with its session (user -1: none). */
struct ctx {
    struct yg_console *con;
    const struct yg_web_req *rq;
    struct yg_web_resp *rs;
    const char *sub; /* the path below /console */
    long user;
    int role;
    char csrf[SID_LEN + 1];
    struct yg_arena a; /* form fields, per request */
    bool oom;          /* a part of the page did not fit: answered 500 */
};

/* assets.c */
bool yg__console_asset(const char *name, const char **type, const char **body, size_t *n);

/* console.c */
void yg__console_page_start(struct ctx *c, const char *title);
/* The security headers and the content type of any response. */
void yg__console_headers(struct ctx *c, const char *type);
void yg__console_page_end(struct ctx *c);
void yg__console_redirect(struct ctx *c, const char *location);
void yg__console_error_page(struct ctx *c, unsigned status, const char *msg);
void yg__console_csrf_field(struct ctx *c);
/* Append to the response body (failures leave a short page; the buffer's
 * cap is far above any page). */
void yg__h(struct ctx *c, const char *s);
void yg__hf(struct ctx *c, const char *fmt, ...) YG_PRINTF(2, 3);
void yg__he(struct ctx *c, const char *s);
/* Append n bytes as they are. */
void yg__hn(struct ctx *c, const char *s, size_t n);
/* A query argument of the request, or NULL. */
const char *yg__console_arg(const struct ctx *c, const char *key);

/* campaigns.c: the campaign pages, plugged in by yg__console_new. */
YG_NODISCARD yg_err yg__console_campaigns_new(struct yg_console *con);
void yg__console_campaigns_free(struct yg_console_cmp *k);
/* What would stop them at start: the inventory not loading, an input missing. */
YG_NODISCARD yg_err yg__console_campaigns_check(const struct yg_taxii_cfg *c,
                                                struct yg_errmsg *why);

/* pages.c */
void yg__console_list(struct ctx *c);
void yg__console_incident(struct ctx *c, const char *id);
void yg__console_stix(struct ctx *c, const char *id);
void yg__console_login_page(struct ctx *c, unsigned status, const char *msg);

#endif
