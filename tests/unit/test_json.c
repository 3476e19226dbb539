/* JSON scanner: flattening, escapes, arrays, errors with offsets, limits. */
#include "decode/json.h"
#include "tap.h"

struct rec {
    char paths[64][128];
    int nk;
    char out[4096];
    size_t on;
};

static int32_t on_key(void *ud, int32_t parent, const char *k, size_t kn)
{
    struct rec *r = ud;
    char buf[128];
    snprintf(buf, sizeof buf, "%s%s%.*s", parent >= 0 ? r->paths[parent] : "",
             parent >= 0 ? "." : "", (int)kn, k);
    for (int i = 0; i < r->nk; i++)
        if (!strcmp(r->paths[i], buf))
            return i;
    strcpy(r->paths[r->nk], buf);
    return r->nk++;
}

static void on_leaf(void *ud, int32_t path, const struct yg_val *v)
{
    struct rec *r = ud;
    static const char *t[] = {"s", "n", "b", "z", "o"};
    r->on += (size_t)snprintf(r->out + r->on, sizeof r->out - r->on, "%s=%s:%.*s;", r->paths[path],
                              t[v->type], (int)v->n, v->p);
}

static void expect(const char *json, const char *want, size_t want_used)
{
    struct rec r;
    memset(&r, 0, sizeof r);
    struct yg_json_sink s = {&r, on_key, on_leaf, NULL};
    struct yg_arena a;
    yg_arena_init(&a, 1024, 0);
    struct yg_json_err e;
    size_t used = 0;
    yg_err err = yg__json_scan(json, strlen(json), &used, &s, &a, &e);
    CHECK_MSG(err == YG_OK && !strcmp(r.out, want) && used == want_used,
              "%s -> %s (err %d %s used %zu), want %s", json, r.out, err, e.msg ? e.msg : "", used,
              want);
    yg_arena_free(&a);
}

static void expect_err(const char *json, size_t len, yg_err want, size_t off, const char *part)
{
    struct rec r;
    memset(&r, 0, sizeof r);
    struct yg_json_sink s = {&r, on_key, on_leaf, NULL};
    struct yg_arena a;
    yg_arena_init(&a, 1024, 0);
    struct yg_json_err e = {0};
    size_t used = 0;
    yg_err err = yg__json_scan(json, len, &used, &s, &a, &e);
    CHECK_MSG(err == want && e.offset == off && e.msg && strstr(e.msg, part),
              "%.*s: err %d off %zu msg %s", (int)len, json, err, e.offset, e.msg ? e.msg : "");
    yg_arena_free(&a);
}

int main(void)
{
    expect("{\"a\":1}", "a=n:1;", 7);
    expect("{\"a\":{\"b\":\"x\",\"c\":true},\"d\":null}", "a.b=s:x;a.c=b:true;d=z:null;", 33);
    expect("{\"a\":[1,\"two\",{\"b\":3}]}", "a=n:1;a=s:two;a.b=n:3;", 23);
    expect("{\"e\":{},\"f\":[]}", "e=o:{};f=o:[];", 15);
    expect("  {\"a\" : -1.5e+3 } trailing", "a=n:-1.5e+3;", 18);
    /* Escapes are decoded: backslash, quote, unicode, surrogate pairs. */
    expect("{\"p\":\"C:\\\\Windows\\\\x\"}", "p=s:C:\\Windows\\x;", 22);
    expect("{\"q\":\"say \\\"hi\\\"\"}", "q=s:say \"hi\";", 18);
    expect("{\"u\":\"\\u00e9\\u3042\"}", "u=s:\xc3\xa9\xe3\x81\x82;", 20);
    expect("{\"u\":\"\\ud83d\\ude00\"}", "u=s:\xf0\x9f\x98\x80;", 20);
    expect("{\"u\":\"\\ud83d\"}", "u=s:\xef\xbf\xbd;", 14);
    /* Escaped keys. */
    expect("{\"a\\u002eb\":1}", "a.b=n:1;", 14);
    /* Two documents back to back: the first is consumed alone. */
    expect("{\"a\":1}{\"b\":2}", "a=n:1;", 7);
    /* Errors carry the offset and say what was expected. */
    expect_err("{\"a\":}", 6, YG_ESYNTAX, 5, "invalid value");
    expect_err("{\"a\":1,}", 8, YG_ESYNTAX, 7, "string key");
    expect_err("{\"a\" 1}", 7, YG_ESYNTAX, 5, "':'");
    expect_err("{\"a\":\"x", 7, YG_ESYNTAX, 7, "unterminated");
    expect_err("{\"a\":1", 6, YG_ESYNTAX, 6, "end of input");
    expect_err("{\"a\":01}", 8, YG_ESYNTAX, 6, "expected ','");
    expect_err("{\"a\":\"\\x\"}", 10, YG_ESYNTAX, 6, "invalid escape");
    expect_err("{\"a\":\"\\u12\"}", 12, YG_ESYNTAX, 6, "\\u");
    expect_err("{\"a\":tru}", 9, YG_ESYNTAX, 5, "invalid value");
    expect_err("{\"a\":\"x\ty\"}", 11, YG_ESYNTAX, 7, "control character");
    expect_err("{\"a\":\"x\0y\"}", 11, YG_ESYNTAX, 7, "control character");
    expect_err("{\"a\":[1 2]}", 11, YG_ESYNTAX, 8, "',' or ']'");
    expect_err("", 0, YG_ESYNTAX, 0, "no JSON value");
    /* Depth limit. */
    char deep[300];
    size_t k = 0;
    for (int i = 0; i < 100; i++)
        deep[k++] = '[';
    for (int i = 0; i < 100; i++)
        deep[k++] = ']';
    expect_err(deep, k, YG_ELIMIT, YG_MAX_JSON_DEPTH, "deeper");
    TAP_DONE();
}
