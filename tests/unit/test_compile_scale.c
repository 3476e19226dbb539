/*
 * test_compile_scale.c - rule compilation is linear in the number of rules.
 *
 * N and 4N generated rules, each with a filter and a correlation naming it,
 * are compiled in the same process; the CPU time of the larger set must
 * stay under 6 times that of the smaller, so machine speed cancels out.  It
 * was quadratic: every rule scanned every document for the filters naming
 * it, every correlation reference scanned every rule.  A third set with
 * three CommandLine literals per rule needs more than one Hyperscan
 * database for that field (at most 16,384 literals each); its last rule,
 * whose literals sit in the last database, must still fire, and filters
 * must still fold into the rules they name.  Figures for large sets:
 * bench/run_compile_bench.sh.
 */
#include <time.h>

#include "core/core.h"
#include "tap.h"
#include "yagura/yagura.h"

#define N 2000

/* n rules; with extra, three CommandLine literals each instead of one. */
static char *gen(int n, bool extra)
{
    struct yg_buf b;
    yg_buf_init(&b, 0);
    for (int i = 0; i < n; i++) {
        char more[64] = "";
        if (extra)
            snprintf(more, sizeof more, ", '-arg%d ', '/opt%d'", i, i);
        yg_err e = yg_buf_addf(&b,
                               "title: Generated rule %d\n"
                               "id: 00000000-0000-4000-8000-%012d\n"
                               "name: gen_%d\n"
                               "logsource: {product: windows, category: process_creation}\n"
                               "detection:\n"
                               "  sel:\n"
                               "    Image|endswith: '\\tool%d.exe'\n"
                               "    CommandLine|contains: ['--flag%d='%s]\n"
                               "  condition: sel\n"
                               "level: medium\n",
                               i, i, i, i, i, more);
        if (!e)
            e = yg_buf_addf(&b,
                            "---\n"
                            "title: Filter of rule %d\n"
                            "id: 00000000-0000-4000-9000-%012d\n"
                            "logsource: {product: windows, category: process_creation}\n"
                            "filter:\n"
                            "  rules: [00000000-0000-4000-8000-%012d]\n"
                            "  selection: {User: 'svc%d'}\n"
                            "  condition: selection\n"
                            "---\n"
                            "title: Correlation of rule %d\n"
                            "id: 00000000-0000-4000-a000-%012d\n"
                            "correlation:\n"
                            "  type: event_count\n"
                            "  rules: [gen_%d]\n"
                            "  group-by: [User]\n"
                            "  timespan: 10m\n"
                            "  condition: {gte: 3}\n"
                            "level: high\n"
                            "%s",
                            i, i, i, i, i, i, i, i + 1 < n ? "---\n" : "");
        if (e)
            abort();
    }
    if (yg_buf_addc(&b, 0) != YG_OK)
        abort();
    return b.p;
}

static double cpu_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Compiles text (runs times); *secs the CPU time of the fastest run. */
static yg_rules *compile(const char *text, int runs, double *secs)
{
    yg_rules *keep = NULL;
    *secs = 1e9;
    for (int run = 0; run < runs; run++) {
        yg_compiler *c;
        yg_rules *r = NULL;
        if (yg_compiler_create(&c, NULL))
            return NULL;
        double t0 = cpu_now();
        if (yg_compiler_add_string(c, "gen.yml", text, strlen(text)) == YG_OK)
            (void)yg_compiler_get_rules(c, &r);
        double t = cpu_now() - t0;
        yg_compiler_destroy(c);
        if (t < *secs)
            *secs = t;
        if (keep)
            yg_rules_release(keep);
        keep = r;
    }
    return keep;
}

static int count(void *ud, const yg_alert *a)
{
    (void)a;
    ++*(int *)ud;
    return 0;
}

static int alerts(yg_scanner *s, int i, const char *user)
{
    char ev[512];
    snprintf(ev, sizeof ev,
             "{\"Event\":{\"System\":{\"EventID\":1,\"Channel\":\"Microsoft-Windows-Sysmon/"
             "Operational\"},\"EventData\":{\"Image\":\"C:\\\\x\\\\tool%d.exe\","
             "\"CommandLine\":\"tool --flag%d=1\",\"User\":\"%s\"}}}",
             i, i, user);
    int n = 0;
    return yg_scanner_scan_json(s, ev, strlen(ev), count, &n) == YG_OK ? n : -1;
}

static void test_linear(void)
{
    char *small = gen(N, false), *large = gen(4 * N, false);
    double ts, tl;
    yg_rules *rs = compile(small, 2, &ts);
    yg_rules *rl = compile(large, 2, &tl);
    CHECK(rs && rl);
    if (rs && rl) {
        yg_rules_stats st;
        yg_rules_get_stats(rl, &st);
        CHECK_MSG(st.detection == 4 * N && st.filters == 4 * N && st.correlation == 4 * N &&
                      st.failed == 0,
                  "%zu rules, %zu filters, %zu correlations, %zu failed", st.detection, st.filters,
                  st.correlation, st.failed);
        printf("compile: %d rules %.3f s, %d rules %.3f s (CPU), ratio %.2f\n", N, ts, 4 * N, tl,
               tl / ts);
        CHECK_MSG(tl < 6 * ts, "4x the rules took %.2fx the time (%.3f s, %.3f s)", tl / ts, ts,
                  tl);
    }
    if (rs)
        yg_rules_release(rs);
    if (rl)
        yg_rules_release(rl);
    yg_free(small);
    yg_free(large);
}

static void test_split_databases(void)
{
    /* 3 * 6000 CommandLine literals: two databases for that field. */
    int n = 6000, last = n - 1;
    char *text = gen(n, true);
    double t;
    yg_rules *r = compile(text, 1, &t);
    CHECK(r != NULL);
    yg_scanner *sc = NULL;
    CHECK(r && yg_scanner_create(r, &sc) == YG_OK);
    if (sc) {
        char own[32];
        snprintf(own, sizeof own, "svc%d", last);
        CHECK(alerts(sc, last, "alice") == 1);
        CHECK(alerts(sc, last, "svc7") == 1); /* another rule's filter */
        CHECK(alerts(sc, last, own) == 0);    /* its own */
        CHECK(alerts(sc, 0, "alice") == 1 && alerts(sc, 0, "svc0") == 0);
        yg_scanner_destroy(sc);
    }
    if (r)
        yg_rules_release(r);
    yg_free(text);
}

int main(void)
{
    test_linear();
    test_split_databases();
    TAP_DONE();
}
