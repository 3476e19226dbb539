/* The configuration checker of core (src/core/confcheck.c), called directly:
 * key paths (nested, indexed, cut at their maximum length), the message
 * prefix with line and column, key checking (unknown key with and without a
 * suggestion, a key of another variant, a duplicate key), each getter's
 * accepted and refused forms, and that no message quotes a value. */
#include <stdio.h>

#include "core/confcheck.h"
#include "tap.h"

static struct yg_arena arena;

/* The root mapping of one YAML document. */
static const struct yg_ynode *doc(const char *text)
{
    struct yg_ydoc *docs = NULL;
    size_t nd = 0;
    unsigned el = 0, ec = 0;
    struct yg_errmsg ywhy = {""};
    yg_err err = yg__yaml_parse(text, strlen(text), &arena, &docs, &nd, &el, &ec, &ywhy);
    CHECK_MSG(err == YG_OK && nd == 1 && docs[0].root, "%s: %s", text, ywhy.msg);
    return err == YG_OK && nd == 1 ? docs[0].root : NULL;
}

/* err is YG_EINVAL and the message is want, exactly. */
#define SAID(err, why, want)                                                                       \
    CHECK_MSG((err) == YG_EINVAL && strcmp((why).msg, (want)) == 0, "got %d \"%s\", want \"%s\"",  \
              (int)(err), (why).msg, (want))

static void keypaths(void)
{
    char kp[YG_CC_KEYPATH_MAX];
    yg__cc_key(kp, "", "sinks");
    CHECK(strcmp(kp, "sinks") == 0);
    yg__cc_index(kp, kp, 12); /* dst may be parent */
    CHECK(strcmp(kp, "sinks[12]") == 0);
    yg__cc_key(kp, kp, "headers");
    yg__cc_key(kp, kp, "Authorization");
    CHECK(strcmp(kp, "sinks[12].headers.Authorization") == 0);
    char sub[YG_CC_KEYPATH_MAX];
    yg__cc_index(sub, "", 0);
    CHECK(strcmp(sub, "[0]") == 0);

    /* Cut at YG_CC_KEYPATH_MAX - 1 characters, the start kept. */
    char longkey[400];
    memset(longkey, 'k', sizeof longkey - 1);
    longkey[sizeof longkey - 1] = 0;
    yg__cc_key(kp, "taxii", longkey);
    CHECK(strlen(kp) == YG_CC_KEYPATH_MAX - 1 && strncmp(kp, "taxii.kkk", 9) == 0);
    char parent[YG_CC_KEYPATH_MAX];
    memset(parent, 'p', 250);
    parent[250] = 0;
    yg__cc_index(kp, parent, 123456);
    CHECK_MSG(strlen(kp) == YG_CC_KEYPATH_MAX - 1 && strncmp(kp + 250, "[1234", 5) == 0, "%s",
              kp + 250);
    yg__cc_key(kp, parent, "abcdef");
    CHECK(strlen(kp) == YG_CC_KEYPATH_MAX - 1 && strcmp(kp + 250, ".abcd") == 0);
}

static void messages(void)
{
    const struct yg_ynode *m = doc("a: 1\nb:\n  c: [x, y]\n");
    if (!m)
        return;
    struct yg_errmsg why = {""};
    const struct yg_ynode *c = yg__ymap_get(yg__ymap_get(m, "b"), "c");
    SAID(yg__cc_fail(&why, "b.c", c, "what %d", 7), why, "b.c: line 3, column 6: what 7");
    SAID(yg__cc_fail(&why, "b.c[1]", c->items[1], "x"), why, "b.c[1]: line 3, column 10: x");
    SAID(yg__cc_fail(&why, "", m, "top"), why, "line 1, column 1: top");
    SAID(yg__cc_fail(&why, "k", NULL, "no node"), why, "k: line 1, column 1: no node");
    CHECK(yg__cc_fail(NULL, "k", m, "dropped") == YG_EINVAL);
    CHECK(strcmp(yg__cc_describe(c), "a sequence") == 0);
    CHECK(strcmp(yg__cc_describe(m), "a mapping") == 0);
    CHECK(strcmp(yg__cc_describe(yg__ymap_get(m, "a")), "a number") == 0);
}

static void check_map(void)
{
    static const char *const allowed[] = {"lateness", "memory", "snapshot_interval", NULL};
    static const char *const any[] = {"lateness", "memory", "path", NULL};
    struct yg_errmsg why = {""};
    const struct yg_ynode *m = doc("correlation:\n  memory: 1MB\n  lateness: 5m\n");
    if (!m)
        return;
    const struct yg_ynode *c = yg__ymap_get(m, "correlation");
    CHECK(yg__cc_check_map(&why, "correlation", c, allowed, NULL, NULL) == YG_OK);
    /* one edit away: suggested; a letter case difference counts as none */
    m = doc("correlation:\n  memory: 1MB\n  memroy: 2MB\n");
    SAID(yg__cc_check_map(&why, "correlation", yg__ymap_get(m, "correlation"), allowed, NULL, NULL),
         why, "correlation.memroy: line 3, column 3: unknown key (did you mean \"memory\"?)");
    m = doc("x:\n  LATENESS: 1s\n");
    SAID(yg__cc_check_map(&why, "x", yg__ymap_get(m, "x"), allowed, NULL, NULL), why,
         "x.LATENESS: line 2, column 3: unknown key (did you mean \"lateness\"?)");
    /* three edits or more: no suggestion */
    m = doc("x: {banana: 1}\n");
    SAID(yg__cc_check_map(&why, "x", yg__ymap_get(m, "x"), allowed, NULL, NULL), why,
         "x.banana: line 1, column 5: unknown key");
    /* at the top (empty key path) */
    m = doc("memory: 1\nbanana: 2\n");
    SAID(yg__cc_check_map(&why, "", m, allowed, NULL, NULL), why,
         "banana: line 2, column 1: unknown key");
    /* a key of a sibling variant */
    m = doc("x: {memory: 1, path: /p}\n");
    SAID(yg__cc_check_map(&why, "inputs[0]", yg__ymap_get(m, "x"), allowed, any, "syslog-udp"), why,
         "inputs[0].path: line 1, column 16: not a key of a syslog-udp input");
    /* a duplicate key, with the line of the first */
    m = doc("x:\n  memory: 1MB\n  lateness: 1s\n  memory: 2MB\n");
    SAID(yg__cc_check_map(&why, "x", yg__ymap_get(m, "x"), allowed, NULL, NULL), why,
         "x.memory: line 4, column 3: duplicate key (first at line 2)");
    /* not a mapping; a key that is not a string */
    m = doc("x: [1]\ny: 3\nz: {[a]: 1}\n");
    SAID(yg__cc_check_map(&why, "x", yg__ymap_get(m, "x"), allowed, NULL, NULL), why,
         "x: line 1, column 4: expected a mapping, found a sequence");
    SAID(yg__cc_check_map(&why, "y", yg__ymap_get(m, "y"), allowed, NULL, NULL), why,
         "y: line 2, column 4: expected a mapping, found a number");
    SAID(yg__cc_check_map(&why, "z", yg__ymap_get(m, "z"), allowed, NULL, NULL), why,
         "z: line 3, column 5: keys must be plain strings, found a sequence");
    SAID(yg__cc_missing(&why, "x", yg__ymap_get(m, "z"), "path"), why,
         "x.path: line 3, column 4: required key is missing");
    CHECK(yg__cc_nearest("memori", allowed) == allowed[1]);
    CHECK(yg__cc_nearest("memory", allowed) == NULL); /* itself is no suggestion */
    CHECK(yg__cc_in_list("memory", allowed) && !yg__cc_in_list("Memory", allowed));
}

static void strings(void)
{
    struct yg_errmsg why = {""};
    const struct yg_ynode *m = doc("s: text\nn: 1000\nb: true\nz: null\nq: [a]\nmp: {a: 1}\n"
                                   "e: ''\nnul: \"a\\0b\"\nl: [a, b]\nbad: [a, [b]]\n");
    if (!m)
        return;
    char *s = NULL;
    CHECK(yg__cc_get_str(&why, "t", m, "s", true, &s) == YG_OK && s && !strcmp(s, "text"));
    yg_free(s);
    s = NULL;
    CHECK(yg__cc_get_str(&why, "t", m, "n", true, &s) == YG_OK && s && !strcmp(s, "1000"));
    yg_free(s);
    s = NULL;
    CHECK(yg__cc_get_str(&why, "t", m, "absent", false, &s) == YG_OK && s == NULL);
    SAID(yg__cc_get_str(&why, "t", m, "absent", true, &s), why,
         "t.absent: line 1, column 1: required key is missing");
    SAID(yg__cc_get_str(&why, "t", m, "b", false, &s), why,
         "t.b: line 3, column 4: expected a string, found true/false");
    SAID(yg__cc_get_str(&why, "t", m, "z", false, &s), why,
         "t.z: line 4, column 4: expected a string, found nothing (null)");
    SAID(yg__cc_get_str(&why, "t", m, "q", false, &s), why,
         "t.q: line 5, column 4: expected a string, found a sequence");
    SAID(yg__cc_get_str(&why, "t", m, "mp", false, &s), why,
         "t.mp: line 6, column 5: expected a string, found a mapping");
    SAID(yg__cc_get_str(&why, "t", m, "e", false, &s), why,
         "t.e: line 7, column 4: must not be empty");
    SAID(yg__cc_get_str(&why, "t", m, "nul", false, &s), why,
         "t.nul: line 8, column 6: contains a NUL byte");
    CHECK(s == NULL);

    /* sequences, and lists of strings */
    const struct yg_ynode *l = NULL;
    CHECK(yg__cc_get_seq(&why, "t", m, "absent", "a list", &l) == YG_OK && l == NULL);
    CHECK(yg__cc_get_seq(&why, "t", m, "l", "a list", &l) == YG_OK && l && l->n == 2);
    SAID(yg__cc_get_seq(&why, "t", m, "mp", "a sequence of sinks", &l), why,
         "t.mp: line 6, column 5: expected a sequence of sinks, found a mapping");
    CHECK(l == NULL);
    char **v = NULL;
    size_t n = 9;
    CHECK(yg__cc_strs(&why, "t.l", yg__ymap_get(m, "l"), &v, &n) == YG_OK && n == 2 &&
          !strcmp(v[0], "a") && !strcmp(v[1], "b"));
    for (size_t i = 0; i < n; i++)
        yg_free(v[i]);
    yg_free(v);
    SAID(yg__cc_strs(&why, "t.bad", yg__ymap_get(m, "bad"), &v, &n), why,
         "t.bad[1]: line 10, column 10: expected a string, found a sequence");
    CHECK(n == 1 && v && !strcmp(v[0], "a")); /* what was made, for the caller to free */
    for (size_t i = 0; i < n; i++)
        yg_free(v[i]);
    yg_free(v);
}

static void words_bools_numbers(void)
{
    static const char *const levels[] = {"low", "medium", "high", NULL};
    struct yg_errmsg why = {""};
    const struct yg_ynode *m =
        doc("w: high\nnear: hihg\nfar: urgent\nnum: 3\nt: true\nT: True\nf: false\nyes: 'yes'\n"
            "u: 5\nzero: 0\nbig: 1001\nneg: -1\nhex: 0x10\nquoted: '5'\nfrac: 1.5\n"
            "huge: 99999999999999999999999\n");
    if (!m)
        return;
    int w = -1;
    CHECK(yg__cc_get_word(&why, "", m, "w", levels, "low, medium, high", &w) == YG_OK && w == 2);
    w = -1;
    CHECK(yg__cc_get_word(&why, "", m, "absent", levels, "low, medium, high", &w) == YG_OK &&
          w == -1);
    SAID(yg__cc_get_word(&why, "", m, "near", levels, "low, medium, high", &w), why,
         "near: line 2, column 7: expected one of low, medium, high (did you mean \"high\"?)");
    SAID(yg__cc_get_word(&why, "", m, "far", levels, "low, medium, high", &w), why,
         "far: line 3, column 6: expected one of low, medium, high");
    SAID(yg__cc_get_word(&why, "", m, "num", levels, "low, medium, high", &w), why,
         "num: line 4, column 6: expected one of low, medium, high, found a number");

    bool b = false;
    CHECK(yg__cc_get_bool(&why, "", m, "t", &b) == YG_OK && b);
    b = false;
    CHECK(yg__cc_get_bool(&why, "", m, "T", &b) == YG_OK && b);
    CHECK(yg__cc_get_bool(&why, "", m, "f", &b) == YG_OK && !b);
    b = true;
    CHECK(yg__cc_get_bool(&why, "", m, "absent", &b) == YG_OK && b);
    SAID(yg__cc_get_bool(&why, "", m, "yes", &b), why,
         "yes: line 8, column 6: expected true or false, found a string");

    unsigned u = 77;
    CHECK(yg__cc_get_uint(&why, "p", m, "u", 1, 1000, &u) == YG_OK && u == 5);
    CHECK(yg__cc_get_uint(&why, "p", m, "zero", 0, 10, &u) == YG_OK && u == 0);
    u = 77;
    CHECK(yg__cc_get_uint(&why, "p", m, "absent", 1, 1000, &u) == YG_OK && u == 77);
    static const struct {
        const char *key, *want;
    } bad[] = {
        {"zero", "p.zero: line 10, column 7: expected a whole number from 1 to 1000"},
        {"big", "p.big: line 11, column 6: expected a whole number from 1 to 1000"},
        {"neg", "p.neg: line 12, column 6: expected a whole number from 1 to 1000"},
        {"hex", "p.hex: line 13, column 6: expected a whole number from 1 to 1000"},
        {"quoted", "p.quoted: line 14, column 9: expected a whole number from 1 to 1000"},
        {"frac", "p.frac: line 15, column 7: expected a whole number from 1 to 1000"},
        {"huge", "p.huge: line 16, column 7: expected a whole number from 1 to 1000"},
        {"t", "p.t: line 5, column 4: expected a whole number from 1 to 1000"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        SAID(yg__cc_get_uint(&why, "p", m, bad[i].key, 1, 1000, &u), why, bad[i].want);
        CHECK(u == 77);
    }
}

static void durations_sizes_addresses(void)
{
    struct yg_errmsg why = {""};
    const struct yg_ynode *m = doc("d: 5m\nshort: 10ms\nlong: 8d\nwords: 5 minutes\nlist: [1s]\n"
                                   "s: 1KB\nbare: 256\nbigs: 2GB\n"
                                   "hp: '127.0.0.1:80'\nport: ':80'\nzero: '[::1]:0'\nint: 8080\n");
    if (!m)
        return;
    const uint64_t week = 7ull * 86400 * 1000;
    uint64_t x = 1;
    CHECK(yg__cc_get_duration(&why, "c", m, "d", 1000, week, NULL, &x) == YG_OK && x == 300000);
    x = 1;
    CHECK(yg__cc_get_duration(&why, "c", m, "absent", 1000, week, NULL, &x) == YG_OK && x == 1);
    SAID(yg__cc_get_duration(&why, "c", m, "short", 1000, week, NULL, &x), why,
         "c.short: line 2, column 8: must be at least 1000 ms");
    SAID(yg__cc_get_duration(&why, "c", m, "long", 1000, week, NULL, &x), why,
         "c.long: line 3, column 7: must be at most 604800000 ms");
    SAID(yg__cc_get_duration(&why, "c", m, "words", 1000, week, NULL, &x), why,
         "c.words: line 4, column 8: expected a duration such as 500ms, 5s, 5m, 1h or 1d");
    SAID(yg__cc_get_duration(&why, "c", m, "list", 1000, week, NULL, &x), why,
         "c.list: line 5, column 7: expected a duration such as 500ms, 5s, 5m, 1h or 1d");
    /* the caller's wording, for every failure */
    static const char session[] = "a duration from 1s to 7d (30m, 12h)";
    SAID(yg__cc_get_duration(&why, "c", m, "long", 1000, week, session, &x), why,
         "c.long: line 3, column 7: expected a duration from 1s to 7d (30m, 12h)");
    SAID(yg__cc_get_duration(&why, "c", m, "words", 1000, week, session, &x), why,
         "c.words: line 4, column 8: expected a duration from 1s to 7d (30m, 12h)");
    CHECK(x == 1);

    CHECK(yg__cc_get_size(&why, "c", m, "s", 1, UINT64_MAX, NULL, &x) == YG_OK && x == 1024);
    SAID(yg__cc_get_size(&why, "c", m, "bare", 1, UINT64_MAX, NULL, &x), why,
         "c.bare: line 7, column 7: expected a size such as 512KB, 100MB or 1GB");
    SAID(yg__cc_get_size(&why, "c", m, "s", 4096, UINT64_MAX, NULL, &x), why,
         "c.s: line 6, column 4: must be at least 4096 bytes");
    SAID(yg__cc_get_size(&why, "c", m, "bigs", 1, 1ull << 30, NULL, &x), why,
         "c.bigs: line 8, column 7: must be at most 1073741824 bytes");
    SAID(yg__cc_get_size(&why, "c", m, "bigs", 1024, 1ull << 30, "a size from 1KB to 1GB", &x), why,
         "c.bigs: line 8, column 7: expected a size from 1KB to 1GB");
    CHECK(x == 1024);

    char *hp = NULL;
    CHECK(yg__cc_get_hostport(&why, "i", m, "hp", true, true, false, &hp) == YG_OK && hp &&
          !strcmp(hp, "127.0.0.1:80"));
    yg_free(hp);
    hp = NULL;
    CHECK(yg__cc_get_hostport(&why, "i", m, "port", true, false, false, &hp) == YG_OK && hp);
    yg_free(hp);
    hp = NULL;
    SAID(yg__cc_get_hostport(&why, "i", m, "port", true, true, false, &hp), why,
         "i.port: line 10, column 7: expected host:port");
    CHECK(yg__cc_get_hostport(&why, "i", m, "zero", true, false, true, &hp) == YG_OK && hp);
    yg_free(hp);
    hp = NULL;
    SAID(yg__cc_get_hostport(&why, "i", m, "zero", true, false, false, &hp), why,
         "i.zero: line 11, column 7: expected host:port");
    SAID(yg__cc_get_hostport(&why, "i", m, "int", true, false, true, &hp), why,
         "i.int: line 12, column 6: expected host:port");
    CHECK(yg__cc_get_hostport(&why, "i", m, "absent", false, false, true, &hp) == YG_OK && !hp);
    SAID(yg__cc_get_hostport(&why, "i", m, "absent", true, false, true, &hp), why,
         "i.absent: line 1, column 1: required key is missing");
}

/* Credentials live in these files: whatever is wrong with a value, the
 * message says what was expected and where, never the value. */
static void no_value_quoted(void)
{
    static const char *const words[] = {"hunter", "other", NULL};
    struct yg_errmsg why = {""};
    const struct yg_ynode *m = doc("v: hunter2secret\nw: hunter2\n");
    if (!m)
        return;
    char *s = NULL;
    bool b;
    unsigned u;
    uint64_t x;
    int w;
    const struct yg_ynode *l;
    /* Each call overwrites the message: keep each one. */
    const char *msgs[8];
    char keep[8][sizeof why.msg];
    size_t k = 0;
#define KEEP(call)                                                                                 \
    do {                                                                                           \
        why.msg[0] = 0;                                                                            \
        CHECK((call) == YG_EINVAL);                                                                \
        snprintf(keep[k], sizeof keep[k], "%s", why.msg);                                          \
        msgs[k] = keep[k];                                                                         \
        k++;                                                                                       \
    } while (0)
    KEEP(yg__cc_get_bool(&why, "", m, "v", &b));
    KEEP(yg__cc_get_uint(&why, "", m, "v", 1, 2, &u));
    KEEP(yg__cc_get_duration(&why, "", m, "v", 0, UINT64_MAX, NULL, &x));
    KEEP(yg__cc_get_size(&why, "", m, "v", 0, UINT64_MAX, NULL, &x));
    KEEP(yg__cc_get_hostport(&why, "", m, "v", true, false, false, &s));
    KEEP(yg__cc_get_seq(&why, "", m, "v", "a list", &l));
    KEEP(yg__cc_get_word(&why, "", m, "v", words, "hunter, other", &w));
    KEEP(yg__cc_get_word(&why, "", m, "w", words, "hunter, other", &w));
#undef KEEP
    for (size_t i = 0; i < k; i++)
        CHECK_MSG(msgs[i][0] && !strstr(msgs[i], "hunter2"), "%zu: %s", i, msgs[i]);
    /* the near word is the allowed one, not the value */
    CHECK_MSG(strstr(msgs[7], "(did you mean \"hunter\"?)"), "%s", msgs[7]);
}

int main(void)
{
    yg_arena_init(&arena, 4096, 1u << 20);
    keypaths();
    messages();
    check_map();
    strings();
    words_bools_numbers();
    durations_sizes_addresses();
    no_value_quoted();
    yg_arena_free(&arena);
    TAP_DONE();
}
