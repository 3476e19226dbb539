/* Condition grammar: precedence, quantifiers, patterns, `them`, errors. */
#include "sigma/rule.h"
#include "tap.h"

/* Rendering into fixed buffers is enough for these short conditions. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

static const char *names[] = {"selection",         "selection_img", "selection_cli", "filter_main",
                              "filter_optional_x", "_hidden",       "keywords"};
#define NN (sizeof names / sizeof *names)

/* Render a condition tree as a fully parenthesised string. */
static void render(const struct yg_cond *c, char *out, size_t n)
{
    char a[512], b[512];
    switch (c->op) {
    case YG_C_ID: snprintf(out, n, "%s", names[c->id]); break;
    case YG_C_NOT:
        render(c->a, a, sizeof a);
        snprintf(out, n, "(not %s)", a);
        break;
    case YG_C_AND:
    case YG_C_OR:
        render(c->a, a, sizeof a);
        render(c->b, b, sizeof b);
        snprintf(out, n, "(%s %s %s)", a, c->op == YG_C_AND ? "and" : "or", b);
        break;
    case YG_C_ONE_OF:
    case YG_C_ALL_OF: {
        size_t k = (size_t)snprintf(out, n, "%s[", c->op == YG_C_ALL_OF ? "all" : "any");
        for (uint32_t i = 0; i < c->nids && k < n; i++)
            k += (size_t)snprintf(out + k, n - k, "%s%s", i ? "," : "", names[c->ids[i]]);
        if (k < n)
            snprintf(out + k, n - k, "]");
        break;
    }
    }
}

static void expect(const char *cond, const char *want)
{
    struct yg_arena a;
    yg_arena_init(&a, 4096, 0);
    struct yg_cond *c;
    unsigned col = 0;
    struct yg_errmsg why = {""};
    char got[1024] = "";
    yg_err e = yg__cond_parse(cond, strlen(cond), names, NN, &a, &c, &col, &why);
    if (e == YG_OK)
        render(c, got, sizeof got);
    CHECK_MSG(e == YG_OK && strcmp(got, want) == 0, "'%s' -> '%s' (err %d %s), want '%s'", cond,
              got, e, why.msg, want);
    yg_arena_free(&a);
}

static void expect_err(const char *cond, yg_err want, unsigned wantcol, const char *msgpart)
{
    struct yg_arena a;
    yg_arena_init(&a, 4096, 0);
    struct yg_cond *c;
    unsigned col = 0;
    struct yg_errmsg why = {""};
    yg_err e = yg__cond_parse(cond, strlen(cond), names, NN, &a, &c, &col, &why);
    CHECK_MSG(e == want && col == wantcol && strstr(why.msg, msgpart), "'%s': err %d col %u '%s'",
              cond, e, col, why.msg);
    yg_arena_free(&a);
}

int main(void)
{
    /* Precedence: or < and < not < x of < ( ). */
    expect("selection", "selection");
    expect("selection and not filter_main", "(selection and (not filter_main))");
    expect("selection or keywords and filter_main", "(selection or (keywords and filter_main))");
    expect("not selection and keywords", "((not selection) and keywords)");
    expect("not not selection", "(not (not selection))");
    expect("(selection or keywords) and filter_main", "((selection or keywords) and filter_main)");
    expect("selection and keywords and filter_main", "((selection and keywords) and filter_main)");
    expect("selection or keywords or filter_main", "((selection or keywords) or filter_main)");
    /* Keywords are case-insensitive. */
    expect("selection AND NOT filter_main", "(selection and (not filter_main))");
    /* Quantifiers over patterns and `them`. */
    expect("1 of selection*", "any[selection,selection_img,selection_cli]");
    expect("any of selection_*", "any[selection_img,selection_cli]");
    expect("all of selection_*", "all[selection_img,selection_cli]");
    expect("all of them",
           "all[selection,selection_img,selection_cli,filter_main,filter_optional_x,keywords]");
    expect("1 of them",
           "any[selection,selection_img,selection_cli,filter_main,filter_optional_x,keywords]");
    expect("all of selection_* and not 1 of filter_*",
           "(all[selection_img,selection_cli] and (not any[filter_main,filter_optional_x]))");
    expect("not 1 of filter_* and selection",
           "((not any[filter_main,filter_optional_x]) and selection)");
    expect("1 of _hid*", "any[_hidden]");
    expect("  selection\n  and keywords ", "(selection and keywords)");
    /* Errors name the column. */
    expect_err("selection and", YG_ESYNTAX, 14, "end of condition");
    expect_err("selection and unknown", YG_ENOTFOUND, 15, "unknown search identifier 'unknown'");
    expect_err("1 of nomatch*", YG_ENOTFOUND, 6, "matches no search identifier");
    expect_err("(selection", YG_ESYNTAX, 11, "expected ')'");
    expect_err("selection keywords", YG_ESYNTAX, 11, "unexpected 'keywords'");
    expect_err("selection | count() by User > 5", YG_EUNSUPPORTED, 11, "correlation rule");
    expect_err("selection and $", YG_ESYNTAX, 15, "unexpected character");
    expect_err("", YG_ESYNTAX, 1, "end of condition");
    /* Depth limit. */
    char deep[600];
    size_t k = 0;
    for (int i = 0; i < 200; i++)
        deep[k++] = '(';
    memcpy(deep + k, "selection", 9);
    k += 9;
    for (int i = 0; i < 200; i++)
        deep[k++] = ')';
    deep[k] = 0;
    expect_err(deep, YG_ELIMIT, 65, "deeper");
    TAP_DONE();
}
