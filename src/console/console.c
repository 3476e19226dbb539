/*
 * console.c - the console's requests: sessions, CSRF tokens, security
 * headers, routing and triage (console.h has the security model).
 */
#include "console/console_int.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define PRE_COOKIE "yg_login"
#define SESSION_COOKIE "yg_session"

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- output ---------------------------------------------------------------- */

void yg__hn(struct ctx *c, const char *s, size_t n)
{
    if (yg_buf_add(&c->rs->body, s, n) != YG_OK)
        c->oom = true;
}

void yg__h(struct ctx *c, const char *s)
{
    yg__hn(c, s, strlen(s));
}

void yg__hf(struct ctx *c, const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)
        yg__hn(c, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

yg_err yg__html_esc(struct yg_buf *b, const char *s, size_t n)
{
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        const char *rep = NULL;
        char num[8];
        switch (ch) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        default:
            /* Control bytes other than tab and line ends are shown, not sent. */
            if ((ch < 0x20 && ch != '\t' && ch != '\n' && ch != '\r') || ch == 0x7f) {
                snprintf(num, sizeof num, "\\x%02x", ch);
                rep = num;
            }
        }
        if (!rep) {
            run++;
            continue;
        }
        yg_err err = yg_buf_add(b, s + i - run, run);
        if (!err)
            err = yg_buf_add(b, rep, strlen(rep));
        if (err)
            return err;
        run = 0;
    }
    return yg_buf_add(b, s + n - run, run);
}

void yg__he(struct ctx *c, const char *s)
{
    if (s && yg__html_esc(&c->rs->body, s, strlen(s)) != YG_OK)
        c->oom = true;
}

/* ---- randomness, tokens -------------------------------------------------------- */

static void b64url(const unsigned char *p, size_t n, char *out)
{
    static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) |
                     (i + 2 < n ? p[i + 2] : 0);
        out[o++] = al[v >> 18 & 63];
        out[o++] = al[v >> 12 & 63];
        if (i + 1 < n)
            out[o++] = al[v >> 6 & 63];
        if (i + 2 < n)
            out[o++] = al[v & 63];
    }
    out[o] = 0;
}

/* A random 256-bit value as 43 characters; false when the generator fails. */
static bool random_token(char out[SID_LEN + 1])
{
    unsigned char r[32];
    if (RAND_bytes(r, sizeof r) != 1)
        return false;
    b64url(r, sizeof r, out);
    OPENSSL_cleanse(r, sizeof r);
    return true;
}

/* The login form's token: a MAC of the pre-login cookie's value. */
static void login_token(const struct yg_console *con, const char *pre, char out[SID_LEN + 1])
{
    unsigned char mac[32];
    unsigned ml = sizeof mac;
    HMAC(EVP_sha256(), con->secret, sizeof con->secret, (const unsigned char *)pre, strlen(pre),
         mac, &ml);
    b64url(mac, sizeof mac, out);
}

static bool same(const char *a, const char *b)
{
    size_t n = strlen(a);
    return n == strlen(b) && CRYPTO_memcmp(a, b, n) == 0;
}

/* ---- sessions (under con->mu) ----------------------------------------------------- */

static bool expired(const struct yg_console *con, const struct session *s, int64_t now)
{
    return now - s->seen_ms > (int64_t)con->cfg->console_idle_ms ||
           now - s->created_ms > (int64_t)con->cfg->console_max_ms;
}

/* The live session of the request's cookie, or NULL (an expired one ends). */
static struct session *session_find(struct yg_console *con, const struct yg_web_req *rq)
{
    char id[SID_LEN + 1];
    if (!yg__cookie_get(rq->cookie, SESSION_COOKIE, id, sizeof id) || strlen(id) != SID_LEN)
        return NULL;
    int64_t now = now_ms();
    for (size_t i = 0; i < YG_CONSOLE_MAX_SESSIONS; i++) {
        struct session *s = &con->sess[i];
        if (!s->used || !same(s->id, id))
            continue;
        if (expired(con, s, now) || s->user < 0 || (size_t)s->user >= con->cfg->nusers ||
            !con->cfg->users[s->user].console_role) {
            memset(s, 0, sizeof *s);
            return NULL;
        }
        s->seen_ms = now;
        return s;
    }
    return NULL;
}

/* A new session for user: a free or expired slot, else the oldest. */
static struct session *session_new(struct yg_console *con, long user)
{
    int64_t now = now_ms();
    struct session *pick = NULL;
    for (size_t i = 0; i < YG_CONSOLE_MAX_SESSIONS; i++) {
        struct session *s = &con->sess[i];
        if (!s->used || expired(con, s, now)) {
            pick = s;
            break;
        }
        if (!pick || s->seen_ms < pick->seen_ms)
            pick = s;
    }
    memset(pick, 0, sizeof *pick);
    if (!random_token(pick->id) || !random_token(pick->csrf))
        return NULL;
    pick->user = user;
    pick->created_ms = pick->seen_ms = now;
    pick->used = true;
    return pick;
}

/* ---- responses ------------------------------------------------------------------- */

void yg__console_headers(struct ctx *c, const char *type)
{
    struct yg_web_resp *rs = c->rs;
    yg__web_header(rs, "Content-Type", type);
    yg__web_header(rs, "Content-Security-Policy",
                   "default-src 'self'; frame-ancestors 'none'; form-action 'self'; "
                   "base-uri 'none'; object-src 'none'");
    yg__web_header(rs, "X-Content-Type-Options", "nosniff");
    yg__web_header(rs, "X-Frame-Options", "DENY");
    yg__web_header(rs, "Referrer-Policy", "no-referrer");
    yg__web_header(rs, "Cache-Control", "no-store");
    if (c->con->cfg->cert)
        yg__web_header(rs, "Strict-Transport-Security", "max-age=31536000");
}

static void set_cookie(struct ctx *c, const char *name, const char *val, bool clear)
{
    char v[256];
    snprintf(v, sizeof v, "%s=%s; Path=/console; HttpOnly; SameSite=Strict%s%s", name, val,
             c->con->cfg->cert ? "; Secure" : "", clear ? "; Max-Age=0" : "");
    yg__web_header(c->rs, "Set-Cookie", v);
}

void yg__console_redirect(struct ctx *c, const char *location)
{
    c->rs->status = 303;
    yg__web_header(c->rs, "Location", location);
    yg__console_headers(c, "text/plain; charset=utf-8");
}

const char *yg__console_arg(const struct ctx *c, const char *key)
{
    for (size_t i = 0; i < c->rq->nargs; i++)
        if (strcmp(c->rq->args[i].key, key) == 0)
            return c->rq->args[i].val;
    return NULL;
}

void yg__console_csrf_field(struct ctx *c)
{
    yg__h(c, "<input type=\"hidden\" name=\"csrf\" value=\"");
    yg__he(c, c->csrf);
    yg__h(c, "\">");
}

void yg__console_page_start(struct ctx *c, const char *title)
{
    yg__console_headers(c, "text/html; charset=utf-8");
    if (!c->rs->status)
        c->rs->status = 200;
    yg__h(c, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
             "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
             "<title>");
    yg__he(c, title);
    yg__h(c, " - Yagura console</title><link rel=\"icon\" href=\"/console/static/icon.svg\">"
             "<link rel=\"stylesheet\" href=\"/console/static/console.css\">"
             "<script src=\"/console/static/console.js\" defer></script></head><body>"
             "<a class=\"skip\" href=\"#main\">Skip to content</a><header>"
             "<span class=\"brand\">Yagura</span>");
    if (c->user >= 0) {
        const struct yg_taxii_user *u = &c->con->cfg->users[c->user];
        yg__h(c, "<nav aria-label=\"Main\"><a href=\"/console/incidents\">Incidents</a>");
        for (size_t i = 0; i < c->con->npages; i++) {
            yg__hf(c, "<a href=\"/console/%s\">", c->con->pages[i].name);
            yg__he(c, c->con->pages[i].label);
            yg__h(c, "</a>");
        }
        yg__h(c, "</nav><div class=\"who\"><span>");
        yg__he(c, u->name);
        yg__hf(c, " (%s)</span><form method=\"post\" action=\"/console/logout\">",
               c->role == YG_CONSOLE_ANALYST ? "analyst" : "viewer");
        yg__console_csrf_field(c);
        yg__h(c, "<button type=\"submit\">Sign out</button></form></div>");
    }
    yg__h(c, "</header><main id=\"main\" tabindex=\"-1\">");
}

void yg__console_page_end(struct ctx *c)
{
    yg__h(c, "</main></body></html>\n");
}

void yg__console_error_page(struct ctx *c, unsigned status, const char *msg)
{
    yg_buf_reset(&c->rs->body);
    c->rs->nhdr = 0;
    c->rs->status = status;
    yg__console_page_start(c, "Error");
    yg__hf(c, "<h1>%u</h1><p class=\"error\" role=\"alert\">", status);
    yg__he(c, msg);
    yg__h(c, "</p>");
    if (c->user >= 0)
        yg__h(c, "<p><a href=\"/console/incidents\">Back to the incidents</a></p>");
    yg__console_page_end(c);
}

/* ---- login and logout ------------------------------------------------------------- */

/* The transport asks, before handle: a login form with a valid token gives
 * its user name and password as an HTTP Basic credential, checked as a
 * TAXII login is. */
static bool login_cred(void *ud, const struct yg_web_req *rq, char *auth, size_t n)
{
    struct yg_console *con = ud;
    if (strcmp(rq->method, "POST") != 0 || strcmp(rq->path, "/console/login") != 0 ||
        rq->body_too_large)
        return false;
    char pre[SID_LEN + 1], want[SID_LEN + 1];
    if (!yg__cookie_get(rq->cookie, PRE_COOKIE, pre, sizeof pre))
        return false;
    struct yg_arena a;
    yg_arena_init(&a, 4096, 0);
    struct yg_form_field f[YG_FORM_MAX_FIELDS];
    size_t nf;
    bool ok = false;
    if (yg__form_parse(rq->body, rq->body_len, &a, f, &nf)) {
        const char *tok = yg__form_get(f, nf, "csrf"), *user = yg__form_get(f, nf, "user"),
                   *pw = yg__form_get(f, nf, "password");
        login_token(con, pre, want);
        size_t ul = user ? strlen(user) : 0, pl = pw ? strlen(pw) : 0;
        if (tok && same(tok, want) && ul && !strchr(user, ':') && pl && ul + pl < 512) {
            unsigned char raw[600];
            memcpy(raw, user, ul);
            raw[ul] = ':';
            memcpy(raw + ul + 1, pw, pl);
            char b64[820];
            EVP_EncodeBlock((unsigned char *)b64, raw, (int)(ul + pl + 1));
            OPENSSL_cleanse(raw, sizeof raw);
            ok = (size_t)snprintf(auth, n, "Basic %s", b64) < n;
            OPENSSL_cleanse(b64, sizeof b64);
        }
        for (size_t i = 0; i < nf; i++)
            if (strcmp(f[i].key, "password") == 0)
                OPENSSL_cleanse((void *)f[i].val, f[i].vlen);
    }
    yg_arena_free(&a);
    return ok;
}

static void do_login(struct ctx *c)
{
    const struct yg_web_req *rq = c->rq;
    if (strcmp(rq->method, "POST") != 0) {
        yg__console_login_page(c, 200, NULL);
        return;
    }
    if (!rq->login_checked) {
        /* No valid token, or no user name and password. */
        yg__console_login_page(c, 403, "The form had expired or was incomplete: try again.");
        return;
    }
    if (rq->login_status == 429 || rq->login_status == 503) {
        char msg[128];
        char ra[16];
        snprintf(msg, sizeof msg, "Too many attempts: try again in %u s.", rq->login_retry_after);
        snprintf(ra, sizeof ra, "%u", rq->login_retry_after ? rq->login_retry_after : 1);
        yg__web_header(c->rs, "Retry-After", ra);
        yg__console_login_page(c, rq->login_status, msg);
        return;
    }
    long u = rq->login_user;
    if (u < 0 || (size_t)u >= c->con->cfg->nusers || !c->con->cfg->users[u].console_role) {
        /* The same answer whether the name, the password or the role was
         * wrong. */
        yg__console_login_page(c, 401, "Wrong user name or password, or no console access.");
        return;
    }
    pthread_mutex_lock(&c->con->mu);
    struct session *s = session_new(c->con, u);
    char id[SID_LEN + 1] = "";
    if (s)
        memcpy(id, s->id, sizeof id);
    pthread_mutex_unlock(&c->con->mu);
    if (!s) {
        yg__console_error_page(c, 500, "no random numbers for a session");
        return;
    }
    set_cookie(c, SESSION_COOKIE, id, false);
    set_cookie(c, PRE_COOKIE, "", true);
    OPENSSL_cleanse(id, sizeof id);
    yg__console_redirect(c, "/console/incidents");
}

void yg__console_login_page(struct ctx *c, unsigned status, const char *msg)
{
    char pre[SID_LEN + 1], tok[SID_LEN + 1];
    if (!random_token(pre)) {
        yg__console_error_page(c, 500, "no random numbers for a login form");
        return;
    }
    login_token(c->con, pre, tok);
    set_cookie(c, PRE_COOKIE, pre, false);
    c->rs->status = status;
    c->user = -1;
    yg__console_page_start(c, "Sign in");
    yg__h(c, "<h1>Sign in</h1>");
    if (msg) {
        yg__h(c, "<p class=\"error\" role=\"alert\">");
        yg__he(c, msg);
        yg__h(c, "</p>");
    }
    yg__h(c, "<form class=\"login\" method=\"post\" action=\"/console/login\">"
             "<input type=\"hidden\" name=\"csrf\" value=\"");
    yg__he(c, tok);
    yg__h(c, "\"><p><label for=\"user\">User name</label>"
             "<input id=\"user\" name=\"user\" autocomplete=\"username\" required autofocus>"
             "</p><p><label for=\"password\">Password</label>"
             "<input id=\"password\" name=\"password\" type=\"password\""
             " autocomplete=\"current-password\" required></p>"
             "<p><button type=\"submit\">Sign in</button></p></form>");
    yg__console_page_end(c);
}

/* ---- triage ------------------------------------------------------------------------ */

static void do_triage(struct ctx *c, const char *id, const char *action, struct yg_form_field *f,
                      size_t nf)
{
    static const char *const names[] = {"acknowledge", "assign", "comment", "close"};
    static const char *const fields[] = {NULL, "assignee", "comment", "reason"};
    int a = -1;
    for (int i = 0; i < 4; i++)
        if (strcmp(action, names[i]) == 0)
            a = i;
    if (a < 0) {
        yg__console_error_page(c, 404, "no such action");
        return;
    }
    if (c->role != YG_CONSOLE_ANALYST) {
        yg__console_error_page(c, 403, "triage needs the analyst role");
        return;
    }
    const char *detail = fields[a] ? yg__form_get(f, nf, fields[a]) : "";
    if (!detail || (fields[a] && !*detail)) {
        yg__console_error_page(c, 400, "the form misses its text");
        return;
    }
    if (strlen(detail) > YG_TRIAGE_MAX_DETAIL ||
        !yg__form_text_ok(detail, strlen(detail), a == YG_TRIAGE_COMMENT)) {
        yg__console_error_page(c, 400,
                               a == YG_TRIAGE_COMMENT ? "a comment is at most 4096 bytes of text"
                                                      : "at most 4096 bytes of text on one line");
        return;
    }
    pthread_mutex_lock(&c->con->mu);
    yg_err e = yg__incident_triage(c->con->st, id, c->con->cfg->users[c->user].name,
                                   (enum yg_triage_action)a, detail);
    pthread_mutex_unlock(&c->con->mu);
    if (e == YG_ENOTFOUND) {
        yg__console_error_page(c, 404, "no such incident");
        return;
    }
    if (e == YG_ESTATE) {
        yg__console_error_page(c, 409,
                               "this action does not apply to the incident as it is now "
                               "(closed, or already acknowledged)");
        return;
    }
    if (e) {
        yg__console_error_page(c, 500, yg_strerror(e));
        return;
    }
    char loc[128];
    snprintf(loc, sizeof loc, "/console/incidents/%s#audit", id);
    yg__console_redirect(c, loc);
}

/* An incident id as the console accepts it in a path. */
static bool id_ok(const char *s, size_t n)
{
    if (n < 4 || n > 39)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
            return false;
    return true;
}

/* ---- pages plugged in (yg__console_add_page) ------------------------------------- */

/* Serve c->sub when it is a plugged-in page's; false when it is none. */
static bool plugin(struct ctx *c)
{
    for (size_t i = 0; i < c->con->npages; i++) {
        const struct page_reg *pg = &c->con->pages[i];
        size_t n = strlen(pg->name);
        if (c->sub[0] != '/' || strncmp(c->sub + 1, pg->name, n) != 0 ||
            (c->sub[1 + n] && c->sub[1 + n] != '/'))
            continue;
        struct yg_buf html;
        yg_buf_init(&html, 64u << 20);
        struct yg_console_page p = {.rq = c->rq,
                                    .sub = c->sub + 1 + n,
                                    .user = c->con->cfg->users[c->user].name,
                                    .role = c->role,
                                    .csrf = c->csrf,
                                    .html = &html};
        snprintf(p.title, sizeof p.title, "%s", pg->label);
        pg->fn(pg->ud, &p);
        c->rs->status = p.status ? p.status : 200;
        if (p.type && c->rs->status == 200) {
            char disp[192];
            snprintf(disp, sizeof disp, "attachment; filename=\"%s\"", p.filename);
            yg__console_headers(c, p.type);
            yg__web_header(c->rs, "Content-Disposition", disp);
            yg__hn(c, html.p, html.n);
        } else {
            yg__console_page_start(c, p.title);
            yg__hn(c, html.p, html.n);
            yg__console_page_end(c);
        }
        yg_buf_free(&html);
        return true;
    }
    return false;
}

yg_err yg__console_add_page(struct yg_console *con, const char *name, const char *label,
                            yg_console_page_fn fn, void *ud)
{
    size_t n = strlen(name);
    if (con->npages == sizeof con->pages / sizeof con->pages[0] || !n ||
        n >= sizeof con->pages[0].name || strlen(label) >= sizeof con->pages[0].label || !fn)
        return YG_EINVAL;
    for (size_t i = 0; i < n; i++)
        if (name[i] < 'a' || name[i] > 'z')
            return YG_EINVAL;
    if (!strcmp(name, "incidents") || !strcmp(name, "login") || !strcmp(name, "logout") ||
        !strcmp(name, "static"))
        return YG_EINVAL;
    /* A second page of a name would never be served. */
    for (size_t i = 0; i < con->npages; i++)
        if (!strcmp(con->pages[i].name, name))
            return YG_EINVAL;
    struct page_reg *pg = &con->pages[con->npages++];
    snprintf(pg->name, sizeof pg->name, "%s", name);
    snprintf(pg->label, sizeof pg->label, "%s", label);
    pg->fn = fn;
    pg->ud = ud;
    return YG_OK;
}

/* POST: the token, the role and the action. */
static void do_post(struct ctx *c)
{
    const struct yg_web_req *rq = c->rq;
    if (rq->body_too_large) {
        yg__console_error_page(c, 413, "the form is larger than the console accepts (16 KiB)");
        return;
    }
    struct yg_form_field f[YG_FORM_MAX_FIELDS];
    size_t nf = 0;
    const char *tok = NULL;
    bool form =
        rq->content_type && strncmp(rq->content_type, "application/x-www-form-urlencoded", 33) == 0;
    if (form && !yg__form_parse(rq->body, rq->body_len, &c->a, f, &nf)) {
        yg__console_error_page(c, 400,
                               "the form is malformed (a bad escape, a control "
                               "character, text that is not UTF-8, or too many fields)");
        return;
    }
    if (form)
        tok = yg__form_get(f, nf, "csrf");
    /* A request another site made the browser send carries no token; the
     * browser's own word on where it came from is checked too. */
    bool cross = rq->sec_fetch_site && strcmp(rq->sec_fetch_site, "same-origin") != 0 &&
                 strcmp(rq->sec_fetch_site, "none") != 0;
    if (!tok || !same(tok, c->csrf) || cross) {
        yg__console_error_page(c, 403, "missing or wrong CSRF token: reload the page");
        return;
    }
    if (strcmp(c->sub, "/logout") == 0) {
        pthread_mutex_lock(&c->con->mu);
        struct session *s = session_find(c->con, rq);
        if (s)
            memset(s, 0, sizeof *s);
        pthread_mutex_unlock(&c->con->mu);
        set_cookie(c, SESSION_COOKIE, "", true);
        yg__console_redirect(c, "/console/login");
        return;
    }
    const char *p = c->sub;
    if (plugin(c))
        return;
    if (strncmp(p, "/incidents/", 11) == 0) {
        const char *id = p + 11, *slash = strchr(id, '/');
        if (slash && id_ok(id, (size_t)(slash - id)) && !strchr(slash + 1, '/')) {
            char idb[40];
            snprintf(idb, sizeof idb, "%.*s", (int)(slash - id), id);
            do_triage(c, idb, slash + 1, f, nf);
            return;
        }
    }
    yg__console_error_page(c, 404, "no such page");
}

/* ---- routing ------------------------------------------------------------------------- */

static void do_get(struct ctx *c)
{
    const char *p = c->sub;
    if (!*p || strcmp(p, "/") == 0) {
        yg__console_redirect(c, "/console/incidents");
        return;
    }
    if (strcmp(p, "/incidents") == 0 || strcmp(p, "/incidents/") == 0) {
        yg__console_list(c);
        return;
    }
    if (plugin(c))
        return;
    if (strncmp(p, "/incidents/", 11) == 0) {
        const char *id = p + 11, *slash = strchr(id, '/');
        size_t n = slash ? (size_t)(slash - id) : strlen(id);
        char idb[40];
        if (id_ok(id, n)) {
            snprintf(idb, sizeof idb, "%.*s", (int)n, id);
            if (!slash) {
                yg__console_incident(c, idb);
                return;
            }
            if (strcmp(slash, "/stix") == 0) {
                yg__console_stix(c, idb);
                return;
            }
        }
    }
    yg__console_error_page(c, 404, "no such page");
}

static void handle(void *ud, const struct yg_web_req *rq, struct yg_web_resp *rs)
{
    struct yg_console *con = ud;
    struct ctx c = {
        .con = con, .rq = rq, .rs = rs, .sub = rq->path + strlen(con->app.prefix), .user = -1};
    yg_arena_init(&c.a, 4096, 0);
    bool get = strcmp(rq->method, "GET") == 0 || strcmp(rq->method, "HEAD") == 0;
    bool post = strcmp(rq->method, "POST") == 0;
    const char *type, *body;
    size_t n;
    if (!get && !post) {
        yg__console_error_page(&c, 405, "method not allowed");
        yg__web_header(rs, "Allow", "GET, HEAD, POST");
    } else if (strncmp(c.sub, "/static/", 8) == 0) {
        if (get && yg__console_asset(c.sub + 8, &type, &body, &n)) {
            rs->status = 200;
            yg__console_headers(&c, type);
            yg__hn(&c, body, n);
        } else {
            yg__console_error_page(&c, 404, "no such file");
        }
    } else if (strcmp(c.sub, "/login") == 0) {
        do_login(&c);
    } else {
        pthread_mutex_lock(&con->mu);
        struct session *s = session_find(con, rq);
        if (s) {
            c.user = s->user;
            c.role = con->cfg->users[s->user].console_role;
            memcpy(c.csrf, s->csrf, sizeof c.csrf);
        }
        pthread_mutex_unlock(&con->mu);
        if (c.user < 0 && get)
            yg__console_redirect(&c, "/console/login");
        else if (c.user < 0)
            yg__console_error_page(&c, 403, "not signed in, or the session expired");
        else if (get)
            do_get(&c);
        else
            do_post(&c);
    }
    if (c.oom) {
        /* A page cut short is not sent. */
        yg_buf_reset(&rs->body);
        rs->nhdr = 0;
        rs->status = 500;
        yg__web_header(rs, "Content-Type", "text/plain; charset=utf-8");
    }
    OPENSSL_cleanse(c.csrf, sizeof c.csrf);
    yg_arena_free(&c.a);
}

/* ---- the console ------------------------------------------------------------------------ */

yg_err yg__console_new(const struct yg_taxii_cfg *cfg, const char *state_db,
                       struct yg_console **out)
{
    struct yg_console *con = yg_calloc(1, sizeof *con);
    *out = con;
    if (!con)
        return YG_ENOMEM;
    con->cfg = cfg;
    pthread_mutex_init(&con->mu, NULL);
    con->app = (struct yg_web_app){"/console", YG_CONSOLE_MAX_BODY, con, login_cred, handle};
    con->sess = yg_calloc(YG_CONSOLE_MAX_SESSIONS, sizeof *con->sess);
    if (!con->sess) {
        snprintf(con->why, sizeof con->why, "out of memory");
        return YG_ENOMEM;
    }
    if (RAND_bytes(con->secret, sizeof con->secret) != 1) {
        snprintf(con->why, sizeof con->why, "console: no random numbers (OpenSSL RAND_bytes)");
        return YG_EIO;
    }
    if (!state_db) {
        snprintf(con->why, sizeof con->why,
                 "taxii.console: the console shows the incidents of the state database: "
                 "the configuration needs state");
        return YG_EINVAL;
    }
    if (!(con->state_db = yg_strndup(state_db, strlen(state_db)))) {
        snprintf(con->why, sizeof con->why, "out of memory");
        return YG_ENOMEM;
    }
    yg_err e = yg__store_open(state_db, &con->st);
    if (e) {
        snprintf(con->why, sizeof con->why, "console: %s", yg__store_errmsg(con->st));
        return e;
    }
    if (cfg->console_orgs && yg__orgs_load(cfg->console_orgs, &con->orgs)) {
        snprintf(con->why, sizeof con->why, "taxii.console.organisations: %s",
                 yg__orgs_errmsg(con->orgs));
        yg__orgs_free(con->orgs);
        con->orgs = NULL;
        return YG_EINVAL;
    }
    return yg__console_campaigns_new(con);
}

yg_err yg__console_check(const struct yg_taxii_cfg *cfg, const char *state_db,
                         struct yg_errmsg *why)
{
    if (!cfg->console)
        return YG_OK;
    if (!state_db) {
        yg__errmsg_set(why, "taxii.console: the console shows the incidents of the state database: "
                            "the configuration needs state");
        return YG_EINVAL;
    }
    if (cfg->console_orgs) {
        struct yg_orgs *o = NULL;
        bool bad = yg__orgs_load(cfg->console_orgs, &o) != YG_OK;
        if (bad)
            yg__errmsg_set(why, "taxii.console.organisations: %s", yg__orgs_errmsg(o));
        yg__orgs_free(o);
        if (bad)
            return YG_EINVAL;
    }
    return yg__console_campaigns_check(cfg, why);
}

const char *yg__console_errmsg(const struct yg_console *con)
{
    return con ? con->why : "out of memory";
}

const struct yg_web_app *yg__console_app(struct yg_console *con)
{
    return &con->app;
}

void yg__console_free(struct yg_console *con)
{
    if (!con)
        return;
    yg__console_campaigns_free(con->cmp);
    yg__store_close(con->st);
    yg_free(con->state_db);
    yg__orgs_free(con->orgs);
    if (con->sess)
        OPENSSL_cleanse(con->sess, YG_CONSOLE_MAX_SESSIONS * sizeof *con->sess);
    yg_free(con->sess);
    OPENSSL_cleanse(con->secret, sizeof con->secret);
    pthread_mutex_destroy(&con->mu);
    yg_free(con);
}
