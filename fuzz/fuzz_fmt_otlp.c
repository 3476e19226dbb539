/* libFuzzer target: the OpenTelemetry OTLP/JSON logs decoder, yg__fmt_otlp.
 * The input is one ExportLogsServiceRequest (a file exporter line or an HTTP
 * body).  A decoded request must be one flat JSON object per log record,
 * each on its own line, with a log source for each that is NULL or lower
 * case; a refused one must leave the buffer as it was and say where and why.
 * Anything else traps.  Seeds: fuzz/seeds/fmt_otlp (the test requests). */
#include <stdint.h>
#include <string.h>

#include "decode/format.h"
#include "decode/json.h"

extern const struct yg_linefmt yg__fmt_otlp;

static int32_t fz_key(void *ud, int32_t parent, const char *k, size_t kn)
{
    (void)k, (void)kn;
    /* Records are flat: every key is at the root. */
    if (parent != -1)
        __builtin_trap();
    return ++*(int32_t *)ud;
}

static void fz_leaf(void *ud, int32_t path, const struct yg_val *v)
{
    (void)ud, (void)path;
    if (v->type != YG_VT_STR && v->type != YG_VT_OBJ) /* strings; an empty array */
        __builtin_trap();
}

static void check_name(const char *s)
{
    for (; s && *s; s++)
        if (*s >= 'A' && *s <= 'Z')
            __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct yg_linefmt *f = &yg__fmt_otlp;
    void *st = f->state_new();
    if (!st)
        return 0;
    struct yg_buf out;
    yg_buf_init(&out, 1u << 26);
    if (yg_buf_add(&out, "x", 1))
        __builtin_trap();
    const char *p = (const char *)data;
    int score = f->sniff(p, size);
    if (score < 0 || score > 100)
        __builtin_trap();
    struct yg_logsrc ls = {0};
    struct yg_decode_err e = {0, NULL};
    yg_err err = f->decode(st, p, size, &out, &ls, &e);
    if (err == YG_OK) {
        struct yg_arena a;
        yg_arena_init(&a, 1 << 16, 0);
        size_t i = 1, n = 0;
        while (i < out.n) {
            const char *nl = memchr(out.p + i, '\n', out.n - i);
            if (!nl || out.p[i] != '{')
                __builtin_trap();
            size_t len = (size_t)(nl - (out.p + i)), used = 0;
            int32_t keys = -1;
            const struct yg_json_sink sink = {&keys, fz_key, fz_leaf, NULL};
            struct yg_json_err je;
            yg_arena_reset(&a);
            if (yg__json_scan(out.p + i, len, &used, &sink, &a, &je) != YG_OK || used != len)
                __builtin_trap();
            struct yg_logsrc rl;
            f->record_logsrc(st, n++, &rl);
            check_name(rl.product);
            check_name(rl.service);
            check_name(rl.category);
            i += len + 1;
        }
        if (!n)
            __builtin_trap();
        yg_arena_free(&a);
    } else if (err != YG_EOF) {
        if (out.n != 1 || !e.msg || e.col < 1 || e.col > size + 1)
            __builtin_trap();
    }
    yg_buf_free(&out);
    f->state_free(st);
    return 0;
}
