/* libFuzzer target: the cef line decoder on ArcSight CEF records; one line per input, see
 * fuzz_fmt_line.h.  Seeds: see fuzz/seeds.sh fmt_cef. */
#include "fuzz_fmt_line.h"

extern const struct yg_linefmt yg__fmt_cef;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_oneline(&yg__fmt_cef, data, size);
}
