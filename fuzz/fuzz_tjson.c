/* libFuzzer target: the JSON tree of core/tjson.c, the one tree reader of
 * TAXII requests, STIX bundles and MISP events (the intel loaders read it
 * one value at a time, fuzz_misp and fuzz_stix_bundle through them): whole
 * documents with yg__tj_parse and values in a row with yg__tj_value under a
 * small node cap.  Every accepted node's span must lie in the input and
 * start with its own kind of token; every refusal must say where and why.
 * Seeds: fuzz/seeds.sh tjson. */
#include <stdint.h>
#include <string.h>

#include "core/tjson.h"

static void walk(const struct yg_tj *v, const char *b, size_t n, unsigned depth)
{
    if (depth > YG_MAX_JSON_DEPTH + 1 || v->start >= v->end || v->end > n)
        __builtin_trap();
    char c = b[v->start];
    bool ok = v->type == YG_TJ_OBJ   ? c == '{'
              : v->type == YG_TJ_ARR ? c == '['
              : v->type == YG_TJ_STR ? c == '"'
              : v->type == YG_TJ_NUM ? c == '-' || (c >= '0' && c <= '9')
                                     : c == 't' || c == 'f' || c == 'n';
    if (!ok || (v->type == YG_TJ_STR && (!v->s || v->s[v->sn] != 0)))
        __builtin_trap();
    for (size_t i = 0; i < v->n; i++) {
        if (v->type == YG_TJ_OBJ && yg__tj_get(v, v->keys[i]) == NULL)
            __builtin_trap();
        walk(v->kids[i], b, n, depth + 1);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *b = (const char *)data;
    struct yg_arena a;
    yg_arena_init(&a, 1u << 16, 0);
    struct yg_tj *v;
    size_t eoff = 0;
    const char *emsg = NULL;
    yg_err e = yg__tj_parse(b, size, &a, &v, &eoff, &emsg);
    if (e == YG_OK)
        walk(v, b, size, 0);
    else if (e != YG_ENOMEM && (!emsg || !*emsg || eoff > size))
        __builtin_trap();
    yg_arena_reset(&a);
    struct yg_tjp pp = {.p = b, .len = size, .a = &a, .max_nodes = 64};
    for (int k = 0; k < 64; k++) {
        yg__tj_ws(&pp);
        if (pp.pos >= size)
            break;
        size_t at = pp.pos;
        if ((e = yg__tj_value(&pp, &v))) {
            unsigned line, col;
            if (!pp.err || pp.err_off > size)
                __builtin_trap();
            yg__tj_errpos(&pp, &line, &col);
            if (!line || !col)
                __builtin_trap();
            break;
        }
        if (pp.pos <= at)
            __builtin_trap();
        walk(v, b, size, 0);
        pp.nodes = 0;
        if (pp.pos < size && (b[pp.pos] == ',' || b[pp.pos] == ']'))
            pp.pos++; /* the elements of an outer array, as the loaders walk it */
    }
    yg_arena_free(&a);
    return 0;
}
