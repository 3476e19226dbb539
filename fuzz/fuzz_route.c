/* libFuzzer target: per-record routing of JSON records (yg__route_json: the
 * record's shape, the cached sniff of the JSON formats) and the decoding and
 * scanning that follow it, as `yagura hunt` and `yagura watch` run them on
 * every line; and yg__json_object_end's bounds.
 * Seeds: one file per record of the shared JSON logs of every source
 * (Windows JSON, Microsoft 365, Entra ID, Zeek, Suricata; fuzz/seeds.sh). */
#include <stdint.h>
#include <string.h>

#include "detector/linedec.h"

static yg_scanner *scanner;
static struct yg_linedec ld;

static const char rule[] = "title: t\n"
                           "logsource: {product: m365}\n"
                           "detection:\n"
                           "  sel:\n"
                           "    Operation|contains: Download\n"
                           "  condition: sel\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!scanner) {
        yg_compiler *c;
        yg_rules *r;
        if (yg_compiler_create(&c, NULL) ||
            yg_compiler_add_string(c, "r.yml", rule, sizeof rule - 1) ||
            yg_compiler_get_rules(c, &r))
            __builtin_trap();
        yg_compiler_destroy(c);
        if (yg_scanner_create(r, &scanner))
            __builtin_trap();
        yg_rules_release(r);
        yg__linedec_init(&ld);
    }
    const char *p = (const char *)data;
    size_t end = yg__json_object_end(p, size);
    if (end > size || (end && p[end - 1] != '}' && p[end - 1] != ']'))
        __builtin_trap();
    /* The same record twice: the second answer comes from the cache and must
     * be the first one. */
    const struct yg_linefmt *a = yg__route_json(&ld, p, size);
    const struct yg_linefmt *b = yg__route_json(&ld, p, size);
    if (a != b)
        __builtin_trap();
    struct yg_line_result res;
    yg__linedec_scan(&ld, scanner, NULL, true, p, size, NULL, NULL, &res);
    if (res.err == YG_OK && res.fields_len && !res.fields)
        __builtin_trap();
    return 0;
}
