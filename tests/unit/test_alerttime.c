/* The time every alert carries, per source format: a line shaped like the
 * real samples goes through its decoder and the scanner (a rule that takes
 * every event of its log source), and the alert's time must be the expected
 * RFC 3339 UTC instant, with the source text kept, for the default zone
 * (UTC), a --timezone, and the year of year-less syslog times placed from
 * the reference time (the file's modification time in a hunt). */
#include "tap.h"

#include "core/timeparse.h"
#include "detector/alertjson.h"
#include "detector/linedec.h"

static const char RULES[] =
    "title: every windows\nid: 10000000-0000-4000-8000-000000000001\nlogsource: {product: "
    "windows}\ndetection: {n: {YaguraNone: x}, condition: not n}\nlevel: low\n---\n"
    "title: every linux\nid: 10000000-0000-4000-8000-000000000002\nlogsource: {product: "
    "linux}\ndetection: {n: {YaguraNone: x}, condition: not n}\nlevel: low\n---\n"
    "title: every fortigate\nid: 10000000-0000-4000-8000-000000000003\nlogsource: {product: "
    "fortigate}\ndetection: {n: {YaguraNone: x}, condition: not n}\nlevel: low\n---\n"
    "title: every cisco\nid: 10000000-0000-4000-8000-000000000004\nlogsource: {product: "
    "cisco}\ndetection: {n: {YaguraNone: x}, condition: not n}\nlevel: low\n---\n"
    "title: every paloalto\nid: 10000000-0000-4000-8000-000000000005\nlogsource: {product: "
    "paloalto}\ndetection: {n: {YaguraNone: x}, condition: not n}\nlevel: low\n---\n"
    "title: every ivanti\nid: 10000000-0000-4000-8000-000000000006\nlogsource: {product: "
    "ivanti}\ndetection: {n: {YaguraNone: x}, condition: not n}\nlevel: low\n---\n"
    "title: every citrix\nid: 10000000-0000-4000-8000-000000000007\nlogsource: {product: "
    "citrix}\ndetection: {n: {YaguraNone: x}, condition: not n}\nlevel: low\n---\n"
    "title: every zeek\nid: 10000000-0000-4000-8000-000000000008\nlogsource: {product: "
    "zeek}\ndetection: {n: {YaguraNone: x}, condition: not n}\nlevel: low\n---\n"
    "title: every suricata\nid: 10000000-0000-4000-8000-000000000009\nlogsource: {product: "
    "suricata}\ndetection: {n: {YaguraNone: x}, condition: not n}\nlevel: low\n---\n"
    "title: every m365\nid: 10000000-0000-4000-8000-000000000010\nlogsource: {product: "
    "m365}\ndetection: {n: {YaguraNone: x}, condition: not n}\nlevel: low\n---\n"
    "title: every azure\nid: 10000000-0000-4000-8000-000000000011\nlogsource: {product: "
    "azure}\ndetection: {n: {YaguraNone: x}, condition: not n}\nlevel: low\n---\n"
    "title: every cef\nid: 10000000-0000-4000-8000-000000000012\nlogsource: {product: "
    "cef}\ndetection: {n: {YaguraNone: x}, condition: not n}\nlevel: low\n---\n"
    "title: every leef\nid: 10000000-0000-4000-8000-000000000013\nlogsource: {product: "
    "leef}\ndetection: {n: {YaguraNone: x}, condition: not n}\nlevel: low\n---\n"
    "title: every apache\nid: 10000000-0000-4000-8000-000000000014\nlogsource: {product: "
    "apache}\ndetection: {n: {YaguraNone: x}, condition: not n}\nlevel: low\n---\n"
    "title: every web\nid: 10000000-0000-4000-8000-000000000015\nlogsource: {category: "
    "webserver}\ndetection: {n: {YaguraNone: x}, condition: not n}\nlevel: low\n";

struct got {
    const struct yg_tz *tz;
    int64_t ref;
    int n;
    char text[YG_TIME_TEXT];
    char source[128];
};

static int on_alert(void *ud, const yg_alert *a)
{
    struct got *g = ud;
    struct yg_alert_time t;
    yg__alert_time(a, g->tz, g->ref, &t);
    if (g->n++ == 0) {
        memcpy(g->text, t.text, sizeof g->text);
        snprintf(g->source, sizeof g->source, "%.*s", (int)a->timestamp_len, a->timestamp);
    }
    return 0;
}

static yg_scanner *S;
static struct yg_linedec LD;

/* Decode header lines then `line` with format `fmt` ("json": a JSON
 * document), and check the first alert's time and source text. */
static void one(int at, const char *fmt, const char *const *headers, const char *line,
                const struct yg_tz *tz, int64_t ref, const char *want, const char *want_src)
{
    struct got g;
    memset(&g, 0, sizeof g);
    g.tz = tz;
    g.ref = ref;
    if (!strcmp(fmt, "json")) {
        CHECK_MSG(yg_scanner_scan_json(S, line, strlen(line), on_alert, &g) == YG_OK,
                  "line %d: not scanned", at);
    } else {
        const struct yg_linefmt *f = yg__format_find(fmt);
        CHECK_MSG(f != NULL, "line %d: no format %s", at, fmt);
        if (!f)
            return;
        struct yg_line_result r;
        yg__linedec_free(&LD);
        yg__linedec_init(&LD);
        for (; headers && *headers; headers++)
            yg__linedec_scan(&LD, S, f, false, *headers, strlen(*headers), on_alert, &g, &r);
        yg__linedec_scan(&LD, S, f, false, line, strlen(line), on_alert, &g, &r);
        CHECK_MSG(r.err == YG_OK, "line %d: %s: %s", at, fmt, r.de.msg ? r.de.msg : "?");
    }
    CHECK_MSG(g.n >= 1 && !strcmp(g.text, want) && !strcmp(g.source, want_src),
              "line %d: %s: %d alert(s), time '%s' from '%s', want '%s' from '%s'", at, fmt, g.n,
              g.text, g.source, want, want_src);
}

#define ONE(...) one(__LINE__, __VA_ARGS__)

static int64_t day(int y, unsigned m, unsigned d)
{
    return (int64_t)yg__days_from_civil(y, m, d) * 86400000;
}

int main(void)
{
    yg_compiler *c = NULL;
    yg_rules *rs = NULL;
    CHECK(yg_compiler_create(&c, YG_SOURCE_DIR) == YG_OK);
    CHECK(yg_compiler_add_string(c, "every.yml", RULES, sizeof RULES - 1) == YG_OK);
    CHECK(yg_compiler_get_rules(c, &rs) == YG_OK);
    yg_compiler_destroy(c);
    CHECK(rs && yg_scanner_create(rs, &S) == YG_OK);
    if (!S)
        TAP_DONE();
    yg__linedec_init(&LD);
    struct yg_tz tokyo, minus5;
    struct yg_errmsg why = {""};
    CHECK(yg__tz_parse("+09:00", &tokyo, &why));
    CHECK(yg__tz_parse("-05:00", &minus5, &why));
    /* The reference ("file written") 2024-03-01: a year-less time is the
     * latest one no more than 31 days after it. */
    int64_t ref = day(2024, 3, 1);

    /* Windows (evtx_dump JSON): SystemTime is UTC; --timezone does not move it. */
    static const char win[] =
        "{\"Event\":{\"System\":{\"Channel\":\"Security\",\"EventID\":4624,\"Computer\":\"dc1\","
        "\"TimeCreated\":{\"#attributes\":{\"SystemTime\":\"2025-06-02T01:10:00.1234567Z\"}}},"
        "\"EventData\":{\"TargetUserName\":\"bob\"}}}";
    ONE("json", NULL, win, NULL, ref, "2025-06-02T01:10:00.123Z", "2025-06-02T01:10:00.1234567Z");
    ONE("json", NULL, win, &tokyo, ref, "2025-06-02T01:10:00.123Z", "2025-06-02T01:10:00.1234567Z");

    /* syslog RFC 3164: no year, no zone. */
    static const char bsd[] = "Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from "
                              "173.234.31.186";
    ONE("syslog", NULL, bsd, NULL, ref, "2023-12-10T06:55:46.000Z", "Dec 10 06:55:46");
    ONE("syslog", NULL, bsd, &tokyo, ref, "2023-12-09T21:55:46.000Z", "Dec 10 06:55:46");
    /* A month just after the reference is still this year (a clock a
     * little ahead); well after it is last year. */
    ONE("syslog", NULL, "Mar 20 10:00:00 h sshd[1]: x", NULL, ref, "2024-03-20T10:00:00.000Z",
        "Mar 20 10:00:00");
    ONE("syslog", NULL, "Jun 14 15:16:02 h sshd[1]: x", NULL, ref, "2023-06-14T15:16:02.000Z",
        "Jun 14 15:16:02");
    ONE("syslog", NULL, "Feb 29 12:00:00 h sshd[1]: x", NULL, day(2025, 3, 1),
        "2024-02-29T12:00:00.000Z", "Feb 29 12:00:00");
    /* RFC 5424 names its zone. */
    static const char r5424[] = "<34>1 2003-10-11T22:14:15.003-07:00 mymachine.example.com su - "
                                "ID47 - 'su root' failed for lonvick on /dev/pts/8";
    ONE("syslog", NULL, r5424, &tokyo, ref, "2003-10-12T05:14:15.003Z",
        "2003-10-11T22:14:15.003-07:00");

    /* FortiGate: eventtime (ns, s) wins; else date and time with tz; else
     * date and time on the --timezone clock. */
    ONE("fortigate", NULL,
        "date=2019-05-10 time=11:37:47 logid=\"0000000013\" type=\"traffic\" subtype=\"forward\" "
        "level=\"notice\" vd=\"vdom1\" eventtime=1557513467369913239 srcip=10.1.100.11 "
        "tz=\"-0700\"",
        &tokyo, ref, "2019-05-10T18:37:47.369Z", "1557513467369913239");
    ONE("fortigate", NULL,
        "date=2019-03-31 time=06:42:54 logid=\"0000000013\" type=\"traffic\" subtype=\"forward\" "
        "level=\"notice\" vd=\"vdom1\" eventtime=1554039772",
        &tokyo, ref, "2019-03-31T13:42:52.000Z", "1554039772");
    ONE("fortigate", NULL,
        "date=2020-03-29 time=16:41:30 logid=\"0100032001\" type=\"event\" subtype=\"system\" "
        "level=\"information\" vd=\"root\" logdesc=\"Admin login successful\" tz=\"-0700\"",
        &tokyo, ref, "2020-03-29T23:41:30.000Z", "2020-03-29T16:41:30-0700");
    ONE("fortigate", NULL,
        "date=2019-02-20 time=09:57:22 logid=\"0100032001\" type=\"event\" subtype=\"system\" "
        "level=\"information\" vd=\"root\" logdesc=\"Admin login successful\"",
        &tokyo, ref, "2019-02-20T00:57:22.000Z", "2019-02-20T09:57:22");
    ONE("fortigate", NULL,
        "date=2019-02-20 time=09:57:22 logid=\"0100032001\" type=\"event\" subtype=\"system\" "
        "level=\"information\" vd=\"root\" logdesc=\"Admin login successful\"",
        NULL, ref, "2019-02-20T09:57:22.000Z", "2019-02-20T09:57:22");

    /* Cisco ASA: the year is in the header, no zone. */
    static const char asa[] = "Oct 10 2018 12:34:56 localhost CiscoASA[999]: %ASA-4-113029: Group "
                              "VPN_USERS User example.user IP 67.43.156.14 Session could not be "
                              "established: session limit of 5 reached";
    ONE("asa", NULL, asa, NULL, ref, "2018-10-10T12:34:56.000Z", "Oct 10 2018 12:34:56");
    ONE("asa", NULL, asa, &minus5, ref, "2018-10-10T17:34:56.000Z", "Oct 10 2018 12:34:56");

    /* PAN-OS: time_generated (with its year) before the relay's header. */
    static const char panos[] =
        "Nov 30 16:09:08 1,2021/03/24 11:30:00,013101001305,GLOBALPROTECT,0,2305,2021/03/24 "
        "11:29:49,vsys1,portal-prelogin,before-login,,,,BE,,216.160.83.57,0.0.0.0,81.2.69.193,"
        "0.0.0.0,09300aaa-23-4900-8aa9-32695452aa,,5.2.4,OS,\"OS 10 Pro , 64-bit\",1,,,\"\","
        "success,,0,,0,GlobalProtect Portal,69200719497738,0x0";
    ONE("panos", NULL, panos, NULL, ref, "2021-03-24T11:29:49.000Z", "2021/03/24 11:29:49");
    ONE("panos", NULL, panos, &tokyo, ref, "2021-03-24T02:29:49.000Z", "2021/03/24 11:29:49");

    /* Ivanti Connect Secure: the RFC 5424 header carries the offset. */
    static const char pulse[] = "<174>1 2022-01-19T10:19:35+01:00 89.160.20.112 PulseSecure: - - - "
                                "2022-01-19 10:19:35 - pcs-name - [89.160.20.156] "
                                "username(REALM)[ROLE] - Primary authentication successful for "
                                "username/REALM from 89.160.20.156";
    ONE("pulse", NULL, pulse, &tokyo, ref, "2022-01-19T09:19:35.000Z", "2022-01-19T10:19:35+01:00");

    /* Citrix NetScaler: month first, no zone here. */
    static const char ns[] =
        "<135> 09/09/2024:14:13:39 PRODSY3VPX01 0-PPE-0 : default SSLVPN Message 30461998 0 : "
        "\"[Remote ip = 81.2.69.142:5019] freeing sta resource\"";
    ONE("netscaler", NULL, ns, NULL, ref, "2024-09-09T14:13:39.000Z", "09/09/2024:14:13:39");
    ONE("netscaler", NULL, ns, &minus5, ref, "2024-09-09T19:13:39.000Z", "09/09/2024:14:13:39");
    ONE("netscaler", NULL,
        "<135> 09/09/2024:14:13:39 GMT PRODSY3VPX01 0-PPE-0 : default SSLVPN Message 30461998 0 : "
        "\"x\"",
        &minus5, ref, "2024-09-09T14:13:39.000Z", "09/09/2024:14:13:39 GMT");

    /* CEF's rt (epoch ms, or MMM dd yyyy HH:mm:ss on the device clock) and
     * LEEF's devTime (here in the format MMM dd yyyy HH:mm:ss). */
    ONE("cef", NULL,
        "CEF:0|security|threatmanager|1.0|100|worm stopped|10|src=10.0.0.1 dst=2.1.2.2 "
        "rt=1708423200000 spt=1232",
        &tokyo, ref, "2024-02-20T10:00:00.000Z", "1708423200000");
    ONE("cef", NULL,
        "CEF:0|security|threatmanager|1.0|100|worm stopped|10|src=10.0.0.1 dst=2.1.2.2 "
        "rt=Feb 20 2024 10:00:00 spt=1232",
        &tokyo, ref, "2024-02-20T01:00:00.000Z", "Feb 20 2024 10:00:00");
    ONE("leef", NULL,
        "LEEF:2.0|Lancope|StealthWatch|1.0|41|^|src=10.0.1.8^dst=10.0.0.5^sev=5^devTime=Feb 20 "
        "2024 10:00:00^devTimeFormat=MMM dd yyyy HH:mm:ss",
        &minus5, ref, "2024-02-20T15:00:00.000Z", "Feb 20 2024 10:00:00");

    /* Web servers: the access log's own offset; IIS W3C is UTC. */
    ONE("combined", NULL,
        "203.0.113.7 - - [31/Dec/2023:23:30:00 -0100] \"POST /a/b.php?x=1 HTTP/1.1\" 200 512 "
        "\"-\" \"curl/8.0\"",
        &tokyo, ref, "2024-01-01T00:30:00.000Z", "2024-01-01T00:30:00Z");
    static const char *const w3c_hdr[] = {
        "#Software: Microsoft Internet Information Services 10.0", "#Version: 1.0",
        "#Date: 2025-07-19 06:00:00",
        "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip "
        "cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken",
        NULL};
    ONE("w3c", w3c_hdr,
        "2025-07-19 06:01:02 10.0.0.5 POST /_layouts/15/ToolPane.aspx DisplayMode=Edit 443 - "
        "203.0.113.9 Mozilla/5.0 /_layouts/SignOut.aspx 200 0 0 15",
        &tokyo, ref, "2025-07-19T06:01:02.000Z", "2025-07-19T06:01:02Z");

    /* Zeek: epoch seconds (TSV), ISO 8601 Z (JSON streaming logs). */
    static const char *const zeek_hdr[] = {
        "#separator \\x09",
        "#set_separator\t,",
        "#empty_field\t(empty)",
        "#unset_field\t-",
        "#path\tdns",
        "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tquery",
        "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring",
        NULL};
    ONE("zeek", zeek_hdr,
        "1521911720.865716\tCqKst53mF3det3eDV9\t10.47.1.100\t41772\t10.0.0.100\t53\tudp\t"
        "ise.wrccdc.org",
        &tokyo, ref, "2018-03-24T17:15:20.865Z", "1521911720.865716");
    ONE("zeek_json", NULL,
        "{\"_path\":\"dns\",\"_write_ts\":\"2018-03-24T17:15:20.866586Z\",\"ts\":\"2018-03-24T17:"
        "15:20.865716Z\",\"uid\":\"CqKst53mF3det3eDV9\",\"id.orig_h\":\"10.47.1.100\","
        "\"id.orig_p\":41772,\"id.resp_h\":\"10.0.0.100\",\"id.resp_p\":53,\"query\":\"x.org\"}",
        &tokyo, ref, "2018-03-24T17:15:20.865Z", "2018-03-24T17:15:20.865716Z");

    /* Suricata EVE: an offset without a colon. */
    ONE("suricata", NULL,
        "{\"timestamp\":\"2021-01-27T01:28:11.488362+0100\",\"flow_id\":1805461738637437,"
        "\"event_type\":\"alert\",\"src_ip\":\"175.16.199.1\",\"src_port\":80,\"dest_ip\":\"10.31."
        "64.240\",\"dest_port\":47592,\"proto\":\"TCP\",\"alert\":{\"signature\":\"GPL\"}}",
        &tokyo, ref, "2021-01-27T00:28:11.488Z", "2021-01-27T01:28:11.488362+0100");

    /* Microsoft 365: CreationTime without a zone is UTC by the API's
     * definition, whatever --timezone says. */
    static const char m365[] =
        "{\"CreationTime\":\"2020-02-07T16:44:07\",\"Id\":\"ec04aa09-0a43-4879-cdc8-08d7abecf327\","
        "\"Operation\":\"FileDeleted\",\"OrganizationId\":\"b86ab9d4\",\"RecordType\":6,"
        "\"UserKey\":\"i:0h.f|membership|x\",\"UserType\":0,\"Version\":1,\"Workload\":"
        "\"OneDrive\","
        "\"ClientIP\":\"67.43.156.15\",\"UserId\":\"asr@testsiem.onmicrosoft.com\"}";
    ONE("m365", NULL, m365, &tokyo, ref, "2020-02-07T16:44:07.000Z", "2020-02-07T16:44:07");

    /* Entra ID sign-in: seven fraction digits and Z. */
    ONE("entra", NULL,
        "{\"time\":\"2019-10-18T09:45:48.0729893Z\",\"resourceId\":\"/tenants/8a4de8b5/providers/"
        "Microsoft.aadiam\",\"operationName\":\"Sign-in activity\",\"operationVersion\":\"1.0\","
        "\"category\":\"SignInLogs\",\"tenantId\":\"8a4de8b5\",\"resultType\":\"50140\","
        "\"callerIpAddress\":\"81.2.69.144\",\"correlationId\":\"8a4de8b5\",\"identity\":\"Test\","
        "\"Level\":4,\"location\":\"FR\",\"properties\":{\"id\":\"8a4de8b5\",\"createdDateTime\":"
        "\"2019-10-18T09:45:48.0729893+00:00\",\"userPrincipalName\":\"test@elastic.co\","
        "\"appDisplayName\":\"Office 365\",\"ipAddress\":\"81.2.69.144\"}}",
        &tokyo, ref, "2019-10-18T09:45:48.072Z", "2019-10-18T09:45:48.0729893Z");

    yg__linedec_free(&LD);
    yg_scanner_destroy(S);
    yg_rules_release(rs);
    TAP_DONE();
}
