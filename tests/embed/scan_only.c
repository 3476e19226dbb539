/*
 * scan_only.c - a program that embeds only the scanning layers (yagura_scan:
 * core, decode, match, correlate) through the public API: it compiles a
 * detection rule and a correlation over it, scans one event and prints the
 * number of alerts.  tests/integration/test_embed_scan.sh runs it and checks
 * that it does not depend on libcurl, libmicrohttpd or SQLite; that it links
 * at all shows the scanning layers reference nothing above them.
 */
#include <stdio.h>
#include <string.h>

#include "yagura/yagura.h"

static const char rules[] = "title: Whoami\n"
                            "id: 5e8f3a2c-0000-4000-8000-000000000001\n"
                            "logsource: {product: windows, category: process_creation}\n"
                            "detection:\n"
                            "  sel: {Image|endswith: '\\whoami.exe'}\n"
                            "  condition: sel\n"
                            "level: high\n"
                            "---\n"
                            "title: Many whoami\n"
                            "id: 5e8f3a2c-0000-4000-8000-000000000002\n"
                            "correlation:\n"
                            "  type: event_count\n"
                            "  rules: [5e8f3a2c-0000-4000-8000-000000000001]\n"
                            "  group-by: [User]\n"
                            "  timespan: 1h\n"
                            "  condition: {gte: 2}\n"
                            "level: high\n";

static const char event[] = "{\"EventID\":1,\"Channel\":\"Microsoft-Windows-Sysmon/Operational\","
                            "\"Image\":\"C:\\\\Windows\\\\System32\\\\whoami.exe\",\"User\":\"a\"}";

static int on_alert(void *ud, const yg_alert *a)
{
    (void)a;
    (*(int *)ud)++;
    return 0;
}

int main(int argc, char **argv)
{
    yg_compiler *c;
    yg_rules *rs;
    yg_scanner *s;
    int n = 0;
    if (argc != 2) {
        fprintf(stderr, "usage: %s DATA_DIR\n", argv[0]);
        return 2;
    }
    if (yg_compiler_create(&c, argv[1]) ||
        yg_compiler_add_string(c, "embedded.yml", rules, strlen(rules)) ||
        yg_compiler_get_rules(c, &rs)) {
        fprintf(stderr, "scan_only: cannot compile the rules\n");
        return 1;
    }
    yg_compiler_destroy(c);
    yg_rules_stats st;
    yg_rules_get_stats(rs, &st);
    if (yg_scanner_create(rs, &s) || yg_scanner_scan_json(s, event, strlen(event), on_alert, &n)) {
        fprintf(stderr, "scan_only: cannot scan\n");
        return 1;
    }
    printf("detection=%zu correlation=%zu alerts=%d\n", st.detection, st.correlation, n);
    yg_scanner_destroy(s);
    yg_rules_release(rs);
    return 0;
}
