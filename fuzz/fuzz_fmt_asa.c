/* libFuzzer target: the asa line decoder (Cisco ASA / FTD %ASA- messages); one line per input, see
 * fuzz_fmt_line.h.  Seeds: one file per line of the shared sample (fuzz/seeds.sh fmt_asa). */
#include "fuzz_fmt_line.h"

extern const struct yg_linefmt yg__fmt_asa;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_oneline(&yg__fmt_asa, data, size);
}
