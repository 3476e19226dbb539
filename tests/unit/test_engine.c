/* The public API end to end: compile from strings, scan events, alerts;
 * the prefilter never hides a match; allocation failures are survived. */
#include "tap.h"
#include "yagura/yagura.h"

#include "core/core.h"

static const char rules[] = "title: cmd spawn\n"
                            "id: r1\n"
                            "level: high\n"
                            "tags: [attack.execution, attack.t1059.003]\n"
                            "logsource: {product: windows, category: process_creation}\n"
                            "detection:\n"
                            "  sel:\n"
                            "    Image|endswith: '\\cmd.exe'\n"
                            "    CommandLine|contains|all: ['/c', 'whoami']\n"
                            "  filter:\n"
                            "    User: 'NT AUTHORITY\\SYSTEM'\n"
                            "  condition: sel and not filter\n"
                            "---\n"
                            "title: always rule (no literal)\n"
                            "id: r2\n"
                            "level: low\n"
                            "logsource: {product: windows, category: process_creation}\n"
                            "detection:\n"
                            "  sel:\n"
                            "    Image|re: '^[A-Z]:'\n"
                            "  condition: sel and not 1 of filter*\n"
                            "  filter_x:\n"
                            "    Image: 'Z:\\nothing'\n"
                            "---\n"
                            "title: keyword\n"
                            "id: r3\n"
                            "level: medium\n"
                            "logsource: {product: windows, service: security}\n"
                            "detection:\n"
                            "  keywords: ['mimikatz']\n"
                            "  condition: keywords\n";

struct got {
    char ids[16][16];
    int n;
};

static int on_alert(void *ud, const yg_alert *a)
{
    struct got *g = ud;
    if (g->n < 16)
        snprintf(g->ids[g->n++], 16, "%s", a->rule_id);
    return 0;
}

static yg_rules *compile(void)
{
    yg_compiler *c;
    yg_rules *r = NULL;
    if (yg_compiler_create(&c, NULL))
        return NULL;
    if (yg_compiler_add_string(c, "t.yml", rules, sizeof rules - 1) == YG_OK)
        (void)yg_compiler_get_rules(c, &r);
    yg_compiler_destroy(c);
    return r;
}

static int scan(yg_scanner *s, const char *ev, struct got *g)
{
    memset(g, 0, sizeof *g);
    yg_err e = yg_scanner_scan_json(s, ev, strlen(ev), on_alert, g);
    return e == YG_OK ? g->n : -1;
}

#define SYSMON1 "\"System\":{\"EventID\":1,\"Channel\":\"Microsoft-Windows-Sysmon/Operational\"}"

int main(void)
{
    yg_rules *r = compile();
    CHECK(r != NULL);
    if (!r)
        TAP_DONE();
    yg_rules_stats st;
    yg_rules_get_stats(r, &st);
    CHECK(st.detection == 3 && st.failed == 0);
    CHECK(st.prefilter_always == 1); /* r2: a regex without literal */
    yg_scanner *s;
    CHECK(yg_scanner_create(r, &s) == YG_OK);
    struct got g;

    CHECK(scan(s,
               "{\"Event\":{" SYSMON1 ",\"EventData\":{\"Image\":\"C:\\\\Windows\\\\cmd.exe\","
               "\"CommandLine\":\"cmd /c whoami\",\"User\":\"bob\"}}}",
               &g) == 2);
    CHECK(!strcmp(g.ids[0], "r1") && !strcmp(g.ids[1], "r2"));
    /* The filter removes r1. */
    CHECK(scan(s,
               "{\"Event\":{" SYSMON1 ",\"EventData\":{\"Image\":\"C:\\\\Windows\\\\cmd.exe\","
               "\"CommandLine\":\"cmd /c whoami\",\"User\":\"NT AUTHORITY\\\\SYSTEM\"}}}",
               &g) == 1);
    CHECK(!strcmp(g.ids[0], "r2"));
    /* \u escapes of ASCII letters must not hide literals from the prefilter. */
    CHECK(scan(s,
               "{\"Event\":{" SYSMON1
               ",\"EventData\":{\"Image\":\"C:\\\\Windows\\\\\\u0063md.exe\","
               "\"CommandLine\":\"cmd /c wh\\u006Fami\",\"User\":\"bob\"}}}",
               &g) == 2);
    CHECK(g.n == 2 && !strcmp(g.ids[0], "r1"));
    /* \/ is an escaped slash: `/c` must still be found. */
    CHECK(scan(s,
               "{\"Event\":{" SYSMON1 ",\"EventData\":{\"Image\":\"C:\\\\Windows\\\\cmd.exe\","
               "\"CommandLine\":\"cmd \\/c whoami\"}}}",
               &g) == 2);
    /* Wrong log source: Security channel, EventID 1: only the keyword rule's source. */
    CHECK(
        scan(s,
             "{\"Event\":{\"System\":{\"EventID\":4624,\"Channel\":\"Security\"},"
             "\"EventData\":{\"Image\":\"C:\\\\Windows\\\\cmd.exe\",\"CommandLine\":\"/c whoami\","
             "\"Note\":\"MimiKatz was here\"}}}",
             &g) == 1);
    CHECK(!strcmp(g.ids[0], "r3"));
    /* Malformed JSON: an error with an offset, no alert. */
    CHECK(scan(s, "{\"Event\":{", &g) == -1);
    size_t off = 0;
    const char *msg = yg_scanner_last_error(s, &off);
    CHECK(msg && *msg && off == 10);
    /* Minimum level. */
    yg_scanner_set_min_level(s, YG_LEVEL_HI);
    CHECK(scan(s,
               "{\"Event\":{" SYSMON1 ",\"EventData\":{\"Image\":\"C:\\\\Windows\\\\cmd.exe\","
               "\"CommandLine\":\"cmd /c whoami\"}}}",
               &g) == 1);
    yg_scanner_destroy(s);
    yg_rules_release(r);

    /* Fail each allocation of compile + scan in turn: every run either
     * succeeds or reports YG_ENOMEM, and (under ASan) leaks nothing. */
    int completed = 0, runs = 0;
    for (long n = 1; n < 20000; n++) {
        yg__alloc_fail_after(n);
        yg_rules *rr = compile();
        yg_scanner *ss = NULL;
        bool ok = rr && yg_scanner_create(rr, &ss) == YG_OK;
        if (ok) {
            struct got gg;
            memset(&gg, 0, sizeof gg);
            (void)yg_scanner_scan_json(ss, "{\"a\":1}", 7, on_alert, &gg);
        }
        yg_scanner_destroy(ss);
        yg_rules_release(rr);
        yg__alloc_fail_after(0);
        runs++;
        if (ok) {
            completed++;
            if (completed > 3)
                break; /* past the last allocation: every failure point was hit */
        }
    }
    CHECK_MSG(runs > 20, "only %d allocation points", runs);
    printf("%d allocation failure points survived\n", runs - completed);
    CHECK(completed > 3);
    TAP_DONE();
}
