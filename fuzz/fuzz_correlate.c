/* libFuzzer target: correlation documents compiled against a fixed rule set,
 * then a few hundred detections fed through the windows.
 *
 * Input: YAML correlation documents, optionally followed by a line "%%" and
 * bytes that drive the feeds (rule, time step, field values); without that
 * part the feeds come from a fixed pseudo-random sequence.  The detection
 * rules (ids A, B, C, named rule_a ...) are compiled once.  An input whose
 * first byte is 0x01 selects one of the built-in examples below (every
 * correlation type, aliases, a chain) by its second byte and uses the rest
 * to drive the feeds, so the fuzzer reaches the windows from the start
 * even with an empty corpus. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "correlate/correlate.h"
#include "match/program.h"
#include "sigma/rule.h"
#include "core/yaml.h"
#include "yagura/yagura.h"

static const char detections[] = "title: a\nid: A\nname: rule_a\nlogsource: {product: test}\n"
                                 "detection: {sel: {k: a}, condition: sel}\n---\n"
                                 "title: b\nid: B\nname: rule_b\nlogsource: {product: test}\n"
                                 "detection: {sel: {k: b}, condition: sel}\n---\n"
                                 "title: c\nid: C\nname: rule_c\nlogsource: {product: test}\n"
                                 "detection: {sel: {k: c}, condition: sel}\n";

static const char *const examples[] = {
    "title: ec\nid: EC\ncorrelation: {type: event_count, rules: [A, rule_b], group-by: [User],"
    " timespan: 10s, condition: {gte: 3}}\n",
    "title: vc\nid: VC\ncorrelation: {type: value_count, rules: [A], group-by: [Host],"
    " timespan: 1m, condition: {field: User, gte: 2, lt: 5}}\n",
    "title: t\nid: T\ncorrelation: {type: temporal, rules: [A, B, C], group-by: [User],"
    " timespan: 30s}\n",
    "title: o\nid: O\ncorrelation: {type: temporal_ordered, rules: [A, B, C], group-by: [User],"
    " timespan: 30s, condition: {gte: 2}}\n",
    "title: s\nid: S\ncorrelation: {type: value_sum, rules: [A, B], timespan: 1h,"
    " condition: {field: n, gt: 20}}\n---\n"
    "title: v\nid: V\ncorrelation: {type: value_avg, rules: [C], group-by: [User],"
    " timespan: 1h, condition: {field: n, gte: 3}}\n",
    "title: p\nid: P\ncorrelation: {type: value_percentile, rules: [A], group-by: [User],"
    " timespan: 1m, condition: {field: n, percentile: 75, gte: 5}}\n",
    "title: al\nid: AL\ncorrelation:\n  type: temporal\n  rules: [rule_a, rule_b]\n"
    "  group-by: [ip]\n  timespan: 10s\n  aliases: {ip: {rule_a: src, rule_b: dst}}\n",
    "title: outer\nid: OUT\ncorrelation: {type: temporal_ordered, rules: [inner, C],"
    " group-by: [User], timespan: 1m, generate: true}\n---\n"
    "title: inner\nid: IN\nname: inner\ncorrelation: {type: event_count, rules: [A],"
    " group-by: [User], timespan: 1m, condition: {gte: 2}}\n",
    /* Yagura's extension types; without a geolocation database yagura_travel
     * stays inactive, yagura_new_value on a plain field runs. */
    "title: nv\nid: NV\ncorrelation: {type: yagura_new_value, rules: [A, B], group-by: [User],"
    " timespan: 1h, condition: {field: Host, min_history: 2}}\n",
    "title: tr\nid: TR\ncorrelation: {type: yagura_travel, rules: [A], group-by: [User],"
    " timespan: 1d, condition: {field: ip, min_km: 100, max_kmh: 500}}\n",
};

static yg_rules *rules;

static void quiet(void *ud, const yg_diagnostic *d)
{
    (void)ud;
    (void)d;
}

static void quiet_rule(void *ud, const struct yg_diag *d)
{
    (void)ud;
    (void)d;
}

static size_t alerts;
static void on_fire(void *ud, const struct yg_corr_alert *a)
{
    (void)ud;
    /* Touch everything the alert hands out. */
    for (size_t i = 0; i < a->ngroup; i++)
        alerts += strlen(a->group_names[i]) + strlen(a->group_values[i]);
    for (size_t i = 0; i < a->nevidence; i++)
        alerts += (uintptr_t)a->evidence[i] & 1;
    alerts += a->first_ms <= a->last_ms;
}

static void init(void)
{
    yg_compiler *c;
    if (yg_compiler_create(&c, NULL) != YG_OK)
        abort();
    yg_compiler_set_diag(c, quiet, NULL);
    if (yg_compiler_add_string(c, "det.yml", detections, sizeof detections - 1) != YG_OK ||
        yg_compiler_get_rules(c, &rules) != YG_OK)
        abort();
    yg_compiler_destroy(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!rules)
        init();
    const struct yg_rules *rs = (const struct yg_rules *)rules;
    const char *text = (const char *)data;
    size_t tlen = size;
    const uint8_t *drive = NULL;
    size_t dlen = 0;
    const char *sep = memmem(text, size, "\n%%\n", 4);
    if (size >= 2 && data[0] == 1) {
        text = examples[data[1] % (sizeof examples / sizeof *examples)];
        tlen = strlen(text);
        drive = data + 2;
        dlen = size - 2;
    } else if (sep) {
        tlen = (size_t)(sep - text) + 1;
        drive = (const uint8_t *)sep + 4;
        dlen = size - tlen - 3;
    }
    struct yg_arena a;
    yg_arena_init(&a, 1u << 16, 64u << 20);
    struct yg_ydoc *yd = NULL;
    size_t n = 0;
    unsigned el, ec;
    struct yg_errmsg why = {""};
    (void)yg__yaml_parse(text, tlen, &a, &yd, &n, &el, &ec, &why);
    const struct yg_rule **docs = n ? yg_arena_alloc(&a, n * sizeof *docs) : NULL;
    size_t nd = 0;
    for (size_t i = 0; docs && i < n; i++) {
        struct yg_rule *r = NULL;
        (void)yg__rule_from_doc(&yd[i], "fuzz.yml", &a, &r, quiet_rule, NULL);
        if (r)
            docs[nd++] = r;
    }
    struct yg_corr_set *cs = NULL;
    if (yg__corr_compile(docs, nd, rs, NULL, NULL, &cs) == YG_OK) {
        struct yg_corr_state *st;
        if (yg__corr_state_new(cs, 1u << 20, &st) == YG_OK) {
            static const char *const pool[] = {"alice", "bob", "", "10", "2.5", "-3", "x", "1e3"};
            uint32_t seed = 2463534242u;
            int64_t t = 1700000000000;
            yg__corr_set_lateness(st, 5000);
            for (size_t i = 0; i < 400; i++) {
                uint32_t x;
                if (dlen) {
                    x = (uint32_t)drive[i % dlen] * 2654435761u + (uint32_t)i;
                } else {
                    seed ^= seed << 13;
                    seed ^= seed >> 17;
                    seed ^= seed << 5;
                    x = seed;
                }
                uint32_t r = x % (uint32_t)rs->nrules;
                /* Mostly forward in time, sometimes late, sometimes too late. */
                t += (int64_t)((x >> 8) % 4000) - ((x >> 20) % 8 == 0 ? 9000 : 0);
                struct yg_str vals[64];
                size_t nf = yg__corr_nfields(cs, r);
                for (size_t k = 0; k < nf && k < 64; k++) {
                    uint32_t p = (x >> (k % 24)) % 9;
                    vals[k] = p == 8 ? (struct yg_str){NULL, 0}
                                     : (struct yg_str){pool[p], strlen(pool[p])};
                }
                if (nf > 64)
                    break;
                (void)yg__corr_feed(st, r, t, vals, (void *)(uintptr_t)(i + 1), on_fire, NULL);
            }
            yg__corr_state_free(st);
        }
        yg__corr_set_free(cs);
    }
    yg_arena_free(&a);
    return 0;
}
