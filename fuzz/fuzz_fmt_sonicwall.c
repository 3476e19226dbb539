/* libFuzzer target: the sonicwall line decoder (SonicWall firewall / SMA key=value); one line per
 * input, see fuzz_fmt_line.h.  Seeds: one file per line of tests/appliances/sonicwall.log
 * (fuzz/seeds.sh fmt_sonicwall). */
#include "fuzz_fmt_line.h"

extern const struct yg_linefmt yg__fmt_sonicwall;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_oneline(&yg__fmt_sonicwall, data, size);
}
