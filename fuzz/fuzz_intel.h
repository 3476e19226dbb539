/*
 * fuzz_intel.h - one body for the intel loader targets: load the input as
 * the given format into a store, freeze it, and look a few values up, so
 * that both the loader and the tables built from what it accepted run.
 */
#ifndef YG_FUZZ_INTEL_H
#define YG_FUZZ_INTEL_H
#include <stdint.h>
#include <string.h>

#include "yagura/intel.h"

static int fuzz_intel_load(const uint8_t *data, size_t size, const char *format)
{
    yg_intel *in;
    if (yg_intel_create(&in))
        return 0;
    yg_intel_load_opts o;
    memset(&o, 0, sizeof o);
    o.format = format;
    if (yg_intel_load_buffer(in, "fuzz", (const char *)data, size, &o) == YG_OK &&
        yg_intel_freeze(in) == YG_OK) {
        static const char *const probes[] = {"10.1.2.3",       "a.b.example.com",
                                             "http://x.test/", "ea474e87f23ce6575057e76108665ffb",
                                             "a@b.c",          "UA"};
        for (int t = 0; t < YG_IOC_NTYPES; t++)
            (void)yg_intel_lookup(in, (yg_ioc_type)t, probes[t], strlen(probes[t]), 0, NULL, NULL);
        /* The input itself as a value of every type. */
        for (int t = 0; t < YG_IOC_NTYPES && size < 4096; t++)
            (void)yg_intel_lookup(in, (yg_ioc_type)t, (const char *)data, size, INT64_MIN, NULL,
                                  NULL);
        yg_intel_stats st;
        yg_intel_get_stats(in, &st);
    }
    yg_intel_release(in);
    return 0;
}
#endif
