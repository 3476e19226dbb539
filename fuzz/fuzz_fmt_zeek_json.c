/* libFuzzer target: the Zeek JSON lines decoder (_path, @stream), yg__fmt_zeek_json.
 * The input is a file: every line is decoded with one per-file state (see
 * fuzz_fmt.h).  Seeds: fuzz/seeds.sh fmt_zeek_json. */
#include "fuzz_fmt.h"

extern const struct yg_linefmt yg__fmt_zeek_json;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_linefmt(&yg__fmt_zeek_json, data, size);
}
