/*
 * columns.c - the analyst's columns of an alert (see columns.h).
 *
 * The event is scanned once more, only for alerts (never per event), into a
 * list of leaves named by their own key: `Event.EventData.CommandLine` and
 * Winlogbeat's `winlog.event_data.CommandLine` are both `CommandLine`, an
 * evtx_dump `{"EventID":{"#text":4624}}` is `EventID`, and the flat keys of
 * the line decoders (`id.orig_h`, `srcip`) are their own names.  Each column
 * is the first name of its list present in the event.
 */
#include "engine/columns.h"

#include <stdio.h>

#include "decode/json.h"

/* Names are tried in order; the first present wins. */
static const char *const COMPUTER[] = {
    "Computer",    "computer_name", "ComputerName",   "Hostname",   "hostname",
    "host.name",   "devname",       "device_name",    "DeviceName", "dvchost",
    "syslog_host", "host",          "s-computername", NULL};
static const char *const CHANNEL[] = {"Channel", "channel", NULL};
static const char *const EVENT_ID[] = {"EventID", "event_id",   "EventId",
                                       "logid",   "message_id", NULL};
static const char *const RECORD_ID[] = {"EventRecordID", "record_id", NULL};
static const char *const USER[] = {
    "TargetUserName", "User",        "SubjectUserName",   "user",
    "UserId",         "srcuser",     "userPrincipalName", "properties.userPrincipalName",
    "username",       "cs-username", "AccountName",       NULL};
static const char *const SRC_IP[] = {"IpAddress",       "SourceIp",
                                     "src_ip",          "srcip",
                                     "id.orig_h",       "ClientIP",
                                     "ClientIPAddress", "callerIpAddress",
                                     "ipAddress",       "properties.ipAddress",
                                     "remip",           "src",
                                     "public_ip",       "c-ip",
                                     "client_ip",       NULL};
static const char *const DST_IP[] = {"DestinationIp", "dest_ip", "dstip", "id.resp_h",
                                     "dst",           "s-ip",    NULL};
static const char *const CMDLINE[] = {"CommandLine", "ScriptBlockText", "cmd", "command", NULL};
static const char *const PROCESS[] = {"Image", "NewProcessName", "ProcessName", "process", NULL};

/* The fields that say what happened, per log source (product); the
 * default list serves the others. */
struct details {
    const char *product;
    const char *const names[24];
};
static const struct details DETAILS[] = {
    {"windows",
     {"CommandLine",
      "ScriptBlockText",
      "Image",
      "ParentImage",
      "TargetFilename",
      "TargetObject",
      "Details",
      "QueryName",
      "DestinationIp",
      "DestinationPort",
      "ServiceName",
      "ImagePath",
      "TaskName",
      "ShareName",
      "RelativeTargetName",
      "TargetUserName",
      "TargetDomainName",
      "SubjectUserName",
      "User",
      "IpAddress",
      "WorkstationName",
      "LogonType",
      NULL}},
    {"linux", {"appname", "user", "message", NULL}},
    {"fortigate",
     {"logdesc", "action", "user", "srcip", "srcport", "dstip", "dstport", "service", "remip",
      "msg", NULL}},
    {"cisco", {"message_id", "user", "src_ip", "dst_ip", "reason", "message", NULL}},
    {"paloalto",
     {"event_id", "stage", "srcuser", "public_ip", "private_ip", "src", "dst", "action",
      "description", NULL}},
    {"ivanti", {"user", "realm", "src", "message", NULL}},
    {"citrix", {"module", "event_type", "user", "client_ip", "message", NULL}},
    {"zeek",
     {"id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "query", "host", "uri", "user", "note",
      "msg", "operation", "action", "name", "path", NULL}},
    {"suricata",
     {"alert.signature", "src_ip", "src_port", "dest_ip", "dest_port", "proto", "http.hostname",
      "http.url", "dns.rrname", NULL}},
    {"m365",
     {"Operation", "UserId", "ClientIP", "ClientIPAddress", "ObjectId", "ResultStatus", "Workload",
      NULL}},
    {"azure",
     {"operationName", "properties.userPrincipalName", "userPrincipalName", "identity",
      "callerIpAddress", "properties.ipAddress", "ipAddress", "properties.appDisplayName",
      "appDisplayName", "resultType", NULL}},
    {NULL, {"CommandLine", "Image",   "user",   "User",      "UserId",      "src_ip",  "srcip",
            "ClientIP",    "dest_ip", "dstip",  "cs-method", "cs-uri-stem", "method",  "url",
            "uri",         "status",  "action", "Operation", "msg",         "message", NULL}},
};

struct yg_str yg__cols_product(const char *ls)
{
    const char *p = ls ? strstr(ls, "\"product\":\"") : NULL;
    if (!p)
        return (struct yg_str){"", 0};
    p += 11;
    const char *e = strchr(p, '"');
    return (struct yg_str){p, e ? (size_t)(e - p) : 0};
}

struct yg_str yg__cols_service(const char *ls)
{
    const char *p = ls ? strstr(ls, "\"service\":\"") : NULL;
    if (!p)
        return (struct yg_str){"", 0};
    p += 11;
    const char *e = strchr(p, '"');
    return (struct yg_str){p, e ? (size_t)(e - p) : 0};
}

void yg__cols_init(struct yg_cols *c)
{
    memset(c, 0, sizeof *c);
    yg_buf_init(&c->details, 0);
    yg_arena_init(&c->arena, 1u << 16, 0);
}

void yg__cols_free(struct yg_cols *c)
{
    yg_buf_free(&c->details);
    yg_arena_free(&c->arena);
    yg_free(c->parent);
    yg_free(c->key);
    yg_free(c->leaf);
}

static int32_t on_key(void *ud, int32_t parent, const char *k, size_t kn)
{
    struct yg_cols *c = ud;
    if (c->nnodes >= YG_COLS_MAX_LEAVES)
        return -1;
    c->parent[c->nnodes] = parent;
    c->key[c->nnodes] = (struct yg_str){k, kn};
    return (int32_t)c->nnodes++;
}

static void on_leaf(void *ud, int32_t path, const struct yg_val *v)
{
    struct yg_cols *c = ud;
    if (c->nleaves >= YG_COLS_MAX_LEAVES || path < 0 || (uint32_t)path >= c->nnodes)
        return;
    if (v->type == YG_VT_OBJ || v->type == YG_VT_NULL)
        return;
    struct yg_str name = c->key[path];
    /* evtx_dump writes an element with attributes as {"#attributes":..,
     * "#text": value}: the value answers to the element's name. */
    if (name.n == 5 && memcmp(name.p, "#text", 5) == 0 && c->parent[path] >= 0)
        name = c->key[c->parent[path]];
    c->leaf[c->nleaves++] =
        (struct yg_cols_leaf){name.p, (uint32_t)name.n, v->p, v->n, v->type == YG_VT_STR};
}

static const struct yg_cols_leaf *find(const struct yg_cols *c, const char *name)
{
    size_t n = strlen(name);
    for (uint32_t i = 0; i < c->nleaves; i++)
        if (c->leaf[i].nn == n && memcmp(c->leaf[i].name, name, n) == 0 && c->leaf[i].vn)
            return &c->leaf[i];
    return NULL;
}

static struct yg_str first_of(const struct yg_cols *c, const char *const *names)
{
    for (; *names; names++) {
        const struct yg_cols_leaf *l = find(c, *names);
        if (l)
            return (struct yg_str){l->v, l->vn};
    }
    return (struct yg_str){"", 0};
}

/* A detail value on one line: line breaks and tabs become spaces, runs of
 * blanks one space, and it is cut (with …) at YG_COLS_DETAIL_VALUE bytes. */
static yg_err add_detail_value(struct yg_buf *b, const char *p, size_t n)
{
    yg_err err = YG_OK;
    bool blank = false;
    size_t k = 0;
    for (size_t i = 0; i < n && !err; i++) {
        char ch = p[i];
        if (ch == '\n' || ch == '\r' || ch == '\t' || ch == ' ') {
            blank = k > 0;
            continue;
        }
        if (k >= YG_COLS_DETAIL_VALUE && ((unsigned char)ch & 0xC0) != 0x80) {
            err = yg_buf_add(b, "\xE2\x80\xA6", 3);
            break;
        }
        if (blank) {
            err = yg_buf_addc(b, ' ');
            k++;
            blank = false;
        }
        if (!err)
            err = yg_buf_addc(b, ch);
        k++;
    }
    return err;
}

yg_err yg__cols_fill(struct yg_cols *c, const yg_alert *a, uint64_t evtx_record)
{
    yg_err err = YG_OK;
    c->nnodes = c->nleaves = 0;
    yg_buf_reset(&c->details);
    yg_arena_reset(&c->arena);
    if (!c->parent) {
        c->parent = yg_calloc(YG_COLS_MAX_LEAVES, sizeof *c->parent);
        c->key = yg_calloc(YG_COLS_MAX_LEAVES, sizeof *c->key);
        c->leaf = yg_calloc(YG_COLS_MAX_LEAVES, sizeof *c->leaf);
        if (!c->parent || !c->key || !c->leaf)
            return YG_ENOMEM;
    }
    if (a->event && a->event_len) {
        struct yg_json_sink sink = {c, on_key, on_leaf, NULL};
        struct yg_json_err je;
        size_t used;
        /* The event was scanned before; should this scan fail, the leaves
         * found up to there still give their columns. */
        yg_err scanned = yg__json_scan(a->event, a->event_len, &used, &sink, &c->arena, &je);
        (void)scanned;
    }
    struct yg_str product = yg__cols_product(a->logsource_json);
    c->computer = first_of(c, COMPUTER);
    c->channel = first_of(c, CHANNEL);
    if (!c->channel.n) {
        /* Not a Windows event: the log source stands for the channel. */
        struct yg_str svc = yg__cols_service(a->logsource_json);
        int k = snprintf(c->chan, sizeof c->chan, "%.*s%s%.*s", (int)product.n, product.p,
                         product.n && svc.n ? "/" : "", (int)svc.n, svc.p);
        c->channel = (struct yg_str){c->chan, k > 0 ? (size_t)k : 0};
    }
    c->event_id = first_of(c, EVENT_ID);
    c->record_id = first_of(c, RECORD_ID);
    if (!c->record_id.n && evtx_record) {
        int k = snprintf(c->rec, sizeof c->rec, "%llu", (unsigned long long)evtx_record);
        c->record_id = (struct yg_str){c->rec, k > 0 ? (size_t)k : 0};
    }
    c->user = first_of(c, USER);
    c->src_ip = first_of(c, SRC_IP);
    c->dst_ip = first_of(c, DST_IP);
    c->command_line = first_of(c, CMDLINE);
    c->process = first_of(c, PROCESS);
    const struct details *d = &DETAILS[sizeof DETAILS / sizeof *DETAILS - 1];
    for (size_t i = 0; DETAILS[i].product; i++)
        if (strlen(DETAILS[i].product) == product.n &&
            memcmp(DETAILS[i].product, product.p, product.n) == 0) {
            d = &DETAILS[i];
            break;
        }
    unsigned shown = 0;
    for (const char *const *nm = d->names; *nm && shown < 8; nm++) {
        const struct yg_cols_leaf *l = find(c, *nm);
        if (!l)
            continue;
        if (shown++)
            YG_TRY(yg_buf_add(&c->details, " \xC2\xA6 ", 4));
        YG_TRY(yg_buf_add(&c->details, *nm, strlen(*nm)));
        YG_TRY(yg_buf_add(&c->details, ": ", 2));
        YG_TRY(add_detail_value(&c->details, l->v, l->vn));
    }
done:
    return err;
}
