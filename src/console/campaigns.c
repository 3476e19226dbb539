/*
 * campaigns.c - the campaign pages of the console (docs/console.md,
 * "Campaigns"): the list of campaigns, one campaign with its phases as a
 * timeline, the graph of its linked incidents with the same links as a
 * table, and its STIX export.
 *
 * The campaigns are those `yagura campaigns -c CONFIG` finds: the incidents
 * of the state database, the partners' bundles `yagura intel pull` wrote to
 * taxii.pull_dir, and the bundles of taxii.console.campaigns.inputs, with
 * the inventory of taxii.console.campaigns.organisations (or the console's
 * taxii.console.organisations).  The analysis (src/campaign) runs on
 * request and is kept until an input changes: the key is the name, size,
 * modification time and inode of every file read, so a page view costs one
 * stat per input file while nothing changes.  One analysis or page runs at a
 * time (the cache's mutex), so concurrent views never compute twice.
 *
 * Partners' bundles are hostile input: every value from them is
 * HTML-escaped; links carry only ids this file checked or made.
 */
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "campaign/campaign.h"
#include "console/console_int.h"
#include "core/timeparse.h"

#define MAX_DEPTH 8 /* folder levels read, as the campaign layer's loader */

struct yg_console_cmp {
    struct yg_console *con;
    pthread_mutex_t mu; /* the cache, and one analysis or page at a time */
    uint64_t key;
    bool have; /* set, res (or err) are for key */
    struct yg_cmp_set *set;
    struct yg_cmp_result *res;
    /* Per incident of res: its place in its campaign's time order and its
     * phase (an incident is in one campaign at most). */
    size_t *place, *phase;
    char err[1024]; /* why the last analysis failed ("" when it did not) */
    int64_t computed_ms;
    unsigned long analyses; /* analyses run since start (shown, for the cache's test) */
};

/* ---- the key of the inputs ------------------------------------------------------ */

static void mix(uint64_t *h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        *h = (*h ^ b[i]) * 0x100000001b3ull;
}

static void mix_file(uint64_t *h, const char *path, const struct stat *st)
{
    int64_t v[4] = {(int64_t)st->st_size, (int64_t)st->st_mtim.tv_sec, (int64_t)st->st_mtim.tv_nsec,
                    (int64_t)st->st_ino};
    mix(h, path, strlen(path) + 1);
    mix(h, v, sizeof v);
}

/* A file, or every *.json under a folder (what the loader reads). */
static void mix_path(uint64_t *h, const char *path, int depth)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        mix(h, "-", 1); /* absent counts too: appearing changes the key */
        mix(h, path, strlen(path) + 1);
        return;
    }
    if (!S_ISDIR(st.st_mode)) {
        mix_file(h, path, &st);
        return;
    }
    DIR *d = depth < MAX_DEPTH ? opendir(path) : NULL;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (e->d_name[0] == '.')
            continue;
        char sub[4096];
        if (snprintf(sub, sizeof sub, "%s/%s", path, e->d_name) >= (int)sizeof sub)
            continue;
        struct stat ss;
        if (stat(sub, &ss) != 0)
            continue;
        /* readdir's order is the file system's: the sum of the files' hashes
         * does not depend on it. */
        uint64_t one = 0xcbf29ce484222325ull;
        if (S_ISDIR(ss.st_mode))
            mix_path(&one, sub, depth + 1);
        else if (n > 5 && !strcmp(e->d_name + n - 5, ".json"))
            mix_file(&one, sub, &ss);
        else
            continue;
        *h += one;
    }
    if (d)
        closedir(d);
    mix(h, "/", 1);
}

static const char *cmp_orgs_file(const struct yg_taxii_cfg *c)
{
    return c->console_cmp_orgs ? c->console_cmp_orgs : c->console_orgs;
}

static uint64_t inputs_key(const struct yg_console *con)
{
    const struct yg_taxii_cfg *c = con->cfg;
    uint64_t h = 0xcbf29ce484222325ull;
    char wal[4096];
    mix_path(&h, con->state_db, MAX_DEPTH);
    /* The service's writes go to the write-ahead log until a checkpoint. */
    snprintf(wal, sizeof wal, "%s-wal", con->state_db);
    mix_path(&h, wal, MAX_DEPTH);
    if (cmp_orgs_file(c))
        mix_path(&h, cmp_orgs_file(c), MAX_DEPTH);
    if (c->pull_dir)
        mix_path(&h, c->pull_dir, 0);
    for (size_t i = 0; i < c->nconsole_cmp_inputs; i++)
        mix_path(&h, c->console_cmp_inputs[i], 0);
    return h;
}

/* ---- the analysis ------------------------------------------------------------------- */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static yg_err index_places(struct yg_console_cmp *k)
{
    const struct yg_cmp_result *r = k->res;
    if (!(k->place = yg_calloc(2 * r->ninc + 1, sizeof *k->place)))
        return YG_ENOMEM;
    k->phase = k->place + r->ninc;
    for (size_t i = 0; i < r->nc; i++) {
        const struct yg_cmp_campaign *c = &r->c[i];
        for (size_t j = 0; j < c->ninc; j++)
            k->place[c->inc[j]] = j;
        for (size_t q = 0; q < c->nphases; q++)
            for (size_t j = 0; j < c->phases[q].ninc; j++)
                k->phase[c->phases[q].inc[j]] = q;
    }
    return YG_OK;
}

/* Everything loaded and analysed into k (under k->mu); the message in k->err. */
static void analyse(struct yg_console_cmp *k)
{
    struct yg_console *con = k->con;
    const struct yg_taxii_cfg *c = con->cfg;
    yg__cmp_result_free(k->res);
    yg__cmp_free(k->set);
    yg_free(k->place);
    k->res = NULL, k->set = NULL, k->place = k->phase = NULL, k->err[0] = 0;
    k->analyses++;
    k->computed_ms = now_ms();
    struct yg_cmp_set *s = NULL;
    if (yg__cmp_new(&s)) {
        snprintf(k->err, sizeof k->err, "out of memory");
        return;
    }
    yg_err e = YG_OK;
    if (cmp_orgs_file(c))
        e = yg__cmp_load_orgs(s, cmp_orgs_file(c));
    if (!e) {
        pthread_mutex_lock(&con->mu);
        e = yg__cmp_load_store(s, con->st, c->identity_name);
        pthread_mutex_unlock(&con->mu);
    }
    struct stat st;
    if (!e && c->pull_dir && stat(c->pull_dir, &st) == 0)
        e = yg__cmp_load_bundle(s, c->pull_dir);
    for (size_t i = 0; !e && i < c->nconsole_cmp_inputs; i++)
        e = yg__cmp_load_bundle(s, c->console_cmp_inputs[i]);
    struct yg_cmp_opts o;
    yg__cmp_opts_default(&o);
    if (!e)
        e = yg__cmp_analyse(s, &o, &k->res);
    if (!e)
        e = index_places(k);
    if (e) {
        snprintf(k->err, sizeof k->err, "%s",
                 *yg__cmp_errmsg(s) ? yg__cmp_errmsg(s) : yg_strerror(e));
        yg__cmp_result_free(k->res);
        k->res = NULL;
    }
    k->set = s;
}

/* ---- output --------------------------------------------------------------------------- */

struct out {
    struct yg_buf *b;
    bool oom;
    const size_t *place, *phase; /* the cache's, for the page being written */
};

static void put(struct out *o, const char *s)
{
    if (yg_buf_add(o->b, s, strlen(s)))
        o->oom = true;
}

static void putf(struct out *o, const char *fmt, ...) YG_PRINTF(2, 3);
static void putf(struct out *o, const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0 && yg_buf_add(o->b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1))
        o->oom = true;
}

static void esc(struct out *o, const char *s)
{
    if (s && yg__html_esc(o->b, s, strlen(s)))
        o->oom = true;
}

static void day(struct out *o, int64_t ms)
{
    char d[16];
    yg__cmp_day(ms, d);
    putf(o, "<time datetime=\"%s\">%s</time>", d, d);
}

static void period(struct out *o, int64_t a, int64_t b)
{
    day(o, a);
    put(o, " to ");
    day(o, b);
}

/* A local incident's id as the console's links take it. */
static bool local_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
            return false;
    return n >= 4 && n <= 39;
}

/* The page of an incident: a local one's own page, a partner's row in the
 * campaign's table of incidents (k: its place in the campaign). */
static void inc_href(struct out *o, const struct yg_cmp_inc *x, size_t k)
{
    if (local_ok(x->local_id))
        putf(o, "/console/incidents/%s", x->local_id);
    else
        putf(o, "#ci-%zu", k);
}

static void inc_link(struct out *o, const struct yg_cmp_inc *x, size_t k)
{
    put(o, "<a class=\"inc\" href=\"");
    inc_href(o, x, k);
    put(o, "\">");
    esc(o, x->name && *x->name ? x->name : x->id);
    put(o, "</a>");
}

static void counts(struct out *o, const char *term, const struct yg_cmp_counts *c)
{
    putf(o, "<dt>%s</dt><dd>", term);
    if (!c->n)
        put(o, "<span class=\"none\">none</span>");
    for (size_t i = 0; i < c->n; i++) {
        put(o, i ? ", " : "");
        esc(o, c->v[i].name);
        putf(o, " <span class=\"count\">(%zu)</span>", c->v[i].n);
    }
    put(o, "</dd>");
}

static void camp_name(char out[128], const struct yg_cmp_campaign *c)
{
    char d1[16], d2[16];
    yg__cmp_day(c->first_ms, d1), yg__cmp_day(c->last_ms, d2);
    /* The name the STIX export gives it. */
    snprintf(out, 128, "Campaign of %zu incidents, %s to %s", c->ninc, d1, d2);
}

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Distinct victim organisations of a campaign. */
static size_t org_count(const struct yg_cmp_result *r, const struct yg_cmp_campaign *c)
{
    const char **v = yg_calloc(c->ninc ? c->ninc : 1, sizeof *v);
    size_t n = 0, d = 0;
    if (!v)
        return 0;
    for (size_t i = 0; i < c->ninc; i++)
        if (r->inc[c->inc[i]].org)
            v[n++] = r->inc[c->inc[i]].org;
    qsort(v, n, sizeof *v, str_cmp);
    for (size_t i = 0; i < n; i++)
        d += !i || strcmp(v[i], v[i - 1]) != 0;
    yg_free(v);
    return d;
}

/* ---- the list ------------------------------------------------------------------------------ */

static void inputs_list(struct out *o, const struct yg_console_cmp *k)
{
    const struct yg_taxii_cfg *c = k->con->cfg;
    put(o, "<details class=\"inputs\"><summary>Inputs</summary><ul><li>local incidents: ");
    esc(o, k->con->state_db);
    put(o, "</li>");
    if (c->pull_dir) {
        put(o, "<li>partners' collections pulled to ");
        esc(o, c->pull_dir);
        put(o, "</li>");
    }
    for (size_t i = 0; i < c->nconsole_cmp_inputs; i++) {
        put(o, "<li>bundles: ");
        esc(o, c->console_cmp_inputs[i]);
        put(o, "</li>");
    }
    put(o, "<li>organisations: ");
    esc(o, cmp_orgs_file(c) ? cmp_orgs_file(c) : "none");
    put(o, "</li></ul>");
    const char *w = k->set ? yg__cmp_warnings(k->set) : "";
    if (*w) {
        put(o, "<p>Skipped while reading:</p><pre class=\"warnings\">");
        esc(o, w);
        put(o, "</pre>");
    }
    put(o, "</details>");
}

static void list_page(struct yg_console_cmp *k, struct out *o, struct yg_console_page *p)
{
    const struct yg_cmp_result *r = k->res;
    char t[YG_TIME_TEXT];
    snprintf(p->title, sizeof p->title, "Campaigns");
    put(o, "<h1>Campaigns</h1>");
    yg__incident_iso(k->computed_ms, t, sizeof t);
    putf(o,
         "<p class=\"summary\" data-analysis=\"%lu\">%zu campaign%s from %zu incidents (%zu in no "
         "campaign); %zu pairs scored, %zu links. Computed <time datetime=\"%s\">",
         k->analyses, r->nc, r->nc == 1 ? "" : "s", r->ninc, r->unlinked, r->links_considered,
         r->links_kept, t);
    t[10] = ' ';
    t[19] = 0;
    putf(o, "%s</time> UTC, again when an input changes.</p>", t);
    inputs_list(o, k);
    if (!r->nc) {
        put(o, "<p class=\"empty\">No campaign: no two incidents share enough evidence.</p>");
        return;
    }
    put(o, "<table class=\"campaigns\"><caption>Campaigns, earliest first</caption><thead><tr>"
           "<th scope=\"col\">Campaign</th><th scope=\"col\">Incidents</th>"
           "<th scope=\"col\">Organisations</th><th scope=\"col\">Period (UTC)</th>"
           "<th scope=\"col\">Phases</th></tr></thead><tbody>");
    for (size_t i = 0; i < r->nc && i < YG_CONSOLE_CMP_ROWS_MAX; i++) {
        const struct yg_cmp_campaign *c = &r->c[i];
        char name[128];
        camp_name(name, c);
        putf(o, "<tr><td><a href=\"/console/campaigns/%s\">%s</a><br><span class=\"id\">%s</span>",
             c->id, name, c->id);
        putf(o, "</td><td class=\"num\">%zu</td><td class=\"num\">%zu</td><td>", c->ninc,
             org_count(r, c));
        period(o, c->first_ms, c->last_ms);
        putf(o, "</td><td class=\"num\">%zu</td></tr>", c->nphases);
    }
    put(o, "</tbody></table>");
    if (r->nc > YG_CONSOLE_CMP_ROWS_MAX)
        putf(o, "<p>The first %d campaigns are shown; <code>yagura campaigns</code> lists all.</p>",
             YG_CONSOLE_CMP_ROWS_MAX);
}

/* ---- the timeline of phases -------------------------------------------------------------- */

struct axis {
    int64_t t0, t1;
    double x0, w; /* pixels of the time axis */
};

static double ax(const struct axis *a, int64_t t)
{
    return a->x0 + (double)(t - a->t0) / (double)(a->t1 - a->t0) * a->w;
}

static void axis_init(struct axis *a, const struct yg_cmp_campaign *c, double x0, double w)
{
    a->t0 = c->first_ms;
    a->t1 = c->last_ms > c->first_ms ? c->last_ms : c->first_ms + 86400000;
    a->x0 = x0, a->w = w;
}

/* Gridlines and labels at the start of each year; a shorter campaign has
 * none, its phases' days are written under the bars. */
static void year_grid(struct out *o, const struct axis *a, double top, double bottom)
{
    time_t s = (time_t)(a->t0 / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    for (int y = tm.tm_year + 1; y < 10000 - 1900; y++) {
        struct tm j = {.tm_year = y, .tm_mday = 1};
        int64_t t = (int64_t)timegm(&j) * 1000;
        if (t > a->t1)
            break;
        double x = ax(a, t);
        putf(o,
             "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
             "<text class=\"year\" x=\"%.1f\" y=\"%.1f\">%d</text>",
             x, top, x, bottom, x + 3, top + 12, y + 1900);
    }
}

#define TL_W 960.0
#define TL_LEFT 96.0
#define TL_ROW 46.0

static void timeline(struct out *o, const struct yg_cmp_result *r, const struct yg_cmp_campaign *c)
{
    struct axis a;
    axis_init(&a, c, TL_LEFT, TL_W - TL_LEFT - 16);
    double h = 22 + TL_ROW * (double)c->nphases;
    putf(o,
         "<figure class=\"timeline\"><svg class=\"phase-timeline\" viewBox=\"0 0 %.0f %.0f\" "
         "width=\"%.0f\" height=\"%.0f\" role=\"group\" aria-label=\"Phase timeline\">",
         TL_W, h, TL_W, h);
    year_grid(o, &a, 0, h);
    for (size_t i = 0; i < c->nphases; i++) {
        const struct yg_cmp_phase *p = &c->phases[i];
        double y = 22 + TL_ROW * (double)i, x1 = ax(&a, p->first_ms), x2 = ax(&a, p->last_ms);
        double w = x2 - x1 < 4 ? 4 : x2 - x1;
        char d1[16], d2[16];
        yg__cmp_day(p->first_ms, d1), yg__cmp_day(p->last_ms, d2);
        putf(o,
             "<a class=\"phase-bar\" href=\"#phase-%zu\"><title>Phase %zu: %s to %s, %zu "
             "incidents</title><text class=\"label\" x=\"4\" y=\"%.1f\">Phase %zu</text>"
             "<rect class=\"bar ph-%zu\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"16\" "
             "rx=\"3\"/>",
             i + 1, i + 1, d1, d2, p->ninc, y + 13, i + 1, i % 6, x1, y + 2, w);
        for (size_t j = 0; j < p->ninc; j++) {
            double xt = ax(&a, r->inc[p->inc[j]].first_ms);
            putf(o, "<line class=\"tick\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", xt,
                 y + 4, xt, y + 16);
        }
        /* The dates under the bar, kept inside the picture near the right edge. */
        bool right = x1 > TL_W - 240;
        putf(o, "<text class=\"dates\" x=\"%.1f\" y=\"%.1f\"%s>%s to %s (%zu incidents)</text></a>",
             right ? x1 + w : x1, y + 32, right ? " text-anchor=\"end\"" : "", d1, d2, p->ninc);
    }
    put(o, "</svg><figcaption>Each bar is a phase from its first to its last activity; each tick "
           "an incident's start.</figcaption></figure>");
}

/* ---- the phases ---------------------------------------------------------------------------- */

/* The place of incident ix in its campaign (for the anchors of its table). */
static size_t place(const struct out *o, size_t ix)
{
    return o->place[ix];
}

static void phase_section(struct out *o, const struct yg_cmp_result *r,
                          const struct yg_cmp_campaign *c, size_t i)
{
    const struct yg_cmp_phase *p = &c->phases[i];
    putf(o, "<section class=\"phase\" id=\"phase-%zu\"><h3>Phase %zu: ", i + 1, i + 1);
    period(o, p->first_ms, p->last_ms);
    putf(o, "</h3><p>%zu incidents, %zu organisations</p><dl class=\"facts\">", p->ninc, p->orgs.n);
    counts(o, "Sectors", &p->sectors);
    counts(o, "Initial access", &p->initial);
    counts(o, "Techniques", &p->tech);
    counts(o, "CVEs", &p->cve);
    counts(o, "Malware and tools", &p->malware);
    counts(o, "Organisations", &p->orgs);
    /* Folded: the phases' facts and the graph stay within reach of each other. */
    putf(o,
         "</dl><details class=\"phase-incidents\"><summary>Incidents of phase %zu (%zu)"
         "</summary><table class=\"phase-incidents\"><thead>"
         "<tr><th scope=\"col\">First seen (UTC)</th><th scope=\"col\">Incident</th>"
         "<th scope=\"col\">Organisation</th></tr></thead><tbody>",
         i + 1, p->ninc);
    for (size_t j = 0; j < p->ninc && j < YG_CONSOLE_CMP_ROWS_MAX; j++) {
        const struct yg_cmp_inc *x = &r->inc[p->inc[j]];
        put(o, "<tr><td>");
        day(o, x->first_ms);
        put(o, "</td><td>");
        inc_link(o, x, place(o, p->inc[j]));
        put(o, x->local_id ? " <span class=\"local\">local</span></td><td>" : "</td><td>");
        esc(o, x->org ? x->org : "");
        put(o, "</td></tr>");
    }
    put(o, "</tbody></table></details></section>");
}

/* ---- the graph of linked incidents ---------------------------------------------------- */

#define G_LANES 10
#define G_R 6.0

/* Node positions: x by time, y the first lane free at that x (in time
 * order), so the layout depends only on the campaign. */
static void layout(const struct yg_cmp_result *r, const struct yg_cmp_campaign *c,
                   const struct axis *a, double *x, double *y, size_t *lanes)
{
    double last[G_LANES];
    *lanes = 1;
    for (size_t l = 0; l < G_LANES; l++)
        last[l] = -1e9;
    for (size_t k = 0; k < c->ninc; k++) {
        x[k] = ax(a, r->inc[c->inc[k]].first_ms);
        size_t best = 0;
        for (size_t l = 0; l < G_LANES; l++) {
            if (last[l] <= x[k] - 2 * G_R - 2) {
                best = l;
                break;
            }
            if (last[l] < last[best])
                best = l;
        }
        last[best] = x[k];
        y[k] = 20 + (2 * G_R + 6) * (double)best;
        *lanes = best + 1 > *lanes ? best + 1 : *lanes;
    }
}

static size_t phase_of(const struct out *o, size_t ix)
{
    return o->phase[ix];
}

static void graph(struct out *o, const struct yg_cmp_result *r, const struct yg_cmp_campaign *c)
{
    if (c->ninc > YG_CONSOLE_CMP_GRAPH_MAX) {
        putf(o,
             "<p>The graph is drawn for campaigns of at most %d incidents; the table has the "
             "links.</p>",
             YG_CONSOLE_CMP_GRAPH_MAX);
        return;
    }
    double *x = yg_calloc(c->ninc * 2 + 1, sizeof *x), *y = x ? x + c->ninc : NULL;
    if (!x) {
        o->oom = true;
        return;
    }
    struct axis a;
    size_t lanes;
    axis_init(&a, c, 16, TL_W - 32);
    layout(r, c, &a, x, y, &lanes);
    double h = 30 + (2 * G_R + 6) * (double)lanes;
    putf(o,
         "<svg class=\"link-graph\" viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" height=\"%.0f\" "
         "role=\"group\" aria-label=\"Graph of linked incidents (the table beside has the same "
         "links)\">",
         TL_W, h, TL_W, h);
    year_grid(o, &a, 0, h);
    for (size_t i = 0; i < c->nlinks; i++) {
        const struct yg_cmp_link *l = &c->links[i];
        size_t ka = place(o, l->a), kb = place(o, l->b);
        int wc = l->score >= 1.5 ? 3 : l->score >= 0.8 ? 2 : 1;
        putf(o, "<line class=\"edge w%d\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", wc,
             x[ka], y[ka], x[kb], y[kb]);
    }
    /* The nodes are out of the Tab order: the table beside holds the same
     * incidents and links as ordinary links. */
    for (size_t k = 0; k < c->ninc; k++) {
        const struct yg_cmp_inc *in = &r->inc[c->inc[k]];
        put(o, "<a class=\"node\" tabindex=\"-1\" href=\"");
        inc_href(o, in, k);
        put(o, "\"><title>");
        esc(o, in->name && *in->name ? in->name : in->id);
        put(o, in->org ? " (" : "");
        esc(o, in->org);
        put(o, in->org ? ")" : "");
        putf(o, "</title><circle class=\"ph-%zu%s\" cx=\"%.1f\" cy=\"%.1f\" r=\"%.0f\"/></a>",
             phase_of(o, c->inc[k]) % 6, in->local_id ? " local" : "", x[k], y[k], G_R);
    }
    put(o, "</svg>");
    yg_free(x);
}

static void links_table(struct out *o, const struct yg_cmp_result *r,
                        const struct yg_cmp_campaign *c)
{
    put(o, "<table class=\"links\"><caption>Links that joined the campaign, strongest first: "
           "the evidence of each</caption><thead><tr><th scope=\"col\">Incidents</th>"
           "<th scope=\"col\">Score</th><th scope=\"col\">Shared evidence (incidents carrying it, "
           "weight)</th><th scope=\"col\">Techniques in common</th><th scope=\"col\">Days apart"
           "</th></tr></thead><tbody>");
    for (size_t i = 0; i < c->nlinks && i < YG_CONSOLE_CMP_ROWS_MAX; i++) {
        const struct yg_cmp_link *l = &c->links[i];
        put(o, "<tr><td>");
        inc_link(o, &r->inc[l->a], place(o, l->a));
        put(o, " &ndash; ");
        inc_link(o, &r->inc[l->b], place(o, l->b));
        putf(o, "</td><td class=\"num\">%.3f</td><td><ul class=\"evidence\">", l->score);
        for (size_t j = 0; j < l->nev; j++) {
            const struct yg_cmp_evidence *e = &l->ev[j];
            putf(o, "<li><span class=\"kind\">%s</span> ", yg__cmp_kind_name(e->kind));
            esc(o, e->value);
            putf(o, " (%zu", e->df);
            if (e->net_df)
                putf(o, ", %zu in its network", e->net_df);
            putf(o, ", %.2f)</li>", e->weight);
        }
        putf(o, "</ul></td><td>%.2f", l->tech_overlap);
        for (size_t j = 0; j < l->tech.n; j++) {
            put(o, j ? ", " : ": ");
            esc(o, l->tech.v[j]);
        }
        putf(o, "</td><td class=\"num\">%.0f</td></tr>", (double)l->gap_ms / 86400000.0);
    }
    put(o, "</tbody></table>");
}

static void incidents_table(struct out *o, const struct yg_cmp_result *r,
                            const struct yg_cmp_campaign *c)
{
    put(o, "<h2 id=\"incidents\">Incidents</h2><table class=\"campaign-incidents\"><caption>"
           "Every incident of the campaign, in time order</caption><thead><tr>"
           "<th scope=\"col\">Period (UTC)</th><th scope=\"col\">Incident</th>"
           "<th scope=\"col\">Organisation</th><th scope=\"col\">From</th>"
           "<th scope=\"col\">Techniques, CVEs, malware</th></tr></thead><tbody>");
    for (size_t k = 0; k < c->ninc && k < YG_CONSOLE_CMP_ROWS_MAX; k++) {
        const struct yg_cmp_inc *x = &r->inc[c->inc[k]];
        putf(o, "<tr id=\"ci-%zu\"><td>", k);
        period(o, x->first_ms, x->last_ms);
        put(o, "</td><td>");
        inc_link(o, x, k);
        put(o, "<br><span class=\"id\">");
        esc(o, x->id);
        put(o, "</span></td><td>");
        esc(o, x->org ? x->org : "");
        put(o, "</td><td>");
        esc(o, x->local_id ? "local" : x->origin);
        put(o, "</td><td>");
        static const enum yg_cmp_kind kinds[] = {YG_CMPF_TECH, YG_CMPF_CVE, YG_CMPF_MALWARE};
        bool any = false;
        for (size_t q = 0; q < 3; q++)
            for (size_t j = 0; j < x->f[kinds[q]].n; j++) {
                put(o, any ? ", " : "");
                esc(o, x->f[kinds[q]].v[j]);
                any = true;
            }
        put(o, "</td></tr>");
    }
    put(o, "</tbody></table>");
}

/* ---- one campaign ---------------------------------------------------------------------------- */

static void campaign_page(struct out *o, const struct yg_cmp_result *r,
                          const struct yg_cmp_campaign *c, struct yg_console_page *p)
{
    char name[128];
    camp_name(name, c);
    snprintf(p->title, sizeof p->title, "%s", name);
    putf(o,
         "<p class=\"crumbs\"><a href=\"/console/campaigns\">Campaigns</a></p><h1>%s</h1>"
         "<dl class=\"facts\"><dt>Id</dt><dd class=\"id\">%s</dd><dt>Period (UTC)</dt><dd>",
         name, c->id);
    period(o, c->first_ms, c->last_ms);
    putf(o,
         "</dd><dt>Incidents</dt><dd>%zu</dd><dt>Organisations</dt><dd>%zu</dd>"
         "<dt>Phases</dt><dd>%zu</dd></dl><p><a class=\"button\" "
         "href=\"/console/campaigns/%s/stix\" download>Export as STIX 2.1</a></p>"
         "<h2 id=\"phases\">Phases</h2>",
         c->ninc, org_count(r, c), c->nphases, c->id);
    timeline(o, r, c);
    for (size_t i = 0; i < c->nphases; i++)
        phase_section(o, r, c, i);
    put(o, "<h2 id=\"graph\">Linked incidents</h2><p>Each circle is an incident (coloured by "
           "phase, placed by its start), each line a link that joined it to the campaign; the "
           "table lists the same links with their evidence.</p><div class=\"graph-wrap\">");
    graph(o, r, c);
    links_table(o, r, c);
    put(o, "</div>");
    incidents_table(o, r, c);
}

/* The campaign of an id or a unique prefix of at least 8 characters. */
static const struct yg_cmp_campaign *find(const struct yg_cmp_result *r, const char *q, size_t n)
{
    const struct yg_cmp_campaign *hit = NULL;
    if (n < 8)
        return NULL;
    for (size_t i = 0; i < r->nc; i++) {
        if (strncmp(r->c[i].id, q, n) != 0)
            continue;
        if (strlen(r->c[i].id) == n)
            return &r->c[i];
        if (hit)
            return NULL;
        hit = &r->c[i];
    }
    return hit;
}

static void stix_export(struct yg_console_cmp *k, const struct yg_cmp_campaign *c,
                        struct yg_console_page *p)
{
    const struct yg_taxii_cfg *cfg = k->con->cfg;
    struct yg_cmp_stix_opts so = {cfg->identity_name, cfg->export_tlp, NULL, 0};
    struct yg_errmsg why = {""};
    if (yg__cmp_stix_one(k->res, &so, c->id, p->html, &why)) {
        yg_buf_reset(p->html);
        p->status = 500;
        struct out o = {.b = p->html};
        put(&o, "<h1>Export failed</h1><p class=\"error\" role=\"alert\">");
        esc(&o, why.msg);
        put(&o, "</p>");
        return;
    }
    p->type = "application/stix+json;version=2.1";
    snprintf(p->filename, sizeof p->filename, "%s.stix.json", c->id);
}

static void not_found(struct out *o, struct yg_console_page *p, const char *what)
{
    p->status = 404;
    snprintf(p->title, sizeof p->title, "Not found");
    put(o, "<h1>404</h1><p class=\"error\" role=\"alert\">");
    put(o, what);
    put(o, "</p><p><a href=\"/console/campaigns\">Back to the campaigns</a></p>");
}

static void route(struct yg_console_cmp *k, struct out *o, struct yg_console_page *p)
{
    const char *sub = p->sub;
    if (!*sub || !strcmp(sub, "/")) {
        list_page(k, o, p);
        return;
    }
    const char *id = sub + 1, *slash = strchr(id, '/');
    size_t n = slash ? (size_t)(slash - id) : strlen(id);
    for (size_t i = 0; i < n; i++)
        if (!((id[i] >= 'a' && id[i] <= 'z') || (id[i] >= '0' && id[i] <= '9') || id[i] == '-'))
            n = 0;
    const struct yg_cmp_campaign *c = n <= 64 ? find(k->res, id, n) : NULL;
    if (!c || (slash && strcmp(slash, "/stix") != 0)) {
        not_found(o, p,
                  c ? "no such page"
                    : "no such campaign (it may have changed: campaign "
                      "ids change when their incidents do)");
        return;
    }
    if (slash)
        stix_export(k, c, p);
    else
        campaign_page(o, k->res, c, p);
}

static void page(void *ud, struct yg_console_page *p)
{
    struct yg_console_cmp *k = ud;
    struct out o = {.b = p->html};
    if (strcmp(p->rq->method, "GET") != 0 && strcmp(p->rq->method, "HEAD") != 0) {
        p->status = 405;
        put(&o, "<h1>405</h1><p class=\"error\" role=\"alert\">The campaign pages are read "
                "only.</p>");
        return;
    }
    pthread_mutex_lock(&k->mu);
    uint64_t key = inputs_key(k->con);
    if (!k->have || key != k->key) {
        analyse(k);
        k->key = key;
        k->have = true;
    }
    o.place = k->place, o.phase = k->phase;
    if (!k->res) {
        p->status = 500;
        put(&o, "<h1>Campaigns</h1><p class=\"error\" role=\"alert\">The campaigns could not be "
                "computed: ");
        esc(&o, k->err);
        put(&o, "</p>");
    } else {
        route(k, &o, p);
    }
    pthread_mutex_unlock(&k->mu);
    if (o.oom) {
        yg_buf_reset(p->html);
        p->type = NULL;
        p->status = 500;
        struct out e = {.b = p->html};
        put(&e, "<h1>500</h1><p class=\"error\" role=\"alert\">The page is too large.</p>");
    }
}

/* ---- start, check, end ---------------------------------------------------------------------- */

yg_err yg__console_campaigns_new(struct yg_console *con)
{
    struct yg_console_cmp *k = yg_calloc(1, sizeof *k);
    if (!k) {
        snprintf(con->why, sizeof con->why, "out of memory");
        return YG_ENOMEM;
    }
    k->con = con;
    pthread_mutex_init(&k->mu, NULL);
    con->cmp = k;
    struct yg_errmsg why = {""};
    if (yg__console_campaigns_check(con->cfg, &why)) {
        snprintf(con->why, sizeof con->why, "%s", why.msg);
        return YG_EINVAL;
    }
    return yg__console_add_page(con, "campaigns", "Campaigns", page, k);
}

yg_err yg__console_campaigns_check(const struct yg_taxii_cfg *c, struct yg_errmsg *why)
{
    struct stat st;
    for (size_t i = 0; i < c->nconsole_cmp_inputs; i++)
        if (stat(c->console_cmp_inputs[i], &st) != 0) {
            yg__errmsg_set(why, "taxii.console.campaigns.inputs[%zu]: %s: no such file or folder",
                           i, c->console_cmp_inputs[i]);
            return YG_ENOTFOUND;
        }
    const char *orgs = cmp_orgs_file(c);
    if (!orgs)
        return YG_OK;
    struct yg_cmp_set *s = NULL;
    if (yg__cmp_new(&s)) {
        yg__errmsg_set(why, "out of memory");
        return YG_ENOMEM;
    }
    yg_err e = yg__cmp_load_orgs(s, orgs);
    if (e)
        yg__errmsg_set(why, "%s: %s",
                       c->console_cmp_orgs ? "taxii.console.campaigns.organisations"
                                           : "taxii.console.organisations",
                       yg__cmp_errmsg(s));
    yg__cmp_free(s);
    return e;
}

void yg__console_campaigns_free(struct yg_console_cmp *k)
{
    if (!k)
        return;
    yg__cmp_result_free(k->res);
    yg__cmp_free(k->set);
    yg_free(k->place);
    pthread_mutex_destroy(&k->mu);
    yg_free(k);
}
