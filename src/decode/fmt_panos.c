/*
 * fmt_panos.c - PAN-OS syslog in the default CSV format.
 *
 * A Palo Alto Networks firewall (or Panorama, or the Strata Logging
 * Service forwarder) sends each log as one CSV record, usually behind a
 * syslog header:
 *
 *   Nov 30 16:09:08 fw01 1,2021/03/24 11:30:00,013101001305,GLOBALPROTECT,0,2305,
 *       2021/03/24 11:30:00,vsys1,portal-prelogin,before-login,,,,BE,,216.160.83.57,...
 *
 * The first seven columns are the same for every log type: FUTURE_USE,
 * receive time, serial number, type, subtype, FUTURE_USE (a config version
 * in practice), generated time.  The type (TRAFFIC, THREAT, SYSTEM,
 * GLOBALPROTECT, HIPMATCH, USERID, AUTHENTICATION, ...) fixes the meaning
 * of the other columns, in the order of Palo Alto's "Syslog Field
 * Descriptions".  Releases only ever append columns, so one table per type
 * holds every release: a 9.1 record simply ends earlier than an 11.x one.
 *
 * Fields are named by PAN-OS's own syslog variable names (`receive_time`,
 * `serial`, `src`, `dport`, `seqno`, ...), with the GlobalProtect names in
 * lowercase_with_underscores (`event_id`, `src_region`, `machine_name`,
 * `public_ip`, `client_ver`, ...).  A FUTURE_USE column becomes
 * `future_use_<column>` when it is not empty; a column past the end of its
 * type's table (a newer release) becomes `col_<column>`, 1-based, so no
 * value is ever dropped.
 *
 * Quoting follows RFC 4180 as PAN-OS writes it: a field that holds commas
 * is quoted, a quote inside it is doubled.  A quote that never closes, or
 * text after a closing quote, is an error naming the column.
 *
 * The record is found by its shape (`digits,time,serial,TYPE,`) at a word
 * start, and only the text before it is read as the syslog header: a
 * BSD header without a host name would otherwise take the first CSV
 * columns for one.
 *
 * The Sigma log source is product paloalto with the log type as service
 * (globalprotect, traffic, threat, system, ...), which is what SigmaHQ's
 * GlobalProtect rules name.
 */
#include <stdio.h>

#include "decode/format.h"

/* Column names in order, comma-separated; an empty name is a FUTURE_USE
 * column.  Columns 1-7 are common to every type. */
#define HEAD ",receive_time,serial,type,subtype,,time_generated"
#define DG "dg_hier_level_1,dg_hier_level_2,dg_hier_level_3,dg_hier_level_4"
/* The device-identification columns of PAN-OS 10.0 and later. */
#define SRC_DEVICE                                                                                 \
    "src_category,src_profile,src_model,src_vendor,src_osfamily,src_osversion,src_host,src_mac"
#define DST_DEVICE                                                                                 \
    "dst_category,dst_profile,dst_model,dst_vendor,dst_osfamily,dst_osversion,dst_host,dst_mac"
/* Columns 8-31, the same in TRAFFIC and THREAT. */
#define SESSION                                                                                    \
    "src,dst,natsrc,natdst,rule,srcuser,dstuser,app,vsys,from,to,inbound_if,outbound_if,logset,,"  \
    "sessionid,repeatcnt,sport,dport,natsport,natdport,flags,proto,action"

static const char traffic[] =
    HEAD "," SESSION ",bytes,bytes_sent,bytes_received,packets,start,elapsed,category,,seqno,"
         "actionflags,srcloc,dstloc,,pkts_sent,pkts_received,session_end_reason," DG
         ",vsys_name,device_name,action_source,src_uuid,dst_uuid,tunnelid_imsi,monitortag_imei,"
         "parent_session_id,parent_start_time,tunnel,assoc_id,chunks,chunks_sent,chunks_received,"
         "rule_uuid,http2_connection,link_change_count,policy_id,link_switches,sdwan_cluster,"
         "sdwan_device_type,sdwan_cluster_type,sdwan_site,dynusergroup_name,xff_ip," SRC_DEVICE
         "," DST_DEVICE ",container_id,pod_namespace,pod_name,src_edl,dst_edl,hostid,serialnumber,"
         "src_dag,dst_dag,session_owner,high_res_timestamp,nssai_sst,nssai_sd,subcategory_of_app,"
         "category_of_app,technology_of_app,risk_of_app,characteristic_of_app,container_of_app,"
         "tunneled_app,is_saas_of_app,sanctioned_state_of_app,offloaded,flow_type,cluster_name";

static const char threat[] =
    HEAD "," SESSION ",misc,threatid,category,severity,direction,seqno,actionflags,srcloc,dstloc,,"
         "contenttype,pcap_id,filedigest,cloud,url_idx,user_agent,filetype,xff,referer,sender,"
         "subject,recipient,reportid," DG ",vsys_name,device_name,,src_uuid,dst_uuid,http_method,"
         "tunnelid_imsi,monitortag_imei,parent_session_id,parent_start_time,tunnel,thr_category,"
         "contentver,,assoc_id,ppid,http_headers,url_category_list,rule_uuid,http2_connection,"
         "dynusergroup_name";

static const char systemlog[] =
    HEAD ",vsys,event_id,object,,,module,severity,description,seqno,"
         "actionflags," DG ",vsys_name,device_name,,,high_res_timestamp";

static const char globalprotect[] =
    HEAD ",vsys,event_id,stage,auth_method,tunnel_type,srcuser,src_region,machine_name,public_ip,"
         "public_ipv6,private_ip,private_ipv6,hostid,serialnumber,client_ver,client_os,"
         "client_os_ver,repeatcnt,reason,error,description,status,location,login_duration,"
         "connect_method,error_code,portal,seqno,actionflags,high_res_timestamp,selection_type,"
         "response_time,priority,attempted_gateways,gateway," DG
         ",vsys_name,device_name,vsys_id,cluster_name";

static const char hipmatch[] =
    HEAD ",srcuser,vsys,machine_name,os,src,matchname,repeatcnt,matchtype,,,seqno,actionflags," DG
         ",vsys_name,device_name,vsys_id,srcipv6,hostid,serialnumber,mac,high_res_timestamp";

static const char userid[] =
    HEAD ",vsys,ip,user,datasourcename,event_id,repeatcnt,timeout,beginport,endport,datasource,"
         "datasourcetype,seqno,actionflags," DG ",vsys_name,device_name,vsys_id,factortype,"
         "factorcompletiontime,factorno,ugflags,userbysource";

static const char authentication[] =
    HEAD ",vsys,ip,user,normalize_user,object,authpolicy,repeatcnt,authid,vendor,logset,"
         "serverprofile,desc,clienttype,event,factorno,seqno,actionflags," DG
         ",vsys_name,device_name,vsys_id,authproto,rule_uuid,high_res_timestamp," SRC_DEVICE
         ",region,,user_agent,sessionid,cluster_name";

static const char header_only[] = HEAD;

static const struct logtype {
    const char *type, *service;
    const char *cols;
} types[] = {
    {"GLOBALPROTECT", "globalprotect", globalprotect},
    {"TRAFFIC", "traffic", traffic},
    {"THREAT", "threat", threat},
    {"SYSTEM", "system", systemlog},
    {"HIPMATCH", "hipmatch", hipmatch},
    {"USERID", "userid", userid},
    {"AUTHENTICATION", "authentication", authentication},
    {"CONFIG", "config", header_only},
    {"DECRYPTION", "decryption", header_only},
    {"TUNNEL", "tunnel", header_only},
    {"GTP", "gtp", header_only},
    {"SCTP", "sctp", header_only},
    {"IPTAG", "iptag", header_only},
    {"CORRELATION", "correlation", header_only},
    {"AUDIT", "audit", header_only},
};

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static const struct logtype *find_type(const char *t, size_t n)
{
    for (size_t k = 0; k < sizeof types / sizeof *types; k++)
        if (strlen(types[k].type) == n && memcmp(types[k].type, t, n) == 0)
            return &types[k];
    return NULL;
}

/*
 * Does a record start at s[i]: `digits,receive time,serial,TYPE,`?  The
 * type is returned (NULL for an unknown all-capitals type, in *unknown).
 */
static bool record_at(const char *s, size_t n, size_t i, const struct logtype **lt, bool *unknown)
{
    size_t j = i;
    while (j < n && j - i < 20 && is_digit((unsigned char)s[j]))
        j++;
    if (j == i || j >= n || s[j] != ',')
        return false;
    j++;
    /* receive time and serial: short, no quotes */
    for (int f = 0; f < 2; f++) {
        size_t f0 = j;
        while (j < n && j - f0 < 48 && s[j] != ',' && s[j] != '"')
            j++;
        if (j >= n || s[j] != ',' || (f == 0 && j == f0))
            return false;
        j++;
    }
    size_t t0 = j;
    while (j < n && j - t0 < 24 && ((s[j] >= 'A' && s[j] <= 'Z') || s[j] == '_'))
        j++;
    if (j - t0 < 3 || j >= n || s[j] != ',')
        return false;
    *lt = find_type(s + t0, j - t0);
    *unknown = *lt == NULL;
    return true;
}

/* Where the record starts (at a word start, in the first 1 KiB), or n. */
static size_t find_record(const char *s, size_t n, const struct logtype **lt, bool *unknown)
{
    size_t lim = n < 1024 ? n : 1024;
    for (size_t i = 0; i < lim; i++) {
        if (i && s[i - 1] != ' ')
            continue;
        if (is_digit((unsigned char)s[i]) && record_at(s, n, i, lt, unknown))
            return i;
    }
    return n;
}

static int panos_sniff(const char *line, size_t n)
{
    const struct logtype *lt = NULL;
    bool unknown = false;
    if (find_record(line, n, &lt, &unknown) == n)
        return 0;
    return unknown ? 40 : 90;
}

/*
 * Append "key":"value" where value is a CSV field with doubled quotes: the
 * unescaped text is staged in out's spare capacity, escaped as JSON behind
 * it and moved down over it, so no other buffer is needed.
 */
static yg_err put_unquoted(struct yg_buf *out, bool *first, const char *k, size_t kn, const char *v,
                           size_t vn)
{
    yg_err err = YG_OK;
    if (!*first)
        YG_TRY(yg_buf_addc(out, ','));
    *first = false;
    YG_TRY(yg_buf_add_json_str(out, k, kn));
    YG_TRY(yg_buf_addc(out, ':'));
    /* A JSON escape is at most 6 bytes per input byte, plus the quotes. */
    if (vn > (SIZE_MAX - 3) / 7)
        return YG_ELIMIT;
    YG_TRY(yg_buf_reserve(out, 7 * vn + 3));
    size_t base = out->n, m = 0;
    for (size_t i = 0; i < vn; i++) {
        out->p[base + m++] = v[i];
        if (v[i] == '"' && i + 1 < vn && v[i + 1] == '"')
            i++;
    }
    out->n = base + m;
    YG_TRY(yg_buf_add_json_str(out, out->p + base, m));
    memmove(out->p + base, out->p + base + m, out->n - base - m);
    out->n -= m;
    out->p[out->n] = 0;
done:
    return err;
}

/*
 * The value of column col, named by the next name of the type's list at
 * *names (which moves on); past the list's end the column is `col_<n>`.
 */
static yg_err put_col(struct yg_buf *out, bool *first, const char **names, size_t col,
                      const char *v, size_t vn, bool doubled)
{
    char kb[32];
    const char *k = *names;
    size_t kn = 0;
    while (k[kn] && k[kn] != ',')
        kn++;
    bool listed = *k != 0;
    *names = k[kn] == ',' ? k + kn + 1 : k + kn;
    if (!listed || !kn) {
        if (listed && vn == 0)
            return YG_OK; /* an empty FUTURE_USE column */
        /* `future_use_<col>` or `col_<col>`, without printf on the hot path. */
        const char *pre = listed ? "future_use_" : "col_";
        size_t pn = listed ? 11 : 4, dn = 0;
        char digits[24];
        for (size_t c = col; c; c /= 10)
            digits[dn++] = (char)('0' + c % 10);
        memcpy(kb, pre, pn);
        for (size_t d = 0; d < dn; d++)
            kb[pn + d] = digits[dn - 1 - d];
        k = kb;
        kn = pn + dn;
    }
    if (doubled)
        return put_unquoted(out, first, k, kn, v, vn);
    return yg__json_kv(out, first, k, kn, v, vn);
}

static yg_err put_header(struct yg_buf *out, bool *first, const char *h, size_t hn)
{
    yg_err err = YG_OK;
    char num[8];
    while (hn && h[hn - 1] == ' ')
        hn--;
    if (!hn)
        return YG_OK;
    struct yg_syslog sl;
    if (!yg__syslog_split(h, hn, &sl))
        return yg__json_kv(out, first, "syslog_header", 13, h, hn);
    if (sl.pri >= 0) {
        int k = snprintf(num, sizeof num, "%d", sl.pri);
        YG_TRY(yg__json_kv(out, first, "syslog_pri", 10, num, (size_t)k));
    }
    if (sl.ts.n)
        YG_TRY(yg__json_kv(out, first, "syslog_timestamp", 16, sl.ts.p, sl.ts.n));
    if (sl.host.n)
        YG_TRY(yg__json_kv(out, first, "syslog_host", 11, sl.host.p, sl.host.n));
    if (sl.app.n)
        YG_TRY(yg__json_kv(out, first, "syslog_app", 10, sl.app.p, sl.app.n));
done:
    return err;
}

/* The CSV record at s[0..n), which starts at column off of the line. */
static yg_err put_csv(struct yg_buf *out, bool *first, const struct logtype *lt, const char *s,
                      size_t n, size_t off, struct yg_decode_err *e)
{
    yg_err err = YG_OK;
    size_t i = 0, col = 0;
    const char *names = lt ? lt->cols : header_only;
    for (;;) {
        if (++col > YG_MAX_EVENT_FIELDS) {
            e->col = off + i + 1;
            e->msg = "more CSV columns than YG_MAX_EVENT_FIELDS";
            return YG_ELIMIT;
        }
        if (i < n && s[i] == '"') {
            size_t open = i, v0 = i + 1, j = v0;
            bool doubled = false;
            for (;;) {
                const char *q = j < n ? memchr(s + j, '"', n - j) : NULL;
                if (!q)
                    return yg__fmt_fail(e, off + open, "unterminated quoted CSV field");
                j = (size_t)(q - s);
                if (j + 1 < n && s[j + 1] == '"') {
                    doubled = true;
                    j += 2;
                    continue;
                }
                break;
            }
            if (j + 1 < n && s[j + 1] != ',')
                return yg__fmt_fail(e, off + j + 1, "expected `,` after a closing quote");
            YG_TRY(put_col(out, first, &names, col, s + v0, j - v0, doubled));
            i = j + 1;
        } else {
            const char *c = i < n ? memchr(s + i, ',', n - i) : NULL;
            size_t end = c ? (size_t)(c - s) : n;
            YG_TRY(put_col(out, first, &names, col, s + i, end - i, false));
            i = end;
        }
        if (i >= n)
            break;
        i++; /* the comma */
    }
done:
    return err;
}

static yg_err panos_decode(void *st, const char *line, size_t n, struct yg_buf *out,
                           struct yg_logsrc *ls, struct yg_decode_err *e)
{
    (void)st;
    yg_err err = YG_OK;
    size_t start = out->n;
    bool first = true;
    if ((n = yg__line_begin(line, n, e)) == YG_LINE_REFUSED)
        return YG_ESYNTAX;
    const struct logtype *lt = NULL;
    bool unknown = false;
    size_t at = find_record(line, n, &lt, &unknown);
    if (at == n)
        return yg__fmt_fail(
            e, 0, "expected a PAN-OS CSV record: `FUTURE_USE,receive time,serial,TYPE,...`");
    YG_TRY(yg_buf_addc(out, '{'));
    /* The record before its syslog header: the event's time is the first
     * time field that parses, and time_generated (with its year) is the
     * firewall's own time, where the relay's header may have none. */
    YG_TRY(put_csv(out, &first, lt, line + at, n - at, at, e));
    YG_TRY(put_header(out, &first, line, at));
    YG_TRY(yg_buf_addc(out, '}'));
    ls->product = "paloalto";
    ls->service = lt ? lt->service : NULL;
    ls->category = NULL;
done:
    return yg__fmt_done(err, out, start, e);
}

const struct yg_linefmt yg__fmt_panos = {
    .name = "panos",
    .desc = "PAN-OS syslog CSV (GLOBALPROTECT, TRAFFIC, THREAT, SYSTEM, HIPMATCH, USERID, ...)",
    .sniff = panos_sniff,
    .state_new = NULL,
    .state_free = NULL,
    .decode = panos_decode,
};
