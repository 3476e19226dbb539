/* The HTML report writer (src/engine/report.c): what the page carries.
 *  - no data can close a <script> block, whatever an event contains;
 *  - alerts are listed in event-time order, untimed ones last;
 *  - past the listing cap the most severe alerts are kept, and the summary
 *    still counts every alert;
 *  - an alert over YG_REPORT_ALERT_BYTES is listed without its body;
 *  - computers are counted as the hunt counts them (yg__event_host). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

#include "engine/coverage.h"
#include "engine/report.h"

static void alert(FILE *f, const char *ts, const char *level, const char *title, const char *event)
{
    fprintf(f,
            "{\"timestamp\":\"%s\",\"rule\":{\"id\":\"r-%s\",\"title\":\"%s\",\"level\":\"%s\"},"
            "\"logsource\":{\"product\":\"windows\",\"service\":\"security\"},\"matched\":{},"
            "\"source\":{\"file\":\"x\"},\"event\":%s}\n",
            ts, title, title, level, event);
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

/* The lines of the alerts block. */
static char *alerts_block(const char *page)
{
    const char *b = strstr(page, "id=\"yg-alerts\">\n");
    const char *e = b ? strstr(b, "</script>") : NULL;
    if (!b || !e)
        return NULL;
    b += strlen("id=\"yg-alerts\">\n");
    return strndup(b, (size_t)(e - b));
}

int main(void)
{
    FILE *in = tmpfile();
    CHECK(in != NULL);
    if (!in)
        TAP_DONE();
    alert(in, "2024-05-01T10:00:03.000Z", "low", "L1",
          "{\"Event\":{\"System\":{\"Computer\":\"pc-a\"},\"EventData\":{\"TargetUserName\":"
          "\"bob\"}}}");
    alert(in, "2024-05-01T10:00:01.000Z", "critical", "C1",
          "{\"Event\":{\"System\":{\"Computer\":\"pc-b\"},\"EventData\":{\"CommandLine\":"
          "\"</script><script>alert(1)</script>\"}}}");
    alert(in, "", "critical", "C2", "{\"Event\":{\"System\":{\"Computer\":\"pc-b\"}}}");
    alert(in, "2024-05-01T10:00:02.000Z", "low", "L2", "{\"Event\":{\"System\":{}}}");
    alert(in, "2024-05-01T10:00:00.000Z", "high", "H1",
          "{\"Event\":{\"System\":{\"Computer\":\"pc-a\"}}}");
    /* One alert over the size limit. */
    size_t bign = YG_REPORT_ALERT_BYTES + 100;
    char *big = malloc(bign + 64);
    CHECK(big != NULL);
    if (big) {
        int k = snprintf(big, 64, "{\"pad\":\"");
        memset(big + k, 'x', bign);
        strcpy(big + k + bign, "\"}");
        alert(in, "2024-05-01T10:00:04.000Z", "low", "L3", big);
    }
    free(big);

    /* Everything listed. */
    char *page = NULL;
    size_t pn = 0;
    FILE *out = open_memstream(&page, &pn);
    struct yg_report_param params[] = {{"command", "yagura hunt </script>"}};
    struct yg_report_in ri = {.title = "T <b>", .params = params, .nparams = 1, .alerts = in};
    struct yg_errmsg why = {""};
    CHECK_MSG(yg__report_write(&ri, out, &why) == YG_OK, "%s", why.msg);
    fclose(out);
    /* The page's own blocks only: summary, overview, alerts, list. */
    CHECK_MSG(count(page, "</script>") == 4, "%zu", count(page, "</script>"));
    CHECK(count(page, "<script") == 4);
    CHECK(strstr(page, "\\u003c/script>\\u003cscript>alert(1)") != NULL);
    CHECK(strstr(page, "<title>T &lt;b&gt;</title>") != NULL);
    CHECK(strstr(page, "\"total\":6,\"listed\":6") != NULL);
    CHECK(strstr(page, "\"oversize\":1") != NULL);
    CHECK(strstr(page, "\"untimed\":1") != NULL);
    /* Computers as the hunt counts them: pc-b 2 (critical), pc-a 2, and
     * the two without one. */
    CHECK(strstr(page, "\"computers\":[[\"(no host field)\",2,0,0,0,2,0],[\"pc-a\",2,0,1,0,1,0],"
                       "[\"pc-b\",2,2,0,0,0,0]]") != NULL);
    CHECK(strstr(page, "\"accounts\":[[\"bob\",1,0,0,0,1,0]]") != NULL);
    char *blk = alerts_block(page);
    CHECK(blk != NULL);
    if (blk) {
        CHECK(strstr(blk, "{\"omitted\":\"alert of ") != NULL);
        CHECK(count(blk, "\n") == 6);
        /* Time order: H1 (10:00:00), C1, L2, L1, L3, then the untimed C2. */
        const char *order[] = {"\"H1\"", "\"C1\"", "\"L2\"", "\"L1\"", "\"L3\"", "\"C2\""};
        char *save = NULL, *line = strtok_r(blk, "\n", &save);
        for (int i = 0; i < 6; i++, line = strtok_r(NULL, "\n", &save))
            CHECK_MSG(line && strstr(line, order[i]), "line %d is not alert %s", i, order[i]);
        free(blk);
    }
    free(page);

    /* A cap of 3: both criticals, the high; the summary counts all six. */
    page = NULL;
    out = open_memstream(&page, &pn);
    ri.max_alerts = 3;
    CHECK(yg__report_write(&ri, out, &why) == YG_OK);
    fclose(out);
    CHECK(strstr(page, "\"total\":6,\"listed\":3,\"cap\":3") != NULL);
    blk = alerts_block(page);
    CHECK(blk && count(blk, "\n") == 3 && strstr(blk, "\"C1\"") && strstr(blk, "\"C2\"") &&
          strstr(blk, "\"H1\"") && !strstr(blk, "\"L1\""));
    free(blk);
    free(page);
    fclose(in);

    /* More distinct accounts than a tally keeps: the extra ones count as
     * "(other)", as in the hunt's tallies (the report indexes its own). */
    in = tmpfile();
    CHECK(in != NULL);
    if (!in)
        TAP_DONE();
    for (unsigned i = 0; i < YG_TALLY_MAX_KEYS + 5; i++) {
        char ev[128];
        snprintf(ev, sizeof ev, "{\"hostname\":\"pc\",\"user\":\"u%u\"}", i);
        fprintf(in,
                "{\"timestamp\":\"2024-05-01T00:00:00.000Z\",\"rule\":{\"id\":\"r\","
                "\"title\":\"R\",\"level\":\"low\"},\"logsource\":{\"product\":\"test\"},"
                "\"event\":%s}\n",
                ev);
    }
    page = NULL;
    out = open_memstream(&page, &pn);
    struct yg_report_in many = {.title = "many", .alerts = in};
    CHECK(yg__report_write(&many, out, &why) == YG_OK);
    fclose(out);
    char want[128];
    snprintf(want, sizeof want, "\"accounts\":[[\"(other)\",5,0,0,0,5,0],");
    CHECK(strstr(page, want) != NULL);
    snprintf(want, sizeof want, "\"accounts_n\":%u", YG_TALLY_MAX_KEYS + 1);
    CHECK(strstr(page, want) != NULL);
    snprintf(want, sizeof want, "\"computers\":[[\"pc\",%u,0,0,0,%u,0]]", YG_TALLY_MAX_KEYS + 5,
             YG_TALLY_MAX_KEYS + 5);
    CHECK(strstr(page, want) != NULL);
    free(page);
    fclose(in);
    TAP_DONE();
}
