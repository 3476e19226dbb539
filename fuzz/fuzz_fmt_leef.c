/* libFuzzer target: the leef line decoder on IBM LEEF 1.0 and 2.0 records; one line per input, see
 * fuzz_fmt_line.h.  Seeds: see fuzz/seeds.sh fmt_leef. */
#include "fuzz_fmt_line.h"

extern const struct yg_linefmt yg__fmt_leef;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_oneline(&yg__fmt_leef, data, size);
}
