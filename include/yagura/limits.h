/*
 * limits.h - every hard cap of Yagura in one place.
 *
 * Input is hostile: each parser checks against these and reports
 * YG_ELIMIT with the name of the limit rather than growing without bound.
 */
#ifndef YAGURA_LIMITS_H
#define YAGURA_LIMITS_H

/* Longest single event (JSON line or rendered EVTX record), bytes. */
#define YG_MAX_EVENT_BYTES (4u * 1024u * 1024u)
/* Most fields kept for one event. */
#define YG_MAX_EVENT_FIELDS 4096u
/* Most fields listed in an alert's `matched` (each field once). */
#define YG_MAX_MATCHED_FIELDS 128u
/* Deepest JSON nesting accepted. */
#define YG_MAX_JSON_DEPTH 64u
/* Largest rule file, bytes. */
#define YG_MAX_RULE_FILE_BYTES (4u * 1024u * 1024u)
/* pySigma processing pipelines (--pipeline, `pipelines:`; docs/pipelines.md):
 * how many files, and how many alternatives one search may become when
 * field_name_mapping maps its fields to several names each. */
#define YG_MAX_PIPELINES 8
#define YG_MAX_PIPELINE_EXPANSION 64
/* A rule archive (-r sigma_all_rules.zip): members read in all, and how
 * many; past either the rest of the archive is reported and skipped. */
#define YG_MAX_RULE_ARCHIVE_BYTES (512u * 1024u * 1024u)
#define YG_MAX_RULE_ARCHIVE_MEMBERS 200000u
/* Deepest YAML nesting in a rule. */
#define YG_MAX_YAML_DEPTH 32u
/* Longest condition expression, bytes, and deepest nesting of it. */
#define YG_MAX_CONDITION_BYTES 8192u
#define YG_MAX_CONDITION_DEPTH 64u
/* Most alternatives one value may expand to (windash, base64offset, expand). */
#define YG_MAX_VALUE_EXPANSION 4096u
/* PCRE2 match limit (backtracking steps) and depth limit per match. */
#define YG_REGEX_MATCH_LIMIT 100000u
#define YG_REGEX_DEPTH_LIMIT 10000u
/* Longest regex pattern accepted. */
#define YG_MAX_REGEX_BYTES 16384u
/* Largest decompressed input accepted from one compressed file, bytes. */
#define YG_MAX_DECOMPRESSED_BYTES (64ull * 1024ull * 1024ull * 1024ull)
/* Largest EVTX file mapped, bytes. */
#define YG_MAX_EVTX_BYTES (16ull * 1024ull * 1024ull * 1024ull)
/* Deepest BinXML element nesting. */
#define YG_MAX_BINXML_DEPTH 64u

/* ---- correlation (src/correlate) ---- */
#define YG_CORR_MAX_RULES 64u                      /* rules one correlation may reference */
#define YG_CORR_MAX_GROUP_BY 16u                   /* group-by fields of one correlation */
#define YG_CORR_MAX_EVIDENCE 32u                   /* evidence handles carried by one alert */
#define YG_CORR_DEFAULT_MEM (256u * 1024u * 1024u) /* state bytes when the caller gives 0 */
/* Longest timespan accepted: ten years keeps every window sum in int64 ms. */
#define YG_CORR_MAX_TIMESPAN_MS (10ll * 366 * 86400 * 1000)
/* ---- the service (yagura watch) ---- */
/* Most metric series the /metrics registry holds. */
#define YG_MAX_METRIC_SERIES 100000u
/* Most files one file input tracks at once (each holds a descriptor). */
#define YG_MAX_TAILED_FILES 1024u
/* Most simultaneous TCP or TLS clients of one listener; at the cap the
 * connection idle the longest is closed to admit the new one. */
#define YG_MAX_SYSLOG_CLIENTS 1024u
/* Bytes read from one file or connection per service call, so one busy
 * source cannot starve the others. */
#define YG_INGEST_READ_CHUNK (256u * 1024u)
/* Warnings about skipped records (malformed, unrecognised) logged per input:
 * at most this many per window; the rest are counted and their number is
 * logged in one line when the window ends (docs/yagura-watch.md). */
#define YG_LOG_RECORD_BURST 10u
#define YG_LOG_RECORD_WINDOW_MS 10000u
/* Receive buffer asked for a syslog-udp socket when the configuration
 * gives no receive_buffer; the kernel may give less (net.core.rmem_max). */
#define YG_UDP_RCVBUF_DEFAULT (4u << 20)
/* Alert sinks (defaults when the configuration gives none). */
#define YG_SINK_SYSLOG_QUEUE 10000u       /* alerts queued for a syslog collector */
#define YG_SINK_SYSLOG_FLUSH_MS 5000u     /* most flush() waits for the queue to drain */
#define YG_SINK_BACKOFF_MIN_MS 200u       /* first reconnect / retry delay */
#define YG_SINK_BACKOFF_MAX_MS 60000u     /* longest reconnect / retry delay */
#define YG_SINK_WEBHOOK_TIMEOUT_MS 10000u /* whole HTTP request */
#define YG_SINK_WEBHOOK_CONNECT_MS 3000u  /* TCP + TLS connect */
#define YG_SINK_UDP_MAX 65000u            /* larger messages are not sent over UDP */
/* The service's state database: a batch whose commit failed (disk full,
 * corrupt page, I/O error) is retried after this delay, doubled per failure. */
#define YG_STATE_RETRY_MIN_MS 250u  /* first retry */
#define YG_STATE_RETRY_MAX_MS 5000u /* longest delay between two retries */
/* Largest configuration file. */
#define YG_MAX_CONFIG_BYTES (1u << 20)
/* The /healthz and /metrics endpoint (src/http): for a scraper and a health
 * checker; docs/watch-config.md. */
#define YG_HTTP_MAX_CONNECTIONS 256u           /* simultaneous clients */
#define YG_HTTP_MAX_CONNECTIONS_PER_ADDRESS 8u /* of one client address */
#define YG_HTTP_HEADER_TIMEOUT_MS 10000u       /* request headers complete within */
#define YG_HTTP_IDLE_TIMEOUT_S 10u             /* no progress sending a response */
#define YG_HTTP_THREADS 2u                     /* serving threads */
/* The OpenTelemetry input (otlp-http, docs/inputs.md): requests waiting for
 * the service loop (past either cap, 503 and the exporter retries), and how
 * long a request body may take to arrive. */
#define YG_OTLP_QUEUE 256u
#define YG_OTLP_QUEUE_BYTES (64u * 1024u * 1024u)
#define YG_OTLP_BODY_TIMEOUT_MS 30000u

/* ---- sharing: TAXII 2.1 server and client, STIX export (src/taxii) ---- */
#define YG_TAXII_MAX_JSON_NODES 4000000u           /* values in one parsed request or response */
#define YG_TAXII_MAX_CONTENT_LENGTH (10u << 20)    /* default max_content_length of a POST, bytes */
#define YG_TAXII_MAX_CONTENT_LENGTH_CAP (1u << 30) /* highest max_content_length configurable */
#define YG_TAXII_DEFAULT_PAGE 1000u                /* objects per page when limit is absent */
#define YG_TAXII_MAX_PAGE 10000u                   /* most objects per page, whatever limit asks */
#define YG_TAXII_MAX_PAGE_BYTES (64u << 20)        /* largest page rendered; it ends early */
#define YG_TAXII_MAX_OBJECTS_PER_POST 100000u      /* objects in one POSTed envelope */
#define YG_TAXII_MAX_MATCH_VALUES 256u             /* comma-separated values of one match[] */
#define YG_TAXII_DRAIN_BYTES (64u << 20) /* oversize body read and dropped before the 413 */
#define YG_TAXII_MAX_URL_BYTES 8192u     /* path plus query string */
#define YG_TAXII_STATUS_KEEP_MS (7ull * 86400 * 1000) /* status resources kept */
#define YG_TAXII_MAX_CONNECTIONS 512u                 /* simultaneous clients of the server */
#define YG_TAXII_CONNECTION_TIMEOUT_S 30u             /* no progress sending a response: closed */
#define YG_TAXII_PBKDF2_MIN_ITER 10000u               /* weakest password hash accepted */
#define YG_TAXII_PBKDF2_ITER 210000u                  /* iterations of hashes made by yagura */
#define YG_TAXII_MAX_USERS 1024u                      /* users of the server */
#define YG_TAXII_MAX_COLLECTIONS 1024u                /* collections over all API roots */
/* The server under load (docs/taxii.md#limits). */
#define YG_TAXII_MAX_CONNECTIONS_PER_ADDRESS 16u /* of one client address (IPv6: /64) */
#define YG_TAXII_HEADER_TIMEOUT_MS 10000u /* TLS handshake and request headers complete within */
#define YG_TAXII_BODY_TIMEOUT_MS 60000u   /* request body complete within, after its headers */
#define YG_TAXII_THREADS 4u               /* serving threads */
#define YG_TAXII_MAX_HEADER_BYTES 16384u  /* request line and headers; 431 beyond */
/* libmicrohttpd's buffer per connection: requests between the limits
 * above and this get TAXII error bodies; larger ones the library's own. */
#define YG_TAXII_CONNECTION_BUFFER (128u << 10)
#define YG_TAXII_LOGIN_FAILURES_PER_ADDRESS 10u /* failed logins per window, then 429 */
#define YG_TAXII_LOGIN_FAILURES_PER_ACCOUNT 20u /* failed logins per window, then 429 */
#define YG_TAXII_LOGIN_WINDOW_S 60u             /* the window of those counts */
#define YG_TAXII_LOGIN_TABLE 4096u              /* addresses and accounts tracked */
#define YG_TAXII_LOGIN_QUEUE 64u                /* password checks waiting, then 503 */
/* yagura intel pull */
#define YG_TAXII_PULL_MAX_PAGES 100000u         /* pages read from one collection per run */
#define YG_TAXII_PULL_MAX_RESPONSE (256u << 20) /* largest response body accepted */
#define YG_TAXII_PULL_TRIES 5u                  /* attempts of one request */
#define YG_TAXII_PULL_BACKOFF_MS 500u           /* first retry delay, doubled per attempt */
#define YG_TAXII_PULL_BACKOFF_MAX_MS 30000u     /* longest retry delay */
#define YG_TAXII_PULL_TIMEOUT_MS 120000u        /* one whole request */

/* ---- threat intelligence (src/intel) ---- */
#define YG_INTEL_MAX_INDICATORS 100000000u     /* indicators in one store */
#define YG_INTEL_MAX_VALUE_BYTES 4096u         /* longest indicator value (URL, user agent) */
#define YG_INTEL_MAX_FILE_BYTES (8ull << 30)   /* largest intel file read */
#define YG_INTEL_MAX_JSON_NODES 16000000u      /* values of one MISP event or one STIX object */
#define YG_INTEL_MAX_PATTERN_BYTES 65536u      /* longest STIX pattern */
#define YG_INTEL_MAX_PATTERN_DEPTH 64u         /* deepest nesting of a STIX pattern */
#define YG_INTEL_MAX_PATTERN_COMPARISONS 4096u /* comparisons (and IN values) of one pattern */
#define YG_INTEL_MAX_PER_FILE 100000000u       /* indicators (lines, objects) read from one file */
#define YG_INTEL_MAX_FIELDS 1024u              /* event fields of one intel-fields.yml entry */
#define YG_INTEL_MAX_DIR_DEPTH 16u             /* folder nesting searched for intel files */

/* ---- geolocation (src/geo) ---- */
#define YG_GEO_MAX_DBS 4u /* city databases, and ASN databases, per handle */

/* ---- compiled prefilter databases kept between runs (src/match/dbcache.c) ---- */
#define YG_HS_CACHE_MAX_BYTES (256ull << 20) /* entries of one cache folder; oldest go first */
#define YG_HS_CACHE_TMP_AGE_S 3600u          /* older temporary files were left by a crash */

#endif
