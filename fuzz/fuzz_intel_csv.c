/* libFuzzer target: the csv intel loader (src/intel), then the lookup
 * tables built from what it accepted.  Seeds: see fuzz/seeds.sh. */
#include "fuzz_intel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_intel_load(data, size, "csv");
}
