/* libFuzzer target: the Apache/nginx access and error log decoder, yg__fmt_combined.
 * The input is a file: every line is decoded with one per-file state (see
 * fuzz_fmt.h).  Seeds: fuzz/seeds.sh fmt_combined. */
#include "fuzz_fmt.h"

extern const struct yg_linefmt yg__fmt_combined;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_linefmt(&yg__fmt_combined, data, size);
}
