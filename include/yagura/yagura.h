/*
 * yagura.h - the public API of the Yagura detection engine.
 *
 * Three handles:
 *   yg_compiler  loads Sigma rule files and compiles them, once;
 *   yg_rules     the compiled rule set: immutable, reference counted,
 *                shared by any number of threads;
 *   yg_scanner   per-thread matching state over one yg_rules.
 *
 *   yg_compiler *c; yg_rules *rules; yg_scanner *s;
 *   yg_compiler_create(&c, NULL);
 *   yg_compiler_add_path(c, "rules/");        // diagnostics via callback
 *   yg_compiler_get_rules(c, &rules);         // c is spent afterwards
 *   yg_compiler_destroy(c);
 *   yg_scanner_create(rules, &s);
 *   yg_scanner_scan_json(s, line, len, on_alert, ud);
 *   yg_scanner_destroy(s); yg_rules_release(rules);
 *
 * Pointers handed to callbacks are valid only during the call.
 */
#ifndef YAGURA_H
#define YAGURA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "yagura/error.h"
#include "yagura/intel.h"
#include "yagura/limits.h"
#include "yagura/version.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct yg_compiler yg_compiler;
typedef struct yg_rules yg_rules;
typedef struct yg_scanner yg_scanner;

/* A problem found while loading or compiling rules. */
typedef struct yg_diagnostic {
    const char *file; /* rule file, or "<string>" */
    unsigned line, col;
    const char *rule_id;    /* NULL if the document has none (yet) */
    const char *rule_title; /* NULL if unknown */
    yg_err err;             /* YG_ESYNTAX, YG_EUNSUPPORTED, ... */
    const char *message;    /* what was expected, or which feature is missing */
} yg_diagnostic;
typedef void (*yg_diag_cb)(void *ud, const yg_diagnostic *d);

/*
 * data_dir holds mappings/ and placeholders (NULL: $YAGURA_DATA_DIR, then the
 * built-in location).  A rule that fails is reported and left out; the others
 * still load.
 */
yg_err yg_compiler_create(yg_compiler **out, const char *data_dir);
void yg_compiler_set_diag(yg_compiler *c, yg_diag_cb cb, void *ud);
/* A rule file (multi-document YAML) or a folder searched recursively for
 * *.yml and *.yaml.  Returns YG_OK unless the path cannot be read at all. */
yg_err yg_compiler_add_path(yg_compiler *c, const char *path);
/* A mapping file (the format of mappings/windows.yml, any subset of its
 * keys) laid over the data folder's: its channels, categories, aliases and
 * paths come first; everything else of the shipped mapping stays.  At most
 * YG_MAX_MAPPING_OVERLAYS; read when the rules are compiled. */
#define YG_MAX_MAPPING_OVERLAYS 8
yg_err yg_compiler_add_mapping(yg_compiler *c, const char *path);
/* A pySigma processing pipeline file (docs/pipelines.md) applied to every
 * detection and filter rule before it is compiled; pipelines run in order of
 * their `priority`.  At most YG_MAX_PIPELINES; read when the rules are
 * compiled, where a pipeline that does not load (or asks for what Yagura
 * does not support) is reported with its line and column and fails the
 * compilation (YG_ESYNTAX, YG_EUNSUPPORTED, ...). */
yg_err yg_compiler_add_pipeline(yg_compiler *c, const char *path);
yg_err yg_compiler_add_string(yg_compiler *c, const char *name, const char *text, size_t len);
/* Rule documents accepted so far (detection, correlation and filter rules,
 * and those left out by yg_compiler_exclude):
 * compare before and after yg_compiler_add_path to see what a path loaded. */
size_t yg_compiler_rule_count(const yg_compiler *c);

/*
 * Match the indicators of a frozen store too.  The compiler takes a
 * reference.  One built-in rule per indicator type is added, named
 * yagura_intel_ip, _domain, _url, _hash, _email and _user_agent (ids: uuid5
 * of "yagura-intel-<type>"), titled "Threat intelligence: <type> indicator",
 * so that correlation rules can refer to them; their hits come from the
 * indicator lookups of the event fields named in mappings/intel-fields.yml,
 * not from a Sigma detection.  At most one store per compiler.
 */
yg_err yg_compiler_add_intel(yg_compiler *c, yg_intel *intel);
/* Compile everything added.  The compiler refuses more input afterwards. */
yg_err yg_compiler_get_rules(yg_compiler *c, yg_rules **out);
void yg_compiler_destroy(yg_compiler *c);

/* Id and title of the rule at index i (0 <= i < detection count). */
const char *yg_rules_rule_id(const yg_rules *r, uint32_t i);
const char *yg_rules_rule_title(const yg_rules *r, uint32_t i);
/* Counts of the compiled set: detection rules that run, documents that failed,
 * correlation rules parsed, filters applied. */
typedef struct yg_rules_stats {
    size_t detection, failed, correlation, filters, documents;
    size_t prefilter_atoms;  /* literals in the prefilter */
    size_t prefilter_always; /* rules evaluated on every event of their source */
    size_t builtin;          /* of `detection`, the built-in intel rules */
} yg_rules_stats;
void yg_rules_get_stats(const yg_rules *r, yg_rules_stats *st);
void yg_rules_retain(yg_rules *r);
void yg_rules_release(yg_rules *r);

typedef enum yg_level_t {
    YG_LEVEL_ANY = 0,
    YG_LEVEL_INFO = 1,
    YG_LEVEL_LO = 2,
    YG_LEVEL_MED = 3,
    YG_LEVEL_HI = 4,
    YG_LEVEL_CRIT = 5
} yg_level_t;
/*
 * Noise control, before any rule is added: leave out the rule with this id
 * (an exclusion list), or give it another level (level tuning, as
 * Hayabusa's level_tuning.txt).  yg_compiler_tuning_applied() says how many
 * rules each touched, so a list that matched nothing can be reported.
 */
yg_err yg_compiler_exclude(yg_compiler *c, const char *rule_id);
yg_err yg_compiler_set_level(yg_compiler *c, const char *rule_id, yg_level_t level);
void yg_compiler_tuning_applied(const yg_compiler *c, size_t *excluded, size_t *retuned);

/* One rule hit. */
typedef struct yg_alert {
    const char *rule_id, *rule_title, *level; /* level name */
    int level_num;                            /* yg_level_t */
    const char *tags_json;                    /* JSON array of the rule's tags */
    const char *attack_json;                  /* JSON array of ATT&CK ids (T1059.001, ...) */
    const char *rule_file;
    const char *matched_json; /* JSON object: field -> value that satisfied the rule */
    size_t matched_len;
    const char *logsource_json; /* {"product":..,"service":..,"category":..} of the event */
    const char *timestamp;      /* event time as found in the event, or "" */
    size_t timestamp_len;
    const char *event; /* the JSON document that matched */
    size_t event_len;
    uint32_t rule_index; /* position of the rule in the compiled set */
    /* More members for the alert's JSON object ("intel":{...} for an
     * indicator hit), without the braces; NULL/0 when none. */
    const char *extra_json;
    size_t extra_len;
} yg_alert;
/* Return non-zero to stop scanning the current event. */
typedef int (*yg_alert_cb)(void *ud, const yg_alert *a);

yg_err yg_scanner_create(yg_rules *r, yg_scanner **out);
void yg_scanner_destroy(yg_scanner *s);
void yg_scanner_set_min_level(yg_scanner *s, yg_level_t lvl);
/*
 * Decode one JSON document (json, len bytes: exactly one object) and run
 * every rule of its log source.  Returns YG_ESYNTAX with a message from
 * yg_scanner_last_error() if the document is not valid JSON.
 */
yg_err yg_scanner_scan_json(yg_scanner *s, const char *json, size_t len, yg_alert_cb cb, void *ud);
/* Parse one JSON value at the start of buf; *used receives its length
 * (trailing whitespace not included).  For framing of JSON streams. */
yg_err yg_scanner_scan_json_prefix(yg_scanner *s, const char *buf, size_t len, size_t *used,
                                   yg_alert_cb cb, void *ud);
/* Log source assumed for events that carry none of their own (no Windows
 * channel): any of the three may be NULL.  Strings must outlive the scanner. */
yg_err yg_scanner_set_logsource(yg_scanner *s, const char *product, const char *service,
                                const char *category);
/* Like yg_scanner_scan_json, for an event whose log source is already known
 * (decoded by a line format): the rules of that log source run.  Any of the
 * three may be NULL. */
yg_err yg_scanner_scan_json_as(yg_scanner *s, const char *json, size_t len, const char *product,
                               const char *service, const char *category, yg_alert_cb cb, void *ud);
/* The log source of the last event scanned, as a JSON object ("{}" if none).
 * Valid until the scanner is destroyed. */
const char *yg_scanner_logsource_json(const yg_scanner *s);
/* With eval false, events are decoded and routed but no rule runs
 * (`yagura decode`). */
void yg_scanner_set_eval(yg_scanner *s, bool eval);
/* The first value of a rule field (by Sigma name) in the event being scanned,
 * for use inside the alert callback; false if the event has none.  Only
 * names known to the rule set (used by a rule or a correlation) resolve. */
bool yg_scanner_field(const yg_scanner *s, const char *name, const char **v, size_t *n);
/* Indicator validity (valid_until) is judged at the event's own time when
 * it has one (replaying old logs), else at the wall clock; with
 * wallclock true, always at the wall clock (the service). */
void yg_scanner_set_intel_wallclock(yg_scanner *s, bool wallclock);
/* Description and byte offset of the last decode error. */
const char *yg_scanner_last_error(const yg_scanner *s, size_t *offset);
/*
 * Coverage: for each log source this scanner has seen events of, cb gets
 * its JSON ({"product":...,"service":...,"category":...}, "{}" for events
 * that route to no log source), the events seen, and how many of the
 * loaded detection rules apply to it.  A log source may be reported more
 * than once (once per Windows channel and event id): callers add them up.
 */
typedef void (*yg_coverage_cb)(void *ud, const char *ls_json, uint64_t events, uint32_t rules);
void yg_scanner_coverage(const yg_scanner *s, yg_coverage_cb cb, void *ud);
/* The earliest and latest event time (ms since the epoch, UTC) among the
 * events this scanner routed; false when none had a time. */
bool yg_scanner_time_range(const yg_scanner *s, int64_t *first_ms, int64_t *last_ms);

#ifdef __cplusplus
}
#endif
#endif
