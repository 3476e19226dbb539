/*
 * fmt_suricata.c - Suricata EVE JSON, one event per line.
 *
 * Nested objects flatten to dotted keys as Suricata's own documentation
 * and pySigma pipelines name them: `alert.signature`, `http.hostname`,
 * `dns.rrname`, `tls.sni`, with `src_ip`, `dest_ip`, `proto` at the top.
 * The leaves of arrays of objects (`dns.answers`) repeat their key once
 * per element, which the engine reads as one field with several values.
 *
 * Log source: product suricata, service = event_type (alert, dns, http,
 * tls, flow, fileinfo, ...).  SigmaHQ has no Suricata rules and Sigma's
 * taxonomy names no Suricata service, so the event type, which is how EVE
 * itself splits its output (one eve-log type per event_type), is the
 * service; no category is claimed because the generic categories' field
 * names (`query`, `dst_ip`) are not EVE's.
 */
#include "decode/fmt_net.h"

/* EVE event types (Suricata 6 and 7), sorted. */
static const char *const eve_types[] = {
    "alert",     "anomaly", "arp",      "bittorrent_dht",
    "dcerpc",    "dhcp",    "dnp3",     "dns",
    "drop",      "enip",    "fileinfo", "flow",
    "frame",     "ftp",     "ftp_data", "http",
    "http2",     "ike",     "krb5",     "ldap",
    "modbus",    "mqtt",    "netflow",  "nfs",
    "pgsql",     "quic",    "rdp",      "rfb",
    "sip",       "smb",     "smtp",     "snmp",
    "ssh",       "stats",   "tftp",     "tls",
    "websocket",
};

static const char *eve_service(const char *v, size_t n)
{
    size_t lo = 0, hi = sizeof eve_types / sizeof *eve_types;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const char *t = eve_types[mid];
        size_t tn = strlen(t);
        int c = memcmp(v, t, n < tn ? n : tn);
        if (!c)
            c = (n > tn) - (n < tn);
        if (!c)
            return t;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return "unknown";
}

static void root_str(void *ud, const char *k, size_t kn, const char *v, size_t vn)
{
    if (kn == 10 && !memcmp(k, "event_type", 10))
        *(const char **)ud = eve_service(v, vn);
}

static yg_err decode(void *st, const char *line, size_t n, struct yg_buf *out, struct yg_logsrc *ls,
                     struct yg_decode_err *e)
{
    (void)st;
    const char *service = "unknown";
    const struct yg_json_flatten how = {root_str, NULL, &service};
    yg_err err = yg__json_flatten(line, n, out, &how, e);
    if (err)
        return err;
    ls->product = "suricata";
    ls->service = service;
    ls->category = NULL;
    return YG_OK;
}

static int sniff(const char *line, size_t n)
{
    /* EVE starts with timestamp and puts event_type within the first few
     * keys (after flow_id, in_iface). */
    size_t head;
    const char *h = yg__json_sniff_head(line, n, false, 512, &head);
    if (!h)
        return 0;
    bool ts = yg__json_has_member(h, head, "timestamp", "");
    bool et = yg__json_has_member(h, head, "event_type", "");
    return ts && et ? 90 : et ? 60 : 0;
}

const struct yg_linefmt yg__fmt_suricata = {
    .json_records = true,
    .name = "suricata",
    .desc = "Suricata EVE JSON (service = event_type; nested keys dotted)",
    .sniff = sniff,
    .state_new = NULL,
    .state_free = NULL,
    .decode = decode,
};
