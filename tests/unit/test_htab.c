/* The hash table of core (src/core/htab.c) and the tables converted to it:
 * lookups and duplicates, growth through many keys, keys that share
 * prefixes or are empty, clearing, a failed allocation that leaves the
 * table as it was, the case-insensitive mode (Sigma field names), and the
 * JSON member-name set (core/keyset.c) past its linear part. */
#include <stdio.h>

#include "core/htab.h"
#include "core/keyset.h"
#include "tap.h"

#define NKEYS 100000

static void basics(void)
{
    struct yg_htab t = {0};
    uint32_t v = 7;
    bool added;
    CHECK(!yg__htab_get(&t, "a", 1, &v));
    CHECK(yg__htab_add(&t, "a", 1, &v, &added) == YG_OK && added);
    v = 8;
    CHECK(yg__htab_add(&t, "a", 1, &v, &added) == YG_OK && !added && v == 7);
    v = 9;
    CHECK(yg__htab_add(&t, "ab", 2, &v, &added) == YG_OK && added);
    v = 10;
    CHECK(yg__htab_add(&t, "", 0, &v, &added) == YG_OK && added);
    CHECK(yg__htab_get(&t, "a", 1, &v) && v == 7);
    CHECK(yg__htab_get(&t, "ab", 2, &v) && v == 9);
    CHECK(yg__htab_get(&t, "abc", 2, &v) && v == 9); /* the length counts, not a NUL */
    CHECK(yg__htab_get(&t, "", 0, &v) && v == 10);
    CHECK(!yg__htab_get(&t, "b", 1, &v));
    CHECK(t.n == 3);
    yg__htab_clear(&t);
    CHECK(t.n == 0 && !yg__htab_get(&t, "a", 1, &v));
    v = 1;
    CHECK(yg__htab_add(&t, "a", 1, &v, &added) == YG_OK && added);
    yg__htab_free(&t);
    CHECK(t.slot == NULL && t.n == 0 && t.cap == 0);
}

static void many(void)
{
    static char keys[NKEYS][16];
    struct yg_htab t = {0};
    unsigned bad = 0;
    for (uint32_t i = 0; i < NKEYS; i++) {
        int n = snprintf(keys[i], sizeof keys[i], "k%u", i);
        uint32_t v = i;
        bool added;
        if (yg__htab_add(&t, keys[i], (size_t)n, &v, &added) != YG_OK || !added)
            bad++;
    }
    CHECK(t.n == NKEYS && t.cap >= 2 * NKEYS && (t.cap & (t.cap - 1)) == 0);
    for (uint32_t i = 0; i < NKEYS; i++) {
        uint32_t v;
        if (!yg__htab_get(&t, keys[i], strlen(keys[i]), &v) || v != i)
            bad++;
    }
    CHECK(!yg__htab_get(&t, "k100000", 7, &(uint32_t){0}));
    CHECK_MSG(bad == 0, "%u keys lost or misplaced", bad);
    yg__htab_free(&t);
}

/* Growing needs an allocation; when it fails, nothing changes. */
static void no_memory(void)
{
    static char keys[64][16];
    struct yg_htab t = {0};
    uint32_t v;
    bool added;
    unsigned i = 0;
    /* Fill up to the point where the next new key makes the table grow. */
    do {
        snprintf(keys[i], sizeof keys[i], "x%u", i);
        v = i;
        CHECK(yg__htab_add(&t, keys[i], strlen(keys[i]), &v, &added) == YG_OK && added);
        i++;
    } while ((t.n + 1) * 2 <= t.cap);
    size_t n = t.n, cap = t.cap;
    snprintf(keys[i], sizeof keys[i], "last");
    yg__alloc_fail_after(1);
    v = 99;
    yg_err e = yg__htab_add(&t, keys[i], 4, &v, &added);
    yg__alloc_fail_after(0);
    CHECK(e == YG_ENOMEM && t.n == n && t.cap == cap && !yg__htab_get(&t, "last", 4, &v));
    /* An existing key needs no growth, so it is still found. */
    CHECK(yg__htab_get(&t, keys[0], strlen(keys[0]), &v) && v == 0);
    CHECK(yg__htab_add(&t, keys[i], 4, &v, &added) == YG_OK && added && t.cap == 2 * cap);
    yg__htab_free(&t);
}

static void keyset(void)
{
    static char names[1000][8];
    struct yg_keyset s;
    yg__keyset_init(&s);
    unsigned bad = 0;
    for (int i = 0; i < 1000; i++) {
        int n = snprintf(names[i], sizeof names[i], "m%d", i);
        bool dup = true;
        if (yg__keyset_add(&s, names[i], (size_t)n, &dup) != YG_OK || dup)
            bad++;
        /* Every name given so far, again, is a duplicate (the linear part,
         * the move to the table at the ninth, and the table). */
        if (i < 20 || i % 97 == 0)
            for (int k = 0; k <= i; k++) {
                dup = false;
                if (yg__keyset_add(&s, names[k], strlen(names[k]), &dup) != YG_OK || !dup)
                    bad++;
            }
    }
    CHECK_MSG(bad == 0, "%u wrong answers", bad);
    yg__keyset_free(&s);
}

/* icase: ASCII letters fold, nothing else does; the first spelling added is
 * the one kept. */
static void icase(void)
{
    struct yg_htab t = {.icase = true};
    uint32_t v = 1;
    bool added;
    CHECK(yg__htab_add(&t, "CommandLine", 11, &v, &added) == YG_OK && added);
    v = 2;
    CHECK(yg__htab_add(&t, "commandline", 11, &v, &added) == YG_OK && !added && v == 1);
    CHECK(yg__htab_get(&t, "COMMANDLINE", 11, &v) && v == 1);
    CHECK(!yg__htab_get(&t, "CommandLin", 10, &v));
    CHECK(!yg__htab_get(&t, "Command_Line", 12, &v));
    /* Bytes above ASCII are compared as they are: \xc3\x89 is not \xc3\xa9. */
    v = 3;
    CHECK(yg__htab_add(&t, "\xc3\x89", 2, &v, &added) == YG_OK && added);
    CHECK(!yg__htab_get(&t, "\xc3\xa9", 2, &v));
    /* Through growth, every spelling still finds its entry. */
    static char names[3000][16];
    unsigned bad = 0;
    for (unsigned i = 0; i < 3000; i++) {
        snprintf(names[i], sizeof names[i], "Field%uX", i);
        v = i + 10;
        CHECK(yg__htab_add(&t, names[i], strlen(names[i]), &v, &added) == YG_OK);
    }
    for (unsigned i = 0; i < 3000; i++) {
        char lower[16];
        snprintf(lower, sizeof lower, "fIELD%ux", i);
        bad += !yg__htab_get(&t, lower, strlen(lower), &v) || v != i + 10;
    }
    CHECK_MSG(bad == 0, "%u names not found in another case", bad);
    yg__htab_clear(&t);
    CHECK(t.icase && t.n == 0);
    yg__htab_free(&t);
    /* Without icase, case counts. */
    struct yg_htab c = {0};
    v = 1;
    CHECK(yg__htab_add(&c, "Image", 5, &v, &added) == YG_OK && added);
    CHECK(!yg__htab_get(&c, "image", 5, &v));
    yg__htab_free(&c);
}

int main(void)
{
    basics();
    icase();
    many();
    no_memory();
    keyset();
    TAP_DONE();
}
