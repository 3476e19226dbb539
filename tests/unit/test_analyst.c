/*
 * test_analyst.c - the pieces of src/engine/analyst.c, metrics.c and
 * logons.c that the command tests cannot reach: the key limit of a table
 * and its "(other)" row, the generated search rule's quoting (compiled, so
 * a term can never change the rule's structure), and the event names.
 */
#include "tap.h"

#include "engine/analyst.h"

static void test_limit(void)
{
    struct yg_an_table t;
    memset(&t, 0, sizeof t);
    char k[32];
    for (unsigned i = 0; i < YG_AN_MAX_KEYS + 10; i++) {
        int n = snprintf(k, sizeof k, "key%u", i);
        struct yg_an_row *r = yg__an_get(&t, k, (size_t)n);
        CHECK_MSG(r != NULL, "key %u", i);
        if (r)
            r->n[0]++;
    }
    /* The limit, plus the one "(other)" row holding the ten past it. */
    CHECK(t.n == YG_AN_MAX_KEYS + 1);
    struct yg_an_row *o = yg__an_get(&t, "(other)", 7);
    CHECK(o && o->n[0] == 10);
    /* A key seen before the limit still finds its own row. */
    struct yg_an_row *r = yg__an_get(&t, "key7", 4);
    CHECK(r && r->n[0] == 1 && strcmp(r->key, "key7") == 0);
    yg__an_sort(&t);
    CHECK(!t.oom && strcmp(t.rows[0].key, "(other)") == 0);
    CHECK(yg__an_get(&t, "key7", 4)->n[0] == 1);
    yg__an_free(&t);
}

static void test_search_rule(void)
{
    struct yg_search_term q[] = {
        {YG_SEARCH_KEYWORD, "it's"},
        {YG_SEARCH_REGEX, "a'b\\d+"},
        {YG_SEARCH_FIELD, "CommandLine|contains=x' or '1'='1"},
        {YG_SEARCH_FIELD, "Image=a=b"},
    };
    struct yg_buf y;
    yg_buf_init(&y, 0);
    struct yg_errmsg why = {""};
    CHECK(yg__search_rule(q, 4, &y, &why) == YG_OK);
    CHECK(yg_buf_addc(&y, 0) == YG_OK);
    CHECK(strstr(y.p, "- 'it''s'\n"));
    CHECK(strstr(y.p, "'|re': 'a''b\\d+'\n"));
    CHECK(strstr(y.p, "'CommandLine|contains': 'x'' or ''1''=''1'\n"));
    CHECK(strstr(y.p, "'Image': 'a=b'\n"));
    CHECK(strstr(y.p, "condition: all of q*\n"));
    yg_compiler *c;
    yg_rules *rules = NULL;
    CHECK(yg_compiler_create(&c, YG_SOURCE_DIR) == YG_OK);
    CHECK(yg_compiler_add_string(c, "search", y.p, strlen(y.p)) == YG_OK);
    CHECK(yg_compiler_rule_count(c) == 1);
    CHECK(yg_compiler_get_rules(c, &rules) == YG_OK && rules);
    yg_compiler_destroy(c);
    yg_rules_release(rules);
    yg_buf_free(&y);

    struct yg_search_term bad[] = {{YG_SEARCH_FIELD, "novalue"}};
    yg_buf_init(&y, 0);
    CHECK(yg__search_rule(bad, 1, &y, &why) == YG_EINVAL);
    CHECK(strstr(why.msg, "'novalue'") && strstr(why.msg, "FIELD=VALUE"));
    struct yg_search_term nl[] = {{YG_SEARCH_KEYWORD, "a\nb"}};
    yg_buf_reset(&y);
    CHECK(yg__search_rule(nl, 1, &y, &why) == YG_EINVAL);
    CHECK(yg__search_rule(NULL, 0, &y, &why) == YG_EINVAL);
    yg_buf_free(&y);
}

static void test_names(void)
{
    CHECK(strcmp(yg__event_name("Security", 8, "4624", 4), "Logon success") == 0);
    CHECK(strcmp(yg__event_name("security", 8, "4625", 4), "Logon failure") == 0);
    const char *sm = "Microsoft-Windows-Sysmon/Operational";
    CHECK(strcmp(yg__event_name(sm, strlen(sm), "1", 1), "Process creation") == 0);
    /* Sysmon's numbers mean other things in other channels. */
    CHECK(yg__event_name("Security", 8, "1", 1) == NULL);
    CHECK(yg__event_name("Security", 8, "46x4", 4) == NULL);
    CHECK(yg__event_name("Security", 8, "", 0) == NULL);
}

/* The generated selection rules of metrics and logons compile, every one. */
static void test_rules_compile(void)
{
    const char *texts[] = {yg__evmetrics_rule, yg__logons_rules};
    size_t want[] = {1, 8};
    for (size_t i = 0; i < 2; i++) {
        yg_compiler *c;
        yg_rules *r = NULL;
        CHECK(yg_compiler_create(&c, YG_SOURCE_DIR) == YG_OK);
        CHECK(yg_compiler_add_string(c, "gen", texts[i], strlen(texts[i])) == YG_OK);
        CHECK_MSG(yg_compiler_rule_count(c) == want[i], "%zu rules", yg_compiler_rule_count(c));
        CHECK(yg_compiler_get_rules(c, &r) == YG_OK && r);
        yg_rules_stats st;
        yg_rules_get_stats(r, &st);
        CHECK_MSG(st.detection == want[i], "%zu detection rules", st.detection);
        yg_compiler_destroy(c);
        yg_rules_release(r);
    }
}

int main(void)
{
    test_limit();
    test_search_rule();
    test_names();
    test_rules_compile();
    TAP_DONE();
}
