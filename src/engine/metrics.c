/*
 * metrics.c - `yagura metrics`: what a set of logs holds, before any rule
 * runs: events per log source, per channel and event id, per computer and
 * per input file (with first and last event time and size on disk).
 *
 * One generated rule with an empty log source selects every event that
 * routes to a log source; the hunt decodes and routes as it always does and
 * hands each event here (yg__evmetrics_hook).  Events routed to no log source
 * reach no rule: the hunt counts them (unrouted_events) and they are shown
 * as one line of their own.
 */
#include "core/jsonstr.h"
#include "engine/analyst.h"

#include <string.h>
#include <sys/stat.h>

#include "engine/coverage.h"

const char yg__evmetrics_rule[] = "title: yagura metrics\n"
                                  "id: 6b1d0c84-2f3e-4a57-9e2c-0d8f1a6b3c70\n"
                                  "status: experimental\n"
                                  "description: every event, to count it\n"
                                  "level: informational\n"
                                  "logsource: {}\n"
                                  "detection:\n"
                                  "    any:\n"
                                  "        EventID|exists: true\n"
                                  "    condition: any or not any\n";

/* The names Windows gives its common events.  Sysmon's ids are read only in
 * Sysmon's channel: the same numbers mean other things elsewhere. */
struct ev_name {
    const char *chan; /* channel (case-insensitive), or "" for any */
    unsigned id;
    const char *name;
};
static const struct ev_name EV_NAMES[] = {
    {"Microsoft-Windows-Sysmon/Operational", 1, "Process creation"},
    {"Microsoft-Windows-Sysmon/Operational", 2, "File creation time changed"},
    {"Microsoft-Windows-Sysmon/Operational", 3, "Network connection"},
    {"Microsoft-Windows-Sysmon/Operational", 4, "Sysmon service state changed"},
    {"Microsoft-Windows-Sysmon/Operational", 5, "Process terminated"},
    {"Microsoft-Windows-Sysmon/Operational", 6, "Driver loaded"},
    {"Microsoft-Windows-Sysmon/Operational", 7, "Image loaded"},
    {"Microsoft-Windows-Sysmon/Operational", 8, "CreateRemoteThread"},
    {"Microsoft-Windows-Sysmon/Operational", 9, "RawAccessRead"},
    {"Microsoft-Windows-Sysmon/Operational", 10, "Process accessed"},
    {"Microsoft-Windows-Sysmon/Operational", 11, "File created"},
    {"Microsoft-Windows-Sysmon/Operational", 12, "Registry object added or deleted"},
    {"Microsoft-Windows-Sysmon/Operational", 13, "Registry value set"},
    {"Microsoft-Windows-Sysmon/Operational", 14, "Registry object renamed"},
    {"Microsoft-Windows-Sysmon/Operational", 15, "File stream created"},
    {"Microsoft-Windows-Sysmon/Operational", 16, "Sysmon configuration changed"},
    {"Microsoft-Windows-Sysmon/Operational", 17, "Pipe created"},
    {"Microsoft-Windows-Sysmon/Operational", 18, "Pipe connected"},
    {"Microsoft-Windows-Sysmon/Operational", 19, "WMI event filter activity"},
    {"Microsoft-Windows-Sysmon/Operational", 20, "WMI event consumer activity"},
    {"Microsoft-Windows-Sysmon/Operational", 21, "WMI consumer to filter activity"},
    {"Microsoft-Windows-Sysmon/Operational", 22, "DNS query"},
    {"Microsoft-Windows-Sysmon/Operational", 23, "File delete archived"},
    {"Microsoft-Windows-Sysmon/Operational", 24, "Clipboard changed"},
    {"Microsoft-Windows-Sysmon/Operational", 25, "Process tampering"},
    {"Microsoft-Windows-Sysmon/Operational", 26, "File delete logged"},
    {"Microsoft-Windows-Sysmon/Operational", 27, "File block executable"},
    {"Microsoft-Windows-Sysmon/Operational", 28, "File block shredding"},
    {"Microsoft-Windows-Sysmon/Operational", 29, "File executable detected"},
    {"Microsoft-Windows-Sysmon/Operational", 255, "Sysmon error"},
    {"Security", 1102, "Audit log cleared"},
    {"Security", 4608, "Windows is starting up"},
    {"Security", 4616, "System time changed"},
    {"Security", 4624, "Logon success"},
    {"Security", 4625, "Logon failure"},
    {"Security", 4634, "Logoff"},
    {"Security", 4647, "User initiated logoff"},
    {"Security", 4648, "Explicit credential logon"},
    {"Security", 4656, "Handle to an object requested"},
    {"Security", 4657, "Registry value modified"},
    {"Security", 4658, "Handle to an object closed"},
    {"Security", 4661, "Handle to an object requested (SAM/AD)"},
    {"Security", 4662, "Operation performed on an object"},
    {"Security", 4663, "Attempt to access an object"},
    {"Security", 4672, "Special privileges assigned to new logon"},
    {"Security", 4673, "Privileged service called"},
    {"Security", 4688, "Process creation"},
    {"Security", 4689, "Process exited"},
    {"Security", 4697, "Service installed"},
    {"Security", 4698, "Scheduled task created"},
    {"Security", 4699, "Scheduled task deleted"},
    {"Security", 4702, "Scheduled task updated"},
    {"Security", 4719, "System audit policy changed"},
    {"Security", 4720, "User account created"},
    {"Security", 4722, "User account enabled"},
    {"Security", 4723, "Password change attempted"},
    {"Security", 4724, "Password reset attempted"},
    {"Security", 4725, "User account disabled"},
    {"Security", 4726, "User account deleted"},
    {"Security", 4728, "Member added to security-enabled global group"},
    {"Security", 4732, "Member added to security-enabled local group"},
    {"Security", 4738, "User account changed"},
    {"Security", 4740, "User account locked out"},
    {"Security", 4742, "Computer account changed"},
    {"Security", 4756, "Member added to security-enabled universal group"},
    {"Security", 4768, "Kerberos TGT requested"},
    {"Security", 4769, "Kerberos service ticket requested"},
    {"Security", 4770, "Kerberos service ticket renewed"},
    {"Security", 4771, "Kerberos pre-authentication failed"},
    {"Security", 4776, "NTLM credential validation"},
    {"Security", 4778, "Session reconnected"},
    {"Security", 4779, "Session disconnected"},
    {"Security", 4798, "User's local group membership enumerated"},
    {"Security", 4799, "Security-enabled local group membership enumerated"},
    {"Security", 4907, "Auditing settings on object changed"},
    {"Security", 5140, "Network share object accessed"},
    {"Security", 5145, "Network share object checked for access"},
    {"Security", 5156, "Filtering Platform connection permitted"},
    {"Security", 5157, "Filtering Platform connection blocked"},
    {"System", 104, "Event log cleared"},
    {"System", 7034, "Service crashed"},
    {"System", 7036, "Service state changed"},
    {"System", 7040, "Service start type changed"},
    {"System", 7045, "Service installed"},
    {"Microsoft-Windows-PowerShell/Operational", 4103, "PowerShell module logging"},
    {"Microsoft-Windows-PowerShell/Operational", 4104, "PowerShell script block"},
    {"Windows PowerShell", 400, "PowerShell engine started"},
    {"Windows PowerShell", 403, "PowerShell engine stopped"},
    {"Windows PowerShell", 600, "PowerShell provider started"},
    {"Windows PowerShell", 800, "PowerShell pipeline execution"},
    {"Microsoft-Windows-TaskScheduler/Operational", 106, "Scheduled task registered"},
    {"Microsoft-Windows-TaskScheduler/Operational", 141, "Scheduled task deleted"},
    {"Microsoft-Windows-TaskScheduler/Operational", 200, "Scheduled task action started"},
    {"Microsoft-Windows-Windows Defender/Operational", 1116, "Malware detected"},
    {"Microsoft-Windows-Windows Defender/Operational", 1117, "Malware action taken"},
    {"Microsoft-Windows-Windows Defender/Operational", 5001, "Real-time protection disabled"},
    {"Microsoft-Windows-TerminalServices-LocalSessionManager/Operational", 21, "RDP session logon"},
    {"Microsoft-Windows-TerminalServices-LocalSessionManager/Operational", 24,
     "RDP session disconnected"},
    {"Microsoft-Windows-TerminalServices-LocalSessionManager/Operational", 25,
     "RDP session reconnected"},
    {"Microsoft-Windows-Bits-Client/Operational", 59, "BITS transfer started"},
    {"Microsoft-Windows-Bits-Client/Operational", 60, "BITS transfer stopped"},
};

const char *yg__event_name(const char *channel, size_t cn, const char *id, size_t idn)
{
    unsigned v = 0;
    if (!idn || idn > 9)
        return NULL;
    for (size_t i = 0; i < idn; i++) {
        if (id[i] < '0' || id[i] > '9')
            return NULL;
        v = v * 10 + (unsigned)(id[i] - '0');
    }
    for (size_t i = 0; i < sizeof EV_NAMES / sizeof *EV_NAMES; i++)
        if (EV_NAMES[i].id == v &&
            yg_str_ieq(EV_NAMES[i].chan, strlen(EV_NAMES[i].chan), channel, cn))
            return EV_NAMES[i].name;
    return NULL;
}

void yg__evmetrics_init(struct yg_evmetrics *m)
{
    memset(m, 0, sizeof *m);
    pthread_mutex_init(&m->mu, NULL);
    yg__cols_init(&m->cols);
}

void yg__evmetrics_free(struct yg_evmetrics *m)
{
    yg__cols_free(&m->cols);
    yg__an_free(&m->lsrc);
    yg__an_free(&m->chan);
    yg__an_free(&m->host);
    yg__an_free(&m->file);
    pthread_mutex_destroy(&m->mu);
}

static void count(struct yg_an_table *t, const char *k, size_t kn, const struct yg_alert_time *tm)
{
    struct yg_an_row *r = yg__an_get(t, k, kn);
    if (!r)
        return;
    r->n[0]++;
    yg__an_time(r, tm);
}

void yg__evmetrics_hook(void *ud, const yg_alert *a, const struct yg_alert_time *t,
                        const char *file)
{
    struct yg_evmetrics *m = ud;
    pthread_mutex_lock(&m->mu);
    m->events++;
    char label[256];
    yg__cov_label(a->logsource_json ? a->logsource_json : "{}", label, sizeof label);
    count(&m->lsrc, label, strlen(label), t);
    count(&m->file, file, strlen(file), t);
    if (yg__cols_fill(&m->cols, a, 0)) {
        m->err = YG_ENOMEM;
    } else {
        const struct yg_cols *c = &m->cols;
        char key[512];
        int k =
            snprintf(key, sizeof key, "%.*s\t%.*s", (int)(c->channel.n > 200 ? 200 : c->channel.n),
                     c->channel.p, (int)(c->event_id.n > 200 ? 200 : c->event_id.n), c->event_id.p);
        if (k > 0)
            count(&m->chan, key, (size_t)k, t);
        if (c->computer.n)
            count(&m->host, c->computer.p, c->computer.n, t);
        else
            count(&m->host, "(none)", 6, t);
    }
    if (m->lsrc.oom || m->chan.oom || m->host.oom || m->file.oom)
        m->err = YG_ENOMEM;
    pthread_mutex_unlock(&m->mu);
}

/* ---- printing ---------------------------------------------------------- */

static void fmt_time(int64_t ms, bool set, char out[YG_TIME_TEXT])
{
    out[0] = 0;
    if (set)
        yg__time_format(ms, out);
}

static void csv_cell(FILE *f, const char *s, size_t n)
{
    bool q = false;
    for (size_t i = 0; i < n; i++)
        if (s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r')
            q = true;
    if (!q) {
        fwrite(s, 1, n, f);
        return;
    }
    fputc('"', f);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"')
            fputc('"', f);
        fputc(s[i], f);
    }
    fputc('"', f);
}

enum sect { S_LSRC, S_EID, S_HOST, S_FILE };
static const char *const SECT_NAME[] = {"log_sources", "event_ids", "computers", "files"};
static const char *const SECT_TITLE[] = {"Events per log source", "Events per channel and event id",
                                         "Events per computer", "Events per input file"};

static void print_row(FILE *out, enum yg_an_format f, enum sect s, const struct yg_an_row *r,
                      bool first_row)
{
    char t0[YG_TIME_TEXT], t1[YG_TIME_TEXT];
    bool timed = r->first_ms != INT64_MAX;
    fmt_time(r->first_ms, timed, t0);
    fmt_time(r->last_ms, timed, t1);
    const char *key = r->key, *eid = "";
    size_t kn = strlen(key);
    const char *tab = s == S_EID ? strchr(key, '\t') : NULL;
    const char *name = NULL;
    if (tab) {
        kn = (size_t)(tab - key);
        eid = tab + 1;
        name = yg__event_name(key, kn, eid, strlen(eid));
    }
    if (f == YG_AN_TABLE) {
        if (s == S_EID)
            fprintf(out, "  %10llu  %-40.*s %-8s %s\n", (unsigned long long)r->n[0], (int)kn, key,
                    *eid ? eid : "-", name ? name : "");
        else if (s == S_FILE)
            fprintf(out, "  %10llu  %12llu  %-24s  %-24s  %s\n", (unsigned long long)r->n[0],
                    (unsigned long long)r->size, timed ? t0 : "-", timed ? t1 : "-", key);
        else
            fprintf(out, "  %10llu  %-24s  %-24s  %s\n", (unsigned long long)r->n[0],
                    timed ? t0 : "-", timed ? t1 : "-", key);
    } else if (f == YG_AN_CSV) {
        fprintf(out, "%s,", SECT_NAME[s]);
        csv_cell(out, key, kn);
        fputc(',', out);
        csv_cell(out, eid, strlen(eid));
        fputc(',', out);
        if (name)
            csv_cell(out, name, strlen(name));
        fprintf(out, ",%llu,%s,%s,", (unsigned long long)r->n[0], t0, t1);
        if (s == S_FILE)
            fprintf(out, "%llu", (unsigned long long)r->size);
        fputc('\n', out);
    } else {
        fprintf(out, "%s{\"%s\":", first_row ? "" : ",",
                s == S_LSRC   ? "log_source"
                : s == S_EID  ? "channel"
                : s == S_HOST ? "computer"
                              : "file");
        yg__json_str_fput(out, key, kn);
        if (s == S_EID) {
            fputs(",\"event_id\":", out);
            yg__json_str_fput(out, eid, strlen(eid));
            fputs(",\"name\":", out);
            if (name)
                yg__json_str_fput(out, name, strlen(name));
            else
                fputs("null", out);
        }
        fprintf(out, ",\"events\":%llu", (unsigned long long)r->n[0]);
        fputs(",\"first\":", out);
        timed ? yg__json_str_fput(out, t0, strlen(t0)) : (void)fputs("null", out);
        fputs(",\"last\":", out);
        timed ? yg__json_str_fput(out, t1, strlen(t1)) : (void)fputs("null", out);
        if (s == S_FILE)
            fprintf(out, ",\"bytes\":%llu", (unsigned long long)r->size);
        fputc('}', out);
    }
}

yg_err yg__evmetrics_print(struct yg_evmetrics *m, enum yg_an_format f, uint64_t unrouted,
                           FILE *out)
{
    if (m->err)
        return m->err;
    struct yg_an_table *tabs[] = {&m->lsrc, &m->chan, &m->host, &m->file};
    for (size_t i = 0; i < 4; i++)
        yg__an_sort(tabs[i]);
    for (size_t i = 0; i < m->file.n; i++) {
        struct stat st;
        if (strcmp(m->file.rows[i].key, "-") != 0 && stat(m->file.rows[i].key, &st) == 0)
            m->file.rows[i].size = (uint64_t)st.st_size;
    }
    if (f == YG_AN_CSV)
        fputs("table,key,event_id,name,events,first,last,bytes\n", out);
    if (f == YG_AN_JSON)
        fprintf(out, "{\"events\":%llu,\"unrouted_events\":%llu", (unsigned long long)m->events,
                (unsigned long long)unrouted);
    if (f == YG_AN_TABLE)
        fprintf(out, "Events: %llu routed to a log source, %llu to none\n",
                (unsigned long long)m->events, (unsigned long long)unrouted);
    for (size_t s = 0; s < 4; s++) {
        const struct yg_an_table *t = tabs[s];
        if (f == YG_AN_JSON)
            fprintf(out, ",\"%s\":[", SECT_NAME[s]);
        if (f == YG_AN_TABLE) {
            fprintf(out, "\n%s\n", SECT_TITLE[s]);
            if (s == S_EID)
                fprintf(out, "  %10s  %-40s %-8s %s\n", "events", "channel", "id", "name");
            else if (s == S_FILE)
                fprintf(out, "  %10s  %12s  %-24s  %-24s  %s\n", "events", "bytes", "first", "last",
                        "file");
            else
                fprintf(out, "  %10s  %-24s  %-24s  %s\n", "events", "first", "last",
                        s == S_LSRC ? "log source" : "computer");
        }
        for (size_t i = 0; i < t->n; i++)
            print_row(out, f, (enum sect)s, &t->rows[i], i == 0);
        if (s == S_LSRC && unrouted) {
            /* Events that reached no log source: known only by number. */
            if (f == YG_AN_TABLE)
                fprintf(out, "  %10llu  %-24s  %-24s  %s\n", (unsigned long long)unrouted, "-", "-",
                        "(no log source)");
            else if (f == YG_AN_CSV)
                fprintf(out, "log_sources,(no log source),,,%llu,,,\n",
                        (unsigned long long)unrouted);
        }
        if (f == YG_AN_JSON)
            fputc(']', out);
    }
    if (f == YG_AN_JSON)
        fputs("}\n", out);
    return ferror(out) ? YG_EIO : YG_OK;
}
