/*
 * fuzz_fmt.h - the body shared by the line-format fuzz targets
 * (fuzz_fmt_<name>.c): the input is split on '\n' and every line is decoded
 * with one per-file state, as `yagura hunt` reads a file, so header lines
 * (W3C #Fields, Zeek #fields/#types) at the top of an input shape how the
 * lines after them are read.  A decoded record must be one valid JSON
 * object; a refused line must leave the output as it was and say where
 * (a column within the line) and why.  Anything else traps.
 */
#ifndef YG_FUZZ_FMT_H
#define YG_FUZZ_FMT_H

#include <stdint.h>
#include <string.h>

#include "decode/format.h"
#include "decode/json.h"

static int32_t fz_key(void *ud, int32_t parent, const char *k, size_t kn)
{
    (void)ud, (void)parent, (void)k, (void)kn;
    return 0;
}

static void fz_leaf(void *ud, int32_t path, const struct yg_val *v)
{
    (void)ud, (void)path, (void)v;
}

static int fuzz_linefmt(const struct yg_linefmt *f, const uint8_t *data, size_t size)
{
    void *st = f->state_new ? f->state_new() : NULL;
    if (f->state_new && !st)
        return 0;
    struct yg_buf out;
    yg_buf_init(&out, 1u << 24);
    struct yg_arena a;
    yg_arena_init(&a, 1 << 16, 0);
    const struct yg_json_sink sink = {NULL, fz_key, fz_leaf, NULL};
    const char *p = (const char *)data;
    size_t i = 0;
    while (i <= size) {
        const char *nl = i < size ? memchr(p + i, '\n', size - i) : NULL;
        size_t end = nl ? (size_t)(nl - p) : size;
        struct yg_logsrc ls = {0};
        struct yg_decode_err e = {0, NULL};
        /* Something already in the buffer, as when the caller reuses it. */
        yg_buf_reset(&out);
        if (yg_buf_add(&out, "x", 1))
            __builtin_trap();
        f->sniff(p + i, end - i);
        yg_err err = f->decode(st, p + i, end - i, &out, &ls, &e);
        if (err == YG_OK) {
            struct yg_json_err je;
            size_t used = 0;
            yg_arena_reset(&a);
            if (out.n < 2 || out.p[1] != '{' ||
                yg__json_scan(out.p + 1, out.n - 1, &used, &sink, &a, &je) != YG_OK ||
                used != out.n - 1)
                __builtin_trap();
        } else if (err != YG_EOF) {
            if (out.n != 1 || !e.msg || e.col < 1 || e.col > end - i + 1)
                __builtin_trap();
        }
        i = end + 1;
    }
    yg_arena_free(&a);
    yg_buf_free(&out);
    if (f->state_free)
        f->state_free(st);
    return 0;
}

#endif
