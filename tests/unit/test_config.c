/* Tests of the watch configuration (src/watch/config.c), the service log
 * (src/core/log.c) and the privilege drop (src/watch/privdrop.c). */
#include <pwd.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"
#include "watch/config.h"
#include "core/log.h"
#include "watch/privdrop.h"

static struct yg_config *parse(const char *text, char *why, size_t wl, yg_err *errp)
{
    struct yg_config *cfg = NULL;
    struct yg_errmsg e = {""};
    yg_err err = yg__config_parse(text, strlen(text), "test.yaml", &cfg, &e);
    snprintf(why, wl, "%s", e.msg);
    if (errp)
        *errp = err;
    return cfg;
}

/* The example file of packaging/ is the documentation's reference: every
 * value in it lands in the structs. */
static void test_example(void)
{
    struct yg_config *cfg = NULL;
    struct yg_errmsg why = {""};
    yg_err err = yg__config_load(YG_SOURCE_DIR "/packaging/yagura.yaml", &cfg, &why);
    CHECK_MSG(err == YG_OK, "%s", why.msg);
    if (!cfg)
        return;
    CHECK(cfg->nrules == 2);
    CHECK(strcmp(cfg->rules[0], "/etc/yagura/rules") == 0);
    CHECK(strcmp(cfg->rules[1], "/usr/share/yagura/sigma") == 0);
    CHECK(strcmp(cfg->data_dir, "/usr/share/yagura") == 0);
    CHECK(strcmp(cfg->state, "/var/lib/yagura/state.db") == 0);
    CHECK(cfg->cache_dir && strcmp(cfg->cache_dir, "/var/lib/yagura/hs-cache") == 0);
    CHECK(cfg->min_level == YG_LEVEL_INFO);
    CHECK(cfg->correlation.lateness_ms == 300000);
    CHECK(cfg->correlation.memory_bytes == 256ull << 20);
    CHECK(cfg->correlation.snapshot_interval_ms == 30000);
    CHECK(cfg->ninputs == 5);
    if (cfg->ninputs == 5) {
        const struct yg_cfg_input *in = cfg->inputs;
        CHECK(strcmp(in[0].name, "vpn") == 0 && in[0].type == YG_INPUT_FILE);
        CHECK(strcmp(in[0].path, "/var/log/vpn/*.log") == 0 && in[0].start_at_end);
        CHECK(in[0].format == NULL); /* auto */
        CHECK(strcmp(in[0].product, "fortigate") == 0 && strcmp(in[0].service, "sslvpn") == 0 &&
              strcmp(in[0].category, "vpn") == 0);
        CHECK(in[0].line > 1);
        CHECK(strcmp(in[1].name, "net") == 0 && in[1].type == YG_INPUT_SYSLOG_UDP);
        CHECK(strcmp(in[1].listen, "0.0.0.0:514") == 0 && !in[1].path && !in[1].product);
        CHECK(in[2].type == YG_INPUT_SYSLOG_TCP && strcmp(in[2].listen, "[::]:6514") == 0);
        CHECK(in[3].type == YG_INPUT_SYSLOG_TLS && strcmp(in[3].listen, ":6515") == 0);
        CHECK(strcmp(in[3].cert, "/etc/yagura/tls.crt") == 0);
        CHECK(strcmp(in[3].key, "/etc/yagura/tls.key") == 0);
        CHECK(in[4].type == YG_INPUT_STDIN && strcmp(in[4].name, "in") == 0);
    }
    CHECK(cfg->nsinks == 3);
    if (cfg->nsinks == 3) {
        const struct yg_cfg_sink *s = cfg->sinks;
        CHECK(s[0].type == YG_SINK_JSONL);
        CHECK(strcmp(s[0].path, "/var/log/yagura/alerts.jsonl") == 0);
        CHECK(s[0].rotate == 100ull << 20 && s[0].keep == 10);
        CHECK(s[1].type == YG_SINK_SYSLOG && strcmp(s[1].address, "siem.example:514") == 0);
        CHECK(s[1].protocol == YG_PROTO_TCP);
        CHECK(s[2].type == YG_SINK_WEBHOOK);
        CHECK(strcmp(s[2].url, "https://hooks.example/yagura") == 0);
        CHECK(strcmp(s[2].spool, "/var/lib/yagura/spool") == 0 && s[2].timeout_ms == 5000);
        CHECK(s[2].nheaders == 1);
        if (s[2].nheaders == 1) {
            CHECK(strcmp(s[2].headers[0].name, "Authorization") == 0);
            CHECK(strcmp(s[2].headers[0].value, "Bearer change-me") == 0);
        }
    }
    CHECK(strcmp(cfg->http_listen, "127.0.0.1:9308") == 0);
    CHECK(cfg->log_level == YG_LOG_INFO && cfg->log_target == YG_LOG_STDERR);
    CHECK(strcmp(cfg->user, "yagura") == 0);
    CHECK(strcmp(cfg->path, YG_SOURCE_DIR "/packaging/yagura.yaml") == 0);
    yg__config_free(cfg);
}

static void test_minimal_defaults(void)
{
    char why[512] = "";
    yg_err err;
    struct yg_config *cfg =
        parse("rules: [r]\nstate: s.db\ninputs: [{name: i, type: stdin}]\n", why, sizeof why, &err);
    CHECK_MSG(cfg != NULL, "%s", why);
    if (!cfg)
        return;
    CHECK(cfg->min_level == YG_LEVEL_INFO);
    CHECK(cfg->correlation.lateness_ms == 0);
    CHECK(cfg->correlation.memory_bytes == 256ull << 20);
    CHECK(cfg->correlation.snapshot_interval_ms == 30000);
    CHECK(cfg->nsinks == 0 && cfg->sinks == NULL);
    CHECK(cfg->http_listen == NULL && cfg->user == NULL && cfg->data_dir == NULL);
    CHECK(cfg->log_level == YG_LOG_INFO && cfg->log_target == YG_LOG_STDERR);
    yg__config_free(cfg);

    cfg = parse("rules: [r]\nstate: s\nmin_level: high\nlog: {level: debug, target: syslog}\n"
                "inputs:\n  - {name: f, type: file, path: /x, start_at: beginning, format: json}\n"
                "  - {name: g, type: file, path: /y, format: fortigate}\n"
                "  - {name: h, type: file, path: /z, format: alerts}\n"
                "sinks: [{type: jsonl, path: /a, keep: 3}, {type: syslog, address: 'h:1'},\n"
                "        {type: webhook, url: 'http://h:8080'}]\n",
                why, sizeof why, &err);
    CHECK_MSG(cfg != NULL, "%s", why);
    if (!cfg)
        return;
    CHECK(cfg->min_level == YG_LEVEL_HI);
    CHECK(cfg->log_level == YG_LOG_DEBUG && cfg->log_target == YG_LOG_SYSLOG);
    CHECK(!cfg->inputs[0].start_at_end && strcmp(cfg->inputs[0].format, "json") == 0);
    CHECK(strcmp(cfg->inputs[1].format, "fortigate") == 0 && cfg->inputs[1].start_at_end);
    CHECK(strcmp(cfg->inputs[2].format, "alerts") == 0);
    CHECK(cfg->sinks[0].keep == 3 && cfg->sinks[0].rotate == 0);
    CHECK(cfg->sinks[1].protocol == YG_PROTO_UDP);
    CHECK(cfg->sinks[2].timeout_ms == 5000 && cfg->sinks[2].spool == NULL);
    CHECK(cfg->sinks[2].nheaders == 0);
    yg__config_free(cfg);
}

/* cache_dir: a folder, false (no cache), the default when left out; the
 * rendering keeps it; anything else is an error with its position. */
static void test_cache_dir(void)
{
    static const char *const head = "rules: [r]\nstate: s\ninputs: [{name: i, type: stdin}]\n";
    char text[512], why[512] = "";
    yg_err err;
    snprintf(text, sizeof text, "%scache_dir: /var/lib/yagura/hs\n", head);
    struct yg_config *cfg = parse(text, why, sizeof why, &err);
    CHECK_MSG(cfg && cfg->cache_dir && !strcmp(cfg->cache_dir, "/var/lib/yagura/hs") &&
                  !cfg->no_cache,
              "%s", why);
    struct yg_buf b;
    yg_buf_init(&b, 1u << 20);
    CHECK(cfg && yg__config_render(cfg, &b) == YG_OK && yg_buf_addc(&b, 0) == YG_OK &&
          strstr(b.p, "cache_dir: \"/var/lib/yagura/hs\"\n"));
    yg_buf_free(&b);
    yg__config_free(cfg);
    snprintf(text, sizeof text, "%scache_dir: false\n", head);
    cfg = parse(text, why, sizeof why, &err);
    CHECK_MSG(cfg && cfg->no_cache && !cfg->cache_dir, "%s", why);
    yg_buf_init(&b, 1u << 20);
    CHECK(cfg && yg__config_render(cfg, &b) == YG_OK && yg_buf_addc(&b, 0) == YG_OK &&
          strstr(b.p, "cache_dir: false\n"));
    yg_buf_free(&b);
    yg__config_free(cfg);
    cfg = parse(head, why, sizeof why, &err);
    CHECK(cfg && !cfg->no_cache && !cfg->cache_dir);
    yg__config_free(cfg);
    snprintf(text, sizeof text, "%scache_dir: [a]\n", head);
    cfg = parse(text, why, sizeof why, &err);
    CHECK_MSG(!cfg && strstr(why, "cache_dir") && strstr(why, "line 4"), "%s", why);
}

/* OpenTelemetry input and pySigma pipelines (docs/inputs.md, docs/pipelines.md). */
static void test_otlp_pipelines(void)
{
    char why[512] = "";
    yg_err err;
    struct yg_config *cfg = parse("rules: [r]\nstate: s\npipelines: [/p/splunk.yml, /p/extra.yml]\n"
                                  "inputs: [{name: o, type: otlp-http, listen: '127.0.0.1:4318',\n"
                                  "          logsource: {product: otel}}]\n",
                                  why, sizeof why, &err);
    CHECK_MSG(cfg != NULL, "%s", why);
    if (!cfg)
        return;
    CHECK(cfg->npipelines == 2 && strcmp(cfg->pipelines[1], "/p/extra.yml") == 0);
    CHECK(cfg->inputs[0].type == YG_INPUT_OTLP_HTTP);
    CHECK(strcmp(cfg->inputs[0].listen, "127.0.0.1:4318") == 0);
    CHECK(strcmp(cfg->inputs[0].format, "otlp") == 0 &&
          strcmp(cfg->inputs[0].product, "otel") == 0);
    yg__config_free(cfg);
    cfg = parse("rules: [r]\nstate: s\ninputs: [{name: o, type: otlp-http, listen: ':1', format: "
                "json}]\n",
                why, sizeof why, &err);
    CHECK(cfg == NULL && strstr(why, "inputs[0].format") != NULL);
    yg__config_free(cfg);
    cfg = parse("rules: [r]\nstate: s\npipelines: /p.yml\ninputs: [{name: i, type: stdin}]\n", why,
                sizeof why, &err);
    CHECK_MSG(cfg == NULL && strstr(why, "pipelines: line 3") != NULL, "%s", why);
    yg__config_free(cfg);
}

/* A listen port of 0 (the system picks one, the service logs it); a sink's
 * address still needs a real port. */
static void test_listen_port_zero(void)
{
    char why[512] = "";
    yg_err err;
    struct yg_config *cfg = parse("rules: [r]\nstate: s\n"
                                  "inputs: [{name: t, type: syslog-tcp, listen: '127.0.0.1:0'},\n"
                                  "         {name: u, type: syslog-udp, listen: '[::1]:0'}]\n"
                                  "http: {listen: '127.0.0.1:0'}\n",
                                  why, sizeof why, &err);
    CHECK_MSG(cfg != NULL, "%s", why);
    if (cfg)
        CHECK(strcmp(cfg->inputs[0].listen, "127.0.0.1:0") == 0 &&
              strcmp(cfg->inputs[1].listen, "[::1]:0") == 0 &&
              strcmp(cfg->http_listen, "127.0.0.1:0") == 0);
    yg__config_free(cfg);
    cfg = parse("rules: [r]\nstate: s\ninputs: [{name: i, type: stdin}]\n"
                "sinks: [{type: syslog, address: 'h:0'}]\n",
                why, sizeof why, &err);
    CHECK_MSG(cfg == NULL && strstr(why, "sinks[0].address") != NULL, "%s", why);
    yg__config_free(cfg);
}

/* Each kind of error, with the exact message: key path, line, column. */
static void test_errors(void)
{
    static const struct {
        const char *text, *want;
        yg_err err;
    } cases[] = {
        /* the example of the documentation: a listen address without port */
        {"rules: [r]\nstate: s\ninputs:\n  - {name: a, type: stdin}\n"
         "  - {name: b, type: syslog-udp, listen: ':514'}\n"
         "  - name: c\n    type: syslog-tcp\n    listen: 'localhost'\n",
         "inputs[2].listen: line 8, column 13: expected host:port", YG_EINVAL},
        /* missing required keys, at the mapping that lacks them */
        /* rules may be left out only when rule sets are installed in the
         * data folder (docs/install.md); this one has none. */
        {"data_dir: /nonexistent\nstate: s\ninputs: [{name: a, type: stdin}]\n",
         "rules: line 1, column 1: required key is missing", YG_EINVAL},
        {"rules: [r]\ninputs: [{name: a, type: stdin}]\n",
         "state: line 1, column 1: required key is missing", YG_EINVAL},
        {"rules: [r]\nstate: s\n", "inputs: line 1, column 1: required key is missing", YG_EINVAL},
        /* Kafka (docs/kafka.md): inputs and sinks need the kafka: section,
         * roles their topic, and properties the service owns are refused */
        {"rules: [r]\nstate: s\ninputs:\n  - {name: a, type: kafka, topic: t}\n",
         "inputs[0]: line 4, column 5: a kafka input needs the kafka: section (brokers, group)",
         YG_EINVAL},
        {"rules: [r]\nstate: s\nkafka: {brokers: 'b:9092', group: g}\n"
         "inputs:\n  - {name: a, type: kafka}\n",
         "inputs[0].topic: line 5, column 5: required key is missing", YG_EINVAL},
        {"rules: [r]\nstate: s\nkafka: {brokers: 'b:9092'}\ninputs:\n  - {name: a, type: kafka, "
         "topic: t}\n",
         "kafka.group: line 3, column 8: required key is missing (inputs[0] is a kafka input)",
         YG_EINVAL},
        {"rules: [r]\nstate: s\nkafka: {brokers: 'b:9092', group: g, role: match}\n"
         "inputs: [{name: a, type: stdin}]\n",
         "kafka.detections_topic: line 3, column 8: required key is missing (the roles match and "
         "correlate exchange detections through it)",
         YG_EINVAL},
        {"rules: [r]\nstate: s\nkafka: {brokers: 'b:9092', group: g, role: match, "
         "detections_topic: d}\ninputs: [{name: a, type: stdin}]\n",
         "inputs[0]: line 4, column 10: a watch of kafka.role match reads kafka inputs only: its "
         "consumed offsets are its checkpoints",
         YG_EINVAL},
        {"rules: [r]\nstate: s\nkafka: {brokers: 'b:9092', group: g, role: correlate, "
         "detections_topic: d}\ninputs: [{name: a, type: stdin}]\n",
         "inputs: line 4, column 9: a watch of kafka.role correlate reads only "
         "kafka.detections_topic: remove the inputs",
         YG_EINVAL},
        {"rules: [r]\nstate: s\nkafka: {brokers: 'b:9092', properties: {isolation.level: "
         "read_uncommitted}}\ninputs: [{name: a, type: stdin}]\n",
         "kafka.properties.isolation.level: line 3, column 41: set by the service (use the keys "
         "of kafka: instead)",
         YG_EINVAL},
        {"rules: [r]\nstate: s\ninputs: [{name: a, type: stdin}]\nsinks: [{type: kafka, topic: "
         "t}]\n",
         "sinks[0]: line 4, column 9: a kafka sink needs the kafka: section (brokers)", YG_EINVAL},
        /* format: alerts (docs/kafka.md, "Incidents and TAXII from the alerts topic") */
        {"rules: [r]\nstate: s\nkafka: {brokers: 'b:9092', group: g, role: match, "
         "detections_topic: d}\ninputs:\n  - {name: a, type: kafka, topic: t, format: alerts}\n",
         "inputs[0].format: line 5, column 46: a watch of kafka.role match evaluates rules on raw "
         "records: an input of format alerts belongs to a watch of role all",
         YG_EINVAL},
        {"rules: [r]\nstate: s\nkafka: {brokers: 'b:9092', group: g}\ninputs:\n  - {name: a, "
         "type: kafka, topic: t, format: alerts}\nsinks: [{type: jsonl, path: /x}, {type: kafka, "
         "topic: t}]\n",
         "inputs[0].format: line 5, column 46: sinks[1] writes to the topic this input reads: "
         "every alert would come back to it",
         YG_EINVAL},
        {"rules: [r]\nstate: s\nkafka: {brokers: 'b:9092', role: both}\ninputs: [{name: a, type: "
         "stdin}]\n",
         "kafka.role: line 3, column 34: expected one of all, match, correlate", YG_EINVAL},
        {"rules: [r]\nstate: s\nkafka: {brokers: 'b:9092', batch_records: 0}\ninputs: [{name: a, "
         "type: stdin}]\n",
         "kafka.batch_records: line 3, column 43: expected a whole number from 1 to 1000000",
         YG_EINVAL},
        {"rules: [r]\nstate: s\nkafka: {brokers: 'b:9092', batch_records: many}\ninputs: [{name: "
         "a, type: stdin}]\n",
         "kafka.batch_records: line 3, column 43: expected a whole number from 1 to 1000000",
         YG_EINVAL},
        {"rules: [r]\nstate: s\ninputs:\n  - {name: a, type: file}\n",
         "inputs[0].path: line 4, column 5: required key is missing", YG_EINVAL},
        {"rules: [r]\nstate: s\ninputs:\n  - {name: a}\n",
         "inputs[0].type: line 4, column 5: required key is missing", YG_EINVAL},
        {"rules: [r]\nstate: s\ninputs: [{type: stdin}]\n",
         "inputs[0].name: line 3, column 10: required key is missing", YG_EINVAL},
        {"rules: [r]\nstate: s\ninputs: [{name: t, type: syslog-tls, listen: ':1', cert: c}]\n",
         "inputs[0].key: line 3, column 10: required key is missing", YG_EINVAL},
        {"rules: [r]\nstate: s\ninputs: [{name: a, type: stdin}]\nhttp: {}\n",
         "http.listen: line 4, column 7: required key is missing", YG_EINVAL},
        /* unknown keys, with and without a suggestion */
        {"rules: [r]\nstate: s\nmin_levle: low\ninputs: [{name: a, type: stdin}]\n",
         "min_levle: line 3, column 1: unknown key (did you mean \"min_level\"?)", YG_EINVAL},
        {"rules: [r]\nstate: s\ninputs: [{name: a, type: syslog-udp, lisen: ':5'}]\n",
         "inputs[0].lisen: line 3, column 38: unknown key (did you mean \"listen\"?)", YG_EINVAL},
        {"rules: [r]\nstate: s\ninputs: [{name: a, type: stdin}]\ncorrelation: {memroy: 1MB}\n",
         "correlation.memroy: line 4, column 15: unknown key (did you mean \"memory\"?)",
         YG_EINVAL},
        {"rules: [r]\nstate: s\ninputs: [{name: a, type: stdin}]\nbanana: 1\n",
         "banana: line 4, column 1: unknown key", YG_EINVAL},
        {"rules: [r]\nstate: s\ninputs: [{name: a, typ: stdin}]\n",
         "inputs[0].typ: line 3, column 20: unknown key (did you mean \"type\"?)", YG_EINVAL},
        /* a key of another input type */
        {"rules: [r]\nstate: s\ninputs: [{name: a, type: syslog-udp, listen: ':5', path: /x}]\n",
         "inputs[0].path: line 3, column 52: not a key of a syslog-udp input", YG_EINVAL},
        /* wrong types */
        {"rules: /etc/rules\nstate: s\ninputs: [{name: a, type: stdin}]\n",
         "rules: line 1, column 8: expected a sequence of files or folders, found a string",
         YG_EINVAL},
        {"rules: [r, [x]]\nstate: s\ninputs: [{name: a, type: stdin}]\n",
         "rules[1]: line 1, column 12: expected a string, found a sequence", YG_EINVAL},
        {"rules: [r]\nstate: {a: b}\ninputs: [{name: a, type: stdin}]\n",
         "state: line 2, column 8: expected a string, found a mapping", YG_EINVAL},
        {"rules: [r]\nstate: s\nuser: true\ninputs: [{name: a, type: stdin}]\n",
         "user: line 3, column 7: expected a string, found true/false", YG_EINVAL},
        {"rules: [r]\nstate: s\ninputs: {name: a, type: stdin}\n",
         "inputs: line 3, column 9: expected a sequence of inputs, found a mapping", YG_EINVAL},
        {"rules: [r]\nstate: s\ninputs: [{name: a, type: stdin}]\nhttp: 9308\n",
         "http: line 4, column 7: expected a mapping, found a number", YG_EINVAL},
        {"- a\n- b\n", "line 1, column 1: expected a mapping of settings, found a sequence",
         YG_EINVAL},
        /* bad keywords and values */
        {"rules: [r]\nstate: s\nmin_level: hihg\ninputs: [{name: a, type: stdin}]\n",
         "min_level: line 3, column 12: expected one of informational, low, medium, high, "
         "critical (did you mean \"high\"?)",
         YG_EINVAL},
        {"rules: [r]\nstate: s\ninputs: [{name: a, type: syslog_udp, listen: ':5'}]\n",
         "inputs[0].type: line 3, column 26: expected one of file, syslog-udp, syslog-tcp, "
         "syslog-tls, stdin, otlp-http, kafka (did you mean \"syslog-udp\"?)",
         YG_EINVAL},
        {"rules: [r]\nstate: s\ninputs: [{name: a, type: file, path: /x, format: nope}]\n",
         "inputs[0].format: line 3, column 50: expected auto, json, alerts or a line format "
         "(yagura decode --list)",
         YG_EINVAL},
        {"rules: [r]\nstate: s\ninputs: [{name: a b, type: stdin}]\n",
         "inputs[0].name: line 3, column 17: expected 1-64 letters, digits, '_', '-' or '.'",
         YG_EINVAL},
        {"rules: [r]\nstate: s\ninputs: [{name: a, type: stdin}]\n"
         "correlation: {lateness: 5 minutes}\n",
         "correlation.lateness: line 4, column 25: expected a duration such as 500ms, 5s, 5m, "
         "1h or 1d",
         YG_EINVAL},
        {"rules: [r]\nstate: s\ninputs: [{name: a, type: stdin}]\n"
         "correlation: {memory: 256}\n",
         "correlation.memory: line 4, column 23: expected a size such as 512KB, 100MB or 1GB",
         YG_EINVAL},
        {"rules: [r]\nstate: s\ninputs: [{name: a, type: stdin}]\n"
         "correlation: {snapshot_interval: 10ms}\n",
         "correlation.snapshot_interval: line 4, column 34: must be at least 1000 ms", YG_EINVAL},
        {"rules: [r]\nstate: s\ninputs: [{name: a, type: stdin}]\n"
         "sinks: [{type: jsonl, path: /a, keep: 0}]\n",
         "sinks[0].keep: line 4, column 39: expected a whole number from 1 to 1000", YG_EINVAL},
        {"rules: [r]\nstate: s\ninputs: [{name: a, type: stdin}]\n"
         "sinks: [{type: syslog, address: ':514'}]\n",
         "sinks[0].address: line 4, column 33: expected host:port", YG_EINVAL},
        {"rules: [r]\nstate: s\ninputs: [{name: a, type: stdin}]\n"
         "sinks: [{type: webhook, url: 'ftp://x/y'}]\n",
         "sinks[0].url: line 4, column 30: expected an http:// or https:// URL with a host",
         YG_EINVAL},
        {"rules: [r]\nstate: s\ninputs: [{name: a, type: stdin}]\n"
         "sinks: [{type: jsonl, url: x}]\n",
         "sinks[0].url: line 4, column 23: unknown key", YG_EINVAL},
        {"rules: []\nstate: s\ninputs: [{name: a, type: stdin}]\n",
         "rules: line 1, column 8: must name at least one file or folder", YG_EINVAL},
        {"rules: [r]\nstate: ''\ninputs: [{name: a, type: stdin}]\n",
         "state: line 2, column 8: must not be empty", YG_EINVAL},
        /* duplicates */
        {"rules: [r]\nstate: s\nstate: t\ninputs: [{name: a, type: stdin}]\n",
         "state: line 3, column 1: duplicate key (first at line 2)", YG_EINVAL},
        {"rules: [r]\nstate: s\ninputs:\n  - {name: a, type: stdin}\n"
         "  - {name: a, type: file, path: /x}\n",
         "inputs[1].name: line 5, column 12: duplicate input name (first at line 4)", YG_EINVAL},
        {"rules: [r]\nstate: s\ninputs:\n  - {name: a, type: stdin}\n  - {name: b, type: stdin}\n",
         "inputs[1]: line 5, column 5: only one stdin input is possible (first at line 4)",
         YG_EINVAL},
        /* YAML-level problems */
        {"rules: [r\nstate: s\n",
         "line 2, column 6: YAML: did not find expected ',' or ']' "
         "while parsing a flow sequence",
         YG_ESYNTAX},
        {"rules: &x [r]\nstate: s\ndata_dir: *x\ninputs: [{name: a, type: stdin}]\n",
         "line 3, column 11: YAML aliases are not accepted", YG_ESYNTAX},
        {"rules: [r]\n---\nstate: s\n", "line 2, column 1: more than one YAML document",
         YG_ESYNTAX},
        {"", "line 1, column 1: the file is empty", YG_EINVAL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char why[512] = "";
        yg_err err;
        struct yg_config *cfg = parse(cases[i].text, why, sizeof why, &err);
        CHECK_MSG(cfg == NULL && err == cases[i].err, "case %zu: err %d", i, (int)err);
        CHECK_MSG(strcmp(why, cases[i].want) == 0, "case %zu:\n  got  %s\n  want %s", i, why,
                  cases[i].want);
        yg__config_free(cfg);
    }

    /* A file that does not exist names the path and the system's reason. */
    struct yg_config *cfg = NULL;
    struct yg_errmsg why = {""};
    CHECK(yg__config_load("/nonexistent/yagura.yaml", &cfg, &why) == YG_EIO);
    CHECK(cfg == NULL);
    CHECK_MSG(strcmp(why.msg, "/nonexistent/yagura.yaml: No such file or directory") == 0, "%s",
              why.msg);
}

static void test_durations_sizes(void)
{
    uint64_t v = 0;
    CHECK(yg__parse_duration_ms("500ms", &v) && v == 500);
    CHECK(yg__parse_duration_ms("5s", &v) && v == 5000);
    CHECK(yg__parse_duration_ms("5m", &v) && v == 300000);
    CHECK(yg__parse_duration_ms("1h", &v) && v == 3600000);
    CHECK(yg__parse_duration_ms("1d", &v) && v == 86400000);
    CHECK(yg__parse_duration_ms("0s", &v) && v == 0);
    CHECK(yg__parse_duration_ms("007s", &v) && v == 7000);
    CHECK(yg__parse_duration_ms("18446744073709551615ms", &v) && v == UINT64_MAX);
    CHECK(!yg__parse_duration_ms("18446744073709551616ms", &v)); /* 2^64 */
    CHECK(!yg__parse_duration_ms("213503982334602d", &v));       /* overflows in ms */
    CHECK(!yg__parse_duration_ms("5", &v));
    CHECK(!yg__parse_duration_ms("s", &v));
    CHECK(!yg__parse_duration_ms("", &v));
    CHECK(!yg__parse_duration_ms("-5s", &v));
    CHECK(!yg__parse_duration_ms("1.5h", &v));
    CHECK(!yg__parse_duration_ms("5 s", &v));
    CHECK(!yg__parse_duration_ms("5S", &v)); /* m and M would be ambiguous: lowercase only */
    CHECK(!yg__parse_duration_ms("5sec", &v));
    CHECK(!yg__parse_duration_ms("1h30m", &v));
    CHECK(!yg__parse_duration_ms(NULL, &v));

    CHECK(yg__parse_size("512KB", &v) && v == 512u << 10);
    CHECK(yg__parse_size("100MB", &v) && v == 100ull << 20);
    CHECK(yg__parse_size("1GB", &v) && v == 1ull << 30);
    CHECK(yg__parse_size("2TB", &v) && v == 2ull << 40);
    CHECK(yg__parse_size("10B", &v) && v == 10);
    CHECK(yg__parse_size("0B", &v) && v == 0);
    CHECK(yg__parse_size("100mb", &v) && v == 100ull << 20);
    CHECK(yg__parse_size("16777215TB", &v) && v == 16777215ull << 40);
    CHECK(!yg__parse_size("16777216TB", &v)); /* 2^64 */
    CHECK(!yg__parse_size("100", &v));
    CHECK(!yg__parse_size("100M", &v));
    CHECK(!yg__parse_size("1.5GB", &v));
    CHECK(!yg__parse_size("MB", &v));
    CHECK(!yg__parse_size("-1MB", &v));
    CHECK(!yg__parse_size("1 MB", &v));
    CHECK(!yg__parse_size("1MiB", &v));

    char host[64];
    unsigned port = 0;
    CHECK(yg__parse_hostport("0.0.0.0:514", host, sizeof host, &port, false) &&
          strcmp(host, "0.0.0.0") == 0 && port == 514);
    CHECK(yg__parse_hostport("[::]:6514", host, sizeof host, &port, false) &&
          strcmp(host, "::") == 0 && port == 6514);
    CHECK(yg__parse_hostport("[fe80::1%eth0]:1", host, sizeof host, &port, false) &&
          strcmp(host, "fe80::1%eth0") == 0);
    CHECK(yg__parse_hostport(":6514", host, sizeof host, &port, false) && host[0] == 0);
    CHECK(yg__parse_hostport("siem.example:65535", host, sizeof host, &port, false) &&
          port == 65535);
    CHECK(yg__parse_hostport("h:0", host, sizeof host, &port, true) && port == 0);
    CHECK(!yg__parse_hostport("h:0", host, sizeof host, &port, false));
    CHECK(!yg__parse_hostport("h:65536", host, sizeof host, &port, false));
    CHECK(!yg__parse_hostport("h", host, sizeof host, &port, false));
    CHECK(!yg__parse_hostport("h:", host, sizeof host, &port, false));
    CHECK(!yg__parse_hostport("::1:80", host, sizeof host, &port, false));
    CHECK(!yg__parse_hostport("[1.2.3.4]:80", host, sizeof host, &port, false));
    CHECK(!yg__parse_hostport("[::1]80", host, sizeof host, &port, false));
    CHECK(!yg__parse_hostport("h:8x", host, sizeof host, &port, false));
    CHECK(!yg__parse_hostport("h/x:80", host, sizeof host, &port, false));
    CHECK(!yg__parse_hostport("averyveryverylonghostname.example:80", host, 8, &port, false));

    /* The values reach the structs, and render back in their largest unit. */
    char why[512] = "";
    struct yg_config *cfg =
        parse("rules: [r]\nstate: s\ninputs: [{name: a, type: stdin}]\n"
              "correlation: {lateness: 1500ms, memory: 1536KB, snapshot_interval: 2h}\n",
              why, sizeof why, NULL);
    CHECK_MSG(cfg != NULL, "%s", why);
    if (!cfg)
        return;
    CHECK(cfg->correlation.lateness_ms == 1500);
    CHECK(cfg->correlation.memory_bytes == 1536u << 10);
    CHECK(cfg->correlation.snapshot_interval_ms == 7200000);
    struct yg_buf b;
    yg_buf_init(&b, 1 << 20);
    CHECK(yg__config_render(cfg, &b) == YG_OK && yg_buf_addc(&b, 0) == YG_OK);
    CHECK(strstr(b.p, "  lateness: 1500ms\n") != NULL);
    CHECK(strstr(b.p, "  memory: 1536KB\n") != NULL);
    CHECK(strstr(b.p, "  snapshot_interval: 2h\n") != NULL);
    yg_buf_free(&b);
    yg__config_free(cfg);
}

/* Credentials are kept for the sinks but appear in no rendering and no
 * error message. */
static void test_redaction(void)
{
    static const char secret[] = "s3cr3t-t0k3n";
    char why[512] = "";
    struct yg_config *cfg =
        parse("rules: [r]\nstate: s\ninputs: [{name: a, type: stdin}]\n"
              "sinks:\n  - type: webhook\n    url: 'https://bot:s3cr3t-t0k3n@hooks.example:8443/"
              "services/s3cr3t-t0k3n?key=s3cr3t-t0k3n'\n"
              "    headers: {Authorization: 'Bearer s3cr3t-t0k3n', X-Api-Key: s3cr3t-t0k3n}\n",
              why, sizeof why, NULL);
    CHECK_MSG(cfg != NULL, "%s", why);
    if (!cfg)
        return;
    CHECK(strcmp(cfg->sinks[0].headers[0].value, "Bearer s3cr3t-t0k3n") == 0);
    CHECK(strstr(cfg->sinks[0].url, secret) != NULL);
    struct yg_buf b;
    yg_buf_init(&b, 1 << 20);
    CHECK(yg__config_render(cfg, &b) == YG_OK && yg_buf_addc(&b, 0) == YG_OK);
    CHECK_MSG(strstr(b.p, secret) == NULL, "%s", b.p);
    CHECK(strstr(b.p, "    url: \"https://<redacted>@hooks.example:8443/<redacted>\"\n") != NULL);
    CHECK(strstr(b.p, "      \"Authorization\": \"<redacted>\"\n") != NULL);
    CHECK(strstr(b.p, "      \"X-Api-Key\": \"<redacted>\"\n") != NULL);
    /* The rendering is itself a valid configuration with the same shape. */
    struct yg_config *again = parse(b.p, why, sizeof why, NULL);
    CHECK_MSG(again != NULL, "%s", why);
    if (again)
        CHECK(again->nsinks == 1 && again->sinks[0].nheaders == 2);
    yg__config_free(again);
    yg_buf_free(&b);
    yg__config_free(cfg);

    /* Errors about a header value say what is wrong, not what it is. */
    static const char *const bad[] = {
        "rules: [r]\nstate: s\ninputs: [{name: a, type: stdin}]\nsinks: [{type: webhook, "
        "url: 'https://h/', headers: {Authorization: \"Bearer s3cr3t-t0k3n\\r\\nX: y\"}}]\n",
        "rules: [r]\nstate: s\ninputs: [{name: a, type: stdin}]\nsinks: [{type: webhook, "
        "url: 'https://h/', headers: {Authorization: [s3cr3t-t0k3n]}}]\n",
        "rules: [r]\nstate: s\ninputs: [{name: a, type: stdin}]\nsinks: [{type: webhook, "
        "url: 's3cr3t-t0k3n', headers: {Authorization: s3cr3t-t0k3n}}]\n",
        "rules: [r]\nstate: s\ninputs: [{name: a, type: stdin}]\nsinks: [{type: webhook, "
        "url: 'https://h/', headers: {Authorization: x, authorization: s3cr3t-t0k3n}}]\n",
        "rules: [r]\nstate: s3cr3t-t0k3n\nmin_level: s3cr3t-t0k3n\ninputs: [{name: a, type: "
        "stdin}]\n",
        "rules: [r]\nstate: s\ninputs: [{name: a, type: stdin}]\n"
        "intel: {paths: [f], tlp_default: s3cr3t-t0k3n}\n",
        "rules: [r]\nstate: s\ninputs: [{name: a, type: stdin}]\n"
        "intel: {paths: [f], levels: s3cr3t-t0k3n}\n",
    };
    static const char *const want[] = {
        "sinks[0].headers.Authorization: line 4, column 69: the value contains a control "
        "character or line break",
        "sinks[0].headers.Authorization: line 4, column 69: expected a string value, found a "
        "sequence",
        "sinks[0].url: line 4, column 30: expected an http:// or https:// URL with a host",
        "sinks[0].headers.authorization: line 4, column 72: duplicate header (first at line 4)",
        "min_level: line 3, column 12: expected one of informational, low, medium, high, "
        "critical",
        "intel.tlp_default: line 4, column 34: expected clear, green, amber, amber+strict or red",
        "intel.levels: line 4, column 29: expected CONFIDENCE:LEVEL,... (e.g. 90:critical,60:high)",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        yg_err err;
        cfg = parse(bad[i], why, sizeof why, &err);
        CHECK_MSG(cfg == NULL && err == YG_EINVAL, "case %zu", i);
        CHECK_MSG(strstr(why, secret) == NULL, "case %zu: %s", i, why);
        CHECK_MSG(strcmp(why, want[i]) == 0, "case %zu:\n  got  %s\n  want %s", i, why, want[i]);
        yg__config_free(cfg);
    }
}

/* Every allocation of a load fails in turn: an error comes back and
 * nothing leaks (the sanitizer build checks the leaks). */
static void test_alloc_failures(void)
{
    char *text = NULL;
    size_t n = 0;
    CHECK(yg_file_read(YG_SOURCE_DIR "/packaging/yagura.yaml", 1 << 20, &text, &n) == YG_OK);
    if (!text)
        return;
    int failures = 0;
    for (long k = 1; k < 100000; k++) {
        struct yg_config *cfg = NULL;
        struct yg_errmsg why;
        yg__alloc_fail_after(k);
        yg_err err = yg__config_parse(text, n, "x", &cfg, &why);
        yg__alloc_fail_after(0);
        if (err == YG_OK) {
            CHECK(cfg != NULL);
            yg__config_free(cfg);
            break;
        }
        CHECK_MSG(cfg == NULL && err == YG_ENOMEM, "k=%ld err=%d %s", k, (int)err, why.msg);
        failures++;
    }
    CHECK(failures > 20);
    yg_free(text);
}

static void test_log(void)
{
    int p[2];
    CHECK(pipe(p) == 0);
    yg__log_set_fd(p[1]);
    yg__log_setup(YG_LOG_STDERR, YG_LOG_INFO, NULL);
    yg__log(YG_LOG_DEBUG, "hidden %d", 1);
    yg__log(YG_LOG_INFO, "input %s: %d records", "vpn", 3);
    yg__log(YG_LOG_ERROR, "forged\n2026-01-01T00:00:00.000Z info line\x01");
    yg__log_setup(YG_LOG_STDERR, YG_LOG_ERROR, NULL);
    yg__log(YG_LOG_WARNING, "below the filter");
    yg__log_set_fd(-1);
    yg__log_setup(YG_LOG_STDERR, YG_LOG_INFO, NULL);
    close(p[1]);
    char out[4096];
    ssize_t n = read(p[0], out, sizeof out - 1);
    close(p[0]);
    CHECK(n > 0);
    out[n > 0 ? n : 0] = 0;
    /* Two lines: "YYYY-MM-DDTHH:MM:SS.mmmZ level message". */
    char *l2 = strchr(out, '\n');
    CHECK(l2 != NULL);
    if (!l2)
        return;
    *l2++ = 0;
    CHECK_MSG(strlen(out) == 24 + 1 + 4 + 1 + strlen("input vpn: 3 records"), "%s", out);
    CHECK(out[4] == '-' && out[7] == '-' && out[10] == 'T' && out[13] == ':' && out[19] == '.' &&
          out[23] == 'Z');
    CHECK(strcmp(out + 24, " info input vpn: 3 records") == 0);
    CHECK_MSG(strcmp(l2 + 24, " error forged\\n2026-01-01T00:00:00.000Z info line\\x01\n") == 0,
              "%s", l2);
    CHECK(strstr(l2, "hidden") == NULL && strstr(l2, "below") == NULL);
    CHECK(strcmp(yg__log_level_name(YG_LOG_WARNING), "warning") == 0);
}

static void test_privdrop(void)
{
    struct yg_errmsg why = {""};
    CHECK(yg__drop_privileges("no-such-user-yagura", &why) == YG_ENOTFOUND);
    CHECK_MSG(strcmp(why.msg, "user no-such-user-yagura: no such user") == 0, "%s", why.msg);
    struct passwd *nob = getpwnam("nobody");
    if (!nob)
        return;
    if (geteuid() != 0) {
        CHECK(yg__drop_privileges("nobody", &why) == YG_ESTATE);
        CHECK(strcmp(why.msg, "cannot switch to user nobody: not running as root") == 0);
        return;
    }
    CHECK(yg__drop_privileges("root", &why) == YG_EINVAL);
    uid_t want_uid = nob->pw_uid;
    gid_t want_gid = nob->pw_gid;
    /* The drop is irreversible: do it in a child. */
    pid_t pid = fork();
    if (pid == 0) {
        struct yg_errmsg w = {""};
        int rc = 0;
        if (yg__drop_privileges("nobody", &w) != YG_OK)
            rc |= 1;
        if (getuid() != want_uid || geteuid() != want_uid || getgid() != want_gid)
            rc |= 2;
        if (setuid(0) == 0)
            rc |= 4;
        /* Running as the target user already is fine. */
        if (yg__drop_privileges("nobody", &w) != YG_OK)
            rc |= 8;
        _exit(rc);
    }
    int st = 0;
    CHECK(pid > 0 && waitpid(pid, &st, 0) == pid);
    CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %d", st);
}

int main(void)
{
    test_example();
    test_minimal_defaults();
    test_cache_dir();
    test_errors();
    test_otlp_pipelines();
    test_listen_port_zero();
    test_durations_sizes();
    test_redaction();
    test_alloc_failures();
    test_log();
    test_privdrop();
    TAP_DONE();
}
