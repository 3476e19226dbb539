/* libFuzzer target: the Zeek TSV decoder (#separator, #fields, #types headers), yg__fmt_zeek.
 * The input is a file: every line is decoded with one per-file state (see
 * fuzz_fmt.h).  Seeds: fuzz/seeds.sh fmt_zeek. */
#include "fuzz_fmt.h"

extern const struct yg_linefmt yg__fmt_zeek;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_linefmt(&yg__fmt_zeek, data, size);
}
