/*
 * config.h - the configuration file of `yagura watch` (docs/watch-config.md).
 *
 * The file is YAML, read into the position-keeping tree of core/yaml.h and
 * checked key by key into the plain structs below.  Checking is strict: an
 * unknown key, a value of the wrong type, a missing required key or a bad
 * duration, size or address is an error that names the key path and the
 * line and column of the offending node, e.g.
 *
 *     inputs[2].listen: line 14, column 13: expected host:port
 *
 * so a service never starts with a setting silently ignored.  Error messages
 * never quote a value of the file (only key names and allowed keywords):
 * webhook header values and URLs may carry credentials.  Those stay in the
 * structs for the sinks to use, and yg__config_render redacts them.
 *
 * Ownership: yg__config_load returns one heap object owning every string
 * and array in it; yg__config_free releases all of it.  The structs are
 * read-only after loading and may be shared between threads.
 */
#ifndef YG_WATCH_CONFIG_H
#define YG_WATCH_CONFIG_H

#include "core/confval.h"
#include "core/core.h"
#include "core/errmsg.h"
#include "core/log.h"
#include "yagura/yagura.h"

/* The largest configuration file read is YG_MAX_CONFIG_BYTES (limits.h). */

enum yg_input_type {
    YG_INPUT_FILE,
    YG_INPUT_SYSLOG_UDP,
    YG_INPUT_SYSLOG_TCP,
    YG_INPUT_SYSLOG_TLS,
    YG_INPUT_STDIN,
    YG_INPUT_OTLP_HTTP, /* OpenTelemetry logs, OTLP/HTTP JSON */
    YG_INPUT_KAFKA,     /* one Kafka topic, through the kafka: section's consumer */
};

struct yg_cfg_input {
    char *name; /* unique among inputs */
    enum yg_input_type type;
    unsigned line; /* where the entry starts in the file, for later messages */
    /* file */
    char *path;        /* a glob */
    bool start_at_end; /* start_at: end (default) or beginning */
    char *format;      /* NULL for auto; else "json", "alerts" or a line format name */
    /* Log source given to every record of the input (NULL when not set). */
    char *product, *service, *category;
    /* syslog-udp, syslog-tcp, syslog-tls, otlp-http: "host:port", "[v6]:port", ":port" */
    char *listen;
    /* syslog-udp: receive buffer to ask the kernel for (SO_RCVBUF), bytes;
     * 0: YG_UDP_RCVBUF_DEFAULT */
    uint64_t receive_buffer;
    /* syslog-tls */
    char *cert, *key;
    /* kafka */
    char *topic;
};

enum yg_sink_type { YG_SINK_JSONL, YG_SINK_SYSLOG, YG_SINK_WEBHOOK, YG_SINK_KAFKA };
enum yg_sink_proto { YG_PROTO_UDP, YG_PROTO_TCP };

struct yg_cfg_header {
    char *name;
    char *value; /* never printed: see yg__config_render */
};

struct yg_cfg_sink {
    enum yg_sink_type type;
    unsigned line;
    /* jsonl */
    char *path;
    uint64_t rotate; /* bytes; 0: never rotate */
    unsigned keep;   /* rotated files kept (default 10) */
    /* syslog */
    char *address; /* host:port */
    enum yg_sink_proto protocol;
    /* webhook */
    char *url;           /* may embed credentials: never printed */
    char *spool;         /* NULL when not set */
    uint64_t timeout_ms; /* default 5s */
    struct yg_cfg_header *headers;
    size_t nheaders;
    /* kafka: the topic alerts are produced to (keyed by alert id) */
    char *topic;
};

struct yg_taxii_cfg; /* taxii/taxii.h */

/* What a watch does with its events when it runs on Kafka (docs/kafka.md). */
enum yg_kafka_role {
    YG_ROLE_ALL,       /* match and correlate in one process (the default) */
    YG_ROLE_MATCH,     /* detections feeding correlations go to the detections topic */
    YG_ROLE_CORRELATE, /* reads the detections topic, raises correlation alerts */
};

/* The kafka: section: one client (consumer and producer) shared by every
 * kafka input and sink. */
struct yg_cfg_kafka {
    bool present;
    unsigned line;
    char *brokers; /* bootstrap.servers */
    char *group;   /* group.id of the consumer */
    enum yg_kafka_role role;
    char *detections_topic; /* required by the match and correlate roles */
    char *transactional_id; /* set: exactly once (transactions); NULL: at least once */
    /* Records per batch read from Kafka; each batch ends in one commit (a
     * transaction with transactional_id). */
    unsigned batch_records;
    /* librdkafka properties passed through (TLS, SASL, tuning); values are
     * never printed: they hold passwords. */
    struct yg_cfg_header *props;
    size_t nprops;
};

struct yg_config {
    char *path; /* the file it was read from */
    char **rules;
    size_t nrules;
    char *data_dir;  /* NULL when not set */
    char **mappings; /* mapping files laid over the data folder's (mappings:) */
    size_t nmappings;
    char **pipelines; /* pySigma processing pipelines applied to the rules (pipelines:) */
    size_t npipelines;
    char *state;
    /* Where the compiled rule databases are kept between starts and reloads
     * (cache_dir:; NULL: the default folder), or none (cache_dir: false). */
    char *cache_dir;
    bool no_cache;
    yg_level_t min_level; /* default YG_LEVEL_INFO */
    struct {
        uint64_t lateness_ms;          /* default 0 */
        uint64_t memory_bytes;         /* default 256MB */
        uint64_t snapshot_interval_ms; /* default 30s */
    } correlation;
    /* Incidents built from the alerts in the state database (docs/incidents.md). */
    struct {
        bool enabled;       /* default true */
        uint64_t window_ms; /* grouping window, default 24h */
    } incidents;
    /* Geolocation databases of the analytics (docs/analytics.md): city and
     * ASN MaxMind DB files, each a path or a list of paths tried in order. */
    struct {
        char *city[4];
        size_t ncity;
        char *asn[4];
        size_t nasn;
    } geoip;
    /* intel: {paths: [...], tlp_default: TLP, levels: "90:critical,..."}: threat
     * intelligence loaded with the rules (and again on reload). */
    struct {
        char **paths;
        size_t npaths;
        char *tlp_default, *levels; /* NULL when not set */
    } intel;
    struct yg_cfg_input *inputs;
    size_t ninputs;
    struct yg_cfg_sink *sinks;
    size_t nsinks;
    char *http_listen;             /* NULL: no HTTP endpoint */
    enum yg_log_level log_level;   /* default info */
    enum yg_log_target log_target; /* default stderr */
    char *user;                    /* NULL: keep the starting user */
    /* The taxii: section (docs/taxii.md), checked by taxii/taxii_config.c;
     * NULL when absent.  Not part of yg__config_render. */
    struct yg_taxii_cfg *taxii;
    struct yg_cfg_kafka kafka;
};

/*
 * Read and check the file at path.  On success *out owns the configuration
 * (yg__config_free).  On failure *out is NULL and why holds one line:
 * "key.path: line L, column C: what was expected" (or "path: reason" when the
 * file cannot be read).  Returns YG_EIO, YG_ESYNTAX, YG_EINVAL, YG_ELIMIT or
 * YG_ENOMEM.
 */
YG_NODISCARD yg_err yg__config_load(const char *path, struct yg_config **out,
                                    struct yg_errmsg *why);
/* The same from text in memory; name is used as the configuration's path. */
YG_NODISCARD yg_err yg__config_parse(const char *text, size_t len, const char *name,
                                     struct yg_config **out, struct yg_errmsg *why);
void yg__config_free(struct yg_config *cfg);

/*
 * The effective configuration as YAML (every default filled in), for
 * `--check-config` output and the start-up log.  Every webhook header value
 * is written as "<redacted>" and a webhook URL as its scheme and host
 * followed by "/<redacted>" (paths and queries of hook URLs are commonly
 * the secret themselves).  Appends to b.
 */
YG_NODISCARD yg_err yg__config_render(const struct yg_config *cfg, struct yg_buf *b);

#endif
