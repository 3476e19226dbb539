/* libFuzzer target: the Sigma condition grammar.
 * Seeds: every `condition:` line of the SigmaHQ rules (see fuzz/seeds.sh). */
#include <stdint.h>

#include "sigma/rule.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *names[] = {"selection",
                                  "selection_img",
                                  "selection_cli",
                                  "filter_main",
                                  "filter_optional",
                                  "_x",
                                  "keywords",
                                  "all",
                                  "1"};
    struct yg_arena a;
    yg_arena_init(&a, 4096, 1u << 24);
    struct yg_cond *c;
    unsigned col;
    struct yg_errmsg why;
    (void)yg__cond_parse((const char *)data, size, names, sizeof names / sizeof *names, &a, &c,
                         &col, &why);
    yg_arena_free(&a);
    return 0;
}
