/* libFuzzer target: the m365 decoder (Microsoft 365 audit records, one JSON
 * object per line) and the shared flattener behind it.  The input is split
 * on '\n' and every line goes through one per-file state, as in a hunt.
 * Seeds: the real o365 and OfficeActivity records and Panther's Microsoft
 * 365 test records (see fuzz/seeds.sh). */
#include <stdint.h>
#include <string.h>

#include "decode/format.h"

extern const struct yg_linefmt yg__fmt_m365;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct yg_linefmt *f = &yg__fmt_m365;
    void *st = f->state_new();
    if (!st)
        return 0;
    struct yg_buf out;
    yg_buf_init(&out, 0);
    const char *p = (const char *)data;
    for (size_t i = 0; i <= size;) {
        const char *nl = memchr(p + i, '\n', size - i);
        size_t e = nl ? (size_t)(nl - p) : size;
        struct yg_logsrc ls = {0};
        struct yg_decode_err err = {0};
        size_t before = out.n;
        (void)f->sniff(p + i, e - i);
        yg_err r = f->decode(st, p + i, e - i, &out, &ls, &err);
        if (r == YG_ESYNTAX && (out.n != before || !err.msg || err.col == 0 || err.col > e - i + 1))
            __builtin_trap();
        if (r == YG_OK &&
            (out.n <= before || out.p[before] != '{' || out.p[out.n - 1] != '}' || !ls.product))
            __builtin_trap();
        i = e + 1;
    }
    yg_buf_free(&out);
    f->state_free(st);
    return 0;
}
