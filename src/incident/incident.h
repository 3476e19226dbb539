/*
 * incident.h - alerts grouped into incidents per entity.
 *
 * Every alert (a rule hit, an intel hit, a correlation alert) names entities:
 * accounts, hosts and source addresses, found in its event by the fields that
 * mappings/entities.yml lists per log source, in a correlation's group-by
 * values, and in the detections that completed a correlation.  An alert
 * joins the open incident that shares an entity with it and was active
 * within the grouping window (default 24 h); an alert that links several
 * open incidents merges them into the oldest.  Incidents live in the state
 * database (tables incidents, incident_alerts, incident_entities; see
 * docs/state.md), so `yagura watch` keeps building them across restarts and
 * `yagura incidents` reads them.  The full model is in docs/incidents.md.
 *
 * Alerts have deterministic ids, and a timeline row is keyed by the alert's
 * id: feeding the same alert again changes nothing.
 */
#ifndef YG_INCIDENT_INCIDENT_H
#define YG_INCIDENT_INCIDENT_H

#include <stdio.h>

#include "core/core.h"
#include "store/store.h"

#define YG_INCIDENT_DEFAULT_WINDOW_MS (24LL * 3600 * 1000)

/* ---- entity mapping (mappings/entities.yml) -------------------------------- */

enum yg_entity_kind { YG_ENT_ACCOUNT, YG_ENT_HOST, YG_ENT_ADDRESS, YG_ENT_OBSERVER, YG_ENT_N };
const char *yg__entity_kind_name(enum yg_entity_kind k);

struct yg_entity_map;

/* Load a mapping file.  On failure *out is still a map whose
 * yg__entity_map_errmsg names the file, line and column and what was
 * expected (only yg__entity_map_errmsg and yg__entity_map_free are meant for
 * it); *out is NULL only when the map could not be allocated (YG_ENOMEM).
 * Free it with yg__entity_map_free in every case. */
YG_NODISCARD yg_err yg__entity_map_load(const char *path, struct yg_entity_map **out);
/* Load <data_dir>/mappings/entities.yml (data_dir NULL: $YAGURA_DATA_DIR, else
 * the source tree the program was built from), as yg__entity_map_load. */
YG_NODISCARD yg_err yg__entity_map_load_default(const char *data_dir, struct yg_entity_map **out);
/* Why the load of m failed, "" if it succeeded; "out of memory" for NULL. */
const char *yg__entity_map_errmsg(const struct yg_entity_map *m);
void yg__entity_map_free(struct yg_entity_map *m);

/* ---- the builder ------------------------------------------------------------ */

struct yg_incident_builder;

/* Title and level of a rule by id, for the contributing detections of a
 * correlation alert (which carry only the rule id).  May be NULL. */
typedef bool (*yg_rule_lookup_fn)(void *ud, const char *rule_id, const char **title,
                                  const char **level);

/*
 * A builder writing into the state database st (which must outlive it).
 * window_ms: the grouping window (0: the default, 24 h).  The map is kept by
 * reference.
 */
YG_NODISCARD yg_err yg__incident_builder_new(struct yg_store *st, const struct yg_entity_map *m,
                                             int64_t window_ms, struct yg_incident_builder **out);
void yg__incident_builder_free(struct yg_incident_builder *b);
void yg__incident_set_rule_lookup(struct yg_incident_builder *b, yg_rule_lookup_fn fn, void *ud);

/* The alerts fed are also stored in the state database's alerts table under
 * the same id, in the same transaction (`yagura watch`): an alert then joins
 * its incident in its own row of the alerts table (columns incident_id,
 * inc_*; docs/state.md) instead of a timeline row of its own, which would
 * cost as much again as storing the alert.  yg__incident_show reads both.
 * An alert found in a timeline before as a correlation's contributing
 * detection keeps that row, which then refers to the alerts table for its
 * JSON (an empty json column). */
void yg__incident_set_alerts_stored(struct yg_incident_builder *b, bool on);

/* What one feed did. */
struct yg_incident_feed_result {
    bool duplicate;    /* the alert was already in an incident */
    bool created;      /* it opened a new incident */
    size_t merged;     /* incidents merged into its incident */
    bool skipped;      /* no usable event time and no fallback, or no entity */
    char incident[40]; /* the incident it joined ("" when skipped) */
};

/*
 * Feed one alert, as JSON in the form the sinks write (docs/yagura-hunt.md,
 * docs/sinks.md).  alert_id: its deterministic id, or NULL to derive one
 * from the JSON (its "id", else the rule id and the event's place in its
 * source).  fallback_ms: the time used when the alert has no usable event
 * time (INT64_MIN: skip such alerts).  Runs inside the store's open
 * transaction if there is one, else in a transaction of its own.
 */
YG_NODISCARD yg_err yg__incident_feed(struct yg_incident_builder *b, const char *alert_id,
                                      const char *json, size_t n, int64_t fallback_ms,
                                      struct yg_incident_feed_result *res);

/* A contributing detection of a correlation alert. */
struct yg_incident_evidence {
    const char *rule_id, *timestamp, *file;
    const char *record_id; /* the service's record id, or NULL (then file:index) */
    uint64_t line;         /* 0: none */
    bool has_index;
    uint64_t index; /* the hunt's document ordinal in its file */
};

/*
 * An alert as its driver has it, before any JSON is written.  The event, the
 * matched fields, the log source and the extra members are the scanner's own
 * JSON (yg_alert); json is the alert as the sinks wrote it, kept in the
 * timeline (or in the alerts table, yg__incident_set_alerts_stored).
 * Strings may be NULL where they do not apply.
 */
struct yg_incident_alert {
    const char *id; /* 32 hex digits, or NULL: derived as for a JSON alert */
    const char *rule_id, *rule_title, *level;
    bool timed;       /* false: fallback_ms applies */
    int64_t t_ms;     /* the event time, UTC epoch ms */
    const char *file; /* the event's place: file and line (0: none), */
    uint64_t line;
    const char *record_id; /* the service's record id, */
    bool has_index;        /* or the hunt's document ordinal */
    uint64_t index;
    const char *logsource_json, *matched_json, *event_json, *extra_json;
    size_t logsource_len, matched_len, event_len, extra_len;
    const char *corr_type; /* a correlation alert's type, NULL for others */
    const char *const *group_names, *const *group_values;
    size_t ngroup;
    const struct yg_incident_evidence *ev;
    size_t nev;
    const char *json;
    size_t json_len;
};

/*
 * Feed one alert given as a struct: the same incidents as yg__incident_feed
 * of its JSON, without reading that JSON back.  YG_ESYNTAX (message in
 * yg__incident_errmsg) when its event, matched fields or log source is not
 * valid JSON.
 */
YG_NODISCARD yg_err yg__incident_feed_alert(struct yg_incident_builder *b,
                                            const struct yg_incident_alert *a, int64_t fallback_ms,
                                            struct yg_incident_feed_result *res);

/* A deep copy of a into arena (the driver's strings live only during its
 * callback): YG_ENOMEM if it does not fit. */
YG_NODISCARD yg_err yg__incident_alert_copy(struct yg_arena *arena,
                                            const struct yg_incident_alert *a,
                                            struct yg_incident_alert *out);

/*
 * The alerts of a hunt, collected as structs while it runs and fed in
 * event-time order once it is over (equal times keep the order they were
 * added in), in one transaction.  Alerts without an event time are skipped
 * and counted.
 */
struct yg_incident_batch;
YG_NODISCARD yg_err yg__incident_batch_new(struct yg_incident_batch **out);
void yg__incident_batch_free(struct yg_incident_batch *q);
YG_NODISCARD yg_err yg__incident_batch_add(struct yg_incident_batch *q,
                                           const struct yg_incident_alert *a);
YG_NODISCARD yg_err yg__incident_feed_batch(struct yg_incident_builder *b,
                                            struct yg_incident_batch *q);

/* Counters of a builder's life. */
struct yg_incident_stats {
    uint64_t fed, duplicates, skipped, created, merged;
};
void yg__incident_stats(const struct yg_incident_builder *b, struct yg_incident_stats *out);

/* The message of the last failure ("" if none). */
const char *yg__incident_errmsg(const struct yg_incident_builder *b);

/* ---- reading and closing (the `yagura incidents` command) ---------------- */

enum yg_incident_status { YG_INC_OPEN = 1, YG_INC_CLOSED = 2, YG_INC_ALL = 3 };

/* One entity of an incident (with the alerts naming it) or of a step. */
struct yg_incident_entity {
    const char *kind, *value; /* unescaped */
    int64_t alerts;           /* 0 for a step's */
};

struct yg_incident_row {
    const char *id, *title, *level, *status, *main_entity;
    int level_num;
    int64_t first_ms, last_ms;
    int64_t alert_count;
    const char *entities;                  /* JSON array of {"kind","value","alerts"} */
    const struct yg_incident_entity *ents; /* the same, most alerts first */
    size_t nents;
    const char *close_reason, *closed_by; /* NULL unless closed */
    int64_t closed_at;                    /* Unix epoch ms, 0 unless closed */
    const char *acked_by, *assignee;      /* NULL unless acknowledged, assigned */
    int64_t acked_at;                     /* Unix epoch ms, 0 unless acknowledged */
};

struct yg_incident_step {
    const char *alert_id, *kind, *rule_id, *rule_title, *level, *event_time, *source;
    const char *entities; /* JSON array */
    const char *parent;   /* correlation alert id for a contributing detection, else NULL */
    const char *json;     /* the alert (with its event) or the detection's reference */
    int64_t t_ms;
    int level_num;
    const struct yg_incident_entity *ents; /* the entities, read */
    size_t nents;
};

/* Incidents with the given status and at least min_level (yg_level_t,
 * 0: any), most recent activity first.  Strings are valid during fn. */
YG_NODISCARD yg_err yg__incident_list(struct yg_store *st, enum yg_incident_status status,
                                      int min_level,
                                      void (*fn)(void *ud, const struct yg_incident_row *r),
                                      void *ud);
/* Resolve an id or a unique prefix of one (at least 4 characters; an incident
 * merged into another resolves to that one).  YG_ENOTFOUND, or YG_EINVAL when
 * the prefix is ambiguous. */
YG_NODISCARD yg_err yg__incident_resolve(struct yg_store *st, const char *id_or_prefix,
                                         char out[40]);
/* One incident and its timeline in event-time order. */
YG_NODISCARD yg_err yg__incident_show(struct yg_store *st, const char *id,
                                      void (*head)(void *ud, const struct yg_incident_row *r),
                                      void (*step)(void *ud, const struct yg_incident_step *s),
                                      void *ud);
/* Close an open incident (YG_ENOTFOUND if absent, YG_ESTATE if not open). */
YG_NODISCARD yg_err yg__incident_close(struct yg_store *st, const char *id, const char *reason,
                                       const char *who);

/* ---- triage (the console, docs/console.md) -------------------------------- */

/* Triage actions; each is stored with an audit row (incident_audit: who,
 * when, what) in the same transaction. */
enum yg_triage_action {
    YG_TRIAGE_ACK,     /* acknowledge: an open incident, once */
    YG_TRIAGE_ASSIGN,  /* assign to detail (a user name): an open incident */
    YG_TRIAGE_COMMENT, /* detail: the comment; any status */
    YG_TRIAGE_CLOSE,   /* detail: the reason; an open incident */
};
/* The action's name in the audit trail ("acknowledge", "assign", ...). */
const char *yg__triage_name(enum yg_triage_action a);
/*
 * Apply one triage action by who to incident id (a resolved id).
 * YG_ENOTFOUND: no such incident; YG_ESTATE: the action does not apply to
 * its status (closed, merged, already acknowledged); YG_EINVAL: detail
 * missing where one is needed, or longer than YG_TRIAGE_MAX_DETAIL.  Runs
 * in a transaction of its own (the store must have none open).
 */
#define YG_TRIAGE_MAX_DETAIL 4096
YG_NODISCARD yg_err yg__incident_triage(struct yg_store *st, const char *id, const char *who,
                                        enum yg_triage_action a, const char *detail);

struct yg_incident_audit {
    int64_t seq, at_ms;
    const char *who, *action, *detail;
};
/* The audit trail of an incident, oldest first (strings valid during fn). */
YG_NODISCARD yg_err yg__incident_audit(struct yg_store *st, const char *id,
                                       void (*fn)(void *ud, const struct yg_incident_audit *a),
                                       void *ud);

/* What a list of incidents is filtered on (the console's list page). */
enum { YG_INCF_NEW = 1, YG_INCF_ACKED = 2, YG_INCF_CLOSED = 4 };
struct yg_incident_filter {
    unsigned status;                        /* YG_INCF_* bits; 0: all three */
    int min_level;                          /* yg_level_t, 0: any */
    const char *entity_kind, *entity_value; /* an entity (kind NULL: any kind), or NULL */
    const char *text;                       /* a substring of the title, or NULL */
    int64_t from_ms, to_ms;                 /* activity overlapping [from, to]; 0: open */
};
/* Incidents matching f, most recent activity first; fn returns false to
 * stop.  Strings are valid during fn. */
YG_NODISCARD yg_err yg__incident_query(struct yg_store *st, const struct yg_incident_filter *f,
                                       bool (*fn)(void *ud, const struct yg_incident_row *r),
                                       void *ud);

/* "2024-05-01T10:00:00.000Z" */
void yg__incident_iso(int64_t ms, char *out, size_t n);

#endif
