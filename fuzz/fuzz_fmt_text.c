/* libFuzzer target: the text line decoder (any line as plain text); one line per input, see
 * fuzz_fmt_line.h.  Seeds: a few lines of the shared Linux log (fuzz/seeds.sh fmt_text). */
#include "fuzz_fmt_line.h"

extern const struct yg_linefmt yg__fmt_text;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_oneline(&yg__fmt_text, data, size);
}
