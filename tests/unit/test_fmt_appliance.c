/*
 * Appliance line formats: SonicWall (firewall and SMA), Sophos Firewall,
 * Check Point, Junos structured syslog, F5 BIG-IP APM, and Cisco PIX/FWSM
 * through the ASA decoder.  Every line of the samples in tests/appliances/
 * (vendor documentation and public sample logs, docs/sources.md) decodes to
 * one flat JSON object of strings with the right log source and is detected
 * as its format; field values are checked against the text, the VPN logins
 * carry user and src_ip; truncated, NUL-bearing, invalid UTF-8 and
 * allocation-starved input fails with a column and a reason (or decodes),
 * never crashes, and leaves the output buffer as it was.
 */
#include "decode/format.h"
#include "decode/json.h"
#include "tap.h"

#define SAMPLES YG_SOURCE_DIR "/tests/appliances/"

extern const struct yg_linefmt yg__fmt_asa, yg__fmt_sonicwall, yg__fmt_sophos, yg__fmt_checkpoint,
    yg__fmt_junos, yg__fmt_f5apm;

#include "fmt_fixture.h"

/* ---- per vendor ----------------------------------------------------------- */

static void test_samples(struct rec *r)
{
    static struct lines L;
    CHECK(every_line(SAMPLES "sonicwall.log", &yg__fmt_sonicwall, "sonicwall", NULL, &L, r) == 15);
    free(L.buf);
    CHECK(every_line(SAMPLES "sophos.log", &yg__fmt_sophos, "sophos", "firewall", &L, r) == 4);
    /* SFOS 19 behind a relay's header: the device's timestamp comes first. */
    CHECK(r->out.p && strstr(r->out.p, "\"timestamp\":\"2021-11-15T20:52:23-0600\"") &&
          strstr(r->out.p, "\"timestamp\"") < strstr(r->out.p, "\"syslog_timestamp\""));
    free(L.buf);
    CHECK(every_line(SAMPLES "checkpoint.log", &yg__fmt_checkpoint, "checkpoint", "firewall", &L,
                     r) == 6);
    free(L.buf);
    CHECK(every_line(SAMPLES "junos.log", &yg__fmt_junos, "juniper", "junos", &L, r) == 6);
    free(L.buf);
    CHECK(every_line(SAMPLES "f5apm.log", &yg__fmt_f5apm, "f5", "apm", &L, r) == 5);
    free(L.buf);
    CHECK(every_line(SAMPLES "pix.log", &yg__fmt_asa, "cisco", "asa", &L, r) == 10);
    free(L.buf);
}

#define DEC(f, s) dec(r, f, s, strlen(s))

static void test_sonicwall(struct rec *r)
{
    const char *fw = "10.0.0.1  id=firewall sn=12345678 time=\"2022-03-09 18:57:05 UTC\" "
                     "fw=10.0.0.2 pri=1 c=32 gcat=3 m=608 src=67.43.156.15:8:X1 "
                     "dst=10.0.0.3:1850:X0 msg=\"IPS Detection Alert: ICMP Echo Reply, SID: 316, "
                     "Priority: Low\" msg=\"IPS Detection Alert: ICMP Echo Reply\" sid=316 "
                     "appName='General DNS' usr=\"Unknown (SSO failed)\"";
    CHECK(DEC(&yg__fmt_sonicwall, fw) == YG_OK);
    EQ(r, "syslog_header", "10.0.0.1");
    EQ(r, "msg", "IPS Detection Alert: ICMP Echo Reply, SID: 316, Priority: Low");
    EQ(r, "src_ip", "67.43.156.15");
    EQ(r, "src_port", "8");
    EQ(r, "src_interface", "X1");
    EQ(r, "dst_ip", "10.0.0.3");
    EQ(r, "appName", "General DNS");
    EQ(r, "user", "Unknown (SSO failed)");
    EQ(r, "timestamp", "2022-03-09 18:57:05Z");
    CHECK(r->ls.service && !strcmp(r->ls.service, "firewall"));
    /* IPv6 in srcV6: src holds `:port:iface:host`; a bare IPv6 is the ip. */
    CHECK(DEC(&yg__fmt_sonicwall, "id=firewall sn=1 src=:28503:WAN:SOURCEHOST "
                                  "dst=2a02:cf40:add:4002::1") == YG_OK);
    EQ(r, "src_ip", NULL);
    EQ(r, "src_port", "28503");
    EQ(r, "src_host", "SOURCEHOST");
    EQ(r, "dst_ip", "2a02:cf40:add:4002::1");
    /* SMA: `user` is SonicWall's own and kept; service sslvpn. */
    CHECK(DEC(&yg__fmt_sonicwall,
              "local6.notice SSLVPN: id=sslvpn sn=0006B119CE3C time=\"2010-10-18 01:40:26\" "
              "src=78.165.130.251 user=\"admin\" usr=\"other\" msg=\"User login failed\"") ==
          YG_OK);
    EQ(r, "user", "admin");
    EQ(r, "src_ip", "78.165.130.251");
    CHECK(r->ls.service && !strcmp(r->ls.service, "sslvpn"));
    /* Not SonicWall: Pulse's WELF starts with id=firewall but has no sn=. */
    CHECK(yg__fmt_sonicwall.sniff("id=firewall time=\"x\" vpn=ive", 28) == 0);
    CHECK(DEC(&yg__fmt_sonicwall, "id=firewall time=1") == YG_ESYNTAX && r->e.col == 1);
    CHECK(DEC(&yg__fmt_sonicwall, "id=firewall sn=1 msg=\"open") == YG_ESYNTAX && r->e.col == 22 &&
          strstr(r->e.msg, "unterminated"));
}

static void test_sophos(struct rec *r)
{
    const char *l = "<30>device=\"SFW\" date=2017-03-15 time=17:23:00 log_id=063110617710 "
                    "log_type=\"Event\" log_component=\"SSL VPN Authentication\" "
                    "status=\"Failed\" user_name=\"gaurav\" src_ip=10.198.233.49 src_mac=";
    CHECK(yg__fmt_sophos.sniff(l, strlen(l)) >= 90);
    CHECK(DEC(&yg__fmt_sophos, l) == YG_OK);
    EQ(r, "log_component", "SSL VPN Authentication");
    EQ(r, "status", "Failed");
    EQ(r, "user", "gaurav");
    EQ(r, "src_ip", "10.198.233.49");
    EQ(r, "src_mac", "");
    CHECK(DEC(&yg__fmt_sophos, "device=\"SFW\" date=2017-03-15") == YG_ESYNTAX &&
          strstr(r->e.msg, "log_id"));
    CHECK(DEC(&yg__fmt_sophos, "log_id=1 x") == YG_ESYNTAX && r->e.col == 10);
}

static void test_checkpoint(struct rec *r)
{
    const char *l = "<134>1 2023-12-27T09:39:55Z CP-Manager CheckPoint 10547 - [action:\"Failed "
                    "Log In\"; additional_info:\"Peer is: \"; administrator:\"i.biachi\"; "
                    "client_ip:\"172.28.11.213\"; user:\"Doe, John (jdoe)\";]";
    CHECK(DEC(&yg__fmt_checkpoint, l) == YG_OK);
    EQ(r, "syslog_timestamp", "2023-12-27T09:39:55Z");
    EQ(r, "syslog_host", "CP-Manager");
    EQ(r, "action", "Failed Log In");
    EQ(r, "additional_info", "Peer is: ");
    EQ(r, "user", "Doe, John (jdoe)");
    EQ(r, "src_ip", "172.28.11.213");
    CHECK(DEC(&yg__fmt_checkpoint, "x CheckPoint - [src:\"1.2.3.4\"; administrator:\"a\"]") ==
          YG_OK);
    EQ(r, "src_ip", "1.2.3.4");
    EQ(r, "user", "a");
    CHECK(DEC(&yg__fmt_checkpoint, "CheckPoint [a:\"b\"; c") == YG_ESYNTAX &&
          strstr(r->e.msg, "key:"));
    CHECK(DEC(&yg__fmt_checkpoint, "CheckPoint [a:\"b\"") == YG_ESYNTAX && r->e.col == 18 &&
          strstr(r->e.msg, "`]`"));
}

static void test_junos(struct rec *r)
{
    const char *l =
        "<30>1 2023-05-04T15:27:26.461+10:00 srx1 kmd 13862 KMD_PM_SA_ESTABLISHED "
        "[junos@2636.1.1.1.2.26 local-initiator=\"ipv4_subnet(any:0,[0..7\\]=1.2.3.4/29)\" "
        "q=\"a\\\"b\\\\c\"] Local gateway: 89.160.20.115";
    CHECK(DEC(&yg__fmt_junos, l) == YG_OK);
    EQ(r, "tag", "KMD_PM_SA_ESTABLISHED");
    EQ(r, "syslog_app", "kmd");
    EQ(r, "local-initiator", "ipv4_subnet(any:0,[0..7]=1.2.3.4/29)");
    EQ(r, "q", "a\"b\\c");
    EQ(r, "message", "Local gateway: 89.160.20.115");
    const char *v = "<30>1 2026-05-04T10:00:00Z srx1 authd 2101 DYNAMIC_VPN_AUTH_FAIL "
                    "[junos@2636.1.1.1.2.26 username=\"alice\" source-address=\"203.0.113.5\"]";
    CHECK(DEC(&yg__fmt_junos, v) == YG_OK);
    EQ(r, "user", "alice");
    EQ(r, "src_ip", "203.0.113.5");
    /* Plain RFC 5424 without a junos@ element is left to the syslog decoder. */
    CHECK(yg__fmt_junos.sniff("<30>1 2026-05-04T10:00:00Z h app - - - text", 43) == 0);
    CHECK(DEC(&yg__fmt_junos, "Oct 11 22:14:15 host su: text") == YG_ESYNTAX && r->e.col == 1);
}

static void test_f5(struct rec *r)
{
    const char *lines[] = {
        "Oct 21 09:14:02 bigip1 notice apmd[8371]: 01490500:5: /Common/vpn_ap:Common:5a3b2c1d: "
        "New session from client IP 203.0.113.9 (ST=/CC=/C=) at VIP 192.0.2.10 Listener "
        "/Common/vs_vpn (Reputation=Unknown)",
        "Oct 21 09:14:05 bigip1 notice apmd[8371]: 01490010:5: /Common/vpn_ap:Common:5a3b2c1d: "
        "Username 'alice'",
        "Oct 21 09:14:06 bigip1 notice apmd[8371]: 01490005:5: /Common/vpn_ap:Common:5a3b2c1d: "
        "Following rule 'fallback' from item 'AD Auth' to ending 'Deny'",
        "Oct 21 09:14:07 bigip1 notice apmd[8371]: 01490102:5: /Common/vpn_ap:Common:77777777: "
        "Access policy result: Network_Access",
    };
    void *st = yg__fmt_f5apm.state_new();
    CHECK(st != NULL);
    struct yg_logsrc ls;
    struct yg_decode_err e;
    for (int k = 0; k < 4; k++) {
        yg_buf_reset(&r->out);
        CHECK(yg__fmt_f5apm.decode(st, lines[k], strlen(lines[k]), &r->out, &ls, &e) == YG_OK);
        if (k == 0)
            CHECK(strstr(r->out.p, "\"client_ip\":\"203.0.113.9\"") &&
                  strstr(r->out.p, "\"vip\":\"192.0.2.10\"") &&
                  strstr(r->out.p, "\"access_profile\":\"/Common/vpn_ap\""));
        if (k == 2)
            CHECK_MSG(strstr(r->out.p, "\"ending\":\"Deny\"") &&
                          strstr(r->out.p, "\"user\":\"alice\"") &&
                          strstr(r->out.p, "\"src_ip\":\"203.0.113.9\"") &&
                          strstr(r->out.p, "\"session_id\":\"5a3b2c1d\""),
                      "%s", r->out.p);
        if (k == 3) /* another session: nothing joined */
            CHECK_MSG(strstr(r->out.p, "\"result\":\"Network_Access\"") &&
                          !strstr(r->out.p, "\"user\""),
                      "%s", r->out.p);
    }
    yg__fmt_f5apm.state_free(st);
    /* Without state (one line alone) the line still decodes. */
    CHECK(DEC(&yg__fmt_f5apm, lines[2]) == YG_OK);
    EQ(r, "item", "AD Auth");
    EQ(r, "user", NULL);
    CHECK(yg__fmt_f5apm.sniff(lines[1], strlen(lines[1])) >= 90);
    CHECK(DEC(&yg__fmt_f5apm, "Oct 21 09:14:05 bigip1 notice apmd[8371]: hello") == YG_ESYNTAX);
}

static void test_pix(struct rec *r)
{
    CHECK(DEC(&yg__fmt_asa, "%PIX-6-109006: Authentication failed for user 'bob' from "
                            "10.1.1.11/1078 to 198.51.100.20/80 on interface inside") == YG_OK);
    EQ(r, "message_id", "109006");
    EQ(r, "user", "bob");
    EQ(r, "src_ip", "10.1.1.11");
    EQ(r, "interface", "inside");
    CHECK(DEC(&yg__fmt_asa, "<166>Mar 12 2008 10:03:04 fwsm-a : %FWSM-6-113005: AAA user "
                            "authentication Rejected : reason = "
                            "AAA failure : server = 10.0.0.8 : user = dave : user IP = "
                            "203.0.113.67") == YG_OK);
    EQ(r, "severity", "6");
    EQ(r, "user", "dave");
    EQ(r, "src_ip", "203.0.113.67");
    CHECK(DEC(&yg__fmt_asa, "%FWSM-9-113005: x") == YG_ESYNTAX && r->e.col == 7);
    CHECK(DEC(&yg__fmt_asa, "%PIXY-6-113005: x") == YG_ESYNTAX);
}

/* ---- robustness ----------------------------------------------------------- */

static const struct yg_linefmt *const fmts[] = {&yg__fmt_sonicwall,  &yg__fmt_sophos,
                                                &yg__fmt_checkpoint, &yg__fmt_junos,
                                                &yg__fmt_f5apm,      &yg__fmt_asa};
static const char *const good[] = {
    "<134>  id=firewall sn=xx time=\"2022-05-06 16:10:06\" src=192.168.24.228:56783:X4-V1032 "
    "usr=\"TheUser\" msg=\"Connection Closed\" appName='General DNS'",
    "<30>device=\"SFW\" date=2017-03-15 time=17:23:00 log_id=063110617710 log_type=\"Event\" "
    "log_component=\"SSL VPN Authentication\" status=\"Failed\" user_name=\"gaurav\" src_mac=",
    "<134>1 2023-12-27T09:39:55Z CP-Manager CheckPoint 10547 - [action:\"Accept\"; "
    "administrator:\"gaurav\"; client_ip:\"172.28.11.213\"]",
    "<37>1 2023-05-09T15:00:06.756+10:00 fw01 sshd - SSHD_LOGIN_FAILED [junos@2636.1.1.1.2.26 "
    "username=\"gaurav\" source-address=\"175.16.199.0\"] tail",
    "Oct 21 09:14:05 bigip1 notice apmd[8371]: 01490010:5: /Common/vpn_ap:Common:5a3b2c1d: "
    "Username 'gaurav'",
    "Mar 12 2008 10:02:06 pix01 : %PIX-6-109006: Authentication failed for user 'gaurav' from "
    "10.1.1.11/1078 to 198.51.100.20/80 on interface inside",
};
#define NF (sizeof fmts / sizeof *fmts)

static void test_robust(struct rec *r)
{
    int fails = 0;
    for (size_t f = 0; f < NF; f++) {
        size_t n = strlen(good[f]);
        CHECK_MSG(dec(r, fmts[f], good[f], n) == YG_OK, "%s: %s", fmts[f]->name,
                  r->e.msg ? r->e.msg : "");
        int score;
        CHECK_MSG(best_sniff(good[f], n, &score) == fmts[f], "%s not detected", fmts[f]->name);
        /* Every prefix: a record, or an error within the line that leaves
         * the buffer as it was. */
        for (size_t k = 0; k <= n; k++) {
            char *p = malloc(k ? k : 1);
            memcpy(p, good[f], k);
            yg_buf_reset(&r->out);
            CHECK(yg_buf_add(&r->out, "XYZ", 3) == YG_OK);
            struct yg_logsrc ls = {0};
            struct yg_decode_err e = {0, NULL};
            void *st = fmts[f]->state_new ? fmts[f]->state_new() : NULL;
            yg_err err = fmts[f]->decode(st, p, k, &r->out, &ls, &e);
            if (fmts[f]->state_free)
                fmts[f]->state_free(st);
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
                fprintf(stderr, "%s prefix %zu: err %d col %zu\n", fmts[f]->name, k, err, e.col);
            }
            free(p);
        }
        /* A NUL byte: an error at its column. */
        char *p = malloc(n + 1);
        memcpy(p, good[f], n);
        p[n] = 0; /* for strstr below; the decoders get n bytes */
        for (size_t at = 0; at < n; at += 5) {
            char c = p[at];
            p[at] = 0;
            yg_err err = dec(r, fmts[f], p, n);
            CHECK_MSG(err == YG_ESYNTAX && r->e.col == at + 1 && strstr(r->e.msg, "NUL"),
                      "%s: NUL at %zu: err %d col %zu", fmts[f]->name, at, err, r->e.col);
            p[at] = c;
        }
        /* Invalid UTF-8 is data: kept, visible as \u00XX. */
        memcpy(strstr(p, "gaurav") ? strstr(p, "gaurav") : strstr(p, "TheUser"), "\xff\xfe", 2);
        CHECK_MSG(dec(r, fmts[f], p, n) == YG_OK && strstr(r->out.p, "\\u00ff\\u00fe"),
                  "%s: invalid UTF-8", fmts[f]->name);
        free(p);
        /* Every allocation failing in turn: an error and no output. */
        int ok_at = -1;
        for (long k = 1; k < 40 && ok_at < 0; k++) {
            struct yg_buf b;
            yg_buf_init(&b, 0);
            struct yg_logsrc ls = {0};
            struct yg_decode_err e = {0, NULL};
            yg__alloc_fail_after(k);
            yg_err err = fmts[f]->decode(NULL, good[f], n, &b, &ls, &e);
            yg__alloc_fail_after(0);
            if (err == YG_OK)
                ok_at = (int)k;
            else
                CHECK_MSG(err == YG_ENOMEM && b.n == 0 && e.msg, "%s: alloc %ld: err %d",
                          fmts[f]->name, k, err);
            yg_buf_free(&b);
        }
        CHECK_MSG(ok_at > 0, "%s never decoded under allocation failure", fmts[f]->name);
        /* Empty line. */
        CHECK(dec(r, fmts[f], "", 0) == YG_ESYNTAX && r->e.col == 1);
    }
    CHECK_MSG(fails == 0, "%d truncated lines misbehaved", fails);
    /* More distinct keys than a record may have: YG_ELIMIT with a column. */
    size_t big = 600 * 12;
    char *g = malloc(big + 64);
    int k = snprintf(g, 64, "id=x sn=1");
    size_t at = (size_t)k;
    for (int i = 0; i < 600; i++)
        at += (size_t)snprintf(g + at, 16, " k%d=v", i);
    CHECK(dec(r, &yg__fmt_sonicwall, g, at) == YG_ELIMIT && r->e.col > 1 &&
          strstr(r->e.msg, "512"));
    free(g);
}

int main(void)
{
    static struct rec r;
    rec_init(&r);
    test_samples(&r);
    test_sonicwall(&r);
    test_sophos(&r);
    test_checkpoint(&r);
    test_junos(&r);
    test_f5(&r);
    test_pix(&r);
    test_robust(&r);
    rec_free(&r);
    TAP_DONE();
}
