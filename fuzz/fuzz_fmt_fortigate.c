/* libFuzzer target: the fortigate line decoder on FortiGate key=value records; one line per input,
 * see fuzz_fmt_line.h.  Seeds: see fuzz/seeds.sh fmt_fortigate. */
#include "fuzz_fmt_line.h"

extern const struct yg_linefmt yg__fmt_fortigate;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_oneline(&yg__fmt_fortigate, data, size);
}
