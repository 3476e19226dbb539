/*
 * VPN appliance line formats: Cisco ASA, Pulse/Ivanti Connect Secure,
 * Citrix NetScaler, PAN-OS.  Every line of the real samples decodes to
 * valid JSON with the right log source; field values are checked against
 * the text; the Pulse decoder agrees with Elastic's expected output on the
 * fields both have; truncated, NUL-bearing, invalid UTF-8, oversized and
 * badly quoted input fails with a column and a reason (or decodes), never
 * crashes, and leaves the output buffer as it was.
 */
#include "decode/format.h"
#include "decode/json.h"
#include "tap.h"

#define SAMPLES YG_SHARED_DIR "/logs/elastic-integrations/"

extern const struct yg_linefmt yg__fmt_asa, yg__fmt_pulse, yg__fmt_netscaler, yg__fmt_panos;

#include "fmt_fixture.h"

/* ---- Cisco ASA ----------------------------------------------------------- */

static void test_asa(struct rec *r)
{
    struct lines L;
    int ok = every_line(SAMPLES "cisco_asa/test-anyconnect-messages.log", &yg__fmt_asa, "cisco",
                        "asa", &L, r);
    CHECK_MSG(ok == 15 && L.count == 15, "asa: %d of %d lines", ok, L.count);
    if (L.count == 15) {
        dec(r, &yg__fmt_asa, L.p[0], L.len[0]);
        EQ(r, "syslog_timestamp", "Oct 10 2018 12:34:56");
        EQ(r, "syslog_host", "localhost");
        EQ(r, "syslog_app", "CiscoASA");
        EQ(r, "syslog_procid", "999");
        EQ(r, "severity", "4");
        EQ(r, "message_id", "113029");
        EQ(r, "group", "VPN_USERS");
        EQ(r, "user", "example.user");
        EQ(r, "src_ip", "67.43.156.14");
        EQ(r, "reason", "session limit of 5 reached");
        EQ(r, "message",
           "Group VPN_USERS User example.user IP 67.43.156.14 Session could not be "
           "established: session limit of 5 reached");
        dec(r, &yg__fmt_asa, L.p[1], L.len[1]);
        EQ(r, "acl", "acl");
        dec(r, &yg__fmt_asa, L.p[6], L.len[6]);
        EQ(r, "reason", "AnyConnect not enabled or invalid AnyConnect image on the ASA");
        dec(r, &yg__fmt_asa, L.p[7], L.len[7]);
        EQ(r, "parameter", "PARAM");
        dec(r, &yg__fmt_asa, L.p[8], L.len[8]);
        EQ(r, "message_id", "113037");
        EQ(r, "user", "user");
        EQ(r, "group", NULL);
        dec(r, &yg__fmt_asa, L.p[11], L.len[11]);
        EQ(r, "group", "VPN_USERS");
        EQ(r, "reason", "This connection is group locked to OTHER_VPN_USERS");
        dec(r, &yg__fmt_asa, L.p[12], L.len[12]);
        EQ(r, "syslog_pri", "166");
        EQ(r, "syslog_timestamp", "Jun 22 2022 13:29:11");
        EQ(r, "syslog_host", "single");
        EQ(r, "syslog_app", NULL);
        EQ(r, "group", "GroupPolicy_Remote-VPN");
        EQ(r, "user", "user-1");
        EQ(r, "src_ip", "81.2.69.144");
        dec(r, &yg__fmt_asa, L.p[13], L.len[13]);
        EQ(r, "user", "first.o'last@example.com");
        dec(r, &yg__fmt_asa, L.p[14], L.len[14]);
        EQ(r, "group", "GroupPolicy Remote-VPN");
        EQ(r, "severity", "6");
    }
    free(L.buf);

    /* Firewall and AAA messages of the template table. */
    static const char l1[] = "%ASA-4-106023: Deny tcp src outside:198.51.100.7/4431 "
                             "dst inside:10.0.0.5/22 by access-group \"outside_in\" [0x0, 0x0]";
    CHECK(dec(r, &yg__fmt_asa, l1, sizeof l1 - 1) == YG_OK);
    EQ(r, "protocol", "tcp");
    EQ(r, "src_interface", "outside");
    EQ(r, "src_ip", "198.51.100.7");
    EQ(r, "src_port", "4431");
    EQ(r, "dst_ip", "10.0.0.5");
    EQ(r, "dst_port", "22");
    EQ(r, "acl", "outside_in");
    EQ(r, "syslog_host", NULL);
    static const char l2[] = "%ASA-4-106023: Deny icmp src outside:198.51.100.7 dst "
                             "inside:10.0.0.5 (type 8, code 0) by access-group \"acl_out\"";
    CHECK(dec(r, &yg__fmt_asa, l2, sizeof l2 - 1) == YG_OK);
    EQ(r, "src_ip", "198.51.100.7");
    EQ(r, "src_port", NULL);
    EQ(r, "dst_ip", "10.0.0.5");
    static const char l3[] = "<166>Jan 12 2024 10:00:00 fw01 : %ASA-6-302013: Built outbound TCP "
                             "connection 4412 for outside:203.0.113.9/443 (203.0.113.9/443) to "
                             "inside:10.1.1.2/50123 (192.0.2.10/50123)";
    CHECK(dec(r, &yg__fmt_asa, l3, sizeof l3 - 1) == YG_OK);
    EQ(r, "direction", "outbound");
    EQ(r, "dst_ip", "203.0.113.9");
    EQ(r, "dst_port", "443");
    EQ(r, "src_ip", "10.1.1.2");
    EQ(r, "mapped_src_ip", "192.0.2.10");
    EQ(r, "connection_id", "4412");
    static const char l4[] = "%ASA-6-113019: Group = RA, Username = carol, IP = 198.51.100.20, "
                             "Session disconnected. Session Type: AnyConnect-Parent, Duration: "
                             "0h:10m:05s, Bytes xmt: 1234, Bytes rcv: 5678, Reason: User Requested";
    CHECK(dec(r, &yg__fmt_asa, l4, sizeof l4 - 1) == YG_OK);
    EQ(r, "user", "carol");
    EQ(r, "group", "RA");
    EQ(r, "bytes_rcv", "5678");
    EQ(r, "reason", "User Requested");
    static const char l5[] = "%ASA-6-113005: AAA user authentication Rejected : reason = "
                             "Invalid password : server = 10.0.0.9 : user = dave : user IP = "
                             "198.51.100.3";
    CHECK(dec(r, &yg__fmt_asa, l5, sizeof l5 - 1) == YG_OK);
    EQ(r, "reason", "Invalid password");
    EQ(r, "user", "dave");
    EQ(r, "src_ip", "198.51.100.3");
    EQ(r, "aaa_type", "authentication");
    /* An id without a template: the generic VPN prefix still applies. */
    static const char l6[] = "%ASA-5-713050: Group = RA, Username = erin, IP = 198.51.100.4, "
                             "Connection terminated for peer erin.";
    CHECK(dec(r, &yg__fmt_asa, l6, sizeof l6 - 1) == YG_OK);
    EQ(r, "user", "erin");
    EQ(r, "src_ip", "198.51.100.4");
    static const char l7[] = "%FTD-6-722051: Group <RA> User <frank> IP <198.51.100.5> IPv4 "
                             "Address <10.8.0.2> IPv6 address <::> assigned to session";
    CHECK(dec(r, &yg__fmt_asa, l7, sizeof l7 - 1) == YG_OK);
    EQ(r, "assigned_ip", "10.8.0.2");
    EQ(r, "user", "frank");

    /* Errors name the column. */
    static const char b1[] = "Jan 12 10:00:00 fw01 %ASA-9-113039: x";
    CHECK(dec(r, &yg__fmt_asa, b1, sizeof b1 - 1) == YG_ESYNTAX && r->e.col == 27);
    static const char b2[] = "%ASA-6-11303: x";
    CHECK(dec(r, &yg__fmt_asa, b2, sizeof b2 - 1) == YG_ESYNTAX && r->e.col == 13);
    static const char b3[] = "%ASA-6-113039 x";
    CHECK(dec(r, &yg__fmt_asa, b3, sizeof b3 - 1) == YG_ESYNTAX && r->e.col == 14);
    static const char b4[] = "just some text";
    CHECK(dec(r, &yg__fmt_asa, b4, sizeof b4 - 1) == YG_ESYNTAX && r->e.col == 1 && r->e.msg);
}

/* ---- Pulse / Ivanti Connect Secure --------------------------------------- */

/* Elastic's expected output, as per-path value lists in document order. */
#define MAXP 128
#define MAXV 16
struct paths {
    char name[MAXP][96];
    int n;
    struct yg_val v[MAXP][MAXV];
    int nv[MAXP];
};

static int32_t paths_key(void *ud, int32_t parent, const char *k, size_t kn)
{
    struct paths *P = ud;
    char buf[96];
    int len = snprintf(buf, sizeof buf, "%s%s%.*s", parent >= 0 ? P->name[parent] : "",
                       parent >= 0 ? "." : "", (int)kn, k);
    if (len < 0 || (size_t)len >= sizeof buf)
        return -1;
    for (int i = 0; i < P->n; i++)
        if (!strcmp(P->name[i], buf))
            return i;
    if (P->n >= MAXP)
        return -1;
    strcpy(P->name[P->n], buf);
    P->nv[P->n] = 0;
    return P->n++;
}

static void paths_leaf(void *ud, int32_t path, const struct yg_val *v)
{
    struct paths *P = ud;
    if (P->nv[path] < MAXV)
        P->v[path][P->nv[path]++] = *v;
}

static const struct yg_val *elastic(struct paths *P, const char *path, int i)
{
    for (int k = 0; k < P->n; k++)
        if (!strcmp(P->name[k], path))
            return i < P->nv[k] ? &P->v[k][i] : NULL;
    return NULL;
}

static void test_pulse_elastic(struct rec *r)
{
    static const char dir[] = SAMPLES "pulse_connect_secure/";
    struct lines L;
    char *js = NULL;
    size_t jn = 0;
    if (!read_lines(SAMPLES "pulse_connect_secure/test-log-syslog.log", &L))
        return;
    char path[512];
    snprintf(path, sizeof path, "%stest-log-syslog.log-expected.json", dir);
    CHECK(yg_file_read(path, 1 << 24, &js, &jn) == YG_OK);
    static struct paths P;
    memset(&P, 0, sizeof P);
    struct yg_arena a;
    yg_arena_init(&a, 4096, 0);
    struct yg_json_sink s = {&P, paths_key, paths_leaf, NULL};
    struct yg_json_err je = {0};
    size_t used = 0;
    CHECK(js && yg__json_scan(js, jn, &used, &s, &a, &je) == YG_OK);
    /* Elastic field -> decoded field, for every record. */
    static const char *const pairs[][2] = {
        {"expected.user.name", "user"},          {"expected.pulse_secure.realm", "realm"},
        {"expected.pulse_secure.role", "roles"}, {"expected.source.ip", "src"},
        {"expected.source.address", "src"},      {"expected.client.ip", "src"},
        {"expected.message", "message"},         {"expected.observer.name", "vpn"},
        {"expected.observer.ip", "syslog_host"}, {"expected.log.syslog.priority", "syslog_pri"},
    };
    int records = 0, equal = 0, compared = 0;
    for (int i = 0; i < L.count; i++) {
        const struct yg_val *orig = elastic(&P, "expected.event.original", i);
        CHECK_MSG(orig && orig->n == L.len[i] && !memcmp(orig->p, L.p[i], L.len[i]),
                  "expected.json record %d is not line %d", i + 1, i + 1);
        if (dec(r, &yg__fmt_pulse, L.p[i], L.len[i]) != YG_OK)
            continue;
        records++;
        for (size_t k = 0; k < sizeof pairs / sizeof *pairs; k++) {
            const struct yg_val *ev = elastic(&P, pairs[k][0], i);
            const struct yg_val *ov = field(r, pairs[k][1]);
            if (!ev)
                continue;
            compared++;
            bool same = ov && ov->n == ev->n && memcmp(ov->p, ev->p, ev->n) == 0;
            equal += same;
            CHECK_MSG(same, "line %d: Elastic %s = \"%.*s\", decoded %s = \"%.*s\"", i + 1,
                      pairs[k][0], (int)ev->n, ev->p, pairs[k][1], ov ? (int)ov->n : 6,
                      ov ? ov->p : "absent");
        }
    }
    CHECK_MSG(records == 5 && L.count == 5 && compared == 50,
              "pulse/elastic: %d records, %d values compared", records, compared);
    printf("# pulse/elastic: %d of %d lines, %d of %d values equal\n", records, L.count, equal,
           compared);
    yg_arena_free(&a);
    free(js);
    free(L.buf);
}

static void test_pulse(struct rec *r)
{
    static const char *const files[] = {"test-log-admin.log", "test-log-syslog.log",
                                        "test-log-system.log", "test-log-vpn.log"};
    static const int counts[] = {10, 5, 11, 25};
    struct lines L;
    char path[512];
    for (int f = 0; f < 4; f++) {
        snprintf(path, sizeof path, SAMPLES "pulse_connect_secure/%s", files[f]);
        int ok = every_line(path, &yg__fmt_pulse, "ivanti", "connect_secure", &L, r);
        CHECK_MSG(ok == counts[f] && L.count == counts[f], "%s: %d of %d lines", files[f], ok,
                  L.count);
        if (f == 0 && L.count == 10) {
            /* Relay header (RFC 3164) around the appliance's RFC 5424 one. */
            dec(r, &yg__fmt_pulse, L.p[0], L.len[0]);
            EQ(r, "relay_timestamp", "Oct 19 10:20:40");
            EQ(r, "relay_host", "pcs-node1");
            EQ(r, "syslog_timestamp", "2021-10-19T10:20:40+02:00");
            EQ(r, "syslog_host", "10.5.2.3");
            EQ(r, "syslog_app", "PulseSecure");
            EQ(r, "syslog_pri", NULL);
            EQ(r, "time", "2021-10-19 10:20:40");
            EQ(r, "vpn", "pcs-node1");
            EQ(r, "src", "89.160.20.156");
            EQ(r, "user", "System");
            EQ(r, "realm", "");
            EQ(r, "roles", "");
            EQ(r, "message",
               "Connection from IP 89.160.20.156 not authenticated yet "
               "(URL=/dana-na/auth/welcome.cgi?p=forced-off)");
            dec(r, &yg__fmt_pulse, L.p[4], L.len[4]);
            EQ(r, "user", "admin");
            EQ(r, "realm", "ADMIN_REALM");
            EQ(r, "reason", "Wrong Password");
            dec(r, &yg__fmt_pulse, L.p[6], L.len[6]);
            EQ(r, "roles", "ADMIN_ROLE");
            /* The last line is cut short in the sample; the record is whole. */
            dec(r, &yg__fmt_pulse, L.p[9], L.len[9]);
            EQ(r, "message", "Primary authentication successful for admin/Administrators fr");
        }
        if (f == 2 && L.count == 11) {
            dec(r, &yg__fmt_pulse, L.p[7], L.len[7]);
            EQ(r, "ivs", "Root");
            EQ(r, "user", "DOMAIN\\testuser");
            EQ(r, "realm", "Network Connect");
            EQ(r, "roles",
               "General Web Bookmarks, Group Drives, Pulse Secure Client, VPN Static "
               "Pool 1, VLAN Source IP 12.3");
            EQ(r, "vpn", "ive");
            EQ(r, "time", "2022-09-01 11:24:26");
            EQ(r, "syslog_host", "hostname.example.com");
            dec(r, &yg__fmt_pulse, L.p[8], L.len[8]);
            EQ(r, "user", "DOMAIN\\\\testuser");
            dec(r, &yg__fmt_pulse, L.p[9], L.len[9]);
            EQ(r, "syslog_pri", "134");
            EQ(r, "syslog_host", "pcs-node1");
            EQ(r, "session", "408245361f");
            EQ(r, "roles", "REALM_ROLES");
            CHECK(strstr(r->out.p, "ne r\xC3\xA9pond pas \xC3\xA0 la politique") != NULL);
            dec(r, &yg__fmt_pulse, L.p[6], L.len[6]);
            EQ(r, "session_id", "sid03ac4653fd74a5ac36cffb2783be3309590f3d616617a4a7");
        }
        if (f == 3 && L.count == 25) {
            dec(r, &yg__fmt_pulse, L.p[1], L.len[1]);
            EQ(r, "session_id", "sid74fa8e00ca601280318287f67dfaee7cc6da40db0be6ac75");
            EQ(r, "user_agent", "Pulse-Secure/9.1.13.11723 (Windows 10) Pulse/9.1.13.11723");
            dec(r, &yg__fmt_pulse, L.p[2], L.len[2]);
            EQ(r, "tunnel_ip", "172.22.27.209");
            EQ(r, "client_hostname", "Desktop");
            EQ(r, "session_id", "sid74fa8e00ca601280318287f67dfaee7cc6da40db0be6ac75");
            dec(r, &yg__fmt_pulse, L.p[11], L.len[11]);
            EQ(r, "user_agent", "Pulse-Secure/9.1.11.6725 (Windows 10) Pulse/9.1.11.6725");
            dec(r, &yg__fmt_pulse, L.p[13], L.len[13]);
            EQ(r, "user", "user.name@mydom.mytld");
            EQ(r, "realm", "Admin SSO");
            EQ(r, "roles", ".Administrators");
            EQ(r, "session", "64e62c265e");
            EQ(r, "vpn", "ssl-vpn01");
            dec(r, &yg__fmt_pulse, L.p[14], L.len[14]);
            EQ(r, "ivs", "Default Network");
            EQ(r, "user", "user.name");
            EQ(r, "tunnel_ip", "10.1.204.79");
            EQ(r, "client_hostname", "MY-PC");
            dec(r, &yg__fmt_pulse, L.p[19], L.len[19]);
            EQ(r, "ivs", "Default Network");
            EQ(r, "user", "System");
            EQ(r, "session", NULL);
        }
        free(L.buf);
    }

    /* The WELF body. */
    static const char w[] =
        "<134>1 2022-01-19T10:19:35+01:00 192.0.2.1 PulseSecure: - - - id=firewall "
        "time=\"2022-01-19 10:19:35\" pri=6 fw=192.0.2.1 vpn=ive user=alice realm=\"Users\" "
        "roles=\"Staff, VPN\" proto= src=198.51.100.7 dst= dstname= type=vpn op= arg=\"\" "
        "result= sent= rcvd= agent=\"\" duration= msg=\"AUT24414: Primary authentication "
        "successful for alice/Users from 198.51.100.7\"";
    CHECK(dec(r, &yg__fmt_pulse, w, sizeof w - 1) == YG_OK);
    EQ(r, "syslog_host", "192.0.2.1");
    EQ(r, "user", "alice");
    EQ(r, "realm", "Users");
    EQ(r, "roles", "Staff, VPN");
    EQ(r, "src", "198.51.100.7");
    EQ(r, "vpn", "ive");
    EQ(r, "time", "2022-01-19 10:19:35");
    EQ(r, "proto", "");
    EQ(r, "msg_id", "AUT24414");
    EQ(r, "message", "Primary authentication successful for alice/Users from 198.51.100.7");
    EQ(r, "msg", "AUT24414: Primary authentication successful for alice/Users from 198.51.100.7");
    int score;
    CHECK(best_sniff(w, sizeof w - 1, &score) == &yg__fmt_pulse);
    static const char wb[] = "id=firewall time=\"2022-01-19 10:19:35\" msg=\"AUT24414: x";
    CHECK(dec(r, &yg__fmt_pulse, wb, sizeof wb - 1) == YG_ESYNTAX && r->e.col == 44 &&
          strstr(r->e.msg, "unterminated"));
    static const char nb[] = "2022-01-19 10:19:35 - ive - [198.51.100.7] alice(Users)[Staff] x";
    CHECK(dec(r, &yg__fmt_pulse, nb, sizeof nb - 1) == YG_ESYNTAX && r->e.col == 63);
    static const char nc[] = "2022-01-19 10:19:35 - ive - 198.51.100.7 alice(Users)[Staff] - x";
    CHECK(dec(r, &yg__fmt_pulse, nc, sizeof nc - 1) == YG_ESYNTAX && r->e.col == 29);
}

/* ---- Citrix NetScaler ---------------------------------------------------- */

static void test_netscaler(struct rec *r)
{
    struct lines L;
    int ok = every_line(SAMPLES "citrix_adc/test-citrix-sslvpn-message.log", &yg__fmt_netscaler,
                        "citrix", "netscaler", &L, r);
    CHECK_MSG(ok == 28 && L.count == 28, "netscaler: %d of %d lines", ok, L.count);
    if (L.count == 28) {
        dec(r, &yg__fmt_netscaler, L.p[0], L.len[0]);
        EQ(r, "syslog_pri", "135");
        EQ(r, "timestamp", "09/09/2024:14:13:39");
        EQ(r, "timezone", NULL);
        EQ(r, "host", "PRODSY3VPX01");
        EQ(r, "ppe", "0-PPE-0");
        EQ(r, "partition", "default");
        EQ(r, "module", "SSLVPN");
        EQ(r, "event_type", "Message");
        EQ(r, "event_id", "30461998");
        EQ(r, "severity", "0");
        CHECK(field(r, "message") && !memcmp(field(r, "message")->p, "[Remote ip = ", 13));
        EQ(r, "user", NULL);

        dec(r, &yg__fmt_netscaler, L.p[1], L.len[1]);
        EQ(r, "timezone", "GMT");
        EQ(r, "ppe", "0-PPE-1");
        EQ(r, "event_type", "UDPFLOWSTAT");
        EQ(r, "context", "testhost.example.com@216.160.83.57");
        EQ(r, "context_user", "testhost.example.com");
        EQ(r, "context_ip", "216.160.83.57");
        EQ(r, "session_id", "1234");
        EQ(r, "tags", "[TECHSUPPORT]");
        EQ(r, "user", "username.example.com");
        EQ(r, "client_ip", "175.16.199.1");
        EQ(r, "nat_ip", "89.160.20.129");
        EQ(r, "vserver", "67.43.156.1:443");
        EQ(r, "vserver_ip", "67.43.156.1");
        EQ(r, "vserver_port", "443");
        EQ(r, "source_ip", "81.2.69.194");
        EQ(r, "source_port", "63685");
        EQ(r, "destination_ip", "1.128.0.1");
        EQ(r, "destination_port", "53");
        EQ(r, "start_time", "09/09/2024:20:44:03 GMT");
        EQ(r, "duration", "00:02:03");
        EQ(r, "total_bytes_send", "49");
        EQ(r, "total_bytes_recv", "168");
        EQ(r, "access", "Allowed");
        EQ(r, "groups", "TEST_GROUP");

        dec(r, &yg__fmt_netscaler, L.p[2], L.len[2]);
        EQ(r, "module", "AAATM");
        EQ(r, "event_type", "LOGOUT");
        EQ(r, "user", "username.example.com.au");
        EQ(r, "client_ip", "");
        EQ(r, "nat_ip", "Mapped Ip");
        EQ(r, "vserver_port", "0");
        EQ(r, "compression_ratio_send", "0.00%");
        EQ(r, "logout_method", "TimedOut");
        EQ(r, "groups", "N/A");

        /* Backslash-escaped quotes. */
        dec(r, &yg__fmt_netscaler, L.p[3], L.len[3]);
        EQ(r, "context_user", "flsmsp0154@hs.mydomain.com");
        EQ(r, "context_ip", "175.16.199.1");
        EQ(r, "session_id", "40982902");
        EQ(r, "nat_ip", "Mapped Ip");
        EQ(r, "start_time", "07/09/2025:18:28:20 GMT");
        EQ(r, "end_time", "07/09/2025:19:04:20 GMT");
        EQ(r, "logout_method", "TimedOut");
        EQ(r, "total_policies_allowed", "2");

        dec(r, &yg__fmt_netscaler, L.p[4], L.len[4]);
        EQ(r, "event_type", "HTTPREQUEST");
        EQ(r, "context_user", "48x0529@hs.mydomain.com");
        EQ(r, "session_id", "39526570");
        EQ(r, "hostname", "test.customdomain.com");
        EQ(r, "user", "48x0529@hs.mydomain.com");
        EQ(r, "groups", "N/A");
        EQ(r, "vserver_ip", "67.43.156.1");
        EQ(r, "vserver_port", "8085");
        EQ(r, "request_time", "07/09/2025:19:48:23 GMT");
        EQ(r, "sso", "OFF");
        EQ(r, "method", "CONNECT");
        EQ(r, "path", "test.customdomain.com:443");

        dec(r, &yg__fmt_netscaler, L.p[5], L.len[5]);
        EQ(r, "syslog_pri", "135");
        EQ(r, "timestamp", NULL);
        EQ(r, "partition", "default");
        EQ(r, "module", NULL);
        EQ(r, "event_type", "CMD_EXECUTED");
        EQ(r, "user", "nsroot");
        EQ(r, "adm_user", "NONE");
        EQ(r, "remote_ip", "175.16.199.1");
        EQ(r, "command", "show ns capacity");
        EQ(r, "status", "Success");

        dec(r, &yg__fmt_netscaler, L.p[6], L.len[6]);
        EQ(r, "event_type", "ICAEND_CONNSTAT");
        EQ(r, "tags",
           "[TECHSUPPORT][LAUNCH][TCP][CGP][ICAUUID=12345a2e-3c99-196a-9678-"
           "12345697817d]");
        EQ(r, "ica_uuid", "12345a2e-3c99-196a-9678-12345697817d");
        EQ(r, "source_ip", "81.2.69.194");
        EQ(r, "customername", "");
        EQ(r, "username", "dkesecs");
        EQ(r, "domain_name", "norr.org");
        EQ(r, "start_time", "01/16/2026:13:11:11 GMT");
        EQ(r, "connection_id", "12345678");

        dec(r, &yg__fmt_netscaler, L.p[8], L.len[8]);
        EQ(r, "hostname", "noschnaps.northyork-sports.org");
        EQ(r, "tags", "[TECHSUPPORT][ENUMERATION]");
        EQ(r, "user", "dkesecs");
        EQ(r, "request_time", "01/16/2026:14:11:55 GMT");
        EQ(r, "sso", "ON");
        EQ(r, "method", "POST");
        EQ(r, "path", "/Citrix/StoreWeb/Resources/GetStartStatus/Tk91234679NIIE1lZGl0KLWoIFByb2W-");

        dec(r, &yg__fmt_netscaler, L.p[9], L.len[9]);
        EQ(r, "event_type", "LOGOUT");
        EQ(r, "non_http_services_accessed", "0");
        EQ(r, "total_udp_flows", "0");
        EQ(r, "end_time", "01/16/2026:14:11:48GMT");

        dec(r, &yg__fmt_netscaler, L.p[10], L.len[10]);
        EQ(r, "x_forwarded_for_ip", "");
        EQ(r, "nat_ip", "Mapped Ip");

        dec(r, &yg__fmt_netscaler, L.p[12], L.len[12]);
        EQ(r, "event_type", "LOGIN");
        EQ(r, "browser_type", "Mozilla/5.0");
        EQ(r, "x_forwarded_for_ip", "175.16.199.1");

        dec(r, &yg__fmt_netscaler, L.p[14], L.len[14]);
        EQ(r, "last_contact", "01/16/2026:14:18:00 GMT");

        dec(r, &yg__fmt_netscaler, L.p[16], L.len[16]);
        EQ(r, "sslvpn_client_type", "ICA");
        EQ(r, "session_id", "2345690");

        dec(r, &yg__fmt_netscaler, L.p[18], L.len[18]);
        EQ(r, "x_forwarded_for_ip", "175.16.199.1, 81.2.69.194");

        dec(r, &yg__fmt_netscaler, L.p[22], L.len[22]);
        EQ(r, "event_type", "REMOVE_SESSION_DEBUG");
        EQ(r, "session_id", "2345696");
        EQ(r, "vserver_ip", "67.43.156.1");
        EQ(r, "errmsg", "Session removed");

        dec(r, &yg__fmt_netscaler, L.p[24], L.len[24]);
        EQ(r, "x_forwarded_for_ip", "::ffff:81.2.69.194");

        dec(r, &yg__fmt_netscaler, L.p[25], L.len[25]);
        EQ(r, "timezone", "GMT");
        EQ(r, "host", NULL);
        EQ(r, "ppe", "0-PPE-6");
        EQ(r, "module", "AAA");
        EQ(r, "message", "(6-9876543) send_authenticate_pdu: Sending Ensemble");

        dec(r, &yg__fmt_netscaler, L.p[27], L.len[27]);
        EQ(r, "browser_type",
           "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/133.42 "
           "(KHTML, like Gecko) Chrome/89.160.20.112 Safari/537.36 "
           "Edg/89.160.20.112");
        EQ(r, "groups", "ICA_Only_QG");
    }
    free(L.buf);

    static const char b1[] = "<135> 01/16/2026:14:17:00 GMT ns 0-PPE-0 : default UI "
                             "CMD_EXECUTED 1 0 :  User nsroot - Command \"show ns";
    CHECK(dec(r, &yg__fmt_netscaler, b1, sizeof b1 - 1) == YG_ESYNTAX && r->e.col == 97 &&
          strstr(r->e.msg, "unterminated"));
    static const char b2[] = "<135> 01/16/2026:14:17:00 GMT ns 0-PPE-0 default UI LOGIN 1 0 : x";
    CHECK(dec(r, &yg__fmt_netscaler, b2, sizeof b2 - 1) == YG_ESYNTAX && r->e.col == 42);
    static const char b3[] = "<135> 01/16/2026:14:17:00 GMT ns 0-PPE-0 : default UI LOGIN x 0 : y";
    CHECK(dec(r, &yg__fmt_netscaler, b3, sizeof b3 - 1) == YG_ESYNTAX && r->e.col == 65);
    static const char b4[] = "<135> 01/16/2026:14:17:00 GMT a b c 0-PPE-0 : default UI LOGIN 1 0 :";
    CHECK(dec(r, &yg__fmt_netscaler, b4, sizeof b4 - 1) == YG_ESYNTAX && r->e.col == 33);
}

/* ---- PAN-OS -------------------------------------------------------------- */

static void test_panos(struct rec *r)
{
    struct lines L;
    int ok = every_line(SAMPLES "panw_globalprotect/test-panw-panos-globalprotect-sample.log",
                        &yg__fmt_panos, "paloalto", "globalprotect", &L, r);
    CHECK_MSG(ok == 12 && L.count == 12, "panos: %d of %d lines", ok, L.count);
    if (L.count == 12) {
        dec(r, &yg__fmt_panos, L.p[0], L.len[0]);
        EQ(r, "syslog_timestamp", "Nov 30 16:09:08");
        EQ(r, "syslog_host", NULL);
        EQ(r, "future_use_1", "1");
        EQ(r, "receive_time", "2021/03/24 11:30:00");
        EQ(r, "serial", "013101001305");
        EQ(r, "type", "GLOBALPROTECT");
        EQ(r, "subtype", "0");
        EQ(r, "future_use_6", "2305");
        EQ(r, "time_generated", "2021/03/24 11:30:00");
        EQ(r, "vsys", "vsys1");
        EQ(r, "event_id", "portal-prelogin");
        EQ(r, "stage", "before-login");
        EQ(r, "auth_method", "");
        EQ(r, "src_region", "BE");
        EQ(r, "public_ip", "216.160.83.57");
        EQ(r, "private_ip", "81.2.69.193");
        EQ(r, "hostid", "09300aaa-23-4900-8aa9-32695452aa");
        EQ(r, "client_ver", "5.2.4");
        EQ(r, "client_os", "OS");
        EQ(r, "client_os_ver", "OS 10 Pro , 64-bit");
        EQ(r, "description", "");
        EQ(r, "status", "success");
        EQ(r, "portal", "GlobalProtect Portal");
        EQ(r, "seqno", "69200719497738");
        EQ(r, "actionflags", "0x0");
        EQ(r, "high_res_timestamp", NULL);

        dec(r, &yg__fmt_panos, L.p[1], L.len[1]);
        EQ(r, "srcuser", "domain\\user");
        EQ(r, "machine_name", "CP935");
        EQ(r, "serialnumber", "5J9VN53");

        dec(r, &yg__fmt_panos, L.p[2], L.len[2]);
        EQ(r, "description", "HIP report is not needed");
        EQ(r, "client_os_ver", "");

        dec(r, &yg__fmt_panos, L.p[3], L.len[3]);
        EQ(r, "tunnel_type", "IPSec");
        EQ(r, "srcuser", "pre-logon");
        EQ(r, "description", "Config name: , Client region: BE.");

        dec(r, &yg__fmt_panos, L.p[5], L.len[5]);
        EQ(r, "auth_method", "Other");
        EQ(r, "src_region", "10.0.0.0-10.255.255.255");
        EQ(r, "connect_method", "pre-logon");
        EQ(r, "portal", "GP GW intern");
        EQ(r, "actionflags", "0x8000000000000000");
        EQ(r, "high_res_timestamp", "1970-01-01T01:00:00.000+01:00");
        EQ(r, "selection_type", "");
        EQ(r, "response_time", "0");
        EQ(r, "priority", "manual only");
        EQ(r, "attempted_gateways", "");
        EQ(r, "gateway", "");
        EQ(r, "dg_hier_level_1", NULL);

        dec(r, &yg__fmt_panos, L.p[8], L.len[8]);
        EQ(r, "description", "Config name: GP Clients, Machine Certificate CN : (null)");

        dec(r, &yg__fmt_panos, L.p[9], L.len[9]);
        EQ(r, "future_use_1", "931201168");
        EQ(r, "receive_time", "2021-10-22T16:10:10.000000Z");
        EQ(r, "serial", "no-serial");
        EQ(r, "subtype", "globalprotect");
        EQ(r, "future_use_6", "9.1");
        EQ(r, "srcuser", "host\\\\user");
        EQ(r, "public_ip", "10.1.1.1");
        EQ(r, "public_ipv6", "");
        EQ(r, "private_ipv6", "fc00::1");
        EQ(r, "description", "HIP report is not needed");
        EQ(r, "actionflags", "true");

        dec(r, &yg__fmt_panos, L.p[11], L.len[11]);
        EQ(r, "public_ip", "");
        EQ(r, "public_ipv6", "fc00::1234");
        EQ(r, "private_ipv6", "fc00::abcd");
        EQ(r, "description", "Pre-tunnel latency: 35ms, Post-tunnel latency: 16ms");
    }
    free(L.buf);

    /* Other log types, an RFC 5424 header, doubled quotes, newer columns. */
    static const char t[] =
        "<14>1 2024-05-02T10:00:01+00:00 fw01 - - - - 1,2024/05/02 10:00:01,0123456789,TRAFFIC,"
        "end,2561,2024/05/02 10:00:00,10.0.0.5,203.0.113.9,192.0.2.10,203.0.113.9,allow-web,"
        "corp\\alice,,ssl,vsys1,trust,untrust,ethernet1/1,ethernet1/2,fwd,2024/05/02 10:00:00,"
        "4711,1,50123,443,40123,443,0x400019,tcp,allow,5000,1000,4000,20,2024/05/02 09:59:50,10,"
        "business,,123456789,0x0,10.0.0.0-10.255.255.255,US,,10,10,tcp-fin,0,0,0,0,,fw01,"
        "from-policy,,,0,,0,,N/A,0,0,0,0,9a3c1e2d-0000-4000-8000-000000000001,0,0,,,,,,,\"say "
        "\"\"hi\"\"\",x,y";
    CHECK(dec(r, &yg__fmt_panos, t, sizeof t - 1) == YG_OK);
    CHECK(r->ls.service && !strcmp(r->ls.service, "traffic"));
    EQ(r, "syslog_pri", "14");
    EQ(r, "syslog_host", "fw01");
    EQ(r, "src", "10.0.0.5");
    EQ(r, "dst", "203.0.113.9");
    EQ(r, "natsrc", "192.0.2.10");
    EQ(r, "srcuser", "corp\\alice");
    EQ(r, "app", "ssl");
    EQ(r, "sport", "50123");
    EQ(r, "dport", "443");
    EQ(r, "proto", "tcp");
    EQ(r, "action", "allow");
    EQ(r, "session_end_reason", "tcp-fin");
    EQ(r, "rule_uuid", "9a3c1e2d-0000-4000-8000-000000000001");
    EQ(r, "sdwan_site", "");
    EQ(r, "dynusergroup_name", "say \"hi\"");
    EQ(r, "xff_ip", "x");
    EQ(r, "src_category", "y");
    static const char u[] = "1,2024/05/02 10:00:01,0123,NEWTYPE,sub,0,2024/05/02 10:00:00,a,b";
    CHECK(dec(r, &yg__fmt_panos, u, sizeof u - 1) == YG_OK && r->ls.service == NULL);
    EQ(r, "type", "NEWTYPE");
    EQ(r, "col_8", "a");
    EQ(r, "col_9", "b");
    static const char sy[] = "1,2024/05/02 10:00:01,0123,SYSTEM,auth,0,2024/05/02 10:00:00,,"
                             "auth-fail,,0,0,general,medium,\"failed authentication for user "
                             "'admin'. From: 198.51.100.7.\",99,0x0,0,0,0,0,,fw01,0,0,"
                             "2024-05-02T10:00:00.123+00:00";
    CHECK(dec(r, &yg__fmt_panos, sy, sizeof sy - 1) == YG_OK);
    EQ(r, "event_id", "auth-fail");
    EQ(r, "severity", "medium");
    EQ(r, "description", "failed authentication for user 'admin'. From: 198.51.100.7.");
    EQ(r, "device_name", "fw01");
    EQ(r, "future_use_11", "0");
    EQ(r, "high_res_timestamp", "2024-05-02T10:00:00.123+00:00");

    /* Column tables: where documented columns land, and the first column past
     * each table. */
    static const struct {
        const char *type;
        int cols;
        const char *probe[3][2];
    } tables[] = {
        {"TRAFFIC",
         117,
         {{"66", "rule_uuid"}, {"103", "high_res_timestamp"}, {"117", "cluster_name"}}},
        {"THREAT", 79, {{"32", "misc"}, {"77", "rule_uuid"}, {"79", "dynusergroup_name"}}},
        {"SYSTEM", 26, {{"9", "event_id"}, {"15", "description"}, {"26", "high_res_timestamp"}}},
        {"GLOBALPROTECT", 50, {{"13", "srcuser"}, {"29", "status"}, {"50", "cluster_name"}}},
        {"HIPMATCH", 31, {{"8", "srcuser"}, {"13", "matchname"}, {"31", "high_res_timestamp"}}},
        {"USERID", 32, {{"10", "user"}, {"12", "event_id"}, {"32", "userbysource"}}},
        {"AUTHENTICATION", 47, {{"10", "user"}, {"33", "rule_uuid"}, {"47", "cluster_name"}}},
    };
    char line[2048], want[16], past[16];
    for (size_t k = 0; k < sizeof tables / sizeof *tables; k++) {
        int n = snprintf(line, sizeof line, "1,2024/05/02 10:00:01,0123,%s", tables[k].type);
        for (int c = 5; c <= tables[k].cols + 1; c++)
            n += snprintf(line + n, sizeof line - (size_t)n, ",v%d", c);
        CHECK(dec(r, &yg__fmt_panos, line, (size_t)n) == YG_OK);
        for (int p = 0; p < 3; p++) {
            snprintf(want, sizeof want, "v%s", tables[k].probe[p][0]);
            EQ(r, tables[k].probe[p][1], want);
        }
        snprintf(past, sizeof past, "col_%d", tables[k].cols + 1);
        snprintf(want, sizeof want, "v%d", tables[k].cols + 1);
        EQ(r, past, want);
        snprintf(past, sizeof past, "col_%d", tables[k].cols);
        EQ(r, past, NULL);
    }

    /* Broken quotes: the column of the quote, and why. */
    static const char q1[] = "1,2024/05/02 10:00:01,0123,GLOBALPROTECT,0,0,t,vsys1,\"OS 10 Pro";
    CHECK(dec(r, &yg__fmt_panos, q1, sizeof q1 - 1) == YG_ESYNTAX && r->e.col == 54 &&
          strstr(r->e.msg, "unterminated"));
    static const char q2[] = "Nov 30 16:09:08 1,2024/05/02 10:00:01,0123,THREAT,0,0,t,\"a\"b,c";
    CHECK(dec(r, &yg__fmt_panos, q2, sizeof q2 - 1) == YG_ESYNTAX && r->e.col == 60 &&
          strstr(r->e.msg, "closing quote"));
}

/* ---- hostile input -------------------------------------------------------- */

static const struct yg_linefmt *const all4[] = {&yg__fmt_asa, &yg__fmt_pulse, &yg__fmt_netscaler,
                                                &yg__fmt_panos};

static const char *const good[] = {
    "<166>Jun 22 2022 13:29:11 single : %ASA-6-113039: Group <GroupPolicy_Remote-VPN> User "
    "<user-1> IP <81.2.69.144> AnyConnect parent session started.",
    "<174>1 2022-01-19T10:19:35+01:00 89.160.20.112 PulseSecure: - - - 2022-01-19 10:19:35 - "
    "pcs-name - [89.160.20.156] username(REALM)[ROLE] - Primary authentication successful for "
    "username/REALM from 89.160.20.156",
    "<134> 01/16/2026:14:17:00 GMT ns 0-PPE-0 : default SSLVPN LOGIN 2345680 0 :  User alice - "
    "Client_ip 198.51.100.7 - Nat_ip \\\"Mapped Ip\\\" - Vserver 192.0.2.1:443 - Browser_type "
    "\"Mozilla/5.0\" - Group(s) \"Staff\"",
    "Nov 30 16:09:08 1,2021/03/24 11:30:00,013101001305,GLOBALPROTECT,0,2305,2021/03/24 "
    "11:30:00,vsys1,portal-prelogin,before-login,,,alice,BE,,216.160.83.57,0.0.0.0,81.2.69.193,"
    "0.0.0.0,09300aaa,,5.2.4,OS,\"OS 10 Pro , 64-bit\",1,,,\"\",success,,0,,0,GP Portal,69,0x0",
};

/* Every prefix of every good line: a record or an error with a column in
 * the line, the output untouched on error. */
static void test_truncated(struct rec *r)
{
    int fails = 0;
    for (int f = 0; f < 4; f++) {
        size_t n = strlen(good[f]);
        for (size_t k = 0; k <= n; k++) {
            char *p = malloc(k ? k : 1);
            memcpy(p, good[f], k);
            yg_buf_reset(&r->out);
            CHECK(yg_buf_add(&r->out, "XYZ", 3) == YG_OK);
            struct yg_logsrc ls = {0};
            struct yg_decode_err e = {0, NULL};
            yg_err err = all4[f]->decode(NULL, p, k, &r->out, &ls, &e);
            if (err == YG_OK) {
                yg_arena_reset(&r->a);
                struct yg_json_sink s = {r, rec_key, rec_leaf, NULL};
                struct yg_json_err je;
                size_t used;
                r->nk = 0;
                if (yg__json_scan(r->out.p + 3, r->out.n - 3, &used, &s, &r->a, &je) != YG_OK)
                    fails++;
            } else if (err != YG_ESYNTAX || e.col < 1 || e.col > k + 1 || !e.msg || r->out.n != 3) {
                fails++;
                fprintf(stderr, "%s prefix %zu: err %d col %zu\n", all4[f]->name, k, err, e.col);
            }
            free(p);
        }
    }
    CHECK_MSG(fails == 0, "%d truncated lines misbehaved", fails);
    /* The complete lines decode. */
    for (int f = 0; f < 4; f++)
        CHECK_MSG(dec(r, all4[f], good[f], strlen(good[f])) == YG_OK, "%s: %s", all4[f]->name,
                  r->e.msg ? r->e.msg : "");
}

static void test_hostile(struct rec *r)
{
    for (int f = 0; f < 4; f++) {
        const struct yg_linefmt *F = all4[f];
        size_t n = strlen(good[f]);
        char *p = malloc(n + 1);
        memcpy(p, good[f], n);
        p[n] = 0;

        /* A NUL byte anywhere: an error at its column. */
        for (size_t at = 0; at < n; at += 7) {
            char c = p[at];
            p[at] = 0;
            CHECK_MSG(dec(r, F, p, n) == YG_ESYNTAX && r->e.col == at + 1 &&
                          strstr(r->e.msg, "NUL"),
                      "%s: NUL at %zu: col %zu", F->name, at, r->e.col);
            p[at] = c;
        }

        /* Invalid UTF-8 is data: kept, visible as \u00XX. */
        static const char *const target[] = {"user-", "usern", "alice", "alice"};
        memcpy(strstr(p, target[f]), "\xff\xfe\xc3(\xe2", 5);
        CHECK_MSG(dec(r, F, p, n) == YG_OK && strstr(r->out.p, "\\u00ff\\u00fe\\u00c3(\\u00e2"),
                  "%s: invalid UTF-8 (%s)", F->name, r->e.msg ? r->e.msg : "ok");
        free(p);

        /* Every allocation failing in turn: an error and no output, no leak. */
        int ok_at = -1;
        for (long k = 1; k < 40 && ok_at < 0; k++) {
            struct yg_buf b;
            yg_buf_init(&b, 0);
            struct yg_logsrc ls = {0};
            struct yg_decode_err e = {0, NULL};
            yg__alloc_fail_after(k);
            yg_err err = F->decode(NULL, good[f], strlen(good[f]), &b, &ls, &e);
            yg__alloc_fail_after(0);
            if (err == YG_OK)
                ok_at = (int)k;
            else
                CHECK_MSG(err == YG_ENOMEM && b.n == 0 && e.msg, "%s: alloc %ld: err %d", F->name,
                          k, err);
            yg_buf_free(&b);
        }
        CHECK_MSG(ok_at > 0, "%s never decoded under allocation failure", F->name);
    }

    /* 64 KiB+ lines: long records decode, long garbage fails at column 1,
     * too many fields hit YG_MAX_EVENT_FIELDS. */
    size_t big = 70 * 1024;
    char *g = malloc(big + 256);
    memset(g, 'x', big);
    for (int f = 0; f < 4; f++)
        CHECK_MSG(dec(r, all4[f], g, big) == YG_ESYNTAX && r->e.col >= 1, "%s: 70 KiB garbage",
                  all4[f]->name);
    int k = snprintf(g, 64, "%%ASA-6-113039: Group G User ");
    memset(g + k, 'u', big);
    memcpy(g + k + big, " IP 1.2.3.4 x", 13);
    CHECK(dec(r, &yg__fmt_asa, g, (size_t)k + big + 13) == YG_OK && field(r, "user") &&
          field(r, "user")->n == big);
    k = snprintf(g, 64, "1,2024/05/02 10:00:01,0123,TRAFFIC,end");
    memset(g + k, ',', big);
    CHECK(dec(r, &yg__fmt_panos, g, (size_t)k + big) == YG_ELIMIT && r->e.col > 4096 &&
          strstr(r->e.msg, "YG_MAX_EVENT_FIELDS"));
    k = snprintf(g, 80, "<134> default SSLVPN LOGIN 1 0 : ");
    for (size_t i = (size_t)k; i + 6 <= big; i += 6)
        memcpy(g + i, "K v - ", 6);
    CHECK(dec(r, &yg__fmt_netscaler, g, big) == YG_ELIMIT &&
          strstr(r->e.msg, "YG_MAX_EVENT_FIELDS"));
    k = snprintf(g, 80, "id=firewall ");
    for (size_t i = (size_t)k; i + 4 <= big; i += 4)
        memcpy(g + i, "a=b ", 4);
    CHECK(dec(r, &yg__fmt_pulse, g, big) == YG_ELIMIT && strstr(r->e.msg, "YG_MAX_EVENT_FIELDS"));
    free(g);

    /* Empty lines and CRLF. */
    for (int f = 0; f < 4; f++) {
        CHECK(dec(r, all4[f], "", 0) == YG_ESYNTAX && r->e.col == 1);
        size_t n = strlen(good[f]);
        char *p = malloc(n + 1);
        memcpy(p, good[f], n);
        p[n] = '\r';
        CHECK(dec(r, all4[f], p, n + 1) == YG_OK && !memchr(r->out.p, '\r', r->out.n) &&
              !strstr(r->out.p, "\\r"));
        free(p);
    }
}

int main(void)
{
    static struct rec r;
    rec_init(&r);
    test_asa(&r);
    test_pulse(&r);
    test_pulse_elastic(&r);
    test_netscaler(&r);
    test_panos(&r);
    test_truncated(&r);
    test_hostile(&r);
    rec_free(&r);
    TAP_DONE();
}
