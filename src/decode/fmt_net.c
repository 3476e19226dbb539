/*
 * fmt_net.c - escapes, JSON flattening and Zeek names shared by the web
 * server and network sensor formats (see fmt_net.h).
 *
 * The flattener walks JSON itself, next to decode/json.c, on purpose:
 * json.c decodes strings into an arena so the matcher sees plain bytes,
 * while a decoder only re-emits JSON and can copy the escaped bytes as they
 * are.  Copying keeps Zeek JSON and Suricata decoding free of allocation
 * and per-file state, which lets the hunt split big files across threads.
 * The tokens (whitespace, numbers, string bodies and their escapes) are
 * read by core/jsonlex.c like in every other JSON reader, so what the
 * flattener copies is validated the same way; invalid UTF-8 is escaped
 * when copied, so the output is always valid JSON.
 */
#include "decode/fmt_net.h"

#include "core/jsonlex.h"
#include "core/jsonstr.h"
#include "core/utf8.h"

static const char hexd[] = "0123456789abcdef";

/* ---- JSON flattening ------------------------------------------------------ */

/* A JSON string's raw body: `clean` when it is plain ASCII without escapes
 * needing validation again, so it can be copied with one memcpy. */
struct jstr {
    const char *p;
    uint32_t n;
    bool clean;
};

struct frame {
    bool obj;       /* else array */
    bool open;      /* array: a `"key":[` of scalars is open in the output */
    uint32_t ncomp; /* object: index of this object's member key in comp */
};

struct flat {
    const char *b;
    size_t n, i;
    struct yg_buf *out;
    struct yg_decode_err *e;
    struct jstr comp[YG_MAX_JSON_DEPTH + 1];
    uint32_t ncomp; /* key components of the value being parsed */
    size_t fields;
    bool first;
};

static inline size_t skip_ws(const char *b, size_t i, size_t n)
{
    return yg__jlex_ws(b, i, n);
}

static yg_err fail(struct flat *f, size_t at, const char *msg, yg_err err)
{
    f->e->col = at + 1;
    f->e->msg = msg;
    return err;
}

/* Scan the string whose opening quote is at b[i]; validate escapes and
 * control bytes.  On success s is its body and f->i is past the quote. */
static yg_err scan_str(struct flat *f, struct jstr *s)
{
    size_t start = f->i + 1, end;
    unsigned flags;
    const char *why;
    if (yg__jlex_str(f->b, start, f->n, &end, &flags, &why))
        return fail(f, end, why, YG_ESYNTAX);
    if (end - start > UINT32_MAX)
        return fail(f, start, "string too long", YG_ELIMIT);
    s->p = f->b + start;
    s->n = (uint32_t)(end - start);
    s->clean = !flags;
    f->i = end + 1;
    return YG_OK;
}

/* Copy a scanned string body: escapes as they are, invalid UTF-8 bytes as
 * \u00XX like yg_buf_add_json_str. */
static yg_err copy_str(struct yg_buf *out, const struct jstr *s)
{
    if (s->clean)
        return yg__put(out, s->p, s->n);
    yg_err err = yg_buf_reserve(out, s->n);
    const unsigned char *u = (const unsigned char *)s->p;
    size_t i = 0, run = 0, n = s->n;
    while (!err && i < n) {
        if (u[i] == '\\') {
            i += u[i + 1] == 'u' ? 6 : 2; /* validated by scan_str */
            continue;
        }
        if (u[i] < 0x80) {
            i++;
            continue;
        }
        size_t len = yg__utf8_valid_len(u + i, n - i);
        if (len) {
            i += len;
            continue;
        }
        char esc[6] = {'\\', 'u', '0', '0', hexd[u[i] >> 4], hexd[u[i] & 15]};
        if (!(err = yg_buf_add(out, s->p + run, i - run)))
            err = yg_buf_add(out, esc, 6);
        run = ++i;
    }
    return err ? err : yg_buf_add(out, s->p + run, n - run);
}

/* The dotted key of the value being parsed, quoted, and the colon. */
static yg_err put_key(struct flat *f)
{
    yg_err err = YG_OK;
    if (!f->first)
        err = yg__putc(f->out, ',');
    f->first = false;
    if (!err)
        err = yg__putc(f->out, '"');
    for (uint32_t c = 0; !err && c < f->ncomp; c++) {
        if (c)
            err = yg__putc(f->out, '.');
        if (!err)
            err = copy_str(f->out, &f->comp[c]);
    }
    if (!err)
        err = yg__put(f->out, "\":", 2);
    return err;
}

/* The length of the number at b[i] per the JSON grammar, or 0. */
static size_t scan_num(const char *b, size_t i, size_t n)
{
    size_t end;
    return yg__jlex_num(b, i, n, &end) ? end - i : 0;
}

/* The flattener's next step. */
enum fstep { F_VALUE, F_KEY, F_AFTER, F_END };

/* A member key at f->i and its ':' (a root key possibly renamed). */
static yg_err flat_key_at(struct flat *f, const struct frame *o, unsigned depth,
                          const struct yg_json_flatten *how)
{
    yg_err err = YG_OK;
    const char *line = f->b;
    size_t n = f->n;
    if (f->i >= n || line[f->i] != '"')
        return fail(f, f->i, "expected a string key in object", YG_ESYNTAX);
    struct jstr k;
    YG_TRY(scan_str(f, &k));
    if (depth == 1 && how && how->root_rename) {
        const char *r = how->root_rename(k.p, k.n);
        if (r)
            k = (struct jstr){r, (uint32_t)strlen(r), true};
    }
    f->comp[o->ncomp] = k;
    f->ncomp = o->ncomp + 1;
    f->i = skip_ws(line, f->i, n);
    if (f->i >= n || line[f->i] != ':')
        return fail(f, f->i, "expected ':' after object key", YG_ESYNTAX);
    f->i = skip_ws(line, f->i + 1, n);
done:
    return err;
}

/* An object or array at f->i: pushed (its first member or element next),
 * or, when empty, written as a leaf ([] kept so `exists` sees it). */
static yg_err flat_container(struct flat *f, struct frame *st, unsigned *depth, enum fstep *next)
{
    yg_err err = YG_OK;
    const char *line = f->b;
    struct frame *top = &st[*depth - 1];
    char c = line[f->i];
    size_t j = skip_ws(line, f->i + 1, f->n);
    bool empty = j < f->n && line[j] == (c == '{' ? '}' : ']');
    if (!top->obj && top->open && !empty) {
        YG_TRY(yg__putc(f->out, ']'));
        top->open = false;
    }
    if (empty) {
        /* An empty object has no leaves; an empty array is a field with no
         * values, kept so `exists` sees it. */
        if (c == '[' && (top->obj || !top->open)) {
            YG_TRY(put_key(f));
            YG_TRY(yg__put(f->out, "[]", 2));
        }
        f->i = j + 1;
        *next = F_AFTER;
        return YG_OK;
    }
    if (*depth > YG_MAX_JSON_DEPTH)
        return fail(f, f->i, "JSON nested deeper than YG_MAX_JSON_DEPTH", YG_ELIMIT);
    st[(*depth)++] = (struct frame){.obj = c == '{', .open = false, .ncomp = f->ncomp};
    f->i = j;
    *next = c == '{' ? F_KEY : F_VALUE;
done:
    return err;
}

/* A scalar: its text between quotes, or nothing for null. */
static yg_err flat_scalar(struct flat *f, struct frame *top, unsigned depth,
                          const struct yg_json_flatten *how)
{
    yg_err err = YG_OK;
    const char *line = f->b;
    size_t n = f->n;
    struct yg_buf *out = f->out;
    char c = line[f->i];
    struct jstr s = {line + f->i, 0, true};
    bool is_str = c == '"', is_null = false;
    if (is_str) {
        YG_TRY(scan_str(f, &s));
    } else if ((s.n = (uint32_t)yg__jlex_lit(line, f->i, n))) {
        is_null = c == 'n';
    } else if (!(s.n = (uint32_t)scan_num(line, f->i, n))) {
        return fail(f, f->i,
                    c == '-' || (c >= '0' && c <= '9')
                        ? "invalid number"
                        : "invalid value (expected a string, number, object, "
                          "array, true, false or null)",
                    YG_ESYNTAX);
    }
    if (!is_str)
        f->i += s.n;
    if (is_null)
        return YG_OK;
    if (++f->fields > YG_MAX_EVENT_FIELDS)
        return fail(f, (size_t)(s.p - line), "more values than YG_MAX_EVENT_FIELDS", YG_ELIMIT);
    if (top->obj) {
        YG_TRY(put_key(f));
    } else if (!top->open) {
        YG_TRY(put_key(f));
        YG_TRY(yg__putc(out, '['));
        top->open = true;
    } else {
        YG_TRY(yg__putc(out, ','));
    }
    YG_TRY(yg__putc(out, '"'));
    YG_TRY(copy_str(out, &s));
    YG_TRY(yg__putc(out, '"'));
    if (is_str && depth == 1 && how && how->root_str)
        how->root_str(how->ud, f->comp[0].p, f->comp[0].n, s.p, s.n);
done:
    return err;
}

/* After a value: the next member or element, or the containers it closes. */
static yg_err flat_after(struct flat *f, struct frame *st, unsigned *depth, enum fstep *next)
{
    yg_err err = YG_OK;
    const char *line = f->b;
    size_t n = f->n;
    for (;;) {
        f->i = skip_ws(line, f->i, n);
        if (f->i >= n)
            return fail(f, n, "unexpected end of line inside the JSON object", YG_ESYNTAX);
        struct frame *top = &st[*depth - 1];
        if (line[f->i] == ',') {
            f->i = skip_ws(line, f->i + 1, n);
            if (top->obj) {
                *next = F_KEY;
            } else {
                f->ncomp = top->ncomp;
                *next = F_VALUE; /* next array element */
            }
            return YG_OK;
        }
        if (line[f->i] != (top->obj ? '}' : ']'))
            return fail(f, f->i,
                        top->obj ? "expected ',' or '}' in object" : "expected ',' or ']' in array",
                        YG_ESYNTAX);
        f->i++;
        if (!top->obj && top->open)
            YG_TRY(yg__putc(f->out, ']'));
        if (--*depth == 0) {
            *next = F_END;
            return YG_OK;
        }
    }
done:
    return err;
}

/* The value at f->i: a container, or a scalar written as a leaf. */
static yg_err flat_value(struct flat *f, struct frame *st, unsigned *depth,
                         const struct yg_json_flatten *how, enum fstep *next)
{
    if (f->i >= f->n)
        return fail(f, f->n, "unexpected end of line inside the JSON object", YG_ESYNTAX);
    char c = f->b[f->i];
    if (c == '{' || c == '[')
        return flat_container(f, st, depth, next);
    *next = F_AFTER;
    return flat_scalar(f, &st[*depth - 1], *depth, how);
}

yg_err yg__json_flatten(const char *line, size_t n, struct yg_buf *out,
                        const struct yg_json_flatten *how, struct yg_decode_err *e)
{
    struct flat f;
    struct frame st[YG_MAX_JSON_DEPTH + 1];
    unsigned depth = 0;
    size_t start_n = out->n;
    yg_err err = YG_OK;
    f.b = line;
    f.n = n;
    f.out = out;
    f.e = e;
    f.ncomp = 0;
    f.fields = 0;
    f.first = true;
    e->col = 0;
    e->msg = NULL;
    f.i = skip_ws(line, 0, n);
    if (f.i >= n || line[f.i] != '{') {
        err = fail(&f, f.i, "expected a JSON object", YG_ESYNTAX);
        goto done;
    }
    YG_TRY(yg__putc(out, '{'));
    st[0] = (struct frame){.obj = true, .open = false, .ncomp = 0};
    depth = 1;
    /* The root's first member, or its closing brace. */
    f.i = skip_ws(line, f.i + 1, n);
    enum fstep step = F_KEY;
    if (f.i < n && line[f.i] == '}') {
        f.i++;
        step = F_END;
    }
    while (step != F_END) {
        if (step == F_KEY) {
            YG_TRY(flat_key_at(&f, &st[depth - 1], depth, how));
            step = F_VALUE;
        } else if (step == F_VALUE) {
            YG_TRY(flat_value(&f, st, &depth, how, &step));
        } else {
            YG_TRY(flat_after(&f, st, &depth, &step));
        }
    }
    if (skip_ws(line, f.i, n) != n) {
        err = fail(&f, skip_ws(line, f.i, n), "text after the JSON object", YG_ESYNTAX);
        goto done;
    }
    YG_TRY(yg_buf_addc(out, '}'));
done:
    if (err) {
        if (!e->msg)
            fail(&f, f.i, err == YG_ENOMEM ? "out of memory" : "decoded event too large", err);
        out->n = start_n;
        if (out->p)
            out->p[out->n] = 0;
    }
    return err;
}

/* ---- Zeek names ------------------------------------------------------------ */

/* Zeek's log streams (base, policy and common packages), sorted. */
static const char *const zeek_logs[] = {
    "analyzer",
    "broker",
    "capture_loss",
    "cluster",
    "config",
    "conn",
    "conn_long",
    "dce_rpc",
    "dhcp",
    "dnp3",
    "dns",
    "dpd",
    "files",
    "ftp",
    "http",
    "intel",
    "irc",
    "kerberos",
    "known_certs",
    "known_devices",
    "known_hosts",
    "known_modbus",
    "known_services",
    "ldap",
    "ldap_search",
    "loaded_scripts",
    "modbus",
    "modbus_register_change",
    "mqtt_connect",
    "mqtt_publish",
    "mqtt_subscribe",
    "mysql",
    "netcontrol",
    "netcontrol_drop",
    "netcontrol_shunt",
    "notice",
    "notice_alarm",
    "ntlm",
    "ntp",
    "ocsp",
    "openflow",
    "packet_filter",
    "pe",
    "postgresql",
    "print",
    "quic",
    "radius",
    "rdp",
    "redis",
    "reporter",
    "rfb",
    "signatures",
    "sip",
    "smb_cmd",
    "smb_files",
    "smb_mapping",
    "smtp",
    "snmp",
    "socks",
    "software",
    "ssh",
    "ssl",
    "stats",
    "syslog",
    "telemetry",
    "traceroute",
    "tunnel",
    "unified2",
    "unknown_protocols",
    "websocket",
    "weird",
    "weird_stats",
    "x509",
};

static int cmp_name(const char *a, size_t an, const char *b)
{
    size_t bn = strlen(b);
    int c = memcmp(a, b, an < bn ? an : bn);
    return c ? c : (an > bn) - (an < bn);
}

const char *yg__zeek_service(const char *path, size_t n)
{
    size_t lo = 0, hi = sizeof zeek_logs / sizeof *zeek_logs;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = cmp_name(path, n, zeek_logs[mid]);
        if (!c)
            return zeek_logs[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return "unknown";
}

/* Record fields of the standard logs as `_`-scoped names, sorted, with the
 * dotted names Zeek writes by default (and SigmaHQ's rules use). */
static const char *const zeek_scoped[][2] = {
    {"basic_constraints_ca", "basic_constraints.ca"},
    {"basic_constraints_path_len", "basic_constraints.path_len"},
    {"certificate_cn", "certificate.cn"},
    {"certificate_curve", "certificate.curve"},
    {"certificate_exponent", "certificate.exponent"},
    {"certificate_issuer", "certificate.issuer"},
    {"certificate_key_alg", "certificate.key_alg"},
    {"certificate_key_length", "certificate.key_length"},
    {"certificate_key_type", "certificate.key_type"},
    {"certificate_not_valid_after", "certificate.not_valid_after"},
    {"certificate_not_valid_before", "certificate.not_valid_before"},
    {"certificate_serial", "certificate.serial"},
    {"certificate_sig_alg", "certificate.sig_alg"},
    {"certificate_subject", "certificate.subject"},
    {"certificate_tbs_sig_alg", "certificate.tbs_sig_alg"},
    {"certificate_version", "certificate.version"},
    {"data_channel_orig_h", "data_channel.orig_h"},
    {"data_channel_passive", "data_channel.passive"},
    {"data_channel_resp_h", "data_channel.resp_h"},
    {"data_channel_resp_p", "data_channel.resp_p"},
    {"id_orig_h", "id.orig_h"},
    {"id_orig_p", "id.orig_p"},
    {"id_resp_h", "id.resp_h"},
    {"id_resp_p", "id.resp_p"},
    {"id_vlan", "id.vlan"},
    {"id_vlan_inner", "id.vlan_inner"},
    {"remote_location_city", "remote_location.city"},
    {"remote_location_country_code", "remote_location.country_code"},
    {"remote_location_latitude", "remote_location.latitude"},
    {"remote_location_longitude", "remote_location.longitude"},
    {"remote_location_region", "remote_location.region"},
    {"san_dns", "san.dns"},
    {"san_email", "san.email"},
    {"san_ip", "san.ip"},
    {"san_other_fields", "san.other_fields"},
    {"san_uri", "san.uri"},
    {"seen_indicator", "seen.indicator"},
    {"seen_indicator_type", "seen.indicator_type"},
    {"seen_node", "seen.node"},
    {"seen_where", "seen.where"},
    {"times_accessed", "times.accessed"},
    {"times_changed", "times.changed"},
    {"times_created", "times.created"},
    {"times_modified", "times.modified"},
    {"version_addl", "version.addl"},
    {"version_major", "version.major"},
    {"version_minor", "version.minor"},
    {"version_minor2", "version.minor2"},
    {"version_minor3", "version.minor3"},
};

const char *yg__zeek_dotted(const char *k, size_t kn)
{
    /* Every scoped name starts with one of these: most keys leave here. */
    if (kn < 6 || !memchr("bcdirstv", k[0], 8) || !memchr(k, '_', kn))
        return NULL;
    size_t lo = 0, hi = sizeof zeek_scoped / sizeof *zeek_scoped;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = cmp_name(k, kn, zeek_scoped[mid][0]);
        if (!c)
            return zeek_scoped[mid][1];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

const char *yg__zeek_category(const char *service)
{
    /* SigmaHQ's `category: dns` rules test `query`, the name Zeek's dns.log
     * uses for the question. */
    return strcmp(service, "dns") == 0 ? "dns" : NULL;
}
