/*
 * test_incident.c - the incident builder: grouping by a shared entity, merging two incidents,
 * the grouping window, severity and title, re-feeding the same alert, correlation alerts and
 * their contributing detections, closing, the entity mapping and its normalisation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "incident/entity.h"
#include "incident/incident.h"
#include "store/store.h"
#include "tap.h"

static char dir[64], dbpath[128];
static struct yg_store *st;
static struct yg_entity_map *map;

static const char *MAP = "link: [account, host, address]\n"
                         "ignore:\n"
                         "  account: ['-', 'system', '*$']\n"
                         "  address: ['127.0.0.1']\n"
                         "sources:\n"
                         "  - logsource: {product: windows}\n"
                         "    account: [TargetUserName, User]\n"
                         "    host: [Computer]\n"
                         "    address: [IpAddress]\n"
                         "  - logsource: {product: fortigate}\n"
                         "    account: [user]\n"
                         "    address: [remip]\n"
                         "    observer: [devname]\n"
                         "  - logsource: {}\n"
                         "    account: [UserId, userPrincipalName]\n"
                         "    address: [ClientIP, ipAddress]\n"
                         "correlation:\n"
                         "  account: [user]\n"
                         "  address: [ip]\n";

/* A rule alert in the form hunt writes. */
static char *rule_alert(const char *rule, const char *level, const char *ts, const char *product,
                        const char *event, int index)
{
    static char buf[4096];
    snprintf(buf, sizeof buf,
             "{\"timestamp\":\"%s\",\"rule\":{\"id\":\"%s\",\"title\":\"Rule %s\",\"level\":\"%s\","
             "\"tags\":[],\"attack\":[],\"file\":\"r.yml\"},\"logsource\":{\"product\":\"%s\"},"
             "\"matched\":{},\"source\":{\"file\":\"logs/x.log\",\"line\":%d,\"index\":%d},"
             "\"event\":%s}",
             ts, rule, rule, level, product, index, index, event);
    return buf;
}

static struct yg_incident_feed_result feed(struct yg_incident_builder *b, const char *json)
{
    struct yg_incident_feed_result r;
    yg_err e = yg__incident_feed(b, NULL, json, strlen(json), INT64_MIN, &r);
    CHECK_MSG(e == YG_OK, "feed: %s (%s)", yg_strerror(e), yg__incident_errmsg(b));
    return r;
}

static int count(const char *sql)
{
    sqlite3_stmt *q = NULL;
    int n = -1;
    if (sqlite3_prepare_v2(yg__store_sqlite(st), sql, -1, &q, NULL) == SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW)
        n = sqlite3_column_int(q, 0);
    sqlite3_finalize(q);
    return n;
}

struct row_ctx {
    int n;
    char id[40], level[32], status[16], title[512], main_entity[300], reason[128];
    long long alerts;
};

static void on_row(void *ud, const struct yg_incident_row *r)
{
    struct row_ctx *c = ud;
    c->n++;
    snprintf(c->id, sizeof c->id, "%s", r->id);
    snprintf(c->level, sizeof c->level, "%s", r->level);
    snprintf(c->status, sizeof c->status, "%s", r->status);
    snprintf(c->title, sizeof c->title, "%s", r->title);
    snprintf(c->main_entity, sizeof c->main_entity, "%s", r->main_entity);
    snprintf(c->reason, sizeof c->reason, "%s", r->close_reason ? r->close_reason : "");
    c->alerts = r->alert_count;
}

static struct row_ctx list(enum yg_incident_status s, int min_level)
{
    struct row_ctx c;
    memset(&c, 0, sizeof c);
    CHECK(yg__incident_list(st, s, min_level, on_row, &c) == YG_OK);
    return c;
}

struct steps {
    int n, detections;
    char kinds[16][16];
};

static void on_step(void *ud, const struct yg_incident_step *s)
{
    struct steps *c = ud;
    if (c->n < 16)
        snprintf(c->kinds[c->n], sizeof c->kinds[0], "%s", s->kind);
    c->n++;
    c->detections += !strcmp(s->kind, "detection");
}

static void reset_db(void)
{
    if (st)
        yg__store_close(st);
    unlink(dbpath);
    CHECK(yg__store_open(dbpath, &st) == YG_OK);
}

static void test_normalise(void)
{
    char out[256];
    CHECK(yg__entity_normalise(map, YG_ENT_ACCOUNT, "CONTOSO\\Alice", 13, out, sizeof out) &&
          !strcmp(out, "alice"));
    CHECK(yg__entity_normalise(map, YG_ENT_ACCOUNT, " Bob@Contoso.Example ", 21, out, sizeof out) &&
          !strcmp(out, "bob@contoso.example"));
    CHECK(!yg__entity_normalise(map, YG_ENT_ACCOUNT, "NT AUTHORITY\\SYSTEM", 19, out, sizeof out));
    CHECK(!yg__entity_normalise(map, YG_ENT_ACCOUNT, "DC01$", 5, out, sizeof out));
    CHECK(!yg__entity_normalise(map, YG_ENT_ACCOUNT, "-", 1, out, sizeof out));
    CHECK(yg__entity_normalise(map, YG_ENT_ADDRESS, "198.51.100.7:443", 16, out, sizeof out) &&
          !strcmp(out, "198.51.100.7"));
    CHECK(yg__entity_normalise(map, YG_ENT_ADDRESS, "[2001:DB8::1]:443", 17, out, sizeof out) &&
          !strcmp(out, "2001:db8::1"));
    CHECK(yg__entity_normalise(map, YG_ENT_ADDRESS, "::ffff:192.0.2.1", 16, out, sizeof out) &&
          !strcmp(out, "192.0.2.1"));
    CHECK(!yg__entity_normalise(map, YG_ENT_ADDRESS, "127.0.0.1", 9, out, sizeof out));
    struct yg_str win[3] = {{"windows", 7}, {NULL, 0}, {NULL, 0}};
    struct yg_str m365[3] = {{"m365", 4}, {"audit", 5}, {NULL, 0}};
    CHECK(yg__entity_field_kind(map, win, "TargetUserName", 14) == YG_ENT_ACCOUNT);
    CHECK(yg__entity_field_kind(map, win, "computer", 8) == YG_ENT_HOST);
    /* the generic entry does not apply to sources a specific entry describes */
    CHECK(yg__entity_field_kind(map, win, "UserId", 6) == -1);
    CHECK(yg__entity_field_kind(map, m365, "UserId", 6) == YG_ENT_ACCOUNT);
    CHECK(yg__entity_group_kind(map, "ip", 2) == YG_ENT_ADDRESS);
}

static void test_grouping(void)
{
    reset_db();
    struct yg_incident_builder *b = NULL;
    CHECK(yg__incident_builder_new(st, map, 0, &b) == YG_OK);
    /* two alerts of alice: one incident */
    struct yg_incident_feed_result r1 = feed(
        b, rule_alert("r1", "low", "2024-05-01T10:00:00Z", "windows",
                      "{\"Event\":{\"EventData\":{\"TargetUserName\":\"CONTOSO\\\\alice\"}}}", 1));
    CHECK(r1.created && r1.incident[0]);
    struct yg_incident_feed_result r2 =
        feed(b, rule_alert("r2", "medium", "2024-05-01T11:00:00Z", "m365",
                           "{\"UserId\":\"Alice\",\"ClientIP\":\"203.0.113.9\"}", 2));
    CHECK(!r2.created && !strcmp(r1.incident, r2.incident));
    /* an alert of bob from elsewhere: a second incident */
    struct yg_incident_feed_result r3 =
        feed(b, rule_alert("r3", "high", "2024-05-01T11:30:00Z", "windows",
                           "{\"Event\":{\"EventData\":{\"TargetUserName\":\"bob\","
                           "\"IpAddress\":\"198.51.100.50\"}}}",
                           3));
    CHECK(r3.created && strcmp(r3.incident, r1.incident) != 0);
    CHECK(list(YG_INC_OPEN, 0).n == 2);
    /* severity is the highest level, the title names the most severe alert and the main
     * entity */
    struct row_ctx alice = list(YG_INC_OPEN, 3);
    CHECK(alice.n == 2);
    struct row_ctx high = list(YG_INC_OPEN, 4);
    CHECK(high.n == 1 && !strcmp(high.id, r3.incident) && !strcmp(high.level, "high"));
    CHECK_MSG(!strcmp(high.title, "Rule r3 - bob") ||
                  !strcmp(high.title, "Rule r3 - 198.51.100.50"),
              "%s", high.title);

    /* an alert naming alice and bob's address merges the two, into the older one */
    struct yg_incident_feed_result r4 =
        feed(b, rule_alert("r4", "critical", "2024-05-01T12:00:00Z", "m365",
                           "{\"UserId\":\"alice\",\"ClientIP\":\"198.51.100.50\"}", 4));
    CHECK(r4.merged == 1 && !strcmp(r4.incident, r1.incident));
    struct row_ctx all = list(YG_INC_ALL, 0);
    CHECK(all.n == 1 && all.alerts == 4 && !strcmp(all.level, "critical"));
    CHECK_MSG(!strncmp(all.title, "Rule r4 - ", 10), "%s", all.title);
    char resolved[40];
    CHECK(yg__incident_resolve(st, r3.incident, resolved) == YG_OK &&
          !strcmp(resolved, r1.incident)); /* a merged id leads to the survivor */
    CHECK(count("select count(*) from incidents where status = 'merged'") == 1);

    /* re-feeding an alert changes nothing */
    struct yg_incident_feed_result again =
        feed(b, rule_alert("r4", "critical", "2024-05-01T12:00:00Z", "m365",
                           "{\"UserId\":\"alice\",\"ClientIP\":\"198.51.100.50\"}", 4));
    CHECK(again.duplicate && !strcmp(again.incident, r1.incident));
    CHECK(count("select count(*) from incident_alerts") == 4);
    CHECK(list(YG_INC_ALL, 0).alerts == 4);

    /* the window: alice two days later opens a new incident; one earlier within the window
     * (out of order) joins the old one */
    struct yg_incident_feed_result late = feed(
        b, rule_alert("r5", "low", "2024-05-03T13:00:00Z", "m365", "{\"UserId\":\"alice\"}", 5));
    CHECK(late.created && strcmp(late.incident, r1.incident) != 0);
    struct yg_incident_feed_result early = feed(
        b, rule_alert("r6", "low", "2024-04-30T22:00:00Z", "m365", "{\"UserId\":\"alice\"}", 6));
    CHECK(!early.created && !strcmp(early.incident, r1.incident));
    /* no usable time: skipped */
    struct yg_incident_feed_result untimed =
        feed(b, rule_alert("r7", "low", "", "m365", "{\"UserId\":\"alice\"}", 7));
    CHECK(untimed.skipped);

    /* close: not open any more, a new alert of alice within the window opens another */
    CHECK(yg__incident_close(st, r1.incident, "contained", "analyst") == YG_OK);
    CHECK(yg__incident_close(st, r1.incident, "again", "analyst") == YG_ESTATE);
    CHECK(yg__incident_close(st, "inc-nope", "x", "analyst") == YG_ENOTFOUND);
    struct row_ctx closed = list(YG_INC_CLOSED, 0);
    CHECK(closed.n == 1 && !strcmp(closed.reason, "contained") && !strcmp(closed.status, "closed"));
    struct yg_incident_feed_result after = feed(
        b, rule_alert("r8", "low", "2024-05-01T12:30:00Z", "m365", "{\"UserId\":\"alice\"}", 8));
    CHECK(after.created && strcmp(after.incident, r1.incident) != 0);
    yg__incident_builder_free(b);

    /* a builder on the same database goes on where the last one stopped */
    CHECK(yg__incident_builder_new(st, map, 3600 * 1000, &b) == YG_OK);
    struct yg_incident_feed_result dup = feed(
        b, rule_alert("r8", "low", "2024-05-01T12:30:00Z", "m365", "{\"UserId\":\"alice\"}", 8));
    CHECK(dup.duplicate);
    /* a one-hour window: alice three hours after r8 is a new incident */
    struct yg_incident_feed_result hour = feed(
        b, rule_alert("r9", "low", "2024-05-01T15:30:00Z", "m365", "{\"UserId\":\"alice\"}", 9));
    CHECK(hour.created);
    yg__incident_builder_free(b);
}

static void test_correlation(void)
{
    reset_db();
    struct yg_incident_builder *b = NULL;
    CHECK(yg__incident_builder_new(st, map, 0, &b) == YG_OK);
    /* a detection that also alerted on its own (generate: true), then the correlation */
    struct yg_incident_feed_result r1 = feed(
        b, rule_alert("login", "low", "2024-05-01T10:00:00Z", "fortigate",
                      "{\"user\":\"carol\",\"remip\":\"203.0.113.5\",\"devname\":\"FGT1\"}", 1));
    const char *corr =
        "{\"timestamp\":\"2024-05-01T10:05:00.000Z\",\"rule\":{\"id\":\"chain\",\"title\":"
        "\"Chain\","
        "\"level\":\"critical\",\"tags\":[],\"file\":\"c.yml\"},\"correlation\":{\"type\":"
        "\"temporal_ordered\",\"group\":{\"ip\":\"203.0.113.5\"},\"value\":2,\"first\":"
        "\"2024-05-01T10:00:00.000Z\",\"last\":\"2024-05-01T10:05:00.000Z\",\"events\":["
        "{\"rule\":\"dl\",\"timestamp\":\"2024-05-01T10:05:00Z\",\"file\":\"logs/m.json\","
        "\"line\":3,\"index\":3},"
        "{\"rule\":\"login\",\"timestamp\":\"2024-05-01T10:00:00Z\",\"file\":\"logs/x.log\","
        "\"line\":1,\"index\":1}]}}";
    struct yg_incident_feed_result c = feed(b, corr);
    CHECK(!c.created && !strcmp(c.incident, r1.incident));
    struct steps s;
    memset(&s, 0, sizeof s);
    CHECK(yg__incident_show(st, r1.incident, NULL, on_step, &s) == YG_OK);
    /* the alert, the correlation and its one detection that had no alert of its own */
    CHECK_MSG(s.n == 3 && s.detections == 1, "%d steps, %d detections", s.n, s.detections);
    struct row_ctx row = list(YG_INC_OPEN, 0);
    CHECK(row.n == 1 && !strcmp(row.level, "critical") && row.alerts == 2);
    /* the observer is recorded and never links */
    CHECK(count("select count(*) from incident_entities where kind = 'observer'") == 1);
    struct yg_incident_feed_result other =
        feed(b, rule_alert("login", "low", "2024-05-01T10:06:00Z", "fortigate",
                           "{\"user\":\"dave\",\"remip\":\"192.0.2.77\",\"devname\":\"FGT1\"}", 9));
    CHECK(other.created);
    /* the correlation again: nothing changes */
    CHECK(feed(b, corr).duplicate);
    CHECK(count("select count(*) from incident_alerts") == 4);
    /* an intel hit on the address joins carol's incident as an intel step */
    const char *intel =
        "{\"timestamp\":\"2024-05-01T10:07:00Z\",\"rule\":{\"id\":\"intel-ip\",\"title\":"
        "\"Threat intelligence: ip indicator\",\"level\":\"high\",\"tags\":[],\"file\":\"\"},"
        "\"logsource\":{\"product\":\"zeek\"},\"matched\":{\"DestinationIp\":\"203.0.113.5\"},"
        "\"source\":{\"file\":\"logs/conn.log\",\"line\":4,\"index\":4},"
        "\"intel\":{\"type\":\"ip\",\"value\":\"203.0.113.5\",\"source\":\"Volexity\"},"
        "\"event\":{\"id.resp_h\":\"203.0.113.5\"}}";
    struct yg_incident_feed_result ih = feed(b, intel);
    CHECK(!ih.created && !strcmp(ih.incident, r1.incident));
    CHECK(count("select count(*) from incident_alerts where kind = 'intel'") == 1);
    yg__incident_builder_free(b);
}

/* The summary each incident row holds must equal what its timeline and
 * entities give when computed from scratch. */
static int summary_mismatches(void)
{
    /* The timeline: its own rows, and alerts of the alerts table that
     * joined an incident in their row (yg__incident_set_alerts_stored). */
    static const char *const sql =
        "WITH incident_alerts AS (SELECT incident_id, t_ms, seq, kind, level_num, rule_title"
        " FROM main.incident_alerts UNION ALL SELECT incident_id, inc_t_ms, inc_seq, inc_kind,"
        " inc_level_num, rule_title FROM alerts WHERE incident_id IS NOT NULL) "
        "SELECT i.id, i.first_ms = (SELECT min(t_ms) FROM incident_alerts a WHERE"
        " a.incident_id = i.id),"
        " i.last_ms = (SELECT max(t_ms) FROM incident_alerts a WHERE a.incident_id = i.id),"
        " i.alert_count = (SELECT count(*) FROM incident_alerts a WHERE a.incident_id = i.id"
        "  AND kind <> 'detection'),"
        " i.level_num = coalesce((SELECT max(level_num) FROM incident_alerts a WHERE"
        "  a.incident_id = i.id AND kind <> 'detection'), 1),"
        " i.main_entity = coalesce((SELECT kind || ':' || value FROM incident_entities e"
        "  WHERE e.incident_id = i.id AND kind <> 'observer' ORDER BY alerts DESC,"
        "  CASE kind WHEN 'account' THEN 0 WHEN 'address' THEN 1 ELSE 2 END, value LIMIT 1),"
        "  ''),"
        " i.title = (SELECT rule_title FROM incident_alerts a WHERE a.incident_id = i.id"
        "  ORDER BY kind = 'detection', level_num DESC, t_ms, seq LIMIT 1)"
        "  || coalesce((SELECT ' - ' || value FROM incident_entities e"
        "  WHERE e.incident_id = i.id AND kind <> 'observer' ORDER BY alerts DESC,"
        "  CASE kind WHEN 'account' THEN 0 WHEN 'address' THEN 1 ELSE 2 END, value LIMIT 1),"
        "  ''),"
        " i.title, i.main_entity"
        " FROM incidents i WHERE status <> 'merged'";
    sqlite3_stmt *q = NULL;
    int bad = 0, n = 0;
    CHECK(sqlite3_prepare_v2(yg__store_sqlite(st), sql, -1, &q, NULL) == SQLITE_OK);
    while (q && sqlite3_step(q) == SQLITE_ROW) {
        n++;
        for (int c = 1; c <= 6; c++)
            if (sqlite3_column_int(q, c) != 1) {
                bad++;
                CHECK_MSG(0, "incident %s: summary column %d differs (title '%s', main '%s')",
                          sqlite3_column_text(q, 0), c, sqlite3_column_text(q, 7),
                          sqlite3_column_text(q, 8));
            }
    }
    sqlite3_finalize(q);
    CHECK(n > 0);
    return bad;
}

/* A pseudo-random stream of alerts over few accounts and addresses (so that
 * incidents grow, merge and get closed), and correlations whose detections
 * later alert on their own: the running summaries stay exact, also for
 * incidents whose summary was not kept yet (written by an older version). */
static struct yg_incident_builder *stored_b;

/* Feed an alert as the service does with alerts stored: the alert row
 * first, then the builder, in one transaction. */
static void feed_stored(struct yg_incident_builder *b, const char *json)
{
    struct yg_incident_feed_result r;
    char id[33], rec[64], title[300] = "", level[32] = "";
    const char *t = strstr(json, "\"title\":\""), *l = strstr(json, "\"level\":\"");
    if (t)
        sscanf(t + 9, "%299[^\"]", title);
    if (l)
        sscanf(l + 9, "%31[^\"]", level);
    snprintf(rec, sizeof rec, "%zu:%u", strlen(json), (unsigned)yg_hash(json, strlen(json)));
    yg__alert_id("r", rec, id);
    struct yg_alert_row row = {.id = id,
                               .rule_id = "r",
                               .rule_title = title,
                               .level = level,
                               .event_time = "",
                               .source = "s",
                               .record_id = rec,
                               .json = json};
    bool ins;
    CHECK(yg__store_begin(st) == YG_OK);
    CHECK(yg__store_alert(st, &row, &ins) == YG_OK);
    yg_err e = yg__incident_feed(b, id, json, strlen(json), INT64_MIN, &r);
    CHECK_MSG(e == YG_OK, "feed: %s (%s)", yg_strerror(e), yg__incident_errmsg(b));
    CHECK(yg__store_commit(st) == YG_OK);
}

static void feed_any(struct yg_incident_builder *b, const char *json)
{
    if (b == stored_b)
        feed_stored(b, json);
    else
        feed(b, json);
}

static void test_running_summary(bool stored)
{
    reset_db();
    struct yg_incident_builder *b = NULL;
    CHECK(yg__incident_builder_new(st, map, 6 * 3600 * 1000LL, &b) == YG_OK);
    yg__incident_set_alerts_stored(b, stored);
    stored_b = stored ? b : NULL;
    static const char *const levels[] = {"informational", "low", "medium", "high", "critical"};
    unsigned x = 12345;
    char ts[40], ev[256], buf[2048];
    for (int i = 0; i < 600; i++) {
        x = x * 1103515245u + 12345u;
        unsigned r = x >> 8;
        int hour = (int)(r % 72), acct = (int)((r >> 7) % 7), addr = (int)((r >> 11) % 9);
        snprintf(ts, sizeof ts, "2024-05-%02dT%02d:%02d:00Z", 1 + hour / 24, hour % 24,
                 (int)(r >> 15) % 60);
        if (r % 13 == 0) {
            /* A correlation over the detection of alert index i + 1000, whose
             * own alert comes a few steps later (or never). */
            snprintf(buf, sizeof buf,
                     "{\"timestamp\":\"%s\",\"rule\":{\"id\":\"corr\",\"title\":\"Corr %d\","
                     "\"level\":\"%s\",\"tags\":[],\"file\":\"c.yml\"},\"correlation\":{\"type\":"
                     "\"event_count\",\"group\":{\"ip\":\"198.51.100.%d\"},\"value\":1,"
                     "\"events\":[{\"rule\":\"det\",\"timestamp\":\"%s\",\"file\":\"logs/x.log\","
                     "\"line\":%d,\"index\":%d}]}}",
                     ts, i, levels[r % 5], addr, ts, i + 1000, i + 1000);
            feed_any(b, buf);
            if (r % 2) {
                snprintf(ev, sizeof ev, "{\"UserId\":\"u%d\",\"ClientIP\":\"198.51.100.%d\"}", acct,
                         addr);
                feed_any(b, rule_alert("det", levels[(r >> 3) % 5], ts, "m365", ev, i + 1000));
            }
            continue;
        }
        if (r % 17 == 0)
            snprintf(ev, sizeof ev, "{\"ClientIP\":\"198.51.100.%d\"}", addr);
        else if (r % 5 == 0)
            snprintf(ev, sizeof ev, "{\"UserId\":\"u%d\"}", acct);
        else
            snprintf(ev, sizeof ev, "{\"UserId\":\"u%d\",\"ClientIP\":\"198.51.100.%d\"}", acct,
                     addr);
        char rule[16];
        snprintf(rule, sizeof rule, "r%u", r % 11);
        feed_any(b, rule_alert(rule, levels[(r >> 4) % 5], ts, "m365", ev, i));
        if (i == 300) {
            CHECK(summary_mismatches() == 0);
            /* As an older version left them: no summary kept. */
            CHECK(sqlite3_exec(yg__store_sqlite(st), "UPDATE incidents SET top_seq = NULL", NULL,
                               NULL, NULL) == SQLITE_OK);
        }
        if (i == 450) {
            struct row_ctx o = list(YG_INC_OPEN, 0);
            CHECK(o.n > 0 && yg__incident_close(st, o.id, "done", "analyst") == YG_OK);
        }
    }
    CHECK(summary_mismatches() == 0);
    CHECK(count("select count(*) from incidents where status = 'merged'") > 0);
    CHECK(count("select count(*) from incident_alerts where kind = 'detection'") > 0);
    if (stored) /* the alerts joined in their own rows */
        CHECK(count("select count(*) from alerts where incident_id is not null") > 400);
    yg__incident_builder_free(b);
}

static int on_progress(void *ud)
{
    (*(uint64_t *)ud)++;
    return 0;
}

/* SQLite virtual-machine instructions spent on feeding n alerts of one
 * host, from alert index `from` on. */
static uint64_t feed_cost(struct yg_incident_builder *b, int from, int n)
{
    uint64_t ops = 0;
    char ts[40];
    sqlite3_progress_handler(yg__store_sqlite(st), 1, on_progress, &ops);
    for (int i = from; i < from + n; i++) {
        snprintf(ts, sizeof ts, "2024-05-01T%02d:%02d:%02dZ", i / 3600 % 24, i / 60 % 60, i % 60);
        feed(b, rule_alert("noisy", i % 2 ? "high" : "low", ts, "windows",
                           "{\"Computer\":\"HOST1.contoso.local\"}", i));
    }
    sqlite3_progress_handler(yg__store_sqlite(st), 0, NULL, NULL);
    return ops;
}

/* An alert costs the same whatever the size of its incident: the work of
 * the 50 alerts after 4,000 in one incident is that of the 50 after 100
 * (counted in SQLite instructions, which do not depend on the machine). */
static void test_constant_cost(void)
{
    reset_db();
    struct yg_incident_builder *b = NULL;
    CHECK(yg__incident_builder_new(st, map, 0, &b) == YG_OK);
    CHECK(yg__store_begin(st) == YG_OK);
    feed_cost(b, 0, 100);
    uint64_t early = feed_cost(b, 100, 50);
    feed_cost(b, 150, 3850);
    uint64_t late = feed_cost(b, 4000, 50);
    CHECK(yg__store_commit(st) == YG_OK);
    CHECK(count("select count(*) from incidents") == 1);
    CHECK(count("select alert_count from incidents") == 4050);
    printf("# 50 alerts: %llu instructions after 100, %llu after 4000\n", (unsigned long long)early,
           (unsigned long long)late);
    CHECK_MSG(late < early + early / 4,
              "50 alerts cost %llu instructions after 100, %llu after 4000",
              (unsigned long long)early, (unsigned long long)late);
    yg__incident_builder_free(b);
}

/* A failed statement may roll the whole transaction back (SQLite does so
 * for a full disk or an I/O error).  Incident rows fed after that must not
 * commit on their own, without the alerts of the transaction. */
static void test_rolled_back_transaction(void)
{
    reset_db();
    struct yg_incident_builder *b = NULL;
    CHECK(yg__incident_builder_new(st, map, 0, &b) == YG_OK);
    CHECK(yg__store_begin(st) == YG_OK);
    feed(b, rule_alert("r1", "high", "2024-05-01T10:00:00Z", "m365", "{\"UserId\":\"eve\"}", 1));
    /* What SQLite does by itself after such a failure. */
    CHECK(sqlite3_exec(yg__store_sqlite(st), "ROLLBACK", NULL, NULL, NULL) == SQLITE_OK);
    const char *j =
        rule_alert("r2", "high", "2024-05-01T10:01:00Z", "m365", "{\"UserId\":\"eve\"}", 2);
    struct yg_incident_feed_result r;
    CHECK(yg__incident_feed(b, NULL, j, strlen(j), INT64_MIN, &r) == YG_ESTATE);
    CHECK(yg__store_commit(st) == YG_ESTATE);
    CHECK(!yg__store_in_tx(st));
    CHECK(count("select count(*) from incident_alerts") == 0);
    CHECK(count("select count(*) from incidents") == 0);
    CHECK(count("select count(*) from incident_entities") == 0);
    /* The builder goes on cleanly in the next transaction. */
    CHECK(yg__store_begin(st) == YG_OK);
    feed(b, j);
    CHECK(yg__store_commit(st) == YG_OK);
    CHECK(count("select alert_count from incidents") == 1);
    CHECK(summary_mismatches() == 0);
    yg__incident_builder_free(b);
}

static void test_mapping_errors(void)
{
    char path[160];
    snprintf(path, sizeof path, "%s/bad.yml", dir);
    FILE *f = fopen(path, "w");
    fputs("sources:\n  - logsource: {product: x}\n    acount: [user]\n", f);
    fclose(f);
    /* a failed load still gives a map, holding the reason */
    CHECK(!strcmp(yg__entity_map_errmsg(NULL), "out of memory"));
    struct yg_entity_map *m = NULL;
    CHECK(yg__entity_map_load(path, &m) == YG_ESYNTAX && m);
    CHECK_MSG(strstr(yg__entity_map_errmsg(m), "bad.yml:3:5") &&
                  strstr(yg__entity_map_errmsg(m), "acount"),
              "%s", yg__entity_map_errmsg(m));
    yg__entity_map_free(m);
    CHECK(yg__entity_map_load("/nonexistent/entities.yml", &m) != YG_OK && m);
    CHECK_MSG(strstr(yg__entity_map_errmsg(m), "/nonexistent/entities.yml: "), "%s",
              yg__entity_map_errmsg(m));
    yg__entity_map_free(m);
    /* a second `sources` list is refused, not written past the first one */
    f = fopen(path, "w");
    fputs("sources:\n  - logsource: {product: x}\n    account: [user]\n"
          "sources:\n  - logsource: {product: y}\n    host: [h]\n  - logsource: {product: z}\n"
          "    host: [h]\n",
          f);
    fclose(f);
    CHECK(yg__entity_map_load(path, &m) == YG_ESYNTAX && m);
    CHECK_MSG(strstr(yg__entity_map_errmsg(m), "bad.yml:4:1") &&
                  strstr(yg__entity_map_errmsg(m), "given twice"),
              "%s", yg__entity_map_errmsg(m));
    yg__entity_map_free(m);
    /* the shipped mapping loads, without a message */
    CHECK_MSG(yg__entity_map_load_default(YG_SOURCE_DIR, &m) == YG_OK, "%s",
              yg__entity_map_errmsg(m));
    CHECK_MSG(!strcmp(yg__entity_map_errmsg(m), ""), "%s", yg__entity_map_errmsg(m));
    yg__entity_map_free(m);
}

/* ---- the same alerts given as structs (the service's path) ------------------ */

/* Everything the builder wrote but the wall-clock times, one text. */
static void dump_incidents(struct yg_store *s, char *out, size_t cap)
{
    static const char *const q[] = {
        "SELECT id, title, level, level_num, status, first_ms, last_ms, alert_count,"
        " main_entity, coalesce(merged_into, '') FROM incidents ORDER BY id",
        "SELECT alert_id, incident_id, t_ms, seq, event_time, kind, rule_id, rule_title, level,"
        " level_num, source, entities, coalesce(parent, ''), json FROM incident_alerts"
        " ORDER BY alert_id",
        "SELECT incident_id, kind, value, alerts FROM incident_entities"
        " ORDER BY incident_id, kind, value"};
    size_t n = 0;
    out[0] = 0;
    for (size_t i = 0; i < sizeof q / sizeof *q; i++) {
        sqlite3_stmt *st2 = NULL;
        CHECK(sqlite3_prepare_v2(yg__store_sqlite(s), q[i], -1, &st2, NULL) == SQLITE_OK);
        while (st2 && sqlite3_step(st2) == SQLITE_ROW)
            for (int c = 0; c < sqlite3_column_count(st2); c++) {
                const char *t = (const char *)sqlite3_column_text(st2, c);
                int w = snprintf(out + n, cap - n, "%s%c", t ? t : "NULL",
                                 c + 1 == sqlite3_column_count(st2) ? '\n' : '|');
                if (w > 0 && (size_t)w < cap - n)
                    n += (size_t)w;
            }
        sqlite3_finalize(st2);
    }
}

#define FW_EVENT "{\"user\":\"carol\",\"remip\":\"203.0.113.5\",\"devname\":\"FGT1\"}"
#define WIN_EVENT                                                                                  \
    "{\"Event\":{\"System\":{\"Computer\":\"WS1\"},\"EventData\":{\"TargetUserName\":\"alice\"}}}"
#define INTEL_EXTRA "\"intel\":{\"type\":\"ip\",\"value\":\"198.51.100.9\",\"source\":\"feed\"}"

/* Alerts as `yagura watch` writes them, and the same alerts as structs. */
static const char *const json_alerts[] = {
    "{\"timestamp\":\"2024-05-01T10:00:00.000Z\",\"rule\":{\"id\":\"login\",\"title\":\"Login\","
    "\"level\":\"low\",\"tags\":[],\"file\":\"l.yml\"},\"logsource\":{\"product\":\"fortigate\"},"
    "\"matched\":{\"user\":\"carol\"},\"source\":{\"input\":\"fw\",\"file\":\"fw.log\",\"line\":1,"
    "\"record\":\"fw.log:1\"},\"event\":" FW_EVENT "}",
    "{\"timestamp\":\"2024-05-01T10:01:00.000Z\",\"rule\":{\"id\":\"logon\",\"title\":\"Logon\","
    "\"level\":\"medium\",\"tags\":[],\"file\":\"w.yml\"},\"logsource\":{\"product\":\"windows\"},"
    "\"matched\":{},\"source\":{\"input\":\"win\",\"file\":\"sec.json\",\"line\":0,"
    "\"record\":\"sec.json:7\"},\"event\":" WIN_EVENT "}",
    "{\"timestamp\":\"2024-05-01T10:02:00.000Z\",\"rule\":{\"id\":\"intel-ip\",\"title\":\"Intel\","
    "\"level\":\"high\",\"tags\":[],\"file\":\"\"},\"logsource\":{\"product\":\"zeek\"},"
    "\"matched\":{\"DestinationIp\":\"198.51.100.9\"}," INTEL_EXTRA ",\"source\":{\"input\":\"z\","
    "\"file\":\"conn.log\",\"line\":4,\"record\":\"conn.log:4\"},\"event\":{\"ip\":\"198.51.100."
    "9\"}}",
    "{\"id\":\"0123456789abcdef0123456789abcdef\",\"timestamp\":\"2024-05-01T10:05:00.000Z\","
    "\"rule\":{\"id\":\"chain\",\"title\":\"Chain\",\"level\":\"critical\",\"tags\":[],\"file\":"
    "\"c.yml\"},\"correlation\":{\"type\":\"temporal_ordered\",\"group\":{\"ip\":\"203.0.113.5\"},"
    "\"value\":2,\"first\":\"2024-05-01T10:00:00.000Z\",\"last\":\"2024-05-01T10:05:00.000Z\","
    "\"first_ms\":1714557600000,\"last_ms\":1714557900000,\"events\":["
    "{\"rule\":\"dl\",\"timestamp\":\"2024-05-01T10:05:00.000Z\",\"file\":\"m.json\","
    "\"record\":\"m.json:3\"},{\"rule\":\"login\",\"timestamp\":\"2024-05-01T10:00:00.000Z\","
    "\"file\":\"fw.log\",\"record\":\"fw.log:1\"}]}}",
    /* as `yagura hunt` writes them: no id, the place by file, line and index
     * (an EVTX record number is not an id), correlation events the same */
    "{\"timestamp\":\"2024-05-01T10:06:00.000Z\",\"rule\":{\"id\":\"logon\",\"title\":\"Logon\","
    "\"level\":\"medium\",\"tags\":[],\"file\":\"w.yml\"},\"logsource\":{\"product\":\"windows\"},"
    "\"matched\":{},\"source\":{\"file\":\"s.evtx\",\"line\":1,\"index\":5,\"record\":77},"
    "\"event\":" WIN_EVENT "}",
    "{\"timestamp\":\"2024-05-01T10:07:00.000Z\",\"rule\":{\"id\":\"pair\",\"title\":\"Pair\","
    "\"level\":\"high\",\"tags\":[],\"file\":\"p.yml\"},\"correlation\":{\"type\":\"event_count\","
    "\"group\":{\"user\":\"carol\"},\"value\":2,\"first\":\"2024-05-01T10:00:00.000Z\","
    "\"last\":\"2024-05-01T10:07:00.000Z\",\"events\":[{\"rule\":\"logon\",\"timestamp\":"
    "\"2024-05-01T10:06:00.000Z\",\"file\":\"s.evtx\",\"record\":77,\"index\":5},{\"rule\":"
    "\"login\",\"timestamp\":\"2024-05-01T10:00:00.000Z\",\"file\":\"fw.log\",\"line\":3,"
    "\"index\":3}]}}",
    /* no event time: the fallback stands in */
    "{\"timestamp\":\"\",\"rule\":{\"id\":\"late\",\"title\":\"Late\",\"level\":\"\",\"tags\":[],"
    "\"file\":\"x.yml\"},\"logsource\":{\"product\":\"fortigate\"},\"matched\":{},\"source\":{"
    "\"input\":\"fw\",\"file\":\"fw.log\",\"line\":9,\"record\":\"fw.log:9\"},\"event\":" FW_EVENT
    "}",
};

static void struct_alerts(struct yg_incident_alert *a)
{
    static const char *const gn[] = {"ip"}, *const gv[] = {"203.0.113.5"};
    static const char *const gn2[] = {"user"}, *const gv2[] = {"carol"};
    static const struct yg_incident_evidence ev[] = {
        {"dl", "2024-05-01T10:05:00.000Z", "m.json", "m.json:3", 0, false, 0},
        {"login", "2024-05-01T10:00:00.000Z", "fw.log", "fw.log:1", 0, false, 0}};
    static const struct yg_incident_evidence ev2[] = {
        {"logon", "2024-05-01T10:06:00.000Z", "s.evtx", NULL, 0, true, 5},
        {"login", "2024-05-01T10:00:00.000Z", "fw.log", NULL, 3, true, 3}};
#define JS(s) s, sizeof s - 1
    a[0] = (struct yg_incident_alert){.rule_id = "login",
                                      .rule_title = "Login",
                                      .level = "low",
                                      .timed = true,
                                      .t_ms = 1714557600000,
                                      .file = "fw.log",
                                      .line = 1,
                                      .record_id = "fw.log:1"};
    a[1] = (struct yg_incident_alert){.rule_id = "logon",
                                      .rule_title = "Logon",
                                      .level = "medium",
                                      .timed = true,
                                      .t_ms = 1714557660000,
                                      .file = "sec.json",
                                      .record_id = "sec.json:7"};
    a[2] = (struct yg_incident_alert){.rule_id = "intel-ip",
                                      .rule_title = "Intel",
                                      .level = "high",
                                      .timed = true,
                                      .t_ms = 1714557720000,
                                      .file = "conn.log",
                                      .line = 4,
                                      .record_id = "conn.log:4"};
    a[3] = (struct yg_incident_alert){.id = "0123456789abcdef0123456789abcdef",
                                      .rule_id = "chain",
                                      .rule_title = "Chain",
                                      .level = "critical",
                                      .timed = true,
                                      .t_ms = 1714557900000,
                                      .corr_type = "temporal_ordered",
                                      .group_names = gn,
                                      .group_values = gv,
                                      .ngroup = 1,
                                      .ev = ev,
                                      .nev = 2};
    a[4] = (struct yg_incident_alert){.rule_id = "logon",
                                      .rule_title = "Logon",
                                      .level = "medium",
                                      .timed = true,
                                      .t_ms = 1714557960000,
                                      .file = "s.evtx",
                                      .line = 1,
                                      .has_index = true,
                                      .index = 5};
    a[5] = (struct yg_incident_alert){.rule_id = "pair",
                                      .rule_title = "Pair",
                                      .level = "high",
                                      .timed = true,
                                      .t_ms = 1714558020000,
                                      .corr_type = "event_count",
                                      .group_names = gn2,
                                      .group_values = gv2,
                                      .ngroup = 1,
                                      .ev = ev2,
                                      .nev = 2};
    a[6] = (struct yg_incident_alert){.rule_id = "late",
                                      .rule_title = "Late",
                                      .level = "",
                                      .file = "fw.log",
                                      .line = 9,
                                      .record_id = "fw.log:9"};
    const char *ls[] = {"{\"product\":\"fortigate\"}", "{\"product\":\"windows\"}",
                        "{\"product\":\"zeek\"}",      NULL,
                        "{\"product\":\"windows\"}",   NULL,
                        "{\"product\":\"fortigate\"}"};
    const char *ev_json[] = {FW_EVENT, WIN_EVENT, "{\"ip\":\"198.51.100.9\"}", NULL, WIN_EVENT,
                             NULL,     FW_EVENT};
    const char *matched[] = {"{\"user\":\"carol\"}",
                             "{}",
                             "{\"DestinationIp\":\"198.51.100.9\"}",
                             NULL,
                             "{}",
                             NULL,
                             "{}"};
    for (int i = 0; i < 7; i++) {
        a[i].logsource_json = ls[i];
        a[i].logsource_len = ls[i] ? strlen(ls[i]) : 0;
        a[i].event_json = ev_json[i];
        a[i].event_len = ev_json[i] ? strlen(ev_json[i]) : 0;
        a[i].matched_json = matched[i];
        a[i].matched_len = matched[i] ? strlen(matched[i]) : 0;
        a[i].json = json_alerts[i];
        a[i].json_len = strlen(json_alerts[i]);
    }
    a[2].extra_json = INTEL_EXTRA;
    a[2].extra_len = strlen(INTEL_EXTRA);
#undef JS
}

/* The builder keeps the message of its last call: a failure names its cause,
 * the next success clears it; a builder that cannot be made says why. */
static void test_builder_errmsg(void)
{
    CHECK(!strcmp(yg__incident_errmsg(NULL), "out of memory"));
    reset_db();
    struct yg_incident_builder *b = NULL;
    CHECK(yg__incident_builder_new(st, map, 0, &b) == YG_OK);
    CHECK_MSG(!strcmp(yg__incident_errmsg(b), ""), "%s", yg__incident_errmsg(b));
    struct yg_incident_alert a[7];
    struct_alerts(a);
    struct yg_incident_alert bad = a[0];
    bad.event_json = "{\"user\":";
    bad.event_len = strlen(bad.event_json);
    CHECK(yg__incident_feed_alert(b, &bad, 0, NULL) == YG_ESYNTAX);
    CHECK_MSG(!strcmp(yg__incident_errmsg(b),
                      "an alert's event, matched fields or log source is not valid JSON"),
              "%s", yg__incident_errmsg(b));
    CHECK_MSG(yg__incident_feed_alert(b, &a[0], 0, NULL) == YG_OK, "%s", yg__incident_errmsg(b));
    CHECK_MSG(!strcmp(yg__incident_errmsg(b), ""), "%s", yg__incident_errmsg(b));
    /* a batch (even an empty one) that succeeds clears it too */
    CHECK(yg__incident_feed_alert(b, &bad, 0, NULL) == YG_ESYNTAX && yg__incident_errmsg(b)[0]);
    struct yg_incident_batch *q = NULL;
    CHECK(yg__incident_batch_new(&q) == YG_OK);
    CHECK(q && yg__incident_feed_batch(b, q) == YG_OK);
    CHECK_MSG(!strcmp(yg__incident_errmsg(b), ""), "%s", yg__incident_errmsg(b));
    yg__incident_batch_free(q);
    yg__incident_builder_free(b);

    /* A database without the incident tables: the builder says which. */
    char p3[160];
    snprintf(p3, sizeof p3, "%s/notables.db", dir);
    unlink(p3);
    struct yg_store *st3 = NULL;
    CHECK_MSG(yg__store_open(p3, &st3) == YG_OK, "%s", yg__store_errmsg(st3));
    CHECK(sqlite3_exec(yg__store_sqlite(st3), "DROP TABLE incident_entities", NULL, NULL, NULL) ==
          SQLITE_OK);
    b = NULL;
    CHECK(yg__incident_builder_new(st3, map, 0, &b) == YG_EIO && b != NULL);
    CHECK_MSG(strstr(yg__incident_errmsg(b), "preparing the incident statements: no such table: "
                                             "incident_entities"),
              "%s", yg__incident_errmsg(b));
    yg__incident_builder_free(b);
    yg__store_close(st3);
    unlink(p3);
}

/* The service gives the builder its alerts as structs: the incidents, their
 * timelines and entities must be those of the same alerts as JSON. */
static void test_struct_path(void)
{
    const int64_t fallback = 1714558000000;
    char path2[160];
    static char by_json[16384], by_struct[16384];
    reset_db();
    struct yg_incident_builder *b = NULL;
    CHECK(yg__incident_builder_new(st, map, 0, &b) == YG_OK);
    for (size_t i = 0; i < sizeof json_alerts / sizeof *json_alerts; i++)
        CHECK_MSG(yg__incident_feed(b, NULL, json_alerts[i], strlen(json_alerts[i]), fallback,
                                    NULL) == YG_OK,
                  "json %zu: %s", i, yg__incident_errmsg(b));
    yg__incident_builder_free(b);
    dump_incidents(st, by_json, sizeof by_json);

    snprintf(path2, sizeof path2, "%s/struct.db", dir);
    unlink(path2);
    struct yg_store *st2 = NULL;
    CHECK(yg__store_open(path2, &st2) == YG_OK);
    CHECK(yg__incident_builder_new(st2, map, 0, &b) == YG_OK);
    struct yg_incident_alert a[7];
    struct_alerts(a);
    for (int i = 0; i < 7; i++)
        CHECK_MSG(yg__incident_feed_alert(b, &a[i], fallback, NULL) == YG_OK, "struct %d: %s", i,
                  yg__incident_errmsg(b));
    /* an event that is not JSON is an error of that alert, said with why */
    struct yg_incident_alert bad = a[0];
    bad.record_id = "fw.log:99";
    bad.event_json = "{\"user\":";
    bad.event_len = strlen(bad.event_json);
    CHECK(yg__incident_feed_alert(b, &bad, fallback, NULL) == YG_ESYNTAX &&
          strstr(yg__incident_errmsg(b), "not valid JSON"));
    yg__incident_builder_free(b);
    dump_incidents(st2, by_struct, sizeof by_struct);
    yg__store_close(st2);
    /* the dump is not trivially empty: five alerts, a detection, entities */
    CHECK_MSG(strstr(by_json, "carol") && strstr(by_json, "alice") && strstr(by_json, "ws1") &&
                  strstr(by_json, "198.51.100.9") && strstr(by_json, "|detection|"),
              "%s", by_json);
    CHECK_MSG(strcmp(by_json, by_struct) == 0, "as JSON:\n%s\nas structs:\n%s", by_json, by_struct);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/yg-test-incident-XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 2;
    }
    snprintf(dbpath, sizeof dbpath, "%s/state.db", dir);
    char mpath[160];
    snprintf(mpath, sizeof mpath, "%s/entities.yml", dir);
    FILE *f = fopen(mpath, "w");
    fputs(MAP, f);
    fclose(f);
    if (yg__entity_map_load(mpath, &map) != YG_OK) {
        CHECK_MSG(0, "%s", yg__entity_map_errmsg(map));
        TAP_DONE();
    }
    test_normalise();
    test_grouping();
    test_correlation();
    test_running_summary(false);
    test_running_summary(true);
    test_constant_cost();
    test_rolled_back_transaction();
    test_mapping_errors();
    test_builder_errmsg();
    test_struct_path();
    yg__store_close(st);
    yg__entity_map_free(map);
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    TAP_DONE();
}
