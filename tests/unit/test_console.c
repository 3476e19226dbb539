/*
 * test_console.c - the console's parsers and escaping (src/console/form.c,
 * yg__html_esc), the organisation inventory (orgs.c), and triage with its
 * audit trail in the state database (src/incident/triage.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include <sqlite3.h>

#include "console/console.h"
#include "console/form.h"
#include "console/orgs.h"
#include "incident/incident.h"
#include "store/store.h"
#include "tap.h"

static bool parse(const char *body, struct yg_arena *a, struct yg_form_field *f, size_t *nf)
{
    return yg__form_parse(body, strlen(body), a, f, nf);
}

static void test_form(void)
{
    struct yg_arena a;
    yg_arena_init(&a, 4096, 0);
    struct yg_form_field f[YG_FORM_MAX_FIELDS];
    size_t nf;
    CHECK(parse("csrf=abc&comment=a+b%20c%0D%0Ad&&empty=&flag", &a, f, &nf) && nf == 4);
    CHECK(strcmp(yg__form_get(f, nf, "comment"), "a b c\r\nd") == 0);
    CHECK(strcmp(yg__form_get(f, nf, "empty"), "") == 0 &&
          strcmp(yg__form_get(f, nf, "flag"), "") == 0);
    CHECK(yg__form_get(f, nf, "nope") == NULL);
    CHECK(parse("name=%E2%9C%93", &a, f, &nf) && strcmp(f[0].val, "\xe2\x9c\x93") == 0);
    /* Refused: bad or cut escapes, a NUL or another control byte, bad UTF-8. */
    static const char *const bad[] = {"a=%zz",  "a=%4",     "a=%",         "a=%00", "a=%01",
                                      "a=\x01", "a=%C3%28", "a=%ED%A0%80", "%00=x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_MSG(!parse(bad[i], &a, f, &nf), "%s", bad[i]);
    char many[400] = "";
    for (int i = 0; i <= YG_FORM_MAX_FIELDS; i++)
        strcat(many, "a=1&");
    CHECK(!parse(many, &a, f, &nf));
    many[strlen(many) - 4] = 0; /* exactly the limit */
    CHECK(parse(many, &a, f, &nf) && nf == YG_FORM_MAX_FIELDS);
    yg_arena_free(&a);

    char v[64];
    CHECK(yg__cookie_get("a=1; yg_session=abc_-9; b=2", "yg_session", v, sizeof v) &&
          strcmp(v, "abc_-9") == 0);
    CHECK(yg__cookie_get("yg_session=x", "yg_session", v, sizeof v) && strcmp(v, "x") == 0);
    CHECK(!yg__cookie_get("xyg_session=abc", "yg_session", v, sizeof v));
    CHECK(!yg__cookie_get("yg_sessionx=abc", "yg_session", v, sizeof v));
    CHECK(!yg__cookie_get("yg_session=", "yg_session", v, sizeof v));
    CHECK(!yg__cookie_get("yg_session=a b", "yg_session", v, sizeof v));
    CHECK(!yg__cookie_get("yg_session=abcdefgh", "yg_session", v, 8)); /* too long */
    CHECK(!yg__cookie_get(NULL, "yg_session", v, sizeof v));
}

static void test_escape(void)
{
    struct yg_buf b;
    yg_buf_init(&b, 1u << 20);
    const char *in = "<script>alert(\"x\" & 'y')</script>\x01\t";
    CHECK(yg__html_esc(&b, in, strlen(in)) == YG_OK);
    CHECK(yg_buf_addc(&b, 0) == YG_OK);
    CHECK_MSG(strcmp(b.p, "&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;"
                          "\\x01\t") == 0,
              "%s", b.p);
    yg_buf_free(&b);
}

static void test_orgs(void)
{
    char path[] = "/tmp/yg-orgs-XXXXXX";
    int fd = mkstemp(path);
    const char *yml = "organisations:\n"
                      "  - name: ACME\n    sector: manufacturing\n    domains: [ACME.example]\n"
                      "    addresses: [203.0.113.0/24, '2001:db8:1::/48']\n"
                      "  - name: Beta\n    domains: [beta.example]\n";
    CHECK(fd >= 0 && write(fd, yml, strlen(yml)) == (ssize_t)strlen(yml));
    close(fd);
    struct yg_orgs *o = NULL;
    CHECK_MSG(yg__orgs_load(path, &o) == YG_OK && yg__orgs_count(o) == 2, "%s", yg__orgs_errmsg(o));
    CHECK(yg__orgs_match(o, 0, "account", "alice@acme.example"));
    CHECK(yg__orgs_match(o, 0, "account", "bob@mail.acme.example"));
    CHECK(!yg__orgs_match(o, 0, "account", "eve@notacme.example"));
    CHECK(!yg__orgs_match(o, 0, "account", "acme.example")); /* an account needs its @ */
    CHECK(yg__orgs_match(o, 0, "host", "ws1.acme.example"));
    CHECK(yg__orgs_match(o, 0, "address", "203.0.113.66"));
    CHECK(!yg__orgs_match(o, 0, "address", "203.0.114.1"));
    CHECK(yg__orgs_match(o, 0, "address", "2001:db8:1:2::5"));
    CHECK(yg__orgs_match(o, 1, "host", "beta.example") && !yg__orgs_match(o, 1, "host", "ws1"));
    yg__orgs_free(o);
    fd = open(path, O_WRONLY | O_TRUNC);
    const char *badyml = "organisations:\n  - name: X\n    addresses: [300.1.1.1/8]\n";
    CHECK(fd >= 0 && write(fd, badyml, strlen(badyml)) == (ssize_t)strlen(badyml));
    close(fd);
    /* The failed load keeps the handle, holding the whole message. */
    CHECK(yg__orgs_load(path, &o) == YG_EINVAL && o);
    char want[600];
    snprintf(want, sizeof want,
             "%s: line 3, column 17: expected an address or a range (192.0.2.0/24)", path);
    CHECK_MSG(strcmp(yg__orgs_errmsg(o), want) == 0, "%s", yg__orgs_errmsg(o));
    yg__orgs_free(o);
    unlink(path);
    o = NULL;
    CHECK(yg__orgs_load(path, &o) == YG_EIO && o);
    snprintf(want, sizeof want, "%s: cannot read it", path);
    CHECK_MSG(strcmp(yg__orgs_errmsg(o), want) == 0, "%s", yg__orgs_errmsg(o));
    yg__orgs_free(o);
    CHECK(strcmp(yg__orgs_errmsg(NULL), "out of memory") == 0);
}

static int64_t count(struct yg_store *st, const char *sql)
{
    sqlite3_stmt *s;
    int64_t n = -1;
    if (sqlite3_prepare_v2(yg__store_sqlite(st), sql, -1, &s, NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW)
        n = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return n;
}

struct trail {
    char text[16384];
    size_t n;
};

static void on_audit(void *ud, const struct yg_incident_audit *a)
{
    struct trail *t = ud;
    size_t k = strlen(t->text);
    snprintf(t->text + k, sizeof t->text - k, "%s:%s:%s;", a->who, a->action, a->detail);
    t->n++;
}

static bool on_row(void *ud, const struct yg_incident_row *r)
{
    (void)r;
    ++*(size_t *)ud;
    return true;
}

static void test_triage(void)
{
    char dbp[] = "/tmp/yg-triage-XXXXXX";
    int fd = mkstemp(dbp);
    close(fd);
    struct yg_store *st = NULL;
    CHECK(yg__store_open(dbp, &st) == YG_OK);
    CHECK(sqlite3_exec(yg__store_sqlite(st),
                       "INSERT INTO incidents(id, title, level, level_num, status, first_ms,"
                       " last_ms, alert_count, main_entity, created_at, updated_at) VALUES"
                       " ('inc-1', 't', 'high', 4, 'open', 1, 2, 1, 'account:a', 1, 1),"
                       " ('inc-2', 'u', 'low', 2, 'merged', 1, 2, 1, 'account:b', 1, 1)",
                       NULL, NULL, NULL) == SQLITE_OK);
    CHECK(yg__incident_triage(st, "inc-1", "ana", YG_TRIAGE_ACK, "ignored") == YG_OK);
    CHECK(yg__incident_triage(st, "inc-1", "ana", YG_TRIAGE_ACK, NULL) == YG_ESTATE);
    CHECK(yg__incident_triage(st, "inc-1", "ana", YG_TRIAGE_ASSIGN, "") == YG_EINVAL);
    CHECK(yg__incident_triage(st, "inc-1", "ana", YG_TRIAGE_ASSIGN, "bob") == YG_OK);
    char big[YG_TRIAGE_MAX_DETAIL + 2];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    CHECK(yg__incident_triage(st, "inc-1", "ana", YG_TRIAGE_COMMENT, big) == YG_EINVAL);
    big[YG_TRIAGE_MAX_DETAIL] = 0; /* exactly the limit */
    CHECK(yg__incident_triage(st, "inc-1", "ana", YG_TRIAGE_COMMENT, big) == YG_OK);
    CHECK(yg__incident_triage(st, "inc-1", "ana", YG_TRIAGE_CLOSE, "done") == YG_OK);
    CHECK(yg__incident_triage(st, "inc-1", "ana", YG_TRIAGE_CLOSE, "again") == YG_ESTATE);
    CHECK(yg__incident_triage(st, "inc-1", "vic", YG_TRIAGE_COMMENT, "after") == YG_OK);
    CHECK(yg__incident_triage(st, "inc-2", "ana", YG_TRIAGE_COMMENT, "x") == YG_ESTATE);
    CHECK(yg__incident_triage(st, "inc-9", "ana", YG_TRIAGE_COMMENT, "x") == YG_ENOTFOUND);
    CHECK(yg__incident_close(st, "inc-9", "x", "cli") == YG_ENOTFOUND);
    CHECK(count(st, "SELECT count(*) FROM incident_audit") == 5);
    CHECK(count(st, "SELECT count(*) FROM incidents WHERE id = 'inc-1' AND status = 'closed'"
                    " AND close_reason = 'done' AND closed_by = 'ana' AND assignee = 'bob'"
                    " AND acked_by = 'ana' AND acked_at > 0") == 1);
    struct trail t = {"", 0};
    CHECK(yg__incident_audit(st, "inc-1", on_audit, &t) == YG_OK && t.n == 5);
    CHECK_MSG(strncmp(t.text, "ana:acknowledge:;ana:assign:bob;ana:comment:xxx", 47) == 0 &&
                  strstr(t.text, ";ana:close:done;vic:comment:after;"),
              "%.200s", t.text);
    /* The list's filters: the closed incident is found as closed, not as new; a merged one
     * never. */
    struct yg_incident_filter f = {.status = YG_INCF_CLOSED, .min_level = 4};
    size_t n = 0;
    CHECK(yg__incident_query(st, &f, on_row, &n) == YG_OK && n == 1);
    f.status = YG_INCF_NEW | YG_INCF_ACKED;
    n = 0;
    CHECK(yg__incident_query(st, &f, on_row, &n) == YG_OK && n == 0);
    f = (struct yg_incident_filter){.status = 7, .min_level = 5};
    n = 0;
    CHECK(yg__incident_query(st, &f, on_row, &n) == YG_OK && n == 0);
    yg__store_close(st);
    unlink(dbp);
}

/* ---- the plug-in point of other pages (campaigns) ------------------------------------- */

static void campaigns_page(void *ud, struct yg_console_page *p)
{
    ++*(int *)ud;
    snprintf(p->title, sizeof p->title, "Reports");
    if (!strcmp(p->sub, "/dl")) {
        /* A download: sent as it is, outside the frame. */
        p->type = "application/json";
        snprintf(p->filename, sizeof p->filename, "r.json");
        CHECK(yg_buf_addf(p->html, "{\"a\":1}") == YG_OK);
        return;
    }
    CHECK(yg_buf_addf(p->html, "<h1>%s</h1><p>sub=[%s] role=%d</p>", p->user, p->sub, p->role) ==
          YG_OK);
}

static const char *header(const struct yg_web_resp *rs, const char *name)
{
    for (size_t i = 0; i < rs->nhdr; i++)
        if (strcmp(rs->hdr[i].name, name) == 0)
            return rs->hdr[i].value;
    return NULL;
}

static void serve(struct yg_console *con, struct yg_web_req *rq, struct yg_web_resp *rs)
{
    memset(rs, 0, sizeof *rs);
    yg_buf_init(&rs->body, 1u << 24);
    const struct yg_web_app *app = yg__console_app(con);
    if (!rq->path)
        rq->path = "/console/";
    app->handle(app->ud, rq, rs);
    CHECK(yg_buf_addc(&rs->body, 0) == YG_OK);
}

static void test_plugin(void)
{
    char dbp[] = "/tmp/yg-console-XXXXXX";
    int fd = mkstemp(dbp);
    close(fd);
    struct yg_taxii_user u = {.name = "ana", .password_hash = "x", .console_role = 2};
    struct yg_taxii_cfg cfg = {.users = &u,
                               .nusers = 1,
                               .console = true,
                               .console_idle_ms = 60000,
                               .console_max_ms = 60000};
    struct yg_console *con = NULL;
    CHECK(yg__console_new(&cfg, dbp, &con) == YG_OK);
    int calls = 0;
    CHECK(yg__console_add_page(con, "incidents", "X", campaigns_page, &calls) == YG_EINVAL);
    CHECK(yg__console_add_page(con, "Campaigns", "X", campaigns_page, &calls) == YG_EINVAL);
    /* The console's own campaign pages hold that name. */
    CHECK(yg__console_add_page(con, "campaigns", "X", campaigns_page, &calls) == YG_EINVAL);
    CHECK(yg__console_add_page(con, "reports", "Reports", campaigns_page, &calls) == YG_OK);
    struct yg_web_resp rs;
    struct yg_web_req rq = {.method = "GET", .path = "/console/reports", .login_user = -1};
    serve(con, &rq, &rs);
    CHECK(rs.status == 303 && calls == 0 && strcmp(header(&rs, "Location"), "/console/login") == 0);
    yg_buf_free(&rs.body);
    /* A sign-in the transport verified (user 0): a session cookie. */
    rq = (struct yg_web_req){
        .method = "POST", .path = "/console/login", .login_checked = true, .login_user = 0};
    serve(con, &rq, &rs);
    const char *set = header(&rs, "Set-Cookie");
    char cookie[128] = "";
    CHECK(rs.status == 303 && set && strncmp(set, "yg_session=", 11) == 0);
    if (set)
        snprintf(cookie, sizeof cookie, "%.54s", set);
    yg_buf_free(&rs.body);
    rq = (struct yg_web_req){
        .method = "GET", .path = "/console/reports/c-1", .cookie = cookie, .login_user = -1};
    serve(con, &rq, &rs);
    CHECK_MSG(rs.status == 200 && calls == 1 && strstr(rs.body.p, "sub=[/c-1] role=2") &&
                  strstr(rs.body.p, "<a href=\"/console/reports\">Reports</a>") &&
                  strstr(rs.body.p, "<a href=\"/console/campaigns\">Campaigns</a>") &&
                  strstr(header(&rs, "Content-Security-Policy"), "default-src 'self'"),
              "%d %.300s", rs.status, rs.body.p ? rs.body.p : "");
    yg_buf_free(&rs.body);
    rq.path = "/console/reports/dl";
    serve(con, &rq, &rs);
    CHECK_MSG(rs.status == 200 && calls == 2 && !strcmp(rs.body.p, "{\"a\":1}") &&
                  !strcmp(header(&rs, "Content-Type"), "application/json") &&
                  !strcmp(header(&rs, "Content-Disposition"), "attachment; filename=\"r.json\"") &&
                  header(&rs, "Content-Security-Policy"),
              "%d %.300s", rs.status, rs.body.p ? rs.body.p : "");
    yg_buf_free(&rs.body);
    /* The campaign pages over this database, which holds no incident. */
    rq.path = "/console/campaigns";
    serve(con, &rq, &rs);
    CHECK_MSG(rs.status == 200 && strstr(rs.body.p, "0 campaigns from 0 incidents") &&
                  strstr(rs.body.p, "No campaign"),
              "%d %.300s", rs.status, rs.body.p ? rs.body.p : "");
    yg_buf_free(&rs.body);
    rq.path = "/console/campaigns/campaign--00000000";
    serve(con, &rq, &rs);
    CHECK(rs.status == 404);
    yg_buf_free(&rs.body);
    /* Its POSTs pass the CSRF check first: without the token, the page never runs. */
    rq = (struct yg_web_req){.method = "POST",
                             .path = "/console/reports",
                             .cookie = cookie,
                             .content_type = "application/x-www-form-urlencoded",
                             .body = "a=1",
                             .body_len = 3,
                             .login_user = -1};
    serve(con, &rq, &rs);
    CHECK(rs.status == 403 && calls == 2);
    yg_buf_free(&rs.body);
    yg__console_free(con);
    unlink(dbp);
}

int main(void)
{
    test_form();
    test_escape();
    test_orgs();
    test_triage();
    test_plugin();
    TAP_DONE();
}
