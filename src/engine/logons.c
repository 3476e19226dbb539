/*
 * logons.c - `yagura logons`: successful and failed logons per account,
 * source, computer, logon type and protocol, from every source Yagura
 * decodes that records them (docs/yagura-logons.md lists what counts).
 *
 * Generated Sigma rules select the records (one rule per source, so the
 * hunt's routing and prefilter do the selecting); the hook reads the
 * columns from the event and decides success or failure.  A record is one
 * count: appliances that log several records per attempt (Ivanti's primary
 * authentication, then its login) count each.
 */
#include "core/jsonstr.h"
#include "engine/analyst.h"

#include <string.h>

#include "geo/geo.h"

enum src { L_WIN, L_PULSE, L_ASA, L_NETSCALER, L_GP, L_FORTI, L_ENTRA, L_M365, L_N };

/* The rule ids end in the source's number, so the hook knows its source. */
#define LOGON_ID "c8a4e1f2-7b3d-4e59-a0c6-5d2f8b9e10"

const char yg__logons_rules[] =
    "title: yagura logons Windows\n"
    "id: " LOGON_ID "00\n"
    "level: informational\n"
    "logsource: {product: windows, service: security}\n"
    "detection:\n"
    "    s:\n"
    "        EventID: [4624, 4625, 4648, 4768, 4771, 4776]\n"
    "    condition: s\n"
    "---\n"
    "title: yagura logons Ivanti Connect Secure\n"
    "id: " LOGON_ID "01\n"
    "level: informational\n"
    "logsource: {product: ivanti, service: connect_secure}\n"
    "detection:\n"
    "    s:\n"
    "        message|contains: ['authentication successful', 'authentication failed',\n"
    "                           'login succeeded', 'login failed']\n"
    "    condition: s\n"
    "---\n"
    "title: yagura logons Cisco ASA\n"
    "id: " LOGON_ID "02\n"
    "level: informational\n"
    "logsource: {product: cisco, service: asa}\n"
    "detection:\n"
    "    s:\n"
    "        message_id: ['113004', '113005', '113012', '113015', '113039', '611101',\n"
    "                     '611102', '716039']\n"
    "    condition: s\n"
    "---\n"
    "title: yagura logons NetScaler\n"
    "id: " LOGON_ID "03\n"
    "level: informational\n"
    "logsource: {product: citrix, service: netscaler}\n"
    "detection:\n"
    "    s:\n"
    "        event_type: [LOGIN, LOGIN_FAILED]\n"
    "    condition: s\n"
    "---\n"
    "title: yagura logons GlobalProtect\n"
    "id: " LOGON_ID "04\n"
    "level: informational\n"
    "logsource: {product: paloalto, service: globalprotect}\n"
    "detection:\n"
    "    s:\n"
    "        event_id: [portal-auth, gateway-auth]\n"
    "    condition: s\n"
    "---\n"
    "title: yagura logons FortiGate\n"
    "id: " LOGON_ID "05\n"
    "level: informational\n"
    "logsource: {product: fortigate}\n"
    "detection:\n"
    "    s:\n"
    "        logdesc: ['Admin login successful', 'Admin login failed', 'SSL VPN login fail',\n"
    "                  'Authentication success', 'Authentication failed', 'SSL VPN tunnel up']\n"
    "    condition: s\n"
    "---\n"
    "title: yagura logons Entra ID\n"
    "id: " LOGON_ID "06\n"
    "level: informational\n"
    "logsource: {product: azure, service: signinlogs}\n"
    "detection:\n"
    "    s:\n"
    "        SomeField|exists: true\n"
    "    condition: s or not s\n"
    "---\n"
    "title: yagura logons Microsoft 365\n"
    "id: " LOGON_ID "07\n"
    "level: informational\n"
    "logsource: {product: m365}\n"
    "detection:\n"
    "    s:\n"
    "        - UserLoggedIn\n"
    "        - UserLoginFailed\n"
    "    condition: s\n";

void yg__logons_init(struct yg_logons *l, const struct yg_geo *geo)
{
    memset(l, 0, sizeof *l);
    pthread_mutex_init(&l->mu, NULL);
    yg__cols_init(&l->cols);
    l->geo = geo;
}

void yg__logons_free(struct yg_logons *l)
{
    yg__cols_free(&l->cols);
    yg__an_free(&l->rows);
    pthread_mutex_destroy(&l->mu);
}

static struct yg_str S(const char *s) {
    return (struct yg_str){s, strlen(s)};
}

static bool
eq(struct yg_str v, const char *s)
{
    return yg_str_ieq(v.p, v.n, s, strlen(s));
}

static bool has(struct yg_str v, const char *s)
{
    return yg_memimem(v.p, v.n, s, strlen(s)) != NULL;
}

/* The first present of names, or "". */
static struct yg_str first(const struct yg_cols *c, const char *const *names)
{
    for (; *names; names++) {
        struct yg_str v = yg__an_leaf(c, *names);
        if (v.n)
            return v;
    }
    return S("");
}

/* "0x0" and "0": a Windows or Entra status that means success. */
static bool zero_status(struct yg_str v)
{
    return eq(v, "0x0") || eq(v, "0") || eq(v, "0x00000000");
}

/* Windows' logon types by name, as the analyst reads them ("3 Network"). */
static struct yg_str logon_type(struct yg_str v)
{
    static const char *const names[] = {NULL,
                                        NULL,
                                        "2 Interactive",
                                        "3 Network",
                                        "4 Batch",
                                        "5 Service",
                                        NULL,
                                        "7 Unlock",
                                        "8 NetworkCleartext",
                                        "9 NewCredentials",
                                        "10 RemoteInteractive",
                                        "11 CachedInteractive",
                                        "12 CachedRemoteInteractive",
                                        "13 CachedUnlock"};
    unsigned n = 0;
    for (size_t i = 0; i < v.n && i < 3; i++) {
        if (v.p[i] < '0' || v.p[i] > '9')
            return v;
        n = n * 10 + (unsigned)(v.p[i] - '0');
    }
    if (v.n == 0 || v.n > 2 || n >= sizeof names / sizeof *names || !names[n])
        return v;
    return S(names[n]);
}

struct logon {
    struct yg_str account, source, computer, type, protocol;
    int ok; /* 1 success, 0 failure, -1 not a logon */
};

static struct logon classify(enum src s, const struct yg_cols *c)
{
    struct logon l = {c->user, c->src_ip, c->computer, S("-"), S(""), -1};
    switch (s) {
    case L_WIN: {
        struct yg_str id = c->event_id;
        l.account = yg__an_leaf(c, "TargetUserName");
        l.source = yg__an_leaf(c, "IpAddress");
        struct yg_str st = yg__an_leaf(c, "Status");
        if (eq(id, "4624") || eq(id, "4625")) {
            l.ok = eq(id, "4624");
            l.type = logon_type(yg__an_leaf(c, "LogonType"));
            l.protocol = yg__an_leaf(c, "AuthenticationPackageName");
        } else if (eq(id, "4648")) {
            l.ok = 1;
            l.protocol = S("explicit credentials");
        } else if (eq(id, "4768")) {
            l.ok = zero_status(st);
            l.protocol = S("Kerberos TGT");
        } else if (eq(id, "4771")) {
            l.ok = 0;
            l.protocol = S("Kerberos pre-auth");
        } else if (eq(id, "4776")) {
            l.ok = zero_status(st);
            l.protocol = S("NTLM validation");
            /* 4776 names the client's workstation, not its address. */
            l.source = yg__an_leaf(c, "Workstation");
        }
        break;
    }
    case L_PULSE: {
        struct yg_str m = yg__an_leaf(c, "message");
        l.computer = first(c, (const char *const[]){"vpn", "syslog_host", NULL});
        l.protocol = S("Ivanti Connect Secure");
        l.source = yg__an_leaf(c, "src");
        if (has(m, "authentication successful") || has(m, "login succeeded"))
            l.ok = 1;
        else if (has(m, "authentication failed") || has(m, "login failed"))
            l.ok = 0;
        break;
    }
    case L_ASA: {
        struct yg_str id = yg__an_leaf(c, "message_id");
        l.computer = yg__an_leaf(c, "syslog_host");
        l.protocol = eq(id, "113039") ? S("AnyConnect") : S("Cisco ASA AAA");
        l.ok = eq(id, "113004") || eq(id, "113012") || eq(id, "113039") || eq(id, "611101");
        break;
    }
    case L_NETSCALER: {
        struct yg_str t = yg__an_leaf(c, "event_type");
        l.computer = yg__an_leaf(c, "host");
        l.source = yg__an_leaf(c, "client_ip");
        l.protocol = S("NetScaler SSL VPN");
        l.ok = eq(t, "LOGIN") ? 1 : eq(t, "LOGIN_FAILED") ? 0 : -1;
        break;
    }
    case L_GP: {
        l.account = yg__an_leaf(c, "srcuser");
        l.source = yg__an_leaf(c, "public_ip");
        l.computer = yg__an_leaf(c, "machine_name");
        l.type = yg__an_leaf(c, "event_id");
        l.protocol = S("GlobalProtect");
        l.ok = eq(yg__an_leaf(c, "status"), "success");
        break;
    }
    case L_FORTI: {
        struct yg_str d = yg__an_leaf(c, "logdesc");
        l.account = yg__an_leaf(c, "user");
        l.source = first(c, (const char *const[]){"remip", "srcip", NULL});
        l.computer = yg__an_leaf(c, "devname");
        l.type = yg__an_leaf(c, "subtype");
        l.protocol = S("FortiGate");
        l.ok = has(d, "fail") ? 0 : 1;
        break;
    }
    case L_ENTRA: {
        l.account = first(
            c, (const char *const[]){"userPrincipalName", "UserPrincipalName", "identity", NULL});
        l.source =
            first(c, (const char *const[]){"ipAddress", "IPAddress", "callerIpAddress", NULL});
        l.computer = first(c, (const char *const[]){"appDisplayName", "AppDisplayName", NULL});
        l.type = first(c, (const char *const[]){"clientAppUsed", "ClientAppUsed", NULL});
        l.protocol = S("Entra ID");
        struct yg_str code = first(c, (const char *const[]){"errorCode", "ResultType", NULL});
        l.ok = code.n ? zero_status(code) : -1;
        break;
    }
    case L_M365: {
        struct yg_str op = yg__an_leaf(c, "Operation");
        l.account = yg__an_leaf(c, "UserId");
        l.source = first(c, (const char *const[]){"ClientIP", "ActorIpAddress", NULL});
        l.computer = yg__an_leaf(c, "Workload");
        l.protocol = S("Microsoft 365");
        l.ok = eq(op, "UserLoggedIn") ? 1 : eq(op, "UserLoginFailed") ? 0 : -1;
        break;
    }
    default: break;
    }
    return l;
}

/* One cell of the key: blanks for tabs and line breaks, "-" when empty. */
static void add_cell(char *key, size_t cap, size_t *k, struct yg_str v, bool last)
{
    if (v.n >= 2 && v.p[0] == '[' && v.p[v.n - 1] == ']') {
        v.p++;
        v.n -= 2; /* [::1] as ::1 */
    }
    if (v.n > 7 && !memcmp(v.p, "::ffff:", 7) && memchr(v.p + 7, '.', v.n - 7)) {
        v.p += 7; /* an IPv4 address as Windows writes it on a dual stack */
        v.n -= 7;
    }
    if (!v.n)
        v = S("-");
    for (size_t i = 0; i < v.n && *k + 2 < cap && i < 256; i++) {
        char ch = v.p[i];
        key[(*k)++] = ch == '\t' || ch == '\n' || ch == '\r' ? ' ' : ch;
    }
    if (!last && *k + 1 < cap)
        key[(*k)++] = '\t';
}

void yg__logons_hook(void *ud, const yg_alert *a, const struct yg_alert_time *t, const char *file)
{
    (void)file;
    struct yg_logons *l = ud;
    size_t idn = strlen(LOGON_ID);
    if (!a->rule_id || strncmp(a->rule_id, LOGON_ID, idn) != 0)
        return;
    int s = (a->rule_id[idn] - '0') * 10 + (a->rule_id[idn + 1] - '0');
    if (s < 0 || s >= L_N)
        return;
    pthread_mutex_lock(&l->mu);
    if (yg__cols_fill(&l->cols, a, 0)) {
        l->err = YG_ENOMEM;
    } else {
        struct logon g = classify((enum src)s, &l->cols);
        if (g.ok >= 0) {
            char key[1400];
            size_t k = 0;
            add_cell(key, sizeof key, &k, g.account, false);
            add_cell(key, sizeof key, &k, g.source, false);
            add_cell(key, sizeof key, &k, g.computer, false);
            add_cell(key, sizeof key, &k, g.type, false);
            add_cell(key, sizeof key, &k, g.protocol, true);
            struct yg_an_row *r = yg__an_get(&l->rows, key, k);
            if (r) {
                r->n[g.ok ? 0 : 1]++;
                yg__an_time(r, t);
            }
            if (g.ok)
                l->success++;
            else
                l->failure++;
        }
        if (l->rows.oom)
            l->err = YG_ENOMEM;
    }
    pthread_mutex_unlock(&l->mu);
}

/* ---- printing ---------------------------------------------------------- */

static const char *const COLS[] = {"account", "source", "computer", "logon_type", "protocol"};

static void cell_csv(FILE *f, const char *s, size_t n)
{
    bool q = false;
    for (size_t i = 0; i < n; i++)
        q |= s[i] == ',' || s[i] == '"';
    if (q)
        fputc('"', f);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"')
            fputc('"', f);
        fputc(s[i], f);
    }
    if (q)
        fputc('"', f);
}

yg_err yg__logons_print(struct yg_logons *l, enum yg_an_format f, FILE *out)
{
    if (l->err)
        return l->err;
    yg__an_sort(&l->rows);
    bool geo = l->geo != NULL;
    if (f == YG_AN_TABLE)
        fprintf(out,
                "Logons: %llu successful, %llu failed\n\n%8s %8s  %-24s  %-24s  %-24s  %-18s%s"
                "  %-20s %-10s %s\n",
                (unsigned long long)l->success, (unsigned long long)l->failure, "success",
                "failure", "first", "last", "account", "source", geo ? "  country" : "", "computer",
                "type", "protocol");
    else if (f == YG_AN_CSV)
        fprintf(out, "success,failure,first,last,account,source,%scomputer,logon_type,protocol\n",
                geo ? "country," : "");
    else
        fprintf(out, "{\"success\":%llu,\"failure\":%llu,\"logons\":[",
                (unsigned long long)l->success, (unsigned long long)l->failure);
    for (size_t i = 0; i < l->rows.n; i++) {
        const struct yg_an_row *r = &l->rows.rows[i];
        struct yg_str cell[5];
        const char *p = r->key;
        for (int k = 0; k < 5; k++) {
            const char *e = strchr(p, '\t');
            size_t n = e ? (size_t)(e - p) : strlen(p);
            cell[k] = (struct yg_str){p, n};
            p = e ? e + 1 : p + n;
        }
        char t0[YG_TIME_TEXT] = "-", t1[YG_TIME_TEXT] = "-";
        if (r->first_ms != INT64_MAX) {
            yg__time_format(r->first_ms, t0);
            yg__time_format(r->last_ms, t1);
        }
        char country[4] = "";
        if (geo) {
            struct yg_geo_info gi;
            if (yg__geo_lookup(l->geo, cell[1].p, cell[1].n, &gi) == YG_OK)
                memcpy(country, gi.country, sizeof country);
        }
        if (f == YG_AN_TABLE) {
            fprintf(out, "%8llu %8llu  %-24s  %-24s  %-24.*s  %-18.*s", (unsigned long long)r->n[0],
                    (unsigned long long)r->n[1], t0, t1, (int)cell[0].n, cell[0].p, (int)cell[1].n,
                    cell[1].p);
            if (geo)
                fprintf(out, "  %-7s", *country ? country : "-");
            fprintf(out, "  %-20.*s %-10.*s %.*s\n", (int)cell[2].n, cell[2].p, (int)cell[3].n,
                    cell[3].p, (int)cell[4].n, cell[4].p);
        } else if (f == YG_AN_CSV) {
            fprintf(out, "%llu,%llu,%s,%s", (unsigned long long)r->n[0],
                    (unsigned long long)r->n[1], r->first_ms != INT64_MAX ? t0 : "",
                    r->first_ms != INT64_MAX ? t1 : "");
            for (int k = 0; k < 5; k++) {
                fputc(',', out);
                cell_csv(out, cell[k].p, cell[k].n);
                if (k == 1 && geo)
                    fprintf(out, ",%s", country);
            }
            fputc('\n', out);
        } else {
            fprintf(out, "%s{\"success\":%llu,\"failure\":%llu,\"first\":", i ? "," : "",
                    (unsigned long long)r->n[0], (unsigned long long)r->n[1]);
            if (r->first_ms != INT64_MAX) {
                yg__json_str_fput(out, t0, strlen(t0));
                fputs(",\"last\":", out);
                yg__json_str_fput(out, t1, strlen(t1));
            } else {
                fputs("null,\"last\":null", out);
            }
            for (int k = 0; k < 5; k++) {
                fprintf(out, ",\"%s\":", COLS[k]);
                yg__json_str_fput(out, cell[k].p, cell[k].n);
            }
            if (geo) {
                fputs(",\"country\":", out);
                if (*country)
                    yg__json_str_fput(out, country, strlen(country));
                else
                    fputs("null", out);
            }
            fputc('}', out);
        }
    }
    if (f == YG_AN_JSON)
        fputs("]}\n", out);
    return ferror(out) ? YG_EIO : YG_OK;
}
