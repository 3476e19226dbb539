/*
 * test_fmt_m365.c - the Microsoft cloud decoders: m365, m365_csv, entra.
 *
 * Every record of the real samples in ../shared decodes (Elastic's o365 and
 * Azure sign-in test logs, the OTRF Golden SAML Sentinel exports, Panther's
 * rule tests), with values spot-checked.  For every Panther rule that has a
 * Sigma equivalent in rules/, the decoded fields carry the values that rule
 * tests.  No real Purview CSV export exists in the shared data, so the CSV
 * lines here are built from the real JSON records, quoted as the Purview
 * export quotes them (header line, AuditData quoted with its quotes
 * doubled), and must decode to exactly what the JSON decodes to.  Bad input
 * gives an error with a column and a reason, and failing allocations are
 * survived.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode/fmt_m365.h"
#include "tap.h"

extern const struct yg_linefmt yg__fmt_m365, yg__fmt_m365_csv, yg__fmt_entra;

#define LOGS YG_SHARED_DIR "/logs/"

struct dec {
    const struct yg_linefmt *f;
    void *st;
    struct yg_buf out;
    struct yg_logsrc ls;
    struct yg_decode_err e;
};

static void dec_open(struct dec *d, const struct yg_linefmt *f)
{
    memset(d, 0, sizeof *d);
    d->f = f;
    d->st = f->state_new();
    yg_buf_init(&d->out, 0);
}

static void dec_close(struct dec *d)
{
    d->f->state_free(d->st);
    yg_buf_free(&d->out);
}

/* Decode one line; the output is NUL-terminated in d->out.p. */
static yg_err dec_line(struct dec *d, const char *line, size_t n)
{
    d->out.n = 0;
    memset(&d->ls, 0, sizeof d->ls);
    memset(&d->e, 0, sizeof d->e);
    yg_err err = d->f->decode(d->st, line, n, &d->out, &d->ls, &d->e);
    if (yg_buf_addc(&d->out, 0) == YG_OK)
        d->out.n--;
    return err;
}

static bool has(const struct dec *d, const char *s)
{
    return strstr(d->out.p, s) != NULL;
}

static bool ls_is(const struct dec *d, const char *product, const char *service)
{
    return d->ls.product && strcmp(d->ls.product, product) == 0 &&
           ((!service && !d->ls.service) ||
            (service && d->ls.service && strcmp(d->ls.service, service) == 0));
}

static char *slurp(const char *path, size_t *n)
{
    char *p = NULL;
    if (yg_file_read(path, 64u << 20, &p, n) != YG_OK)
        return NULL;
    return p;
}

/* Call fn on every non-empty line of a file; returns the line count. */
static int each_line(const char *path, void (*fn)(void *, const char *, size_t, int), void *ud)
{
    size_t n;
    char *p = slurp(path, &n);
    CHECK_MSG(p != NULL, "cannot read %s", path);
    if (!p)
        return 0;
    int lines = 0;
    for (size_t i = 0; i < n;) {
        const char *nl = memchr(p + i, '\n', n - i);
        size_t e = nl ? (size_t)(nl - p) : n;
        if (e > i)
            fn(ud, p + i, e - i, ++lines);
        i = e + 1;
    }
    free(p);
    return lines;
}

/* ---- real samples ---------------------------------------------------- */

struct run {
    struct dec *d;
    const char *file;
    const char *product;
    int ok;
};

static void decode_one(void *ud, const char *line, size_t n, int no)
{
    struct run *r = ud;
    yg_err err = dec_line(r->d, line, n);
    CHECK_MSG(err == YG_OK, "%s:%d: %s at column %zu", r->file, no,
              r->d->e.msg ? r->d->e.msg : yg_strerror(err), r->d->e.col);
    CHECK_MSG(r->d->f->sniff(line, n) >= 80, "%s:%d: sniff %d", r->file, no,
              r->d->f->sniff(line, n));
    if (err == YG_OK) {
        CHECK_MSG(r->d->ls.product && strcmp(r->d->ls.product, r->product) == 0,
                  "%s:%d: product %s", r->file, no, r->d->ls.product);
        CHECK(r->d->out.n > 2 && r->d->out.p[0] == '{' && r->d->out.p[r->d->out.n - 1] == '}');
        r->ok++;
    }
}

static int decode_file(const struct yg_linefmt *f, const char *path, const char *product)
{
    struct dec d;
    dec_open(&d, f);
    struct run r = {&d, path, product, 0};
    int lines = each_line(path, decode_one, &r);
    CHECK_MSG(r.ok == lines && lines > 0, "%s: %d of %d records decoded", path, r.ok, lines);
    dec_close(&d);
    return r.ok;
}

static void test_samples(void)
{
    int n = 0;
    n +=
        decode_file(&yg__fmt_m365, LOGS "elastic-integrations/o365/test-exchange-item.log", "m365");
    n += decode_file(
        &yg__fmt_m365,
        LOGS "elastic-integrations/o365/test-sharepointfileop-events.unique-originals.jsonl",
        "m365");
    n += decode_file(
        &yg__fmt_m365,
        LOGS "otrf-security-datasets/GoldenSAMLADFSMailAccess/OfficeActivityEvents.json", "m365");
    n += decode_file(&yg__fmt_entra,
                     LOGS "otrf-security-datasets/GoldenSAMLADFSMailAccess/AADAuditEvents.json",
                     "azure");
    n += decode_file(&yg__fmt_entra,
                     LOGS "elastic-integrations/azure_signinlogs/test-signinlogs-raw.log", "azure");
    CHECK_MSG(n == 24, "%d sample records", n);
}

/* The first record of a file, decoded. */
static void first_record(struct dec *d, const char *path)
{
    size_t n;
    char *p = slurp(path, &n);
    CHECK_MSG(p != NULL, "cannot read %s", path);
    if (!p)
        return;
    const char *nl = memchr(p, '\n', n);
    CHECK(dec_line(d, p, nl ? (size_t)(nl - p) : n) == YG_OK);
    free(p);
}

static void test_spot_checks(void)
{
    struct dec d;
    dec_open(&d, &yg__fmt_m365);
    first_record(&d, LOGS "elastic-integrations/o365/test-exchange-item.log");
    CHECK(ls_is(&d, "m365", "exchange"));
    CHECK(has(&d, "\"Operation\":\"Create\""));
    CHECK(has(&d, "\"eventSource\":\"Exchange\""));
    CHECK(has(&d, "\"eventName\":\"Create\""));
    CHECK(has(&d, "\"status\":\"success\""));
    CHECK(has(&d, "\"Item.ParentFolder.Path\":\"\\\\Inbox\""));
    CHECK(has(&d, "\"RecordType\":\"2\""));        /* numbers as their text */
    CHECK(has(&d, "\"ExternalAccess\":\"true\"")); /* booleans too */
    CHECK(has(&d, "\"Payload\":\"{\\\"OrganizationName\\\""));
    first_record(&d, LOGS
                 "elastic-integrations/o365/test-sharepointfileop-events.unique-originals.jsonl");
    CHECK(ls_is(&d, "m365", "audit"));
    CHECK(has(&d, "\"Operation\":\"FileDeleted\""));
    CHECK(has(&d, "\"ClientIP\":\"67.43.156.15\""));
    /* Sentinel OfficeActivity: workload under OfficeWorkload, nested values
     * as JSON strings that are flattened too. */
    first_record(&d,
                 LOGS "otrf-security-datasets/GoldenSAMLADFSMailAccess/OfficeActivityEvents.json");
    CHECK(ls_is(&d, "m365", "exchange"));
    CHECK(has(&d, "\"Workload\":\"Exchange\""));
    CHECK(has(&d, "\"ClientIP\":\"1.2.3.4\""));
    CHECK(has(&d, "\"Operation\":\"MailItemsAccessed\""));
    CHECK(has(&d, "\"OperationProperties.MailAccessType\":\"Bind\""));
    CHECK(has(&d, "\"Folders.Path\":\"\\\\Inbox\""));
    CHECK(has(&d, "\"UserDomain\":[\"@simulandlabs.com\",\".simulandlabs.com\"]"));
    dec_close(&d);

    dec_open(&d, &yg__fmt_entra);
    first_record(&d, LOGS "elastic-integrations/azure_signinlogs/test-signinlogs-raw.log");
    CHECK(ls_is(&d, "azure", "signinlogs"));
    CHECK(has(&d, "\"properties.appDisplayName\":\"Office 365\""));
    CHECK(has(&d, "\"appDisplayName\":\"Office 365\""));
    CHECK(has(&d, "\"resultType\":\"50140\""));
    CHECK(has(&d, "\"ResultDescription\":") || has(&d, "\"resultDescription\":\"This error"));
    CHECK(has(&d, "\"Status\":[\"Failure\",\"This error occurred"));
    CHECK(has(&d, "\"deviceDetail.operatingSystem\":\"MacOs\""));
    CHECK(has(&d, "\"LocationDetails.city\":\"Champs-Sur-Marne\""));
    CHECK(has(&d, "\"ClientApp\":\"Browser\""));
    first_record(&d, LOGS "otrf-security-datasets/GoldenSAMLADFSMailAccess/AADAuditEvents.json");
    CHECK(ls_is(&d, "azure", "auditlogs"));
    CHECK(has(&d, "\"Category\":\"ApplicationManagement\""));
    CHECK(has(&d, "\"properties.message\":\"Update application \\u2013 Certificates") ||
          has(&d, "\"properties.message\":\"Update application \xe2\x80\x93 Certificates"));
    CHECK(has(&d, "\"InitiatedBy.user.userPrincipalName\":\"pgustavo@simulandlabs.com\""));
    CHECK(has(&d, "\"TargetResources.modifiedProperties.displayName\":[\"KeyDescription\""));
    CHECK(has(&d, "\"AdditionalDetails.User-Agent\":\"Mozilla/5.0"));
    CHECK(has(&d, "\"Status\":\"success\""));
    dec_close(&d);
}

/* ---- Panther's rule tests ------------------------------------------------ */

/* What the Sigma equivalent of a Panther rule (rules/m365, rules/azure)
 * reads, per Panther test: a decoded field and value that must be present
 * (expected alert) or absent (no alert), as the rule's selection needs. */
static const struct {
    const char *test;  /* Panther test_name */
    const char *field; /* `"name":value` text that the decoded record holds */
    bool present;
} panther_checks[] = {
    {"External Organization Forwarding",
     "\"parameters.ForwardingSmtpAddress\":\"smtp:peter.griffin@familyguy.com\"", true},
    {"External Organization Forwarding",
     "\"UserDomain\":[\"@simpsons.onmicrosoft.com\",\".simpsons.onmicrosoft.com\"]", true},
    {"Internal Organization Forwarding", "\"UserDomain\":[\"@simpsons.com\",\".simpsons.com\"]",
     true},
    {"Suspicious Forwarding Pattern", "\"parameters.ForwardTo\":\"external@example.com\"", true},
    {"Internal Forwarding with Suspicious Pattern", "\"parameters.ForwardTo\"", false},
    {"Failed Login event", "\"Operation\":\"UserLoginFailed\"", true},
    {"Failed Login event", "\"RequestType\":\"Login:login\"", true},
    {"MFA Remove event", "\"ModifiedProperties.StrongAuthenticationMethod.NewValue\":\"[]\"", true},
    {"MFA Add Event", "\"ModifiedProperties.StrongAuthenticationMethod.OldValue\":\"[]\"", true},
    {"External user", "\"TargetUserOrGroupName\":\"OUTSIDER@EXTERNAL.IO\"", true},
    {"Allowed Folder", "\"SourceRelativeUrl\":\"Documents/External/public.docx\"", true},
    {"Account Lockout Error 50053", "\"resultType\":[\"Failure\",\"50053\"]", true},
    {"Device Code Auth with Broker Client",
     "\"conditionalAccessAudiences.applicationId\":[\"29d9ed98-a469-4536-ade2-f981bc1d605e\"",
     true},
    {"High Risk During Sign-In", "\"riskLevelDuringSignIn\":\"high\"", true},
    {"High Risk Dismissed", "\"riskState\":\"dismissed\"", true},
    {"Successful Invite external user",
     "\"additionalDetails.invitedUserEmailAddress\":\"john@justice.org\"", true},
    {"Successful Invite external user", "\"InitiatedByUserDomain\":[\"@lotr.com\",\".lotr.com\"]",
     true},
    {"Sign-In with legacy auth", "\"userAgent\":\"BAV2ROPC\"", true},
    {"MFA Disabled Successful",
     "\"targetResources.modifiedProperties.oldValue.grantControls.builtInControls\":\"MFA\"", true},
    {"MFA Disabled Successful",
     "\"targetResources.modifiedProperties.newValue.grantControls.builtInControls\"", false},
    {"Authentication Methods Policy OIDC Discovery URL Changed",
     "\"targetResources.modifiedProperties.newValue.discoveryUrl\":\"https://attacker-idp.evil.com/"
     ".well-known/openid-configuration\"",
     true},
    {"Set Federation Settings", "\"operationName\":\"Set federation settings on domain\"", true},
    {"ROPC Login Without MFA", "\"authenticationProtocol\":\"ropc\"", true},
    {"VS Code to Microsoft Graph", "\"appId\":\"aebc6443-996d-45c2-90f0-388ff96faa56\"", true},
    {"Add Service Principal Credentials",
     "\"activityDisplayName\":\"Add service principal credentials\"", true},
    {"Successfully added PIM role",
     "\"operationName\":\"Add member to role in PIM completed (permanent)\"", true},
    {"Policy Changed", "\"properties.result\":\"success\"", true},
};

struct panther {
    struct dec m365, entra;
    int records, covered, checked;
};

/* Panther's test lines are {"panther_rule_id", ..., "log": {...}} with the
 * record last: cut it out without a JSON library. */
static bool panther_log(const char *line, size_t n, const char **log, size_t *ln)
{
    static const char key[] = "\"log\": ";
    const char *k = NULL;
    for (size_t i = 0; i + sizeof key - 1 <= n; i++)
        if (memcmp(line + i, key, sizeof key - 1) == 0)
            k = line + i;
    if (!k || line[n - 1] != '}')
        return false;
    *log = k + sizeof key - 1;
    *ln = (size_t)(line + n - 1 - *log);
    return true;
}

/* Lines are not NUL-terminated: search within the line only. */
static bool contains(const char *line, size_t n, const char *s)
{
    return memmem(line, n, s, strlen(s)) != NULL;
}

static void panther_one(void *ud, const char *line, size_t n, int no)
{
    struct panther *pt = ud;
    const char *log;
    size_t ln;
    CHECK_MSG(panther_log(line, n, &log, &ln), "panther line %d: no log", no);
    if (!panther_log(line, n, &log, &ln))
        return;
    pt->records++;
    /* The format the hunt would pick: the better sniff. */
    int sm = yg__fmt_m365.sniff(log, ln), se = yg__fmt_entra.sniff(log, ln);
    struct dec *d = sm >= se ? &pt->m365 : &pt->entra;
    yg_err err = dec_line(d, log, ln);
    CHECK_MSG(err == YG_OK, "panther line %d: %s at %zu", no, d->e.msg, d->e.col);
    bool m365 = contains(line, n, "\"log_type\": \"Microsoft365.Audit.");
    bool azure = contains(line, n, "\"log_type\": \"Azure.Audit\"");
    if (m365 || azure) {
        pt->covered++;
        CHECK_MSG(ls_is(d, m365 ? "m365" : "azure", d->ls.service) && d->ls.service,
                  "panther line %d: log source %s/%s", no, d->ls.product, d->ls.service);
    }
    for (size_t i = 0; i < sizeof panther_checks / sizeof *panther_checks; i++) {
        char name[256];
        snprintf(name, sizeof name, "\"test_name\": \"%s\",", panther_checks[i].test);
        if (!contains(line, n, name))
            continue;
        pt->checked++;
        CHECK_MSG(has(d, panther_checks[i].field) == panther_checks[i].present,
                  "panther test '%s': %s should be %s in %.300s", panther_checks[i].test,
                  panther_checks[i].field, panther_checks[i].present ? "present" : "absent",
                  d->out.p);
    }
}

static void test_panther(void)
{
    static const char *const files[] = {
        "Azure_Audit",
        "Microsoft365_Audit_AzureActiveDirectory",
        "Microsoft365_Audit_Exchange",
        "Microsoft365_Audit_SharePoint",
        "MicrosoftDefenderXDR_AdvancedHunting",
        "MicrosoftGraph_SecurityAlertV2",
        "MicrosoftIntune_AuditLogs",
        "MicrosoftIntune_OperationalLogs",
        "Windows_EventLogs",
    };
    struct panther pt = {0};
    dec_open(&pt.m365, &yg__fmt_m365);
    dec_open(&pt.entra, &yg__fmt_entra);
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        char path[512];
        snprintf(path, sizeof path, LOGS "panther-analysis-tests/%s.tests.jsonl", files[i]);
        each_line(path, panther_one, &pt);
    }
    CHECK_MSG(pt.records == 80, "%d Panther records", pt.records);
    CHECK_MSG(pt.covered == 66, "%d Panther records of Microsoft 365 and Entra", pt.covered);
    CHECK_MSG(pt.checked >= (int)(sizeof panther_checks / sizeof *panther_checks),
              "%d Panther checks ran", pt.checked);
    dec_close(&pt.m365);
    dec_close(&pt.entra);
}

/* ---- the Purview CSV export ----------------------------------------------- */

/* Quote s as an RFC 4180 field, as the Purview export does. */
static void csv_quote(struct yg_buf *b, const char *s, size_t n)
{
    CHECK(yg_buf_addc(b, '"') == YG_OK);
    bool ok = true;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"')
            ok &= yg_buf_addc(b, '"') == YG_OK;
        ok &= yg_buf_addc(b, s[i]) == YG_OK;
    }
    ok &= yg_buf_addc(b, '"') == YG_OK;
    CHECK(ok);
}

struct csvrun {
    struct dec json, csv;
    struct yg_buf line;
    bool newer; /* the RecordId,...,AuditData,AssociatedAdminUnits layout */
    int n;
};

static void csv_one(void *ud, const char *rec, size_t n, int no)
{
    struct csvrun *r = ud;
    r->line.n = 0;
    if (r->newer) {
        CHECK(yg_buf_addf(&r->line, "a1b2c3d4-%04d,2024-05-01T10:00:00.0000000Z,ExchangeAdmin,",
                          no) == YG_OK);
        csv_quote(&r->line, "Set-Mailbox", 11);
        CHECK(yg_buf_add(&r->line, ",user@example.com,", 18) == YG_OK);
        csv_quote(&r->line, rec, n);
        CHECK(yg_buf_add(&r->line, ",,", 2) == YG_OK);
    } else {
        static const char cols[] = "2024-05-01T10:00:00.0000000Z,user@example.com,Op,";
        CHECK(yg_buf_add(&r->line, cols, sizeof cols - 1) == YG_OK);
        csv_quote(&r->line, rec, n);
    }
    CHECK(dec_line(&r->json, rec, n) == YG_OK);
    CHECK_MSG(dec_line(&r->csv, r->line.p, r->line.n) == YG_OK, "csv line %d: %s at %zu", no,
              r->csv.e.msg, r->csv.e.col);
    CHECK(yg__fmt_m365_csv.sniff(r->line.p, r->line.n) >= 60);
    CHECK_MSG(r->json.out.n == r->csv.out.n &&
                  memcmp(r->json.out.p, r->csv.out.p, r->json.out.n) == 0,
              "csv line %d decodes differently from its JSON", no);
    CHECK(r->json.ls.service == r->csv.ls.service);
    r->n++;
}

static void test_csv(void)
{
    static const char classic[] = "\xEF\xBB\xBF"
                                  "CreationDate,UserIds,Operations,AuditData";
    static const char newer[] = "RecordId,CreationDate,RecordType,Operation,UserId,AuditData,"
                                "AssociatedAdminUnits,AssociatedAdminUnitsNames\r";
    static const char *const sources[] = {
        LOGS "elastic-integrations/o365/test-exchange-item.log",
        LOGS "elastic-integrations/o365/test-sharepointfileop-events.unique-originals.jsonl",
        LOGS "otrf-security-datasets/GoldenSAMLADFSMailAccess/OfficeActivityEvents.json",
    };
    for (int layout = 0; layout < 2; layout++) {
        struct csvrun r;
        memset(&r, 0, sizeof r);
        dec_open(&r.json, &yg__fmt_m365);
        dec_open(&r.csv, &yg__fmt_m365_csv);
        yg_buf_init(&r.line, 0);
        r.newer = layout == 1;
        const char *h = layout ? newer : classic;
        CHECK(yg__fmt_m365_csv.sniff(h, strlen(h)) == 95);
        CHECK(dec_line(&r.csv, h, strlen(h)) == YG_EOF);
        for (size_t i = 0; i < sizeof sources / sizeof *sources; i++)
            each_line(sources[i], csv_one, &r);
        CHECK_MSG(r.n == 15, "%d CSV records", r.n);
        /* Blank lines give no record. */
        CHECK(dec_line(&r.csv, "", 0) == YG_EOF);
        CHECK(dec_line(&r.csv, "\r", 1) == YG_EOF);
        yg_buf_free(&r.line);
        dec_close(&r.json);
        dec_close(&r.csv);
    }
}

/* ---- bad input ------------------------------------------------------------ */

#define BAD(d, s, col_, what)                                                                      \
    do {                                                                                           \
        yg_err err_ = dec_line(d, s, sizeof s - 1);                                                \
        CHECK_MSG(err_ == YG_ESYNTAX, "%s: %s", what, yg_strerror(err_));                          \
        CHECK_MSG((d)->e.col == (col_) && (d)->e.msg && (d)->e.msg[0], "%s: column %zu %s", what,  \
                  (d)->e.col, (d)->e.msg ? (d)->e.msg : "(none)");                                 \
        CHECK((d)->out.n == 0);                                                                    \
    } while (0)

static void test_bad_json(void)
{
    struct dec d;
    const struct yg_linefmt *fmts[] = {&yg__fmt_m365, &yg__fmt_entra};
    for (size_t f = 0; f < 2; f++) {
        dec_open(&d, fmts[f]);
        BAD(&d, "{\"Operation\":\"Set-Mailbox\",\"Workload\":\"Exch", 44, "truncated string");
        BAD(&d, "{\"Operation\":\"Set-Mailbox\",", 28, "truncated object");
        BAD(&d, "{\"Operation\":\"Set\0Mailbox\"}", 18, "NUL in a string");
        BAD(&d, "{\"Operation\":\0}", 14, "NUL as a value");
        BAD(&d, "[1,2]", 1, "not an object");
        BAD(&d, "", 1, "empty line");
        BAD(&d, "{\"a\":1} x", 9, "data after the object");
        BAD(&d, "{\"a\":\"\\x\"}", 7, "bad escape");
        BAD(&d, "{\"a\":tru}", 6, "bad literal");
        /* Invalid UTF-8 is data: decoded, each bad byte visible as \u00XX. */
        CHECK(dec_line(&d, "{\"Operation\":\"a\xff\xc3z\"}", 20) == YG_OK);
        CHECK(has(&d, "\"Operation\":\"a\\u00ff\\u00c3z\""));
        /* Nesting beyond the scanner's limit. */
        char deep[400];
        size_t k = 0;
        deep[k++] = '{';
        deep[k++] = '"';
        deep[k++] = 'a';
        deep[k++] = '"';
        deep[k++] = ':';
        for (int i = 0; i < 100; i++)
            deep[k++] = '[';
        CHECK(dec_line(&d, deep, k) == YG_ESYNTAX && d.e.col > 0 && d.e.msg);
        dec_close(&d);
    }
}

static void test_long_lines(void)
{
    struct dec d;
    dec_open(&d, &yg__fmt_m365);
    /* A 100 KiB record decodes whole; cut short it is an error at its end. */
    struct yg_buf b;
    yg_buf_init(&b, 0);
    CHECK(yg_buf_add(&b,
                     "{\"Operation\":\"New-InboxRule\",\"Workload\":\"Exchange\",\"Subject\":\"",
                     62) == YG_OK);
    bool ok = true;
    for (int i = 0; i < 100 * 1024; i++)
        ok &= yg_buf_addc(&b, (char)('a' + i % 26)) == YG_OK;
    CHECK(ok);
    CHECK(yg_buf_add(&b, "\"}", 2) == YG_OK);
    CHECK(dec_line(&d, b.p, b.n) == YG_OK);
    CHECK(d.out.n > 200 * 1024); /* the value, and Payload with it */
    /* Written piece by piece: no room for six bytes per input byte kept. */
    CHECK(d.out.cap <= 4 * d.out.n);
    CHECK(has(&d, "\"eventName\":\"New-InboxRule\""));
    CHECK(dec_line(&d, b.p, b.n - 2) == YG_ESYNTAX && d.e.col == b.n - 1);
    /* Past the event cap: refused, not decoded. */
    yg_buf_reset(&b);
    CHECK(yg_buf_add(&b, "{\"a\":\"", 6) == YG_OK);
    while (ok && b.n <= YG_MAX_EVENT_BYTES)
        ok &= yg_buf_add(&b, "xxxxxxxxxxxxxxxx", 16) == YG_OK;
    CHECK(ok);
    CHECK(yg_buf_add(&b, "\"}", 2) == YG_OK);
    CHECK(dec_line(&d, b.p, b.n) == YG_ESYNTAX && d.e.col == 1);
    /* Many keys: fields beyond the cap are dropped, the record still decodes. */
    yg_buf_reset(&b);
    CHECK(yg_buf_addc(&b, '{') == YG_OK);
    for (unsigned i = 0; i < YG_MAX_EVENT_FIELDS + 100; i++)
        ok &= yg_buf_addf(&b, "%s\"k%u\":%u", i ? "," : "", i, i) == YG_OK;
    CHECK(ok);
    CHECK(yg_buf_add(&b, ",\"Operation\":\"x\"}", 17) == YG_OK);
    CHECK(dec_line(&d, b.p, b.n) == YG_OK);
    CHECK(has(&d, "\"k0\":\"0\"") && !has(&d, "\"k4196\""));
    /* The elements of an array of objects share their keys' paths: three
     * keys per element for half the cap of leaves is far more keys than
     * the cap, yet the key after the array still has its path. */
    yg_buf_reset(&b);
    CHECK(yg_buf_add(&b, "{\"A\":[", 6) == YG_OK);
    for (unsigned i = 0; i < YG_MAX_EVENT_FIELDS / 2; i++)
        ok &= yg_buf_addf(&b, "%s{\"a\":{\"b\":{\"c\":%u}}}", i ? "," : "", i) == YG_OK;
    CHECK(ok);
    CHECK(yg_buf_add(&b, "],\"Operation\":\"last\"}", 21) == YG_OK);
    CHECK(dec_line(&d, b.p, b.n) == YG_OK);
    CHECK(has(&d, "\"Operation\":\"last\""));
    yg_buf_free(&b);
    dec_close(&d);
}

static void test_bad_csv(void)
{
    struct dec d;
    dec_open(&d, &yg__fmt_m365_csv);
    static const char rec[] = "2024-05-01,u@example.com,Op,\"{\"\"Operation\"\":\"\"x\"\"}\"";
    BAD(&d, rec, 1, "record before the header");
    CHECK(dec_line(&d, "CreationDate,UserIds,Operations,AuditData", 41) == YG_EOF);
    CHECK(dec_line(&d, rec, sizeof rec - 1) == YG_OK);
    CHECK(has(&d, "\"Operation\":\"x\"") && ls_is(&d, "m365", "audit"));
    BAD(&d, "2024-05-01,u,Op,\"{\"\"Operation\"\":\"\"x\"\"}", 17, "quote not closed");
    BAD(&d, "2024-05-01,u,Op,\"{\"Operation\":1}\"", 20, "undoubled quote inside a field");
    BAD(&d, "2024-05-01,u\"x,Op,\"{}\"", 13, "quote in an unquoted field");
    BAD(&d, "2024-05-01,u,Op", 16, "missing AuditData column");
    /* A JSON error inside AuditData is reported at its column in the line:
     * the doubled quotes before it count twice. */
    BAD(&d, "2024-05-01,u,Op,\"{\"\"Operation\"\":\"\"x\"\",}\"", 39, "bad JSON in AuditData");
    BAD(&d, "2024-05-01,u,Op,\"{\"\"a\"\":\"\"b\0\"\"}\"", 28, "NUL in AuditData");
    dec_close(&d);
}

/* ---- allocation failures ---------------------------------------------------- */

static void test_alloc_failures(void)
{
    static const char rec[] =
        "{\"Operation\":\"Set-Mailbox\",\"Workload\":\"Exchange\",\"UserId\":\"a@b.com\","
        "\"Parameters\":[{\"Name\":\"ForwardingSmtpAddress\",\"Value\":\"smtp:x@y.com\"}],"
        "\"TargetResources\":\"[{\\\"id\\\":\\\"1\\\",\\\"modifiedProperties\\\":[{"
        "\\\"displayName\\\":\\\"x\\\",\\\"newValue\\\":\\\"y\\\"}]}]\"}";
    const struct yg_linefmt *fmts[] = {&yg__fmt_m365, &yg__fmt_entra};
    for (size_t f = 0; f < 2; f++) {
        int failures = 0;
        for (long n = 1; n < 200; n++) {
            struct dec d;
            memset(&d, 0, sizeof d);
            d.f = fmts[f];
            yg_buf_init(&d.out, 0);
            yg__alloc_fail_after(n);
            d.st = d.f->state_new();
            yg_err err =
                d.st ? d.f->decode(d.st, rec, sizeof rec - 1, &d.out, &d.ls, &d.e) : YG_ENOMEM;
            yg__alloc_fail_after(0);
            if (d.st)
                d.f->state_free(d.st);
            yg_buf_free(&d.out);
            CHECK_MSG(err == YG_OK || err == YG_ENOMEM, "allocation %ld: %s", n, yg_strerror(err));
            if (err == YG_OK)
                break;
            failures++;
        }
        CHECK(failures > 0);
    }
}

/* ---- the flattener's details ------------------------------------------------- */

static void test_flattener(void)
{
    struct dec d;
    dec_open(&d, &yg__fmt_m365);
    /* Pairs in either key order; arrays keep every element; repeated names
     * become arrays; null stays null; empty containers are their text. */
    static const char r1[] =
        "{\"Operation\":\"Set-Mailbox\",\"Workload\":\"Exchange\","
        "\"Parameters\":[{\"Name\":\"A\",\"Value\":\"1\"},{\"Value\":\"2\",\"Name\":\"B\"},"
        "{\"Name\":\"A\",\"Value\":\"3\"}],\"X\":null,\"E\":[],\"Arr\":[1,\"two\",true]}";
    CHECK(dec_line(&d, r1, sizeof r1 - 1) == YG_OK);
    CHECK(has(&d, "\"Parameters.A\":[\"1\",\"3\"]"));
    CHECK(has(&d, "\"Parameters.B\":\"2\""));
    CHECK(has(&d, "\"Parameters.Name\":[\"A\",\"B\",\"A\"]"));
    CHECK(has(&d, "\"X\":null"));
    CHECK(has(&d, "\"E\":\"[]\""));
    CHECK(has(&d, "\"Arr\":[\"1\",\"two\",\"true\"]"));
    CHECK(ls_is(&d, "m365", "exchange"));
    /* An alert record: threat_management, its name as eventName. */
    static const char r2[] =
        "{\"Operation\":\"AlertTriggered\",\"Workload\":\"SecurityComplianceCenter\","
        "\"RecordType\":40,\"AlertId\":\"1\",\"Name\":\"Suspicious inbox forwarding\","
        "\"Status\":\"Active\",\"Category\":\"ThreatManagement\"}";
    CHECK(dec_line(&d, r2, sizeof r2 - 1) == YG_OK);
    CHECK(ls_is(&d, "m365", "threat_management"));
    CHECK(has(&d, "\"eventName\":[\"AlertTriggered\",\"Suspicious inbox forwarding\"]"));
    CHECK(has(&d, "\"eventSource\":\"SecurityComplianceCenter\""));
    CHECK(has(&d, "\"Status\":[\"Active\",\"success\"]"));
    /* Keys differing only in case are one field; a string that only looks
     * like JSON stays a plain string. */
    static const char r3[] = "{\"operation\":\"a\",\"OPERATION\":\"b\",\"S\":\"[not json\"}";
    CHECK(dec_line(&d, r3, sizeof r3 - 1) == YG_OK);
    CHECK(has(&d, "\"operation\":[\"a\",\"b\"]"));
    CHECK(has(&d, "\"S\":\"[not json\"") && !has(&d, "\"S."));
    /* Every name key (Name, Key, DisplayName) with every value key (Value,
     * NewValue, OldValue), in any case, makes a pair; keys of the same
     * lengths that are not pair keys do not. */
    static const char r5[] = "{\"Operation\":\"x\",\"P\":[{\"KEY\":\"k\",\"value\":\"1\"},"
                             "{\"displayname\":\"d\",\"NEWVALUE\":\"2\",\"oldValue\":\"3\"},"
                             "{\"Kez\":\"z\",\"Valuf\":\"4\"},{\"Nama\":\"n\",\"NewValuf\":\"5\"},"
                             "{\"DisplayNamf\":\"q\",\"Value\":\"6\"}]}";
    CHECK(dec_line(&d, r5, sizeof r5 - 1) == YG_OK);
    CHECK(has(&d, "\"P.k\":\"1\""));
    CHECK(has(&d, "\"P.d.NEWVALUE\":\"2\"") && has(&d, "\"P.d.oldValue\":\"3\""));
    CHECK(!has(&d, "\"P.z\"") && !has(&d, "\"P.n") && !has(&d, "\"P.q\""));
    /* An empty key is a name of its own: `a.` below `a`, `` at the root. */
    static const char r4[] = "{\"a\":{\"\":1},\"\":2}";
    CHECK(dec_line(&d, r4, sizeof r4 - 1) == YG_OK);
    CHECK(has(&d, "{\"a.\":\"1\",\"\":\"2\","));
    dec_close(&d);

    /* Graph API shapes for entra. */
    dec_open(&d, &yg__fmt_entra);
    static const char g1[] =
        "{\"id\":\"1\",\"userPrincipalName\":\"a@b.com\",\"appDisplayName\":"
        "\"Azure Portal\",\"clientAppUsed\":\"Browser\",\"status\":{\"errorCode\":"
        "50126,\"failureReason\":\"Invalid username or password.\"}}";
    CHECK(yg__fmt_entra.sniff(g1, sizeof g1 - 1) >= 80);
    CHECK(dec_line(&d, g1, sizeof g1 - 1) == YG_OK);
    CHECK(ls_is(&d, "azure", "signinlogs"));
    CHECK(has(&d, "\"ResultType\":\"50126\""));
    CHECK(has(&d, "\"Status\":[\"Failure\",\"Invalid username or password.\"]"));
    static const char g2[] = "{\"id\":\"2\",\"category\":\"UserManagement\",\"result\":\"failure\","
                             "\"activityDisplayName\":\"Invite external user\",\"loggedByService\":"
                             "\"Invited Users\",\"targetResources\":[{\"displayName\":\"Global "
                             "Administrator\",\"type\":\"Role\"}]}";
    CHECK(dec_line(&d, g2, sizeof g2 - 1) == YG_OK);
    CHECK(ls_is(&d, "azure", "auditlogs"));
    CHECK(has(&d, "\"OperationName\":\"Invite external user\""));
    CHECK(has(&d, "\"properties.message\":\"Invite external user\""));
    CHECK(has(&d, "\"Status\":\"failure\""));
    CHECK(has(&d, "\"properties.targetResources\":[\"Global Administrator\",\"Role\"]"));
    static const char g3[] =
        "{\"id\":\"3\",\"riskEventType\":\"unlikelyTravel\",\"riskState\":\"atRisk\"}";
    CHECK(dec_line(&d, g3, sizeof g3 - 1) == YG_OK);
    CHECK(ls_is(&d, "azure", "riskdetection"));
    static const char g4[] = "{\"time\":\"t\",\"category\":\"Other\",\"properties\":{\"a\":1}}";
    CHECK(dec_line(&d, g4, sizeof g4 - 1) == YG_OK);
    CHECK(ls_is(&d, "azure", NULL));
    CHECK(has(&d, "\"properties.a\":\"1\"") && has(&d, "\"a\":\"1\""));
    dec_close(&d);

    /* Sniffers tell the formats apart. */
    static const char syslog[] = "<13>Jan  1 00:00:00 host app: hello";
    CHECK(yg__fmt_m365.sniff(syslog, sizeof syslog - 1) == 0);
    CHECK(yg__fmt_entra.sniff(syslog, sizeof syslog - 1) == 0);
    CHECK(yg__fmt_m365_csv.sniff(syslog, sizeof syslog - 1) == 0);
    static const char zeek[] = "{\"ts\":1.0,\"uid\":\"C1\",\"id.orig_h\":\"10.0.0.1\"}";
    CHECK(yg__fmt_m365.sniff(zeek, sizeof zeek - 1) == 0);
    CHECK(yg__fmt_entra.sniff(zeek, sizeof zeek - 1) == 0);
}

/* The writer escapes every string as yg_buf_add_json_str does: each kind of
 * byte that needs attention, at every offset around the sixteen-byte blocks
 * it is searched in, in a value (unescaped first) and in Payload (the record
 * as received).  A bounded output buffer too small for the one-pass
 * reservation gets the same bytes, written piece by piece. */
static void test_escapes(void)
{
    static const struct {
        const char *json, *raw; /* as written in the record; the value */
    } sp[] = {
        {"\\\"", "\""},
        {"\\\\", "\\"},
        {"\\n", "\n"},
        {"\\r\\t", "\r\t"},
        {"\\u0001", "\x01"},
        {"\\u001f", "\x1f"},
        {"\x7f", "\x7f"},
        {"\xc3\xa9", "\xc3\xa9"},
        {"\xe2\x82\xac", "\xe2\x82\xac"},
        {"\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80"},
        {"\xff", "\xff"},
        {"\xc3(", "\xc3("},
        {"\xed\xa0\x80", "\xed\xa0\x80"}, /* a surrogate: not valid UTF-8 */
    };
    struct dec d;
    dec_open(&d, &yg__fmt_m365);
    struct yg_buf line, raw, want, small;
    yg_buf_init(&line, 0);
    yg_buf_init(&raw, 0);
    yg_buf_init(&want, 0);
    int bad = 0, small_bad = 0;
    for (size_t s = 0; s < sizeof sp / sizeof *sp; s++)
        for (size_t len = 0; len <= 40; len++)
            for (size_t k = 0; k <= len; k++) {
                yg_buf_reset(&line);
                yg_buf_reset(&raw);
                bool ok =
                    yg_buf_add(&line, "{\"Operation\":\"x\",\"Workload\":\"Exchange\",\"v\":\"",
                               44) == YG_OK;
                for (size_t i = 0; i < len; i++) {
                    char c = (char)('a' + i % 26);
                    if (i == k) {
                        ok &= yg_buf_add(&line, sp[s].json, strlen(sp[s].json)) == YG_OK;
                        ok &= yg_buf_add(&raw, sp[s].raw, strlen(sp[s].raw)) == YG_OK;
                    }
                    ok &= yg_buf_addc(&line, c) == YG_OK && yg_buf_addc(&raw, c) == YG_OK;
                }
                ok &= yg_buf_add(&line, "\"}", 2) == YG_OK;
                if (!ok || dec_line(&d, line.p, line.n) != YG_OK) {
                    bad++;
                    continue;
                }
                yg_buf_reset(&want);
                ok = yg_buf_add(&want, "\"v\":", 4) == YG_OK &&
                     yg_buf_add_json_str(&want, raw.p, raw.n) == YG_OK &&
                     yg_buf_addc(&want, 0) == YG_OK;
                if (!ok || !has(&d, want.p))
                    bad++;
                yg_buf_reset(&want);
                ok = yg_buf_add(&want, "\"Payload\":", 10) == YG_OK &&
                     yg_buf_add_json_str(&want, line.p, line.n) == YG_OK &&
                     yg_buf_addc(&want, 0) == YG_OK;
                if (!ok || !has(&d, want.p))
                    bad++;
                /* Room for the output, not for six bytes per input byte. */
                yg_buf_init(&small, d.out.n + 64);
                struct yg_logsrc ls = {0};
                struct yg_decode_err e = {0};
                if (yg__fmt_m365.decode(d.st, line.p, line.n, &small, &ls, &e) != YG_OK ||
                    small.n != d.out.n || memcmp(small.p, d.out.p, small.n) != 0)
                    small_bad++;
                yg_buf_free(&small);
            }
    CHECK(bad == 0);
    CHECK(small_bad == 0);
    yg_buf_free(&line);
    yg_buf_free(&raw);
    yg_buf_free(&want);
    dec_close(&d);
}

int main(void)
{
    test_samples();
    test_spot_checks();
    test_panther();
    test_csv();
    test_bad_json();
    test_long_lines();
    test_bad_csv();
    test_alloc_failures();
    test_flattener();
    test_escapes();
    TAP_DONE();
}
