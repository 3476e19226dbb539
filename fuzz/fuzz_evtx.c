/*
 * fuzz_evtx.c - libFuzzer target for the EVTX reader (yg_evtx_parse).
 *
 * Seed corpus: the real EVTX files of the shared data beside the checkout,
 * ../shared/logs/{hayabusa-yamato-evtx,deepbluecli-evtx} and the .evtx of
 * ../shared/sigma/regression; they are not copied into this repository.
 * Most of them are 68 KiB (one chunk), so -max_len=70000 lets the fuzzer
 * mutate whole files:
 *
 *   mkdir -p corpus/evtx &&
 *   find ../shared/logs ../shared/sigma/regression -name '*.evtx' -size -200k \
 *        -exec cp {} corpus/evtx/ \;
 *   ./fuzz_evtx -max_len=70000 corpus/evtx
 *
 * Chunk checksums would make almost every mutation a skipped chunk, so the
 * target also feeds each input with the "no checksums" flag set on every
 * chunk: that way the mutations reach the BinXML decoder.
 */
#include "decode/evtx.h"

#include <stdlib.h>

static void on_record(void *ud, uint64_t id, const char *json, size_t len)
{
    (void)id;
    /* Touch every byte so that a read of freed or unset memory shows. */
    unsigned char acc = 0;
    for (size_t i = 0; i < len; i++)
        acc ^= (unsigned char)json[i];
    *(unsigned char *)ud ^= acc;
}

static void on_diag(void *ud, uint64_t off, const char *what)
{
    (void)off;
    *(unsigned char *)ud ^= (unsigned char)what[0];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char sink = 0;
    yg_err err = yg_evtx_parse(data, size, on_record, on_diag, &sink);
    (void)err;

    if (size < 4096 + 128)
        return 0;
    uint8_t *copy = malloc(size);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    for (size_t off = 4096; size - off >= 128; off += 65536) {
        copy[off + 120] |= 4;
        if (size - off < 65536)
            break;
    }
    err = yg_evtx_parse(copy, size, on_record, on_diag, &sink);
    (void)err;
    free(copy);
    return 0;
}
