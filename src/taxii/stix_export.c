/*
 * stix_export.c - alerts as a STIX 2.1 bundle (docs/yagura-intel.md).
 *
 * What is written, for a set of alerts:
 *   - one identity: us (identity_class "system", the configured name);
 *   - the TLP 2.0 marking-definition the objects carry;
 *   - per Sigma rule that fired: an indicator with pattern_type "sigma" and
 *     the rule's YAML as the pattern; per intel hit whose indicator is not a
 *     STIX indicator id: an indicator with a STIX pattern of the value;
 *   - per alert with observables: an observed-data over the SCOs found in
 *     the alert (ipv4-addr, ipv6-addr, domain-name, url, file hashes,
 *     user-account, email-addr);
 *   - per indicator: one sighting (sighting_of_ref, where_sighted_refs = us,
 *     count, first_seen, last_seen, observed_data_refs).
 *
 * Every id is a UUID v5 of the object's content (SCOs: of their ID
 * contributing properties, in the STIX namespace, as the specification
 * requires; the rest: of a name in Yagura's export namespace), and every
 * timestamp comes from the alerts, so exporting the same alerts twice
 * gives byte-identical bundles.
 *
 * A sighting of an intel hit is marked at least as restrictively as the
 * indicator it sights: exporting does not downgrade a partner's TLP.
 */
#include <ctype.h>
#include <errno.h>
#include <openssl/evp.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/addr.h"
#include "core/uuid.h"
#include "taxii/stix.h"

/* STIX 2.1 section 2.9: the namespace of SCO ids. */
static const unsigned char ns_sco[16] = {0x00, 0xab, 0xed, 0xb4, 0xaa, 0x42, 0x4a, 0xa4,
                                         0xa7, 0xe6, 0x8f, 0x6a, 0x1b, 0x1b, 0x2d, 0x6b};
/* Yagura's export namespace: UUID v5 of "yagura-stix-export" in the URL
 * namespace, fixed forever (changing it changes every exported id). */
static const unsigned char ns_yg[16] = {0x6b, 0x2f, 0x0e, 0x61, 0x3a, 0x8d, 0x5c, 0x1e,
                                        0x9a, 0x47, 0x0b, 0x52, 0xd3, 0x6e, 0x74, 0x19};

static yg_err yg_id(const char *type, const char *name, char out[128])
{
    char u[37];
    yg_err err = yg__uuid5(ns_yg, name, strlen(name), u);
    if (err)
        return err;
    snprintf(out, 128, "%s--%s", type, u);
    return YG_OK;
}

/* ---- collected state ------------------------------------------------------ */

struct sco {
    char id[128];
    char *json;
};

struct sighting {
    char indicator[128];
    int tlp;
    uint64_t count;
    int64_t first, last;
    /* The latest time one of its alerts was stored, in microseconds like
     * first and last (0: unknown, alerts read from JSON lines): see the
     * sighting's `modified` below. */
    int64_t stored;
    char **od; /* observed-data ids */
    size_t nod;
};

struct ex {
    const struct yg_stix_export_opts *o;
    char identity[128];
    struct yg_buf indicators; /* rendered objects, each followed by '\n' */
    char **ind_ids;
    size_t nind;
    struct yg_buf observed;
    struct sco *scos;
    size_t nsco;
    struct sighting *sig;
    size_t nsig;
    bool used_tlp[YG_TLP_RED + 1];
    uint64_t alerts, skipped;
    int64_t cur_stored; /* stored_at of the alert being added (0: unknown) */
    struct yg_arena a;
};

static bool seen_id(char **ids, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(ids[i], id) == 0)
            return true;
    return false;
}

static yg_err push_str(struct ex *e, char ***arr, size_t *n, const char *s)
{
    char **na = yg_realloc(*arr, (*n + 1) * sizeof *na);
    if (!na)
        return YG_ENOMEM;
    *arr = na;
    na[*n] = yg_strndup(s, strlen(s));
    if (!na[*n])
        return YG_ENOMEM;
    (*n)++;
    (void)e;
    return YG_OK;
}

static yg_err put_kv(struct yg_buf *b, const char *k, const char *v)
{
    yg_err err = YG_OK;
    YG_TRY(yg_buf_addf(b, ",\"%s\":", k));
    YG_TRY(yg_buf_add_json_str(b, v, strlen(v)));
done:
    return err;
}

static yg_err put_marking(struct ex *e, struct yg_buf *b, int tlp)
{
    e->used_tlp[tlp] = true;
    return yg_buf_addf(b, ",\"object_marking_refs\":[\"%s\"]", yg__tlp_marking_id(tlp));
}

/* ---- SCOs --------------------------------------------------------------- */

/* 4 or 6 when v is an IPv4 or IPv6 address as written (core/addr.h), so
 * the observable's type matches its value; 0 otherwise. */
static int addr_family(const char *v)
{
    struct yg_addr a;
    return yg__addr_parse(v, strlen(v), 0, &a) ? a.fam : 0;
}

static bool is_domain(const char *s)
{
    size_t n = strlen(s), dots = 0;
    if (n < 4 || n > 253 || s[0] == '.' || s[n - 1] == '.')
        return false;
    bool alpha = false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '.')
            dots++;
        else if (isalpha((unsigned char)c))
            alpha = true;
        else if (!isdigit((unsigned char)c) && c != '-')
            return false;
    }
    return dots >= 1 && alpha;
}

static bool all_hex(const char *s, size_t n)
{
    if (strlen(s) != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isxdigit((unsigned char)s[i]))
            return false;
    return true;
}

/* Add an SCO given its type and the one ID contributing property. */
static yg_err add_sco(struct ex *e, const char *type, const char *prop, const char *hash_alg,
                      const char *val, char ***refs, size_t *nrefs)
{
    struct yg_buf idn, js;
    yg_err err = YG_OK;
    yg_buf_init(&idn, 1u << 20);
    yg_buf_init(&js, 1u << 20);
    /* The name hashed is the canonical JSON of the contributing properties
     * (RFC 8785: sorted keys, no whitespace). */
    if (hash_alg) {
        YG_TRY(yg_buf_addf(&idn, "{\"hashes\":{\"%s\":", hash_alg));
        YG_TRY(yg_buf_add_json_str(&idn, val, strlen(val)));
        YG_TRY(yg_buf_add(&idn, "}}", 2));
    } else {
        YG_TRY(yg_buf_addf(&idn, "{\"%s\":", prop));
        YG_TRY(yg_buf_add_json_str(&idn, val, strlen(val)));
        YG_TRY(yg_buf_addc(&idn, '}'));
    }
    char u[37], id[128];
    YG_TRY(yg__uuid5(ns_sco, idn.p, idn.n, u));
    snprintf(id, sizeof id, "%s--%s", type, u);
    if (*nrefs >= 64 || seen_id(*refs, *nrefs, id))
        goto done;
    YG_TRY(push_str(e, refs, nrefs, id));
    for (size_t i = 0; i < e->nsco; i++)
        if (strcmp(e->scos[i].id, id) == 0)
            goto done;
    YG_TRY(yg_buf_addf(&js, "{\"type\":\"%s\",\"spec_version\":\"2.1\",\"id\":\"%s\"", type, id));
    if (hash_alg) {
        YG_TRY(yg_buf_addf(&js, ",\"hashes\":{\"%s\":", hash_alg));
        YG_TRY(yg_buf_add_json_str(&js, val, strlen(val)));
        YG_TRY(yg_buf_addc(&js, '}'));
    } else {
        YG_TRY(put_kv(&js, prop, val));
    }
    YG_TRY(yg_buf_addc(&js, '}'));
    struct sco *ns = yg_realloc(e->scos, (e->nsco + 1) * sizeof *ns);
    if (!ns) {
        err = YG_ENOMEM;
        goto done;
    }
    e->scos = ns;
    snprintf(ns[e->nsco].id, sizeof ns[e->nsco].id, "%s", id);
    ns[e->nsco].json = yg_buf_take(&js, NULL);
    if (!ns[e->nsco].json) {
        err = YG_ENOMEM;
        goto done;
    }
    e->nsco++;
done:
    yg_buf_free(&idn);
    yg_buf_free(&js);
    return err;
}

static bool key_has(const char *k, const char *const *words)
{
    char lk[128];
    size_t n = strlen(k);
    if (n >= sizeof lk)
        return false;
    for (size_t i = 0; i <= n; i++)
        lk[i] = (char)tolower((unsigned char)k[i]);
    for (size_t i = 0; words[i]; i++)
        if (strstr(lk, words[i]))
            return true;
    return false;
}

/* One string leaf of the alert: keep what looks like an observable. */
static yg_err leaf(struct ex *e, const char *key, const char *v, char ***refs, size_t *nrefs)
{
    static const char *const ipk[] = {"ip",   "addr", "host", "client", "source",
                                      "dest", "src",  "dst",  NULL};
    static const char *const dnk[] = {"query", "domain", "hostname", "host", "fqdn", NULL};
    static const char *const urlk[] = {"url", "uri", NULL};
    static const char *const userk[] = {"user", "account", "login", "upn", NULL};
    static const char *const hashk[] = {"hash", "md5", "sha1", "sha256", NULL};
    static const char *const mailk[] = {"mail", "sender", "recipient", NULL};
    if (!*v || strlen(v) > 2048)
        return YG_OK;
    int fam = key_has(key, ipk) ? addr_family(v) : 0;
    if (fam == 4)
        return add_sco(e, "ipv4-addr", "value", NULL, v, refs, nrefs);
    if (fam == 6)
        return add_sco(e, "ipv6-addr", "value", NULL, v, refs, nrefs);
    if (key_has(key, urlk) && (strncmp(v, "http://", 7) == 0 || strncmp(v, "https://", 8) == 0))
        return add_sco(e, "url", "value", NULL, v, refs, nrefs);
    if (key_has(key, dnk) && is_domain(v))
        return add_sco(e, "domain-name", "value", NULL, v, refs, nrefs);
    if (key_has(key, mailk) && strchr(v, '@') && !strchr(v, ' '))
        return add_sco(e, "email-addr", "value", NULL, v, refs, nrefs);
    if (key_has(key, hashk)) {
        /* Sysmon's "SHA1=...,MD5=...,SHA256=..." or a bare hex digest. */
        char buf[2100];
        snprintf(buf, sizeof buf, "%s", v);
        yg_err err = YG_OK;
        for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            char *eq = strchr(t, '=');
            const char *hv = eq ? eq + 1 : t;
            const char *alg = all_hex(hv, 32)   ? "MD5"
                              : all_hex(hv, 40) ? "SHA-1"
                              : all_hex(hv, 64) ? "SHA-256"
                                                : NULL;
            if (alg)
                YG_TRY(add_sco(e, "file", "hashes", alg, hv, refs, nrefs));
        }
    done:
        return err;
    }
    if (key_has(key, userk) && !key_has(key, (const char *const[]){"agent", "sid", "guid", NULL}) &&
        strlen(v) <= 256 && strcmp(v, "-") != 0)
        return add_sco(e, "user-account", "account_login", NULL, v, refs, nrefs);
    return YG_OK;
}

static yg_err walk(struct ex *e, const char *key, const struct yg_tj *v, unsigned depth,
                   char ***refs, size_t *nrefs)
{
    yg_err err = YG_OK;
    if (depth > 16)
        return YG_OK;
    if (v->type == YG_TJ_STR)
        return leaf(e, key, v->s, refs, nrefs);
    for (size_t i = 0; i < v->n; i++)
        YG_TRY(
            walk(e, v->type == YG_TJ_OBJ ? v->keys[i] : key, v->kids[i], depth + 1, refs, nrefs));
done:
    return err;
}

/* ---- indicators ------------------------------------------------------------- */

static yg_err sigma_pattern(const struct ex *e, const struct yg_tj *rule, struct yg_buf *out)
{
    const char *file = yg__tj_str(rule, "file");
    char *text = NULL;
    size_t n = 0;
    char path[4096];
    if (file && *file) {
        if (file[0] != '/' && e->o->rules_base)
            snprintf(path, sizeof path, "%s/%s", e->o->rules_base, file);
        else
            snprintf(path, sizeof path, "%s", file);
        if (yg_file_read(path, YG_MAX_RULE_FILE_BYTES, &text, &n) == YG_OK && n) {
            yg_err err = yg_buf_add_json_str(out, text, n);
            yg_free(text);
            return err;
        }
        yg_free(text);
    }
    /* The rule file is not at hand: a Sigma document naming the rule. */
    struct yg_buf y;
    yg_buf_init(&y, 1u << 20);
    const char *title = yg__tj_str(rule, "title"), *id = yg__tj_str(rule, "id");
    yg_err err = yg_buf_addf(&y, "title: %s\nid: %s\nlevel: %s\n", title ? title : "unknown",
                             id ? id : "unknown",
                             yg__tj_str(rule, "level") ? yg__tj_str(rule, "level") : "medium");
    if (!err)
        err = yg_buf_add_json_str(out, y.p, y.n);
    yg_buf_free(&y);
    return err;
}

/* The STIX pattern of an intel hit's value. */
static bool intel_pattern(const struct yg_tj *in, struct yg_buf *out)
{
    const char *t = yg__tj_str(in, "type"), *v = yg__tj_str(in, "value");
    const char *hk = yg__tj_str(in, "hash_kind");
    if (!t || !v)
        return false;
    const char *path = NULL;
    if (!strcmp(t, "ip"))
        path = strchr(v, ':') ? "ipv6-addr:value" : "ipv4-addr:value";
    else if (!strcmp(t, "domain"))
        path = "domain-name:value";
    else if (!strcmp(t, "url"))
        path = "url:value";
    else if (!strcmp(t, "email"))
        path = "email-addr:value";
    else if (!strcmp(t, "user_agent"))
        path = "network-traffic:extensions.'http-request-ext'.request_header.'User-Agent'";
    else if (!strcmp(t, "hash") && hk)
        path = !strcmp(hk, "md5")      ? "file:hashes.MD5"
               : !strcmp(hk, "sha1")   ? "file:hashes.'SHA-1'"
               : !strcmp(hk, "sha256") ? "file:hashes.'SHA-256'"
               : !strcmp(hk, "sha512") ? "file:hashes.'SHA-512'"
                                       : NULL;
    if (!path)
        return false;
    /* STIX pattern strings escape ' and \ with a backslash. */
    struct yg_buf p;
    yg_buf_init(&p, 1u << 20);
    bool ok = yg_buf_addf(&p, "[%s = '", path) == YG_OK;
    for (const char *s = v; ok && *s; s++) {
        if (*s == '\'' || *s == '\\')
            ok = yg_buf_addc(&p, '\\') == YG_OK;
        if (ok)
            ok = yg_buf_addc(&p, *s) == YG_OK;
    }
    ok = ok && yg_buf_add(&p, "']", 2) == YG_OK;
    ok = ok && yg_buf_add_json_str(out, p.p, p.n) == YG_OK;
    yg_buf_free(&p);
    return ok;
}

static bool stix_indicator_id(const char *id)
{
    if (!id || strncmp(id, "indicator--", 11) != 0 || strlen(id) != 47)
        return false;
    for (int i = 0; i < 36; i++) {
        char c = id[11 + i];
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? c != '-' : !isxdigit((unsigned char)c))
            return false;
    }
    return true;
}

/* ---- one alert ---------------------------------------------------------------- */

/* An alert below --min-level is left out. */
static bool below_min_level(const struct ex *e, const char *level)
{
    if (!e->o->min_level || !level)
        return false;
    static const char *const lv[] = {"informational", "low", "medium", "high", "critical"};
    int have = -1, want = -1;
    for (int i = 0; i < 5; i++) {
        if (!strcmp(level, lv[i]))
            have = i;
        if (!strcmp(e->o->min_level, lv[i]))
            want = i;
    }
    return have < want;
}

/* The indicator the alert is a sighting of (the intel's own, or one per
 * intel value or Sigma rule, added once); *refused when its pattern cannot
 * be written. */
static yg_err add_indicator(struct ex *e, const struct yg_tj *rule, const struct yg_tj *intel,
                            int64_t t, int tlp, char ind[128], struct yg_buf *b, bool *refused)
{
    yg_err err = YG_OK;
    const char *rule_id = yg__tj_str(rule, "id");
    const char *iid = intel ? yg__tj_str(intel, "indicator_id") : NULL;
    if (iid && stix_indicator_id(iid)) {
        snprintf(ind, 128, "%s", iid);
        return YG_OK;
    }
    char name[1024];
    if (intel)
        snprintf(name, sizeof name, "intel|%s|%s", yg__tj_str(intel, "type") ?: "",
                 yg__tj_str(intel, "value") ?: "");
    else
        snprintf(name, sizeof name, "sigma|%s", rule_id ? rule_id : "");
    YG_TRY(yg_id("indicator", name, ind));
    if (seen_id(e->ind_ids, e->nind, ind))
        return YG_OK;
    char tsm[32];
    yg__taxii_time_fmt_ms(t, tsm);
    yg_buf_reset(b);
    YG_TRY(yg_buf_addf(b,
                       "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"%s\","
                       "\"created_by_ref\":\"%s\",\"created\":\"%s\",\"modified\":\"%s\","
                       "\"valid_from\":\"%s\"",
                       ind, e->identity, tsm, tsm, tsm));
    const char *title = intel ? yg__tj_str(intel, "value") : yg__tj_str(rule, "title");
    YG_TRY(put_kv(b, "name", title ? title : "unnamed"));
    char desc[1024];
    if (intel)
        snprintf(desc, sizeof desc, "%s indicator %s from %s, seen in our events",
                 yg__tj_str(intel, "type") ?: "", yg__tj_str(intel, "value") ?: "",
                 yg__tj_str(intel, "source") ?: "an unnamed source");
    else
        snprintf(desc, sizeof desc, "Events matching the Sigma rule %s (%s)",
                 rule_id ? rule_id : "", title ? title : "unnamed");
    YG_TRY(put_kv(b, "description", desc));
    YG_TRY(yg_buf_add(b, ",\"indicator_types\":[\"malicious-activity\"]", 41));
    bool ok = true;
    if (intel) {
        YG_TRY(yg_buf_add(b, ",\"pattern_type\":\"stix\",\"pattern\":", 33));
        ok = intel_pattern(intel, b);
    } else {
        YG_TRY(yg_buf_add(b, ",\"pattern_type\":\"sigma\",\"pattern\":", 34));
        YG_TRY(sigma_pattern(e, rule, b));
        YG_TRY(yg_buf_add(b,
                          ",\"external_references\":[{\"source_name\":\"sigma\","
                          "\"external_id\":",
                          61));
        YG_TRY(yg_buf_add_json_str(b, rule_id ? rule_id : "", rule_id ? strlen(rule_id) : 0));
        YG_TRY(yg_buf_add(b, "}]", 2));
    }
    if (!ok) {
        *refused = true;
        return YG_OK;
    }
    YG_TRY(put_marking(e, b, tlp));
    YG_TRY(yg_buf_add(b, "}\n", 2));
    YG_TRY(yg_buf_add(&e->indicators, b->p, b->n));
    YG_TRY(push_str(e, &e->ind_ids, &e->nind, ind));
done:
    return err;
}

/* Observables: the intel value itself, then what the alert's matched
 * fields and event hold; a correlation alert has no event: what it grouped
 * by is what it saw. */
static yg_err collect_observables(struct ex *e, const struct yg_tj *al, const struct yg_tj *intel,
                                  char ***refs, size_t *nrefs)
{
    yg_err err = YG_OK;
    if (intel && yg__tj_str(intel, "value")) {
        const char *ty = yg__tj_str(intel, "type") ?: "";
        const char *key = !strcmp(ty, "ip")       ? "ip"
                          : !strcmp(ty, "domain") ? "domain"
                          : !strcmp(ty, "url")    ? "url"
                          : !strcmp(ty, "email")  ? "mail"
                          : !strcmp(ty, "hash")   ? "hash"
                                                  : "none";
        YG_TRY(leaf(e, key, yg__tj_str(intel, "value"), refs, nrefs));
    }
    const struct yg_tj *m = yg__tj_get(al, "matched"), *ev = yg__tj_get(al, "event");
    if (m)
        YG_TRY(walk(e, "", m, 0, refs, nrefs));
    if (ev)
        YG_TRY(walk(e, "", ev, 0, refs, nrefs));
    const struct yg_tj *cg = yg__tj_get(yg__tj_get(al, "correlation"), "group");
    if (cg)
        YG_TRY(walk(e, "", cg, 0, refs, nrefs));
done:
    return err;
}

/* The observed-data object of the alert's observables (id od). */
static yg_err add_observed(struct ex *e, const char *text, size_t n, int64_t t, int tlp,
                           char *const *refs, size_t nrefs, char od[128], struct yg_buf *b)
{
    yg_err err = YG_OK;
    struct yg_buf nm;
    yg_buf_init(&nm, 1u << 30);
    YG_TRY(yg_buf_add(&nm, "observed|", 9));
    YG_TRY(yg_buf_add(&nm, text, n));
    YG_TRY(yg_buf_addc(&nm, 0));
    YG_TRY(yg_id("observed-data", nm.p, od));
    char tsm[32];
    yg__taxii_time_fmt_ms(t, tsm);
    yg_buf_reset(b);
    YG_TRY(yg_buf_addf(b,
                       "{\"type\":\"observed-data\",\"spec_version\":\"2.1\",\"id\":\"%s\","
                       "\"created_by_ref\":\"%s\",\"created\":\"%s\",\"modified\":\"%s\","
                       "\"first_observed\":\"%s\",\"last_observed\":\"%s\","
                       "\"number_observed\":1,\"object_refs\":[",
                       od, e->identity, tsm, tsm, tsm, tsm));
    for (size_t i = 0; i < nrefs; i++)
        YG_TRY(yg_buf_addf(b, "%s\"%s\"", i ? "," : "", refs[i]));
    YG_TRY(yg_buf_addc(b, ']'));
    YG_TRY(put_marking(e, b, tlp));
    YG_TRY(yg_buf_add(b, "}\n", 2));
    YG_TRY(yg_buf_add(&e->observed, b->p, b->n));
done:
    yg_buf_free(&nm);
    return err;
}

/* One sighting per indicator: its count, time span, TLP and observations. */
static yg_err add_sighting(struct ex *e, const char *ind, int64_t t, int tlp, const char *od)
{
    struct sighting *s = NULL;
    for (size_t i = 0; i < e->nsig; i++)
        if (!strcmp(e->sig[i].indicator, ind))
            s = &e->sig[i];
    if (!s) {
        struct sighting *ns = yg_realloc(e->sig, (e->nsig + 1) * sizeof *ns);
        if (!ns)
            return YG_ENOMEM;
        e->sig = ns;
        s = &ns[e->nsig++];
        memset(s, 0, sizeof *s);
        snprintf(s->indicator, sizeof s->indicator, "%s", ind);
        s->first = s->last = t;
        s->tlp = tlp;
    }
    s->count++;
    if (t < s->first)
        s->first = t;
    if (t > s->last)
        s->last = t;
    if (tlp > s->tlp)
        s->tlp = tlp;
    if (e->cur_stored > s->stored)
        s->stored = e->cur_stored;
    if (*od && s->nod < YG_STIX_MAX_OBSERVED_REFS && !seen_id(s->od, s->nod, od))
        return push_str(e, &s->od, &s->nod, od);
    return YG_OK;
}

static yg_err add_alert(struct ex *e, const char *text, size_t n)
{
    struct yg_tj *al;
    size_t eoff;
    const char *emsg;
    yg_err err = YG_OK;
    char **refs = NULL;
    size_t nrefs = 0;
    struct yg_buf b;
    yg_buf_init(&b, (size_t)YG_MAX_RULE_FILE_BYTES * 8);
    yg_arena_reset(&e->a);
    if (yg__tj_parse(text, n, &e->a, &al, &eoff, &emsg) != YG_OK || al->type != YG_TJ_OBJ) {
        e->skipped++;
        goto done;
    }
    const struct yg_tj *rule = yg__tj_get(al, "rule"), *intel = yg__tj_get(al, "intel");
    if (below_min_level(e, yg__tj_str(rule, "level"))) {
        e->skipped++;
        goto done;
    }
    int64_t t;
    const char *ts = yg__tj_str(al, "timestamp");
    if (!ts || !yg__taxii_time_parse(ts, &t)) {
        /* Without its event time an alert cannot be placed in a sighting. */
        e->skipped++;
        goto done;
    }
    e->alerts++;
    int tlp = e->o->tlp;
    if (intel) {
        int itlp;
        if (yg__tlp_parse(yg__tj_str(intel, "tlp"), &itlp) && itlp > tlp)
            tlp = itlp;
    }
    char ind[128];
    bool refused = false;
    YG_TRY(add_indicator(e, rule, intel, t, tlp, ind, &b, &refused));
    if (refused) {
        e->skipped++;
        e->alerts--;
        goto done;
    }
    YG_TRY(collect_observables(e, al, intel, &refs, &nrefs));
    char od[128] = "";
    if (nrefs)
        YG_TRY(add_observed(e, text, n, t, tlp, refs, nrefs, od, &b));
    YG_TRY(add_sighting(e, ind, t, tlp, od));
done:
    for (size_t i = 0; i < nrefs; i++)
        yg_free(refs[i]);
    yg_free(refs);
    yg_buf_free(&b);
    return err;
}

/* ---- the bundle ----------------------------------------------------------------- */

static const char *const tlp_json[] = {
    "{\"type\":\"marking-definition\",\"spec_version\":\"2.1\",\"id\":\"marking-definition--"
    "94868c89-83c2-464b-929b-a1a8aa3c8487\",\"created\":\"2022-10-01T00:00:00.000Z\",\"name\":"
    "\"TLP:CLEAR\",\"extensions\":{\"extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d\":"
    "{\"extension_type\":\"property-extension\",\"tlp_2_0\":\"clear\"}}}",
    "{\"type\":\"marking-definition\",\"spec_version\":\"2.1\",\"id\":\"marking-definition--"
    "bab4a63c-aed9-4cf5-a766-dfca5abac2bb\",\"created\":\"2022-10-01T00:00:00.000Z\",\"name\":"
    "\"TLP:GREEN\",\"extensions\":{\"extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d\":"
    "{\"extension_type\":\"property-extension\",\"tlp_2_0\":\"green\"}}}",
    "{\"type\":\"marking-definition\",\"spec_version\":\"2.1\",\"id\":\"marking-definition--"
    "55d920b0-5e8b-4f79-9ee9-91f868d9b421\",\"created\":\"2022-10-01T00:00:00.000Z\",\"name\":"
    "\"TLP:AMBER\",\"extensions\":{\"extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d\":"
    "{\"extension_type\":\"property-extension\",\"tlp_2_0\":\"amber\"}}}",
    "{\"type\":\"marking-definition\",\"spec_version\":\"2.1\",\"id\":\"marking-definition--"
    "939a9414-2ddd-4d32-a0cd-375ea402b003\",\"created\":\"2022-10-01T00:00:00.000Z\",\"name\":"
    "\"TLP:AMBER+STRICT\",\"extensions\":{\"extension-definition--60a3c5c5-0d10-413e-aab3-"
    "9e08dde9e88d\":{\"extension_type\":\"property-extension\",\"tlp_2_0\":\"amber+strict\"}}}",
    "{\"type\":\"marking-definition\",\"spec_version\":\"2.1\",\"id\":\"marking-definition--"
    "e828b379-4e03-4974-9ac4-e53a884c97c1\",\"created\":\"2022-10-01T00:00:00.000Z\",\"name\":"
    "\"TLP:RED\",\"extensions\":{\"extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d\":"
    "{\"extension_type\":\"property-extension\",\"tlp_2_0\":\"red\"}}}",
};

static yg_err add_lines(struct yg_buf *out, const struct yg_buf *lines, size_t *nobj)
{
    yg_err err = YG_OK;
    size_t i = 0;
    while (i < lines->n) {
        const char *nl = memchr(lines->p + i, '\n', lines->n - i);
        size_t e = nl ? (size_t)(nl - lines->p) : lines->n;
        YG_TRY(yg_buf_add(out, *nobj ? ",\n  " : "  ", *nobj ? 4 : 2));
        YG_TRY(yg_buf_add(out, lines->p + i, e - i));
        (*nobj)++;
        i = e + 1;
    }
done:
    return err;
}

static yg_err obj(struct yg_buf *out, size_t *nobj, const char *json)
{
    yg_err err = yg_buf_add(out, *nobj ? ",\n  " : "  ", *nobj ? 4 : 2);
    if (!err)
        err = yg_buf_add(out, json, strlen(json));
    (*nobj)++;
    return err;
}

static yg_err render_incident(struct ex *e, struct yg_buf *b, struct yg_buf *out, size_t *nobj,
                              const struct yg_stix_incident *inc, const char *const *sids,
                              size_t nsids);

static yg_err render(struct ex *e, struct yg_buf *out, const struct yg_stix_incident *inc)
{
    yg_err err = YG_OK;
    struct yg_buf b, ids;
    size_t nobj = 0;
    char **sids = NULL; /* sighting ids, for an incident's report */
    size_t nsids = 0;
    yg_buf_init(&b, 1u << 30);
    yg_buf_init(&ids, 1u << 30);
    /* The bundle id names its content: the ids of everything in it. */
    YG_TRY(yg_buf_add(&ids, "bundle|", 7));
    if (inc)
        YG_TRY(yg_buf_addf(&ids, "incident|%s|%lld|%d|", inc->id, (long long)inc->last_ms,
                           (int)inc->derive_addresses));
    YG_TRY(yg_buf_add(&ids, e->indicators.p ? e->indicators.p : "", e->indicators.n));
    YG_TRY(yg_buf_add(&ids, e->observed.p ? e->observed.p : "", e->observed.n));
    for (size_t i = 0; i < e->nsig; i++)
        YG_TRY(yg_buf_addf(&ids, "%s|%llu|%lld|%lld", e->sig[i].indicator,
                           (unsigned long long)e->sig[i].count, (long long)e->sig[i].first,
                           (long long)e->sig[i].last));
    YG_TRY(yg_buf_addc(&ids, 0));
    char bid[128];
    YG_TRY(yg_id("bundle", ids.p, bid));
    YG_TRY(yg_buf_addf(out, "{\"type\":\"bundle\",\"id\":\"%s\",\"objects\":[\n", bid));
    /* Our identity, at a fixed date: its id and content never change. */
    yg_buf_reset(&b);
    YG_TRY(yg_buf_addf(&b,
                       "{\"type\":\"identity\",\"spec_version\":\"2.1\",\"id\":\"%s\","
                       "\"created\":\"2020-01-01T00:00:00.000Z\","
                       "\"modified\":\"2020-01-01T00:00:00.000Z\"",
                       e->identity));
    YG_TRY(put_kv(&b, "name", e->o->identity_name ? e->o->identity_name : "Yagura"));
    YG_TRY(yg_buf_add(&b, ",\"identity_class\":\"system\"}", 27));
    YG_TRY(yg_buf_addc(&b, 0));
    YG_TRY(obj(out, &nobj, b.p));
    for (int l = 0; l <= YG_TLP_RED; l++)
        if (e->used_tlp[l])
            YG_TRY(obj(out, &nobj, tlp_json[l]));
    YG_TRY(add_lines(out, &e->indicators, &nobj));
    for (size_t i = 0; i < e->nsco; i++)
        YG_TRY(obj(out, &nobj, e->scos[i].json));
    YG_TRY(add_lines(out, &e->observed, &nobj));
    for (size_t i = 0; i < e->nsig; i++) {
        const struct sighting *s = &e->sig[i];
        char name[300], sid[128], f[32], l[32];
        snprintf(name, sizeof name, "sighting|%s|%s", e->identity, s->indicator);
        YG_TRY(yg_id("sighting", name, sid));
        char m[32];
        yg__taxii_time_fmt_ms(s->first, f);
        yg__taxii_time_fmt_ms(s->last, l);
        /* One sighting per indicator, versioned by the latest time one of its
         * alerts was stored (never before its last sighting): a later export
         * with more alerts is a newer version of it, also when the new alerts
         * are older events than the last one (alerts read from Kafka come in
         * any order; versioned by the last sighting alone, such a version
         * equalled the one published and was dropped as a duplicate, and the
         * count stayed short).  The same database exports the same bytes. */
        yg__taxii_time_fmt_ms(s->stored > s->last ? s->stored : s->last, m);
        yg_buf_reset(&b);
        YG_TRY(yg_buf_addf(&b,
                           "{\"type\":\"sighting\",\"spec_version\":\"2.1\",\"id\":\"%s\","
                           "\"created_by_ref\":\"%s\",\"created\":\"%s\",\"modified\":\"%s\","
                           "\"first_seen\":\"%s\",\"last_seen\":\"%s\",\"count\":%llu,"
                           "\"sighting_of_ref\":\"%s\",\"where_sighted_refs\":[\"%s\"]",
                           sid, e->identity, f, m, f, l, (unsigned long long)s->count, s->indicator,
                           e->identity));
        if (s->nod) {
            YG_TRY(yg_buf_add(&b, ",\"observed_data_refs\":[", 23));
            for (size_t k = 0; k < s->nod; k++)
                YG_TRY(yg_buf_addf(&b, "%s\"%s\"", k ? "," : "", s->od[k]));
            YG_TRY(yg_buf_addc(&b, ']'));
        }
        YG_TRY(put_marking(e, &b, s->tlp));
        YG_TRY(yg_buf_add(&b, "}", 2)); /* with its NUL */
        YG_TRY(obj(out, &nobj, b.p));
        if (inc)
            YG_TRY(push_str(e, &sids, &nsids, sid));
    }
    if (inc)
        YG_TRY(render_incident(e, &b, out, &nobj, inc, (const char *const *)sids, nsids));
    YG_TRY(yg_buf_add(out, "\n]}\n", 4));
done:
    for (size_t i = 0; i < nsids; i++)
        yg_free(sids[i]);
    yg_free(sids);
    yg_buf_free(&b);
    yg_buf_free(&ids);
    return err;
}

/* What rendering one incident holds. */
struct inc_out {
    struct ex *e;
    struct yg_buf *b, *out;
    size_t *nobj;
    const struct yg_stix_incident *inc;
    char iid[128], rid[128], f[32], l[32];
    int tlp;
    struct yg_tj *ents;   /* its entities, or NULL */
    struct yg_buf d;      /* the description */
    char (*derived)[128]; /* ids of indicators derived from addresses */
    size_t nderived;
};

/* "Yagura incident ID: severity S, STATUS, N alert(s) from F to L.
 * Entities: kind:value, ..." */
static yg_err incident_description(struct inc_out *x)
{
    yg_err err = YG_OK;
    const struct yg_stix_incident *inc = x->inc;
    YG_TRY(yg_buf_addf(&x->d, "Yagura incident %s: severity %s, %s, %lld alert(s) from %s to %s.",
                       inc->id, inc->level, inc->status, (long long)inc->nalerts_total, x->f,
                       x->l));
    /* Entities: a JSON array of {"kind","value","alerts"}, told as kind:value. */
    size_t eoff;
    const char *emsg;
    yg_arena_reset(&x->e->a);
    if (inc->entities && yg__tj_parse(inc->entities, strlen(inc->entities), &x->e->a, &x->ents,
                                      &eoff, &emsg) != YG_OK)
        x->ents = NULL;
    if (x->ents && (x->ents->type != YG_TJ_ARR || !x->ents->n))
        x->ents = NULL;
    if (x->ents) {
        YG_TRY(yg_buf_add(&x->d, " Entities:", 10));
        for (size_t i = 0; i < x->ents->n; i++)
            YG_TRY(yg_buf_addf(&x->d, "%s %s:%s", i ? "," : "",
                               yg__tj_str(x->ents->kids[i], "kind") ?: "",
                               yg__tj_str(x->ents->kids[i], "value") ?: ""));
        YG_TRY(yg_buf_addc(&x->d, '.'));
    }
    YG_TRY(yg_buf_addc(&x->d, 0));
done:
    return err;
}

/* With derive_addresses, each public address among the incident's entities
 * becomes an indicator of its own: what a partner can block. */
static yg_err derive_address_indicators(struct inc_out *x)
{
    yg_err err = YG_OK;
    struct yg_buf *b = x->b;
    if (!x->inc->derive_addresses || !x->ents)
        return YG_OK;
    if (!(x->derived = yg_calloc(x->ents->n, sizeof *x->derived)))
        return YG_ENOMEM;
    for (size_t i = 0; i < x->ents->n; i++) {
        const char *kind = yg__tj_str(x->ents->kids[i], "kind");
        const char *v = yg__tj_str(x->ents->kids[i], "value");
        /* Only globally reachable unicast addresses leave (core/addr.h:
         * the special-purpose registries), whatever their spelling; an
         * IPv4-mapped address is the IPv4 address it maps, and each is
         * published in its canonical text. */
        struct yg_addr ad;
        char canon[64];
        if (!kind || strcmp(kind, "address") != 0 || !v ||
            !yg__addr_parse(v, strlen(v),
                            YG_ADDR_TRIM | YG_ADDR_BRACKET | YG_ADDR_ZONE | YG_ADDR_UNMAP, &ad) ||
            yg__addr_reserved(&ad) || !yg__addr_format(&ad, canon, sizeof canon))
            continue;
        bool v4 = ad.fam == 4;
        v = canon;
        char nm[200];
        snprintf(nm, sizeof nm, "incident-address|%s", v);
        YG_TRY(yg_id("indicator", nm, x->derived[x->nderived]));
        yg_buf_reset(b);
        YG_TRY(yg_buf_addf(b,
                           "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"%s\","
                           "\"created_by_ref\":\"%s\",\"created\":\"%s\",\"modified\":\"%s\","
                           "\"valid_from\":\"%s\",\"indicator_types\":[\"malicious-activity\"],"
                           "\"pattern_type\":\"stix\",\"pattern\":\"[%s:value = '%s']\"",
                           x->derived[x->nderived], x->e->identity, x->f, x->l, x->f,
                           v4 ? "ipv4-addr" : "ipv6-addr", v));
        YG_TRY(put_kv(b, "name", v));
        snprintf(nm, sizeof nm, "Address that took part in Yagura incident %s", x->inc->id);
        YG_TRY(put_kv(b, "description", nm));
        YG_TRY(put_marking(x->e, b, x->tlp));
        YG_TRY(yg_buf_add(b, "}", 2));
        YG_TRY(obj(x->out, x->nobj, b->p));
        x->nderived++;
    }
done:
    return err;
}

static yg_err incident_object(struct inc_out *x)
{
    yg_err err = YG_OK;
    struct yg_buf *b = x->b;
    yg_buf_reset(b);
    YG_TRY(yg_buf_addf(b,
                       "{\"type\":\"incident\",\"spec_version\":\"2.1\",\"id\":\"%s\","
                       "\"created_by_ref\":\"%s\",\"created\":\"%s\",\"modified\":\"%s\"",
                       x->iid, x->e->identity, x->f, x->l));
    YG_TRY(put_kv(b, "name", x->inc->title));
    YG_TRY(put_kv(b, "description", x->d.p));
    YG_TRY(yg_buf_addf(b, ",\"labels\":[\"severity:%s\",\"status:%s\"]", x->inc->level,
                       x->inc->status));
    YG_TRY(put_marking(x->e, b, x->tlp));
    YG_TRY(yg_buf_add(b, "}", 2));
    YG_TRY(obj(x->out, x->nobj, b->p));
done:
    return err;
}

/* The report on the incident: its object_refs are the incident and
 * everything else the bundle holds. */
static yg_err report_object(struct inc_out *x, const char *const *sids, size_t nsids)
{
    yg_err err = YG_OK;
    struct ex *e = x->e;
    struct yg_buf *b = x->b;
    char name[300];
    yg_buf_reset(b);
    YG_TRY(yg_buf_addf(b,
                       "{\"type\":\"report\",\"spec_version\":\"2.1\",\"id\":\"%s\","
                       "\"created_by_ref\":\"%s\",\"created\":\"%s\",\"modified\":\"%s\","
                       "\"published\":\"%s\",\"report_types\":[\"threat-report\"]",
                       x->rid, e->identity, x->f, x->l, x->l));
    snprintf(name, sizeof name, "Incident: %s", x->inc->title);
    YG_TRY(put_kv(b, "name", name));
    YG_TRY(put_kv(b, "description", x->d.p));
    YG_TRY(yg_buf_addf(b, ",\"object_refs\":[\"%s\"", x->iid));
    for (size_t i = 0; i < e->nind; i++)
        YG_TRY(yg_buf_addf(b, ",\"%s\"", e->ind_ids[i]));
    for (size_t i = 0; i < x->nderived; i++)
        YG_TRY(yg_buf_addf(b, ",\"%s\"", x->derived[i]));
    for (size_t i = 0; i < nsids; i++)
        YG_TRY(yg_buf_addf(b, ",\"%s\"", sids[i]));
    for (size_t i = 0; i < e->nsig; i++)
        for (size_t k = 0; k < e->sig[i].nod; k++) {
            bool dup = false;
            for (size_t j = 0; j < i && !dup; j++)
                dup = seen_id(e->sig[j].od, e->sig[j].nod, e->sig[i].od[k]);
            if (!dup)
                YG_TRY(yg_buf_addf(b, ",\"%s\"", e->sig[i].od[k]));
        }
    for (size_t i = 0; i < e->nsco; i++)
        YG_TRY(yg_buf_addf(b, ",\"%s\"", e->scos[i].id));
    YG_TRY(yg_buf_addc(b, ']'));
    YG_TRY(put_marking(e, b, x->tlp));
    YG_TRY(yg_buf_add(b, "}", 2));
    YG_TRY(obj(x->out, x->nobj, b->p));
done:
    return err;
}

/* An incident as STIX: an `incident` object (its name, severity, status and
 * entities) and a `report` on it whose object_refs are the incident and
 * everything else the bundle holds, so a partner receives one unit. */
static yg_err render_incident(struct ex *e, struct yg_buf *b, struct yg_buf *out, size_t *nobj,
                              const struct yg_stix_incident *inc, const char *const *sids,
                              size_t nsids)
{
    yg_err err = YG_OK;
    struct inc_out x;
    memset(&x, 0, sizeof x);
    x.e = e;
    x.b = b;
    x.out = out;
    x.nobj = nobj;
    x.inc = inc;
    yg_buf_init(&x.d, 1u << 20);
    char name[300];
    snprintf(name, sizeof name, "incident|%s|%s", e->identity, inc->id);
    YG_TRY(yg_id("incident", name, x.iid));
    snprintf(name, sizeof name, "report|%s|%s", e->identity, inc->id);
    YG_TRY(yg_id("report", name, x.rid));
    /* Incident times are in milliseconds, STIX times here in microseconds. */
    yg__taxii_time_fmt_ms(inc->first_ms * 1000, x.f);
    yg__taxii_time_fmt_ms((inc->last_ms > inc->first_ms ? inc->last_ms : inc->first_ms) * 1000,
                          x.l);
    /* The incident is marked as its most restricted content is. */
    x.tlp = e->o->tlp;
    for (size_t i = 0; i < e->nsig; i++)
        if (e->sig[i].tlp > x.tlp)
            x.tlp = e->sig[i].tlp;
    YG_TRY(incident_description(&x));
    YG_TRY(derive_address_indicators(&x));
    YG_TRY(incident_object(&x));
    YG_TRY(report_object(&x, sids, nsids));
done:
    yg_free(x.derived);
    yg_buf_free(&x.d);
    return err;
}

static yg_err ex_init(struct ex *e, const struct yg_stix_export_opts *o)
{
    memset(e, 0, sizeof *e);
    e->o = o;
    yg_buf_init(&e->indicators, 1u << 30);
    yg_buf_init(&e->observed, 1u << 30);
    yg_arena_init(&e->a, 1u << 16, (size_t)YG_MAX_EVENT_BYTES * 16);
    char name[512];
    snprintf(name, sizeof name, "identity|%s", o->identity_name ? o->identity_name : "Yagura");
    return yg_id("identity", name, e->identity);
}

static void ex_stats(const struct ex *e, struct yg_stix_export_stats *stats)
{
    if (stats) {
        stats->alerts = e->alerts;
        stats->skipped = e->skipped;
        stats->sightings = e->nsig;
        stats->indicators = e->nind;
    }
}

static void ex_free(struct ex *e)
{
    for (size_t i = 0; i < e->nind; i++)
        yg_free(e->ind_ids[i]);
    yg_free(e->ind_ids);
    for (size_t i = 0; i < e->nsco; i++)
        yg_free(e->scos[i].json);
    yg_free(e->scos);
    for (size_t i = 0; i < e->nsig; i++) {
        for (size_t k = 0; k < e->sig[i].nod; k++)
            yg_free(e->sig[i].od[k]);
        yg_free(e->sig[i].od);
    }
    yg_free(e->sig);
    yg_buf_free(&e->indicators);
    yg_buf_free(&e->observed);
    yg_arena_free(&e->a);
}

yg_err yg__stix_export_incident(const struct yg_stix_export_opts *o,
                                const struct yg_stix_incident *inc, struct yg_buf *out,
                                struct yg_stix_export_stats *stats, struct yg_errmsg *why)
{
    struct ex e;
    yg_err err = ex_init(&e, o);
    why->msg[0] = 0;
    for (size_t i = 0; i < inc->nalerts && !err; i++)
        err = add_alert(&e, inc->alerts[i], strlen(inc->alerts[i]));
    if (!err)
        err = render(&e, out, inc);
    if (!err)
        ex_stats(&e, stats);
    if (err == YG_ENOMEM)
        yg__errmsg_set(why, "out of memory");
    else if (err)
        yg__errmsg_set(why, "%s", yg_strerror(err));
    ex_free(&e);
    return err;
}

yg_err yg__stix_export(const struct yg_stix_export_opts *o, const char *path, struct yg_buf *out,
                       struct yg_stix_export_stats *stats, struct yg_errmsg *why)
{
    struct ex e;
    yg_err err = ex_init(&e, o);
    why->msg[0] = 0;
    FILE *f = NULL;
    if (err)
        goto done;
    /* A state database (SQLite header) or JSON lines of alerts. */
    f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) {
        yg__errmsg_set(why, "%s: %s", path, strerror(errno));
        err = YG_EIO;
        goto done;
    }
    char magic[16] = "";
    size_t mn = f != stdin ? fread(magic, 1, 16, f) : 0;
    if (mn == 16 && memcmp(magic, "SQLite format 3", 16) == 0) {
        fclose(f);
        f = NULL;
        sqlite3 *db = NULL;
        sqlite3_stmt *st = NULL;
        if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
            sqlite3_prepare_v2(
                db,
                "SELECT json, stored_at FROM alerts WHERE stored_at >= ?1 ORDER BY stored_at, id",
                -1, &st, NULL) != SQLITE_OK ||
            sqlite3_bind_int64(st, 1, o->stored_after_ms) != SQLITE_OK) {
            yg__errmsg_set(why, "%s: %s", path, sqlite3_errmsg(db));
            sqlite3_finalize(st);
            sqlite3_close(db);
            err = YG_EIO;
            goto done;
        }
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW && !err) {
            e.cur_stored = sqlite3_column_int64(st, 1) * 1000; /* ms to the us of times here */
            err = add_alert(&e, (const char *)sqlite3_column_text(st, 0),
                            (size_t)sqlite3_column_bytes(st, 0));
        }
        e.cur_stored = 0;
        if (!err && rc != SQLITE_DONE) {
            yg__errmsg_set(why, "%s: %s", path, sqlite3_errmsg(db));
            err = YG_EIO;
        }
        sqlite3_finalize(st);
        sqlite3_close(db);
        if (err)
            goto done;
    } else {
        if (f != stdin)
            rewind(f);
        char *line = NULL;
        size_t cap = 0;
        ssize_t ln;
        while ((ln = getline(&line, &cap, f)) > 0 && !err) {
            size_t k = 0;
            while (k < (size_t)ln && isspace((unsigned char)line[k]))
                k++;
            if (k < (size_t)ln)
                err = add_alert(&e, line, (size_t)ln);
        }
        free(line);
        if (err)
            goto done;
    }
    YG_TRY(render(&e, out, NULL));
    ex_stats(&e, stats);
done:
    if (f && f != stdin)
        fclose(f);
    if (err == YG_ENOMEM && !why->msg[0])
        yg__errmsg_set(why, "out of memory");
    else if (err && !why->msg[0]) /* ids not derivable (core/uuid.h) */
        yg__errmsg_set(why, "%s", yg_strerror(err));
    ex_free(&e);
    return err;
}
