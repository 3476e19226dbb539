/* libFuzzer target: partners' STIX bundles as `yagura campaigns` reads them
 * (src/campaign/cmp_stix_in.c), then the whole analysis over what loaded:
 * linking, phases, the JSON and the STIX export.  The input is loaded twice,
 * as two partners' bundles, so merging incidents of one id is exercised too.
 * Seeds: bundles of tests/campaigns/gen_campaigns.py (see fuzz/seeds.sh). */
#include <stdint.h>
#include <stdlib.h>

#include "campaign/campaign.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct yg_cmp_set *s = NULL;
    if (yg__cmp_new(&s))
        abort();
    static const char inv[] = "organisations:\n  - name: Kasumi Policy Institute\n"
                              "    sector: think-tanks\n    ranges: [10.1.0.0/16]\n";
    if (yg__cmp_load_orgs_mem(s, "inv.yml", inv, sizeof inv - 1))
        abort();
    if (yg__cmp_load_bundle_mem(s, "a.json", (const char *)data, size) == YG_OK &&
        yg__cmp_load_bundle_mem(s, "b.json", (const char *)data, size) == YG_OK) {
        struct yg_cmp_opts o;
        struct yg_cmp_result *r = NULL;
        yg__cmp_opts_default(&o);
        if (yg__cmp_analyse(s, &o, &r) == YG_OK) {
            struct yg_buf b;
            struct yg_errmsg why;
            struct yg_cmp_stix_opts so = {NULL, 2, NULL, 0};
            yg_buf_init(&b, 0);
            (void)yg__cmp_json(r, &b);
            yg_buf_reset(&b);
            (void)yg__cmp_stix(r, &so, &b, &why);
            yg_buf_free(&b);
        }
        yg__cmp_result_free(r);
    }
    yg__cmp_free(s);
    return 0;
}
