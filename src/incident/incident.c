/*
 * incident.c - the incident builder (see incident.h and docs/incidents.md).
 *
 * The builder keeps no state of its own besides prepared statements: the
 * state database is the truth, so a restarted `yagura watch` goes on growing
 * the incidents it had, and two runs over the same alerts give the same
 * incidents.  Per alert:
 *
 *   1. the alert JSON is flattened (decode/json.c) into leaves with dotted
 *      paths; kind, rule, level, event time, source and entities are read
 *      from them (entities through mappings/entities.yml);
 *   2. an alert already in a timeline is a no-op (a contributing detection
 *      stored earlier is upgraded to the full alert when that arrives);
 *   3. the open incidents sharing a linking entity with it and active within
 *      the window (last alert >= t - window, first alert <= t + window) are
 *      found; none: a new incident whose id derives from this alert's id;
 *      several: all are merged into the one that started first;
 *   4. the alert (and, for a correlation alert, each contributing
 *      detection) is added to the timeline, its entities counted, and the
 *      incident's summary (times, severity, title, main entity) updated.
 *
 * The summary is a running one, kept in the incident's row (struct summary):
 * adding an alert compares it with the incident's top alert and adds it to
 * the counts, and counting an entity compares its new count with the main
 * entity's, so an alert costs the same whatever the size of its incident
 * (a noisy host must not slow every input down).  Merging combines the two
 * summaries and looks at the merged-away incident's entities only.
 */
#include "incident/entity.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <sqlite3.h>

#include "core/timeparse.h"
#include "decode/json.h"

#define MAX_ENTITIES 64
#define MAX_EVIDENCE 64
#define MAX_CANDIDATES 64

/* ---- flattened alert JSON ------------------------------------------------ */

struct leaf {
    int32_t path;
    struct yg_val v;
};

struct flat {
    struct yg_arena *a;
    char **paths;
    size_t *plens; /* strlen of each path: lookups compare lengths first */
    size_t npaths, pcap;
    struct leaf *leaves;
    size_t nleaves, lcap;
    bool oom;
    /* 1 + the path top-level keys go under (a member's JSON scanned into
     * its place in an alert given as a struct); 0: the root. */
    int32_t root1;
};

static int32_t flat_key(void *ud, int32_t parent, const char *k, size_t kn)
{
    struct flat *f = ud;
    if (parent < 0)
        parent = f->root1 - 1;
    if (f->npaths == f->pcap) {
        size_t nc = f->pcap ? f->pcap * 2 : 128;
        char **np = yg_realloc(f->paths, nc * sizeof *np);
        if (!np) {
            f->oom = true;
            return -1;
        }
        f->paths = np;
        size_t *nl = yg_realloc(f->plens, nc * sizeof *nl);
        if (!nl) {
            f->oom = true;
            return -1;
        }
        f->plens = nl;
        f->pcap = nc;
    }
    const char *pp = parent >= 0 ? f->paths[parent] : "";
    size_t pl = parent >= 0 ? f->plens[parent] : 0;
    char *p = yg_arena_alloc(f->a, pl + kn + 2);
    if (!p) {
        f->oom = true;
        return -1;
    }
    if (pl) {
        memcpy(p, pp, pl);
        p[pl++] = '.';
    }
    memcpy(p + pl, k, kn);
    p[pl + kn] = 0;
    f->paths[f->npaths] = p;
    f->plens[f->npaths] = pl + kn;
    return (int32_t)f->npaths++;
}

static void flat_leaf(void *ud, int32_t path, const struct yg_val *v)
{
    struct flat *f = ud;
    if (f->nleaves == f->lcap) {
        size_t nc = f->lcap ? f->lcap * 2 : 256;
        struct leaf *nl = yg_realloc(f->leaves, nc * sizeof *nl);
        if (!nl) {
            f->oom = true;
            return;
        }
        f->leaves = nl;
        f->lcap = nc;
    }
    f->leaves[f->nleaves++] = (struct leaf){path, *v};
}

static void flat_free(struct flat *f)
{
    yg_free(f->paths);
    yg_free(f->plens);
    yg_free(f->leaves);
}

static const char *lpath(const struct flat *f, const struct leaf *l)
{
    return l->path >= 0 && (size_t)l->path < f->npaths ? f->paths[l->path] : "";
}

/* The first leaf at exactly path; NULL if none. */
static const struct yg_val *flat_get(const struct flat *f, const char *path)
{
    size_t n = strlen(path);
    for (size_t i = 0; i < f->nleaves; i++) {
        int32_t p = f->leaves[i].path;
        if (p >= 0 && (size_t)p < f->npaths && f->plens[p] == n &&
            memcmp(f->paths[p], path, n) == 0)
            return &f->leaves[i].v;
    }
    return NULL;
}

static bool has_prefix(const char *s, const char *pre)
{
    return strncmp(s, pre, strlen(pre)) == 0;
}

/* ---- the parsed alert ------------------------------------------------------ */

struct entity {
    int kind;
    char value[256];
};

struct evidence {
    const struct yg_val *rule, *timestamp, *file, *line, *index, *record;
};

struct alert {
    char id[33];
    const char *kind;
    char rule_id[256], title[512], level[32];
    int level_num;
    char event_time[64];
    int64_t t_ms;
    bool timed;
    char source[1024];
    struct entity ent[MAX_ENTITIES];
    size_t nent;
    struct evidence ev[MAX_EVIDENCE];
    size_t nev;
};

static void val_copy(const struct yg_val *v, char *out, size_t cap)
{
    size_t n = v ? v->n : 0;
    if (n >= cap)
        n = cap - 1;
    if (n)
        memcpy(out, v->p, n);
    out[n] = 0;
}

static int level_num(const char *s)
{
    static const char *const names[] = {"", "informational", "low", "medium", "high", "critical"};
    for (int i = 1; i < 6; i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    return 0;
}

static void add_entity(const struct yg_entity_map *m, struct alert *al, int kind, const char *v,
                       size_t n)
{
    if (kind < 0 || al->nent == MAX_ENTITIES)
        return;
    struct entity e;
    e.kind = kind;
    if (!yg__entity_normalise(m, kind, v, n, e.value, sizeof e.value))
        return;
    for (size_t i = 0; i < al->nent; i++)
        if (al->ent[i].kind == kind && strcmp(al->ent[i].value, e.value) == 0)
            return;
    al->ent[al->nent++] = e;
}

static bool is_value(const struct yg_val *v)
{
    return v->type == YG_VT_STR || v->type == YG_VT_NUM;
}

static void evidence_id(const struct evidence *e, char out[33])
{
    char rule[256], key[2048];
    val_copy(e->rule, rule, sizeof rule);
    if (e->record && e->record->type == YG_VT_STR) {
        val_copy(e->record, key, sizeof key);
    } else {
        char file[1536], idx[32];
        val_copy(e->file, file, sizeof file);
        val_copy(e->index, idx, sizeof idx);
        snprintf(key, sizeof key, "%s:%s", file, idx);
    }
    yg__alert_id(rule, key, out);
}

/* Rule, level and kind. */
static void read_rule(const struct flat *f, struct alert *al)
{
    val_copy(flat_get(f, "rule.id"), al->rule_id, sizeof al->rule_id);
    val_copy(flat_get(f, "rule.title"), al->title, sizeof al->title);
    val_copy(flat_get(f, "rule.level"), al->level, sizeof al->level);
    if (!al->level[0])
        snprintf(al->level, sizeof al->level, "informational");
    al->level_num = level_num(al->level);
    bool corr = flat_get(f, "correlation.type") != NULL;
    bool intel = false;
    for (size_t i = 0; i < f->nleaves; i++) {
        const char *p = lpath(f, &f->leaves[i]);
        intel |= has_prefix(p, "intel.") || strcmp(p, "intel") == 0;
    }
    al->kind = corr ? "correlation" : intel ? "intel" : "rule";
}

/* The event time: the alert's timestamp, else the end of a correlation's
 * window, else fallback_ms (INT64_MIN: none). */
static void read_time(const struct flat *f, int64_t fallback_ms, struct alert *al)
{
    const struct yg_val *ts = flat_get(f, "timestamp");
    if (ts && ts->type == YG_VT_STR && ts->n)
        al->timed = yg__time_parse(ts->p, ts->n, &al->t_ms);
    if (!al->timed) {
        const struct yg_val *lm = flat_get(f, "correlation.last_ms");
        if (lm && lm->type == YG_VT_NUM) {
            char b[32];
            val_copy(lm, b, sizeof b);
            char *end;
            long long v = strtoll(b, &end, 10);
            if (end != b && !*end) {
                al->t_ms = v;
                al->timed = true;
            }
        }
    }
    if (!al->timed) {
        const struct yg_val *l = flat_get(f, "correlation.last");
        if (l && l->type == YG_VT_STR)
            al->timed = yg__time_parse(l->p, l->n, &al->t_ms);
    }
    if (!al->timed && fallback_ms != INT64_MIN) {
        al->t_ms = fallback_ms;
        al->timed = true;
    }
}

/* Evidence of a correlation: one element per "rule" key. */
static void read_evidence(const struct flat *f, struct alert *al)
{
    for (size_t i = 0; i < f->nleaves; i++) {
        const struct leaf *l = &f->leaves[i];
        const char *p = lpath(f, l);
        if (!has_prefix(p, "correlation.events."))
            continue;
        const char *k = p + strlen("correlation.events.");
        if (strcmp(k, "rule") == 0) {
            if (al->nev == MAX_EVIDENCE)
                break;
            al->ev[al->nev++].rule = &l->v;
            continue;
        }
        if (!al->nev)
            continue;
        struct evidence *e = &al->ev[al->nev - 1];
        if (strcmp(k, "timestamp") == 0)
            e->timestamp = &l->v;
        else if (strcmp(k, "file") == 0)
            e->file = &l->v;
        else if (strcmp(k, "line") == 0)
            e->line = &l->v;
        else if (strcmp(k, "index") == 0)
            e->index = &l->v;
        else if (strcmp(k, "record") == 0)
            e->record = &l->v;
    }
}

/* Source: file:line of the event (of the latest detection for a
 * correlation). */
static void read_source(const struct flat *f, struct alert *al)
{
    const struct yg_val *file = flat_get(f, "source.file"), *line = flat_get(f, "source.line");
    if (!file && al->nev) {
        file = al->ev[0].file;
        line = al->ev[0].line;
    }
    if (file) {
        char fb[900], lb[32] = "";
        val_copy(file, fb, sizeof fb);
        val_copy(line, lb, sizeof lb);
        if (lb[0] && strcmp(lb, "0") != 0)
            snprintf(al->source, sizeof al->source, "%s:%s", fb, lb);
        else
            snprintf(al->source, sizeof al->source, "%s", fb);
    }
}

/* The id: given, the alert's own, or derived from the rule and the event's
 * place (the detections that completed a correlation). */
static void read_id(const struct flat *f, const char *given_id, struct alert *al)
{
    const struct yg_val *idv = flat_get(f, "id");
    if (given_id && strlen(given_id) == 32) {
        memcpy(al->id, given_id, 33);
    } else if (idv && idv->type == YG_VT_STR && idv->n == 32) {
        val_copy(idv, al->id, sizeof al->id);
    } else if (strcmp(al->kind, "correlation") == 0) {
        struct yg_buf key;
        yg_buf_init(&key, 1u << 20);
        for (size_t i = 0; i < al->nev; i++) {
            char eid[33];
            evidence_id(&al->ev[i], eid);
            if (yg_buf_add(&key, eid, 32) || yg_buf_addc(&key, '|'))
                break;
        }
        char rk[300];
        snprintf(rk, sizeof rk, "correlation:%s", al->rule_id);
        yg__alert_id(rk, key.p ? key.p : "", al->id);
        yg_buf_free(&key);
    } else {
        const struct yg_val *rec = flat_get(f, "source.record"), *idx = flat_get(f, "source.index");
        char key[2048];
        if (rec && rec->type == YG_VT_STR) {
            val_copy(rec, key, sizeof key);
        } else {
            char fb[1536], ib[32];
            val_copy(flat_get(f, "source.file"), fb, sizeof fb);
            val_copy(idx, ib, sizeof ib);
            snprintf(key, sizeof key, "%s:%s", fb, ib);
        }
        yg__alert_id(al->rule_id, key, al->id);
    }
}

/* Entities: an intel hit's address, event and matched fields by the mapping
 * of the event's log source, correlation group-by values by name. */
static void read_entities(const struct yg_entity_map *m, const struct flat *f, struct alert *al)
{
    /* An intel hit on an address names that address (docs/intel.md). */
    const struct yg_val *itype = flat_get(f, "intel.type"), *ival = flat_get(f, "intel.value");
    if (itype && ival && itype->n == 2 && !memcmp(itype->p, "ip", 2))
        add_entity(m, al, YG_ENT_ADDRESS, ival->p, ival->n);
    struct yg_str ls[3] = {{NULL, 0}, {NULL, 0}, {NULL, 0}};
    static const char *const lsk[3] = {"logsource.product", "logsource.service",
                                       "logsource.category"};
    for (int i = 0; i < 3; i++) {
        const struct yg_val *v = flat_get(f, lsk[i]);
        if (v && v->type == YG_VT_STR)
            ls[i] = (struct yg_str){v->p, v->n};
    }
    for (size_t i = 0; i < f->nleaves; i++) {
        const struct leaf *l = &f->leaves[i];
        if (!is_value(&l->v))
            continue;
        const char *p = lpath(f, l);
        if (has_prefix(p, "correlation.group.")) {
            const char *name = p + strlen("correlation.group.");
            add_entity(m, al, yg__entity_group_kind(m, name, strlen(name)), l->v.p, l->v.n);
            continue;
        }
        const char *rest = has_prefix(p, "event.")     ? p + 6
                           : has_prefix(p, "matched.") ? p + 8
                                                       : NULL;
        if (!rest)
            continue;
        int k = yg__entity_field_kind(m, ls, rest, strlen(rest));
        if (k < 0) {
            const char *dot = strrchr(rest, '.');
            if (dot)
                k = yg__entity_field_kind(m, ls, dot + 1, strlen(dot + 1));
        }
        add_entity(m, al, k, l->v.p, l->v.n);
    }
}

/* Read what the builder needs from a flattened alert. */
static void read_alert(const struct yg_entity_map *m, const struct flat *f, const char *given_id,
                       int64_t fallback_ms, struct alert *al)
{
    memset(al, 0, sizeof *al);
    read_rule(f, al);
    read_time(f, fallback_ms, al);
    if (al->timed)
        yg__incident_iso(al->t_ms, al->event_time, sizeof al->event_time);
    if (strcmp(al->kind, "correlation") == 0)
        read_evidence(f, al);
    read_source(f, al);
    read_id(f, given_id, al);
    read_entities(m, f, al);
}

/* ---- the builder ------------------------------------------------------------ */

enum {
    Q_HAS,
    Q_CAND,
    Q_INC_INS,
    Q_ALERT_INS,
    Q_ALERT_UPGRADE,
    Q_ENT_ADD,
    Q_MERGE_ALERTS,
    Q_MERGE_ENTS,
    Q_DEL_ENTS,
    Q_MARK_MERGED,
    Q_REPOINT,
    Q_SUMMARY,
    Q_TOP,
    Q_MAIN,
    Q_UPD,
    Q_MAXSEQ,
    Q_ALERT_ENTS,
    Q_SUMM_GET,
    Q_MERGE_MAINCAND,
    Q_ENT_COUNT,
    Q_ENT_SET,
    Q_MERGE_STORED,
    Q_ATTACH,
    Q_N
};

static const char *const q_sql[Q_N] = {
    /* A timeline row, or an alert of the state database that joined an
     * incident in its own row (yg__incident_set_alerts_stored). */
    [Q_HAS] = "SELECT kind, incident_id, t_ms, seq FROM incident_alerts WHERE alert_id = ?1"
              " UNION ALL SELECT inc_kind, incident_id, inc_t_ms, inc_seq FROM alerts"
              " WHERE id = ?1 AND incident_id IS NOT NULL LIMIT 1",
    /* The window is checked by the caller, against the times of the
     * transaction's cache where the row's are not written yet. */
    [Q_CAND] = "SELECT DISTINCT i.id, i.first_ms, i.last_ms FROM incident_entities e"
               " JOIN incidents i ON i.id = e.incident_id"
               " WHERE e.kind = ?1 AND e.value = ?2 AND i.status = 'open'",
    [Q_INC_INS] = "INSERT OR IGNORE INTO incidents(id, title, level, level_num, status, first_ms,"
                  " last_ms, alert_count, main_entity, created_at, updated_at)"
                  " VALUES (?1, '', 'informational', 1, 'open', ?2, ?2, 0, '', ?3, ?3)",
    [Q_ALERT_INS] = "INSERT OR IGNORE INTO incident_alerts(alert_id, incident_id, t_ms, seq,"
                    " event_time, kind, rule_id, rule_title, level, level_num, source, entities,"
                    " parent, json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"
                    " ?13, ?14)",
    [Q_ALERT_UPGRADE] = "UPDATE incident_alerts SET kind = ?2, rule_title = ?3, level = ?4,"
                        " level_num = ?5, source = ?6, entities = ?7, json = ?8, parent = NULL,"
                        " event_time = ?9 WHERE alert_id = ?1 AND kind = 'detection'",
    [Q_ENT_ADD] = "INSERT INTO incident_entities(incident_id, kind, value, alerts)"
                  " VALUES (?1, ?2, ?3, 1) ON CONFLICT(incident_id, kind, value)"
                  " DO UPDATE SET alerts = alerts + 1",
    [Q_MERGE_ALERTS] = "UPDATE incident_alerts SET incident_id = ?1 WHERE incident_id = ?2",
    [Q_MERGE_ENTS] = "INSERT INTO incident_entities(incident_id, kind, value, alerts)"
                     " SELECT ?1, kind, value, alerts FROM incident_entities"
                     " WHERE incident_id = ?2 ON CONFLICT(incident_id, kind, value)"
                     " DO UPDATE SET alerts = alerts + excluded.alerts",
    [Q_DEL_ENTS] = "DELETE FROM incident_entities WHERE incident_id = ?1",
    [Q_MARK_MERGED] = "UPDATE incidents SET status = 'merged', merged_into = ?1, updated_at = ?3"
                      " WHERE id = ?2",
    [Q_REPOINT] = "UPDATE incidents SET merged_into = ?1 WHERE merged_into = ?2",
    /* (Only for an incident whose summary is not kept yet: these read its
     * whole timeline, rows of its own and alerts that joined it.) */
    [Q_SUMMARY] = "SELECT min(t_ms), max(t_ms), sum(kind <> 'detection'),"
                  " max(CASE WHEN kind <> 'detection' THEN level_num END) FROM"
                  " (SELECT t_ms, kind, level_num FROM incident_alerts WHERE incident_id = ?1"
                  " UNION ALL SELECT inc_t_ms, inc_kind, inc_level_num FROM alerts"
                  " WHERE incident_id = ?1)",
    [Q_TOP] = "SELECT rule_title, level, kind = 'detection', level_num, t_ms, seq FROM"
              " (SELECT rule_title, level, kind, level_num, t_ms, seq FROM incident_alerts"
              " WHERE incident_id = ?1 UNION ALL SELECT rule_title, level, inc_kind,"
              " inc_level_num, inc_t_ms, inc_seq FROM alerts WHERE incident_id = ?1)"
              " ORDER BY kind = 'detection', level_num DESC, t_ms, seq LIMIT 1",
    [Q_MAIN] = "SELECT kind, value, alerts FROM incident_entities WHERE incident_id = ?1"
               " AND kind <> 'observer' ORDER BY alerts DESC,"
               " CASE kind WHEN 'account' THEN 0 WHEN 'address' THEN 1 ELSE 2 END, value"
               " LIMIT 1",
    [Q_UPD] = "UPDATE incidents SET title = ?2, level = ?3, level_num = ?4, first_ms = ?5,"
              " last_ms = ?6, alert_count = ?7, main_entity = ?8, updated_at = ?9, top_seq = ?10,"
              " top_det = ?11, top_level_num = ?12, top_t_ms = ?13, top_title = ?14,"
              " top_level = ?15, max_level_num = ?16, main_kind = ?17, main_value = ?18,"
              " main_alerts = ?19 WHERE id = ?1",
    [Q_MAXSEQ] = "SELECT max(coalesce((SELECT max(seq) FROM incident_alerts), 0),"
                 " coalesce((SELECT max(inc_seq) FROM alerts), 0))",
    [Q_ALERT_ENTS] = "SELECT entities FROM incident_alerts WHERE alert_id = ?1 UNION ALL"
                     " SELECT inc_entities FROM alerts WHERE id = ?1 AND incident_id IS NOT NULL"
                     " LIMIT 1",
    [Q_MERGE_STORED] = "UPDATE alerts SET incident_id = ?1 WHERE incident_id = ?2",
    [Q_ATTACH] = "UPDATE alerts SET incident_id = ?2, inc_t_ms = ?3, inc_seq = ?4,"
                 " inc_event_time = ?5, inc_kind = ?6, inc_level_num = ?7, inc_source = ?8,"
                 " inc_entities = ?9 WHERE id = ?1 AND incident_id IS NULL",
    [Q_SUMM_GET] = "SELECT first_ms, last_ms, alert_count, top_seq, top_det, top_level_num,"
                   " top_t_ms, top_title, top_level, max_level_num, main_kind, main_value,"
                   " main_alerts FROM incidents WHERE id = ?1",
    /* The merged-away incident's entities with their counts in the merged
     * one: the only entities whose counts a merge changes. */
    [Q_MERGE_MAINCAND] = "SELECT f.kind, f.value, e.alerts FROM incident_entities f"
                         " JOIN incident_entities e ON e.incident_id = ?1 AND e.kind = f.kind"
                         " AND e.value = f.value WHERE f.incident_id = ?2",
    [Q_ENT_COUNT] = "SELECT alerts FROM incident_entities WHERE incident_id = ?1 AND kind = ?2"
                    " AND value = ?3",
    [Q_ENT_SET] = "UPDATE incident_entities SET alerts = ?4 WHERE incident_id = ?1 AND kind = ?2"
                  " AND value = ?3",
};

struct cand_memo {
    bool valid;
    uint64_t gen;
    size_t sign, n;
    char sig[2048];
    struct {
        char id[40];
        int64_t first, last;
    } r[MAX_CANDIDATES];
};

struct yg_incident_builder {
    struct yg_store *st;
    sqlite3 *db;
    sqlite3_stmt *q[Q_N];
    const struct yg_entity_map *map;
    int64_t window;
    int64_t seq;
    yg_rule_lookup_fn lookup;
    void *lookup_ud;
    struct yg_incident_stats stats;
    struct yg_arena arena;
    int64_t found_t, found_seq; /* of the row lookup_alert found */
    bool json_in_alerts;        /* yg__incident_set_alerts_stored */
    struct tx_cache *cache;     /* what the open transaction changed */
    /* Which incidents hold which entity changes only when an entity joins an
     * incident, incidents merge, or the cache is written; gen counts those.
     * The open incidents that share the last alert's linking entities are
     * kept with the gen they were found at: the next alert naming the same
     * entities (a noisy host) reuses them without a query. */
    uint64_t gen;
    struct cand_memo *memo;
    bool inserted; /* whether insert_row's row was new */
    char why[512];
};

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void yg__incident_iso(int64_t ms, char *out, size_t n)
{
    char t[YG_TIME_TEXT];
    if (yg__time_format(ms, t))
        snprintf(out, n, "%s", t);
    else /* a year outside 0-9999 */
        snprintf(out, n, "%lld", (long long)ms);
}

static yg_err sqlfail(struct yg_incident_builder *b, int rc, const char *what)
{
    snprintf(b->why, sizeof b->why, "%s: %s", what, sqlite3_errmsg(b->db));
    yg__store_note_failure(b->st, rc);
    yg_err e = yg__store_rc_err(rc);
    return e ? e : YG_EIO; /* a statement that failed with SQLITE_OK is still a failure */
}

const char *yg__incident_errmsg(const struct yg_incident_builder *b)
{
    /* Only a failed allocation of the builder itself leaves no handle. */
    return b ? b->why : "out of memory";
}

static yg_err cache_before_commit(void *ud, const char **msg);
static void cache_discard(void *ud);
static struct tx_cache *cache_new(void);

void yg__incident_builder_free(struct yg_incident_builder *b)
{
    if (!b)
        return;
    /* A transaction still open keeps what was fed: written now, or
     * dropped with it if it rolls back. */
    const char *msg;
    if (b->cache && yg__store_in_tx(b->st))
        (void)cache_before_commit(b, &msg);
    yg__store_set_tx_hooks(b->st, NULL, NULL, NULL);
    for (int i = 0; i < Q_N; i++)
        sqlite3_finalize(b->q[i]);
    yg_free(b->cache);
    yg_free(b->memo);
    yg_arena_free(&b->arena);
    yg_free(b);
}

yg_err yg__incident_builder_new(struct yg_store *st, const struct yg_entity_map *m,
                                int64_t window_ms, struct yg_incident_builder **out)
{
    struct yg_incident_builder *b = yg_calloc(1, sizeof *b);
    *out = b; /* a failure below leaves its message on the builder */
    if (!b)
        return YG_ENOMEM;
    b->st = st;
    b->db = yg__store_sqlite(st);
    b->map = m;
    b->window = window_ms > 0 ? window_ms : YG_INCIDENT_DEFAULT_WINDOW_MS;
    yg_arena_init(&b->arena, 1u << 16, 0);
    b->cache = cache_new();
    b->memo = yg_calloc(1, sizeof *b->memo);
    if (!b->cache || !b->memo) {
        /* No cache: yg__incident_builder_free has nothing to write. */
        yg_free(b->cache);
        b->cache = NULL;
        snprintf(b->why, sizeof b->why, "out of memory");
        return YG_ENOMEM;
    }
    for (int i = 0; i < Q_N; i++) {
        int rc = sqlite3_prepare_v3(b->db, q_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &b->q[i], NULL);
        if (rc != SQLITE_OK) {
            yg_err err = sqlfail(b, rc, "preparing the incident statements");
            yg_free(b->cache);
            b->cache = NULL;
            return err;
        }
    }
    /* Only a builder whose statements are ready writes before commits. */
    yg__store_set_tx_hooks(st, cache_before_commit, cache_discard, b);
    sqlite3_stmt *s = b->q[Q_MAXSEQ];
    if (sqlite3_step(s) == SQLITE_ROW)
        b->seq = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    *out = b;
    return YG_OK;
}

void yg__incident_set_alerts_stored(struct yg_incident_builder *b, bool on)
{
    b->json_in_alerts = on;
}

void yg__incident_set_rule_lookup(struct yg_incident_builder *b, yg_rule_lookup_fn fn, void *ud)
{
    b->lookup = fn;
    b->lookup_ud = ud;
}

void yg__incident_stats(const struct yg_incident_builder *b, struct yg_incident_stats *out)
{
    *out = b->stats;
}

static void bt(sqlite3_stmt *s, int i, const char *v)
{
    sqlite3_bind_text(s, i, v ? v : "", -1, SQLITE_TRANSIENT);
}

static yg_err run(struct yg_incident_builder *b, sqlite3_stmt *s, const char *what)
{
    int rc = sqlite3_step(s);
    yg_err err = YG_OK;
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        err = sqlfail(b, rc, what);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return err;
}

static yg_err entities_json(const struct entity *e, size_t n, struct yg_buf *out)
{
    yg_err err = YG_OK;
    yg_buf_reset(out);
    YG_TRY(yg_buf_addc(out, '['));
    for (size_t i = 0; i < n; i++) {
        if (i)
            YG_TRY(yg_buf_addc(out, ','));
        YG_TRY(yg_buf_addf(out, "{\"kind\":\"%s\",\"value\":", yg__entity_kind_name(e[i].kind)));
        YG_TRY(yg_buf_add_json_str(out, e[i].value, strlen(e[i].value)));
        YG_TRY(yg_buf_addc(out, '}'));
    }
    YG_TRY(yg_buf_addc(out, ']'));
done:
    return err;
}

/* ---- the running summary of an incident ------------------------------------ */

/* What titles and ranks an incident, kept up to date alert by alert in its
 * row.  The top alert is the first of its timeline in the order alerts
 * before contributing detections, higher level first, then event time, then
 * arrival; the main entity (observers aside) has the most alerts, accounts
 * before addresses before hosts, then the lower value. */
struct summary {
    int64_t first, last; /* event time of the earliest and latest rows */
    int64_t count;       /* alerts, not counting contributing detections */
    int lvl;             /* highest level_num of those alerts, -1: none yet */
    bool has_top;
    int top_det, top_lvl;
    int64_t top_t, top_seq;
    char top_title[512], top_level[32];
    bool has_main;
    char main_kind[16], main_value[256];
    int64_t main_alerts;
};

static void sm_empty(struct summary *sm)
{
    memset(sm, 0, sizeof *sm);
    sm->first = INT64_MAX;
    sm->last = INT64_MIN;
    sm->lvl = -1;
}

/* A row joins the timeline (or a contributing detection becomes an alert). */
static void sm_row(struct summary *sm, bool det, int lvl, int64_t t, int64_t seq, const char *title,
                   const char *level)
{
    if (t < sm->first)
        sm->first = t;
    if (t > sm->last)
        sm->last = t;
    if (!det) {
        sm->count++;
        if (lvl > sm->lvl)
            sm->lvl = lvl;
    }
    bool better = !sm->has_top || seq == sm->top_seq;
    if (!better && (int)det != sm->top_det)
        better = !det;
    else if (!better && lvl != sm->top_lvl)
        better = lvl > sm->top_lvl;
    else if (!better && t != sm->top_t)
        better = t < sm->top_t;
    else if (!better)
        better = seq < sm->top_seq;
    if (better) {
        sm->has_top = true;
        sm->top_det = det;
        sm->top_lvl = lvl;
        sm->top_t = t;
        sm->top_seq = seq;
        snprintf(sm->top_title, sizeof sm->top_title, "%s", title ? title : "");
        snprintf(sm->top_level, sizeof sm->top_level, "%s", level ? level : "");
    }
}

static int kind_rank(const char *kind)
{
    return strcmp(kind, "account") == 0 ? 0 : strcmp(kind, "address") == 0 ? 1 : 2;
}

/* An entity of the incident now counts `alerts` alerts.  Counts only grow,
 * so comparing with the main entity is enough. */
static void sm_entity(struct summary *sm, const char *kind, const char *value, int64_t alerts)
{
    if (strcmp(kind, "observer") == 0)
        return;
    bool same =
        sm->has_main && strcmp(kind, sm->main_kind) == 0 && strcmp(value, sm->main_value) == 0;
    bool better = !sm->has_main || same;
    if (!better && alerts != sm->main_alerts)
        better = alerts > sm->main_alerts;
    else if (!better && kind_rank(kind) != kind_rank(sm->main_kind))
        better = kind_rank(kind) < kind_rank(sm->main_kind);
    else if (!better)
        better = strcmp(value, sm->main_value) < 0;
    if (better) {
        sm->has_main = true;
        snprintf(sm->main_kind, sizeof sm->main_kind, "%s", kind);
        snprintf(sm->main_value, sizeof sm->main_value, "%s", value);
        sm->main_alerts = alerts;
    }
}

/* The timeline of `from` joined that of `into` (entities apart). */
static void sm_merge(struct summary *into, const struct summary *from)
{
    if (from->first < into->first)
        into->first = from->first;
    if (from->last > into->last)
        into->last = from->last;
    into->count += from->count;
    if (from->lvl > into->lvl)
        into->lvl = from->lvl;
    if (from->has_top) {
        struct summary t = *into;
        sm_row(&t, from->top_det, from->top_lvl, from->top_t, from->top_seq, from->top_title,
               from->top_level);
        /* Only the top is taken from t: first, last and the counts are set above. */
        into->has_top = t.has_top;
        into->top_det = t.top_det;
        into->top_lvl = t.top_lvl;
        into->top_t = t.top_t;
        into->top_seq = t.top_seq;
        memcpy(into->top_title, t.top_title, sizeof t.top_title);
        memcpy(into->top_level, t.top_level, sizeof t.top_level);
    }
}

static const char *col_text(sqlite3_stmt *s, int i)
{
    const char *v = (const char *)sqlite3_column_text(s, i);
    return v ? v : "";
}

/* Compute the summary from the timeline and entities: once for an incident
 * written by a version that kept none. */
static yg_err sm_compute(struct yg_incident_builder *b, const char *inc, struct summary *sm)
{
    sm_empty(sm);
    sqlite3_stmt *s = b->q[Q_SUMMARY];
    bt(s, 1, inc);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL) {
        sm->first = sqlite3_column_int64(s, 0);
        sm->last = sqlite3_column_int64(s, 1);
        sm->count = sqlite3_column_int64(s, 2);
        if (sqlite3_column_type(s, 3) != SQLITE_NULL)
            sm->lvl = sqlite3_column_int(s, 3);
    }
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    if (rc != SQLITE_ROW)
        return sqlfail(b, rc, "summarising an incident");
    s = b->q[Q_TOP];
    bt(s, 1, inc);
    if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        sm->has_top = true;
        snprintf(sm->top_title, sizeof sm->top_title, "%s", col_text(s, 0));
        snprintf(sm->top_level, sizeof sm->top_level, "%s", col_text(s, 1));
        sm->top_det = sqlite3_column_int(s, 2);
        sm->top_lvl = sqlite3_column_int(s, 3);
        sm->top_t = sqlite3_column_int64(s, 4);
        sm->top_seq = sqlite3_column_int64(s, 5);
    }
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return sqlfail(b, rc, "summarising an incident");
    s = b->q[Q_MAIN];
    bt(s, 1, inc);
    if ((rc = sqlite3_step(s)) == SQLITE_ROW)
        sm_entity(sm, col_text(s, 0), col_text(s, 1), sqlite3_column_int64(s, 2));
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return sqlfail(b, rc, "summarising an incident");
    return YG_OK;
}

/* The summary kept in the incident's row. */
static yg_err sm_read(struct yg_incident_builder *b, const char *inc, struct summary *sm)
{
    sm_empty(sm);
    sqlite3_stmt *s = b->q[Q_SUMM_GET];
    bt(s, 1, inc);
    int rc = sqlite3_step(s);
    bool legacy = rc == SQLITE_ROW && sqlite3_column_type(s, 3) == SQLITE_NULL;
    if (rc == SQLITE_ROW && !legacy) {
        sm->first = sqlite3_column_int64(s, 0);
        sm->last = sqlite3_column_int64(s, 1);
        sm->count = sqlite3_column_int64(s, 2);
        sm->has_top = true;
        sm->top_seq = sqlite3_column_int64(s, 3);
        sm->top_det = sqlite3_column_int(s, 4);
        sm->top_lvl = sqlite3_column_int(s, 5);
        sm->top_t = sqlite3_column_int64(s, 6);
        snprintf(sm->top_title, sizeof sm->top_title, "%s", col_text(s, 7));
        snprintf(sm->top_level, sizeof sm->top_level, "%s", col_text(s, 8));
        if (sqlite3_column_type(s, 9) != SQLITE_NULL)
            sm->lvl = sqlite3_column_int(s, 9);
        if (sqlite3_column_type(s, 10) != SQLITE_NULL) {
            sm->has_main = true;
            snprintf(sm->main_kind, sizeof sm->main_kind, "%s", col_text(s, 10));
            snprintf(sm->main_value, sizeof sm->main_value, "%s", col_text(s, 11));
            sm->main_alerts = sqlite3_column_int64(s, 12);
        }
    }
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return sqlfail(b, rc, "reading an incident");
    return legacy ? sm_compute(b, inc, sm) : YG_OK;
}

/* Write the summary, and what it gives (title, level, times, count, main
 * entity), into the incident's row. */
static yg_err sm_store(struct yg_incident_builder *b, const char *inc, const struct summary *sm)
{
    static const char *const names[] = {"informational", "informational", "low",
                                        "medium",        "high",          "critical"};
    char title[768], level[32], main[300] = "";
    int lvl = sm->lvl < 0 ? 1 : sm->lvl;
    snprintf(title, sizeof title, "%s", sm->has_top ? sm->top_title : "");
    if (sm->has_main && sm->main_value[0]) {
        size_t tl = strlen(title);
        snprintf(title + tl, sizeof title - tl, " - %s", sm->main_value);
    }
    if (sm->has_main)
        snprintf(main, sizeof main, "%s:%s", sm->main_kind, sm->main_value);
    if (lvl >= 1 && lvl <= 5)
        snprintf(level, sizeof level, "%s", names[lvl]);
    else
        snprintf(level, sizeof level, "%s", sm->has_top ? sm->top_level : "informational");
    sqlite3_stmt *s = b->q[Q_UPD];
    bt(s, 1, inc);
    bt(s, 2, title);
    bt(s, 3, level);
    sqlite3_bind_int(s, 4, lvl);
    sqlite3_bind_int64(s, 5, sm->first == INT64_MAX ? 0 : sm->first);
    sqlite3_bind_int64(s, 6, sm->last == INT64_MIN ? 0 : sm->last);
    sqlite3_bind_int64(s, 7, sm->count);
    bt(s, 8, main);
    sqlite3_bind_int64(s, 9, wall_ms());
    if (sm->has_top) {
        sqlite3_bind_int64(s, 10, sm->top_seq);
        sqlite3_bind_int(s, 11, sm->top_det);
        sqlite3_bind_int(s, 12, sm->top_lvl);
        sqlite3_bind_int64(s, 13, sm->top_t);
        bt(s, 14, sm->top_title);
        bt(s, 15, sm->top_level);
    }
    if (sm->lvl >= 0)
        sqlite3_bind_int(s, 16, sm->lvl);
    if (sm->has_main) {
        bt(s, 17, sm->main_kind);
        bt(s, 18, sm->main_value);
        sqlite3_bind_int64(s, 19, sm->main_alerts);
    }
    return run(b, s, "updating an incident");
}

/* ---- the transaction's cache -------------------------------------------------- */

/* An incident's summary changes with nearly every alert (its last time, its
 * count), and so does the count of its main entity.  Writing both per alert
 * would cost as much as storing the alert itself; instead the builder keeps
 * what the open transaction changed and writes each touched incident and
 * entity once, just before the transaction commits (the store's commit
 * hook), or when the cache is full.  A rollback drops the cache, as the
 * database drops the rows.  Every other reader sees only committed rows. */
#define CACHE_MAX 2048u
#define CACHE_IDX (4u * CACHE_MAX) /* hash slots, a power of two */

struct sm_slot {
    char id[40];
    bool dirty;
    struct summary sm;
};

struct ent_slot {
    char inc[40], kind[16], value[256];
    bool dirty;
    int64_t alerts;
};

struct tx_cache {
    struct sm_slot sm[CACHE_MAX];
    struct ent_slot ent[CACHE_MAX];
    uint32_t nsm, nent;
    uint32_t sm_idx[CACHE_IDX], ent_idx[CACHE_IDX]; /* slot + 1; 0: empty */
};

static struct tx_cache *cache_new(void)
{
    return yg_calloc(1, sizeof(struct tx_cache));
}

static uint32_t key_hash(const char *a, const char *b, const char *c)
{
    uint64_t h = yg_hash(a, strlen(a));
    if (b)
        h = h * 31 + yg_hash(b, strlen(b));
    if (c)
        h = h * 31 + yg_hash(c, strlen(c));
    return (uint32_t)(h ^ (h >> 32));
}

/* The index cell of an incident's summary: its slot, or the empty cell
 * where it would go. */
static uint32_t *sm_cell(struct tx_cache *c, const char *id)
{
    for (uint32_t h = key_hash(id, NULL, NULL);; h++) {
        uint32_t *cell = &c->sm_idx[h & (CACHE_IDX - 1)];
        if (!*cell || strcmp(c->sm[*cell - 1].id, id) == 0)
            return cell;
    }
}

static uint32_t *ent_cell(struct tx_cache *c, const char *inc, const char *kind, const char *value)
{
    for (uint32_t h = key_hash(inc, kind, value);; h++) {
        uint32_t *cell = &c->ent_idx[h & (CACHE_IDX - 1)];
        if (!*cell)
            return cell;
        const struct ent_slot *e = &c->ent[*cell - 1];
        if (strcmp(e->inc, inc) == 0 && strcmp(e->kind, kind) == 0 && strcmp(e->value, value) == 0)
            return cell;
    }
}

static yg_err ent_write(struct yg_incident_builder *b)
{
    yg_err err = YG_OK;
    struct tx_cache *c = b->cache;
    for (uint32_t i = 0; i < c->nent && !err; i++) {
        struct ent_slot *e = &c->ent[i];
        if (!e->dirty)
            continue;
        sqlite3_stmt *s = b->q[Q_ENT_SET];
        bt(s, 1, e->inc);
        bt(s, 2, e->kind);
        bt(s, 3, e->value);
        sqlite3_bind_int64(s, 4, e->alerts);
        err = run(b, s, "counting an incident entity");
    }
    c->nent = 0;
    memset(c->ent_idx, 0, sizeof c->ent_idx);
    return err;
}

static yg_err sm_store(struct yg_incident_builder *b, const char *inc, const struct summary *sm);

static yg_err sm_write(struct yg_incident_builder *b)
{
    yg_err err = YG_OK;
    struct tx_cache *c = b->cache;
    b->gen++; /* times kept with the candidates may be older than the rows now */
    for (uint32_t i = 0; i < c->nsm && !err; i++)
        if (c->sm[i].dirty)
            err = sm_store(b, c->sm[i].id, &c->sm[i].sm);
    c->nsm = 0;
    memset(c->sm_idx, 0, sizeof c->sm_idx);
    return err;
}

static yg_err cache_before_commit(void *ud, const char **msg)
{
    struct yg_incident_builder *b = ud;
    yg_err err = ent_write(b);
    yg_err e2 = sm_write(b);
    if (!err)
        err = e2;
    *msg = b->why;
    return err;
}

static void cache_discard(void *ud)
{
    struct yg_incident_builder *b = ud;
    b->gen++;
    b->cache->nsm = b->cache->nent = 0;
    memset(b->cache->sm_idx, 0, sizeof b->cache->sm_idx);
    memset(b->cache->ent_idx, 0, sizeof b->cache->ent_idx);
}

/* The times of an incident as the open transaction has them, if cached. */
static bool sm_cached_times(struct yg_incident_builder *b, const char *inc, int64_t *first,
                            int64_t *last)
{
    uint32_t *cell = sm_cell(b->cache, inc);
    if (!*cell)
        return false;
    *first = b->cache->sm[*cell - 1].sm.first;
    *last = b->cache->sm[*cell - 1].sm.last;
    return true;
}

/* An incident's current summary (a copy: the caller saves it back). */
static yg_err sm_load(struct yg_incident_builder *b, const char *inc, struct summary *sm)
{
    uint32_t *cell = sm_cell(b->cache, inc);
    if (*cell) {
        *sm = b->cache->sm[*cell - 1].sm;
        return YG_OK;
    }
    return sm_read(b, inc, sm);
}

static yg_err sm_save(struct yg_incident_builder *b, const char *inc, const struct summary *sm)
{
    struct tx_cache *c = b->cache;
    uint32_t *cell = sm_cell(c, inc);
    if (!*cell) {
        if (c->nsm == CACHE_MAX) {
            yg_err err = sm_write(b);
            if (err)
                return err;
            cell = sm_cell(c, inc);
        }
        snprintf(c->sm[c->nsm].id, sizeof c->sm[c->nsm].id, "%s", inc);
        *cell = ++c->nsm;
    }
    c->sm[*cell - 1].sm = *sm;
    c->sm[*cell - 1].dirty = true;
    return YG_OK;
}

/* One more alert of an incident names an entity: its new count. */
static yg_err ent_add(struct yg_incident_builder *b, const char *inc, const char *kind,
                      const char *value, int64_t *alerts)
{
    struct tx_cache *c = b->cache;
    uint32_t *cell = ent_cell(c, inc, kind, value);
    if (*cell) {
        struct ent_slot *e = &c->ent[*cell - 1];
        *alerts = ++e->alerts;
        e->dirty = true;
        return YG_OK;
    }
    /* First time in this transaction: the row is created (or counted) now,
     * so that finding candidates sees it, and its count read. */
    yg_err err = YG_OK;
    sqlite3_stmt *s = b->q[Q_ENT_ADD];
    bt(s, 1, inc);
    bt(s, 2, kind);
    bt(s, 3, value);
    YG_TRY(run(b, s, "counting an incident entity"));
    s = b->q[Q_ENT_COUNT];
    bt(s, 1, inc);
    bt(s, 2, kind);
    bt(s, 3, value);
    int rc = sqlite3_step(s);
    *alerts = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    if (rc != SQLITE_ROW)
        return sqlfail(b, rc, "counting an incident entity");
    if (*alerts == 1)
        b->gen++; /* the entity joined the incident */
    if (c->nent == CACHE_MAX) {
        YG_TRY(ent_write(b));
        cell = ent_cell(c, inc, kind, value);
    }
    struct ent_slot *e = &c->ent[c->nent];
    snprintf(e->inc, sizeof e->inc, "%s", inc);
    snprintf(e->kind, sizeof e->kind, "%s", kind);
    snprintf(e->value, sizeof e->value, "%s", value);
    e->alerts = *alerts;
    e->dirty = false;
    *cell = ++c->nent;
done:
    return err;
}

/* Add entities of the kinds that link (and observers) to an incident. */
static yg_err count_entities(struct yg_incident_builder *b, const char *inc, const struct entity *e,
                             size_t n, struct summary *sm)
{
    for (size_t i = 0; i < n; i++) {
        const char *kind = yg__entity_kind_name(e[i].kind);
        int64_t alerts = 0;
        yg_err err = ent_add(b, inc, kind, e[i].value, &alerts);
        if (err)
            return err;
        sm_entity(sm, kind, e[i].value, alerts);
    }
    return YG_OK;
}

struct cand {
    char id[40];
    int64_t first;
};

/* The linking entities of an alert as one string; false if too long to keep. */
static bool cand_sig(const struct yg_incident_builder *b, const struct alert *al, char *sig,
                     size_t cap, size_t *n)
{
    size_t k = 0;
    for (size_t i = 0; i < al->nent; i++) {
        if (!b->map->link[al->ent[i].kind])
            continue;
        int w = snprintf(sig + k, cap - k, "%d\x1f%s\x1e", al->ent[i].kind, al->ent[i].value);
        if (w < 0 || (size_t)w >= cap - k)
            return false;
        k += (size_t)w;
    }
    *n = k;
    return true;
}

static void cand_take(struct yg_incident_builder *b, const struct alert *al, const char *id,
                      int64_t first, int64_t last, struct cand *c, size_t *nc)
{
    (void)sm_cached_times(b, id, &first, &last);
    /* Active within the window of the alert's time. */
    if (last < al->t_ms - b->window || first > al->t_ms + b->window)
        return;
    for (size_t j = 0; j < *nc; j++)
        if (strcmp(c[j].id, id) == 0)
            return;
    if (*nc < MAX_CANDIDATES) {
        snprintf(c[*nc].id, sizeof c[*nc].id, "%s", id);
        c[*nc].first = first;
        (*nc)++;
    }
}

static yg_err find_candidates(struct yg_incident_builder *b, const struct alert *al, struct cand *c,
                              size_t *nc)
{
    struct cand_memo *m = b->memo;
    char sig[sizeof m->sig];
    size_t sign = 0;
    bool keep = cand_sig(b, al, sig, sizeof sig, &sign);
    if (keep && m->valid && m->gen == b->gen && m->sign == sign && !memcmp(m->sig, sig, sign)) {
        for (size_t i = 0; i < m->n; i++)
            cand_take(b, al, m->r[i].id, m->r[i].first, m->r[i].last, c, nc);
        return YG_OK;
    }
    m->valid = false;
    m->n = 0;
    for (size_t i = 0; i < al->nent; i++) {
        if (!b->map->link[al->ent[i].kind])
            continue;
        sqlite3_stmt *s = b->q[Q_CAND];
        bt(s, 1, yg__entity_kind_name(al->ent[i].kind));
        bt(s, 2, al->ent[i].value);
        int rc;
        while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
            const char *id = col_text(s, 0);
            int64_t first = sqlite3_column_int64(s, 1), last = sqlite3_column_int64(s, 2);
            bool seen = false;
            for (size_t j = 0; j < m->n && !seen; j++)
                seen = strcmp(m->r[j].id, id) == 0;
            if (!seen && m->n < MAX_CANDIDATES) {
                snprintf(m->r[m->n].id, sizeof m->r[m->n].id, "%s", id);
                m->r[m->n].first = first;
                m->r[m->n].last = last;
                m->n++;
            } else if (!seen) {
                keep = false; /* too many to keep: found by query each time */
            }
            cand_take(b, al, id, first, last, c, nc);
        }
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
        if (rc != SQLITE_DONE)
            return sqlfail(b, rc, "finding incidents");
    }
    if (keep) {
        m->valid = true;
        m->gen = b->gen;
        m->sign = sign;
        memcpy(m->sig, sig, sign);
    }
    return YG_OK;
}

/* Merge incident `from` into `into`, whose summary is sm.  This costs the
 * size of `from` (its rows move), never that of `into`. */
static yg_err merge(struct yg_incident_builder *b, const char *into, const char *from,
                    struct summary *sm)
{
    yg_err err = YG_OK;
    struct summary fs;
    YG_TRY(sm_load(b, from, &fs));
    sm_merge(sm, &fs);
    b->gen++;
    /* The merge moves counts in the table: write the cached ones first (the
     * cache is empty after).  The summary of `from` is no longer kept up:
     * its row says `merged`. */
    YG_TRY(ent_write(b));
    uint32_t *cell = sm_cell(b->cache, from);
    if (*cell)
        b->cache->sm[*cell - 1].dirty = false;
    sqlite3_stmt *s = b->q[Q_MERGE_ALERTS];
    bt(s, 1, into);
    bt(s, 2, from);
    YG_TRY(run(b, s, "merging incidents"));
    s = b->q[Q_MERGE_STORED];
    bt(s, 1, into);
    bt(s, 2, from);
    YG_TRY(run(b, s, "merging incidents"));
    s = b->q[Q_MERGE_ENTS];
    bt(s, 1, into);
    bt(s, 2, from);
    YG_TRY(run(b, s, "merging incident entities"));
    /* Only the entities of `from` changed their counts in `into`. */
    s = b->q[Q_MERGE_MAINCAND];
    bt(s, 1, into);
    bt(s, 2, from);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        sm_entity(sm, col_text(s, 0), col_text(s, 1), sqlite3_column_int64(s, 2));
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    if (rc != SQLITE_DONE)
        return sqlfail(b, rc, "merging incident entities");
    s = b->q[Q_DEL_ENTS];
    bt(s, 1, from);
    YG_TRY(run(b, s, "merging incident entities"));
    s = b->q[Q_MARK_MERGED];
    bt(s, 1, into);
    bt(s, 2, from);
    sqlite3_bind_int64(s, 3, wall_ms());
    YG_TRY(run(b, s, "merging incidents"));
    s = b->q[Q_REPOINT];
    bt(s, 1, into);
    bt(s, 2, from);
    YG_TRY(run(b, s, "merging incidents"));
done:
    return err;
}

/* Is the alert already in a timeline?  *kind gets "detection" when only as
 * a correlation's contributing detection, and *inc its incident. */
static yg_err lookup_alert(struct yg_incident_builder *b, const char *id, char kind[16],
                           char inc[40], bool *found)
{
    sqlite3_stmt *s = b->q[Q_HAS];
    bt(s, 1, id);
    int rc = sqlite3_step(s);
    *found = rc == SQLITE_ROW;
    if (*found) {
        snprintf(kind, 16, "%s", (const char *)sqlite3_column_text(s, 0));
        snprintf(inc, 40, "%s", (const char *)sqlite3_column_text(s, 1));
        b->found_t = sqlite3_column_int64(s, 2);
        b->found_seq = sqlite3_column_int64(s, 3);
    }
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return sqlfail(b, rc, "looking up an alert");
    return YG_OK;
}

static yg_err insert_row(struct yg_incident_builder *b, const char *id, const char *inc, int64_t t,
                         const char *event_time, const char *kind, const char *rule_id,
                         const char *title, const char *level, int lvl, const char *source,
                         const char *ents, const char *parent, const char *json, size_t jn)
{
    sqlite3_stmt *s = b->q[Q_ALERT_INS];
    bt(s, 1, id);
    bt(s, 2, inc);
    sqlite3_bind_int64(s, 3, t);
    sqlite3_bind_int64(s, 4, ++b->seq);
    bt(s, 5, event_time);
    bt(s, 6, kind);
    bt(s, 7, rule_id);
    bt(s, 8, title);
    bt(s, 9, level);
    sqlite3_bind_int(s, 10, lvl);
    bt(s, 11, source);
    bt(s, 12, ents);
    if (parent)
        bt(s, 13, parent);
    sqlite3_bind_text(s, 14, json, (int)jn, SQLITE_TRANSIENT);
    yg_err err = run(b, s, "storing an incident alert");
    /* A contributing detection may already be in a timeline (ignored). */
    b->inserted = err == YG_OK && sqlite3_changes(b->db) == 1;
    return err;
}

/* Entities recorded for a detection stored earlier as an alert of its own
 * (a rule with `generate: true`), added to the correlation's. */
static void merge_stored_entities(struct yg_incident_builder *b, const char *id, struct alert *al,
                                  struct flat *scratch)
{
    sqlite3_stmt *s = b->q[Q_ALERT_ENTS];
    bt(s, 1, id);
    if (sqlite3_step(s) == SQLITE_ROW) {
        const char *j = (const char *)sqlite3_column_text(s, 0);
        size_t n = (size_t)sqlite3_column_bytes(s, 0);
        /* [{"kind":"account","value":"x"},...] */
        scratch->nleaves = scratch->npaths = 0;
        struct yg_json_sink sink = {scratch, flat_key, flat_leaf, NULL};
        struct yg_json_err je;
        size_t used;
        if (j && yg__json_scan(j, n, &used, &sink, scratch->a, &je) == YG_OK) {
            int kind = -1;
            for (size_t i = 0; i < scratch->nleaves; i++) {
                const char *p = lpath(scratch, &scratch->leaves[i]);
                const struct yg_val *v = &scratch->leaves[i].v;
                if (strcmp(p, "kind") == 0) {
                    kind = -1;
                    for (int k = 0; k < YG_ENT_N; k++)
                        if (v->n == strlen(yg__entity_kind_name(k)) &&
                            memcmp(v->p, yg__entity_kind_name(k), v->n) == 0)
                            kind = k;
                } else if (strcmp(p, "value") == 0 && kind >= 0) {
                    add_entity(b->map, al, kind, v->p, v->n);
                }
            }
        }
    }
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
}

/* The alert of a detection already in a timeline as a correlation's
 * contributing detection: keep its place, add what it says. */
static yg_err upgrade_detection(struct yg_incident_builder *b, const struct alert *al,
                                const char *inc, const char *ents, const char *json, size_t n)
{
    yg_err err = YG_OK;
    sqlite3_stmt *s = b->q[Q_ALERT_UPGRADE];
    bt(s, 1, al->id);
    bt(s, 2, al->kind);
    bt(s, 3, al->title);
    bt(s, 4, al->level);
    sqlite3_bind_int(s, 5, al->level_num);
    bt(s, 6, al->source);
    bt(s, 7, ents);
    sqlite3_bind_text(s, 8, json, b->json_in_alerts ? 0 : (int)n, SQLITE_TRANSIENT);
    bt(s, 9, al->event_time);
    int64_t t = b->found_t, seq = b->found_seq;
    YG_TRY(run(b, s, "updating an incident alert"));
    struct summary sm;
    YG_TRY(sm_load(b, inc, &sm));
    sm_row(&sm, false, al->level_num, t, seq, al->title, al->level);
    YG_TRY(count_entities(b, inc, al->ent, al->nent, &sm));
    YG_TRY(sm_save(b, inc, &sm));
done:
    return err;
}

/* Incidents holding an earlier alert of one of the contributing detections
 * belong with the correlation, whatever their entities (if still open). */
static yg_err evidence_candidates(struct yg_incident_builder *b, const struct alert *al,
                                  char evid[][33], struct cand *c, size_t *nc)
{
    yg_err err = YG_OK;
    for (size_t i = 0; i < al->nev; i++) {
        char k2[16], i2[40];
        bool f2 = false;
        YG_TRY(lookup_alert(b, evid[i], k2, i2, &f2));
        bool seen = !f2;
        for (size_t j = 0; j < *nc && !seen; j++)
            seen = strcmp(c[j].id, i2) == 0;
        if (seen || *nc == MAX_CANDIDATES)
            continue;
        sqlite3_stmt *s;
        if (sqlite3_prepare_v2(b->db,
                               "SELECT first_ms FROM incidents WHERE id = ?1 AND status = "
                               "'open'",
                               -1, &s, NULL) != SQLITE_OK)
            continue;
        bt(s, 1, i2);
        if (sqlite3_step(s) == SQLITE_ROW) {
            snprintf(c[*nc].id, sizeof c[*nc].id, "%s", i2);
            c[*nc].first = sqlite3_column_int64(s, 0);
            int64_t last;
            (void)sm_cached_times(b, i2, &c[*nc].first, &last);
            ++*nc;
        }
        sqlite3_finalize(s);
    }
done:
    return err;
}

/* The incident the alert joins: a new one when no candidate shares an
 * entity (or the alert names nobody), else the one that started first,
 * with the others merged into it. */
static yg_err join_incident(struct yg_incident_builder *b, const struct alert *al,
                            const struct cand *c, size_t nc, char inc[40], struct summary *sm,
                            struct yg_incident_feed_result *res)
{
    yg_err err = YG_OK;
    if (!nc) {
        snprintf(inc, 40, "inc-%.16s", al->id);
        sqlite3_stmt *s = b->q[Q_INC_INS];
        bt(s, 1, inc);
        sqlite3_bind_int64(s, 2, al->t_ms);
        sqlite3_bind_int64(s, 3, wall_ms());
        YG_TRY(run(b, s, "creating an incident"));
        if (sqlite3_changes(b->db) == 1)
            sm_empty(sm);
        else /* an incident of that id exists already: it goes on growing */
            YG_TRY(sm_load(b, inc, sm));
        res->created = true;
        b->stats.created++;
        return YG_OK;
    }
    size_t keep = 0;
    for (size_t i = 1; i < nc; i++)
        if (c[i].first < c[keep].first ||
            (c[i].first == c[keep].first && strcmp(c[i].id, c[keep].id) < 0))
            keep = i;
    memcpy(inc, c[keep].id, 40);
    YG_TRY(sm_load(b, inc, sm));
    for (size_t i = 0; i < nc; i++)
        if (i != keep) {
            YG_TRY(merge(b, inc, c[i].id, sm));
            res->merged++;
            b->stats.merged++;
        }
done:
    return err;
}

/* The alert into the incident's timeline: its own row of the alerts table
 * when the service stored it there, else a timeline row of its own. */
static yg_err add_alert_row(struct yg_incident_builder *b, const struct alert *al, const char *inc,
                            const char *ents, const char *json, size_t n)
{
    yg_err err = YG_OK;
    bool attached = false;
    if (b->json_in_alerts) {
        sqlite3_stmt *s = b->q[Q_ATTACH];
        bt(s, 1, al->id);
        bt(s, 2, inc);
        sqlite3_bind_int64(s, 3, al->t_ms);
        sqlite3_bind_int64(s, 4, ++b->seq);
        bt(s, 5, al->event_time);
        bt(s, 6, al->kind);
        sqlite3_bind_int(s, 7, al->level_num);
        bt(s, 8, al->source);
        bt(s, 9, ents);
        YG_TRY(run(b, s, "adding an alert to an incident"));
        attached = sqlite3_changes(b->db) == 1;
    }
    if (!attached)
        YG_TRY(insert_row(b, al->id, inc, al->t_ms, al->event_time, al->kind, al->rule_id,
                          al->title, al->level, al->level_num, al->source, ents, NULL, json, n));
done:
    return err;
}

/* {"rule":{"id":..,"title":..},"timestamp":..,"source":..,"correlation":ID}:
 * a contributing detection's reference in the timeline. */
static yg_err detection_json(struct yg_buf *j, const char *rule, const char *title, const char *ts,
                             const char *src, const char *corr_id)
{
    yg_err err = YG_OK;
    YG_TRY(yg_buf_add(j, "{\"rule\":{\"id\":", 14));
    YG_TRY(yg_buf_add_json_str(j, rule, strlen(rule)));
    if (title) {
        YG_TRY(yg_buf_add(j, ",\"title\":", 9));
        YG_TRY(yg_buf_add_json_str(j, title, strlen(title)));
    }
    YG_TRY(yg_buf_add(j, "},\"timestamp\":", 14));
    YG_TRY(yg_buf_add_json_str(j, ts, strlen(ts)));
    YG_TRY(yg_buf_add(j, ",\"source\":", 10));
    YG_TRY(yg_buf_add_json_str(j, src, strlen(src)));
    YG_TRY(yg_buf_addf(j, ",\"correlation\":\"%s\"}", corr_id));
done:
    return err;
}

/* One contributing detection of a correlation alert, as a step of the
 * timeline. */
static yg_err add_detection_row(struct yg_incident_builder *b, const struct alert *al,
                                const struct evidence *e, const char *eid, const char *inc,
                                const char *ents, struct summary *sm)
{
    char rule[256], ts[128] = "", file[900] = "", line[32] = "", src[1024], et[64] = "";
    const char *title = NULL, *level = NULL;
    val_copy(e->rule, rule, sizeof rule);
    val_copy(e->timestamp, ts, sizeof ts);
    val_copy(e->file, file, sizeof file);
    val_copy(e->line, line, sizeof line);
    if (b->lookup)
        (void)b->lookup(b->lookup_ud, rule, &title, &level);
    int64_t t = al->t_ms;
    if (ts[0] && yg__time_parse(ts, strlen(ts), &t))
        yg__incident_iso(t, et, sizeof et);
    else
        snprintf(et, sizeof et, "%s", al->event_time);
    if (line[0] && strcmp(line, "0") != 0)
        snprintf(src, sizeof src, "%s:%s", file, line);
    else
        snprintf(src, sizeof src, "%s", file);
    struct yg_buf j;
    yg_buf_init(&j, 1u << 20);
    yg_err err = detection_json(&j, rule, title, ts, src, al->id);
    int dl = level ? level_num(level) : 1;
    if (!err)
        err = insert_row(b, eid, inc, t, et, "detection", rule, title ? title : rule,
                         level ? level : "informational", dl, src, ents, al->id, j.p, j.n);
    if (!err && b->inserted)
        sm_row(sm, true, dl, t, b->seq, title ? title : rule, level ? level : "informational");
    yg_buf_free(&j);
    return err;
}

static yg_err feed_parsed(struct yg_incident_builder *b, struct alert *al, struct flat *f,
                          const char *json, size_t n, struct yg_incident_feed_result *res)
{
    yg_err err = YG_OK;
    struct yg_buf ents;
    yg_buf_init(&ents, 1u << 20);
    char kind[16] = "", inc[40] = "";
    bool found = false;
    YG_TRY(lookup_alert(b, al->id, kind, inc, &found));
    bool upgrade = found && strcmp(kind, "detection") == 0;
    if (found && !upgrade) {
        res->duplicate = true;
        snprintf(res->incident, sizeof res->incident, "%s", inc);
        b->stats.duplicates++;
        goto done;
    }
    /* Contributing detections of a correlation: their ids, and entities
     * of those stored earlier as alerts of their own. */
    char evid[MAX_EVIDENCE][33];
    for (size_t i = 0; i < al->nev; i++) {
        evidence_id(&al->ev[i], evid[i]);
        merge_stored_entities(b, evid[i], al, f);
    }
    YG_TRY(entities_json(al->ent, al->nent, &ents));
    if (upgrade) {
        YG_TRY(upgrade_detection(b, al, inc, ents.p, json, n));
        snprintf(res->incident, sizeof res->incident, "%s", inc);
        goto done;
    }
    struct cand c[MAX_CANDIDATES];
    size_t nc = 0;
    YG_TRY(find_candidates(b, al, c, &nc));
    YG_TRY(evidence_candidates(b, al, evid, c, &nc));
    struct summary sm;
    YG_TRY(join_incident(b, al, c, nc, inc, &sm, res));
    YG_TRY(add_alert_row(b, al, inc, ents.p, json, n));
    sm_row(&sm, false, al->level_num, al->t_ms, b->seq, al->title, al->level);
    YG_TRY(count_entities(b, inc, al->ent, al->nent, &sm));
    for (size_t i = 0; i < al->nev; i++)
        YG_TRY(add_detection_row(b, al, &al->ev[i], evid[i], inc, ents.p, &sm));
    YG_TRY(sm_save(b, inc, &sm));
    snprintf(res->incident, sizeof res->incident, "%s", inc);
done:
    yg_buf_free(&ents);
    return err;
}

/* Feed an alert read into al (its views into f), in the store's open
 * transaction or one of its own. */
static yg_err feed_read(struct yg_incident_builder *b, struct alert *al, const char *json, size_t n,
                        struct yg_incident_feed_result *res)
{
    yg_err err = YG_OK;
    if (!al->timed || !al->rule_id[0]) {
        res->skipped = true;
        b->stats.skipped++;
        return YG_OK;
    }
    /* The evidence views point into the alert's leaves; a scratch flat for
     * stored entities must not disturb them. */
    struct flat scratch = {.a = &b->arena};
    bool own_tx = !yg__store_in_tx(b->st);
    if (own_tx && (err = yg__store_begin(b->st))) {
        snprintf(b->why, sizeof b->why, "%s", yg__store_errmsg(b->st));
        goto out;
    }
    /* The caller's transaction was rolled back by a failed statement
     * (a full disk, an I/O error): what we wrote now would commit on its
     * own, without the alerts it belongs with. */
    if (!own_tx && sqlite3_get_autocommit(b->db)) {
        snprintf(b->why, sizeof b->why, "the state transaction was rolled back by a failure");
        err = YG_ESTATE;
        goto out;
    }
    err = feed_parsed(b, al, &scratch, json, n, res);
    if (own_tx) {
        if (err)
            yg__store_rollback(b->st);
        else if ((err = yg__store_commit(b->st)))
            snprintf(b->why, sizeof b->why, "%s", yg__store_errmsg(b->st));
    }
out:
    flat_free(&scratch);
    return err;
}

static void feed_start(struct yg_incident_builder *b, struct yg_incident_feed_result *res)
{
    memset(res, 0, sizeof *res);
    b->why[0] = 0;
    b->stats.fed++;
    yg_arena_reset(&b->arena);
}

yg_err yg__incident_feed(struct yg_incident_builder *b, const char *alert_id, const char *json,
                         size_t n, int64_t fallback_ms, struct yg_incident_feed_result *res)
{
    struct yg_incident_feed_result dummy;
    if (!res)
        res = &dummy;
    feed_start(b, res);
    struct flat f = {.a = &b->arena};
    struct yg_json_sink sink = {&f, flat_key, flat_leaf, NULL};
    struct yg_json_err je;
    size_t used = 0;
    yg_err err = yg__json_scan(json, n, &used, &sink, &b->arena, &je);
    if (err || f.oom) {
        snprintf(b->why, sizeof b->why, "an alert is not valid JSON (%s at byte %zu)",
                 je.msg ? je.msg : "out of memory", je.offset);
        flat_free(&f);
        return err ? err : YG_ENOMEM;
    }
    struct alert *al = yg_malloc(sizeof *al);
    if (!al) {
        flat_free(&f);
        return YG_ENOMEM;
    }
    read_alert(b->map, &f, alert_id, fallback_ms, al);
    err = feed_read(b, al, json, n, res);
    flat_free(&f);
    yg_free(al);
    return err;
}

/* ---- an alert given as a struct ------------------------------------------------- */

/* Leaves of an alert given as a struct, at the paths its JSON would give
 * them, so that one reader serves both forms. */
static int32_t put_path(struct flat *f, int32_t parent, const char *k)
{
    int32_t saved = f->root1;
    f->root1 = 0; /* parent < 0 here is the root itself */
    int32_t p = flat_key(f, parent, k, strlen(k));
    f->root1 = saved;
    return p;
}

static void put_str(struct flat *f, int32_t parent, const char *k, const char *v, size_t n)
{
    int32_t p = v ? put_path(f, parent, k) : -1;
    if (p >= 0)
        flat_leaf(f, p, &(struct yg_val){v, (uint32_t)n, YG_VT_STR});
}

static void put_cstr(struct flat *f, int32_t parent, const char *k, const char *v)
{
    put_str(f, parent, k, v, v ? strlen(v) : 0);
}

static void put_num(struct flat *f, int32_t parent, const char *k, uint64_t v)
{
    char *t = yg_arena_alloc(f->a, 24);
    int32_t p = t ? put_path(f, parent, k) : -1;
    if (p < 0) {
        f->oom = true;
        return;
    }
    int tn = snprintf(t, 24, "%llu", (unsigned long long)v);
    flat_leaf(f, p, &(struct yg_val){t, (uint32_t)tn, YG_VT_NUM});
}

/* A JSON value the alert carries as JSON (the event, the matched fields,
 * the log source: the scanner's own form of them), under its member. */
static yg_err put_json(struct flat *f, struct yg_arena *a, const char *k, const char *json,
                       size_t n)
{
    if (!json || !n)
        return YG_OK;
    int32_t p = k ? put_path(f, -1, k) : -1;
    if (k && p < 0)
        return YG_ENOMEM;
    f->root1 = p + 1;
    struct yg_json_sink sink = {f, flat_key, flat_leaf, NULL};
    struct yg_json_err je;
    size_t used = 0;
    yg_err err = yg__json_scan(json, n, &used, &sink, a, &je);
    f->root1 = 0;
    return err ? err : f->oom ? YG_ENOMEM : YG_OK;
}

/* The intel hit's members ("intel":{...}), given without braces. */
static yg_err put_extra(struct flat *f, struct yg_arena *a, const char *extra, size_t n)
{
    if (!extra || !n)
        return YG_OK;
    char *obj = yg_arena_alloc(a, n + 2);
    if (!obj)
        return YG_ENOMEM;
    obj[0] = '{';
    memcpy(obj + 1, extra, n);
    obj[n + 1] = '}';
    return put_json(f, a, NULL, obj, n + 2);
}

static void put_evidence(struct flat *f, int32_t events, const struct yg_incident_evidence *e)
{
    put_cstr(f, events, "rule", e->rule_id);
    put_cstr(f, events, "timestamp", e->timestamp);
    put_cstr(f, events, "file", e->file);
    if (e->record_id)
        put_cstr(f, events, "record", e->record_id);
    else if (e->line)
        put_num(f, events, "line", e->line);
    if (e->has_index)
        put_num(f, events, "index", e->index);
}

static void put_correlation(struct flat *f, const struct yg_incident_alert *a)
{
    int32_t c = put_path(f, -1, "correlation");
    put_cstr(f, c, "type", a->corr_type);
    int32_t g = put_path(f, c, "group");
    for (size_t i = 0; i < a->ngroup; i++)
        put_cstr(f, g, a->group_names[i], a->group_values[i]);
    int32_t ev = put_path(f, c, "events");
    for (size_t i = 0; i < a->nev; i++)
        put_evidence(f, ev, &a->ev[i]);
}

static yg_err put_alert(struct flat *f, struct yg_arena *ar, const struct yg_incident_alert *a)
{
    yg_err err = YG_OK;
    int32_t r = put_path(f, -1, "rule");
    put_cstr(f, r, "id", a->rule_id);
    put_cstr(f, r, "title", a->rule_title);
    put_cstr(f, r, "level", a->level);
    YG_TRY(put_json(f, ar, "logsource", a->logsource_json, a->logsource_len));
    YG_TRY(put_json(f, ar, "matched", a->matched_json, a->matched_len));
    if (a->file) {
        int32_t s = put_path(f, -1, "source");
        put_cstr(f, s, "file", a->file);
        put_num(f, s, "line", a->line);
        if (a->record_id)
            put_cstr(f, s, "record", a->record_id);
        if (a->has_index)
            put_num(f, s, "index", a->index);
    }
    if (a->corr_type)
        put_correlation(f, a);
    YG_TRY(put_extra(f, ar, a->extra_json, a->extra_len));
    YG_TRY(put_json(f, ar, "event", a->event_json, a->event_len));
done:
    return err ? err : f->oom ? YG_ENOMEM : YG_OK;
}

yg_err yg__incident_feed_alert(struct yg_incident_builder *b, const struct yg_incident_alert *a,
                               int64_t fallback_ms, struct yg_incident_feed_result *res)
{
    struct yg_incident_feed_result dummy;
    if (!res)
        res = &dummy;
    feed_start(b, res);
    struct flat f = {.a = &b->arena};
    struct alert *al = yg_malloc(sizeof *al);
    yg_err err = al ? put_alert(&f, &b->arena, a) : YG_ENOMEM;
    if (err) {
        snprintf(b->why, sizeof b->why, "an alert's %s",
                 err == YG_ENOMEM ? "fields do not fit in memory"
                                  : "event, matched fields or log source is not valid JSON");
        goto out;
    }
    memset(al, 0, sizeof *al);
    read_rule(&f, al);
    al->timed = a->timed || fallback_ms != INT64_MIN;
    al->t_ms = a->timed ? a->t_ms : fallback_ms;
    if (al->timed)
        yg__incident_iso(al->t_ms, al->event_time, sizeof al->event_time);
    if (a->corr_type)
        read_evidence(&f, al);
    read_source(&f, al);
    read_id(&f, a->id, al);
    read_entities(b->map, &f, al);
    err = feed_read(b, al, a->json, a->json_len, res);
out:
    flat_free(&f);
    yg_free(al);
    return err;
}

/* ---- copies and batches of alerts given as structs ------------------------------ */

static const char *arena_dup(struct yg_arena *a, const char *s, size_t n, bool *oom)
{
    if (!s)
        return NULL;
    const char *c = yg_arena_strndup(a, s, n);
    *oom |= !c;
    return c;
}

yg_err yg__incident_alert_copy(struct yg_arena *a, const struct yg_incident_alert *src,
                               struct yg_incident_alert *dst)
{
    bool oom = false;
    *dst = *src;
#define DUP(f, n) dst->f = arena_dup(a, src->f, n, &oom)
#define DUPZ(f) DUP(f, src->f ? strlen(src->f) : 0)
    DUPZ(id);
    DUPZ(rule_id);
    DUPZ(rule_title);
    DUPZ(level);
    DUPZ(file);
    DUPZ(record_id);
    DUPZ(corr_type);
    DUP(logsource_json, src->logsource_len);
    DUP(matched_json, src->matched_len);
    DUP(event_json, src->event_len);
    DUP(extra_json, src->extra_len);
    DUP(json, src->json_len);
#undef DUPZ
#undef DUP
    const char **names = src->ngroup ? yg_arena_alloc(a, 2 * src->ngroup * sizeof *names) : NULL;
    for (size_t i = 0; names && i < src->ngroup; i++) {
        names[i] = arena_dup(a, src->group_names[i], strlen(src->group_names[i]), &oom);
        names[src->ngroup + i] =
            arena_dup(a, src->group_values[i], strlen(src->group_values[i]), &oom);
    }
    dst->group_names = names;
    dst->group_values = names ? names + src->ngroup : NULL;
    struct yg_incident_evidence *ev = src->nev ? yg_arena_alloc(a, src->nev * sizeof *ev) : NULL;
    for (size_t i = 0; ev && i < src->nev; i++) {
        const struct yg_incident_evidence *e = &src->ev[i];
        ev[i] = *e;
        ev[i].rule_id = arena_dup(a, e->rule_id, strlen(e->rule_id), &oom);
        ev[i].timestamp = arena_dup(a, e->timestamp, strlen(e->timestamp), &oom);
        ev[i].file = arena_dup(a, e->file, strlen(e->file), &oom);
        ev[i].record_id = arena_dup(a, e->record_id, e->record_id ? strlen(e->record_id) : 0, &oom);
    }
    dst->ev = ev;
    if (oom || (src->ngroup && !names) || (src->nev && !ev))
        return YG_ENOMEM;
    return YG_OK;
}

struct yg_incident_batch {
    struct yg_arena arena;
    struct batch_item {
        struct yg_incident_alert a;
        size_t ord;
    } * v;
    size_t n, cap;
    uint64_t untimed;
};

yg_err yg__incident_batch_new(struct yg_incident_batch **out)
{
    struct yg_incident_batch *q = yg_calloc(1, sizeof *q);
    if (!q)
        return YG_ENOMEM;
    yg_arena_init(&q->arena, 1u << 16, 0);
    *out = q;
    return YG_OK;
}

void yg__incident_batch_free(struct yg_incident_batch *q)
{
    if (!q)
        return;
    yg_arena_free(&q->arena);
    yg_free(q->v);
    yg_free(q);
}

yg_err yg__incident_batch_add(struct yg_incident_batch *q, const struct yg_incident_alert *a)
{
    if (!a->timed) {
        q->untimed++;
        return YG_OK;
    }
    if (q->n == q->cap) {
        size_t nc = q->cap ? q->cap * 2 : 1024;
        struct batch_item *nv = yg_realloc(q->v, nc * sizeof *nv);
        if (!nv)
            return YG_ENOMEM;
        q->v = nv;
        q->cap = nc;
    }
    yg_err err = yg__incident_alert_copy(&q->arena, a, &q->v[q->n].a);
    if (err)
        return err;
    q->v[q->n].ord = q->n;
    q->n++;
    return YG_OK;
}

static int item_cmp(const void *a, const void *b)
{
    const struct batch_item *x = a, *y = b;
    if (x->a.t_ms != y->a.t_ms)
        return x->a.t_ms < y->a.t_ms ? -1 : 1;
    return x->ord < y->ord ? -1 : x->ord > y->ord;
}

yg_err yg__incident_feed_batch(struct yg_incident_builder *b, struct yg_incident_batch *q)
{
    b->why[0] = 0;
    b->stats.fed += q->untimed;
    b->stats.skipped += q->untimed;
    if (q->n) /* an empty batch may have no array */
        qsort(q->v, q->n, sizeof *q->v, item_cmp);
    yg_err err = yg__store_begin(b->st);
    if (err) {
        snprintf(b->why, sizeof b->why, "%s", yg__store_errmsg(b->st));
        return err;
    }
    for (size_t i = 0; i < q->n && !err; i++)
        err = yg__incident_feed_alert(b, &q->v[i].a, INT64_MIN, NULL);
    if (err)
        yg__store_rollback(b->st);
    else if ((err = yg__store_commit(b->st)))
        snprintf(b->why, sizeof b->why, "%s", yg__store_errmsg(b->st));
    return err;
}
