/* libFuzzer target: the text line decoder (any line as plain text).  Its
 * contract differs from the other line decoders' (fuzz_fmt_line.h): it is
 * never sniffed and names no log source (--logsource gives it), and every
 * line decodes: one JSON object whose only member is `message`.  Anything
 * else traps.  Seeds: lines of the shared Linux log (fuzz/seeds.sh fmt_text). */
#include <stdint.h>

#include "decode/format.h"
#include "decode/json.h"

extern const struct yg_linefmt yg__fmt_text;

static int32_t on_key(void *ud, int32_t parent, const char *k, size_t kn)
{
    if (parent != -1 || kn != 7 || memcmp(k, "message", 7) != 0)
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct yg_linefmt *f = &yg__fmt_text;
    if (f->sniff)
        __builtin_trap(); /* chosen by name only */
    struct yg_buf out;
    yg_buf_init(&out, 0);
    struct yg_logsrc ls = {"x", "x", "x"};
    struct yg_decode_err e = {0, NULL};
    yg_err err = f->decode(NULL, (const char *)data, size, &out, &ls, &e);
    if (err != YG_OK || ls.product || ls.service || ls.category)
        __builtin_trap();
    int32_t keys = -1;
    struct yg_json_sink sink = {&keys, on_key, on_leaf, NULL};
    struct yg_arena a;
    yg_arena_init(&a, 4096, 0);
    struct yg_json_err je;
    size_t used = 0;
    if (yg__json_scan(out.p, out.n, &used, &sink, &a, &je) != YG_OK || used != out.n || keys != 0)
        __builtin_trap();
    yg_arena_free(&a);
    yg_buf_free(&out);
    return 0;
}
