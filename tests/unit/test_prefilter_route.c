/* The raw-document scan of a log source looks for its own rules' atoms only
 * (src/match/prefilter.c, yg__prefilter_raw_db): the database a route gets,
 * and that no rule of the route loses a match for an atom left out. */
#include "tap.h"
#include "hits_fixture.h"
#include "yagura/yagura.h"

#include "core/core.h"
#include "match/program.h"

/* Every field here has fewer atoms than a database of its own needs, except
 * CommandLine (16 values): the rest are looked for in the raw document. */
static const char rules[] =
    /* Process creation: a long value list on Company (its per-value atoms
     * come from here first), and a keyword. */
    "title: company list\n"
    "id: pc-company\n"
    "logsource: {product: windows, category: process_creation}\n"
    "detection:\n"
    "  sel:\n"
    "    Company: [alpha1, bravo2, charlie3, delta4, echo5, foxtrot6, golf7, hotel8]\n"
    "  condition: sel\n"
    "---\n"
    "title: keyword\n"
    "id: pc-keyword\n"
    "logsource: {product: windows, category: process_creation}\n"
    "detection:\n"
    "  keywords: ['mimikatz']\n"
    "  condition: keywords\n"
    "---\n"
    /* One CommandLine value in process creation. */
    "title: marker\n"
    "id: pcx-marker\n"
    "logsource: {product: windows, category: process_creation}\n"
    "detection:\n"
    "  sel:\n"
    "    CommandLine|contains: 'pcxonly-marker'\n"
    "  condition: sel\n"
    "---\n"
    /* Image load: the same Company item (one item, shared), which is not
     * one of this rule's prefilter clauses (Image and OriginalFileName have
     * longer atoms): its values' atoms reach this log source's database
     * only as the shared item's. */
    "title: image load with company\n"
    "id: il-company\n"
    "logsource: {product: windows, category: image_load}\n"
    "detection:\n"
    "  sel:\n"
    "    ImageLoaded|endswith: '\\loaderimage-long-name.dll'\n"
    "    OriginalFileName: 'loaderoriginal-long-name.dll'\n"
    "    Company: [alpha1, bravo2, charlie3, delta4, echo5, foxtrot6, golf7, hotel8]\n"
    "  condition: sel\n"
    "---\n"
    "title: image load description\n"
    "id: il-desc\n"
    "logsource: {product: windows, category: image_load}\n"
    "detection:\n"
    "  sel:\n"
    "    Description: 'Exact Description'\n"
    "  condition: sel\n"
    "---\n"
    /* Another log source with many raw-document atoms: the Windows log
     * sources above use few of the whole database's. */
    "title: many keywords\n"
    "id: other-kw\n"
    "logsource: {product: other, service: many}\n"
    "detection:\n"
    "  keywords: [kwone01, kwtwo02, kwthree03, kwfour04, kwfive05, kwsix06, kwseven07,\n"
    "             kweight08, kwnine09, kwten10, kweleven11, kwtwelve12, kwthirteen13,\n"
    "             kwfourteen14, kwfifteen15, kwsixteen16, kwseventeen17, kweighteen18]\n"
    "  condition: keywords\n"
    "---\n"
    /* A log source whose only rule looks in a field with a database of its
     * own: no raw-document scan at all. */
    "title: command lines\n"
    "id: cl-only\n"
    "logsource: {product: fieldonly}\n"
    "detection:\n"
    "  sel:\n"
    "    CommandLine|contains: [cmdaa01, cmdbb02, cmdcc03, cmddd04, cmdee05, cmdff06, cmdgg07,\n"
    "                           cmdhh08, cmdii09, cmdjj10, cmdkk11, cmdll12, cmdmm13, cmdnn14,\n"
    "                           cmdoo15, cmdpp16]\n"
    "  condition: sel\n"
    "---\n"
    /* Groups of several tests (each dash): never skipped on one atom. */
    "title: dashes\n"
    "id: cl-dash\n"
    "logsource: {product: fieldonly}\n"
    "detection:\n"
    "  sel:\n"
    "    CommandLine|windash|contains: [-flagaa, -flagbb, -flagcc, -flagdd, -flagee, -flagff,\n"
    "                                   -flaggg, -flaghh]\n"
    "  condition: sel\n";

/* The indexes of the rules whose id starts with prefix. */
static uint32_t rules_of(const yg_rules *r, const char *prefix, uint32_t *out)
{
    uint32_t n = 0;
    for (size_t i = 0; i < r->nrules; i++)
        if (r->rules[i].rule->id && !strncmp(r->rules[i].rule->id, prefix, strlen(prefix)))
            out[n++] = (uint32_t)i;
    return n;
}

#define SYSMON(eid)                                                                                \
    "\"System\":{\"EventID\":" #eid ",\"Channel\":\"Microsoft-Windows-Sysmon/Operational\"}"

int main(void)
{
    yg_rules *r = compile_text(rules, sizeof rules - 1);
    if (!r)
        TAP_DONE();

    /* The databases themselves: image load gets a raw-document one of its
     * own atoms and scans no CommandLine; the CommandLine-only log source
     * scans no raw document and the whole CommandLine database; so does
     * process creation (fields keep their whole databases); all the rules
     * together the whole databases. */
    int32_t cl = yg__field_lookup(r, "CommandLine", 11);
    CHECK(cl >= 0 && (size_t)cl < r->nfid_db && r->fid_db[cl] != NULL);
    if (cl < 0 || (size_t)cl >= r->nfid_db)
        TAP_DONE();
    uint32_t list[16], n;
    void *scratch = yg__prefilter_scratch(r);
    struct yg_pf_route pr;
    n = rules_of(r, "il-", list);
    CHECK(n == 2);
    yg__prefilter_route(r, list, n, &scratch, &pr);
    CHECK(pr.raw != NULL && pr.raw != r->hs_db && pr.own && pr.own[0]);
    CHECK(pr.field && pr.field[cl] == NULL);
    /* Another scanner (its own scratch, as another thread's) on the same
     * log source gets the same database, not a copy: one per rule set. */
    {
        void *scratch2 = NULL;
        struct yg_pf_route pr2;
        size_t subs = r->nsubs;
        yg__prefilter_route(r, list, n, &scratch2, &pr2);
        CHECK_MSG(pr2.raw == pr.raw && r->nsubs == subs, "shared: %d, %zu databases for %zu",
                  pr2.raw == pr.raw, r->nsubs, subs);
        CHECK(scratch2 != NULL); /* grown to fit the shared database */
        yg__prefilter_route_free(&pr2);
        yg__prefilter_scratch_free(scratch2);
    }
    yg__prefilter_route_free(&pr);
    n = rules_of(r, "cl-", list);
    CHECK(n == 2);
    yg__prefilter_route(r, list, n, &scratch, &pr);
    CHECK(pr.raw == NULL && pr.field && pr.field[cl] == r->fid_db[cl] && !pr.own[cl + 1]);
    yg__prefilter_route_free(&pr);
    n = rules_of(r, "pc", list);
    CHECK(n == 3);
    yg__prefilter_route(r, list, n, &scratch, &pr);
    CHECK(pr.field && pr.field[cl] == r->fid_db[cl] && !pr.own[cl + 1]);
    yg__prefilter_route_free(&pr);
    for (n = 0; n < r->nrules; n++)
        list[n] = n;
    yg__prefilter_route(r, list, n, &scratch, &pr);
    CHECK(pr.raw == r->hs_db && pr.field && pr.field[cl] == r->fid_db[cl]);
    for (size_t d = 0; pr.own && d < pr.n; d++)
        CHECK(!pr.own[d]);
    yg__prefilter_route_free(&pr);
    yg__prefilter_scratch_free(scratch);

    yg_scanner *s;
    CHECK(yg_scanner_create(r, &s) == YG_OK);
    struct got g;
    /* Image load: the shared list's value found through this log source's
     * database; the description (an equals value) too. */
    CHECK(scan(s,
               "{\"Event\":{" SYSMON(
                   7) ",\"EventData\":{"
                      "\"ImageLoaded\":\"C:\\\\x\\\\LoaderImage-long-name.dll\","
                      "\"OriginalFileName\":\"loaderoriginal-long-name.dll\",\"Company\":\"Echo5\","
                      "\"Description\":\"exact description\"}}}",
               &g) == 2);
    CHECK(!strcmp(g.ids[0], "il-company") && !strcmp(g.ids[1], "il-desc"));
    /* Not a value of the list: no alert. */
    CHECK(
        scan(
            s,
            "{\"Event\":{" SYSMON(
                7) ",\"EventData\":{"
                   "\"ImageLoaded\":\"C:\\\\x\\\\LoaderImage-long-name.dll\","
                   "\"OriginalFileName\":\"loaderoriginal-long-name.dll\",\"Company\":\"echo6\"}}}",
            &g) == 0);
    /* Process creation: the list and the keyword. */
    CHECK(scan(s,
               "{\"Event\":{" SYSMON(1) ",\"EventData\":{\"Company\":\"hotel8\","
                                        "\"CommandLine\":\"run MimiKatz now\"}}}",
               &g) == 2);
    CHECK(!strcmp(g.ids[0], "pc-company") && !strcmp(g.ids[1], "pc-keyword"));
    /* Process creation's CommandLine atom; the other log source's atom in
     * the same database makes no candidate here. */
    CHECK(scan(s,
               "{\"Event\":{" SYSMON(1) ",\"EventData\":{\"CommandLine\":\"a PCXonly-Marker b\"}}}",
               &g) == 1);
    CHECK(g.n == 1 && !strcmp(g.ids[0], "pcx-marker"));
    CHECK(scan(s, "{\"Event\":{" SYSMON(1) ",\"EventData\":{\"CommandLine\":\"cmdkk11\"}}}", &g) ==
          0);
    /* An escape that could hide an atom from the raw scan: still found. */
    CHECK(scan(s, "{\"Event\":{" SYSMON(1) ",\"EventData\":{\"Company\":\"hot\\u0065l8\"}}}", &g) ==
          1);
    CHECK(!strcmp(g.ids[0], "pc-company"));
    /* The other log source's keywords do not make Windows rules candidates,
     * and its own rule still matches its events. */
    CHECK(scan(s, "{\"Event\":{" SYSMON(1) ",\"EventData\":{\"Company\":\"kwone01\"}}}", &g) == 0);
    CHECK(yg_scanner_set_logsource(s, "other", "many", NULL) == YG_OK);
    CHECK(scan(s, "{\"msg\":\"saw KWten10 here\"}", &g) == 1);
    CHECK(g.n == 1 && !strcmp(g.ids[0], "other-kw"));
    /* No raw scan: the field database decides, escapes or not. */
    CHECK(yg_scanner_set_logsource(s, "fieldonly", NULL, NULL) == YG_OK);
    CHECK(scan(s, "{\"CommandLine\":\"x cmdkk11 y\"}", &g) == 1);
    CHECK(scan(s, "{\"CommandLine\":\"x cmd\\u006bk11 y\",\"o\":\"\\/\"}", &g) == 1);
    CHECK(scan(s, "{\"CommandLine\":\"x cmdkk12 y\"}", &g) == 0);
    /* The second value of a field matches. */
    CHECK(scan(s, "{\"CommandLine\":[\"none\",\"x CMDPP16\"]}", &g) == 1);
    CHECK(g.n == 1 && !strcmp(g.ids[0], "cl-only"));
    /* Any dash of a windash value. */
    CHECK(scan(s, "{\"CommandLine\":\"tool /flagcc\"}", &g) == 1);
    CHECK(g.n == 1 && !strcmp(g.ids[0], "cl-dash"));
    CHECK(scan(s, "{\"CommandLine\":\"tool -flaghh\"}", &g) == 1);
    yg_scanner_destroy(s);
    yg_rules_release(r);
    TAP_DONE();
}
