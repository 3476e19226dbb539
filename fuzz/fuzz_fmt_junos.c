/* libFuzzer target: the junos line decoder (Junos structured syslog); one line per input, see
 * fuzz_fmt_line.h.  Seeds: one file per line of tests/appliances/junos.log (fuzz/seeds.sh
 * fmt_junos). */
#include "fuzz_fmt_line.h"

extern const struct yg_linefmt yg__fmt_junos;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_oneline(&yg__fmt_junos, data, size);
}
