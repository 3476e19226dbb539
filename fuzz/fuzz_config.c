/* libFuzzer target: the watch configuration file (src/watch/config.c).
 * The input is the YAML text; a configuration that loads is also rendered,
 * and the rendering must load again (it is what --check-config prints).
 * Seeds: packaging/yagura.yaml and variants (see fuzz/seeds.sh). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "watch/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct yg_config *cfg = NULL;
    struct yg_errmsg why = {""};
    if (yg__config_parse((const char *)data, size, "fuzz", &cfg, &why) != YG_OK)
        return 0;
    struct yg_buf b;
    yg_buf_init(&b, 1u << 24);
    if (yg__config_render(cfg, &b) == YG_OK) {
        struct yg_config *again = NULL;
        if (yg__config_parse(b.p ? b.p : "", b.n, "render", &again, &why) != YG_OK) {
            fprintf(stderr, "rendering does not load again: %s\n%.*s\n", why.msg, (int)b.n, b.p);
            abort();
        }
        if (again->ninputs != cfg->ninputs || again->nsinks != cfg->nsinks ||
            again->nrules != cfg->nrules)
            abort();
        yg__config_free(again);
    }
    yg_buf_free(&b);
    yg__config_free(cfg);
    return 0;
}
