/*
 * bench_decode.c - throughput of each line decoder, one core.
 *
 *   bench_decode [--mb N] [--shared DIR] [--format NAME] [--write DIR] [--cpu]
 *
 * For each format, the records of its real sample in ../shared/logs (or, for
 * formats no public sample covers, lines built here shaped exactly like the
 * format's documentation examples: W3C/IIS and combined access logs, nginx
 * error logs, the Purview CSV export, CEF, LEEF) are repeated into an in-memory buffer of N
 * MiB (default 256), header lines once at the top.  The decoder then runs
 * over every line as `yagura hunt` runs it, and the benchmark prints MB/s and
 * records/s per core.  Generated lines are deterministic.  With --write, the
 * buffers are also written to DIR/<format>.log (a format's second input to
 * DIR/<format>.2.log, and so on) for whole-program runs
 * (bench/run_decode_bench.sh compares decoding with a full hunt).
 *
 * Never run by the test suite (see bench/README.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "decode/format.h"

struct sample {
    const char *fmt;
    /* Relative to the shared folder; NULL: lines built here for fmt;
     * "gen:NAME": lines built here by the generator NAME. */
    const char *path;
    int target; /* MB/s per core the format must reach, 0: none set */
};

static const struct sample samples[] = {
    {"syslog", "logs/loghub/OpenSSH_2k.log", 500},
    {"syslog", "logs/loghub/Linux_2k.log", 500},
    {"fortigate", "logs/elastic-integrations/fortinet_fortigate/test-fortinet-7-4.log", 500},
    {"cef", NULL, 500},
    {"leef", NULL, 500},
    {"asa", "logs/elastic-integrations/cisco_asa/test-anyconnect-messages.log", 500},
    {"pulse", "logs/elastic-integrations/pulse_connect_secure/test-log-vpn.log", 500},
    {"netscaler", "logs/elastic-integrations/citrix_adc/test-citrix-sslvpn-message.log", 500},
    {"panos",
     "logs/elastic-integrations/panw_globalprotect/test-panw-panos-globalprotect-sample.log", 500},
    {"w3c", NULL, 500},
    {"combined", NULL, 500},
    /* The error logs the same decoder reads (docs/sources-net.md). */
    {"combined", "logs/loghub/Apache_2k.log", 500},
    {"combined", "gen:nginx_error", 500},
    {"zeek", "logs/zed-sample-data/zeek-default/dns.log.gz", 0},
    {"zeek_json", "logs/zed-sample-data/zeek-json/dns.json.gz", 0},
    {"suricata", "logs/elastic-integrations/suricata/test-eve-6-0.log", 0},
    {"m365", "logs/elastic-integrations/o365/test-exchange-item.log", 0},
    {"m365_csv", NULL, 500},
    {"entra", "logs/elastic-integrations/azure_signinlogs/test-signinlogs-raw.log", 0},
    {"cisco_ios", NULL, 500},
    {"text", "logs/loghub/Linux_2k.log", 500},
    /* No shared sample: the vendor documentation and public sample lines kept
     * in the tree (`tree:` paths are relative to the source folder). */
    {"sonicwall", "tree:tests/appliances/sonicwall.log", 500},
    {"sophos", "tree:tests/appliances/sophos.log", 500},
    {"checkpoint", "tree:tests/appliances/checkpoint.log", 500},
    {"junos", "tree:tests/appliances/junos.log", 500},
    {"f5apm", "tree:tests/appliances/f5apm.log", 500},
    {"asa", "tree:tests/appliances/pix.log", 500},
};

/* Wall time, or with --cpu the process's CPU time: on a machine shared with
 * other jobs the CPU time of this single-threaded loop is the steadier
 * figure (cache and memory contention still count). */
static clockid_t clock_id = CLOCK_MONOTONIC;

static double now(void)
{
    struct timespec t;
    clock_gettime(clock_id, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static char *slurp(const char *path, size_t *n)
{
    gzFile f = gzopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 20, len = 0;
    char *b = malloc(cap);
    int r;
    while (b && (r = gzread(f, b + len, (unsigned)(cap - len))) > 0) {
        len += (size_t)r;
        if (len == cap)
            b = realloc(b, cap *= 2);
    }
    gzclose(f);
    *n = len;
    return b;
}

/* Deterministic lines shaped like the documentation examples of the formats
 * without a public sample. */
static char *generate(const char *fmt, size_t *n)
{
    size_t cap = 1 << 20, len = 0;
    char *b = malloc(cap);
    unsigned long long x = 0x9E3779B97F4A7C15ull;
    static const char *const nginx[] = {
        /* nginx's own messages, as in its documentation and bug reports. */
        "[alert] 1234#0: worker process 5678 exited on signal 6 (core dumped)",
        "[notice] 1#1: signal 17 (SIGCHLD) received from 5678",
        /* Request errors, with the context ngx_http_log_error appends. */
        "[error] 31#31: *%u open() \"/usr/share/nginx/html%s\" failed (2: No such file or "
        "directory), client: 203.0.113.%u, server: localhost, request: \"GET %s HTTP/1.1\", "
        "host: \"localhost:8080\", referrer: \"http://localhost:8080/\"",
        "[error] 31#31: *%u upstream timed out (110: Connection timed out) while reading "
        "response header from upstream, client: 203.0.113.%u, server: example.com, request: "
        "\"POST %s HTTP/1.1\", upstream: \"http://127.0.0.1:8080%s\", host: \"example.com\""};
    static const char *paths[] = {
        "/index.html",
        "/remote/login",
        "/dana-na/auth/url_default/welcome.cgi",
        "/api/v1/configuration/users/user-roles/user-role/rest-userrole1/saml-sso",
        "/owa/auth/logon.aspx",
        "/images/logo.png",
        "/vpn/index.html"};
    if (!strcmp(fmt, "w3c"))
        len +=
            (size_t)snprintf(b + len, cap - len,
                             "#Software: Microsoft Internet Information Services 10.0\n"
                             "#Version: 1.0\n#Date: 2024-01-10 00:00:00\n"
                             "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port "
                             "cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus "
                             "sc-win32-status time-taken\n");
    for (int i = 0; i < 2000 && len + 2048 < cap; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        const char *p = paths[x % 7];
        unsigned a = (unsigned)(x >> 8) & 255, c = (unsigned)(x >> 16) & 255,
                 st = (x >> 24) % 5 ? 200 : 404;
        if (!strcmp(fmt, "w3c"))
            len +=
                (size_t)snprintf(b + len, cap - len,
                                 "2024-01-10 08:%02d:%02d 10.0.0.5 GET %s id=%u 443 - 203.0.113.%u "
                                 "Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64) - %u 0 0 %u\n",
                                 i / 60 % 60, i % 60, p, a, c, st, a);
        else if (!strcmp(fmt, "combined"))
            len +=
                (size_t)snprintf(b + len, cap - len,
                                 "203.0.113.%u - - [10/Oct/2000:13:%02d:%02d -0700] \"GET %s?id=%u "
                                 "HTTP/1.1\" %u %u \"http://www.example.com/start.html\" "
                                 "\"Mozilla/4.08 [en] (Win98; I ;Nav)\"\n",
                                 c, i / 60 % 60, i % 60, p, a, st, 2326 + a);
        else if (!strcmp(fmt, "nginx_error")) {
            int k = x % 8 < 2 ? (int)(x % 8) : x % 8 < 5 ? 2 : 3;
            len += (size_t)snprintf(b + len, cap - len, "2024/05/01 12:%02d:%02d ", i / 60 % 60,
                                    i % 60);
            if (k == 2)
                len += (size_t)snprintf(b + len, cap - len, nginx[2], a, p, c, p);
            else if (k == 3)
                len += (size_t)snprintf(b + len, cap - len, nginx[3], a, c, p, p);
            else
                len += (size_t)snprintf(b + len, cap - len, "%s", nginx[k]);
            b[len++] = '\n';
        } else if (!strcmp(fmt, "cisco_ios"))
            len += (size_t)snprintf(
                b + len, cap - len, "%06d: *Mar  1 18:%02d:%02d.%03u UTC: %s\n", i, i / 60 % 60,
                i % 60, a,
                x % 3 ? "%SEC_LOGIN-5-LOGIN_SUCCESS: Login Success [user: admin] [Source: "
                        "10.4.2.11] [localport: 22] at 18:46:11 UTC Fri Mar 1 2024"
                      : "%PARSER-5-CFGLOG_LOGGEDCMD: User:admin  logged command:show "
                        "running-config");
        else if (!strcmp(fmt, "cef"))
            len += (size_t)snprintf(
                b + len, cap - len,
                "CEF:0|Security|threatmanager|1.0|100|worm successfully stopped|10|"
                "src=10.0.0.%u dst=2.1.2.%u spt=%u request=%s act=blocked "
                "msg=Detected a threat. No action needed.\n",
                a, c, 1024 + a, p);
        else if (!strcmp(fmt, "leef"))
            len += (size_t)snprintf(
                b + len, cap - len,
                "LEEF:2.0|Lancope|StealthWatch|1.0|41|^|src=10.0.1.%u^dst=10.0.0.%u^"
                "sev=5^cat=anomaly^srcPort=%u^url=%s\n",
                a, c, 1024 + a, p);
        else if (!strcmp(fmt, "m365_csv")) {
            if (i == 0)
                len += (size_t)snprintf(b + len, cap - len,
                                        "CreationDate,UserIds,Operations,AuditData\n");
            len += (size_t)snprintf(
                b + len, cap - len,
                "2024-01-10T08:%02d:%02d.0000000Z,user%u@contoso.com,FileDownloaded,\"{"
                "\"\"CreationTime\"\":"
                "\"\"2024-01-10T08:%02d:%02d\"\",\"\"Id\"\":\"\"%08x-1111-2222-3333-"
                "444455556666\"\","
                "\"\"Operation\"\":\"\"FileDownloaded\"\",\"\"RecordType\"\":6,\"\"UserType\"\":0,"
                "\"\"Workload\"\":\"\"SharePoint\"\",\"\"ClientIP\"\":\"\"203.0.113.%u\"\","
                "\"\"UserId\"\":\"\"user%u@contoso.com\"\",\"\"ObjectId\"\":\"\"https://"
                "contoso.sharepoint.com"
                "%s\"\"}\"\n",
                i / 60 % 60, i % 60, a, i / 60 % 60, i % 60, (unsigned)x, c, a, p);
        }
    }
    *n = len;
    return b;
}

int main(int argc, char **argv)
{
    size_t mb = 256;
    const char *shared = "../shared", *only = NULL, *write_dir = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--mb") && i + 1 < argc)
            mb = (size_t)atol(argv[++i]);
        else if (!strcmp(argv[i], "--shared") && i + 1 < argc)
            shared = argv[++i];
        else if (!strcmp(argv[i], "--format") && i + 1 < argc)
            only = argv[++i];
        else if (!strcmp(argv[i], "--write") && i + 1 < argc)
            write_dir = argv[++i];
        else if (!strcmp(argv[i], "--cpu"))
            clock_id = CLOCK_PROCESS_CPUTIME_ID;
        else {
            fprintf(stderr,
                    "usage: bench_decode [--mb N] [--shared DIR] [--format NAME] [--write DIR] "
                    "[--cpu]\n");
            return 2;
        }
    }
    printf("%-10s %-62s %8s %10s %12s %8s\n", "format", "input", "MB", "MB/s", "records/s",
           "target");
    int missed = 0;
    for (size_t k = 0; k < sizeof samples / sizeof *samples; k++) {
        const struct sample *sm = &samples[k];
        if (only && strcmp(only, sm->fmt))
            continue;
        const struct yg_linefmt *f = yg__format_find(sm->fmt);
        if (!f) {
            printf("%-10s (decoder not linked)\n", sm->fmt);
            continue;
        }
        size_t n = 0;
        char *src;
        char path[4096];
        if (sm->path && !strncmp(sm->path, "tree:", 5)) {
            /* This file's folder is bench/ in the source tree. */
            const char *slash = strrchr(__FILE__, '/');
            int dl = slash ? (int)(slash - __FILE__) : 1;
            snprintf(path, sizeof path, "%.*s/../%s", dl, slash ? __FILE__ : ".", sm->path + 5);
            src = slurp(path, &n);
        } else if (sm->path && !strncmp(sm->path, "gen:", 4)) {
            snprintf(path, sizeof path, "(generated, %s documentation shape)", sm->path + 4);
            src = generate(sm->path + 4, &n);
        } else if (sm->path) {
            snprintf(path, sizeof path, "%s/%s", shared, sm->path);
            src = slurp(path, &n);
        } else {
            snprintf(path, sizeof path, "(generated, %s documentation shape)", sm->fmt);
            src = generate(sm->fmt, &n);
        }
        if (!src || !n) {
            printf("%-10s %s: cannot read\n", sm->fmt, path);
            free(src);
            continue;
        }
        /* Headers once, then records repeated up to the size. */
        size_t want = mb << 20, len = 0;
        char *buf = malloc(want + n + 1);
        for (size_t i = 0; i < n;) {
            char *e = memchr(src + i, '\n', n - i);
            size_t l = e ? (size_t)(e - src - i) + 1 : n - i;
            if (src[i] == '#') {
                memcpy(buf + len, src + i, l);
                len += l;
            }
            i += l;
        }
        size_t body0 = len;
        while (len < want) {
            for (size_t i = 0; i < n && len < want;) {
                char *e = memchr(src + i, '\n', n - i);
                size_t l = e ? (size_t)(e - src - i) + 1 : n - i;
                if (src[i] != '#' && l > 1) {
                    memcpy(buf + len, src + i, l);
                    len += l;
                }
                i += l;
            }
            if (len == body0)
                break;
        }
        if (write_dir) {
            char out_path[4096];
            int nth = 1; /* this input's number among its format's */
            for (size_t j = 0; j < k; j++)
                nth += !strcmp(samples[j].fmt, sm->fmt);
            if (nth == 1)
                snprintf(out_path, sizeof out_path, "%s/%s.log", write_dir, sm->fmt);
            else
                snprintf(out_path, sizeof out_path, "%s/%s.%d.log", write_dir, sm->fmt, nth);
            FILE *wf = fopen(out_path, "wb");
            if (wf) {
                fwrite(buf, 1, len, wf);
                fclose(wf);
            }
        }
        void *st = f->state_new ? f->state_new() : NULL;
        struct yg_buf out;
        yg_buf_init(&out, 1u << 26);
        size_t recs = 0, errs = 0;
        double t0 = now();
        for (size_t i = 0; i < len;) {
            char *e = memchr(buf + i, '\n', len - i);
            size_t l = e ? (size_t)(e - buf - i) : len - i;
            size_t ll = l && buf[i + l - 1] == '\r' ? l - 1 : l;
            struct yg_logsrc ls;
            struct yg_decode_err de;
            out.n = 0;
            yg_err r = f->decode(st, buf + i, ll, &out, &ls, &de);
            recs += r == YG_OK;
            errs += r == YG_ESYNTAX;
            i += l + 1;
        }
        double dt = now() - t0;
        double mbs = (double)len / 1e6 / dt;
        printf("%-10s %-62.62s %8.1f %10.1f %12.0f %8s%s\n", sm->fmt, path, (double)len / 1e6, mbs,
               (double)recs / dt, sm->target ? (mbs >= sm->target ? "PASS" : "MISS") : "-",
               errs ? " (some lines rejected)" : "");
        if (sm->target && mbs < sm->target)
            missed++;
        if (f->state_free)
            f->state_free(st);
        yg_buf_free(&out);
        free(buf);
        free(src);
    }
    return missed ? 1 : 0;
}
