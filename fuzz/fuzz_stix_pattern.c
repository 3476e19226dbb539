/* libFuzzer target: the STIX pattern parser (src/intel/intel_pattern.c).
 * Every result it returns is checked for consistency.  Seeds: the patterns
 * of the STIX 2.1 specification and of the shared STIX examples. */
#include <stdint.h>
#include <string.h>

#include "intel/intel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct yg_arena a;
    yg_arena_init(&a, 1u << 14, 0);
    struct yg_pat_result r;
    yg_err e = yg__stix_pattern((const char *)data, size, &a, &r);
    if (e == YG_OK) {
        if (!r.n)
            __builtin_trap();
        for (size_t i = 0; i < r.n; i++)
            if ((unsigned)r.iocs[i].type >= YG_IOC_NTYPES || (r.iocs[i].vn && !r.iocs[i].value))
                __builtin_trap();
    } else if (e != YG_ESYNTAX && e != YG_EUNSUPPORTED && e != YG_ELIMIT && e != YG_ENOMEM) {
        __builtin_trap();
    }
    yg_arena_free(&a);
    return 0;
}
