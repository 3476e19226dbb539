/* A long value list (8 values or more) is matched by visiting only the
 * groups an event can match: those without a prefilter atom and those whose
 * atom the event holds (src/match/scan.c, groups_to_visit), or by the walk
 * over every group when the event holds many atoms.  Either way the answer
 * is the one every group tested in turn would give. */
#include "tap.h"
#include "hits_fixture.h"
#include "yagura/yagura.h"

#include "core/core.h"

static const char rules[] =
    /* Two values too short for an atom (every event tests them), eight with
     * one, and one atom twice (the atoms are caseless). */
    "title: any of a long list\n"
    "id: any-list\n"
    "logsource: {product: lists}\n"
    "detection:\n"
    "  sel:\n"
    "    Company: [ab, cd, alpha1, bravo2, charlie3, delta4, echo5, foxtrot6, golf7, hotel8,"
    " HOTEL8]\n"
    "  condition: sel\n"
    "---\n"
    /* The same list with `all`: the walk over every group. */
    "title: all of a long list\n"
    "id: all-list\n"
    "logsource: {product: lists}\n"
    "detection:\n"
    "  sel:\n"
    "    Product|contains|all: [ab, alpha1, bravo2, charlie3, delta4, echo5, foxtrot6, golf7]\n"
    "  condition: sel\n"
    "---\n"
    /* Negated: true when no group matches. */
    "title: none of a long list\n"
    "id: none-list\n"
    "logsource: {product: lists}\n"
    "detection:\n"
    "  sel:\n"
    "    Company: [ab, cd, alpha1, bravo2, charlie3, delta4, echo5, foxtrot6, golf7, hotel8]\n"
    "  filter:\n"
    "    Kind: probe\n"
    "  condition: filter and not sel\n";

static const char *fired(yg_scanner *s, const char *ev)
{
    static struct got g;
    static char out[64];
    int n = scan(s, ev, &g);
    if (n < 0)
        return "error";
    out[0] = 0;
    for (int i = 0; i < n; i++)
        snprintf(out + strlen(out), sizeof out - strlen(out), "%s%s", i ? "," : "", g.ids[i]);
    return out;
}

#define IS(ev, want)                                                                               \
    do {                                                                                           \
        const char *got_ = fired(s, ev);                                                           \
        CHECK_MSG(!strcmp(got_, want), "%s: fired '%s', want '%s'", ev, got_, want);               \
    } while (0)

int main(void)
{
    yg_rules *r;
    yg_scanner *s;
    if (!open_scanner(rules, sizeof rules - 1, "lists", &r, &s))
        TAP_DONE();
    for (int round = 0; round < 2; round++) {
        /* A value without an atom, one with, one twice, none. */
        IS("{\"Company\":\"ab\"}", "any-list");
        IS("{\"Company\":\"cd\"}", "any-list");
        IS("{\"Company\":\"hotel8\"}", "any-list");
        IS("{\"Company\":\"HOTEL8\"}", "any-list");
        IS("{\"Company\":\"golf7\"}", "any-list");
        IS("{\"Company\":\"zzzz\"}", "");
        /* An atom of the list inside another value is not a match. */
        IS("{\"Company\":\"xgolf7x\"}", "");
        /* The second value of the field matches. */
        IS("{\"Company\":[\"zzzz\",\"delta4\"]}", "any-list");
        IS("{\"Company\":[\"zzzz\",\"cd\"]}", "any-list");
        /* Many atoms in the event (the walk over every group): the same. */
        IS("{\"Note\":\"alpha1 bravo2 charlie3 delta4 echo5 foxtrot6\",\"Company\":\"golf7\"}",
           "any-list");
        IS("{\"Note\":\"alpha1 bravo2 charlie3 delta4 echo5 foxtrot6\",\"Company\":\"zz\"}", "");
        IS("{\"Note\":\"alpha1 bravo2 charlie3 delta4 echo5 foxtrot6\",\"Company\":\"cd\"}",
           "any-list");
        /* `all`: every value in one field. */
        IS("{\"Product\":\"ab alpha1 bravo2 charlie3 delta4 echo5 foxtrot6 golf7\"}", "all-list");
        IS("{\"Product\":\"ab alpha1 bravo2 charlie3 delta4 echo5 foxtrot6\"}", "");
        /* Negated. */
        IS("{\"Kind\":\"probe\",\"Company\":\"zzzz\"}", "none-list");
        IS("{\"Kind\":\"probe\",\"Company\":\"cd\"}", "any-list");
        IS("{\"Kind\":\"probe\",\"Company\":\"echo5\"}", "any-list");
    }
    yg_scanner_destroy(s);
    yg_rules_release(r);
    TAP_DONE();
}
