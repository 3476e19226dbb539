/* libFuzzer target: the JSON scanner (strings with escapes, keys guessed from
 * the previous input's shape) and the scanner's field resolution, routing
 * and long value lists, through the public API with a small rule set.
 * Seeds: regression JSON documents and real log lines (see fuzz/seeds.sh). */
#include <stdint.h>
#include <string.h>

#include "yagura/yagura.h"

static yg_scanner *scanner;

static const char rule[] = "title: t\n"
                           "logsource: {product: windows, category: process_creation}\n"
                           "detection:\n"
                           "  sel:\n"
                           "    Image|endswith: '\\cmd.exe'\n"
                           "    CommandLine|contains|all: [a, b]\n"
                           "  kw: [evil]\n"
                           /* A long list: the groups visited by the atoms seen. */
                           "  list:\n"
                           "    Company: [ab, alpha1, bravo2, charlie3, delta4, echo5, foxtrot6,"
                           " golf7, hotel8, HOTEL8]\n"
                           "  condition: sel or kw or list\n";

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
    }
    size_t used;
    (void)yg_scanner_scan_json_prefix(scanner, (const char *)data, size, &used, NULL, NULL);
    if (used > size)
        __builtin_trap();
    return 0;
}
