/* libFuzzer target: the sophos line decoder (Sophos Firewall key=value); one line per input, see
 * fuzz_fmt_line.h.  Seeds: one file per line of tests/appliances/sophos.log (fuzz/seeds.sh
 * fmt_sophos). */
#include "fuzz_fmt_line.h"

extern const struct yg_linefmt yg__fmt_sophos;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_oneline(&yg__fmt_sophos, data, size);
}
