/*
 * fmt_otlp.c - OpenTelemetry logs as OTLP/JSON (docs/inputs.md#opentelemetry).
 *
 * One record of this format is one ExportLogsServiceRequest: what an OTLP
 * client POSTs to /v1/logs, and what the OpenTelemetry collector's file
 * exporter writes as one line.  It holds many log records
 * (resourceLogs[].scopeLogs[].logRecords[]), so decode writes one flat JSON
 * object per log record, each followed by a newline, and record_logsrc says
 * each one's log source.
 *
 * Flattening: attributes are key/value lists of AnyValue; each leaf becomes
 * `attributes.KEY` (nested kvlists `attributes.KEY.SUB`, arrays a JSON array),
 * resource attributes `resource.KEY`, scope name and version `scope.name`,
 * `scope.version`, the body `body` (or `body.KEY` for a map body), plus
 * severityText, severityNumber, traceId, spanId, eventName, and `timestamp`
 * (timeUnixNano, else observedTimeUnixNano, as RFC 3339 UTC).  Every value is
 * a JSON string, as with every decoder, so matching sees the exporter's text.
 *
 * The log source: attributes `logsource.product`, `logsource.service` and
 * `logsource.category` of the record, else of its resource; without them
 * the record has none of its own and the configured one applies
 * (`--logsource`, an input's `logsource:`).
 */
#include <stdio.h>
#include <time.h>

#include "decode/format.h"
#include "core/timeparse.h"
#include "core/tjson.h"

/* Log source strings kept for the records of the last request: at most this
 * many records carry their own (the rest fall back to the configured one),
 * and each name at most LS_LEN bytes. */
#define LS_MAX 4096
#define LS_LEN 48

#define OK(x)                                                                                      \
    do {                                                                                           \
        yg_err e_ = (x);                                                                           \
        if (e_)                                                                                    \
            return e_;                                                                             \
    } while (0)

struct otlp_state {
    struct yg_arena a; /* the parsed request; reset per line */
    size_t nrec;
    struct yg_logsrc *ls; /* per record, in the arena */
    size_t lscap;
};

static void *state_new(void)
{
    struct otlp_state *st = yg_calloc(1, sizeof *st);
    if (st)
        yg_arena_init(&st->a, 1u << 16, (size_t)YG_MAX_EVENT_BYTES * 16);
    return st;
}

static void state_free(void *p)
{
    struct otlp_state *st = p;
    if (!st)
        return;
    yg_arena_free(&st->a);
    yg_free(st);
}

struct out {
    struct yg_buf *b;
    bool first;
    char key[512];
};

static const struct yg_tj *arr(const struct yg_tj *o, const char *k)
{
    const struct yg_tj *v = yg__tj_get(o, k);
    return v && v->type == YG_TJ_ARR ? v : NULL;
}

static yg_err put_str(struct out *o, size_t kl, const char *v, size_t vn)
{
    return yg__json_kv(o->b, &o->first, o->key, kl, v, vn);
}

/* The text of a scalar AnyValue, or NULL for arrays, maps and unknown. */
static const char *scalar_text(const struct yg_tj *v, size_t *n)
{
    if (!v || v->type != YG_TJ_OBJ || v->n != 1)
        return NULL;
    const char *k = v->keys[0];
    const struct yg_tj *x = v->kids[0];
    if (!strcmp(k, "stringValue") || !strcmp(k, "bytesValue")) {
        if (x->type != YG_TJ_STR)
            return NULL;
    } else if (!strcmp(k, "intValue") || !strcmp(k, "doubleValue")) {
        /* Proto3 JSON writes 64-bit integers as strings, doubles as numbers. */
        if (x->type != YG_TJ_STR && x->type != YG_TJ_NUM)
            return NULL;
    } else if (!strcmp(k, "boolValue")) {
        if (x->type != YG_TJ_BOOL)
            return NULL;
        *n = x->b ? 4 : 5;
        return x->b ? "true" : "false";
    } else {
        return NULL;
    }
    *n = x->sn;
    return x->s;
}

static yg_err put_kvlist(struct out *o, size_t kl, const struct yg_tj *list, unsigned depth);

/* One AnyValue under o->key[0..kl). */
static yg_err put_any(struct out *o, size_t kl, const struct yg_tj *v, unsigned depth)
{
    size_t n = 0;
    const char *s = scalar_text(v, &n);
    if (s)
        return put_str(o, kl, s, n);
    if (!v || v->type != YG_TJ_OBJ || v->n != 1 || depth > 8)
        return YG_OK; /* empty or unknown values carry nothing to match */
    const struct yg_tj *inner = v->kids[0];
    if (!strcmp(v->keys[0], "kvlistValue"))
        return put_kvlist(o, kl, arr(inner, "values"), depth + 1);
    if (!strcmp(v->keys[0], "arrayValue")) {
        const struct yg_tj *vals = arr(inner, "values");
        if (!vals)
            return YG_OK;
        /* An array of scalars is one multi-valued field, as Sigma sees
         * JSON arrays; nested structures inside it are left out. */
        if (!o->first && yg_buf_addc(o->b, ','))
            return YG_ENOMEM;
        o->first = false;
        if (yg_buf_add_json_str(o->b, o->key, kl) || yg_buf_add(o->b, ":[", 2))
            return YG_ENOMEM;
        for (size_t i = 0, w = 0; i < vals->n; i++) {
            const char *t = scalar_text(vals->kids[i], &n);
            if (!t)
                continue;
            if (w++ && yg_buf_addc(o->b, ','))
                return YG_ENOMEM;
            if (yg_buf_add_json_str(o->b, t, n))
                return YG_ENOMEM;
        }
        return yg_buf_addc(o->b, ']');
    }
    return YG_OK;
}

/* Attributes (a list of {key, value}) under the prefix o->key[0..kl). */
static yg_err put_kvlist(struct out *o, size_t kl, const struct yg_tj *list, unsigned depth)
{
    if (!list)
        return YG_OK;
    for (size_t i = 0; i < list->n; i++) {
        const struct yg_tj *kv = list->kids[i];
        const char *k = yg__tj_str(kv, "key");
        if (!k)
            continue;
        size_t kn = strlen(k);
        if (kl + 1 + kn >= sizeof o->key)
            continue; /* a key path past 511 bytes is not a field any rule names */
        size_t nl = kl;
        if (kl)
            o->key[nl++] = '.';
        memcpy(o->key + nl, k, kn);
        OK(put_any(o, nl + kn, yg__tj_get(kv, "value"), depth));
    }
    return YG_OK;
}

static size_t setkey(struct out *o, const char *k)
{
    size_t n = strlen(k);
    memcpy(o->key, k, n + 1);
    return n;
}

static yg_err put_field(struct out *o, const char *k, const struct yg_tj *v)
{
    if (!v || (v->type != YG_TJ_STR && v->type != YG_TJ_NUM) || !v->sn)
        return YG_OK;
    return put_str(o, setkey(o, k), v->s, v->sn);
}

/* timeUnixNano as RFC 3339 UTC with nanoseconds. */
static yg_err put_time(struct out *o, const struct yg_tj *v)
{
    if (!v || (v->type != YG_TJ_STR && v->type != YG_TJ_NUM) || !v->sn || v->sn > 20)
        return YG_OK;
    unsigned long long ns = 0;
    for (size_t i = 0; i < v->sn; i++) {
        if (v->s[i] < '0' || v->s[i] > '9')
            return YG_OK;
        ns = ns * 10 + (unsigned)(v->s[i] - '0');
    }
    if (!ns)
        return YG_OK; /* 0 means unknown in OTLP */
    char buf[YG_TIME_TEXT];
    size_t w =
        yg__time_format_frac((int64_t)(ns / 1000000000ull), (uint32_t)(ns % 1000000000ull), 9, buf);
    if (!w)
        return YG_OK;
    return put_str(o, setkey(o, "timestamp"), buf, w);
}

/* A log source name from an attribute: short, lower-cased, [a-z0-9_.-]. */
static const char *ls_name(struct otlp_state *st, const struct yg_tj *attrs, const char *key)
{
    for (size_t i = 0; attrs && i < attrs->n; i++) {
        const char *k = yg__tj_str(attrs->kids[i], "key");
        if (!k || strcmp(k, key) != 0)
            continue;
        size_t n = 0;
        const char *s = scalar_text(yg__tj_get(attrs->kids[i], "value"), &n);
        if (!s || !n || n > LS_LEN)
            return NULL;
        char *d = yg_arena_alloc(&st->a, n + 1);
        if (!d)
            return NULL;
        for (size_t j = 0; j < n; j++) {
            char c = s[j] >= 'A' && s[j] <= 'Z' ? (char)(s[j] - 'A' + 'a') : s[j];
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
                  c == '.'))
                return NULL;
            d[j] = c;
        }
        d[n] = 0;
        return d;
    }
    return NULL;
}

static const char *ls_pick(struct otlp_state *st, const struct yg_tj *rec_attrs,
                           const struct yg_tj *res_attrs, const char *key)
{
    const char *v = ls_name(st, rec_attrs, key);
    return v ? v : ls_name(st, res_attrs, key);
}

static yg_err one_record(struct otlp_state *st, struct yg_buf *b, const struct yg_tj *res,
                         const struct yg_tj *scope, const struct yg_tj *rec)
{
    struct out o = {b, true, {0}};
    if (yg_buf_addc(b, '{'))
        return YG_ENOMEM;
    const struct yg_tj *t = yg__tj_get(rec, "timeUnixNano");
    if (!t || !t->sn || (t->sn == 1 && t->s[0] == '0'))
        t = yg__tj_get(rec, "observedTimeUnixNano");
    OK(put_time(&o, t));
    OK(put_field(&o, "severityText", yg__tj_get(rec, "severityText")));
    OK(put_field(&o, "severityNumber", yg__tj_get(rec, "severityNumber")));
    OK(put_field(&o, "traceId", yg__tj_get(rec, "traceId")));
    OK(put_field(&o, "spanId", yg__tj_get(rec, "spanId")));
    OK(put_field(&o, "eventName", yg__tj_get(rec, "eventName")));
    OK(put_any(&o, setkey(&o, "body"), yg__tj_get(rec, "body"), 0));
    const struct yg_tj *rattrs = arr(rec, "attributes");
    const struct yg_tj *resattrs = arr(yg__tj_get(res, "resource"), "attributes");
    OK(put_kvlist(&o, setkey(&o, "attributes"), rattrs, 0));
    OK(put_kvlist(&o, setkey(&o, "resource"), resattrs, 0));
    const struct yg_tj *sc = yg__tj_get(scope, "scope");
    OK(put_field(&o, "scope.name", yg__tj_get(sc, "name")));
    OK(put_field(&o, "scope.version", yg__tj_get(sc, "version")));
    OK(put_kvlist(&o, setkey(&o, "scope.attributes"), arr(sc, "attributes"), 0));
    if (yg_buf_add(b, "}\n", 2))
        return YG_ENOMEM;
    if (st->nrec == st->lscap) {
        size_t nc = st->lscap ? 2 * st->lscap : 64;
        struct yg_logsrc *nl = yg_arena_alloc(&st->a, nc * sizeof *nl);
        if (!nl)
            return YG_ENOMEM;
        if (st->nrec)
            memcpy(nl, st->ls, st->nrec * sizeof *nl);
        st->ls = nl;
        st->lscap = nc;
    }
    struct yg_logsrc *ls = &st->ls[st->nrec++];
    memset(ls, 0, sizeof *ls);
    if (st->nrec <= LS_MAX) {
        ls->product = ls_pick(st, rattrs, resattrs, "logsource.product");
        ls->service = ls_pick(st, rattrs, resattrs, "logsource.service");
        ls->category = ls_pick(st, rattrs, resattrs, "logsource.category");
    }
    return YG_OK;
}

static yg_err decode(void *stp, const char *line, size_t n, struct yg_buf *out,
                     struct yg_logsrc *ls, struct yg_decode_err *e)
{
    struct otlp_state *st = stp;
    if (!st)
        return YG_ENOMEM;
    yg_arena_reset(&st->a);
    st->nrec = 0;
    st->ls = NULL;
    st->lscap = 0;
    struct yg_tj *root;
    size_t eoff = 0;
    const char *emsg = NULL;
    yg_err err = yg__tj_parse(line, n, &st->a, &root, &eoff, &emsg);
    if (err == YG_ENOMEM)
        return yg__fmt_fail(e, 0, "request too large for memory");
    if (err)
        return yg__fmt_fail(e, eoff < n ? eoff : n, emsg ? emsg : "invalid JSON");
    const struct yg_tj *rl = yg__tj_get(root, "resourceLogs");
    if (!rl || rl->type != YG_TJ_ARR)
        return yg__fmt_fail(e, 0, "expected an object with a resourceLogs array (OTLP/JSON logs)");
    size_t n0 = out->n;
    for (size_t i = 0; i < rl->n; i++) {
        const struct yg_tj *res = rl->kids[i];
        const struct yg_tj *sls = arr(res, "scopeLogs");
        for (size_t j = 0; sls && j < sls->n; j++) {
            const struct yg_tj *recs = arr(sls->kids[j], "logRecords");
            for (size_t k = 0; recs && k < recs->n; k++) {
                if (recs->kids[k]->type != YG_TJ_OBJ)
                    continue;
                err = one_record(st, out, res, sls->kids[j], recs->kids[k]);
                if (err) {
                    out->n = n0;
                    st->nrec = 0;
                    return err == YG_ENOMEM
                               ? yg__fmt_fail(e, recs->kids[k]->start, "log records too large")
                               : err;
                }
            }
        }
    }
    ls->product = ls->service = ls->category = NULL;
    return st->nrec ? YG_OK : YG_EOF;
}

static void record_logsrc(void *stp, size_t i, struct yg_logsrc *ls)
{
    struct otlp_state *st = stp;
    memset(ls, 0, sizeof *ls);
    if (st && i < st->nrec)
        *ls = st->ls[i];
}

static int sniff(const char *line, size_t n)
{
    size_t head;
    const char *h = yg__json_sniff_head(line, n, false, 256, &head);
    return h && yg__json_has_member(h, head, "resourceLogs", NULL) ? 95 : 0;
}

const struct yg_linefmt yg__fmt_otlp = {
    .json_records = true,
    .name = "otlp",
    .desc = "OpenTelemetry logs as OTLP/JSON (collector file exporter, one request per line)",
    .sniff = sniff,
    .state_new = state_new,
    .state_free = state_free,
    .decode = decode,
    .record_logsrc = record_logsrc,
};
