/* libFuzzer target: the cisco_ios line decoder (Cisco IOS / IOS-XE %FACILITY-SEVERITY-MNEMONIC
 * messages); one line per input, see fuzz_fmt_line.h.  Seeds: Cisco's documented message forms
 * (fuzz/seeds.sh fmt_cisco_ios). */
#include "fuzz_fmt_line.h"

extern const struct yg_linefmt yg__fmt_cisco_ios;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_oneline(&yg__fmt_cisco_ios, data, size);
}
