/* Correlation rules: every type against hand-computed windows, window edges,
 * missing group-by fields, lateness, aliases, chains, generate, percentile,
 * the memory cap, and the compile errors (cycles, unknown references). */
#include "tap.h"
#include "yagura/yagura.h"

#include "core/core.h"
#include "correlate/correlate.h"
#include "match/program.h"
#include "sigma/rule.h"
#include "core/yaml.h"

#include <stdint.h>

#define S(x) ((int64_t)(x)*1000) /* seconds to ms */
#define EV(n) ((void *)(uintptr_t)(n))

#include "corr_fixture.h"

static uint32_t ridx(const struct fix *f, const char *id)
{
    for (uint32_t i = 0; i < f->rs->nrules; i++)
        if (strcmp(yg_rules_rule_id(f->rules, i), id) == 0)
            return i;
    return UINT32_MAX;
}

/* ---- alerts --------------------------------------------------------- */

struct alert {
    char title[64];
    char type[24];
    char groups[128]; /* values joined by | */
    double value;
    int64_t first, last;
    size_t nev;
    uintptr_t ev[YG_CORR_MAX_EVIDENCE];
};

struct got {
    int n;
    struct alert a[64];
};

static void on_fire(void *ud, const struct yg_corr_alert *a)
{
    struct got *g = ud;
    if (g->n >= 64)
        return;
    struct alert *x = &g->a[g->n++];
    snprintf(x->title, sizeof x->title, "%s", a->rule->title);
    snprintf(x->type, sizeof x->type, "%s", a->type);
    x->groups[0] = 0;
    for (size_t i = 0; i < a->ngroup; i++) {
        size_t l = strlen(x->groups);
        snprintf(x->groups + l, sizeof x->groups - l, "%s%s", i ? "|" : "", a->group_values[i]);
    }
    x->value = a->value;
    x->first = a->first_ms;
    x->last = a->last_ms;
    x->nev = a->nevidence;
    if (getenv("CORR_DEBUG"))
        fprintf(stderr, "alert %s groups=%s value=%g first=%lld last=%lld nev=%zu\n", x->title,
                x->groups, x->value, (long long)x->first, (long long)x->last, x->nev);
    for (size_t i = 0; i < a->nevidence; i++)
        x->ev[i] = (uintptr_t)a->evidence[i];
}

/* Feed a detection of rule `id` at t with fields given as "name=value"
 * strings (a field not listed is absent from the event). */
static yg_err feed(struct fix *f, struct yg_corr_state *st, struct got *g, const char *id,
                   int64_t t, uintptr_t ev, const char *const *kv)
{
    uint32_t r = ridx(f, id);
    if (r == UINT32_MAX)
        return YG_ENOTFOUND;
    struct yg_str vals[32];
    size_t nf = yg__corr_nfields(f->cs, r);
    for (size_t k = 0; k < nf && k < 32; k++) {
        const char *name = yg__corr_field(f->cs, r, k);
        vals[k] = (struct yg_str){NULL, 0};
        for (size_t i = 0; kv && kv[i]; i++) {
            size_t ln = strlen(name);
            if (strncmp(kv[i], name, ln) == 0 && kv[i][ln] == '=')
                vals[k] = (struct yg_str){kv[i] + ln + 1, strlen(kv[i] + ln + 1)};
        }
    }
    return yg__corr_feed(st, r, t, vals, EV(ev), on_fire, g);
}

#define KV(...) ((const char *const[]){__VA_ARGS__, NULL})

/* Detection rules used throughout: A, B, C, plus named ones. */
#define DET(id, name)                                                                              \
    "title: det " id "\nid: " id "\nname: " name "\nlogsource: {product: test}\n"                  \
    "detection:\n  sel: {k: " id "}\n  condition: sel\n---\n"
#define DETS DET("A", "rule_a") DET("B", "rule_b") DET("C", "rule_c")

/* ---- event_count and the window edges ---------------------------------- */

static void test_event_count(void)
{
    struct fix f;
    CHECK(setup(&f, DETS "title: burst\nid: EC\ncorrelation:\n  type: event_count\n"
                         "  rules: [A]\n  group-by: [User]\n  timespan: 10s\n"
                         "  condition: {gte: 3}\n") == YG_OK);
    CHECK(f.ndiag == 0);
    CHECK(yg__corr_count(f.cs) == 1);
    uint32_t a = ridx(&f, "A");
    CHECK(yg__corr_references(f.cs, a) && yg__corr_suppress(f.cs, a));
    CHECK(!yg__corr_references(f.cs, ridx(&f, "B")) && !yg__corr_suppress(f.cs, ridx(&f, "B")));
    CHECK(yg__corr_nfields(f.cs, a) == 1 && strcmp(yg__corr_field(f.cs, a, 0), "User") == 0);
    CHECK(yg__corr_field(f.cs, a, 1) == NULL);

    struct yg_corr_state *st;
    struct got g = {0};
    CHECK(yg__corr_state_new(f.cs, 0, &st) == YG_OK);
    /* alice at 0, 4, 10 s: the window ending at 10 s is [0 s, 10 s], both
     * edges included, so 0 s still counts: 3 >= 3 fires at 10 s. */
    CHECK(feed(&f, st, &g, "A", S(0), 1, KV("User=alice")) == YG_OK);
    CHECK(feed(&f, st, &g, "A", S(1), 100, KV("User=bob")) == YG_OK); /* another group */
    CHECK(feed(&f, st, &g, "A", S(4), 2, KV("User=alice")) == YG_OK);
    CHECK(g.n == 0);
    CHECK(feed(&f, st, &g, "A", S(10), 3, KV("User=alice")) == YG_OK);
    CHECK(g.n == 1);
    CHECK(strcmp(g.a[0].title, "burst") == 0 && strcmp(g.a[0].type, "event_count") == 0);
    CHECK(strcmp(g.a[0].groups, "alice") == 0);
    CHECK(g.a[0].value == 3 && g.a[0].first == S(0) && g.a[0].last == S(10));
    CHECK(g.a[0].nev == 3 && g.a[0].ev[0] == 3 && g.a[0].ev[1] == 2 && g.a[0].ev[2] == 1);
    /* Re-armed: the window was cleared.  11 s (1), 12 s (2); 21.001 s is
     * 10.001 s after 11 s, so 11 s has left: window {12, 21.001} = 2. */
    CHECK(feed(&f, st, &g, "A", S(11), 4, KV("User=alice")) == YG_OK);
    CHECK(feed(&f, st, &g, "A", S(12), 5, KV("User=alice")) == YG_OK);
    CHECK(feed(&f, st, &g, "A", S(21) + 1, 6, KV("User=alice")) == YG_OK);
    CHECK(g.n == 1);
    /* 22 s: [12 s, 22 s] holds 12, 21.001, 22 = 3: fires, first 12 s. */
    CHECK(feed(&f, st, &g, "A", S(22), 7, KV("User=alice")) == YG_OK);
    CHECK(g.n == 2 && g.a[1].value == 3 && g.a[1].first == S(12) && g.a[1].last == S(22));
    /* bob never reached 3. Detections of B (no correlation) are ignored. */
    CHECK(feed(&f, st, &g, "B", S(23), 8, NULL) == YG_OK);
    CHECK(yg__corr_feed(st, 999, S(23), NULL, NULL, on_fire, &g) == YG_EINVAL);
    struct yg_corr_stats s;
    yg__corr_stats(st, &s);
    /* Both groups are gone: alice's window was cleared by the alert, bob's
     * last detection (1 s) is older than 23 s - 10 s. */
    CHECK(s.alerts == 2 && s.dropped_late == 0 && s.groups == 0 && s.expired_groups == 2);
    yg__corr_state_free(st);
    teardown(&f);
}

/* Several comparison keys are AND'ed; lt holds at a group's first detection. */
static void test_conditions(void)
{
    struct fix f;
    CHECK(setup(&f,
                DETS "title: range\nid: R1\ncorrelation:\n  type: event_count\n"
                     "  rules: [A]\n  group-by: [User]\n  timespan: 1h\n"
                     "  condition: {gt: 1, lte: 2}\n"
                     "---\ntitle: few\nid: R2\ncorrelation:\n  type: event_count\n"
                     "  rules: [B]\n  timespan: 1h\n  condition: {lt: 2}\n"
                     "---\ntitle: not three\nid: R3\ncorrelation:\n  type: event_count\n"
                     "  rules: [C]\n  timespan: 1h\n  condition: {neq: 1, eq: 2.0}\n") == YG_OK);
    CHECK(f.ndiag == 0 && yg__corr_count(f.cs) == 3);
    struct yg_corr_state *st;
    struct got g = {0};
    CHECK(yg__corr_state_new(f.cs, 0, &st) == YG_OK);
    CHECK(feed(&f, st, &g, "A", S(0), 1, KV("User=u")) == YG_OK); /* 1: not > 1 */
    CHECK(g.n == 0);
    CHECK(feed(&f, st, &g, "A", S(1), 2, KV("User=u")) == YG_OK); /* 2: in (1, 2] */
    CHECK(g.n == 1 && g.a[0].value == 2);
    /* No group-by: one group for everything; 1 < 2 fires at once. */
    CHECK(feed(&f, st, &g, "B", S(2), 3, NULL) == YG_OK);
    CHECK(g.n == 2 && strcmp(g.a[1].title, "few") == 0 && g.a[1].value == 1);
    CHECK(feed(&f, st, &g, "C", S(3), 4, NULL) == YG_OK); /* 1: neq 1 fails */
    CHECK(feed(&f, st, &g, "C", S(4), 5, NULL) == YG_OK); /* 2: != 1 and == 2 */
    CHECK(g.n == 3 && strcmp(g.a[2].title, "not three") == 0 && g.a[2].value == 2);
    yg__corr_state_free(st);
    teardown(&f);
}

/* A missing group-by field groups with the empty value. */
static void test_missing_group_fields(void)
{
    struct fix f;
    CHECK(setup(&f, DETS "title: pair\nid: P\ncorrelation:\n  type: event_count\n"
                         "  rules: [A]\n  group-by: [User, Host]\n  timespan: 1m\n"
                         "  condition: {gte: 2}\n") == YG_OK);
    struct yg_corr_state *st;
    struct got g = {0};
    CHECK(yg__corr_state_new(f.cs, 0, &st) == YG_OK);
    CHECK(feed(&f, st, &g, "A", S(0), 1, KV("User=alice")) == YG_OK);
    CHECK(feed(&f, st, &g, "A", S(1), 2, KV("User=alice", "Host=h1")) == YG_OK);
    CHECK(g.n == 0); /* (alice, "") and (alice, h1) differ */
    CHECK(feed(&f, st, &g, "A", S(2), 3, KV("User=alice", "Host=")) == YG_OK);
    CHECK(g.n == 1 && strcmp(g.a[0].groups, "alice|") == 0); /* absent == empty */
    /* Both absent: the ("", "") group. */
    CHECK(feed(&f, st, &g, "A", S(3), 4, NULL) == YG_OK);
    CHECK(feed(&f, st, &g, "A", S(4), 5, KV("User=", "Host=")) == YG_OK);
    CHECK(g.n == 2 && strcmp(g.a[1].groups, "|") == 0);
    /* ("a|b" is a value, not a separator): ("a","bc") vs ("ab","c") differ. */
    CHECK(feed(&f, st, &g, "A", S(5), 6, KV("User=a", "Host=bc")) == YG_OK);
    CHECK(feed(&f, st, &g, "A", S(6), 7, KV("User=ab", "Host=c")) == YG_OK);
    CHECK(g.n == 2);
    yg__corr_state_free(st);
    teardown(&f);
}

/* ---- value_count ------------------------------------------------------- */

static void test_value_count(void)
{
    struct fix f;
    CHECK(setup(&f, DETS "title: spray\nid: VC\ncorrelation:\n  type: value_count\n"
                         "  rules: [A]\n  group-by: [Host]\n  timespan: 1m\n"
                         "  condition: {field: User, gte: 3}\n"
                         "---\ntitle: pairs\nid: VC2\ncorrelation:\n  type: value_count\n"
                         "  rules: [B]\n  timespan: 1m\n"
                         "  condition: {field: [User, Src], gte: 3}\n") == YG_OK);
    CHECK(f.ndiag == 0);
    uint32_t a = ridx(&f, "A");
    CHECK(yg__corr_nfields(f.cs, a) == 2);
    CHECK(strcmp(yg__corr_field(f.cs, a, 0), "Host") == 0);
    CHECK(strcmp(yg__corr_field(f.cs, a, 1), "User") == 0);
    struct yg_corr_state *st;
    struct got g = {0};
    CHECK(yg__corr_state_new(f.cs, 0, &st) == YG_OK);
    /* h1: alice, alice, bob -> 2 distinct; a detection without User adds
     * nothing; carol -> 3. */
    CHECK(feed(&f, st, &g, "A", S(0), 1, KV("Host=h1", "User=alice")) == YG_OK);
    CHECK(feed(&f, st, &g, "A", S(1), 2, KV("Host=h1", "User=alice")) == YG_OK);
    CHECK(feed(&f, st, &g, "A", S(2), 3, KV("Host=h1", "User=bob")) == YG_OK);
    CHECK(feed(&f, st, &g, "A", S(3), 4, KV("Host=h1")) == YG_OK);
    CHECK(g.n == 0);
    CHECK(feed(&f, st, &g, "A", S(4), 5, KV("Host=h1", "User=carol")) == YG_OK);
    CHECK(g.n == 1 && g.a[0].value == 3 && g.a[0].first == S(0) && g.a[0].nev == 4);
    /* h2: alice at 0 s, bob at 30 s; at 61 s the window is [1 s, 61 s]:
     * the old alice left and the new one counts once: {bob, alice} = 2.
     * carol at 62 s: {bob, alice, carol} = 3. */
    CHECK(feed(&f, st, &g, "A", S(10), 6, KV("Host=h2", "User=alice")) == YG_OK);
    CHECK(feed(&f, st, &g, "A", S(40), 7, KV("Host=h2", "User=bob")) == YG_OK);
    CHECK(feed(&f, st, &g, "A", S(71), 8, KV("Host=h2", "User=alice")) == YG_OK);
    CHECK(g.n == 1);
    CHECK(feed(&f, st, &g, "A", S(72), 9, KV("Host=h2", "User=carol")) == YG_OK);
    CHECK(g.n == 2 && g.a[1].value == 3 && g.a[1].first == S(40) &&
          strcmp(g.a[1].groups, "h2") == 0);
    /* Tuples: (u1,s1) (u1,s2) (u1,s1) (u2,s1): 3 distinct combinations. */
    CHECK(feed(&f, st, &g, "B", S(80), 10, KV("User=u1", "Src=s1")) == YG_OK);
    CHECK(feed(&f, st, &g, "B", S(81), 11, KV("User=u1", "Src=s2")) == YG_OK);
    CHECK(feed(&f, st, &g, "B", S(82), 12, KV("User=u1", "Src=s1")) == YG_OK);
    CHECK(feed(&f, st, &g, "B", S(83), 13, KV("User=u1")) == YG_OK); /* incomplete: ignored */
    CHECK(g.n == 2);
    CHECK(feed(&f, st, &g, "B", S(84), 14, KV("User=u2", "Src=s1")) == YG_OK);
    CHECK(g.n == 3 && strcmp(g.a[2].title, "pairs") == 0 && g.a[2].value == 3);
    struct yg_corr_stats s;
    yg__corr_stats(st, &s);
    CHECK(s.ignored_values == 2);
    yg__corr_state_free(st);
    teardown(&f);
}

/* ---- temporal and temporal_ordered -------------------------------------- */

static void test_temporal(void)
{
    struct fix f;
    CHECK(setup(&f, DETS "title: recon\nid: T\ncorrelation:\n  type: temporal\n"
                         "  rules: [rule_a, rule_b, C]\n  group-by: [User]\n  timespan: 5m\n"
                         "---\ntitle: two of three\nid: T2\ncorrelation:\n  type: temporal\n"
                         "  rules: [A, B, C]\n  group-by: [Host]\n  timespan: 5m\n"
                         "  condition: {gte: 2}\n") == YG_OK);
    CHECK(f.ndiag == 0);
    struct yg_corr_state *st;
    struct got g = {0};
    CHECK(yg__corr_state_new(f.cs, 0, &st) == YG_OK);
    /* A 0 s, B 60 s, A 120 s, C 301 s: at 301 s the window is [1 s, 301 s];
     * A at 0 s left but A at 120 s is in: A, B, C all seen, default
     * condition (all three) holds.  Host is absent, so for T2 everything is
     * one group: at 60 s it has A and B = 2 >= 2 and fires there. */
    CHECK(feed(&f, st, &g, "A", S(0), 1, KV("User=u")) == YG_OK);
    CHECK(feed(&f, st, &g, "B", S(60), 2, KV("User=u")) == YG_OK);
    CHECK(g.n == 1 && strcmp(g.a[0].title, "two of three") == 0 && g.a[0].value == 2);
    CHECK(feed(&f, st, &g, "A", S(120), 3, KV("User=u")) == YG_OK);
    CHECK(feed(&f, st, &g, "C", S(301), 4, KV("User=u")) == YG_OK);
    /* T2 re-armed at 60 s: A 120 s and C 301 s are 2 distinct again. */
    CHECK(g.n == 3);
    int t = strcmp(g.a[1].title, "recon") == 0 ? 1 : 2;
    CHECK(strcmp(g.a[t].type, "temporal") == 0 && g.a[t].value == 3);
    CHECK(g.a[t].first == S(60) && g.a[t].last == S(301)); /* window starts at B */
    /* A C alone, 299 s after: no B in [2 s .. ] since the re-arm. */
    CHECK(feed(&f, st, &g, "C", S(302), 5, KV("User=u")) == YG_OK);
    CHECK(g.n == 3);
    yg__corr_state_free(st);
    teardown(&f);
}

static void test_temporal_ordered(void)
{
    struct fix f;
    CHECK(setup(&f, DETS "title: chain\nid: O\ncorrelation:\n  type: temporal_ordered\n"
                         "  rules: [A, B, C]\n  group-by: [User]\n  timespan: 10m\n"
                         "---\ntitle: two in order\nid: O2\ncorrelation:\n"
                         "  type: temporal_ordered\n  rules: [A, B, C]\n  group-by: [Host]\n"
                         "  timespan: 10m\n  condition: {gte: 2}\n") == YG_OK);
    CHECK(f.ndiag == 0);
    struct yg_corr_state *st;
    struct got g = {0};
    CHECK(yg__corr_state_new(f.cs, 0, &st) == YG_OK);
    /* u: B 0, A 1m, C 2m: the longest in-order run is A,C (B came first),
     * 2 < 3.  B at 3m makes A(1m) B(3m); C at 4m completes A B C starting
     * at 1m, inside [4m - 10m, 4m]. */
    CHECK(feed(&f, st, &g, "B", S(0), 1, KV("User=u", "Host=x")) == YG_OK);
    CHECK(feed(&f, st, &g, "A", S(60), 2, KV("User=u", "Host=y")) == YG_OK);
    CHECK(feed(&f, st, &g, "C", S(120), 3, KV("User=u", "Host=z")) == YG_OK);
    CHECK(feed(&f, st, &g, "B", S(180), 4, KV("User=u", "Host=w")) == YG_OK);
    CHECK(g.n == 0);
    CHECK(feed(&f, st, &g, "C", S(240), 5, KV("User=u", "Host=v")) == YG_OK);
    CHECK(g.n == 1 && g.a[0].value == 3 && g.a[0].first == S(60) && g.a[0].last == S(240));
    /* Edge: A 1000 s, B 1300 s, C exactly 600 s after A: in; for v, C one
     * millisecond later: A is out and B,C is only 2.  (Hosts he and hv also
     * see A then B, which is 2 in order for O2, hence the alert counts.) */
    CHECK(feed(&f, st, &g, "A", S(1000), 6, KV("User=e", "Host=he")) == YG_OK);
    CHECK(feed(&f, st, &g, "B", S(1300), 7, KV("User=e", "Host=he")) == YG_OK);
    CHECK(feed(&f, st, &g, "C", S(1600), 8, KV("User=e", "Host=he")) == YG_OK);
    CHECK(g.n == 3 && strcmp(g.a[1].title, "two in order") == 0);
    CHECK(strcmp(g.a[2].title, "chain") == 0 && g.a[2].first == S(1000));
    CHECK(feed(&f, st, &g, "A", S(2000), 9, KV("User=v", "Host=hv")) == YG_OK);
    CHECK(feed(&f, st, &g, "B", S(2300), 10, KV("User=v", "Host=hv")) == YG_OK);
    CHECK(feed(&f, st, &g, "C", S(2600) + 1, 11, KV("User=v", "Host=hv")) == YG_OK);
    CHECK(g.n == 4 && strcmp(g.a[3].title, "two in order") == 0); /* hv's A, B only */
    /* O2 (gte 2 in order) per Host: C then B is out of order (1), then A
     * alone; B after A makes 2. Host x..w above each had one detection. */
    CHECK(feed(&f, st, &g, "C", S(3000), 12, KV("Host=h")) == YG_OK);
    CHECK(feed(&f, st, &g, "B", S(3001), 13, KV("Host=h")) == YG_OK);
    CHECK(feed(&f, st, &g, "A", S(3002), 14, KV("Host=h")) == YG_OK);
    CHECK(g.n == 4);
    CHECK(feed(&f, st, &g, "C", S(3003), 15, KV("Host=h")) == YG_OK); /* A then C: 2 */
    CHECK(g.n == 5 && strcmp(g.a[4].title, "two in order") == 0 && g.a[4].value == 2);
    CHECK(g.a[4].first == S(3002)); /* the chain A(3002) C(3003) */
    yg__corr_state_free(st);
    teardown(&f);
}

/* ---- value_sum, value_avg, value_percentile ------------------------------ */

static void test_value_metrics(void)
{
    struct fix f;
    CHECK(setup(&f, DETS "title: exfil\nid: VS\ncorrelation:\n  type: value_sum\n"
                         "  rules: [A]\n  group-by: [SourceIP]\n  timespan: 1h\n"
                         "  condition: {field: bytes_sent, gt: 1000}\n"
                         "---\ntitle: avg\nid: VA\ncorrelation:\n  type: value_avg\n"
                         "  rules: [B]\n  timespan: 24h\n"
                         "  condition: {field: BytesOut, gt: 500}\n"
                         "---\ntitle: p90\nid: VP\ncorrelation:\n  type: value_percentile\n"
                         "  rules: [C]\n  group-by: [svc]\n  timespan: 1h\n"
                         "  condition: {field: ms, percentile: 90, gte: 100}\n"
                         "---\ntitle: median\nid: VM\ncorrelation:\n  type: value_percentile\n"
                         "  rules: [C]\n  group-by: [svc]\n  timespan: 1h\n"
                         "  condition: {field: ms, gte: 5}\n") == YG_OK);
    CHECK(f.ndiag == 0 && yg__corr_count(f.cs) == 4);
    struct yg_corr_state *st;
    struct got g = {0};
    CHECK(yg__corr_state_new(f.cs, 0, &st) == YG_OK);
    /* 400 + 300 = 700; "abc" is no number and "0x10" no decimal: ignored;
     * + 301 = 1001 > 1000. */
    CHECK(feed(&f, st, &g, "A", S(0), 1, KV("SourceIP=1.1.1.1", "bytes_sent=400")) == YG_OK);
    CHECK(feed(&f, st, &g, "A", S(1), 2, KV("SourceIP=1.1.1.1", "bytes_sent=300")) == YG_OK);
    CHECK(feed(&f, st, &g, "A", S(2), 3, KV("SourceIP=1.1.1.1", "bytes_sent=abc")) == YG_OK);
    CHECK(feed(&f, st, &g, "A", S(3), 4, KV("SourceIP=1.1.1.1", "bytes_sent=0x10")) == YG_OK);
    CHECK(feed(&f, st, &g, "A", S(4), 5, KV("SourceIP=1.1.1.1")) == YG_OK);
    CHECK(g.n == 0);
    CHECK(feed(&f, st, &g, "A", S(5), 6, KV("SourceIP=1.1.1.1", "bytes_sent= 301 ")) == YG_OK);
    CHECK(g.n == 1 && g.a[0].value == 1001 && g.a[0].nev == 3 && g.a[0].ev[0] == 6);
    /* Sliding: 900 at 0 h, 200 at 1 h + 1 ms: 900 left, sum 200. */
    CHECK(feed(&f, st, &g, "A", S(10), 7, KV("SourceIP=2.2.2.2", "bytes_sent=900")) == YG_OK);
    CHECK(feed(&f, st, &g, "A", S(3610) + 1, 8, KV("SourceIP=2.2.2.2", "bytes_sent=2e2")) == YG_OK);
    CHECK(g.n == 1);
    /* avg: 400 -> 400; 700 -> (400 + 700) / 2 = 550 > 500. */
    CHECK(feed(&f, st, &g, "B", S(3700), 9, KV("BytesOut=400")) == YG_OK);
    CHECK(g.n == 1);
    CHECK(feed(&f, st, &g, "B", S(3701), 10, KV("BytesOut=700.0")) == YG_OK);
    CHECK(g.n == 2 && g.a[1].value == 550);
    /* p90 by nearest rank: 10, 20, ..., 90, 1000 (N = 10): rank
     * ceil(0.9 * 10) = 9 -> 90, not >= 100.  2000 (N = 11): rank
     * ceil(9.9) = 10 -> sorted 10..90, 1000, 2000 -> 1000.  The median rule
     * on the same detections: at N = 1 (10) rank 1 -> 10 >= 5 fires at once
     * and re-arms; every later single value >= 5 fires again.  Use svc "s"
     * for p90 and read the median alerts separately. */
    static const char *const ms[] = {"10", "20", "30", "40", "50", "60", "70", "80", "90", "1000"};
    for (int i = 0; i < 10; i++) {
        char kv[32];
        snprintf(kv, sizeof kv, "ms=%s", ms[i]);
        CHECK(feed(&f, st, &g, "C", S(4000 + i), 20 + (uintptr_t)i, KV("svc=s", kv)) == YG_OK);
    }
    int p90 = 0, med = 0;
    for (int i = 2; i < g.n; i++) {
        p90 += strcmp(g.a[i].title, "p90") == 0;
        med += strcmp(g.a[i].title, "median") == 0;
    }
    CHECK(p90 == 0 && med == 10);
    CHECK(feed(&f, st, &g, "C", S(4010), 30, KV("svc=s", "ms=2000")) == YG_OK);
    CHECK(strcmp(g.a[g.n - 2].title, "p90") == 0 || strcmp(g.a[g.n - 1].title, "p90") == 0);
    for (int i = 0; i < g.n; i++)
        if (strcmp(g.a[i].title, "p90") == 0)
            CHECK(g.a[i].value == 1000 && g.a[i].nev == 11 && g.a[i].first == S(4000));
    yg__corr_state_free(st);
    teardown(&f);

    /* The median (default percentile 50): 1, 9, 5 with gte 5.  N = 1: 1.
     * N = 2: rank ceil(1.0) = 1 -> 1.  N = 3: rank ceil(1.5) = 2 -> sorted
     * 1, 5, 9 -> 5 >= 5. */
    CHECK(setup(&f,
                DETS "title: median\nid: VM\ncorrelation:\n  type: value_percentile\n"
                     "  rules: [C]\n  timespan: 1h\n  condition: {field: ms, gte: 5}\n") == YG_OK);
    CHECK(yg__corr_state_new(f.cs, 0, &st) == YG_OK);
    g.n = 0;
    CHECK(feed(&f, st, &g, "C", S(0), 1, KV("ms=1")) == YG_OK);
    CHECK(feed(&f, st, &g, "C", S(1), 2, KV("ms=9")) == YG_OK);
    CHECK(g.n == 0);
    CHECK(feed(&f, st, &g, "C", S(2), 3, KV("ms=5")) == YG_OK);
    CHECK(g.n == 1 && g.a[0].value == 5);
    yg__corr_state_free(st);
    teardown(&f);
}

/* ---- lateness ------------------------------------------------------------ */

static void test_lateness(void)
{
    struct fix f;
    CHECK(setup(&f, DETS "title: burst\nid: EC\ncorrelation:\n  type: event_count\n"
                         "  rules: [A]\n  timespan: 10s\n  condition: {gte: 3}\n") == YG_OK);
    struct yg_corr_state *st;
    struct got g = {0};
    struct yg_corr_stats s;
    /* Lateness 0 (default): anything older than the newest is dropped. */
    CHECK(yg__corr_state_new(f.cs, 0, &st) == YG_OK);
    CHECK(feed(&f, st, &g, "A", S(10), 1, NULL) == YG_OK);
    CHECK(feed(&f, st, &g, "A", S(10), 2, NULL) == YG_OK); /* equal time: not late */
    CHECK(feed(&f, st, &g, "A", S(10) - 1, 3, NULL) == YG_OK);
    yg__corr_stats(st, &s);
    CHECK(s.dropped_late == 1 && g.n == 0);
    yg__corr_state_free(st);

    /* Lateness 5 s.  0 s, 20 s; 16 s (late by 4 s) is placed between them:
     * windows ending at 16 s = {16} and at 20 s = {16, 20}: 2.  14 s is 6 s
     * late: dropped.  15 s, exactly 5 s late, is accepted: windows ending at
     * 15 = {15}, 16 = {15, 16}, 20 = {15, 16, 20} = 3: fires with first 15 s
     * and last 20 s. */
    CHECK(yg__corr_state_new(f.cs, 0, &st) == YG_OK);
    yg__corr_set_lateness(st, S(5));
    CHECK(feed(&f, st, &g, "A", S(0), 1, NULL) == YG_OK);
    CHECK(feed(&f, st, &g, "A", S(20), 2, NULL) == YG_OK);
    CHECK(feed(&f, st, &g, "A", S(16), 3, NULL) == YG_OK);
    CHECK(g.n == 0);
    CHECK(feed(&f, st, &g, "A", S(14), 4, NULL) == YG_OK);
    yg__corr_stats(st, &s);
    CHECK(s.dropped_late == 1 && g.n == 0);
    CHECK(feed(&f, st, &g, "A", S(15), 5, NULL) == YG_OK);
    CHECK(g.n == 1 && g.a[0].value == 3 && g.a[0].first == S(15) && g.a[0].last == S(20));
    CHECK(g.a[0].nev == 3 && g.a[0].ev[0] == 2 && g.a[0].ev[1] == 3 && g.a[0].ev[2] == 5);
    yg__corr_state_free(st);

    /* The window that completes may end neither at the late detection nor
     * at the newest one.  Lateness 30 s: 5, 20, 24, 40 s in order, then 15 s:
     * ending at 15: [5, 15] = {5, 15} 2; at 20: [10, 20] = {15, 20} 2; at 24:
     * [14, 24] = {15, 20, 24} 3 -> fires (first 15, last 24); the window is
     * cleared up to 24 s and 40 s is tested alone: [30, 40] = 1. */
    g.n = 0;
    CHECK(yg__corr_state_new(f.cs, 0, &st) == YG_OK);
    yg__corr_set_lateness(st, S(30));
    CHECK(feed(&f, st, &g, "A", S(5), 1, NULL) == YG_OK);
    CHECK(feed(&f, st, &g, "A", S(20), 2, NULL) == YG_OK);
    CHECK(feed(&f, st, &g, "A", S(24), 3, NULL) == YG_OK);
    CHECK(feed(&f, st, &g, "A", S(40), 4, NULL) == YG_OK);
    CHECK(g.n == 0);
    CHECK(feed(&f, st, &g, "A", S(15), 5, NULL) == YG_OK);
    CHECK(g.n == 1 && g.a[0].first == S(15) && g.a[0].last == S(24) && g.a[0].value == 3);
    /* 41, 42 s: with 40 s that is 3 again (the cleared ones stay gone). */
    CHECK(feed(&f, st, &g, "A", S(41), 6, NULL) == YG_OK);
    CHECK(g.n == 1);
    CHECK(feed(&f, st, &g, "A", S(42), 7, NULL) == YG_OK);
    CHECK(g.n == 2 && g.a[1].first == S(40));
    yg__corr_state_free(st);
    teardown(&f);
}

/* ---- aliases (the specification's example) ------------------------------ */

static void test_aliases(void)
{
    struct fix f;
    CHECK(setup(&f,
                "title: internal error\nid: IE\nname: internal_error\nlogsource: {product: test}\n"
                "detection:\n  sel: {http.response.status_code: 500}\n  condition: sel\n---\n"
                "title: new connection\nid: NC\nname: new_network_connection\n"
                "logsource: {product: test}\n"
                "detection:\n  sel: {event.category: network}\n  condition: sel\n---\n"
                "title: aliased\nid: AL\ncorrelation:\n  type: temporal\n"
                "  rules: [internal_error, new_network_connection]\n"
                "  group-by: [internal_ip, remote_ip]\n  timespan: 10s\n  aliases:\n"
                "    internal_ip:\n      internal_error: destination.ip\n"
                "      new_network_connection: source.ip\n"
                "    remote_ip:\n      internal_error: source.ip\n"
                "      new_network_connection: destination.ip\n") == YG_OK);
    CHECK(f.ndiag == 0 && yg__corr_count(f.cs) == 1);
    uint32_t ie = ridx(&f, "IE"), nc = ridx(&f, "NC");
    CHECK(yg__corr_nfields(f.cs, ie) == 2 && yg__corr_nfields(f.cs, nc) == 2);
    CHECK(strcmp(yg__corr_field(f.cs, ie, 0), "destination.ip") == 0);
    CHECK(strcmp(yg__corr_field(f.cs, ie, 1), "source.ip") == 0);
    CHECK(strcmp(yg__corr_field(f.cs, nc, 0), "source.ip") == 0);
    CHECK(strcmp(yg__corr_field(f.cs, nc, 1), "destination.ip") == 0);
    struct yg_corr_state *st;
    struct got g = {0};
    CHECK(yg__corr_state_new(f.cs, 0, &st) == YG_OK);
    /* The error is served to 10.0.0.1 from 1.2.3.4; a connection from
     * 1.2.3.4 to 10.0.0.1 is the other direction: no match.  One from
     * 10.0.0.1 to 1.2.3.4 within 10 s is. */
    CHECK(feed(&f, st, &g, "IE", S(0), 1, KV("destination.ip=10.0.0.1", "source.ip=1.2.3.4")) ==
          YG_OK);
    CHECK(feed(&f, st, &g, "NC", S(1), 2, KV("source.ip=1.2.3.4", "destination.ip=10.0.0.1")) ==
          YG_OK);
    CHECK(g.n == 0);
    CHECK(feed(&f, st, &g, "NC", S(2), 3, KV("source.ip=10.0.0.1", "destination.ip=1.2.3.4")) ==
          YG_OK);
    CHECK(g.n == 1 && strcmp(g.a[0].groups, "10.0.0.1|1.2.3.4") == 0 && g.a[0].value == 2);
    yg__corr_state_free(st);
    teardown(&f);
}

/* ---- chains and generate (the specification's complete example) --------- */

static const char chain_yaml_head[] =
    "title: Correlation - Multiple Failed Logins Followed by Successful Login\n"
    "id: b180ead8-d58f-40b2-ae54-c8940995b9b6\n"
    "correlation:\n    type: temporal_ordered\n    rules:\n        - multiple_failed_login\n"
    "        - successful_login\n    group-by:\n        - User\n    timespan: 10m\n";
static const char chain_yaml_tail[] =
    "level: high\n---\n"
    "title: Multiple failed logons\nid: a8418a5a-5fc4-46b5-b23b-6c73beb19d41\n"
    "name: multiple_failed_login\ncorrelation:\n    type: event_count\n    rules:\n"
    "        - failed_login\n    group-by:\n        - User\n    timespan: 10m\n"
    "    condition:\n        gte: 3\n---\n"
    "title: Single failed login\nid: 53ba33fd-3a50-4468-a5ef-c583635cfa92\nname: failed_login\n"
    "logsource:\n    product: windows\n    service: security\ndetection:\n    selection:\n"
    "        EventID:\n            - 529\n            - 4625\n    condition: selection\n---\n"
    "title: Successful login\nid: 4d0a2c83-c62c-4ed4-b475-c7e23a9269b8\n"
    "name: successful_login\nlogsource:\n    product: windows\n    service: security\n"
    "detection:\n    selection:\n        EventID:\n            - 528\n            - 4624\n"
    "    condition: selection\n";

#define FAILED "53ba33fd-3a50-4468-a5ef-c583635cfa92"
#define SUCCESS "4d0a2c83-c62c-4ed4-b475-c7e23a9269b8"

/* ---- one correlation at a time (the correlate stage of docs/kafka.md) ---- */

static void values_of(struct fix *f, uint32_t r, const char *const *kv, struct yg_str *vals)
{
    size_t nf = yg__corr_nfields(f->cs, r);
    for (size_t k = 0; k < nf && k < 32; k++) {
        const char *name = yg__corr_field(f->cs, r, k);
        vals[k] = (struct yg_str){NULL, 0};
        for (size_t i = 0; kv && kv[i]; i++) {
            size_t ln = strlen(name);
            if (strncmp(kv[i], name, ln) == 0 && kv[i][ln] == '=')
                vals[k] = (struct yg_str){kv[i] + ln + 1, strlen(kv[i] + ln + 1)};
        }
    }
}

/* Rule A feeds two correlations with different group-by fields: the key of
 * each is that correlation's group value, and feeding one leaves the other
 * untouched.  With aliases, two rules' detections of one group share a key. */
static void test_feed_one(void)
{
    struct fix f;
    CHECK(setup(&f, DETS "title: by user\nid: U\ncorrelation:\n  type: event_count\n"
                         "  rules: [A]\n  group-by: [User]\n  timespan: 10s\n"
                         "  condition: {gte: 2}\n---\n"
                         "title: by host\nid: H\ncorrelation:\n  type: event_count\n"
                         "  rules: [A]\n  group-by: [Host]\n  timespan: 10s\n"
                         "  condition: {gte: 2}\n") == YG_OK);
    CHECK(f.ndiag == 0 && yg__corr_count(f.cs) == 2);
    uint32_t a = ridx(&f, "A");
    CHECK(yg__corr_nfeeds(f.cs, a) == 2 && yg__corr_nfeeds(f.cs, ridx(&f, "B")) == 0);
    size_t su = SIZE_MAX, sh = SIZE_MAX;
    for (size_t s = 0; s < yg__corr_nfeeds(f.cs, a); s++) {
        const char *id = yg__corr_rule(f.cs, yg__corr_feed_target(f.cs, a, s))->id;
        if (strcmp(id, "U") == 0)
            su = s;
        else if (strcmp(id, "H") == 0)
            sh = s;
    }
    CHECK(su != SIZE_MAX && sh != SIZE_MAX);
    struct yg_str vals[32];
    values_of(&f, a, KV("User=alice", "Host=h1"), vals);
    struct yg_buf key;
    yg_buf_init(&key, 1024);
    CHECK(yg__corr_partition_key(f.cs, a, su, vals, &key) == YG_OK);
    CHECK(key.n == 7 && memcmp(key.p,
                               "U\x1f"
                               "alice",
                               7) == 0);
    yg_buf_reset(&key);
    CHECK(yg__corr_partition_key(f.cs, a, sh, vals, &key) == YG_OK);
    CHECK(key.n == 4 && memcmp(key.p,
                               "H\x1f"
                               "h1",
                               4) == 0);
    struct yg_corr_state *st;
    struct got g = {0};
    CHECK(yg__corr_state_new(f.cs, 0, &st) == YG_OK);
    /* Twice to "by user" only: it fires; "by host" saw nothing. */
    CHECK(yg__corr_feed_one(st, a, su, S(0), vals, EV(1), on_fire, &g) == YG_OK);
    CHECK(yg__corr_feed_one(st, a, su, S(1), vals, EV(2), on_fire, &g) == YG_OK);
    CHECK(g.n == 1 && strcmp(g.a[0].title, "by user") == 0 && g.a[0].value == 2);
    CHECK(yg__corr_feed_one(st, a, sh, S(2), vals, EV(3), on_fire, &g) == YG_OK);
    CHECK(g.n == 1);
    CHECK(yg__corr_feed_one(st, a, 2, S(3), vals, EV(4), on_fire, &g) == YG_EINVAL);
    yg__corr_state_free(st);
    teardown(&f);

    /* Aliases: the error served to 10.0.0.1 and the connection from it are
     * one group of "aliased", and have one key. */
    CHECK(setup(&f,
                "title: internal error\nid: IE\nname: internal_error\nlogsource: {product: test}\n"
                "detection:\n  sel: {http.response.status_code: 500}\n  condition: sel\n---\n"
                "title: new connection\nid: NC\nname: new_network_connection\n"
                "logsource: {product: test}\n"
                "detection:\n  sel: {event.category: network}\n  condition: sel\n---\n"
                "title: aliased\nid: AL\ncorrelation:\n  type: temporal\n"
                "  rules: [internal_error, new_network_connection]\n"
                "  group-by: [internal_ip, remote_ip]\n  timespan: 10s\n  aliases:\n"
                "    internal_ip:\n      internal_error: destination.ip\n"
                "      new_network_connection: source.ip\n"
                "    remote_ip:\n      internal_error: source.ip\n"
                "      new_network_connection: destination.ip\n") == YG_OK);
    uint32_t ie = ridx(&f, "IE"), nc = ridx(&f, "NC");
    struct yg_buf k2;
    yg_buf_init(&k2, 1024);
    yg_buf_reset(&key);
    values_of(&f, ie, KV("destination.ip=10.0.0.1", "source.ip=1.2.3.4"), vals);
    CHECK(yg__corr_partition_key(f.cs, ie, 0, vals, &key) == YG_OK);
    values_of(&f, nc, KV("source.ip=10.0.0.1", "destination.ip=1.2.3.4"), vals);
    CHECK(yg__corr_partition_key(f.cs, nc, 0, vals, &k2) == YG_OK);
    CHECK(key.n == k2.n && key.n == 19 && memcmp(key.p, k2.p, key.n) == 0);
    yg_buf_free(&k2);
    teardown(&f);

    /* A chain: failed logins feed the inner event_count, which feeds the
     * outer temporal_ordered one; the successful login feeds the outer
     * directly.  Both detections of one user share the outer's key. */
    char yaml[4096];
    snprintf(yaml, sizeof yaml, "%s%s", chain_yaml_head, chain_yaml_tail);
    CHECK(setup(&f, yaml) == YG_OK && f.ndiag == 0);
    uint32_t fl = ridx(&f, FAILED), ok = ridx(&f, SUCCESS);
    CHECK(yg__corr_nfeeds(f.cs, fl) == 1 && yg__corr_nfeeds(f.cs, ok) == 1);
    yg_buf_reset(&key);
    values_of(&f, fl, KV("User=bob"), vals);
    CHECK(yg__corr_partition_key(f.cs, fl, 0, vals, &key) == YG_OK);
    struct yg_buf k3;
    yg_buf_init(&k3, 1024);
    values_of(&f, ok, KV("User=bob"), vals);
    CHECK(yg__corr_partition_key(f.cs, ok, 0, vals, &k3) == YG_OK);
    CHECK(key.n == k3.n && memcmp(key.p, k3.p, key.n) == 0);
    CHECK(key.n == 40 && memcmp(key.p,
                                "b180ead8-d58f-40b2-ae54-c8940995b9b6\x1f"
                                "bob",
                                40) == 0);
    yg_buf_free(&k3);
    yg_buf_free(&key);
    teardown(&f);
}

/* Fan-out: inner I (rule A by User and Host, two detections) feeds outer X
 * (by User, with B) and outer Y (by Host, with C).  A's detection is
 * published twice, copy k keyed by outer chain k; fed by copy, I's windows
 * are per copy, I alerts once (from copy 0) and each copy's I alert reaches
 * its own chain only: the same alerts as feeding everything as a whole,
 * whether both copies reach one state or two. */
static int count_title(const struct got *g, const char *title)
{
    int n = 0;
    for (int i = 0; i < g->n; i++)
        n += strcmp(g->a[i].title, title) == 0;
    return n;
}

static void test_fan_out(void)
{
    struct fix f;
    CHECK(setup(&f, DETS "title: inner\nid: I\nname: inner\ncorrelation:\n  type: event_count\n"
                         "  rules: [A]\n  group-by: [User, Host]\n  timespan: 10s\n"
                         "  condition: {gte: 2}\n---\n"
                         "title: by user\nid: X\ncorrelation:\n  type: temporal\n"
                         "  rules: [inner, B]\n  group-by: [User]\n  timespan: 10s\n"
                         "  generate: true\n---\n"
                         "title: by host\nid: Y\ncorrelation:\n  type: temporal\n"
                         "  rules: [inner, C]\n  group-by: [Host]\n  timespan: 10s\n"
                         "  generate: true\n") == YG_OK);
    CHECK(f.ndiag == 0 && yg__corr_count(f.cs) == 3);
    uint32_t a = ridx(&f, "A"), b = ridx(&f, "B"), c = ridx(&f, "C");
    CHECK(yg__corr_nfeeds(f.cs, a) == 1 && yg__corr_ncopies(f.cs, a, 0) == 2);
    CHECK(yg__corr_ncopies(f.cs, b, 0) == 1 && yg__corr_ncopies(f.cs, c, 0) == 1);
    struct yg_str va[32], vb[32], vc[32];
    values_of(&f, a, KV("User=alice", "Host=h1"), va);
    values_of(&f, b, KV("User=alice"), vb);
    values_of(&f, c, KV("Host=h1"), vc);
    /* Copy k carries chain k's key: that of the chain's own detections. */
    struct yg_buf k0, k1, kb, kc;
    yg_buf_init(&k0, 1024);
    yg_buf_init(&k1, 1024);
    yg_buf_init(&kb, 1024);
    yg_buf_init(&kc, 1024);
    CHECK(yg__corr_partition_key_copy(f.cs, a, 0, 0, va, &k0) == YG_OK);
    CHECK(yg__corr_partition_key_copy(f.cs, a, 0, 1, va, &k1) == YG_OK);
    CHECK(yg__corr_partition_key(f.cs, b, 0, vb, &kb) == YG_OK);
    CHECK(yg__corr_partition_key(f.cs, c, 0, vc, &kc) == YG_OK);
    CHECK(kb.n == 7 && memcmp(kb.p,
                              "X\x1f"
                              "alice",
                              7) == 0);
    CHECK(kc.n == 4 && memcmp(kc.p,
                              "Y\x1f"
                              "h1",
                              4) == 0);
    /* kx: the copy for X. */
    size_t kx = k0.n == kb.n && memcmp(k0.p, kb.p, kb.n) == 0 ? 0 : 1, ky = 1 - kx;
    const struct yg_buf *cx = kx ? &k1 : &k0, *cy = kx ? &k0 : &k1;
    CHECK(cx->n == kb.n && memcmp(cx->p, kb.p, kb.n) == 0);
    CHECK(cy->n == kc.n && memcmp(cy->p, kc.p, kc.n) == 0);
    yg_buf_free(&k0);
    yg_buf_free(&k1);
    yg_buf_free(&kb);
    yg_buf_free(&kc);

    /* As a whole (hunt, watch): I once, X once, Y once. */
    struct yg_corr_state *st;
    struct got whole = {0};
    CHECK(yg__corr_state_new(f.cs, 0, &st) == YG_OK);
    CHECK(yg__corr_feed(st, a, S(0), va, EV(1), on_fire, &whole) == YG_OK);
    CHECK(yg__corr_feed(st, a, S(1), va, EV(2), on_fire, &whole) == YG_OK);
    CHECK(yg__corr_feed(st, b, S(2), vb, EV(3), on_fire, &whole) == YG_OK);
    CHECK(yg__corr_feed(st, c, S(3), vc, EV(4), on_fire, &whole) == YG_OK);
    CHECK(whole.n == 3 && count_title(&whole, "inner") == 1 &&
          count_title(&whole, "by user") == 1 && count_title(&whole, "by host") == 1);
    yg__corr_state_free(st);

    /* Both copies in one state (one instance owns both partitions): I's
     * windows are per copy, so two detections do not count four times. */
    struct got one = {0};
    CHECK(yg__corr_state_new(f.cs, 0, &st) == YG_OK);
    CHECK(yg__corr_feed_copy(st, a, 0, 0, S(0), va, EV(1), on_fire, &one) == YG_OK);
    CHECK(yg__corr_feed_copy(st, a, 0, 1, S(0), va, EV(1), on_fire, &one) == YG_OK);
    CHECK(one.n == 0);
    CHECK(yg__corr_feed_copy(st, a, 0, kx, S(1), va, EV(2), on_fire, &one) == YG_OK);
    CHECK(yg__corr_feed_copy(st, a, 0, ky, S(1), va, EV(2), on_fire, &one) == YG_OK);
    CHECK(one.n == 1 && count_title(&one, "inner") == 1);
    CHECK(yg__corr_feed_copy(st, b, 0, 0, S(2), vb, EV(3), on_fire, &one) == YG_OK);
    CHECK(yg__corr_feed_copy(st, c, 0, 0, S(3), vc, EV(4), on_fire, &one) == YG_OK);
    CHECK(one.n == 3 && count_title(&one, "inner") == 1 && count_title(&one, "by user") == 1 &&
          count_title(&one, "by host") == 1);
    CHECK(yg__corr_feed_copy(st, a, 0, 2, S(4), va, EV(5), on_fire, &one) == YG_EINVAL);
    yg__corr_state_free(st);

    /* Two states (two instances): each chain's copy and detections on its
     * own; I alerts only where copy 0 went, each chain once. */
    struct got gx = {0}, gy = {0};
    struct yg_corr_state *sx = NULL, *sy = NULL;
    CHECK(yg__corr_state_new(f.cs, 0, &sx) == YG_OK);
    CHECK(yg__corr_state_new(f.cs, 0, &sy) == YG_OK);
    CHECK(yg__corr_feed_copy(sx, a, 0, kx, S(0), va, EV(1), on_fire, &gx) == YG_OK);
    CHECK(yg__corr_feed_copy(sy, a, 0, ky, S(0), va, EV(1), on_fire, &gy) == YG_OK);
    CHECK(yg__corr_feed_copy(sx, a, 0, kx, S(1), va, EV(2), on_fire, &gx) == YG_OK);
    CHECK(yg__corr_feed_copy(sy, a, 0, ky, S(1), va, EV(2), on_fire, &gy) == YG_OK);
    CHECK(yg__corr_feed_one(sx, b, 0, S(2), vb, EV(3), on_fire, &gx) == YG_OK);
    CHECK(yg__corr_feed_one(sy, c, 0, S(3), vc, EV(4), on_fire, &gy) == YG_OK);
    CHECK(count_title(&gx, "by user") == 1 && count_title(&gx, "by host") == 0);
    CHECK(count_title(&gy, "by host") == 1 && count_title(&gy, "by user") == 0);
    CHECK(count_title(&gx, "inner") == (kx == 0) && count_title(&gy, "inner") == (ky == 0));
    CHECK(gx.n + gy.n == 3);
    yg__corr_state_free(sx);
    yg__corr_state_free(sy);
    teardown(&f);
}

static void test_chain(bool generate)
{
    char yaml[4096];
    snprintf(yaml, sizeof yaml, "%s%s%s", chain_yaml_head, generate ? "    generate: true\n" : "",
             chain_yaml_tail);
    struct fix f;
    CHECK(setup(&f, yaml) == YG_OK);
    CHECK(f.ndiag == 0 && yg__corr_count(f.cs) == 2);
    uint32_t fl = ridx(&f, FAILED), ok = ridx(&f, SUCCESS);
    /* failed_login is referenced by the inner correlation only, which does
     * not generate; successful_login by the outer one. */
    CHECK(yg__corr_references(f.cs, fl) && yg__corr_suppress(f.cs, fl));
    CHECK(yg__corr_references(f.cs, ok) && yg__corr_suppress(f.cs, ok) == !generate);
    struct yg_corr_state *st;
    struct got g = {0};
    CHECK(yg__corr_state_new(f.cs, 0, &st) == YG_OK);
    /* alice fails at 0, 10, 20 s: the inner event_count fires at 20 s and
     * is one detection of the outer correlation's first rule; a success at
     * 30 s completes the ordered pair.  A success before the failures does
     * not count (order). */
    CHECK(feed(&f, st, &g, SUCCESS, S(0), 1, KV("User=alice")) == YG_OK);
    CHECK(feed(&f, st, &g, FAILED, S(1), 2, KV("User=alice")) == YG_OK);
    CHECK(feed(&f, st, &g, FAILED, S(10), 3, KV("User=alice")) == YG_OK);
    CHECK(feed(&f, st, &g, FAILED, S(11), 9, KV("User=bob")) == YG_OK);
    CHECK(feed(&f, st, &g, FAILED, S(20), 4, KV("User=alice")) == YG_OK);
    /* The inner alert is delivered only when the outer says generate. */
    CHECK(g.n == (generate ? 1 : 0));
    if (generate)
        CHECK(strcmp(g.a[0].title, "Multiple failed logons") == 0 && g.a[0].value == 3 &&
              g.a[0].ev[0] == 4);
    CHECK(feed(&f, st, &g, SUCCESS, S(30), 5, KV("User=alice")) == YG_OK);
    CHECK(g.n == (generate ? 2 : 1));
    struct alert *o = &g.a[g.n - 1];
    CHECK(strncmp(o->title, "Correlation - Multiple", 22) == 0);
    CHECK(strcmp(o->type, "temporal_ordered") == 0 && strcmp(o->groups, "alice") == 0);
    CHECK(o->value == 2 && o->first == S(20) && o->last == S(30));
    /* The outer window holds the early success (1), the inner alert (the
     * evidence of its completing detection, 4) and the success (5). */
    CHECK(o->nev == 3 && o->ev[0] == 5 && o->ev[1] == 4 && o->ev[2] == 1);
    /* bob: a success without enough failures. */
    CHECK(feed(&f, st, &g, SUCCESS, S(31), 10, KV("User=bob")) == YG_OK);
    CHECK(g.n == (generate ? 2 : 1));
    yg__corr_state_free(st);
    teardown(&f);
}

/* ---- memory cap: oldest groups go first ------------------------------ */

static void test_memory_cap(void)
{
    struct fix f;
    CHECK(setup(&f, DETS "title: burst\nid: EC\ncorrelation:\n  type: event_count\n"
                         "  rules: [A]\n  group-by: [User]\n  timespan: 1h\n"
                         "  condition: {gte: 3}\n") == YG_OK);
    struct yg_corr_state *st;
    struct got g = {0};
    struct yg_corr_stats s;
    /* Measure: a fresh state, then one group with one detection. */
    CHECK(yg__corr_state_new(f.cs, 0, &st) == YG_OK);
    yg__corr_stats(st, &s);
    size_t base = s.bytes;
    CHECK(feed(&f, st, &g, "A", S(0), 1, KV("User=a")) == YG_OK);
    yg__corr_stats(st, &s);
    size_t per = s.bytes - base;
    yg__corr_state_free(st);
    CHECK(per > 0);

    /* Room for three one-letter groups of up to four detections. */
    CHECK(yg__corr_state_new(f.cs, base + 3 * per + per / 2, &st) == YG_OK);
    CHECK(feed(&f, st, &g, "A", S(1), 1, KV("User=a")) == YG_OK);
    CHECK(feed(&f, st, &g, "A", S(2), 2, KV("User=b")) == YG_OK);
    CHECK(feed(&f, st, &g, "A", S(3), 3, KV("User=c")) == YG_OK);
    CHECK(feed(&f, st, &g, "A", S(4), 4, KV("User=a")) == YG_OK); /* a updated: b is oldest */
    yg__corr_stats(st, &s);
    CHECK(s.evicted_groups == 0 && s.groups == 3);
    CHECK(feed(&f, st, &g, "A", S(5), 5, KV("User=d")) == YG_OK); /* over the cap: b goes */
    yg__corr_stats(st, &s);
    CHECK(s.evicted_groups == 1 && s.dropped_mem == 1 && s.groups == 3);
    CHECK(s.bytes <= base + 3 * per + per / 2);
    /* a kept its two: a third fires.  b restarts at one (evicted with its
     * detection at 2 s; c is now the oldest and goes when b comes back),
     * so two more b are 2 < 3. */
    CHECK(feed(&f, st, &g, "A", S(6), 6, KV("User=a")) == YG_OK);
    CHECK(g.n == 1 && strcmp(g.a[0].groups, "a") == 0);
    CHECK(feed(&f, st, &g, "A", S(7), 7, KV("User=b")) == YG_OK);
    CHECK(feed(&f, st, &g, "A", S(8), 8, KV("User=b")) == YG_OK);
    CHECK(g.n == 1);
    yg__corr_stats(st, &s);
    CHECK(s.evicted_groups >= 2 && s.bytes <= base + 3 * per + per / 2);
    yg__corr_state_free(st);

    /* A cap below one group: every group is evicted after its detection. */
    CHECK(yg__corr_state_new(f.cs, 1, &st) == YG_OK);
    for (int i = 0; i < 5; i++)
        CHECK(feed(&f, st, &g, "A", S(10 + i), 1, KV("User=a")) == YG_OK);
    yg__corr_stats(st, &s);
    CHECK(s.groups == 0 && s.evicted_groups == 5 && g.n == 1);
    yg__corr_state_free(st);
    teardown(&f);
}

/* Groups whose window ran out are freed without any cap pressure. */
static void test_expiry(void)
{
    struct fix f;
    CHECK(setup(&f, DETS "title: burst\nid: EC\ncorrelation:\n  type: event_count\n"
                         "  rules: [A]\n  group-by: [User]\n  timespan: 10s\n"
                         "  condition: {gte: 3}\n") == YG_OK);
    struct yg_corr_state *st;
    struct got g = {0};
    struct yg_corr_stats s;
    CHECK(yg__corr_state_new(f.cs, 0, &st) == YG_OK);
    char kv[32];
    for (int i = 0; i < 100; i++) {
        snprintf(kv, sizeof kv, "User=u%d", i);
        CHECK(feed(&f, st, &g, "A", S(i), 1, KV(kv)) == YG_OK);
    }
    /* At 99 s only users of [89 s, 99 s] can still matter: at most 11
     * groups plus the few the incremental sweep has not reached. */
    yg__corr_stats(st, &s);
    CHECK(s.groups <= 11 + 8 && s.expired_groups >= 100 - 19);
    yg__corr_state_free(st);
    teardown(&f);
}

/* ---- evidence hooks: every hold is released ------------------------------ */

static long holds;
static void ev_hold(void *ud, void *ev)
{
    (void)ud;
    (void)ev;
    holds++;
}
static void ev_release(void *ud, void *ev)
{
    (void)ud;
    (void)ev;
    holds--;
}

static void test_evidence_hooks(void)
{
    char yaml[4096];
    snprintf(yaml, sizeof yaml, "%s%s", chain_yaml_head, chain_yaml_tail);
    struct fix f;
    CHECK(setup(&f, yaml) == YG_OK);
    struct yg_corr_state *st;
    struct got g = {0};
    CHECK(yg__corr_state_new(f.cs, 0, &st) == YG_OK);
    yg__corr_set_evidence_hooks(st, ev_hold, ev_release, NULL);
    for (int i = 0; i < 50; i++)
        CHECK(feed(&f, st, &g, i % 4 == 3 ? SUCCESS : FAILED, S(i * 7), 1 + (uintptr_t)i,
                   KV(i % 2 ? "User=a" : "User=b")) == YG_OK);
    CHECK(holds > 0);
    yg__corr_state_free(st);
    CHECK(holds == 0);
    teardown(&f);
}

/* ---- compile errors ------------------------------------------------------ */

static bool has_diag(const struct fix *f, const char *part)
{
    for (int i = 0; i < f->ndiag && i < 8; i++)
        if (strstr(f->diag[i], part))
            return true;
    return false;
}

static void test_errors(void)
{
    struct fix f;
    /* Unknown reference, with its position: DETS is three documents of
     * eight lines, so the correlation document starts on line 25. */
    static const char unknown[] = DETS "title: bad ref\n"      /* line 25 */
                                       "id: U\n"               /* 26 */
                                       "correlation:\n"        /* 27 */
                                       "  type: event_count\n" /* 28 */
                                       "  rules:\n"            /* 29 */
                                       "    - A\n"             /* 30 */
                                       "    - nosuch\n"        /* 31, column 7 */
                                       "  timespan: 1m\n"
                                       "  condition: {gte: 1}\n";
    CHECK(setup(&f, unknown) == YG_OK);
    CHECK(yg__corr_count(f.cs) == 0 && f.ndiag == 1);
    CHECK(has_diag(&f, "unknown rule 'nosuch'"));
    CHECK_MSG(f.dline[0] == 31 && f.dcol[0] == 7, "at %u:%u", f.dline[0], f.dcol[0]);
    CHECK(!yg__corr_references(f.cs, ridx(&f, "A")));
    teardown(&f);

    /* Cycles: X <-> Y, Z -> Z, and W depends on X so it is left out too;
     * V is fine. */
    CHECK(setup(&f, DETS "title: x\nid: X\ncorrelation: {type: event_count, rules: [Y, A], "
                         "timespan: 1m, condition: {gte: 1}}\n---\n"
                         "title: y\nid: Y\ncorrelation: {type: event_count, rules: [X], "
                         "timespan: 1m, condition: {gte: 1}}\n---\n"
                         "title: z\nid: Z\ncorrelation: {type: event_count, rules: [Z], "
                         "timespan: 1m, condition: {gte: 1}}\n---\n"
                         "title: w\nid: W\ncorrelation: {type: event_count, rules: [X], "
                         "timespan: 1m, condition: {gte: 1}}\n---\n"
                         "title: v\nid: V\ncorrelation: {type: event_count, rules: [B], "
                         "timespan: 1m, condition: {gte: 1}}\n") == YG_OK);
    CHECK(yg__corr_count(f.cs) == 1 && strcmp(yg__corr_rule(f.cs, 0)->id, "V") == 0);
    CHECK(has_diag(&f, "cycle") && has_diag(&f, "was left out"));
    CHECK(!yg__corr_references(f.cs, ridx(&f, "A")) && yg__corr_references(f.cs, ridx(&f, "B")));
    teardown(&f);

    /* A detection rule that failed to compile is named as such. */
    CHECK(setup(&f, DETS "title: broken\nid: BR\nlogsource: {product: test}\n"
                         "detection:\n  sel: {k|nosuchmodifier: 1}\n  condition: sel\n---\n"
                         "title: c\nid: CB\ncorrelation: {type: event_count, rules: [BR], "
                         "timespan: 1m, condition: {gte: 1}}\n") == YG_OK);
    CHECK(yg__corr_count(f.cs) == 0 && has_diag(&f, "did not compile"));
    teardown(&f);

    /* Aliases: a rule the correlation does not reference; a referenced rule
     * the alias has no field for. */
    CHECK(setup(&f, DETS "title: a1\nid: AL1\ncorrelation:\n  type: temporal\n"
                         "  rules: [A, B]\n  group-by: [ip]\n  timespan: 1m\n"
                         "  aliases: {ip: {rule_a: src, rule_c: dst}}\n---\n"
                         "title: a2\nid: AL2\ncorrelation:\n  type: temporal\n"
                         "  rules: [A, B]\n  group-by: [ip]\n  timespan: 1m\n"
                         "  aliases: {ip: {rule_a: src}}\n") == YG_OK);
    CHECK(yg__corr_count(f.cs) == 0 && f.ndiag == 2);
    CHECK(has_diag(&f, "does not reference") && has_diag(&f, "has no field for rule 'B'"));
    teardown(&f);

    /* Chains: the outer correlation groups by a field the inner one's
     * alerts do not carry. */
    CHECK(setup(&f, DETS "title: inner\nid: IN\nname: inner\ncorrelation: {type: event_count, "
                         "rules: [A], group-by: [User], timespan: 1m, condition: {gte: 2}}\n---\n"
                         "title: outer\nid: OUT\ncorrelation: {type: temporal, rules: [inner, B], "
                         "group-by: [Host], timespan: 1m}\n") == YG_OK);
    CHECK(yg__corr_count(f.cs) == 1 && has_diag(&f, "not a group-by field"));
    teardown(&f);

    /* Shapes the loader lets through but the engine cannot run. */
    CHECK(setup(&f, DETS "title: t0\nid: E1\ncorrelation: {type: event_count, rules: [A], "
                         "timespan: 0s, condition: {gte: 1}}\n---\n"
                         "title: t1\nid: E2\ncorrelation: {type: value_sum, rules: [A], "
                         "timespan: 1m, condition: {field: [x, y], gte: 1}}\n---\n"
                         "title: t2\nid: E3\ncorrelation: {type: event_count, rules: [A], "
                         "timespan: 1m, condition: {field: x}}\n---\n"
                         "title: t3\nid: E4\ncorrelation: {type: event_count, rules: [A, A], "
                         "timespan: 1m, condition: {gte: 1}}\n---\n"
                         "title: t4\nid: E5\ncorrelation: {type: value_percentile, rules: [A], "
                         "timespan: 1m, condition: {field: x, percentile: 101, gte: 1}}\n---\n"
                         "title: t5\nid: E6\ncorrelation: {type: event_count, rules: [A], "
                         "timespan: 1m, generate: maybe, condition: {gte: 1}}\n") == YG_OK);
    CHECK(yg__corr_count(f.cs) == 0 && f.ndiag == 6);
    CHECK(has_diag(&f, "timespan") && has_diag(&f, "single numeric field") &&
          has_diag(&f, "needs a comparison") && has_diag(&f, "referenced twice") &&
          has_diag(&f, "0 to 100") && has_diag(&f, "generate"));
    teardown(&f);
}

/* ---- allocation failures: every one is survived, nothing leaks ----------- */

static void run_scenario(void)
{
    char yaml[4096];
    snprintf(yaml, sizeof yaml, "%s%s", chain_yaml_head, chain_yaml_tail);
    struct fix f;
    if (setup(&f, yaml) == YG_OK) {
        struct yg_corr_state *st;
        struct got g = {0};
        if (yg__corr_state_new(f.cs, 0, &st) == YG_OK) {
            for (int i = 0; i < 12; i++)
                (void)feed(&f, st, &g, i % 4 == 3 ? SUCCESS : FAILED, S(i), 1,
                           KV(i % 2 ? "User=a" : "User=b"));
            yg__corr_state_free(st);
        }
    }
    teardown(&f);
}

static void test_alloc_failures(void)
{
    for (long n = 1; n < 400; n++) {
        yg__alloc_fail_after(n);
        run_scenario();
        yg__alloc_fail_after(0);
    }
    CHECK(1);
}

int main(void)
{
    test_event_count();
    test_conditions();
    test_missing_group_fields();
    test_value_count();
    test_temporal();
    test_temporal_ordered();
    test_value_metrics();
    test_lateness();
    test_aliases();
    test_feed_one();
    test_fan_out();
    test_chain(false);
    test_chain(true);
    test_memory_cap();
    test_expiry();
    test_evidence_hooks();
    test_errors();
    test_alloc_failures();
    TAP_DONE();
}
