/* libFuzzer target: the Suricata EVE JSON decoder, yg__fmt_suricata.
 * The input is a file: every line is decoded with one per-file state (see
 * fuzz_fmt.h).  Seeds: fuzz/seeds.sh fmt_suricata. */
#include "fuzz_fmt.h"

extern const struct yg_linefmt yg__fmt_suricata;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_linefmt(&yg__fmt_suricata, data, size);
}
