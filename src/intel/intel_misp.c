/*
 * intel_misp.c - indicators from MISP events: a feed event file
 * ({"Event":{...}}), REST search output ({"response":[{"Event":{...}}, ...]}),
 * or a JSON array of either.  Feed folders (manifest.json plus one
 * <uuid>.json per event) are walked by intel_load.c, which calls this per
 * event file.
 *
 * Every attribute of the event and of its objects is considered:
 *   - types that are not indicators (text, link, comment, filename, ...)
 *     are skipped and counted (skipped_other);
 *   - `to_ids: false` attributes are skipped and counted (skipped_not_ids):
 *     MISP's own flag for "do not use for detection";
 *   - deleted attributes are ignored.
 * Source: the event's Orgc name (else Org).  TLP: a tlp:* tag on the
 * attribute, else on the event, else the default.  Confidence: a
 * misp:confidence-level or estimative-language:confidence-in-analytic-
 * judgment tag (attribute, then event), else the event's threat_level_id
 * (1 high: 85, 2 medium: 60, 3 low: 35, 4 undefined: unknown).
 * Description: the attribute's comment, else the event's info.  Labels: the
 * event's other tags.  first_seen and last_seen: the attribute's.
 */
#include <stdio.h>
#include <stdlib.h>

#include "intel/intel.h"

static const struct {
    const char *misp;
    int type; /* yg_ioc_type; -2: domain|ip */
    int part; /* 0 whole, 1 before '|', 2 after '|' */
    const char *hk;
} types[] = {
    {"ip-src", YG_IOC_IP, 0, NULL},
    {"ip-dst", YG_IOC_IP, 0, NULL},
    {"ip-src|port", YG_IOC_IP, 1, NULL},
    {"ip-dst|port", YG_IOC_IP, 1, NULL},
    {"domain", YG_IOC_DOMAIN, 0, NULL},
    {"hostname", YG_IOC_DOMAIN, 0, NULL},
    {"hostname|port", YG_IOC_DOMAIN, 1, NULL},
    {"domain|ip", -2, 0, NULL},
    {"url", YG_IOC_URL, 0, NULL},
    {"uri", YG_IOC_URL, 0, NULL},
    {"md5", YG_IOC_HASH, 0, "md5"},
    {"sha1", YG_IOC_HASH, 0, "sha1"},
    {"sha256", YG_IOC_HASH, 0, "sha256"},
    {"sha512", YG_IOC_HASH, 0, "sha512"},
    {"filename|md5", YG_IOC_HASH, 2, "md5"},
    {"filename|sha1", YG_IOC_HASH, 2, "sha1"},
    {"filename|sha256", YG_IOC_HASH, 2, "sha256"},
    {"filename|sha512", YG_IOC_HASH, 2, "sha512"},
    {"email", YG_IOC_EMAIL, 0, NULL},
    {"email-src", YG_IOC_EMAIL, 0, NULL},
    {"email-dst", YG_IOC_EMAIL, 0, NULL},
    {"email-reply-to", YG_IOC_EMAIL, 0, NULL},
    {"user-agent", YG_IOC_USER_AGENT, 0, NULL},
};

struct part {
    int type;
    const char *v;
    size_t n;
};

struct ev {
    struct yg_iload *l;
    const char *source, *tlp, *info, *labels;
    int confidence;
    struct yg_arena *a;
};

static const char *tag_name(const struct yg_tj *t)
{
    return yg__tj_str(t, "name");
}

/* TLP and confidence from a Tag array. */
static void scan_tags(const struct yg_tj *tags, const char **tlp, int *conf)
{
    const struct yg_tj *t;
    for (size_t ti = 0; (t = yg__tj_kid(tags, YG_TJ_ARR, ti)); ti++) {
        const char *n = tag_name(t);
        if (!n)
            continue;
        size_t nn = strlen(n);
        if (nn > 4 && yg_str_ieq(n, 4, "tlp:", 4)) {
            const char *c = yg__tlp_canon(n, nn);
            if (c)
                *tlp = c;
            continue;
        }
        const char *q = strchr(n, '"');
        if (!q)
            continue;
        if (!strncmp(n, "misp:confidence-level=", 22)) {
            static const struct {
                const char *k;
                int v;
            } lv[] = {{"completely-confident", 100},
                      {"usually-confident", 75},
                      {"fairly-confident", 50},
                      {"rarely-confident", 25},
                      {"unconfident", 0}};
            for (size_t i = 0; i < sizeof lv / sizeof *lv; i++)
                if (!strncmp(q + 1, lv[i].k, strlen(lv[i].k)))
                    *conf = lv[i].v;
        } else if (!strncmp(n, "estimative-language:confidence-in-analytic-judgment=", 52)) {
            if (!strncmp(q + 1, "high", 4))
                *conf = 90;
            else if (!strncmp(q + 1, "moderate", 8))
                *conf = 60;
            else if (!strncmp(q + 1, "low", 3))
                *conf = 30;
        }
    }
}

static const char *labels_of(const struct yg_tj *tags, struct yg_arena *a)
{
    struct yg_buf b;
    yg_buf_init(&b, 1u << 20);
    bool ok = !yg_buf_addc(&b, '[');
    size_t k = 0;
    const struct yg_tj *t;
    for (size_t ti = 0; (t = yg__tj_kid(tags, YG_TJ_ARR, ti)) && ok; ti++) {
        const char *n = tag_name(t);
        if (!n || (strlen(n) > 4 && yg_str_ieq(n, 4, "tlp:", 4)))
            continue;
        ok = !(k++ && yg_buf_addc(&b, ',')) && !yg_buf_add_json_str(&b, n, strlen(n));
    }
    ok = ok && !yg_buf_addc(&b, ']');
    const char *r = ok && k ? yg_arena_strndup(a, b.p, b.n) : NULL;
    yg_buf_free(&b);
    return r;
}

static bool truthy(const struct yg_tj *v)
{
    if (!v)
        return false;
    if (v->type == YG_TJ_BOOL)
        return v->b;
    if (v->type == YG_TJ_NUM || v->type == YG_TJ_STR)
        return v->sn && strcmp(v->s, "0") && strcmp(v->s, "false");
    return false;
}

static yg_err attribute(struct ev *e, const struct yg_tj *at)
{
    struct yg_iload *l = e->l;
    const char *type = yg__tj_str(at, "type");
    const struct yg_tj *vn = yg__tj_get(at, "value");
    const char *uuid = yg__tj_str(at, "uuid");
    unsigned line, col;
    if (truthy(yg__tj_get(at, "deleted")))
        return YG_OK;
    if (!type || !vn || vn->type != YG_TJ_STR) {
        yg__intel_linecol(l->buf, at->start, &line, &col);
        yg__intel_diag(l->in, l->file, line, col, uuid, YG_ESYNTAX, NULL,
                       "attribute without a type and a value (strings)");
        return YG_OK;
    }
    int ti = -1;
    for (size_t i = 0; i < sizeof types / sizeof *types; i++)
        if (!strcmp(type, types[i].misp))
            ti = (int)i;
    if (ti < 0) {
        l->in->st.skipped_other++;
        return YG_OK;
    }
    const struct yg_tj *tid = yg__tj_get(at, "to_ids");
    if (tid && !truthy(tid)) {
        l->in->st.skipped_not_ids++;
        return YG_OK;
    }
    struct yg_ioc_in x;
    yg__ioc_in_init(&x);
    x.id = uuid;
    x.idn = uuid ? strlen(uuid) : 0;
    x.source = e->source;
    x.tlp = e->tlp;
    x.confidence = e->confidence;
    const struct yg_tj *tags = yg__tj_get(at, "Tag");
    if (tags)
        scan_tags(tags, &x.tlp, &x.confidence);
    const char *cm = yg__tj_str(at, "comment");
    x.description = cm && *cm ? cm : e->info;
    x.labels_json = e->labels;
    x.file = l->file;
    const char *t;
    if ((t = yg__tj_str(at, "first_seen")))
        (void)yg__intel_time(t, strlen(t), &x.first_seen);
    if ((t = yg__tj_str(at, "last_seen")))
        (void)yg__intel_time(t, strlen(t), &x.last_seen);
    const char *v = vn->s;
    size_t n = vn->sn;
    const char *bar = memchr(v, '|', n);
    struct part parts[2];
    int np = 0;
    if (types[ti].type == -2) {
        if (!bar)
            goto bad_pair;
        parts[np++] = (struct part){YG_IOC_DOMAIN, v, (size_t)(bar - v)};
        parts[np++] = (struct part){YG_IOC_IP, bar + 1, n - (size_t)(bar - v) - 1};
    } else if (types[ti].part == 1) {
        parts[np++] = (struct part){types[ti].type, v, bar ? (size_t)(bar - v) : n};
    } else if (types[ti].part == 2) {
        if (!bar)
            goto bad_pair;
        parts[np++] = (struct part){types[ti].type, bar + 1, n - (size_t)(bar - v) - 1};
    } else {
        parts[np++] = (struct part){types[ti].type, v, n};
    }
    for (int i = 0; i < np; i++) {
        x.type = (yg_ioc_type)parts[i].type;
        x.value = parts[i].v;
        x.vn = parts[i].n;
        x.hash_kind = types[ti].hk;
        const char *why;
        yg_err err = yg__intel_add(l->in, &x, &why);
        if (err == YG_ENOMEM)
            return err;
        if (err) {
            yg__intel_linecol(l->buf, vn->start, &line, &col);
            yg__intel_diag(l->in, l->file, line, col, uuid, err, NULL, "%s '%.*s': %s", type,
                           (int)(x.vn > 200 ? 200 : x.vn), x.value, why ? why : yg_strerror(err));
            if (err == YG_ELIMIT)
                return err;
        }
    }
    return YG_OK;
bad_pair:
    yg__intel_linecol(l->buf, vn->start, &line, &col);
    yg__intel_diag(l->in, l->file, line, col, uuid, YG_ESYNTAX, NULL,
                   "%s value '%.*s' has no '|' between its two parts", type,
                   (int)(n > 200 ? 200 : n), v);
    return YG_OK;
}

static yg_err event(struct yg_iload *l, const struct yg_tj *evn, struct yg_arena *a)
{
    struct ev e = {l, NULL, NULL, NULL, NULL, -1, a};
    const struct yg_tj *orgc = yg__tj_get(evn, "Orgc");
    if (!orgc)
        orgc = yg__tj_get(evn, "Org");
    e.source = orgc ? yg__tj_str(orgc, "name") : NULL;
    if (!e.source)
        e.source = l->source;
    e.info = yg__tj_str(evn, "info");
    e.tlp = l->tlp;
    const struct yg_tj *tl = yg__tj_get(evn, "threat_level_id");
    if (tl && (tl->type == YG_TJ_STR || tl->type == YG_TJ_NUM)) {
        static const int conf[5] = {-1, 85, 60, 35, -1};
        long v = strtol(tl->s, NULL, 10);
        e.confidence = v >= 1 && v <= 4 ? conf[v] : -1;
    }
    if (e.confidence < 0 && l->o && l->o->confidence > 0)
        e.confidence = l->o->confidence;
    const struct yg_tj *tags = yg__tj_get(evn, "Tag");
    scan_tags(tags, &e.tlp, &e.confidence);
    e.labels = labels_of(tags, a);
    yg_err err;
    const struct yg_tj *attrs = yg__tj_get(evn, "Attribute");
    const struct yg_tj *at;
    for (size_t ati = 0; (at = yg__tj_kid(attrs, YG_TJ_ARR, ati)); ati++)
        if (at->type == YG_TJ_OBJ && (err = attribute(&e, at)))
            return err;
    const struct yg_tj *objs = yg__tj_get(evn, "Object");
    const struct yg_tj *o;
    for (size_t oi = 0; (o = yg__tj_kid(objs, YG_TJ_ARR, oi)); oi++) {
        const struct yg_tj *oa = yg__tj_get(o, "Attribute");
        const struct yg_tj *at;
        for (size_t ati = 0; (at = yg__tj_kid(oa, YG_TJ_ARR, ati)); ati++)
            if (at->type == YG_TJ_OBJ && (err = attribute(&e, at)))
                return err;
    }
    return YG_OK;
}

static yg_err element(struct yg_iload *l, const struct yg_tj *v, struct yg_arena *a, unsigned d)
{
    if (d > 4 || !v)
        return YG_OK;
    if (v->type == YG_TJ_ARR) {
        for (size_t i = 0; i < v->n; i++) {
            yg_err e = element(l, v->kids[i], a, d + 1);
            if (e)
                return e;
        }
        return YG_OK;
    }
    if (v->type != YG_TJ_OBJ)
        return YG_OK;
    const struct yg_tj *ev = yg__tj_get(v, "Event");
    if (ev && ev->type == YG_TJ_OBJ)
        return event(l, ev, a);
    const struct yg_tj *resp = yg__tj_get(v, "response");
    if (resp)
        return element(l, resp, a, d + 1);
    if (yg__tj_get(v, "Attribute") && yg__tj_get(v, "info"))
        return event(l, v, a); /* a bare event object */
    unsigned line, col;
    yg__intel_linecol(l->buf, v->start, &line, &col);
    yg__intel_diag(l->in, l->file, line, col, NULL, YG_ESYNTAX, NULL,
                   "not a MISP event: {\"Event\":...} or {\"response\":[...]} expected");
    return YG_OK;
}

yg_err yg__intel_load_misp(struct yg_iload *l)
{
    struct yg_arena a;
    yg_arena_init(&a, 1u << 16, 0);
    struct yg_tjp pp = {l->buf, l->len, 0, &a, 0, YG_INTEL_MAX_JSON_NODES, NULL, 0};
    struct yg_tj *root;
    yg_err e = yg__tj_value(&pp, &root);
    if (!e) {
        yg__tj_ws(&pp);
        if (pp.pos < pp.len) {
            pp.err = "content after the JSON value";
            pp.err_off = pp.pos;
            e = YG_ESYNTAX;
        }
    }
    if (e) {
        if (e != YG_ENOMEM) {
            unsigned line, col;
            yg__intel_linecol(l->buf, pp.err_off, &line, &col);
            yg__intel_diag(l->in, l->file, line, col, NULL, e, NULL, "JSON: %s",
                           pp.err ? pp.err : yg_strerror(e));
            e = YG_OK;
        }
    } else {
        e = element(l, root, &a, 0);
    }
    yg_arena_free(&a);
    return e == YG_ENOMEM ? e : YG_OK;
}
