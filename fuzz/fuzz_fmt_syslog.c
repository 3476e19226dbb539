/* libFuzzer target: the syslog line decoder on syslog lines (RFC 3164 and 5424, the
 * splitter, Linux fields); one line per input, see fuzz_fmt_line.h.  Seeds: see fuzz/seeds.sh
 * fmt_syslog. */
#include "fuzz_fmt_line.h"

extern const struct yg_linefmt yg__fmt_syslog;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_oneline(&yg__fmt_syslog, data, size);
}
