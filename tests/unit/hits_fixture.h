/*
 * hits_fixture.h - rules compiled from a string and the ids of the rules one
 * JSON record fires, for the unit tests that check matching through the
 * scanner (test_prefilter_route.c, test_scan_paths.c, test_long_lists.c).
 * Include after tap.h.
 */
#ifndef YG_TEST_HITS_FIXTURE_H
#define YG_TEST_HITS_FIXTURE_H

#include <stdio.h>
#include <string.h>

#include "tap.h"
#include "yagura/yagura.h"

/* The rule ids of one record's alerts, the first 8 kept. */
struct got {
    char ids[8][16];
    int n;
};

static int on_alert(void *ud, const yg_alert *a)
{
    struct got *g = ud;
    if (g->n < 8)
        snprintf(g->ids[g->n++], 16, "%s", a->rule_id);
    return 0;
}

/* The alerts of record ev into g: their count, or -1 when the scan failed. */
static int scan(yg_scanner *s, const char *ev, struct got *g)
{
    memset(g, 0, sizeof *g);
    yg_err e = yg_scanner_scan_json(s, ev, strlen(ev), on_alert, g);
    return e == YG_OK ? g->n : -1;
}

/* The rules of text (n bytes), or NULL after a failed check. */
static yg_rules *compile_text(const char *text, size_t n)
{
    yg_compiler *c;
    yg_rules *r = NULL;
    CHECK(yg_compiler_create(&c, NULL) == YG_OK);
    CHECK(yg_compiler_add_string(c, "t.yml", text, n) == YG_OK);
    CHECK(yg_compiler_get_rules(c, &r) == YG_OK);
    yg_compiler_destroy(c);
    return r;
}

/* The rules of text (n bytes) and a scanner of them for events of log
 * source product; false (after a failed check) when either cannot be had. */
static inline bool open_scanner(const char *text, size_t n, const char *product, yg_rules **r,
                                yg_scanner **s)
{
    *s = NULL;
    if (!(*r = compile_text(text, n)))
        return false;
    CHECK(yg_scanner_create(*r, s) == YG_OK);
    CHECK(*s && yg_scanner_set_logsource(*s, product, NULL, NULL) == YG_OK);
    return *s != NULL;
}

#endif
