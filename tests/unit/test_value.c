/*
 * test_value.c - Sigma value modifiers: parsing of modifier chains,
 * compilation of values into tests, and matching.
 *
 * Expected encodings (base64, base64offset, utf16 variants, windash) were
 * produced with pySigma 2.0.1 and are hard-coded here.
 */
#include "match/value.h"

#include <stdarg.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"

static struct yg_arena perm;
static struct yg_vm_pool pool;
static void *scratch;
static struct yg_placeholders *ph;
/* The last failure's message; why names its text. */
static struct yg_errmsg whymsg;
static char *const why = whymsg.msg;

/* ---- helpers ------------------------------------------------------------ */

static yg_err mods(const char *chain, struct yg_mods *m)
{
    struct yg_str names[32];
    size_t n = 0;
    const char *p = chain;
    while (*chain && n < 32) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        names[n++] = (struct yg_str){p, len};
        if (!bar)
            break;
        p = bar + 1;
    }
    why[0] = 0;
    return yg__mods_parse(names, n, m, &whymsg);
}

static struct yg_ynode node(enum yg_skind k, const char *s)
{
    struct yg_ynode v;
    memset(&v, 0, sizeof v);
    v.type = YG_Y_SCALAR;
    v.skind = k;
    v.s = s;
    v.slen = strlen(s);
    v.line = 1;
    v.col = 1;
    return v;
}

/* Compile `value` (of YAML kind k) under the modifier chain. */
static yg_err compk(const char *chain, enum yg_skind k, const char *value, struct yg_vmgroup *g)
{
    struct yg_mods m;
    yg_err err = mods(chain, &m);
    memset(g, 0, sizeof *g);
    if (err)
        return err;
    struct yg_ynode v = node(k, value);
    why[0] = 0;
    return yg__value_compile(&m, &v, ph, &perm, &pool, g, &whymsg);
}

static yg_err comp(const char *chain, const char *value, struct yg_vmgroup *g)
{
    return compk(chain, YG_S_STR, value, g);
}

static struct yg_val sval(const char *s)
{
    return (struct yg_val){s, (uint32_t)strlen(s), YG_VT_STR};
}
static struct yg_val tval(uint8_t t, const char *s)
{
    return (struct yg_val){s, (uint32_t)strlen(s), t};
}

static bool gmatch_v(const struct yg_vmgroup *g, const struct yg_val *v)
{
    for (uint32_t i = 0; i < g->n; i++)
        if (yg__vm_test(&g->v[i], v, scratch))
            return true;
    return false;
}

static bool gm(const struct yg_vmgroup *g, const char *s)
{
    struct yg_val v = sval(s);
    return gmatch_v(g, &v);
}

static bool gmb(const struct yg_vmgroup *g, const void *p, size_t n)
{
    struct yg_val v = {p, (uint32_t)n, YG_VT_STR};
    return gmatch_v(g, &v);
}

static bool gmt(const struct yg_vmgroup *g, uint8_t t, const char *s)
{
    struct yg_val v = tval(t, s);
    return gmatch_v(g, &v);
}

static bool pat_is(const struct yg_vm *vm, const char *s)
{
    return vm->pat && vm->n == strlen(s) && memcmp(vm->pat, s, vm->n) == 0;
}

static bool pat_isb(const struct yg_vm *vm, const void *s, size_t n)
{
    return vm->pat && vm->n == n && memcmp(vm->pat, s, n) == 0;
}

static bool atom_is(const struct yg_vm *vm, const char *s)
{
    return vm->atom.n == strlen(s) && (vm->atom.n == 0 || memcmp(vm->atom.p, s, vm->atom.n) == 0);
}

/* Does the group hold a test with this op and pattern? */
static bool has(const struct yg_vmgroup *g, uint8_t op, const char *pat)
{
    for (uint32_t i = 0; i < g->n; i++)
        if (g->v[i].op == op && pat_is(&g->v[i], pat))
            return true;
    return false;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static char *write_tmp(const char *text)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/yg_test_value_XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0)
        return NULL;
    size_t n = strlen(text);
    if (write(fd, text, n) != (ssize_t)n) {
        close(fd);
        return NULL;
    }
    close(fd);
    return path;
}

/* ---- modifier chains ---------------------------------------------------- */

static void test_mods_parse(void)
{
    struct yg_mods m;
    static const char *const all[] = {
        "contains", "startswith", "endswith", "all",          "exists", "cased",   "neq",
        "windash",  "re",         "base64",   "base64offset", "wide",   "utf16le", "utf16be",
        "utf16",    "lt",         "lte",      "gt",           "gte",    "cidr",    "expand",
        "fieldref", "minute",     "hour",     "day",          "week",   "month",   "year"};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        CHECK_MSG(mods(all[i], &m) == YG_OK && m.nchain == 1, "%s: %s", all[i], why);

    CHECK(mods("wide", &m) == YG_OK && m.bits == YG_MOD_UTF16LE);
    CHECK(mods("utf16le", &m) == YG_OK && m.bits == YG_MOD_UTF16LE);
    CHECK(mods("re|i|m|s", &m) == YG_OK &&
          m.bits == (YG_MOD_RE | YG_MOD_RE_I | YG_MOD_RE_M | YG_MOD_RE_S));
    CHECK(mods("re|ignorecase|multiline|dotall", &m) == YG_OK &&
          m.bits == (YG_MOD_RE | YG_MOD_RE_I | YG_MOD_RE_M | YG_MOD_RE_S));
    CHECK(mods("wide|base64offset|contains", &m) == YG_OK && m.nchain == 3 &&
          m.chain[0] == YG_MOD_UTF16LE && m.chain[1] == YG_MOD_BASE64OFFSET &&
          m.chain[2] == YG_MOD_CONTAINS);
    CHECK(mods("", &m) == YG_OK && m.nchain == 0 && m.bits == 0);

    /* Unknown modifiers name themselves; names are case-sensitive. */
    CHECK(mods("contains|bogus", &m) == YG_EUNSUPPORTED && strstr(why, "'bogus'"));
    CHECK(mods("Contains", &m) == YG_EUNSUPPORTED && strstr(why, "Contains"));
    CHECK(mods("contains|", &m) == YG_EUNSUPPORTED);

    /* Chains pySigma accepts. */
    static const char *const good[] = {"re|contains",
                                       "re|i|startswith",
                                       "re|expand",
                                       "hour|gt",
                                       "year|lte",
                                       "fieldref|contains",
                                       "cased|fieldref",
                                       "fieldref|cased",
                                       "fieldref|neq",
                                       "exists|neq",
                                       "all|re",
                                       "neq|cidr",
                                       "contains|all",
                                       "contains|windash",
                                       "windash|contains|cased",
                                       "utf16|base64offset|contains",
                                       "contains|expand",
                                       "expand|contains",
                                       "contains|contains",
                                       "neq|gt",
                                       "base64|contains"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        CHECK_MSG(mods(good[i], &m) == YG_OK, "%s: %s", good[i], why);

    /* Chains pySigma rejects (type errors), and expand with encodings. */
    static const char *const bad[] = {"contains|re",
                                      "re|cased",
                                      "cased|re",
                                      "re|windash",
                                      "re|base64",
                                      "cidr|contains",
                                      "contains|cidr",
                                      "exists|contains",
                                      "contains|exists",
                                      "i",
                                      "contains|m",
                                      "gt|hour",
                                      "gt|lt",
                                      "hour|minute",
                                      "contains|gt",
                                      "gt|contains",
                                      "contains|fieldref",
                                      "windash|fieldref",
                                      "fieldref|windash",
                                      "fieldref|base64",
                                      "expand|base64",
                                      "wide|expand",
                                      "cidr|cased",
                                      "re|gt",
                                      "hour|contains"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        yg_err e = mods(bad[i], &m);
        CHECK_MSG(e == YG_ESYNTAX && why[0], "%s: %d %s", bad[i], e, why);
    }
    CHECK(mods("contains|re", &m) == YG_ESYNTAX && strstr(why, "'re'"));
    CHECK(mods("i", &m) == YG_ESYNTAX && strstr(why, "needs 're'"));

    CHECK(mods("contains|contains|contains|contains|contains|contains|contains|contains|contains|"
               "contains|contains|contains|contains|contains|contains|contains|contains",
               &m) == YG_ELIMIT);
}

/* ---- plain strings, wildcards, escaping ------------------------------------ */

static void test_escaping(void)
{
    struct yg_vmgroup g;
    /* `\*` at the end is a literal star. */
    CHECK(comp("", "C:\\Windows\\*", &g) == YG_OK && g.n == 1);
    CHECK(g.v[0].op == YG_VOP_EQ && pat_is(&g.v[0], "c:\\windows*"));
    CHECK(gm(&g, "C:\\Windows*"));
    CHECK(!gm(&g, "C:\\Windows\\System32"));
    /* `\\*` is a backslash followed by a wildcard. */
    CHECK(comp("", "C:\\\\Windows\\\\*", &g) == YG_OK && g.n == 1);
    CHECK(g.v[0].op == YG_VOP_PREFIX && pat_is(&g.v[0], "c:\\windows\\"));
    CHECK(gm(&g, "c:\\windows\\system32\\cmd.exe"));
    CHECK(!gm(&g, "C:\\WindowsX"));
    /* `\\\*`: backslash and literal star. */
    CHECK(comp("", "a\\\\\\*", &g) == YG_OK && g.v[0].op == YG_VOP_EQ && pat_is(&g.v[0], "a\\*"));
    /* Four backslashes are two. */
    CHECK(comp("", "\\\\\\\\", &g) == YG_OK && g.v[0].op == YG_VOP_EQ && pat_is(&g.v[0], "\\\\"));
    /* Three backslashes are two as well (the third escapes nothing). */
    CHECK(comp("", "\\\\\\", &g) == YG_OK && pat_is(&g.v[0], "\\\\"));
    /* A trailing backslash is literal; before an ordinary letter too. */
    CHECK(comp("", "a\\", &g) == YG_OK && pat_is(&g.v[0], "a\\"));
    CHECK(comp("", "\\a\\b", &g) == YG_OK && pat_is(&g.v[0], "\\a\\b"));
    CHECK(comp("", "\\?", &g) == YG_OK && g.v[0].op == YG_VOP_EQ && pat_is(&g.v[0], "?"));
    CHECK(gm(&g, "?") && !gm(&g, "x"));

    /* The spec's wildcard examples. */
    CHECK(comp("", "prog?.exe", &g) == YG_OK && g.v[0].op == YG_VOP_GLOB);
    CHECK(gm(&g, "progA.exe") && gm(&g, "PROGb.EXE"));
    CHECK(!gm(&g, "prog.exe") && !gm(&g, "progAB.exe"));
    CHECK(gm(&g, "prog\xc3\xa9.exe")); /* `?` is one character, not one byte */
    CHECK(atom_is(&g.v[0], "prog"));   /* equal lengths: the first literal */
    CHECK(comp("", "antivirus_V*.exe", &g) == YG_OK && g.v[0].op == YG_VOP_GLOB);
    CHECK(gm(&g, "antivirus_V1.exe") && gm(&g, "antivirus_V21.2.1.exe"));
    CHECK(!gm(&g, "antivirus_V1.exe.bak"));
    CHECK(atom_is(&g.v[0], "antivirus_v"));

    /* Leading/trailing stars lower to SUFFIX/PREFIX/CONTAINS. */
    CHECK(comp("", "*\\cmd.exe", &g) == YG_OK && g.v[0].op == YG_VOP_SUFFIX &&
          pat_is(&g.v[0], "\\cmd.exe"));
    CHECK(comp("", "adm*", &g) == YG_OK && g.v[0].op == YG_VOP_PREFIX);
    CHECK(comp("", "**mimi**", &g) == YG_OK && g.v[0].op == YG_VOP_CONTAINS &&
          pat_is(&g.v[0], "mimi"));
    CHECK(comp("", "*", &g) == YG_OK && g.v[0].op == YG_VOP_CONTAINS && g.v[0].n == 0);
    CHECK(gm(&g, "") && gm(&g, "anything") && !gmt(&g, YG_VT_NULL, "null"));
    CHECK(g.v[0].atom.n == 0);
    CHECK(comp("", "a*b?c", &g) == YG_OK && g.v[0].op == YG_VOP_GLOB && pat_is(&g.v[0], "a*b?c"));
    CHECK(comp("", "a\\*b*c", &g) == YG_OK && g.v[0].op == YG_VOP_GLOB &&
          pat_is(&g.v[0], "a\\*b*c"));
    CHECK(gm(&g, "a*bXXc") && !gm(&g, "aXbXXc"));

    /* Empty string matches only the empty string. */
    CHECK(comp("", "", &g) == YG_OK && g.v[0].op == YG_VOP_EQ && g.v[0].n == 0);
    CHECK(gm(&g, "") && !gm(&g, "a") && !gmt(&g, YG_VT_NULL, "null"));
}

static void test_case(void)
{
    struct yg_vmgroup g;
    CHECK(comp("", "CMD.exe", &g) == YG_OK && pat_is(&g.v[0], "cmd.exe") && !g.v[0].cased);
    CHECK(gm(&g, "cmd.EXE") && gm(&g, "CMD.exe"));
    CHECK(comp("cased", "CMD.exe", &g) == YG_OK && pat_is(&g.v[0], "CMD.exe") && g.v[0].cased);
    CHECK(gm(&g, "CMD.exe") && !gm(&g, "cmd.exe"));
    CHECK(atom_is(&g.v[0], "cmd.exe")); /* atoms are always lowercase */
    CHECK(comp("cased|contains", "Ab", &g) == YG_OK && g.v[0].op == YG_VOP_CONTAINS);
    CHECK(gm(&g, "xAbx") && !gm(&g, "xabx"));
    CHECK(comp("cased", "A*b?C", &g) == YG_OK && g.v[0].op == YG_VOP_GLOB);
    CHECK(gm(&g, "AxxbyC") && !gm(&g, "axxbyC") && !gm(&g, "AxxbyC_"));
    CHECK(atom_is(&g.v[0], "a")); /* equal lengths: the first literal */
    /* Only ASCII folds. */
    CHECK(comp("", "\xc3\x89T\xc3\x89", &g) == YG_OK);
    CHECK(gm(&g, "\xc3\x89t\xc3\x89") && !gm(&g, "\xc3\xa9t\xc3\xa9"));
    /* Numbers and booleans are text to string tests. */
    CHECK(comp("", "4688", &g) == YG_OK && gmt(&g, YG_VT_NUM, "4688"));
    CHECK(comp("", "TRUE", &g) == YG_OK && gmt(&g, YG_VT_BOOL, "true"));
    CHECK(comp("", "null", &g) == YG_OK && !gmt(&g, YG_VT_NULL, "null"));
}

static void test_contains_family(void)
{
    struct yg_vmgroup g;
    CHECK(comp("contains", "mimikatz", &g) == YG_OK && g.v[0].op == YG_VOP_CONTAINS);
    CHECK(gm(&g, "x MimiKatz y") && !gm(&g, "mimi katz"));
    CHECK(comp("startswith", "adm", &g) == YG_OK && g.v[0].op == YG_VOP_PREFIX);
    CHECK(gm(&g, "Admin") && !gm(&g, "xadm"));
    CHECK(comp("endswith", "\\cmd.exe", &g) == YG_OK && g.v[0].op == YG_VOP_SUFFIX);
    CHECK(gm(&g, "C:\\Windows\\System32\\cmd.exe") && !gm(&g, "cmd.exe"));
    /* Existing stars are not doubled; inner wildcards make a glob. */
    CHECK(comp("contains", "*abc*", &g) == YG_OK && g.v[0].op == YG_VOP_CONTAINS &&
          pat_is(&g.v[0], "abc"));
    CHECK(comp("startswith", "a*b", &g) == YG_OK && g.v[0].op == YG_VOP_GLOB &&
          pat_is(&g.v[0], "a*b*"));
    CHECK(gm(&g, "a__b__") && !gm(&g, "b__a"));
    CHECK(comp("endswith", "a?", &g) == YG_OK && pat_is(&g.v[0], "*a?"));
    CHECK(gm(&g, "xxaZ") && !gm(&g, "xxa"));
    /* contains of the empty string matches every string. */
    CHECK(comp("contains", "", &g) == YG_OK && g.v[0].op == YG_VOP_CONTAINS && g.v[0].n == 0);
    CHECK(gm(&g, "") && gm(&g, "x"));
    CHECK(comp("startswith", "", &g) == YG_OK && g.v[0].op == YG_VOP_CONTAINS);
    /* all and neq do not change the tests. */
    CHECK(comp("contains|all|neq", "abc", &g) == YG_OK && g.n == 1 &&
          g.v[0].op == YG_VOP_CONTAINS && pat_is(&g.v[0], "abc"));
    CHECK(atom_is(&g.v[0], "abc"));
}

static void test_glob_engine(void)
{
    struct yg_vmgroup g;
    CHECK(comp("", "*a*b*c", &g) == YG_OK && g.v[0].op == YG_VOP_GLOB);
    CHECK(gm(&g, "xxaxxbxxc") && gm(&g, "abc") && gm(&g, "aabbcc") && !gm(&g, "acb") &&
          !gm(&g, "abcd"));
    CHECK(comp("", "a*a", &g) == YG_OK && gm(&g, "aa") && gm(&g, "aba") && !gm(&g, "a"));
    CHECK(comp("", "*?x", &g) == YG_OK && gm(&g, "ax") && !gm(&g, "x"));
    CHECK(comp("", "??", &g) == YG_OK && gm(&g, "ab") && gm(&g, "\xc3\xa9z") &&
          !gm(&g, "\xc3\xa9"));
    CHECK(comp("", "*?", &g) == YG_OK && gm(&g, "\xc3\xa9") && !gm(&g, ""));
    CHECK(comp("", "*ab*ab*", &g) == YG_OK && gm(&g, "abab") && !gm(&g, "aba"));
    CHECK(comp("", "x*x?x*", &g) == YG_OK && gm(&g, "xxyx") && !gm(&g, "xxy"));

    /* A pattern that is exponential for naive backtracking. */
    CHECK(comp("", "*a*a*a*a*a*a*a*a*a*a*b", &g) == YG_OK && g.v[0].op == YG_VOP_GLOB);
    static char big[20001];
    memset(big, 'a', sizeof big - 1);
    double t0 = now();
    bool r = gm(&g, big);
    CHECK(!r);
    CHECK_MSG(now() - t0 < 1.0, "glob took %.3f s", now() - t0);
    CHECK(comp("", "*a?a?a?a?a?a?b", &g) == YG_OK);
    t0 = now();
    r = gm(&g, big);
    CHECK(!r);
    CHECK_MSG(now() - t0 < 2.0, "glob took %.3f s", now() - t0);
}

/* ---- windash -------------------------------------------------------------- */

static void test_windash(void)
{
    struct yg_vmgroup g;
    CHECK(comp("windash", "-foo", &g) == YG_OK && g.n == 5);
    CHECK(has(&g, YG_VOP_EQ, "-foo") && has(&g, YG_VOP_EQ, "/foo") &&
          has(&g, YG_VOP_EQ,
              "\xe2\x80\x93"
              "foo") &&
          has(&g, YG_VOP_EQ,
              "\xe2\x80\x94"
              "foo") &&
          has(&g, YG_VOP_EQ,
              "\xe2\x80\x95"
              "foo"));
    CHECK(gm(&g, "/FOO") && !gm(&g, "+foo"));
    /* pySigma order: first dash slowest. */
    CHECK(comp("windash|contains", " -a /b", &g) == YG_OK && g.n == 25);
    CHECK(pat_is(&g.v[0], " -a -b") && pat_is(&g.v[1], " -a /b") && pat_is(&g.v[5], " /a -b"));
    CHECK(g.v[0].op == YG_VOP_CONTAINS);
    CHECK(gm(&g, "cmd.exe /a \xe2\x80\x95"
                 "b x"));
    /* Only dashes that start a word: not inside words, not before a space. */
    CHECK(comp("windash", "a-b x - y/z", &g) == YG_OK && g.n == 1);
    CHECK(comp("windash", "-a/b --c", &g) == YG_OK && g.n == 25);
    CHECK(pat_is(&g.v[1], "-a/b -/c") && pat_is(&g.v[24], "\xe2\x80\x95"
                                                          "a/b -\xe2\x80\x95"
                                                          "c"));
    /* Non-ASCII letters are word characters; an en dash is not expanded. */
    CHECK(comp("windash", "-\xc3\xa4", &g) == YG_OK && g.n == 5);
    CHECK(comp("windash",
               "\xe2\x80\x93"
               "a",
               &g) == YG_OK &&
          g.n == 1);
    /* The dash right after a wildcard starts a new part (pySigma splits
     * the string there). */
    CHECK(comp("windash", "a*-b", &g) == YG_OK && g.n == 5);
    /* A backslash is not a word character: `x\-y` expands. */
    CHECK(comp("windash|contains", "x\\-y", &g) == YG_OK && g.n == 5);
    CHECK(comp("windash", "-a -b -c", &g) == YG_OK && g.n == 125);
    CHECK(comp("windash", "-a -b -c -d", &g) == YG_ELIMIT && strstr(why, "windash"));
    CHECK(comp("windash|cased", "-Ab", &g) == YG_OK && g.n == 5 && g.v[0].cased &&
          pat_is(&g.v[1], "/Ab"));
}

/* ---- encodings -------------------------------------------------------------- */

static void test_base64(void)
{
    struct yg_vmgroup g;
    CHECK(comp("base64|cased", "ping", &g) == YG_OK && g.n == 1 && pat_is(&g.v[0], "cGluZw=="));
    CHECK(comp("cased|base64", "Invoke-Mimikatz", &g) == YG_OK &&
          pat_is(&g.v[0], "SW52b2tlLU1pbWlrYXR6"));
    CHECK(comp("base64", "ping", &g) == YG_OK && pat_is(&g.v[0], "cgluzw=="));
    CHECK(gm(&g, "cGluZw==") && g.v[0].op == YG_VOP_EQ);
    CHECK(comp("base64|contains", "ping", &g) == YG_OK && g.v[0].op == YG_VOP_CONTAINS);

    static const struct {
        const char *chain, *in, *out[3];
    } off[] = {
        {"base64offset|contains|cased", "ping", {"cGluZ", "Bpbm", "waW5n"}},
        {"base64offset|contains|cased", "IEX (", {"SUVYIC", "lFWCAo", "JRVggK"}},
        {"base64offset|contains|cased", "http://", {"aHR0cDovL", "h0dHA6Ly", "odHRwOi8v"}},
        {"base64offset|cased", "abcd", {"YWJjZ", "FiY2", "hYmNk"}},
        {"base64offset|cased", "abcde", {"YWJjZG", "FiY2Rl", "hYmNkZ"}},
        {"base64offset|cased", "abc", {"YWJj", "FiY", "hYm"}},
        {"base64offset|cased", "a", {"Y", "", "h"}},
        {"wide|base64offset|contains|cased", "IEX", {"SQBFAFgA", "kARQBYA", "JAEUAWA"}},
        {"utf16|base64offset|contains|cased", "IEX", {"//5JAEUAWA", "/+SQBFAFgA", "//kkARQBYA"}},
        {"utf16be|base64offset|contains|cased", "IEX", {"AEkARQBY", "BJAEUAW", "ASQBFAF"}},
    };
    for (size_t i = 0; i < sizeof off / sizeof off[0]; i++) {
        yg_err e = comp(off[i].chain, off[i].in, &g);
        CHECK_MSG(e == YG_OK && g.n == 3, "%s %s: %s", off[i].chain, off[i].in, why);
        if (e || g.n != 3)
            continue;
        for (int k = 0; k < 3; k++)
            CHECK_MSG(pat_is(&g.v[k], off[i].out[k]), "%s %s [%d]: got '%.*s' want '%s'",
                      off[i].chain, off[i].in, k, (int)g.v[k].n, g.v[k].pat, off[i].out[k]);
    }
    CHECK(comp("base64offset|contains", "IEX (", &g) == YG_OK && g.n == 3 &&
          g.v[0].op == YG_VOP_CONTAINS && pat_is(&g.v[0], "suvyic"));
    CHECK(gm(&g, "powershell -enc SUVYICgoTmV3") && !gm(&g, "powershell -enc SUVY"));
    /* pySigma: a one-byte value has an empty middle fragment. */
    CHECK(comp("base64offset|contains", "a", &g) == YG_OK && g.n == 3 &&
          g.v[1].op == YG_VOP_CONTAINS && g.v[1].n == 0);

    CHECK(comp("utf16|base64|cased", "cmd", &g) == YG_OK && pat_is(&g.v[0], "//5jAG0AZAA="));
    CHECK(comp("utf16be|base64|cased", "cmd", &g) == YG_OK && pat_is(&g.v[0], "AGMAbQBk"));
    CHECK(comp("wide|base64|cased", "cmd", &g) == YG_OK && pat_is(&g.v[0], "YwBtAGQA"));

    CHECK(comp("base64", "ab*", &g) == YG_ESYNTAX && strstr(why, "wildcard"));
    CHECK(comp("contains|base64", "ab", &g) == YG_ESYNTAX);
    CHECK(comp("base64offset", "a?b", &g) == YG_ESYNTAX);
    CHECK(comp("base64", "\\*", &g) == YG_OK && pat_is(&g.v[0], "kg==")); /* literal star */
}

static void test_utf16(void)
{
    struct yg_vmgroup g;
    CHECK(comp("wide", "cmd", &g) == YG_OK && g.v[0].op == YG_VOP_EQ &&
          pat_isb(&g.v[0], "c\0m\0d\0", 6));
    CHECK(gmb(&g, "C\0M\0D\0", 6) && !gm(&g, "cmd"));
    CHECK(g.v[0].atom.n == 6 && memcmp(g.v[0].atom.p, "c\0m\0d\0", 6) == 0);
    CHECK(comp("utf16le", "cmd", &g) == YG_OK && pat_isb(&g.v[0], "c\0m\0d\0", 6));
    CHECK(comp("utf16be", "cmd", &g) == YG_OK && pat_isb(&g.v[0], "\0c\0m\0d", 6));
    CHECK(comp("utf16", "cmd", &g) == YG_OK && pat_isb(&g.v[0],
                                                       "\xef\xbb\xbf"
                                                       "c\0m\0d\0",
                                                       9));
    /* Wildcards survive encoding; contains wraps the encoded string. */
    CHECK(comp("wide|contains", "a*b", &g) == YG_OK && g.v[0].op == YG_VOP_GLOB);
    CHECK(g.v[0].nglob == 5 && g.v[0].glob[1].n == 2 && memcmp(g.v[0].glob[1].p, "a\0", 2) == 0);
    CHECK(gmb(&g, "xxa\0zzb\0yy", 10) && !gmb(&g, "xxazzbyy", 8));
    CHECK(comp("wide", "a*", &g) == YG_OK && g.v[0].op == YG_VOP_PREFIX &&
          pat_isb(&g.v[0], "a\0", 2));
    /* Non-ASCII and astral characters: real UTF-16 code units. */
    CHECK(comp("wide", "\xc3\xa9", &g) == YG_OK && pat_isb(&g.v[0], "\xe9\0", 2));
    CHECK(comp("utf16be|cased", "\xe2\x80\x93", &g) == YG_OK && pat_isb(&g.v[0], "\x20\x13", 2));
    CHECK(comp("wide|cased", "\xf0\x9f\x98\x80", &g) == YG_OK &&
          pat_isb(&g.v[0], "\x3d\xd8\x00\xde", 4));
    CHECK(comp("wide", "\xff", &g) == YG_ESYNTAX);
    /* windash then wide: the dashes are encoded too. */
    CHECK(comp("windash|wide|cased", "-x", &g) == YG_OK && g.n == 5 &&
          pat_isb(&g.v[2], "\x13\x20x\0", 4));
}

/* ---- regex ---------------------------------------------------------------- */

static void test_regex(void)
{
    struct yg_vmgroup g;
    CHECK(comp("re", "foo[0-9]+bar", &g) == YG_OK && g.n == 1 && g.v[0].op == YG_VOP_RE);
    CHECK(gm(&g, "xxfoo12barxx") && !gm(&g, "foobar") && !gm(&g, "FOO1BAR"));
    CHECK(gmt(&g, YG_VT_NUM, "1") == false);
    CHECK(comp("re|i", "foo[0-9]+bar", &g) == YG_OK && gm(&g, "FOO1BAR"));
    CHECK(comp("re", "^b$", &g) == YG_OK && !gm(&g, "a\nb\nc"));
    CHECK(comp("re|m", "^b$", &g) == YG_OK && gm(&g, "a\nb\nc"));
    CHECK(comp("re", "a.b", &g) == YG_OK && !gm(&g, "a\nb"));
    CHECK(comp("re|s", "a.b", &g) == YG_OK && gm(&g, "a\nb"));
    CHECK(comp("re|i|m|s", "^A.B$", &g) == YG_OK && gm(&g, "x\na\nb\ny"));
    /* No Sigma escaping or wildcards in a regex. */
    CHECK(comp("re", "\\\\cmd\\.exe$", &g) == YG_OK && gm(&g, "C:\\x\\cmd.exe") &&
          !gm(&g, "C:\\x\\cmdXexe"));
    /* contains/startswith/endswith on a regex keep search semantics. */
    CHECK(comp("re|contains", "a|b", &g) == YG_OK && gm(&g, "xbx"));
    CHECK(comp("re|startswith", "ab", &g) == YG_OK && gm(&g, "xabx"));
    /* Invalid input. */
    CHECK(comp("re", "(", &g) == YG_EREGEX && strstr(why, "offset"));
    CHECK(compk("re", YG_S_INT, "123", &g) == YG_ESYNTAX);
    static char longre[YG_MAX_REGEX_BYTES + 2];
    memset(longre, 'a', sizeof longre - 1);
    CHECK(comp("re", longre, &g) == YG_ELIMIT);
    longre[YG_MAX_REGEX_BYTES] = 0;
    CHECK(comp("re", longre, &g) == YG_OK);
    /* Invalid UTF-8 in the event is not an error, just bytes. */
    CHECK(comp("re", "b.c", &g) == YG_OK &&
          gm(&g, "a\xff"
                 "bxc") &&
          !gm(&g, "\xff\xfe"));

    /* Catastrophic backtracking is cut by the match limit: no match, fast. */
    CHECK(comp("re", "^(\\w+\\s?)*$", &g) == YG_OK);
    CHECK(gm(&g, "hello world"));
    static char evil[64];
    memset(evil, 'a', 40);
    evil[40] = '!';
    evil[41] = 0;
    double t0 = now();
    CHECK(!gm(&g, evil));
    CHECK_MSG(now() - t0 < 2.0, "regex took %.3f s", now() - t0);
    CHECK(comp("re", "(a|aa)+$", &g) == YG_OK);
    t0 = now();
    struct yg_val ev = sval(evil);
    CHECK(!yg__vm_test(&g.v[0], &ev, NULL)); /* works without caller scratch too */
    CHECK_MSG(now() - t0 < 2.0, "regex took %.3f s", now() - t0);

    /* The first branch backtracks through every partition of the a's before
     * the second matches.  With 12 a's that fits in YG_REGEX_MATCH_LIMIT;
     * with 28 it would still match under PCRE2's default limit (10^7, JIT
     * or not), so a no-match proves the configured limit is applied. */
    CHECK(comp("re", "^(?:(?:a|aa)+!!|a+!)$", &g) == YG_OK);
    memset(evil, 'a', 12);
    strcpy(evil + 12, "!");
    CHECK(gm(&g, evil));
    memset(evil, 'a', 28);
    strcpy(evil + 28, "!");
    CHECK(!gm(&g, evil));

    /* Atoms: only literals every match must contain. */
    static const struct {
        const char *chain, *re, *atom;
    } at[] = {
        {"re", "foo\\.exe", "foo.exe"},
        {"re", "a|b", ""},
        {"re", "(abc)?defg", "defg"},
        {"re", "abcd?ef", "abc"},
        {"re", "xy(a|b)+zzz", "zzz"},
        {"re", "[abc]defg[x-z]", "defg"},
        {"re", "[]ab]cdef", "cdef"},
        {"re", "[[:alpha:]]xyz", "xyz"},
        {"re", "ab+cdef", "cdef"},
        {"re", "abc{2}de", "ab"},
        {"re", "abc{2,5}defg", "defg"},
        {"re", "\\x41bcdef", "bcdef"},
        {"re", "\\d+\\s*Invoke", "invoke"},
        {"re", "(?x) a b c d", ""},
        {"re", "\\QIEX\\E", ""},
        {"re", "(?i)risky", "ri"},
        {"re|i", "taskmgr", "mgr"},
        {"re", "\\(?abc", "abc"},
        {"re", "x\\|y", "x|y"},
        {"re", "^C:\\\\Windows\\\\", "c:\\windows\\"},
    };
    for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
        yg_err e = comp(at[i].chain, at[i].re, &g);
        CHECK_MSG(e == YG_OK && atom_is(&g.v[0], at[i].atom), "%s: got '%.*s' want '%s' (%s)",
                  at[i].re, (int)g.v[0].atom.n, g.v[0].atom.p ? g.v[0].atom.p : "", at[i].atom,
                  why);
    }
}

/* ---- numbers -------------------------------------------------------------- */

static void test_numbers(void)
{
    struct yg_vmgroup g;
    CHECK(compk("", YG_S_INT, "4688", &g) == YG_OK && g.v[0].op == YG_VOP_NUM &&
          g.v[0].cmp == YG_CMP_EQ && g.v[0].num == 4688);
    CHECK(gmt(&g, YG_VT_NUM, "4688") && gm(&g, "4688"));
    CHECK(!gm(&g, "14688") && !gm(&g, "46880") && !gm(&g, "4688 ") && !gmt(&g, YG_VT_NUM, "4689"));
    CHECK(gmt(&g, YG_VT_NUM, "4688.0") && gmt(&g, YG_VT_NUM, "4688.000"));
    CHECK(!gmt(&g, YG_VT_NUM, "4.688e3")); /* the atom must stay necessary */
    CHECK(!gmt(&g, YG_VT_BOOL, "true") && !gmt(&g, YG_VT_NULL, "null"));
    CHECK(atom_is(&g.v[0], "4688"));
    CHECK(compk("", YG_S_INT, "1", &g) == YG_OK && gm(&g, "1") && !gm(&g, "10") &&
          !gmt(&g, YG_VT_NUM, "10"));
    CHECK(compk("", YG_S_INT, "-5", &g) == YG_OK && gmt(&g, YG_VT_NUM, "-5") &&
          !gmt(&g, YG_VT_NUM, "5") && atom_is(&g.v[0], "5"));
    CHECK(compk("", YG_S_INT, "0x10", &g) == YG_OK && pat_is(&g.v[0], "16") && gm(&g, "16"));
    /* Typed as PyYAML (YAML 1.1) types them, since that is what pySigma
     * reads: leading zeros are octal or, with 8/9, a string; 0o is a string. */
    CHECK(compk("", YG_S_INT, "0o17", &g) == YG_OK && g.v[0].op == YG_VOP_EQ &&
          pat_is(&g.v[0], "0o17"));
    CHECK(compk("", YG_S_INT, "0644", &g) == YG_OK && g.v[0].op == YG_VOP_NUM &&
          pat_is(&g.v[0], "420"));
    CHECK(compk("", YG_S_INT, "-007", &g) == YG_OK && pat_is(&g.v[0], "-7"));
    CHECK(compk("", YG_S_INT, "00000429", &g) == YG_OK && g.v[0].op == YG_VOP_EQ &&
          gm(&g, "00000429") && !gm(&g, "429"));
    CHECK(compk("contains", YG_S_INT, "00000429", &g) == YG_OK && g.v[0].op == YG_VOP_CONTAINS &&
          gm(&g, "x00000429"));
    CHECK(compk("", YG_S_FLOAT, "1e5", &g) == YG_OK && g.v[0].op == YG_VOP_EQ &&
          pat_is(&g.v[0], "1e5"));
    CHECK(compk("", YG_S_FLOAT, "1.5e3", &g) == YG_OK && g.v[0].op == YG_VOP_EQ);
    CHECK(compk("", YG_S_FLOAT, "1.5e+3", &g) == YG_OK && g.v[0].op == YG_VOP_NUM &&
          pat_is(&g.v[0], "1500"));
    CHECK(compk("", YG_S_FLOAT, "-.5", &g) == YG_OK && g.v[0].op == YG_VOP_EQ);
    CHECK(compk("", YG_S_FLOAT, ".5", &g) == YG_OK && pat_is(&g.v[0], "0.5"));
    CHECK(compk("gt", YG_S_INT, "010", &g) == YG_OK && g.v[0].num == 8);
    CHECK(compk("gt", YG_S_INT, "09", &g) == YG_ESYNTAX);
    CHECK(compk("", YG_S_INT, "+007", &g) == YG_OK && pat_is(&g.v[0], "7"));
    CHECK(compk("", YG_S_FLOAT, "1.0", &g) == YG_OK && pat_is(&g.v[0], "1") && gm(&g, "1") &&
          !gm(&g, "1.0") && gmt(&g, YG_VT_NUM, "1.0"));
    CHECK(compk("", YG_S_FLOAT, "1.5", &g) == YG_OK && pat_is(&g.v[0], "1.5") &&
          gmt(&g, YG_VT_NUM, "1.50") && !gmt(&g, YG_VT_NUM, "1.05"));
    CHECK(compk("", YG_S_FLOAT, "1.0e+16", &g) == YG_OK && pat_is(&g.v[0], "10000000000000000"));
    CHECK(compk("", YG_S_FLOAT, "1.5e-7", &g) == YG_OK && pat_is(&g.v[0], "1.5e-07") &&
          g.v[0].atom.n == 0 && gmt(&g, YG_VT_NUM, "0.00000015"));
    CHECK(compk("", YG_S_FLOAT, ".inf", &g) == YG_ESYNTAX);
    /* Quoted numbers are strings. */
    CHECK(comp("", "4688", &g) == YG_OK && g.v[0].op == YG_VOP_EQ && gmt(&g, YG_VT_NUM, "4688"));

    CHECK(compk("gt", YG_S_INT, "5", &g) == YG_OK && g.v[0].op == YG_VOP_NUM &&
          g.v[0].cmp == YG_CMP_GT);
    CHECK(gm(&g, "6") && !gm(&g, "5") && gmt(&g, YG_VT_NUM, "5.5") && !gm(&g, "abc") &&
          gm(&g, " 7 ") && gm(&g, "0x10") && !gm(&g, "") && !gm(&g, "6x"));
    CHECK(g.v[0].atom.n == 0);
    CHECK(compk("gte", YG_S_INT, "5", &g) == YG_OK && gm(&g, "5") && !gm(&g, "4.99"));
    CHECK(compk("lt", YG_S_INT, "5", &g) == YG_OK && gm(&g, "-10") && gm(&g, "4e0") &&
          !gm(&g, "5"));
    CHECK(compk("lte", YG_S_FLOAT, "2.5", &g) == YG_OK && gm(&g, "2.5") && !gm(&g, "2.51"));
    CHECK(compk("lt", YG_S_STR, "5", &g) == YG_ESYNTAX && strstr(why, "number"));
    CHECK(compk("gt", YG_S_STR, "abc", &g) == YG_ESYNTAX);
    CHECK(compk("gt", YG_S_BOOL, "true", &g) == YG_ESYNTAX);
    /* pySigma: string modifiers need strings. */
    CHECK(compk("contains", YG_S_INT, "4688", &g) == YG_ESYNTAX);
    CHECK(compk("cased", YG_S_BOOL, "true", &g) == YG_ESYNTAX);
}

static void test_null_bool_exists(void)
{
    struct yg_vmgroup g;
    struct yg_mods m;
    CHECK(compk("", YG_S_NULL, "null", &g) == YG_OK && g.n == 1 && g.v[0].op == YG_VOP_NULL);
    CHECK(gmt(&g, YG_VT_NULL, "null") && !gm(&g, "") && !gm(&g, "null"));
    CHECK(compk("neq", YG_S_NULL, "", &g) == YG_OK && g.v[0].op == YG_VOP_NULL);
    CHECK(compk("contains", YG_S_NULL, "null", &g) == YG_ESYNTAX && strstr(why, "contains"));
    CHECK(mods("", &m) == YG_OK);
    CHECK(yg__value_compile(&m, NULL, ph, &perm, &pool, &g, &whymsg) == YG_OK && g.n == 1 &&
          g.v[0].op == YG_VOP_NULL);

    CHECK(compk("", YG_S_BOOL, "true", &g) == YG_OK && g.v[0].op == YG_VOP_BOOL && g.v[0].num != 0);
    CHECK(gmt(&g, YG_VT_BOOL, "true") && gm(&g, "TRUE") && gm(&g, "True"));
    CHECK(!gmt(&g, YG_VT_BOOL, "false") && !gm(&g, "truex") && !gmt(&g, YG_VT_NUM, "1"));
    CHECK(atom_is(&g.v[0], "true"));
    CHECK(compk("", YG_S_BOOL, "False", &g) == YG_OK && g.v[0].num == 0 &&
          gmt(&g, YG_VT_BOOL, "false") && !gmt(&g, YG_VT_BOOL, "true"));

    CHECK(compk("exists", YG_S_BOOL, "true", &g) == YG_OK && g.v[0].op == YG_VOP_EXISTS &&
          g.v[0].num == 1);
    CHECK(compk("exists", YG_S_BOOL, "false", &g) == YG_OK && g.v[0].num == 0);
    CHECK(!gm(&g, "x")); /* the evaluator decides existence */
    CHECK(compk("exists", YG_S_STR, "yes", &g) == YG_ESYNTAX);
    CHECK(compk("exists", YG_S_NULL, "", &g) == YG_ESYNTAX);
}

/* ---- cidr ----------------------------------------------------------------- */

static void test_cidr(void)
{
    struct yg_vmgroup g;
    CHECK(comp("cidr", "10.0.0.0/8", &g) == YG_OK && g.v[0].op == YG_VOP_CIDR && g.v[0].fam == 4 &&
          g.v[0].bits == 8);
    CHECK(gm(&g, "10.1.2.3") && gm(&g, " 10.255.255.255\n") && !gm(&g, "11.0.0.0"));
    CHECK(!gm(&g, "::ffff:10.1.2.3") && !gm(&g, "010.1.2.3") && !gm(&g, "10.1.2") &&
          !gm(&g, "host"));
    CHECK(!gmt(&g, YG_VT_NUM, "10"));
    CHECK(atom_is(&g.v[0], "10."));
    CHECK(comp("cidr", "172.16.0.0/12", &g) == YG_OK && gm(&g, "172.31.255.255") &&
          gm(&g, "172.16.0.0") && !gm(&g, "172.32.0.0") && !gm(&g, "172.15.255.255"));
    CHECK(atom_is(&g.v[0], "172."));
    CHECK(comp("cidr", "192.168.1.0/24", &g) == YG_OK && atom_is(&g.v[0], "192.168.1."));
    CHECK(comp("cidr", "13.107.18.10/31", &g) == YG_OK && gm(&g, "13.107.18.11") &&
          !gm(&g, "13.107.18.12") && atom_is(&g.v[0], "13.107.18."));
    CHECK(comp("cidr", "1.2.3.4", &g) == YG_OK && g.v[0].bits == 32 && gm(&g, "1.2.3.4") &&
          !gm(&g, "1.2.3.5") && atom_is(&g.v[0], "1.2.3.4"));
    CHECK(comp("cidr", "0.0.0.0/0", &g) == YG_OK && gm(&g, "255.1.1.1") && !gm(&g, "::1") &&
          g.v[0].atom.n == 0);
    CHECK(comp("cidr", "fe80::/10", &g) == YG_OK && g.v[0].fam == 6 && g.v[0].bits == 10);
    CHECK(gm(&g, "fe80::1") && gm(&g, "FEBF:ffff::") && !gm(&g, "fec0::") &&
          gm(&g, "fe80::1%eth0") && !gm(&g, "10.0.0.1"));
    CHECK(g.v[0].atom.n == 0);
    CHECK(comp("cidr", "2001:db8::/32", &g) == YG_OK && gm(&g, "2001:0db8:0:0::1") &&
          !gm(&g, "2001:db9::1"));
    CHECK(comp("cidr", "::1/128", &g) == YG_OK && gm(&g, "0:0:0:0:0:0:0:1") && !gm(&g, "::2"));
    CHECK(comp("cidr", "2001:db8::/127", &g) == YG_OK && gm(&g, "2001:db8::1") &&
          !gm(&g, "2001:db8::2"));
    CHECK(comp("cidr", "10.1.0.0/8", &g) == YG_ESYNTAX && strstr(why, "host bits"));
    CHECK(comp("cidr", "10.0.0.0/33", &g) == YG_ESYNTAX);
    CHECK(comp("cidr", "::/129", &g) == YG_ESYNTAX);
    CHECK(comp("cidr", "10.0.0.0/", &g) == YG_ESYNTAX);
    CHECK(comp("cidr", "10.0.0.0/x", &g) == YG_ESYNTAX);
    CHECK(comp("cidr", "not-an-ip", &g) == YG_ESYNTAX && strstr(why, "CIDR"));
    CHECK(compk("cidr", YG_S_INT, "10", &g) == YG_ESYNTAX);
}

/* ---- time parts ------------------------------------------------------------- */

static void test_time(void)
{
    struct yg_vmgroup g;
    static const struct {
        const char *mod;
        const char *num;
        const char *ts;
        bool want;
    } cases[] = {
        {"hour", "7", "2025-11-27T07:40:10.165Z", true},
        {"hour", "8", "2025-11-27T07:40:10.165Z", false},
        {"minute", "40", "2025-11-27T07:40:10.165Z", true},
        {"day", "27", "2025-11-27T07:40:10.165Z", true},
        {"month", "11", "2025-11-27T07:40:10.165Z", true},
        {"year", "2025", "2025-11-27T07:40:10.165Z", true},
        {"week", "48", "2025-11-27T07:40:10.165Z", true},
        {"hour", "7", "2025-11-27 07:40:10.132", true},
        {"hour", "7", "2025-11-27T07:40:10", true},
        {"hour", "7", "2025-11-27T07:40", true},
        {"hour", "7", "2025-11-27T07:40:10+02:00", true}, /* no zone conversion */
        {"hour", "7", "2025-11-27T07:40:10.1234567-0500", true},
        {"hour", "7", "2025-11-27 07:40:10 +02", true},
        {"minute", "40", "2025-11-27t07:40:10,5z", true},
        {"hour", "0", "2025-11-27", false}, /* no time of day */
        {"day", "27", "2025-11-27", true},
        {"week", "53", "2021-01-03", true},
        {"week", "1", "2021-01-04", true},
        {"week", "53", "2020-12-31", true},
        {"week", "53", "2027-01-01", true},
        {"week", "53", "2016-01-01", true},
        {"day", "29", "2024-02-29", true},
        {"day", "29", "2023-02-29", false},
        {"month", "13", "2025-13-01", false},
        {"hour", "24", "2025-11-27T24:00:00", false},
        {"hour", "7", "2025-11-27T07:40:10Zjunk", false},
        {"hour", "7", "27/11/2025 07:40", false},
        {"hour|gt", "5", "2025-11-27T07:40:10Z", true},
        {"hour|lt", "5", "2025-11-27T07:40:10Z", false},
        {"hour|lte", "7", "2025-11-27T07:40:10Z", true},
        {"hour|gte", "8", "2025-11-27T07:40:10Z", false},
        {"year|gte", "2024", "2025-01-01", true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        yg_err e = compk(cases[i].mod, YG_S_INT, cases[i].num, &g);
        CHECK_MSG(e == YG_OK && g.v[0].op == YG_VOP_NUM && g.v[0].timepart, "%s: %s", cases[i].mod,
                  why);
        if (e)
            continue;
        CHECK_MSG(gm(&g, cases[i].ts) == cases[i].want, "%s %s on %s", cases[i].mod, cases[i].num,
                  cases[i].ts);
    }
    CHECK(compk("hour", YG_S_INT, "7", &g) == YG_OK && g.v[0].timepart == 2 &&
          g.v[0].cmp == YG_CMP_EQ && g.v[0].atom.n == 0);
    CHECK(!gmt(&g, YG_VT_NUM, "7"));
    CHECK(compk("minute", YG_S_INT, "1", &g) == YG_OK && g.v[0].timepart == 1);
    CHECK(compk("year", YG_S_INT, "1", &g) == YG_OK && g.v[0].timepart == 6);
    CHECK(compk("hour", YG_S_FLOAT, "7.9", &g) == YG_OK && g.v[0].num == 7);
    CHECK(compk("hour", YG_S_STR, "7", &g) == YG_ESYNTAX);
}

/* ---- fieldref ------------------------------------------------------------- */

static void test_fieldref(void)
{
    struct yg_vmgroup g;
    CHECK(comp("fieldref", "TargetUserName", &g) == YG_OK && g.n == 1 &&
          g.v[0].op == YG_VOP_FIELDREF && pat_is(&g.v[0], "TargetUserName") &&
          g.v[0].refop == YG_VOP_EQ && !g.v[0].cased);
    CHECK(comp("fieldref|contains", "A", &g) == YG_OK && g.v[0].refop == YG_VOP_CONTAINS);
    CHECK(comp("fieldref|startswith", "A", &g) == YG_OK && g.v[0].refop == YG_VOP_PREFIX);
    CHECK(comp("fieldref|endswith", "A", &g) == YG_OK && g.v[0].refop == YG_VOP_SUFFIX);
    CHECK(comp("fieldref|startswith|endswith", "A", &g) == YG_OK &&
          g.v[0].refop == YG_VOP_CONTAINS);
    CHECK(comp("fieldref|cased|neq", "A", &g) == YG_OK && g.v[0].cased);
    CHECK(comp("fieldref", "a\\*b", &g) == YG_OK && pat_is(&g.v[0], "a*b"));
    CHECK(comp("fieldref", "a*b", &g) == YG_ESYNTAX && strstr(why, "wildcard"));
    CHECK(comp("fieldref", "", &g) == YG_ESYNTAX);
    CHECK(compk("fieldref", YG_S_INT, "1", &g) == YG_ESYNTAX);
    CHECK(!gm(&g, "x"));

    struct yg_val a = sval("Administrator"), b = sval("ADMIN"), c = sval("administrator");
    struct yg_val n1 = tval(YG_VT_NUM, "4688"), s1 = sval("4688"), n2 = tval(YG_VT_NUM, "4688.0");
    struct yg_val nul = tval(YG_VT_NULL, "null"), emp = sval("");
    CHECK(yg__val_compare(YG_VOP_EQ, false, &a, &c) && !yg__val_compare(YG_VOP_EQ, true, &a, &c));
    CHECK(!yg__val_compare(YG_VOP_EQ, false, &a, &b));
    CHECK(yg__val_compare(YG_VOP_PREFIX, false, &a, &b) &&
          !yg__val_compare(YG_VOP_PREFIX, true, &a, &b));
    CHECK(!yg__val_compare(YG_VOP_PREFIX, false, &b, &a));
    struct yg_val tor = sval("TOR");
    CHECK(yg__val_compare(YG_VOP_SUFFIX, false, &a, &tor) &&
          !yg__val_compare(YG_VOP_SUFFIX, true, &a, &tor));
    struct yg_val nis = sval("NIST");
    CHECK(yg__val_compare(YG_VOP_CONTAINS, false, &a, &nis) &&
          !yg__val_compare(YG_VOP_CONTAINS, true, &a, &nis));
    CHECK(!yg__val_compare(YG_VOP_CONTAINS, false, &b, &a));
    CHECK(yg__val_compare(YG_VOP_CONTAINS, false, &a, &emp));
    CHECK(yg__val_compare(YG_VOP_EQ, false, &n1, &s1) &&
          yg__val_compare(YG_VOP_EQ, false, &n1, &n2));
    CHECK(!yg__val_compare(YG_VOP_EQ, false, &s1, &n2));
    CHECK(!yg__val_compare(YG_VOP_EQ, false, &nul, &nul) &&
          !yg__val_compare(YG_VOP_EQ, false, &a, &nul));
    /* A long needle takes the heap path of the case-insensitive search. */
    static char hay[3000], ndl[1000];
    memset(hay, 'x', sizeof hay - 1);
    memset(ndl, 'X', sizeof ndl - 1);
    hay[2000] = 'y';
    struct yg_val hv = sval(hay), nv = sval(ndl);
    CHECK(yg__val_compare(YG_VOP_CONTAINS, false, &hv, &nv) &&
          !yg__val_compare(YG_VOP_CONTAINS, true, &hv, &nv));
}

/* ---- expand and the placeholders file --------------------------------------- */

static void test_expand(void)
{
    struct yg_vmgroup g;
    struct yg_placeholders *saved = ph;
    const char *text = "# test placeholders\n"
                       "Workstations: ['WS-*', 'DESKTOP-?']\n"
                       "name: [x]\n"
                       "Servers:\n  - srv1\n  - 'srv\\*'\n"
                       "num: 42\n"
                       "empty: []\n"
                       "'%pct%': [p]\n"
                       "re_alt: ['a|b', 'c']\n";
    char *path = write_tmp(text);
    CHECK(path != NULL);
    if (!path)
        return;
    struct yg_placeholders *p = NULL;
    CHECK(yg__placeholders_load(path, &p, &whymsg) == YG_OK && p);
    unlink(path);
    ph = p;

    CHECK(comp("expand", "%Workstations%", &g) == YG_OK && g.n == 2);
    CHECK(g.v[0].op == YG_VOP_PREFIX && pat_is(&g.v[0], "ws-"));
    CHECK(g.v[1].op == YG_VOP_GLOB && gm(&g, "desktop-a") && !gm(&g, "desktop-ab"));
    CHECK(comp("expand", "%workstations%", &g) == YG_OK && g.n == 2); /* case-insensitive */
    CHECK(comp("contains|expand", "%Servers%", &g) == YG_OK && g.n == 2 &&
          has(&g, YG_VOP_CONTAINS, "srv1") && has(&g, YG_VOP_CONTAINS, "srv*"));
    CHECK(comp("expand|contains", "%Servers%", &g) == YG_OK && g.n == 2);
    /* The spec's example: `\%plain%name%` is `%plain` then a placeholder. */
    CHECK(comp("expand", "\\%plain%name%", &g) == YG_OK && g.n == 1 && pat_is(&g.v[0], "%plainx"));
    /* Without expand nothing is a placeholder. */
    CHECK(comp("", "%name%", &g) == YG_OK && pat_is(&g.v[0], "%name%"));
    CHECK(comp("", "\\%name%", &g) == YG_OK && pat_is(&g.v[0], "\\%name%"));
    /* A lone or empty percent is literal; anything between two percent
     * signs is a name, as in pySigma. */
    CHECK(comp("expand", "100%", &g) == YG_OK && pat_is(&g.v[0], "100%"));
    CHECK(comp("expand", "%%", &g) == YG_OK && pat_is(&g.v[0], "%%"));
    CHECK(comp("expand", "a%name%b%", &g) == YG_OK && pat_is(&g.v[0], "axb%"));
    CHECK(comp("expand", "50% of %name%", &g) == YG_EUNSUPPORTED && strstr(why, "% of %"));
    /* Escaped backslash before a placeholder. */
    CHECK(comp("expand", "a\\\\%name%", &g) == YG_OK && pat_is(&g.v[0], "a\\x"));
    /* Cartesian product, first placeholder slowest. */
    CHECK(comp("expand", "%Servers%-%Workstations%", &g) == YG_OK && g.n == 4);
    CHECK_MSG(pat_is(&g.v[0], "srv1-ws-") && pat_is(&g.v[3], "srv\\*-desktop-?"), "%s / %s",
              g.v[0].pat, g.v[3].pat);
    CHECK(comp("expand", "%num%", &g) == YG_OK && pat_is(&g.v[0], "42"));
    CHECK(comp("expand", "%pct%", &g) == YG_OK && pat_is(&g.v[0], "p"));
    CHECK(comp("expand", "%empty%", &g) == YG_OK && g.n == 0);
    CHECK(comp("expand|windash", "-%name%", &g) == YG_OK && g.n == 1);
    CHECK(comp("expand|windash", "-a%name%", &g) == YG_OK && g.n == 5);
    CHECK(comp("expand|cased", "%Servers%", &g) == YG_OK && g.v[0].cased);
    CHECK(comp("expand", "%nope%", &g) == YG_EUNSUPPORTED && strstr(why, "%nope%"));
    CHECK(comp("re|expand", "^(%re_alt%)$", &g) == YG_OK && g.n == 2 && gm(&g, "b") &&
          gm(&g, "c") && !gm(&g, "ab"));
    CHECK(comp("re|expand", "\\%name%", &g) == YG_OK && g.n == 1 && gm(&g, "%name%"));
    CHECK(comp("re|expand", "%nope%", &g) == YG_EUNSUPPORTED);
    ph = NULL;
    CHECK(comp("expand", "%name%", &g) == YG_EUNSUPPORTED && strstr(why, "%name%"));
    CHECK(comp("expand", "plain", &g) == YG_OK && pat_is(&g.v[0], "plain"));
    yg__placeholders_free(p);

    /* Expansion cap. */
    char big[4096 * 3 + 64];
    strcpy(big, "a: [");
    for (int i = 0; i < 100; i++)
        snprintf(big + strlen(big), sizeof big - strlen(big), "%sv%d", i ? "," : "", i);
    strcat(big, "]\n");
    path = write_tmp(big);
    p = NULL;
    CHECK(path && yg__placeholders_load(path, &p, &whymsg) == YG_OK);
    if (path)
        unlink(path);
    ph = p;
    CHECK(comp("expand", "%a%%a%", &g) == YG_ELIMIT);
    CHECK(comp("expand", "%a%", &g) == YG_OK && g.n == 100);
    CHECK(comp("expand|windash", "-x%a%", &g) == YG_OK && g.n == 500);
    CHECK(comp("re|expand", "%a%%a%", &g) == YG_ELIMIT);
    yg__placeholders_free(p);

    /* Load errors. */
    static const char *const bad[] = {"- a\n- b\n",  "a: {b: c}\n",      "a: [[x]]\n",
                                      "a: [true]\n", "a: [~]\n",         "a: [x]\na: [y]\n",
                                      "a: [x\n",     "a: 1\n---\nb: 2\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        path = write_tmp(bad[i]);
        p = (struct yg_placeholders *)&p;
        yg_err e = path ? yg__placeholders_load(path, &p, &whymsg) : YG_EIO;
        CHECK_MSG(e == YG_ESYNTAX && p == NULL && why[0], "case %zu: %d %s", i, e, why);
        if (path)
            unlink(path);
    }
    path = write_tmp("# nothing here\n");
    CHECK(path && yg__placeholders_load(path, &p, &whymsg) == YG_OK && p);
    if (path)
        unlink(path);
    yg__placeholders_free(p);
    CHECK(yg__placeholders_load("/nonexistent/placeholders.yml", &p, &whymsg) == YG_ENOTFOUND &&
          p == NULL && strstr(why, "/nonexistent"));
    ph = saved;
}

/* The shipped placeholders file defines every placeholder SigmaHQ's
 * rules-placeholder set uses, and the spec's standard ones. */
static void test_default_placeholders(void)
{
    struct yg_placeholders *p = NULL;
    CHECK(yg__placeholders_load(YG_SOURCE_DIR "/mappings/placeholders.yml", &p, &whymsg) == YG_OK);
    if (!p)
        return;
    struct yg_placeholders *saved = ph;
    ph = p;
    static const char *const names[] = {"Administrators",
                                        "JumpServers",
                                        "Workstations",
                                        "Servers",
                                        "DomainControllers",
                                        "DomainController",
                                        "ConsoleUser",
                                        "ServerSystems",
                                        "Admins_Workstations",
                                        "dc_machine_accounts",
                                        "DC-MACHINE-NAME",
                                        "domain_controller_hostnames",
                                        "dc_ip_addresses",
                                        "internal_domains",
                                        "legit_ips",
                                        "legtimate_identifiers",
                                        "userdomain",
                                        "Legitimate_Countries",
                                        "Legitimate_IP_Ranges",
                                        "UnLegitCountries",
                                        "UnApprovedIp",
                                        "UnApprovedDevice",
                                        "KNOWN_LOCATION",
                                        "Known_Location",
                                        "HomeTenantID",
                                        "Important_AppIds",
                                        "ApprovedUserUpn",
                                        "Approved_Inviters"};
    struct yg_vmgroup g;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char v[80];
        snprintf(v, sizeof v, "%%%s%%", names[i]);
        CHECK_MSG(comp("expand", v, &g) == YG_OK, "%s: %s", names[i], why);
    }
    CHECK(comp("expand", "%Workstations%", &g) == YG_OK && gm(&g, "DESKTOP-1A2B3C4") &&
          !gm(&g, "WIN-ABCDEF"));
    CHECK(comp("expand", "%Servers%", &g) == YG_OK && gm(&g, "WIN-ABCDEF"));
    CHECK(comp("contains|expand", "%userdomain%", &g) == YG_OK &&
          gm(&g, "cmd /c echo %USERDOMAIN%"));
    CHECK(comp("expand", "%DC-MACHINE-NAME%", &g) == YG_OK && gm(&g, "DC01$") && !gm(&g, "DC01"));
    ph = saved;
    yg__placeholders_free(p);
}

/* ---- robustness --------------------------------------------------------------- */

/* Fail each allocation in turn: compile must report an error, not crash or
 * leak (the sanitizer build checks the latter). */
static void test_alloc_failures(void)
{
    static const struct {
        const char *chain, *val;
    } cases[] = {{"windash|contains", "-a /b"},
                 {"wide|base64offset|contains", "IEX ("},
                 {"re|i", "ab(c|d)+e"},
                 {"expand|contains", "%name%"},
                 {"", "a*b?c"},
                 {"cidr", "10.0.0.0/8"}};
    struct yg_placeholders *saved = ph;
    char *path = write_tmp("name: [x, 'y*']\n");
    struct yg_placeholders *p = NULL;
    CHECK(path && yg__placeholders_load(path, &p, &whymsg) == YG_OK);
    ph = p;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        bool ok = false;
        for (long k = 1; k < 400 && !ok; k++) {
            struct yg_arena a;
            struct yg_vm_pool pl = {0};
            struct yg_mods m;
            struct yg_vmgroup g;
            yg_arena_init(&a, 4096, 0);
            CHECK(mods(cases[c].chain, &m) == YG_OK);
            struct yg_ynode v = node(YG_S_STR, cases[c].val);
            yg__alloc_fail_after(k);
            yg_err e = yg__value_compile(&m, &v, ph, &a, &pl, &g, &whymsg);
            yg__alloc_fail_after(0);
            if (e == YG_OK) {
                ok = g.n > 0;
            } else {
                CHECK_MSG(e == YG_ENOMEM, "%s: %d %s", cases[c].chain, e, why);
                CHECK(g.n == 0 && g.v == NULL);
            }
            yg__vm_pool_free(&pl);
            yg_arena_free(&a);
        }
        CHECK_MSG(ok, "%s never succeeded", cases[c].chain);
    }
    /* Placeholder file loading under failing allocations. */
    bool ok = false;
    for (long k = 1; k < 200 && !ok && path; k++) {
        struct yg_placeholders *q = NULL;
        yg__alloc_fail_after(k);
        yg_err e = yg__placeholders_load(path, &q, &whymsg);
        yg__alloc_fail_after(0);
        ok = e == YG_OK;
        CHECK(ok ? q != NULL : q == NULL);
        yg__placeholders_free(q);
    }
    CHECK(ok);
    if (path)
        unlink(path);
    yg__placeholders_free(p);
    ph = saved;

    /* Scratch creation under failure returns NULL, not a half object. */
    yg__alloc_fail_after(1);
    void *s = yg__re_scratch_new();
    yg__alloc_fail_after(0);
    CHECK(s == NULL);
    yg__re_scratch_free(NULL);
    yg__vm_pool_free(NULL);
}

int main(void)
{
    yg_arena_init(&perm, 65536, 0);
    scratch = yg__re_scratch_new();
    CHECK(scratch != NULL);

    test_mods_parse();
    test_escaping();
    test_case();
    test_contains_family();
    test_glob_engine();
    test_windash();
    test_base64();
    test_utf16();
    test_regex();
    test_numbers();
    test_null_bool_exists();
    test_cidr();
    test_time();
    test_fieldref();
    test_expand();
    test_default_placeholders();
    test_alloc_failures();

    CHECK(pool.n > 0);
    yg__vm_pool_free(&pool);
    CHECK(pool.n == 0 && pool.re == NULL);
    yg__re_scratch_free(scratch);
    yg_arena_free(&perm);
    TAP_DONE();
}
