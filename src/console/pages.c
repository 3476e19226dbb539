/*
 * pages.c - the console's pages: the list of incidents with its filters,
 * one incident (triage, audit trail, entities, timeline with evidence) and
 * its STIX export.  Every value from the database is HTML-escaped (yg__he)
 * or, in a link, percent-encoded and then escaped.
 */
#include "console/console_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/timeparse.h"
#include "taxii/stix.h"

static const char *const level_names[] = {"any",    "informational", "low",
                                          "medium", "high",          "critical"};

/* Append s percent-encoded for a query value (then HTML-escaped: no byte
 * of it needs escaping). */
static void url_enc(struct ctx *c, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    char out[4];
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
            ch == '-' || ch == '.' || ch == '_' || ch == '~') {
            out[0] = (char)ch;
            out[1] = 0;
        } else {
            out[0] = '%';
            out[1] = hex[ch >> 4];
            out[2] = hex[ch & 15];
            out[3] = 0;
        }
        yg__h(c, out);
    }
}

static void when(struct ctx *c, int64_t ms)
{
    char t[40];
    yg__incident_iso(ms, t, sizeof t);
    yg__h(c, "<time datetime=\"");
    yg__he(c, t);
    yg__h(c, "\">");
    /* "2024-05-01T10:00:00.000Z" shown as "2024-05-01 10:00:00" */
    if (strlen(t) >= 19) {
        t[10] = ' ';
        t[19] = 0;
    }
    yg__he(c, t);
    yg__h(c, "</time>");
}

static void status_text(struct ctx *c, const struct yg_incident_row *r)
{
    const char *st = strcmp(r->status, "open") == 0 && r->acked_by ? "acknowledged" : r->status;
    yg__h(c, "<span class=\"status status-");
    yg__he(c, st);
    yg__h(c, "\">");
    yg__he(c, st);
    yg__h(c, "</span>");
}

static void level_badge(struct ctx *c, const char *level)
{
    yg__h(c, "<span class=\"sev sev-");
    yg__he(c, level);
    yg__h(c, "\">");
    yg__he(c, level);
    yg__h(c, "</span>");
}

/* An entity as a link to the incidents that name it. */
static void entity_link(struct ctx *c, const char *kind, const char *value)
{
    yg__h(c, "<a class=\"pivot\" href=\"/console/incidents?status=all&amp;entity=");
    url_enc(c, kind);
    yg__h(c, "%3A");
    url_enc(c, value);
    yg__h(c, "\"><span class=\"kind\">");
    yg__he(c, kind);
    yg__h(c, "</span> ");
    yg__he(c, value);
    yg__h(c, "</a>");
}

/* ---- the list ----------------------------------------------------------------- */

/* "2024-05-01" or "2024-05-01T10:00" (a date-time input) to epoch ms; an
 * end of range given as a date means the end of that day. */
static bool parse_day(const char *s, bool end, int64_t *ms)
{
    char t[40];
    size_t n = strlen(s);
    if (n == 10)
        snprintf(t, sizeof t, "%sT%s", s, end ? "23:59:59.999Z" : "00:00:00Z");
    else if (n == 16 && s[10] == 'T')
        snprintf(t, sizeof t, "%s:%sZ", s, end ? "59.999" : "00");
    else
        return false;
    return yg__time_parse(t, strlen(t), ms);
}

struct list_state {
    struct ctx *c;
    long org; /* -1: any */
    size_t skip, shown, matched;
};

static bool list_row(void *ud, const struct yg_incident_row *r)
{
    struct list_state *ls = ud;
    struct ctx *c = ls->c;
    if (ls->org >= 0 && !yg__orgs_row(c->con->orgs, (size_t)ls->org, r))
        return true;
    ls->matched++;
    if (ls->matched <= ls->skip)
        return true;
    if (ls->shown == YG_CONSOLE_PAGE_ROWS)
        return false; /* one more matched: there is a next page */
    ls->shown++;
    yg__h(c, "<tr><td>");
    level_badge(c, r->level);
    yg__h(c, "</td><td>");
    status_text(c, r);
    yg__h(c, "</td><td><a href=\"/console/incidents/");
    yg__he(c, r->id);
    yg__h(c, "\">");
    yg__he(c, r->title);
    yg__h(c, "</a><br><span class=\"id\">");
    yg__he(c, r->id);
    yg__h(c, "</span></td><td>");
    for (size_t i = 0; i < r->nents && i < 4; i++) {
        entity_link(c, r->ents[i].kind, r->ents[i].value);
        yg__h(c, " ");
    }
    if (r->nents > 4)
        yg__hf(c, "(+%zu)", r->nents - 4);
    yg__h(c, "</td><td>");
    when(c, r->first_ms);
    yg__h(c, "</td><td>");
    when(c, r->last_ms);
    yg__hf(c, "</td><td class=\"num\">%lld</td><td>", (long long)r->alert_count);
    yg__he(c, r->assignee ? r->assignee : "");
    yg__h(c, "</td></tr>");
    return true;
}

static void select_opt(struct ctx *c, const char *val, const char *label, bool sel)
{
    yg__h(c, "<option value=\"");
    yg__he(c, val);
    yg__h(c, sel ? "\" selected>" : "\">");
    yg__he(c, label);
    yg__h(c, "</option>");
}

static void text_field(struct ctx *c, const char *id, const char *label, const char *type,
                       const char *val, const char *extra)
{
    yg__hf(c, "<p><label for=\"f-%s\">", id);
    yg__he(c, label);
    yg__hf(c, "</label><input id=\"f-%s\" name=\"%s\" type=\"%s\" value=\"", id, id, type);
    yg__he(c, val ? val : "");
    yg__hf(c, "\"%s></p>", extra);
}

static void filter_form(struct ctx *c, const char *sev, const char *status, const char *org)
{
    static const char *const sts[] = {"open", "new", "acknowledged", "closed", "all"};
    yg__h(c, "<form class=\"filters\" method=\"get\" action=\"/console/incidents\" role=\"search\">"
             "<p><label for=\"f-severity\">Severity at least</label>"
             "<select id=\"f-severity\" name=\"severity\">");
    for (int i = 0; i <= 5; i++)
        select_opt(c, level_names[i], level_names[i], sev && strcmp(sev, level_names[i]) == 0);
    yg__h(c, "</select></p><p><label for=\"f-status\">Status</label>"
             "<select id=\"f-status\" name=\"status\">");
    for (int i = 0; i < 5; i++)
        select_opt(c, sts[i], sts[i], strcmp(status, sts[i]) == 0);
    yg__h(c, "</select></p>");
    text_field(c, "entity", "Entity (kind:value or value)", "search", yg__console_arg(c, "entity"),
               " placeholder=\"account:alice\"");
    yg__h(c, "<p><label for=\"f-org\">Organisation</label><select id=\"f-org\" name=\"org\">");
    select_opt(c, "", "any", !org || !*org);
    for (size_t i = 0; i < yg__orgs_count(c->con->orgs); i++) {
        const char *nm = yg__orgs_name(c->con->orgs, i);
        select_opt(c, nm, nm, org && strcmp(org, nm) == 0);
    }
    yg__h(c, "</select></p>");
    text_field(c, "q", "Title contains", "search", yg__console_arg(c, "q"), "");
    text_field(c, "from", "Active from", "date", yg__console_arg(c, "from"), "");
    text_field(c, "to", "Active until", "date", yg__console_arg(c, "to"), "");
    yg__h(c, "<p class=\"go\"><button type=\"submit\">Filter</button> "
             "<a href=\"/console/incidents\">Reset</a></p></form>");
}

/* The filter of the request's arguments; false with msg when one is bad. */
static bool read_filter(struct ctx *c, struct yg_incident_filter *f, long *org, char *kind,
                        char *value, size_t vn, const char **msg)
{
    memset(f, 0, sizeof *f);
    const char *sev = yg__console_arg(c, "severity"), *st = yg__console_arg(c, "status");
    for (int i = 1; sev && i <= 5; i++)
        if (strcmp(sev, level_names[i]) == 0)
            f->min_level = i;
    static const char *const sts[] = {"new", "acknowledged", "closed", "open", "all"};
    static const unsigned bits[] = {YG_INCF_NEW, YG_INCF_ACKED, YG_INCF_CLOSED,
                                    YG_INCF_NEW | YG_INCF_ACKED, 7};
    f->status = YG_INCF_NEW | YG_INCF_ACKED;
    for (int i = 0; st && i < 5; i++)
        if (strcmp(st, sts[i]) == 0)
            f->status = bits[i];
    const char *ent = yg__console_arg(c, "entity");
    if (ent && *ent) {
        const char *colon = strchr(ent, ':');
        static const char *const kinds[] = {"account", "host", "address", "observer"};
        kind[0] = 0;
        for (int i = 0; colon && i < 4; i++)
            if ((size_t)(colon - ent) == strlen(kinds[i]) &&
                !strncmp(ent, kinds[i], strlen(kinds[i])))
                snprintf(kind, 16, "%s", kinds[i]);
        snprintf(value, vn, "%s", kind[0] ? colon + 1 : ent);
        for (char *p = value; *p; p++)
            if (*p >= 'A' && *p <= 'Z')
                *p = (char)(*p - 'A' + 'a');
        f->entity_kind = kind[0] ? kind : NULL;
        f->entity_value = value;
    }
    f->text = yg__console_arg(c, "q");
    const char *from = yg__console_arg(c, "from"), *to = yg__console_arg(c, "to");
    if ((from && *from && !parse_day(from, false, &f->from_ms)) ||
        (to && *to && !parse_day(to, true, &f->to_ms))) {
        *msg = "Active from and until: expected a date (2024-05-01) or a date and time "
               "(2024-05-01T10:00).";
        return false;
    }
    const char *o = yg__console_arg(c, "org");
    *org = -1;
    for (size_t i = 0; o && *o && i < yg__orgs_count(c->con->orgs); i++)
        if (strcmp(o, yg__orgs_name(c->con->orgs, i)) == 0)
            *org = (long)i;
    if (o && *o && *org < 0) {
        *msg = "Organisation: not one of the inventory.";
        return false;
    }
    return true;
}

/* The link to the next page: the same arguments, page+1. */
static void next_link(struct ctx *c, size_t page)
{
    yg__h(c, "<p class=\"pager\"><a rel=\"next\" href=\"/console/incidents?");
    for (size_t i = 0; i < c->rq->nargs; i++) {
        if (strcmp(c->rq->args[i].key, "page") == 0)
            continue;
        url_enc(c, c->rq->args[i].key);
        yg__h(c, "=");
        url_enc(c, c->rq->args[i].val);
        yg__h(c, "&amp;");
    }
    yg__hf(c, "page=%zu\">Next page</a></p>", page + 1);
}

void yg__console_list(struct ctx *c)
{
    struct yg_incident_filter f;
    long org = -1;
    char kind[16], value[512];
    const char *msg = NULL;
    bool ok = read_filter(c, &f, &org, kind, value, sizeof value, &msg);
    const char *pg = yg__console_arg(c, "page");
    size_t page = pg ? strtoul(pg, NULL, 10) : 1;
    if (page < 1 || page > 100000)
        page = 1;
    const char *st = yg__console_arg(c, "status");
    if (!ok)
        c->rs->status = 400;
    yg__console_page_start(c, "Incidents");
    yg__h(c, "<h1>Incidents</h1>");
    filter_form(c, yg__console_arg(c, "severity"), st ? st : "open", yg__console_arg(c, "org"));
    if (!ok) {
        yg__h(c, "<p class=\"error\" role=\"alert\">");
        yg__he(c, msg);
        yg__h(c, "</p>");
        yg__console_page_end(c);
        return;
    }
    yg__h(c, "<table class=\"incidents\"><caption>Incidents, most recent activity first"
             "</caption><thead><tr><th scope=\"col\">Severity</th><th scope=\"col\">Status</th>"
             "<th scope=\"col\">Incident</th><th scope=\"col\">Entities</th>"
             "<th scope=\"col\">First seen (UTC)</th><th scope=\"col\">Last seen (UTC)</th>"
             "<th scope=\"col\">Alerts</th><th scope=\"col\">Assignee</th></tr></thead><tbody>");
    struct list_state ls = {c, org, (page - 1) * YG_CONSOLE_PAGE_ROWS, 0, 0};
    pthread_mutex_lock(&c->con->mu);
    yg_err e = yg__incident_query(c->con->st, &f, list_row, &ls);
    pthread_mutex_unlock(&c->con->mu);
    yg__h(c, "</tbody></table>");
    if (e) {
        yg__h(c, "<p class=\"error\" role=\"alert\">Reading the incidents failed: ");
        yg__he(c, yg_strerror(e));
        yg__h(c, "</p>");
    } else if (!ls.shown) {
        yg__h(c, "<p class=\"empty\">No incident matches these filters.</p>");
    }
    if (ls.matched > ls.skip + ls.shown)
        next_link(c, page);
    yg__console_page_end(c);
}

/* ---- one incident ---------------------------------------------------------------- */

/* Steps shown on the page (the export and `yagura incidents show` have all). */
#define MAX_STEPS 2000

struct inc_state {
    struct ctx *c;
    bool found, open, acked;
    struct yg_buf steps; /* the timeline, rendered apart and appended last */
    size_t nsteps;
};

static void dl_item(struct ctx *c, const char *term, const char *val)
{
    yg__h(c, "<dt>");
    yg__he(c, term);
    yg__h(c, "</dt><dd>");
    yg__he(c, val);
    yg__h(c, "</dd>");
}

static void inc_head(void *ud, const struct yg_incident_row *r)
{
    struct inc_state *is = ud;
    struct ctx *c = is->c;
    is->found = true;
    is->open = strcmp(r->status, "open") == 0;
    is->acked = r->acked_by != NULL;
    yg__console_page_start(c, r->title);
    yg__h(c, "<p class=\"crumbs\"><a href=\"/console/incidents\">Incidents</a></p><h1>");
    yg__he(c, r->title);
    yg__h(c, "</h1><dl class=\"facts\"><dt>Id</dt><dd class=\"id\">");
    yg__he(c, r->id);
    yg__h(c, "</dd><dt>Severity</dt><dd>");
    level_badge(c, r->level);
    yg__h(c, "</dd><dt>Status</dt><dd>");
    status_text(c, r);
    yg__h(c, "</dd><dt>First seen (UTC)</dt><dd>");
    when(c, r->first_ms);
    yg__h(c, "</dd><dt>Last seen (UTC)</dt><dd>");
    when(c, r->last_ms);
    yg__hf(c, "</dd><dt>Alerts</dt><dd>%lld</dd>", (long long)r->alert_count);
    if (r->assignee)
        dl_item(c, "Assignee", r->assignee);
    if (r->acked_by)
        dl_item(c, "Acknowledged by", r->acked_by);
    if (r->close_reason) {
        dl_item(c, "Closed by", r->closed_by ? r->closed_by : "");
        dl_item(c, "Reason", r->close_reason);
    }
    yg__h(c, "</dl><p><a class=\"button\" href=\"/console/incidents/");
    yg__he(c, r->id);
    yg__h(c, "/stix\" download>Export as STIX 2.1</a></p>"
             "<h2 id=\"entities\">Entities</h2><ul class=\"entities\">");
    for (size_t i = 0; i < r->nents; i++) {
        yg__h(c, "<li>");
        entity_link(c, r->ents[i].kind, r->ents[i].value);
        yg__hf(c, " <span class=\"count\">(%lld alert%s)</span></li>", (long long)r->ents[i].alerts,
               r->ents[i].alerts == 1 ? "" : "s");
    }
    yg__h(c, "</ul>");
}

static void inc_step(void *ud, const struct yg_incident_step *s)
{
    struct inc_state *is = ud;
    struct ctx *c = is->c;
    if (++is->nsteps > MAX_STEPS)
        return;
    /* Rendered into the steps buffer: the head is written first. */
    struct yg_buf keep = c->rs->body;
    c->rs->body = is->steps;
    yg__h(c, "<li class=\"step\"><p>");
    when(c, s->t_ms);
    yg__h(c, " ");
    level_badge(c, s->level);
    yg__h(c, " <span class=\"kind\">");
    yg__he(c, s->kind);
    yg__h(c, "</span> <strong>");
    yg__he(c, s->rule_title);
    yg__h(c, "</strong>");
    if (*s->source) {
        yg__h(c, " <span class=\"source\">");
        yg__he(c, s->source);
        yg__h(c, "</span>");
    }
    yg__h(c, "</p><p class=\"step-entities\">");
    for (size_t i = 0; i < s->nents; i++) {
        entity_link(c, s->ents[i].kind, s->ents[i].value);
        yg__h(c, " ");
    }
    yg__h(c, "</p><details><summary>Evidence (the alert and its raw event)</summary><pre>");
    yg__he(c, s->json);
    yg__h(c, "</pre></details></li>");
    is->steps = c->rs->body;
    c->rs->body = keep;
}

static void audit_row(void *ud, const struct yg_incident_audit *a)
{
    struct ctx *c = ud;
    yg__h(c, "<tr><td>");
    when(c, a->at_ms);
    yg__h(c, "</td><td>");
    yg__he(c, a->who);
    yg__h(c, "</td><td>");
    yg__he(c, a->action);
    yg__h(c, "</td><td class=\"detail\">");
    yg__he(c, a->detail);
    yg__h(c, "</td></tr>");
}

/* One triage form: a button and, for most, one labelled field. */
static void triage_form(struct ctx *c, const char *id, const char *action, const char *field,
                        const char *label, const char *button, bool area)
{
    yg__h(c, "<form class=\"triage\" method=\"post\" action=\"/console/incidents/");
    yg__he(c, id);
    yg__hf(c, "/%s\">", action);
    yg__console_csrf_field(c);
    if (field && area)
        yg__hf(c,
               "<p><label for=\"t-%s\">%s</label><textarea id=\"t-%s\" name=\"%s\" rows=\"3\""
               " maxlength=\"%d\" required></textarea></p>",
               field, label, field, field, YG_TRIAGE_MAX_DETAIL);
    else if (field)
        yg__hf(c,
               "<p><label for=\"t-%s\">%s</label><input id=\"t-%s\" name=\"%s\""
               " maxlength=\"%d\" required></p>",
               field, label, field, field, YG_TRIAGE_MAX_DETAIL);
    yg__hf(c, "<p><button type=\"submit\" id=\"do-%s\">%s</button></p></form>", action, button);
}

static void triage_panel(struct ctx *c, const char *id, const struct inc_state *is)
{
    yg__h(c, "<h2 id=\"triage\">Triage</h2>");
    if (c->role != YG_CONSOLE_ANALYST) {
        yg__h(c, "<p>You have the viewer role: triage needs the analyst role.</p>");
        return;
    }
    yg__h(c, "<div class=\"triage-forms\">");
    if (is->open && !is->acked)
        triage_form(c, id, "acknowledge", NULL, NULL, "Acknowledge", false);
    if (is->open)
        triage_form(c, id, "assign", "assignee", "Assign to", "Assign", false);
    triage_form(c, id, "comment", "comment", "Comment", "Add comment", true);
    if (is->open)
        triage_form(c, id, "close", "reason", "Reason for closing", "Close incident", false);
    yg__h(c, "</div>");
}

void yg__console_incident(struct ctx *c, const char *q)
{
    struct inc_state is = {.c = c};
    yg_buf_init(&is.steps, 256u << 20);
    char id[40];
    pthread_mutex_lock(&c->con->mu);
    yg_err e = yg__incident_resolve(c->con->st, q, id);
    if (!e)
        e = yg__incident_show(c->con->st, id, inc_head, inc_step, &is);
    if (!e && is.found) {
        triage_panel(c, id, &is);
        yg__h(c, "<h2 id=\"audit\" tabindex=\"-1\">Audit trail</h2><table class=\"audit\">"
                 "<caption>Triage actions, oldest first</caption><thead><tr>"
                 "<th scope=\"col\">When (UTC)</th><th scope=\"col\">Who</th>"
                 "<th scope=\"col\">Action</th><th scope=\"col\">Detail</th></tr></thead><tbody>");
        e = yg__incident_audit(c->con->st, id, audit_row, c);
        yg__h(c, "</tbody></table>");
    }
    pthread_mutex_unlock(&c->con->mu);
    if (e || !is.found) {
        yg_buf_free(&is.steps);
        yg__console_error_page(c, e == YG_ENOTFOUND || e == YG_EINVAL || !e ? 404 : 500,
                               e == YG_ENOTFOUND || e == YG_EINVAL || !e ? "no such incident"
                                                                         : yg_strerror(e));
        return;
    }
    yg__hf(c, "<h2 id=\"timeline\">Timeline (%zu step%s)</h2><ol class=\"timeline\">", is.nsteps,
           is.nsteps == 1 ? "" : "s");
    yg__hn(c, is.steps.p, is.steps.n);
    yg__h(c, "</ol>");
    if (is.nsteps > MAX_STEPS)
        yg__hf(c,
               "<p>The first %d steps are shown; the export and <code>yagura incidents show"
               "</code> have all of them.</p>",
               MAX_STEPS);
    yg_buf_free(&is.steps);
    yg__console_page_end(c);
}

/* ---- export ------------------------------------------------------------------------ */

struct exp_state {
    struct yg_stix_incident inc;
    struct yg_arena a;
    const char **alerts;
    size_t n, cap;
    bool oom;
};

static char *adup(struct exp_state *x, const char *s)
{
    char *d = s ? yg_arena_strndup(&x->a, s, strlen(s)) : NULL;
    if (s && !d)
        x->oom = true;
    return d;
}

static void exp_head(void *ud, const struct yg_incident_row *r)
{
    struct exp_state *x = ud;
    x->inc.id = adup(x, r->id);
    x->inc.title = adup(x, r->title);
    x->inc.level = adup(x, r->level);
    x->inc.status = adup(x, r->status);
    x->inc.entities = adup(x, r->entities);
    x->inc.first_ms = r->first_ms;
    x->inc.last_ms = r->last_ms;
    x->inc.nalerts_total = (long long)r->alert_count;
}

static void exp_step(void *ud, const struct yg_incident_step *s)
{
    struct exp_state *x = ud;
    /* As `yagura incidents export`: the correlation alert stands for its
     * contributing detections. */
    if (x->oom || !strcmp(s->kind, "detection"))
        return;
    if (x->n == x->cap) {
        size_t nc = x->cap ? x->cap * 2 : 64;
        const char **nv = yg_realloc(x->alerts, nc * sizeof *nv);
        if (!nv) {
            x->oom = true;
            return;
        }
        x->alerts = nv;
        x->cap = nc;
    }
    if ((x->alerts[x->n] = adup(x, s->json)))
        x->n++;
}

void yg__console_stix(struct ctx *c, const char *q)
{
    struct exp_state x;
    memset(&x, 0, sizeof x);
    yg_arena_init(&x.a, 1u << 16, 0);
    char id[40];
    pthread_mutex_lock(&c->con->mu);
    yg_err e = yg__incident_resolve(c->con->st, q, id);
    if (!e)
        e = yg__incident_show(c->con->st, id, exp_head, exp_step, &x);
    pthread_mutex_unlock(&c->con->mu);
    if (!e && x.oom)
        e = YG_ENOMEM;
    struct yg_errmsg why = {""};
    if (!e) {
        struct yg_stix_export_opts o = {.identity_name = c->con->cfg->identity_name,
                                        .tlp = c->con->cfg->export_tlp};
        struct yg_stix_export_stats sst;
        x.inc.alerts = x.alerts;
        x.inc.nalerts = x.n;
        e = yg__stix_export_incident(&o, &x.inc, &c->rs->body, &sst, &why);
    }
    if (e) {
        yg__console_error_page(c, e == YG_ENOTFOUND || e == YG_EINVAL ? 404 : 500,
                               e == YG_ENOTFOUND || e == YG_EINVAL ? "no such incident"
                               : why.msg[0]                        ? why.msg
                                                                   : yg_strerror(e));
    } else {
        char disp[96];
        snprintf(disp, sizeof disp, "attachment; filename=\"%s.stix.json\"", id);
        c->rs->status = 200;
        yg__console_headers(c, "application/stix+json;version=2.1");
        yg__web_header(c->rs, "Content-Disposition", disp);
    }
    yg_free(x.alerts);
    yg_arena_free(&x.a);
}
