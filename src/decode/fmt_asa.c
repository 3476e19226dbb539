/*
 * fmt_asa.c - Cisco ASA (and Firepower Threat Defense) syslog messages.
 *
 * Every ASA message carries a tag that names its severity and message id,
 * then free text whose shape the message id fixes:
 *
 *   Oct 10 2018 12:34:56 fw01 CiscoASA[999]: %ASA-6-113039: Group VPN_USERS
 *       User alice IP 67.43.156.14 AnyConnect parent session started.
 *   <166>Jun 22 2022 13:29:11 fw01 : %ASA-6-113039: Group <GP> User <bob> ...
 *   %ASA-4-106023: Deny tcp src outside:198.51.100.7/4431 dst inside:10.0.0.5/22
 *       by access-group "outside_in" [0x0, 0x0]
 *
 * The syslog header in front of the tag is optional and varies with the
 * `logging timestamp` and `logging device-id` settings, so the decoder finds
 * the tag first and hands only what precedes it to yg__syslog_split(): the
 * header can never eat into the message.
 *
 * The text after the tag is matched against dissect-style templates per
 * message id (the table below, from Cisco's syslog message guide).  A
 * template is literal text with `{name}` captures; a capture ends where the
 * next literal first occurs, or at the end of the message when it is last.
 * The values become flat fields named as Elastic's cisco_asa integration
 * names them without the ECS prefixes: `user`, `group`, `src_ip`,
 * `src_port`, `dst_ip`, `reason`, ...  Capture conventions:
 *
 *   {x@}     an address `ip/port` (or `ip`): fields x_ip and x_port
 *   {k=v}    a constant field k with value v (consumes no text)
 *   <value>  angle brackets around a value (newer ASA releases) are dropped
 *
 * An `outbound` connection (302013, 302015) names the outside host first;
 * its template swaps the captures so that src is always the initiator.
 *
 * When no template of the message id matches, a few generic prefixes that
 * the VPN messages share (`Group <g> User <u> IP <a>`, `Group = g,
 * Username = u, IP = a,`) still give the session's group, user and address.
 * The whole text always stays available as `message`.
 *
 * Cisco PIX (`%PIX-`) and FWSM (`%FWSM-`) write the same tag with their own
 * prefix and the same message ids and texts (the ASA's syslog guide grew out
 * of theirs), so they are read here too, with the same log source: the VPN
 * and firewall rules for the ASA apply to them unchanged.
 *
 * The Sigma log source is product cisco, service asa.
 */
#include <assert.h>
#include <pthread.h>

#include "decode/format.h"

#define MAX_CAPS 16

struct cap {
    const char *k; /* name (not NUL-terminated) */
    size_t kn;
    const char *v; /* value: a view into the line, or into the template */
    size_t vn;
};

struct pattern {
    unsigned id;
    const char *t;
};

/* Sorted by message id; several templates of one id are tried in order. */
static const struct pattern patterns[] = {
    {106001, "{direction} {protocol} connection denied from {src@} to {dst@} flags {tcp_flags} on "
             "interface {src_interface}"},
    {106006, "Deny {direction} {protocol} from {src@} to {dst@} on interface {src_interface}"},
    {106007, "Deny {direction} {protocol} from {src@} to {dst@} due to {reason}"},
    {106014, "Deny {direction} {protocol} src {src_interface}:{src@} dst {dst_interface}:{dst@}"},
    {106015, "Deny {protocol} (no connection) from {src@} to {dst@} flags {tcp_flags} on interface "
             "{src_interface}"},
    {106021, "Deny {protocol} reverse path check from {src_ip} to {dst_ip} on interface "
             "{src_interface}"},
    {106023, "Deny {protocol} src {src_interface}:{src@} dst {dst_interface}:{dst@} by "
             "access-group \"{acl}\""},
    {106100, "access-list {acl} {action} {protocol} {src_interface}/{src_ip}({src_port}) -> "
             "{dst_interface}/{dst_ip}({dst_port}) hit-cnt {hit_count} "},
    {106100, "access-list {acl} {action} {protocol} {src_interface}/{src_ip}({src_port}) -> "
             "{dst_interface}/{dst_ip}({dst_port}) hit-cnt {hit_count}"},
    {109005, "Authentication succeeded for user '{user}' from {src@} to {dst@} on interface "
             "{interface}"},
    {109005, "Authentication succeeded for user {user} from {src@} to {dst@} on interface "
             "{interface}"},
    {109006, "Authentication failed for user '{user}' from {src@} to {dst@} on interface "
             "{interface}"},
    {109006, "Authentication failed for user {user} from {src@} to {dst@} on interface "
             "{interface}"},
    {111008, "User '{user}' executed the '{command}' command."},
    {111009, "User '{user}' executed cmd: {command}"},
    {111010, "User '{user}', running '{app}' from IP {src_ip}, executed '{command}'"},
    {113004, "AAA user {aaa_type} Successful : server = {server} : user = {user}"},
    {113005, "AAA user {aaa_type} Rejected : reason = {reason} : server = {server} : user = "
             "{user} : user IP = {src_ip}"},
    {113005, "AAA user {aaa_type} Rejected : reason = {reason} : server = {server} : user = "
             "{user}"},
    {113008, "AAA transaction status ACCEPT : user = {user}"},
    {113009, "AAA retrieved default group policy ({group}) for user = {user}"},
    {113009, "AAA retrieved default group policy {group} for user {user}"},
    {113011, "AAA retrieved user specific group policy ({group}) for user = {user}"},
    {113012, "AAA user authentication Successful : local database : user = {user}"},
    {113014, "AAA authentication server not accessible : server = {server} : user = {user}"},
    {113015, "AAA user authentication Rejected : reason = {reason} : local database : user = "
             "{user} : user IP = {src_ip}"},
    {113015, "AAA user authentication Rejected : reason = {reason} : local database : user = "
             "{user}"},
    {113019, "Group = {group}, Username = {user}, IP = {src_ip}, Session disconnected. Session "
             "Type: {session_type}, Duration: {duration}, Bytes xmt: {bytes_xmt}, Bytes rcv: "
             "{bytes_rcv}, Reason: {reason}"},
    {113021, "Attempted console login failed. User {user} did NOT have appropriate Admin Rights."},
    {113029, "Group {group} User {user} IP {src_ip} Session could not be established: {reason}"},
    {113030, "Group {group} User {user} IP {src_ip} User ACL {acl} from AAA doesn't exist on the "
             "device, terminating connection."},
    {113031, "Group {group} User {user} IP {src_ip} AnyConnect vpn-filter {acl} is an IPv6 ACL; "
             "ACL not applied."},
    {113032, "Group {group} User {user} IP {src_ip} AnyConnect ipv6-vpn-filter {acl} is an IPv4 "
             "ACL; ACL not applied."},
    {113033, "Group {group} User {user} IP {src_ip} AnyConnect session not allowed. {reason}"},
    {113034, "Group {group} User {user} IP {src_ip} User ACL {acl} from AAA ignored, AV-PAIR ACL "
             "used instead."},
    {113035, "Group {group} User {user} IP {src_ip} Session terminated: {reason}"},
    {113036, "Group {group} User {user} IP {src_ip} AAA parameter {parameter} value invalid."},
    {113037, "Reboot pending, new sessions disabled. Denied {user} login."},
    {113038, "Group {group} User {user} IP {src_ip} Unable to create AnyConnect parent session."},
    {113039, "Group {group} User {user} IP {src_ip} AnyConnect parent session started."},
    {113040, "Group {group} User {user} IP {src_ip} Terminating the VPN connection attempt from "
             "{tunnel_group}. Reason: {reason}"},
    {113040, "Terminating the VPN connection attempt from {group}. Reason: {reason}"},
    {302013, "Built {direction=inbound}inbound {protocol} connection {connection_id} for "
             "{src_interface}:{src@} ({mapped_src@}) to {dst_interface}:{dst@} ({mapped_dst@})"},
    {302013, "Built {direction=outbound}outbound {protocol} connection {connection_id} for "
             "{dst_interface}:{dst@} ({mapped_dst@}) to {src_interface}:{src@} ({mapped_src@})"},
    {302014, "Teardown {protocol} connection {connection_id} for {src_interface}:{src@} to "
             "{dst_interface}:{dst@} duration {duration} bytes {bytes} {reason}"},
    {302014, "Teardown {protocol} connection {connection_id} for {src_interface}:{src@} to "
             "{dst_interface}:{dst@} duration {duration} bytes {bytes}"},
    {302015, "Built {direction=inbound}inbound {protocol} connection {connection_id} for "
             "{src_interface}:{src@} ({mapped_src@}) to {dst_interface}:{dst@} ({mapped_dst@})"},
    {302015, "Built {direction=outbound}outbound {protocol} connection {connection_id} for "
             "{dst_interface}:{dst@} ({mapped_dst@}) to {src_interface}:{src@} ({mapped_src@})"},
    {302016, "Teardown {protocol} connection {connection_id} for {src_interface}:{src@} to "
             "{dst_interface}:{dst@} duration {duration} bytes {bytes}"},
    {302020, "Built {direction} {protocol} connection for faddr {dst@} gaddr {mapped_src@} laddr "
             "{src@}"},
    {302021, "Teardown {protocol} connection for faddr {dst@} gaddr {mapped_src@} laddr {src@}"},
    {305011, "Built {translation_type} {protocol} translation from {src_interface}:{src@} to "
             "{dst_interface}:{mapped_src@}"},
    {305012, "Teardown {translation_type} {protocol} translation from {src_interface}:{src@} to "
             "{dst_interface}:{mapped_src@} duration {duration}"},
    {313001, "Denied ICMP type={icmp_type}, code={icmp_code} from {src_ip} on interface "
             "{src_interface}"},
    {313004, "Denied ICMP type={icmp_type}, from laddr {src_ip} on interface {src_interface} to "
             "{dst_ip}: no matching session"},
    {313005, "No matching connection for ICMP error message: icmp src {src_interface}:{src_ip} "
             "dst {dst_interface}:{dst_ip} (type {icmp_type}, code {icmp_code}) on {interface} "
             "interface."},
    {419002, "Duplicate TCP SYN from {src_interface}:{src@} to {dst_interface}:{dst@} with "
             "different initial sequence number"},
    {502103, "User priv level changed: Uname: {user} From: {old_level} To: {new_level}"},
    {605004, "Login denied from {src@} to {interface}:{dst@} for user \"{user}\""},
    {605005, "Login permitted from {src@} to {interface}:{dst@} for user \"{user}\""},
    {611101, "User authentication succeeded: IP address: {src_ip}, Uname: {user}"},
    {611102, "User authentication failed: IP address: {src_ip}, Uname: {user}"},
    {611103, "User logged out: Uname: {user}"},
    {710002, "{protocol} access permitted from {src@} to {interface}:{dst@}"},
    {710003, "{protocol} access denied by ACL from {src@} to {interface}:{dst@}"},
    {710005, "{protocol} request discarded from {src@} to {interface}:{dst@}"},
    {716001, "Group {group} User {user} IP {src_ip} WebVPN session started."},
    {716002, "Group {group} User {user} IP {src_ip} WebVPN session terminated: {reason}"},
    {716038, "Group {group} User {user} IP {src_ip} Authentication: successful, Session Type: "
             "{session_type}"},
    {716039, "Group {group} User {user} IP {src_ip} Authentication: rejected, Session Type: "
             "{session_type}"},
    {722022, "Group {group} User {user} IP {src_ip} {protocol} SVC connection established"},
    {722023, "Group {group} User {user} IP {src_ip} {protocol} SVC connection terminated"},
    {722037, "Group {group} User {user} IP {src_ip} SVC closing connection: {reason}"},
    {722051, "Group {group} User {user} IP {src_ip} IPv4 Address {assigned_ip} IPv6 address "
             "{assigned_ipv6} assigned to session"},
    {722055, "Group {group} User {user} IP {src_ip} Client Type: {client_type}"},
    {725001, "Starting SSL handshake with {peer_type} {interface}:{src@} to {dst@} for "
             "{protocol} session"},
    {725002, "Device completed SSL handshake with {peer_type} {interface}:{src@} to {dst@} for "
             "{protocol} session"},
    {725006, "Device failed SSL handshake with {peer_type} {interface}:{src@} to {dst@}"},
    {725007, "SSL session with {peer_type} {interface}:{src@} to {dst@} terminated"},
    {734001, "DAP: User {user}, Addr {src_ip}, Connection {connection_type}: The following DAP "
             "records were selected for this connection: {dap_records}"},
};

/* Prefixes shared by the VPN messages, tried when no template of the id
 * matched (the longer form first: the shorter would swallow it). */
static const char *const generic[] = {
    "Group {group} User {user} IP {src_ip} ",
    "Group = {group}, Username = {user}, IP = {src_ip}, ",
    "Group = {group}, IP = {src_ip}, ",
    "IP = {src_ip}, ",
};

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static inline const char *trim_sp(const char *p, size_t *n)
{
    while (*n && (p[0] == ' ' || p[0] == '\t')) {
        p++;
        (*n)--;
    }
    while (*n && (p[*n - 1] == ' ' || p[*n - 1] == '\t'))
        (*n)--;
    return p;
}

/* The length of the literal text at the start of t: up to `{` or the end
 * (one pass; templates are short). */
static size_t lit_len(const char *t)
{
    size_t l = 0;
    while (t[l] && t[l] != '{')
        l++;
    return l;
}

/* The first occurrence of t[0..tl) in s[i..n) (tl > 0), or NULL: memmem's
 * result, found by the literal's first byte and a comparison of the rest,
 * which on these short texts costs less than memmem's preparation. */
static const char *find_lit(const char *s, size_t i, size_t n, const char *t, size_t tl)
{
    while (n - i >= tl) {
        const char *p = memchr(s + i, t[0], n - i - tl + 1);
        if (!p)
            return NULL;
        if (memcmp(p + 1, t + 1, tl - 1) == 0)
            return p;
        i = (size_t)(p - s) + 1;
    }
    return NULL;
}

/*
 * A template split once into its parts (compile below), so that matching
 * does not scan the template's text for `{`, `}` and `=` on every record.
 * Offsets and lengths are into the template's text:
 *
 *   SEG_LIT    the literal t[a, a+an) must come next;
 *   SEG_CONST  the constant capture t[a, a+an) = t[b, b+bn);
 *   SEG_CAP    the capture named t[a, a+an) runs to the first occurrence
 *              of the literal t[b, b+bn) that follows it in the template,
 *              which is then passed; bn 0: to the end of the message.
 */
enum { SEG_LIT, SEG_CONST, SEG_CAP };
struct seg {
    uint8_t op;
    uint16_t a, an, b, bn;
};
/* A literal comes before each capture at most once, and one may end. */
#define MAX_SEGS (2 * MAX_CAPS + 1)
struct ctmpl {
    size_t n;
    struct seg seg[MAX_SEGS];
};

static void compile(const char *t0, struct ctmpl *c)
{
    const char *t = t0;
    c->n = 0;
    while (*t) {
        assert(c->n < MAX_SEGS);
        struct seg *g = &c->seg[c->n++];
        if (*t != '{') {
            size_t ll = lit_len(t);
            *g = (struct seg){SEG_LIT, (uint16_t)(t - t0), (uint16_t)ll, 0, 0};
            t += ll;
            continue;
        }
        const char *ne = strchr(t, '}');
        assert(ne);
        const char *name = t + 1;
        size_t nn = (size_t)(ne - name);
        t = ne + 1;
        const char *eq = memchr(name, '=', nn);
        if (eq) {
            *g = (struct seg){SEG_CONST, (uint16_t)(name - t0), (uint16_t)(eq - name),
                              (uint16_t)(eq + 1 - t0), (uint16_t)(ne - eq - 1)};
            continue;
        }
        size_t ll = lit_len(t);
        *g = (struct seg){SEG_CAP, (uint16_t)(name - t0), (uint16_t)nn, (uint16_t)(t - t0),
                          (uint16_t)ll};
        t += ll;
    }
}

/*
 * Match template t (c, compiled from it) against s[0..n).  On success the
 * captures are in caps and their number is returned; -1 when the text does
 * not fit.
 */
static int tmpl_match(const char *t, const struct ctmpl *c, const char *s, size_t n,
                      struct cap *caps)
{
    size_t i = 0;
    int nc = 0;
    for (size_t k = 0; k < c->n; k++) {
        const struct seg *g = &c->seg[k];
        if (g->op == SEG_LIT) {
            if (n - i < g->an || memcmp(s + i, t + g->a, g->an) != 0)
                return -1;
            i += g->an;
            continue;
        }
        assert(nc < MAX_CAPS);
        if (g->op == SEG_CONST) {
            caps[nc++] = (struct cap){t + g->a, g->an, t + g->b, g->bn};
            continue;
        }
        size_t end = n;
        if (g->bn) {
            const char *f = find_lit(s, i, n, t + g->b, g->bn);
            if (!f)
                return -1;
            end = (size_t)(f - s);
        }
        caps[nc++] = (struct cap){t + g->a, g->an, s + i, end - i};
        i = end + g->bn;
    }
    return nc;
}

/* A value as written: spaces, then <...> around it, then (for a value that
 * ends the message) a final full stop are dropped. */
static const char *clean_value(const char *v, size_t *vn, bool last)
{
    v = trim_sp(v, vn);
    if (last && *vn && v[*vn - 1] == '.')
        (*vn)--;
    if (*vn >= 2 && v[0] == '<' && v[*vn - 1] == '>') {
        v++;
        *vn -= 2;
    }
    return v;
}

/* Emit one capture; `x@` captures split `ip/port` into x_ip and x_port. */
static yg_err put_cap(struct yg_buf *out, bool *first, const struct cap *c, bool last)
{
    size_t vn = c->vn;
    const char *v = clean_value(c->v, &vn, last);
    if (!c->kn || c->k[c->kn - 1] != '@')
        return yg__json_kv(out, first, c->k, c->kn, v, vn);
    /* An address ends at a space or `(` (a user or SGT may follow it). */
    size_t an = 0;
    while (an < vn && v[an] != ' ' && v[an] != '(')
        an++;
    const char *slash = NULL;
    for (size_t k = an; k > 0; k--)
        if (v[k - 1] == '/') {
            slash = v + k - 1;
            break;
        }
    size_t ipn = an, pn = 0;
    if (slash) {
        const char *port = slash + 1;
        pn = an - (size_t)(port - v);
        bool digits = pn > 0;
        for (size_t k = 0; k < pn; k++)
            digits &= is_digit((unsigned char)port[k]);
        if (digits)
            ipn = (size_t)(slash - v);
        else
            pn = 0;
    }
    char key[48];
    size_t base = c->kn - 1;
    if (base + 5 >= sizeof key)
        return YG_EINVAL;
    memcpy(key, c->k, base);
    memcpy(key + base, "_ip", 3);
    yg_err err = yg__json_kv(out, first, key, base + 3, v, ipn);
    if (err || !pn)
        return err;
    memcpy(key + base, "_port", 5);
    return yg__json_kv(out, first, key, base + 5, v + ipn + 1, pn);
}

static yg_err put_caps(struct yg_buf *out, bool *first, const struct cap *caps, int nc,
                       const char *msg, size_t mn)
{
    for (int k = 0; k < nc; k++) {
        bool last = caps[k].v + caps[k].vn == msg + mn;
        yg_err err = put_cap(out, first, &caps[k], last);
        if (err)
            return err;
    }
    return YG_OK;
}

/* Fields of the message text: the first template of the id that fits, else
 * the first generic VPN prefix that fits, else none. */
#define NPAT (sizeof patterns / sizeof *patterns)
#define NGEN (sizeof generic / sizeof *generic)
/* The compiled templates: patterns, then generic; built once, then only
 * read (decoders run in several threads). */
static struct ctmpl compiled[NPAT + NGEN];
static pthread_once_t compiled_once = PTHREAD_ONCE_INIT;

static void compile_all(void)
{
    for (size_t k = 0; k < NPAT; k++)
        compile(patterns[k].t, &compiled[k]);
    for (size_t k = 0; k < NGEN; k++)
        compile(generic[k], &compiled[NPAT + k]);
}

static yg_err put_message_fields(struct yg_buf *out, bool *first, unsigned id, const char *m,
                                 size_t mn)
{
    struct cap caps[MAX_CAPS];
    pthread_once(&compiled_once, compile_all);
    size_t lo = 0, hi = NPAT;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (patterns[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t k = lo; k < NPAT && patterns[k].id == id; k++) {
        int nc = tmpl_match(patterns[k].t, &compiled[k], m, mn, caps);
        if (nc >= 0)
            return put_caps(out, first, caps, nc, m, mn);
    }
    for (size_t k = 0; k < NGEN; k++) {
        int nc = tmpl_match(generic[k], &compiled[NPAT + k], m, mn, caps);
        if (nc >= 0)
            return put_caps(out, first, caps, nc, m, mn);
    }
    return YG_OK;
}

/* The tag: `%ASA-` or `%FTD-` (or the ASA's predecessors, `%PIX-` and the
 * Catalyst 6500 Firewall Services Module's `%FWSM-`, which write the same
 * message ids), then a severity digit, `-`, the message id digits and `:`.
 * Where it starts (or n), found at a word start; *len is the length of
 * `%XXX-`. */
static size_t find_tag(const char *s, size_t n, size_t *len)
{
    size_t i = 0;
    while (i < n) {
        const char *p = memchr(s + i, '%', n - i);
        if (!p)
            return n;
        size_t at = (size_t)(p - s);
        if (n - at >= 5 && (at == 0 || s[at - 1] == ' ' || s[at - 1] == ':')) {
            *len = 5;
            if (memcmp(p + 1, "ASA-", 4) == 0 || memcmp(p + 1, "FTD-", 4) == 0 ||
                memcmp(p + 1, "PIX-", 4) == 0)
                return at;
            *len = 6;
            if (n - at >= 6 && memcmp(p + 1, "FWSM-", 5) == 0)
                return at;
        }
        i = at + 1;
    }
    return n;
}

static int asa_sniff(const char *line, size_t n)
{
    size_t tl = 5, at = find_tag(line, n, &tl);
    if (at + tl + 4 > n || !is_digit((unsigned char)line[at + tl]) || line[at + tl + 1] != '-' ||
        !is_digit((unsigned char)line[at + tl + 2]))
        return 0;
    return 95;
}

/* The header before the tag, through the shared splitter. */
static yg_err put_header(struct yg_buf *out, bool *first, const char *h, size_t hn)
{
    yg_err err = YG_OK;
    char num[8];
    h = trim_sp(h, &hn);
    /* `host : %ASA-...` (logging device-id): the lone colon is framing. */
    if (hn && h[hn - 1] == ':' && (hn == 1 || h[hn - 2] == ' ')) {
        hn--;
        h = trim_sp(h, &hn);
    }
    if (!hn)
        return YG_OK;
    struct yg_syslog sl;
    if (!yg__syslog_split(h, hn, &sl))
        return yg__json_kv(out, first, "syslog_header", 13, h, hn);
    if (sl.pri >= 0) {
        /* 0 to 191 (yg__syslog_split refuses more): snprintf would cost as
         * much as the rest of the header. */
        size_t k = 0;
        int pri = sl.pri;
        if (pri >= 100)
            num[k++] = (char)('0' + pri / 100);
        if (pri >= 10)
            num[k++] = (char)('0' + pri / 10 % 10);
        num[k++] = (char)('0' + pri % 10);
        YG_TRY(yg__json_kv(out, first, "syslog_pri", 10, num, k));
    }
    if (sl.ts.n)
        YG_TRY(yg__json_kv(out, first, "syslog_timestamp", 16, sl.ts.p, sl.ts.n));
    if (sl.host.n)
        YG_TRY(yg__json_kv(out, first, "syslog_host", 11, sl.host.p, sl.host.n));
    if (sl.app.n)
        YG_TRY(yg__json_kv(out, first, "syslog_app", 10, sl.app.p, sl.app.n));
    if (sl.procid.n)
        YG_TRY(yg__json_kv(out, first, "syslog_procid", 13, sl.procid.p, sl.procid.n));
    if (sl.msgid.n)
        YG_TRY(yg__json_kv(out, first, "syslog_msgid", 12, sl.msgid.p, sl.msgid.n));
done:
    return err;
}

static yg_err asa_decode(void *st, const char *line, size_t n, struct yg_buf *out,
                         struct yg_logsrc *ls, struct yg_decode_err *e)
{
    (void)st;
    yg_err err = YG_OK;
    size_t start = out->n;
    bool first = true;
    if ((n = yg__line_begin(line, n, e)) == YG_LINE_REFUSED)
        return YG_ESYNTAX;
    size_t tl = 5, at = find_tag(line, n, &tl);
    if (at == n)
        return yg__fmt_fail(e, 0, "expected a %ASA-<severity>-<message id>: tag");
    size_t i = at + tl;
    if (i >= n || line[i] < '0' || line[i] > '7')
        return yg__fmt_fail(e, i, "expected a severity digit 0-7 after %ASA-");
    size_t sev = i++;
    if (i >= n || line[i] != '-')
        return yg__fmt_fail(e, i, "expected `-` after the severity");
    size_t id0 = ++i;
    unsigned id = 0;
    while (i < n && is_digit((unsigned char)line[i]) && i - id0 < 6)
        id = id * 10 + (unsigned)(line[i++] - '0');
    if (i - id0 != 6)
        return yg__fmt_fail(e, i, "expected a 6-digit message id");
    size_t id1 = i;
    if (i >= n || line[i] != ':')
        return yg__fmt_fail(e, i, "expected `:` after the message id");
    i++;
    while (i < n && line[i] == ' ')
        i++;
    const char *m = line + i;
    size_t mn = n - i;

    YG_TRY(yg_buf_addc(out, '{'));
    YG_TRY(put_header(out, &first, line, at));
    YG_TRY(yg__json_kv(out, &first, "severity", 8, line + sev, 1));
    YG_TRY(yg__json_kv(out, &first, "message_id", 10, line + id0, id1 - id0));
    YG_TRY(yg__json_kv(out, &first, "message", 7, m, mn));
    YG_TRY(put_message_fields(out, &first, id, m, mn));
    YG_TRY(yg_buf_addc(out, '}'));
    ls->product = "cisco";
    ls->service = "asa";
    ls->category = NULL;
done:
    return yg__fmt_done(err, out, start, e);
}

const struct yg_linefmt yg__fmt_asa = {
    .name = "asa",
    .desc = "Cisco ASA / FTD / PIX / FWSM syslog (%ASA-<sev>-<id>: ...), VPN and firewall parsed",
    .sniff = asa_sniff,
    .state_new = NULL,
    .state_free = NULL,
    .decode = asa_decode,
};
