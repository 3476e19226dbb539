/*
 * config.c - reading and checking the configuration of `yagura watch`.
 *
 * The YAML tree (core/yaml.h) keeps the line and column of every node, so
 * checking walks it with the key path of the current node in hand and any
 * complaint can say exactly which key, where, and what was expected.  Each
 * mapping is first checked against the keys it may hold (unknown keys are
 * errors, with the nearest allowed key suggested when it is one or two
 * edits away, because a misspelt optional key would otherwise silently
 * fall back to its default), then each known key is read with a getter for
 * its type.  Key paths, key checking and the getters are core/confcheck.h,
 * shared with the taxii: section (taxii/taxii_config.c).
 *
 * Messages quote key names and keywords but never a value from the file:
 * webhook header values and URLs carry credentials, and a message that
 * quoted "whatever was there" would leak them into logs on the first typo.
 */
#include "watch/config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/confcheck.h"
#include "core/installed.h"
#include "core/yaml.h"
#include "decode/format.h"
#include "taxii/taxii.h"

/* ---- sections ----------------------------------------------------------- */

static yg_err read_rules(struct yg_errmsg *c, struct yg_config *cfg, const struct yg_ynode *root)
{
    yg_err err = YG_OK;
    const struct yg_ynode *v = yg__ymap_get(root, "rules");
    if (!v) {
        /* No `rules:`: the installed rule sets run, as for `yagura hunt`
         * without -r (DATA/rules and every set `yagura rules install` put
         * in place) when the configuration is loaded; a reload recompiles
         * the same paths, so an updated set is picked up then. */
        char *p[YG_MAX_RULESETS + 1];
        int own = 0;
        size_t n = yg__installed_rules(cfg->data_dir ? cfg->data_dir : yg__data_dir(), p,
                                       sizeof p / sizeof *p, &own);
        if (!n)
            return yg__cc_missing(c, "", root, "rules");
        cfg->rules = yg_calloc(n, sizeof *cfg->rules);
        for (size_t i = 0; i < n; i++) {
            if (cfg->rules && !(cfg->rules[i] = yg_strndup(p[i], strlen(p[i]))))
                err = YG_ENOMEM;
            free(p[i]);
        }
        if (!cfg->rules)
            return YG_ENOMEM;
        cfg->nrules = n;
        return err;
    }
    YG_TRY(yg__cc_get_seq(c, "", root, "rules", "a sequence of files or folders", &v));
    if (v->n == 0)
        return yg__cc_fail(c, "rules", v, "must name at least one file or folder");
    return yg__cc_strs(c, "rules", v, &cfg->rules, &cfg->nrules);
done:
    return err;
}

/* KEY: [FILE, ...], at most max files (what: "mapping files"). */
static yg_err read_files(struct yg_errmsg *c, const struct yg_ynode *root, const char *key,
                         const char *what, size_t max, char ***out, size_t *n)
{
    yg_err err = YG_OK;
    const struct yg_ynode *v;
    char seq[64];
    snprintf(seq, sizeof seq, "a sequence of %s", what);
    YG_TRY(yg__cc_get_seq(c, "", root, key, seq, &v));
    if (!v)
        return YG_OK;
    if (v->n > max)
        return yg__cc_fail(c, key, v, "at most %zu %s", max, what);
    return yg__cc_strs(c, key, v, out, n);
done:
    return err;
}

/* geoip: {city: PATH | [PATH, ...], asn: ...}; at most four paths each
 * (an IPv4 and an IPv6 file, say). */
static yg_err read_geoip_paths(struct yg_errmsg *c, const struct yg_ynode *map, const char *key,
                               char **out, size_t *n)
{
    yg_err err = YG_OK;
    char sub[YG_CC_KEYPATH_MAX];
    const struct yg_ynode *v = yg__ymap_get(map, key);
    if (!v)
        return YG_OK;
    yg__cc_key(sub, "geoip", key);
    if (v->type == YG_Y_SCALAR) {
        YG_TRY(yg__cc_want_str(c, sub, v, &out[0]));
        *n = 1;
        return YG_OK;
    }
    if (v->type != YG_Y_SEQ || v->n == 0)
        return yg__cc_fail(c, sub, v, "expected a file or a non-empty sequence of files, found %s",
                           yg__cc_describe(v));
    if (v->n > 4)
        return yg__cc_fail(c, sub, v, "at most 4 files");
    for (size_t i = 0; i < v->n; i++) {
        char item[YG_CC_KEYPATH_MAX];
        yg__cc_index(item, sub, i);
        YG_TRY(yg__cc_want_str(c, item, v->items[i], &out[i]));
        *n = i + 1;
    }
done:
    return err;
}

static yg_err read_intel(struct yg_errmsg *c, struct yg_config *cfg, const struct yg_ynode *root)
{
    static const char *const k_intel[] = {"paths", "tlp_default", "levels", NULL};
    yg_err err = YG_OK;
    const struct yg_ynode *g = yg__ymap_get(root, "intel");
    if (!g)
        return YG_OK;
    YG_TRY(yg__cc_check_map(c, "intel", g, k_intel, NULL, NULL));
    const struct yg_ynode *v = yg__ymap_get(g, "paths");
    if (!v)
        return yg__cc_missing(c, "intel", g, "paths");
    if (v->type != YG_Y_SEQ || v->n == 0)
        return yg__cc_fail(c, "intel.paths", v,
                           "expected a non-empty sequence of files or folders, found %s",
                           yg__cc_describe(v));
    YG_TRY(yg__cc_strs(c, "intel.paths", v, &cfg->intel.paths, &cfg->intel.npaths));
    YG_TRY(yg__cc_get_str(c, "intel", g, "tlp_default", false, &cfg->intel.tlp_default));
    YG_TRY(yg__cc_get_str(c, "intel", g, "levels", false, &cfg->intel.levels));
    if (cfg->intel.tlp_default || cfg->intel.levels) {
        /* Checked by the store that will use them; the message names the
         * key, not the value (config files hold credentials). */
        yg_intel *probe;
        if (yg_intel_create(&probe))
            return YG_ENOMEM;
        bool ok = !cfg->intel.tlp_default ||
                  yg_intel_set_default_tlp(probe, cfg->intel.tlp_default) == YG_OK;
        bool lok = !cfg->intel.levels || yg_intel_set_level_map(probe, cfg->intel.levels) == YG_OK;
        yg_intel_release(probe);
        if (!ok)
            return yg__cc_fail(c, "intel.tlp_default", yg__ymap_get(g, "tlp_default"),
                               "expected clear, green, amber, amber+strict or red");
        if (!lok)
            return yg__cc_fail(c, "intel.levels", yg__ymap_get(g, "levels"),
                               "expected CONFIDENCE:LEVEL,... (e.g. 90:critical,60:high)");
    }
done:
    return err;
}

static yg_err read_geoip(struct yg_errmsg *c, struct yg_config *cfg, const struct yg_ynode *root)
{
    static const char *const k_geoip[] = {"city", "asn", NULL};
    yg_err err = YG_OK;
    const struct yg_ynode *g = yg__ymap_get(root, "geoip");
    if (!g)
        return YG_OK;
    YG_TRY(yg__cc_check_map(c, "geoip", g, k_geoip, NULL, NULL));
    YG_TRY(read_geoip_paths(c, g, "city", cfg->geoip.city, &cfg->geoip.ncity));
    YG_TRY(read_geoip_paths(c, g, "asn", cfg->geoip.asn, &cfg->geoip.nasn));
done:
    return err;
}

static const char *const input_type_names[] = {"file",  "syslog-udp", "syslog-tcp", "syslog-tls",
                                               "stdin", "otlp-http",  "kafka",      NULL};

static bool valid_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '_' || ch == '-' || ch == '.'))
            return false;
    }
    return true;
}

static yg_err read_input(struct yg_errmsg *c, const char *kp, const struct yg_ynode *m,
                         struct yg_cfg_input *in)
{
    static const char *const any[] = {"name",   "type",           "path",   "start_at",
                                      "format", "logsource",      "listen", "cert",
                                      "key",    "receive_buffer", "topic",  NULL};
    static const char *const k_file[] = {"name", "type",     "format", "logsource",
                                         "path", "start_at", NULL};
    static const char *const k_net[] = {"name", "type", "format", "logsource", "listen", NULL};
    static const char *const k_udp[] = {"name",   "type",           "format", "logsource",
                                        "listen", "receive_buffer", NULL};
    static const char *const k_tls[] = {"name",   "type", "format", "logsource",
                                        "listen", "cert", "key",    NULL};
    static const char *const k_stdin[] = {"name", "type", "format", "logsource", NULL};
    /* OTLP requests are read by the otlp format: no format key. */
    static const char *const k_otlp[] = {"name", "type", "logsource", "listen", NULL};
    static const char *const k_kafka[] = {"name", "type", "format", "logsource", "topic", NULL};
    yg_err err = YG_OK;
    char sub[YG_CC_KEYPATH_MAX];

    if (m->type != YG_Y_MAP)
        return yg__cc_fail(c, kp, m, "expected a mapping, found %s", yg__cc_describe(m));
    in->line = m->line;
    /* The type decides which keys are allowed, so read it first. */
    int type = -1;
    YG_TRY(yg__cc_get_word(c, kp, m, "type", input_type_names,
                           "file, syslog-udp, syslog-tcp, syslog-tls, stdin, otlp-http, kafka",
                           &type));
    if (type < 0) {
        /* Report an unknown key before a missing type: the type key itself
         * may be the misspelt one. */
        YG_TRY(yg__cc_check_map(c, kp, m, any, NULL, NULL));
        return yg__cc_missing(c, kp, m, "type");
    }
    in->type = (enum yg_input_type)type;
    const char *const *allowed = type == YG_INPUT_FILE         ? k_file
                                 : type == YG_INPUT_SYSLOG_TLS ? k_tls
                                 : type == YG_INPUT_STDIN      ? k_stdin
                                 : type == YG_INPUT_SYSLOG_UDP ? k_udp
                                 : type == YG_INPUT_OTLP_HTTP  ? k_otlp
                                 : type == YG_INPUT_KAFKA      ? k_kafka
                                                               : k_net;
    YG_TRY(yg__cc_check_map(c, kp, m, allowed, any, input_type_names[type]));

    YG_TRY(yg__cc_get_str(c, kp, m, "name", true, &in->name));
    if (!valid_name(in->name)) {
        yg__cc_key(sub, kp, "name");
        return yg__cc_fail(c, sub, yg__ymap_get(m, "name"),
                           "expected 1-64 letters, digits, '_', '-' or '.'");
    }

    YG_TRY(yg__cc_get_str(c, kp, m, "format", false, &in->format));
    if (in->format && strcmp(in->format, "auto") == 0) {
        yg_free(in->format);
        in->format = NULL;
    } else if (in->format && strcmp(in->format, "json") != 0 && strcmp(in->format, "alerts") != 0 &&
               !yg__format_find(in->format)) {
        yg__cc_key(sub, kp, "format");
        return yg__cc_fail(c, sub, yg__ymap_get(m, "format"),
                           "expected auto, json, alerts or a line format (yagura decode --list)");
    }

    const struct yg_ynode *ls = yg__ymap_get(m, "logsource");
    if (ls) {
        static const char *const k_ls[] = {"product", "service", "category", NULL};
        yg__cc_key(sub, kp, "logsource");
        YG_TRY(yg__cc_check_map(c, sub, ls, k_ls, NULL, NULL));
        YG_TRY(yg__cc_get_str(c, sub, ls, "product", false, &in->product));
        YG_TRY(yg__cc_get_str(c, sub, ls, "service", false, &in->service));
        YG_TRY(yg__cc_get_str(c, sub, ls, "category", false, &in->category));
    }

    switch (in->type) {
    case YG_INPUT_FILE: {
        YG_TRY(yg__cc_get_str(c, kp, m, "path", true, &in->path));
        static const char *const starts[] = {"beginning", "end", NULL};
        int start = 1;
        YG_TRY(yg__cc_get_word(c, kp, m, "start_at", starts, "beginning, end", &start));
        in->start_at_end = start == 1;
        break;
    }
    case YG_INPUT_SYSLOG_UDP:
        YG_TRY(yg__cc_get_hostport(c, kp, m, "listen", true, false, true, &in->listen));
        /* SO_RCVBUF takes an int, and Linux doubles it. */
        YG_TRY(yg__cc_get_size(c, kp, m, "receive_buffer", 4096, UINT64_MAX, NULL,
                               &in->receive_buffer));
        if (in->receive_buffer > (1ull << 30)) {
            yg__cc_key(sub, kp, "receive_buffer");
            return yg__cc_fail(c, sub, yg__ymap_get(m, "receive_buffer"), "must be at most 1GB");
        }
        break;
    case YG_INPUT_SYSLOG_TCP:
        YG_TRY(yg__cc_get_hostport(c, kp, m, "listen", true, false, true, &in->listen));
        break;
    case YG_INPUT_SYSLOG_TLS:
        YG_TRY(yg__cc_get_hostport(c, kp, m, "listen", true, false, true, &in->listen));
        YG_TRY(yg__cc_get_str(c, kp, m, "cert", true, &in->cert));
        YG_TRY(yg__cc_get_str(c, kp, m, "key", true, &in->key));
        break;
    case YG_INPUT_STDIN: break;
    case YG_INPUT_OTLP_HTTP:
        YG_TRY(yg__cc_get_hostport(c, kp, m, "listen", true, false, true, &in->listen));
        in->format = yg_strndup("otlp", 4);
        if (!in->format)
            return YG_ENOMEM;
        break;
    case YG_INPUT_KAFKA: YG_TRY(yg__cc_get_str(c, kp, m, "topic", true, &in->topic)); break;
    }
done:
    return err;
}

static yg_err read_inputs(struct yg_errmsg *c, struct yg_config *cfg, const struct yg_ynode *root)
{
    yg_err err = YG_OK;
    const struct yg_ynode *v = yg__ymap_get(root, "inputs");
    /* A correlate watch reads the detections topic of the kafka: section. */
    if (cfg->kafka.role == YG_ROLE_CORRELATE) {
        if (v)
            return yg__cc_fail(c, "inputs", v,
                               "a watch of kafka.role correlate reads only kafka.detections_topic: "
                               "remove the inputs");
        return YG_OK;
    }
    if (!v)
        return yg__cc_missing(c, "", root, "inputs");
    YG_TRY(yg__cc_get_seq(c, "", root, "inputs", "a sequence of inputs", &v));
    if (v->n == 0)
        return yg__cc_fail(c, "inputs", v, "must list at least one input");
    cfg->inputs = yg_calloc(v->n, sizeof *cfg->inputs);
    if (!cfg->inputs)
        return YG_ENOMEM;
    cfg->ninputs = v->n;
    for (size_t i = 0; i < v->n; i++) {
        char sub[YG_CC_KEYPATH_MAX], nkp[YG_CC_KEYPATH_MAX];
        yg__cc_index(sub, "inputs", i);
        YG_TRY(read_input(c, sub, v->items[i], &cfg->inputs[i]));
        if (cfg->inputs[i].type == YG_INPUT_KAFKA && !cfg->kafka.present)
            return yg__cc_fail(c, sub, v->items[i],
                               "a kafka input needs the kafka: section (brokers, group)");
        yg__cc_key(nkp, sub, "name");
        for (size_t j = 0; j < i; j++) {
            /* Names key the checkpoints and metrics of an input. */
            if (strcmp(cfg->inputs[j].name, cfg->inputs[i].name) == 0)
                return yg__cc_fail(c, nkp, yg__ymap_get(v->items[i], "name"),
                                   "duplicate input name (first at line %u)", cfg->inputs[j].line);
            /* Standard input can be read by one input only. */
            if (cfg->inputs[i].type == YG_INPUT_STDIN && cfg->inputs[j].type == YG_INPUT_STDIN)
                return yg__cc_fail(c, sub, v->items[i],
                                   "only one stdin input is possible (first at line %u)",
                                   cfg->inputs[j].line);
        }
    }
done:
    return err;
}

/* Inputs of format alerts (alerts as the sinks write them, taken as they
 * are: docs/kafka.md, "Incidents and TAXII from the alerts topic").  A match
 * stage evaluates rules on raw records, so it takes none; and a kafka sink
 * writing to the topic such an input reads would feed every alert back to
 * itself without end. */
static yg_err check_alert_inputs(struct yg_errmsg *c, const struct yg_config *cfg,
                                 const struct yg_ynode *root)
{
    for (size_t i = 0; i < cfg->ninputs; i++) {
        const struct yg_cfg_input *in = &cfg->inputs[i];
        if (!in->format || strcmp(in->format, "alerts") != 0)
            continue;
        const struct yg_ynode *node = yg__ymap_get(root, "inputs")->items[i];
        char sub[YG_CC_KEYPATH_MAX], fkp[YG_CC_KEYPATH_MAX];
        yg__cc_index(sub, "inputs", i);
        yg__cc_key(fkp, sub, "format");
        if (cfg->kafka.role == YG_ROLE_MATCH)
            return yg__cc_fail(
                c, fkp, yg__ymap_get(node, "format"),
                "a watch of kafka.role match evaluates rules on raw records: an input "
                "of format alerts belongs to a watch of role all");
        for (size_t s = 0; in->type == YG_INPUT_KAFKA && s < cfg->nsinks; s++)
            if (cfg->sinks[s].type == YG_SINK_KAFKA && cfg->sinks[s].topic &&
                strcmp(cfg->sinks[s].topic, in->topic) == 0)
                return yg__cc_fail(c, fkp, yg__ymap_get(node, "format"),
                                   "sinks[%zu] writes to the topic this input reads: every alert "
                                   "would come back to it",
                                   s);
    }
    return YG_OK;
}

/* Header names are RFC 9110 tokens; values may not break the header line. */
static bool header_token(const char *s)
{
    static const char extra[] = "!#$%&'*+-.^_`|~";
    if (!*s)
        return false;
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              (ch && strchr(extra, ch))))
            return false;
    }
    return true;
}

static yg_err read_headers(struct yg_errmsg *c, const char *kp, const struct yg_ynode *h,
                           struct yg_cfg_sink *s)
{
    yg_err err = YG_OK;
    if (h->type != YG_Y_MAP)
        return yg__cc_fail(c, kp, h, "expected a mapping of header names to values, found %s",
                           yg__cc_describe(h));
    s->headers = yg_calloc(h->n ? h->n : 1, sizeof *s->headers);
    if (!s->headers)
        return YG_ENOMEM;
    s->nheaders = h->n;
    for (size_t i = 0; i < h->n; i++) {
        const struct yg_ynode *k = h->items[2 * i], *v = h->items[2 * i + 1];
        char sub[YG_CC_KEYPATH_MAX];
        if (k->type != YG_Y_SCALAR || !header_token(k->s))
            return yg__cc_fail(c, kp, k, "expected an HTTP header name");
        yg__cc_key(sub, kp, k->s);
        for (size_t j = 0; j < i; j++)
            if (yg_str_ieq(s->headers[j].name, strlen(s->headers[j].name), k->s, k->slen))
                return yg__cc_fail(c, sub, k, "duplicate header (first at line %u)",
                                   h->items[2 * j]->line);
        YG_TRY(yg__cc_want_str(c, sub, k, &s->headers[i].name));
        /* The value is a credential more often than not: the messages below
         * say what is wrong with it without showing it. */
        if (v->type != YG_Y_SCALAR || v->skind == YG_S_NULL)
            return yg__cc_fail(c, sub, v, "expected a string value, found %s", yg__cc_describe(v));
        for (size_t j = 0; j < v->slen; j++)
            if ((unsigned char)v->s[j] < 0x20 && v->s[j] != '\t')
                return yg__cc_fail(c, sub, v,
                                   "the value contains a control character or line break");
        s->headers[i].value = yg_strndup(v->s, v->slen);
        if (!s->headers[i].value)
            return YG_ENOMEM;
    }
done:
    return err;
}

/* Length of the scheme://host[:port] part of an http(s) URL, or 0. */
static size_t url_origin_len(const char *u)
{
    size_t p;
    if (strncmp(u, "https://", 8) == 0)
        p = 8;
    else if (strncmp(u, "http://", 7) == 0)
        p = 7;
    else
        return 0;
    size_t h = p;
    while (u[p] && u[p] != '/' && u[p] != '?' && u[p] != '#')
        p++;
    return p > h ? p : 0;
}

static yg_err read_sink(struct yg_errmsg *c, const char *kp, const struct yg_ynode *m,
                        struct yg_cfg_sink *s)
{
    static const char *const types[] = {"jsonl", "syslog", "webhook", "kafka", NULL};
    static const char *const k_jsonl[] = {"type", "path", "rotate", "keep", NULL};
    static const char *const k_syslog[] = {"type", "address", "protocol", NULL};
    static const char *const k_webhook[] = {"type", "url", "spool", "timeout", "headers", NULL};
    static const char *const k_kafka[] = {"type", "topic", NULL};
    static const char *const any[] = {"type", "path",  "rotate",  "keep",    "address", "protocol",
                                      "url",  "spool", "timeout", "headers", "topic",   NULL};
    yg_err err = YG_OK;
    char sub[YG_CC_KEYPATH_MAX];

    if (m->type != YG_Y_MAP)
        return yg__cc_fail(c, kp, m, "expected a mapping, found %s", yg__cc_describe(m));
    s->line = m->line;
    int type = -1;
    YG_TRY(yg__cc_get_word(c, kp, m, "type", types, "jsonl, syslog, webhook, kafka", &type));
    if (type < 0) {
        YG_TRY(yg__cc_check_map(c, kp, m, any, NULL, NULL));
        return yg__cc_missing(c, kp, m, "type");
    }
    s->type = (enum yg_sink_type)type;
    s->keep = 10;
    s->timeout_ms = 5000;
    s->protocol = YG_PROTO_UDP;
    switch (s->type) {
    case YG_SINK_JSONL: {
        YG_TRY(yg__cc_check_map(c, kp, m, k_jsonl, NULL, NULL));
        YG_TRY(yg__cc_get_str(c, kp, m, "path", true, &s->path));
        YG_TRY(yg__cc_get_size(c, kp, m, "rotate", 0, UINT64_MAX, NULL, &s->rotate));
        YG_TRY(yg__cc_get_uint(c, kp, m, "keep", 1, 1000, &s->keep));
        break;
    }
    case YG_SINK_SYSLOG: {
        static const char *const protos[] = {"udp", "tcp", NULL};
        int proto = YG_PROTO_UDP;
        YG_TRY(yg__cc_check_map(c, kp, m, k_syslog, NULL, NULL));
        YG_TRY(yg__cc_get_hostport(c, kp, m, "address", true, true, false, &s->address));
        YG_TRY(yg__cc_get_word(c, kp, m, "protocol", protos, "udp, tcp", &proto));
        s->protocol = (enum yg_sink_proto)proto;
        break;
    }
    case YG_SINK_WEBHOOK: {
        YG_TRY(yg__cc_check_map(c, kp, m, k_webhook, NULL, NULL));
        YG_TRY(yg__cc_get_str(c, kp, m, "url", true, &s->url));
        if (!url_origin_len(s->url)) {
            yg__cc_key(sub, kp, "url");
            return yg__cc_fail(c, sub, yg__ymap_get(m, "url"),
                               "expected an http:// or https:// URL with a host");
        }
        YG_TRY(yg__cc_get_str(c, kp, m, "spool", false, &s->spool));
        YG_TRY(yg__cc_get_duration(c, kp, m, "timeout", 1, UINT64_MAX, NULL, &s->timeout_ms));
        const struct yg_ynode *h = yg__ymap_get(m, "headers");
        if (h) {
            yg__cc_key(sub, kp, "headers");
            YG_TRY(read_headers(c, sub, h, s));
        }
        break;
    }
    case YG_SINK_KAFKA:
        YG_TRY(yg__cc_check_map(c, kp, m, k_kafka, NULL, NULL));
        YG_TRY(yg__cc_get_str(c, kp, m, "topic", true, &s->topic));
        break;
    }
done:
    return err;
}

static yg_err read_sinks(struct yg_errmsg *c, struct yg_config *cfg, const struct yg_ynode *root)
{
    yg_err err = YG_OK;
    const struct yg_ynode *v;
    YG_TRY(yg__cc_get_seq(c, "", root, "sinks", "a sequence of sinks", &v));
    if (!v || !v->n)
        return YG_OK;
    cfg->sinks = yg_calloc(v->n, sizeof *cfg->sinks);
    if (!cfg->sinks)
        return YG_ENOMEM;
    cfg->nsinks = v->n;
    for (size_t i = 0; i < v->n; i++) {
        char sub[YG_CC_KEYPATH_MAX];
        yg__cc_index(sub, "sinks", i);
        YG_TRY(read_sink(c, sub, v->items[i], &cfg->sinks[i]));
        if (cfg->sinks[i].type == YG_SINK_KAFKA && !cfg->kafka.present)
            return yg__cc_fail(c, sub, v->items[i],
                               "a kafka sink needs the kafka: section (brokers)");
    }
done:
    return err;
}

/* kafka: {brokers, group, role, detections_topic, transactional_id,
 * batch_records, properties}. */
static yg_err read_kafka(struct yg_errmsg *c, struct yg_config *cfg, const struct yg_ynode *root)
{
    static const char *const k_kafka[] = {
        "brokers",          "group",         "role",       "detections_topic",
        "transactional_id", "batch_records", "properties", NULL};
    static const char *const roles[] = {"all", "match", "correlate", NULL};
    yg_err err = YG_OK;
    struct yg_cfg_kafka *k = &cfg->kafka;
    const struct yg_ynode *m = yg__ymap_get(root, "kafka");
    if (!m)
        return YG_OK;
    YG_TRY(yg__cc_check_map(c, "kafka", m, k_kafka, NULL, NULL));
    k->present = true;
    k->line = m->line;
    YG_TRY(yg__cc_get_str(c, "kafka", m, "brokers", true, &k->brokers));
    YG_TRY(yg__cc_get_str(c, "kafka", m, "group", false, &k->group));
    int role = YG_ROLE_ALL;
    YG_TRY(yg__cc_get_word(c, "kafka", m, "role", roles, "all, match, correlate", &role));
    k->role = (enum yg_kafka_role)role;
    YG_TRY(yg__cc_get_str(c, "kafka", m, "detections_topic", false, &k->detections_topic));
    YG_TRY(yg__cc_get_str(c, "kafka", m, "transactional_id", false, &k->transactional_id));
    k->batch_records = 32768;
    YG_TRY(yg__cc_get_uint(c, "kafka", m, "batch_records", 1, 1000000, &k->batch_records));
    if (k->role != YG_ROLE_ALL && !k->detections_topic)
        return yg__cc_fail(c, "kafka.detections_topic", m,
                           "required key is missing (the roles match and correlate exchange "
                           "detections through it)");
    if (k->role == YG_ROLE_CORRELATE && !k->group)
        return yg__cc_fail(c, "kafka.group", m,
                           "required key is missing (correlate instances share the detections "
                           "topic's partitions as one consumer group)");
    const struct yg_ynode *p = yg__ymap_get(m, "properties");
    if (p) {
        /* Passed through to librdkafka as they are; names are checked by
         * librdkafka when the client is created (its message names them). */
        if (p->type != YG_Y_MAP)
            return yg__cc_fail(
                c, "kafka.properties", p,
                "expected a mapping of librdkafka property names to values, found %s",
                yg__cc_describe(p));
        k->props = yg_calloc(p->n ? p->n : 1, sizeof *k->props);
        if (!k->props)
            return YG_ENOMEM;
        for (size_t i = 0; i < p->n; i++) {
            const struct yg_ynode *kn = p->items[2 * i], *vn = p->items[2 * i + 1];
            char sub[YG_CC_KEYPATH_MAX];
            if (kn->type != YG_Y_SCALAR || !kn->slen)
                return yg__cc_fail(c, "kafka.properties", kn, "expected a property name");
            yg__cc_key(sub, "kafka.properties", kn->s);
            YG_TRY(yg__cc_want_str(c, sub, kn, &k->props[i].name));
            k->nprops = i + 1;
            /* Properties the service sets itself would silently change its
             * delivery guarantee: they are keys of the section instead. */
            static const char *const own[] = {"bootstrap.servers",
                                              "group.id",
                                              "transactional.id",
                                              "enable.auto.commit",
                                              "isolation.level",
                                              "enable.idempotence",
                                              NULL};
            if (yg__cc_in_list(kn->s, own))
                return yg__cc_fail(c, sub, kn,
                                   "set by the service (use the keys of kafka: instead)");
            if (vn->type != YG_Y_SCALAR || vn->skind == YG_S_NULL)
                return yg__cc_fail(c, sub, vn, "expected a string value, found %s",
                                   yg__cc_describe(vn));
            k->props[i].value = yg_strndup(vn->s, vn->slen);
            if (!k->props[i].value)
                return YG_ENOMEM;
        }
    }
done:
    return err;
}

/* cache_dir: a folder, or false for no cache (true: the default folder). */
static yg_err read_cache_dir(struct yg_errmsg *c, struct yg_config *cfg,
                             const struct yg_ynode *root)
{
    const struct yg_ynode *v = yg__ymap_get(root, "cache_dir");
    if (v && v->type == YG_Y_SCALAR && v->skind == YG_S_BOOL) {
        cfg->no_cache = !(v->s[0] == 't' || v->s[0] == 'T');
        return YG_OK;
    }
    return yg__cc_get_str(c, "", root, "cache_dir", false, &cfg->cache_dir);
}

static yg_err read_root(struct yg_errmsg *c, struct yg_config *cfg, const struct yg_ynode *root)
{
    static const char *const k_root[] = {
        "rules", "data_dir", "mappings", "pipelines", "state", "min_level", "correlation",
        "geoip", "inputs",   "sinks",    "http",      "log",   "user",      "incidents",
        "intel", "taxii",    "kafka",    "cache_dir", NULL};
    static const char *const levels[] = {"informational", "low",      "medium",
                                         "high",          "critical", NULL};
    yg_err err = YG_OK;

    YG_TRY(yg__cc_check_map(c, "", root, k_root, NULL, NULL));
    YG_TRY(yg__cc_get_str(c, "", root, "data_dir", false, &cfg->data_dir));
    YG_TRY(read_rules(c, cfg, root));
    /* Mapping files laid over DATA/mappings/windows.yml, and pySigma
     * processing pipelines applied to the rules. */
    YG_TRY(read_files(c, root, "mappings", "mapping files", YG_MAX_MAPPING_OVERLAYS, &cfg->mappings,
                      &cfg->nmappings));
    YG_TRY(read_files(c, root, "pipelines", "pipeline files", YG_MAX_PIPELINES, &cfg->pipelines,
                      &cfg->npipelines));
    YG_TRY(yg__cc_get_str(c, "", root, "state", true, &cfg->state));
    YG_TRY(read_cache_dir(c, cfg, root));
    int lvl = 0;
    YG_TRY(yg__cc_get_word(c, "", root, "min_level", levels,
                           "informational, low, medium, high, critical", &lvl));
    cfg->min_level = (yg_level_t)(YG_LEVEL_INFO + lvl);

    cfg->correlation.memory_bytes = 256ull << 20;
    cfg->correlation.snapshot_interval_ms = 30000;
    const struct yg_ynode *corr = yg__ymap_get(root, "correlation");
    if (corr) {
        static const char *const k_corr[] = {"lateness", "memory", "snapshot_interval", NULL};
        YG_TRY(yg__cc_check_map(c, "correlation", corr, k_corr, NULL, NULL));
        YG_TRY(yg__cc_get_duration(c, "correlation", corr, "lateness", 0, UINT64_MAX, NULL,
                                   &cfg->correlation.lateness_ms));
        YG_TRY(yg__cc_get_size(c, "correlation", corr, "memory", 1, UINT64_MAX, NULL,
                               &cfg->correlation.memory_bytes));
        YG_TRY(yg__cc_get_duration(c, "correlation", corr, "snapshot_interval", 1000, UINT64_MAX,
                                   NULL, &cfg->correlation.snapshot_interval_ms));
    }

    cfg->incidents.enabled = true;
    cfg->incidents.window_ms = 24ull * 3600 * 1000;
    const struct yg_ynode *inc = yg__ymap_get(root, "incidents");
    if (inc) {
        static const char *const k_inc[] = {"enabled", "window", NULL};
        YG_TRY(yg__cc_check_map(c, "incidents", inc, k_inc, NULL, NULL));
        YG_TRY(yg__cc_get_bool(c, "incidents", inc, "enabled", &cfg->incidents.enabled));
        YG_TRY(yg__cc_get_duration(c, "incidents", inc, "window", 1000, UINT64_MAX, NULL,
                                   &cfg->incidents.window_ms));
    }

    YG_TRY(read_geoip(c, cfg, root));
    YG_TRY(read_intel(c, cfg, root));
    YG_TRY(read_kafka(c, cfg, root));
    YG_TRY(read_inputs(c, cfg, root));
    YG_TRY(read_sinks(c, cfg, root));
    if (cfg->kafka.present && !cfg->kafka.group) {
        for (size_t i = 0; i < cfg->ninputs; i++)
            if (cfg->inputs[i].type == YG_INPUT_KAFKA)
                return yg__cc_fail(c, "kafka.group", yg__ymap_get(root, "kafka"),
                                   "required key is missing (inputs[%zu] is a kafka input)", i);
    }
    YG_TRY(check_alert_inputs(c, cfg, root));
    if (cfg->kafka.role == YG_ROLE_MATCH)
        for (size_t i = 0; i < cfg->ninputs; i++)
            if (cfg->inputs[i].type != YG_INPUT_KAFKA) {
                char sub[YG_CC_KEYPATH_MAX];
                yg__cc_index(sub, "inputs", i);
                return yg__cc_fail(
                    c, sub, yg__ymap_get(root, "inputs")->items[i],
                    "a watch of kafka.role match reads kafka inputs only: its consumed "
                    "offsets are its checkpoints");
            }

    const struct yg_ynode *http = yg__ymap_get(root, "http");
    if (http) {
        static const char *const k_http[] = {"listen", NULL};
        YG_TRY(yg__cc_check_map(c, "http", http, k_http, NULL, NULL));
        YG_TRY(
            yg__cc_get_hostport(c, "http", http, "listen", true, false, true, &cfg->http_listen));
    }

    cfg->log_level = YG_LOG_INFO;
    cfg->log_target = YG_LOG_STDERR;
    const struct yg_ynode *log = yg__ymap_get(root, "log");
    if (log) {
        static const char *const k_log[] = {"level", "target", NULL};
        static const char *const lv[] = {"debug", "info", "warning", "error", NULL};
        static const char *const tg[] = {"stderr", "syslog", NULL};
        int l = YG_LOG_INFO, t = YG_LOG_STDERR;
        YG_TRY(yg__cc_check_map(c, "log", log, k_log, NULL, NULL));
        YG_TRY(yg__cc_get_word(c, "log", log, "level", lv, "debug, info, warning, error", &l));
        YG_TRY(yg__cc_get_word(c, "log", log, "target", tg, "stderr, syslog", &t));
        cfg->log_level = (enum yg_log_level)l;
        cfg->log_target = (enum yg_log_target)t;
    }
    YG_TRY(yg__cc_get_str(c, "", root, "user", false, &cfg->user));
    const struct yg_ynode *taxii = yg__ymap_get(root, "taxii");
    if (taxii) {
        err = yg__taxii_cfg_read(taxii, &cfg->taxii, c);
    }
done:
    return err;
}

/* ---- entry points ------------------------------------------------------- */

yg_err yg__config_parse(const char *text, size_t len, const char *name, struct yg_config **out,
                        struct yg_errmsg *e)
{
    char *why = e ? e->msg : NULL;
    size_t wl = e ? sizeof e->msg : 0;
    struct yg_arena a;
    struct yg_ydoc *docs = NULL;
    size_t ndocs = 0;
    unsigned eline = 0, ecol = 0;
    yg_err err = YG_OK;
    struct yg_config *cfg = NULL;

    *out = NULL;
    if (why && wl)
        *why = 0;
    yg_arena_init(&a, 16384, 16u * YG_MAX_CONFIG_BYTES);
    if (len > YG_MAX_CONFIG_BYTES) {
        if (why)
            snprintf(why, wl, "larger than %u bytes", YG_MAX_CONFIG_BYTES);
        err = YG_ELIMIT;
        goto done;
    }
    struct yg_errmsg ywhy = {""};
    err = yg__yaml_parse(text, len, &a, &docs, &ndocs, &eline, &ecol, &ywhy);
    if (err == YG_EUNSUPPORTED) {
        /* The parser's message speaks of rules; anchors and aliases are
         * refused here for the same reason (amplification). */
        if (why)
            snprintf(why, wl, "line %u, column %u: YAML aliases are not accepted", eline, ecol);
        err = YG_ESYNTAX;
        goto done;
    }
    if (err) {
        if (why && err != YG_ENOMEM)
            snprintf(why, wl, "line %u, column %u: %.199s", eline, ecol, ywhy.msg);
        goto done;
    }
    if (ndocs > 1) {
        if (why)
            snprintf(why, wl, "line %u, column 1: more than one YAML document", docs[1].line);
        err = YG_ESYNTAX;
        goto done;
    }
    if (ndocs == 0 || !docs[0].root) {
        if (why)
            snprintf(why, wl, "line 1, column 1: the file is empty");
        err = YG_EINVAL;
        goto done;
    }
    if (docs[0].root->type != YG_Y_MAP) {
        err = yg__cc_fail(e, "", docs[0].root, "expected a mapping of settings, found %s",
                          yg__cc_describe(docs[0].root));
        goto done;
    }
    cfg = yg_calloc(1, sizeof *cfg);
    if (!cfg) {
        err = YG_ENOMEM;
        goto done;
    }
    cfg->path = yg_strndup(name ? name : "", strlen(name ? name : ""));
    if (!cfg->path) {
        err = YG_ENOMEM;
        goto done;
    }
    YG_TRY(read_root(e, cfg, docs[0].root));
    *out = cfg;
    cfg = NULL;
done:
    if (err == YG_ENOMEM && why && wl)
        snprintf(why, wl, "out of memory");
    yg__config_free(cfg);
    yg_arena_free(&a);
    return err;
}

yg_err yg__config_load(const char *path, struct yg_config **out, struct yg_errmsg *why)
{
    char *text = NULL;
    size_t n = 0;
    *out = NULL;
    yg_err err = yg_file_read(path, YG_MAX_CONFIG_BYTES, &text, &n);
    if (err) {
        if (err == YG_ENOTFOUND || err == YG_EIO)
            yg__errmsg_set(why, "%s: %s", path, strerror(errno));
        else if (err == YG_ENOMEM)
            yg__errmsg_set(why, "%s: out of memory", path);
        else
            yg__errmsg_set(why, "%s: larger than %u bytes", path, YG_MAX_CONFIG_BYTES);
        return err == YG_ENOTFOUND ? YG_EIO : err;
    }
    err = yg__config_parse(text, n, path, out, why);
    yg_free(text);
    return err;
}

void yg__config_free(struct yg_config *cfg)
{
    if (!cfg)
        return;
    for (size_t i = 0; i < cfg->nrules; i++)
        yg_free(cfg->rules[i]);
    yg_free(cfg->rules);
    for (size_t i = 0; i < cfg->nmappings; i++)
        yg_free(cfg->mappings[i]);
    yg_free(cfg->mappings);
    for (size_t i = 0; i < cfg->npipelines; i++)
        yg_free(cfg->pipelines[i]);
    yg_free(cfg->pipelines);
    for (size_t i = 0; i < cfg->intel.npaths; i++)
        yg_free(cfg->intel.paths[i]);
    yg_free(cfg->intel.paths);
    yg_free(cfg->intel.tlp_default);
    yg_free(cfg->intel.levels);
    for (size_t i = 0; i < cfg->geoip.ncity; i++)
        yg_free(cfg->geoip.city[i]);
    for (size_t i = 0; i < cfg->geoip.nasn; i++)
        yg_free(cfg->geoip.asn[i]);
    for (size_t i = 0; i < cfg->ninputs; i++) {
        struct yg_cfg_input *in = &cfg->inputs[i];
        yg_free(in->name);
        yg_free(in->path);
        yg_free(in->format);
        yg_free(in->product);
        yg_free(in->service);
        yg_free(in->category);
        yg_free(in->listen);
        yg_free(in->cert);
        yg_free(in->key);
        yg_free(in->topic);
    }
    yg_free(cfg->inputs);
    for (size_t i = 0; i < cfg->nsinks; i++) {
        struct yg_cfg_sink *s = &cfg->sinks[i];
        yg_free(s->path);
        yg_free(s->address);
        yg_free(s->url);
        yg_free(s->spool);
        for (size_t j = 0; j < s->nheaders; j++) {
            yg_free(s->headers[j].name);
            if (s->headers[j].value) {
                /* Do not leave the credential in freed heap memory. */
                volatile char *p = s->headers[j].value;
                while (*p)
                    *p++ = 0;
                yg_free(s->headers[j].value);
            }
        }
        yg_free(s->headers);
        yg_free(s->topic);
    }
    yg_free(cfg->sinks);
    yg_free(cfg->path);
    yg_free(cfg->data_dir);
    yg_free(cfg->cache_dir);
    yg_free(cfg->state);
    yg_free(cfg->http_listen);
    yg_free(cfg->user);
    yg__taxii_cfg_free(cfg->taxii);
    yg_free(cfg->kafka.brokers);
    yg_free(cfg->kafka.group);
    yg_free(cfg->kafka.detections_topic);
    yg_free(cfg->kafka.transactional_id);
    for (size_t j = 0; j < cfg->kafka.nprops; j++) {
        yg_free(cfg->kafka.props[j].name);
        if (cfg->kafka.props[j].value) {
            volatile char *p = cfg->kafka.props[j].value; /* may be a password */
            while (*p)
                *p++ = 0;
            yg_free(cfg->kafka.props[j].value);
        }
    }
    yg_free(cfg->kafka.props);
    yg_free(cfg);
}

/* ---- rendering ---------------------------------------------------------- */

static yg_err put_kv(struct yg_buf *b, const char *indent, const char *key, const char *val)
{
    yg_err err = YG_OK;
    YG_TRY(yg_buf_addf(b, "%s%s: ", indent, key));
    YG_TRY(yg_buf_add_json_str(b, val, strlen(val)));
    YG_TRY(yg_buf_addc(b, '\n'));
done:
    return err;
}

static yg_err put_duration(struct yg_buf *b, const char *indent, const char *key, uint64_t ms)
{
    static const struct {
        const char *unit;
        uint64_t ms;
    } units[] = {{"d", 86400000}, {"h", 3600000}, {"m", 60000}, {"s", 1000}};
    for (size_t i = 0; i < sizeof units / sizeof *units; i++)
        if (ms && ms % units[i].ms == 0)
            return yg_buf_addf(b, "%s%s: %llu%s\n", indent, key,
                               (unsigned long long)(ms / units[i].ms), units[i].unit);
    return yg_buf_addf(b, "%s%s: %llums\n", indent, key, (unsigned long long)ms);
}

static yg_err put_size(struct yg_buf *b, const char *indent, const char *key, uint64_t n)
{
    static const char *const units[] = {"TB", "GB", "MB", "KB"};
    for (unsigned i = 0; i < 4; i++) {
        unsigned shift = 10 * (4 - i);
        if (n && (n & ((1ull << shift) - 1)) == 0)
            return yg_buf_addf(b, "%s%s: %llu%s\n", indent, key, (unsigned long long)(n >> shift),
                               units[i]);
    }
    return yg_buf_addf(b, "%s%s: %lluB\n", indent, key, (unsigned long long)n);
}

/* "  - VALUE" lines of a list of paths under INDENT. */
static yg_err render_paths(struct yg_buf *b, const char *indent, char *const *v, size_t n)
{
    yg_err err = YG_OK;
    for (size_t i = 0; i < n; i++) {
        YG_TRY(yg_buf_addf(b, "%s- ", indent));
        YG_TRY(yg_buf_add_json_str(b, v[i], strlen(v[i])));
        YG_TRY(yg_buf_addc(b, '\n'));
    }
done:
    return err;
}

/* intel: and geoip:, when configured. */
static yg_err render_intel_geoip(const struct yg_config *cfg, struct yg_buf *b)
{
    yg_err err = YG_OK;
    if (cfg->intel.npaths) {
        YG_TRY(yg_buf_addf(b, "intel:\n  paths:\n"));
        YG_TRY(render_paths(b, "    ", cfg->intel.paths, cfg->intel.npaths));
        if (cfg->intel.tlp_default)
            YG_TRY(put_kv(b, "  ", "tlp_default", cfg->intel.tlp_default));
        if (cfg->intel.levels)
            YG_TRY(put_kv(b, "  ", "levels", cfg->intel.levels));
    }
    if (cfg->geoip.ncity || cfg->geoip.nasn) {
        YG_TRY(yg_buf_addf(b, "geoip:\n"));
        for (int k = 0; k < 2; k++) {
            size_t n = k ? cfg->geoip.nasn : cfg->geoip.ncity;
            char *const *p = k ? cfg->geoip.asn : cfg->geoip.city;
            if (!n)
                continue;
            YG_TRY(yg_buf_addf(b, "  %s:\n", k ? "asn" : "city"));
            YG_TRY(render_paths(b, "    ", p, n));
        }
    }
done:
    return err;
}

static yg_err render_input(const struct yg_cfg_input *in, struct yg_buf *b)
{
    yg_err err = YG_OK;
    YG_TRY(put_kv(b, "  - ", "name", in->name));
    YG_TRY(yg_buf_addf(b, "    type: %s\n", input_type_names[in->type]));
    YG_TRY(put_kv(b, "    ", "format", in->format ? in->format : "auto"));
    if (in->product || in->service || in->category) {
        YG_TRY(yg_buf_addf(b, "    logsource:\n"));
        if (in->product)
            YG_TRY(put_kv(b, "      ", "product", in->product));
        if (in->service)
            YG_TRY(put_kv(b, "      ", "service", in->service));
        if (in->category)
            YG_TRY(put_kv(b, "      ", "category", in->category));
    }
    if (in->path) {
        YG_TRY(put_kv(b, "    ", "path", in->path));
        YG_TRY(yg_buf_addf(b, "    start_at: %s\n", in->start_at_end ? "end" : "beginning"));
    }
    if (in->listen)
        YG_TRY(put_kv(b, "    ", "listen", in->listen));
    if (in->receive_buffer)
        YG_TRY(put_size(b, "    ", "receive_buffer", in->receive_buffer));
    if (in->cert)
        YG_TRY(put_kv(b, "    ", "cert", in->cert));
    if (in->key) /* a path, not key material */
        YG_TRY(put_kv(b, "    ", "key", in->key));
    if (in->topic)
        YG_TRY(put_kv(b, "    ", "topic", in->topic));
done:
    return err;
}

/* A webhook sink: its URL's origin only (credentials redacted), header
 * names without values. */
static yg_err render_webhook(const struct yg_cfg_sink *s, struct yg_buf *b)
{
    yg_err err = YG_OK;
    YG_TRY(yg_buf_addf(b, "  - type: webhook\n    url: \""));
    size_t ol = url_origin_len(s->url);
    /* Credentials may sit in the user info part of the origin. */
    const char *at = memchr(s->url, '@', ol);
    if (at) {
        const char *host = strstr(s->url, "://") + 3;
        YG_TRY(yg_buf_add(b, s->url, (size_t)(host - s->url)));
        YG_TRY(yg_buf_addf(b, "<redacted>"));
        YG_TRY(yg_buf_add(b, at, (size_t)(s->url + ol - at)));
    } else {
        YG_TRY(yg_buf_add(b, s->url, ol));
    }
    YG_TRY(yg_buf_addf(b, "/<redacted>\"\n"));
    if (s->spool)
        YG_TRY(put_kv(b, "    ", "spool", s->spool));
    YG_TRY(put_duration(b, "    ", "timeout", s->timeout_ms));
    if (s->nheaders) {
        YG_TRY(yg_buf_addf(b, "    headers:\n"));
        for (size_t j = 0; j < s->nheaders; j++) {
            /* Token characters such as '#' or '*' mean something at the
             * start of a plain YAML key: quote the name. */
            const char *hn = s->headers[j].name;
            YG_TRY(yg_buf_addf(b, "      "));
            YG_TRY(yg_buf_add_json_str(b, hn, strlen(hn)));
            YG_TRY(yg_buf_addf(b, ": \"<redacted>\"\n"));
        }
    }
done:
    return err;
}

static yg_err render_sink(const struct yg_cfg_sink *s, struct yg_buf *b)
{
    yg_err err = YG_OK;
    switch (s->type) {
    case YG_SINK_JSONL:
        YG_TRY(yg_buf_addf(b, "  - type: jsonl\n"));
        YG_TRY(put_kv(b, "    ", "path", s->path));
        if (s->rotate)
            YG_TRY(put_size(b, "    ", "rotate", s->rotate));
        YG_TRY(yg_buf_addf(b, "    keep: %u\n", s->keep));
        break;
    case YG_SINK_SYSLOG:
        YG_TRY(yg_buf_addf(b, "  - type: syslog\n"));
        YG_TRY(put_kv(b, "    ", "address", s->address));
        YG_TRY(yg_buf_addf(b, "    protocol: %s\n", s->protocol == YG_PROTO_TCP ? "tcp" : "udp"));
        break;
    case YG_SINK_WEBHOOK: return render_webhook(s, b);
    case YG_SINK_KAFKA:
        YG_TRY(yg_buf_addf(b, "  - type: kafka\n"));
        YG_TRY(put_kv(b, "    ", "topic", s->topic));
        break;
    }
done:
    return err;
}

yg_err yg__config_render(const struct yg_config *cfg, struct yg_buf *b)
{
    static const char *const levels[] = {"informational", "low", "medium", "high", "critical"};
    yg_err err = YG_OK;
    YG_TRY(yg_buf_addf(b, "rules:\n"));
    YG_TRY(render_paths(b, "  ", cfg->rules, cfg->nrules));
    if (cfg->data_dir)
        YG_TRY(put_kv(b, "", "data_dir", cfg->data_dir));
    YG_TRY(put_kv(b, "", "state", cfg->state));
    if (cfg->no_cache)
        YG_TRY(yg_buf_addf(b, "cache_dir: false\n"));
    else if (cfg->cache_dir)
        YG_TRY(put_kv(b, "", "cache_dir", cfg->cache_dir));
    int lvl = (int)cfg->min_level - (int)YG_LEVEL_INFO;
    YG_TRY(yg_buf_addf(b, "min_level: %s\n", levels[lvl >= 0 && lvl < 5 ? lvl : 0]));
    YG_TRY(yg_buf_addf(b, "correlation:\n"));
    YG_TRY(put_duration(b, "  ", "lateness", cfg->correlation.lateness_ms));
    YG_TRY(put_size(b, "  ", "memory", cfg->correlation.memory_bytes));
    YG_TRY(put_duration(b, "  ", "snapshot_interval", cfg->correlation.snapshot_interval_ms));
    YG_TRY(
        yg_buf_addf(b, "incidents:\n  enabled: %s\n", cfg->incidents.enabled ? "true" : "false"));
    YG_TRY(put_duration(b, "  ", "window", cfg->incidents.window_ms));
    YG_TRY(render_intel_geoip(cfg, b));
    YG_TRY(yg_buf_addf(b, "inputs:\n"));
    for (size_t i = 0; i < cfg->ninputs; i++)
        YG_TRY(render_input(&cfg->inputs[i], b));
    if (cfg->nsinks)
        YG_TRY(yg_buf_addf(b, "sinks:\n"));
    for (size_t i = 0; i < cfg->nsinks; i++)
        YG_TRY(render_sink(&cfg->sinks[i], b));
    if (cfg->http_listen) {
        YG_TRY(yg_buf_addf(b, "http:\n"));
        YG_TRY(put_kv(b, "  ", "listen", cfg->http_listen));
    }
    YG_TRY(yg_buf_addf(b, "log:\n  level: %s\n  target: %s\n", yg__log_level_name(cfg->log_level),
                       cfg->log_target == YG_LOG_SYSLOG ? "syslog" : "stderr"));
    if (cfg->user)
        YG_TRY(put_kv(b, "", "user", cfg->user));
    if (cfg->kafka.present) {
        static const char *const roles[] = {"all", "match", "correlate"};
        const struct yg_cfg_kafka *k = &cfg->kafka;
        YG_TRY(yg_buf_addf(b, "kafka:\n"));
        YG_TRY(put_kv(b, "  ", "brokers", k->brokers));
        if (k->group)
            YG_TRY(put_kv(b, "  ", "group", k->group));
        YG_TRY(yg_buf_addf(b, "  role: %s\n", roles[k->role]));
        if (k->detections_topic)
            YG_TRY(put_kv(b, "  ", "detections_topic", k->detections_topic));
        if (k->transactional_id)
            YG_TRY(put_kv(b, "  ", "transactional_id", k->transactional_id));
        YG_TRY(yg_buf_addf(b, "  batch_records: %u\n", k->batch_records));
        if (k->nprops) {
            YG_TRY(yg_buf_addf(b, "  properties:\n"));
            for (size_t j = 0; j < k->nprops; j++) {
                YG_TRY(yg_buf_addf(b, "    "));
                YG_TRY(yg_buf_add_json_str(b, k->props[j].name, strlen(k->props[j].name)));
                YG_TRY(yg_buf_addf(b, ": \"<redacted>\"\n"));
            }
        }
    }
done:
    return err;
}
