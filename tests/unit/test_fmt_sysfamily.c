/*
 * Syslog-family line formats: the syslog splitter and the syslog,
 * FortiGate, CEF and LEEF decoders.
 *
 * Every line of the real samples in ../shared is decoded and its fields
 * are compared with the source text; hand-made lines come from the RFCs
 * and the vendors' specifications.  Bad input (every prefix of a record,
 * NUL bytes, invalid UTF-8, lines over 64 KiB, unbalanced quotes, random
 * bytes) must give an error with a column and a reason, never a crash.
 */
#include <dirent.h>
#include <sys/stat.h>

#include "decode/format.h"
#include "decode/json.h"
#include "tap.h"

extern const struct yg_linefmt yg__fmt_syslog, yg__fmt_fortigate, yg__fmt_cef, yg__fmt_leef;

#define MAXF 2048

/* One decoded record, re-read with the JSON scanner. */
struct doc {
    const struct yg_linefmt *f;
    void *st;
    yg_err err;
    struct yg_logsrc ls;
    struct yg_decode_err e;
    struct yg_buf out;
    struct yg_arena a;
    bool json_ok, flat_strings;
    int n;
    struct yg_str k[MAXF], v[MAXF];
};

static int32_t on_key(void *ud, int32_t parent, const char *k, size_t kn)
{
    struct doc *d = ud;
    if (parent != -1 || d->n >= MAXF) {
        d->flat_strings = false;
        return -1;
    }
    d->k[d->n] = (struct yg_str){k, kn};
    d->v[d->n] = (struct yg_str){NULL, 0};
    return d->n++;
}

static void on_leaf(void *ud, int32_t path, const struct yg_val *v)
{
    struct doc *d = ud;
    if (v->type != YG_VT_STR)
        d->flat_strings = false;
    d->v[path] = (struct yg_str){v->p, v->n};
}

static struct doc *doc_new(const struct yg_linefmt *f)
{
    struct doc *d = calloc(1, sizeof *d);
    d->f = f;
    d->st = f->state_new ? f->state_new() : NULL;
    yg_buf_init(&d->out, 0);
    yg_arena_init(&d->a, 4096, 0);
    return d;
}

static void doc_free(struct doc *d)
{
    if (d->f->state_free && d->st)
        d->f->state_free(d->st);
    yg_buf_free(&d->out);
    yg_arena_free(&d->a);
    free(d);
}

static yg_err dec(struct doc *d, const char *line, size_t n)
{
    yg_buf_reset(&d->out);
    yg_arena_reset(&d->a);
    d->n = 0;
    d->json_ok = false;
    d->flat_strings = true;
    memset(&d->ls, 0, sizeof d->ls);
    d->e = (struct yg_decode_err){0, NULL};
    d->err = d->f->decode(d->st, line, n, &d->out, &d->ls, &d->e);
    if (d->err == YG_OK) {
        struct yg_json_sink s = {d, on_key, on_leaf, NULL};
        struct yg_json_err je;
        size_t used = 0;
        d->json_ok = d->out.n && d->out.p[0] == '{' &&
                     yg__json_scan(d->out.p, d->out.n, &used, &s, &d->a, &je) == YG_OK &&
                     used == d->out.n;
    }
    return d->err;
}

static yg_err decs(struct doc *d, const char *line)
{
    return dec(d, line, strlen(line));
}

static const struct yg_str *get(const struct doc *d, const char *k)
{
    size_t kn = strlen(k);
    for (int i = 0; i < d->n; i++)
        if (d->k[i].n == kn && memcmp(d->k[i].p, k, kn) == 0)
            return &d->v[i];
    return NULL;
}

static bool has_val(const struct doc *d, const char *k, const char *want, size_t wn)
{
    const struct yg_str *v = get(d, k);
    return v && v->n == wn && memcmp(v->p, want, wn) == 0;
}

/* The value for diagnostics. */
static const char *shown(const struct doc *d, const char *k)
{
    static char buf[256];
    const struct yg_str *v = get(d, k);
    if (!v)
        return "(absent)";
    snprintf(buf, sizeof buf, "\"%.*s\"", (int)(v->n > 200 ? 200 : v->n), v->p);
    return buf;
}

#define CHECK_FIELD(d, k, want)                                                                    \
    CHECK_MSG(has_val(d, k, want, strlen(want)), "%s: %s is %s, want \"%s\"", (d)->f->name, k,     \
              shown(d, k), want)

#define CHECK_OK(d, line)                                                                          \
    CHECK_MSG(decs(d, line) == YG_OK && (d)->json_ok && (d)->flat_strings,                         \
              "%s: %s -> err %d (col %zu %s)", (d)->f->name, line, (d)->err, (d)->e.col,           \
              (d)->e.msg ? (d)->e.msg : "")

static bool streq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

/* Call fn for every line of a shared sample (the newline removed, a CR
 * kept: decoders must cope with CRLF files read without conversion). */
static int for_lines(const char *rel, void (*fn)(const char *line, size_t n, int no, void *ud),
                     void *ud)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", YG_SHARED_DIR, rel);
    char *buf = NULL;
    size_t n = 0;
    if (yg_file_read(path, 64u << 20, &buf, &n) != YG_OK) {
        CHECK_MSG(0, "cannot read %s", path);
        return 0;
    }
    int no = 0;
    size_t i = 0;
    while (i < n) {
        const char *nl = memchr(buf + i, '\n', n - i);
        size_t e = nl ? (size_t)(nl - buf) : n;
        fn(buf + i, e - i, ++no, ud);
        i = e + 1;
    }
    yg_free(buf);
    return no;
}

/* ---- the splitter --------------------------------------------------- */

static bool sv(struct yg_str s, const char *want)
{
    return s.n == strlen(want) && memcmp(s.p, want, s.n) == 0;
}

static void test_split(void)
{
    struct yg_syslog s;
    /* RFC 3164 section 5.4, examples 1 and 2. */
    const char *l = "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8";
    CHECK(yg__syslog_split(l, strlen(l), &s));
    CHECK(s.pri == 34 && s.version == 0 && sv(s.ts, "Oct 11 22:14:15") && sv(s.host, "mymachine"));
    CHECK(sv(s.app, "su") && sv(s.procid, "") &&
          sv(s.msg, "'su root' failed for lonvick on /dev/pts/8"));
    l = "<13>Feb  5 17:32:18 10.0.0.99 Use the BFG!";
    CHECK(yg__syslog_split(l, strlen(l), &s));
    CHECK(sv(s.ts, "Feb  5 17:32:18") && sv(s.host, "10.0.0.99") && sv(s.app, "") &&
          sv(s.msg, "Use the BFG!"));

    /* RFC 5424 section 6.5, examples 1 to 4 (BOM before the message). */
    l = "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \xEF\xBB\xBF"
        "'su root' failed for lonvick on /dev/pts/8";
    CHECK(yg__syslog_split(l, strlen(l), &s));
    CHECK(s.pri == 34 && s.version == 1 && sv(s.ts, "2003-10-11T22:14:15.003Z"));
    CHECK(sv(s.host, "mymachine.example.com") && sv(s.app, "su") && sv(s.procid, "") &&
          sv(s.msgid, "ID47") && sv(s.sd, ""));
    CHECK(sv(s.msg, "'su root' failed for lonvick on /dev/pts/8"));
    l = "<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make "
        "the do-nuts.";
    CHECK(yg__syslog_split(l, strlen(l), &s));
    CHECK(s.pri == 165 && sv(s.ts, "2003-08-24T05:14:15.000003-07:00") && sv(s.host, "192.0.2.1"));
    CHECK(sv(s.app, "myproc") && sv(s.procid, "8710") && sv(s.msgid, "") &&
          sv(s.msg, "%% It's time to make the do-nuts."));
    l = "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 "
        "iut=\"3\" eventSource=\"Application\" eventID=\"1011\"] \xEF\xBB\xBF"
        "An application event log entry...";
    CHECK(yg__syslog_split(l, strlen(l), &s));
    CHECK(sv(s.sd, "[exampleSDID@32473 iut=\"3\" eventSource=\"Application\" eventID=\"1011\"]"));
    CHECK(sv(s.msg, "An application event log entry..."));
    l = "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 "
        "iut=\"3\" eventSource=\"Application\" eventID=\"1011\"][examplePriority@32473 "
        "class=\"high\"]";
    CHECK(yg__syslog_split(l, strlen(l), &s));
    CHECK(sv(s.sd, "[exampleSDID@32473 iut=\"3\" eventSource=\"Application\" "
                   "eventID=\"1011\"][examplePriority@32473 class=\"high\"]") &&
          sv(s.msg, ""));

    /* rsyslog's file format: ISO timestamp, no PRI. */
    l = "2022-11-14T06:54:03.123456+01:00 web01 sshd[812]: Accepted publickey for deploy";
    CHECK(yg__syslog_split(l, strlen(l), &s));
    CHECK(s.pri == -1 && sv(s.ts, "2022-11-14T06:54:03.123456+01:00") && sv(s.host, "web01") &&
          sv(s.app, "sshd") && sv(s.procid, "812") && sv(s.msg, "Accepted publickey for deploy"));
    /* Local sender, no host; a device that puts the year in (Cisco). */
    l = "Jan  1 00:00:00 sshd[1]: hi";
    CHECK(yg__syslog_split(l, strlen(l), &s) && sv(s.host, "") && sv(s.app, "sshd") &&
          sv(s.msg, "hi"));
    l = "Oct 10 2018 12:34:56 localhost CiscoASA[999]: %ASA-4-113029: Group";
    CHECK(yg__syslog_split(l, strlen(l), &s) && sv(s.ts, "Oct 10 2018 12:34:56") &&
          sv(s.host, "localhost") && sv(s.app, "CiscoASA") && sv(s.msg, "%ASA-4-113029: Group"));
    /* PAN-OS: the CSV record right after the timestamp is not a host. */
    l = "Nov 30 16:09:08 1,2021/03/24 11:30:00,013101001305,GLOBALPROTECT";
    CHECK(yg__syslog_split(l, strlen(l), &s) && sv(s.host, "") &&
          sv(s.msg, "1,2021/03/24 11:30:00,013101001305,GLOBALPROTECT"));
    /* A PRI without a timestamp: all of the rest is the message. */
    l = "<189>date=2019-05-10 time=11:37:47 logid=\"0000000013\"";
    CHECK(yg__syslog_split(l, strlen(l), &s) && s.pri == 189 &&
          sv(s.msg, "date=2019-05-10 time=11:37:47 logid=\"0000000013\""));
    /* No header: false, and the whole line (without CR) is the message. */
    l = "date=2019-05-10 time=11:37:47\r";
    CHECK(!yg__syslog_split(l, strlen(l), &s) && s.pri == -1 &&
          sv(s.msg, "date=2019-05-10 time=11:37:47"));
    const char *bad[] = {"<",
                         "<1",
                         "<1234>x",
                         "<192>x",
                         "<a>",
                         "<13>1 ",
                         "<13>1 - - - - -",
                         "<13>1 - - - - - [",
                         "<13>1 - - - - - [a b=\"c]",
                         "<13>1 x - - - - -"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        CHECK_MSG(!yg__syslog_split(bad[i], strlen(bad[i]), &s) && sv(s.msg, bad[i]), "%s", bad[i]);
}

/* ---- generic syslog ----------------------------------------------------- */

static void test_syslog_examples(void)
{
    struct doc *d = doc_new(&yg__fmt_syslog);
    CHECK_OK(d, "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 "
                "[exampleSDID@32473 iut=\"3\" eventSource=\"Application\" eventID=\"1011\"]"
                "[examplePriority@32473 class=\"high\"] An application event log entry...");
    CHECK_FIELD(d, "pri", "165");
    CHECK_FIELD(d, "facility", "local4");
    CHECK_FIELD(d, "severity", "notice");
    CHECK_FIELD(d, "version", "1");
    CHECK_FIELD(d, "timestamp", "2003-10-11T22:14:15.003Z");
    CHECK_FIELD(d, "hostname", "mymachine.example.com");
    CHECK_FIELD(d, "appname", "evntslog");
    CHECK_FIELD(d, "msgid", "ID47");
    CHECK(!get(d, "procid"));
    CHECK_FIELD(d, "sd.exampleSDID@32473.iut", "3");
    CHECK_FIELD(d, "sd.exampleSDID@32473.eventSource", "Application");
    CHECK_FIELD(d, "sd.exampleSDID@32473.eventID", "1011");
    CHECK_FIELD(d, "sd.examplePriority@32473.class", "high");
    CHECK_FIELD(d, "message", "An application event log entry...");
    CHECK(streq(d->ls.product, "linux") && streq(d->ls.service, "syslog") && !d->ls.category);

    /* RFC 5424 6.3.3: `\"`, `\\` and `\]` are escapes, other backslashes stay. */
    CHECK_OK(d, "<14>1 2024-01-01T00:00:00Z h a - - [x@1 q=\"a\\\"b\\\\c\\]d\\e\" e=\"\"] m");
    CHECK_FIELD(d, "sd.x@1.q", "a\"b\\c]d\\e");
    CHECK_FIELD(d, "sd.x@1.e", "");

    /* sudo: the pairs become fields; SigmaHQ's CVE-2019-14287 rule tests USER. */
    CHECK_OK(d, "Dec 21 16:42:19 testserver sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; "
                "USER=#-1 ; COMMAND=/bin/sh -c id ; whoami");
    CHECK(streq(d->ls.product, "linux") && streq(d->ls.service, "sudo"));
    CHECK_FIELD(d, "USER", "#-1");
    CHECK_FIELD(d, "TTY", "pts/0");
    CHECK_FIELD(d, "PWD", "/home/alice");
    CHECK_FIELD(d, "COMMAND", "/bin/sh -c id ; whoami");
    CHECK_FIELD(d, "message",
                "alice : TTY=pts/0 ; PWD=/home/alice ; USER=#-1 ; COMMAND=/bin/sh "
                "-c id ; whoami");
    CHECK_OK(d, "Dec 21 16:42:19 testserver sudo: pam_unix(sudo:session): session opened");
    CHECK(streq(d->ls.service, "sudo") && !get(d, "USER"));

    /* The example of SigmaHQ's lnx_privileged_user_creation rule. */
    CHECK_OK(d, "Dec 21 16:42:19 testserver useradd[1337]: new user: name=butter1, UID=1000, "
                "GID=0, home=/root, shell=/bin/bash");
    CHECK(streq(d->ls.service, "auth"));
    CHECK_FIELD(d, "appname", "useradd");
    CHECK_FIELD(d, "procid", "1337");
    CHECK_FIELD(d, "message",
                "new user: name=butter1, UID=1000, GID=0, home=/root, shell=/bin/bash");
    /* crontab edits (SigmaHQ's cron rule looks for REPLACE) and cron jobs. */
    CHECK_OK(d, "Mar  1 10:00:01 host crontab[4242]: (root) REPLACE (root)");
    CHECK(streq(d->ls.service, "cron"));
    CHECK_OK(d, "Mar  1 10:00:01 host CRON[4243]: (root) CMD (/usr/local/bin/backup.sh)");
    CHECK(streq(d->ls.service, "cron"));
    CHECK_OK(d, "Mar  1 10:00:01 host /usr/sbin/cron[4243]: (CRON) INFO (pidfile fd = 3)");
    CHECK(streq(d->ls.service, "cron"));
    CHECK_OK(d, "Jan 26 09:43:41 host pkexec[1234]: alice: The value for environment variable "
                "XAUTHORITY contains suspicious content [USER=root] [TTY=/dev/pts/0]");
    CHECK(streq(d->ls.service, "auth"));
    CHECK_OK(d, "Jan 26 09:43:41 host vsftpd[77]: [ftp] FAIL LOGIN: Client \"192.0.2.1\"");
    CHECK(streq(d->ls.service, "vsftpd"));
    CHECK_OK(d, "Jan 26 09:43:41 host named[77]: client 192.0.2.1#53: denied AXFR from zone");
    CHECK(streq(d->ls.service, "syslog"));
    doc_free(d);
}

struct loghub {
    struct doc *d;
    const char *host;
    int services[4]; /* sshd, auth, syslog, other */
    int ok;
};

static void loghub_line(const char *line, size_t n, int no, void *ud)
{
    struct loghub *L = ud;
    struct doc *d = L->d;
    size_t ln = n && line[n - 1] == '\r' ? n - 1 : n;
    if (dec(d, line, n) != YG_OK || !d->json_ok || !d->flat_strings) {
        CHECK_MSG(0, "line %d: err %d col %zu %s", no, d->err, d->e.col, d->e.msg ? d->e.msg : "-");
        return;
    }
    L->ok++;
    /* Independent checks against the text: BSD timestamp in the first 15
     * bytes, the host next, the message a suffix of the line. */
    CHECK_MSG(has_val(d, "timestamp", line, 15), "line %d: timestamp %s", no,
              shown(d, "timestamp"));
    CHECK_MSG(has_val(d, "hostname", L->host, strlen(L->host)), "line %d: host %s", no,
              shown(d, "hostname"));
    const struct yg_str *m = get(d, "message");
    CHECK_MSG(m && m->n <= ln && memcmp(line + ln - m->n, m->p, m->n) == 0, "line %d: message %s",
              no, shown(d, "message"));
    /* The tag as the text has it: the word after the host up to `[`/`:`. */
    const char *t = line + 16 + strlen(L->host) + 1;
    const char *br = memchr(t, '[', (size_t)(line + ln - t));
    const struct yg_str *pid = get(d, "procid");
    if (br && memchr(t, ' ', (size_t)(br - t)) == NULL) {
        const char *cl = memchr(br, ']', (size_t)(line + ln - br));
        CHECK_MSG(get(d, "appname") && get(d, "appname")->n == (size_t)(br - t) && pid && cl &&
                      pid->n == (size_t)(cl - br - 1) && memcmp(pid->p, br + 1, pid->n) == 0,
                  "line %d: appname %s", no, shown(d, "appname"));
    }
    CHECK(streq(d->ls.product, "linux"));
    if (streq(d->ls.service, "sshd"))
        L->services[0]++;
    else if (streq(d->ls.service, "auth"))
        L->services[1]++;
    else if (streq(d->ls.service, "syslog"))
        L->services[2]++;
    else
        L->services[3]++;
}

static void test_syslog_loghub(void)
{
    struct loghub L = {doc_new(&yg__fmt_syslog), "LabSZ", {0}, 0};
    int lines = for_lines("logs/loghub/OpenSSH_2k.log", loghub_line, &L);
    CHECK_MSG(lines == 2000 && L.ok == 2000 && L.services[0] == 2000, "OpenSSH: %d/%d, sshd %d",
              L.ok, lines, L.services[0]);
    /* Spot checks of line 1: the sshd rule keywords are searched in message. */
    CHECK_OK(L.d, "Dec 10 06:55:46 LabSZ sshd[24200]: reverse mapping checking getaddrinfo for "
                  "ns.marryaldkfaczcz.com [173.234.31.186] failed - POSSIBLE BREAK-IN ATTEMPT!\r");
    CHECK_FIELD(L.d, "appname", "sshd");
    CHECK_FIELD(L.d, "procid", "24200");
    CHECK_FIELD(L.d, "message",
                "reverse mapping checking getaddrinfo for ns.marryaldkfaczcz.com "
                "[173.234.31.186] failed - POSSIBLE BREAK-IN ATTEMPT!");
    doc_free(L.d);

    struct loghub M = {doc_new(&yg__fmt_syslog), "combo", {0}, 0};
    lines = for_lines("logs/loghub/Linux_2k.log", loghub_line, &M);
    /* Counted in the file: 677 sshd(pam_unix); su(pam_unix) 172, login 2,
     * gdm(pam_unix) 2 write to auth.log; the rest is the syslog stream. */
    CHECK_MSG(lines == 2000 && M.ok == 2000, "Linux: %d/%d", M.ok, lines);
    CHECK_MSG(M.services[0] == 677 && M.services[1] == 176 && M.services[2] == 1147 &&
                  M.services[3] == 0,
              "Linux services: sshd %d auth %d syslog %d other %d", M.services[0], M.services[1],
              M.services[2], M.services[3]);
    struct doc *d = M.d;
    CHECK_OK(d, "Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; logname= "
                "uid=0 euid=0 tty=NODEVssh ruser= rhost=218.188.2.4 \r");
    CHECK_FIELD(d, "timestamp", "Jun 14 15:16:01");
    CHECK_FIELD(d, "appname", "sshd(pam_unix)");
    CHECK_FIELD(d, "procid", "19939");
    CHECK_FIELD(d, "message",
                "authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= "
                "rhost=218.188.2.4 ");
    CHECK(streq(d->ls.service, "sshd"));
    CHECK_OK(d, "Jul  1 00:21:28 combo su(pam_unix)[19630]: session opened for user news by "
                "(uid=0)");
    CHECK(streq(d->ls.service, "auth"));
    CHECK_FIELD(d, "timestamp", "Jul  1 00:21:28");
    /* Lines whose program is not written as a tag keep it in the message. */
    CHECK_OK(d, "Jun 19 04:09:11 combo syslogd 1.4.1: restart.\r");
    CHECK(!get(d, "appname"));
    CHECK_FIELD(d, "message", "syslogd 1.4.1: restart.");
    CHECK_OK(d, "Jul  7 08:06:15 combo  -- root[2421]: ROOT LOGIN ON tty2\r");
    CHECK_FIELD(d, "hostname", "combo");
    CHECK_FIELD(d, "message", "-- root[2421]: ROOT LOGIN ON tty2");
    CHECK_OK(d, "Jul 27 14:41:57 combo kernel: Linux version 2.6.5-1.358 "
                "(bhcompile@bugs.build.redhat.com) (gcc version 3.3.3 20040412 (Red Hat Linux "
                "3.3.3-7)) #1 Sat May 8 09:04:50 EDT 2004\r");
    CHECK_FIELD(d, "appname", "kernel");
    CHECK(!get(d, "procid"));
    CHECK(streq(d->ls.service, "syslog"));
    doc_free(M.d);
}

static void apache_line(const char *line, size_t n, int no, void *ud)
{
    int *count = ud;
    struct doc *d = *(struct doc **)(count + 2);
    (void)no;
    count[0]++;
    if (dec(d, line, n) == YG_ESYNTAX && d->e.col == 1 && d->e.msg)
        count[1]++;
}

/* Apache's error log (loghub) is not syslog: each line is refused with the
 * reason, at column 1. */
static void test_syslog_not_records(void)
{
    struct {
        int count[2];
        struct doc *d;
    } a = {{0, 0}, doc_new(&yg__fmt_syslog)};
    for_lines("logs/loghub/Apache_2k.log", apache_line, &a);
    CHECK_MSG(a.count[0] == 2000 && a.count[1] == 2000, "Apache: %d refused of %d", a.count[1],
              a.count[0]);
    CHECK(decs(a.d, "[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok") == YG_ESYNTAX &&
          a.d->e.col == 1 && strstr(a.d->e.msg, "PRI"));
    doc_free(a.d);
}

/* ---- FortiGate ------------------------------------------------------------ */

/* Does the line hold ` key=value` or ` key="value"` (or start with it)? */
static bool pair_in_line(const char *line, size_t n, struct yg_str k, struct yg_str v)
{
    char pat[2][4096];
    if (k.n + v.n + 8 > sizeof pat[0])
        return false;
    int l0 = snprintf(pat[0], sizeof pat[0], "%.*s=\"%.*s\"", (int)k.n, k.p, (int)v.n, v.p);
    int l1 = snprintf(pat[1], sizeof pat[1], "%.*s=%.*s", (int)k.n, k.p, (int)v.n, v.p);
    for (int w = 0; w < 2; w++) {
        size_t pl = (size_t)(w ? l1 : l0);
        const char *p = line;
        while ((p = memmem(p, n - (size_t)(p - line), pat[w], pl)) != NULL) {
            size_t end = (size_t)(p - line) + pl;
            bool start_ok = p == line || p[-1] == ' ' || p[-1] == '>';
            bool end_ok = end == n || line[end] == ' ';
            if (start_ok && end_ok)
                return true;
            p++;
        }
    }
    return false;
}

/* `=` outside quotes in the part of the line from the first `key=`: the
 * number of pairs, counted without the decoder's tokenizer. */
static int count_pairs(const char *s, size_t n)
{
    int c = 0;
    bool q = false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"' && (i == 0 || s[i - 1] != '\\'))
            q = !q;
        else if (!q && s[i] == '=')
            c++;
    }
    return c;
}

struct fgt_run {
    struct doc *d;
    int ok, lines, refused, with_header, cfgpath;
    int services[3]; /* traffic, event, utm */
};

static void fgt_line(const char *line, size_t n, int no, void *ud)
{
    struct fgt_run *R = ud;
    struct doc *d = R->d;
    R->lines++;
    /* Line 25 is cut short in the sample (as UDP syslog truncates long
     * FortiGate records): its last value, msg="FX04DN4N16002352 STATE: ...
     * connecting, never closes.  It is reported, at the opening quote. */
    if (no == 25) {
        CHECK_MSG(dec(d, line, n) == YG_ESYNTAX && d->e.col == 415 &&
                      streq(d->e.msg, "unterminated quoted value"),
                  "line 25: err %d col %zu", d->err, d->e.col);
        R->refused++;
        return;
    }
    if (dec(d, line, n) != YG_OK || !d->json_ok || !d->flat_strings) {
        CHECK_MSG(0, "fortigate line %d: err %d col %zu %s", no, d->err, d->e.col,
                  d->e.msg ? d->e.msg : "-");
        return;
    }
    R->ok++;
    CHECK(streq(d->ls.product, "fortigate"));
    /* The service is the type the text names. */
    const char *types[3] = {"traffic", "event", "utm"};
    bool found = false;
    for (int t = 0; t < 3; t++) {
        char pat[32];
        int pl = snprintf(pat, sizeof pat, " type=\"%s\"", types[t]);
        if (memmem(line, n, pat, (size_t)pl)) {
            found = true;
            CHECK_MSG(streq(d->ls.service, types[t]), "line %d: service %s", no, d->ls.service);
            R->services[t]++;
        }
    }
    CHECK_MSG(found, "line %d: no type", no);
    /* Every field is a pair of the text, and there are as many as the text has. */
    const char *body = line;
    if (line[0] == '<') {
        R->with_header++;
        body = memmem(line, n, "eventtime=", 10);
        CHECK_FIELD(d, "eventtime", "1668408842876531561");
    }
    size_t bn = n - (size_t)(body - line);
    /* `timestamp` is derived from date, time and tz when the text has none. */
    int derived = 0;
    for (int i = 0; i < d->n; i++) {
        if (d->k[i].n == 9 && !memcmp(d->k[i].p, "timestamp", 9) &&
            !memmem(body, bn, "timestamp=", 10)) {
            derived++;
            continue;
        }
        CHECK_MSG(pair_in_line(body, bn, d->k[i], d->v[i]), "line %d: %.*s=%.*s not in the text",
                  no, (int)d->k[i].n, d->k[i].p, (int)d->v[i].n, d->v[i].p);
    }
    CHECK_MSG(d->n == count_pairs(body, bn) + derived, "line %d: %d fields, %d pairs", no, d->n,
              count_pairs(body, bn));
    if (get(d, "cfgpath"))
        R->cfgpath++;
    /* FortiGate is recognised on every line, ahead of plain syslog. */
    int fs = yg__fmt_fortigate.sniff(line, n), ss = yg__fmt_syslog.sniff(line, n);
    CHECK_MSG(fs >= 90 && fs > ss, "line %d: sniff %d vs syslog %d", no, fs, ss);
}

static void test_fortigate_sample(void)
{
    struct fgt_run R = {doc_new(&yg__fmt_fortigate), 0, 0, 0, 0, 0, {0}};
    for_lines("logs/elastic-integrations/fortinet_fortigate/test-fortinet-7-4.log", fgt_line, &R);
    CHECK_MSG(R.lines == 75 && R.ok == 74 && R.refused == 1, "fortigate: %d of %d", R.ok, R.lines);
    /* Counted in the file: 14 traffic, 39 event (one of them line 25), 22
     * utm; one line behind an RFC 5424 header. */
    CHECK_MSG(R.services[0] == 14 && R.services[1] == 38 && R.services[2] == 22,
              "traffic %d event %d utm %d", R.services[0], R.services[1], R.services[2]);
    CHECK(R.with_header == 1);
    /* The sample holds no configuration-change log (no cfgpath). */
    CHECK(R.cfgpath == 0);

    struct doc *d = R.d;
    /* Line 1. */
    CHECK_OK(d, "date=2019-05-10 time=11:37:47 logid=\"0000000013\" type=\"traffic\" "
                "subtype=\"forward\" level=\"notice\" vd=\"vdom1\" eventtime=1557513467369913239 "
                "srcip=10.1.100.11 srcport=58012 srcintf=\"port12\" dstcountry=\"Canada\" "
                "app=\"HTTP.BROWSER_Firefox\" utmref=65500-742");
    CHECK_FIELD(d, "date", "2019-05-10");
    CHECK_FIELD(d, "logid", "0000000013");
    CHECK_FIELD(d, "srcip", "10.1.100.11");
    CHECK_FIELD(d, "app", "HTTP.BROWSER_Firefox");
    CHECK_FIELD(d, "utmref", "65500-742");
    CHECK(streq(d->ls.service, "traffic"));
    /* Line 2: a quoted value with spaces and parentheses. */
    CHECK_OK(d, "date=2019-05-10 time=11:50:48 logid=\"0001000014\" type=\"traffic\" "
                "subtype=\"local\" app=\"Web Management(HTTPS)\" duration=5");
    CHECK_FIELD(d, "app", "Web Management(HTTPS)");
    CHECK_FIELD(d, "duration", "5");
    /* Line 12 (endpoint event) and line 19 (connector object added). */
    CHECK_OK(d, "date=2019-05-14 time=08:32:13 logid=\"0107045057\" type=\"event\" "
                "subtype=\"endpoint\" level=\"information\" vd=\"root\" "
                "eventtime=1557847933900764210 logdesc=\"FortiClient connection added\" "
                "action=\"add\" status=\"success\" user=\"skubas\" msg=\"Add a FortiClient "
                "Connection.\"");
    CHECK_FIELD(d, "action", "add");
    CHECK_FIELD(d, "user", "skubas");
    CHECK_FIELD(d, "msg", "Add a FortiClient Connection.");
    CHECK(streq(d->ls.service, "event"));
    CHECK_OK(d, "date=2019-05-13 time=16:09:43 logid=\"0112053200\" type=\"event\" "
                "subtype=\"connector\" level=\"information\" vd=\"root\" eventtime=1557788982 "
                "logdesc=\"IP address added\" cfgobj=\"aws1\" action=\"object-add\" "
                "addr=\"89.160.20.128\" msg=\"connector object discovered in addr-obj aws1, "
                "89.160.20.128\"");
    CHECK_FIELD(d, "cfgobj", "aws1");
    CHECK_FIELD(d, "action", "object-add");
    CHECK_FIELD(d, "msg", "connector object discovered in addr-obj aws1, 89.160.20.128");
    /* Line 74: RFC 5424 header; a value with brackets and parentheses. */
    CHECK_OK(d, "<165>1 2022-11-14T06:54:03Z use2-dmz-fw02 - - - - eventtime=1668408842876531561 "
                "tz=\"-0800\" logid=\"0317013312\" type=\"utm\" subtype=\"webfilter\" "
                "hostname=\"[server.example.com](https://server.example.com/)\" "
                "msg=\"URL belongs to an allowed category in policy\" cat=52");
    CHECK_FIELD(d, "tz", "-0800");
    CHECK_FIELD(d, "hostname", "[server.example.com](https://server.example.com/)");
    CHECK_FIELD(d, "cat", "52");
    CHECK(streq(d->ls.service, "utm") && d->k[0].n == 9 && !memcmp(d->k[0].p, "eventtime", 9));
    /* Headers a relay adds, and `\"` inside a quoted value. */
    CHECK_OK(d, "<189>date=2019-05-10 time=11:37:47 logid=\"0000000013\" type=\"traffic\"");
    CHECK(d->n == 5); /* and the derived timestamp, first */
    CHECK_FIELD(d, "timestamp", "2019-05-10T11:37:47");
    CHECK_OK(d, "Nov 14 06:54:03 fw01 date=2019-05-10 logid=\"0100032001\" type=\"event\" "
                "msg=\"User \\\"admin\\\" logged in\" path=\"C:\\dir\\x\" q=\"a\"b c\"");
    CHECK_FIELD(d, "msg", "User \"admin\" logged in");
    /* Other backslashes stay; a quote not followed by a space is text. */
    CHECK_FIELD(d, "path", "C:\\dir\\x");
    CHECK_FIELD(d, "q", "a\"b c");
    CHECK(!get(d, "fw01"));
    /* A type FortiOS does not document has no Sigma service. */
    CHECK_OK(d, "date=2019-05-10 logid=\"1\" type=\"bogus\"");
    CHECK(streq(d->ls.product, "fortigate") && d->ls.service == NULL);
    doc_free(d);
}

/*
 * Configuration changes as FortiOS logs them (log IDs 0100044546
 * "Attribute configured" and 0100044547 "Object attribute configured" of
 * the FortiOS Log Reference), one per kind of change SigmaHQ's rules look
 * for.  The shared FortiGate sample has none, so these are written in the
 * Log Reference's layout.
 */
static const char *const cfg_lines[] = {
    "date=2023-04-12 time=10:14:05 eventtime=1681319645123456789 tz=\"+0200\" "
    "logid=\"0100044547\" type=\"event\" subtype=\"system\" level=\"information\" vd=\"root\" "
    "logdesc=\"Object attribute configured\" user=\"admin\" ui=\"GUI(192.0.2.10)\" "
    "action=\"Add\" cfgtid=1863 cfgpath=\"firewall.policy\" cfgobj=\"7\" "
    "cfgattr=\"srcintf[port2]dstintf[port1]srcaddr[all]dstaddr[all]action[accept]\" "
    "msg=\"Add firewall.policy 7\"",
    "date=2023-04-12 time=10:15:41 eventtime=1681319741123456789 tz=\"+0200\" "
    "logid=\"0100044547\" type=\"event\" subtype=\"system\" level=\"information\" vd=\"root\" "
    "logdesc=\"Object attribute configured\" user=\"admin\" ui=\"ssh(192.0.2.10)\" "
    "action=\"Add\" cfgtid=1870 cfgpath=\"system.admin\" cfgobj=\"backdoor\" "
    "cfgattr=\"accprofile[super_admin]vdom[root]password[*]\" msg=\"Add system.admin backdoor\"",
    "date=2023-04-12 time=10:16:02 eventtime=1681319762123456789 tz=\"+0200\" "
    "logid=\"0100044547\" type=\"event\" subtype=\"system\" level=\"information\" vd=\"root\" "
    "logdesc=\"Object attribute configured\" user=\"admin\" ui=\"GUI(192.0.2.10)\" "
    "action=\"Add\" cfgtid=1871 cfgpath=\"user.local\" cfgobj=\"eve\" "
    "cfgattr=\"type[password]passwd[*]\" msg=\"Add user.local eve\"",
    "date=2023-04-12 time=10:16:30 eventtime=1681319790123456789 tz=\"+0200\" "
    "logid=\"0100044547\" type=\"event\" subtype=\"system\" level=\"information\" vd=\"root\" "
    "logdesc=\"Object attribute configured\" user=\"admin\" ui=\"GUI(192.0.2.10)\" "
    "action=\"Edit\" cfgtid=1872 cfgpath=\"user.group\" cfgobj=\"SSL-VPN-Users\" "
    "cfgattr=\"member[alice->alice, eve]\" msg=\"Edit user.group SSL-VPN-Users\"",
    "date=2023-04-12 time=10:17:12 eventtime=1681319832123456789 tz=\"+0200\" "
    "logid=\"0100044547\" type=\"event\" subtype=\"system\" level=\"information\" vd=\"root\" "
    "logdesc=\"Object attribute configured\" user=\"admin\" ui=\"GUI(192.0.2.10)\" "
    "action=\"Add\" cfgtid=1873 cfgpath=\"firewall.address\" cfgobj=\"c2-server\" "
    "cfgattr=\"subnet[198.51.100.7 255.255.255.255]\" msg=\"Add firewall.address c2-server\"",
    "date=2023-04-12 time=10:18:00 eventtime=1681319880123456789 tz=\"+0200\" "
    "logid=\"0100044547\" type=\"event\" subtype=\"system\" level=\"information\" vd=\"root\" "
    "logdesc=\"Object attribute configured\" user=\"admin\" ui=\"GUI(192.0.2.10)\" "
    "action=\"Add\" cfgtid=1874 cfgpath=\"vpn.ssl.web.portal\" cfgobj=\"full-access-2\" "
    "cfgattr=\"tunnel-mode[enable]\" msg=\"Add vpn.ssl.web.portal full-access-2\"",
    "date=2023-04-12 time=10:18:44 eventtime=1681319924123456789 tz=\"+0200\" "
    "logid=\"0100044546\" type=\"event\" subtype=\"system\" level=\"information\" vd=\"root\" "
    "logdesc=\"Attribute configured\" user=\"admin\" ui=\"GUI(192.0.2.10)\" action=\"Edit\" "
    "cfgtid=1875 cfgpath=\"vpn.ssl.settings\" cfgattr=\"port[443->10443]\" "
    "msg=\"Edit vpn.ssl.settings \"",
};
#define NCFG (sizeof cfg_lines / sizeof *cfg_lines)

/* A detection item of a rule: `field: 'value'`. */
struct rule_item {
    char rule[128], field[64], value[128], product[32], service[32];
};

static void trim_value(char *v)
{
    size_t n = strlen(v);
    while (n && (v[n - 1] == ' ' || v[n - 1] == '\r' || v[n - 1] == '\n'))
        v[--n] = 0;
    if (n >= 2 && (v[0] == '\'' || v[0] == '"') && v[n - 1] == v[0]) {
        memmove(v, v + 1, n - 2);
        v[n - 2] = 0;
    }
}

/* The `field: value` lines of a rule's detection block, read as text. */
static int scan_rule(const char *path, const char *name, struct rule_item *it, int max)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char line[1024], product[32] = "", service[32] = "";
    int n = 0, section = 0; /* 1 logsource, 2 detection */
    while (fgets(line, sizeof line, f)) {
        if (line[0] != ' ' && line[0] != '\n') {
            section = !strncmp(line, "logsource:", 10)   ? 1
                      : !strncmp(line, "detection:", 10) ? 2
                                                         : 0;
            continue;
        }
        char *p = line;
        while (*p == ' ')
            p++;
        char *colon = strstr(p, ": ");
        if (!colon || *p == '#' || *p == '-')
            continue;
        *colon = 0;
        char *val = colon + 2;
        trim_value(val);
        if (section == 1 && !strcmp(p, "product"))
            snprintf(product, sizeof product, "%.31s", val);
        else if (section == 1 && !strcmp(p, "service"))
            snprintf(service, sizeof service, "%.31s", val);
        else if (section == 2 && strcmp(p, "condition") && *val && n < max) {
            char *bar = strchr(p, '|');
            if (bar)
                *bar = 0;
            snprintf(it[n].rule, sizeof it[n].rule, "%.127s", name);
            snprintf(it[n].field, sizeof it[n].field, "%.63s", p);
            snprintf(it[n].value, sizeof it[n].value, "%.127s", val);
            n++;
        }
    }
    fclose(f);
    for (int i = 0; i < n; i++) {
        snprintf(it[i].product, sizeof it[i].product, "%s", product);
        snprintf(it[i].service, sizeof it[i].service, "%s", service);
    }
    return n;
}

static int scan_rules_dir(const char *dir, struct rule_item *it, int max)
{
    DIR *dp = opendir(dir);
    if (!dp)
        return 0;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(dp)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        struct stat sb;
        if (stat(path, &sb) != 0)
            continue;
        size_t l = strlen(de->d_name);
        if (S_ISDIR(sb.st_mode))
            n += scan_rules_dir(path, it + n, max - n);
        else if (l > 4 && !strcmp(de->d_name + l - 4, ".yml"))
            n += scan_rule(path, de->d_name, it + n, max - n);
    }
    closedir(dp);
    return n;
}

/* Sigma matches strings without case by default. */
static bool has_val_nocase(const struct doc *d, const char *k, const char *want)
{
    const struct yg_str *v = get(d, k);
    return v && yg_str_ieq(v->p, v->n, want, strlen(want));
}

/*
 * SigmaHQ's FortiGate rules: every field their detections name is a field
 * the decoder produces, and each rule's selection is met by the
 * configuration change it describes, under the rule's log source.
 */
static void test_fortigate_sigma(void)
{
    static struct rule_item items[256];
    int n = scan_rules_dir(YG_SHARED_DIR "/sigma/rules/network/fortinet", items, 256);
    CHECK_MSG(n >= 14, "only %d detection items in the FortiGate rules", n);
    struct doc *d = doc_new(&yg__fmt_fortigate);
    /* Fields the decoder produces over the sample and the change logs. */
    for (int i = 0; i < n; i++) {
        bool produced = false;
        for (size_t c = 0; c < NCFG && !produced; c++)
            produced = decs(d, cfg_lines[c]) == YG_OK && get(d, items[i].field);
        CHECK_MSG(produced, "%s: field %s is never produced", items[i].rule, items[i].field);
    }
    /* Each rule: one change log meets all of its items. */
    int rules_met = 0;
    for (int i = 0; i < n; i++) {
        if (i > 0 && !strcmp(items[i].rule, items[i - 1].rule))
            continue;
        bool met = false;
        for (size_t c = 0; c < NCFG && !met; c++) {
            if (decs(d, cfg_lines[c]) != YG_OK)
                continue;
            met = streq(d->ls.product, items[i].product) && streq(d->ls.service, items[i].service);
            for (int j = i; met && j < n && !strcmp(items[j].rule, items[i].rule); j++)
                met = has_val_nocase(d, items[j].field, items[j].value);
        }
        CHECK_MSG(met, "%s: no change log meets its selection", items[i].rule);
        rules_met += met;
    }
    CHECK_MSG(rules_met == 7, "%d rules met", rules_met);
    /* And the exact values, as the text carries them. */
    CHECK_OK(d, cfg_lines[1]);
    CHECK_FIELD(d, "action", "Add");
    CHECK_FIELD(d, "cfgpath", "system.admin");
    CHECK_FIELD(d, "cfgobj", "backdoor");
    CHECK_FIELD(d, "cfgattr", "accprofile[super_admin]vdom[root]password[*]");
    CHECK_FIELD(d, "ui", "ssh(192.0.2.10)");
    CHECK(streq(d->ls.product, "fortigate") && streq(d->ls.service, "event"));
    CHECK_OK(d, cfg_lines[6]);
    CHECK_FIELD(d, "msg", "Edit vpn.ssl.settings ");
    doc_free(d);
}

/* ---- CEF ---------------------------------------------------------------- */

static void test_cef(void)
{
    struct doc *d = doc_new(&yg__fmt_cef);
    /* The CEF specification's introductory example (with syslog prefix):
     * "Sep 19 08:26:10 host CEF:0|Security|threatmanager|1.0|100|worm
     * successfully stopped|10|src=10.0.0.1 dst=2.1.2.2 spt=1232" */
    CHECK_OK(d, "Sep 19 08:26:10 host CEF:0|Security|threatmanager|1.0|100|worm successfully "
                "stopped|10|src=10.0.0.1 dst=2.1.2.2 spt=1232");
    CHECK_FIELD(d, "version", "0");
    CHECK_FIELD(d, "deviceVendor", "Security");
    CHECK_FIELD(d, "deviceProduct", "threatmanager");
    CHECK_FIELD(d, "deviceVersion", "1.0");
    CHECK_FIELD(d, "signatureId", "100");
    CHECK_FIELD(d, "deviceEventClassId", "100");
    CHECK_FIELD(d, "name", "worm successfully stopped");
    CHECK_FIELD(d, "severity", "10");
    CHECK_FIELD(d, "src", "10.0.0.1");
    CHECK_FIELD(d, "dst", "2.1.2.2");
    CHECK_FIELD(d, "spt", "1232");
    CHECK(d->n == 11);
    CHECK(streq(d->ls.product, "cef") && streq(d->ls.service, "threatmanager"));
    const char *svc = d->ls.service;
    const char *sn = "Sep 19 08:26:10 host CEF:0|Security|threatmanager|1.0|100|x|10|";
    CHECK(yg__fmt_cef.sniff(sn, strlen(sn)) >= 90 &&
          yg__fmt_cef.sniff(sn, strlen(sn)) > yg__fmt_syslog.sniff(sn, strlen(sn)));

    /* The specification's escaping examples:
     * "CEF:0|security|threatmanager|1.0|100|detected a \| in message|10|src=10.0.0.1
     *  act=blocked a | dst=1.1.1.1" */
    CHECK_OK(d, "CEF:0|security|threatmanager|1.0|100|detected a \\| in message|10|src=10.0.0.1 "
                "act=blocked a | dst=1.1.1.1");
    CHECK_FIELD(d, "name", "detected a | in message");
    CHECK_FIELD(d, "act", "blocked a |");
    CHECK_FIELD(d, "dst", "1.1.1.1");
    CHECK(d->ls.service == svc); /* the same product, the same string */
    /* "CEF:0|security|threatmanager|1.0|100|detected a \\ in packet|10|src=10.0.0.1
     *  act=blocked a \\ dst=1.1.1.1" */
    CHECK_OK(d, "CEF:0|security|threatmanager|1.0|100|detected a \\\\ in packet|10|src=10.0.0.1 "
                "act=blocked a \\\\ dst=1.1.1.1");
    CHECK_FIELD(d, "name", "detected a \\ in packet");
    CHECK_FIELD(d, "act", "blocked a \\");
    /* "CEF:0|security|threatmanager|1.0|100|detected a = in message|10|src=10.0.0.1
     *  act=blocked a \= dst=1.1.1.1" */
    CHECK_OK(d, "CEF:0|security|threatmanager|1.0|100|detected a = in message|10|src=10.0.0.1 "
                "act=blocked a \\= dst=1.1.1.1");
    CHECK_FIELD(d, "name", "detected a = in message");
    CHECK_FIELD(d, "act", "blocked a =");
    /* Multi-line values: "msg=Detected a threat.\n No action needed." */
    CHECK_OK(d, "CEF:0|security|threatmanager|1.0|100|threat|10|msg=Detected a threat.\\n No "
                "action needed. cs1Label=Host ID cs1=web 01  ");
    CHECK_FIELD(d, "msg", "Detected a threat.\n No action needed.");
    CHECK_FIELD(d, "cs1Label", "Host ID");
    CHECK_FIELD(d, "cs1", "web 01");
    /* A header-only record, CEF:1, a product with capitals. */
    CHECK_OK(d, "<134>1 2024-05-01T10:00:00Z fw - - - - CEF:1|Fortinet|FortiGate|7.4|0100044547|"
                "Object attribute configured|3|");
    CHECK(d->n == 8);
    CHECK_FIELD(d, "version", "1");
    CHECK(streq(d->ls.service, "fortigate"));
    /* Severity as text, a backslash that escapes nothing stays. */
    CHECK_OK(d, "CEF:0|V|P|1|sig|n|Very-High|filePath=C:\\Windows\\x.exe");
    CHECK_FIELD(d, "severity", "Very-High");
    CHECK_FIELD(d, "filePath", "C:\\Windows\\x.exe");

    /* Errors: where and why. */
    CHECK(decs(d, "no record here") == YG_ESYNTAX && d->e.col == 1 && strstr(d->e.msg, "CEF:"));
    CHECK(decs(d, "CEF:0|a|b") == YG_ESYNTAX && d->e.col == 10 && strstr(d->e.msg, "7"));
    CHECK(decs(d, "CEF:x|a|b|c|d|e|f|") == YG_ESYNTAX && d->e.col == 5 &&
          strstr(d->e.msg, "version"));
    CHECK(decs(d, "CEF:0|a|b|c|d|e|f|src=1 garbage") == YG_OK && get(d, "src") &&
          has_val(d, "src", "1 garbage", 9));
    CHECK(decs(d, "CEF:0|a|b|c|d|e|f|garbage src=1") == YG_ESYNTAX && d->e.col == 19 &&
          strstr(d->e.msg, "key=value"));
    /* Service names: long ones get none; the table fills and stops. */
    char line[512];
    snprintf(line, sizeof line, "CEF:0|v|%0100d|1|2|n|3|", 7);
    CHECK(decs(d, line) == YG_OK && d->ls.service == NULL);
    for (int i = 0; i < 70; i++) {
        snprintf(line, sizeof line, "CEF:0|v|Product%d|1|2|n|3|", i);
        CHECK(decs(d, line) == YG_OK);
        if (i == 10)
            CHECK(streq(d->ls.service, "product10"));
    }
    CHECK(d->ls.service == NULL);
    doc_free(d);
    /* No state (state_new failed): still a record, without service. */
    struct yg_buf b;
    yg_buf_init(&b, 0);
    struct yg_logsrc ls = {0};
    struct yg_decode_err e;
    CHECK(yg__fmt_cef.decode(NULL, "CEF:0|a|b|c|d|e|f|", 18, &b, &ls, &e) == YG_OK &&
          streq(ls.product, "cef") && ls.service == NULL);
    yg_buf_free(&b);
    yg__alloc_fail_after(1);
    void *st = yg__fmt_cef.state_new();
    yg__alloc_fail_after(0);
    CHECK(st == NULL);
}

/* ---- LEEF ----------------------------------------------------------------- */

static void test_leef(void)
{
    struct doc *d = doc_new(&yg__fmt_leef);
    /* IBM's LEEF 1.0 example (TAB-separated, behind a syslog header):
     * "Jan 18 11:07:53 host LEEF:1.0|Microsoft|MSExchange|4.0 SP1|15345|
     *  src=192.0.2.0<TAB>dst=172.50.123.1<TAB>sev=5<TAB>cat=anomaly<TAB>
     *  srcPort=81<TAB>dstPort=21<TAB>usrName=joe.black" */
    CHECK_OK(d, "Jan 18 11:07:53 host LEEF:1.0|Microsoft|MSExchange|4.0 SP1|15345|src=192.0.2.0\t"
                "dst=172.50.123.1\tsev=5\tcat=anomaly\tsrcPort=81\tdstPort=21\tusrName=joe.black");
    CHECK_FIELD(d, "version", "1.0");
    CHECK_FIELD(d, "deviceVendor", "Microsoft");
    CHECK_FIELD(d, "deviceProduct", "MSExchange");
    CHECK_FIELD(d, "deviceVersion", "4.0 SP1");
    CHECK_FIELD(d, "eventId", "15345");
    CHECK_FIELD(d, "src", "192.0.2.0");
    CHECK_FIELD(d, "cat", "anomaly");
    CHECK_FIELD(d, "usrName", "joe.black");
    CHECK(d->n == 12);
    CHECK(streq(d->ls.product, "leef") && streq(d->ls.service, "msexchange"));
    /* LEEF 2.0 with a caret delimiter, as in IBM's example:
     * "LEEF:2.0|Lancope|StealthWatch|1.0|41|^|src=10.0.1.8^dst=10.0.0.5^sev=5^srcPort=81^
     *  dstPort=21" */
    const char *v2 = "LEEF:2.0|Lancope|StealthWatch|1.0|41|^|src=10.0.1.8^dst=10.0.0.5^sev=5^"
                     "srcPort=81^dstPort=21";
    CHECK_OK(d, v2);
    CHECK_FIELD(d, "version", "2.0");
    CHECK_FIELD(d, "eventId", "41");
    CHECK_FIELD(d, "src", "10.0.1.8");
    CHECK_FIELD(d, "dstPort", "21");
    CHECK(d->n == 10 && streq(d->ls.service, "stealthwatch"));
    CHECK(yg__fmt_leef.sniff(v2, strlen(v2)) >= 90);
    /* The delimiter as hex (`x5E`, `0x5E`), and one a value holds spaces with. */
    CHECK_OK(d, "LEEF:2.0|Lancope|StealthWatch|1.0|41|x5E|src=10.0.1.8^dst=10.0.0.5");
    CHECK_FIELD(d, "dst", "10.0.0.5");
    CHECK(decs(d, "LEEF:2.0|Lancope|StealthWatch|1.0|41|0x5E|src=10.0.1.8^=x") == YG_ESYNTAX &&
          d->e.col == 56);
    CHECK_OK(d, "LEEF:2.0|Lancope|StealthWatch|1.0|41|0x5E|src=10.0.1.8^msg=a b^^dst=x^");
    CHECK_FIELD(d, "msg", "a b");
    CHECK_FIELD(d, "dst", "x");
    /* LEEF 1.0 as often sent, with spaces (the rendering of IBM's example
     * in Tenzir's documentation): "LEEF:1.0|Microsoft|MSExchange|2016|15345|
     * src=10.50.1.1  dst=2.10.20.20  spt=1200" */
    CHECK_OK(d, "LEEF:1.0|Microsoft|MSExchange|2016|15345|src=10.50.1.1  dst=2.10.20.20  "
                "spt=1200");
    CHECK_FIELD(d, "src", "10.50.1.1");
    CHECK_FIELD(d, "dst", "2.10.20.20");
    CHECK_FIELD(d, "spt", "1200");
    /* 2.0 without the delimiter field; an empty one (TAB); `\|` in the header. */
    CHECK_OK(d, "LEEF:2.0|V|P|1|E|src=1.2.3.4\tdst=5.6.7.8");
    CHECK_FIELD(d, "dst", "5.6.7.8");
    CHECK_OK(d, "LEEF:2.0|V|P|1|E||src=1.2.3.4\tdst=5.6.7.8\tusrName=a=b");
    CHECK_FIELD(d, "usrName", "a=b");
    CHECK_OK(d, "LEEF:1.0|V\\|W|P|1|E|");
    CHECK_FIELD(d, "deviceVendor", "V|W");
    CHECK(d->n == 5);
    /* Errors. */
    CHECK(decs(d, "LEEF:3.0|V|P|1|E|a=b") == YG_ESYNTAX && d->e.col == 6 &&
          strstr(d->e.msg, "version"));
    CHECK(decs(d, "LEEF:1.0|V|P") == YG_ESYNTAX && d->e.col == 13);
    CHECK(decs(d, "LEEF:2.0|V|P|1|E|xZZ|a=b") == YG_ESYNTAX && d->e.col == 18 &&
          strstr(d->e.msg, "delimiter"));
    CHECK(decs(d, "LEEF:1.0|V|P|1|E|a=b\tjunk\tc=d") == YG_ESYNTAX && d->e.col == 22 &&
          strstr(d->e.msg, "key=value"));
    CHECK(decs(d, "nothing") == YG_ESYNTAX && d->e.col == 1);
    doc_free(d);
}

/* ---- bad input, every format ---------------------------------------------- */

static const struct yg_linefmt *all_fmts[4];

/* Decode with a byte of other data already in out: on success exactly one
 * valid object is appended; on failure out is unchanged and the error has
 * a column within the line (or just past it) and a reason. */
static void robust(const struct yg_linefmt *f, void *st, const char *line, size_t n)
{
    struct yg_buf b;
    yg_buf_init(&b, 0);
    if (yg_buf_addc(&b, 'X') != YG_OK)
        return;
    struct yg_logsrc ls = {0};
    struct yg_decode_err e = {0, NULL};
    yg_err err = f->decode(st, line, n, &b, &ls, &e);
    if (err == YG_OK) {
        struct yg_arena a;
        yg_arena_init(&a, 4096, 0);
        struct doc *d = calloc(1, sizeof *d);
        d->flat_strings = true;
        struct yg_json_sink s = {d, on_key, on_leaf, NULL};
        struct yg_json_err je;
        size_t used = 0;
        bool ok = b.n > 1 && b.p[1] == '{' &&
                  yg__json_scan(b.p + 1, b.n - 1, &used, &s, &a, &je) == YG_OK && used == b.n - 1 &&
                  d->flat_strings && ls.product;
        CHECK_MSG(ok, "%s: invalid record for %.*s", f->name, (int)(n > 80 ? 80 : n), line);
        free(d);
        yg_arena_free(&a);
    } else {
        CHECK_MSG(err == YG_ESYNTAX && e.msg && e.col >= 1 && e.col <= n + 1 && b.n == 1,
                  "%s: err %d col %zu (n %zu) msg %s out %zu", f->name, err, e.col, n,
                  e.msg ? e.msg : "-", b.n);
    }
    yg_buf_free(&b);
}

static void robust_all(const char *line, size_t n)
{
    for (int i = 0; i < 4; i++) {
        void *st = all_fmts[i]->state_new ? all_fmts[i]->state_new() : NULL;
        robust(all_fmts[i], st, line, n);
        (void)all_fmts[i]->sniff(line, n);
        if (st)
            all_fmts[i]->state_free(st);
    }
}

/* Every prefix of a record: truncated lines at every byte. */
static void prefixes(const char *line)
{
    size_t n = strlen(line);
    char *copy = malloc(n + 1);
    for (size_t k = 0; k <= n; k++) {
        /* An exact-size copy, so ASan sees any read past the prefix. */
        memcpy(copy, line, k);
        char *p = malloc(k ? k : 1);
        memcpy(p, copy, k);
        robust_all(p, k);
        free(p);
    }
    free(copy);
}

static void test_bad_input(void)
{
    all_fmts[0] = &yg__fmt_syslog;
    all_fmts[1] = &yg__fmt_fortigate;
    all_fmts[2] = &yg__fmt_cef;
    all_fmts[3] = &yg__fmt_leef;
    prefixes("<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 "
             "[exampleSDID@32473 iut=\"3\" eventSource=\"Applic\\\"ation\"][b@1 c=\"d\"] "
             "\xEF\xBB\xBFmsg");
    prefixes("Jul  1 00:21:28 combo su(pam_unix)[19630]: session opened for user news\r");
    prefixes("Dec 21 16:42:19 testserver sudo:    alice : TTY=pts/0 ; USER=#-1 ; COMMAND=/bin/id");
    prefixes("<189>date=2019-05-10 time=11:37:47 logid=\"0000000013\" type=\"traffic\" "
             "app=\"Web Management(HTTPS)\" msg=\"a \\\"b\\\" c\"");
    prefixes("Sep 19 08:26:10 host CEF:0|Security|threat\\|manager|1.0|100|worm|10|src=10.0.0.1 "
             "act=blocked a \\= msg=x\\ny\\\\ dst=2.1.2.2");
    prefixes("LEEF:2.0|Lancope|StealthWatch|1.0|41|x5E|src=10.0.1.8^dst=10.0.0.5^sev=5");
    prefixes("LEEF:1.0|Microsoft|MSExchange|4.0 SP1|15345|src=192.0.2.0\tdst=172.50.123.1");

    /* NUL bytes and invalid UTF-8 stay visible in the values. */
    struct doc *d = doc_new(&yg__fmt_syslog);
    static const char nul[] = "Jan  1 00:00:00 host app: a\0b\xff\xfe c";
    CHECK(dec(d, nul, sizeof nul - 1) == YG_OK && d->json_ok);
    /* (the JSON scanner reads \u00ff back as U+00FF, so the raw JSON is checked) */
    CHECK(memmem(d->out.p, d->out.n, "a\\u0000b\\u00ff\\u00fe c", 22) != NULL);
    doc_free(d);
    d = doc_new(&yg__fmt_fortigate);
    static const char fnul[] = "type=\"ev\0nt\" k=\xc3\x28 u=\"\xe6\x97\xa5\xe6\x9c\xac\"";
    CHECK(dec(d, fnul, sizeof fnul - 1) == YG_OK && d->json_ok);
    CHECK(memmem(d->out.p, d->out.n, "\"ev\\u0000nt\"", 12) != NULL);
    CHECK(memmem(d->out.p, d->out.n, "\"\\u00c3(\"", 9) != NULL);
    CHECK_FIELD(d, "u", "\xe6\x97\xa5\xe6\x9c\xac");
    /* Unbalanced quotes: the column of the quote that never closes. */
    CHECK(decs(d, "date=2019-05-10 type=\"event msg=\"x") == YG_ESYNTAX && d->e.col == 22 &&
          strstr(d->e.msg, "unterminated"));
    CHECK(decs(d, "<189>date=1 type=\"event\" msg=\"x y") == YG_ESYNTAX && d->e.col == 30);
    CHECK(decs(d, "date=1 type=event garbage") == YG_ESYNTAX && d->e.col == 26 &&
          strstr(d->e.msg, "key=value"));
    CHECK(decs(d, "date=1 =x type=event") == YG_ESYNTAX && d->e.col == 8);
    CHECK(decs(d, "date=1 logid=2") == YG_ESYNTAX && d->e.col == 1 && strstr(d->e.msg, "type="));
    CHECK(decs(d, "   ") == YG_ESYNTAX && d->e.col == 1);
    doc_free(d);
    d = doc_new(&yg__fmt_syslog);
    CHECK(decs(d, "<13>1 - - - - - [a b=\"c") == YG_ESYNTAX && d->e.col == 24 &&
          strstr(d->e.msg, "unterminated"));
    CHECK(decs(d, "<13>1 2024-01-01 h a p m [x@1 a=\"b\"]") == YG_ESYNTAX && d->e.col == 7 &&
          strstr(d->e.msg, "timestamp"));
    CHECK(decs(d, "<999>x") == YG_ESYNTAX && d->e.col == 2 && strstr(d->e.msg, "PRI"));
    doc_free(d);

    /* Lines over 64 KiB: decoded whole when well formed, refused with a
     * column when not. */
    size_t big = 70000;
    char *line = malloc(big + 200);
    for (int i = 0; i < 4; i++) {
        const char *pre[] = {"Jan  1 00:00:00 host app: ", "type=\"event\" msg=\"",
                             "CEF:0|v|p|1|2|n|3|msg=", "LEEF:1.0|v|p|1|2|msg="};
        size_t pl = strlen(pre[i]);
        memcpy(line, pre[i], pl);
        memset(line + pl, 'A', big);
        size_t n = pl + big;
        if (i == 1)
            line[n++] = '"';
        d = doc_new(all_fmts[i]);
        const char *key = i == 0 ? "message" : "msg";
        CHECK_MSG(dec(d, line, n) == YG_OK && d->json_ok && get(d, key) && get(d, key)->n == big,
                  "%s: long line", all_fmts[i]->name);
        memset(line, 'A', n);
        CHECK_MSG(dec(d, line, n) == YG_ESYNTAX && d->e.msg && d->e.col >= 1 && d->e.col <= n + 1,
                  "%s: long garbage line: err %d", all_fmts[i]->name, d->err);
        robust_all(line, n);
        doc_free(d);
    }
    free(line);

    /* A full output buffer: the error is passed on and out is unchanged. */
    for (int i = 0; i < 4; i++) {
        const char *rec[] = {"Jan  1 00:00:00 host app: a long enough message",
                             "type=\"event\" msg=\"a long enough message\"",
                             "CEF:0|v|p|1|2|n|3|msg=a long enough message",
                             "LEEF:1.0|v|p|1|2|msg=a long enough message"};
        for (size_t cap = 1; cap < 120; cap++) {
            struct yg_buf b;
            yg_buf_init(&b, cap);
            struct yg_logsrc ls = {0};
            struct yg_decode_err e;
            void *st = all_fmts[i]->state_new ? all_fmts[i]->state_new() : NULL;
            yg_err err = all_fmts[i]->decode(st, rec[i], strlen(rec[i]), &b, &ls, &e);
            CHECK_MSG(err == YG_OK || (err == YG_ELIMIT && b.n == 0), "%s cap %zu: err %d n %zu",
                      all_fmts[i]->name, cap, err, b.n);
            if (st)
                all_fmts[i]->state_free(st);
            yg_buf_free(&b);
        }
    }

    /* Random lines over an alphabet of the formats' special bytes. */
    static const char alpha[] = "<>[]=\"\\| :1-T.\t\xff\xc3\x00"
                                "abCEF:LEEF:x5E^type=sudo";
    uint64_t x = 0x9E3779B97F4A7C15ull;
    char r[300];
    for (int it = 0; it < 20000; it++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        size_t n = x % sizeof r;
        for (size_t k = 0; k < n; k++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            r[k] = alpha[x % (sizeof alpha - 1)];
        }
        /* Half of them behind a valid header. */
        if (it & 1) {
            static const char *heads[] = {"Jan  1 00:00:00 h a[1]: ", "<13>1 - h a - - ", "CEF:0|",
                                          "LEEF:2.0|", "type=x "};
            const char *h = heads[it / 2 % 5];
            size_t hl = strlen(h);
            if (n > hl)
                memcpy(r, h, hl);
        }
        char *p = malloc(n ? n : 1);
        memcpy(p, r, n);
        robust_all(p, n);
        free(p);
    }
}

int main(void)
{
    test_split();
    test_syslog_examples();
    test_syslog_loghub();
    test_syslog_not_records();
    test_fortigate_sample();
    test_fortigate_sigma();
    test_cef();
    test_leef();
    test_bad_input();
    TAP_DONE();
}
