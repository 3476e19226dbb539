/* libFuzzer target: the W3C extended log (IIS) decoder, yg__fmt_w3c.
 * The input is a file: every line is decoded with one per-file state (see
 * fuzz_fmt.h).  Seeds: fuzz/seeds.sh fmt_w3c. */
#include "fuzz_fmt.h"

extern const struct yg_linefmt yg__fmt_w3c;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_linefmt(&yg__fmt_w3c, data, size);
}
