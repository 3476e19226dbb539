/* libFuzzer target: the f5apm line decoder (F5 BIG-IP APM (one line, fresh session state)); one
 * line per input, see fuzz_fmt_line.h.  Seeds: one file per line of tests/appliances/f5apm.log
 * (fuzz/seeds.sh fmt_f5apm). */
#include "fuzz_fmt_line.h"

extern const struct yg_linefmt yg__fmt_f5apm;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_oneline(&yg__fmt_f5apm, data, size);
}
