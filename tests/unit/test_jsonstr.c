/* The one JSON string writer and the UTF-8 / UTF-16 helpers of core
 * (src/core/jsonstr.c, src/core/utf8.c): valid UTF-8 is copied, every
 * invalid byte (stray continuation, overlong, surrogate, above U+10FFFF,
 * truncated) and every control character is escaped, so the output is valid
 * JSON for any input; and the JSON readers (decode/json.c, core/tjson.c
 * whole and one value at a time, as the intel loaders read) turn \u
 * escapes, surrogate pairs and lone surrogates into the same UTF-8. */
#include <stdint.h>

#include "core/core.h"
#include "core/jsonstr.h"
#include "core/tjson.h"
#include "core/utf8.h"
#include "decode/json.h"
#include "tap.h"

static char got[4096];

static const char *write_str(const char *s, size_t n)
{
    struct yg_buf b;
    yg_buf_init(&b, 0);
    if (yg_buf_add_json_str(&b, s, n) != YG_OK || b.n >= sizeof got) {
        yg_buf_free(&b);
        return "(error)";
    }
    memcpy(got, b.p, b.n);
    got[b.n] = 0;
    yg_buf_free(&b);
    return got;
}

#define WRITES(in, want)                                                                           \
    CHECK_MSG(!strcmp(write_str(in, sizeof in - 1), want), "%s, want %s", got, want)

/* An independent check of RFC 8259 strings with RFC 3629 UTF-8: quotes at
 * both ends, no raw control byte, only the defined escapes, and raw
 * non-ASCII only as shortest-form UTF-8 of a scalar value. */
static bool valid_json_string(const unsigned char *s, size_t n)
{
    if (n < 2 || s[0] != '"' || s[n - 1] != '"')
        return false;
    for (size_t i = 1; i < n - 1;) {
        unsigned char c = s[i];
        if (c < 0x20 || c == '"')
            return false;
        if (c == '\\') {
            if (i + 1 >= n - 1)
                return false;
            unsigned char e = s[i + 1];
            if (e == 'u') {
                if (i + 6 > n - 1)
                    return false;
                for (int k = 2; k < 6; k++)
                    if (!strchr("0123456789abcdefABCDEF", s[i + k]) || !s[i + k])
                        return false;
                i += 6;
            } else if (strchr("\"\\/bfnrt", e) && e) {
                i += 2;
            } else {
                return false;
            }
            continue;
        }
        if (c < 0x80) {
            i++;
            continue;
        }
        int len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
        if (!len || c > 0xF7 || i + (size_t)len > n - 1)
            return false;
        uint32_t cp = c & (0x7F >> len);
        for (int k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return false;
            cp = cp << 6 | (s[i + k] & 0x3F);
        }
        static const uint32_t least[5] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < least[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += (size_t)len;
    }
    return true;
}

static void policy(void)
{
    WRITES("", "\"\"");
    WRITES("plain text", "\"plain text\"");
    WRITES("a\"b\\c/d", "\"a\\\"b\\\\c/d\"");
    /* Control characters: three by name, the others as \u00XX; DEL is legal. */
    WRITES("\n\r\t", "\"\\n\\r\\t\"");
    WRITES("\x01\x08\x0c\x1f", "\"\\u0001\\u0008\\u000c\\u001f\"");
    CHECK(!strcmp(write_str("a\0b", 3), "\"a\\u0000b\""));
    WRITES("\x7f", "\"\x7f\"");
    /* Valid UTF-8 is copied: 2, 3 and 4 bytes, the last scalar values. */
    WRITES("\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "\"\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
    WRITES("\xef\xbf\xbf\xf4\x8f\xbf\xbf\xee\x80\x80",
           "\"\xef\xbf\xbf\xf4\x8f\xbf\xbf\xee\x80\x80\"");
    /* Invalid bytes, one escape each. */
    WRITES("\x80", "\"\\u0080\"");
    WRITES("\xff\xfe", "\"\\u00ff\\u00fe\"");
    WRITES("\xc0\x80", "\"\\u00c0\\u0080\"");                       /* overlong NUL */
    WRITES("\xc1\xbf", "\"\\u00c1\\u00bf\"");                       /* overlong DEL */
    WRITES("\xe0\x80\x80", "\"\\u00e0\\u0080\\u0080\"");            /* overlong three-byte */
    WRITES("\xf0\x8f\xbf\xbf", "\"\\u00f0\\u008f\\u00bf\\u00bf\""); /* overlong four-byte */
    WRITES("\xed\xa0\x80", "\"\\u00ed\\u00a0\\u0080\"");            /* surrogate U+D800 (CESU-8) */
    WRITES("\xed\xbf\xbf", "\"\\u00ed\\u00bf\\u00bf\"");            /* surrogate U+DFFF */
    WRITES("\xf4\x90\x80\x80", "\"\\u00f4\\u0090\\u0080\\u0080\""); /* U+110000 */
    WRITES("\xf5\x80\x80\x80", "\"\\u00f5\\u0080\\u0080\\u0080\"");
    WRITES("\xe2\x82"
           "A",
           "\"\\u00e2\\u0082A\"");                 /* truncated, then ASCII */
    WRITES("x\xc3", "\"x\\u00c3\"");               /* truncated at the end */
    WRITES("\xc3\xa9\xa9", "\"\xc3\xa9\\u00a9\""); /* a stray continuation after a valid one */
}

/* Each byte position of a 40-byte string (the 16-byte scan and the tail),
 * with an invalid byte, a quote, a control byte or a 4-byte sequence there. */
static void positions(void)
{
    static const char *const ins[] = {"\xff", "\"", "\x02", "\xf0\x9f\x98\x80"};
    static const char *const outs[] = {"\\u00ff", "\\\"", "\\u0002", "\xf0\x9f\x98\x80"};
    unsigned bad = 0;
    for (int k = 0; k < 4; k++)
        for (size_t p = 0; p < 40; p++) {
            char in[64], want[128];
            size_t il = strlen(ins[k]);
            memset(in, 'a', 40);
            memcpy(in + p, ins[k], il);
            snprintf(want, sizeof want, "\"%.*s%s%.*s\"", (int)p, in, outs[k],
                     (int)(40 > p + il ? 40 - p - il : 0), in + p + il);
            size_t n = p + il > 40 ? p + il : 40;
            if (strcmp(write_str(in, n), want))
                bad++;
        }
    CHECK_MSG(bad == 0, "%u placements written wrong", bad);
}

/* Every input of one and two bytes, and of three bytes with a lead of E0-F4,
 * gives a valid JSON string. */
static void always_valid(void)
{
    unsigned bad = 0;
    for (unsigned a = 0; a < 256; a++)
        for (unsigned b = 0; b < 256; b++) {
            char in[3] = {(char)a, (char)b, 0};
            for (size_t n = 1; n <= 2; n++) {
                const char *o = write_str(in, n);
                if (!valid_json_string((const unsigned char *)o, strlen(o)))
                    bad++;
            }
            for (unsigned c = 0x80; a >= 0xE0 && a <= 0xF4 && c < 0xC0; c++) {
                in[2] = (char)c;
                const char *o = write_str(in, 3);
                if (!valid_json_string((const unsigned char *)o, strlen(o)))
                    bad++;
            }
        }
    CHECK_MSG(bad == 0, "%u inputs gave invalid JSON", bad);
}

static void helpers(void)
{
    static const uint32_t cps[] = {0,      0x7F,   0x80,   0x7FF,   0x800,   0xD7FF,
                                   0xE000, 0xFFFD, 0xFFFF, 0x10000, 0x1F600, 0x10FFFF};
    static const size_t lens[] = {1, 1, 2, 2, 3, 3, 3, 3, 3, 4, 4, 4};
    for (size_t i = 0; i < sizeof cps / sizeof *cps; i++) {
        char o[4];
        size_t n = yg__utf8_put(o, cps[i]);
        CHECK_MSG(n == lens[i], "U+%04X: %zu bytes", (unsigned)cps[i], n);
        CHECK(n == 1 || yg__utf8_valid_len((const unsigned char *)o, n) == n);
    }
    unsigned used;
    CHECK(yg__utf16_join(0xD83D, 0xDE00, &used) == 0x1F600 && used == 2);
    CHECK(yg__utf16_join(0xDBFF, 0xDFFF, &used) == 0x10FFFF && used == 2);
    CHECK(yg__utf16_join(0xD800, 0xDC00, &used) == 0x10000 && used == 2);
    CHECK(yg__utf16_join(0xD83D, 0x0041, &used) == 0xFFFD && used == 1); /* high, then not low */
    CHECK(yg__utf16_join(0xD83D, 0, &used) == 0xFFFD && used == 1);      /* high at the end */
    CHECK(yg__utf16_join(0xDE00, 0xDE00, &used) == 0xFFFD && used == 1); /* low first */
    CHECK(yg__utf16_join(0x0041, 0xDC00, &used) == 0x41 && used == 1);
    CHECK(yg__utf16_join(0xFFFF, 0, &used) == 0xFFFF && used == 1);
}

/* ---- the three readers agree ---- */

static char leafv[64];
static size_t leafn;
static int32_t on_key(void *ud, int32_t parent, const char *k, size_t kn)
{
    (void)ud, (void)parent, (void)k, (void)kn;
    return 0;
}
static void on_leaf(void *ud, int32_t path, const struct yg_val *v)
{
    (void)ud, (void)path;
    leafn = v->n < sizeof leafv ? v->n : 0;
    memcpy(leafv, v->p, leafn);
}

static void readers(void)
{
    static const struct {
        const char *esc, *utf8;
    } cases[] = {
        {"\\ud83d\\ude00", "\xf0\x9f\x98\x80"},         /* a pair */
        {"\\uD83D\\uDE00x", "\xf0\x9f\x98\x80x"},       /* upper-case hex */
        {"\\ud83d", "\xef\xbf\xbd"},                    /* lone high at the end */
        {"\\ud83dx", "\xef\xbf\xbdx"},                  /* lone high, then text */
        {"\\ude00\\ud83d", "\xef\xbf\xbd\xef\xbf\xbd"}, /* low before high */
        {"\\ud83d\\u0041", "\xef\xbf\xbd"
                           "A"}, /* high, then not a low */
        {"\\u00e9\\u20ac", "\xc3\xa9\xe2\x82\xac"},
        {"\\u0000", "\0"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char doc[128];
        int dn = snprintf(doc, sizeof doc, "{\"k\":\"%s\"}", cases[i].esc);
        size_t wn = strlen(cases[i].utf8) ? strlen(cases[i].utf8) : 1;
        struct yg_arena a;
        yg_arena_init(&a, 4096, 0);
        /* decode/json.c */
        struct yg_json_sink sink = {NULL, on_key, on_leaf, NULL};
        struct yg_json_err je;
        size_t used;
        leafn = 0;
        CHECK(yg__json_scan(doc, (size_t)dn, &used, &sink, &a, &je) == YG_OK);
        CHECK_MSG(leafn == wn && !memcmp(leafv, cases[i].utf8, wn), "json.c: %s", cases[i].esc);
        /* core/tjson.c */
        struct yg_tj *t;
        size_t eoff;
        const char *emsg;
        CHECK(yg__tj_parse(doc, (size_t)dn, &a, &t, &eoff, &emsg) == YG_OK);
        const struct yg_tj *v = yg__tj_get(t, "k");
        CHECK_MSG(v && v->sn == wn && !memcmp(v->s, cases[i].utf8, wn), "tjson.c: %s",
                  cases[i].esc);
        /* core/tjson.c, one value at a time (the intel loaders) */
        struct yg_tjp pp = {doc, (size_t)dn, 0, &a, 0, 100, NULL, 0};
        struct yg_tj *ij;
        CHECK(yg__tj_value(&pp, &ij) == YG_OK);
        const struct yg_tj *iv = ij ? yg__tj_get(ij, "k") : NULL;
        CHECK_MSG(iv && iv->sn == wn && !memcmp(iv->s, cases[i].utf8, wn), "yg__tj_value: %s",
                  cases[i].esc);
        yg_arena_free(&a);
    }
}

/* The stream form (reports printed as they are made) has the same policy. */
static void to_stream(void)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    CHECK(f != NULL);
    if (!f)
        return;
    yg__json_str_fput(f, "a\xff\nb\xc3\xa9", 6);
    fclose(f);
    static const char want[] = "\"a\\u00ff\\nb\xc3\xa9\"";
    CHECK_MSG(len == sizeof want - 1 && !memcmp(text, want, len), "%s", text);
    free(text);
}

int main(void)
{
    to_stream();
    policy();
    positions();
    always_valid();
    helpers();
    readers();
    TAP_DONE();
}
