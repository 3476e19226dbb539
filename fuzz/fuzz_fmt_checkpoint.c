/* libFuzzer target: the checkpoint line decoder (Check Point Log Exporter [key:"value"; ...]); one
 * line per input, see fuzz_fmt_line.h.  Seeds: one file per line of tests/appliances/checkpoint.log
 * (fuzz/seeds.sh fmt_checkpoint). */
#include "fuzz_fmt_line.h"

extern const struct yg_linefmt yg__fmt_checkpoint;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_oneline(&yg__fmt_checkpoint, data, size);
}
