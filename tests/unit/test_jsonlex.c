/*
 * test_jsonlex.c - one JSON tokenizer (core/jsonlex.c) under every JSON
 * reader: the event scanner (decode/json.c), the tree (core/tjson.c) and
 * the Zeek/Suricata flattener (decode/fmt_net.c) accept the same strings
 * and numbers and refuse the same ones at the same byte with the same
 * words; and the tree read one value at a time, as the intel loaders read
 * it, with its node cap and the line and column of an error.
 */
#include "core/core.h"
#include "core/jsonlex.h"
#include "core/tjson.h"
#include "decode/fmt_net.h"
#include "decode/format.h"
#include "decode/json.h"
#include "tap.h"

static int32_t on_key(void *ud, int32_t parent, const char *k, size_t kn)
{
    (void)ud;
    (void)parent;
    (void)k;
    (void)kn;
    return 0;
}

static void on_leaf(void *ud, int32_t path, const struct yg_val *v)
{
    (void)ud;
    (void)path;
    (void)v;
}

/* Each reader on doc: ok, or the byte offset and message of the error. */
struct verdict {
    bool ok;
    size_t off;
    const char *msg;
};

static struct verdict by_scanner(const char *doc, struct yg_arena *a)
{
    struct yg_json_sink sink = {NULL, on_key, on_leaf, NULL};
    struct yg_json_err e;
    size_t used;
    yg_err err = yg__json_scan(doc, strlen(doc), &used, &sink, a, &e);
    return (struct verdict){err == YG_OK, e.offset, e.msg};
}

static struct verdict by_tree(const char *doc, struct yg_arena *a)
{
    struct yg_tj *t;
    size_t eoff = 0;
    const char *emsg = NULL;
    yg_err err = yg__tj_parse(doc, strlen(doc), a, &t, &eoff, &emsg);
    return (struct verdict){err == YG_OK, eoff, emsg};
}

static struct verdict by_flattener(const char *doc)
{
    struct yg_buf out;
    yg_buf_init(&out, 1u << 20);
    struct yg_decode_err e = {0};
    yg_err err = yg__json_flatten(doc, strlen(doc), &out, NULL, &e);
    yg_buf_free(&out);
    return (struct verdict){err == YG_OK, e.col ? e.col - 1 : 0, e.msg};
}

static void same_everywhere(void)
{
    static const struct {
        const char *doc;
        bool ok;
        size_t off; /* of the error */
        const char *msg;
    } cases[] = {
        {"{\"a\":\"plain\"}", true, 0, NULL},
        {"{\"a\":\"\\u00e9\\ud83d\\ude00 \\/ \\\" \\\\ \\b\\f\\n\\r\\t\"}", true, 0, NULL},
        {"{\"a\":\"\xc3\xa9\"}", true, 0, NULL},
        {"{\"a\":-0.5e+10}", true, 0, NULL},
        {"{\"a\":\"\\x\"}", false, 6, "invalid escape in string"},
        {"{\"a\":\"\\u12g4\"}", false, 6, "invalid \\u escape (expected 4 hex digits)"},
        {"{\"a\":\"ok \\u12\"}", false, 9, "invalid \\u escape (expected 4 hex digits)"},
        {"{\"a\":\"x\ty\"}", false, 7, "control character inside a string (must be escaped)"},
        {"{\"a\":\"abc", false, 9, "unterminated string"},
        {"{\"a\":\"abc\\", false, 10, "unterminated string"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct yg_arena a;
        yg_arena_init(&a, 4096, 0);
        struct verdict v[3] = {by_scanner(cases[i].doc, &a), by_tree(cases[i].doc, &a),
                               by_flattener(cases[i].doc)};
        static const char *const who[3] = {"decode/json.c", "core/tjson.c", "decode/fmt_net.c"};
        for (int r = 0; r < 3; r++) {
            if (cases[i].ok)
                CHECK_MSG(v[r].ok, "%s refuses %s: %s at %zu", who[r], cases[i].doc,
                          v[r].msg ? v[r].msg : "?", v[r].off);
            else
                CHECK_MSG(!v[r].ok && v[r].off == cases[i].off && v[r].msg &&
                              !strcmp(v[r].msg, cases[i].msg),
                          "%s on %s: %s at %zu, want %s at %zu", who[r], cases[i].doc,
                          v[r].ok    ? "accepted"
                          : v[r].msg ? v[r].msg
                                     : "?",
                          v[r].off, cases[i].msg, cases[i].off);
        }
        yg_arena_free(&a);
    }
}

static void numbers(void)
{
    static const struct {
        const char *s;
        bool ok;
        size_t end;
    } cases[] = {
        {"0", true, 1},     {"-12", true, 3}, {"1.25", true, 4}, {"1e9,", true, 3},
        {"2E-3]", true, 4}, {"01", true, 1},  {"-", false, 1},   {"1.", false, 2},
        {"1e+", false, 3},  {".5", false, 0}, {"-x", false, 1},  {"1.e5", false, 2},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        size_t end = 99;
        bool ok = yg__jlex_num(cases[i].s, 0, strlen(cases[i].s), &end);
        CHECK_MSG(ok == cases[i].ok && end == cases[i].end, "%s: %d end %zu", cases[i].s, ok, end);
    }
}

static void strings(void)
{
    const char *b = "a\\u00e9\\ud83d\\ude00\\ud800x\xc3\xa9\"";
    size_t n = strlen(b), end = 0;
    unsigned flags = 0;
    const char *why = NULL;
    CHECK(yg__jlex_str(b, 0, n, &end, &flags, &why) == YG_OK);
    CHECK(end == n - 1 && flags == (YG_JLEX_ESC | YG_JLEX_HIGH));
    char o[64];
    size_t on = yg__jlex_unescape(b, end, o);
    /* A lone high surrogate is U+FFFD (core/utf8.h). */
    static const char want[] = "a\xc3\xa9\xf0\x9f\x98\x80\xef\xbf\xbdx\xc3\xa9";
    CHECK_MSG(on == sizeof want - 1 && !memcmp(o, want, on) && o[on] == 0, "unescaped %zu bytes",
              on);
    CHECK(yg__jlex_str("plain\"", 0, 6, &end, &flags, &why) == YG_OK && end == 5 && flags == 0);
}

/* The one-pass check and decode against yg__jlex_str then yg__jlex_unescape,
 * over strings built from pieces that stress it: escapes of every kind,
 * pairs and lone halves, bytes >= 0x80, control bytes, bad escapes and cut
 * ends, at every offset around the sixteen-byte steps. */
static void decode_one_pass(void)
{
    static const char *const piece[] = {"a",
                                        "plain text",
                                        "0123456789abcdef",
                                        "\\\\",
                                        "\\\"",
                                        "\\/",
                                        "\\n",
                                        "\\t",
                                        "\\b",
                                        "\\f",
                                        "\\r",
                                        "\\u0041",
                                        "\\u00e9",
                                        "\\u007f",
                                        "\\u0080",
                                        "\\ud83d\\ude00",
                                        "\\ud800",
                                        "\\udc00",
                                        "\xc3\xa9",
                                        "\x01",
                                        "\\x",
                                        "\\u12",
                                        "\\u00G0",
                                        "C:\\\\Windows\\\\System32"};
    const size_t np = sizeof piece / sizeof *piece;
    uint64_t seed = 42;
    unsigned bad = 0, errors = 0, hides = 0;
    for (int t = 0; t < 4000; t++) {
        char in[512];
        size_t n = 0;
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        size_t lead = (size_t)(seed >> 59); /* 0..31 plain bytes first */
        for (size_t k = 0; k < lead; k++)
            in[n++] = (char)('a' + k % 26);
        int pieces = 1 + (int)((seed >> 40) % 8);
        for (int k = 0; k < pieces; k++) {
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            const char *pc = piece[(seed >> 33) % np];
            /* Mostly well-formed strings: the bad pieces one time in four. */
            if ((pc[0] == '\x01' || !strcmp(pc, "\\x") || !strncmp(pc, "\\u12", 4) ||
                 !strcmp(pc, "\\u00G0")) &&
                (seed >> 20) % 4)
                pc = "z";
            size_t l = strlen(pc);
            memcpy(in + n, pc, l);
            n += l;
        }
        bool cut = (seed >> 10) % 16 == 0; /* no closing quote */
        if (!cut)
            in[n++] = '"';
        in[n] = 0;
        size_t e1 = 0, e2 = 0, on = 0;
        unsigned f1 = 0, f2 = 0;
        const char *w1 = NULL, *w2 = NULL;
        yg_err r1 = yg__jlex_str(in, 0, n, &e1, &f1, &w1);
        /* Exactly the room the result needs, then a guard byte. */
        char ref[512], out[520];
        size_t refn = r1 ? 0 : yg__jlex_unescape(in, e1, ref);
        size_t cap = r1 ? n + 1 : refn + 1;
        memset(out, 0x5a, sizeof out);
        yg_err r2 = yg__jlex_str_decode(in, 0, n, out, cap, &e2, &on, &f2, &w2);
        /* What the prefilter looked for in the raw text before: `\/`, or a
         * \u escape of 0000 to 007f, each backslash taking the next byte. */
        bool hide = false;
        for (const char *p = in; (p = strchr(p, '\\')) && p[1]; p += 2)
            if (p[1] == '/' || (p[1] == 'u' && p[2] == '0' && p[3] == '0' && p[4] && p[4] < '8'))
                hide = true;
        bool same =
            r1 == r2 && (r1 ? e1 == e2 && w1 == w2
                            : e1 == e2 && on == refn && !memcmp(out, ref, on) && out[on] == 0 &&
                                  (f2 & ~YG_JLEX_HIDE) == f1 && !!(f2 & YG_JLEX_HIDE) == hide);
        bool guard = (unsigned char)out[cap] == 0x5a;
        if (!same || !guard) {
            if (bad++ < 5)
                CHECK_MSG(false, "case %d: %.*s: rc %d/%d end %zu/%zu len %zu/%zu flags %u/%u%s", t,
                          (int)n, in, r1, r2, e1, e2, refn, on, f1, f2, guard ? "" : " overrun");
        }
        errors += r1 != YG_OK;
        hides += !r2 && (f2 & YG_JLEX_HIDE);
    }
    CHECK_MSG(bad == 0, "%u of 4000 strings differ", bad);
    CHECK_MSG(errors > 200 && errors < 3000 && hides > 200, "%u refused, %u hiding", errors, hides);
    /* Too little room is said, not overrun: the string is then measured. */
    size_t end = 0, on = 0;
    unsigned fl = 0;
    const char *why = NULL;
    char small[8];
    memset(small, 0x5a, sizeof small);
    CHECK(yg__jlex_str_decode("abcdefghij\"", 0, 11, small, 4, &end, &on, &fl, &why) == YG_ELIMIT);
    CHECK(yg__jlex_str_decode("\\u00e9\\u00e9\"", 0, 13, small, 4, &end, &on, &fl, &why) ==
          YG_ELIMIT);
    CHECK((unsigned char)small[4] == 0x5a);
    CHECK(yg__jlex_str_decode("\\u00e9\\u00e9\"", 0, 13, small, 5, &end, &on, &fl, &why) == YG_OK &&
          on == 4 && end == 12 && !memcmp(small, "\xc3\xa9\xc3\xa9", 5));
}

/* The arena gives back the end of its last allocation, and nothing else. */
static void arena_shrink(void)
{
    struct yg_arena a;
    yg_arena_init(&a, 4096, 0);
    char *p = yg_arena_alloc(&a, 1000);
    yg_arena_shrink(&a, p, 1000, 10);
    char *q = yg_arena_alloc(&a, 16);
    CHECK_MSG(q == p + 16, "the next allocation follows the 16 kept bytes (%td)", q - p);
    yg_arena_shrink(&a, p, 16, 0); /* p is no longer the last: left alone */
    char *r = yg_arena_alloc(&a, 16);
    CHECK(r == q + 16);
    yg_arena_free(&a);
}

/* The leaves of a document, kept for checking. */
struct leaves {
    struct yg_val v[4];
    int n;
};

static void keep_leaf(void *ud, int32_t path, const struct yg_val *v)
{
    struct leaves *l = ud;
    (void)path;
    if (l->n < 4)
        l->v[l->n++] = *v;
}

/* Strings with escapes longer than the room the scanner takes at once (the
 * input left, at most 64 KiB past the plain start): measured, then decoded
 * whole; and one whose plain start alone is longer than that. */
static void long_escaped(void)
{
    size_t big = 100000;
    char *doc = malloc(3 * big + 64);
    CHECK(doc != NULL);
    if (!doc)
        return;
    for (int shape = 0; shape < 2; shape++) {
        size_t k = (size_t)sprintf(doc, "{\"k\":\"");
        if (shape == 1)
            for (size_t i = 0; i < big; i++)
                doc[k++] = (char)('a' + i % 26);
        memcpy(doc + k, "ab\\n", 4);
        k += 4;
        for (size_t i = 0; i < big; i++)
            doc[k++] = (char)('a' + i % 26);
        memcpy(doc + k, "\\u0041\",\"z\":\"", 13);
        k += 13;
        for (size_t i = 0; i < big; i++)
            doc[k++] = 'z';
        memcpy(doc + k, "\"}", 3);
        k += 2;
        struct yg_arena a;
        yg_arena_init(&a, 4096, 0);
        struct leaves l = {.n = 0};
        struct yg_json_sink sink = {&l, on_key, keep_leaf, NULL};
        struct yg_json_err e = {0};
        size_t used = 0;
        yg_err err = yg__json_scan(doc, k, &used, &sink, &a, &e);
        size_t want = (shape ? big : 0) + 3 + big + 1;
        CHECK_MSG(err == YG_OK && used == k && l.n == 2, "shape %d: %s at %zu", shape,
                  e.msg ? e.msg : "?", e.offset);
        if (l.n == 2) {
            const struct yg_val *v = &l.v[0];
            CHECK_MSG(v->n == want, "shape %d: %u bytes, want %zu", shape, v->n, want);
            size_t at = shape ? big : 0;
            CHECK(v->n == want && !memcmp(v->p + at, "ab\n", 3) && v->p[want - 1] == 'A' &&
                  v->p[at + 3] == 'a' && v->p[want - 2] == (char)('a' + (big - 1) % 26));
            CHECK(l.v[1].n == big && l.v[1].p[0] == 'z');
            CHECK(e.hides); /* \u0041 is an ASCII 'A' */
        }
        yg_arena_free(&a);
    }
    free(doc);
}

static void literals(void)
{
    CHECK(yg__jlex_lit("true,", 0, 5) == 4 && yg__jlex_lit("false", 0, 5) == 5);
    CHECK(yg__jlex_lit("[null]", 1, 6) == 4);
    CHECK(yg__jlex_lit("tru", 0, 3) == 0 && yg__jlex_lit("nul", 0, 3) == 0);
    CHECK(yg__jlex_lit("falsy", 0, 5) == 0 && yg__jlex_lit("x", 0, 1) == 0);
    CHECK(yg__jlex_lit("true", 4, 4) == 0);
    /* All readers: a cut literal is an invalid value at its first byte. */
    struct yg_arena a;
    yg_arena_init(&a, 4096, 0);
    const char *doc = "{\"a\":tru}";
    struct verdict v[3] = {by_scanner(doc, &a), by_tree(doc, &a), by_flattener(doc)};
    for (int r = 0; r < 3; r++)
        CHECK_MSG(!v[r].ok && v[r].off == 5, "reader %d: %s at %zu", r, v[r].msg ? v[r].msg : "?",
                  v[r].off);
    yg_arena_free(&a);
}

/* What the JSON format sniffers look at: the object's first bytes. */
static void sniff_head(void)
{
    size_t hn = 99;
    const char *line = " \t{\"a\":1}";
    CHECK(yg__json_sniff_head(line, strlen(line), false, 4, &hn) == line + 2 && hn == 4);
    CHECK(yg__json_sniff_head(line, strlen(line), false, 512, &hn) == line + 2 && hn == 7);
    CHECK(yg__json_sniff_head("[1]", 3, false, 512, &hn) == NULL && hn == 0);
    CHECK(yg__json_sniff_head("  ", 2, false, 512, &hn) == NULL);
    const char *bom = "\xEF\xBB\xBF{}";
    CHECK(yg__json_sniff_head(bom, 5, true, 512, &hn) == bom + 3 && hn == 2);
    CHECK(yg__json_sniff_head(bom, 5, false, 512, &hn) == NULL);
}

/* The tree one value at a time: several values in a row, the caller's node
 * cap, and the line and column of what went wrong. */
static void stream(void)
{
    struct yg_arena a;
    yg_arena_init(&a, 4096, 0);
    const char *doc = " [1, 2] {\"k\": \"v\"} ";
    struct yg_tjp pp = {.p = doc, .len = strlen(doc), .a = &a};
    struct yg_tj *v;
    CHECK(yg__tj_value(&pp, &v) == YG_OK && v->type == YG_TJ_ARR && v->n == 2);
    CHECK(v && v->start == 1 && v->end == 7 && pp.pos == 7);
    CHECK(yg__tj_value(&pp, &v) == YG_OK && v->type == YG_TJ_OBJ);
    CHECK(v && !strcmp(yg__tj_str(v, "k"), "v") && yg__tj_kid(v, YG_TJ_OBJ, 0) == v->kids[0]);
    CHECK(yg__tj_kid(v, YG_TJ_ARR, 0) == NULL && yg__tj_kid(v, YG_TJ_OBJ, 1) == NULL);
    yg__tj_ws(&pp);
    CHECK(pp.pos == pp.len);

    /* Four values are one too many for a cap of three. */
    struct yg_tjp cap = {.p = "[1,2,3]", .len = 7, .a = &a, .max_nodes = 3};
    CHECK(yg__tj_value(&cap, &v) == YG_ELIMIT);
    CHECK_MSG(cap.err && strstr(cap.err, "the limit is 3") && cap.err_off == 5, "%s at %zu",
              cap.err ? cap.err : "?", cap.err_off);
    struct yg_tjp fits = {.p = "[1,2,3]", .len = 7, .a = &a, .max_nodes = 4};
    CHECK(yg__tj_value(&fits, &v) == YG_OK);

    /* Nesting: YG_MAX_JSON_DEPTH arrays inside the outer one are too many. */
    char deep[2 * YG_MAX_JSON_DEPTH + 8];
    size_t dn = 0;
    for (unsigned i = 0; i <= YG_MAX_JSON_DEPTH + 1; i++)
        deep[dn++] = '[';
    struct yg_tjp dp = {.p = deep, .len = dn, .a = &a};
    CHECK(yg__tj_value(&dp, &v) == YG_ELIMIT);
    CHECK_MSG(dp.err && strstr(dp.err, "YG_MAX_JSON_DEPTH"), "%s", dp.err ? dp.err : "?");

    /* An error on the third line, fifth column. */
    const char *bad = "{\n  \"a\": 1,\n  \"b\" 2\n}";
    struct yg_tjp bp = {.p = bad, .len = strlen(bad), .a = &a};
    CHECK(yg__tj_value(&bp, &v) == YG_ESYNTAX);
    unsigned line = 0, col = 0;
    yg__tj_errpos(&bp, &line, &col);
    CHECK_MSG(line == 3 && col == 7 && bp.err &&
                  !strcmp(bp.err, "expected ':' after a member name"),
              "%u:%u %s", line, col, bp.err ? bp.err : "?");
    yg_arena_free(&a);
}

int main(void)
{
    same_everywhere();
    numbers();
    strings();
    decode_one_pass();
    arena_shrink();
    long_escaped();
    literals();
    sniff_head();
    stream();
    TAP_DONE();
}
