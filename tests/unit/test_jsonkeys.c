/*
 * test_jsonkeys.c - a member name given twice is refused by every JSON
 * reader of outside input: the name set itself (small and hashed), the
 * JSON tree (core/tjson.c), whole and as the intel loaders read it with
 * STIX bundles, loose objects and MISP events.  The TAXII handler's
 * answer is in test_taxii.c.
 */
#include "tap.h"
#include "yagura/yagura.h"

#include "core/core.h"
#include "core/keyset.h"
#include "intel/intel.h"
#include "core/tjson.h"

#define TLP_GREEN "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
#define TLP_RED "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"

static void test_keyset(void)
{
    struct yg_keyset s;
    yg__keyset_init(&s);
    bool dup;
    /* Names past YG_KEYSET_SMALL go through the hashed table and its growth;
     * every one must still be found again, none reported early. */
    static char names[3000][8];
    int early = 0;
    for (int i = 0; i < 3000; i++) {
        snprintf(names[i], sizeof names[i], "k%d", i);
        CHECK(yg__keyset_add(&s, names[i], strlen(names[i]), &dup) == YG_OK);
        early += dup;
    }
    CHECK_MSG(early == 0, "%d names reported twice on first sight", early);
    int missed = 0;
    for (int i = 0; i < 3000; i++) {
        char again[8];
        snprintf(again, sizeof again, "k%d", i);
        CHECK(yg__keyset_add(&s, again, strlen(again), &dup) == YG_OK);
        missed += !dup;
    }
    CHECK_MSG(missed == 0, "%d repeated names not seen", missed);
    yg__keyset_free(&s);
    /* Lengths count, not NUL terminators: "a\0b" and "a" differ. */
    yg__keyset_init(&s);
    CHECK(yg__keyset_add(&s, "a\0b", 3, &dup) == YG_OK && !dup);
    CHECK(yg__keyset_add(&s, "a", 1, &dup) == YG_OK && !dup);
    CHECK(yg__keyset_add(&s, "a\0b", 3, &dup) == YG_OK && dup);
    yg__keyset_free(&s);
    char m[64];
    yg__keyset_dup_msg(m, sizeof m, "x\ny", 3);
    CHECK(!strcmp(m, "duplicate key 'x?y'"));
}

/* Byte offset of the last occurrence of needle in s: where the repeated
 * name starts. */
static size_t last_at(const char *s, const char *needle)
{
    const char *last = NULL;
    for (const char *p = s; (p = strstr(p, needle)); p++)
        last = p;
    return last ? (size_t)(last - s) : (size_t)-1;
}

static void tj_dup(const char *doc, size_t want_off, const char *want_msg)
{
    struct yg_arena a;
    yg_arena_init(&a, 4096, 0);
    struct yg_tj *v;
    size_t eoff = 0;
    const char *emsg = "";
    yg_err e = yg__tj_parse(doc, strlen(doc), &a, &v, &eoff, &emsg);
    CHECK_MSG(e == YG_ESYNTAX && eoff == want_off && !strcmp(emsg, want_msg),
              "%s: err %d at %zu: %s", doc, e, eoff, emsg);
    yg_arena_free(&a);
}

static void test_tjson(void)
{
    /* The TLP bypass: GREEN first, RED second. */
    const char *tlp =
        "{\"object_marking_refs\":[\"" TLP_GREEN "\"],\"object_marking_refs\":[\"" TLP_RED "\"]}";
    tj_dup(tlp, last_at(tlp, "\"object_marking_refs\""), "duplicate key 'object_marking_refs'");
    /* Nested, and the same name spelt with an escape. */
    tj_dup("{\"objects\":[{\"id\":1,\"\\u0069d\":2}]}", 20, "duplicate key 'id'");
    tj_dup("{\"a\":{},\"b\":1,\"a\":2}", 14, "duplicate key 'a'");
    /* A large object goes through the hashed set. */
    char big[8192];
    int o = snprintf(big, sizeof big, "{");
    for (int i = 0; i < 200; i++)
        o += snprintf(big + o, sizeof big - (size_t)o, "\"m%d\":%d,", i, i);
    size_t at = (size_t)o;
    snprintf(big + o, sizeof big - (size_t)o, "\"m7\":0}");
    tj_dup(big, at, "duplicate key 'm7'");
    /* The same name in sibling objects, or in an object and its child, is
     * fine. */
    struct yg_arena a;
    yg_arena_init(&a, 4096, 0);
    struct yg_tj *v;
    const char *ok = "{\"id\":1,\"x\":{\"id\":2},\"y\":[{\"id\":3},{\"id\":4}]}";
    CHECK(yg__tj_parse(ok, strlen(ok), &a, &v, NULL, NULL) == YG_OK);
    CHECK(yg__tj_parse(big, at, &a, &v, NULL, NULL) == YG_ESYNTAX); /* cut short */
    yg_arena_free(&a);
}

struct diags {
    int n;
    unsigned line[8], col[8];
    yg_err err[8];
    char msg[8][256];
};

static void on_diag(void *ud, const yg_intel_diag *d)
{
    struct diags *g = ud;
    if (g->n < 8) {
        g->line[g->n] = d->line;
        g->col[g->n] = d->col;
        g->err[g->n] = d->err;
        snprintf(g->msg[g->n], sizeof g->msg[0], "%s", d->message);
    }
    g->n++;
}

static int count_hit(void *ud, const yg_intel_indicator *ind)
{
    (void)ind;
    ++*(int *)ud;
    return 0;
}

/* Loads text as name; the number of indicators for 192.0.2.77 after. */
static int load(const char *name, const char *text, struct diags *g)
{
    yg_intel *in;
    if (yg_intel_create(&in) != YG_OK)
        abort();
    memset(g, 0, sizeof *g);
    yg_intel_set_diag(in, on_diag, g);
    (void)yg_intel_load_buffer(in, name, text, strlen(text), NULL);
    int hits = 0;
    if (yg_intel_freeze(in) == YG_OK)
        yg_intel_lookup(in, YG_IOC_IP, "192.0.2.77", 10, INT64_MIN, count_hit, &hits);
    yg_intel_release(in);
    return hits;
}

static bool said(const struct diags *g, unsigned line, unsigned col, const char *what)
{
    for (int i = 0; i < g->n && i < 8; i++)
        if (g->err[i] == YG_ESYNTAX && g->line[i] == line && g->col[i] == col &&
            strstr(g->msg[i], what))
            return true;
    return false;
}

#define IND(MARKS)                                                                                 \
    "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--1\","                    \
    "\"pattern\":\"[ipv4-addr:value = '192.0.2.77']\",\"pattern_type\":\"stix\"," MARKS "}"

static void test_intel(void)
{
    struct diags g;
    /* The control: without the repeated name the indicator loads. */
    const char *good = "{\"type\":\"bundle\",\"objects\":[\n" IND(
        "\"object_marking_refs\":[\"" TLP_GREEN "\"]") "]}";
    CHECK(load("good.json", good, &g) == 1 && g.n == 0);
    /* In an object of the bundle: refused at line 2, column of the name. */
    const char *bundle = "{\"type\":\"bundle\",\"objects\":[\n" IND(
        "\"object_marking_refs\":[\"" TLP_GREEN "\"],\"object_marking_refs\":[\"" TLP_RED
        "\"]") "]}";
    CHECK(load("b.json", bundle, &g) == 0);
    const char *line2 = strchr(bundle, '\n') + 1;
    unsigned col = (unsigned)last_at(line2, "\"object_marking_refs\"") + 1;
    CHECK_MSG(said(&g, 2, col, "duplicate key 'object_marking_refs'"), "%d: %u:%u %s", g.n,
              g.line[0], g.col[0], g.msg[0]);
    /* In the top object, walked member by member. */
    const char *top =
        "{\"type\":\"bundle\",\n\"type\":\"x\",\"objects\":[" IND("\"labels\":[]") "]}";
    CHECK(load("t.json", top, &g) == 0);
    CHECK_MSG(said(&g, 2, 1, "duplicate key 'type'"), "%d: %u:%u %s", g.n, g.line[0], g.col[0],
              g.msg[0]);
    /* MISP: an attribute with two values. */
    const char *misp = "{\"Event\":{\"info\":\"e\",\"Attribute\":[{\"type\":\"ip-dst\","
                       "\"value\":\"192.0.2.77\",\"to_ids\":true,\"value\":\"192.0.2.78\"}]}}";
    CHECK(load("m.json", misp, &g) == 0);
    CHECK_MSG(g.n >= 1 && strstr(g.msg[0], "duplicate key 'value'"), "%d: %s", g.n, g.msg[0]);
}

int main(void)
{
    test_keyset();
    test_tjson();
    test_intel();
    TAP_DONE();
}
