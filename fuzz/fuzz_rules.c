/* libFuzzer target: the Sigma YAML rule loader and compiler, end to end.
 * Seeds: the SigmaHQ rule files under ../shared/sigma (see fuzz/seeds.sh). */
#include <stdint.h>
#include <stdlib.h>

#include "yagura/yagura.h"

static void quiet(void *ud, const yg_diagnostic *d)
{
    (void)ud;
    (void)d;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    yg_compiler *c;
    if (yg_compiler_create(&c, NULL) != YG_OK)
        return 0;
    yg_compiler_set_diag(c, quiet, NULL);
    (void)yg_compiler_add_string(c, "fuzz.yml", (const char *)data, size);
    yg_rules *r = NULL;
    if (yg_compiler_get_rules(c, &r) == YG_OK) {
        yg_scanner *s;
        if (yg_scanner_create(r, &s) == YG_OK) {
            static const char ev[] =
                "{\"Event\":{\"System\":{\"EventID\":1,\"Channel\":\"Microsoft-Windows-Sysmon/"
                "Operational\"},\"EventData\":{\"Image\":\"C:\\\\Windows\\\\System32\\\\cmd.exe\","
                "\"CommandLine\":\"cmd /c whoami\"}}}";
            (void)yg_scanner_scan_json(s, ev, sizeof ev - 1, NULL, NULL);
            yg_scanner_destroy(s);
        }
        yg_rules_release(r);
    }
    yg_compiler_destroy(c);
    return 0;
}
