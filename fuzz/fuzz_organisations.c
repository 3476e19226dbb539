/* libFuzzer target: the organisation inventory, mappings/organisations.yml
 * (src/campaign/cmp_orgs.c); an inventory that loads then names the victim
 * of one incident by name, domain and address.
 * Seeds: the shipped file and the generated one (see fuzz/seeds.sh). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "campaign/campaign.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct yg_cmp_set *s = NULL;
    if (yg__cmp_new(&s))
        abort();
    if (yg__cmp_load_orgs_mem(s, "o.yml", (const char *)data, size) == YG_OK) {
        static const char b[] =
            "{\"objects\":[{\"type\":\"identity\",\"id\":\"identity--1\",\"name\":\"KPI\"},"
            "{\"type\":\"incident\",\"id\":\"incident--1\",\"created\":\"2021-01-01T00:00:00Z\","
            "\"created_by_ref\":\"identity--1\",\"name\":\"n\"},{\"type\":\"report\",\"id\":"
            "\"report--1\",\"object_refs\":[\"incident--1\",\"observed-data--1\"]},{\"type\":"
            "\"observed-data\",\"id\":\"observed-data--1\",\"first_observed\":\"2021-01-01T00:00:"
            "00Z\","
            "\"object_refs\":[\"domain-name--1\",\"ipv4-addr--1\"]},{\"type\":\"domain-name\","
            "\"id\":\"domain-name--1\",\"value\":\"mail.kasumi.example\"},{\"type\":\"ipv4-addr\","
            "\"id\":\"ipv4-addr--1\",\"value\":\"91.207.57.10\"}]}";
        if (yg__cmp_load_bundle_mem(s, "b.json", b, sizeof b - 1) == YG_OK) {
            struct yg_cmp_opts o;
            struct yg_cmp_result *r = NULL;
            yg__cmp_opts_default(&o);
            (void)yg__cmp_analyse(s, &o, &r);
            yg__cmp_result_free(r);
        }
    }
    yg__cmp_free(s);
    return 0;
}
