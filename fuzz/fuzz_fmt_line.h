/*
 * fuzz_fmt_line.h - the body shared by the fuzz targets of line decoders whose
 * records are flat (asa, cef, fortigate, leef, netscaler, panos, pulse, syslog): the input
 * is one line.  A record must be one flat JSON object of string values
 * appended to the buffer, with a log source; a refusal must leave the buffer
 * as it was and name a column within the line and a reason.  Anything else
 * traps.
 */
#ifndef YG_FUZZ_FMT_LINE_H
#define YG_FUZZ_FMT_LINE_H

#include <stdint.h>

#include "decode/format.h"
#include "decode/json.h"

static int32_t on_key(void *ud, int32_t parent, const char *k, size_t kn)
{
    (void)k;
    (void)kn;
    /* A record is flat: a key below the root is a decoder bug. */
    if (parent != -1)
        __builtin_trap();
    return ++*(int32_t *)ud;
}

static void on_leaf(void *ud, int32_t path, const struct yg_val *v)
{
    (void)ud;
    (void)path;
    if (v->type != YG_VT_STR)
        __builtin_trap();
}

static int fuzz_oneline(const struct yg_linefmt *f, const uint8_t *data, size_t size)
{
    const char *line = (const char *)data;
    int score = f->sniff(line, size);
    if (score < 0 || score > 100)
        __builtin_trap();
    void *st = f->state_new ? f->state_new() : NULL;
    struct yg_buf out;
    yg_buf_init(&out, 0);
    if (yg_buf_addc(&out, 'X'))
        __builtin_trap();
    struct yg_logsrc ls = {0};
    struct yg_decode_err e = {0, NULL};
    yg_err err = f->decode(st, line, size, &out, &ls, &e);
    if (err == YG_OK) {
        int32_t keys = -1;
        struct yg_json_sink sink = {&keys, on_key, on_leaf, NULL};
        struct yg_arena a;
        yg_arena_init(&a, 4096, 0);
        struct yg_json_err je;
        size_t used = 0;
        if (out.n < 3 || out.p[1] != '{' || !ls.product ||
            yg__json_scan(out.p + 1, out.n - 1, &used, &sink, &a, &je) != YG_OK ||
            used != out.n - 1)
            __builtin_trap();
        yg_arena_free(&a);
    } else if ((err != YG_ESYNTAX && err != YG_ELIMIT) || out.n != 1 || !e.msg || e.col < 1 ||
               e.col > size + 1) {
        __builtin_trap();
    }
    yg_buf_free(&out);
    if (f->state_free && st)
        f->state_free(st);
    return 0;
}

#endif
